/*
 * The link's own limit, with no TCP state at all: "blast" sends 60-byte frames
 * as fast as the port takes them and counts what comes back; "reflect"
 * (on the other end) swaps the MAC addresses of every frame and sends it
 * back.  The round-trip frame rate is the ceiling any TCP figure over the
 * same link has to be read against.  The reflector also counts its busy
 * cycles (iterations that received something, as the appliance counts its
 * own): busy cycles per reflected frame are what one frame received and one
 * sent cost in the PMD alone, the floor under any per-frame figure of the
 * appliance on the same port type.
 *
 * So that both ends' PMDs treat the frames as they treat the appliance's, every
 * frame is an IPv4 TCP segment (an ACK without payload, padded to 60 bytes) with
 * the checksums the port's offloads take (--checksum-offload, as in the rate
 * runs): the TCP one left to the link and flagged so, which makes a virtio-user
 * reflector parse each frame's headers on receipt (rte_net_get_ptype) and mark it
 * for the peer on sending, as the appliance's port does.  The reflector sends each
 * frame back with the same flags; a swap of the MAC addresses changes no sum.
 *
 * "respond" runs the same loop with a TCP client at the other end: each frame is
 * parsed and answered in place by gen_responder.h, a reply sent with the port's
 * checksum flags; frames without a reply are freed.  Its busy cycles per
 * connection answered are what the appliance's would come to on that port
 * if it kept nothing.
 * It alone also reads the TSC around its receive and send calls (busy
 * iterations only, as the appliance counts port_rx_cycles and
 * port_tx_cycles): two reads more an iteration, which the floor's reflector
 * does not pay.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "gen.h"
#include "gen_responder.h"
#include "tt_port.h"

enum {
	LINK_BURST = 32,
	LINK_FRAME = 60, /* Ethernet's minimum: a 54-byte segment and its padding */
	LINK_SRC_ADDR = 0xc6120002u, /* 198.18.0.2 -> 198.18.0.1, RFC 2544's range */
	LINK_DST_ADDR = 0xc6120001u,
	LINK_SRC_PORT = 1024,
	LINK_DST_PORT = 9,
};

/* The blaster's frame: the same bytes every time, its checksums as offload leaves them. */
static void link_frame(uint8_t frame[GEN_TMPL_ROOM], const struct tt_port *port)
{
	const struct tt_tcp_hdr_args a = {
	    .src_mac = port->mac,
	    .dst_mac = {{0x02, 0, 0, 0, 0, 0x01}},
	    .daddr = LINK_DST_ADDR,
	    .dport = LINK_DST_PORT,
	    .flags = TT_TCP_ACK,
	    .wnd = 65535,
	};
	struct gen_tmpl t;

	memset(frame, 0, GEN_TMPL_ROOM);
	/* An ACK without payload always fits the template's room. */
	gen_tmpl_init(&t, &a, NULL, 0, port->tx_cksum_offload);
	gen_tmpl_write(&t, frame, LINK_SRC_ADDR, LINK_SRC_PORT, 1, 1);
}

/* The mbuf fields that hand frame's checksums to the port, as the appliance sets them. */
static void link_tx_flags(struct rte_mbuf *m, uint64_t ol_flags)
{
	m->ol_flags = ol_flags;
	m->l2_len = TT_ETH_HDR_LEN;
	m->l3_len = TT_IP4_HDR_LEN;
}

static uint16_t fill_burst(struct rte_mempool *pool, const uint8_t *frame, uint64_t ol_flags,
			   struct rte_mbuf **m)
{
	if (rte_pktmbuf_alloc_bulk(pool, m, LINK_BURST) != 0)
		return 0;
	for (unsigned i = 0; i < LINK_BURST; i++) {
		memcpy(rte_pktmbuf_mtod(m[i], uint8_t *), frame, LINK_FRAME);
		m[i]->data_len = m[i]->pkt_len = LINK_FRAME;
		link_tx_flags(m[i], ol_flags);
	}
	return LINK_BURST;
}

static void reflect_burst(struct rte_mbuf **m, uint16_t n, uint64_t ol_flags)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_ether_hdr *e = rte_pktmbuf_mtod(m[i], struct rte_ether_hdr *);
		struct rte_ether_addr a = e->src_addr;

		e->src_addr = e->dst_addr;
		e->dst_addr = a;
		link_tx_flags(m[i], ol_flags);
	}
}

/* The responder's answers to n received frames, in place: the replies first in m, their count;
 * the rest freed. */
