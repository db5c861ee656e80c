#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "tt_port.h"

enum { TT_LINK_WAIT_MS = 3000 };

void tt_port_dev_name(const struct tt_conf_port *c, char *name, size_t len)
{
	size_t n = strcspn(c->devargs, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, c->devargs, n);
	name[n] = '\0';
}

/*
 * Each checksum layer and direction is taken on its own: virtio-user, for one, offloads
 * the TCP checksum both ways but never the IPv4 header's, which costs little in software.
 * Its RX offload makes the PMD parse the headers of each frame the peer flagged
 * (rte_net_get_ptype, a few percent of the cps profile): the price of taking the frame's
 * checksum as good (tt_port_rx_cksum) without summing its payload in software.
 */
static void negotiate_cksum(const struct tt_conf_port *c, const struct rte_eth_dev_info *info,
			    struct rte_eth_conf *conf, struct tt_port *p)
{
	const uint64_t rx_ck = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;

	if (!c->checksum_offload)
		return;
	/* The TAP PMD "offloads" in software and sends a computed TCP checksum of 0x0000 as
	 * 0xffff (the UDP rule, RFC 768), which receivers flag; ours costs the same. */
	if (strcmp(info->driver_name, "net_tap") != 0) {
		if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) {
			conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
			p->tx_cksum_offload |= TT_TX_IP_CKSUM;
		}
		if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) {
			conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
			p->tx_cksum_offload |= TT_TX_TCP_CKSUM;
		}
	}
	conf->rxmode.offloads |= info->rx_offload_capa & rx_ck;
	p->rx_cksum_offload = (info->rx_offload_capa & rx_ck) != 0;
}

/*
 * A port that serves VLANs strips and inserts tags in hardware when it reports so; the workers
 * do it in software otherwise (tt_net_parse, tt_net_vlan_insert).  No VLAN filter is set:
 * every tag arrives, and one no interface serves is counted (vlan_unserved).
 */
static void negotiate_vlan(const struct tt_conf_port *c, const struct rte_eth_dev_info *info,
			   struct rte_eth_conf *conf, struct tt_port *p)
{
	if (c->n_vlans == 0)
		return;
	if (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_VLAN_STRIP) {
		conf->rxmode.offloads |= RTE_ETH_RX_OFFLOAD_VLAN_STRIP;
		p->rx_vlan_strip = true;
	}
	if (info->tx_offload_capa & RTE_ETH_TX_OFFLOAD_VLAN_INSERT) {
		conf->txmode.offloads |= RTE_ETH_TX_OFFLOAD_VLAN_INSERT;
		p->tx_vlan_insert = true;
	}
}

/*
 * Whether the workers send a port's TX batch after each full RX burst as well as once per
 * loop iteration.  Only on memif: a shared-memory ring whose send call hands descriptors over
 * with no doorbell, and whose peer serves the replies sooner when they come in smaller
 * batches.  Alternated inside runs (bench/README.md), the appliance on a memif zero-copy link
 * took 1-13% fewer busy cycles per short connection, 2-6% fewer per keep-alive request and per
 * SYN cookie, and kept 7-11% more connections a second when offered twice its capacity; on
 * vhost-user and virtio-user the same was as costly or 1-6% worse, so they flush once.
 */
static bool tx_flush_policy(const struct rte_eth_dev_info *info)
{
	return strcmp(info->driver_name, "net_memif") == 0;
}

/*
 * Whether the port's driver writes a header of its own into a sent frame's headroom, just before
 * its data: virtio's net header, which virtio and virtio-user push there (when the buffer is the
 * frame's alone) and read back in the send call to clear the fields left set.  That line is then
 * one more the reply touches (tt_worker_rx_burst prefetches it with the reply's own lines).
 */
static bool tx_header_policy(const struct rte_eth_dev_info *info)
{
	return strcmp(info->driver_name, "net_virtio_user") == 0 ||
	       strcmp(info->driver_name, "net_virtio") == 0;
}

static void negotiate_offloads(const struct tt_conf_port *c, const struct rte_eth_dev_info *info,
			       struct rte_eth_conf *conf, struct tt_port *p, uint16_t n_queues)
{
	const uint64_t rss_hf = RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4 |
				RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_IPV6;

	negotiate_cksum(c, info, conf, p);
	negotiate_vlan(c, info, conf, p);
	if (n_queues > 1 && (info->flow_type_rss_offloads & rss_hf) != 0) {
		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = info->flow_type_rss_offloads & rss_hf;
		p->rss = true;
	}
}

/* Queue 0's descriptors as its driver reports them into *rx and *tx; false when it does not. */
static bool rings_reported(uint16_t port_id, uint16_t *rx, uint16_t *tx)
{
	struct rte_eth_rxq_info rxq;
	struct rte_eth_txq_info txq;

	if (rte_eth_rx_queue_info_get(port_id, 0, &rxq) != 0 ||
	    rte_eth_tx_queue_info_get(port_id, 0, &txq) != 0)
		return false;
	*rx = rxq.nb_desc;
	*tx = txq.nb_desc;
	return true;
}

