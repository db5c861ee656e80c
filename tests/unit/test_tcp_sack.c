/*
 * SACK (RFC 2018) and SACK-based loss recovery (RFC 6675): the scoreboard
 * on its own, then whole connections through the same glue as the worker's
 * (tcp_harness.h) with the reassembly and scoreboard pools a worker has.
 * Every segment we send is checked to fit the MSS with its options.
 */
#include <stdio.h>

#include "tcp_harness.h"
#include "tt_sack.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum {
	MSS_TS = 1448, /* 1460 less the 12 bytes of the timestamp option */
	SEG = 300,     /* the peer's out-of-order segments: above TT_TCP_OOO_MIN_BYTES */
	HDRS = TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + TT_TCP_HDR_LEN,
};

static const char get_ka[] = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
static uint8_t peer_data[8192];

/* ---- the scoreboard alone ---- */

static void expect_ranges(const struct tt_sack_sb *sb, uint32_t base, const uint32_t *r, unsigned n)
{
	assert_int_equal(sb->n, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(sb->r[i].start, base + r[2 * i]);
		assert_int_equal(sb->r[i].end, base + r[2 * i + 1]);
	}
}

/* Blocks the peer chose: only those inside [una, max], not empty, not inverted, are kept;
 * sequence numbers wrap through 2^32 on the way. */
static void test_sb_add(void **state)
{
	static const struct {
		uint32_t start, end;
		bool kept;
		unsigned n;	  /* ranges after it */
		uint32_t want[8]; /* the ranges, as offsets from una */
	} steps[] = {
	    {5000, 6000, true, 1, {5000, 6000}},
	    {7000, 6500, false, 1, {5000, 6000}},		/* inverted */
	    {8000, 8000, false, 1, {5000, 6000}},		/* empty */
	    {UINT32_MAX - 99, 100, false, 1, {5000, 6000}},	/* starts below una */
	    {19990, 20010, false, 1, {5000, 6000}},		/* ends above max */
	    {0x80000000u, 0x80000010u, false, 1, {5000, 6000}}, /* half the space away */
	    {5000, 6000, true, 1, {5000, 6000}},		/* duplicate */
	    {5500, 6500, true, 1, {5000, 6500}},		/* overlaps */
	    {6500, 7000, true, 1, {5000, 7000}},		/* touches */
	    {9000, 10000, true, 2, {5000, 7000, 9000, 10000}},
	    {1000, 2000, true, 3, {1000, 2000, 5000, 7000, 9000, 10000}},
	    {1500, 9500, true, 1, {1000, 10000}}, /* swallows three */
	    {0, 20000, true, 1, {0, 20000}},	  /* all of [una, max] */
	};
	const uint32_t una = 0xfffff000u, max = una + 20000;
	struct tt_sack_sb sb;
	(void)state;

	tt_sack_sb_init(&sb, una);
	for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
		assert_int_equal(
		    tt_sack_sb_add(&sb, una + steps[i].start, una + steps[i].end, una, max),
		    steps[i].kept);
		expect_ranges(&sb, una, steps[i].want, steps[i].n);
	}
}

/* A block of 2^31 bytes or more compares "before" its own end in modular order; pairwise
 * checks let one through when nothing is in flight (found by fuzz_tcp_input). */
static void test_sb_add_half_space(void **state)
{
	static const struct {
		uint32_t una, max, start, end;
		bool kept;
	} cases[] = {
	    {3586418439u, 3586418439u, 0xffffffffu, 0x7fffffffu, false}, /* the fuzzer's */
	    {0, 0, 1, 0x80000001u, false},				 /* 2^31 above una == max */
	    {0, 100, 50, 0x80000032u, false},				 /* 2^31 long */
	    {0, 100, 50, 0x90000000u, false},				 /* longer */
	    {0xffffff00u, 0x100, 0xffffff80u, 0x80, true},		 /* wraps, inside */
	    {0xffffff00u, 0x100, 0xfffffff0u, 0x101, false},		 /* wraps, ends above */
	    {0, 0x7fffffffu, 0, 0x7fffffffu, true},			 /* the widest span */
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct tt_sack_sb sb;

		tt_sack_sb_init(&sb, cases[i].una);
		assert_int_equal(
		    tt_sack_block_in(cases[i].start, cases[i].end, cases[i].una, cases[i].max),
		    cases[i].kept);
		assert_int_equal(
		    tt_sack_sb_add(&sb, cases[i].start, cases[i].end, cases[i].una, cases[i].max),
		    cases[i].kept);
		assert_int_equal(sb.n, cases[i].kept ? 1u : 0u);
	}
}

/* Eight ranges at most: a ninth below the highest pushes the highest out, one above it is
 * forgotten; the cumulative ACK trims from below. */
static void test_sb_full_and_trim(void **state)
{
	static const uint32_t eight[] = {100, 200,  300,  400,	500,  600,  700,  800,
					 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600};
	static const uint32_t low[] = {50,  60,	 100, 200,  300,  400,	500,  600,
				       700, 800, 900, 1000, 1100, 1200, 1300, 1400};
	static const uint32_t trimmed[] = {150, 200, 300,  400,	 500,  600,  700,
					   800, 900, 1000, 1100, 1200, 1300, 1400};
	struct tt_sack_sb sb;
	(void)state;

	tt_sack_sb_init(&sb, 0);
	for (unsigned i = 0; i < 8; i++)
		assert_true(tt_sack_sb_add(&sb, eight[2 * i], eight[2 * i + 1], 0, 5000));
	expect_ranges(&sb, 0, eight, 8);
	assert_true(tt_sack_sb_add(&sb, 3000, 3100, 0, 5000));
	expect_ranges(&sb, 0, eight, 8);
	assert_true(tt_sack_sb_add(&sb, 50, 60, 0, 5000));
	expect_ranges(&sb, 0, low, 8);
	tt_sack_sb_trim(&sb, 150);
	expect_ranges(&sb, 0, trimmed, 7);
	assert_int_equal(sb.high_rxt, 150);
	tt_sack_sb_trim(&sb, 5000);
	assert_int_equal(sb.n, 0);
}

