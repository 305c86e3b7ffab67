//! Scenarios as answers: a scenario's changes beside what they replace (`tiergate scenario show`), and an order
//! book determined under a scenario and under the regime it is compared with (`tiergate scenario diff`), counted
//! in constant memory and reported as JSON, JSON Lines or CSV of the changed orders, or Markdown with charts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use tiergate_core::scenario::{Effect, Scenario};
use tiergate_core::{Determination, Request};

use crate::chart::{self, BarChart};
use crate::{Env, WireError};

/// A scenario as `scenario show` and the API list it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ScenarioOut<'a> {
    pub name: &'a str,
    /// `scenario:NAME`: the pack every answer under it names.
    pub pack: &'a str,
    pub version: &'a str,
    pub title: &'a str,
    pub base: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// The sha256 of each pack it yields, by the base pack it is written over.
    pub sha256: BTreeMap<&'a str, &'a str>,
    pub changes: Vec<ChangeOut<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChangeOut<'a> {
    /// Where the change is in the file: `move[0]`, `assure[0]`, `set."lpp.annual_limit_tpp"`.
    pub key: &'a str,
    pub change: &'a str,
    pub under: Vec<UnderOut<'a>>,
}

/// A change under one pack of the base.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnderOut<'a> {
    pub pack: &'a str,
    /// What the pack had: the country's tier or membership, or the value replaced.
    pub replaces: Option<&'a str>,
    /// `changed`, `no_effect` or `not_applicable`.
    pub effect: &'static str,
    /// The edits made, or why none was.
    pub detail: Vec<&'a str>,
}

