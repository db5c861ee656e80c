/* Large per-worker arrays on huge pages from the worker's node; see tt_mem.h. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/mempolicy.h>

#include "tt_mem.h"

#define HUGE_PAGE (2u << 20)
#define SMALL_PAGE 4096u

/* Pages of [p, p + bytes) not yet touched come from node when it has free memory. */
static void prefer_node(void *p, uint64_t bytes, int node)
{
	unsigned long mask[4] = {0};
	const unsigned long bits = 8 * sizeof(mask[0]);

	if (node < 0 || (unsigned)node >= 8 * sizeof(mask))
		return;
	mask[(unsigned)node / bits] = 1ul << ((unsigned)node % bits);
	(void)syscall(SYS_mbind, p, bytes, MPOL_PREFERRED, mask, 8 * sizeof(mask), 0);
}

void *tt_mem_alloc(uint64_t *bytes, int node)
{
	void *p;

	if (*bytes < HUGE_PAGE) {
		*bytes = (*bytes + 63) & ~(uint64_t)63;
		return aligned_alloc(64, *bytes);
	}
	*bytes = (*bytes + HUGE_PAGE - 1) & ~(uint64_t)(HUGE_PAGE - 1);
	p = aligned_alloc(HUGE_PAGE, *bytes);
	if (p != NULL) {
		(void)madvise(p, *bytes, MADV_HUGEPAGE); /* advice: 4 KiB pages still work */
		prefer_node(p, *bytes, node);
	}
	return p;
}

void tt_mem_populate(void *p, uint64_t bytes)
{
	volatile uint8_t *b = p;

	/* Steps of a page from p meet every page up to the last, which p + bytes - 1 is on. */
	for (uint64_t off = 0; off < bytes; off += SMALL_PAGE)
		b[off] = 0;
	if (bytes > 0)
		b[bytes - 1] = 0;
}
