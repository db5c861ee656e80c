"""Next hops by ARP and 802.1Q VLANs, against the kernel.

The appliance serves VLAN 100 (198.18.1.2/24) beside its untagged 198.18.0.2/24.  The kernel
reaches it through a VLAN sub-interface tt0.100, and a second client subnet, 198.19.0.0/24 in a
namespace of its own behind a veth pair, is routed by the kernel side (ip_forward on in the
suite's namespace) through the appliance's gateway 198.18.0.1.  A segment whose source MAC is
not the gateway's shows where answers go: to the next hop ARP resolved (the default), or back
to that source MAC (reply_to_source_mac = true, the appliance run last)."""

import os
import socket
import struct
import threading
import time

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import ARP, Dot1Q, Ether

from conftest import (APPLIANCE_IP, IFACE, appliance_fixture, delta, filler, note,
                      routed_client, run)

VLAN_ID = 100
VLAN_US = "198.18.1.2"
VLAN_KERNEL = "198.18.1.1"
VLAN_US6 = "2001:2:0:64::2"  # RFC 5180's 2001:2::/48, the /64 of VLAN 100 (0x64)
VLAN_KERNEL6 = "2001:2:0:64::1"
CLIENT_NET_ROUTER = "198.19.0.1"
CLIENT_IP = "198.19.0.2"
STRANGER_MAC = "02:00:5e:10:00:99"  # a host on tt0 that is not the gateway
BODY = 64
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 0x10

app = appliance_fixture("l2", body_size=BODY, vlans=[
    {"id": VLAN_ID, "address": f"{VLAN_US}/24", "gateway": VLAN_KERNEL,
     "address6": f"{VLAN_US6}/64"}])
old_mode = appliance_fixture("l2_source_mac", body_size=BODY, reply_to_source_mac=True)


def sh(*cmd, check=True):
    return run(list(cmd), check=check)


def kernel_mac():
    return (open(f"/sys/class/net/{IFACE}/address").read().strip())


def curl(url, netns=None):
    cmd = ["curl", "-s", "-m", "10", "-o", "-", "-w", "\n%{http_code}", url]
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    out = run(cmd, check=False, timeout=20)
    body, _, code = out.stdout.rpartition("\n")
    return code, body


class VlanRelay:
    """The kernel's half of VLAN 100 when it has no 802.1Q support (no tt0.100 possible): a
    veth pair whose far end (in the client's namespace) is the kernel host 198.18.1.1, and a
    relay that tags its frames with VLAN 100 onto tt0 and hands the appliance's VLAN 100 frames
    back untagged, as a VLAN-aware switch port would."""

    def __init__(self):
        self.stop = False
        self.tt = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.tt.bind((IFACE, 0))
        self.tt.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        self.tt.settimeout(0.05)
        self.veth = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.veth.bind(("ttv0", 0))
        self.veth.settimeout(0.05)
        self.threads = [threading.Thread(target=f, daemon=True)
                        for f in (self._from_appliance, self._to_appliance)]
        for t in self.threads:
            t.start()

    def _from_appliance(self):
        while not self.stop:
            try:
                data, anc, _, addr = self.tt.recvmsg(65535, socket.CMSG_SPACE(32))
            except (socket.timeout, OSError):
                continue
            if addr[2] == PACKET_OUTGOING:
                continue
            vid = None
            for level, kind, aux in anc:
                if level == SOL_PACKET and kind == PACKET_AUXDATA and len(aux) >= 20:
                    status, _, _, _, _, tci = struct.unpack("=IIIHHH", aux[:18])
                    if status & TP_STATUS_VLAN_VALID:
                        vid = tci & 0xfff
            if vid is None and data[12:14] == b"\x81\x00":  # the tag left in the frame
                vid = struct.unpack("!H", data[14:16])[0] & 0xfff
                data = data[:12] + data[16:]
            if vid == VLAN_ID:
                self.veth.send(data)

    def _to_appliance(self):
        while not self.stop:
            try:
                data, addr = self.veth.recvfrom(65535)
            except (socket.timeout, OSError):
                continue
            if addr[2] != PACKET_OUTGOING:
                self.tt.send(data[:12] + struct.pack("!HH", 0x8100, VLAN_ID) + data[12:])

    def close(self):
        self.stop = True
        for t in self.threads:
            t.join(timeout=5)
        self.tt.close()
        self.veth.close()


