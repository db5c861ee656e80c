#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt_conn_tbl.h"

struct slot {
	struct tt_flow4 key;
	uint32_t value;
};
static_assert(sizeof(struct slot) == 16, "four slots per cache line");

struct tt_conn_tbl {
	struct slot *slots;
	uint32_t mask;
	uint32_t count;
	uint32_t max_entries;
	uint64_t seed;
};

static inline uint32_t slot_of(const struct tt_conn_tbl *t, const struct tt_flow4 *k)
{
	uint64_t a, h;
	uint32_t b;

	memcpy(&a, k, 8);
	memcpy(&b, (const uint8_t *)k + 8, 4);
	/* Two rounds of multiply-xorshift keyed by the seed (a 64-bit mixer
	 * in the style of splitmix64's finaliser). */
	h = (a ^ t->seed) * 0x9e3779b97f4a7c15ull;
	h ^= h >> 32;
	h = (h ^ b ^ (t->seed >> 17)) * 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return (uint32_t)h & t->mask;
}

static inline int key_eq(const struct tt_flow4 *a, const struct tt_flow4 *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr && a->sport == b->sport &&
	       a->dport == b->dport;
}

struct tt_conn_tbl *tt_conn_tbl_create(uint32_t max_entries, uint64_t seed)
{
	struct tt_conn_tbl *t;
	uint64_t n = 16;

	if (max_entries == 0 || max_entries > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	while (n < 2ull * max_entries)
		n <<= 1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->slots = aligned_alloc(64, n * sizeof(struct slot));
	if (t->slots == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	memset(t->slots, 0xff, n * sizeof(struct slot));
	t->mask = (uint32_t)(n - 1);
	t->max_entries = max_entries;
	t->seed = seed;
	return t;
}

void tt_conn_tbl_free(struct tt_conn_tbl *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t);
}

static struct slot *find(const struct tt_conn_tbl *t, const struct tt_flow4 *k)
{
	for (uint32_t i = slot_of(t, k);; i = (i + 1) & t->mask) {
		struct slot *s = &t->slots[i];

		if (s->value == TT_CONN_NONE)
			return NULL;
		if (key_eq(&s->key, k))
			return s;
	}
}

uint32_t tt_conn_tbl_lookup(const struct tt_conn_tbl *t, const struct tt_flow4 *k)
{
	const struct slot *s = find(t, k);

	return s ? s->value : TT_CONN_NONE;
}

int tt_conn_tbl_insert(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t value)
{
	uint32_t i;

	for (i = slot_of(t, k); t->slots[i].value != TT_CONN_NONE; i = (i + 1) & t->mask)
		if (key_eq(&t->slots[i].key, k))
			return -EEXIST;
	if (t->count >= t->max_entries)
		return -ENOSPC;
	t->slots[i].key = *k;
	t->slots[i].value = value;
	t->count++;
	return 0;
}

int tt_conn_tbl_update(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t value)
{
	struct slot *s = find(t, k);

	if (s == NULL)
		return -ENOENT;
	s->value = value;
	return 0;
}

int tt_conn_tbl_delete(struct tt_conn_tbl *t, const struct tt_flow4 *k)
{
	struct slot *s = find(t, k);
	uint32_t hole, i;

	if (s == NULL)
		return -ENOENT;
	hole = (uint32_t)(s - t->slots);
	/* Backward shift: move later members of the run into the hole when
	 * their home slot does not lie cyclically in (hole, i]. */
	for (i = (hole + 1) & t->mask; t->slots[i].value != TT_CONN_NONE; i = (i + 1) & t->mask) {
		uint32_t home = slot_of(t, &t->slots[i].key);

		if (((i - home) & t->mask) >= ((i - hole) & t->mask)) {
			t->slots[hole] = t->slots[i];
			hole = i;
		}
	}
	memset(&t->slots[hole], 0xff, sizeof(struct slot));
	t->count--;
	return 0;
}

uint32_t tt_conn_tbl_walk(const struct tt_conn_tbl *t, uint32_t from, uint32_t n_slots,
			  void (*fn)(const struct tt_flow4 *k, uint32_t value, void *arg), void *arg)
{
	uint64_t end = (uint64_t)from + n_slots;

	if (end > (uint64_t)t->mask + 1)
		end = (uint64_t)t->mask + 1;
	for (uint32_t i = from; i < end; i++)
		if (t->slots[i].value != TT_CONN_NONE)
			fn(&t->slots[i].key, t->slots[i].value, arg);
	return end == (uint64_t)t->mask + 1 ? 0 : (uint32_t)end;
}

uint32_t tt_conn_tbl_count(const struct tt_conn_tbl *t)
{
	return t->count;
}

uint32_t tt_conn_tbl_max_entries(const struct tt_conn_tbl *t)
{
	return t->max_entries;
}

uint64_t tt_conn_tbl_bytes(const struct tt_conn_tbl *t)
{
	return ((uint64_t)t->mask + 1) * sizeof(struct slot);
}
