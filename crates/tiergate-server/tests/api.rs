//! The router in process (tower `oneshot`): every endpoint, every error status, the role matrix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tiergate_server::{router, AppState, Limits};
use tiergate_store::{Judgement, Ledger, Role, SharedLedger};
use tiergate_wire::Env;
use tower::ServiceExt;

struct Api {
    app: Router,
    tokens: Vec<(Role, String)>,
    state: Arc<AppState>,
    url: String,
}

impl Api {
    fn new(limits: Limits) -> Api {
        let env = Env::builtin().unwrap();
        let dir = std::env::temp_dir().join(format!("tiergate-api-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("api.db").display());
        let mut ledger = Ledger::open(&url, Arc::clone(&env.pack)).unwrap();
        let now = time::OffsetDateTime::now_utc();
        let tokens = Role::ALL
            .iter()
            .map(|r| (*r, ledger.create_token(&format!("{}-token", r.as_str()), *r, &meta_at("test", now)).unwrap()))
            .collect();
        let state = Arc::new(AppState::new(env, SharedLedger::new(ledger), limits));
        Api { app: router(Arc::clone(&state)), tokens, state, url }
    }

    fn token(&self, role: Role) -> &str {
        &self.tokens.iter().find(|(r, _)| *r == role).unwrap().1
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<String>,
    ) -> (StatusCode, String, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let resp =
            self.app.clone().oneshot(req.body(body.map_or_else(Body::empty, Body::from)).unwrap()).await.unwrap();
        let status = resp.status();
        let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, ctype, value)
    }

    /// A POST of raw bytes with their content type.
    async fn upload(&self, role: Role, uri: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let req = Request::builder()
            .method("POST")
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.token(role)))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// A GET whose answer is text (a memo): its status, content type and body.
    async fn get_text(&self, role: Role, uri: &str) -> (StatusCode, String, String) {
        let req = Request::builder()
            .uri(uri)
            .header("authorization", format!("Bearer {}", self.token(role)))
            .body(Body::empty())
            .unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, ctype, String::from_utf8_lossy(&bytes).into_owned())
    }

    async fn as_role(&self, role: Role, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (s, _, v) = self.call(method, uri, Some(self.token(role)), body.map(|b| b.to_string())).await;
        (s, v)
    }
}

fn rand_suffix() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

fn order(id: &str, quantity: u64, dest: &str) -> Value {
    json!({"id": id, "date": "2025-06-01", "item": "nvidia-h100-sxm", "quantity": quantity, "destination": dest, "consignee": {"name": "Lion City", "headquarters": dest}})
}

/// (method, uri, body, the least role allowed)
fn endpoints() -> Vec<(&'static str, String, Option<Value>, Role)> {
    vec![
        ("GET", "/v1/items".into(), None, Role::Viewer),
        ("GET", "/v1/items/nvidia-h100-sxm".into(), None, Role::Viewer),
        ("GET", "/v1/regimes".into(), None, Role::Viewer),
        ("GET", "/v1/countries".into(), None, Role::Viewer),
        ("GET", "/v1/countries/MY".into(), None, Role::Viewer),
        ("GET", "/v1/pools/country:SG?date=2025-06-01".into(), None, Role::Viewer),
        ("GET", "/v1/reservations?pool=country:SG".into(), None, Role::Viewer),
        ("GET", "/v1/audit".into(), None, Role::Viewer),
        ("GET", "/v1/audit/verify".into(), None, Role::Viewer),
        ("GET", "/v1/audit/checkpoint".into(), None, Role::Viewer),
        ("GET", "/v1/determinations?limit=5".into(), None, Role::Viewer),
        ("GET", "/metrics".into(), None, Role::Viewer),
        ("GET", "/v1/pools?date=2025-06-01".into(), None, Role::Viewer),
        ("GET", "/v1/scenarios".into(), None, Role::Viewer),
        ("GET", "/v1/capacity?date=2026-06-01".into(), None, Role::Viewer),
        ("GET", "/v1/veus".into(), None, Role::Viewer),
        ("GET", "/v1/lists".into(), None, Role::Viewer),
        (
            "POST",
            "/v1/kyc?date=2025-06-01".into(),
            Some(
                json!({"id": "c1", "name": "Quiet Valley Robotics", "headquarters": "US", "service": "iaas", "purpose": "inference"}),
            ),
            Role::Analyst,
        ),
        (
            "POST",
            "/v1/scenarios".into(),
            Some(json!({"name": "pl", "base": "codified", "move": [{"country": "PL", "tier": 1}]})),
            Role::Analyst,
        ),
        (
            "POST",
            "/v1/fleet/check".into(),
            Some(json!({"fleet": "site,country,tpp\nA,US,100\n", "headquarters": "US"})),
            Role::Analyst,
        ),
        (
            "POST",
            "/v1/fleet/plan".into(),
            Some(
                json!({"fleet": "site,country,tpp\nA,US,100\n", "headquarters": "US", "add": [{"country": "MY", "tpp": 1}]}),
            ),
            Role::Analyst,
        ),
        ("GET", "/v1/tokens".into(), None, Role::Admin),
        ("POST", "/v1/tokens".into(), Some(json!({"name": "t", "role": "viewer"})), Role::Admin),
        ("POST", "/v1/classify".into(), Some(json!({"item": "nvidia-h100-sxm"})), Role::Analyst),
        ("POST", "/v1/determinations".into(), Some(order("m1", 10, "SG")), Role::Analyst),
        ("POST", "/v1/determinations?record=true".into(), Some(order("m2", 10, "SG")), Role::Officer),
        (
            "POST",
            "/v1/reservations".into(),
            Some(json!({"pool": "country:SG", "tpp": 1, "key": "m3", "date": "2025-06-01"})),
            Role::Officer,
        ),
    ]
}

#[tokio::test]
async fn no_token_no_entry() {
    let api = Api::new(Limits::default());
    let (s, _, v) = api.call("GET", "/healthz", None, None).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("ok")), "liveness needs no token");
    for (method, uri, body, _) in endpoints() {
        for token in [None, Some("tg_wrong"), Some("not-bearer")] {
            let (s, ctype, v) = api.call(method, &uri, token, body.as_ref().map(Value::to_string)).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {uri} with {token:?}");
            assert_eq!(ctype, "application/problem+json");
            assert_eq!((v["status"].as_u64(), v["code"].as_str()), (Some(401), Some("unauthorized")));
        }
    }
    let (s, _, _) = api.call("GET", "/readyz", Some(api.token(Role::Viewer)), None).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn roles_are_enforced() {
    let api = Api::new(Limits::default());
    for (method, uri, body, least) in endpoints() {
        for role in Role::ALL {
            // A fresh key per call, so that repeats are not answered from the first.
            let body = body.clone().map(|mut b| {
                let field = if b.get("key").is_some() {
                    "key"
                } else if b.get("name").is_some() {
                    "name"
                } else {
                    "id"
                };
                if let Some(k) = b.get_mut(field) {
                    *k = json!(format!("{}-{}", k.as_str().unwrap(), role.as_str()));
                }
                b
            });
            let (s, v) = api.as_role(role, method, &uri, body).await;
            if role >= least {
                assert!(s.is_success(), "{method} {uri} as {role:?}: {s} {v}");
            } else {
                assert_eq!(s, StatusCode::FORBIDDEN, "{method} {uri} as {role:?}");
                assert!(v["detail"].as_str().unwrap().contains(least.as_str()), "{v}");
            }
        }
    }
}

#[tokio::test]
async fn determinations_single_and_batch() {
    let api = Api::new(Limits { max_body_bytes: 64 * 1024, max_batch: 3, ..Limits::default() });
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations", Some(order("d1", 1000, "MY"))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((v["authorization"].as_str(), v["tier"].as_u64()), (Some("LPP"), Some(2)));
    assert!(v.get("recorded").is_none());

    let (s, v) = api
        .as_role(
            Role::Analyst,
            "POST",
            "/v1/determinations",
            Some(json!({"requests": [order("b1", 1, "DE"), order("b2", 1, "Atlantis"), order("b3", 1, "CN")]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let d = v["determinations"].as_array().unwrap();
    assert_eq!(
        (d[0]["authorization"].as_str(), d[1]["error"]["code"].as_str(), d[2]["review_policy"].as_str()),
        (Some("AIA"), Some("unknown_country"), Some("denial"))
    );
    // A batch whose key is written with an escape is still a batch (single requests skip the batch probe when
    // the body cannot hold the key).
    let escaped = format!("{{\"\\u0072equests\": [{}]}}", order("b4", 1, "DE"));
    let (s, _, v) = api.call("POST", "/v1/determinations", Some(api.token(Role::Analyst)), Some(escaped)).await;
    assert_eq!((s, v["determinations"][0]["authorization"].as_str()), (StatusCode::OK, Some("AIA")), "{v}");

    // Errors: 400 not JSON, 422 invalid or too many, 413 too big.
    let (s, _, v) =
        api.call("POST", "/v1/determinations", Some(api.token(Role::Analyst)), Some("{not json".into())).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_json")));
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations", Some(order("e1", 1, "Atlantis"))).await;
    assert_eq!(
        (s, v["code"].as_str(), v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_country"), Some("destination"))
    );
    let mut negative = order("e2", 1, "MY");
    negative["quantity"] = json!(-3);
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations", Some(negative)).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_quantity")));
    let (s, v) = api
        .as_role(Role::Analyst, "POST", "/v1/determinations", Some(json!({"requests": vec![order("x", 1, "MY"); 4]})))
        .await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("batch_too_large")));
    let big = format!("{{\"requests\": [\"{}\"]}}", "x".repeat(70 * 1024));
    let (s, _, v) = api.call("POST", "/v1/determinations", Some(api.token(Role::Analyst)), Some(big)).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("body_too_large")));
}

