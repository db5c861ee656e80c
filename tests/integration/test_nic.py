"""NIC counters: the ethdev statistics of the port, read through /tcpterm/nic, in the periodic
line and in the final counters, checked against what the kernel on the other side of tt0 sent
and received in a controlled exchange (the kernel's tx is the appliance's rx, frame for frame:
IPv6 is off in the test namespace, so only our ARP, ICMP and TCP cross)."""
import json
import re
import socket
import subprocess
import time
from pathlib import Path

from conftest import (APPLIANCE_IP, IFACE, RUNTIME_DIR, HttpReader, appliance_fixture, connect,
                      filler, http_get)

BODY = 100
app = appliance_fixture("nic", body_size=BODY, stats_interval_ms=200)


def kernel_link():
    base = Path("/sys/class/net") / IFACE / "statistics"
    return {k: int((base / k).read_text()) for k in ("tx_packets", "rx_packets", "tx_dropped",
                                                       "rx_dropped")}


def settled(app):
    """(kernel tt0 counters, /tcpterm/nic, /tcpterm/stats) once neither side's count moves."""
    prev = None
    for _ in range(50):
        cur = (kernel_link(), app.telemetry("/tcpterm/nic"), app.stats())
        key = (cur[0]["tx_packets"], cur[0]["rx_packets"], cur[1]["ipackets"], cur[1]["opackets"])
        if key == prev:
            return cur
        prev = key
        time.sleep(0.2)
    raise AssertionError(f"counters never settled: {prev}")


def exchange(n_conns=10, n_pings=20):
    """Some ICMP and HTTP: each connection a request, a response, a close from our side."""
    subprocess.run(["ping", "-c", str(n_pings), "-i", "0.02", "-W", "2", "-q", APPLIANCE_IP],
                   check=True, capture_output=True, timeout=30)
    for _ in range(n_conns):
        with connect(80) as s:
            s.sendall(http_get())
            status, _, body = HttpReader(s).response()
            assert status.startswith("HTTP/1.1 200") and body == filler(BODY)


def test_rx_tx_match_the_kernel_side(app):
    k0, n0, s0 = settled(app)
    exchange()
    app.wait_idle()
    k1, n1, s1 = settled(app)
    sent = k1["tx_packets"] - k0["tx_packets"]
    got = k1["rx_packets"] - k0["rx_packets"]
    rx, tx = n1["ipackets"] - n0["ipackets"], n1["opackets"] - n0["opackets"]
    # 20 echo requests, and at least SYN, ACK, request, FIN/ACK per connection.
    assert sent >= 20 + 10 * 4, (k0, k1)
    assert rx == sent, f"NIC received {rx}, the kernel sent {sent}"
    assert tx == got, f"NIC sent {tx}, the kernel received {got}"
    assert s1["rx_packets"] - s0["rx_packets"] == rx, (s0, s1, n0, n1)
    assert s1["tx_packets"] - s0["tx_packets"] == tx, (s0, s1, n0, n1)
    assert n1["rx_q0_packets"] - n0["rx_q0_packets"] == rx, (n0, n1)
    assert n1["tx_q0_packets"] - n0["tx_q0_packets"] == tx, (n0, n1)
    assert n1["ibytes"] > n0["ibytes"] and n1["obytes"] > n0["obytes"], (n0, n1)
    for k in ("imissed", "rx_nombuf", "ierrors", "oerrors", "drops_total"):
        assert n1[k] == n0[k] == 0, (k, n0, n1)
    assert n1["ports"] == 1


def query(app, cmd, keys=None):
    """The reply to a command with a parameter (the reply is keyed by the command alone); keys,
    a list, gets every key of every object in the reply, repeats included."""
    def pairs(ps):
        if keys is not None:
            keys.extend(k for k, _ in ps)
        return dict(ps)

    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(5)
        s.connect(str(RUNTIME_DIR / app.prefix / "dpdk_telemetry.v2"))
        s.recv(65536)
        s.send(cmd.encode())
        return json.loads(s.recv(1 << 20), object_pairs_hook=pairs)[cmd.split(",", 1)[0]]


