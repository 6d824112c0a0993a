/* The C face of libmotr's m0_halon_interface (motr-ha-wire.md §1), for the
 * `motr` backend. Compiled only with HAX_WITH_MOTR. Motr's headers are C and
 * not C++-clean, so halon_glue.c is the only file that includes them; the
 * C++ side (motr_backend.cc) sees plain integers, strings and bytes here.
 * Messages cross as xcode bytes (m0_xcode_obj_enc_to_buf / _dec_from_buf).
 *
 * One Motr instance per process (libmotr's rule): the glue keeps one static
 * context. Threads: see each function. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Callbacks, called on Motr locality threads, except link_connected,
 * link_reused and link_absent, which run on the thread that called
 * hax_halon_entrypoint_reply (§1.6). `link` is libmotr's m0_ha_link pointer,
 * opaque here; `msg` is the m0_ha_msg pointer to pass back to
 * hax_halon_delivered. Bytes passed in are valid only during the call. */
struct hax_fid { uint64_t container; uint64_t key; };

struct hax_halon_callbacks {
	void *ctx;
	void (*entrypoint)(void *ctx, uint64_t req_id, const char *remote_ep, const struct hax_fid *process,
	                   const uint8_t *fop, size_t fop_len, int first);
	void (*received)(void *ctx, void *link, const void *msg, uint64_t tag, const uint8_t *bytes, size_t len);
	void (*delivered)(void *ctx, void *link, uint64_t tag);
	void (*not_delivered)(void *ctx, void *link, uint64_t tag);
	void (*connected)(void *ctx, uint64_t req_id, void *link);
	void (*reused)(void *ctx, uint64_t req_id, void *link);
	void (*absent)(void *ctx, uint64_t req_id);
	void (*disconnecting)(void *ctx, void *link);
	void (*disconnected)(void *ctx, void *link);
};

/* Main Motr thread (the one that calls init; start/stop/fini on it too). */
int  hax_halon_init(const char *node_uuid);
int  hax_halon_start(const char *local_ep, const struct hax_fid *process, const struct hax_fid *ha_service,
                     const struct hax_fid *rm_service, const struct hax_halon_callbacks *cbs);
void hax_halon_stop(void);
void hax_halon_fini(void);

/* The call thread, once after init / before it ends (§1.6: adopt threads
 * that call into Motr). Returns 0 or -errno. */
int  hax_halon_adopt(void);
void hax_halon_shun(void);

/* Non-blocking calls (§1.2); call thread or inside a callback. */
void hax_halon_entrypoint_reply(uint64_t req_id, int rc, uint32_t confd_nr, const struct hax_fid *confd_fids,
                                const char **confd_eps, uint32_t quorum, const struct hax_fid *rm_fid,
                                const char *rm_ep);
/* Decodes the xcode bytes into a heap m0_ha_msg (hm_tag forced to 0) and
 * sends it; *tag gets libmotr's tag. Returns 0 or -errno (bad bytes). */
int  hax_halon_send(void *link, const uint8_t *bytes, size_t len, uint64_t *tag);
void hax_halon_delivered(void *link, const void *msg);
void hax_halon_disconnect(void *link);

/* 1 when the HA side of `link` has nothing left to tell the peer about what it
 * received: every received message was delivered() and its confirmation went
 * out in a LINK_MSG that the peer answered (rc 0). Disconnecting earlier loses
 * that confirmation and the process waits in m0_ha_flush() for ever (seen with
 * real m0d and m0mkfs). Call thread; takes the link's hln_lock. */
int  hax_halon_link_quiet(void *link);

#ifdef __cplusplus
}
#endif
