//! The VEU registry's operations, one implementation for `tiergate veu` and `/v1/veus`: register (or record an
//! applicant) after checking eligibility, list, show an NVEU's standing against its quarterly cap, append a
//! facility log, write the semi-annual report, and record and report readiness against Supp. No. 10 to part 748.
//! Answers are JSON documents, the same bytes on both sides.

use std::io::Read;

use serde::Serialize;
use serde_json::value::RawValue;
use tiergate_core::veu::{eligibility, facility_problem, replay, report, Event, Period, Posted, Registration};
use tiergate_core::veu_readiness::{check_evidence, readiness, Evidence};
use tiergate_store::{IssuedReport, Ledger, LedgerError, State, StoredEvidence, StoredVeu};
use tiergate_wire::readiness::{EvidenceBody, ReadinessOut};
use tiergate_wire::veu::{read_log, EventBody, ReportOut, VeuBody, VeuOut};
use tiergate_wire::{Env, ReasonOut};
use time::Date;

#[derive(Debug, thiserror::Error)]
pub enum VeuError {
    /// No VEU has the id.
    #[error("no VEU with id `{0}` is registered")]
    NotFound(String),
    /// A request or file that cannot be used; `field` names the request field when there is one.
    #[error("{message}")]
    Invalid { field: Option<&'static str>, message: String },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl VeuError {
    fn invalid(field: Option<&'static str>, message: impl Into<String>) -> VeuError {
        VeuError::Invalid { field, message: message.into() }
    }
}

/// A stored body that no longer reads is the database's fault, not the caller's.
fn corrupt(message: String) -> VeuError {
    VeuError::Ledger(LedgerError::Corrupt(message))
}

fn json(v: &impl Serialize) -> Result<Box<RawValue>, VeuError> {
    serde_json::value::to_raw_value(v).map_err(|e| corrupt(format!("cannot write an answer: {e}")))
}

#[derive(Serialize)]
struct AddOut<'a> {
    /// Stored in the registry that determinations rely on.
    registered: bool,
    /// Stored as an applicant for VEU status instead.
    applicant: bool,
    #[serde(flatten)]
    veu: VeuOut<'a>,
    reasons: Vec<ReasonOut<'a>>,
}

#[derive(Serialize)]
struct ShowOut<'a> {
    #[serde(flatten)]
    veu: VeuOut<'a>,
    applicant: bool,
    events: u64,
    /// The semi-annual reports issued, by half-year.
    reports_issued: Vec<tiergate_store::IssuedReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nveu: Option<NveuOut>,
}

/// An NVEU's standing on a date, from the ledger's `nveu:ID` pool.
#[derive(Serialize)]
struct NveuOut {
    date: String,
    quarter: String,
    pool: String,
    cap_tpp: u64,
    installed_tpp: u64,
    posted_tpp: u64,
    pending_tpp: u64,
    headroom_tpp: u64,
}

#[derive(Serialize)]
struct LogOut<'a> {
    id: &'a str,
    added: usize,
    events: u64,
}

/// A registration attempt: whether it was stored (as a VEU or an applicant), and the answer (`{"registered",
/// "applicant", ...the VEU, "reasons"}`).
pub struct Registered {
    pub stored: bool,
    pub answer: Box<RawValue>,
}

/// Checks `reg`'s eligibility as of `date` and stores it when eligible, as a registered VEU or, for `applicant`,
/// as an applicant for VEU status (whose readiness is recorded, but on whom no determination relies); an
/// ineligible one is answered, not stored. A taken id is refused.
pub fn register(
    env: &Env,
    ledger: &mut Ledger,
    reg: &Registration,
    applicant: bool,
    date: Date,
    actor: &str,
    at: &str,
) -> Result<Registered, VeuError> {
    tiergate_wire::veu::check_id(&reg.id).map_err(|m| VeuError::invalid(Some("id"), m))?;
    if reg.name.trim().is_empty() {
        return Err(VeuError::invalid(Some("name"), "the VEU's name is empty"));
    }
    let e = eligibility(&env.pack, reg, date);
    let body = VeuBody::new(reg, &env.pack, date);
    if e.eligible {
        let text = serde_json::to_string(&body).map_err(|e| corrupt(e.to_string()))?;
        let stored = StoredVeu { id: reg.id.clone(), body: text, actor: actor.to_owned(), at: at.to_owned() };
        if applicant {
            ledger.add_veu_applicant(&stored)?;
        } else {
            ledger.add_veu(&stored)?;
        }
    }
    let answer = json(&AddOut {
        registered: e.eligible && !applicant,
        applicant: e.eligible && applicant,
        veu: VeuOut::new(&env.pack, reg, &body, actor),
        reasons: e.reasons.iter().map(ReasonOut::from).collect(),
    })?;
    Ok(Registered { stored: e.eligible, answer })
}

