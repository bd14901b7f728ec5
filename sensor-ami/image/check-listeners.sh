#!/usr/bin/env bash
# Fails when a socket listens beyond loopback on this machine, other than the ones an image build has
# to allow: the image's promise is that a sensor listens on its own ports only (UDP 4789, TCP 8080, and
# it is not running at build time). Allowed: sshd on TCP 22 (Packer's connection to the build instance;
# provision.sh masks ssh for the image) and the DHCP clients' own ports (UDP 68, 546), which answer
# only their server. provision.sh runs it at the end of an image build; test/image runs it here.
#
# Usage: check-listeners.sh          prints each stray listener ("tcp 0.0.0.0:25") and exits 1 if any
set -euo pipefail

strays=$(ss -H -lntu | awk '{ print $1, $5 }' |
  grep -v -E ' (127\.[0-9.]+|\[::1\]|\[::ffff:127\.[0-9.]+\])(%[A-Za-z0-9]+)?:[0-9]+$' |
  grep -v -E '^tcp .*:22$' | grep -v -E '^udp .*:(68|546)$' || true)
if [ -n "$strays" ]; then
  echo "check-listeners: listening beyond loopback (only the sensor's ports may be open on a sensor):" >&2
  echo "$strays" >&2
  exit 1
fi
echo "check-listeners: nothing listens beyond loopback but sshd and DHCP clients"
