#!/usr/bin/env bash
# Benchmarks: tcpterm against tcpterm-gen over virtio-user <-> vhost-user
# (no kernel in the path), one core each, with the link's own limit and the
# Linux kernel (nginx + wrk on loopback) measured in the same run.
#
#   bench/run.sh [--quick]            SCENARIOS="cps cps_table_full" for some only
#   SCENARIOS=overload bench/run.sh     graceful overload: 2x capacity offered (cps_vhost runs first)
#   SCENARIOS=open_loop bench/run.sh    the same client at 0.75x capacity (with overload by default)
#
# Writes bench/results/<date>/results.json, results.md, report.html (one page with every chart,
# bench/report_html.py) and PNG plots.
# Every figure is the median of RUNS runs (3).  The appliance's figures come
# from its telemetry sampled during each run (bench/telemetry.py), taken
# between the two samples that bound the generator's load window; the
# generator reports its own window.  The cps, rps and synflood scenarios (cps alone with
# --quick; PROFILE_SCENARIOS="..." to choose) get one more run under `perf record` on the
# appliance's worker thread for the profile.
# --quick runs are short transients: smoke figures, not capacity.
#
# Exits non-zero when a run shows a correctness failure (failed connections
# without a flood, bad response bytes, connections left after timers expire,
# a process that exits with a non-zero status or a measurement that could
# not be taken); never because a number is low.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
case "${1:-}" in
--quick) QUICK=1 ;;
"") ;;
*) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
esac
RUNS=${RUNS:-3}
if [ "$QUICK" = 1 ]; then DUR=2; CONC=${CONC:-20000}; else DUR=10; CONC=${CONC:-1000000}; fi
# The scenarios that get a profile run (see profile): a full run profiles each per-core goal's.
if [ "$QUICK" = 1 ]; then PROFILE_SCENARIOS=${PROFILE_SCENARIOS:-cps}; else
	PROFILE_SCENARIOS=${PROFILE_SCENARIOS:-cps rps synflood}; fi
CONC_RATE=${CONC_RATE:-50000}
# Seconds of a link run after each scenario run (0: none): see scenario.
LINK_SAMPLE_S=${LINK_SAMPLE_S:-$((QUICK ? 2 : 3))}
# The scenarios whose every run is followed by the same client against a responder with no TCP
# state in the appliance's place (see responder_run); on the default link only.
RESPONDER_SCENARIOS=${RESPONDER_SCENARIOS-cps cps_server_close rps synflood}

scripts/setup.sh --bench
scripts/build.sh

OUT=$ROOT/bench/results/$(date +%Y-%m-%d-%H%M%S)
RAW=$OUT/raw
TMP=$(mktemp -d /tmp/tt-bench.XXXXXX)
mkdir -p "$RAW"
PIDS=()
cleanup() {
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill -INT "$p" 2>/dev/null || true
	done
	sleep 0.5
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$TMP" /var/run/dpdk/tt-bench-*-$$
}
# $1 pid, $2 file: waits for the process and writes its exit status into the file.
reap() {
	local rc=0
	wait "$1" 2>/dev/null || rc=$?
	echo "$rc" >"$2"
}
trap cleanup EXIT

MEM=$(scripts/eal-mem.sh 384)
SOCK=$TMP/vhost.sock
# The link's two ends: the appliance on net_virtio_user and the generator on net_vhost, whose PMD
# copies every frame both ways (APPLIANCE_SIDE=virtio, the default), or turned around
# (APPLIANCE_SIDE=vhost: the appliance pays the copies, and the generator has the cycles to offer
# it twice what it can take; the overload scenario's), or memif (APPLIANCE_SIDE=memif: the
# appliance a zero-copy client, the generator the server that copies both ways).  On memif the
# generator's end listens on the socket, so it starts first, and it stays (--linger) until the
# appliance has stopped: net_memif (DPDK 22.11) can fault in a burst call of the end still
# polling while it tears down a link whose other end closed.
# The appliance's receive on virtio-user (VIRTIO_RX): "plain", the default, is virtio's plain
# receive (mrg_rxbuf=0, vectorized=1) with the appliance's checksum offloads off, so that no PMD
# code reads a received buffer (the worker's burst prefetch takes the first read) and the vhost
# side handles no offload for the appliance's frames; "offload" is the mergeable receive with the
# checksum offloads, as before 2026-12-04 (bench/README.md has the two measured).
case "${VIRTIO_RX:=plain}" in
plain) VIRTIO_APP_ARGS=",mrg_rxbuf=0,vectorized=1" VIRTIO_APP_CKSUM=off ;;
offload) VIRTIO_APP_ARGS="" VIRTIO_APP_CKSUM=auto ;;
*) echo "bench: VIRTIO_RX is plain or offload" >&2; exit 2 ;;
esac
link_devices() {
	LINK_SIDE=$1
	APP_CKSUM=auto
	case "$1" in
	vhost)
		APP_DEV="net_vhost0,iface=$SOCK,queues=1"
		GEN_DEV="net_virtio_user0,path=$SOCK,queues=1,queue_size=1024" ;;
	memif)
		APP_DEV="net_memif0,role=client,socket=$SOCK,socket-abstract=no,zero-copy=yes"
		GEN_DEV="net_memif0,role=server,socket=$SOCK,socket-abstract=no" ;;
	*)
		APP_DEV="net_virtio_user0,path=$SOCK,queues=1,queue_size=1024,server=1$VIRTIO_APP_ARGS"
		APP_CKSUM=$VIRTIO_APP_CKSUM
		GEN_DEV="net_vhost0,iface=$SOCK,client=1,queues=1" ;;
	esac
}
link_devices "${APPLIANCE_SIDE:-virtio}"
echo "$VIRTIO_RX" >"$RAW/virtio_rx"
SRV_LCORES="--lcores=0@0,1@1" # appliance: worker on CPU 1
GEN_LCORES="--lcores=0@1,1@0" # generator: worker on CPU 0
# The telemetry sampler and bench/shed_turns.py run beside the generator's worker, which has the
# cycles to spare (0.5-0.7 busy): left to the scheduler, their wake-ups every 0.1 s also preempt
# the appliance's worker, and the time it is off its CPU counts in its busy or idle cycles.
HELPER_CPU=0

