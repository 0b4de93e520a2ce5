/**
 * Which methods a path answers to, from the app's route table: a request with another method gets
 * 405 method_not_allowed with an `Allow` header instead of 404 (Hono itself answers 404 for both).
 * Matched as the router matches (strict): `/v1/pools/web/` is no route for any method, so no
 * method is listed for it (its Allow used to name GET, which answered 404 there).
 */
type RouteEntry = { method: string; path: string };

const toRegex = (path: string) =>
  new RegExp(
    `^${path
      .split("/")
      .map((seg) => (seg === "*" ? ".*" : seg.startsWith(":") ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
      .join("/")}$`,
  );

export function methodTable(routes: readonly RouteEntry[]): (path: string) => string[] {
  let table: { re: RegExp; method: string }[] | null = null;
  return (path) => {
    // Built on first use: every route is registered by then.
    table ??= routes.filter((r) => r.method !== "ALL").map((r) => ({ re: toRegex(r.path), method: r.method.toUpperCase() }));
    const methods = new Set(table.filter((r) => r.re.test(path)).map((r) => r.method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
}
