#!/usr/bin/env bash
# Every benchmark figure of sortline in one run on one machine, with the machine stated:
# the Google Benchmark binaries (JSON kept), the end-to-end runs (bench/pipeline_e2e.sh),
# the dock surge (bench/dock_surge.sh), and the peers drawing the same reference label
# (sortline's renderer, ReportLab, Node pdfkit + bwip-js, a naive libharu + zint
# program). Writes OUT/BENCHMARKS.md (tables: ours, peers, ratios within this run) and
# OUT/benchmarks.html (the same with charts, drawn by `sortline report --page`).
#
# Usage: bench/suite.sh [--quick] [--build DIR] [--out DIR] [--work DIR] [--only LIST]
#   --quick      few iterations and small counts (what the test runs; minutes, not tens)
#   --build DIR  the CMake build directory (default build/dev); missing targets are built
#   --out DIR    where the results go (default BUILD/suite)
#   --work DIR   where the end-to-end runs write (default a fresh directory under
#                ${TMPDIR:-/tmp}; its filesystem is stated with the results)
#   --only LIST  comma-separated sections: gbench,e2e,dock,peers (default all)
# Environment: SORTLINE_SUITE_NO_BUILD=1 skips the build step (the tests build first);
# SORTLINE_SUITE_NODE=PATH runs the Node peer with that node instead of the one on PATH.
# See docs/benchmarks.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/dev
args=()
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --quick) args+=(--quick); shift ;;
    --out | --work | --only) args+=("$1" "$2"); shift 2 ;;
    *) echo "suite.sh: unknown argument $1 (see the usage at the top of the script)" >&2; exit 2 ;;
  esac
done
build=$(cd "$build" && pwd)

# What the suite runs, built when missing (a no-op when the build is current).
targets=(sortline sortline-intake sortline-worker sortline-dock scanner_sim
         peer_sortline_label peer_naive_label
         s10_bench sort_bench label_bench codec_bench flow_bench dock_bench store_bench
         transport_bench)
# pipeline_e2e.sh measures the file system's floor first, with bench/fs_floor.
[[ -f $root/bench/fs_floor.cc ]] && targets+=(fs_floor)
if [[ ${SORTLINE_SUITE_NO_BUILD:-0} != 1 ]]; then
  cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >"$build/suite-build.log" 2>&1 ||
    { echo "suite.sh: build failed, see $build/suite-build.log" >&2; exit 2; }
fi

# Debian's python3 (the one python3-reportlab belongs to), whatever else is on PATH.
exec /usr/bin/python3 "$root/bench/suite.py" --root "$root" --build "$build" "${args[@]}"
