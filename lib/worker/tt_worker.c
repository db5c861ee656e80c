/* The per-lcore data path; see tt_worker.h. */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#if defined(RTE_ARCH_X86)
#include <cpuid.h>
#endif

#include "tt_worker.h"

/*
 * Received mbufs are given back one at a time, as soon as the stack is done with each, and the
 * frame built next (the reply) gets the mbuf given back last, still in this core's cache; the
 * RX ring is refilled with the others.  That mbuf does not go through the pool: the running loop
 * keeps it in w->recycled (mbuf_release) and frame_alloc takes it from there, reset, so a reply
 * costs neither the pool's put and get nor the free's checks, which read the mbuf's second line.
 * Alternated with the pool's round trip inside runs (bench/alternate.py, two builds, three runs
 * each): 525-1,126 busy cycles per request against 565-1,205, 3-13% fewer in each of six rps
 * runs; 3-8% fewer per connection in four cps runs; SYN cookies 0-8% fewer.  Freeing a burst's
 * mbufs together at its end (rte_pktmbuf_free_bulk) and taking frames from a stash refilled 32 at a
 * time both break that reuse, and measured slower (bench/run.sh, cps and rps).
 *
 * So each received frame's buffer is where a reply will be written, and its first lines are
 * prefetched for writing (tt_worker_rx_burst): as many as the last frame sent covered
 * (w->write_lines), at least RX_WRITE_LINES and at most RX_WRITE_LINES_MAX; two for a frame too
 * short to hold a request (RX_CONTROL_FRAME_MAX).  The headers' lines when the burst arrives,
 * the rest once it is parsed (RX_HEADER_LINES).
 * A line of the buffer that the port's other side (another core, a NIC) last read rather than
 * wrote, such as the tail of an earlier reply beyond the short request now in the buffer, is
 * shared with it; a store into a shared line waits for the other copy to be invalidated, stores
 * leave the core in order, and the ones behind it, down to the next function's push, wait too.
 * Prefetched for writing, the line is taken exclusive while the burst is parsed.  On the bench
 * link (bench/README.md, the ways alternated every 0.5 s inside each run), a keep-alive request
 * of the rps scenario (a 219-byte reply, four lines) took 524 and 563 busy cycles against 727
 * and 772 with the two read prefetches of before; four lines read, or two or three for writing,
 * took 714-811: the reply's last two lines are the ones that wait.  A short connection took 3-12%
 * fewer (five cps runs: 1,493-1,867 against 1,539-2,126), a SYN cookie (a reply of two lines) the
 * same.  With a 1 KiB body (replies of 18 lines), as many lines as the last frame against four:
 * 1,426 and 1,427 against 1,476 and 1,493 per request; full segments (1 MiB responses, 24 lines
 * against four) cost the same per byte.
 *
 * On a port whose driver pushes a header of its own in front of a sent frame (virtio's net
 * header, tt_port.tx_header_in_headroom), the line before the data is written too, and the
 * driver's send call reads it first: in the cps profile on virtio-user that read took 7% of the
 * worker's samples, under 0.3% with the line prefetched for writing beside the reply's.
 * Alternated inside runs (bench/README.md): per keep-alive request 2.2-4.3% fewer busy cycles in
 * four runs, per connection 2-7% fewer in two with the server closing, and with the client
 * closing 0.3-1.8% fewer in three of four (1.1% more in the other).
 */
#define RX_WRITE_LINES	   4u
#define RX_WRITE_LINES_MAX 24u /* a full 1,500-byte frame */

/*
 * A frame no longer than a SYN with the usual 20 bytes of options carries no request (a GET is
 * at least 18 bytes beside the 12 of timestamps): what answers it, if anything (SYN-ACK, ACK,
 * FIN, RST), is at most two lines, so only those are prefetched for writing.  Alternated inside
 * runs (bench/README.md): 1.5-7% fewer busy cycles per SYN cookie in each of five runs on
 * virtio-user and memif, per connection and per request within 2% either way.
 */
#define RX_CONTROL_FRAME_MAX   (TT_ETH_HDR_LEN + TT_IP4_HDR_LEN + TT_TCP_HDR_LEN + 20)
#define RX_CONTROL_WRITE_LINES 2u

/*
 * The lines the parse reads (the headers) are prefetched when the burst arrives; a longer
 * reply's further lines only once the burst is parsed, so that they do not hold the miss slots
 * the parse's lines and then the table slots' prefetches (tt_stack_input_burst) wait for: in the
 * memif cps profile two thirds of the table hash's samples sat just after its prefetch.
 * Alternated inside runs (bench/README.md): on memif 434 and 438 busy cycles per request
 * against 510 and 512, 1,273 and 1,291 per connection against 1,328 and 1,349; on virtio-user
 * 1-2% fewer per request, 0.5-1% per connection, SYN cookies the same.
 */
#define RX_HEADER_LINES 2u

/* How many lines of the received m's buffer a reply built in it is likely to write. */
static inline unsigned reply_lines(const struct tt_worker *w, const struct rte_mbuf *m)
{
	return rte_pktmbuf_data_len(m) <= RX_CONTROL_FRAME_MAX ? RX_CONTROL_WRITE_LINES
							       : w->write_lines;
}

/* PREFETCHW (CPUID 8000_0001h ECX bit 8): most x86 CPUs since 2014 have it. */
static bool cpu_has_prefetchw(void)
{
#if defined(RTE_ARCH_X86)
	unsigned a, b, c, d;

	return __get_cpuid(0x80000001, &a, &b, &c, &d) && (c & bit_PRFCHW);
#else
	return false;
#endif
}

