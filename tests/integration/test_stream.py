"""Byte streams through echo (7), discard (9) and http (80): half-close, bulk transfer in both
directions, and the appliance's side of connection teardown (TIME-WAIT)."""

import os
import socket
import threading
import time

import pytest

from conftest import (APPLIANCE_IP, FlowCapture, appliance_fixture, connect, connect_from, delta,
                      filler, free_port, http_get, note, recv_until_eof, tcp_flags,
                      tcp_payload_len)

BODY = 5000
app = appliance_fixture("stream", body_size=BODY)


def test_echo_half_close(app):
    data = os.urandom(100_000)
    with connect(7) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = recv_until_eof(s, deadline_s=30)
    assert len(got) == len(data)
    assert got == data


def test_echo_last_data_with_fin(app):
    """The kernel's last data and FIN in one segment (corked): echo answers with the data and
    its own FIN in one segment, which also ACKs the kernel's FIN."""
    msg = b"last words"
    sport = free_port()
    with FlowCapture(sport) as cap:
        with connect_from(7, sport) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            s.sendall(msg)
            s.shutdown(socket.SHUT_WR)
            got = recv_until_eof(s, deadline_s=10)
    assert got == msg
    theirs = [(sorted(tcp_flags(p)), tcp_payload_len(p)) for p in cap.from_kernel]
    ours = [(sorted(tcp_flags(p)), tcp_payload_len(p)) for p in cap.segments]
    kernel_fin = [p for p in cap.from_kernel if "F" in tcp_flags(p)]
    assert len(kernel_fin) == 1 and tcp_payload_len(kernel_fin[0]) == len(msg), theirs
    # SYN-ACK, then the echo with FIN acknowledging data and FIN at once: nothing else.
    assert len(cap.segments) == 2, ours
    echo = cap.segments[1]
    assert {"F", "A"} <= tcp_flags(echo) and tcp_payload_len(echo) == len(msg), ours
    assert echo.ack == kernel_fin[0].seq + len(msg) + 1, ours


def test_upload_acks_delayed(app):
    """A 2 MiB upload to discard from the kernel: past the quick-ack segments, one ACK for about
    every second segment, read from the appliance's frame counters (a sniffer on tt0 cannot
    keep up with the kernel); the counters tell quick and delayed ACKs apart."""
    size = 2 << 20
    before = app.stats()
    with connect(9) as s:
        s.sendall(os.urandom(size))
        s.shutdown(socket.SHUT_WR)
        assert recv_until_eof(s, deadline_s=30) == b""
    d = delta(app.stats(), before)
    note(f"upload 2 MiB: {d.get('rx_packets')} frames in, {d.get('tx_packets')} frames out, "
         f"quick_acks {d.get('quick_acks', 0)}, delayed_acks {d.get('delayed_acks', 0)}")
    assert d.get("app_rx_bytes", 0) == size, d
    assert d["rx_packets"] >= size // 1460, d
    assert d["tx_packets"] <= d["rx_packets"] // 2 + 16, d
    assert d.get("quick_acks", 0) >= 8, d


def test_echo_small_messages_interleaved(app):
    with connect(7) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(50):
            msg = f"message {i}\n".encode()
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                b = s.recv(4096)
                assert b, "echo closed early"
                got += b
            assert got == msg


def test_http_request_then_half_close(app):
    with connect(80) as s:
        s.sendall(http_get())
        s.shutdown(socket.SHUT_WR)
        data = recv_until_eof(s, deadline_s=10)
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert body == filler(BODY), f"{len(body)} body bytes"


def echo_roundtrip(size, deadline_s):
    """Send size random bytes to echo while a second thread reads them back; both directions
    must finish within deadline_s.  Returns (bytes sent, bytes received, seconds)."""
    data = os.urandom(size)
    received = []
    errors = []
    s = connect(7, timeout=deadline_s)

    def reader():
        try:
            received.append(recv_until_eof(s, limit=size + 1, deadline_s=deadline_s))
        except Exception as e:  # reported by the main thread
            errors.append(e)

    t = threading.Thread(target=reader)
    start = time.monotonic()
    t.start()
    try:
        s.sendall(data)  # the socket timeout bounds the whole call
        s.shutdown(socket.SHUT_WR)
        t.join(timeout=max(1.0, deadline_s - (time.monotonic() - start)))
    finally:
        elapsed = time.monotonic() - start
        if t.is_alive():
            s.shutdown(socket.SHUT_RDWR)
            t.join(timeout=10)
        s.close()
    assert not errors, errors
    assert received, f"echo did not finish in {deadline_s}s"
    got = received[0]
    note(f"echo {size} B round trip in {elapsed:.2f}s ({size / elapsed / 1e6:.2f} MB/s)")
    assert len(got) == size
    assert got == data
    return elapsed