impl<'a> ScenarioOut<'a> {
    pub fn new(s: &'a Scenario) -> ScenarioOut<'a> {
        let mut sha256 = BTreeMap::new();
        let packs: Vec<&std::sync::Arc<tiergate_core::Pack>> = match &s.timeline {
            Some(t) => t.periods.iter().map(|p| &p.pack).collect(),
            None => vec![&s.pack],
        };
        for p in packs {
            if let Some(base) = p.extends.last() {
                sha256.insert(base.as_str(), p.sha256.as_str());
            }
        }
        ScenarioOut {
            name: &s.name,
            pack: &s.id,
            version: &s.version,
            title: &s.title,
            base: &s.base,
            description: s.file.scenario.description.as_deref(),
            sha256,
            changes: s
                .changes
                .iter()
                .map(|c| ChangeOut {
                    key: &c.key,
                    change: &c.change,
                    under: c
                        .under
                        .iter()
                        .map(|u| UnderOut {
                            pack: &u.pack,
                            replaces: u.replaces.as_deref(),
                            effect: u.effect.as_str(),
                            detail: match &u.effect {
                                Effect::Changed(e) => e.iter().map(String::as_str).collect(),
                                Effect::NoEffect(w) | Effect::NotApplicable(w) => vec![w.as_str()],
                            },
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The scenario for people: each change, then what it replaces under each pack.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{} — {} (version {}), written over `{}`", self.pack, self.title, self.version, self.base);
        if let Some(d) = self.description {
            let _ = writeln!(s, "{d}");
        }
        for c in &self.changes {
            let _ = writeln!(s, "\n{}: {}", c.key, c.change);
            for u in &c.under {
                let replaces = u.replaces.map(|r| format!(" replaces {r};")).unwrap_or_default();
                let _ = writeln!(
                    s,
                    "  under {}:{replaces} {}: {}",
                    u.pack,
                    u.effect.replace('_', " "),
                    u.detail.join("; ")
                );
            }
        }
        s
    }
}

/// One side of an order's diff: the answer in the terms that can change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SideOut {
    pub pack: String,
    pub tier: Option<u8>,
    #[schema(value_type = String)]
    pub authorization: &'static str,
    pub license_required: bool,
    #[schema(value_type = Option<String>)]
    pub review_policy: Option<&'static str>,
    /// The pool the answer draws on, and what it draws.
    pub pool: Option<String>,
    pub tpp: Option<u64>,
    pub cap_tpp: Option<u64>,
}

impl SideOut {
    pub fn of(d: &Determination<'_>) -> SideOut {
        SideOut {
            pack: d.pack.id.clone(),
            tier: d.tier.map(|t| t.number()),
            authorization: d.authorization.as_str(),
            license_required: d.license_required(),
            review_policy: d.review_policy.map(|p| p.as_str()),
            pool: d.allocation.as_ref().map(|a| a.pool.clone()),
            tpp: d.allocation.as_ref().map(|a| a.tpp),
            cap_tpp: d.allocation.as_ref().map(|a| a.cap_tpp),
        }
    }

    /// Whether the answers differ in what an officer acts on: tier, authorization, license, review policy, or
    /// the pool drawn on (a changed cap alone is counted under `allocations`).
    fn differs(&self, o: &SideOut) -> bool {
        self.tier != o.tier
            || self.authorization != o.authorization
            || self.license_required != o.license_required
            || self.review_policy != o.review_policy
            || self.pool != o.pool
    }

    /// The answer's name in `by_change`: its authorization, with what else tells it from `other` when the
    /// authorizations agree (the review policy, else the tier, else the pool).
    fn label(&self, other: &SideOut) -> String {
        let auth = self.authorization;
        if auth != other.authorization {
            return auth.to_owned();
        }
        if self.review_policy != other.review_policy {
            return format!("{auth}({})", self.review_policy.unwrap_or("none"));
        }
        if self.tier != other.tier {
            return format!("{auth}(tier {})", self.tier.map_or_else(|| "none".to_owned(), |t| t.to_string()));
        }
        format!("{auth}({})", self.pool.as_deref().unwrap_or("no pool"))
    }
}

/// An order whose answer the scenario changes, or that either side could not answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChangedOut<'a> {
    pub id: Option<&'a str>,
    /// The order's line (JSON Lines) or row (CSV) in the input.
    pub line: u64,
    #[schema(value_type = String)]
    pub date: String,
    pub destination: &'a str,
    /// The order's TPP (quantity times the item's TPP), when the item has one.
    pub order_tpp: Option<u64>,
    /// `LICENSE->AIA` and so on.
    pub change: String,
    pub before: Option<SideOut>,
    pub after: Option<SideOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An order book's diff, by destination.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DestinationOut {
    pub orders: u64,
    pub changed: u64,
    /// The orders' TPP, and that of the changed ones.
    pub tpp: u64,
    pub changed_tpp: u64,
    /// Orders needing a license, before and after.
    pub licenses_before: u64,
    pub licenses_after: u64,
}

/// A pool's use by the order book, before and after, and its cap on each side (null where no order draws on it
/// on that side).
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct AllocationUseOut {
    pub before_tpp: u64,
    pub after_tpp: u64,
    pub cap_before: Option<u64>,
    pub cap_after: Option<u64>,
}

/// The diff of an order book: counts, by change, by destination, and each pool's use.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DiffOut {
    /// The scenario's name, and the pack its answers name.
    pub scenario: String,
    pub pack: String,
    /// The regime compared with: a timeline or a pack id.
    pub against: String,
    pub orders: u64,
    pub changed: u64,
    /// Orders either side could not answer (listed with the changed orders).
    pub errors: u64,
    pub by_change: BTreeMap<String, u64>,
    pub by_destination: BTreeMap<String, DestinationOut>,
    pub allocations: BTreeMap<String, AllocationUseOut>,
}

impl DiffOut {
    pub fn new(scenario: &Env, against: &Env) -> DiffOut {
        let name = scenario.scenario().map_or_else(|| scenario.regime_name().to_owned(), |s| s.name.clone());
        DiffOut {
            scenario: name,
            pack: scenario.regime_name().to_owned(),
            against: against.regime_name().to_owned(),
            ..DiffOut::default()
        }
    }

    /// Counts an order that could not be read; returns it to be listed.
    pub fn unreadable<'a>(&mut self, id: Option<&'a str>, line: u64, e: &WireError) -> ChangedOut<'a> {
        self.orders += 1;
        self.errors += 1;
        ChangedOut {
            id,
            line,
            date: String::new(),
            destination: "",
            order_tpp: None,
            change: "error".into(),
            before: None,
            after: None,
            error: Some(format!("{}: {}", e.code, e.message)),
        }
    }

    /// Counts one order, answered under the scenario (`after`) and under the regime compared with (`before`);
    /// returns it when it changed or either side failed.
    pub fn add<'a>(
        &mut self,
        id: Option<&'a str>,
        line: u64,
        req: &Request,
        destination: &'a str,
        before: Result<Determination<'_>, WireError>,
        after: Result<Determination<'_>, WireError>,
    ) -> Option<ChangedOut<'a>> {
        self.orders += 1;
        let order_tpp = before
            .as_ref()
            .ok()
            .or(after.as_ref().ok())
            .and_then(|d| d.classification.tpp_total)
            .map(|t| t.whole_ceil());
        let dest = self.by_destination.entry(destination.to_owned()).or_default();
        dest.orders += 1;
        dest.tpp = dest.tpp.saturating_add(order_tpp.unwrap_or(0));
        let (b, a) = match (&before, &after) {
            (Ok(b), Ok(a)) => (SideOut::of(b), SideOut::of(a)),
            _ => {
                self.errors += 1;
                let error = [("against", before.as_ref().err()), ("scenario", after.as_ref().err())]
                    .into_iter()
                    .filter_map(|(side, e)| e.map(|e| format!("{side}: {}: {}", e.code, e.message)))
                    .collect::<Vec<_>>()
                    .join("; ");
                return Some(ChangedOut {
                    id,
                    line,
                    date: req.date.to_string(),
                    destination,
                    order_tpp,
                    change: "error".into(),
                    before: before.as_ref().ok().map(SideOut::of),
                    after: after.as_ref().ok().map(SideOut::of),
                    error: Some(error),
                });
            }
        };
        dest.licenses_before += u64::from(b.license_required);
        dest.licenses_after += u64::from(a.license_required);
        if let (Ok(bd), Ok(ad)) = (&before, &after) {
            for (side, d, is_after) in [(&b, bd, false), (&a, ad, true)] {
                if let (Some(pool), Some(tpp)) = (&side.pool, side.tpp) {
                    let use_ = self.allocations.entry(pool.clone()).or_default();
                    if is_after {
                        use_.after_tpp = use_.after_tpp.saturating_add(tpp);
                        use_.cap_after = side.cap_tpp;
                    } else {
                        use_.before_tpp = use_.before_tpp.saturating_add(tpp);
                        use_.cap_before = side.cap_tpp;
                    }
                }
                // A country pool the other side draws on: its cap on this side, where this side has one.
                let other = if is_after { &b } else { &a };
                if let Some(pool) = other.pool.as_ref().filter(|p| side.pool.as_ref() != Some(*p)) {
                    let cap = country_cap(d, pool);
                    let use_ = self.allocations.entry(pool.clone()).or_default();
                    let slot = if is_after { &mut use_.cap_after } else { &mut use_.cap_before };
                    if slot.is_none() {
                        *slot = cap;
                    }
                }
            }
        }
        if !b.differs(&a) {
            return None;
        }
        self.changed += 1;
        dest.changed += 1;
        dest.changed_tpp = dest.changed_tpp.saturating_add(order_tpp.unwrap_or(0));
        let change = format!("{}->{}", b.label(&a), a.label(&b));
        *self.by_change.entry(change.clone()).or_default() += 1;
        Some(ChangedOut {
            id,
            line,
            date: req.date.to_string(),
            destination,
            order_tpp,
            change,
            before: Some(b),
            after: Some(a),
            error: None,
        })
    }
}