static int setup_queues(const struct tt_conf_port *c, struct tt_port *p, struct rte_mempool **pools,
			const struct rte_eth_conf *conf, char *err, size_t errlen)
{
	uint16_t nb_rx = c->rx_desc, nb_tx = c->tx_desc;
	int socket = rte_eth_dev_socket_id(p->port_id);
	int rc;

	rc = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rx, &nb_tx);
	if (rc != 0) {
		snprintf(err, errlen,
			 "port %s: cannot fit rx_desc %u / tx_desc %u to the driver: %s", c->name,
			 c->rx_desc, c->tx_desc, rte_strerror(-rc));
		return rc;
	}
	/* The PMD's own TX free threshold: virtio freeing sent mbufs soon after the peer took
	 * them (a threshold near the ring's size) made the rps benchmark slower, cps no faster. */
	for (uint16_t q = 0; q < p->n_queues; q++) {
		struct rte_eth_txconf txc = {.offloads = conf->txmode.offloads};

		rc = rte_eth_rx_queue_setup(p->port_id, q, nb_rx, socket, NULL, pools[q]);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(p->port_id, q, nb_tx, socket, &txc);
		if (rc != 0) {
			snprintf(err, errlen, "port %s: queue %u setup failed: %s", c->name, q,
				 rte_strerror(-rc));
			return rc;
		}
	}
	p->rx_desc = nb_rx;
	p->tx_desc = nb_tx;
	p->rings_reported = rings_reported(p->port_id, &p->rx_desc, &p->tx_desc);
	return 0;
}

static void wait_link(struct tt_port *p)
{
	struct rte_eth_link link;

	for (int ms = 0; ms < TT_LINK_WAIT_MS; ms += 100) {
		if (rte_eth_link_get_nowait(p->port_id, &link) == 0 && link.link_status)
			return;
		rte_delay_ms(100);
	}
}

/* The Ethernet group of addr's solicited-node group (RFC 2464 7) as mc[(*n)++]. */
static void add_group(struct rte_ether_addr *mc, unsigned *n, const uint8_t addr[16])
{
	struct tt_in6 a, g;

	memcpy(a.b, addr, 16);
	tt_net_solicited_node(&a, &g);
	mc[*n].addr_bytes[0] = 0x33;
	mc[*n].addr_bytes[1] = 0x33;
	memcpy(&mc[*n].addr_bytes[2], &g.b[12], 4);
	(*n)++;
}

/*
 * Neighbour solicitations come to the solicited-node group of each IPv6 address (the port's and
 * its VLANs'), unsolicited advertisements to all-nodes: have the port pass those groups'
 * Ethernet addresses, or all multicast when it cannot filter by a list.
 */
static int join_solicited_nodes(const struct tt_conf_port *c, struct tt_port *p, char *err,
				size_t errlen)
{
	struct rte_ether_addr mc[TT_CONF_MAX_ADDR6 * (1 + TT_CONF_MAX_VLANS) + 1];
	unsigned n = 0;
	int rc;

	for (unsigned i = 0; i < c->ip.n_addr6; i++)
		add_group(mc, &n, c->ip.addr6[i]);
	for (unsigned v = 0; v < c->n_vlans; v++)
		for (unsigned i = 0; i < c->vlans[v].ip.n_addr6; i++)
			add_group(mc, &n, c->vlans[v].ip.addr6[i]);
	if (n == 0)
		return 0;
	mc[n++] = (struct rte_ether_addr){{0x33, 0x33, 0, 0, 0, 1}}; /* all-nodes */
	rc = rte_eth_dev_set_mc_addr_list(p->port_id, mc, n);
	if (rc == 0)
		return 0;
	rc = rte_eth_allmulticast_enable(p->port_id);
	if (rc != 0 && rc != -ENOTSUP)
		snprintf(err, errlen, "port %s: cannot receive IPv6 solicited-node multicast: %s",
			 c->name, rte_strerror(-rc));
	/* -ENOTSUP: a port without multicast filtering (a TAP) passes every group anyway. */
	return rc == -ENOTSUP ? 0 : rc;
}

/* A driver that cannot set the MTU keeps its own: the configured one must fit in it. */
static int mtu_kept(const struct tt_conf_port *c, const struct tt_port *p, char *err, size_t errlen)
{
	uint16_t mtu;

	if (rte_eth_dev_get_mtu(p->port_id, &mtu) != 0 || c->mtu <= mtu)
		return 0;
	snprintf(err, errlen, "port %s: MTU %u: %s cannot set it and has %u", c->name, c->mtu,
		 p->driver, mtu);
	return -EINVAL;
}

