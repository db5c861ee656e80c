"""The stateful handshake (syncookies = "off"), driven by hand from scapy: SYN-RECEIVED, its
SYN-ACK retransmissions and timeout, duplicate SYNs, bad ACKs, and resets."""

import time

import pytest
from scapy.layers.inet import TCP

from conftest import appliance_fixture, delta, filler
from l2peer import Conn, L2Peer, random_ports

BODY = 200
RTO_MS = 200
SYN_RECV_TIMEOUT_MS = 1000
app = appliance_fixture("synrecv", body_size=BODY, syncookies="off", rto_initial_ms=RTO_MS,
                        rto_min_ms=RTO_MS, syn_retries=5,
                        syn_recv_timeout_ms=SYN_RECV_TIMEOUT_MS)


@pytest.fixture
def peer(app):
    with L2Peer(app) as p:
        yield p


def test_unanswered_synack_is_retransmitted_then_dropped(app, peer):
    before = app.stats()
    c = Conn(peer, random_ports(1)[0])
    t0 = time.monotonic()
    sa = c.handshake_synack()
    assert sa is not None, "no SYN-ACK"
    conns = app.conns()
    assert conns["syn_recv"] == 1 and conns["total"] == 1, dict(conns)
    # Retransmissions at RTO, 2 RTO, 4 RTO... (200, 600, 1400 ms) until the half-open
    # connection times out at syn_recv_timeout_ms.
    again = peer.take(peer.tcp_from(c.sport, "SA"), count=10,
                      timeout=SYN_RECV_TIMEOUT_MS / 1000 + 1.5)
    gone = app.wait_for(app.conns, lambda x: x["total"] == 0, 2)
    elapsed = time.monotonic() - t0
    assert gone["total"] == 0, dict(gone)
    assert len(again) >= 2, f"{len(again)} SYN-ACK retransmissions in {elapsed:.1f}s"
    assert len(again) <= 3, f"{len(again)} SYN-ACK retransmissions before the timeout"
    for r in again:
        assert r[TCP].seq == sa[TCP].seq and r[TCP].ack == sa[TCP].ack
    d = delta(app.stats(), before)
    assert d.get("retransmits") == len(again), d
    assert d.get("conn_timed_out") == 1, d
    assert d.get("synack_sent") == 1, d
    assert d.get("conn_opened", 0) == 0, d


def test_duplicate_syn_gets_same_synack(app, peer):
    c = Conn(peer, random_ports(1)[0])
    sa = c.handshake_synack()
    assert sa is not None
    peer.send(c.syn())  # as if our SYN-ACK had been lost
    dup = peer.take(peer.tcp_from(c.sport, "SA"), timeout=0.15)
    assert dup, "a retransmitted SYN must be answered at once"
    assert dup[0][TCP].seq == sa[TCP].seq
    assert app.conns()["syn_recv"] == 1
    # Finish it so that it does not linger.
    c.ack()
    assert app.wait_for(app.conns, lambda x: x["established"] == 1, 2)["established"] == 1
    c.peer.send(c.seg("R"))
    assert app.wait_for(app.conns, lambda x: x["total"] == 0, 2)["total"] == 0


def test_handshake_data_and_reset(app, peer):
    before = app.stats()
    c = Conn(peer, random_ports(1)[0], options=[
        ("MSS", 1000), ("SAckOK", b""), ("Timestamp", (5000, 0)), ("NOP", None), ("WScale", 2)])
    sa = c.handshake_synack()
    assert sa is not None
    opts = dict(sa[TCP].options)
    assert opts["MSS"] == 1460 and opts["WScale"] == 7 and opts["Timestamp"][1] == 5000
    c.ack()
    assert app.wait_for(app.conns, lambda x: x["established"] == 1, 2)["established"] == 1
    c.send_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data, _ = c.receive_until(lambda d: d.endswith(filler(BODY)))
    assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(filler(BODY))
    # An RST off the exact sequence number only earns a challenge ACK (RFC 5961)...
    peer.clear()
    peer.send(c.seg("R", seq=(c.snd_nxt + 100) & 0xffffffff))
    ch = peer.take(peer.tcp_from(c.sport, "A"), timeout=2)
    assert ch, "no challenge ACK"
    assert ch[0][TCP].ack == c.snd_nxt and ch[0][TCP].seq == c.rcv_nxt
    assert app.conns()["established"] == 1
    # ...the exact one resets.
    peer.send(c.seg("R"))
    assert app.wait_for(app.conns, lambda x: x["total"] == 0, 2)["total"] == 0
    d = delta(app.stats(), before)
    assert d.get("conn_reset_by_peer") == 1, d
    assert d.get("challenge_acks") == 1, d


