/*
 * tcpterm-trace: a fixed, repeatable workload for instruction and cycle counts.
 *
 * N short HTTP connections (SYN with MSS, window scale, SACK-permitted and
 * timestamps; the handshake's ACK carrying a GET, as the bench's clients send
 * it (bench/gen/gen_stateless.h); our response; the client's FIN; our FIN;
 * its ACK: four frames in, three out) run through the real tt_stack, with
 * frames built and parsed by tt_net exactly as on the wire, but in memory:
 * no NIC, no EAL, no clock.
 * The port is the bench link's (virtio): it completes the TCP sum of what we
 * send and vouches for the TCP sum of what we receive, so as on that link no
 * segment is summed in software.  The clients' frames of a burst are parsed
 * as the worker parses a received burst (worker_parse), then reach the stack
 * together (tt_stack_input_burst), up to TT_STACK_BURST of them.
 *
 * Two measures of tcpterm's own work on it, per connection (or request, or
 * SYN below):
 * - under callgrind (bench/trace.sh), the instructions of the stack's calls
 *   and of worker_parse, the same on every run whatever else the machine
 *   does, so a change's cost shows before any benchmark's noise would;
 * - run natively, the TSC cycles of the same calls (parse_tsc, stack_tsc in
 *   the JSON line): that work with every line it touches in cache and no
 *   PMD, which set beside a benchmark's busy cycles tells the cycles of
 *   instructions from those of the link's and the table's misses.
 * Our frames' buffers come from a stack of free ones, the last freed first
 * (as the worker's mempool cache gives them), so no allocator is timed.
 *
 * --synflood N: N SYNs (the same options), each from its own 4-tuple, to a
 * listener answering every SYN with a cookie (syncookies "always").  Each
 * burst's frames are built just before it (uncounted), as a burst lands in
 * the RX ring; the worker's parse of them and their burst through the stack
 * (synflood_burst) are the counted parts, each SYN-ACK freed as it comes out.
 *
 * --keepalive CONNS REQUESTS: CONNS connections opened once (uncounted), then
 * REQUESTS GETs round-robin over them, one in flight per connection as wrk and
 * the rps scenario keep it: each round every connection sends its next GET,
 * which ACKs the previous response, and the responses come back before the
 * next round; a last bare ACK per connection closes the count.  Rounds go
 * KEEPALIVE_CHUNK connections at a time (the frames in flight), so up to
 * KEEPALIVE_MAX connections take turns: past a few thousand, each request
 * meets its connection's TCB and table slot cold, as a worker holding that
 * many connections does (client k is 198.19.0.0 + k % 65536, port 1024 +
 * k / 65536).  The clock
 * moves 1 ms per REQUESTS_PER_MS requests (the goal of 6 M requests/s
 * per core), with the timers run every round as the worker runs them every
 * loop.  run_requests() is the counted part.
 *
 *   tcpterm-trace [connections] [concurrent]
 *   tcpterm-trace --synflood N
 *   tcpterm-trace --keepalive CONNS REQUESTS
 *   tcpterm-trace --clock          the core's cycles per TSC cycle (clock_ratio)
 *
 * The appliance's checksums are those of the bench link's port with its offloads (the TCP sum
 * of a frame sent left to the port, a received one vouched for); with TT_TRACE_CHECKSUMS=software
 * in the environment, every one is computed and verified in software, as the port of
 * bench/run.sh VIRTIO_RX=plain has it, and a memif port, which offers no checksum offload.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "tt_app.h"
#include "tt_http.h"
#include "tt_stack.h"

enum {
	ROOM = 2048,
	MTU = 1500,
	MAX_FRAMES = 4096,
	US_ADDR = 0xc6120002u,
	PEER_BASE = 0xc6130000u, /* 198.19.0.0/16: the clients */
	PEERS = 65536,
	SYN_ROOM = 128, /* a SYN with options: 74 bytes */
	SYN_FRAME_OFF_FLAGS = 14 + 20 + 13,
	POOL_FRAMES = MAX_FRAMES + 64, /* every frame in flight, and the stack's spare ones */
	REQUESTS_PER_MS = 6000,
	MAX_CONCURRENT = 1024,
	KEEPALIVE_CHUNK = 1024, /* keep-alive clients whose segments are in flight at once */
	KEEPALIVE_MAX = 1u << 20,
};

