//! One request in, one answer out: the unit of every batch (CLI files, HTTP batches).

use tiergate_core::determine;

use crate::request::{validate_wire, RequestWire};
use crate::{parse_request, write_determination, write_error, Env, WireError};

/// Determines one JSON request line and appends the answer (or the error) as one JSON line to `out`.
/// Returns whether the request was determined. `line` numbers error objects in batch input.
pub fn determine_line(env: &Env, text: &str, line: Option<u64>, out: &mut Vec<u8>) -> bool {
    match parse_request(text, env) {
        Ok((id, req)) => finish(env, id.as_deref(), &req, line, out),
        Err((id, e)) => {
            write_error(out, id.as_deref(), &e, line);
            false
        }
    }
}

/// Determines a request already decoded (from a CSV row, say) and appends the answer as one JSON line.
pub fn determine_wire(env: &Env, wire: RequestWire, line: Option<u64>, out: &mut Vec<u8>) -> bool {
    let id = wire.id.clone();
    match validate_wire(wire, env) {
        Ok(req) => finish(env, id.as_deref(), &req, line, out),
        Err(e) => {
            write_error(out, id.as_deref(), &e, line);
            false
        }
    }
}

fn finish(
    env: &Env,
    id: Option<&str>,
    req: &tiergate_core::Request,
    line: Option<u64>,
    out: &mut Vec<u8>,
) -> bool {
    match determine(req, &env.pack, &env.catalog) {
        Ok(d) => {
            write_determination(out, id, &env.pack.id, &d);
            true
        }
        Err(e) => {
            let err = WireError::new(e.code(), Some(e.field()), e.to_string());
            write_error(out, id, &err, line);
            false
        }
    }
}

/// The columns of a CSV order book, in the order `tiergate determine --input-format csv` documents them.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "date",
    "item",
    "per_unit",
    "tpp",
    "die_area_mm2",
    "datacenter",
    "training_operations",
    "published",
    "base_training_operations",
    "base_published",
    "quantity",
    "transaction",
    "destination",
    "end_use",
    "consignee_name",
    "consignee_headquarters",
    "ultimate_parent_headquarters",
    "private_sector",
    "veu",
    "veu_country",
    "veu_id",
    "storage_compliant",
    "lpp_received_tpp",
    "country_licensed_tpp",
    "nveu_installed_tpp",
    "aia_received_tpp",
];

/// Checks a CSV header: every column must be one of [`CSV_COLUMNS`], none twice.
pub fn check_csv_header(headers: &[&str]) -> Result<(), String> {
    for (i, h) in headers.iter().enumerate() {
        if !CSV_COLUMNS.contains(h) {
            return Err(format!(
                "unknown column `{h}`; the columns are: {}",
                CSV_COLUMNS.join(", ")
            ));
        }
        if headers.iter().take(i).any(|p| p == h) {
            return Err(format!("column `{h}` appears twice"));
        }
    }
    Ok(())
}

