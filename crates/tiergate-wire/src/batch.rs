//! One request in, one answer out: the unit of every batch (CLI files, HTTP batches).

use tiergate_core::{Determination, Pack, Request};

use crate::request::{decode_request, validate_wire, RequestWire};
use crate::response::CompareOut;
use crate::{write_determination, write_error, Env, WireError};

/// What an adapter adds around the pure engine: it may fill a request's context before it is determined (from
/// a ledger, say) and act on the answer after (record a reservation), adding one member to the answer line.
pub trait Hooks {
    /// Called with a valid request before it is determined under `pack` (the pack in force on its date under the
    /// chosen regime). `has_context` says whether the request gave one.
    fn before(&mut self, id: Option<&str>, req: &mut Request, has_context: bool, pack: &Pack) -> Result<(), WireError>;
    /// Called with the answer; may return a JSON member (`"name":value`) to add to the answer line.
    fn after(&mut self, id: Option<&str>, req: &Request, d: &Determination<'_>) -> Result<Option<Vec<u8>>, WireError>;
    /// Whether [`Hooks::answered`] wants each request as JSON (made only then).
    fn keeps_answers(&self) -> bool {
        false
    }
    /// Called with the whole answer line as written (without its newline) and, when [`Hooks::keeps_answers`],
    /// the request as JSON: to store a determination whole.
    fn answered(
        &mut self,
        _id: Option<&str>,
        _req: &Request,
        _d: &Determination<'_>,
        _request: Option<&str>,
        _answer: &[u8],
    ) -> Result<(), WireError> {
        Ok(())
    }
}

/// No adapter: the request's own context, nothing recorded.
pub struct NoHooks;

impl Hooks for NoHooks {
    fn before(&mut self, _: Option<&str>, _: &mut Request, _: bool, _: &Pack) -> Result<(), WireError> {
        Ok(())
    }

    fn after(&mut self, _: Option<&str>, _: &Request, _: &Determination<'_>) -> Result<Option<Vec<u8>>, WireError> {
        Ok(None)
    }
}

/// Determines one JSON request line and appends the answer (or the error) as one JSON line to `out`.
/// Returns whether the request was determined. `line` numbers error objects in batch input.
pub fn determine_line(env: &Env, text: &str, line: Option<u64>, out: &mut Vec<u8>) -> bool {
    determine_line_with(env, text, line, out, &mut NoHooks)
}

/// [`determine_line`] with an adapter's hooks.
pub fn determine_line_with(env: &Env, text: &str, line: Option<u64>, out: &mut Vec<u8>, hooks: &mut dyn Hooks) -> bool {
    match decode_request(text) {
        Ok(wire) => determine_wire_with(env, wire, line, out, hooks),
        Err((id, e)) => {
            write_error(out, id.as_deref(), &e, line);
            false
        }
    }
}

/// Determines a request already decoded (from a CSV row, say) and appends the answer as one JSON line.
pub fn determine_wire_with(
    env: &Env,
    wire: RequestWire,
    line: Option<u64>,
    out: &mut Vec<u8>,
    hooks: &mut dyn Hooks,
) -> bool {
    let id = wire.id.clone();
    match answer(env, wire, out, hooks) {
        Ok(()) => true,
        Err(e) => {
            write_error(out, id.as_deref(), &e, line);
            false
        }
    }
}

/// Determines one JSON request and returns its answer line (without the newline), or the error: for an API
/// that answers a rejected request with an error status rather than an error object.
pub fn determine_one(env: &Env, text: &str, hooks: &mut dyn Hooks) -> Result<Vec<u8>, WireError> {
    let wire = decode_request(text).map_err(|(_, e)| e)?;
    let mut out = Vec::with_capacity(4096);
    answer(env, wire, &mut out, hooks)?;
    out.pop(); // the newline
    Ok(out)
}

/// Validates, determines and writes the answer line; on error writes nothing.
fn answer(env: &Env, wire: RequestWire, out: &mut Vec<u8>, hooks: &mut dyn Hooks) -> Result<(), WireError> {
    let id = wire.id.clone();
    let has_context = wire.context.is_some();
    let request_json = if hooks.keeps_answers() {
        Some(serde_json::to_string(&wire).map_err(|e| WireError::new("internal", None, e.to_string()))?)
    } else {
        None
    };
    let mut req = validate_wire(wire, env)?;
    let (pack, regime) = env.answering(req.date)?;
    hooks.before(id.as_deref(), &mut req, has_context, pack)?;
    let d = env.determine(&req)?;
    let mut extra = hooks.after(id.as_deref(), &req, &d)?;
    if let Some(member) = compare_member(env, &req, &d, regime.timeline) {
        extra = Some(match extra {
            Some(mut e) => {
                e.push(b',');
                e.extend_from_slice(&member);
                e
            }
            None => member,
        });
    }
    let start = out.len();
    write_determination(out, id.as_deref(), &regime, &d, extra.as_deref());
    if hooks.keeps_answers() {
        let line = out.get(start..).unwrap_or_default();
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if let Err(e) = hooks.answered(id.as_deref(), &req, &d, request_json.as_deref(), line) {
            out.truncate(start);
            return Err(e);
        }
    }
    Ok(())
}

/// The `"compare"` member: the compared timeline's answer where it differs from `d` (none when it agrees, or when
/// it is the timeline that answered).
fn compare_member(env: &Env, req: &Request, d: &Determination<'_>, answered_by: Option<&str>) -> Option<Vec<u8>> {
    let name = env.compare.as_deref().filter(|c| Some(*c) != answered_by)?;
    let timeline = env.regimes.timeline(name)?;
    let other = timeline.determine(req, &env.catalog);
    let entry = match &other {
        Ok(o) => {
            let same = o.authorization == d.authorization
                && o.review_policy == d.review_policy
                && o.allocation.as_ref().map(|a| (&a.pool, a.tpp, a.remaining_tpp, a.cap_tpp))
                    == d.allocation.as_ref().map(|a| (&a.pool, a.tpp, a.remaining_tpp, a.cap_tpp));
            if same {
                return None;
            }
            CompareOut::of(name, o)
        }
        Err(e) => CompareOut {
            timeline: name,
            pack: None,
            authorization: None,
            license_required: None,
            review_policy: None,
            allocation: None,
            error: Some(e.code().to_owned()),
        },
    };
    let mut member = b"\"compare\":".to_vec();
    serde_json::to_writer(&mut member, &[entry]).ok()?;
    Some(member)
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
    "dram_bandwidth_gbps",
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
    "ultimate_parent",
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
            return Err(format!("unknown column `{h}`; the columns are: {}", CSV_COLUMNS.join(", ")));
        }
        if headers.iter().take(i).any(|p| p == h) {
            return Err(format!("column `{h}` appears twice"));
        }
    }
    Ok(())
}

