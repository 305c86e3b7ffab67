//! The OpenAPI 3.1 document, generated from the types the handlers use, and a browsable page for it.

use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use tiergate_store::{
    AuditEntry, Balance, Judgement, Reservation, ReserveOutcome, ReserveStatus, Role, State, TokenInfo, VerifyReport,
};
use tiergate_wire::info::{ClassifyOut, ClassifyRequest, CountryDetailOut, CountryOut, ItemOut};
use tiergate_wire::{
    AllocationOut, ClassificationOut, DeterminationOut, ErrorBody, ErrorOut, PartyHitOut, ReasonOut, RequestWire,
    ScreenedOut, ScreeningOut,
};

/// An RFC 9457 problem: every error answer.
#[derive(Serialize, ToSchema)]
pub struct ProblemDoc {
    /// `urn:tiergate:problem:CODE`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// A machine-readable code, e.g. `unknown_country`, `exceeds_allocation`.
    pub code: String,
    /// The request field at fault, where known.
    pub field: Option<String>,
}

/// `POST /v1/determinations`: one request, or a batch of up to 1,000. A single invalid request is answered
/// with a problem (400/422); in a batch each element is answered in its place, an invalid one with an error
/// object, so a batch's elements may be any JSON value.
#[derive(Serialize, ToSchema)]
#[allow(clippy::large_enum_variant)] // a schema only, never built
#[serde(untagged)]
pub enum DeterminationsBody {
    One(RequestWire),
    Batch {
        /// Requests as for a single determination (`RequestWire`), each answered in its place.
        #[schema(value_type = Vec<Value>, max_items = 1000)]
        requests: Vec<serde_json::Value>,
    },
}

/// One answer of a batch: a determination or the error of that request.
#[derive(Serialize, ToSchema)]
#[allow(clippy::large_enum_variant)] // a schema only, never built
#[serde(untagged)]
pub enum BatchItem<'a, 'p> {
    Determined(DeterminationOut<'a, 'p>),
    Rejected(ErrorOut<'a>),
}

/// The answer to `POST /v1/determinations`: one determination, or the batch's answers in order.
#[derive(Serialize, ToSchema)]
#[allow(clippy::large_enum_variant)] // a schema only, never built
#[serde(untagged)]
pub enum DeterminationsAnswer<'a, 'p> {
    One(DeterminationOut<'a, 'p>),
    Batch { determinations: Vec<BatchItem<'a, 'p>> },
}

/// A new token; `token` is shown only here.
#[derive(Serialize, ToSchema)]
pub struct TokenCreatedDoc {
    pub name: String,
    pub role: Role,
    pub token: String,
}

/// The audit log's head, to keep away from the database and check later with `?checkpoint=`.
#[derive(Serialize, ToSchema)]
pub struct CheckpointDoc {
    pub entries: u64,
    pub hash: String,
    /// `HASH:COUNT`.
    pub checkpoint: String,
}

/// A page of tokens, by name.
#[derive(Serialize, ToSchema)]
pub struct TokensPageDoc {
    pub tokens: Vec<tiergate_store::TokenInfo>,
    /// Pass as `after` for the next page; null on the last.
    pub next_after: Option<String>,
}

/// A page of pools' balances.
#[derive(Serialize, ToSchema)]
pub struct PoolsPageDoc {
    pub pools: Vec<tiergate_store::Balance>,
    /// Pass as `after` for the next page; null on the last.
    pub next_after: Option<String>,
}

/// A page of the party registry.
#[derive(Serialize, ToSchema)]
pub struct PartiesPageDoc {
    pub parties: Vec<tiergate_wire::registry::PartyOut>,
    /// Pass as `after` for the next page; null on the last.
    pub next_after: Option<String>,
}

/// A page of a pool's reservations.
#[derive(Serialize, ToSchema)]
pub struct ReservationsPageDoc {
    pub reservations: Vec<tiergate_store::Reservation>,
    /// Pass as `after` for the next page; null on the last.
    pub next_after: Option<String>,
}

/// A page of recorded determinations.
#[derive(Serialize, ToSchema)]
pub struct DeterminationsPageDoc {
    pub determinations: Vec<tiergate_store::StoredDetermination>,
    /// Pass as `after` for the next page; null on the last.
    pub next_after: Option<u64>,
}

/// A page of the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditPageDoc {
    pub entries: Vec<AuditEntry>,
    /// Pass as `after` for the next page; null at the end.
    pub next_after: Option<u64>,
}

