#!/usr/bin/env bash
# Instructions per connection of the TCP stack, counted by callgrind on a
# fixed workload (tcpterm-trace: short HTTP connections through the real
# tt_stack, frames in memory).  Repeatable to the instruction whatever the
# machine is doing, so it shows what a change costs before a benchmark can.
#
#   bench/trace.sh [connections] [concurrent]     defaults: 20000 64
#   bench/trace.sh --synflood [syns]              default: 100000
#   bench/trace.sh --keepalive [conns] [requests] defaults: 64 200000
#
# Prints the stack's instructions per connection (tt_stack_input_burst and the
# timers; the in-memory buffers excluded), the worker's parse of the received
# frames apart (worker_parse), and the functions where all the trace's
# instructions go (the client's frames are built and parsed by the same
# tt_net code, so parse and build appear for both sides).  Then the same
# calls' TSC cycles per connection, run natively 5 times on a workload 20
# times as long (medians), and the instructions per TSC cycle they make:
# tcpterm's own work with every line in cache and no PMD, to set beside a
# benchmark's busy cycles (bench/README.md).
#
# --synflood: SYNs from distinct 4-tuples to a listener with syncookies
# "always"; the same figures per cookie SYN-ACK and the top functions of the
# parse and the stack (the SYNs are built outside the count).
#
# --keepalive: conns connections opened once (not counted), then requests GETs
# round-robin, one in flight per connection as wrk and the rps scenario keep
# it, each answered and ACKed (by the connection's next GET); prints the
# stack's instructions per request (tt_stack_input_burst + timers) and the top
# functions of the request phase.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--synflood" ]; then
	MODE=synflood N=${2:-100000}
	ARGS=(--synflood "$N") NATIVE=(--synflood $((N * 20)))
	COLLECT=(--toggle-collect='synflood_burst*' --toggle-collect='worker_parse*')
elif [ "${1:-}" = "--keepalive" ]; then
	MODE=requests N=${3:-200000}
	ARGS=(--keepalive "${2:-64}" "$N") NATIVE=(--keepalive "${2:-64}" $((N * 20)))
	COLLECT=(--toggle-collect='run_requests*')
else
	MODE=connections N=${1:-20000}
	ARGS=("$N" "${2:-64}") NATIVE=($((N * 20)) "${2:-64}")
	COLLECT=(--toggle-collect='run_connections*')
fi
command -v valgrind >/dev/null || { echo "trace.sh: valgrind missing (apt-get install valgrind)" >&2; exit 2; }
scripts/build.sh
out=$(mktemp /tmp/tt-trace.XXXXXX)
trap 'rm -f "$out" "$out.native"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" "${COLLECT[@]}" \
	build/tcpterm-trace "${ARGS[@]}" 2>/dev/null
# The same workload natively, on the benchmarks' appliance CPU when there are two.
cpu=$(($(nproc) > 1 ? 1 : 0))
for _ in 1 2 3 4 5; do
	taskset -c "$cpu" build/tcpterm-trace "${NATIVE[@]}" >>"$out.native"
done
/usr/bin/python3 - "$out" "$N" "$MODE" $((N * 20)) <<'PY'
import json, re, statistics, subprocess, sys
path, n, mode, native_n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def table(inclusive):
    txt = subprocess.run(['callgrind_annotate', f'--inclusive={inclusive}', path],
                         capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in txt.splitlines():
        m = re.match(r'\s*([\d,]+) \([\s\d.]+%\)\s+\S*?:(\S+)', line)
        if m:
            rows.setdefault(m.group(2).split('.')[0], int(m.group(1).replace(',', '')))
    return rows
inc, own = table('yes'), table('no')
# The trace's own calls around the stack's (tt_trace.c keeps them out of line): the link-time
# optimiser may inline tt_stack_input_burst and tt_stack_timers into them.
stack = inc.get('stack_input', 0) + inc.get('stack_timers', 0)
harness = inc.get('frame_alloc', 0) + inc.get('frame_free', 0)
parse = inc.get('worker_parse', 0)
unit = {'synflood': 'cookie SYN-ACK', 'requests': 'request', 'connections': 'connection'}[mode]
print({'synflood': f'syns {n}', 'requests': f'keep-alive requests {n}',
       'connections': f'connections {n}'}[mode])
print(f'stack instructions per {unit}: {(stack - harness) / n:,.0f} '
      f'(tt_stack_input_burst + timers, less the in-memory buffers)')
print(f'worker parse instructions per {unit}: {parse / n:,.0f} (worker_parse, apart)')
runs = [json.loads(line) for line in open(path + '.native')]
stack_tsc = statistics.median(r['stack_tsc'] for r in runs) / native_n
parse_tsc = statistics.median(r['parse_tsc'] for r in runs) / native_n
print(f'natively, TSC cycles per {unit} (median of {len(runs)} runs of {native_n:,}): '
      f'stack {stack_tsc:,.0f}, worker parse {parse_tsc:,.0f}, together {stack_tsc + parse_tsc:,.0f}')
print(f'instructions per TSC cycle: stack {(stack - harness) / n / stack_tsc:.2f}, '
      f'worker parse {parse / n / parse_tsc:.2f}')
print(f'top functions by own instructions per {unit}:')
# The trace's own buffers and allocations around the stack are not the stack's.
buffers = {'malloc', 'free', 'calloc', '_int_malloc', '_int_free', 'malloc_consolidate',
           'unlink_chunk', 'frame_alloc', 'frame_free'}
rows = [(k, v) for k, v in own.items() if mode == 'connections' or k not in buffers]
for name, v in sorted(rows, key=lambda kv: -kv[1])[:15]:
    print(f'  {v / n:9,.0f}  {name}')
PY
