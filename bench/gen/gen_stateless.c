/* The stateless cps client's replies; see gen_stateless.h. */
#define _GNU_SOURCE /* memmem */
#include <string.h>

#include "gen_stateless.h"

static const char status_ok[] = "HTTP/1.1 200 ";
static const char head_end[] = "\r\n\r\n";

enum { SL_WINDOW = 65535, SL_MSS = 1460 };

/* Whether payload is one whole response; the first one whose head and body add up fixes its length.
 */
static bool whole_response(struct gen_sl *s, const uint8_t *p, uint32_t len)
{
	const uint8_t *end;

	if (len < sizeof(status_ok) - 1 || memcmp(p, status_ok, sizeof(status_ok) - 1) != 0)
		return false;
	if (s->response_len != 0)
		return len == s->response_len;
	end = memmem(p, len, head_end, sizeof(head_end) - 1);
	if (end == NULL || (uint32_t)(p + len - end) != sizeof(head_end) - 1 + s->c.body_len)
		return false;
	s->response_len = len;
	return true;
}

static void reply_to(const struct gen_sl *s, const struct tt_pkt *pkt, uint8_t flags, uint32_t ack,
		     struct gen_sl_reply *r)
{
	r->with_request = false;
	r->h = (struct tt_tcp_hdr_args){
	    .src_mac = s->c.mac,
	    .dst_mac = s->c.server_mac,
	    .saddr = pkt->daddr,
	    .daddr = pkt->saddr,
	    .sport = pkt->dport,
	    .dport = pkt->sport,
	    .seq = pkt->seg.ack,
	    .ack = ack,
	    .wnd = SL_WINDOW,
	    .flags = flags,
	};
}

static bool answer_data(struct gen_sl *s, const struct tt_pkt *pkt, struct gen_sl_reply *r)
{
	const struct tt_tcp_seg *g = &pkt->seg;
	bool fin = g->flags & TT_TCP_FIN;
	uint32_t ack = g->seq + g->len + (fin ? 1 : 0);
	bool whole = whole_response(s, g->payload, g->len);

	if (fin)
		s->ctr.fins++;
	if (!whole) {
		s->ctr.partial++;
		reply_to(s, pkt, TT_TCP_ACK | (fin ? TT_TCP_FIN : 0), ack, r);
		return true;
	}
	s->ctr.responses++;
	/* Client close: ours goes with the ACK.  Server close: ours answers theirs. */
	reply_to(s, pkt, TT_TCP_ACK | (fin || s->c.close_mode == GEN_CLOSE_CLIENT ? TT_TCP_FIN : 0),
		 ack, r);
	return true;
}

bool gen_sl_answer(struct gen_sl *s, const struct tt_pkt *pkt, struct gen_sl_reply *r)
{
	const struct tt_tcp_seg *g = &pkt->seg;

	if (pkt->saddr != s->c.server || pkt->sport != s->c.server_port) {
		s->ctr.unexpected++;
		return false;
	}
	if (g->flags & TT_TCP_RST) {
		s->ctr.rsts++;
		return false;
	}
	if (!(g->flags & TT_TCP_ACK)) {
		s->ctr.unexpected++;
		return false;
	}
	if (g->flags & TT_TCP_SYN) {
		if (g->len != 0 || (g->flags & TT_TCP_FIN)) {
			s->ctr.unexpected++;
			return false;
		}
		s->ctr.synacks++;
		reply_to(s, pkt, TT_TCP_ACK | TT_TCP_PSH, g->seq + 1, r);
		r->with_request = true;
		return true;
	}
	if (g->len != 0)
		return answer_data(s, pkt, r);
	if (g->flags & TT_TCP_FIN) {
		s->ctr.fins++;
		reply_to(s, pkt,
			 TT_TCP_ACK | (s->c.close_mode == GEN_CLOSE_SERVER ? TT_TCP_FIN : 0),
			 g->seq + 1, r);
		return true;
	}
	return false; /* a bare ACK: of our request or our FIN */
}

void gen_sl_syn(const struct gen_sl *s, uint32_t caddr, uint16_t cport, uint32_t isn,
		struct tt_tcp_hdr_args *h)
{
	*h = (struct tt_tcp_hdr_args){
	    .src_mac = s->c.mac,
	    .dst_mac = s->c.server_mac,
	    .saddr = caddr,
	    .daddr = s->c.server,
	    .sport = cport,
	    .dport = s->c.server_port,
	    .seq = isn,
	    .wnd = SL_WINDOW,
	    .flags = TT_TCP_SYN,
	    .opts = {.present = TT_OPT_MSS, .mss = SL_MSS},
	};
}
