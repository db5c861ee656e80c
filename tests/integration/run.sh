#!/usr/bin/env bash
# Integration tests: run pytest on tests/integration inside a private network namespace, where
# every tcpterm the tests start creates its TAP interface tt0.  Builds nothing: run
# scripts/build.sh first.  Extra arguments go to pytest (e.g. -k syncookies, -x, or test paths
# such as tests/integration/test_http.py instead of the whole directory).
#
# Exit status: pytest's (124 if the whole run overran its time limit).  On exit the namespace,
# pytest's temporary directory and the DPDK runtime directories of this run are removed, and
# any process still inside the namespace (only ours: the namespace is created here) is stopped.
#
# Environment: TT_ITEST_PCAP=DIR records tt0 of each appliance into DIR/<name>.pcap;
# TT_ITEST_KEEP=1 keeps pytest's temporary directory (configurations and tcpterm logs);
# TT_ITEST_BINARY=PATH tests another build of tcpterm (default build/tcpterm; relative paths are
# relative to the repository), e.g. build-asan/tcpterm from scripts/build.sh --sanitize.
set -uo pipefail
cd "$(dirname "$0")/../.."

LIMIT_S=780 # well under 15 minutes; a normal run takes 2 to 3

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: needs root (network namespaces, TAP, hugepages)" >&2
	exit 2
fi
BINARY=${TT_ITEST_BINARY:-build/tcpterm}
if [ ! -x "$BINARY" ]; then
	echo "run.sh: $BINARY missing: run scripts/build.sh first" >&2
	exit 2
fi

NS="tt-itest-$$"
export TT_ITEST_PREFIX="tt-itest-$$"
TMP=$(mktemp -d /tmp/tt-itest-XXXXXX) || exit 2

cleanup() {
	local pids
	pids=$(ip netns pids "$NS" 2>/dev/null || true)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086
		kill -INT $pids 2>/dev/null || true
		for _ in $(seq 1 50); do
			pids=$(ip netns pids "$NS" 2>/dev/null || true)
			[ -z "$pids" ] && break
			sleep 0.1
		done
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf /var/run/dpdk/"$TT_ITEST_PREFIX"-* 2>/dev/null || true
	if [ "${TT_ITEST_KEEP:-0}" = 1 ]; then
		echo "run.sh: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS" || exit 2
ip netns exec "$NS" ip link set lo up
# No IPv6 on tt0: router and neighbour solicitations would show up as drops and blur the
# per-reason drop counts the tests check.
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1

# Test paths given on the command line replace the default of the whole directory.
targets=(tests/integration)
for a in "$@"; do
	case "$a" in
	tests/integration/* | *::*) targets=() ;;
	esac
done

# SIGINT on overrun lets pytest tear its fixtures down (and stop tcpterm) before the kill.
timeout --foreground -s INT -k 30 "$LIMIT_S" \
	ip netns exec "$NS" env PYTHONDONTWRITEBYTECODE=1 \
	/usr/bin/python3 -m pytest -v -p no:cacheprovider --basetemp="$TMP/pytest" \
	"${targets[@]}" "$@"
exit $?
