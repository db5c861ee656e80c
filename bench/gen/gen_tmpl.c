/* Frames from a template with incremental checksums; see gen_tmpl.h. */
#include <arpa/inet.h>
#include <string.h>

#include "gen_tmpl.h"

/* Offsets in an option-less IPv4 frame without a VLAN tag. */
enum {
	IP_CKSUM = TT_ETH_HDR_LEN + 10,
	IP_SADDR = TT_ETH_HDR_LEN + 12,
	IP_DADDR = TT_ETH_HDR_LEN + 16,
	TCP_OFF = TT_ETH_HDR_LEN + TT_IP4_HDR_LEN,
	TCP_SPORT = TCP_OFF,
	TCP_DPORT = TCP_OFF + 2,
	TCP_SEQ = TCP_OFF + 4,
	TCP_ACK = TCP_OFF + 8,
	TCP_CKSUM = TCP_OFF + 16,
};

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* The 16-bit words of a 32-bit field as it sits in the frame, added up (not folded). */
static uint64_t words(uint32_t v)
{
	return (uint64_t)(v & 0xffff) + (v >> 16);
}

/* The template with the client at the source (to_client false) or the destination. */
static bool tmpl_init(struct gen_tmpl *t, const struct tt_tcp_hdr_args *a, const uint8_t *payload,
		      uint32_t len, unsigned offload, bool to_client)
{
	struct tt_tcp_hdr_args zeroed = *a;
	uint32_t hl;

	if (tt_net_tcp_hdr_len(&a->opts) + (uint64_t)len > sizeof(t->frame))
		return false;
	*(to_client ? &zeroed.daddr : &zeroed.saddr) = 0;
	*(to_client ? &zeroed.dport : &zeroed.sport) = 0;
	t->addr_at = to_client ? IP_DADDR : IP_SADDR;
	t->port_at = to_client ? TCP_DPORT : TCP_SPORT;
	zeroed.seq = 0;
	zeroed.ack = 0;
	memset(t->frame, 0, sizeof(t->frame));
	hl = tt_net_tcp_build(t->frame, &zeroed, len);
	if (len != 0)
		memcpy(t->frame + hl, payload, len);
	tt_net_tcp_cksum(t->frame, offload);
	t->len = (uint16_t)(hl + len);
	t->offload = (uint8_t)offload;
	t->ip_sum = (uint16_t)~get16(t->frame + IP_CKSUM);
	t->tcp_sum = get16(t->frame + TCP_CKSUM);
	if (!(offload & TT_TX_TCP_CKSUM))
		t->tcp_sum = (uint16_t)~t->tcp_sum;
	return true;
}

bool gen_tmpl_init(struct gen_tmpl *t, const struct tt_tcp_hdr_args *a, const uint8_t *payload,
		   uint32_t len, unsigned offload)
{
	return tmpl_init(t, a, payload, len, offload, false);
}

bool gen_tmpl_init_reply(struct gen_tmpl *t, const struct tt_tcp_hdr_args *a,
			 const uint8_t *payload, uint32_t len, unsigned offload)
{
	return tmpl_init(t, a, payload, len, offload, true);
}

/* The address and the port take the same place in every sum, whichever end they are. */
uint32_t gen_tmpl_write(const struct gen_tmpl *t, uint8_t *frame, uint32_t caddr, uint16_t cport,
			uint32_t seq, uint32_t ack)
{
	uint32_t sa = htonl(caddr), sq = htonl(seq), ak = htonl(ack);
	uint16_t sp = htons(cport);

	for (uint32_t off = 0; off < t->len; off += GEN_TMPL_CHUNK)
		memcpy(frame + off, t->frame + off, GEN_TMPL_CHUNK);
	put32(frame + t->addr_at, sa);
	put16(frame + t->port_at, sp);
	put32(frame + TCP_SEQ, sq);
	put32(frame + TCP_ACK, ak);
	if (!(t->offload & TT_TX_IP_CKSUM))
		put16(frame + IP_CKSUM, (uint16_t)~tt_net_cksum_fold64(t->ip_sum + words(sa)));
	/* The seed covers the pseudo-header (the address); a software sum every field. */
	if (t->offload & TT_TX_TCP_CKSUM)
		put16(frame + TCP_CKSUM, tt_net_cksum_fold64(t->tcp_sum + words(sa)));
	else
		put16(frame + TCP_CKSUM, (uint16_t)~tt_net_cksum_fold64(
					     t->tcp_sum + words(sa) + sp + words(sq) + words(ak)));
	return t->len;
}
