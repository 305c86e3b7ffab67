//! The request shape (`tiergate determine`, `POST /v1/determinations`) and its validation.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use time::macros::format_description;
use time::Date;

use tiergate_core::classify::{BaseModel, ModelWeights};
use tiergate_core::determine::{Balance, Consignee, Context, EndUse, Transaction, VeuClaim};
use tiergate_core::units::{Area, Bandwidth, Tpp};
use tiergate_core::{Countries, Country, Item, Request};

use crate::Env;

/// The largest balance a request's `context` may state (a million times the largest NVEU cap); beyond it TPP
/// arithmetic would not be exact.
pub const MAX_CONTEXT_TPP: u64 = 1_000_000_000_000_000;

/// The most units one request may name; larger numbers are almost surely typos.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// A request as written in JSON. Every field is optional here so that a missing one is reported by name.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, format = Date, required = true)]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = ItemWire, required = true)]
    pub item: Option<ItemWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 1_000_000_000)]
    pub quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<TransactionWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, min_length = 1, required = true)]
    pub destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_use: Option<EndUseWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = ConsigneeWire, required = true)]
    pub consignee: Option<ConsigneeWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<ContextWire>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TransactionWire {
    Export,
    Reexport,
    Transfer,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EndUseWire {
    Deployment,
    Training,
    Development,
    Production,
    Storage,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsigneeWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The ultimate parent's name (the LPP "ultimate consignee"); defaults to `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ultimate_parent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, min_length = 1, required = true)]
    pub headquarters: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ultimate_parent_headquarters: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_sector: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub veu: Option<VeuWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_compliant: Option<bool>,
}

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VeuWire {
    pub kind: VeuKindWire,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// The VEU's registration id. With a ledger (`determine --db`, the API) the claim is checked against the
    /// ledger's VEU registry (`tiergate veu add`), found by this id or else by the consignee's name, and an NVEU
    /// draws on `nveu:ID`. Without a ledger it names the NVEU's pool, by default `NAME/CC` of the consignee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum VeuKindWire {
    Uveu,
    Nveu,
}

/// Balances before this request. A balance not given is unknown, not zero: the answer assumes zero and says so.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 1_000_000_000_000_000_u64)]
    pub lpp_received_tpp: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 1_000_000_000_000_000_u64)]
    pub country_licensed_tpp: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 1_000_000_000_000_000_u64)]
    pub nveu_installed_tpp: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 1_000_000_000_000_000_u64)]
    pub aia_received_tpp: Option<u64>,
}

/// `item`: a catalog id, or an object naming a catalog id with `per_unit`, a spec sheet, or model weights.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ItemWire {
    Id(String),
    Object(ItemObject),
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub per_unit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(exclusive_minimum = 0)]
    pub tpp: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(exclusive_minimum = 0)]
    pub die_area_mm2: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datacenter: Option<bool>,
    /// The IC's total DRAM bandwidth in GB/s, from its spec sheet (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(exclusive_minimum = 0)]
    pub dram_bandwidth_gbps: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_weights: Option<ModelWeightsWire>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelWeightsWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = f64, minimum = 0, required = true)]
    pub training_operations: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = bool, required = true)]
    pub published: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<BaseModelWire>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BaseModelWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = f64, minimum = 0, required = true)]
    pub training_operations: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = bool, required = true)]
    pub published: Option<bool>,
}

impl<'de> Deserialize<'de> for ItemWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ItemWire, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemWire;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a catalog id or an object with `catalog`, `tpp` or `model_weights`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ItemWire, E> {
                Ok(ItemWire::Id(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ItemWire, A::Error> {
                ItemObject::deserialize(de::value::MapAccessDeserializer::new(map)).map(ItemWire::Object)
            }
        }
        d.deserialize_any(V)
    }
}

/// A request that could not be accepted: a machine-readable code, the field at fault and a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WireError {
    pub code: &'static str,
    pub field: Option<String>,
    pub message: String,
}

