#!/usr/bin/env bash
# Builds the sortline container image without pulling any base image:
#   1. installs a build (cmake --install) into a staging tree;
#   2. makes a Debian 12 root filesystem with mmdebstrap holding only the packages that
#      own the shared libraries the binaries load (found with ldd and dpkg -S), with a
#      non-root user sortline (uid/gid 10001) and without documentation;
#   3. imports it with `podman import` and adds the staging tree with the COPY-only
#      Containerfile (`podman build`).
#   bash deploy/container/build-image.sh [BUILD_DIR] [IMAGE] [WORK_DIR]
# Defaults: build/ci, localhost/sortline:latest, a temporary directory. Needs root
# (mmdebstrap's root mode, podman's root storage) and Debian's package mirrors.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build/ci}
image=${2:-localhost/sortline:latest}
work=${3:-}
if [[ -z $work ]]; then
  work=$(mktemp -d /tmp/sortline-image.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi
base=${image%:*}-rootfs:${image##*:}
[[ $base == "$image" ]] && base=$image-rootfs

echo "image: staging the installed build of $build"
rm -rf "$work/context"
mkdir -p "$work/context"
cmake --install "$build" --prefix "$work/context/stage/usr" --strip >/dev/null
cp "$here/Containerfile" "$work/context/"

# The packages owning each shared library a binary loads (ldd resolves them on this
# machine, which has the same Debian 12 packages). Paths differ by usrmerge: try both.
owner() {
  local path=$1 real candidate
  real=$(readlink -f "$path")
  for candidate in "$path" "$real" "/usr$path" "${path#/usr}" "/usr$real" "${real#/usr}"; do
    if dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1; then return; fi
  done
  echo "image: no package owns $path" >&2
  return 1
}
mapfile -t libraries < <(for binary in "$work"/context/stage/usr/bin/*; do ldd "$binary"; done |
                         awk '/=>/ { print $3 }' | sort -u)
if ((${#libraries[@]} == 0)); then
  echo "image: ldd found no shared libraries in $work/context/stage/usr/bin" >&2
  exit 1
fi
packages=$(for library in "${libraries[@]}"; do owner "$library"; done | sort -u | paste -sd, -)
echo "image: runtime packages: $packages"

echo "image: making the root filesystem (mmdebstrap, bookworm)"
mmdebstrap --quiet --variant=essential --include="$packages" \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --customize-hook='echo "sortline:x:10001:10001:sortline:/var/lib/sortline:/usr/sbin/nologin" >> "$1/etc/passwd"' \
  --customize-hook='echo "sortline:x:10001:" >> "$1/etc/group"' \
  --customize-hook='mkdir -p "$1/var/lib/sortline" && chown 10001:10001 "$1/var/lib/sortline"' \
  --customize-hook='rm -rf "$1/var/cache/apt" "$1/var/lib/apt/lists"/* "$1/var/log"/*' \
  bookworm "$work/rootfs.tar"

echo "image: podman import $base"
podman import --quiet "$work/rootfs.tar" "$base" >/dev/null
echo "image: podman build $image"
podman build --quiet --pull=never --build-arg "BASE=$base" -t "$image" "$work/context" >/dev/null
podman image inspect --format 'image: {{.Id}} {{.Size}} bytes, user {{.Config.User}}' "$image"
