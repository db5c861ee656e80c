/*
 * tt_counters: the names of every per-worker counter, in one place.
 *
 * Each worker owns one struct tt_counters (cache aligned, never shared) and
 * bumps it without atomics; the main lcore only reads it when it aggregates
 * (a torn 64-bit read cannot happen on x86-64, and a counter read one
 * increment late is fine for statistics).
 *
 * The lists are X-macros so that the enum, the struct and the printed or
 * telemetry names cannot drift apart: adding a counter is one line here.
 *
 * Drops have reasons: every place that discards a frame names exactly one
 * TT_DROP_* value, so an operator can tell a checksum storm from a flood.
 */
#ifndef TT_COUNTERS_H
#define TT_COUNTERS_H

#include <stdint.h>

/* Why a received frame was discarded. */
#define TT_DROP_REASONS(X)                                                                         \
	X(ETH_SHORT, "eth_short")                                                                  \
	X(ETH_TYPE, "eth_unsupported_type")                                                        \
	X(ETH_DST, "eth_not_our_mac")                                                              \
	X(ETH_SRC_GROUP, "eth_group_source")                                                       \
	X(ETH_SRC_ZERO, "eth_zero_source") /* 00:00:00:00:00:00, no host's */                      \
	X(ETH_GROUP_DST, "eth_group_dest") /* IPv4; IPv6 TCP, echo, too big: to a group MAC */     \
	X(ARP_MALFORMED, "arp_malformed")                                                          \
	X(ARP_SENDER, "arp_bad_sender_mac")                                                        \
	X(ARP_SENDER_OURS, "arp_sender_our_address") /* another host claims it (RFC 5227) */       \
	X(ARP_SENDER_IP, "arp_bad_sender_ip")	     /* 0/8 but 0.0.0.0, 127/8, 224/3, ... */      \
	X(ARP_NOT_FOR_US, "arp_not_for_us")                                                        \
	X(IP_SHORT, "ip_short")                                                                    \
	X(IP_VERSION, "ip_bad_version")                                                            \
	X(IP_HDR_LEN, "ip_bad_header_len")                                                         \
	X(IP_TOTAL_LEN, "ip_bad_total_len")                                                        \
	X(IP_CSUM, "ip_bad_checksum")                                                              \
	X(IP_FRAGMENT, "ip_fragment")                                                              \
	X(IP_OPTIONS, "ip_bad_options")	      /* an option's length missing, < 2, too long */      \
	X(IP_SOURCE_ROUTE, "ip_source_route") /* loose or strict source route (RFC 791 3.1) */     \
	X(IP_NOT_FOR_US, "ip_not_our_address")                                                     \
	X(IP_BAD_SRC, "ip_bad_source")                                                             \
	X(IP_PROTO, "ip_unsupported_proto")                                                        \
	X(ICMP_SHORT, "icmp_short")                                                                \
	X(ICMP_IP_OPTIONS, "icmp_ip_options") /* an echo request with IPv4 options */              \
	X(ICMP_CSUM, "icmp_bad_checksum")                                                          \
	X(ICMP_TYPE, "icmp_not_echo_request")                                                      \
	X(TCP_SHORT, "tcp_short")                                                                  \
	X(TCP_HDR_LEN, "tcp_bad_header_len")                                                       \
	X(TCP_CSUM, "tcp_bad_checksum")                                                            \
	X(TCP_OPTIONS, "tcp_bad_options")                                                          \
	X(TCP_FLAGS, "tcp_bad_flags")                                                              \
	X(TCP_PORT, "tcp_bad_port")                                                                \
	X(IP6_SHORT, "ip6_short")                                                                  \
	X(IP6_VERSION, "ip6_bad_version")                                                          \
	X(IP6_PAYLOAD_LEN, "ip6_bad_payload_len")                                                  \
	X(IP6_NOT_FOR_US, "ip6_not_our_address")                                                   \
	X(IP6_BAD_SRC, "ip6_bad_source")                                                           \
	X(IP6_EXT_HDR, "ip6_bad_ext_header")                                                       \
	X(IP6_EXT_CHAIN, "ip6_ext_chain_too_long")                                                 \
	X(IP6_EXT_OPTION, "ip6_ext_option_discarded")                                              \
	X(IP6_ROUTING, "ip6_routing_segments_left")                                                \
	X(IP6_FRAGMENT, "ip6_fragment")                                                            \
	X(IP6_NO_NEXT, "ip6_no_next_header")                                                       \
	X(IP6_PROTO, "ip6_unsupported_next_header")                                                \
	X(ICMP6_SHORT, "icmp6_short")                                                              \
	X(ICMP6_CSUM, "icmp6_bad_checksum")                                                        \
	X(ICMP6_TYPE, "icmp6_type_not_served")                                                     \
	/* an ICMP "too big" error whose quote is no segment of ours, or whose MTU is 0 */         \
	X(ICMP_TOO_BIG_QUOTE, "icmp_too_big_bad_quote")                                            \
	/* one quoting a segment of no connection, or no longer in flight (RFC 5927 5.2) */        \
	X(ICMP_TOO_BIG_STALE, "icmp_too_big_stale")                                                \
	X(ND_HOP_LIMIT, "nd_bad_hop_limit")                                                        \
	X(ND_MALFORMED, "nd_malformed")                                                            \
	X(ND_NOT_FOR_US, "nd_target_not_ours")                                                     \
	X(TCP6_PAIRS_FULL, "tcp6_addr_pairs_exhausted") /* a new IPv6 connection, no pair left */  \
	X(TCP_FLOW_COLLISION,                                                                      \
	  "tcp_flow_key_collision") /* two flows, one table key (tt_stack.h) */                    \
	X(TCP_NO_LISTENER, "tcp_no_listener")                                                      \
	X(TCP_NO_CONN, "tcp_no_connection")                                                        \
	X(TCP_OUT_OF_WINDOW, "tcp_out_of_window")                                                  \
	X(TCP_BAD_ACK, "tcp_bad_ack")                                                              \
	X(TCP_PAWS, "tcp_paws")                                                                    \
	X(TCP_RCV_QUEUE_FULL, "tcp_receive_queue_full")                                            \
	X(TCP_OUT_OF_ORDER, "tcp_out_of_order_not_kept")                                           \
	X(TCP_OOO_TINY, "tcp_out_of_order_tiny")                                                   \
	X(TCP_TABLE_FULL, "tcp_table_full")                                                        \
	X(TCP_TABLE_PROBE, "tcp_table_probe_limit")                                                \
	X(TCP_DRAINING, "tcp_draining")                                                            \
	X(TCP_SYN_SHED, "tcp_syn_shed") /* a saturated worker's admission control */               \
	X(TCP_STATE, "tcp_unexpected_in_state")                                                    \
	X(SYNCOOKIE_BAD, "syncookie_bad")                                                          \
	X(SYNCOOKIE_EXPIRED, "syncookie_expired")                                                  \
	X(VLAN_UNSERVED,                                                                           \
	  "vlan_unserved") /* a tag (or stripped tag) no interface of the port serves */           \
	X(VLAN_RESERVED, "vlan_reserved_id") /* VLAN ID 4095 (IEEE 802.1Q: reserved) */            \
	X(ETH_CHAINED, "eth_multi_segment")  /* a frame the driver chained over buffers */         \
	X(ETH_OVER_MTU, "eth_over_mtu")	     /* longer than the port's MTU and a tag */

