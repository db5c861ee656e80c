#!/usr/bin/env python3
"""Turn bench/run.sh's raw outputs into results.json, results.md and plots.

Every figure is the median over the runs, with its unit; the link's own
limit and the Linux kernel's figures stand beside tcpterm's.

The per-core figures are taken over the generator's load window only: the
generator reports the window's bounds (TSC) and its own counters at both
ends; the appliance's come from the first and the last of its telemetry
samples inside that window (bench/telemetry.py).  Busy fraction, busy
cycles per connection (request, cookie), capacity = TSC Hz / those cycles,
frames per connection and rates are deltas between those two points, never
counters over a process's life.  A side whose busy fraction is at least
SATURATED is named as the one that bounds the run.

Exits 1 when a run shows a correctness failure (see check_correctness),
including a non-zero exit status and a window that could not be measured,
never because a number is low.
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

SATURATED = 0.9
TOP_FUNCTIONS = 15

TCP_SCENARIOS = ['cps', 'cps_server_close', 'cps_table_full', 'rps', 'rps_pipelined', 'synflood', 'concurrent',
                 'throughput', 'cps_vhost', 'overload', 'open_loop']
# Scenarios run on the link turned around (the appliance on net_vhost pays the copies) unless the
# run is on memif (bench/run.sh APPLIANCE_SIDE), so the virtio reflector's floor is not theirs.
VHOST_SIDE_SCENARIOS = ('cps_vhost', 'overload', 'open_loop')
# Scenarios whose load is meant to lose connections: failures are their figure, not a fault.
LOSSY_SCENARIOS = ('synflood', 'overload', 'open_loop')
# Connections the application has closed that still wait for the peer (Linux's orphans).
ORPHAN_STATES = ('fin_wait_1', 'closing', 'last_ack')

# What a scenario's per-core figures count: the unit (connections unless named here), the
# appliance's telemetry counter of it, and the figures' keys (rate, busy cycles per unit,
# capacity).
SCENARIO_UNITS = {'rps': 'request', 'rps_pipelined': 'request', 'synflood': 'SYN cookie',
                  'throughput': '1 MiB response'}
# The objects of the PMD, of whichever link the run had, and what it calls per frame (librte_net:
# the packet-type parse of the virtio RX offload path).
PMD_OBJECTS = ('librte_net_virtio', 'librte_net_memif', 'librte_net_vhost', 'librte_vhost',
               'librte_net.', 'librte_ethdev')
# The per-core goals (units per second) the floor section reads each unit's figures against.
GOALS = {'connection': 2.5e6, 'request': 6e6, 'SYN cookie': 12e6}


def _functions(*prefixes, files=()):
    """A component test: tcpterm's functions whose names start so (clones like .cold and
    .constprop.N included), or that were compiled from one of files (the static functions
    the compiler kept apart, whose names say nothing of their part; src: symbol_sources)."""
    return lambda dso, sym, src: dso == 'tcpterm' and (
        sym.startswith(prefixes) or (src is not None and src.endswith(files)))


# The parts of the work a profile's samples are summed into, first match wins.  The first
# ESSENTIAL_PARTS are what any TCP terminator does for every frame or unit on this link (take
# the frame from the PMD and give it a buffer back, read its headers, find its connection, and
# for a new one compute a MAC: the cookie or the ISN, RFC 6528), each at what it costs here;
# then the application, the rest of tcpterm, and other objects.
COMPONENTS = (
    ('the PMD (virtio, ethdev, its packet-type parse)',
     lambda dso, sym, src: dso.startswith(PMD_OBJECTS)),
    ('mbufs from and back to the pool',
     lambda dso, sym, src: dso.startswith('librte_mempool') or sym.startswith(
         ('rte_pktmbuf_free', 'rte_mempool', 'frame_alloc', 'frame_free', 'mbuf_release'))),
    ('received headers parsed (Ethernet, IP, TCP)',
     _functions('tt_net_parse', 'tt_net_peek', 'tt_worker_rx_burst',
                files=('tt_net_parse.c', 'tt_net_parse6.c'))),
    ('connection table (SipHash of the 4-tuple, probes, inserts, removals)',
     _functions('tt_conn_tbl', 'remove_slot', files=('tt_conn_tbl.c',))),
    ('SYN cookie and ISN MACs (SipHash)',
     _functions('tt_syncookie', 'tt_isn', files=('tt_syncookie.c', 'tt_isn.c'))),
    ('HTTP (requests parsed, responses queued)',
     _functions('tt_http', 'http_', files=('tt_http.c', 'tt_app.c'))),
    ('the rest of tcpterm (TCP, timers, frames built, the worker loop)',
     lambda dso, sym, src: dso == 'tcpterm'),
    ('other objects (libc copies, kernel, loader)', lambda dso, sym, src: True),
)
ESSENTIAL_PARTS = 5
# The COMPONENTS that hold an idle poll's samples: its receive call's and the loop's.
PMD_PART, REST_PART = (next(i for i, (label, _) in enumerate(COMPONENTS) if label.startswith(p))
                       for p in ('the PMD', 'the rest of tcpterm'))
IDLE_PART = 'idle polls (empty receive calls, and the loop around them)'
UNIT_FIGURES = {
    'connection': ('conn_opened', 'appliance_cps', 'cycles_per_conn', 'capacity_cps'),
    'request': ('http_requests', 'appliance_rps', 'cycles_per_request', 'capacity_rps'),
    '1 MiB response': ('http_requests', 'appliance_rps', 'cycles_per_request', 'capacity_rps'),
    'SYN cookie': ('syncookies_sent', 'cookies_rate', 'cycles_per_cookie', 'capacity_cookies'),
}


def scenario_unit(name):
    return SCENARIO_UNITS.get(name, 'connection')


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


def medians_of(scenarios):
    """med(name, key): scenario name's median of figure key in scenarios, None when absent."""
    def med(name, key):
        return scenarios.get(name, {}).get(key, {}).get('median')
    return med


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def figure(values, unit):
    return {'median': median(values), 'runs': values, 'unit': unit}


def git_revision():
    """The checkout's commit, with '-dirty' when tracked files differ from it."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        rev = subprocess.run(['git', '-C', here, 'rev-parse', '--short=12', 'HEAD'],
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(['git', '-C', here, 'status', '--porcelain',
                                '--untracked-files=no'], capture_output=True, text=True).stdout
    except OSError:
        return 'unknown'
    return (rev + ('-dirty' if dirty.strip() else '')) if rev else 'unknown'


# bench/run.sh's APPLIANCE_SIDE: which PMD each end of the link has.
LINKS = {'virtio': 'net_virtio_user (appliance) <-> net_vhost (generator)',
         'vhost': 'net_vhost (appliance) <-> net_virtio_user (generator)',
         'memif': 'net_memif zero-copy client (appliance) <-> net_memif server (generator)'}


# The appliance's receive on virtio-user, as bench/run.sh VIRTIO_RX chose it (raw/virtio_rx).
VIRTIO_RX = {'plain': "virtio's plain receive (mrg_rxbuf=0, vectorized=1), the appliance's "
                      "checksums in software",
             'offload': "virtio's mergeable receive, the appliance's checksums offloaded"}


def virtio_rx(raw):
    try:
        with open(os.path.join(raw, 'virtio_rx')) as f:
            return VIRTIO_RX.get(f.read().strip())
    except OSError:
        return None


def machine_info(link='virtio', rx=None):
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
            'git': git_revision(),
            'link': f"{LINKS[link]}, 1 queue each" + (
                f" ({rx})" if rx and link == 'virtio' else '') + (
                '' if link == 'memif' else f"; cps_vhost and overload: {LINKS['vhost']}")}


def load_samples(path):
    samples = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    samples.append(json.loads(line))
                except ValueError:
                    pass  # a line cut short when the sampler stopped
    except OSError:
        pass
    return samples


def appliance_window(samples, win):
    """Deltas of the appliance's counters between its first and last samples inside the
    generator's load window, with the span they cover."""
    if not win:
        return None
    inside = [x for x in samples if win['start_tsc'] <= x.get('tsc', -1) <= win['end_tsc']]
    if len(inside) < 2:
        return None
    a, b = inside[0], inside[-1]
    d = {k: b[k] - a[k] for k, v in b.items() if isinstance(v, int) and isinstance(a.get(k), int)}
    d['tsc_hz'] = b['tsc_hz']
    d['seconds'] = d['tsc'] / b['tsc_hz']
    d['coverage'] = d['tsc'] / (win['end_tsc'] - win['start_tsc'])
    wa, wb = a.get('workers', {}), b.get('workers', {})
    busy = [y - x for x, y in zip(wa.get('busy_cycles', []), wb.get('busy_cycles', []))]
    idle = [y - x for x, y in zip(wa.get('idle_cycles', []), wb.get('idle_cycles', []))]
    # The busiest worker is the one that saturates first.
    d['busy_fraction'] = max((bu / (bu + i) for bu, i in zip(busy, idle) if bu + i), default=None)
    d['orphans_peak'] = max(sum(x.get('conns', {}).get(k, 0) for k in ORPHAN_STATES)
                            for x in inside)
    return d


def memory_figures(samples):
    """The appliance's memory (ordinary pages + hugepages, from /proc) at the sample where it
    held the most connections, that memory per connection held, and how much it grew from the
    first sample (before the load: the table and the TCB pool are taken at start, so the
    growth is what the connections take beyond them)."""
    held = [x for x in samples if x.get('memory_kb') and isinstance(x.get('conns'), dict)]
    if not held:
        return {}
    first, peak = held[0], max(held, key=lambda x: x['conns'].get('total', 0))

    def kib(x):
        return sum(x['memory_kb'].values())

    conns = peak['conns'].get('total', 0)
    return {
        'conns_held_peak': conns,
        'memory_at_peak_mib': kib(peak) / 1024,
        'memory_per_conn_held': per(kib(peak) * 1024, conns),
        'memory_growth_per_conn': per((kib(peak) - kib(first)) * 1024, conns),
    }


