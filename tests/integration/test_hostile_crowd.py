"""What a crowd of peers can pin, against the running appliance: received buffers held by echo
connections that never read (a per-worker budget, so RX keeps its buffers), and connection table
slots (TIME-WAIT recycled when the table is full, an RST when nothing can be recycled, SYN
cookies under "auto" before the table runs out).

Three appliances, one after the other: "crowd_pin" (defaults), then "crowd_table_off" and
"crowd_table_auto" with a table of TABLE connections and a long TIME-WAIT."""

import re
import resource
import socket
import struct
import subprocess
import time

import pytest

from conftest import (APPLIANCE_IP, KERNEL_IP, REPO, HttpReader, appliance_fixture, connect,
                      delta, filler, http_get, note, recv_until_eof)

pin = appliance_fixture("crowd_pin")
TABLE = 256
table_off = appliance_fixture("crowd_table_off", max_conns_per_core=TABLE,
                              syncookie_threshold=TABLE, syncookies="off", time_wait_ms=60000)
table_auto = appliance_fixture("crowd_table_auto", max_conns_per_core=TABLE,
                               syncookie_threshold=TABLE, syncookies="auto", time_wait_ms=60000)

BODY = 64  # the default http.body_size
GET_CLOSE = http_get(extra=b"Connection: close\r\n")


def source_constant(path, name):
    m = re.search(rf"\b{name} = (\d+)", (REPO / path).read_text())
    assert m, f"{name} not found in {path}"
    return int(m.group(1))


def held_budget():
    """Received buffers one worker's connections may hold (held_budget in
    lib/worker/tt_worker.c): its pool, TT_MBUFS_PER_WORKER_EXTRA beyond the rings and TX batch
    of each port (create_pools in app/tcpterm.c), less those rings, the batch and
    TT_HELD_MARGIN_MBUFS."""
    return (source_constant("app/tcpterm.c", "TT_MBUFS_PER_WORKER_EXTRA")
            - source_constant("lib/worker/tt_worker.h", "TT_HELD_MARGIN_MBUFS"))


def ensure_fds(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        if hard != resource.RLIM_INFINITY and hard < n:
            pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {n}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, hard))


def abort(sockets):
    """Close with an RST (SO_LINGER 0), as a peer that walks away does.  Paced, 100 per ms:
    thousands of RSTs at once overflow the TAP's queues on a loaded machine, and a lost RST
    leaves its connection to the idle timeout, which the final counters would not count as
    reset by the peer."""
    for i, s in enumerate(sockets):
        if i % 100 == 99:
            time.sleep(0.001)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        s.close()
    sockets.clear()


def get_ok(timeout=5):
    """curl for the HTTP response; returns the seconds it took."""
    t0 = time.monotonic()
    r = subprocess.run(["curl", "-s", "--max-time", str(timeout), f"http://{APPLIANCE_IP}/"],
                       capture_output=True, timeout=timeout + 5)
    took = time.monotonic() - t0
    assert r.returncode == 0, f"curl exit {r.returncode} after {took:.2f}s"
    assert r.stdout == filler(BODY)
    return took


def keep_alive_ok(s):
    """One keep-alive request on s, answered in full."""
    s.sendall(http_get())
    status, _, body = HttpReader(s).response()
    assert status == "HTTP/1.1 200 OK" and body == filler(BODY)


def open_idle(n):
    """n connections to the HTTP port that send nothing."""
    socks = []
    try:
        for _ in range(n):
            socks.append(connect(80, timeout=5))
    except BaseException:
        close_all(socks)
        raise
    return socks


def close_all(socks):
    for s in socks:
        s.close()
    socks.clear()


def no_conns_left(app, timeout=5):
    left = app.wait_for(app.conns, lambda c: c["total"] == 0, timeout)
    assert left["total"] == 0, dict(left)


# ---- received buffers a crowd can pin -----------------------------------------------------------

PINNERS = 2400
WRITES = 10
WRITE_LEN = 300


