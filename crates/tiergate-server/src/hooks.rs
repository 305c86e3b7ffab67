//! Determinations with a ledger (`tiergate determine --db`, `POST /v1/determinations`): each request's context
//! comes from the ledger, its named parties are screened against the lists the ledger holds, and recording
//! reserves what each answer draws, keyed by the request id so that a re-run counts nothing twice.

use std::collections::BTreeMap;
use std::sync::Arc;

use tiergate_core::determine::{allocation_country, nveu_pool_id, ultimate_consignee, Balance, Context, VeuClaim};
use tiergate_core::pool::PoolId;
use tiergate_core::registry::{identify, ultimate_consignee_key, Registry};
use tiergate_core::veu::verify_claim;
use tiergate_core::{Determination, Pack, Request};
use tiergate_store::{LedgerError, Meta, ReserveStatus, SharedLedger, State};
use tiergate_wire::parties::{ownership, screen_parties, Lists};
use tiergate_wire::veu::registry;
use tiergate_wire::{Hooks, WireError};
use time::OffsetDateTime;

pub struct LedgerHooks<'a> {
    pub ledger: &'a SharedLedger,
    /// The restricted-party lists the ledger holds (`None`: none imported, and answers say so).
    pub lists: Option<Arc<Lists>>,
    /// The ledger's party registry: named parties resolve through it, and their recorded owners are screened.
    pub registry: Arc<Registry>,
    pub record: bool,
    pub actor: String,
    /// Reservations refused while recording (a pool filled up since the answer was computed, a key reused).
    pub refused: u64,
    /// For metrics: answers by authorization and reservation outcomes (bounded: a few keys however long the run).
    pub determined: BTreeMap<&'static str, u64>,
    pub recorded: BTreeMap<&'static str, u64>,
    /// The reservation keyed by the request's id that `before` left out of a balance, for `after` to check
    /// that it is the one this request makes.
    left_out: Option<tiergate_store::Reservation>,
}

impl<'a> LedgerHooks<'a> {
    pub fn new(
        ledger: &'a SharedLedger,
        lists: Option<Arc<Lists>>,
        registry: Arc<Registry>,
        record: bool,
        actor: String,
    ) -> LedgerHooks<'a> {
        LedgerHooks {
            ledger,
            lists,
            registry,
            record,
            actor,
            refused: 0,
            determined: BTreeMap::new(),
            recorded: BTreeMap::new(),
            left_out: None,
        }
    }
}

fn db_error(e: &LedgerError) -> WireError {
    WireError::new("database", None, format!("the ledger: {e}"))
}

