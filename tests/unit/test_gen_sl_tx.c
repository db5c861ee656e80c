/*
 * The stateless client's TX burst (bench/gen/gen_sl_tx.c) against a real ethdev whose TX queue
 * fills: a net_ring port (EAL without hugepages or PCI) whose TX ring holds ROOM frames until
 * the test takes them.  Replies the queue refuses are held and go first in the next burst, in
 * their order: none, one, the bound (GEN_SL_HOLD, the newest beyond it freed and counted), a
 * hold refused again, and a hold partly taken while new replies fill it up again.  Refused SYNs
 * are freed; every frame is either on the link, held, or back in the pool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "gen_sl_tx.h"

enum { ROOM = 7, POOL_MBUFS = 2047, MAX_FRAMES = 4096 }; /* a ring of 8 slots holds 7 */

static struct {
	struct rte_mempool *pool;
	struct rte_ring *rx, *tx;
	struct gen_sl_tx t;
	struct gen_sl_ctr c;
	/* Every reply offered, in order; replies[next_sent] is the next the link must see. */
	struct rte_mbuf *replies[MAX_FRAMES];
	unsigned n_replies, next_sent;
} g;

static int setup(void **state)
{
	char prefix[64];
	char *argv[] = {"test_gen_sl_tx", "--no-huge",	       "-m", "128", "--no-pci",
			"--no-shconf",	  "--log-level=error", "-l", "0",   prefix};

	(void)state;
	snprintf(prefix, sizeof(prefix), "--file-prefix=tt-test-gen-sl-tx-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv) < 0)
		return -1;
	/* No mempool cache: the in-use count is exact. */
	g.pool = rte_pktmbuf_pool_create("tt_test_pool", POOL_MBUFS, 0, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	g.rx = rte_ring_create("tt_test_rx", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	g.tx =
	    rte_ring_create("tt_test_tx", ROOM + 1, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (g.pool == NULL || g.rx == NULL || g.tx == NULL)
		return -1;
	if (rte_eth_from_rings("tt_test_ring", &g.rx, 1, &g.tx, 1, SOCKET_ID_ANY) < 0)
		return -1;
	if (rte_eth_dev_configure(0, 1, 1, &(struct rte_eth_conf){0}) != 0 ||
	    rte_eth_rx_queue_setup(0, 0, 64, SOCKET_ID_ANY, NULL, g.pool) != 0 ||
	    rte_eth_tx_queue_setup(0, 0, 64, SOCKET_ID_ANY, NULL) != 0 || rte_eth_dev_start(0) != 0)
		return -1;
	return 0;
}

/* Each test starts with zero counters (and, after all_back, an empty burst and link). */
static int reset(void **state)
{
	(void)state;
	memset(&g.c, 0, sizeof(g.c));
	g.n_replies = g.next_sent = 0;
	return 0;
}

/* The link's frames in order (the ring emptied): each must be the next reply, or a SYN. */
static unsigned link_take(unsigned *syns)
{
	void *objs[ROOM + 1];
	unsigned n = rte_ring_dequeue_burst(g.tx, objs, ROOM + 1, NULL);

	*syns = 0;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = objs[i];

		if (*rte_pktmbuf_mtod(m, uint8_t *) == 'S')
			++*syns;
		else
			assert_ptr_equal(m, g.replies[g.next_sent++]);
		rte_pktmbuf_free(m);
	}
	return n;
}

static struct rte_mbuf *frame(char kind)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(g.pool);

	assert_non_null(m);
	*rte_pktmbuf_mtod(m, char *) = kind;
	m->data_len = m->pkt_len = 60;
	return m;
}

/* One poll: n_rep new replies and n_syn SYNs appended behind what is held, and sent. */
static uint16_t poll_burst(unsigned n_rep, unsigned n_syn)
{
	uint64_t dropped = g.c.replies_dropped;
	uint16_t taken;

	assert_true(n_rep <= GEN_SL_BURST && n_syn <= 2 * GEN_SL_BURST);
	assert_true(g.n_replies + n_rep <= MAX_FRAMES);
	for (unsigned i = 0; i < n_rep; i++) {
		struct rte_mbuf *m = frame('R');

		g.replies[g.n_replies++] = m;
		gen_sl_tx_reply(&g.t, m);
	}
	for (unsigned i = 0; i < n_syn; i++)
		g.t.f[g.t.n++] = frame('S');
	taken = gen_sl_tx_send(&g.t, 0, &g.c);
	/* Those beyond the hold's bound are the newest: they never reach the link. */
	g.n_replies -= (unsigned)(g.c.replies_dropped - dropped);
	return taken;
}

/*
 * What is held is the replies the queue has not taken (the last of those offered, the dropped
 * ones left out), in order, and only those and the link's frames hold mbufs.
 */
static void check_held(unsigned held)
{
	assert_int_equal(g.t.n, held);
	assert_int_equal(g.t.held, held);
	assert_int_equal(g.t.replies, held);
	for (unsigned i = 0; i < held; i++)
		assert_ptr_equal(g.t.f[i], g.replies[g.n_replies - held + i]);
	assert_int_equal(rte_mempool_in_use_count(g.pool), held + rte_ring_count(g.tx));
}

static void check_ctr(uint64_t frames, uint64_t refused, uint64_t held, uint64_t resent,
		      uint64_t dropped)
{
	assert_int_equal(g.c.tx_frames, frames);
	assert_int_equal(g.c.tx_refused, refused);
	assert_int_equal(g.c.replies_held, held);
	assert_int_equal(g.c.replies_resent, resent);
	assert_int_equal(g.c.replies_dropped, dropped);
}

/*
 * After each test: what is left on the link reached it in order, and every frame not on it is
 * held or back in the pool.
 */
static int all_back(void **state)
{
	unsigned syns;

	(void)state;
	while (link_take(&syns) != 0)
		;
	assert_int_equal(rte_mempool_in_use_count(g.pool), g.t.n);
	gen_sl_tx_free(&g.t);
	assert_int_equal(rte_mempool_in_use_count(g.pool), 0);
	return 0;
}

static void test_all_taken(void **state)
{
	unsigned syns;

	(void)state;
	assert_int_equal(gen_sl_tx_send(&g.t, 0, &g.c), 0);
	assert_int_equal(poll_burst(ROOM - 2, 2), ROOM);
	check_held(0);
	check_ctr(ROOM, 0, 0, 0, 0);
	assert_int_equal(link_take(&syns), ROOM);
	assert_int_equal(syns, 2);
}

/* The queue refuses the SYNs behind the replies: freed, nothing held. */
static void test_syns_refused_freed(void **state)
{
	unsigned syns;

	(void)state;
	assert_int_equal(poll_burst(ROOM - 1, 4), ROOM);
	check_held(0);
	check_ctr(ROOM, 3, 0, 0, 0);
	assert_int_equal(link_take(&syns), ROOM);
	assert_int_equal(syns, 1);
}

/* One reply refused: held, and the first frame of the next burst. */
static void test_one_reply_held(void **state)
{
	unsigned syns;

	(void)state;
	assert_int_equal(poll_burst(ROOM + 1, 2), ROOM);
	check_held(1);
	check_ctr(ROOM, 3, 1, 0, 0);
	assert_int_equal(link_take(&syns), ROOM);
	assert_int_equal(poll_burst(2, 1), 4);
	check_held(0);
	check_ctr(ROOM + 4, 3, 1, 1, 0);
	assert_int_equal(link_take(&syns), 4);
	assert_int_equal(syns, 1);
	assert_int_equal(g.next_sent, ROOM + 3);
}

/* A full queue refuses the held replies again: they stay, counted refused only once. */
static void test_held_refused_again(void **state)
{
	unsigned syns;

	(void)state;
	assert_int_equal(poll_burst(ROOM + 2, 0), ROOM);
	check_held(2);
	assert_int_equal(poll_burst(3, 2), 0);
	check_held(5);
	check_ctr(ROOM, 2 + 5, 5, 0, 0);
	assert_int_equal(link_take(&syns), ROOM);
	assert_int_equal(poll_burst(0, 0), 5);
	check_held(0);
	check_ctr(ROOM + 5, 7, 5, 5, 0);
	assert_int_equal(link_take(&syns), 5);
	assert_int_equal(syns, 0);
}

/*
 * Polls of GEN_SL_BURST replies into a full queue fill the hold to its bound; the next poll's
 * replies are freed (the newest go).  Then the link takes ROOM a poll: the oldest held go out
 * and ROOM of the poll's new replies take their places, the rest freed; polls without replies
 * drain the hold in order.
 */
static void test_hold_bound(void **state)
{
	const unsigned polls = GEN_SL_HOLD / GEN_SL_BURST;
	const uint64_t refused = GEN_SL_HOLD + polls + GEN_SL_BURST + 1;
	unsigned syns;

	(void)state;
	assert_int_equal(poll_burst(ROOM, 0), ROOM);
	for (unsigned i = 0; i < polls; i++) {
		assert_int_equal(poll_burst(GEN_SL_BURST, 1), 0);
		check_held((i + 1) * GEN_SL_BURST);
	}
	check_ctr(ROOM, GEN_SL_HOLD + polls, GEN_SL_HOLD, 0, 0);
	assert_int_equal(poll_burst(GEN_SL_BURST, 1), 0);
	check_held(GEN_SL_HOLD);
	check_ctr(ROOM, refused, GEN_SL_HOLD, 0, GEN_SL_BURST);
	for (unsigned k = 1; k <= 3; k++) {
		assert_int_equal(link_take(&syns), ROOM);
		assert_int_equal(poll_burst(GEN_SL_BURST, 0), ROOM);
		check_held(GEN_SL_HOLD);
		check_ctr(ROOM * (k + 1), refused + GEN_SL_BURST * k, GEN_SL_HOLD + ROOM * k,
			  ROOM * k, GEN_SL_BURST + (GEN_SL_BURST - ROOM) * k);
	}
	while (g.t.n != 0) {
		assert_int_equal(link_take(&syns), ROOM);
		assert_int_equal(syns, 0);
		assert_int_equal(poll_burst(0, 0),
				 RTE_MIN(g.n_replies - g.next_sent, (unsigned)ROOM));
		check_held(g.n_replies - g.next_sent - rte_ring_count(g.tx));
	}
	while (link_take(&syns) != 0)
		;
	assert_int_equal(g.next_sent, g.n_replies);
	assert_int_equal(g.c.replies_resent, g.c.replies_held);
}

/* The client stops with replies held: they go back to the pool (all_back checks). */
static void test_free_held(void **state)
{
	(void)state;
	assert_int_equal(poll_burst(ROOM + 3, 1), ROOM);
	check_held(3);
	gen_sl_tx_free(&g.t);
	assert_int_equal(g.t.n + g.t.held + g.t.replies, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_all_taken, reset, all_back),
	    cmocka_unit_test_setup_teardown(test_syns_refused_freed, reset, all_back),
	    cmocka_unit_test_setup_teardown(test_one_reply_held, reset, all_back),
	    cmocka_unit_test_setup_teardown(test_held_refused_again, reset, all_back),
	    cmocka_unit_test_setup_teardown(test_hold_bound, reset, all_back),
	    cmocka_unit_test_setup_teardown(test_free_held, reset, all_back),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
