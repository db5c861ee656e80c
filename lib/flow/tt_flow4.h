/*
 * IPv4 TCP flow identity as seen by the terminating side, shared by the SYN
 * cookie and initial sequence number code so both hash the same bytes.
 *
 * Invariants: all fields are in HOST byte order; s = the peer (remote),
 * d = us (local). tt_flow4_pack() fixes a byte layout independent of struct
 * padding and host endianness, so every node sharing a secret computes the
 * same hash for the same flow.
 *
 * Callers: any lcore; pure helpers.
 */
#ifndef TT_FLOW4_H
#define TT_FLOW4_H

#include <stdint.h>

struct tt_flow4 {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
};

/* No padding, so callers may compare or hash the struct as bytes. */
_Static_assert(sizeof(struct tt_flow4) == 12, "struct tt_flow4 has padding");

enum { TT_FLOW4_PACKED_LEN = 12 };

/*
 * Packed layout, each field little-endian:
 *   byte  0        4        8      10     12
 *         | saddr  | daddr  | sport | dport |
 */
static inline void tt_flow4_pack(const struct tt_flow4 *f, uint8_t out[TT_FLOW4_PACKED_LEN])
{
	for (int i = 0; i < 4; i++) {
		out[i] = (uint8_t)(f->saddr >> (8 * i));
		out[4 + i] = (uint8_t)(f->daddr >> (8 * i));
	}
	out[8] = (uint8_t)f->sport;
	out[9] = (uint8_t)(f->sport >> 8);
	out[10] = (uint8_t)f->dport;
	out[11] = (uint8_t)(f->dport >> 8);
}

#endif /* TT_FLOW4_H */
