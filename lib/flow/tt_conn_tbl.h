/*
 * tt_conn_tbl: one worker's connection table, 4-tuple -> 32-bit value.
 *
 * Open addressing with linear probing over 16-byte slots (four per cache
 * line), so a lookup usually costs one cache miss.  Deletion shifts the
 * following entries back instead of leaving tombstones (Knuth 6.4 R), so
 * probe lengths do not grow with churn: a TIME-WAIT wave of a million
 * deletions leaves the table as fast as it was.
 *
 * Slot layout (16 bytes):
 *
 *   0          4          8      10     12         16
 *   +----------+----------+------+------+----------+
 *   | saddr    | daddr    |sport |dport | value    |
 *   +----------+----------+------+------+----------+
 *
 * value == TT_CONN_NONE marks an empty slot; callers store a pool index
 * with TT_CONN_TW set for TIME-WAIT entries.
 *
 * Capacity is fixed at creation: twice max_entries rounded up to a power
 * of two keeps the load factor at or below 1/2.  Inserting beyond
 * max_entries fails with -ENOSPC; the caller refuses the connection.
 *
 * The hash is keyed with a per-table seed so that a peer cannot choose
 * 4-tuples that all land in one probe run.  Not thread safe: owned by one
 * worker lcore.
 */
#ifndef TT_CONN_TBL_H
#define TT_CONN_TBL_H

#include <stdint.h>

#include "tt_flow4.h"

#define TT_CONN_NONE UINT32_MAX
#define TT_CONN_TW   0x80000000u /* value flag: the index names a TIME-WAIT entry */

struct tt_conn_tbl;

struct tt_conn_tbl *tt_conn_tbl_create(uint32_t max_entries, uint64_t seed);
void tt_conn_tbl_free(struct tt_conn_tbl *t);

/* The stored value, or TT_CONN_NONE. */
uint32_t tt_conn_tbl_lookup(const struct tt_conn_tbl *t, const struct tt_flow4 *k);

/* 0, -EEXIST (key present, left unchanged) or -ENOSPC (max_entries reached).
 * value must not be TT_CONN_NONE (it marks empty slots). */
int tt_conn_tbl_insert(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t value);

/* Replace the value of a present key: 0 or -ENOENT. */
int tt_conn_tbl_update(struct tt_conn_tbl *t, const struct tt_flow4 *k, uint32_t value);

/* 0 or -ENOENT. */
int tt_conn_tbl_delete(struct tt_conn_tbl *t, const struct tt_flow4 *k);

/*
 * Call fn for the entries in slots [from, from + n_slots), so that a long
 * walk can be spread over many calls; fn must not insert or delete.
 * Returns the slot to continue from, or 0 once the end was reached.
 */
uint32_t tt_conn_tbl_walk(const struct tt_conn_tbl *t, uint32_t from, uint32_t n_slots,
			  void (*fn)(const struct tt_flow4 *k, uint32_t value, void *arg), void *arg);

uint32_t tt_conn_tbl_count(const struct tt_conn_tbl *t);
uint32_t tt_conn_tbl_max_entries(const struct tt_conn_tbl *t);

/* Bytes of table memory per possible entry (for the memory figures). */
uint64_t tt_conn_tbl_bytes(const struct tt_conn_tbl *t);

#endif
