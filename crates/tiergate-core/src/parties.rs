//! Restricted-party listings: what screening the request's parties found (filled by the caller, who holds the
//! lists), and the pack's rules for what a listing does to a determination (`[parties]`).
//!
//! The engine never screens: a caller with imported lists (`tiergate determine --db`, the API) screens the
//! consignee and its ultimate parent and hands the hits in as [`Screening`]. A confirmed match on a list the pack
//! names makes the answer a LICENSE under that list's rule, reviewed under the stricter of the entry's policy and
//! the framework's; a hit a person must clear becomes a note.

use crate::affiliates::{AffiliatesRule, Ownership};
use crate::determine::ReviewPolicy;

/// Which named party of a request a hit is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PartyRole {
    Consignee,
    UltimateParent,
}

impl PartyRole {
    pub const ALL: [PartyRole; 2] = [PartyRole::Consignee, PartyRole::UltimateParent];

    pub fn as_str(self) -> &'static str {
        match self {
            PartyRole::Consignee => "consignee",
            PartyRole::UltimateParent => "ultimate_parent",
        }
    }

    pub fn parse(s: &str) -> Option<PartyRole> {
        PartyRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// As a sentence names it.
    pub fn label(self) -> &'static str {
        match self {
            PartyRole::Consignee => "the consignee",
            PartyRole::UltimateParent => "the ultimate parent",
        }
    }
}

/// How strongly a hit counts, after analysts' judgements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HitLevel {
    /// Judged a false positive for this name: recorded, not counted.
    Cleared,
    /// At or above the review threshold: a person must clear it.
    Review,
    /// At or above the match threshold, or judged a true match.
    Match,
}

impl HitLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            HitLevel::Cleared => "cleared",
            HitLevel::Review => "review",
            HitLevel::Match => "match",
        }
    }
}

/// One list entry a named party resembles.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedParty {
    pub role: PartyRole,
    /// The name as the request gives it.
    pub query: String,
    /// The list's own identifier of the entry.
    pub entry_id: String,
    /// The list's short code: `EL`, `SDN`, `DPL`, ...
    pub list: String,
    /// The list's full name.
    pub source: String,
    /// The entry's name.
    pub name: String,
    /// The entry's name or alias that matched.
    pub matched_name: String,
    /// How the names matched, when it is more than their words paired ("the listed name ... whole in ..."); the
    /// reasons quote it.
    pub why: Option<String>,
    /// The entry's countries (ISO codes) and addresses as listed.
    pub countries: Vec<String>,
    pub addresses: Vec<String>,
    pub score: f64,
    pub level: HitLevel,
    pub programs: Vec<String>,
    pub license_requirement: Option<String>,
    pub license_policy: Option<String>,
    pub federal_register_notice: Option<String>,
    /// Who judged this hit, when and why, as one line; `None` without a judgement.
    pub judgement: Option<String>,
}

/// What the caller's screening of a request's parties found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Screening {
    /// The list versions screened against, each described for the record (`csl v3, 14,160 entries, ...`).
    /// Empty when the caller holds no list: the parties were not screened.
    pub lists: Vec<String>,
    /// The names screened, by role.
    pub screened: Vec<(PartyRole, String)>,
    /// Hits at or above the review threshold, and those judged false positives, best first per party.
    pub hits: Vec<ListedParty>,
    /// The lists imported too long before the request's date to be relied on, each described with its age
    /// (`csl imported 2026-09-01, 91 days before 2026-12-01 (more than 30)`).
    pub stale: Vec<String>,
    /// The recorded owners of the named parties, each owner's name screened (from the caller's registry).
    pub ownership: Vec<Ownership>,
}

/// What a confirmed match on a list does to a determination (`[[parties.lists]]` of a pack).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRule {
    /// The list's short code.
    pub list: String,
    /// When not empty, the rule applies only to entries carrying one of these programs (SDN `SDGT`, ...).
    pub programs: Vec<String>,
    /// The roles whose listing triggers the rule.
    pub roles: Vec<PartyRole>,
    /// A fixed review policy, or `None` to read the entry's own (`[[parties.entry_policies]]`).
    pub policy: Option<ReviewPolicy>,
    pub citation: String,
}

impl ListRule {
    pub fn applies_to(&self, hit: &ListedParty) -> bool {
        self.roles.contains(&hit.role) && hit.is_on(&self.list, &self.programs)
    }
}

impl ListedParty {
    /// Whether the entry is on `list`, and, when `programs` is not empty, under one of them.
    pub fn is_on(&self, list: &str, programs: &[String]) -> bool {
        self.list == list && (programs.is_empty() || self.programs.iter().any(|p| programs.contains(p)))
    }
}

