"""Charts as inline SVG, with the Python standard library only (for bench/report_html.py).

Three kinds, each one function returning one <svg> element as text: line_chart (one polyline
per series; step=True draws a CDF's steps), and bar_chart (groups of bars, one bar per series
in each group).  Every chart has axes with ticks and labels, a title and a legend; an axis may be
logarithmic.  The page needs no script and no fetch: the text is the whole picture.

The values drawn are kept beside the pixels: each series is a <g class="series"
data-name="..."> whose polyline carries data-values="x,y x,y ..." (the data, not the
coordinates), each bar is a <rect class="bar" data-group data-series data-value> with a
<title> tooltip.  A reader of the page source, or a test, sees what was plotted.
"""
import html
import math

WIDTH, HEIGHT = 720, 340
MARGIN = {'left': 72, 'right': 16, 'top': 34, 'bottom': 48}
LEGEND_ROW = 16
COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
           '#7f7f7f', '#bcbd22', '#17becf']


def colour(i):
    return COLOURS[i % len(COLOURS)]


def esc(text):
    return html.escape(str(text), quote=True)


def compact(v):
    """A tick label: 0.25, 12, 3.4k, 1.2M, 5G."""
    if v == 0:
        return '0'
    a = abs(v)
    for div, suffix in ((1e9, 'G'), (1e6, 'M'), (1e3, 'k')):
        if a >= div:
            return f'{v / div:.3g}{suffix}'
    return f'{v:.3g}'


def exact(v):
    """A value in a tooltip or a data attribute: repr-exact for floats, plain for ints."""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v) if isinstance(v, float) else str(v)


