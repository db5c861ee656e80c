"""SACK against the Linux kernel's TCP, with random loss from the tc BPF programs of drop.c.

Two appliances in turn, tcp.sack on and off, fetch the same 1 MiB responses with 3% and 10% of
the appliance's frames dropped (the kernel's SACK blocks drive the appliance's recovery); the
module then compares what each resent beyond the frames the filter dropped, how many
retransmission timeouts each needed and how long the transfers took.  Every byte of every
response is checked.  With the kernel's frames spoiled instead (the appliance's receive path), the
appliance's ACKs must carry SACK blocks and the echoed bytes come back intact."""

import os
import time

from conftest import (LOSSY_OVERRIDES, PacketLoss, appliance_fixture, delta, echo_through,
                      fetch_close, filler, note)

BODY = 1 << 20
FETCHES = 3
LOSSES = (30, 100)  # per mille
SEG_BYTES = 1448  # our segments to the kernel: MSS 1460 less the timestamp option
on = appliance_fixture("sack_on", body_size=BODY, sack=True, **LOSSY_OVERRIDES)
off = appliance_fixture("sack_off", body_size=BODY, sack=False, **LOSSY_OVERRIDES)
RESULTS = {}


def fetch_with_loss(app, tmp_path, per_mille):
    """FETCHES 1 MiB responses, each on a new connection, with per_mille of the appliance's
    frames lost; returns the counter deltas, the transfer times and the frames dropped."""
    expected = filler(BODY)
    before = app.stats()
    with PacketLoss(tmp_path, per_mille, ("ingress",)):
        times = [fetch_close(expected, deadline_s=90, what=f"fetch {i}")
                 for i in range(FETCHES)]
        dropped = PacketLoss.ingress_drops()
    d = delta(app.stats(), before)
    d["times"] = times
    d["dropped"] = dropped
    return d


def output_losses(app, tmp_path, mode):
    """Every loss rate of LOSSES on app; the results go to RESULTS[(mode, rate)]."""
    for pm in LOSSES:
        d = fetch_with_loss(app, tmp_path, pm)
        RESULTS[(mode, pm)] = d
        note(f"sack {mode}, {pm / 10}% loss on the appliance's output, {FETCHES} x 1 MiB: "
             f"{summary(d)}")
        yield d


def summary(d):
    return (f"frames dropped {d['dropped']}, "
            f"retransmitted_bytes {d.get('retransmitted_bytes', 0)}, "
            f"retransmits {d.get('retransmits', 0)}, "
            f"fast_retransmits {d.get('fast_retransmits', 0)}, "
            f"sack_retransmits {d.get('sack_retransmits', 0)}, "
            f"sack_recoveries {d.get('sack_recoveries', 0)}, "
            f"sack_blocks_received {d.get('sack_blocks_received', 0)}, "
            f"times {', '.join(f'{t:.2f}s' for t in d['times'])}")


def test_sack_on_output_loss(on, tmp_path):
    for d in output_losses(on, tmp_path, "on"):
        assert d.get("sack_blocks_received", 0) > 0, d
        assert d.get("sack_recoveries", 0) > 0, d
        assert d.get("sack_retransmits", 0) > 0, d


ECHO_TRIES = 4


def test_sack_on_input_loss(on, tmp_path):
    """Echo 1 MiB while the kernel's segments to us get lost: our ACKs report what we hold.
    A lost segment leaves data out of order only when later segments of its flight arrive; a
    loss of an ACK or of a 16 KiB chunk's last segment leaves none (once in CI all six of a
    run's losses were such, 0 queued), so up to ECHO_TRIES echoes are made, each checked
    whole, until one has data out of order."""
    size = 1 << 20
    with PacketLoss(tmp_path, LOSSES[0], ("egress",)):
        for attempt in range(1, ECHO_TRIES + 1):
            payload = os.urandom(size)
            before, drops = on.stats(), on.drops()
            got = echo_through(payload, 16384)
            d = delta(on.stats(), before)
            lost = delta(on.drops(), drops).get("tcp_bad_checksum", 0)
            note(f"sack on, {LOSSES[0] / 10}% loss on the kernel's output, 1 MiB echoed "
                 f"(try {attempt}): sack_blocks_sent {d.get('sack_blocks_sent', 0)}, "
                 f"out_of_order_queued {d.get('out_of_order_queued', 0)}, "
                 f"segments lost (bad checksum) {lost}")
            assert got == payload
            if d.get("out_of_order_queued", 0) > 0:
                break
    assert d.get("out_of_order_queued", 0) > 0, d
    assert d.get("sack_blocks_sent", 0) > 0, d


def test_sack_on_finish(on):
    final = on.finish()
    assert final["sack_blocks_received"] > 0


def test_sack_off_output_loss(off, tmp_path):
    for d in output_losses(off, tmp_path, "off"):
        # SACK-permitted was not offered: the kernel sends no blocks, NewReno recovers.
        assert d.get("sack_blocks_received", 0) == 0, d
        assert d.get("sack_recoveries", 0) == 0, d
        assert d.get("retransmitted_bytes", 0) > 0, d


def redundant(d):
    """Bytes resent beyond what the loss took: each dropped frame is (almost always) a full
    segment of SEG_BYTES; a dropped ACK or short segment makes this a little low."""
    return d.get("retransmitted_bytes", 0) - d["dropped"] * SEG_BYTES


def test_sack_fewer_timeouts_no_more_resent(off):
    """The kernel keeps what arrives behind a hole, so without SACK too a lost segment is
    mostly resent once (the cumulative ACK jumps over the rest): both resend about what the
    filter dropped.  Without SACK, though, a loss is found far more often by a timeout, which
    costs the transfer its time and resends, going back, segments the kernel holds."""
    for pm in LOSSES:
        w, wo = RESULTS[("on", pm)], RESULTS[("off", pm)]
        note(f"sack: {pm / 10}% loss, {FETCHES} x 1 MiB, with / without SACK: "
             f"retransmitted bytes {w.get('retransmitted_bytes', 0)} / "
             f"{wo.get('retransmitted_bytes', 0)} for {w['dropped']} / {wo['dropped']} frames "
             f"dropped (beyond them: {redundant(w)} / {redundant(wo)}), timeouts "
             f"{w.get('retransmits', 0)} / {wo.get('retransmits', 0)}, total time "
             f"{sum(w['times']):.2f}s / {sum(wo['times']):.2f}s")
        assert w["dropped"] and wo["dropped"], (w["dropped"], wo["dropped"])
    # Resent bytes per dropped frame, over both loss rates (a 3% run may drop only a few
    # dozen frames, too few to judge alone): never notably more than without (the scoreboard
    # outlives a timeout, so going back steps over what the kernel holds).
    w_all = [RESULTS[("on", pm)] for pm in LOSSES]
    wo_all = [RESULTS[("off", pm)] for pm in LOSSES]
    per_drop = (sum(r.get("retransmitted_bytes", 0) for r in w_all)
                / sum(r["dropped"] for r in w_all))
    per_drop_wo = (sum(r.get("retransmitted_bytes", 0) for r in wo_all)
                   / sum(r["dropped"] for r in wo_all))
    assert per_drop <= per_drop_wo * 1.1, (per_drop, per_drop_wo)
    w, wo = RESULTS[("on", LOSSES[-1])], RESULTS[("off", LOSSES[-1])]
    assert w.get("retransmits", 0) < wo.get("retransmits", 0), (w, wo)
    assert sum(w["times"]) < sum(wo["times"]), (w, wo)


def test_sack_off_finish(off):
    final = off.finish()
    assert final["sack_blocks_sent"] == 0
