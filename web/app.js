/* Vigil dashboard. Every number comes from /api/v1/report (the document `vigil report --format
 * json` writes) for the current filters; lists and single alerts from /api/v1/alerts. Filters
 * live in the address's fragment (#country=BR&category=scanning), so a view can be bookmarked.
 * No request leaves this server: the map data and the libraries are served by vigil. */
"use strict";

const $ = (id) => document.getElementById(id);
const SVGNS = "http://www.w3.org/2000/svg";
/* asn, victim (a target host) and sid filter every panel too: the report takes them as well */
const FILTER_KEYS = ["from", "to", "sensor", "category", "country", "asn", "victim", "sid"];
const REFRESH_MS = 5000;

const state = { filters: {}, metric: "alerts", verified: false, gen: null, report: null,
                alertsQuery: null, alertsCursor: null, world: null, codes: null };

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

/* Cell text; shares (keys ending in _share) as percentages. */
function fmt(v, key) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number" && key && key.endsWith("_share")) return (Math.round(v * 1e6) / 1e4) + " %";
  if (typeof v === "number") return v.toLocaleString("en", { maximumFractionDigits: 4 });
  return String(v);
}

/* --- filters in the fragment --- */

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  state.filters = {};
  for (const k of FILTER_KEYS) if (p.get(k)) state.filters[k] = p.get(k);
  state.metric = ["alerts", "incidents", "attackers"].includes(p.get("metric")) ? p.get("metric") : "alerts";
  state.verified = p.get("verified") === "1";
}

function writeHash() {
  const p = new URLSearchParams();
  for (const k of FILTER_KEYS) if (state.filters[k]) p.set(k, state.filters[k]);
  if (state.metric !== "alerts") p.set("metric", state.metric);
  if (state.verified) p.set("verified", "1");
  const h = p.toString();
  if (location.hash.slice(1) !== h) history.replaceState(null, "", h ? "#" + h : location.pathname);
}

function setFilter(k, v) {
  if (v === null || state.filters[k] === v) delete state.filters[k];
  else state.filters[k] = v;
  writeHash();
  closeAlerts();
  load();
}

/* --- the API --- */

async function api(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const url = "/api/v1/" + path + (q.toString() ? "?" + q : "");
  let r;
  for (let tries = 0; ; tries++) {
    r = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    /* 503 with Retry-After: the report is being built (a large store takes a while) */
    if (r.status !== 503 || !r.headers.get("Retry-After") || tries > 600) break;
    $("live").textContent = "building the report for this view…";
    await new Promise((ok) => setTimeout(ok, 1000 * (+r.headers.get("Retry-After") || 2)));
  }
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) throw new Error((body && body.error) || ("HTTP " + r.status));
  /* the last report while the store's new one is built: look again shortly */
  if (r.headers.get("X-Vigil-Stale") && body) body.__stale = true;
  return body;
}

function showError(msg) {
  const e = $("error");
  e.hidden = !msg;
  e.textContent = msg || "";
}

/* --- panels --- */

function rows(t) { return (state.report.tables[t] || { rows: [] }).rows; }

function renderFilters() {
  const box = $("filters");
  box.replaceChildren();
  for (const k of FILTER_KEYS) {
    if (!state.filters[k]) continue;
    box.append(el("button", { type: "button", class: "chip", "data-filter": k,
      "aria-label": "Remove filter " + k + " " + state.filters[k],
      onclick: () => setFilter(k, null) }, k + ": " + state.filters[k]));
  }
  $("from").value = (state.filters.from || "").slice(0, 10);
  $("to").value = (state.filters.to || "").slice(0, 10);
}

