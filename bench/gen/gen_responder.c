/* Replies computed from the segments they answer; see gen_responder.h. */
#include <string.h>

#include "gen_responder.h"
#include "tt_conf.h"
#include "tt_reload.h"

enum { RSP_MSS = 1460, RSP_WINDOW = 65535 };

static const uint8_t head_end[4] = {'\r', '\n', '\r', '\n'};

/* A template of the server's reply with flags (and payload) to a client: only its MAC is not. */
static bool frame_init(struct gen_rsp *r, enum gen_rsp_frame f, const struct tt_mac *mac,
		       uint8_t flags, const uint8_t *payload, uint32_t len, unsigned offload)
{
	struct tt_tcp_hdr_args a = {
	    .src_mac = *mac,
	    .saddr = r->server,
	    .sport = r->server_port,
	    .wnd = RSP_WINDOW,
	    .flags = flags,
	};

	if (f == GEN_RSP_SYN_ACK)
		a.opts = (struct tt_tcp_opts){.present = TT_OPT_MSS, .mss = RSP_MSS};
	return gen_tmpl_init_reply(&r->frames[f], &a, payload, len, offload);
}

bool gen_rsp_init(struct gen_rsp *r, const struct tt_mac *mac, uint32_t server,
		  uint16_t server_port, uint32_t body, bool server_close, unsigned offload)
{
	static struct tt_conf conf; /* about 12 KiB: not on the stack */
	struct tt_http_response http;
	uint8_t fin = server_close ? TT_TCP_FIN : 0;
	bool ok;

	*r = (struct gen_rsp){
	    .server = server, .server_port = server_port, .server_close = server_close};
	tt_conf_defaults(&conf);
	conf.http.body_size = body;
	if (tt_reload_http_response(&conf.http, &http) != 0)
		return false;
	ok = frame_init(r, GEN_RSP_SYN_ACK, mac, TT_TCP_SYN | TT_TCP_ACK, NULL, 0, offload) &&
	     frame_init(r, GEN_RSP_RESPONSE, mac, TT_TCP_ACK | TT_TCP_PSH | fin,
			server_close ? http.close : http.keep_alive,
			server_close ? http.close_len : http.keep_alive_len, offload) &&
	     frame_init(r, GEN_RSP_FIN_ACK, mac, TT_TCP_ACK | TT_TCP_FIN, NULL, 0, offload) &&
	     frame_init(r, GEN_RSP_ACK, mac, TT_TCP_ACK, NULL, 0, offload);
	tt_http_response_free(&http);
	return ok;
}

/* Our initial sequence number: any value does (the client takes it from the SYN-ACK), so one
 * that differs from tuple to tuple, as a real server's would. */
static uint32_t isn(const struct tt_pkt *pkt)
{
	return (pkt->saddr * 0x9e3779b1u) ^ ((uint32_t)pkt->sport << 16) ^ pkt->seg.seq;
}

static uint32_t reply(const struct gen_rsp *r, enum gen_rsp_frame f, const struct tt_pkt *pkt,
		      uint32_t seq, uint32_t ack, uint8_t *frame)
{
	uint32_t len = gen_tmpl_write(&r->frames[f], frame, pkt->saddr, pkt->sport, seq, ack);

	/* Back to the MAC it came from: no sum covers it. */
	memcpy(frame, pkt->src_mac.b, sizeof(pkt->src_mac.b));
	return len;
}

static bool whole_request(const struct tt_tcp_seg *g)
{
	return g->len >= sizeof(head_end) &&
	       memcmp(g->payload + g->len - sizeof(head_end), head_end, sizeof(head_end)) == 0;
}

uint32_t gen_rsp_answer(struct gen_rsp *r, const struct tt_pkt *pkt, uint8_t *frame)
{
	const struct tt_tcp_seg *g = &pkt->seg;
	uint8_t fl = g->flags & (TT_TCP_SYN | TT_TCP_ACK | TT_TCP_FIN | TT_TCP_RST);

	if (pkt->daddr != r->server || pkt->dport != r->server_port) {
		r->ctr.not_ours++;
		return 0;
	}
	if (fl == TT_TCP_SYN) {
		r->ctr.syn_acks++;
		return reply(r, GEN_RSP_SYN_ACK, pkt, isn(pkt), g->seq + 1, frame);
	}
	if (fl == TT_TCP_ACK && g->len == 0)
		return 0; /* of our SYN-ACK, response or FIN */
	if (fl == TT_TCP_ACK && whole_request(g)) {
		r->ctr.responses++;
		return reply(r, GEN_RSP_RESPONSE, pkt, g->ack, g->seq + g->len, frame);
	}
	if (fl == (TT_TCP_ACK | TT_TCP_FIN) && g->len == 0) {
		r->ctr.fins++;
		return reply(r, r->server_close ? GEN_RSP_ACK : GEN_RSP_FIN_ACK, pkt, g->ack,
			     g->seq + 1, frame);
	}
	if (!(fl & TT_TCP_RST))
		r->ctr.unexpected++;
	return 0;
}
