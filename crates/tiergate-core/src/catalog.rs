//! The accelerator catalog: real parts with their datasheet throughput, from which TPP is computed.

use std::collections::HashMap;

use serde::Deserialize;

use crate::pack::Confidence;
use crate::units::{Area, Tpp};
use crate::DataError;

/// A numeric precision a datasheet quotes throughput for, with the bit length the TPP formula uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Precision {
    Fp64,
    Fp32,
    Fp16,
    Bf16,
    Fp8,
    Fp4,
    Int16,
    Int8,
    Int4,
}

impl Precision {
    const ALL: [Precision; 9] = [
        Precision::Fp64,
        Precision::Fp32,
        Precision::Fp16,
        Precision::Bf16,
        Precision::Fp8,
        Precision::Fp4,
        Precision::Int16,
        Precision::Int8,
        Precision::Int4,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Fp64 => "fp64",
            Precision::Fp32 => "fp32",
            Precision::Fp16 => "fp16",
            Precision::Bf16 => "bf16",
            Precision::Fp8 => "fp8",
            Precision::Fp4 => "fp4",
            Precision::Int16 => "int16",
            Precision::Int8 => "int8",
            Precision::Int4 => "int4",
        }
    }

    pub fn bits(self) -> u64 {
        match self {
            Precision::Fp64 => 64,
            Precision::Fp32 => 32,
            Precision::Fp16 | Precision::Bf16 | Precision::Int16 => 16,
            Precision::Fp8 | Precision::Int8 => 8,
            Precision::Fp4 | Precision::Int4 => 4,
        }
    }

    fn parse(s: &str) -> Option<Precision> {
        Precision::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// What a part carries as memory.
#[derive(Clone, Debug)]
pub struct Memory {
    /// `HBM3e`, `GDDR6`, ...; `none` for a part that works from on-die SRAM alone; `unknown` where no source
    /// says.
    pub kind: String,
    pub capacity_gb: Option<f64>,
    /// Total DRAM bandwidth in GB/s (later regimes compare it).
    pub dram_bandwidth_gbps: Option<f64>,
    pub source: String,
}

/// A catalog row that is an assembly of another row's ICs (a two-GPU superchip): 4A090-class.
#[derive(Clone, Debug)]
pub struct Assembly {
    /// The id of the IC row.
    pub of: String,
    /// How many of those ICs one unit holds.
    pub count: u64,
}

/// One accelerator of the catalog. Throughput, TPP and die area are per IC; an assembly's unit holds
/// `ics_per_unit()` of them.
#[derive(Clone, Debug)]
pub struct Accelerator {
    pub id: String,
    pub name: String,
    pub manufacturer: String,
    /// Designed or marketed for use in data centres (the Note to 3A090.a and .b).
    pub datacenter: bool,
    pub released: Option<String>,
    pub die_area: Option<Area>,
    pub die_area_source: Option<String>,
    pub throughput_source: String,
    /// How sure the figures are: the vendor's own, a compilation's, or inferred where sources disagree.
    pub confidence: Confidence,
    pub memory: Memory,
    pub assembly: Option<Assembly>,
    /// Dense throughput per precision, in thousandths of a TOPS.
    pub dense_tops: Vec<(Precision, u64)>,
    /// TPP: the highest dense TOPS × bit length over the precisions given.
    pub tpp: Tpp,
    /// The precision that sets `tpp`.
    pub tpp_precision: Precision,
    /// Epoch AI's own TPP figure, where it gives one, for comparison.
    pub epoch_tpp: Option<Tpp>,
    /// How `tpp` follows from the datasheet, for explanations: computed once at load.
    pub tpp_reason: String,
}

impl Accelerator {
    /// How many ICs one unit of this row holds: 1 for an IC, more for an assembly.
    pub fn ics_per_unit(&self) -> u64 {
        self.assembly.as_ref().map_or(1, |a| a.count)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    accelerator: Vec<RawAccelerator>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssembly {
    of: String,
    count: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccelerator {
    id: String,
    name: String,
    manufacturer: String,
    datacenter: bool,
    #[serde(default)]
    released: Option<String>,
    confidence: String,
    #[serde(default)]
    assembly: Option<RawAssembly>,
    #[serde(default)]
    die_area_mm2: Option<f64>,
    #[serde(default)]
    die_area_source: Option<String>,
    #[serde(default)]
    epoch_tpp: Option<f64>,
    #[serde(default)]
    throughput_source: Option<String>,
    memory_type: String,
    #[serde(default)]
    memory_gb: Option<f64>,
    #[serde(default)]
    dram_bandwidth_gbps: Option<f64>,
    memory_source: String,
    #[serde(default)]
    dense_tops: std::collections::BTreeMap<String, f64>,
}

/// The catalog, looked up by id.
#[derive(Clone, Debug)]
pub struct Catalog {
    items: Vec<Accelerator>,
    by_id: HashMap<String, usize>,
}

type Err<'a> = &'a dyn Fn(&str, String) -> DataError;

impl Catalog {
    /// Reads and validates a catalog (`data/accelerators.toml`).
    pub fn from_toml(text: &str, source: &str) -> Result<Catalog, DataError> {
        let raw: RawCatalog = crate::parse_toml(text, source)?;
        let mut items: Vec<Accelerator> = Vec::with_capacity(raw.accelerator.len());
        let mut by_id = HashMap::new();
        for (i, a) in raw.accelerator.into_iter().enumerate() {
            let key = format!("accelerator[{i}]");
            let err = |k: &str, p: String| DataError::new(source, &format!("{key}.{k}"), p);
            if a.id.is_empty() || !a.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return Err(err("id", format!("`{}` must use only lower-case letters, digits and `-`", a.id)));
            }
            if by_id.contains_key(&a.id) {
                return Err(err("id", format!("`{}` appears twice", a.id)));
            }
            let confidence = Confidence::parse(&a.confidence).ok_or_else(|| {
                err("confidence", format!("`{}` is not one of `primary`, `secondary`, `unconfirmed`", a.confidence))
            })?;
            let memory = memory(&a, &err)?;
            let item = match a.assembly.as_ref().map(|asm| (asm.of.clone(), asm.count)) {
                Some((of, count)) => {
                    let ic = by_id
                        .get(&of)
                        .and_then(|j: &usize| items.get(*j))
                        .ok_or_else(|| err("assembly.of", format!("`{of}` is not an IC listed before this row")))?;
                    assembly(a, Assembly { of, count }, ic, confidence, memory, &err)?
                }
                None => ic(a, confidence, memory, &err)?,
            };
            by_id.insert(item.id.clone(), i);
            items.push(item);
        }
        Ok(Catalog { items, by_id })
    }

    /// The accelerator with id `id`, matched case-insensitively.
    pub fn get(&self, id: &str) -> Option<&Accelerator> {
        self.by_id.get(&id.trim().to_ascii_lowercase()).and_then(|i| self.items.get(*i))
    }

    /// The error message for an id not in the catalog, with the nearest ids.
    pub fn unknown(&self, id: &str) -> String {
        format!(
            "`{id}` is not in the accelerator catalog (see `tiergate items`){}",
            crate::did_you_mean(&self.suggest(id))
        )
    }

    /// Up to three ids close to `id`, closest first, for a "did you mean" in an error.
    pub fn suggest(&self, id: &str) -> Vec<&str> {
        crate::closest(&id.trim().to_ascii_lowercase(), self.items.iter().map(|a| (a.id.as_str(), a.id.as_str())))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Accelerator> {
        self.items.iter()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

fn memory(a: &RawAccelerator, err: Err) -> Result<Memory, DataError> {
    if a.memory_type.trim().is_empty() {
        return Err(err("memory_type", "must name the memory (`none` for on-die SRAM only, `unknown`)".to_owned()));
    }
    if a.memory_source.trim().is_empty() {
        return Err(err("memory_source", "must name where the memory figures come from".to_owned()));
    }
    for (k, v) in [("memory_gb", a.memory_gb), ("dram_bandwidth_gbps", a.dram_bandwidth_gbps)] {
        if let Some(x) = v {
            if !(x.is_finite() && x > 0.0) {
                return Err(err(k, format!("{x} is not a positive figure")));
            }
            if a.memory_type == "none" {
                return Err(err(k, "a part with memory_type `none` has no DRAM".to_owned()));
            }
        }
    }
    Ok(Memory {
        kind: a.memory_type.clone(),
        capacity_gb: a.memory_gb,
        dram_bandwidth_gbps: a.dram_bandwidth_gbps,
        source: a.memory_source.clone(),
    })
}

fn ic(a: RawAccelerator, confidence: Confidence, memory: Memory, err: Err) -> Result<Accelerator, DataError> {
    let die_area =
        match a.die_area_mm2 {
            Some(x) => Some(Area::from_mm2(x).ok_or_else(|| {
                err("die_area_mm2", format!("{x} is not a positive area with at most three decimals"))
            })?),
            None => None,
        };
    if die_area.is_some() != a.die_area_source.is_some() {
        return Err(err("die_area_source", "give a source exactly when die_area_mm2 is given".to_owned()));
    }
    let throughput_source = a
        .throughput_source
        .ok_or_else(|| err("throughput_source", "must name where the figures come from".to_owned()))?;
    let mut dense_tops = Vec::new();
    let mut best: Option<(Precision, Tpp)> = None;
    for (name, tops) in &a.dense_tops {
        let p = Precision::parse(name).ok_or_else(|| {
            err(
                "dense_tops",
                format!("`{name}` is not a precision (fp64, fp32, fp16, bf16, fp8, fp4, int16, int8, int4)"),
            )
        })?;
        let milli = Tpp::from_decimal(*tops)
            .filter(|t| t.milli() > 0)
            .ok_or_else(|| {
                err(
                    &format!("dense_tops.{name}"),
                    format!("{tops} is not a positive figure with at most three decimals"),
                )
            })?
            .milli();
        let tpp = Tpp::from_milli(milli)
            .checked_mul(p.bits())
            .ok_or_else(|| err(&format!("dense_tops.{name}"), "too large".to_owned()))?;
        if best.is_none_or(|(_, b)| tpp > b) {
            best = Some((p, tpp));
        }
        dense_tops.push((p, milli));
    }
    let (tpp_precision, tpp) = best.ok_or_else(|| err("dense_tops", "must give at least one precision".to_owned()))?;
    let epoch_tpp = match a.epoch_tpp {
        Some(x) => Some(
            Tpp::from_decimal(x)
                .ok_or_else(|| err("epoch_tpp", format!("{x} is not a TPP with at most three decimals")))?,
        ),
        None => None,
    };
    let best_milli = dense_tops.iter().find(|(p, _)| *p == tpp_precision).map_or(0, |(_, m)| *m);
    let tpp_reason = format!(
        "{}: dense {} {} TOPS x {} bits = TPP {}{}",
        a.name,
        tpp_precision.as_str(),
        Tpp::from_milli(best_milli),
        tpp_precision.bits(),
        tpp,
        die_area.map_or(String::new(), |d| format!(", die area {d} mm2")),
    );
    Ok(Accelerator {
        tpp_reason,
        id: a.id,
        name: a.name,
        manufacturer: a.manufacturer,
        datacenter: a.datacenter,
        released: a.released,
        die_area,
        die_area_source: a.die_area_source,
        throughput_source,
        confidence,
        memory,
        assembly: None,
        dense_tops,
        tpp,
        tpp_precision,
        epoch_tpp,
    })
}

/// An assembly row takes its throughput, TPP and die area from its IC row; it may not state them itself.
fn assembly(
    a: RawAccelerator,
    asm: Assembly,
    ic: &Accelerator,
    confidence: Confidence,
    memory: Memory,
    err: Err,
) -> Result<Accelerator, DataError> {
    if ic.assembly.is_some() {
        return Err(err("assembly.of", format!("`{}` is itself an assembly", asm.of)));
    }
    if asm.count < 2 {
        return Err(err("assembly.count", format!("{} must be at least 2", asm.count)));
    }
    let stated = [
        ("dense_tops", !a.dense_tops.is_empty()),
        ("die_area_mm2", a.die_area_mm2.is_some()),
        ("die_area_source", a.die_area_source.is_some()),
        ("epoch_tpp", a.epoch_tpp.is_some()),
        ("throughput_source", a.throughput_source.is_some()),
    ];
    if let Some((k, _)) = stated.iter().find(|(_, given)| *given) {
        return Err(err(k, format!("an assembly takes its figures from `{}`; do not state them here", asm.of)));
    }
    Ok(Accelerator {
        tpp_reason: format!("{}: {} x {} ({})", a.name, asm.count, ic.id, ic.tpp_reason),
        id: a.id,
        name: a.name,
        manufacturer: a.manufacturer,
        datacenter: a.datacenter,
        released: a.released,
        die_area: ic.die_area,
        die_area_source: ic.die_area_source.clone(),
        throughput_source: ic.throughput_source.clone(),
        confidence,
        memory,
        assembly: Some(asm),
        dense_tops: ic.dense_tops.clone(),
        tpp: ic.tpp,
        tpp_precision: ic.tpp_precision,
        epoch_tpp: None,
    })
}