# $1 name, $2 http body bytes, $3 syncookie mode, $4 max connections
write_conf() {
	cat >"$TMP/$1.conf" <<CONF
eal = [ "--no-pci", "--single-file-segments" ];
stats_interval_ms = 0;
workers = [ 1 ];
# The generator, alone on a point-to-point link, sends from client addresses off this prefix
# (and floods from spoofed ones) with no gateway to route them: answers go back to its MAC, as
# to a router (reply_to_source_mac), not through ARP.
ports = ( { name = "virtio0"; device = "$APP_DEV";
            address = "198.18.0.2/24"; reply_to_source_mac = true;
            checksum_offload = "$APP_CKSUM"; } );
listeners = ( { port = 80; app = "http"; } );
http = { body_size = $2; };
tcp = { time_wait_ms = ${TIME_WAIT_MS:-1000}; syncookies = "$3"; max_conns_per_core = $4;
        rcv_window = 1048576; wscale = 7; idle_timeout_ms = 600000;
        syn_shed_full_polls = ${SYN_SHED_FULL_POLLS:-4}; };
CONF
}

# $1 pid of the process whose end makes the socket: true once it is there, false if the process
# ended or 20 s passed.
wait_socket() {
	for _ in $(seq 1 200); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

SRV_PID=
SAMPLER_PID=
SRV_PREFIX=tt-bench-srv-$$
start_appliance() { # $1 conf name, $2 log, $3 telemetry samples (none: not sampled)
	[ "$LINK_SIDE" = memif ] || rm -f "$SOCK"
	# shellcheck disable=SC2086
	build/tcpterm $SRV_LCORES $MEM --file-prefix "$SRV_PREFIX" -- -f "$TMP/$1.conf" >"$2" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	SAMPLER_PID=
	if [ -n "${3:-}" ]; then
		taskset -c "$HELPER_CPU" /usr/bin/python3 bench/telemetry.py sample \
			--prefix "$SRV_PREFIX" --pid "$SRV_PID" \
			--out "$3" 2>"$3.log" &
		SAMPLER_PID=$!
		PIDS+=("$SAMPLER_PID")
	fi
	# The appliance's end listens on the socket (virtio-user in server mode waits in its probe
	# for the generator; vhost listens by default): the socket is the sign it is ready for the
	# generator to connect (which then waits for ARP).  On memif the generator's end made it.
	wait_socket "$SRV_PID" && return 0
	echo "bench: the appliance did not start:" >&2
	cat "$2" >&2
	return 1
}

# $1 log: waits for TIME-WAIT (1 s) to expire first; the exit status goes into $1.rc
# (a SIGKILL after 10 s of drain shows there as 137).
stop_appliance() {
	if [ -n "$SAMPLER_PID" ]; then
		kill -TERM "$SAMPLER_PID" 2>/dev/null || true
		wait "$SAMPLER_PID" 2>/dev/null || true
	fi
	sleep 2
	kill -INT "$SRV_PID" 2>/dev/null || true
	for _ in $(seq 1 100); do kill -0 "$SRV_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$SRV_PID" 2>/dev/null || true
	reap "$SRV_PID" "$1.rc"
	grep -q "final counters" "$1" || echo "bench: no final counters in $1" >&2
	[ "$(cat "$1.rc")" = 0 ] || echo "bench: the appliance exited with status $(cat "$1.rc") ($1)" >&2
}

# $1 output json, rest: generator options; runs in the background with its pid in GEN_PID,
# finish_gen waits for it.  The rate runs leave checksums to the link both ways, as a NIC would
# (GEN_CHECKSUM_OFFLOAD=off: the generator computes and verifies every one in software, as the
# soak's correctness run does).
GEN_PID=
start_gen() {
	local out=$1
	shift
	# shellcheck disable=SC2086
	timeout $((DUR + ${GEN_EXTRA_S:-0} + 120)) build/tcpterm-gen $GEN_LCORES $MEM --single-file-segments \
		--file-prefix "tt-bench-gen-$$" --no-pci -- \
		--device "$GEN_DEV" --duration "$DUR" \
		--checksum-offload "${GEN_CHECKSUM_OFFLOAD:-auto}" "$@" \
		>"$out" 2>"$out.log" &
	GEN_PID=$!
	PIDS+=("$GEN_PID")
}

# $1 output json. Exit status 3 means some connections failed (counted in the result, judged
# by report.py per scenario); any other non-zero status is a failed run.
finish_gen() {
	local out=$1
	reap "$GEN_PID" "$out.rc"
	tail -n 1 "$out" | grep -q '^{' || { echo "bench: generator gave no result ($out.log):" >&2; tail -5 "$out.log" >&2; }
	case "$(cat "$out.rc")" in 0 | 3) ;; *) echo "bench: the generator exited with status $(cat "$out.rc") ($out)" >&2 ;; esac
}