def per(a, b):
    return a / b if a is not None and b else None


def saturated_side(app_busy, gen_busy, gen_refused=None):
    """The side(s) at SATURATED busy or more.  When both are, but the generator's TX queue (the
    appliance's RX ring) refused frames in the window, the generator offered more than the
    appliance took: the appliance bounds the run (a generator that sends on every iteration, as
    the synflood's at --rate 0, reads busy whatever the appliance does)."""
    if app_busy is None or gen_busy is None:
        return 'unknown'
    sides = [n for n, b in (('appliance', app_busy), ('generator', gen_busy)) if b >= SATURATED]
    if not sides:
        return 'neither (bounded by the in-flight cap, the offered rate or the link)'
    if len(sides) == 2 and gen_refused:
        return 'appliance (the generator offered more than it took)'
    return ' and '.join(sides)


def window_figures(w, g):
    """The figures of one run: w the appliance's window deltas, g the generator's window."""
    secs = w.get('seconds') if w else None
    gsecs = g.get('seconds') if g else None
    busy = w.get('busy_cycles') if w else None
    hz = w.get('tsc_hz') if w else None
    conns = w.get('conn_opened') if w else None
    reqs = w.get('http_requests') if w else None
    cookies = w.get('syncookies_sent') if w else None
    syns = w.get('syn_received') if w else None

    def wd(key):
        return w.get(key) if w else None

    def gd(key):
        return g.get(key) if g else None

    return {
        'window_s': secs,
        'window_coverage': wd('coverage'),
        'appliance_busy': wd('busy_fraction'),
        'generator_busy': gd('busy_fraction'),
        'appliance_cps': per(conns, secs),
        'appliance_rps': per(reqs, secs),
        'cycles_per_conn': per(busy, conns),
        'cycles_per_request': per(busy, reqs),
        'cycles_per_rx_frame': per(busy, wd('rx_packets')),
        'port_rx_cycles_per_rx_frame': per(wd('port_rx_cycles'), wd('rx_packets')),
        'port_tx_cycles_per_tx_frame': per(wd('port_tx_cycles'), wd('tx_packets')),
        'tx_per_rx_frame': per(wd('tx_packets'), wd('rx_packets')),
        'cycles_per_cookie': per(busy, cookies),
        'capacity_cps': per(hz, per(busy, conns)),
        'capacity_rps': per(hz, per(busy, reqs)),
        'capacity_cookies': per(hz, per(busy, cookies)),
        'frames_in_per_conn': per(wd('rx_packets'), conns),
        'frames_out_per_conn': per(wd('tx_packets'), conns),
        'frames_per_busy_loop': per(wd('rx_packets'), wd('loops') - wd('loops_idle'))
                                if w and 'loops' in w and 'loops_idle' in w else None,
        'syns_shed_per_conn': per(wd('drop_tcp_syn_shed'), conns),
        'stalls_100us_rate': per(wd('loops_over_100us'), secs),
        'stalls_1ms_rate': per(wd('loops_over_1ms'), secs),
        'time_wait_recycled_rate': per(wd('time_wait_recycled'), secs),
        'syns_offered_rate': per(gd('syns_sent'), gsecs),
        'syns_accepted_rate': per(gd('syns_accepted'), gsecs),
        'syns_refused_by_tx': (gd('syns_sent') - gd('syns_accepted')) if g else None,
        'syns_received_rate': per(syns, secs),
        'cookies_rate': per(cookies, secs),
        'cookies_per_syn_received': per(cookies, syns),
        'cookies_received_rate': per(gd('flood_rx'), gsecs),
        'legit_scheduled': gd('legit_scheduled'),
        'legit_attempted': gd('attempted'),
        'legit_attempted_per_scheduled': per(gd('attempted'), gd('legit_scheduled')),
        'generator_cps': per(gd('completed'), gsecs),
        'generator_cycles_per_conn': per(gd('busy_cycles'), gd('completed')),
        'offered_cps': per(gd('attempted'), gsecs),
        'generator_tx_refused': gd('tx_refused'),
        'nic_imissed': wd('nic_imissed'),
        'orphans_peak': wd('orphans_peak'),
        'retransmits_rate': per(wd('retransmits'), secs),
        'table_full_drops': wd('drop_tcp_table_full'),
        'orphans_reset': wd('orphans_reset'),
        'syns_shed': wd('drop_tcp_syn_shed'),
        'tx_held_retried': wd('tx_held_retried'),
        'tx_held_dropped': wd('tx_held_dropped'),
    }


WINDOW_UNITS = {
    'window_s': 's', 'window_coverage': 'fraction of the load window between the samples',
    'appliance_busy': 'fraction of TSC cycles', 'generator_busy': 'fraction of TSC cycles',
    'appliance_cps': 'connections/s', 'appliance_rps': 'requests/s',
    'cycles_per_conn': 'busy cycles', 'cycles_per_request': 'busy cycles',
    'generator_cycles_per_conn': 'the generator\'s busy cycles per completed connection',
    'cycles_per_rx_frame': 'busy cycles', 'cycles_per_cookie': 'busy cycles',
    'port_rx_cycles_per_rx_frame': 'busy cycles in the port\'s receive calls (their empty '
                                   'polls in busy iterations included)',
    'port_tx_cycles_per_tx_frame': 'busy cycles in the port\'s send calls',
    'tx_per_rx_frame': 'frames sent per frame received',
    'capacity_cps': 'connections/s per core', 'capacity_rps': 'requests/s per core',
    'capacity_cookies': 'SYN cookies/s per core', 'frames_in_per_conn': 'frames',
    'frames_out_per_conn': 'frames', 'time_wait_recycled_rate': 'entries/s',
    'frames_per_busy_loop': 'frames received per busy iteration of the worker',
    'syns_shed_per_conn': 'SYNs shed per connection opened',
    'stalls_100us_rate': 'worker iterations of 100 us or more a second',
    'stalls_1ms_rate': 'worker iterations of 1 ms or more a second',
    'syns_offered_rate': 'SYN/s', 'syns_accepted_rate': 'SYN/s',
    'syns_refused_by_tx': 'SYNs', 'syns_received_rate': 'SYN/s', 'cookies_rate': 'SYN-ACKs/s',
    'cookies_per_syn_received': 'ratio', 'cookies_received_rate': 'frames/s',
    'legit_scheduled': 'connections',
    'legit_attempted': 'connections', 'legit_attempted_per_scheduled': 'ratio',
    'generator_cps': 'connections/s',
    'offered_cps': 'connections/s the generator attempted (SYNs it sent)',
    'generator_tx_refused': 'frames the generator\'s TX queue (the appliance\'s RX ring) refused',
    'nic_imissed': 'frames', 'orphans_peak': 'connections (FIN-WAIT-1 + CLOSING + LAST-ACK)',
    'retransmits_rate': 'retransmission timeouts/s', 'table_full_drops': 'SYNs',
    'orphans_reset': 'connections', 'syns_shed': 'SYNs', 'tx_held_retried': 'frames',
    'tx_held_dropped': 'frames',
}


def scenario_figures(raw, name, runs):
    gens = [last_json(os.path.join(raw, f'{name}.{r}.gen.json')) for r in range(1, runs + 1)]
    apps = [appliance_counters(os.path.join(raw, f'{name}.{r}.appliance.log'))
            for r in range(1, runs + 1)]
    g = [x or {} for x in gens]
    wins = [appliance_window(load_samples(os.path.join(raw, f'{name}.{r}.samples.jsonl')),
                             x.get('window')) for r, x in enumerate(g, 1)]
    per_run = [window_figures(w, x.get('window')) for w, x in zip(wins, g)]
    mems = [memory_figures(load_samples(os.path.join(raw, f'{name}.{r}.samples.jsonl')))
            for r in range(1, runs + 1)]

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
        'rps': figure([x.get('rps') for x in g], 'requests/s'),
        'gbps': figure([x.get('gbps') for x in g], 'Gbit/s'),
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
        # The HTTP body's bytes per response the generator verified, so a run with another body
        # (bench/run.sh RPS_BODY) says so beside its figures.
        'body_bytes': figure([per(x.get('body_bytes_verified'), x.get('responses_ok'))
                              for x in g], 'bytes per response'),
    }
    for key, unit in WINDOW_UNITS.items():
        f[key] = figure([x[key] for x in per_run], unit)
    for key, unit in (('conns_held_peak', 'connections'), ('memory_at_peak_mib', 'MiB'),
                      ('memory_per_conn_held', 'bytes'), ('memory_growth_per_conn', 'bytes')):
        f[key] = figure([m.get(key) for m in mems], unit)
    # The stateless client's TX queue, over the whole run (bench/gen/gen_sl_tx.h): replies it
    # refused were held and sent again; those beyond the hold's bound were dropped (each a
    # connection lost).  None for the stateful client.
    for key in ('replies_held', 'replies_dropped'):
        f['generator_' + key] = figure([x.get('counters', {}).get(key) for x in g], 'replies')
    f['completion_ratio'] = figure(
        [per(x.get('conns_completed'), x.get('conns_attempted')) for x in g], 'ratio')
    f['saturated'] = saturated_side(f['appliance_busy']['median'], f['generator_busy']['median'],
                                    f['generator_tx_refused']['median'])
    link_floor_figures(f, raw, name, per_run)
    responder_figures(f, raw, name, per_run)
    if name in ('overload', 'open_loop'):
        cap = read_number(os.path.join(raw, 'overload.capacity'))
        f['capacity_cps_used'] = figure([cap], 'connections/s (the capacity runs\' median or '
                                                'given)')
        f['offered_per_capacity'] = figure([per(x['offered_cps'], cap) for x in per_run],
                                           'fraction of capacity')
        f['goodput_per_capacity'] = figure([per(x['generator_cps'], cap) for x in per_run],
                                           'fraction of capacity')
    return f, gens, apps, wins


