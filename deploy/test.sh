#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds the ci preset (warnings are
# errors) and runs every test with ctest, then builds the fuzz preset (clang-14 with
# libFuzzer, ASan and UBSan; tests/fuzz) and runs each fuzz target for about 30 s
# (ctest -L fuzz). The last ctest summary ends the output; the exit status is non-zero
# when either suite failed.
#   bash deploy/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup-debian12.sh
cmake --preset ci
cmake --build --preset ci -j"$(nproc)"
status=0
ctest --preset ci --parallel "$(nproc)" || status=$?

cmake --preset fuzz
cmake --build --preset fuzz -j"$(nproc)"
ctest --preset fuzz --parallel "$(nproc)" || status=$?
exit "$status"
