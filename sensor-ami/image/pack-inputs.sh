#!/usr/bin/env bash
# Packs what the image build uploads to the build instance into one tarball: the one-file sensor bundle
# (npm run bundle), this folder's provisioning scripts and pins, the systemd units, the addon's sources
# with the script that builds them (the addon is compiled on the build instance, for its architecture),
# and BUILD-INFO (the commit). packer/sensor.pkr.hcl runs it; test/image runs it and provisions a scratch
# root from its output, so the test installs exactly what an image build would.
#
# Usage: pack-inputs.sh --out <file.tar.gz> [--bundle <spanless.mjs>]   (run from anywhere)
set -euo pipefail

die() {
  echo "pack-inputs: $*" >&2
  exit 1
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="" bundle="$repo/dist/bundle/sensor/spanless.mjs"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a file}"; shift 2 ;;
    --bundle) bundle="${2:?--bundle needs a file}"; shift 2 ;;
    *) die "unknown argument \"$1\" (usage: --out FILE [--bundle FILE])" ;;
  esac
done
[ -n "$out" ] || die "--out <file.tar.gz> is required"
[ -f "$bundle" ] || die "$bundle is missing: run \`npm run bundle\` first"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/sensor-ami/native" "$stage/tools"
cp "$bundle" "$stage/spanless.mjs"
cp -r "$repo/sensor-ami/image" "$repo/sensor-ami/systemd" "$stage/sensor-ami/"
cp -r "$repo/sensor-ami/native/binding.gyp" "$repo/sensor-ami/native/src" "$stage/sensor-ami/native/"
cp "$repo/tools/build-native.mjs" "$stage/tools/"

commit=unknown
if git -C "$repo" rev-parse --verify HEAD >/dev/null 2>&1; then
  commit=$(git -C "$repo" rev-parse HEAD)
  # A build from uncommitted changes says so in the manifest.
  [ -z "$(git -C "$repo" status --porcelain --untracked-files=no)" ] || commit="$commit-dirty"
fi
printf 'git_commit=%s\n' "$commit" >"$stage/BUILD-INFO"

mkdir -p "$(dirname "$out")"
tar -czf "$out" -C "$stage" .
echo "pack-inputs: $out (commit $commit)"