run_gen() {
	start_gen "$@"
	finish_gen "$1"
}

# On memif: the generator starts first (its end makes the socket) and stays after its result
# (--linger) until stop_both has stopped the appliance.  $1 output json, rest: generator options.
start_gen_first() {
	rm -f "$SOCK"
	start_gen "$@" --linger 60
	wait_socket "$GEN_PID" && return 0
	echo "bench: the generator did not start:" >&2
	tail -5 "$1.log" >&2
	return 1
}

# $1 the generator's output json, $2 the appliance's log: once the generator's result is out, the
# appliance stops, then the generator.  The wait blocks on the file (tail -f sleeps on inotify,
# ends with the generator or the time limit) rather than polling it: a poll's three processes
# every 0.2 s took 3-5% of each CPU from the workers inside the load window, and the appliance's
# busy fraction swung between 0.8 and 0.99 from one 0.1 s sample to the next (bench/README.md).
stop_both() {
	grep -q -m 1 '^{' < <(timeout $((DUR + ${GEN_EXTRA_S:-0} + 130)) \
		tail -n +1 -f --pid="$GEN_PID" "$1" 2>/dev/null) || true
	stop_appliance "$2"
	kill -INT "$GEN_PID" 2>/dev/null || true
	finish_gen "$1"
}

# The appliance CPU's clock against the TSC (tcpterm-trace --clock, a tenth of a second), appended
# to $1: on a VM the host moves it from second to second, and every cycle figure counts in TSC
# cycles, so results.md prints it beside them.
clock_sample() {
	taskset -c 1 build/tcpterm-trace --clock >>"$1"
}

# With SHED_TURNS=K in the environment (tcpterm-gen --alternate's runs), bench/shed_turns.py sets
# the appliance's tcp.syn_shed_full_polls to 0 as each closed-loop turn begins and to K as each
# open-loop one does, through its configuration file ($1) and a reload; its log of the turns goes
# to $2.  It ends when the appliance stops answering.
SHED_PID=
start_shed_turns() {
	[ -n "${SHED_TURNS:-}" ] || return 0
	taskset -c "$HELPER_CPU" /usr/bin/python3 bench/shed_turns.py --prefix "$SRV_PREFIX" \
		--conf "$TMP/$1.conf" \
		--shed "$SHED_TURNS" --out "$2" --duration $((DUR + ${GEN_EXTRA_S:-0} + 200)) \
		2>"$2.log" &
	SHED_PID=$!
	PIDS+=("$SHED_PID")
}
finish_shed_turns() {
	[ -n "$SHED_PID" ] || return 0
	wait "$SHED_PID" 2>/dev/null || true
	SHED_PID=
}

# The generator's run of a scenario ($1 output json prefix, $2 body, rest: the generator's
# options) against a responder that keeps no TCP state (tcpterm-gen --scenario respond,
# bench/gen/gen_responder.h), its loop on the appliance's worker CPU, on the appliance's port with
# its checksum settings: each reply computed from the segment it answers, no table, no timer.
# Its busy cycles per unit are what the port's calls, the parse and the replies cost with nothing
# kept; report.py sets them beside the appliance's run just before, in the same minutes.
# $1.json: the responder's result, $1.gen.json the generator's.
responder_run() {
	local out=$1 body=$2 close=client rsp
	shift 2
	case " $* " in *" --close server "*) close=server ;; esac
	rm -f "$SOCK"
	# shellcheck disable=SC2086
	timeout $((DUR + ${GEN_EXTRA_S:-0} + 150)) build/tcpterm-gen --lcores=0@1 $MEM \
		--single-file-segments --file-prefix "tt-bench-rsp-$$" --no-pci -- --scenario respond \
		--duration $((DUR + ${GEN_EXTRA_S:-0} + 140)) --device "$APP_DEV" \
		--checksum-offload "$APP_CKSUM" --body "$body" --close "$close" \
		>"$out.json" 2>"$out.log" &
	rsp=$!
	PIDS+=("$rsp")
	if wait_socket "$rsp"; then
		run_gen "$out.gen.json" --body "$body" "$@"
	else
		echo "bench: the responder did not start ($out.log)" >&2
	fi
	kill -INT "$rsp" 2>/dev/null || true
	reap "$rsp" "$out.json.rc"
}

