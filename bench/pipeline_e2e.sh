#!/usr/bin/env bash
# End-to-end orders/s with everything durable, on the real disk by default (issue 10).
#
# Usage: bench/pipeline_e2e.sh [--json FILE] [--labels batch|per-parcel|both]
#                              [--configs run,procs] [BUILD_DIR] [ORDERS] [WORK_DIR]
#   BUILD_DIR  where the executables were built (default build/dev)
#   ORDERS     orders to generate and push through (default 20000)
#   WORK_DIR   where journals, stores and labels go, kept afterwards (default a directory
#              under ${TMPDIR:-/tmp} (the ext4 root here), removed at the end; pass
#              /dev/shm/... to take the disk out of the figure)
#   --json     also write the figures as a JSON array, one object per configuration
#   --labels   which label layouts to run (default both)
#   --configs  run (sortline run --fsync, one process) and/or procs (sortline-dock +
#              sortline-intake + 2 x sortline-worker over TCP on 127.0.0.1, timed from the
#              first batch submitted to the last order done); default both
#
# First it states the work directory's file system and measures its floor for label
# files (bench/fs_floor: files/s created, written and renamed, without a flush, with two
# flushes per file, and flushed in groups as per-parcel labels are). Peak RSS is each
# process's VmHWM, read from /proc every 0.1 s and before it is stopped. With
# SORTLINE_E2E_CURVE=1 the daemons and the submitter also use CURVE keys.
set -euo pipefail
json=""
label_modes="batch per-parcel"
configs="run procs"
while [[ $# -gt 0 && $1 == --* ]]; do
  case $1 in
    --json) json=$2; shift 2 ;;
    --labels) [[ $2 == both ]] && label_modes="batch per-parcel" || label_modes=$2; shift 2 ;;
    --configs) configs=${2//,/ }; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
build=${1:-build/dev}
orders=${2:-20000}
root=${3:-}
keep=1
[[ -z $root ]] && { root=$(mktemp -d "${TMPDIR:-/tmp}/sortline-e2e.XXXXXX"); keep=0; }
bin="$build/workers"
mkdir -p "$root"
root=$(cd "$root" && pwd)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ $keep == 1 ]] || rm -rf "$root"
}
trap cleanup EXIT

fs_type=$(findmnt -n -o FSTYPE --target "$root" 2>/dev/null | head -1)
[[ -n $fs_type ]] || fs_type=$(stat -f -c %T "$root")
fs_device=$(df -P "$root" | awk 'NR == 2 { print $1 " on " $6 }')
load() { cut -d' ' -f1 /proc/loadavg; }
now() { date +%s.%N; }
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null || true; }
results=()

echo "work directory: $root ($fs_type, $fs_device); $(nproc) cores, load $(load)"
floor=$("$build/bench/fs_floor" "$root/floor" "$(( orders < 20000 ? orders : 20000 ))")
echo "file system floor (4.8 KB files): $floor"
results+=("{\"config\": \"fs-floor\", \"fs\": \"$fs_type\", \"work_dir\": \"$root\", \"load\": $(load), \"floor\": $floor}")

"$bin/sortline" gen -n "$orders" -o "$root/orders.jsonl" >/dev/null 2>&1

count_label_files() {  # label files (not the index) in $1
  find "$1" -maxdepth 1 -type f -name '*.pdf' | wc -l
}

record() {  # record CONFIG LABELS SECONDS LABEL_DIR RSS_JSON
  local rate
  rate=$(awk -v n="$orders" -v s="$3" 'BEGIN { printf "%.0f", n / s }')
  printf '%-32s %-10s %8s orders/s  (%.2f s, %s label files, peak RSS kB %s, load %s)\n' \
    "$1" "$2" "$rate" "$3" "$(count_label_files "$4")" "$5" "$(load)"
  results+=("{\"config\": \"$1\", \"labels\": \"$2\", \"durable\": true, \"orders\": $orders, \"orders_per_s\": $rate, \"seconds\": $3, \"label_files\": $(count_label_files "$4"), \"peak_rss_kb\": $5, \"fs\": \"$fs_type\", \"load\": $(load)}")
}

# --- sortline run --fsync: one process -----------------------------------------------
run_embedded() {  # run_embedded LABELS
  local dir="$root/run-$1" start peak=0 pid
  rm -rf "$dir"
  start=$(now)
  "$bin/sortline" run --fsync --label-files "$1" -o "$dir" "$root/orders.jsonl" \
    >"$root/run-$1.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    local kb
    kb=$(hwm "$pid")
    [[ -n $kb && $kb -gt $peak ]] && peak=$kb
    sleep 0.1
  done
  wait "$pid" || { echo "sortline run failed:" >&2; tail "$root/run-$1.log" >&2; exit 2; }
  local seconds
  seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
  record "sortline run --fsync" "$1" "$seconds" "$dir/labels" "{\"run\": $peak}"
}

