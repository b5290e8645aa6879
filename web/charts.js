/* The charts of the dashboard (app.js) and of the HTML report (`vigil report --format html`),
 * drawn with uPlot (npm `uplot`, pinned by web/package-lock.json) from the report document —
 * the page's /api/v1/report, or the copy of that same document the HTML report carries in a
 * <script type="application/json">. One module, so the page and the report draw the same charts:
 *   VigilCharts.series(el, timelineRows, opts)  attack alerts over time, one line per category
 *   VigilCharts.bars(el, rows, label, value, opts)  horizontal bars, one per row
 *   VigilCharts.drawReport(doc, root)  every <figure data-chart> placeholder of the HTML report
 * Each drawn chart keeps its uPlot instance as el.vigilChart and says what it drew in
 * data-series / data-points / data-bars (the browser tests compare them with the document).
 * uPlot draws on canvas and styles through the CSSOM only (element.style), which the page's
 * CSP (style-src 'self') allows. */
(function (root) {
  "use strict";
  const PALETTE = ["#4f7cac", "#b3261e", "#2e8b57", "#e08a1e", "#7b52ab", "#8c564b", "#c2549d",
                   "#6b7b8c", "#a8a820", "#1aa2b8"];
  const BAR = "#4f7cac", PICKED = "#b3261e";
  const HOUR = 3600, DAY = 86400, MONTH = 30 * DAY, YEAR = 365 * DAY;
  /* Tick steps: counts are whole numbers; time steps are whole buckets (uPlot splits steps of
   * 30 days and more on calendar months). */
  const COUNT_STEPS = [];
  for (let m = 1; m <= 1e12; m *= 10) COUNT_STEPS.push(m, 2 * m, 5 * m);
  const TIME_STEPS = [HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY,
                      MONTH, 2 * MONTH, 3 * MONTH, 6 * MONTH, YEAR, 2 * YEAR, 5 * YEAR, 10 * YEAR];
  const KIND_STEP = { hour: HOUR, day: DAY, month: MONTH };

  function available() { return typeof root.uPlot === "function"; }

  /* Colours of categories: each name has its own place in the palette (a hash of it), so a
   * category keeps its colour when others are filtered out; a clash within one chart takes the
   * next free colour. */
  function colours(names) {
    const used = new Set();
    return names.map((n) => {
      let h = 0;
      for (const ch of n) h = (h * 31 + ch.codePointAt(0)) >>> 0;
      let i = h % PALETTE.length;
      for (let k = 0; k < PALETTE.length && used.has(i); k++) i = (i + 1) % PALETTE.length;
      used.add(i);
      return PALETTE[i];
    });
  }

  /* A container gets one chart: the one drawn before is destroyed. */
  function clear(el) {
    if (el.vigilChart) el.vigilChart.destroy();
    if (el.vigilResize) el.vigilResize.disconnect();
    el.vigilChart = el.vigilResize = null;
    el.replaceChildren();
  }

  /* A timeline bucket ("2024-01-01T05:00:00Z", "2024-01-01", "2024-01") as UTC seconds, and
   * the bucket's kind. */
  function bucketTime(b) {
    if (/^\d{4}-\d{2}$/.test(b)) return { t: Date.parse(b + "-01T00:00:00Z") / 1000, kind: "month" };
    if (/^\d{4}-\d{2}-\d{2}$/.test(b)) return { t: Date.parse(b + "T00:00:00Z") / 1000, kind: "day" };
    return { t: Date.parse(b) / 1000, kind: "hour" };
  }

  /* A time as the report writes buckets of this kind (UTC). */
  function bucketText(t, kind) {
    const iso = new Date(t * 1000).toISOString();
    return kind === "hour" ? iso.slice(0, 13) + ":00Z" : kind === "day" ? iso.slice(0, 10) : iso.slice(0, 7);
  }

  /* An axis tick at time t for a tick step: hours with their day, days, or months. */
  function tickText(t, step) {
    const iso = new Date(t * 1000).toISOString();
    return step < DAY ? iso.slice(5, 10) + " " + iso.slice(11, 16) : step < MONTH ? iso.slice(0, 10) : iso.slice(0, 7);
  }

  function nextBucket(t, kind) {
    if (kind === "hour") return t + HOUR;
    if (kind === "day") return t + DAY;
    const d = new Date(t * 1000);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000;
  }

  /* The report's timeline rows (bucket, category, alerts, …) as uPlot data: every bucket from
   * the first to the last (those without alerts are zeros), one array per category (sorted).
   * Null when the buckets cannot be read or would be more than `limit`. */
  function timelineData(rows, limit) {
    if (!rows.length) return null;
    const cats = [...new Set(rows.map((r) => r.category))].sort();
    const at = rows.map((r) => bucketTime(r.bucket));
    if (at.some((x) => !isFinite(x.t))) return null;
    const kind = at[0].kind;
    if (at.some((x) => x.kind !== kind)) return null;
    const t0 = at.reduce((m, x) => Math.min(m, x.t), Infinity), t1 = at.reduce((m, x) => Math.max(m, x.t), -Infinity);
    const xs = [];
    for (let t = t0; t <= t1; t = nextBucket(t, kind)) {
      xs.push(t);
      if (xs.length > (limit || 20000)) return null;
    }
    const pos = new Map(xs.map((t, i) => [t, i]));
    const ys = cats.map(() => new Array(xs.length).fill(0));
    rows.forEach((r, k) => { ys[cats.indexOf(r.category)][pos.get(at[k].t)] += r.alerts; });
    return { kind, cats, xs, ys };
  }

  function widthOf(el, dflt) { return Math.max(240, Math.floor(el.clientWidth || dflt || 600)); }

  /* Redraw at the container's width when it changes (a window resize, a wall display). */
  function follow(el, u, height) {
    if (typeof ResizeObserver !== "function") return;
    let last = widthOf(el);
    el.vigilResize = new ResizeObserver(() => {
      const w = widthOf(el);
      if (w !== last) { last = w; u.setSize({ width: w, height }); }
    });
    el.vigilResize.observe(el);
  }

  /* The chart as an image with a name for screen readers (its numbers are in the lists and
   * tables beside it). */
  function nameChart(u, text) {
    u.root.setAttribute("role", "img");
    u.root.setAttribute("aria-label", text);
  }

  function note(el, text) {
    clear(el);
    const p = document.createElement("p");
    p.className = "note";
    p.textContent = text;
    el.replaceChildren(p);
  }

  /* Attack alerts over time: one line per category (sorted by name), on a UTC time axis. */
  function series(el, rows, opts) {
    opts = opts || {};
    const d = timelineData(rows || []);
    if (!d) { note(el, rows && rows.length ? "Too many time buckets to draw." : "No attack alerts in this period."); return null; }
    clear(el);
    const height = opts.height || 220;
    const one = d.xs.length === 1;
    const col = colours(d.cats);
    const u = new root.uPlot({
      width: widthOf(el, opts.width), height, padding: [12, 40, 0, 0],
      tzDate: (ts) => root.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      scales: { x: { time: true, range: one ? (u, a, b) => [a - KIND_STEP[d.kind], b + KIND_STEP[d.kind]] : undefined },
                y: { range: (u, a, b) => [0, Math.max(1, b)] } },
      series: [{ label: "UTC " + d.kind, value: (u, t) => (t === null || t === undefined ? "—" : bucketText(t, d.kind)) }]
        .concat(d.cats.map((c, i) => ({
          label: c, stroke: col[i], width: 2,
          value: (u, v) => (v === null || v === undefined ? "—" : v.toLocaleString("en")),
          points: { show: one || d.xs.length <= 60, size: 5, fill: col[i] } }))),
      axes: [{ space: 80, incrs: TIME_STEPS.filter((s) => s >= KIND_STEP[d.kind]),
               values: (u, sp, ai, space, step) => sp.map((t) => tickText(t, step)) },
             { size: 50, incrs: COUNT_STEPS, values: (u, sp) => sp.map((v) => v.toLocaleString("en")) }],
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
    }, [d.xs].concat(d.ys), el);
    nameChart(u, "Attack alerts per " + d.kind + " and category (UTC): " + d.cats.join(", "));
    el.vigilChart = u;
    el.dataset.series = String(d.cats.length);
    el.dataset.points = String(d.xs.length);
    el.dataset.kind = d.kind;
    follow(el, u, height);
    return u;
  }

  /* Horizontal bars of rows[label] by rows[value], in the rows' order (at most opts.max).
   * opts.onPick(row) is called when a bar is clicked; opts.picked(row) draws a bar in the
   * accent colour. The drawn bars' canvas boxes are kept in el.vigilBars (for tests). */
  function bars(el, rows, label, value, opts) {
    opts = opts || {};
    rows = (rows || []).slice(0, opts.max || rows.length);
    if (!rows.length) { note(el, "Nothing to draw."); return null; }
    clear(el);
    const names = rows.map((r) => (r[label] === null || r[label] === undefined || r[label] === "") ? "(none)" : String(r[label]));
    const vals = rows.map((r) => +r[value] || 0);
    const xs = rows.map((r, i) => i);
    const rowH = opts.rowHeight || 24, height = rows.length * rowH + 40;
    const short = (s) => (s.length > 28 ? s.slice(0, 26) + "…" : s);
    const fills = rows.map((r) => (opts.picked && opts.picked(r) ? PICKED : BAR));
    const boxes = [];
    const u = new root.uPlot({
      width: widthOf(el, opts.width), height,
      scales: { x: { time: false, ori: 1, dir: -1, range: () => [-0.5, rows.length - 0.5] },
                y: { ori: 0, dir: 1, range: (u, a, b) => [0, Math.max(1, b) * 1.08] } },
      series: [{ label: label }, {
        label: value, fill: BAR, stroke: BAR, width: 0,
        value: (u, v) => (v === null || v === undefined ? "" : v.toLocaleString("en")),
        paths: root.uPlot.paths.bars({ size: [0.7, 20], align: 0,
          disp: { fill: { unit: 3, values: () => fills } },
          each: (u, si, i, left, top, w, h) => { boxes[i] = [left, top, w, h]; } }),
        points: { show: false } }],
      axes: [
        { side: 3, size: Math.min(190, 12 + 7 * Math.max(...names.map((n) => short(n).length))),
          splits: () => xs, values: (u, sp) => sp.map((i) => short(names[i] || "")), grid: { show: false } },
        { side: 2, size: 30, incrs: COUNT_STEPS, values: (u, sp) => sp.map((v) => v.toLocaleString("en")) }],
      legend: { show: false },
      cursor: { points: { show: false }, drag: { x: false, y: false }, y: false },
      hooks: { draw: [(u) => { /* each bar's value at its end */
        const ctx = u.ctx, px = root.devicePixelRatio || 1;
        ctx.save();
        ctx.font = Math.round(11 * px) + "px system-ui, sans-serif";
        ctx.fillStyle = "#333";
        ctx.textBaseline = "middle";
        boxes.forEach((b, i) => { if (b) ctx.fillText(vals[i].toLocaleString("en"), b[0] + b[2] + 4 * px, b[1] + b[3] / 2); });
        ctx.restore();
      }] },
    }, [xs, vals], el);
    if (opts.onPick) {
      u.over.style.cursor = "pointer";
      u.over.addEventListener("click", () => {
        const i = u.cursor.idx;
        if (i !== null && i !== undefined && rows[i]) opts.onPick(rows[i]);
      });
    }
    nameChart(u, opts.title || value + " by " + label);
    el.vigilChart = u;
    el.vigilBars = boxes;
    el.dataset.bars = String(rows.length);
    follow(el, u, height);
    return u;
  }

  /* The HTML report: each <figure data-chart="bars|series" data-table=ID [data-label=COL
   * data-value=COL data-max=N]> placeholder gets its chart from doc.tables[ID].rows. */
  function drawReport(doc, scope) {
    scope = scope || document;
    for (const fig of scope.querySelectorAll("figure[data-chart]")) {
      const t = doc.tables[fig.dataset.table];
      const box = fig.querySelector(".plot");
      if (!t || !box) continue;
      if (fig.dataset.chart === "series") series(box, t.rows, { width: 760 });
      else bars(box, t.rows, fig.dataset.label, fig.dataset.value,
                { max: +fig.dataset.max || 15, width: 760, title: fig.querySelector("figcaption").textContent });
    }
  }

  const api = { available, series, bars, drawReport, timelineData, colours, PALETTE };
  root.VigilCharts = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})(typeof globalThis !== "undefined" ? globalThis : this);
