"""Hostile peers on the wire against the running appliance: a peer announcing a tiny MSS
(CVE-2019-11479), land and martian sources, a trickled request head (Slowloris), a window kept
shut, a FIN never acknowledged, and a stream of out-of-window segments.  Each bound is checked on
the wire (what arrives, and when) and in the counters.

Two appliances, one after the other: "hostile" answers SYNs from SYN-RECEIVED (syncookies off)
with every hostile-peer bound shortened to BOUND_MS; "hostile_cookies" answers with cookies only,
for the MSS floor on the cookie path."""

import math
import random
import select
import socket
import struct
import threading
import time
from collections import Counter

import pytest
from scapy.layers.inet import IP, TCP
from scapy.packet import Raw
from scapy.layers.l2 import Ether

from conftest import (APPLIANCE_IP, appliance_fixture, connect, delta, filler, http_get,
                      recv_until_eof)
from l2peer import Conn, L2Peer, PacketSocket, random_ports

BODY = 20480
BOUND_MS = 2000  # header, persist, closing and idle bounds of the "hostile" appliance
MIN_PEER_MSS = 536
OUR_MSS = 1460
MTU = 1500
TS_OPT_LEN = 12
# A bound is met when the reset comes no earlier than it and at most LATE_S later (the worker's
# timer, the TAP and this process's polling); EARLY_S allows for when this process notes the
# start, which the appliance may see a few ms before.
LATE_S = 0.6
EARLY_S = 0.05
SEQ_MOD = 1 << 32

app = appliance_fixture("hostile", body_size=BODY, syncookies="off", min_peer_mss=MIN_PEER_MSS,
                        header_timeout_ms=BOUND_MS, body_timeout_ms=BOUND_MS,
                        persist_timeout_ms=BOUND_MS,
                        closing_timeout_ms=BOUND_MS, idle_timeout_ms=BOUND_MS)
cookie_app = appliance_fixture("hostile_cookies", body_size=BODY, syncookies="always",
                               min_peer_mss=MIN_PEER_MSS)
# 16 neighbour entries per worker, two of them kept for gateway and gateway6.
neigh_app = appliance_fixture("hostile_neigh", body_size=BODY, entries=16)

GET = http_get()
GET_CLOSE = http_get(extra=b"Connection: close\r\n")


@pytest.fixture
def peer(app):
    with L2Peer(app) as p:
        yield p


@pytest.fixture
def cookie_peer(cookie_app):
    with L2Peer(cookie_app) as p:
        yield p


# ---- a scapy peer that reads what the appliance sends -------------------------------------------

def payload_of(p):
    """The TCP payload of a dissected frame (without Ethernet padding)."""
    n = p[IP].len - p[IP].ihl * 4 - p[TCP].dataofs * 4
    return bytes(p[TCP].payload)[:max(n, 0)]


class Peer(Conn):
    """A hand-driven connection whose advertised window can be set."""

    def __init__(self, *args, window=65535, **kw):
        super().__init__(*args, **kw)
        self.window = window

    def seg(self, flags, payload=b"", seq=None, ack=None):
        f = super().seg(flags, payload, seq, ack)
        f[TCP].window = self.window
        return f

    def established(self):
        """Handshake; returns the SYN-ACK (the caller asserts on it)."""
        sa = self.handshake_synack()
        if sa is not None:
            self.ack()
        return sa

    def reset(self, app):
        """RST at the exact sequence number; waits until the appliance has no connection."""
        self.peer.send(self.seg("R"))
        return app.wait_for(app.conns, lambda c: c["total"] == 0, 2)["total"]


class Rx:
    """What the appliance sent on one connection: in-order data, every data segment as
    (seq, payload length, IP total length), when its FIN and its RST came."""

    def __init__(self):
        self.data = bytearray()
        self.segs = []
        self.frames = 0
        self.fin_at = None
        self.rst_at = None
        self.rst = None


