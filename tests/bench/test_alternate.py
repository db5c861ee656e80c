#!/usr/bin/env python3
"""bench/alternate.py: intervals credited to the way whose period holds them, and only those."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, '..', '..', 'bench')
sys.path.insert(0, BENCH)
import alternate  # noqa: E402  (bench/ is not a package)

PERIOD = 1 << alternate.PERIOD_SHIFT
STEP = PERIOD // 5  # five samples a period, as 0.1 s samples of 0.51 s periods give


def run(costs, busy=None, start=7 * PERIOD + 1):
    """Samples 0.2 periods apart; the interval starting in period p costs costs(p) busy cycles a
    unit, 1,000 units each, at busy fraction busy(p) (1 when None)."""
    rows, tsc, units, busy_c, idle_c = [], start, 0, 0, 0
    for _ in range(60):
        rows.append({'tsc': tsc, 'u': units, 'busy_cycles': busy_c, 'idle_cycles': idle_c})
        p = tsc // PERIOD
        frac = busy(p) if busy else 1.0
        units += 1000
        busy_c += costs(p) * 1000
        idle_c += int(costs(p) * 1000 * (1 - frac) / frac)
        tsc += STEP
    return rows


class Ways(unittest.TestCase):
    def test_each_way_its_own_cost(self):
        got = alternate.ways(run(lambda p: 500 if p % 2 else 700), 'u', 2, 0.9, 1000)
        self.assertEqual(sorted(got), [0, 1])
        self.assertAlmostEqual(got[0][0], 700)
        self.assertAlmostEqual(got[1][0], 500)
        # Of the five intervals that start in a period, the last ends in the next one.
        self.assertEqual(got[0][2] + got[1][2], 59 - 59 // 5)

    def test_intervals_across_a_boundary_left_out(self):
        # The interval that ends in the next period would credit its start's way with a
        # cost from another way's period: here every interval starting in one costs 10 times.
        rows = run(lambda p: 600)
        for i in range(1, len(rows)):
            if rows[i]['tsc'] // PERIOD != rows[i - 1]['tsc'] // PERIOD:
                for r in rows[i:]:
                    r['busy_cycles'] += 5400 * 1000
        got = alternate.ways(rows, 'u', 2, 0.0, 1000)
        self.assertAlmostEqual(got[0][0], 600)
        self.assertAlmostEqual(got[1][0], 600)

    def test_rate_and_busy_of_each_way(self):
        got = alternate.ways(run(lambda p: 500, busy=lambda p: 0.5 if p % 2 else 1.0),
                             'u', 2, 0.0, 1000)
        self.assertAlmostEqual(got[0][3], 1000 / STEP)
        self.assertAlmostEqual(got[0][4], 1.0)
        self.assertAlmostEqual(got[1][4], 0.5, places=6)

    def test_four_ways(self):
        got = alternate.ways(run(lambda p: 100 * (p % 4 + 1)), 'u', 4, 0.9, 1000)
        self.assertEqual({w: round(v[0]) for w, v in got.items()},
                         {0: 100, 1: 200, 2: 300, 3: 400})

    def test_unsaturated_intervals_left_out(self):
        got = alternate.ways(run(lambda p: 500, busy=lambda p: 0.5 if p == 8 else 1.0),
                             'u', 2, 0.9, 1000)
        lone = alternate.ways(run(lambda p: 500), 'u', 2, 0.9, 1000)
        self.assertEqual(got[0][2], lone[0][2] - 4)
        got = alternate.ways(run(lambda p: 500, busy=lambda p: 0.5 if p == 8 else 1.0),
                             'u', 2, 0.4, 1000)
        self.assertEqual(got[0][2], lone[0][2])

    def test_command_line(self):
        with tempfile.NamedTemporaryFile('w', suffix='.jsonl', delete=False) as f:
            for r in run(lambda p: 500 if p % 2 else 700):
                f.write(json.dumps(r) + '\n')
            f.write('{"tsc": 12')  # the sampler stopped mid-line
        try:
            out = subprocess.run([sys.executable, os.path.join(BENCH, 'alternate.py'), f.name,
                                  'u'], capture_output=True, text=True, check=True).stdout
        finally:
            os.unlink(f.name)
        self.assertIn('way 0: 700.0 busy cycles per unit', out)
        self.assertIn('way 1: 500.0 busy cycles per unit', out)
        self.assertIn(f'{1000 / STEP:.3g} units per TSC cycle at 1.000 busy', out)

    def test_command_line_without_samples(self):
        res = subprocess.run([sys.executable, os.path.join(BENCH, 'alternate.py'),
                              '/nonexistent/x.samples.jsonl', 'u'], capture_output=True, text=True)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn('fewer than two telemetry samples', res.stderr)


class Turns(unittest.TestCase):
    """--turns: bench/shed_turns.py's log of when each turn's configuration was in force."""

    def log(self, rows):
        with tempfile.NamedTemporaryFile('w', suffix='.jsonl', delete=False) as f:
            for r in rows:
                f.write(json.dumps(r) + '\n')
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_applied_turns_only(self):
        path = self.log([{'turn': 8, 'applied_tsc': 8 * PERIOD + 5, 'outcome': 'applied'},
                         {'turn': 9, 'applied_tsc': 9 * PERIOD + 5, 'outcome': 'refused'},
                         {'turn': 10, 'applied_tsc': 10 * PERIOD + 7, 'outcome': 'applied'}])
        self.assertEqual(alternate.applied_turns(alternate.turns_log(path)),
                         {8: 8 * PERIOD + 5, 10: 10 * PERIOD + 7})

    def test_intervals_before_the_reload_left_out(self):
        # The first interval of each turn ran under the other way's shedding, at ten times the
        # cost; the log says the turn's reload came just after that interval's first sample.
        rows = run(lambda p: 500 if p % 2 else 700)
        firsts = [i for i in range(1, len(rows) - 1)
                  if rows[i]['tsc'] // PERIOD != rows[i - 1]['tsc'] // PERIOD]
        for i in firsts:
            for r in rows[i + 1:]:
                r['busy_cycles'] += 9 * 700 * 1000
        applied = {rows[i]['tsc'] // PERIOD: rows[i]['tsc'] + 1 for i in firsts}
        got = alternate.ways(rows, 'u', 2, 0.0, 1000, applied)
        self.assertAlmostEqual(got[0][0], 700)
        self.assertAlmostEqual(got[1][0], 500)
        self.assertGreater(alternate.ways(rows, 'u', 2, 0.0, 1000)[0][0], 1000)
        # Exactly those intervals, and the turn before the first boundary (not in the log).
        starts = {a['tsc'] for _, a, _ in alternate.intervals(rows, 2, applied)}
        self.assertFalse(starts & {rows[i]['tsc'] for i in firsts})
        self.assertEqual(min(starts), rows[firsts[0] + 1]['tsc'])

    def test_refused_turn_left_out(self):
        rows = run(lambda p: 500 if p % 2 else 700)
        turns = sorted({r['tsc'] // PERIOD for r in rows})
        applied = {t: t * PERIOD for t in turns if t != turns[2]}
        kept = [(w, a['tsc'] // PERIOD) for w, a, _ in alternate.intervals(rows, 2, applied)]
        self.assertTrue(kept)
        self.assertNotIn(turns[2], {t for _, t in kept})
        self.assertEqual({t for _, t in kept}, set(turns) - {turns[2]})

    def test_command_line_with_turns(self):
        rows = run(lambda p: 500 if p % 2 else 700)
        turns = sorted({r['tsc'] // PERIOD for r in rows})
        log = self.log([{'turn': t, 'applied_tsc': t * PERIOD, 'outcome': 'applied'}
                        for t in turns if t % 2 == 0])
        samples = self.log(rows)
        out = subprocess.run([sys.executable, os.path.join(BENCH, 'alternate.py'), samples, 'u',
                              '--turns', log], capture_output=True, text=True,
                             check=True).stdout
        self.assertIn('way 0: 700.0 busy cycles per unit', out)
        self.assertNotIn('way 1', out)


if __name__ == '__main__':
    unittest.main(verbosity=2)
