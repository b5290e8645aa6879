// web/charts.js under node, without a browser: the time series' data from timeline rows (every
// bucket from the first to the last — hours, days, months, across day, month and year ends — with
// zeros where the report has no row; unreadable or mixed buckets and too many of them refused),
// and the categories' colours (distinct within a chart; a name keeps its colour when drawn with
// others unless two of them hash to the same one). The drawing itself is checked in Chromium
// (web_serve_browser, report_html_chromium).
"use strict";
const path = require("path");
const C = require(path.join(__dirname, "..", "..", "web", "charts.js"));

let passed = 0, failed = 0;
function eq(got, want, what) {
  const ok = JSON.stringify(got) === JSON.stringify(want);
  if (ok) passed++; else { failed++; console.log("FAIL " + what + ": " + JSON.stringify(got) + ", want " + JSON.stringify(want)); }
}
const iso = (d) => d.xs.map((t) => new Date(t * 1000).toISOString());
const row = (bucket, category, alerts) => ({ bucket, category, alerts, incidents: 1, attackers: 1 });

let d = C.timelineData([row("2024-01", "scan", 2), row("2024-02", "scan", 1), row("2024-04", "dos", 1),
                        row("2023-12", "dos", 3)]);
eq(d.kind, "month", "months: kind");
eq(iso(d), ["2023-12-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z", "2024-02-01T00:00:00.000Z",
            "2024-03-01T00:00:00.000Z", "2024-04-01T00:00:00.000Z"], "months across a year end, March filled");
eq(d.cats, ["dos", "scan"], "months: categories sorted");
eq(d.ys, [[3, 0, 0, 0, 1], [0, 2, 1, 0, 0]], "months: values, zeros where no row");

d = C.timelineData([row("2024-02-28", "a", 1), row("2024-03-01", "a", 4)]);
eq(iso(d).map((x) => x.slice(0, 10)), ["2024-02-28", "2024-02-29", "2024-03-01"], "days across a leap month end");
eq(d.ys, [[1, 0, 4]], "days: values");

d = C.timelineData([row("2024-12-31T23:00:00Z", "a", 1), row("2025-01-01T01:00:00Z", "b", 2),
                    row("2025-01-01T01:00:00Z", "a", 5)]);
eq(d.kind, "hour", "hours: kind");
eq(iso(d), ["2024-12-31T23:00:00.000Z", "2025-01-01T00:00:00.000Z", "2025-01-01T01:00:00.000Z"], "hours across a year end");
eq(d.ys, [[1, 0, 5], [0, 0, 2]], "hours: values per category");

eq(C.timelineData([row("2024-01-01T00:00:00Z", "a", 1)]).xs.length, 1, "one bucket");
eq(C.timelineData([]), null, "no rows");
eq(C.timelineData([row("yesterday", "a", 1)]), null, "an unreadable bucket");
eq(C.timelineData([row("2024-01", "a", 1), row("2024-01-05", "a", 1)]), null, "months and days mixed");
eq(C.timelineData([row("2024-01-01T00:00:00Z", "a", 1), row("2024-01-10T00:00:00Z", "a", 1)], 100), null,
   "more buckets than the limit");
eq(C.timelineData([row("2024-01-01T00:00:00Z", "a", 1), row("2024-01-05T03:00:00Z", "a", 1)], 100).xs.length, 100,
   "exactly the limit");

const ten = ["scanning", "denial-of-service", "exploitation-attempt", "command-and-control", "brute-force",
             "malware", "policy", "recon", "web-attack", "other"];
const all = C.colours(ten);
eq(new Set(all).size, 10, "ten categories, ten colours");
eq(all.every((c) => C.PALETTE.includes(c)), true, "colours from the palette");
eq(C.colours(["exploitation-attempt"]), [C.colours(["scanning", "exploitation-attempt"])[1]],
   "a category keeps its colour alone");

console.log(passed + " passed, " + failed + " failed");
process.exit(failed ? 1 : 0);
