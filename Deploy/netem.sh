#!/usr/bin/env bash
# Replicast over the real kernel between network namespaces, with a lossy network:
# 5 storage nodes and a client, each in a namespace of its own, joined by veth pairs to a
# bridge in a hub namespace (nothing touches the root namespace's interfaces), with tc netem
# on every link adding loss, duplication and reordering. The client puts random objects
# and reads each back, byte for byte (`replicast workload`), half in client and half in
# cluster consensus.
#
# Needs a kernel with sch_netem. This machine's kernel has no netem (and no modules), so
# Deploy/test.sh runs it inside the soft-RoCE VM: Deploy/softroce.sh exec Deploy/netem.sh
#   Deploy/netem.sh [OBJECTS]      environment: LOSS, DUPLICATE, REORDER (netem percentages)
set -euo pipefail
cd "$(dirname "$0")/.."
objects=${1:-60}
loss=${LOSS:-0.3%}
duplicate=${DUPLICATE:-1%}
reorder=${REORDER:-10%}
bin=${REPLICAST_BIN:-$(pwd)/.build/debug}
[ -x "$bin/replicast" ] && [ -x "$bin/replicast-node" ] || { echo "netem: build first (swift build)" >&2; exit 1; }
modprobe sch_netem 2>/dev/null || true

p=rcn$$
work=$(mktemp -d /tmp/replicast-netem.XXXXXX)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for i in 1 2 3 4 5 6; do ip netns del "$p-$i" 2>/dev/null || true; done
    ip netns del "$p-hub" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The hub: a bridge that floods multicast (no IGMP snooping), in its own namespace.
ip netns add "$p-hub"
ip -n "$p-hub" link add br0 type bridge
ip -n "$p-hub" link set br0 type bridge mcast_snooping 0
ip -n "$p-hub" link set br0 up
for i in 1 2 3 4 5 6; do
    ns="$p-$i"
    ip netns add "$ns"
    ip -n "$ns" link add eth0 type veth peer name port$i netns "$p-hub"
    ip -n "$p-hub" link set port$i master br0 up
    ip -n "$ns" addr add 10.77.0.$i/24 dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    # 20 by default in a new namespace: a node joins a group per row and per transaction.
    ip netns exec "$ns" sysctl -q -w net.ipv4.igmp_max_memberships=1024 2>/dev/null || true
    if [ "${NO_NETEM:-0}" != 1 ]; then
        ip netns exec "$ns" tc qdisc add dev eth0 root netem delay 1ms loss "$loss" duplicate "$duplicate" reorder "$reorder" \
            || { echo "netem: this kernel has no sch_netem (run it in the VM: Deploy/softroce.sh exec Deploy/netem.sh)" >&2; exit 1; }
    fi
done
if [ "${NO_NETEM:-0}" = 1 ]; then
    echo "netem: 6 namespaces on a bridge, NO netem (NO_NETEM=1: a check of the setup only)"
else
    echo "netem: 6 namespaces on a bridge, every link: delay 1ms loss $loss duplicate $duplicate reorder $reorder"
fi

{
    echo "generation: 1"
    echo "interface: 10.77.0.6"
    echo "multicastTTL: 1"
    echo "maxDatagramSize: 1472"
    echo "replicas: 3"
    echo "table: {rowCount: 8, k: 3, minimumGroupSize: 5, port: 7000}"
    echo "servers:"
    for i in 1 2 3 4 5; do
        echo "  - {id: $i, zone: zone-$i, endpoint: '10.77.0.$i:7100', dataDirectory: '$work/node-$i', volunteer: false}"
    done
} > "$work/cluster.yaml"

for i in 1 2 3 4 5; do
    ip netns exec "$p-$i" "$bin/replicast-node" --cluster "$work/cluster.yaml" --id "$i" \
        --ready-file "$work/node-$i.ready" --log-level warning 2>"$work/node-$i.log" &
    pids+=($!)
done
for _ in $(seq 1 600); do
    ready=0
    for i in 1 2 3 4 5; do [ -f "$work/node-$i.ready" ] && ready=$((ready + 1)); done
    [ $ready -eq 5 ] && break
    sleep 0.1
done
[ $ready -eq 5 ] || { echo "netem: nodes did not start"; tail -5 "$work"/node-*.log; exit 1; }

status=0
ip netns exec "$p-6" "$bin/replicast" --cluster "$work/cluster.yaml" workload --objects "$objects" \
    --max-size $((192 * 1024)) --chunk-size $((32 * 1024)) --mixed || status=$?
for i in 1 2 3 4 5; do
    echo "netem: node $i link: $(ip netns exec "$p-$i" tc -s qdisc show dev eth0 | grep -o 'Sent [0-9]* bytes [0-9]* pkt (dropped [0-9]*' | sed -n 1p))"
done
exit $status
