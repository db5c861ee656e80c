/*
 * tt_conn_tbl: one worker's connection table, 4-tuple -> 32-bit value.
 *
 * Open addressing with linear probing over 8-byte slots (eight per cache
 * line), so a lookup usually costs one cache miss in the table.  A slot
 * holds no key: it holds the key's 32-bit table hash (its tag) and the
 * value, and every value names an object of the caller's that holds the
 * key (a TCB's flow, a TIME-WAIT entry's).  The caller's key layout, given
 * at creation, says where that key is.  A lookup reads the slots from the
 * key's home; a slot whose tag equals the key's hash is a candidate, and
 * the key it names is compared with the one looked up, so a 32-bit tag
 * collision (two keys in about 2^32 of the same hash) costs a second key
 * read, never a wrong answer.  Deletion shifts the following entries back
 * instead of leaving tombstones (Knuth 6.4 R), so probe lengths do not grow
 * with churn: a TIME-WAIT wave of a million deletions leaves the table as
 * fast as it was.  The home is a function of the tag alone, so the shift
 * reads no key and computes no hash.
 *
 * Slot layout (8 bytes):
 *
 *   0          4          8
 *   +----------+----------+
 *   | tag      | value    |    tag = tt_conn_tbl_hash(key)
 *   +----------+----------+
 *
 * value == TT_CONN_NONE marks an empty slot; callers store a pool index
 * with TT_CONN_TW set for TIME-WAIT entries and TT_CONN_V6 for IPv6 ones.
 * Two keys present at once have two values (each value names one key).
 *
 * Capacity is fixed at creation: exactly twice max_entries home slots (at
 * least 16) keep the load factor at or below 1/2, 16 bytes of table per
 * entry whatever max_entries is (the home slot is the hash scaled to the
 * number of homes, so no power-of-two size is needed).  TT_CONN_TBL_MAX_PROBE
 * more slots follow the homes, so a probe run never wraps around (1.5 KiB).
 * Inserting beyond max_entries fails with -ENOSPC; the caller refuses the
 * connection.
 *
 * Threat model: a peer picks source addresses and ports (48 bits per
 * address it can use) and wants thousands of 4-tuples in one probe run,
 * so that every packet of those flows, and every miss that lands on the
 * run, walks it (the hash-flooding attack of Crosby and Wallach, USENIX
 * Security 2003).  A fixed or merely seeded mixer does not stop this:
 * multiply-xorshift is invertible and a seed XORed in moves the collisions
 * without removing them.  So the home slot comes from SipHash-1-3
 * (tt_siphash.h, which says why not 2-4), a keyed hash, of the 4-tuple under a 128-bit key drawn
 * from getrandom(2) for each table and never sent anywhere: without the key the homes of chosen
 * tuples are independent and uniform, and what a peer learns of one worker's collisions, by timing
 * or otherwise, says nothing about another's.  The key is not rotated (that would mean rehashing a
 * live table); the probe bound caps what a leak can buy.
 *
 * Probe bound, the backstop for a leaked key or a broken hash: no key sits
 * TT_CONN_TBL_MAX_PROBE or more slots past its home.  An insert that would
 * break this fails with -EBUSY and the caller refuses the connection as it
 * does for -ENOSPC; lookups, inserts and deletes then read at most
 * TT_CONN_TBL_MAX_PROBE slots whatever the keys (and as many keys at most, should a
 * peer who knows the table's key have chosen tuples of one tag).  The bound is chosen so
 * that honest traffic never meets it: with a uniform hash at load a, the
 * chance that the n slots from an insert's home are all taken (the queue
 * model of linear probing, in agreement with a simulation of a 16M-slot
 * table) is
 *
 *   n      64       128      192      256
 *   a=1/2  7e-08    1e-13    3e-19    8e-25
 *   a=0.4  2e-11    1e-20    9e-30    1e-37
 *
 * so with 192, even a table kept full at 10M inserts per second refuses
 * one connection by chance in about 10^4 years, while the worst walk stays
 * at 24 cache lines read in order (and a key read per tag that matches).  A few dozen would not do:
 * at a = 1/2, about one insert in 400000 finds 48 slots taken.
 *
 * Cost (bench/tbl/tbl_bench.c, 2^20 random keys in 2^21 slots, AMD EPYC
 * VM), against a multiply-xorshift mixer in the same table: a lookup runs
 * about 170 instructions against 47.  When each lookup waits for the one
 * before, as for a worker handling one packet at a time, it takes about
 * 160 ns against 145, nearly all of it the cache and TLB miss; in a table
 * that fits in L2, 22 ns against 13.  Independent lookups in a tight loop
 * take about 85 ns each (12M/s) against 31: the hash's instructions fill
 * the core's reorder window, so fewer misses overlap.
 *
 * Keys out of the slots (the same benchmark, whose keys are a 12 MiB array, on a
 * 2-core Xeon VM; two rounds each, against 16-byte slots holding the keys): the table is 16 MiB
 * instead of 32, so a miss takes 42-46 ns against 56-60, but a hit reads its key too, a second
 * miss, 49-56 ns against 35-39 independent (yet 71-84 against 122-143 serial, which these
 * runs do not explain); in bursts of 32, 22-24 ns against 22.  Instructions (callgrind,
 * 2^16 keys): 168 a lookup against 135, and 88 a key in the bulk lookup against 42, two calls
 * for the key's address (the table's key_of then) and the second pass.  In the stack the key
 * read is the TCB's first line, which the segment reads anyway: in three interleaved rounds the
 * cps benchmark's busy cycles per connection were 2,074, 2,026 and 2,148 against 2,033, 2,018
 * and 2,128 (0.4-2% more each round), cps_server_close's 2,230, 2,180 and 2,334 against 2,147,
 * 2,220 and 2,391.
 *
 * Bursts: a worker that looks its packets up one after the other waits
 * for every slot miss in turn.  The bulk calls split a burst's lookups in
 * stages, as rte_hash_lookup_bulk does: tt_conn_tbl_hash_bulk hashes every
 * key, then prefetches every home slot, so the misses overlap; the hashes go
 * first, all of them, because a prefetch waiting for a free miss slot between
 * two hashes held the next hash back (bench/README.md: 1-4% of the busy cycles
 * per connection and per SYN cookie on memif); tt_conn_tbl_lookup_bulk then reads
 * slots that are (likely) in cache in two passes, so that the key reads
 * overlap too: the first finds each key's first candidate and prefetches
 * its key's address, the second compares the keys and, for the rare
 * candidate that is another key, reads on down the run.  That is why a
 * key's address is computed from the value alone: a lookup that read the
 * object for it would wait for its miss in the first pass, one candidate at
 * a time.  A hash is the table's own (keyed, see
 * above) and only good for the table that made it; the *_hash calls take
 * it instead of hashing the key again.  tt_conn_tbl_hash_bulk hashes four
 * keys at a time in AVX2 lanes where the CPU has them (tt_siphash_x4.h; the
 * rest of a burst, and every key on a CPU without AVX2, one at a time with
 * the SipHash inlined in the loop): 44 instructions a key against 89, so
 * bench/trace.sh's 5,588 stack instructions per short connection became
 * 5,410, 925 per cookie SYN-ACK 880 and 2,031 per keep-alive request 1,987;
 * tcpterm-tbl-bench's bulk lookups of present keys in a table of 65,536,
 * run alternately on one core, 18.0-20.9 ns against 21.0-23.7 in five pairs
 * of six.  The benchmarks on the link do not resolve a change of that size
 * (bench/README.md).  Eight keys at once in AVX-512F lanes (about 13
 * instructions a key) were tried before and did not lower the cps
 * benchmark's busy cycles either (1,866 before, 1,888 with them); valgrind,
 * which counts trace.sh's instructions, does not run AVX-512.
 *
 * Memory: a table of 2 MiB or more lives on transparent huge pages where the
 * kernel gives them (tt_mem.h), so that a random slot costs a
 * cache miss without a TLB miss too.  It shows where the table is full:
 * cps_server_close, a million TIME-WAIT entries, 1,964-2,014 -> 1,808 busy
 * cycles per connection; with the few hundred entries of the client-close
 * cps run it was within the noise (1,866 -> 1,940 in one trial).
 * tt_conn_tbl_create_on_node also asks for those pages on a NUMA node (mbind(2),
 * MPOL_PREFERRED) before the slots are first written: the worker's, so that a
 * worker on another socket than the thread that creates its table does not pay
 * a remote access for every miss.
 *
 * Changes since a mark: a caller that looks a burst up ahead and then changes the table while it
 * processes the burst must know which values it looked up may have gone stale.  A stored value
 * changes only by an insert, update or delete of its own key (a delete's backward shift moves
 * other keys to other slots, never to other values), so every change that succeeds notes its
 * key's hash in a 256-bit filter, which tt_conn_tbl_mark clears.  tt_conn_tbl_changed(hash) is
 * true for every key changed since the mark, and for others only by chance: about one in eight
 * after 32 changes.  So a burst looks up again the few segments whose key an earlier one touched,
 * where one generation number for the whole table would send every segment after its first
 * change back to the table.
 *
 * Not thread safe: owned by one worker lcore.
 */
