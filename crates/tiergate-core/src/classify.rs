//! Classifying an item: an IC (3A090), a computer holding ICs (4A090), or model weights (4E091).

use crate::catalog::Catalog;
use crate::pack::{Pack, Thresholds};
use crate::units::{density_2dp, Area, Bandwidth, Ops, Tpp};
use crate::Reason;

/// What a request names as its item.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A catalog accelerator; with `per_unit`, a computer or assembly holding that many of them (4A090).
    Catalog { id: String, per_unit: Option<u64> },
    /// An IC described by its spec sheet; with `per_unit`, a computer holding that many.
    Spec {
        tpp: Tpp,
        die_area: Option<Area>,
        datacenter: bool,
        dram_bandwidth: Option<Bandwidth>,
        per_unit: Option<u64>,
    },
    /// The weights of a model.
    ModelWeights(ModelWeights),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ModelWeights {
    /// All training operations, the base model's included.
    pub training_operations: f64,
    pub published: bool,
    pub derived_from: Option<BaseModel>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BaseModel {
    pub training_operations: f64,
    pub published: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eccn {
    E3A090a,
    E3A090b,
    E4A090a,
    E4A090b,
    E4E091,
}

impl Eccn {
    pub fn as_str(self) -> &'static str {
        match self {
            Eccn::E3A090a => "3A090.a",
            Eccn::E3A090b => "3A090.b",
            Eccn::E4A090a => "4A090.a",
            Eccn::E4A090b => "4A090.b",
            Eccn::E4E091 => "4E091",
        }
    }
}

/// The two levels of 3A090/4A090 control. `A` is the stricter; the derived order says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ControlClass {
    B,
    A,
}

/// What the engine needs to know about the item's control.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Not controlled by this rule.
    None,
    /// 3A090/4A090 hardware of the given class.
    Hardware { class: ControlClass, datacenter: bool },
    /// 4E091 model weights.
    ModelWeights,
}

/// The classification of an item and quantity, with the reasons for it.
#[derive(Clone, Debug)]
pub struct Classification<'p> {
    pub eccn: Option<Eccn>,
    pub control: Control,
    pub tpp_per_unit: Option<Tpp>,
    pub tpp_total: Option<Tpp>,
    pub performance_density: Option<f64>,
    pub h100_equivalents: Option<f64>,
    /// The DRAM bandwidth of one IC (or catalogued assembly), when the spec sheet or catalog gives it.
    pub dram_bandwidth: Option<Bandwidth>,
    /// The TPP of one IC, and how many a unit (a computer or assembly) holds, for hardware.
    pub ic_tpp: Option<Tpp>,
    pub ics_per_unit: Option<u64>,
    pub training_operations: Option<f64>,
    pub reasons: Vec<Reason<'p>>,
}

/// Why an item could not be classified.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ClassifyError {
    /// The message names the id and the nearest ones ([`Catalog::unknown`]).
    #[error("{0}")]
    UnknownItem(String),
    #[error("an IC with TPP {tpp} is classified by its performance density, so `die_area_mm2` is needed")]
    MissingDieArea { tpp: Tpp },
    #[error("an IC with TPP {tpp} is classified by its performance density, and the catalog gives no die area for `{id}`: describe it by its spec sheet instead (`tpp`, `die_area_mm2`, `datacenter`)")]
    CatalogDieAreaUnknown { id: String, tpp: Tpp },
    #[error("`per_unit` must be at least 1")]
    ZeroPerUnit,
    #[error("the total TPP is too large to compute")]
    Overflow,
    #[error("training operations ({}) are fewer than the base model's ({}); they must include the base model's", Ops(*.total), Ops(*.base))]
    OperationsBelowBase { total: f64, base: f64 },
}

impl ClassifyError {
    pub fn code(&self) -> &'static str {
        match self {
            ClassifyError::UnknownItem(_) => "unknown_item",
            ClassifyError::MissingDieArea { .. } | ClassifyError::CatalogDieAreaUnknown { .. } => "missing_field",
            ClassifyError::ZeroPerUnit => "invalid_value",
            ClassifyError::Overflow => "invalid_quantity",
            ClassifyError::OperationsBelowBase { .. } => "invalid_value",
        }
    }

    pub fn field(&self) -> &'static str {
        match self {
            ClassifyError::UnknownItem(_) => "item",
            ClassifyError::MissingDieArea { .. } => "item.die_area_mm2",
            ClassifyError::CatalogDieAreaUnknown { .. } => "item",
            ClassifyError::ZeroPerUnit => "item.per_unit",
            ClassifyError::Overflow => "quantity",
            ClassifyError::OperationsBelowBase { .. } => "item.model_weights.training_operations",
        }
    }
}

