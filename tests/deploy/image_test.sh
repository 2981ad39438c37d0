#!/usr/bin/env bash
# The container image (issue 11): deploy/container/build-image.sh builds it from this
# build without pulling anything; the image is mounted (`podman image mount`) and each
# binary runs --help under chroot as the image's non-root user, proving every runtime
# library is inside; a real command runs on the shipped division table and plan.
#   image_test.sh SOURCE_DIR BUILD_DIR WORK_DIR
# Needs root, mmdebstrap and podman (deploy/setup-debian12.sh); exits 77 (skipped)
# without them.
set -euo pipefail
src=$1
build=$2
work=$3
if [[ $(id -u) -ne 0 ]] || ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null; then
  echo "image: needs root, podman and mmdebstrap"; exit 77
fi
image=localhost/sortline-test-$$:latest
rm -rf "$work" && mkdir -p "$work"
mounted=""
cleanup() {
  [[ -n $mounted ]] && podman image unmount "$image" >/dev/null 2>&1
  podman rmi -f "$image" "localhost/sortline-test-$$-rootfs:latest" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

start=$(date +%s)
bash "$src/deploy/container/build-image.sh" "$build" "$image" "$work"
echo "image: built in $(($(date +%s) - start)) s"

user=$(podman image inspect --format '{{.Config.User}}' "$image")
[[ $user == 10001:10001 ]] || { echo "image: runs as '$user', not the non-root sortline user"; exit 1; }
mounted=$(podman image mount "$image")
grep -q '^sortline:x:10001:10001:' "$mounted/etc/passwd" || { echo "image: no sortline user"; exit 1; }
for binary in sortline sortline-intake sortline-worker sortline-dock; do
  out=$(chroot --userspec=10001:10001 "$mounted" "/usr/bin/$binary" --help 2>&1) ||
    { echo "image: $binary --help failed under chroot:"; echo "$out"; exit 1; }
  grep -q -- "--help" <<<"$out" || { echo "image: $binary --help printed no usage"; exit 1; }
  echo "image: $binary --help runs under chroot"
done
out=$(chroot --userspec=10001:10001 "$mounted" /usr/bin/sortline plan check \
  /usr/share/sortline/plans/xian-hub --divisions /usr/share/sortline/china-divisions 2>&1) ||
  { echo "image: plan check failed under chroot:"; echo "$out"; exit 1; }
echo "image: sortline plan check of the shipped plan passes under chroot"
for tool in gcc g++ cmake apt-get; do
  [[ ! -e $mounted/usr/bin/$tool ]] || { echo "image: $tool is inside; runtime packages only"; exit 1; }
done
echo "image: $(du -sm "$mounted" | cut -f1) MB, no compiler, no apt"
