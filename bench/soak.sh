#!/usr/bin/env bash
# Soak: tcpterm under minutes (or hours) of churn of every kind, honest and not, over the
# link bench/run.sh uses (tcpterm on net_virtio_user, tcpterm-gen's soak scenario on
# net_vhost, one core each, no kernel in the path), with every bound of the appliance set
# short.  Once the load stops the appliance sits idle for its longest bound and a margin;
# then whatever is left (a connection in any state, a held buffer, an mbuf) outlived its
# bound or leaked.
#
#   bench/soak.sh [--duration S] [--rate N] [--loss P]
#
# --duration: seconds of load (default 150; 3600 for an hour), --rate: new connections a
# second (default 300), --loss: percent of the generator's received frames dropped (default
# 1).  Prints the figures and the checks (bench/soak.py); exits non-zero when one fails.
# Logs land in bench/results/soak-<date>/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=150
RATE=300
LOSS=1
usage() {
	echo "usage: bench/soak.sh [--duration S] [--rate N] [--loss P]" >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) DURATION=${2:-}; shift 2 || usage ;;
	--rate) RATE=${2:-}; shift 2 || usage ;;
	--loss) LOSS=${2:-}; shift 2 || usage ;;
	*) usage ;;
	esac
done
[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 10 && "$DURATION" -le 3600 ]] || usage
[[ "$RATE" =~ ^[0-9]+$ && "$RATE" -ge 1 ]] || usage
[[ "$LOSS" =~ ^[0-9]+(\.[0-9]+)?$ ]] || usage

scripts/setup.sh
scripts/build.sh

# The appliance's bounds, in ms: short, so that the idle wait is short too.
TIME_WAIT=2000
FIN_WAIT_2=3000
CLOSE_WAIT=3000
IDLE=5000
SYN_RECV=3000
CLOSING=4000
PERSIST=4000
HEADER=3000
# An abandoned connection lives at most its state's bound (the longest here), then a
# TIME-WAIT if its last segments took it there.
LONGEST_MS=$(printf '%s\n' $FIN_WAIT_2 $CLOSE_WAIT $IDLE $SYN_RECV $CLOSING $PERSIST $HEADER |
	sort -n | tail -1)
LONGEST=$(((LONGEST_MS + TIME_WAIT) / 1000))
IDLE_WAIT=$((LONGEST + 5))
RING=1024

OUT=$ROOT/bench/results/soak-$(date +%Y-%m-%d-%H%M%S)
TMP=$(mktemp -d /tmp/tt-soak.XXXXXX)
mkdir -p "$OUT"
SOCK=$TMP/vhost.sock
SRV_PREFIX=tt-soak-srv-$$
GEN_PREFIX=tt-soak-gen-$$
SRV_PID=
GEN_PID=
WATCH_PID=

# shellcheck disable=SC2317 # stop_pid and cleanup run from the EXIT trap
# $1 pid: SIGINT, then SIGTERM (a process still in EAL init ignores SIGINT when started in
# the background of a script), then SIGKILL.
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	for sig in INT TERM KILL; do
		kill -0 "$pid" 2>/dev/null || return 0
		kill -"$sig" "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || return 0
			sleep 0.1
		done
	done
}
# shellcheck disable=SC2317 # run from the EXIT trap
cleanup() {
	stop_pid "$GEN_PID"
	stop_pid "$WATCH_PID"
	stop_pid "$SRV_PID"
	rm -rf "$TMP" "/var/run/dpdk/$SRV_PREFIX" "/var/run/dpdk/$GEN_PREFIX"
}
trap cleanup EXIT

MEM=$(scripts/eal-mem.sh 256)
cat >"$TMP/soak.conf" <<CONF
eal = [ "--no-pci", "--single-file-segments" ];
stats_interval_ms = 0;
workers = [ 1 ];
# The generator, alone on a point-to-point link, sends from client addresses off this prefix
# (and floods from spoofed ones) with no gateway to route them: answers go back to its MAC, as
# to a router (reply_to_source_mac), not through ARP.
ports = ( { name = "virtio0";
            device = "net_virtio_user0,path=$SOCK,queues=1,queue_size=$RING,server=1";
            address = "198.18.0.2/24"; reply_to_source_mac = true; } );
listeners = ( { port = 80; app = "http"; }, { port = 7; app = "echo"; } );
http = { body_size = 16384; header_timeout_ms = $HEADER; };
tcp = { time_wait_ms = $TIME_WAIT; fin_wait_2_timeout_ms = $FIN_WAIT_2;
        close_wait_timeout_ms = $CLOSE_WAIT; idle_timeout_ms = $IDLE;
        syn_recv_timeout_ms = $SYN_RECV; closing_timeout_ms = $CLOSING;
        persist_timeout_ms = $PERSIST; rto_max_ms = 2000; max_conns_per_core = 65536;
        syncookie_threshold = 48; };
CONF
cp "$TMP/soak.conf" "$OUT/appliance.conf"

echo "soak: ${DURATION}s at ${RATE} connections/s, ${LOSS}% loss; logs in $OUT"
# Appliance worker on CPU 1, generator worker on CPU 0 (as bench/run.sh).
# shellcheck disable=SC2086
build/tcpterm --lcores=0@0,1@1 $MEM --file-prefix "$SRV_PREFIX" -- -f "$TMP/soak.conf" \
	>"$OUT/appliance.log" 2>&1 &
SRV_PID=$!
# virtio-user in server mode waits for the generator inside its probe: the socket says so.
for _ in $(seq 1 200); do
	[ -S "$SOCK" ] && break
	kill -0 "$SRV_PID" 2>/dev/null || break
	sleep 0.1
done
[ -S "$SOCK" ] || { echo "soak: the appliance did not start:" >&2; cat "$OUT/appliance.log" >&2; exit 1; }

/usr/bin/python3 bench/soak.py watch --prefix "$SRV_PREFIX" --done "$TMP/gen.done" \
	--idle "$IDLE_WAIT" --duration "$DURATION" --out "$OUT/watch.json" &
WATCH_PID=$!
# shellcheck disable=SC2086
timeout $((DURATION + 120)) build/tcpterm-gen --lcores=0@1,1@0 $MEM --single-file-segments \
	--file-prefix "$GEN_PREFIX" --no-pci -- --device "net_vhost0,iface=$SOCK,client=1,queues=1" \
	--scenario soak --duration "$DURATION" --rate "$RATE" --loss "$LOSS" --body 16384 \
	--max-conns 65536 >"$OUT/gen.json" 2>"$OUT/gen.log" &
GEN_PID=$!
GEN_RC=0
wait "$GEN_PID" || GEN_RC=$?
GEN_PID=
touch "$TMP/gen.done"
echo "soak: generator done (exit $GEN_RC); the appliance idles ${IDLE_WAIT}s"
wait "$WATCH_PID" || true
WATCH_PID=
kill -INT "$SRV_PID" 2>/dev/null || true
SRV_RC=0
for _ in $(seq 1 200); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$SRV_PID" 2>/dev/null; then
	SRV_RC=124 # ignored SIGINT: stop_pid ends it on exit
else
	wait "$SRV_PID" || SRV_RC=$?
	SRV_PID=
fi

/usr/bin/python3 bench/soak.py report --watch "$OUT/watch.json" --gen "$OUT/gen.json" \
	--gen-rc "$GEN_RC" --log "$OUT/appliance.log" --rc "$SRV_RC" --idle "$IDLE_WAIT" \
	--longest "$LONGEST" --ring "$RING" | tee "$OUT/report.txt"
exit "${PIPESTATUS[0]}"
