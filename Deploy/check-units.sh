#!/usr/bin/env bash
# Checks the deployment files (Deploy/test.sh runs it as its "deploy files" step):
#   - every unit under Deploy/systemd with `systemd-analyze verify`, failing on any message it
#     prints (it exits 0 on an unknown or misspelt directive and only warns), and
#   - every key of Deploy/sysctl/*.conf exists on the running kernel (a misspelt key would
#     only be reported by systemd-sysctl at boot).
# The example cluster files are checked by the Swift tests (DeployExampleTests).
#
# verify also checks that ExecStart's program is executable, and the binary is not
# installed here: each unit is verified as a copy, next to a stub executable, in which only
# the program path of ExecStart differs (the script checks that exactly that changed).
# Installs Debian's systemd package if systemd-analyze is missing. Exits non-zero on any
# problem.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "installing systemd (for systemd-analyze)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -q && apt-get install -y -q --no-install-recommends systemd; } >/dev/null ||
        { echo "check-units: cannot install systemd" >&2; exit 1; }
fi

status=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#!/bin/sh\nexit 0\n' >"$work/stub"
chmod +x "$work/stub"

units=(Deploy/systemd/*.service)
[ -e "${units[0]}" ] || { echo "check-units: no unit under Deploy/systemd" >&2; exit 1; }
for unit in "${units[@]}"; do
    name=$(basename "$unit")
    # The program of the (single) ExecStart line, e.g. /usr/local/bin/replicast-node.
    mapfile -t starts < <(grep -E '^ExecStart=' "$unit")
    if [ "${#starts[@]}" -ne 1 ]; then
        echo "FAIL $name: want exactly one ExecStart= line, found ${#starts[@]}"
        status=1
        continue
    fi
    program=${starts[0]#ExecStart=}
    program=${program%% *}
    sed "s|^ExecStart=$program |ExecStart=$work/stub |" "$unit" >"$work/$name"
    changed=$(diff "$unit" "$work/$name" | grep -c '^[<>]')
    if [ "$changed" -ne 2 ]; then
        echo "FAIL $name: could not point ExecStart at the stub ($changed lines differ)"
        status=1
        continue
    fi
    # A template is verified through an instance of it (verify finds the template next to it).
    target=$name
    [[ $name == *@.service ]] && target=${name%@.service}@1.service
    output=$(cd "$work" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "./$target" 2>&1)
    rc=$?
    # Messages about the copy name it by its temporary path: show the unit's own name.
    output=${output//$work\//Deploy\/systemd\/}
    if [ $rc -ne 0 ] || [ -n "$output" ]; then
        echo "FAIL $name: systemd-analyze verify (exit $rc):"
        printf '%s\n' "$output" | sed 's/^/    /'
        status=1
    else
        echo "ok   $name: systemd-analyze verify"
    fi
done

for conf in Deploy/sysctl/*.conf; do
    [ -e "$conf" ] || continue
    bad=0
    while IFS= read -r line; do
        line=${line%%#*}
        [[ $line =~ ^[[:space:]]*$ ]] && continue
        if ! [[ $line =~ ^[[:space:]]*-?([a-z0-9_.]+)[[:space:]]*=[[:space:]]*([^[:space:]].*)$ ]]; then
            echo "FAIL $conf: not KEY = VALUE: $line"
            bad=1
            continue
        fi
        key=${BASH_REMATCH[1]}
        if [ ! -e "/proc/sys/${key//.//}" ]; then
            echo "FAIL $conf: no such kernel setting: $key"
            bad=1
        fi
    done <"$conf"
    if [ $bad -eq 0 ]; then echo "ok   $conf: every key exists"; else status=1; fi
done

exit $status
