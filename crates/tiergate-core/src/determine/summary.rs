//! The answer in one sentence a non-specialist can read, before the reasons: whether a license is needed, what
//! BIS presumes, and what the export draws on (`A license is required; BIS presumes approval; it would draw 31.7M
//! TPP of Malaysia's 790M TPP allocation (44 % then used).`). Every figure in it is one the reasons give too.

use super::*;

/// What the summary needs besides the answer: why a listed party made it a license, and the cases where no
/// license is needed for a reason of its own.
pub(super) struct Facts<'a> {
    /// `the consignee "X" is on the Entity List (EL)`, when a listing decided the answer.
    pub(super) listed: Option<&'a str>,
    /// The destination is in the United States.
    pub(super) domestic: bool,
    /// No license yet: dated before the compliance date (reading R2).
    pub(super) not_yet_required: bool,
}

impl Eval<'_, '_> {
    pub(super) fn summary(&self, outcome: &Outcome, facts: &Facts<'_>) -> String {
        let p = self.pack;
        let country = p.countries.name(self.dest);
        let mut parts: Vec<String> = Vec::new();
        match outcome.authorization {
            Authorization::License => {
                let t3 =
                    if p.regime.tiers { "Tier 3 (Macau or Country Group D:5)" } else { "Macau or Country Group D:5" };
                parts.push(match facts.listed {
                    Some(why) => format!("A license is required because {why}"),
                    None if self.dest_t3 => format!("A license is required: {country} is in {t3}"),
                    // Where the headquarters rule made it Tier 3 (or, without tiers, Macau/D:5 headquarters).
                    None if self.hq_t3 && (self.tier == Tier::Three || !p.regime.tiers) => {
                        format!("A license is required: the consignee or its ultimate parent is headquartered in {t3}")
                    }
                    None => "A license is required".to_owned(),
                });
                parts.push(match outcome.review_policy {
                    Some(ReviewPolicy::Approval) => "BIS presumes approval".to_owned(),
                    Some(ReviewPolicy::Denial) => "BIS presumes denial".to_owned(),
                    Some(ReviewPolicy::CaseByCase) | None => "BIS reviews it case by case".to_owned(),
                });
            }
            Authorization::Nlr if facts.domestic => {
                parts.push(format!("No license is required: {country} is in the United States, so this is no export"));
            }
            Authorization::Nlr if facts.not_yet_required => {
                parts.push(format!(
                    "No license is required yet: compliance with this rule begins on {}",
                    p.compliance.value
                ));
            }
            Authorization::Nlr if self.classification.control == Control::None => parts.push(
                "No license is required: the item is not an advanced chip or model weights this regime controls"
                    .to_owned(),
            ),
            Authorization::Nlr => parts.push(format!("No license is required to export this to {country}")),
            Authorization::Nac => parts.push(format!(
                "No license is required if BIS is notified {} days before the export (license exception NAC)",
                p.nac_notice_days.value
            )),
            other => parts.push(format!("No license is required: {} applies", long_name(other))),
        }
        if let Some(a) = &outcome.allocation {
            let owner = match a.pool.split_once(':') {
                Some(("country", code)) => {
                    format!("{}'s", p.countries.by_code(code).map_or(code, |c| p.countries.name(c)))
                }
                Some(("nveu", id)) => format!("NVEU {id}'s"),
                _ => format!("{}'s", a.pool),
            };
            if outcome.review_policy == Some(ReviewPolicy::Denial) {
                parts.push(format!(
                    "it would exceed {owner} {} TPP allocation, of which {} TPP remain",
                    compact(a.cap_tpp),
                    compact(a.remaining_tpp)
                ));
            } else {
                let used = a.cap_tpp.saturating_sub(a.remaining_tpp);
                parts.push(format!(
                    "it would draw {} TPP of {owner} {} TPP allocation ({} then used)",
                    compact(a.tpp),
                    compact(a.cap_tpp),
                    percent(used, a.cap_tpp)
                ));
            }
        }
        if outcome.authorization == Authorization::Lpp {
            let limit = p.lpp_annual_limit_tpp.value.whole_ceil();
            let draw = self.tpp_total().whole_ceil();
            let after = self.req.context.lpp_received.amount().saturating_add(draw);
            let unknown = if self.req.context.lpp_received.is_unknown() { ", counting no earlier receipt" } else { "" };
            parts.push(format!(
                "it draws {} TPP of the ultimate consignee's {} TPP LPP limit for {} ({} then used{unknown})",
                compact(draw),
                compact(limit),
                self.req.date.year(),
                percent(after, limit)
            ));
        }
        match self.obligations.len() {
            0 => {}
            1 => parts.push("1 obligation applies".to_owned()),
            n => parts.push(format!("{n} obligations apply")),
        }
        format!("{}.", parts.join("; "))
    }
}

/// An authorization in words.
fn long_name(a: Authorization) -> &'static str {
    match a {
        Authorization::Aia => "license exception AIA (Artificial Intelligence Authorization)",
        Authorization::Aca => "license exception ACA (Advanced Compute Authorization)",
        Authorization::Nac => "license exception NAC (Notified Advanced Computing)",
        Authorization::Acm => "license exception ACM (Advanced Compute Manufacturing)",
        Authorization::Lpp => "license exception LPP (Low Processing Performance)",
        Authorization::Uveu => "the consignee's Universal Validated End User authorization",
        Authorization::Nveu => "the consignee's National Validated End User authorization",
        Authorization::Nlr => "no license required",
        Authorization::License => "a license",
    }
}

/// A TPP figure for a sentence: `4,800`, `31.7M`, `790M`, `1.58B`.
pub fn compact(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let x = n as f64;
    let short = |x: f64, unit: &str| {
        let digits = if x >= 100.0 {
            0
        } else if x >= 10.0 {
            1
        } else {
            2
        };
        let text = format!("{x:.digits$}");
        let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
        format!("{text}{unit}")
    };
    if n >= 1_000_000_000 {
        short(x / 1e9, "B")
    } else if n >= 1_000_000 {
        short(x / 1e6, "M")
    } else {
        crate::units::group_digits(n).to_string()
    }
}

/// `used` of `whole` as a whole percentage (`44 %`), never rounded to 0 % or 100 % when it is neither.
fn percent(used: u64, whole: u64) -> String {
    if whole == 0 {
        return "all".to_owned();
    }
    #[allow(clippy::cast_precision_loss)]
    let p = used as f64 * 100.0 / whole as f64;
    if used > 0 && p < 1.0 {
        "under 1 %".to_owned()
    } else if used < whole && p > 99.0 {
        "over 99 %".to_owned()
    } else {
        format!("{p:.0} %")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_short() {
        assert_eq!(compact(4_800), "4,800");
        assert_eq!(compact(31_700_000), "31.7M");
        assert_eq!(compact(790_000_000), "790M");
        assert_eq!(compact(26_900_000), "26.9M");
        assert_eq!(compact(1_580_000_000), "1.58B");
        assert_eq!(compact(1_000_000), "1M");
        assert_eq!(percent(347_600_000, 790_000_000), "44 %");
        assert_eq!(percent(1, 790_000_000), "under 1 %");
        assert_eq!(percent(789_999_999, 790_000_000), "over 99 %");
        assert_eq!(percent(0, 10), "0 %");
    }
}