/// Lists imported by another process after the server started are picked up by a refresh; a judgement recorded
/// later is too. Determinations then screen the consignee against them.
#[tokio::test]
async fn determinations_screen_against_lists_imported_later() {
    let api = Api::new(Limits::default());
    let order = json!({"id": "s1", "date": "2025-06-01", "item": "nvidia-h100-sxm", "quantity": 10, "destination": "MY",
        "consignee": {"name": "Kestrel Compute Holdings", "headquarters": "MY"}});
    let (_, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations", Some(order.clone())).await;
    assert_eq!(v["authorization"], "LPP");
    assert!(v["notes"].to_string().contains("no restricted-party list is imported"), "{v}");
    assert!(!api.state.refresh_lists().unwrap(), "nothing changed yet");

    // Another process imports a list with this consignee on the Entity List.
    let mut other = import_entity(&api.url, "el-test-1", "Kestrel Compute Holdings");
    let (_, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations", Some(order.clone())).await;
    assert_eq!(v["authorization"], "LPP", "not reloaded yet");
    assert!(api.state.refresh_lists().unwrap(), "the import is noticed");
    let (_, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations", Some(order.clone())).await;
    assert_eq!((v["authorization"].as_str(), v["review_policy"].as_str()), (Some("LICENSE"), Some("denial")), "{v}");
    assert_eq!(v["screening"]["hits"][0]["entry_id"], "el-test-1");
    assert!(v["reasons"].to_string().contains("90 FR 1"), "the entry's notice is cited: {v}");

    other
        .add_judgement(&tiergate_store::Judgement {
            entry_id: "el-test-1".into(),
            query: "kestrel compute holdings".into(),
            verdict: "false_positive".into(),
            note: Some("a different Kestrel".into()),
            actor: "alice".into(),
            at: "2026-11-22T00:00:00Z".into(),
        })
        .unwrap();
    assert!(api.state.refresh_lists().unwrap(), "the judgement is noticed");
    let (_, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations", Some(order)).await;
    assert_eq!(v["authorization"], "LPP", "{v}");
    assert_eq!(v["screening"]["hits"][0]["decision"], "cleared");
}

/// Imports, as another process would, a list holding one Entity List entry for `name` in Malaysia; the ledger it
/// used.
fn import_entity(url: &str, entry_id: &str, name: &str) -> Ledger {
    let env = Env::builtin().unwrap();
    let mut other = Ledger::open(url, Arc::clone(&env.pack)).unwrap();
    let entry = json!({"entry_id": entry_id, "list": "EL", "source": "Entity List (EL) - Bureau of Industry and Security",
        "name": name, "countries": ["MY"], "license_requirement": "For all items subject to the EAR.",
        "license_policy": "Presumption of denial.", "federal_register_notice": "90 FR 1"});
    let version = tiergate_store::NewListVersion {
        list: "csl",
        source_file: "test.csv",
        sha256: "00",
        problems: 0,
        actor: "test",
        at: "2026-11-22T00:00:00Z",
        list_date: None,
    };
    other.import_list(&version, &[entry.to_string()]).unwrap();
    other
}

#[tokio::test]
async fn recording_reserves_and_attributes() {
    let api = Api::new(Limits::default());
    let (s, v) =
        api.as_role(Role::Officer, "POST", "/v1/determinations?record=true", Some(order("r1", 20000, "SG"))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((v["review_policy"].as_str(), v["recorded"]["status"].as_str()), (Some("approval"), Some("reserved")));
    let (_, v) =
        api.as_role(Role::Officer, "POST", "/v1/determinations?record=true", Some(order("r1", 20000, "SG"))).await;
    assert_eq!(v["recorded"]["status"], "exists", "a retry counts nothing twice");
    let (_, b) = api.as_role(Role::Viewer, "GET", "/v1/pools/country:SG?date=2025-06-01", None).await;
    assert_eq!(b["pending_tpp"], 316_640_000);
    let (_, page) = api.as_role(Role::Viewer, "GET", "/v1/reservations?pool=country:SG", None).await;
    let list = &page["reservations"];
    assert_eq!(
        (list[0]["actor"].as_str(), list[0]["reason"].as_str()),
        (Some("officer-token"), Some("determination r1")),
        "attributed to the token"
    );
    // Paged: a second reservation, one per page.
    let body = json!({"pool": "country:SG", "tpp": 1, "key": "page-2", "date": "2025-06-01"});
    assert_eq!(api.as_role(Role::Officer, "POST", "/v1/reservations", Some(body)).await.0, StatusCode::CREATED);
    let (_, first) = api.as_role(Role::Viewer, "GET", "/v1/reservations?pool=country:SG&limit=1", None).await;
    let next = first["next_after"].as_str().unwrap().to_owned();
    assert_eq!(first["reservations"][0]["id"].as_str(), Some(next.as_str()));
    let (_, second) =
        api.as_role(Role::Viewer, "GET", &format!("/v1/reservations?pool=country:SG&limit=1&after={next}"), None).await;
    assert_eq!(second["reservations"][0]["key"], "page-2");
    let (_, last) =
        api.as_role(Role::Viewer, "GET", &format!("/v1/reservations?pool=country:SG&after={next}"), None).await;
    assert_eq!((last["reservations"].as_array().unwrap().len(), &last["next_after"]), (1, &Value::Null));
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/reservations?pool=country:SG&limit=5000", None).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("limit")));
    // Free text has limits, each refused naming its field: a reason, a key, a pool id.
    for (body, field) in [
        (json!({"pool": "country:SG", "tpp": 1, "key": "long-1", "reason": "r".repeat(1001)}), "reason"),
        (json!({"pool": "country:SG", "tpp": 1, "key": "k".repeat(201)}), "key"),
    ] {
        let (s, v) = api.as_role(Role::Officer, "POST", "/v1/reservations", Some(body)).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
    }
    let pool = format!("lpp:{}:2025", "p".repeat(500));
    let (s, v) = api
        .as_role(Role::Officer, "POST", "/v1/reservations", Some(json!({"pool": pool, "tpp": 1, "key": "long-2"})))
        .await;
    assert_eq!(
        (s, v["code"].as_str(), v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_pool"), Some("pool")),
        "{v}"
    );
    let (s, v) =
        api.as_role(Role::Officer, "POST", "/v1/determinations?record=maybe", Some(order("r2", 1, "SG"))).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_value")));
}

#[tokio::test]
async fn reservations_lifecycle_and_errors() {
    let api = Api::new(Limits::default());
    let reserve = |key: &str, tpp: u64| json!({"pool": "country:SG", "tpp": tpp, "key": key, "date": "2025-06-01"});
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/reservations", Some(reserve("k1", 700_000_000))).await;
    assert_eq!(
        (s, v["status"].as_str(), v["available_tpp"].as_u64()),
        (StatusCode::CREATED, Some("reserved"), Some(90_000_000))
    );
    let id = v["id"].as_str().unwrap().to_owned();
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/reservations", Some(reserve("k1", 700_000_000))).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("exists")));
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/reservations", Some(reserve("k1", 5))).await;
    assert_eq!(
        (s, v["code"].as_str(), v["id"].as_str()),
        (StatusCode::CONFLICT, Some("idempotency_conflict"), Some(id.as_str()))
    );
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/reservations", Some(reserve("k2", 100_000_000))).await;
    assert_eq!(
        (s, v["code"].as_str(), v["available_tpp"].as_u64()),
        (StatusCode::CONFLICT, Some("exceeds_allocation"), Some(90_000_000))
    );
    let (s, v) = api
        .as_role(
            Role::Officer,
            "POST",
            "/v1/reservations",
            Some(json!({"pool": "country:DE", "tpp": 1, "key": "k3", "date": "2025-06-01"})),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("undefined_pool")));
    let (s, v) = api
        .as_role(Role::Officer, "POST", "/v1/reservations", Some(json!({"pool": "country:SG", "tpp": -1, "key": "k4"})))
        .await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_value")));
    let (s, v) = api.as_role(Role::Officer, "POST", &format!("/v1/reservations/{id}/post"), None).await;
    assert_eq!((s, v["state"].as_str()), (StatusCode::OK, Some("posted")));
    let (s, v) = api.as_role(Role::Officer, "POST", &format!("/v1/reservations/{id}/void"), None).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("not_pending")));
    let (s, _) = api.as_role(Role::Officer, "POST", "/v1/reservations/res-999/post", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, b) = api.as_role(Role::Viewer, "GET", "/v1/pools/country:SG?date=2025-06-01", None).await;
    assert_eq!((s, b["posted_tpp"].as_u64()), (StatusCode::OK, Some(700_000_000)));
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/pools/country:DE", None).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("undefined_pool")));
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/pools/country:SG?date=tomorrow", None).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("date")));

    // The four tokens' creations come first, then the reservation and its post.
    let (_, page) = api.as_role(Role::Viewer, "GET", "/v1/audit?limit=4", None).await;
    let actions: Vec<&str> =
        page["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!((actions, page["next_after"].as_u64()), (vec!["token-create"; 4], Some(4)));
    let (_, page) = api.as_role(Role::Viewer, "GET", "/v1/audit?after=4&limit=1", None).await;
    assert_eq!((page["entries"].as_array().unwrap().len(), page["next_after"].as_u64()), (1, Some(5)));
    let (_, page) = api.as_role(Role::Viewer, "GET", "/v1/audit?after=5", None).await;
    assert_eq!((page["entries"][0]["action"].as_str(), page["next_after"].as_u64()), (Some("post"), None));
    // One pool's entries only, paged as the whole log is.
    let (_, page) = api.as_role(Role::Viewer, "GET", "/v1/audit?pool=country:SG&limit=1", None).await;
    assert_eq!(
        (page["entries"][0]["action"].as_str(), page["entries"][0]["pool"].as_str(), page["next_after"].as_u64()),
        (Some("reserve"), Some("country:SG"), Some(5))
    );
    let (_, page) = api.as_role(Role::Viewer, "GET", "/v1/audit?pool=country:SG&after=5", None).await;
    assert_eq!((page["entries"][0]["action"].as_str(), page["next_after"].as_u64()), (Some("post"), None));
    let (_, page) = api.as_role(Role::Viewer, "GET", "/v1/audit?pool=country:MY", None).await;
    assert_eq!(page["entries"].as_array().map(Vec::len), Some(0));
    let (s, v) = api.as_role(Role::Viewer, "GET", &format!("/v1/audit?pool={}", "x".repeat(401)), None).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("pool")));
    let (_, v) = api.as_role(Role::Viewer, "GET", "/v1/audit/verify", None).await;
    assert_eq!((v["ok"].as_bool(), v["entries"].as_u64()), (Some(true), Some(6)));
    let (_, cp) = api.as_role(Role::Viewer, "GET", "/v1/audit/checkpoint", None).await;
    assert_eq!(cp["entries"].as_u64(), Some(6));
    let checkpoint = cp["checkpoint"].as_str().unwrap();
    let (_, v) = api.as_role(Role::Viewer, "GET", &format!("/v1/audit/verify?checkpoint={checkpoint}"), None).await;
    assert_eq!((v["ok"].as_bool(), v["checkpoint"].as_str()), (Some(true), Some(checkpoint)));
    let (_, v) =
        api.as_role(Role::Viewer, "GET", &format!("/v1/audit/verify?checkpoint={}:6", "1".repeat(64)), None).await;
    assert_eq!(v["ok"].as_bool(), Some(false));
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/audit/verify?checkpoint=nope", None).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("checkpoint")));
}

#[tokio::test]
async fn reference_data_and_not_found() {
    let api = Api::new(Limits::default());
    let (_, items) = api.as_role(Role::Viewer, "GET", "/v1/items", None).await;
    assert_eq!(items.as_array().unwrap().len(), tiergate_core::builtin::catalog().unwrap().len());
    let (_, h100) = api.as_role(Role::Viewer, "GET", "/v1/items/nvidia-h100-sxm", None).await;
    assert_eq!((h100["tpp"].as_u64(), h100["eccn"].as_str()), (Some(15832), Some("3A090.a")));
    assert_eq!((h100["memory_type"].as_str(), h100["dram_bandwidth_gbps"].as_f64()), (Some("HBM3"), Some(3350.0)));
    let (_, gb) = api.as_role(Role::Viewer, "GET", "/v1/items/nvidia-gb200-superchip", None).await;
    assert_eq!((gb["ics_per_unit"].as_u64(), gb["tpp_per_unit"].as_u64()), (Some(2), Some(80000)));
    assert_eq!(gb["eccn"].as_str(), Some("4A090.a"));
    let (_, v4) = api.as_role(Role::Viewer, "GET", "/v1/items/google-tpu-v4", None).await;
    assert!(v4["eccn"].is_null() && v4["unclassified"].as_str().is_some_and(|s| s.contains("die area")), "{v4}");
    let (s, _) = api.as_role(Role::Viewer, "GET", "/v1/items/nvidia-h9000", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, kh) = api.as_role(Role::Viewer, "GET", "/v1/countries/Cambodia?date=2026-03-01", None).await;
    assert_eq!((kh["code"].as_str(), kh["tier"].as_u64()), (Some("KH"), Some(2)));
    let (_, all) = api.as_role(Role::Viewer, "GET", "/v1/countries?date=2025-06-01", None).await;
    // Supp. No. 5(a)'s 19 entries; territories read as one of them (15 CFR 772.1) take its tier.
    let own_tier1 = all.as_array().unwrap().iter().filter(|c| c["tier"] == 1 && c["treated_as"].is_null()).count();
    assert_eq!(own_tier1, 19);
    let (s, _) = api.as_role(Role::Viewer, "GET", "/v1/countries/Atlantis", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, c) = api
        .as_role(
            Role::Analyst,
            "POST",
            "/v1/classify",
            Some(json!({"item": {"tpp": 3000, "die_area_mm2": 1500, "datacenter": true}, "quantity": 2})),
        )
        .await;
    assert_eq!((s, c["eccn"].as_str(), c["tpp_total"].as_u64()), (StatusCode::OK, Some("3A090.b"), Some(6000)));
    let (s, c) = api
        .as_role(Role::Analyst, "POST", "/v1/classify", Some(json!({"item": {"tpp": 3000, "datacenter": true}})))
        .await;
    assert_eq!((s, c["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("item.die_area_mm2")));
    let (s, _, v) = api.call("GET", "/v2/nothing", Some(api.token(Role::Viewer)), None).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test]
async fn metrics_count_routes_authorizations_and_reservations() {
    let api = Api::new(Limits::default());
    api.as_role(Role::Analyst, "POST", "/v1/determinations", Some(order("m1", 1000, "MY"))).await;
    api.as_role(
        Role::Analyst,
        "POST",
        "/v1/determinations",
        Some(json!({"requests": [order("m2", 1, "DE"), order("m3", 1, "Atlantis")]})),
    )
    .await;
    api.as_role(
        Role::Officer,
        "POST",
        "/v1/reservations",
        Some(json!({"pool": "country:SG", "tpp": 5, "key": "mk", "date": "2025-06-01"})),
    )
    .await;
    api.as_role(
        Role::Officer,
        "POST",
        "/v1/reservations",
        Some(json!({"pool": "country:SG", "tpp": 900000000, "key": "mk2", "date": "2025-06-01"})),
    )
    .await;
    api.as_role(Role::Viewer, "GET", "/v1/items/nvidia-h20", None).await;
    let req = Request::builder()
        .uri("/metrics")
        .header("authorization", format!("Bearer {}", api.token(Role::Viewer)))
        .body(Body::empty())
        .unwrap();
    let resp = api.app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    for line in [
        r#"tiergate_http_requests_total{method="POST",route="/v1/determinations",status="200"} 2"#,
        r#"tiergate_http_requests_total{method="GET",route="/v1/items/{id}",status="200"} 1"#,
        r#"tiergate_determinations_total{authorization="LPP"} 1"#,
        r#"tiergate_determinations_total{authorization="AIA"} 1"#,
        r#"tiergate_determinations_total{authorization="error"} 1"#,
        r#"tiergate_reservations_total{outcome="reserved"} 1"#,
        r#"tiergate_reservations_total{outcome="exceeds_allocation"} 1"#,
        r#"tiergate_http_request_duration_seconds_count{method="POST",route="/v1/reservations"} 2"#,
    ] {
        assert!(text.lines().any(|l| l == line), "missing `{line}` in:\n{text}");
    }
}

#[tokio::test]
async fn admins_manage_tokens_and_revocation_takes_effect() {
    let api = Api::new(Limits::default());
    let (s, v) = api.as_role(Role::Admin, "POST", "/v1/tokens", Some(json!({"name": "erp", "role": "officer"}))).await;
    assert_eq!((s, v["role"].as_str()), (StatusCode::CREATED, Some("officer")));
    let secret = v["token"].as_str().unwrap().to_owned();
    let (s, _, _) = api.call("GET", "/v1/items/nvidia-h20", Some(&secret), None).await;
    assert_eq!(s, StatusCode::OK, "the new token works");
    let (s, v) = api.as_role(Role::Admin, "POST", "/v1/tokens", Some(json!({"name": "erp", "role": "viewer"}))).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    let (s, v) = api.as_role(Role::Admin, "POST", "/v1/tokens", Some(json!({"name": "x", "role": "root"}))).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("role")));
    let (_, page) = api.as_role(Role::Admin, "GET", "/v1/tokens", None).await;
    let list = page["tokens"].as_array().unwrap();
    assert!(list.iter().all(|t| t.get("token").is_none() && t.get("hash").is_none()), "no secrets listed");
    // Paged by name: two at a time, then the rest.
    let (_, two) = api.as_role(Role::Admin, "GET", "/v1/tokens?limit=2", None).await;
    let next = two["next_after"].as_str().unwrap().to_owned();
    assert_eq!(two["tokens"][1]["name"].as_str(), Some(next.as_str()));
    let (_, rest) = api.as_role(Role::Admin, "GET", &format!("/v1/tokens?after={next}"), None).await;
    assert_eq!(rest["tokens"].as_array().unwrap().len() + 2, list.len());
    assert!(rest["next_after"].is_null());
    let (s, v) = api.as_role(Role::Admin, "GET", "/v1/tokens?after=nobody", None).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("after")));
    let (s, _) = api.as_role(Role::Officer, "DELETE", "/v1/tokens/erp", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api.as_role(Role::Admin, "DELETE", "/v1/tokens/erp", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = api.call("GET", "/v1/items/nvidia-h20", Some(&secret), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "revoked here, refused here at once");
    let (s, _) = api.as_role(Role::Admin, "DELETE", "/v1/tokens/erp", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_openapi_document_covers_every_route() {
    let api = Api::new(Limits::default());
    let (s, ctype, doc) = api.call("GET", "/openapi.json", None, None).await;
    assert_eq!((s, ctype.as_str()), (StatusCode::OK, "application/json"));
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in [
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("post", "/v1/determinations"),
        ("post", "/v1/classify"),
        ("get", "/v1/items"),
        ("get", "/v1/items/{id}"),
        ("get", "/v1/countries"),
        ("get", "/v1/countries/{code}"),
        ("get", "/v1/regimes"),
        ("get", "/v1/pools/{pool}"),
        ("post", "/v1/reservations"),
        ("get", "/v1/reservations"),
        ("post", "/v1/reservations/{id}/post"),
        ("post", "/v1/reservations/{id}/void"),
        ("get", "/v1/audit"),
        ("get", "/v1/audit/verify"),
        ("get", "/v1/audit/checkpoint"),
        ("get", "/v1/determinations"),
        ("get", "/v1/determinations/{id}"),
        ("get", "/v1/determinations/{id}/memo"),
        ("post", "/v1/determinations/{id}/status"),
        ("post", "/v1/determinations/{id}/notes"),
        ("get", "/v1/tokens"),
        ("post", "/v1/tokens"),
        ("delete", "/v1/tokens/{name}"),
        ("post", "/v1/session"),
        ("get", "/v1/session"),
        ("delete", "/v1/session"),
        ("get", "/v1/pools"),
        ("get", "/v1/screen"),
        ("post", "/v1/screen"),
        ("post", "/v1/judgements"),
        ("post", "/v1/fleet/check"),
        ("post", "/v1/fleet/plan"),
        ("get", "/v1/parties"),
        ("post", "/v1/parties"),
        ("get", "/v1/parties/{name}"),
        ("patch", "/v1/parties/{name}"),
        ("post", "/v1/parties/{name}/aliases"),
        ("put", "/v1/parties/{name}/owners"),
        ("post", "/v1/parties/merge"),
        ("get", "/v1/scenarios"),
        ("post", "/v1/scenarios"),
        ("get", "/v1/scenarios/{name}"),
        ("delete", "/v1/scenarios/{name}"),
        ("post", "/v1/scenarios/{name}/diff"),
        ("get", "/v1/capacity"),
        ("post", "/v1/exposure"),
        ("get", "/v1/veus"),
        ("post", "/v1/veus"),
        ("get", "/v1/veus/{id}"),
        ("post", "/v1/veus/{id}/log"),
        ("get", "/v1/veus/{id}/report"),
        ("get", "/v1/lists"),
        ("post", "/v1/lists"),
        ("post", "/v1/kyc"),
        ("get", "/v1/veus/{id}/readiness"),
        ("post", "/v1/veus/{id}/evidence"),
        ("post", "/v1/veus/{id}/report"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is not documented");
    }
    assert_eq!(paths.values().map(|p| p.as_object().unwrap().len()).sum::<usize>(), 60, "and nothing else");
    // Every reference resolves.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = r.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "dangling $ref to {name}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert_eq!(doc["paths"]["/healthz"]["get"]["security"], json!([{}]), "liveness needs no token");
    let (s, ctype, _) = api.call("GET", "/docs", None, None).await;
    assert_eq!((s, ctype.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
}

impl Api {
    /// A request with headers of our choosing; the response's status, `set-cookie` and JSON body.
    async fn raw(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> (StatusCode, Option<String>, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp =
            self.app.clone().oneshot(req.body(body.map_or_else(Body::empty, Body::from)).unwrap()).await.unwrap();
        let status = resp.status();
        let cookie = resp.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, cookie, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// Sign-in exchanges a token for an HttpOnly, SameSite=Strict cookie; a session's changes need its CSRF token;
/// sign-out ends it (the cookie no longer works) and a revoked token ends its sessions.
#[tokio::test]
async fn browser_sessions_with_csrf() {
    let api = Api::new(Limits::default());
    let (s, _, v) = api.raw("GET", "/v1/session", &[], None).await;
    assert_eq!((s, v["signed_in"].as_bool()), (StatusCode::OK, Some(false)), "anonymous: no error, not signed in");
    let (s, _, _) = api
        .raw(
            "POST",
            "/v1/session",
            &[("content-type", "application/json")],
            Some(json!({"token": "tg_nope"}).to_string()),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _, _) = api.raw("POST", "/v1/session", &[("content-type", "application/json")], Some("{".into())).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A form post (which another site could make) cannot sign anyone in.
    let form = json!({"token": api.token(Role::Viewer)}).to_string();
    let (s, cookie, _) = api.raw("POST", "/v1/session", &[("content-type", "text/plain")], Some(form)).await;
    assert_eq!((s, cookie), (StatusCode::UNSUPPORTED_MEDIA_TYPE, None));

    let body = json!({"token": api.token(Role::Officer)}).to_string();
    let (s, cookie, me) = api.raw("POST", "/v1/session", &[("content-type", "application/json")], Some(body)).await;
    assert_eq!((s, me["role"].as_str(), me["name"].as_str()), (StatusCode::OK, Some("officer"), Some("officer-token")));
    let cookie = cookie.unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    let pair = cookie.split(';').next().unwrap().to_owned();
    let csrf = me["csrf"].as_str().unwrap().to_owned();

    // Reads need only the cookie; GET /v1/session gives the CSRF token back after a reload.
    let (s, _, v) = api.raw("GET", "/v1/session", &[("cookie", &pair)], None).await;
    assert_eq!((s, v["csrf"].as_str()), (StatusCode::OK, Some(csrf.as_str())));
    let (s, _, _) = api.raw("GET", "/v1/pools?date=2025-06-01", &[("cookie", &pair)], None).await;
    assert_eq!(s, StatusCode::OK);
    // A change without the CSRF header, or with a wrong one, is refused; with it, it goes through.
    let reserve = json!({"pool": "country:SG", "tpp": 5, "key": "s1", "date": "2025-06-01"}).to_string();
    for headers in [vec![("cookie", pair.as_str())], vec![("cookie", pair.as_str()), ("x-csrf-token", "tg_forged")]] {
        let mut h = headers.clone();
        h.push(("content-type", "application/json"));
        let (s, _, v) = api.raw("POST", "/v1/reservations", &h, Some(reserve.clone())).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("csrf")), "{headers:?}");
    }
    let h = [("cookie", pair.as_str()), ("x-csrf-token", csrf.as_str()), ("content-type", "application/json")];
    let (s, _, _) = api.raw("POST", "/v1/reservations", &h, Some(reserve)).await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, v) = api.as_role(Role::Viewer, "GET", "/v1/audit", None).await;
    let by_action = |action: &str| v["entries"].as_array().unwrap().iter().find(|e| e["action"] == action).cloned();
    assert_eq!(by_action("reserve").unwrap()["actor"], "officer-token", "a session's changes are its token's");
    assert_eq!(by_action("sign-in").unwrap()["actor"], "officer-token", "sign-ins are audited");

    // A bearer token has no session to end.
    let (s, v) = api.as_role(Role::Viewer, "DELETE", "/v1/session", None).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("no_session")));
    // Sign-out needs the CSRF token too, clears the cookie and ends the session.
    let (s, _, _) = api.raw("DELETE", "/v1/session", &[("cookie", &pair)], None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, cleared, _) = api.raw("DELETE", "/v1/session", &[("cookie", &pair), ("x-csrf-token", &csrf)], None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(cleared.unwrap().contains("Max-Age=0"));
    let (s, _, _) = api.raw("GET", "/v1/pools", &[("cookie", &pair)], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "an ended session is refused");

    // Revoking the token ends its other sessions at once.
    let body = json!({"token": api.token(Role::Analyst)}).to_string();
    let (_, cookie, _) = api.raw("POST", "/v1/session", &[("content-type", "application/json")], Some(body)).await;
    let pair = cookie.unwrap().split(';').next().unwrap().to_owned();
    let (s, _) = api.as_role(Role::Admin, "DELETE", "/v1/tokens/analyst-token", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = api.raw("GET", "/v1/pools", &[("cookie", &pair)], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// The endpoints the dashboard added: every pool, CSV order books, fleet checks, screening and judgements.
#[tokio::test]
async fn pools_csv_fleet_and_screening_endpoints() {
    let api = Api::new(Limits { max_body_bytes: 1 << 20, max_batch: 3, ..Limits::default() });
    let (s, v) =
        api.as_role(Role::Officer, "POST", "/v1/determinations?record=true", Some(order("p1", 2000, "SG"))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, page) = api.as_role(Role::Viewer, "GET", "/v1/pools?date=2025-06-01", None).await;
    assert_eq!(s, StatusCode::OK);
    let pools = page["pools"].as_array().unwrap();
    let (_, first) = api.as_role(Role::Viewer, "GET", "/v1/pools?date=2025-06-01&limit=3", None).await;
    assert_eq!(first["pools"].as_array().map(Vec::len), Some(3));
    assert_eq!(first["next_after"], pools[2]["pool"], "the next page starts after the third");
    let sg = pools.iter().find(|p| p["pool"] == "country:SG").unwrap();
    assert_eq!((sg["pending_tpp"].as_u64(), sg["cap_tpp"].as_u64()), (Some(31_664_000), Some(790_000_000)));
    assert!(pools.iter().all(|p| p["pool"] != "country:DE" && p["pool"] != "country:CN"), "Tier 2 only");
    assert!(pools.iter().any(|p| p["pool"] == "country:MY"), "untouched Tier 2 allocations too");
    let (s, _) = api.as_role(Role::Viewer, "GET", "/v1/pools?date=June", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // A CSV order book answers as a batch; an error row in its place; over the batch limit, nothing is done.
    let csv = "id,date,item,quantity,destination,consignee_name,consignee_headquarters\nc1,2025-06-01,nvidia-h100-sxm,10,DE,A,DE\nc2,2025-06-01,nope,1,IN,B,IN\n";
    let t = format!("Bearer {}", api.token(Role::Analyst));
    let (s, _, v) = api
        .raw("POST", "/v1/determinations", &[("authorization", &t), ("content-type", "text/csv")], Some(csv.into()))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["determinations"][0]["authorization"], "AIA");
    assert_eq!(
        (v["determinations"][1]["error"]["code"].as_str(), v["determinations"][1]["error"]["line"].as_u64()),
        (Some("unknown_item"), Some(3))
    );
    let big = format!("{csv}c3,2025-06-01,nvidia-h100-sxm,1,DE,A,DE\nc4,2025-06-01,nvidia-h100-sxm,1,DE,A,DE\n");
    let (s, _, v) = api
        .raw(
            "POST",
            "/v1/determinations",
            &[("authorization", &t), ("content-type", "text/csv; charset=utf-8")],
            Some(big),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("batch_too_large")));
    let (s, _, v) = api
        .raw(
            "POST",
            "/v1/determinations",
            &[("authorization", &t), ("content-type", "text/csv")],
            Some("when,where\n1,2\n".into()),
        )
        .await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("malformed_csv")));

    // Fleet check: as the CLI; bad rows all reported with their lines.
    let fleet = json!({"fleet": "site,country,tpp\nAshburn,US,900000000\nJohor,MY,100000000\n", "headquarters": "US", "date": "2025-06-01"});
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/fleet/check", Some(fleet)).await;
    assert_eq!(
        (s, v["violations"][0]["rule"].as_str(), v["headroom_tpp"]["MY"].as_u64()),
        (StatusCode::OK, Some("single_country_max"), Some(0))
    );
    let bad = json!({"fleet": "site,country,tpp\nA,Atlantis,1\nB,US,-4\n", "headquarters": "US"});
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/fleet/check", Some(bad)).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("fleet")));
    assert!(
        v["detail"].as_str().unwrap().contains("line 2") && v["detail"].as_str().unwrap().contains("line 3"),
        "{v}"
    );
    let (s, v) = api
        .as_role(
            Role::Analyst,
            "POST",
            "/v1/fleet/check",
            Some(json!({"fleet": "site,country,tpp\nA,MY,1\n", "headquarters": "MY"})),
        )
        .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("headquarters")),
        "a UVEU is headquartered in Tier 1"
    );
    let (s, _) =
        api.as_role(Role::Viewer, "POST", "/v1/fleet/check", Some(json!({"fleet": "", "headquarters": "US"}))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Fleet plan: 50M more in Malaysia makes 150M of 1,050M; 7 % needs 100 * 150M <= 7 * (1,050M + x),
    // so x >= 7,650M / 7 = 1,092,857,142.86, rounded up to whole TPP.
    let plan = |add: serde_json::Value| {
        json!({"fleet": "site,country,tpp\nAshburn,US,900000000\nJohor,MY,100000000\n", "headquarters": "US",
               "date": "2025-06-01", "add": add})
    };
    let (s, v) = api
        .as_role(Role::Analyst, "POST", "/v1/fleet/plan", Some(plan(json!([{"country": "Malaysia", "tpp": 5e7}]))))
        .await;
    assert_eq!(
        (
            s,
            v["feasible"].as_bool(),
            v["additional_home_tpp_needed"].as_u64(),
            v["violations_after"].as_array().map(Vec::len)
        ),
        (StatusCode::OK, Some(true), Some(1_092_857_143), Some(0)),
        "{v}"
    );
    let (s, v) =
        api.as_role(Role::Analyst, "POST", "/v1/fleet/plan", Some(plan(json!([{"country": "MO", "tpp": 1}])))).await;
    assert_eq!(
        (s, v["feasible"].as_bool(), v["violations_after"][0]["rule"].as_str()),
        (StatusCode::OK, Some(false), Some("tier3_country")),
        "no home addition cures compute in Macau: {v}"
    );
    for (add, field) in [
        (json!([]), "add"),
        (json!([{"country": "MY", "tpp": 1}, {"country": "MY", "tpp": 0}]), "add[1].tpp"),
        (json!([{"country": "Atlantis", "tpp": 1}]), "add[0].country"),
    ] {
        let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/fleet/plan", Some(plan(add))).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
    }
    let (s, _) = api.as_role(Role::Viewer, "POST", "/v1/fleet/plan", Some(plan(json!([])))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Screening: 409 before any list; then hits, and a judgement that counts at once.
    let (s, v) = api.as_role(Role::Analyst, "GET", "/v1/screen?name=Aaron%20Abraham%20Villa", None).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("no_lists")));
    async fn screen_csv(api: &Api, text: &str) -> (StatusCode, Option<String>, Value) {
        let t = format!("Bearer {}", api.token(Role::Analyst));
        api.raw("POST", "/v1/screen", &[("authorization", &t), ("content-type", "text/csv")], Some(text.to_owned()))
            .await
    }
    let (s, _, v) = screen_csv(&api, "name\nAaron Abraham Villa\n").await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("no_lists")));
    let dpl =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/us-screening-lists/dpl_2022-09.txt"))
            .unwrap();
    let entries = tiergate_screen::lists::parse(tiergate_screen::Format::Dpl, &dpl).unwrap();
    let bodies: Vec<String> = entries.entries.iter().map(|e| serde_json::to_string(e).unwrap()).collect();
    let version = tiergate_store::NewListVersion {
        list: "dpl",
        source_file: "dpl.txt",
        sha256: "x",
        problems: 0,
        actor: "test",
        at: "2026-01-01T00:00:00Z",
        list_date: None,
    };
    api.state.ledger.with(|l| l.import_list(&version, &bodies)).unwrap();
    api.state.refresh_lists().unwrap();
    let (s, v) = api.as_role(Role::Analyst, "GET", "/v1/screen?name=Aaron%20Abraham%20Villa&country=US", None).await;
    assert_eq!((s, v["decision"].as_str()), (StatusCode::OK, Some("match")), "{v}");
    let entry = v["hits"][0]["entry_id"].as_str().unwrap().to_owned();
    assert!(v["hits"][0]["features"].is_object());
    let (s, _) = api.as_role(Role::Analyst, "GET", "/v1/screen?name=x&country=Atlantis", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // A file of names: each answered in order as one name is; a bad line answered with its line and field.
    let (s, _, v) = screen_csv(
        &api,
        "id,name,country\nc1,Aaron Abraham Villa,US\nc2,Quiet Valley Robotics,\nc3,Someone,Atlantis\n",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let answers = v["answers"].as_array().unwrap();
    assert_eq!(
        (answers[0]["id"].as_str(), answers[0]["decision"].as_str(), answers[0]["hits"][0]["entry_id"].as_str()),
        (Some("c1"), Some("match"), Some(entry.as_str()))
    );
    assert_eq!((answers[1]["id"].as_str(), answers[1]["decision"].as_str()), (Some("c2"), Some("clear")));
    assert_eq!(
        (answers[2]["error"]["field"].as_str(), answers[2]["error"]["line"].as_u64(), v["rejected"].as_u64()),
        (Some("country"), Some(4), Some(1))
    );
    let t = format!("Bearer {}", api.token(Role::Analyst));
    let lines = "{\"id\": \"j1\", \"name\": \"Aaron Abraham Villa\"}\nnot json\n";
    let (s, _, v) = api
        .raw("POST", "/v1/screen", &[("authorization", &t), ("content-type", "text/plain")], Some(lines.into()))
        .await;
    assert_eq!(
        (s, v["answers"][0]["decision"].as_str(), v["answers"][1]["error"]["code"].as_str(), v["rejected"].as_u64()),
        (StatusCode::OK, Some("match"), Some("malformed_json"), Some(1)),
        "JSON Lines: {v}"
    );
    let viewer = format!("Bearer {}", api.token(Role::Viewer));
    let (s, _, _) = api
        .raw(
            "POST",
            "/v1/screen",
            &[("authorization", &viewer), ("content-type", "text/csv")],
            Some("name\nx\n".into()),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "screening is an analyst's");
    for (body, code) in [
        ("who,name\nx,Rosneft\n", "invalid_value"),
        ("name\n", "invalid_value"),
        ("name\na\nb\nc\nd\n", "batch_too_large"),
    ] {
        let (s, _, v) = screen_csv(&api, body).await;
        assert_eq!(
            (s, v["code"].as_str(), v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code), Some("body")),
            "{body}: {v}"
        );
    }
    let judgement = json!({"entry_id": entry, "query": "Aaron Abraham Villa", "verdict": "false_positive", "note": "another person"});
    let (s, _) = api.as_role(Role::Analyst, "POST", "/v1/judgements", Some(judgement.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "judging is an officer's");
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/judgements", Some(judgement)).await;
    assert_eq!((s, v["actor"].as_str()), (StatusCode::CREATED, Some("officer-token")));
    let (_, v) = api.as_role(Role::Analyst, "GET", "/v1/screen?name=Aaron%20Abraham%20Villa&country=US", None).await;
    assert_eq!((v["decision"].as_str(), v["hits"][0]["decision"].as_str()), (Some("clear"), Some("clear")), "{v}");
    let (s, _) = api
        .as_role(
            Role::Officer,
            "POST",
            "/v1/judgements",
            Some(json!({"entry_id": "nope", "query": "x", "verdict": "true_match"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = api
        .as_role(
            Role::Officer,
            "POST",
            "/v1/judgements",
            Some(json!({"entry_id": entry, "query": "x", "verdict": "maybe"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // A judgement recorded by another process (here straight into the ledger) counts in the next file of names
    // at once: the batch reloads changed lists before screening.
    let query = api.state.lists.get().unwrap().screener.index().normal_form("Aaron Abraham Villa");
    let j = Judgement {
        entry_id: entry.clone(),
        query,
        verdict: "true_match".into(),
        note: None,
        actor: "cli".into(),
        at: "2026-01-02T00:00:00Z".into(),
    };
    api.state.ledger.with(|l| l.add_judgement(&j)).unwrap();
    let (_, _, v) = screen_csv(&api, "name,country\nAaron Abraham Villa,US\n").await;
    assert_eq!(v["answers"][0]["decision"].as_str(), Some("match"), "{v}");
}

/// The dashboard's files are served without a token, with a content type and a strict CSP; nothing else is.
#[tokio::test]
async fn the_dashboard_is_served() {
    let api = Api::new(Limits::default());
    for (path, ctype) in [
        ("/", "text/html; charset=utf-8"),
        ("/assets/app.js", "text/javascript; charset=utf-8"),
        ("/assets/world.json", "application/json"),
    ] {
        let resp = api.app.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert_eq!(resp.headers()["content-type"], ctype);
        assert!(resp.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    }
    let (s, _, _) = api.call("GET", "/assets/../Cargo.toml", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = api.call("GET", "/assets/nope.js", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

/// Through the API too, spellings of one ultimate consignee share one LPP pool: the first 1,000 H100 (15,832,000
/// TPP) use LPP, a second spelling's 1,000 more would pass 26,900,000 and need a license (issue 14).
#[tokio::test]
async fn spellings_of_one_consignee_share_one_lpp_pool() {
    let api = Api::new(Limits::default());
    let order = |id: &str, name: &str| {
        json!({"id": id, "date": "2025-06-01", "item": "nvidia-h100-sxm", "quantity": 1000, "destination": "MY",
               "consignee": {"name": name, "headquarters": "MY"}})
    };
    let (_, a) =
        api.as_role(Role::Officer, "POST", "/v1/determinations?record=true", Some(order("k1", "KL Compute"))).await;
    assert_eq!(
        (a["authorization"].as_str(), a["recorded"]["pool"].as_str()),
        (Some("LPP"), Some("lpp:kl compute:2025"))
    );
    let (_, b) = api
        .as_role(Role::Officer, "POST", "/v1/determinations?record=true", Some(order("k2", "KL COMPUTE SDN. BHD.")))
        .await;
    assert_eq!(b["authorization"], "LICENSE", "{b}");
    let (_, pool) =
        api.as_role(Role::Viewer, "GET", "/v1/pools/lpp:%EF%BC%AB%EF%BC%AC%20Compute:2025?date=2025-06-01", None).await;
    assert_eq!(pool["pending_tpp"], 15_832_000, "a full-width spelling reads the same pool: {pool}");
}

/// The registry over the API: an officer registers a party and an alias, a determination under the alias draws
/// on the party's LPP pool and says why, a merge brings another party's receipts along, a viewer may read but not
/// change, and every change is in the audit log (issue 14).
#[tokio::test]
async fn the_registry_joins_names_into_one_lpp_pool_over_the_api() {
    let api = Api::new(Limits::default());
    let order = |id: &str, name: &str| {
        json!({"id": id, "date": "2025-06-01", "item": "nvidia-h100-sxm", "quantity": 1000, "destination": "MY",
               "consignee": {"name": name, "headquarters": "MY"}})
    };
    let (s, _) = api.as_role(Role::Viewer, "POST", "/v1/parties", Some(json!({"name": "KL Compute"}))).await;
    assert_eq!(s, 403, "a viewer cannot change the registry");
    let (s, added) = api
        .as_role(
            Role::Officer,
            "POST",
            "/v1/parties",
            Some(json!({"name": "KL Compute", "aliases": ["Borneo DC"], "headquarters": "MY"})),
        )
        .await;
    assert_eq!(s, 201, "{added}");
    assert_eq!(added["party"]["key"], "kl compute");
    let (_, a) = api
        .as_role(Role::Officer, "POST", "/v1/determinations?record=true", Some(order("r1", "Borneo DC Sdn Bhd")))
        .await;
    assert_eq!(a["recorded"]["pool"], "lpp:kl compute:2025", "{a}");
    let why = a["reasons"].as_array().unwrap().iter().any(|r| {
        r["text"]
            .as_str()
            .is_some_and(|t| t.contains("is the registered party \"KL Compute\" (by its recorded name \"Borneo DC\")"))
    });
    assert!(why, "the answer says which party the name resolved to: {a}");
    // Another party with receipts of its own, then merged: its 1,000 H100 join KL Compute's.
    let (_, b) =
        api.as_role(Role::Officer, "POST", "/v1/determinations?record=true", Some(order("r2", "Sabah Cloud"))).await;
    assert_eq!(b["recorded"]["pool"], "lpp:sabah cloud:2025", "{b}");
    let (s, _) = api.as_role(Role::Officer, "POST", "/v1/parties", Some(json!({"name": "Sabah Cloud"}))).await;
    assert_eq!(s, 201);
    let (s, taken) = api
        .as_role(Role::Officer, "POST", "/v1/parties/KL%20Compute/aliases", Some(json!({"aliases": ["SABAH CLOUD"]})))
        .await;
    assert_eq!(s, 409, "a name another party has is refused: {taken}");
    let (s, merged) = api
        .as_role(Role::Officer, "POST", "/v1/parties/merge", Some(json!({"from": "sabah cloud", "into": "Borneo DC"})))
        .await;
    assert_eq!((s.as_u16(), merged["moved_reservations"].as_u64()), (200, Some(1)), "{merged}");
    let (_, pool) = api.as_role(Role::Viewer, "GET", "/v1/pools/lpp:kl%20compute:2025?date=2025-06-01", None).await;
    assert_eq!(pool["pending_tpp"], 31_664_000, "both parties' receipts in one pool: {pool}");
    let (s, shown) = api.as_role(Role::Viewer, "GET", "/v1/parties/Sabah%20Cloud%20Sdn%20Bhd", None).await;
    assert_eq!((s.as_u16(), shown["name"].as_str()), (200, Some("KL Compute")), "{shown}");
    let (s, owner) = api
        .as_role(
            Role::Officer,
            "PUT",
            "/v1/parties/KL%20Compute/owners",
            Some(json!({"owner": "Acme", "percent": 101})),
        )
        .await;
    assert_eq!((s.as_u16(), owner["field"].as_str()), (422, Some("percent")), "{owner}");
    let (s, _) = api.as_role(Role::Viewer, "GET", "/v1/parties/Nobody", None).await;
    assert_eq!(s, 404);
    let (s, listed) = api.as_role(Role::Viewer, "GET", "/v1/parties?limit=1", None).await;
    assert_eq!((s.as_u16(), listed["parties"][0]["key"].as_str()), (200, Some("kl compute")), "{listed}");
    assert!(listed["next_after"].is_null(), "one party after the merge: {listed}");
    // PATCH: an absent member stays, `null` clears.
    let (s, set) = api
        .as_role(Role::Officer, "PATCH", "/v1/parties/KL%20Compute", Some(json!({"ultimate_parent": "KL Holdings"})))
        .await;
    assert_eq!((s.as_u16(), set["party"]["headquarters"].as_str()), (200, Some("MY")), "{set}");
    let (_, set) =
        api.as_role(Role::Officer, "PATCH", "/v1/parties/KL%20Compute", Some(json!({"headquarters": null}))).await;
    assert_eq!(
        (set["party"]["headquarters"].is_null(), set["party"]["ultimate_parent"].as_str()),
        (true, Some("KL Holdings")),
        "{set}"
    );
    let (s, _) = api.as_role(Role::Officer, "PATCH", "/v1/parties/KL%20Compute", Some(json!({}))).await;
    assert_eq!(s, 422, "nothing to set");
    let (_, audit) = api.as_role(Role::Viewer, "GET", "/v1/audit?limit=100", None).await;
    let actions: Vec<&str> = audit["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    for action in ["party-add", "party-merge", "rekey"] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
    let (_, verify) = api.as_role(Role::Viewer, "GET", "/v1/audit/verify", None).await;
    assert_eq!(verify["ok"], true, "{verify}");
}

#[tokio::test]
async fn regimes_and_comparisons() {
    let api = Api::new(Limits::default());
    let o = order("g1", 10, "MY");
    // The codified timeline by default; the enforced one on request; both side by side with `compare`.
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations", Some(o.clone())).await;
    assert_eq!((s, v["authorization"].as_str()), (StatusCode::OK, Some("LPP")), "{v}");
    assert_eq!(
        (v["regime"]["timeline"].as_str(), v["regime"]["pack"].as_str()),
        (Some("codified"), Some("ai-diffusion-2025"))
    );
    assert!(v.get("compare").is_none());
    let (_, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations?regime=enforced", Some(o.clone())).await;
    assert_eq!(
        (v["authorization"].as_str(), v["regime"]["pack"].as_str()),
        (Some("NLR"), Some("enforced-2025-05")),
        "{v}"
    );
    assert!(v["tier"].is_null());
    let (_, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations?compare=enforced", Some(o.clone())).await;
    assert_eq!(v["compare"][0]["authorization"].as_str(), Some("NLR"), "{v}");
    assert_eq!(v["compare"][0]["timeline"].as_str(), Some("enforced"));
    let (_, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations?regime=us-ac-2023-11", Some(o.clone())).await;
    assert_eq!((v["regime"]["timeline"].clone(), v["regime"]["pack"].as_str()), (Value::Null, Some("us-ac-2023-11")));
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations?regime=hoped", Some(o.clone())).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("regime")), "{v}");
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations?compare=us-ac-2023-11", Some(o)).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("compare")), "{v}");
    // Countries under a regime without tiers show its license classes.
    let (_, all) = api.as_role(Role::Viewer, "GET", "/v1/countries?date=2025-06-01&regime=enforced", None).await;
    let cat = |code: &str| all.as_array().unwrap().iter().find(|c| c["code"] == code).unwrap()["category"].clone();
    assert_eq!(cat("MY"), "no license");
    assert_eq!(cat("SA"), "license: D:1/D:4");
    assert_eq!(cat("CN"), "license, presumption of denial: Macau/D:5");
    let (_, all) = api.as_role(Role::Viewer, "GET", "/v1/countries?date=2025-06-01", None).await;
    let my = all.as_array().unwrap().iter().find(|c| c["code"] == "MY").unwrap().clone();
    assert_eq!((my["tier"].as_u64(), my["category"].as_str()), (Some(2), Some("tier 2")));
    let (s, _) = api.as_role(Role::Viewer, "GET", "/v1/countries?date=2020-01-01", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // The regimes the dashboard offers, and the periods in force on a date.
    let (_, r) = api.as_role(Role::Viewer, "GET", "/v1/regimes?date=2025-06-01", None).await;
    assert_eq!(r["default"], "codified");
    assert_eq!(r["timelines"][1]["periods"][0]["pack"], "enforced-2025-05", "{r}");
    assert_eq!(r["packs"].as_array().map(Vec::len), Some(7));
}

#[tokio::test]
async fn odd_request_ids_are_replaced_and_wrong_methods_get_a_problem() {
    let api = Api::new(Limits::default());
    let get = |id: String| Request::builder().uri("/healthz").header("x-request-id", id).body(Body::empty()).unwrap();
    let resp = api.app.clone().oneshot(get("order-42.a:b_c".into())).await.unwrap();
    assert_eq!(resp.headers()["x-request-id"], "order-42.a:b_c", "a plain id is echoed");
    for odd in ["x".repeat(10_000), "has space".into(), "<script>".into(), "x".repeat(65)] {
        let resp = api.app.clone().oneshot(get(odd.clone())).await.unwrap();
        let echoed = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(echoed, odd, "an odd id is not echoed");
        assert!(!echoed.is_empty() && echoed.len() <= 64, "{echoed}");
    }
    let req = Request::builder().method("BREW").uri("/v1/items").body(Body::empty()).unwrap();
    let resp = api.app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["code"], "method_not_allowed", "{body}");
    // Made-up methods leave no series of their own in /metrics.
    for n in 0..20 {
        let req = Request::builder().method(format!("BREW{n}").as_str()).uri("/v1/items").body(Body::empty()).unwrap();
        api.app.clone().oneshot(req).await.unwrap();
    }
    let req = Request::builder()
        .uri("/metrics")
        .header("authorization", format!("Bearer {}", api.token(Role::Viewer)))
        .body(Body::empty())
        .unwrap();
    let text = String::from_utf8(
        api.app.clone().oneshot(req).await.unwrap().into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
    .unwrap();
    assert!(!text.contains("BREW"), "a label from client input:\n{text}");
}

fn meta_at(actor: &str, at: time::OffsetDateTime) -> tiergate_store::Meta {
    tiergate_store::Meta { actor: actor.to_owned(), reason: None, at }
}

/// Cookies are `Secure` when the server says so (not on loopback), and plain otherwise; a token keeps at most its
/// 16 newest sessions, however often it signs in.
#[tokio::test]
async fn secure_cookies_and_a_cap_on_sessions() {
    let sign_in = |api: &Api| {
        let body = json!({"token": api.token(Role::Viewer)}).to_string();
        let api_app = api.app.clone();
        async move {
            let req = Request::builder()
                .method("POST")
                .uri("/v1/session")
                .header("content-type", "application/json")
                .body(Body::from(body))
                .unwrap();
            let resp = api_app.oneshot(req).await.unwrap();
            resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned()
        }
    };
    let plain = Api::new(Limits::default());
    let cookie = sign_in(&plain).await;
    assert!(!cookie.contains("Secure"), "{cookie}");
    let Api { app, tokens, state, url } = Api::new(Limits::default());
    drop(app);
    let state = Arc::new(Arc::try_unwrap(state).ok().unwrap().with_secure_cookies(true));
    let secure = Api { app: router(Arc::clone(&state)), tokens, state, url };
    let first = sign_in(&secure).await;
    assert!(first.contains("; Secure"), "{first}");
    for _ in 0..20 {
        sign_in(&secure).await;
    }
    let pair = first.split(';').next().unwrap().to_owned();
    let (s, _, _) = secure.raw("GET", "/v1/session", &[("cookie", pair.as_str())], None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the oldest session was ended");
    let newest = sign_in(&secure).await;
    let pair = newest.split(';').next().unwrap().to_owned();
    let (s, _, v) = secure.raw("GET", "/v1/session", &[("cookie", pair.as_str())], None).await;
    assert_eq!((s, v["signed_in"].as_bool()), (StatusCode::OK, Some(true)), "the newest works");
    let live = secure.state.ledger.with(|l| l.audit(0, 1000)).unwrap().iter().filter(|e| e.action == "sign-in").count();
    assert_eq!(live, 22, "every sign-in is audited");
}

/// A recorded determination is stored whole and shown by id; one whose id keys another reservation is refused
/// with 409.
#[tokio::test]
async fn recorded_determinations_are_kept_and_ids_cannot_borrow_reservations() {
    let api = Api::new(Limits::default());
    let (s, v) =
        api.as_role(Role::Officer, "POST", "/v1/determinations?record=true", Some(order("rec-1", 1000, "SG"))).await;
    assert_eq!((s, v["recorded"]["status"].as_str()), (StatusCode::OK, Some("reserved")), "{v}");
    let (s, d) = api.as_role(Role::Viewer, "GET", "/v1/determinations/rec-1", None).await;
    assert_eq!((s, d["id"].as_str(), d["destination"].as_str()), (StatusCode::OK, Some("rec-1"), Some("SG")), "{d}");
    assert_eq!(d["answer"]["recorded"], v["recorded"]);
    let (s, page) = api.as_role(Role::Viewer, "GET", "/v1/determinations?destination=Singapore&limit=10", None).await;
    assert_eq!((s, page["determinations"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{page}");
    let (s, _) = api.as_role(Role::Viewer, "GET", "/v1/determinations/nope", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Its memo: the summary first, the pack's sha256, who recorded it, the audit entry that holds it.
    let (s, ctype, html) = api.get_text(Role::Viewer, "/v1/determinations/rec-1/memo").await;
    assert_eq!((s, ctype.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
    let summary = v["summary"].as_str().unwrap().replace('\'', "&#39;");
    assert!(html.contains(&format!("<p class=\"lead\">{summary}</p>")), "{html}");
    let sha = v["regime"]["sha256"].as_str().unwrap();
    assert!(html.contains(sha) && html.contains("Audit entry</th><td>#") && html.contains("@page"), "{html}");
    let (s, ctype, md) = api.get_text(Role::Viewer, "/v1/determinations/rec-1/memo?format=md").await;
    assert_eq!((s, ctype.as_str()), (StatusCode::OK, "text/markdown; charset=utf-8"));
    assert!(md.starts_with("# Export determination rec-1\n") && md.contains(sha), "{md}");
    let (s, _, _) = api.get_text(Role::Viewer, "/v1/determinations/nope/memo").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/determinations/rec-1/memo?format=pdf", None).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("format")));
    // The case: an officer approves it with a note and annotates it; an analyst may not; moves out of order are
    // conflicts; the list finds it by status, party and id.
    let status = |to: &str| Some(json!({"status": to, "note": "license D123 issued"}));
    let (s, _) = api.as_role(Role::Analyst, "POST", "/v1/determinations/rec-1/status", status("approved")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, c) = api.as_role(Role::Officer, "POST", "/v1/determinations/rec-1/status", status("approved")).await;
    assert_eq!(
        (s, c["status"].as_str(), c["notes"][0]["status"].as_str()),
        (StatusCode::OK, Some("approved"), Some("approved")),
        "{c}"
    );
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/determinations/rec-1/status", status("draft")).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{v}");
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/determinations/rec-1/status", status("sent")).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")), "{v}");
    let (s, c) = api
        .as_role(Role::Officer, "POST", "/v1/determinations/rec-1/notes", Some(json!({"text": "shipped by air"})))
        .await;
    assert_eq!((s, c["notes"].as_array().map(Vec::len)), (StatusCode::CREATED, Some(2)), "{c}");
    let (s, _) = api.as_role(Role::Officer, "POST", "/v1/determinations/rec-1/notes", Some(json!({"text": " "}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = api.as_role(Role::Officer, "POST", "/v1/determinations/nope/notes", Some(json!({"text": "x"}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, shown) = api.as_role(Role::Viewer, "GET", "/v1/determinations/rec-1", None).await;
    assert_eq!(
        (shown["status"].as_str(), shown["notes"][1]["text"].as_str()),
        (Some("approved"), Some("shipped by air"))
    );
    for (query, n) in
        [("status=approved", 1), ("status=draft", 0), ("party=lion%20city", 1), ("party=tiger", 0), ("id=rec", 1)]
    {
        let (s, page) = api.as_role(Role::Viewer, "GET", &format!("/v1/determinations?{query}"), None).await;
        assert_eq!((s, page["determinations"].as_array().map(Vec::len)), (StatusCode::OK, Some(n)), "{query}: {page}");
    }
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/determinations?status=lost", None).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/determinations?limit=0", None).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("limit")));
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/determinations?authorization=permit", None).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("authorization")));
    let (s, page) = api.as_role(Role::Viewer, "GET", "/v1/determinations?authorization=lpp", None).await;
    assert_eq!((s, page["determinations"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{page}");
    // A reservation keyed `other` of 1 TPP; a determination with id `other` would draw another amount.
    let body = json!({"pool": "country:SG", "tpp": 1, "key": "other", "date": "2025-06-01"});
    assert_eq!(api.as_role(Role::Officer, "POST", "/v1/reservations", Some(body)).await.0, StatusCode::CREATED);
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations", Some(order("other", 1000, "SG"))).await;
    assert_eq!(
        (s, v["code"].as_str(), v["field"].as_str()),
        (StatusCode::CONFLICT, Some("idempotency_conflict"), Some("id"))
    );
}

#[tokio::test]
async fn scenarios_save_answer_diff_and_delete() {
    let api = Api::new(Limits::default());
    let body = json!({"name": "allies", "base": "codified", "move": [{"country": "PL", "tier": 1}],
        "assure": [{"country": "IN", "from": "2026-01-01"}], "set": {"lpp.annual_limit_tpp": 13_450_000}});
    let (s, v) = api.as_role(Role::Viewer, "POST", "/v1/scenarios", Some(body.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/scenarios", Some(body.clone())).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!((v["pack"].as_str(), v["saved_by"].as_str()), (Some("scenario:allies"), Some("analyst-token")));
    assert!(v["text"].as_str().unwrap().contains("[[assure]]"));
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/scenarios", Some(body)).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")), "{v}");
    // Invalid scenarios name their key.
    for (bad, field) in [
        (json!({"name": "x", "base": "codified", "move": [{"country": "FR", "tier": 1}]}), "move[0]"),
        (
            json!({"name": "x", "base": "codified", "set": {"lpp.annual_limit_tpp": "many"}}),
            "set.\"lpp.annual_limit_tpp\"",
        ),
        (json!({"name": "x", "base": "nowhere", "move": [{"country": "PL", "tier": 1}]}), "scenario.base"),
        (json!({"name": "x", "base": "codified", "assure": [{"country": "IN", "from": "soon"}]}), "assure[0].from"),
        (json!({"base": "codified", "assure": [{"country": "IN"}]}), "name"),
        (
            json!({"text": "schema = 1\n[scenario]\nname = \"x\"\nversion = \"1\"\nbase = \"codified\"\n[[move]]\ncountry = \"PL\"\ntier = 7\n"}),
            "move[0].tier",
        ),
    ] {
        let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/scenarios", Some(bad.clone())).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {v}");
        assert_eq!(v["field"].as_str(), Some(field), "{bad}: {v}");
    }
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/scenarios", None).await;
    assert_eq!((s, v["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{v}");
    // Countries and determinations under it name its pack.
    let (_, pl) = api.as_role(Role::Viewer, "GET", "/v1/countries/PL?date=2026-06-01&scenario=allies", None).await;
    assert_eq!(pl["tier"], 1, "{pl}");
    let (_, pl) = api.as_role(Role::Viewer, "GET", "/v1/countries/PL?date=2026-06-01", None).await;
    assert_eq!(pl["tier"], 2, "{pl}");
    let mut o = order("s1", 100, "PL");
    o["date"] = json!("2026-06-01");
    let (s, d) = api.as_role(Role::Analyst, "POST", "/v1/determinations?scenario=allies", Some(o.clone())).await;
    assert_eq!((s, d["authorization"].as_str()), (StatusCode::OK, Some("AIA")), "{d}");
    assert_eq!((d["regime"]["pack"].as_str(), &d["regime"]["timeline"]), (Some("scenario:allies"), &Value::Null));
    let (s, _) =
        api.as_role(Role::Officer, "POST", "/v1/determinations?scenario=allies&record=true", Some(o.clone())).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) =
        api.as_role(Role::Analyst, "POST", "/v1/determinations?scenario=allies&regime=enforced", Some(o.clone())).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("scenario")));
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/determinations?scenario=nope", Some(o)).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("scenario")));
    // A diff of an order book, as JSON Lines and as CSV.
    let book = [order("a", 2000, "PL"), order("b", 2000, "MY"), order("c", 2000, "FR")]
        .iter()
        .map(|o| {
            let mut o = o.clone();
            o["date"] = json!("2026-06-01");
            o.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (s, _, v) = api.call("POST", "/v1/scenarios/allies/diff", Some(api.token(Role::Analyst)), Some(book)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["diff"]["orders"].as_u64(), v["diff"]["changed"].as_u64()), (Some(3), Some(1)), "{v}");
    assert_eq!(v["diff"]["by_change"]["LICENSE->AIA"], 1, "{v}");
    assert_eq!(v["changed"][0]["id"], "a");
    assert!(v["report"]["charts"]["allocation-use.svg"].as_str().unwrap().starts_with("<svg"));
    let csv = "id,date,item,quantity,destination,consignee_name,consignee_headquarters\nx,2026-06-01,nvidia-h100-sxm,100,PL,X,PL\n";
    let req = Request::builder()
        .method("POST")
        .uri("/v1/scenarios/allies/diff?against=enforced")
        .header("authorization", format!("Bearer {}", api.token(Role::Analyst)))
        .header("content-type", "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let resp = api.app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let v: Value = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!((v["diff"]["against"].as_str(), v["diff"]["orders"].as_u64()), (Some("enforced"), Some(1)), "{v}");
    // Capacity under the scenario: India's cap doubled by its assurance.
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/capacity?scenario=allies&date=2026-06-01", None).await;
    assert_eq!(s, StatusCode::OK);
    let india = v["countries"].as_array().unwrap().iter().find(|c| c["country"] == "IN").unwrap().clone();
    assert_eq!(
        (india["base"]["cap_tpp"].as_u64(), india["scenario"]["cap_tpp"].as_u64()),
        (Some(790_000_000), Some(1_580_000_000))
    );
    let (s, ctype, _) = api.call("GET", "/v1/capacity?format=svg", Some(api.token(Role::Viewer)), None).await;
    assert_eq!((s, ctype.as_str()), (StatusCode::OK, "image/svg+xml"));
    // Deleting is an analyst's, audited; the audit log still verifies.
    let (s, _) = api.as_role(Role::Viewer, "DELETE", "/v1/scenarios/allies", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = api.as_role(Role::Analyst, "DELETE", "/v1/scenarios/allies", None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = api.as_role(Role::Viewer, "GET", "/v1/scenarios/allies", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, audit) = api.as_role(Role::Viewer, "GET", "/v1/audit?limit=1000", None).await;
    let actions: Vec<&str> = audit["entries"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"scenario-save") && actions.contains(&"scenario-delete"), "{actions:?}");
    let (_, verify) = api.as_role(Role::Viewer, "GET", "/v1/audit/verify", None).await;
    assert_eq!(verify["ok"], true, "{verify}");
}

fn repo_file(path: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)).unwrap()
}

/// The BACI sample as Parquet with BACI's own columns, written by DataFusion.
async fn baci_parquet() -> Vec<u8> {
    use datafusion::dataframe::DataFrameWriteOptions;
    use datafusion::prelude::{CsvReadOptions, SessionContext};
    let dir = std::env::temp_dir().join(format!("tiergate-api-parquet-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("baci.parquet");
    let ctx = SessionContext::new();
    let sample =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/baci-sample/ExampleTradeData.csv");
    ctx.register_csv("s", sample.to_str().unwrap(), CsvReadOptions::new()).await.unwrap();
    let one = DataFrameWriteOptions::new().with_single_file_output(true);
    ctx.sql("SELECT t, i, j, CAST(k AS VARCHAR) AS k, v, q FROM s")
        .await
        .unwrap()
        .write_parquet(out.to_str().unwrap(), one, None)
        .await
        .unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

#[tokio::test]
async fn exposure_uploads_csv_and_parquet_for_analysts() {
    let api = Api::new(Limits { max_upload_bytes: 8 * 1024 * 1024, ..Limits::default() });
    let uri = "/v1/exposure?by=tier,country&date=2026-06-01";
    let comtrade = repo_file("tests/data/comtrade/flows.csv");
    // Viewers may not; analysts and above may.
    let (s, v) = api.upload(Role::Viewer, uri, "text/csv", comtrade.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = api.upload(Role::Analyst, uri, "text/csv", comtrade.clone()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["input"]["format"], "comtrade");
    assert_eq!((v["input"]["rows"].as_u64(), v["input"]["bad_rows"].as_u64()), (Some(6), Some(2)));
    assert_eq!(v["input"]["bad"][0]["line"], 5, "{v}");
    let groups: Vec<(Value, String, f64)> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["tier"].clone(), g["country"].as_str().unwrap().to_owned(), g["value_usd"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        groups,
        vec![
            (json!(1), "TW".to_owned(), 3_000_000.0),
            (json!(1), "US".to_owned(), 2_000_000.0),
            (json!(2), "MY".to_owned(), 4_000_000.0),
            (Value::Null, "COMTRADE:899".to_owned(), 1_000_000.0),
        ]
    );
    assert_eq!(v["pack"], "ai-diffusion-2026-01", "{}", v["pack"]);
    assert!(v["report"]["markdown"].as_str().unwrap().starts_with("# Exposure by country tier"));
    assert!(v["report"]["charts"]["share-by-tier.svg"].as_str().unwrap().starts_with("<svg"));
    assert_eq!(v["by_tier"].as_array().unwrap().len(), 3, "tiers 1, 2 and none: {}", v["by_tier"]);
    assert_eq!(v["counterparties"][0]["country"], "MY", "most value first");

    // The same sample as CSV and as Parquet gives the same groups.
    let csv = repo_file("tests/data/baci-sample/ExampleTradeData.csv");
    let uri = "/v1/exposure?by=period,tier&date=2026-06-01&products=8470,8471,8541,8542";
    let (s, from_csv) = api.upload(Role::Officer, uri, "text/csv", csv).await;
    assert_eq!(s, StatusCode::OK, "{from_csv}");
    let (s, from_parquet) =
        api.upload(Role::Analyst, uri, "application/vnd.apache.parquet", baci_parquet().await).await;
    assert_eq!(s, StatusCode::OK, "{from_parquet}");
    assert_eq!(from_parquet["input"]["format"], "baci");
    assert_eq!(from_csv["groups"], from_parquet["groups"]);
    assert_eq!(from_csv["groups"].as_array().unwrap().len(), 3, "{}", from_csv["groups"]);

    // Bad parameters and bodies name their field; too large a body is refused before it is read.
    for (uri, field) in [
        ("/v1/exposure?by=tier,colour", "by"),
        ("/v1/exposure?products=84x", "products"),
        ("/v1/exposure?exporter=Atlantis", "exporter"),
        ("/v1/exposure?input_format=xml", "input_format"),
        ("/v1/exposure?date=2026-13-01", "date"),
    ] {
        let (s, v) = api.upload(Role::Analyst, uri, "text/csv", comtrade.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {v}");
        assert!(v["field"] == field || v["detail"].as_str().unwrap_or_default().contains(field), "{uri}: {v}");
    }
    let (s, v) = api.upload(Role::Analyst, "/v1/exposure", "text/csv", Vec::new()).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("body")), "{v}");
    let (s, v) = api.upload(Role::Analyst, "/v1/exposure", "text/csv", b"a,b\n1,2\n".to_vec()).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("body")), "{v}");
    let (s, v) =
        api.upload(Role::Analyst, "/v1/exposure", "application/vnd.apache.parquet", b"PAR1 not parquet".to_vec()).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("body")), "{v}");
    let (s, _) = api.upload(Role::Analyst, "/v1/exposure", "text/csv", vec![b'x'; 9 * 1024 * 1024]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    // Other routes keep their own, smaller limit.
    let (s, _) = api.upload(Role::Analyst, "/v1/determinations", "text/csv", vec![b'x'; 5 * 1024 * 1024]).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn exposure_screens_counterparties_against_the_servers_lists_and_registry() {
    let api = Api::new(Limits::default());
    let flows = "period,exporter,importer,product,value_usd,customer,customer_parent\n\
                 2025,US,MY,854231,900,Kestrel Compute Holdings,\n\
                 2025,US,MY,854231,600,Penang Racks,Harbour Lotus Group\n\
                 2025,US,DE,854231,400,Rhein Rechenzentrum,\n";
    let uri = "/v1/exposure?date=2026-06-01";
    let (s, v) = api.upload(Role::Analyst, uri, "text/csv", flows.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let sc = &v["screening"];
    assert_eq!((sc["screened"].as_bool(), sc["registry_parties"].as_u64()), (Some(false), Some(0)), "{sc}");
    assert_eq!(sc["names"], 4);
    assert!(sc["flagged"].as_array().unwrap().is_empty(), "{sc}");

    // Another process imports a list naming one customer; an officer registers the other's parent in China.
    import_entity(&api.url, "el-test-2", "Kestrel Compute Holdings");
    let (s, _) = api
        .as_role(
            Role::Officer,
            "POST",
            "/v1/parties",
            Some(json!({"name": "Harbour Lotus Group", "headquarters": "CN"})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, v) = api.upload(Role::Analyst, uri, "text/csv", flows.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let sc = &v["screening"];
    assert_eq!((sc["screened"].as_bool(), sc["registry_parties"].as_u64()), (Some(true), Some(1)), "{sc}");
    let flagged: Vec<(&str, &str, &Value, &Value)> = sc["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["role"].as_str().unwrap(), &f["flags"], &f["evidence"][0]["line"]))
        .collect();
    assert_eq!(
        flagged,
        [
            ("Kestrel Compute Holdings", "customer", &json!(["listed"]), &json!(2)),
            ("Harbour Lotus Group", "customer_parent", &json!(["headquartered_in_tier3"]), &json!(3)),
        ],
        "{sc}"
    );
    assert_eq!(sc["flagged"][0]["hits"][0]["entry_id"], "el-test-2");
    assert!(v["report"]["markdown"].as_str().unwrap().contains("## Screened counterparties"));
}

/// The VEU registry over the API, as `tiergate veu` has it: officers register (eligibility checked; an
/// ineligible VEU is a 422 with the reasons, nothing stored) and append facility logs (all rows or none); anyone
/// reads an NVEU's quarterly cap and headroom and the semi-annual report in four forms; each change is audited.
#[tokio::test]
async fn veus_are_registered_logged_and_reported_over_the_api() {
    let api = Api::new(Limits::default());
    let nveu = json!({"kind": "nveu", "id": "g42-ae", "name": "G42", "headquarters": "AE", "country": "AE", "date": "2025-03-01"});
    let (s, v) = api.as_role(Role::Analyst, "POST", "/v1/veus", Some(nveu.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/veus", Some(nveu.clone())).await;
    assert_eq!((s, &v["registered"], &v["id"]), (StatusCode::CREATED, &json!(true), &json!("g42-ae")), "{v}");
    assert!(!v["reasons"].as_array().unwrap().is_empty(), "{v}");
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/veus", Some(nveu)).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // Headquartered in D:5: not eligible, with the reasons, and not stored.
    let cn =
        json!({"kind": "nveu", "id": "cn", "name": "X", "headquarters": "CN", "country": "AE", "date": "2025-03-01"});
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/veus", Some(cn)).await;
    assert_eq!(
        (s, v["code"].as_str(), &v["registered"]),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_eligible"), &json!(false)),
        "{v}"
    );
    assert!(v["reasons"].to_string().contains("D:5"), "{v}");
    for (body, field) in [
        (json!({"kind": "veu", "id": "a", "name": "A", "headquarters": "US"}), "kind"),
        (json!({"kind": "uveu", "id": "a", "name": "A", "headquarters": "Atlantis"}), "headquarters"),
        (json!({"kind": "uveu", "id": "a b", "name": "A", "headquarters": "US"}), "id"),
        (json!({"kind": "uveu", "id": "a", "name": " ", "headquarters": "US"}), "name"),
        (json!({"kind": "uveu", "id": "a", "name": "A", "headquarters": "US", "date": "2025-13-01"}), "date"),
    ] {
        let (s, v) = api.as_role(Role::Officer, "POST", "/v1/veus", Some(body)).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
    }
    let (_, list) = api.as_role(Role::Viewer, "GET", "/v1/veus", None).await;
    assert_eq!(list["veus"].as_array().unwrap().len(), 1, "{list}");

    // An NVEU's standing: Q2 2025's cumulative cap, nothing installed yet.
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/veus/g42-ae?date=2025-05-15", None).await;
    assert_eq!(
        (s, &v["nveu"]["cap_tpp"], &v["nveu"]["headroom_tpp"]),
        (StatusCode::OK, &json!(949_500_000), &json!(949_500_000)),
        "{v}"
    );
    let (s, _) = api.as_role(Role::Viewer, "GET", "/v1/veus/nope", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A log with bad rows stores nothing and names the lines; then a good one.
    let bad = "date,event,facility,country,item,quantity\n2025-06-01,received,Riyadh,SA,nvidia-h100-sxm,5\n2025-13-01,received,A,AE,nvidia-h100-sxm,5\n";
    let (s, v) = api.upload(Role::Officer, "/v1/veus/g42-ae/log", "text/csv", bad.into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.contains("line 2: facility `Riyadh` is in SA") && detail.contains("line 3: `date`"), "{detail}");
    let (s, _) = api.upload(Role::Analyst, "/v1/veus/g42-ae/log", "text/csv", bad.into()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let good = "date,event,facility,country,item,quantity\n2025-07-02,received,Abu Dhabi 1,AE,nvidia-h100-sxm,100\n2025-07-09,installed,Abu Dhabi 1,AE,nvidia-h100-sxm,80\n";
    let (s, v) = api.upload(Role::Officer, "/v1/veus/g42-ae/log", "text/csv", good.into()).await;
    assert_eq!((s, &v["added"], &v["events"]), (StatusCode::OK, &json!(2), &json!(2)), "{v}");
    let over = "date,event,facility,country,item,quantity\n2025-08-01,retired,Abu Dhabi 1,AE,nvidia-h100-sxm,81\n";
    let (s, v) = api.upload(Role::Officer, "/v1/veus/g42-ae/log", "text/csv", over.into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("line 2: retired 81"), "{v}");

    // The report, in each form.
    let (s, r) = api.as_role(Role::Viewer, "GET", "/v1/veus/g42-ae/report?period=2025H2", None).await;
    assert_eq!(
        (s, &r["period"], &r["facilities"][0]["items"][0]["installed"]),
        (StatusCode::OK, &json!("2025H2"), &json!(80)),
        "{r}"
    );
    for (format, ctype, start, needle) in [
        ("csv", "text/csv; charset=utf-8", "", "Abu Dhabi 1"),
        ("markdown", "text/markdown; charset=utf-8", "#", "Abu Dhabi 1"),
        ("svg", "image/svg+xml", "<svg", ">AE</text>"),
    ] {
        let (s, t, body) =
            api.get_text(Role::Viewer, &format!("/v1/veus/g42-ae/report?period=2025H2&format={format}")).await;
        assert_eq!((s, t.as_str()), (StatusCode::OK, ctype), "{format}: {body}");
        assert!(body.starts_with(start) && body.contains(needle), "{format}: {body}");
    }
    for (uri, field) in [
        ("/v1/veus/g42-ae/report?period=2025H3", "period"),
        ("/v1/veus/g42-ae/report?period=2025H2&format=pdf", "format"),
    ] {
        let (s, v) = api.as_role(Role::Viewer, "GET", uri, None).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{uri}: {v}");
    }
    let (s, _) = api.as_role(Role::Viewer, "GET", "/v1/veus/nope/report?period=2025H2", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Issued (filed with BIS): the half-year is closed to back-dated events, a second issue is refused, and the
    // VEU says which reports were issued.
    let (s, _) = api.as_role(Role::Viewer, "POST", "/v1/veus/g42-ae/report?period=2025H2", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, issued) = api.as_role(Role::Officer, "POST", "/v1/veus/g42-ae/report?period=2025H2", None).await;
    assert_eq!(
        (s, &issued["period"], issued["sha256"].as_str().map(str::len)),
        (StatusCode::CREATED, &json!("2025H2"), Some(64)),
        "{issued}"
    );
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/veus/g42-ae/report?period=2025H2", None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let late = "date,event,facility,country,item,quantity\n2025-09-30,installed,Abu Dhabi 1,AE,nvidia-h100-sxm,5\n";
    let (s, v) = api.upload(Role::Officer, "/v1/veus/g42-ae/log", "text/csv", late.into()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("line 2: dated 2025-09-30, in 2025H2, whose report was issued on"),
        "{v}"
    );
    let timely = "date,event,facility,country,item,quantity\n2026-01-05,installed,Abu Dhabi 1,AE,nvidia-h100-sxm,5\n";
    let (s, v) = api.upload(Role::Officer, "/v1/veus/g42-ae/log", "text/csv", timely.into()).await;
    assert_eq!((s, &v["added"]), (StatusCode::OK, &json!(1)), "{v}");
    let (_, shown) = api.as_role(Role::Viewer, "GET", "/v1/veus/g42-ae", None).await;
    assert_eq!(
        (&shown["reports_issued"][0]["period"], &shown["reports_issued"][0]["sha256"]),
        (&json!("2025H2"), &issued["sha256"]),
        "{shown}"
    );

    // Audited, under the caller's name.
    let (_, audit) = api.as_role(Role::Viewer, "GET", "/v1/audit", None).await;
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .filter(|(a, _)| a.starts_with("veu-"))
        .collect();
    assert_eq!(
        actions,
        [
            ("veu-register", "officer-token"),
            ("veu-log", "officer-token"),
            ("veu-report-issue", "officer-token"),
            ("veu-log", "officer-token")
        ],
        "{audit}"
    );
}

/// Lists over the API, as `tiergate lists`: an officer imports the real 2022 DPL (its own date recognised), the
/// versions and staleness are read by anyone, and determinations and KYC checks screen against it at once.
#[tokio::test]
async fn lists_are_imported_and_customers_checked_over_the_api() {
    let api = Api::new(Limits::default());
    let (_, v) = api.as_role(Role::Viewer, "GET", "/v1/lists", None).await;
    assert_eq!((v["versions"].as_array().unwrap().len(), v["stale"].as_array().unwrap().len()), (0, 0), "{v}");
    let dpl = repo_file("tests/data/us-screening-lists/dpl_2022-09.txt");
    let (s, _) = api.upload(Role::Analyst, "/v1/lists", "application/octet-stream", dpl.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for (uri, body, field) in [
        ("/v1/lists?format=xls", dpl.clone(), "format"),
        ("/v1/lists", b"hello,world\n".to_vec(), "format"),
        ("/v1/lists?dated=2999-01-01", dpl.clone(), "dated"),
        ("/v1/lists", Vec::new(), "body"),
        ("/v1/lists?format=dpl", b"Name\tStreet_Address\n".to_vec(), "body"),
    ] {
        let (s, v) = api.upload(Role::Officer, uri, "application/octet-stream", body).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{uri}: {v}");
    }
    let (s, v) = api.upload(Role::Officer, "/v1/lists?name=dpl.txt", "application/octet-stream", dpl).await;
    assert_eq!((s, &v["list"], &v["version"]), (StatusCode::CREATED, &json!("dpl"), &json!(1)), "{v}");
    assert!(v["entries"].as_u64().unwrap() > 500, "{v}");
    assert_eq!(v["list_date_from"], "newest_entry", "{v}");
    let (_, lists) = api.as_role(Role::Viewer, "GET", "/v1/lists", None).await;
    let version = &lists["versions"][0];
    assert_eq!(
        (&version["source_file"], &version["actor"], &version["current"]),
        (&json!("dpl.txt"), &json!("officer-token"), &json!(true)),
        "{lists}"
    );
    // Dated 2022: stale today, said in words.
    assert!(lists["stale"][0].as_str().unwrap().starts_with("dpl list is dated 2022-"), "{lists}");

    // A DPL name is flagged in a KYC check; an unlisted one is not; a bad line is answered in its place.
    let (_, screen) = api.as_role(Role::Analyst, "GET", "/v1/screen?name=Aaron%20Abraham%20Villa", None).await;
    assert!(!screen["hits"].as_array().unwrap().is_empty(), "the test needs a DPL name: {screen}");
    let customers = [
        r#"{"id":"p","name":"Aaron Abraham Villa","headquarters":"US","service":"iaas","purpose":"inference"}"#,
        r#"{"id":"q","name":"Quiet Valley Robotics","headquarters":"US","service":"iaas","purpose":"inference"}"#,
        r#"{"id":"r","headquarters":"Atlantis","service":"iaas","purpose":"inference"}"#,
    ]
    .join("\n");
    let (s, v) =
        api.upload(Role::Analyst, "/v1/kyc?date=2025-06-01", "application/x-ndjson", customers.into_bytes()).await;
    assert_eq!((s, &v["rejected"]), (StatusCode::OK, &json!(1)), "{v}");
    let answers = v["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 3, "{v}");
    assert_eq!(
        (answers[0]["decision"].as_str(), answers[0]["red_flags"][0]["code"].as_str()),
        (Some("refuse"), Some("listed_party")),
        "{v}"
    );
    assert_eq!(answers[1]["decision"], "allow", "{v}");
    assert_eq!(
        (answers[2]["id"].as_str(), answers[2]["error"]["field"].as_str()),
        (Some("r"), Some("headquarters")),
        "{v}"
    );
    let (s, v) = api.upload(Role::Viewer, "/v1/kyc", "application/x-ndjson", b"{}".to_vec()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = api.upload(Role::Analyst, "/v1/kyc", "application/x-ndjson", b"\n\n".to_vec()).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("body")), "{v}");
}

/// Readiness over the API: an officer records an applicant and evidence against Supp. No. 10's requirements
/// (each refused with the field at fault when it cannot be), and anyone reads where it stands on a date, as JSON,
/// Markdown or a printable page; each change is audited.
#[tokio::test]
async fn veu_readiness_is_recorded_and_reported_over_the_api() {
    let api = Api::new(Limits::default());
    let applicant = json!({"kind": "uveu", "id": "ash-1", "name": "Ashburn Compute", "headquarters": "US", "date": "2025-03-01", "applicant": true});
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/veus", Some(applicant.clone())).await;
    assert_eq!((s, &v["registered"], &v["applicant"]), (StatusCode::CREATED, &json!(false), &json!(true)), "{v}");
    let (s, _) = api.as_role(Role::Officer, "POST", "/v1/veus", Some(applicant)).await;
    assert_eq!(s, StatusCode::CONFLICT, "the id is taken");
    let (_, list) = api.as_role(Role::Viewer, "GET", "/v1/veus", None).await;
    assert_eq!(list["veus"][0]["applicant"], true, "{list}");
    let (_, shown) = api.as_role(Role::Viewer, "GET", "/v1/veus/ash-1", None).await;
    assert_eq!((&shown["applicant"], shown.get("nveu")), (&json!(true), None), "{shown}");

    let met = json!({"requirement": "14.b", "status": "met", "document": "3PAO attestation 2025-11", "owner": "CISO", "dated": "2025-11-01"});
    let (s, _) = api.as_role(Role::Analyst, "POST", "/v1/veus/ash-1/evidence", Some(met.clone())).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = api.as_role(Role::Officer, "POST", "/v1/veus/ash-1/evidence", Some(met)).await;
    assert_eq!((s, &v["requirement"], &v["recorded"]), (StatusCode::CREATED, &json!("14.b"), &json!(1)), "{v}");
    assert!(v["summary"].as_str().unwrap().starts_with("Not ready: 1 of "), "{v}");
    for (body, field) in [
        (json!({"requirement": "99", "status": "met", "document": "x"}), "requirement"),
        (json!({"requirement": "B(6)", "status": "met", "document": "x"}), "requirement"),
        (json!({"requirement": "1", "status": "done"}), "status"),
        (json!({"requirement": "1", "status": "met"}), "document"),
        (json!({"requirement": "1", "status": "not_applicable"}), "note"),
        (json!({"requirement": "1", "status": "planned", "dated": "2999-01-01"}), "dated"),
        (json!({"requirement": "1", "status": "planned", "dated": "soon"}), "dated"),
        (json!({"requirement": "1", "status": "planned", "owner": "x".repeat(1001)}), "owner"),
    ] {
        let (s, v) = api.as_role(Role::Officer, "POST", "/v1/veus/ash-1/evidence", Some(body)).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{v}");
    }
    let (s, _) = api
        .as_role(
            Role::Officer,
            "POST",
            "/v1/veus/nope/evidence",
            Some(json!({"requirement": "1", "status": "planned"})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A US-headquartered UVEU: paragraph 6.b binds it, Supp. No. 8's NVEU items do not; 14.b met, the other
    // deferred requirements overdue after 2026-01-15 but not before.
    let (s, r) = api.as_role(Role::Viewer, "GET", "/v1/veus/ash-1/readiness?date=2026-02-01", None).await;
    assert_eq!((s, &r["ready"], &r["applicant"]), (StatusCode::OK, &json!(false), &json!(true)), "{r}");
    assert_eq!(r["not_binding"], json!(["B(6)", "B(11)"]), "{r}");
    assert_eq!((&r["counts"]["met"], &r["counts"]["overdue"]), (&json!(1), &json!(16)), "{r}");
    let (_, early) = api.as_role(Role::Viewer, "GET", "/v1/veus/ash-1/readiness?date=2025-12-01", None).await;
    assert_eq!(early["counts"]["overdue"], 0, "{early}");
    let (s, t, md) = api.get_text(Role::Viewer, "/v1/veus/ash-1/readiness?date=2026-02-01&format=markdown").await;
    assert_eq!((s, t.as_str()), (StatusCode::OK, "text/markdown; charset=utf-8"));
    assert!(md.starts_with("# VEU readiness: Ashburn Compute (ash-1)") && md.contains("| 14.b |"), "{md}");
    let (s, t, html) = api.get_text(Role::Viewer, "/v1/veus/ash-1/readiness?format=html").await;
    assert_eq!((s, t.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
    assert!(html.contains("<table class=\"grid\">") && !html.contains("<script"), "{html}");
    let (s, v) = api.as_role(Role::Viewer, "GET", "/v1/veus/ash-1/readiness?format=pdf", None).await;
    assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("format")));

    // Registered under the same id later, it keeps its evidence.
    let (s, v) = api
        .as_role(
            Role::Officer,
            "POST",
            "/v1/veus",
            Some(json!({"kind": "uveu", "id": "ash-1", "name": "Ashburn Compute", "headquarters": "US"})),
        )
        .await;
    assert_eq!((s, &v["registered"]), (StatusCode::CREATED, &json!(true)), "{v}");
    let (_, r) = api.as_role(Role::Viewer, "GET", "/v1/veus/ash-1/readiness?date=2026-02-01", None).await;
    assert_eq!((&r["applicant"], &r["counts"]["met"]), (&json!(false), &json!(1)), "{r}");

    let (_, audit) = api.as_role(Role::Viewer, "GET", "/v1/audit", None).await;
    let entries: Vec<(&str, Option<&str>)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("veu-"))
        .map(|e| (e["action"].as_str().unwrap(), e["reason"].as_str()))
        .collect();
    assert_eq!(entries, [("veu-apply", None), ("veu-evidence", Some("14.b: met")), ("veu-register", None)], "{audit}");
    let (_, verified) = api.as_role(Role::Viewer, "GET", "/v1/audit/verify", None).await;
    assert_eq!(verified["ok"], true, "{verified}");
}