impl Hooks for LedgerHooks<'_> {
    fn before(&mut self, id: Option<&str>, req: &mut Request, has_context: bool, pack: &Pack) -> Result<(), WireError> {
        if has_context {
            return Err(WireError::new(
                "invalid_value",
                Some("context"),
                "the balances come from the ledger (`determine --db`, the API): drop `context` from the request".into(),
            ));
        }
        if self.record && id.is_none() {
            return Err(WireError::new(
                "missing_field",
                Some("id"),
                "`id` is required when recording: it keys the reservation, so a re-run counts nothing twice".into(),
            ));
        }
        // A VEU claim stands only as far as the ledger's registry bears it out.
        if let Some(claim) = &req.consignee.veu {
            let stored = self.ledger.read(|l| l.veus()).map_err(|e| db_error(&e))?;
            let registry = registry(&self.ledger.pack().countries, stored.iter().map(|v| v.body.as_str()))
                .map_err(|e| WireError::new("database", None, format!("the VEU registry: {e}")))?;
            let verified = verify_claim(self.ledger.pack(), &registry, claim, &req.consignee);
            req.consignee.veu = Some(verified);
        }
        // Named parties resolve through the registry (which may name the ultimate parent and headquarters).
        req.consignee.identified = identify(&self.registry, &mut req.consignee);
        let consignee = ultimate_consignee(&req.consignee).ok_or_else(|| {
            WireError::new(
                "missing_field",
                Some("consignee.name"),
                "`consignee.name` (or `consignee.ultimate_parent`) is required with a ledger: LPP receipts are kept per ultimate consignee".into(),
            )
        })?;
        // The ultimate consignee's pool, by its registered party's key or its own party key (one pool however the
        // name is spelt).
        let lpp_pool = ultimate_consignee_key(&req.consignee)
            .map(|key| PoolId::lpp_of_key(key, req.date).to_string_with(self.ledger.pack()))
            .ok_or_else(|| {
                WireError::new(
                    "invalid_value",
                    Some("consignee.name"),
                    format!("`{consignee}` has no letter or digit: it names no ultimate consignee"),
                )
            })?;
        let country = allocation_country(req, pack);
        let country_pool = format!("country:{}", pack.countries.code(country));
        let nveu_pool = match &req.consignee.veu {
            Some(VeuClaim::National { country, id }) => {
                let code = self.ledger.pack().countries.code(*country).to_owned();
                Some(format!("nveu:{}", nveu_pool_id(&req.consignee, id.as_deref(), &code)))
            }
            _ => None,
        };
        // All of a request's reads together, on a reader connection. Pools the answering pack does not define on
        // the request's date (none, in a regime without allocations) have drawn nothing.
        let defined = |pool: &str| PoolId::parse(pool, pack).and_then(|p| p.cap(pack, req.date)).is_ok();
        let mut pools: Vec<&str> = vec![lpp_pool.as_str(), country_pool.as_str()];
        if let Some(p) = &nveu_pool {
            pools.push(p);
        }
        let wanted: Vec<&str> = pools.iter().copied().filter(|p| defined(p)).collect();
        let date = req.date;
        let read = self.ledger.balances_with_key(&wanted, id, date);
        let (balances, own) = read.map_err(|e| db_error(&e))?;
        // Each pool's posted and pending TPP, less this request's own reservation (a re-run answers the same);
        // `after` checks that the reservation left out is the one this request makes.
        let counted = |r: &tiergate_store::Reservation| match r.state {
            State::Posted => true,
            State::Pending => r.expires.is_none_or(|e| e >= date),
            State::Voided | State::Expired => false,
        };
        self.left_out = own.filter(|r| wanted.contains(&r.pool.as_str()) && counted(r));
        let left_out = self.left_out.as_ref();
        let balance = |pool: &str| -> Balance {
            let Some(i) = wanted.iter().position(|p| *p == pool) else {
                return Balance::Ledger { posted: 0, pending: 0 };
            };
            let (mut posted, mut pending) = balances.get(i).copied().unwrap_or((0, 0));
            if let Some(r) = left_out.filter(|r| r.pool == pool) {
                if r.state == State::Posted {
                    posted = posted.saturating_sub(r.tpp);
                } else {
                    pending = pending.saturating_sub(r.tpp);
                }
            }
            Balance::Ledger { posted, pending }
        };
        req.context = Context {
            lpp_received: balance(&lpp_pool),
            country_licensed: balance(&country_pool),
            nveu_installed: nveu_pool.as_deref().map_or(Balance::Ledger { posted: 0, pending: 0 }, balance),
            // The ledger keeps no AIA receipts: unknown, and the answer says so.
            aia_received: Balance::Unknown,
        };
        let mut screening = screen_parties(self.lists.as_deref(), req, pack);
        if let Some(lists) = self.lists.as_deref() {
            screening.ownership = ownership(lists, &self.registry, req, pack);
        }
        req.screening = Some(screening);
        Ok(())
    }

    fn after(&mut self, id: Option<&str>, req: &Request, d: &Determination<'_>) -> Result<Option<Vec<u8>>, WireError> {
        // The id keys a reservation that this request would not make (another pool or amount, or none): the
        // balances it was answered against left someone else's reservation out. Refused, not answered.
        if let Some(r) = self.left_out.take() {
            let same = d.draws(req, d.pack).is_some_and(|draw| draw.pool == r.pool && draw.tpp == r.tpp);
            if !same {
                return Err(WireError::new(
                    "idempotency_conflict",
                    Some("id"),
                    format!(
                        "`id` {:?} is the key of reservation {} ({} TPP in {}), which this request would not make: \
                         give it an id of its own",
                        id.unwrap_or_default(),
                        r.id,
                        r.tpp,
                        r.pool
                    ),
                ));
            }
        }
        *self.determined.entry(d.authorization.as_str()).or_default() += 1;
        if !self.record {
            return Ok(None);
        }
        let Some(draw) = d.draws(req, d.pack) else {
            return Ok(Some(b"\"recorded\":null".to_vec()));
        };
        let key = id.unwrap_or_default();
        // A license for .a-class items is valid for a year (750.7(g)); its reservation expires with it.
        let expires = d.reservation_expiry(d.pack);
        let meta = Meta {
            actor: self.actor.clone(),
            reason: Some(format!("determination {key}")),
            at: OffsetDateTime::now_utc(),
        };
        let outcome =
            self.ledger.reserve(&draw.pool, draw.tpp, key, req.date, expires, &meta).map_err(|e| db_error(&e))?;
        if outcome.status == ReserveStatus::Rejected {
            self.refused += 1;
        }
        *self.recorded.entry(outcome_label(&outcome)).or_default() += 1;
        let mut member = b"\"recorded\":".to_vec();
        serde_json::to_writer(&mut member, &outcome).map_err(|e| WireError::new("internal", None, e.to_string()))?;
        Ok(Some(member))
    }

    fn keeps_answers(&self) -> bool {
        self.record
    }

    /// A recorded determination is stored whole, its answer line with the reservation it recorded.
    fn answered(
        &mut self,
        id: Option<&str>,
        req: &Request,
        d: &Determination<'_>,
        request: Option<&str>,
        answer: &[u8],
    ) -> Result<(), WireError> {
        if !self.record {
            return Ok(());
        }
        let item = match &req.item {
            tiergate_core::Item::Catalog { id, .. } => id.clone(),
            tiergate_core::Item::Spec { .. } => "spec".to_owned(),
            tiergate_core::Item::ModelWeights(_) => "model-weights".to_owned(),
        };
        let stored = tiergate_store::StoredDetermination {
            seq: 0,
            id: id.unwrap_or_default().to_owned(),
            at: tiergate_store::timestamp(OffsetDateTime::now_utc()),
            actor: self.actor.clone(),
            date: tiergate_store::date_text(req.date),
            destination: d.pack.countries.code(req.destination).to_owned(),
            item,
            authorization: d.authorization.as_str().to_owned(),
            pack: d.pack.id.clone(),
            sha256: d.pack.sha256.clone(),
            request: request.unwrap_or("{}").to_owned(),
            answer: String::from_utf8_lossy(answer).into_owned(),
            status: "draft".to_owned(),
            parties: [req.consignee.name.as_deref(), req.consignee.ultimate_parent.as_deref()]
                .into_iter()
                .flatten()
                .map(|n| n.trim().to_lowercase())
                .collect::<Vec<_>>()
                .join("\n"),
        };
        self.ledger.with(|l| l.record_determination(&stored)).map_err(|e| db_error(&e))?;
        Ok(())
    }
}

/// A reservation outcome as a metrics label: `reserved`, `exists`, or the code of a refusal.
pub fn outcome_label(o: &tiergate_store::ReserveOutcome) -> &'static str {
    match o.status {
        ReserveStatus::Reserved => "reserved",
        ReserveStatus::Exists => "exists",
        ReserveStatus::Rejected => o.code.unwrap_or("rejected"),
    }
}