/* IsLost per hole (three SACKed runs or more than 2 * MSS bytes above), pipe and NextSeg. */
static void test_sb_lost_pipe_next(void **state)
{
	struct tt_sack_sb sb;
	struct tt_sack_seg s;
	(void)state;

	tt_sack_sb_init(&sb, 0);
	tt_sack_sb_add(&sb, 5000, 6000, 0, 10000);
	/* One run of 1000 bytes above [0, 5000): nothing is lost yet. */
	assert_false(tt_sack_sb_lost(&sb, 0, 1000));
	assert_int_equal(tt_sack_sb_pipe(&sb, 0, 10000, 1000), 9000);
	s = tt_sack_sb_next(&sb, 0, 1000, true);
	assert_int_equal(s.len, 0);
	s = tt_sack_sb_next(&sb, 0, 1000, false);
	assert_int_equal(s.seq, 0);
	assert_int_equal(s.len, 1000);

	tt_sack_sb_add(&sb, 1000, 2000, 0, 10000);
	tt_sack_sb_add(&sb, 3000, 4000, 0, 10000);
	tt_sack_sb_add(&sb, 5000, 8000, 0, 10000);
	/* Runs [1000,2000) [3000,4000) [5000,8000): every hole below 5000 is lost, the bytes
	 * above the highest run are not. */
	assert_true(tt_sack_sb_lost(&sb, 0, 1000));
	assert_true(tt_sack_sb_lost(&sb, 2500, 1000));
	assert_true(tt_sack_sb_lost(&sb, 4999, 1000));
	assert_false(tt_sack_sb_lost(&sb, 8000, 1000));
	assert_int_equal(tt_sack_sb_pipe(&sb, 0, 10000, 1000), 2000);
	s = tt_sack_sb_next(&sb, 0, 1000, true);
	assert_int_equal(s.seq, 0);
	assert_int_equal(s.len, 1000);
	/* Resent up to 1000: it counts in the pipe again, the next hole is next. */
	sb.high_rxt = 1000;
	assert_int_equal(tt_sack_sb_pipe(&sb, 0, 10000, 1000), 3000);
	s = tt_sack_sb_next(&sb, 0, 1000, true);
	assert_int_equal(s.seq, 2000);
	assert_int_equal(s.len, 1000);
	/* A hole longer than an MSS goes one MSS at a time; with a big MSS the top hole is no
	 * longer lost (3000 bytes above, 2 * 2000 needed; two runs). */
	sb.high_rxt = 4000;
	s = tt_sack_sb_next(&sb, 0, 500, true);
	assert_int_equal(s.seq, 4000);
	assert_int_equal(s.len, 500);
	s = tt_sack_sb_next(&sb, 0, 2000, true);
	assert_int_equal(s.len, 0);
	sb.high_rxt = 8000;
	s = tt_sack_sb_next(&sb, 0, 1000, false);
	assert_int_equal(s.len, 0);
}

/* ---- connections ---- */

static int sack_setup(void **state)
{
	struct harness *h = h_new();

	h->ctx.ooo_pool = tt_pool_create(4, sizeof(struct tt_ooo));
	h->ctx.sack_pool = tt_pool_create(2, sizeof(struct tt_sack_sb));
	assert_non_null(h->ctx.ooo_pool);
	assert_non_null(h->ctx.sack_pool);
	for (size_t i = 0; i < sizeof(peer_data); i++)
		peer_data[i] = (uint8_t)(i * 7 + i / 251);
	*state = h;
	return 0;
}

static int sack_teardown(void **state)
{
	struct harness *h = *state;
	struct tt_pool *ooo = h->ctx.ooo_pool, *sack = h->ctx.sack_pool;

	h_free(h);
	/* Whatever a connection took goes back when it goes. */
	assert_int_equal(tt_pool_in_use(ooo), 0);
	assert_int_equal(tt_pool_in_use(sack), 0);
	tt_pool_free(ooo);
	tt_pool_free(sack);
	return 0;
}

/* Every segment of the last step fits the MSS with its options, the way a peer counts it. */
static void check_sizes(const struct harness *h)
{
	for (unsigned i = 0; i < h->n_tx; i++) {
		const struct tt_tcp_hdr_args *a = &h->tx[i].a;
		uint32_t optlen = tt_net_tcp_hdr_len(&a->opts) - HDRS;

		assert_true(optlen <= TT_TCP_OPT_MAX_LEN);
		if (!(a->flags & TT_TCP_SYN))
			assert_true(optlen + h->tx[i].len <= h->conf.mss);
	}
}

static uint32_t iss1(const struct harness *h)
{
	return h->iss + 1;
}

/* Our k-th segment of a response (full segments of MSS_TS). */
static uint32_t S(const struct harness *h, uint32_t k)
{
	return iss1(h) + k * MSS_TS;
}

/* The peer sends [off, off + len) of peer_data at base + off. */
static void peer_data_at(struct harness *h, uint32_t base, uint32_t off, uint32_t len)
{
	struct tt_tcp_seg s = h_seg(h, TT_TCP_ACK, peer_data + off, len);

	s.seq = base + off;
	h->peer.tsval++;
	h_rx(h, &s, &h->scratch);
	check_sizes(h);
}

/* The peer ACKs h->peer.ack again (or anew) with these blocks. */
static void peer_sack(struct harness *h, const struct tt_sack_block *b, uint8_t n)
{
	struct tt_tcp_seg s = h_seg(h, TT_TCP_ACK, NULL, 0);

	if (n > 0) {
		s.opts.present |= TT_OPT_SACK;
		s.opts.sack_n = n;
		memcpy(s.opts.sack, b, n * sizeof(*b));
	}
	h_peer_sent(h, &s);
	h_rx(h, &s, &h->scratch);
	check_sizes(h);
}

static void expect_blocks(const struct h_tx *x, uint32_t base, const uint32_t *r, unsigned n)
{
	assert_int_equal(x->a.opts.sack_n, n);
	assert_int_equal(!!(x->a.opts.present & TT_OPT_SACK), n > 0);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(x->a.opts.sack[i].start, base + r[2 * i]);
		assert_int_equal(x->a.opts.sack[i].end, base + r[2 * i + 1]);
	}
}

/*
 * Receiving with holes: each ACK reports the run of the segment that made it first, then
 * the runs of the segments before it, newest first; three blocks beside timestamps.
 */
static void blocks_sent_ts(struct harness *h)
{
	static const struct {
		uint32_t off;	  /* segment of SEG bytes at base + off */
		uint32_t ack;	  /* offset our ACK acknowledges */
		unsigned n;	  /* blocks in it */
		uint32_t want[6]; /* the blocks, as offsets */
	} steps[] = {
	    {300, 0, 1, {300, 600}},
	    {900, 0, 2, {900, 1200, 300, 600}},
	    {1500, 0, 3, {1500, 1800, 900, 1200, 300, 600}},
	    {2100, 0, 3, {2100, 2400, 1500, 1800, 900, 1200}}, /* four runs: three fit */
	    {600, 0, 3, {300, 1200, 2100, 2400, 1500, 1800}},  /* joins two runs */
	    {0, 1200, 2, {2100, 2400, 1500, 1800}},	       /* fills the first hole */
	    {1200, 1800, 1, {2100, 2400}},
	    {1800, 2400, 0, {0}},
	};
	uint32_t base, sent0;

	h_connect(h, H_APP_REC);
	assert_true(h->tcb.flags & TT_TCB_SACK);
	base = h->peer.nxt;
	sent0 = (uint32_t)ev(h, TT_CTR_SACK_BLOCKS_SENT);
	for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
		peer_data_at(h, base, steps[i].off, SEG);
		assert_int_equal(h->n_tx, 1);
		h_expect(h, 0, TT_TCP_ACK, h->tcb.snd_nxt, base + steps[i].ack, 0);
		expect_blocks(&h->tx[0], base, steps[i].want, steps[i].n);
		sent0 += steps[i].n;
	}
	assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_SENT), sent0);
	assert_int_equal(h->app.rx_len, 2400);
	assert_memory_equal(h->app.rx, peer_data, 2400);
	assert_int_equal(h->tcb.ooo, TT_TCB_NO_BLOCK);
}