/* Where a client is in its connection. */
enum client_step {
	STEP_SYN_SENT,
	STEP_REQUESTED, /* a short connection's GET sent: the response, then close */
	STEP_CLOSING,	/* our FIN awaited */
	STEP_DONE,
	STEP_OPEN, /* keep-alive: the next request is the run's to send */
};

static const struct tt_mac us_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct tt_mac peer_mac = {{0x02, 0, 0, 0, 0, 0x02}};
static const char request[] = "GET / HTTP/1.1\r\nHost: trace\r\n\r\n";

struct client {
	uint32_t addr;
	uint16_t port;
	uint32_t nxt, rcv_nxt, ts_recent;
	uint64_t got;	   /* response bytes */
	uint64_t requests; /* keep-alive GETs sent */
	uint8_t step;	   /* enum client_step */
	bool keep_alive;
};

struct trace {
	struct tt_conf conf;
	struct tt_counters ctr;
	struct tt_http_response http;
	uint8_t listen_app[65536];
	struct tt_stack *st;
	uint64_t now;
	unsigned n_frames;
	unsigned long frames_out, frames_in;
	uint8_t *frames[MAX_FRAMES];
	uint32_t frame_len[MAX_FRAMES];
	/* Our frames' buffers: a stack of free ones, the last freed taken first (as the worker's
	 * mempool cache gives them), so no allocator's cost is in the stack's. */
	unsigned n_free;
	uint8_t *free_frames[POOL_FRAMES];
	/* The clients' frames of one burst, built, not yet parsed and handed over. */
	unsigned n_rx;
	uint8_t rx[TT_STACK_BURST][ROOM];
	uint32_t rx_len[TT_STACK_BURST];
	struct tt_pkt rx_pkt[TT_STACK_BURST];
	void *rx_owner[TT_STACK_BURST];
	struct tt_net_if us_if, peer_if;
	/* TSC cycles of the counted phase in the worker's parse of the clients' frames and in the
	 * stack's calls (tt_stack_input_burst, tt_stack_timers): tcpterm's own work, timed when
	 * the trace runs natively. */
	uint64_t parse_tsc, stack_tsc;
};

static __attribute__((noinline)) void *frame_alloc(void *arg, uint8_t **data, uint32_t *room)
{
	struct trace *t = arg;

	if (t->n_free == 0)
		return NULL;
	*data = t->free_frames[--t->n_free];
	*room = ROOM;
	return *data;
}

static __attribute__((noinline)) void frame_free(void *arg, void *frame)
{
	struct trace *t = arg;

	t->free_frames[t->n_free++] = frame;
}

/*
 * The stack's timers at the trace's clock, timed as the stack's work.  This and stack_input
 * stay calls of their own whatever the linker inlines into them: bench/trace.sh counts the
 * stack's instructions as theirs (frame_alloc and frame_free, the trace's buffers, apart).
 */
static __attribute__((noinline)) void stack_timers(struct trace *t)
{
	uint64_t t0 = rte_rdtsc();

	tt_stack_set_time(t->st, t->now);
	tt_stack_timers(t->st);
	t->stack_tsc += rte_rdtsc() - t0;
}

static void frame_send(void *arg, unsigned port, void *frame, uint32_t len)
{
	struct trace *t = arg;

	(void)port;
	if (t->n_frames == MAX_FRAMES) {
		fprintf(stderr, "tcpterm-trace: more frames in flight than %d\n", MAX_FRAMES);
		exit(1);
	}
	t->frames[t->n_frames] = frame;
	t->frame_len[t->n_frames++] = len;
	t->frames_out++;
}

/* Received buffers are the trace's own array: nothing to count. */
static void no_ref(void *arg, void *owner)
{
	(void)arg;
	(void)owner;
}

/*
 * What the worker does to each frame of a received burst before the stack sees it (m frames
 * stride bytes apart), timed; the trace's own frames always parse.
 */
