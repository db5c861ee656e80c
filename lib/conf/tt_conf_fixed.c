/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A reload's keys that cannot change at run time (see tt_conf_reload_file in tt_conf.h).
 *
 * Each of them was consumed once at start and shaped something that stays: EAL's arguments
 * (eal), the lcores the workers run on (workers), the ports EAL probed and configured with
 * their queues, rings, MTU, addresses and offloads (ports), the connection table and pools each
 * worker allocated (tcp.max_conns_per_core, tcp.send_blocks_per_core,
 * tcp.app_blocks_per_core), the SYN cookie keys and
 * their rotation period (tcp.cookie_secret, tcp.time_wait_ms: a cookie's life is tied to TIME-WAIT,
 * so a shorter time_wait_ms would let an old cookie outlive it), the window scale a cookie's
 * SYN-ACK advertised, which its ACK cannot tell (tcp.wscale), the neighbour cache each worker
 * sized and whose entries run on its timings (neigh). Only the main lcore calls this.
 */
#include "tt_conf_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* "file:line: key: cannot change at run time"; line 0 (the default applies): the fallback. */
static int fixed(struct ctx *x, unsigned line, unsigned fallback, const char *key)
{
	snprintf(x->key, sizeof(x->key), "%s", key);
	tt_conf_fail(x, line ? line : (fallback ? fallback : 1), "cannot change at run time");
	return -EPERM;
}

static bool same_eal(const struct tt_conf *a, const struct tt_conf *b)
{
	if (a->n_eal_args != b->n_eal_args)
		return false;
	for (unsigned i = 0; i < a->n_eal_args; i++)
		if (strcmp(a->eal_args[i], b->eal_args[i]) != 0)
			return false;
	return true;
}

static bool same_workers(const struct tt_conf *a, const struct tt_conf *b)
{
	return a->n_workers == b->n_workers &&
	       memcmp(a->worker_lcores, b->worker_lcores,
		      a->n_workers * sizeof(a->worker_lcores[0])) == 0;
}

/*
 * The first address key (P_ADDRESS, P_ADDRESS6, P_GATEWAY, P_GATEWAY6) whose value differs
 * between a and b, or P_N.  Field by field: the structs' padding is whatever assignment left.
 */
static enum port_key addrs_diff(const struct tt_conf_addrs *a, const struct tt_conf_addrs *b)
{
	if (a->addr != b->addr || a->prefix_len != b->prefix_len)
		return P_ADDRESS;
	if (a->n_addr6 != b->n_addr6 ||
	    memcmp(a->addr6, b->addr6, sizeof(a->addr6[0]) * a->n_addr6) != 0 ||
	    memcmp(a->prefix6_len, b->prefix6_len, a->n_addr6) != 0)
		return P_ADDRESS6;
	if (a->gateway != b->gateway)
		return P_GATEWAY;
	if (memcmp(a->gateway6, b->gateway6, sizeof(a->gateway6)) != 0)
		return P_GATEWAY6;
	return P_N;
}

static bool same_vlans(const struct tt_conf_port *p, const struct tt_conf_port *q)
{
	if (p->n_vlans != q->n_vlans)
		return false;
	for (unsigned v = 0; v < p->n_vlans; v++)
		if (p->vlans[v].id != q->vlans[v].id ||
		    addrs_diff(&p->vlans[v].ip, &q->vlans[v].ip) != P_N)
			return false;
	return true;
}

/* The first key of port p that differs from q's, or P_N. */
static enum port_key port_diff(const struct tt_conf_port *p, const struct tt_conf_port *q)
{
	enum port_key k;

	if (strcmp(p->name, q->name) != 0)
		return P_NAME;
	if (strcmp(p->devargs, q->devargs) != 0 || p->is_pci != q->is_pci)
		return P_DEVICE;
	k = addrs_diff(&p->ip, &q->ip);
	if (k != P_N)
		return k;
	if (p->mtu != q->mtu)
		return P_MTU;
	if (p->rx_desc != q->rx_desc)
		return P_RX_DESC;
	if (p->tx_desc != q->tx_desc)
		return P_TX_DESC;
	if (p->checksum_offload != q->checksum_offload)
		return P_CKSUM_OFFLOAD;
	if (p->reply_to_source_mac != q->reply_to_source_mac)
		return P_REPLY_TO_SOURCE;
	if (!same_vlans(p, q))
		return P_VLANS;
	return P_N;
}

