//! The memo an officer files for a recorded determination: the request, the answer in one sentence, the answer
//! itself with its reasons, obligations and notes and their citations, the regime pack and its sha256, the lists
//! screened with their versions and any hits with their judgements, who determined and recorded it and when, and
//! the audit entry that holds it. As Markdown, or as HTML that prints well on paper (the dashboard's "Print /
//! PDF" prints it).
//!
//! It reads the stored request and answer as JSON, so a memo can be written for any determination ever recorded,
//! whatever fields its answer had then.

use serde_json::Value;

use crate::document::{self, Block};

/// The audit entry that holds a recorded determination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRef {
    pub seq: u64,
    pub at: String,
    pub hash: String,
    pub prev_hash: String,
}

/// A note on the case, or a change of its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteRef {
    pub at: String,
    pub actor: String,
    /// The status the case moved to, for a change of status.
    pub status: Option<String>,
    pub text: String,
}

/// A recorded determination, as the memo reads it.
#[derive(Clone, Debug)]
pub struct Memo<'a> {
    pub id: &'a str,
    /// When it was recorded (RFC 3339) and by whom.
    pub at: &'a str,
    pub actor: &'a str,
    pub request: &'a Value,
    pub answer: &'a Value,
    pub audit: Option<AuditRef>,
    /// The case's status (`draft`, `approved`, `shipped`, `withdrawn`) and its history, oldest first.
    pub status: &'a str,
    pub notes: &'a [NoteRef],
}

