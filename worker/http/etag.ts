/** Conditional GET: does an If-None-Match header name this ETag (weak or strong)? */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  return ifNoneMatch?.split(",").some((t) => t.trim().replace(/^W\//, "") === etag) ?? false;
}
