#!/usr/bin/env bash
# Scan-time decision latency of sortline-dock under a surge of records (issue 14): for
# each protocol and rate, a fresh dock on the shipped plan and a scanner_sim process
# driving it open-loop from its own schedule while it feeds records at FEED_RATE
# (default 20,000/s; 0: as fast as the dock acknowledges them). Prints, per rate and
# protocol, p50/p99/p99.9/max, the records rate fed, and the simulator's jitter probe
# (how late a thread of the same machine wakes from 200 us sleeps meanwhile).
# Usage: bench/dock_surge.sh [BUILD_DIR] [SECONDS] [FEED_RATE] [RATES...]
set -euo pipefail
build=${1:-build/dev}
seconds=${2:-5}
feed_rate=${3:-20000}
shift $(($# < 3 ? $# : 3))
rates=("$@")
((${#rates[@]})) || rates=(5000 20000 50000)
dock="$build/workers/sortline-dock"
sim="$build/bench/scanner_sim"
plan="$(dirname "$0")/../deploy/plans/xian-hub"
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
# The figures depend on what else runs on the machine: say how busy it was.
echo "load before: $(uptime)"

for protocol in zeromq telegram; do
  for rate in "${rates[@]}"; do
    rm -rf "$work/run" && mkdir -p "$work/run"
    "$dock" --records tcp://127.0.0.1:0 --conveyor tcp://127.0.0.1:0 --events "" \
      --telegram-port 0 --metrics-port -1 --db "$work/run/dock.db" --plan "$plan" \
      --manifests "$work/run/manifests" --keep-events >"$work/run/log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q "records on" "$work/run/log" && break; sleep 0.1; done
    records=$(grep -o 'records on tcp://[0-9.:]*' "$work/run/log" | cut -d' ' -f3)
    conveyor=$(grep -o 'conveyor on tcp://[0-9.:]*' "$work/run/log" | cut -d' ' -f3)
    telegram=$(grep -o 'telegrams on port [0-9]*' "$work/run/log" | cut -d' ' -f4)
    args=(--records "$records" --conveyor "$conveyor" --rate "$rate" --seconds "$seconds" --feed
      --feed-rate "$feed_rate")
    [[ $protocol == telegram ]] && args+=(--telegram-port "$telegram")
    "$sim" "${args[@]}" || true
    kill "$pid"
    wait "$pid" || true
  done
done
echo "load after: $(uptime)"
