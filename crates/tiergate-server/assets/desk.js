// The officer's desk: the day-to-day work the CLI does, in the dashboard. Reservations (reserve, post, void, an
// LPP shipment), VEUs (register, an NVEU's headroom, facility logs, the semi-annual report), cloud customers (KYC
// check of a file), restricted-party lists (versions, staleness, import) and tokens (admin). Loaded after app.js,
// whose helpers (h, s, put, api, apiAll, guard, table, fmt, pct, can, say, download, countrySelect, loadCountries,
// reasonsList) it uses; every view follows the API's roles and says what a role may not do.
"use strict";

/** A form field: a label wrapping its control (so the control has its accessible name). */
const labelled = (label, control, attrs = {}) => h("label", { class: "field", ...attrs }, label, control);
const roleNote = (role, what) => h("p", { class: "panel muted" }, `Your role (${S.me.role}) may not ${what}; an ${role} token can.`);
const stamp = (at) => (at ? at.slice(0, 16).replace("T", " ") : "–");
const done = (id) => h("p", { role: "status", id });
const STATES = ["pending", "posted", "voided", "expired"];

// ---- reservations ------------------------------------------------------------------------------------------

async function viewReservations(pool) {
  const officer = can("officer");
  const pools = await apiAll(`/v1/pools?date=${S.date}`, "pools");
  const chosen = pool || (pools[0] && pools[0].pool) || "";
  const poolInput = h("input", { id: "res-pool", list: "res-pools", value: chosen, required: true, size: 36,
    placeholder: "country:MY, lpp:NAME:YEAR or nveu:ID" });
  const known = h("datalist", { id: "res-pools" }, pools.map((p) => h("option", { value: p.pool })));
  const state = h("select", { id: "res-state" }, h("option", { value: "" }, "any state"), STATES.map((x) => h("option", { value: x }, x)));
  const out = h("div", { id: "res-out" });
  const status = done("res-done");
  const show = () => guard(async () => {
    const p = poolInput.value.trim();
    if (!p) return put(out, h("p", { class: "muted" }, "No pool yet: reserve in one below."));
    const [balance, list] = await Promise.all([
      api("GET", `/v1/pools/${encodeURIComponent(p)}?date=${S.date}`),
      apiAll(`/v1/reservations?pool=${encodeURIComponent(p)}`, "reservations"),
    ]);
    const rows = list.filter((r) => !state.value || r.state === state.value);
    const settle = (r, verb) => guard(async () => {
      await api("POST", `/v1/reservations/${encodeURIComponent(r.id)}/${verb}`);
      await show();
      status.textContent = `${verb === "post" ? "Posted" : "Voided"} ${r.id} (${fmt(r.tpp)} TPP).`;
    });
    put(out,
      h("div", { class: "panel", id: "res-balance" },
        h("p", {}, h("strong", {}, balance.pool), ` on ${S.date}: cap ${fmt(balance.cap_tpp)} TPP · posted ${fmt(balance.posted_tpp)} · pending ${fmt(balance.pending_tpp)} · `,
          h("strong", {}, `${fmt(balance.available_tpp)} remaining`))),
      rows.length ? table([
        { key: "id", label: "Id" }, { key: "key", label: "Key" }, { key: "tpp", label: "TPP", num: true },
        { key: "state", label: "State" }, { key: "date", label: "Date" }, { key: "expires", label: "Expires", render: (r) => r.expires || "–" },
        { key: "reason", label: "Why", render: (r) => r.reason || "–" },
        { key: "created_at", label: "Made", render: (r) => `${stamp(r.created_at)} by ${r.actor}` },
        ...(officer ? [{ key: "act", label: "Settle", render: (r) => (r.state === "pending" ? h("span", { class: "row" },
          h("button", { type: "button", "data-post": r.id, onclick: () => settle(r, "post") }, "Post (shipped)"),
          h("button", { type: "button", "data-void": r.id, onclick: () => settle(r, "void") }, "Void")) : "–") }] : []),
      ], rows, { filterable: true }) : h("p", { class: "muted" }, state.value ? `No ${state.value} reservation in this pool.` : "No reservation in this pool yet."));
  });
  poolInput.addEventListener("change", show);
  state.addEventListener("change", show);

  const reserve = h("form", { id: "reserve-form", class: "panel", onsubmit: (e) => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(e.target).entries());
    guard(async () => {
      const r = await api("POST", "/v1/reservations", { pool: v.pool.trim(), tpp: Number(v.tpp), key: v.key.trim() || `web-${S.me.name}-${Date.now()}`,
        date: v.date || undefined, expires: v.expires || undefined, reason: v.reason.trim() || undefined });
      poolInput.value = r.pool || v.pool.trim();
      await show();
      status.textContent = `${r.status === "exists" ? "Already reserved under that key" : "Reserved"}: ${r.id} (${fmt(r.tpp || Number(v.tpp))} TPP).`;
    });
  } },
  h("h2", {}, "Reserve"),
  h("div", { class: "row" },
    labelled("Pool", h("input", { name: "pool", list: "res-pools", required: true, value: chosen, size: 30 })),
    labelled("TPP", h("input", { name: "tpp", type: "number", min: "1", step: "1", required: true })),
    labelled("Key (idempotency; blank: made up)", h("input", { name: "key", maxlength: 200 })),
    labelled("As of", h("input", { name: "date", type: "date", value: S.date })),
    labelled("Expires", h("input", { name: "expires", type: "date" })),
    labelled("Why", h("input", { name: "reason", maxlength: 1000, size: 30 }))),
  h("button", { class: "primary", type: "submit" }, "Reserve"));

  // An LPP shipment counts against the ultimate consignee's calendar-year limit (15 CFR 740.29): reserved in
  // `lpp:CONSIGNEE:YEAR` and posted at once, since it has shipped.
  const lpp = h("form", { id: "lpp-form", class: "panel", onsubmit: (e) => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(e.target).entries());
    guard(async () => {
      const pool = `lpp:${v.consignee.trim()}:${v.date.slice(0, 4)}`;
      const r = await api("POST", "/v1/reservations", { pool, tpp: Number(v.tpp), key: v.key.trim() || `lpp-${S.me.name}-${Date.now()}`,
        date: v.date, reason: v.reason.trim() || "LPP shipment" });
      if (r.status === "exists") {
        poolInput.value = r.pool;
        await show();
        status.textContent = `That key already recorded ${r.id}: nothing new was recorded.`;
        return;
      }
      await api("POST", `/v1/reservations/${encodeURIComponent(r.id)}/post`);
      poolInput.value = r.pool;
      await show();
      status.textContent = `LPP shipment recorded: ${fmt(Number(v.tpp))} TPP for ${v.consignee.trim()} in ${v.date.slice(0, 4)} (${r.id}, posted). The determination's obligations say what to report to BIS and by when.`;
    });
  } },
  h("h2", {}, "Record an LPP shipment"),
  h("p", { class: "muted" }, "Shipped under License Exception LPP: it draws the ultimate consignee's yearly limit, not a country allocation."),
  h("div", { class: "row" },
    labelled("Ultimate consignee", h("input", { name: "consignee", required: true, size: 30 })),
    labelled("Shipped on", h("input", { name: "date", type: "date", required: true, value: S.date })),
    labelled("TPP shipped", h("input", { name: "tpp", type: "number", min: "1", step: "1", required: true })),
    labelled("Key (blank: made up)", h("input", { name: "key", maxlength: 200 })),
    labelled("Why", h("input", { name: "reason", maxlength: 1000, size: 30 }))),
  h("button", { class: "primary", type: "submit" }, "Record the shipment"));

  put(view(), h("h1", {}, "Reservations"),
    h("p", { class: "muted" }, "Each pool's reservations: pending ones hold TPP until posted (shipped) or voided; posted ones count for good."),
    h("div", { class: "row" }, labelled("Pool", poolInput), known, labelled("State", state), dateInput(show)),
    status, out,
    officer ? [reserve, lpp] : roleNote("officer", "reserve, post or void"));
  await show();
}

