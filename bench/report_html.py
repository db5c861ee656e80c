#!/usr/bin/env python3
"""One self-contained page per benchmark run: report.html beside results.md.

    report_html.py --out bench/results/<date>

reads what bench/report.py wrote (results.json: medians, references, machine, parameters,
correctness) and the run's raw/ directory for what results.json does not keep: the
appliance's telemetry samples (a rate every 0.1 s, bench/telemetry.py) and the generator's
latency histogram buckets.  The page has five sections, each with its charts (inline SVG from
bench/report_svg.py; no script, no fetch, it opens offline in any browser):

- rates over time: one chart per scenario, the appliance's rate of the scenario's unit between
  consecutive samples, one line per run, time from the start of the generator's load window;
- latency CDFs: connect and request latency, one step line per scenario (runs merged);
- tcpterm beside the Linux reference (nginx + wrk on loopback) and the link's limit, as bars;
- per-unit cost: busy cycles, frames and bytes each way per connection (request, SYN cookie);
- the machine and the parameters.

A scenario the run was asked for but that left no result is named on the page (and left out
of the charts), never a reason to fail: the page is how one finds out.  Exits non-zero only
when results.json cannot be read, like report.py when it cannot write results.md.
"""
import argparse
import html
import json
import os
import sys

import report
import report_svg as svg

# The rate-over-time chart counts the scenario's unit, except where another figure says more.
RATE_OVERRIDES = {'throughput': ('app_tx_bytes', 8e-9, 'Gbit/s sent by the appliance')}
# Seconds of samples shown before and after the generator's load window.
RATE_MARGIN_S = 1.0
# The bar charts with a group per scenario are drawn wide enough for their labels.
COST_WIDTH = 1100

STYLE = """
body { font-family: sans-serif; max-width: 1500px; margin: 1em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; border-bottom: 1px solid #ccc; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.charts svg { max-width: 100%; height: auto; border: 1px solid #eee; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ccc;
padding: 2px 8px; text-align: left; } .problem { color: #b00; } .missing { color: #b60; }
p.note { font-size: .9em; color: #555; max-width: 60em; }
"""


def esc(text):
    return html.escape(str(text), quote=True)


def runs_of(raw, name, runs):
    """(run number, generator result or None, telemetry samples) for each run."""
    return [(r, report.last_json(os.path.join(raw, f'{name}.{r}.gen.json')),
             report.load_samples(os.path.join(raw, f'{name}.{r}.samples.jsonl')))
            for r in range(1, runs + 1)]


def rate_series(samples, window, counter, scale):
    """(seconds from the load window's start, rate) between consecutive samples."""
    if not samples:
        return []
    hz = samples[-1]['tsc_hz']
    t0 = window['start_tsc'] if window else samples[0]['tsc']
    end = window['end_tsc'] if window else samples[-1]['tsc']
    lo, hi = t0 - RATE_MARGIN_S * hz, end + RATE_MARGIN_S * hz
    inside = [x for x in samples if lo <= x.get('tsc', -1) <= hi and counter in x]
    return [(round((b['tsc'] - t0) / hz, 6), (b[counter] - a[counter]) * scale * hz /
             (b['tsc'] - a['tsc'])) for a, b in zip(inside, inside[1:]) if b['tsc'] > a['tsc']]


def rate_charts(raw, res, present):
    charts = []
    runs = res['params']['runs']
    for name in present:
        unit = report.scenario_unit(name)
        counter, scale, label = RATE_OVERRIDES.get(
            name, (report.UNIT_FIGURES[unit][0], 1, f'{unit}s/s at the appliance'))
        series, window_s = [], None
        for r, gen, samples in runs_of(raw, name, runs):
            win = (gen or {}).get('window')
            if win and window_s is None:
                window_s = win['seconds']
            pts = rate_series(samples, win, counter, scale)
            if pts:
                series.append((f'run {r}', pts))
        marks = [0, window_s] if window_s else []
        charts.append(svg.line_chart(f'{name}: {label}, every 0.1 s', series,
                                     's from the start of the load window', label, marks=marks))
    return charts


def merged_buckets(gens, key):
    counts = {}
    for g in gens:
        for upper, n in (g or {}).get(key, {}).get('buckets', []):
            counts[upper] = counts.get(upper, 0) + n
    return sorted(counts.items())


def cdf_points(buckets):
    total = sum(n for _, n in buckets)
    pts, seen = [], 0
    for upper, n in buckets:
        seen += n
        pts.append((upper, seen / total))
    return pts


