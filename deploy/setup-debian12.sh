#!/usr/bin/env bash
# Installs the Debian 12 packages sortline builds, tests and runs with.
# Idempotent: asks apt only for what is missing, so a second run is quick.
set -euo pipefail

# fonts-wqy-microhei is the CJK font poppler substitutes for the labels' SimSun/SimHei
# (fontconfig, lang zh-cn) when tests rasterize them; the ink tests were measured with it.
# The qpdf tool checks label files and cuts pages out of batch files in tests/label.
# clang-14 and libclang-rt-14-dev (libFuzzer, the sanitizer runtimes, FuzzedDataProvider.h)
# build the fuzz preset (tests/fuzz).
packages=(
  build-essential cmake pkg-config clang-format clang-14 libclang-rt-14-dev
  libtbb-dev libzmq3-dev cppzmq-dev libprotobuf-dev protobuf-compiler
  libhpdf-dev libzint-dev libdeflate-dev libsqlite3-dev sqlite3 libqpdf-dev libcsv-dev libcli11-dev libcivetweb-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zbar-tools poppler-utils poppler-data fonts-wqy-microhei fonts-droid-fallback python3-reportlab
  gnuplot-nox chromium libpng-dev qpdf
  # deploy/container: the image's root filesystem (mmdebstrap), its import and build (podman)
  mmdebstrap podman
)
# gnuplot-nox draws the charts of `sortline report` and bench/suite.sh; chromium opens the
# report in its acceptance test (headless), libpng reads the screenshot there.
# deploy/k8s's offline checks render with `kubectl kustomize` and validate with Node.js;
# the benchmark suite's Node peer (pdfkit + bwip-js from npm, installed under the build
# directory) needs Node.js too. Debian 12's kubectl is the package kubernetes-client
# (1.20), and Node.js 18 with npm; a kubectl or node already on the PATH (another
# packaging of them) is used as it is, since installing Debian's over it would clash on
# the same files.
command -v kubectl >/dev/null || packages+=(kubernetes-client)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root to install packages (run as root or with sudo)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all ${#packages[@]} packages present"