def collect(c, rx, until, timeout, ack_fin=True, max_frames=2000):
    """Take the appliance's segments to c and ACK each batch cumulatively (our FIN-less ACKs
    never acknowledge its FIN unless ack_fin) until until(rx), an RST, max_frames frames or
    the timeout."""
    deadline = time.monotonic() + timeout
    while (not until(rx) and rx.rst_at is None and rx.frames < max_frames
           and time.monotonic() < deadline):
        got = c.peer.take(c.peer.tcp_from(c.sport), count=256, timeout=0.03)
        owe = False
        for p in sorted(got, key=lambda p: (p[TCP].seq - c.rcv_nxt) % SEQ_MOD):
            now = time.monotonic()
            t = p[TCP]
            flags = str(t.flags)
            data = payload_of(p)
            rx.frames += 1
            for name, val in t.options:
                if name == "Timestamp":
                    c.ts_recent = val[0]
            if "R" in flags:
                rx.rst_at, rx.rst = now, p
                break
            if data:
                rx.segs.append((t.seq, len(data), p[IP].len))
                owe = True
                if t.seq == c.rcv_nxt:
                    rx.data += data
                    c.rcv_nxt = (c.rcv_nxt + len(data)) % SEQ_MOD
            if "F" in flags and (t.seq + len(data)) % SEQ_MOD == c.rcv_nxt:
                owe = True
                if rx.fin_at is None:
                    rx.fin_at = now
                if ack_fin:
                    c.rcv_nxt = (c.rcv_nxt + 1) % SEQ_MOD
        if owe and rx.rst_at is None:
            c.ack()
    return rx


def watch(c, rx, timeout):
    """Silently record what the appliance sends to c until an RST or the timeout: FINs (and
    their retransmissions) in rx.segs with length 0, the RST in rx.rst_at."""
    deadline = time.monotonic() + timeout
    while rx.rst_at is None and time.monotonic() < deadline:
        for p in c.peer.take(c.peer.tcp_from(c.sport), count=1, timeout=0.02):
            rx.frames += 1
            if "R" in str(p[TCP].flags):
                rx.rst_at, rx.rst = time.monotonic(), p
            else:
                rx.segs.append((p[TCP].seq, len(payload_of(p)), p[IP].len))
    return rx


def on_time(took, what="reset"):
    """A reset came `took` seconds after the start of the BOUND_MS it ends."""
    assert BOUND_MS / 1000 - EARLY_S <= took <= BOUND_MS / 1000 + LATE_S, \
        f"{what} after {took:.2f}s, bound {BOUND_MS} ms"


def http_complete(rx):
    head, sep, body = bytes(rx.data).partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return True


def syn_options(mss, ts):
    opts = [("MSS", mss)]
    if ts:
        opts += [("NOP", None), ("NOP", None),
                 ("Timestamp", (int(time.monotonic() * 1000) % SEQ_MOD, 0))]
    return opts


def floor_payload(mss, ts):
    """Payload per segment for a peer announcing mss: raised to the floor, capped by ours,
    less the timestamp option."""
    m = min(max(mss, MIN_PEER_MSS), OUR_MSS)
    return m - (TS_OPT_LEN if ts else 0)


def distinct_segments(rx):
    """Data segments by sequence number (a retransmission counted once), in order."""
    first = rx.segs[0][0]
    seen = {}
    for seq, n, _ in rx.segs:
        seen.setdefault(seq, n)
    return [seen[s] for s in sorted(seen, key=lambda s: (s - first) % SEQ_MOD)]


def check_floor(rx, total, per_seg, what):
    """Every segment no larger than per_seg and within the MTU, each but the last exactly
    per_seg, as many as total bytes need."""
    sizes = distinct_segments(rx)
    seen = f"{what}: {len(sizes)} segments of sizes {dict(Counter(sizes))}, {per_seg} expected"
    assert max(n for _, n, _ in rx.segs) <= per_seg, seen
    assert max(ip_len for _, _, ip_len in rx.segs) <= MTU, what
    assert all(n == per_seg for n in sizes[:-1]), seen
    assert len(sizes) == math.ceil(total / per_seg), seen
    assert len(rx.segs) <= 2 * len(sizes), f"{what}: {len(rx.segs)} data frames"


# ---- the peer's MSS has a floor (CVE-2019-11479) ------------------------------------------------

MSS_CASES = [(m, ts) for m in (0, 1, 8, 12, 88) for ts in (False, True)]
MSS_IDS = [f"mss{m}-{'ts' if ts else 'nots'}" for m, ts in MSS_CASES]