// ---- VEUs --------------------------------------------------------------------------------------------------

const halfYears = () => {
  const y = Number(S.date.slice(0, 4));
  return [y, y - 1, y - 2].flatMap((x) => [`${x}H2`, `${x}H1`]);
};

async function viewVeus(id) {
  if (id) return viewVeu(id);
  await loadCountries("codified");
  const officer = can("officer");
  const list = (await api("GET", "/v1/veus")).veus;
  const out = h("div", { id: "veu-added" });
  const kind = h("select", { name: "kind", onchange: () => { nveu.hidden = kind.value !== "nveu"; } },
    h("option", { value: "uveu" }, "Universal (UVEU)"), h("option", { value: "nveu" }, "National (NVEU)"));
  const nveu = labelled("Authorized for (NVEU)", countrySelect("country", ""), { hidden: true });
  const form = h("form", { id: "veu-form", class: "panel", onsubmit: (e) => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(e.target).entries());
    const body = { kind: v.kind, id: v.id.trim(), name: v.name.trim(), headquarters: v.headquarters, date: v.date || undefined,
      ultimate_parent_headquarters: v.parent || undefined, country: v.kind === "nveu" ? v.country || undefined : undefined,
      applicant: v.applicant === "yes" };
    guard(async () => {
      try {
        const r = await api("POST", "/v1/veus", body);
        location.hash = `#/veus/${encodeURIComponent(r.id)}`;
      } catch (err) {
        if (err.problem && err.problem.code === "not_eligible") {
          put(out, h("div", { class: "panel" }, h("p", {}, h("strong", {}, `${body.id} is not eligible; nothing was registered.`)), reasonsList(err.problem.reasons)));
          return;
        }
        throw err;
      }
    });
  } },
  h("h2", {}, "Register a VEU"),
  h("p", { class: "muted" }, "Eligibility is checked as of the date: a UVEU headquartered (or its ultimate parent) in Tier 1; an NVEU headquartered outside Macau and Country Group D:5."),
  h("div", { class: "row" },
    labelled("Kind", kind), labelled("Id", h("input", { name: "id", required: true, pattern: "[A-Za-z0-9._\\-]{1,64}", title: "1 to 64 letters, digits, -, _ or ." })),
    labelled("Name", h("input", { name: "name", required: true, size: 30 })),
    labelled("Headquarters", countrySelect("headquarters", "", { required: true })),
    labelled("Ultimate parent's headquarters", countrySelect("parent", "")), nveu,
    labelled("As of", h("input", { name: "date", type: "date", value: S.date })),
    h("label", { class: "field" }, h("input", { type: "checkbox", name: "applicant", value: "yes", id: "veu-applicant" }),
      " An applicant: record its readiness, not a registration")),
  h("button", { class: "primary", type: "submit" }, "Register"), out);
  put(view(), h("h1", {}, "Validated End Users"),
    list.length ? table([
      { key: "id", label: "Id", render: (v) => h("a", { href: `#/veus/${encodeURIComponent(v.id)}` }, v.id) },
      { key: "kind", label: "Kind" }, { key: "name", label: "Name" }, { key: "headquarters", label: "Headquarters" },
      { key: "country", label: "Country", render: (v) => v.country || "all eligible" },
      { key: "applicant", label: "Status", render: (v) => (v.applicant ? "applicant" : "registered") },
      { key: "registered_on", label: "Recorded", render: (v) => `${v.registered_on} by ${v.registered_by}` },
    ], list, { filterable: true }) : h("p", { class: "muted" }, "No VEU is registered."),
    officer ? form : roleNote("officer", "register VEUs"));
}

