/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tt_port_rx_cksum: every combination of the mbuf's IPv4 and L4 RX checksum
 * flags against the parser's TT_RX_* bits, and nothing read when the port's
 * RX offload is off.  The flag values are DPDK's; no EAL is needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tt_port.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void test_rx_cksum_map(void **state)
{
	static const struct {
		uint64_t flag;
		uint8_t bits;
	} ip[] =
	    {
		{RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN, 0},
		{RTE_MBUF_F_RX_IP_CKSUM_GOOD, TT_RX_IP_CKSUM_GOOD},
		{RTE_MBUF_F_RX_IP_CKSUM_BAD, TT_RX_IP_CKSUM_BAD},
		{RTE_MBUF_F_RX_IP_CKSUM_NONE, TT_RX_IP_CKSUM_GOOD},
	    },
	  l4[] = {
	      {RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN, 0},
	      {RTE_MBUF_F_RX_L4_CKSUM_GOOD, TT_RX_L4_CKSUM_GOOD},
	      {RTE_MBUF_F_RX_L4_CKSUM_BAD, TT_RX_L4_CKSUM_BAD},
	      /* virtio NEEDS_CSUM: the field holds a partial sum, never to be summed */
	      {RTE_MBUF_F_RX_L4_CKSUM_NONE, TT_RX_L4_CKSUM_GOOD},
	  };
	struct rte_mbuf m;
	(void)state;

	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < ARRAY_LEN(ip); i++) {
		for (size_t j = 0; j < ARRAY_LEN(l4); j++) {
			/* Unrelated flags around them change nothing. */
			m.ol_flags =
			    ip[i].flag | l4[j].flag | RTE_MBUF_F_RX_RSS_HASH | RTE_MBUF_F_RX_VLAN;
			assert_int_equal(tt_port_rx_cksum(true, &m), ip[i].bits | l4[j].bits);
			assert_int_equal(tt_port_rx_cksum(false, &m), 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rx_cksum_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
