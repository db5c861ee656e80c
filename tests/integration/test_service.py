"""tcpterm as a systemd service: what `meson install` puts where, the unit checked by
`systemd-analyze verify`, the hugepage helper of its ExecStartPre, readiness (READY=1 once the
ports are up, STOPPING=1 at the drain) on a NOTIFY_SOCKET that this test listens on, and DPDK's
log lines carrying syslog priorities when stderr is the journal (JOURNAL_STREAM)."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

import conftest
from conftest import BINARY, Appliance

PREFIX = "/usr/local"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """`meson install` of the build under test into a scratch root, with systemd's own units
    beside it so that `systemd-analyze verify --root` finds the targets the unit depends on."""
    root = tmp_path_factory.mktemp("root")
    r = subprocess.run(["meson", "install", "-C", str(BINARY.parent), "--no-rebuild",
                        "--destdir", str(root)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    shutil.copytree("/lib/systemd/system", root / "lib" / "systemd" / "system", symlinks=True)
    # ExecReload's /bin/kill, which verify looks for inside the root.
    (root / "bin").mkdir(exist_ok=True)
    shutil.copy2("/bin/kill", root / "bin" / "kill")
    return root


def test_install_layout(installed):
    for path in ("bin/tcpterm", "etc/tcpterm/tcpterm.conf", "libexec/tcpterm/tcpterm-hugepages",
                 "lib/systemd/system/tcpterm.service"):
        assert (installed / PREFIX.lstrip("/") / path).is_file(), path
    assert os.access(installed / "usr/local/libexec/tcpterm/tcpterm-hugepages", os.X_OK)
    # The installed binary accepts the installed configuration.
    r = subprocess.run([str(installed / "usr/local/bin/tcpterm"), "--", "--check", "-f",
                        str(installed / "usr/local/etc/tcpterm/tcpterm.conf")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


def test_unit_verifies(installed):
    unit = f"{PREFIX}/lib/systemd/system/tcpterm.service"
    r = subprocess.run(["systemd-analyze", "verify", f"--root={installed}", unit],
                       capture_output=True, text=True, timeout=60)
    # A unit systemd cannot run fails; an unknown or misspelt key only warns: both count.
    assert r.returncode == 0 and r.stderr.strip() == "" and r.stdout.strip() == "", \
        r.stdout + r.stderr


def test_unit_contents(installed):
    text = (installed / "usr/local/lib/systemd/system/tcpterm.service").read_text()
    keys = dict(re.findall(r"^(\w+)=(.*)$", text, re.M))
    assert keys["Type"] == "notify" and keys["Restart"] == "on-failure", keys
    assert keys["ExecStart"].startswith(f"{PREFIX}/bin/tcpterm --file-prefix tcpterm "), keys
    assert keys["ExecStart"].endswith(f"-f {PREFIX}/etc/tcpterm/tcpterm.conf"), keys
    assert f"ExecStartPre={PREFIX}/libexec/tcpterm/tcpterm-hugepages" in text
    assert f"ExecStartPre={PREFIX}/bin/tcpterm -- --check -f " in text
    # `systemctl reload` is a SIGHUP: tcpterm re-reads the file (test_reload).
    assert keys["ExecReload"] == "/bin/kill -HUP $MAINPID", keys


def test_hugepage_helper_mounts(tmp_path):
    have = int(open("/proc/sys/vm/nr_hugepages").read())
    if have == 0:
        pytest.skip("no hugepages reserved on this machine (scripts/setup.sh reserves them)")
    mnt = tmp_path / "huge"
    env = dict(os.environ, TCPTERM_HUGEPAGES=str(have), TCPTERM_HUGE_DIR=str(mnt))
    r = subprocess.run([str(conftest.REPO / "scripts/tcpterm-hugepages")], env=env,
                       capture_output=True, text=True, timeout=30)
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        assert subprocess.run(["mountpoint", "-q", str(mnt)]).returncode == 0
        fstype = subprocess.run(["stat", "-f", "-c", "%T", str(mnt)], capture_output=True,
                                text=True).stdout.strip()
        assert fstype == "hugetlbfs", fstype
        # Run again: already mounted, nothing to do, still fine.
        r2 = subprocess.run([str(conftest.REPO / "scripts/tcpterm-hugepages")], env=env,
                            capture_output=True, text=True, timeout=30)
        assert r2.returncode == 0, r2.stdout + r2.stderr
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


class Notifications:
    """A unix datagram socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.received = []  # (monotonic time, {key: value})

    def wait(self, key, timeout):
        end = time.monotonic() + timeout
        while not any(key in msg for _, msg in self.received):
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                return None
            self.received.append((time.monotonic(), dict(
                line.split("=", 1) for line in data.splitlines() if "=" in line)))
        return next(msg for _, msg in self.received if key in msg)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """An appliance started as systemd starts a Type=notify service with journal output."""
    work = tmp_path_factory.mktemp("service")
    notes = Notifications(work / "notify.sock")
    app = Appliance("service", {}, work)
    app.log_path.touch()  # Appliance.start reopens it with "w": same inode
    st = os.stat(app.log_path)
    env = {"NOTIFY_SOCKET": notes.path, "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
    try:
        with conftest.running(app, env):
            yield app, notes
    finally:
        notes.sock.close()


def test_ready_after_ports_up(service):
    app, notes = service
    ready = notes.wait("READY", 10)
    assert ready is not None, f"no READY=1 on NOTIFY_SOCKET: {notes.received}\n{app.output()}"
    assert ready["READY"] == "1"
    assert ready["STATUS"] == f"1 port(s), 1 worker(s), {app.n_listeners} listener(s)", ready
    # Sent once the port is started: the banner naming it was printed before.
    assert "tcpterm: port tap0 (net_tap)" in app.output()


def test_journal_lines_carry_priorities(service):
    app, _ = service
    eal = [ln for ln in app.output().splitlines() if "EAL:" in ln or "TELEMETRY:" in ln]
    conftest.note(f"[service] DPDK log line in the journal form: {eal[0] if eal else None}")
    assert eal, app.output()
    # Every DPDK line starts with a syslog priority in the journal's "<N>" form, and nothing
    # else (no colour escapes, no timestamp of its own).
    assert all(re.match(r"^<[0-7]>[A-Z_]+: [^\x1b]*$", ln) for ln in eal), eal
    assert all(not ln.startswith("<") for ln in app.output().splitlines()
               if ln.startswith("tcpterm:")), "our own lines are unprefixed (stdout, info)"


def test_stopping_on_sigterm(service):
    app, notes = service
    app.proc.send_signal(signal.SIGTERM)
    stopping = notes.wait("STOPPING", 10)
    assert stopping is not None and stopping["STOPPING"] == "1", notes.received
    assert app.wait_exit() == 0, app.output()[-2000:]
