//! Screening IaaS customers (RULE.md §7; RULE-FACTS.md §7): whether training for a customer is red flag 28,
//! whether its headquarters are in Macau/D:5, and what a restricted-party screening of it found.
//!
//! A fine-tuning job within `kyc.fine_tuning_percent` of the base model's operations is not training; beyond
//! it, the job is treated as training a model of the base model's operations plus the job's.

use time::Date;

use crate::country::Country;
use crate::determine::ReviewPolicy;
use crate::pack::Pack;
use crate::parties::{HitLevel, Screening};
use crate::units::Ops;
use crate::Reason;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Training,
    FineTuning,
    Inference,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Training => "training",
            Purpose::FineTuning => "fine_tuning",
            Purpose::Inference => "inference",
        }
    }
}

/// One IaaS customer and what it wants the compute for.
#[derive(Clone, Debug, PartialEq)]
pub struct Customer {
    pub id: String,
    pub headquarters: Country,
    pub ultimate_parent_headquarters: Country,
    pub purpose: Purpose,
    /// The job's operations: the whole training run, or the fine-tuning's own. Required unless inference.
    pub training_operations: Option<f64>,
    /// The model being fine-tuned: its original training operations. Required for fine-tuning.
    pub base_model_operations: Option<f64>,
}

/// What a provider should do, least strict first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KycDecision {
    Allow,
    Review,
    LicenseRequired,
    Refuse,
}

impl KycDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            KycDecision::Allow => "allow",
            KycDecision::Review => "review",
            KycDecision::LicenseRequired => "license_required",
            KycDecision::Refuse => "refuse",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedFlag<'p> {
    /// `red_flag_28`, `tier3_headquarters`, `listed_party` or `possible_listed_party`.
    pub code: &'static str,
    pub text: std::borrow::Cow<'p, str>,
    pub citation: &'p str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KycAnswer<'p> {
    pub decision: KycDecision,
    pub red_flags: Vec<RedFlag<'p>>,
    pub reasons: Vec<Reason<'p>>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KycError {
    #[error("`training_operations` is required for {0}")]
    MissingOperations(&'static str),
    #[error("`base_model_operations` is required for fine_tuning: the 25 % test is against the base model")]
    MissingBase,
    #[error("`{0}` must be a finite number of 0 or more")]
    BadNumber(&'static str),
}

impl KycError {
    /// The input field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            KycError::MissingOperations(_) => "training_operations",
            KycError::MissingBase => "base_model_operations",
            KycError::BadNumber(f) => f,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            KycError::MissingOperations(_) | KycError::MissingBase => "missing_field",
            KycError::BadNumber(_) => "invalid_value",
        }
    }
}