#ifndef TT_CONN_TBL_H
#define TT_CONN_TBL_H

#include <stdbool.h>
#include <stdint.h>

#include "tt_flow4.h"
#include "tt_siphash.h"

#define TT_CONN_NONE UINT32_MAX
#define TT_CONN_TW   0x80000000u /* value flag: the index names a TIME-WAIT entry */
#define TT_CONN_V6   0x40000000u /* value flag: the connection is over IPv6 (tt_stack.h) */

/* Slots a probe reads at most; see the probe bound above. */
#define TT_CONN_TBL_MAX_PROBE 192u

/* A slot's bytes (a tag and a value), eight to a cache line. */
#define TT_CONN_TBL_SLOT_BYTES 8u

struct tt_conn_tbl;

/*
 * Where the key of a stored value is: the object value names holds it, from the value's insert
 * (or the update that stored it) until its delete (or the update that replaced it).  Up to two
 * arrays of such objects (a TCB pool, the TIME-WAIT ring): a value with kind_bit set names
 * object (value & index_mask) of the second, any other value that of the first, and the key is
 * at base[kind] + index * stride[kind].  The table computes the address inline, without a call
 * and without reading the object (see "Bursts" above): per candidate a bulk lookup takes it
 * twice, for the prefetch and for the compare.  A call through a pointer there (key_of, as the
 * table had) cost bench/trace.sh 63 more stack instructions per short connection (4,979 against
 * 4,916) and 10 per keep-alive request, and natively 4% and 2% of their TSC cycles.  Every
 * value stored must name an object inside its array.
 */
