/*
 * gen_responder: an HTTP server that keeps no TCP state, the yardstick
 * beside the appliance's per-core figures (tcpterm-gen --scenario respond,
 * run in the appliance's place, on its port and CPU, by bench/run.sh).
 *
 * As dperf's server and the stateless client (gen_stateless.h) do, every
 * reply is computed from the segment it answers and written over it from
 * a template (gen_tmpl.h).  A connection then costs the port's calls, the
 * parse of its segments (tt_net_parse, the appliance's own, checksums
 * verified as the port leaves them) and a template write per reply, and
 * nothing else: no connection table, no TCB, no timer, no send queue, no
 * HTTP parse beyond a request's last four bytes.  What the appliance spends
 * beyond it for the same connections on the same port is what being a TCP
 * endpoint costs.
 *
 *   SYN (without ACK)         -> SYN-ACK with our MSS (the window 65,535
 *                                unscaled, no other option, as the
 *                                appliance answers the bench's clients),
 *                                seq a function of the 4-tuple, ack
 *                                their seq + 1
 *   a request (ACK with data  -> the response: seq their ack, ack their
 *   that ends "\r\n\r\n")        seq + len; the keep-alive response, or
 *                                with server close the "Connection:
 *                                close" one, our FIN with it
 *   FIN without data          -> client close: ACK + FIN; server close
 *                                (their FIN acknowledges ours): ACK
 *   a bare ACK, an RST        -> nothing
 *   anything else             -> counted as unexpected, nothing
 *
 * The response is the appliance's, byte for byte: the configuration's
 * default headers and a body of `body` bytes of the alphabet
 * (tt_reload_http_response).  One request a segment: a pipelined batch
 * gets one response.  It checks nothing of a segment against a sequence
 * space it does not keep, so it answers only the benchmark's own clients
 * on a link of their own.  Any lcore; no DPDK here.
 */
#ifndef GEN_RESPONDER_H
#define GEN_RESPONDER_H

#include <stdbool.h>
#include <stdint.h>

#include "gen_tmpl.h"
#include "tt_net.h"

enum gen_rsp_frame {
	GEN_RSP_SYN_ACK,
	GEN_RSP_RESPONSE,
	GEN_RSP_FIN_ACK,
	GEN_RSP_ACK,
	GEN_RSP_FRAMES
};

struct gen_rsp_ctr {
	uint64_t syn_acks;   /* connections answered */
	uint64_t responses;  /* requests answered */
	uint64_t fins;	     /* the clients' FINs answered */
	uint64_t unexpected; /* TCP segments to us that none of the above answers */
	uint64_t not_ours;   /* frames the parse dropped, or segments to another address or port */
};

struct gen_rsp {
	uint32_t server;
	uint16_t server_port;
	bool server_close;
	struct gen_tmpl frames[GEN_RSP_FRAMES];
	struct gen_rsp_ctr ctr;
};

/*
 * The templates of r's replies, from the server's MAC, address and port, with a response of body
 * bytes, and the checksums offload (TT_TX_*) leaves to the port; false: the response does not
 * fit a template (GEN_TMPL_ROOM) or cannot be rendered.
 */
bool gen_rsp_init(struct gen_rsp *r, const struct tt_mac *mac, uint32_t server,
		  uint16_t server_port, uint32_t body, bool server_close, unsigned offload);

/*
 * The reply to pkt, parsed from frame (room: GEN_TMPL_ROOM bytes), written over it: its length,
 * or 0 when pkt gets none (counted in r->ctr).  pkt's payload is read before the frame is.
 */
uint32_t gen_rsp_answer(struct gen_rsp *r, const struct tt_pkt *pkt, uint8_t *frame);

#endif
