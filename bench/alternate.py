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
figure and how many intervals it has.  The units: http_requests (rps), conn_closed (cps),
syncookies_sent (synflood).
"""
import argparse
import statistics
import sys

from report import load_samples

PERIOD_SHIFT = 30  # a way lasts 2^30 TSC cycles


def ways(samples, unit, n_ways, min_busy, min_units):
    """{way: (cycles per unit over its intervals, median interval's cycles per unit, intervals)}."""
    acc = {}
    for a, b in zip(samples, samples[1:]):
        if a['tsc'] >> PERIOD_SHIFT != b['tsc'] >> PERIOD_SHIFT:
            continue  # the interval spans two ways
        units = b[unit] - a[unit]
        busy = b['busy_cycles'] - a['busy_cycles']
        idle = b['idle_cycles'] - a['idle_cycles']
        if units < min_units or busy + idle <= 0 or busy / (busy + idle) < min_busy:
            continue
        way = (a['tsc'] >> PERIOD_SHIFT) & (n_ways - 1)
        sums = acc.setdefault(way, [0, 0, []])  # busy cycles, units, each interval's ratio
        sums[0] += busy
        sums[1] += units
        sums[2].append(busy / units)
    return {w: (c / n, statistics.median(e), len(e)) for w, (c, n, e) in sorted(acc.items())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('samples', help="an appliance's telemetry samples (NAME.R.samples.jsonl)")
    ap.add_argument('unit', help='the counter a unit is (http_requests, conn_closed, ...)')
    ap.add_argument('--ways', type=int, default=2, choices=(2, 4, 8))
    ap.add_argument('--min-busy', type=float, default=0.9)
    ap.add_argument('--min-units', type=int, default=1000)
    args = ap.parse_args()
    samples = load_samples(args.samples)  # a last line the sampler's stop cut short is skipped
    if len(samples) < 2:
        sys.exit(f'alternate.py: {args.samples}: fewer than two telemetry samples')
    for way, (per_unit, median, n) in ways(samples, args.unit, args.ways, args.min_busy,
                                           args.min_units).items():
        print(f'way {way}: {per_unit:.1f} busy cycles per unit, median interval {median:.1f}, '
              f'{n} intervals')


if __name__ == '__main__':
    main()
