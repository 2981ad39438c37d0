#!/usr/bin/env bash
# End-to-end orders/s across processes, next to `sortline run` on the same file.
#
# Usage: bench/pipeline_e2e.sh [BUILD_DIR] [ORDERS] [WORK_DIR]
#   BUILD_DIR  where the executables were built (default build/dev)
#   ORDERS     orders to generate and push through (default 20000)
#   WORK_DIR   where journals, stores and labels go, kept afterwards (default a
#              directory under ${TMPDIR:-/tmp}, removed at the end; pass /dev/shm/... to
#              take the disk out of the figure)
#
# Runs, each on a fresh directory:
#   1. sortline run --fsync   (one process, inproc://, everything durable)
#   2. sortline-dock + sortline-intake + 2 x sortline-worker on 127.0.0.1 (OS-chosen
#      ports), timed from the first batch submitted to the last order done
# and prints orders/s of both and their ratio. With SORTLINE_E2E_CURVE=1 the daemons
# and the submitter also run with CURVE keys (made with `sortline keys gen`).
set -euo pipefail
build=${1:-build/dev}
orders=${2:-20000}
root=${3:-}
keep=1
[[ -z $root ]] && { root=$(mktemp -d "${TMPDIR:-/tmp}/sortline-e2e.XXXXXX"); keep=0; }
bin="$build/workers"
mkdir -p "$root"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ $keep == 1 ]] || rm -rf "$root"
}
trap cleanup EXIT

"$bin/sortline" gen -n "$orders" -o "$root/orders.jsonl" >/dev/null 2>&1

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
now() { date +%s.%N; }

# --- 1. one process ------------------------------------------------------------------
rm -rf "$root/run"
start=$(now)
"$bin/sortline" run --fsync -o "$root/run" "$root/orders.jsonl" >"$root/run.log" 2>&1
embedded_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')

# --- 2. across processes -------------------------------------------------------------
dir="$root/procs"
rm -rf "$dir" && mkdir -p "$dir"
security=()
submit_security=()
if [[ ${SORTLINE_E2E_CURVE:-0} == 1 ]]; then
  keys="$dir/keys"
  mkdir -p "$keys"
  echo "role,name,public_key" >"$keys/keys.csv"
  for who in intake:intake dock:dock worker:worker submitter:submitter conveyor:scanner; do
    role=${who%%:*} name=${who##*:}
    "$bin/sortline" keys gen --out "$keys" --name "$name" --role "$role" | tail -1 >>"$keys/keys.csv"
  done
  security=(--curve-keys "$keys/keys.csv")
fi
curve() { [[ ${#security[@]} -gt 0 ]] && echo --curve-key "$dir/keys/$1.key" "${security[@]}"; true; }

wait_for() {  # wait_for FILE PATTERN: until the daemon logged its endpoints
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "no '$2' in $1:" >&2; cat "$1" >&2; exit 2
}
# shellcheck disable=SC2046
"$bin/sortline-dock" --records tcp://127.0.0.1:0 --conveyor tcp://127.0.0.1:0 --events "" \
  --telegram-port -1 --metrics-port -1 --db "$dir/dock.db" --manifests "$dir/manifests" \
  $(curve dock) >"$dir/dock.log" 2>&1 &
pids+=($!)
# shellcheck disable=SC2046
"$bin/sortline-intake" --submit tcp://127.0.0.1:0 --work tcp://127.0.0.1:0 \
  --journal "$dir/intake.db" $(curve intake) >"$dir/intake.log" 2>&1 &
pids+=($!)
wait_for "$dir/dock.log" "records on"
wait_for "$dir/intake.log" "submit on"
records=$(grep -o 'records on tcp://[0-9.:]*' "$dir/dock.log" | cut -d' ' -f3)
submit=$(grep -o 'submit on tcp://[0-9.:]*' "$dir/intake.log" | cut -d' ' -f3)
work=$(grep -o 'work on tcp://[0-9.:]*' "$dir/intake.log" | cut -d' ' -f3)
for n in 1 2; do
  # shellcheck disable=SC2046
  "$bin/sortline-worker" --intake "$work" --dock "$records" --labels "$dir/labels" \
    --name "w$n" $(curve worker) >"$dir/worker$n.log" 2>&1 &
  pids+=($!)
done
start=$(now)
# shellcheck disable=SC2046
"$bin/sortline" submit --intake "$submit" $(curve submitter) "$root/orders.jsonl" \
  >"$dir/submit.log" 2>&1
procs_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')

embedded=$(rate "$orders" "$embedded_s")
procs=$(rate "$orders" "$procs_s")
echo "orders:                          $orders"
echo "sortline run --fsync:            $embedded orders/s (${embedded_s} s)"
echo "intake + 2 workers + dock (tcp): $procs orders/s (${procs_s} s)$([[ ${#security[@]} -gt 0 ]] && echo ', CURVE')"
awk -v a="$procs" -v b="$embedded" 'BEGIN { printf "ratio processes / run:           %.2f\n", a / b }'
