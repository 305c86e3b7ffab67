//! The answer shapes: a determination, a classification, an error line.

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use time::macros::format_description;
use time::Date;

use tiergate_core::determine::AllocationEffect;
use tiergate_core::parties::Screening;
use tiergate_core::units::Bandwidth;
use tiergate_core::{Classification, Determination, Reason, Tpp};

use crate::WireError;

/// A TPP amount: an integer when whole (`15832`), a decimal otherwise (`5284.8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TppOut(pub Tpp);

impl Serialize for TppOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        thousandths(self.0.milli(), s)
    }
}

/// An amount in thousandths: an integer when whole, a decimal otherwise.
#[allow(clippy::cast_precision_loss)]
fn thousandths<S: Serializer>(milli: u64, s: S) -> Result<S::Ok, S::Error> {
    if milli.is_multiple_of(1000) {
        s.serialize_u64(milli / 1000)
    } else {
        s.serialize_f64(milli as f64 / 1000.0)
    }
}

/// A float shown to two places: an integer when whole (`1000`), a decimal otherwise (`19.45`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shown(pub f64);

impl Serialize for Shown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        if self.0.fract() == 0.0 && self.0 >= 0.0 && self.0 < 9.0e15 {
            s.serialize_u64(self.0 as u64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

/// A statement with the rule that supports it: every reason, obligation and note.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReasonOut<'a> {
    pub text: &'a str,
    pub citation: &'a str,
}

impl<'a> From<&'a Reason<'_>> for ReasonOut<'a> {
    fn from(r: &'a Reason<'_>) -> ReasonOut<'a> {
        ReasonOut { text: &r.text, citation: r.citation }
    }
}

struct Reasons<'a, 'p>(&'a [Reason<'p>]);

impl Serialize for Reasons<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for r in self.0 {
            seq.serialize_element(&ReasonOut { text: &r.text, citation: r.citation })?;
        }
        seq.end()
    }
}

/// An item's classification: ECCN (null when this rule does not control it), TPP, PD and H100-equivalents.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClassificationOut {
    /// `3A090.a`, `3A090.b`, `4A090.a`, `4A090.b`, `4E091` or null.
    #[schema(value_type = Option<String>)]
    pub eccn: Option<&'static str>,
    #[schema(value_type = Option<f64>)]
    pub tpp_per_unit: Option<TppOut>,
    #[schema(value_type = Option<f64>)]
    pub tpp_total: Option<TppOut>,
    #[schema(value_type = Option<f64>)]
    pub performance_density: Option<Shown>,
    #[schema(value_type = Option<f64>)]
    pub h100_equivalents: Option<Shown>,
    /// The DRAM bandwidth of one IC (or catalogued assembly) in GB/s, when the spec sheet or catalog gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<f64>)]
    pub dram_bandwidth_gbps: Option<BandwidthOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_operations: Option<f64>,
}

/// A bandwidth in GB/s: an integer when whole, a decimal otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BandwidthOut(pub Bandwidth);

impl Serialize for BandwidthOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        thousandths(self.0.milli(), s)
    }
}

impl ClassificationOut {
    pub fn new(c: &Classification<'_>) -> ClassificationOut {
        ClassificationOut {
            eccn: c.eccn.map(|e| e.as_str()),
            tpp_per_unit: c.tpp_per_unit.map(TppOut),
            tpp_total: c.tpp_total.map(TppOut),
            performance_density: c.performance_density.map(Shown),
            h100_equivalents: c.h100_equivalents.map(Shown),
            dram_bandwidth_gbps: c.dram_bandwidth.map(BandwidthOut),
            training_operations: c.training_operations,
        }
    }
}

/// The allocation an answer draws: `country:XX` or `nveu:ID`, whole TPP.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AllocationOut<'a> {
    pub pool: &'a str,
    pub tpp: u64,
    pub remaining_tpp: u64,
    pub cap_tpp: u64,
}

impl<'a> AllocationOut<'a> {
    fn new(a: &'a AllocationEffect) -> AllocationOut<'a> {
        AllocationOut { pool: &a.pool, tpp: a.tpp, remaining_tpp: a.remaining_tpp, cap_tpp: a.cap_tpp }
    }
}

/// The regime an answer was given under: the timeline that chose the pack (null when a pack was given or pinned),
/// and the pack's id, version and the SHA-256 of its text as loaded.
#[derive(Clone, Copy, Debug, Serialize, utoipa::ToSchema)]
pub struct RegimeOut<'a> {
    /// `codified` or `enforced`; null when the pack was named rather than chosen by a timeline.
    pub timeline: Option<&'a str>,
    pub pack: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
}

