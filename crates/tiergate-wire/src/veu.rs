//! The VEU registry and facility logs on the wire: stored bodies, log files, the registry's check of a request's
//! VEU claim, and the shapes of `tiergate veu` answers and reports (JSON, CSV, Markdown, SVG).

use std::fmt::Write as _;
use std::io::Read;

use serde::{Deserialize, Serialize};
use tiergate_core::veu::{Event, EventKind, Registration, Report, VeuKind};
use tiergate_core::{Countries, Pack, Tpp};
use time::Date;

use crate::chart::xml;
use crate::response::{ReasonOut, TppOut};
use crate::rows::{catalog_quantity, read_rows, CsvFileError};
use crate::Env;

/// A registration as stored (`veus.body`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VeuBody {
    pub id: String,
    /// `uveu` or `nveu`.
    pub kind: String,
    pub name: String,
    pub headquarters: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ultimate_parent_headquarters: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The date eligibility was checked as of.
    pub registered_on: String,
}

/// A stored body that no longer reads: the database was written by something else, or the pack changed.
fn corrupt(what: &str, e: impl std::fmt::Display) -> String {
    format!("a stored {what} does not read: {e}")
}

impl VeuBody {
    pub fn new(reg: &Registration, pack: &Pack, registered_on: Date) -> VeuBody {
        VeuBody {
            id: reg.id.clone(),
            kind: reg.kind.as_str().to_owned(),
            name: reg.name.clone(),
            headquarters: pack.countries.code(reg.headquarters).to_owned(),
            ultimate_parent_headquarters: reg.ultimate_parent_headquarters.map(|c| pack.countries.code(c).to_owned()),
            country: reg.country.map(|c| pack.countries.code(c).to_owned()),
            registered_on: tiergate_core::units::date_text(registered_on),
        }
    }

    pub fn parse(body: &str) -> Result<VeuBody, String> {
        serde_json::from_str(body).map_err(|e| corrupt("VEU registration", e))
    }

    pub fn registration(&self, countries: &Countries) -> Result<Registration, String> {
        let country =
            |c: &str| countries.resolve(c).ok_or_else(|| corrupt("VEU registration", format!("country `{c}`")));
        Ok(Registration {
            id: self.id.clone(),
            kind: VeuKind::parse(&self.kind)
                .ok_or_else(|| corrupt("VEU registration", format!("kind `{}`", self.kind)))?,
            name: self.name.clone(),
            headquarters: country(&self.headquarters)?,
            ultimate_parent_headquarters: self.ultimate_parent_headquarters.as_deref().map(country).transpose()?,
            country: self.country.as_deref().map(country).transpose()?,
        })
    }
}

/// A registration id: what `nveu:ID` pools and reports are named by.
pub fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(format!("`{id}` is not a VEU id: use 1 to 64 letters, digits, `-`, `_` or `.`"))
    }
}

/// One event as stored (`veu_events.body`): the item's TPP per unit is kept as it was when logged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    pub date: String,
    pub event: String,
    pub facility: String,
    pub country: String,
    pub item: String,
    pub quantity: u64,
    /// Thousandths of TPP per unit.
    pub unit_tpp_milli: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation: Option<String>,
}

impl EventBody {
    pub fn new(e: &Event, pack: &Pack) -> EventBody {
        EventBody {
            date: tiergate_core::units::date_text(e.date),
            event: e.kind.as_str().to_owned(),
            facility: e.facility.clone(),
            country: pack.countries.code(e.country).to_owned(),
            item: e.item.clone(),
            quantity: e.quantity,
            unit_tpp_milli: e.unit_tpp.milli(),
            reservation: e.reservation.clone(),
        }
    }

