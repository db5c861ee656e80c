#include <errno.h>

#include "tt_syncookie.h"

/*
 * MSS values a cookie can express, ascending. A peer gets the largest entry
 * not above what it announced, so steps sit where real paths cluster and
 * little payload per segment is lost to rounding down.
 *   536   RFC 1122 section 4.2.2.6: the default when the SYN has no MSS option
 *   1220  1280-byte IPv6 minimum MTU less 60: peers clamped for IPv6 tunnels
 *   1300  Linux IPv4 cookie table (net/ipv4/syncookies.c msstab): VPN tunnels
 *   1380  default MSS clamp of Cisco ASA firewalls (sysopt connection tcpmss)
 *   1440  Linux IPv4 cookie table, where it covers PPPoE and GRE paths
 *   1452  PPPoE (RFC 2516): 1492-byte MTU less 40
 *   1460  Ethernet (RFC 894): 1500-byte MTU less 40; Linux IPv4 cookie table
 *   8960  9000-byte jumbo frames less 40
 */
static const uint16_t mss_table[TT_SYNCOOKIE_MSS_COUNT] = {
    536, 1220, 1300, 1380, 1440, 1452, 1460, 8960,
};

enum {
	COOKIE_MSS_BITS = 3,
	COOKIE_T_BITS = 2,
	COOKIE_MAC_SHIFT = COOKIE_MSS_BITS + COOKIE_T_BITS,
	COOKIE_MSS_MASK = (1u << COOKIE_MSS_BITS) - 1,
	COOKIE_T_MASK = (1u << COOKIE_T_BITS) - 1,
	/* Cookies from the current and the previous counter are accepted. */
	COOKIE_MAX_VALID_AGE = 1,
	/* flow (12, IPv6: 36) | peer_isn (4) | counter low 32 bits (4) | mss index (1) |
	 * ts bits (1) */
	MAC_INPUT_MAX = TT_FLOW_PACKED_MAX + 4 + 4 + 1 + 1,
	MAC_INPUT4_LEN = TT_FLOW4_PACKED_LEN + 4 + 4 + 1 + 1,
	KDF_INPUT_LEN = 8 + 1,
};

#define COOKIE_MAC_MASK (~UINT32_C(0) << COOKIE_MAC_SHIFT)

_Static_assert(TT_SYNCOOKIE_MSS_COUNT == 1u << COOKIE_MSS_BITS, "MSS index field width");
_Static_assert(TT_SYNCOOKIE_KEYS == 1u << COOKIE_T_BITS, "one cached key per t value");

enum {
	TS_WSCALE_MASK = 0xf,
	TS_WSCALE_NONE = 0xf,
	TS_SACK = 1u << 4,
	TS_RESERVED = 1u << 5,
	TS_BITS_MASK = 0x3f,
	/* Outside TS_BITS_MASK, so no TSecr can stand in for a missing timestamp. */
	TS_ABSENT = 0x40,
	TS_WSCALE_MAX = 14, /* RFC 7323 section 2.3 */
};

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* key_c = {siphash(master, c | 0), siphash(master, c | 1)}, c as 8 little-endian bytes. */
static struct tt_siphash_key derive_key(const struct tt_siphash_key *master, uint64_t counter)
{
	uint8_t in[KDF_INPUT_LEN];
	struct tt_siphash_key k;

	put_le32(in, (uint32_t)counter);
	put_le32(in + 4, (uint32_t)(counter >> 32));
	in[8] = 0;
	k.k0 = tt_siphash(master, in, sizeof(in));
	in[8] = 1;
	k.k1 = tt_siphash(master, in, sizeof(in));
	return k;
}

/* Fills the slots of the counters after `after` up to `counter`, oldest first. */
static void derive_keys(struct tt_syncookie_keys *k, uint64_t after, uint64_t counter)
{
	for (uint64_t c = after + 1; c != counter + 1; c++)
		k->key[c & COOKIE_T_MASK] = derive_key(&k->master, c);
	k->counter = counter;
	k->counter_ms = counter * k->period_ms;
}

