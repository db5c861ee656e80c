/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_siphash: SipHash-1-3 against the reference implementation's outputs,
 * the 4-tuple form the connection table hashes with against it, and the
 * four-lane form of tt_siphash_x4.h against the scalar one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tt_flow4.h"
#include "tt_siphash.h"
#include "tt_siphash_x4.h"

#include "flow_harness.h"

/* SipHash-1-3 against the reference's outputs, and the table's 4-tuple form against it. */
static void test_siphash13(void **state)
{
	/* The reference implementation (github.com/veorq/SipHash) built with cROUNDS 1, dROUNDS 3,
	 * key all zero: the empty message and "siphash". */
	const struct tt_siphash_key zero = {0, 0};
	uint64_t rng = 11;
	(void)state;

	assert_int_equal(tt_siphash13(&zero, "", 0), UINT64_C(0xd1fba762150c532c));
	assert_int_equal(tt_siphash13(&zero, "siphash", 7), UINT64_C(0x8264ceeccb16bcbe));
	for (int i = 0; i < 1000; i++) {
		struct tt_siphash_key k = table_key(splitmix64(&rng));
		struct tt_flow4 f = random_flow(&rng);
		uint8_t packed[TT_FLOW4_PACKED_LEN];

		tt_flow4_pack(&f, packed);
		assert_int_equal(tt_siphash13_flow4(&k, &f),
				 tt_siphash13(&k, packed, sizeof(packed)));
		assert_int_not_equal(tt_siphash13_flow4(&k, &f),
				     tt_siphash(&k, packed, sizeof(packed)));
	}
}

/*
 * Four lanes at once give each flow's scalar hash, in order: every count from 0 to 13 (the
 * whole groups of four hashed, the rest left to the caller and not written), flows whose
 * fields are all zero or all ones (the lanes' additions carry across every bit), random ones,
 * and a key per round.
 */
static void test_siphash13_flow4_x4(void **state)
{
	enum { N = 13 };
	struct tt_flow4 flows[N];
	uint32_t hashes[N + 1];
	uint64_t rng = 12;
	(void)state;

	/* Every machine this runs on has AVX2; one without it only runs the scalar form. */
	if (!tt_siphash_x4_supported())
		skip();
	for (int round = 0; round < 200; round++) {
		struct tt_siphash_key k = table_key(splitmix64(&rng));

		if (round < 2)
			k.k0 = k.k1 = round == 0 ? 0 : UINT64_MAX;

		for (unsigned i = 0; i < N; i++) {
			flows[i] = random_flow(&rng);
			if (round < 2 || i % 5 == 0)
				flows[i] = (struct tt_flow4){0, 0, 0, 0};
			if (i % 5 == 1)
				flows[i] = (struct tt_flow4){UINT32_MAX, UINT32_MAX, UINT16_MAX,
							     UINT16_MAX};
		}
		for (unsigned n = 0; n <= N; n++) {
			const uint32_t canary = (uint32_t)splitmix64(&rng);
			unsigned done;

			for (unsigned i = 0; i <= N; i++)
				hashes[i] = canary;
			done = tt_siphash13_flow4_x4(&k, flows, n, hashes);
			assert_int_equal(done, n / 4 * 4);
			for (unsigned i = 0; i < done; i++)
				assert_int_equal(hashes[i],
						 (uint32_t)tt_siphash13_flow4(&k, &flows[i]));
			for (unsigned i = done; i <= N; i++)
				assert_int_equal(hashes[i], canary);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_siphash13),
	    cmocka_unit_test(test_siphash13_flow4_x4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