def latency_charts(raw, res, present):
    charts = []
    for key, what in (('connect_us', 'connect'), ('request_us', 'request')):
        series = []
        for name in present:
            gens = [g for _, g, _ in runs_of(raw, name, res['params']['runs'])]
            buckets = merged_buckets(gens, key)
            if not buckets:
                continue
            s = res['scenarios'][name]
            p50, p99 = s[f'{what}_p50']['median'], s[f'{what}_p99']['median']
            series.append((f'{name} (p50 {report.fmt(p50)}, p99 {report.fmt(p99)})',
                           cdf_points(buckets)))
        charts.append(svg.line_chart(f'{what} latency CDF (all runs merged)', series,
                                     'microseconds (log)', 'fraction at or below',
                                     x_log=True, step=True, y_range=(0, 1)))
    return charts


def cost_figures(raw, name, runs):
    """Medians over the runs of frames and bytes each way per unit, over the load window."""
    counter = report.UNIT_FIGURES[report.scenario_unit(name)][0]
    per_run = {k: [] for k in ('frames_in', 'frames_out', 'bytes_in', 'bytes_out')}
    for _, gen, samples in runs_of(raw, name, runs):
        w = report.appliance_window(samples, (gen or {}).get('window'))
        if not w or not w.get(counter):
            continue
        for key, c in (('frames_in', 'rx_packets'), ('frames_out', 'tx_packets'),
                       ('bytes_in', 'rx_bytes'), ('bytes_out', 'tx_bytes')):
            per_run[key].append(w[c] / w[counter])
    return {k: report.median(v) for k, v in per_run.items()}


def med(res, name, key):
    return res['scenarios'].get(name, {}).get(key, {}).get('median')


# The reference chart's groups: (label, tcpterm's scenario and figure, Linux's figure).
REFERENCE_GROUPS = [
    ('connections/s, client closes', 'cps', 'cps', 'linux_close_cps'),
    ('connections/s, server closes', 'cps_server_close', 'cps', 'linux_close_cps'),
    ('requests/s, keep-alive', 'rps', 'rps', 'linux_keepalive_rps'),
    ('requests/s, pipelined', 'rps_pipelined', 'rps', 'linux_keepalive_rps'),
]


def link_ceiling(res, costs, name):
    """The link's round trips per second over the frames one unit takes both ways (the
    convention of results.md's ratios); None without either."""
    mpps = res['reference']['link_mpps']['median']
    c = costs.get(name)
    if mpps is None or not c or c['frames_in'] is None:
        return None
    return mpps * 1e6 / (c['frames_in'] + c['frames_out'])


def reference_chart(res, costs):
    groups = [(label, [med(res, name, key), res['reference'][ref]['median'],
                       link_ceiling(res, costs, name)])
              for label, name, key, ref in REFERENCE_GROUPS]
    return svg.bar_chart('tcpterm beside Linux (nginx + wrk) and the link limit (log)', groups,
                         ['tcpterm (generator-measured)', 'Linux nginx, 1 core',
                          'link limit / frames per unit'], 'per second', y_log=True,
                         width=COST_WIDTH)


def cost_charts(res, costs, present):
    def unit_label(name):
        return f'{name}\n({report.scenario_unit(name)})'

    cycles = [(unit_label(n), [med(res, n, report.UNIT_FIGURES[report.scenario_unit(n)][2])])
              for n in present]
    frames = [(unit_label(n), [costs[n]['frames_in'], costs[n]['frames_out']]) for n in present]
    octets = [(unit_label(n), [costs[n]['bytes_in'], costs[n]['bytes_out']]) for n in present]
    # Log scales: a 1 MiB response costs a thousand times a short connection.
    return [svg.bar_chart('appliance busy cycles per unit (log)', cycles, ['busy cycles'],
                          'TSC cycles', y_log=True, width=COST_WIDTH),
            svg.bar_chart('frames per unit at the appliance (log)', frames,
                          ['received', 'sent'], 'frames', y_log=True, width=COST_WIDTH),
            svg.bar_chart('bytes per unit at the appliance (log)', octets,
                          ['received', 'sent'], 'bytes', y_log=True, width=COST_WIDTH)]


def table(rows, head=None):
    out = ['<table>']
    if head:
        out.append('<tr>' + ''.join(f'<th>{esc(h)}</th>' for h in head) + '</tr>')
    out += ['<tr>' + ''.join(f'<td>{esc(c)}</td>' for c in row) + '</tr>' for row in rows]
    out.append('</table>')
    return '\n'.join(out)