def fetch_with_mss(app, peer, mss, ts):
    """A 20 KB response to a peer announcing mss; checks the segments and the counters, and
    returns the counter deltas."""
    before = app.stats()
    c = Peer(peer, random_ports(1)[0], options=syn_options(mss, ts))
    sa = c.established()
    assert sa is not None, "no SYN-ACK"
    assert ("MSS", OUR_MSS) in sa[TCP].options
    c.send_data(GET)
    rx = collect(c, Rx(), http_complete, timeout=10)
    what = f"MSS {mss}, timestamps {ts}"
    assert http_complete(rx), f"{what}: {len(rx.data)} bytes in {rx.frames} frames"
    assert rx.rst_at is None, what
    head, body = bytes(rx.data).split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK") and body == filler(BODY), what
    check_floor(rx, len(rx.data), floor_payload(mss, ts), what)
    assert c.reset(app) == 0
    assert app.running()
    d = delta(app.stats(), before)
    assert d.get("tx_refused_oversize", 0) == 0, d
    assert d.get("conn_opened") == 1 and d.get("http_requests") == 1, d
    assert d.get("conn_reset_by_peer") == 1, d
    return d


@pytest.mark.parametrize("mss,ts", MSS_CASES, ids=MSS_IDS)
def test_peer_mss_floor_syn_received(app, peer, mss, ts):
    d = fetch_with_mss(app, peer, mss, ts)
    assert d.get("synack_sent") == 1 and d.get("syncookies_sent", 0) == 0, d


@pytest.mark.parametrize("ts", [False, True], ids=["nots", "ts"])
def test_echo_stream_to_peer_mss_1(app, peer, ts):
    """Echo returns each 1000-byte chunk in floor-sized segments, not in 1-byte ones."""
    before = app.stats()
    c = Peer(peer, random_ports(1)[0], dport=7, options=syn_options(1, ts))
    assert c.established() is not None
    per_seg = floor_payload(1, ts)
    for i in range(10):
        chunk = bytes((i * 31 + k * 7) % 251 for k in range(1000))
        c.send_data(chunk)
        rx = collect(c, Rx(), lambda r: len(r.data) >= len(chunk), timeout=3)
        assert bytes(rx.data) == chunk, f"chunk {i}: {len(rx.data)} bytes back"
        check_floor(rx, len(chunk), per_seg, f"echo chunk {i}")
    assert c.reset(app) == 0
    d = delta(app.stats(), before)
    assert d.get("app_rx_bytes") == 10000 and d.get("app_tx_bytes") == 10000, d
    assert d.get("tx_refused_oversize", 0) == 0, d


# ---- land and martian sources -------------------------------------------------------------------

MARTIANS = [
    ("land", APPLIANCE_IP, 80, "ip_bad_source"),
    ("zero", "0.0.0.0", 40100, "ip_bad_source"),
    ("limited_broadcast", "255.255.255.255", 40101, "ip_bad_source"),
    ("directed_broadcast", "198.18.0.255", 40102, "ip_bad_source"),
    ("multicast", "224.0.0.1", 40103, "ip_bad_source"),
    ("class_e", "240.0.0.1", 40104, "ip_bad_source"),
    ("source_port_0", None, 0, "tcp_bad_port"),
]


@pytest.mark.parametrize("name,src,sport,reason", MARTIANS, ids=[m[0] for m in MARTIANS])
def test_martian_syn_never_answered(app, peer, name, src, sport, reason):
    drops, stats = app.drops(), app.stats()
    peer.clear()
    peer.send(Ether(src=peer.mac, dst=app.mac) / IP(src=src or peer.ip, dst=APPLIANCE_IP)
              / TCP(sport=sport, dport=80, flags="S", seq=1000, options=[("MSS", 1460)]))
    after = app.wait_for(app.drops, lambda d: d[reason] > drops[reason], 2)
    assert delta(after, drops) == {reason: 1}, name
    answers = peer.take(lambda f: IP in f and f[IP].src == APPLIANCE_IP, timeout=0.3)
    assert not answers, f"{name}: answered with {answers[0].summary()}"
    s = delta(app.stats(), stats)
    assert s.get("rx_packets") == 1 and s.get("tx_packets", 0) == 0, s
    assert app.conns()["total"] == 0


# ---- a trickled request head (Slowloris) --------------------------------------------------------

