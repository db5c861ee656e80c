/* The synflood's SYNs from a template; see gen_flood.h. */
#include <stddef.h>

#include "gen_flood.h"

enum { FLOOD_PORT_FIRST = 1024, FLOOD_PORTS = 64000, FLOOD_MSS = 1460 };

void gen_flood_syn_init(struct gen_tmpl *t, const struct tt_mac *src_mac,
			const struct tt_mac *dst_mac, uint32_t server, uint16_t server_port,
			unsigned offload)
{
	struct tt_tcp_hdr_args a = {
	    .src_mac = *src_mac,
	    .dst_mac = *dst_mac,
	    .daddr = server,
	    .dport = server_port,
	    .flags = TT_TCP_SYN,
	    .wnd = 65535,
	    .opts = {.present = TT_OPT_MSS, .mss = FLOOD_MSS},
	};

	/* A SYN without payload always fits the template's room. */
	gen_tmpl_init(t, &a, NULL, 0, offload);
}

uint32_t gen_flood_syn_write(const struct gen_tmpl *t, uint8_t *frame, uint64_t x)
{
	return gen_tmpl_write(t, frame, GEN_FLOOD_NET | (uint32_t)(x & 0xffff),
			      (uint16_t)(FLOOD_PORT_FIRST + ((x >> 16) & 0xffff) % FLOOD_PORTS),
			      (uint32_t)(x >> 32), 0);
}