/// The cap of country pool `pool` (`country:XX`) under the pack that answered `d`, on its date: the allocation
/// of a Tier 2 country, none otherwise.
fn country_cap(d: &Determination<'_>, pool: &str) -> Option<u64> {
    let code = pool.strip_prefix("country:")?;
    let c = d.pack.countries.by_code(code)?;
    let s = tiergate_core::scenario::capacity::standing(d.pack, c, 0, d.date);
    s.cap_tpp
}

/// The CSV columns of a changed order.
pub const CHANGED_CSV_COLUMNS: &[&str] = &[
    "id",
    "line",
    "date",
    "destination",
    "order_tpp",
    "change",
    "before_pack",
    "before_tier",
    "before_authorization",
    "before_review_policy",
    "before_pool",
    "before_tpp",
    "after_pack",
    "after_tier",
    "after_authorization",
    "after_review_policy",
    "after_pool",
    "after_tpp",
    "error",
];

impl ChangedOut<'_> {
    /// The row under [`CHANGED_CSV_COLUMNS`].
    pub fn csv_row(&self) -> Vec<String> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let mut row = vec![
            self.id.unwrap_or_default().to_owned(),
            self.line.to_string(),
            self.date.clone(),
            self.destination.to_owned(),
            opt(self.order_tpp.map(|t| t.to_string())),
            self.change.clone(),
        ];
        for side in [&self.before, &self.after] {
            match side {
                Some(s) => row.extend([
                    s.pack.clone(),
                    opt(s.tier.map(|t| t.to_string())),
                    s.authorization.to_owned(),
                    s.review_policy.unwrap_or_default().to_owned(),
                    opt(s.pool.clone()),
                    opt(s.tpp.map(|t| t.to_string())),
                ]),
                None => row.extend(std::iter::repeat_n(String::new(), 6)),
            }
        }
        row.push(self.error.clone().unwrap_or_default());
        row
    }
}