impl Memo<'_> {
    fn blocks(&self) -> Vec<Block> {
        let (q, a) = (self.request, self.answer);
        let mut b = vec![Block::Title(format!("Export determination {}", self.id))];
        b.push(Block::Lead(text(&a["summary"]).unwrap_or_else(|| {
            "This determination was recorded before answers carried a summary: see the answer below.".to_owned()
        })));
        b.push(Block::Heading("The request".into()));
        let c = &q["consignee"];
        let mut facts = vec![
            ("Request id".to_owned(), self.id.to_owned()),
            ("Date of the export".to_owned(), show(&q["date"])),
            ("Item".to_owned(), item(&q["item"])),
            ("Quantity".to_owned(), show(&q["quantity"])),
            ("Destination".to_owned(), show(&q["destination"])),
        ];
        for (label, key) in [
            ("End use", &q["end_use"]),
            ("Transaction", &q["transaction"]),
            ("Consignee", &c["name"]),
            ("Consignee's headquarters", &c["headquarters"]),
            ("Ultimate parent", &c["ultimate_parent"]),
            ("Ultimate parent's headquarters", &c["ultimate_parent_headquarters"]),
        ] {
            if !key.is_null() {
                facts.push((label.to_owned(), show(key)));
            }
        }
        if !c["veu"].is_null() {
            facts.push(("VEU claimed".to_owned(), compact_json(&c["veu"])));
        }
        b.push(Block::Facts(facts));
        b.push(Block::Heading("The answer".into()));
        let cls = &a["classification"];
        let mut answer = vec![
            ("Authorization".to_owned(), show(&a["authorization"])),
            ("License required".to_owned(), if a["license_required"] == true { "yes" } else { "no" }.to_owned()),
            (
                "Review policy".to_owned(),
                text(&a["review_policy"]).map_or_else(|| "—".to_owned(), |p| p.replace('_', " ")),
            ),
            (
                "Tier".to_owned(),
                a["tier"].as_u64().map_or_else(|| "none (a regime without tiers)".to_owned(), |t| format!("Tier {t}")),
            ),
            ("ECCN".to_owned(), text(&cls["eccn"]).unwrap_or_else(|| "not controlled by this rule".to_owned())),
            ("TPP in all".to_owned(), show(&cls["tpp_total"])),
        ];
        let al = &a["allocation"];
        answer.push((
            "Allocation drawn".to_owned(),
            if al.is_null() {
                "none".to_owned()
            } else {
                format!(
                    "{} TPP from {} (cap {} TPP; {} TPP remaining after)",
                    show(&al["tpp"]),
                    show(&al["pool"]),
                    show(&al["cap_tpp"]),
                    show(&al["remaining_tpp"])
                )
            },
        ));
        b.push(Block::Facts(answer));
        for (title, key, none) in [
            ("Reasons", "reasons", "none"),
            ("Obligations", "obligations", "none: this authorization carries no obligation"),
            ("Notes", "notes", "none"),
        ] {
            b.push(Block::Heading(title.into()));
            let items = cited(&a[key]);
            if items.is_empty() {
                b.push(Block::Para(none.to_owned()));
            } else {
                b.push(Block::Cited(items));
            }
        }
        b.push(Block::Heading("The regime".into()));
        let r = &a["regime"];
        b.push(Block::Facts(vec![
            ("Timeline".to_owned(), text(&r["timeline"]).unwrap_or_else(|| "none (the pack was named)".to_owned())),
            ("Rule pack".to_owned(), format!("{} {}", show(&r["pack"]), show(&r["version"]))),
            ("Pack sha256".to_owned(), show(&r["sha256"])),
        ]));
        b.push(Block::Heading("Screening".into()));
        let s = &a["screening"];
        if s.is_null() {
            b.push(Block::Para("The parties were not screened against restricted-party lists.".into()));
        } else {
            let lists: Vec<String> = s["lists"].as_array().map(|l| l.iter().map(show).collect()).unwrap_or_default();
            let any_list = !lists.is_empty();
            if any_list {
                b.push(Block::Para("Screened against:".into()));
                b.push(Block::Items(lists));
            } else {
                b.push(Block::Para("No restricted-party list was imported: nothing was screened.".into()));
            }
            let screened: Vec<String> = s["screened"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .map(|x| format!("{} \"{}\"", show(&x["role"]).replace('_', " "), show(&x["name"])))
                        .collect()
                })
                .unwrap_or_default();
            if !screened.is_empty() {
                b.push(Block::Para(format!("Names screened: {}.", screened.join("; "))));
            }
            let hits: Vec<String> = s["hits"]
                .as_array()
                .map(|h| {
                    h.iter()
                        .map(|h| {
                            let judged = text(&h["judgement"]).map(|j| format!("; judged: {j}")).unwrap_or_default();
                            format!(
                                "{}: {} \"{}\" on {} (entry {}, score {}){judged}",
                                show(&h["decision"]),
                                show(&h["role"]).replace('_', " "),
                                show(&h["query"]),
                                show(&h["list"]),
                                show(&h["entry_id"]),
                                show(&h["score"])
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            if hits.is_empty() && any_list {
                b.push(Block::Para("No hit.".into()));
            } else if !hits.is_empty() {
                b.push(Block::Para("Hits:".into()));
                b.push(Block::Items(hits));
            }
        }
        b.push(Block::Heading("The record".into()));
        let rec = &a["recorded"];
        let mut record = vec![
            ("Determined and recorded by".to_owned(), self.actor.to_owned()),
            ("Recorded at".to_owned(), self.at.to_owned()),
        ];
        if !rec.is_null() {
            record.push((
                "Reservation".to_owned(),
                format!("{} {} in {}", show(&rec["status"]), text(&rec["id"]).unwrap_or_default(), show(&rec["pool"])),
            ));
        }
        match &self.audit {
            Some(e) => {
                record.push(("Audit entry".to_owned(), format!("#{} at {}", e.seq, e.at)));
                record.push(("Its hash".to_owned(), e.hash.clone()));
                record.push(("The hash before it".to_owned(), e.prev_hash.clone()));
            }
            None => record.push(("Audit entry".to_owned(), "not found in the audit log".to_owned())),
        }
        b.push(Block::Facts(record));
        b.push(Block::Heading("The case".into()));
        b.push(Block::Para(format!("Status: {}.", self.status)));
        if self.notes.is_empty() {
            b.push(Block::Para("No note or change of status has been recorded since.".into()));
        } else {
            b.push(Block::Items(
                self.notes
                    .iter()
                    .map(|n| {
                        let what = n.status.as_ref().map(|s| format!("moved to {s}")).unwrap_or_else(|| "note".into());
                        let text = if n.text.is_empty() { String::new() } else { format!(": {}", n.text) };
                        format!("{} by {}, {what}{text}", n.at, n.actor)
                    })
                    .collect(),
            ));
        }
        b.push(Block::Heading("The request as submitted".into()));
        b.push(Block::Code(serde_json::to_string_pretty(q).unwrap_or_default()));
        b
    }

    /// The memo as Markdown.
    pub fn markdown(&self) -> String {
        document::markdown(&self.blocks())
    }

    /// The memo as a standalone HTML page with a print stylesheet.
    pub fn html(&self) -> String {
        document::html(&format!("Export determination {}", self.id), &self.blocks())
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

/// A value for a person: strings bare, numbers grouped, null as a dash.
fn show(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_u64() {
            Some(u) => tiergate_core::units::group_digits(u).to_string(),
            None => n.to_string(),
        },
        other => compact_json(other),
    }
}

fn compact_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The item as requested: a catalog id, or what a spec sheet or model weights give.
fn item(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(o) if o.contains_key("model_weights") => {
            format!("model weights: {}", compact_json(&o["model_weights"]))
        }
        other => format!("specification: {}", compact_json(other)),
    }
}

/// `[{text, citation}]` as pairs.
fn cited(v: &Value) -> Vec<(String, String)> {
    v.as_array().map(|l| l.iter().map(|r| (show(&r["text"]), show(&r["citation"]))).collect()).unwrap_or_default()
}