function renderTotals() {
  const ov = Object.fromEntries(rows("overview").map((r) => [r.metric, r.value]));
  const cards = [["attack_alerts", "attack alerts"], ["alerts", "alerts (all)"], ["incidents", "incidents"],
    ["attackers", "attackers"], ["external_attackers", "external attackers"], ["victims", "victims"],
    ["verified_share", "verified"]];
  $("totals").replaceChildren(...cards.map(([k, label]) =>
    el("div", { class: "card", "data-metric": k }, el("div", { class: "v", text: fmt(ov[k], k) }),
       el("div", { class: "k", text: label }))));
  const q = [["drop_share", "drop share"], ["drops", "drops"], ["packets", "packets"],
    ["rules_loaded", "rules loaded"], ["rules_failed", "rules failed"], ["geo_databases", "geo builds"],
    ["runs", "runs counted"], ["runs_not_counted", "runs not counted"], ["capture_hours", "capture hours"],
    ["unattributable_share", "unattributable"], ["first_alert", "first alert"], ["last_alert", "last alert"]];
  $("quality").replaceChildren(...q.flatMap(([k, label]) =>
    [el("dt", { text: label }), el("dd", { "data-metric": k, text: fmt(ov[k], k) || "—" })]));
  $("store").textContent = state.report.store || "";
  $("gen").textContent = state.report.generator || "vigil";
}

/* The charts are web/charts.js (uPlot), the same code the HTML report draws its charts with. */
const NO_CHARTS = "This build of vigil has no chart library (run `npm ci` in web/ before building).";

function renderTimeline() {
  const box = $("timeline");
  if (!VigilCharts.available()) { box.replaceChildren(el("p", { class: "note", text: NO_CHARTS })); return; }
  VigilCharts.series(box, rows("timeline"));
}

/* Categories: a bar chart (click a bar to filter) and, for the keyboard and screen readers, the
 * same categories as buttons with their counts. */
function renderCategories() {
  const cs = rows("categories");
  const picked = (r) => state.filters.category === r.category;
  const plot = el("div", { class: "plot", id: "categories-chart" });
  const list = el("ul", { class: "catlist" }, ...cs.map((r) => el("li", { class: picked(r) ? "sel" : "" },
    el("button", { type: "button", class: "linkish", "data-category": r.category,
      "aria-pressed": String(picked(r)), onclick: () => setFilter("category", r.category) }, r.category),
    el("span", { class: "n", text: " " + fmt(r.alerts) + " / " + fmt(r.incidents) }))));
  $("categories").replaceChildren(cs.length ? plot : el("p", { class: "note", text: "No alerts." }),
    cs.length ? list : "", el("p", { class: "note", text: "alerts / incidents; choose a category to filter every panel." }));
  if (!cs.length) return;
  if (!VigilCharts.available()) { plot.replaceChildren(el("p", { class: "note", text: NO_CHARTS })); return; }
  VigilCharts.bars(plot, cs, "category", "alerts", { picked, title: "Attack alerts by category",
    onPick: (r) => setFilter("category", r.category) });
}

/* The map: world-atlas country shapes (ISO 3166 numeric ids) → alpha-2 through codes.json. */
async function loadWorld() {
  if (state.world !== null) return state.world;
  try {
    if (!window.d3 || !window.d3.geoPath || !window.topojson) throw new Error("no map libraries");
    const [topo, codes] = await Promise.all([
      fetch("/vendor/countries-110m.json").then((r) => { if (!r.ok) throw new Error("no map"); return r.json(); }),
      fetch("/vendor/codes.json").then((r) => { if (!r.ok) throw new Error("no codes"); return r.json(); })]);
    const m = VigilMap.project(d3, topojson, topo, codes);
    state.worldSphere = m.sphere;
    state.world = m.countries;
  } catch (e) {
    state.world = false;
  }
  return state.world;
}

function mapValue(r) {
  if (!state.verified) return r[state.metric];
  /* verified only: the report's attack alerts of the country times its verified share */
  return Math.round(r.alerts * (r.verified_share || 0));
}


