/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_CONF_H
#define TT_CONF_H

/*
 * Appliance configuration: one libconfig file turned into one validated struct.
 *
 * Why: every tunable is checked once, at startup, against its documented range and against the
 * other values it depends on (mss vs. each port's MTU, window vs. window scale, RTO ordering,
 * gateway inside the port's prefix). The data path then reads plain fields and never has to
 * second-guess them, and a bad file stops the appliance before any port is touched, with one
 * line that says where: "tcpterm.conf:12: tcp.mss: 70000 is out of range (88..9000)".
 *
 * Invariants of a struct tt_conf filled by a successful load:
 *  - every field is inside the range documented in conf/tcpterm.conf;
 *  - 1 <= n_ports <= TT_CONF_MAX_PORTS, names and addresses (IPv4 and IPv6) distinct;
 *  - 1 <= n_workers <= TT_CONF_MAX_WORKERS, lcore ids distinct;
 *  - 1 <= n_listeners <= TT_CONF_MAX_LISTENERS, TCP ports distinct;
 *  - tcp.mss + 40 <= ports[i].mtu for every port;
 *  - tcp.min_peer_mss <= tcp.mss;
 *  - tcp.rto_min_ms <= tcp.rto_initial_ms <= tcp.rto_max_ms;
 *  - tcp.rcv_window >> tcp.wscale fits the 16-bit window field, and is not 0;
 *  - tcp.syncookie_threshold <= tcp.max_conns_per_core;
 *  - tcp.send_blocks_per_core <= tcp.max_conns_per_core;
 *  - tcp.app_blocks_per_core <= tcp.max_conns_per_core;
 *  - a listener with family "ipv6" has a port or VLAN with an IPv6 address to answer on;
 *  - http.headers are fields the response may carry (tt_http_field.h).
 * The loader never touches *c unless the whole file is valid, so a failed reload leaves the
 * previous configuration intact. After loading, treat the struct as read-only and hand the same
 * const pointer to every lcore: nothing in it changes while the appliance runs.  A reload
 * (tt_conf_reload_file) makes a new struct beside it, never changes one in use (tt_reload.h).
 *
 * Which lcore: the main thread, before or after rte_eal_init (of DPDK, only the build's
 * RTE_MAX_LCORE, which bounds the lcore ids). Not for the data path.
 *
 * The file is self-contained: @include is refused (libconfig would resolve it against the
 * working directory), and integers that do not fit in 32 bits without an L suffix are refused
 * rather than silently wrapped as libconfig 1.5 does.
 *
 * Cost: one parse of a file of at most 1 MiB; the text, libconfig's tree and a 12 KiB scratch
 * struct live on the heap for the call. The HTTP body file, if any, is only opened and
 * stat'ed here; the HTTP application reads its content.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	TT_CONF_MAX_PORTS = 8,
	TT_CONF_MAX_VLANS = 16, /* per port */
	TT_CONF_MAX_WORKERS = 64,
	TT_CONF_MAX_LISTENERS = 64,
	TT_CONF_MAX_EAL_ARGS = 32,
	TT_CONF_MAX_HTTP_HEADERS = 16,
	TT_CONF_MAX_NEIGH_ENTRIES = 16384,
	TT_CONF_MAX_ADDR6 = 4, /* IPv6 addresses per port */
};

/* Largest HTTP body, whether from body_size or from body_file. */
enum { TT_CONF_MAX_BODY_BYTES = 16 * 1024 * 1024 };

enum tt_app_kind { TT_APP_HTTP, TT_APP_ECHO, TT_APP_DISCARD };

enum tt_syncookie_mode { TT_SYNCOOKIES_OFF, TT_SYNCOOKIES_AUTO, TT_SYNCOOKIES_ALWAYS };

/*
 * The addresses of one interface, a port untagged or one of its VLANs: the same keys (address,
 * gateway, address6, gateway6) in both groups of the file.
 */
struct tt_conf_addrs {
	uint32_t addr; /* host order */
	uint8_t prefix_len;
	uint32_t gateway; /* host order, 0 = none */
	/* IPv6 addresses (network byte order) and their prefix lengths; none by default.  Each
	 * is a unicast address no other interface has. */
	unsigned n_addr6;
	uint8_t addr6[TT_CONF_MAX_ADDR6][16];
	uint8_t prefix6_len[TT_CONF_MAX_ADDR6];
	/* The IPv6 next hop for destinations outside every address6 prefix (network byte order;
	 * all zero = none): on-link, inside one of those prefixes, or link-local (fe80::/10). */
	uint8_t gateway6[16];
};

/* One VLAN of a port: an interface with its own addresses, prefixes and gateways. */
struct tt_conf_vlan {
	uint16_t id; /* 1..4094 */
	struct tt_conf_addrs ip;
};

