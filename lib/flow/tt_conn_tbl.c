#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tt_conn_tbl.h"
#include "tt_mem.h"
#include "tt_siphash_x4.h"

struct slot {
	uint32_t tag; /* the key's table hash */
	uint32_t value;
};
static_assert(sizeof(struct slot) == TT_CONN_TBL_SLOT_BYTES, "eight slots per cache line");

/* No slot: the end of a search (slot indices stay below 2^31 + TT_CONN_TBL_MAX_PROBE). */
#define NO_SLOT UINT32_MAX

struct tt_conn_tbl {
	struct slot *slots;
	uint32_t n_homes; /* slots a key may have as its home */
	uint32_t n_slots; /* n_homes + TT_CONN_TBL_MAX_PROBE: no run wraps */
	uint32_t count;
	uint32_t max_entries;
	uint64_t changed[4]; /* keys changed since the mark (tt_conn_tbl_changed): bit hash % 256 */
	struct tt_conn_tbl_keys keys;
	struct tt_siphash_key key;
	bool hash_x4; /* bursts hashed four keys at once (tt_siphash_x4.h) */
};

/* Inline, so that the bulk hash's loop needs no call per key. */
static inline uint32_t table_hash(const struct tt_conn_tbl *t, const struct tt_flow4 *k)
{
	return (uint32_t)tt_siphash13_flow4(&t->key, k);
}

uint32_t tt_conn_tbl_hash(const struct tt_conn_tbl *t, const struct tt_flow4 *k)
{
	return table_hash(t, k);
}

/* The home slot of a hash: the hash scaled to the homes (Lemire's multiply-shift range
 * reduction), so the table needs no power-of-two size. */
static inline uint32_t home(const struct tt_conn_tbl *t, uint32_t hash)
{
	return (uint32_t)(((uint64_t)hash * t->n_homes) >> 32);
}

/*
 * The home slot's line, and the next slot's when it opens the next line: a lookup reads the home
 * alone when its key is there, but the deletion of that key reads the slot after it too
 * (remove_slot), and in a table much larger than the cache that line is a miss one time in eight.
 */
static inline void prefetch_home(const struct tt_conn_tbl *t, uint32_t hash)
{
	const struct slot *s = &t->slots[home(t, hash)];

	__builtin_prefetch(s);
	__builtin_prefetch(s + 1);
}

static inline int key_eq(const struct tt_flow4 *a, const struct tt_flow4 *b)
{
	return a->saddr == b->saddr && a->daddr == b->daddr && a->sport == b->sport &&
	       a->dport == b->dport;
}

struct tt_conn_tbl *tt_conn_tbl_create(uint32_t max_entries, const struct tt_siphash_key *key,
				       const struct tt_conn_tbl_keys *keys)
{
	return tt_conn_tbl_create_on_node(max_entries, key, keys, -1);
}

struct tt_conn_tbl *tt_conn_tbl_create_on_node(uint32_t max_entries,
					       const struct tt_siphash_key *key,
					       const struct tt_conn_tbl_keys *keys, int node)
{
	struct tt_conn_tbl *t;
	uint64_t n = 2ull * max_entries < 16 ? 16 : 2ull * max_entries;
	uint64_t bytes = (n + TT_CONN_TBL_MAX_PROBE) * sizeof(struct slot);

	if (max_entries == 0 || max_entries > (1u << 30) || keys == NULL) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->slots = tt_mem_alloc(&bytes, node);
	if (t->slots == NULL) {
		free(t);
		errno = ENOMEM;
		return NULL;
	}
	memset(t->slots, 0xff, bytes);
	t->n_homes = (uint32_t)n;
	t->n_slots = (uint32_t)n + TT_CONN_TBL_MAX_PROBE;
	t->max_entries = max_entries;
	t->key = *key;
	t->hash_x4 = tt_siphash_x4_supported();
	t->keys = *keys;
	return t;
}

void tt_conn_tbl_free(struct tt_conn_tbl *t)
{
	if (t == NULL)
		return;
	free(t->slots);
	free(t);
}

/* The key of a stored value (tt_conn_tbl_keys). */
static inline const struct tt_flow4 *key_of(const struct tt_conn_tbl *t, uint32_t value)
{
	unsigned kind = (value & t->keys.kind_bit) != 0;

	return (const struct tt_flow4 *)(t->keys.base[kind] + (size_t)(value & t->keys.index_mask) *
								  t->keys.stride[kind]);
}