async function viewVeu(id) {
  const officer = can("officer");
  const path = `/v1/veus/${encodeURIComponent(id)}`;
  const v = await api("GET", `${path}?date=${S.date}`);
  const status = done("veu-done");
  const n = v.nveu;
  const standing = n ? (() => {
    const W = 640, used = n.cap_tpp ? Math.min(1, n.installed_tpp / n.cap_tpp) : 0;
    return h("div", { class: "panel", id: "veu-standing" },
      h("p", {}, `${n.quarter}: cumulative cap ${fmt(n.cap_tpp)} TPP · installed ${fmt(n.installed_tpp)} (posted ${fmt(n.posted_tpp)}, pending ${fmt(n.pending_tpp)}) · `,
        h("strong", {}, `headroom ${fmt(n.headroom_tpp)} TPP`)),
      s("svg", { class: "chart", viewBox: `0 0 ${W} 34`, role: "img", "aria-label": `Installed ${pct(used)} of the quarter's cap` },
        s("rect", { class: "track", x: 0, y: 4, width: W - 90, height: 22 }),
        s("rect", { class: "bar", x: 0, y: 4, width: Math.max(1, used * (W - 90)), height: 22 }),
        s("text", { x: W - 84, y: 20 }, pct(used))),
      h("p", {}, h("a", { href: `#/reservations/${encodeURIComponent(n.pool)}` }, `Reservations of ${n.pool}`)));
  })() : null;
  const file = h("input", { type: "file", id: "veu-log-file", accept: ".csv,text/csv", required: true });
  const log = h("form", { id: "veu-log-form", class: "panel", onsubmit: (e) => {
    e.preventDefault();
    guard(async () => {
      const f = file.files[0];
      if (!f) return say("Choose the facility log CSV first.");
      const r = await api("POST", `${path}/log`, await f.text(), "text/csv");
      await viewVeu(id);
      $("#veu-done").textContent = `Logged ${r.added} event(s); the log holds ${r.events}.`;
    });
  } },
  h("h2", {}, "Append a facility log"),
  h("p", { class: "muted" }, "CSV with the columns ", h("code", {}, "date,event,facility,country,item,quantity[,reservation]"),
    "; events received, installed, transferred, retired. All rows or none."),
  labelled("Facility log", file), h("button", { class: "primary", type: "submit" }, "Append"));
  const period = h("select", { id: "veu-period" }, halfYears().map((p) => h("option", { value: p }, p)));
  const report = h("div", { id: "veu-report" });
  const showReport = () => guard(async () => {
    const q = `${path}/report?period=${period.value}`;
    const r = await api("GET", q);
    const svg = await (await fetch(`${q}&format=svg`, { credentials: "same-origin" })).text();
    const get = (format, name, type) => guard(async () => {
      const res = await fetch(`${q}&format=${format}`, { credentials: "same-origin" });
      if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
      download(name, await res.text(), type);
    });
    const stem = `${id}-${r.period}`;
    put(report,
      h("p", {}, `${r.from} to ${r.to} · ${r.pack} · installed base ${fmt(r.totals.installed_base_tpp)} TPP`),
      h("img", { src: svgData(svg), alt: `Installed base by country at ${r.to}`, class: "chart-img" }),
      r.checks.length ? h("ul", { id: "veu-checks" }, r.checks.map((c) => h("li", {}, c))) : h("p", { class: "muted", id: "veu-checks" }, "No check to report."),
      h("div", { class: "row" },
        h("button", { type: "button", onclick: () => download(`${stem}.json`, JSON.stringify(r, null, 2), "application/json") }, "Download JSON"),
        h("button", { type: "button", onclick: () => get("csv", `${stem}.csv`, "text/csv") }, "Download CSV"),
        h("button", { type: "button", onclick: () => get("markdown", `${stem}.md`, "text/markdown") }, "Download Markdown"),
        h("button", { type: "button", onclick: () => download(`${stem}.svg`, svg, "image/svg+xml") }, "Download chart (SVG)"),
        officer ? h("button", { type: "button", id: "veu-issue", onclick: () => guard(async () => {
          const done = await api("POST", `${q}`);
          await viewVeu(id);
          $("#veu-done").textContent = `Recorded the ${done.period} report as issued (sha256 ${done.sha256.slice(0, 12)}…): events dated in it are now refused.`;
        }) }, `Record the ${r.period} report as issued`) : null));
  });
  period.addEventListener("change", showReport);
  const ready = h("div", { id: "veu-readiness" });
  put(view(), h("h1", {}, `${v.kind === "nveu" ? "National" : "Universal"} VEU ${v.applicant ? "applicant " : ""}${v.id}`),
    h("p", {}, h("a", { href: "#/veus" }, "← All VEUs")),
    h("p", {}, `${v.name} · headquartered in ${v.headquarters}${v.country ? ` · authorized for ${v.country}` : ""} · ${v.applicant ? "applicant recorded" : "registered"} ${v.registered_on} by ${v.registered_by}${v.applicant ? "" : ` · ${v.events} facility-log event(s)`}`),
    standing,
    v.reports_issued && v.reports_issued.length ? h("p", { id: "veu-issued" }, "Reports issued: ",
      v.reports_issued.map((x) => `${x.period} on ${stamp(x.at)} by ${x.actor}`).join("; "), " (events dated in them are refused).") : null,
    status,
    v.applicant ? null : [officer ? log : roleNote("officer", "append facility logs"),
      h("h2", {}, "Semi-annual report"),
      h("p", { class: "muted" }, "Chips received, installed, transferred and retired per facility, the installed base by country, and for an NVEU the ledger's posted TPP beside its log."),
      h("div", { class: "row" }, labelled("Half-year", period)), report],
    ready);
  if (!v.applicant) await showReport();
  await showReadiness(ready, id, officer);
}

