/*
 * gen_stateless: a cps and keep-alive client without TCP connection state,
 * for rate runs where the generator must never be the bottleneck
 * (tcpterm-gen --scenario cps|rps --stateless; the bench's cps, rps,
 * rps_pipelined and overload scenarios).
 *
 * As dperf's client: SYNs go out open loop at --rate (in batches of 16 or
 * with replies, at most 20 us late: gen_stateless_run.c; 0: as fast as the
 * TX queue takes them) from a walk over the (client address, port) tuples
 * (ports fastest, then addresses, wrapping), and every reply is computed
 * from the segment it answers (and, pipelined, the responses its connection
 * still waits for), written over that segment's mbuf:
 *
 *   SYN-ACK            -> ACK carrying the request (seq = their ack,
 *                         ack = their seq + 1);
 *   a whole response   -> client close: ACK + FIN; server close: ACK
 *                         (ACK + FIN when the response carries the FIN);
 *   other data         -> ACK (counted: a response cut across segments);
 *   FIN without data   -> ACK (client close: the server's FIN in LAST-ACK),
 *                         ACK + FIN (server close: the server closed first);
 *   RST                -> counted, no reply;
 *   a bare ACK         -> nothing (it acknowledges our FIN or request);
 *   anything else      -> counted as unexpected, no reply.
 *
 * Keep-alive (tcpterm-gen --scenario rps --stateless --pipeline K): --conns
 * connections are opened as at --rate 0 and kept, each with K requests in
 * flight (K = 1 by default, at most GEN_SL_PIPELINE_MAX), sent together in
 * one segment; while the load lasts (asking) the segment that carries the
 * last of a connection's K responses is answered with the next K (ACK + the
 * requests, seq = their ack, ack = their seq + len), after it with ACK +
 * FIN, and the connection ends as a client-close one.  A segment with some
 * of the K responses (the appliance cut them across segments) gets an ACK:
 * the next requests wait for the last response, when the server's ack
 * covers every request sent, which is what lets seq be their ack.  So the
 * K responses must fit one segment whole or be cut between responses: K x
 * the response's bytes at most 1460 (the rps_pipelined scenario: 8 x 153);
 * a response cut inside fails its connection.  Nothing is sent twice: a
 * request the appliance did not take (its send blocks all in use) leaves
 * its connection waiting, unfinished when the run ends.
 *
 * Nothing else is ever sent twice, and at --rate N not even a SYN: a lost
 * frame costs its connection.  (A reply the client's own TX queue refuses
 * is not lost: it is held and goes first in a later burst, gen_sl_tx.h.)
 * At --rate 0 (--conns in flight) a SYN still unanswered after syn_rto_ms,
 * plus its port's share of another syn_rto_ms (port mod syn_rto_ms ms),
 * goes out again, same tuple and ISN, found by a sweep of GEN_SL_SWEEP
 * table entries a loop: the appliance sheds SYNs while its RX queue backs
 * up, as it does when it is the saturated side.  The share spreads the
 * repeats of SYNs shed together over a timeout: sent again together, they
 * would fill the appliance's polls as one wave again and be shed again.
 *
 * --alternate (cps at --rate N): the closed loop and the open loop take
 * turns by the TSC (GEN_SL_ALTERNATE_SHIFT), so that a benchmark compares
 * the two in the same minutes (bench/alternate.py groups the appliance's
 * samples by the same bit).  While the closed loop's turn lasts, SYNs go
 * out as at --rate 0: --conns of its own connections in flight, each SYN
 * sent again until answered; during the open loop's, at N a second from
 * the turn's start, never sent twice.  A connection keeps the loop that
 * opened it: the closed loop counts only its own in flight, and repeats
 * only its own SYNs.  With --alternate-factor F, each open turn offers F x
 * what the closed turn before it served instead (struct gen_sl_turn_rate).
 *
 * A response is whole when one segment carries it, and good when it is
 * byte for byte the reference: the first whole one is checked in full
 * (status "HTTP/1.1 200 ", Content-Length = --body, the head's end, every
 * body byte of the pattern byte i = 'a' + i % 26) and becomes the
 * reference; every later one is compared with it by one memcmp.  That
 * needs a response no longer than one segment (GEN_SL_BODY_MAX).
 *
 * The replies need no state, but the counts do: each connection's phase
 * sits in a table indexed directly by its client port (the tuple walk
 * turns ports fastest, so the connections in flight have distinct ports
 * unless one is older than a whole round of them), with its client
 * address to tell a stray segment from its own:
 *
 *   SYN taken by the TX queue  -> SYN_SENT (the port's previous
 *                                 connection, if unfinished: timed out)
 *   SYN-ACK                    -> REQUEST
 *   good whole responses, the  -> RESPONSE (server close, with the FIN:
 *   last of those due             DONE; keep-alive while asking: REQUEST
 *                                 again); bad ones, a response cut inside,
 *                                 more than were due, a FIN before the
 *                                 last: failed
 *   FIN without data           -> DONE, after RESPONSE
 *   RST                        -> failed
 *
 * So completed + failed + in flight = SYNs taken, each connection counted
 * once; a segment of a connection not in the phase it answers (a
 * retransmission, a late one) is counted as stray and answered as ever.
 * DONE and failed free the entry.  An entry is 12 bytes: 768 KiB for the
 * 64 Ki ports, no hashing.
 *
 * Every frame the client sends is one of four kinds (a SYN with the MSS
 * option, an ACK, an ACK + FIN, the requests with ACK + PSH), differing only in the
 * client's address and port and the two sequence numbers: each is written
 * from a template (gen_tmpl.h) with incremental checksums, the bytes the
 * general builder would write, at a copy and a few additions (in the
 * overload scenario's profile the builder took 7.9% of the generator's
 * cycles, the templates 2.0%).
 */
