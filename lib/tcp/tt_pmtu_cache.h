/*
 * tt_pmtu_cache: the path MTUs that ICMP "too big" errors taught one worker, by peer address,
 * for the connections that open to that peer later (RFC 1191 6.3 and RFC 8201 5.2: a host keeps
 * what it learned per destination).  Without it each new connection to a peer behind a narrow
 * link would send its first full-sized segments into the same hole and wait for the same error.
 *
 * An entry is written only when a connection took an error (tt_tcp_too_big: it quoted a segment
 * in flight, so its sender knew the connection) and lowered its segment size; it holds the MTU
 * as that connection used it (the floors applied) and lives TT_PMTU_CACHE_MS from then, as
 * Linux keeps a learned MTU for net.ipv4.route.mtu_expires (10 minutes).  Then new connections
 * begin at the full size again: the raise of RFC 1191 6.3, the path probed anew by the next
 * connection that sends a full segment.  An established connection keeps its own size.
 *
 * TT_PMTU_CACHE_ENTRIES entries, direct-mapped by a keyed hash of the address (IPv4 as its
 * IPv4-mapped IPv6 form), the whole address kept to tell a collision: a newer entry takes the
 * slot, and what is lost is one peer's learned MTU, which its next connection finds again.
 * An entry names the peer of a connection whose segment in flight the error quoted: a blind
 * sender cannot plant one for an address of its choosing, and the floors bound what an on-path
 * one can do to it.
 *
 * Owned by one worker lcore; zeroed to start (no entry).
 */
#ifndef TT_PMTU_CACHE_H
#define TT_PMTU_CACHE_H

#include <stdint.h>

#include "tt_siphash.h"

enum {
	TT_PMTU_CACHE_ENTRIES = 256,
	TT_PMTU_CACHE_MS = 600000,
};

struct tt_pmtu_cache {
	struct {
		uint8_t addr[16];  /* IPv6, or IPv4-mapped (::ffff:a.b.c.d) */
		uint64_t until_ms; /* the entry holds before this (0: empty) */
		uint16_t mtu;
	} e[TT_PMTU_CACHE_ENTRIES];
	/* The latest until_ms of any entry: past it every lookup finds nothing, without a hash. */
	uint64_t until_ms;
};

/* A path MTU of mtu learned at now_ms for the peer saddr (IPv4, host order as parsed), or
 * saddr6 (its IPv6 address; NULL for IPv4); key: the worker's secret. */
void tt_pmtu_cache_put(struct tt_pmtu_cache *c, const struct tt_siphash_key *key, uint64_t now_ms,
		       uint32_t saddr, const uint8_t *saddr6, uint16_t mtu);

/* The path MTU kept for that peer at now_ms, 0 if none. */
uint16_t tt_pmtu_cache_get(const struct tt_pmtu_cache *c, const struct tt_siphash_key *key,
			   uint64_t now_ms, uint32_t saddr, const uint8_t *saddr6);

#endif