@pytest.fixture(scope="module")
def vlan100(app):
    """A namespace whose kernel is 198.18.1.1/24 on VLAN 100 of tt0: through tt0.100 moved
    into it where the kernel has 802.1Q, else through VlanRelay.  Yields the namespace."""
    ns = f"tt-l2-vlan-{os.getpid()}"
    dev = f"{IFACE}.{VLAN_ID}"
    relay = None
    sh("ip", "netns", "add", ns)
    try:
        # No IPv6 chatter (router solicitations, MLD) to count as drops.
        sh("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
        if sh("ip", "link", "add", "link", IFACE, "name", dev, "type", "vlan", "id",
              str(VLAN_ID), check=False).returncode == 0:
            sh("ip", "link", "set", dev, "netns", ns)
        else:
            note("[l2] the kernel has no 802.1Q: VLAN 100 reaches it through a relay")
            dev = "ttv1"
            sh("ip", "link", "add", "ttv0", "type", "veth", "peer", "name", dev)
            sh("ip", "link", "set", dev, "netns", ns)
            sh("ip", "link", "set", "ttv0", "up")
            # The relay copies frames as they are: the kernel must complete its checksums.
            sh("ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off")
            relay = VlanRelay()
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{VLAN_KERNEL}/24", "dev", dev)
        sh("ip", "netns", "exec", ns, "ip", "link", "set", dev, "up")
        yield ns
    finally:
        if relay is not None:
            relay.close()
        sh("ip", "link", "del", "ttv0", check=False)
        sh("ip", "netns", "del", ns, check=False)


@pytest.fixture(scope="module")
def client_net():
    """198.19.0.2 in its own namespace, routed by the suite's namespace to the appliance."""
    with routed_client("l2", CLIENT_NET_ROUTER, CLIENT_IP, 24) as ns:
        yield ns


class Tap:
    """Frames the appliance sends on tt0, as a packet socket on the kernel side sees them."""

    def __init__(self, app):
        self.app_mac = bytes.fromhex(app.mac.replace(":", ""))
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.sock.bind((IFACE, 0))
        self.sock.settimeout(0.1)

    def send(self, frame):
        self.sock.send(bytes(frame))

    def take(self, match, timeout=3.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            if addr[2] == 4 or data[6:12] != self.app_mac:  # outgoing, or not the appliance's
                continue
            p = Ether(data)
            if match(p):
                return p
        return None

    def close(self):
        self.sock.close()


def synack_to_stranger(app, src, sport):
    """A SYN from src whose frame comes from STRANGER_MAC: the destination MAC of its SYN-ACK
    (the connection it opened is then reset)."""
    tap = Tap(app)
    try:
        synack = syn_from_stranger(app, tap, src, sport)
    finally:
        tap.close()
    assert synack is not None, "no SYN-ACK"
    return synack[Ether].dst


def syn_from_stranger(app, tap, src, sport):
    """A SYN from src whose frame comes from STRANGER_MAC; returns the SYN-ACK (or None) and
    resets the connection it opened."""
    tap.send(Ether(src=STRANGER_MAC, dst=app.mac) / IP(src=src, dst=APPLIANCE_IP)
             / TCP(sport=sport, dport=80, flags="S", seq=1000, options=[("MSS", 1460)]))
    synack = tap.take(lambda p: TCP in p and p[TCP].dport == sport and p[TCP].flags == "SA")
    tap.send(Ether(src=STRANGER_MAC, dst=app.mac) / IP(src=src, dst=APPLIANCE_IP)
             / TCP(sport=sport, dport=80, flags="R", seq=1001))
    return synack


# ---- the default: next hop by ARP ----------------------------------------------------------------

def test_vlan_interface_curl_and_ping(app, vlan100):
    """The kernel on VLAN 100 reaches the appliance's VLAN address: ARP, ICMP echo and HTTP.
    Only frames tagged 100 reach it (tt0.100, or the relay), so every answer was tagged."""
    banner = [line for line in app.output().splitlines() if f" vlan {VLAN_ID} " in line]
    assert banner and f"vlan {VLAN_ID} {VLAN_US}/24, tags: rx " in banner[0], banner
    note(f"[l2] {banner[0]}")
    before = app.stats()
    out = run(["ip", "netns", "exec", vlan100, "ping", "-c", "3", "-i", "0.2", "-W", "2",
               VLAN_US], check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    code, body = curl(f"http://{VLAN_US}/", netns=vlan100)
    assert code == "200" and body.encode() == filler(BODY), (code, body[:80])
    d = delta(app.stats(), before)
    assert d.get("icmp_echo_replies", 0) >= 3, d
    assert d.get("arp_replies", 0) >= 1, d  # the kernel asked for 198.18.1.2 on VLAN 100
    # ... and the appliance asked for 198.18.1.1 on VLAN 100 before its first answer.
    assert d.get("arp_requests_sent", 0) >= 1 and d.get("neigh_resolved", 0) >= 1, d
    assert d.get("conn_opened", 0) >= 1, d
    # The untagged interface still answers beside it.
    code, _ = curl(f"http://{APPLIANCE_IP}/")
    assert code == "200"


def test_unserved_vlan_dropped_and_counted(app, vlan100):
    """Frames of a VLAN the appliance does not serve get nothing and are counted: an ARP
    request and a SYN on VLAN 200, a SYN on 4095 (reserved)."""
    before = app.drops()
    tap = Tap(app)
    try:
        tap.send(Ether(src=STRANGER_MAC, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=200)
                 / ARP(hwsrc=STRANGER_MAC, psrc="198.18.2.1", pdst="198.18.2.2"))
        for vid in (200, 4095):
            tap.send(Ether(src=STRANGER_MAC, dst=app.mac) / Dot1Q(vlan=vid)
                     / IP(src="198.18.0.77", dst=APPLIANCE_IP)
                     / TCP(sport=40000 + vid, dport=80, flags="S"))
        assert tap.take(lambda p: ARP in p or (TCP in p and p[TCP].dport in (40200, 44095)),
                        timeout=0.5) is None
    finally:
        tap.close()
    d = app.wait_for(lambda: delta(app.drops(), before),
                     lambda d: d.get("vlan_unserved", 0) >= 2
                     and d.get("vlan_reserved_id", 0) >= 1, timeout=5)
    assert d == {"vlan_unserved": 2, "vlan_reserved_id": 1}, d


def test_vlan_ipv6(app, vlan100):
    """IPv6 on VLAN 100: the kernel there pings and curls the VLAN's IPv6 address.  The
    appliance answers its solicitation and echo requests, tagged, and solicits the kernel over
    the VLAN before its SYN-ACK (tags before IPv6 are taken out in software on a TAP)."""
    dev = [line.split(":")[1].strip().split("@")[0] for line in
           run(["ip", "netns", "exec", vlan100, "ip", "-o", "link"]).stdout.splitlines()
           if ": lo:" not in line][0]
    ns = ["ip", "netns", "exec", vlan100]
    sh(*ns, "sysctl", "-qw", f"net.ipv6.conf.{dev}.router_solicitations=0",
       f"net.ipv6.conf.{dev}.disable_ipv6=0")
    try:
        sh(*ns, "ip", "-6", "addr", "add", f"{VLAN_KERNEL6}/64", "dev", dev, "nodad")
        before = app.stats()
        out = run(ns + ["ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", VLAN_US6], check=False)
        assert out.returncode == 0, out.stdout + out.stderr
        out = run(ns + ["curl", "-6", "-s", "-m", "10", f"http://[{VLAN_US6}]/"], check=False,
                  timeout=20)
        assert out.returncode == 0 and out.stdout.encode() == filler(BODY), out
        d = delta(app.stats(), before)
        assert d.get("icmp6_echo_replies", 0) >= 3 and d.get("nd_adverts_sent", 0) >= 1, d
        assert d.get("nd_solicits_sent", 0) >= 1 and d.get("neigh_resolved", 0) >= 1, d
        assert d.get("conn_opened_ipv6", 0) >= 1, d
    finally:
        # No IPv6 chatter left to count as drops in the tests after this one.
        sh(*ns, "sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1", check=False)


def test_routed_client_subnet(app, client_net):
    """198.19.0.2, two hops away, routed by the kernel through the appliance's gateway
    198.18.0.1, gets answers to HTTP and ping."""
    before = app.stats()
    code, body = curl(f"http://{APPLIANCE_IP}/", netns=client_net)
    assert code == "200" and body.encode() == filler(BODY), (code, body[:80])
    out = run(["ip", "netns", "exec", client_net, "ping", "-c", "2", "-i", "0.2", "-W", "2",
               APPLIANCE_IP], check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    d = delta(app.stats(), before)
    assert d.get("conn_opened", 0) >= 1 and d.get("icmp_echo_replies", 0) >= 2, d
    assert d.get("neigh_drop_no_route", 0) == 0 and d.get("neigh_drop_unresolved", 0) == 0, d


def test_offlink_reply_goes_to_gateway(app):
    """A SYN from an off-link address whose frame came from another host's MAC: the SYN-ACK
    goes to the gateway's MAC (the kernel's tt0), as Linux routes it, not back to the frame's
    source."""
    assert synack_to_stranger(app, "198.19.5.7", 40555) == kernel_mac()


def test_arp_counters_visible(app):
    s = app.stats()
    note(f"[l2] arp_requests_sent={s['arp_requests_sent']} neigh_resolved={s['neigh_resolved']}"
         f" arp_learned={s['arp_learned']} neigh_frames_held={s['neigh_frames_held']}")
    assert s["arp_requests_sent"] >= 2 and s["neigh_resolved"] >= 2, dict(s)
    assert s["neigh_frames_held"] >= 1 and s["neigh_frames_released"] >= 1, dict(s)
    assert s["arp_learned"] >= 2, dict(s)


def test_l2_final_counters(app, vlan100, client_net):
    final = app.finish()
    assert final["neigh_drop_table_full"] == 0 and final["neigh_drop_pool_full"] == 0, final


# ---- reply_to_source_mac: today's behaviour kept ----------------------------------------------

def test_source_mac_mode(old_mode):
    """With reply_to_source_mac the SYN-ACK goes back to the frame's source MAC and the
    appliance asks ARP nothing; the kernel still gets its pages."""
    assert synack_to_stranger(old_mode, "198.19.5.7", 40556) == STRANGER_MAC
    code, body = curl(f"http://{APPLIANCE_IP}/")
    assert code == "200" and body.encode() == filler(BODY)
    s = old_mode.stats()
    assert s["arp_requests_sent"] == 0 and s["neigh_frames_held"] == 0, dict(s)


def test_source_mac_final_counters(old_mode):
    old_mode.finish()
