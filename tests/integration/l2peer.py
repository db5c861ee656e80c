"""A made-up host on tt0 for hand-crafted frames: its own MAC and an IPv4 address the kernel
does not own, so the kernel never answers for it (no stray RSTs to our SYN-ACKs).  It answers
the appliance's ARP requests for its address, as a host does (the appliance sends to the next
hop it resolves), and a packet socket on tt0 sees the appliance's frames (the kernel drops
them as addressed to another host).  Scapy builds and dissects."""

import random
import socket
import threading
import time

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from conftest import APPLIANCE_IP, IFACE

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def tcp_checksum_ok(frame):
    """True when the IPv4 and TCP checksums of the frame verify."""
    p = Ether(bytes(frame))
    got_ip, got_tcp = p[IP].chksum, p[TCP].chksum
    q = p.copy()
    del q[IP].chksum
    del q[TCP].chksum
    q = Ether(bytes(q))
    # A TCP sum of zero may be sent as 0x0000 or 0xffff: both verify (one's complement has two
    # zeros), and DPDK's TAP driver, completing offloaded sums, writes 0xffff.
    want_tcp = {q[TCP].chksum, 0xffff} if q[TCP].chksum == 0 else {q[TCP].chksum}
    return q[IP].chksum == got_ip and got_tcp in want_tcp