async function renderMap() {
  const world = await loadWorld();
  const box = $("map");
  const note = $("map-note");
  $("metric").disabled = state.verified;
  if (!world) {
    box.replaceChildren(el("p", { class: "note", text: "This build of vigil has no map data (run `npm ci` in web/ before building)." }));
    return;
  }
  const byCc = {};
  for (const r of rows("origins_country")) byCc[r.country] = r;
  const vals = Object.values(byCc).map(mapValue).filter((v) => v > 0);
  const max = Math.max(...vals, 1);
  const W = VigilMap.W, H = VigilMap.H;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "group", "aria-label": "World map of attack origins" });
  s.append(svg("path", { d: state.worldSphere, class: "sea" }));
  const drawn = new Set();
  const label = state.verified ? "verified attack alerts" : ({ alerts: "attack alerts", incidents: "incidents", attackers: "distinct attackers" })[state.metric];
  for (const f of world) {
    const cc = f.cc;
    const r = byCc[cc];
    const v = r ? mapValue(r) : 0;
    const p = svg("path", { d: f.d, "data-cc": cc, "data-value": v });
    if (v > 0) {
      drawn.add(cc);
      p.setAttribute("class", "hit" + (state.filters.country === cc ? " picked" : ""));
      p.setAttribute("fill", VigilMap.shade(v, max));
      p.setAttribute("tabindex", "0");
      p.setAttribute("role", "button");
      p.setAttribute("aria-label", `${f.name} (${cc}): ${v} ${label}`);
      p.addEventListener("click", () => setFilter("country", cc));
      p.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); setFilter("country", cc); }
      });
    } else {
      p.setAttribute("class", "land");
    }
    const t = svg("title");
    t.textContent = `${f.name}${cc ? " (" + cc + ")" : ""}: ${v} ${label}`;
    p.append(t);
    s.append(p);
  }
  box.replaceChildren(s, el("div", { class: "legend" }, "1", ...[0, .25, .5, .75, 1].map((t) => {
    const i = el("i"); i.style.background = VigilMap.shade(Math.pow(max, t), max); return i; }), fmt(max) + " " + label));
  const off = Object.keys(byCc).filter((cc) => !drawn.has(cc) && mapValue(byCc[cc]) > 0);
  note.textContent = (off.length ? "Not on the map: " + off.map((cc) => `${cc} (${mapValue(byCc[cc])})`).join(", ") + ". " : "") +
    (state.verified ? "Verified only: each country's attack alerts × its verified share (attacker completed a TCP handshake)." : "");
}

function table(box, rs, cols, actions) {
  if (!rs.length) { box.replaceChildren(el("p", { class: "note", text: "Nothing in this view." })); return; }
  const head = el("tr", {}, ...cols.map((c) => el("th", { scope: "col", class: c.n ? "n" : "", text: c.label })),
    el("th", { scope: "col", text: "" }));
  const body = rs.map((r) => {
    const tr = el("tr", { class: actions.selected && actions.selected(r) ? "sel" : "" });
    for (const c of cols) {
      const v = c.key in r ? r[c.key] : "";
      let cell = fmt(v, c.key);
      if (c.filter) cell = el("button", { type: "button", class: "linkish", "data-filter-value": String(v),
        onclick: () => c.filter(r) }, String(v) || "—");
      tr.append(el("td", { class: c.n ? "n" : "" }, cell));
    }
    tr.append(el("td", {}, el("button", { type: "button", class: "linkish", "data-alerts": "1",
      onclick: () => showAlerts(actions.alerts(r), actions.what(r)) }, "alerts")));
    return tr;
  });
  box.replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, ...body)));
}

function renderTables() {
  table($("t-country"), rows("origins_country"), [
    { key: "country", label: "Country", filter: (r) => setFilter("country", r.country) },
    { key: "alerts", label: "Alerts", n: 1 }, { key: "incidents", label: "Incidents", n: 1 },
    { key: "attackers", label: "Attackers", n: 1 }, { key: "victims", label: "Victims", n: 1 },
    { key: "verified_share", label: "Verified", n: 1 }, { key: "flag", label: "Flag" }],
    { alerts: (r) => ({ country: r.country === "home" ? undefined : r.country }), what: (r) => "country " + r.country,
      selected: (r) => state.filters.country === r.country });
  table($("t-asn"), rows("origins_asn"), [
    { key: "asn", label: "ASN", filter: (r) => setFilter("asn", String(r.asn)) },
    { key: "org", label: "Organisation" }, { key: "countries", label: "Countries" },
    { key: "alerts", label: "Alerts", n: 1 }, { key: "incidents", label: "Incidents", n: 1 },
    { key: "attackers", label: "Attackers", n: 1 }],
    { alerts: (r) => ({ asn: r.asn }), what: (r) => "ASN " + r.asn,
      selected: (r) => state.filters.asn === String(r.asn) });
  table($("t-target"), rows("targets_hosts"), [
    { key: "host", label: "Host", filter: (r) => setFilter("victim", r.host) },
    { key: "alerts", label: "Alerts", n: 1 },
    { key: "incidents", label: "Incidents", n: 1 }, { key: "attackers", label: "Attackers", n: 1 },
    { key: "categories", label: "Categories" }],
    { alerts: (r) => ({ victim: r.host }), what: (r) => "target " + r.host,
      selected: (r) => state.filters.victim === r.host });
  table($("t-sig"), rows("exploit_signatures"), [
    { key: "sid", label: "SID", filter: (r) => setFilter("sid", String(r.sid)) },
    { key: "signature", label: "Signature" }, { key: "cves", label: "CVEs" },
    { key: "alerts", label: "Alerts", n: 1 }, { key: "incidents", label: "Incidents", n: 1 },
    { key: "attackers", label: "Attackers", n: 1 }],
    { alerts: (r) => ({ sid: r.sid }), what: (r) => "signature " + r.sid,
      selected: (r) => state.filters.sid === String(r.sid) });
}

