"""IPv6 next hops by neighbour discovery (RFC 4861 7.2), against the kernel.

The appliance is 2001:2::2/64 on tt0 with gateway6 fe80::1, the kernel's link-local address
on tt0 beside 2001:2::1.  The kernel on-link gets its SYN-ACK only after the appliance solicited
it and heard its advertisement; a second client prefix, 2001:2:0:1::/64 in a namespace of its
own behind a veth pair, is routed by the kernel side (IPv6 forwarding on in the suite's
namespace) and answered through the gateway's MAC; an on-link address nobody owns gets the
solicitations and then nothing, counted; an advertisement that names another MAC than the
frame's source wins (the answer goes where ND says).  With reply_to_source_mac (the appliance
run last) answers go back to the frame's source MAC and nothing is solicited.  Addresses are
from 2001:2::/48 (RFC 5180), as in test_ipv6.py, and link-local."""

import socket

import pytest
from scapy.layers.inet6 import (ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptSrcLLAddr, IPv6)
from scapy.layers.inet import TCP
from scapy.layers.l2 import Ether
from scapy.utils6 import in6_ptop

from conftest import (IFACE, appliance_fixture, delta, enable_ipv6, filler, note,
                      routed_client, run)
from l2peer import Sniffer

APP6 = "2001:2::2"
KERNEL6 = "2001:2::1"
GATEWAY6 = "fe80::1"
CLIENT_NET_ROUTER6 = "2001:2:0:1::1"
CLIENT6 = "2001:2:0:1::2"
NOBODY6 = "2001:2::77"  # on-link, owned by no one
HOST6 = "2001:2::66"  # a made-up host: scapy answers for it
HOST_MAC = "02:00:5e:10:00:66"
ND_MAC = "02:00:5e:10:00:67"  # where HOST6's advertisement says it is
BODY = 200
RETRANS_MS = 300
PROBES = 3

app = appliance_fixture("nd6", body_size=BODY, gateway6=GATEWAY6, retrans_ms=RETRANS_MS,
                        probes=PROBES)
old_mode = appliance_fixture("nd6_source_mac", body_size=BODY, reply_to_source_mac=True)


def sh(*cmd, check=True):
    return run(list(cmd), check=check)


def kernel_mac():
    return open(f"/sys/class/net/{IFACE}/address").read().strip()


@pytest.fixture(scope="module")
def v6(app):
    enable_ipv6(IFACE)
    sh("ip", "-6", "addr", "add", f"{KERNEL6}/64", "dev", IFACE, "nodad")
    sh("ip", "-6", "addr", "add", f"{GATEWAY6}/64", "dev", IFACE, "nodad")
    return app


def is_ns_for(p, target):
    return ICMPv6ND_NS in p and in6_ptop(p[ICMPv6ND_NS].tgt) == in6_ptop(target)


def is_synack_to(p, dst):
    return (IPv6 in p and TCP in p and in6_ptop(p[IPv6].dst) == in6_ptop(dst)
            and p[TCP].flags == "SA")


def check_multicast_ns(p, target, src):
    """A solicitation as RFC 4861 7.2.2 and 4.3 want it: to the target's solicited-node
    group and its MAC, hop limit 255, from our address with our link-layer address."""
    t = socket.inet_pton(socket.AF_INET6, target)
    group = "ff02::1:ff" + t[13:14].hex() + ":" + t[14:16].hex()
    assert in6_ptop(p[IPv6].dst) == in6_ptop(group), p.summary()
    assert p[Ether].dst == "33:33:ff:" + ":".join(f"{b:02x}" for b in t[13:16])
    assert p[IPv6].hlim == 255 and in6_ptop(p[IPv6].src) == in6_ptop(src)
    assert p[ICMPv6NDOptSrcLLAddr].lladdr == p[Ether].src
    sent = p[ICMPv6ND_NS].cksum
    q = IPv6(bytes(p[IPv6]))
    del q[ICMPv6ND_NS].cksum
    assert IPv6(bytes(q))[ICMPv6ND_NS].cksum == sent


def curl6(url, netns=None):
    cmd = ["curl", "-6", "-s", "-m", "10", "-o", "-", "-w", "\n%{http_code}", url]
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    out = run(cmd, check=False, timeout=20)
    body, _, code = out.stdout.rpartition("\n")
    return code, body