static void test_blocks_sent_ts(void **state)
{
	blocks_sent_ts(*state);
}

/* The same with the peer's sequence numbers wrapping through 2^32 inside the segment at 1200:
 * holes, runs and blocks on either side of the wrap. */
static void test_blocks_sent_ts_wrap(void **state)
{
	struct harness *h = *state;

	h->peer.nxt = UINT32_MAX - 1300;
	blocks_sent_ts(h);
	/* Its first data byte was the ISN's next, 2^32 - 1300: all 2,400 bytes in, past 2^32. */
	assert_int_equal(h->tcb.rcv_nxt, 2400 - 1300);
}

/*
 * Every reassembly block of the worker taken (by other connections): a segment beyond a hole
 * is dropped and counted, no block is taken and the ACK reports none, so nothing is promised;
 * the hole and the segment sent again arrive in order as usual.
 */
static void test_ooo_pool_exhausted(void **state)
{
	struct harness *h = *state;
	uint32_t taken[4], base;

	h_connect(h, H_APP_REC);
	base = h->peer.nxt;
	for (unsigned i = 0; i < 4; i++)
		assert_int_not_equal(taken[i] = tt_pool_get(h->ctx.ooo_pool), TT_POOL_NONE);
	assert_int_equal(tt_pool_get(h->ctx.ooo_pool), TT_POOL_NONE);
	peer_data_at(h, base, SEG, SEG);
	assert_int_equal(drops(h, TT_DROP_TCP_OUT_OF_ORDER), 1);
	assert_int_equal(h->tcb.ooo, TT_TCB_NO_BLOCK);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, h->tcb.snd_nxt, base, 0);
	expect_blocks(&h->tx[0], base, NULL, 0);
	assert_int_equal(h->app.rx_len, 0);
	peer_data_at(h, base, 0, SEG);
	peer_data_at(h, base, SEG, SEG);
	assert_int_equal(h->app.rx_len, 2 * SEG);
	assert_memory_equal(h->app.rx, peer_data, 2 * SEG);
	assert_int_equal(h->tcb.rcv_nxt, base + 2 * SEG);
	for (unsigned i = 0; i < 4; i++)
		tt_pool_put(h->ctx.ooo_pool, taken[i]);
}

/* Without timestamps four blocks fit; without SACK-permitted none is sent. */
static void test_blocks_sent_no_ts(void **state)
{
	static const uint32_t four[] = {2700, 3000, 2100, 2400, 1500, 1800, 900, 1200};
	struct harness *h = *state;
	uint32_t base;

	h->peer.syn_opts.present = TT_OPT_MSS | TT_OPT_SACK_OK;
	h->peer.ts = false;
	h_connect(h, H_APP_REC);
	base = h->peer.nxt;
	for (uint32_t off = 300; off <= 2700; off += 600)
		peer_data_at(h, base, off, SEG);
	assert_int_equal(h->n_tx, 1);
	assert_false(h->tx[0].a.opts.present & TT_OPT_TS);
	expect_blocks(&h->tx[0], base, four, 4);
	assert_int_equal(tt_net_tcp_hdr_len(&h->tx[0].a.opts), HDRS + 36);
}

static void test_blocks_not_agreed(void **state)
{
	struct harness *h = *state;
	uint32_t base;

	h->peer.syn_opts.present &= (uint8_t)~TT_OPT_SACK_OK;
	h_connect(h, H_APP_REC);
	base = h->peer.nxt;
	peer_data_at(h, base, 300, SEG);
	assert_int_equal(h->n_tx, 1);
	expect_blocks(&h->tx[0], base, NULL, 0);
	assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_SENT), 0);
}

/* Echo sends data back while a hole is open: each data segment carries the block and still
 * fits the MSS (its payload is shortened for the option). */
static void test_blocks_on_data_segments(void **state)
{
	static const uint32_t run[] = {3000, 3300};
	struct harness *h = *state;
	uint32_t base, echoed = 0;

	h_connect(h, TT_APP_ECHO);
	base = h->peer.nxt;
	peer_data_at(h, base, 3000, SEG);
	peer_data_at(h, base, 0, MSS_TS);
	assert_true(h->n_tx >= 2);
	for (unsigned i = 0; i < h->n_tx; i++) {
		expect_blocks(&h->tx[i], base, run, 1);
		echoed += h->tx[i].len;
	}
	assert_int_equal(echoed, MSS_TS);
	assert_int_equal(h->tx[0].len, MSS_TS - 12);
	assert_memory_equal(h->tx[0].data, peer_data, h->tx[0].len);
}

/* Our response of 30000 bytes: ten segments of initial window went out. */
static void respond(struct harness *h)
{
	h_http_body(h, 30000);
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(h->n_tx, 10);
}

/* SACK blocks [S(a), S(b)), ... of our segments. */
static void sack_segs(struct harness *h, const uint32_t *ab, uint8_t n)
{
	struct tt_sack_block b[TT_SACK_MAX_BLOCKS];

	for (uint8_t i = 0; i < n; i++) {
		b[i].start = S(h, ab[2 * i]);
		b[i].end = S(h, ab[2 * i + 1]);
	}
	peer_sack(h, b, n);
}

/*
 * Segments 0 and 3 of ten are lost.  The first two duplicate ACKs each let a new segment go
 * (Limited Transmit); recovery starts at the third and sends segment 0 alone (cwnd halved to
 * six segments, the rest still in the pipe); segment 3 goes once the blocks above it make it
 * lost and the pipe has room; then new data, never a segment the peer holds.
 */
