/* See halon_glue.h. Written against motr-ha-wire.md §1 (the halon interface
 * of cortx-motr, ha/halon/interface.h); compiled only where libmotr and its
 * headers exist (CMake option HAX_WITH_MOTR). */
#include "halon_glue.h"

#include "fid/fid.h"
#include "ha/entrypoint_fops.h"
#include "ha/entrypoint_fops_xc.h"
#include "ha/halon/interface.h"
#include "ha/link.h"
#include "ha/lq.h"
#include "ha/msg.h"
#include "ha/msg_xc.h"
#include "lib/memory.h"
#include "lib/thread.h"
#include "motr/version.h"
#include "xcode/xcode.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static struct m0_halon_interface *g_hi;
static struct hax_halon_callbacks g_cbs;
static struct m0_thread g_call_thread; /* zero-filled until adopted */

static struct m0_fid fid_in(const struct hax_fid *f) { return M0_FID_INIT(f->container, f->key); }

/* xcode-encodes obj and hands the bytes to fn; m0_free()s them after. */
#define WITH_XCODE(xt, ptr, bytes, len, body) do {                              \
	void *bytes = NULL;                                                         \
	m0_bcount_t len = 0;                                                        \
	if (m0_xcode_obj_enc_to_buf(&M0_XCODE_OBJ((xt), (void *)(ptr)), &bytes, &len) == 0) { body; } \
	m0_free(bytes);                                                             \
} while (0)

/* ---- callbacks: libmotr -> glue -> C++ ---------------------------------- */

/* m0_halon_interface passes the request's fields, not the fop: rebuild an
 * m0_ha_entrypoint_req_fop from them so JS decodes both backends alike.
 * generation, link params and cookie are not exposed (§1.3): zero / all ones. */
static void cb_entrypoint(struct m0_halon_interface *hi, const struct m0_uint128 *req_id, const char *remote_ep,
                          const struct m0_fid *process_fid, const char *git_rev_id, uint64_t pid, bool first)
{
	struct m0_ha_entrypoint_req_fop fop;
	struct hax_fid pf = { process_fid->f_container, process_fid->f_key };

	(void)hi;
	M0_SET0(&fop);
	fop.erf_first_request = first;
	fop.erf_process_fid = *process_fid;
	fop.erf_git_rev_id = M0_BUF_INITS((char *)git_rev_id);
	fop.erf_pid = pid;
	memset(&fop.erf_cookie_expected, 0xff, sizeof fop.erf_cookie_expected);
	WITH_XCODE(m0_ha_entrypoint_req_fop_xc, &fop, b, n,
	           g_cbs.entrypoint(g_cbs.ctx, req_id->u_lo, remote_ep, &pf, b, n, first));
}

static void cb_received(struct m0_halon_interface *hi, struct m0_ha_link *hl, const struct m0_ha_msg *msg,
                        uint64_t tag)
{
	(void)hi;
	WITH_XCODE(m0_ha_msg_xc, msg, b, n, g_cbs.received(g_cbs.ctx, hl, msg, tag, b, n));
}

static void cb_delivered(struct m0_halon_interface *hi, struct m0_ha_link *hl, uint64_t tag)
{ (void)hi; g_cbs.delivered(g_cbs.ctx, hl, tag); }
static void cb_not_delivered(struct m0_halon_interface *hi, struct m0_ha_link *hl, uint64_t tag)
{ (void)hi; g_cbs.not_delivered(g_cbs.ctx, hl, tag); }
static void cb_connected(struct m0_halon_interface *hi, const struct m0_uint128 *req_id, struct m0_ha_link *hl)
{ (void)hi; g_cbs.connected(g_cbs.ctx, req_id->u_lo, hl); }
static void cb_reused(struct m0_halon_interface *hi, const struct m0_uint128 *req_id, struct m0_ha_link *hl)
{ (void)hi; g_cbs.reused(g_cbs.ctx, req_id->u_lo, hl); }
static void cb_absent(struct m0_halon_interface *hi, const struct m0_uint128 *req_id)
{ (void)hi; g_cbs.absent(g_cbs.ctx, req_id->u_lo); }
static void cb_disconnecting(struct m0_halon_interface *hi, struct m0_ha_link *hl)
{ (void)hi; g_cbs.disconnecting(g_cbs.ctx, hl); }
static void cb_disconnected(struct m0_halon_interface *hi, struct m0_ha_link *hl)
{ (void)hi; g_cbs.disconnected(g_cbs.ctx, hl); }

