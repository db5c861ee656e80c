"""Signals and shutdown: SIGTERM (like SIGINT) drains the connections, a FIN after their queued
data and an RST for whatever is still open after tcp.drain_timeout_ms, refuses new ones
meanwhile, and exits 0 with the final counters; a second SIGTERM resets at once.  SIGHUP (a
reload) and SIGPIPE leave the appliance serving.  Every test starts an appliance of its own and stops it."""

import re
import signal
import socket
import threading
import time

import pytest
from scapy.layers.inet import TCP

from conftest import (APPLIANCE_IP, HttpReader, appliance_fixture, connect, filler, http_get,
                      run)
from l2peer import Conn, L2Peer, random_ports

BODY = 64  # the default body_size
LONG_DRAIN_MS = 20000
SHORT_DRAIN_MS = 1500

app = appliance_fixture("shutdown", scope="function", drain_timeout_ms=LONG_DRAIN_MS)
short = appliance_fixture("shutdown-short", scope="function", drain_timeout_ms=SHORT_DRAIN_MS)
cookies = appliance_fixture("shutdown-cookies", scope="function", drain_timeout_ms=LONG_DRAIN_MS,
                            syncookies="always")

# The file is unchanged: the reload applies and nothing changes (test_reload has the rest).
HUP_LINE = "tcpterm: reload (SIGHUP) applied: generation 1 from "


def curl_ok():
    r = run(["curl", "-sS", "--max-time", "5", f"http://{APPLIANCE_IP}/"], check=False)
    return r.returncode == 0 and r.stdout.encode() == filler(BODY)


def drain_report(text):
    """(connections, timeout ms) of the start line, (closed, reset) of the end line."""
    start = re.search(r"^tcpterm: draining (\d+) connections for up to (\d+) ms$", text, re.M)
    end = re.search(r"^tcpterm: drained in \d+ ms: (\d+) closed gracefully, (\d+) reset$", text,
                    re.M)
    assert start and end, f"no drain lines:\n{text[-3000:]}"
    return tuple(map(int, start.groups())), tuple(map(int, end.groups()))


def exited_cleanly(appliance, status):
    text = appliance.output()
    assert status == 0, f"tcpterm exited with {status}:\n{text[-3000:]}"
    assert appliance.final is not None, f"no final counters:\n{text[-3000:]}"
    appliance.check_final(appliance.final)
    return appliance.final


def test_sighup_and_sigpipe_leave_it_serving(app):
    assert curl_ok()
    app.proc.send_signal(signal.SIGHUP)
    seen = app.wait_for(app.output, lambda t: HUP_LINE in t, 3)
    assert HUP_LINE in seen, seen[-3000:]
    # What a virtio-user port may raise at shutdown when its vhost side went away first.
    app.proc.send_signal(signal.SIGPIPE)
    time.sleep(0.5)
    assert app.running(), app.output()[-3000:]
    assert curl_ok()
    idle = app.wait_for(app.conns, lambda x: x["total"] == 0, 3)
    assert idle["total"] == 0, dict(idle)
    app.proc.send_signal(signal.SIGTERM)
    final = exited_cleanly(app, app.wait_exit())
    assert drain_report(app.output()) == ((0, LONG_DRAIN_MS), (0, 0))
    assert final["http_requests"] == 2


def test_sigterm_closes_idle_keepalive_connection(app):
    s = connect(80)
    reader = HttpReader(s)
    s.sendall(http_get())
    status_line, _, body = reader.response()
    assert status_line == "HTTP/1.1 200 OK" and body == filler(BODY)
    t0 = time.monotonic()
    app.proc.send_signal(signal.SIGTERM)
    s.settimeout(5)
    assert reader.at_eof(), "data instead of a FIN"
    fin_s = time.monotonic() - t0
    s.close()
    status = app.wait_exit(timeout=LONG_DRAIN_MS / 1000 + 10)
    exit_s = time.monotonic() - t0
    final = exited_cleanly(app, status)
    assert fin_s < 2, f"FIN after {fin_s:.1f}s"
    # Only a TIME-WAIT entry was left once the peer closed too: nothing to wait for.
    assert exit_s < 5, f"exit after {exit_s:.1f}s, drain_timeout_ms is {LONG_DRAIN_MS}"
    assert drain_report(app.output()) == ((1, LONG_DRAIN_MS), (1, 0))
    assert final["conn_closed"] == 1 and final["conn_reset_by_us"] == 0, final


