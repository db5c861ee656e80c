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
	/* flow (12) | peer_isn (4) | counter low 32 bits (4) | mss index (1) */
	MAC_INPUT_LEN = TT_FLOW4_PACKED_LEN + 4 + 4 + 1,
	KDF_INPUT_LEN = 8 + 1,
};

#define COOKIE_MAC_MASK (~UINT32_C(0) << COOKIE_MAC_SHIFT)

_Static_assert(TT_SYNCOOKIE_MSS_COUNT == 1u << COOKIE_MSS_BITS, "MSS index field width");

enum {
	TS_WSCALE_MASK = 0xf,
	TS_WSCALE_NONE = 0xf,
	TS_SACK = 1u << 4,
	TS_RESERVED = 1u << 5,
	TS_BITS_MASK = 0x3f,
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

static void keys_sync(struct tt_syncookie_keys *k, uint64_t counter)
{
	if (counter == k->counter)
		return;
	/* The common move is one period forward: the current key becomes the previous one. */
	if (counter == k->counter + 1)
		k->prev = k->cur;
	else
		k->prev = derive_key(&k->master, counter - 1);
	k->cur = derive_key(&k->master, counter);
	k->counter = counter;
}

/* Top 27 bits of the MAC, already in their cookie position. */
static uint32_t mac_bits(const struct tt_siphash_key *key, const struct tt_flow4 *f,
			 uint32_t peer_isn, uint64_t counter, unsigned int mss_idx)
{
	uint8_t in[MAC_INPUT_LEN];

	tt_flow4_pack(f, in);
	put_le32(in + TT_FLOW4_PACKED_LEN, peer_isn);
	put_le32(in + TT_FLOW4_PACKED_LEN + 4, (uint32_t)counter);
	in[TT_FLOW4_PACKED_LEN + 8] = (uint8_t)mss_idx;
	return (uint32_t)(tt_siphash(key, in, sizeof(in)) >> 32) & COOKIE_MAC_MASK;
}

static unsigned int mss_index(uint16_t peer_mss)
{
	unsigned int i = TT_SYNCOOKIE_MSS_COUNT - 1;

	while (i > 0 && mss_table[i] > peer_mss)
		i--;
	return i;
}

void tt_syncookie_keys_init(struct tt_syncookie_keys *k, const struct tt_syncookie_secret *s,
			    uint64_t now_ms)
{
	uint64_t counter = now_ms / TT_SYNCOOKIE_PERIOD_MS;

	k->master = s->master;
	k->counter = counter;
	k->cur = derive_key(&k->master, counter);
	k->prev = derive_key(&k->master, counter - 1);
}

uint32_t tt_syncookie_make(struct tt_syncookie_keys *k, const struct tt_flow4 *f, uint32_t peer_isn,
			   uint16_t peer_mss, uint64_t now_ms, uint16_t *mss_out)
{
	uint64_t counter = now_ms / TT_SYNCOOKIE_PERIOD_MS;
	unsigned int idx = mss_index(peer_mss);

	keys_sync(k, counter);
	*mss_out = mss_table[idx];
	return mac_bits(&k->cur, f, peer_isn, counter, idx) |
	       (uint32_t)(counter & COOKIE_T_MASK) << COOKIE_MSS_BITS | idx;
}

enum tt_syncookie_verdict tt_syncookie_check(struct tt_syncookie_keys *k, const struct tt_flow4 *f,
					     uint32_t peer_isn, uint32_t cookie, uint64_t now_ms,
					     uint16_t *mss_out)
{
	uint64_t now = now_ms / TT_SYNCOOKIE_PERIOD_MS;
	unsigned int idx = cookie & COOKIE_MSS_MASK;
	unsigned int t = (cookie >> COOKIE_MSS_BITS) & COOKIE_T_MASK;
	/* Exactly one of now, now - 1, now - 2, now - 3 has low bits t. */
	unsigned int age = (unsigned int)(now - t) & COOKIE_T_MASK;
	uint64_t counter = now - age;
	struct tt_siphash_key old;
	const struct tt_siphash_key *key;

	keys_sync(k, now);
	if (age == 0) {
		key = &k->cur;
	} else if (age == 1) {
		key = &k->prev;
	} else {
		old = derive_key(&k->master, counter);
		key = &old;
	}

	if (mac_bits(key, f, peer_isn, counter, idx) != (cookie & COOKIE_MAC_MASK))
		return TT_SYNCOOKIE_BAD_HASH;
	if (age > COOKIE_MAX_VALID_AGE)
		return TT_SYNCOOKIE_EXPIRED;
	*mss_out = mss_table[idx];
	return TT_SYNCOOKIE_VALID;
}

uint32_t tt_syncookie_ts_encode(uint32_t now_tsval, const struct tt_syncookie_opts *o)
{
	uint32_t bits = TS_WSCALE_NONE;
	uint32_t ts;

	if (o->wscale_ok)
		bits = o->wscale < TS_WSCALE_MAX ? o->wscale : TS_WSCALE_MAX;
	if (o->sack_ok)
		bits |= TS_SACK;

	ts = (now_tsval & ~(uint32_t)TS_BITS_MASK) | bits;
	/* Step back one 64-tick block rather than send a TSval ahead of our clock. */
	if (bits > (now_tsval & TS_BITS_MASK))
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