impl WireError {
    pub fn new(code: &'static str, field: Option<&str>, message: String) -> WireError {
        WireError { code, field: field.map(str::to_owned), message }
    }

    pub(crate) fn missing(field: &str, what: &str) -> WireError {
        WireError::new("missing_field", Some(field), format!("`{field}` is required: {what}"))
    }

    pub(crate) fn invalid(field: &str, message: String) -> WireError {
        WireError::new("invalid_value", Some(field), message)
    }
}

/// Decodes one JSON request without validating it. On failure the request's `id`, if it could be read, comes
/// back with the error.
pub fn decode_request(line: &str) -> Result<RequestWire, (Option<String>, WireError)> {
    decode(line).map_err(|e| (salvage_id(line), e))
}

/// Parses one JSON request. On failure the request's `id`, if it could be read, comes back with the error.
pub fn parse_request(line: &str, env: &Env) -> Result<(Option<String>, Request), (Option<String>, WireError)> {
    let wire = decode_request(line)?;
    let id = wire.id.clone();
    match validate_wire(wire, env) {
        Ok(r) => Ok((id, r)),
        Err(e) => Err((id, e)),
    }
}

fn decode(line: &str) -> Result<RequestWire, WireError> {
    // The fast path parses without tracking paths; only a failure is parsed again to name the field.
    if let Ok(wire) = serde_json::from_str::<RequestWire>(line) {
        return Ok(wire);
    }
    let mut de = serde_json::Deserializer::from_str(line);
    let result: Result<RequestWire, _> = serde_path_to_error::deserialize(&mut de);
    let wire = result.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        serde_error(&path, &inner)
    })?;
    de.end()
        .map_err(|e| WireError::new("malformed_json", None, format!("trailing characters after the request: {e}")))?;
    Ok(wire)
}

fn serde_error(path: &str, e: &serde_json::Error) -> WireError {
    use serde_json::error::Category;
    let msg = tiergate_core::plain_types(&e.to_string());
    let field = (path != "." && !path.is_empty()).then_some(path);
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            WireError::new("malformed_json", None, format!("not valid JSON: {msg}"))
        }
        Category::Data => {
            if let Some(rest) = msg.strip_prefix("unknown field `") {
                let name = rest.split('`').next().unwrap_or_default();
                let full = match field {
                    Some(p) if p.ends_with(name) => p.to_owned(),
                    Some(p) => format!("{p}.{name}"),
                    None => name.to_owned(),
                };
                WireError::new(
                    "unknown_field",
                    Some(&full),
                    format!(
                        "unknown field `{full}`{}",
                        rest.split_once(',').map_or(String::new(), |(_, r)| format!(",{}", strip_position(r)))
                    ),
                )
            } else if let Some(rest) = msg.strip_prefix("unknown variant `") {
                WireError::new(
                    "invalid_value",
                    field,
                    format!("`{}`: unknown value `{}", field.unwrap_or("value"), strip_position(rest)),
                )
            } else {
                WireError::new(
                    "invalid_value",
                    field,
                    format!("`{}`: {}", field.unwrap_or("request"), strip_position(&msg)),
                )
            }
        }
    }
}

/// serde_json appends " at line 1 column 42"; with one request per line the column is noise beside the field.
pub(crate) fn strip_position(msg: &str) -> &str {
    msg.rfind(" at line ").map_or(msg, |i| msg.get(..i).unwrap_or(msg))
}

pub(crate) fn salvage_id(line: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: Option<serde_json::Value>,
    }
    match serde_json::from_str::<IdOnly>(line).ok()?.id? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

fn parse_date(s: &str) -> Result<Date, WireError> {
    Date::parse(s, format_description!("[year]-[month]-[day]")).map_err(|_| {
        WireError::new("invalid_date", Some("date"), format!("`{s}` is not a date in the form YYYY-MM-DD"))
    })
}