/// Classifies one IC by its TPP, die area and data-centre flag (ECCN 3A090 and its Note).
pub fn ic_class<'p>(
    tpp: Tpp,
    area: Option<Area>,
    datacenter: bool,
    th: &'p Thresholds,
) -> Result<(Option<ControlClass>, Reason<'p>), ClassifyError> {
    let cite = |c: &'p str, text: String| Reason { text: text.into(), citation: c };
    if !datacenter && tpp < th.non_datacenter_tpp.value {
        return Ok((
            None,
            cite(
                &th.non_datacenter_tpp.citation,
                format!(
                    "not designed or marketed for data centres and TPP {tpp} is below {}: not 3A090",
                    th.non_datacenter_tpp.value
                ),
            ),
        ));
    }
    if tpp >= th.a_tpp.value {
        return Ok((
            Some(ControlClass::A),
            cite(&th.a_tpp.citation, format!("TPP {tpp} is {} or more: 3A090.a", th.a_tpp.value)),
        ));
    }
    if tpp < th.lowest_tpp() {
        return Ok((
            None,
            cite(
                &th.b2_tpp.citation,
                format!("TPP {tpp} is below {}, the lowest 3A090 threshold: not 3A090", th.lowest_tpp()),
            ),
        ));
    }
    let area = area.ok_or(ClassifyError::MissingDieArea { tpp })?;
    let pd = density_2dp(tpp, area);
    if tpp >= th.a_pd_min_tpp.value && th.a_pd.value.is_met_by(tpp, area) {
        return Ok((
            Some(ControlClass::A),
            cite(
                &th.a_pd.citation,
                format!(
                    "TPP {tpp} is {} or more and PD {pd} is {} or more: 3A090.a",
                    th.a_pd_min_tpp.value, th.a_pd.value
                ),
            ),
        ));
    }
    // Below here PD < a_pd (else the branch above applied) and TPP < a_tpp.
    if tpp >= th.b1_tpp.value && th.b1_pd.value.is_met_by(tpp, area) {
        return Ok((
            Some(ControlClass::B),
            cite(
                &th.b1_tpp.citation,
                format!(
                    "TPP {tpp} is at least {} and below {}, PD {pd} is at least {} and below {}: 3A090.b",
                    th.b1_tpp.value, th.a_tpp.value, th.b1_pd.value, th.a_pd.value
                ),
            ),
        ));
    }
    if tpp >= th.b2_tpp.value && th.b2_pd.value.is_met_by(tpp, area) {
        return Ok((
            Some(ControlClass::B),
            cite(
                &th.b2_tpp.citation,
                format!(
                    "TPP {tpp} is {} or more and PD {pd} is at least {} and below {}: 3A090.b",
                    th.b2_tpp.value, th.b2_pd.value, th.a_pd.value
                ),
            ),
        ));
    }
    Ok((None, cite(&th.b2_pd.citation, format!("TPP {tpp} with PD {pd} meets neither 3A090.a nor 3A090.b: not 3A090"))))
}

/// Classifies `quantity` units of `item`.
pub fn classify<'p>(
    item: &Item,
    quantity: u64,
    pack: &'p Pack,
    catalog: &'p Catalog,
) -> Result<Classification<'p>, ClassifyError> {
    let th = &pack.thresholds;
    let (ic_tpp, area, datacenter, dram_bandwidth, per_unit, mut reasons) = match item {
        Item::ModelWeights(m) => {
            check_weights(m)?;
            return Ok(classify_weights(m, pack));
        }
        Item::Catalog { id, per_unit } => {
            let a = catalog.get(id).ok_or_else(|| ClassifyError::UnknownItem(catalog.unknown(id)))?;
            let reason = Reason { text: a.tpp_reason.as_str().into(), citation: &th.tpp_definition_citation };
            // An assembly row (a superchip) is a unit of several ICs; a per_unit given with it counts such units.
            let per_unit = match (a.assembly.as_ref(), *per_unit) {
                (None, p) => p,
                (Some(asm), p) => Some(asm.count.checked_mul(p.unwrap_or(1)).ok_or(ClassifyError::Overflow)?),
            };
            let bandwidth = a.memory.dram_bandwidth_gbps.and_then(Bandwidth::from_gbps);
            (a.tpp, a.die_area, a.datacenter, bandwidth, per_unit, vec![reason])
        }
        Item::Spec { tpp, die_area, datacenter, dram_bandwidth, per_unit } => {
            (*tpp, *die_area, *datacenter, *dram_bandwidth, *per_unit, Vec::new())
        }
    };
    if per_unit == Some(0) {
        return Err(ClassifyError::ZeroPerUnit);
    }
    let (class, why) = ic_class(ic_tpp, area, datacenter, th).map_err(|e| match (e, item) {
        (ClassifyError::MissingDieArea { tpp }, Item::Catalog { id, .. }) => {
            ClassifyError::CatalogDieAreaUnknown { id: id.trim().to_ascii_lowercase(), tpp }
        }
        (e, _) => e,
    })?;
    reasons.push(why);
    let tpp_per_unit = ic_tpp.checked_mul(per_unit.unwrap_or(1)).ok_or(ClassifyError::Overflow)?;
    let tpp_total = tpp_per_unit.checked_mul(quantity).ok_or(ClassifyError::Overflow)?;
    let eccn = match (class, per_unit) {
        (None, _) => None,
        (Some(ControlClass::A), None) => Some(Eccn::E3A090a),
        (Some(ControlClass::B), None) => Some(Eccn::E3A090b),
        (Some(ControlClass::A), Some(_)) => Some(Eccn::E4A090a),
        (Some(ControlClass::B), Some(_)) => Some(Eccn::E4A090b),
    };
    if let (Some(e), Some(n)) = (eccn, per_unit) {
        reasons.push(Reason {
            text: format!("a computer or assembly holding {n} such ICs, TPP {tpp_per_unit} per unit: {}", e.as_str())
                .into(),
            citation: &th.computer_citation,
        });
    }
    Ok(Classification {
        eccn,
        control: class.map_or(Control::None, |class| Control::Hardware { class, datacenter }),
        tpp_per_unit: Some(tpp_per_unit),
        tpp_total: Some(tpp_total),
        performance_density: area.map(|a| density_2dp(ic_tpp, a)),
        h100_equivalents: Some(tpp_total.ratio_2dp(th.h100_tpp.value)),
        dram_bandwidth,
        ic_tpp: Some(ic_tpp),
        ics_per_unit: per_unit,
        training_operations: None,
        reasons,
    })
}

