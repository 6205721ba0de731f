#!/usr/bin/env bash
# The main job: a local cluster of 5 storage nodes (UDP multicast on loopback, TTL 0) stores a
# generated 64 MiB file with 3 replicas, reads it back, verifies it byte for byte, prints the
# throughput and where the replicas landed, then stops the cluster.
#   Deploy/demo.sh [--size-mib N] [--consensus client|cluster] [--transport udp|verbs]
# It builds in release into .build, or into the directory REPLICAST_SCRATCH_PATH names (for
# several people building in one clone). Exits 0 when the object was stored and read back intact.
#
# No pipeline here ends in a reader that stops early (`| head`, `| grep -q`): under pipefail
# the writer's SIGPIPE would fail the script (exit 141) after everything worked. Output to be
# shortened goes to a file first.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${REPLICAST_SCRATCH_PATH:-.build}
size_mib=64; consensus=client; transport=udp
while [ $# -gt 0 ]; do
    case "$1" in
        --size-mib) size_mib=$2; shift 2 ;;
        --consensus) consensus=$2; shift 2 ;;
        --transport) transport=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
case "$size_mib" in ''|*[!0-9]*|0) echo "--size-mib takes a whole number of MiB above 0 (got '$size_mib')" >&2; exit 2 ;; esac
case "$consensus" in client|cluster) ;; *) echo "--consensus takes client or cluster (got '$consensus')" >&2; exit 2 ;; esac
case "$transport" in udp|verbs) ;; *) echo "--transport takes udp or verbs (got '$transport')" >&2; exit 2 ;; esac
Deploy/install-deps.sh
export PATH=/opt/swift/usr/bin:$PATH
echo "building (release)..."
swift build -c release --scratch-path "$scratch" --product replicast >/dev/null
swift build -c release --scratch-path "$scratch" --product replicast-node >/dev/null
bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)

work=$(mktemp -d /tmp/replicast-demo.XXXXXX)
cluster_pid=
cleanup() {
    if [ -n "$cluster_pid" ] && kill -0 "$cluster_pid" 2>/dev/null; then
        kill -TERM "$cluster_pid"; wait "$cluster_pid" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

"$bin/replicast" local-cluster --nodes 5 --replicas 3 --dir "$work/cluster" --transport "$transport" &
cluster_pid=$!
for _ in $(seq 1 600); do
    [ -f "$work/cluster/cluster.yaml" ] && break
    kill -0 "$cluster_pid" 2>/dev/null || break
    sleep 0.1
done
if [ ! -f "$work/cluster/cluster.yaml" ]; then
    # The node logs go with the work directory: show their ends first.
    echo "the cluster did not start; the node logs end:" >&2
    tail -n 3 "$work"/cluster/node-*.log >&2 || true
    exit 1
fi

head -c "$((size_mib * 1024 * 1024))" /dev/urandom > "$work/object.bin"
echo "== put ${size_mib} MiB with 3 replicas (consensus: $consensus)"
"$bin/replicast" --cluster "$work/cluster/cluster.yaml" put "$work/object.bin" --name demo/object.bin --consensus "$consensus" --transport "$transport"
echo "== get"
"$bin/replicast" --cluster "$work/cluster/cluster.yaml" get demo/object.bin -o "$work/object.out" --consensus "$consensus" --transport "$transport"
cmp "$work/object.bin" "$work/object.out"
echo "verified: the object read back is identical ($(stat -c %s "$work/object.out") bytes)"
echo "== where the replicas landed (first chunks)"
"$bin/replicast" --cluster "$work/cluster/cluster.yaml" locate demo/object.bin --transport "$transport" >"$work/locate.out"
head -6 "$work/locate.out"
echo "... ($(wc -l <"$work/locate.out") lines: the manifest and every chunk)"
kill -TERM "$cluster_pid"; wait "$cluster_pid" || true
cluster_pid=
echo "cluster stopped"