/* The line at p into this core's cache, exclusive where the CPU can (else shared). */
static inline void prefetch_for_write(const struct tt_worker *w, const void *p)
{
#if defined(RTE_ARCH_X86)
	if (likely(w->prefetchw)) {
		asm volatile("prefetchw %0" : : "m"(*(const char *)p));
		return;
	}
#endif
	rte_prefetch0(p);
}

/* A buffer nothing else references (one segment, direct, the last reference) is kept for the
 * next frame_alloc while the loop runs and its slot is free; any other goes back to its pool,
 * and so does every one given back outside the loop (teardown on the main lcore). */
static void mbuf_release(void *arg, void *owner)
{
	struct rte_mbuf *m = owner;
	struct tt_worker *w = arg;

	if (w->looping && w->recycled == NULL && m->nb_segs == 1 && RTE_MBUF_DIRECT(m) &&
	    rte_mbuf_refcnt_read(m) == 1) {
		w->recycled = m;
		return;
	}
	rte_pktmbuf_free(m);
}

/* The kept buffer back to its pool (an idle or stopping loop). */
static void recycled_free(struct tt_worker *w)
{
	if (w->recycled != NULL) {
		rte_pktmbuf_free(w->recycled);
		w->recycled = NULL;
	}
}

static void mbuf_retain(void *arg, void *owner)
{
	(void)arg;
	rte_mbuf_refcnt_update(owner, 1);
}

/* The worker's clock at TSC value tsc: a multiply for the loop's every iteration, not a
 * 64-bit division (tens of cycles, a fifth of the loop's own samples). */
static inline uint64_t ms_at(const struct tt_worker *w, uint64_t tsc)
{
	return w->epoch_ms + rte_reciprocal_divide_u64(tsc - w->tsc_base, &w->tsc_per_ms);
}

/* The microseconds into the millisecond ms_at(w, tsc) gave (ms), 0..999: the ISNs' finer clock
 * (tt_stack_set_clock).  From the TSC ticks past that millisecond's start, so that it stays in
 * step with ms however long the worker runs (a clock of its own, from TSC Hz / 10^6 rounded,
 * would drift from it by a millisecond every few minutes). */
static inline uint32_t us_part_at(const struct tt_worker *w, uint64_t tsc, uint64_t ms)
{
	uint64_t into = tsc - w->tsc_base, start = (ms - w->epoch_ms) * w->tsc_ms_ticks;

	if (into <= start)
		return 0;
	return (uint32_t)RTE_MIN(rte_reciprocal_divide_u64((into - start) * 1000, &w->tsc_per_ms),
				 UINT64_C(999));
}

static uint64_t now_ms(const struct tt_worker *w)
{
	return ms_at(w, rte_rdtsc());
}

static void *frame_alloc(void *arg, uint8_t **data, uint32_t *room)
{
	struct tt_worker *w = arg;
	struct rte_mbuf *m = w->recycled;

	if (m != NULL) {
		w->recycled = NULL;
		rte_pktmbuf_reset(m); /* as the pool's alloc leaves it */
	} else {
		m = rte_pktmbuf_alloc(w->pool);
		/* The store ran out within an iteration: parked buffers are free ones. */
		if (unlikely(m == NULL) && tt_spares_release(&w->spares, TT_SPARES_STEP) > 0)
			m = rte_pktmbuf_alloc(w->pool);
		if (unlikely(m == NULL))
			return NULL;
	}
	*data = rte_pktmbuf_mtod(m, uint8_t *);
	*room = rte_pktmbuf_tailroom(m);
	return m;
}

static void frame_free(void *arg, void *frame)
{
	(void)arg;
	rte_pktmbuf_free(frame);
}

static void frame_send(void *arg, unsigned port, void *frame, uint32_t len);

/*
 * What the pool must keep free whatever connections hold: every RX ring
 * refilled, every TX ring and batch full, and the mempool cache plus the
 * frames one loop iteration builds before its flush.
 */
static uint32_t held_budget(const struct tt_worker_params *p)
{
	/* Frames waiting for a next hop hold mbufs too. */
	uint64_t reserve = TT_HELD_MARGIN_MBUFS + (uint64_t)p->conf->neigh.queue_per_worker;

	for (unsigned i = 0; i < p->n_ports; i++)
		reserve +=
		    (uint64_t)p->conf->ports[i].rx_desc + p->conf->ports[i].tx_desc + TT_TX_BATCH;
	return p->pool->size > reserve ? (uint32_t)(p->pool->size - reserve) : 0;
}

static_assert((unsigned)TT_STACK_MAX_IFS <= (unsigned)TT_NET_MAX_LOCALS,
	      "every interface's addresses fit tt_worker.locals");

/* One interface (port i untagged when v is NULL, else its VLAN v) in the worker, the stack's
 * parameters and the neighbour cache's interfaces. */
static void add_if(struct tt_worker *w, const struct tt_worker_params *p, unsigned i,
		   const struct tt_conf_vlan *v, struct tt_stack_params *sp,
		   struct tt_neigh_if *nif)
{
	const struct tt_conf_port *c = &p->conf->ports[i];
	const struct tt_conf_addrs *ip = v ? &v->ip : &c->ip;
	unsigned ifx = w->n_ifs++;
	struct tt_worker_if *wi = &w->ifs[ifx];

