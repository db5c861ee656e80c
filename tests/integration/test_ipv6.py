"""IPv6 on the TAP port, the Linux kernel and scapy as peers: the kernel resolves the appliance
by neighbour discovery and pings it (ping -6, several sizes), a made-up host solicits it (to the
solicited-node group, unicast, and as duplicate address detection) and checks the advertisement
field by field, an echo request behind extension headers gets a reply without them, and what the
appliance does not serve (a fragment, a routing header with segments left, an option that says
discard, a chain longer than the walk's cap) is dropped under its named reason.  TCP over IPv6
is served like IPv4's: curl -6, a 1 MiB echo byte-exact, wrk to a literal, both families at
once, an RST for a closed port, and a TIME-WAIT entry taken over by the kernel's next SYN.  Addresses are from 2001:2::/48 (RFC 5180): the appliance 2001:2::2 (conf/tcpterm.conf),
the kernel 2001:2::1, the made-up host 2001:2::66."""

import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest
from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                                ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IPv6,
                                IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
                                IPv6ExtHdrRouting, HBHOptUnknown, PadN, in6_getnsma, in6_getnsmac)
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.pton_ntop import inet_pton
from scapy.utils6 import in6_ptop

from conftest import (APPLIANCE_IP, IFACE, REPO, appliance_fixture, delta, enable_ipv6,
                      filler, note, recv_until_eof, run)
from l2peer import ETH_P_ALL, PACKET_OUTGOING

sys.path.insert(0, str(REPO / "bench"))
from telemetry import Telemetry  # noqa: E402

APP6 = "2001:2::2"
KERNEL6 = "2001:2::1"
HOST6 = "2001:2::66"
HOST_MAC = "02:00:5e:10:00:66"

BODY = 3000
app = appliance_fixture("ipv6", body_size=BODY)


@pytest.fixture(scope="module")
def v6(app):
    """IPv6 on tt0 (run.sh turns it off for the suite) without router solicitations, and the
    kernel's address (nodad: usable at once)."""
    enable_ipv6(IFACE)
    run(["ip", "-6", "addr", "add", f"{KERNEL6}/64", "dev", IFACE, "nodad"])
    return app


def solicited_node_mac(addr):
    return in6_getnsmac(in6_getnsma(inet_pton(socket.AF_INET6, addr)))


def to_app(dst_mac, l3):
    return Ether(src=HOST_MAC, dst=dst_mac) / l3


def ask(app_mac, frame, timeout=2.0):
    """Send frame on tt0; the first frame the appliance sends back within timeout (dissected),
    or None."""
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)) as s:
        s.bind((IFACE, 0))
        s.send(bytes(frame))
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            s.settimeout(left)
            try:
                data, addr = s.recvfrom(65535)
            except socket.timeout:
                break
            p = Ether(data)
            if addr[2] != PACKET_OUTGOING and p.src == app_mac and IPv6 in p:
                return p
    return None


