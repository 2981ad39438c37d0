#!/bin/sh
# ZPL read by an independent renderer: zebrash (npm zpl-renderer-js) draws each
# template's label at 203 and 300 dpi, and zbarimg must read both symbols back.
# Usage: zpl_render_test.sh SORTLINE_BINARY NODE_MODULES_DIR (the one holding
# zpl-renderer-js). Registered only when SORTLINE_ZPL_RENDERER_DIR is configured.
set -eu
sortline=$1
modules=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
cat >render.cjs <<'JS'
const fs = require("node:fs");
const { ready } = require("zpl-renderer-js");
const [, , input, output, w, h, dpmm] = process.argv;
ready.then(async ({ api }) => {
  const png = await api.zplToBase64Async(fs.readFileSync(input, "utf8"), +w, +h, +dpmm);
  fs.writeFileSync(output, Buffer.from(png, "base64"));
});
JS
"$sortline" gen -n 3 -o orders.jsonl >/dev/null 2>&1
for spec in 100x150:100:150 76x130:76:130 100x180:100:180 4x6:101.6:152.4; do
  name=${spec%%:*}; size=${spec#*:}; w=${size%:*}; h=${size#*:}
  for res in 203:8 300:12; do
    dpi=${res%:*}; dpmm=${res#*:}
    rm -rf out
    "$sortline" label preview orders.jsonl --template "$name" --zpl "$dpi" -o out >/dev/null
    tracking=$(basename out/*.zpl .zpl)
    NODE_PATH=$modules node render.cjs "out/$tracking.zpl" label.png "$w" "$h" "$dpmm" 2>/dev/null
    symbols=$(zbarimg -q label.png 2>/dev/null)
    echo "$symbols" | grep -qx "CODE-128:$tracking" || { echo "$name $dpi dpi: no Code 128"; exit 1; }
    echo "$symbols" | grep -q "^QR-Code:S10:$tracking|SC:" || { echo "$name $dpi dpi: no QR"; exit 1; }
  done
done
echo ok
