//! `/v1/fleet/check` and `/v1/fleet/plan`: a Universal VEU's fleet against the 25 % / 7 % / 50 % limits, as
//! `tiergate fleet check` and `tiergate fleet plan` (docs/FLEET.md).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use tiergate_core::fleet::{check, plan, FleetError, Site};
use tiergate_core::{Country, Tpp};
use tiergate_store::Role;
use tiergate_wire::fleet::{read_fleet, FleetCheckOut, FleetPlanOut};
use tiergate_wire::Env;
use time::Date;

use crate::auth::Caller;
use crate::problem::Problem;
use crate::routes::{country_param, date_param, json_request, Answer, St};

/// `POST /v1/fleet/check`: a fleet file and the UVEU's headquarters.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FleetBody {
    /// The fleet CSV: `site,country,tpp` or `site,country,item,quantity`.
    fleet: String,
    headquarters: String,
    /// `YYYY-MM-DD`; default today (UTC).
    #[schema(format = Date)]
    date: Option<String>,
    /// Also give the headroom in these countries.
    #[serde(default)]
    countries: Vec<String>,
}

/// `POST /v1/fleet/plan`: a fleet, its headquarters, and the compute to add.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FleetPlanBody {
    /// The fleet CSV: `site,country,tpp` or `site,country,item,quantity`.
    fleet: String,
    headquarters: String,
    /// `YYYY-MM-DD`; default today (UTC).
    #[schema(format = Date)]
    date: Option<String>,
    /// The compute to add, at least one entry.
    add: Vec<AdditionBody>,
}

/// TPP to add in one country.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdditionBody {
    /// An ISO code or a name.
    country: String,
    /// Greater than 0; decimals allowed.
    tpp: f64,
}

/// `POST /v1/fleet/check` (analyst): as `tiergate fleet check`.
#[utoipa::path(post, path = "/v1/fleet/check", summary = "Check a UVEU fleet against the 25 % / 7 % / 50 % limits (analyst)", request_body = FleetBody, responses((status = 200, description = "as tiergate fleet check: total_tpp, tier1_tpp, home_tpp, shares, violations, headroom_tpp, headroom_limits", body = crate::openapi::FleetCheckDoc), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "bad rows (each with its line), an unknown country, or a headquarters outside Tier 1", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn fleet_check(State(st): St, caller: Caller, raw: Result<Bytes, BytesRejection>) -> Answer {
    caller.require(Role::Analyst, "fleet checks")?;
    let b: FleetBody = json_request(raw)?;
    let env = &st.env;
    let (sites, hq, date) = fleet(env, &b.fleet, &b.headquarters, b.date.as_deref())?;
    let also = b.countries.iter().map(|c| country_param(env, "countries", c)).collect::<Result<Vec<_>, _>>()?;
    let report = check(&env.pack, &sites, hq, date, &also).map_err(|e| refused(e, "fleet"))?;
    Ok(Json(FleetCheckOut::new(&env.pack, &report)).into_response())
}

/// `POST /v1/fleet/plan` (analyst): as `tiergate fleet plan`.
#[utoipa::path(post, path = "/v1/fleet/plan", summary = "The least compute to add at home for a UVEU fleet to stay within its limits after an addition (analyst)", request_body = FleetPlanBody, responses((status = 200, description = "as tiergate fleet plan: feasible, additional_home_tpp_needed, violations_after", body = crate::openapi::FleetPlanDoc), (status = 400, description = "not JSON", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "bad rows (each with its line), an unknown country, a TPP not greater than 0, no addition, or a headquarters outside Tier 1", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 401, description = "no or wrong token", body = crate::openapi::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "the token's role is too low", body = crate::openapi::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn fleet_plan(State(st): St, caller: Caller, raw: Result<Bytes, BytesRejection>) -> Answer {
    caller.require(Role::Analyst, "fleet plans")?;
    let b: FleetPlanBody = json_request(raw)?;
    let env = &st.env;
    let (sites, hq, date) = fleet(env, &b.fleet, &b.headquarters, b.date.as_deref())?;
    if b.add.is_empty() {
        return Err(invalid("add", "give at least one country and the TPP to add there".into()));
    }
    let additions = b
        .add
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let tpp = Some(a.tpp)
                .filter(|t| t.is_finite() && *t > 0.0)
                .and_then(Tpp::from_decimal)
                .ok_or_else(|| invalid(&format!("add[{i}].tpp"), format!("{} is not a TPP greater than 0", a.tpp)))?;
            Ok((country_param(env, &format!("add[{i}].country"), &a.country)?, tpp))
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    let p = plan(&env.pack, &sites, hq, date, &additions).map_err(|e| refused(e, "add"))?;
    Ok(Json(FleetPlanOut::new(&env.pack, &p)).into_response())
}

/// The fleet file, its headquarters and the date, each refused with its field.
fn fleet(env: &Env, file: &str, hq: &str, date: Option<&str>) -> Result<(Vec<Site>, Country, Date), Problem> {
    let date = date_param(date, "date")?;
    let hq = country_param(env, "headquarters", hq)?;
    let sites = read_fleet(env, file.as_bytes()).map_err(|e| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_fleet", e.to_string()).with_field("fleet")
    })?;
    Ok((sites, hq, date))
}

fn invalid(field: &str, detail: String) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", detail).with_field(field)
}

/// The fleet core's refusal, with the field at fault: the headquarters, or `too_large`'s (the amounts overflow).
fn refused(e: FleetError, too_large: &str) -> Problem {
    let field = match e {
        FleetError::HeadquartersNotTier1(..) => "headquarters",
        FleetError::TooLarge => too_large,
    };
    invalid(field, e.to_string())
}