	wi->port = (uint8_t)i;
	wi->ifc.mac = p->ports[i].mac;
	wi->ifc.vlan = v ? v->id : 0;
	wi->ifc.addr = ip->addr;
	wi->ifc.addr_count = p->addr_count ? p->addr_count : 1;
	wi->ifc.bcast = tt_net_directed_bcast(ip->addr, ip->prefix_len);
	wi->ifc.n_addr6 = (uint8_t)ip->n_addr6;
	memcpy(wi->ifc.addr6, ip->addr6, sizeof(wi->ifc.addr6));
	sp->ports[ifx].mac = p->ports[i].mac;
	sp->ports[ifx].mtu = c->mtu;
	sp->ports[ifx].tx_cksum_offload = p->ports[i].tx_cksum_offload;
	sp->ports[ifx].reply_to_source_mac = c->reply_to_source_mac;
	nif[ifx] = (struct tt_neigh_if){.mac = p->ports[i].mac,
					.addr = ip->addr,
					.prefix_len = ip->prefix_len,
					.gateway = ip->gateway};
	nif[ifx].n_addr6 = wi->ifc.n_addr6;
	memcpy(nif[ifx].addr6, wi->ifc.addr6, sizeof(nif[ifx].addr6));
	memcpy(nif[ifx].prefix6_len, ip->prefix6_len, sizeof(nif[ifx].prefix6_len));
	memcpy(nif[ifx].gateway6.b, ip->gateway6, 16);
}

static void add_ports(struct tt_worker *w, const struct tt_worker_params *p,
		      struct tt_stack_params *sp, struct tt_neigh_if *nif)
{
	for (unsigned i = 0; i < p->n_ports; i++) {
		struct tt_worker_port *wp = &w->ports[i];

		wp->port_id = p->ports[i].port_id;
		wp->tx_cksum_offload = p->ports[i].tx_cksum_offload;
		wp->rx_cksum_offload = p->ports[i].rx_cksum_offload;
		wp->rx_vlan_strip = p->ports[i].rx_vlan_strip;
		wp->tx_vlan_insert = p->ports[i].tx_vlan_insert;
		wp->tx_flush_per_burst = p->ports[i].tx_flush_per_burst;
		wp->tx_header_in_headroom = p->ports[i].tx_header_in_headroom;
		wp->max_frame = p->conf->ports[i].mtu + TT_ETH_HDR_LEN;
		wp->tx_ol_flags = tt_port_tx_ol_flags(wp->tx_cksum_offload);
		add_if(w, p, i, NULL, sp, nif);
	}
	for (unsigned i = 0; i < p->n_ports; i++) {
		const struct tt_conf_port *c = &p->conf->ports[i];
		struct tt_worker_port *wp = &w->ports[i];

		for (unsigned v = 0; v < c->n_vlans; v++) {
			wp->vlan_id[v] = c->vlans[v].id;
			wp->vlan_ifx[v] = (uint8_t)w->n_ifs;
			add_if(w, p, i, &c->vlans[v], sp, nif);
		}
		wp->n_vlans = c->n_vlans;
	}
	sp->n_ports = w->n_ifs;
	/* Each interface refuses the others' addresses as sources too. */
	for (unsigned k = 0; k < w->n_ifs && w->n_ifs > 1; k++) {
		const struct tt_net_if *ifc = &w->ifs[k].ifc;

		tt_net_locals_add(&w->locals, ifc->addr, ifc->addr != 0 ? ifc->addr_count : 0,
				  ifc->addr6, ifc->n_addr6);
		w->ifs[k].ifc.locals = &w->locals;
	}
	tt_net_locals_sort(&w->locals);
}

static struct tt_neigh *neigh_create(struct tt_worker *w, const struct tt_worker_params *p,
				     const struct tt_neigh_if *nif)
{
	const struct tt_conf_neigh *c = &p->conf->neigh;
	struct tt_neigh_params np = {
	    .entries = c->entries,
	    .queue_per_entry = c->queue_per_entry,
	    .queue_per_worker = c->queue_per_worker,
	    .reachable_ms = c->reachable_ms,
	    .retrans_ms = c->retrans_ms,
	    .probes = c->probes,
	    .n_ifs = w->n_ifs,
	    .ifs = nif,
	    .key = p->neigh_key,
	    .ctr = &w->ctr,
	    .io = {.frame_alloc = frame_alloc,
		   .frame_send = frame_send,
		   .frame_free = frame_free,
		   .arg = w},
	};

	return tt_neigh_create(&np);
}

struct tt_worker *tt_worker_create(const struct tt_worker_params *p)
{
	struct tt_neigh_if nif[TT_STACK_MAX_IFS];
	struct tt_worker *w = rte_zmalloc("tt_worker", sizeof(*w), RTE_CACHE_LINE_SIZE);
	struct tt_stack_params sp = {
	    .conf = &p->conf->tcp,
	    .n_ports = p->n_ports,
	    .listen_app = p->listen_app,
	    .app_data = p->app_data,
	    .cookie_secret = p->cookie_secret,
	    .isn_secret = p->isn_secret,
	    .table_key = p->table_key,
	    .numa_node = p->numa_node,
	    .io = {.frame_alloc = frame_alloc,
		   .frame_send = frame_send,
		   .frame_free = frame_free,
		   .retain = mbuf_retain,
		   .release = mbuf_release},
	};

