/**
 * GET /docs — the API reference: Scalar's renderer (served by this worker at /docs/scalar.js, see
 * scripts/build-api-reference.mjs) reading /openapi.json. Configured through data attributes, so
 * the page has no inline script; everything it loads comes from this origin, and its try-it
 * requests and code examples name this origin as the server.
 */
import { SCALAR_VERSION } from "../../generated/api-reference";

/** Scalar's options (the `data-configuration` JSON): no fonts, telemetry, AI agent or MCP from Scalar's servers; no proxy. */
const SCALAR_CONFIG = {
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: "never",
  documentDownloadType: "json",
  defaultHttpClient: { targetKey: "shell", clientKey: "curl" },
  authentication: { preferredSecurityScheme: "adminKey" },
  // The "Open API Client" button leads to Scalar's hosted client: not from this origin.
  hideClientButton: true,
} as const;

/** Escapes text for a double-quoted HTML attribute. */
const attr = (text: string) => text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** The page for a worker reached at `origin` (the server that try-it and the examples use). */
export const docsPage = (origin: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,"><title>edge-dni API reference</title></head>
<body>
<div id="api-reference" data-url="/openapi.json" data-configuration="${attr(JSON.stringify({ ...SCALAR_CONFIG, servers: [{ url: origin, description: "This worker" }] }))}"></div>
<script src="/docs/scalar.js?v=${SCALAR_VERSION}"></script>
</body></html>`;

/**
 * The page's policy: scripts from this origin only (the renderer; no inline script, no eval);
 * styles inline as well (the renderer injects its stylesheet and sets style attributes); requests
 * (the document, try-it) to this origin only.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
