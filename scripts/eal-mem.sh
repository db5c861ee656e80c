#!/usr/bin/env bash
# Print the EAL memory arguments for one tcpterm process: real 2 MiB
# pages with --in-memory when enough are free, else --no-huge (slower,
# but works with every virtual device we use).  $1 = MiB needed.
# TT_NO_HUGE=1 asks for --no-huge even when pages are free (e.g. when a
# sanitizer's shadow memory and the hugepage mappings do not get along).
# TT_HUGE_DIR=DIR asks for the pages of the hugetlbfs mounted on DIR, with EAL's shared
# runtime directory kept (no --in-memory): the mode in which secondary processes such as
# dpdk-dumpcap can attach to the same --file-prefix.  A secondary maps the primary's memory at
# the primary's addresses: --base-virtaddr puts it far from where either process's libraries
# (and a sanitizer's shadow) land, or the attach fails when ASLR put something there.
need_mb=${1:-256}
if [ -n "${TT_HUGE_DIR:-}" ]; then
	echo "--huge-dir $TT_HUGE_DIR --base-virtaddr 0x200000000000"
	exit 0
fi
free_pages=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)
if [ "${TT_NO_HUGE:-0}" = 1 ]; then
	echo "--no-huge -m $need_mb"
elif [ "${free_pages:-0}" -ge $((need_mb / 2)) ]; then
	echo "--in-memory"
else
	echo "warning: not enough free hugepages, using --no-huge" >&2
	echo "--no-huge -m $need_mb"
fi
