#!/usr/bin/env bash
# Build tcpterm and run every test: the cmocka unit tests (one executable
# per module), the fuzz harnesses over their seed corpora, and the
# integration suite (the appliance on a TAP port in a network namespace,
# driven by the Linux kernel's TCP, curl, wrk, python sockets and scapy).
# Exits non-zero on any failure.
#
#   --sanitize: the same tests on the ASan + UBSan build (build-asan); any
#   sanitizer report fails the test that triggered it (a unit test, or the
#   integration module whose tcpterm then exits non-zero).
#   --memcheck: the unit tests and fuzz corpora alone, of the plain build,
#   each under valgrind's memcheck: a branch on an uninitialised value (which
#   neither sanitizer sees) or an access outside what was allocated fails it.
set -uo pipefail
cd "$(dirname "$0")/.."
build=(scripts/build.sh)
dir=build
wrap=()
case "${1:-}" in
"") ;;
--memcheck)
	wrap=(--wrap='valgrind -q --error-exitcode=9 --leak-check=no' --timeout-multiplier=20)
	;;
--sanitize)
	build+=(--sanitize)
	dir=build-asan
	# Leaks are checked too: tcpterm frees what it allocates before it exits.
	export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	export TT_ITEST_BINARY=$dir/tcpterm
	;;
*)
	echo "usage: scripts/test.sh [--sanitize | --memcheck]" >&2
	exit 2
	;;
esac
scripts/setup.sh || exit 1
"${build[@]}" || exit 1

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

meson test -C "$dir" --print-errorlogs "${wrap[@]}" 2>&1 | tee "$log/unit"
unit_rc=${PIPESTATUS[0]}
integ_rc=0
if [ ${#wrap[@]} -eq 0 ]; then
	tests/integration/run.sh 2>&1 | tee "$log/integration"
	integ_rc=${PIPESTATUS[0]}
else
	: >"$log/integration"
fi

# One closing line over both runners.
u_ok=$(awk '/^Ok:/ {print $2}' "$log/unit")
u_fail=$(awk '/^Fail:/ {print $2}' "$log/unit")
i_ok=$(grep -Eo '[0-9]+ passed' "$log/integration" | tail -1 | grep -Eo '[0-9]+')
i_fail=$(grep -Eo '[0-9]+ (failed|error)' "$log/integration" | tail -1 | grep -Eo '[0-9]+')
passed=$(( ${u_ok:-0} + ${i_ok:-0} ))
failed=$(( ${u_fail:-0} + ${i_fail:-0} ))
if [ "$unit_rc" -ne 0 ] || [ "$integ_rc" -ne 0 ]; then
	[ "$failed" -eq 0 ] && failed=1
fi
echo "tests: $passed passed, $failed failed"
[ "$unit_rc" -eq 0 ] && [ "$integ_rc" -eq 0 ]