static void test_recovery_resends_holes(void **state)
{
	static const uint32_t b1[] = {1, 2}, b2[] = {1, 3}, b3[] = {4, 5, 1, 3},
			      b4[] = {4, 6, 1, 3}, b5[] = {4, 7, 1, 3}, b6[] = {4, 8, 1, 3},
			      b7[] = {4, 9, 1, 3}, b8[] = {4, 10};
	struct harness *h = *state;
	uint32_t rcv;

	respond(h);
	rcv = h->tcb.rcv_nxt;
	h->peer.ack = iss1(h);
	sack_segs(h, b1, 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 10), rcv, MSS_TS);
	sack_segs(h, b2, 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 11), rcv, MSS_TS);
	assert_int_equal(h->tcb.dupacks, 2);
	sack_segs(h, b3, 2);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 0), rcv, MSS_TS);
	assert_memory_equal(h->tx[0].data, h->http.keep_alive, MSS_TS);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd, 6 * MSS_TS);
	assert_int_equal(h_sndq_block(h)->recover, S(h, 12));
	assert_int_equal(ev(h, TT_CTR_SACK_RECOVERIES), 1);
	/* Segment 3 has only 2 * MSS SACKed above it: not lost yet; the pipe is full anyway. */
	sack_segs(h, b4, 2);
	assert_int_equal(h->n_tx, 0);
	/* Lost now, but the pipe (segment 0 again, 7..11) fills cwnd. */
	sack_segs(h, b5, 2);
	assert_int_equal(h->n_tx, 0);
	sack_segs(h, b6, 2);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 3), rcv, MSS_TS);
	assert_memory_equal(h->tx[0].data, h->http.keep_alive + 3 * MSS_TS, MSS_TS);
	/* No hole left to fill: new data as the pipe drains. */
	sack_segs(h, b7, 2);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 12), rcv, MSS_TS);
	/* Segment 0 arrived: a partial ACK; segment 9 arrives, 3 is still out. */
	h->peer.ack = S(h, 3);
	sack_segs(h, b8, 1);
	assert_int_equal(h->tcb.snd_una, S(h, 3));
	assert_int_equal(h->n_tx, 2);
	for (unsigned i = 0; i < h->n_tx; i++)
		h_expect(h, i, TT_TCP_ACK, S(h, 13 + i), rcv, MSS_TS);
	/* Segment 3 arrived: everything up to the RecoveryPoint is ACKed, recovery ends. */
	h->peer.ack = S(h, 12);
	peer_sack(h, NULL, 0);
	assert_int_equal(h->tcb.dupacks, 0);
	assert_int_equal(tt_tcp_sndb(&h->ctx, &h->tcb)->cwnd,
			 tt_tcp_sndb(&h->ctx, &h->tcb)->ssthresh);
	assert_int_equal(h->tcb.sack, TT_TCB_NO_BLOCK);
	assert_int_equal(ev(h, TT_CTR_SACK_RETRANSMITS), 2);
	assert_int_equal(ev(h, TT_CTR_RETRANSMITTED_BYTES), 2 * MSS_TS);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 0);
	assert_int_equal(ev(h, TT_CTR_RETRANSMITS), 0);
	assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_IGNORED), 0);
}

/* A receiver holding data behind a hole shrinks its window: its ACKs still count as duplicates
 * while they SACK new data (RFC 6675 2), and recovery starts. */
static void test_dupacks_with_shrinking_window(void **state)
{
	static const uint32_t b1[] = {1, 2}, b2[] = {1, 3}, b3[] = {4, 5, 1, 3};
	struct harness *h = *state;

	respond(h);
	h->peer.ack = iss1(h);
	h->peer.wnd = 500;
	sack_segs(h, b1, 1);
	h->peer.wnd = 490;
	sack_segs(h, b2, 1);
	assert_int_equal(h->tcb.dupacks, 2);
	h->peer.wnd = 480;
	sack_segs(h, b3, 2);
	assert_int_equal(ev(h, TT_CTR_SACK_RECOVERIES), 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 0), h->tcb.rcv_nxt, MSS_TS);
	/* The same blocks again with yet another window: nothing new, not a duplicate. */
	h->peer.wnd = 470;
	sack_segs(h, b3, 2);
	assert_int_equal(h->tcb.dupacks, 3);
}

/*
 * A response of body bytes (n segments of initial window); then one ACK SACKing segments 1 to
 * 3: enough to make segment 0 lost, so recovery starts before three duplicate ACKs and
 * resends it alone.
 */
static void respond_lost_first(struct harness *h, uint32_t body, unsigned n)
{
	static const uint32_t b[] = {1, 4};

	h_http_body(h, body);
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(h->n_tx, n);
	h->peer.ack = iss1(h);
	sack_segs(h, b, 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 0), h->tcb.rcv_nxt, MSS_TS);
	assert_int_equal(ev(h, TT_CTR_SACK_RECOVERIES), 1);
}

static void test_recovery_on_islost(void **state)
{
	respond_lost_first(*state, 30000, 10);
}

/* NextSeg's order in recovery: a hole not yet lost waits while new data can go (rule 2 before
 * rule 3). */
static void test_recovery_new_data_before_unlost_hole(void **state)
{
	static const uint32_t b[] = {1, 7, 8, 9};
	struct harness *h = *state;

	respond_lost_first(h, 30000, 10);
	/* Segment 7 has one segment SACKed above it: not lost.  The pipe (0 again, 7, 9) leaves
	 * two segments of cwnd: new data. */
	sack_segs(h, b, 2);
	assert_int_equal(h->n_tx, 2);
	h_expect(h, 0, TT_TCP_ACK, S(h, 10), h->tcb.rcv_nxt, MSS_TS);
	h_expect(h, 1, TT_TCP_ACK, S(h, 11), h->tcb.rcv_nxt, MSS_TS);
	assert_int_equal(ev(h, TT_CTR_SACK_RETRANSMITS), 1);
}

/* With nothing new to send, the hole not known lost goes (rule 3). */
static void test_recovery_unlost_hole_when_no_new_data(void **state)
{
	static const uint32_t b[] = {1, 6, 7, 8};
	struct harness *h = *state;

	respond_lost_first(h, 12000, 9);
	sack_segs(h, b, 2);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 6), h->tcb.rcv_nxt, MSS_TS);
	assert_memory_equal(h->tx[0].data, h->http.keep_alive + 6 * MSS_TS, MSS_TS);
	assert_int_equal(ev(h, TT_CTR_SACK_RETRANSMITS), 2);
}

/*
 * The same when new data waits for the peer's window: 100 bytes of it past SND.NXT, less than
 * a segment, which the sender's silly-window avoidance keeps back while data is in flight.  The
 * hole not known lost goes now (rule 3), not at the retransmission timer.
 */
static void test_recovery_unlost_hole_when_window_short(void **state)
{
	static const uint32_t b[] = {1, 7, 8, 9};
	struct harness *h = *state;

	h->peer.syn_opts.present &= (uint8_t)~TT_OPT_WSCALE;
	h->peer.wnd = 10 * MSS_TS + 100;
	respond_lost_first(h, 30000, 10);
	sack_segs(h, b, 2);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 7), h->tcb.rcv_nxt, MSS_TS);
	assert_memory_equal(h->tx[0].data, h->http.keep_alive + 7 * MSS_TS, MSS_TS);
	assert_int_equal(h->tcb.snd_max, S(h, 10));
	assert_int_equal(ev(h, TT_CTR_SACK_RETRANSMITS), 2);
}

/* But a short piece that is the queue's tail goes as soon as the window takes it (rule 2), the
 * hole not known lost after it: here 100 bytes left after ten segments. */
