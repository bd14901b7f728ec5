// Where things are on a sensor host, and the ports it listens on (see README.md).

/** System user and group the sensor runs as (no login shell, no home). */
export const SENSOR_USER = "spanless";

/** Everything the image installs lives under here; nothing is installed at boot. */
export const INSTALL_DIR = "/opt/spanless";
/** The pinned Node.js 24 runtime the image carries (not the distribution's). */
export const NODE_BINARY = `${INSTALL_DIR}/node/bin/node`;
/** The sensor CLI, one bundled file; its native receive addon sits beside it. */
export const SENSOR_BUNDLE = `${INSTALL_DIR}/lib/spanless.mjs`;
/** Shell wrapper (`spanless …`) that runs the bundle on the pinned runtime. */
export const SENSOR_COMMAND = "/usr/local/bin/spanless";
/** What went into the image (versions, SHA-256 checksums); `spanless version` prints it. */
export const IMAGE_MANIFEST = `${INSTALL_DIR}/manifest.json`;

/** The sensor's configuration file, written by `spanless bootstrap` (mode 0600, owned by SENSOR_USER). */
export const SENSOR_CONFIG_FILE = "/etc/spanless/sensor.json";
/** Directories the sensor unit may write (its ReadWritePaths): logs, upload spool, PCAP ring, VNI map copy. */
export const SENSOR_LOG_DIR = "/var/log/spanless";
export const SENSOR_ZEEK_LOG_DIR = `${SENSOR_LOG_DIR}/zeek`;
export const SENSOR_METRICS_FILE = `${SENSOR_LOG_DIR}/metrics.emf.log`;
export const SENSOR_STATE_DIR = "/var/lib/spanless";
export const SENSOR_SPOOL_DIR = `${SENSOR_STATE_DIR}/spool`;
export const SENSOR_PCAP_DIR = `${SENSOR_STATE_DIR}/pcap`;
/**
 * The local copy of the VNI map the sensor fetches from S3 (`vniMapS3`): a directory of its own because
 * the copy is written atomically (temporary file + rename), which needs a writable directory.
 */
export const SENSOR_VNI_MAP_DIR = `${SENSOR_STATE_DIR}/vni-map`;
export const SENSOR_VNI_MAP_FILE = `${SENSOR_VNI_MAP_DIR}/vni-map.json`;
/** The boot log: every step's SPANLESS-BOOT marker (contracts/boot) and the boot's own output. */
export const USER_DATA_LOG = "/var/log/user-data.log";

/** The sensor's systemd unit. */
export const SENSOR_SERVICE = "spanless-sensor.service";

/** UDP port AWS Traffic Mirroring delivers VXLAN to (fixed by AWS). */
export const VXLAN_PORT = 4789;
/** TCP port of `/healthcheck` (the NLB target group's health check) and `/status`. */
export const HEALTH_PORT = 8080;
export const HEALTH_PATH = "/healthcheck";