/// A country by code or name, or an error naming the field and the nearest names.
pub(crate) fn country(countries: &Countries, field: &str, text: &str) -> Result<Country, WireError> {
    countries.resolve(text).ok_or_else(|| WireError::new("unknown_country", Some(field), countries.unknown(text)))
}

fn per_unit(v: Option<i64>) -> Result<Option<u64>, WireError> {
    match v {
        None => Ok(None),
        Some(n) if (1..=MAX_QUANTITY).contains(&n) => Ok(u64::try_from(n).ok()),
        Some(n) => Err(WireError::invalid(
            "item.per_unit",
            format!("`item.per_unit` must be between 1 and {MAX_QUANTITY}, not {n}"),
        )),
    }
}

fn operations(field: &str, v: Option<f64>) -> Result<f64, WireError> {
    let v = v.ok_or_else(|| WireError::missing(field, "the training operations, e.g. 2e26"))?;
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(WireError::invalid(field, format!("`{field}` must be a non-negative number, not {v}")))
    }
}

/// Validates an item as a request names it.
pub fn item_from_wire(w: ItemWire) -> Result<Item, WireError> {
    let o = match w {
        ItemWire::Id(id) => return Ok(Item::Catalog { id, per_unit: None }),
        ItemWire::Object(o) => o,
    };
    if let Some(m) = o.model_weights {
        if o.catalog.is_some()
            || o.tpp.is_some()
            || o.per_unit.is_some()
            || o.die_area_mm2.is_some()
            || o.datacenter.is_some()
            || o.dram_bandwidth_gbps.is_some()
        {
            return Err(WireError::invalid(
                "item",
                "`item.model_weights` cannot be combined with other item fields".into(),
            ));
        }
        let derived_from = match m.derived_from {
            None => None,
            Some(b) => Some(BaseModel {
                training_operations: operations(
                    "item.model_weights.derived_from.training_operations",
                    b.training_operations,
                )?,
                published: b.published.ok_or_else(|| {
                    WireError::missing(
                        "item.model_weights.derived_from.published",
                        "whether the base model's weights are published",
                    )
                })?,
            }),
        };
        return Ok(Item::ModelWeights(ModelWeights {
            training_operations: operations("item.model_weights.training_operations", m.training_operations)?,
            published: m.published.ok_or_else(|| {
                WireError::missing("item.model_weights.published", "whether the weights are published")
            })?,
            derived_from,
        }));
    }
    let per_unit = per_unit(o.per_unit)?;
    if let Some(id) = o.catalog {
        if o.tpp.is_some() || o.die_area_mm2.is_some() || o.datacenter.is_some() || o.dram_bandwidth_gbps.is_some() {
            return Err(WireError::invalid("item", "`item.catalog` takes only `per_unit`; describe a part not in the catalog with `tpp`, `die_area_mm2`, `datacenter` and `dram_bandwidth_gbps`".into()));
        }
        return Ok(Item::Catalog { id, per_unit });
    }
    let Some(tpp) = o.tpp else {
        return Err(WireError::missing("item", "a catalog id, or an object with `catalog`, `tpp` or `model_weights`"));
    };
    let tpp = Tpp::from_decimal(tpp).filter(|t| t.milli() > 0).ok_or_else(|| {
        WireError::invalid(
            "item.tpp",
            format!("`item.tpp` must be a positive number with at most three decimals, not {tpp}"),
        )
    })?;
    let die_area = match o.die_area_mm2 {
        None => None,
        Some(a) => Some(Area::from_mm2(a).ok_or_else(|| {
            WireError::invalid(
                "item.die_area_mm2",
                format!("`item.die_area_mm2` must be a positive number with at most three decimals, not {a}"),
            )
        })?),
    };
    let datacenter = o.datacenter.ok_or_else(|| {
        WireError::missing("item.datacenter", "whether the IC is designed or marketed for data centres")
    })?;
    let dram_bandwidth = match o.dram_bandwidth_gbps {
        None => None,
        Some(b) => Some(Bandwidth::from_gbps(b).ok_or_else(|| {
            WireError::invalid(
                "item.dram_bandwidth_gbps",
                format!("`item.dram_bandwidth_gbps` must be a positive number with at most three decimals, not {b}"),
            )
        })?),
    };
    Ok(Item::Spec { tpp, die_area, datacenter, dram_bandwidth, per_unit })
}