def syn6(app, src, sport, src_mac=HOST_MAC):
    return (Ether(src=src_mac, dst=app.mac) / IPv6(src=src, dst=APP6)
            / TCP(sport=sport, dport=80, flags="S", seq=1000, options=[("MSS", 1400)]))


def rst6(app, src, sport, src_mac=HOST_MAC):
    return (Ether(src=src_mac, dst=app.mac) / IPv6(src=src, dst=APP6)
            / TCP(sport=sport, dport=80, flags="R", seq=1001))


# ---- next hop by neighbour discovery -----------------------------------------------------------

def test_kernel_solicited_before_synack(v6):
    """curl -6 from the kernel on-link: the appliance solicits 2001:2::1 (multicast, well
    formed) before its SYN-ACK leaves, the kernel advertises, the page arrives."""
    before = v6.stats()
    with Sniffer(v6) as sn:
        code, body = curl6(f"http://[{APP6}]/")
        assert code == "200" and body.encode() == filler(BODY), (code, body[:80])
        sn.wait(lambda p: is_synack_to(p, KERNEL6), timeout=2)  # the socket may lag
        frames = list(sn.frames)
    ns = [i for i, p in enumerate(frames) if is_ns_for(p, KERNEL6)]
    synack = [i for i, p in enumerate(frames) if is_synack_to(p, KERNEL6)]
    assert ns and synack and ns[0] < synack[0], [p.summary() for p in frames]
    check_multicast_ns(frames[ns[0]], KERNEL6, APP6)
    assert frames[synack[0]][Ether].dst == kernel_mac()
    d = delta(v6.stats(), before)
    note(f"[nd6] nd_solicits_sent={d.get('nd_solicits_sent')} "
         f"neigh_resolved={d.get('neigh_resolved')} nd_learned={d.get('nd_learned')}")
    assert d.get("nd_solicits_sent", 0) >= 1 and d.get("neigh_resolved", 0) >= 1, d
    assert d.get("nd_learned", 0) >= 1 and d.get("neigh_frames_released", 0) >= 1, d
    assert d.get("arp_requests_sent", 0) == 0, d
    neigh = run(["ip", "-6", "neigh", "show", APP6, "dev", IFACE]).stdout
    assert f"lladdr {v6.mac}" in neigh, neigh


@pytest.fixture(scope="module")
def client_net(v6):
    """2001:2:0:1::2 in its own namespace, routed by the suite's namespace to the appliance."""
    with routed_client("nd6", CLIENT_NET_ROUTER6, CLIENT6, 64) as ns:
        yield ns


def test_routed_client_prefix_via_gateway6(v6, client_net):
    """2001:2:0:1::2, two hops away: its SYN-ACK goes to the MAC of gateway6 (fe80::1, the
    kernel), which the appliance solicited, and the page arrives through the kernel's
    forwarding."""
    before = v6.stats()
    with Sniffer(v6) as sn:
        code, body = curl6(f"http://[{APP6}]/", netns=client_net)
        assert code == "200" and body.encode() == filler(BODY), (code, body[:80])
        sn.wait(lambda p: is_synack_to(p, CLIENT6), timeout=2)
        frames = list(sn.frames)
    synack = [p for p in frames if is_synack_to(p, CLIENT6)]
    assert synack and synack[0][Ether].dst == kernel_mac(), [p.summary() for p in frames]
    ns = [p for p in frames if is_ns_for(p, GATEWAY6)]
    assert ns, [p.summary() for p in frames]
    check_multicast_ns(ns[0], GATEWAY6, APP6)
    assert not [p for p in frames if is_ns_for(p, CLIENT6)]  # off-link: never solicited
    d = delta(v6.stats(), before)
    assert d.get("conn_opened_ipv6", 0) >= 1 and d.get("neigh_resolved", 0) >= 1, d
    assert d.get("neigh_drop_no_route", 0) == 0 and d.get("neigh_drop_unresolved", 0) == 0, d


