#!/usr/bin/env python3
"""bench/shed_turns.py: each turn's SYN shedding written into the appliance's configuration and
reloaded as the turn begins, the TSC from which it was in force logged, against a stand-in for
the appliance's telemetry that reads the file at each reload."""
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'bench'))
import shed_turns  # noqa: E402  (bench/ is not a package)

PERIOD = 1 << shed_turns.PERIOD_SHIFT
CONF = '''ports = ( { name = "p0"; device = "net_null0"; address = "198.18.0.2/24"; } );
tcp = { time_wait_ms = 1000; syncookies = "auto";
        syn_shed_full_polls = 4; };
'''


class FakeAppliance:
    """Answers /tcpterm/stats with the next TSC of tscs (then stops answering, as an appliance
    that exited) and /tcpterm/reload with outcome, reading the file's shedding as it does."""

    def __init__(self, conf, tscs, outcome='applied'):
        self.conf, self.tscs, self.outcome = conf, list(tscs), outcome
        self.reloads = []  # (the TSC of the last stats answer, the file's shedding)

    def query(self, cmd):
        if cmd == '/tcpterm/stats':
            if not self.tscs:
                raise OSError('gone')
            self.tsc = self.tscs.pop(0)
            return {'tsc': self.tsc, 'tsc_hz': 10**15}  # every sleep the shortest
        if cmd == '/tcpterm/reload':
            with open(self.conf) as f:
                value = int(shed_turns.SHED_KEY.search(f.read()).group(0).split('=')[1])
            self.reloads.append((self.tsc, value))
            return {'outcome': self.outcome, 'message': f'generation {len(self.reloads)}'}
        raise ValueError(cmd)


class Config(unittest.TestCase):
    def test_value_replaced_once(self):
        out = shed_turns.with_shed(CONF, 0)
        self.assertIn('syn_shed_full_polls = 0;', out)
        self.assertEqual(out.replace('= 0;', '= 4;'), CONF)
        self.assertIn('syn_shed_full_polls = 16', shed_turns.with_shed(out, 16))

    def test_key_missing_or_twice(self):
        with self.assertRaises(ValueError):
            shed_turns.with_shed('tcp = { syncookies = "auto"; };', 0)
        with self.assertRaises(ValueError):
            shed_turns.with_shed(CONF + CONF, 0)

    def test_way_and_value(self):
        self.assertEqual(shed_turns.turn_of(7 * PERIOD + 3), (7, 1))
        self.assertEqual(shed_turns.turn_of(8 * PERIOD), (8, 0))
        self.assertEqual(shed_turns.shed_for(0, 4), 0)
        self.assertEqual(shed_turns.shed_for(1, 4), 4)
        self.assertAlmostEqual(shed_turns.seconds_to_next_turn(8 * PERIOD - 100, 1000), 0.1)


class Drive(unittest.TestCase):
    def setUp(self):
        fd, self.conf = tempfile.mkstemp(suffix='.conf')
        with os.fdopen(fd, 'w') as f:
            f.write(CONF)
        self.addCleanup(os.unlink, self.conf)

    def drive(self, app):
        with tempfile.TemporaryFile('w+') as out:
            n = shed_turns.drive(app, self.conf, 4, out, float('inf'), [])
            out.seek(0)
            return n, [json.loads(line) for line in out]

    def test_each_turn_set_as_it_begins(self):
        # An open turn (7), a closed one (8) seen twice, an open one (9).  Each new turn: the
        # stats that show it, the reload, the stats read after it (applied_tsc).
        tscs = [7 * PERIOD + 10, 7 * PERIOD + 20, 7 * PERIOD + 30,
                8 * PERIOD + 5, 8 * PERIOD + 9, 8 * PERIOD + 50,
                9 * PERIOD + 1, 9 * PERIOD + 2]
        app = FakeAppliance(self.conf, tscs)
        n, log = self.drive(app)
        self.assertEqual(n, 3)
        self.assertEqual(app.reloads, [(7 * PERIOD + 10, 4), (8 * PERIOD + 5, 0),
                                       (9 * PERIOD + 1, 4)])
        self.assertEqual([(x['turn'], x['turn_tsc'], x['applied_tsc'], x['shed'], x['outcome'])
                          for x in log],
                         [(7, 7 * PERIOD, 7 * PERIOD + 20, 4, 'applied'),
                          (8, 8 * PERIOD, 8 * PERIOD + 9, 0, 'applied'),
                          (9, 9 * PERIOD, 9 * PERIOD + 2, 4, 'applied')])
        with open(self.conf) as f:
            self.assertIn('syn_shed_full_polls = 4;', f.read())
        self.assertFalse(os.path.exists(self.conf + '.shed'))

    def test_refused_reload_logged(self):
        app = FakeAppliance(self.conf, [8 * PERIOD + 1, 8 * PERIOD + 2], outcome='refused')
        n, log = self.drive(app)
        self.assertEqual((n, log[0]['outcome'], log[0]['shed']), (1, 'refused', 0))

    def test_appliance_gone_mid_turn(self):
        # The reload's stats read fails: the turn is not logged, and drive returns.
        app = FakeAppliance(self.conf, [8 * PERIOD + 1])
        n, log = self.drive(app)
        self.assertEqual((n, log), (0, []))


if __name__ == '__main__':
    unittest.main(verbosity=2)
