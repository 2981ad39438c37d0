#!/bin/sh
# Runs the libFuzzer targets of the fuzz preset (build/fuzz) from their committed
# corpora, for as long as asked, and prints each one's figures.
#
#   sh tests/fuzz/run.sh [--seconds N] [--binary-dir DIR] [--jobs N] [TARGET...]
#   sh tests/fuzz/run.sh --seeds [TARGET...]    # rewrite the seed files of the corpora
#
# TARGET is order_line, envelope, telegram, sort_plan, dock_tables, division_resolver,
# label_text or keys_table (all when none is named). Inputs found new go to
# DIR/tests/fuzz/work/TARGET (not committed); a crash, leak, UBSan report or hang
# (-timeout, 10 s per input) stops the target with a non-zero exit and leaves the input
# as DIR/tests/fuzz/artifacts/TARGET-crash-... Fix the bug, then copy the input into
# tests/fuzz/corpus/TARGET/ as regression-<what>: every later run replays it first.
# Build first: cmake --preset fuzz && cmake --build --preset fuzz -j2
set -eu
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
binary_dir="$source_dir/build/fuzz"
seconds=30
jobs=1
seeds=0
targets=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --binary-dir) binary_dir=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --seeds) seeds=1; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets="$targets $1"; shift ;;
  esac
done
[ -n "$targets" ] || targets="order_line envelope telegram sort_plan dock_tables division_resolver label_text keys_table"

status=0
for target in $targets; do
  bin="$binary_dir/tests/fuzz/${target}_fuzzer"
  corpus="$here/corpus/$target"
  if [ ! -x "$bin" ]; then
    echo "run.sh: $bin is not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2
    exit 2
  fi
  if [ "$seeds" = 1 ]; then
    rm -f "$corpus"/seed-*
    SORTLINE_FUZZ_WRITE_SEEDS="$corpus" "$bin"
    continue
  fi
  work="$binary_dir/tests/fuzz/work/$target"
  artifacts="$binary_dir/tests/fuzz/artifacts"
  log="$binary_dir/tests/fuzz/$target.log"
  mkdir -p "$work" "$artifacts"
  dict=""
  [ -f "$here/dict/$target.dict" ] && dict="-dict=$here/dict/$target.dict"
  echo "== $target: $seconds s from $(ls "$corpus" | wc -l) committed inputs"
  set +e
  parallel=""
  [ "$jobs" -gt 1 ] && parallel="-fork=$jobs"
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    $parallel $dict -artifact_prefix="$artifacts/$target-" "$work" "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  # The last status line (#N DONE/pulse cov: ft: corp: exec/s:) and the final stats.
  grep -E '^#[0-9]+' "$log" | tail -n 1
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
  if [ $rc -ne 0 ]; then
    echo "run.sh: $target failed (exit $rc); its log:" >&2
    grep -v -E '^#[0-9]+' "$log" | tail -n 60 >&2
    ls "$artifacts"/"$target"-* 2>/dev/null >&2 || true
    status=1
  fi
done
exit $status
