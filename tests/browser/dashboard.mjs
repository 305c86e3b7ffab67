// The dashboard in a real browser: Debian's Chromium driven by playwright-core, against the real `tiergate serve`
// on a free port with a fresh SQLite file. Run by crates/tiergate/tests/browser.rs (cargo test), which passes
// TIERGATE_BIN and SCREENSHOTS; standalone: TIERGATE_BIN=target/debug/tiergate node tests/browser/dashboard.mjs
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const bin = process.env.TIERGATE_BIN || join(repo, "target/debug/tiergate");
const shots = process.env.SCREENSHOTS || join(repo, "target/browser-screenshots");
const browserPath = process.env.CHROMIUM || "/usr/bin/chromium";
mkdirSync(shots, { recursive: true });

const dir = mkdtempSync(join(tmpdir(), "tiergate-browser-"));
const db = `sqlite://${join(dir, "dashboard.db")}`;
const cli = (...args) => execFileSync(bin, ["--db", db, ...args], { encoding: "utf8" });

// The lists (for screening) and a viewer token, before the server starts.
cli("lists", "import", join(repo, "tests/data/us-screening-lists/dpl_2022-09.txt"));

const server = spawn(bin, ["--db", db, "serve", "--bind", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
let serverLog = "";
server.stderr.on("data", (d) => { serverLog += d; });
const first = await new Promise((ok, fail) => {
  createInterface({ input: server.stdout }).once("line", (l) => ok(JSON.parse(l)));
  server.once("exit", (c) => fail(new Error(`serve exited ${c}: ${serverLog}`)));
});
const base = first.listening;
assert.ok(first.admin_token, "a new database gets an admin token");
assert.equal(first.dashboard, `${base}/#token=${first.admin_token}`, "serve prints a sign-in URL");
const viewer = JSON.parse(cli("token", "create", "--name", "vera", "--role", "viewer")).token;

const browser = await chromium.launch({
  executablePath: browserPath,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const problems = [];
let step = "start";
let current = null; // the page in use, for a screenshot when a step fails
async function newPage(width = 1280, height = 800) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  current = page;
  page.on("console", (m) => { if (m.type() === "error") problems.push(`${step}: console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`${step}: page error: ${e.message}`));
  return { context, page };
}
const shot = (page, name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const text = (page, sel) => page.locator(sel).first().innerText();

try {
  const { context, page } = await newPage();

  step = "sign in";
  await page.goto(`${base}/`);
  await page.locator("#token").fill(first.admin_token);
  await shot(page, "01-sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("nav a[aria-current=page]").waitFor();
  const cookie = (await context.cookies()).find((c) => c.name === "tiergate_session");
  assert.ok(cookie && cookie.httpOnly && cookie.sameSite === "Strict", "the session cookie is HttpOnly and SameSite=Strict");

  step = "map";
  await page.locator('path[data-code="DE"]').waitFor();
  const bytes = await page.evaluate(() => performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
    .reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0));
  assert.ok(bytes > 100_000 && bytes < 1_000_000, `first load under 1 MB (${bytes} bytes)`);
  console.log(`dashboard: first load ${bytes} bytes`);
  for (const [code, tier] of [["DE", "1"], ["MY", "2"], ["CN", "3"]]) {
    const p = page.locator(`path[data-code="${code}"]`);
    assert.equal(await p.getAttribute("data-tier"), tier, `${code} is Tier ${tier}`);
    assert.match(await p.getAttribute("class"), new RegExp(`tier${tier}`));
  }
  const fills = await page.evaluate(() => ["DE", "MY", "CN"].map((c) => getComputedStyle(document.querySelector(`path[data-code="${c}"]`)).fill));
  assert.equal(new Set(fills).size, 3, `three tier colours: ${fills}`);
  // By keyboard: focus shows what hovering shows, Enter opens the country.
  await page.locator('path[data-code="MY"]').focus();
  assert.match(await text(page, ".tooltip"), /Malaysia[\s\S]*Tier 2[\s\S]*remaining 790,000,000/);
  await shot(page, "02-map");
  // Small countries and territories have a marker: Singapore, Macau, Hong Kong, Bahrain and Malta, each coloured by
  // its tier (Macau is Tier 3 with D:5) and reachable by keyboard; the pointer's twin on top opens the country.
  for (const [code, tier] of [["SG", "2"], ["MO", "3"], ["HK", "3"], ["BH", "2"], ["MT", "2"]]) {
    const m = page.locator(`circle[data-marker][data-code="${code}"]`);
    assert.equal(await m.getAttribute("data-tier"), tier, `${code}'s marker is Tier ${tier}`);
    assert.equal(await m.getAttribute("tabindex"), "0");
  }
  await page.locator('circle[data-marker][data-code="SG"]').focus();
  assert.match(await text(page, ".tooltip"), /Singapore[\s\S]*Tier 2/);
  // Keyboard order is by name: Tab from Singapore reaches the next country alphabetically.
  const order = await page.evaluate(() => [...document.querySelectorAll("svg.map [role=link]")].map((e) => e.getAttribute("aria-label").split(":")[0]));
  assert.deepEqual(order, [...order].sort((a, b) => a.localeCompare(b)), "focus order is alphabetical");
  const next = order[order.indexOf("Singapore") + 1];
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label").split(":")[0]), next);
  await page.locator('circle.marker-top[data-code="MO"]').click();
  await page.getByRole("heading", { name: /Macau|Macao/ }).waitFor();
  await page.goto(`${base}/#/map`);
  await page.locator('path[data-code="MY"]').focus();

  step = "country";
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: /Malaysia/ }).waitFor();
  assert.match(await text(page, "main"), /742\.6\(b\)\(10\)\(iii\)\(B\)/, "the tier's citation");
  await page.locator(".gauge").waitFor();
  await shot(page, "03-country");

  step = "check";
  await page.goto(`${base}/#/check`);
  await page.locator("#check-form select[name=destination]").selectOption("MY");
  await page.locator("#check-form input[name=quantity]").fill("2000");
  for (const spec of await page.locator("#check-form label.spec").all()) assert.ok(!(await spec.isVisible()), "spec-sheet fields hide for a catalog item");
  const superchip = await page.locator("#check-form select[name=item] optgroup[label=NVIDIA] option[value=nvidia-gb200-superchip]").textContent();
  assert.match(superchip, /80,000 TPP for 2 ICs; HBM3e 16,000 GB\/s/, "catalog items grouped by maker, a superchip's TPP per unit and its memory");
  await page.getByRole("button", { name: "Determine" }).click();
  await page.locator("#answer").waitFor();
  assert.doesNotMatch(await text(page, "main"), /^null|\nnull\n/, "no stray text");
  assert.equal(await text(page, "#answer .auth"), "LICENSE");
  // The answer opens with a sentence a manager can read, before the codes and citations.
  assert.match(await text(page, "#answer > p:first-child"), /^A license is required; BIS presumes approval; it would draw [\d.]+M TPP of Malaysia's 790M TPP allocation \(\d+ % then used\)/);
  assert.match(await text(page, "#answer"), /15 CFR 742\.6\(b\)\(10\)\(iii\)\(B\)\(1\)/, "the reason's citation");
  // Model weights trained with 2 x 10^26 operations, unpublished: 4E091, a license.
  await page.locator("#check-form select[name=mode]").selectOption("weights");
  await page.getByRole("button", { name: "Determine" }).click();
  await page.locator("#answer p", { hasText: /^4E091 ·/ }).waitFor();
  assert.equal(await text(page, "#answer .auth"), "LICENSE");
  // The classification alone, as `tiergate classify`: the ECCN and why, with no destination involved.
  await page.getByRole("button", { name: "Classify only" }).click();
  await page.locator("#classify-out").waitFor();
  assert.match(await text(page, "#classify-out"), /^ECCN 4E091[\s\S]*2\.00e\+26 training operations[\s\S]*Why/);
  assert.equal(await page.locator("#answer").count(), 0, "no stale answer beside it");
  await shot(page, "04a-classify");
  await page.locator("#check-form select[name=mode]").selectOption("catalog");
  await page.getByRole("button", { name: "Determine" }).click();
  await page.locator("#answer p", { hasText: /^3A090\.a ·/ }).waitFor();
  await page.locator("#record").click();
  await page.getByText(/Recorded: reserved res-\d+ in country:MY/).waitFor();
  await shot(page, "04-check");
  // The memo to file, opened from the answer: it leads with the summary and names the pack's sha256 and its
  // audit entry; printed to PDF as a user's "Print" would.
  const summaryText = await text(page, "#answer-summary");
  const [memoPage] = await Promise.all([context.waitForEvent("page"), page.locator("#answer-memo").click()]);
  await memoPage.waitForLoadState();
  assert.equal(await text(memoPage, "p.lead"), summaryText);
  const memoText = await text(memoPage, "main");
  assert.match(memoText, /Pack sha256\s+[0-9a-f]{64}/);
  assert.match(memoText, /Audit entry\s+#\d+ at /);
  assert.match(memoText, /Determined and recorded by\s+admin/);
  await shot(memoPage, "04b-memo");
  const pdf = await memoPage.pdf({ path: join(shots, "04b-memo.pdf"), format: "A4" });
  assert.ok(pdf.subarray(0, 4).toString() === "%PDF" && pdf.length > 5000, "the memo prints to PDF");
  await memoPage.close();
  // Cases: the recorded determination, found by its consignee, approved with a note, its history kept.
  await page.goto(`${base}/#/cases`);
  await page.locator("#cases-form input[name=party]").fill("example cloud");
  await page.locator("#cases-form select[name=status]").selectOption("draft");
  await page.locator("#cases-search").click();
  const caseLink = page.locator("#cases-list a", { hasText: /^web-/ }).first();
  await caseLink.waitFor();
  assert.match(await text(page, "#cases-list"), /LICENSE[\s\S]*draft[\s\S]*A license is required/);
  await shot(page, "04c-cases");
  const caseId = await caseLink.innerText();
  await caseLink.click();
  await page.locator("#case-summary").waitFor();
  assert.equal(await text(page, "#case-summary"), summaryText);
  await page.locator("#view textarea[name=note]").fill("end user visited on site");
  await page.locator("#case-moves button[data-status=approved]").click();
  await page.locator("#case-status", { hasText: "approved" }).waitFor();
  assert.match(await text(page, "#case-history"), /admin: moved to approved — end user visited on site/);
  assert.deepEqual(await page.locator("#case-moves button").evaluateAll((b) => b.map((x) => x.dataset.status)), ["shipped", "withdrawn"]);
  assert.match(await text(page, "#case-moves"), /shipped posts its reservation \(res-\d+\); withdrawn voids its reservation/);
  await shot(page, "04d-case");
  // The country's history: its pool's own audit entries (GET /v1/audit?pool=country:MY), this reservation among them.
  await page.goto(`${base}/#/country/MY`);
  await page.getByRole("heading", { name: "History (audit log)" }).waitFor();
  assert.match(await text(page, "main"), new RegExp(`reserve[\\s\\S]*determination ${caseId}`));

  step = "regimes";
  await page.goto(`${base}/#/map`);
  await page.locator('path[data-code="DE"]').waitFor();
  await page.locator("select[name=regime]").selectOption("enforced");
  await page.locator('path[data-code="MY"][data-category="no license"]').waitFor();
  for (const [code, category] of [["SA", "license: D:1/D:4"], ["CN", "license, presumption of denial: Macau/D:5"], ["DE", "no license"]]) {
    assert.equal(await page.locator(`path[data-code="${code}"]`).getAttribute("data-category"), category, `${code} under enforced`);
  }
  assert.equal(await page.locator('path[data-code="MY"]').getAttribute("data-tier"), "", "no tiers in what BIS enforces");
  assert.match(await text(page, "h1"), /License classes/);
  assert.match(await text(page, ".legend"), /presumption of denial/);
  const classFills = await page.evaluate(() => ["DE", "SA", "CN"].map((c) => getComputedStyle(document.querySelector(`path[data-code="${c}"]`)).fill));
  assert.equal(new Set(classFills).size, 3, `three class colours: ${classFills}`);
  await shot(page, "13-map-enforced");
  // The slider moves the date: its first day is 88 FR 73458's, under which the UAE (D:4) needs a license.
  await page.locator("#date-slider").fill("0");
  await page.locator("#regime-pack", { hasText: "us-ac-2023-11" }).waitFor();
  assert.equal(await page.locator('path[data-code="AE"]').getAttribute("data-category"), "license: D:1/D:4");
  await page.locator("select[name=regime]").selectOption("codified");
  await page.locator("#regime-pack", { hasText: "codified on 2023-11-17" }).waitFor();
  await page.locator("#date-slider").fill(String(Math.round((Date.parse("2025-06-01") - Date.parse("2023-11-17")) / 86400000)));
  await page.locator("#regime-pack", { hasText: "ai-diffusion-2025" }).waitFor();
  assert.equal(await page.locator('path[data-code="MY"]').getAttribute("data-tier"), "2");
  await shot(page, "14-map-slider");
  // Check an export under the codified text, with what BIS enforces beside it where the two differ.
  await page.goto(`${base}/#/check`);
  await page.locator("#check-form select[name=regime]").selectOption("codified");
  await page.locator("#check-form select[name=compare]").selectOption("enforced");
  await page.locator("#check-form input[name=date]").fill("2025-06-01");
  await page.locator("#check-form select[name=destination]").selectOption("MY");
  await page.locator("#check-form input[name=quantity]").fill("10");
  await page.getByRole("button", { name: "Determine" }).click();
  await page.locator("#compare").waitFor();
  assert.equal(await text(page, "#answer .auth"), "LPP");
  assert.match(await text(page, "#answer-regime"), /codified timeline: ai-diffusion-2025/);
  assert.match(await text(page, "#compare"), /enforced: enforced-2025-05[\s\S]*NLR/);
  await shot(page, "15-check-compare");
  // Where the timelines agree there is nothing beside the answer.
  await page.locator("#check-form input[name=date]").fill("2024-06-01");
  await page.locator("#check-form select[name=destination]").selectOption("SA");
  await page.locator("#check-form select[name=headquarters]").selectOption("SA");
  await page.getByRole("button", { name: "Determine" }).click();
  await page.locator("#answer-regime", { hasText: "us-ac-2024-04" }).waitFor();
  assert.equal(await page.locator("#compare").count(), 0, "the timelines agree in 2024");

  step = "batch";
  await page.goto(`${base}/#/batch`);
  const book = [
    "id,date,item,quantity,destination,consignee_name,consignee_headquarters",
    "b1,2025-06-01,nvidia-h100-sxm,100,DE,Berlin AI,DE",
    "b2,2025-06-01,nvidia-h100-sxm,2000,MY,Kuala Compute,MY",
    "b3,2025-06-01,nvidia-h100-sxm,10,CN,Shanghai Labs,CN",
    "b4,2025-06-01,nvidia-h100-sxm,500,IN,Mumbai Cloud,IN",
    "b5,2025-06-01,no-such-chip,1,IN,Mumbai Cloud,IN",
    "b6,2025-06-01,nvidia-h100-sxm,10,Malaysia,Penang Labs,MY",
  ].join("\n");
  await page.locator("#batch-file").setInputFiles({ name: "book.csv", mimeType: "text/csv", buffer: Buffer.from(book) });
  await page.getByRole("heading", { name: "Determinations (6)" }).waitFor();
  const main = await text(page, "main");
  for (const a of ["AIA", "LICENSE", "LPP"]) assert.match(main, new RegExp(a), `the totals name ${a}`);
  assert.match(main, /Totals by destination[\s\S]*IN\t2\t7,916,000/, "IN: two requests, one determined");
  assert.match(main, /Totals by destination[\s\S]*MY\t2\t/, "MY and Malaysia are one destination");
  // Outcomes apart: what needs no license, approvals, denials and rejected requests, each a table of its own.
  assert.match(await text(page, "#batch-denial"), /License, presumption of denial \(1\)/);
  assert.match(await text(page, "#batch-approval"), /License, presumption of approval \(1\)/);
  assert.match(await text(page, "#batch-error"), /Rejected request \(1\)/);
  assert.match(await text(page, "#batch-no_license"), /No license needed \(3\)/);
  await page.locator("#batch-chart").waitFor();
  // Each row's reasons open under it, and go into the CSV.
  await page.locator("details summary").filter({ hasText: /A license is required/ }).first().click();
  assert.match(await text(page, "details[open]"), /742\.6/);
  const [batchCsv] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  const batchLines = readFileSync(await batchCsv.path(), "utf8").split("\n");
  assert.equal(batchLines[0], "n,id,destination,code,authorization,outcome,policy,eccn,tpp,pool,summary,reasons,error");
  assert.match(batchLines.find((l) => l.startsWith('"6"')), /"Malaysia","MY",/);
  assert.match(batchLines.find((l) => l.startsWith('"3"')), /"denial"[\s\S]*742\.6/);
  assert.match(await text(page, "[role=status]"), /6 of 6 requests determined/);
  await shot(page, "05-batch");

  step = "allocations";
  await page.goto(`${base}/#/allocations`);
  await page.getByRole("heading", { name: "Most-used Tier 2 allocations" }).waitFor();
  assert.match(await text(page, "main"), /country:MY/);
  await shot(page, "06-allocations");

  step = "fleet";
  await page.goto(`${base}/#/fleet`);
  await page.locator("select[name=headquarters]").selectOption("US");
  await page.locator("#fleet-file").setInputFiles({ name: "fleet.csv", mimeType: "text/csv", buffer: Buffer.from("site,country,tpp\nAshburn,US,900000000\nJohor,MY,100000000\n") });
  await page.locator("#fleet-summary").waitFor();
  assert.match(await text(page, "#fleet-summary"), /1 limit\(s\) broken/);
  assert.equal(await page.locator("tr.violation").count(), 1);
  assert.match(await text(page, "tr.violation"), /any one country outside Tier 1[\s\S]*MY/, "the rule in words, not its key");
  await shot(page, "07-fleet");
  // A plan: 50M TPP more in Malaysia needs 1,092,857,143 TPP at home for the 7 % limit (docs/FLEET.md).
  await page.locator("select.add-country").first().selectOption("MY");
  await page.locator("input.add-tpp").first().fill("50000000");
  await page.locator("#fleet-plan-run").click();
  await page.locator("#fleet-plan").waitFor();
  assert.match(await text(page, "#fleet-plan"), /To add 50,000,000 TPP in Malaysia, add at least 1,092,857,143 TPP in the United States/);
  await page.getByRole("button", { name: "Another country" }).click();
  await page.locator("select.add-country").nth(1).selectOption("MO");
  await page.locator("input.add-tpp").nth(1).fill("1");
  await page.locator("#fleet-plan-run").click();
  await page.getByText(/cannot be made compliant/).waitFor();
  await shot(page, "07-fleet-plan");

  step = "screening";
  await page.goto(`${base}/#/screening`);
  await page.locator("#screen-name").fill("Aaron Abraham Villa");
  await page.getByRole("button", { name: "Screen" }).click();
  await page.getByText(/Decision: match/).waitFor();
  assert.match(await text(page, "main"), /AARON ABRAHAM VILLA/);
  assert.match(await text(page, "main"), /1 address/, "the entry's address, as the list writes it");
  // A file of names: each answered in order; a row with an unknown country is rejected with its line.
  await page.locator("#screen-file").setInputFiles({ name: "names.csv", mimeType: "text/csv",
    buffer: Buffer.from("id,name,country\nn1,Aaron Abraham Villa,US\n=2+3,Quiet Valley Robotics,\nn3,Someone,Atlantis\n") });
  await page.locator("#screen-batch-summary").waitFor();
  assert.match(await text(page, "#screen-batch-summary"), /3 name\(s\): 1 match, 1 clear, 1 rejected/);
  assert.match(await text(page, "main"), /country: .*Atlantis.*\(line 4\)/);
  // The download keeps a formula-like id as text, not something a spreadsheet would run.
  const [screened] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  const screenedLines = readFileSync(await screened.path(), "utf8").split("\n");
  assert.equal(screenedLines[0], "row,id,decision,hits,best_entry,best_list,best_score,error");
  assert.match(screenedLines[2], /^"2","'=2\+3","clear","0"/);
  await shot(page, "08-screening-file");
  await page.getByRole("button", { name: "Not this party" }).first().click();
  await page.getByText(/Recorded: false positive/).waitFor();
  await page.getByText(/judged false_positive by admin/).waitFor();
  await shot(page, "08-screening");

  step = "parties";
  // An officer declares two names one party; the check view then counts both spellings against one LPP pool.
  await page.goto(`${base}/#/parties`);
  await page.getByText("No party is registered.").waitFor();
  await page.locator("#party-add input[name=name]").fill("KL Compute");
  await page.locator("#party-add textarea[name=aliases]").fill("Borneo DC");
  await page.locator("#party-add select[name=headquarters]").selectOption("MY");
  await page.getByRole("button", { name: "Register a party" }).click();
  await page.getByText(/Recorded: registered the party "KL Compute"/).waitFor();
  // The message comes before the list is read again: wait for the list, not only the message.
  await page.locator("#parties-list", { hasText: "Borneo DC" }).waitFor();
  assert.match(await text(page, "#parties-list"), /KL Compute[\s\S]*Borneo DC[\s\S]*kl compute[\s\S]*MY/);
  await shot(page, "09-parties");
  await page.goto(`${base}/#/check`);
  const lppOrder = async (name) => {
    await page.locator("#check-form select[name=destination]").selectOption("MY");
    await page.locator("#check-form select[name=headquarters]").selectOption("MY");
    await page.locator("#check-form input[name=quantity]").fill("1000");
    await page.locator("#check-form input[name=consignee]").fill(name);
    await page.getByRole("button", { name: "Determine" }).click();
    // This answer, not the one before it: a case-sensitive match of the name as the reasons quote it.
    const quoted = new RegExp(`the consignee "${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`);
    await page.locator("#answer", { hasText: quoted }).waitFor();
    return text(page, "#answer .auth");
  };
  assert.equal(await lppOrder("BORNEO DC SDN. BHD."), "LPP");
  assert.match(await text(page, "#answer"), /is the registered party "KL Compute" \(by its recorded name "Borneo DC"\)/);
  await page.locator("#record").click();
  await page.getByText(/Recorded: reserved res-\d+ in lpp:kl compute:\d{4}/).waitFor();
  assert.equal(await lppOrder("KL COMPUTE"), "LICENSE", "the second spelling's 1,000 H100 pass 26,900,000 TPP in the one pool");

  step = "audit";
  await page.goto(`${base}/#/audit`);
  await page.locator("table tbody tr").first().waitFor();
  await page.locator("#verify").click();
  await page.getByText(/Verified: \d+ entries, chain intact, keyed \(HMAC\) from entry 1/).waitFor();
  assert.match(await text(page, "main"), /party-add/, "the registry change is in the log");
  assert.match(await text(page, "main"), /sign-in/, "sign-ins are in the log");
  await page.locator("#take-checkpoint").click();
  await page.locator("#checkpoint-out").getByText(/^[0-9a-f]{64}:\d+$/).waitFor();
  await page.locator("#verify").click();
  await page.getByText(/extends checkpoint [0-9a-f]{12}…:\d+/).waitFor();
  await shot(page, "10-audit");

  step = "scenarios";
  await page.goto(`${base}/#/scenarios`);
  await page.locator('#map-scenario path[data-code="PL"]').waitFor();
  await page.getByText("No scenario is saved yet.").waitFor();
  await page.locator("#scenario-name").fill("allies");
  // A click on Poland in the scenario map moves it to Tier 1; it is outlined as changed there.
  await page.locator('#map-scenario path[data-code="PL"]').click();
  await page.locator("#scenario-moves").getByText(/\(PL\) → Tier 1/).waitFor();
  assert.equal(await page.locator('#map-scenario path[data-code="PL"]').getAttribute("data-tier"), "1");
  assert.match(await page.locator('#map-scenario path[data-code="PL"]').getAttribute("class"), /changed/);
  assert.equal(await page.locator('#map-base path[data-code="PL"]').getAttribute("data-tier"), "2", "the base map keeps Poland in Tier 2");
  await page.locator("#assure-country").selectOption("IN");
  await page.locator("#add-assurance").click();
  await page.locator("#scenario-moves").getByText(/IN gives Supp\. No\. 5\(b\) assurances/).waitFor();
  await page.locator('input[data-key="lpp.annual_limit_tpp"]').fill("13450000");
  await shot(page, "16-scenario-builder");
  await page.locator("#save-scenario").click();
  await page.waitForURL(/#\/scenarios\/allies$/);
  await page.locator('#map-scenario path[data-code="PL"][data-tier="1"]').waitFor();
  assert.match(await text(page, "#changed-countries"), /Poland \(PL\): Tier 2 → Tier 1/);
  assert.match(await text(page, "main"), /lpp\.annual_limit_tpp/, "the changes are listed");
  // An order book diffed under it: Poland's licence becomes AIA, Malaysia's LPP shipment now needs a licence.
  const orders = [
    { id: "d1", date: "2026-06-01", item: "nvidia-h100-sxm", quantity: 2000, destination: "PL", consignee: { name: "Warsaw DC", headquarters: "PL" } },
    { id: "d2", date: "2026-06-01", item: "nvidia-h100-sxm", quantity: 1000, destination: "MY", consignee: { name: "KL DC", headquarters: "MY" } },
    { id: "d3", date: "2026-06-01", item: "nvidia-h100-sxm", quantity: 10, destination: "FR", consignee: { name: "Paris DC", headquarters: "FR" } },
  ].map((o) => JSON.stringify(o)).join("\n");
  await page.locator("#diff-file").setInputFiles({ name: "orders.jsonl", mimeType: "application/x-ndjson", buffer: Buffer.from(orders) });
  await page.locator("#diff-summary").waitFor();
  assert.match(await text(page, "#diff-summary"), /Orders\s+3\s+Answers changed\s+2/);
  assert.match(await text(page, "#diff-out"), /LICENSE->AIA/);
  assert.match(await text(page, "#diff-out"), /LPP->LICENSE/);
  const [report] = await Promise.all([page.waitForEvent("download"), page.locator("#download-report").click()]);
  assert.equal(report.suggestedFilename(), "allies-diff.md");
  assert.match(readFileSync(await report.path(), "utf8"), /# Scenario diff: scenario:allies against codified/);
  const chartsShown = await page.locator("#diff-out img, #capacity img").evaluateAll((imgs) => imgs.map((i) => i.complete && i.naturalWidth > 0));
  assert.deepEqual(chartsShown, [true, true, true], "the diff's two charts and the capacity chart render");
  await shot(page, "17-scenario");

  step = "exposure";
  await page.goto(`${base}/#/exposure`);
  await page.locator("#exposure-file").waitFor();
  await page.locator("#exposure-products").fill("8470,8471,8541,8542");
  await page.locator("#exposure-date").fill("2026-06-01");
  await page.locator("#exposure-file").setInputFiles(join(repo, "tests/data/baci-sample/ExampleTradeData.csv"));
  await page.locator("#exposure-run").click();
  await page.locator("#exposure-summary").waitFor();
  assert.match(await text(page, "#exposure-summary"), /71,192 rows read as baci; none left out/);
  // Shares by tier of the four product families (the CLI's figures for the same sample and date).
  const series = await text(page, "#exposure-out table");
  assert.match(series, /2021\s+6\.\d\d %\s+73\.\d\d %\s+20\.\d\d %/, series);
  // The map colours importers by tier and shades them by value; countries with no flows stay blank.
  const shaded = await page.locator("#exposure-map path[style*=fill-opacity]").count();
  assert.ok(shaded > 20, `importing countries are shaded (${shaded})`);
  assert.equal(await page.locator('#exposure-map path[data-code="CN"][data-tier="3"]').count(), 1, "China in Tier 3");
  assert.ok(await page.locator("#exposure-chart").evaluate((i) => i.complete && i.naturalWidth > 0), "the time series renders");
  const [parties] = await Promise.all([page.waitForEvent("download"), page.locator("#exposure-download-parties").click()]);
  assert.equal(parties.suggestedFilename(), "ExampleTradeData-counterparties.csv");
  const partiesCsv = readFileSync(await parties.path(), "utf8").split("\n");
  assert.equal(partiesCsv[0], "counterparty,customer_parent,country,tier,category,value_usd,share,flows");
  assert.ok(partiesCsv.length > 10, "the counterparties are listed");
  await shot(page, "18-exposure");
  // Under what BIS enforces on that date there are no tiers: the license categories take their place.
  await page.locator("select[name=exposure-regime]").selectOption("enforced");
  await page.locator("#exposure-run").click();
  await page.getByText(/regime enforced/).waitFor();
  const enforced = await text(page, "#exposure-out table");
  assert.match(enforced, /license: D:1\/D:4/, enforced);
  assert.match(enforced, /license, presumption of denial: Macau\/D:5/, enforced);
  assert.equal(await page.locator('#exposure-map path[data-code="CN"][data-category^="license, presumption of denial"]').count(), 1, "China: presumption of denial");
  await shot(page, "19-exposure-enforced");
  // A user's own flows naming their customers: a party on the imported Denied Persons List, a parent another
  // process registers (while the server runs) as headquartered in China, and the party registered above in
  // Malaysia, which nothing flags.
  cli("parties", "add", "Lotus Bay Holdings", "--headquarters", "CN");
  const named = join(dir, "named-flows.csv");
  writeFileSync(named, ["period,exporter,importer,product,value_usd,supplier,customer,customer_parent",
    "2024,US,AE,854231,4000000,Acme Chips Inc,Air Freight Ltd,",
    "2024,US,MY,847150,2000000,Acme Chips Inc,Penang Server Works,Lotus Bay Holdings",
    "2024,US,MY,847150,1500000,Acme Chips Inc,KL Compute,"].join("\n") + "\n");
  await page.locator("select[name=exposure-regime]").selectOption("codified");
  await page.locator("#exposure-products").fill("");
  await page.locator("#exposure-file").setInputFiles(named);
  await page.locator("#exposure-run").click();
  await page.locator("#exposure-summary", { hasText: "3 rows read as canonical" }).waitFor();
  assert.match(await text(page, "#exposure-screening"), /5 of 5 distinct names screened against dpl v\d/);
  const flagged = await text(page, "#exposure-flagged");
  assert.match(flagged, /Air Freight Ltd[\s\S]*customer[\s\S]*(match|review) hit on[\s\S]*line 2/, flagged);
  assert.match(flagged, /Lotus Bay Holdings[\s\S]*customer's parent[\s\S]*headquartered in CN[\s\S]*line 3/, flagged);
  assert.doesNotMatch(flagged, /KL Compute|Penang|Acme/, "hard negatives are not flagged");
  await shot(page, "20-exposure-screened");

  step = "reservations";
  await page.goto(`${base}/#/reservations`);
  await page.locator("#lpp-form").waitFor();
  const lppForm = page.locator("#lpp-form");
  await lppForm.locator('input[name="consignee"]').fill("Penang Compute Sdn Bhd");
  await lppForm.locator('input[name="date"]').fill("2025-06-01");
  await lppForm.locator('input[name="tpp"]').fill("1000000");
  await lppForm.getByRole("button", { name: "Record the shipment" }).click();
  await page.getByText(/LPP shipment recorded: 1,000,000 TPP for Penang Compute Sdn Bhd in 2025/).waitFor();
  assert.match(await text(page, "#res-balance"), /lpp:penang compute:2025[\s\S]*posted 1,000,000/);
  assert.match(await text(page, "#res-out table"), /posted/);
  const reserveForm = page.locator("#reserve-form");
  await reserveForm.locator('input[name="pool"]').fill("country:SG");
  await reserveForm.locator('input[name="tpp"]').fill("5000");
  await reserveForm.locator('input[name="date"]').fill("2025-06-01");
  await reserveForm.locator('input[name="reason"]').fill("dashboard test");
  await reserveForm.getByRole("button", { name: "Reserve" }).click();
  await page.getByText(/^Reserved: /).waitFor();
  assert.match(await text(page, "#res-balance"), /country:SG[\s\S]*pending 5,000/);
  await shot(page, "21-reservations");
  await page.locator("button[data-void]").first().click();
  await page.getByText(/^Voided /).waitFor();
  assert.match(await text(page, "#res-balance"), /pending 0/);

  step = "veus";
  await page.goto(`${base}/#/veus`);
  const veuForm = page.locator("#veu-form");
  await veuForm.waitFor();
  const register = async (id, hq) => {
    await veuForm.locator('select[name="kind"]').selectOption("nveu");
    await veuForm.locator('input[name="id"]').fill(id);
    await veuForm.locator('input[name="name"]').fill(`${id} data centre`);
    await veuForm.locator('select[name="headquarters"]').selectOption(hq);
    await veuForm.locator('select[name="country"]').selectOption("MY");
    await veuForm.locator('input[name="date"]').fill("2025-03-01");
    await veuForm.getByRole("button", { name: "Register" }).click();
  };
  await register("cn-dc", "CN");
  await page.getByText("cn-dc is not eligible; nothing was registered.").waitFor();
  assert.match(await text(page, "#veu-added"), /D:5/, "the reasons say why");
  // The browser logs the refusal's 422 as a failed load: expected here, and only here.
  const refusal = problems.findIndex((p) => p.startsWith("veus: console: Failed to load resource") && p.includes("422"));
  assert.ok(refusal >= 0, "the refusal was a 422");
  problems.splice(refusal, 1);
  await register("kl-dc", "MY");
  await page.locator("#veu-standing").waitFor();
  assert.match(await text(page, "#veu-standing"), /cumulative cap [\d,]+ TPP[\s\S]*headroom [\d,]+ TPP/);
  const logFile = join(dir, "facility-log.csv");
  writeFileSync(logFile, "date,event,facility,country,item,quantity\n2025-07-02,received,KL 1,MY,nvidia-h100-sxm,100\n2025-07-09,installed,KL 1,MY,nvidia-h100-sxm,80\n");
  await page.locator("#veu-log-file").setInputFiles(logFile);
  await page.getByRole("button", { name: "Append" }).click();
  await page.getByText("Logged 2 event(s); the log holds 2.").waitFor();
  await page.locator("#veu-period").selectOption("2025H2");
  await page.locator("#veu-report img").waitFor();
  assert.match(await text(page, "#veu-report"), /2025-07-01 to 2025-12-31/);
  const [csvDownload] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
  assert.equal(csvDownload.suggestedFilename(), "kl-dc-2025H2.csv");
  assert.match(readFileSync(await csvDownload.path(), "utf8"), /KL 1/);
  await shot(page, "22-veu");
  await page.locator("#veu-issue").click();
  await page.getByText(/^Recorded the 2025H2 report as issued/).waitFor();
  assert.match(await text(page, "#veu-issued"), /Reports issued: 2025H2 on /);
  // Readiness against Supp. No. 10: record the 3PAO attestation (14.b), see it met and the summary move; the
  // printable report is the API's own page.
  await page.locator("#readiness-summary").waitFor();
  const before = await text(page, "#readiness-summary");
  assert.match(before, /^Not ready: 0 of \d+ requirements/);
  const ev = page.locator("#evidence-form");
  await ev.locator('select[name="requirement"]').selectOption("14.b");
  await ev.locator('select[name="status"]').selectOption("met");
  await ev.locator('input[name="document"]').fill("3PAO attestation 2025-11");
  await ev.locator('input[name="owner"]').fill("CISO");
  await ev.getByRole("button", { name: "Record", exact: true }).click();
  await page.getByText(/^Recorded 14\.b: met \(1 piece/).waitFor();
  assert.match(await text(page, "#readiness-summary"), /^Not ready: 1 of /);
  assert.match(await text(page, "#veu-readiness table"), /14\.b[\s\S]*met[\s\S]*3PAO attestation 2025-11[\s\S]*CISO/);
  const printable = await page.request.get(`${base}${await page.locator("#readiness-print").getAttribute("href")}`);
  assert.equal(printable.status(), 200);
  assert.match(await printable.text(), /<h1>VEU readiness: kl-dc data centre \(kl-dc\)<\/h1>/);
  await shot(page, "22b-veu-readiness");
  // An applicant: recorded for its readiness, with no facility log or report, and listed as such.
  await page.goto(`${base}/#/veus`);
  await veuForm.locator('select[name="kind"]').selectOption("uveu");
  await veuForm.locator('input[name="id"]').fill("ash-app");
  await veuForm.locator('input[name="name"]').fill("Ashburn applicant");
  await veuForm.locator('select[name="headquarters"]').selectOption("US");
  await veuForm.locator("#veu-applicant").check();
  await veuForm.getByRole("button", { name: "Register" }).click();
  await page.getByRole("heading", { name: "Universal VEU applicant ash-app" }).waitFor();
  await page.locator("#readiness-summary").waitFor();
  assert.equal(await page.locator("#veu-log-form").count(), 0, "an applicant keeps no facility log");
  assert.match(await text(page, "#veu-readiness"), /Not binding here: B\(6\), B\(11\)/);
  await page.goto(`${base}/#/veus`);
  assert.match(await text(page, "#view table"), /ash-app[\s\S]*applicant/);

  step = "cloud customers";
  await page.goto(`${base}/#/kyc`);
  const kycFile = join(dir, "customers.jsonl");
  writeFileSync(kycFile, [
    // Not Aaron Abraham Villa: the screening step judged that name a false positive, and KYC honours it.
    JSON.stringify({ id: "p", name: "Abdiel Padron Madrid", headquarters: "US", service: "iaas", purpose: "inference" }),
    JSON.stringify({ id: "q", name: "Quiet Valley Robotics", headquarters: "US", service: "iaas", purpose: "inference" }),
  ].join("\n"));
  await page.locator("#kyc-file").setInputFiles(kycFile);
  await page.locator("#kyc-run").click();
  await page.locator("#kyc-summary").waitFor();
  assert.match(await text(page, "#kyc-summary"), /2 customer\(s\): 1 refuse, 1 allow/);
  assert.match(await text(page, "#kyc-out table"), /listed_party|on a restricted-party list|736\.2\(b\)\(4\)/);
  await shot(page, "23-kyc");

  step = "lists";
  await page.goto(`${base}/#/lists`);
  await page.locator("#lists-stale").waitFor();
  assert.match(await text(page, "#lists-stale"), /dpl list is dated 2022-/, "a 2022 list is stale");
  await page.locator("#lists-file").setInputFiles(join(repo, "tests/data/us-screening-lists/consolidated_format_sample_2025-06.csv"));
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await page.getByText(/^Imported csl v\d+: [\d,]+ entries/).waitFor();
  assert.match(await text(page, "#view table"), /consolidated_format_sample_2025-06\.csv/);
  await shot(page, "24-lists");

  step = "tokens";
  await page.goto(`${base}/#/tokens`);
  await page.locator("#token-form").waitFor();
  await page.locator('#token-form input[name="name"]').fill("ops-bot");
  await page.locator('#token-form select[name="role"]').selectOption("analyst");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.locator("#token-secret").waitFor();
  assert.match(await text(page, "#token-secret"), /^tg_[0-9a-f]+$/);
  await shot(page, "25-tokens");
  await page.locator('button[data-revoke="ops-bot"]').click();
  await page.locator('button[data-revoke="ops-bot"]', { hasText: "Confirm" }).click();
  await page.getByText("Revoked ops-bot.").waitFor();

  step = "accessibility";
  // axe-core in the page (evaluated through the DevTools protocol, which the page's CSP does not govern): no
  // serious or critical violation in any view.
  const axeSource = readFileSync(join(here, "node_modules/axe-core/axe.min.js"), "utf8");
  const VIEWS = ["map", "country/MY", "check", "cases", "batch", "allocations", "fleet", "screening", "parties", "scenarios",
    "exposure", "audit", "reservations", "veus", "veus/kl-dc", "kyc", "lists", "tokens"];
  const accessibility = [];
  for (const v of VIEWS) {
    await page.goto(`${base}/#/${v}`);
    await page.locator("#view h1").first().waitFor();
    await page.waitForLoadState("networkidle");
    await page.evaluate(axeSource);
    const found = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations
      .filter((x) => x.impact === "serious" || x.impact === "critical")
      .map((x) => `${x.id} (${x.impact}): ${x.help}; ${x.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`));
    accessibility.push(...found.map((f) => `#/${v}: ${f}`));
  }
  assert.deepEqual(accessibility, [], "no serious or critical accessibility violation");
  console.log(`dashboard: ${VIEWS.length} views checked with axe-core, none serious or critical`);

  step = "narrow";
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto(`${base}/#/map`);
  await page.locator('path[data-code="DE"]').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no sideways scrolling on a narrow window (${overflow}px)`);
  await shot(page, "11-narrow");
  await page.setViewportSize({ width: 1280, height: 800 });

  step = "sign out";
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator("#token").waitFor();
  const after = await page.request.get(`${base}/v1/session`);
  assert.equal((await after.json()).signed_in, false, "the cookie is gone");
  await context.close();

  step = "viewer";
  const v = await newPage();
  await v.page.goto(`${base}/#token=${viewer}`);
  await v.page.locator("nav a[aria-current=page]").waitFor();
  assert.match(await text(v.page, "#who"), /vera \(viewer\)/);
  await v.page.goto(`${base}/#/check`);
  await v.page.getByText(/may read but not run determinations/).waitFor();
  assert.equal(await v.page.getByRole("button", { name: "Determine" }).count(), 0, "a viewer is offered no Determine button");
  assert.equal(await v.page.locator("#record").count(), 0, "nor a Record button");
  await shot(v.page, "12-viewer-check");
  await v.page.goto(`${base}/#/scenarios`);
  await v.page.getByText(/may read scenarios but not save them/).waitFor();
  assert.equal(await v.page.locator("#save-scenario").count(), 0, "a viewer is offered no Save");
  await v.page.getByRole("link", { name: "allies" }).click();
  await v.page.locator('#map-scenario path[data-code="PL"][data-tier="1"]').waitFor();
  assert.equal(await v.page.locator("#delete-scenario").count(), 0, "nor a Delete");
  await v.page.goto(`${base}/#/cases/${encodeURIComponent(caseId)}`);
  await v.page.getByText(/may read cases; an officer moves them/).waitFor();
  assert.equal(await v.page.locator("#case-moves").count(), 0, "a viewer is offered no move");
  assert.match(await text(v.page, "#case-history"), /moved to approved/);
  await v.page.goto(`${base}/#/reservations`);
  await v.page.getByText(/may not reserve, post or void/).waitFor();
  assert.equal(await v.page.locator("button[data-void], #reserve-form, #lpp-form").count(), 0, "a viewer is offered no reservation move");
  assert.equal(await v.page.locator('nav a[href="#/tokens"]').isVisible(), false, "a viewer sees no Tokens link");
  await v.page.goto(`${base}/#/veus/kl-dc`);
  await v.page.getByText(/may not append facility logs/).waitFor();
  await v.page.getByText(/may not record readiness evidence/).waitFor();
  assert.equal(await v.page.locator("#evidence-form").count(), 0, "a viewer records no evidence");
  await v.page.goto(`${base}/#/exposure`);
  await v.page.getByText(/may not compute exposures/).waitFor();
  assert.equal(await v.page.locator("#exposure-run").count(), 0, "a viewer is offered no exposure");
  // The server refuses the viewer too, even with the session's CSRF token.
  const session = await (await v.page.request.get(`${base}/v1/session`)).json();
  const refused = await v.page.request.post(`${base}/v1/determinations?record=true`, {
    headers: { "x-csrf-token": session.csrf, "content-type": "application/json" },
    data: { id: "v1", date: "2025-06-01", item: "nvidia-h100-sxm", quantity: 1, destination: "MY", consignee: { name: "X", headquarters: "MY" } },
  });
  assert.equal(refused.status(), 403, "a viewer may not record");
  // And a session call without the CSRF header is refused whatever the role.
  const noCsrf = await v.page.request.delete(`${base}/v1/session`);
  assert.equal(noCsrf.status(), 403, "no CSRF header, no change");
  await v.context.close();

  assert.deepEqual(problems, [], "no console errors");
  console.log(`dashboard: every view passed; screenshots in ${shots}`);
} catch (e) {
  console.error(`dashboard: failed at step "${step}": ${e.stack || e}`);
  if (current) await current.screenshot({ path: join(shots, "failure.png"), fullPage: true }).catch(() => {});
  if (problems.length) console.error(problems.join("\n"));
  process.exitCode = 1;
} finally {
  await browser.close();
  server.kill("SIGTERM");
  rmSync(dir, { recursive: true, force: true });
}