/* --- alerts and one alert --- */

function closeAlerts() {
  $("alerts-panel").hidden = true;
  $("alert-panel").hidden = true;
  state.alertsQuery = null;
}

async function showAlerts(extra, what) {
  state.alertsQuery = Object.assign({}, state.filters, extra);
  state.alertsCursor = null;
  $("alerts-what").textContent = "Alerts of " + what + (Object.keys(state.filters).length ?
    " within the filters above" : "") + ", newest first.";
  $("alerts").replaceChildren();
  $("alerts-panel").hidden = false;
  await moreAlerts();
  $("h-alerts").focus();
}

async function moreAlerts() {
  const q = Object.assign({ limit: 50, cursor: state.alertsCursor }, state.alertsQuery);
  let d;
  try { d = await api("alerts", q); } catch (e) { showError("alerts: " + e.message); return; }
  let tb = $("alerts").querySelector("tbody");
  if (!tb) {
    tb = el("tbody");
    $("alerts").replaceChildren(el("table", {}, el("thead", {}, el("tr", {},
      ...["Time", "Signature", "Category", "Attacker", "Country", "Victim", "Certainty", "Evidence", ""]
        .map((h) => el("th", { scope: "col", text: h })))), tb));
  }
  for (const a of d.alerts) {
    tb.append(el("tr", { "data-alert": a.id },
      el("td", { text: a.time.replace("T", " ").replace(/\.\d+Z$/, "Z") }), el("td", { text: a.signature }),
      el("td", { text: a.category }), el("td", { text: a.attacker.ip + (a.attacker.port ? ":" + a.attacker.port : "") }),
      el("td", { text: a.attacker.country }), el("td", { text: a.victim.ip + (a.victim.port ? ":" + a.victim.port : "") }),
      el("td", { text: a.certainty || "" }), el("td", { text: a.evidence ? "pcap" : "" }),
      el("td", {}, el("button", { type: "button", class: "linkish", "data-open-alert": a.id,
        onclick: () => showAlert(a.id) }, "open"))));
  }
  state.alertsCursor = d.next_cursor;
  $("more").hidden = !d.next_cursor;
}

