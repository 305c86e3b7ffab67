//! Screening an exposure's counterparties (`--format json`, the API): the distinct suppliers, customers and
//! customers' parents the flows name, screened with Tiergate's own screening against the restricted-party lists a
//! ledger holds, and resolved through its party registry, which may record where a party, or its ultimate parent,
//! is headquartered. A counterparty is flagged when it is a listed party (a hit at the review threshold or above
//! that no analyst judged a false positive), or when it or its ultimate parent is headquartered in Macau or Country
//! Group D:5 (Tier 3) on the date; each flag comes with its evidence, the flows that name it, most value first.
//!
//! The names come out of the engine by SQL; the flagged ones go back in as the `parties` table, which the evidence
//! query joins with `flows`. One screening per distinct name, never a call per row.

use std::collections::HashMap;

use serde::Serialize;
use time::Date;

use tiergate_core::registry::Registry;
use tiergate_core::Pack;
use tiergate_screen::{Decision, HitOut};
use tiergate_wire::parties::Lists;

use crate::engine::{filter_sql, float_at, int_at, literal, text_at, Columns, Query, Session};
use crate::ExposureError;

/// The most distinct names screened in one exposure (those with the most value first); the answer says how many
/// the flows hold.
pub const MAX_NAMES: usize = 50_000;
/// Flows given as evidence for each flagged counterparty (the answer counts them all).
pub const EVIDENCE_ROWS: usize = 10;

/// What the counterparties are screened against: a ledger's lists (none when it holds none) and its registry.
pub enum Against<'a> {
    /// No ledger was given: nothing is screened, and the answer says so.
    NoLedger,
    Ledger {
        lists: Option<&'a Lists>,
        registry: &'a Registry,
        /// What the lists' answers carry: lists older than the configured age.
        warnings: Vec<String>,
    },
}

/// The role a name plays in the flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// `supplier`: located in the flow's exporter.
    Supplier,
    /// `customer`: located in the flow's importer.
    Customer,
    /// `customer_parent`: the customer's parent, located where the flows do not say.
    CustomerParent,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Supplier => "supplier",
            Role::Customer => "customer",
            Role::CustomerParent => "customer_parent",
        }
    }

    fn parse(s: &str) -> Option<Role> {
        [Role::Supplier, Role::Customer, Role::CustomerParent].into_iter().find(|r| r.name() == s)
    }
}

/// Why a counterparty is flagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// A hit on a restricted-party list (at the review threshold or above, not judged a false positive).
    Listed,
    /// The party registry records its headquarters in Macau or Country Group D:5 (Tier 3).
    HeadquarteredInTier3,
    /// The party registry records its ultimate parent, headquartered in Macau or Country Group D:5 (Tier 3).
    ParentHeadquarteredInTier3,
}

/// The screening part of an exposure.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Screening {
    /// The names were screened against restricted-party lists.
    pub screened: bool,
    /// The names were resolved through the ledger's party registry, which holds this many parties; null without
    /// a ledger.
    pub registry_parties: Option<usize>,
    /// What was not done, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The list versions screened against.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<String>,
    /// Lists older than the configured age.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The review threshold hits are listed from, and the matching algorithm's version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// Distinct (name, role, country) the counted flows give, and how many of them were screened.
    pub names: u64,
    pub names_screened: u64,
    /// The flagged counterparties, most value first.
    pub flagged: Vec<Flagged>,
}

/// A flagged counterparty, with what flags it and the flows that name it.
#[derive(Clone, Debug, Serialize)]
pub struct Flagged {
    pub name: String,
    pub role: Role,
    /// Where the flows place it: the exporter for a supplier, the importer for a customer; null for a parent.
    pub country: Option<String>,
    /// The value and the number of the counted flows that name it in this role.
    pub value_usd: f64,
    pub flows: i64,
    pub flags: Vec<Flag>,
    /// Each flag in words.
    pub reasons: Vec<String>,
    /// The lists' decision for the name (`match` or `review`), when it was screened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hits: Vec<HitOut>,
    /// The registered party the name resolved to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<Registered>,
    /// The flows that name it, most value first (at most [`EVIDENCE_ROWS`]; `flows` counts them all).
    pub evidence: Vec<Evidence>,
}