def test_crowd_cannot_pin_the_pool(pin):
    """PINNERS echo connections with a tiny receive buffer, each sending WRITES small segments
    and never reading: echo would keep every one of them.  The worker holds at most its budget,
    refuses the rest (not acknowledged: the peers send again), and keeps serving others."""
    budget = held_budget()
    ensure_fds(PINNERS + 1024)
    before, drops = pin.stats(), pin.drops()
    socks = []
    most = 0
    t0 = time.monotonic()
    try:
        for _ in range(PINNERS):
            s = socket.socket()
            socks.append(s)
            # Before connect, so the window it announces is small from the SYN on.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(5)
            s.connect((APPLIANCE_IP, 7))
            s.setblocking(False)
        connected = time.monotonic() - t0
        chunk = b"p" * WRITE_LEN
        for _ in range(WRITES):
            for s in socks:
                s.send(chunk)
            time.sleep(0.05)
            most = max(most, pin.stats()["rx_bufs_held"])
        full = pin.wait_for(pin.stats, lambda x: x["rx_hold_refused"] > before["rx_hold_refused"]
                            and x["rx_bufs_held"] == budget, 5)
        most = max(most, full["rx_bufs_held"])
        filled = time.monotonic() - t0
        # Others are served meanwhile, promptly.
        curl_s = get_ok()
        ping = subprocess.run(["ping", "-c", "1", "-W", "2", APPLIANCE_IP], capture_output=True,
                              timeout=10)
        assert ping.returncode == 0, "no echo reply while the crowd holds its buffers"
        during = pin.stats()
        most = max(most, during["rx_bufs_held"])
        conns = pin.conns()
    finally:
        abort(socks)
    d = delta(during, before)
    note(f"pin: {PINNERS} connections in {connected:.1f}s, budget {budget} reached in "
         f"{filled:.1f}s; rx_hold_refused {d.get('rx_hold_refused', 0)}; curl {curl_s:.2f}s")
    assert conns["established"] == PINNERS, dict(conns)
    assert most == budget, f"at most {most} buffers held, budget {budget}"
    assert d.get("rx_hold_refused", 0) > 0, d
    assert curl_s < 1.5, curl_s
    # A refused buffer is a segment not taken: in order (the queue is "full") or beyond a hole.
    dd = delta(pin.drops(), drops)
    not_taken = dd.get("tcp_receive_queue_full", 0) + dd.get("tcp_out_of_order_not_kept", 0)
    assert not_taken >= d["rx_hold_refused"], dd
    for k in ("mbuf_alloc_failed", "tx_failed", "tx_refused_oversize"):
        assert d.get(k, 0) == 0, (k, d)
    # Walking away returns every buffer.
    gone = pin.wait_for(pin.stats, lambda x: x["rx_bufs_held"] == 0, 10)
    assert gone["rx_bufs_held"] == 0, gone["rx_bufs_held"]
    no_conns_left(pin, 10)
    mbufs = pin.wait_for(pin.stats, lambda x: x["mbufs_in_use"] <= pin.baseline_mbufs, 5)
    assert mbufs["mbufs_in_use"] == pin.baseline_mbufs
    # Free buffers beyond the pool's store band are parked again (counted apart, not in use).
    assert mbufs["mbufs_parked"] > 0, mbufs


def test_pin_final_counters(pin):
    final = pin.finish()
    assert final["rx_hold_refused"] > 0
    assert final["rx_bufs_held"] == 0
    assert final["conn_reset_by_peer"] == PINNERS


# ---- a table of TABLE connections, stateful handshakes ------------------------------------------

TW_PORT0 = 20000  # below the kernel's ephemeral range: each request from its own port


def test_time_wait_recycled_when_table_full(table_off):
    """Three tables' worth of requests that we close first: each leaves a TIME-WAIT entry for
    time_wait_ms (60 s), so every one past the table size recycles the oldest, none is refused,
    and no handshake waits for a SYN retransmission."""
    n = 3 * TABLE
    before, drops = table_off.stats(), table_off.drops()
    slowest = 0
    for i in range(n):
        t0 = time.monotonic()
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((KERNEL_IP, TW_PORT0 + i))
            s.settimeout(5)
            s.connect((APPLIANCE_IP, 80))
            slowest = max(slowest, time.monotonic() - t0)
            s.sendall(GET_CLOSE)
            data = recv_until_eof(s, deadline_s=5)
        assert data.endswith(filler(BODY)), f"request {i}: {data[:80]!r}"
    conns = table_off.wait_for(table_off.conns, lambda c: c["time_wait"] == TABLE, 2)
    assert conns["time_wait"] == TABLE and conns["total"] == TABLE, dict(conns)
    assert slowest < 0.5, f"a handshake took {slowest:.2f}s"
    d = delta(table_off.stats(), before)
    assert d.get("time_wait_recycled") == n - TABLE, d
    assert d.get("conn_opened") == n and d.get("http_requests") == n, d
    assert d.get("time_wait_reused", 0) == 0, d
    assert delta(table_off.drops(), drops).get("tcp_table_full", 0) == 0