/// As `tiergate fleet check` prints it (docs/FLEET.md).
#[derive(Serialize, ToSchema)]
pub struct FleetCheckDoc {
    pub total_tpp: u64,
    pub tier1_tpp: u64,
    pub home_tpp: u64,
    /// `outside_tier1`, `outside_home` and `by_country` (code → share).
    pub shares: serde_json::Value,
    /// `{"rule", "text", "country", "limit", "value", "citation"}` each.
    pub violations: Vec<serde_json::Value>,
    /// Country code → whole TPP that could be added there now.
    pub headroom_tpp: std::collections::BTreeMap<String, u64>,
    /// Country code → `{"rule", "text"}`: the limit that bounds its headroom.
    pub headroom_limits: std::collections::BTreeMap<String, serde_json::Value>,
}

/// As `tiergate fleet plan` prints it (docs/FLEET.md).
#[derive(Serialize, ToSchema)]
pub struct FleetPlanDoc {
    /// False when the fleet or the additions have compute in a Tier 3 country, which no home addition cures.
    pub feasible: bool,
    /// The least whole TPP to add at home for every percentage limit to hold after the additions.
    pub additional_home_tpp_needed: u64,
    /// `{"rule", "text", "country", "limit", "value", "citation"}` each: what stays broken (empty when feasible).
    pub violations_after: Vec<serde_json::Value>,
}

/// A VEU as registered (`tiergate veu list`).
#[derive(Serialize, ToSchema)]
pub struct VeuDoc {
    pub id: String,
    /// `uveu` or `nveu`.
    pub kind: String,
    pub name: String,
    pub headquarters: String,
    /// An NVEU's country; null for a UVEU.
    pub country: Option<String>,
    pub registered_on: String,
    pub registered_by: String,
}

/// A registered VEU or an applicant.
#[derive(Serialize, ToSchema)]
pub struct VeuListedDoc {
    #[serde(flatten)]
    pub veu: VeuDoc,
    /// An applicant for VEU status, not a registered VEU.
    pub applicant: bool,
}

/// Every registered VEU, then every applicant.
#[derive(Serialize, ToSchema)]
pub struct VeusDoc {
    pub veus: Vec<VeuListedDoc>,
}

/// A registration: the VEU and the reasons it is eligible.
#[derive(Serialize, ToSchema)]
pub struct VeuRegisteredDoc {
    pub registered: bool,
    /// Recorded as an applicant, not as a registered VEU.
    pub applicant: bool,
    #[serde(flatten)]
    pub veu: VeuDoc,
    pub reasons: Vec<ReasonOut<'static>>,
}

/// One VEU, and an NVEU's standing on the date.
#[derive(Serialize, ToSchema)]
pub struct VeuShowDoc {
    #[serde(flatten)]
    pub veu: VeuDoc,
    pub applicant: bool,
    /// Facility-log events recorded.
    pub events: u64,
    /// The semi-annual reports issued: `{"period", "sha256", "actor", "at"}` each.
    pub reports_issued: Vec<serde_json::Value>,
    /// An NVEU's `{"date", "quarter", "pool", "cap_tpp", "installed_tpp", "posted_tpp", "pending_tpp",
    /// "headroom_tpp"}`; absent for a UVEU.
    pub nveu: Option<serde_json::Value>,
}

/// A facility log appended.
#[derive(Serialize, ToSchema)]
pub struct VeuLoggedDoc {
    pub id: String,
    /// Events added now.
    pub added: u64,
    /// Events in the log now.
    pub events: u64,
}

/// The semi-annual report (docs/VEU.md), as `tiergate veu report --format json`.
#[derive(Serialize, ToSchema)]
pub struct VeuReportDoc {
    pub veu: VeuDoc,
    /// The pack and its sha256, in words.
    pub pack: String,
    /// `2025H1`.
    pub period: String,
    pub from: String,
    pub to: String,
    /// `received_tpp`, `installed_tpp`, `transferred_tpp`, `retired_tpp`, `installed_base_tpp`.
    pub totals: serde_json::Value,
    /// Per facility: `facility`, `country`, `items` and the totals.
    pub facilities: Vec<serde_json::Value>,
    /// `{"country", "installed_base_tpp"}` each.
    pub by_country: Vec<serde_json::Value>,
    /// An NVEU's pool: `pool`, `posted_in_period_tpp`, `posted_to_date_tpp`, `quarter`, `cap_tpp`.
    pub ledger: Option<serde_json::Value>,
    /// What the report found to flag, in words.
    pub checks: Vec<String>,
    pub citations: Vec<ReasonOut<'static>>,
}

