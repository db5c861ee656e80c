#!/usr/bin/env python3
"""The appliance's SYN shedding off in the closed loop's turns of tcpterm-gen --alternate, on in
the open loop's.

tcpterm-gen --alternate runs the cps runs' closed loop while bit PERIOD_SHIFT of the TSC is 0 and
overload's open loop while it is 1 (bench/alternate.py).  The two figures it sets side by side
are measured with shedding set apart: the capacity with it off (a closed loop's full polls are its
own waves, not overload, and a shed SYN idles one of its connections for 20-40 ms), overload with
it on.  So as each turn begins this rewrites tcp.syn_shed_full_polls in the appliance's
configuration file (0, or --shed in the open loop's turns) and asks for a reload
(/tcpterm/reload: the worker reads the latest configuration every poll), then reads the
appliance's TSC: from there the turn runs as it should.  One JSON line per turn goes to --out:

    {"turn": T, "turn_tsc": where the turn began, "applied_tsc": TSC once the reload answered,
     "shed": the value, "outcome": "applied" or "refused", "message": the appliance's}

bench/alternate.py --turns LOG then counts only the intervals that start after their turn's
applied_tsc (a reload waits for the main lcore's 20 ms tick: 15-25 ms measured).  A refused
reload (more configuration generations still held by open connections than the appliance keeps)
leaves its turn out.  Runs until the appliance stops answering, --duration passes, or
SIGTERM/SIGINT.

    bench/shed_turns.py --prefix P --conf FILE --shed K --out LOG [--duration S]
"""
import argparse
import json
import os
import re
import signal
import sys
import time

from alternate import PERIOD_SHIFT
from telemetry import wait_for

SHED_KEY = re.compile(r'syn_shed_full_polls\s*=\s*\d+')


def turn_of(tsc):
    """The turn holding tsc, and its way: 0 the closed loop, 1 the open loop."""
    turn = tsc >> PERIOD_SHIFT
    return turn, turn & 1


def shed_for(way, shed):
    """tcp.syn_shed_full_polls for a turn of way."""
    return shed if way == 1 else 0


def with_shed(text, value):
    """The configuration text with tcp.syn_shed_full_polls set to value (it must be there)."""
    out, n = SHED_KEY.subn(f'syn_shed_full_polls = {value}', text)
    if n != 1:
        raise ValueError(f'syn_shed_full_polls appears {n} times, not once')
    return out


def write_conf(path, value):
    """Rewrite path with value, whole: the appliance never reads a file half written."""
    with open(path) as f:
        text = with_shed(f.read(), value)
    tmp = f'{path}.shed'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def seconds_to_next_turn(tsc, hz):
    return ((((tsc >> PERIOD_SHIFT) + 1) << PERIOD_SHIFT) - tsc) / hz


def set_turn(t, conf, turn, value):
    """Rewrite conf with value, reload, and the turn's log line."""
    write_conf(conf, value)
    r = t.query('/tcpterm/reload')
    done = t.query('/tcpterm/stats')['tsc']
    return {'turn': turn, 'turn_tsc': turn << PERIOD_SHIFT, 'applied_tsc': done, 'shed': value,
            'outcome': r.get('outcome'), 'message': r.get('message')}


def drive(t, conf, shed, out, deadline, stop):
    """Set each turn's shedding as it begins, until the appliance stops answering; returns the
    turns logged."""
    applied_turn, n = None, 0
    while not stop and time.monotonic() < deadline:
        try:
            s = t.query('/tcpterm/stats')
            turn, way = turn_of(s['tsc'])
            if turn != applied_turn:
                out.write(json.dumps(set_turn(t, conf, turn, shed_for(way, shed))) + '\n')
                out.flush()
                applied_turn, n = turn, n + 1
                continue
        except (OSError, ValueError):
            break  # the appliance has stopped
        # The TSC runs at tsc_hz: sleep to just before the boundary, then poll closely, so the
        # telemetry thread (on the generator's CPU) answers a few queries a turn.
        time.sleep(min(max(seconds_to_next_turn(s['tsc'], s['tsc_hz']) - 0.005, 0.001), 1.0))
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--prefix', required=True, help="the appliance's --file-prefix")
    ap.add_argument('--conf', required=True, help='its configuration file (-f), rewritten')
    ap.add_argument('--shed', type=int, required=True,
                    help="tcp.syn_shed_full_polls in the open loop's turns")
    ap.add_argument('--out', required=True)
    ap.add_argument('--duration', type=float, default=600)
    ap.add_argument('--start-timeout', type=float, default=60)
    args = ap.parse_args()
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(True))
    t = wait_for(args.prefix, args.start_timeout, stop)
    if t is None:
        return 0 if stop else 1
    with open(args.out, 'w') as out:
        n = drive(t, args.conf, args.shed, out, time.monotonic() + args.duration, stop)
    t.close()
    print(f'shed_turns: {n} turns of {args.prefix}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