struct tt_conf_port {
	char name[32];
	/*
	 * A vdev string "net_tap0,iface=tt0" or a PCI address. PCI addresses are stored in DPDK's
	 * full lower-case form "0000:01:00.0" (a short "01:00.0" in the file gets the 0000 domain)
	 * so they match rte_eth_dev names; anything after a ',' is kept as device arguments.
	 */
	char devargs[256];
	bool is_pci;
	struct tt_conf_addrs ip;
	uint16_t mtu;
	uint16_t rx_desc, tx_desc;
	/*
	 * "auto" (true): the port's checksum offloads are used in each direction and layer it
	 * reports them; "off" (false): every checksum is computed and verified in software and
	 * the port's RX verdicts are ignored (a correctness run that trusts nothing).
	 */
	bool checksum_offload;
	/*
	 * true: every reply goes to the Ethernet source MAC of the frame that caused it (a
	 * connection: of its first segment), whatever routing says; false: to the next hop's MAC,
	 * resolved by ARP or neighbour discovery (the peer on-link, else gateway or gateway6),
	 * as Linux does.
	 */
	bool reply_to_source_mac;
	/* 802.1Q VLANs served besides the untagged port, each an interface of its own. */
	unsigned n_vlans;
	struct tt_conf_vlan vlans[TT_CONF_MAX_VLANS];
};

/* Which address families a listener answers: "both" (the default), "ipv4", "ipv6". */
enum tt_conf_family { TT_FAMILY_BOTH, TT_FAMILY_IPV4, TT_FAMILY_IPV6 };

struct tt_conf_listener {
	uint16_t port;
	enum tt_app_kind app;
	enum tt_conf_family family;
};

struct tt_conf_http {
	uint16_t status;
	unsigned n_headers;
	char headers[TT_CONF_MAX_HTTP_HEADERS][256]; /* "Name: value", no CR/LF */
	/*
	 * Body length in bytes. With body_file empty the body is that many filler bytes; with
	 * body_file set the body is the file's content and body_size is its size when the
	 * configuration was loaded (checked readable, regular, at most TT_CONF_MAX_BODY_BYTES).
	 * A relative body_file is relative to the process's working directory.
	 */
	uint32_t body_size;
	char body_file[256];
	/* A request head (request line to blank line) must arrive within this time (Slowloris). */
	uint32_t header_timeout_ms;
	/* A request body must arrive within this time after its head ended. */
	uint32_t body_timeout_ms;
};

struct tt_conf_tcp {
	uint16_t mss;
	/* Floor of the peer's MSS (CVE-2019-11479): a smaller announcement is raised to it. */
	uint16_t min_peer_mss;
	uint32_t rcv_window;
	uint8_t wscale;
	bool timestamps;
	/* Offer and accept SACK (RFC 2018); off: SACK-permitted is never sent, NewReno alone. */
	bool sack;
	uint16_t initial_cwnd_segments;
	uint32_t rto_initial_ms, rto_min_ms, rto_max_ms;
	uint8_t max_retries;
	uint8_t syn_retries;
	uint32_t time_wait_ms, fin_wait_2_timeout_ms, close_wait_timeout_ms, idle_timeout_ms,
	    syn_recv_timeout_ms;
	/* FIN-WAIT-1, CLOSING, LAST-ACK: how long our FIN may stay unacknowledged. */
	uint32_t closing_timeout_ms;
	/* How long the peer may keep its window closed while we have data to send. */
	uint32_t persist_timeout_ms;
	/* Per connection, at most one reply (challenge ACK, ACK of an out-of-window segment,
	 * RST for a bad ACK) to invalid segments per interval (RFC 5961 7). */
	uint32_t invalid_reply_interval_ms;
	/* How long an ACK of in-order data may wait for data to ride on (RFC 1122 4.2.3.2);
	 * 0: every segment is ACKed at once. */
	uint32_t delayed_ack_ms;
	/* On SIGINT/SIGTERM: connections get a FIN, then an RST after this long. */
	uint32_t drain_timeout_ms;
	/* After a reload: connections of a replaced configuration stay this long, then are
	 * drained the same way (a FIN, an RST drain_timeout_ms later). */
	uint32_t reload_grace_ms;
	uint32_t max_conns_per_core;
	enum tt_syncookie_mode syncookies;
	/* auto mode: half-open connections per core above which SYNs are answered with cookies */
	uint32_t syncookie_threshold;
	/* true: the application draws a secret at startup (cookie_secret is all zero here). */
	bool cookie_secret_random;
	uint8_t cookie_secret[16];
	/* Orphans: connections the application closed whose FIN is unacknowledged (FIN-WAIT-1,
	 * CLOSING, LAST-ACK).  Per worker at most max_orphans_per_core; one that would exceed it
	 * is reset (not while draining at shutdown).  An orphan retransmits at most
	 * min(orphan_retries, max_retries) times. */
	uint32_t max_orphans_per_core;
	uint8_t orphan_retries;
	/* Admission control: a worker whose RX queue filled every burst of this many polls in a
	 * row drops SYNs before any lookup, until a poll comes back short; 0: never. */
	uint16_t syn_shed_full_polls;
	/* Connections of a worker that may hold bytes queued or in flight at once (a send block
	 * each, struct tt_sndb); 0: tt_conf_tcp_send_blocks' default. */
	uint32_t send_blocks_per_core;
	/* Connections of a worker whose application may hold state beyond the TCB at once (an
	 * HTTP request that came in more than one segment; tt_tcp_app_block); 0:
	 * tt_conf_tcp_app_blocks' default. */
	uint32_t app_blocks_per_core;
};

