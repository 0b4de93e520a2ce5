/** shared/bounded-map.ts: "keep the last N" on a plain Map, and parsedUrl's memory of the last 8 URLs built on it. */
import { describe, expect, it } from "vitest";
import { remember } from "../../shared/bounded-map";
import { parsedUrl } from "../../shared/url";

describe("remember", () => {
  it("keeps at most max entries, dropping the oldest set; answers the value", () => {
    const m = new Map<string, number>();
    for (const [i, k] of ["a", "b", "c", "d"].entries()) expect(remember(m, 3, k, i)).toBe(i);
    expect([...m]).toEqual([
      ["b", 1],
      ["c", 2],
      ["d", 3],
    ]);
  });

  it("a key set again becomes the newest (and takes no second place)", () => {
    const m = new Map<string, number>();
    remember(m, 3, "a", 1);
    remember(m, 3, "b", 2);
    remember(m, 3, "c", 3);
    remember(m, 3, "a", 10);
    expect(m.size).toBe(3);
    remember(m, 3, "d", 4);
    expect([...m.keys()]).toEqual(["c", "a", "d"]);
    expect(m.get("a")).toBe(10);
  });

  it("parsedUrl answers the same parse while a URL is among the last 8 asked, a new one after", () => {
    const first = parsedUrl("https://shop.example/bounded?x=1");
    expect(parsedUrl("https://shop.example/bounded?x=1")).toBe(first);
    for (let i = 0; i < 7; i++) parsedUrl(`https://shop.example/other/${i}`);
    expect(parsedUrl("https://shop.example/bounded?x=1")).toBe(first);
    for (let i = 7; i < 15; i++) parsedUrl(`https://shop.example/other/${i}`);
    const again = parsedUrl("https://shop.example/bounded?x=1");
    expect(again).not.toBe(first);
    expect(again?.href).toBe("https://shop.example/bounded?x=1");
    expect(parsedUrl("not a url")).toBeNull();
    expect(parsedUrl(undefined)).toBeNull();
  });
});
