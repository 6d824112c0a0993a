#include "codec_exports.h"

#include "fop_codec.h"
#include "ha_msg_size.h"
#include "js_values.h"
#include "shim.h"

namespace hax {
namespace {

LinkTags tags_from(Napi::Env env, Napi::Value v) {
    if (!v.IsObject()) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "tags must be an object");
    auto o = v.As<Napi::Object>();
    return LinkTags{js_u64(env, o.Get("confirmed"), "confirmed"), js_u64(env, o.Get("delivered"), "delivered"),
                    js_u64(env, o.Get("next"), "next"), js_u64(env, o.Get("assign"), "assign")};
}

LinkParams params_from(Napi::Env env, Napi::Value v) {
    if (!v.IsObject()) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "linkParams must be an object");
    auto o = v.As<Napi::Object>();
    return LinkParams{js_u128(env, o.Get("idLocal"), "idLocal"), js_u128(env, o.Get("idRemote"), "idRemote"),
                      js_u128(env, o.Get("idConnection"), "idConnection"), tags_from(env, o.Get("tagsLocal")),
                      tags_from(env, o.Get("tagsRemote"))};
}

HaCookie cookie_from(Napi::Env env, Napi::Value v) {
    if (!v.IsObject()) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "cookie must be an object");
    auto o = v.As<Napi::Object>();
    return HaCookie{js_u64(env, o.Get("pid"), "pid"), js_u64(env, o.Get("timeStart"), "timeStart"),
                    js_u64(env, o.Get("uptime"), "uptime"), js_u128(env, o.Get("uuid"), "uuid")};
}

// encodeEntrypointRep({quorum, confds, rmFid, rmEndpoint, control, linkParams,
//                      doReconnect, disconnectedPreviously, cookie}) -> Buffer
Napi::Value EncodeEntrypointRep(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "expects an object");
    auto o = info[0].As<Napi::Object>();
    EntrypointRep rep;
    rep.quorum = js_u32(env, o.Get("quorum"), "quorum");
    auto confds = o.Get("confds");
    if (!confds.IsArray()) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "confds must be an array");
    auto arr = confds.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
        auto c = arr.Get(i).As<Napi::Object>();
        rep.confds.push_back(Confd{js_fid(env, c.Get("fid"), "fid"), js_string(env, c.Get("endpoint"), "endpoint")});
    }
    rep.rm_fid = js_fid(env, o.Get("rmFid"), "rmFid");
    rep.rm_endpoint = js_string(env, o.Get("rmEndpoint"), "rmEndpoint");
    rep.control = js_u32(env, o.Get("control"), "control");
    rep.link_params = params_from(env, o.Get("linkParams"));
    rep.do_reconnect = js_u64(env, o.Get("doReconnect"), "doReconnect");
    rep.disconnected_previously = js_u32(env, o.Get("disconnectedPreviously"), "disconnectedPreviously");
    rep.cookie = cookie_from(env, o.Get("cookie"));
    auto bytes = encode_entrypoint_rep(rep);
    return Napi::Buffer<uint8_t>::Copy(env, bytes.data(), bytes.size());
}


// haMsgWireSize(hedType) -> number | null
Napi::Value HaMsgWireSize(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto size = ha_msg_wire_size(js_u64(env, info[0], "hedType"));
    return size ? Napi::Number::New(env, double(*size)) : env.Null();
}

} // namespace

void export_codecs(Napi::Env env, Napi::Object exports) {
    exports.Set("encodeEntrypointRep", Napi::Function::New(env, EncodeEntrypointRep, "encodeEntrypointRep"));
    exports.Set("haMsgWireSize", Napi::Function::New(env, HaMsgWireSize, "haMsgWireSize"));
}

} // namespace hax