class Axis:
    """Maps data values on [lo, hi] to pixels on [p0, p1], linearly or by log10."""

    def __init__(self, lo, hi, p0, p1, log=False):
        if log:
            lo = max(lo, 1e-12)
            hi = max(hi, lo)
            lo, hi = 10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi))
            if lo == hi:
                hi = lo * 10
        else:
            if lo == hi:
                lo, hi = (lo - 1, hi + 1) if lo else (0, 1)
            step = nice_step(hi - lo)
            lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
        self.lo, self.hi, self.p0, self.p1, self.log = lo, hi, p0, p1, log

    def px(self, v):
        if self.log:
            v = max(v, self.lo)
            f = (math.log10(v) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        else:
            f = (v - self.lo) / (self.hi - self.lo)
        return self.p0 + f * (self.p1 - self.p0)

    def ticks(self):
        if self.log:
            decades = range(round(math.log10(self.lo)), round(math.log10(self.hi)) + 1)
            step = max(1, math.ceil(len(decades) / 8))
            return [10.0 ** d for d in decades if (d - decades[0]) % step == 0]
        step = nice_step(self.hi - self.lo)
        n = round((self.hi - self.lo) / step)
        return [self.lo + i * step for i in range(n + 1)]


def nice_step(span, target=5):
    """A step of 1, 2 or 5 times a power of ten giving about `target` intervals."""
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def frame(title, x_label, y_label, legend, width):
    """The <svg> opening, title, axis labels and legend; returns (parts, plot box)."""
    box = (MARGIN['left'], MARGIN['top'], width - MARGIN['right'], HEIGHT - MARGIN['bottom'])
    # As many legend entries to a row as the longest one leaves room for (~6 px a character).
    longest = max((len(n) for n in legend), default=1)
    cols = max(1, min(4, int((box[2] - box[0]) // (longest * 6 + 24))))
    rows = math.ceil(len(legend) / cols)
    height = HEIGHT + 8 + rows * LEGEND_ROW
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} '
             f'{height}" width="{width}" height="{height}" role="img" aria-label="{esc(title)}" '
             f'font-family="sans-serif" font-size="11">',
             f'<title>{esc(title)}</title>',
             f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="13" '
             f'font-weight="bold">{esc(title)}</text>',
             f'<text x="{(box[0] + box[2]) / 2}" y="{box[3] + 36}" text-anchor="middle">'
             f'{esc(x_label)}</text>',
             f'<text transform="translate(14,{(box[1] + box[3]) / 2}) rotate(-90)" '
             f'text-anchor="middle">{esc(y_label)}</text>']
    for i, name in enumerate(legend):
        x = box[0] + (i % cols) * ((box[2] - box[0]) / cols)
        y = HEIGHT + 4 + (i // cols) * LEGEND_ROW
        parts.append(f'<g class="legend"><rect x="{x:.1f}" y="{y - 9}" width="12" height="10" '
                     f'fill="{colour(i)}"/><text x="{x + 16:.1f}" y="{y}">{esc(name)}</text></g>')
    return parts, box


def axes(parts, box, xa, ya, x_ticks=True):
    x0, y0, x1, y1 = box
    parts.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="none" '
                 f'stroke="#444"/>')
    for t in ya.ticks():
        y = ya.px(t)
        parts.append(f'<line class="tick" x1="{x0 - 4}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{compact(t)}</text>')
    if x_ticks:
        for t in xa.ticks():
            x = xa.px(t)
            parts.append(f'<line class="tick" x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y1 + 4}" '
                         f'stroke="#ddd"/><text x="{x:.1f}" y="{y1 + 16}" '
                         f'text-anchor="middle">{compact(t)}</text>')


def empty(parts, box, note):
    parts.append(f'<text class="empty" x="{(box[0] + box[2]) / 2}" y="{(box[1] + box[3]) / 2}" '
                 f'text-anchor="middle">{esc(note)}</text></svg>')
    return '\n'.join(parts)


def line_chart(title, series, x_label, y_label, x_log=False, y_log=False, step=False,
               y_range=None, marks=(), width=WIDTH):
    """series: [(name, [(x, y), ...]), ...].  step: hold each y until the next x (a CDF).
    marks: x values drawn as dashed vertical lines (e.g. a window's bounds)."""
    parts, box = frame(title, x_label, y_label, [n for n, _ in series], width)
    pts = [p for _, s in series for p in s]
    if not pts:
        return empty(parts, box, 'no data')
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    if x_log:
        xs = [x for x in xs if x > 0] or [1]
    ylo, yhi = y_range or (min(0, min(ys)) if not y_log else min(y for y in ys if y > 0),
                           max(ys))
    xa = Axis(min(xs), max(xs), box[0], box[2], x_log)
    ya = Axis(ylo, yhi, box[3], box[1], y_log)
    axes(parts, box, xa, ya)
    for m in marks:
        x = xa.px(m)
        parts.append(f'<line class="mark" x1="{x:.1f}" y1="{box[1]}" x2="{x:.1f}" '
                     f'y2="{box[3]}" stroke="#888" stroke-dasharray="4 3"/>')
    for i, (name, s) in enumerate(series):
        coords, prev = [], None
        for x, y in s:
            if step and prev is not None:
                coords.append(f'{xa.px(x):.1f},{ya.px(prev):.1f}')
            coords.append(f'{xa.px(x):.1f},{ya.px(y):.1f}')
            prev = y
        values = ' '.join(f'{exact(x)},{exact(y)}' for x, y in s)
        parts.append(f'<g class="series" data-name="{esc(name)}"><polyline fill="none" '
                     f'stroke="{colour(i)}" stroke-width="1.5" points="{" ".join(coords)}" '
                     f'data-values="{values}"/></g>')
    parts.append('</svg>')
    return '\n'.join(parts)


def bar_chart(title, groups, series_names, y_label, y_log=False, width=WIDTH):
    """groups: [(label, [value or None for each series]), ...]; None draws 'n/a'.  A label
    may hold a second line after a newline."""
    parts, box = frame(title, '', y_label, series_names, width)
    values = [v for _, vs in groups for v in vs if v is not None]
    if not values:
        return empty(parts, box, 'no data')
    lo = min(v for v in values if v > 0) if y_log and any(v > 0 for v in values) else 0
    ya = Axis(lo, max(values), box[3], box[1], y_log)
    axes(parts, box, None, ya, x_ticks=False)
    gw = (box[2] - box[0]) / len(groups)
    bw = gw * 0.8 / max(1, len(series_names))
    base = ya.px(ya.lo)
    for g, (label, vs) in enumerate(groups):
        gx = box[0] + g * gw + gw * 0.1
        cx = box[0] + (g + 0.5) * gw
        flat = label.replace('\n', ' ')
        lines = ''.join(f'<tspan x="{cx:.1f}" dy="{0 if k == 0 else 12}">{esc(t)}</tspan>'
                        for k, t in enumerate(label.split('\n')))
        parts.append(f'<text class="group" x="{cx:.1f}" y="{box[3] + 14}" '
                     f'text-anchor="middle">{lines}</text>')
        for i, v in enumerate(vs):
            x = gx + i * bw
            if v is None:
                parts.append(f'<text class="missing" x="{x + bw / 2:.1f}" y="{base - 4:.1f}" '
                             f'text-anchor="middle">n/a</text>')
                continue
            top = ya.px(v)
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{min(top, base):.1f}" '
                         f'width="{bw * 0.9:.1f}" height="{abs(base - top):.2f}" '
                         f'fill="{colour(i)}" data-group="{esc(flat)}" '
                         f'data-series="{esc(series_names[i])}" data-value="{exact(v)}">'
                         f'<title>{esc(series_names[i])}, {esc(flat)}: {v:,.6g}</title></rect>'
                         f'<text x="{x + bw * 0.45:.1f}" y="{min(top, base) - 3:.1f}" '
                         f'text-anchor="middle" font-size="9">{compact(v)}</text>')
    parts.append('</svg>')
    return '\n'.join(parts)
