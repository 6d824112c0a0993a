// Pure codec functions exported for tests and tools: they let the test suite
// compare the shim's own encoders with libmotr's golden bytes
// (fixtures/motr-xcode) without a socket. No state, no threads.
#pragma once
#include <napi.h>

namespace hax {

void export_codecs(Napi::Env env, Napi::Object exports);

} // namespace hax
