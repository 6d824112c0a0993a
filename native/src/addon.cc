// Module entry point only: registers the Shim class and the codec helpers.
#include <napi.h>

#include "codec_exports.h"
#include "shim.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    exports.Set("Shim", hax::Shim::Define(env));
    hax::export_codecs(env, exports);
    exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
    return exports;
}

} // namespace

NODE_API_MODULE(shim, Init)
