/*
 * gen_tmpl: an IPv4 TCP frame written from a template instead of built
 * field by field, for a generator whose frames differ only in the client's
 * address and port and the two sequence numbers: the source's in the
 * clients' frames (bench/gen/gen_stateless.h), the destination's in the
 * replies of a responder (bench/gen/gen_responder.h).
 *
 * The template is built once by tt_net_tcp_build and tt_net_tcp_cksum
 * (payload included) with those four fields zero, so its checksums, the
 * IPv4 one and the TCP one (or, offloaded, the pseudo-header seed), are the
 * sums of everything else.  Writing a frame copies it and adds the fields'
 * 16-bit words to those sums (one's-complement addition: RFC 1071's sum is
 * the same whatever order its words come in), never summing the header or
 * the payload again: the same bytes tt_net_tcp_build + tt_net_tcp_cksum
 * would have written, for every offload mode (a sum that is not all zeroes
 * never folds to 0x0000, so both ways give the same one of the two zeroes).
 *
 * The copy goes in whole GEN_TMPL_CHUNK-byte pieces (fixed-size copies the
 * compiler inlines): the frame must have room for the template's length
 * rounded up to them, at most GEN_TMPL_ROOM bytes.  Any lcore; touches
 * only its arguments.
 */
#ifndef GEN_TMPL_H
#define GEN_TMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "tt_net.h"

/* ROOM: the headers and up to 458 bytes of payload, the stateless client's pipelined requests. */
enum { GEN_TMPL_CHUNK = 64, GEN_TMPL_ROOM = 8 * GEN_TMPL_CHUNK };

struct gen_tmpl {
	uint8_t frame[GEN_TMPL_ROOM];
	uint16_t len;	  /* headers + payload */
	uint16_t ip_sum;  /* the IPv4 header's sum, not inverted; unused when offloaded */
	uint16_t tcp_sum; /* the TCP sum (or, offloaded, the seed's), not inverted */
	uint8_t offload;  /* TT_TX_* */
	uint8_t addr_at, port_at; /* where the client's address and port go in the frame */
};

/*
 * The template of a's frame (its saddr, sport, seq and ack ignored: the client is its source)
 * carrying payload[0, len), with the checksums offload leaves to the port; false: it would not
 * fit GEN_TMPL_ROOM.
 */
bool gen_tmpl_init(struct gen_tmpl *t, const struct tt_tcp_hdr_args *a, const uint8_t *payload,
		   uint32_t len, unsigned offload);

/* The same for a frame to the client: a's daddr, dport, seq and ack ignored. */
bool gen_tmpl_init_reply(struct gen_tmpl *t, const struct tt_tcp_hdr_args *a,
			 const uint8_t *payload, uint32_t len, unsigned offload);

/* Write t's frame with these fields (caddr, cport: the client's) into frame (room: t->len
 * rounded up to GEN_TMPL_CHUNK); its length. */
uint32_t gen_tmpl_write(const struct gen_tmpl *t, uint8_t *frame, uint32_t caddr, uint16_t cport,
			uint32_t seq, uint32_t ack);

#endif
