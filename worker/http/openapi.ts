/**
 * The OpenAPI document, with each operation's error responses narrowed to what that operation can
 * answer. Routes declare the full set (`errorResponses`) so a new route is never undocumented; the
 * middleware that produces each status is known here, so the set is narrowed from facts about the
 * operation — a request body, parameters, a security scheme, which resource it writes — instead of
 * being repeated by hand in every route file, where it drifted (409 and 413 on GETs, no 429 on
 * allocate). `test/worker/openapi.test.ts` checks the rules against the statuses the app produces.
 */
import { REQUEST_EXAMPLES } from "../schemas/examples";

interface Parameter {
  in: string;
  name: string;
  description?: string;
}
interface Operation {
  security?: Record<string, unknown>[];
  requestBody?: unknown;
  parameters?: Parameter[];
  responses: Record<string, { description: string; content?: unknown }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  [key: string]: unknown;
}

const WRITES = new Set(["post", "put", "patch", "delete"]);

/** Error statuses an operation can answer, and the codes behind each, for its description. */
export function errorStatuses(method: string, path: string, op: Operation): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const add = (status: number, ...codes: string[]) => out.set(status, [...(out.get(status) ?? []), ...codes]);
  const body = op.requestBody !== undefined;
  const params = op.parameters ?? [];
  const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
  const allocate = path === "/v1/allocate";
  const voice = path.startsWith("/v1/voice/");

  // A body the operation can do without (voice callbacks, the conversions check) is never body_required.
  const bodyNeeded = (op.requestBody as { required?: boolean } | undefined)?.required === true;
  if (body) add(400, ...(bodyNeeded && !voice && !allocate ? ["body_required"] : []), "invalid_json", "invalid_request");
  else if (params.some((p) => p.in === "query" || p.in === "path")) add(400, "invalid_request");
  if (params.some((p) => p.name === "cursor" || p.name === "after")) add(400, "invalid_cursor");
  if (schemes.includes("adminKey")) {
    add(401, "unauthorized");
    add(403, "wrong_key_kind");
  }
  if (schemes.includes("operatorToken")) {
    add(401, "unauthorized");
    add(503, "operator_disabled");
  }
  if (allocate) {
    add(401, "invalid_key");
    add(403, "not_a_browser", "origin_not_allowed");
    add(404, "pool_not_found", "no_default_pool");
    add(429, "rate_limited");
    add(503, "routing_changed");
  }
  if (voice) {
    add(401, "unauthorized");
    add(404, "not_found");
  }
  if (!allocate && !voice && params.some((p) => p.in === "path")) add(404, ...notFound(path));
  // A conversion rule override for a pool the account does not have.
  if (method === "patch" && path === "/v1/account/conversions") add(404, "pool_not_found");
  // What a write conflicts with, by the resource it writes.
  const poolWrite = WRITES.has(method) && path.startsWith("/v1/pools") && !(method === "delete" && path.endsWith("/autoscale"));
  if (method === "post" && path === "/v1/pools") add(409, "pool_exists");
  if ((method === "post" && (path === "/v1/pools" || path === "/v1/pools/{id}/numbers")) || (method === "patch" && path === "/v1/pools/{id}"))
    add(409, "number_conflict");
  if (poolWrite && (path === "/v1/pools" || path.endsWith("/numbers") || path.endsWith("/autoscale"))) add(409, "numbers_not_configured");
  if (method === "post" && path === "/v1/pools/{id}/numbers") add(409, "idempotency_key_reused");
  if (method === "patch" && path === "/v1/account") add(409, "origin_in_use");
  if (method === "delete" && path === "/v1/orders/{id}") add(409, "order_closed");
  if (method === "post" && path === "/v1/deliveries/{id}/redeliver") add(409, "not_configured");
  if (method === "post" && path === "/v1/account/conversions/check") add(409, "not_configured");
  if (method === "patch" && path === "/v1/account/voice") add(409, "number_conflict");
  // A route the calls' provider cannot run: set on a pool, or the provider changed under one.
  if ((method === "post" && path === "/v1/pools") || (method === "patch" && (path === "/v1/pools/{id}" || path === "/v1/account/voice")))
    add(422, "route_not_supported");
  if (poolWrite) add(503, "not_propagated");
  // Credentials are sealed with SECRETS_KEY: without it they cannot be stored.
  if (method === "patch" && (path === "/v1/account/voice" || path === "/v1/account/conversions" || path === "/v1/account/integrations"))
    add(503, "secrets_unavailable");
  // An upload kept rotating the refresh token while the PATCH sealed its credentials.
  if (method === "patch" && path === "/v1/account/conversions") add(503, "settings_changed");
  if (body) {
    add(413, "payload_too_large");
    // /v1/allocate reads any body as JSON (the snippet sends text/plain).
    if (!allocate) add(415, "unsupported_media_type");
  }
  return out;
}

/** The not-found codes of an operation's path parameters, by what the path names. */
function notFound(path: string): string[] {
  const codes: string[] = [];
  if (path.startsWith("/v1/pools/{id}")) codes.push("pool_not_found");
  if (path.endsWith("/autoscale")) codes.push("autoscale_not_set");
  if (path.startsWith("/v1/calls/{id}")) codes.push("call_not_found");
  if (path.startsWith("/v1/orders/{id}")) codes.push("order_not_found");
  if (path.startsWith("/v1/deliveries/{id}")) codes.push("delivery_not_found");
  if (path.startsWith("/v1/archive/")) codes.push("archive_not_found");
  return codes.length ? codes : ["not_found"];
}

const DESCRIPTIONS: Record<number, string> = {
  400: "Invalid request",
  401: "Missing or wrong credentials",
  403: "Not allowed here",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  413: "Body too large",
  415: "Unsupported content type",
  422: "Not possible with this provider",
  429: "Too many requests",
  503: "Temporarily unavailable",
};

/** The served document: error responses narrowed per operation, request examples attached. */
export function refineDocument(doc: OpenApiDocument): OpenApiDocument {
  narrowErrorResponses(doc);
  const schemas = (doc.components as { schemas?: Record<string, Record<string, unknown>> } | undefined)?.schemas ?? {};
  for (const [name, example] of Object.entries(REQUEST_EXAMPLES)) if (schemas[name]) schemas[name].example = example;
  return doc;
}

/** Replace every operation's error responses by the ones it can answer (in place; returns the doc). */
export function narrowErrorResponses(doc: OpenApiDocument): OpenApiDocument {
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const declared = Object.entries(op.responses).find(([s]) => Number(s) >= 400)?.[1];
      if (!declared?.content) continue;
      for (const status of Object.keys(op.responses)) if (Number(status) >= 400) delete op.responses[status];
      for (const [status, codes] of errorStatuses(method, path, op)) {
        op.responses[status] = { description: `${DESCRIPTIONS[status] ?? "Error"} (${[...new Set(codes)].join(", ")})`, content: declared.content };
      }
    }
  }
  return doc;
}
