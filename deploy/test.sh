#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds the ci preset (warnings are
# errors) and runs every test with ctest, whose summary ends the output.
#   bash deploy/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup-debian12.sh
cmake --preset ci
cmake --build --preset ci -j"$(nproc)"
ctest --preset ci --parallel "$(nproc)"