struct tt_conn_tbl_keys {
	const uint8_t *base[2]; /* the first object's key */
	uint32_t stride[2];	/* bytes from one object to the next */
	uint32_t kind_bit;	/* 0: one array, base[0] */
	uint32_t index_mask;
};

/* The layout of one array of keys: value v names keys[v & index_mask]. */
static inline struct tt_conn_tbl_keys tt_conn_tbl_keys_array(const struct tt_flow4 *keys,
							     uint32_t index_mask)
{
	return (struct tt_conn_tbl_keys){
	    .base = {(const uint8_t *)keys}, .stride = {sizeof(*keys)}, .index_mask = index_mask};
}

/* key: fill from getrandom(2), one per table; it is copied, as keys is.  NULL + errno on failure
 * (EINVAL: no max_entries, or more than 2^30, or no keys). */
struct tt_conn_tbl *tt_conn_tbl_create(uint32_t max_entries, const struct tt_siphash_key *key,
				       const struct tt_conn_tbl_keys *keys);
/* The same, the slots of a table of 2 MiB or more placed on NUMA node node (see Memory
 * above); node < 0: wherever the memory comes from, as tt_conn_tbl_create. */
struct tt_conn_tbl *tt_conn_tbl_create_on_node(uint32_t max_entries,
					       const struct tt_siphash_key *key,
					       const struct tt_conn_tbl_keys *keys, int node);
void tt_conn_tbl_free(struct tt_conn_tbl *t);

/* The stored value, or TT_CONN_NONE. */
uint32_t tt_conn_tbl_lookup(const struct tt_conn_tbl *t, const struct tt_flow4 *k);

/* The table's hash of k (for the *_hash calls; a cost of about 100 instructions). */
uint32_t tt_conn_tbl_hash(const struct tt_conn_tbl *t, const struct tt_flow4 *k);

