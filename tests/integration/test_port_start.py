"""Port bring-up against what the driver can do: a driver that cannot set the MTU (net_ring, with
no kernel behind it) keeps its own, 1500, so a configured MTU above it is refused at start with
the port, the MTU and the driver named, and the appliance does not run; at the driver's own MTU
it starts and serves until stopped."""
import signal
import subprocess

from conftest import BINARY, _itest_prefix

CONF = """
eal = [ "--no-pci", "--no-huge", "-m", "512" ];
stats_interval_ms = 0;
workers = [ 1 ];
ports = ( {{ name = "ring0"; device = "net_ring0"; address = "198.18.0.2/24"; mtu = {mtu}; }} );
listeners = ( {{ port = 80; app = "http"; }} );
"""


def start(tmp_path, name, mtu):
    conf = tmp_path / f"{name}.conf"
    conf.write_text(CONF.format(mtu=mtu))
    return subprocess.Popen([str(BINARY), "--lcores=0@0,1@1", "--file-prefix",
                             _itest_prefix(name, "app"), "--", "-f", str(conf)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True)


def test_mtu_the_driver_cannot_set_refused(tmp_path):
    app = start(tmp_path, "ring_mtu", 9000)
    try:
        out, _ = app.communicate(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    assert app.returncode != 0, out
    assert "port ring0: MTU 9000: net_ring cannot set it and has 1500" in out, out
    assert "listening on port" not in out, out


def test_the_drivers_own_mtu_starts(tmp_path):
    app = start(tmp_path, "ring_mtu_ok", 1500)
    try:
        line = ""
        for line in app.stdout:
            if "listening on port 80" in line:
                break
        assert "listening on port 80" in line, line
    finally:
        app.send_signal(signal.SIGINT)
        out, _ = app.communicate(timeout=30)
    assert app.returncode == 0, out
