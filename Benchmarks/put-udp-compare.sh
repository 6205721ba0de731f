#!/usr/bin/env bash
# Before/after comparison of put-udp.sh's workload: two replicast-bench binaries run in
# alternation (round 1: A then B, round 2: A then B, ...) on the same machine in one run, so
# that the shared machine's noise falls on both alike. Each call is
# `replicast-bench put --chunks $CHUNKS --runs 1` (one multicast run and one unicast-copies
# run, 5 nodes, 3 replicas, 1 MiB chunks), first with the stores on tmpfs, then on disk;
# iperf3's UDP loopback rate is measured once at the start and once at the end.
#
#   Benchmarks/put-udp-compare.sh BEFORE AFTER
#
# BEFORE and AFTER are each an executable (a built replicast-bench) or a git revision; a
# revision is checked out in a worktree of its own under $COMPARE_DIR
# (/tmp/replicast-put-compare/<commit>) and built there (release, replicast-bench only).
# Environment: ROUNDS (12), CHUNKS (96), DISK (1: also the disk-backed stores; 0: tmpfs
# only), ORDER (AB: A first in every round; ABBA: A first in odd rounds, B first in even
# ones, so that neither side always runs right after the other's writes), LABEL_A / LABEL_B
# (names in the tables), OUT (Benchmarks/results/put-udp-pacing.md), COMPARE_DIR. Each call takes a few seconds; the default run takes about 5 minutes of
# calls plus the builds. The raw output of every call is kept in $OUT's directory as
# put-udp-pacing.log (not committed: see .gitignore) and quoted in part in $OUT.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
[[ $# -eq 2 ]] || { sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
export PATH=/opt/swift/usr/bin:$PATH
ROUNDS=${ROUNDS:-12}
CHUNKS=${CHUNKS:-96}
DISK=${DISK:-1}
ORDER=${ORDER:-AB}
[[ $ORDER == AB || $ORDER == ABBA ]] || { echo "ORDER is AB or ABBA" >&2; exit 2; }
OUT=${OUT:-Benchmarks/results/put-udp-pacing.md}
COMPARE_DIR=${COMPARE_DIR:-/tmp/replicast-put-compare}
LOG="${OUT%.md}.log"
command -v iperf3 >/dev/null || { apt-get install -y -q iperf3 >/dev/null 2>&1 || { apt-get update -q >/dev/null; apt-get install -y -q iperf3 >/dev/null; }; }
command -v python3 >/dev/null || { echo "python3 is needed for the statistics" >&2; exit 1; }

# An executable as is; a revision built in its own worktree. Prints the binary's path.
resolve() {
    local spec=$1
    if [[ -x "$spec" && -f "$spec" ]]; then
        echo "$(cd "$(dirname "$spec")" && pwd)/$(basename "$spec")"
        return
    fi
    local commit
    commit=$(git rev-parse --verify "$spec^{commit}") || { echo "not an executable or a revision: $spec" >&2; exit 1; }
    local tree="$COMPARE_DIR/$commit"
    if [[ ! -d "$tree" ]]; then
        mkdir -p "$COMPARE_DIR"
        git worktree add --detach "$tree" "$commit" >&2
    fi
    (cd "$tree" && swift build -c release --product replicast-bench >&2)
    echo "$(cd "$tree" && swift build -c release --show-bin-path)/replicast-bench"
}

# What a binary was built from, when it sits in a git worktree's .build: that worktree's HEAD at the
# time of the run (a commit made after the build shows here too).
describe() {
    local dir
    dir=$(dirname "$1")
    git -C "$dir" log -1 --format='commit %h of %cs' 2>/dev/null || echo "$1"
}

BIN_A=$(resolve "$1")
BIN_B=$(resolve "$2")
LABEL_A=${LABEL_A:-$1}
LABEL_B=${LABEL_B:-$2}

iperf() {
    local port=$((5300 + $$ % 200))
    iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
    local server=$!
    sleep 0.5
    iperf3 -c 127.0.0.1 -p "$port" -u -b 0 -l 8972 -t 5 2>&1 | grep -E "receiver|sender" | tail -2 || true
    wait "$server" 2>/dev/null || true
}

stores=("tmpfs:/dev/shm/replicast-put-compare")
[[ "$DISK" == 1 ]] && stores+=("disk:/tmp/replicast-put-compare-disk")

started=$(date -u +%Y-%m-%dT%H:%MZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_start=$(head -1 /proc/stat)
: >"$LOG"
echo "iperf3 (start)"
iperf_start=$(iperf)
echo "$iperf_start"
t0=$SECONDS
# Rows of: round store label fanout MB/s retries
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for round in $(seq 1 "$ROUNDS"); do
    for entry in "${stores[@]}"; do
        store=${entry%%:*}
        dir=${entry#*:}
        sides="A B"
        [[ $ORDER == ABBA && $((round % 2)) == 0 ]] && sides="B A"
        for side in $sides; do
            if [[ $side == A ]]; then bin=$BIN_A; else bin=$BIN_B; fi
            echo "== round $round, $store, $side: $bin --chunks $CHUNKS --runs 1 --dir $dir" >>"$LOG"
            output=$("$bin" put --chunks "$CHUNKS" --runs 1 --dir "$dir" 2>&1) || { echo "$output" >>"$LOG"; echo "call failed: see $LOG" >&2; exit 1; }
            echo "$output" >>"$LOG"
            echo "$output" | sed -nE 's/^  run 1 (multicast|unicast copies): ([0-9.]+) MB\/s.* ([0-9]+) retries.*/\1|\2|\3/p' \
                | while IFS='|' read -r fanout rate retries; do
                    echo "$round $store $side ${fanout// /-} $rate $retries" >>"$rows"
                done
            printf 'round %2d %-5s %s: %s\n' "$round" "$store" "$side" \
                "$(echo "$output" | sed -nE 's/^  run 1 (multicast|unicast copies): ([0-9.]+) MB\/s.*/\1 \2/p' | paste -sd' ')"
        done
    done
done
elapsed=$((SECONDS - t0))
echo "iperf3 (end)"
iperf_end=$(iperf)
echo "$iperf_end"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_end=$(head -1 /proc/stat)
cpu_share=$(awk -v a="$cpu_start" -v b="$cpu_end" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    for (i = 2; i <= 9; i++) d[i] = y[i] - x[i]
    total = 0; for (i = 2; i <= 9; i++) total += d[i]
    if (total <= 0) { print "not measured"; exit }
    printf "%.0f%% busy, %.0f%% idle, %.0f%% stolen", 100 * (d[2] + d[3] + d[4] + d[7] + d[8]) / total,
        100 * (d[5] + d[6]) / total, 100 * d[9] / total }')

{
    echo "# Puts over UDP on loopback: before and after the pacing change, interleaved"
    echo
    echo "Recorded $started by \`Benchmarks/put-udp-compare.sh\` on $(nproc) shared cores; load average"
    echo "$load_start at the start, $load_end at the end; over the run the machine's CPU time was $cpu_share."
    echo
    echo "- **A**: $LABEL_A — $(describe "$BIN_A")"
    echo "- **B**: $LABEL_B — $(describe "$BIN_B")"
    echo
    echo "Command (ROUNDS=$ROUNDS CHUNKS=$CHUNKS DISK=$DISK ORDER=$ORDER; $elapsed s of calls):"
    echo
    echo '```'
    echo "Benchmarks/put-udp-compare.sh $1 $2"
    if [[ $ORDER == AB ]]; then
        echo "# each round, for each store (tmpfs /dev/shm, then disk /tmp), A then B:"
    else
        echo "# each round, for each store (tmpfs /dev/shm, then disk /tmp), A then B in odd rounds, B then A in even ones:"
    fi
    echo "replicast-bench put --chunks $CHUNKS --runs 1 --dir <store>"
    echo "# one call: 5 nodes, 3 replicas, $CHUNKS chunks of 1 MiB, window 4, one multicast run and"
    echo "# one unicast-copies run, each on a fresh cluster"
    echo '```'
    echo
    echo "iperf3, UDP, loopback, 8972-byte datagrams (\`iperf3 -c 127.0.0.1 -u -b 0 -l 8972 -t 5\`), at the start and the end:"
    echo
    echo '```'
    echo "$iperf_start"
    echo "$iperf_end"
    echo '```'
    echo
    python3 - "$rows" "$LABEL_A" "$LABEL_B" "$ORDER" <<'EOF'
import sys, statistics
rows_path, label_a, label_b, order = sys.argv[1:5]
data = {}   # (store, fanout, side) -> [(round, rate, retries)]
for line in open(rows_path):
    rnd, store, side, fanout, rate, retries = line.split()
    data.setdefault((store, fanout, side), []).append((int(rnd), float(rate), int(retries)))
stores = [s for s in ("tmpfs", "disk") if any(k[0] == s for k in data)]
fanouts = [("multicast", "multicast"), ("unicast-copies", "3 unicast copies")]
def fmt(x): return f"{x:.1f}"
print("## Summary: object MB/s, median of the rounds (min–max)")
print()
print("| store | fan-out | A (before) | B (after) | B / A (medians) | per-round B / A, median | B's median inside A's range? | rounds B > A |")
print("| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |")
for store in stores:
    for fanout, name in fanouts:
        a = [r for _, r, _ in data.get((store, fanout, "A"), [])]
        b = [r for _, r, _ in data.get((store, fanout, "B"), [])]
        if not a or not b: continue
        ma, mb = statistics.median(a), statistics.median(b)
        inside = "yes" if min(a) <= mb <= max(a) else "no"
        wins = sum(1 for x, y in zip(a, b) if y > x)
        paired = statistics.median(y / x for x, y in zip(a, b))
        print(f"| {store} | {name} | {fmt(ma)} ({fmt(min(a))}–{fmt(max(a))}) | {fmt(mb)} ({fmt(min(b))}–{fmt(max(b))}) "
              f"| {mb / ma:.2f} | {paired:.2f} | {inside} | {wins} of {min(len(a), len(b))} |")
if order == "ABBA":
    print()
    print("By position (does running second help or hurt?): per-round B / A, median, in the rounds where A ran first and where B ran first:")
    print()
    print("| store | fan-out | A first (odd rounds) | B first (even rounds) |")
    print("| --- | --- | ---: | ---: |")
    for store in stores:
        for fanout, name in fanouts:
            a = {n: r for n, r, _ in data.get((store, fanout, "A"), [])}
            b = {n: r for n, r, _ in data.get((store, fanout, "B"), [])}
            odd = [b[n] / a[n] for n in a if n in b and n % 2 == 1]
            even = [b[n] / a[n] for n in a if n in b and n % 2 == 0]
            if odd and even:
                print(f"| {store} | {name} | {statistics.median(odd):.2f} | {statistics.median(even):.2f} |")
print()
print("Retried proposals per call (declined windows, NAKs), median (min–max):")
print()
print("| store | fan-out | A | B |")
print("| --- | --- | ---: | ---: |")
for store in stores:
    for fanout, name in fanouts:
        a = [t for _, _, t in data.get((store, fanout, "A"), [])]
        b = [t for _, _, t in data.get((store, fanout, "B"), [])]
        if not a or not b: continue
        print(f"| {store} | {name} | {statistics.median(a):g} ({min(a)}–{max(a)}) | {statistics.median(b):g} ({min(b)}–{max(b)}) |")
print()
print("## Per round: object MB/s (retries)")
for store in stores:
    print()
    print(f"### {store}")
    print()
    print("| round | A multicast | B multicast | A unicast copies | B unicast copies |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    rounds = sorted({r for k, v in data.items() if k[0] == store for r, _, _ in v})
    for rnd in rounds:
        cells = []
        for fanout, _ in fanouts:
            for side in "AB":
                hit = [(r, t) for n, r, t in data.get((store, fanout, side), []) if n == rnd]
                cells.append(f"{fmt(hit[0][0])} ({hit[0][1]})" if hit else "–")
        print(f"| {rnd} | {cells[0]} | {cells[1]} | {cells[2]} | {cells[3]} |")
EOF
} >"$OUT"
echo "wrote $OUT (raw output in $LOG)"