static const char *const port_key_names[P_N] = {
    [P_NAME] = "name",
    [P_DEVICE] = "device",
    [P_ADDRESS] = "address",
    [P_ADDRESS6] = "address6",
    [P_GATEWAY] = "gateway",
    [P_GATEWAY6] = "gateway6",
    [P_MTU] = "mtu",
    [P_RX_DESC] = "rx_desc",
    [P_TX_DESC] = "tx_desc",
    [P_CKSUM_OFFLOAD] = "checksum_offload",
    [P_REPLY_TO_SOURCE] = "reply_to_source_mac",
    [P_VLANS] = "vlans",
};

static int check_ports(struct ctx *x, const struct tt_conf *run)
{
	const struct tt_conf *c = &x->conf;
	char key[64];

	if (c->n_ports != run->n_ports)
		return fixed(x, x->root_line[R_PORTS], 1, "ports");
	for (unsigned i = 0; i < c->n_ports; i++) {
		enum port_key k = port_diff(&c->ports[i], &run->ports[i]);

		if (k == P_N)
			continue;
		snprintf(key, sizeof(key), "ports[%u].%s", i, port_key_names[k]);
		return fixed(x, x->port_line[i][k], x->root_line[R_PORTS], key);
	}
	return 0;
}

static int check_tcp(struct ctx *x, const struct tt_conf_tcp *t, const struct tt_conf_tcp *r)
{
	unsigned group = x->root_line[R_TCP];

	if (t->max_conns_per_core != r->max_conns_per_core)
		return fixed(x, x->tcp_line[T_MAX_CONNS], group, "tcp.max_conns_per_core");
	if (tt_conf_tcp_send_blocks(t) != tt_conf_tcp_send_blocks(r))
		return fixed(x, x->tcp_line[T_SEND_BLOCKS], group, "tcp.send_blocks_per_core");
	if (tt_conf_tcp_app_blocks(t) != tt_conf_tcp_app_blocks(r))
		return fixed(x, x->tcp_line[T_APP_BLOCKS], group, "tcp.app_blocks_per_core");
	if (t->time_wait_ms != r->time_wait_ms)
		return fixed(x, x->tcp_line[T_TIME_WAIT], group, "tcp.time_wait_ms");
	if (t->wscale != r->wscale)
		return fixed(x, x->tcp_line[T_WSCALE], group, "tcp.wscale");
	/* A cookie's MAC covers the timestamp option's presence: turned off, every cookie given
	 * with the option would fail its ACK for the cookies' lifetime. */
	if (t->timestamps != r->timestamps)
		return fixed(x, x->tcp_line[T_TIMESTAMPS], group, "tcp.timestamps");
	if (t->cookie_secret_random != r->cookie_secret_random ||
	    memcmp(t->cookie_secret, r->cookie_secret, sizeof(t->cookie_secret)) != 0)
		return fixed(x, x->tcp_line[T_SECRET], group, "tcp.cookie_secret");
	return 0;
}

int tt_conf_check_fixed(struct ctx *x)
{
	const struct tt_conf *c = &x->conf, *run = x->running;
	int rc;

	if (!same_eal(c, run))
		return fixed(x, x->root_line[R_EAL], 1, "eal");
	if (!same_workers(c, run))
		return fixed(x, x->root_line[R_WORKERS], 1, "workers");
	rc = check_ports(x, run);
	if (!rc && memcmp(&c->neigh, &run->neigh, sizeof(c->neigh)) != 0)
		rc = fixed(x, x->root_line[R_NEIGH], 1, "neigh");
	return rc ? rc : check_tcp(x, &c->tcp, &run->tcp);
}
