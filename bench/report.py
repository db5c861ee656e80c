#!/usr/bin/env python3
"""Turn bench/run.sh's raw outputs into results.json, results.md and plots.

Every figure is the median over the runs, with its unit; the link's own
limit and the Linux kernel's figures stand beside tcpterm's.  Exits 1 when
a run shows a correctness failure (see check_correctness), never because a
number is low.
"""
import argparse
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys

TCP_SCENARIOS = ['cps', 'cps_server_close', 'cps_table_full', 'rps', 'rps_pipelined', 'synflood', 'concurrent',
                 'throughput']


def last_json(path):
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.startswith('{')]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def appliance_counters(path):
    """The final counters, cycles and memory figures an appliance printed."""
    out = {}
    try:
        text = open(path).read()
    except OSError:
        return None
    if 'final counters' not in text:
        return None
    tail = text.split('final counters:', 1)[1]
    for m in re.finditer(r'^\s+(\w+)\s+(-?\d+)$', tail, re.M):
        out[m.group(1)] = int(m.group(2))
    m = re.search(r'connections: total (\d+)', tail)
    out['conns_total'] = int(m.group(1)) if m else None
    m = re.search(r'cycles: busy (\d+) idle (\d+) tsc_hz (\d+)', tail)
    if m:
        out['busy_cycles'], out['idle_cycles'], out['tsc_hz'] = map(int, m.groups())
    m = re.search(r'tcb (\d+) B \+ table (\d+) B, per TIME-WAIT entry (\d+) B', text)
    if m:
        out['tcb_bytes'], out['table_bytes'], out['tw_bytes'] = map(int, m.groups())
    return out


def wrk_rate(path):
    try:
        text = open(path).read()
    except OSError:
        return None, None
    m = re.search(r'Requests/sec:\s+([\d.]+)', text)
    errors = re.search(r'Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)', text)
    return (float(m.group(1)) if m else None), (sum(map(int, errors.groups())) if errors else 0)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def figure(values, unit):
    return {'median': median(values), 'runs': values, 'unit': unit}


def machine_info():
    cpu = 'unknown'
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    try:
        dpdk = subprocess.run(['pkg-config', '--modversion', 'libdpdk'], capture_output=True,
                              text=True).stdout.strip()
    except OSError:
        dpdk = 'unknown'
    return {'cpu': cpu, 'cores': os.cpu_count(), 'kernel': platform.release(), 'dpdk': dpdk,
            'link': 'net_virtio_user (appliance) <-> net_vhost (generator), 1 queue each'}