/* Send blocks per worker: tcp.send_blocks_per_core, by default a quarter of the connections
 * (at most one in four may have a response in flight; the rest wait for one, tt_sndb). */
static inline uint32_t tt_conf_tcp_send_blocks(const struct tt_conf_tcp *t)
{
	return t->send_blocks_per_core != 0 ? t->send_blocks_per_core
					    : (t->max_conns_per_core + 3) / 4;
}

/* Application blocks per worker: tcp.app_blocks_per_core, by default a quarter of the
 * connections. */
static inline uint32_t tt_conf_tcp_app_blocks(const struct tt_conf_tcp *t)
{
	return t->app_blocks_per_core != 0 ? t->app_blocks_per_core
					   : (t->max_conns_per_core + 3) / 4;
}

/* The neighbour cache of each worker (ARP; see lib/neigh/tt_neigh.h). */
struct tt_conf_neigh {
	uint32_t entries;
	uint32_t reachable_ms;
	uint32_t retrans_ms;
	uint32_t probes;
	uint32_t queue_per_entry;
	uint32_t queue_per_worker;
};

struct tt_conf {
	char path[256]; /* the file loaded, or the name given to tt_conf_load_string */
	unsigned n_eal_args;
	char eal_args[TT_CONF_MAX_EAL_ARGS][128];
	unsigned n_ports;
	struct tt_conf_port ports[TT_CONF_MAX_PORTS];
	unsigned n_workers;
	uint16_t worker_lcores[TT_CONF_MAX_WORKERS];
	unsigned n_listeners;
	struct tt_conf_listener listeners[TT_CONF_MAX_LISTENERS];
	struct tt_conf_http http;
	struct tt_conf_tcp tcp;
	struct tt_conf_neigh neigh;
	uint32_t stats_interval_ms; /* 0 = no periodic line */
};

/*
 * Load and validate a configuration file. Returns 0, -EINVAL for an invalid configuration, or
 * -errno when the file cannot be read. On error writes one line "file:line: key: problem" into
 * err (errlen bytes, may be 0), leaves *c untouched, and prints nothing.
 */
int tt_conf_load_file(struct tt_conf *c, const char *path, char *err, size_t errlen);

/* Same for text already in memory; name stands for the file name in errors and in c->path. */
int tt_conf_load_string(struct tt_conf *c, const char *text, const char *name, char *err,
			size_t errlen);

/*
 * Reload (SIGHUP): load and validate like tt_conf_load_file, then compare the result with the
 * running configuration. What the appliance sized or set up once at start cannot change at run
 * time: eal, workers, ports (their number and every key of each), tcp.max_conns_per_core,
 * tcp.send_blocks_per_core and tcp.app_blocks_per_core (the table and pool sizes),
 * tcp.time_wait_ms (it also fixes the SYN cookie period the workers' keys rotate by),
 * tcp.wscale and tcp.timestamps (a cookie's ACK cannot tell which its SYN-ACK advertised),
 * tcp.cookie_secret and neigh. A file that changes one of them fails with -EPERM and
 * "file:line: key: cannot change at run time" (the line where the file sets the key, or where
 * its group starts when the file leaves it to a default); an invalid file fails as it would at
 * start. Everything else (listeners, http, the rest of tcp, stats_interval_ms) may differ.
 * *c is written only on success.
 */
int tt_conf_reload_file(struct tt_conf *c, const struct tt_conf *running, const char *path,
			char *err, size_t errlen);
int tt_conf_reload_string(struct tt_conf *c, const struct tt_conf *running, const char *text,
			  const char *name, char *err, size_t errlen);

/* Every default value; no ports and no listeners (the file must give those). */
void tt_conf_defaults(struct tt_conf *c);

/* "http", "echo", "discard"; "?" for a value outside the enum. */
const char *tt_conf_app_name(enum tt_app_kind k);

#endif /* TT_CONF_H */