static void keys_sync(struct tt_syncookie_keys *k, uint64_t counter)
{
	uint64_t step = counter - k->counter;

	if (step == 0)
		return;
	/* A clock that stepped back, or four idle periods, leaves no slot to keep. */
	derive_keys(k, step < TT_SYNCOOKIE_KEYS ? k->counter : counter - TT_SYNCOOKIE_KEYS,
		    counter);
}

/*
 * The counter of now_ms, the keys synced to it.  Inside the cached counter's period (every
 * packet but the first of a period) it costs no 64-bit division, tens of cycles per SYN and
 * per ACK; a clock that stepped back falls outside and divides.
 */
static uint64_t counter_now(struct tt_syncookie_keys *k, uint64_t now_ms)
{
	if (now_ms - k->counter_ms < k->period_ms)
		return k->counter;
	keys_sync(k, now_ms / k->period_ms);
	return k->counter;
}

/* What the MAC covers of the timestamp: the option bits, or their absence. */
static unsigned int ts_bits(const uint32_t *ts)
{
	return ts != NULL ? *ts & TS_BITS_MASK : TS_ABSENT;
}

/*
 * tt_siphash(key, the MAC input of an IPv4 flow) without the byte copy: the 22 bytes are
 * saddr | daddr, sport | dport | peer_isn, then counter | mss index | ts bits, each block
 * read little-endian as tt_siphash reads it.
 */
static inline uint64_t mac4(const struct tt_siphash_key *key, const struct tt_flow4 *f,
			    uint32_t peer_isn, uint32_t counter, unsigned int mss_idx,
			    unsigned int ts)
{
	uint64_t m[3];

	tt_siphash_flow4_blocks(f, m);
	m[1] |= (uint64_t)peer_isn << 32;
	m[2] = (uint64_t)counter | (uint64_t)mss_idx << 32 | (uint64_t)ts << 40;
	return tt_siphash_blocks(key, m, MAC_INPUT4_LEN);
}

/* tt_siphash(key, the MAC input of an IPv6 flow): rare, so packed as bytes and kept out of line. */
static uint64_t mac6(const struct tt_siphash_key *key, const struct tt_flow4 *f,
		     const struct tt_addr6_pair *a6, uint32_t peer_isn, uint32_t counter,
		     unsigned int mss_idx, unsigned int ts)
{
	uint8_t in[MAC_INPUT_MAX];
	unsigned n = tt_flow_pack(f, a6, in);

	put_le32(in + n, peer_isn);
	put_le32(in + n + 4, counter);
	in[n + 8] = (uint8_t)mss_idx;
	in[n + 9] = (uint8_t)ts;
	return tt_siphash(key, in, n + 10);
}

static inline uint64_t mac(const struct tt_siphash_key *key, const struct tt_flow4 *f,
			   const struct tt_addr6_pair *a6, uint32_t peer_isn, uint64_t counter,
			   unsigned int mss_idx, unsigned int ts)
{
	return a6 == NULL ? mac4(key, f, peer_isn, (uint32_t)counter, mss_idx, ts)
			  : mac6(key, f, a6, peer_isn, (uint32_t)counter, mss_idx, ts);
}

/* The MAC's top 27 bits, in their cookie position. */
static inline uint32_t mac_bits(uint64_t m)
{
	return (uint32_t)(m >> 32) & COOKIE_MAC_MASK;
}

/* The timestamp offset of the connection the cookie opens: the MAC's low half, not sent in it. */
static inline uint32_t mac_ts_offset(uint64_t m)
{
	return (uint32_t)m;
}

static unsigned int mss_index(uint16_t peer_mss)
{
	unsigned int i = TT_SYNCOOKIE_MSS_COUNT - 1;

	while (i > 0 && mss_table[i] > peer_mss)
		i--;
	return i;
}

int tt_syncookie_keys_init(struct tt_syncookie_keys *k, const struct tt_syncookie_secret *s,
			   uint32_t period_ms, uint64_t now_ms)
{
	uint64_t counter;

	if (period_ms == 0 || period_ms > TT_SYNCOOKIE_PERIOD_MAX_MS)
		return -EINVAL;
	counter = now_ms / period_ms;
	k->master = s->master;
	k->period_ms = period_ms;
	derive_keys(k, counter - TT_SYNCOOKIE_KEYS, counter);
	return 0;
}