def test_slowloris_head_reset(app):
    """One byte of a request head every 300 ms: reset header_timeout_ms after its first byte,
    while another connection is served meanwhile."""
    before = app.stats()
    head = http_get(extra=b"X-Slow: " + b"z" * 20 + b"\r\n")
    served_in = None
    t_first = t_reset = None
    error = None
    with connect(80) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(len(head)):
            try:
                s.send(head[i:i + 1])
            except OSError as e:
                t_reset, error = time.monotonic(), e
                break
            if t_first is None:
                t_first = time.monotonic()
            if served_in is None and time.monotonic() - t_first > 0.9:
                t0 = time.monotonic()
                with connect(80) as other:
                    other.sendall(GET_CLOSE)
                    body = recv_until_eof(other, deadline_s=5).split(b"\r\n\r\n", 1)[1]
                assert body == filler(BODY)
                served_in = time.monotonic() - t0
            readable, _, _ = select.select([s], [], [], 0.3)
            if readable:
                try:
                    got = s.recv(4096)
                except OSError as e:
                    t_reset, error = time.monotonic(), e
                    break
                pytest.fail(f"{i + 1} bytes of a head answered with {got[:80]!r}")
            if time.monotonic() - t_first > BOUND_MS / 1000 + 2:
                break
    assert t_reset is not None, "a trickling head was never reset"
    assert isinstance(error, ConnectionResetError), repr(error)
    on_time(t_reset - t_first)
    assert served_in is not None and served_in < 1, served_in
    d = delta(app.stats(), before)
    assert d.get("conn_app_timed_out") == 1 and d.get("conn_timed_out") == 1, d
    assert d.get("http_requests") == 1 and d.get("rst_sent") == 1, d


@pytest.mark.parametrize("head", [
    b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 9223372036854775807\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;",
], ids=["content_length", "chunk_extension"])
def test_slow_body_reset(app, head):
    """A whole head, then its body a byte every 300 ms: reset body_timeout_ms after the head
    ended, with no answer."""
    before = app.stats()
    t_head = t_reset = None
    error = None
    with connect(80) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(head)
        t_head = time.monotonic()
        while time.monotonic() - t_head < BOUND_MS / 1000 + 2:
            readable, _, _ = select.select([s], [], [], 0.3)
            try:
                if readable:
                    got = s.recv(4096)
                    pytest.fail(f"a body in progress answered with {got[:80]!r}")
                s.send(b"a")
            except OSError as e:
                t_reset, error = time.monotonic(), e
                break
    assert t_reset is not None, "a trickling body was never reset"
    assert isinstance(error, ConnectionResetError), repr(error)
    on_time(t_reset - t_head)
    d = delta(app.stats(), before)
    assert d.get("conn_app_timed_out") == 1 and d.get("conn_timed_out") == 1, d
    assert d.get("http_requests", 0) == 0 and d.get("rst_sent") == 1, d


# ---- a window kept shut, a FIN never acknowledged -----------------------------------------------

@pytest.mark.parametrize("window,take", [(0, False), (0, True), (1, True)],
                         ids=["probes_refused", "probes_taken", "one_byte_window"])
def test_window_kept_back_bounded(app, peer, window, take):
    """The GET comes with a window of `window` bytes and every byte the appliance sends is
    answered at once: refused (the probes of a shut window), or taken a byte at a time, a
    progress the idle bound cannot tell from none.  The connection is reset persist_timeout_ms
    after the window first kept the response back, less than a segment taken."""
    before = app.stats()
    c = Peer(peer, random_ports(1)[0])
    assert c.established() is not None
    c.window = window
    c.send_data(GET)
    t_shut = time.monotonic()
    rx = Rx()
    sent = 0
    deadline = t_shut + BOUND_MS / 1000 + 2
    while rx.rst_at is None and time.monotonic() < deadline:
        for p in peer.take(peer.tcp_from(c.sport), count=1, timeout=0.02):
            data = payload_of(p)
            if "R" in str(p[TCP].flags):
                rx.rst_at = time.monotonic()
            elif data:
                # A byte at the window's edge: a probe, or all a window of one lets through.
                assert len(data) == 1 and p[TCP].seq == c.rcv_nxt, (len(data), p[TCP].seq)
                sent += 1
                if take:
                    c.rcv_nxt = (c.rcv_nxt + 1) % SEQ_MOD
                c.ack()
    assert rx.rst_at is not None, f"{sent} bytes sent in {deadline - t_shut:.1f}s, no reset"
    on_time(rx.rst_at - t_shut)
    assert 1 <= sent < OUR_MSS, sent
    assert app.wait_for(app.conns, lambda x: x["total"] == 0, 1)["total"] == 0
    d = delta(app.stats(), before)
    assert d.get("conn_persist_timed_out") == 1 and d.get("conn_timed_out") == 1, d
    # The reset, and one more when an ACK of ours crossed it.
    assert d.get("conn_app_timed_out", 0) == 0 and 1 <= d.get("rst_sent", 0) <= 2, d