static uint16_t respond_burst(struct gen_rsp *rsp, const struct tt_port *port,
			      struct tt_net_if *ifc, uint64_t ol_flags, struct rte_mbuf **m,
			      uint16_t n)
{
	struct rte_mbuf *drop[LINK_BURST];
	uint16_t k = 0, d = 0;

	/* The headers' lines on their way for the whole burst, as the appliance asks for them. */
	for (uint16_t i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(m[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		uint8_t *frame = rte_pktmbuf_mtod(m[i], uint8_t *);
		enum tt_drop reason;
		struct tt_pkt pkt;
		uint32_t len = 0;

		ifc->rx_cksum = tt_port_rx_cksum(port->rx_cksum_offload, m[i]);
		switch (tt_net_parse(frame, rte_pktmbuf_data_len(m[i]), ifc, &pkt, &reason)) {
		case TT_PKT_TCP:
			len = gen_rsp_answer(rsp, &pkt, frame);
			break;
		case TT_PKT_ARP: /* the client's, for our MAC before its load */
			if (pkt.arp_op == TT_ARP_OP_REQUEST) {
				tt_net_arp_reply(frame, &pkt, ifc);
				m[i]->ol_flags = 0;
				m[k++] = m[i];
				continue;
			}
			break;
		default:
			rsp->ctr.not_ours++;
			break;
		}
		if (len == 0) {
			drop[d++] = m[i];
			continue;
		}
		m[i]->data_len = (uint16_t)len;
		m[i]->pkt_len = len;
		link_tx_flags(m[i], ol_flags);
		m[k++] = m[i];
	}
	rte_pktmbuf_free_bulk(drop, d);
	return k;
}

int gen_link_run(const struct gen_opts *o, const struct tt_port *port, struct rte_mempool *pool,
		 volatile bool *quit, struct gen_link_result *r)
{
	static struct gen_rsp rsp;
	struct tt_net_if ifc = {.mac = port->mac, .addr = o->server, .addr_count = 1};
	uint16_t port_id = port->port_id;
	uint64_t ol_flags =
	    port->tx_cksum_offload != 0 ? tt_port_tx_ol_flags(port->tx_cksum_offload) : 0;
	uint8_t frame[GEN_TMPL_ROOM];
	uint64_t hz = rte_get_tsc_hz();
	uint64_t start = rte_rdtsc();
	uint64_t end = start + (uint64_t)(o->duration_s * (double)hz), now = start;
	uint64_t first_rx = 0, last_rx = 0;
	struct rte_mbuf *m[LINK_BURST];
	bool timed = o->scenario == GEN_RESPOND;

	memset(r, 0, sizeof(*r));
	link_frame(frame, port);
	/* Replies are written over the frames they answer: every buffer has room for a template. */
	if (o->scenario == GEN_RESPOND &&
	    (rte_pktmbuf_data_room_size(pool) < RTE_PKTMBUF_HEADROOM + GEN_TMPL_ROOM ||
	     !gen_rsp_init(&rsp, &port->mac, o->server, o->server_port, o->body,
			   o->close_mode == GEN_CLOSE_SERVER, port->tx_cksum_offload))) {
		fprintf(stderr, "tcpterm-gen: the response does not fit the frames\n");
		return 1;
	}
	while (!*quit && now < end) {
		uint64_t before = now, rx_end = 0, tx_start = 0;
		uint16_t got = rte_eth_rx_burst(port_id, 0, m, LINK_BURST), n = got, sent;

		/* The responder's port calls are timed as the appliance times its own. */
		if (timed)
			rx_end = rte_rdtsc();
		r->rx += got;
		if (o->scenario == GEN_RESPOND) {
			n = respond_burst(&rsp, port, &ifc, ol_flags, m, got);
		} else if (o->scenario == GEN_REFLECT) {
			reflect_burst(m, n, ol_flags);
		} else {
			rte_pktmbuf_free_bulk(m, n);
			n = fill_burst(pool, frame, ol_flags, m);
		}
		if (timed)
			tx_start = rte_rdtsc();
		sent = rte_eth_tx_burst(port_id, 0, m, n);
		r->tx += sent;
		r->tx_refused += n - sent;
		if (sent < n)
			rte_pktmbuf_free_bulk(&m[sent], n - sent);
		now = rte_rdtsc();
		/* Busy: what was received (a burst the responder wholly freed too), or blasted. */
		if ((o->scenario == GEN_BLAST ? n : got) > 0) {
			r->busy_cycles += now - before;
			r->port_rx_cycles += timed ? rx_end - before : 0;
			r->port_tx_cycles += timed ? now - tx_start : 0;
			first_rx = first_rx != 0 ? first_rx : before;
			last_rx = now;
		}
	}
	/* The load's span, first frame to last: not the seconds before the peer starts. */
	r->cycles = last_rx - first_rx;
	r->rsp = rsp.ctr;
	r->seconds = (double)(now - start) / (double)hz;
	return 0;
}