static inline const struct tt_flow4 *key_at(const struct tt_conn_tbl *t, uint32_t i)
{
	return key_of(t, t->slots[i].value);
}

/*
 * The first slot from i on whose tag is hash, or NO_SLOT: an empty slot ends the search early, the
 * bound (TT_CONN_TBL_MAX_PROBE slots from the home) ends it in a long run of other keys.
 */
static inline uint32_t next_candidate(const struct tt_conn_tbl *t, uint32_t hash, uint32_t i)
{
	const uint32_t end = home(t, hash) + TT_CONN_TBL_MAX_PROBE;

	for (; i < end; i++) {
		const struct slot *s = &t->slots[i];

		if (s->value == TT_CONN_NONE)
			return NO_SLOT;
		if (s->tag == hash)
			return i;
	}
	return NO_SLOT;
}

/* The slot of k from candidate i on (the first from the home: next_candidate), or NO_SLOT. */
static uint32_t find_from(const struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t hash,
			  uint32_t i)
{
	for (; i != NO_SLOT; i = next_candidate(t, hash, i + 1))
		if (key_eq(key_at(t, i), k))
			return i;
	return NO_SLOT;
}

static uint32_t find(const struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t hash)
{
	return find_from(t, k, hash, next_candidate(t, hash, home(t, hash)));
}

static uint32_t value_at(const struct tt_conn_tbl *t, uint32_t i)
{
	return i == NO_SLOT ? TT_CONN_NONE : t->slots[i].value;
}

void tt_conn_tbl_hash_bulk(const struct tt_conn_tbl *t, const struct tt_flow4 *keys, unsigned n,
			   uint32_t *hashes)
{
	unsigned i = t->hash_x4 ? tt_siphash13_flow4_x4(&t->key, keys, n, hashes) : 0;

	for (; i < n; i++)
		hashes[i] = table_hash(t, &keys[i]);
	for (unsigned i = 0; i < n; i++)
		prefetch_home(t, hashes[i]);
}

uint32_t tt_conn_tbl_lookup_hash(const struct tt_conn_tbl *t, const struct tt_flow4 *k,
				 uint32_t hash)
{
	return value_at(t, find(t, k, hash));
}

uint32_t tt_conn_tbl_lookup(const struct tt_conn_tbl *t, const struct tt_flow4 *k)
{
	return tt_conn_tbl_lookup_hash(t, k, tt_conn_tbl_hash(t, k));
}

/*
 * Two passes (see "Bursts" in the header): values[i] holds key i's first candidate slot between
 * them, so the burst's key reads are all under way before the first is compared.
 */
void tt_conn_tbl_lookup_bulk(const struct tt_conn_tbl *t, const struct tt_flow4 *keys,
			     const uint32_t *hashes, unsigned n, uint32_t *values)
{
	for (unsigned i = 0; i < n; i++) {
		values[i] = next_candidate(t, hashes[i], home(t, hashes[i]));
		if (values[i] != NO_SLOT)
			__builtin_prefetch(key_at(t, values[i]));
	}
	for (unsigned i = 0; i < n; i++)
		values[i] = value_at(t, find_from(t, &keys[i], hashes[i], values[i]));
}

void tt_conn_tbl_mark(struct tt_conn_tbl *t)
{
	memset(t->changed, 0, sizeof(t->changed));
}

static void note_change(struct tt_conn_tbl *t, uint32_t hash)
{
	t->changed[(hash >> 6) & 3] |= 1ull << (hash & 63);
}

bool tt_conn_tbl_changed(const struct tt_conn_tbl *t, uint32_t hash)
{
	return t->changed[(hash >> 6) & 3] >> (hash & 63) & 1;
}

int tt_conn_tbl_insert_hash(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t hash,
			    uint32_t value)
{
	uint32_t i = home(t, hash), n;

	for (n = 0; n < TT_CONN_TBL_MAX_PROBE && t->slots[i].value != TT_CONN_NONE; n++, i++)
		if (t->slots[i].tag == hash && key_eq(key_at(t, i), k))
			return -EEXIST;
	if (t->count >= t->max_entries)
		return -ENOSPC;
	if (n == TT_CONN_TBL_MAX_PROBE)
		return -EBUSY;
	t->slots[i].tag = hash;
	t->slots[i].value = value;
	t->count++;
	note_change(t, hash);
	return 0;
}

int tt_conn_tbl_insert(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t value)
{
	return tt_conn_tbl_insert_hash(t, k, tt_conn_tbl_hash(t, k), value);
}

