"""Path MTU discovery against the Linux kernel as the router on the path (RFC 1191, RFC 8201).

A client in a namespace of its own sits one hop behind the kernel, on a veth pair whose router
side is narrower than the client's own interface: the client announces the full MSS (1460), the
appliance sends full-size frames, and the kernel, which cannot forward them, answers with an
ICMP "fragmentation needed" (IPv4, MTU 1000) or an ICMPv6 Packet Too Big (IPv6, MTU 1280), as a
router does.  The appliance must lower the connection's segment size to the path and deliver the
whole response through it, then keep that MTU for the client's address: the client's next
connection gets its response in segments that fit the path from the first, and no error of its
own.  The frames are read on tt0, where the kernel receives them before forwarding."""

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.utils6 import in6_ptop

from conftest import IFACE, appliance_fixture, delta, enable_ipv6, filler, routed_client, run
from l2peer import Sniffer

BODY = 60000  # several windows of full-size segments
KERNEL6 = "2001:2::1"  # the appliance's gateway6 in conf/tcpterm.conf
APP4, APP6 = "198.18.0.2", "2001:2::2"
ROUTER4, CLIENT4, PATH_MTU4 = "198.19.0.1", "198.19.0.2", 1000
ROUTER6, CLIENT6, PATH_MTU6 = "2001:2:0:1::1", "2001:2:0:1::2", 1280
FULL_FRAME = 1500  # the IP length of a full segment to a client that announced 1460

app = appliance_fixture("pmtu", body_size=BODY)


@pytest.fixture(scope="module")
def client4(app):
    with routed_client("pmtu", ROUTER4, CLIENT4, 24, router_mtu=PATH_MTU4) as ns:
        yield ns


@pytest.fixture(scope="module")
def client6(app):
    enable_ipv6(IFACE)
    run(["ip", "-6", "addr", "add", f"{KERNEL6}/64", "dev", IFACE, "nodad"])
    with routed_client("pmtu6", ROUTER6, CLIENT6, 64, router_mtu=PATH_MTU6) as ns:
        yield ns


def fetch(ns, url, family):
    """The client's GET of url on a new connection: the body, after a 200."""
    out = run(["ip", "netns", "exec", ns, "curl", family, "-s", "-m", "20", "-o", "-", "-w",
               "\n%{http_code}", url], check=False, timeout=30)
    body, _, code = out.stdout.rpartition("\n")
    assert code == "200", (code, out.stderr)
    return body.encode()


def ip_lengths(frames, client):
    """The IP lengths (header included) of the appliance's data segments to client, in order."""
    out = []
    for p in frames:
        if TCP not in p or not p[TCP].payload:
            continue
        if IP in p and p[IP].dst == client:
            out.append(p[IP].len)
        elif IPv6 in p and in6_ptop(p[IPv6].dst) == in6_ptop(client):
            out.append(40 + p[IPv6].plen)
    return out


def fetch_seen(app, ns, url, family, client):
    """fetch, with the IP lengths of the response's segments as tt0 saw them and the counters'
    changes meanwhile."""
    before = app.stats()
    with Sniffer(app) as sn:
        assert fetch(ns, url, family) == filler(BODY)
        # The socket may lag the last frames a little; the response's end is what counts.
        sn.wait(lambda p: TCP in p and "F" in str(p[TCP].flags), timeout=2)
        lengths = ip_lengths(list(sn.frames), client)
    return lengths, delta(app.stats(), before)


@pytest.mark.parametrize("family", ["-4", "-6"])
def test_path_mtu_learned_and_kept(app, client4, client6, family):
    """First connection: full-size frames go out, the kernel refuses them with its error, the
    connection is lowered once (path_mtu_lowered) and the whole body arrives in segments of at
    most the path's MTU, some exactly that.  Second connection: every segment fits the path from
    the first and the size is the kept one (path_mtu_from_cache), with no new lowering."""
    if family == "-4":
        ns, client, mtu, url = client4, CLIENT4, PATH_MTU4, f"http://{APP4}/"
    else:
        ns, client, mtu, url = client6, CLIENT6, PATH_MTU6, f"http://[{APP6}]/"

    lengths, d = fetch_seen(app, ns, url, family, client)
    assert FULL_FRAME in lengths, lengths
    last_full = len(lengths) - 1 - lengths[::-1].index(FULL_FRAME)
    after = lengths[last_full + 1:]
    assert after and max(after) == mtu, lengths
    assert d.get("path_mtu_lowered") == 1 and "path_mtu_from_cache" not in d, d

    lengths, d = fetch_seen(app, ns, url, family, client)
    assert lengths and max(lengths) == mtu, lengths
    assert d.get("path_mtu_from_cache") == 1 and "path_mtu_lowered" not in d, d


def test_pmtu_final_counters(app, client4, client6):
    final = app.finish()
    assert final["path_mtu_lowered"] == 2 and final["path_mtu_from_cache"] == 2, final
    assert final["tx_refused_oversize"] == 0 and final["conn_retries_exhausted"] == 0, final