/// Turns one CSV row into a request. Empty cells are absent values. Errors name the column.
pub fn csv_row(headers: &[&str], values: &[&str]) -> Result<RequestWire, (Option<String>, WireError)> {
    let get = |name: &str| -> Option<&str> {
        headers.iter().position(|h| *h == name).and_then(|i| values.get(i)).map(|v| v.trim()).filter(|v| !v.is_empty())
    };
    let id = get("id").map(str::to_owned);
    let row = || -> Result<RequestWire, WireError> {
        let int = |name: &str| -> Result<Option<i64>, WireError> {
            get(name)
                .map(|v| v.parse::<i64>().map_err(|_| invalid(name, format!("`{v}` is not a whole number"))))
                .transpose()
        };
        let uint = |name: &str| -> Result<Option<u64>, WireError> {
            get(name)
                .map(|v| {
                    v.parse::<u64>().map_err(|_| invalid(name, format!("`{v}` is not a non-negative whole number")))
                })
                .transpose()
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
        let choice = |name: &str| -> Option<String> { get(name).map(|v| format!("\"{}\"", v.to_ascii_lowercase())) };
        let enum_of = |name: &str| -> Result<Option<serde_json::Value>, WireError> {
            choice(name)
                .map(|v| {
                    serde_json::from_str(&v)
                        .map_err(|_| invalid(name, format!("`{}` is not valid here", get(name).unwrap_or_default())))
                })
                .transpose()
        };
        use crate::request::{
            BaseModelWire, ConsigneeWire, ContextWire, ItemObject, ItemWire, ModelWeightsWire, VeuKindWire, VeuWire,
        };
        let item = if let Some(ops) = float("training_operations")? {
            let derived_from = match float("base_training_operations")? {
                None => None,
                Some(b) => Some(BaseModelWire { training_operations: Some(b), published: boolean("base_published")? }),
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
                dram_bandwidth_gbps: float("dram_bandwidth_gbps")?,
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
                .map_err(|_| invalid("transaction", "must be export, reexport or transfer".into()))?,
            destination: get("destination").map(str::to_owned),
            end_use: enum_of("end_use")?.map(serde_json::from_value).transpose().map_err(|_| {
                invalid("end_use", "must be deployment, training, development, production or storage".into())
            })?,
            consignee: Some(ConsigneeWire {
                name: get("consignee_name").map(str::to_owned),
                ultimate_parent: get("ultimate_parent").map(str::to_owned),
                headquarters: get("consignee_headquarters").map(str::to_owned),
                ultimate_parent_headquarters: get("ultimate_parent_headquarters").map(str::to_owned),
                private_sector: boolean("private_sector")?,
                veu,
                storage_compliant: boolean("storage_compliant")?,
            }),
            // A context only when the row gives one, so that a ledger can tell.
            context: ["lpp_received_tpp", "country_licensed_tpp", "nveu_installed_tpp", "aia_received_tpp"]
                .iter()
                .any(|c| get(c).is_some())
                .then(|| -> Result<ContextWire, WireError> {
                    Ok(ContextWire {
                        lpp_received_tpp: uint("lpp_received_tpp")?,
                        country_licensed_tpp: uint("country_licensed_tpp")?,
                        nveu_installed_tpp: uint("nveu_installed_tpp")?,
                        aia_received_tpp: uint("aia_received_tpp")?,
                    })
                })
                .transpose()?,
        })
    };
    row().map_err(|e| (id, e))
}

fn invalid(column: &str, message: String) -> WireError {
    WireError::new("invalid_value", Some(column), format!("column `{column}`: {message}"))
}

/// One row of a CSV order book as given, by column name (for a table that shows the request beside its answer).
pub struct CsvRow<'a> {
    headers: &'a [&'a str],
    values: &'a [&'a str],
}