static void test_recovery_tail_before_unlost_hole(void **state)
{
	static const uint32_t b[] = {1, 7, 8, 9};
	struct harness *h = *state;
	uint32_t head_len;

	h_http_body(h, 10000);
	head_len = h->http.keep_alive_len - 10000;
	h_http_body(h, 10 * MSS_TS + 100 - head_len);
	assert_int_equal(h->http.keep_alive_len, 10 * MSS_TS + 100);
	respond_lost_first(h, 10 * MSS_TS + 100 - head_len, 10);
	sack_segs(h, b, 2);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK | TT_TCP_PSH, S(h, 10), h->tcb.rcv_nxt, 100);
	assert_int_equal(ev(h, TT_CTR_SACK_RETRANSMITS), 1);
}

/* Segments 1-2 and 4 SACKed, recovery, then the timeout: RecoveryPoint = SND.MAX, back to
 * SND.UNA with one segment, the scoreboard kept. */
static void rto_after_sack(struct harness *h)
{
	static const uint32_t b[] = {4, 5, 1, 3};
	uint32_t max;

	respond(h);
	h->peer.ack = iss1(h);
	for (int i = 0; i < 3; i++)
		sack_segs(h, b, 2);
	assert_int_equal(ev(h, TT_CTR_SACK_RECOVERIES), 1);
	assert_true(h->tcb.sack != TT_TCB_NO_BLOCK);
	max = h->tcb.snd_max;
	h_fire(h);
	assert_int_equal(ev(h, TT_CTR_RETRANSMITS), 1);
	assert_true(h->tcb.sack != TT_TCB_NO_BLOCK);
	assert_int_equal(h_sndq_block(h)->recover, max);
	assert_int_equal(h->tcb.dupacks, 0);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 0), h->tcb.rcv_nxt, MSS_TS);
}

/*
 * The timeout keeps the scoreboard (RFC 6675 5.1 leaves it open; Linux keeps it): going back,
 * SND.NXT steps over what the peer holds even when its ACKs no longer report it (a receiver
 * sends 3 or 4 blocks per ACK); no recovery starts below the new RecoveryPoint.
 */
static void test_rto_keeps_scoreboard(void **state)
{
	static const uint32_t b4[] = {4, 5};
	struct harness *h = *state;

	rto_after_sack(h);
	/* Segment 0 arrives: the peer ACKs up to segment 3, which it lacks, and reports only
	 * segment 4 now.  With cwnd 2 segments, 3 goes, then 5 (4 is held). */
	h->peer.ack = S(h, 3);
	sack_segs(h, b4, 1);
	assert_int_equal(h->n_tx, 2);
	h_expect(h, 0, TT_TCP_ACK, S(h, 3), h->tcb.rcv_nxt, MSS_TS);
	h_expect(h, 1, TT_TCP_ACK, S(h, 5), h->tcb.rcv_nxt, MSS_TS);
	/* Its duplicates start no recovery below the RecoveryPoint. */
	for (int i = 0; i < 3; i++)
		sack_segs(h, b4, 1);
	assert_int_equal(ev(h, TT_CTR_SACK_RECOVERIES), 1);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 0);
	assert_int_equal(ev(h, TT_CTR_SACK_RENEGED), 0);
}

/*
 * Stepping over SACKed bytes does not step past the peer's window: after the timeout, with cwnd
 * two segments, the peer ACKs up to segment 3 and shrinks its window to two segments and 48
 * bytes: segment 3 goes, 4 is held, and 5 would end beyond the window's right edge.
 */
static void test_window_edge_after_skip(void **state)
{
	static const uint32_t b4[] = {4, 5};
	struct harness *h = *state;

	rto_after_sack(h);
	h->peer.ack = S(h, 3);
	h->peer.wnd = (uint16_t)((2 * MSS_TS + 48) >> h->peer.syn_opts.wscale);
	assert_int_equal((uint32_t)h->peer.wnd << h->peer.syn_opts.wscale, 2 * MSS_TS + 48);
	sack_segs(h, b4, 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 3), h->tcb.rcv_nxt, MSS_TS);
}

/* The peer ACKs up to segment k, which it had SACKed: the first renege, answered with segment k
 * alone, a loss window. */
static void expect_renege_at(struct harness *h, uint32_t k)
{
	h->peer.ack = S(h, k);
	peer_sack(h, NULL, 0);
	assert_int_equal(ev(h, TT_CTR_SACK_RENEGED), 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, k), h->tcb.rcv_nxt, MSS_TS);
	assert_int_equal(h_sndq_block(h)->cwnd, MSS_TS);
}

/*
 * A peer that discards what it SACKed (reneging, RFC 2018 8) shows it by a cumulative ACK
 * that stops at a byte it reported: the scoreboard is dropped and those bytes go again, from
 * a loss window of one segment.
 */
static void test_rto_reneged(void **state)
{
	struct harness *h = *state;

	rto_after_sack(h);
	/* Segment 0 arrives, but the peer dropped 1 and 2: it ACKs up to segment 1. */
	expect_renege_at(h, 1);
}

/*
 * Reneging with a window in flight and no timeout, which a peer can show at will (SACK a
 * segment, then ACK up to its start): a loss, met as a timeout meets one: ssthresh from the
 * flight, a loss window of one segment from SND.UNA (not the whole window sent again), no RTT
 * timing, RecoveryPoint at SND.MAX.  The ACKs after it grow cwnd by slow start and start no
 * recovery.
 */
static void test_reneged_loss_window(void **state)
{
	static const uint32_t b2[] = {2, 3};
	struct harness *h = *state;
	uint32_t max;

	respond(h);
	h->peer.ack = iss1(h);
	sack_segs(h, b2, 1);
	/* The first duplicate: Limited Transmit lets segment 10 go. */
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 10), h->tcb.rcv_nxt, MSS_TS);
	max = h->tcb.snd_max;
	/* Segments 0 and 1 arrive; the peer dropped the 2 it SACKed. */
	expect_renege_at(h, 2);
	assert_int_equal(h_sndq_block(h)->ssthresh, (max - S(h, 2)) / 2);
	assert_int_equal(h_sndq_block(h)->recover, max);
	assert_int_equal(h->tcb.dupacks, 0);
	assert_false(h->tcb.flags & TT_TCB_RTT_TIMING);
	/* Segment 2 arrives: cwnd two segments, 3 and 4 go. */
	h->peer.ack = S(h, 3);
	peer_sack(h, NULL, 0);
	assert_int_equal(h->n_tx, 2);
	h_expect(h, 0, TT_TCP_ACK, S(h, 3), h->tcb.rcv_nxt, MSS_TS);
	h_expect(h, 1, TT_TCP_ACK, S(h, 4), h->tcb.rcv_nxt, MSS_TS);
	assert_int_equal(h_sndq_block(h)->cwnd, 2 * MSS_TS);
	assert_int_equal(ev(h, TT_CTR_SACK_RENEGED), 1);
	assert_int_equal(ev(h, TT_CTR_SACK_RECOVERIES), 0);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 0);
}