/// The most characters of a party's name (as `/v1/screen` takes it), an id, and a country as written.
pub const MAX_NAME: usize = 300;
pub const MAX_ID: usize = 200;
pub const MAX_COUNTRY: usize = 100;

/// An error naming `field` when `value` holds more than `max` characters.
pub fn check_length(field: &str, value: Option<&str>, max: usize) -> Result<(), WireError> {
    match value {
        Some(v) if v.chars().nth(max).is_some() => {
            Err(WireError::invalid(field, format!("`{field}` holds more than {max} characters")))
        }
        _ => Ok(()),
    }
}

/// Every free-text field of a request within its limit, before anything reads it.
fn check_lengths(w: &RequestWire) -> Result<(), WireError> {
    let c = w.consignee.as_ref();
    let catalog = match &w.item {
        Some(ItemWire::Id(id)) => Some(id.as_str()),
        Some(ItemWire::Object(o)) => o.catalog.as_deref(),
        _ => None,
    };
    let veu = c.and_then(|c| c.veu.as_ref());
    for (field, value, max) in [
        ("id", w.id.as_deref(), MAX_ID),
        ("date", w.date.as_deref(), MAX_ID),
        ("item", catalog, MAX_ID),
        ("destination", w.destination.as_deref(), MAX_COUNTRY),
        ("consignee.name", c.and_then(|c| c.name.as_deref()), MAX_NAME),
        ("consignee.ultimate_parent", c.and_then(|c| c.ultimate_parent.as_deref()), MAX_NAME),
        ("consignee.headquarters", c.and_then(|c| c.headquarters.as_deref()), MAX_COUNTRY),
        (
            "consignee.ultimate_parent_headquarters",
            c.and_then(|c| c.ultimate_parent_headquarters.as_deref()),
            MAX_COUNTRY,
        ),
        ("consignee.veu.country", veu.and_then(|v| v.country.as_deref()), MAX_COUNTRY),
        ("consignee.veu.id", veu.and_then(|v| v.id.as_deref()), MAX_ID),
    ] {
        check_length(field, value, max)?;
    }
    Ok(())
}

