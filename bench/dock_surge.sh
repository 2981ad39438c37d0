#!/usr/bin/env bash
# Scan-time decision latency of sortline-dock under a surge of records: for each rate
# and protocol, a fresh dock and a scanner_sim process driving it open-loop while feeding
# records at full speed. Usage: bench/dock_surge.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
build=${1:-build/dev}
seconds=${2:-5}
dock="$build/workers/sortline-dock"
sim="$build/bench/scanner_sim"
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
# The figures depend on what else runs on the machine: say how busy it was.
echo "load before: $(uptime)"

for protocol in zeromq telegram; do
  for rate in 5000 20000 50000; do
    rm -rf "$work/run" && mkdir -p "$work/run"
    "$dock" --records tcp://127.0.0.1:0 --conveyor tcp://127.0.0.1:0 --events "" \
      --telegram-port 0 --metrics-port -1 --db "$work/run/dock.db" \
      --manifests "$work/run/manifests" >"$work/run/log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do grep -q "records on" "$work/run/log" && break; sleep 0.1; done
    records=$(grep -o 'records on tcp://[0-9.:]*' "$work/run/log" | cut -d' ' -f3)
    conveyor=$(grep -o 'conveyor on tcp://[0-9.:]*' "$work/run/log" | cut -d' ' -f3)
    telegram=$(grep -o 'telegrams on port [0-9]*' "$work/run/log" | cut -d' ' -f4)
    args=(--records "$records" --conveyor "$conveyor" --rate "$rate" --seconds "$seconds" --feed)
    [[ $protocol == telegram ]] && args+=(--telegram-port "$telegram")
    "$sim" "${args[@]}" || true
    kill "$pid"; wait "$pid" || true
  done
done
echo "load after: $(uptime)"