	if (w == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	w->id = p->id;
	w->numa_node = p->numa_node;
	w->prefetchw = cpu_has_prefetchw();
	w->write_lines = RX_WRITE_LINES;
	w->queue_id = p->queue_id;
	w->n_ports = p->n_ports;
	add_ports(w, p, &sp, nif);
	w->pool = p->pool;
	w->quit = p->quit;
	w->tsc_base = p->tsc_base;
	w->tsc_per_ms = rte_reciprocal_value_u64(p->tsc_hz / 1000);
	w->tsc_ms_ticks = p->tsc_hz / 1000;
	w->tsc_100us = p->tsc_hz / 10000;
	tt_busy_window_init(&w->recent, p->tsc_hz / 1000);
	w->epoch_ms = p->epoch_ms;
	w->now_ms = now_ms(w);
	w->on_loop = p->on_loop;
	w->loop_arg = p->loop_arg;
	tt_connlist_mbox_init(&w->connlist, (uint16_t)p->id);
	memcpy(sp.apps, p->apps, sizeof(sp.apps));
	sp.ctr = &w->ctr;
	sp.now_ms = w->now_ms;
	sp.max_held_bufs = held_budget(p);
	sp.io.arg = w;
	w->neigh = neigh_create(w, p, nif);
	sp.neigh = w->neigh;
	w->stack = w->neigh != NULL ? tt_stack_create(&sp) : NULL;
	if (w->stack == NULL || tt_spares_init(&w->spares, p->pool, TT_HELD_MARGIN_MBUFS,
					       2 * TT_HELD_MARGIN_MBUFS, p->numa_node) != 0) {
		tt_stack_free(w->stack);
		tt_neigh_free(w->neigh);
		rte_free(w);
		rte_errno = ENOMEM;
		return NULL;
	}
	return w;
}

int tt_worker_link(struct tt_worker *const *ws, unsigned n)
{
	struct tt_news_box *boxes[TT_CONF_MAX_WORKERS];

	if (n < 2)
		return 0;
	if (n > TT_CONF_MAX_WORKERS) {
		rte_errno = EINVAL;
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		if (tt_news_open(&ws[i]->news, ws[i]->id, ws[i]->numa_node) != 0)
			return -1;
		boxes[i] = &ws[i]->news;
	}
	for (unsigned i = 0; i < n; i++)
		tt_news_link(boxes, n, i);
	return 0;
}

void tt_worker_free(struct tt_worker *w)
{
	if (w == NULL)
		return;
	for (unsigned i = 0; i < w->n_ports; i++)
		rte_pktmbuf_free_bulk(w->ports[i].tx, w->ports[i].n_tx);
	tt_stack_free(w->stack);
	tt_neigh_free(w->neigh); /* after the stack: its connections' frames may wait here */
	tt_news_close(&w->news);
	tt_spares_fini(&w->spares);
	rte_free(w);
}

/*
 * A frame worth holding when the TX queue refuses it: a TCP segment (IPv4 or IPv6, tagged in
 * software for a VLAN or not) with data, SYN or FIN, whose loss would cost its connection a
 * retransmission timeout (1 s at first).  Pure ACKs and RSTs are not held, nor ARP, ND or ICMP
 * replies: an ACK's news is cumulative and the next ACK or segment repeats it, an RST or an
 * echo reply answers something the peer sends again, and each would take a held slot from a
 * segment whose loss costs a timeout.  The frames are the appliance's own, built with no IPv4
 * option and no IPv6 extension header.
 */
static bool worth_holding(const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *), *ip, *tcp;
	uint32_t len = rte_pktmbuf_data_len(m), l3 = TT_ETH_HDR_LEN, ihl, tcp_bytes;

	if (tt_net_frame_vlan_tagged(f, len))
		l3 += TT_VLAN_TAG_LEN;
	if (len < l3 + TT_IP4_HDR_LEN + TT_TCP_HDR_LEN)
		return false;
	ip = f + l3;
	if (f[l3 - 2] == 0x08 && f[l3 - 1] == 0x00 && ip[9] == 6) {
		ihl = (ip[0] & 0xfu) * 4u;
		tcp_bytes = ((uint32_t)ip[2] << 8 | ip[3]) - ihl;
	} else if (f[l3 - 2] == 0x86 && f[l3 - 1] == 0xdd && ip[6] == 6) {
		ihl = TT_IP6_HDR_LEN;
		tcp_bytes = (uint32_t)ip[4] << 8 | ip[5];
	} else {
		return false;
	}
	if (ihl < TT_IP4_HDR_LEN || len < l3 + ihl + TT_TCP_HDR_LEN)
		return false;
	tcp = ip + ihl;
	return (tcp[13] & (TT_TCP_SYN | TT_TCP_FIN)) || tcp_bytes > (tcp[12] >> 4) * 4u;
}

/*
 * One tx_burst of the port's batch.  Frames the queue refuses (a momentarily full ring) that
 * are worth it (worth_holding) stay at the batch's head, TT_TX_HOLD at most, and go first in
 * the next flush; a held frame refused again, and every other refused frame, is freed and
 * counted in tx_failed.
 */
static void flush_port(struct tt_worker *w, struct tt_worker_port *wp)
{
	unsigned n = wp->n_tx, held = wp->n_held, kept = 0;
	uint64_t t;
	uint16_t sent;

	if (n == 0)
		return;
	t = rte_rdtsc();
	sent = rte_eth_tx_burst(wp->port_id, w->queue_id, wp->tx, (uint16_t)n);
	w->port_tx_cycles += rte_rdtsc() - t;
	w->ctr.ev[TT_CTR_TX_PACKETS] += sent;
	w->ctr.ev[TT_CTR_TX_HELD_RETRIED] += RTE_MIN((unsigned)sent, held);
	for (unsigned i = sent; unlikely(i < n); i++) {
		struct rte_mbuf *m = wp->tx[i];

		/* kept <= i - sent: the move never overwrites a frame still to look at. */
		if (i >= held && kept < TT_TX_HOLD && worth_holding(m)) {
			wp->tx[kept++] = m;
			continue;
		}
		w->ctr.ev[TT_CTR_TX_HELD_DROPPED] += i < held;
		w->ctr.ev[TT_CTR_TX_FAILED]++;
		rte_pktmbuf_free(m);
	}
	w->ctr.ev[TT_CTR_TX_HELD] += kept;
	wp->n_tx = wp->n_held = kept;
}

void tt_worker_flush(struct tt_worker *w)
{
	for (unsigned i = 0; i < w->n_ports; i++)
		flush_port(w, &w->ports[i]);
}

