#!/usr/bin/env python3
"""The soak's two halves of judgement (bench/soak.sh runs both).

watch: from the appliance's start to the end of its idle wait, read its DPDK telemetry socket:
the resting mbuf count before any load (the baseline), the per-state connection peaks once a
second, how long the last connection took to go once the load had stopped, and a last snapshot
of every counter after the idle wait.  The generator's clock starts when the appliance first
answers ARP, just after its telemetry comes up, so the load ends --duration seconds after that.

report: with that, the generator's JSON summary and the appliance's log (final counters at
SIGINT, mbufs left out of the pools once its ports closed), print the figures and the checks;
exit 1 when a check fails.  A drop reason is fine only when the soak's traffic explains it
(EXPECTED_DROPS says how); any other is a failed check.
"""
import argparse
import json
import re
import sys
import time
from pathlib import Path

from telemetry import telemetry

SCRIPT_S = 2
STATES = ["syn_recv", "established", "fin_wait_1", "fin_wait_2", "close_wait", "closing",
          "last_ack", "time_wait", "syn_sent", "closed"]

# Why the soak's own traffic makes the appliance drop these; any other reason is a finding.
EXPECTED_DROPS = {
    "tcp_out_of_window": "a retransmission of bytes (or a FIN) the appliance already took: its "
                         "ACK was among the frames the generator lost, so the sender's timer "
                         "fired; the appliance drops the copy and ACKs again",
}


def watch(args):
    out = {"samples": [], "peaks": {s: 0 for s in STATES + ["total"]}}
    deadline = time.monotonic() + args.start_timeout
    while True:
        try:
            out["baseline"] = telemetry(args.prefix, "/tcpterm/stats")
            break
        except (OSError, ValueError):
            if time.monotonic() > deadline:
                out["error"] = "the appliance's telemetry never answered"
                Path(args.out).write_text(json.dumps(out))
                return 1
            time.sleep(0.05)
    start = time.monotonic()
    load_end = start + args.duration
    done_at = None
    try:
        while True:
            now = time.monotonic()
            if done_at is None and Path(args.done).exists():
                done_at = now
                out["generator_stopped_s"] = round(now - load_end, 1)
            if done_at is not None and now - done_at >= args.idle:
                break
            conns = telemetry(args.prefix, "/tcpterm/conns")
            stats = telemetry(args.prefix, "/tcpterm/stats")
            for s in out["peaks"]:
                out["peaks"][s] = max(out["peaks"][s], conns.get(s, 0))
            out["samples"].append([round(now - start, 1), conns["total"], stats["mbufs_in_use"],
                                   stats["rx_bufs_held"]])
            if now >= load_end and conns["total"] == 0 and "drained_s" not in out:
                out["drained_s"] = round(now - load_end, 1)
            time.sleep(1.0 if now < load_end else 0.25)
        out["after_idle"] = {"stats": telemetry(args.prefix, "/tcpterm/stats"),
                             "conns": telemetry(args.prefix, "/tcpterm/conns"),
                             "drops": telemetry(args.prefix, "/tcpterm/drops")}
    except (OSError, ValueError) as e:
        out["error"] = f"telemetry failed: {e}"
    Path(args.out).write_text(json.dumps(out))
    return 0


def last_json(path):
    try:
        lines = [l for l in Path(path).read_text().splitlines() if l.startswith("{")]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def final_counters(text):
    """The block tcpterm prints at SIGINT, and the mbufs it found out of the pools after."""
    marker = "tcpterm: stopped; final counters:"
    if marker not in text:
        return None
    patterns = [
        (r"^connections: total (\d+)$", lambda m: ("conns_total", m.group(1))),
        (r"^\s+(\w+)\s+(-?\d+)$", lambda m: (m.group(1), m.group(2))),
        (r"^tcpterm: ports closed, mbufs not back in the pools: (\d+)$",
         lambda m: ("mbufs_out_after_close", m.group(1))),
    ]
    out = {}
    for line in text.split(marker, 1)[1].splitlines():
        for pattern, entry in patterns:
            m = re.match(pattern, line)
            if m:
                name, value = entry(m)
                out[name] = int(value)
                break
    return out


