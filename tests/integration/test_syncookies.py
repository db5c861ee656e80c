"""Hand-crafted frames (scapy, L2 on tt0) against syncookies = "always": SYN floods leave no
state, a cookie completes a connection, forged ACKs are refused, and every malformed frame is
dropped under its own reason."""

import random
import subprocess
import time
from pathlib import Path

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption_LSRR, IPOption_NOP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

from conftest import APPLIANCE_IP, KERNEL_IP, appliance_fixture, connect, delta, filler, http_get, note
from l2peer import Conn, L2Peer, random_ports, tcp_checksum_ok

BODY = 300
# time_wait_ms 4000: a cookie lives 2 to 4 s, ample for a scripted handshake on a busy machine.
app = appliance_fixture("cookies", body_size=BODY, syncookies="always", time_wait_ms=4000)


@pytest.fixture
def peer(app):
    with L2Peer(app) as p:
        yield p


def option_names(tcp):
    return {name for name, _ in tcp.options}


def test_syn_flood_answered_statelessly(app, peer):
    n = 200
    before = app.stats()
    ports = random_ports(n)
    syns = {p: random.getrandbits(32) for p in ports}
    peer.send(*(peer.ip_tcp(p, 80, flags="S", seq=s, options=[("MSS", 1460)])
                for p, s in syns.items()))
    ports_set = set(ports)
    got = peer.take(lambda f: TCP in f and f[TCP].dport in ports_set and
                    str(f[TCP].flags) == "SA", count=n, timeout=10)
    answered = {f[TCP].dport: f for f in got}
    assert len(answered) == n, f"{n - len(answered)} SYNs got no SYN-ACK"
    for port, f in answered.items():
        assert f[TCP].ack == (syns[port] + 1) & 0xffffffff
        assert f[IP].src == APPLIANCE_IP and f[IP].dst == peer.ip
        assert f[Ether].dst == peer.mac and f[Ether].src == app.mac
        assert ("MSS", 1460) in f[TCP].options
        assert tcp_checksum_ok(f), f"bad checksum on the SYN-ACK to port {port}"
    c = app.conns()
    assert c["total"] == 0, f"cookies must keep no state: {dict(c)}"
    d = delta(app.stats(), before)
    assert d.get("syncookies_sent") == n, d
    assert d.get("synack_sent", 0) == 0, d
    # Cookies differ per flow (they are keyed hashes, not counters).
    assert len({f[TCP].seq for f in answered.values()}) == n


def test_cookie_options_with_timestamps(app, peer):
    c = Conn(peer, random_ports(1)[0], options=[
        ("MSS", 1400), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None),
        ("WScale", 6)])
    sa = c.handshake_synack()
    assert sa is not None
    names = option_names(sa[TCP])
    assert {"MSS", "Timestamp", "WScale", "SAckOK"} <= names, sa[TCP].options
    ts = dict(sa[TCP].options)["Timestamp"]
    assert ts[1] == 12345, "tsecr must echo our tsval"
    assert dict(sa[TCP].options)["WScale"] == 7


def test_cookie_without_timestamps_offers_no_wscale(app, peer):
    c = Conn(peer, random_ports(1)[0], options=[("MSS", 1460), ("WScale", 6)])
    sa = c.handshake_synack()
    assert sa is not None
    assert option_names(sa[TCP]) == {"MSS"}, sa[TCP].options


def http_over(conn, request):
    conn.send_data(request)
    data, fin = conn.receive_until(lambda d: d.endswith(filler(BODY)), timeout=5)
    return data, fin


def paws_rejected():
    """The kernel's count of segments its PAWS check dropped on established connections."""
    names, values = [line.split() for line in
                     Path("/proc/net/netstat").read_text().splitlines()
                     if line.startswith("TcpExt:")][:2]
    return int(values[names.index("PAWSEstab")])