# One TCP scenario: $1 name, $2 body, $3 cookies, $4 max conns, rest: generator options.
# SCENARIOS="cps rps" in the environment runs only those (the link and Linux references too).
scenario() {
	local name=$1 body=$2 cookies=$3 maxc=$4
	shift 4
	case " ${SCENARIOS:-$name} " in *" $name "*) ;; *) return 0 ;; esac
	write_conf "$name" "$body" "$cookies" "$maxc"
	for r in $(seq 1 "$RUNS"); do
		echo "bench: $name run $r/$RUNS"
		clock_sample "$RAW/$name.$r.clock.jsonl"
		if [ "$LINK_SIDE" = memif ]; then
			start_gen_first "$RAW/$name.$r.gen.json" --body "$body" --max-conns "$maxc" "$@"
			start_appliance "$name" "$RAW/$name.$r.appliance.log" "$RAW/$name.$r.samples.jsonl"
			start_shed_turns "$name" "$RAW/$name.$r.turns.jsonl"
			stop_both "$RAW/$name.$r.gen.json" "$RAW/$name.$r.appliance.log"
		else
			start_appliance "$name" "$RAW/$name.$r.appliance.log" "$RAW/$name.$r.samples.jsonl"
			start_shed_turns "$name" "$RAW/$name.$r.turns.jsonl"
			run_gen "$RAW/$name.$r.gen.json" --body "$body" --max-conns "$maxc" "$@"
			stop_appliance "$RAW/$name.$r.appliance.log"
		fi
		finish_shed_turns
		clock_sample "$RAW/$name.$r.clock.jsonl"
		# The link's own cost per frame in the same minutes as the run, for report.py's floor
		# table: on this host it moved threefold between invocations a minute apart.
		if [ "$LINK_SAMPLE_S" -gt 0 ] && [ "$LINK_SIDE" != vhost ]; then
			link_run "$RAW/$name.$r.link" "$LINK_SAMPLE_S"
		fi
		if [ "$LINK_SIDE" = virtio ]; then
			case " $RESPONDER_SCENARIOS " in
			*" $name "*) responder_run "$RAW/$name.$r.rsp" "$body" --max-conns "$maxc" "$@" ;;
			esac
		fi
	done
	case " $PROFILE_SCENARIOS " in *" $name "*) profile "$name" "$body" "$maxc" "$@" ;; esac
	return 0
}

