/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_RELOAD_H
#define TT_RELOAD_H

/*
 * tt_reload: configuration generations for a running appliance (SIGHUP, /tcpterm/reload).
 *
 * A generation is one immutable object built on the main lcore from a validated configuration
 * (tt_conf_reload_file): the configuration, the listener table, the rendered HTTP response and
 * the struct tt_stack_rt view of them that workers read.  The main lcore publishes a new
 * generation to each worker with one atomic pointer store (release, tt_worker_publish); a
 * worker picks it up with one acquire load per poll iteration, not per packet, and from then on
 * opens connections under it.  Nothing on the fast path takes a lock.
 *
 * Lifetime, RCU-style.  Copy-at-accept is not an option for what connections point into: the
 * response may be 16 MiB and a keep-alive connection's send queue references it without a
 * copy (tt_sndq extents of static data), possibly of several generations at once (a request
 * before the reload, one after).  So each connection is counted under the generation it was
 * opened in (tt_stack), and a worker reports (tt_worker's rt_oldest, release) the oldest
 * generation any of its connections may still read: its own, or the latest when it has none.
 * A generation older than every worker's report is no longer referenced, by any connection or
 * by any poll iteration in flight, and tt_reload_set_release frees it.  The per-connection TCP
 * parameters (timers, window, MSS) are read from the connection's own generation, so a reload
 * changes nothing for connections already open; the HTTP response of the latest generation
 * answers every new request, on new and existing connections alike.
 *
 * At most TT_STACK_RT_GENS generations are alive at once (each worker keeps a slot per
 * generation in its TCBs): a reload while that many are still held by open connections is
 * refused (tt_reload_set_push returns -EBUSY) rather than waited for.
 *
 * Telemetry: /tcpterm/reload asks the main lcore for a reload and answers with its outcome
 * (the telemetry thread waits for it, the main lcore does the work in its periodic loop);
 * /tcpterm/reloads reads the counts.  Only the main lcore calls the other functions (but the
 * telemetry thread's tt_reload_telemetry_request and _wait).
 *
 * Cost: building a generation copies the configuration (~12 KiB), a 64 KiB listener table and
 * renders the response (body size); nothing is shared with the data path but read-only bytes.
 */

#include <stdbool.h>
#include <stdint.h>

#include "tt_conf.h"
#include "tt_http.h"
#include "tt_stack.h"

/* The response h configures, rendered (tt_http_response_build; its body from body_file or the
 * alphabet repeated): 0 or -errno. */
int tt_reload_http_response(const struct tt_conf_http *h, struct tt_http_response *r);

struct tt_reload_gen {
	struct tt_stack_rt rt; /* what workers read; points into this object */
	struct tt_conf conf;
	struct tt_http_response http;
	uint8_t listen_app[65536]; /* by TCP port: 0 = no listener, else application index + 1 */
};

/* Build generation gen of c (reads http.body_file); NULL + errno on failure. */
struct tt_reload_gen *tt_reload_gen_create(const struct tt_conf *c, uint32_t gen);
void tt_reload_gen_free(struct tt_reload_gen *g);

/* The generations still alive, oldest first; the last one is in force. */
struct tt_reload_set {
	struct tt_reload_gen *gens[TT_STACK_RT_GENS];
	unsigned n;
	uint32_t latest_gen;	   /* gens[n - 1]'s, readable from the telemetry thread */
	uint64_t applied, refused; /* reloads, since start */
};

/* Append g as the latest generation: 0, or -EBUSY with TT_STACK_RT_GENS already alive. */
int tt_reload_set_push(struct tt_reload_set *s, struct tt_reload_gen *g);

/* The generation in force (NULL on an empty set). */
struct tt_reload_gen *tt_reload_set_latest(const struct tt_reload_set *s);

/* Free every generation older than oldest_in_use (never the latest); returns how many. */
unsigned tt_reload_set_release(struct tt_reload_set *s, uint32_t oldest_in_use);

/* Free every generation: once no worker runs. */
void tt_reload_set_free(struct tt_reload_set *s);

/* Register /tcpterm/reload and /tcpterm/reloads; s must outlive EAL. */
int tt_reload_telemetry_init(struct tt_reload_set *s);

/* Main lcore: true once per /tcpterm/reload request waiting for a reload. */
bool tt_reload_telemetry_pending(void);

/* Main lcore: the outcome of the reload just done, counted in s and handed to the requesters
 * whose tickets tt_reload_telemetry_pending took, if any. */
void tt_reload_outcome(struct tt_reload_set *s, bool applied, const char *msg);

/* Telemetry thread (/tcpterm/reload): a ticket for one reload, then its outcome (the message
 * cut to len), waited for at most timeout_ms: 0, -ETIMEDOUT, or -ENOENT once TM_OUTCOMES later
 * outcomes replaced it. */
uint64_t tt_reload_telemetry_request(void);
int tt_reload_telemetry_wait(uint64_t ticket, unsigned timeout_ms, bool *applied, char *msg,
			     size_t len);

#endif /* TT_RELOAD_H */
