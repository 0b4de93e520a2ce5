/**
 * GET /docs — a browsable API reference rendered in the browser from /openapi.json.
 * Self-contained (no CDN, no framework): the page stays a few KB and works offline.
 */
export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>edge-dni API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2433;background:#f7f8fa}
header{background:#1d2433;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header a{color:#9cc3ff}
main{max-width:980px;margin:0 auto;padding:16px 24px}
h2{margin:28px 0 8px;text-transform:capitalize}
details{background:#fff;border:1px solid #dde1e8;border-radius:6px;margin:8px 0}
summary{cursor:pointer;padding:10px 12px;display:flex;gap:10px;align-items:baseline}
.m{font:600 12px ui-monospace,monospace;padding:2px 6px;border-radius:4px;color:#fff;min-width:52px;text-align:center}
.get{background:#2f7d32}.post{background:#1565c0}.patch{background:#8e6a00}.delete{background:#b3261e}.put{background:#6a1b9a}
code,pre{font:13px ui-monospace,monospace}pre{background:#f1f3f6;padding:10px;border-radius:4px;overflow:auto;margin:6px 0}
.body{padding:0 14px 12px}.auth{color:#6b7280;font-size:13px}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}
</style></head><body>
<header><h1>edge-dni API reference</h1><div>Generated from <a href="/openapi.json">/openapi.json</a> — the same schemas validate every request.</div></header>
<main id="root">Loading…</main>
<script>
(async () => {
  const root = document.getElementById("root");
  const doc = await (await fetch("/openapi.json")).json();
  const refs = doc.components && doc.components.schemas || {};
  const el = (tag, attrs, ...kids) => { const e = document.createElement(tag); Object.assign(e, attrs || {}); for (const k of kids) e.append(k); return e; };
  const resolve = (s) => s && s.$ref ? refs[s.$ref.split("/").pop()] || s : s;
  const example = (s, depth) => {
    s = resolve(s) || {}; depth = depth || 0;
    if (depth > 6) return null;
    if (s.example !== undefined) return s.example;
    if (s.default !== undefined) return s.default;
    if (s.enum) return s.enum[0];
    if (s.anyOf || s.oneOf) return example((s.anyOf || s.oneOf)[0], depth + 1);
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    if (type === "object" || s.properties) { const o = {}; for (const [k, v] of Object.entries(s.properties || {})) o[k] = example(v, depth + 1); return o; }
    if (type === "array") return [example(s.items, depth + 1)];
    if (type === "number" || type === "integer") return 0;
    if (type === "boolean") return false;
    return "string";
  };
  const fields = (s) => {
    s = resolve(s) || {};
    if (!s.properties) return null;
    const t = el("table");
    t.append(el("tr", {}, el("th", { textContent: "field" }), el("th", { textContent: "type" }), el("th", { textContent: "" })));
    for (const [k, v0] of Object.entries(s.properties)) {
      const v = resolve(v0) || {};
      const type = v.enum ? v.enum.join(" | ") : (Array.isArray(v.type) ? v.type.join("|") : v.type || (v.anyOf ? "one of" : "object"));
      const req = (s.required || []).includes(k) ? "required" : "";
      t.append(el("tr", {}, el("td", {}, el("code", { textContent: k })), el("td", { textContent: type }), el("td", { textContent: [req, v.description || ""].filter(Boolean).join(" — ") })));
    }
    return t;
  };
  root.textContent = "";
  root.append(el("p", { textContent: doc.info.description || "" }));
  const byTag = {};
  for (const [path, ops] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(ops)) {
    const tag = (op.tags && op.tags[0]) || "other"; (byTag[tag] = byTag[tag] || []).push([method, path, op]);
  }
  for (const [tag, ops] of Object.entries(byTag)) {
    root.append(el("h2", { textContent: tag }));
    for (const [method, path, op] of ops) {
      const d = el("details", { id: method + path });
      d.append(el("summary", {}, el("span", { className: "m " + method, textContent: method.toUpperCase() }), el("code", { textContent: path }), el("span", { textContent: op.summary || "" })));
      const body = el("div", { className: "body" });
      const sec = op.security && op.security[0] ? Object.keys(op.security[0])[0] : "none";
      body.append(el("div", { className: "auth", textContent: "auth: " + sec }));
      for (const p of op.parameters || []) body.append(el("div", {}, el("code", { textContent: p.in + " " + p.name }), " ", (p.schema && p.schema.type) || ""));
      const content = op.requestBody && op.requestBody.content;
      if (content) {
        const [type, media] = Object.entries(content)[0];
        body.append(el("h4", { textContent: "Request body (" + type + ")" }));
        const f = fields(media.schema); if (f) body.append(f);
        body.append(el("pre", { textContent: JSON.stringify(example(media.schema), null, 2) }));
      }
      body.append(el("h4", { textContent: "Responses" }));
      for (const [code, r] of Object.entries(op.responses || {})) {
        body.append(el("div", {}, el("code", { textContent: code }), " " + (r.description || "")));
        const media = r.content && Object.values(r.content)[0];
        if (media && code < 300) body.append(el("pre", { textContent: JSON.stringify(example(media.schema), null, 2) }));
      }
      d.append(body); root.append(d);
    }
  }
  if (location.hash) { const t = document.getElementById(decodeURIComponent(location.hash.slice(1))); if (t) { t.open = true; t.scrollIntoView(); } }
})().catch((e) => { document.getElementById("root").textContent = "Could not load /openapi.json: " + e; });
</script></body></html>`;