/// File names of the diff report's charts, written beside it.
pub const CHANGED_CHART: &str = "changed-by-destination.svg";
pub const ALLOCATION_CHART: &str = "allocation-use.svg";
/// Most rows a report's chart or table shows (the largest first); the JSON has them all.
const MOST_ROWS: usize = 25;

/// The chart of changed orders by destination, most changed first.
pub fn changed_chart(d: &DiffOut) -> String {
    let mut rows: Vec<(&String, &DestinationOut)> = d.by_destination.iter().filter(|(_, v)| v.changed > 0).collect();
    rows.sort_by(|a, b| b.1.changed.cmp(&a.1.changed).then(a.0.cmp(b.0)));
    #[allow(clippy::cast_precision_loss)]
    let rows = rows.into_iter().take(MOST_ROWS).map(|(k, v)| (k.clone(), vec![v.changed as f64])).collect();
    let title = format!("Orders whose answer {} changes, by destination", d.pack);
    BarChart {
        title: &title,
        series: &["changed orders"],
        rows,
        format: chart::count,
        reference: None,
        clip: None,
        missing: "",
    }
    .svg()
}

/// The chart of each country pool's use before and after, as shares of its cap on each side.
pub fn allocation_chart(d: &DiffOut) -> String {
    let rows = allocation_rows(d);
    let title = format!("Allocation use by the order book: {} against {}", d.pack, d.against);
    BarChart {
        title: &title,
        series: &[d.against.as_str(), d.pack.as_str()],
        rows: rows.into_iter().map(|(k, b, a)| (k, vec![b, a])).collect(),
        format: chart::percent,
        reference: Some((1.0, "cap")),
        clip: Some(3.0),
        missing: "no allocation (not Tier 2)",
    }
    .svg()
}

/// Pools with a cap on either side, as (pool, share before, share after), most used first.
fn allocation_rows(d: &DiffOut) -> Vec<(String, f64, f64)> {
    #[allow(clippy::cast_precision_loss)]
    let share = |tpp: u64, cap: Option<u64>| cap.filter(|c| *c > 0).map_or(f64::NAN, |c| tpp as f64 / c as f64);
    let mut rows: Vec<(String, f64, f64)> = d
        .allocations
        .iter()
        .filter(|(_, u)| u.cap_before.is_some() || u.cap_after.is_some())
        .map(|(k, u)| (k.clone(), share(u.before_tpp, u.cap_before), share(u.after_tpp, u.cap_after)))
        .collect();
    let most = |r: &(String, f64, f64)| r.1.max(r.2);
    rows.sort_by(|a, b| most(b).total_cmp(&most(a)).then(a.0.cmp(&b.0)));
    rows.truncate(MOST_ROWS);
    rows
}