class PacketSocket:
    """A packet socket on tt0 while open (a context manager): a thread hands each frame it sees
    that the kernel did not send itself to self.received(data)."""

    def __init__(self):
        self.sock = None
        self.stop = False
        self.thread = None

    def __enter__(self):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.sock.bind((IFACE, 0))
        self.sock.settimeout(0.1)
        self.thread = threading.Thread(target=self._rx, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join(timeout=5)
        self.sock.close()
        return False

    def _rx(self):
        while not self.stop:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[2] != PACKET_OUTGOING:
                self.received(data)

    def received(self, data):
        """Used as it is, a socket that only sends: what it sees is not kept."""
        del data

    def send(self, *frames):
        for f in frames:
            self.sock.send(bytes(f))


class Sniffer(PacketSocket):
    """Every frame the appliance sends on tt0 while it is open, dissected, in order."""

    def __init__(self, app):
        super().__init__()
        self.app_mac = app.mac
        self.frames = []

    def received(self, data):
        p = Ether(data)
        if p.src == self.app_mac:
            self.frames.append(p)

    def wait(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in list(self.frames):
                if pred(p):
                    return p
            time.sleep(0.02)
        return None


class L2Peer(PacketSocket):
    def __init__(self, app, ip="198.18.0.77", mac="02:00:5e:10:00:77"):
        super().__init__()
        self.app = app
        self.ip = ip
        self.mac = mac
        self.mac_bytes = bytes.fromhex(mac.replace(":", ""))
        self.frames = []
        self.lock = threading.Lock()
        self.arp_answered = 0

    def received(self, data):
        if self._arp_request_for_us(data):
            self._arp_answer(data)
        elif data[0:6] == self.mac_bytes:
            with self.lock:
                self.frames.append(data)

    def _arp_request_for_us(self, data):
        return (len(data) >= 42 and data[12:14] == b"\x08\x06" and data[20:22] == b"\x00\x01"
                and data[38:42] == socket.inet_aton(self.ip))

    def _arp_answer(self, req):
        """An ARP reply from our MAC to the requester (RFC 826)."""
        mac = self.mac_bytes
        sha, spa = req[22:28], req[28:32]
        reply = (sha + mac + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x02" + mac
                 + socket.inet_aton(self.ip) + sha + spa)
        self.arp_answered += 1
        self.sock.send(reply)

    # ---- sending ---------------------------------------------------------------------------

    def eth(self):
        return Ether(src=self.mac, dst=self.app.mac)

    def ip_tcp(self, sport, dport=80, **tcp):
        return self.eth() / IP(src=self.ip, dst=APPLIANCE_IP) / TCP(sport=sport, dport=dport,
                                                                   **tcp)

    # ---- receiving -------------------------------------------------------------------------

    def take(self, match, count=1, timeout=3.0):
        """Wait until `count` received frames (dissected) satisfy match(frame); remove and
        return them (fewer on timeout: the caller asserts)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                hits = []
                rest = []
                for raw in self.frames:
                    p = Ether(raw)
                    if len(hits) < count and match(p):
                        hits.append(p)
                    else:
                        rest.append(raw)
                if len(hits) >= count or time.monotonic() > deadline:
                    self.frames = rest
                    return hits
            time.sleep(0.02)

    def tcp_from(self, sport_of_peer, flags=None):
        """A matcher for TCP segments the appliance sends to our port sport_of_peer."""
        def match(p):
            if TCP not in p or p[IP].src != APPLIANCE_IP or p[TCP].dport != sport_of_peer:
                return False
            return flags is None or str(p[TCP].flags) == flags
        return match

    def clear(self):
        with self.lock:
            self.frames = []


_used_ports = set()


def random_ports(n, lo=20000, hi=60000):
    """n source ports never handed out before in this run: a test must not land on a
    connection an earlier test left half-open."""
    free = [p for p in range(lo, hi) if p not in _used_ports]
    ports = random.sample(free, n)
    _used_ports.update(ports)
    return ports


class Conn:
    """One TCP connection driven by hand from an L2Peer (no retransmission: tests keep the
    exchange short and loss-free)."""

    def __init__(self, peer, sport, dport=80, options=(("MSS", 1460),)):
        self.peer = peer
        self.sport = sport
        self.dport = dport
        self.options = list(options)
        self.iss = random.getrandbits(32)
        self.snd_nxt = self.iss
        self.rcv_nxt = None
        self.ts_recent = None
        self.synack = None

    def seg(self, flags, payload=b"", seq=None, ack=None):
        opts = []
        if self.ts_recent is not None:
            opts = [("NOP", None), ("NOP", None),
                    ("Timestamp", (int(time.monotonic() * 1000) & 0xffffffff, self.ts_recent))]
        f = self.peer.ip_tcp(self.sport, self.dport, flags=flags,
                             seq=self.snd_nxt if seq is None else seq,
                             ack=(self.rcv_nxt or 0) if ack is None else ack,
                             window=65535, options=opts)
        return f / Raw(payload) if payload else f

    def syn(self):
        return self.peer.ip_tcp(self.sport, self.dport, flags="S", seq=self.iss,
                                window=65535, options=self.options)

    def handshake_synack(self, timeout=3.0):
        """Send the SYN; returns the SYN-ACK (or None)."""
        self.peer.send(self.syn())
        got = self.peer.take(self.peer.tcp_from(self.sport, "SA"), timeout=timeout)
        if not got:
            return None
        self.synack = got[0]
        self.snd_nxt = self.iss + 1
        self.rcv_nxt = (self.synack[TCP].seq + 1) & 0xffffffff
        for name, val in self.synack[TCP].options:
            if name == "Timestamp":
                self.ts_recent = val[0]
        return self.synack

    def ack(self):
        self.peer.send(self.seg("A"))

    def send_data(self, payload, flags="PA"):
        self.peer.send(self.seg(flags, payload))
        self.snd_nxt = (self.snd_nxt + len(payload)) & 0xffffffff

    def receive_until(self, done, timeout=5.0):
        """Collect in-order payload from the appliance, ACKing as it comes, until
        done(bytes_so_far) or a FIN; returns (payload, fin_seen)."""
        data = b""
        fin = False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not done(data) and not fin:
            segs = self.peer.take(self.peer.tcp_from(self.sport), count=1, timeout=0.2)
            for p in segs:
                t = p[TCP]
                payload = bytes(t.payload)
                for name, val in t.options:
                    if name == "Timestamp":
                        self.ts_recent = val[0]
                if t.seq == self.rcv_nxt:
                    data += payload
                    self.rcv_nxt = (self.rcv_nxt + len(payload)) & 0xffffffff
                    if "F" in str(t.flags):
                        self.rcv_nxt = (self.rcv_nxt + 1) & 0xffffffff
                        fin = True
                if payload or "F" in str(t.flags):
                    self.ack()
        return data, fin
