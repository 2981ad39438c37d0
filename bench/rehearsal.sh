#!/usr/bin/env bash
# The festival rehearsal (issue 16): intake, workers and the dock on the shipped plan
# through a compressed festival day, scanned by the scanner simulator, measured every
# second, with its ledger and its report at the end. docs/rehearsal.md.
#
# Usage: bench/rehearsal.sh [--minutes 30] [--build build/dev] [--run-dir DIR]
#                           [--base-rate 25] [--workers 2] [--scan-delay-ms 3000] ...
#   (every option: python3 bench/rehearsal.py --help)
# RUN_DIR defaults to a new directory under ${TMPDIR:-/tmp} (the real disk here) and is
# kept: report.html, rehearsal.json (figures), ledger.json, metrics/*.prom (raw scrapes),
# proc.tsv, scans.tsv, logs/. Exit status 0 when the ledger is intact, 1 when not, 2 when
# the rehearsal could not run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=build/dev
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [[ ${args[$i]} == --build ]] && build=${args[$((i + 1))]}
done
targets=(sortline sortline-intake sortline-worker sortline-dock scanner_sim)
for binary in workers/sortline workers/sortline-intake workers/sortline-worker \
  workers/sortline-dock bench/scanner_sim; do
  if [[ ! -x $build/$binary ]]; then
    cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
    break
  fi
done
echo "load before: $(uptime)"
status=0
python3 "$here/rehearsal.py" "$@" || status=$?
echo "load after: $(uptime)"
exit "$status"