#ifndef GEN_STATELESS_H
#define GEN_STATELESS_H

#include <stdbool.h>
#include <stdint.h>

#include "gen_http.h"
#include "gen_tmpl.h"
#include "tt_net.h"

/* --body at most: the response's head and body fit one 1460-byte segment.  --pipeline at most
 * (keep-alive): the requests of a connection go in one segment (and one template); the
 * responses must fit one too (above). */
enum { GEN_SL_BODY_MAX = 1024, GEN_SL_PIPELINE_MAX = 8 };

/* What the client answers with: fixed for the run. */
struct gen_sl_conf {
	struct tt_mac mac, server_mac;
	uint32_t server;
	uint16_t server_port;
	enum gen_close_mode close_mode;
	uint32_t body_len;
	const uint8_t *request; /* the GET; "Connection: close" in server-close mode */
	uint32_t request_len;
	uint32_t client_first; /* our addresses: client_first .. + client_count - 1 */
	uint32_t client_count;
	bool keep_alive;   /* responses are answered with the next requests while asking */
	uint32_t pipeline; /* keep-alive: requests in flight per connection, 1..PIPELINE_MAX */
};

/* Where a connection is (its port's table entry); FREE: never opened, or done with. */
enum gen_sl_phase { GEN_SL_FREE, GEN_SL_SYN_SENT, GEN_SL_REQUEST, GEN_SL_RESPONSE };

struct gen_sl_conn {
	uint16_t client; /* index into the client addresses (client_count <= 65536) */
	uint8_t phase;
	uint8_t closed;	 /* opened by the closed loop: its SYN is sent again until answered */
	uint8_t waiting; /* REQUEST: responses still due */
	uint32_t syn_ms; /* when its SYN last went out */
};

/* GEN_SL_ALTERNATE_SHIFT: with --alternate, a loop's turn lasts 2^30 TSC cycles (0.44 s at
 * 2.45 GHz); the closed loop's turns are those whose bit 30 is 0. */
enum {
	GEN_SL_PORTS = 65536,
	GEN_SL_REF_MAX = 1460,
	GEN_SL_SWEEP = 64,
	GEN_SL_ALTERNATE_SHIFT = 30
};

#define GEN_SL_COUNTERS(X)                                                                         \
	X(syns_sent, "SYNs offered to the TX queue")                                               \
	X(syns_accepted, "of which the TX queue took")                                             \
	X(synacks, "SYN-ACKs answered with the request")                                           \
	X(requests, "requests sent: with the handshake's ACK, and keep-alive after responses")     \
	X(responses, "whole responses seen")                                                       \
	X(partial, "data segments that were not whole responses, at most as many as were due")     \
	X(bad_data, "connections failed on a bad, cut or unasked-for response, or a FIN early")    \
	X(completed, "connections done: response verified and FINs exchanged")                     \
	X(reset, "connections in flight the server reset")                                         \
	X(timed_out, "connections still unfinished when their port came round again")              \
	X(stray, "segments of a connection not in the phase they answer")                          \
	X(syn_retransmits, "SYNs sent again after syn_rto_ms unanswered")                          \
	X(fins, "FINs from the server")                                                            \
	X(rsts, "RSTs from the server")                                                            \
	X(unexpected, "TCP segments with no reply in the client's rules")                          \
	X(not_tcp, "frames not TCP to one of our addresses (ARP requests answered)")               \
	X(replies, "replies offered to the TX queue")                                              \
	X(tx_refused, "frames the TX queue refused, each once: SYNs freed, replies held/dropped")  \
	X(replies_held, "refused replies kept for the next burst (gen_sl_tx.h)")                   \
	X(replies_resent, "held replies the TX queue took later")                                  \
	X(replies_dropped, "refused replies freed, the hold full: their connections time out")     \
	X(no_mbuf, "iterations whose SYNs found the pool empty (sent later, as due)")              \
	X(rx_frames, "frames received")                                                            \
	X(polls, "receive bursts asked for")                                                       \
	X(full_polls, "of which came back full: the RX ring held more (the client is behind)")     \
	X(tx_frames, "frames the TX queue took")

