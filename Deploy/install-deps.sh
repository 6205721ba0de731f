#!/usr/bin/env bash
# Installs what building and running Replicast on the host needs (Debian packages), and
# raises the per-socket multicast membership limit (each node joins one group per row and
# one per transaction in flight; Linux's default of 20 is too low for a busy node).
set -euo pipefail
need=()
for pkg in libibverbs-dev librdmacm-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q "${need[@]}" >/dev/null
fi
if [ -w /proc/sys/net/ipv4/igmp_max_memberships ]; then
    current=$(cat /proc/sys/net/ipv4/igmp_max_memberships)
    [ "$current" -ge 1024 ] || echo 1024 > /proc/sys/net/ipv4/igmp_max_memberships
fi
if ! command -v swift >/dev/null 2>&1; then
    [ -x /opt/swift/usr/bin/swift ] && export PATH=/opt/swift/usr/bin:$PATH
fi
command -v swift >/dev/null 2>&1 || { echo "Swift 6.3 is required (expected at /opt/swift)" >&2; exit 1; }