def scenario_figures(raw, name, runs):
    gens = [last_json(os.path.join(raw, f'{name}.{r}.gen.json')) for r in range(1, runs + 1)]
    apps = [appliance_counters(os.path.join(raw, f'{name}.{r}.appliance.log'))
            for r in range(1, runs + 1)]
    g = [x or {} for x in gens]
    a = [x or {} for x in apps]

    def per_conn_cycles(x):
        opened = x.get('conn_opened') or 0
        return x['busy_cycles'] / opened if opened and 'busy_cycles' in x else None

    def per_packet_cycles(x):
        pkts = x.get('rx_packets') or 0
        return x['busy_cycles'] / pkts if pkts and 'busy_cycles' in x else None

    def busy_ratio(x):
        total = x.get('busy_cycles', 0) + x.get('idle_cycles', 0)
        return x['busy_cycles'] / total if total else None

    def capacity(x):
        c = per_conn_cycles(x)
        return x['tsc_hz'] / c if c else None

    def steadiness(x):
        # The slowest second of the load against its median second; the first second (ramp)
        # and what follows the load (the drain) are left out.
        load = x.get('seconds') or 0
        rates = [p['cps'] for p in x.get('per_second', []) if 2 <= p['t'] < int(load)]
        return min(rates) / statistics.median(rates) if len(rates) >= 2 and \
            statistics.median(rates) else None

    f = {
        'cps': figure([x.get('cps') for x in g], 'connections/s'),
        'cps_steadiness': figure([steadiness(x) for x in g], 'slowest second / median second'),
        'time_wait_recycled_rate': figure(
            [x['time_wait_recycled'] / y['seconds'] if 'time_wait_recycled' in x and
             y.get('seconds') else None for x, y in zip(a, g)], 'entries/s'),
        'rps': figure([x.get('rps') for x in g], 'requests/s'),
        'gbps': figure([x.get('gbps') for x in g], 'Gbit/s'),
        'syn_rate': figure([x.get('syn_rate') for x in g], 'SYN/s'),
        'connect_p50': figure([x.get('connect_us', {}).get('p50') for x in g], 'us'),
        'connect_p99': figure([x.get('connect_us', {}).get('p99') for x in g], 'us'),
        'connect_p999': figure([x.get('connect_us', {}).get('p999') for x in g], 'us'),
        'request_p50': figure([x.get('request_us', {}).get('p50') for x in g], 'us'),
        'request_p99': figure([x.get('request_us', {}).get('p99') for x in g], 'us'),
        'request_p999': figure([x.get('request_us', {}).get('p999') for x in g], 'us'),
        'attempted': figure([x.get('conns_attempted') for x in g], 'connections'),
        'completed': figure([x.get('conns_completed') for x in g], 'connections'),
        'established_peak': figure([x.get('conns_established') for x in g], 'connections'),
        'failed': figure([x.get('failed_total') for x in g], 'connections'),
        'appliance_busy': figure([busy_ratio(x) for x in a], 'fraction of TSC cycles'),
        'appliance_cycles_per_conn': figure([per_conn_cycles(x) for x in a], 'cycles'),
        'appliance_cycles_per_packet': figure([per_packet_cycles(x) for x in a], 'cycles'),
        'appliance_capacity_cps': figure([capacity(x) for x in a], 'connections/s per core'),
        'appliance_syncookie_rate': figure(
            [x['syncookies_sent'] / y['seconds'] if 'syncookies_sent' in x and y.get('seconds')
             else None for x, y in zip(a, g)], 'SYN-ACKs/s'),
    }
    completed = [x.get('conns_completed') for x in g]
    attempted = [x.get('conns_attempted') for x in g]
    f['completion_ratio'] = figure(
        [c / t if c is not None and t else None for c, t in zip(completed, attempted)], 'ratio')
    return f, gens, apps


def check_correctness(name, gens, apps, problems):
    for r, (g, a) in enumerate(zip(gens, apps), 1):
        where = f'{name} run {r}'
        if g is None:
            problems.append(f'{where}: the generator produced no result')
            continue
        if a is None:
            problems.append(f'{where}: the appliance printed no final counters')
            continue
        failed = g.get('failed', {})
        if failed.get('bad_data') or failed.get('bad_status'):
            problems.append(f'{where}: bad response bytes or status ({failed})')
        if name != 'synflood' and (g.get('failed_total') or g.get('conns_unfinished')):
            problems.append(f'{where}: {g.get("failed_total")} failed and '
                            f'{g.get("conns_unfinished")} unfinished connections without a flood '
                            f'({failed})')
        if g.get('conns_attempted', 0) == 0:
            problems.append(f'{where}: no connection was attempted')
        if a.get('conns_total'):
            problems.append(f'{where}: {a["conns_total"]} connections left in the appliance '
                            f'after its timers expired')


def link_figures(raw, runs):
    res = [last_json(os.path.join(raw, f'link.{r}.gen.json')) for r in range(1, runs + 1)]
    return figure([x.get('rx_mpps') if x else None for x in res], 'Mpps round trip')


def linux_figures(raw, runs):
    ka = [wrk_rate(os.path.join(raw, f'linux_keepalive.{r}.txt')) for r in range(1, runs + 1)]
    cl = [wrk_rate(os.path.join(raw, f'linux_close.{r}.txt')) for r in range(1, runs + 1)]
    return (figure([x[0] for x in ka], 'requests/s'), figure([x[0] for x in cl], 'connections/s'),
            [x[1] for x in ka + cl])


def ratio(a, b):
    return a / b if a is not None and b else None


def fmt(v, unit=''):
    if v is None:
        return 'n/a'
    if isinstance(v, float) and v < 10:
        return f'{v:.3f}{unit}'
    return f'{v:,.0f}{unit}'


