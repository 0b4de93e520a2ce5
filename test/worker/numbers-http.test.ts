/** How a provider's HTTP answer is classified for a number order (worker/numbers/http.ts). */
import { describe, expect, it } from "vitest";
import { call, remove } from "../../worker/numbers/http";
import { mockNetwork } from "./calls-helpers";

const URL_ = "https://api.provider.test/v1/thing";
const describeBody = (body: unknown) => JSON.stringify(body);

describe("a provider's answer", () => {
  it("2xx: the parsed body (text when not JSON)", async () => {
    mockNetwork(() => Response.json({ id: "n1" }, { status: 201 }));
    expect(await call(URL_, {}, describeBody)).toEqual({ ok: true, value: { status: 201, body: { id: "n1" } } });
    mockNetwork(() => new Response("fine", { status: 200 }));
    expect(await call(URL_, {}, describeBody)).toEqual({ ok: true, value: { status: 200, body: "fine" } });
  });

  it.each([408, 429, 500, 502, 503])("%s: retry (the provider's moment), with its Retry-After", async (status) => {
    mockNetwork(() => Response.json({ message: "later" }, { status, headers: { "Retry-After": "7" } }));
    expect(await call(URL_, {}, describeBody)).toEqual({ ok: false, error: { kind: "retry", reason: `${status}: {"message":"later"}`, retryAfterMs: 7000 } });
  });

  it("a network failure: retry", async () => {
    mockNetwork(() => {
      throw new TypeError("connection reset");
    });
    expect(await call(URL_, {}, describeBody)).toEqual({ ok: false, error: { kind: "retry", reason: "network: connection reset" } });
  });

  it("another 4xx: fatal with the provider's reason, unless the refusal says otherwise", async () => {
    mockNetwork(() => Response.json({ code: 21422 }, { status: 400 }));
    expect(await call(URL_, {}, describeBody)).toEqual({ ok: false, error: { kind: "fatal", reason: '400: {"code":21422}' } });
    const taken = (body: unknown) => ((body as { code: number }).code === 21422 ? { kind: "taken" as const, reason: "sold" } : null);
    expect(await call(URL_, {}, describeBody, taken)).toEqual({ ok: false, error: { kind: "taken", reason: "400: sold" } });
  });

  it("remove: done when deleted or already gone (404), else as call classifies it", async () => {
    for (const [status, done] of [
      [204, true],
      [404, true],
      [403, false],
    ] as const) {
      const net = mockNetwork(() => new Response(status === 204 ? null : "{}", { status }));
      const r = await remove(URL_, { Authorization: "Bearer k" }, describeBody);
      expect(r.ok).toBe(done);
      expect(net.seen.map((s) => [s.method, s.headers.get("Authorization")])).toEqual([["DELETE", "Bearer k"]]);
    }
    mockNetwork(() => new Response(null, { status: 503 }));
    expect(await remove(URL_, {}, describeBody)).toMatchObject({ ok: false, error: { kind: "retry" } });
  });
});