    pub fn event(body: &str, countries: &Countries) -> Result<Event, String> {
        let b: EventBody = serde_json::from_str(body).map_err(|e| corrupt("VEU log event", e))?;
        Ok(Event {
            date: tiergate_core::units::parse_date(&b.date)
                .ok_or_else(|| corrupt("VEU log event", format!("date `{}`", b.date)))?,
            kind: EventKind::parse(&b.event).ok_or_else(|| corrupt("VEU log event", format!("event `{}`", b.event)))?,
            facility: b.facility,
            country: countries
                .resolve(&b.country)
                .ok_or_else(|| corrupt("VEU log event", format!("country `{}`", b.country)))?,
            item: b.item,
            quantity: b.quantity,
            unit_tpp: Tpp::from_milli(b.unit_tpp_milli),
            reservation: b.reservation,
        })
    }
}

/// The columns of a facility log file; `reservation` may be left out.
pub const LOG_COLUMNS: [&str; 7] = ["date", "event", "facility", "country", "item", "quantity", "reservation"];

/// Reads a facility log CSV (`date,event,facility,country,item,quantity[,reservation]`). Every row must be good;
/// with the line of each row, for messages about the log as a whole. `also` adds the caller's own check of an
/// event (a facility outside the VEU's country, say).
pub fn read_log(
    env: &Env,
    input: impl Read,
    also: impl Fn(&Event) -> Option<String>,
) -> Result<Vec<(u64, Event)>, CsvFileError> {
    let header = |names: &[String]| {
        if names == LOG_COLUMNS || names == &LOG_COLUMNS[..6] {
            Ok(())
        } else {
            Err(format!(
                "the header is `{}`; a facility log has the columns `{}` (`reservation` optional)",
                names.join(","),
                LOG_COLUMNS.join(",")
            ))
        }
    };
    let row = |(): &(), r: &csv::StringRecord| event(env, r).and_then(|e| also(&e).map_or(Ok(e), Err));
    read_rows(input, header, row, "logged", "the log has no events")
}

fn event(env: &Env, row: &csv::StringRecord) -> Result<Event, String> {
    let field = |i: usize| row.get(i).unwrap_or_default();
    let date = tiergate_core::units::parse_date(field(0))
        .ok_or_else(|| format!("`date` must be YYYY-MM-DD, not `{}`", field(0)))?;
    let kind = EventKind::parse(&field(1).to_ascii_lowercase())
        .ok_or_else(|| format!("`event` must be received, installed, transferred or retired, not `{}`", field(1)))?;
    let facility = field(2);
    if facility.is_empty() {
        return Err("`facility` is empty".into());
    }
    let country = env.countries.resolve(field(3)).ok_or_else(|| env.countries.unknown(field(3)))?;
    let (item, quantity) = catalog_quantity(env, field(4), field(5))?;
    let reservation = Some(field(6)).filter(|r| !r.is_empty()).map(str::to_owned);
    if reservation.is_some() && kind != EventKind::Received {
        return Err("`reservation` is for receipts only: it names the ledger reservation a shipment came under".into());
    }
    Ok(Event {
        date,
        kind,
        facility: facility.to_owned(),
        country,
        item: item.id.clone(),
        quantity,
        unit_tpp: item.tpp,
        reservation,
    })
}

/// The registry as stored, read back into registrations.
pub fn registry<'a>(
    countries: &Countries,
    bodies: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Registration>, String> {
    bodies.into_iter().map(|body| VeuBody::parse(body)?.registration(countries)).collect()
}

/// A registration on the wire (`veu list`, `veu show`, `veu add`).
#[derive(Serialize)]
pub struct VeuOut<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub name: &'a str,
    pub headquarters: &'a str,
    pub country: Option<&'a str>,
    pub registered_on: &'a str,
    pub registered_by: &'a str,
}

impl<'a> VeuOut<'a> {
    pub fn new(pack: &'a Pack, reg: &'a Registration, body: &'a VeuBody, actor: &'a str) -> VeuOut<'a> {
        VeuOut {
            id: &reg.id,
            kind: reg.kind.as_str(),
            name: &reg.name,
            headquarters: pack.countries.code(reg.headquarters),
            country: reg.country.map(|c| pack.countries.code(c)),
            registered_on: &body.registered_on,
            registered_by: actor,
        }
    }
}

