/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_TEST_SPLITMIX_H
#define TT_TEST_SPLITMIX_H

/*
 * The unit tests' pseudo-random numbers: splitmix64 (Steele, Lea and Flood), one 64-bit state
 * per stream.  A fixed seed makes every failure replayable.
 */
#include <stdint.h>

static inline uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

#endif
