/** The dashboard's API client against a recorded stand-in for the network (fetch). */
import { describe, expect, it } from "vitest";
import { ApiError, createClient, endpoints } from "../../dashboard/api";

interface Sent {
  url: string;
  init: RequestInit | undefined;
}

function network(answer: () => Response) {
  const sent: Sent[] = [];
  const fetcher = (async (url: RequestInfo | URL, init?: RequestInit) => {
    sent.push({ url: String(url), init });
    return answer();
  }) as typeof fetch;
  return { sent, fetcher };
}

const ok = (body: unknown) => () => new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });

describe("dashboard API client", () => {
  it("sends the current key as a bearer header, never in the URL, and bypasses the cache", async () => {
    let key: string | null = "sk_first";
    const net = network(ok({ pools: [] }));
    const api = endpoints(createClient(() => key, net.fetcher));
    await api.pools();
    key = "sk_second";
    await api.health("pool a/b", 60, 5);
    expect(net.sent.map((s) => new Headers(s.init?.headers).get("Authorization"))).toEqual(["Bearer sk_first", "Bearer sk_second"]);
    expect(net.sent.map((s) => s.init?.cache)).toEqual(["no-store", "no-store"]);
    expect(net.sent.map((s) => s.url)).toEqual(["/v1/pools", "/v1/pools/pool%20a%2Fb/health?minutes=60&step=5"]);
    for (const s of net.sent) expect(s.url).not.toContain("sk_");
  });

  it("leaves out parameters it does not have, and encodes the ones it has", async () => {
    const net = network(ok({ numbers: [], nextCursor: null }));
    const api = endpoints(createClient(() => "k", net.fetcher));
    await api.health("web", 0);
    await api.numbers("web", null, 200);
    await api.numbers("web", "+18885550199", 200);
    const range = { from: Date.UTC(2031, 0, 1), to: Date.UTC(2031, 0, 8) };
    await api.callStats(range, "campaign");
    await api.calls(range, 50);
    await api.call("CA 1/2");
    await api.deliveries("failing", 50);
    expect(net.sent.map((s) => s.url)).toEqual([
      "/v1/pools/web/health?minutes=0",
      "/v1/pools/web/numbers?limit=200",
      "/v1/pools/web/numbers?limit=200&cursor=%2B18885550199",
      // Counted in the viewer's days, as the range is.
      `/v1/stats/calls?from=2031-01-01T00%3A00%3A00.000Z&to=2031-01-08T00%3A00%3A00.000Z&groupBy=campaign&timeZone=${encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone)}`,
      "/v1/calls?from=2031-01-01T00%3A00%3A00.000Z&to=2031-01-08T00%3A00%3A00.000Z&limit=50",
      "/v1/calls/CA%201%2F2",
      "/v1/deliveries?status=failing&limit=50",
    ]);
    expect(net.sent.every((s) => (s.init?.method ?? "GET") === "GET")).toBe(true);
  });

  it("posts a redelivery, and fetches the CSV as a file with the key as a header", async () => {
    const net = network(() => new Response("call_id\r\n", { status: 202, headers: { "Content-Type": "text/csv" } }));
    const api = endpoints(createClient(() => "sk_k", net.fetcher));
    const blob = await api.callsCsv({ from: Date.UTC(2031, 0, 1), to: Date.UTC(2031, 0, 2) });
    expect(await blob.text()).toBe("call_id\r\n");
    const answer = network(ok({ id: "42" }));
    await endpoints(createClient(() => "sk_k", answer.fetcher)).redeliver("42");
    expect(answer.sent.map((s) => [s.init?.method, s.url])).toEqual([["POST", "/v1/deliveries/42/redeliver"]]);
    expect(net.sent.map((s) => [s.init?.method, s.url])).toEqual([["GET", "/v1/calls.csv?from=2031-01-01T00%3A00%3A00.000Z&to=2031-01-02T00%3A00%3A00.000Z"]]);
    for (const s of [...net.sent, ...answer.sent]) expect(new Headers(s.init?.headers).get("Authorization")).toBe("Bearer sk_k");
  });

  it("fails with the API's message and status; 401 and 403 mean the key was refused", async () => {
    const refused = network(() => Response.json({ error: { code: "unauthorized", message: "Unknown admin key." } }, { status: 401 }));
    const err = await endpoints(createClient(() => "k", refused.fetcher))
      .account()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(401);
    expect((err as ApiError).message).toBe("Unknown admin key.");
    expect((err as ApiError).unauthorized).toBe(true);
    expect(new ApiError(403, "").unauthorized).toBe(true);
    expect(new ApiError(500, "").unauthorized).toBe(false);
  });

  it("patches a pool's replaceAll as JSON; a refusal's details follow its message", async () => {
    const net = network(ok({ id: "web", replaceAll: true }));
    expect(await endpoints(createClient(() => "sk_k", net.fetcher)).setReplaceAll("web a", true)).toEqual({ id: "web", replaceAll: true });
    expect(net.sent.map((s) => [s.init?.method, s.url, s.init?.body, new Headers(s.init?.headers).get("Content-Type")])).toEqual([
      ["PATCH", "/v1/pools/web%20a", '{"replaceAll":true}', "application/json"],
    ]);
    const details = [{ path: "destinations", value: "2", message: "with replaceAll, exactly one destination" }, { message: "and another" }];
    const refused = network(() => Response.json({ error: { code: "replace_all_with_whitelist", message: "Not with a whitelist.", details } }, { status: 400 }));
    const err = await endpoints(createClient(() => "k", refused.fetcher))
      .setReplaceAll("list", true)
      .catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toBe("Not with a whitelist. (destinations: with replaceAll, exactly one destination; and another)");
    expect((err as ApiError).unauthorized).toBe(false);
    // invalid_request names its first detail in its message: said once, the others after it.
    const invalid = network(() =>
      Response.json(
        {
          error: {
            code: "invalid_request",
            message: "Invalid request — callRetentionDays: too big (and 1 more)",
            details: [
              { path: "callRetentionDays", message: "too big" },
              { path: "archiveRetentionDays", message: "too small" },
            ],
          },
        },
        { status: 400 },
      ),
    );
    const twice = await endpoints(createClient(() => "k", invalid.fetcher))
      .setReplaceAll("list", true)
      .catch((e: unknown) => e);
    expect((twice as ApiError).message).toBe("Invalid request — callRetentionDays: too big (and 1 more) (archiveRetentionDays: too small)");
  });

  it("falls back to the status text when the error body is not the API's", async () => {
    const broken = network(() => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    const err = await endpoints(createClient(() => "k", broken.fetcher))
      .pools()
      .catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(502);
    expect((err as ApiError).message).toBe("Bad Gateway");
    expect((err as ApiError).unauthorized).toBe(false);
  });

  it("names the status when there is no status text (HTTP/2 and /3 send none), and says so when the server cannot be reached", async () => {
    const broken = network(() => new Response("<html>bad gateway</html>", { status: 502 }));
    const err = await endpoints(createClient(() => "k", broken.fetcher))
      .pools()
      .catch((e: unknown) => e);
    expect((err as ApiError).message).toBe("HTTP 502");
    const down = (async () => {
      throw new TypeError("Failed to fetch");
    }) as typeof fetch;
    const offline = await endpoints(createClient(() => "k", down))
      .pools()
      .catch((e: unknown) => e);
    expect(offline).toBeInstanceOf(ApiError);
    expect((offline as ApiError).status).toBe(0);
    expect((offline as ApiError).message).toBe("no answer from the server (is this device offline?)");
    expect((offline as ApiError).unauthorized).toBe(false);
  });
});
