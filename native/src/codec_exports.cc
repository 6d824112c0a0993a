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

Napi::Object tags_js(Napi::Env env, const LinkTags &t) {
    auto o = Napi::Object::New(env);
    o.Set("confirmed", Napi::BigInt::New(env, t.confirmed));
    o.Set("delivered", Napi::BigInt::New(env, t.delivered));
    o.Set("next", Napi::BigInt::New(env, t.next));
    o.Set("assign", Napi::BigInt::New(env, t.assign));
    return o;
}

LinkParams params_from(Napi::Env env, Napi::Value v) {
    if (!v.IsObject()) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "linkParams must be an object");
    auto o = v.As<Napi::Object>();
    return LinkParams{js_u128(env, o.Get("idLocal"), "idLocal"), js_u128(env, o.Get("idRemote"), "idRemote"),
                      js_u128(env, o.Get("idConnection"), "idConnection"), tags_from(env, o.Get("tagsLocal")),
                      tags_from(env, o.Get("tagsRemote"))};
}

Napi::Object params_js(Napi::Env env, const LinkParams &p) {
    auto o = Napi::Object::New(env);
    o.Set("idLocal", u128_js(env, p.id_local));
    o.Set("idRemote", u128_js(env, p.id_remote));
    o.Set("idConnection", u128_js(env, p.id_connection));
    o.Set("tagsLocal", tags_js(env, p.tags_local));
    o.Set("tagsRemote", tags_js(env, p.tags_remote));
    return o;
}

HaCookie cookie_from(Napi::Env env, Napi::Value v) {
    if (!v.IsObject()) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "cookie must be an object");
    auto o = v.As<Napi::Object>();
    return HaCookie{js_u64(env, o.Get("pid"), "pid"), js_u64(env, o.Get("timeStart"), "timeStart"),
                    js_u64(env, o.Get("uptime"), "uptime"), js_u128(env, o.Get("uuid"), "uuid")};
}

Napi::Object cookie_js(Napi::Env env, const HaCookie &c) {
    auto o = Napi::Object::New(env);
    o.Set("pid", Napi::BigInt::New(env, c.pid));
    o.Set("timeStart", Napi::BigInt::New(env, c.time_start));
    o.Set("uptime", Napi::BigInt::New(env, c.uptime));
    o.Set("uuid", u128_js(env, c.uuid));
    return o;
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

// decodeEntrypointReq(bytes) -> object; throws with the decoder's code.
Napi::Value DecodeEntrypointReq(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray()) throw_coded(env, "HAX_ERR_BAD_ARGUMENT", "expects a Uint8Array");
    auto ta = info[0].As<Napi::Uint8Array>();
    EntrypointReq req;
    if (auto err = decode_entrypoint_req(ta.Data(), ta.ByteLength(), req)) throw_coded(env, err->code, err->message);
    auto o = Napi::Object::New(env);
    o.Set("first", req.first_request != 0);
    o.Set("generation", Napi::BigInt::New(env, req.generation));
    o.Set("processFid", fid_js(env, req.process_fid));
    o.Set("linkParams", params_js(env, req.link_params));
    o.Set("gitRev", req.git_rev);
    o.Set("pid", Napi::BigInt::New(env, req.pid));
    o.Set("cookieExpected", cookie_js(env, req.cookie_expected));
    return o;
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
    exports.Set("decodeEntrypointReq", Napi::Function::New(env, DecodeEntrypointReq, "decodeEntrypointReq"));
    exports.Set("haMsgWireSize", Napi::Function::New(env, HaMsgWireSize, "haMsgWireSize"));
}

} // namespace hax
