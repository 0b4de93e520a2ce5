/** platform/base64url.ts: keys, sealed secrets and the snippet's session token are read with it. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { base64urlDecode, base64urlEncode, base64urlOfText } from "../../worker/platform/base64url";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("base64url", () => {
  it("decodes RFC 4648's test vectors, padded or not, and the URL-safe alphabet", () => {
    for (const [text, b64] of [
      ["", ""],
      ["f", "Zg"],
      ["fo", "Zm8"],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg"],
      ["fooba", "Zm9vYmE"],
      ["foobar", "Zm9vYmFy"],
    ] as const) {
      expect(base64urlDecode(b64)).toEqual(bytes(text));
      expect(base64urlDecode(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="))).toEqual(bytes(text));
      expect(base64urlEncode(bytes(text))).toBe(b64);
    }
    // 0xfb 0xff: "+/8" in the standard alphabet, "-_8" in the URL-safe one; both are read.
    expect(base64urlDecode("-_8")).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(base64urlDecode("+/8=")).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(base64urlEncode(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
  });

  it("answers null for what is not base64", () => {
    for (const bad of ["Zm9v!", "Zm9vY", "Zg===", "Z", "é", "Zm 9v"]) expect(base64urlDecode(bad)).toBeNull();
  });

  it("round-trips any bytes, and any text's UTF-8", () => {
    const same = (a: Uint8Array | null, b: Uint8Array) => a !== null && a.length === b.length && a.every((x, i) => x === b[i]);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => same(base64urlDecode(base64urlEncode(b)), b)));
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 300 }), (t) => same(base64urlDecode(base64urlOfText(t)), bytes(t))));
  });
});
