/*
 * What the worker tests (test_worker_tx, test_worker_news) share: EAL without hugepages or
 * PCI, and a worker's parameters on one port with fixed keys and the test's configuration.
 */
#ifndef TT_TEST_WORKER_HARNESS_H
#define TT_TEST_WORKER_HARNESS_H

#include <stdio.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>

#include "tt_app.h"
#include "tt_worker.h"

/* EAL for test name: 256 MiB without hugepages, no PCI, lcore 0, a file prefix of its own. */
static inline int worker_harness_eal(const char *name)
{
	char prefix[96], argv0[64];
	char *argv[] = {argv0,	       "--no-huge",	    "-m", "256", "--no-pci",
			"--no-shconf", "--log-level=error", "-l", "0",	 prefix};

	snprintf(argv0, sizeof(argv0), "%s", name);
	snprintf(prefix, sizeof(prefix), "--file-prefix=tt-%s-%d", name, (int)getpid());
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv);
}

/* The parameters of worker id on queue id of *port, its frames from pool, serving conf's
 * listeners, its clock starting now. */
static inline void worker_harness_params(struct tt_worker_params *pp, unsigned id,
					 const struct tt_port *port, struct rte_mempool *pool,
					 const struct tt_conf *conf, const uint8_t *listen_app,
					 const void *app_data)
{
	struct tt_worker_params p = {0};

	p.id = id;
	p.queue_id = (uint16_t)id;
	p.n_ports = 1;
	p.ports = port;
	p.pool = pool;
	p.conf = conf;
	p.listen_app = listen_app;
	p.app_data = app_data;
	p.numa_node = -1;
	tt_app_register(p.apps);
	p.table_key = (struct tt_siphash_key){.k0 = 1, .k1 = 2};
	p.neigh_key = (struct tt_siphash_key){.k0 = 7, .k1 = 8};
	p.isn_secret.key = (struct tt_siphash_key){.k0 = 3, .k1 = 4};
	p.cookie_secret.master = (struct tt_siphash_key){.k0 = 5, .k1 = 6};
	p.tsc_base = rte_rdtsc();
	p.tsc_hz = rte_get_tsc_hz();
	p.epoch_ms = 1000000;
	*pp = p;
}

/* That worker, made. */
static inline struct tt_worker *
worker_harness_create(unsigned id, const struct tt_port *port, struct rte_mempool *pool,
		      const struct tt_conf *conf, const uint8_t *listen_app, const void *app_data)
{
	struct tt_worker_params p;

	worker_harness_params(&p, id, port, pool, conf, listen_app, app_data);
	return tt_worker_create(&p);
}

/* A segment of a's header and data_len bytes of data, its checksums complete, in a buffer of
 * pool: IPv4, or IPv6 from src6 to dst6 when src6 is not NULL. */
static inline struct rte_mbuf *worker_harness_segment_data(struct rte_mempool *pool,
							   const struct tt_tcp_hdr_args *a,
							   const uint8_t *src6, const uint8_t *dst6,
							   const void *data, uint32_t data_len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *f;
	uint32_t len;

	if (m == NULL)
		return NULL;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	len = src6 != NULL ? tt_net_tcp6_build(f, a, src6, dst6, data_len)
			   : tt_net_tcp_build(f, a, data_len);
	if (data_len > 0)
		memcpy(f + len, data, data_len);
	if (src6 != NULL)
		tt_net_tcp6_cksum(f);
	else
		tt_net_tcp_cksum(f, 0);
	m->data_len = (uint16_t)(len + data_len);
	m->pkt_len = len + data_len;
	return m;
}

/* The same with no payload. */
static inline struct rte_mbuf *worker_harness_segment(struct rte_mempool *pool,
						      const struct tt_tcp_hdr_args *a,
						      const uint8_t *src6, const uint8_t *dst6)
{
	return worker_harness_segment_data(pool, a, src6, dst6, NULL, 0);
}

#endif