static __attribute__((noinline)) void worker_parse(struct trace *t, uint8_t *frames, size_t stride,
						   const uint32_t *len, struct tt_pkt *pkts,
						   unsigned m)
{
	uint64_t t0 = rte_rdtsc();

	for (unsigned k = 0; k < m; k++) {
		enum tt_drop reason;

		if (tt_net_parse(frames + k * stride, len[k], &t->us_if, &pkts[k], &reason) !=
		    TT_PKT_TCP) {
			fprintf(stderr, "tcpterm-trace: a frame of the clients did not parse\n");
			exit(1);
		}
	}
	t->parse_tsc += rte_rdtsc() - t0;
}

/* A burst of the clients' segments through the stack, timed. */
static __attribute__((noinline)) void stack_input(struct trace *t, const struct tt_pkt *pkts,
						  void **owners, unsigned m)
{
	uint64_t t0 = rte_rdtsc();

	tt_stack_input_burst(t->st, 0, pkts, owners, m);
	t->stack_tsc += rte_rdtsc() - t0;
	t->frames_in += m;
}

/* The clients' frames so far: parsed as the worker parses a received burst, then to the stack
 * as one burst. */
static void peer_flush(struct trace *t)
{
	worker_parse(t, t->rx[0], ROOM, t->rx_len, t->rx_pkt, t->n_rx);
	for (unsigned i = 0; i < t->n_rx; i++)
		t->rx_owner[i] = t->rx[i];
	stack_input(t, t->rx_pkt, t->rx_owner, t->n_rx);
	t->n_rx = 0;
}

/* The header of client c's next segment, with the options a Linux client sends. */
static struct tt_tcp_hdr_args client_hdr(const struct client *c, uint8_t flags, uint32_t tsval)
{
	struct tt_tcp_hdr_args a = {
	    .src_mac = peer_mac,
	    .dst_mac = us_mac,
	    .saddr = c->addr,
	    .daddr = US_ADDR,
	    .sport = c->port,
	    .dport = 80,
	    .seq = c->nxt,
	    .ack = (flags & TT_TCP_ACK) ? c->rcv_nxt : 0,
	    .wnd = 65535,
	    .flags = flags,
	    .opts = {.present = TT_OPT_TS, .tsval = tsval, .tsecr = c->ts_recent},
	};

	if (flags & TT_TCP_SYN) {
		a.opts.present |= TT_OPT_MSS | TT_OPT_WSCALE | TT_OPT_SACK_OK;
		a.opts.mss = 1460;
		a.opts.wscale = 7;
	}
	return a;
}

/* A segment from client c, built as the worker would receive it, into the burst. */
static void peer_send(struct trace *t, struct client *c, uint8_t flags, const char *data,
		      uint32_t len)
{
	struct tt_tcp_hdr_args a = client_hdr(c, flags, (uint32_t)t->now);
	uint8_t *frame = t->rx[t->n_rx];
	uint32_t hl;

	hl = tt_net_tcp_build(frame, &a, len);
	if (len > 0)
		memcpy(frame + hl, data, len);
	tt_net_tcp_cksum(frame, false);
	t->rx_len[t->n_rx++] = hl + len;
	c->nxt += len + ((flags & (TT_TCP_SYN | TT_TCP_FIN)) ? 1 : 0);
	if (t->n_rx == TT_STACK_BURST)
		peer_flush(t);
}

/* What client c learns from one of our frames; returns true when it owes an ACK. */
static int peer_receive(struct client *c, const struct tt_pkt *pkt)
{
	const struct tt_tcp_seg *s = &pkt->seg;

	if (s->opts.present & TT_OPT_TS)
		c->ts_recent = s->opts.tsval;
	if (s->flags & TT_TCP_SYN) {
		c->rcv_nxt = s->seq + 1;
		return 1;
	}
	if (s->seq == c->rcv_nxt) {
		c->rcv_nxt += s->len + ((s->flags & TT_TCP_FIN) ? 1 : 0);
		c->got += s->len;
	}
	return s->len > 0 || (s->flags & TT_TCP_FIN);
}

/* Each client takes its next step once our frames reached it. */
static void peer_step(struct trace *t, struct client *c, uint32_t response_len)
{
	switch (c->step) {
	case STEP_SYN_SENT: /* SYN-ACK: a bare ACK, or (a short connection) the request on it */
		if (c->keep_alive) {
			peer_send(t, c, TT_TCP_ACK, NULL, 0);
			c->step = STEP_OPEN;
			break;
		}
		peer_send(t, c, TT_TCP_ACK | TT_TCP_PSH, request, sizeof(request) - 1);
		c->step = STEP_REQUESTED;
		break;
	case STEP_REQUESTED: /* the response: ACK it and close */
		if (c->got < response_len)
			return;
		peer_send(t, c, TT_TCP_ACK | TT_TCP_FIN, NULL, 0);
		c->step = STEP_CLOSING;
		break;
	case STEP_CLOSING: /* our FIN: the last ACK */
		peer_send(t, c, TT_TCP_ACK, NULL, 0);
		c->step = STEP_DONE;
		break;
	default:
		break;
	}
}

