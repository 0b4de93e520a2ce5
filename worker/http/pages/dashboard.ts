/**
 * GET /dashboard — pools at a glance, utilization over time, numbers with last shown / last
 * called, calls by source per day. Signed in with the admin key, kept in sessionStorage and sent
 * as an Authorization header (never in a URL). Plain DOM + inline SVG charts: no framework, no
 * chart library, no CDN; every text from the API is set with textContent.
 *
 * Reads GET /v1/account, /v1/pools, /v1/pools/{id}/health, /v1/pools/{id}/numbers and
 * /v1/stats/calls. The script is served under a CSP that allows exactly its hash.
 */
export const DASHBOARD_SCRIPT = `
(() => {
  const $ = (id) => document.getElementById(id);
  const KEY = "dni.adminKey";
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#1565c0", "#2f7d32", "#c77700", "#6a1b9a", "#b3261e", "#00838f", "#5d4037", "#546e7a"];
  const el = (tag, props, ...kids) => { const e = document.createElement(tag); Object.assign(e, props || {}); e.append(...kids); return e; };
  const svg = (tag, attrs, text) => { const e = document.createElementNS(NS, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text !== undefined) e.textContent = text; return e; };
  const when = (t) => t ? new Date(t).toLocaleString() : "—";
  const pct = (x) => Math.round(x * 100) + " %";
  const RANGES = { day: { minutes: 1440, step: 5, label: "last 24 h, 5-minute peaks" }, week: { minutes: 10080, step: 60, label: "last 7 days, hourly peaks" } };
  let pools = [], selected = null, range = "day", cursor = null, timer = null;

  async function api(path) {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + sessionStorage.getItem(KEY) }, cache: "no-store" });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw Object.assign(new Error((body.error && body.error.message) || r.statusText), { status: r.status });
    return body;
  }

  function frame(node, yMax, fmt, x0, x1, xfmt) {
    node.textContent = "";
    const W = Math.max(node.clientWidth || 0, 320), H = 200, L = 44, R = 12, T = 10, B = 24;
    node.setAttribute("viewBox", "0 0 " + W + " " + H);
    const X = (x) => L + (x1 > x0 ? (x - x0) / (x1 - x0) : 0) * (W - L - R);
    const Y = (y) => H - B - (y / yMax) * (H - T - B);
    for (const f of [0, 0.5, 1]) {
      node.append(svg("line", { x1: L, x2: W - R, y1: Y(yMax * f), y2: Y(yMax * f), stroke: "#eef0f3" }));
      node.append(svg("text", { x: L - 6, y: Y(yMax * f) + 4, "text-anchor": "end", class: "axis" }, fmt(yMax * f)));
    }
    node.append(svg("text", { x: L, y: H - 6, class: "axis" }, xfmt(x0)));
    node.append(svg("text", { x: W - R, y: H - 6, "text-anchor": "end", class: "axis" }, xfmt(x1)));
    return { X, Y, W, H, L, R, B };
  }

  function utilChart(h) {
    const node = $("uchart");
    const pts = h.minutes;
    if (!pts.length) { node.textContent = ""; return; }
    const stepMs = h.step * 60000;
    const x0 = pts[0].t, x1 = pts[pts.length - 1].t + stepMs;
    const f = frame(node, 1, pct, x0, x1, (t) => new Date(t).toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }));
    let d = "";
    pts.forEach((p, i) => {
      const y = f.Y(Math.min(p.utilization, 1));
      d += (i ? "L" : "M") + f.X(p.t).toFixed(1) + "," + y.toFixed(1) + "L" + f.X(p.t + stepMs).toFixed(1) + "," + y.toFixed(1);
    });
    const area = d + "L" + f.X(x1).toFixed(1) + "," + f.Y(0) + "L" + f.X(x0).toFixed(1) + "," + f.Y(0) + "Z";
    node.append(svg("path", { d: area, fill: "#1565c0", "fill-opacity": "0.12", stroke: "none" }));
    node.append(svg("path", { d: d, fill: "none", stroke: "#1565c0", "stroke-width": 1.5, class: "series" }));
    const ty = f.Y(h.alertThreshold);
    node.append(svg("line", { x1: f.L, x2: f.W - f.R, y1: ty, y2: ty, stroke: "#c77700", "stroke-dasharray": "4 3" }));
    node.append(svg("text", { x: f.W - f.R, y: ty - 4, "text-anchor": "end", class: "axis" }, "alert " + pct(h.alertThreshold)));
  }

  function callsChart(stats) {
    const node = $("cchart"), legend = $("clegend");
    legend.textContent = "";
    const rows = stats.days || [];
    if (!rows.length) { node.textContent = ""; node.append(svg("text", { x: 20, y: 40, class: "axis" }, "No calls in the last 30 days.")); return; }
    const name = (s) => s === null ? "(unattributed)" : s;
    const days = [...new Set(rows.map((r) => r.day))].sort();
    const sources = [...new Set(rows.map((r) => name(r.source)))].sort();
    const perDay = {};
    for (const r of rows) (perDay[r.day] = perDay[r.day] || {})[name(r.source)] = r.calls;
    const yMax = Math.max(1, ...days.map((d) => sources.reduce((s, k) => s + (perDay[d][k] || 0), 0)));
    const today = Date.parse(new Date().toISOString().slice(0, 10));
    const x0 = Math.min(Date.parse(days[0]), today - 13 * 86400000), x1 = Math.max(Date.parse(days[days.length - 1]), today) + 86400000;
    const f = frame(node, yMax, (v) => String(Math.round(v)), x0, x1, (t) => new Date(t).toISOString().slice(5, 10));
    const bw = Math.min(40, Math.max(2, (f.X(x0 + 86400000) - f.X(x0)) * 0.8));
    for (const d of days) {
      let base = 0;
      sources.forEach((s, i) => {
        const v = perDay[d][s] || 0;
        if (!v) return;
        const r = svg("rect", { x: f.X(Date.parse(d)) + 1, y: f.Y(base + v), width: bw, height: f.Y(base) - f.Y(base + v), fill: COLORS[i % COLORS.length] });
        r.append(svg("title", {}, d + " " + s + ": " + v));
        node.append(r);
        base += v;
      });
    }
    sources.forEach((s, i) => legend.append(el("span", { className: "key" }, el("i", { style: "background:" + COLORS[i % COLORS.length] }), s)));
  }

  function card(p, h) {
    const c = el("button", { className: "card pool " + h.state, type: "button" });
    c.dataset.id = p.id;
    const bar = el("span", { className: "bar" }, el("i", { style: "width:" + Math.min(100, Math.round(h.utilization * 100)) + "%" }));
    c.append(
      el("span", { className: "row" }, el("strong", { textContent: p.name }), el("span", { className: "tag", textContent: h.state })),
      el("span", { className: "muted", textContent: p.id + " · status " + p.status + " · alert at " + pct(h.alertThreshold) }),
      bar,
      el("span", { textContent: h.numbers.leased + " of " + h.numbers.total + " leased (" + pct(h.utilization) + ") · " + h.numbers.free + " free · 7-day peak " + h.peak7d }),
      el("span", { className: "muted", textContent: h.counters.allocations + " allocations · " + h.counters.recycledEarly + " recycled early · " + h.counters.overflow + " overflow · " + h.counters.refused + " refused" }),
    );
    if (h.episode) c.append(el("span", { className: "warnline", textContent: "Warning since " + when(h.episode.openedAt) + (h.episode.exhaustedAt ? " · ran dry " + when(h.episode.exhaustedAt) : "") }));
    c.onclick = () => showPool(p.id);
    return c;
  }

  async function showNumbers(more) {
    const tb = $("numbers").tBodies[0];
    if (!more) { tb.textContent = ""; cursor = null; }
    const page = await api("/v1/pools/" + encodeURIComponent(selected) + "/numbers?limit=200" + (cursor ? "&after=" + encodeURIComponent(cursor) : ""));
    for (const n of page.numbers) {
      tb.append(el("tr", {}, el("td", { textContent: n.number }), el("td", {}, el("span", { className: "st " + n.state, textContent: n.state })), el("td", { textContent: when(n.lastShownAt) }), el("td", { textContent: when(n.lastCalledAt) }), el("td", { className: "num", textContent: n.sessionsServed })));
    }
    cursor = page.nextCursor;
    $("more").hidden = !cursor;
  }

  async function showPool(id) {
    selected = id;
    document.querySelectorAll(".pool").forEach((n) => n.classList.toggle("sel", n.dataset.id === id));
    const p = pools.find((x) => x.id === id);
    const r = RANGES[range];
    const h = await api("/v1/pools/" + encodeURIComponent(id) + "/health?minutes=" + r.minutes + "&step=" + r.step);
    $("utitle").textContent = "Utilization — " + (p ? p.name : id);
    $("ulegend").textContent = "Peak concurrent leases as a share of " + h.numbers.total + " numbers (" + r.label + "). 7-day peak " + h.peak7d + " (" + pct(h.peakUtilization7d) + ").";
    utilChart(h);
    $("ntitle").textContent = "Numbers — " + (p ? p.name : id);
    await showNumbers(false);
  }

  async function load() {
    const acct = await api("/v1/account");
    $("who").textContent = acct.name;
    $("out").hidden = false;
    pools = (await api("/v1/pools")).pools;
    const health = await Promise.all(pools.map((p) => api("/v1/pools/" + encodeURIComponent(p.id) + "/health?minutes=0")));
    const grid = $("pools");
    grid.textContent = "";
    if (!pools.length) grid.append(el("p", { className: "muted", textContent: "No pools yet: create one with POST /v1/pools." }));
    pools.forEach((p, i) => grid.append(card(p, health[i])));
    const has = (id) => id && pools.some((p) => p.id === id);
    if (pools.length) await showPool(has(selected) ? selected : has(acct.defaultPool) ? acct.defaultPool : pools[0].id);
    const from = new Date(Date.now() - 30 * 86400000).toISOString();
    callsChart(await api("/v1/stats/calls?from=" + encodeURIComponent(from)));
    $("updated").textContent = "Updated " + new Date().toLocaleTimeString();
  }

  function signedOut(message) {
    sessionStorage.removeItem(KEY);
    clearInterval(timer);
    $("app").hidden = true; $("out").hidden = true; $("who").textContent = "";
    $("login").hidden = false; $("lerr").textContent = message || "";
  }

  async function start() {
    if (!sessionStorage.getItem(KEY)) return signedOut();
    $("login").hidden = true; $("app").hidden = false;
    try { await load(); } catch (e) {
      if (e.status === 401 || e.status === 403) return signedOut("That key was not accepted.");
      $("updated").textContent = "Could not load: " + e.message;
    }
    clearInterval(timer);
    timer = setInterval(() => load().catch(() => {}), 60000);
  }

  $("login").onsubmit = (ev) => { ev.preventDefault(); sessionStorage.setItem(KEY, $("key").value.trim()); $("key").value = ""; start(); };
  $("out").onclick = () => signedOut();
  $("more").onclick = () => showNumbers(true);
  for (const b of document.querySelectorAll("[data-range]")) b.onclick = () => {
    range = b.dataset.range;
    document.querySelectorAll("[data-range]").forEach((x) => x.classList.toggle("on", x === b));
    if (selected) showPool(selected);
  };
  start();
})();
`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,"><title>edge-dni dashboard</title>
<style>
[hidden]{display:none!important}body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2433;background:#f5f6f8}
header{background:#1d2433;color:#fff;padding:12px 20px;display:flex;justify-content:space-between;align-items:center}
header h1{font-size:18px;margin:0}header a{color:#9cc3ff;margin-left:12px}
button{font:inherit;cursor:pointer;border:1px solid #c5cad3;background:#fff;border-radius:5px;padding:5px 12px}
main{max-width:1100px;margin:0 auto;padding:16px 20px}
.card{display:block;width:100%;text-align:left;background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:14px 16px;margin:12px 0;box-sizing:border-box}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}.grid .card{margin:0}
.pool{cursor:pointer}.pool>span{display:block}.pool.sel{outline:2px solid #1565c0}.pool>.row{display:flex;justify-content:space-between;align-items:center}
.bar{height:8px;background:#e6e9ee;border-radius:4px;overflow:hidden;margin:8px 0}.bar i{display:block;height:100%;background:#2f7d32}
.warning .bar i{background:#c77700}.exhausted .bar i{background:#b3261e}
.tag{font-size:12px;padding:1px 8px;border-radius:10px;background:#dcefdc}.warning .tag{background:#ffe3b3}.exhausted .tag{background:#ffd0cc}
.warnline{color:#8a5300;margin-top:4px}
table{border-collapse:collapse;width:100%}td,th{padding:4px 8px;border-bottom:1px solid #eef0f3;text-align:left;font-variant-numeric:tabular-nums}.num{text-align:right}
.st{font-size:12px;padding:0 6px;border-radius:8px;background:#e6e9ee}.st.leased{background:#dbe8fb}.st.retiring{background:#ffe3b3}
#who{margin-right:4px}svg{width:100%;height:200px;display:block}svg .axis{font-size:11px;fill:#6b7280}
.muted{color:#6b7280}#login{max-width:420px;margin:60px auto}
input{font:inherit;width:100%;box-sizing:border-box;padding:7px;border:1px solid #c5cad3;border-radius:5px;margin:8px 0}
.err{color:#b3261e}.key{margin-right:12px;white-space:nowrap}.key i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
.seg button.on{background:#1d2433;color:#fff}.head{display:flex;justify-content:space-between;align-items:center;gap:8px}
</style></head><body>
<header><h1>edge-dni</h1><span><span id="who" class="muted"></span><a href="/docs">API</a> <button id="out" type="button" hidden>Sign out</button></span></header>
<main>
<form id="login" class="card" method="post" action="#" hidden><h2>Sign in</h2><p class="muted">Paste the account's admin key (sk_…). It stays in this browser tab only.</p>
<input id="key" type="password" autocomplete="off" placeholder="sk_…" aria-label="Admin key"><button>Sign in</button><p id="lerr" class="err"></p></form>
<div id="app" hidden>
<p class="muted" id="updated"></p>
<section class="grid" id="pools" aria-label="pools"></section>
<section class="card"><div class="head"><h3 id="utitle">Utilization</h3><span class="seg"><button type="button" data-range="day" class="on">24 h</button> <button type="button" data-range="week">7 days</button></span></div>
<svg id="uchart" role="img" aria-label="utilization chart"></svg><div class="muted" id="ulegend"></div></section>
<section class="card"><h3>Calls by source per day</h3><svg id="cchart" role="img" aria-label="calls chart"></svg><div id="clegend"></div></section>
<section class="card"><h3 id="ntitle">Numbers</h3><table id="numbers"><thead><tr><th>number</th><th>now</th><th>last shown</th><th>last called</th><th class="num">sessions</th></tr></thead><tbody></tbody></table>
<p><button id="more" type="button" hidden>More numbers</button></p></section>
</div>
</main>
<script>${DASHBOARD_SCRIPT}</script></body></html>`;
