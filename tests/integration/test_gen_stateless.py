"""The load generator's stateless cps client (tcpterm-gen --stateless, bench/gen/gen_stateless.h)
against the real appliance over the benchmark's link (virtio-user <-> vhost-user, no kernel),
with every checksum computed and verified in software on both sides, for both close modes.

At a rate far below capacity the link refuses frames only while the appliance is descheduled
long enough to fill its RX ring (the two processes share both cores): a refused SYN is freed and
opened nothing, a refused reply is held and sent again.  Every SYN the link took and the
appliance did not shed must come back as a SYN-ACK, a request, one whole response and a FIN,
and the client must count it completed, its response verified, exactly once;
the appliance must have received every SYN, served and closed exactly as many connections,
dropped nothing else (no bad checksum, no unexpected segment) and hold none once its TIME-WAIT
has passed.

With the appliance's RX ring cut to 64 frames the client's TX queue refuses millions of frames
a run, and still no connection may be lost: the replies it refused are held and sent again.

Keep-alive (--scenario rps): a few connections ask again after every response (pipelined: after
every batch of eight, sent in one segment) for the whole load, then close; every request must be
answered by the appliance with the verified response, and every connection completed once."""

import json
import time

import pytest

from conftest import assert_paced, parse_final_counters, run_gen, vhost_appliance

RATE = 20000
DURATION_S = 2
SMALL_RX_RING = 64
CONNS_SMALL = 100


def run_client(tmp_path, client_args, rx_desc=1024, scenario="cps", syn_shed_full_polls=4):
    """The stateless client of scenario with client_args against an appliance whose RX ring
    (the client's TX queue) holds rx_desc frames: the client's process, its summary, the
    appliance's final counters."""
    with vhost_appliance(tmp_path, "gensl", syncookies="auto", rx_desc=rx_desc,
                         syn_shed_full_polls=syn_shed_full_polls) as (sock, app_log):
        gen = run_gen("gensl", sock, "--scenario", scenario, "--stateless", "--duration",
                      str(DURATION_S), "--drain", "3", *client_args)
        # 3: connections left unfinished (the callers check which).
        assert gen.returncode in (0, 3), gen.stderr[-2000:]
        time.sleep(2)  # the appliance's TIME-WAIT (server close) expires
    final = parse_final_counters(app_log.read_text())
    assert final is not None
    return gen, json.loads([x for x in gen.stdout.splitlines() if x.startswith("{")][-1]), final


@pytest.mark.parametrize("close", ["client", "server"])
def test_stateless_client(tmp_path, close):
    gen, g, final = run_client(tmp_path, ["--rate", str(RATE), "--close", close])
    c = g["counters"]
    sent = c["syns_accepted"]
    assert_paced(c["syns_sent"], RATE, DURATION_S, c)
    # A stall of the appliance that fills its RX ring (1,024 frames, 51 ms of this rate) makes
    # the link refuse SYNs and, once it runs again, the appliance shed some of those its ring
    # holds; every frame is accounted for exactly, whatever the stall.  How long the host stalls
    # the appliance is the machine's, not the code's: the bounds (a fifth each) only keep the
    # run meaningful, most of its connections served.  In CI the link refused 859 SYNs (2%) in
    # a normal build, 2,813 (7%) in the sanitizer build.
    # A refused reply is held (1,024 at most, bench/gen/gen_sl_tx.h): one such stall once
    # refused 4,472 replies in CI and dropped 388 of them when the hold took 128.
    refused_syns = c["syns_sent"] - sent
    assert refused_syns <= c["syns_sent"] // 5, c
    assert c["tx_refused"] == refused_syns + c["replies_held"] + c["replies_dropped"], c
    assert c["replies_dropped"] == 0 and c["replies_resent"] == c["replies_held"], c
    # The SYNs shed, and only those, go unanswered.
    shed = final["drop_tcp_syn_shed"]
    assert shed <= sent // 5, dict(final)
    answered = sent - shed
    seen = {k: c[k] for k in ("synacks", "responses", "fins", "partial", "unexpected", "rsts")}
    assert seen == {"synacks": answered, "responses": answered, "fins": answered, "partial": 0,
                    "unexpected": 0, "rsts": 0}, (c, dict(final))
    # Each connection counted once: completed with its response verified, or (shed) unfinished.
    assert c["completed"] == answered and c["stray"] == 0, c
    assert g["conns_completed"] == answered and g["failed_total"] == 0, g
    assert g["conns_unfinished"] == shed and gen.returncode == (3 if shed else 0), g
    assert g["body_bytes_verified"] == 64 * answered, g
    assert g["response_len"] > 64
    assert g["window"]["busy_fraction"] < 0.5, g["window"]
    assert final["syn_received"] == sent, dict(final)
    assert final["conn_opened"] == answered and final["conn_closed"] == answered, dict(final)
    assert final["http_requests"] == answered, dict(final)
    assert final["drops_total"] == shed and final["conns_total"] == 0, dict(final)


