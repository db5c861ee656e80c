"""Reload (SIGHUP, /tcpterm/reload) on the running appliance, against the kernel as peer.

A reload applies listeners, the HTTP response and per-connection TCP keys to new connections
(and the response to new requests on open ones) without disturbing what is open: wrk's
keep-alive connections run across it with no error, a listener removed refuses new connections
while an established one on it completes its exchange.  A file that changes a key fixed at
start, or that does not parse, changes nothing and the log names file, line and key."""

import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import (APPLIANCE_IP, BASE_OVERRIDES, HttpReader, appliance_fixture, connect,
                      filler, http_get, render_conf, run)

BODY = 64
app = appliance_fixture("reload", body_size=BODY)

LISTENERS_RE = re.compile(r"^listeners = \($.*?^\);$", re.S | re.M)
DEFAULT_LISTENERS = [(80, "http"), (7, "echo"), (9, "discard")]
STAYS = "; the running configuration stays"


def conf_text(body_size=BODY, listeners=DEFAULT_LISTENERS, **extra):
    overrides = dict(BASE_OVERRIDES, body_size=body_size, **extra)
    items = ",\n".join(f'\t{{ port = {p}; app = "{a}"; }}' for p, a in listeners)
    text, n = LISTENERS_RE.subn(f"listeners = (\n{items}\n);", render_conf(overrides))
    assert n == 1
    return text


def outcomes(app):
    return re.findall(r"^tcpterm: reload \((\S+)\) (applied|refused): (.*)$", app.output(), re.M)


def reload_with_signal(app, text):
    """Write the file, SIGHUP, wait for the outcome line; returns (outcome, message)."""
    before = len(outcomes(app))
    app.conf_path.write_text(text)
    app.proc.send_signal(signal.SIGHUP)
    seen = app.wait_for(lambda: outcomes(app), lambda o: len(o) > before, 5)
    assert len(seen) > before, app.output()[-3000:]
    why, outcome, msg = seen[before]
    assert why == "SIGHUP"
    if outcome == "refused":
        assert msg.endswith(STAYS), msg
        msg = msg[:-len(STAYS)]
    return outcome, msg


def curl(port=80):
    return run(["curl", "-sS", "--max-time", "5", f"http://{APPLIANCE_IP}:{port}/"], check=False)


def body_served(port=80):
    r = curl(port)
    assert r.returncode == 0, r.stderr
    return r.stdout.encode()