/// The `[parties]` section of a pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartyRules {
    /// The lists whose confirmed matches need a license; the first rule that applies to a hit is used.
    pub lists: Vec<ListRule>,
    /// The Affiliates rule, when the pack holds it: what ownership by listed parties does, by date.
    pub affiliates: Option<AffiliatesRule>,
    /// Reading an entry's license-policy text: the first prefix it starts with (case and spacing ignored) gives
    /// the policy; text that starts with none gets `entry_policy_default`.
    pub entry_policies: Vec<(String, ReviewPolicy)>,
    pub entry_policy_default: ReviewPolicy,
    /// Cited by notes on hits a person must clear and by the record of a clear screening.
    pub review_citation: String,
}

impl PartyRules {
    /// The rule a confirmed match falls under, if any.
    pub fn rule_for(&self, hit: &ListedParty) -> Option<&ListRule> {
        self.lists.iter().find(|r| r.applies_to(hit))
    }

    /// The review policy an entry's text states, and whether the text said it (rather than the default).
    pub fn entry_policy(&self, text: Option<&str>) -> (ReviewPolicy, bool) {
        let folded = text.map(fold).unwrap_or_default();
        self.entry_policies
            .iter()
            .find(|(prefix, _)| folded.starts_with(prefix.as_str()))
            .map_or((self.entry_policy_default, false), |(_, p)| (*p, true))
    }
}

/// Lower case, runs of white space as one space, trimmed: how entry policies are compared with prefixes.
pub fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl ReviewPolicy {
    /// Denial is stricter than case-by-case, which is stricter than approval.
    pub fn strictness(self) -> u8 {
        match self {
            ReviewPolicy::Approval => 0,
            ReviewPolicy::CaseByCase => 1,
            ReviewPolicy::Denial => 2,
        }
    }

    pub fn parse(s: &str) -> Option<ReviewPolicy> {
        [ReviewPolicy::Approval, ReviewPolicy::Denial, ReviewPolicy::CaseByCase].into_iter().find(|p| p.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> PartyRules {
        PartyRules {
            lists: vec![
                ListRule {
                    list: "EL".into(),
                    programs: vec![],
                    roles: vec![PartyRole::Consignee],
                    policy: None,
                    citation: "744.11".into(),
                },
                ListRule {
                    list: "SDN".into(),
                    programs: vec!["SDGT".into()],
                    roles: PartyRole::ALL.to_vec(),
                    policy: Some(ReviewPolicy::Denial),
                    citation: "744.12".into(),
                },
            ],
            entry_policies: vec![
                ("presumption of denial".into(), ReviewPolicy::Denial),
                ("case-by-case".into(), ReviewPolicy::CaseByCase),
            ],
            entry_policy_default: ReviewPolicy::CaseByCase,
            review_citation: "732".into(),
            affiliates: None,
        }
    }

    fn hit(list: &str, role: PartyRole, programs: &[&str]) -> ListedParty {
        ListedParty {
            role,
            query: "q".into(),
            entry_id: "1".into(),
            list: list.into(),
            source: String::new(),
            name: "n".into(),
            matched_name: String::new(),
            why: None,
            countries: Vec::new(),
            addresses: Vec::new(),
            score: 1.0,
            level: HitLevel::Match,
            programs: programs.iter().map(|p| (*p).to_owned()).collect(),
            license_requirement: None,
            license_policy: None,
            federal_register_notice: None,
            judgement: None,
        }
    }

    #[test]
    fn a_rule_applies_to_its_list_roles_and_programs_only() {
        let r = rules();
        assert_eq!(r.rule_for(&hit("EL", PartyRole::Consignee, &[])).map(|r| r.citation.as_str()), Some("744.11"));
        assert!(r.rule_for(&hit("EL", PartyRole::UltimateParent, &[])).is_none(), "role not named");
        assert!(r.rule_for(&hit("SDN", PartyRole::Consignee, &["IRAN"])).is_none(), "program not named");
        assert_eq!(
            r.rule_for(&hit("SDN", PartyRole::UltimateParent, &["IRAN", "SDGT"])).map(|r| r.citation.as_str()),
            Some("744.12")
        );
        assert!(r.rule_for(&hit("MEU", PartyRole::Consignee, &[])).is_none());
    }

    #[test]
    fn entry_policies_are_read_from_the_start_of_the_text_ignoring_case_and_spacing() {
        let r = rules();
        assert_eq!(r.entry_policy(Some("Presumption of  Denial.")), (ReviewPolicy::Denial, true));
        assert_eq!(r.entry_policy(Some("  Case-by-case review for ECCNs 1A004.c")), (ReviewPolicy::CaseByCase, true));
        assert_eq!(r.entry_policy(Some("See §746.5(b) of the EAR.")), (ReviewPolicy::CaseByCase, false));
        assert_eq!(r.entry_policy(None), (ReviewPolicy::CaseByCase, false));
    }

    #[test]
    fn denial_is_strictest() {
        assert!(ReviewPolicy::Denial.strictness() > ReviewPolicy::CaseByCase.strictness());
        assert!(ReviewPolicy::CaseByCase.strictness() > ReviewPolicy::Approval.strictness());
        assert_eq!(ReviewPolicy::parse("case_by_case"), Some(ReviewPolicy::CaseByCase));
        assert_eq!(ReviewPolicy::parse("maybe"), None);
    }
}
