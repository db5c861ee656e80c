#!/usr/bin/env python3
"""Busy cycles per unit of each way of a build that alternates ways inside one run.

On a VM the host moves the core's clock and the neighbours' load from minute to minute, so two
builds run one after the other can differ by more than the change between them (bench/README.md).
A build under test can instead choose its way by the TSC:

    switch ((rte_rdtsc() >> 30) & (WAYS - 1)) { case 0: ...; case 1: ...; }

Each way then holds 2^30 TSC cycles (0.51 s at 2.1 GHz) in turn, and all of them share the same
minutes, memory layout and generator.  This reads the appliance's telemetry samples of such a run
(raw/NAME.R.samples.jsonl, one every 0.1 s): an interval between two samples that lies inside one
period counts for that period's way, if it holds at least --min-units units and its busy fraction
is at least --min-busy (a run's first and last seconds are not saturated).

    bench/alternate.py raw/rps.1.samples.jsonl http_requests [--ways 4] [--min-busy 0.9]

prints, for each way, its busy cycles per unit over all its intervals, the median interval's
figure, how many intervals it has, and over them its units a second and busy fraction (the
rate a way achieved beside what each unit cost: tcpterm-gen --alternate's turns of a closed and
an open loop differ in both).  The units: http_requests (rps), conn_closed (cps),
syncookies_sent (synflood).  With --turns, the log bench/shed_turns.py wrote of the same run
(the appliance's shedding set per turn through a reload): each turn counts only from when its
configuration was in force, and not at all if its reload was refused.
"""
import argparse
import json
import statistics
import sys

from report import load_samples

PERIOD_SHIFT = 30  # a way lasts 2^30 TSC cycles


def turns_log(path):
    """The lines of a bench/shed_turns.py log, one per turn."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.startswith('{')]


def applied_turns(rows):
    """{turn: TSC from which its configuration was in force} of turns_log's rows, for the turns
    whose reload was applied."""
    return {r['turn']: r['applied_tsc'] for r in rows if r.get('outcome') == 'applied'}


def intervals(samples, n_ways, applied=None):
    """(way, a, b) for each pair of consecutive samples inside one period.  applied
    (applied_turns): only the intervals of those turns that start once the turn's
    configuration was in force."""
    for a, b in zip(samples, samples[1:]):
        turn = a['tsc'] >> PERIOD_SHIFT
        if turn != b['tsc'] >> PERIOD_SHIFT:
            continue  # the interval spans two ways
        if applied is not None and not (turn in applied and a['tsc'] >= applied[turn]):
            continue  # the turn ran, or still ran, under the other way's configuration
        yield turn & (n_ways - 1), a, b


def ways(samples, unit, n_ways, min_busy, min_units, applied=None):
    """{way: (cycles per unit over its intervals, median interval's cycles per unit, intervals,
    units per TSC cycle over them, their busy fraction)}, of the intervals (as intervals()
    gives them) with min_units units at min_busy or more."""
    acc = {}
    for way, a, b in intervals(samples, n_ways, applied):
        units = b[unit] - a[unit]
        busy = b['busy_cycles'] - a['busy_cycles']
        idle = b['idle_cycles'] - a['idle_cycles']
        if units < min_units or busy + idle <= 0 or busy / (busy + idle) < min_busy:
            continue
        # busy cycles, units, each interval's ratio, idle cycles, TSC cycles spanned
        sums = acc.setdefault(way, [0, 0, [], 0, 0])
        sums[0] += busy
        sums[1] += units
        sums[2].append(busy / units)
        sums[3] += idle
        sums[4] += b['tsc'] - a['tsc']
    return {w: (c / n, statistics.median(e), len(e), n / span, c / (c + i))
            for w, (c, n, e, i, span) in sorted(acc.items())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('samples', help="an appliance's telemetry samples (NAME.R.samples.jsonl)")
    ap.add_argument('unit', help='the counter a unit is (http_requests, conn_closed, ...)')
    ap.add_argument('--ways', type=int, default=2, choices=(2, 4, 8))
    ap.add_argument('--min-busy', type=float, default=0.9)
    ap.add_argument('--min-units', type=int, default=1000)
    ap.add_argument('--turns', metavar='LOG',
                    help="bench/shed_turns.py's log of the run: each turn's intervals only "
                         'from when its configuration was in force')
    args = ap.parse_args()
    samples = load_samples(args.samples)  # a last line the sampler's stop cut short is skipped
    if len(samples) < 2:
        sys.exit(f'alternate.py: {args.samples}: fewer than two telemetry samples')
    hz = samples[0].get('tsc_hz')
    applied = applied_turns(turns_log(args.turns)) if args.turns else None
    for way, (per_unit, median, n, per_tsc, busy) in ways(samples, args.unit, args.ways,
                                                          args.min_busy, args.min_units,
                                                          applied).items():
        rate = f'{per_tsc * hz:,.0f} units/s' if hz else f'{per_tsc:.3g} units per TSC cycle'
        print(f'way {way}: {per_unit:.1f} busy cycles per unit, median interval {median:.1f}, '
              f'{n} intervals; {rate} at {busy:.3f} busy')


if __name__ == '__main__':
    main()
