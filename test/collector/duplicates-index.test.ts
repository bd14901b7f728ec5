// The duplicate index alone: the paths a real collector reaches only when storage fails (revert) or a batch
// comes again after its records were admitted (re-admit), which the HTTPS tests cannot provoke cheaply.
import { describe, expect, it } from "vitest";
import { type ConnView, connView, DuplicateIndex } from "../../sensor-ami/src/collector/duplicates.js";

const view = (uid: string, over: Partial<ConnView> = {}): ConnView => ({
  communityId: "1:x=",
  uid,
  start: 100,
  end: 110,
  mirrorSrc: uid,
  ...over,
});

describe("DuplicateIndex", () => {
  it("forgets a reverted batch: another sensor's copy is then not a duplicate of it", () => {
    // Prepare
    const index = new DuplicateIndex();
    const failed = index.admit("sensor-a", [view("Ca")]);

    // Act
    failed.revert();
    const b = index.admit("sensor-b", [view("Cb")]);

    // Assess
    expect(b.duplicates).toEqual([]);
    expect(index.stats().entries).toBe(1);
  });

  it("admits a batch that comes again without adding its records twice, and matches it the same way", () => {
    // Prepare
    const index = new DuplicateIndex();
    index.admit("sensor-a", [view("Ca")]);
    const first = index.admit("sensor-b", [view("Cb")]);

    // Act
    const again = index.admit("sensor-b", [view("Cb")]);

    // Assess
    expect(again.duplicates).toEqual(first.duplicates);
    expect(first.duplicates.map((d) => [d.record.uid, d.of.uid, d.of.sensor])).toEqual([
      ["Cb", "Ca", "sensor-a"],
    ]);
    expect(index.stats().entries).toBe(2);
  });

  it("reads what it needs of a conn record, and nothing of one without community_id", () => {
    // Act
    const full = connView({
      ts: 5,
      uid: "C1",
      community_id: "1:y=",
      duration: 2.5,
      vni: 7,
      mirror_src: "10.0.0.1",
    });
    const single = connView({ ts: 5, uid: "C2", community_id: "1:y=" });
    const without = connView({ ts: 5, uid: "C3", duration: 1 });

    // Assess
    expect(full).toEqual({
      communityId: "1:y=",
      uid: "C1",
      start: 5,
      end: 7.5,
      mirrorSrc: "10.0.0.1",
      vni: 7,
      instanceId: undefined,
    });
    expect(single).toMatchObject({ start: 5, end: 5 });
    expect(without).toBeUndefined();
  });
});
