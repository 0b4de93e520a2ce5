import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fnv1a, movedUntil, numbersOfShard, shardName, shardOf } from "../../worker/domain/shards";

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

  it("holds a moved number until the old shard's lease can have ended", () => {
    const n = "+18882000001";
    const from = shardOf(n, 2);
    const to = shardOf(n, 3);
    expect(movedUntil(n, to, 3, null, null, 60)).toBeNull();
    expect(movedUntil(n, to, 3, 3, 1000, 60)).toBeNull();
    if (from !== to) expect(movedUntil(n, to, 3, 2, 1_000, 60)).toBe(1_000 + 60_000 + 60_000);
    else expect(movedUntil(n, to, 3, 2, 1_000, 60)).toBeNull();
  });
});
