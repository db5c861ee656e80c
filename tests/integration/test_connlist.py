"""The connection listing: /tcpterm/connlist (raw telemetry) and scripts/tcpterm-ss against
connections held in every state a server can hold, with the Linux kernel and scapy as peers.

How each state is held (syncookies off, every bound of the appliance far beyond the test):
  ESTABLISHED  kernel sockets to discard (idle) and echo (after an exchange)
  CLOSE-WAIT   a kernel socket with a small receive buffer asks for a large response and reads
               nothing, so its window shuts; then it half-closes: the appliance has the peer's
               FIN, and its own waits behind the response (send queue > 0)
  FIN-WAIT-2   a kernel socket reads a "Connection: close" response and its FIN and keeps
               its own side open
  TIME-WAIT    the same, then the kernel closes
  SYN-RECEIVED scapy sends a SYN and never completes the handshake
  FIN-WAIT-1   scapy asks for a "Connection: close" response and acknowledges nothing of it
  LAST-ACK     scapy sends its request with its FIN and acknowledges nothing after
  CLOSING      scapy receives our response and FIN and sends its own FIN acknowledging the
               response but not our FIN (a simultaneous close)
Two states cannot be held here: SYN-SENT belongs to a client opening a connection, which the
appliance never does (only tcpterm-gen, the load generator, has it), and a CLOSED connection is
not in the table at all.  The listing must show neither.

A second appliance with two workers checks that both answer and their rows are merged."""

import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from scapy.layers.inet import TCP

from conftest import (APPLIANCE_IP, KERNEL_IP, REPO, appliance_fixture, connect, note,
                      recv_until_eof, tcp_payload_len)
from l2peer import Conn, L2Peer, random_ports

sys.path.insert(0, str(REPO / "bench"))
from telemetry import Telemetry  # noqa: E402

SS = REPO / "scripts" / "tcpterm-ss"
TW_MS = 15000
HOLD_MS = 40000  # every other bound: nothing held expires while the module runs
BODY = 300000
SCAPY_IP = "198.18.0.77"
MAX_ROWS = 75  # TT_CONNLIST_MAX
DEFAULT_ROWS = 50
COLUMNS = ["state", "local", "remote", "send_q", "recv_q", "retrans", "rtt_us", "rttvar_us",
           "rto_ms", "timer", "timer_ms", "worker"]
SS_NAME = {"established": "ESTAB", "syn_recv": "SYN-RECV", "fin_wait_1": "FIN-WAIT-1",
           "fin_wait_2": "FIN-WAIT-2", "close_wait": "CLOSE-WAIT", "closing": "CLOSING",
           "last_ack": "LAST-ACK", "time_wait": "TIME-WAIT"}

app = appliance_fixture("connlist", syncookies="off", body_size=BODY, time_wait_ms=TW_MS,
                        fin_wait_2_timeout_ms=HOLD_MS, close_wait_timeout_ms=HOLD_MS,
                        persist_timeout_ms=HOLD_MS, syn_recv_timeout_ms=HOLD_MS,
                        idle_timeout_ms=HOLD_MS, closing_timeout_ms=HOLD_MS, syn_retries=10,
                        max_retries=12, orphan_retries=12)
# The default table (2^21 slots per worker): a walk takes 2048 poll iterations at least.
BIG_TABLE = 1048576
two = appliance_fixture("connlist_two", workers=[1, 2], max_conns_per_core=BIG_TABLE,
                        eal=["--no-pci", "--lcores=0@0,1@0,2@1"])

HEAD_CLOSE = b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
HEAD_KEEP = b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
GET_KEEP = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


# ---- asking -----------------------------------------------------------------------------------

def connlist(a, params=""):
    """The raw telemetry reply of /tcpterm/connlist[,params]."""
    with Telemetry(a.prefix) as t:
        return t.query("/tcpterm/connlist" + (f",{params}" if params else ""))


def timed_full_listing(a, what):
    """The listing of up to MAX_ROWS rows; how long it took goes into the measurements
    summary, after what (the table and the connections it walked)."""
    t0 = time.monotonic()
    reply = connlist(a, f"limit={MAX_ROWS}")
    took = (time.monotonic() - t0) * 1000
    note(f"{what}: {took:.1f} ms (socket, walk, reply)")
    return reply