def test_ping6_resolves_and_answers(v6):
    before = v6.stats()
    r = subprocess.run(["ping", "-6", "-c", "5", "-i", "0.2", "-W", "2", APP6],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert " 5 received" in r.stdout, r.stdout
    d = delta(v6.stats(), before)
    assert d.get("icmp6_echo_replies", 0) == 5, d
    # The kernel learned our MAC from the advertisement.
    neigh = run(["ip", "-6", "neigh", "show", APP6, "dev", IFACE]).stdout
    assert f"lladdr {v6.mac}" in neigh, neigh
    assert d.get("nd_adverts_sent", 0) >= 1, d


@pytest.mark.parametrize("size", [0, 1, 1000, 1452])
def test_ping6_sizes(v6, size):
    r = subprocess.run(["ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "-s", str(size), APP6],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert " 2 received" in r.stdout, r.stdout


def check_na(na, app_mac, dst_mac, dst_ip, solicited):
    assert na is not None, "no advertisement"
    assert na[Ether].src == app_mac and na[Ether].dst == dst_mac
    assert na[IPv6].src == APP6 and in6_ptop(na[IPv6].dst) == in6_ptop(dst_ip)
    assert na[IPv6].hlim == 255
    adv = na[ICMPv6ND_NA]
    assert in6_ptop(adv.tgt) == in6_ptop(APP6)
    assert (adv.R, adv.S, adv.O) == (0, int(solicited), 1)
    assert na[ICMPv6NDOptDstLLAddr].lladdr == app_mac
    # scapy recomputes the checksum of a copy: the one sent must equal it.
    sent = na[ICMPv6ND_NA].cksum
    q = IPv6(bytes(na[IPv6]))
    del q[ICMPv6ND_NA].cksum
    assert IPv6(bytes(q))[ICMPv6ND_NA].cksum == sent


def test_neighbour_solicitations(v6):
    before = v6.stats()
    ns = ICMPv6ND_NS(tgt=APP6) / ICMPv6NDOptSrcLLAddr(lladdr=HOST_MAC)
    group = socket.inet_ntop(socket.AF_INET6, in6_getnsma(inet_pton(socket.AF_INET6, APP6)))
    na = ask(v6.mac, to_app(solicited_node_mac(APP6), IPv6(src=HOST6, dst=group, hlim=255) /
                            ns))
    check_na(na, v6.mac, HOST_MAC, HOST6, solicited=True)
    # Unicast (reachability confirmation), without an option.
    unicast = IPv6(src=HOST6, dst=APP6, hlim=255) / ICMPv6ND_NS(tgt=APP6)
    na = ask(v6.mac, to_app(v6.mac, unicast))
    check_na(na, v6.mac, HOST_MAC, HOST6, solicited=True)
    # A peer's duplicate address detection for our address: to all-nodes.
    na = ask(v6.mac, to_app(solicited_node_mac(APP6),
                    IPv6(src="::", dst=group, hlim=255) / ICMPv6ND_NS(tgt=APP6)))
    check_na(na, v6.mac, "33:33:00:00:00:01", "ff02::1", solicited=False)
    # Not ours, or not from the link: no answer, counted.
    drops0 = v6.drops()
    assert ask(v6.mac, to_app(v6.mac, IPv6(src=HOST6, dst=APP6, hlim=255) /
                      ICMPv6ND_NS(tgt="2001:2::99")), timeout=1) is None
    off_link = IPv6(src=HOST6, dst=APP6, hlim=64) / ICMPv6ND_NS(tgt=APP6)
    assert ask(v6.mac, to_app(v6.mac, off_link), timeout=1) is None
    d = delta(v6.drops(), drops0)
    assert d.get("nd_target_not_ours") == 1 and d.get("nd_bad_hop_limit") == 1, d
    assert delta(v6.stats(), before).get("nd_adverts_sent") == 3


def test_echo_behind_extension_headers(v6):
    req = (IPv6(src=HOST6, dst=APP6) / IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0\0\0\0")]) /
           IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x1e, optdata=b"abcd")]) /
           ICMPv6EchoRequest(id=0x4242, seq=7, data=b"x" * 100))
    rep = ask(v6.mac, to_app(v6.mac, req))
    assert rep is not None and ICMPv6EchoReply in rep
    assert rep[IPv6].nh == 58 and rep[IPv6].plen == 8 + 100 and rep[IPv6].hlim == 64
    assert (rep[ICMPv6EchoReply].id, rep[ICMPv6EchoReply].seq) == (0x4242, 7)
    assert bytes(rep[ICMPv6EchoReply].data) == b"x" * 100


def dst_chain(n):
    """n destination options headers in a row."""
    layer = IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0\0\0\0")])
    for _ in range(n - 1):
        layer = IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0\0\0\0")]) / layer
    return layer


DROPPED = [
    ("ip6_fragment", lambda: IPv6ExtHdrFragment(offset=0, m=1, id=1) / ICMPv6EchoRequest()),
    ("ip6_fragment", lambda: IPv6ExtHdrFragment(offset=0, m=0, id=2) / ICMPv6EchoRequest()),
    ("ip6_routing_segments_left",
     lambda: IPv6ExtHdrRouting(type=0, segleft=1, addresses=[KERNEL6]) / ICMPv6EchoRequest()),
    ("ip6_ext_option_discarded",
     lambda: IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x9e, optdata=b"abcd")]) /
     ICMPv6EchoRequest()),
    ("ip6_ext_chain_too_long", lambda: dst_chain(9) / ICMPv6EchoRequest()),
    ("ip6_unsupported_next_header", lambda: IPv6ExtHdrDestOpt(nh=17) / Raw(b"\0" * 16)),
]