def test_bad_ack_in_syn_received_is_reset(app, peer):
    drops = app.drops()
    c = Conn(peer, random_ports(1)[0])
    sa = c.handshake_synack()
    assert sa is not None
    wrong = (sa[TCP].seq + 1000) & 0xffffffff
    peer.send(c.seg("A", ack=wrong))
    rst = peer.take(peer.tcp_from(c.sport, "R"), timeout=2)
    assert rst and rst[0][TCP].seq == wrong
    assert delta(app.drops(), drops) == {"tcp_bad_ack": 1}
    # The half-open connection survives an ACK it can prove wrong; the right one completes it.
    c.ack()
    assert app.wait_for(app.conns, lambda x: x["established"] == 1, 2)["established"] == 1
    peer.send(c.seg("R"))
    assert app.wait_for(app.conns, lambda x: x["total"] == 0, 2)["total"] == 0


def test_ack_without_connection_is_reset(app, peer):
    drops = app.drops()
    port = random_ports(1)[0]
    peer.send(peer.ip_tcp(port, 80, flags="A", seq=1, ack=777))
    rst = peer.take(peer.tcp_from(port, "R"), timeout=2)
    assert rst and rst[0][TCP].seq == 777
    assert delta(app.drops(), drops) == {"tcp_no_connection": 1}


def test_new_syn_in_syn_received(app, peer):
    """A SYN with another initial sequence number on a half-open 4-tuple: the appliance sends
    its SYN-ACK again as a challenge (RFC 5961 4), no RST, and keeps the connection, so a peer
    that knows only the 4-tuple resets nothing.  A peer that really began anew answers with an
    RST at the SYN-ACK's ACK (RFC 9293 3.5, an old duplicate SYN), which ends the half-open
    connection (counted), and its next SYN opens a new one."""
    before = app.stats()
    c = Conn(peer, random_ports(1)[0])
    sa = c.handshake_synack()
    assert sa is not None
    peer.clear()
    other = (c.iss + 100000) & 0xffffffff
    peer.send(peer.ip_tcp(c.sport, 80, flags="S", seq=other, options=[("MSS", 1460)]))
    ch = peer.take(peer.tcp_from(c.sport), timeout=2)
    assert ch and str(ch[0][TCP].flags) == "SA", [p.summary() for p in ch]
    assert ch[0][TCP].seq == sa[TCP].seq and ch[0][TCP].ack == (c.iss + 1) & 0xffffffff
    assert app.conns()["syn_recv"] == 1
    # The peer that began anew: an RST at the ACK it got, then its SYN again.
    peer.send(peer.ip_tcp(c.sport, 80, flags="R", seq=ch[0][TCP].ack))
    assert app.wait_for(app.conns, lambda x: x["total"] == 0, 2)["total"] == 0
    c.iss = other
    sa2 = c.handshake_synack()
    assert sa2 is not None and sa2[TCP].ack == (other + 1) & 0xffffffff
    c.ack()
    assert app.wait_for(app.conns, lambda x: x["established"] == 1, 2)["established"] == 1
    c.peer.send(c.seg("R"))
    assert app.wait_for(app.conns, lambda x: x["total"] == 0, 2)["total"] == 0
    d = delta(app.stats(), before)
    assert d.get("challenge_acks") == 1 and d.get("rst_sent", 0) == 0, d
    assert d.get("conn_reset_by_peer") == 2, d


def test_final_counters(app):
    final = app.finish()
    assert final["syncookies_sent"] == 0
    assert final["retransmits"] >= 2
    assert final["conn_timed_out"] == 1
    assert final["conn_reset_by_peer"] == 5

