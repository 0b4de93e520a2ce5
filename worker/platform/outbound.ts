/**
 * The outbound fetch policy: every URL an account gives us (webhooks, alert webhooks, email APIs)
 * must be https to a public host. It is checked when the URL is configured (`checkOutboundUrl`)
 * and again at every send (`outboundFetch`), after resolving the host name over DNS-over-HTTPS —
 * Workers has no resolver API, so DoH is the only way to see where a name points before we connect.
 *
 * Refused: other schemes, user:password@, loopback, private (RFC 1918), CGNAT, link-local and
 * cloud metadata addresses, reserved/documentation/multicast ranges, their IPv6 equivalents
 * (including IPv4-mapped, IPv4-compatible, NAT64, 6to4 and Teredo forms that embed an IPv4
 * address), single-label and internal names (`localhost`, `*.local`, `*.internal`,
 * `metadata.google.internal`). Numeric host forms (`0x7f000001`, `2130706433`, `0177.0.0.1`,
 * `127.1`) are normalised to dotted quads by the WHATWG URL parser before the check, so they are
 * judged as the address they are. Redirects are never followed, and a target's answer body is
 * never read: only its status is kept.
 *
 * Hand-written: no library that runs on Workers classifies addresses and resolves over DoH.
 * A name that resolves differently between our DoH lookup and the runtime's own connect (DNS
 * rebinding) is not covered by this check alone; Cloudflare's egress does not reach private
 * networks of ours, which is the outer wall.
 */

export const DOH_ENDPOINT = "https://cloudflare-dns.com/dns-query";
const DOH_TIMEOUT_MS = 5_000;

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const INTERNAL_SUFFIXES = [".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".localdomain", ".corp"];

/** Why `raw` may not be an outbound target, or the parsed URL (configuration-time check, no DNS). */
export function checkOutboundUrl(raw: string): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a valid URL" };
  }
  if (url.protocol !== "https:") return { ok: false, reason: `must use https (got ${url.protocol.replace(/:$/, "")})` };
  if (url.username || url.password) return { ok: false, reason: "must not contain a user name or password" };
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[")) {
    const why = ipv6Refusal(host.slice(1, -1));
    return why ? { ok: false, reason: `points at ${why} (${host})` } : { ok: true, url };
  }
  if (isIpv4(host)) {
    const why = ipv4Refusal(host);
    return why ? { ok: false, reason: `points at ${why} (${host})` } : { ok: true, url };
  }
  if (host === "localhost" || INTERNAL_SUFFIXES.some((s) => host.endsWith(s)) || host === "metadata.google.internal") {
    return { ok: false, reason: `must name a public host (${host} is an internal name)` };
  }
  if (!host.includes(".")) return { ok: false, reason: `must name a public host (${host} is a single-label name)` };
  return { ok: true, url };
}

const isIpv4 = (host: string) => /^\d{1,3}(\.\d{1,3}){3}$/.test(host);