fn classify_weights<'p>(m: &ModelWeights, pack: &'p Pack) -> Classification<'p> {
    let rules = &pack.model_weights;
    if !pack.regime.model_weights {
        let why = Reason {
            text: "this regime has no ECCN 4E091 (model weights): they are not controlled under it".into(),
            citation: &pack.regime.citation,
        };
        return weights(false, m.training_operations, vec![why]);
    }
    let threshold = rules.threshold();
    let ops = m.training_operations;
    let mut reasons = Vec::new();
    let controlled = if m.published {
        reasons
            .push(Reason { text: "the weights are published: not 4E091".into(), citation: &rules.published_citation });
        false
    } else if ops < threshold.value {
        reasons.push(Reason {
            text: format!("trained with {} operations, fewer than {}: not 4E091", Ops(ops), Ops(threshold.value))
                .into(),
            citation: &threshold.citation,
        });
        false
    } else if let Some(base) = m.derived_from.filter(|b| b.published) {
        let additional = ops - base.training_operations;
        #[allow(clippy::cast_precision_loss)]
        let by_percent = base.training_operations * rules.derived_additional_percent.value as f64 / 100.0;
        let bar = rules.derived_additional_operations.value.max(by_percent);
        let controlled = additional > bar;
        // Reading R3 matters only when the other figure would decide differently.
        let other = rules.derived_additional_operations_other;
        let r3 = if (additional > other.max(by_percent)) == controlled {
            String::new()
        } else {
            format!(
                " (reading R3: {}; under {} the weights would {}be 4E091)",
                Ops(rules.derived_additional_operations.value),
                Ops(other),
                if controlled { "not " } else { "" }
            )
        };
        reasons.push(Reason {
            text: format!(
                "derived from a published model ({} operations) with {} additional operations, {} the higher of {} and {}% of the base model's ({}): {}{r3}",
                Ops(base.training_operations),
                Ops(additional),
                if controlled { "more than" } else { "not more than" },
                Ops(rules.derived_additional_operations.value),
                rules.derived_additional_percent.value,
                Ops(by_percent),
                if controlled { "4E091" } else { "not 4E091" },
            ).into(),
            citation: &rules.derived_additional_operations.citation,
        });
        controlled
    } else {
        reasons.push(Reason {
            text: format!(
                "unpublished weights of a model trained with {} operations, {} or more: 4E091",
                Ops(ops),
                Ops(threshold.value)
            )
            .into(),
            citation: &threshold.citation,
        });
        true
    };
    weights(controlled, ops, reasons)
}

fn weights(controlled: bool, ops: f64, reasons: Vec<Reason<'_>>) -> Classification<'_> {
    Classification {
        eccn: controlled.then_some(Eccn::E4E091),
        control: if controlled { Control::ModelWeights } else { Control::None },
        tpp_per_unit: None,
        tpp_total: None,
        performance_density: None,
        h100_equivalents: None,
        dram_bandwidth: None,
        ic_tpp: None,
        ics_per_unit: None,
        training_operations: Some(ops),
        reasons,
    }
}

/// Checks that the training operations include the base model's.
pub fn check_weights(m: &ModelWeights) -> Result<(), ClassifyError> {
    match m.derived_from {
        Some(base) if base.training_operations > m.training_operations => {
            Err(ClassifyError::OperationsBelowBase { total: m.training_operations, base: base.training_operations })
        }
        _ => Ok(()),
    }
}