def plots(out, gens_by_name):
    gp = 'gnuplot'
    series = os.path.join(out, 'per_second.dat')
    with open(series, 'w') as f:
        for name in ('cps', 'rps'):
            g = (gens_by_name.get(name) or [None])[0]
            f.write(f'# {name}\n')
            for p in (g or {}).get('per_second', []):
                f.write(f'{p["t"]} {p["cps"] if name == "cps" else p["rps"]}\n')
            f.write('\n\n')
    cdf = os.path.join(out, 'latency_cdf.dat')
    with open(cdf, 'w') as f:
        for key in ('connect_us', 'request_us'):
            g = (gens_by_name.get('cps') or [None])[0]
            f.write(f'# {key}\n')
            for q, v in (g or {}).get(key, {}).get('cdf', []):
                f.write(f'{v} {q}\n')
            f.write('\n\n')
    script = f"""
set terminal pngcairo size 900,500
set output '{out}/rate_vs_time.png'
set title 'tcpterm over virtio: connections/s (cps) and requests/s (rps), run 1'
set xlabel 'second'; set ylabel 'per second'; set grid
plot '{series}' index 0 with linespoints title 'cps', '' index 1 with linespoints title 'rps'
set output '{out}/latency_cdf.png'
set title 'cps scenario latency CDF, run 1'
set xlabel 'microseconds'; set ylabel 'fraction'; set logscale x
plot '{cdf}' index 0 with lines title 'connect', '' index 1 with lines title 'request'
"""
    try:
        subprocess.run([gp], input=script, text=True, check=False, capture_output=True)
    except OSError:
        pass


