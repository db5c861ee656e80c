/*
 * icmp_too_big: the ICMP error a router sends back when a frame of ours is too big for its next
 * link: an ICMP "fragmentation needed and DF set" (RFC 1191 4) for IPv4, an ICMPv6 Packet Too
 * Big (RFC 4443 3.2) for IPv6, quoting the frame's IP header and 8 bytes beyond it (what every
 * such error carries at least), checksums in place.  For the tests and fuzzers that hand the
 * stack such errors through the parser, as the worker does.
 */
#ifndef ICMP_TOO_BIG_H
#define ICMP_TOO_BIG_H

#include <stdint.h>
#include <string.h>

#include "tt_net.h"

enum { ICMP_TOO_BIG_MAX = TT_ETH_HDR_LEN + TT_IP6_HDR_LEN + 8 + TT_IP6_HDR_LEN + 8 };

/*
 * Into f (ICMP_TOO_BIG_MAX bytes), the error about sent (a frame we sent, Ethernet first, IPv4
 * or IPv6 by its type, at least its IP header and 8 bytes long) for a path of MTU mtu (16 bits
 * of it for IPv4), from the router at router4 (host order) or router6, back the way sent came:
 * to its source MAC and IP source, from its destination MAC.  Returns the frame's length.
 */
static inline uint32_t icmp_too_big_build(uint8_t *f, const uint8_t *sent, uint32_t router4,
					  const uint8_t router6[16], uint32_t mtu)
{
	const uint8_t *sent_ip = sent + TT_ETH_HDR_LEN;
	int v6 = sent[12] == 0x86 && sent[13] == 0xdd;
	uint32_t l3 = v6 ? TT_IP6_HDR_LEN : TT_IP4_HDR_LEN, quote = l3 + 8;
	uint8_t *ip = f + TT_ETH_HDR_LEN, *icmp = ip + l3;
	uint16_t sum;

	memset(f, 0, ICMP_TOO_BIG_MAX);
	memcpy(f, sent + 6, 6);
	memcpy(f + 6, sent, 6);
	memcpy(f + 12, sent + 12, 2);
	memcpy(icmp + 8, sent_ip, quote);
	if (v6) {
		uint8_t ph[40] = {0}; /* the pseudo-header (RFC 8200 8.1) */

		ip[0] = 0x60;
		ip[5] = (uint8_t)(8 + quote);
		ip[6] = 58; /* ICMPv6 */
		ip[7] = 64;
		memcpy(ip + 8, router6, 16);
		memcpy(ip + 24, sent_ip + 8, 16);
		icmp[0] = 2; /* Packet Too Big */
		icmp[4] = (uint8_t)(mtu >> 24);
		icmp[5] = (uint8_t)(mtu >> 16);
		icmp[6] = (uint8_t)(mtu >> 8);
		icmp[7] = (uint8_t)mtu;
		memcpy(ph, ip + 8, 32);
		ph[35] = (uint8_t)(8 + quote);
		ph[39] = 58;
		sum = (uint16_t)~tt_net_cksum_sum(icmp, 8 + quote, tt_net_cksum_sum(ph, 40, 0));
	} else {
		ip[0] = 0x45;
		ip[3] = (uint8_t)(l3 + 8 + quote);
		ip[8] = 64;
		ip[9] = 1; /* ICMP */
		for (int k = 0; k < 4; k++)
			ip[12 + k] = (uint8_t)(router4 >> (24 - 8 * k));
		memcpy(ip + 16, sent_ip + 12, 4);
		sum = (uint16_t)~tt_net_cksum_ip4_hdr(ip);
		memcpy(ip + 10, &sum, 2);
		icmp[0] = 3; /* destination unreachable: fragmentation needed and DF set */
		icmp[1] = 4;
		icmp[6] = (uint8_t)(mtu >> 8);
		icmp[7] = (uint8_t)mtu;
		sum = (uint16_t)~tt_net_cksum_sum(icmp, 8 + quote, 0);
	}
	memcpy(icmp + 2, &sum, 2);
	return TT_ETH_HDR_LEN + l3 + 8 + quote;
}

#endif