/* Slot i (NO_SLOT: none found), which holds a key of this hash, takes value. */
static int set_value(struct tt_conn_tbl *t, uint32_t i, uint32_t hash, uint32_t value)
{
	if (i == NO_SLOT)
		return -ENOENT;
	t->slots[i].value = value;
	note_change(t, hash);
	return 0;
}

int tt_conn_tbl_update_hash(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t hash,
			    uint32_t value)
{
	return set_value(t, find(t, k, hash), hash, value);
}

int tt_conn_tbl_update(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t value)
{
	return tt_conn_tbl_update_hash(t, k, tt_conn_tbl_hash(t, k), value);
}

int tt_conn_tbl_delete(struct tt_conn_tbl *t, const struct tt_flow4 *k)
{
	return tt_conn_tbl_delete_hash(t, k, tt_conn_tbl_hash(t, k));
}

/*
 * Empty slot hole (NO_SLOT: none found, -ENOENT), which holds a key of this hash.  Backward
 * shift: move later members of the run into the hole when their home (their tag's) is at or
 * before the hole.  A move only brings a key closer to its home, so the probe bound holds; and a
 * key TT_CONN_TBL_MAX_PROBE or more past the hole has its home after the hole, so nothing from
 * there on can move and the scan stops.  The last slot is always empty (no home is within
 * TT_CONN_TBL_MAX_PROBE of it), so the scan needs no other bound.
 */
static int remove_slot(struct tt_conn_tbl *t, uint32_t hole, uint32_t hash)
{
	if (hole == NO_SLOT)
		return -ENOENT;
	for (uint32_t i = hole + 1; t->slots[i].value != TT_CONN_NONE; i++) {
		if (i - hole >= TT_CONN_TBL_MAX_PROBE)
			break;
		if (home(t, t->slots[i].tag) <= hole) {
			t->slots[hole] = t->slots[i];
			hole = i;
		}
	}
	memset(&t->slots[hole], 0xff, sizeof(struct slot));
	t->count--;
	note_change(t, hash);
	return 0;
}

int tt_conn_tbl_delete_hash(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t hash)
{
	return remove_slot(t, find(t, k, hash), hash);
}

/* The slot whose tag is hash and whose value is value (no key is read), or NO_SLOT. */
static uint32_t find_value(const struct tt_conn_tbl *t, uint32_t hash, uint32_t value)
{
	uint32_t i = home(t, hash);

	for (uint32_t n = 0; n < TT_CONN_TBL_MAX_PROBE && t->slots[i].value != TT_CONN_NONE;
	     n++, i++)
		if (t->slots[i].tag == hash && t->slots[i].value == value)
			return i;
	return NO_SLOT;
}

int tt_conn_tbl_delete_value(struct tt_conn_tbl *t, uint32_t hash, uint32_t value)
{
	return remove_slot(t, find_value(t, hash, value), hash);
}

int tt_conn_tbl_replace_value(struct tt_conn_tbl *t, uint32_t hash, uint32_t value,
			      uint32_t new_value)
{
	return set_value(t, find_value(t, hash, value), hash, new_value);
}

const void *tt_conn_tbl_home_addr(const struct tt_conn_tbl *t, uint32_t hash)
{
	return &t->slots[home(t, hash)];
}

uint32_t tt_conn_tbl_walk(const struct tt_conn_tbl *t, uint32_t from, uint32_t n_slots,
			  void (*fn)(const struct tt_flow4 *k, uint32_t value, void *arg),
			  void *arg)
{
	uint64_t end = (uint64_t)from + n_slots;

	if (end > t->n_slots)
		end = t->n_slots;
	for (uint32_t i = from; i < end; i++)
		if (t->slots[i].value != TT_CONN_NONE)
			fn(key_at(t, i), t->slots[i].value, arg);
	return end == t->n_slots ? 0 : (uint32_t)end;
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
	return (uint64_t)t->n_slots * sizeof(struct slot);
}

uint32_t tt_conn_tbl_max_probe(const struct tt_conn_tbl *t)
{
	uint32_t longest = 0;

	for (uint32_t i = 0; i < t->n_slots; i++) {
		uint32_t probe;

		if (t->slots[i].value == TT_CONN_NONE)
			continue;
		probe = i - home(t, t->slots[i].tag) + 1;
		if (probe > longest)
			longest = probe;
	}
	return longest;
}
