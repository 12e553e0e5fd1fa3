/*
 * Copyright (c) 2026 The libvudb developers.  ISC licence: see LICENSE.
 *
 * bench.h - what the benchmark programs share: a monotonic clock in
 * seconds and a fast pseudo-random index (xorshift64*), the same sequence
 * for the same seed, so that compared runs look up the same keys.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <time.h>

/* bench_now - seconds on the monotonic clock (0 if it fails) */
static inline double
bench_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench_pick - an index in [0, n), advancing *state */
static inline unsigned long
bench_pick(uint64_t *state, unsigned long n)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return (unsigned long)((((*state * 0x2545f4914f6cdd1dULL) >> 32) *
	    n) >> 32);
}

#endif /* BENCH_H */