def link_floor_figures(f, raw, name, per_run):
    """The link run right after each run (bench/run.sh scenario), when the invocation made them:
    the reflector's busy cycles per frame in the same minutes, and the run's cycles in the port's
    calls and its busy cycles against the link floor of its frames, run by run.  The floor's
    frame is one received and one sent back, so i frames in and o out have (i + o) / 2 of it."""
    samples = [last_json(os.path.join(raw, f'{name}.{r}.link.reflect.json'))
               for r in range(1, len(per_run) + 1)]
    if not any(samples):
        return
    refl = [(x or {}).get('busy_cycles_per_rx_frame') for x in samples]

    def against_floor(cycles_per_rx_frame, x, floor):
        t = x['tx_per_rx_frame']
        if None in (cycles_per_rx_frame, t, floor):
            return None
        return per(cycles_per_rx_frame, floor * (1 + t) / 2)

    def port_per_rx_frame(x):
        p_rx, p_tx, t = (x['port_rx_cycles_per_rx_frame'], x['port_tx_cycles_per_tx_frame'],
                         x['tx_per_rx_frame'])
        return p_rx + p_tx * t if None not in (p_rx, p_tx, t) else None

    f['link_cycles_per_frame'] = figure(
        refl, 'the reflector\'s busy cycles per frame received and sent back, in a link run '
              'right after the run')
    f['port_per_link_floor'] = figure(
        [against_floor(port_per_rx_frame(x), x, c) for x, c in zip(per_run, refl)], 'ratio')
    f['busy_per_link_floor'] = figure(
        [against_floor(x['cycles_per_rx_frame'], x, c) for x, c in zip(per_run, refl)], 'ratio')


# What the responder (bench/gen/gen_responder.h) counts a unit by: a connection or a cookie a
# SYN-ACK sent, a request a response.
RESPONDER_UNITS = {'connection': 'syn_acks', 'request': 'responses', 'SYN cookie': 'syn_acks'}


def responder_figures(f, raw, name, per_run):
    """The responder run right after each run (bench/run.sh responder_run), when the invocation
    made them: the responder's busy cycles per unit, its busy fraction, the rate its client
    reached, and the appliance's busy cycles per unit over the responder's, run by run."""
    runs = range(1, len(per_run) + 1)
    rsp = [last_json(os.path.join(raw, f'{name}.{r}.rsp.json')) for r in runs]
    if not any(rsp):
        return
    unit = scenario_unit(name)
    key, app_key = RESPONDER_UNITS[unit], UNIT_FIGURES[unit][2]
    gen = [last_json(os.path.join(raw, f'{name}.{r}.rsp.gen.json')) or {} for r in runs]
    cycles = [per((x or {}).get('busy_cycles'), (x or {}).get(key)) for x in rsp]
    f['responder_cycles_per_unit'] = figure(
        cycles, f'the responder\'s busy cycles per {unit} (no TCP state), right after the run')
    f['responder_port_per_unit'] = figure(
        [per((x or {}).get('port_rx_cycles', 0) + (x or {}).get('port_tx_cycles', 0)
             if x and 'port_rx_cycles' in x else None, (x or {}).get(key)) for x in rsp],
        f'the responder\'s busy cycles per {unit} in its port\'s receive and send calls')
    f['responder_busy'] = figure([(x or {}).get('busy_fraction') for x in rsp],
                                 'fraction of TSC cycles, first frame received to last')
    f['responder_rate'] = figure(
        [x.get('rps' if unit == 'request' else 'cps') if unit != 'SYN cookie' else None
         for x in gen], f'{unit}s/s the same client reached against the responder')
    f['appliance_per_responder'] = figure(
        [per(x[app_key], c) for x, c in zip(per_run, cycles)],
        'the appliance\'s busy cycles per unit / the responder\'s, run by run')


def read_number(path):
    try:
        with open(path) as f:
            return float(f.read().strip())
    except (OSError, ValueError):
        return None