class Checks:
    def __init__(self):
        self.rows = []

    def add(self, ok, what):
        self.rows.append((bool(ok), what))

    def failed(self):
        return [w for ok, w in self.rows if not ok]


def print_generator(gen):
    soak = gen["soak"]
    print(f"generator (tcpterm-gen, {gen['seconds']:.0f} s of load at {soak['rate']} "
          f"connections/s, {soak['loss_pct']:g}% of its received frames lost):")
    print(f"  {'kind':<14}{'started':>9}{'synced':>9}{'done':>9}{'rst_rcvd':>9}{'gave_up':>9}")
    for name, k in soak["kinds"].items():
        cols = [k["started"]] + [k.get(c, "") for c in ("synced", "done", "rst_rcvd", "gave_up")]
        print(f"  {name:<14}" + "".join(f"{c:>9}" for c in cols))
    failed = {k: v for k, v in gen["failed"].items() if v}
    print(f"  honest clients: {gen['conns_completed']} of {gen['conns_attempted']} completed, "
          f"{gen['responses_ok']} responses verified byte by byte "
          f"({gen['body_bytes_verified'] / 1e6:.1f} MB), {gen['conns_unfinished']} unfinished, "
          f"failures: {failed or 'none'}; retransmits {gen['retransmits']}")
    print(f"  frames: {soak['rx_lost']} lost on purpose, {soak['rx_for_peers']} for the scripted "
          f"peers ({soak['rx_stale']} after they fell silent), {soak['rx_overflow']} beyond "
          f"their queue; peers not started for want of a slot: {soak['no_slot']}")


def print_appliance(final, w):
    f = final
    print("appliance (tcpterm):")
    print(f"  connections: opened {f['conn_opened']}, closed {f['conn_closed']}, reset by peer "
          f"{f['conn_reset_by_peer']}, reset by us {f['conn_reset_by_us']}, timed out "
          f"{f['conn_timed_out']} (persist {f['conn_persist_timed_out']}, application "
          f"{f['conn_app_timed_out']}), retries exhausted {f['conn_retries_exhausted']}")
    print(f"  handshakes: SYN-ACKs with state {f['synack_sent']}, SYN cookies sent "
          f"{f['syncookies_sent']} / validated {f['syncookies_validated']} / failed "
          f"{f['syncookies_failed']}; HTTP requests {f['http_requests']}")
    print(f"  repair: retransmits {f['retransmits']}, fast retransmits {f['fast_retransmits']}, "
          f"out-of-order queued {f['out_of_order_queued']}, RSTs sent {f['rst_sent']}, "
          f"challenge ACKs {f['challenge_acks']}, invalid replies limited "
          f"{f['invalid_replies_limited']}, held buffers refused {f['rx_hold_refused']}")
    peaks = ", ".join(f"{s} {w['peaks'][s]}" for s in STATES + ["total"] if w["peaks"][s])
    print(f"  peaks per state (sampled each second): {peaks}")
    held = max((s[3] for s in w["samples"]), default=0)
    mbufs = max((s[2] for s in w["samples"]), default=0)
    print(f"  peaks: rx_bufs_held {held}, mbufs_in_use {mbufs} "
          f"(baseline {w['baseline']['mbufs_in_use']})")


def born(final):
    """Connections the appliance made state for: a SYN-ACK with state, or a cookie validated."""
    return final["synack_sent"] + final["syncookies_validated"]


