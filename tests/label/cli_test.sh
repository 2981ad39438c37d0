#!/bin/sh
# `sortline label preview`, `sortline run` and `sortline label get`, end to end with the
# real tools: the preview's PNG decodes with zbarimg, its ZPL is one label, a run's batch
# file has one page per order, a reprint of one of them decodes, and per-parcel runs
# write one file per order. Usage: cli_test.sh SORTLINE_BINARY
set -eu
sortline=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
"$sortline" gen -n 40 -o orders.jsonl >/dev/null 2>&1

"$sortline" label preview orders.jsonl --template 76x130 --png --zpl 300 -o preview >out.txt
grep -q 'template 76x130' out.txt
pdf=$(ls preview/*.pdf)
tracking=$(basename "$pdf" .pdf)
test -s "preview/$tracking.png"
zbarimg -q "preview/$tracking.png" | grep -qx "CODE-128:$tracking"
zbarimg -q "preview/$tracking.png" | grep -q "^QR-Code:S10:$tracking|SC:"
test "$(grep -c '\^XA' "preview/$tracking.zpl")" -eq 1
test -z "$(ls -A preview | grep -v "^$tracking\.\(pdf\|png\|zpl\)$" || true)"  # no temporary left
if "$sortline" label preview orders.jsonl --template A4 -o bad >/dev/null 2>&1; then exit 1; fi

"$sortline" run orders.jsonl -o run --template 100x180 --chute-order >/dev/null 2>&1
batch=$(ls run/labels/batch-*.pdf)
test "$(echo "$batch" | wc -l)" -eq 1
pdfinfo "$batch" | grep -q '^Pages: *40$'
pdfinfo "$batch" | grep -q 'Page size: *283.465 x 510.236 pts'
test "$(ls run/labels | grep -c '^[A-Z][A-Z][0-9]*[A-Z][A-Z]\.pdf$')" -eq 0

# A reprint (issue 10): one page, the parcel's symbols; an unknown number is exit 1.
tracking=$(grep -o '"tracking_number": *"[A-Z0-9]*"' run/records.jsonl | sed -n 7p | grep -o '[A-Z][A-Z][0-9]*[A-Z][A-Z]')
"$sortline" label get "$tracking" --labels run/labels -o reprint >get.txt
grep -q "from batch-" get.txt
pdfinfo "reprint/$tracking.pdf" | grep -q '^Pages: *1$'
pdftoppm -r 300 -png -singlefile "reprint/$tracking.pdf" reprint/page
zbarimg -q reprint/page.png | grep -qx "CODE-128:$tracking"
if "$sortline" label get EA999999995CN --labels run/labels -o reprint >/dev/null 2>&1; then exit 1; fi
rm -r run/labels/index
"$sortline" label index --labels run/labels | grep -q '^indexed 40 labels'

"$sortline" run orders.jsonl -o parcels --label-files per-parcel >/dev/null 2>&1
test "$(ls parcels/labels | grep -c '^[A-Z][A-Z][0-9]*[A-Z][A-Z]\.pdf$')" -eq 40
echo ok
