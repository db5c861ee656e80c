"""IPv6 on the TAP port, the Linux kernel and scapy as peers: the kernel resolves the appliance
by neighbour discovery and pings it (ping -6, several sizes), a made-up host solicits it (to the
solicited-node group, unicast, and as duplicate address detection) and checks the advertisement
field by field, an echo request behind extension headers gets a reply without them, and what the
appliance does not serve (a fragment, a routing header with segments left, an option that says
discard, a chain longer than the walk's cap, TCP over IPv6 for now) is dropped under its named
reason.  Addresses are from 2001:2::/48 (RFC 5180): the appliance 2001:2::2 (conf/tcpterm.conf),
the kernel 2001:2::1, the made-up host 2001:2::66."""

import socket
import subprocess
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

from conftest import IFACE, appliance_fixture, delta, run
from l2peer import ETH_P_ALL, PACKET_OUTGOING

APP6 = "2001:2::2"
KERNEL6 = "2001:2::1"
HOST6 = "2001:2::66"
HOST_MAC = "02:00:5e:10:00:66"

app = appliance_fixture("ipv6")


@pytest.fixture(scope="module")
def v6(app):
    """IPv6 on tt0 (run.sh turns it off for the suite) without router solicitations, and the
    kernel's address (nodad: usable at once)."""
    run(["sysctl", "-qw", f"net.ipv6.conf.{IFACE}.router_solicitations=0",
         f"net.ipv6.conf.{IFACE}.disable_ipv6=0"])
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


def test_tcp6_not_served_yet(v6):
    """TCP over IPv6 reaches the parser (checksum verified) and is dropped, counted, until the
    stack holds IPv6 connections: the kernel's connect times out, nothing is answered."""
    before = v6.drops()
    r = subprocess.run(["curl", "-6", "-s", "--max-time", "2", f"http://[{APP6}]/"],
                       capture_output=True, timeout=30)
    assert r.returncode != 0
    assert delta(v6.drops(), before).get("tcp6_not_served", 0) >= 1


def test_finish(v6):
    final = v6.finish()
    assert final["icmp6_echo_replies"] >= 5 + 2 * 4
    assert final["nd_adverts_sent"] >= 4
