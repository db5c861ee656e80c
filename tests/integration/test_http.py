"""ICMP, ARP and the http application as seen by ordinary clients: ping, curl, raw sockets, wrk."""

import re
import socket
import subprocess
import time

import pytest

from conftest import (APPLIANCE_IP, FlowCapture, HttpReader, appliance_fixture, connect,
                      connect_from, delta, filler, free_port, http_get, kernel_drops, note,
                      recv_until_eof, tcp_flags, tcp_payload_len)

BODY = 300
app = appliance_fixture("http", body_size=BODY)
URL = f"http://{APPLIANCE_IP}/"


def test_ping(app):
    before = app.stats()
    r = subprocess.run(["ping", "-c", "3", "-i", "0.2", "-W", "2", APPLIANCE_IP],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr
    assert " 0% packet loss" in r.stdout, r.stdout
    d = delta(app.stats(), before)
    assert d.get("icmp_echo_replies", 0) >= 3, d
    # The kernel resolved 198.18.0.2 with ARP (its cache was empty: tt0 is new).
    neigh = subprocess.run(["ip", "neigh", "show", APPLIANCE_IP], capture_output=True,
                           text=True, timeout=10).stdout
    assert app.mac in neigh.lower(), neigh
    assert app.stats()["arp_replies"] >= 1


def test_ping_large_payload(app):
    r = subprocess.run(["ping", "-c", "2", "-i", "0.2", "-W", "2", "-s", "1400", APPLIANCE_IP],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stdout + r.stderr


def test_curl_keepalive_reuses_connection(app, tmp_path):
    before = app.stats()
    out1, out2 = tmp_path / "1", tmp_path / "2"
    r = subprocess.run(["curl", "-sv", "--max-time", "10", "-o", str(out1), "-o", str(out2),
                        URL, URL + "second"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r.stderr
    assert "Re-using existing connection" in r.stderr, r.stderr
    assert r.stderr.count("< HTTP/1.1 200 OK") == 2, r.stderr
    assert out1.read_bytes() == filler(BODY)
    assert out2.read_bytes() == filler(BODY)
    d = delta(app.stats(), before)
    assert d.get("http_requests") == 2, d
    assert d.get("conn_opened") == 1, d


def test_curl_body_bytes(app):
    r = subprocess.run(["curl", "-s", "--max-time", "10", URL], capture_output=True,
                       timeout=20)
    assert r.returncode == 0
    assert r.stdout == filler(BODY)


def test_keepalive_two_requests_one_connection(app):
    with connect(80) as s:
        rd = HttpReader(s)
        for _ in range(2):
            s.sendall(http_get())
            status, headers, body = rd.response()
            assert status == "HTTP/1.1 200 OK"
            assert headers["content-length"] == str(BODY)
            assert headers["connection"].lower() == "keep-alive"
            assert headers["content-type"] == "text/plain"
            assert body == filler(BODY)


def test_connection_close_request(app):
    with connect(80) as s:
        s.sendall(http_get(extra=b"Connection: close\r\n"))
        rd = HttpReader(s)
        status, headers, body = rd.response()
        assert status == "HTTP/1.1 200 OK"
        assert headers["connection"].lower() == "close"
        assert body == filler(BODY)
        assert rd.at_eof(), "server did not close after Connection: close"


def test_http10_closes(app):
    with connect(80) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = recv_until_eof(s, deadline_s=10)
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.")
    assert b" 200 " in head.split(b"\r\n")[0]
    assert body == filler(BODY)


@pytest.mark.parametrize("request_bytes", [http_get(extra=b"Connection: close\r\n"),
                                           b"GET / HTTP/1.0\r\n\r\n"],
                         ids=["connection_close", "http10"])
def test_response_carries_fin(app, request_bytes):
    """The response to a closing request ends with our FIN in its last segment: from us only
    the SYN-ACK, the response with FIN, and the ACK of the kernel's FIN."""
    sport = free_port()
    with FlowCapture(sport) as cap:
        with connect_from(80, sport) as s:
            s.sendall(request_bytes)
            data = recv_until_eof(s, deadline_s=10)
    assert data.endswith(b"\r\n\r\n" + filler(BODY))
    seen = [(sorted(tcp_flags(p)), tcp_payload_len(p)) for p in cap.segments]
    with_data = [p for p in cap.segments if tcp_payload_len(p) > 0]
    assert len(with_data) == 1, seen
    assert {"F", "P", "A"} <= tcp_flags(with_data[0]), seen
    assert not [p for p in cap.segments if "F" in tcp_flags(p) and tcp_payload_len(p) == 0], seen
    assert "S" in tcp_flags(cap.segments[0]), seen
    assert len(cap.segments) == 3, seen
    assert tcp_flags(cap.segments[2]) == {"A"}, seen


def test_keepalive_responses_carry_the_acks(app):
    """Twenty requests on one connection: each response carries the ACK of its request (no ACK
    of our own in between), and the kernel's FIN is answered by our FIN+ACK."""
    sport = free_port()
    with FlowCapture(sport) as cap:
        with connect_from(80, sport) as s:
            rd = HttpReader(s)
            for _ in range(20):
                s.sendall(http_get())
                status, _, body = rd.response()
                assert status == "HTTP/1.1 200 OK" and body == filler(BODY)
    seen = [(sorted(tcp_flags(p)), tcp_payload_len(p)) for p in cap.segments]
    assert len(cap.segments) == 22, seen
    assert "S" in tcp_flags(cap.segments[0]), seen
    assert all(tcp_payload_len(p) > 0 for p in cap.segments[1:21]), seen
    assert {"F", "A"} <= tcp_flags(cap.segments[21]), seen


def test_http10_keepalive_keeps_open(app):
    with connect(80) as s:
        rd = HttpReader(s)
        for _ in range(2):
            s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            status, headers, body = rd.response()
            assert " 200 " in status
            assert body == filler(BODY)


def test_head_has_no_body(app):
    with connect(80) as s:
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        rd = HttpReader(s)
        status, headers, _ = rd.response(head_only=True)
        assert status == "HTTP/1.1 200 OK"
        assert headers["content-length"] == str(BODY)
        # A follow-up GET on the same connection must come right after the HEAD's headers:
        # any body bytes sent for the HEAD would show up in front of it.
        s.sendall(http_get())
        status, _, body = rd.response()
        assert status == "HTTP/1.1 200 OK", f"bytes after HEAD response: {status!r}"
        assert body == filler(BODY)


def test_malformed_request_gets_400_and_close(app):
    before = app.stats()
    with connect(80) as s:
        s.sendall(b"GET / HTTP/1.x\r\n\r\n")
        data = recv_until_eof(s, deadline_s=10)
    assert data.startswith(b"HTTP/1.1 400 "), data[:200]
    assert b"\r\n\r\n" in data
    d = delta(app.stats(), before)
    assert d.get("http_bad_requests") == 1, d


@pytest.mark.parametrize("head", [
    b"GET / HTTP/9.9\r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",  # h2c's connection preface (RFC 9113 3.4)
    b"GET / HTTP/0.9\r\n\r\n",
], ids=["9.9", "h2c_preface", "0.9"])
def test_other_http_version_gets_505_and_close(app, head):
    """RFC 9110 15.6.6: a request of another major version is answered 505 (HTTP Version Not
    Supported) and the connection closes."""
    before = app.stats()
    with connect(80) as s:
        s.sendall(head)
        data = recv_until_eof(s, deadline_s=10)
    assert data.startswith(b"HTTP/1.1 505 HTTP Version Not Supported\r\n"), data[:200]
    assert data.endswith(b"Content-Length: 0\r\nConnection: close\r\n\r\n"), data[:200]
    d = delta(app.stats(), before)
    assert d.get("http_version_refused") == 1 and "http_bad_requests" not in d, d


@pytest.mark.parametrize("head,status,counter", [
    (b"CONNECT t:443 HTTP/1.1\r\nHost: t:443\r\n\r\n", b"501 Not Implemented",
     "http_not_implemented"),
    (b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
     b"501 Not Implemented", "http_not_implemented"),
    (b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
     b"Transfer-Encoding: gzip, chunked\r\n\r\n", b"501 Not Implemented",
     "http_not_implemented"),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", b"414 URI Too Long",
     "http_target_too_long"),
], ids=["connect", "gzip_chunked", "gzip_chunked_beside_length", "long_target"])
def test_refusals_get_their_status_and_close(app, head, status, counter):
    """CONNECT (RFC 9110 9.3.6: a 2xx would make the connection a tunnel) and a transfer coding
    before chunked (RFC 9112 6.1) are answered 501, with a Content-Length beside them or not;
    a request-target past the head's limit 414 (RFC 9112 3); each closes the connection."""
    before = app.stats()
    with connect(80) as s:
        s.sendall(head)
        data = recv_until_eof(s, deadline_s=10)
    assert data.startswith(b"HTTP/1.1 " + status + b"\r\n"), data[:200]
    assert data.endswith(b"Content-Length: 0\r\nConnection: close\r\n\r\n"), data[:200]
    d = delta(app.stats(), before)
    assert d.get(counter) == 1 and "http_bad_requests" not in d, d


@pytest.mark.parametrize("head", [
    b"GET / HTTP/1.1\r\n\r\n",                         # no Host
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",     # two
    b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",             # not uri-host [":" port]
], ids=["missing", "twice", "invalid"])
def test_host_rules_get_400(app, head):
    """RFC 9112 3.2: an HTTP/1.1 request without Host, any request with two, or with an
    invalid value, is answered 400."""
    before = app.stats()
    with connect(80) as s:
        s.sendall(head)
        data = recv_until_eof(s, deadline_s=10)
    assert data.startswith(b"HTTP/1.1 400 "), data[:200]
    d = delta(app.stats(), before)
    assert d.get("http_bad_requests") == 1 and "http_requests" not in d, d


def test_expect_100_continue(app):
    """A head with Expect: 100-continue gets the interim 100 before its body is sent, then
    the response once the body has come (RFC 9110 10.1.1)."""
    before = app.stats()
    with connect(80) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  b"Content-Length: 5\r\n\r\n")
        interim = b""
        while not interim.endswith(b"\r\n\r\n") and len(interim) < 100:
            chunk = s.recv(100 - len(interim))
            assert chunk, f"closed after {interim!r}"
            interim += chunk
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n", interim
        s.sendall(b"hello")
        status, _, body = HttpReader(s).response()
    assert status == "HTTP/1.1 200 OK"
    assert body == filler(BODY)
    d = delta(app.stats(), before)
    assert d.get("http_continues") == 1 and d.get("http_requests") == 1, d


def test_curl_post_expect_continue(app, tmp_path):
    """curl waits for the 100 before it sends a body it announced with Expect (up to
    --expect100-timeout): it gets it, sends the body, and reads the response."""
    payload = tmp_path / "body"
    payload.write_bytes(b"x" * 4096)
    r = subprocess.run(["curl", "-sv", "--max-time", "20", "--expect100-timeout", "15",
                        "-H", "Expect: 100-continue", "--data-binary", f"@{payload}", URL],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    assert "< HTTP/1.1 100 Continue" in err, err
    assert "< HTTP/1.1 200 OK" in err, err
    assert r.stdout == filler(BODY)


def test_garbage_request_gets_400(app):
    with connect(80) as s:
        s.sendall(b"\x00\x01\x02 this is not http\r\n\r\n")
        data = recv_until_eof(s, deadline_s=10)
    assert data.startswith(b"HTTP/1.1 400 "), data[:200]


def test_request_split_over_many_sends(app):
    req = http_get(extra=b"User-Agent: split-test\r\nAccept: */*\r\n")
    with connect(80) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Cut inside the method, inside CRLF pairs, inside a header name, before the final LF.
        cuts = [1, 3, 15, 16, 17, 30, len(req) - 3, len(req) - 1]
        prev = 0
        for c in cuts + [len(req)]:
            s.sendall(req[prev:c])
            prev = c
            time.sleep(0.05)
        status, _, body = HttpReader(s).response()
    assert status == "HTTP/1.1 200 OK"
    assert body == filler(BODY)


def test_pipelined_requests(app):
    before = app.stats()
    with connect(80) as s:
        s.sendall(http_get("/a") + http_get("/b") + http_get("/c", extra=b"Connection: close\r\n"))
        rd = HttpReader(s)
        conn_headers = []
        for _ in range(3):
            status, headers, body = rd.response()
            assert status == "HTTP/1.1 200 OK"
            assert body == filler(BODY)
            conn_headers.append(headers["connection"].lower())
        assert conn_headers == ["keep-alive", "keep-alive", "close"]
        assert rd.at_eof()
    d = delta(app.stats(), before)
    assert d.get("http_requests") == 3, d


def test_post_body_is_skipped(app):
    with connect(80) as s:
        rd = HttpReader(s)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
                  + http_get())
        for _ in range(2):
            status, _, body = rd.response()
            assert status == "HTTP/1.1 200 OK"
            assert body == filler(BODY)


def test_no_listener_port_is_refused(app):
    before = app.drops()
    with socket.socket() as s:
        s.settimeout(5)
        rc = s.connect_ex((APPLIANCE_IP, 81))
    assert rc == 111, f"connect to a port without listener: errno {rc}, expected ECONNREFUSED"
    d = delta(app.drops(), before)
    assert d == {"tcp_no_listener": 1}, d


def parse_wrk(out):
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    assert m, out
    reqs = int(m.group(1))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests": reqs,
        "rps": float(rps.group(1)) if rps else 0.0,
        "socket_errors": tuple(int(x) for x in errs.groups()) if errs else (0, 0, 0, 0),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def run_wrk(extra):
    cmd = ["wrk", "-t1", "-c20", "-d3s", "--timeout", "2s", *extra, URL]
    k0 = kernel_drops()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    k1 = kernel_drops()
    assert r.returncode == 0, r.stdout + r.stderr
    lost = {k: k1[k] - k0[k] for k in k0 if k1[k] != k0[k]}
    # Frames the host kernel dropped on the TAP path explain timeouts and resets on its side.
    out = r.stdout + (f"kernel drops during the run: {lost}\n" if lost else "")
    return parse_wrk(r.stdout), out


def test_wrk_keepalive(app):
    before = app.stats()
    res, out = run_wrk([])
    note(f"wrk keep-alive (-t1 -c20 -d3s): {res['requests']} requests, {res['rps']:.0f} req/s, "
         f"socket errors {res['socket_errors']}, non-2xx {res['non2xx']}")
    print(out)
    assert res["requests"] > 1000, out
    assert res["socket_errors"] == (0, 0, 0, 0), out
    assert res["non2xx"] == 0, out
    d = delta(app.stats(), before)
    assert d.get("http_requests", 0) >= res["requests"], d
    assert d.get("conn_opened", 0) <= 40, d  # 20 connections, reused
    assert d.get("conn_reset_by_us", 0) == 0, d


def test_wrk_connection_close(app):
    before = app.stats()
    res, out = run_wrk(["-H", "Connection: close"])
    # The appliance closed each connection first, so it holds them in TIME-WAIT for
    # time_wait_ms; read the gauge before it drains.
    in_tw = app.conns()["time_wait"]
    note(f"wrk Connection: close (-t1 -c20 -d3s): {res['requests']} requests, "
         f"{res['rps']:.0f} req/s, socket errors {res['socket_errors']}, non-2xx "
         f"{res['non2xx']}; appliance TIME-WAIT right after: {in_tw}")
    print(out)
    assert res["requests"] > 200, out
    assert res["socket_errors"] == (0, 0, 0, 0), out
    assert res["non2xx"] == 0, out
    assert in_tw > 0
    d = delta(app.stats(), before)
    # One connection per request (wrk may abandon a few in-flight ones at the end).
    assert d.get("conn_opened", 0) >= res["requests"], d
    assert d.get("conn_reset_by_us", 0) == 0, d
    c = app.wait_idle(timeout=app.time_wait_ms / 1000 + 5)
    assert c["total"] == 0, dict(c)
    d = delta(app.stats(), before)
    assert d.get("timer_expiries", 0) >= in_tw, d


def test_final_counters(app):
    final = app.finish()
    assert final["icmp_echo_replies"] >= 5
    assert final["conn_reset_by_us"] == 0
    # The malformed and garbage requests, and the three Host cases.
    assert final["http_bad_requests"] == 5
    assert final["http_version_refused"] == 3
    assert final["http_continues"] == 2
    # Connections end gracefully, or by wrk's resets when it stops mid-request.
    assert final["conn_timed_out"] == 0, final
    assert final["conn_opened"] >= final["conn_closed"] > 0, final


# Last in the module: starting this appliance stops the module's.
crlf_app = appliance_fixture("http_crlf", header_timeout_ms=1000)


def test_crlf_after_post_body_starts_no_header_timeout(crlf_app):
    """RFC 9112 2.2: the CRLF an old client sends after a POST's body is skipped and starts no
    header timeout: the next request, 1.5 s later (header_timeout_ms 1000), is answered on the
    same connection.  The CRLF used to start the clock, and the connection was reset."""
    before = crlf_app.stats()
    with connect(80) as s:
        rd = HttpReader(s)
        s.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc\r\n")
        first = rd.response()
        time.sleep(1.5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        second = rd.response()
    assert first[0].startswith("HTTP/1.1 200 "), first[0]
    assert second[0].startswith("HTTP/1.1 200 "), second[0]
    d = delta(crlf_app.stats(), before)
    assert "conn_app_timed_out" not in d, d
