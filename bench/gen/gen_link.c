/*
 * The link's own limit, with no TCP at all: "blast" sends 64-byte frames
 * as fast as the port takes them and counts what comes back; "reflect"
 * (on the other end) swaps the MAC addresses of every frame and sends it
 * back.  The round-trip frame rate is the ceiling any TCP figure over the
 * same link has to be read against.  The reflector also counts its busy
 * cycles (iterations that received something, as the appliance counts its
 * own): busy cycles per reflected frame are what one frame received and one
 * sent cost in the PMD alone, the floor under any per-frame figure of the
 * appliance on the same port type.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "gen.h"

enum { LINK_BURST = 32, LINK_FRAME = 60, LINK_ETHERTYPE = 0x88b5 /* local experimental */ };

static uint16_t fill_burst(struct rte_mempool *pool, struct rte_mbuf **m)
{
	if (rte_pktmbuf_alloc_bulk(pool, m, LINK_BURST) != 0)
		return 0;
	for (unsigned i = 0; i < LINK_BURST; i++) {
		uint8_t *f = rte_pktmbuf_mtod(m[i], uint8_t *);

		memset(f, 0xff, 6);
		memset(f + 6, 0x02, 6);
		f[12] = LINK_ETHERTYPE >> 8;
		f[13] = LINK_ETHERTYPE & 0xff;
		memset(f + 14, 0, LINK_FRAME - 14);
		m[i]->data_len = m[i]->pkt_len = LINK_FRAME;
	}
	return LINK_BURST;
}

static void reflect_burst(struct rte_mbuf **m, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *e = rte_pktmbuf_mtod(m[i], struct rte_ether_hdr *);
		struct rte_ether_addr a = e->src_addr;

		e->src_addr = e->dst_addr;
		e->dst_addr = a;
		m[i]->ol_flags = 0;
	}
}

int gen_link_run(const struct gen_opts *o, uint16_t port_id, struct rte_mempool *pool,
		 volatile bool *quit, struct gen_link_result *r)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t start = rte_rdtsc();
	uint64_t end = start + (uint64_t)(o->duration_s * (double)hz), now = start;
	uint64_t first_rx = 0, last_rx = 0;
	struct rte_mbuf *m[LINK_BURST];

	memset(r, 0, sizeof(*r));
	while (!*quit && now < end) {
		uint16_t n = rte_eth_rx_burst(port_id, 0, m, LINK_BURST), sent;
		uint64_t before = now;

		r->rx += n;
		if (o->scenario == GEN_REFLECT) {
			reflect_burst(m, n);
		} else {
			rte_pktmbuf_free_bulk(m, n);
			n = fill_burst(pool, m);
		}
		sent = rte_eth_tx_burst(port_id, 0, m, n);
		r->tx += sent;
		if (sent < n)
			rte_pktmbuf_free_bulk(&m[sent], n - sent);
		now = rte_rdtsc();
		if (n > 0) {
			r->busy_cycles += now - before;
			first_rx = first_rx != 0 ? first_rx : before;
			last_rx = now;
		}
	}
	/* The load's span, first frame to last: not the seconds before the peer starts. */
	r->cycles = last_rx - first_rx;
	r->seconds = (double)(now - start) / (double)hz;
	return 0;
}
