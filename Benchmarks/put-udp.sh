#!/usr/bin/env bash
# Issue 3's first throughput figure: 1 MiB chunks, 3 replicas, 5-node local cluster over UDP
# on loopback; multicast (Replicast) against the same workload sent as 3 unicast copies by the
# same client code, with the disk-backed store and with the store on tmpfs (no disk), and
# iperf3's UDP loopback throughput measured in the same run as the raw ceiling.
# Writes Benchmarks/results/put-udp.md.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh
command -v iperf3 >/dev/null || { apt-get install -y -q iperf3 >/dev/null 2>&1 || { apt-get update -q >/dev/null; apt-get install -y -q iperf3 >/dev/null; }; }
export PATH=/opt/swift/usr/bin:$PATH
swift build -c release --product replicast-bench >/dev/null
bench=$(swift build -c release --show-bin-path)/replicast-bench
out=Benchmarks/results/put-udp.md
chunks=${CHUNKS:-96}
runs=${RUNS:-3}
{
    echo "# Puts over UDP on loopback: multicast vs unicast copies"
    echo
    echo "Recorded $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "The machine is shared and noisy: read medians and ratios, not absolute rates."
    echo
    echo "## Peer: iperf3, UDP, loopback, one sender, 8972-byte datagrams, same run"
    echo
    echo '```'
    echo "\$ iperf3 -c 127.0.0.1 -u -b 0 -l 8972 -t 5"
    iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
    sleep 0.5
    iperf3 -c 127.0.0.1 -p 5299 -u -b 0 -l 8972 -t 5 2>&1 | grep -E "receiver|sender" | tail -2
    wait || true
    echo '```'
    echo
    echo "## Replicast, disk-backed stores (fsync before every ACK)"
    echo
    echo '```'
    echo "\$ replicast-bench put --chunks $chunks --runs $runs"
    "$bench" put --chunks "$chunks" --runs "$runs" 2>&1
    echo '```'
    echo
    echo "## Replicast, stores on tmpfs (the network and CPU path without the disk)"
    echo
    echo '```'
    echo "\$ replicast-bench put --chunks $chunks --runs $runs --dir /dev/shm/replicast-bench"
    "$bench" put --chunks "$chunks" --runs "$runs" --dir /dev/shm/replicast-bench 2>&1
    echo '```'
} > "$out"
cat "$out"
