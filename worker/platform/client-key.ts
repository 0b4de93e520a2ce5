/**
 * The client address a rate limit counts by: CF-Connecting-IP (set by Cloudflare, not the
 * client), an IPv6 address by its /64 (one subscriber's whole prefix). Null when absent.
 */
export function clientKey(headers: Headers): string | null {
  const ip = headers.get("CF-Connecting-IP");
  if (!ip) return null;
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right] : ip.split(":");
  return `${groups
    .slice(0, 4)
    .map((g) => (g || "0").toLowerCase().replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