/// Screens one customer as of `date`. `screening` is what a screening of its name found; `None` when the caller
/// holds no lists.
pub fn check<'p>(
    pack: &'p Pack,
    c: &Customer,
    date: Date,
    screening: Option<&Screening>,
) -> Result<KycAnswer<'p>, KycError> {
    let k = &pack.kyc;
    let snap = pack.at(date);
    let code = |c: Country| pack.countries.code(c);
    let mut decision = KycDecision::Allow;
    let mut red_flags = Vec::new();
    let mut reasons: Vec<Reason<'p>> = Vec::new();
    let mut raise = |d: KycDecision| decision = decision.max(d);

    let hqs = [c.headquarters, c.ultimate_parent_headquarters];
    let mut outside_tier1: Vec<Country> =
        hqs.iter().copied().filter(|h| !snap.tier1.contains(pack.canonical(*h))).collect();
    outside_tier1.dedup();
    let mut in_tier3: Vec<Country> = hqs.iter().copied().filter(|h| snap.tier3.contains(pack.canonical(*h))).collect();
    in_tier3.dedup();
    let ops = |v: Option<f64>, field: &'static str| -> Result<Option<f64>, KycError> {
        match v {
            Some(x) if !x.is_finite() || x < 0.0 => Err(KycError::BadNumber(field)),
            other => Ok(other),
        }
    };
    let job = ops(c.training_operations, "training_operations")?;
    let base = ops(c.base_model_operations, "base_model_operations")?;

    // What the job trains, if anything: the operations of the resulting model.
    let trains: Option<f64> = match c.purpose {
        Purpose::Inference => {
            reasons.push(Reason { text: "inference is not training".into(), citation: &k.inference_citation });
            None
        }
        Purpose::Training => Some(job.ok_or(KycError::MissingOperations("training"))?),
        Purpose::FineTuning => {
            let job = job.ok_or(KycError::MissingOperations("fine_tuning"))?;
            let base = base.ok_or(KycError::MissingBase)?;
            #[allow(clippy::cast_precision_loss)]
            let percent = k.fine_tuning_percent.value as f64;
            let bar = base / 100.0 * percent;
            // Compared as 100 · job ≤ p · base: dividing first would put 25 % of 10^26 just below 2.5 × 10^25.
            if job * 100.0 <= base * percent {
                reasons.push(Reason {
                    text: format!(
                        "fine-tuning with {} operations, within {} % of the base model's {} ({}): not training",
                        Ops(job),
                        k.fine_tuning_percent.value,
                        Ops(base),
                        Ops(bar)
                    )
                    .into(),
                    citation: &k.fine_tuning_percent.citation,
                });
                None
            } else {
                reasons.push(Reason {
                    text: format!(
                        "fine-tuning with {} operations, more than {} % of the base model's {} ({}): treated as training a model of {} operations",
                        Ops(job),
                        k.fine_tuning_percent.value,
                        Ops(base),
                        Ops(bar),
                        Ops(base + job)
                    )
                    .into(),
                    citation: &k.fine_tuning_percent.citation,
                });
                Some(base + job)
            }
        }
    };
    if let Some(total) = trains {
        let threshold = pack.model_weights.threshold();
        if total < threshold.value {
            reasons.push(Reason {
                text: format!(
                    "the model trained ({} operations) is below the 4E091 threshold of {}",
                    Ops(total),
                    Ops(threshold.value)
                )
                .into(),
                citation: &threshold.citation,
            });
        } else if outside_tier1.is_empty() {
            reasons.push(Reason {
                text: format!(
                    "training a 4E091-level model ({} operations, at or above {}) for a customer headquartered, with its parent, in Supp. No. 5(a) ({})",
                    Ops(total),
                    Ops(threshold.value),
                    code(c.headquarters)
                )
                .into(),
                citation: &pack.tier1_citation,
            });
        } else {
            raise(KycDecision::LicenseRequired);
            let whose: Vec<&str> = outside_tier1.iter().map(|h| code(*h)).collect();
            red_flags.push(RedFlag {
                code: "red_flag_28",
                text: format!(
                    "{} ({} operations, at or above {}; headquarters outside Supp. No. 5(a): {})",
                    k.red_flag_28.text,
                    Ops(total),
                    Ops(threshold.value),
                    whose.join(", ")
                )
                .into(),
                citation: &k.red_flag_28.citation,
            });
        }
    }
    if !in_tier3.is_empty() {
        raise(KycDecision::Review);
        let whose: Vec<&str> = in_tier3.iter().map(|h| code(*h)).collect();
        red_flags.push(RedFlag {
            code: "tier3_headquarters",
            text: format!("{} (headquarters: {})", k.tier3_headquarters.text, whose.join(", ")).into(),
            citation: &k.tier3_headquarters.citation,
        });
    }
    if screening.is_none() {
        reasons.push(Reason {
            text: "the customer was not screened against restricted-party lists: screening needs a ledger holding imported lists (`tiergate kyc check --db`); screen it before providing service".into(),
            citation: &pack.parties.review_citation,
        });
    }
    if let Some(s) = screening {
        // Hits of one list at one level tell one story: the best in full, the others counted.
        let mut told: Vec<((&str, HitLevel), usize, usize)> = Vec::new();
        for hit in &s.hits {
            let key = (hit.list.as_str(), hit.level);
            if let Some(t) = told.iter_mut().find(|t| t.0 == key) {
                t.2 += 1;
                continue;
            }
            let who = format!(
                "`{}` resembles {} entry {} `{}` (score {:.2})",
                hit.query, hit.list, hit.entry_id, hit.name, hit.score
            );
            let (code, text, citation) = match hit.level {
                HitLevel::Cleared => {
                    reasons.push(Reason {
                        text: format!("{who}, judged not the same party: {}", hit.judgement.as_deref().unwrap_or(""))
                            .into(),
                        citation: &pack.parties.review_citation,
                    });
                    continue;
                }
                HitLevel::Review => {
                    raise(KycDecision::Review);
                    (
                        "possible_listed_party",
                        format!("{who}: a person must decide whether it is the same party"),
                        pack.parties.review_citation.as_str(),
                    )
                }
                HitLevel::Match => {
                    let rules = &pack.parties;
                    let (policy, citation) = match rules.rule_for(hit) {
                        Some(rule) => (
                            rule.policy.unwrap_or_else(|| rules.entry_policy(hit.license_policy.as_deref()).0),
                            rule.citation.as_str(),
                        ),
                        None => (ReviewPolicy::CaseByCase, rules.review_citation.as_str()),
                    };
                    let (d, what) = if policy == ReviewPolicy::Denial {
                        (KycDecision::Refuse, "its listing's policy is denial")
                    } else {
                        (KycDecision::Review, "its listing's policy is not denial; a person must decide")
                    };
                    raise(d);
                    ("listed_party", format!("{who}: {what}"), citation)
                }
            };
            told.push((key, red_flags.len(), 0));
            red_flags.push(RedFlag { code, text: text.into(), citation });
        }
        for (_, i, more) in told {
            if let (Some(f), true) = (red_flags.get_mut(i), more > 0) {
                f.text = format!("{} (and {more} more entries of the same list at this level)", f.text).into();
            }
        }
        if s.hits.is_empty() && !s.lists.is_empty() {
            reasons.push(Reason {
                text: format!("screened against {}: no hit", s.lists.join("; ")).into(),
                citation: &pack.parties.review_citation,
            });
        }
    }
    Ok(KycAnswer { decision, red_flags, reasons })
}