def exit_status(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def check_exit(problems, where, path, allowed=(0,)):
    rc = exit_status(path)
    if rc is None:
        problems.append(f'{where}: no exit status recorded ({os.path.basename(path)})')
    elif rc not in allowed:
        problems.append(f'{where}: exited with status {rc}')


def check_correctness(raw, name, gens, apps, wins, problems):
    for r, (g, a, w) in enumerate(zip(gens, apps, wins), 1):
        where = f'{name} run {r}'
        check_exit(problems, f'{where}: the appliance', os.path.join(
            raw, f'{name}.{r}.appliance.log.rc'))
        # 3: some connections failed; the checks below judge that per scenario.
        check_exit(problems, f'{where}: the generator', os.path.join(
            raw, f'{name}.{r}.gen.json.rc'), (0, 3))
        link = os.path.join(raw, f'{name}.{r}.link')
        if os.path.exists(link + '.reflect.json'):
            check_exit(problems, f'{where}: the link run after it, the blaster',
                       link + '.gen.json.rc')
            check_exit(problems, f'{where}: the link run after it, the reflector',
                       link + '.reflect.json.rc')
        rsp = os.path.join(raw, f'{name}.{r}.rsp')
        if os.path.exists(rsp + '.json'):
            check_exit(problems, f'{where}: the responder run after it, the responder',
                       rsp + '.json.rc')
            check_exit(problems, f'{where}: the responder run after it, the generator',
                       rsp + '.gen.json.rc', (0, 3))
            rg = last_json(rsp + '.gen.json') or {}
            if name not in LOSSY_SCENARIOS and (rg.get('failed_total') or
                                                rg.get('conns_unfinished')):
                problems.append(f'{where}: the responder run after it: '
                                f'{rg.get("failed_total")} failed and '
                                f'{rg.get("conns_unfinished")} unfinished connections')
        if g is None:
            problems.append(f'{where}: the generator produced no result')
            continue
        if a is None:
            problems.append(f'{where}: the appliance printed no final counters')
            continue
        if 'window' not in g:
            problems.append(f'{where}: the generator reported no load window')
        elif w is None:
            problems.append(f'{where}: no two telemetry samples of the appliance inside the '
                            f'load window')
        failed = g.get('failed', {})
        if failed.get('bad_data') or failed.get('bad_status'):
            problems.append(f'{where}: bad response bytes or status ({failed})')
        if name not in LOSSY_SCENARIOS and (g.get('failed_total') or g.get('conns_unfinished')):
            # Why the generator's own stack ended connections, where it says (since 2026-12-05).
            closes = ''
            if 'stack_closes' in g:
                closes = ', '.join(f'{k} {v}' for k, v in g['stack_closes'].items() if v)
                closes = f'; its stack ended connections: {closes or "none"}'
            problems.append(f'{where}: {g.get("failed_total")} failed and '
                            f'{g.get("conns_unfinished")} unfinished connections without a flood '
                            f'({failed}; the generator\'s TX queue: {g.get("tx_failed")} frames '
                            f'refused and freed{closes})')
        if g.get('conns_attempted', 0) == 0:
            problems.append(f'{where}: no connection was attempted')
        if a.get('conns_total'):
            problems.append(f'{where}: {a["conns_total"]} connections left in the appliance '
                            f'after its timers expired')


def profile_window(raw, name, gen):
    """The appliance's telemetry over a profile run's load window (appliance_window)."""
    return appliance_window(load_samples(os.path.join(raw, f'profile-{name}.samples.jsonl')),
                            gen.get('window'))


def profile_rate(raw, name, gen):
    """Units per second the appliance served in a profile run's load window (its telemetry), or
    failing that (no samples) what the generator counted over its whole run."""
    unit = scenario_unit(name)
    w = profile_window(raw, name, gen)
    if w and w.get(UNIT_FIGURES[unit][0]):
        return w[UNIT_FIGURES[unit][0]] / w['seconds']
    if unit == 'SYN cookie':
        return per(gen.get('flood_rx'), gen.get('seconds'))
    return gen.get('rps' if unit == 'request' else 'cps')


def symbol_sources(raw):
    """tcpterm's function names and the one object each was compiled into (meson names it
    after the source's path: lib_app_tt_http.c), from the `nm -A` listing of its libraries
    that bench/run.sh writes (raw/symbols.txt); a name that two objects define maps to none."""
    files = {}
    try:
        with open(os.path.join(raw, 'symbols.txt')) as f:
            for line in f:
                m = re.match(r'(?:[^:]+\.a:)?(?:[^:]*/)?([^/:]+)\.o:\s*[0-9a-f]*\s+[tT]\s+'
                             r'(\S+)$', line.strip())
                if m:
                    files.setdefault(m.group(2).split('.')[0], set()).add(m.group(1))
    except OSError:
        pass
    return {sym: next(iter(srcs)) for sym, srcs in files.items() if len(srcs) == 1}


def idle_polls(w):
    """The shares of a profile run's worker cycles over its load window (appliance_window)
    that were idle polls: {'rx': in their empty receive calls, 'loop': around them}; None for a
    run whose appliance did not count idle_port_rx_cycles."""
    if not w or 'idle_port_rx_cycles' not in w:
        return None
    total = w.get('busy_cycles', 0) + w.get('idle_cycles', 0)
    if total <= 0:
        return None
    return {'rx': w['idle_port_rx_cycles'] / total,
            'loop': (w['idle_cycles'] - w['idle_port_rx_cycles']) / total}


def components(functions, sources=None, idle=None):
    """The samples' shares summed by COMPONENTS, each function's source file looked up in
    sources (symbol_sources; a clone by the name before its first dot); what the listing left
    out (below its limit) is the last entry, 'unlisted'.  With idle (idle_polls), the idle
    polls' share is taken out of the PMD's part (their receive calls) and out of the rest of
    tcpterm (the loop around them), each as far as it goes, into a part of its own before
    'unlisted', so that the other parts are busy cycles."""
    sources = sources or {}
    shares = [0.0] * len(COMPONENTS)
    for f in functions:
        src = sources.get(f['symbol'].split('.')[0])
        i = next(i for i, (_, test) in enumerate(COMPONENTS) if test(f['dso'], f['symbol'], src))
        shares[i] += f['share']
    idle_share = 0.0
    if idle:
        for i, key in ((PMD_PART, 'rx'), (REST_PART, 'loop')):
            taken = min(shares[i], max(0.0, idle[key]))
            shares[i] -= taken
            idle_share += taken
    parts = [{'part': label, 'share': share} for (label, _), share in zip(COMPONENTS, shares)]
    if idle:
        parts.append({'part': IDLE_PART, 'share': idle_share})
    return parts + [{'part': 'unlisted (each under the listing\'s limit)',
                     'share': max(0.0, 1 - sum(shares) - idle_share)}]


def profile_figures(raw, name):
    """Scenario name's profile run: shares of samples by object, by part of the work
    (COMPONENTS) and its top functions, and the units per second under perf."""
    path = os.path.join(raw, f'profile-{name}.txt')
    try:
        text = open(path).read()
    except OSError:
        return None
    functions = []
    for m in re.finditer(r'^\s+([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.+?)\s*$', text, re.M):
        functions.append({'share': float(m.group(1)) / 100, 'dso': m.group(2),
                          'symbol': m.group(3)})
    objects = [{'share': float(m.group(1)) / 100, 'dso': m.group(2)}
               for m in re.finditer(r'^\s+([\d.]+)%\s+(\S+)\s*$', text, re.M)]
    g = last_json(os.path.join(raw, f'profile-{name}.gen.json')) or {}
    w = profile_window(raw, name, g)
    idle = idle_polls(w)
    units = (w or {}).get(UNIT_FIGURES[scenario_unit(name)][0])
    return {'note': text.splitlines()[0] if text else '', 'top': functions[:TOP_FUNCTIONS],
            'objects': objects,
            'components': components(functions, symbol_sources(raw), idle) if functions else [],
            'busy_fraction': (w or {}).get('busy_fraction'), 'idle_split': idle is not None,
            'busy_cycles_per_unit': per((w or {}).get('busy_cycles'), units),
            'unit': scenario_unit(name), 'rate_during_profile': profile_rate(raw, name, g)}


def profiles_figures(raw, problems):
    """Every profile run of the invocation, by scenario, their exit statuses checked."""
    out = {}
    for name in TCP_SCENARIOS:
        prof = profile_figures(raw, name)
        if prof is None:
            continue
        out[name] = prof
        if os.path.exists(os.path.join(raw, f'profile-{name}.gen.json')):
            check_exit(problems, f'{name} profile run: the appliance',
                       os.path.join(raw, f'profile-{name}.appliance.log.rc'))
            # 3: some connections failed, the figure itself of a scenario meant to lose some.
            check_exit(problems, f'{name} profile run: the generator',
                       os.path.join(raw, f'profile-{name}.gen.json.rc'),
                       (0, 3) if name in LOSSY_SCENARIOS else (0,))
    return out


def link_figures(raw, runs):
    """The round-trip frame rate (the blaster's), and the reflector's busy cycles per frame."""
    res = [last_json(os.path.join(raw, f'link.{r}.gen.json')) for r in range(1, runs + 1)]
    refl = [last_json(os.path.join(raw, f'link.{r}.reflect.json')) or {}
            for r in range(1, runs + 1)]
    return (figure([x.get('rx_mpps') if x else None for x in res], 'Mpps round trip'),
            figure([x.get('busy_cycles_per_rx_frame') for x in refl],
                   'busy cycles per frame received and sent back'),
            figure([x.get('busy_fraction') for x in refl], 'fraction of TSC cycles'))


# The units tcpterm-trace replays (bench/run.sh replay): scenario -> the key counting them.
REPLAYS = {'cps': 'connections', 'rps': 'requests', 'synflood': 'syns'}


def clock_samples(path):
    """The core's cycles per TSC cycle that tcpterm-trace --clock appended to path."""
    try:
        with open(path) as f:
            return [json.loads(l)['core_cycles_per_tsc'] for l in f if l.startswith('{')]
    except (OSError, ValueError, KeyError):
        return []


def clock_figure(raw, name, runs):
    """The clock samples taken before and after each of scenario name's runs."""
    values = [c for r in range(1, runs + 1)
              for c in clock_samples(os.path.join(raw, f'{name}.{r}.clock.jsonl'))]
    return figure(values, 'core cycles per TSC cycle, before and after each run')


def replay_figures(raw, runs):
    """Per replayed scenario, tcpterm-trace's native TSC cycles per unit in the worker's parse and
    the stack's calls; and the core's cycles per TSC cycle when they ran."""
    out = {}
    for name, key in REPLAYS.items():
        runs_json = [last_json(os.path.join(raw, f'replay.{name}.{r}.json'))
                     for r in range(1, runs + 1)]
        cycles = [(j['parse_tsc'] + j['stack_tsc']) / j[key] if j and j.get(key) else None
                  for j in runs_json]
        if any(c is not None for c in cycles):
            out[name] = figure(cycles, 'TSC cycles per unit: parse and stack, replayed warm')
    return out, median(clock_samples(os.path.join(raw, 'replay.clock.jsonl')))


def unit_frames_and_port(name, med):
    """Frames in and out per unit of scenario name, and the busy cycles per unit in the port's
    calls (None without the port's counters); None when the scenario has no such figures."""
    unit = scenario_unit(name)
    cyc, per_rx, tx_rx = (med(name, UNIT_FIGURES[unit][2]), med(name, 'cycles_per_rx_frame'),
                          med(name, 'tx_per_rx_frame'))
    if None in (cyc, per_rx, tx_rx):
        return None
    f_in = cyc / per_rx
    f_out = f_in * tx_rx
    p_rx, p_tx = (med(name, 'port_rx_cycles_per_rx_frame'),
                  med(name, 'port_tx_cycles_per_tx_frame'))
    port = p_rx * f_in + p_tx * f_out if None not in (p_rx, p_tx) else None
    return f_in, f_out, port


def replay_section(res, med):
    """tcpterm's own cycles on the link against the same work replayed warm."""
    replay = res.get('replay', {})
    rows = []
    for name, fig in replay.get('units', {}).items():
        unit = scenario_unit(name)
        frames = unit_frames_and_port(name, med)
        warm = fig['median']
        if frames is None or frames[2] is None or warm is None:
            continue
        own = med(name, UNIT_FIGURES[unit][2]) - frames[2]
        rows.append(f"| {name} | {unit} | {fmt(own)} | {fmt(warm)} | {fmt(own - warm)} | "
                    f"{fmt(warm / own)} |")
    if not rows:
        return []
    clock = replay.get('core_cycles_per_tsc')
    lines = ['', "tcpterm's own part replayed warm: tcpterm-trace (bench/trace/tt_trace.c) runs "
             "the same units through the worker's parse and the real stack in memory, natively "
             "on the appliance's CPU, every line it touches in cache and no PMD (checksums as "
             "the appliance's port has them on this link), and times those calls with the "
             "TSC. What the link adds to them is the worker's mbufs and loop and the misses of "
             "the link's buffers and the tables.", '',
             "| scenario | unit | the rest (on the link) | replayed warm | the rest - warm | "
             "warm / the rest |", '|---|---|---|---|---|---|'] + rows
    if clock:
        lines += ['', f"Cycles here are the TSC's: this core ran {fmt(clock)} of its own cycles "
                  "per TSC cycle (tcpterm-trace --clock: a chain of dependent multiplies, 3 "
                  "cycles each)."]
    return lines


def linux_figures(raw, runs):
    ka = [wrk_rate(os.path.join(raw, f'linux_keepalive.{r}.txt')) for r in range(1, runs + 1)]
    cl = [wrk_rate(os.path.join(raw, f'linux_close.{r}.txt')) for r in range(1, runs + 1)]
    return (figure([x[0] for x in ka], 'requests/s'), figure([x[0] for x in cl], 'connections/s'),
            [x[1] for x in ka + cl])


def clock_range(f):
    """A scenario's clock samples as their range, or n/a."""
    values = [v for v in f.get('core_cycles_per_tsc', {}).get('runs', []) if v is not None]
    return f'{min(values):.2f}-{max(values):.2f}' if values else 'n/a'


def ratio(a, b):
    return a / b if a is not None and b else None


def open_loop_section(s, link):
    """The open_loop runs beside the capacity runs and overload's: what a connection costs when
    the same client offers less than the capacity (the worker's bursts are short), which neither
    the closed loop nor 2x shows."""
    cap_runs = 'cps' if link == 'memif' else 'cps_vhost'
    runs = [n for n in (cap_runs, 'open_loop', 'overload') if n in s]

    med = medians_of(s)

    def ratio(name):
        return fmt(per(med(name, 'cycles_per_conn'), med(cap_runs, 'cycles_per_conn')))

    lines = ['', '### Below capacity: the same open-loop client at less than the capacity', '',
             f"open_loop offers {fmt(med('open_loop', 'offered_per_capacity'))} of the capacity "
             "with overload's client (an open loop that never retransmits); the capacity runs "
             f"({cap_runs}) are a closed loop that keeps the worker's queue full.  A connection "
             f"took {ratio('open_loop')} x the busy cycles of one in {cap_runs} in open_loop, "
             f"{ratio('overload')} x in overload.", '',
             '| figure | ' + ' | '.join(runs) + ' |', '|---|' + '---|' * len(runs)]
    for key, label in (('offered_per_capacity', 'offered / capacity'),
                       ('appliance_cps', 'connections opened per s'),
                       ('appliance_busy', 'appliance busy'),
                       ('generator_busy', 'generator busy'),
                       ('cycles_per_conn', 'busy cycles per connection'),
                       ('frames_per_busy_loop', 'frames received per busy iteration'),
                       ('syns_shed_per_conn', 'SYNs shed per connection')):
        lines.append(f"| {label} | " + ' | '.join(fmt(med(n, key)) for n in runs) + ' |')
    return lines


TURNS_SCENARIO = 'overload_alternate'


def turn_figures(samples, applied, gen, hz):
    """One overload_alternate run's figures by turn: the appliance's telemetry intervals inside
    the generator's load window, each credited to its turn's way once the turn's shedding was in
    force (bench/alternate.py), and the generator's own busy and SYNs by turn."""
    import alternate  # bench/alternate.py reads samples with this module's load_samples

    win = gen['window']
    inside = [x for x in samples if win['start_tsc'] <= x.get('tsc', -1) <= win['end_tsc']]
    acc = {w: dict.fromkeys(('busy', 'idle', 'conns', 'shed', 'rx_cycles', 'rx', 'tx_cycles',
                             'tx', 'span', 'n'), 0) for w in (0, 1)}
    for way, a, b in alternate.intervals(inside, 2, applied):
        d = acc[way]
        d['busy'] += b['busy_cycles'] - a['busy_cycles']
        d['idle'] += b['idle_cycles'] - a['idle_cycles']
        d['conns'] += b['conn_closed'] - a['conn_closed']
        d['shed'] += b.get('drop_tcp_syn_shed', 0) - a.get('drop_tcp_syn_shed', 0)
        d['rx_cycles'] += b.get('port_rx_cycles', 0) - a.get('port_rx_cycles', 0)
        d['rx'] += b.get('rx_packets', 0) - a.get('rx_packets', 0)
        d['tx_cycles'] += b.get('port_tx_cycles', 0) - a.get('port_tx_cycles', 0)
        d['tx'] += b.get('tx_packets', 0) - a.get('tx_packets', 0)
        d['span'] += b['tsc'] - a['tsc']
        d['n'] += 1
    closed, opened = acc[0], acc[1]
    gt = gen.get('turns', {})
    gc, go = gt.get('closed', {}), gt.get('open', {})

    def busy(b, i):
        return per(b, (b or 0) + (i or 0))

    cycles_closed = per(closed['busy'], closed['conns'])
    capacity = per(hz, cycles_closed)
    goodput = per(opened['conns'], per(opened['span'], hz))
    offered = per(go.get('syns_accepted'),
                  per(go.get('busy_cycles', 0) + go.get('idle_cycles', 0), hz))
    goodput_per_capacity = per(goodput, capacity)
    open_busy = busy(opened['busy'], opened['idle'])
    # With the capacity at a worker busy all the time, goodput / capacity = the open turns'
    # busy fraction less the share of their time beyond their connections at the closed
    # turns' cost: what shedding's SYNs took, with whatever more a connection cost.
    beyond = (None if cycles_closed is None
              else opened['busy'] - opened['conns'] * cycles_closed)
    # A shed SYN costs at least its share of the port's receive calls: with every admitted
    # connection at the closed turns' cost, that alone leaves goodput / capacity at most this.
    shed_per_conn = per(opened['shed'], opened['conns'])
    rx_per_frame = per(opened['rx_cycles'], opened['rx'])
    ceiling = (None if None in (cycles_closed, shed_per_conn, rx_per_frame)
               else cycles_closed / (cycles_closed + shed_per_conn * rx_per_frame))
    # A connection's busy cycles by where they went: the port's receive calls, its send calls
    # and the rest, tcpterm's own; and the frames each way.
    parts = {}
    for label, d in (('closed', closed), ('open', opened)):
        parts[f'{label}_rx_cycles_per_conn'] = per(d['rx_cycles'], d['conns'])
        parts[f'{label}_tx_cycles_per_conn'] = per(d['tx_cycles'], d['conns'])
        parts[f'{label}_own_cycles_per_conn'] = per(d['busy'] - d['rx_cycles'] - d['tx_cycles'],
                                                    d['conns'])
        parts[f'{label}_rx_frames_per_conn'] = per(d['rx'], d['conns'])
        parts[f'{label}_tx_frames_per_conn'] = per(d['tx'], d['conns'])
    for part in ('rx', 'tx', 'own'):
        o, c = parts[f'open_{part}_cycles_per_conn'], parts[f'closed_{part}_cycles_per_conn']
        parts[f'extra_{part}_cycles_per_conn'] = None if None in (o, c) else o - c
    return {**parts,
        'capacity_cps': capacity, 'closed_cycles_per_conn': cycles_closed,
        'closed_cps': per(closed['conns'], per(closed['span'], hz)),
        'closed_busy': busy(closed['busy'], closed['idle']),
        'closed_generator_busy': busy(gc.get('busy_cycles'), gc.get('idle_cycles')),
        'closed_shed_per_conn': per(closed['shed'], closed['conns']),
        'closed_intervals': closed['n'],
        'offered_cps': offered, 'offered_per_capacity': per(offered, capacity),
        'goodput_cps': goodput, 'goodput_per_capacity': goodput_per_capacity,
        'open_cycles_per_conn': per(opened['busy'], opened['conns']),
        'open_busy': open_busy,
        'lost_to_idle': None if open_busy is None else 1 - open_busy,
        'lost_beyond_conns': (None if None in (open_busy, goodput_per_capacity)
                              else open_busy - goodput_per_capacity),
        'cycles_beyond_per_shed': per(beyond, opened['shed']),
        'open_generator_busy': busy(go.get('busy_cycles'), go.get('idle_cycles')),
        'open_shed_per_conn': shed_per_conn,
        'closed_rx_cycles_per_frame': per(closed['rx_cycles'], closed['rx']),
        'open_rx_cycles_per_frame': rx_per_frame,
        'ceiling_after_shed_receive': ceiling,
        'open_intervals': opened['n'],
    }


TURN_UNITS = {
    'capacity_cps': 'connections/s (TSC Hz / the closed turns\' busy cycles per connection)',
    'closed_cycles_per_conn': 'busy cycles', 'closed_cps': 'connections/s',
    'closed_busy': 'fraction', 'closed_generator_busy': 'fraction',
    'closed_shed_per_conn': 'SYNs', 'closed_intervals': '0.1 s intervals',
    'offered_cps': 'SYNs the link took per s of open turns',
    'offered_per_capacity': 'fraction of capacity', 'goodput_cps': 'connections/s',
    'goodput_per_capacity': 'fraction of capacity', 'open_cycles_per_conn': 'busy cycles',
    'open_busy': 'fraction', 'open_generator_busy': 'fraction', 'open_shed_per_conn': 'SYNs',
    'open_intervals': '0.1 s intervals', 'reloads_refused': 'turns left out',
    'lost_to_idle': 'fraction of capacity (1 - the open turns\' busy)',
    'lost_beyond_conns': 'fraction of capacity (the open turns\' busy - goodput / capacity)',
    'cycles_beyond_per_shed': 'busy cycles per SYN shed beyond the open turns\' connections '
                              'at the closed turns\' cost',
    'closed_rx_cycles_per_frame': 'cycles in the port\'s receive calls per frame received',
    'open_rx_cycles_per_frame': 'cycles in the port\'s receive calls per frame received',
    'ceiling_after_shed_receive': 'fraction of capacity left once each SYN shed has paid its '
                                  'receive',
    **{f'{turn}_{part}': unit for turn in ('closed', 'open') for part, unit in (
        ('rx_cycles_per_conn', 'busy cycles per connection in the port\'s receive calls'),
        ('tx_cycles_per_conn', 'busy cycles per connection in the port\'s send calls'),
        ('own_cycles_per_conn', 'busy cycles per connection outside the port\'s calls'),
        ('rx_frames_per_conn', 'frames received per connection (SYNs shed included)'),
        ('tx_frames_per_conn', 'frames sent per connection'))},
    **{f'extra_{part}_cycles_per_conn': f'busy cycles per connection {where}, the open turns\' '
       'less the closed turns\'' for part, where in (
           ('rx', 'in the port\'s receive calls'), ('tx', 'in the port\'s send calls'),
           ('own', 'outside the port\'s calls'))},
}


def turns_figures(raw, runs, problems, scenario=TURNS_SCENARIO):
    """The figures of scenario, an overload_alternate run (medians over its runs), or None
    when it did not run."""
    import alternate

    per_run, refused = [], []
    for r in range(1, runs + 1):
        base = os.path.join(raw, f'{scenario}.{r}')
        if not os.path.exists(base + '.gen.json'):
            continue
        where = f'{scenario} run {r}'
        check_exit(problems, f'{where}: the appliance', base + '.appliance.log.rc')
        check_exit(problems, f'{where}: the generator', base + '.gen.json.rc', (0, 3))
        gen = last_json(base + '.gen.json')
        if not gen or 'window' not in gen or 'turns' not in gen:
            problems.append(f'{where}: the generator reported no load window by turn')
            continue
        try:
            log = alternate.turns_log(base + '.turns.jsonl')
        except OSError:
            problems.append(f'{where}: no log of the turns\' shedding (bench/shed_turns.py)')
            continue
        applied = alternate.applied_turns(log)
        refused.append(len(log) - len(applied))
        samples = load_samples(base + '.samples.jsonl')
        f = turn_figures(samples, applied, gen, gen['window']['tsc_hz'])
        if not f['closed_intervals'] or not f['open_intervals']:
            problems.append(f'{where}: no telemetry interval inside a turn of each loop')
            continue
        per_run.append(f)
    if not per_run:
        return None
    out = {k: figure([x[k] for x in per_run], TURN_UNITS[k]) for k in per_run[0]}
    out['reloads_refused'] = figure(refused, TURN_UNITS['reloads_refused'])
    return out


TURNS_INTRO = (
    'The same client runs the cps runs\' closed loop and overload\'s open loop in turns of 2^30 '
    'TSC cycles, each open turn at OVERLOAD_FACTOR x what the closed turn before it completed '
    '(tcpterm-gen --alternate-factor); the appliance\'s SYN shedding is off in the closed turns '
    'and on in the open ones (bench/shed_turns.py, a reload as each turn begins).  Each turn '
    'counts from when its shedding was in force (bench/alternate.py), so the capacity and the '
    'goodput come from the same minutes of the host, where the tables above take them from '
    'runs minutes apart.')

MEMIF_TURNS_SCENARIO = 'overload_alternate_memif'
MEMIF_TURNS_INTRO = (
    'The same run with the appliance on net_memif (zero-copy) and the generator on its server '
    'end, in the same invocation (bench/run.sh: overload_alternate_memif): the port\'s receive '
    'calls\' cycles per frame here, beside those above, say what a shed SYN costs each port '
    'before tcpterm sees it.')


def turns_section(t, memif=False):
    """results.md: capacity and overload from the same minutes (memif: the memif run's)."""
    def m(key):
        return fmt(t[key]['median'])

    def pair(key):
        return f"{m('closed_' + key)} | {m('open_' + key)}"

    if memif:
        lines = ['', '### Capacity and overload in one run, on memif', '', MEMIF_TURNS_INTRO]
    else:
        lines = ['', '### Capacity and overload in one run (tcpterm-gen --alternate)', '',
                 TURNS_INTRO]
    lines += ['', '| figure | closed turns (capacity) | open turns (overload) |',
              '|---|---|---|',
              f"| connections per s | {m('closed_cps')} | {m('goodput_cps')} |",
              f"| appliance busy | {m('closed_busy')} | {m('open_busy')} |",
              f"| generator busy | {m('closed_generator_busy')} | {m('open_generator_busy')} |",
              f"| busy cycles per connection | {m('closed_cycles_per_conn')} | "
              f"{m('open_cycles_per_conn')} |",
              f"| of those, in the port's receive calls | {pair('rx_cycles_per_conn')} |",
              f"| of those, in the port's send calls | {pair('tx_cycles_per_conn')} |",
              f"| of those, tcpterm's own (outside the port's calls) | "
              f"{pair('own_cycles_per_conn')} |",
              f"| frames received per connection (SYNs shed included) | "
              f"{pair('rx_frames_per_conn')} |",
              f"| frames sent per connection | {pair('tx_frames_per_conn')} |",
              f"| SYNs shed per connection | {m('closed_shed_per_conn')} | "
              f"{m('open_shed_per_conn')} |",
              f"| port's receive calls, cycles per frame received | "
              f"{m('closed_rx_cycles_per_frame')} | {m('open_rx_cycles_per_frame')} |",
              f"| telemetry intervals counted | {m('closed_intervals')} | "
              f"{m('open_intervals')} |", '',
              f"Capacity (TSC Hz / the closed turns' busy cycles per connection): "
              f"{m('capacity_cps')} connections/s; offered in the open turns "
              f"{m('offered_cps')} SYNs/s ({m('offered_per_capacity')} x capacity); "
              f"**goodput / capacity {m('goodput_per_capacity')}**; turns left out, their "
              f"reload refused: {sum(t['reloads_refused']['runs'])} over the runs.", '',
              f"Where the rest of capacity went in the open turns: {m('lost_to_idle')} to the "
              f"worker's idle, {m('lost_beyond_conns')} to busy cycles beyond their "
              f"connections at the closed turns' cost, {m('cycles_beyond_per_shed')} per SYN "
              f"shed (at most what a shed SYN costs: it also holds whatever more an admitted "
              f"connection costs under overload).  Per connection, the open turns spent "
              f"{m('extra_rx_cycles_per_conn')} cycles more than the closed turns in the "
              f"port's receive calls, {m('extra_tx_cycles_per_conn')} in its send calls and "
              f"{m('extra_own_cycles_per_conn')} outside them.  At least, a shed SYN costs its "
              f"receive: the port's receive calls' cycles per frame; with that alone beside "
              f"each connection at the closed turns' cost, goodput / capacity is at most "
              f"{m('ceiling_after_shed_receive')}, whatever tcpterm does with the SYN."]
    return lines


def fmt(v, unit=''):
    if v is None:
        return 'n/a'
    if isinstance(v, float) and abs(v) < 10:
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


def responder_section(res, med):
    """The appliance against a responder that keeps no TCP state, on the same port."""
    rows = []
    for name in TCP_SCENARIOS:
        rsp = med(name, 'responder_cycles_per_unit') if name in res['scenarios'] else None
        if rsp is None:
            continue
        unit = scenario_unit(name)
        app = med(name, UNIT_FIGURES[unit][2])
        frames = unit_frames_and_port(name, med)
        rsp_port = med(name, 'responder_port_per_unit')
        rows.append(f"| {name} | {unit} | {fmt(app)} | {fmt(rsp)} | "
                    f"{fmt(med(name, 'appliance_per_responder'))} | "
                    f"{fmt(frames[2] if frames else None)} | {fmt(rsp_port)} | "
                    f"{fmt(app - frames[2] if frames and frames[2] is not None else None)} | "
                    f"{fmt(rsp - rsp_port if rsp_port is not None else None)} | "
                    f"{fmt(med(name, 'responder_busy'))} | {fmt(med(name, 'responder_rate'))} |")
    if not rows:
        return []
    return ['', "The same client against a responder that keeps no TCP state, in the "
            "appliance's place on its port, CPU and checksum settings, right after each run "
            "(tcpterm-gen --scenario respond, bench/gen/gen_responder.h): each reply computed "
            "from the segment it answers and written over it, no table, no TCB, no timer, no "
            "HTTP parse. Its busy cycles per unit are what the port's calls, the parse and the "
            "replies cost with nothing kept; the appliance's over them (the median of the runs' "
            "ratios) is what being a TCP endpoint costs beyond that. Each side's busy cycles "
            "inside its port's receive and send calls are read from the TSC around them, and the "
            "rest is its own work. The responder's busy fraction spans its first frame "
            "received to its last.", '',
            '| scenario | unit | appliance busy cycles | responder busy cycles | '
            'appliance / responder | appliance in the port\'s calls | responder in the port\'s '
            'calls | appliance\'s rest | responder\'s rest | responder busy | '
            'rate against the responder /s |',
            '|---|---|---|---|---|---|---|---|---|---|---|'] + rows


def floor_section(res, med):
    """Each per-core figure against the link's own cost per frame and against its goal."""
    ref, hz = res['reference'], res['machine'].get('tsc_hz')
    floor = ref.get('link_reflect_cycles_per_frame', {}).get('median')
    if not floor or not hz:
        return []
    lines = ['', '## What bounds the per-core figures', '',
             f"The link alone: the reflector of the link run (MAC swap, bursts of 32, no TCP "
             f"state, no mbuf allocated or freed; 60-byte TCP segments, its port set as the "
             f"appliance's in the rate runs) spends {fmt(floor)} busy cycles per frame it receives "
             f"and sends back (busy {fmt(ref['link_reflect_busy']['median'])}) in the runs that "
             f"begin the invocation. A unit of i "
             f"frames in and o out costs at least (i + o) / 2 of that in the PMD of this port "
             f"type: the link floor. Goal cycles = TSC Hz / the goal rate; what the goal leaves "
             f"above the floor is all TCP, HTTP, tables, timers and mbufs may take. "
             f"In the port's calls: the appliance's busy cycles inside its receive and send "
             f"calls (rte_eth_rx_burst, rte_eth_tx_burst; the virtio PMD's refill and its "
             f"freeing of sent mbufs included) per unit, read from the TSC around each call; "
             f"beside them, the rest of the busy cycles, which are tcpterm's own. "
             f"A scenario whose runs were each followed by a short link run (bench/run.sh "
             f"LINK_SAMPLE_S) takes its floor per frame from those (the median of its runs'), "
             f"and gives its port's calls and its busy cycles over the floor run by run (the "
             f"medians of the runs' ratios): the host's cost per frame moves from one minute to "
             f"the next, and each ratio is read within the same minutes."]
    rows, below = [], []
    for name in TCP_SCENARIOS:
        unit = scenario_unit(name)
        frames = unit_frames_and_port(name, med)
        if (name not in res['scenarios'] or unit not in GOALS or frames is None
                or (name in VHOST_SIDE_SCENARIOS and res['params'].get('link') != 'memif')):
            continue
        f_in, f_out, port = frames
        cyc = med(name, UNIT_FIGURES[unit][2])
        per_frame = med(name, 'link_cycles_per_frame') or floor
        link = per_frame * (f_in + f_out) / 2
        goal = hz / GOALS[unit]
        rows.append(f"| {name} | {unit} | {f_in:.2f} + {f_out:.2f} | {fmt(per_frame)} | "
                    f"{fmt(link)} | {fmt(cyc)} | "
                    f"{fmt(port)} | {fmt(cyc - port if port is not None else None)} | "
                    f"{fmt(cyc - link)} | {fmt(med(name, 'port_per_link_floor'))} | "
                    f"{fmt(med(name, 'busy_per_link_floor'))} | {fmt(GOALS[unit])} | "
                    f"{fmt(goal)} | {fmt(goal - link)} |")
        if goal <= link:
            below.append(f"{name} ({fmt(goal)} against {fmt(link)})")
    if rows:
        lines += ['', '| scenario | unit | frames in + out | floor per frame | link floor cycles | '
                  'busy cycles | in the port\'s calls | the rest | busy - floor | '
                  'port\'s calls / floor | busy / floor | goal /s | goal cycles | '
                  'goal - floor |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|']
        lines += rows
    if below:
        lines += ['', "Goals below the link floor on this port type, where the PMD's receive "
                  "and send alone cost more cycles than the goal allows per unit: "
                  + ', '.join(below) + '.']
    lines += replay_section(res, med)
    lines += responder_section(res, med)
    for name, prof in res.get('profiles', {}).items():
        pmd = sum(o['share'] for o in prof['objects'] if o['dso'].startswith(PMD_OBJECTS))
        polls = '(its empty polls included)'
        if prof.get('idle_split') and prof['components']:
            pmd, polls = prof['components'][PMD_PART]['share'], '(its empty polls apart)'
        if pmd and prof.get('rate_during_profile'):
            names = ', '.join(o.rstrip('.') for o in PMD_OBJECTS)
            lines += ['', f"Measured in the appliance: during the {name} profile run the PMD's "
                      f"objects ({names}) took {pmd:.1%} of the worker's samples, "
                      f"{fmt(pmd * hz / prof['rate_during_profile'])} cycles per {prof['unit']} "
                      f"{polls}."]
    return lines


def profile_section(name, prof, hz, runs_cycles=None):
    """Where the appliance's cycles went in scenario name's profile run; runs_cycles: the busy
    cycles per unit of the scenario's own runs (median), set beside the profile run's."""
    rate, unit = prof.get('rate_during_profile'), prof['unit']
    lines = ['', f"## Where the appliance's cycles go ({name})", '',
             f"`perf record -e cpu-clock -F 2999 -g -t WORKER_TID` during an extra {name} run "
             f"({prof['note']}; {fmt(rate)} {unit}s/s under perf); share of the worker's "
             f"samples, self time:", '']
    if prof['objects']:
        lines += ['By object: ' + ', '.join(f"{o['dso']} {o['share']:.1%}"
                                            for o in prof['objects']) + '.', '']
    if not prof['top']:
        return lines + [f'No samples (see raw/profile-{name}.txt).']
    if prof['components'] and rate and hz:
        per_unit = [c['share'] * hz / rate for c in prof['components']]
        lines += [f'| part of the work | share | cycles per {unit} |', '|---|---|---|']
        lines += [f"| {c['part']} | {c['share']:.1%} | {fmt(v)} |"
                  for c, v in zip(prof['components'], per_unit)]
        busy = prof.get('busy_fraction')
        if prof.get('idle_split'):
            lines += ['', f"The worker was {fmt(busy)} busy over the run's load window (its "
                      "telemetry). The idle polls' share of the samples (their empty receive "
                      "calls, idle_port_rx_cycles, and the rest of the idle cycles, the loop "
                      "around them) is taken out of the PMD's part and the rest of tcpterm's "
                      "into a part of its own, so that every other part is busy cycles."]
        elif busy is not None:
            lines += ['', f"The worker was {fmt(busy)} busy over the run's load window; its idle "
                      "polls' samples are in the PMD's part and the rest of tcpterm's (this "
                      "appliance did not count idle_port_rx_cycles)."]
        if prof.get('busy_cycles_per_unit') and runs_cycles:
            lines += ['', f"Under perf the appliance spent {fmt(prof['busy_cycles_per_unit'])} "
                      f"busy cycles per {unit}, against {fmt(runs_cycles)} in the scenario's runs "
                      f"(x {prof['busy_cycles_per_unit'] / runs_cycles:.2f}): the parts' cycles are "
                      "the profile run's, taken in its own minutes of the host and with perf on the "
                      "generator's CPU."]
        if unit in GOALS:
            lines += ['', f"The first {ESSENTIAL_PARTS} parts, which any TCP terminator has on "
                      f"this link, cost {fmt(sum(per_unit[:ESSENTIAL_PARTS]))} cycles per {unit} "
                      f"here; the goal of {fmt(GOALS[unit])} {unit}s/s per core allows "
                      f"{fmt(hz / GOALS[unit])} in all."]
        lines.append('')
    lines += ['| share | object | function |', '|---|---|---|']
    return lines + [f"| {p['share']:.1%} | {p['dso']} | {p['symbol']} |" for p in prof['top']]


def markdown(res):
    s = res['scenarios']
    ref = res['reference']
    quick = res['params']['quick']
    lines = [f"# tcpterm benchmark, {res['date']}{' (quick: smoke figures)' if quick else ''}", '',
             f"Machine: {res['machine']['cpu']}, {res['machine']['cores']} cores, "
             f"DPDK {res['machine']['dpdk']}; link: {res['machine']['link']}. "
             f"Medians of {res['params']['runs']} runs of {res['params']['duration_s']} s.", '']
    if quick:
        lines += [f"**Smoke figures.** A quick run of {res['params']['duration_s']} s is a "
                  'transient (connection tables, rings and caches have not settled); it shows '
                  'that everything runs and is correct, not what a core can do. Quote full runs '
                  '(`bench/run.sh`).', '']

    med = medians_of(s)

    if 'cps' in s:
        lines += [f"**Per core (cps, client closes): capacity {fmt(med('cps', 'capacity_cps'))} "
                  f"connections/s** = TSC Hz / {fmt(med('cps', 'cycles_per_conn'))} busy cycles "
                  f"per connection over the load window; achieved "
                  f"{fmt(med('cps', 'appliance_cps'))} connections/s; appliance busy "
                  f"{fmt(med('cps', 'appliance_busy'))}, generator busy "
                  f"{fmt(med('cps', 'generator_busy'))}: saturated side: "
                  f"{s['cps']['saturated']}.", '']

    lines += ['## Per-core cost over the load window', '',
              'Deltas of the appliance\'s telemetry between its first and last samples inside '
              'the generator\'s load window (`window` = the seconds they span) and of the '
              'generator\'s own counters at the window\'s ends. Busy = iterations that received, '
              'sent or expired something; capacity = TSC Hz / busy cycles per unit. A side at '
              f'{SATURATED:.0%} busy or more is named saturated. Core clock / TSC: the range of '
              'the appliance CPU\'s own cycles per TSC cycle, sampled before and after each run '
              '(tcpterm-trace --clock); on a VM the host moves it from second to second, and '
              'busy cycles, counted in TSC cycles, move with it.', '',
              '| scenario | unit | achieved /s | busy cycles per unit | capacity /s per core | '
              'appliance busy | generator busy | saturated side | window s | core clock / TSC |',
              '|---|---|---|---|---|---|---|---|---|---|']
    for name in TCP_SCENARIOS:
        if name not in s:
            continue
        unit = scenario_unit(name)
        _, rate, cyc, cap = UNIT_FIGURES[unit]
        lines.append(f"| {name} | {unit} | {fmt(med(name, rate))} | {fmt(med(name, cyc))} | "
                     f"{fmt(med(name, cap))} | {fmt(med(name, 'appliance_busy'))} | "
                     f"{fmt(med(name, 'generator_busy'))} | {s[name]['saturated']} | "
                     f"{fmt(med(name, 'window_s'))} | {clock_range(s[name])} |")
    if 'cps' in s:
        lines += ['', f"Frames per connection (cps, appliance's counters): "
                  f"{fmt(med('cps', 'frames_in_per_conn'))} in, "
                  f"{fmt(med('cps', 'frames_out_per_conn'))} out; "
                  f"{fmt(med('cps', 'cycles_per_rx_frame'))} busy cycles per received frame."]
    if 'cps_server_close' in s:
        lines += [f"Frames per connection (cps_server_close): "
                  f"{fmt(med('cps_server_close', 'frames_in_per_conn'))} in, "
                  f"{fmt(med('cps_server_close', 'frames_out_per_conn'))} out."]
    stalls = [f"{name} {fmt(med(name, 'stalls_100us_rate'))} / {fmt(med(name, 'stalls_1ms_rate'))}"
              for name in s if med(name, 'stalls_1ms_rate') is not None]
    if stalls:
        lines += ["The worker's iterations of 100 us or more / of 1 ms or more a second over the "
                  "load window (a stall, from a page first touched to the host taking the CPU, "
                  "or that much work in one iteration, as bursts of pipelined requests or of "
                  "1 MiB responses give; an RX ring of 1,024 fills in 2.5 ms at 400 k frames a "
                  "second): " + ', '.join(stalls) + '.']
    for name in ('cps', 'cps_server_close'):
        if name in s and med(name, 'generator_replies_held') is not None:
            lines += [f"The generator's TX queue ({name}): "
                      f"{fmt(med(name, 'generator_tx_refused'))} frames refused over the load "
                      f"window; over the run "
                      f"{fmt(med(name, 'generator_replies_held'))} replies held and sent again, "
                      f"{fmt(med(name, 'generator_replies_dropped'))} dropped (hold full)."]
    lines += floor_section(res, med)
    if 'synflood' in s:
        lines += ['', '## SYN flood', '',
                  '| figure | value |', '|---|---|',
                  f"| SYNs offered by the generator to its TX queue, per s | "
                  f"{fmt(med('synflood', 'syns_offered_rate'))} |",
                  f"| of which the TX queue accepted (onto the link), per s | "
                  f"{fmt(med('synflood', 'syns_accepted_rate'))} |",
                  f"| refused by the generator's TX queue (not offered to the appliance) | "
                  f"{fmt(med('synflood', 'syns_refused_by_tx'))} |",
                  f"| SYNs the appliance received, per s | "
                  f"{fmt(med('synflood', 'syns_received_rate'))} |",
                  f"| SYN cookies it answered, per s | {fmt(med('synflood', 'cookies_rate'))} |",
                  f"| **answered / received (the appliance's figure)** | "
                  f"{fmt(med('synflood', 'cookies_per_syn_received'))} |",
                  f"| SYN-ACKs (frames to the flood's sources) the generator received and "
                  f"dropped unparsed, per s | {fmt(med('synflood', 'cookies_received_rate'))} |",
                  f"| legitimate connections scheduled (--legit-rate x window) | "
                  f"{fmt(med('synflood', 'legit_scheduled'))} |",
                  f"| legitimate attempted / scheduled | "
                  f"{fmt(med('synflood', 'legit_attempted_per_scheduled'))} |",
                  f"| legitimate completed / attempted | "
                  f"{fmt(med('synflood', 'completion_ratio'))} |"]
    if 'overload' in s:
        lines += ['', '## Overload (2x capacity offered, a client that never retransmits)', '',
                  ('On the scenarios\' memif link; the capacity is the cps runs\'.'
                   if res['params'].get('link') == 'memif' else
                   'On the link turned around (the appliance on net_vhost pays the copies, so the '
                   'generator has the cycles to offer twice what it takes); the capacity is the '
                   'cps_vhost runs\' on the same link.'), '',
                  '| figure | value |', '|---|---|']
        for key, label in (
                ('capacity_cps_used', 'capacity, connections/s'),
                ('offered_cps', 'offered: connections attempted per s'),
                ('offered_per_capacity', 'offered / capacity'),
                ('generator_tx_refused', 'frames the appliance\'s RX ring refused'),
                ('generator_replies_held', 'replies the generator held and sent again (run)'),
                ('generator_replies_dropped', 'replies it dropped, its hold full (run)'),
                ('generator_cps', 'completed connections per s'),
                ('goodput_per_capacity', '**goodput / capacity**'),
                ('appliance_busy', 'appliance busy'), ('generator_busy', 'generator busy'),
                ('cycles_per_conn', 'appliance busy cycles per connection'),
                ('generator_cycles_per_conn', 'generator busy cycles per completed connection'),
                ('nic_imissed', 'appliance NIC imissed'),
                ('orphans_peak', 'orphans at most (FIN-WAIT-1 + CLOSING + LAST-ACK)'),
                ('orphans_reset', 'orphans reset over the bound or out of retries'),
                ('retransmits_rate', 'appliance retransmission timeouts per s'),
                ('table_full_drops', 'SYNs refused, table full'),
                ('syns_shed', 'SYNs shed while saturated'),
                ('tx_held_retried', 'TX frames held and sent again'),
                ('tx_held_dropped', 'TX frames dropped after holding')):
            lines.append(f"| {label} | {fmt(med('overload', key))} |")
    if 'open_loop' in s:
        lines += open_loop_section(s, res['params'].get('link'))
    if res.get('overload_turns'):
        lines += turns_section(res['overload_turns'])
    if res.get('overload_turns_memif'):
        lines += turns_section(res['overload_turns_memif'], memif=True)
    for name, prof in res.get('profiles', {}).items():
        lines += profile_section(name, prof, res['machine'].get('tsc_hz'),
                                 med(name, UNIT_FIGURES[prof['unit']][2]) if name in s else None)

    lines += ['', '## Rates, latencies and references', '',
              '| scenario | figure | tcpterm | reference | ratio |', '|---|---|---|---|---|',
              f"| link | raw round trip, 64 B frames | | {fmt(ref['link_mpps']['median'])} Mpps | |"]

    def row(name, label, key, refv=None, refl='', unit=''):
        v = med(name, key)
        lines.append(f'| {name} | {label} | {fmt(v, unit)} | {refl} | '
                     f'{fmt(ratio(v, refv)) if refv else ""} |')

    lk, lc = ref['linux_keepalive_rps']['median'], ref['linux_close_cps']['median']
    row('cps', 'connections/s (client closes), generator', 'cps', lc, f'Linux nginx {fmt(lc)}')
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
    rps_body = med('rps', 'body_bytes')
    row('rps', 'requests/s, keep-alive, 1 in flight per connection'
        + (f', {fmt(rps_body)} B body' if rps_body else ''), 'rps', lk,
        f'Linux nginx {fmt(lk)}')
    row('rps', 'appliance busy cycles per received frame', 'cycles_per_rx_frame')
    row('rps_pipelined', 'requests/s, pipeline 8', 'rps', lk, f'Linux nginx {fmt(lk)}')
    row('concurrent', 'connections held at once', 'established_peak')
    row('concurrent', 'appliance memory holding them (MiB, RSS + hugepages)',
        'memory_at_peak_mib')
    row('concurrent', 'appliance memory per connection held (B, all of it over the connections)',
        'memory_per_conn_held')
    row('concurrent', 'memory grown per connection held (B, beyond what the appliance takes at '
        'start)', 'memory_growth_per_conn')
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
        lines += ['Correctness: every run passed (every process exited 0, no failed connection '
                  'without a flood, no bad byte, no connection left after timers expired, every '
                  'load window measured).']
    return '\n'.join(lines) + '\n'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--raw', required=True)
    ap.add_argument('--out')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--duration', type=float, default=10)
    ap.add_argument('--quick', type=int, default=0)
    ap.add_argument('--scenarios', default='', help='the scenarios asked for (default: all)')
    ap.add_argument('--link', choices=sorted(LINKS), default='virtio',
                    help="the appliance's end of the link (bench/run.sh APPLIANCE_SIDE)")
    ap.add_argument('--capacity', metavar='SCENARIO',
                    help='only print the median capacity (connections/s) of SCENARIO\'s runs')
    args = ap.parse_args()
    if args.capacity:
        cap = scenario_figures(args.raw, args.capacity, args.runs)[0]['capacity_cps']['median']
        if cap is None:
            print(f'report: no capacity from {args.capacity} in {args.raw}', file=sys.stderr)
            return 1
        print(round(cap))
        return 0
    if not args.out:
        ap.error('--out is required')

    problems = []
    scenarios, gens_by_name, memory = {}, {}, {}
    for name in TCP_SCENARIOS:
        if not glob.glob(os.path.join(args.raw, f'{name}.*.gen.json')):
            continue
        f, gens, apps, wins = scenario_figures(args.raw, name, args.runs)
        f['core_cycles_per_tsc'] = clock_figure(args.raw, name, args.runs)
        scenarios[name] = f
        gens_by_name[name] = gens
        check_correctness(args.raw, name, gens, apps, wins, problems)
        for a in apps:
            if a and 'tcb_bytes' in a:
                memory = {'tcb_bytes': a['tcb_bytes'], 'table_bytes': a['table_bytes'],
                          'per_established_bytes': a['tcb_bytes'] + a['table_bytes'],
                          'per_time_wait_bytes': a['tw_bytes'] + a['table_bytes']}
    if memory:
        memory['ten_million_gib'] = round(memory['per_established_bytes'] * 10e6 / 2**30, 2)
    overload_turns = turns_figures(args.raw, args.runs, problems)
    overload_turns_memif = turns_figures(args.raw, args.runs, problems, MEMIF_TURNS_SCENARIO)
    profiles = profiles_figures(args.raw, problems)
    lk, lc, wrk_errors = linux_figures(args.raw, args.runs)
    if any(wrk_errors):
        problems.append(f'wrk against nginx reported socket errors: {wrk_errors}')
    link, reflect_cycles, reflect_busy = link_figures(args.raw, args.runs)
    replay_units, core_per_tsc = replay_figures(args.raw, args.runs)
    for r in range(1, args.runs + 1):
        check_exit(problems, f'link run {r}: the blaster',
                   os.path.join(args.raw, f'link.{r}.gen.json.rc'))
        check_exit(problems, f'link run {r}: the reflector',
                   os.path.join(args.raw, f'link.{r}.reflect.json.rc'))
    machine = machine_info(args.link, virtio_rx(args.raw))
    # The TSC rate every cycle figure divides by, as the generator measured it.
    machine['tsc_hz'] = next((g['window']['tsc_hz'] for gens in gens_by_name.values()
                              for g in gens if g and 'window' in g), None)
    res = {
        'date': os.path.basename(args.out.rstrip('/')),
        'machine': machine,
        'params': {'runs': args.runs, 'duration_s': args.duration, 'quick': bool(args.quick),
                   'scenarios': args.scenarios.split() or TCP_SCENARIOS,
                   'saturated_at_busy': SATURATED, 'link': args.link},
        'reference': {'link_mpps': link, 'link_reflect_cycles_per_frame': reflect_cycles,
                      'link_reflect_busy': reflect_busy, 'linux_keepalive_rps': lk,
                      'linux_close_cps': lc},
        'scenarios': scenarios,
        'overload_turns': overload_turns, 'overload_turns_memif': overload_turns_memif,
        'profiles': profiles,
        'replay': {'units': replay_units, 'core_cycles_per_tsc': core_per_tsc},
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