def machine_section(raw, res, present, missing):
    m, p = res['machine'], res['params']
    rows = [('CPU', f"{m['cpu']}, {m['cores']} cores"), ('TSC Hz', report.fmt(m.get('tsc_hz'))),
            ('kernel', m['kernel']), ('DPDK', m['dpdk']), ('git revision', m.get('git', 'unknown')),
            ('link', m['link']), ('RUNS', p['runs']),
            ('duration', f"{p['duration_s']} s per run{' (quick)' if p['quick'] else ''}"),
            ('scenarios run', ' '.join(present) or 'none'),
            ('scenarios missing', ' '.join(missing) or 'none')]
    per = []
    for name in present:
        gens = [g for _, g, _ in runs_of(raw, name, p['runs'])]
        per.append((name, sum(1 for g in gens if g), report.fmt(report.median(
            [g.get('seconds') for g in gens if g])), report.fmt(med(res, name, 'window_s')),
            res['scenarios'][name]['saturated']))
    return (table(rows) + '\n' +
            table(per, ['scenario', 'runs with a result', 'generator run s (median)',
                        'load window s (median)', 'saturated side']))


def expected_scenarios(res):
    asked = res['params'].get('scenarios') or report.TCP_SCENARIOS
    return [n for n in asked if n in report.TCP_SCENARIOS]


def page(raw, res):
    expected = expected_scenarios(res)
    present = [n for n in report.TCP_SCENARIOS if n in res['scenarios']]
    missing = [n for n in expected if n not in res['scenarios']]
    for ref, what in (('link_mpps', 'link limit (blast/reflect)'),
                      ('linux_close_cps', 'Linux reference, Connection: close'),
                      ('linux_keepalive_rps', 'Linux reference, keep-alive')):
        if res['reference'][ref]['median'] is None:
            missing.append(what)
    costs = {n: cost_figures(raw, n, res['params']['runs']) for n in present}
    quick = ' (quick: smoke figures)' if res['params']['quick'] else ''
    title = f"tcpterm benchmark {res['date']}{quick}"
    body = [f'<h1>{esc(title)}</h1>']
    problems = res['correctness']['problems']
    body.append('<p class="problem">Correctness problems:</p><ul>' +
                ''.join(f'<li class="problem">{esc(x)}</li>' for x in problems) + '</ul>'
                if problems else '<p>Correctness: every run passed.</p>')
    if missing:
        body.append('<p class="missing" id="missing">Missing from this run (no result in raw/): '
                    + esc(', '.join(missing)) + '</p>')
    sections = [
        ('rates', 'Rates over time', rate_charts(raw, res, present),
         'The appliance\'s telemetry, sampled every 0.1 s: the rate of the scenario\'s unit '
         'between consecutive samples. The dashed lines bound the generator\'s load window.'),
        ('latency', 'Latency CDFs', latency_charts(raw, res, present),
         'The generator\'s histograms (buckets within 3% of the value), every run merged: '
         'connect = SYN to established, request = request sent to response verified.'),
        ('reference', 'tcpterm, Linux and the link', [reference_chart(res, costs)],
         'Medians of the runs. Linux: nginx (1 worker) and wrk on loopback, one core each. '
         'Link limit: the raw round trips per second of 64 B frames over the same virtio link, '
         'divided by the frames one connection (request) takes both ways at the appliance.'),
        ('cost', 'Per-unit cost', cost_charts(res, costs, present),
         'Over the load window: the appliance\'s busy cycles, frames and bytes each way per '
         'unit (a connection; a request for rps, rps_pipelined and throughput; a SYN cookie '
         'for synflood). Medians of the runs.'),
    ]
    for sid, head, charts, note in sections:
        body.append(f'<section id="{sid}"><h2>{esc(head)}</h2><p class="note">{esc(note)}</p>'
                    f'<div class="charts">\n' + '\n'.join(charts) + '\n</div></section>')
    body.append(f'<section id="machine"><h2>Machine and parameters</h2>\n'
                f'{machine_section(raw, res, present, missing)}</section>')
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
            f'<title>{esc(title)}</title><style>{STYLE}</style></head><body>\n' +
            '\n'.join(body) + '\n</body></html>\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True, help='the run directory (results.json, raw/)')
    args = ap.parse_args()
    with open(os.path.join(args.out, 'results.json')) as f:
        res = json.load(f)
    text = page(os.path.join(args.out, 'raw'), res)
    with open(os.path.join(args.out, 'report.html'), 'w') as f:
        f.write(text)
    print(f'bench: report in {os.path.join(args.out, "report.html")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