/// A registered party as the flagging read it.
#[derive(Clone, Debug, Serialize)]
pub struct Registered {
    pub name: String,
    /// The registered name or alias the given name shares its party key with.
    pub via: String,
    pub headquarters: Option<String>,
    pub ultimate_parent: Option<String>,
    pub ultimate_parent_headquarters: Option<String>,
}

/// A flow given as evidence.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    /// The CSV line it was read from; null for Parquet.
    pub line: Option<i64>,
    pub period: Option<String>,
    pub exporter: Option<String>,
    pub importer: Option<String>,
    pub product: Option<String>,
    pub value_usd: f64,
    pub supplier: Option<String>,
    pub customer: Option<String>,
    pub customer_parent: Option<String>,
}

/// A distinct name of the flows.
struct Named {
    name: String,
    role: Role,
    country: Option<String>,
    value_usd: f64,
    flows: i64,
}

/// Screens the counterparties the flows of `query` name against `against`, with the tiers of `pack` on `date`.
pub async fn screen(
    session: &Session,
    query: &Query,
    against: &Against<'_>,
    pack: &Pack,
    date: Date,
) -> Result<Screening, ExposureError> {
    let (names, total) = names(session, query, MAX_NAMES).await?;
    let registry_parties = match against {
        Against::NoLedger => None,
        Against::Ledger { registry, .. } => Some(registry.parties().len()),
    };
    let mut out = Screening { registry_parties, names: total, ..Screening::default() };
    if total == 0 {
        out.notes
            .push("the flows name no supplier, customer or customer_parent: there is no counterparty to screen".into());
        return Ok(out);
    }
    let Against::Ledger { lists, registry, warnings } = against else {
        out.notes.push(
            "no ledger was given (--db, or TIERGATE_DB): the counterparties were neither screened against \
             restricted-party lists nor resolved through a party registry"
                .into(),
        );
        return Ok(out);
    };
    out.names_screened = names.len() as u64;
    match lists {
        Some(l) => {
            out.screened = true;
            out.lists.clone_from(&l.versions);
            out.warnings.clone_from(warnings);
            out.threshold = Some(l.screener.index().config().thresholds.review);
            out.algorithm = Some(l.screener.index().config().version.clone());
        }
        None => out.notes.push(
            "no restricted-party list is imported in the ledger (`tiergate lists import`): the counterparties were \
             not screened against lists, only resolved through the party registry"
                .into(),
        ),
    }
    if total > out.names_screened {
        out.notes.push(format!(
            "the flows name {total} distinct counterparties; the {} with the most value were screened",
            out.names_screened
        ));
    }
    let tier3 = &pack.at(date).tier3;
    let tier3_words = if pack.regime.tiers {
        format!("Tier 3 (Macau or Country Group D:5) on {date}")
    } else {
        format!("Macau or Country Group D:5 on {date}")
    };
    let in_tier3 = |code: &str| pack.countries.resolve(code).is_some_and(|c| tier3.contains(pack.canonical(c)));
    // One screening per (name, country hint), whatever the roles the name plays.
    let mut screened: HashMap<(&str, Option<&str>), ListAnswer> = HashMap::new();
    let mut flagged = Vec::new();
    for n in &names {
        let mut flags = Vec::new();
        let mut reasons = Vec::new();
        let mut decision = None;
        let mut hits = Vec::new();
        if let Some(l) = lists {
            // Areas (`area:NAME`, `BACI:CODE`) are no country to hint with.
            let hint = n.country.as_deref().filter(|c| !c.contains(':'));
            let (d, h) = screened
                .entry((n.name.as_str(), hint))
                .or_insert_with(|| {
                    let threshold = l.screener.index().config().thresholds.review;
                    let a = l.screener.screen(None, &n.name, hint, threshold);
                    (a.decision, a.hits)
                })
                .clone();
            if d > Decision::Clear {
                flags.push(Flag::Listed);
                if let Some(top) = h.iter().find(|h| h.decision > Decision::Clear) {
                    reasons.push(format!(
                        "a {} hit on {} as \"{}\" (score {:.2}{})",
                        top.decision.as_str(),
                        if top.source.is_empty() { &top.list } else { &top.source },
                        top.name,
                        top.score,
                        if h.len() > 1 { format!("; {} hits in all", h.len()) } else { String::new() }
                    ));
                }
                decision = Some(d);
                hits = h;
            }
        }
        let party = registry.resolve(&n.name).map(|r| {
            let code = |c: tiergate_core::Country| pack.countries.code(c).to_owned();
            let parent = r.party.ultimate_parent.clone();
            let parent_hq = parent.as_deref().and_then(|p| registry.resolve(p)).and_then(|p| p.party.headquarters);
            Registered {
                name: r.party.name.clone(),
                via: r.via.to_owned(),
                headquarters: r.party.headquarters.map(code),
                ultimate_parent: parent,
                ultimate_parent_headquarters: parent_hq.map(code),
            }
        });
        if let Some(p) = &party {
            if let Some(hq) = p.headquarters.as_deref().filter(|hq| in_tier3(hq)) {
                flags.push(Flag::HeadquarteredInTier3);
                reasons.push(format!("registered as \"{}\", headquartered in {hq}: {tier3_words}", p.name));
            }
            if let (Some(parent), Some(hq)) =
                (p.ultimate_parent.as_deref(), p.ultimate_parent_headquarters.as_deref().filter(|hq| in_tier3(hq)))
            {
                flags.push(Flag::ParentHeadquarteredInTier3);
                reasons.push(format!(
                    "registered as \"{}\", whose ultimate parent \"{parent}\" is headquartered in {hq}: {tier3_words}",
                    p.name
                ));
            }
        }
        if !flags.is_empty() {
            flagged.push(Flagged {
                name: n.name.clone(),
                role: n.role,
                country: n.country.clone(),
                value_usd: n.value_usd,
                flows: n.flows,
                flags,
                reasons,
                decision,
                hits,
                party,
                evidence: Vec::new(),
            });
        }
    }
    if !flagged.is_empty() {
        let mut evidence = evidence(session, query, &flagged).await?;
        for f in &mut flagged {
            f.evidence = evidence.remove(&(f.name.clone(), f.role, f.country.clone())).unwrap_or_default();
        }
    }
    out.flagged = flagged;
    Ok(out)
}