static void tx_push(struct tt_worker *w, struct tt_worker_port *wp, struct rte_mbuf *m)
{
	w->ctr.ev[TT_CTR_TX_BYTES] += m->pkt_len;
	wp->tx[wp->n_tx++] = m;
	if (wp->n_tx == TT_TX_BATCH)
		flush_port(w, wp);
}

/*
 * Queue m (untagged, its offload flags set) on its interface's port: tagged first when the
 * interface is a VLAN, by the port (offload) or here, in the mbuf's headroom.
 */
static void tx_if(struct tt_worker *w, const struct tt_worker_if *wi, struct rte_mbuf *m)
{
	struct tt_worker_port *wp = &w->ports[wi->port];
	uint8_t *tagged;

	if (wi->ifc.vlan != 0) {
		if (wp->tx_vlan_insert) {
			m->ol_flags |= RTE_MBUF_F_TX_VLAN;
			m->vlan_tci = wi->ifc.vlan;
		} else {
			tagged = (uint8_t *)rte_pktmbuf_prepend(m, TT_VLAN_TAG_LEN);
			if (unlikely(tagged == NULL)) {
				w->ctr.ev[TT_CTR_TX_REFUSED_OVERSIZE]++;
				rte_pktmbuf_free(m);
				return;
			}
			tt_net_vlan_insert(tagged, wi->ifc.vlan);
			m->l2_len += TT_VLAN_TAG_LEN;
		}
	}
	tx_push(w, wp, m);
}

/* A frame built by the stack (Ethernet, IPv4 or IPv6, TCP) or the neighbour cache (ARP, ND). */
static void frame_send(void *arg, unsigned ifx, void *frame, uint32_t len)
{
	struct tt_worker *w = arg;
	const struct tt_worker_if *wi = &w->ifs[ifx];
	const struct tt_worker_port *wp = &w->ports[wi->port];
	struct rte_mbuf *m = frame;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t lines = (len + RTE_CACHE_LINE_SIZE - 1) / RTE_CACHE_LINE_SIZE;
	/* IPv4, not ARP: the port completes the checksums it offloads. */
	bool cksum = wp->tx_cksum_offload && d[12] == 0x08 && d[13] == 0x00;

	/* The next replies are likely as long (see RX_WRITE_LINES). */
	w->write_lines = (uint8_t)RTE_MIN(RTE_MAX(lines, RX_WRITE_LINES), RX_WRITE_LINES_MAX);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	/* The header lengths as one word: setting the fields one by one reads the mbuf's second
	 * line first, and that read waited (alternated inside runs: rps's median interval 551-557
	 * busy cycles per request against 555-587, cps's 1,757-2,003 per connection against
	 * 1,807-2,043). */
	m->ol_flags = cksum ? wp->tx_ol_flags : 0;
	m->tx_offload =
	    rte_mbuf_tx_offload(TT_ETH_HDR_LEN, cksum ? TT_IP4_HDR_LEN : 0, 0, 0, 0, 0, 0);
	tx_if(w, wi, m);
}

/*
 * Send the received frame, turned into a reply in place, back out of its interface: a tag in
 * the frame stays where it is; one the port stripped is inserted again.
 */
static void reply_in_place(struct tt_worker *w, const struct tt_worker_if *wi, struct rte_mbuf *m,
			   const struct tt_pkt *pkt)
{
	/* The receive flags go; a buffer attached from outside the pool stays so, for its free. */
	m->ol_flags &= RTE_MBUF_F_EXTERNAL | RTE_MBUF_F_INDIRECT;
	if (pkt->l3_off != TT_ETH_HDR_LEN) {
		tx_push(w, &w->ports[wi->port], m);
		return;
	}
	m->l2_len = TT_ETH_HDR_LEN;
	tx_if(w, wi, m);
}

/*
 * The same for a reply of len bytes written over the frame (IPv6: any tag was stripped, by the
 * port or rx_parse, and goes back on in tx_if).  The frame is one segment (rx_parse) of a buffer
 * that holds the port's MTU (the pool is sized so, and the MTU is at least 576), so len fits.
 */
static_assert(TT_ND_FRAME_LEN <= TT_ETH_HDR_LEN + 576, "an advertisement fits any mbuf");
static void reply_rewritten(struct tt_worker *w, const struct tt_worker_if *wi, struct rte_mbuf *m,
			    const struct tt_pkt *pkt, uint32_t len)
{
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	reply_in_place(w, wi, m, pkt);
}

/* An ARP packet from a neighbour (any: request, reply, gratuitous) refreshes its entry. */
static void arp_learn(struct tt_worker *w, unsigned ifx, const struct tt_pkt *pkt)
{
	struct tt_news news = {.type = TT_NEWS_NEIGH4,
			       .flags = TT_NEWS_MAC,
			       .ifx = (uint8_t)ifx,
			       .neigh.mac = pkt->src_mac};

	tt_neigh_learn4(w->neigh, ifx, pkt->saddr, &pkt->src_mac, w->now_ms);
	if (w->news.n_peers > 0 && tt_neigh_may_hold4(w->neigh, ifx, pkt->saddr)) {
		memcpy(news.neigh.addr, &pkt->saddr, 4);
		tt_news_post(&w->news, &news, &w->ctr);
	}
}

/*
 * What a neighbour discovery message tells the cache: an advertisement of its target, a
 * solicitation (not duplicate address detection: that has no source) of its sender.
 */
