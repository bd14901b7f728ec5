#!/usr/bin/env bash
# Provisions a Spanless sensor image: everything a sensor needs is installed here, at build time, so a
# fresh instance installs nothing at boot. packer/sensor.pkr.hcl runs it as root on the build instance
# (--root /); test/image runs it for real into a scratch directory (--root DIR), where it does
# everything that stays inside that directory and skips, saying so, what would change this machine or
# needs the internet: apt packages (CloudWatch agent, unattended-upgrades), service masking, the
# listener check.
#
# Steps: pinned Node.js 24 (SHA-256 checked before it is unpacked), system user, directories, the
# addon built for this architecture, the one-file bundle and its wrapper, systemd unit, sysctl,
# logrotate, unattended security upgrades, CloudWatch agent (signature checked), no listener but the
# sensor's, and the manifest of what went in.
#
# Usage: provision.sh --inputs <dir> [--root <dir>] [--arch x86_64|arm64]
#                     [--node-tarball <file> [--node-sha256 <hex>]]
#   --inputs        the unpacked tarball of pack-inputs.sh
#   --node-tarball  a local Node.js tarball instead of the download (checked against the pin, or
#                   against --node-sha256 when given; a download is always checked against the pin)
set -euo pipefail

# contracts/host (test/image checks these against the contract).
SENSOR_USER=spanless
INSTALL_DIR=/opt/spanless
NODE_DIR=$INSTALL_DIR/node
LIB_DIR=$INSTALL_DIR/lib
SENSOR_BUNDLE=$LIB_DIR/spanless.mjs
SENSOR_ADDON=$LIB_DIR/spanless_udp.node
SENSOR_COMMAND=/usr/local/bin/spanless
SENSOR_SERVICE=spanless-sensor.service
SENSOR_CONFIG_DIR=/etc/spanless
SENSOR_LOG_DIR=/var/log/spanless
SENSOR_STATE_DIR=/var/lib/spanless
VXLAN_PORT=4789
HEALTH_PORT=8080
# Where the pieces go on the host.
UNIT_DIR=/usr/lib/systemd/system
SYSUSERS_FILE=/usr/lib/sysusers.d/spanless.conf
TMPFILES_FILE=/usr/lib/tmpfiles.d/spanless.conf
SYSCTL_FILE=/etc/sysctl.d/60-spanless.conf
LOGROTATE_FILE=/etc/logrotate.d/spanless
APT_CONF_DIR=/etc/apt/apt.conf.d
CHRONY_CONF=/etc/chrony/conf.d/spanless.conf
# Services of Ubuntu's server image that would listen and that a sensor does not use. sshd: operators
# use Session Manager (the SSM agent connects out, it listens on nothing).
UNWANTED_SERVICES=(ssh.service ssh.socket rpcbind.service rpcbind.socket avahi-daemon.service
  avahi-daemon.socket cups.service cups.socket cups-browsed.service)
# Downloads are bounded: a stalled mirror fails the build instead of hanging it.
DOWNLOAD_SECONDS=600
# How long apt waits for another apt job's lock.
APT_WAIT=(-o DPkg::Lock::Timeout=600)

die() {
  echo "provision: $*" >&2
  exit 1
}
say() {
  echo "provision: $*"
}

root=/ inputs="" arch="" node_tarball="" node_sha256=""
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2:?--root needs a directory}"; shift 2 ;;
    --inputs) inputs="${2:?--inputs needs a directory}"; shift 2 ;;
    --arch) arch="${2:?--arch needs x86_64 or arm64}"; shift 2 ;;
    --node-tarball) node_tarball="${2:?--node-tarball needs a file}"; shift 2 ;;
    --node-sha256) node_sha256="${2:?--node-sha256 needs a checksum}"; shift 2 ;;
    *) die "unknown argument \"$1\" (see the usage at the top of $0)" ;;
  esac
done
if [ -n "$node_sha256" ] && [ -z "$node_tarball" ]; then
  die "--node-sha256 goes with --node-tarball only: a download is always checked against the pin"