static void peer_deliver(struct trace *t, struct client *clients, unsigned n_clients,
			 uint32_t response_len)
{
	unsigned n = t->n_frames;
	uint8_t *owes = calloc(n_clients, 1);

	t->n_frames = 0;
	for (unsigned i = 0; i < n; i++) {
		enum tt_drop reason;
		struct tt_pkt pkt;
		unsigned k;

		if (tt_net_parse(t->frames[i], t->frame_len[i], &t->peer_if, &pkt, &reason) !=
		    TT_PKT_TCP) {
			fprintf(stderr, "tcpterm-trace: a frame of ours did not parse\n");
			exit(1);
		}
		k = pkt.daddr - PEER_BASE;
		owes[k] |= (uint8_t)peer_receive(&clients[k], &pkt);
		frame_free(t, t->frames[i]);
	}
	for (unsigned k = 0; k < n_clients; k++)
		if (owes[k])
			peer_step(t, &clients[k], response_len);
	peer_flush(t);
	free(owes);
}

/* The measured part: batches of `concurrent` connections from SYN to the last ACK. */
static __attribute__((noinline)) unsigned long run_connections(struct trace *t, unsigned n,
							       unsigned concurrent)
{
	struct client *clients = calloc(concurrent, sizeof(*clients));
	unsigned long done = 0;

	for (unsigned base = 0; base < n; base += concurrent) {
		unsigned m = n - base < concurrent ? n - base : concurrent;

		for (unsigned k = 0; k < m; k++) {
			struct client *c = &clients[k];

			memset(c, 0, sizeof(*c));
			c->addr = PEER_BASE + k;
			c->port = (uint16_t)(1024 + (base / concurrent) % 60000);
			c->nxt = 0x1000000u * k + base;
			peer_send(t, c, TT_TCP_SYN, NULL, 0);
		}
		peer_flush(t);
		for (unsigned round = 0; round < 16 && t->n_frames > 0; round++)
			peer_deliver(t, clients, m, t->http.keep_alive_len);
		for (unsigned k = 0; k < m; k++)
			done += clients[k].step == STEP_DONE &&
				clients[k].got == t->http.keep_alive_len;
		t->now += 1;
		stack_timers(t);
	}
	free(clients);
	return done;
}

/*
 * Our frames to keep-alive clients [from, from + n) of clients, n <= KEEPALIVE_CHUNK and from a
 * multiple of it: a chunk's addresses are distinct, and peer_deliver finds client k at
 * daddr - PEER_BASE of the array it is given.
 */
static void deliver_chunk(struct trace *t, struct client *clients, unsigned from, unsigned n)
{
	unsigned below = from % PEERS;

	peer_deliver(t, clients + from - below, below + n, 0);
}

/* The keep-alive clients' handshakes (not counted): true when every one is open. */
static bool open_keepalive(struct trace *t, struct client *clients, unsigned conns)
{
	bool open = true;

	for (unsigned from = 0; from < conns; from += KEEPALIVE_CHUNK) {
		unsigned n = conns - from < KEEPALIVE_CHUNK ? conns - from : KEEPALIVE_CHUNK;

		for (unsigned k = from; k < from + n; k++) {
			struct client *c = &clients[k];

			*c = (struct client){.addr = PEER_BASE + k % PEERS,
					     .port = (uint16_t)(1024 + k / PEERS),
					     .nxt = 0x1000000u * k,
					     .keep_alive = true};
			peer_send(t, c, TT_TCP_SYN, NULL, 0);
		}
		peer_flush(t);
		for (unsigned round = 0; round < 16 && t->n_frames > 0; round++)
			deliver_chunk(t, clients, from, n);
	}
	for (unsigned k = 0; k < conns; k++)
		open = open && clients[k].step == STEP_OPEN;
	return open;
}