def test_per_port_xstats(app):
    exchange(n_conns=2, n_pings=3)
    app.wait_idle()
    _, total, _ = settled(app)
    keys = []
    port = query(app, "/tcpterm/nic,tap0", keys)
    # Each name once: ethdev's per-queue packet counts are the basic stats' own.
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    assert "xstats_left_out" not in port, port
    # The port's own basic stats, then ethdev's xstats under their own names.
    assert port["ipackets"] >= total["ipackets"] > 0, (port, total)
    assert port["rx_good_packets"] == port["ipackets"], port
    assert port["tx_good_packets"] == port["opackets"], port
    assert port["rx_missed_errors"] == port["imissed"], port
    assert port["rx_mbuf_allocation_errors"] == port["rx_nombuf"], port
    assert port["rx_q0_packets"] == port["ipackets"], port


def test_unknown_port_is_null(app):
    assert query(app, "/tcpterm/nic,nosuchport") is None


LINE = re.compile(r"\| drops (\d+) \| nic drops (\d+) \(imissed (\d+) nombuf (\d+) ierrors (\d+) "
                  r"oerrors (\d+)\) rxq (\d+)/s \| busy ")


def test_periodic_line_shows_nic(app):
    before = app.output().count("\n")
    exchange(n_conns=20, n_pings=40)
    time.sleep(0.5)
    lines = [ln for ln in app.output().splitlines()[before:] if ln.startswith("rx ")]
    parsed = [LINE.search(ln) for ln in lines]
    assert lines and all(parsed), lines
    # The per-queue rate moved while the exchange ran; nothing was lost at the NIC.
    assert max(int(m.group(7)) for m in parsed) > 0, lines
    assert all(m.group(2) == "0" for m in parsed), lines


def test_final_counters_include_nic(app):
    final = app.finish()
    assert final["nic_ipackets"] == final["rx_packets"] > 0, final
    assert final["nic_opackets"] == final["tx_packets"] > 0, final
    assert final["nic_rx_q0_packets"] == final["nic_ipackets"], final
    for k in ("nic_imissed", "nic_rx_nombuf", "nic_ierrors", "nic_oerrors", "nic_drops_total"):
        assert final[k] == 0, final


# Two workers: each queue counts its own flows, and together they count every frame.
app2 = appliance_fixture("nic_two_queues", body_size=BODY, workers=[1, 2],
                         eal=["--no-pci", "--lcores=0@0,1@0,2@1"])


def test_two_queues_each_counted(app2):
    k0, n0, _ = settled(app2)
    exchange(n_conns=40, n_pings=1)
    app2.wait_idle()
    k1, n1, _ = settled(app2)
    q = [n1[f"rx_q{i}_packets"] - n0[f"rx_q{i}_packets"] for i in (0, 1)]
    assert sum(q) == n1["ipackets"] - n0["ipackets"] == k1["tx_packets"] - k0["tx_packets"], \
        (q, n0, n1, k0, k1)
    assert min(q) > 0, f"40 flows all on one queue: {q}"
    final = app2.finish()
    # Both workers answered the client through their neighbour caches, though the kernel puts
    # its ARP answers on one queue only: the other worker learns from the first's news
    # (lib/worker/tt_news.h), so no SYN-ACK waits out a retransmission for its MAC.
    assert final.get("retransmits", 0) == 0 and final.get("neigh_drop_unresolved", 0) == 0, final
    assert final["worker_news_posted"] > 0, final


def test_rings_named(app):
    """The start banner names each port's rings.  Neither virtual driver here reports them:
    what was set up is named as such (a driver with declared bounds, as a NIC's, would have
    the settings it cut named beside them)."""
    assert ("port tap0 rings: rx 1024, tx 1024 descriptors as set up (the driver does not "
            "report them)\n") in app.output()
