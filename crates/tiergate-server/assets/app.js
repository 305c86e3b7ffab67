// The Tiergate dashboard: one page, hash routes, every view backed by the HTTP API (see /docs).
// No framework and no build step; d3-geo and topojson-client draw the map.
"use strict";

// What each end use means (docs/RULE.md §4.8): "development" and "production" are of the items themselves.
const END_USES = [
  ["deployment", "operating the items (workloads, inference, cloud services other than training)"],
  ["training", "training AI models on the items, also as IaaS for others"],
  ["development", "developing the items themselves (design, prototypes), not AI models"],
  ["production", "producing the items themselves (manufacturing, assembly)"],
  ["storage", "storing the items in a warehouse before onward shipment"],
];

const RANK = { viewer: 0, analyst: 1, officer: 2, admin: 3 };
const TIER_NAMES = { 1: "Tier 1", 2: "Tier 2", 3: "Tier 3" };
const S = { me: null, items: null, countries: new Map(), date: new Date().toISOString().slice(0, 10), regime: "codified", regimes: null };

// A regime without tiers shows its license classes (docs/REGIMES.md), coloured like the tiers they resemble.
const CATEGORY_CLASS = { "tier 1": "tier1", "tier 2": "tier2", "tier 3": "tier3", "no license": "cat-none", "license: D:1/D:4": "cat-license", "license, presumption of denial: Macau/D:5": "cat-denial" };
const CATEGORY_LEGEND = {
  tiers: [["tier1", "Tier 1: Supp. No. 5(a), licence-free under AIA"], ["tier2", "Tier 2: licensed within country allocations"], ["tier3", "Tier 3: Macau and Country Group D:5"]],
  classes: [["cat-none", "no license for .a-class items (unless Macau/D:5-headquartered)"], ["cat-license", "license: D:1/D:4, presumption of approval"], ["cat-denial", "license, presumption of denial: Macau/D:5"]],
};
const categoryName = (c) => (c.tier ? TIER_NAMES[c.tier] : c.category);
// The first and last days the dashboard's date slider spans: the first regime (88 FR 73458) to the end of 2027.
const FIRST_DAY = "2023-11-17", LAST_DAY = "2027-12-31";

// ---- helpers -----------------------------------------------------------------------------------------------

const $ = (sel, root = document) => root.querySelector(sel);
const view = () => $("#view");

/** An element: tag, attributes (on* are listeners), children (strings become text). */
function h(tag, attrs = {}, ...children) {
  const el = tag === "svg" || attrs.svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "svg" || v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else if (k === "style") el.style.cssText = v; // through the CSSOM: the page's CSP allows no inline style attributes
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const s = (tag, attrs = {}, ...children) => h(tag, { ...attrs, svg: true }, ...children);

/** Replaces an element's children, skipping absent parts (null, false) and flattening lists. */
function put(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

const fmt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
const pct = (x) => (x === null || x === undefined ? "–" : `${(x * 100).toFixed(2)} %`);
const can = (role) => S.me && RANK[S.me.role] >= RANK[role];

function say(text, kind = "error") {
  const m = $("#message");
  m.textContent = text;
  m.className = kind === "error" ? "message" : "message info";
  m.hidden = !text;
}

/** Calls the API; throws an Error carrying the problem's `detail` on failure. */
async function api(method, path, body, contentType = "application/json") {
  const headers = {};
  if (body !== undefined) headers["content-type"] = contentType;
  if (method !== "GET" && S.me && S.me.csrf) headers["x-csrf-token"] = S.me.csrf;
  const res = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : contentType === "application/json" ? JSON.stringify(body) : body,
  });
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = null; }
  if (!res.ok) {
    const detail = data && (data.detail || data.title) ? data.detail || data.title : `${res.status} ${res.statusText}`;
    const err = new Error(detail);
    err.status = res.status;
    err.problem = data;
    if (res.status === 401 && S.me) { S.me = null; renderSignIn(detail); }
    throw err;
  }
  return data;
}

// Every page of a paged list route (`{member: [...], next_after}`), in order.
async function apiAll(path, member) {
  const items = [];
  let after = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api("GET", after === null ? path : `${path}${sep}after=${encodeURIComponent(after)}`);
    items.push(...page[member]);
    after = page.next_after;
  } while (after !== null && after !== undefined);
  return items;
}

/** Runs an async action, showing its error in the message area. */
async function guard(fn) {
  try { say(""); return await fn(); } catch (e) { say(e.message); return undefined; }
}

function table(columns, rows, opts = {}) {
  // columns: [{key, label, num, render}]; rows: objects. Sortable by clicking a header; filterable by opts.filter.
  let sortKey = opts.sortKey || null, dir = opts.dir || 1, filter = "";
  const wrap = h("div", { class: "scroll" });
  const tbody = h("tbody");
  const head = h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null, scope: "col", "aria-sort": "none" },
    h("button", { class: "sort", type: "button", onclick: () => { dir = sortKey === c.key ? -dir : 1; sortKey = c.key; draw(); } }, c.label))));
  const t = h("table", {}, h("thead", {}, head), tbody);
  function draw() {
    let list = rows.slice();
    if (filter) list = list.filter((r) => columns.some((c) => String(r[c.key] ?? "").toLowerCase().includes(filter)));
    if (sortKey) list.sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      if (typeof x === "number" || typeof y === "number") return ((x ?? -Infinity) - (y ?? -Infinity)) * dir;
      return String(x ?? "").localeCompare(String(y ?? "")) * dir;
    });
    [...head.children].forEach((th, i) => th.setAttribute("aria-sort", columns[i].key === sortKey ? (dir > 0 ? "ascending" : "descending") : "none"));
    put(tbody, ...list.map((r) => h("tr", { class: opts.rowClass ? opts.rowClass(r) : null },
      columns.map((c) => h("td", { class: c.num ? "num" : null }, c.render ? c.render(r) : c.num ? fmt(r[c.key]) : r[c.key] ?? "")))));
    if (opts.onDraw) opts.onDraw(list);
  }
  if (opts.filterable) {
    wrap.append(h("label", { class: "field" }, "Filter", h("input", { type: "search", "aria-label": "Filter the table", oninput: (e) => { filter = e.target.value.toLowerCase(); draw(); } })));
  }
  wrap.append(t);
  draw();
  return wrap;
}

function reasonsList(list) {
  return h("ul", {}, (list || []).map((r) => h("li", {}, r.text, " ", h("span", { class: "cite" }, `(${r.citation})`))));
}

function dateInput(onchange) {
  return h("label", { class: "field" }, "As of", h("input", { type: "date", value: S.date, onchange: (e) => { S.date = e.target.value || S.date; onchange(); } }));
}

async function loadRegimes() {
  if (!S.regimes) S.regimes = await api("GET", "/v1/regimes");
  return S.regimes;
}

/** The regime picker: the timelines (each request under the pack of its date) and every built-in pack. */
function regimeInput(onchange, name = "regime", value = S.regime, label = "Regime") {
  const r = S.regimes;
  const sel = h("select", { name, onchange: (e) => onchange(e.target.value) },
    h("optgroup", { label: "Timelines" }, r.timelines.map((t) => h("option", { value: t.name, selected: t.name === value, title: t.title }, `${t.name}: ${t.title}`))),
    h("optgroup", { label: "One pack for every date" }, r.packs.map((p) => h("option", { value: p.id, selected: p.id === value, title: p.title }, p.id))));
  return h("label", { class: "field" }, label, sel);
}

/** The pack the chosen regime answers with on a date (a pack id names itself). */
function packOn(regime, date) {
  const t = S.regimes.timelines.find((x) => x.name === regime);
  if (!t) return regime;
  const p = t.periods.find((x) => x.from <= date && (!x.to || date <= x.to));
  return p ? `${p.pack} (${p.instrument})` : "no regime yet";
}

/** A slider over every day from the first regime to the end of 2027; moving it sets the date. */
function dateSlider(onchange) {
  const day = (iso) => Math.round((Date.parse(iso) - Date.parse(FIRST_DAY)) / 86400000);
  const max = day(LAST_DAY);
  const clamp = (n) => Math.max(0, Math.min(max, n));
  const iso = (n) => new Date(Date.parse(FIRST_DAY) + n * 86400000).toISOString().slice(0, 10);
  const shown = h("output", { id: "slider-date" }, S.date);
  const input = h("input", {
    type: "range", id: "date-slider", min: "0", max: String(max), step: "1", value: String(clamp(day(S.date))), "aria-label": "Date",
    oninput: (e) => { shown.textContent = iso(Number(e.target.value)); },
    onchange: (e) => { S.date = iso(Number(e.target.value)); onchange(); },
  });
  return h("label", { class: "field slider" }, `${FIRST_DAY} … ${LAST_DAY}`, input, shown);
}

async function loadCountries(regime = S.regime) {
  await loadRegimes();
  const list = await api("GET", `/v1/countries?date=${S.date}&regime=${encodeURIComponent(regime)}`);
  S.countries = new Map(list.map((c) => [c.code, c]));
  return list;
}

/** A country's name, or the code itself when the loaded countries do not know it. */
function countryName(code) {
  return (S.countries.get(code) || { name: code }).name;
}

