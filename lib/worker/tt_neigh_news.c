/* Neighbour news between workers; see tt_neigh_news.h. */
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>

#include "tt_neigh_news.h"

static_assert(sizeof(struct tt_neigh_news) % 4 == 0, "a ring element is whole 32-bit words");

int tt_neigh_news_open(struct tt_neigh_news_box *b, unsigned id, int socket)
{
	char name[RTE_RING_NAMESIZE];

	memset(b, 0, sizeof(*b));
	snprintf(name, sizeof(name), "tt_news_%u", id);
	b->inbox = rte_ring_create_elem(name, sizeof(struct tt_neigh_news), TT_NEIGH_NEWS_INBOX,
					socket, RING_F_SC_DEQ);
	return b->inbox != NULL ? 0 : -1;
}

void tt_neigh_news_link(struct tt_neigh_news_box *const *boxes, unsigned n, unsigned self)
{
	struct tt_neigh_news_box *b = boxes[self];

	b->n_peers = 0;
	for (unsigned i = 0; i < n; i++)
		if (i != self)
			b->peers[b->n_peers++] = boxes[i]->inbox;
}

void tt_neigh_news_post(const struct tt_neigh_news_box *b, const struct tt_neigh_news *news,
			struct tt_counters *ctr)
{
	struct tt_neigh_news rec = *news; /* the ring's API takes no const */

	for (unsigned i = 0; i < b->n_peers; i++) {
		bool in = rte_ring_mp_enqueue_elem(b->peers[i], &rec, sizeof(rec)) == 0;

		ctr->ev[in ? TT_CTR_NEIGH_NEWS_POSTED : TT_CTR_NEIGH_NEWS_DROPPED]++;
	}
}

unsigned tt_neigh_news_take(struct tt_neigh_news_box *b, struct tt_neigh *n, uint64_t now_ms)
{
	struct tt_neigh_news news[TT_NEIGH_NEWS_BATCH];
	unsigned got;

	if (b->inbox == NULL)
		return 0;
	got = rte_ring_sc_dequeue_burst_elem(b->inbox, news, sizeof(news[0]), TT_NEIGH_NEWS_BATCH,
					     NULL);
	for (unsigned i = 0; i < got; i++) {
		const struct tt_neigh_news *r = &news[i];
		const struct tt_mac *mac = (r->flags & TT_NEIGH_NEWS_MAC) ? &r->mac : NULL;
		struct tt_in6 a6;
		uint32_t a4;

		if (r->flags & TT_NEIGH_NEWS_IPV6) {
			memcpy(a6.b, r->addr, 16);
			tt_neigh_told6(n, r->ifx, &a6, mac, (enum tt_neigh_nd_kind)r->kind,
				       r->flags & TT_NEIGH_NEWS_OVERRIDE, now_ms);
		} else if (mac != NULL) {
			memcpy(&a4, r->addr, 4);
			tt_neigh_told4(n, r->ifx, a4, mac, now_ms);
		}
	}
	return got;
}

void tt_neigh_news_close(struct tt_neigh_news_box *b)
{
	rte_ring_free(b->inbox);
	b->inbox = NULL;
	b->n_peers = 0;
}
