// collector_connectivity before the first upload: a sensor whose push token the collector accepted
// at start (the handshake) says so, one that has not handshaken yet says nothing was attempted.
import { describe, expect, it } from "vitest";
import { shippingChecks } from "../../../sensor-ami/src/daemon/health/shipping-checks.js";
import type { DaemonSnapshot } from "../../../sensor-ami/src/daemon/snapshot.js";
import { snap } from "./snapshots.js";

const shipping = (over: Partial<NonNullable<DaemonSnapshot["shipping"]>>): DaemonSnapshot["shipping"] => ({
  collectorConnectivity: "unknown",
  lastUploadAt: null,
  lastError: null,
  spoolBacklogBytes: 0,
  spoolBacklogBatches: 0,
  spoolMaxBytes: 1 << 30,
  dropped: 0,
  droppedRecords: 0,
  rejected: 0,
  corrupt: 0,
  uploadedBatches: 0,
  uploadedBytes: 0,
  uploadedRecords: 0,
  ...over,
});

describe("collector_connectivity", () => {
  it("is reachable once the handshake was accepted, before any upload", () => {
    // Act
    const [line] = shippingChecks(
      snap({ shipping: shipping({ lastHandshakeAt: 1_700_000_100 }) }),
      undefined,
    );

    // Assess
    expect(line).toMatchObject({ name: "collector_connectivity", status: "OK" });
    expect(line!.value).toBe("reachable (push token accepted, nothing uploaded yet)");
  });

  it("says nothing was attempted without a handshake (or from an older snapshot)", () => {
    // Act
    const [pending] = shippingChecks(snap({ shipping: shipping({ lastHandshakeAt: null }) }), undefined);
    const [older] = shippingChecks(snap({ shipping: shipping({}) }), undefined);

    // Assess
    expect(pending!.value).toBe("no upload attempted yet");
    expect(older!.value).toBe("no upload attempted yet");
  });

  it("warns while the collector refuses the handshake, with the sensor's reason", () => {
    // Act
    const [line] = shippingChecks(
      snap({
        shipping: shipping({ lastHandshakeAt: null, handshakeError: "c:443 answered 401 to the handshake" }),
      }),
      undefined,
    );

    // Assess
    expect(line).toMatchObject({
      name: "collector_connectivity",
      status: "WARNING",
      value: "handshake failing",
    });
    expect(line!.reason).toContain("c:443 answered 401 to the handshake");
  });
});