/// Turns one CSV row into a request. Empty cells are absent values. Errors name the column.
pub fn csv_row(
    headers: &[&str],
    values: &[&str],
) -> Result<RequestWire, (Option<String>, WireError)> {
    let get = |name: &str| -> Option<&str> {
        headers
            .iter()
            .position(|h| *h == name)
            .and_then(|i| values.get(i))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    };
    let id = get("id").map(str::to_owned);
    let row = || -> Result<RequestWire, WireError> {
        let int = |name: &str| -> Result<Option<i64>, WireError> {
            get(name)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| invalid(name, format!("`{v}` is not a whole number")))
                })
                .transpose()
        };
        let uint = |name: &str| -> Result<u64, WireError> {
            get(name).map_or(Ok(0), |v| {
                v.parse::<u64>()
                    .map_err(|_| invalid(name, format!("`{v}` is not a non-negative whole number")))
            })
        };
        let float = |name: &str| -> Result<Option<f64>, WireError> {
            get(name)
                .map(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|f| f.is_finite())
                        .ok_or_else(|| invalid(name, format!("`{v}` is not a number")))
                })
                .transpose()
        };
        let boolean = |name: &str| -> Result<Option<bool>, WireError> {
            get(name)
                .map(|v| match v.to_ascii_lowercase().as_str() {
                    "true" | "yes" => Ok(true),
                    "false" | "no" => Ok(false),
                    _ => Err(invalid(name, format!("`{v}` is not true or false"))),
                })
                .transpose()
        };
        let choice = |name: &str| -> Option<String> {
            get(name).map(|v| format!("\"{}\"", v.to_ascii_lowercase()))
        };
        let enum_of = |name: &str| -> Result<Option<serde_json::Value>, WireError> {
            choice(name)
                .map(|v| {
                    serde_json::from_str(&v).map_err(|_| {
                        invalid(
                            name,
                            format!("`{}` is not valid here", get(name).unwrap_or_default()),
                        )
                    })
                })
                .transpose()
        };
        use crate::request::{
            BaseModelWire, ConsigneeWire, ContextWire, ItemObject, ItemWire, ModelWeightsWire,
            VeuKindWire, VeuWire,
        };
        let item = if let Some(ops) = float("training_operations")? {
            let derived_from = match float("base_training_operations")? {
                None => None,
                Some(b) => Some(BaseModelWire {
                    training_operations: Some(b),
                    published: boolean("base_published")?,
                }),
            };
            Some(ItemWire::Object(ItemObject {
                model_weights: Some(ModelWeightsWire {
                    training_operations: Some(ops),
                    published: boolean("published")?,
                    derived_from,
                }),
                ..ItemObject::default()
            }))
        } else if let Some(tpp) = float("tpp")? {
            Some(ItemWire::Object(ItemObject {
                tpp: Some(tpp),
                die_area_mm2: float("die_area_mm2")?,
                datacenter: boolean("datacenter")?,
                per_unit: int("per_unit")?,
                ..ItemObject::default()
            }))
        } else {
            match (get("item"), int("per_unit")?) {
                (Some(id), None) => Some(ItemWire::Id(id.to_owned())),
                (Some(id), Some(n)) => Some(ItemWire::Object(ItemObject {
                    catalog: Some(id.to_owned()),
                    per_unit: Some(n),
                    ..ItemObject::default()
                })),
                (None, _) => None,
            }
        };
        let veu = match get("veu").map(str::to_ascii_lowercase).as_deref() {
            None => None,
            Some("uveu") => Some(VeuWire {
                kind: VeuKindWire::Uveu,
                country: get("veu_country").map(str::to_owned),
                id: get("veu_id").map(str::to_owned),
            }),
            Some("nveu") => Some(VeuWire {
                kind: VeuKindWire::Nveu,
                country: get("veu_country").map(str::to_owned),
                id: get("veu_id").map(str::to_owned),
            }),
            Some(other) => return Err(invalid("veu", format!("`{other}` is not uveu or nveu"))),
        };
        Ok(RequestWire {
            id: id.clone(),
            date: get("date").map(str::to_owned),
            item,
            quantity: int("quantity")?,
            transaction: enum_of("transaction")?
                .map(serde_json::from_value)
                .transpose()
                .map_err(|_| {
                    invalid("transaction", "must be export, reexport or transfer".into())
                })?,
            destination: get("destination").map(str::to_owned),
            end_use: enum_of("end_use")?
                .map(serde_json::from_value)
                .transpose()
                .map_err(|_| {
                    invalid(
                        "end_use",
                        "must be deployment, development, production or storage".into(),
                    )
                })?,
            consignee: Some(ConsigneeWire {
                name: get("consignee_name").map(str::to_owned),
                headquarters: get("consignee_headquarters").map(str::to_owned),
                ultimate_parent_headquarters: get("ultimate_parent_headquarters")
                    .map(str::to_owned),
                private_sector: boolean("private_sector")?,
                veu,
                storage_compliant: boolean("storage_compliant")?,
            }),
            context: Some(ContextWire {
                lpp_received_tpp: uint("lpp_received_tpp")?,
                country_licensed_tpp: uint("country_licensed_tpp")?,
                nveu_installed_tpp: uint("nveu_installed_tpp")?,
                aia_received_tpp: uint("aia_received_tpp")?,
            }),
        })
    };
    row().map_err(|e| (id, e))
}

fn invalid(column: &str, message: String) -> WireError {
    WireError::new(
        "invalid_value",
        Some(column),
        format!("column `{column}`: {message}"),
    )
}
