/* Cookie SYN-ACKs from a template; see tt_synack.h. */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "tt_synack.h"

enum {
	IP4_OFF = TT_ETH_HDR_LEN,
	IP4_SRC_OFF = IP4_OFF + 12,
	IP4_CKSUM_OFF = IP4_OFF + 10,
	IP6_SRC_OFF = TT_ETH_HDR_LEN + 8,
	TCP_SEQ_OFF = 4,
	TCP_ACK_OFF = 8,
	TCP_WND_OFF = 14,
	TCP_CKSUM_OFF = 16,
	TCP_OPT_WORD = 4, /* every option of ours fills one 4-byte word, TS three */
};

static inline unsigned tcp_off(uint8_t family)
{
	return TT_ETH_HDR_LEN + (family == TT_AF_INET6 ? TT_IP6_HDR_LEN : TT_IP4_HDR_LEN);
}

/* Where write_options (tt_net_build.c) puts the TSval: after MSS and window scale, behind
 * the two bytes of padding or SACK-permitted and the option's kind and length. */
static unsigned ts_offset(uint8_t family, uint8_t present)
{
	if (!(present & TT_OPT_TS))
		return 0;
	return tcp_off(family) + TT_TCP_HDR_LEN + ((present & TT_OPT_MSS) ? TCP_OPT_WORD : 0) +
	       ((present & TT_OPT_WSCALE) ? TCP_OPT_WORD : 0) + TCP_OPT_WORD;
}

void tt_synack_tmpl_build(struct tt_synack_tmpl *t, const struct tt_mac *src, uint8_t family,
			  const struct tt_tcp_opts *o, uint8_t offload)
{
	static const uint8_t zero[32];
	struct tt_tcp_hdr_args a = {
	    .src_mac = *src,
	    .flags = TT_TCP_SYN | TT_TCP_ACK, /* the window stays 0, each frame's own */
	    .opts = {.present = o->present, .wscale = o->wscale, .mss = o->mss},
	};
	unsigned th = tcp_off(family);
	uint32_t tcp_len;

	memset(t->frame, 0, sizeof(t->frame));
	if (family == TT_AF_INET6)
		t->len = (uint16_t)tt_net_tcp6_build(t->frame, &a, zero, zero, 0);
	else
		t->len = (uint16_t)tt_net_tcp_build(t->frame, &a, 0);
	tcp_len = t->len - th;
	/* The checksum fields of the template stay zero: each frame's are computed whole. */
	memset(t->frame + th + TCP_CKSUM_OFF, 0, 2);
	t->ip_sum = 0;
	if (family != TT_AF_INET6) {
		memset(t->frame + IP4_CKSUM_OFF, 0, 2);
		t->ip_sum = tt_net_cksum_sum(t->frame + IP4_OFF, TT_IP4_HDR_LEN, 0);
	}
	t->phdr = family == TT_AF_INET6
		      ? tt_net_phdr6_sum(zero, tcp_len, IPPROTO_TCP)
		      : (uint32_t)RTE_BE16(IPPROTO_TCP) + rte_cpu_to_be_16((uint16_t)tcp_len);
	t->tcp_sum = tt_net_cksum_sum(t->frame + th, tcp_len, t->phdr);
	t->ts_off = (uint8_t)ts_offset(family, o->present);
	t->family = family;
	t->offload = family == TT_AF_INET6 ? 0 : offload; /* tt_net_tcp6_cksum sums in software */
	t->key = tt_synack_key(o);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* The sum of n 32-bit words at p, as they lie in memory (unfolded: n < 2^32). */
static inline uint64_t sum_words(const void *p, unsigned n)
{
	uint32_t w[8];
	uint64_t s = 0;

	memcpy(w, p, 4 * n);
	for (unsigned i = 0; i < n; i++)
		s += w[i];
	return s;
}

/*
 * The addresses, reversed from the SYN's; returns their sum, which both checksums cover.
 * Every sum here is taken from the values, never read back from the frame: a read of a
 * buffer fresh from the pool waits for its line (the stores cannot forward to it).
 */
static uint64_t write_addrs(uint8_t *frame, const struct tt_synack_tmpl *t,
			    const struct tt_pkt *syn)
{
	uint32_t src, dst;

	if (t->family == TT_AF_INET6) {
		memcpy(frame + IP6_SRC_OFF, syn->daddr6.b, 16);
		memcpy(frame + IP6_SRC_OFF + 16, syn->saddr6.b, 16);
		return sum_words(syn->daddr6.b, 4) + sum_words(syn->saddr6.b, 4);
	}
	src = rte_cpu_to_be_32(syn->daddr);
	dst = rte_cpu_to_be_32(syn->saddr);
	put32(frame + IP4_SRC_OFF, src);
	put32(frame + IP4_SRC_OFF + 4, dst);
	return (uint64_t)src + dst;
}

/* A 32-bit field in network order, stored at p; returns it for the sum. */
static inline uint32_t put_be32(uint8_t *p, uint32_t v)
{
	uint32_t be = rte_cpu_to_be_32(v);

	put32(p, be);
	return be;
}

uint32_t tt_synack_write(uint8_t *frame, const struct tt_synack_tmpl *t, const struct tt_pkt *syn,
			 uint32_t seq, uint32_t ack, uint16_t wnd, const struct tt_tcp_opts *o)
{
	uint8_t *th = frame + tcp_off(t->family);
	uint16_t sport = rte_cpu_to_be_16(syn->dport), dport = rte_cpu_to_be_16(syn->sport);
	uint16_t wnd_be = rte_cpu_to_be_16(wnd);
	uint64_t addrs, words;

	memcpy(frame, t->frame, TT_SYNACK_ROOM);
	memcpy(frame, syn->src_mac.b, 6);
	addrs = write_addrs(frame, t, syn);
	put16(th, sport);
	put16(th + 2, dport);
	put16(th + TCP_WND_OFF, wnd_be);
	/* 16-bit fields sum as they lie in memory, wherever they lie in a 32-bit word. */
	words = addrs + sport + dport + wnd_be + put_be32(th + TCP_SEQ_OFF, seq) +
		put_be32(th + TCP_ACK_OFF, ack);
	if (t->ts_off != 0)
		words += put_be32(frame + t->ts_off, o->tsval) +
			 (uint64_t)put_be32(frame + t->ts_off + 4, o->tsecr);
	if (t->family != TT_AF_INET6 && !(t->offload & TT_TX_IP_CKSUM))
		put16(frame + IP4_CKSUM_OFF, (uint16_t)~tt_net_cksum_fold64(t->ip_sum + addrs));
	if (t->offload & TT_TX_TCP_CKSUM)
		put16(th + TCP_CKSUM_OFF, tt_net_cksum_fold64(t->phdr + addrs));
	else
		put16(th + TCP_CKSUM_OFF, (uint16_t)~tt_net_cksum_fold64(t->tcp_sum + words));
	return t->len;
}
