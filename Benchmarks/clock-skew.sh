#!/usr/bin/env bash
# Sweeps the nodes' clock offsets in the simulator and tabulates what the skew does to
# reservations: transfer datagrams dropped at full switch ports, transfers NAKed as
# incomplete, windows declined, puts failed, throughput, p99 put latency, invariants.
#
#   Benchmarks/clock-skew.sh [replicast binary] [seeds] [offsets in µs...]
#
# Two scenarios: "saturated" is OversubscriptionTests' (12 clients offering twice what a
# row of 3 servers can take: every reservation calendar full, so a transfer off its window
# lands on another's); "faulty" is SimulationInvariantTests' default cluster under loss,
# duplication, reordering, crashes, a client crash and a partition.
set -euo pipefail
bin=${1:-.build/debug/replicast}
seeds=${2:-3}
shift 2 2>/dev/null || shift $#
offsets=${*:-0 10 20 50 100 200 500 1000 10000 100000}

saturated="--servers 3 --rows 1 --group-size 3 --replicas 3 --clients 12 --get-share 0 --concurrency 16
  --min-chunk 16384 --max-chunk 114688 --offered-load 187.5 --transactions 600"
faulty="--transactions 250 --loss 0.02 --duplicate 0.02 --reorder 0.02 --crashes 2 --client-crashes 1 --partitions 1"

for scenario in saturated faulty; do
  args=${!scenario}
  echo "### $scenario"
  echo
  echo "| offset ±µs | seed | skew µs | transfer drops | incomplete | declined | puts failed | MB/s | p99 ms | invariants |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  for off in $offsets; do
    for seed in $(seq 1 "$seeds"); do
      out=$("$bin" simulate --seed "$seed" $args --clock-offset-us "$off" || true)
      awk -v off="$off" -v seed="$seed" '
        /^clocks/ { skew = $3 }
        /^puts/ { for (i = 1; i <= NF; i++) if ($i ~ /^failed/) failed = $(i - 1) }
        /^put latency/ { p99 = $(NF - 1) }
        /^throughput/ { mbs = $2 }
        /^drops/ { gsub(/[()]/, ""); transfer = $4 }
        /^servers/ { for (i = 1; i <= NF; i++) { if ($i == "incomplete") inc = $(i - 1); if ($i == "declined") dec = $(i - 1) } }
        /^invariant .*FAILED/ { sub(/^invariant +/, ""); broken = broken (broken ? "; " : "") $0 }
        END { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", off, seed, skew ? skew : 0, transfer, inc, dec, failed, mbs, p99, broken ? broken : "held" }
      ' <<<"$out"
    done
  done
  echo
done