def test_deadline_resets_peer_that_never_acks_the_fin(short):
    with L2Peer(short) as peer:
        c = Conn(peer, random_ports(1)[0])
        assert c.handshake_synack() is not None
        c.ack()
        c.send_data(http_get())
        data, fin = c.receive_until(lambda d: d.endswith(filler(BODY)))
        assert data.endswith(filler(BODY)) and not fin
        peer.clear()
        t0 = time.monotonic()
        short.proc.send_signal(signal.SIGTERM)
        fins = peer.take(peer.tcp_from(c.sport, "FA"), timeout=2)
        assert fins, "no FIN"
        assert fins[0][TCP].seq == c.rcv_nxt
        # Never acknowledged: retransmitted until the deadline, then reset.
        rst = peer.take(peer.tcp_from(c.sport, "RA"), timeout=SHORT_DRAIN_MS / 1000 + 3)
        rst_s = time.monotonic() - t0
        status = short.wait_exit(timeout=SHORT_DRAIN_MS / 1000 + 10)
        exit_s = time.monotonic() - t0
    assert rst, "no RST at the deadline"
    assert rst[0][TCP].seq == c.rcv_nxt + 1
    assert rst_s >= SHORT_DRAIN_MS / 1000 - 0.1, f"RST after {rst_s:.2f}s, before the deadline"
    final = exited_cleanly(short, status)
    assert exit_s < SHORT_DRAIN_MS / 1000 + 3, f"exit after {exit_s:.1f}s"
    assert drain_report(short.output()) == ((1, SHORT_DRAIN_MS), (0, 1))
    assert final["conn_reset_by_us"] == 1, final


def test_new_connections_refused_while_draining(cookies):
    """While the drain waits for a peer that never acknowledges its FIN, a kernel connect() and
    a cookie handshake that began before the signal are both refused with an RST; a second
    SIGTERM then resets the waiting connection at once."""
    with L2Peer(cookies) as peer:
        held_port, late_port = random_ports(2)
        held = Conn(peer, held_port)
        assert held.handshake_synack() is not None
        held.ack()
        up = cookies.wait_for(cookies.conns, lambda x: x["established"] == 1, 2)
        assert up["established"] == 1, dict(up)
        late = Conn(peer, late_port)
        assert late.handshake_synack() is not None  # a cookie: the ACK is still to come
        peer.clear()
        cookies.proc.send_signal(signal.SIGTERM)
        assert peer.take(peer.tcp_from(held_port, "FA"), timeout=2), "no FIN: not draining"
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((APPLIANCE_IP, 80), timeout=5).close()
        late.ack()
        refused = peer.take(peer.tcp_from(late_port, "R"), timeout=2)
        assert refused and refused[0][TCP].seq == late.rcv_nxt
        assert cookies.running()
        t0 = time.monotonic()
        cookies.proc.send_signal(signal.SIGTERM)
        rst = peer.take(peer.tcp_from(held_port, "RA"), timeout=3)
        status = cookies.wait_exit(timeout=10)
        exit_s = time.monotonic() - t0
    assert rst, "the second SIGTERM did not reset the held connection"
    final = exited_cleanly(cookies, status)
    assert exit_s < 3, f"exit {exit_s:.1f}s after the second SIGTERM"
    text = cookies.output()
    assert "tcpterm: signal during the drain: resetting what is left now" in text
    assert drain_report(text) == ((1, LONG_DRAIN_MS), (0, 1))
    assert final["drop_tcp_draining"] == 2, final
    assert final["syncookies_validated"] == 1, final
    assert final["conn_reset_by_us"] == 1, final


def test_telemetry_queries_across_exit(short):
    """Clients that keep asking for counters while the appliance exits get counters or an
    error, never an answer read from freed workers: the exit status stays 0."""
    commands = ("/tcpterm/stats", "/tcpterm/conns", "/tcpterm/drops", "/tcpterm/workers",
                "/tcpterm/connlist")
    answers = {"counters": 0, "errors": 0}
    stop = threading.Event()

    def ask(cmd):
        while not stop.is_set():
            try:
                reply = short.telemetry(cmd)
            except (OSError, ValueError, KeyError):
                continue  # the socket is gone, or the reply was cut by the exit
            answers["errors" if "error" in reply else "counters"] += 1

    askers = [threading.Thread(target=ask, args=(c,)) for c in commands]
    for t in askers:
        t.start()
    try:
        time.sleep(0.5)
        short.proc.send_signal(signal.SIGTERM)
        status = short.wait_exit()
    finally:
        stop.set()
        for t in askers:
            t.join(timeout=10)
    exited_cleanly(short, status)
    assert answers["counters"] > 0, answers