/// The diff as a Markdown report; the charts are the files named above, beside it.
pub fn diff_markdown(d: &DiffOut, scenario: &ScenarioOut<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Scenario diff: {} against {}\n", d.pack, d.against);
    let _ = writeln!(
        s,
        "Hypothetical: `{}` ({}, version {}) is a what-if regime written over `{}`, not the regulation.\n",
        scenario.pack, scenario.title, scenario.version, scenario.base
    );
    let _ = writeln!(s, "## Summary\n");
    let _ = writeln!(s, "| | |\n|---|---:|");
    let _ = writeln!(s, "| orders | {} |", group(d.orders));
    let _ = writeln!(s, "| answers changed | {} |", group(d.changed));
    let _ = writeln!(s, "| orders not answered on a side | {} |\n", group(d.errors));
    let _ = writeln!(s, "## The scenario's changes\n");
    for c in &scenario.changes {
        let _ = writeln!(s, "- `{}`: {}", c.key, c.change);
        for u in c.under.iter().filter(|u| u.effect == "changed") {
            let replaces = u.replaces.map(|r| format!(" (replaces {r})")).unwrap_or_default();
            let _ = writeln!(s, "  - under `{}`{replaces}: {}", u.pack, u.detail.join("; "));
        }
    }
    let _ = writeln!(s, "\n## Changes by answer\n");
    if d.by_change.is_empty() {
        let _ = writeln!(s, "No answer changes.");
    } else {
        let _ = writeln!(s, "| change | orders |\n|---|---:|");
        let mut changes: Vec<_> = d.by_change.iter().collect();
        changes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, v) in changes {
            let _ = writeln!(s, "| {k} | {} |", group(*v));
        }
    }
    let _ = writeln!(s, "\n## Changed orders by destination\n");
    let _ = writeln!(s, "![Changed orders by destination]({CHANGED_CHART})\n");
    let _ = writeln!(s, "| destination | orders | changed | TPP | changed TPP | licenses before | licenses after |");
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
    let mut dests: Vec<_> = d.by_destination.iter().collect();
    dests.sort_by(|a, b| b.1.changed.cmp(&a.1.changed).then(b.1.orders.cmp(&a.1.orders)).then(a.0.cmp(b.0)));
    for (k, v) in dests.iter().take(MOST_ROWS) {
        let _ = writeln!(
            s,
            "| {k} | {} | {} | {} | {} | {} | {} |",
            group(v.orders),
            group(v.changed),
            group(v.tpp),
            group(v.changed_tpp),
            group(v.licenses_before),
            group(v.licenses_after)
        );
    }
    if dests.len() > MOST_ROWS {
        let _ = writeln!(s, "\n{} more destinations in the JSON output.", dests.len() - MOST_ROWS);
    }
    let _ = writeln!(s, "\n## Allocation use\n");
    let _ = writeln!(s, "![Allocation use before and after]({ALLOCATION_CHART})\n");
    let _ = writeln!(s, "| pool | TPP before | cap before | TPP after | cap after |\n|---|---:|---:|---:|---:|");
    let cap = |c: Option<u64>| c.map_or_else(|| "none".to_owned(), group);
    for (k, _, _) in allocation_rows(d) {
        if let Some(u) = d.allocations.get(&k) {
            let _ = writeln!(
                s,
                "| {k} | {} | {} | {} | {} |",
                group(u.before_tpp),
                cap(u.cap_before),
                group(u.after_tpp),
                cap(u.cap_after)
            );
        }
    }
    let _ = writeln!(
        s,
        "\nEach order is determined on its own under each regime, with the balances it states; the use above is the\norder book's total drawn on each pool, set beside the pool's cap (an order book over a cap would be refused\nbeyond it when recorded in a ledger)."
    );
    s
}

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    tiergate_core::units::group_digits(n).to_string()
}