def by_kind(gen, final, checks):
    """What each kind of peer must have made the appliance count, whatever the loss: the
    honest clients close, the resets reset, the half head times out on the application's
    bound, the shut windows on the persist bound, and every other peer that connected on its
    state's bound, or, silent while our FIN is unacknowledged (FIN-WAIT-1, CLOSING, LAST-ACK:
    an orphan), on the orphan's retransmissions (tcp.orphan_retries), whichever its RTO brings
    first.  Beside them, each half-open SYN the appliance kept state for rather than answering
    with a cookie: a connection born (a SYN-ACK with state) and never opened, which times out
    in SYN-RECEIVED.  No other connection runs out of retransmissions: the soak's bounds all
    come before a connection's tcp.max_retries."""
    kinds = gen["soak"]["kinds"]

    def synced(*names):
        return sum(kinds[n]["synced"] for n in names)

    print("  outcomes by kind (generator -> appliance):")
    pairs = [
        ("honest clients completed", gen["conns_completed"], "conn_closed"),
        ("reset peers connected", synced("reset"), "conn_reset_by_peer"),
        ("slow_head peers connected", synced("slow_head"), "conn_app_timed_out"),
        ("zero_window + echo_stall peers connected", synced("zero_window", "echo_stall"),
         "conn_persist_timed_out"),
    ]
    for what, want, counter in pairs:
        print(f"    {what:<42}{want:>8}  {counter} {final[counter]}")
        checks.add(want == final[counter], f"{what}: {want}, {counter}: {final[counter]}")
    quiet = [n for n, k in kinds.items() if "synced" in k and n not in ("reset", "half_open")]
    want = synced(*quiet)
    half_open = born(final) - final["conn_opened"]
    timed_out, exhausted = final["conn_timed_out"], final["conn_retries_exhausted"]
    orphans = synced("fin_wait_1", "closing", "last_ack")
    print(f"    {'other scripted peers connected':<42}{want:>8}  conn_timed_out {timed_out} + "
          f"conn_retries_exhausted {exhausted} (orphans {final['orphan_retries_exhausted']}) "
          f"= the peers + {half_open} half-open SYNs kept in SYN-RECEIVED")
    checks.add(timed_out + exhausted == want + half_open
               and 0 <= half_open <= kinds["half_open"]["started"],
               f"conn_timed_out {timed_out} + conn_retries_exhausted {exhausted}: the {want} "
               f"quiet peers that connected and {half_open} of the "
               f"{kinds['half_open']['started']} half-open SYNs")
    checks.add(exhausted == final["orphan_retries_exhausted"] and exhausted <= orphans,
               f"conn_retries_exhausted {exhausted}: orphans only "
               f"({final['orphan_retries_exhausted']}), of the {orphans} peers silent while "
               f"our FIN was unacknowledged")