# --- across processes ----------------------------------------------------------------
wait_for() {  # wait_for FILE PATTERN: until the daemon logged its endpoints
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "no '$2' in $1:" >&2; cat "$1" >&2; exit 2
}
run_processes() {  # run_processes LABELS
  local dir="$root/procs-$1"
  rm -rf "$dir" && mkdir -p "$dir"
  local security=() keys="$dir/keys"
  if [[ ${SORTLINE_E2E_CURVE:-0} == 1 ]]; then
    mkdir -p "$keys"
    echo "role,name,public_key" >"$keys/keys.csv"
    for who in intake:intake dock:dock worker:worker submitter:submitter conveyor:scanner; do
      "$bin/sortline" keys gen --out "$keys" --name "${who##*:}" --role "${who%%:*}" |
        tail -1 >>"$keys/keys.csv"
    done
    security=(--curve-keys "$keys/keys.csv")
  fi
  curve() { [[ ${#security[@]} -gt 0 ]] && echo --curve-key "$keys/$1.key" "${security[@]}"; true; }
  local names=(dock intake worker1 worker2) procs=()
  # shellcheck disable=SC2046
  "$bin/sortline-dock" --records tcp://127.0.0.1:0 --conveyor tcp://127.0.0.1:0 --events "" \
    --telegram-port -1 --metrics-port -1 --db "$dir/dock.db" --manifests "$dir/manifests" \
    $(curve dock) >"$dir/dock.log" 2>&1 &
  procs+=($!)
  # shellcheck disable=SC2046
  "$bin/sortline-intake" --submit tcp://127.0.0.1:0 --work tcp://127.0.0.1:0 \
    --journal "$dir/intake.db" $(curve intake) >"$dir/intake.log" 2>&1 &
  procs+=($!)
  pids+=("${procs[@]}")
  wait_for "$dir/dock.log" "records on"
  wait_for "$dir/intake.log" "submit on"
  local records submit work
  records=$(grep -o 'records on tcp://[0-9.:]*' "$dir/dock.log" | cut -d' ' -f3)
  submit=$(grep -o 'submit on tcp://[0-9.:]*' "$dir/intake.log" | cut -d' ' -f3)
  work=$(grep -o 'work on tcp://[0-9.:]*' "$dir/intake.log" | cut -d' ' -f3)
  for n in 1 2; do
    # shellcheck disable=SC2046
    "$bin/sortline-worker" --intake "$work" --dock "$records" --labels "$dir/labels" \
      --label-files "$1" --name "w$n" $(curve worker) >"$dir/worker$n.log" 2>&1 &
    procs+=($!)
    pids+=($!)
  done
  local start peaks=(0 0 0 0) submitter
  start=$(now)
  # shellcheck disable=SC2046
  "$bin/sortline" submit --intake "$submit" $(curve submitter) "$root/orders.jsonl" \
    >"$dir/submit.log" 2>&1 &
  submitter=$!
  while kill -0 "$submitter" 2>/dev/null; do
    for i in 0 1 2 3; do
      local now_kb
      now_kb=$(hwm "${procs[$i]}")
      [[ -n $now_kb && $now_kb -gt ${peaks[$i]} ]] && peaks[i]=$now_kb
    done
    sleep 0.1
  done
  wait "$submitter" || { echo "submit failed:" >&2; tail "$dir/submit.log" >&2; exit 2; }
  local seconds
  seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
  for i in 0 1 2 3; do
    local last
    last=$(hwm "${procs[$i]}")
    [[ -n $last && $last -gt ${peaks[$i]} ]] && peaks[i]=$last
  done
  kill "${procs[@]}" 2>/dev/null || true
  wait "${procs[@]}" 2>/dev/null || true
  local rss="{\"dock\": ${peaks[0]}, \"intake\": ${peaks[1]}, \"worker1\": ${peaks[2]}, \"worker2\": ${peaks[3]}}"
  local name="intake + 2 workers + dock"
  [[ ${#security[@]} -gt 0 ]] && name+=" (CURVE)"
  record "$name" "$1" "$seconds" "$dir/labels" "$rss"
}

echo "orders: $orders"
for labels in $label_modes; do
  for config in $configs; do
    case $config in
      run) run_embedded "$labels" ;;
      procs) run_processes "$labels" ;;
    esac
  done
done

if [[ -n $json ]]; then
  {
    echo "["
    for i in "${!results[@]}"; do
      sep=","
      [[ $i -eq $(( ${#results[@]} - 1 )) ]] && sep=""
      echo "  ${results[$i]}$sep"
    done
    echo "]"
  } >"$json"
  echo "json: $json"
fi