static void nd_learn(struct tt_worker *w, unsigned ifx, const struct tt_pkt *pkt,
		     enum tt_pkt_kind kind)
{
	const struct tt_mac *lla = pkt->nd_has_lla ? &pkt->nd_lla : NULL;
	const struct tt_in6 *addr = kind == TT_PKT_ND_NA ? &pkt->nd_target : &pkt->saddr6;
	enum tt_neigh_nd_kind nd = TT_NEIGH_ND_NS;
	bool override = true;
	struct tt_news news = {.type = TT_NEWS_NEIGH6, .ifx = (uint8_t)ifx};

	if (kind == TT_PKT_ND_NA) {
		nd = pkt->nd_flags & TT_ND_NA_SOLICITED ? TT_NEIGH_ND_NA_SOLICITED : TT_NEIGH_ND_NA;
		override = pkt->nd_flags & TT_ND_NA_OVERRIDE;
	} else if (lla == NULL) {
		return;
	}
	tt_neigh_learn6(w->neigh, ifx, addr, lla, nd, override, w->now_ms);
	if (w->news.n_peers == 0 || !tt_neigh_may_hold6(w->neigh, ifx, addr))
		return;
	news.kind = (uint8_t)nd;
	news.flags = (uint8_t)((lla != NULL ? TT_NEWS_MAC : 0) | (override ? TT_NEWS_OVERRIDE : 0));
	memcpy(news.neigh.addr, addr->b, 16);
	if (lla != NULL)
		news.neigh.mac = *lla;
	tt_news_post(&w->news, &news, &w->ctr);
}

/* An ICMP too-big error: for a connection of this worker, or told to the others (tt_news.h). */
static void too_big(struct tt_worker *w, const struct tt_pkt *pkt)
{
	struct tt_news news;

	if (tt_stack_too_big(w->stack, pkt, w->news.n_peers > 0) || w->news.n_peers == 0)
		return;
	tt_news_too_big(pkt, &news);
	if (tt_news_post(&w->news, &news, &w->ctr) > 0)
		w->ctr.ev[TT_CTR_ICMP_TOO_BIG_TOLD]++;
}

/* The interface of port index port that serves VLAN vid (0: untagged), or -1. */
static int if_of(const struct tt_worker *w, unsigned port, uint16_t vid)
{
	const struct tt_worker_port *wp = &w->ports[port];

	if (vid == 0)
		return (int)port;
	for (unsigned v = 0; v < wp->n_vlans; v++)
		if (wp->vlan_id[v] == vid)
			return wp->vlan_ifx[v];
	return -1;
}

/*
 * Parse one frame received on port index port: ARP and ICMP are answered in place and dropped
 * frames freed (-1); a TCP segment is left in *pkt for the stack, m stays the caller's and the
 * result is its interface.
 */
static int rx_parse(struct tt_worker *w, unsigned port, struct rte_mbuf *m, struct tt_pkt *pkt)
{
	struct tt_worker_port *wp = &w->ports[port];
	uint8_t *frame = rte_pktmbuf_mtod(m, uint8_t *);
	bool stripped = tt_port_rx_vlan_stripped(wp->rx_vlan_strip, m);
	uint16_t vid = stripped ? m->vlan_tci & 0xfff : tt_net_frame_vlan(frame, m->data_len);
	struct tt_net_if *ifc;
	enum tt_drop reason;
	int ifx;

	/* A tag before IPv6 comes out here, as the port's offload would take it: IPv6 replies
	 * are written at fixed offsets (tt_nd_na_reply, tt_net_icmp6_echo_reply) and tagged
	 * again on the way out (tx_if). */
	if (!stripped && tt_net_frame_tagged_ipv6(frame, m->data_len)) {
		tt_net_vlan_strip(frame);
		rte_pktmbuf_adj(m, TT_VLAN_TAG_LEN);
		frame = rte_pktmbuf_mtod(m, uint8_t *);
		m->vlan_tci = vid;
		stripped = true;
	}
	ifx = if_of(w, port, vid);

	w->ctr.ev[TT_CTR_RX_PACKETS]++;
	w->ctr.ev[TT_CTR_RX_BYTES] += m->pkt_len;
	/* Replies are written over the frame and sent as it is: one segment of at most the MTU
	 * and the tag it carries (a driver may chain a long frame, and a link may carry more than
	 * we configured). */
	if (unlikely(m->nb_segs != 1 ||
		     m->pkt_len >
			 wp->max_frame + (!stripped && tt_net_frame_vlan_tagged(frame, m->data_len)
					      ? TT_VLAN_TAG_LEN
					      : 0))) {
		w->ctr.drop[m->nb_segs != 1 ? TT_DROP_ETH_CHAINED : TT_DROP_ETH_OVER_MTU]++;
		rte_pktmbuf_free(m);
		return -1;
	}
	if (unlikely(ifx < 0)) {
		w->ctr.drop[vid > TT_VLAN_ID_MAX ? TT_DROP_VLAN_RESERVED : TT_DROP_VLAN_UNSERVED]++;
		rte_pktmbuf_free(m);
		return -1;
	}
	ifc = &w->ifs[ifx].ifc;
	ifc->rx_cksum = tt_port_rx_cksum(wp->rx_cksum_offload, m);
	ifc->rx_vlan_stripped = stripped;
	ifc->rx_vlan_id = m->vlan_tci;
	switch (tt_net_parse(frame, rte_pktmbuf_data_len(m), ifc, pkt, &reason)) {
	case TT_PKT_DROP:
		w->ctr.drop[reason]++;
		if (reason == TT_DROP_ARP_NOT_FOR_US)
			arp_learn(w, (unsigned)ifx, pkt);
		break;
	case TT_PKT_ARP:
		arp_learn(w, (unsigned)ifx, pkt);
		if (pkt->arp_op != TT_ARP_OP_REQUEST)
			break;
		tt_net_arp_reply(frame, pkt, ifc);
		w->ctr.ev[TT_CTR_ARP_REPLIES]++;
		reply_in_place(w, &w->ifs[ifx], m, pkt);
		return -1;
	case TT_PKT_ICMP_ECHO:
		tt_net_icmp_echo_reply(frame, pkt, ifc);
		w->ctr.ev[TT_CTR_ICMP_ECHO_REPLIES]++;
		reply_in_place(w, &w->ifs[ifx], m, pkt);
		return -1;
	case TT_PKT_ICMP6_ECHO:
		w->ctr.ev[TT_CTR_ICMP6_ECHO_REPLIES]++;
		reply_rewritten(w, &w->ifs[ifx], m, pkt, tt_net_icmp6_echo_reply(frame, pkt, ifc));
		return -1;
	case TT_PKT_ND_NS:
		nd_learn(w, (unsigned)ifx, pkt, TT_PKT_ND_NS);
		w->ctr.ev[TT_CTR_ND_ADVERTS_SENT]++;
		reply_rewritten(w, &w->ifs[ifx], m, pkt, tt_nd_na_reply(frame, pkt, ifc));
		return -1;
	case TT_PKT_ND_NA:
		w->ctr.ev[TT_CTR_ND_ADVERTS_RX]++;
		nd_learn(w, (unsigned)ifx, pkt, TT_PKT_ND_NA);
		break;
	case TT_PKT_TOO_BIG:
		too_big(w, pkt);
		break;
	case TT_PKT_TCP:
		return ifx; /* IPv4 or IPv6, untagged or of a VLAN */
	}
	rte_pktmbuf_free(m);
	return -1;
}

