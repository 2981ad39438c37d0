#!/usr/bin/env bash
# deploy/k8s checked offline (issue 11): the example overlay renders with
# `kubectl kustomize`; every rendered object validates against the Kubernetes API schema
# and every container's command line is accepted by the binary it runs
# (deploy/k8s/check/check.mjs); and the check itself fails on a broken copy.
#   k8s_check.sh SOURCE_DIR BIN_DIR WORK_DIR
# kubectl: $SORTLINE_KUBECTL or the one on the PATH (Debian 12: kubernetes-client).
# The checker's npm packages (package-lock.json) are installed into WORK_DIR once.
set -euo pipefail
src=$1
bin=$2
work=$3
kubectl=${SORTLINE_KUBECTL:-kubectl}

mkdir -p "$work"
cp "$src/deploy/k8s/check/package.json" "$src/deploy/k8s/check/package-lock.json" \
  "$src/deploy/k8s/check/check.mjs" "$work/"
if ! cmp -s "$work/package-lock.json" "$work/node_modules/.package-lock.json.installed" 2>/dev/null; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  cp "$work/package-lock.json" "$work/node_modules/.package-lock.json.installed"
fi

echo "k8s: $("$kubectl" version --client 2>/dev/null | head -1)"
"$kubectl" kustomize "$src/deploy/k8s/overlays/example" >"$work/rendered.yaml" 2>"$work/kustomize.err" ||
  { cat "$work/kustomize.err"; exit 1; }
echo "k8s: rendered $(grep -c '^kind:' "$work/rendered.yaml") objects"
node "$work/check.mjs" "$work/rendered.yaml" --bin-dir "$bin"

# A check that cannot fail proves nothing: a copy with a bad flag value, a probe on a
# port nobody names and a non-integer replica count must be refused, each by name.
sed -e 's/--lease-ms=5000/--lease-ms=soon/' -e 's/port: metrics/port: metrix/' \
  -e 's/replicas: 2/replicas: two/' "$work/rendered.yaml" >"$work/broken.yaml"
if node "$work/check.mjs" "$work/broken.yaml" --bin-dir "$bin" >"$work/broken.out"; then
  echo "k8s: the check passed a broken copy"; exit 1
fi
for expected in "sortline-intake refuses its command line" "uses port metrix" "must be integer"; do
  grep -q "$expected" "$work/broken.out" || { echo "k8s: broken copy not caught: $expected"; cat "$work/broken.out"; exit 1; }
done
echo "k8s: a broken copy is refused ($(tail -1 "$work/broken.out"))"
