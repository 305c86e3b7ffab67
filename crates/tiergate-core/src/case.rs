//! A recorded determination as a case an officer moves through its life: `draft` when recorded, `approved` when
//! the officer signs it off, `shipped` when the goods have gone, or `withdrawn` (from draft or approved) when the
//! export will not happen. Shipped and withdrawn are final. Which moves are allowed is decided here; the store
//! makes the move and audits it.

use std::fmt;

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaseStatus {
    Draft,
    Approved,
    Shipped,
    Withdrawn,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 4] =
        [CaseStatus::Draft, CaseStatus::Approved, CaseStatus::Shipped, CaseStatus::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Draft => "draft",
            CaseStatus::Approved => "approved",
            CaseStatus::Shipped => "shipped",
            CaseStatus::Withdrawn => "withdrawn",
        }
    }

    /// From its name, in any case.
    pub fn parse(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// The statuses a case may move to from this one.
    pub fn next(self) -> &'static [CaseStatus] {
        match self {
            CaseStatus::Draft => &[CaseStatus::Approved, CaseStatus::Withdrawn],
            CaseStatus::Approved => &[CaseStatus::Shipped, CaseStatus::Withdrawn],
            CaseStatus::Shipped | CaseStatus::Withdrawn => &[],
        }
    }
}

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a case cannot move.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("the case is {from}, which is final: it cannot become {to}")]
    Final { from: CaseStatus, to: CaseStatus },
    #[error("the case is already {0}")]
    Same(CaseStatus),
    #[error("a {from} case cannot become {to}: it may become {}", allowed(*.from))]
    NotNext { from: CaseStatus, to: CaseStatus },
}

fn allowed(from: CaseStatus) -> String {
    from.next().iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" or ")
}

/// Whether a case may move from `from` to `to`.
pub fn transition(from: CaseStatus, to: CaseStatus) -> Result<(), CaseError> {
    if from == to {
        Err(CaseError::Same(from))
    } else if from.next().is_empty() {
        Err(CaseError::Final { from, to })
    } else if from.next().contains(&to) {
        Ok(())
    } else {
        Err(CaseError::NotNext { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseStatus::*;

    #[test]
    fn cases_move_forward_or_are_withdrawn_and_end() {
        assert_eq!(transition(Draft, Approved), Ok(()));
        assert_eq!(transition(Approved, Shipped), Ok(()));
        assert_eq!(transition(Draft, Withdrawn), Ok(()));
        assert_eq!(transition(Approved, Withdrawn), Ok(()));
        assert_eq!(
            transition(Draft, Shipped).unwrap_err().to_string(),
            "a draft case cannot become shipped: it may become approved or withdrawn"
        );
        assert!(matches!(transition(Shipped, Withdrawn), Err(CaseError::Final { .. })));
        assert!(matches!(transition(Withdrawn, Draft), Err(CaseError::Final { .. })));
        assert_eq!(transition(Approved, Approved), Err(CaseError::Same(Approved)));
        assert_eq!(CaseStatus::parse(" Approved "), Some(Approved));
        assert_eq!(CaseStatus::parse("sent"), None);
    }
}