/*
 * A peer that SACKs the byte after SND.UNA and then ACKs up to it reneges a byte at a time:
 * each renege is counted, but one that ACKs less than a segment is not met as a loss, which
 * would send a whole segment again for every byte taken.  Two hundred of them draw nothing
 * out again; the peer's window alone paces new data.
 */
static void test_renege_by_the_byte(void **state)
{
	struct harness *h = *state;

	respond(h);
	h->peer.ack = iss1(h);
	for (int i = 0; i < 200; i++) {
		struct tt_sack_block b = {h->peer.ack + 1, h->peer.ack + 2};

		peer_sack(h, &b, 1);
		h->peer.ack++;
		peer_sack(h, NULL, 0);
	}
	assert_int_equal(ev(h, TT_CTR_SACK_RENEGED), 200);
	assert_int_equal(ev(h, TT_CTR_RETRANSMITTED_BYTES), 0);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS) + ev(h, TT_CTR_SACK_RETRANSMITS), 0);
	/* The timer still sends the first unacknowledged segment again. */
	h_fire(h);
	assert_int_equal(ev(h, TT_CTR_RETRANSMITS), 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, h->peer.ack, h->tcb.rcv_nxt, MSS_TS);
}

/*
 * The same inside SACK recovery (begun by three duplicates SACKing the byte after SND.UNA): each
 * renege empties the scoreboard but keeps HighRxt, so a partial ACK sends SND.UNA's segment
 * again only once SND.UNA has passed what this recovery already sent again: a segment per
 * segment taken, not per byte.
 */
static void test_renege_by_the_byte_in_recovery(void **state)
{
	struct harness *h = *state;
	struct tt_sack_block b;
	uint64_t resent;

	respond(h);
	h->peer.ack = iss1(h);
	b = (struct tt_sack_block){iss1(h) + 1, iss1(h) + 2};
	for (int i = 0; i < 3; i++)
		peer_sack(h, &b, 1);
	assert_int_equal(ev(h, TT_CTR_SACK_RECOVERIES), 1);
	resent = ev(h, TT_CTR_RETRANSMITTED_BYTES);
	for (int i = 0; i < 200; i++) {
		h->peer.ack++;
		peer_sack(h, NULL, 0);
		b = (struct tt_sack_block){h->peer.ack + 1, h->peer.ack + 2};
		peer_sack(h, &b, 1);
	}
	assert_int_equal(ev(h, TT_CTR_SACK_RENEGED), 200);
	assert_true(ev(h, TT_CTR_RETRANSMITTED_BYTES) - resent <= 2 * MSS_TS);
}

/*
 * A block that starts at the ACK it came with claims the byte that ACK says the peer lacks:
 * ignored and counted, whether the ACK moved SND.UNA or not, and no renege follows it.  One
 * byte above the ACK it is a block, and an ACK that then stops at its start is a renege.
 */
static void test_block_at_ack_ignored(void **state)
{
	struct harness *h = *state;
	struct tt_sack_block b;

	respond(h);
	h->peer.ack = iss1(h);
	b = (struct tt_sack_block){S(h, 0), S(h, 2)};
	peer_sack(h, &b, 1);
	assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_IGNORED), 1);
	assert_int_equal(h->tcb.sack, TT_TCB_NO_BLOCK);
	h->peer.ack = S(h, 1);
	b = (struct tt_sack_block){S(h, 1), S(h, 3)};
	peer_sack(h, &b, 1);
	assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_IGNORED), 2);
	assert_int_equal(h->tcb.sack, TT_TCB_NO_BLOCK);
	peer_sack(h, NULL, 0);
	assert_int_equal(ev(h, TT_CTR_SACK_RENEGED), 0);
	b = (struct tt_sack_block){S(h, 1) + 1, S(h, 3)};
	peer_sack(h, &b, 1);
	assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_IGNORED), 2);
	assert_true(h->tcb.sack != TT_TCB_NO_BLOCK);
	h->peer.ack = S(h, 1) + 1;
	peer_sack(h, NULL, 0);
	assert_int_equal(ev(h, TT_CTR_SACK_RENEGED), 1);
	/* Of one byte: not met as a loss (test_renege_by_the_byte). */
	assert_true(h_sndq_block(h)->cwnd > MSS_TS);
}

/*
 * Blocks a peer may not send: below SND.UNA, beyond SND.MAX, inverted, half the sequence
 * space away, empty.  All ignored and counted, no scoreboard taken; duplicate and
 * overlapping valid ones become one range.
 */
static void test_invalid_blocks(void **state)
{
	struct harness *h = *state;
	struct tt_sack_block bad[TT_SACK_MAX_BLOCKS], good[3];

	respond(h);
	h->peer.ack = iss1(h);
	bad[0] = (struct tt_sack_block){S(h, 0) - 100, S(h, 0) + 100};
	bad[1] = (struct tt_sack_block){S(h, 9), h->tcb.snd_max + 1};
	bad[2] = (struct tt_sack_block){S(h, 3), S(h, 2)};
	bad[3] = (struct tt_sack_block){S(h, 2) + 0x80000000u, S(h, 3) + 0x80000000u};
	peer_sack(h, bad, 4);
	bad[0] = (struct tt_sack_block){S(h, 2), S(h, 2)};
	peer_sack(h, bad, 1);
	assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_RX), 5);
	assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_IGNORED), 5);
	assert_int_equal(h->tcb.sack, TT_TCB_NO_BLOCK);
	assert_int_equal(h->n_tx, 0);
	good[0] = (struct tt_sack_block){S(h, 1), S(h, 2)};
	good[1] = (struct tt_sack_block){S(h, 1) + 10, S(h, 2) + 10};
	good[2] = good[0];
	peer_sack(h, good, 3);
	assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_IGNORED), 5);
	assert_true(h->tcb.sack != TT_TCB_NO_BLOCK);
	{
		const struct tt_sack_sb *sb = tt_pool_at(h->ctx.sack_pool, h->tcb.sack);
		const uint32_t want[] = {MSS_TS, 2 * MSS_TS + 10};

		expect_ranges(sb, iss1(h), want, 1);
	}
	/* The third duplicate ACK: recovery resends segment 0 only. */
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 0), h->tcb.rcv_nxt, MSS_TS);
}