def test_wide_window_taken_a_byte_at_a_time_bounded(app, peer):
    """The window stays wide open, but the peer ACKs one more byte every 100 ms, sooner than
    the retransmission timer: each ACK is new (no retries, no timeout, and the idle bound sees
    life), and at that pace the 20 KB response would take days.  The connection is reset
    persist_timeout_ms after the first ACK that took less than a segment."""
    before = app.stats()
    c = Peer(peer, random_ports(1)[0])
    assert c.established() is not None
    base = c.rcv_nxt
    c.send_data(GET)
    assert peer.take(lambda p: peer.tcp_from(c.sport)(p) and payload_of(p), timeout=3)
    rx = Rx()
    t_first = None
    taken = 0
    deadline = time.monotonic() + BOUND_MS / 1000 + 2
    while rx.rst_at is None and time.monotonic() < deadline:
        c.rcv_nxt = (base + taken + 1) % SEQ_MOD
        c.ack()
        taken += 1
        t_first = t_first or time.monotonic()
        for p in peer.take(peer.tcp_from(c.sport), count=64, timeout=0.1):
            if "R" in str(p[TCP].flags):
                rx.rst_at = time.monotonic()
    assert rx.rst_at is not None, f"{taken} bytes taken in {deadline - t_first:.1f}s, no reset"
    on_time(rx.rst_at - t_first)
    assert taken < OUR_MSS, taken
    assert app.wait_for(app.conns, lambda x: x["total"] == 0, 1)["total"] == 0
    d = delta(app.stats(), before)
    assert d.get("conn_persist_timed_out") == 1 and d.get("conn_timed_out") == 1, d
    assert d.get("conn_retries_exhausted", 0) == 0, d


CLOSINGS = ["fin_wait_1", "closing", "last_ack"]


@pytest.mark.parametrize("state", CLOSINGS)
def test_unacknowledged_fin_bounded(app, peer, state):
    """Our FIN is never acknowledged (the peer ACKs the data, then stays silent): the state is
    reset closing_timeout_ms after it began, long before the FIN's retransmissions run out."""
    before = app.stats()
    c = Peer(peer, random_ports(1)[0])
    assert c.established() is not None
    c.send_data(GET if state == "last_ack" else GET_CLOSE)
    if state == "last_ack":
        c.send_data(b"", flags="FA")
        c.snd_nxt = (c.snd_nxt + 1) % SEQ_MOD
    rx = collect(c, Rx(), lambda r: r.fin_at is not None, timeout=5, ack_fin=False)
    assert rx.fin_at is not None and http_complete(rx), f"{len(rx.data)} bytes, no FIN"
    t_state = rx.fin_at
    if state == "closing":
        c.send_data(b"", flags="FA")  # crosses ours: acknowledges the data, not our FIN
        c.snd_nxt = (c.snd_nxt + 1) % SEQ_MOD
        t_state = time.monotonic()
    assert app.wait_for(app.conns, lambda x: x[state] == 1, 1)[state] == 1
    watch(c, rx, BOUND_MS / 1000 + 2)
    assert rx.rst_at is not None, f"{state}: no reset"
    on_time(rx.rst_at - t_state, state)
    assert app.wait_for(app.conns, lambda x: x["total"] == 0, 1)["total"] == 0
    d = delta(app.stats(), before)
    assert d.get("conn_timed_out") == 1 and d.get("conn_retries_exhausted", 0) == 0, d
    assert d.get("rst_sent") == 1 and d.get("http_requests") == 1, d


# ---- only acceptable segments are signs of life -------------------------------------------------

