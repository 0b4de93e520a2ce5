import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { afterDeleted, withLongLeases } from "../../worker/domain/pool-rules";
import { earlierAfterChange, fnv1a, liveEarlier, movedUntil, numbersOfShard, objectCount, shardName, shardOf } from "../../worker/domain/shards";
import { shardLimit } from "../../worker/pool/rate-window";

describe("shard routing", () => {
  it("FNV-1a matches its published test vectors", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });

  it("partitions every number into exactly one shard", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^\+1[2-9]\d{9}$/), { maxLength: 200 }), fc.integer({ min: 1, max: 16 }), (numbers, shards) => {
        const parts = Array.from({ length: shards }, (_, s) => numbersOfShard(numbers, s, shards));
        expect(parts.flat().sort()).toEqual([...numbers].sort());
        for (const [s, part] of parts.entries()) for (const n of part) expect(shardOf(n, shards)).toBe(s);
      }),
    );
  });

  it("spreads numbers and sessions roughly evenly", () => {
    const numbers = Array.from({ length: 8000 }, (_, i) => `+1888${String(2000000 + i)}`);
    const counts = Array.from({ length: 8 }, (_, s) => numbersOfShard(numbers, s, 8).length);
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });

  it("names shard 0 like an unsharded pool", () => {
    expect(shardName("acct", "web", 0)).toBe("acct/web");
    expect(shardName("acct", "web", 3)).toBe("acct/web#3");
  });

  it("holds a moved number until every old shard's lease can have ended", () => {
    const n = "+18882000001";
    const from = shardOf(n, 2);
    const to = shardOf(n, 3);
    const pool = { shards: 3, leaseSeconds: 60, graceSeconds: 30 };
    expect(movedUntil(n, to, pool, 0)).toBeNull();
    expect(movedUntil(n, to, { ...pool, earlierShards: [{ shards: 3, until: 5_000 }] }, 0)).toBeNull();
    // A pool stored before earlierShards existed: its one previous count, until the change + lease + grace + margin.
    const legacy = { ...pool, previousShards: 2, reshardedAt: 1_000 };
    expect(movedUntil(n, to, legacy, 1_000)).toBe(from !== to ? 1_000 + 90_000 + 60_000 : null);
    // Past that time the hold is over.
    expect(movedUntil(n, to, legacy, 1_000 + 150_000)).toBeNull();
  });

  it("keeps every earlier shard count of changes within one lease", () => {
    const p1 = { shards: 4, leaseSeconds: 600, graceSeconds: 60 };
    const e1 = earlierAfterChange(p1, 2, 1_000);
    expect(e1).toEqual([{ shards: 4, until: 1_000 + 660_000 + 60_000 }]);
    const e2 = earlierAfterChange({ ...p1, shards: 2, earlierShards: e1 }, 1, 5_000);
    expect(e2).toEqual([
      { shards: 2, until: 5_000 + 720_000 },
      { shards: 4, until: 1_000 + 720_000 },
    ]);
    // Back to a count it had: that count is the current one again, not an earlier one.
    expect(earlierAfterChange({ ...p1, shards: 1, earlierShards: e2 }, 4, 9_000).map((e) => e.shards)).toEqual([1, 2]);
    expect(liveEarlier({ ...p1, shards: 1, earlierShards: e2 }, 1_000 + 720_000)).toEqual([2]);
    expect(objectCount({ ...p1, shards: 1, earlierShards: e2 })).toBe(4);
  });

  it("gives each shard room above its even share of the new-lease limit", () => {
    expect(shardLimit(60, 1)).toBe(60);
    expect(shardLimit(20, 4)).toBe(12);
    expect(shardLimit(10, 10)).toBe(4);
    expect(shardLimit(2, 4)).toBe(2);
  });
});

describe("shard history carried over (pool-rules.ts)", () => {
  const base = { leaseSeconds: 600, graceSeconds: 120, shards: 1 };
  const MIN = 60_000;
  const pool = (extra: Record<string, unknown>) => ({ ...base, ...extra }) as unknown as Parameters<typeof withLongLeases>[0];

  it("withLongLeases extends only the earlier counts still live: an ended one is not brought back (it would cost a hop per allocation)", () => {
    const now = 1_000 * MIN;
    const p = pool({
      earlierShards: [
        { shards: 4, until: now - 10 * MIN },
        { shards: 2, until: now + MIN },
      ],
    });
    const out = withLongLeases(p, now + 60 * MIN, 120, now);
    expect(out.earlierShards).toEqual([
      { shards: 4, until: now - 10 * MIN },
      { shards: 2, until: now + 60 * MIN + 120_000 + 60_000 },
    ]);
    expect(liveEarlier(out, now)).toEqual([2]);
    // No long leases: unchanged.
    expect(withLongLeases(p, now - 1, 120, now)).toBe(p);
  });

  it("afterDeleted counts the old shard count's window from the deletion, and takes nothing once it is over", () => {
    const deletedAt = 1_000 * MIN;
    const deleted = { ...base, shards: 4 };
    const created = pool({ shards: 1 });
    const soon = afterDeleted(created, deleted, deletedAt, deletedAt + MIN);
    expect(soon.earlierShards).toEqual([{ shards: 4, until: deletedAt + (600 + 120) * 1000 + 60_000 }]);
    expect(objectCount(soon)).toBe(4);
    // Weeks later: nothing of the old pool's history (no extra hops).
    const later = afterDeleted(created, deleted, deletedAt, deletedAt + 14 * 24 * 60 * MIN);
    expect(later).toBe(created);
    expect(objectCount(later)).toBe(1);
  });
});
