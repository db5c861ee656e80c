"""Two workers, one queue pair each on the TAP port: every flow stays with one worker (the
kernel keeps a flow on one queue) and nothing is shared, so many parallel connections must all
complete, with no state or buffer left behind on either worker."""
import os
import re
import signal
import subprocess
import time

from conftest import APPLIANCE_IP, appliance_fixture, connect, filler

BODY = 128

# Three lcores on this 2-CPU machine: the main lcore shares CPU 0 with worker 1.
app = appliance_fixture("two_workers", body_size=BODY, workers=[1, 2],
                        eal=["--no-pci", "--lcores=0@0,1@0,2@1"])


def test_two_queues_configured(app):
    log = app.log_path.read_text()
    assert re.search(r"port tap0 .* 2 queue\(s\)", log), log
    assert "2 worker(s)" in log, log


def test_many_connections_each_answered(app):
    for _ in range(40):
        with connect(80, timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        assert data.endswith(filler(BODY)), data[:200]


def test_wrk_parallel_connections(app):
    out = subprocess.run(["wrk", "-t2", "-c32", "-d2s", "-H", "Connection: close",
                          f"http://{APPLIANCE_IP}/"], capture_output=True, text=True,
                         timeout=30).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    assert requests > 0, out
    assert "Socket errors" not in out, out
    assert "Non-2xx" not in out, out


def test_cycles_per_worker(app):
    """/tcpterm/workers: each worker's busy and idle cycles, and between two samples they add up
    to the TSC cycles that passed (an iteration's end is the next one's start); of the busy ones,
    those in the port's calls, which the workers' sums in /tcpterm/stats are made of."""
    a = app.telemetry("/tcpterm/workers")
    time.sleep(0.5)
    b = app.telemetry("/tcpterm/workers")
    keys = ("busy_cycles", "idle_cycles", "port_rx_cycles", "port_tx_cycles",
            "idle_port_rx_cycles")
    assert all(len(a[k]) == 2 for k in keys), a
    elapsed = b["tsc"] - a["tsc"]
    for w in range(2):
        spent = (b["busy_cycles"][w] - a["busy_cycles"][w] +
                 b["idle_cycles"][w] - a["idle_cycles"][w])
        assert abs(spent - elapsed) < 0.03 * elapsed, (w, a, b)
        assert b["port_rx_cycles"][w] + b["port_tx_cycles"][w] < b["busy_cycles"][w], (w, b)
        # An idle iteration is its empty receive call and the loop around it.
        idle_rx = b["idle_port_rx_cycles"][w] - a["idle_port_rx_cycles"][w]
        assert 0 < idle_rx < b["idle_cycles"][w] - a["idle_cycles"][w], (w, a, b)
    st = app.telemetry("/tcpterm/stats")
    for k in ("port_rx_cycles", "port_tx_cycles", "idle_port_rx_cycles"):
        # The sum is taken after the per-worker sample: it can only have grown.
        assert st[k] >= sum(b[k]) > 0, (k, st, b)


def test_port_cycles_within_busy(app):
    """/tcpterm/stats: of the busy cycles, those inside the port's receive and send calls.  A
    request answered puts some in both; they never reach the busy cycles they are part of, on
    a port idle most of the time (an idle iteration's empty receive call counts as idle)."""
    with connect(80, timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        while s.recv(65536):
            pass
    st = app.telemetry("/tcpterm/stats")
    assert st["port_rx_cycles"] > 0 and st["port_tx_cycles"] > 0, st
    assert st["port_rx_cycles"] + st["port_tx_cycles"] < st["busy_cycles"], st


def test_stalls_counted(app):
    """An iteration the host holds up is counted: the appliance stopped for 50 ms (SIGSTOP, as
    a host that takes the CPUs) ends one iteration of each worker at 1 ms or more, which is
    also at 100 us or more."""
    a = app.telemetry("/tcpterm/stats")
    os.kill(app.proc.pid, signal.SIGSTOP)
    try:
        time.sleep(0.05)
    finally:
        os.kill(app.proc.pid, signal.SIGCONT)
    time.sleep(0.1)
    b = app.telemetry("/tcpterm/stats")
    over_1ms = b["loops_over_1ms"] - a["loops_over_1ms"]
    assert over_1ms >= 2, (a, b)
    assert b["loops_over_100us"] - a["loops_over_100us"] >= over_1ms, (a, b)


def test_final_counters(app):
    final = app.finish()
    assert final["conn_opened"] >= 40
    assert final["port_rx_cycles"] > 0 and final["port_tx_cycles"] > 0, final
