/**
 * Allowed origins of an account: `https://www.example.com`, `http://localhost:8787`,
 * `https://*.example.com` (any subdomain, not the bare domain). A bare host means https.
 * A wildcard over a public suffix (`*.co.uk`, `*.github.io`, `*.pages.dev`: anyone can have a
 * site there) is refused, by the Public Suffix List (psl, with its private section).
 */
import { parse as parseDomain } from "psl";

type OriginResult = { ok: true; origin: string } | { ok: false; reason: string };

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** A normalized wildcard pattern: scheme, the domain under the `*.`, and the port part (`:8443` or none). */
const WILDCARD = /^(https?):\/\/\*\.([^:]+)(:\d+)?$/;

export function normalizeOriginPattern(input: string): OriginResult {
  let text = input.trim().toLowerCase();
  if (!/^[a-z]+:\/\//.test(text)) text = `https://${text}`;
  const m = /^(https?):\/\/(\*\.)?([^/:]+)(?::(\d{1,5}))?\/?$/.exec(text);
  if (!m) return { ok: false, reason: "must be scheme://host[:port] with no path, e.g. https://www.example.com or https://*.example.com" };
  const [, scheme, wildcard = "", host = "", port] = m;
  const labels = host.split(".");
  if (!labels.every((l) => HOST_LABEL.test(l))) return { ok: false, reason: "has an invalid host name" };
  if (wildcard && labels.length < 2) return { ok: false, reason: "a wildcard needs a domain with at least two labels (*.example.com)" };
  if (wildcard && isPublicSuffix(host)) {
    return {
      ok: false,
      reason: `${host} is a public suffix (anyone can have a site under it); a wildcard must be over your own domain, e.g. *.yourshop.${host}`,
    };
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return { ok: false, reason: "has an invalid port" };
  const defaultPort = scheme === "https" ? "443" : "80";
  const portPart = port && port !== defaultPort ? `:${Number(port)}` : "";
  return { ok: true, origin: `${scheme}://${wildcard}${host}${portPart}` };
}

/** Whether a request's Origin header is one of the account's allowed origin patterns. */
export function originAllowed(origin: string | null | undefined, patterns: readonly string[]): boolean {
  if (!origin) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  // Only an origin as browsers write the header (RFC 6454 serialization: lowercase scheme and host, no
  // default port, no path or userinfo): answers grant CORS to the header as sent, so nothing else is.
  if (url.origin !== origin || (url.protocol !== "https:" && url.protocol !== "http:")) return false;
  const scheme = url.protocol.slice(0, -1);
  const host = url.hostname.toLowerCase();
  const portPart = url.port ? `:${url.port}` : "";
  for (const p of patterns) {
    if (p === `${scheme}://${host}${portPart}`) return true;
    const wild = WILDCARD.exec(p);
    if (wild && !isPublicSuffix(wild[2]!) && wild[1] === scheme && (wild[3] ?? "") === portPart && host.endsWith(`.${wild[2]}`)) return true;
  }
  return false;
}

/**
 * Whether a normalized pattern (normalizeOriginPattern) allows only origins `patterns` allow: an
 * origin that they allow, or a wildcard under one of theirs of the same scheme and port
 * (`https://*.shop.example` under `https://*.shop.example` or `https://*.example`).
 */
export function patternWithin(pattern: string, patterns: readonly string[]): boolean {
  const wild = WILDCARD.exec(pattern);
  if (!wild) return originAllowed(pattern, patterns);
  const [, scheme, host, port = ""] = wild;
  return patterns.some((p) => {
    const outer = WILDCARD.exec(p);
    return !!outer && outer[1] === scheme && (outer[3] ?? "") === port && (host === outer[2] || host!.endsWith(`.${outer[2]}`));
  });
}

/** Whether a host is a public suffix itself (no registrable domain in it): `co.uk`, `github.io`, `com`. */
export function isPublicSuffix(host: string): boolean {
  const parsed = parseDomain(host);
  return "error" in parsed ? false : parsed.listed && parsed.domain === null;
}
