// Argument conversion on the JS thread. Invalid arguments throw a JS Error
// with code HAX_ERR_BAD_ARGUMENT.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "wire_types.h"

namespace hax {

uint32_t js_u32(Napi::Env env, Napi::Value v, const char *name);
int32_t js_i32(Napi::Env env, Napi::Value v, const char *name);
uint64_t js_u64(Napi::Env env, Napi::Value v, const char *name);  // number or bigint
std::string js_string(Napi::Env env, Napi::Value v, const char *name);
Fid js_fid(Napi::Env env, Napi::Value v, const char *name);       // {container, key}
U128 js_u128(Napi::Env env, Napi::Value v, const char *name);     // {hi, lo}

Napi::Object fid_js(Napi::Env env, const Fid &f);
Napi::Object u128_js(Napi::Env env, const U128 &u);

} // namespace hax