impl<'a> RegimeOut<'a> {
    /// A pack answering by itself, chosen by no timeline.
    pub fn of(pack: &'a tiergate_core::Pack) -> RegimeOut<'a> {
        RegimeOut { timeline: None, pack: &pack.id, version: &pack.version, sha256: &pack.sha256 }
    }

    /// A pack chosen by `timeline` for the request's date.
    pub fn on(timeline: &'a str, pack: &'a tiergate_core::Pack) -> RegimeOut<'a> {
        RegimeOut { timeline: Some(timeline), ..RegimeOut::of(pack) }
    }
}

/// The answer to one request, in the contract's field order. With a ledger and `record`, a `recorded` member
/// follows: the reservation's outcome, or null when the answer draws nothing.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeterminationOut<'a, 'p> {
    pub id: Option<&'a str>,
    /// The answer in one sentence for a non-specialist: whether a license is needed, what BIS presumes, what the
    /// export draws on.
    pub summary: &'a str,
    /// The answering pack's id (as `regime.pack`).
    pub pack: &'a str,
    pub regime: RegimeOut<'a>,
    /// `YYYY-MM-DD`.
    #[schema(value_type = String)]
    pub date: DateOut,
    pub classification: ClassificationOut,
    /// The effective tier: 1, 2 or 3; null under a regime without tiers (before 90 FR 4544, or what BIS enforces
    /// after 2025-05-13).
    pub tier: Option<u8>,
    /// `NLR`, `AIA`, `ACA`, `NAC`, `ACM`, `UVEU`, `NVEU`, `LPP` or `LICENSE`.
    #[schema(value_type = String)]
    pub authorization: &'static str,
    pub license_required: bool,
    /// `approval`, `denial` or `case_by_case` for `LICENSE`, else null.
    #[schema(value_type = Option<String>)]
    pub review_policy: Option<&'static str>,
    pub allocation: Option<AllocationOut<'a>>,
    #[schema(value_type = Vec<ReasonOut>)]
    obligations: Reasons<'a, 'p>,
    #[schema(value_type = Vec<ReasonOut>)]
    reasons: Reasons<'a, 'p>,
    #[schema(value_type = Vec<ReasonOut>)]
    notes: Reasons<'a, 'p>,
    /// With a ledger: what screening the named parties against the imported restricted-party lists found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screening: Option<ScreeningOut<'a>>,
    /// With `compare`: the other timeline's answer, where it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare: Option<Vec<CompareOut<'a>>>,
}

/// Another timeline's answer to the same request (`compare`), given where it differs in authorization, license,
/// review policy or allocation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CompareOut<'a> {
    pub timeline: &'a str,
    /// The pack that timeline answers under on the request's date; null when it has none then (with `error`).
    pub pack: Option<&'a str>,
    #[schema(value_type = Option<String>)]
    pub authorization: Option<&'static str>,
    pub license_required: Option<bool>,
    #[schema(value_type = Option<String>)]
    pub review_policy: Option<&'static str>,
    pub allocation: Option<AllocationOut<'a>>,
    /// Why that timeline gives no answer (`date_before_effective`, say); absent when it answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl<'a> CompareOut<'a> {
    pub fn of(timeline: &'a str, d: &'a Determination<'_>) -> CompareOut<'a> {
        CompareOut {
            timeline,
            pack: Some(&d.pack.id),
            authorization: Some(d.authorization.as_str()),
            license_required: Some(d.license_required()),
            review_policy: d.review_policy.map(|p| p.as_str()),
            allocation: d.allocation.as_ref().map(AllocationOut::new),
            error: None,
        }
    }
}

impl<'a, 'p> DeterminationOut<'a, 'p> {
    pub fn new(id: Option<&'a str>, regime: RegimeOut<'a>, d: &'a Determination<'p>) -> DeterminationOut<'a, 'p> {
        DeterminationOut {
            id,
            summary: &d.summary,
            pack: regime.pack,
            regime,
            date: DateOut(d.date),
            classification: ClassificationOut::new(&d.classification),
            tier: d.tier.map(|t| t.number()),
            authorization: d.authorization.as_str(),
            license_required: d.license_required(),
            review_policy: d.review_policy.map(|p| p.as_str()),
            allocation: d.allocation.as_ref().map(AllocationOut::new),
            obligations: Reasons(&d.obligations),
            reasons: Reasons(&d.reasons),
            notes: Reasons(&d.notes),
            screening: d.screening.as_ref().map(ScreeningOut::new),
            compare: None,
        }
    }
}