function countrySelect(name, value, attrs = {}) {
  const sel = h("select", { name, ...attrs }, h("option", { value: "" }, "—"));
  for (const c of [...S.countries.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    sel.append(h("option", { value: c.code, selected: c.code === value }, `${c.name} (${c.code})`));
  }
  return sel;
}

function download(name, text, type) {
  const a = h("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

// ---- sign in -----------------------------------------------------------------------------------------------

function renderSignIn(detail) {
  $("#nav").hidden = true;
  $("#who").hidden = true;
  const token = h("input", { id: "token", type: "password", autocomplete: "off", required: true, placeholder: "tg_…" });
  const form = h("form", { class: "signin panel", onsubmit: async (e) => {
    e.preventDefault();
    const me = await guard(() => api("POST", "/v1/session", { token: token.value.trim() }));
    if (me) { S.me = me; start(); }
  } },
  h("h1", {}, "Sign in"),
  h("p", {}, "Paste an API token: the one `tiergate serve` printed on first start, or one from ",
    h("code", {}, "tiergate token create --name NAME --role viewer|analyst|officer|admin"), "."),
  h("label", { class: "field", for: "token" }, "Token", token),
  h("p", {}, h("button", { class: "primary", type: "submit" }, "Sign in")));
  put(view(), form);
  if (detail) say(detail);
  token.focus();
}

async function signOut() {
  await guard(() => api("DELETE", "/v1/session"));
  S.me = null;
  location.hash = "";
  renderSignIn();
  say("Signed out.", "info");
}

function start() {
  $("#nav").hidden = false;
  $("#who").hidden = false;
  $("#who-name").textContent = `${S.me.name} (${S.me.role})`;
  for (const a of document.querySelectorAll("nav a[data-role]")) a.hidden = !can(a.dataset.role);
  if (!location.hash || location.hash === "#") location.hash = "#/map";
  else route();
}

// ---- views -------------------------------------------------------------------------------------------------

const ROUTES = {
  map: viewMap, country: viewCountry, check: viewCheck, batch: viewBatch,
  allocations: viewAllocations, fleet: viewFleet, screening: viewScreening, parties: viewParties, audit: viewAudit,
  scenarios: viewScenarios, exposure: viewExposure, cases: viewCases,
};

async function route() {
  if (!S.me) return;
  const [name, arg] = location.hash.replace(/^#\/?/, "").split("/");
  const fn = ROUTES[name] || viewMap;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.getAttribute("href") === `#/${name || "map"}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  say("");
  put(view(), h("p", { class: "muted" }, "Loading…"));
  await guard(() => fn(arg ? decodeURIComponent(arg) : undefined));
  view().focus({ preventScroll: true });
}

let WORLD = null;

/**
 * The world map, each country coloured by its tier or license class. `byCode`: the countries by code;
 * `describe(c)`: the tooltip's lines; `onPick(c)`: on click or Enter; `marked`: codes outlined (changed);
 * `shownAs(c)`: the country to colour it as (a scenario's pending move). Returns the map's wrapper.
 */
async function worldMap({ byCode, label, describe, onPick, marked = new Set(), shownAs = (c) => c, id, shade = null }) {
  if (!WORLD) WORLD = await (await fetch("/assets/world.json")).json();
  const width = 960, height = 500;
  const features = topojson.feature(WORLD, WORLD.objects.countries).features;
  const projection = d3.geoNaturalEarth1().fitSize([width, height], { type: "FeatureCollection", features });
  const path = d3.geoPath(projection);
  const tip = h("div", { class: "tooltip", hidden: true, role: "status" });
  // A group, not an image: its countries are links. Keyboard order is by name, whatever the drawing order.
  const svg = s("svg", { class: "map", id, viewBox: `0 0 ${width} ${height}`, role: "group", "aria-label": label });
  const wrap = h("div", { class: "map-wrap" }, svg, tip);
  const shapes = [], links = [];
  const classOf = (c, as) => `${as ? CATEGORY_CLASS[as.category] || "nodata" : "nodata"}${c && marked.has(c.code) ? " changed" : ""}`;
  const link = (el, c, as) => {
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "link");
    el.setAttribute("aria-label", `${c.name}: ${categoryName(as)}${marked.has(c.code) ? " (changed)" : ""}`);
    // `shade(c)`: how strongly to fill a country (0 to 1), e.g. by its value.
    if (shade) el.style.fillOpacity = String(shade(c));
    const show = (ev) => {
      put(tip, ...describe(c));
      tip.hidden = false;
      const box = wrap.getBoundingClientRect();
      const x = ev.clientX !== undefined ? ev.clientX - box.left : box.width / 2;
      const y = ev.clientY !== undefined ? ev.clientY - box.top : 20;
      tip.style.left = `${Math.max(0, Math.min(x + 12, box.width - 290))}px`;
      tip.style.top = `${y + 12}px`;
    };
    el.addEventListener("mousemove", show);
    el.addEventListener("focus", () => show({ clientX: undefined }));
    el.addEventListener("mouseleave", () => { tip.hidden = true; });
    el.addEventListener("blur", () => { tip.hidden = true; });
    el.addEventListener("click", () => onPick(c));
    el.addEventListener("keydown", (ev) => { if (ev.key === "Enter") onPick(c); });
    links.push([c.name, el]);
  };
  for (const f of features) {
    const c = f.id && byCode.get(f.id);
    const d = path(f);
    if (!d) continue;
    const as = c ? shownAs(c) : null;
    const p = s("path", { d, class: `country ${classOf(c, as)}`, "data-code": f.id || "", "data-tier": as && as.tier ? as.tier : "", "data-category": as ? as.category : "" });
    if (c) link(p, c, as);
    else { p.setAttribute("aria-hidden", "true"); p.append(s("title", {}, f.properties.name)); }
    shapes.push(p);
  }
  // Countries and territories too small to point at, or not drawn at 1:110m (world.json `markers`): a circle each,
  // in the keyboard order with the shapes, and a twin drawn on top of every shape for the pointer (aria-hidden).
  const tops = [];
  for (const [code, lonlat] of Object.entries(WORLD.markers || {})) {
    const c = byCode.get(code);
    const at = c && projection(lonlat);
    if (!at) continue;
    const as = shownAs(c);
    const circle = (extra) => s("circle", { cx: at[0].toFixed(1), cy: at[1].toFixed(1), r: 4, class: `country marker ${classOf(c, as)}${extra}`,
      "data-code": code, "data-tier": as && as.tier ? as.tier : "", "data-category": as ? as.category : "" });
    const m = circle("");
    m.setAttribute("data-marker", "true");
    link(m, c, as);
    const top = circle(" marker-top");
    top.setAttribute("aria-hidden", "true");
    top.append(s("title", {}, c.name));
    top.addEventListener("click", () => onPick(c));
    top.addEventListener("mousemove", (ev) => m.dispatchEvent(new MouseEvent("mousemove", { clientX: ev.clientX, clientY: ev.clientY })));
    top.addEventListener("mouseleave", () => { tip.hidden = true; });
    tops.push(top);
  }
  // Keyboard (and screen-reader) order is by name: the focusable shapes and markers go in that order, after the
  // shapes with no data and before the markers' twins.
  links.sort((x, y) => x[0].localeCompare(y[0]));
  svg.append(...shapes.filter((p) => !p.hasAttribute("role")), ...links.map(([, el]) => el), ...tops);
  return wrap;
}

async function viewMap() {
  const root = h("div");
  put(view(), root);
  const draw = async () => {
    const [countries, pools] = await Promise.all([loadCountries(), apiAll(`/v1/pools?date=${S.date}`, "pools")]);
    const byPool = new Map(pools.map((p) => [p.pool, p]));
    const describe = (c) => {
      const pool = byPool.get(`country:${c.code}`);
      const lines = [h("strong", {}, `${c.name} (${c.code})`), h("br"), categoryName(c), h("br"), `Groups: ${c.groups.join(", ") || "none"}`];
      if (c.tier === 2 && pool) lines.push(h("br"), `Allocation used ${fmt(pool.posted_tpp)}, pending ${fmt(pool.pending_tpp)}, remaining ${fmt(pool.available_tpp)} TPP`);
      return lines;
    };
    const map = await worldMap({
      byCode: S.countries, label: `World map under ${S.regime} as of ${S.date}`, describe,
      onPick: (c) => { location.hash = `#/country/${c.code}`; },
    });
    const tiered = countries.some((c) => c.tier);
    const legend = h("div", { class: "legend", "aria-label": "Legend" },
      (tiered ? CATEGORY_LEGEND.tiers : CATEGORY_LEGEND.classes).map(([cls, label]) => h("span", { class: `key-${cls}` }, label)),
      h("span", { class: "key-nodata" }, "no ISO code"));
    const rows = countries.map((c) => {
      const pool = byPool.get(`country:${c.code}`);
      return { code: c.code, name: c.name, category: categoryName(c), groups: c.groups.join(", "), used: pool ? pool.posted_tpp : null, pending: pool ? pool.pending_tpp : null, remaining: pool ? pool.available_tpp : null };
    });
    put(root,
      h("h1", {}, tiered ? "Tiers of the world" : "License classes of the world"),
      h("div", { class: "row" }, regimeInput((v) => { S.regime = v; draw(); }), dateInput(draw), dateSlider(draw)),
      h("p", { class: "muted", id: "regime-pack" }, `${S.regime} on ${S.date}: ${packOn(S.regime, S.date)}`),
      legend,
      map,
      h("details", {}, h("summary", {}, "The same as a table"),
        table([
          { key: "code", label: "Code", render: (r) => h("a", { href: `#/country/${r.code}` }, r.code) },
          { key: "name", label: "Country" },
          { key: "category", label: "Tier or class" },
          { key: "groups", label: "Groups" },
          { key: "used", label: "Used TPP", num: true },
          { key: "pending", label: "Pending TPP", num: true },
          { key: "remaining", label: "Remaining TPP", num: true },
        ], rows, { filterable: true, sortKey: "name" })));
  };
  await draw();
}

async function viewCountry(code) {
  const c = await api("GET", `/v1/countries/${encodeURIComponent(code)}?date=${S.date}&regime=${encodeURIComponent(S.regime)}`);
  const parts = [
    h("p", {}, h("a", { href: "#/map" }, "← Map")),
    h("h1", {}, `${c.name} (${c.code}) `, h("span", { class: `badge ${c.tier ? `t${c.tier}` : CATEGORY_CLASS[c.category]}` }, categoryName(c))),
    h("p", { class: "muted" }, `${S.regime} on ${S.date}`),
    h("div", { class: "row" }, dateInput(() => viewCountry(code))),
    h("h2", {}, "Why"), reasonsList(c.reasons),
  ];
  if (c.tier === 2 && c.allocation_tpp) {
    const pool = `country:${c.code}`;
    const b = await api("GET", `/v1/pools/${encodeURIComponent(pool)}?date=${S.date}`);
    const w = (x) => `${Math.min(100, (x / b.cap_tpp) * 100)}%`;
    parts.push(h("h2", {}, "Allocation"),
      h("div", { class: "gauge", role: "img", "aria-label": `${fmt(b.posted_tpp)} posted and ${fmt(b.pending_tpp)} pending of ${fmt(b.cap_tpp)} TPP` },
        h("div", { class: "posted", style: `width:${w(b.posted_tpp)}` }), h("div", { class: "pending", style: `width:${w(b.pending_tpp)}` })),
      h("p", {}, `Posted ${fmt(b.posted_tpp)} · pending ${fmt(b.pending_tpp)} · remaining ${fmt(b.available_tpp)} of ${fmt(b.cap_tpp)} TPP`));
    // The pool's own entries, the first 5,000 of them (the Audit view pages through the whole log).
    const entries = [];
    let after = 0;
    for (let page = 0; page < 5; page++) {
      const p = await api("GET", `/v1/audit?pool=${encodeURIComponent(pool)}&after=${after}&limit=1000`);
      entries.push(...p.entries);
      if (p.next_after === null) break;
      after = p.next_after;
    }
    parts.push(h("h2", {}, "History (audit log)"), entries.length
      ? table([{ key: "seq", label: "#", num: true }, { key: "at", label: "When" }, { key: "actor", label: "Who" }, { key: "action", label: "What" },
        { key: "reservation", label: "Reservation" }, { key: "tpp", label: "TPP", num: true }, { key: "reason", label: "Why" }], entries, { sortKey: "seq" })
      : h("p", { class: "muted" }, "No movement yet."));
  }
  put(view(), ...parts);
}

function determinationView(d, onRecord) {
  if (d.error) return h("div", { class: "panel" }, h("strong", {}, "Rejected: "), d.error.message);
  const a = d.allocation;
  return h("div", { class: "panel", id: "answer" },
    d.summary ? h("p", { class: "summary", id: "answer-summary" }, d.summary) : null,
    h("div", { class: "row" }, h("span", { class: "auth", "data-authorization": d.authorization }, d.authorization),
      d.review_policy ? h("span", {}, `review policy: ${d.review_policy}`) : null,
      d.tier ? h("span", { class: `badge t${d.tier}` }, TIER_NAMES[d.tier]) : h("span", { class: "badge cat-license" }, "no tiers in this regime")),
    d.regime ? h("p", { class: "muted", id: "answer-regime" }, `Answered under ${d.regime.timeline ? `the ${d.regime.timeline} timeline: ` : ""}${d.regime.pack} ${d.regime.version} (sha256 ${d.regime.sha256.slice(0, 12)}…)`) : null,
    d.compare ? compareView(d) : null,
    d.classification ? h("p", {}, `${d.classification.eccn || "not controlled"} · ${fmt(d.classification.tpp_total)} TPP`) : null,
    a ? h("p", {}, `Allocation ${a.pool}: this draws ${fmt(a.tpp)} TPP; ${fmt(a.remaining_tpp)} of ${fmt(a.cap_tpp)} would remain.`) : h("p", { class: "muted" }, "Draws on no allocation."),
    d.recorded ? h("p", {}, `Recorded: ${d.recorded.status} ${d.recorded.id || ""} in ${d.recorded.pool}`) : null,
    d.recorded && d.id ? h("p", {}, h("a", { href: `/v1/determinations/${encodeURIComponent(d.id)}/memo`, target: "_blank", rel: "noopener", id: "answer-memo" },
      "Print / PDF: the memo to file")) : null,
    d.obligations && d.obligations.length ? [h("h2", {}, "Obligations"), reasonsList(d.obligations)] : null,
    h("h2", {}, "Reasons"), reasonsList(d.reasons),
    d.notes && d.notes.length ? [h("h2", {}, "Notes"), reasonsList(d.notes)] : null,
    onRecord);
}

/** Two timelines' answers side by side, where they differ. */
function compareView(d) {
  const side = (title, x) => h("div", { class: "side" }, h("h3", {}, title),
    h("p", {}, h("span", { class: "auth", "data-authorization": x.authorization || "" }, x.authorization || x.error || "no answer")),
    h("p", {}, x.license_required ? `license required; review policy ${x.review_policy}` : x.authorization ? "no license required" : ""),
    h("p", { class: "muted" }, x.allocation ? `draws ${fmt(x.allocation.tpp)} TPP from ${x.allocation.pool}` : "draws on no allocation"));
  const here = { authorization: d.authorization, license_required: d.license_required, review_policy: d.review_policy, allocation: d.allocation };
  return h("div", { class: "compare", id: "compare", role: "group", "aria-label": "The two timelines side by side" },
    h("h2", {}, "The timelines differ"),
    h("div", { class: "sides" },
      side(`${d.regime.timeline || d.regime.pack}: ${d.regime.pack}`, here),
      ...d.compare.map((c) => side(`${c.timeline}: ${c.pack || "no regime"}`, c))));
}

async function viewCheck() {
  await loadRegimes();
  await loadCountries();
  if (!S.items) S.items = await api("GET", "/v1/items");
  const allowed = can("analyst");
  const f = h("form", { class: "grid", id: "check-form" });
  const mode = h("select", { name: "mode", onchange: () => sync() },
    h("option", { value: "catalog" }, "Catalog item"), h("option", { value: "spec" }, "Spec sheet"), h("option", { value: "weights" }, "Model weights"));
  const makers = [...new Set(S.items.map((i) => i.manufacturer))].sort((a, b) => a.localeCompare(b));
  const itemLabel = (i) => `${i.name} (${fmt(i.tpp_per_unit)} TPP${i.ics_per_unit > 1 ? ` for ${i.ics_per_unit} ICs` : ""}; ${i.memory_type}${i.dram_bandwidth_gbps ? ` ${fmt(i.dram_bandwidth_gbps)} GB/s` : ""})`;
  const item = h("select", { name: "item" }, makers.map((m) => h("optgroup", { label: m },
    S.items.filter((i) => i.manufacturer === m).map((i) => h("option", { value: i.id, selected: i.id === "nvidia-h100-sxm", title: i.sources.join("; ") }, itemLabel(i))))));
  const tpp = h("input", { name: "tpp", type: "number", min: "0", step: "any", value: "15832" });
  const die = h("input", { name: "die", type: "number", min: "0", step: "any", value: "814" });
  const dc = h("select", { name: "datacenter" }, h("option", { value: "true" }, "yes"), h("option", { value: "false" }, "no"));
  const ops = h("input", { name: "ops", type: "number", min: "0", step: "any", value: "2e26" });
  const published = h("select", { name: "published" }, h("option", { value: "false" }, "no"), h("option", { value: "true" }, "yes"));
  const veu = h("select", { name: "veu", onchange: () => sync() }, h("option", { value: "" }, "none"), h("option", { value: "uveu" }, "Universal VEU"), h("option", { value: "nveu" }, "National VEU"));
  const field = (label, el, cls) => h("label", { class: cls }, label, el);
  const specRow = [field("TPP per unit", tpp, "spec"), field("Die area mm²", die, "spec"), field("Data-centre part", dc, "spec")];
  f.append(
    field("Item", mode), field("Catalog item", item, "catalog"), ...specRow, field("Training operations", ops, "weights"), field("Weights published", published, "weights"),
    field("Quantity", h("input", { name: "quantity", type: "number", min: "1", value: "1000", required: true })),
    field("Destination", countrySelect("destination", "MY", { required: true })),
    field("Date", h("input", { name: "date", type: "date", value: S.date })),
    regimeInput(() => {}, "regime", S.regime, "Regime"),
    field("Compare with", h("select", { name: "compare" }, h("option", { value: "" }, "no other timeline"),
      S.regimes.timelines.map((t) => h("option", { value: t.name, selected: t.name !== S.regime && S.regimes.timelines.some((x) => x.name === S.regime) }, `${t.name}, where it differs`)))),
    field("Transaction", h("select", { name: "transaction" }, ["export", "reexport", "transfer"].map((t) => h("option", { value: t }, t)))),
    field("End use", h("select", { name: "end_use" }, END_USES.map(([v, meaning]) => h("option", { value: v, title: meaning }, `${v}: ${meaning}`)))),
    field("Consignee", h("input", { name: "consignee", value: "Example Cloud Sdn Bhd" })),
    field("Consignee headquarters", countrySelect("headquarters", "MY", { required: true })),
    field("Ultimate parent", h("input", { name: "parent" })),
    field("Parent headquarters", countrySelect("parent_hq", "")),
    field("VEU", veu), field("NVEU country", countrySelect("veu_country", ""), "nveu"), field("VEU id", h("input", { name: "veu_id" }), "veu-id"),
    allowed ? h("div", { class: "row" }, h("button", { class: "primary", type: "submit" }, "Determine"),
      h("button", { type: "button", id: "classify", onclick: () => classifyOnly() }, "Classify only")) : null);
  function sync() {
    for (const m of ["catalog", "spec", "weights"]) for (const el of f.querySelectorAll(`.${m}`)) el.hidden = mode.value !== m;
    for (const el of f.querySelectorAll(".nveu")) el.hidden = veu.value !== "nveu";
    for (const el of f.querySelectorAll(".veu-id")) el.hidden = veu.value === "";
  }
  sync();
  const out = h("div", { id: "check-out" });
  const request = (record) => {
    const v = Object.fromEntries(new FormData(f).entries());
    const itemValue = mode.value === "catalog" ? v.item
      : mode.value === "spec" ? { tpp: Number(v.tpp), die_area_mm2: v.die ? Number(v.die) : undefined, datacenter: v.datacenter === "true" }
      : { model_weights: { training_operations: Number(v.ops), published: v.published === "true" } };
    const consignee = { name: v.consignee || undefined, headquarters: v.headquarters, ultimate_parent: v.parent || undefined, ultimate_parent_headquarters: v.parent_hq || undefined };
    if (v.veu) consignee.veu = { kind: v.veu, country: v.veu === "nveu" ? v.veu_country : undefined, id: v.veu_id || undefined };
    const req = { date: v.date, item: itemValue, quantity: Number(v.quantity), transaction: v.transaction, destination: v.destination, end_use: v.end_use, consignee };
    if (record) req.id = `web-${S.me.name}-${Date.now()}`;
    return req;
  };
  const run = async (record) => {
    const v = Object.fromEntries(new FormData(f).entries());
    const q = new URLSearchParams({ regime: v.regime || S.regime });
    if (v.compare && v.compare !== v.regime) q.set("compare", v.compare);
    if (record) q.set("record", "true");
    put(out); // no stale answer under a new one, or under an error
    const d = await guard(() => api("POST", `/v1/determinations?${q}`, request(record)));
    if (!d) return;
    // What an answer draws (docs/PARTIES.md): an allocation, or under LPP the ultimate consignee's yearly pool.
    const lpp = d.authorization === "LPP" && d.classification ? Math.ceil(d.classification.tpp_total) : null;
    const canRecord = can("officer") && (d.allocation || lpp) && !record && !d.recorded;
    const label = d.allocation ? `Record: reserve ${fmt(d.allocation.tpp)} TPP in ${d.allocation.pool}` : `Record: reserve ${fmt(lpp)} TPP under LPP for the ultimate consignee`;
    const btn = canRecord ? h("p", {}, h("button", { type: "button", id: "record", onclick: () => run(true) }, label)) : null;
    put(out, determinationView(d, btn));
  };
  // The item's classification alone (as `tiergate classify`): no destination, party or regime involved.
  const classifyOnly = async () => {
    put(out);
    const { item: it, quantity } = request(false);
    const r = await guard(() => api("POST", "/v1/classify", { item: it, quantity }));
    if (!r) return;
    const c = r;
    const figures = [
      c.tpp_per_unit != null ? `${fmt(c.tpp_per_unit)} TPP per unit` : null,
      c.tpp_total != null ? `${fmt(c.tpp_total)} TPP for ${fmt(quantity)}` : null,
      c.performance_density != null ? `performance density ${fmt(c.performance_density)}` : null,
      c.h100_equivalents != null ? `${fmt(c.h100_equivalents)} H100 equivalents` : null,
      c.training_operations != null ? `${c.training_operations.toExponential(2)} training operations` : null,
    ].filter(Boolean);
    put(out, h("div", { class: "panel", id: "classify-out" },
      h("p", { class: "auth" }, c.eccn ? `ECCN ${c.eccn}` : "Not in 3A090, 4A090 or 4E091"),
      figures.length ? h("p", {}, figures.join(" · ")) : null,
      h("h2", {}, "Why"), reasonsList(r.reasons)));
  };
  f.addEventListener("submit", (e) => { e.preventDefault(); run(false); });
  put(view(), h("h1", {}, "Check an export"),
    allowed ? null : h("p", { class: "panel" }, `Your role (${S.me.role}) may read but not run determinations; an analyst token can.`),
    f, out);
}

function splitLines(text) { return text.split(/\r?\n/).filter((l) => l.trim() !== ""); }

/** The cells of one CSV line (quotes as RFC 4180 writes them; a quoted cell may not span lines here). */
function csvCells(line) {
  const cells = [];
  let cell = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { cells.push(cell); cell = ""; } else cell += ch;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

async function viewBatch() {
  const allowed = can("analyst");
  const file = h("input", { type: "file", id: "batch-file", accept: ".csv,.jsonl,.ndjson,.json,text/csv" });
  const bar = h("progress", { max: 1, value: 0, hidden: true, "aria-label": "Progress" });
  const status = h("p", { class: "muted", role: "status" });
  const out = h("div");
  file.addEventListener("change", () => guard(async () => {
    const f = file.files[0];
    if (!f) return;
    const text = await f.text();
    const csv = /\.csv$/i.test(f.name) || /^[\w ,"]*\bdate\b/i.test(text.split(/\r?\n/, 1)[0] || "") && !text.trimStart().startsWith("{");
    const lines = splitLines(text);
    const header = csv ? lines.shift() : null;
    const CHUNK = 200;
    const answers = [];
    // Each request's destination as spelled, resolved to its country later for the totals (answers name the
    // allocation, not the destination).
    const at = csv ? csvCells(header).indexOf("destination") : -1;
    const destinations = lines.map((l) => {
      if (csv) return at >= 0 ? (csvCells(l)[at] || "").trim() : "";
      try { return String(JSON.parse(l).destination || "").trim(); } catch (_) { return ""; }
    });
    bar.hidden = false; bar.max = Math.max(1, lines.length); bar.value = 0;
    for (let i = 0; i < lines.length; i += CHUNK) {
      const chunk = lines.slice(i, i + CHUNK);
      let res;
      if (csv) {
        res = await api("POST", "/v1/determinations", [header, ...chunk].join("\n"), "text/csv");
      } else {
        const requests = chunk.map((l) => { try { return JSON.parse(l); } catch (_) { return l; } });
        res = await api("POST", "/v1/determinations", { requests });
      }
      answers.push(...res.determinations);
      bar.value = Math.min(lines.length, i + CHUNK);
      status.textContent = `${bar.value} of ${lines.length} requests determined`;
    }
    await renderBatch(out, answers, destinations);
  }));
  put(view(), h("h1", {}, "Batch"),
    allowed ? h("p", {}, "Upload an order book: CSV with the columns of ", h("code", {}, "tiergate determine --input-format csv"), ", or JSON Lines of requests.")
      : h("p", { class: "panel" }, `Your role (${S.me.role}) may not run determinations.`),
    allowed ? h("label", { class: "field" }, "Order book", file) : null, bar, status, out);
}

// The outcome of an answer, for grouping: approvals, case-by-case reviews and denials apart from what needs no
// license (an exception, a VEU, NLR) and from rejected requests.
const OUTCOMES = [
  ["no_license", "No license needed"], ["approval", "License, presumption of approval"],
  ["case_by_case", "License, case by case"], ["denial", "License, presumption of denial"], ["error", "Rejected request"],
];
const outcomeOf = (d) => (d.error || !d.authorization ? "error" : !d.license_required ? "no_license" : d.review_policy || "case_by_case");

/** Each spelling of a destination in the file, resolved to its code by the API (aliases and names included). */
async function resolveDestinations(spellings) {
  const codes = new Map();
  for (const text of new Set(spellings.filter(Boolean))) {
    const byCode = S.countries.get(text);
    if (byCode) { codes.set(text, byCode.code); continue; }
    try { codes.set(text, (await api("GET", `/v1/countries/${encodeURIComponent(text)}?date=${S.date}`)).code); } catch (_) { codes.set(text, null); }
  }
  return codes;
}

async function renderBatch(out, answers, destinations) {
  const codes = await resolveDestinations(destinations);
  const rows = answers.map((d, i) => ({
    n: i + 1, id: d.id ?? "", destination: destinations[i] || "", code: codes.get(destinations[i]) || "",
    authorization: d.authorization || "ERROR", outcome: outcomeOf(d), policy: d.review_policy || "",
    tpp: d.classification ? d.classification.tpp_total : null, summary: d.summary || "",
    eccn: d.classification ? d.classification.eccn || "" : "", pool: d.allocation ? d.allocation.pool : "", error: d.error ? d.error.message : "",
    reasons: d.reasons || [], why: (d.reasons || []).map((r) => `${r.text} (${r.citation})`).join("; "),
  }));
  const totals = (key, label = (k) => k) => {
    const m = new Map();
    for (const r of rows) {
      const k = r[key] || "—";
      const t = m.get(k) || { key: label(k), count: 0, tpp: 0 };
      t.count += 1; t.tpp += r.tpp || 0;
      m.set(k, t);
    }
    return [...m.values()];
  };
  const columns = [
    { key: "n", label: "#", num: true }, { key: "id", label: "Id" },
    { key: "code", label: "Destination", render: (r) => (r.code && r.code !== r.destination ? `${r.code} (${r.destination})` : r.code || r.destination) },
    { key: "authorization", label: "Authorization" }, { key: "policy", label: "Review policy" }, { key: "eccn", label: "ECCN" },
    { key: "tpp", label: "TPP", num: true }, { key: "pool", label: "Allocation" },
    { key: "why", label: "Why", render: (r) => (r.error ? r.error : h("details", {}, h("summary", {}, r.summary || `${r.reasons.length} reason(s)`), reasonsList(r.reasons))) },
  ];
  const csvOut = () => {
    const keys = ["n", "id", "destination", "code", "authorization", "outcome", "policy", "eccn", "tpp", "pool", "summary", "why", "error"];
    const lines = [keys.map((k) => (k === "why" ? "reasons" : k)).join(","), ...rows.map((r) => keys.map((k) => csvCell(r[k])).join(","))];
    download("determinations.csv", lines.join("\n") + "\n", "text/csv");
  };
  // TPP by authorization, as bars.
  const byAuth = totals("authorization").sort((x, y) => y.tpp - x.tpp);
  const W = 640, bh = 22, left = 90, max = Math.max(1, ...byAuth.map((t) => t.tpp));
  const chart = s("svg", { class: "chart", id: "batch-chart", viewBox: `0 0 ${W} ${byAuth.length * (bh + 8) + 8}`, role: "img", "aria-label": "TPP by authorization" },
    byAuth.map((t, i) => [
      s("text", { x: left - 8, y: i * (bh + 8) + bh / 2 + 4, "text-anchor": "end" }, t.key),
      s("rect", { class: "bar", x: left, y: i * (bh + 8), width: Math.max(1, (t.tpp / max) * (W - left - 150)), height: bh }),
      s("text", { x: left + Math.max(1, (t.tpp / max) * (W - left - 150)) + 6, y: i * (bh + 8) + bh / 2 + 4 }, `${fmt(Math.round(t.tpp))} TPP (${t.count})`),
    ]));
  const label = Object.fromEntries(OUTCOMES);
  put(out,
    h("h2", {}, "Outcomes"),
    table([{ key: "key", label: "Outcome" }, { key: "count", label: "Requests", num: true }, { key: "tpp", label: "TPP", num: true }],
      OUTCOMES.map(([k]) => totals("outcome", (x) => label[x] || x).find((t) => t.key === label[k])).filter(Boolean)),
    h("h2", {}, "TPP by authorization"), chart,
    h("h2", {}, "Totals by destination"),
    table([{ key: "key", label: "Destination" }, { key: "count", label: "Requests", num: true }, { key: "tpp", label: "TPP", num: true }], totals("code"), { sortKey: "tpp", dir: -1 }),
    h("h2", {}, `Determinations (${rows.length})`),
    h("p", {}, h("button", { type: "button", onclick: csvOut }, "Download CSV"), " with each row's outcome, summary and reasons."),
    OUTCOMES.map(([k, title]) => {
      const group = rows.filter((r) => r.outcome === k);
      return group.length ? [h("h3", { id: `batch-${k}` }, `${title} (${group.length})`), table(columns, group, { filterable: true, sortKey: "n" })] : null;
    }));
}

async function viewAllocations() {
  const root = h("div");
  put(view(), root);
  const draw = async () => {
    const pools = await apiAll(`/v1/pools?date=${S.date}`, "pools");
    const rows = pools.map((p) => ({ ...p, used: p.posted_tpp + p.pending_tpp, share: p.cap_tpp ? (p.posted_tpp + p.pending_tpp) / p.cap_tpp : 0 }));
    const top = rows.filter((r) => r.pool.startsWith("country:") && r.used > 0).sort((a, b) => b.share - a.share).slice(0, 10);
    const W = 640, bh = 24, left = 110;
    const chart = top.length ? s("svg", { class: "chart", viewBox: `0 0 ${W} ${top.length * (bh + 8) + 10}`, role: "img", "aria-label": "Most-used Tier 2 allocations" },
      top.map((r, i) => [
        s("text", { x: left - 8, y: i * (bh + 8) + bh / 2 + 4, "text-anchor": "end" }, r.pool.replace("country:", "")),
        s("rect", { class: "bar", x: left, y: i * (bh + 8), width: Math.max(1, r.share * (W - left - 90)), height: bh }),
        s("text", { x: left + Math.max(1, r.share * (W - left - 90)) + 6, y: i * (bh + 8) + bh / 2 + 4 }, pct(r.share)),
      ])) : h("p", { class: "muted" }, "No Tier 2 allocation has been drawn on yet.");
    put(root, h("h1", {}, "Allocations"), h("div", { class: "row" }, dateInput(draw)),
      h("h2", {}, "Most-used Tier 2 allocations"), chart, h("h2", {}, `All pools (${rows.length})`),
      table([
        { key: "pool", label: "Pool" }, { key: "cap_tpp", label: "Cap TPP", num: true }, { key: "posted_tpp", label: "Posted", num: true },
        { key: "pending_tpp", label: "Pending", num: true }, { key: "available_tpp", label: "Remaining", num: true },
        { key: "share", label: "Used", num: true, render: (r) => pct(r.share) },
      ], rows, { filterable: true, sortKey: "share", dir: -1 }));
  };
  await draw();
}

async function viewFleet() {
  // UVEU limits are the framework's own (Supp. No. 10 to part 748): its tiers, whatever regime the map shows.
  await loadCountries("codified");
  const allowed = can("analyst");
  const file = h("input", { type: "file", id: "fleet-file", accept: ".csv,text/csv" });
  const hq = countrySelect("headquarters", "US");
  const out = h("div");
  const planOut = h("div", { "aria-live": "polite" });
  const run = () => guard(async () => {
    const f = file.files[0];
    if (!f) return;
    const r = await api("POST", "/v1/fleet/check", { fleet: await f.text(), headquarters: hq.value, date: S.date });
    renderFleet(out, r, hq.value);
  });
  file.addEventListener("change", run);
  hq.addEventListener("change", run);
  // A plan: the compute to add (one row per country), and what must be added at home for the limits to hold.
  const additions = h("div", { id: "fleet-additions" });
  const addRow = () => {
    const n = additions.children.length + 1;
    additions.append(h("div", { class: "row" },
      h("label", { class: "field" }, `Country ${n}`, countrySelect("add-country", n === 1 ? "MY" : "", { class: "add-country" })),
      h("label", { class: "field" }, "TPP to add", h("input", { type: "number", min: "1", step: "any", required: n === 1, class: "add-tpp" }))));
  };
  addRow();
  const plan = (e) => { e.preventDefault(); return guard(async () => {
    planOut.replaceChildren();
    const f = file.files[0];
    if (!f) throw new Error("Upload the fleet file first.");
    const add = [...additions.children].map((row) => ({ country: row.querySelector(".add-country").value, tpp: Number(row.querySelector(".add-tpp").value) }))
      .filter((a) => a.country || a.tpp);
    const r = await api("POST", "/v1/fleet/plan", { fleet: await f.text(), headquarters: hq.value, date: S.date, add });
    renderPlan(planOut, r, add, hq.value);
  }); };
  const planForm = h("form", { onsubmit: plan, "aria-labelledby": "fleet-plan-title" },
    h("h2", { id: "fleet-plan-title" }, "Plan an addition"),
    h("p", {}, "How much compute must be added at home, at the same time, for the fleet to stay within every limit?"),
    additions,
    h("div", { class: "row" },
      h("button", { type: "button", onclick: addRow }, "Another country"),
      h("button", { type: "submit", id: "fleet-plan-run" }, "Plan")));
  put(view(), h("h1", {}, "UVEU fleet"),
    allowed ? h("p", {}, "Upload a fleet CSV: ", h("code", {}, "site,country,tpp"), " or ", h("code", {}, "site,country,item,quantity"), ".")
      : h("p", { class: "panel" }, `Your role (${S.me.role}) may not run fleet checks or plans.`),
    allowed ? h("div", { class: "row" }, h("label", { class: "field" }, "Headquarters", hq), h("label", { class: "field" }, "Fleet file", file), dateInput(run)) : null,
    out, allowed ? planForm : null, planOut);
}

function renderPlan(out, r, add, hq) {
  const what = add.map((a) => `${fmt(a.tpp)} TPP in ${countryName(a.country)}`).join(" and ");
  const home = hq === "US" ? "in the United States" : `in Tier 1 (counted as ${countryName(hq)})`;
  const v = r.violations_after;
  put(out, h("div", { class: "panel", id: "fleet-plan" },
    !r.feasible ? h("p", { class: "auth", style: "color: var(--bad)" }, `Adding ${what} cannot be made compliant: compute in a Tier 3 country is barred whatever its share.`)
      : r.additional_home_tpp_needed === 0 ? h("p", { class: "auth", style: "color: var(--ok)" }, `Adding ${what} keeps every limit; nothing more is needed at home.`)
      : h("p", { class: "auth" }, `To add ${what}, add at least ${fmt(r.additional_home_tpp_needed)} TPP ${home} at the same time.`),
    v.length ? table([{ key: "text", label: "Still broken" }, { key: "country", label: "Country" },
      { key: "value", label: "Share", num: true, render: (x) => pct(x.value) }, { key: "limit", label: "Limit", num: true, render: (x) => pct(x.limit) },
      { key: "citation", label: "Citation" }], v, { rowClass: () => "violation" }) : null));
}

function renderFleet(out, r, hq) {
  const v = r.violations;
  const limits = [
    { label: "Outside Tier 1", value: r.shares.outside_tier1, limit: 0.25, rule: "outside_tier1_max" },
    ...(hq === "US" ? [{ label: "Outside the US", value: r.shares.outside_home, limit: 0.5, rule: "outside_us_max" }] : []),
    ...Object.entries(r.shares.by_country).filter(([c]) => (S.countries.get(c) || {}).tier !== 1)
      .map(([c, x]) => ({ label: c, value: x, limit: 0.07, rule: "single_country_max", country: c })),
  ];
  const broken = (l) => v.some((x) => x.rule === l.rule && (!l.country || x.country === l.country)) || (l.country && v.some((x) => x.rule === "tier3_country" && x.country === l.country));
  const W = 640, bh = 22, left = 120, plot = W - left - 80, max = Math.max(0.6, ...limits.map((l) => l.value));
  const X = (x) => left + (x / max) * plot;
  const chart = s("svg", { class: "chart", viewBox: `0 0 ${W} ${limits.length * (bh + 10) + 20}`, role: "img", "aria-label": "Fleet shares against their limits" },
    limits.map((l, i) => {
      const y = i * (bh + 10);
      return [
        s("text", { x: left - 8, y: y + bh / 2 + 4, "text-anchor": "end" }, l.label),
        s("rect", { class: `bar${broken(l) ? " over" : ""}`, x: left, y, width: Math.max(1, X(l.value) - left), height: bh }),
        s("line", { class: "limit", x1: X(l.limit), x2: X(l.limit), y1: y - 3, y2: y + bh + 3 }),
        s("text", { x: Math.max(X(l.value), X(l.limit)) + 6, y: y + bh / 2 + 4 }, `${pct(l.value)} (limit ${pct(l.limit)})`),
      ];
    }));
  put(out, 
    h("div", { class: "panel", id: "fleet-summary" },
      h("p", {}, `Total ${fmt(r.total_tpp)} TPP · Tier 1 ${fmt(r.tier1_tpp)} · home ${fmt(r.home_tpp)}`),
      v.length ? h("p", { class: "auth", style: "color: var(--bad)" }, `${v.length} limit(s) broken`) : h("p", { class: "auth", style: "color: var(--ok)" }, "Compliant")),
    h("h2", {}, "Shares against the limits"), chart,
    ...(v.length ? [h("h2", {}, "Violations"), table([{ key: "text", label: "Rule" }, { key: "country", label: "Country" },
      { key: "value", label: "Share", num: true, render: (x) => pct(x.value) }, { key: "limit", label: "Limit", num: true, render: (x) => pct(x.limit) },
      { key: "citation", label: "Citation" }], v, { rowClass: () => "violation" })] : []),
    h("h2", {}, "Headroom"),
    table([{ key: "country", label: "Country" }, { key: "tpp", label: "TPP that may be added now", num: true },
      { key: "limit", label: "Bounded by" }],
      Object.entries(r.headroom_tpp).map(([country, tpp]) => ({ country, tpp, limit: (r.headroom_limits || {})[country]?.text || "no limit" })),
      { sortKey: "tpp", dir: -1 }));
}

async function viewScreening() {
  await loadCountries();
  const allowed = can("analyst");
  const name = h("input", { name: "name", required: true, id: "screen-name" });
  const country = countrySelect("country", "");
  const out = h("div");
  const run = async () => {
    const q = new URLSearchParams({ name: name.value });
    if (country.value) q.set("country", country.value);
    const r = await guard(() => api("GET", `/v1/screen?${q}`));
    if (!r) return;
    const judge = (hit, verdict) => guard(async () => {
      await api("POST", "/v1/judgements", { entry_id: hit.entry_id, query: name.value, verdict });
      await run();
      say(`Recorded: ${verdict.replace("_", " ")} for ${hit.entry_id}.`, "info");
    });
    put(out, h("p", {}, "Decision: ", h("strong", {}, r.decision), ` (${r.hits.length} hits, ${r.algorithm})`),
      (r.warnings || []).map((w) => h("p", { class: "message", role: "status" }, `Warning: the ${w}.`)),
      r.hits.length ? table([
        { key: "score", label: "Score", num: true, render: (x) => x.score.toFixed(3) },
        { key: "list", label: "List" },
        { key: "name", label: "Entry", render: (x) => h("span", {}, x.name,
          x.matched_name !== x.name ? h("div", { class: "muted" }, `matched: ${x.matched_name}`) : null,
          x.also_matched && x.also_matched.length ? h("div", { class: "muted" }, `also: ${x.also_matched.join("; ")}`) : null) },
        { key: "where", label: "Where", render: (x) => h("span", {}, (x.countries || []).join(" "),
          (x.addresses || []).length ? h("details", {}, h("summary", {}, `${x.addresses.length} address${x.addresses.length > 1 ? "es" : ""}`),
            h("ul", {}, x.addresses.map((a) => h("li", {}, a)))) : null) },
        { key: "federal_register_notice", label: "FR notice", render: (x) => x.federal_register_notice || "–" },
        { key: "decision", label: "Decision", render: (x) => x.decision + (x.judgement ? ` (judged ${x.judgement.verdict} by ${x.judgement.actor})` : "") },
        { key: "features", label: "Why", render: (x) => h("details", {}, h("summary", {}, (x.features.kind || "features").replace(/_/g, " ")),
          h("ul", {}, Object.entries(x.features).map(([k, val]) => h("li", {}, `${k}: ${typeof val === "number" ? val.toFixed ? +val.toFixed(3) : val : JSON.stringify(val)}`)))) },
        { key: "license_policy", label: "License policy" },
        ...(can("officer") ? [{ key: "act", label: "Judge", render: (x) => h("span", { class: "row" },
          h("button", { type: "button", onclick: () => judge(x, "false_positive") }, "Not this party"),
          h("button", { type: "button", onclick: () => judge(x, "true_match") }, "Same party")) }] : []),
      ], r.hits) : h("p", { class: "muted" }, "No hit."));
  };
  const form = h("form", { class: "grid", onsubmit: (e) => { e.preventDefault(); run(); } },
    h("label", {}, "Name", name), h("label", {}, "Country (hint)", country),
    h("div", {}, h("button", { class: "primary", type: "submit" }, "Screen")));
  // A file of names, as `tiergate screen --batch`: each answered in order, the hits of any row a click away.
  const file = h("input", { type: "file", id: "screen-file", accept: ".csv,.jsonl,.ndjson,.txt,text/csv" });
  const fileOut = h("div", { "aria-live": "polite" });
  const runFile = () => guard(async () => {
    fileOut.replaceChildren();
    const f = file.files[0];
    if (!f) return;
    const csv = /\.csv$/i.test(f.name);
    const r = await api("POST", "/v1/screen", await f.text(), csv ? "text/csv" : "text/plain");
    renderScreenBatch(fileOut, r);
  });
  file.addEventListener("change", runFile);
  const batch = h("section", { "aria-labelledby": "screen-file-title" },
    h("h2", { id: "screen-file-title" }, "Screen a file of names"),
    h("p", { class: "muted" }, "CSV with the columns ", h("code", {}, "id,name,country"), " (name required), or one ",
      h("code", {}, '{"id", "name", "country"}'), " per line. Judge a hit by screening its name above."),
    h("div", { class: "row" }, labelled("Names (CSV or JSON Lines)", file)), fileOut);
  put(view(), h("h1", {}, "Screening"),
    allowed ? form : h("p", { class: "panel" }, `Your role (${S.me.role}) may not screen names.`), out, allowed ? batch : null);
}

function renderScreenBatch(out, r) {
  const rows = r.answers.map((a, i) => ({ n: i + 1, id: a.id || "", decision: a.error ? "rejected" : a.decision,
    top: a.hits && a.hits[0], hits: (a.hits || []).length, a }));
  const counts = {};
  for (const x of rows) counts[x.decision] = (counts[x.decision] || 0) + 1;
  const csv = ["row,id,decision,hits,best_entry,best_list,best_score,error",
    ...rows.map((x) => [x.n, x.id, x.decision, x.hits, x.top ? x.top.name : "", x.top ? x.top.list : "", x.top ? x.top.score : "",
      x.a.error ? x.a.error.message : ""].map(csvCell).join(","))].join("\n");
  put(out,
    h("p", { id: "screen-batch-summary" }, `${rows.length} name(s): `,
      ["match", "review", "clear", "rejected"].filter((k) => counts[k]).map((k) => `${counts[k]} ${k}`).join(", ")),
    ((r.answers.find((a) => a.warnings) || {}).warnings || []).map((w) => h("p", { class: "message", role: "status" }, `Warning: the ${w}.`)),
    h("p", {}, h("button", { type: "button", onclick: () => download("screening.csv", csv, "text/csv") }, "Download CSV")),
    table([
      { key: "n", label: "Row", num: true }, { key: "id", label: "Id" },
      { key: "decision", label: "Decision", render: (x) => h("strong", {}, x.decision) },
      { key: "hits", label: "Hits", num: true },
      { key: "top", label: "Best hit", render: (x) => x.a.error ? `${x.a.error.field ? `${x.a.error.field}: ` : ""}${x.a.error.message} (line ${x.a.error.line})`
        : x.top ? h("details", {}, h("summary", {}, `${x.top.name} (${x.top.list}, ${x.top.score.toFixed(3)})`),
          h("ul", {}, x.a.hits.map((hit) => h("li", {}, `${hit.name} — ${hit.list}, score ${hit.score.toFixed(3)}, ${hit.decision}`)))) : "none" },
    ], rows, { filterable: true, sortKey: "n" }));
}

/** A textarea's lines, trimmed, blank ones dropped. */
const linesOf = (text) => splitLines(text).map((l) => l.trim());

async function viewParties() {
  await loadCountries();
  const officer = can("officer");
  const list = h("div", { id: "parties-list" });
  const done = h("p", { role: "status", id: "parties-done" });
  let parties = [];
  const load = async () => {
    parties = await apiAll("/v1/parties", "parties");
    const rows = parties.map((p) => ({ ...p,
      names: p.aliases.join("; "),
      owned: p.owners.map((o) => `${o.percent} % ${o.owner}`).join("; ") }));
    put(list, rows.length ? table([
      { key: "name", label: "Party", render: (p) => h("span", {}, h("strong", {}, p.name), p.merged.length ? h("div", { class: "muted" }, `merged: ${p.merged.join("; ")}`) : null) },
      { key: "names", label: "Other names" },
      { key: "key", label: "Party key", render: (p) => h("code", {}, p.key) },
      { key: "ultimate_parent", label: "Ultimate parent" },
      { key: "headquarters", label: "HQ" },
      { key: "owned", label: "Owners" },
      { key: "recorded_at", label: "Last change", render: (p) => `${p.recorded_at.slice(0, 19).replace("T", " ")} by ${p.recorded_by}` },
    ], rows, { filterable: true, sortKey: "name" }) : h("p", { class: "muted" }, "No party is registered."));
    for (const sel of document.querySelectorAll("select.party")) {
      const keep = sel.value;
      put(sel, h("option", { value: "" }, "—"), parties.map((p) => h("option", { value: p.name, selected: p.name === keep }, p.name)));
    }
  };
  const change = (method, path, body) => guard(async () => {
    const r = await api(method, path, body);
    // The list first, then the message: whoever reads the message finds the list already showing the change.
    await load();
    done.textContent = `Recorded: ${r.summary}${r.moved_reservations ? `; ${r.moved_reservations} LPP reservation(s) moved to ${r.party.name}` : ""}.`;
    return r;
  });
  const partySelect = (name) => h("select", { name, class: "party", required: true });
  const path = (name) => `/v1/parties/${encodeURIComponent(name)}`;
  const form = (title, id, fields, submit) => h("form", { class: "grid panel", id, onsubmit: async (e) => {
    e.preventDefault();
    if (await submit(Object.fromEntries(new FormData(e.target).entries()))) e.target.reset();
  } }, h("h2", {}, title), fields, h("div", {}, h("button", { class: "primary", type: "submit" }, title)));
  const owners = (text) => linesOf(text || "").map((l) => {
    const i = l.lastIndexOf("=");
    if (i < 0) throw new Error(`owner line "${l}" is not NAME = PERCENT`);
    return { owner: l.slice(0, i).trim(), percent: Number(l.slice(i + 1).replace("%", "").trim()) };
  });
  const forms = officer ? [
    form("Register a party", "party-add", [
      h("label", {}, "Name", h("input", { name: "name", required: true })),
      h("label", {}, "Other names (one per line)", h("textarea", { name: "aliases", rows: 2 })),
      h("label", {}, "Ultimate parent", h("input", { name: "ultimate_parent" })),
      h("label", {}, "Headquarters", countrySelect("headquarters", "")),
      h("label", {}, "Owners (NAME = PERCENT, one per line)", h("textarea", { name: "owners", rows: 2 })),
    ], async (v) => {
      let own;
      try { own = owners(v.owners); } catch (e) { say(e.message); return false; }
      return change("POST", "/v1/parties", { name: v.name, aliases: linesOf(v.aliases || ""), ultimate_parent: v.ultimate_parent || undefined,
        headquarters: v.headquarters || undefined, owners: own });
    }),
    form("Add names", "party-alias", [
      h("label", {}, "Party", partySelect("party")),
      h("label", {}, "New names (one per line)", h("textarea", { name: "aliases", rows: 2, required: true })),
    ], (v) => change("POST", `${path(v.party)}/aliases`, { aliases: linesOf(v.aliases) })),
    form("Merge", "party-merge", [
      h("label", {}, "This party", partySelect("from")),
      h("label", {}, "becomes part of", partySelect("into")),
    ], (v) => change("POST", "/v1/parties/merge", { from: v.from, into: v.into })),
    form("Record an owner", "party-owner", [
      h("label", {}, "Party", partySelect("party")),
      h("label", {}, "Owner", h("input", { name: "owner", required: true })),
      h("label", {}, "Share in % (0 removes)", h("input", { name: "percent", type: "number", min: "0", max: "100", step: "0.001", required: true })),
    ], (v) => change("PUT", `${path(v.party)}/owners`, { owner: v.owner, percent: Number(v.percent) })),
  ] : [h("p", { class: "panel" }, `Your role (${S.me.role}) may read the registry; an officer token can change it.`)];
  put(view(), h("h1", {}, "Parties"),
    h("p", { class: "muted" }, "Names that are one party share one LPP pool; determinations resolve names through this registry and screen the recorded owners (Affiliates rule). Every change is in the audit log."),
    done, list, forms);
  await load();
}

async function viewAudit() {
  const out = h("div");
  const verifyOut = h("p", { role: "status" });
  const cursors = [0];
  const page = async (i) => {
    const p = await api("GET", `/v1/audit?after=${cursors[i]}&limit=50`);
    if (p.next_after !== null) cursors[i + 1] = p.next_after;
    put(out, 
      table([{ key: "seq", label: "#", num: true }, { key: "at", label: "When" }, { key: "actor", label: "Who" }, { key: "action", label: "What" },
        { key: "reservation", label: "Reservation" }, { key: "pool", label: "Pool" }, { key: "tpp", label: "TPP", num: true },
        { key: "reason", label: "Why" }, { key: "hash", label: "Hash", render: (e) => h("code", { title: e.hash }, e.hash.slice(0, 12)) }], p.entries, { sortKey: "seq" }),
      h("div", { class: "row" },
        h("button", { type: "button", disabled: i === 0, onclick: () => guard(() => page(i - 1)) }, "← Previous page"),
        h("span", { class: "muted" }, `Page ${i + 1}`),
        h("button", { type: "button", disabled: p.next_after === null, onclick: () => guard(() => page(i + 1)) }, "Next page →")),
      p.entries.length ? null : h("p", { class: "muted" }, "The log is empty."));
  };
  // A checkpoint (`HASH:COUNT`) to keep away from the database, and a check that the log still extends one.
  const checkpointIn = h("input", { id: "checkpoint", placeholder: "HASH:COUNT (optional)", size: 40, "aria-label": "Checkpoint to verify against" });
  const verify = () => guard(async () => {
    const cp = checkpointIn.value.trim();
    const r = await api("GET", cp ? `/v1/audit/verify?checkpoint=${encodeURIComponent(cp)}` : "/v1/audit/verify");
    const keyed = r.keyed_from ? `, keyed (HMAC) from entry ${r.keyed_from}` : "";
    const extends_ = r.checkpoint ? `, extends checkpoint ${r.checkpoint.slice(0, 12)}…:${r.checkpoint.split(":")[1]}` : "";
    verifyOut.textContent = r.ok
      ? `Verified: ${r.entries} entries, chain intact${keyed}${extends_}, balances replay exactly.`
      : `Problems: ${r.problems.join("; ")}`;
  });
  const checkpointOut = h("code", { id: "checkpoint-out" });
  const checkpoint = () => guard(async () => {
    const c = await api("GET", "/v1/audit/checkpoint");
    checkpointOut.textContent = c.checkpoint;
    checkpointIn.value = c.checkpoint;
  });
  put(view(), h("h1", {}, "Audit log"),
    h("div", { class: "row" }, h("button", { type: "button", id: "verify", onclick: verify }, "Verify the chain"), checkpointIn, verifyOut),
    h("div", { class: "row" }, h("button", { type: "button", id: "take-checkpoint", onclick: checkpoint }, "Take a checkpoint"), checkpointOut,
      h("span", { class: "muted" }, "Keep it away from the database (docs/SECURITY.md): a later verify against it proves nothing up to it changed.")),
    out);
  await page(0);
}

// ---- scenarios ---------------------------------------------------------------------------------------------

// The values the builder offers to change, by the pack key `[set]` takes (docs/SCENARIOS.md). Left empty, a value
// stays as the base has it.
const SCENARIO_VALUES = [
  ["allocation.country_tpp", "Tier 2 country allocation, TPP"],
  ["allocation.assurance_percent", "Allocation with assurances, % of the allocation"],
  ["lpp.annual_limit_tpp", "LPP limit per ultimate consignee and year, TPP"],
  ["uveu.outside_tier1_max_percent", "UVEU: most outside Tier 1, %"],
  ["uveu.single_country_max_percent", "UVEU: most in one Tier 2 country, %"],
  ["uveu.outside_us_max_percent", "UVEU headquartered in the US: most outside it, %"],
];
const TIER_CATEGORY = { 1: "tier 1", 2: "tier 2", 3: "tier 3" };
const svgData = (svg) => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;

/** Countries by code under a regime or a saved scenario, on S.date. */
async function countriesUnder(query) {
  const list = await api("GET", `/v1/countries?date=${S.date}&${query}`);
  return new Map(list.map((c) => [c.code, c]));
}

/** Two maps side by side, base and scenario, with the countries whose tier or class differs outlined. */
async function sideBySide(base, scenario, baseLabel, scenarioLabel, onPick, shownAs) {
  const changed = new Set([...scenario.keys()].filter((k) => {
    const a = base.get(k), b = shownAs ? shownAs(scenario.get(k)) : scenario.get(k);
    return a && b && a.category !== b.category;
  }));
  // The two maps may share one list (the builder's pending moves are drawn over the base): say which side.
  const describe = (right) => (c) => {
    const x = right ? (shownAs ? shownAs(scenario.get(c.code) || c) : scenario.get(c.code) || c) : base.get(c.code) || c;
    return [h("strong", {}, `${c.name} (${c.code})`), h("br"), categoryName(x),
      right && changed.has(c.code) ? [h("br"), `was ${categoryName(base.get(c.code))}`] : null];
  };
  const left = await worldMap({ byCode: base, label: `${baseLabel} on ${S.date}`, describe: describe(false), onPick: () => {}, id: "map-base" });
  const right = await worldMap({ byCode: scenario, label: `${scenarioLabel} on ${S.date}`, describe: describe(true), onPick: onPick || (() => {}), marked: changed, shownAs, id: "map-scenario" });
  const names = [...changed].sort().map((k) => `${scenario.get(k).name} (${k}): ${categoryName(base.get(k))} → ${categoryName(shownAs ? shownAs(scenario.get(k)) : scenario.get(k))}`);
  return h("div", {},
    h("div", { class: "sides2" },
      h("figure", {}, h("figcaption", {}, baseLabel), left),
      h("figure", {}, h("figcaption", {}, scenarioLabel, " ", h("span", { class: "muted" }, "(changed countries outlined)")), right)),
    h("p", { id: "changed-countries", class: "muted" }, names.length ? `Changed: ${names.join("; ")}` : "No country changes tier or class on this date."));
}

async function viewScenarios(name) {
  await loadRegimes();
  if (name) return viewScenario(name);
  const saved = (await api("GET", "/v1/scenarios")).items;
  const list = saved.length
    ? table([
        { key: "name", label: "Name", render: (r) => h("a", { href: `#/scenarios/${encodeURIComponent(r.name)}` }, r.name) },
        { key: "title", label: "Title" }, { key: "base", label: "Base" }, { key: "changes", label: "Changes", num: true },
        { key: "saved_by", label: "Saved by" }, { key: "saved_at", label: "Saved at" },
      ], saved.map((x) => ({ ...x, changes: x.changes.length })), { sortKey: "name" })
    : h("p", { class: "muted" }, "No scenario is saved yet.");
  const parts = [h("h1", {}, "Scenarios"),
    h("p", {}, "What-if regimes: countries moved between tiers, assurances, caps and percentages changed. Their answers name the pack ",
      h("code", {}, "scenario:NAME"), " and are never recorded; they are hypothetical, not the regulation (docs/SCENARIOS.md)."),
    h("h2", {}, "Saved"), list];
  if (can("analyst")) parts.push(await scenarioBuilder());
  else parts.push(h("p", { class: "panel" }, `Your role (${S.me.role}) may read scenarios but not save them.`));
  parts.push(h("h2", {}, "Allocation pressure under the codified text"), capacityFigure(null));
  put(view(), ...parts);
}

/** The builder: click a country on the right map to move it (Tier 1, 2, 3, back), add assurances, change values. */
async function scenarioBuilder() {
  const moves = new Map(), assured = new Set();
  let baseName = "codified";
  const root = h("div", { id: "builder" });
  const nameIn = h("input", { id: "scenario-name", required: true, pattern: "[a-z0-9][a-z0-9\\-]*", maxlength: 64, placeholder: "lower-case-name" });
  const titleIn = h("input", { id: "scenario-title", maxlength: 200, placeholder: "optional" });
  const values = SCENARIO_VALUES.map(([key, label]) => [key, h("input", { type: "number", min: "0", step: "any", "data-key": key, placeholder: "as the base", "aria-label": label }), label]);
  const movesOut = h("ul", { id: "scenario-moves" });
  const maps = h("div");
  const assureSel = h("select", { id: "assure-country", "aria-label": "Country giving assurances" });
  const redraw = async () => {
    const base = await countriesUnder(`regime=${encodeURIComponent(baseName)}`);
    put(assureSel, h("option", { value: "" }, "—"), [...base.values()].filter((c) => c.tier === 2).sort((a, b) => a.name.localeCompare(b.name)).map((c) => h("option", { value: c.code }, `${c.name} (${c.code})`)));
    const shownAs = (c) => (moves.has(c.code) ? { ...c, tier: moves.get(c.code), category: TIER_CATEGORY[moves.get(c.code)] } : c);
    const pick = (c) => {
      const now = base.get(c.code);
      const order = [1, 2, 3].filter((t) => t !== now.tier);
      const next = !moves.has(c.code) ? order[0] : order[order.indexOf(moves.get(c.code)) + 1];
      if (next === undefined) moves.delete(c.code); else moves.set(c.code, next);
      guard(redraw);
    };
    put(movesOut, [...moves].map(([code, tier]) => h("li", {}, `${base.get(code).name} (${code}) → Tier ${tier} `,
      h("button", { type: "button", "aria-label": `Undo the move of ${code}`, onclick: () => { moves.delete(code); guard(redraw); } }, "✕"))),
    [...assured].map((code) => h("li", {}, `${code} gives Supp. No. 5(b) assurances `,
      h("button", { type: "button", "aria-label": `Undo the assurance of ${code}`, onclick: () => { assured.delete(code); guard(redraw); } }, "✕"))));
    put(maps, await sideBySide(base, base, `Base: ${baseName}`, "Scenario (click a country to move it)", pick, shownAs));
  };
  const save = (e) => guard(async () => {
    e.preventDefault();
    const set = {};
    for (const [key, input] of values) if (input.value.trim() !== "") set[key] = Number(input.value);
    const body = { name: nameIn.value.trim(), base: baseName, title: titleIn.value.trim() || undefined,
      move: [...moves].map(([country, tier]) => ({ country, tier })), assure: [...assured].map((country) => ({ country })), set };
    try {
      const saved = await api("POST", "/v1/scenarios", body);
      say(`Saved ${saved.pack}.`, "info");
      location.hash = `#/scenarios/${encodeURIComponent(saved.name)}`;
    } catch (err) {
      throw new Error(err.problem && err.problem.field ? `${err.problem.field}: ${err.message}` : err.message);
    }
  });
  put(root, h("h2", {}, "Build a scenario"),
    h("form", { class: "grid", id: "scenario-form", onsubmit: save },
      h("label", {}, "Name", nameIn), h("label", {}, "Title", titleIn),
      regimeInput((v) => { baseName = v; guard(redraw); }, "base", baseName, "Base"),
      dateInput(() => guard(redraw)),
      h("label", {}, "Assurances", h("span", { class: "row" }, assureSel,
        h("button", { type: "button", id: "add-assurance", onclick: () => { if (assureSel.value) { assured.add(assureSel.value); guard(redraw); } } }, "Add"))),
      values.map(([, input, label]) => h("label", {}, label, input)),
      h("button", { class: "primary", type: "submit", id: "save-scenario" }, "Save scenario")),
    h("h2", {}, "Moves and assurances"), movesOut, maps);
  await redraw();
  return root;
}

/** The capacity chart (Epoch AI's clusters against each allocation) under the base and, if named, a scenario. */
function capacityFigure(scenario) {
  const q = scenario ? `scenario=${encodeURIComponent(scenario)}&` : "";
  return h("figure", { id: "capacity" },
    h("img", { src: `/v1/capacity?${q}date=${S.date}&format=svg`, alt: `Share of each Tier 2 allocation the compute installed or planned there would take, on ${S.date}`, class: "chart-img" }),
    h("figcaption", { class: "muted" }, "Data: Epoch AI, GPU Clusters dataset (CC BY 4.0), converted to TPP through the catalog. Bars past 300 % end in an arrow."));
}

async function viewScenario(name) {
  const x = await api("GET", `/v1/scenarios/${encodeURIComponent(name)}`);
  const maps = h("div");
  const drawMaps = async () => {
    const [base, scen] = await Promise.all([countriesUnder(`regime=${encodeURIComponent(x.base)}`), countriesUnder(`scenario=${encodeURIComponent(name)}`)]);
    put(maps, await sideBySide(base, scen, `Base: ${x.base}`, `Scenario: ${x.pack}`));
  };
  const changes = table([
    { key: "key", label: "Key", render: (r) => h("code", {}, r.key) }, { key: "change", label: "Change" },
    { key: "under", label: "Under each pack of the base", render: (r) => h("ul", {}, r.under.map((u) => h("li", {}, h("code", {}, u.pack), `: ${u.effect.replace("_", " ")}`, u.replaces ? ` (replaces ${u.replaces})` : "", u.detail.length ? ` — ${u.detail.join("; ")}` : ""))) },
  ], x.changes);
  const diffOut = h("div", { id: "diff-out" });
  const file = h("input", { type: "file", id: "diff-file", accept: ".csv,.jsonl,.ndjson,text/csv" });
  let against = x.base;
  file.addEventListener("change", () => guard(async () => {
    const f = file.files[0];
    if (!f) return;
    put(diffOut, h("p", { class: "muted", role: "status" }, `Determining ${f.name} twice…`));
    const csv = /\.csv$/i.test(f.name);
    const r = await api("POST", `/v1/scenarios/${encodeURIComponent(name)}/diff?against=${encodeURIComponent(against)}`, await f.text(), csv ? "text/csv" : "application/x-ndjson");
    renderDiff(diffOut, r, name);
  }));
  put(view(),
    h("p", {}, h("a", { href: "#/scenarios" }, "← Scenarios")),
    h("h1", {}, `${x.pack}: ${x.title}`),
    h("p", { class: "muted" }, `Version ${x.version}, written over ${x.base}; saved by ${x.saved_by} at ${x.saved_at}. Hypothetical: not the regulation.`),
    h("div", { class: "row" },
      h("button", { type: "button", onclick: () => download(`${name}.toml`, x.text, "application/toml") }, "Download the scenario file"),
      can("analyst") ? h("button", { type: "button", id: "delete-scenario", onclick: () => guard(async () => {
        if (!window.confirm(`Delete scenario ${name}?`)) return;
        await api("DELETE", `/v1/scenarios/${encodeURIComponent(name)}`);
        say(`Deleted ${name}.`, "info");
        location.hash = "#/scenarios";
      }) }, "Delete") : null),
    h("h2", {}, "Changes"), changes,
    h("h2", {}, "Base and scenario"), h("div", { class: "row" }, dateInput(() => guard(drawMaps))), maps,
    h("h2", {}, "Diff an order book"),
    can("analyst")
      ? h("div", { class: "row" }, regimeInput((v) => { against = v; }, "against", against, "Against"), h("label", { class: "field" }, "Order book (JSON Lines or CSV)", file))
      : h("p", { class: "panel" }, `Your role (${S.me.role}) may not run determinations.`),
    diffOut,
    h("h2", {}, "Allocation pressure"), capacityFigure(name));
  await drawMaps();
}

function renderDiff(out, r, name) {
  const d = r.diff;
  const charts = r.report.charts;
  const byDest = Object.entries(d.by_destination).map(([code, v]) => ({ code, ...v }));
  const changedCsv = () => {
    const cols = ["id", "line", "date", "destination", "change", "before", "after", "error"];
    const cell = (v) => `"${String(v ?? "").replace(/"/g, '""')}"`;
    const side = (x) => (x ? `${x.authorization}${x.review_policy ? ` (${x.review_policy})` : ""}${x.tier ? ` tier ${x.tier}` : ""}` : "");
    return [cols.join(","), ...r.changed.map((c) => [c.id, c.line, c.date, c.destination, c.change, side(c.before), side(c.after), c.error].map(cell).join(","))].join("\n");
  };
  put(out,
    h("table", { id: "diff-summary" }, h("tbody", {},
      h("tr", {}, h("th", { scope: "row" }, "Orders"), h("td", { class: "num" }, fmt(d.orders))),
      h("tr", {}, h("th", { scope: "row" }, "Answers changed"), h("td", { class: "num" }, fmt(d.changed))),
      h("tr", {}, h("th", { scope: "row" }, "Not answered on a side"), h("td", { class: "num" }, fmt(d.errors))))),
    h("h3", {}, "By change"),
    table([{ key: "change", label: "Change" }, { key: "n", label: "Orders", num: true }], Object.entries(d.by_change).map(([change, n]) => ({ change, n })), { sortKey: "n", dir: -1 }),
    h("div", { class: "sides2" },
      h("img", { src: svgData(charts["changed-by-destination.svg"]), alt: "Changed orders by destination", class: "chart-img" }),
      h("img", { src: svgData(charts["allocation-use.svg"]), alt: "Allocation use before and after", class: "chart-img" })),
    h("details", {}, h("summary", {}, "By destination"),
      table([{ key: "code", label: "Destination" }, { key: "orders", label: "Orders", num: true }, { key: "changed", label: "Changed", num: true },
        { key: "tpp", label: "TPP", num: true }, { key: "licenses_before", label: "Licenses before", num: true }, { key: "licenses_after", label: "Licenses after", num: true }],
      byDest, { sortKey: "changed", dir: -1, filterable: true })),
    h("div", { class: "row" },
      h("button", { type: "button", id: "download-report", onclick: () => download(`${name}-diff.md`, r.report.markdown, "text/markdown") }, "Download the report (Markdown)"),
      h("button", { type: "button", onclick: () => { for (const [f, svg] of Object.entries(charts)) download(f, svg, "image/svg+xml"); } }, "Download its charts (SVG)"),
      h("button", { type: "button", onclick: () => download(`${name}-diff.json`, JSON.stringify(d, null, 2), "application/json") }, "Download the counts (JSON)"),
      h("button", { type: "button", onclick: () => download(`${name}-changed.csv`, changedCsv(), "text/csv") }, `Download the changed orders (CSV${r.changed.length < d.changed + d.errors ? `, first ${r.changed.length}` : ""})`)));
}

// ---- exposure ----------------------------------------------------------------------------------------------

const usd = (v) => (v === null || v === undefined ? "–" : `$${Math.round(v).toLocaleString("en-US")}`);
/**
 * One CSV cell, quoted. Text that a spreadsheet would run as a formula (a leading =, +, -, @, tab or carriage
 * return: ids and names come from uploaded files) is kept as text by a leading apostrophe; numbers stay numbers.
 */
const csvCell = (v) => {
  const text = String(v ?? "");
  const safe = typeof v === "string" && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
};

async function viewExposure() {
  await loadRegimes();
  await loadCountries();
  const allowed = can("analyst");
  const file = h("input", { type: "file", id: "exposure-file", accept: ".csv,.parquet,text/csv" });
  const products = h("input", { type: "text", id: "exposure-products", placeholder: "8470,8471,8541,8542", size: 24 });
  const exporter = h("input", { type: "text", id: "exposure-exporter", placeholder: "US", size: 8 });
  const date = h("input", { type: "date", id: "exposure-date", value: S.date, min: FIRST_DAY, max: LAST_DAY });
  const regime = regimeInput(() => {}, "exposure-regime", S.regime);
  const status = h("p", { class: "muted", role: "status" });
  const out = h("div", { id: "exposure-out" });
  const run = h("button", { type: "submit", id: "exposure-run" }, "Compute the exposure");
  const form = h("form", { class: "panel", onsubmit: (ev) => {
    ev.preventDefault();
    guard(async () => {
      const f = file.files[0];
      if (!f) throw new Error("Choose a file of flows (CSV or Parquet) first.");
      put(out);
      const params = new URLSearchParams({ by: "period,tier", date: date.value, regime: regime.querySelector("select").value });
      if (products.value.trim()) params.set("products", products.value.trim());
      if (exporter.value.trim()) params.set("exporter", exporter.value.trim());
      const parquet = /\.parquet$/i.test(f.name);
      status.textContent = `Reading ${f.name} (${fmt(f.size)} bytes)…`;
      run.disabled = true;
      try {
        const r = await api("POST", `/v1/exposure?${params}`, f, parquet ? "application/vnd.apache.parquet" : "text/csv");
        status.textContent = "";
        await renderExposure(out, r, f.name.replace(/\.[^.]+$/, ""));
      } catch (e) { status.textContent = ""; put(out); throw e; } finally { run.disabled = false; }
    });
  } },
    h("label", { class: "field" }, "Flows (CSV or Parquet)", file),
    h("label", { class: "field" }, "Products (HS prefixes, comma-separated)", products),
    h("label", { class: "field" }, "Exporter", exporter),
    h("label", { class: "field" }, "Tiers as on", date), regime, run);
  put(view(), h("h1", {}, "Exposure by country tier"),
    h("p", {}, "Trade flows set against the country tiers of one regime on one date, for every period: canonical CSV or Parquet (",
      h("code", {}, "period,exporter,importer,product,value_usd[,quantity,supplier,customer,customer_parent]"),
      "), CEPII BACI (", h("code", {}, "t,i,j,k,v,q"), ") or UN Comtrade's bulk CSV. Larger files go through ",
      h("code", {}, "tiergate exposure"), " or a cluster."),
    allowed ? form : h("p", { class: "panel" }, `Your role (${S.me.role}) may not compute exposures; an analyst may.`),
    status, out);
}

async function renderExposure(out, r, name) {
  // A tier's name, or under a regime without tiers the license category the regime gives the country.
  const tierLabel = (g) => (g.tier ? `Tier ${g.tier}` : g.category || "no tier");
  // Value by country over every period, and each country's tier.
  const totals = new Map();
  for (const g of r.by_country) {
    const t = totals.get(g.country) || { code: g.country, tier: g.tier, category: g.category, value_usd: 0, flows: 0 };
    t.value_usd += g.value_usd; t.flows += g.flows;
    totals.set(g.country, t);
  }
  const max = Math.max(1, ...[...totals.values()].map((t) => t.value_usd));
  const byCode = new Map();
  for (const t of totals.values()) {
    const known = S.countries.get(t.code);
    byCode.set(t.code, { code: t.code, name: known ? known.name : t.code, tier: t.tier, category: t.tier ? `tier ${t.tier}` : t.category || "no tier", value_usd: t.value_usd, flows: t.flows });
  }
  const map = await worldMap({
    byCode, id: "exposure-map", label: `Value of the flows by importing country, coloured by tier (${r.pack} on ${r.date})`,
    describe: (c) => [h("strong", {}, c.name), h("div", {}, tierLabel(c)), h("div", {}, `${usd(c.value_usd)} in ${fmt(c.flows)} flows`)],
    onPick: () => {},
    // A logarithmic shade: the largest importer full, one a thousandth of it faint.
    shade: (c) => Math.max(0.15, Math.min(1, 1 + Math.log10(Math.max(c.value_usd, 1) / max) / 3)),
  });
  const noTier = [...totals.values()].filter((t) => !t.tier && !t.category);
  const periods = [...new Set(r.by_tier.map((g) => g.period))].sort();
  const columns = [...new Set(r.by_tier.map(tierLabel))].sort();
  const cell = (p, label) => r.by_tier.find((g) => g.period === p && tierLabel(g) === label);
  const seriesRows = periods.map((p) => {
    const row = { period: p };
    columns.forEach((label, i) => { const g = cell(p, label); row[`c${i}`] = g ? g.share : null; });
    row.total = columns.reduce((sum, label) => sum + ((cell(p, label) || {}).value_usd || 0), 0);
    return row;
  });
  const parties = r.counterparties.map((c) => ({ ...c, name: c.customer || `${countryName(c.country)} (no customer named)`, tierName: tierLabel(c) }));
  const partiesCsv = () => ["counterparty,customer_parent,country,tier,category,value_usd,share,flows",
    ...r.counterparties.map((c) => [c.customer || "", c.customer_parent || "", c.country || "", c.tier ?? "", c.category || "", c.value_usd, c.share, c.flows].map(csvCell).join(","))].join("\n");
  const bad = r.input.bad || [];
  put(out,
    h("p", { id: "exposure-summary" }, `${fmt(r.input.rows)} rows read as ${r.input.format}; `,
      r.input.bad_rows ? h("strong", {}, `${fmt(r.input.bad_rows)} not read`) : "none left out",
      `. Tiers of ${r.pack} (regime ${r.regime}) on ${r.date}; sha256 `, h("code", {}, r.sha256.slice(0, 16)), "…"),
    bad.length ? h("details", {}, h("summary", {}, `Rows not read (first ${bad.length})`),
      h("ul", {}, bad.map((b) => h("li", {}, `line ${b.line}: ${b.problem}`)))) : null,
    h("h2", {}, "Where the value goes"), map,
    h("p", { class: "muted" }, "Colour: the importing country's tier (under a regime without tiers, its license category); depth: its value over every period (logarithmic). ",
      noTier.length ? `${noTier.length} destinations have no tier (areas, codes with no single country): ${noTier.map((t) => t.code).slice(0, 8).join(", ")}${noTier.length > 8 ? "…" : ""}.` : ""),
    h("h2", {}, "Share of value by tier, over time"),
    h("img", { src: svgData(r.report.charts["share-by-tier.svg"]), alt: "Share of each period's value by tier", class: "chart-img", id: "exposure-chart" }),
    table([{ key: "period", label: "Period" }, ...columns.map((label, i) => ({ key: `c${i}`, label, num: true, render: (row) => pct(row[`c${i}`]) })),
      { key: "total", label: "Total value (USD)", num: true, render: (row) => usd(row.total) }], seriesRows, { sortKey: "period" }),
    h("h2", {}, "Counterparties with the most value"),
    h("p", { class: "muted" }, "Named customers where the flows name them, else the importing countries."),
    h("div", { class: "tall", id: "exposure-parties" },
      table([{ key: "name", label: "Counterparty" }, { key: "customer_parent", label: "Parent" }, { key: "country", label: "Country" }, { key: "tierName", label: "Tier" },
        { key: "value_usd", label: "Value (USD)", num: true, render: (c) => usd(c.value_usd) }, { key: "share", label: "Share", num: true, render: (c) => pct(c.share) },
        { key: "flows", label: "Flows", num: true }], parties, { sortKey: "value_usd", dir: -1, filterable: true })),
    ...screenedParties(r.screening),
    h("h2", {}, "Concentration"),
    table([{ key: "period", label: "Period" }, { key: "tierName", label: "Tier" }, { key: "countries", label: "Countries", num: true },
      { key: "hhi", label: "HHI", num: true, render: (c) => c.hhi.toFixed(3) }, { key: "top", label: "Largest", render: (c) => c.top.slice(0, 3).map((t) => `${t.country} ${(t.share * 100).toFixed(1)} %`).join(", ") }],
    r.concentration.map((c) => ({ ...c, tierName: tierLabel(c) })), { sortKey: "period" }),
    h("div", { class: "row" },
      h("button", { type: "button", id: "exposure-download-parties", onclick: () => download(`${name}-counterparties.csv`, partiesCsv(), "text/csv") }, "Download the counterparties (CSV)"),
      h("button", { type: "button", id: "exposure-download-report", onclick: () => download(`${name}-exposure.md`, r.report.markdown, "text/markdown") }, "Download the report (Markdown)"),
      h("button", { type: "button", onclick: () => { for (const [f, svg] of Object.entries(r.report.charts)) download(f, svg, "image/svg+xml"); } }, "Download its map and chart (SVG)"),
      h("button", { type: "button", onclick: () => { const { report, ...doc } = r; download(`${name}-exposure.json`, JSON.stringify(doc, null, 2), "application/json"); } }, "Download the figures (JSON)")));
}

// The counterparties the flows name, screened against the server's lists and party registry: what was done, and
// each flagged one with its reasons and the lines of the flows naming it.
function screenedParties(sc) {
  if (!sc) return [];
  const roles = { supplier: "supplier", customer: "customer", customer_parent: "customer's parent" };
  const head = [h("h2", {}, "Screened counterparties"), ...(sc.notes || []).map((n) => h("p", { class: "muted" }, n))];
  if (!sc.names) return head;
  head.push(h("p", { id: "exposure-screening" }, `${fmt(sc.names_screened)} of ${fmt(sc.names)} distinct names screened`,
    sc.screened ? ` against ${sc.lists.join("; ")}` : "", `; the party registry holds ${fmt(sc.registry_parties || 0)} parties.`),
    ...(sc.warnings || []).map((w) => h("p", { class: "message", role: "status" }, `Warning: the ${w}.`)));
  if (!sc.flagged.length) return [...head, h("p", { id: "exposure-flagged" }, "No counterparty is flagged.")];
  const rows = sc.flagged.map((f) => ({ ...f, roleName: roles[f.role] || f.role, why: f.reasons.join("; "),
    lines: f.evidence.some((e) => e.line != null) ? `line ${f.evidence.map((e) => e.line).join(", ")}` : `${f.evidence.length} flows` }));
  return [...head, h("div", { id: "exposure-flagged", class: "tall" },
    table([{ key: "name", label: "Name" }, { key: "roleName", label: "Role" }, { key: "country", label: "Country" }, { key: "why", label: "Why flagged" },
      { key: "value_usd", label: "Value (USD)", num: true, render: (f) => usd(f.value_usd) }, { key: "flows", label: "Flows", num: true },
      { key: "lines", label: "Evidence" }], rows, { sortKey: "value_usd", dir: -1 }))];
}

// ---- cases: recorded determinations --------------------------------------------------------------------------

const CASE_NEXT = { draft: ["approved", "withdrawn"], approved: ["shipped", "withdrawn"], shipped: [], withdrawn: [] };

async function viewCases(id) {
  if (id) return viewCase(id);
  await loadCountries();
  const field = (name, label, attrs = {}) => h("label", {}, label, h("input", { name, ...attrs }));
  const status = h("select", { name: "status" }, h("option", { value: "" }, "any"), Object.keys(CASE_NEXT).map((s) => h("option", { value: s }, s)));
  const authorization = h("select", { name: "authorization" }, h("option", { value: "" }, "any"),
    ["NLR", "AIA", "ACA", "NAC", "ACM", "UVEU", "NVEU", "LPP", "LICENSE"].map((a) => h("option", { value: a }, a)));
  const out = h("div", { id: "cases-list" });
  const form = h("form", { id: "cases-form", class: "panel", onsubmit: (e) => { e.preventDefault(); guard(() => page([0], 0)); } },
    h("div", { class: "row" }, field("id", "Id starts with"), field("party", "Consignee or parent"), field("destination", "Destination"),
      field("item", "Item"), h("label", {}, "Authorization", authorization), h("label", {}, "Status", status),
      field("from", "Dated from", { type: "date" }), field("to", "to", { type: "date" })),
    h("button", { type: "submit", id: "cases-search" }, "Search"));
  const page = async (cursors, i) => {
    const q = new URLSearchParams({ limit: "50", after: String(cursors[i]) });
    for (const [k, v] of new FormData(form)) if (String(v).trim()) q.set(k, String(v).trim());
    const p = await api("GET", `/v1/determinations?${q}`);
    if (p.next_after !== null) cursors[i + 1] = p.next_after;
    const rows = p.determinations.map((d) => ({ ...d, summary: (d.answer && d.answer.summary) || "" }));
    put(out, rows.length ? table([
      { key: "id", label: "Id", render: (d) => h("a", { href: `#/cases/${encodeURIComponent(d.id)}` }, d.id) },
      { key: "date", label: "Date" }, { key: "destination", label: "Destination" }, { key: "item", label: "Item" },
      { key: "authorization", label: "Answer" }, { key: "status", label: "Status", render: (d) => h("span", { class: `case ${d.status}` }, d.status) },
      { key: "summary", label: "In one sentence" },
      { key: "at", label: "Recorded", render: (d) => `${d.at.slice(0, 16).replace("T", " ")} by ${d.actor}` },
    ], rows, { sortKey: "seq" }) : h("p", { class: "muted" }, "No recorded determination matches."),
    h("div", { class: "row" },
      h("button", { type: "button", disabled: i === 0, onclick: () => guard(() => page(cursors, i - 1)) }, "← Previous page"),
      h("span", { class: "muted" }, `Page ${i + 1}`),
      h("button", { type: "button", disabled: p.next_after === null, onclick: () => guard(() => page(cursors, i + 1)) }, "Next page →")));
  };
  put(view(), h("h1", {}, "Cases"),
    h("p", { class: "muted" }, "Recorded determinations (Check an export or Batch with recording, or the CLI's --record), as cases: draft, approved, shipped or withdrawn."),
    form, out);
  await page([0], 0);
}

async function viewCase(id) {
  const c = await api("GET", `/v1/determinations/${encodeURIComponent(id)}`);
  const officer = can("officer");
  const done = h("p", { role: "status", id: "case-done" });
  const act = (path, body, what) => guard(async () => {
    await api("POST", `/v1/determinations/${encodeURIComponent(id)}/${path}`, body);
    await viewCase(id);
    $("#case-done").textContent = `Recorded: ${what}.`;
  });
  const note = h("textarea", { name: "note", rows: 2, cols: 60, maxlength: 1000, "aria-label": "A note" });
  // Shipping posts the reservation the determination recorded, withdrawing voids it (in the same transaction).
  const held = c.answer && c.answer.recorded && c.answer.recorded.id;
  const effect = { shipped: "posts its reservation", withdrawn: "voids its reservation" };
  const moves = officer && CASE_NEXT[c.status].length
    ? h("div", { class: "row", id: "case-moves" }, CASE_NEXT[c.status].map((to) => h("button", { type: "button", "data-status": to,
      onclick: () => act("status", { status: to, note: note.value.trim() || null }, `moved to ${to}`) }, `Mark ${to}`)),
      held && CASE_NEXT[c.status].some((to) => effect[to])
        ? h("span", { class: "muted" }, CASE_NEXT[c.status].filter((to) => effect[to]).map((to) => `${to} ${effect[to]} (${held})`).join("; ")) : null)
    : null;
  const a = c.answer || {};
  put(view(), h("h1", {}, `Case ${c.id}`),
    h("p", { class: "summary", id: "case-summary" }, a.summary || "Recorded before answers carried a summary."),
    h("p", {}, "Status: ", h("strong", { id: "case-status", class: `case ${c.status}` }, c.status),
      ` · ${a.authorization || c.authorization} under ${c.pack} (sha256 ${c.sha256.slice(0, 12)}…) · recorded ${c.at.slice(0, 16).replace("T", " ")} by ${c.actor}`),
    h("p", {}, h("a", { href: `/v1/determinations/${encodeURIComponent(c.id)}/memo`, target: "_blank", rel: "noopener", id: "case-memo" }, "Print / PDF: the memo to file"),
      " · ", h("a", { href: "#/cases" }, "All cases")),
    h("h2", {}, "History"),
    c.notes.length ? h("ol", { id: "case-history" }, c.notes.map((n) => h("li", {},
      `${n.at.slice(0, 16).replace("T", " ")} ${n.actor}: `, n.status ? h("strong", {}, `moved to ${n.status}`) : "note",
      n.text ? ` — ${n.text}` : ""))) : h("p", { class: "muted", id: "case-history" }, "No note or change of status yet."),
    officer ? h("div", { class: "panel" }, h("label", {}, "Note (kept with a change of status, or added alone)", note),
      h("div", { class: "row" }, moves, h("button", { type: "button", id: "case-add-note",
        onclick: () => (note.value.trim() ? act("notes", { text: note.value.trim() }, "note added") : say("Write the note first.")) }, "Add the note")), done)
      : h("p", { class: "muted" }, `Your role (${S.me.role}) may read cases; an officer moves them and adds notes.`),
    h("h2", {}, "Reasons"), reasonsList(a.reasons || []),
    a.obligations && a.obligations.length ? [h("h2", {}, "Obligations"), reasonsList(a.obligations)] : null);
}

// ---- start -------------------------------------------------------------------------------------------------

window.addEventListener("hashchange", route);
document.addEventListener("DOMContentLoaded", async () => {
  $("#sign-out").addEventListener("click", signOut);
  // `tiergate serve` prints a link with the first admin token in the fragment: sign in with it, then forget it.
  const given = location.hash.match(/^#token=(tg_[0-9a-f]+)$/);
  if (given) {
    history.replaceState(null, "", location.pathname);
    const signed = await guard(() => api("POST", "/v1/session", { token: given[1] }));
    if (signed) { S.me = signed; start(); return; }
  }
  const me = await guard(() => api("GET", "/v1/session"));
  if (me && me.signed_in) {
    S.me = me;
    start();
  } else {
    renderSignIn();
  }
});