/* The clock of the request phase: 1 ms per REQUESTS_PER_MS requests since start_ms. */
static void request_clock(struct trace *t, uint64_t start_ms, unsigned long sent)
{
	t->now = start_ms + sent / REQUESTS_PER_MS;
	stack_timers(t);
}

/*
 * The measured part of --keepalive: rounds of one GET per connection (each ACKing the response
 * before it) until n are sent, every round's responses delivered before the next; then each
 * connection ACKs its last response.
 */
static __attribute__((noinline)) void run_requests(struct trace *t, struct client *clients,
						   unsigned conns, unsigned long n)
{
	uint64_t start_ms = t->now;
	unsigned long sent = 0;

	while (sent < n) {
		for (unsigned from = 0; from < conns && sent < n; from += KEEPALIVE_CHUNK) {
			unsigned m =
			    conns - from < KEEPALIVE_CHUNK ? conns - from : KEEPALIVE_CHUNK;

			for (unsigned k = from; k < from + m && sent < n; k++, sent++) {
				peer_send(t, &clients[k], TT_TCP_ACK | TT_TCP_PSH, request,
					  sizeof(request) - 1);
				clients[k].requests++;
			}
			peer_flush(t);
			deliver_chunk(t, clients, from, m);
			request_clock(t, start_ms, sent);
		}
	}
	for (unsigned k = 0; k < conns; k++)
		peer_send(t, &clients[k], TT_TCP_ACK, NULL, 0);
	peer_flush(t);
	request_clock(t, start_ms, sent);
}

/* The timed cycles as JSON members (in a buffer that lives until the next call). */
static const char *tsc_json(const struct trace *t)
{
	static char buf[96];

	snprintf(buf, sizeof(buf), "\"parse_tsc\": %lu, \"stack_tsc\": %lu",
		 (unsigned long)t->parse_tsc, (unsigned long)t->stack_tsc);
	return buf;
}

/* Exit status 0 only when every request got its whole response and nothing else came. */
static int keepalive(struct trace *t, unsigned conns, unsigned long n)
{
	struct client *clients = calloc(conns, sizeof(*clients));
	unsigned long frames_before, answered = 0;
	bool whole = true;

	if (clients == NULL || !open_keepalive(t, clients, conns)) {
		fprintf(stderr, "tcpterm-trace: the keep-alive connections did not open\n");
		free(clients);
		return 1;
	}
	frames_before = t->frames_out;
	t->parse_tsc = t->stack_tsc = 0;
	run_requests(t, clients, conns, n);
	for (unsigned k = 0; k < conns; k++) {
		answered += clients[k].got / t->http.keep_alive_len;
		whole = whole && clients[k].got == clients[k].requests * t->http.keep_alive_len;
	}
	printf("{\"connections\": %u, \"requests\": %lu, \"answered\": %lu, "
	       "\"frames_out\": %lu, \"open\": %u, %s}\n",
	       conns, n, answered, t->frames_out - frames_before, tt_stack_conn_count(t->st),
	       tsc_json(t));
	free(clients);
	return whole && answered == n && t->frames_out - frames_before == n &&
		       tt_stack_conn_count(t->st) == conns
		   ? 0
		   : 1;
}

/* Client c's SYN, built into frame; returns its length. */
static uint32_t syn_build(uint8_t *frame, const struct client *c, uint32_t tsval)
{
	struct tt_tcp_hdr_args a = client_hdr(c, TT_TCP_SYN, tsval);
	uint32_t len = tt_net_tcp_build(frame, &a, 0);

	tt_net_tcp_cksum(frame, false);
	return len;
}

/* The flood's burst from SYN first on, outside the counted functions: SYN i from its own
 * 4-tuple, into frames[] (SYN_ROOM bytes each), as a burst lands in the RX ring. */
static __attribute__((noinline)) void build_syns(unsigned first, unsigned m,
						 uint8_t frames[][SYN_ROOM], uint32_t *len)
{
	for (unsigned k = 0; k < m; k++) {
		unsigned i = first + k;
		struct client c = {.addr = PEER_BASE + i % PEERS,
				   .port = (uint16_t)(1024 + i / PEERS),
				   .nxt = 0x9e3779b9u * i};

		len[k] = syn_build(frames[k], &c, i);
	}
}

