#!/bin/sh
# Installed as /usr/local/bin/spanless by provision.sh: the sensor CLI (one bundled file) on the image's
# pinned Node.js runtime, never the distribution's. Paths are contracts/host's.
exec /opt/spanless/node/bin/node /opt/spanless/lib/spanless.mjs "$@"