/*
 * While the stack sheds SYNs: whether m, received on the port wp, is a plain IPv4 SYN the port
 * did not untag (tt_net_peek_ipv4_syn), counted as received and as the stack counts a shed SYN;
 * the caller frees it.  A few byte compares of the first cache line instead of a parse with its
 * checksums: every cycle a shed SYN takes is one the connections being served lose.
 */
static bool rx_shed_syn(struct tt_worker *w, const struct tt_worker_port *wp,
			const struct rte_mbuf *m)
{
	if (tt_port_rx_vlan_stripped(wp->rx_vlan_strip, m) ||
	    !tt_net_peek_ipv4_syn(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m)))
		return false;
	w->ctr.ev[TT_CTR_RX_PACKETS]++;
	w->ctr.ev[TT_CTR_RX_BYTES] += m->pkt_len;
	w->ctr.ev[TT_CTR_SYN_RECEIVED]++;
	w->ctr.drop[TT_DROP_TCP_SYN_SHED]++;
	return true;
}

void tt_worker_rx_burst(struct tt_worker *w, unsigned port, struct rte_mbuf **pkts, unsigned n)
{
	const struct tt_worker_port *wp = &w->ports[port];
	bool shedding = tt_stack_shedding(w->stack);
	struct tt_pkt segs[TT_RX_BURST];
	void *owners[TT_RX_BURST];
	struct rte_mbuf *shed[TT_RX_BURST];
	uint8_t ifx[TT_RX_BURST];

	while (n > 0) {
		unsigned m = n < TT_RX_BURST ? n : TT_RX_BURST, n_segs = 0, n_shed = 0;

		/* Every frame's headers and first bytes at once: the misses overlap, and parsing
		 * (checksum included) reads frames already on their way.  A SYN shed unparsed is
		 * judged by its first line alone.  For writing: a reply goes into the buffer (see
		 * RX_WRITE_LINES), with the line before it where the driver pushes its header;
		 * the reply's further lines come after the parse (RX_HEADER_LINES). */
		for (unsigned i = 0; i < m; i++) {
			const char *d = rte_pktmbuf_mtod(pkts[i], const char *);
			unsigned lines = RTE_MIN(reply_lines(w, pkts[i]), RX_HEADER_LINES);

			if (wp->tx_header_in_headroom)
				prefetch_for_write(w, d - 1);
			for (unsigned l = 0; l < lines; l++)
				prefetch_for_write(w, d + l * RTE_CACHE_LINE_SIZE);
		}
		for (unsigned i = 0; i < m; i++) {
			int x;

			if (unlikely(shedding) && rx_shed_syn(w, wp, pkts[i])) {
				shed[n_shed++] = pkts[i];
				continue;
			}
			x = rx_parse(w, port, pkts[i], &segs[n_segs]);
			if (x >= 0) {
				ifx[n_segs] = (uint8_t)x;
				owners[n_segs++] = pkts[i];
			}
		}
		for (unsigned i = 0; i < n_segs; i++) {
			const char *d =
			    rte_pktmbuf_mtod((struct rte_mbuf *)owners[i], const char *);
			unsigned lines = reply_lines(w, owners[i]);

			for (unsigned l = RX_HEADER_LINES; l < lines; l++)
				prefetch_for_write(w, d + l * RTE_CACHE_LINE_SIZE);
		}
		/* No reply will be built in a shed SYN's buffer, so nothing is lost by freeing
		 * them together (see mbuf_release), before the segments' replies take buffers. */
		if (n_shed > 0)
			rte_pktmbuf_free_bulk(shed, n_shed);
		/* Each run of segments of one interface as one burst (the stack frees them). */
		for (unsigned a = 0, b; a < n_segs; a = b) {
			for (b = a + 1; b < n_segs && ifx[b] == ifx[a]; b++)
				;
			tt_stack_input_burst(w->stack, ifx[a], segs + a, owners + a, b - a);
		}
		pkts += m;
		n -= m;
	}
}

