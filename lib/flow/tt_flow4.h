/*
 * IPv4 TCP flow identity as seen by the terminating side, shared by the SYN
 * cookie and initial sequence number code so both hash the same bytes.
 *
 * Invariants: all fields are in HOST byte order; s = the peer (remote),
 * d = us (local). tt_flow4_pack() fixes a byte layout independent of struct
 * padding and host endianness, so every node sharing a secret computes the
 * same hash for the same flow.
 *
 * IPv6: a connection over IPv6 is named by its two 16-byte addresses
 * (struct tt_addr6_pair, network byte order, peer first) and its ports.
 * tt_flow_pack() feeds the MACs (SYN cookie, ISN) every address byte:
 * 12 bytes for IPv4 as above, 36 for IPv6 (peer, us, sport, dport), so a
 * cookie or ISN of an IPv6 flow depends on all 256 address bits.
 *
 * Callers: any lcore; pure helpers.
 */
#ifndef TT_FLOW4_H
#define TT_FLOW4_H

#include <stddef.h>
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

/* The addresses of an IPv6 flow, network byte order: s = the peer, d = us. */
struct tt_addr6_pair {
	uint8_t saddr[16], daddr[16];
};

enum { TT_FLOW6_PACKED_LEN = 36, TT_FLOW_PACKED_MAX = TT_FLOW6_PACKED_LEN };

/*
 * The bytes a MAC covers of a flow: tt_flow4_pack(f) when a6 is NULL, else
 *   byte  0        16       32      34     36
 *         | saddr6 | daddr6 | sport | dport |   (ports little-endian)
 * (f's addresses are then not read).  Returns the length written.
 */
static inline unsigned tt_flow_pack(const struct tt_flow4 *f, const struct tt_addr6_pair *a6,
				    uint8_t out[TT_FLOW_PACKED_MAX])
{
	if (a6 == NULL) {
		tt_flow4_pack(f, out);
		return TT_FLOW4_PACKED_LEN;
	}
	for (int i = 0; i < 16; i++) {
		out[i] = a6->saddr[i];
		out[16 + i] = a6->daddr[i];
	}
	out[32] = (uint8_t)f->sport;
	out[33] = (uint8_t)(f->sport >> 8);
	out[34] = (uint8_t)f->dport;
	out[35] = (uint8_t)(f->dport >> 8);
	return TT_FLOW6_PACKED_LEN;
}

#endif /* TT_FLOW4_H */
