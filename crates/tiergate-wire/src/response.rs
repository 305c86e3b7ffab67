//! The answer shapes: a determination, a classification, an error line.

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;
use time::macros::format_description;
use time::Date;

use tiergate_core::determine::AllocationEffect;
use tiergate_core::{Classification, Determination, Reason, Tpp};

use crate::WireError;

/// A TPP amount: an integer when whole (`15832`), a decimal otherwise (`5284.8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TppOut(pub Tpp);

impl Serialize for TppOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_whole() {
            s.serialize_u64(self.0.milli() / 1000)
        } else {
            s.serialize_f64(self.0.as_f64())
        }
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

#[derive(Serialize)]
pub struct ReasonOut<'a> {
    pub text: &'a str,
    pub citation: &'a str,
}

struct Reasons<'a, 'p>(&'a [Reason<'p>]);

impl Serialize for Reasons<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for r in self.0 {
            seq.serialize_element(&ReasonOut {
                text: &r.text,
                citation: r.citation,
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
pub struct ClassificationOut {
    pub eccn: Option<&'static str>,
    pub tpp_per_unit: Option<TppOut>,
    pub tpp_total: Option<TppOut>,
    pub performance_density: Option<Shown>,
    pub h100_equivalents: Option<Shown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub training_operations: Option<f64>,
}

impl ClassificationOut {
    pub fn new(c: &Classification<'_>) -> ClassificationOut {
        ClassificationOut {
            eccn: c.eccn.map(|e| e.as_str()),
            tpp_per_unit: c.tpp_per_unit.map(TppOut),
            tpp_total: c.tpp_total.map(TppOut),
            performance_density: c.performance_density.map(Shown),
            h100_equivalents: c.h100_equivalents.map(Shown),
            training_operations: c.training_operations,
        }
    }
}

#[derive(Serialize)]
pub struct AllocationOut<'a> {
    pub pool: &'a str,
    pub tpp: u64,
    pub remaining_tpp: u64,
    pub cap_tpp: u64,
}

impl<'a> AllocationOut<'a> {
    fn new(a: &'a AllocationEffect) -> AllocationOut<'a> {
        AllocationOut {
            pool: &a.pool,
            tpp: a.tpp,
            remaining_tpp: a.remaining_tpp,
            cap_tpp: a.cap_tpp,
        }
    }
}

/// The answer to one request, in the contract's field order.
#[derive(Serialize)]
pub struct DeterminationOut<'a, 'p> {
    pub id: Option<&'a str>,
    pub pack: &'a str,
    pub date: DateOut,
    pub classification: ClassificationOut,
    pub tier: u8,
    pub authorization: &'static str,
    pub license_required: bool,
    pub review_policy: Option<&'static str>,
    pub allocation: Option<AllocationOut<'a>>,
    obligations: Reasons<'a, 'p>,
    reasons: Reasons<'a, 'p>,
    notes: Reasons<'a, 'p>,
}

impl<'a, 'p> DeterminationOut<'a, 'p> {
    pub fn new(
        id: Option<&'a str>,
        pack: &'a str,
        d: &'a Determination<'p>,
    ) -> DeterminationOut<'a, 'p> {
        DeterminationOut {
            id,
            pack,
            date: DateOut(d.date),
            classification: ClassificationOut::new(&d.classification),
            tier: d.tier.number(),
            authorization: d.authorization.as_str(),
            license_required: d.license_required(),
            review_policy: d.review_policy.map(|p| p.as_str()),
            allocation: d.allocation.as_ref().map(AllocationOut::new),
            obligations: Reasons(&d.obligations),
            reasons: Reasons(&d.reasons),
            notes: Reasons(&d.notes),
        }
    }
}

/// A date written `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug)]
pub struct DateOut(pub Date);

impl Serialize for DateOut {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self
            .0
            .format(format_description!("[year]-[month]-[day]"))
            .map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }
}

#[derive(Serialize)]
pub struct ErrorOut<'a> {
    pub id: Option<&'a str>,
    pub error: ErrorBody<'a>,
}

#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub code: &'a str,
    pub field: Option<&'a str>,
    pub message: &'a str,
    /// The input line (1-based) the error is on, in batch input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// Appends a determination as one JSON line.
pub fn write_determination(out: &mut Vec<u8>, id: Option<&str>, pack: &str, d: &Determination<'_>) {
    // Serializing these types into memory cannot fail: every map key is a string and no Serialize impl errors
    // except DateOut on a date outside year 0..9999, which the request parser cannot produce.
    if serde_json::to_writer(&mut *out, &DeterminationOut::new(id, pack, d)).is_err() {
        out.extend_from_slice(b"{\"id\":null,\"error\":{\"code\":\"internal\",\"field\":null,\"message\":\"could not write the determination\"}}");
    }
    out.push(b'\n');
}

/// Appends an error as one JSON line.
pub fn write_error(out: &mut Vec<u8>, id: Option<&str>, e: &WireError, line: Option<u64>) {
    let body = ErrorOut {
        id,
        error: ErrorBody {
            code: e.code,
            field: e.field.as_deref(),
            message: &e.message,
            line,
        },
    };
    if serde_json::to_writer(&mut *out, &body).is_err() {
        out.extend_from_slice(b"{\"id\":null,\"error\":{\"code\":\"internal\",\"field\":null,\"message\":\"could not write the error\"}}");
    }
    out.push(b'\n');
}