fi
[ -n "$inputs" ] || die "--inputs <dir> is required (the unpacked tarball of sensor-ami/image/pack-inputs.sh)"
[ -f "$inputs/spanless.mjs" ] || die "$inputs/spanless.mjs is missing: --inputs is not a pack-inputs.sh tarball"
[ -d "$root" ] || die "--root $root is not a directory"
root=$(cd "$root" && pwd)
inputs=$(cd "$inputs" && pwd)
# A real image build changes this machine; a scratch root only ever writes below itself.
real=0
[ "$root" = / ] && real=1
if [ "$real" = 1 ] && [ "$(id -u)" != 0 ]; then
  die "an image build (--root /) runs as root"
fi
at() { # the host path $1 inside the root being provisioned
  if [ "$real" = 1 ]; then printf '%s' "$1"; else printf '%s%s' "$root" "$1"; fi
}

# shellcheck source-path=SCRIPTDIR source=pins.env
. "$inputs/sensor-ami/image/pins.env"

if [ -z "$arch" ]; then
  case "$(uname -m)" in
    x86_64) arch=x86_64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "unsupported machine $(uname -m): the sensor image is built for x86_64 or arm64" ;;
  esac
fi
case "$arch" in
  x86_64) node_arch=x64 pinned_sha256=$NODE_SHA256_X64 deb_arch=amd64 ;;
  arm64) node_arch=arm64 pinned_sha256=$NODE_SHA256_ARM64 deb_arch=arm64 ;;
  *) die "--arch must be x86_64 or arm64, not \"$arch\"" ;;
esac
if [ "$arch" != "$(uname -m | sed 's/aarch64/arm64/')" ]; then
  die "--arch $arch differs from this machine ($(uname -m)): the addon is compiled here, for this machine"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
omitted=()

if [ "$real" = 1 ]; then
  # Package lists first: a fresh cloud image may have none. A first-boot apt job (unattended-upgrades)
  # may hold the lock: wait for it instead of failing.
  export DEBIAN_FRONTEND=noninteractive
  apt-get "${APT_WAIT[@]}" update -qq
fi

# --- Node.js ---------------------------------------------------------------------------------------
node_name="node-v$NODE_VERSION-linux-$node_arch"
expected_sha256=${node_sha256:-$pinned_sha256}
if [ -n "$node_tarball" ]; then
  [ -f "$node_tarball" ] || die "--node-tarball $node_tarball: no such file"
  node_source=$(basename "$node_tarball")
else
  node_source="$NODE_DIST_URL/v$NODE_VERSION/$node_name.tar.xz"
  node_tarball="$work/$node_name.tar.xz"
  say "downloading $node_source"
  curl --fail --silent --show-error --location --max-time "$DOWNLOAD_SECONDS" --proto '=https' \
    -o "$node_tarball" "$node_source" || die "cannot download $node_source"
fi
actual_sha256=$(sha256sum "$node_tarball" | cut -d' ' -f1)
if [ "$actual_sha256" != "$expected_sha256" ]; then
  die "SHA-256 mismatch for $node_source: got $actual_sha256, expected $expected_sha256 (pinned in sensor-ami/image/pins.env for $node_name); not installing it"
fi
say "Node.js $NODE_VERSION ($node_name) checksum verified"
rm -rf "$(at "$NODE_DIR")"
mkdir -p "$(at "$NODE_DIR")"
tar -xf "$node_tarball" -C "$(at "$NODE_DIR")" --strip-components=1 --no-same-owner
installed_version=$("$(at "$NODE_DIR")/bin/node" --version)
[ "$installed_version" = "v$NODE_VERSION" ] || die "the tarball's node reports $installed_version, not v$NODE_VERSION"

# --- user and directories ----------------------------------------------------------------------------
install -D -m 0644 "$inputs/sensor-ami/systemd/spanless.sysusers.conf" "$(at "$SYSUSERS_FILE")"
install -D -m 0644 "$inputs/sensor-ami/systemd/spanless.tmpfiles.conf" "$(at "$TMPFILES_FILE")"
install -d "$(at /etc)"
systemd-sysusers --root="$root" "$(at "$SYSUSERS_FILE")"
systemd-tmpfiles --create --root="$root" "$(at "$TMPFILES_FILE")"
say "user $SENSOR_USER and $SENSOR_CONFIG_DIR, $SENSOR_LOG_DIR, $SENSOR_STATE_DIR/{spool,pcap,vni-map} made"