/*
 * Up to TT_RX_BURSTS_PER_LOOP full bursts per port and iteration: a peer
 * that sends faster than one burst per loop is drained before its replies
 * pile up, while the timers still run at least once per bounded batch.
 * *t is the TSC when the port's first receive call begins (the caller's
 * last reading), and on return when its last burst's processing ended; the
 * cycles from each receive call's start to its return are added to
 * *in_port.  A burst costs two TSC reads, an empty poll one.  After a full
 * burst, a port with tx_flush_per_burst sends what the burst's replies added
 * to its batch before the next receive call.
 */
static unsigned rx_port(struct tt_worker *w, unsigned port, struct rte_mbuf **pkts, uint64_t *t,
			uint64_t *in_port)
{
	unsigned total = 0;

	for (unsigned b = 0; b < TT_RX_BURSTS_PER_LOOP; b++) {
		uint16_t n =
		    rte_eth_rx_burst(w->ports[port].port_id, w->queue_id, pkts, TT_RX_BURST);
		uint64_t received = rte_rdtsc();

		*in_port += received - *t;
		*t = received;
		if (n == 0)
			break;
		tt_worker_rx_burst(w, port, pkts, n);
		if (w->ports[port].tx_flush_per_burst && n == TT_RX_BURST)
			flush_port(w, &w->ports[port]);
		*t = rte_rdtsc();
		total += n;
		if (n < TT_RX_BURST)
			break;
	}
	return total;
}

void tt_worker_drain(struct tt_worker *w, uint32_t timeout_ms)
{
	uint64_t deadline = now_ms(w) + timeout_ms;

	if (w->drain_deadline_ms == 0 || deadline < w->drain_deadline_ms)
		w->drain_deadline_ms = deadline;
}

/* One acquire load per iteration: a new generation goes to the stack, and the oldest one still
 * read is reported while older ones are held. */
static inline void rt_poll(struct tt_worker *w)
{
	const struct tt_stack_rt *rt = __atomic_load_n(&w->rt_next, __ATOMIC_ACQUIRE);

	if (unlikely(rt != w->rt) && tt_stack_set_rt(w->stack, rt) == 0)
		w->rt = rt;
	if (unlikely(w->rt != NULL && w->rt_oldest != w->rt->gen))
		__atomic_store_n(&w->rt_oldest, tt_stack_rt_oldest(w->stack), __ATOMIC_RELEASE);
}

int tt_worker_main(void *arg)
{
	struct tt_worker *w = arg;
	struct rte_mbuf *pkts[TT_RX_BURST];
	bool drained = false;
	/* One TSC read per iteration ends it and starts the next: no cycle falls between two
	 * iterations unaccounted (a read costs tens of cycles, most of an idle poll). */
	uint64_t t0 = rte_rdtsc(), t1;

	w->looping = true;
	while (!drained && (w->quit == NULL || !*w->quit)) {
		uint64_t queued = w->ctr.ev[TT_CTR_TX_PACKETS] + w->ctr.ev[TT_CTR_TX_FAILED] +
				  w->ctr.ev[TT_CTR_TX_HELD];
		unsigned n = 0, e;
		bool listed = false, full = false;
		uint64_t t = t0, in_rx = 0;

		w->now_ms = ms_at(w, t0);
		tt_stack_set_clock(w->stack, w->now_ms, us_part_at(w, t0, w->now_ms));
		rt_poll(w);
		tt_spares_balance(&w->spares);
		for (unsigned p = 0; p < w->n_ports; p++) {
			unsigned got = rx_port(w, p, pkts, &t, &in_rx);

			n += got;
			full |= got == TT_RX_BURST * TT_RX_BURSTS_PER_LOOP;
		}
		tt_stack_rx_poll(w->stack, full && tt_busy_window_saturated(&w->recent));
		if (w->on_loop != NULL)
			w->on_loop(w, w->loop_arg);
		e = tt_stack_timers(w->stack);
		e += tt_news_take(&w->news, w->neigh, w->stack, w->now_ms);
		e += tt_neigh_tick(w->neigh, w->now_ms);
		if (unlikely(tt_connlist_pending(&w->connlist)))
			listed = tt_connlist_serve(&w->connlist, w->stack);
		if (unlikely(w->drain_deadline_ms != 0))
			drained = tt_stack_drain_step(w->stack, w->drain_deadline_ms,
						      TT_STACK_DRAIN_BATCH) == 0;
		tt_worker_flush(w);
		w->ctr.ev[TT_CTR_LOOPS]++;
		/* Every frame queued in the iteration was sent, held or refused by now. */
		queued = w->ctr.ev[TT_CTR_TX_PACKETS] + w->ctr.ev[TT_CTR_TX_FAILED] +
			 w->ctr.ev[TT_CTR_TX_HELD] - queued;
		t1 = rte_rdtsc();
		if (unlikely(t1 - t0 >= w->tsc_100us)) {
			w->ctr.ev[TT_CTR_LOOPS_OVER_100US]++;
			w->ctr.ev[TT_CTR_LOOPS_OVER_1MS] += t1 - t0 >= 10 * w->tsc_100us;
		}
		if (n == 0 && e == 0 && queued == 0 && !listed) {
			w->ctr.ev[TT_CTR_LOOPS_IDLE]++;
			w->idle_cycles += t1 - t0;
			w->idle_port_rx_cycles += in_rx;
			tt_busy_window_add(&w->recent, t1 - t0, false);
			recycled_free(w);
		} else {
			w->busy_cycles += t1 - t0;
			w->port_rx_cycles += in_rx;
			tt_busy_window_add(&w->recent, t1 - t0, true);
		}
		t0 = t1;
	}
	if (drained)
		tt_news_stop(&w->news);
	tt_worker_flush(w);
	recycled_free(w);
	tt_spares_release(&w->spares, w->spares.n);
	w->looping = false;
	return 0;
}