/* Kept out of line (the link-time optimiser would fold the MACs into the listener): the profile
 * tells the cookies' MACs apart by these functions' names (bench/report.py COMPONENTS). */
__attribute__((noinline)) uint32_t
tt_syncookie_make(struct tt_syncookie_keys *k, const struct tt_flow4 *f,
		  const struct tt_addr6_pair *a6, uint32_t peer_isn, uint16_t peer_mss,
		  const uint32_t *tsval, uint64_t now_ms, uint16_t *mss_out, uint32_t *ts_offset)
{
	uint64_t counter = counter_now(k, now_ms);
	unsigned int t = (unsigned int)(counter & COOKIE_T_MASK);
	unsigned int idx = mss_index(peer_mss);
	uint64_t m = mac(&k->key[t], f, a6, peer_isn, counter, idx, ts_bits(tsval));

	*mss_out = mss_table[idx];
	if (ts_offset != NULL)
		*ts_offset = mac_ts_offset(m);
	return mac_bits(m) | t << COOKIE_MSS_BITS | idx;
}

__attribute__((noinline)) enum tt_syncookie_verdict
tt_syncookie_check(struct tt_syncookie_keys *k, const struct tt_flow4 *f,
		   const struct tt_addr6_pair *a6, uint32_t peer_isn, uint32_t cookie,
		   const uint32_t *tsecr, uint64_t now_ms, uint16_t *mss_out, uint32_t *ts_offset)
{
	uint64_t now = counter_now(k, now_ms);
	unsigned int idx = cookie & COOKIE_MSS_MASK;
	unsigned int t = (cookie >> COOKIE_MSS_BITS) & COOKIE_T_MASK;
	/* Exactly one of now, now - 1, now - 2, now - 3 has low bits t; key[t] is its key. */
	unsigned int age = (unsigned int)(now - t) & COOKIE_T_MASK;
	uint64_t m = mac(&k->key[t], f, a6, peer_isn, now - age, idx, ts_bits(tsecr));

	if (mac_bits(m) != (cookie & COOKIE_MAC_MASK))
		return TT_SYNCOOKIE_BAD_HASH;
	if (age > COOKIE_MAX_VALID_AGE)
		return TT_SYNCOOKIE_EXPIRED;
	*mss_out = mss_table[idx];
	if (ts_offset != NULL)
		*ts_offset = mac_ts_offset(m);
	return TT_SYNCOOKIE_VALID;
}

uint32_t tt_syncookie_ts_opts(const struct tt_syncookie_opts *o)
{
	uint32_t bits = TS_WSCALE_NONE;

	if (o->wscale_ok)
		bits = o->wscale < TS_WSCALE_MAX ? o->wscale : TS_WSCALE_MAX;
	if (o->sack_ok)
		bits |= TS_SACK;
	return bits;
}

uint32_t tt_syncookie_ts_encode(uint32_t now_tsval, const struct tt_syncookie_opts *o)
{
	uint32_t bits = tt_syncookie_ts_opts(o);
	uint32_t ts = (now_tsval & ~(uint32_t)TS_BITS_MASK) | bits;

	/* Step back one 64-tick block rather than send a TSval ahead of our clock, or one of 0: a
	 * TSecr of 0 then echoes no TSval of ours (tt_tcp_listen.c, cookie_ack). */
	if (bits > (now_tsval & TS_BITS_MASK) || ts == 0)
		ts -= TS_BITS_MASK + 1;
	return ts;
}

bool tt_syncookie_ts_decode(uint32_t tsecr, struct tt_syncookie_opts *o)
{
	unsigned int ws = tsecr & TS_WSCALE_MASK;

	if (tsecr & TS_RESERVED)
		return false;
	o->wscale_ok = ws != TS_WSCALE_NONE;
	o->wscale = o->wscale_ok ? (uint8_t)ws : 0;
	o->sack_ok = (tsecr & TS_SACK) != 0;
	return true;
}
