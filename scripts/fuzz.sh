#!/usr/bin/env bash
# Build the libFuzzer harnesses of tests/fuzz (clang, ASan + UBSan) into build-fuzz and run each
# one after the other for a bounded time.  Exits 1 if any of them crashed (or a check in the
# harness failed, or one input hung or ran out of memory), 2 on a usage or build error.
#
#   scripts/fuzz.sh                    every fuzzer, 60 s each
#   scripts/fuzz.sh --time 600 http    only fuzz_http, 10 minutes
#   scripts/fuzz.sh --long             every fuzzer, an hour each
#
# Each fuzzer works on a private copy of its seeds, build-fuzz/corpus/<name>, which keeps what
# it finds from one run to the next; tests/fuzz/corpus/<name> changes only when someone copies
# an input there (replay_<name> then runs it in every build's unit tests).  A crashing input is
# left in build-fuzz/crashes/<name>/ and its path printed with the command that reruns it.
# Full fuzzer output: build-fuzz/logs/<name>.log.
set -uo pipefail
cd "$(dirname "$0")/.."

B=build-fuzz
secs=60
names=()
while [ $# -gt 0 ]; do
	case "$1" in
	--time)
		secs=${2:-}
		shift 2 || shift
		;;
	--long)
		secs=3600
		shift
		;;
	-h | --help)
		sed -n '2,14p' "$0" | cut -c3-
		exit 0
		;;
	-*)
		echo "fuzz.sh: unknown option $1 (see --help)" >&2
		exit 2
		;;
	*)
		names+=("$1")
		shift
		;;
	esac
done
if ! [[ "$secs" =~ ^[1-9][0-9]*$ ]]; then
	echo "fuzz.sh: --time needs a number of seconds" >&2
	exit 2
fi
if ! command -v clang >/dev/null; then
	echo "fuzz.sh: clang missing: run scripts/setup.sh (as root)" >&2
	exit 2
fi

if [ ! -f "$B/build.ninja" ]; then
	CC=clang meson setup "$B" -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined \
		-Dbuildtype=debugoptimized -Db_lto=false >/dev/null || exit 2
fi
if ! ninja -C "$B" fuzzers >"$B/ninja.log" 2>&1; then
	cat "$B/ninja.log"
	exit 2
fi

# The fuzzers this build knows, from meson's own list (tests/fuzz/meson.build).
mapfile -t known < <(meson introspect --targets "$B" |
	/usr/bin/python3 -c 'import json, sys
for t in json.load(sys.stdin):
    if t["name"].startswith("fuzz_") and t["type"] == "executable":
        print(t["name"][len("fuzz_"):])' | sort)
[ ${#names[@]} -gt 0 ] || names=("${known[@]}")
for n in "${names[@]}"; do
	if ! printf '%s\n' "${known[@]}" | grep -qx -- "$n"; then
		echo "fuzz.sh: no fuzzer $n (known: ${known[*]})" >&2
		exit 2
	fi
done

# Leaks count as crashes, except libconfig's own (see the file); UBSan already stops the
# program (meson.build).
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

crashed=0
mkdir -p "$B/logs"
for n in "${names[@]}"; do
	corpus="$B/corpus/$n"
	crashes="$B/crashes/$n"
	log="$B/logs/$n.log"
	mkdir -p "$corpus" "$crashes"
	# -L: some seeds are links to the shipped configuration files.
	cp -L tests/fuzz/corpus/"$n"/* "$corpus"/
	# libFuzzer stops itself after max_total_time; the outer timeout only guards against a
	# fuzzer that cannot stop (e.g. stuck while writing its report).
	timeout -k 10 $((secs + 120)) "$B/tests/fuzz/fuzz_$n" -max_total_time="$secs" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" \
		>"$log" 2>&1
	rc=$?
	runs=$(awk '/^stat::number_of_executed_units:/ {print $NF}' "$log")
	rate=$(awk '/^stat::average_exec_per_sec:/ {print $NF}' "$log")
	size=$(find "$corpus" -type f | wc -l)
	printf 'fuzz %-10s %11s execs %7s exec/s  corpus %5s inputs  ' "$n" "${runs:-?}" \
		"${rate:-?}" "$size"
	if [ "$rc" -eq 0 ]; then
		echo "ok"
		continue
	fi
	crashed=1
	input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	echo "CRASH (exit $rc)"
	grep -E 'ERROR: |runtime error|check failed|SUMMARY' "$log" | head -5 | sed 's/^/    /'
	echo "    input: ${input:-none written, see $log}"
	echo "    rerun: LSAN_OPTIONS=$LSAN_OPTIONS $B/tests/fuzz/fuzz_$n ${input:-INPUT}"
	echo "    log:   $log"
done
exit "$crashed"
