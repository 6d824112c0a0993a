// Module entry point only: registers the Shim class, the codec helpers and
// notify (sd_notify).
#include <napi.h>

#include "codec_exports.h"
#include "sd_notify.h"
#include "shim.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    exports.Set("Shim", hax::Shim::Define(env));
    hax::export_codecs(env, exports);
    hax::SdNotifier::Export(env, exports);
    exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
    exports.Set("motrAvailable", Napi::Boolean::New(env, hax::kHaveMotr));
    return exports;
}

} // namespace

NODE_API_MODULE(shim, Init)