def markdown(res):
    s = res['scenarios']
    ref = res['reference']
    lines = [f"# tcpterm benchmark, {res['date']}", '',
             f"Machine: {res['machine']['cpu']}, {res['machine']['cores']} cores, "
             f"DPDK {res['machine']['dpdk']}; link: {res['machine']['link']}. "
             f"Medians of {res['params']['runs']} runs of {res['params']['duration_s']} s"
             f"{' (quick)' if res['params']['quick'] else ''}.", '',
             '| scenario | figure | tcpterm | reference | ratio |', '|---|---|---|---|---|',
             f"| link | raw round trip, 64 B frames | | {fmt(ref['link_mpps']['median'])} Mpps | |"]

    def row(name, label, key, refv=None, refl='', unit=''):
        v = s.get(name, {}).get(key, {}).get('median')
        lines.append(f'| {name} | {label} | {fmt(v, unit)} | {refl} | '
                     f'{fmt(ratio(v, refv)) if refv else ""} |')

    lk, lc = ref['linux_keepalive_rps']['median'], ref['linux_close_cps']['median']
    row('cps', 'connections/s (client closes)', 'cps', lc, f'Linux nginx {fmt(lc)}')
    row('cps', 'appliance cycles per connection', 'appliance_cycles_per_conn')
    row('cps', 'appliance capacity per core (TSC Hz / cycles)', 'appliance_capacity_cps')
    row('cps', 'appliance busy fraction', 'appliance_busy')
    row('cps', 'connect latency p50 (us)', 'connect_p50')
    row('cps', 'connect latency p99 (us)', 'connect_p99')
    row('cps', 'request latency p50 (us)', 'request_p50')
    row('cps', 'request latency p99 (us)', 'request_p99')
    row('cps', 'request latency p999 (us)', 'request_p999')
    row('cps_server_close', 'connections/s (server closes)', 'cps', lc, f'Linux nginx {fmt(lc)}')
    row('cps_server_close', 'slowest second / median second', 'cps_steadiness')
    row('cps_table_full', 'connections/s, table full of TIME-WAIT', 'cps', lc,
        f'Linux nginx {fmt(lc)}')
    row('cps_table_full', 'slowest second / median second', 'cps_steadiness')
    row('cps_table_full', 'TIME-WAIT entries recycled per s', 'time_wait_recycled_rate')
    row('rps', 'requests/s, 64 keep-alive conns', 'rps', lk, f'Linux nginx {fmt(lk)}')
    row('rps', 'appliance cycles per packet', 'appliance_cycles_per_packet')
    row('rps_pipelined', 'requests/s, pipeline 8', 'rps', lk, f'Linux nginx {fmt(lk)}')
    row('rps_pipelined', 'appliance busy fraction', 'appliance_busy')
    row('synflood', 'SYN/s offered by the generator', 'syn_rate')
    row('synflood', 'SYN cookies answered by the appliance, per s', 'appliance_syncookie_rate')
    row('synflood', 'appliance busy fraction', 'appliance_busy')
    row('synflood', 'legitimate completion ratio', 'completion_ratio')
    row('concurrent', 'connections held at once', 'established_peak')
    row('throughput', 'Gbit/s, 1 MiB responses', 'gbps')
    mem = res.get('memory', {})
    lines += ['', f"Memory per established connection: {mem.get('per_established_bytes')} B "
              f"(TCB {mem.get('tcb_bytes')} B + table {mem.get('table_bytes')} B, timer inside "
              f"the TCB); per TIME-WAIT entry: {mem.get('per_time_wait_bytes')} B. "
              f"10 M connections: {mem.get('ten_million_gib')} GiB.", '']
    lines += ['Ratios: tcpterm / link limit is in packets (each connection is 7-9 frames '
              'over the link), tcpterm / Linux is per core on the same machine.', '']
    if res['correctness']['problems']:
        lines += ['Correctness problems:', ''] + [f'- {p}' for p in res['correctness']['problems']]
    else:
        lines += ['Correctness: every run passed (no failed connection without a flood, no bad '
                  'byte, no connection left after timers expired).']
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--raw', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--duration', type=float, default=10)
    ap.add_argument('--quick', type=int, default=0)
    args = ap.parse_args()

    problems = []
    scenarios, gens_by_name, memory = {}, {}, {}
    for name in TCP_SCENARIOS:
        if not glob.glob(os.path.join(args.raw, f'{name}.*.gen.json')):
            continue
        f, gens, apps = scenario_figures(args.raw, name, args.runs)
        scenarios[name] = f
        gens_by_name[name] = gens
        check_correctness(name, gens, apps, problems)
        for a in apps:
            if a and 'tcb_bytes' in a:
                memory = {'tcb_bytes': a['tcb_bytes'], 'table_bytes': a['table_bytes'],
                          'per_established_bytes': a['tcb_bytes'] + a['table_bytes'],
                          'per_time_wait_bytes': a['tw_bytes'] + a['table_bytes']}
    if memory:
        memory['ten_million_gib'] = round(memory['per_established_bytes'] * 10e6 / 2**30, 2)
    lk, lc, wrk_errors = linux_figures(args.raw, args.runs)
    if any(wrk_errors):
        problems.append(f'wrk against nginx reported socket errors: {wrk_errors}')
    link = link_figures(args.raw, args.runs)
    res = {
        'date': os.path.basename(args.out.rstrip('/')),
        'machine': machine_info(),
        'params': {'runs': args.runs, 'duration_s': args.duration, 'quick': bool(args.quick)},
        'reference': {'link_mpps': link, 'linux_keepalive_rps': lk, 'linux_close_cps': lc},
        'scenarios': scenarios,
        'memory': memory,
        'ratios': {
            'cps_vs_linux': ratio(scenarios.get('cps', {}).get('cps', {}).get('median'),
                                  lc['median']),
            'rps_vs_linux': ratio(scenarios.get('rps', {}).get('rps', {}).get('median'),
                                  lk['median']),
            'rps_pps_vs_link': ratio(
                (scenarios.get('rps', {}).get('rps', {}).get('median') or 0) * 2 / 1e6,
                link['median']),
        },
        'correctness': {'ok': not problems, 'problems': problems},
    }
    with open(os.path.join(args.out, 'results.json'), 'w') as f:
        json.dump(res, f, indent=1)
    md = markdown(res)
    with open(os.path.join(args.out, 'results.md'), 'w') as f:
        f.write(md)
    plots(args.out, gens_by_name)
    print(md)
    print(f'bench: results in {args.out}')
    return 0 if not problems else 1


if __name__ == '__main__':
    sys.exit(main())