#[derive(Serialize)]
pub struct FlowsOut {
    pub received_tpp: TppOut,
    pub installed_tpp: TppOut,
    pub transferred_tpp: TppOut,
    pub retired_tpp: TppOut,
    pub installed_base_tpp: TppOut,
}

#[derive(Serialize)]
pub struct ItemOut<'a> {
    pub item: &'a str,
    pub name: &'a str,
    pub unit_tpp: TppOut,
    pub received: u64,
    pub installed: u64,
    pub transferred: u64,
    pub retired: u64,
    pub in_stock: u64,
    pub in_service: u64,
    pub installed_base_tpp: TppOut,
}

#[derive(Serialize)]
pub struct FacilityOut<'a> {
    pub facility: &'a str,
    pub country: &'a str,
    pub items: Vec<ItemOut<'a>>,
    #[serde(flatten)]
    pub totals: FlowsOut,
}

#[derive(Serialize)]
pub struct CountryOut<'a> {
    pub country: &'a str,
    pub installed_base_tpp: TppOut,
}

#[derive(Serialize)]
pub struct LedgerOut<'a> {
    pub pool: &'a str,
    pub posted_in_period_tpp: u64,
    pub posted_to_date_tpp: u64,
    pub quarter: Option<&'a str>,
    pub cap_tpp: Option<u64>,
}

/// `tiergate veu report` as JSON.
#[derive(Serialize)]
pub struct ReportOut<'a> {
    pub veu: VeuOut<'a>,
    pub pack: String,
    pub period: String,
    pub from: String,
    pub to: String,
    pub totals: FlowsOut,
    pub facilities: Vec<FacilityOut<'a>>,
    pub by_country: Vec<CountryOut<'a>>,
    pub ledger: Option<LedgerOut<'a>>,
    pub checks: &'a [String],
    pub citations: Vec<ReasonOut<'a>>,
}

fn tpp_of(unit: Tpp, q: u64) -> TppOut {
    TppOut(unit.checked_mul(q).unwrap_or(Tpp::ZERO))
}