/// A scenario as the API takes it: the file's text, or its parts (as `tiergate scenario new` takes them).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioBody {
    /// The whole scenario file (TOML); if given, nothing else is.
    pub text: Option<String>,
    pub name: Option<String>,
    /// A timeline (`codified`, `enforced`) or a built-in pack id.
    pub base: Option<String>,
    /// Default `1`.
    pub version: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    #[serde(default, rename = "move")]
    pub moves: Vec<MoveBody>,
    #[serde(default)]
    pub assure: Vec<AssureBody>,
    /// Values replaced, by dotted key: `{"lpp.annual_limit_tpp": 13450000}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub set: BTreeMap<String, serde_json::Value>,
}

/// A country to a tier (1, 2, 3), or into or out of a country group; `from` a date (`YYYY-MM-DD`).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveBody {
    pub country: String,
    pub tier: Option<i64>,
    pub add_to: Option<String>,
    pub remove_from: Option<String>,
    pub from: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssureBody {
    pub country: String,
    pub from: Option<String>,
}

impl ScenarioBody {
    /// The scenario file's text: as given, or written from the parts.
    pub fn into_text(self) -> Result<String, WireError> {
        use tiergate_core::scenario::{Assure, Header, Move, ScenarioFile, SCHEMA};
        let parts = self.name.is_some() || self.base.is_some() || !self.moves.is_empty() || !self.assure.is_empty();
        if let Some(text) = self.text {
            if parts || !self.set.is_empty() || self.version.is_some() || self.title.is_some() {
                return Err(WireError::new(
                    "invalid_value",
                    Some("text"),
                    "give the file's `text` or its parts, not both".into(),
                ));
            }
            return Ok(text);
        }
        let required = |v: Option<String>, field: &str| {
            v.ok_or_else(|| WireError::new("missing_field", Some(field), format!("`{field}` is required")))
        };
        let date = |d: Option<String>, field: String| -> Result<Option<toml::value::Datetime>, WireError> {
            d.map(|d| {
                d.parse::<toml::value::Datetime>().ok().filter(|v| v.date.is_some() && v.time.is_none()).ok_or_else(
                    || WireError::new("invalid_value", Some(&field), format!("`{d}` is not a date (YYYY-MM-DD)")),
                )
            })
            .transpose()
        };
        let mut set = toml::Table::new();
        for (k, v) in self.set {
            let field = format!("set.{k}");
            let value = toml::Value::try_from(v).map_err(|e| {
                WireError::new("invalid_value", Some(&field), format!("cannot be a value of a pack: {e}"))
            })?;
            set.insert(k, value);
        }
        let file = ScenarioFile {
            schema: SCHEMA,
            scenario: Header {
                name: required(self.name, "name")?,
                version: self.version.unwrap_or_else(|| "1".to_owned()),
                base: required(self.base, "base")?,
                title: self.title,
                description: self.description,
            },
            moves: self
                .moves
                .into_iter()
                .enumerate()
                .map(|(i, m)| {
                    Ok(Move {
                        country: m.country,
                        tier: m.tier,
                        add_to: m.add_to,
                        remove_from: m.remove_from,
                        from: date(m.from, format!("move[{i}].from"))?,
                    })
                })
                .collect::<Result<_, WireError>>()?,
            assure: self
                .assure
                .into_iter()
                .enumerate()
                .map(|(i, a)| Ok(Assure { country: a.country, from: date(a.from, format!("assure[{i}].from"))? }))
                .collect::<Result<_, WireError>>()?,
            set,
        };
        file.to_toml().map_err(|e| WireError::new("invalid_value", None, e.to_string()))
    }
}

/// A scenario file's error as the wire names it: the key is the field.
pub fn scenario_error(e: &tiergate_core::DataError) -> WireError {
    let field = (!e.key().is_empty()).then(|| e.key());
    WireError::new("invalid_scenario", field, e.problem().to_owned())
}
