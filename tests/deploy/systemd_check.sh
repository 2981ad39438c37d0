#!/usr/bin/env bash
# Every ExecStart= line of deploy/systemd/*.service must be accepted by the binary it
# runs: the line's flags are parsed with --check-flags (each daemon exits 0 after
# parsing, touching nothing), with the installed binary's path replaced by the build's
# and the unit's specifiers (%H, %i) filled in.
#   bash tests/deploy/systemd_check.sh SOURCE_DIR BINARY_DIR
set -euo pipefail
source_dir=$1
binary_dir=$2
checked=0
for unit in "$source_dir"/deploy/systemd/*.service; do
  line=$(sed -n 's/^ExecStart=//p' "$unit")
  if [ -z "$line" ]; then
    echo "FAIL: $unit has no ExecStart=" >&2
    exit 1
  fi
  line=${line//%H/host}
  line=${line//%i/1}
  read -r -a words <<<"$line"
  binary="$binary_dir/$(basename "${words[0]}")"
  if ! refusal=$("$binary" "${words[@]:1}" --check-flags 2>&1 >/dev/null); then
    echo "FAIL: $(basename "$unit"): $binary refuses its command line:" >&2
    echo "$refusal" >&2
    exit 1
  fi
  echo "ok: $(basename "$unit")"
  checked=$((checked + 1))
done
[ "$checked" -ge 3 ] || { echo "FAIL: only $checked units found" >&2; exit 1; }