def test_out_of_window_segments_neither_refresh_nor_flood(app, peer):
    """Segments far outside the window every 200 ms: the connection still dies idle_timeout_ms
    after its last acceptable segment, and they get at most one ACK per
    invalid_reply_interval_ms (default 500)."""
    interval_s = 0.5
    before, drops = app.stats(), app.drops()
    c = Peer(peer, random_ports(1)[0])
    assert c.established() is not None
    t_last_ok = time.monotonic()
    sent, acks = [], []
    rst_at = None
    deadline = t_last_ok + BOUND_MS / 1000 + 2
    next_send = t_last_ok + 0.2
    while rst_at is None and time.monotonic() < deadline:
        if time.monotonic() >= next_send:
            peer.send(c.seg("PA", b"out of window", seq=(c.snd_nxt + (1 << 30)) % SEQ_MOD))
            sent.append(time.monotonic())
            next_send += 0.2
        for p in peer.take(peer.tcp_from(c.sport), count=1, timeout=0.02):
            if "R" in str(p[TCP].flags):
                rst_at = time.monotonic()
            else:
                assert str(p[TCP].flags) == "A" and not payload_of(p), p.summary()
                assert p[TCP].seq == c.rcv_nxt and p[TCP].ack == c.snd_nxt, p.summary()
                acks.append(time.monotonic())
    assert rst_at is not None, f"{len(sent)} out-of-window segments kept it alive"
    on_time(rst_at - t_last_ok)
    in_time = [t for t in sent if t < rst_at]
    span = in_time[-1] - in_time[0]
    assert 2 <= len(acks) <= span // interval_s + 1, \
        f"{len(acks)} ACKs to {len(in_time)} segments over {span:.2f}s"
    gaps = [b - a for a, b in zip(acks, acks[1:])]
    assert min(gaps) >= interval_s - 0.1, gaps
    dd = delta(app.drops(), drops)
    oow = dd.get("tcp_out_of_window", 0)
    assert oow + dd.get("tcp_no_connection", 0) == len(sent), (dd, len(sent))
    d = delta(app.stats(), before)
    assert d.get("invalid_replies_limited") == oow - len(acks), (d, oow, len(acks))
    assert d.get("conn_timed_out") == 1, d


# ---- a receiver that reneges on its SACK blocks at will ------------------------------------------

def complete_response(app, c, rx):
    """ACK what rx holds (c.rcv_nxt just past it) and collect the rest of the response: it must
    complete, every byte in place; then the connection goes with an RST."""
    c.ack()
    collect(c, rx, http_complete, timeout=10)
    assert http_complete(rx) and rx.rst_at is None, f"{len(rx.data)} bytes"
    head, body = bytes(rx.data).split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK") and body == filler(BODY)
    assert c.reset(app) == 0


def test_sack_renege_resends_one_segment(app, peer):
    """The peer SACKs the third segment of the response, then ACKs up to that segment's start,
    as if it had dropped what it SACKed (reneging, RFC 2018 8): a loss, answered with that one
    segment (a loss window), not the whole window again; a block starting at the ACK it came
    with is ignored.  The response then completes, every byte in place."""
    before = app.stats()
    c = Peer(peer, random_ports(1)[0], options=[("MSS", OUR_MSS), ("SAckOK", b"")])
    sa = c.established()
    assert sa is not None and "SAckOK" in [name for name, _ in sa[TCP].options]
    base = c.rcv_nxt
    c.send_data(GET)
    window = [p for p in peer.take(peer.tcp_from(c.sport), count=10, timeout=3) if payload_of(p)]
    assert len(window) == 10, [p.summary() for p in window]
    by_seq = {p[TCP].seq: payload_of(p) for p in window}
    s2 = (base + 2 * OUR_MSS) % SEQ_MOD
    s3 = (s2 + OUR_MSS) % SEQ_MOD
    assert len(by_seq.get(s2, b"")) == OUR_MSS, sorted(by_seq)

    def ack_with(ack, block):
        f = c.seg("A", ack=ack)
        f[TCP].options = [("NOP", None), ("NOP", None), ("SAck", block)]
        peer.send(f)

    ack_with(base, (base, (base + OUR_MSS) % SEQ_MOD))  # claims the byte it ACKs: ignored
    ack_with(base, (s2, s3))
    # Limited Transmit may let new segments go on the duplicates; none below SND.MAX.
    for p in peer.take(peer.tcp_from(c.sport), count=10, timeout=0.3):
        assert (p[TCP].seq - base) % SEQ_MOD >= 10 * OUR_MSS, p.summary()
    peer.send(c.seg("A", ack=s2))
    resent = peer.take(peer.tcp_from(c.sport), count=20, timeout=0.4)
    seqs = [(p[TCP].seq - base) % SEQ_MOD for p in resent if payload_of(p)]
    assert seqs and set(seqs) == {2 * OUR_MSS}, f"after the renege, data at offsets {seqs}"
    rx = Rx()
    rx.data += by_seq[base] + by_seq[(base + OUR_MSS) % SEQ_MOD] + by_seq[s2]
    c.rcv_nxt = s3
    complete_response(app, c, rx)
    d = delta(app.stats(), before)
    assert d.get("sack_reneged") == 1, d
    assert d.get("sack_blocks_ignored") == 1 and d.get("sack_blocks_received") == 2, d


