#include "js_values.h"

#include <cmath>

#include "shim.h"

namespace hax {
namespace {

[[noreturn]] void bad(Napi::Env env, const char *name, const char *what) {
    throw_coded(env, "HAX_ERR_BAD_ARGUMENT", std::string(name) + " must be " + what);
}

} // namespace

uint64_t js_u64(Napi::Env env, Napi::Value v, const char *name) {
    if (v.IsBigInt()) {
        bool lossless = false;
        uint64_t r = v.As<Napi::BigInt>().Uint64Value(&lossless);
        if (!lossless) bad(env, name, "a u64");
        return r;
    }
    if (v.IsNumber()) {
        double d = v.As<Napi::Number>().DoubleValue();
        if (!(d >= 0 && d <= 9007199254740991.0 && std::floor(d) == d)) bad(env, name, "a non-negative integer");
        return uint64_t(d);
    }
    bad(env, name, "a number or bigint");
}

uint32_t js_u32(Napi::Env env, Napi::Value v, const char *name) {
    uint64_t r = js_u64(env, v, name);
    if (r > UINT32_MAX) bad(env, name, "a u32");
    return uint32_t(r);
}

int32_t js_i32(Napi::Env env, Napi::Value v, const char *name) {
    if (!v.IsNumber()) bad(env, name, "a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= INT32_MIN && d <= INT32_MAX && std::floor(d) == d)) bad(env, name, "an i32");
    return int32_t(d);
}

std::string js_string(Napi::Env env, Napi::Value v, const char *name) {
    if (!v.IsString()) bad(env, name, "a string");
    return v.As<Napi::String>().Utf8Value();
}

Fid js_fid(Napi::Env env, Napi::Value v, const char *name) {
    if (!v.IsObject()) bad(env, name, "a fid {container, key}");
    auto o = v.As<Napi::Object>();
    return Fid{js_u64(env, o.Get("container"), name), js_u64(env, o.Get("key"), name)};
}

U128 js_u128(Napi::Env env, Napi::Value v, const char *name) {
    if (!v.IsObject()) bad(env, name, "a {hi, lo} object");
    auto o = v.As<Napi::Object>();
    return U128{js_u64(env, o.Get("hi"), name), js_u64(env, o.Get("lo"), name)};
}

Napi::Object fid_js(Napi::Env env, const Fid &f) {
    auto o = Napi::Object::New(env);
    o.Set("container", Napi::BigInt::New(env, f.container));
    o.Set("key", Napi::BigInt::New(env, f.key));
    return o;
}

Napi::Object u128_js(Napi::Env env, const U128 &u) {
    auto o = Napi::Object::New(env);
    o.Set("hi", Napi::BigInt::New(env, u.hi));
    o.Set("lo", Napi::BigInt::New(env, u.lo));
    return o;
}

} // namespace hax
