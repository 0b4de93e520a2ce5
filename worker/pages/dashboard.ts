/**
 * GET /dashboard — pools at a glance, utilization over time, numbers with last shown / last
 * called, calls by source per day. Signed in with the admin key, kept in sessionStorage and sent
 * as a header (never in a URL). Plain DOM + inline SVG charts: no framework, no chart library.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>edge-dni dashboard</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2433;background:#f5f6f8}
header{background:#1d2433;color:#fff;padding:12px 20px;display:flex;justify-content:space-between;align-items:center}
header h1{font-size:18px;margin:0}button{font:inherit;cursor:pointer;border:1px solid #c5cad3;background:#fff;border-radius:5px;padding:5px 12px}
main{max-width:1100px;margin:0 auto;padding:16px 20px}
.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:14px 16px;margin:12px 0}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px}
.pool{cursor:pointer}.pool.sel{outline:2px solid #1565c0}
.bar{height:8px;background:#e6e9ee;border-radius:4px;overflow:hidden;margin:6px 0}.bar i{display:block;height:100%;background:#2f7d32}
.warn .bar i{background:#c77700}.dry .bar i{background:#b3261e}
.tag{font-size:12px;padding:1px 6px;border-radius:10px;background:#e6e9ee}.warn .tag{background:#ffe3b3}.dry .tag{background:#ffd0cc}
table{border-collapse:collapse;width:100%}td,th{padding:4px 8px;border-bottom:1px solid #eef0f3;text-align:left;font-variant-numeric:tabular-nums}
svg{width:100%;height:180px;display:block}.muted{color:#6b7280}#login{max-width:420px;margin:60px auto}
input{font:inherit;width:100%;box-sizing:border-box;padding:7px;border:1px solid #c5cad3;border-radius:5px;margin:8px 0}
.err{color:#b3261e}
</style></head><body>
<header><h1>edge-dni</h1><span><span id="who" class="muted"></span> <button id="out" hidden>Sign out</button></span></header>
<main>
<form id="login" class="card" hidden><h2>Sign in</h2><p class="muted">Paste the account's admin key (sk_…). It stays in this tab only.</p>
<input id="key" type="password" autocomplete="off" placeholder="sk_…" aria-label="Admin key"><button>Sign in</button><p id="lerr" class="err"></p></form>
<div id="app" hidden>
<section class="grid" id="pools"></section>
<section class="card"><h3 id="utitle">Utilization</h3><svg id="uchart" role="img" aria-label="utilization chart"></svg><div class="muted" id="ulegend"></div></section>
<section class="card"><h3>Calls by source per day</h3><svg id="cchart" role="img" aria-label="calls chart"></svg><div id="clegend"></div></section>
<section class="card"><h3>Numbers</h3><table id="numbers"><thead><tr><th>number</th><th>now</th><th>last shown</th><th>last called</th><th>sessions</th></tr></thead><tbody></tbody></table></section>
</div>
</main>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const KEY = "dni.adminKey";
  const el = (tag, props, ...kids) => { const e = document.createElement(tag); Object.assign(e, props || {}); e.append(...kids); return e; };
  const NS = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs) => { const e = document.createElementNS(NS, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); return e; };
  const when = (t) => t ? new Date(t).toLocaleString() : "—";
  async function api(path) {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + sessionStorage.getItem(KEY) } });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw Object.assign(new Error((body.error && body.error.message) || r.statusText), { status: r.status });
    return body;
  }
  function chart(node, series, opts) {
    node.textContent = "";
    const W = node.clientWidth || 800, H = 180, P = 28;
    node.setAttribute("viewBox", "0 0 " + W + " " + H);
    const xs = series.flatMap((s) => s.points.map((p) => p[0])), ys = series.flatMap((s) => s.points.map((p) => p[1]));
    if (!xs.length) { node.append(Object.assign(svg("text", { x: P, y: H / 2, fill: "#6b7280" }), { textContent: "no data yet" })); return; }
    const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1), y1 = Math.max(opts.yMax || 0, ...ys, 1);
    const X = (x) => P + (x - x0) / (x1 - x0) * (W - 2 * P), Y = (y) => H - P + -(y / y1) * (H - 2 * P);
    node.append(svg("line", { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: "#c5cad3" }));
    node.append(Object.assign(svg("text", { x: 2, y: P, "font-size": 11, fill: "#6b7280" }), { textContent: opts.fmt ? opts.fmt(y1) : y1 }));
    node.append(Object.assign(svg("text", { x: P, y: H - 8, "font-size": 11, fill: "#6b7280" }), { textContent: new Date(x0).toLocaleString() }));
    node.append(Object.assign(svg("text", { x: W - P, y: H - 8, "font-size": 11, fill: "#6b7280", "text-anchor": "end" }), { textContent: new Date(x1).toLocaleString() }));
    series.forEach((s, i) => {
      if (opts.bars) {
        const bw = Math.max(2, (W - 2 * P) / Math.max(1, new Set(xs).size) / series.length - 2);
        for (const [x, y] of s.points) node.append(svg("rect", { x: X(x) + i * bw, y: Y(y), width: bw, height: H - P - Y(y), fill: s.color }));
      } else {
        node.append(svg("polyline", { points: s.points.map((p) => X(p[0]) + "," + Y(p[1])).join(" "), fill: "none", stroke: s.color, "stroke-width": 2 }));
      }
    });
  }
  const COLORS = ["#1565c0", "#2f7d32", "#c77700", "#6a1b9a", "#b3261e", "#00838f", "#5d4037"];
  let pools = [], selected = null;
  async function showPool(id) {
    selected = id;
    document.querySelectorAll(".pool").forEach((n) => n.classList.toggle("sel", n.dataset.id === id));
    const h = await api("/v1/pools/" + encodeURIComponent(id) + "/health?minutes=1440");
    $("utitle").textContent = "Utilization — " + id + " (last 24 h, peak concurrent leases per minute)";
    chart($("uchart"), [{ color: "#1565c0", points: h.minutes.map((m) => [m.t, m.peak]) }], { yMax: h.numbers.total });
    $("ulegend").textContent = "peak " + h.peak7d + " of " + h.numbers.total + " numbers over 7 days";
    const tb = $("numbers").tBodies[0]; tb.textContent = "";
    for (const n of h.perNumber) tb.append(el("tr", {}, el("td", { textContent: n.number }), el("td", { textContent: n.leased ? "leased" : n.retiring ? "retiring" : "free" }), el("td", { textContent: when(n.lastShownAt) }), el("td", { textContent: when(n.lastCalledAt) }), el("td", { textContent: n.sessionsServed })));
  }
  async function showCalls() {
    let rows = [];
    try { rows = (await api("/v1/calls/stats?days=30")).days || []; } catch (e) { rows = []; }
    const sources = [...new Set(rows.map((r) => r.source))];
    chart($("cchart"), sources.map((s, i) => ({ color: COLORS[i % COLORS.length], points: rows.filter((r) => r.source === s).map((r) => [Date.parse(r.day), r.calls]) })), { bars: true });
    $("clegend").textContent = "";
    sources.forEach((s, i) => $("clegend").append(el("span", { className: "tag", style: "background:" + COLORS[i % COLORS.length] + ";color:#fff;margin-right:6px", textContent: s })));
  }
  async function load() {
    const acct = await api("/v1/account");
    $("who").textContent = acct.name; $("out").hidden = false;
    pools = (await api("/v1/pools")).pools;
    const grid = $("pools"); grid.textContent = "";
    for (const p of pools) {
      const h = await api("/v1/pools/" + encodeURIComponent(p.id) + "/health?minutes=0");
      const pct = Math.round(h.utilization * 100);
      const card = el("div", { className: "card pool " + (h.state === "exhausted" ? "dry" : h.state === "warning" ? "warn" : "") });
      card.dataset.id = p.id;
      card.append(el("strong", { textContent: p.name }), " ", el("span", { className: "tag", textContent: h.state }),
        el("div", { className: "bar" }, el("i", { style: "width:" + pct + "%" })),
        el("div", { className: "muted", textContent: h.numbers.leased + " leased / " + h.numbers.total + " numbers (" + pct + " %) · " + (h.counters.recycledEarly || 0) + " recycled early" }));
      card.onclick = () => showPool(p.id);
      grid.append(card);
    }
    if (pools.length) await showPool(selected || pools[0].id);
    await showCalls();
  }
  async function start() {
    if (!sessionStorage.getItem(KEY)) { $("login").hidden = false; $("app").hidden = true; return; }
    try { $("login").hidden = true; $("app").hidden = false; await load(); }
    catch (e) { if (e.status === 401 || e.status === 403) { sessionStorage.removeItem(KEY); $("lerr").textContent = "That key was not accepted."; $("login").hidden = false; $("app").hidden = true; } else throw e; }
  }
  $("login").onsubmit = (ev) => { ev.preventDefault(); sessionStorage.setItem(KEY, $("key").value.trim()); $("key").value = ""; start(); };
  $("out").onclick = () => { sessionStorage.removeItem(KEY); location.reload(); };
  start();
})();
</script></body></html>`;