const STANDING = { missing: "missing", planned: "planned", in_progress: "in progress", met: "met", not_applicable: "not applicable" };

/** The readiness of a VEU or applicant against Supp. No. 10: where it stands, each requirement, and (officer) a
 * form to record evidence. */
async function showReadiness(root, id, officer) {
  const path = `/v1/veus/${encodeURIComponent(id)}`;
  const r = await api("GET", `${path}/readiness?date=${S.date}`);
  const lines = [...r.requirements, ...r.application];
  const row = (l) => ({ ...l, what: `${l.heading ? `${l.heading}: ` : ""}${l.text}`, doc: l.evidence ? l.evidence.document || l.evidence.note || "" : "",
    owner: l.evidence ? l.evidence.owner || "" : "", dated: l.evidence ? l.evidence.dated || "" : "" });
  const columns = [
    { key: "id", label: "Requirement" }, { key: "what", label: "What it asks" },
    { key: "standing", label: "Standing", render: (l) => h("span", { class: `standing ${l.standing}${l.overdue ? " overdue" : ""}` },
      STANDING[l.standing] + (l.overdue ? " (overdue)" : "")) },
    { key: "doc", label: "Evidence" }, { key: "owner", label: "Owner" }, { key: "dated", label: "Dated" },
    { key: "due", label: "Due", render: (l) => l.due || "with the application" },
  ];
  const requirement = h("select", { name: "requirement", id: "evidence-requirement", required: true },
    lines.map((l) => h("option", { value: l.id }, `${l.id} ${l.heading || l.text.slice(0, 60)}`)));
  const form = h("form", { id: "evidence-form", class: "panel", onsubmit: (e) => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(e.target).entries());
    const body = { requirement: v.requirement, status: v.status };
    for (const k of ["document", "owner", "dated", "note"]) if (v[k] && v[k].trim()) body[k] = v[k].trim();
    guard(async () => {
      const done = await api("POST", `${path}/evidence`, body);
      await showReadiness(root, id, officer);
      $("#evidence-done").textContent = `Recorded ${done.requirement}: ${STANDING[done.status]} (${done.recorded} piece(s) of evidence for it; the latest counts).`;
    });
  } },
  h("h3", {}, "Record evidence"),
  h("div", { class: "row" }, labelled("Requirement", requirement),
    labelled("Status", h("select", { name: "status" }, Object.entries(STANDING).filter(([k]) => k !== "missing").map(([k, t]) => h("option", { value: k }, t)))),
    labelled("Document (needed for met)", h("input", { name: "document", maxlength: 1000, size: 30 })),
    labelled("Owner", h("input", { name: "owner", maxlength: 1000 })),
    labelled("Dated", h("input", { name: "dated", type: "date" })),
    labelled("Note (needed for not applicable)", h("input", { name: "note", maxlength: 1000, size: 30 }))),
  h("button", { class: "primary", type: "submit" }, "Record"), h("p", { role: "status", id: "evidence-done" }));
  put(root, h("h2", {}, "Readiness (Supplement No. 10 to part 748)"),
    h("p", { class: "summary", id: "readiness-summary" }, r.summary),
    h("p", {}, `As of ${r.date}; paragraphs ${r.deferred_paragraphs.join(", ")} are due by ${r.deferred_until}. `,
      h("a", { href: `${path}/readiness?format=html&date=${r.date}`, target: "_blank", rel: "noopener", id: "readiness-print" }, "Print / PDF: the readiness report"),
      r.not_binding.length ? ` · Not binding here: ${r.not_binding.join(", ")}.` : ""),
    officer ? form : roleNote("officer", "record readiness evidence"),
    h("h3", {}, "Supplement No. 10"), table(columns, r.requirements.map(row), { filterable: true, rowClass: (l) => (l.overdue ? "violation" : null) }),
    r.application.length ? [h("h3", {}, "Information for the request (Supplement No. 8)"), table(columns, r.application.map(row))] : null);
}