/// The SQL of the distinct names the counted flows give, with their value and flows, most value first, each row
/// with the number of distinct names in all.
pub fn names_sql(q: &Query, limit: usize) -> String {
    format!(
        "WITH x AS (SELECT f.supplier, f.customer, f.customer_parent, f.exporter, f.importer, f.value_usd \
           FROM flows f WHERE {filter}), \
         n AS (SELECT supplier AS name, 'supplier' AS role, exporter AS country, value_usd FROM x WHERE supplier IS NOT NULL \
           UNION ALL SELECT customer AS name, 'customer' AS role, importer AS country, value_usd FROM x WHERE customer IS NOT NULL \
           UNION ALL SELECT customer_parent AS name, 'customer_parent' AS role, CAST(NULL AS VARCHAR) AS country, value_usd \
             FROM x WHERE customer_parent IS NOT NULL), \
         g AS (SELECT name, role, country, SUM(value_usd) AS value_usd, COUNT(*) AS flows FROM n \
           WHERE TRIM(name) <> '' GROUP BY name, role, country) \
         SELECT name, role, country, value_usd, flows, COUNT(*) OVER () AS names FROM g \
         ORDER BY value_usd DESC, name, role, country LIMIT {limit}",
        filter = filter_sql(q),
    )
}

async fn names(session: &Session, q: &Query, limit: usize) -> Result<(Vec<Named>, u64), ExposureError> {
    let mut out = Vec::new();
    let mut total = 0;
    for b in &session.rows(&names_sql(q, limit)).await? {
        let c = Columns(b);
        let (name, role, country) = (c.text("name")?, c.text("role")?, c.text("country")?);
        let (value, flows, all) = (c.float("value_usd")?, c.int("flows")?, c.int("names")?);
        for i in 0..b.num_rows() {
            total = u64::try_from(int_at(&all, i).unwrap_or(0)).unwrap_or(0);
            let (Some(name), Some(role)) = (text_at(&name, i), text_at(&role, i).as_deref().and_then(Role::parse))
            else {
                continue;
            };
            out.push(Named {
                name,
                role,
                country: text_at(&country, i),
                value_usd: float_at(&value, i).unwrap_or(0.0),
                flows: int_at(&flows, i).unwrap_or(0),
            });
        }
    }
    Ok((out, total))
}