int tt_port_start(const struct tt_conf_port *c, uint16_t n_queues, struct rte_mempool **pools,
		  struct tt_port *p, char *err, size_t errlen)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN];
	int rc;

	memset(p, 0, sizeof(*p));
	tt_port_dev_name(c, name, sizeof(name));
	if (rte_eth_dev_get_port_by_name(name, &p->port_id) != 0) {
		snprintf(err, errlen,
			 "port %s: no device '%s' (is the driver loaded? for a PCI NIC bind it to "
			 "vfio-pci; for a virtual device check the devargs)",
			 c->name, name);
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(p->port_id, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: cannot read device info: %s", c->name,
			 rte_strerror(-rc));
		return rc;
	}
	if (n_queues > info.max_rx_queues || n_queues > info.max_tx_queues) {
		snprintf(err, errlen, "port %s: %u workers need %u queue pairs, %s has %u/%u",
			 c->name, n_queues, n_queues, info.driver_name, info.max_rx_queues,
			 info.max_tx_queues);
		return -EINVAL;
	}
	p->n_queues = n_queues;
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	negotiate_offloads(c, &info, &conf, p, n_queues);
	p->tx_flush_per_burst = tx_flush_policy(&info);
	p->tx_header_in_headroom = tx_header_policy(&info);
	rc = rte_eth_dev_configure(p->port_id, n_queues, n_queues, &conf);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: configure failed: %s", c->name, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_set_mtu(p->port_id, c->mtu);
	if (rc == -ENOTSUP)
		rc = mtu_kept(c, p, err, errlen);
	else if (rc != 0)
		snprintf(err, errlen, "port %s: cannot set MTU %u: %s", c->name, c->mtu,
			 rte_strerror(-rc));
	if (rc == 0)
		rc = setup_queues(c, p, pools, &conf, err, errlen);
	if (rc != 0) {
		rte_eth_dev_close(p->port_id); /* configured, not started: the caller stops none */
		return rc;
	}
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		snprintf(err, errlen, "port %s: start failed: %s", c->name, rte_strerror(-rc));
		rte_eth_dev_close(p->port_id);
		return rc;
	}
	rc = join_solicited_nodes(c, p, err, errlen);
	if (rc != 0) {
		tt_port_stop(p);
		return rc;
	}
	rte_eth_macaddr_get(p->port_id, &mac);
	memcpy(p->mac.b, mac.addr_bytes, 6);
	wait_link(p);
	return 0;
}

void tt_port_stop(struct tt_port *p)
{
	rte_eth_dev_stop(p->port_id);
	rte_eth_dev_close(p->port_id);
}

static_assert(TT_PORT_QUEUE_STATS == RTE_ETHDEV_QUEUE_STAT_CNTRS, "per-queue stats size");

/*
 * The main lcore's periodic line and the telemetry thread both read the ports' statistics, and
 * ethdev's calls on one port are not safe from two threads at once: a NIC's driver that adds
 * clear-on-read registers into its totals (ixgbe, igb) would lose what one of two concurrent
 * reads took.  So every read is made under this lock.
 */
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

int tt_port_stats_add(const struct tt_port *p, struct tt_port_stats *s)
{
	struct rte_eth_stats e;
	int rc;

	pthread_mutex_lock(&stats_lock);
	rc = rte_eth_stats_get(p->port_id, &e);
	pthread_mutex_unlock(&stats_lock);

	if (rc != 0)
		return rc;
	s->ipackets += e.ipackets;
	s->opackets += e.opackets;
	s->ibytes += e.ibytes;
	s->obytes += e.obytes;
	s->imissed += e.imissed;
	s->ierrors += e.ierrors;
	s->oerrors += e.oerrors;
	s->rx_nombuf += e.rx_nombuf;
	for (unsigned q = 0; q < TT_PORT_QUEUE_STATS; q++) {
		s->q_ipackets[q] += e.q_ipackets[q];
		s->q_opackets[q] += e.q_opackets[q];
	}
	return 0;
}

int tt_port_xstats_each(const struct tt_port *p,
			void (*fn)(void *arg, const char *name, uint64_t value), void *arg)
{
	int n = rte_eth_xstats_get_names(p->port_id, NULL, 0);
	struct rte_eth_xstat_name *names;
	struct rte_eth_xstat *values;
	int got;

	if (n <= 0)
		return n;
	names = calloc((size_t)n, sizeof(*names));
	values = calloc((size_t)n, sizeof(*values));
	got = names != NULL && values != NULL ? 0 : -ENOMEM;
	if (got == 0) {
		int v = 0;

		/* A count above n (the device grew in between) fills nothing: asked again later. */
		pthread_mutex_lock(&stats_lock);
		got = rte_eth_xstats_get_names(p->port_id, names, (unsigned)n);
		if (got > 0)
			v = rte_eth_xstats_get(p->port_id, values, (unsigned)n);
		pthread_mutex_unlock(&stats_lock);
		if (got > n || v > n)
			got = -EAGAIN;
		else if (got > 0)
			got = RTE_MIN(got, v);
		for (int i = 0; i < got; i++)
			if (values[i].id < (uint64_t)n)
				fn(arg, names[values[i].id].name, values[i].value);
	}
	free(names);
	free(values);
	return got;
}
