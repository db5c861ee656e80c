"""Capture with Debian's dpdk-dumpcap attached to the running appliance (rte_pdump in tcpterm):
in the mode an operator uses for it (EAL on a hugetlbfs, TT_HUGE_DIR, not --in-memory), one
curl exchange recorded while it runs must be in the pcapng whole, as tshark reads it: handshake,
request, response, close, every checksum good and no TCP analysis warning.  In the default
--in-memory mode tcpterm says at start that capture is unavailable, and dumpcap cannot attach."""
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

import conftest
from conftest import APPLIANCE_IP, REPO, Appliance, appliance_fixture, filler

BODY = 5000  # several segments of response
PORT_NAME = "net_tap0"  # the ethdev name dumpcap's -i takes (conf/tcpterm.conf's devargs)

pytestmark = pytest.mark.skipif(shutil.which("dpdk-dumpcap") is None or
                                shutil.which("tshark") is None,
                                reason="dpdk-dumpcap (dpdk-dev) or tshark missing: "
                                       "scripts/setup.sh installs them")


@pytest.fixture(scope="module")
def huge_dir(tmp_path_factory):
    """A hugetlbfs of this module's own, mounted by the service's helper; unmounting it at the
    end also frees the page files EAL leaves in it."""
    have = int(open("/proc/sys/vm/nr_hugepages").read())
    if have < 128:
        pytest.skip(f"{have} hugepages reserved: scripts/setup.sh reserves 512")
    mnt = tmp_path_factory.mktemp("huge")
    env = dict(os.environ, TCPTERM_HUGE_DIR=str(mnt), TCPTERM_HUGEPAGES=str(have))
    r = subprocess.run([str(REPO / "scripts/tcpterm-hugepages")], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    yield mnt
    subprocess.run(["umount", str(mnt)], capture_output=True)


@pytest.fixture(scope="module")
def app(huge_dir, tmp_path_factory):
    a = Appliance("capture", {"body_size": BODY}, tmp_path_factory.mktemp("capture"))
    with conftest.running(a, {"TT_HUGE_DIR": str(huge_dir)}):
        yield a
    # EAL leaves its page files behind (a restart under the same prefix reuses them): give the
    # pages back for the modules after this one.
    for f in huge_dir.glob(f"{a.prefix}map_*"):
        f.unlink()


class Dumpcap:
    """dpdk-dumpcap on the appliance's port, as an operator runs it."""

    def __init__(self, app, path):
        self.path = path
        self.log = path.with_suffix(".log")
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                # stdbuf: dumpcap's stdout lines reach the log when printed, in order with stderr.
                ["stdbuf", "-oL", "dpdk-dumpcap", f"--file-prefix={app.prefix}", "-i", PORT_NAME, "-p", "-w",
                 str(path)], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def output(self):
        return self.log.read_text(errors="replace")

    def wait_capturing(self, timeout=30):
        """Until the appliance copies frames into dumpcap's ring.  Debian's dumpcap (22.11)
        says "Capturing on" before it asks the primary to enable the copies, and "Packets
        captured:" only once the primary has answered: a frame sent between the two is not
        captured (seen as an empty capture in the sanitizer build)."""
        end = time.monotonic() + timeout
        while "Packets captured:" not in self.output():
            assert self.proc.poll() is None, f"dumpcap exited:\n{self.output()}"
            assert time.monotonic() < end, f"dumpcap not capturing:\n{self.output()}"
            time.sleep(0.1)

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        assert rc == 0, f"dumpcap exited {rc}:\n{self.output()}"


FIELDS = ["frame.number", "ip.src", "tcp.srcport", "tcp.dstport", "tcp.flags.syn",
          "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset", "tcp.len", "tcp.seq", "tcp.ack",
          "ip.checksum.status", "tcp.checksum.status", "tcp.analysis.flags",
          "http.response.code"]


def tshark(path, display_filter):
    """One dict per frame that matches, with checksums verified (Wireshark leaves them
    unverified by default)."""
    cmd = ["tshark", "-r", str(path), "-o", "tcp.check_checksum:TRUE",
           "-o", "ip.check_checksum:TRUE", "-Y", display_filter, "-T", "fields", "-E",
           "separator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return [dict(zip(FIELDS, line.split("|"))) for line in r.stdout.splitlines()]


def test_capture_announced(app):
    assert f"tcpterm: capture: dpdk-dumpcap --file-prefix={app.prefix} " in app.output(), \
        app.output()


def test_curl_exchange_captured_whole(app, tmp_path):
    cap = Dumpcap(app, tmp_path / "curl.pcapng")
    try:
        cap.wait_capturing()
        r = subprocess.run(["curl", "-s", "-o", str(tmp_path / "body"), "-w",
                            "%{local_port} %{http_code} %{size_download}",
                            f"http://{APPLIANCE_IP}/"], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        app.wait_idle()
        time.sleep(0.3)  # the last ACK through the ring to the file
    finally:
        cap.stop()
    local_port, code, size = r.stdout.split()
    assert code == "200" and int(size) == BODY
    assert (tmp_path / "body").read_bytes() == filler(BODY)
    conftest.note(f"[capture] dumpcap: {' '.join(cap.output().split()[-12:])}")

    frames = tshark(cap.path, f"tcp.port == {local_port}")
    ours = [f for f in frames if f["ip.src"] == APPLIANCE_IP]
    theirs = [f for f in frames if f["ip.src"] != APPLIANCE_IP]
    dump = "\n".join(str(f) for f in frames)
    # Handshake: the kernel's SYN, our SYN-ACK, its ACK.
    assert theirs[0]["tcp.flags.syn"] == "1" and theirs[0]["tcp.flags.ack"] == "0", dump
    assert ours[0]["tcp.flags.syn"] == "1" and ours[0]["tcp.flags.ack"] == "1", dump
    assert int(ours[0]["frame.number"]) > int(theirs[0]["frame.number"]), dump
    assert any(f["tcp.flags.syn"] == "0" and f["tcp.flags.ack"] == "1" for f in theirs), dump
    # The request, and the whole response: the body plus its head, in data segments of ours.
    assert sum(int(f["tcp.len"]) for f in theirs) > 0, dump
    assert sum(int(f["tcp.len"]) for f in ours) > BODY, dump
    assert [f["http.response.code"] for f in ours if f["http.response.code"]] == ["200"], dump
    # The close: a FIN each way, no reset.
    assert any(f["tcp.flags.fin"] == "1" for f in ours), dump
    assert any(f["tcp.flags.fin"] == "1" for f in theirs), dump
    assert all(f["tcp.flags.reset"] == "0" for f in frames), dump
    # Checksums verified good (1 in Wireshark's checksum status) on every frame we sent; no
    # retransmission, duplicate ACK, window or sequence warning on the connection at all.
    assert all(f["ip.checksum.status"] == "1" and f["tcp.checksum.status"] == "1"
               for f in ours), dump
    assert all(f["tcp.analysis.flags"] == "" for f in frames), dump
    # No frame is in the capture twice (a callback on both RX and TX of one frame would).
    seqs = [(f["ip.src"], f["tcp.seq"], f["tcp.ack"], f["tcp.len"], f["tcp.flags.fin"])
            for f in frames]
    assert len(seqs) == len(set(seqs)), dump
    conftest.note(f"[capture] connection {local_port}: {len(theirs)} frames in, "
                  f"{len(ours)} out, all checksums good")


def test_kernel_frames_checksums(app, tmp_path):
    """The kernel's frames as captured, for the record: the TAP hands them over complete."""
    cap = Dumpcap(app, tmp_path / "ping.pcapng")
    try:
        cap.wait_capturing()
        with conftest.connect(80) as s:
            s.sendall(conftest.http_get())
            conftest.HttpReader(s).response()
        app.wait_idle()
        time.sleep(0.3)
    finally:
        cap.stop()
    frames = tshark(cap.path, "tcp")
    theirs = [f for f in frames if f["ip.src"] != APPLIANCE_IP]
    assert theirs and all(f["tcp.checksum.status"] == "1" for f in theirs), \
        f"{frames}\n{cap.output()}\n{app.stats()}"


def test_finish(app):
    app.finish()


# The default mode (--in-memory) has no multi-process channel: said at start, and a dumpcap
# pointed at it finds no primary.
default_app = appliance_fixture("capture_in_memory")


def test_in_memory_says_unavailable(default_app):
    out = default_app.output()
    assert "tcpterm: capture unavailable" in out, out
    r = subprocess.run(["dpdk-dumpcap", f"--file-prefix={default_app.prefix}", "-i", PORT_NAME,
                        "-c", "1", "-w", "/dev/null"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode != 0, r.stdout + r.stderr
    default_app.finish()
