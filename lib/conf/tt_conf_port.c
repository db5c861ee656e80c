/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "ports" list: device strings (PCI addresses normalised to DPDK's form, vdevs checked),
 * IPv4 address/prefix and gateway, IPv6 addresses/prefixes and gateway, descriptor ring sizes, the
 * VLANs of each port, and the checks across ports and VLANs (distinct addresses; a VLAN's prefix
 * overlaps no other interface's, so that an address names one interface).
 */
#include "tt_conf_priv.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct tt_conf_port port_defaults = {
    .mtu = 1500, .rx_desc = 1024, .tx_desc = 1024, .checksum_offload = true};

static const char *const cksum_offload_names[] = {"off", "auto"};

static int parse_port_name(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	struct tt_conf_port *p = obj;
	const char *str = NULL, *q;
	int rc = tt_conf_get_str(x, s, sizeof(p->name), &str);

	(void)k;
	if (rc)
		return rc;
	if (!str[0])
		return tt_conf_fail(x, line_of(s), "must not be empty");
	/* the name ends up in log lines and stats labels: keep it one plain word */
	for (q = str; *q; q++)
		if (!isalnum((unsigned char)*q) && !strchr("_-.", *q))
			return tt_conf_fail(x, line_of(s),
					    "\"%s\" may only hold letters, digits, '_', '-', '.'",
					    str);
	memcpy(p->name, str, strlen(str) + 1);
	return 0;
}

/*
 * Accepts "DDDD:BB:DD.F" or "BB:DD.F", optionally followed by ",args", and writes DPDK's full
 * lower-case form (the one rte_eth_dev names use) into out.
 */
static bool pci_normalize(const char *s, char *out, size_t cap)
{
	unsigned long dom = 0, bus, dev;
	const char *p = s;

	if (tt_conf_hex_run(p, 5) == 4 && p[4] == ':') {
		dom = strtoul(p, NULL, 16);
		p += 5;
	}
	if (tt_conf_hex_run(p, 3) != 2 || p[2] != ':')
		return false;
	bus = strtoul(p, NULL, 16);
	p += 3;
	if (tt_conf_hex_run(p, 3) != 2 || p[2] != '.')
		return false;
	dev = strtoul(p, NULL, 16);
	p += 3;
	if (dev > 0x1f || *p < '0' || *p > '7' || (p[1] != '\0' && p[1] != ','))
		return false;
	snprintf(out, cap, "%04lx:%02lx:%02lx.%c%s", dom, bus, dev, *p, p + 1);
	return true;
}

/* "driver" or "driver,args": a driver name made of [A-Za-z0-9_] starting with a letter. */
static bool is_vdev(const char *s)
{
	const char *p;

	if (!isalpha((unsigned char)s[0]))
		return false;
	for (p = s; *p && *p != ','; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	for (; *p; p++)
		if (isspace((unsigned char)*p))
			return false;
	return true;
}

static int parse_device(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	struct tt_conf_port *p = obj;
	char full[2 * sizeof(p->devargs)];
	const char *str = NULL;
	int rc = tt_conf_get_str(x, s, sizeof(p->devargs), &str);

	(void)k;
	if (rc)
		return rc;
	p->is_pci = pci_normalize(str, full, sizeof(full));
	if (!p->is_pci && !is_vdev(str))
		return tt_conf_fail(
		    x, line_of(s),
		    "\"%s\" is neither a PCI address (DDDD:BB:DD.F or BB:DD.F) nor a vdev "
		    "(driver[,args])",
		    str);
	if (!p->is_pci)
		memcpy(full, str, strlen(str) + 1);
	if (strlen(full) >= sizeof(p->devargs))
		return tt_conf_fail(x, line_of(s),
				    "is too long with the PCI domain added (at most %zu)",
				    sizeof(p->devargs) - 1);
	memcpy(p->devargs, full, strlen(full) + 1);
	return 0;
}

/* The same device for EAL: the PCI address (normalized) or the vdev's name, before its
 * arguments (tt_port_dev_name); two ports cannot share one. */
static bool same_device(const struct tt_conf_port *a, const struct tt_conf_port *b)
{
	size_t n = strcspn(a->devargs, ",");

	return n == strcspn(b->devargs, ",") && memcmp(a->devargs, b->devargs, n) == 0;
}

static void ip_str(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static uint32_t prefix_mask(unsigned len)
{
	return len ? ~(uint32_t)0 << (32 - len) : 0;
}

/* Why a is no address for a host of its own, or NULL. */
static const char *unusable_host(uint32_t a)
{
	if ((a >> 24) == 0)
		return "is in 0.0.0.0/8, not a host address";
	if ((a >> 24) == 127)
		return "is a loopback address";
	if ((a >> 28) >= 0xe)
		return "is a multicast, reserved or broadcast address";
	return NULL;
}

/* The network or broadcast address of its subnet cannot be a host (except /31 and /32). */
static const char *unusable_in_subnet(uint32_t a, unsigned len)
{
	uint32_t host = a & ~prefix_mask(len);

	if (len > 30)
		return NULL;
	if (host == 0)
		return "is the network address of its prefix";
	if (host == ~prefix_mask(len))
		return "is the broadcast address of its prefix";
	return NULL;
}

static int get_ipv4(struct ctx *x, const config_setting_t *s, const char *str, uint32_t *a)
{
	struct in_addr in;
	const char *why;

	if (inet_pton(AF_INET, str, &in) != 1)
		return tt_conf_fail(x, line_of(s), "\"%s\" is not an IPv4 address", str);
	*a = ntohl(in.s_addr);
	why = unusable_host(*a);
	return why ? tt_conf_fail(x, line_of(s), "%s %s", str, why) : 0;
}

/* The interface addresses an address key of a port or VLAN group writes (at the key's offset). */
static struct tt_conf_addrs *addrs_of(const struct key *k, void *obj)
{
	return (struct tt_conf_addrs *)((char *)obj + k->off);
}

static int parse_address(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	struct tt_conf_addrs *p = addrs_of(k, obj);
	char buf[64], *slash;
	const char *str = NULL, *why;
	int rc = tt_conf_get_str(x, s, sizeof(buf), &str);

	if (rc)
		return rc;
	memcpy(buf, str, strlen(str) + 1);
	slash = strchr(buf, '/');
	if (!slash || strspn(slash + 1, "0123456789") != strlen(slash + 1) || !slash[1] ||
	    strlen(slash + 1) > 2)
		return tt_conf_fail(x, line_of(s), "\"%s\" is not IPv4/prefix, e.g. 198.18.0.2/24",
				    str);
	*slash = '\0';
	p->prefix_len = (uint8_t)atoi(slash + 1);
	if (p->prefix_len < 1 || p->prefix_len > 32)
		return tt_conf_fail(x, line_of(s), "prefix length %u is out of range (1..32)",
				    p->prefix_len);
	rc = get_ipv4(x, s, buf, &p->addr);
	if (rc)
		return rc;
	why = unusable_in_subnet(p->addr, p->prefix_len);
	return why ? tt_conf_fail(x, line_of(s), "%s %s", str, why) : 0;
}

/* Why a is no address for a host interface of its own, or NULL (RFC 4291 2.4, 2.5.5.2). */
static const char *unusable_host6(const uint8_t a[16])
{
	static const uint8_t zero[16], mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (a[0] == 0xff)
		return "is a multicast address";
	if (!memcmp(a, zero, 15) && (a[15] == 0 || a[15] == 1))
		return a[15] ? "is the loopback address" : "is the unspecified address";
	if (!memcmp(a, mapped, sizeof(mapped)))
		return "is an IPv4-mapped address";
	return NULL;
}

/* One "addr/prefix" entry of address6 into slot i of the interface's addresses (obj). */
static int address6_elem(struct ctx *x, const config_setting_t *e, unsigned i, void *obj)
{
	struct tt_conf_addrs *p = obj;
	char buf[64], *slash;
	const char *str = NULL, *why;
	unsigned len;
	int rc = tt_conf_get_str(x, e, sizeof(buf), &str);

	if (rc)
		return rc;
	memcpy(buf, str, strlen(str) + 1);
	slash = strchr(buf, '/');
	if (!slash || !slash[1] || strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
	    strlen(slash + 1) > 3)
		return tt_conf_fail(x, line_of(e), "\"%s\" is not IPv6/prefix, e.g. 2001:2::2/64",
				    str);
	*slash = '\0';
	len = (unsigned)atoi(slash + 1);
	if (len < 1 || len > 128)
		return tt_conf_fail(x, line_of(e), "prefix length %u is out of range (1..128)",
				    len);
	if (inet_pton(AF_INET6, buf, p->addr6[i]) != 1)
		return tt_conf_fail(x, line_of(e), "\"%s\" is not an IPv6 address", buf);
	why = unusable_host6(p->addr6[i]);
	if (why)
		return tt_conf_fail(x, line_of(e), "%s %s", buf, why);
	for (unsigned j = 0; j < i; j++)
		if (!memcmp(p->addr6[j], p->addr6[i], 16))
			return tt_conf_fail(x, line_of(e), "%s is already address6[%u]", buf, j);
	p->prefix6_len[i] = (uint8_t)len;
	p->n_addr6 = i + 1;
	return 0;
}

/* One string, or a list of them. */
static int parse_address6(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return address6_elem(x, s, 0, addrs_of(k, obj));
	return tt_conf_for_each_elem(x, s, "a string or a list of strings \"addr/prefix\"", 1,
				     TT_CONF_MAX_ADDR6, address6_elem, addrs_of(k, obj));
}

static int parse_gateway(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	const char *str = NULL;
	int rc = tt_conf_get_str(x, s, 64, &str);

	return rc ? rc : get_ipv4(x, s, str, &addrs_of(k, obj)->gateway);
}

static int parse_gateway6(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	struct tt_conf_addrs *p = addrs_of(k, obj);
	const char *str = NULL, *why;
	int rc = tt_conf_get_str(x, s, 64, &str);

	if (rc)
		return rc;
	if (inet_pton(AF_INET6, str, p->gateway6) != 1)
		return tt_conf_fail(x, line_of(s), "\"%s\" is not an IPv6 address (no /prefix)",
				    str);
	why = unusable_host6(p->gateway6);
	return why ? tt_conf_fail(x, line_of(s), "%s %s", str, why) : 0;
}

/* Whether a and b share their first len bits. */
static bool same_prefix6(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned i = 0;

	for (; len >= 8; len -= 8, i++)
		if (a[i] != b[i])
			return false;
	return len == 0 || ((a[i] ^ b[i]) & (uint8_t)(0xff00 >> len)) == 0;
}

/*
 * gateway6 is reachable without a gateway: link-local (fe80::/10, on every link) or inside one
 * of the port's address6 prefixes, and not one of its addresses.
 */
static int check_gateway6(struct ctx *x, const struct tt_conf_addrs *p, unsigned line)
{
	static const uint8_t zero[16];
	char gw[INET6_ADDRSTRLEN];
	unsigned i;

	if (!memcmp(p->gateway6, zero, 16))
		return 0;
	inet_ntop(AF_INET6, p->gateway6, gw, sizeof(gw));
	if (p->n_addr6 == 0)
		return tt_conf_fail_in(x, line, "gateway6",
				       "%s needs an address6 on the port (ours to solicit it from)",
				       gw);
	for (i = 0; i < p->n_addr6; i++)
		if (!memcmp(p->gateway6, p->addr6[i], 16))
			return tt_conf_fail_in(x, line, "gateway6", "%s is the port's own address6",
					       gw);
	if (p->gateway6[0] == 0xfe && (p->gateway6[1] & 0xc0) == 0x80)
		return 0;
	for (i = 0; i < p->n_addr6; i++)
		if (same_prefix6(p->gateway6, p->addr6[i], p->prefix6_len[i]))
			return 0;
	return tt_conf_fail_in(x, line, "gateway6",
			       "%s is outside every address6 prefix and not link-local (fe80::/10)",
			       gw);
}

/* Descriptor rings are power-of-two sized by every PMD this appliance targets. */
static int parse_desc(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	int rc = tt_conf_parse_uint(x, s, k, obj);
	uint16_t v;

	if (rc)
		return rc;
	v = *(uint16_t *)((char *)obj + k->off);
	return v & (v - 1) ? tt_conf_fail(x, line_of(s), "%u is not a power of two", v) : 0;
}

static int parse_cksum_offload(struct ctx *x, const config_setting_t *s, const struct key *k,
			       void *obj)
{
	unsigned m;
	int rc = tt_conf_get_name(x, s, cksum_offload_names, 2, "auto, off", &m);

	(void)k;
	if (rc)
		return rc;
	((struct tt_conf_port *)obj)->checksum_offload = m == 1;
	return 0;
}

/* The gateway of an interface (p's address, prefix and gateway) is a host of its prefix. */
static int check_gateway(struct ctx *x, const struct tt_conf_addrs *p, unsigned line)
{
	uint32_t mask = prefix_mask(p->prefix_len);
	const char *why;
	char gw[16], net[16];

	if (!p->gateway)
		return 0;
	ip_str(p->gateway, gw);
	ip_str(p->addr & mask, net);
	if ((p->gateway ^ p->addr) & mask)
		return tt_conf_fail_in(x, line, "gateway", "%s is outside %s/%u", gw, net,
				       p->prefix_len);
	if (p->gateway == p->addr)
		return tt_conf_fail_in(x, line, "gateway", "%s is the interface's own address", gw);
	why = unusable_in_subnet(p->gateway, p->prefix_len);
	return why ? tt_conf_fail_in(x, line, "gateway", "%s %s", gw, why) : 0;
}

/* A key of the interface addresses (struct tt_conf_addrs) at type.ip, parsed by fn. */
#define ADDRS_KEY(n, fn, type, req)                                                                \
	{                                                                                          \
		.name = (n), .parse = (fn), .off = offsetof(type, ip), .required = (req)           \
	}

/* A VLAN's address keys go through the port's parsers, into its own struct tt_conf_addrs. */
static const struct key vlan_keys[V_N] = {
    [V_ID] = UINT_KEY("id", struct tt_conf_vlan, id, 1, 4094),
    [V_ADDRESS] = ADDRS_KEY("address", parse_address, struct tt_conf_vlan, true),
    [V_GATEWAY] = ADDRS_KEY("gateway", parse_gateway, struct tt_conf_vlan, false),
    [V_ADDRESS6] = ADDRS_KEY("address6", parse_address6, struct tt_conf_vlan, false),
    [V_GATEWAY6] = ADDRS_KEY("gateway6", parse_gateway6, struct tt_conf_vlan, false),
};

/* The key path of a port's VLAN v, for an error found after the port's group was walked. */
static void push_vlan(struct ctx *x, unsigned v)
{
	tt_conf_push(x, "vlans", 0);
	tt_conf_push(x, NULL, v);
}

/* One interface of the ports parsed so far, for the checks across them. */
struct iface {
	uint32_t addr;
	uint8_t prefix_len;
	unsigned port;
	int vlan; /* index in the port's vlans, -1: the untagged port */
};

static void iface_name(const struct iface *f, char *buf, size_t cap)
{
	if (f->vlan < 0)
		snprintf(buf, cap, "ports[%u]", f->port);
	else
		snprintf(buf, cap, "ports[%u].vlans[%d]", f->port, f->vlan);
}

/* An error at the key of interface f (a port's, or with a VLAN's path pushed, its VLAN's). */
static int iface_fail(struct ctx *x, const struct iface *f, unsigned port_key, unsigned vlan_key,
		      const char *key, const char *msg)
{
	if (f->vlan < 0)
		return tt_conf_fail_in(x, x->port_line[f->port][port_key], key, "%s", msg);
	push_vlan(x, (unsigned)f->vlan);
	return tt_conf_fail_in(x, x->vlan_line[f->port][f->vlan][vlan_key], key, "%s", msg);
}

/*
 * Why a VLAN interface (or one beside a VLAN) cannot be next to f: the same address, or
 * prefixes that overlap (an address would then name two interfaces); NULL when they may.
 */
static const char *clash(const struct iface *a, const struct iface *f)
{
	uint8_t len = a->prefix_len < f->prefix_len ? a->prefix_len : f->prefix_len;

	if (a->addr == f->addr)
		return "is already the address of";
	if (((a->addr ^ f->addr) & prefix_mask(len)) == 0)
		return "overlaps the prefix of";
	return NULL;
}

/* The interfaces of ports[0..n_ports) and of p (port index i, vlans [0..n_vlans)). */
static unsigned ifaces(const struct tt_conf *c, unsigned i, const struct tt_conf_port *p,
		       unsigned n_vlans, struct iface *out)
{
	unsigned n = 0;

	for (unsigned j = 0; j <= i; j++) {
		const struct tt_conf_port *q = j < i ? &c->ports[j] : p;
		unsigned nv = j < i ? q->n_vlans : n_vlans;

		out[n++] = (struct iface){q->ip.addr, q->ip.prefix_len, j, -1};
		for (unsigned v = 0; v < nv; v++)
			out[n++] = (struct iface){q->vlans[v].ip.addr, q->vlans[v].ip.prefix_len, j,
						  (int)v};
	}
	return n;
}

static int vlan_elem(struct ctx *x, const config_setting_t *e, unsigned v, void *obj)
{
	struct tt_conf_port *port = obj;
	unsigned *lines = x->vlan_line[x->cur_port][v];
	struct tt_conf_vlan vlan = {.id = 0};
	int rc;

	if (!config_setting_is_group(e))
		return tt_conf_wrong_type(x, e, "a group { id = ...; address = ...; }");
	rc = tt_conf_walk_group(x, e, vlan_keys, V_N, &vlan, lines);
	if (!rc && !lines[V_ID])
		rc = tt_conf_fail_in(x, line_of(e), "id", "required key is missing");
	if (!rc)
		rc = check_gateway(x, &vlan.ip, lines[V_GATEWAY]);
	if (!rc)
		rc = check_gateway6(x, &vlan.ip, lines[V_GATEWAY6]);
	if (rc)
		return rc;
	for (unsigned j = 0; j < v; j++)
		if (port->vlans[j].id == vlan.id)
			return tt_conf_fail_in(x, lines[V_ID], "id", "%u is already vlans[%u]",
					       vlan.id, j);
	port->vlans[v] = vlan;
	port->n_vlans = v + 1;
	return 0;
}

static int parse_vlans(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	(void)k;
	((struct tt_conf_port *)obj)->n_vlans = 0;
	return tt_conf_for_each_elem(x, s, "a list of groups ( { id = ...; ... }, ... )", 0,
				     TT_CONF_MAX_VLANS, vlan_elem, obj);
}

/*
 * Port i (p, parsed whole) and its VLANs against every interface before them: the port's own
 * address against the VLANs of earlier ports, each VLAN against all (ports never against ports:
 * two ports on one prefix were allowed before VLANs existed).
 */
static int check_ifaces(struct ctx *x, unsigned i, const struct tt_conf_port *p)
{
	struct iface all[TT_CONF_MAX_PORTS * (1 + TT_CONF_MAX_VLANS)];
	unsigned n = ifaces(&x->conf, i, p, p->n_vlans, all);

	/* all[] lists the interfaces in order, so each is checked against those before it. */
	for (unsigned a = 0; a < n; a++) {
		if (all[a].port != i)
			continue;
		for (unsigned b = 0; b < a; b++) {
			const char *why;
			char ip[16], other[48], msg[128];

			if ((all[a].vlan < 0 && all[b].vlan < 0) ||
			    (why = clash(&all[a], &all[b])) == NULL)
				continue;
			ip_str(all[a].addr, ip);
			iface_name(&all[b], other, sizeof(other));
			snprintf(msg, sizeof(msg), "%s/%u %s %s", ip, all[a].prefix_len, why,
				 other);
			return iface_fail(x, &all[a], P_ADDRESS, V_ADDRESS, "address", msg);
		}
	}
	return 0;
}
/* One IPv6 address of an interface, for the check that no two interfaces share one. */
struct addr6_of {
	const uint8_t *a;
	struct iface f; /* port and VLAN; addr and prefix_len unused */
};

/* The IPv6 addresses of ports[0..i) and of p (port index i), each with its interface. */
static unsigned addrs6(const struct tt_conf *c, unsigned i, const struct tt_conf_port *p,
		       struct addr6_of *out)
{
	unsigned n = 0;

	for (unsigned j = 0; j <= i; j++) {
		const struct tt_conf_port *q = j < i ? &c->ports[j] : p;

		for (unsigned a = 0; a < q->ip.n_addr6; a++)
			out[n++] = (struct addr6_of){q->ip.addr6[a], {0, 0, j, -1}};
		for (unsigned v = 0; v < q->n_vlans; v++)
			for (unsigned a = 0; a < q->vlans[v].ip.n_addr6; a++)
				out[n++] =
				    (struct addr6_of){q->vlans[v].ip.addr6[a], {0, 0, j, (int)v}};
	}
	return n;
}

/*
 * No IPv6 address of port i (p, its VLANs included) is one of another interface's (earlier
 * ports and their VLANs, the port itself and its other VLANs): an address names one interface.
 */
static int check_addr6_distinct(struct ctx *x, unsigned i, const struct tt_conf_port *p)
{
	struct addr6_of all[TT_CONF_MAX_PORTS * (1 + TT_CONF_MAX_VLANS) * TT_CONF_MAX_ADDR6];
	unsigned n = addrs6(&x->conf, i, p, all);
	char ip6[INET6_ADDRSTRLEN], other[48], msg[128];

	for (unsigned a = 0; a < n; a++) {
		if (all[a].f.port != i)
			continue;
		for (unsigned b = 0; b < a; b++) {
			if (memcmp(all[a].a, all[b].a, 16) != 0 ||
			    (all[a].f.port == all[b].f.port && all[a].f.vlan == all[b].f.vlan))
				continue;
			inet_ntop(AF_INET6, all[a].a, ip6, sizeof(ip6));
			iface_name(&all[b].f, other, sizeof(other));
			snprintf(msg, sizeof(msg), "%s is already an address of %s", ip6, other);
			return iface_fail(x, &all[a].f, P_ADDRESS6, V_ADDRESS6, "address6", msg);
		}
	}
	return 0;
}

/* One interface's addresses, for the gateway check across interfaces. */
struct addrs_of {
	const struct tt_conf_addrs *ip;
	struct iface f; /* port and VLAN; addr and prefix_len unused */
};

/* Whether the gateway of g is an address of a: IPv4 (v6 false) or IPv6. */
static bool gateway_is_address(const struct tt_conf_addrs *g, const struct tt_conf_addrs *a,
			       bool v6)
{
	static const uint8_t none[16];

	if (!v6)
		return g->gateway != 0 && g->gateway == a->addr;
	if (!memcmp(g->gateway6, none, 16))
		return false;
	for (unsigned k = 0; k < a->n_addr6; k++)
		if (!memcmp(g->gateway6, a->addr6[k], 16))
			return true;
	return false;
}

/*
 * No gateway or gateway6 of one interface is an address of another (check_gateway and
 * check_gateway6 hold each interface to its own): frames for it would be sent to ourselves.
 * Port i (p, its VLANs included) against every interface of ports[0..i] and the other way.
 */
static int check_gateways_not_ours(struct ctx *x, unsigned i, const struct tt_conf_port *p)
{
	struct addrs_of all[TT_CONF_MAX_PORTS * (1 + TT_CONF_MAX_VLANS)];
	unsigned n = 0;
	char ip[INET6_ADDRSTRLEN], other[48], msg[128];

	for (unsigned j = 0; j <= i; j++) {
		const struct tt_conf_port *q = j < i ? &x->conf.ports[j] : p;

		all[n++] = (struct addrs_of){&q->ip, {0, 0, j, -1}};
		for (unsigned v = 0; v < q->n_vlans; v++)
			all[n++] = (struct addrs_of){&q->vlans[v].ip, {0, 0, j, (int)v}};
	}
	for (unsigned g = 0; g < n; g++) {
		for (unsigned a = 0; a < n; a++) {
			if (a == g || (all[g].f.port != i && all[a].f.port != i))
				continue;
			for (int v6 = 0; v6 <= 1; v6++) {
				if (!gateway_is_address(all[g].ip, all[a].ip, v6))
					continue;
				if (v6)
					inet_ntop(AF_INET6, all[g].ip->gateway6, ip, sizeof(ip));
				else
					ip_str(all[g].ip->gateway, ip);
				if (all[g].f.port == i) {
					iface_name(&all[a].f, other, sizeof(other));
					snprintf(msg, sizeof(msg), "%s is an address of %s", ip,
						 other);
					return v6 ? iface_fail(x, &all[g].f, P_GATEWAY6, V_GATEWAY6,
							       "gateway6", msg)
						  : iface_fail(x, &all[g].f, P_GATEWAY, V_GATEWAY,
							       "gateway", msg);
				}
				iface_name(&all[g].f, other, sizeof(other));
				snprintf(msg, sizeof(msg), "%s is the %s of %s", ip,
					 v6 ? "gateway6" : "gateway", other);
				return v6 ? iface_fail(x, &all[a].f, P_ADDRESS6, V_ADDRESS6,
						       "address6", msg)
					  : iface_fail(x, &all[a].f, P_ADDRESS, V_ADDRESS,
						       "address", msg);
			}
		}
	}
	return 0;
}

static const struct key port_keys[P_N] = {
    [P_NAME] = {.name = "name", .parse = parse_port_name, .required = true},
    [P_DEVICE] = {.name = "device", .parse = parse_device, .required = true},
    [P_ADDRESS] = ADDRS_KEY("address", parse_address, struct tt_conf_port, true),
    [P_ADDRESS6] = ADDRS_KEY("address6", parse_address6, struct tt_conf_port, false),
    [P_GATEWAY] = ADDRS_KEY("gateway", parse_gateway, struct tt_conf_port, false),
    [P_GATEWAY6] = ADDRS_KEY("gateway6", parse_gateway6, struct tt_conf_port, false),
    [P_MTU] = UINT_KEY("mtu", struct tt_conf_port, mtu, 576, 9000),
    [P_RX_DESC] = FIELD_KEY("rx_desc", parse_desc, struct tt_conf_port, rx_desc, 64, 16384),
    [P_TX_DESC] = FIELD_KEY("tx_desc", parse_desc, struct tt_conf_port, tx_desc, 64, 16384),
    [P_CKSUM_OFFLOAD] = {.name = "checksum_offload", .parse = parse_cksum_offload},
    [P_REPLY_TO_SOURCE] = FIELD_KEY("reply_to_source_mac", tt_conf_parse_bool, struct tt_conf_port,
				    reply_to_source_mac, 0, 1),
    [P_VLANS] = {.name = "vlans", .parse = parse_vlans},
};

static int port_elem(struct ctx *x, const config_setting_t *e, unsigned i, void *obj)
{
	struct tt_conf *c = obj;
	struct tt_conf_port *p = &c->ports[i];
	unsigned *lines = x->port_line[i];
	char ip[16];
	unsigned j;
	int rc;

	if (!config_setting_is_group(e))
		return tt_conf_wrong_type(x, e, "a group { name = ...; ... }");
	*p = port_defaults;
	x->cur_port = i;
	rc = tt_conf_walk_group(x, e, port_keys, P_N, p, lines);
	if (!rc)
		rc = check_gateway(x, &p->ip, lines[P_GATEWAY]);
	if (!rc)
		rc = check_gateway6(x, &p->ip, lines[P_GATEWAY6]);
	if (!rc)
		rc = check_ifaces(x, i, p);
	if (!rc)
		rc = check_addr6_distinct(x, i, p);
	if (!rc)
		rc = check_gateways_not_ours(x, i, p);
	if (rc)
		return rc;
	ip_str(p->ip.addr, ip);
	for (j = 0; j < i; j++) {
		if (!strcmp(c->ports[j].name, p->name))
			return tt_conf_fail_in(x, lines[P_NAME], "name",
					       "\"%s\" is already ports[%u]", p->name, j);
		if (c->ports[j].ip.addr == p->ip.addr)
			return tt_conf_fail_in(x, lines[P_ADDRESS], "address",
					       "%s is already the address of ports[%u]", ip, j);
		if (same_device(&c->ports[j], p))
			return tt_conf_fail_in(x, lines[P_DEVICE], "device",
					       "\"%.*s\" is already the device of ports[%u]",
					       (int)strcspn(p->devargs, ","), p->devargs, j);
	}
	c->n_ports = i + 1;
	return 0;
}

int tt_conf_parse_ports(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj)
{
	(void)k;
	return tt_conf_for_each_elem(x, s, "a list of groups ( { ... }, ... )", 1,
				     TT_CONF_MAX_PORTS, port_elem, obj);
}
