"""Checksums on the TAP port, with ports[].checksum_offload "auto" and "off".

What the appliance sends (SYN-ACKs, data segments of odd and even length, FINs, RSTs, ICMP echo
replies) is captured on tt0 (dumpcap) and every checksum is verified twice, independently: by
tshark's own dissectors and by recomputing with scapy.  What it receives with a spoiled checksum is dropped
under its named reason in both modes: with "auto" the TAP driver verifies and flags the frame bad
(the parser drops it on the flag), with "off" the flags are ignored and the parser's own sum
catches it.
"""

import shutil
import socket
import subprocess
import time

import pytest
from scapy.layers.inet import ICMP, IP, TCP
from scapy.layers.l2 import Ether
from scapy.utils import rdpcap

from conftest import (APPLIANCE_IP, IFACE, appliance_fixture, connect, delta, filler,
                      http_get, recv_until_eof)
from l2peer import L2Peer, random_ports, tcp_checksum_ok

# Odd, so the last data segment has an odd length; three MSS-sized segments and a tail.
BODY = 4001
app_auto = appliance_fixture("cksum_auto", body_size=BODY)
app_off = appliance_fixture("cksum_off", body_size=BODY, checksum_offload="off")

# Wireshark's checksum status values (epan/proto.h, proto_checksum_enum_e).
WS_BAD, WS_GOOD = "0", "1"


def banner_line(app):
    return next(line for line in app.output().splitlines() if "checksums:" in line)


class Capture:
    """dumpcap on tt0, frames from the appliance only, into a pcap.  It is known to run once a
    ping's reply has reached the file."""

    def __init__(self, path):
        self.path = path
        self.proc = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            ["dumpcap", "-q", "-P", "-i", IFACE, "-f", f"ip src host {APPLIANCE_IP}", "-w",
             str(self.path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not (self.path.exists() and self.path.stat().st_size > 24):  # pcap header: 24 B
            assert time.monotonic() < deadline, "dumpcap captured nothing"
            subprocess.run(["ping", "-c", "1", "-W", "1", APPLIANCE_IP], capture_output=True,
                           timeout=10)
            time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        time.sleep(0.5)
        self.proc.terminate()
        self.proc.wait(timeout=15)
        return False


def traffic(app):
    """Connections that make the appliance send every kind of segment it builds."""
    for path in ("/", "/x", "/odd-length-request-line"):
        with connect(80) as s:
            s.sendall(http_get(path, extra=b"Connection: close\r\n"))
            data = recv_until_eof(s)
            assert data.endswith(filler(BODY)), data[-64:]
    with connect(80) as s:  # keep-alive, two requests, then we close first
        for _ in range(2):
            s.sendall(http_get("/"))
        time.sleep(0.3)
    with pytest.raises(ConnectionRefusedError):  # no listener: RST
        socket.create_connection((APPLIANCE_IP, 81), timeout=5)
    for size in ("1", "57", "1400"):
        r = subprocess.run(["ping", "-c", "1", "-W", "2", "-s", size, APPLIANCE_IP],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode == 0, r.stdout + r.stderr


def tshark_statuses(pcap):
    r = subprocess.run(
        ["tshark", "-r", str(pcap), "-o", "ip.check_checksum:TRUE",
         "-o", "tcp.check_checksum:TRUE", "-T", "fields", "-E", "separator=,",
         "-e", "frame.number", "-e", "ip.checksum.status", "-e", "tcp.checksum.status",
         "-e", "icmp.checksum.status", "-e", "tcp.len"],
        capture_output=True, text=True, timeout=60, check=True)
    return [line.split(",") for line in r.stdout.splitlines() if line]


def check_sent_checksums(app, tmp_path):
    pcap = tmp_path / f"{app.name}.pcap"
    with Capture(pcap):
        traffic(app)
    rows = tshark_statuses(pcap)
    tcp_rows = [r for r in rows if r[2]]
    icmp_rows = [r for r in rows if r[3]]
    assert len(tcp_rows) >= 20 and len(icmp_rows) >= 3, rows
    assert all(r[1] == WS_GOOD for r in rows), [r for r in rows if r[1] != WS_GOOD]
    assert all(r[2] == WS_GOOD for r in tcp_rows), [r for r in tcp_rows if r[2] != WS_GOOD]
    assert all(r[3] == WS_GOOD for r in icmp_rows), [r for r in icmp_rows if r[3] != WS_GOOD]
    # Odd and even payloads both went out (the odd tail of the body is summed as padded).
    lens = {int(r[4]) for r in tcp_rows}
    assert any(n % 2 for n in lens) and any(n and n % 2 == 0 for n in lens), lens
    # The same frames through scapy's own arithmetic.
    frames = [p for p in rdpcap(str(pcap)) if TCP in p]
    assert len(frames) == len(tcp_rows)
    assert all(tcp_checksum_ok(bytes(p)) for p in frames)
    for p in (p for p in rdpcap(str(pcap)) if ICMP in p):
        q = Ether(bytes(p))
        del q[IP].chksum
        del q[ICMP].chksum
        q = Ether(bytes(q))
        assert (q[IP].chksum, q[ICMP].chksum) == (p[IP].chksum, p[ICMP].chksum)


def spoiled(peer, sport, offset):
    b = bytearray(bytes(peer.ip_tcp(sport, 80, flags="S", seq=1000)))
    b[offset] ^= 0x5a
    return bytes(b)


def check_spoiled_dropped(app):
    """A SYN with a spoiled IPv4 or TCP checksum gets no answer and is counted under its
    reason; the same SYN intact is answered (the peer and port are fine)."""
    with L2Peer(app) as peer:
        before = app.drops()
        ip_port, tcp_port, good_port = random_ports(3)
        peer.send(spoiled(peer, ip_port, 14 + 10), spoiled(peer, tcp_port, 14 + 20 + 16))
        peer.send(peer.ip_tcp(good_port, 80, flags="S", seq=1000))
        assert len(peer.take(peer.tcp_from(good_port, "SA"), timeout=5)) == 1
        assert peer.take(peer.tcp_from(ip_port), timeout=0.5) == []
        assert peer.take(peer.tcp_from(tcp_port), timeout=0.5) == []
        d = app.wait_for(lambda: delta(app.drops(), before),
                         lambda d: d.get("ip_bad_checksum", 0) >= 1 and
                         d.get("tcp_bad_checksum", 0) >= 1, timeout=5)
        assert d.get("ip_bad_checksum") == 1 and d.get("tcp_bad_checksum") == 1, d


@pytest.fixture(scope="module", autouse=True)
def need_tools():
    for tool in ("tshark", "dumpcap"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (Debian packages tshark, wireshark-common)")


def check_mode(app, tmp_path, checksums):
    """The startup line, what is sent, what is dropped, and a clean end."""
    line = banner_line(app)
    assert f"checksums: {checksums}" in line, line
    check_sent_checksums(app, tmp_path)
    check_spoiled_dropped(app)
    final = app.finish()
    assert final["drop_ip_bad_checksum"] == 1 and final["drop_tcp_bad_checksum"] == 1, final


def test_auto(app_auto, tmp_path):
    # net_tap keeps TX sums in software (its emulation sends a computed 0x0000 as 0xffff);
    # its RX verdicts are used.
    check_mode(app_auto, tmp_path, "tx ip software, tx tcp software, rx port verdict first")


def test_off(app_off, tmp_path):
    check_mode(app_off, tmp_path, "tx ip software, tx tcp software, rx software")
