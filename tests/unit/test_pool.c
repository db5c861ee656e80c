/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_pool against a bitmap of handed-out indices: bad sizes refused, every
 * object handed out once until the pool is empty, indices and addresses
 * converted both ways, and random get/put; a pool of 2 MiB or more on huge
 * pages (tt_mem.h) where the kernel's THP mode allows them, and a pool on a
 * node with every page in memory from its creation (tt_mem_populate, whose
 * range is checked at a page's edges and at 0 bytes).
 */
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tt_mem.h"
#include "tt_pool.h"

#include "flow_harness.h"

enum { HUGE_PAGE = 2u << 20 };

/* Whether the kernel gives huge pages to a region that asks (THP "always" or "madvise"). */
static bool thp_on_advice(void)
{
	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (f == NULL)
		return false;
	if (fgets(mode, sizeof(mode), f) == NULL)
		mode[0] = 0;
	fclose(f);
	return strstr(mode, "[always]") != NULL || strstr(mode, "[madvise]") != NULL;
}

/* The kB of huge pages /proc/self/smaps shows in the mapping that holds p. */
static unsigned long huge_kb_at(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	bool in = false;
	unsigned long kb = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* How many 4 KiB pages of [p, p + bytes) are in memory (mincore(2)); p page-aligned. */
static size_t resident_pages(void *p, size_t bytes)
{
	size_t n = bytes / 4096, in = 0;
	unsigned char *v = malloc(n);

	assert_non_null(v);
	assert_int_equal(mincore(p, bytes, v), 0);
	for (size_t i = 0; i < n; i++)
		in += v[i] & 1;
	free(v);
	return in;
}

/* A pool below one huge page keeps 64-byte alignment; one of 4 MiB starts on a huge page, is in
 * memory from its creation on (before any object is taken: no page fault on the data path), and
 * is held in huge pages where the THP mode allows them. */
static void test_pool_huge_pages(void **state)
{
	struct tt_pool *small, *big;
	uint8_t *objs;

	(void)state;
	/* glibc's perturbation (meson test sets MALLOC_PERTURB_) writes fresh memory before tt_mem
	 * advises it, and pages written before the advice are small ones. */
	mallopt(M_PERTURB, 0);
	small = tt_pool_create_on_node(1000, 64, 0);
	big = tt_pool_create_on_node(32768, 128, 0);
	assert_non_null(small);
	assert_non_null(big);
	assert_int_equal((uintptr_t)tt_pool_at(small, 0) % 64, 0);
	objs = tt_pool_at(big, 0);
	assert_int_equal((uintptr_t)objs % HUGE_PAGE, 0);
	assert_int_equal(resident_pages(objs, (size_t)32768 * 128), (size_t)32768 * 128 / 4096);
	memset(objs, 1, (size_t)32768 * 128);
	if (thp_on_advice())
		assert_true(huge_kb_at(objs) >= HUGE_PAGE / 1024);
	tt_pool_free(small);
	tt_pool_free(big);
}

/* tt_mem_populate takes every page its range meets, and no other: a range from 96 bytes before
 * the end of one fresh page to 104 bytes into the next, then one exactly a page long. */
static void test_mem_populate_bounds(void **state)
{
	uint8_t *m =
	    mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char v[4];

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_int_equal(mincore(m, 4 * 4096, v), 0);
	assert_int_equal((v[0] | v[1] | v[2] | v[3]) & 1, 0);
	tt_mem_populate(m + 4000, 200);
	assert_int_equal(mincore(m, 4 * 4096, v), 0);
	assert_int_equal(v[0] & 1, 1);
	assert_int_equal(v[1] & 1, 1);
	assert_int_equal(v[2] & 1, 0);
	tt_mem_populate(m + 3 * 4096, 4096);
	tt_mem_populate(m + 2 * 4096, 0);
	assert_int_equal(mincore(m, 4 * 4096, v), 0);
	assert_int_equal(v[2] & 1, 0);
	assert_int_equal(v[3] & 1, 1);
	munmap(m, 4 * 4096);
}

static void test_pool_create(void **state)
{
	(void)state;

	errno = 0;
	assert_null(tt_pool_create(0, 64));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(tt_pool_create(8, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(tt_pool_create(TT_POOL_NONE, 8));
	assert_int_equal(errno, EINVAL);
	tt_pool_free(NULL);
}

static const struct {
	uint32_t capacity, elt_size;
} pool_cases[] = {{1, 1}, {7, 24}, {100, 64}, {33, 192}, {1000, 8}, {17, 128}};

/* Take everything, check the objects are distinct and sized, give it back. */
static void pool_drain(struct tt_pool *p, uint32_t cap, uint32_t size, uint32_t *idx)
{
	for (uint32_t i = 0; i < cap; i++) {
		idx[i] = tt_pool_get(p);
		assert_true(idx[i] < cap);
		assert_int_equal(tt_pool_in_use(p), i + 1);
		uint8_t *o = tt_pool_at(p, idx[i]);

		assert_int_equal(tt_pool_index(p, o), idx[i]);
		if (size % 64 == 0)
			assert_int_equal((uintptr_t)o % 64, 0);
		/* Writing the whole object must not disturb any other one. */
		memset(o, (int)(idx[i] & 0xff), size);
	}
	for (uint32_t i = 0; i < cap; i++) {
		const uint8_t *o = tt_pool_at(p, i);

		for (uint32_t b = 0; b < size; b++)
			assert_int_equal(o[b], i & 0xff);
	}
	assert_int_equal(tt_pool_get(p), TT_POOL_NONE);
	assert_int_equal(tt_pool_get(p), TT_POOL_NONE);
	assert_int_equal(tt_pool_in_use(p), cap);
}

static void test_pool_exhaust(void **state)
{
	(void)state;

	for (size_t c = 0; c < ARRAY_LEN(pool_cases); c++) {
		uint32_t cap = pool_cases[c].capacity, size = pool_cases[c].elt_size;
		struct tt_pool *p = tt_pool_create(cap, size);
		uint32_t *idx = malloc(cap * sizeof(*idx));
		bool *seen = calloc(cap, sizeof(*seen));

		assert_non_null(p);
		assert_non_null(idx);
		assert_non_null(seen);
		assert_int_equal(tt_pool_in_use(p), 0);
		pool_drain(p, cap, size, idx);
		for (uint32_t i = 0; i < cap; i++) {
			assert_false(seen[idx[i]]);
			seen[idx[i]] = true;
		}
		/* With one object free, get must return exactly that one. */
		tt_pool_put(p, idx[cap / 2]);
		assert_int_equal(tt_pool_in_use(p), cap - 1);
		assert_int_equal(tt_pool_get(p), idx[cap / 2]);
		assert_int_equal(tt_pool_get(p), TT_POOL_NONE);
		for (uint32_t i = 0; i < cap; i++)
			tt_pool_put(p, idx[i]);
		assert_int_equal(tt_pool_in_use(p), 0);
		/* A refilled pool hands the same set out again. */
		pool_drain(p, cap, size, idx);
		tt_pool_free(p);
		free(idx);
		free(seen);
	}
}

static void test_pool_index_roundtrip(void **state)
{
	(void)state;

	for (size_t c = 0; c < ARRAY_LEN(pool_cases); c++) {
		uint32_t cap = pool_cases[c].capacity, size = pool_cases[c].elt_size;
		struct tt_pool *p = tt_pool_create(cap, size);
		const uint8_t *base;

		assert_non_null(p);
		base = tt_pool_at(p, 0);
		for (uint32_t i = 0; i < cap; i++) {
			const uint8_t *o = tt_pool_at(p, i);

			assert_ptr_equal(o, base + (size_t)i * size);
			assert_ptr_equal(tt_pool_at_sized(p, i, size), o);
			assert_int_equal(tt_pool_index(p, o), i);
			if (size % 64 == 0)
				assert_int_equal((uintptr_t)o % 64, 0);
		}
		tt_pool_free(p);
	}
}

/* Random get/put against a bitmap: nothing is handed out twice. */
static void test_pool_churn(void **state)
{
	enum { CAP = 257, OPS = 100000 };
	struct tt_pool *p = tt_pool_create(CAP, 64);
	uint32_t held[CAP], n_held = 0;
	bool out[CAP] = {false};
	uint64_t rng = 5;
	(void)state;

	assert_non_null(p);
	for (uint32_t op = 0; op < OPS; op++) {
		bool get = splitmix64(&rng) % 100 < ((op / 2000) % 2 ? 70 : 30);

		if (get) {
			uint32_t i = tt_pool_get(p);

			if (n_held == CAP) {
				assert_int_equal(i, TT_POOL_NONE);
				continue;
			}
			assert_true(i < CAP);
			assert_false(out[i]);
			out[i] = true;
			held[n_held++] = i;
		} else if (n_held) {
			uint32_t k = (uint32_t)(splitmix64(&rng) % n_held), i = held[k];

			held[k] = held[--n_held];
			out[i] = false;
			tt_pool_put(p, i);
		}
		assert_int_equal(tt_pool_in_use(p), n_held);
	}
	tt_pool_free(p);
}

#ifdef TT_POOL_CHECKED
enum misuse { PUT_TWICE, PUT_NEVER_TAKEN, PUT_OUTSIDE, PUT_AFTER_REUSE };

/* Runs one misuse of a pool of 65 in a child: whether it stopped there with SIGABRT. */
static bool misuse_aborts(enum misuse m)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct tt_pool *p = tt_pool_create(65, 64);
		uint32_t a = tt_pool_get(p), b = tt_pool_get(p);

		(void)freopen("/dev/null", "w", stderr);
		switch (m) {
		case PUT_TWICE:
			tt_pool_put(p, b);
			tt_pool_put(p, b);
			break;
		case PUT_NEVER_TAKEN:
			tt_pool_put(p, 64); /* the last index: the bitmap's second word */
			break;
		case PUT_OUTSIDE:
			tt_pool_put(p, 65);
			break;
		case PUT_AFTER_REUSE:
			/* a goes back and out again to a new owner; the old owner's put is the
			 * second put of one hand-out. */
			tt_pool_put(p, a);
			assert_int_equal(tt_pool_get(p), a);
			tt_pool_put(p, a);
			tt_pool_put(p, a);
			break;
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}
#endif

/* The checked build (sanitizers, fuzzers) stops at a put that breaks an index's ownership, and
 * lets the legitimate sequence before it through (the churn above, in that build, too). */
static void test_pool_ownership_checked(void **state)
{
	(void)state;
#ifdef TT_POOL_CHECKED
	assert_true(misuse_aborts(PUT_TWICE));
	assert_true(misuse_aborts(PUT_NEVER_TAKEN));
	assert_true(misuse_aborts(PUT_OUTSIDE));
	assert_true(misuse_aborts(PUT_AFTER_REUSE));
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pool_create),
	    cmocka_unit_test(test_pool_exhaust),
	    cmocka_unit_test(test_pool_index_roundtrip),
	    cmocka_unit_test(test_pool_churn),
	    cmocka_unit_test(test_pool_huge_pages),
	    cmocka_unit_test(test_mem_populate_bounds),
	    cmocka_unit_test(test_pool_ownership_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