/// Validates a decoded request against the countries and the catalog's shape.
pub fn validate_wire(w: RequestWire, env: &Env) -> Result<Request, WireError> {
    check_lengths(&w)?;
    let date = parse_date(
        w.date.as_deref().ok_or_else(|| WireError::missing("date", "the date of the transaction, YYYY-MM-DD"))?,
    )?;
    let item = item_from_wire(
        w.item.ok_or_else(|| WireError::missing("item", "a catalog id, a spec sheet or model weights"))?,
    )?;
    let quantity = match (w.quantity, &item) {
        (None, Item::ModelWeights(_)) => 1,
        (None, _) => return Err(WireError::missing("quantity", "the number of units")),
        (Some(q), _) if q <= 0 => {
            return Err(WireError::new(
                "invalid_quantity",
                Some("quantity"),
                format!("`quantity` must be at least 1, not {q}"),
            ))
        }
        (Some(q), _) if q > MAX_QUANTITY => {
            return Err(WireError::new(
                "invalid_quantity",
                Some("quantity"),
                format!("`quantity` {q} is above the limit of {MAX_QUANTITY}"),
            ))
        }
        (Some(q), _) => u64::try_from(q).unwrap_or(1),
    };
    let destination = country(
        &env.countries,
        "destination",
        w.destination.as_deref().ok_or_else(|| WireError::missing("destination", "the destination country"))?,
    )?;
    let c = w.consignee.ok_or_else(|| WireError::missing("consignee", "at least the consignee's `headquarters`"))?;
    let headquarters = country(
        &env.countries,
        "consignee.headquarters",
        c.headquarters.as_deref().ok_or_else(|| {
            WireError::missing("consignee.headquarters", "the country the consignee is headquartered in")
        })?,
    )?;
    let ultimate_parent_headquarters = match c.ultimate_parent_headquarters.as_deref() {
        Some(p) => country(&env.countries, "consignee.ultimate_parent_headquarters", p)?,
        None => headquarters,
    };
    let veu = match c.veu {
        None => None,
        Some(VeuWire { kind: VeuKindWire::Uveu, country: None, id }) => Some(VeuClaim::Universal { id }),
        Some(VeuWire { kind: VeuKindWire::Uveu, country: Some(_), .. }) => {
            return Err(WireError::invalid(
                "consignee.veu.country",
                "a universal VEU is not country-specific: drop `country`".into(),
            ))
        }
        Some(VeuWire { kind: VeuKindWire::Nveu, country: cc, id }) => {
            let cc =
                cc.ok_or_else(|| WireError::missing("consignee.veu.country", "the country the national VEU is for"))?;
            Some(VeuClaim::National { country: country(&env.countries, "consignee.veu.country", &cc)?, id })
        }
    };
    // A party is known by its party key: a name that has none (no letter or digit) names no one.
    for (field, name) in
        [("consignee.name", c.name.as_deref()), ("consignee.ultimate_parent", c.ultimate_parent.as_deref())]
    {
        if let Some(n) = name.filter(|n| tiergate_core::party::party_key(n).is_none()) {
            return Err(WireError::invalid(
                field,
                format!("`{field}` {n:?} has no letter or digit: it names no party (leave it out when unknown)"),
            ));
        }
    }
    let ctx = w.context.unwrap_or_default();
    for (field, value) in [
        ("context.lpp_received_tpp", ctx.lpp_received_tpp),
        ("context.country_licensed_tpp", ctx.country_licensed_tpp),
        ("context.nveu_installed_tpp", ctx.nveu_installed_tpp),
        ("context.aia_received_tpp", ctx.aia_received_tpp),
    ] {
        if let Some(value) = value.filter(|v| *v > MAX_CONTEXT_TPP) {
            return Err(WireError::invalid(
                field,
                format!("`{field}` {value} is above the limit of {MAX_CONTEXT_TPP} TPP"),
            ));
        }
    }
    Ok(Request {
        date,
        item,
        quantity,
        transaction: match w.transaction {
            None | Some(TransactionWire::Export) => Transaction::Export,
            Some(TransactionWire::Reexport) => Transaction::Reexport,
            Some(TransactionWire::Transfer) => Transaction::Transfer,
        },
        destination,
        end_use: match w.end_use {
            None | Some(EndUseWire::Deployment) => EndUse::Deployment,
            Some(EndUseWire::Training) => EndUse::Training,
            Some(EndUseWire::Development) => EndUse::Development,
            Some(EndUseWire::Production) => EndUse::Production,
            Some(EndUseWire::Storage) => EndUse::Storage,
        },
        consignee: Consignee {
            name: c.name,
            ultimate_parent: c.ultimate_parent,
            headquarters,
            ultimate_parent_headquarters,
            private_sector: c.private_sector.unwrap_or(true),
            veu,
            storage_compliant: c.storage_compliant.unwrap_or(false),
            identified: Vec::new(),
        },
        context: Context {
            lpp_received: stated(ctx.lpp_received_tpp),
            country_licensed: stated(ctx.country_licensed_tpp),
            nveu_installed: stated(ctx.nveu_installed_tpp),
            aia_received: stated(ctx.aia_received_tpp),
        },
        screening: None,
    })
}

/// A balance as the request states it: `Unknown` when absent.
fn stated(v: Option<u64>) -> Balance {
    v.map_or(Balance::Unknown, Balance::Stated)
}