#[derive(Serialize)]
struct ListedOut<'a> {
    #[serde(flatten)]
    veu: VeuOut<'a>,
    applicant: bool,
}

/// Every registered VEU, then every applicant, each in the store's order (`"applicant"` tells them apart).
pub fn list(env: &Env, ledger: &mut Ledger) -> Result<Vec<Box<RawValue>>, VeuError> {
    let registered = ledger.veus()?;
    // An applicant registered since is listed once, as registered (its evidence stays under the same id).
    let applicants: Vec<StoredVeu> =
        ledger.veu_applicants()?.into_iter().filter(|a| !registered.iter().any(|r| r.id == a.id)).collect();
    registered
        .iter()
        .map(|v| (v, false))
        .chain(applicants.iter().map(|v| (v, true)))
        .map(|(v, applicant)| {
            let body = VeuBody::parse(&v.body).map_err(corrupt)?;
            let reg = body.registration(&env.countries).map_err(corrupt)?;
            json(&ListedOut { veu: VeuOut::new(&env.pack, &reg, &body, &v.actor), applicant })
        })
        .collect()
}

/// The stored registration `id`, its body and the registration it reads back into.
pub fn find(env: &Env, ledger: &mut Ledger, id: &str) -> Result<(StoredVeu, VeuBody, Registration), VeuError> {
    let stored = ledger.veu(id)?.ok_or_else(|| VeuError::NotFound(id.to_owned()))?;
    let body = VeuBody::parse(&stored.body).map_err(corrupt)?;
    let reg = body.registration(&env.countries).map_err(corrupt)?;
    Ok((stored, body, reg))
}

/// A registered VEU or, failing that, an applicant: as stored, its body, its registration, and whether it is an
/// applicant's.
fn subject(env: &Env, ledger: &mut Ledger, id: &str) -> Result<(StoredVeu, VeuBody, Registration, bool), VeuError> {
    let (stored, applicant) = match ledger.veu(id)? {
        Some(v) => (v, false),
        None => (ledger.veu_applicant(id)?.ok_or_else(|| VeuError::NotFound(id.to_owned()))?, true),
    };
    let body = VeuBody::parse(&stored.body).map_err(corrupt)?;
    let reg = body.registration(&env.countries).map_err(corrupt)?;
    Ok((stored, body, reg, applicant))
}

/// A registered VEU or, failing that, an applicant: the registration and whether it is an applicant's.
pub fn find_subject(env: &Env, ledger: &mut Ledger, id: &str) -> Result<(Registration, bool), VeuError> {
    subject(env, ledger, id).map(|(_, _, reg, applicant)| (reg, applicant))
}

#[derive(Serialize)]
struct EvidenceRecorded<'a> {
    id: &'a str,
    requirement: &'a str,
    status: &'static str,
    /// Pieces of evidence now recorded for the requirement (the latest counts).
    recorded: usize,
    /// Where the VEU now stands, in one sentence.
    summary: String,
}