function ipv4Int(ip: string): number {
  return ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

/** [first address, prefix length, what it is] for every IPv4 range that is not the public internet. */
const V4_BLOCKED: readonly [string, number, string][] = [
  ["0.0.0.0", 8, "a 'this network' address"],
  ["10.0.0.0", 8, "a private address"],
  ["100.64.0.0", 10, "a carrier-grade NAT address"],
  ["127.0.0.0", 8, "a loopback address"],
  ["169.254.0.0", 16, "a link-local or cloud metadata address"],
  ["172.16.0.0", 12, "a private address"],
  ["192.0.0.0", 24, "an IETF protocol address"],
  ["192.0.2.0", 24, "a documentation address"],
  ["192.88.99.0", 24, "a 6to4 relay address"],
  ["192.168.0.0", 16, "a private address"],
  ["198.18.0.0", 15, "a benchmarking address"],
  ["198.51.100.0", 24, "a documentation address"],
  ["203.0.113.0", 24, "a documentation address"],
  ["224.0.0.0", 4, "a multicast address"],
  ["240.0.0.0", 4, "a reserved or broadcast address"],
];

/** What kind of non-public IPv4 address `ip` (dotted quad) is, or null when it is public. */
export function ipv4Refusal(ip: string): string | null {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return "an invalid address";
  const n = ipv4Int(ip);
  for (const [base, bits, what] of V4_BLOCKED) {
    const size = 2 ** (32 - bits);
    const start = ipv4Int(base);
    if (n >= start && n < start + size) return what;
  }
  return null;
}

/** The 8 groups of an IPv6 address (an embedded dotted quad allowed at the end), or null. */
function ipv6Groups(text: string): number[] | null {
  let s = text.toLowerCase().replace(/%.*$/, "");
  const quad = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (quad) {
    if (ipv4Refusal(quad[1]!) === "an invalid address") return null;
    const n = ipv4Int(quad[1]!);
    s = `${s.slice(0, -quad[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const parse = (h: string) => (h ? h.split(":") : []);
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return null;
  const groups = [...head, ...Array<string>(fill).fill("0"), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => Number.parseInt(g, 16));
}

const v4Of = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** What kind of non-public IPv6 address `ip` is (checking an embedded IPv4 address), or null when public. */
export function ipv6Refusal(ip: string): string | null {
  const g = ipv6Groups(ip);
  if (!g) return "an invalid address";
  const [a, b] = g as [number, number];
  const zeroPrefix = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroPrefix(8)) return "the unspecified address";
  if (zeroPrefix(7) && g[7] === 1) return "a loopback address";
  const embedded = (v4: string, form: string) => {
    const why = ipv4Refusal(v4);
    return why ? `${why} in ${form} form` : `an IPv4 address in ${form} form (use the IPv4 address)`;
  };
  if (zeroPrefix(5) && g[5] === 0xffff) return embedded(v4Of(g[6]!, g[7]!), "IPv4-mapped");
  if (zeroPrefix(6)) return embedded(v4Of(g[6]!, g[7]!), "IPv4-compatible");
  if (a === 0x64 && b === 0xff9b) return embedded(v4Of(g[6]!, g[7]!), "NAT64");
  if (a === 0x2002) return embedded(v4Of(b, g[2]!), "6to4");
  if (a === 0x2001 && b === 0) return "a Teredo address";
  if (a === 0x2001 && b === 0xdb8) return "a documentation address";
  if ((a & 0xfe00) === 0xfc00) return "a unique local (private) address";
  if ((a & 0xffc0) === 0xfe80) return "a link-local address";
  if ((a & 0xffc0) === 0xfec0) return "a site-local address";
  if ((a & 0xff00) === 0xff00) return "a multicast address";
  if ((a & 0xe000) !== 0x2000) return "a reserved address";
  return null;
}

/** A DNS answer as DoH's JSON form gives it. */
interface DohAnswer {
  Status?: number;
  Answer?: { type: number; data: string }[];
}

/** The addresses `host` resolves to (A and AAAA over DoH), or why it could not be resolved. */
async function resolve(host: string): Promise<{ ok: true; addresses: string[] } | { ok: false; reason: string }> {
  const addresses: string[] = [];
  for (const type of ["A", "AAAA"] as const) {
    const url = `${DOH_ENDPOINT}?name=${encodeURIComponent(host)}&type=${type}`;
    let answer: DohAnswer;
    try {
      const res = await fetch(url, { headers: { Accept: "application/dns-json" }, signal: AbortSignal.timeout(DOH_TIMEOUT_MS) });
      if (!res.ok) return { ok: false, reason: `DNS lookup of ${host} failed (DoH HTTP ${res.status})` };
      answer = (await res.json()) as DohAnswer;
    } catch (err) {
      return { ok: false, reason: `DNS lookup of ${host} failed (${err instanceof Error ? err.message : String(err)})` };
    }
    if (answer.Status !== undefined && answer.Status !== 0 && answer.Status !== 3)
      return { ok: false, reason: `DNS lookup of ${host} failed (rcode ${answer.Status})` };
    for (const rr of answer.Answer ?? []) if (rr.type === 1 || rr.type === 28) addresses.push(rr.data);
  }
  return addresses.length ? { ok: true, addresses } : { ok: false, reason: `${host} does not resolve to any address` };
}

/**
 * Why a URL that passed checkOutboundUrl may still not be reached: its host name resolves to an
 * address that is not public (`refused`), or could not be resolved; null when it may be.
 */
export async function resolvedRefusal(url: URL): Promise<{ refused: boolean; reason: string } | null> {
  const host = url.hostname.replace(/\.$/, "");
  if (host.startsWith("[") || isIpv4(host)) return null;
  const r = await resolve(host);
  if (!r.ok) return { refused: false, reason: r.reason };
  for (const addr of r.addresses) {
    const why = addr.includes(":") ? ipv6Refusal(addr) : ipv4Refusal(addr);
    if (why) return { refused: true, reason: `URL refused: ${host} resolves to ${why}` };
  }
  return null;
}

/** `withdrawn`: not sent, the sender's `stillWanted` said no. */
export type Outcome = { ok: true; response: Response } | { ok: false; refused: boolean; reason: string } | { ok: false; withdrawn: true };

/**
 * Send `req` under the policy: the URL is checked again, its host resolved and every address it
 * resolves to checked, redirects are not followed, the answer body is discarded (the response is
 * returned with its status and headers only). `trusted`: a fixed endpoint of ours (GA4, an email
 * API), not one an account typed — checked for https only. `stillWanted`: asked after the last
 * await, right before the request goes (synchronously: nothing can change in between); false
 * withdraws it. The lookup awaits the network, and a Durable Object takes other requests meanwhile:
 * what the request carries may have been erased since the sender read it.
 */
export async function outboundFetch(req: Request, opts: { timeoutMs: number; trusted?: boolean; stillWanted?: () => boolean }): Promise<Outcome> {
  const checked = checkOutboundUrl(req.url);
  if (!checked.ok) return { ok: false, refused: true, reason: `URL refused: it ${checked.reason}` };
  if (!opts.trusted) {
    const why = await resolvedRefusal(checked.url);
    if (why) return { ok: false, ...why };
  }
  if (opts.stillWanted && !opts.stillWanted()) return { ok: false, withdrawn: true };
  try {
    const res = await fetch(new Request(req, { redirect: "manual" }), { signal: AbortSignal.timeout(opts.timeoutMs) });
    // Never read or keep what the target answered: only its status.
    await res.body?.cancel().catch(() => undefined);
    return { ok: true, response: new Response(null, { status: res.status === 101 || res.status < 200 ? 502 : res.status, headers: res.headers }) };
  } catch (err) {
    return { ok: false, refused: false, reason: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}
