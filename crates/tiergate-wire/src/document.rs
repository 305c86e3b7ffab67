//! Documents written as Markdown or as HTML that prints well on paper, from one list of blocks: the memo of a
//! recorded determination and the VEU readiness report.

use std::fmt::Write as _;

/// One block of a document, written as Markdown or HTML alike.
pub(crate) enum Block {
    Title(String),
    /// The summary, set apart.
    Lead(String),
    Heading(String),
    Para(String),
    /// Rows of (label, value).
    Facts(Vec<(String, String)>),
    /// Numbered items, each with its citation.
    Cited(Vec<(String, String)>),
    Items(Vec<String>),
    Code(String),
    /// A table with a header row.
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

/// Blocks as Markdown.
pub(crate) fn markdown(blocks: &[Block]) -> String {
    let mut s = String::new();
    for block in blocks {
        match block {
            Block::Title(t) => {
                let _ = writeln!(s, "# {}\n", md(t));
            }
            Block::Lead(t) => {
                let _ = writeln!(s, "**{}**\n", md(t));
            }
            Block::Heading(t) => {
                let _ = writeln!(s, "## {}\n", md(t));
            }
            Block::Para(t) => {
                let _ = writeln!(s, "{}\n", md(t));
            }
            Block::Facts(rows) => {
                let _ = writeln!(s, "| | |\n|---|---|");
                for (k, v) in rows {
                    let _ = writeln!(s, "| {} | {} |", md(k), md(v));
                }
                s.push('\n');
            }
            Block::Cited(items) => {
                for (i, (t, c)) in items.iter().enumerate() {
                    let _ = writeln!(s, "{}. {} — *{}*", i + 1, md(t), md(c));
                }
                s.push('\n');
            }
            Block::Items(items) => {
                for t in items {
                    let _ = writeln!(s, "- {}", md(t));
                }
                s.push('\n');
            }
            Block::Table { head, rows } => {
                let _ = writeln!(s, "| {} |", head.iter().map(|h| md(h)).collect::<Vec<_>>().join(" | "));
                let _ = writeln!(s, "|{}", "---|".repeat(head.len()));
                for row in rows {
                    let _ = writeln!(s, "| {} |", row.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | "));
                }
                s.push('\n');
            }
            Block::Code(t) => {
                let _ = writeln!(s, "```json\n{}\n```", t.replace("```", "` ` `"));
            }
        }
    }
    s
}

/// Blocks as a standalone HTML page titled `title`, with a print stylesheet and a policy that runs nothing.
pub(crate) fn html(title: &str, blocks: &[Block]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
             <title>{}</title>\n<style>{STYLE}</style></head>\n<body><main>\n",
        esc(title)
    );
    for block in blocks {
        match block {
            Block::Title(t) => {
                let _ = writeln!(s, "<h1>{}</h1>", esc(t));
            }
            Block::Lead(t) => {
                let _ = writeln!(s, "<p class=\"lead\">{}</p>", esc(t));
            }
            Block::Heading(t) => {
                let _ = writeln!(s, "<h2>{}</h2>", esc(t));
            }
            Block::Para(t) => {
                let _ = writeln!(s, "<p>{}</p>", esc(t));
            }
            Block::Facts(rows) => {
                s.push_str("<table>");
                for (k, v) in rows {
                    let _ = write!(s, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>", esc(k), esc(v));
                }
                s.push_str("</table>\n");
            }
            Block::Cited(items) => {
                s.push_str("<ol>");
                for (t, c) in items {
                    let _ = write!(s, "<li>{} <cite>{}</cite></li>", esc(t), esc(c));
                }
                s.push_str("</ol>\n");
            }
            Block::Items(items) => {
                s.push_str("<ul>");
                for t in items {
                    let _ = write!(s, "<li>{}</li>", esc(t));
                }
                s.push_str("</ul>\n");
            }
            Block::Table { head, rows } => {
                s.push_str("<table class=\"grid\"><thead><tr>");
                for h in head {
                    let _ = write!(s, "<th scope=\"col\">{}</th>", esc(h));
                }
                s.push_str("</tr></thead><tbody>");
                for row in rows {
                    s.push_str("<tr>");
                    for c in row {
                        let _ = write!(s, "<td>{}</td>", esc(c));
                    }
                    s.push_str("</tr>");
                }
                s.push_str("</tbody></table>\n");
            }
            Block::Code(t) => {
                let _ = writeln!(s, "<pre>{}</pre>", esc(t));
            }
        }
    }
    s.push_str("</main></body></html>\n");
    s
}

/// Screen and paper: one column, serif body, citations in grey, no page break inside a table row or an item.
const STYLE: &str = "body{font:11pt/1.45 Georgia,'Times New Roman',serif;color:#111;margin:0}\
main{max-width:48em;margin:2em auto;padding:0 1em}h1{font-size:18pt;margin:0 0 .4em}\
h2{font-size:13pt;margin:1.4em 0 .4em;border-bottom:1px solid #999}\
.lead{font-size:12.5pt;font-weight:bold;border-left:4px solid #333;padding:.3em .8em;background:#f3f3f3}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.25em .5em;border-bottom:1px solid #ddd}\
th{width:16em;font-weight:normal;color:#444}cite{display:block;color:#555;font-size:9.5pt}\
li{margin:.3em 0}pre{font-size:8.5pt;white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:.6em}\
table.grid{font-size:9.5pt}table.grid th{width:auto;font-weight:bold;color:#111;border-bottom:1px solid #999}\
tr,li{break-inside:avoid}h2{break-after:avoid}\
@page{size:A4;margin:18mm 16mm}@media print{main{margin:0;max-width:none}.lead{background:none}}";

/// Text safe in a Markdown paragraph or table cell: no bar, no line break, no markup character taken as such.
fn md(t: &str) -> String {
    let mut s = String::with_capacity(t.len());
    for ch in t.chars() {
        match ch {
            '\n' | '\r' => s.push(' '),
            '|' | '*' | '_' | '`' | '<' | '>' | '[' | ']' | '\\' => {
                s.push('\\');
                s.push(ch);
            }
            c => s.push(c),
        }
    }
    s
}

/// Text safe in HTML.
fn esc(t: &str) -> String {
    let mut s = String::with_capacity(t.len());
    for ch in t.chars() {
        match ch {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            c => s.push(c),
        }
    }
    s
}