def read_response(s):
    """One keep-alive response of BODY bytes; returns its head."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < BODY:
        chunk = s.recv(65536)
        assert chunk, f"closed after {len(data)} bytes"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    assert body == filler(BODY), body[:80]
    return head


def test_kernel_client_keeps_the_cookie_synack_clock(app):
    """Linux clients (timestamps on, their default) through cookie handshakes: a connection a
    cookie opens sends TSvals that continue its SYN-ACK's clock (the offset is the cookie's
    MAC's, made again from the ACK), or the kernel's PAWS check would drop the later segments
    of ours.  Four connections, three keep-alive requests each, 100 ms apart."""
    assert Path("/proc/sys/net/ipv4/tcp_timestamps").read_text().strip() != "0"
    before, paws = app.stats(), paws_rejected()
    for _ in range(4):
        with connect(80, timeout=5) as s:
            for _ in range(3):
                time.sleep(0.1)
                s.sendall(http_get())
                assert read_response(s).startswith(b"HTTP/1.1 200 OK")
    assert paws_rejected() == paws
    d = delta(app.stats(), before)
    assert d.get("syncookies_validated") == 4, d
    assert d.get("http_requests") == 12, d


@pytest.mark.parametrize("with_ts", [False, True])
def test_cookie_handshake_then_http(app, peer, with_ts):
    before = app.stats()
    opts = [("MSS", 1460)]
    if with_ts:
        opts += [("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None), ("WScale", 7)]
    c = Conn(peer, random_ports(1)[0], options=opts)
    assert c.handshake_synack() is not None
    assert app.conns()["total"] == 0, "state before the cookie came back"
    c.ack()
    conns = app.wait_for(app.conns, lambda x: x["established"] == 1, 2)
    assert conns["established"] == 1 and conns["total"] == 1, dict(conns)
    data, _ = http_over(c, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 OK\r\n"), data[:100]
    assert data.endswith(filler(BODY))
    close_from_peer(app, c)
    d = delta(app.stats(), before)
    assert d.get("syncookies_validated") == 1, d
    assert d.get("conn_opened") == 1 and d.get("conn_closed") == 1, d
    assert d.get("http_requests") == 1, d


def close_from_peer(app, c):
    """Close c from our side: FIN, the appliance answers with its FIN, we ACK it, and it keeps
    no connection."""
    c.send_data(b"", flags="FA")
    c.snd_nxt = (c.snd_nxt + 1) & 0xffffffff
    _, fin = c.receive_until(lambda d: False, timeout=3)
    assert fin, "no FIN from the appliance after ours"
    conns = app.wait_for(app.conns, lambda x: x["total"] == 0, 2)
    assert conns["total"] == 0, dict(conns)


def test_cookie_ack_with_a_timestamp_the_syn_had_not(app, peer):
    """RFC 7323 3.2: a timestamp in the ACK of a SYN without one was never agreed to, and is
    ignored: the cookie, made without one, still opens the connection."""
    before = app.stats()
    c = Conn(peer, random_ports(1)[0], options=[("MSS", 1460)])
    sa = c.handshake_synack()
    assert sa is not None
    assert option_names(sa[TCP]) == {"MSS"}, sa[TCP].options
    c.ts_recent = 0  # from here on each segment of ours carries a timestamp, TSecr 0
    c.ack()
    conns = app.wait_for(app.conns, lambda x: x["established"] == 1, 2)
    assert conns["established"] == 1, dict(conns)
    data, _ = http_over(c, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 200 OK\r\n"), data[:100]
    close_from_peer(app, c)
    d = delta(app.stats(), before)
    assert d.get("syncookies_validated") == 1 and not d.get("syncookies_failed"), d


def test_forged_ack_is_reset(app, peer):
    before, drops = app.stats(), app.drops()
    port = random_ports(1)[0]
    ack = random.getrandbits(32)
    peer.send(peer.ip_tcp(port, 80, flags="A", seq=random.getrandbits(32), ack=ack))
    rst = peer.take(peer.tcp_from(port), timeout=3)
    assert rst, "no answer to a forged ACK"
    assert "R" in str(rst[0][TCP].flags)
    assert rst[0][TCP].seq == ack, "RST to an ACK must carry seq = the ACK's ack (RFC 9293)"
    assert app.conns()["total"] == 0
    d = delta(app.stats(), before)
    assert d.get("syncookies_failed") == 1, d
    assert d.get("rst_sent") == 1, d
    assert delta(app.drops(), drops) == {"syncookie_bad": 1}


def test_cookie_ack_for_other_flow_is_refused(app, peer):
    """A valid cookie is bound to its 4-tuple: replaying it from another port fails."""
    c = Conn(peer, random_ports(1)[0])
    sa = c.handshake_synack()
    assert sa is not None
    other = c.sport + 1
    before = app.stats()
    peer.send(peer.ip_tcp(other, 80, flags="A", seq=c.iss + 1, ack=sa[TCP].seq + 1))
    rst = peer.take(peer.tcp_from(other), timeout=3)
    assert rst and "R" in str(rst[0][TCP].flags)
    assert app.conns()["total"] == 0
    assert delta(app.stats(), before).get("syncookies_failed") == 1


def raw_frame(peer, sport, mutate, **tcp):
    b = bytearray(bytes(peer.ip_tcp(sport, 80, flags="S", seq=1000, **tcp)))
    mutate(b)
    return bytes(b)


def flip(offset):
    def m(b):
        b[offset] ^= 0xff
    return m


def set_byte(offset, value):
    def m(b):
        b[offset] = value
    return m


def set_u16(offset, value):
    def m(b):
        b[offset:offset + 2] = value.to_bytes(2, "big")
    return m


ETH, IPH = 14, 20  # header sizes
P = APPLIANCE_IP


def with_ip_options(peer, sport, opt):
    """A SYN whose IPv4 header carries opt (a multiple of 4 bytes) as it is, however malformed
    (scapy would parse an option it builds), its header checksum made right."""
    b = bytearray(bytes(peer.eth() / IP(src=peer.ip, dst=P, options=[IPOption_NOP()] * len(opt))
                        / TCP(sport=sport, dport=80, flags="S")))
    b[ETH + IPH:ETH + IPH + len(opt)] = opt
    b[ETH + 10:ETH + 12] = b"\0\0"
    total = sum(int.from_bytes(b[ETH + i:ETH + i + 2], "big") for i in range(0, IPH + len(opt), 2))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    b[ETH + 10:ETH + 12] = (~total & 0xffff).to_bytes(2, "big")
    return bytes(b)


def malformed_cases():
    """(name, builder(peer, app) -> frame bytes, drop reason).  A frame shorter than the
    Ethernet header (drop eth_short) cannot be sent: the kernel refuses packet-socket frames
    shorter than the link header."""
    def tcp(peer, **kw):
        return peer.ip_tcp(random_ports(1)[0], 80, seq=1000, **kw)

    return [
        ("bad_ip_checksum", lambda peer, app: raw_frame(peer, 40001, flip(ETH + 10)),
         "ip_bad_checksum"),
        ("bad_tcp_checksum", lambda peer, app: raw_frame(peer, 40002, flip(ETH + IPH + 16)),
         "tcp_bad_checksum"),
        ("truncated_tcp_header", lambda peer, app: bytes(
            peer.eth() / IP(src=peer.ip, dst=P, proto=6) / Raw(b"\x9c\x41\x00\x50" + b"\0" * 6)),
         "tcp_short"),
        ("ip_fragment_mf", lambda peer, app: bytes(
            peer.eth() / IP(src=peer.ip, dst=P, flags="MF") / TCP(sport=40003, dport=80)),
         "ip_fragment"),
        ("ip_fragment_offset", lambda peer, app: bytes(
            peer.eth() / IP(src=peer.ip, dst=P, proto=6, frag=100) / Raw(b"x" * 40)),
         "ip_fragment"),
        ("ip_ihl_too_small", lambda peer, app: raw_frame(peer, 40004, set_byte(ETH, 0x43)),
         "ip_bad_header_len"),
        ("ip_ihl_beyond_frame", lambda peer, app: bytes(
            Ether(src=peer.mac, dst=app.mac, type=0x0800)
            / Raw(b"\x4f" + bytes(IP(src=peer.ip, dst=P))[1:20] + b"\0" * 4)),
         "ip_bad_header_len"),
        ("ip_version_6", lambda peer, app: raw_frame(peer, 40005, set_byte(ETH, 0x65)),
         "ip_bad_version"),
        ("ip_total_len_beyond_frame", lambda peer, app: raw_frame(
            peer, 40006, set_u16(ETH + 2, 1000)), "ip_bad_total_len"),
        ("tcp_data_offset_too_large", lambda peer, app: bytes(tcp(peer, flags="S", dataofs=15)),
         "tcp_bad_header_len"),
        ("tcp_data_offset_too_small", lambda peer, app: bytes(tcp(peer, flags="S", dataofs=3)),
         "tcp_bad_header_len"),
        ("tcp_bad_mss_option", lambda peer, app: bytes(tcp(peer, flags="S",
                                                            options=[(2, b"\x05")])),
         "tcp_bad_options"),
        ("syn_fin", lambda peer, app: bytes(tcp(peer, flags="SF")), "tcp_bad_flags"),
        ("syn_rst", lambda peer, app: bytes(tcp(peer, flags="SR")), "tcp_bad_flags"),
        ("no_flags_no_connection", lambda peer, app: bytes(tcp(peer, flags="")),
         "tcp_bad_flags"),
        ("rst_no_connection", lambda peer, app: bytes(tcp(peer, flags="R")),
         "tcp_no_connection"),
        ("source_port_zero", lambda peer, app: bytes(
            peer.eth() / IP(src=peer.ip, dst=P) / TCP(sport=0, dport=80, flags="S")),
         "tcp_bad_port"),
        ("garbage_ethertype", lambda peer, app: bytes(
            Ether(src=peer.mac, dst=app.mac, type=0x88B5) / Raw(b"\xde\xad" * 23)),
         "eth_unsupported_type"),
        ("runt_ip", lambda peer, app: bytes(
            Ether(src=peer.mac, dst=app.mac, type=0x0800) / Raw(b"\x45" + b"\0" * 9)),
         "ip_short"),
        ("other_mac", lambda peer, app: bytes(
            Ether(src=peer.mac, dst="02:00:5e:99:99:99") / IP(src=peer.ip, dst=P) / ICMP()),
         "eth_not_our_mac"),
        ("other_ip", lambda peer, app: bytes(
            peer.eth() / IP(src=peer.ip, dst="198.18.0.99") / TCP(sport=40007, dport=80)),
         "ip_not_our_address"),
        ("loopback_source", lambda peer, app: bytes(
            peer.eth() / IP(src="127.0.0.1", dst=P) / TCP(sport=40008, dport=80)),
         "ip_bad_source"),
        ("multicast_source", lambda peer, app: bytes(
            peer.eth() / IP(src="224.0.0.1", dst=P) / TCP(sport=40009, dport=80)),
         "ip_bad_source"),
        ("udp", lambda peer, app: bytes(
            peer.eth() / IP(src=peer.ip, dst=P) / UDP(sport=40010, dport=80) / Raw(b"x")),
         "ip_unsupported_proto"),
        ("icmp_bad_checksum", lambda peer, app: bytes(
            peer.eth() / IP(src=peer.ip, dst=P) / ICMP(chksum=0x1234) / Raw(b"ping")),
         "icmp_bad_checksum"),
        ("icmp_not_echo", lambda peer, app: bytes(
            peer.eth() / IP(src=peer.ip, dst=P) / ICMP(type=13)), "icmp_not_echo_request"),
        ("icmp_short", lambda peer, app: bytes(
            peer.eth() / IP(src=peer.ip, dst=P, proto=1) / Raw(b"\x08\x00\x00")), "icmp_short"),
        ("arp_bad_hlen", lambda peer, app: bytes(
            Ether(src=peer.mac, dst="ff:ff:ff:ff:ff:ff") / ARP(hwlen=5, psrc=peer.ip, pdst=P)),
         "arp_malformed"),
        ("arp_not_for_us", lambda peer, app: bytes(
            Ether(src=peer.mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
                hwsrc=peer.mac, psrc=peer.ip, pdst="198.18.0.99")), "arp_not_for_us"),
        # A group source: the echo reply would go to the whole link.
        ("icmp_from_broadcast_mac", lambda peer, app: bytes(
            Ether(src="ff:ff:ff:ff:ff:ff", dst=app.mac) / IP(src=peer.ip, dst=P) / ICMP()),
         "eth_group_source"),
        # The kernel peer's address claimed for the broadcast MAC, or for none: never learned
        # (test_still_serves_after_garbage then reaches the kernel as before).
        ("arp_kernel_ip_at_broadcast", lambda peer, app: bytes(
            Ether(src=peer.mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
                hwsrc="ff:ff:ff:ff:ff:ff", psrc=KERNEL_IP, pdst=P)), "arp_bad_sender_mac"),
        ("arp_kernel_ip_at_zero_other_target", lambda peer, app: bytes(
            Ether(src=peer.mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
                op=2, hwsrc="00:00:00:00:00:00", psrc=KERNEL_IP, pdst="198.18.0.99")),
         "arp_bad_sender_mac"),
        # Another host claiming our address (RFC 5227's conflict), in a request or an
        # announcement, and a sender no host has: neither answered nor learned.
        ("arp_request_from_our_address", lambda peer, app: bytes(
            Ether(src=peer.mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
                hwsrc=peer.mac, psrc=P, pdst=P)), "arp_sender_our_address"),
        ("arp_reply_from_our_address", lambda peer, app: bytes(
            Ether(src=peer.mac, dst=app.mac) / ARP(
                op=2, hwsrc=peer.mac, psrc=P, pdst=peer.ip)), "arp_sender_our_address"),
        ("arp_request_from_loopback", lambda peer, app: bytes(
            Ether(src=peer.mac, dst="ff:ff:ff:ff:ff:ff") / ARP(
                hwsrc=peer.mac, psrc="127.0.0.1", pdst=P)), "arp_bad_sender_ip"),
        # Our address at the broadcast MAC: not for us (RFC 1122 3.3.6), neither a SYN nor a
        # ping is answered.
        ("syn_at_broadcast_mac", lambda peer, app: bytes(
            Ether(src=peer.mac, dst="ff:ff:ff:ff:ff:ff") / IP(src=peer.ip, dst=P)
            / TCP(sport=40011, dport=80, flags="S")), "eth_group_dest"),
        ("icmp_at_broadcast_mac", lambda peer, app: bytes(
            Ether(src=peer.mac, dst="ff:ff:ff:ff:ff:ff") / IP(src=peer.ip, dst=P) / ICMP()),
         "eth_group_dest"),
        # The zero MAC is no host's: a reply to it is flooded by a switch.
        ("syn_from_zero_mac", lambda peer, app: bytes(
            Ether(src="00:00:00:00:00:00", dst=app.mac) / IP(src=peer.ip, dst=P)
            / TCP(sport=40012, dport=80, flags="S")), "eth_zero_source"),
        # IPv4 options: a source route, and a length past the header.
        ("syn_loose_source_route", lambda peer, app: bytes(
            peer.eth() / IP(src=peer.ip, dst=P, options=[IPOption_LSRR(routers=[KERNEL_IP])])
            / TCP(sport=40013, dport=80, flags="S")), "ip_source_route"),
        ("syn_ip_option_past_header", lambda peer, app: with_ip_options(
            peer, 40014, b"\x07\x09\x04\x00"), "ip_bad_options"),
    ]


CASES = malformed_cases()


@pytest.mark.parametrize("name,build,reason", CASES, ids=[c[0] for c in CASES])
def test_malformed_frame_dropped_with_reason(app, peer, name, build, reason):
    before = app.drops()
    stats = app.stats()
    peer.send(build(peer, app))
    after = app.wait_for(app.drops, lambda d: d[reason] > before[reason], 2)
    d = delta(after, before)
    assert d == {reason: 1}, f"{name}: expected one drop_{reason}, got {d}"
    s = delta(app.stats(), stats)
    assert s.get("rx_packets") == 1, s
    # Only a TCP segment to a port or connection nobody has may be answered (with an RST).
    assert s.get("tx_packets", 0) == 0, s
    assert app.conns()["total"] == 0


def test_syn_to_closed_port_is_reset(app, peer):
    before = app.drops()
    port = random_ports(1)[0]
    peer.send(peer.ip_tcp(port, 81, flags="S", seq=5000))
    rst = peer.take(peer.tcp_from(port), timeout=3)
    assert rst, "no RST for a SYN to a port without listener"
    t = rst[0][TCP]
    assert str(t.flags) == "RA" and t.ack == 5001 and t.seq == 0
    assert delta(app.drops(), before) == {"tcp_no_listener": 1}


def test_still_serves_after_garbage(app):
    r = subprocess.run(["curl", "-s", "--max-time", "10", f"http://{APPLIANCE_IP}/"],
                       capture_output=True, timeout=20)
    assert r.returncode == 0
    assert r.stdout == filler(BODY)
    r = subprocess.run(["ping", "-c", "1", "-W", "2", APPLIANCE_IP], capture_output=True,
                       timeout=10)
    assert r.returncode == 0


def test_final_counters(app):
    final = app.finish()
    note(f"syncookies: sent {final['syncookies_sent']}, validated "
         f"{final['syncookies_validated']}, failed {final['syncookies_failed']}")
    assert final["syncookies_sent"] >= 200
    assert final["syncookies_validated"] >= 3  # two crafted handshakes and curl
    assert final["syncookies_failed"] == 2
    assert final["synack_sent"] == 0, "syncookies=always must never keep a SYN-RECEIVED TCB"
    for _, _, reason in CASES:
        assert final["drop_" + reason] >= 1, reason