def test_echo_512kib_both_directions(app):
    """Correctness of a bulk echo while both directions are busy (generous time bound)."""
    echo_roundtrip(512 << 10, deadline_s=60)


def test_echo_8mib_both_directions(app):
    echo_roundtrip(8 << 20, deadline_s=20)


def test_discard_100mb(app):
    size = 100_000_000
    chunk = os.urandom(1 << 20)
    before = app.stats()
    start = time.monotonic()
    with connect(9, timeout=30) as s:
        sent = 0
        while sent < size:
            n = min(len(chunk), size - sent)
            s.sendall(chunk[:n])
            sent += n
            assert time.monotonic() - start < 180, f"only {sent} bytes in 180s"
        s.shutdown(socket.SHUT_WR)
        # discard closes once it sees our FIN: EOF with no data means every byte was taken.
        rest = recv_until_eof(s, deadline_s=60)
    elapsed = time.monotonic() - start
    note(f"discard 100 MB upload in {elapsed:.2f}s ({size / elapsed / 1e6:.1f} MB/s)")
    assert rest == b""
    d = delta(app.stats(), before)
    assert d.get("app_rx_bytes", 0) >= size, d


def test_time_wait_when_appliance_closes_first(app):
    """HTTP/1.0: the appliance sends the response and its FIN first, so after our FIN it
    holds the connection in TIME-WAIT for time_wait_ms, then forgets it."""
    assert app.wait_idle()["total"] == 0
    before = app.stats()
    with connect(80) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = recv_until_eof(s, deadline_s=10)
    assert data.endswith(filler(BODY))
    t_close = time.monotonic()
    c = app.wait_for(app.conns, lambda c: c["time_wait"] == 1, 2)
    assert c["time_wait"] == 1 and c["total"] == 1, dict(c)
    # Still there at half the TIME-WAIT period...
    time.sleep(max(0.0, app.time_wait_ms / 2000 - (time.monotonic() - t_close)))
    assert app.conns()["time_wait"] == 1
    # ...and gone soon after the full period.
    c = app.wait_for(app.conns, lambda c: c["total"] == 0, app.time_wait_ms / 1000 + 3)
    gone_after = time.monotonic() - t_close
    assert c["total"] == 0, dict(c)
    assert gone_after >= app.time_wait_ms / 1000 * 0.9, gone_after
    d = delta(app.stats(), before)
    assert d.get("conn_opened") == 1 and d.get("conn_closed") == 1, d
    assert d.get("timer_expiries", 0) >= 1, d


def test_time_wait_reused_by_new_syn(app):
    """A new connection from the same port while the old one is in TIME-WAIT is accepted
    (its SYN is newer: timestamps or a higher sequence number)."""
    assert app.wait_idle()["total"] == 0
    before = app.stats()

    def one(port):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(10)
        s.bind(("198.18.0.1", port))
        s.connect((APPLIANCE_IP, 80))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = recv_until_eof(s, deadline_s=10)
        s.close()
        return data

    with socket.socket() as probe:  # a free local port
        probe.bind(("198.18.0.1", 0))
        port = probe.getsockname()[1]
    assert one(port).endswith(filler(BODY))
    assert app.wait_for(app.conns, lambda c: c["time_wait"] == 1, 2)["time_wait"] == 1
    time.sleep(0.05)
    t = time.monotonic()
    assert one(port).endswith(filler(BODY))
    # A SYN refused by TIME-WAIT would cost the kernel a 1 s SYN retransmission.
    assert time.monotonic() - t < 0.9
    d = delta(app.stats(), before)
    assert d.get("time_wait_reused") == 1, d
    assert d.get("conn_opened") == 2, d


def test_close_wait_when_client_closes_first(app):
    """Keep-alive request, then we close: the appliance goes through CLOSE-WAIT/LAST-ACK and
    keeps nothing (the passive closer has no TIME-WAIT)."""
    assert app.wait_idle()["total"] == 0
    before = app.stats()
    with connect(80) as s:
        s.sendall(http_get())
        got = b""
        while not got.endswith(filler(BODY)):
            b = s.recv(65536)
            assert b
            got += b
    c = app.wait_for(app.conns, lambda c: c["total"] == 0, 2)
    assert c["total"] == 0, dict(c)
    d = delta(app.stats(), before)
    assert d.get("conn_closed") == 1, d


def test_final_counters(app):
    final = app.finish()
    assert final["app_rx_bytes"] >= 100_000_000 + (512 << 10)
    assert final["conn_reset_by_us"] == 0
    assert final["conn_timed_out"] == 0