impl<'a> ReportOut<'a> {
    pub fn new(env: &'a Env, r: &'a Report<'a>, body: &'a VeuBody, actor: &'a str) -> ReportOut<'a> {
        let pack = &env.pack;
        let flows = |t: &tiergate_core::veu::Totals| FlowsOut {
            received_tpp: TppOut(t.received),
            installed_tpp: TppOut(t.installed),
            transferred_tpp: TppOut(t.transferred),
            retired_tpp: TppOut(t.retired),
            installed_base_tpp: TppOut(t.installed_base),
        };
        let facilities = r
            .facilities
            .iter()
            .map(|f| FacilityOut {
                facility: &f.facility,
                country: pack.countries.code(f.country),
                totals: flows(&f.totals()),
                items: f
                    .items
                    .iter()
                    .map(|i| ItemOut {
                        item: &i.item,
                        name: env.catalog.get(&i.item).map_or(i.item.as_str(), |a| a.name.as_str()),
                        unit_tpp: TppOut(i.unit_tpp),
                        received: i.moved.received,
                        installed: i.moved.installed,
                        transferred: i.moved.transferred,
                        retired: i.moved.retired,
                        in_stock: i.in_stock,
                        in_service: i.in_service,
                        installed_base_tpp: tpp_of(i.unit_tpp, i.in_service),
                    })
                    .collect(),
            })
            .collect();
        ReportOut {
            veu: VeuOut::new(pack, &r.veu, body, actor),
            pack: format!("{} {}", pack.id, pack.version),
            period: r.period.label(),
            from: tiergate_core::units::date_text(r.period.from()),
            to: tiergate_core::units::date_text(r.period.to()),
            totals: flows(&r.totals),
            facilities,
            by_country: r
                .by_country
                .iter()
                .map(|(c, t)| CountryOut { country: pack.countries.code(*c), installed_base_tpp: TppOut(*t) })
                .collect(),
            ledger: r.ledger.as_ref().map(|l| LedgerOut {
                pool: &l.pool,
                posted_in_period_tpp: l.posted_in_period_tpp,
                posted_to_date_tpp: l.posted_to_date_tpp,
                quarter: l.cap.as_ref().map(|c| c.quarter.as_str()),
                cap_tpp: l.cap.as_ref().map(|c| c.cap_tpp),
            }),
            checks: &r.checks,
            citations: r.citations.iter().map(ReasonOut::from).collect(),
        }
    }
}

/// The report as CSV: one row per facility and chip type.
pub fn report_csv(out: &ReportOut<'_>) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "veu",
        "period",
        "facility",
        "country",
        "item",
        "unit_tpp",
        "received",
        "installed",
        "transferred",
        "retired",
        "in_stock",
        "in_service",
        "installed_base_tpp",
    ])?;
    for f in &out.facilities {
        for i in &f.items {
            w.write_record([
                out.veu.id.to_owned(),
                out.period.clone(),
                f.facility.to_owned(),
                f.country.to_owned(),
                i.item.to_owned(),
                tpp_text(i.unit_tpp),
                i.received.to_string(),
                i.installed.to_string(),
                i.transferred.to_string(),
                i.retired.to_string(),
                i.in_stock.to_string(),
                i.in_service.to_string(),
                tpp_text(i.installed_base_tpp),
            ])?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn tpp_text(t: TppOut) -> String {
    if t.0.is_whole() {
        (t.0.milli() / 1000).to_string()
    } else {
        format!("{}", t.0.as_f64())
    }
}

fn grouped(t: TppOut) -> String {
    if t.0.is_whole() {
        tiergate_core::units::group_digits(t.0.milli() / 1000).to_string()
    } else {
        format!("{:.3}", t.0.as_f64())
    }
}

/// The report as a Markdown document a person can file; `chart` is the SVG's file name, if written beside it.
pub fn report_markdown(out: &ReportOut<'_>, chart: Option<&str>) -> String {
    let mut s = String::new();
    let v = &out.veu;
    let _ = writeln!(s, "# VEU semi-annual report: {} ({}), {}\n", v.name, v.id, out.period);
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| Authorization | {} |", v.kind.to_uppercase());
    let _ = writeln!(s, "| Headquarters | {} |", v.headquarters);
    if let Some(c) = v.country {
        let _ = writeln!(s, "| Country | {c} |");
    }
    let _ = writeln!(s, "| Period | {} to {} |", out.from, out.to);
    let _ = writeln!(s, "| Rule pack | {} |\n", out.pack);
    let _ = writeln!(s, "## Aggregate compute\n");
    let _ = writeln!(s, "| Received | Installed | Transferred | Retired (attrition) | Installed base at period end |");
    let _ = writeln!(s, "|---:|---:|---:|---:|---:|");
    let t = &out.totals;
    let _ = writeln!(
        s,
        "| {} | {} | {} | {} | {} |\n",
        grouped(t.received_tpp),
        grouped(t.installed_tpp),
        grouped(t.transferred_tpp),
        grouped(t.retired_tpp),
        grouped(t.installed_base_tpp)
    );
    let _ = writeln!(s, "All amounts in TPP; chip counts below.\n");
    let _ = writeln!(s, "## By facility\n");
    for f in &out.facilities {
        let _ = writeln!(s, "### {} ({})\n", f.facility, f.country);
        let _ = writeln!(
            s,
            "| Chip | TPP each | Received | Installed | Transferred | Retired | In stock | In service | Installed base TPP |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for i in &f.items {
            let _ = writeln!(
                s,
                "| {} (`{}`) | {} | {} | {} | {} | {} | {} | {} | {} |",
                i.name,
                i.item,
                grouped(i.unit_tpp),
                i.received,
                i.installed,
                i.transferred,
                i.retired,
                i.in_stock,
                i.in_service,
                grouped(i.installed_base_tpp)
            );
        }
        s.push('\n');
    }
    let _ = writeln!(s, "## Installed base by country\n");
    if let Some(c) = chart {
        let _ = writeln!(s, "![Installed base by country]({c})\n");
    }
    let _ = writeln!(s, "| Country | Installed base TPP |\n|---|---:|");
    for c in &out.by_country {
        let _ = writeln!(s, "| {} | {} |", c.country, grouped(c.installed_base_tpp));
    }
    s.push('\n');
    if let Some(l) = &out.ledger {
        let _ = writeln!(s, "## Ledger\n");
        let _ = writeln!(
            s,
            "- Pool `{}`: {} TPP posted in the period, {} TPP to its end.",
            l.pool,
            tiergate_core::units::group_digits(l.posted_in_period_tpp),
            tiergate_core::units::group_digits(l.posted_to_date_tpp)
        );
        if let (Some(q), Some(cap)) = (l.quarter, l.cap_tpp) {
            let _ = writeln!(s, "- Cumulative cap for {q}: {} TPP.", tiergate_core::units::group_digits(cap));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "## Checks\n");
    if out.checks.is_empty() {
        let _ = writeln!(s, "None: the log and the ledger agree.\n");
    }
    for c in out.checks {
        let _ = writeln!(s, "- {c}");
    }
    if !out.checks.is_empty() {
        s.push('\n');
    }
    let _ = writeln!(s, "## Authority\n");
    for c in &out.citations {
        let _ = writeln!(s, "- {} ({})", c.text, c.citation);
    }
    s
}

/// A bar chart of the installed base by country, as a standalone SVG.
pub fn report_svg(out: &ReportOut<'_>) -> String {
    const BAR: usize = 26;
    const GAP: usize = 10;
    const LEFT: usize = 60;
    const WIDTH: usize = 640;
    const TOP: usize = 48;
    let rows = out.by_country.len().max(1);
    let height = TOP + rows * (BAR + GAP) + 20;
    let max = out.by_country.iter().map(|c| c.installed_base_tpp.0.milli()).max().unwrap_or(0).max(1);
    let plot = WIDTH - LEFT - 150;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="title">"##
    );
    let _ = writeln!(
        s,
        r##"<title id="title">Installed base by country: {} ({}), {}</title>"##,
        xml(out.veu.name),
        xml(out.veu.id),
        out.period
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r##"<text x="{LEFT}" y="24" font-family="sans-serif" font-size="15" fill="#1a1a1a">Installed base by country, TPP, at {}</text>"##,
        out.to
    );
    if out.by_country.is_empty() {
        let _ = writeln!(
            s,
            r##"<text x="{LEFT}" y="{}" font-family="sans-serif" font-size="13" fill="#555555">No chips installed.</text>"##,
            TOP + 18
        );
    }
    for (i, c) in out.by_country.iter().enumerate() {
        let y = TOP + i * (BAR + GAP);
        #[allow(clippy::cast_possible_truncation)]
        let w = ((u128::from(c.installed_base_tpp.0.milli()) * plot as u128) / u128::from(max)) as usize;
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end" font-family="sans-serif" font-size="13" fill="#1a1a1a">{}</text>"##,
            LEFT - 8,
            y + BAR / 2 + 5,
            xml(c.country)
        );
        let _ = writeln!(
            s,
            r##"<rect x="{LEFT}" y="{y}" width="{}" height="{BAR}" fill="#0072b2"><title>{}: {} TPP</title></rect>"##,
            w.max(1),
            xml(c.country),
            grouped(c.installed_base_tpp)
        );
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" font-family="sans-serif" font-size="12" fill="#1a1a1a">{}</text>"##,
            LEFT + w.max(1) + 6,
            y + BAR / 2 + 4,
            grouped(c.installed_base_tpp)
        );
    }
    s.push_str("</svg>\n");
    s
}