def report(args):
    checks = Checks()
    gen = last_json(args.gen)
    w = json.loads(Path(args.watch).read_text())
    log = Path(args.log).read_text(errors="replace")
    final = final_counters(log)

    checks.add(args.rc == 0 and final is not None,
               f"the appliance exited {args.rc} at SIGINT"
               + ("" if final is not None else ", without its final counters"))
    checks.add("error" not in w, w.get("error", "the appliance's telemetry answered throughout"))
    checks.add(gen is not None and "soak" in gen, "the generator gave its summary")
    if gen is not None and "soak" in gen:
        print_generator(gen)
        checks.add(args.gen_rc == 0 and gen["failed_total"] == 0 and gen["conns_unfinished"] == 0,
                   f"honest clients: {gen['failed_total']} failed, {gen['conns_unfinished']} "
                   f"unfinished (generator exit {args.gen_rc})")
    if final is None or "after_idle" not in w:
        return finish(checks)
    print_appliance(final, w)
    if gen is not None and "soak" in gen:
        by_kind(gen, final, checks)
    idle = w["after_idle"]
    left = {s: v for s, v in idle["conns"].items() if v}
    checks.add(not left, f"every connection gauge is 0 after {args.idle:g} s idle "
                         f"(longest bound {args.longest:g} s): {left or 'yes'}")
    # The last peers start as the load ends and play their scripts within a second or so;
    # from then on only the appliance's bounds keep their connections.
    drained = w.get("drained_s")
    checks.add(drained is not None and drained <= args.longest + SCRIPT_S,
               f"the last connection went {drained} s after the load ended (its longest bound "
               f"{args.longest:g} s, and {SCRIPT_S} s for the last scripts; the generator "
               f"stopped {w.get('generator_stopped_s')} s after the load)")
    left = {k: v for k, v in final.items() if k.startswith("conns_") and v}
    checks.add(not left, f"final counters: no connection in any state: {left or 'yes'}")
    checks.add(idle["stats"]["rx_bufs_held"] == 0 and final["rx_bufs_held"] == 0,
               f"rx_bufs_held {idle['stats']['rx_bufs_held']} after idle, "
               f"{final['rx_bufs_held']} at exit")
    base = w["baseline"]["mbufs_in_use"]
    after = idle["stats"]["mbufs_in_use"]
    checks.add(abs(after - base) <= args.ring,
               f"mbufs_in_use {after} after idle, {base} right after start: {after - base:+d}, "
               f"within the {args.ring} sent frames a virtio TX ring keeps until it wraps")
    out = final.get("mbufs_out_after_close")
    checks.add(out == 0, f"mbufs not back in the pools once the ports closed: {out}")
    for k in ("tx_refused_oversize", "mbuf_alloc_failed", "tx_failed"):
        checks.add(final[k] == 0, f"{k} {final[k]}")
    made = born(final)
    ended = sum(final[k] for k in ("conn_closed", "conn_reset_by_peer", "conn_reset_by_us",
                                   "conn_timed_out", "conn_retries_exhausted"))
    checks.add(made == ended, f"every connection born ended once: {made} born, {ended} ended")
    drops = {k: v for k, v in idle["drops"].items() if v}
    print(f"  drops: {sum(drops.values())}" + ("" if drops else " (none)"))
    for reason, n in sorted(drops.items(), key=lambda kv: -kv[1]):
        why = EXPECTED_DROPS.get(reason)
        print(f"    {reason:<28}{n:>8}  " + (f"expected: {why}" if why else "UNEXPECTED"))
        checks.add(why is not None, f"drop reason {reason} ({n}) is "
                                    + ("expected" if why else "not explained by the soak"))
    return finish(checks)


def finish(checks):
    print("checks:")
    for ok, what in checks.rows:
        print(f"  {'ok  ' if ok else 'FAIL'}  {what}")
    bad = checks.failed()
    print(f"soak: {'passed' if not bad else f'{len(bad)} check(s) failed'}")
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("watch")
    p.add_argument("--prefix", required=True, help="the appliance's EAL file prefix")
    p.add_argument("--done", required=True, help="a file that appears when the generator stops")
    p.add_argument("--idle", type=float, required=True, help="seconds to wait after that")
    p.add_argument("--duration", type=float, required=True, help="seconds of load")
    p.add_argument("--out", required=True)
    p.add_argument("--start-timeout", type=float, default=60)
    p = sub.add_parser("report")
    p.add_argument("--watch", required=True)
    p.add_argument("--gen", required=True, help="the generator's stdout (JSON summary)")
    p.add_argument("--gen-rc", type=int, required=True)
    p.add_argument("--log", required=True, help="the appliance's output")
    p.add_argument("--rc", type=int, required=True, help="the appliance's exit status")
    p.add_argument("--idle", type=float, required=True)
    p.add_argument("--longest", type=float, required=True,
                   help="seconds the longest-lived abandoned connection may live")
    p.add_argument("--ring", type=int, required=True, help="the appliance's TX ring size")
    args = ap.parse_args()
    return watch(args) if args.cmd == "watch" else report(args)


if __name__ == "__main__":
    sys.exit(main())
