"""Integration test harness: one tcpterm process on a TAP port, driven from the kernel side.

The suite runs inside a private network namespace (tests/integration/run.sh creates it), so the
TAP interface tt0 that tcpterm creates is private to the run.  The kernel side is 198.18.0.1/24,
the appliance 198.18.0.2/24.

Each test module declares its appliance with `appliance_fixture(name, **overrides)`: a module
scoped fixture (scope="function" gives every test an appliance of its own) that writes a
configuration (conf/tcpterm.conf with the overrides applied), starts tcpterm, waits for its
"listening" lines and brings tt0 up.  Only one appliance runs at a time: pytest finishes a
module's fixtures before the next module starts, and a module that declares several appliances
uses them one after the other, each stopped by its own finish() test.

While the appliance runs, tests read its counters through the DPDK telemetry socket
(/tcpterm/stats, /tcpterm/conns, /tcpterm/drops), so every test can assert on counter deltas of
its own.  The baseline of mbufs in use (the RX ring is filled at start) is read the same way
right after start; the last test of each module calls `finish()`, which waits for every
connection to expire, stops the appliance with SIGINT and checks the final counters for leaked
connections and mbufs.  A test that stops the appliance itself sends the signal and calls
`wait_exit()`, which returns the exit status and leaves the output and final counters readable.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# TT_ITEST_BINARY runs the suite on another build, e.g. build-asan/tcpterm (relative to REPO).
BINARY = REPO / os.environ.get("TT_ITEST_BINARY", "build/tcpterm")
BASE_CONF = REPO / "conf" / "tcpterm.conf"
EAL_MEM = REPO / "scripts" / "eal-mem.sh"
HERE = Path(__file__).resolve().parent

KERNEL_IP = "198.18.0.1"
APPLIANCE_IP = "198.18.0.2"
IFACE = "tt0"
FILLER = b"abcdefghijklmnopqrstuvwxyz"

# Short timers so that every connection is gone a few seconds after the last test of a module,
# whatever state a peer left it in (Appliance.longest_lifetime_s bounds it).
BASE_OVERRIDES = {
    "stats_interval_ms": 0,
    "max_conns_per_core": 65536,
    "time_wait_ms": 1000,
    "fin_wait_2_timeout_ms": 1000,
    "close_wait_timeout_ms": 1000,
    "syn_recv_timeout_ms": 2000,
    "idle_timeout_ms": 8000,
    "rto_max_ms": 2000,
    "max_retries": 6,
}

# For appliances whose frames a loss test drops at random (up to 10%): an orphan retransmits as
# often as any connection.  With the default tcp.orphan_retries (3), a transfer the appliance has
# closed behind its response (every fetch_close) is reset when one retransmission is lost three
# times in a row, 1 in 1,000 timeouts at 10% loss: about 1 run in 30 of a module that times out
# some 30 times.  The default's own bound is the unit tests' (test_tcp_bounds,
# test_stack_overload).
LOSSY_OVERRIDES = {"orphan_retries": BASE_OVERRIDES["max_retries"]}

START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 20
RUNTIME_DIR = Path("/var/run/dpdk")


def filler(n):
    """The body the http application sends for body_size = n."""
    reps = n // len(FILLER) + 1
    return (FILLER * reps)[:n]


def libconfig_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        return "{ " + " ".join(f"{k} = {libconfig_value(x)};" for k, x in v.items()) + " }"
    if isinstance(v, list) and any(isinstance(x, dict) for x in v):
        return "( " + ", ".join(libconfig_value(x) for x in v) + " )"
    if isinstance(v, list):
        return "[ " + ", ".join(libconfig_value(x) for x in v) + " ]"
    raise TypeError(f"no libconfig literal for {v!r}")


def render_conf(overrides):
    """conf/tcpterm.conf with `key = value;` replaced for every override (each key exactly once)."""
    text = BASE_CONF.read_text()
    for key, value in overrides.items():
        pattern = re.compile(rf"^(\s*){re.escape(key)}\s*=\s*[^;]*;", re.MULTILINE)
        text, n = pattern.subn(lambda m: f"{m.group(1)}{key} = {libconfig_value(value)};", text)
        if n != 1:
            raise ValueError(f"{BASE_CONF}: key {key!r} found {n} times, expected once")
    return text


class Counters(dict):
    """Final or telemetry counters by name.  drop_* reasons that were never hit read as 0 (the
    final print omits them); any other unknown name raises KeyError, so a typo cannot pass."""

    def __missing__(self, key):
        if key.startswith("drop_"):
            return 0
        raise KeyError(key)


def parse_final_counters(text):
    """The block tcpterm prints after 'tcpterm: stopped; final counters:'."""
    marker = "tcpterm: stopped; final counters:"
    if marker not in text:
        return None
    out = Counters()
    for line in text.split(marker, 1)[1].splitlines():
        m = re.match(r"^connections: total (\d+)$", line)
        if m:
            out["conns_total"] = int(m.group(1))
            continue
        m = re.match(r"^drops: total (\d+)$", line)
        if m:
            out["drops_total"] = int(m.group(1))
            continue
        m = re.match(r"^\s+(\w+)\s+(-?\d+)$", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def run(cmd, check=True, timeout=30, **kw):
    return subprocess.run(cmd, check=check, timeout=timeout, capture_output=True, text=True, **kw)


class Appliance:
    def __init__(self, name, overrides, workdir):
        self.name = name
        self.overrides = dict(BASE_OVERRIDES)
        self.overrides.update(overrides)
        self.workdir = Path(workdir)
        base = os.environ.get("TT_ITEST_PREFIX", f"tt-itest-{os.getpid()}")
        self.prefix = f"{base}-{name}"
        self.conf_path = self.workdir / f"{name}.conf"
        self.log_path = self.workdir / f"{name}.log"
        self.proc = None
        self.log = None
        self.capture = None
        self.mac = None
        self.n_listeners = 0
        self.baseline_mbufs = None
        self.final = None
        self.exited = False
        self.time_wait_ms = self.overrides["time_wait_ms"]

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self):
        assert BINARY.exists(), f"{BINARY} missing: build first (scripts/build.sh)"
        self.conf_path.write_text(render_conf(self.overrides))
        self.n_listeners = len(re.findall(r"\{\s*port\s*=", self.conf_path.read_text()))
        eal = run(["bash", str(EAL_MEM), "256"]).stdout.split()
        cmd = [str(BINARY), *eal, "--file-prefix", self.prefix, "--", "-f", str(self.conf_path)]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=str(REPO))
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            text = self.output()
            if text.count("tcpterm: listening on port") >= self.n_listeners:
                break
            if self.proc.poll() is not None:
                raise RuntimeError(f"tcpterm exited with {self.proc.returncode}:\n{text}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"tcpterm did not start in {START_TIMEOUT_S}s:\n{text}")
            time.sleep(0.05)
        m = re.search(r"tcpterm: port \S+ \(\S+\) ((?:[0-9a-f]{2}:){5}[0-9a-f]{2}) ", text)
        assert m, f"no MAC in banner:\n{text}"
        self.mac = m.group(1)
        run(["ip", "addr", "add", f"{KERNEL_IP}/24", "dev", IFACE])
        run(["ip", "link", "set", IFACE, "up"])
        self.start_capture()
        self.wait_telemetry()
        self.baseline_mbufs = self.stats()["mbufs_in_use"]

    def start_capture(self):
        """With TT_ITEST_PCAP=DIR, record tt0 into DIR/<name>.pcap (headers only) for debugging."""
        pcap_dir = os.environ.get("TT_ITEST_PCAP")
        if not pcap_dir or shutil.which("tcpdump") is None:
            return
        self.capture = subprocess.Popen(
            ["tcpdump", "-i", IFACE, "-s", "160", "-B", "65536", "-U", "-w",
             str(Path(pcap_dir) / f"{self.name}.pcap")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)

    def stop_capture(self):
        if self.capture is not None and self.capture.poll() is None:
            self.capture.terminate()
            try:
                self.capture.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.capture.kill()
                self.capture.wait(timeout=10)

    def output(self):
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout=STOP_TIMEOUT_S):
        """Wait up to timeout s for tcpterm to exit (after a signal the caller sent), then kill
        it.  Returns the exit status, None when it had to be killed.  The final counters are
        then in self.final (None when none were printed), the whole output in output()."""
        self.stop_capture()
        status = None
        try:
            status = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()
        shutil.rmtree(RUNTIME_DIR / self.prefix, ignore_errors=True)
        self.final = parse_final_counters(self.output())
        self.exited = True
        return status

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGINT, bounded wait, parse the final counters (a Counters dict)."""
        if self.exited or self.proc is None:
            return self.final
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        status = self.wait_exit(timeout)
        text = self.output()
        assert status is not None, f"tcpterm ignored SIGINT for {timeout}s:\n{text[-3000:]}"
        assert status == 0, f"tcpterm exited {status}:\n{text[-3000:]}"
        assert self.final is not None, f"no final counters:\n{text[-3000:]}"
        return self.final

    # ---- telemetry -------------------------------------------------------------------------

    def telemetry(self, cmd):
        path = RUNTIME_DIR / self.prefix / "dpdk_telemetry.v2"
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.settimeout(5)
            s.connect(str(path))
            hello = json.loads(s.recv(65536))
            s.send(cmd.encode())
            reply = s.recv(max(65536, hello.get("max_output_len", 0)))
        return Counters(json.loads(reply)[cmd])

    def wait_telemetry(self, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.telemetry("/tcpterm/stats")
            except (OSError, ValueError, KeyError):
                if time.monotonic() > deadline or not self.running():
                    raise
                time.sleep(0.1)

    def stats(self):
        """Event counters and mbufs_in_use, summed over workers."""
        return self.telemetry("/tcpterm/stats")

    def conns(self):
        """Connections by state, plus 'total'."""
        return self.telemetry("/tcpterm/conns")

    def drops(self):
        return self.telemetry("/tcpterm/drops")

    def wait_for(self, what, pred, timeout):
        """Poll what() until pred(value) holds; returns the last value (the caller asserts)."""
        deadline = time.monotonic() + timeout
        while True:
            v = what()
            if pred(v) or time.monotonic() > deadline:
                return v
            time.sleep(0.05)

    def longest_lifetime_s(self):
        """How long a connection abandoned by its peer may live: the longest state timer, or
        the FIN retransmissions of FIN-WAIT-1/CLOSING/LAST-ACK (bounded by max_retries), then
        TIME-WAIT."""
        o = self.overrides
        fin_s = (o["max_retries"] + 1) * o["rto_max_ms"] / 1000
        timers = max(o[k] for k in ("fin_wait_2_timeout_ms", "close_wait_timeout_ms",
                                    "syn_recv_timeout_ms", "idle_timeout_ms")) / 1000
        return max(timers, fin_s) + o["time_wait_ms"] / 1000

    def wait_idle(self, timeout=None):
        """Until no connection is left in any state; returns the last /tcpterm/conns.  Returns
        at once when all connections closed normally; waits longer only for abandoned ones."""
        if timeout is None:
            timeout = self.longest_lifetime_s() + 3
        return self.wait_for(self.conns, lambda c: c["total"] == 0, timeout)

    # ---- the end-of-module check -----------------------------------------------------------

    def finish(self):
        """Wait for every connection to expire, stop, and check for leaks.  Returns the final
        counters.  The mbuf check compares with the count read right after start (the RX ring
        holds rx_desc mbufs from then on)."""
        left = self.wait_idle()
        assert left["total"] == 0, f"connections left after the timers: {dict(left)}"
        mbufs = self.wait_for(self.stats, lambda s: s["mbufs_in_use"] <= self.baseline_mbufs,
                              3)["mbufs_in_use"]
        final = self.stop()
        note(f"[{self.name}] final counters: " + " ".join(
            f"{k}={v}" for k, v in final.items() if v != 0 and not k.startswith("loops")))
        assert mbufs == self.baseline_mbufs, \
            f"mbufs in use {mbufs}, {self.baseline_mbufs} right after start"
        self.check_final(final)
        return final

    def check_final(self, final):
        """The final counters of a clean end: no connection in any state, mbufs back to the
        count right after start, no TX failure, every connection born ended in a counted way."""
        assert final["conns_total"] == 0, final
        assert all(v == 0 for k, v in final.items() if k.startswith("conns_")), final
        assert final["mbufs_in_use"] == self.baseline_mbufs, \
            f"final mbufs_in_use {final['mbufs_in_use']}, {self.baseline_mbufs} after start"
        assert final["tx_failed"] == 0, final
        assert final["mbuf_alloc_failed"] == 0, final
        # Every TCB that was born (a SYN-RECEIVED one, or one made from a valid cookie) has
        # ended in exactly one counted way; TIME-WAIT counts as closed when it starts.
        born = final["synack_sent"] + final["syncookies_validated"]
        ended = sum(final[k] for k in ("conn_closed", "conn_reset_by_peer", "conn_reset_by_us",
                                       "conn_timed_out", "conn_retries_exhausted"))
        assert born == ended, f"{born} connections born, {ended} ended: {final}"


REPORT = []


def pytest_report_header(config):
    return f"tcpterm under test: {BINARY}"


def note(line):
    """A measurement worth seeing in the run's summary (wrk numbers, transfer times)."""
    REPORT.append(line)
    print(line)


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("tcpterm measurements")
        for line in REPORT:
            terminalreporter.write_line(line)


class PacketLoss:
    """Random loss on tt0 from the tc BPF programs of drop.c, as a context manager.
    "ingress" drops frames the appliance sends; "egress" spoils the TCP checksum of frames the
    kernel sends, so that they leave and the appliance discards them (a frame dropped at
    egress would be resent at once by the kernel's TCP, never lost).  Raises pytest.skip with
    the reason when the programs cannot be built or attached here."""

    SECTION = {"ingress": "tc", "egress": "corrupt"}

    def __init__(self, workdir, per_mille, directions=("ingress",)):
        self.workdir = Path(workdir)
        self.per_mille = per_mille
        self.directions = directions
        self.obj = self.workdir / f"drop{per_mille}.o"

    def build(self):
        if shutil.which("clang") is None:
            pytest.skip("clang not installed: cannot build the tc BPF drop program")
        multiarch = run(["gcc", "-print-multiarch"], check=False).stdout.strip()
        cmd = ["clang", "-O2", "-target", "bpf", f"-DDROP_PER_MILLE={self.per_mille}"]
        if multiarch:
            cmd.append(f"-I/usr/include/{multiarch}")
        cmd += ["-c", str(HERE / "drop.c"), "-o", str(self.obj)]
        r = run(cmd, check=False)
        if r.returncode != 0:
            pytest.skip(f"clang -target bpf failed: {r.stderr.strip()[:500]}")

    def __enter__(self):
        self.build()
        if "egress" in self.directions:
            # One segment per skb: the egress hook runs before GSO splits a burst, and one
            # spoiled burst would lose ~40 segments at once.
            # TSO too: a TSO burst is one skb whose payload the program cannot reach.
            r = run(["ethtool", "-K", IFACE, "gso", "off", "tso", "off"], check=False)
            if r.returncode != 0:
                pytest.skip(f"ethtool -K {IFACE} gso off tso off failed: {r.stderr.strip()}")
            features = run(["ethtool", "-k", IFACE], check=False).stdout
            for name in ("generic-segmentation-offload", "tcp-segmentation-offload"):
                m = re.search(rf"^{name}: (\w+)", features, re.M)
                assert m is None or m.group(1) == "off", f"{IFACE}: {name} still {m.group(1)}"
        r = run(["tc", "qdisc", "add", "dev", IFACE, "clsact"], check=False)
        if r.returncode != 0:
            pytest.skip(f"tc qdisc add clsact failed: {r.stderr.strip()}")
        for d in self.directions:
            r = run(["tc", "filter", "add", "dev", IFACE, d, "bpf", "da", "obj", str(self.obj),
                     "sec", self.SECTION[d]], check=False)
            if r.returncode != 0:
                self.__exit__(None, None, None)
                pytest.skip(f"tc filter add {d} bpf failed: {r.stderr.strip()[:500]}")
        return self

    def __exit__(self, *exc):
        run(["tc", "qdisc", "del", "dev", IFACE, "clsact"], check=False)
        if "egress" in self.directions:
            run(["ethtool", "-K", IFACE, "gso", "on", "tso", "on"], check=False)
        return False

    @staticmethod
    def ingress_drops():
        """Frames the ingress program dropped so far (the clsact qdisc's drop count)."""
        out = run(["tc", "-s", "qdisc", "show", "dev", IFACE], check=False).stdout
        m = re.search(r"qdisc clsact.*?dropped (\d+)", out, re.S)
        return int(m.group(1)) if m else None


# The appliance a fixture started last.  A module may declare several appliances that run one
# after the other (each ends with its own finish() test); when that test was deselected the
# previous one is still running, and the next fixture stops it first: tt0 is one at a time.
_last_started = []


def appliance_fixture(name, scope="module", **overrides):
    """A fixture (module-scoped unless scope says otherwise) running one appliance with these
    configuration overrides."""

    @pytest.fixture(scope=scope)
    def fixture(tmp_path_factory):
        with running(Appliance(name, overrides, tmp_path_factory.mktemp(name))) as app:
            yield app

    return fixture


@contextlib.contextmanager
def running(app, env=None):
    """Start app with env added to the environment tcpterm starts in, stopping whichever
    appliance ran before it; stop it and clean up on exit (a module whose appliance needs more
    than appliance_fixture gives uses this directly)."""
    env = env or {}
    saved = {k: os.environ.get(k) for k in env}
    try:
        while _last_started:
            previous = _last_started.pop()
            if previous.running():
                previous.stop()
        _last_started.append(app)
        os.environ.update(env)
        try:
            app.start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        yield app
    finally:
        try:
            # Normally the module's last test stopped it; a failure here (no clean exit
            # on SIGINT) is reported as a teardown error.
            app.stop()
        finally:
            app.stop_capture()
            if app.log is not None and not app.log.closed:
                app.log.close()
            shutil.rmtree(RUNTIME_DIR / app.prefix, ignore_errors=True)


def enable_ipv6(dev):
    """IPv6 on dev (run.sh turns it off for the suite) without router solicitations."""
    run(["sysctl", "-qw", f"net.ipv6.conf.{dev}.router_solicitations=0",
         f"net.ipv6.conf.{dev}.disable_ipv6=0"])


@contextlib.contextmanager
def routed_client(name, router_ip, client_ip, prefix_len, router_mtu=None):
    """A client one hop behind the kernel: client_ip/prefix_len in a namespace of its own
    (yielded, named after name) behind a veth pair whose side in the suite's namespace is
    router_ip, the client's default route, with forwarding on in the suite's namespace while it
    exists.  IPv4 or IPv6 by the addresses (IPv6 ones without duplicate address detection).
    router_mtu: the MTU of the router's side only, a narrow link on the way to a client whose
    own interface (1500) lets it announce the full MSS: the kernel then answers what it cannot
    forward with an ICMP "fragmentation needed" or a Packet Too Big, as a router on a path."""
    v6 = ":" in client_ip
    ip = ["ip", "-6"] if v6 else ["ip"]
    nodad = ["nodad"] if v6 else []
    router_dev, client_dev = ("ttr6", "ttc6") if v6 else ("ttr0", "ttc0")
    forwarding = "net.ipv6.conf.all.forwarding" if v6 else "net.ipv4.ip_forward"
    ns = f"tt-{name}-client-{os.getpid()}"
    in_ns = ["ip", "netns", "exec", ns]
    run(["ip", "netns", "add", ns])
    try:
        run(["ip", "link", "add", router_dev, "type", "veth", "peer", "name", client_dev])
        run(["ip", "link", "set", client_dev, "netns", ns])
        if v6:
            enable_ipv6(router_dev)
        run(ip + ["addr", "add", f"{router_ip}/{prefix_len}", "dev", router_dev] + nodad)
        if router_mtu is not None:
            run(["ip", "link", "set", router_dev, "mtu", str(router_mtu)])
        run(["ip", "link", "set", router_dev, "up"])
        run(in_ns + ["ip", "link", "set", "lo", "up"])
        run(in_ns + ip + ["addr", "add", f"{client_ip}/{prefix_len}", "dev", client_dev] + nodad)
        run(in_ns + ["ip", "link", "set", client_dev, "up"])
        run(in_ns + ip + ["route", "add", "default", "via", router_ip])
        run(["sysctl", "-qw", f"{forwarding}=1"])
        yield ns
    finally:
        run(["sysctl", "-qw", f"{forwarding}=0"], check=False)
        run(["ip", "link", "del", router_dev], check=False)
        run(["ip", "netns", "del", ns], check=False)


def kernel_drops():
    """Frames the kernel dropped on the TAP path: tt0's queues and the per-CPU backlog.  Loss
    there is the host's, not the appliance's; tests print it next to timing-sensitive results."""
    out = {}
    for k in ("rx_dropped", "tx_dropped"):
        try:
            out[k] = int((Path("/sys/class/net") / IFACE / "statistics" / k).read_text())
        except OSError:
            out[k] = -1
    try:
        lines = Path("/proc/net/softnet_stat").read_text().splitlines()
        out["backlog_dropped"] = sum(int(line.split()[1], 16) for line in lines)
    except (OSError, ValueError, IndexError):
        out["backlog_dropped"] = -1
    return out


def delta(after, before):
    """Counters that changed between two telemetry snapshots."""
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def http_get(path="/", host=APPLIANCE_IP, port=80, extra=b"", version=b"HTTP/1.1"):
    return (b"GET " + path.encode() + b" " + version + b"\r\nHost: " + host.encode() + b"\r\n"
            + extra + b"\r\n")


def fetch_close(expected, port=80, deadline_s=60, what="fetch"):
    """One GET with Connection: close on a new connection; checks the status and every byte
    of the body against expected; returns the seconds it took."""
    start = time.monotonic()
    with connect(port, timeout=deadline_s) as s:
        s.sendall(http_get(extra=b"Connection: close\r\n"))
        data = recv_until_eof(s, limit=len(expected) + 4096, deadline_s=deadline_s)
    elapsed = time.monotonic() - start
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK"), head[:100]
    assert len(body) == len(expected), f"{what}: {len(body)} bytes"
    assert body == expected, f"{what}: corrupted body"
    return elapsed


def echo_through(payload, chunk, port=7, timeout=90):
    """Send payload to the echo port chunk by chunk, reading each chunk back before the next
    (so echo never holds more than it can queue); returns what came back."""
    got = bytearray()
    with connect(port, timeout=timeout) as s:
        for off in range(0, len(payload), chunk):
            s.sendall(payload[off:off + chunk])
            while len(got) < min(off + chunk, len(payload)):
                b = s.recv(65536)
                assert b, "echo closed early"
                got += b
    return bytes(got)


def connect(port, timeout=10):
    s = socket.create_connection((APPLIANCE_IP, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def recv_until_eof(s, limit=1 << 30, deadline_s=60):
    chunks, n = [], 0
    end = time.monotonic() + deadline_s
    while n <= limit:
        if time.monotonic() > end:
            raise TimeoutError(f"no EOF after {deadline_s}s ({n} bytes)")
        b = s.recv(1 << 16)
        if not b:
            break
        chunks.append(b)
        n += len(b)
    return b"".join(chunks)


class HttpReader:
    """Reads HTTP/1.1 responses (Content-Length framing) off a socket, keeping leftover bytes."""

    def __init__(self, sock):
        self.s = sock
        self.buf = b""

    def _fill(self):
        b = self.s.recv(1 << 16)
        if not b:
            raise EOFError("connection closed mid-response")
        self.buf += b

    def response(self, head_only=False):
        """(status line, headers with lower-case names, body); head_only for HEAD."""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        n = 0 if head_only else int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return lines[0], headers, body

    def at_eof(self):
        """True when the peer closed with nothing more to read."""
        while True:
            b = self.s.recv(1 << 16)
            if not b:
                return self.buf == b""
            self.buf += b


class FlowCapture:
    """The TCP segments of the connection from one kernel port, both ways, seen on tt0 (scapy
    sniffer).

        with FlowCapture(sport) as cap:
            ...talk on a socket bound to sport...
        cap.segments     # the appliance's segments (scapy IP packets), in order
        cap.from_kernel  # the kernel's
    """

    def __init__(self, sport, settle_s=0.5):
        self.sport = sport
        self.settle_s = settle_s
        self.segments = []
        self.from_kernel = []
        self._sniffer = None

    def __enter__(self):
        from scapy.layers.inet import IP, TCP
        from scapy.sendrecv import AsyncSniffer

        def ours(p):
            return IP in p and TCP in p and self.sport in (p[TCP].sport, p[TCP].dport)

        self._sniffer = AsyncSniffer(iface=IFACE, lfilter=ours, store=True)
        self._sniffer.start()
        time.sleep(0.3)  # the sniffer's socket must be open before the first frame
        return self

    def __exit__(self, *exc):
        from scapy.layers.inet import IP

        time.sleep(self.settle_s)
        got = [p[IP] for p in self._sniffer.stop()]
        self.segments = [p for p in got if p.src == APPLIANCE_IP]
        self.from_kernel = [p for p in got if p.src != APPLIANCE_IP]
        return False


def tcp_flags(ip):
    """Flags of a captured segment (scapy IP packet) as a set of letters: {'S', 'A', 'F', ...}."""
    from scapy.layers.inet import TCP

    return set(str(ip[TCP].flags))


def tcp_payload_len(ip):
    """Payload bytes of a captured segment, by the headers' lengths (not the frame's padding)."""
    from scapy.layers.inet import TCP

    return ip.len - ip.ihl * 4 - ip[TCP].dataofs * 4


def free_port():
    """A local port for a client socket that a FlowCapture can name beforehand."""
    with socket.socket() as s:
        s.bind((KERNEL_IP, 0))
        return s.getsockname()[1]


def connect_from(port, sport, timeout=10):
    s = socket.create_connection((APPLIANCE_IP, port), timeout=timeout,
                                 source_address=(KERNEL_IP, sport))
    s.settimeout(timeout)
    return s


GEN = REPO / "build" / "tcpterm-gen"


def vhost_eal_mem():
    """EAL memory arguments for one side of the benchmark's link; skips without hugepages."""
    args = run(["bash", str(EAL_MEM), "256"]).stdout.split()
    if "--no-huge" in args:
        pytest.skip("vhost-user needs hugepages")
    return args


def _itest_prefix(name, side):
    return f"{os.environ.get('TT_ITEST_PREFIX', f'tt-itest-{os.getpid()}')}-{name}-{side}"


@contextlib.contextmanager
def vhost_appliance(tmp_path, name, syncookies, rx_desc=1024, syn_shed_full_polls=4,
                    time_wait_ms=1000):
    """The appliance on the benchmark's link (virtio-user in server mode, no kernel, every
    checksum in software, rx_desc frames in its RX ring, tcp.syn_shed_full_polls and
    tcp.time_wait_ms as given), its worker on CPU 1, as bench/run.sh starts it; yields the
    vhost socket for tcpterm-gen (run_gen) and the appliance's log.
    Stopped with SIGINT on exit, which must end it with status 0 and its final counters in the
    log."""
    assert GEN.exists(), f"{GEN} missing: build first (scripts/build.sh)"
    sock = tmp_path / "vhost.sock"
    conf = tmp_path / "appliance.conf"
    log_path = tmp_path / "appliance.log"
    conf.write_text(f"""
eal = [ "--no-pci", "--single-file-segments" ];
stats_interval_ms = 0;
workers = [ 1 ];
ports = ( {{ name = "virtio0"; device = "net_virtio_user0,path={sock},queues=1,queue_size=1024,server=1";
            address = "198.18.0.2/24"; checksum_offload = "off"; rx_desc = {rx_desc};
            reply_to_source_mac = true; }} ); # clients off the /24, as in bench/run.sh
listeners = ( {{ port = 80; app = "http"; }} );
http = {{ body_size = 64; }};
tcp = {{ time_wait_ms = {time_wait_ms}; syncookies = "{syncookies}"; max_conns_per_core = 262144;
        syn_shed_full_polls = {syn_shed_full_polls}; }};
""")
    log = open(log_path, "w")
    app = subprocess.Popen([str(BINARY), "--lcores=0@0,1@1", *vhost_eal_mem(), "--file-prefix",
                            _itest_prefix(name, "app"), "--", "-f", str(conf)],
                           stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            assert app.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the appliance did not create its socket"
            time.sleep(0.1)
        yield sock, log_path
    finally:
        app.send_signal(signal.SIGINT)
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait(timeout=10)
        log.close()
    assert app.returncode == 0, log_path.read_text()[-2000:]


def assert_paced(count, rate, seconds, summary):
    """The generator sent count of what it paces at rate over its load of seconds, within 5%: it
    shares the two cores with the appliance and pytest, and a stall of its worker across the end
    of the load leaves what fell due then unsent (2.2% and 2.6% of the SYNs, once each in CI).
    What the callers check after this (every frame the link took accounted for) is exact."""
    assert abs(count - rate * seconds) <= rate * seconds // 20, summary


def run_gen(name, sock, *args):
    """tcpterm-gen on the other end of vhost_appliance's link (worker on CPU 0, every checksum
    in software) with these options; the finished process."""
    return run([str(GEN), "--lcores=0@1,1@0", *vhost_eal_mem(), "--single-file-segments",
                "--file-prefix", _itest_prefix(name, "gen"), "--no-pci", "--",
                "--device", f"net_vhost0,iface={sock},client=1,queues=1",
                "--checksum-offload", "off", *args], check=False, timeout=60)
