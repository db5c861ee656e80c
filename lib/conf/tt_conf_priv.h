/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pieces shared by the files of the configuration loader; not a public API (see tt_conf.h).
 *
 * tt_conf.c walks the schema (the root, tcp, http and listener keys) and owns the public calls,
 * tt_conf_port.c parses and checks the ports list, tt_conf_text.c handles the raw text before
 * libconfig sees it (file reading, the 32-bit integer pre-scan).
 *
 * Every parser reports through tt_conf_fail() or tt_conf_fail_in(): they write one
 * "file:line: key: problem" line, the key taken from ctx's dotted path, and return -EINVAL.
 * A parser returns 0 or that value, and the first error ends the whole load.
 */
#ifndef TT_CONF_PRIV_H
#define TT_CONF_PRIV_H

#include "tt_conf.h"

#include <libconfig.h>

/* Each group's keys, indexed so cross-checks can find a key's line in the file. */
enum root_key { R_EAL, R_STATS, R_WORKERS, R_PORTS, R_LISTENERS, R_HTTP, R_TCP, R_NEIGH, R_N };
enum neigh_key { N_ENTRIES, N_REACHABLE, N_RETRANS, N_PROBES, N_QUEUE_ENTRY, N_QUEUE_WORKER, N_N };
enum port_key {
	P_NAME,
	P_DEVICE,
	P_ADDRESS,
	P_ADDRESS6,
	P_GATEWAY,
	P_GATEWAY6,
	P_MTU,
	P_RX_DESC,
	P_TX_DESC,
	P_CKSUM_OFFLOAD,
	P_REPLY_TO_SOURCE,
	P_VLANS,
	P_N
};
enum vlan_key { V_ID, V_ADDRESS, V_GATEWAY, V_ADDRESS6, V_GATEWAY6, V_N };
enum listener_key { L_PORT, L_APP, L_FAMILY, L_N };
enum http_key {
	H_STATUS,
	H_HEADERS,
	H_BODY_SIZE,
	H_BODY_FILE,
	H_HEADER_TIMEOUT,
	H_BODY_TIMEOUT,
	H_N
};
enum tcp_key {
	T_MSS,
	T_MIN_PEER_MSS,
	T_RCV_WINDOW,
	T_WSCALE,
	T_TIMESTAMPS,
	T_SACK,
	T_CWND,
	T_RTO_INITIAL,
	T_RTO_MIN,
	T_RTO_MAX,
	T_MAX_RETRIES,
	T_SYN_RETRIES,
	T_TIME_WAIT,
	T_FIN_WAIT_2,
	T_CLOSE_WAIT,
	T_IDLE,
	T_SYN_RECV,
	T_CLOSING,
	T_PERSIST,
	T_INVALID_REPLY,
	T_DELAYED_ACK,
	T_DRAIN,
	T_RELOAD_GRACE,
	T_MAX_CONNS,
	T_SYNCOOKIES,
	T_THRESHOLD,
	T_SECRET,
	T_MAX_ORPHANS,
	T_ORPHAN_RETRIES,
	T_SHED_POLLS,
	T_SEND_BLOCKS,
	T_APP_BLOCKS,
	T_N
};

struct ctx;

/*
 * One key of a group. parse() gets the group's destination struct; the generic parsers use
 * off/size to find the field and min/max as the accepted range.
 */
struct key {
	const char *name;
	int (*parse)(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj);
	int64_t min, max;
	size_t off, size;
	bool required;
};

/* Line 0 in the *_line arrays means "not in the file, the default applies". */
struct ctx {
	struct tt_conf conf;	       /* copied to the caller only when the whole file is valid */
	const struct tt_conf *running; /* a reload: the configuration in force, else NULL */
	const char *name;
	char *err;
	size_t errlen;
	char key[160]; /* dotted path of the setting being parsed, e.g. "ports[1].mtu" */
	unsigned root_line[R_N];
	unsigned tcp_line[T_N];
	unsigned http_line[H_N];
	unsigned neigh_line[N_N];
	unsigned port_line[TT_CONF_MAX_PORTS][P_N];
	unsigned cur_port; /* the port whose group is being parsed */
	unsigned vlan_line[TT_CONF_MAX_PORTS][TT_CONF_MAX_VLANS][V_N];
	unsigned listener_line[TT_CONF_MAX_LISTENERS][L_N];
};

typedef int elem_fn(struct ctx *x, const config_setting_t *e, unsigned i, void *obj);

static inline unsigned line_of(const config_setting_t *s)
{
	return config_setting_source_line(s);
}

/* A key that fn stores into type.field, accepting lo..hi (for strings: the shortest length). */
#define FIELD_KEY(n, fn, type, field, lo, hi)                                                      \
	{                                                                                          \
		.name = (n), .parse = (fn), .min = (lo), .max = (hi),                              \
		.off = offsetof(type, field), .size = sizeof(((type *)0)->field)                   \
	}
#define UINT_KEY(n, type, field, lo, hi) FIELD_KEY(n, tt_conf_parse_uint, type, field, lo, hi)

/* tt_conf.c: error reports and the parsers every group uses. */
__attribute__((format(printf, 3, 4))) int tt_conf_fail(struct ctx *x, unsigned line,
						       const char *fmt, ...);
__attribute__((format(printf, 4, 5))) int tt_conf_fail_in(struct ctx *x, unsigned line,
							  const char *member, const char *fmt, ...);
/* Appends ".name" (or "name" at the top) or, with name NULL, "[index]" to the key path; returns
 * the path's old length. */
size_t tt_conf_push(struct ctx *x, const char *name, unsigned index);
int tt_conf_wrong_type(struct ctx *x, const config_setting_t *s, const char *want);
int tt_conf_get_str(struct ctx *x, const config_setting_t *s, size_t cap, const char **out);
/* A string that must be one of names[n]: its index in *out, or an error listing choices. */
int tt_conf_get_name(struct ctx *x, const config_setting_t *s, const char *const *names, unsigned n,
		     const char *choices, unsigned *out);
unsigned tt_conf_hex_run(const char *s, unsigned max);
int tt_conf_parse_uint(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj);
int tt_conf_parse_bool(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj);
int tt_conf_walk_group(struct ctx *x, const config_setting_t *g, const struct key *tbl, unsigned n,
		       void *obj, unsigned *lines);
int tt_conf_for_each_elem(struct ctx *x, const config_setting_t *s, const char *want, unsigned min,
			  unsigned max, elem_fn *fn, void *obj);

/* tt_conf_port.c: the root key "ports". */
int tt_conf_parse_ports(struct ctx *x, const config_setting_t *s, const struct key *k, void *obj);

/* tt_conf_fixed.c: a reload's keys that cannot change at run time, against x->running. */
int tt_conf_check_fixed(struct ctx *x);

/* tt_conf_text.c: the checks on the raw text that libconfig would not make (see there). */
int tt_conf_prescan(struct ctx *x, const char *text);
/* Writes "path: what: strerror(e)" into err; returns -e. */
int tt_conf_io_fail(char *err, size_t errlen, const char *path, const char *what, int e);
/* The file as one malloc'ed string the caller frees; else "path: problem" in err and -errno. */
int tt_conf_read_file(const char *path, char **text, char *err, size_t errlen);

#endif /* TT_CONF_PRIV_H */
