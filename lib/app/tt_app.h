/*
 * tt_app: the applications that run on top of a terminated connection.
 *
 *   http     answers every HTTP/1.x request with the configured response
 *            (tt_http), keep-alive and pipelining included; closes after
 *            a request that asks for it, and after a malformed one (400);
 *   echo     sends back every byte it receives, zero-copy: the send queue
 *            references the received buffer until the peer ACKs the echo;
 *   discard  reads and drops everything (RFC 863).
 *
 * Each application is a struct tt_tcp_app_ops (the callbacks TCP makes)
 * and uses tt_tcp_send / tt_tcp_close to act.  Applications keep their
 * per-connection state in an application block (tt_tcp_app_block, held
 * only while there is some) and read shared,
 * immutable data (the pre-built HTTP responses) from ctx->app_data.
 * Runs on the worker that owns the connection; no allocation.
 */
#ifndef TT_APP_H
#define TT_APP_H

#include "tt_conf.h"
#include "tt_tcp.h"

extern const struct tt_tcp_app_ops tt_app_http;
extern const struct tt_tcp_app_ops tt_app_echo;
extern const struct tt_tcp_app_ops tt_app_discard;

/* Put the three applications into apps, indexed by enum tt_app_kind. */
void tt_app_register(const struct tt_tcp_app_ops **apps);

#endif