/// The screening of a request's named parties, as the determination took it into account.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ScreeningOut<'a> {
    /// The list versions screened against; empty when none is imported (nothing was screened).
    pub lists: &'a [String],
    pub screened: Vec<ScreenedOut<'a>>,
    /// Hits at or above the review threshold, and hits judged false positives (`decision` `cleared`).
    pub hits: Vec<PartyHitOut<'a>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ScreenedOut<'a> {
    /// `consignee` or `ultimate_parent`.
    pub role: &'static str,
    pub name: &'a str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PartyHitOut<'a> {
    /// `consignee` or `ultimate_parent`.
    pub role: &'static str,
    pub query: &'a str,
    pub entry_id: &'a str,
    pub list: &'a str,
    pub name: &'a str,
    /// The entry's name or alias that matched.
    pub matched_name: &'a str,
    /// How the names matched, when it is more than their words paired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<&'a str>,
    /// The entry's countries and addresses as listed.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub countries: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub addresses: &'a [String],
    pub score: f64,
    /// `match`, `review` or `cleared` (judged a false positive).
    pub decision: &'static str,
    pub license_requirement: Option<&'a str>,
    pub license_policy: Option<&'a str>,
    pub federal_register_notice: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judgement: Option<&'a str>,
}

impl<'a> ScreeningOut<'a> {
    pub fn new(s: &'a Screening) -> ScreeningOut<'a> {
        ScreeningOut {
            lists: &s.lists,
            screened: s.screened.iter().map(|(role, name)| ScreenedOut { role: role.as_str(), name }).collect(),
            hits: s
                .hits
                .iter()
                .map(|h| PartyHitOut {
                    role: h.role.as_str(),
                    query: &h.query,
                    entry_id: &h.entry_id,
                    list: &h.list,
                    name: &h.name,
                    matched_name: &h.matched_name,
                    why: h.why.as_deref(),
                    countries: &h.countries,
                    addresses: &h.addresses,
                    score: h.score,
                    decision: h.level.as_str(),
                    license_requirement: h.license_requirement.as_deref(),
                    license_policy: h.license_policy.as_deref(),
                    federal_register_notice: h.federal_register_notice.as_deref(),
                    judgement: h.judgement.as_deref(),
                })
                .collect(),
        }
    }
}

/// A date written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug)]
pub struct DateOut(pub Date);

impl Serialize for DateOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.0.format(format_description!("[year]-[month]-[day]")).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

/// A request that could not be determined, in a batch answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorOut<'a> {
    pub id: Option<&'a str>,
    pub error: ErrorBody<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    pub code: &'a str,
    pub field: Option<&'a str>,
    pub message: &'a str,
    /// The input line (1-based) the error is on, in batch input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// Appends a determination as one JSON line, byte for byte what serializing [`DeterminationOut`] with
/// `serde_json` writes (a test holds the two equal). Batch output is dominated by long cited strings; this
/// encoder copies a string whole when it needs no escaping, found by a branch-free scan.
///
/// `extra`, when given, is one more JSON member (`"name":value`) added at the end, as an adapter's hooks return.
pub fn write_determination(
    out: &mut Vec<u8>,
    id: Option<&str>,
    regime: &RegimeOut<'_>,
    d: &Determination<'_>,
    extra: Option<&[u8]>,
) {
    let c = &d.classification;
    out.extend_from_slice(b"{\"id\":");
    opt_str(out, id);
    out.extend_from_slice(b",\"summary\":");
    json_str(out, &d.summary);
    out.extend_from_slice(b",\"pack\":");
    json_str(out, regime.pack);
    out.extend_from_slice(b",\"regime\":{\"timeline\":");
    opt_str(out, regime.timeline);
    out.extend_from_slice(b",\"pack\":");
    json_str(out, regime.pack);
    out.extend_from_slice(b",\"version\":");
    json_str(out, regime.version);
    out.extend_from_slice(b",\"sha256\":");
    json_str(out, regime.sha256);
    out.push(b'}');
    out.extend_from_slice(b",\"date\":\"");
    let (y, m, day) = (d.date.year(), u8::from(d.date.month()), d.date.day());
    out.extend_from_slice(format!("{y:04}-{m:02}-{day:02}").as_bytes());
    out.extend_from_slice(b"\",\"classification\":{\"eccn\":");
    opt_str(out, c.eccn.map(|e| e.as_str()));
    out.extend_from_slice(b",\"tpp_per_unit\":");
    opt_tpp(out, c.tpp_per_unit);
    out.extend_from_slice(b",\"tpp_total\":");
    opt_tpp(out, c.tpp_total);
    out.extend_from_slice(b",\"performance_density\":");
    opt_shown(out, c.performance_density);
    out.extend_from_slice(b",\"h100_equivalents\":");
    opt_shown(out, c.h100_equivalents);
    if let Some(b) = c.dram_bandwidth {
        out.extend_from_slice(b",\"dram_bandwidth_gbps\":");
        number(out, &BandwidthOut(b));
    }
    if let Some(ops) = c.training_operations {
        out.extend_from_slice(b",\"training_operations\":");
        number(out, &ops);
    }
    out.extend_from_slice(b"},\"tier\":");
    number(out, &d.tier.map(|t| t.number()));
    out.extend_from_slice(b",\"authorization\":");
    json_str(out, d.authorization.as_str());
    out.extend_from_slice(if d.license_required() {
        b",\"license_required\":true"
    } else {
        b",\"license_required\":false"
    });
    out.extend_from_slice(b",\"review_policy\":");
    opt_str(out, d.review_policy.map(|p| p.as_str()));
    out.extend_from_slice(b",\"allocation\":");
    match &d.allocation {
        None => out.extend_from_slice(b"null"),
        Some(a) => {
            out.extend_from_slice(b"{\"pool\":");
            json_str(out, &a.pool);
            out.extend_from_slice(b",\"tpp\":");
            number(out, &a.tpp);
            out.extend_from_slice(b",\"remaining_tpp\":");
            number(out, &a.remaining_tpp);
            out.extend_from_slice(b",\"cap_tpp\":");
            number(out, &a.cap_tpp);
            out.push(b'}');
        }
    }
    for (key, list) in
        [(&b",\"obligations\":["[..], &d.obligations), (b",\"reasons\":[", &d.reasons), (b",\"notes\":[", &d.notes)]
    {
        out.extend_from_slice(key);
        for (i, r) in list.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"text\":");
            json_str(out, &r.text);
            out.extend_from_slice(b",\"citation\":");
            json_str(out, r.citation);
            out.push(b'}');
        }
        out.push(b']');
    }
    if let Some(s) = &d.screening {
        out.extend_from_slice(b",\"screening\":");
        number(out, &ScreeningOut::new(s));
    }
    if let Some(member) = extra {
        out.push(b',');
        out.extend_from_slice(member);
    }
    out.extend_from_slice(b"}\n");
}