/* hashes[i] = tt_conn_tbl_hash(keys[i]) for i < n, and each home slot prefetched. */
void tt_conn_tbl_hash_bulk(const struct tt_conn_tbl *t, const struct tt_flow4 *keys, unsigned n,
			   uint32_t *hashes);

/* tt_conn_tbl_lookup with k's hash already known. */
uint32_t tt_conn_tbl_lookup_hash(const struct tt_conn_tbl *t, const struct tt_flow4 *k,
				 uint32_t hash);

/* values[i] = the value stored for keys[i] (hash hashes[i]) or TT_CONN_NONE, for i < n. */
void tt_conn_tbl_lookup_bulk(const struct tt_conn_tbl *t, const struct tt_flow4 *keys,
			     const uint32_t *hashes, unsigned n, uint32_t *values);

/* Start a new window of changes: see "Changes since a mark" above. */
void tt_conn_tbl_mark(struct tt_conn_tbl *t);

/* false: no key of this hash was inserted, updated or deleted since the last mark. */
bool tt_conn_tbl_changed(const struct tt_conn_tbl *t, uint32_t hash);

/* 0, -EEXIST (key present, left unchanged), -ENOSPC (max_entries reached) or
 * -EBUSY (the TT_CONN_TBL_MAX_PROBE slots from the key's home are all taken).
 * value must not be TT_CONN_NONE (it marks empty slots). */
int tt_conn_tbl_insert(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t value);
int tt_conn_tbl_insert_hash(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t hash,
			    uint32_t value);

/* Replace the value of a present key: 0 or -ENOENT. */
int tt_conn_tbl_update(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t value);
int tt_conn_tbl_update_hash(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t hash,
			    uint32_t value);

/* 0 or -ENOENT. */
int tt_conn_tbl_delete(struct tt_conn_tbl *t, const struct tt_flow4 *k);
int tt_conn_tbl_delete_hash(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t hash);
/*
 * By value, for a caller that knows its key's hash and the value it stored, which names one entry
 * (a pool index): the slot whose tag and value are these, found without reading a key.  Delete
 * it, or give it new_value (not TT_CONN_NONE).  0 or -ENOENT.
 */
int tt_conn_tbl_delete_value(struct tt_conn_tbl *t, uint32_t hash, uint32_t value);
int tt_conn_tbl_replace_value(struct tt_conn_tbl *t, uint32_t hash, uint32_t value,
			      uint32_t new_value);

/*
 * The home slot of a key with this hash, where a lookup, insert or delete by it starts: for the
 * caller to prefetch one soon to come.  A deletion also reads the slot after the one it empties,
 * TT_CONN_TBL_SLOT_BYTES on (the next cache line one time in eight).  With an instruction the
 * compiler keeps (DPDK's rte_prefetch0, an asm statement): a function whose only work is
 * __builtin_prefetch has no side effect for GCC's interprocedural analysis, which then deletes its
 * calls under link-time optimisation, as it deleted this table's own prefetch call from the
 * TIME-WAIT expiry and recycling once meson.build turned LTO on.
 */
const void *tt_conn_tbl_home_addr(const struct tt_conn_tbl *t, uint32_t hash);

/*
 * Call fn for the entries in slots [from, from + n_slots), with each one's
 * key, so that a long walk can be spread over many calls; fn
 * must not insert or delete.
 * Returns the slot to continue from, or 0 once the end was reached.
 */
uint32_t tt_conn_tbl_walk(const struct tt_conn_tbl *t, uint32_t from, uint32_t n_slots,
			  void (*fn)(const struct tt_flow4 *k, uint32_t value, void *arg),
			  void *arg);

uint32_t tt_conn_tbl_count(const struct tt_conn_tbl *t);
uint32_t tt_conn_tbl_max_entries(const struct tt_conn_tbl *t);

/* Bytes of slot memory, all of it allocated at creation (for the memory figures). */
uint64_t tt_conn_tbl_bytes(const struct tt_conn_tbl *t);

/*
 * The most slots a lookup of a present key reads now (0 when empty), at
 * most TT_CONN_TBL_MAX_PROBE.  Reads the whole table: for tests and
 * benchmarks, not for the data path.
 */
uint32_t tt_conn_tbl_max_probe(const struct tt_conn_tbl *t);

#endif
