/* SPDX-License-Identifier: BSD-3-Clause */
/* The operator's view: a frame lost at the NIC must show in the periodic line and the final
 * table as plainly as a drop of ours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tt_stats.h"

/* What f printed, NUL-terminated; the caller frees it. */
static char *printed(void (*fn)(FILE *, const struct tt_stats *, const struct tt_stats *),
		     const struct tt_stats *cur, const struct tt_stats *prev)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, cur, prev);
	fclose(f);
	return buf;
}

static void line_1s(FILE *f, const struct tt_stats *cur, const struct tt_stats *prev)
{
	tt_stats_print_line(f, cur, prev, 1000);
}

static void all(FILE *f, const struct tt_stats *cur, const struct tt_stats *prev)
{
	(void)prev;
	tt_stats_print_all(f, cur);
}

static void make_pair(struct tt_stats *prev, struct tt_stats *cur)
{
	memset(prev, 0, sizeof(*prev));
	prev->nic_queues = 2;
	prev->nic.imissed = 100; /* before the interval: not in the line */
	prev->nic.q_ipackets[0] = 1000;
	prev->nic.q_ipackets[1] = 2000;
	*cur = *prev;
	cur->sum.drop[0] = 4;
	cur->nic.imissed = 107;
	cur->nic.rx_nombuf = 2;
	cur->nic.ierrors = 1;
	cur->nic.oerrors = 3;
	cur->nic.q_ipackets[0] = 1500;
	cur->nic.q_ipackets[1] = 2250;
}

static void test_line_shows_nic_drops_beside_ours(void **state)
{
	struct tt_stats prev, cur;
	char *s;

	(void)state;
	make_pair(&prev, &cur);
	s = printed(line_1s, &cur, &prev);
	assert_non_null(strstr(s, "| drops 4 | nic drops 13 (imissed 7 nombuf 2 ierrors 1 "
				  "oerrors 3) rxq 500/s 250/s | busy "));
	assert_string_equal(strchr(s, '\n'), "\n"); /* still one line */
	free(s);
}

static void test_line_quiet_nic_reads_zero(void **state)
{
	struct tt_stats prev, cur;
	char *s;

	(void)state;
	make_pair(&prev, &cur);
	s = printed(line_1s, &prev, &prev);
	assert_non_null(strstr(s, "| nic drops 0 (imissed 0 nombuf 0 ierrors 0 oerrors 0) rxq "
				  "0/s 0/s |"));
	free(s);
}

static void test_final_table_lists_nic(void **state)
{
	struct tt_stats prev, cur;
	char *s;

	(void)state;
	make_pair(&prev, &cur);
	s = printed(all, &cur, &prev);
	assert_non_null(strstr(s, "\n  nic_imissed                  107\n"));
	assert_non_null(strstr(s, "\n  nic_rx_nombuf                2\n"));
	assert_non_null(strstr(s, "\n  nic_drops_total              113\n"));
	assert_non_null(strstr(s, "\n  nic_rx_q1_packets            2250\n"));
	assert_null(strstr(s, "nic_rx_q2_packets")); /* only the queues in use */
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_line_shows_nic_drops_beside_ours),
	    cmocka_unit_test(test_line_quiet_nic_reads_zero),
	    cmocka_unit_test(test_final_table_lists_nic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