/* A peer without SACK-permitted: its blocks are ignored, NewReno recovers as before. */
static void test_no_sack_peer_newreno(void **state)
{
	static const uint32_t b[] = {1, 2};
	struct harness *h = *state;

	h->peer.syn_opts.present &= (uint8_t)~TT_OPT_SACK_OK;
	respond(h);
	assert_false(h->tcb.flags & TT_TCB_SACK);
	h->peer.ack = iss1(h);
	for (int i = 0; i < 3; i++)
		sack_segs(h, b, 1);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 0), h->tcb.rcv_nxt, MSS_TS);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 1);
	assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_IGNORED), 3);
	assert_int_equal(ev(h, TT_CTR_SACK_RECOVERIES), 0);
	assert_int_equal(h->tcb.sack, TT_TCB_NO_BLOCK);
	/* Partial ACK: the next segment at once (RFC 6582). */
	h->peer.ack = S(h, 2);
	peer_sack(h, NULL, 0);
	h_expect(h, 0, TT_TCP_ACK, S(h, 2), h->tcb.rcv_nxt, MSS_TS);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 2);
	assert_int_equal(ev(h, TT_CTR_RETRANSMITTED_BYTES), 2 * MSS_TS);
}

/* Our response to a peer whose window is 100 bytes (unscaled): those 100 bytes went. */
static void respond_small_window(struct harness *h, bool sack)
{
	h->peer.syn_opts.present &= (uint8_t)~TT_OPT_WSCALE;
	if (!sack)
		h->peer.syn_opts.present &= (uint8_t)~TT_OPT_SACK_OK;
	h->peer.wnd = 100;
	h_http_body(h, 30000);
	h_connect(h, TT_APP_HTTP);
	h_send_str(h, TT_TCP_ACK | TT_TCP_PSH, get_ka);
	assert_int_equal(h->n_tx, 1);
	assert_int_equal(h->tx[0].len, 100);
	assert_int_equal(h->tcb.snd_max, iss1(h) + 100);
	h->peer.ack = iss1(h);
}

/* Nothing of the last step goes past what was sent before (SND.MAX, inside the window). */
static void expect_within_sent(const struct harness *h)
{
	assert_true(h->n_tx > 0);
	for (unsigned i = 0; i < h->n_tx; i++)
		assert_true(h->tx[i].a.seq + h->tx[i].len <= iss1(h) + 100);
	assert_int_equal(h->tcb.snd_max, iss1(h) + 100);
}

/*
 * A retransmission sends again what was sent, never more: with 100 bytes in a window of 100,
 * NewReno's fast retransmit sends those 100, not a whole segment past SND.MAX and the window.
 */
static void test_fast_retransmit_within_sent(void **state)
{
	struct harness *h = *state;

	respond_small_window(h, false);
	for (int i = 0; i < 3; i++)
		peer_sack(h, NULL, 0);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 1);
	expect_within_sent(h);
	assert_int_equal(h->tx[0].len, 100);
}

/* The same in SACK recovery: the hole below a block of one byte, then on the partial ACK the
 * 99 bytes above it, no more. */
static void test_sack_resend_within_sent(void **state)
{
	struct harness *h = *state;
	struct tt_sack_block b;

	respond_small_window(h, true);
	b = (struct tt_sack_block){iss1(h) + 1, iss1(h) + 2};
	for (int i = 0; i < 3; i++)
		peer_sack(h, &b, 1);
	assert_int_equal(ev(h, TT_CTR_SACK_RECOVERIES), 1);
	expect_within_sent(h);
	h->peer.ack = iss1(h) + 1;
	peer_sack(h, NULL, 0);
	expect_within_sent(h);
	assert_int_equal(ev(h, TT_CTR_RETRANSMITTED_BYTES), 1 + 99);
}

/* No scoreboard left in the worker's pool: counted, and NewReno recovers. */
static void test_scoreboards_exhausted(void **state)
{
	static const uint32_t b[] = {1, 2};
	struct harness *h = *state;
	uint32_t taken[2];

	for (int i = 0; i < 2; i++)
		taken[i] = tt_pool_get(h->ctx.sack_pool);
	respond(h);
	h->peer.ack = iss1(h);
	for (int i = 0; i < 3; i++)
		sack_segs(h, b, 1);
	assert_int_equal(ev(h, TT_CTR_SACK_NO_SCOREBOARD), 3);
	assert_int_equal(ev(h, TT_CTR_FAST_RETRANSMITS), 1);
	h_expect(h, 0, TT_TCP_ACK, S(h, 0), h->tcb.rcv_nxt, MSS_TS);
	/* A block beyond SND.MAX before a valid one: the first is counted ignored, the second
	 * finds no scoreboard (counted once), and each block received is counted. */
	{
		struct tt_sack_block two[2] = {{h->tcb.snd_max + 10, h->tcb.snd_max + 20},
					       {S(h, 1), S(h, 2)}};
		uint64_t rx = ev(h, TT_CTR_SACK_BLOCKS_RX), ign = ev(h, TT_CTR_SACK_BLOCKS_IGNORED);

		peer_sack(h, two, 2);
		assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_RX), rx + 2);
		assert_int_equal(ev(h, TT_CTR_SACK_BLOCKS_IGNORED), ign + 1);
		assert_int_equal(ev(h, TT_CTR_SACK_NO_SCOREBOARD), 4);
	}
	/* A scoreboard frees up in the middle of this NewReno recovery: the one the next blocks
	 * take (segments 3 to 9, which make 0 to 2 lost) starts with segment 0, which NewReno
	 * sent again, as sent again (HighRxt): 1 and 2 go, not 0 a third time. */
	tt_pool_put(h->ctx.sack_pool, taken[1]);
	sack_segs(h, (const uint32_t[]){3, 10}, 1);
	assert_int_not_equal(h->tcb.sack, TT_TCB_NO_BLOCK);
	assert_true(h->n_tx >= 2);
	assert_int_equal(h->tx[0].a.seq, S(h, 1));
	assert_int_equal(h->tx[1].a.seq, S(h, 2));
	for (unsigned i = 0; i < h->n_tx; i++)
		assert_int_not_equal(h->tx[i].a.seq, S(h, 0));
	tt_pool_put(h->ctx.sack_pool, taken[0]);
}

/* tcp.sack = false: SACK-permitted is neither offered nor taken, with or without cookies. */
static void test_sack_off(void **state)
{
	struct harness *h = *state;

	h->conf.sack = false;
	h_send(h, TT_TCP_SYN, NULL, 0);
	assert_int_equal(h->n_tx, 1);
	assert_false(h->tx[0].a.opts.present & TT_OPT_SACK_OK);
	assert_false(h->tcb.flags & TT_TCB_SACK);
	tt_tcp_destroy(&h->ctx, &h->tcb);
	h->tcb_live = false;

	h->conf.syncookies = TT_SYNCOOKIES_ALWAYS;
	h->peer.nxt += 1000;
	h_send(h, TT_TCP_SYN, NULL, 0);
	assert_int_equal(h->lv, TT_L_SYNACK_COOKIE);
	assert_false(h->tx[0].a.opts.present & TT_OPT_SACK_OK);
	h->peer.ack = h->peer.rcv_max;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_true(h->tcb_live);
	assert_false(h->tcb.flags & TT_TCB_SACK);
}

/*
 * While out-of-order data is held, a segment that neither brings bytes at RCV.NXT nor ACKs
 * anything new is no sign of life: a peer that left a hole and ACKs every 90 s is reset by the
 * idle bound counted from its last progress, and the queue's block is given back.  Filling
 * the hole is progress.
 */