def frag_needed(peer, quoted, mtu):
    """An ICMP "fragmentation needed and DF set" (RFC 1191) from the peer's host, as a router on
    the path would send it, quoting the first 28 bytes of the appliance's segment `quoted`."""
    quote = bytes(quoted[IP])[:28]
    icmp = bytearray(struct.pack("!BBHHH", 3, 4, 0, 0, mtu) + quote)
    s = sum(int.from_bytes(icmp[k:k + 2], "big") for k in range(0, len(icmp), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    icmp[2:4] = struct.pack("!H", ~s & 0xffff)
    return peer.eth() / IP(src=peer.ip, dst=APPLIANCE_IP, proto=1) / Raw(bytes(icmp))


def test_frag_needed_lowers_segment_size(app, peer):
    """Path MTU discovery (RFC 1191): with the response's first window in flight, an ICMP
    "fragmentation needed" quoting its first segment with MTU 1000 has the appliance send it
    again in segments of at most 960 bytes (1000 less the IPv4 and TCP headers, no timestamps);
    one quoting a sequence number below what is in flight changes nothing (RFC 5927 5.2).  The
    response then completes, every byte in place.  The MTU is kept for the peer's address: its
    next connection sends its response in segments of 960 bytes from the first, with no error
    of its own (RFC 1191 6.3)."""
    stats, drops = app.stats(), app.drops()
    port, port2 = random_ports(2)
    c = Peer(peer, port, options=[("MSS", OUR_MSS)])
    assert c.established() is not None
    base = c.rcv_nxt
    c.send_data(GET)
    window = [p for p in peer.take(peer.tcp_from(c.sport), count=10, timeout=3) if payload_of(p)]
    assert len(window) == 10, [p.summary() for p in window]
    first = next(p for p in window if p[TCP].seq == base)
    stale = first.copy()
    stale[TCP].seq = (base - 1) % SEQ_MOD
    peer.send(frag_needed(peer, stale, 1000))
    d = app.wait_for(lambda: delta(app.drops(), drops),
                     lambda d: d.get("icmp_too_big_stale") == 1, 2)
    assert d == {"icmp_too_big_stale": 1}, d
    assert "path_mtu_lowered" not in delta(app.stats(), stats)
    peer.send(frag_needed(peer, first, 1000))
    resent = peer.take(lambda p: peer.tcp_from(c.sport)(p) and p[TCP].seq == base
                       and 0 < len(payload_of(p)) <= 960, timeout=3)
    assert resent, "no segment of 960 bytes or fewer at SND.UNA"
    rx = Rx()
    rx.data += payload_of(resent[0])
    c.rcv_nxt = (base + len(rx.data)) % SEQ_MOD
    complete_response(app, c, rx)
    assert delta(app.stats(), stats).get("path_mtu_lowered") == 1

    c2 = Peer(peer, port2, options=[("MSS", OUR_MSS)])
    assert c2.established() is not None
    base = c2.rcv_nxt
    c2.send_data(GET)
    window = [p for p in peer.take(peer.tcp_from(c2.sport), count=10, timeout=3)
              if payload_of(p)]
    assert window and all(len(payload_of(p)) <= 960 for p in window), \
        [len(payload_of(p)) for p in window]
    first = next(p for p in window if p[TCP].seq == base)
    assert len(payload_of(first)) == 960
    rx = Rx()
    rx.data += payload_of(first)
    c2.rcv_nxt = (base + len(rx.data)) % SEQ_MOD
    complete_response(app, c2, rx)
    d = delta(app.stats(), stats)
    assert d.get("path_mtu_from_cache") == 1 and d.get("path_mtu_lowered") == 1, d


def test_final_counters(app):
    final = app.finish()
    assert final["tx_refused_oversize"] == 0
    # the three windows kept back and the wide one taken a byte at a time
    assert final["conn_persist_timed_out"] == 4
    assert final["conn_app_timed_out"] == 3  # the head and the two bodies
    assert final["conn_retries_exhausted"] == 0
    assert final["drop_ip_bad_source"] == 6
    assert final["drop_tcp_bad_port"] == 1
    assert final["syncookies_sent"] == 0


# ---- the MSS floor on the cookie path -----------------------------------------------------------

@pytest.mark.parametrize("mss,ts", MSS_CASES, ids=MSS_IDS)
def test_peer_mss_floor_cookie(cookie_app, cookie_peer, mss, ts):
    d = fetch_with_mss(cookie_app, cookie_peer, mss, ts)
    assert d.get("syncookies_validated") == 1 and d.get("synack_sent", 0) == 0, d


def test_cookie_final_counters(cookie_app):
    final = cookie_app.finish()
    assert final["tx_refused_oversize"] == 0
    assert final["syncookies_validated"] == len(MSS_CASES)
    assert final["synack_sent"] == 0


# ---- stray ACKs while no SYN cookie is out ------------------------------------------------------

def test_stray_ack_not_checked_as_cookie(neigh_app):
    """syncookies = "auto" with no cookie sent: ACKs that match no connection meet no connection
    (an RST each, drop_tcp_no_connection) and none is checked as a cookie, so a flood of them
    costs no MAC and a forger gets no guess.  A peer address of its own: the spoofed-sources
    test's on-link peer must still need ARP."""
    app = neigh_app
    before, drops = app.stats(), app.drops()
    ports = random_ports(10)
    with L2Peer(app, ip="198.18.0.78", mac="02:00:5e:10:00:78") as peer:
        for port in ports:
            ack = random.getrandbits(32)
            peer.send(peer.ip_tcp(port, 80, flags="A", seq=random.getrandbits(32), ack=ack))
            rst = peer.take(peer.tcp_from(port), timeout=3)
            assert rst and "R" in str(rst[0][TCP].flags), f"no RST to the ACK from {port}"
            assert rst[0][TCP].seq == ack
    d = delta(app.stats(), before)
    assert d.get("syncookies_failed", 0) == 0 and d.get("syncookies_sent", 0) == 0, d
    assert delta(app.drops(), drops).get("tcp_no_connection") == len(ports)


# ---- spoofed on-link sources and the neighbour table ---------------------------------------------

SPOOFED_SOURCES = 150
SPOOF_MAC = "02:00:5e:10:00:99"


def test_spoofed_on_link_sources_take_turns(neigh_app):
    """SYNs from 150 on-link sources that never answer ARP, 15 every 100 ms for 4 s, each asking
    a neighbour entry for its SYN-ACK, with 16 entries per worker: the kernel (the gateway, whose
    entry is kept apart) and a scapy peer on-link (it answers ARP at once) are served meanwhile,
    and no frame is dropped for want of an entry."""
    app = neigh_app
    before = app.stats()
    floods = [bytes(Ether(src=SPOOF_MAC, dst=app.mac)
                    / IP(src=f"198.18.0.{100 + i}", dst=APPLIANCE_IP)
                    / TCP(sport=40000 + i, dport=80, flags="S", seq=i, options=[("MSS", 1460)]))
              for i in range(SPOOFED_SOURCES)]
    stop = threading.Event()

    def flood(sock):
        end = time.monotonic() + 4
        i = 0
        while not stop.is_set() and time.monotonic() < end:
            sock.send(*floods[i:i + 15])
            i = (i + 15) % SPOOFED_SOURCES
            time.sleep(0.1)

    with PacketSocket() as sock, L2Peer(app) as peer:
        t = threading.Thread(target=flood, args=(sock,), daemon=True)
        t.start()
        try:
            time.sleep(1)  # the table is full of sources still resolving
            with connect(80) as s:
                s.sendall(GET_CLOSE)
                body = recv_until_eof(s, deadline_s=5).split(b"\r\n\r\n", 1)[1]
            assert body == filler(BODY)
            c = Conn(peer, random_ports(1)[0])
            assert c.handshake_synack(timeout=2) is not None, "the on-link peer got no SYN-ACK"
            assert peer.arp_answered >= 1
            mid = delta(app.stats(), before)
        finally:
            stop.set()
            t.join()
        c.peer.send(c.seg("R"))
    assert mid.get("neigh_evicted", 0) > 0, mid
    assert mid.get("neigh_drop_table_full", 0) == 0, mid
    assert mid.get("neigh_resolved", 0) >= 1, mid
