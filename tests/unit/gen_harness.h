/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the tests of the generator's stateless ends (test_gen_stateless.c, test_gen_responder.c)
 * share: the link's two ends (the client CLIENT:CPORT with its MAC, the server SERVER:80 with its),
 * the request and the response body's length, and a frame parsed as the interface owning one
 * address receives it.  Include after cmocka.h.
 */
#ifndef GEN_HARNESS_H
#define GEN_HARNESS_H

#include "tt_net.h"

#define SERVER 0xc6120002u /* 198.18.0.2 */
#define CLIENT 0xc6120105u /* 198.18.1.5 */
#define CPORT  40000
#define BODY   64

static const char request[] = "GET / HTTP/1.1\r\nHost: 198.18.0.2\r\n\r\n";
static const struct tt_mac gen_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct tt_mac srv_mac = {{0x02, 0, 0, 0, 0, 0x02}};

/* frame parsed as received on the interface owning addr (with its MAC): a TCP segment. */
static inline struct tt_pkt parse(const uint8_t *frame, uint32_t len, uint32_t addr,
				  const struct tt_mac *mac)
{
	struct tt_net_if ifc = {.mac = *mac, .addr = addr, .addr_count = 1};
	struct tt_pkt pkt;
	enum tt_drop reason;

	assert_int_equal(tt_net_parse(frame, len, &ifc, &pkt, &reason), TT_PKT_TCP);
	return pkt;
}

#endif
