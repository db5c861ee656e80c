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
syncookies_sent (synflood).
"""
import argparse
import statistics
import sys

from report import load_samples

PERIOD_SHIFT = 30  # a way lasts 2^30 TSC cycles


def ways(samples, unit, n_ways, min_busy, min_units):
    """{way: (cycles per unit over its intervals, median interval's cycles per unit, intervals,
    units per TSC cycle over them, their busy fraction)}."""
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
    args = ap.parse_args()
    samples = load_samples(args.samples)  # a last line the sampler's stop cut short is skipped
    if len(samples) < 2:
        sys.exit(f'alternate.py: {args.samples}: fewer than two telemetry samples')
    hz = samples[0].get('tsc_hz')
    for way, (per_unit, median, n, per_tsc, busy) in ways(samples, args.unit, args.ways,
                                                          args.min_busy,
                                                          args.min_units).items():
        rate = f'{per_tsc * hz:,.0f} units/s' if hz else f'{per_tsc:.3g} units per TSC cycle'
        print(f'way {way}: {per_unit:.1f} busy cycles per unit, median interval {median:.1f}, '
              f'{n} intervals; {rate} at {busy:.3f} busy')


if __name__ == '__main__':
    main()