def test_wrk_keepalive_across_reload(app):
    counts0 = app.telemetry("/tcpterm/reloads")
    wrk = subprocess.Popen(["wrk", "-t1", "-c8", "-d4s", f"http://{APPLIANCE_IP}/"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1.5)
    assert reload_with_signal(app, conf_text(body_size=300))[0] == "applied"
    out, _ = wrk.communicate(timeout=30)
    assert wrk.returncode == 0, out
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    assert requests > 100, out
    assert "Socket errors" not in out and "Non-2xx" not in out, out
    assert body_served() == filler(300)
    counts = app.telemetry("/tcpterm/reloads")
    assert counts["reloads_applied"] == counts0["reloads_applied"] + 1, dict(counts)
    assert counts["reloads_refused"] == counts0["reloads_refused"], dict(counts)
    # wrk's connections were opened under the old generation: once they are gone, it goes.
    released = app.wait_for(lambda: app.telemetry("/tcpterm/reloads"),
                            lambda c: c["generations_alive"] == 1, app.longest_lifetime_s() + 3)
    assert released["generations_alive"] == 1, dict(released)
    assert "earlier generation(s) released" in app.output()


def test_listener_added_then_removed(app):
    with pytest.raises(ConnectionRefusedError):
        connect(8080, timeout=3).close()
    added = DEFAULT_LISTENERS + [(8080, "http")]
    assert reload_with_signal(app, conf_text(body_size=300, listeners=added))[0] == "applied"
    assert "tcpterm: reload: listening on port 8080: http" in app.output()
    assert body_served(8080) == filler(300)

    # An established connection on 8080, then 8080 goes away (and the body changes).
    s = connect(8080)
    s.sendall(http_get())
    reader = HttpReader(s)
    assert reader.response()[2] == filler(300)
    assert reload_with_signal(app, conf_text(body_size=100))[0] == "applied"
    assert "tcpterm: reload: no longer listening on port 8080" in app.output()
    drops0 = app.drops()["tcp_no_listener"]
    with pytest.raises(ConnectionRefusedError):  # an RST to the SYN
        connect(8080, timeout=3).close()
    assert app.drops()["tcp_no_listener"] > drops0
    # The open connection still completes its exchange: a new request gets the new body.
    s.sendall(http_get(extra=b"Connection: close\r\n"))
    assert reader.response()[2] == filler(100)
    assert reader.at_eof()
    s.close()
    assert body_served(80) == filler(100)


def test_response_in_flight_outlives_its_generation(app):
    """A large response still unacknowledged in a connection's send queue (the queue points into
    the generation's response, no copy) arrives whole after a reload replaced that response;
    the generation goes once the connection does."""
    big = 2 << 20
    assert reload_with_signal(app, conf_text(body_size=big))[0] == "applied"
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the rest waits on our side
    s.settimeout(10)
    s.connect((APPLIANCE_IP, 80))
    s.sendall(http_get(extra=b"Connection: close\r\n"))
    first = s.recv(1024)
    assert first.startswith(b"HTTP/1.1 200 OK"), first
    assert reload_with_signal(app, conf_text(body_size=100))[0] == "applied"
    held = app.wait_for(lambda: app.telemetry("/tcpterm/reloads"),
                        lambda c: c["generations_alive"] >= 2, 2)
    time.sleep(0.5)  # many poll iterations and release checks while the queue still points
    assert app.telemetry("/tcpterm/reloads")["generations_alive"] >= 2, dict(held)
    assert body_served() == filler(100)
    rest = b""
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        rest += b
    s.close()
    data = first + rest
    assert data.endswith(b"\r\n\r\n" + filler(big)), len(data)
    released = app.wait_for(lambda: app.telemetry("/tcpterm/reloads"),
                            lambda c: c["generations_alive"] == 1, 5)
    assert released["generations_alive"] == 1, dict(released)


def test_fixed_key_refused(app):
    text = conf_text(body_size=100).replace("mtu = 1500;", "mtu = 1600;")
    line = text[:text.index("mtu = 1600;")].count("\n") + 1
    outcome, msg = reload_with_signal(app, text)
    assert outcome == "refused"
    assert msg == f"{app.conf_path}:{line}: ports[0].mtu: cannot change at run time", msg
    assert body_served() == filler(100)
    # Together with a change that would be allowed: still the whole file is refused.
    text = conf_text(body_size=7, max_conns_per_core=4096)
    line = text[:text.index("max_conns_per_core = 4096;")].count("\n") + 1
    outcome, msg = reload_with_signal(app, text)
    assert outcome == "refused"
    assert msg == f"{app.conf_path}:{line}: tcp.max_conns_per_core: cannot change at run time"
    assert body_served() == filler(100)


def test_invalid_file_changes_nothing(app):
    counts0 = app.telemetry("/tcpterm/reloads")
    text = conf_text(body_size=5, listeners=[(80, "http"), (8081, "http")])
    text = text.replace("port = 8081;", "port = = 8081;")
    outcome, msg = reload_with_signal(app, text)
    assert outcome == "refused"
    assert msg.startswith(f"{app.conf_path}:"), msg
    assert "syntax error" in msg, msg
    outcome, msg = reload_with_signal(app, conf_text(body_size=99999999))
    assert outcome == "refused"
    assert "http.body_size: 99999999 is out of range" in msg, msg
    assert body_served() == filler(100)
    with pytest.raises(ConnectionRefusedError):
        connect(8081, timeout=3).close()
    counts = app.telemetry("/tcpterm/reloads")
    assert counts["reloads_refused"] == counts0["reloads_refused"] + 2, dict(counts)
    assert counts["generation"] == counts0["generation"], dict(counts)


def test_header_or_timestamps_refused_by_name(app):
    """A header the response could not carry (one tcpterm writes itself) is refused by the
    loader with its file, line and key, not afterwards by the response builder; turning
    timestamps off is refused as fixed at start (a cookie's MAC covers them)."""
    text = conf_text(body_size=100, headers=["X-A: 1", "Connection: close"])
    line = text[:text.index('"Connection: close"')].count("\n") + 1
    outcome, msg = reload_with_signal(app, text)
    assert outcome == "refused"
    assert msg.startswith(f'{app.conf_path}:{line}: http.headers[1]: "Connection: close" names '
                          "a field tcpterm writes itself"), msg
    text = conf_text(body_size=100, timestamps=False)
    line = text[:text.index("timestamps = false;")].count("\n") + 1
    outcome, msg = reload_with_signal(app, text)
    assert outcome == "refused"
    assert msg == f"{app.conf_path}:{line}: tcp.timestamps: cannot change at run time", msg
    assert body_served() == filler(100)


def test_telemetry_reload(app):
    app.conf_path.write_text(conf_text(body_size=42, listeners=[(80, "http"), (8082, "echo")]))
    r = app.telemetry("/tcpterm/reload")
    assert r["outcome"] == "applied", dict(r)
    assert body_served() == filler(42)
    with connect(8082) as s:
        s.sendall(b"ping")
        assert s.recv(16) == b"ping"
    app.conf_path.write_text(conf_text(body_size=43, workers=[0]))
    r = app.telemetry("/tcpterm/reload")
    assert r["outcome"] == "refused", dict(r)
    assert r["message"].endswith("workers: cannot change at run time"), dict(r)
    assert body_served() == filler(42)
    logged = outcomes(app)[-2:]
    assert [o[:2] for o in logged] == [("telemetry", "applied"), ("telemetry", "refused")]


def test_busy_connections_do_not_stop_reloads(app):
    """tcp.reload_grace_ms after a reload, the connections of the configuration it replaced get a
    FIN after their last response: a kernel client that asks for something every 200 ms on each
    of its connections, one more opened after each reload, no longer makes every reload past
    the eighth one refused; each connection ends with a whole response and an orderly close."""
    grace_ms = 1000
    assert reload_with_signal(app, conf_text(reload_grace_ms=grace_ms))[0] == "applied"
    stats0 = app.stats()
    counts0 = app.telemetry("/tcpterm/reloads")
    reloads = 10
    open_socks, closed = [], 0
    for k in range(reloads + 1):
        s = connect(80)
        open_socks.append((s, HttpReader(s)))
        if k == reloads:
            break
        end = time.monotonic() + grace_ms / 1000 + 0.3
        while time.monotonic() < end:
            for s, reader in list(open_socks):
                try:
                    s.sendall(http_get())
                except (BrokenPipeError, ConnectionResetError):
                    pytest.fail("a retired connection was reset, not closed")
                try:
                    assert reader.response()[2] == filler(BODY + k % 2)
                except EOFError:  # the FIN came before this request: nothing was lost
                    assert reader.buf == b""
                    open_socks.remove((s, reader))
                    s.close()
                    closed += 1
            time.sleep(0.2)
        outcome, msg = reload_with_signal(app, conf_text(body_size=BODY + (k + 1) % 2,
                                                         reload_grace_ms=grace_ms))
        assert outcome == "applied", msg
    # Every connection was closed by a FIN but the newest one (under the configuration in force)
    # and, unless the last round of requests saw its FIN, the one before (inside its grace).
    assert closed >= reloads - 2, closed
    for s, _ in open_socks:
        s.close()
    stats = app.stats()
    assert stats["reload_conns_closed"] - stats0["reload_conns_closed"] >= reloads - 2, dict(stats)
    assert stats["reload_conns_reset"] == stats0["reload_conns_reset"], dict(stats)
    counts = app.telemetry("/tcpterm/reloads")
    assert counts["reloads_applied"] == counts0["reloads_applied"] + reloads, dict(counts)
    assert counts["reloads_refused"] == counts0["reloads_refused"], dict(counts)
    app.conf_path.write_text(conf_text(body_size=100))
    assert app.telemetry("/tcpterm/reload")["outcome"] == "applied"


def test_finish(app):
    app.conf_path.write_text(conf_text())
    final = app.finish()
    text = app.output()
    m = re.search(r"^reloads: applied (\d+) refused (\d+)$", text, re.M)
    assert m, text[-2000:]
    assert (int(m.group(1)), int(m.group(2))) == (18, 7), text[-2000:]
    assert final["http_requests"] > 0