impl CsvRow<'_> {
    /// The row's cell in `column`, if the header names it and the row has it.
    pub fn get(&self, column: &str) -> Option<&str> {
        let i = self.headers.iter().position(|h| *h == column)?;
        self.values.get(i).copied()
    }
}

/// Determines every row of a CSV order book (header of [`CSV_COLUMNS`]), in order, handing each answer line (or
/// error line, with its line number) to `each` with the row as given. A bad row is an error line and the rest go
/// on; a row that is not CSV at all stops the reading after its error line. Returns whether every row was
/// determined, or the header's problem.
pub fn determine_csv<R: std::io::Read>(
    env: &Env,
    input: R,
    hooks: &mut dyn Hooks,
    mut each: impl FnMut(&[u8], &CsvRow<'_>) -> std::io::Result<()>,
) -> Result<bool, CsvError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers().map_err(|e| CsvError::Header(format!("cannot read the CSV header: {e}")))?.clone();
    let headers: Vec<&str> = headers.iter().map(str::trim).collect();
    check_csv_header(&headers).map_err(|e| CsvError::Header(format!("CSV header: {e}")))?;
    let mut record = csv::StringRecord::new();
    let mut all_ok = true;
    let mut line_out = Vec::with_capacity(4096);
    loop {
        line_out.clear();
        let more = reader.read_record(&mut record);
        let line = record.position().map(csv::Position::line);
        let mut stop = false;
        let values: Vec<&str> = if more.is_ok() { record.iter().collect() } else { Vec::new() };
        match more {
            Ok(false) => break,
            Ok(true) => {
                if values.len() > headers.len() {
                    let err = WireError::new(
                        "malformed_csv",
                        None,
                        format!("the row has {} cells but the header names {} columns", values.len(), headers.len()),
                    );
                    let id = values.first().copied().filter(|_| headers.first() == Some(&"id"));
                    write_error(&mut line_out, id, &err, line);
                    all_ok = false;
                } else {
                    all_ok &= match csv_row(&headers, &values) {
                        Ok(wire) => determine_wire_with(env, wire, line, &mut line_out, hooks),
                        Err((id, e)) => {
                            write_error(&mut line_out, id.as_deref(), &e, line);
                            false
                        }
                    };
                }
            }
            Err(e) => {
                let err = WireError::new("malformed_csv", None, format!("not valid CSV: {e}"));
                write_error(&mut line_out, None, &err, line);
                all_ok = false;
                stop = !matches!(e.kind(), csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. });
            }
        }
        each(&line_out, &CsvRow { headers: &headers, values: &values }).map_err(CsvError::Io)?;
        if stop {
            break;
        }
    }
    Ok(all_ok)
}

/// Why a CSV order book could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("{0}")]
    Header(String),
    #[error(transparent)]
    Io(std::io::Error),
}