/* A burst of SYNs through the stack; returns the SYN-ACKs that came out (freed unread: their
 * parse is not the stack's). */
static __attribute__((noinline)) unsigned long synflood_burst(struct trace *t,
							      const struct tt_pkt *pkts, unsigned m)
{
	void *owners[TT_STACK_BURST] = {0};
	unsigned long synacks = 0;

	stack_input(t, pkts, owners, m);
	for (unsigned i = 0; i < t->n_frames; i++) {
		synacks += t->frames[i][SYN_FRAME_OFF_FLAGS] == (TT_TCP_SYN | TT_TCP_ACK);
		frame_free(t, t->frames[i]);
	}
	t->n_frames = 0;
	return synacks;
}

/* Exit status 0 only when every SYN got one cookie SYN-ACK and the counters say so. */
static int synflood(struct trace *t, unsigned n)
{
	static uint8_t frames[TT_STACK_BURST][SYN_ROOM];
	uint32_t len[TT_STACK_BURST];
	struct tt_pkt pkts[TT_STACK_BURST];
	unsigned long synacks = 0;

	for (unsigned base = 0; base < n; base += TT_STACK_BURST) {
		unsigned m = n - base < TT_STACK_BURST ? n - base : TT_STACK_BURST;

		build_syns(base, m, frames, len);
		worker_parse(t, frames[0], SYN_ROOM, len, pkts, m);
		synacks += synflood_burst(t, pkts, m);
	}
	printf("{\"syns\": %u, \"synacks\": %lu, \"syncookies_sent\": %lu, "
	       "\"frames_out\": %lu, %s}\n",
	       n, synacks, (unsigned long)t->ctr.ev[TT_CTR_SYNCOOKIES_SENT], t->frames_out,
	       tsc_json(t));
	return synacks == n && t->ctr.ev[TT_CTR_SYNCOOKIES_SENT] == n && t->frames_out == n ? 0 : 1;
}

/*
 * --clock: the core's cycles per TSC cycle, from a chain of dependent 64-bit multiplies (3
 * cycles each on x86-64 cores of the last decade), the fastest of 5: the TSC counts at a fixed
 * rate, the core at whatever clock it runs, so TSC cycles are not the core's.  The whole loop is
 * one asm statement, eight multiplies of one register a turn: were each multiply its own
 * statement, the compiler could carry the value through moves between registers (it did in the
 * link-time optimised build of 2026-12-03), and a move the core fails to eliminate adds a cycle to
 * the chain.  On a Zen 3 core that read 0.80-1.29 from run to run where this loop reads 1.27-1.30.
 */
static int clock_ratio(void)
{
	enum { TURNS = 1250000, PER_TURN = 8, IMUL_CYCLES = 3 };
	uint64_t x = 3, best = UINT64_MAX;

	for (int r = 0; r < 5; r++) {
		uint64_t t0 = rte_rdtsc(), d, n = TURNS;

		__asm__ volatile("1:\n\t"
				 "imul %0, %0\n\timul %0, %0\n\timul %0, %0\n\timul %0, %0\n\t"
				 "imul %0, %0\n\timul %0, %0\n\timul %0, %0\n\timul %0, %0\n\t"
				 "dec %1\n\t"
				 "jnz 1b"
				 : "+r"(x), "+r"(n)
				 :
				 : "cc");
		d = rte_rdtsc() - t0;
		best = d < best ? d : best;
	}
	printf("{\"core_cycles_per_tsc\": %.3f}\n",
	       (double)IMUL_CYCLES * TURNS * PER_TURN / (double)best);
	return 0;
}