REASONS = {r for r, _ in DROPPED}


@pytest.mark.parametrize("reason,payload", DROPPED, ids=[f"{r}-{i}" for i, (r, _) in
                                                          enumerate(DROPPED)])
def test_dropped_and_counted(v6, reason, payload):
    before = v6.drops()
    # A chain of 8 passes: the cap is not hit by an honest chain.
    chain8 = IPv6(src=HOST6, dst=APP6) / dst_chain(8) / ICMPv6EchoRequest()
    ok = ask(v6.mac, to_app(v6.mac, chain8))
    assert ok is not None and ICMPv6EchoReply in ok
    assert ask(v6.mac, to_app(v6.mac, IPv6(src=HOST6, dst=APP6) / payload()), timeout=1) is None
    d = delta(v6.drops(), before)
    # Only this reason among those the cases provoke (the kernel's own multicast listener
    # reports on tt0 may add others).
    assert {k: v for k, v in d.items() if k in REASONS} == {reason: 1}, d


def connect6(port, sport=0, timeout=10):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(timeout)
    s.bind((KERNEL6, sport))
    s.connect((APP6, port))
    return s


def test_curl6_gets_the_body(v6):
    """The kernel's TCP over IPv6 against the stack: handshake, request, response, close."""
    before = v6.stats()
    r = subprocess.run(["curl", "-6", "-s", "--max-time", "5", f"http://[{APP6}]/"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r
    assert r.stdout == filler(BODY)
    d = delta(v6.stats(), before)
    assert d.get("conn_opened_ipv6") == 1 and d.get("conn_opened") == 1, d
    # Closed in order, counted for its family too.
    d = v6.wait_for(lambda: delta(v6.stats(), before),
                    lambda d: d.get("conn_closed_ipv6", 0) >= 1, timeout=3)
    assert d.get("conn_closed_ipv6") == 1 and d.get("conn_closed") == 1, d


def test_echo6_1mib_byte_exact(v6):
    data = os.urandom(1 << 20)
    got = []
    s = connect6(7, timeout=60)

    def reader():
        got.append(recv_until_eof(s, limit=len(data) + 1, deadline_s=60))

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    t.join(timeout=60)
    s.close()
    assert got and got[0] == data, f"{len(got[0]) if got else None} bytes back"


def test_closed_port6_is_reset(v6):
    before = v6.drops()
    with pytest.raises(ConnectionRefusedError):
        connect6(5555).close()
    assert delta(v6.drops(), before).get("tcp_no_listener") == 1


def test_wrk6_no_errors(v6):
    before = v6.stats()
    r = subprocess.run(["wrk", "-t1", "-c10", "-d2s", "--timeout", "2s", f"http://[{APP6}]/"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"(\d+) requests in", r.stdout)
    assert m and int(m.group(1)) > 200, r.stdout
    assert "Socket errors" not in r.stdout and "Non-2xx" not in r.stdout, r.stdout
    note(f"wrk -6 (-t1 -c10 -d2s): {m.group(1)} requests")
    d = delta(v6.stats(), before)
    assert d.get("conn_opened_ipv6", 0) >= 10, d


def test_v4_and_v6_at_once(v6):
    """Both families on the same server ports at the same time, each byte-exact."""
    out = {}

    def fetch(fam, url):
        r = subprocess.run(["curl", fam, "-s", "--max-time", "5", url, url, url],
                           capture_output=True, timeout=30)
        out[fam] = r

    ts = [threading.Thread(target=fetch, args=a)
          for a in (("-4", f"http://{APPLIANCE_IP}/"), ("-6", f"http://[{APP6}]/"))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=30)
    for fam in ("-4", "-6"):
        assert out[fam].returncode == 0 and out[fam].stdout == filler(BODY) * 3, fam


def test_time_wait6_reused_by_the_kernel(v6):
    """HTTP/1.0: we close first and keep an IPv6 TIME-WAIT entry; the kernel's next SYN from
    the same port takes it over at once (no 1 s SYN retransmission)."""
    assert v6.wait_idle(timeout=v6.time_wait_ms / 1000 + 5)["total"] == 0
    before = v6.stats()
    with socket.socket(socket.AF_INET6) as probe:
        probe.bind((KERNEL6, 0))
        port = probe.getsockname()[1]

    def one():
        with connect6(80, sport=port) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return recv_until_eof(s, deadline_s=10)

    assert one().endswith(filler(BODY))
    assert v6.wait_for(v6.conns, lambda c: c["time_wait"] == 1, 2)["time_wait"] == 1
    time.sleep(0.05)
    t = time.monotonic()
    assert one().endswith(filler(BODY))
    assert time.monotonic() - t < 0.9
    d = delta(v6.stats(), before)
    assert d.get("time_wait_reused") == 1 and d.get("conn_opened_ipv6") == 2, d


def test_connlist_shows_v6_endpoints(v6):
    """The listing (telemetry and tcpterm-ss) names an IPv6 connection by [addr]:port."""
    with connect6(7) as s:
        port = s.getsockname()[1]
        s.sendall(b"x")
        assert s.recv(1) == b"x"
        c = v6.conns()  # the per-family gauges beside the totals, as ss -s shows them
        assert c["established_ipv6"] == 1 and c["total_ipv6"] >= 1, dict(c)
        assert c["established"] >= c["established_ipv6"], dict(c)
        with Telemetry(v6.prefix) as t:
            reply = t.query("/tcpterm/connlist,state=established")
        pairs = list(zip(reply["local"], reply["remote"]))
        assert (f"[{APP6}]:7", f"[{KERNEL6}]:{port}") in pairs, reply
        r = subprocess.run([str(REPO / "scripts" / "tcpterm-ss"), "--file-prefix", v6.prefix],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert f"[{KERNEL6}]:{port}" in r.stdout, r.stdout
        # Filtered by its IPv6 endpoints it alone is listed; an IPv4 address never names it.
        for params, want in ((f"remote=[{KERNEL6}]:{port}", 1), (f"addr={APP6},local=:7", 1),
                             (f"local=[{APP6}]:{port}", 0), (f"local={APPLIANCE_IP}:7", 0)):
            with Telemetry(v6.prefix) as t:
                reply = t.query(f"/tcpterm/connlist,state=established,{params}")
            assert reply["total"] == want, (params, reply)
        r = subprocess.run([str(REPO / "scripts" / "tcpterm-ss"), "--file-prefix", v6.prefix,
                            "--remote", f"[{KERNEL6}]:{port}"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert f"[{KERNEL6}]:{port}" in r.stdout and "1 of 1 connections listed" in r.stdout, r.stdout


@pytest.mark.parametrize("src,dst", [("::", "ff02::1"), (HOST6, None)],
                         ids=["from-unspecified", "to-solicited-node-group"])
def test_advert_that_no_node_sends_teaches_nothing(v6, src, dst):
    """An advertisement claiming the kernel's address for another MAC, from :: (no node's
    address, RFC 4861 4.4) or unsolicited to a solicited-node group (advertisements go to
    all-nodes, 7.2.6), is refused: the kernel's entry keeps its MAC, and the kernel is still
    answered."""
    def fetch():
        r = subprocess.run(["curl", "-6", "-s", "--max-time", "5", f"http://[{APP6}]/"],
                           capture_output=True, timeout=30)
        assert r.returncode == 0 and r.stdout == filler(BODY), r

    fetch()  # the appliance holds the kernel's address as a neighbour
    group = dst or in6_ptop(socket.inet_ntop(socket.AF_INET6, in6_getnsma(
        inet_pton(socket.AF_INET6, APP6))))
    before, stats = v6.drops(), v6.stats()
    na = (IPv6(src=src, dst=group, hlim=255) / ICMPv6ND_NA(tgt=KERNEL6, R=0, S=0, O=1)
          / ICMPv6NDOptDstLLAddr(lladdr=HOST_MAC))
    assert ask(v6.mac, to_app(v6.mac, na), timeout=0.5) is None
    d = v6.wait_for(lambda: delta(v6.drops(), before), lambda d: d.get("nd_malformed"), 2)
    assert d.get("nd_malformed") == 1, d
    assert "nd_learned" not in delta(v6.stats(), stats)
    fetch()


def test_finish(v6):
    final = v6.finish()
    assert final["icmp6_echo_replies"] >= 5 + 2 * 4
    assert final["nd_adverts_sent"] >= 4

