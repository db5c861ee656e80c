/*
 * gen_flood: the synflood's cheap ends (bench/gen/gen_scenario.c).
 *
 * Out: every flood SYN is the same frame but for its source address (in
 * GEN_FLOOD_NET), source port and sequence number, so it is written from a
 * template with incremental checksums (gen_tmpl.h): with checksum offload
 * only the pseudo-header seed is summed again.  The fields come from one
 * 64-bit random draw: the address from its low 16 bits, the port from the
 * next 16 (1024 + them mod 64000), the sequence number from the high 32.
 *
 * In: the appliance answers each SYN with a SYN-ACK cookie to its spoofed
 * source.  The generator recognises such a frame, and anything else to
 * GEN_FLOOD_NET, from its first bytes (gen_flood_peek: the Ethernet type
 * and the IPv4 destination at fixed offsets; no header length, checksum or
 * TCP field read, since any frame to those addresses is dropped anyway)
 * and drops it before its stack would parse it.  A tagged frame is never
 * recognised: it goes to the stack as before.  The worker never sees such
 * frames, so an iteration whose only work was dropping them counts as idle.
 *
 * Any lcore; the functions touch only their arguments.
 */
#ifndef GEN_FLOOD_H
#define GEN_FLOOD_H

#include <stdbool.h>
#include <stdint.h>

#include "gen_tmpl.h"

/* Where the synflood's sources live: 198.19.0.0/16, away from the clients (198.18.0.0/16). */
#define GEN_FLOOD_NET  0xc6130000u
#define GEN_FLOOD_MASK 0xffff0000u

/* Whether frame[0, len) is an untagged IPv4 datagram to GEN_FLOOD_NET. */
static inline bool gen_flood_peek(const uint8_t *frame, uint32_t len)
{
	enum {
		ETH_TYPE = 12,
		IP_VER = TT_ETH_HDR_LEN,
		IP_DADDR = TT_ETH_HDR_LEN + 16,
	};
	uint32_t daddr;

	if (len < IP_DADDR + 4 || frame[ETH_TYPE] != 0x08 || frame[ETH_TYPE + 1] != 0x00 ||
	    (frame[IP_VER] >> 4) != 4)
		return false;
	daddr = (uint32_t)frame[IP_DADDR] << 24 | (uint32_t)frame[IP_DADDR + 1] << 16 |
		(uint32_t)frame[IP_DADDR + 2] << 8 | frame[IP_DADDR + 3];
	return (daddr & GEN_FLOOD_MASK) == GEN_FLOOD_NET;
}

/*
 * The flood SYN's template: from src_mac to the appliance (dst_mac, server:server_port), MSS
 * 1460, window 65535, with the checksums offload (TT_TX_*) leaves to the port.
 */
void gen_flood_syn_init(struct gen_tmpl *t, const struct tt_mac *src_mac,
			const struct tt_mac *dst_mac, uint32_t server, uint16_t server_port,
			unsigned offload);

/* Write the SYN of random draw x into frame (room: GEN_TMPL_ROOM); its length. */
uint32_t gen_flood_syn_write(const struct gen_tmpl *t, uint8_t *frame, uint64_t x);

#endif
