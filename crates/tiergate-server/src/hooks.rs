//! Determinations with a ledger (`tiergate determine --db`, `POST /v1/determinations`): each request's context
//! comes from the ledger, and recording reserves what each answer draws, keyed by the request id so that a
//! re-run counts nothing twice.

use std::collections::BTreeMap;
use tiergate_core::determine::{allocation_country, nveu_pool_id, ultimate_consignee, Context, VeuClaim};
use tiergate_core::pool::PoolId;

use tiergate_core::{Determination, Request};
use tiergate_store::{LedgerError, Meta, Reservation, ReserveStatus, SharedLedger, State};
use tiergate_wire::{Hooks, WireError};
use time::OffsetDateTime;

pub struct LedgerHooks<'a> {
    pub ledger: &'a SharedLedger,
    pub record: bool,
    pub actor: String,
    /// Reservations refused while recording (a pool filled up since the answer was computed, a key reused).
    pub refused: u64,
    /// For metrics: answers by authorization and reservation outcomes (bounded: a few keys however long the run).
    pub determined: BTreeMap<&'static str, u64>,
    pub recorded: BTreeMap<&'static str, u64>,
}

impl<'a> LedgerHooks<'a> {
    pub fn new(ledger: &'a SharedLedger, record: bool, actor: String) -> LedgerHooks<'a> {
        LedgerHooks { ledger, record, actor, refused: 0, determined: BTreeMap::new(), recorded: BTreeMap::new() }
    }
}

fn db_error(e: &LedgerError) -> WireError {
    WireError::new("database", None, format!("the ledger: {e}"))
}

impl LedgerHooks<'_> {
    /// What a pool has drawn on the request's date, less the request's own reservation (`own`) so that a re-run
    /// answers as the first run did; zero for a pool the rule does not define then.
    fn drawn(&mut self, pool: &str, req: &Request, own: Option<&Reservation>) -> Result<u64, WireError> {
        let defined = PoolId::parse(pool, self.ledger.pack()).and_then(|p| p.cap(self.ledger.pack(), req.date)).is_ok();
        if !defined {
            return Ok(0);
        }
        let drawn = self.ledger.with(|l| l.drawn(pool, req.date)).map_err(|e| db_error(&e))?;
        let counted = |r: &&Reservation| {
            r.pool == pool
                && (r.state == State::Posted || (r.state == State::Pending && r.expires.is_none_or(|e| e >= req.date)))
        };
        Ok(drawn.saturating_sub(own.filter(counted).map_or(0, |r| r.tpp)))
    }
}

impl Hooks for LedgerHooks<'_> {
    fn before(&mut self, id: Option<&str>, req: &mut Request, has_context: bool) -> Result<(), WireError> {
        if has_context {
            return Err(WireError::new(
                "invalid_value",
                Some("context"),
                "with --db the context comes from the ledger: drop `context` from the request".into(),
            ));
        }
        if self.record && id.is_none() {
            return Err(WireError::new(
                "missing_field",
                Some("id"),
                "`id` is required with --record: it keys the reservation, so a re-run counts nothing twice".into(),
            ));
        }
        let consignee = ultimate_consignee(&req.consignee).ok_or_else(|| {
            WireError::new(
                "missing_field",
                Some("consignee.name"),
                "`consignee.name` (or `consignee.ultimate_parent`) is required with --db: LPP receipts are kept per ultimate consignee".into(),
            )
        })?;
        let lpp_pool = format!("lpp:{consignee}:{}", req.date.year());
        let country = allocation_country(req, self.ledger.pack());
        let country_pool = format!("country:{}", self.ledger.pack().countries.code(country));
        let nveu_pool = match &req.consignee.veu {
            Some(VeuClaim::National { country, id }) => {
                let code = self.ledger.pack().countries.code(*country).to_owned();
                Some(format!("nveu:{}", nveu_pool_id(&req.consignee, id.as_deref(), &code)))
            }
            _ => None,
        };
        let own = match id {
            Some(key) => self.ledger.with(|l| l.get_by_key(key)).map_err(|e| db_error(&e))?,
            None => None,
        };
        let own = own.as_ref();
        req.context = Context {
            lpp_received_tpp: self.drawn(&lpp_pool, req, own)?,
            country_licensed_tpp: self.drawn(&country_pool, req, own)?,
            nveu_installed_tpp: match nveu_pool {
                Some(p) => self.drawn(&p, req, own)?,
                None => 0,
            },
            aia_received_tpp: 0,
        };
        Ok(())
    }

    fn after(&mut self, id: Option<&str>, req: &Request, d: &Determination<'_>) -> Result<Option<Vec<u8>>, WireError> {
        *self.determined.entry(d.authorization.as_str()).or_default() += 1;
        if !self.record {
            return Ok(None);
        }
        let Some(draw) = d.draws(req) else {
            return Ok(Some(b"\"recorded\":null".to_vec()));
        };
        let key = id.unwrap_or_default();
        let meta = Meta {
            actor: self.actor.clone(),
            reason: Some(format!("determination {key}")),
            at: OffsetDateTime::now_utc(),
        };
        let outcome =
            self.ledger.reserve(&draw.pool, draw.tpp, key, req.date, None, &meta).map_err(|e| db_error(&e))?;
        if outcome.status == ReserveStatus::Rejected {
            self.refused += 1;
        }
        *self.recorded.entry(outcome_label(&outcome)).or_default() += 1;
        let mut member = b"\"recorded\":".to_vec();
        serde_json::to_writer(&mut member, &outcome).map_err(|e| WireError::new("internal", None, e.to_string()))?;
        Ok(Some(member))
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