# --- the sensor: addon, bundle, wrapper ----------------------------------------------------------------
toolchain=()
[ "$real" = 1 ] && toolchain=(--install-toolchain)
bash "$inputs/sensor-ami/image/build-native.sh" --node "$(at "$NODE_DIR")" --source "$inputs" \
  --out "$(at "$SENSOR_ADDON")" "${toolchain[@]}"
install -D -m 0644 "$inputs/spanless.mjs" "$(at "$SENSOR_BUNDLE")"
install -D -m 0755 "$inputs/sensor-ami/image/spanless-wrapper.sh" "$(at "$SENSOR_COMMAND")"

# --- systemd unit, kernel and log settings -------------------------------------------------------------
# The unit is installed, not enabled: `spanless bootstrap` enables and starts it once the configuration
# it validated is in place.
install -D -m 0644 "$inputs/sensor-ami/systemd/$SENSOR_SERVICE" "$(at "$UNIT_DIR/$SENSOR_SERVICE")"
install -D -m 0644 "$inputs/sensor-ami/image/60-spanless.conf" "$(at "$SYSCTL_FILE")"
install -D -m 0644 "$inputs/sensor-ami/systemd/spanless.logrotate" "$(at "$LOGROTATE_FILE")"

# --- unattended security upgrades ------------------------------------------------------------------
# Ubuntu's own 50unattended-upgrades allows the -security pocket (and ESM) only; these turn the daily
# run on and keep it from rebooting a sensor: a kernel update takes effect when the instance refresh
# replaces the instance.
install -d "$(at "$APT_CONF_DIR")"
cat >"$(at "$APT_CONF_DIR/20auto-upgrades")" <<'CONF'
// Spanless sensor image (sensor-ami/image/provision.sh): daily package lists and security upgrades.
APT::Periodic::Update-Package-Lists "1";
APT::Periodic::Unattended-Upgrade "1";
APT::Periodic::AutocleanInterval "7";
CONF
cat >"$(at "$APT_CONF_DIR/52spanless-unattended-upgrades")" <<'CONF'
// Spanless sensor image: never reboot on its own (the instance refresh replaces sensors), and remove
// the packages an upgrade left unused.
Unattended-Upgrade::Automatic-Reboot "false";
Unattended-Upgrade::Remove-Unused-Dependencies "true";
CONF

# --- no listener but the sensor's ------------------------------------------------------------------
# chrony's command port (UDP 323, loopback) is for chronyc, which nobody runs on a sensor.
install -d "$(at "$(dirname "$CHRONY_CONF")")"
printf '# Spanless sensor image: no chronyc command port.\ncmdport 0\n' >"$(at "$CHRONY_CONF")"

