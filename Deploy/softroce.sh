#!/usr/bin/env bash
# Soft-RoCE harness: boots Debian's kernel once in qemu (TCG) with the host's filesystem as
# root (virtme-ng), brings up an rxe device over a veth pair inside the VM, and runs a
# command there with REPLICAST_SOFTROCE=1 set. The host kernel has no RDMA; see
# docs/SOFT-ROCE.md for why the VM is needed and why it runs without KVM.
#
#   Deploy/softroce.sh              the verbs suite in the VM: ReplicastVerbsTests and the
#                                   end-to-end suite (ReplicastEndToEndTests) over verbs on rxe0
#                                   (REPLICAST_TRANSPORT=verbs); fails on any failure, and on any
#                                   skipped test other than the no-device ones
#   Deploy/softroce.sh bench        builds replicast-bench (release) on the host, then in the VM:
#                                   rounds of perftest's ib_send_bw (UD, 4 KiB) on rxe0 and
#                                   replicast-bench verbs (transfers to 3 members and to 1,
#                                   3-replica puts); writes Benchmarks/results/softroce.md
#   Deploy/softroce.sh exec CMD...  run CMD inside the VM with rxe0 up
#
# The host builds first (`swift build --build-tests`, a no-op when CI has built already); the
# VM only runs what was built. Each phase prints how long it took. SOFTROCE_MEMORY,
# SOFTROCE_CPUS, SOFTROCE_TIMEOUT and SOFTROCE_BENCH_ROUNDS adjust the VM and the bench.
#
# Everything the harness needs is installed on first use (apt-get, pip). The network inside
# the VM is a veth pair (v0 10.9.0.1/24, v0p) that exists only in the VM; the VM has no
# other network device, so nothing reaches the host's interfaces.
# The exit status is the command's, carried back as a marker line on the VM's console (a file
# would not do: the guest's /tmp is its own, and a clone may live under /tmp).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$REPO/.build/softroce"
VM_MEMORY="${SOFTROCE_MEMORY:-2G}"
VM_CPUS="${SOFTROCE_CPUS:-2}"
VM_TIMEOUT="${SOFTROCE_TIMEOUT:-1500}"   # seconds for the whole VM run (boot to power-off)
BENCH_ROUNDS="${SOFTROCE_BENCH_ROUNDS:-7}"

APT_PACKAGES=(
    qemu-system-x86 linux-image-amd64 rdma-core ibverbs-providers ibverbs-utils
    rdmacm-utils perftest libibverbs-dev librdmacm-dev busybox-static cpio iproute2 kmod
)

phase_start=0
# Phase lines go to the console and to $STATE/phases.log (the bench's results quote them).
phase() { phase_start=$SECONDS; echo "softroce: == $* ==" | tee -a "$STATE/phases.log"; }
phase_done() { echo "softroce: -- $1 took $((SECONDS - phase_start)) s" | tee -a "$STATE/phases.log"; }

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
    exit 2
}

install_dependencies() {
    phase "dependencies"
    local missing=()
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        echo "softroce: apt-get install ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-get install -y --no-install-recommends "${missing[@]}" >"$STATE/apt.log" 2>&1; then
            apt-get update >>"$STATE/apt.log" 2>&1
            apt-get install -y --no-install-recommends "${missing[@]}" >>"$STATE/apt.log" 2>&1 \
                || { tail -20 "$STATE/apt.log"; echo "softroce: apt-get failed" >&2; exit 1; }
        fi
    fi
    # pip's script directory may not be on PATH (or have no pyenv shim yet).
    PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
    if ! command -v vng >/dev/null; then
        echo "softroce: pip install virtme-ng"
        python3 -m pip install --quiet virtme-ng >"$STATE/pip.log" 2>&1 \
            || python3 -m pip install --quiet --break-system-packages virtme-ng >>"$STATE/pip.log" 2>&1 \
            || { tail -20 "$STATE/pip.log"; echo "softroce: pip install virtme-ng failed" >&2; exit 1; }
        hash -r
        command -v vng >/dev/null || { echo "softroce: vng not on PATH after pip install" >&2; exit 1; }
    fi
    phase_done "dependencies"
}

newest_kernel() {
    local k
    k="$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)"
    [[ -n "$k" ]] || { echo "softroce: no /boot/vmlinuz-* (linux-image-amd64 missing?)" >&2; exit 1; }
    echo "$k"
}

build_tests() {
    phase "swift build --build-tests (host)"
    (cd "$REPO" && swift build --build-tests)
    phase_done "host build"
}