fn number<T: Serialize>(out: &mut Vec<u8>, n: &T) {
    // Numbers and floats cannot fail to serialize into memory.
    let _ = serde_json::to_writer(&mut *out, n);
}

fn opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

fn opt_tpp(out: &mut Vec<u8>, t: Option<Tpp>) {
    match t {
        Some(t) => number(out, &TppOut(t)),
        None => out.extend_from_slice(b"null"),
    }
}

fn opt_shown(out: &mut Vec<u8>, x: Option<f64>) {
    match x {
        Some(x) => number(out, &Shown(x)),
        None => out.extend_from_slice(b"null"),
    }
}

/// Writes `s` as a JSON string literal, escaping exactly as `serde_json` does.
fn json_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // No early exit, so the compiler can vectorize the scan.
    let needs_escape = bytes.iter().fold(false, |acc, &b| acc | (b < 0x20) | (b == b'"') | (b == b'\\'));
    if needs_escape {
        number(out, &s);
    } else {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    }
}

/// Appends an error as one JSON line.
pub fn write_error(out: &mut Vec<u8>, id: Option<&str>, e: &WireError, line: Option<u64>) {
    let body = ErrorOut { id, error: ErrorBody { code: e.code, field: e.field.as_deref(), message: &e.message, line } };
    if serde_json::to_writer(&mut *out, &body).is_err() {
        out.extend_from_slice(
            b"{\"id\":null,\"error\":{\"code\":\"internal\",\"field\":null,\"message\":\"could not write the error\"}}",
        );
    }
    out.push(b'\n');
}
