#!/usr/bin/env bash
# Build tcpterm and run it on its default configuration: a TAP port inside
# a network namespace this script creates (appliance 198.18.0.2/24, kernel
# side 198.18.0.1/24).  Ctrl-C stops it (tcpterm drains its connections,
# a second Ctrl-C cuts the drain short), prints the final counters and
# removes the namespace.  Extra arguments go to tcpterm after "--"
# (e.g. -f conf/examples/two-workers.conf).
#
#   --capture (first argument): EAL on a hugetlbfs mounted for this run instead of
#   --in-memory, so that dpdk-dumpcap can attach to the running appliance (the command to use
#   is printed); the mount and its page files go away with the run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh

NS=tcpterm-run
PREFIX="tt-run-$$"
PID=
OWN_NS=
HUGE_DIR=
if [ "${1:-}" = --capture ]; then
	shift
	HUGE_DIR=/run/tcpterm-run-$$-huge
	TCPTERM_HUGE_DIR=$HUGE_DIR TCPTERM_HUGEPAGES=${TT_HUGEPAGES:-512} scripts/tcpterm-hugepages
	export TT_HUGE_DIR=$HUGE_DIR
fi
cleanup() {
	if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
		# tcpterm has a session of its own, so Ctrl-C (or SIGTERM) reaches it only from here:
		# once to drain, once more to reset what is left.  wait returns early on each one.
		trap 'kill -INT "$PID" 2>/dev/null || true' INT TERM
		kill -INT "$PID" 2>/dev/null || true
		while kill -0 "$PID" 2>/dev/null; do
			wait "$PID" 2>/dev/null || true
		done
	fi
	if [ -n "$OWN_NS" ]; then
		ip netns del "$NS" 2>/dev/null || true
	fi
	if [ -n "$HUGE_DIR" ]; then
		umount "$HUGE_DIR" 2>/dev/null && rmdir "$HUGE_DIR"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One left by a run that was killed goes; one with processes in it is another run's.
if ip netns list | grep -qx "$NS\( .*\)\?"; then
	if [ -n "$(ip netns pids "$NS" 2>/dev/null)" ]; then
		echo "run.sh: network namespace $NS is in use by another run (stop it first)" >&2
		exit 1
	fi
	ip netns del "$NS"
fi
ip netns add "$NS"
OWN_NS=1
ip netns exec "$NS" ip link set lo up
# The TAP device is born inside the namespace because tcpterm starts there.
# setsid: a Ctrl-C in the terminal must not reach tcpterm as well as the signal cleanup sends,
# or the second one would cut the drain short.
# shellcheck disable=SC2046
ip netns exec "$NS" setsid ./build/tcpterm $(scripts/eal-mem.sh 256) --file-prefix "$PREFIX" -- "$@" &
PID=$!
for _ in $(seq 1 100); do
	ip netns exec "$NS" ip link show tt0 >/dev/null 2>&1 && break
	kill -0 "$PID" 2>/dev/null || exit 1
	sleep 0.1
done
ip netns exec "$NS" ip addr add 198.18.0.1/24 dev tt0
ip netns exec "$NS" ip link set tt0 up
cat <<MSG

tcpterm is running in network namespace $NS. Try:
  ip netns exec $NS curl http://198.18.0.2/
  ip netns exec $NS ping -c 3 198.18.0.2
  ip netns exec $NS wrk -t1 -c10 -d5s http://198.18.0.2/
Ctrl-C to stop.

MSG
if [ -n "$HUGE_DIR" ]; then
	cat <<MSG
Capture (from another terminal; Ctrl-C ends it, then read the file):
  dpdk-dumpcap --file-prefix=$PREFIX -i net_tap0 -p -w /tmp/tcpterm.pcapng
  tshark -r /tmp/tcpterm.pcapng

MSG
fi
wait "$PID"