# Writes the script the VM runs: rxe bring-up, then the command, then its status marker.
write_guest_script() {
    local guest="$STATE/guest.sh"
    {
        echo '#!/bin/bash'
        echo 'set -u'
        printf 'cd %q\n' "$REPO"
        cat <<'EOF'
exec 2>&1
t0=$(date +%s)
echo "softroce(vm): guest kernel up for $(cut -d' ' -f1 /proc/uptime) s when the script starts"
export PATH=/opt/swift/usr/bin:$PATH
fail() { echo "softroce(vm): $*" >&2; echo "SOFTROCE-EXIT-STATUS=125"; exit 125; }
modprobe rdma_rxe || fail "modprobe rdma_rxe failed"
ip link add v0 type veth peer name v0p || fail "veth"
ip link set v0 mtu 9000; ip link set v0p mtu 9000
ip addr add 10.9.0.1/24 dev v0
ip link set v0 up; ip link set v0p up; ip link set lo up
rdma link add rxe0 type rxe netdev v0 || fail "rdma link add failed"
for _ in $(seq 1 300); do
    ibv_devinfo -d rxe0 2>/dev/null | grep -q PORT_ACTIVE && break
    sleep 0.1
done
ibv_devinfo -d rxe0 2>/dev/null | grep -q PORT_ACTIVE || { ibv_devinfo -d rxe0; fail "rxe0 port not ACTIVE"; }
echo "softroce(vm): rxe0 ACTIVE ($(ibv_devinfo -d rxe0 | grep -o 'active_mtu:.*' | tr -s '\t ' ' ')) after $(( $(date +%s) - t0 )) s"
export REPLICAST_SOFTROCE=1
EOF
        printf '%q ' "$@"
        echo
        echo 'rc=$?'
        echo 'echo "softroce(vm): command exited $rc after $(( $(date +%s) - t0 )) s in the VM"'
        echo 'echo "SOFTROCE-EXIT-STATUS=$rc"'
        echo 'exit "$rc"'
    } >"$guest"
    chmod +x "$guest"
    echo "$guest"
}