/* Events and totals; gauges (connections by state) live in tt_tcp_stats. */
#define TT_EVENT_COUNTERS(X)                                                                       \
	X(RX_PACKETS, "rx_packets")                                                                \
	X(RX_BYTES, "rx_bytes")                                                                    \
	X(TX_PACKETS, "tx_packets")                                                                \
	X(TX_BYTES, "tx_bytes")                                                                    \
	X(TX_FAILED, "tx_failed")	      /* refused by the NIC and freed, never sent */       \
	X(TX_HELD, "tx_held")		      /* refused, kept for the next flush */               \
	X(TX_HELD_RETRIED, "tx_held_retried") /* of those, sent by the next flush */               \
	X(TX_HELD_DROPPED, "tx_held_dropped") /* of those, refused again and freed */              \
	X(TX_REFUSED_OVERSIZE, "tx_refused_oversize")                                              \
	X(MBUF_ALLOC_FAILED, "mbuf_alloc_failed")                                                  \
	X(ARP_REPLIES, "arp_replies")                                                              \
	/* ARP (any request or reply, for us or not) whose sender is a next hop we hold: the entry \
	 * takes its MAC and is confirmed; arp_ignored: from any other sender */                   \
	X(ARP_LEARNED, "arp_learned")                                                              \
	X(ARP_IGNORED, "arp_ignored")                                                              \
	X(ARP_REQUESTS_SENT, "arp_requests_sent")                                                  \
	X(ND_SOLICITS_SENT, "nd_solicits_sent") /* to resolve or refresh an IPv6 next hop */       \
	X(ND_LEARNED, "nd_learned") /* advertisements, solicitations that taught an entry */       \
	X(ND_IGNORED, "nd_ignored") /* ND for no entry we hold, or that must not change it */      \
	X(NEIGH_RESOLVED, "neigh_resolved")   /* an incomplete entry learned its MAC */            \
	X(NEIGH_REFRESHED, "neigh_refreshed") /* a reachable or stale entry confirmed again */     \
	X(NEIGH_MAC_CHANGED, "neigh_mac_changed")                                                  \
	X(NEIGH_EXPIRED, "neigh_expired")  /* unused past its lifetime: freed */                   \
	X(NEIGH_FAILED, "neigh_failed")	   /* every solicitation unanswered: freed */              \
	X(NEIGH_EVICTED, "neigh_evicted")  /* resolving, freed for a newer next hop or frame */    \
	X(NEIGH_HELD, "neigh_frames_held") /* frames that waited for a resolution */               \
	X(NEIGH_HELD_SENT, "neigh_frames_released")                                                \
	X(NEIGH_DROP_QUEUE_FULL, "neigh_drop_queue_full") /* the entry's queue: oldest dropped */  \
	X(NEIGH_DROP_POOL_FULL, "neigh_drop_pool_full")	  /* the worker's held frames at bound */  \
	X(NEIGH_DROP_UNRESOLVED, "neigh_drop_unresolved") /* held when resolution failed */        \
	X(NEIGH_DROP_TABLE_FULL, "neigh_drop_table_full") /* no entry free for a new next hop */   \
	X(NEIGH_DROP_EVICTED, "neigh_drop_evicted")   /* held by a resolving entry made to go */   \
	X(NEIGH_DROP_NO_ROUTE, "neigh_drop_no_route") /* off-link, and no gateway */               \
	/* news heard by this worker, told to each other worker (tt_news.h) */                     \
	X(WORKER_NEWS_POSTED, "worker_news_posted")                                                \
	X(WORKER_NEWS_DROPPED, "worker_news_dropped") /* a worker's inbox full: not told */        \
	X(NEIGH_NEWS_LEARNED, "neigh_news_learned") /* told, and an entry here learned from it */  \
	/* ICMP too-big errors quoting no connection of this worker, told to the others */         \
	X(ICMP_TOO_BIG_TOLD, "icmp_too_big_told")                                                  \
	X(ICMP_ECHO_REPLIES, "icmp_echo_replies")                                                  \
	X(ICMP6_ECHO_REPLIES, "icmp6_echo_replies")                                                \
	/* connections whose segment size an ICMP "too big" error lowered (path MTU discovery) */  \
	X(PATH_MTU_LOWERED, "path_mtu_lowered")                                                    \
	/* connections that began at a path MTU an earlier one to the same peer learned */         \
	X(PATH_MTU_FROM_CACHE, "path_mtu_from_cache")                                              \
	X(ND_ADVERTS_SENT, "nd_adverts_sent")                                                      \
	X(ND_ADVERTS_RX, "nd_adverts_received")                                                    \
	X(CONN_OPENED, "conn_opened")                                                              \
	X(CONN_OPENED_IPV6, "conn_opened_ipv6") /* of conn_opened, over IPv6 */                    \
	X(CONN_CLOSED, "conn_closed")                                                              \
	X(CONN_CLOSED_IPV6, "conn_closed_ipv6") /* of conn_closed, over IPv6 */                    \
	X(CONN_RESET_RX, "conn_reset_by_peer")                                                     \
	X(CONN_RESET_TX, "conn_reset_by_us")                                                       \
	X(CONN_TIMEOUT, "conn_timed_out")                                                          \
	X(CONN_RETRIES_EXHAUSTED, "conn_retries_exhausted")                                        \
	X(CONN_PERSIST_TIMEOUT, "conn_persist_timed_out")                                          \
	X(CONN_APP_TIMEOUT, "conn_app_timed_out")                                                  \
	X(ORPHANS_RESET, "orphans_reset")	/* over tcp.max_orphans_per_core */                \
	X(RELOAD_CLOSED, "reload_conns_closed") /* FIN: their configuration replaced */            \
	X(RELOAD_RESET, "reload_conns_reset")	/* still open drain_timeout_ms later */            \
	X(ORPHAN_RETRIES_EXHAUSTED, "orphan_retries_exhausted")                                    \
	X(SYN_SHED_POLLS, "syn_shed_polls") /* polls of a worker shedding SYNs */                  \
	X(TIME_WAIT_RECYCLED, "time_wait_recycled")                                                \
	X(RST_SENT, "rst_sent")                                                                    \
	X(RST_RATE_LIMITED, "rst_rate_limited")                                                    \
	X(CHALLENGE_ACKS, "challenge_acks")                                                        \
	X(INVALID_REPLIES_LIMITED, "invalid_replies_limited")                                      \
	X(SYN_RECEIVED, "syn_received") /* segments with SYN and no ACK that reached TCP */        \
	X(SYNACK_SENT, "synack_sent")                                                              \
	X(SYNCOOKIES_SENT, "syncookies_sent")                                                      \
	X(SYNCOOKIES_VALIDATED, "syncookies_validated")                                            \
	X(SYNCOOKIES_FAILED, "syncookies_failed")                                                  \
	X(TIME_WAIT_REUSED, "time_wait_reused")                                                    \
	X(RETRANSMITS, "retransmits")                                                              \
	X(FAST_RETRANSMITS, "fast_retransmits")                                                    \
	X(RETRANSMITTED_BYTES, "retransmitted_bytes")                                              \
	X(SACK_BLOCKS_SENT, "sack_blocks_sent")                                                    \
	X(SACK_BLOCKS_RX, "sack_blocks_received")                                                  \
	X(SACK_BLOCKS_IGNORED, "sack_blocks_ignored")                                              \
	X(SACK_RECOVERIES, "sack_recoveries")                                                      \
	X(SACK_RETRANSMITS, "sack_retransmits")                                                    \
	X(SACK_NO_SCOREBOARD, "sack_scoreboards_exhausted")                                        \
	X(SACK_RENEGED, "sack_reneged")                                                            \
	/* a send refused for want of a send block (its bytes are not ACKed, the peer resends) */  \
	X(SEND_BLOCKS_EXHAUSTED, "send_blocks_exhausted")                                          \
	/* bytes an application left unread for want of an application block (the peer resends) */ \
	X(APP_BLOCKS_EXHAUSTED, "app_blocks_exhausted")                                            \
	X(DUP_ACKS_SENT, "dup_acks_sent")                                                          \
	X(DELAYED_ACKS, "delayed_acks")                                                            \
	X(QUICK_ACKS, "quick_acks")                                                                \
	X(OOO_QUEUED, "out_of_order_queued")                                                       \
	X(RX_HOLD_REFUSED, "rx_hold_refused")                                                      \
	X(TIMER_EXPIRIES, "timer_expiries")                                                        \
	X(HTTP_REQUESTS, "http_requests")                                                          \
	X(HTTP_BAD_REQUESTS, "http_bad_requests")                                                  \
	/* requests of another major version of HTTP, answered 505 */                              \
	X(HTTP_VERSION_REFUSED, "http_version_refused")                                            \
	/* request-targets still going at the head's limit, answered 414 */                        \
	X(HTTP_TARGET_TOO_LONG, "http_target_too_long")                                            \
	/* CONNECT, or transfer codings before chunked, answered 501 */                            \
	X(HTTP_NOT_IMPLEMENTED, "http_not_implemented")                                            \
	/* interim 100 (Continue) responses to a request's Expect: 100-continue */                 \
	X(HTTP_CONTINUES, "http_continues")                                                        \
	X(APP_RX_BYTES, "app_rx_bytes")                                                            \
	X(APP_TX_BYTES, "app_tx_bytes")                                                            \
	X(LOOPS, "loops")                                                                          \
	X(LOOPS_IDLE, "loops_idle")                                                                \
	/* iterations that took 100 us or more, 1 ms or more from start to end: the worker's       \
	 * stalls (a page first touched, the host taking the CPU, a wave of work), each long       \
	 * enough to fill an RX ring at a few hundred thousand frames a second */                  \
	X(LOOPS_OVER_100US, "loops_over_100us")                                                    \
	X(LOOPS_OVER_1MS, "loops_over_1ms")

#define TT_ENUM_DROP(name, str) TT_DROP_##name,
enum tt_drop { TT_DROP_REASONS(TT_ENUM_DROP) TT_DROP_COUNT };
#undef TT_ENUM_DROP

#define TT_ENUM_EVENT(name, str) TT_CTR_##name,
enum tt_counter { TT_EVENT_COUNTERS(TT_ENUM_EVENT) TT_CTR_COUNT };
#undef TT_ENUM_EVENT

struct tt_counters {
	uint64_t drop[TT_DROP_COUNT];
	uint64_t ev[TT_CTR_COUNT];
};

extern const char *const tt_drop_names[TT_DROP_COUNT];
extern const char *const tt_counter_names[TT_CTR_COUNT];

#endif