/// A semi-annual report recorded as issued.
#[derive(Serialize, ToSchema)]
pub struct ReportIssuedDoc {
    pub id: String,
    pub period: String,
    /// Of the report's JSON form as issued.
    pub sha256: String,
    pub issued_at: String,
    pub issued_by: String,
}

/// Evidence recorded.
#[derive(Serialize, ToSchema)]
pub struct EvidenceRecordedDoc {
    pub id: String,
    pub requirement: String,
    pub status: String,
    /// Pieces of evidence now recorded for the requirement (the latest counts).
    pub recorded: u64,
    /// Where the VEU now stands, in one sentence.
    pub summary: String,
}

/// A readiness report (docs/VEU.md): the VEU, `date`, `ready`, `summary`, `counts`, the guidelines and their
/// deferred paragraphs, each requirement (`id`, `paragraph`, `section`, `heading`, `text`, `standing`, `due`,
/// `overdue`, `recorded`, `evidence`), the Supp. No. 8 items, what does not bind it, and the pack and its sha256.
#[derive(Serialize, ToSchema)]
pub struct ReadinessDoc {
    pub id: String,
    pub kind: String,
    pub applicant: bool,
    pub date: String,
    pub ready: bool,
    pub summary: String,
    /// `missing`, `planned`, `in_progress`, `met`, `not_applicable`, `overdue`.
    pub counts: serde_json::Value,
    pub requirements: Vec<serde_json::Value>,
    pub application: Vec<serde_json::Value>,
    pub not_binding: Vec<String>,
    pub pack: String,
    pub sha256: String,
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

/// The imported list versions, newest first, and what is stale today.
#[derive(Serialize, ToSchema)]
pub struct ListsDoc {
    pub versions: Vec<tiergate_store::ListVersion>,
    /// One sentence per current list older than `stale_after_days` today.
    pub stale: Vec<String>,
    pub stale_after_days: u32,
}

/// The KYC answers of a file of customers, one per line in order; a rejected line is `{"id"?, "line",
/// "error": {"code", "field"?, "message"}}`.
#[derive(Serialize, ToSchema)]
pub struct KycDoc {
    pub answers: Vec<serde_json::Value>,
    /// Lines rejected.
    pub rejected: u64,
}

/// `POST /v1/screen`'s answer: each name's screening, in order, as `tiergate screen --batch` prints them.
#[derive(Serialize, ToSchema)]
pub struct ScreenBatchDoc {
    /// `{"id", "hits", "decision", "algorithm", "warnings"}`, or `{"id", "error": {"code", "field", "message", "line"}}`.
    pub answers: Vec<serde_json::Value>,
    /// Lines rejected.
    pub rejected: u64,
}

#[derive(Serialize, ToSchema)]
pub struct StatusDoc {
    pub status: String,
}

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `tiergate token create` or POST /v1/tokens"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tiergate",
        description = "Determinations, classification and the allocation ledger of the US advanced-computing export controls: the AI Diffusion rule (90 FR 4544) and the regimes before and after it, as codified or as enforced on each date (?regime=, ?compare=; GET /v1/regimes). Roles: viewer < analyst < officer < admin.",
        license(name = "Apache-2.0")
    ),
    paths(
        crate::routes::healthz,
        crate::routes::readyz,
        crate::routes::metrics,
        crate::routes::determinations,
        crate::routes::classify_item,
        crate::routes::items,
        crate::routes::regimes,
        crate::routes::item,
        crate::routes::countries,
        crate::routes::country,
        crate::routes::pool_balance,
        crate::routes::reserve,
        crate::routes::reservations,
        crate::routes::post_reservation,
        crate::routes::void_reservation,
        crate::routes::audit,
        crate::routes::verify,
        crate::routes::checkpoint,
        crate::routes::list_determinations,
        crate::routes::show_determination,
        crate::memo_api::memo,
        crate::cases_api::set_status,
        crate::cases_api::add_note,
        crate::routes::list_tokens,
        crate::routes::create_token,
        crate::routes::revoke_token,
        crate::dashboard_api::sign_in,
        crate::dashboard_api::whoami,
        crate::dashboard_api::sign_out,
        crate::dashboard_api::pools,
        crate::screening_api::screen,
        crate::screening_api::screen_batch,
        crate::screening_api::judge,
        crate::fleet_api::fleet_check,
        crate::fleet_api::fleet_plan,
        crate::parties_api::list,
        crate::parties_api::add,
        crate::parties_api::show,
        crate::parties_api::set,
        crate::parties_api::alias,
        crate::parties_api::owner,
        crate::parties_api::merge,
        crate::scenarios_api::list,
        crate::scenarios_api::show,
        crate::scenarios_api::save,
        crate::scenarios_api::delete,
        crate::scenarios_api::diff,
        crate::scenarios_api::capacity,
        crate::exposure_api::exposure,
        crate::veus_api::list,
        crate::veus_api::register,
        crate::veus_api::show,
        crate::veus_api::log,
        crate::veus_api::report,
        crate::veus_api::readiness,
        crate::veus_api::issue,
        crate::veus_api::evidence,
        crate::lists_api::versions,
        crate::lists_api::import,
        crate::kyc_api::check,
    ),
    components(schemas(
        ProblemDoc, DeterminationsBody, DeterminationsAnswer, BatchItem, crate::routes::ReserveBody, crate::routes::TokenBody, TokenCreatedDoc,
        AuditPageDoc, CheckpointDoc, DeterminationsPageDoc, ReservationsPageDoc, TokensPageDoc, PoolsPageDoc, PartiesPageDoc, tiergate_store::StoredDetermination, tiergate_store::Case, tiergate_store::CaseNote, crate::cases_api::StatusChange, crate::cases_api::NewNote, StatusDoc, RequestWire, DeterminationOut, tiergate_wire::RegimeOut, tiergate_wire::CompareOut, crate::routes::RegimesOut, crate::routes::PackRef, tiergate_wire::regimes::TimelineOut, tiergate_wire::regimes::PeriodOut, ClassificationOut, AllocationOut, ReasonOut, ErrorOut, ErrorBody,
        ClassifyRequest, ClassifyOut, ItemOut, CountryOut, CountryDetailOut, Balance, Reservation, ReserveOutcome, ReserveStatus, State,
        AuditEntry, VerifyReport, TokenInfo, Role, ScreeningOut, ScreenedOut, PartyHitOut, Judgement, FleetCheckDoc,
        crate::dashboard_api::SignIn, crate::dashboard_api::SessionOut, crate::screening_api::ScreenDoc,
        crate::screening_api::JudgementBody, crate::fleet_api::FleetBody, crate::fleet_api::FleetPlanBody, crate::fleet_api::AdditionBody, FleetPlanDoc,
        tiergate_wire::registry::PartyOut, tiergate_wire::registry::PartyBody, tiergate_wire::registry::OwnerBody,
        tiergate_wire::registry::ChangeOut, tiergate_wire::registry::AddParty, tiergate_wire::registry::SetParty,
        tiergate_wire::registry::AliasParty, tiergate_wire::registry::OwnerShare, tiergate_wire::registry::MergeParties,
        tiergate_wire::scenario::ScenarioBody, tiergate_wire::scenario::MoveBody, tiergate_wire::scenario::AssureBody,
        tiergate_wire::capacity::CapacityOut, tiergate_wire::capacity::SourceOut, tiergate_wire::capacity::CountryCapacityOut,
        tiergate_wire::capacity::StandingOut, VeuDoc, VeuListedDoc, VeusDoc, VeuRegisteredDoc, VeuShowDoc, VeuLoggedDoc, VeuReportDoc,
        crate::veus_api::NewVeu, tiergate_wire::readiness::EvidenceBody, EvidenceRecordedDoc, ReadinessDoc, ReportIssuedDoc, ListsDoc, tiergate_store::ListVersion, crate::lists::ImportedOut, KycDoc, ScreenBatchDoc
    )),
    modifiers(&Bearer),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// The document as JSON.
pub fn document() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}

/// A self-contained page that lists the operations of `/openapi.json` (no scripts from elsewhere).
pub const DOCS_HTML: &str = include_str!("docs.html");
