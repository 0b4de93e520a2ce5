/**
 * The outbound fetch policy (issue 11, "Webhook SSRF"): every URL an account gives must be https to
 * a public host — refused when configured (one test per form) and again at send time, after DNS
 * (answered at the mocked network edge), with nothing of a target's answer body kept.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { callBody, callId, callWorld, getCall, mockNetwork, ring, T0, visit } from "./calls-helpers";
import { accountStub, api, type Created, createAccount, useTestClock } from "./helpers";

/** [URL, what the refusal must say]. Numeric forms are judged as the address they are. */
const REFUSED: [string, RegExp][] = [
  ["http://hooks.example/dni", /must use https \(got http\)/],
  ["ftp://hooks.example/dni", /must use https/],
  ["https://user:pw@hooks.example/dni", /user name or password/],
  ["https://localhost/dni", /internal name/],
  ["https://app.localhost/dni", /internal name/],
  ["https://printer.local/dni", /internal name/],
  ["https://metadata.google.internal/computeMetadata/v1/", /internal name/],
  ["https://intranet/dni", /single-label/],
  ["https://127.0.0.1/dni", /loopback/],
  ["https://127.1/dni", /loopback address \(127\.0\.0\.1\)/],
  ["https://0x7f000001/dni", /loopback address \(127\.0\.0\.1\)/],
  ["https://2130706433/dni", /loopback address \(127\.0\.0\.1\)/],
  ["https://0177.0.0.1/dni", /loopback address \(127\.0\.0\.1\)/],
  ["https://0x7f.0.0.1/dni", /loopback address \(127\.0\.0\.1\)/],
  ["https://017700000001/dni", /loopback address \(127\.0\.0\.1\)/],
  ["https://0.0.0.0/dni", /this network/],
  ["https://0/dni", /this network/],
  ["https://10.1.2.3/dni", /private/],
  ["https://172.16.5.4/dni", /private/],
  ["https://192.168.1.1/dni", /private/],
  ["https://0xc0a80101/dni", /private address \(192\.168\.1\.1\)/],
  ["https://100.64.0.1/dni", /carrier-grade NAT/],
  ["https://169.254.169.254/latest/meta-data/", /link-local or cloud metadata/],
  ["https://2852039166/latest/meta-data/", /metadata address \(169\.254\.169\.254\)/],
  ["https://192.0.2.10/dni", /documentation/],
  ["https://198.18.0.1/dni", /benchmarking/],
  ["https://224.0.0.1/dni", /multicast/],
  ["https://255.255.255.255/dni", /broadcast/],
  ["https://[::1]/dni", /loopback/],
  ["https://[::]/dni", /unspecified/],
  ["https://[::ffff:127.0.0.1]/dni", /loopback address in IPv4-mapped form/],
  ["https://[::ffff:7f00:1]/dni", /loopback address in IPv4-mapped form/],
  ["https://[::ffff:169.254.169.254]/dni", /metadata address in IPv4-mapped form/],
  ["https://[::ffff:10.0.0.1]/dni", /private address in IPv4-mapped form/],
  ["https://[::ffff:93.184.215.14]/dni", /IPv4-mapped form \(use the IPv4 address\)/],
  ["https://[::127.0.0.1]/dni", /IPv4-compatible/],
  ["https://[64:ff9b::a00:1]/dni", /private address in NAT64 form/],
  ["https://[2002:7f00:1::]/dni", /loopback address in 6to4 form/],
  ["https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/dni", /Teredo/],
  ["https://[fe80::1]/dni", /link-local/],
  ["https://[fc00::1]/dni", /unique local/],
  ["https://[fd00:ec2::254]/latest/meta-data/", /unique local/],
  ["https://[fec0::1]/dni", /site-local/],
  ["https://[ff02::1]/dni", /multicast/],
  ["https://[2001:db8::1]/dni", /documentation/],
  ["https://[100::1]/dni", /reserved/],
];

const ACCEPTED = ["https://hooks.example/dni", "https://hooks.example:8443/dni?x=1", "https://93.184.215.14/dni", "https://[2606:4700:4700::1111]/dni"];

let acct: Created;
beforeAll(async () => {
  acct = await createAccount();
});

const integrations = () => api("GET", "/v1/account/integrations", { key: acct.adminKey });