if [ "$real" = 1 ]; then
  apt-get "${APT_WAIT[@]}" install -y -qq --no-install-recommends unattended-upgrades gnupg curl ca-certificates >/dev/null
  say "unattended-upgrades installed (security updates daily, no automatic reboot)"

  # --- CloudWatch agent ----------------------------------------------------------------------------
  agent_url="$CLOUDWATCH_AGENT_BASE_URL/ubuntu/$deb_arch/latest/amazon-cloudwatch-agent.deb"
  agent_deb="$work/amazon-cloudwatch-agent.deb"
  for file in "$agent_url" "$agent_url.sig" "$CLOUDWATCH_AGENT_BASE_URL/assets/amazon-cloudwatch-agent.gpg"; do
    curl --fail --silent --show-error --location --max-time "$DOWNLOAD_SECONDS" --proto '=https' \
      -o "$work/$(basename "$file")" "$file" || die "cannot download $file"
  done
  export GNUPGHOME="$work/gnupg"
  install -d -m 0700 "$GNUPGHOME"
  gpg --batch --quiet --import "$work/amazon-cloudwatch-agent.gpg"
  fingerprints=$(gpg --batch --with-colons --fingerprint | awk -F: '$1 == "fpr" { print $10 }')
  grep -qx "$CLOUDWATCH_AGENT_KEY_FINGERPRINT" <<<"$fingerprints" ||
    die "Amazon's CloudWatch agent key has fingerprint(s) $fingerprints, not the pinned $CLOUDWATCH_AGENT_KEY_FINGERPRINT"
  # A good signature by the pinned key itself (VALIDSIG names the signing key and its primary key), not
  # by any other key the downloaded key file might hold.
  gpg --batch --status-fd 1 --verify "$work/amazon-cloudwatch-agent.deb.sig" "$agent_deb" 2>/dev/null |
    awk -v fpr="$CLOUDWATCH_AGENT_KEY_FINGERPRINT" '$1 == "[GNUPG:]" && $2 == "VALIDSIG" && ($3 == fpr || $NF == fpr) { ok = 1 } END { exit !ok }' ||
    die "the signature of $agent_url does not verify with Amazon's key $CLOUDWATCH_AGENT_KEY_FINGERPRINT (gpg --verify: expired key or tampered package)"
  # Through apt (not dpkg -i): it waits for the lock and installs what the package depends on.
  apt-get "${APT_WAIT[@]}" install -y -qq "$agent_deb" >/dev/null
  # Not started here: `spanless bootstrap` writes its configuration (the stage's log group) and starts it.
  systemctl disable --now amazon-cloudwatch-agent.service >/dev/null 2>&1 || true
  say "CloudWatch agent $(dpkg-query -W -f='${Version}' amazon-cloudwatch-agent) installed (signature verified)"

  # --- services that would listen --------------------------------------------------------------------
  # Stopped and masked; ssh only masked, not stopped: Packer is connected through it right now.
  for unit in "${UNWANTED_SERVICES[@]}"; do
    if systemctl list-unit-files "$unit" --no-legend 2>/dev/null | grep -q .; then
      case "$unit" in
        ssh.*) systemctl disable "$unit" >/dev/null 2>&1 || true ;;
        *) systemctl disable --now "$unit" >/dev/null 2>&1 || true ;;
      esac
      systemctl mask "$unit" >/dev/null
      say "masked $unit"
    fi
  done
  # Anything else listening beyond loopback fails the build (sshd, serving this build, and the DHCP
  # clients excepted).
  bash "$inputs/sensor-ami/image/check-listeners.sh" || die "something listens beyond loopback (listed above)"

  apt-get clean
  source_image=$(imds_token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
    http://169.254.169.254/latest/api/token) &&
    curl -fsS -H "X-aws-ec2-metadata-token: $imds_token" http://169.254.169.254/latest/meta-data/ami-id) ||
    source_image=unknown
  agent_args=(--agent-deb "$agent_deb" --agent-source "$agent_url")
else
  for skipped in "apt packages unattended-upgrades, gnupg (configuration written)" \
    "CloudWatch agent download and install" "masking ${UNWANTED_SERVICES[*]}" "the listener check"; do
    say "scratch root: skipped $skipped (image builds only)"
  done
  omitted+=(--omit "amazon-cloudwatch-agent=scratch-root build: Amazon's package is installed by image builds only")
  source_image=scratch-root
  agent_args=()
fi

# --- manifest ------------------------------------------------------------------------------------------
git_commit=$(sed -n 's/^git_commit=//p' "$inputs/BUILD-INFO" 2>/dev/null || true)
"$(at "$NODE_DIR")/bin/node" "$inputs/sensor-ami/image/write-manifest.mjs" --root "$root" --arch "$arch" \
  --source-image "$source_image" --git-commit "${git_commit:-unknown}" --node-sha256 "$actual_sha256" \
  --node-source "$node_source" "${agent_args[@]}" "${omitted[@]}"
say "done: $INSTALL_DIR in $root; the sensor (not started: spanless bootstrap does) listens on UDP $VXLAN_PORT and TCP $HEALTH_PORT"