/* ---- lifecycle (main Motr thread) ------------------------------------- */

int hax_halon_init(const char *node_uuid)
{
	const struct m0_build_info *bi = m0_build_info_get();

	return m0_halon_interface_init(&g_hi, bi->bi_git_rev_id, bi->bi_configure_opts, NULL, node_uuid);
}

int hax_halon_start(const char *local_ep, const struct hax_fid *process, const struct hax_fid *ha_service,
                    const struct hax_fid *rm_service, const struct hax_halon_callbacks *cbs)
{
	struct m0_fid p = fid_in(process), h = fid_in(ha_service), r = fid_in(rm_service);

	g_cbs = *cbs;
	/* Blocks until the self entrypoint is answered: the answer comes from
	 * JS through the call thread (§1.5 level HA_CONNECT). */
	return m0_halon_interface_start(g_hi, local_ep, &p, &h, &r, cb_entrypoint, cb_received, cb_delivered,
	                                cb_not_delivered, cb_connected, cb_reused, cb_absent, cb_disconnecting,
	                                cb_disconnected);
}

void hax_halon_stop(void) { m0_halon_interface_stop(g_hi); }

void hax_halon_fini(void)
{
	m0_halon_interface_fini(g_hi);
	g_hi = NULL;
}

/* ---- the call thread -------------------------------------------------- */

int hax_halon_adopt(void)
{
	M0_SET0(&g_call_thread);
	return m0_halon_interface_thread_adopt(g_hi, &g_call_thread);
}

void hax_halon_shun(void) { m0_halon_interface_thread_shun(); }

void hax_halon_entrypoint_reply(uint64_t req_id, int rc, uint32_t confd_nr, const struct hax_fid *confd_fids,
                                const char **confd_eps, uint32_t quorum, const struct hax_fid *rm_fid,
                                const char *rm_ep)
{
	struct m0_uint128 id = M0_UINT128(0, req_id);
	struct m0_fid *fids = NULL;
	struct m0_fid rm = fid_in(rm_fid);
	uint32_t i;

	if (confd_nr > 0) {
		M0_ALLOC_ARR(fids, confd_nr);
		if (fids == NULL) { rc = -ENOMEM; confd_nr = 0; }
		for (i = 0; i < confd_nr; ++i) fids[i] = fid_in(&confd_fids[i]);
	}
	m0_halon_interface_entrypoint_reply(g_hi, &id, rc, confd_nr, fids, confd_eps, quorum, &rm, rm_ep);
	m0_free(fids);
}

int hax_halon_send(void *link, const uint8_t *bytes, size_t len, uint64_t *tag)
{
	struct m0_ha_msg *msg; /* 24696 bytes (§2.6): heap, not stack */
	int rc;

	M0_ALLOC_PTR(msg);
	if (msg == NULL)
		return -ENOMEM;
	rc = m0_xcode_obj_dec_from_buf(&M0_XCODE_OBJ(m0_ha_msg_xc, msg), (void *)bytes, len);
	if (rc == 0) {
		msg->hm_tag = 0; /* libmotr assigns it; a non-zero one asserts */
		m0_halon_interface_send(g_hi, link, msg, tag);
	}
	m0_free(msg); /* send() copied it */
	return rc;
}

void hax_halon_delivered(void *link, const void *msg) { m0_halon_interface_delivered(g_hi, link, msg); }
void hax_halon_disconnect(void *link) { m0_halon_interface_disconnect(g_hi, link); }

/* ha/link.c's outgoing FOM: in IDLE it confirms every delivered incoming
 * message (m0_ha_lq_dequeue advances 'confirmed' up to 'delivered') and sets
 * hln_confirmed_update; the flag is cleared once the LINK_MSG carrying the new
 * in_delivered tag is answered with rc 0. So the peer has heard about every
 * message it sent when 'confirmed' reached 'assign' (nothing received is
 * still undelivered or unconfirmed) and the flag is clear. */
int hax_halon_link_quiet(void *link)
{
	struct m0_ha_link *hl = link;
	bool quiet;

	m0_mutex_lock(&hl->hln_lock);
	quiet = m0_ha_lq_tag_confirmed(&hl->hln_q_in) == m0_ha_lq_tag_assign(&hl->hln_q_in) &&
	        !hl->hln_confirmed_update;
	m0_mutex_unlock(&hl->hln_lock);
	return quiet ? 1 : 0;
}
