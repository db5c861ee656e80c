#!/usr/bin/env python3
"""bench/soak.py by_kind: each kind of peer's ending held against the appliance's counters, on
the figures of a real 150 s soak (300 connections/s, 1% loss), then with one thing wrong."""
import contextlib
import copy
import io
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'bench'))
import soak  # noqa: E402  (bench/ is not a package)

KINDS = {'reset': 3448, 'zero_window': 2260, 'vanish': 2192, 'slow_head': 867,
         'fin_wait_1': 912, 'fin_wait_2': 1373, 'closing': 858, 'close_wait': 867,
         'last_ack': 899, 'echo_stall': 933, 'hole': 893}
GEN = {'conns_completed': 25754,
       'soak': {'kinds': dict({k: {'started': n, 'synced': n} for k, n in KINDS.items()},
                              half_open={'started': 3143},
                              client_close={'started': 10294})}}
FINAL = {'conn_closed': 25754, 'conn_reset_by_peer': 3448, 'conn_app_timed_out': 867,
         'conn_persist_timed_out': 3193, 'conn_timed_out': 11691,
         'conn_retries_exhausted': 2545, 'orphan_retries_exhausted': 2545,
         'synack_sent': 31156, 'syncookies_validated': 12282, 'conn_opened': 41256}


def failed(gen, final):
    checks = soak.Checks()
    with contextlib.redirect_stdout(io.StringIO()):
        soak.by_kind(gen, final, checks)
    return checks.failed()


class ByKind(unittest.TestCase):
    def test_real_soak_passes(self):
        # 2,182 connections born and never opened: half-open SYNs kept in SYN-RECEIVED.
        self.assertEqual(failed(GEN, FINAL), [])

    def test_orphans_ending_on_retries_count_as_quiet_peers_ended(self):
        # The same peers, more of the orphans out of retransmissions before their state's bound.
        final = dict(FINAL, conn_timed_out=FINAL['conn_timed_out'] - 100,
                     conn_retries_exhausted=2645, orphan_retries_exhausted=2645)
        self.assertEqual(failed(GEN, final), [])

    def test_a_quiet_peer_unaccounted_fails(self):
        final = dict(FINAL, conn_timed_out=FINAL['conn_timed_out'] - 1)
        self.assertEqual(len(failed(GEN, final)), 1)

    def test_a_connection_that_never_ended_fails(self):
        # Born and opened, then neither timed out nor reset: one quiet peer too few ended.
        final = dict(FINAL, conn_opened=FINAL['conn_opened'] + 1)
        self.assertEqual(len(failed(GEN, final)), 1)

    def test_more_half_open_than_started_fails(self):
        gen = copy.deepcopy(GEN)
        gen['soak']['kinds']['half_open']['started'] = 2181
        self.assertEqual(len(failed(gen, FINAL)), 1)

    def test_an_established_connection_out_of_retries_fails(self):
        # One vanished peer reset on max_retries instead of timing out: not an orphan's ending.
        final = dict(FINAL, conn_timed_out=FINAL['conn_timed_out'] - 1,
                     conn_retries_exhausted=2546)
        self.assertEqual(len(failed(GEN, final)), 1)

    def test_more_orphans_out_of_retries_than_orphan_peers_fails(self):
        final = dict(FINAL, conn_timed_out=8000, conn_retries_exhausted=6236,
                     orphan_retries_exhausted=6236)
        self.assertEqual(len(failed(GEN, final)), 1)

    def test_each_pairing_checked(self):
        final = dict(FINAL, conn_reset_by_peer=3447)
        self.assertEqual(failed(GEN, final),
                         ['reset peers connected: 3448, conn_reset_by_peer: 3447'])


if __name__ == '__main__':
    unittest.main()