int main(int argc, char **argv)
{
	bool flood = argc > 1 && strcmp(argv[1], "--synflood") == 0;
	bool keep = argc > 1 && strcmp(argv[1], "--keepalive") == 0;
	char **args = flood || keep ? argv + 1 : argv;
	int n_args = flood || keep ? argc - 1 : argc;
	unsigned n = n_args > 1 ? (unsigned)strtoul(args[1], NULL, 10) : 10000;
	unsigned concurrent = n_args > 2 ? (unsigned)strtoul(args[2], NULL, 10) : 64;
	static const char *const hdrs[] = {"Content-Type: text/plain"};
	static struct trace t;
	struct tt_stack_params p = {
	    .conf = &t.conf.tcp,
	    .n_ports = 1,
	    .listen_app = t.listen_app,
	    .app_data = &t.http,
	    .ctr = &t.ctr,
	    .table_key = {.k0 = 1, .k1 = 11},
	    .max_held_bufs = 1024,
	    .io = {.frame_alloc = frame_alloc,
		   .frame_send = frame_send,
		   .frame_free = frame_free,
		   .retain = no_ref,
		   .release = no_ref,
		   .arg = &t},
	};
	static uint8_t pool[POOL_FRAMES][ROOM];
	uint8_t body[64];
	unsigned long done;
	bool sw_cksum;

	if (argc > 1 && strcmp(argv[1], "--clock") == 0)
		return clock_ratio();
	/* --keepalive CONNS REQUESTS: the connections come first. */
	if (keep) {
		concurrent = n_args > 1 ? (unsigned)strtoul(args[1], NULL, 10) : 64;
		n = n_args > 2 ? (unsigned)strtoul(args[2], NULL, 10) : 100000;
	}
	if (concurrent == 0 || concurrent > (keep ? KEEPALIVE_MAX : MAX_CONCURRENT)) {
		fprintf(stderr,
			"usage: tcpterm-trace [connections] [concurrent 1..1024] | "
			"--synflood N | --keepalive CONNS(1..1048576) REQUESTS | --clock\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)('a' + i % 26);
	tt_conf_defaults(&t.conf);
	/* Room for every keep-alive connection, with an eighth to spare as the bench gives it. */
	t.conf.tcp.max_conns_per_core =
	    keep && concurrent > 65536 - 65536 / 8 ? concurrent + concurrent / 8 : 65536;
	/* Every keep-alive connection has a response in flight until its next request. */
	if (keep)
		t.conf.tcp.send_blocks_per_core = t.conf.tcp.max_conns_per_core;
	t.conf.tcp.syncookies = flood ? TT_SYNCOOKIES_ALWAYS : TT_SYNCOOKIES_OFF;
	if (tt_http_response_build(&t.http, 200, hdrs, 1, body, sizeof(body)) != 0)
		return 1;
	t.listen_app[80] = TT_APP_HTTP + 1;
	t.now = 1000000;
	p.now_ms = t.now;
	p.ports[0].mac = us_mac;
	p.ports[0].mtu = MTU;
	/* The bench link's port (virtio) with its offloads: the TCP sum completed by the port, the
	 * IPv4 one not; received TCP sums vouched for, so neither side sums a segment.  Without
	 * them, our side sums every header both ways. */
	sw_cksum = getenv("TT_TRACE_CHECKSUMS") != NULL &&
		   strcmp(getenv("TT_TRACE_CHECKSUMS"), "software") == 0;
	p.ports[0].tx_cksum_offload = sw_cksum ? 0 : TT_TX_TCP_CKSUM;
	p.cookie_secret.master.k0 = 3;
	p.isn_secret.key.k0 = 4;
	tt_app_register(p.apps);
	t.us_if = (struct tt_net_if){.mac = us_mac,
				     .addr = US_ADDR,
				     .addr_count = 1,
				     .rx_cksum = sw_cksum ? 0 : TT_RX_L4_CKSUM_GOOD};
	t.peer_if = (struct tt_net_if){.mac = peer_mac,
				       .addr = PEER_BASE,
				       .addr_count = 65536,
				       .rx_cksum = TT_RX_L4_CKSUM_GOOD};
	for (unsigned i = 0; i < POOL_FRAMES; i++)
		frame_free(&t, pool[i]);
	t.st = tt_stack_create(&p);
	if (t.st == NULL)
		return 1;
	if (flood || keep) {
		int rc = flood ? synflood(&t, n) : keepalive(&t, concurrent, n);

		tt_stack_free(t.st);
		tt_http_response_free(&t.http);
		return rc;
	}
	done = run_connections(&t, n, concurrent);
	printf("{\"connections\": %u, \"completed\": %lu, \"frames_out\": %lu, "
	       "\"frames_in\": %lu, %s}\n",
	       n, done, t.frames_out, t.frames_in, tsc_json(&t));
	tt_stack_free(t.st);
	tt_http_response_free(&t.http);
	return done == n ? 0 : 1;
}