def rows(reply):
    """The reply's columns as one dict per row (every column as long as "listed")."""
    n = reply["listed"]
    for c in COLUMNS:
        assert len(reply[c]) == n, f"column {c}: {len(reply[c])} values, {n} listed: {reply}"
    return [dict(zip(COLUMNS, vals)) for vals in zip(*(reply[c] for c in COLUMNS))]


def triples(rs):
    return sorted((r["state"], r["local"], r["remote"]) for r in rs)


def ss(a, *args, prefix=True):
    """scripts/tcpterm-ss as the operator runs it; returns the CompletedProcess."""
    cmd = [str(SS)] + (["--file-prefix", a.prefix] if prefix else []) + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def ss_table(a, *args):
    """(rows as lists of fields, listed, total, limit) of a tcpterm-ss run that must succeed."""
    p = ss(a, *args)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split()[:4] == ["State", "Recv-Q", "Send-Q", "Local"], p.stdout
    m = re.fullmatch(r"(\d+) of (\d+) connections listed \(limit (\d+)\)", lines[-1])
    assert m, p.stdout
    body = [line.split() for line in lines[1:-1]]
    assert all(len(f) == 10 for f in body), p.stdout
    return body, int(m.group(1)), int(m.group(2)), int(m.group(3))


# ---- the held connections ---------------------------------------------------------------------