run_in_vm() {
    local kernel guest rc
    kernel="$(newest_kernel)"
    guest="$(write_guest_script "$@")"
    local what="${VM_LABEL:-$*}"
    what="${what//$'\n'/ }"
    ((${#what} <= 200)) || what="${what:0:200}..."
    phase "VM run on $(basename "$kernel"): $what"
    set +e
    # Through a pipe: qemu reopens its console output, which would overwrite a regular file.
    (cd "$REPO" && timeout --kill-after=10 "$VM_TIMEOUT" vng --run "$kernel" --disable-kvm \
        --memory "$VM_MEMORY" --cpus "$VM_CPUS" --rw --exec "$guest" </dev/null 2>&1) | tee "$STATE/vm-console.log"
    rc=${PIPESTATUS[0]}
    set -e
    phase_done "VM run"
    local marker
    marker="$(grep -a -o 'SOFTROCE-EXIT-STATUS=[0-9]*' "$STATE/vm-console.log" | tail -1 | cut -d= -f2)"
    if [[ -n "$marker" ]]; then
        rc="$marker"
    else
        echo "softroce: the VM left no exit status (vng exited $rc)" >&2
        rc=124
    fi
    echo "softroce: exit status $rc"
    return "$rc"
}

# The bench command inside the VM ($1: replicast-bench, $2: rounds): rounds of perftest's raw UD send
# bandwidth (ib_send_bw server and client on rxe0, run by the bench itself so each round's
# figures are set against the ceiling measured around them), then the project's transfers
# and puts. Its output comes back on the console between markers (the guest's /tmp is its own).
bench_command() {
    cat <<'EOF'
bench=$1
t=$(date +%s)
echo "SOFTROCE-BENCH-BEGIN"
"$bench" verbs --device rxe0 --perftest --rounds "$2" 2>&1
rc=$?
echo "SOFTROCE-BENCH-END"
echo "softroce(vm): replicast-bench verbs --perftest took $(( $(date +%s) - t )) s"
exit $rc
EOF
}

build_bench() {
    phase "swift build -c release --product replicast-bench (host)"
    (cd "$REPO" && swift build -c release --product replicast-bench)
    phase_done "host release build"
}

# How the host's CPU time went between two "cpu" lines of /proc/stat: busy (user, nice,
# system, irq, softirq), idle (idle, iowait) and stolen by the hypervisor (the other tenants
# of this shared machine: TCG's vCPUs lose that time).
host_cpu_share() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        for (i = 2; i <= 9; i++) d[i] = y[i] - x[i]
        total = 0; for (i = 2; i <= 9; i++) total += d[i]
        if (total <= 0) { print "not measured"; exit }
        printf "%.0f%% busy, %.0f%% idle, %.0f%% stolen", 100 * (d[2] + d[3] + d[4] + d[7] + d[8]) / total,
            100 * (d[5] + d[6]) / total, 100 * d[9] / total }'
}

# Benchmarks/results/softroce.md from the outputs of one bench run.
write_bench_results() {
    local results="$REPO/Benchmarks/results/softroce.md" dir=$1 load=$2 busy=$3
    {
        echo "# Soft-RoCE: the verbs transport against perftest, on rxe0 in one VM"
        echo
        echo "Recorded $(date -u +%Y-%m-%dT%H:%MZ) by \`Deploy/softroce.sh bench\`: Debian's kernel $(basename "$(newest_kernel)") in qemu"
        echo "under TCG (no KVM, see docs/SOFT-ROCE.md), $VM_CPUS virtual CPUs and $VM_MEMORY on a host of $(nproc) shared cores"
        echo "(load average at start: $load; over the VM run the host's CPU time was $busy); rxe0 over a veth"
        echo "pair inside the VM, path MTU 4096."
        echo
        echo "**TCG emulates every instruction, and rxe does all of RoCE in the guest kernel: the absolute"
        echo "numbers mean little. The figure is the ratio to perftest's raw UD send bandwidth measured in"
        echo "the same VM, in the same run.**"
        echo
        cat "$dir/summary.md"
        echo
        cat <<'EOF'
## Reading the figures

- **The ceiling** is one perftest sender QP and one receiver QP on rxe0. Its traffic is
  unicast to the device's own address, which rxe short-cuts (no IP stack); the project's
  transfers go to a multicast group, through the guest's IP multicast loopback.
- **Noise.** The VM's two vCPUs run on a host of two shared cores, and consecutive rounds of
  the same workload often move by 10 to 20%, sometimes more: read the medians, and the per-round column for the
  spread. Each round measures the ceiling before and after its workloads, and sets them
  against the mean of the two; "ratio of the means" sets the mean rate over the rounds
  against the mean ceiling.
- **Where the time goes.** Each transfer run below prints the CPU time of the sender thread,
  of each member thread, and of the whole VM (from /proc/stat). rxe does RoCE in the guest
  kernel, and for a multicast datagram on one device it does all of it inside the posting
  thread's `ibv_post_send` system call: build and copy the packet, compute its ICRC, send it
  through IP, loop it back, check the ICRC, and copy it into a receive buffer of *every*
  member QP. Counting 4 KiB passes: perftest's post makes 5 (copy into the packet, clear the
  new buffer, ICRC, ICRC check, copy to the one receiver); a post to 3 members makes 7, plus
  the IP stack and its loopback. So with one posting thread, 3-member transfers sit near
  5/7 = 0.71 of the ceiling, whatever the transport does.
- **Send lanes** (`VerbsConfiguration.sendLanes`, `--send-lanes`) spread that work over
  cores: with 2, `send` cuts each batch of a transfer into two parts; an idle lane (a second
  queue pair with its own posting thread) takes one, and the driving thread posts the other
  and goes on to the next batch without waiting for the lane. Both vCPUs then do rxe's work,
  and the VM has little idle time left (the CPU lines below): what bounds the 3-member rate
  is the two vCPUs' time, the kernel's per-member work plus the three members' receive loops.
  With 1 member, where the VM has CPU to spare, 2 lanes go well above perftest's
  single-thread ceiling. Every queue pair receives through one shared receive queue, so
  replies to a lane arrive (the put rows with 2 lanes depend on that: the servers' ACKs go
  to whichever queue pair sent). On hardware the NIC does this work, the switch replicates,
  and each member has its own NIC and cores; one lane suffices there.
- **The members' own cost** is what the transport controls: poll, header check, reassembly
  copy into a pooled buffer, and the sleep and wake-up. With software completion moderation
  (`completionModeration`, 200 us: while traffic flows, `receive` sleeps once per batch
  instead of arming the completion queue and waking per datagram or two) the member lines
  below show how many datagrams each receive call took and what the member cost.
- **Transfers to 1 member** compare like with like (one receiver): the transport's send path
  (heads in the registered send slab, each chunk's bytes as a second scatter/gather entry
  straight from its registered buffer, chains of up to 64 work requests, one signalled in 16)
  and its receive path keep up with perftest.
- **Puts** add what a store does per chunk: the negotiation round trip, SHA-256 at the client
  and at each of the 3 servers (its cost in this VM is printed below: at these rates the four
  hashes of every chunk take about a third of the two vCPUs), the write, the ACKs; a few chunks are
  retried (declined windows, expired reservations under TCG's scheduling; the server
  counters below show whether any transfer was incomplete, i.e. lost datagrams).
- **Wire bytes per byte stored** (client's transport counters, all of it multicast) is about
  1/3 with 3 replicas: each chunk is sent once, plus headers, proposals and relayed ACKs, plus
  any retried chunk.
- Earlier runs, the changes they measured, and what was tried and not adopted are in
  `softroce-history.md` next to this file.
EOF
        echo
        echo "## Commands"
        echo
        echo '```'
        echo 'Deploy/softroce.sh bench    # boots the VM once, brings up rxe0, runs inside it:'
        echo "replicast-bench verbs --device rxe0 --perftest --rounds $BENCH_ROUNDS"
        echo '# each round runs, on rxe0:'
        echo '#   ib_send_bw -d rxe0 -x 1 -c UD -s 4096 -D 5 &  ib_send_bw -d rxe0 -x 1 -c UD -s 4096 -D 5 127.0.0.1'
        echo '#   64 transfers of 1 MiB to 3 member transports, then to 1, each with 1 send lane then 2'
        echo '#     (Fragmenter + VerbsTransport, runtime pacing)'
        echo '#   32 chunks of 1 MiB, 3 replicas, 5 in-process StorageNodes and a ReplicastClient over verbs,'
        echo '#     with 1 send lane then 2'
        echo '#   the ib_send_bw pair again; the mean of the two is the round'"'"'s ceiling'
        echo '```'
        echo
        echo "## Timings"
        echo
        echo '```'
        cat "$STATE/phases.log"
        grep -E '^softroce\(vm\)' "$STATE/vm-console.log" || true
        echo '```'
        echo
        echo "## replicast-bench verbs"
        echo
        echo '```'
        cat "$dir/replicast-bench.out"
        echo '```'
    } >"$results"
    echo "softroce: wrote $results"
}


main() {
    local started=$SECONDS
    mkdir -p "$STATE"
    : >"$STATE/phases.log"
    local mode="${1:-test}"
    [[ $# -gt 0 ]] && shift
    case "$mode" in
        test)
            install_dependencies
            build_tests
            local bundle="$REPO/.build/debug/replicastPackageTests.xctest"
            [[ -x "$bundle" ]] || { echo "softroce: no test bundle at $bundle" >&2; exit 1; }
            # The report stays in the guest (its /tmp is its own) and is checked there.
            run_in_vm env REPLICAST_TRANSPORT=verbs REPLICAST_VERBS_DEVICE=rxe0 bash -c '
                "$1" --testing-library swift-testing --no-parallel \
                    --filter ReplicastVerbsTests --filter ReplicastEndToEndTests --xunit-output /tmp/replicast-suite.xml
                rc=$?
                python3 "$2" /tmp/replicast-suite.xml || { [ $rc -ne 0 ] || rc=1; }
                exit $rc' softroce-suite "$bundle" "$REPO/Deploy/check-no-skips.py" \
                || { rc=$?; echo "softroce: total $((SECONDS - started)) s"; exit "$rc"; }
            ;;
        bench)
            local load out bin cpu_before
            load="$(cut -d' ' -f1-3 /proc/loadavg)"
            install_dependencies
            build_bench
            bin="$(cd "$REPO" && swift build -c release --show-bin-path)/replicast-bench"
            out="$STATE/bench"
            rm -rf "$out"
            mkdir -p "$out"
            # The environment does not reach the guest: the rounds go as an argument.
            cpu_before="$(head -1 /proc/stat)"
            VM_LABEL="replicast-bench verbs --device rxe0 --perftest --rounds $BENCH_ROUNDS" \
                run_in_vm bash -c "$(bench_command)" bench "$bin" "$BENCH_ROUNDS" \
                || { rc=$?; echo "softroce: total $((SECONDS - started)) s"; exit "$rc"; }
            echo "softroce: total $((SECONDS - started)) s" | tee -a "$STATE/phases.log"
            tr -d '\r' <"$STATE/vm-console.log" | sed -n '/^SOFTROCE-BENCH-BEGIN/,/^SOFTROCE-BENCH-END/p' \
                | sed '1d;$d' >"$out/replicast-bench.out"
            # The summary: the last block of table lines.
            awk '/^\| / { if (!inside) { table = ""; inside = 1 } table = table $0 "\n"; next } { inside = 0 }
                 END { printf "%s", table }' "$out/replicast-bench.out" >"$out/summary.md"
            [[ -s "$out/summary.md" ]] || { echo "softroce: no summary table in the bench's output" >&2; exit 1; }
            write_bench_results "$out" "$load" "$(host_cpu_share "$cpu_before" "$(head -1 /proc/stat)")"
            exit 0
            ;;
        exec)
            [[ $# -gt 0 ]] || usage
            install_dependencies
            run_in_vm "$@" || { rc=$?; echo "softroce: total $((SECONDS - started)) s"; exit "$rc"; }
            ;;
        -h|--help|help) usage ;;
        *) usage ;;
    esac
    echo "softroce: total $((SECONDS - started)) s"
}

main "$@"