// ---- cloud customers (KYC) ---------------------------------------------------------------------------------

async function viewKyc() {
  const allowed = can("analyst");
  const file = h("input", { type: "file", id: "kyc-file", accept: ".jsonl,.ndjson,.json,application/x-ndjson" });
  const out = h("div", { id: "kyc-out" });
  const run = () => guard(async () => {
    const f = file.files[0];
    if (!f) return say("Choose a JSON Lines file of customers first.");
    put(out);
    const r = await api("POST", `/v1/kyc?date=${S.date}`, await f.text(), "application/x-ndjson");
    const rows = r.answers.map((a, i) => ({ n: i + 1, id: a.id || (a.error && a.error.id) || "", decision: a.decision || "rejected", a }));
    const counts = {};
    for (const x of rows) counts[x.decision] = (counts[x.decision] || 0) + 1;
    const csv = ["row,id,decision,red_flags,reasons",
      ...rows.map((x) => [x.n, x.id, x.decision, (x.a.red_flags || []).map((f) => `${f.code} (${f.citation})`).join("; "),
        x.a.error ? x.a.error.message : (x.a.reasons || []).map((t) => t.text).join("; ")].map(csvCell).join(","))].join("\n");
    put(out,
      h("p", { id: "kyc-summary" }, `${rows.length} customer(s): `, Object.entries(counts).map(([k, c]) => `${c} ${k}`).join(", "),
        r.rejected ? ` (${r.rejected} line(s) rejected)` : ""),
      h("p", {}, h("button", { type: "button", onclick: () => download("kyc-answers.csv", csv, "text/csv") }, "Download CSV")),
      table([
        { key: "n", label: "Row", num: true }, { key: "id", label: "Customer" },
        { key: "decision", label: "Decision", render: (x) => h("strong", { class: `kyc ${x.decision}` }, x.decision.replace(/_/g, " ")) },
        { key: "flags", label: "Red flags", render: (x) => (x.a.red_flags || []).length ? h("ul", {}, x.a.red_flags.map((f) =>
          h("li", {}, f.text, " ", h("span", { class: "cite" }, `(${f.citation})`)))) : "none" },
        { key: "why", label: "Why", render: (x) => x.a.error ? `${x.a.error.field ? `${x.a.error.field}: ` : ""}${x.a.error.message}${x.a.error.line ? ` (line ${x.a.error.line})` : ""}`
          : h("details", {}, h("summary", {}, `${(x.a.reasons || []).length} reason(s)`), reasonsList(x.a.reasons)) },
      ], rows, { filterable: true }));
  });
  put(view(), h("h1", {}, "Cloud customers"),
    h("p", { class: "muted" }, "Infrastructure-as-a-service customers checked against the red flags the pack lists, each name screened against the lists imported here. One JSON object per line: ",
      h("code", {}, '{"id", "name", "headquarters", "ultimate_parent_headquarters", "service": "iaas", "purpose": "training"|"fine_tuning"|"inference", "training_operations", "base_model_operations"}'), "."),
    allowed ? h("div", { class: "row" }, labelled("Customers (JSON Lines)", file), dateInput(run),
      h("button", { type: "button", class: "primary", id: "kyc-run", onclick: run }, "Check")) : roleNote("analyst", "run KYC checks"),
    out);
}