static void test_hole_held_is_no_life(void **state)
{
	struct harness *h = *state;
	uint64_t since;
	uint32_t base;

	h_connect(h, H_APP_REC);
	base = h->peer.nxt;
	h->ctx.now_ms += 1000;
	peer_data_at(h, base, SEG, SEG);
	assert_int_not_equal(h->tcb.ooo, TT_TCB_NO_BLOCK);
	for (unsigned i = 0; i < 2; i++) {
		h->ctx.now_ms += 90000;
		h_send(h, TT_TCP_ACK, NULL, 0);
		/* an out-of-order segment again, beyond the queued one */
		peer_data_at(h, base, 3 * SEG, SEG);
		assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), H_T0_MS + 1000 + 300000);
	}
	h->ctx.now_ms += 1000;
	peer_data_at(h, base, 0, SEG);
	since = h->ctx.now_ms;
	assert_int_equal(h->tcb.rcv_nxt, base + 2 * SEG);
	h->peer.nxt = base + 2 * SEG; /* the ACKs below come from the new RCV.NXT */
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), since + 300000);
	assert_int_not_equal(h->tcb.ooo, TT_TCB_NO_BLOCK); /* [3 * SEG, 4 * SEG) still held */
	h->ctx.now_ms += 90000;
	h_send(h, TT_TCP_ACK, NULL, 0);
	assert_int_equal(tt_tcp_deadline(&h->ctx, &h->tcb), since + 300000);
	h_fire(h);
	assert_int_equal(h->ctx.now_ms, since + 300000);
	assert_int_equal(h->v, TT_V_FREE);
	assert_int_equal(ev(h, TT_CTR_CONN_TIMEOUT), 1);
}

/*
 * The hole filled by a segment of fill bytes from RCV.NXT, the application takes only the
 * hole and part of the segment that waited behind it: the rest, which our SACK blocks
 * promised, is kept at RCV.NXT and still reported, and the peer's next segment (its ACK gives
 * the application its room back), a bare ACK or new data beyond, hands it over and draws our
 * ACK of it.
 */
static void partly_taken(struct harness *h, uint32_t fill, bool then_data)
{
	enum { GAP = 100, PART = SEG / 2 };
	const uint32_t want[] = {GAP + PART, GAP + SEG};
	uint32_t base;

	h_connect(h, H_APP_REC);
	base = h->peer.nxt;
	peer_data_at(h, base, GAP, SEG);
	h->app.accept = GAP + PART;
	peer_data_at(h, base, 0, fill);
	assert_int_equal(h->tcb.rcv_nxt, base + GAP + PART);
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, h->tcb.snd_nxt, base + GAP + PART, 0);
	expect_blocks(&h->tx[0], base, want, 1);
	/* Only bytes of the filling segment itself are dropped (not ACKed). */
	assert_int_equal(drops(h, TT_DROP_TCP_RCV_QUEUE_FULL), fill > GAP + PART);
	h->app.accept = UINT32_MAX;
	if (then_data) {
		/* New data beyond what is kept, as a peer that does not send SACKed bytes again
		 * goes on: the kept bytes go first, then the new ones in order. */
		peer_data_at(h, base, GAP + SEG, SEG);
		assert_int_equal(h->tcb.rcv_nxt, base + GAP + 2 * SEG);
		assert_int_equal(h->app.rx_len, GAP + 2 * SEG);
		assert_memory_equal(h->app.rx, peer_data, GAP + 2 * SEG);
	} else {
		h->peer.nxt = base + GAP + PART;
		h_send(h, TT_TCP_ACK, NULL, 0);
		assert_int_equal(h->tcb.rcv_nxt, base + GAP + SEG);
		assert_int_equal(h->app.rx_len, GAP + SEG);
		assert_memory_equal(h->app.rx, peer_data, GAP + SEG);
	}
	assert_int_equal(h->n_tx, 1);
	h_expect(h, 0, TT_TCP_ACK, h->tcb.snd_nxt, h->tcb.rcv_nxt, 0);
	expect_blocks(&h->tx[0], base, NULL, 0);
	assert_int_equal(h->tcb.ooo, TT_TCB_NO_BLOCK);
}

/* The hole exactly. */
static void test_partly_taken_rest_kept(void **state)
{
	partly_taken(*state, 100, false);
}

static void test_partly_taken_then_data(void **state)
{
	partly_taken(*state, 100, true);
}

/* The same with the peer's sequence numbers wrapping through 2^32 ten bytes into the rest. */
static void test_partly_taken_rest_kept_wrap(void **state)
{
	struct harness *h = *state;

	h->peer.nxt = UINT32_MAX - 100 - SEG / 2 - 10;
	partly_taken(h, 100, false);
}

/* A segment over the hole and all that waits behind it: the held segment keeps only what lies
 * beyond RCV.NXT, so no SACK block reports bytes below the ACK (a sender reads such a block as
 * a duplicate, RFC 2883). */
static void test_partly_taken_over_held(void **state)
{
	partly_taken(*state, 100 + SEG, false);
}

#define T(f) cmocka_unit_test_setup_teardown(f, sack_setup, sack_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sb_add),
	    cmocka_unit_test(test_sb_add_half_space),
	    cmocka_unit_test(test_sb_full_and_trim),
	    cmocka_unit_test(test_sb_lost_pipe_next),
	    T(test_blocks_sent_ts),
	    T(test_blocks_sent_ts_wrap),
	    T(test_partly_taken_rest_kept),
	    T(test_partly_taken_rest_kept_wrap),
	    T(test_partly_taken_then_data),
	    T(test_partly_taken_over_held),
	    T(test_blocks_sent_no_ts),
	    T(test_ooo_pool_exhausted),
	    T(test_blocks_not_agreed),
	    T(test_blocks_on_data_segments),
	    T(test_recovery_resends_holes),
	    T(test_recovery_on_islost),
	    T(test_dupacks_with_shrinking_window),
	    T(test_recovery_new_data_before_unlost_hole),
	    T(test_recovery_unlost_hole_when_no_new_data),
	    T(test_recovery_unlost_hole_when_window_short),
	    T(test_recovery_tail_before_unlost_hole),
	    T(test_rto_keeps_scoreboard),
	    T(test_window_edge_after_skip),
	    T(test_rto_reneged),
	    T(test_reneged_loss_window),
	    T(test_renege_by_the_byte),
	    T(test_renege_by_the_byte_in_recovery),
	    T(test_fast_retransmit_within_sent),
	    T(test_sack_resend_within_sent),
	    T(test_block_at_ack_ignored),
	    T(test_invalid_blocks),
	    T(test_no_sack_peer_newreno),
	    T(test_scoreboards_exhausted),
	    T(test_sack_off),
	    T(test_hole_held_is_no_life),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
