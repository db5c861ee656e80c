/*
 * Connection table lookup rate: max_entries random 4-tuples in a table
 * sized for max_entries (load 1/2 when it is a power of two), then timed
 * lookups of present keys in random order and of absent keys.  The queried
 * tuples are laid out in the order they are asked for, so the table is the
 * only memory read at random, as for packets arriving from many peers.
 * Prints ns per lookup and millions of lookups per second, best of
 * TBL_BENCH_RUNS runs, and the longest probe.
 *
 * Independent lookups let the core overlap many cache misses, which a
 * worker that handles one packet at a time does not get; the serial row
 * makes each lookup wait for the one before, so it shows the latency a
 * packet pays.  The bulk rows look up TBL_BENCH_BURST keys at a time the way
 * a worker's RX burst does (tt_conn_tbl_hash_bulk, which prefetches the
 * home slots, then tt_conn_tbl_lookup_bulk); in the serial one each burst
 * waits for the one before, as a worker's next rx_burst waits for the
 * previous burst's processing.  Run it on an otherwise idle core; a table
 * of 4096 entries fits in L2 and shows the hash's share.
 *
 * usage: tcpterm-tbl-bench [max_entries [lookups]]
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "tt_conn_tbl.h"

enum { TBL_BENCH_RUNS = 5, TBL_BENCH_BURST = 32 };

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Peers anywhere, towards one of 16 local addresses on port 80 or 443. */
static struct tt_flow4 random_flow(uint64_t *rng)
{
	uint64_t r = splitmix64(rng);
	struct tt_flow4 f = {
	    .saddr = (uint32_t)r,
	    .daddr = 0xc6120000u + (uint32_t)(r >> 32 & 15),
	    .sport = (uint16_t)(r >> 40),
	    .dport = r >> 63 ? 443 : 80,
	};

	return f;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Zero, but the compiler cannot know it: indexing with (value & zero) chains lookups. */
static volatile uint32_t zero;

/* One lookup after the other; returns the sum of the values. */
static uint32_t lookup_single(const struct tt_conn_tbl *t, const struct tt_flow4 *q, uint32_t n,
			      bool serial)
{
	uint32_t z = zero, sum = 0, v = 0;

	for (uint32_t i = 0; i < n; i++) {
		v = tt_conn_tbl_lookup(t, &q[serial ? i + (v & z) : i]);
		sum += v;
	}
	return sum;
}

/* The same in bursts of TBL_BENCH_BURST (n a multiple of it). */
static uint32_t lookup_bulk(const struct tt_conn_tbl *t, const struct tt_flow4 *q, uint32_t n,
			    bool serial)
{
	uint32_t z = zero, sum = 0, v = 0, hashes[TBL_BENCH_BURST], values[TBL_BENCH_BURST];

	for (uint32_t i = 0; i < n; i += TBL_BENCH_BURST) {
		const struct tt_flow4 *b = &q[serial ? i + (v & z) : i];

		tt_conn_tbl_hash_bulk(t, b, TBL_BENCH_BURST, hashes);
		tt_conn_tbl_lookup_bulk(t, b, hashes, TBL_BENCH_BURST, values);
		for (unsigned j = 0; j < TBL_BENCH_BURST; j++)
			sum += values[j];
		v = values[TBL_BENCH_BURST - 1];
	}
	return sum;
}

/*
 * Best ns per lookup over the runs; the values are summed so that no lookup
 * is optimised away.
 */
static double time_lookups(const struct tt_conn_tbl *t, const struct tt_flow4 *q, uint32_t n,
			   bool serial, bool bulk)
{
	double best = 0;

	for (int run = 0; run < TBL_BENCH_RUNS; run++) {
		volatile uint32_t sink;
		double t0 = now_ns(), ns;

		sink = bulk ? lookup_bulk(t, q, n, serial) : lookup_single(t, q, n, serial);
		ns = (now_ns() - t0) / n;
		(void)sink;
		if (run == 0 || ns < best)
			best = ns;
	}
	return best;
}

int main(int argc, char **argv)
{
	uint32_t max = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1u << 20;
	uint32_t n = (argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 1u << 22) / TBL_BENCH_BURST *
		     TBL_BENCH_BURST;
	struct tt_flow4 *keys = malloc((size_t)max * sizeof(*keys));
	struct tt_flow4 *q = malloc((size_t)n * sizeof(*q));
	struct tt_siphash_key key;
	struct tt_conn_tbl *t;
	uint64_t rng = 1;
	uint32_t stored = 0;
	double hit, hit_serial, bulk, bulk_serial, miss;

	if (getrandom(&key, sizeof(key), 0) != sizeof(key) || keys == NULL || q == NULL || n == 0) {
		perror("tcpterm-tbl-bench");
		return 1;
	}
	/* Value i names keys[i], as a pool index names a TCB. */
	const struct tt_conn_tbl_keys layout = tt_conn_tbl_keys_array(keys, UINT32_MAX);

	t = tt_conn_tbl_create(max, &key, &layout);
	if (t == NULL) {
		perror("tcpterm-tbl-bench: table");
		return 1;
	}
	for (uint32_t i = 0; i < max; i++) {
		keys[i] = random_flow(&rng);
		/* A repeated tuple (-EEXIST) is only not counted. */
		stored += tt_conn_tbl_insert(t, &keys[i], i) == 0;
	}
	for (uint32_t i = 0; i < n; i++)
		q[i] = keys[splitmix64(&rng) % max];
	hit = time_lookups(t, q, n, false, false);
	hit_serial = time_lookups(t, q, n, true, false);
	bulk = time_lookups(t, q, n, false, true);
	bulk_serial = time_lookups(t, q, n, true, true);
	/* Another port: a tuple no stored one can equal. */
	for (uint32_t i = 0; i < n; i++) {
		q[i] = random_flow(&rng);
		q[i].dport = 8080;
	}
	miss = time_lookups(t, q, n, false, false);
	printf("%" PRIu32 " entries in %" PRIu64 " slots (%" PRIu64 " MiB), longest probe %" PRIu32
	       "\n",
	       stored, tt_conn_tbl_bytes(t) / 8, tt_conn_tbl_bytes(t) >> 20,
	       tt_conn_tbl_max_probe(t));
	printf("hit:         %6.1f ns/lookup  %6.1f M/s\n", hit, 1e3 / hit);
	printf("miss:        %6.1f ns/lookup  %6.1f M/s\n", miss, 1e3 / miss);
	printf("hit, serial: %6.1f ns/lookup  %6.1f M/s\n", hit_serial, 1e3 / hit_serial);
	printf("hit, bulk %d: %6.1f ns/lookup  %6.1f M/s\n", TBL_BENCH_BURST, bulk, 1e3 / bulk);
	printf("hit, bulk %d, bursts serial: %6.1f ns/lookup  %6.1f M/s\n", TBL_BENCH_BURST,
	       bulk_serial, 1e3 / bulk_serial);
	tt_conn_tbl_free(t);
	free(keys);
	free(q);
	return 0;
}