/// Records evidence for VEU or applicant `id` after checking it against the pack's guidelines as of `today`,
/// audited (`veu-evidence`).
pub fn record_evidence(
    env: &Env,
    ledger: &mut Ledger,
    id: &str,
    body: &EvidenceBody,
    actor: &str,
    at: &str,
    today: Date,
) -> Result<Box<RawValue>, VeuError> {
    let (reg, applicant) = find_subject(env, ledger, id)?;
    let e = body.evidence(actor, at).map_err(|(field, m)| VeuError::invalid(Some(field), m))?;
    check_evidence(&env.pack, &reg, &e, today)
        .map_err(|err| VeuError::invalid((err.field != "pack").then_some(err.field), err.problem))?;
    let stored = serde_json::to_string(&EvidenceBody::of(&e)).map_err(|e| corrupt(e.to_string()))?;
    let why = format!("{}: {}", e.requirement, e.status.as_str());
    ledger.add_veu_evidence(id, &StoredEvidence { body: stored, actor: actor.to_owned(), at: at.to_owned() }, &why)?;
    let evidence = evidence_of(ledger, id)?;
    let recorded = evidence.iter().filter(|x| x.requirement == e.requirement).count();
    let r = readiness(&env.pack, &reg, &evidence, today).map_err(|err| VeuError::invalid(None, err.problem))?;
    let summary = ReadinessOut::new(&env.pack, &reg, applicant, &r).summary;
    json(&EvidenceRecorded { id, requirement: &e.requirement, status: e.status.as_str(), recorded, summary })
}

fn evidence_of(ledger: &mut Ledger, id: &str) -> Result<Vec<Evidence>, VeuError> {
    ledger.veu_evidence(id)?.iter().map(|s| EvidenceBody::read(&s.body, &s.actor, &s.at).map_err(corrupt)).collect()
}

