#!/usr/bin/env bash
# One-time, idempotent machine set-up for building, running and testing
# tcpterm on Debian 12 (run as root): the Debian packages, and hugepages
# when the kernel can give them.  Safe to run again: it only installs
# what is missing.  --bench adds what bench/run.sh needs.
set -euo pipefail

PACKAGES=(
	build-essential pkg-config meson ninja-build python3
	libdpdk-dev dpdk-dev libnuma-dev libconfig-dev libcmocka-dev libsystemd-dev systemd
	iproute2 iputils-ping ethtool curl wrk
	python3-scapy python3-pytest tshark
	clang llvm libclang-rt-14-dev valgrind
)

# The benchmarks also measure the Linux kernel (nginx) and draw plots.
if [ "${1:-}" = "--bench" ]; then
	PACKAGES+=(nginx-light gnuplot-nox)
fi

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2 MiB hugepages for EAL (--in-memory needs no hugetlbfs mount).  Not
# fatal: scripts/eal-mem.sh falls back to --no-huge when there are none.
want=${TT_HUGEPAGES:-512}
have=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
if [ "$have" -lt "$want" ]; then
	echo "$want" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
	have=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
fi
echo "setup: packages ok, hugepages reserved: $have"
