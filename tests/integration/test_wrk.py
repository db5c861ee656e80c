"""The wrk scripts of bench/wrk against the appliance: pipelined requests, a keep-alive /
Connection: close mix, POST bodies framed by Content-Length and chunked.

Each script runs for a bounded time and prints machine-readable totals (bench/wrk/tt_report.lua:
a `TT_WRK {json}` line); every run must complete requests with no error of any kind and no
status outside 2xx, and the appliance's counters (telemetry) must show the kind of traffic the
script sends, not just that something was answered.
"""

import json
import subprocess

import pytest

from conftest import APPLIANCE_IP, REPO, appliance_fixture, delta, kernel_drops, note

BODY = 100
app = appliance_fixture("wrk", body_size=BODY)
URL = f"http://{APPLIANCE_IP}/"
SCRIPTS = REPO / "bench" / "wrk"
DURATION = "2s"


def run_script(app, name, connections, *script_args):
    """wrk -s bench/wrk/NAME for DURATION; returns the TT_WRK totals, wrk's output and the
    appliance's drops by reason during the run."""
    drops0 = app.drops()
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{DURATION}", "--timeout", "2s",
           "-s", str(SCRIPTS / name), URL, "--", *map(str, script_args)]
    k0 = kernel_drops()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    k1 = kernel_drops()
    lost = {k: k1[k] - k0[k] for k in k0 if k1[k] != k0[k]}
    out = r.stdout + r.stderr + (f"kernel drops during the run: {lost}\n" if lost else "")
    assert r.returncode == 0, out
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("TT_WRK ")]
    assert len(lines) == 1, out
    totals = json.loads(lines[0][len("TT_WRK "):])
    drops = delta(app.drops(), drops0)
    note(f"wrk {name} {' '.join(map(str, script_args))} (-t1 -c{connections} -d{DURATION}): "
         f"{totals['requests']} requests, errors {totals['errors']}, non-2xx "
         f"{totals['non2xx']}; appliance drops {drops}")
    return totals, out + f"appliance drops during the run: {drops}\n", drops


def assert_clean(t, out, drops):
    """Requests completed, no error of any kind, every response 2xx and counted; the
    appliance dropped nothing but duplicates (tcp_out_of_window: a segment it had already
    taken, sent again by the kernel's tail loss probe when the appliance's worker was
    descheduled for a few ms on this 2-CPU machine; answered with an ACK)."""
    assert set(drops) <= {"tcp_out_of_window"}, out
    assert t["requests"] > 0, out
    assert all(v == 0 for v in t["errors"].values()), out
    assert t["non2xx"] == 0, out
    assert t["responses"] == t["requests"], out


def assert_rx_bytes(d, lengths, connections):
    """The appliance consumed the bytes of the requests it answered, once each: with every
    connection repeating the same write of requests of these lengths, n requests answered in
    order are the first n of that sequence.  A write cut short when wrk stops (it closes with
    responses unread, so the kernel resets and drops what it had not sent) leaves at most one
    unfinished request per connection (wrk opens one more to check the address first)."""
    n = d["http_requests"]
    full, part = divmod(n, len(lengths))
    expected = full * sum(lengths) + sum(lengths[:part])
    slack = (connections + 1) * max(lengths)
    assert abs(d["app_rx_bytes"] - expected) <= slack, (expected, d)


@pytest.mark.parametrize("depth", [8, 32])
def test_pipelined(app, depth):
    before = app.stats()
    t, out, drops = run_script(app, "pipeline.lua", 4, depth)
    assert_clean(t, out, drops)
    # Answered at the pace of the link, not of retransmissions: a batch deeper than the send
    # queue's 8 extents used to wait for an RTO (~200 ms) of the requests refused, a few
    # hundred requests in the whole run.
    assert t["requests"] >= 20000, out
    d = delta(app.stats(), before)
    print(out, d)
    assert d["http_requests"] >= t["requests"], d
    assert d.get("conn_reset_by_us", 0) == 0, d
    assert d.get("retransmits", 0) == 0, d
    # The 4 connections, and the one wrk opens to check the address before it starts.
    assert d.get("conn_opened", 0) <= 4 + 1, d
    # Pipelining as the appliance sees it: a write of `depth` requests arrives as one
    # segment, so the segments it received (ACKs included) are far fewer than the requests.
    assert d["http_requests"] >= 3 * d["rx_packets"], d
    # Every request was consumed whole, once: no byte parsed twice or skipped.
    assert len(t["request_lengths"]) == depth
    assert_rx_bytes(d, t["request_lengths"], 4)


def test_close_mix(app):
    every, conns = 4, 8
    before = app.stats()
    t, out, drops = run_script(app, "close_mix.lua", conns, every)
    in_tw = app.conns()["time_wait"]
    assert_clean(t, out, drops)
    d = delta(app.stats(), before)
    print(out, d, "time_wait", in_tw)
    assert d.get("conn_reset_by_us", 0) == 0, d
    # One request in `every` asks to close; the appliance closes that connection after the
    # response, so wrk sees those responses marked and the appliance closed first
    # (TIME-WAIT on its side).
    assert t["close_responses"] >= t["requests"] // every - conns, out
    assert t["close_responses"] <= t["requests"] // every + conns, out
    assert in_tw > 0
    # So the connections carry `every` requests each, give or take the ones running when
    # wrk stopped.
    reqs, opened = d["http_requests"], d["conn_opened"]
    assert abs(opened - reqs / every) <= 0.1 * reqs / every + 2 * conns, d
    # Every connection wrk saw closed reaches TIME-WAIT once its FIN arrives: the last ones'
    # FINs may still be in flight when wrk exits (a descheduled worker on 2 CPUs), so the
    # count is awaited, briefly, rather than sampled once.
    closed = app.wait_for(lambda: delta(app.stats(), before).get("conn_closed", 0),
                          lambda n: n >= t["close_responses"], timeout=5)
    assert closed >= t["close_responses"], (closed, d)


@pytest.mark.parametrize("size", [300, 1000])
def test_post_bodies(app, size):
    before = app.stats()
    t, out, drops = run_script(app, "post.lua", 4, size)
    assert_clean(t, out, drops)
    d = delta(app.stats(), before)
    print(out, d)
    assert d["http_requests"] >= t["requests"], d
    assert d.get("http_bad_requests", 0) == 0, d
    assert d.get("conn_reset_by_us", 0) == 0, d
    # The bodies were consumed as part of their requests: the appliance took exactly the
    # bytes of the requests it answered, Content-Length and chunked alternately.
    lengths = t["request_lengths"]
    assert len(lengths) == 2 and min(lengths) > size
    assert_rx_bytes(d, lengths, 4)


def test_final_counters(app):
    final = app.finish()
    assert final["conn_reset_by_us"] == 0, final
    assert final["http_bad_requests"] == 0, final
    assert final["conn_timed_out"] == 0, final