/// The readiness of VEU or applicant `id` on `date`, handed to `render`.
pub fn readiness_report<T>(
    env: &Env,
    ledger: &mut Ledger,
    id: &str,
    date: Date,
    render: impl FnOnce(&ReadinessOut<'_>) -> T,
) -> Result<T, VeuError> {
    let (reg, applicant) = find_subject(env, ledger, id)?;
    let evidence = evidence_of(ledger, id)?;
    let r = readiness(&env.pack, &reg, &evidence, date).map_err(|err| VeuError::invalid(None, err.problem))?;
    Ok(render(&ReadinessOut::new(&env.pack, &reg, applicant, &r)))
}

/// One VEU or applicant; for a registered NVEU also its cumulative cap for the quarter of `date`, its installed
/// TPP from the ledger (posted and pending reservations of `nveu:ID`) and its headroom.
pub fn show(env: &Env, ledger: &mut Ledger, id: &str, date: Date) -> Result<Box<RawValue>, VeuError> {
    let (stored, body, reg, applicant) = subject(env, ledger, id)?;
    let events = ledger.veu_event_count(id)?;
    let nveu = match reg.pool().filter(|_| !applicant) {
        Some(pool) => {
            let b = ledger.balance(&pool, date)?;
            let quarter = env.pack.nveu.cap(date).map(|(q, _)| q.to_string()).unwrap_or_default();
            Some(NveuOut {
                date: tiergate_store::date_text(date),
                quarter,
                pool,
                cap_tpp: b.cap_tpp,
                installed_tpp: b.posted_tpp.saturating_add(b.pending_tpp),
                posted_tpp: b.posted_tpp,
                pending_tpp: b.pending_tpp,
                headroom_tpp: b.available_tpp,
            })
        }
        None => None,
    };
    let reports_issued = if applicant { Vec::new() } else { ledger.veu_reports(id)? };
    json(&ShowOut { veu: VeuOut::new(&env.pack, &reg, &body, &stored.actor), applicant, events, reports_issued, nveu })
}

/// Appends a facility log CSV to VEU `id`'s log: all rows or none. Bad rows are reported by line, and a log that
/// would install or remove more chips than a facility holds is refused (naming the line).
pub fn log(
    env: &Env,
    ledger: &mut Ledger,
    id: &str,
    input: impl Read,
    actor: &str,
    at: &str,
) -> Result<Box<RawValue>, VeuError> {
    let (_, _, reg) = find(env, ledger, id)?;
    // Every closed row named with its line here; the append's own transaction checks again (a report issued since).
    let issued = ledger.veu_reports(id)?;
    let rows = read_log(env, input, |e| facility_problem(&env.pack, &reg, e).or_else(|| closed(&issued, e)))
        .map_err(|e| VeuError::invalid(None, e.to_string()))?;
    let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
    let bodies = rows
        .iter()
        .map(|(_, e)| serde_json::to_string(&EventBody::new(e, &env.pack)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| corrupt(e.to_string()))?;
    let countries = &env.countries;
    // The store hands back the whole log, stored events first: only those are read back; the new ones are the
    // events just read.
    let check = |log: &[String], issued: &[IssuedReport]| -> Result<(), String> {
        if let Some((line, why)) = rows.iter().find_map(|(l, e)| closed(issued, e).map(|why| (l, why))) {
            return Err(format!("line {line}: {why}"));
        }
        let stored = log.len().saturating_sub(bodies.len());
        let mut events =
            log.iter().take(stored).map(|b| EventBody::event(b, countries)).collect::<Result<Vec<Event>, _>>()?;
        events.extend(rows.iter().map(|(_, e)| e.clone()));
        replay(&events, None).map(|_| ()).map_err(|e| match e.index.checked_sub(stored) {
            Some(new) => format!("line {}: {}", lines.get(new).copied().unwrap_or_default(), e.problem),
            None => format!("the stored log: {}", e.problem),
        })
    };
    let total = ledger.log_veu_events(id, &bodies, actor, at, &check)?;
    json(&LogOut { id, added: bodies.len(), events: total })
}

/// Why `e` may not be logged: a half-year whose report was issued is closed, as an event dated in it would change a
/// filed report.
fn closed(issued: &[IssuedReport], e: &Event) -> Option<String> {
    issued.iter().find(|r| Period::parse(&r.period).is_some_and(|p| p.contains(e.date))).map(|r| {
        format!(
            "dated {}, in {}, whose report was issued on {} by {}: a filed report is not changed; log the event with \
             the date it is recorded on",
            e.date, r.period, r.at, r.actor
        )
    })
}

#[derive(Serialize)]
struct IssuedOut<'a> {
    id: &'a str,
    period: &'a str,
    /// Of the report's JSON form as issued.
    sha256: &'a str,
    issued_at: &'a str,
    issued_by: &'a str,
}

/// Records VEU `id`'s report for `period` as issued (filed with BIS), with the sha256 of its JSON form; from then
/// on, a facility-log event dated in that half-year is refused. A half-year issued before is refused.
pub fn issue_report(
    env: &Env,
    ledger: &mut Ledger,
    id: &str,
    period: &str,
    actor: &str,
    at: &str,
) -> Result<Box<RawValue>, VeuError> {
    use sha2::Digest as _;
    // The log's length before the report is written: if an append lands before the issue is recorded, the store
    // refuses it, and the sha256 always names the report as issued.
    let events = ledger.veu_event_count(id)?;
    let (half, text) = semi_annual_report(env, ledger, id, period, |o| (o.period.clone(), serde_json::to_vec(o)))?;
    let text = text.map_err(|e| corrupt(e.to_string()))?;
    let sha256 = format!("{:x}", sha2::Sha256::digest(&text));
    let issued = tiergate_store::IssuedReport { period: half, sha256, actor: actor.to_owned(), at: at.to_owned() };
    ledger.issue_veu_report(id, &issued, events)?;
    json(&IssuedOut { id, period: &issued.period, sha256: &issued.sha256, issued_at: at, issued_by: actor })
}

/// The semi-annual report of VEU `id` for `period` (`2025H1`, `2025H2`), handed to `render`.
pub fn semi_annual_report<T>(
    env: &Env,
    ledger: &mut Ledger,
    id: &str,
    period: &str,
    render: impl FnOnce(&ReportOut<'_>) -> T,
) -> Result<T, VeuError> {
    let period = Period::parse(period).ok_or_else(|| {
        VeuError::invalid(Some("period"), format!("`{period}` is not a half-year such as 2025H1 or 2025H2"))
    })?;
    let (stored, body, reg) = find(env, ledger, id)?;
    let events = ledger
        .veu_events(id)?
        .iter()
        .map(|b| EventBody::event(b, &env.countries))
        .collect::<Result<Vec<_>, _>>()
        .map_err(corrupt)?;
    let posted: Vec<Posted> = match reg.pool() {
        Some(pool) => ledger
            .list(&pool)?
            .into_iter()
            .filter(|r| r.state == State::Posted)
            .map(|r| Posted { id: r.id, tpp: r.tpp, date: r.date })
            .collect(),
        None => Vec::new(),
    };
    let r = report(&env.pack, &reg, period, &events, &posted)
        .map_err(|e| corrupt(format!("the stored facility log: {e}")))?;
    Ok(render(&ReportOut::new(env, &r, &body, &stored.actor)))
}