# $1 pid: its worker thread, which DPDK 22.11 names rte-worker-N (later releases lcore-worker-N).
# No fallback to the busiest thread: a large table's set-up makes the main thread the busiest for
# seconds into the load, and a profile of the wrong thread would be reported as the worker's.
worker_tid() {
	local t
	for t in /proc/"$1"/task/*; do
		case "$(cat "$t/comm" 2>/dev/null)" in rte-worker-* | lcore-worker-*) basename "$t"; return 0 ;; esac
	done
	return 1
}

# One more run of the scenario with perf sampling the appliance's worker (cpu-clock: this VM
# has no hardware counters) from the second second of load to one before its end; perf itself
# runs on the generator's CPU.  PROFILE_SIDE=gen samples the generator's worker instead, with
# perf on the appliance's CPU.  Its figures are not among the measured runs.  A quick run's
# profile loads for 4 s: of a 2 s load, the one second sampled began late enough (perf's start)
# to catch mostly the idle after it (the worker loop's own polls, 48-64% of its samples).
profile() {
	local name=$1 body=$2 maxc=$3 out=$RAW/profile-$1 tid secs perf_cpu pdur=$DUR
	shift 3
	[ "$QUICK" = 1 ] && pdur=4 && set -- "$@" --duration "$pdur"
	if ! command -v perf >/dev/null; then
		echo "perf not installed (Debian: linux-perf)" >"$out.txt"
		return 0
	fi
	echo "bench: $name profile run"
	if [ "$LINK_SIDE" = memif ]; then
		start_gen_first "$out.gen.json" --body "$body" --max-conns "$maxc" "$@"
		start_appliance "$name" "$out.appliance.log" "$out.samples.jsonl"
	else
		start_appliance "$name" "$out.appliance.log" "$out.samples.jsonl"
		start_gen "$out.gen.json" --body "$body" --max-conns "$maxc" "$@"
	fi
	for _ in $(seq 1 300); do
		grep -q '^t=1s' "$out.gen.json.log" 2>/dev/null && break
		kill -0 "$GEN_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ "${PROFILE_SIDE:-appliance}" = gen ]; then
		# GEN_PID is timeout(1); the generator is its child.
		tid=$(worker_tid "$(ps -o pid= --ppid "$GEN_PID" | tr -d " ")") perf_cpu=1 || tid=''
	else
		tid=$(worker_tid "$SRV_PID") perf_cpu=0 || tid=''
	fi
	secs=$((pdur - 2))
	if [ -n "$tid" ]; then
		echo "${PROFILE_SIDE:-appliance} worker thread $tid, $secs s from the second second of load" >"$out.txt"
		taskset -c "$perf_cpu" perf record -q -e cpu-clock -F 2999 -g -t "$tid" -o "$out.perf.data" \
			-- sleep "$secs" >>"$out.txt" 2>&1 || true
	else
		echo "no ${PROFILE_SIDE:-appliance} worker thread (rte-worker-N) found" >"$out.txt"
	fi
	if [ "$LINK_SIDE" = memif ]; then
		stop_both "$out.gen.json" "$out.appliance.log"
	else
		finish_gen "$out.gen.json"
		stop_appliance "$out.appliance.log"
	fi
	# By object first (the PMD's share against ours), then every function (report.py sums them
	# by part of the work, by name or by the object tcpterm's listing below puts them in; a PMD
	# without symbols lists hundreds of addresses).
	# objdump, not nm: nm reads a link-time-optimised object's own symbol table, which names no
	# static function; the code beside it does (fat objects, meson.build).  Each function as
	# `OBJECT.o: ADDRESS t NAME`, the form of `nm -A`.
	objdump -t build/libtt_*.a build/tcpterm.p/*.o 2>/dev/null |
		awk '/\.o: +file format/ { o = $1 } / F \.text/ { print o " " $1 " t " $NF }' \
			>"$RAW/symbols.txt" || true
	perf report -i "$out.perf.data" --stdio --no-children -g none --sort dso \
		--percent-limit 0.1 >>"$out.txt" 2>/dev/null || true
	perf report -i "$out.perf.data" --stdio --no-children -g none --sort dso,sym \
		>>"$out.txt" 2>/dev/null || true
	[ -n "${PROFILE_KEEP:-}" ] || rm -f "$out.perf.data" "$out.perf.data.old"
}

# The link's own limit: a reflector on the appliance's end, a blaster on the generator's, for $2
# seconds, writing $1.gen.json, $1.reflect.json and their exit statuses.  On memif the blaster
# starts first and stays (--linger) until the reflector has stopped (see link_devices).  Their
# frames are TCP segments, and each end's port is set as in the rate runs: the reflector's as the
# appliance's (on virtio-user, VIRTIO_RX's receive and checksum offloads), the blaster's checksum
# offloads as the generator's (GEN_CHECKSUM_OFFLOAD).
link_run() {
	local out=$1 dur=$2 refl_dev="net_virtio_user0,path=$SOCK,queues=1,server=1$VIRTIO_APP_ARGS"
	local blast_dev="net_vhost0,iface=$SOCK,client=1,queues=1" blast='' rc=0 refl
	local gen_ck=${GEN_CHECKSUM_OFFLOAD:-auto} refl_ck=$VIRTIO_APP_CKSUM
	[ "$LINK_SIDE" = memif ] && refl_dev=$APP_DEV blast_dev=$GEN_DEV refl_ck=auto
	rm -f "$SOCK"
	if [ "$LINK_SIDE" = memif ]; then
		# shellcheck disable=SC2086
		timeout $((dur + 90)) build/tcpterm-gen --lcores=0@0 $MEM --single-file-segments \
			--file-prefix "tt-bench-blast-$$" --no-pci -- --scenario blast --duration "$dur" \
			--linger 60 --device "$blast_dev" --checksum-offload "$gen_ck" >"$out.gen.json" \
			2>"$out.gen.log" &
		blast=$!
		PIDS+=("$blast")
		wait_socket "$blast" || echo "bench: the link run's blaster did not start" >&2
	fi
	# shellcheck disable=SC2086
	build/tcpterm-gen --lcores=0@1 $MEM --single-file-segments --file-prefix "tt-bench-refl-$$" \
		--no-pci -- --scenario reflect --duration $((dur + 10)) \
		--device "$refl_dev" --checksum-offload "$refl_ck" >"$out.reflect.json" 2>&1 &
	refl=$!
	PIDS+=("$refl")
	if [ "$LINK_SIDE" = memif ]; then
		for _ in $(seq 1 $(((dur + 60) * 5))); do
			tail -n 1 "$out.gen.json" 2>/dev/null | grep -q '^{' && break
			kill -0 "$blast" 2>/dev/null || break
			sleep 0.2
		done
		kill -INT "$refl" 2>/dev/null || true
		reap "$refl" "$out.reflect.json.rc"
		kill -INT "$blast" 2>/dev/null || true
		reap "$blast" "$out.gen.json.rc"
		return 0
	fi
	sleep 2
	# shellcheck disable=SC2086
	timeout $((dur + 30)) build/tcpterm-gen --lcores=0@0 $MEM --single-file-segments \
		--file-prefix "tt-bench-blast-$$" --no-pci -- --scenario blast --duration "$dur" \
		--device "$blast_dev" --checksum-offload "$gen_ck" >"$out.gen.json" \
		2>"$out.gen.log" || rc=$?
	echo "$rc" >"$out.gen.json.rc"
	kill -INT "$refl" 2>/dev/null || true
	reap "$refl" "$out.reflect.json.rc"
}

link_limit() {
	for r in $(seq 1 "$RUNS"); do
		echo "bench: link run $r/$RUNS"
		link_run "$RAW/link.$r" "$DUR"
	done
}

linux_reference() {
	local body conf=$TMP/nginx.conf
	body=$(printf 'abcdefghijklmnopqrstuvwxyz%.0s' 1 2 3 | cut -c1-64)
	mkdir -p "$TMP/nginx"
	cat >"$conf" <<NGINX
worker_processes 1;
worker_cpu_affinity 01;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $TMP/nginx; proxy_temp_path $TMP/nginx; fastcgi_temp_path $TMP/nginx;
    uwsgi_temp_path $TMP/nginx; scgi_temp_path $TMP/nginx;
    server {
        listen 127.0.0.1:18080 reuseport backlog=4096;
        location / { default_type text/plain; return 200 "$body"; }
    }
}
NGINX
	nginx -c "$conf" -p "$TMP/nginx" -g 'daemon off;' &
	local ngx=$!
	PIDS+=("$ngx")
	sleep 1
	for r in $(seq 1 "$RUNS"); do
		echo "bench: linux run $r/$RUNS"
		taskset -c 1 wrk -t1 -c64 -d"${DUR}s" http://127.0.0.1:18080/ >"$RAW/linux_keepalive.$r.txt" 2>&1 || true
		taskset -c 1 wrk -t1 -c64 -d"${DUR}s" -H "Connection: close" http://127.0.0.1:18080/ \
			>"$RAW/linux_close.$r.txt" 2>&1 || true
	done
	kill -QUIT "$ngx" 2>/dev/null || true
	wait "$ngx" 2>/dev/null || true
}

# tcpterm's own work replayed warm (bench/trace/tt_trace.c, natively on the appliance's CPU): the
# worker's parse and the stack's calls for the cps, rps and synflood units, every line in cache
# and no PMD; report.py sets them beside the rate runs' busy cycles outside the port's calls.
replay() {
	local scale=$((QUICK ? 1 : 10)) sums=offload
	# The appliance's checksums as its port in the rate runs has them: in software with
	# VIRTIO_RX=plain, and on memif, which offers no checksum offload.
	if [ "$APP_CKSUM" = off ] || [ "$LINK_SIDE" = memif ]; then sums=software; fi
	for r in $(seq 1 "$RUNS"); do
		TT_TRACE_CHECKSUMS=$sums taskset -c 1 build/tcpterm-trace $((40000 * scale)) 64 \
			>"$RAW/replay.cps.$r.json"
		TT_TRACE_CHECKSUMS=$sums taskset -c 1 build/tcpterm-trace --keepalive 64 \
			$((400000 * scale)) >"$RAW/replay.rps.$r.json"
		TT_TRACE_CHECKSUMS=$sums taskset -c 1 build/tcpterm-trace --synflood \
			$((200000 * scale)) >"$RAW/replay.synflood.$r.json"
	done
	clock_sample "$RAW/replay.clock.jsonl"
}

link_limit
replay
# cps: the client is tcpterm-gen --stateless (replies computed from the segment they answer, every
# response compared with the fully checked reference, each connection counted once by its port,
# a SYN the saturated appliance shed sent again after 20 ms), which a core runs faster than the
# appliance: 512 (CPS_CONNS) connections in flight keep the appliance's RX queue from running dry,
# so it saturates first.  CPS_CLIENT=stateful runs the project's stack as the client instead
# (its 1 s TIME-WAIT table of ~800 k entries makes it the bottleneck).  A closed loop never has
# more frames in flight than the RX ring holds (two per connection at most, 1024 descriptors), so
# these runs turn SYN shedding off (SYN_SHED_FULL_POLLS=0): its full-poll detector cannot tell
# the loop's waves from overload and sheds them (bench/README.md); the overload scenario keeps it.
cps_client=(--stateless)
[ "${CPS_CLIENT:-stateless}" = stateful ] && cps_client=()
cps_conns=${CPS_CONNS:-512}
SYN_SHED_FULL_POLLS=${SYN_SHED_FULL_POLLS:-0} scenario cps 64 auto "${CPS_MAX_CONNS:-1048576}" --scenario cps \
	--rate 0 --conns "$cps_conns" --close client "${cps_client[@]}"
SYN_SHED_FULL_POLLS=${SYN_SHED_FULL_POLLS:-0} scenario cps_server_close 64 auto "${SERVER_CLOSE_MAX_CONNS:-1048576}" \
	--scenario cps --rate 0 --conns "$cps_conns" --close server "${cps_client[@]}"
# cps_table_full: the appliance closes first into a 60 s TIME-WAIT and its table holds 16384, so
# it is full within a fraction of a second and every new connection recycles the oldest entry;
# connections/s must hold steady for a minute (the quick run's few seconds only smoke-test it).
TIME_WAIT_MS=60000 scenario cps_table_full 64 auto 16384 --scenario cps --rate 0 --conns 512 \
	--close server --duration "$([ "$QUICK" = 1 ] && echo "$DUR" || echo 60)"
# rps: RPS_CONNS (512) connections, one request in flight on each: enough that the round trip
# over the link does not bound the rate (64 left both sides half idle).  The client is
# tcpterm-gen --stateless (keep-alive: each whole response answered with the next request,
# computed from it), which a core runs faster than the appliance; RPS_CLIENT=stateful runs the
# project's stack as the client instead (it keeps request latency histograms, and saturates
# with the appliance).  RPS_BODY: the response body's bytes (64).
rps_client=(--stateless)
[ "${RPS_CLIENT:-stateless}" = stateful ] && rps_client=()
scenario rps "${RPS_BODY:-64}" auto 65536 --scenario rps --conns "${RPS_CONNS:-512}" --pipeline 1 "${rps_client[@]}"
# rps_pipelined: RPS_PIPELINED_CONNS (512) connections with eight requests in flight on each, sent
# and answered eight to a segment, by the same client as rps (RPS_CLIENT).  With 64 neither side
# was more than 0.6 busy; with 512 the stateful client saturated first (bench/README.md).
scenario rps_pipelined 64 auto 65536 --scenario rps --conns "${RPS_PIPELINED_CONNS:-512}" --pipeline 8 \
	"${rps_client[@]}"
# synflood: a legitimate frame the saturated link loses costs its connection a 1 s RTO; 4096 in
# flight keep such waits from throttling the legitimate schedule inside the generator.  It
# measures what answering cookies costs, so SYN shedding is off (SYN_SHED_FULL_POLLS=0) as in
# the cps runs: the generator's flood outruns the appliance, and with the appliance's default
# (4) it shed 21% of the SYNs it received, unanswered (5.64 M cookies/s, 414 busy cycles per
# cookie, shed SYNs included; 6.84 M/s and 371 with shedding off, every SYN answered).
# SYNFLOOD_RATE caps the flood's SYNs per second (0: as fast as the link takes them).
SYN_SHED_FULL_POLLS=${SYN_SHED_FULL_POLLS:-0} scenario synflood 64 always 1048576 \
	--scenario synflood --rate "${SYNFLOOD_RATE:-0}" --legit-rate 20000 --conns 4096
# concurrent: CONC connections (1 M; CONC=10000000 for the 10 M figure) opened and closed at
# CONC_RATE/s (50 k) so neither wave overflows the rings; the sampler records the appliance's
# memory while it holds them.  GEN_EXTRA_S: the generator runs longer than DUR by the waves.
# The table holds CONC + an eighth, so its last connections open past the pressure mark, on SYN
# cookies; TIME_WAIT_MS=4000 makes those live 2-4 s (lib/tcp/tt_syncookie.h), past the client's
# first retransmission of its ACK (1 s) when a stall of the host had the link refuse it, and
# mostly past its second (3 s).  With 1000 (cookies of 0.5-1 s) three clients were reset in
# 2026-12-05-092126, their ACKs too late, the link having refused 20,221 frames in a stall.
# The client closes first: the appliance keeps no TIME-WAIT here.
TIME_WAIT_MS=4000 GEN_EXTRA_S=$((2 * CONC / CONC_RATE + 32)) scenario concurrent 64 auto $((CONC + CONC / 8 + 1024)) --scenario concurrent --conns "$CONC" \
	--rate "$CONC_RATE" --duration $((DUR + CONC / CONC_RATE + 2)) --drain $((CONC / CONC_RATE + 30))
# throughput: THROUGHPUT_CONNS (64) keep-alive connections fetching 1 MiB responses; with 4 the
# appliance ran 0.81-0.84 busy, bounded by the data in flight (bench/README.md).
scenario throughput 1048576 auto 65536 --scenario throughput --conns "${THROUGHPUT_CONNS:-64}"
# $1 name, $2 the first open turn's SYNs a second: the cps runs' closed loop and overload's open
# loop in turns of one run, the shedding set per turn (see overload).
alternate_run() {
	SCENARIOS=$1 SHED_TURNS=${SYN_SHED_FULL_POLLS:-4} \
		scenario "$1" 64 auto 1048576 --scenario cps --close client --stateless --alternate \
		--alternate-factor "${OVERLOAD_FACTOR:-2}" --conns "$cps_conns" --rate "$2"
}
# overload: an open-loop client that never retransmits (as dperf's) offers OVERLOAD_FACTOR (2) x
# the appliance's capacity.  On the default link it runs turned around (the appliance on the
# vhost end): where the appliance takes virtio-user, the generator pays the vhost copies and
# saturates at about 1.2-1.45 x, its replies then lost in its own ring, so the figure would be the
# generator's.  With APPLIANCE_SIDE=memif it keeps memif, where the generator has the cycles.  The
# capacity is OVERLOAD_CAPACITY connections/s, or else TSC Hz / busy cycles per connection of cps
# runs on the same link: cps_vhost (as the cps scenario: a closed loop, shedding off; there the
# appliance saturates and the generator does not), or on memif the cps runs, made here when the
# invocation has none.  The rate caps nothing else: up to a million connections in flight, each
# ended by its first RTO if a frame is lost.  The client is tcpterm-gen --stateless (no
# connection state, every reply computed from the segment it answers, never a retransmission);
# OVERLOAD_CLIENT=stateful runs the project's stack as the client instead (it saturates first).
# open_loop: the same client offering OPEN_LOOP_FACTOR (0.75) x the same capacity: what a
# connection costs when arrivals are open-loop and below capacity, so the worker's bursts are
# short (bench/README.md), beside the closed loop's cost and overload's.
overload() {
	local cap side=vhost runs=cps_vhost
	case " ${SCENARIOS:-overload} " in
	*" overload "* | *" open_loop "* | *" overload_alternate "* | *" overload_alternate_memif "*) ;;
	*) return 0 ;;
	esac
	[ "$LINK_SIDE" = memif ] && side=memif runs=cps
	link_devices "$side"
	if [ -z "${OVERLOAD_CAPACITY:-}" ] && ! [ -e "$RAW/$runs.1.gen.json" ]; then
		SYN_SHED_FULL_POLLS=0 SCENARIOS=$runs scenario "$runs" 64 auto 1048576 \
			--scenario cps --rate 0 --conns "$cps_conns" --close client "${cps_client[@]}"
	fi
	cap=${OVERLOAD_CAPACITY:-$(/usr/bin/python3 bench/report.py --raw "$RAW" --runs "$RUNS" \
		--capacity "$runs")} || { echo "bench: no capacity for the overload runs" >&2; return 1; }
	echo "$cap" >"$RAW/overload.capacity"
	local client=(--stateless)
	[ "${OVERLOAD_CLIENT:-stateless}" = stateful ] && client=(--no-retransmit --conns 1000000)
	scenario overload 64 auto 1048576 --scenario cps --close client "${client[@]}" \
		--rate "$(/usr/bin/python3 -c "print(round($cap * ${OVERLOAD_FACTOR:-2}))")"
	scenario open_loop 64 auto 1048576 --scenario cps --close client "${client[@]}" \
		--rate "$(/usr/bin/python3 -c "print(round($cap * ${OPEN_LOOP_FACTOR:-0.75}))")"
	# overload_alternate, with overload (or alone when SCENARIOS names it): the cps runs' closed
	# loop and overload's open loop take turns inside one run (tcpterm-gen --alternate), the
	# appliance's SYN shedding off in the closed turns and on in the open ones (SHED_TURNS), so
	# that results.md sets the goodput beside a capacity of the same minutes.  Each open turn
	# offers OVERLOAD_FACTOR x what the closed turn before it completed (--alternate-factor), the
	# first one OVERLOAD_FACTOR x the capacity above.
	local first_rate
	first_rate=$(/usr/bin/python3 -c "print(round($cap * ${OVERLOAD_FACTOR:-2}))")
	case " ${SCENARIOS:-overload} " in *" overload "* | *" overload_alternate "*)
		alternate_run overload_alternate "$first_rate" ;;
	esac
	# overload_alternate_memif, with overload when its link is vhost: the same alternating run
	# with the appliance on memif, whose receive of a frame costs a fraction of the vhost end's
	# copies, so that results.md shows what a shed SYN costs each port beside what tcpterm
	# keeps of capacity.  Its first open turn offers OVERLOAD_FACTOR x the capacity above; the
	# others, as always, OVERLOAD_FACTOR x what the closed turn before completed.
	case "$side ${SCENARIOS:-overload} " in vhost*" overload "* | *" overload_alternate_memif "*)
		link_devices memif
		alternate_run overload_alternate_memif "$first_rate" ;;
	esac
	link_devices "${APPLIANCE_SIDE:-virtio}"
}
overload
linux_reference

# The page is written for a run that failed its checks too (it lists the problems); a failure
# of either step fails the run.
rc=0
/usr/bin/python3 bench/report.py --raw "$RAW" --out "$OUT" --runs "$RUNS" --duration "$DUR" \
	--quick "$QUICK" --scenarios "${SCENARIOS:-}" --link "$LINK_SIDE" || rc=$?
/usr/bin/python3 bench/report_html.py --out "$OUT" || rc=$?
exit "$rc"