// ---- restricted-party lists --------------------------------------------------------------------------------

async function viewLists() {
  const officer = can("officer");
  const r = await api("GET", "/v1/lists");
  const status = done("lists-done");
  const file = h("input", { type: "file", id: "lists-file", required: true });
  const format = h("select", { name: "format", id: "lists-format" }, h("option", { value: "" }, "recognise from the file"),
    [["csl", "Consolidated Screening List (CSV or JSON)"], ["sdn", "OFAC sdn.csv"], ["dpl", "BIS dpl.txt"]].map(([v, t]) => h("option", { value: v }, t)));
  const dated = h("input", { type: "date", name: "dated", id: "lists-dated" });
  const form = h("form", { id: "lists-form", class: "panel", onsubmit: (e) => {
    e.preventDefault();
    guard(async () => {
      const f = file.files[0];
      if (!f) return say("Choose the list file first.");
      const q = new URLSearchParams({ name: f.name });
      if (format.value) q.set("format", format.value);
      if (dated.value) q.set("dated", dated.value);
      const out = await api("POST", `/v1/lists?${q}`, await f.arrayBuffer(), "application/octet-stream");
      await viewLists();
      $("#lists-done").textContent = `Imported ${out.list} v${out.version}: ${fmt(out.entries)} entries${out.skipped ? `, ${fmt(out.skipped)} row(s) skipped` : ""}.`;
      if (out.skipped_rows && out.skipped_rows.length) {
        $("#lists-done").after(h("details", { id: "lists-skipped" }, h("summary", {}, "Rows skipped"),
          h("ul", {}, out.skipped_rows.map((p) => h("li", {}, `line ${p.line}: ${p.problem}`)))));
      }
    });
  } },
  h("h2", {}, "Import a list"),
  h("p", { class: "muted" }, "The file becomes its list's new current version; screening uses it at once. Rows that cannot be read are reported and skipped."),
  h("div", { class: "row" }, labelled("List file", file), labelled("Format", format), labelled("The list's own date (blank: its newest entry)", dated)),
  h("button", { class: "primary", type: "submit" }, "Import"));
  put(view(), h("h1", {}, "Restricted-party lists"),
    r.stale.length ? h("div", { class: "message", role: "status", id: "lists-stale" }, h("strong", {}, "Stale: "),
      h("ul", {}, r.stale.map((w) => h("li", {}, `the ${w}`))))
      : h("p", { class: "muted", id: "lists-fresh" }, r.versions.length ? `No current list is older than ${r.stale_after_days} days.` : "No list is imported: determinations screen nothing until one is."),
    status,
    r.versions.length ? table([
      { key: "list", label: "List" }, { key: "version", label: "Version", num: true },
      { key: "current", label: "Current", render: (v) => (v.current ? "yes" : "no") },
      { key: "entries", label: "Entries", num: true }, { key: "problems", label: "Skipped", num: true },
      { key: "list_date", label: "Dated", render: (v) => (v.list_date ? `${v.list_date} (${(v.list_date_from || "").replace("_", " ")})` : "–") },
      { key: "imported_at", label: "Imported", render: (v) => `${stamp(v.imported_at)} by ${v.actor}` },
      { key: "source_file", label: "File" }, { key: "sha256", label: "sha256", render: (v) => h("code", { title: v.sha256 }, `${v.sha256.slice(0, 12)}…`) },
    ], r.versions, { rowClass: (v) => (v.current ? null : "muted") }) : null,
    officer ? form : roleNote("officer", "import lists"));
}

