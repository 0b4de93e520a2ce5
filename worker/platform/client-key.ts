/**
 * The client address a limit counts by: CF-Connecting-IP (set by Cloudflare, not the client), an
 * IPv6 address by its /64 (one subscriber's whole prefix). Null when absent.
 */
import type { ClientKey } from "../pool/protocol";

export function clientKey(headers: Headers): string | null {
  return addressOf(headers.get("CF-Connecting-IP"))?.addr ?? null;
}

/**
 * The address (IPv4, or IPv6 /64) and, for IPv6, its /48: what the pool shard counts leases by.
 * Loopback counts as unknown: Cloudflare never sets it, only `wrangler dev` on one's own machine does,
 * where every browser tab and test shares it.
 */
export function clientOf(headers: Headers): ClientKey | null {
  const ip = headers.get("CF-Connecting-IP")?.trim();
  return ip && LOOPBACK.test(ip) ? null : addressOf(ip);
}

function addressOf(raw: string | null | undefined): ClientKey | null {
  const ip = raw?.trim();
  if (!ip) return null;
  if (!ip.includes(":")) return { addr: ip, block: null };
  const groups = ipv6Groups(ip);
  const prefix = (n: number) => groups.slice(0, n).join(":");
  return { addr: `${prefix(4)}::/64`, block: `${prefix(3)}::/48` };
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/** The first four groups of an IPv6 address, written without leading zeros. */
function ipv6Groups(ip: string): string[] {
  const [head = "", tail = ""] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : ip.split(":");
  return groups.slice(0, 4).map((g) => (g || "0").toLowerCase().replace(/^0+(?=.)/, ""));
}
