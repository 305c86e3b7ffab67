//! `tiergate kyc check`: IaaS customers as JSON Lines in, one answer per customer out.

use serde::{Deserialize, Serialize};
use tiergate_core::kyc::{check, Customer, KycAnswer, Purpose};
use tiergate_core::parties::PartyRole;
use time::Date;

use crate::parties::{screen_names, Lists};
use crate::{Env, ReasonOut, WireError};

/// One customer line. Unknown fields are errors.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerWire {
    pub id: Option<String>,
    pub name: Option<String>,
    pub headquarters: Option<String>,
    pub ultimate_parent_headquarters: Option<String>,
    pub service: Option<String>,
    pub purpose: Option<PurposeWire>,
    pub training_operations: Option<f64>,
    pub base_model_operations: Option<f64>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurposeWire {
    Training,
    FineTuning,
    Inference,
}

#[derive(Serialize)]
pub struct RedFlagOut<'a> {
    pub code: &'a str,
    pub citation: &'a str,
    pub text: &'a str,
}

#[derive(Serialize)]
pub struct KycOut<'a> {
    pub id: Option<&'a str>,
    pub decision: &'static str,
    pub red_flags: Vec<RedFlagOut<'a>>,
    pub reasons: Vec<ReasonOut<'a>>,
}

impl<'a> KycOut<'a> {
    pub fn new(id: Option<&'a str>, a: &'a KycAnswer<'a>) -> KycOut<'a> {
        KycOut {
            id,
            decision: a.decision.as_str(),
            red_flags: a
                .red_flags
                .iter()
                .map(|f| RedFlagOut { code: f.code, citation: f.citation, text: &f.text })
                .collect(),
            reasons: a.reasons.iter().map(ReasonOut::from).collect(),
        }
    }
}

/// Parses one line into a customer, with its name for screening.
pub fn parse_customer(env: &Env, line: &str) -> Result<(Customer, Option<String>), WireError> {
    let w: CustomerWire = serde_json::from_str(line).map_err(|e| {
        let code = if e.is_syntax() || e.is_eof() { "invalid_json" } else { "invalid_value" };
        WireError::new(code, None, crate::request::strip_position(&e.to_string()).to_owned())
    })?;
    let id = w.id.filter(|i| !i.trim().is_empty()).ok_or_else(|| WireError::missing("id", "the customer's id"))?;
    match w.service.as_deref() {
        Some("iaas") => {}
        Some(other) => {
            return Err(WireError::invalid(
                "service",
                format!("`{other}` is not a service Tiergate checks: use `iaas`"),
            ))
        }
        None => return Err(WireError::missing("service", "the service: `iaas`")),
    }
    let country = |field: &str, text: &str| {
        env.countries
            .resolve(text)
            .ok_or_else(|| WireError::new("unknown_country", Some(field), env.countries.unknown(text)))
    };
    let headquarters = country(
        "headquarters",
        w.headquarters
            .as_deref()
            .ok_or_else(|| WireError::missing("headquarters", "the customer's headquarters country"))?,
    )?;
    let ultimate_parent_headquarters = match w.ultimate_parent_headquarters.as_deref() {
        Some(p) => country("ultimate_parent_headquarters", p)?,
        None => headquarters,
    };
    let purpose = match w.purpose.ok_or_else(|| WireError::missing("purpose", "training, fine_tuning or inference"))? {
        PurposeWire::Training => Purpose::Training,
        PurposeWire::FineTuning => Purpose::FineTuning,
        PurposeWire::Inference => Purpose::Inference,
    };
    let customer = Customer {
        id,
        headquarters,
        ultimate_parent_headquarters,
        purpose,
        training_operations: w.training_operations,
        base_model_operations: w.base_model_operations,
    };
    Ok((customer, w.name.filter(|n| !n.trim().is_empty())))
}

/// Checks one line and writes its answer (or its error) as one JSON object; `false` when the line was rejected.
pub fn check_line(env: &Env, lists: Option<&Lists>, date: Date, line: &str, n: u64, out: &mut Vec<u8>) -> bool {
    let id = crate::request::salvage_id(line);
    let result = parse_customer(env, line).and_then(|(c, name)| {
        let screening = lists.map(|l| {
            let hq = env.countries.code(c.headquarters);
            let named: Vec<(PartyRole, &str, &str)> =
                name.as_deref().map(|n| (PartyRole::Consignee, n, hq)).into_iter().collect();
            screen_names(l, &named)
        });
        let answer = check(&env.pack, &c, date, screening.as_ref())
            .map_err(|e| WireError::new(e.code(), Some(e.field()), e.to_string()))?;
        Ok((c, answer))
    });
    match &result {
        Ok((c, a)) => {
            if serde_json::to_writer(&mut *out, &KycOut::new(Some(&c.id), a)).is_err() {
                out.extend_from_slice(b"{\"error\":{\"code\":\"internal\",\"message\":\"cannot write the answer\"}}");
            }
            out.push(b'\n');
        }
        Err(e) => crate::write_error(out, id.as_deref(), e, Some(n)),
    }
    result.is_ok()
}