async function showAlert(id) {
  let a;
  try { a = await api("alerts/" + id); } catch (e) { showError("alert: " + e.message); return; }
  const party = (p) => `${p.ip}${p.port !== null ? ":" + p.port : ""} — ${p.country}` +
    (p.asn ? ` AS${p.asn}` : "") + (p.org ? ` ${p.org}` : "") + (p.home ? " (home network)" : "");
  const items = [["Time", a.time], ["Sensor / run", `${a.sensor} / run ${a.run}`], ["Category", a.category],
    ["Certainty", `${a.certainty || "—"} (roles by ${a.role_by || "—"})`], ["Attacker", party(a.attacker)],
    ["Victim", party(a.victim)], ["Rule", `${a.rule.gid}:${a.rule.sid}:${a.rule.rev} ${a.rule.signature}`],
    ["Classification", `${a.rule.classtype || "—"}, severity ${a.rule.severity ?? "—"}`],
    ["Family", a.rule.family || "—"], ["CVEs", a.rule.cves || "—"],
    ["Flow", `${a.flow.proto || ""} ${a.flow.src_ip}:${a.flow.src_port ?? ""} → ${a.flow.dest_ip}:${a.flow.dest_port ?? ""}` +
      (a.flow.app_proto ? ` (${a.flow.app_proto})` : "") + ` flow ${a.flow.flow_id ?? "—"}`],
    ["Community id", a.flow.community_id || "—"], ["Incident", a.incident ?? "—"]];
  if (a.flow.pkts_toserver !== undefined)
    items.push(["Flow packets", `${a.flow.pkts_toserver} → / ${a.flow.pkts_toclient} ←, ${a.flow.state || ""} ${a.flow.reason || ""}`]);
  const dl = el("dl", { class: "alert-detail" });
  for (const [k, v] of items) dl.append(el("dt", { text: k }), el("dd", { text: String(v) }));
  const ev = a.evidence;
  if (ev) {
    const vf = ev.verification;
    dl.append(el("dt", { text: "Evidence" }), el("dd", {}, ev.file + " — ",
      el("span", { class: "st-" + vf.status, "data-evidence-status": vf.status, text: vf.status }),
      vf.sha256 ? el("div", { text: "SHA-256 " + vf.sha256 }) : null,
      vf.ledger_sha256 ? el("div", { text: "ledger " + vf.ledger_sha256 }) : null));
  } else {
    dl.append(el("dt", { text: "Evidence" }), el("dd", { text: "none stored for this alert" }));
  }
  const box = $("alert");
  box.replaceChildren(dl);
  if (ev && ev.verification.download)
    box.append(el("a", { class: "download", href: ev.verification.download, download: ev.file,
      id: "pcap-download" }, "Download pcap"));
  $("h-alert").textContent = "Alert " + a.id;
  $("alert-panel").hidden = false;
  $("h-alert").focus();
}

/* --- loading and refreshing --- */

let loading = null;
async function load() {
  if (loading) { loading.again = true; return; }
  loading = { again: false };
  try {
    renderFilters();
    const params = Object.assign({}, state.filters);
    if (params.to && params.to.length === 10) params.to = params.to; /* a date: the whole day */
    state.report = await api("report", params);
    showError(null);
    renderTotals();
    renderTimeline();
    renderCategories();
    renderTables();
    await renderMap();
    document.body.dataset.loaded = String(Date.now());
    if (state.report.__stale) {
      $("live").textContent = "the store changed; building the new report…";
      setTimeout(load, 3000);
    }
  } catch (e) {
    showError("The report could not be loaded: " + e.message);
  } finally {
    const again = loading.again;
    loading = null;
    if (again) load();
  }
}

async function poll() {
  try {
    const s = await api("status");
    const live = $("live");
    live.className = "live" + (s.runs_running ? " on" : "");
    live.textContent = (s.runs_running ? `live: ${s.runs_running} run(s) writing — ` : "") +
      "updated " + new Date().toLocaleTimeString("en-GB");
    if (state.gen !== null && s.generation !== state.gen) {
      state.gen = s.generation;
      await load();
      if (state.alertsQuery && !$("alerts-panel").hidden) {
        state.alertsCursor = null;
        $("alerts").replaceChildren();
        await moreAlerts();
      }
    }
    state.gen = s.generation;
  } catch (e) {
    $("live").textContent = "server unreachable: " + e.message;
  }
}

function init() {
  readHash();
  $("metric").value = state.metric;
  $("verified").checked = state.verified;
  $("metric").addEventListener("change", () => { state.metric = $("metric").value; writeHash(); renderMap(); });
  $("verified").addEventListener("change", () => { state.verified = $("verified").checked; writeHash(); renderMap(); });
  $("period").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = $("from").value, t = $("to").value;
    if (f) state.filters.from = f; else delete state.filters.from;
    if (t) state.filters.to = t; else delete state.filters.to;
    writeHash();
    load();
  });
  $("more").addEventListener("click", moreAlerts);
  $("close-alerts").addEventListener("click", closeAlerts);
  $("close-alert").addEventListener("click", () => { $("alert-panel").hidden = true; });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      if (!$("alert-panel").hidden) $("alert-panel").hidden = true;
      else if (!$("alerts-panel").hidden) closeAlerts();
    }
  });
  window.addEventListener("hashchange", () => { readHash(); load(); });
  load();
  poll();
  setInterval(poll, REFRESH_MS);
}

document.addEventListener("DOMContentLoaded", init);
