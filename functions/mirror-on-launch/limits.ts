// AWS Traffic Mirroring quotas and Spanless naming constants. The quotas are not adjustable
// (traffic-mirroring-quotas page), so they are constants rather than configuration.

/** Sessions per source network interface. */
export const MAX_SESSIONS_PER_ENI = 3;
/** Sessions per account (default; the policy can lower it to keep headroom for others). */
export const ACCOUNT_SESSION_QUOTA = 10_000;
/** Source ENIs per ENI-type target: 10, or 100 when the target instance is one of the largest sizes. */
export const MAX_SOURCES_PER_ENI_TARGET = 10;
export const MAX_SOURCES_PER_ENI_TARGET_LARGE = 100;
/** Valid `SessionNumber` values (CreateTrafficMirrorSession API reference). */
export const MIN_SESSION_NUMBER = 1;
export const MAX_SESSION_NUMBER = 32_766;
/** Valid `PacketLength` values for NLB targets (API reference). */
export const MIN_PACKET_LENGTH = 1;
export const MAX_PACKET_LENGTH = 8_500;
/** VXLAN IDs are 24-bit; 0 is treated as reserved by sensors such as Arkime, 2^24-1 kept free as well. */
export const MIN_VNI = 1;
export const MAX_VNI = 16_777_214;
/** EC2 ClientToken: up to 64 ASCII characters. */
export const CLIENT_TOKEN_LENGTH = 64;
/** Largest page EC2 returns for DescribeInstances / DescribeTrafficMirror*. */
export const DESCRIBE_PAGE_SIZE = 1_000;

/** Tag that marks a session as Spanless' own; modify/delete only ever touch sessions carrying it. */
export const OWNER_TAG_KEY = "spanless:owner";
/** Tag on the session naming the instance it mirrors (for people reading the console). */
export const INSTANCE_TAG_KEY = "spanless:instance-id";
/** Tag Spanless puts on an instance whose type EC2 refused as a mirror source; value = instance type. */
export const UNSUPPORTED_MARK_TAG_KEY = "spanless:mirror-unsupported";
/** Auto Scaling sets this tag on its instances; used to recognise the sensor fleet. */
export const ASG_NAME_TAG_KEY = "aws:autoscaling:groupName";