describe("at configuration: every refused form is a 400 that says why, and nothing changes", () => {
  it.each(REFUSED)("%s", async (url, why) => {
    const before = await integrations();
    for (const field of ["webhook", "alertWebhook"]) {
      const r = await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { [field]: { url } } });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe("invalid_request");
      expect(r.json.error.details[0].path).toBe(`${field}.url`);
      expect(r.json.error.details[0].message).toMatch(why);
      expect(r.json.error.details[0].message).toContain("it must be an https URL on a public host");
    }
    expect(await integrations()).toEqual(before);
  });

  it("public https URLs are accepted (host names, ports, public IPv4 and IPv6 literals)", async () => {
    for (const url of ACCEPTED) {
      const r = await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url } } });
      expect({ url, status: r.status }).toEqual({ url, status: 200 });
      expect(r.json.webhook.url).toBe(url);
    }
  });
});

describe("at send time: after DNS, and for URLs stored before the policy", () => {
  useTestClock(T0, { silence: ["warn"] });

  async function ringOnce(url: string) {
    const { acct, voice } = await callWorld(1);
    const r = await api("PATCH", "/v1/account/integrations", { key: acct.adminKey, body: { webhook: { url } } });
    expect(r.status).toBe(200);
    const v = await visit(acct);
    const id = callId();
    await ring(voice.callbackUrl, callBody(id, v.number, T0));
    return { acct, id };
  }
  const webhookOf = async (a: Created, id: string) => (await getCall(a, id)).json.deliveries.find((d: { kind: string }) => d.kind === "webhook");

  it.each([
    ["A record 10.0.0.5", ["10.0.0.5"], /resolves to a private address/],
    ["A record 127.0.0.1", ["127.0.0.1"], /resolves to a loopback address/],
    ["A record 169.254.169.254", ["169.254.169.254"], /resolves to a link-local or cloud metadata address/],
    ["A record 100.100.100.200 (CGNAT metadata)", ["100.100.100.200"], /carrier-grade NAT/],
    ["a public A and a private AAAA", ["93.184.215.14", "fd00::1"], /unique local/],
    ["AAAA ::ffff:127.0.0.1", ["::ffff:127.0.0.1"], /loopback address in IPv4-mapped form/],
    ["AAAA ::1", ["::1"], /loopback/],
  ])("a public name that resolves to %s is refused before any request; it is retried, not sent", async (_label, addrs, why) => {
    const net = mockNetwork();
    const { acct, id } = await ringOnce("https://rebind.hooks.example/dni");
    net.dns.set("rebind.hooks.example", addrs);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(net.lookups).toContain("rebind.hooks.example A");
    expect(net.seen).toEqual([]);
    const d = await webhookOf(acct, id);
    expect(d).toMatchObject({ status: "pending", attempts: 1, lastStatus: null });
    expect(d.lastError).toMatch(/^URL refused: rebind\.hooks\.example /);
    expect(d.lastError).toMatch(why);
  });

  it("a name that does not resolve is a failed attempt (retried), with no request", async () => {
    const net = mockNetwork();
    const { acct, id } = await ringOnce("https://gone.hooks.example/dni");
    net.dns.set("gone.hooks.example", []);
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(net.seen).toEqual([]);
    expect((await webhookOf(acct, id)).lastError).toBe("gone.hooks.example does not resolve to any address");
  });

  it("a URL stored before the policy (plain http to loopback) is refused at send time", async () => {
    const net = mockNetwork();
    const { acct, id } = await ringOnce("https://hooks.example/dni");
    await runInDurableObject(accountStub(acct.accountId), (_i, state) => {
      state.storage.sql.exec(
        "UPDATE account SET webhook = ?",
        JSON.stringify({ url: "http://0x7f000001:8787/steal", secret: "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==" }),
      );
    });
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(net.seen).toEqual([]);
    expect((await webhookOf(acct, id)).lastError).toBe("URL refused: it must use https (got http)");
  });

  it("redirects are not followed and the target's answer body is never stored or shown", async () => {
    const net = mockNetwork(
      () =>
        new Response("<html>internal admin page: secret=hunter2</html>", { status: 302, headers: { Location: "http://169.254.169.254/latest/meta-data/" } }),
    );
    const { acct, id } = await ringOnce("https://hooks.example/dni");
    await runDurableObjectAlarm(accountStub(acct.accountId));
    expect(net.seen).toHaveLength(1);
    const d = await webhookOf(acct, id);
    expect(d).toMatchObject({ status: "pending", lastStatus: 302, lastError: "HTTP 302 (redirects are not followed)" });
    const listed = await api("GET", "/v1/deliveries", { key: acct.adminKey });
    expect(JSON.stringify(listed.json)).not.toContain("hunter2");
    expect(JSON.stringify((await getCall(acct, id)).json)).not.toContain("hunter2");
  });
});