def test_unresolvable_next_hop_dropped_after_probes(v6):
    """A SYN from an on-link address nobody owns: PROBES solicitations RETRANS_MS apart, no
    SYN-ACK, then the held SYN-ACK is dropped and counted."""
    before = v6.stats()
    with Sniffer(v6) as sn:
        sn.send(syn6(v6, NOBODY6, 41001))
        d = v6.wait_for(lambda: delta(v6.stats(), before),
                        lambda d: d.get("neigh_drop_unresolved", 0) >= 1,
                        timeout=PROBES * RETRANS_MS / 1000 + 3)
        frames = list(sn.frames)
        sn.send(rst6(v6, NOBODY6, 41001))
    ns = [p for p in frames if is_ns_for(p, NOBODY6)]
    assert len(ns) == PROBES, [p.summary() for p in frames]
    for p in ns:
        check_multicast_ns(p, NOBODY6, APP6)
    assert not [p for p in frames if is_synack_to(p, NOBODY6)]
    assert d.get("neigh_failed", 0) == 1 and d.get("neigh_drop_unresolved", 0) == 1, d
    assert d.get("nd_solicits_sent", 0) >= PROBES and d.get("neigh_frames_held", 0) >= 1, d


def test_advertisement_decides_the_mac(v6):
    """The SYN comes from HOST_MAC, the advertisement for its address says ND_MAC: the SYN-ACK
    goes to ND_MAC.  An unsolicited advertisement for an address we never asked about (to
    all-nodes) changes nothing and is counted."""
    before = v6.stats()
    with Sniffer(v6) as sn:
        sn.send(syn6(v6, HOST6, 41002))
        ns = sn.wait(lambda p: is_ns_for(p, HOST6), timeout=2)
        assert ns is not None, [p.summary() for p in sn.frames]
        sn.send(Ether(src=HOST_MAC, dst=v6.mac) / IPv6(src=HOST6, dst=APP6, hlim=255)
                / ICMPv6ND_NA(tgt=HOST6, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=ND_MAC))
        synack = sn.wait(lambda p: is_synack_to(p, HOST6), timeout=2)
        assert synack is not None and synack[Ether].dst == ND_MAC, \
            [p.summary() for p in sn.frames]
        sn.send(rst6(v6, HOST6, 41002))
        sn.send(Ether(src=HOST_MAC, dst="33:33:00:00:00:01")
                / IPv6(src="2001:2::99", dst="ff02::1", hlim=255)
                / ICMPv6ND_NA(tgt="2001:2::99", R=0, S=0, O=1)
                / ICMPv6NDOptDstLLAddr(lladdr=HOST_MAC))
        d = v6.wait_for(lambda: delta(v6.stats(), before),
                        lambda d: d.get("nd_ignored", 0) >= 1, timeout=3)
    # >=: the kernel's own neighbour discovery may add to them meanwhile.
    assert d.get("nd_learned", 0) >= 1 and d.get("nd_ignored", 0) >= 1, d
    assert d.get("nd_adverts_received", 0) >= 2, d


def test_nd_counters_visible(v6):
    s = v6.stats()
    note(f"[nd6] totals: nd_solicits_sent={s['nd_solicits_sent']} nd_learned={s['nd_learned']}"
         f" nd_ignored={s['nd_ignored']} neigh_resolved={s['neigh_resolved']}")
    assert s["nd_solicits_sent"] >= 2 + PROBES and s["nd_learned"] >= 3, dict(s)


def test_nd6_final_counters(v6, client_net):
    final = v6.finish()
    assert final["neigh_drop_table_full"] == 0 and final["neigh_drop_pool_full"] == 0, final
    assert final["nd_solicits_sent"] >= 2 + PROBES, final


# ---- reply_to_source_mac: the source MAC, no solicitation ---------------------------------------

def test_source_mac_mode_v6(old_mode):
    before = old_mode.stats()
    with Sniffer(old_mode) as sn:
        sn.send(syn6(old_mode, HOST6, 41003))
        synack = sn.wait(lambda p: is_synack_to(p, HOST6), timeout=2)
        sn.send(rst6(old_mode, HOST6, 41003))
        frames = list(sn.frames)
    assert synack is not None and synack[Ether].dst == HOST_MAC, [p.summary() for p in frames]
    assert not [p for p in frames if ICMPv6ND_NS in p]
    d = delta(old_mode.stats(), before)
    assert d.get("nd_solicits_sent", 0) == 0 and d.get("neigh_frames_held", 0) == 0, d


def test_source_mac_final_counters(old_mode):
    old_mode.finish()
