#!/usr/bin/env bash
# The main job: a festival batch run on the embedded default. Installs what is missing,
# builds, generates N orders (default 10,000) from the real division table and runs
# them through the whole pipeline in one process with the example Xi'an hub plan, then
# says where the labels are and how to get one.
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

# Where the labels are and how to get one (a reprint), with a real tracking number; then
# the run's report (exit 1 means some orders failed: they are in the report too).
if ((status <= 1)); then
  files=$(find "$out/labels" -maxdepth 1 -name 'batch-*.pdf' | wc -l)
  tracking=$(grep -m1 -o '"tracking_number":"[A-Z0-9]*"' "$out/records.jsonl" | cut -d'"' -f4 || true)
  echo
  echo "labels: $out/labels/ ($files batch PDF files, one per work batch; the page of each"
  echo "        parcel is in its record in $out/records.jsonl)"
  if [[ -n $tracking ]]; then
    echo "one label, e.g. for $tracking:"
    echo "  build/dev/workers/sortline label get $tracking --labels $out/labels -o $out/reprints"
  fi
  build/dev/workers/sortline report "$out"
fi
exit "$status"
