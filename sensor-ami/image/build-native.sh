#!/usr/bin/env bash
# Builds the sensor's batched-receive addon (sensor-ami/native) for this machine's architecture with
# the image's pinned Node.js (its headers and its npm's node-gyp, so nothing is downloaded), checks
# that this runtime loads it, and copies it to --out. The image build runs it on the build instance
# (arm64 or x86_64) with --install-toolchain: build-essential is installed for the build and every
# package that brought in is purged again afterwards, even when the build fails. test/image runs it
# here, with the toolchain this machine has.
#
# Usage: build-native.sh --node <node dir> --source <dir with tools/ and sensor-ami/native/> --out <file>
#                        [--install-toolchain]
set -euo pipefail

# How long apt waits for another apt job's lock before failing the build.
APT_LOCK_SECONDS=600

die() {
  echo "build-native: $*" >&2
  exit 1
}

node_dir="" source_dir="" out="" install_toolchain=0
while [ $# -gt 0 ]; do
  case "$1" in
    --node) node_dir="${2:?--node needs a directory}"; shift 2 ;;
    --source) source_dir="${2:?--source needs a directory}"; shift 2 ;;
    --out) out="${2:?--out needs a file}"; shift 2 ;;
    --install-toolchain) install_toolchain=1; shift ;;
    *) die "unknown argument \"$1\" (usage: --node DIR --source DIR --out FILE [--install-toolchain])" ;;
  esac
done
if [ -z "$node_dir" ] || [ -z "$source_dir" ] || [ -z "$out" ]; then
  die "--node, --source and --out are required"
fi
node="$node_dir/bin/node"
[ -x "$node" ] || die "$node is not an executable Node.js (install the pinned runtime first)"
[ -f "$node_dir/include/node/node_api.h" ] || die "$node_dir/include/node/node_api.h is missing: the runtime has no headers"
[ -f "$source_dir/tools/build-native.mjs" ] || die "$source_dir/tools/build-native.mjs is missing"
[ -f "$source_dir/sensor-ami/native/binding.gyp" ] || die "$source_dir/sensor-ami/native/binding.gyp is missing"

packages() {
  dpkg-query -W -f='${Package}\n' | sort
}

toolchain_before=""
remove_toolchain() {
  local added
  added=$(comm -13 <(printf '%s\n' "$toolchain_before") <(packages) | tr '\n' ' ')
  if [ -n "${added// /}" ]; then
    echo "build-native: removing the build toolchain: $added"
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_SECONDS" purge -y -qq $added >/dev/null
  fi
}

if [ "$install_toolchain" = 1 ]; then
  toolchain_before=$(packages)
  trap remove_toolchain EXIT
  echo "build-native: installing build-essential and python3 for node-gyp"
  # A fresh instance may still be running its first apt job (unattended-upgrades): wait for the lock.
  apt-get -o DPkg::Lock::Timeout="$APT_LOCK_SECONDS" update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_SECONDS" install -y -qq \
    --no-install-recommends build-essential python3 >/dev/null
fi

# node-gyp comes with the runtime's npm (bin/npm → lib/node_modules/npm); tools/build-native.mjs finds
# it and the headers from the node it runs on, and --strict makes a failed build fail this script.
PATH="$node_dir/bin:$PATH" "$node" "$source_dir/tools/build-native.mjs" --strict
built="$source_dir/sensor-ami/native/build/Release/spanless_udp.node"
[ -f "$built" ] || die "node-gyp reported success but $built is missing"
"$node" -e '
  const addon = require(process.argv[1]);
  if (typeof addon.open !== "function" || !(addon.MAX_BATCH_DATAGRAMS > 0)) {
    console.error("build-native: " + process.argv[1] + " loads but is not the receive addon");
    process.exit(1);
  }' "$built" || die "the pinned runtime cannot load $built"
install -D -m 0644 "$built" "$out"
echo "build-native: $out ($(uname -m), Node-API addon for $("$node" --version))"
