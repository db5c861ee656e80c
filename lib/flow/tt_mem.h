/*
 * tt_mem: a worker's large arrays (the connection table's slots, the TCB pool, the TIME-WAIT
 * ring) on transparent huge pages where the kernel gives them (THP "madvise" or "always"), their
 * pages from the worker's NUMA node.
 *
 * A lookup or a segment lands on a random entry of tens or hundreds of MiB; on 4 KiB pages
 * nearly every such access is a TLB miss as well as a cache miss.  An array below one huge page
 * keeps 64-byte alignment and wastes nothing; a larger one is rounded up to whole huge pages
 * (under 2 MiB more), advised as huge and bound to prefer the node (mbind(2) MPOL_PREFERRED)
 * before anything touches it.  Both are advice, as madvise is: where the kernel refuses them the
 * memory still works, on 4 KiB pages or from another node.  tt_mem_alloc touches no page: a
 * page comes from the node when it is first written.  The memory comes from the C library fresh,
 * untouched, as glibc gives a large block; its MALLOC_PERTURB_ writes it first, and pages
 * written before the advice stay small.
 *
 * A page first written on the data path stalls the worker while the kernel finds and clears it:
 * on this machine's VM 3.6 ms a huge page (4.6 ms at most, 11 us a 4 KiB page), which at a few
 * hundred thousand frames a second fills a 1,024-frame RX ring.  The TCB pool, which the worker
 * draws on as its connections grow, is therefore written at creation (tt_mem_populate); the
 * table clears its slots at once anyway.  The cost moves to start-up: 1.8 ms a MiB here, 0.2 s
 * for the TCB pool of 1,048,576 connections.  The TIME-WAIT ring is not: it is sized for as many
 * entries as connections, which few loads reach (10 M connections held: 2,007 MiB with the ring
 * written at creation too, 1,533 with the pool alone), and its first pass is a transient.
 *
 * Measured (tcpterm-trace --keepalive CONNS 4194304, natively, 3 runs each alternated with the
 * TCB pool and the TIME-WAIT ring on 4 KiB pages, the table on huge pages both ways): 470 against
 * 517 stack cycles per request over 262,144 connections, 658 against 842 over 1,048,576.
 *
 * Called at creation only, never on the data path.
 */
#ifndef TT_MEM_H
#define TT_MEM_H

#include <stdint.h>

/* At least *bytes, 64-byte aligned; *bytes becomes the size taken.  node < 0: any node.  NULL on
 * failure; free() gives it back. */
void *tt_mem_alloc(uint64_t *bytes, int node);

/* Writes a zero byte into every 4 KiB page that [p, p + bytes) meets, so that each is taken now
 * (from the node tt_mem_alloc preferred) and none on the data path; the bytes written are the
 * only ones changed. */
void tt_mem_populate(void *p, uint64_t bytes);

#endif
