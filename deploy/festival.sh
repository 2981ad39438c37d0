#!/usr/bin/env bash
# The main job: a festival batch run on the embedded default. Installs what is missing,
# builds, generates N orders (default 10,000) from the real division table and runs
# them through the whole pipeline in one process with the example Xi'an hub plan.
#   bash deploy/festival.sh [N] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

orders=${1:-10000}
out=${2:-out/festival}

bash deploy/setup-debian12.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target sortline -j"$(nproc)"

mkdir -p "$(dirname "$out")"
build/dev/workers/sortline gen -n "$orders" -o "$out-orders.jsonl"
status=0
build/dev/workers/sortline run "$out-orders.jsonl" -o "$out" || status=$?
# The run's report (exit 1 means some orders failed: they are in the report too).
if ((status <= 1)); then build/dev/workers/sortline report "$out"; fi
exit "$status"