class Held:
    """One or more connections in each state a server can hold; expected rows as
    (state, local, remote) by name."""

    def __init__(self, a):
        self.app = a
        self.socks = []
        self.conns = []
        self.expect = []  # (state, local, remote)
        self.peer = L2Peer(a)
        self.released = False

    def kernel(self, port, rcvbuf=None):
        s = socket.socket()
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(10)
        s.connect((APPLIANCE_IP, port))
        self.socks.append(s)
        return s

    def expect_kernel(self, state, s):
        self.expect.append((state, f"{APPLIANCE_IP}:{s.getpeername()[1]}",
                            f"{KERNEL_IP}:{s.getsockname()[1]}"))

    def expect_scapy(self, state, c):
        self.expect.append((state, f"{APPLIANCE_IP}:{c.dport}", f"{SCAPY_IP}:{c.sport}"))

    def wait_state(self, state, n):
        got = self.app.wait_for(self.app.conns, lambda c: c[state] >= n, 5)
        assert got[state] == n, f"{state}: {dict(got)}"

    def scapy(self):
        c = Conn(self.peer, random_ports(1)[0])
        assert c.handshake_synack() is not None, f"no SYN-ACK to port {c.sport}"
        self.conns.append(c)
        return c

    def our_fin(self, c):
        """The appliance's response and FIN on c: the FIN's sequence number."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for p in self.peer.take(self.peer.tcp_from(c.sport), count=1, timeout=0.5):
                if "F" in str(p[TCP].flags):
                    return (p[TCP].seq + tcp_payload_len(p)) & 0xffffffff
        raise AssertionError("no FIN from the appliance")

    def hold_all(self):
        self.peer.__enter__()
        for port in (9, 9):
            self.expect_kernel("established", self.kernel(port))
        s = self.kernel(7)
        s.sendall(b"ping")
        got = b""
        while len(got) < 4:
            b = s.recv(16)
            assert b, f"echo closed after {got!r}"
            got += b
        assert got == b"ping", got
        self.expect_kernel("established", s)
        self.wait_state("established", 3)

        s = self.kernel(80, rcvbuf=4096)
        s.sendall(GET_KEEP)
        time.sleep(0.5)  # the response fills the kernel's buffer: its window shuts
        s.shutdown(socket.SHUT_WR)
        self.expect_kernel("close_wait", s)
        self.wait_state("close_wait", 1)

        for closes in (False, True):
            s = self.kernel(80)
            s.sendall(HEAD_CLOSE)
            got = recv_until_eof(s, deadline_s=10)
            assert got.startswith(b"HTTP/1.1 200"), got
            if closes:
                self.expect_kernel("time_wait", s)
                s.close()
                self.socks.remove(s)
            else:
                self.expect_kernel("fin_wait_2", s)
        self.wait_state("fin_wait_2", 1)
        self.wait_state("time_wait", 1)

        c = self.scapy()  # never ACKed: SYN-RECEIVED
        self.expect_scapy("syn_recv", c)

        c = self.scapy()
        c.ack()
        c.send_data(HEAD_CLOSE)  # the response and FIN are never acknowledged
        self.expect_scapy("fin_wait_1", c)

        c = self.scapy()
        c.ack()
        c.send_data(HEAD_KEEP, flags="FPA")  # the request and our FIN in one segment
        c.snd_nxt = (c.snd_nxt + 1) & 0xffffffff
        self.expect_scapy("last_ack", c)

        c = self.scapy()
        c.ack()
        c.send_data(HEAD_CLOSE)
        fin = self.our_fin(c)
        c.rcv_nxt = fin  # the response acknowledged, the appliance's FIN not
        c.peer.send(c.seg("FA"))
        c.snd_nxt = (c.snd_nxt + 1) & 0xffffffff
        self.expect_scapy("closing", c)
        for state in ("syn_recv", "fin_wait_1", "last_ack", "closing"):
            self.wait_state(state, 1)
        conns = self.app.conns()
        assert conns["total"] == len(self.expect), f"{dict(conns)}, held {self.expect}"

    def of(self, *states):
        return sorted(e for e in self.expect if e[0] in states)

    def release(self):
        """Reset everything held (the TIME-WAIT entry stays until it expires)."""
        if self.released:
            return
        self.released = True
        for s in self.socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
        for c in self.conns:
            c.peer.send(c.seg("R"))
        self.peer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def held(app):
    assert app.wait_idle()["total"] == 0
    h = Held(app)
    try:
        h.hold_all()
        yield h
    finally:
        h.release()


# ---- the listing of the held connections ------------------------------------------------------

def test_every_held_state_listed(app, held):
    reply = timed_full_listing(app, f"[connlist] /tcpterm/connlist over a table of {2 * 65536} "
                               f"slots, {len(held.expect)} connections")
    rs = rows(reply)
    assert triples(rs) == sorted(held.expect), reply
    assert reply["total"] == reply["listed"] == len(held.expect)
    assert reply["workers"] == reply["answered"] == 1 and reply["silent"] == []
    assert reply["limit"] == MAX_ROWS
    by_state = {}
    for r in rs:
        by_state.setdefault(r["state"], []).append(r)
        assert r["worker"] == 0 and r["recv_q"] == 0
    assert "syn_sent" not in by_state and "closed" not in by_state
    for r in by_state["established"]:
        assert r["timer"] == "timeout" and 0 < r["timer_ms"] <= HOLD_MS, r
        assert r["send_q"] == 0, r
    (cw,) = by_state["close_wait"]
    assert 0 < cw["send_q"] <= BODY + 1000, cw  # the response waiting for the shut window
    (fw2,) = by_state["fin_wait_2"]
    assert fw2["timer"] == "timeout" and 0 < fw2["timer_ms"] <= HOLD_MS, fw2
    assert fw2["send_q"] == 0, fw2
    (tw,) = by_state["time_wait"]
    assert tw["timer"] == "time_wait" and 0 < tw["timer_ms"] <= TW_MS, tw
    (sr,) = by_state["syn_recv"]
    assert sr["timer"] == "retransmit" and sr["send_q"] == 0, sr
    for state in ("fin_wait_1", "last_ack", "closing"):
        (r,) = by_state[state]
        assert r["timer"] == "retransmit", r  # our FIN, unacknowledged
        # The response unacknowledged too, but in CLOSING, where only the FIN is.
        assert (r["send_q"] > 0) == (state != "closing"), r
    for r in rs:  # a TIME-WAIT entry keeps no RTT state
        assert (r["rto_ms"] > 0) == (r["state"] != "time_wait"), r


def test_tcpterm_ss_shows_the_same(app, held):
    body, listed, total, limit = ss_table(app, "-n", str(MAX_ROWS))
    want = sorted((SS_NAME[s], local, remote) for s, local, remote in held.expect)
    assert sorted((f[0], f[3], f[4]) for f in body) == want
    assert listed == total == len(held.expect) and limit == MAX_ROWS
    for f in body:
        timer, _, left = f[5].partition(",")
        assert left.endswith("ms") and int(left[:-2]) >= 0, f
        if f[0] == "TIME-WAIT":
            assert timer == "time_wait" and 0 < int(left[:-2]) <= TW_MS, f


def test_time_wait_counts_down(app, held):
    def left():
        (r,) = rows(connlist(app, "state=time_wait"))
        return r["timer_ms"]

    t0, a = time.monotonic(), left()
    time.sleep(1.0)
    b = left()
    took = (time.monotonic() - t0) * 1000
    assert 0 < b < a <= TW_MS
    assert took - 300 <= a - b <= took + 300, (a, b, took)


def test_filter_by_state(app, held):
    for state in SS_NAME:
        reply = connlist(app, f"state={state}")
        assert triples(rows(reply)) == held.of(state), reply
        assert reply["total"] == len(held.of(state))
    # ss's spelling, several states at once, and states nothing is in.
    reply = connlist(app, "state=TIME-WAIT,state=syn-recv,state=SYN_SENT")
    assert triples(rows(reply)) == held.of("time_wait", "syn_recv")
    assert connlist(app, "state=syn_sent")["total"] == 0
    assert connlist(app, "state=closed")["total"] == 0
    body, listed, total, _ = ss_table(app, "-s", "fin-wait-1", "-s", "closing")
    assert sorted(f[0] for f in body) == ["CLOSING", "FIN-WAIT-1"] and listed == total == 2


def test_filter_by_address(app, held):
    scapy_side = [e for e in held.expect if e[2].startswith(SCAPY_IP + ":")]
    kernel_side = [e for e in held.expect if e[2].startswith(KERNEL_IP + ":")]
    cases = {
        f"addr={SCAPY_IP}": scapy_side,
        f"remote={SCAPY_IP}": scapy_side,
        f"addr={KERNEL_IP}": kernel_side,
        f"addr={APPLIANCE_IP}": held.expect,
        f"local={APPLIANCE_IP}": held.expect,
        f"local={KERNEL_IP}": [],  # the peer's address is not our side
        "local=:9": [e for e in held.expect if e[1].endswith(":9")],
        "local=:7": [e for e in held.expect if e[1].endswith(":7")],
        "addr=:80": [e for e in held.expect if e[1].endswith(":80")],
        "addr=198.18.0.99": [],
        f"local=:9,remote={KERNEL_IP}": [e for e in held.expect if e[1].endswith(":9")],
        f"addr={SCAPY_IP},state=closing": held.of("closing"),
    }
    assert len(cases["local=:9"]) == 2 and len(cases["local=:7"]) == 1
    for params, want in cases.items():
        reply = connlist(app, params)
        assert triples(rows(reply)) == sorted(want), f"{params}: {json.dumps(reply)}"
        assert reply["total"] == len(want), f"{params}: {json.dumps(reply)}"
    # Each connection alone by its peer's address and port, either side or the remote one.
    for state, local, remote in held.expect:
        for key in ("addr", "remote"):
            reply = connlist(app, f"{key}={remote}")
            assert triples(rows(reply)) == [(state, local, remote)], (key, remote, reply)
    state, local, remote = held.of("close_wait")[0]
    body, listed, total, _ = ss_table(app, "--remote", remote, "--local", local)
    assert [(f[0], f[3], f[4]) for f in body] == [("CLOSE-WAIT", local, remote)]
    body, listed, total, _ = ss_table(app, "-a", SCAPY_IP)
    assert total == listed == len(scapy_side)


def test_limit_bounds_rows_not_total(app, held):
    n = len(held.expect)
    for limit in (0, 1, 3):
        reply = connlist(app, f"limit={limit}")
        assert reply["listed"] == min(limit, n) and reply["total"] == n, reply
        assert len(rows(reply)) == min(limit, n)
        assert set(triples(rows(reply))) <= set(held.expect)
    body, listed, total, limit = ss_table(app, "-n", "1")
    assert len(body) == listed == 1 and total == n and limit == 1
    reply = connlist(app, "limit=2,state=established")
    assert reply["listed"] == 2 and reply["total"] == 3


def test_bad_parameters_rejected(app, held):
    for params in ("state=bogus", "limit=76", "limit=x", "addr=1.2.3", "addr=1.2.3.4:0",
                   "addr=1.2.3.4:65536", "colour=red", "limit=1,limit=2", "state",
                   "state=established,"):
        reply = connlist(app, params)
        assert set(reply) == {"error"} and reply["error"], (params, reply)
    p = ss(app, "-s", "bogus")
    assert p.returncode == 2 and "unknown state" in p.stderr, (p.returncode, p.stderr)
    p = ss(app, "-n", "101")
    assert p.returncode == 2 and "limit" in p.stderr, (p.returncode, p.stderr)


def test_finds_the_appliance_without_a_prefix(app, held):
    """Without --file-prefix, tcpterm-ss asks the one tcpterm under the runtime directory."""
    # Short: a socket's path must fit sun_path (108 bytes); pytest's tmp_path may not.
    runtime = Path(tempfile.mkdtemp(prefix="tt-ss-", dir="/tmp"))
    try:
        (runtime / app.prefix).symlink_to(Path("/var/run/dpdk") / app.prefix)
        p = ss(app, "--runtime-dir", str(runtime), "-s", "time-wait", prefix=False)
        assert p.returncode == 0, p.stderr
        assert p.stdout.splitlines()[-1].startswith("1 of 1 "), p.stdout
        assert p.stdout.splitlines()[1].startswith("TIME-WAIT "), p.stdout
        (runtime / app.prefix).unlink()
        p = ss(app, "--runtime-dir", str(runtime), prefix=False)
        assert p.returncode == 1 and "no running tcpterm" in p.stderr, p.stderr
    finally:
        shutil.rmtree(runtime)


def test_a_full_reply_fits(app, held):
    """MAX_ROWS rows out of more connections than that: every column complete (telemetry would
    silently leave out what does not fit its 16 KiB), the total right; the default is 50."""
    extra = []
    try:
        for _ in range(120):
            extra.append(connect(9))
        got = app.wait_for(app.conns, lambda c: c["established"] >= 123, 5)
        assert got["established"] == 123, dict(got)
        total = len(held.expect) + len(extra)
        reply = connlist(app, f"limit={MAX_ROWS}")
        assert reply["listed"] == MAX_ROWS and reply["total"] == total
        assert len(rows(reply)) == MAX_ROWS
        reply = connlist(app)
        assert reply["listed"] == DEFAULT_ROWS and reply["total"] == total
        reply = connlist(app, f"state=established,local=:9,limit={MAX_ROWS}")
        assert reply["listed"] == MAX_ROWS and reply["total"] == 122
        body, listed, total_ss, _ = ss_table(app, "-n", str(MAX_ROWS))
        assert len(body) == listed == MAX_ROWS and total_ss == total
    finally:
        for s in extra:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()
    got = app.wait_for(app.conns, lambda c: c["established"] == 3, 5)
    assert got["established"] == 3, dict(got)


def test_final_counters(app, held):
    held.release()
    left = app.wait_for(app.conns, lambda c: c["total"] == c["time_wait"], 5)
    assert left["total"] == left["time_wait"] == 1, dict(left)
    app.finish()


# ---- two workers ------------------------------------------------------------------------------

def test_two_workers_answer_and_merge(two):
    socks = [connect(9) for _ in range(24)]
    try:
        got = two.wait_for(two.conns, lambda c: c["established"] >= 24, 5)
        assert got["established"] == 24, dict(got)
        reply = timed_full_listing(two, f"[connlist_two] /tcpterm/connlist, 2 workers of "
                                   f"{2 * BIG_TABLE} slots each, 24 connections")
        rs = rows(reply)
        assert reply["workers"] == reply["answered"] == 2 and reply["silent"] == []
        assert reply["total"] == reply["listed"] == 24
        want = sorted(("established", f"{APPLIANCE_IP}:9", f"{KERNEL_IP}:{s.getsockname()[1]}")
                      for s in socks)
        assert triples(rs) == want
        workers = [r["worker"] for r in rs]
        assert workers == sorted(workers), workers  # merged in worker order
        per_worker = two.telemetry("/tcpterm/workers")
        assert len(per_worker["busy_cycles"]) == 2
    finally:
        for s in socks:
            s.close()


def test_two_workers_final_counters(two):
    two.finish()



