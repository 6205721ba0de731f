#!/usr/bin/env bash
# The test suite: installs what it needs, then runs
#   1. Deploy/check-units.sh: the systemd unit (systemd-analyze verify) and sysctl file,
#   2. every Swift Testing suite on the host (UDP multicast on loopback; verbs tests skip;
#      the example cluster files of Deploy/examples are loaded there),
#   3. the wire-decoder fuzzer for a bounded time,
#   4. the soft-RoCE suite inside a VM (Deploy/softroce.sh), where the verbs tests must run,
#   5. puts and gets between network namespaces under netem loss, duplication and
#      reordering (Deploy/netem.sh), in the same kind of VM (this kernel has no netem),
#   6. puts and gets between network namespaces on links rate-limited with tc tbf
#      (Deploy/tbf.sh, release build), on the host: every put must succeed at its target rate.
# Exits non-zero if any part fails.  SKIP_SOFTROCE=1 (skips 4 and 5) / SKIP_TBF=1 (skips 6) /
# FUZZ_SECONDS=N adjust it.
set -uo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh || exit 1
export PATH=/opt/swift/usr/bin:$PATH
fuzz_seconds=${FUZZ_SECONDS:-60}
status=0
results=()

step() {
    local name=$1; shift
    echo "=== $name"
    local start=$SECONDS
    if "$@"; then
        results+=("ok    $name ($((SECONDS - start)) s)")
    else
        results+=("FAIL  $name ($((SECONDS - start)) s)")
        status=1
    fi
}

step "build" swift build --build-tests
step "deploy files" Deploy/check-units.sh
step "swift test (host)" swift test --skip-build
step "fuzz wire decoder (${fuzz_seconds} s)" Fuzz/run.sh "$fuzz_seconds"
if [ "${SKIP_SOFTROCE:-0}" != 1 ]; then
    step "soft-RoCE suite (VM)" Deploy/softroce.sh
    step "netem: namespaces, loss, duplication, reordering (VM)" Deploy/softroce.sh exec Deploy/netem.sh 60
fi

if [ "${SKIP_TBF:-0}" != 1 ]; then
    step "build (release)" swift build -c release --product replicast-node
    step "build (release) replicast" swift build -c release --product replicast
    step "tbf: namespaces, rate-limited links (host)" Deploy/tbf.sh
fi

echo "=== summary"
printf '%s\n' "${results[@]}"
passed=$(printf '%s\n' "${results[@]}" | grep -c '^ok') || true
failed=$(printf '%s\n' "${results[@]}" | grep -c '^FAIL') || true
echo "$passed passed, $failed failed"
exit $status