#define GEN_SL_FIELD(name, doc) uint64_t name;
struct gen_sl_ctr {
	GEN_SL_COUNTERS(GEN_SL_FIELD)
};
#undef GEN_SL_FIELD

/* The frames the client sends (their templates: gen_sl_frames_init). */
enum gen_sl_frame {
	GEN_SL_FRAME_SYN,
	GEN_SL_FRAME_ACK,
	GEN_SL_FRAME_FIN_ACK,
	GEN_SL_FRAME_REQUEST, /* ACK + PSH with a batch: c.request, keep-alive c.pipeline times */
	GEN_SL_FRAMES
};

/* The client's state: the run's constants, what it learned, its counters. */
struct gen_sl {
	struct gen_sl_conf c;
	struct gen_tmpl frames[GEN_SL_FRAMES];
	struct gen_sl_conn *conns; /* GEN_SL_PORTS entries, by client port */
	uint64_t in_flight;	   /* opened, neither completed nor failed */
	uint64_t closed_in_flight; /* of those, opened by the closed loop */
	uint32_t syn_rto_ms;	   /* 0: a SYN is never sent again */
	uint32_t isn_key;
	uint32_t sweep;		   /* the next table entry the SYN sweep looks at */
	uint32_t response_len;	   /* the reference's; 0: not learned yet */
	bool asking;		   /* keep-alive: the load lasts, responses get a next request */
	uint8_t ref[GEN_SL_REF_MAX];
	struct gen_sl_ctr ctr;
};

/* One frame to send: which one, from (caddr, cport) to the server, with seq and ack. */
struct gen_sl_reply {
	uint32_t caddr;
	uint32_t seq, ack;
	uint16_t cport;
	uint8_t frame; /* enum gen_sl_frame */
};

/* The frames' templates, with the checksums offload (TT_TX_*) leaves to the port; false: the
 * request does not fit one (GEN_TMPL_ROOM). */
bool gen_sl_frames_init(struct gen_sl *s, unsigned offload);

/* Write r's frame at frame (room: GEN_TMPL_ROOM bytes); its length. */
uint32_t gen_sl_write(const struct gen_sl *s, const struct gen_sl_reply *r, uint8_t *frame);

/*
 * The reply to TCP segment pkt (parsed, from the server to one of our
 * addresses), counted in s->ctr; false: no reply.
 */
bool gen_sl_answer(struct gen_sl *s, const struct tt_pkt *pkt, struct gen_sl_reply *r);

/* The TX queue took the SYN of (client address index, port) at now_ms: the connection is in
 * flight, opened by the closed loop (its SYN repeated until answered) or not. */
void gen_sl_opened(struct gen_sl *s, uint32_t client, uint16_t port, uint32_t now_ms, bool closed);

/* The initial sequence number of (client address index, port): the same for its SYN's repeats. */
uint32_t gen_sl_isn(const struct gen_sl *s, uint32_t client, uint16_t port);

/*
 * Sweep the next GEN_SL_SWEEP table entries: the ports of the closed loop's connections whose
 * SYN is due again (syn_rto_ms and its port's share unanswered), at most max of them, into
 * ports (their client in the entry); their time is now_ms from here on.  The count.
 */
unsigned gen_sl_syns_due(struct gen_sl *s, uint32_t now_ms, uint16_t *ports, unsigned max);

/*
 * --alternate-factor F: the open loop's rate for each of its turns, F x the connections the
 * client completed a second over the second half of the closed turn before it.  That is the
 * appliance's capacity as the benchmark measures it (the closed turns saturate it) in the same
 * half second, so the overload the open turn offers follows the host's speed from turn to turn;
 * the half leaves out the switch (the appliance's configuration reload, the last connections of
 * the open turn before).  Until a closed turn's second half has been measured, and after one
 * that completed nothing, the rate stays as it was (--rate at first); F = 0: always --rate.
 */
struct gen_sl_turn_rate {
	double factor, rate; /* rate: the open loop's SYNs a second */
	uint64_t mark_turn;  /* the closed turn measured, or the open turn its rate is for */
	uint64_t mark_tsc, mark_completed;
};

void gen_sl_turn_rate_init(struct gen_sl_turn_rate *t, double factor, double rate);

/* At TSC tsc with completed connections so far: the open loop's rate (SYNs a second). */
double gen_sl_turn_rate_update(struct gen_sl_turn_rate *t, uint64_t tsc, uint64_t tsc_hz,
			       uint64_t completed);

/* Connections failed so far: reset, bad response, timed out. */
uint64_t gen_sl_failed(const struct gen_sl *s);

/* The SYN of (client address index, port), with its initial sequence number (gen_sl_isn). */
void gen_sl_syn(const struct gen_sl *s, uint32_t client, uint16_t port, struct gen_sl_reply *r);

#endif