@pytest.mark.parametrize("close", ["client", "server"])
def test_refused_replies_held(tmp_path, close):
    """The client's TX queue refuses frames (the appliance's RX ring holds SMALL_RX_RING, fewer
    than the closed loop offers): the refused SYNs are freed (they opened nothing), the refused
    replies held and sent first in a later burst, and no connection is lost.  CONNS_SMALL stays
    under the hold's bound (bench/gen/gen_sl_tx.h: 1,024), with one reply waiting each at most,
    so none is dropped.  Freeing refused replies instead failed about 1,300 connections a run.
    The appliance does not shed SYNs here, as in the bench's closed-loop runs: a ring this small
    is full on each of the loop's waves, and with shedding on (4 full polls) a slow appliance
    (the sanitizer build) shed the same SYN on each repeat until its port came round again, a
    timeout (24-96 connections a run, server close).  A SYN is not held (it opened nothing, and
    at --rate 0 it is repeated after 20 ms): one whose repeats the full ring refuses until its
    port comes round again (every 64,512 connections, about 0.16 s here) times out unanswered,
    which the sanitizer build showed for 8-12 connections of 400 k; a connection whose SYN was
    answered must complete.  The client counts a connection timed out when its port comes round
    again; a SYN-ACK of it that arrives later is stray to the client but answered as ever, so the
    appliance may still serve and close it (once in a sanitizer run, server close: 305,127
    closed against 305,126 completed): it closes at least what the client completed, at most
    that and the timed out."""
    gen, g, final = run_client(tmp_path, ["--rate", "0", "--conns", str(CONNS_SMALL),
                                          "--close", close], rx_desc=SMALL_RX_RING,
                               syn_shed_full_polls=0)
    c = g["counters"]
    assert c["tx_refused"] > 0 and c["replies_held"] > 0, c
    assert c["replies_dropped"] == 0 and c["replies_resent"] == c["replies_held"], c
    assert c["reset"] == 0 and c["bad_data"] == 0 and g["conns_unfinished"] == 0, c
    # Each connection counted once: completed, or timed out with its SYN never answered.
    assert c["completed"] + c["timed_out"] == c["syns_accepted"] > CONNS_SMALL * 10, c
    assert c["synacks"] - c["stray"] <= c["completed"] <= c["synacks"], c
    assert c["timed_out"] <= c["syns_accepted"] // 1000, c
    assert gen.returncode == (3 if c["timed_out"] else 0)
    assert g["tx_failed"] == c["tx_refused"] - c["replies_held"], g
    closed = final["conn_closed"]
    assert c["completed"] <= closed <= c["completed"] + c["timed_out"], (c, dict(final))
    assert final["conns_total"] == 0, dict(final)


KEEP_ALIVE_CONNS = 64


@pytest.mark.parametrize("pipeline", [1, 8])
def test_stateless_keep_alive(tmp_path, pipeline):
    gen, g, final = run_client(tmp_path, ["--conns", str(KEEP_ALIVE_CONNS), "--rate", "0",
                                          "--pipeline", str(pipeline)], scenario="rps")
    c = g["counters"]
    n = KEEP_ALIVE_CONNS
    assert g["scenario"] == "rps" and gen.returncode == 0, g
    # Each connection asked many times: its first batch with the handshake's ACK, one more
    # after every batch's last response but the last batch's, which got the FIN.
    assert c["responses"] >= 100 * n, c
    assert c["requests"] == c["responses"] and g["requests_sent"] == c["requests"], c
    # The requests went a batch to a frame: beside them only each connection's SYN, FIN and
    # last ACK (and an ARP reply or two).
    assert c["tx_frames"] <= c["requests"] // pipeline + 3 * n + 4, c
    seen = {k: c[k] for k in ("syns_accepted", "synacks", "fins", "completed", "partial",
                              "unexpected", "rsts", "stray", "bad_data", "timed_out")}
    assert seen == {"syns_accepted": n, "synacks": n, "fins": n, "completed": n, "partial": 0,
                    "unexpected": 0, "rsts": 0, "stray": 0, "bad_data": 0, "timed_out": 0}, c
    assert g["conns_completed"] == n and g["conns_unfinished"] == 0, g
    assert g["failed_total"] == 0 and g["body_bytes_verified"] == 64 * c["responses"], g
    assert sum(p["rps"] for p in g["per_second"]) <= c["responses"], g["per_second"]
    assert final["http_requests"] == c["responses"], dict(final)
    assert final["conn_opened"] == n and final["conn_closed"] == n, dict(final)
    assert final["drops_total"] == 0 and final["conns_total"] == 0, dict(final)
