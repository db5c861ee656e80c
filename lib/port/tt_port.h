/*
 * tt_port: bring up one ethdev port for N workers.
 *
 * One RX and one TX queue per worker, queue k fed from worker k's own
 * mbuf pool.  RSS over IPv4/TCP and IPv6/TCP when the port has more than one queue and
 * reports RSS; otherwise the device's own queue choice must keep a flow
 * on one queue (the TAP PMD: the kernel picks the queue by flow hash).
 * Checksum offloads are enabled per layer (IPv4 header, TCP) and direction
 * wherever the port reports them and the port's checksum_offload is "auto"
 * (except TX on net_tap, whose software emulation gets a zero TCP checksum
 * wrong); the workers compute and verify the rest in software.
 * A port with IPv6 addresses is made to receive their solicited-node groups' multicast
 * (the group list, else all multicast; a port that cannot filter receives them anyway).
 * tt_port_rx_cksum() turns a received mbuf's flags into the parser's
 * TT_RX_* bits: per packet, inline, a few instructions.  A port with VLANs
 * strips and inserts 802.1Q tags in hardware where it reports so.
 *
 * Called on the main lcore before the workers start; returns 0 or -errno
 * and fills err with one line an operator can act on.
 *
 * Statistics (tt_port_stats_add, tt_port_xstats_each) are read on the
 * main lcore and the telemetry thread while the workers run, one read at a
 * time (a lock: ethdev's calls on a port are not safe from two threads, and
 * some drivers add clear-on-read registers into their totals); a value may
 * be one burst behind.
 */
#ifndef TT_PORT_H
#define TT_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "tt_conf.h"
#include "tt_net.h"

struct tt_port {
	uint16_t port_id;
	uint16_t n_queues;
	struct tt_mac mac;
	bool rss;
	uint8_t tx_cksum_offload; /* TT_TX_* bits: checksums the port completes on transmit */
	bool rx_cksum_offload;	  /* the port flags received checksums good or bad */
	bool rx_vlan_strip;	  /* the port strips 802.1Q tags into the mbuf (port with VLANs) */
	bool tx_vlan_insert;	  /* the port inserts the mbuf's tag on transmit (likewise) */
	bool tx_flush_per_burst;  /* the workers send after each full RX burst (tx_flush_policy) */
	bool tx_header_in_headroom; /* the PMD writes its own header just before a sent frame */
	/* Descriptors per queue, which the start banner names: as the driver reports its rings
	 * (rings_reported), else rx_desc and tx_desc as set up after the driver's declared
	 * bounds (rte_eth_dev_adjust_nb_rx_tx_desc).  A driver may still cut a ring it does not
	 * report (virtio to its queue_size). */
	uint16_t rx_desc, tx_desc;
	bool rings_reported;
	char driver[32];
};

/* The ethdev name EAL gives the device of a configured port (the vdev name or PCI address). */
void tt_port_dev_name(const struct tt_conf_port *c, char *name, size_t len);

/*
 * The port's verdict on a received frame's checksums as TT_RX_* bits; 0 when the port
 * does not verify (rx_cksum_offload false: its flags are not even read).  L4 "NONE"
 * is a frame whose sender left the checksum to offload on a link that vouches for its
 * integrity (virtio's NEEDS_CSUM): its checksum field is a partial sum, so it must be
 * taken as good, never summed.  The same holds for an IPv4 "NONE".
 */
static inline uint8_t tt_port_rx_cksum(bool rx_cksum_offload, const struct rte_mbuf *m)
{
	uint64_t ip, l4;
	uint8_t f = 0;

	if (!rx_cksum_offload)
		return 0;
	ip = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (ip == RTE_MBUF_F_RX_IP_CKSUM_GOOD || ip == RTE_MBUF_F_RX_IP_CKSUM_NONE)
		f |= TT_RX_IP_CKSUM_GOOD;
	else if (ip == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		f |= TT_RX_IP_CKSUM_BAD;
	if (l4 == RTE_MBUF_F_RX_L4_CKSUM_GOOD || l4 == RTE_MBUF_F_RX_L4_CKSUM_NONE)
		f |= TT_RX_L4_CKSUM_GOOD;
	else if (l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		f |= TT_RX_L4_CKSUM_BAD;
	return f;
}

/* The mbuf TX flags that make the PMD complete the checksums (TT_TX_* bits in offload) that
 * tt_net_tcp_build_tx left to it; the mbuf's l2_len and l3_len must be set beside them. */
static inline uint64_t tt_port_tx_ol_flags(uint8_t offload)
{
	uint64_t f = RTE_MBUF_F_TX_IPV4;

	if (offload & TT_TX_IP_CKSUM)
		f |= RTE_MBUF_F_TX_IP_CKSUM;
	if (offload & TT_TX_TCP_CKSUM)
		f |= RTE_MBUF_F_TX_TCP_CKSUM;
	return f;
}

/* Whether the port stripped an 802.1Q tag from m (into m->vlan_tci). */
static inline bool tt_port_rx_vlan_stripped(bool rx_vlan_strip, const struct rte_mbuf *m)
{
	return rx_vlan_strip && (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED);
}

int tt_port_start(const struct tt_conf_port *c, uint16_t n_queues, struct rte_mempool **pools,
		  struct tt_port *p, char *err, size_t errlen);
void tt_port_stop(struct tt_port *p);

/* Per-queue counters ethdev keeps (RTE_ETHDEV_QUEUE_STAT_CNTRS); later queues go uncounted. */
enum { TT_PORT_QUEUE_STATS = 16 };

/* The ethdev basic statistics (struct rte_eth_stats), with their ethdev names. */
struct tt_port_stats {
	uint64_t ipackets, opackets, ibytes, obytes;
	uint64_t imissed;   /* the NIC had no free RX descriptor: we did not poll fast enough */
	uint64_t ierrors;   /* erroneous frames the NIC discarded */
	uint64_t oerrors;   /* transmissions the NIC failed */
	uint64_t rx_nombuf; /* the PMD found no mbuf to refill the RX ring with */
	uint64_t q_ipackets[TT_PORT_QUEUE_STATS], q_opackets[TT_PORT_QUEUE_STATS];
};

/* Add port p's basic statistics into s (to sum ports); 0 or -errno (s unchanged). */
int tt_port_stats_add(const struct tt_port *p, struct tt_port_stats *s);

/*
 * Call fn for each of port p's extended statistics (the basic ones, per queue, and the PMD's
 * own), in the PMD's order; returns how many, or -errno.
 */
int tt_port_xstats_each(const struct tt_port *p,
			void (*fn)(void *arg, const char *name, uint64_t value), void *arg);

#endif
