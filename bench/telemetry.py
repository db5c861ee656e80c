#!/usr/bin/env python3
"""A running tcpterm's DPDK telemetry (the v2 socket), for bench/ scripts.

As a module: Telemetry(prefix) keeps one connection and answers query(cmd) with the command's
dict; telemetry(prefix, cmd) is one query on a fresh connection (scripts/tcpterm-ss uses it).

As a command, `telemetry.py sample --prefix P --out F [--interval S]` waits for the appliance's
/tcpterm/stats, then appends one JSON line per sample to F (/tcpterm/stats with
/tcpterm/workers under "workers", /tcpterm/conns under "conns", /tcpterm/drops as drop_* and
/tcpterm/nic as nic_*; with --pid also the process's memory under "memory_kb") until
SIGTERM/SIGINT or until the appliance goes away.  Each sample carries the appliance's own TSC ("tsc"), so bench/report.py
can take the two samples that bound a generator's load window (the generator reports that
window in the same TSC) and compute busy fraction, cycles per connection and rates from their
deltas only.
"""
import argparse
import json
import signal
import socket
import sys
import time
from pathlib import Path

RUNTIME_DIR = Path("/var/run/dpdk")


def socket_path(prefix, runtime_dir=RUNTIME_DIR):
    """Where EAL puts the telemetry socket of the process started with --file-prefix prefix."""
    return Path(runtime_dir) / prefix / "dpdk_telemetry.v2"


class Telemetry:
    def __init__(self, prefix, timeout=5, runtime_dir=RUNTIME_DIR):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(str(socket_path(prefix, runtime_dir)))
            hello = json.loads(self.sock.recv(65536))
        except (OSError, ValueError):
            self.sock.close()
            raise
        self.max_len = max(65536, hello.get("max_output_len", 0))

    def query(self, cmd):
        """The command's reply (a dict); "/cmd,params" is answered under "/cmd"."""
        self.sock.send(cmd.encode())
        reply = json.loads(self.sock.recv(self.max_len))
        value = reply.get(cmd.split(",", 1)[0])
        if not isinstance(value, dict):
            raise ValueError(f"{cmd}: {reply}")
        return value

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def telemetry(prefix, cmd):
    with Telemetry(prefix) as t:
        return t.query(cmd)


def process_memory_kb(pid):
    """What the process holds: VmRSS (its ordinary pages) and HugetlbPages (its hugepages, which
    VmRSS leaves out), in KiB, from /proc/PID/status; {} once it is gone."""
    held = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "HugetlbPages"):
                    held[key] = int(value.split()[0])
    except (OSError, ValueError):
        return {}
    return held


def wait_for(prefix, start_timeout, stop):
    """A connection once the appliance answers /tcpterm/stats; None if it did not within
    start_timeout seconds (said on stderr) or stop filled first."""
    deadline = time.monotonic() + start_timeout
    while not stop:
        t = None
        try:
            t = Telemetry(prefix)
            t.query("/tcpterm/stats")
            return t
        except (OSError, ValueError):
            # Not up yet, or up without tcpterm's commands registered yet.
            if t is not None:
                t.close()
            if time.monotonic() > deadline:
                print(f"telemetry: {prefix} never answered", file=sys.stderr)
                return None
            time.sleep(0.05)
    return None


def sample(args):
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(True))
    t = wait_for(args.prefix, args.start_timeout, stop)
    if t is None and not stop:
        return 1
    n = 0
    with open(args.out, "w") as f:
        while t is not None and not stop:
            try:
                x = t.query("/tcpterm/stats")
                x["workers"] = t.query("/tcpterm/workers")
                # Gauges by state (the overload's orphans) and the drops by reason, and the
                # NIC's losses, as nic_* counters beside the appliance's own.
                x["conns"] = t.query("/tcpterm/conns")
                x.update({f"drop_{k}": v for k, v in t.query("/tcpterm/drops").items()})
                x.update({f"nic_{k}": v for k, v in t.query("/tcpterm/nic").items()
                          if isinstance(v, int)})
                if args.pid:
                    x["memory_kb"] = process_memory_kb(args.pid)
                f.write(json.dumps(x) + "\n")
                n += 1
            except (OSError, ValueError):
                break  # the appliance has stopped
            time.sleep(args.interval)
    if t is not None:
        t.close()
    print(f"telemetry: {n} samples of {args.prefix}", file=sys.stderr)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--prefix", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--interval", type=float, default=0.1)
    s.add_argument("--pid", type=int,
                   help="also record this process's memory")
    s.add_argument("--start-timeout", type=float, default=60)
    args = ap.parse_args()
    return sample(args)


if __name__ == "__main__":
    sys.exit(main())
