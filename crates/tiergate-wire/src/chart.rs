//! Horizontal bar charts as standalone SVG: one row per label, one bar per series, an optional reference line
//! (a cap at 100 %), values written beside the bars. Reports embed them as files a person can open and file.

use std::fmt::Write as _;

/// Colours for up to four series, distinguishable with the common colour-vision deficiencies (Okabe–Ito).
pub const COLOURS: [&str; 4] = ["#0072b2", "#e69f00", "#009e73", "#cc79a7"];

/// A chart: rows of values, one per series.
pub struct BarChart<'a> {
    pub title: &'a str,
    /// The series' names, in the order of each row's values.
    pub series: &'a [&'a str],
    pub rows: Vec<(String, Vec<f64>)>,
    /// How a value is written beside its bar.
    pub format: fn(f64) -> String,
    /// A vertical line at this value (a cap), with its label.
    pub reference: Option<(f64, &'a str)>,
    /// The axis ends here: longer bars are drawn to it and end in an arrow, their value written beside them.
    pub clip: Option<f64>,
    /// What a missing value (NaN) says in place of a bar.
    pub missing: &'a str,
}

const LEFT: usize = 170;
const WIDTH: usize = 760;
const TOP: usize = 64;
const BAR: usize = 14;
const GAP: usize = 10;

impl BarChart<'_> {
    pub fn svg(&self) -> String {
        let n = self.series.len().max(1);
        let row_h = n * BAR + GAP;
        let rows = self.rows.len().max(1);
        let height = TOP + rows * row_h + 24;
        let plot = WIDTH - LEFT - 120;
        let max = self
            .rows
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .chain(self.reference.map(|(r, _)| r))
            .filter(|v| v.is_finite())
            .fold(0.0_f64, f64::max);
        let max = self.clip.map_or(max, |c| max.min(c));
        let max = if max > 0.0 { max } else { 1.0 };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
        let x = |v: f64| LEFT + ((v.clamp(0.0, max) / max) * plot as f64).round() as usize;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="title">"##
        );
        let _ = writeln!(s, r##"<title id="title">{}</title>"##, xml(self.title));
        let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
        let _ = writeln!(
            s,
            r##"<text x="16" y="24" font-family="sans-serif" font-size="15" fill="#1a1a1a">{}</text>"##,
            xml(self.title)
        );
        let mut lx = 16;
        for (i, name) in self.series.iter().enumerate() {
            let colour = colour(i);
            let _ = writeln!(s, r##"<rect x="{lx}" y="36" width="12" height="12" fill="{colour}"/>"##);
            let _ = writeln!(
                s,
                r##"<text x="{}" y="46" font-family="sans-serif" font-size="12" fill="#1a1a1a">{}</text>"##,
                lx + 16,
                xml(name)
            );
            lx += 24 + 7 * name.chars().count();
        }
        if self.rows.is_empty() {
            let _ = writeln!(
                s,
                r##"<text x="{LEFT}" y="{}" font-family="sans-serif" font-size="13" fill="#555555">Nothing to show.</text>"##,
                TOP + 14
            );
        }
        for (r, (label, values)) in self.rows.iter().enumerate() {
            let y0 = TOP + r * row_h;
            let _ = writeln!(
                s,
                r##"<text x="{}" y="{}" text-anchor="end" font-family="sans-serif" font-size="12" fill="#1a1a1a">{}</text>"##,
                LEFT - 8,
                y0 + (n * BAR) / 2 + 4,
                xml(label)
            );
            for (i, v) in values.iter().enumerate() {
                let y = y0 + i * BAR;
                if v.is_nan() {
                    let _ = writeln!(
                        s,
                        r##"<text x="{}" y="{}" font-family="sans-serif" font-size="11" fill="#555555">{}</text>"##,
                        LEFT + 4,
                        y + BAR - 4,
                        xml(self.missing)
                    );
                    continue;
                }
                let w = x(*v) - LEFT;
                let colour = colour(i);
                let clipped = *v > max;
                let text = format!("{}{}", (self.format)(*v), if clipped { " ▶" } else { "" });
                let series = self.series.get(i).copied().unwrap_or_default();
                let _ = writeln!(
                    s,
                    r##"<rect x="{LEFT}" y="{y}" width="{}" height="{}" fill="{colour}"><title>{}, {}: {}</title></rect>"##,
                    w.max(1),
                    BAR - 2,
                    xml(label),
                    xml(series),
                    xml(&text)
                );
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{}" font-family="sans-serif" font-size="11" fill="#1a1a1a">{}</text>"##,
                    LEFT + w.max(1) + 4,
                    y + BAR - 4,
                    xml(&text)
                );
            }
        }
        if let Some((value, label)) = self.reference {
            let rx = x(value);
            let bottom = TOP + rows * row_h;
            let _ = writeln!(
                s,
                r##"<line x1="{rx}" y1="{}" x2="{rx}" y2="{bottom}" stroke="#d55e00" stroke-width="2" stroke-dasharray="5 3"/>"##,
                TOP - 6
            );
            let _ = writeln!(
                s,
                r##"<text x="{rx}" y="{}" text-anchor="middle" font-family="sans-serif" font-size="11" fill="#d55e00">{}</text>"##,
                bottom + 16,
                xml(label)
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

fn colour(i: usize) -> &'static str {
    COLOURS.get(i % COLOURS.len()).copied().unwrap_or("#0072b2")
}

pub fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A TPP figure in millions, like `31.7M`.
pub fn millions(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else {
        format!("{v:.0}")
    }
}

/// A share as a percentage, like `44 %`.
pub fn percent(v: f64) -> String {
    format!("{:.0} %", v * 100.0)
}

/// A count.
pub fn count(v: f64) -> String {
    format!("{v:.0}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_escapes_labels_and_draws_a_bar_per_value() {
        let c = BarChart {
            title: "A & B",
            series: &["before", "after"],
            rows: vec![("<PL>".into(), vec![1.0, 2.0]), ("IN".into(), vec![0.0, 4.0])],
            format: count,
            reference: Some((3.0, "cap")),
            clip: None,
            missing: "none",
        };
        let svg = c.svg();
        assert!(svg.contains("A &amp; B") && svg.contains("&lt;PL&gt;"));
        assert_eq!(svg.matches("<rect x=\"170\"").count(), 4);
        assert!(svg.contains("<line"));
    }
}
