/** Content negotiation and conditional GETs, read from request headers. */

/** Does an If-None-Match header name this ETag (weak or strong)? */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  return ifNoneMatch?.split(",").some((t) => t.trim().replace(/^W\//, "") === etag) ?? false;
}

/** Does an Accept-Encoding header allow gzip (named, else by `*`, with a q-value above 0)? */
export function acceptsGzip(header: string | undefined): boolean {
  const q = new Map<string, number>();
  for (const part of (header ?? "").split(",")) {
    const [coding = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    const weight = params.find((p) => p.startsWith("q="));
    if (coding) q.set(coding, weight === undefined ? 1 : Number(weight.slice(2)) || 0);
  }
  return (q.get("gzip") ?? q.get("*") ?? 0) > 0;
}
