/*
 * Cookie SYN-ACKs from a template.  Under a SYN flood every answer is one
 * frame but for what the SYN names (its source MAC, addresses and ports),
 * our ISN (the cookie), the ACK, the window (the listener's application's)
 * and the two timestamps.  The rest (Ethernet type, the IP header's
 * constants, flags, the option bytes) and its
 * share of both checksums are built once per interface, family and option
 * set by the general builders (tt_net_tcp_build, tt_net_tcp6_build), so
 * tt_synack_write makes the frame those builders and tt_net_tcp_cksum /
 * tt_net_tcp6_cksum make, byte for byte (tests/unit/test_synack.c: every
 * option set, both families, every checksum offload).
 *
 * A template is built for one key (options present, MSS, window scale);
 * the caller rebuilds it when the key it needs differs, as after a
 * configuration change.  The window is not part of it: listeners of
 * different applications on one interface offer different ones, SYN after
 * SYN.  Only MSS, window scale, SACK-permitted and
 * timestamps may be present: what a SYN-ACK carries.
 *
 * Callers: the lcore owning the template (per worker).  Cost: a 96-byte copy,
 * a dozen stores and two checksum folds, against a byte-by-byte build and a
 * summing pass over the TCP header.
 */
#ifndef TT_SYNACK_H
#define TT_SYNACK_H

#include <stdint.h>

#include "tt_net.h"

enum {
	/* Bytes tt_synack_write always writes: the longest SYN-ACK (IPv6, 20 bytes of options)
	 * rounded up to whole 32-byte copies.  The frame needs this much room. */
	TT_SYNACK_ROOM = 96,
	/* Templates per interface: IPv4 and IPv6, each for no timestamp (MSS alone) and for
	 * timestamps with or without window scale and SACK-permitted. */
	TT_SYNACK_LAYOUTS = 5,
	TT_SYNACK_SLOTS = 2 * TT_SYNACK_LAYOUTS,
};

_Static_assert(TT_SYNACK_ROOM >= TT_ETH_HDR_LEN + TT_IP6_HDR_LEN + TT_TCP_HDR_LEN + 20,
	       "room for the longest SYN-ACK");

struct tt_synack_tmpl {
	uint64_t key;	  /* tt_synack_key of what it was built for; 0: never built */
	uint32_t ip_sum;  /* IPv4: the header's words but the addresses, summed */
	uint32_t tcp_sum; /* the TCP header's constant words and the pseudo-header's */
	uint32_t phdr;	  /* the pseudo-header's protocol and length: the offload seed */
	uint16_t len;	  /* frame bytes */
	uint8_t ts_off;	  /* offset of the TSval in the frame; 0: no timestamps */
	uint8_t family;	  /* TT_AF_INET or TT_AF_INET6 */
	uint8_t offload;  /* TT_TX_* bits of the interface */
	/* Aligned as a buffer's data: the builders access it by header structs. */
	_Alignas(8) uint8_t frame[TT_SYNACK_ROOM];
};

/* What a template depends on besides its interface; never 0. */
static inline uint64_t tt_synack_key(const struct tt_tcp_opts *o)
{
	return (uint64_t)o->present | (uint64_t)o->wscale << 8 | (uint64_t)o->mss << 16 |
	       UINT64_C(1) << 32;
}

/* The template slot (0 .. TT_SYNACK_SLOTS - 1) for a family and the options present. */
static inline unsigned tt_synack_slot(uint8_t family, uint8_t present)
{
	unsigned layout = (present & TT_OPT_TS) ? 1 + ((present & TT_OPT_WSCALE) ? 1 : 0) +
						      ((present & TT_OPT_SACK_OK) ? 2 : 0)
						: 0;

	return (family == TT_AF_INET6 ? TT_SYNACK_LAYOUTS : 0) + layout;
}

/*
 * Build t for SYN-ACKs from interface MAC src with options o (their values but the
 * timestamps), family TT_AF_INET6 or else IPv4, checksum offload as the interface's TT_TX_*
 * bits.
 */
void tt_synack_tmpl_build(struct tt_synack_tmpl *t, const struct tt_mac *src, uint8_t family,
			  const struct tt_tcp_opts *o, uint8_t offload);

/*
 * The SYN-ACK answering syn (of t's family) with seq, ack and window wnd, and o's tsval and
 * tsecr when t has timestamps, into frame (TT_SYNACK_ROOM bytes of room).  Returns the frame's
 * length.
 */
uint32_t tt_synack_write(uint8_t *frame, const struct tt_synack_tmpl *t, const struct tt_pkt *syn,
			 uint32_t seq, uint32_t ack, uint16_t wnd, const struct tt_tcp_opts *o);

#endif /* TT_SYNACK_H */