// ---- tokens ------------------------------------------------------------------------------------------------

async function viewTokens() {
  if (!can("admin")) return put(view(), h("h1", {}, "Tokens"), roleNote("admin", "manage tokens"));
  const tokens = await apiAll("/v1/tokens", "tokens");
  const shown = h("div", { id: "token-new", "aria-live": "polite" });
  const form = h("form", { id: "token-form", class: "panel", onsubmit: (e) => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(e.target).entries());
    guard(async () => {
      const t = await api("POST", "/v1/tokens", { name: v.name.trim(), role: v.role });
      await viewTokens();
      put($("#token-new"), h("div", { class: "panel" }, h("p", {}, `Token for ${t.name} (${t.role}); it is shown only now:`),
        h("p", {}, h("code", { id: "token-secret" }, t.token))));
    });
  } },
  h("h2", {}, "Create a token"),
  h("div", { class: "row" },
    labelled("Name", h("input", { name: "name", required: true, pattern: "[A-Za-z0-9._@\\-]{1,64}", title: "1 to 64 letters, digits, ., _, @ or -" })),
    labelled("Role", h("select", { name: "role" }, Object.keys(RANK).map((r) => h("option", { value: r }, r))))),
  h("button", { class: "primary", type: "submit" }, "Create"));
  // Two steps, no dialog: the first click asks, the second revokes.
  const revoke = (t, button) => guard(async () => {
    if (button.dataset.armed !== "yes") {
      button.dataset.armed = "yes";
      button.textContent = `Confirm: revoke ${t.name} and end its sessions`;
      return;
    }
    await api("DELETE", `/v1/tokens/${encodeURIComponent(t.name)}`);
    await viewTokens();
    say(`Revoked ${t.name}.`, "info");
  });
  put(view(), h("h1", {}, "Tokens"),
    h("p", { class: "muted" }, "Roles: viewer reads; analyst also runs determinations, screening and checks; officer also records, reserves and registers; admin also manages tokens."),
    shown,
    table([
      { key: "name", label: "Name" }, { key: "role", label: "Role" }, { key: "created_at", label: "Created", render: (t) => stamp(t.created_at) },
      { key: "revoked_at", label: "Revoked", render: (t) => (t.revoked_at ? stamp(t.revoked_at) : "–") },
      { key: "act", label: "Revoke", render: (t) => (t.revoked_at || t.name === S.me.name ? "–"
        : h("button", { type: "button", "data-revoke": t.name, onclick: (e) => revoke(t, e.currentTarget) }, `Revoke ${t.name}`)) },
    ], tokens, { filterable: true }),
    form);
}

Object.assign(ROUTES, { reservations: viewReservations, veus: viewVeus, kyc: viewKyc, lists: viewLists, tokens: viewTokens });