def test_full_table_refuses_at_once(table_off):
    """TABLE idle established connections (each recycling a TIME-WAIT entry left by the test
    before): one more SYN finds no room and gets an RST at once, so connect() fails with
    ECONNREFUSED instead of waiting for SYN retransmissions; a slot freed is usable again."""
    before, drops = table_off.stats(), table_off.drops()
    socks = open_idle(TABLE)
    try:
        conns = table_off.wait_for(table_off.conns, lambda c: c["established"] == TABLE, 2)
        assert conns["established"] == TABLE and conns["total"] == TABLE, dict(conns)
        t0 = time.monotonic()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((APPLIANCE_IP, 80), timeout=5).close()
        refused_in = time.monotonic() - t0
        assert refused_in < 0.5, refused_in
        dd = delta(table_off.drops(), drops)
        assert dd == {"tcp_table_full": 1}, dd
        d = delta(table_off.stats(), before)
        assert d.get("time_wait_recycled") == TABLE and d.get("rst_sent") == 1, d
        assert d.get("synack_sent") == TABLE, d
        # One connection goes (we close, the appliance closes after us): room for the next.
        socks.pop().close()
        conns = table_off.wait_for(table_off.conns, lambda c: c["total"] == TABLE - 1, 2)
        assert conns["total"] == TABLE - 1, dict(conns)
        with connect(80) as s:
            keep_alive_ok(s)
    finally:
        close_all(socks)
    no_conns_left(table_off)


def test_table_off_final_counters(table_off):
    final = table_off.finish()
    assert final["time_wait_recycled"] == 3 * TABLE
    assert final["drop_tcp_table_full"] == 1
    assert final["syncookies_sent"] == 0


# ---- the same table under syncookies = "auto" ---------------------------------------------------

def test_auto_cookies_before_the_table_runs_out(table_auto):
    """Under "auto", SYNs get cookies once 7/8 of the TCBs are taken (the half-open threshold is
    never reached), so the last free slots still take connections; with none left, a
    connection completing through its cookie is reset at once."""
    mark = TABLE - TABLE // 8
    before = table_auto.stats()
    socks = open_idle(TABLE - 1)
    try:
        conns = table_auto.wait_for(table_auto.conns,
                                    lambda c: c["established"] == TABLE - 1, 2)
        assert conns["established"] == TABLE - 1, dict(conns)
        d = delta(table_auto.stats(), before)
        assert d.get("synack_sent") == mark, d
        assert d.get("syncookies_sent") == TABLE - 1 - mark, d
        assert d.get("syncookies_validated") == TABLE - 1 - mark, d
        # The last TCB, through a cookie, and served.
        mid = table_auto.stats()
        with connect(80) as s:
            keep_alive_ok(s)
            d = delta(table_auto.stats(), mid)
            assert d.get("syncookies_validated") == 1 and d.get("synack_sent", 0) == 0, d
            assert table_auto.conns()["established"] == TABLE
            # Nothing left: the cookie handshake completes at our end, and the RST that answers
            # its ACK follows at once (connect() may already report it).
            drops = table_auto.drops()
            t0 = time.monotonic()
            with pytest.raises(ConnectionResetError):
                with connect(80, timeout=3) as late:
                    late.recv(100)
            assert time.monotonic() - t0 < 0.5
            dd = delta(table_auto.drops(), drops)
            assert dd == {"tcp_table_full": 1}, dd
    finally:
        close_all(socks)
    no_conns_left(table_auto)


def test_table_auto_final_counters(table_auto):
    final = table_auto.finish()
    assert final["synack_sent"] == TABLE - TABLE // 8
    # Validated cookies are connections born: not the one refused for want of room.
    assert final["syncookies_validated"] == TABLE // 8
    assert final["syncookies_sent"] == TABLE // 8 + 1
    assert final["drop_tcp_table_full"] == 1