/// The SQL of the `parties` table: the flagged names, their roles and countries, as literal rows (so that it
/// travels inside the plan, as `tiers` does).
fn parties_sql(flagged: &[Flagged]) -> String {
    let values: Vec<String> = flagged
        .iter()
        .map(|f| {
            let country = f.country.as_deref().map_or_else(|| "NULL".to_owned(), literal);
            format!("({}, {}, {country})", literal(&f.name), literal(f.role.name()))
        })
        .collect();
    format!(
        "SELECT CAST(column1 AS VARCHAR) AS name, CAST(column2 AS VARCHAR) AS role, CAST(column3 AS VARCHAR) AS country \
         FROM (VALUES {})",
        values.join(", ")
    )
}

/// The SQL of the evidence: the counted flows that name each party of `parties` in its role (and country), the
/// `limit` with the most value for each.
pub fn evidence_sql(q: &Query, limit: usize) -> String {
    let columns =
        "x.line, x.period, x.exporter, x.importer, x.product, x.value_usd, x.supplier, x.customer, x.customer_parent";
    format!(
        "WITH x AS (SELECT f.* FROM flows f WHERE {filter}), \
         m AS (SELECT p.name AS flagged, p.role AS flagged_role, p.country AS flagged_country, {columns} \
             FROM x JOIN parties p ON x.supplier = p.name AND COALESCE(x.exporter, '') = COALESCE(p.country, '') \
             WHERE p.role = 'supplier' \
           UNION ALL SELECT p.name AS flagged, p.role AS flagged_role, p.country AS flagged_country, {columns} \
             FROM x JOIN parties p ON x.customer = p.name AND x.importer = p.country WHERE p.role = 'customer' \
           UNION ALL SELECT p.name AS flagged, p.role AS flagged_role, p.country AS flagged_country, {columns} \
             FROM x JOIN parties p ON x.customer_parent = p.name WHERE p.role = 'customer_parent'), \
         r AS (SELECT m.*, ROW_NUMBER() OVER (PARTITION BY flagged, flagged_role, flagged_country \
           ORDER BY value_usd DESC, period, line, product, importer, exporter, supplier, customer, customer_parent) AS rn \
           FROM m) \
         SELECT flagged, flagged_role, flagged_country, line, period, exporter, importer, product, value_usd, supplier, \
           customer, customer_parent FROM r WHERE rn <= {limit} \
         ORDER BY flagged, flagged_role, flagged_country, rn",
        filter = filter_sql(q),
    )
}

type EvidenceKey = (String, Role, Option<String>);

/// The lists' decision on a name and its hits.
type ListAnswer = (Decision, Vec<HitOut>);

async fn evidence(
    session: &Session,
    q: &Query,
    flagged: &[Flagged],
) -> Result<HashMap<EvidenceKey, Vec<Evidence>>, ExposureError> {
    session.view("parties", &parties_sql(flagged)).await?;
    let mut out: HashMap<EvidenceKey, Vec<Evidence>> = HashMap::new();
    for b in &session.rows(&evidence_sql(q, EVIDENCE_ROWS)).await? {
        let c = Columns(b);
        let (name, role, country) = (c.text("flagged")?, c.text("flagged_role")?, c.text("flagged_country")?);
        let (line, period, exporter, importer) =
            (c.int("line")?, c.text("period")?, c.text("exporter")?, c.text("importer")?);
        let (product, value, supplier) = (c.text("product")?, c.float("value_usd")?, c.text("supplier")?);
        let (customer, parent) = (c.text("customer")?, c.text("customer_parent")?);
        for i in 0..b.num_rows() {
            let (Some(n), Some(r)) = (text_at(&name, i), text_at(&role, i).as_deref().and_then(Role::parse)) else {
                continue;
            };
            out.entry((n, r, text_at(&country, i))).or_default().push(Evidence {
                line: int_at(&line, i),
                period: text_at(&period, i),
                exporter: text_at(&exporter, i),
                importer: text_at(&importer, i),
                product: text_at(&product, i),
                value_usd: float_at(&value, i).unwrap_or(0.0),
                supplier: text_at(&supplier, i),
                customer: text_at(&customer, i),
                customer_parent: text_at(&parent, i),
            });
        }
    }
    Ok(out)
}
