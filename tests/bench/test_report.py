#!/usr/bin/env python3
"""bench/report.py and bench/report_html.py on a small recorded run.

fixture/raw/ is the cps and rps scenarios, the link limit, the Linux reference, the warm
replays, the clock samples and the rps profile run of a real `CPS_CLIENT=stateful
RPS_CLIENT=stateful RUNS=1 SCENARIOS="cps rps" PROFILE_SCENARIOS=rps bench/run.sh --quick`
(2026-12-02-084044), trimmed (symbols.txt keeps the functions the profile lists): the appliance's
telemetry samples keep the counters the report reads and the 1.5 s around the generator's load
window; the profile's listing is whole.  cps.1.link.* is the link run that followed cps run 1 in
a later invocation (`RUNS=2 SCENARIOS="synflood cps" bench/run.sh`, 2026-12-04-203132), and
cps.1.rsp.* the responder run that followed cps run 1 in another (`RUNS=1 SCENARIOS="cps rps"
bench/run.sh --quick`, 2026-12-05-094845).  Each
test copies it, runs both scripts as bench/run.sh does and reads the page back: it must be
well-formed (every tag closed and nested; each <svg> parses as XML), have its charts in every
section, and plot the very numbers results.md prints and the raw files hold.  A run that lost
a scenario must still give a page that names what is missing.  The open_loop table (results.md's
"Below capacity") is checked on figures given to it directly.
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(HERE, '..', '..', 'bench')
FIXTURE = os.path.join(HERE, 'fixture', 'raw')
SVG = '{http://www.w3.org/2000/svg}'

sys.path.insert(0, BENCH)
import report  # noqa: E402  (bench/ is not a package)


class TagChecker(html.parser.HTMLParser):
    """Fails on a tag closed out of order or left open (void elements aside)."""
    VOID = {'meta', 'br', 'hr', 'img', 'link', 'input'}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.sections = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == 'section':
            self.sections.append(dict(attrs).get('id'))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass  # <rect .../>: opened and closed at once

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f'</{tag}> with {self.stack[-3:]} open')
        else:
            self.stack.pop()


def run_reports(raw, scenarios):
    """bench/run.sh's last two steps on a copy of raw; returns (dir, exit codes)."""
    out = tempfile.mkdtemp(prefix='tt-report-test-')
    shutil.copytree(raw, os.path.join(out, 'raw'))
    rcs = []
    for cmd in (['report.py', '--raw', os.path.join(out, 'raw'), '--out', out, '--runs', '1',
                 '--duration', '2', '--quick', '1', '--scenarios', scenarios],
                ['report_html.py', '--out', out]):
        p = subprocess.run([sys.executable, os.path.join(BENCH, cmd[0])] + cmd[1:],
                           capture_output=True, text=True)
        rcs.append(p.returncode)
        if p.returncode not in (0, 1):
            print(p.stdout, p.stderr, file=sys.stderr)
    return out, rcs


def read(path):
    with open(path) as f:
        return f.read()


def parse_page(path):
    text = read(path)
    checker = TagChecker()
    checker.feed(text)
    checker.close()
    svgs = {}
    for m in re.finditer(r'<section id="(\w+)">(.*?)</section>', text, re.S):
        svgs[m.group(1)] = [ET.fromstring(s) for s in
                            re.findall(r'<svg .*?</svg>', m.group(2), re.S)]
    return text, checker, svgs


def series(chart):
    """{name: [(x, y), ...]} of a line chart, from the values it says it drew."""
    out = {}
    for g in chart.iter(SVG + 'g'):
        if g.get('class') == 'series':
            line = g.find(SVG + 'polyline')
            out[g.get('data-name')] = [tuple(map(float, p.split(',')))
                                       for p in line.get('data-values').split()]
    return out


def bars(chart):
    """{(group, series): value} of a bar chart."""
    return {(r.get('data-group'), r.get('data-series')): float(r.get('data-value'))
            for r in chart.iter(SVG + 'rect') if r.get('class') == 'bar'}


def md_number(md, pattern):
    m = re.search(pattern, md)
    assert m, pattern
    return m.group(1)


def floor_row(md, name='cps', unit='connection', goal='2,500,000'):
    """The numbers of a row of results.md's floor table: frames in, frames out, floor per frame,
    link floor, busy cycles, in the port's calls, the rest, busy - floor, port's calls / floor,
    busy / floor (None where n/a), goal cycles, goal - floor."""
    num = r'([\d,.-]+|n/a)'
    row = re.search(rf'^\| {name} \| {unit} \| ([\d.]+) \+ ([\d.]+) \| ' + ' \\| '.join([num] * 8)
                    + rf' \| {goal} \| {num} \| {num} \|$', md, re.M)
    assert row, f'the {name} row of the floor table'
    return [None if x == 'n/a' else float(x.replace(',', '')) for x in row.groups()]


def gen_result(name):
    return report.last_json(os.path.join(FIXTURE, f'{name}.1.gen.json'))


class FullRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out, cls.rcs = run_reports(FIXTURE, 'cps rps')
        cls.md = read(os.path.join(cls.out, 'results.md'))
        cls.res = json.loads(read(os.path.join(cls.out, 'results.json')))
        cls.text, cls.checker, cls.svgs = parse_page(os.path.join(cls.out, 'report.html'))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out)

    def test_exit_codes(self):
        self.assertEqual(self.rcs, [0, 0])

    def test_no_stall_line_without_its_counters(self):
        # The fixture's telemetry predates loops_over_100us and loops_over_1ms.
        self.assertNotIn("The worker's iterations of 100 us or more", self.md)

    def test_idle_polls_said_to_be_in_the_rows(self):
        # The fixture's appliance predates idle_port_rx_cycles: no idle part, and the text says
        # where the idle polls' samples are.
        self.assertNotIn(report.IDLE_PART, self.md)
        self.assertIn("this appliance did not count idle_port_rx_cycles", self.md)
        self.assertIn("(its empty polls included)", self.md)

    def test_well_formed(self):
        self.assertEqual(self.checker.errors, [])
        self.assertEqual(self.checker.stack, [])
        self.assertNotIn('<script', self.text)
        self.assertNotRegex(self.text, r'(src|href)="https?:')

    def test_one_chart_per_section_item(self):
        self.assertEqual(self.checker.sections, ['rates', 'latency', 'reference', 'cost',
                                                 'machine'])
        self.assertEqual(len(self.svgs['rates']), 2)  # cps, rps
        self.assertEqual(len(self.svgs['latency']), 2)  # connect, request
        self.assertEqual(len(self.svgs['reference']), 1)
        self.assertEqual(len(self.svgs['cost']), 3)  # cycles, frames, bytes
        for sec in ('rates', 'latency'):
            for chart in self.svgs[sec]:
                s = series(chart)
                self.assertTrue(s, chart.findtext(SVG + 'title'))
                self.assertTrue(all(len(p) >= 2 for p in s.values()))
        for chart in self.svgs['reference'] + self.svgs['cost']:
            self.assertTrue(bars(chart), chart.findtext(SVG + 'title'))

    def test_reference_bars_are_results_md_numbers(self):
        b = bars(self.svgs['reference'][0])
        cps = b[('connections/s, client closes', 'tcpterm (generator-measured)')]
        self.assertEqual(report.fmt(cps), md_number(
            self.md, r'\| cps \| connections/s \(client closes\), generator \| ([\d,]+) \|'))
        self.assertEqual(cps, gen_result('cps')['cps'])
        rps = b[('requests/s, keep-alive', 'tcpterm (generator-measured)')]
        self.assertEqual(report.fmt(rps), md_number(
            self.md,
            r'\| rps \| requests/s, keep-alive, 1 in flight per connection, [\d,]+ B body \| '
            r'([\d,]+) \|'))
        # The body the rps row names is the one the generator verified (bench/run.sh RPS_BODY).
        g = gen_result('rps')
        self.assertEqual(md_number(self.md, r'1 in flight per connection, ([\d,]+) B body'),
                         report.fmt(g['body_bytes_verified'] / g['responses_ok']))
        linux = read(os.path.join(FIXTURE, 'linux_close.1.txt'))
        self.assertEqual(b[('connections/s, client closes', 'Linux nginx, 1 core')],
                         float(md_number(linux, r'Requests/sec:\s+([\d.]+)')))
        # The link's round trips over the frames a cps connection takes both ways.
        frames_in = float(md_number(self.md, r'Frames per connection \(cps.*?: ([\d.]+) in'))
        frames_out = float(md_number(self.md, r'Frames per connection \(cps.*? ([\d.]+) out'))
        link = report.last_json(os.path.join(FIXTURE, 'link.1.gen.json'))['rx_mpps'] * 1e6
        self.assertAlmostEqual(
            b[('connections/s, client closes', 'link limit / frames per unit')],
            link / (frames_in + frames_out), delta=link * 1e-6)
        # Scenarios absent from the run draw no bar.
        self.assertNotIn(('connections/s, server closes', 'tcpterm (generator-measured)'), b)

    def test_link_floor_is_reflector_cost_times_frames(self):
        """The cps run was followed by a link run of its own (cps.1.link.*): its row reads the
        floor from that one, not from the invocation's first link run, and sets the run's port
        calls and busy cycles against it; rps, which had none, reads the invocation's."""
        first = report.last_json(os.path.join(FIXTURE, 'link.1.reflect.json'))
        after = report.last_json(os.path.join(FIXTURE, 'cps.1.link.reflect.json'))
        self.assertNotAlmostEqual(first['busy_cycles_per_rx_frame'],
                                  after['busy_cycles_per_rx_frame'], delta=10)
        frames_in = float(md_number(self.md, r'Frames per connection \(cps.*?: ([\d.]+) in'))
        frames_out = float(md_number(self.md, r'Frames per connection \(cps.*? ([\d.]+) out'))
        (f_in, f_out, per_frame, link, busy, port, _, busy_less, port_ratio, busy_ratio, goal,
         goal_less) = floor_row(self.md)
        self.assertAlmostEqual(f_in, frames_in, delta=0.01)
        self.assertAlmostEqual(f_out, frames_out, delta=0.01)
        self.assertAlmostEqual(per_frame, after['busy_cycles_per_rx_frame'], delta=0.5)
        floor = after['busy_cycles_per_rx_frame'] * (f_in + f_out) / 2
        self.assertAlmostEqual(link, floor, delta=1)
        cyc = self.res['scenarios']['cps']['cycles_per_conn']['median']
        self.assertAlmostEqual(busy, cyc, delta=1)
        self.assertAlmostEqual(busy_less, cyc - floor, delta=2)
        self.assertAlmostEqual(port_ratio, port / floor, delta=2e-3)
        self.assertAlmostEqual(busy_ratio, cyc / floor, delta=2e-3)
        self.assertAlmostEqual(goal, self.res['machine']['tsc_hz'] / 2.5e6, delta=1)
        self.assertAlmostEqual(goal_less, goal - floor, delta=2)
        rps = floor_row(self.md, 'rps', 'request', '6,000,000')
        self.assertAlmostEqual(rps[2], first['busy_cycles_per_rx_frame'], delta=0.5)
        self.assertAlmostEqual(rps[3], first['busy_cycles_per_rx_frame'] * (rps[0] + rps[1]) / 2,
                               delta=1)
        self.assertEqual(rps[8:10], [None, None])

    def test_responder_beside_the_appliance(self):
        """The cps run was followed by a responder run (cps.1.rsp.*): its row sets the run's busy
        cycles per connection beside the responder's, its busy cycles over the SYN-ACKs it sent,
        with the ratio, each side's cycles in its port's calls and the rest, the responder's busy
        fraction and the rate its client reached; rps, which had none, has no row."""
        rsp = report.last_json(os.path.join(FIXTURE, 'cps.1.rsp.json'))
        gen = report.last_json(os.path.join(FIXTURE, 'cps.1.rsp.gen.json'))
        table = self.md.split('| responder busy cycles |', 1)[1].split('\n\n', 1)[0]
        self.assertNotIn('| rps |', table)
        row = re.search(r'^\| cps \| connection \| (.*) \|$', table, re.M)
        self.assertIsNotNone(row, 'the cps row of the responder table')
        (app, cyc, ratio, app_port, rsp_port, app_rest, rsp_rest, busy,
         rate) = (float(x.strip().replace(',', '')) for x in row.group(1).split('|'))
        conns = rsp['syn_acks']
        want = rsp['busy_cycles'] / conns
        want_port = (rsp['port_rx_cycles'] + rsp['port_tx_cycles']) / conns
        self.assertAlmostEqual(app, self.res['scenarios']['cps']['cycles_per_conn']['median'],
                               delta=1)
        self.assertAlmostEqual(app_port, floor_row(self.md)[5], delta=1)
        self.assertAlmostEqual(app_rest, app - app_port, delta=2)
        self.assertAlmostEqual(cyc, want, delta=1)
        self.assertAlmostEqual(rsp_port, want_port, delta=1)
        self.assertAlmostEqual(rsp_rest, want - want_port, delta=2)
        self.assertAlmostEqual(ratio, app / want, delta=2e-3)
        self.assertAlmostEqual(busy, rsp['busy_fraction'], delta=1e-3)
        self.assertAlmostEqual(rate, gen['cps'], delta=1)

    def test_goal_below_floor_is_named(self):
        """A goal that allows fewer cycles per unit than the link floor is named under the
        floor table, and only such a goal: the fixture's goals are all above its floor."""
        self.assertNotIn('Goals below the link floor', self.md)
        res = json.loads(json.dumps(self.res))
        med = report.medians_of(res['scenarios'])
        hz = res['machine']['tsc_hz']
        num = floor_row(self.md)
        # A floor per frame just above what the cps goal allows over its frames, and still
        # below what the rps goal allows over its two (one request in, one response out).
        per_frame = hz / 2.5e6 / ((num[0] + num[1]) / 2) + 1
        self.assertLess(per_frame, hz / 6e6)
        res['reference']['link_reflect_cycles_per_frame']['median'] = per_frame
        res['scenarios']['cps']['link_cycles_per_frame']['median'] = per_frame
        text = '\n'.join(report.floor_section(res, med))
        self.assertRegex(text, r'Goals below the link floor[^\n]*: cps \(')
        self.assertNotRegex(text, r'Goals below the link floor[^\n]*rps \(')

    def test_port_calls_are_the_window_deltas(self):
        """The floor table's cycles in the port's calls are the appliance's TSC-measured
        receive and send cycles between its first and last samples inside the load window, per
        connection; the rest is the busy cycles less those."""
        win = gen_result('cps')['window']
        with open(os.path.join(FIXTURE, 'cps.1.samples.jsonl')) as f:
            inside = [x for x in map(json.loads, f)
                      if win['start_tsc'] <= x['tsc'] <= win['end_tsc']]
        a, b = inside[0], inside[-1]
        conns = b['conn_opened'] - a['conn_opened']
        port = sum(b[k] - a[k] for k in ('port_rx_cycles', 'port_tx_cycles')) / conns
        busy = (b['busy_cycles'] - a['busy_cycles']) / conns
        self.assertGreater(port, 0)
        self.assertLess(port, busy)
        num = floor_row(self.md)
        self.assertAlmostEqual(num[4], busy, delta=1)
        self.assertAlmostEqual(num[5], port, delta=1)
        self.assertAlmostEqual(num[6], busy - port, delta=1)

    def test_replay_is_the_trace_beside_the_rest(self):
        """The replay table's warm cycles are tcpterm-trace's parse and stack TSC cycles per
        unit from the raw replay files, beside the floor table's rest; a scenario that had no
        rate run (synflood here) has no row, though the trace replayed it."""
        for name, unit, key in (('cps', 'connection', 'connections'),
                                ('rps', 'request', 'requests')):
            j = report.last_json(os.path.join(FIXTURE, f'replay.{name}.1.json'))
            warm = (j['parse_tsc'] + j['stack_tsc']) / j[key]
            row = re.search(rf'^\| {name} \| {unit} \| ([\d,]+) \| ([\d,]+) \| ([\d,-]+) \| '
                            r'([\d.]+) \|$', self.md, re.M)
            self.assertTrue(row, f'the {name} row of the replay table')
            rest, shown, diff, share = [float(x.replace(',', '')) for x in row.groups()]
            self.assertAlmostEqual(shown, warm, delta=1)
            self.assertAlmostEqual(diff, rest - warm, delta=1)
            self.assertAlmostEqual(share, warm / rest, delta=1e-3)
            self.assertLess(warm, rest)
            if name == 'cps':
                self.assertEqual(rest, floor_row(self.md)[6])
        self.assertNotRegex(self.md, r'(?m)^\| synflood \| SYN cookie \| [\d,]+ \|')
        self.assertIn('synflood', self.res['replay']['units'])

    def test_clock_is_the_samples(self):
        """The per-core table's clock column is the range of the samples taken around the
        scenario's runs; the replay's clock is the median of its own samples."""
        for name in ('cps', 'rps'):
            vals = report.clock_samples(os.path.join(FIXTURE, f'{name}.1.clock.jsonl'))
            self.assertEqual(len(vals), 2)
            row = re.search(rf'^\| {name} \|.*\| ([\d.]+)-([\d.]+) \|$', self.md, re.M)
            self.assertTrue(row, f'the {name} row with its clock range')
            self.assertAlmostEqual(float(row.group(1)), min(vals), delta=0.005)
            self.assertAlmostEqual(float(row.group(2)), max(vals), delta=0.005)
        replay = report.clock_samples(os.path.join(FIXTURE, 'replay.clock.jsonl'))
        self.assertEqual(self.res['replay']['core_cycles_per_tsc'], report.median(replay))
        self.assertIn(f'ran {report.median(replay):.3f} of its own cycles per TSC cycle', self.md)

    def test_rate_over_time_adds_up_to_the_samples(self):
        """The area under the plotted cps rate is the connections the samples counted."""
        pts = series(self.svgs['rates'][0])['run 1']
        samples = report.load_samples(os.path.join(FIXTURE, 'cps.1.samples.jsonl'))
        win = gen_result('cps')['window']
        hz = win['tsc_hz']
        at = {round((x['tsc'] - win['start_tsc']) / hz, 6): x for x in samples}
        area = sum(y * (x - px) for (px, _), (x, y) in zip(pts, pts[1:]))
        opened = at[pts[-1][0]]['conn_opened'] - at[pts[0][0]]['conn_opened']
        self.assertGreater(opened, 0)
        self.assertAlmostEqual(area, opened, delta=opened * 1e-6)
        # Inside the load window the rate is of the order of results.md's achieved rate.
        inside = sorted(y for x, y in pts if 0.2 < x < win['seconds'])
        achieved = self.res['scenarios']['cps']['appliance_cps']['median']
        self.assertLess(abs(inside[len(inside) // 2] / achieved - 1), 0.5)

    def test_latency_cdf_is_the_histogram(self):
        connect = series(self.svgs['latency'][0])
        name = next(n for n in connect if n.startswith('cps '))
        pts = connect[name]
        buckets = gen_result('cps')['connect_us']['buckets']
        self.assertEqual([x for x, _ in pts], [float(u) for u, _ in buckets])
        self.assertEqual(pts[-1][1], 1.0)
        self.assertEqual([y for _, y in pts], sorted(y for _, y in pts))
        # The median is where the CDF first passes one half: results.md's p50.
        p50 = next(x for x, y in pts if y > 0.5)
        self.assertEqual(report.fmt(p50), md_number(
            self.md, r'\| cps \| connect latency p50 \(us\) \| ([\d,.]+) \|'))

    def test_cost_bars_are_results_md_numbers(self):
        cycles, frames, _ = (bars(c) for c in self.svgs['cost'])
        self.assertEqual(report.fmt(cycles[('cps (connection)', 'busy cycles')]), md_number(
            self.md, r'\| cps \| connection \| [\d,]+ \| ([\d,]+) \|'))
        self.assertEqual(report.fmt(frames[('cps (connection)', 'received')]), md_number(
            self.md, r'Frames per connection \(cps.*?: ([\d.]+) in'))
        self.assertEqual(report.fmt(frames[('cps (connection)', 'sent')]), md_number(
            self.md, r'Frames per connection \(cps.*? ([\d.]+) out'))

    def test_machine_and_parameters(self):
        hz = gen_result('cps')['window']['tsc_hz']
        for text in (f'{hz:,}', self.res['machine']['kernel'], self.res['machine']['dpdk'],
                     self.res['machine']['git'], 'cps rps', '2.0 s per run (quick)'):
            self.assertIn(text, self.text)
        self.assertRegex(self.text, r'<td>RUNS</td><td>1</td>')
        self.assertRegex(self.text, r'<td>scenarios missing</td><td>none</td>')


    def test_profile_parts_are_its_samples_per_unit(self):
        """The rps profile's parts: every listed function in exactly one, their cycles the share
        times the worker's cycles per request in the profile run's window, and the first
        ESSENTIAL_PARTS summed in the line below the table."""
        prof = self.res['profiles']['rps']
        samples = report.load_samples(os.path.join(FIXTURE, 'profile-rps.samples.jsonl'))
        w = report.appliance_window(samples, report.last_json(
            os.path.join(FIXTURE, 'profile-rps.gen.json'))['window'])
        self.assertAlmostEqual(prof['rate_during_profile'], w['http_requests'] / w['seconds'])
        listed = sum(float(m.group(1)) / 100 for m in re.finditer(
            r'^\s+([\d.]+)%\s+\S+\s+\[[.k]\]', read(os.path.join(FIXTURE, 'profile-rps.txt')),
            re.M))
        parts = prof['components']
        self.assertAlmostEqual(sum(c['share'] for c in parts[:-1]), listed)
        self.assertAlmostEqual(sum(c['share'] for c in parts), 1)
        per_request = self.res['machine']['tsc_hz'] / prof['rate_during_profile']
        rows = dict(re.findall(r'^\| ([^|]+?) \| [\d.]+% \| ([\d,.]+) \|$', self.md, re.M))
        for c in parts:
            self.assertAlmostEqual(float(rows[c['part']].replace(',', '')),
                                   c['share'] * per_request, delta=1)
        essential = sum(c['share'] for c in parts[:report.ESSENTIAL_PARTS]) * per_request
        self.assertAlmostEqual(float(md_number(
            self.md, r'which any TCP terminator has on this link, cost ([\d,]+) cycles per request'
        ).replace(',', '')), essential, delta=1)


    def test_profile_run_cost_beside_the_runs(self):
        """The rps profile run's busy cycles per request (its telemetry over its load window)
        beside the rps runs' median, and their ratio."""
        samples = report.load_samples(os.path.join(FIXTURE, 'profile-rps.samples.jsonl'))
        w = report.appliance_window(samples, report.last_json(
            os.path.join(FIXTURE, 'profile-rps.gen.json'))['window'])
        m = re.search(r'Under perf the appliance spent ([\d,]+) busy cycles per request, against '
                      r'([\d,]+) in the scenario\'s runs \(x ([\d.]+)\)', self.md)
        self.assertTrue(m, 'the profile run\'s cost beside the runs\'')
        under_perf = w['busy_cycles'] / w['http_requests']
        runs = self.res['scenarios']['rps']['cycles_per_request']['median']
        self.assertAlmostEqual(float(m.group(1).replace(',', '')), under_perf, delta=1)
        self.assertAlmostEqual(float(m.group(2).replace(',', '')), runs, delta=1)
        self.assertAlmostEqual(float(m.group(3)), under_perf / runs, delta=0.006)

    def test_http_part_holds_the_parser_by_its_file(self):
        """The rps profile's HTTP part holds every listed function of tt_http.c and tt_app.c,
        the parser's static ones (whole_request) included, whatever their names."""
        sources = report.symbol_sources(FIXTURE)
        self.assertEqual(sources.get('whole_request'), 'lib_app_tt_http.c')
        http = sum(float(m.group(1)) / 100 for m in re.finditer(
            r'^\s+([\d.]+)%\s+tcpterm\s+\[[.k]\]\s+(\S+)',
            read(os.path.join(FIXTURE, 'profile-rps.txt')), re.M)
            if (sources.get(m.group(2).split('.')[0]) or '').endswith(('tt_http.c', 'tt_app.c')))
        self.assertGreater(http, 0.05)
        parts = {c['part']: c['share'] for c in self.res['profiles']['rps']['components']}
        self.assertAlmostEqual(parts['HTTP (requests parsed, responses queued)'], http)


class ProfileParts(unittest.TestCase):
    """Which part of the work report.components puts a function's samples in."""

    def part_of(self, dso, symbol, sources=None):
        parts = report.components([{'share': 1.0, 'dso': dso, 'symbol': symbol}], sources)
        return next(c['part'] for c in parts if c['share'] == 1.0)

    def test_by_source_file(self):
        """A static function whose name says nothing of its part goes by the object nm lists it
        in (archive members and plain objects, clones by the name before the dot); a name two
        objects define, or none, goes by its name alone."""
        listing = ('build/libtt_app.a:build/libtt_app.a.p/lib_app_tt_http.c.o:'
                   '0000000000001050 t whole_request\n'
                   'build/libtt_app.a:build/libtt_app.a.p/lib_app_tt_http.c.o:'
                   '00000000000022c0 T tt_http_parse\n'
                   'build/libtt_app.a:build/libtt_app.a.p/lib_app_tt_http.c.o:'
                   '0000000000000000 r char_class\n'
                   'build/libtt_net.a:build/libtt_net.a.p/lib_net_tt_net_parse.c.o:'
                   '0000000000000400 t parse_tcp.isra.0\n'
                   'build/libtt_flow.a:build/libtt_flow.a.p/lib_flow_tt_conn_tbl.c.o:'
                   '0000000000000100 t find_from\n'
                   'build/tcpterm.p/app_tcpterm.c.o:0000000000000000 t find_from\n'
                   'build/libtt_stack.a:build/libtt_stack.a.p/lib_stack_tt_stack.c.o:'
                   '0000000000000010 t input_burst.constprop.1\n')
        raw = tempfile.mkdtemp(prefix='tt-report-syms-')
        self.addCleanup(shutil.rmtree, raw)
        with open(os.path.join(raw, 'symbols.txt'), 'w') as f:
            f.write(listing)
        src = report.symbol_sources(raw)
        self.assertEqual(src, {'whole_request': 'lib_app_tt_http.c',
                               'tt_http_parse': 'lib_app_tt_http.c',
                               'parse_tcp': 'lib_net_tt_net_parse.c',
                               'input_burst': 'lib_stack_tt_stack.c'})
        label = [c[0] for c in report.COMPONENTS]
        for symbol, part in (('whole_request', 5), ('whole_request.cold', 5), ('parse_tcp', 2),
                             ('find_from', 6), ('input_burst.constprop.1', 6)):
            self.assertEqual(self.part_of('tcpterm', symbol, src), label[part], symbol)
        self.assertEqual(self.part_of('tcpterm', 'whole_request'), label[6])
        self.assertEqual(report.symbol_sources(os.path.join(raw, 'none')), {})

    def test_each_part(self):
        label = [c[0] for c in report.COMPONENTS]
        cases = [('librte_net_virtio.so.23.0', '0x0000000000012694', 0),
                 ('librte_net.so.23.0', 'rte_net_get_ptype', 0),
                 ('librte_mempool_ring.so.23.0', 'common_ring_mp_enqueue', 1),
                 ('tcpterm', 'frame_alloc.cold', 1), ('tcpterm', 'rte_pktmbuf_free', 1),
                 ('tcpterm', 'tt_net_parse_tcp', 2), ('tcpterm', 'tt_worker_rx_burst', 2),
                 ('tcpterm', 'tt_conn_tbl_hash_bulk', 3), ('tcpterm', 'remove_slot', 3),
                 ('tcpterm', 'tt_syncookie_make', 4), ('tcpterm', 'tt_isn_flow_hash', 4),
                 ('tcpterm', 'tt_http_parse', 5), ('tcpterm', 'http_data', 5),
                 ('tcpterm', 'input_burst.constprop.1', 6), ('tcpterm', 'tt_synack_write', 6),
                 ('libc.so.6', '__memmove_avx512_unaligned_erms', 7)]
        for dso, symbol, part in cases:
            self.assertEqual(self.part_of(dso, symbol), label[part], symbol)

    def test_nothing_listed_is_all_unlisted(self):
        parts = report.components([])
        self.assertEqual([c['share'] for c in parts], [0.0] * len(report.COMPONENTS) + [1.0])


class IdlePolls(unittest.TestCase):
    """A profile run's idle polls: the appliance's idle_port_rx_cycles split its idle cycles
    into the empty receive calls and the loop around them, taken out of the PMD's part and the
    rest of tcpterm's into a part of their own."""

    def test_components_move_the_idle_shares(self):
        functions = [{'share': 0.5, 'dso': 'librte_net_virtio.so.23.0', 'symbol': '0x1'},
                     {'share': 0.3, 'dso': 'tcpterm', 'symbol': 'tt_worker_main'},
                     {'share': 0.15, 'dso': 'tcpterm', 'symbol': 'tt_http_parse'}]
        parts = {c['part']: c['share'] for c in
                 report.components(functions, idle={'rx': 0.1, 'loop': 0.05})}
        self.assertAlmostEqual(parts[report.COMPONENTS[report.PMD_PART][0]], 0.4)
        self.assertAlmostEqual(parts[report.COMPONENTS[report.REST_PART][0]], 0.25)
        self.assertAlmostEqual(parts[report.IDLE_PART], 0.15)
        self.assertAlmostEqual(parts['HTTP (requests parsed, responses queued)'], 0.15)
        self.assertAlmostEqual(sum(parts.values()), 1)
        self.assertAlmostEqual(parts["unlisted (each under the listing's limit)"], 0.05)
        # A window's idle share beyond what a part's samples hold takes that part to zero.
        parts = {c['part']: c['share'] for c in
                 report.components(functions, idle={'rx': 0.7, 'loop': 0.0})}
        self.assertAlmostEqual(parts[report.COMPONENTS[report.PMD_PART][0]], 0)
        self.assertAlmostEqual(parts[report.IDLE_PART], 0.5)
        self.assertNotIn(report.IDLE_PART, {c['part'] for c in report.components(functions)})

    def test_profile_rows_are_busy_cycles(self):
        """The recorded rps profile run with idle_port_rx_cycles written into its samples (60%
        of each sample's idle cycles): the idle row holds the window's idle share, the PMD's
        row and the rest's are that much lower than without, and the first parts' sum in
        results.md is of busy cycles."""
        raw = tempfile.mkdtemp(prefix='tt-idle-test-')
        self.addCleanup(shutil.rmtree, raw)
        shutil.copytree(FIXTURE, os.path.join(raw, 'raw'))
        path = os.path.join(raw, 'raw', 'profile-rps.samples.jsonl')
        rows = []
        for line in read(path).splitlines():
            if line.startswith('{'):
                x = json.loads(line)
                x['idle_port_rx_cycles'] = int(0.6 * x['idle_cycles'])
                line = json.dumps(x)
            rows.append(line)
        with open(path, 'w') as f:
            f.write('\n'.join(rows) + '\n')
        out, rcs = run_reports(os.path.join(raw, 'raw'), 'cps rps')
        self.addCleanup(shutil.rmtree, out)
        self.assertEqual(rcs, [0, 0])
        res = json.loads(read(os.path.join(out, 'results.json')))
        md = read(os.path.join(out, 'results.md'))
        before = {c['part']: c['share'] for c in report.profile_figures(FIXTURE, 'rps')[
            'components']}
        after = {c['part']: c['share'] for c in res['profiles']['rps']['components']}
        w = report.profile_window(os.path.join(raw, 'raw'), 'rps', report.last_json(
            os.path.join(FIXTURE, 'profile-rps.gen.json')))
        idle = w['idle_cycles'] / (w['idle_cycles'] + w['busy_cycles'])
        self.assertGreater(idle, 0.01)
        self.assertAlmostEqual(after[report.IDLE_PART], idle, places=3)
        pmd, rest = (report.COMPONENTS[i][0] for i in (report.PMD_PART, report.REST_PART))
        self.assertAlmostEqual(before[pmd] - after[pmd], 0.6 * idle, places=3)
        self.assertAlmostEqual(before[rest] - after[rest], 0.4 * idle, places=3)
        self.assertAlmostEqual(sum(after.values()), 1)
        self.assertIn('so that every other part is busy cycles', md)
        per_request = res['machine']['tsc_hz'] / res['profiles']['rps']['rate_during_profile']
        essential = sum(c['share'] for c in
                        res['profiles']['rps']['components'][:report.ESSENTIAL_PARTS])
        self.assertAlmostEqual(float(md_number(
            md, r'which any TCP terminator has on this link, cost ([\d,]+) cycles per request'
        ).replace(',', '')), essential * per_request, delta=1)
        self.assertIn("(its empty polls apart)", md)


class ProfileRunExit(unittest.TestCase):
    """A profile run's generator may report failed connections (status 3) only in a scenario
    meant to lose some (LOSSY_SCENARIOS); its appliance never."""

    def setUp(self):
        self.raw = tempfile.mkdtemp(prefix='tt-report-prof-')

    def tearDown(self):
        shutil.rmtree(self.raw)

    def problems(self, name, gen_rc, app_rc=0):
        """The problems of a raw directory holding name's profile run alone."""
        raw = tempfile.mkdtemp(dir=self.raw)
        shutil.copy(os.path.join(FIXTURE, 'profile-rps.txt'),
                    os.path.join(raw, f'profile-{name}.txt'))
        shutil.copy(os.path.join(FIXTURE, 'profile-rps.gen.json'),
                    os.path.join(raw, f'profile-{name}.gen.json'))
        for suffix, rc in (('gen.json.rc', gen_rc), ('appliance.log.rc', app_rc)):
            with open(os.path.join(raw, f'profile-{name}.{suffix}'), 'w') as f:
                f.write(f'{rc}\n')
        problems = []
        self.assertEqual(list(report.profiles_figures(raw, problems)), [name])
        return problems

    def test_failed_connections(self):
        self.assertEqual(self.problems('synflood', 3), [])
        self.assertEqual(self.problems('overload', 3), [])
        self.assertEqual(self.problems('cps', 3),
                         ['cps profile run: the generator: exited with status 3'])
        self.assertEqual(self.problems('synflood', 1),
                         ['synflood profile run: the generator: exited with status 1'])
        self.assertEqual(self.problems('synflood', 0, 141),
                         ['synflood profile run: the appliance: exited with status 141'])


def run_after_problems(test, prefix, rcs, word, edit=None):
    """check_correctness's problems naming word for cps run 1 of the fixture, with the exit
    statuses of the run after it (prefix + suffix: rc, None: no status file) as rcs gives them
    and edit (given the copy's directory) applied."""
    raw = tempfile.mkdtemp(prefix='tt-report-after-')
    test.addCleanup(shutil.rmtree, raw)
    for f in os.listdir(FIXTURE):
        if f.startswith('cps.1.'):
            shutil.copy(os.path.join(FIXTURE, f), raw)
    for suffix, rc in rcs.items():
        path = os.path.join(raw, prefix + suffix)
        os.remove(path)
        if rc is not None:
            with open(path, 'w') as f:
                f.write(f'{rc}\n')
    if edit:
        edit(raw)
    _, gens, apps, wins = report.scenario_figures(raw, 'cps', 1)
    problems = []
    report.check_correctness(raw, 'cps', gens, apps, wins, problems)
    return [p for p in problems if word in p]


class LinkRunAfterExit(unittest.TestCase):
    """The link run after a scenario's run is checked as the run itself: a reflector or a
    blaster that failed, or left no status, fails the report."""

    def problems(self, rc_reflect, rc_blast):
        return run_after_problems(self, 'cps.1.link.', {'reflect.json.rc': rc_reflect,
                                                        'gen.json.rc': rc_blast}, 'link run')

    def test_statuses(self):
        self.assertEqual(self.problems(0, 0), [])
        self.assertEqual(self.problems(130, 0),
                         ['cps run 1: the link run after it, the reflector: exited with status 130'])
        self.assertEqual(self.problems(0, 124),
                         ['cps run 1: the link run after it, the blaster: exited with status 124'])
        self.assertEqual(self.problems(None, 0),
                         ['cps run 1: the link run after it, the reflector: no exit status '
                          'recorded (cps.1.link.reflect.json.rc)'])


class ResponderRunExit(unittest.TestCase):
    """The responder run after a scenario's run is checked as the run itself: a responder or a
    generator that failed or left no status, or connections its client failed, fail the
    report."""

    def problems(self, rc_responder, rc_gen, failed=0):
        def fail(raw):
            gen = report.last_json(os.path.join(raw, 'cps.1.rsp.gen.json'))
            gen['failed_total'] = failed
            with open(os.path.join(raw, 'cps.1.rsp.gen.json'), 'w') as f:
                f.write(json.dumps(gen) + '\n')

        return run_after_problems(self, 'cps.1.rsp.', {'json.rc': rc_responder,
                                                       'gen.json.rc': rc_gen}, 'responder run',
                                  fail if failed else None)

    def test_statuses(self):
        self.assertEqual(self.problems(0, 0), [])
        self.assertEqual(self.problems(0, 3), [])
        self.assertEqual(self.problems(1, 0),
                         ['cps run 1: the responder run after it, the responder: exited with '
                          'status 1'])
        self.assertEqual(self.problems(0, 2),
                         ['cps run 1: the responder run after it, the generator: exited with '
                          'status 2'])
        self.assertEqual(self.problems(None, 0),
                         ['cps run 1: the responder run after it, the responder: no exit status '
                          'recorded (cps.1.rsp.json.rc)'])

    def test_failed_connections(self):
        self.assertEqual(self.problems(0, 3, failed=5),
                         ['cps run 1: the responder run after it: 5 failed and 0 unfinished '
                          'connections'])


class GeneratorFailures(unittest.TestCase):
    """Failed connections without a flood fail the report, which says why the generator's own
    stack ended connections where its result holds those counters (stack_closes)."""

    def problems(self, closes):
        def fail(raw):
            path = os.path.join(raw, 'cps.1.gen.json')
            gen = report.last_json(path)
            gen['failed_total'] = 1
            gen['failed']['timeout'] = 1
            gen['tx_failed'] = 48684
            if closes is not None:
                gen['stack_closes'] = closes
            with open(path, 'w') as f:
                f.write(json.dumps(gen) + '\n')

        return run_after_problems(self, 'cps.1.', {}, 'without a flood', fail)

    def test_reasons_named(self):
        zero = {'conn_retries_exhausted': 0, 'orphan_retries_exhausted': 0, 'orphans_reset': 0,
                'conn_timed_out': 0, 'conn_reset_by_us': 0}
        [p] = self.problems(dict(zero, orphan_retries_exhausted=1, conn_reset_by_us=2))
        self.assertTrue(p.startswith('cps run 1: 1 failed and 0 unfinished connections without '
                                     'a flood'), p)
        self.assertTrue(p.endswith("the generator's TX queue: 48684 frames refused and freed; "
                                   "its stack ended connections: orphan_retries_exhausted 1, "
                                   "conn_reset_by_us 2)"), p)
        [p] = self.problems(zero)
        self.assertTrue(p.endswith('its stack ended connections: none)'), p)
        [p] = self.problems(None)
        self.assertTrue(p.endswith('48684 frames refused and freed)'), p)


class VirtioReceive(unittest.TestCase):
    """The header names the appliance's virtio-user receive that bench/run.sh recorded."""

    def link_text(self, recorded, link='virtio'):
        raw = tempfile.mkdtemp(prefix='tt-report-rx-')
        self.addCleanup(shutil.rmtree, raw)
        if recorded is not None:
            with open(os.path.join(raw, 'virtio_rx'), 'w') as f:
                f.write(recorded + '\n')
        return report.machine_info(link, report.virtio_rx(raw))['link']

    def test_recorded_mode_named(self):
        self.assertIn("(virtio's plain receive (mrg_rxbuf=0, vectorized=1), the appliance's "
                      "checksums in software)", self.link_text('plain'))
        self.assertIn("(virtio's mergeable receive, the appliance's checksums offloaded)",
                      self.link_text('offload'))
        self.assertNotIn('receive', self.link_text(None))
        self.assertNotIn('receive', self.link_text('plain', 'memif'))


class SaturatedSide(unittest.TestCase):
    """Which side report.saturated_side names, at the SATURATED bound and on either side of it."""

    def test_one_or_neither(self):
        at, below = report.SATURATED, report.SATURATED - 0.001
        self.assertEqual(report.saturated_side(at, below), 'appliance')
        self.assertEqual(report.saturated_side(below, at), 'generator')
        self.assertTrue(report.saturated_side(below, below).startswith('neither'))
        self.assertEqual(report.saturated_side(None, at), 'unknown')

    def test_both_unless_the_generator_was_refused(self):
        self.assertEqual(report.saturated_side(0.99, 0.99), 'appliance and generator')
        self.assertEqual(report.saturated_side(0.99, 0.99, 0), 'appliance and generator')
        self.assertEqual(report.saturated_side(0.99, 0.99, 1),
                         'appliance (the generator offered more than it took)')
        # Refusals alone name no side: a generator below the bound is not the limit either way.
        self.assertEqual(report.saturated_side(0.99, 0.5, 1000), 'appliance')
        self.assertEqual(report.saturated_side(0.5, 0.99, 1000), 'generator')


class OpenLoop(unittest.TestCase):
    """The window figures the open_loop table reads, and the table beside the capacity runs."""

    def test_frames_per_busy_loop_and_shed(self):
        w = {'seconds': 1.0, 'busy_cycles': 1000, 'conn_opened': 10, 'rx_packets': 44,
             'loops': 30, 'loops_idle': 26, 'drop_tcp_syn_shed': 3}
        f = report.window_figures(w, None)
        self.assertEqual(f['frames_per_busy_loop'], 11.0)
        self.assertEqual(f['syns_shed_per_conn'], 0.3)
        w['loops_idle'] = 30  # no busy iteration: no figure rather than a division by zero
        self.assertIsNone(report.window_figures(w, None)['frames_per_busy_loop'])
        del w['loops']
        self.assertIsNone(report.window_figures(w, None)['frames_per_busy_loop'])

    def test_stall_rates(self):
        """The worker's iterations of 100 us and of 1 ms or more a second of the window; none
        from a telemetry that predates the counters."""
        w = {'seconds': 2.0, 'busy_cycles': 1000, 'loops_over_100us': 30, 'loops_over_1ms': 5}
        f = report.window_figures(w, None)
        self.assertEqual(f['stalls_100us_rate'], 15.0)
        self.assertEqual(f['stalls_1ms_rate'], 2.5)
        del w['loops_over_1ms']
        self.assertIsNone(report.window_figures(w, None)['stalls_1ms_rate'])

    @staticmethod
    def figures(**runs):
        return {name: {key: {'median': v} for key, v in keys.items()}
                for name, keys in runs.items()}

    def test_table_beside_the_capacity_runs(self):
        s = self.figures(
            cps={'cycles_per_conn': 3000.0, 'appliance_cps': 800000.0,
                 'frames_per_busy_loop': 128.0, 'appliance_busy': 0.983,
                 'generator_busy': 0.674},
            open_loop={'cycles_per_conn': 3750.0, 'offered_per_capacity': 0.75,
                       'frames_per_busy_loop': 11.0, 'syns_shed_per_conn': 0.072},
            overload={'cycles_per_conn': 3300.0, 'offered_per_capacity': 1.97})
        text = '\n'.join(report.open_loop_section(s, 'memif'))
        self.assertIn('offers 0.750 of the capacity', text)
        self.assertIn('took 1.250 x the busy cycles of one in cps in open_loop, 1.100 x in '
                      'overload', text)
        self.assertIn('| figure | cps | open_loop | overload |', text)
        self.assertIn('| busy cycles per connection | 3,000 | 3,750 | 3,300 |', text)
        # Both sides' busy fractions, so a reader can tell which one bounded each run.
        self.assertIn('| appliance busy | 0.983 | n/a | n/a |\n| generator busy | 0.674 | n/a | n/a |',
                      text)
        self.assertIn('| frames received per busy iteration | 128 | 11 | n/a |', text)
        self.assertIn('| SYNs shed per connection | n/a | 0.072 | n/a |', text)

    def test_vhost_link_reads_cps_vhost(self):
        s = self.figures(cps={'cycles_per_conn': 1.0},
                         cps_vhost={'cycles_per_conn': 2000.0},
                         open_loop={'cycles_per_conn': 3000.0})
        text = '\n'.join(report.open_loop_section(s, 'virtio'))
        self.assertIn('| figure | cps_vhost | open_loop |', text)
        self.assertIn('took 1.500 x the busy cycles of one in cps_vhost', text)


class ConcurrentMemory(unittest.TestCase):
    """The concurrent scenario's memory: all of it at the peak over the connections held then,
    and what it grew by from the first sample."""

    def test_peak_per_connection_and_growth(self):
        mib = 1024  # kB
        samples = [
            {'memory_kb': {'rss': 300 * mib, 'hugepages': 100 * mib}, 'conns': {'total': 0}},
            {'memory_kb': {'rss': 900 * mib, 'hugepages': 100 * mib}, 'conns': {'total': 4 << 20}},
            {'memory_kb': {'rss': 600 * mib, 'hugepages': 100 * mib}, 'conns': {'total': 1 << 20}},
            {'conns': {'total': 8 << 20}},  # no memory read: not a candidate
        ]
        m = report.memory_figures(samples)
        self.assertEqual(m['conns_held_peak'], 4 << 20)
        self.assertEqual(m['memory_at_peak_mib'], 1000)
        self.assertEqual(m['memory_per_conn_held'], 250)
        self.assertEqual(m['memory_growth_per_conn'], 150)
        self.assertEqual(report.memory_figures([{'conns': {'total': 5}}]), {})


class OverloadTurns(unittest.TestCase):
    """overload_alternate: the closed turns' capacity beside the open turns' goodput, each turn
    counted once its shedding was in force (bench/shed_turns.py's log)."""

    PERIOD = 1 << 30
    STEP = PERIOD // 5
    HZ = 2_000_000_000

    def samples(self):
        """0.2-turn intervals: closed turns (even) saturated at 3,000 busy cycles per
        connection, 4 frames received per connection at 200 cycles each in the port's receive,
        3 sent at 100 in its send; open turns at 0.9 busy and 3,500, 1.5 SYNs shed per
        connection, received at 250, the same 3 frames sent at 150."""
        rows, tsc = [], 7 * self.PERIOD + 1
        c = {'busy_cycles': 0, 'idle_cycles': 0, 'conn_closed': 0, 'drop_tcp_syn_shed': 0,
             'port_rx_cycles': 0, 'rx_packets': 0, 'port_tx_cycles': 0, 'tx_packets': 0}
        for _ in range(60):
            rows.append(dict(c, tsc=tsc))
            if (tsc // self.PERIOD) % 2 == 0:
                n = self.STEP // 3000
                c['busy_cycles'] += n * 3000
                c['idle_cycles'] += self.STEP - n * 3000
                c['rx_packets'] += 4 * n
                c['port_rx_cycles'] += 4 * n * 200
                c['port_tx_cycles'] += 3 * n * 100
            else:
                n = int(0.9 * self.STEP / 3500)
                c['busy_cycles'] += n * 3500
                c['idle_cycles'] += self.STEP - n * 3500
                c['drop_tcp_syn_shed'] += n * 3 // 2
                c['rx_packets'] += 4 * n + n * 3 // 2
                c['port_rx_cycles'] += (4 * n + n * 3 // 2) * 250
                c['port_tx_cycles'] += 3 * n * 150
            c['conn_closed'] += n
            c['tx_packets'] += 3 * n
            tsc += self.STEP
        return rows

    def gen(self, rows):
        return {'window': {'start_tsc': rows[0]['tsc'], 'end_tsc': rows[-1]['tsc'],
                           'tsc_hz': self.HZ},
                'turns': {'closed': {'busy_cycles': 60, 'idle_cycles': 40,
                                     'syns_accepted': 10},
                          'open': {'busy_cycles': 3 * self.HZ, 'idle_cycles': self.HZ,
                                   'syns_accepted': 4 * 2 * self.HZ // 3000}}}

    def test_figures_by_turn(self):
        rows = self.samples()
        applied = {t: t * self.PERIOD for t in range(7, 20)}
        f = report.turn_figures(rows, applied, self.gen(rows), self.HZ)
        n_closed, n_open = self.STEP // 3000, int(0.9 * self.STEP / 3500)
        self.assertAlmostEqual(f['closed_cycles_per_conn'], 3000)
        self.assertAlmostEqual(f['capacity_cps'], self.HZ / 3000)
        self.assertAlmostEqual(f['closed_busy'], 1.0, places=4)
        self.assertAlmostEqual(f['open_cycles_per_conn'], 3500)
        self.assertAlmostEqual(f['open_busy'], 0.9, places=4)
        self.assertAlmostEqual(f['open_shed_per_conn'], 1.5, places=3)
        self.assertEqual(f['closed_shed_per_conn'], 0)
        self.assertAlmostEqual(f['goodput_cps'], n_open * self.HZ / self.STEP)
        self.assertAlmostEqual(f['goodput_per_capacity'], n_open * 3000 / self.STEP)
        self.assertAlmostEqual(f['closed_cps'], n_closed * self.HZ / self.STEP)
        # What capacity the open turns lost: 0.1 to idle; the rest to their 500 cycles a
        # connection over the closed turns' 3,000, 1.5 SYNs shed a connection: 333 a SYN.
        self.assertAlmostEqual(f['lost_to_idle'], 0.1, places=4)
        self.assertAlmostEqual(f['lost_beyond_conns'], n_open * 500 / self.STEP)
        self.assertAlmostEqual(f['cycles_beyond_per_shed'], 500 / 1.5, delta=0.5)
        # The two views of the same cycles agree: the per-SYN figure times the SYNs shed a
        # TSC cycle is the share of the open turns' time beyond their connections.
        shed_per_cycle = 1.5 * n_open / self.STEP
        self.assertAlmostEqual(f['cycles_beyond_per_shed'] * shed_per_cycle,
                               f['lost_beyond_conns'], delta=1e-4)
        # The port's receive per frame by turn, and what the open turns' 1.5 SYNs a connection
        # leave at 250 cycles each beside the closed turns' 3,000: 3,000 / 3,375 of capacity.
        self.assertAlmostEqual(f['closed_rx_cycles_per_frame'], 200)
        self.assertAlmostEqual(f['open_rx_cycles_per_frame'], 250)
        self.assertAlmostEqual(f['ceiling_after_shed_receive'], 3000 / 3375, places=3)
        # A connection's cycles by part: the receive calls (4 frames at 200; 5.5 at 250), the
        # send calls (3 at 100; at 150) and the rest; the open turns' more by part.
        self.assertAlmostEqual(f['closed_rx_cycles_per_conn'], 800)
        self.assertAlmostEqual(f['open_rx_cycles_per_conn'], 1375, delta=0.5)
        self.assertAlmostEqual(f['closed_tx_cycles_per_conn'], 300)
        self.assertAlmostEqual(f['open_tx_cycles_per_conn'], 450)
        self.assertAlmostEqual(f['closed_own_cycles_per_conn'], 1900)
        self.assertAlmostEqual(f['open_own_cycles_per_conn'], 1675, delta=0.5)
        self.assertAlmostEqual(f['extra_rx_cycles_per_conn'], 575, delta=0.5)
        self.assertAlmostEqual(f['extra_tx_cycles_per_conn'], 150)
        self.assertAlmostEqual(f['extra_own_cycles_per_conn'], -225, delta=0.5)
        self.assertAlmostEqual(f['closed_rx_frames_per_conn'], 4)
        self.assertAlmostEqual(f['open_rx_frames_per_conn'], 5.5, delta=1e-3)
        self.assertAlmostEqual(f['closed_tx_frames_per_conn'], 3)
        self.assertAlmostEqual(f['open_tx_frames_per_conn'], 3)
        # The generator's own: its busy by turn, and the SYNs the link took in the open turns
        # over their 4 s: twice the capacity.
        self.assertAlmostEqual(f['closed_generator_busy'], 0.6)
        self.assertAlmostEqual(f['open_generator_busy'], 0.75)
        self.assertAlmostEqual(f['offered_per_capacity'], 2.0, places=3)
        # Four intervals start in each whole turn; the one that ends in the next is left out.
        self.assertEqual(f['closed_intervals'] + f['open_intervals'], 59 - 59 // 5)

    def test_turn_counted_from_its_reload(self):
        rows = self.samples()
        turns = range(7, 20)
        whole = report.turn_figures(rows, {t: t * self.PERIOD for t in turns}, self.gen(rows),
                                    self.HZ)
        # Every turn's reload answered just after its first sample: one interval fewer a turn.
        firsts = {}
        for r in rows:
            firsts.setdefault(r['tsc'] // self.PERIOD, r['tsc'])
        applied = {t: tsc + 1 for t, tsc in firsts.items()}
        f = report.turn_figures(rows, applied, self.gen(rows), self.HZ)
        self.assertEqual(whole['closed_intervals'] - f['closed_intervals'], 6)
        self.assertEqual(whole['open_intervals'] - f['open_intervals'], 6)
        self.assertAlmostEqual(f['closed_cycles_per_conn'], 3000)
        # A turn whose reload was refused is not in applied: left out whole.
        del applied[8]
        g = report.turn_figures(rows, applied, self.gen(rows), self.HZ)
        self.assertEqual(f['closed_intervals'] - g['closed_intervals'], 3)

    def test_runs_and_section(self):
        raw = tempfile.mkdtemp(prefix='tt-report-turns-')
        self.addCleanup(shutil.rmtree, raw)
        rows = self.samples()
        base = os.path.join(raw, 'overload_alternate.1')
        with open(base + '.gen.json', 'w') as f:
            f.write('tcpterm-gen: started\n' + json.dumps(self.gen(rows)) + '\n')
        with open(base + '.samples.jsonl', 'w') as f:
            f.writelines(json.dumps(r) + '\n' for r in rows)
        for rc in ('.gen.json.rc', '.appliance.log.rc'):
            with open(base + rc, 'w') as f:
                f.write('0\n')
        problems = []
        self.assertIsNone(report.turns_figures(raw, 1, problems))
        self.assertEqual(problems, ['overload_alternate run 1: no log of the turns\' shedding '
                                    '(bench/shed_turns.py)'])
        with open(base + '.turns.jsonl', 'w') as f:
            for t in range(7, 20):
                f.write(json.dumps({'turn': t, 'applied_tsc': t * self.PERIOD,
                                    'outcome': 'refused' if t == 9 else 'applied'}) + '\n')
        problems = []
        t = report.turns_figures(raw, 1, problems)
        self.assertEqual(problems, [])
        self.assertAlmostEqual(t['capacity_cps']['median'], self.HZ / 3000)
        self.assertEqual(t['reloads_refused']['runs'], [1])
        text = '\n'.join(report.turns_section(t))
        self.assertIn('| busy cycles per connection | 3,000 | 3,500 |', text)
        self.assertIn('| appliance busy | 1.000 | 0.900 |', text)
        self.assertIn('| generator busy | 0.600 | 0.750 |', text)
        self.assertIn(f"**goodput / capacity {report.fmt(t['goodput_per_capacity']['median'])}**",
                      text)
        self.assertIn('reload refused: 1 over the runs', text)
        self.assertIn("| port's receive calls, cycles per frame received | 200 | 250 |", text)
        self.assertIn('goodput / capacity is at most 0.889, whatever tcpterm does', text)
        self.assertIn("| of those, in the port's send calls | 300 | 450 |", text)
        self.assertIn("| frames received per connection (SYNs shed included) | 4.000 | 5.500 |",
                      text)
        self.assertIn('150 in its send calls and -225 outside them', text)
        self.assertIn('### Capacity and overload in one run (tcpterm-gen --alternate)', text)
        # The memif run's, under its own name and heading; absent, no figures and no problem.
        self.assertIsNone(report.turns_figures(raw, 1, problems, report.MEMIF_TURNS_SCENARIO))
        self.assertEqual(problems, [])
        for f in os.listdir(raw):
            if f.startswith('overload_alternate.1.'):
                shutil.copy(os.path.join(raw, f), os.path.join(
                    raw, f.replace('overload_alternate.', report.MEMIF_TURNS_SCENARIO + '.')))
        m = report.turns_figures(raw, 1, problems, report.MEMIF_TURNS_SCENARIO)
        self.assertEqual(problems, [])
        self.assertEqual(m['goodput_per_capacity'], t['goodput_per_capacity'])
        self.assertIn('### Capacity and overload in one run, on memif',
                      '\n'.join(report.turns_section(m, memif=True)))


class MissingScenario(unittest.TestCase):
    def setUp(self):
        self.raw = tempfile.mkdtemp(prefix='tt-report-raw-')
        for f in os.listdir(FIXTURE):
            if not f.startswith('rps.'):
                shutil.copy(os.path.join(FIXTURE, f), self.raw)

    def tearDown(self):
        shutil.rmtree(self.raw)

    def check(self, scenarios, missing):
        out, rcs = run_reports(self.raw, scenarios)
        try:
            self.assertEqual(rcs, [0, 0])
            text, checker, svgs = parse_page(os.path.join(out, 'report.html'))
            self.assertEqual(checker.errors, [])
            m = re.search(r'<p class="missing" id="missing">([^<]*)</p>', text)
            self.assertIsNotNone(m)
            self.assertEqual(m.group(1).split(': ', 1)[1].split(', '), missing)
            self.assertEqual(len(svgs['rates']), 1)  # cps only
            self.assertTrue(series(svgs['rates'][0]))
            self.assertTrue(svgs['rates'][0].findtext(SVG + 'title').startswith('cps:'))
        finally:
            shutil.rmtree(out)

    def test_asked_for_and_missing(self):
        self.check('cps rps', ['rps'])

    def test_default_is_every_scenario(self):
        self.check('', [n for n in report.TCP_SCENARIOS if n != 'cps'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
