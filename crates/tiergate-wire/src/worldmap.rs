//! A world map as standalone SVG, each country filled as the caller says (a choropleth), for reports a person can
//! open and file. The countries are `assets/world.json` (Natural Earth at 1:110m as TopoJSON, keyed by ISO
//! alpha-2; built by `data/build/world.py`), the same map the dashboard draws; the projection is equirectangular,
//! cut at 60° south (Antarctica is left out) and 85° north.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Deserialize;

use crate::chart::xml;

/// The countries as TopoJSON (served to the dashboard as `/assets/world.json`).
pub const WORLD_JSON: &str = include_str!("../assets/world.json");

const WIDTH: f64 = 960.0;
const TOP: f64 = 64.0;
const NORTH: f64 = 85.0;
const SOUTH: f64 = -60.0;
/// Countries the caller does not fill.
const BLANK: &str = "#e6e6e6";

/// How one country is filled.
#[derive(Clone, Debug)]
pub struct Fill {
    /// A colour (`#rrggbb`).
    pub colour: String,
    /// 0 (faint) to 1 (full).
    pub opacity: f64,
    /// The tooltip: what the country stands for on this map.
    pub title: String,
}

/// A choropleth: a title, the countries filled (by ISO code), and the legend's (colour, label) entries.
pub struct Choropleth<'a> {
    pub title: &'a str,
    pub fills: &'a HashMap<String, Fill>,
    pub legend: &'a [(&'a str, &'a str)],
    /// A line under the legend (how the opacity is read).
    pub note: &'a str,
}

#[derive(Deserialize)]
struct Topology {
    arcs: Vec<Vec<[i64; 2]>>,
    transform: Transform,
    objects: Objects,
}

#[derive(Deserialize)]
struct Transform {
    scale: [f64; 2],
    translate: [f64; 2],
}

#[derive(Deserialize)]
struct Objects {
    countries: Collection,
}

#[derive(Deserialize)]
struct Collection {
    geometries: Vec<Geometry>,
}

#[derive(Deserialize)]
struct Geometry {
    #[serde(rename = "type")]
    kind: String,
    /// Polygon: rings of arc indices; MultiPolygon: polygons of rings.
    arcs: serde_json::Value,
    id: Option<String>,
    properties: Option<Properties>,
}

#[derive(Deserialize)]
struct Properties {
    name: Option<String>,
}

/// The countries on the map: (ISO code, name, SVG path data).
fn shapes() -> Result<Vec<(String, String, String)>, String> {
    let topo: Topology = serde_json::from_str(WORLD_JSON).map_err(|e| format!("assets/world.json: {e}"))?;
    let height = plot_height();
    // Arcs are delta-encoded, quantized positions; decode each once into projected points.
    let arcs: Vec<Vec<(f64, f64)>> = topo
        .arcs
        .iter()
        .map(|arc| {
            let (mut x, mut y) = (0_i64, 0_i64);
            arc.iter()
                .map(|[dx, dy]| {
                    x += dx;
                    y += dy;
                    #[allow(clippy::cast_precision_loss)]
                    let lon = x as f64 * topo.transform.scale[0] + topo.transform.translate[0];
                    #[allow(clippy::cast_precision_loss)]
                    let lat = y as f64 * topo.transform.scale[1] + topo.transform.translate[1];
                    ((lon + 180.0) / 360.0 * WIDTH, TOP + (NORTH - lat.clamp(SOUTH, NORTH)) / (NORTH - SOUTH) * height)
                })
                .collect()
        })
        .collect();
    let ring = |indices: &serde_json::Value, d: &mut String| -> Result<(), String> {
        let indices = indices.as_array().ok_or("assets/world.json: a ring is not a list")?;
        let mut first = true;
        // A ring that crosses the antimeridian would be drawn across the whole map: its points are kept continuous
        // instead (shifted by the map's width), and the part beyond the edge falls outside the picture.
        let (mut shift, mut last_x) = (0.0_f64, None::<f64>);
        for i in indices {
            let i = i.as_i64().ok_or("assets/world.json: an arc index is not a number")?;
            // A negative index is the arc `!i` walked backwards.
            let (index, backwards) = if i >= 0 { (i, false) } else { (!i, true) };
            let arc = usize::try_from(index)
                .ok()
                .and_then(|k| arcs.get(k))
                .ok_or_else(|| format!("assets/world.json: no arc {index}"))?;
            let points: Box<dyn Iterator<Item = &(f64, f64)>> =
                if backwards { Box::new(arc.iter().rev()) } else { Box::new(arc.iter()) };
            for (k, (x, y)) in points.enumerate() {
                if k == 0 && !first {
                    continue; // each arc starts where the last ended
                }
                if let Some(last) = last_x {
                    let jump = x + shift - last;
                    if jump > WIDTH / 2.0 {
                        shift -= WIDTH;
                    } else if jump < -WIDTH / 2.0 {
                        shift += WIDTH;
                    }
                }
                let x = x + shift;
                last_x = Some(x);
                let _ = write!(d, "{}{x:.1},{y:.1}", if first && k == 0 { "M" } else { "L" });
            }
            first = false;
        }
        d.push('Z');
        Ok(())
    };
    let mut out = Vec::new();
    for g in &topo.objects.countries.geometries {
        let Some(id) = g.id.clone() else { continue };
        if id == "AQ" {
            continue; // below the map's southern edge
        }
        let name = g.properties.as_ref().and_then(|p| p.name.clone()).unwrap_or_else(|| id.clone());
        let mut d = String::new();
        let polygons: Vec<&serde_json::Value> = match g.kind.as_str() {
            "Polygon" => vec![&g.arcs],
            "MultiPolygon" => g.arcs.as_array().map(|a| a.iter().collect()).unwrap_or_default(),
            _ => continue,
        };
        for polygon in polygons {
            for r in polygon.as_array().ok_or("assets/world.json: a polygon is not a list of rings")? {
                ring(r, &mut d)?;
            }
        }
        out.push((id, name, d));
    }
    Ok(out)
}

fn plot_height() -> f64 {
    WIDTH * (NORTH - SOUTH) / 360.0
}

impl Choropleth<'_> {
    /// The map as SVG; countries the caller fills but the map has no shape for (small islands, city states) are
    /// returned beside it, for the report to list.
    pub fn svg(&self) -> Result<(String, Vec<String>), String> {
        let shapes = shapes()?;
        let height = TOP + plot_height() + 36.0;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" role="img" aria-label="{}">"#,
            xml(self.title)
        );
        let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
        let _ = writeln!(
            s,
            r##"<text x="16" y="24" font-family="sans-serif" font-size="15" fill="#1a1a1a">{}</text>"##,
            xml(self.title)
        );
        let mut lx = 16.0;
        for (colour, label) in self.legend {
            let _ = writeln!(s, r##"<rect x="{lx}" y="36" width="12" height="12" fill="{colour}"/>"##);
            let _ = writeln!(
                s,
                r##"<text x="{}" y="46" font-family="sans-serif" font-size="12" fill="#1a1a1a">{}</text>"##,
                lx + 16.0,
                xml(label)
            );
            #[allow(clippy::cast_precision_loss)]
            let width = 16.0 + 7.0 * label.chars().count() as f64 + 18.0;
            lx += width;
        }
        for (code, name, d) in &shapes {
            match self.fills.get(code) {
                Some(f) => {
                    let _ = writeln!(
                        s,
                        r##"<path d="{d}" fill="{}" fill-opacity="{:.2}" stroke="#ffffff" stroke-width="0.4" fill-rule="evenodd"><title>{}: {}</title></path>"##,
                        xml(&f.colour),
                        f.opacity.clamp(0.0, 1.0),
                        xml(name),
                        xml(&f.title)
                    );
                }
                None => {
                    let _ = writeln!(
                        s,
                        r##"<path d="{d}" fill="{BLANK}" stroke="#ffffff" stroke-width="0.4" fill-rule="evenodd"><title>{}</title></path>"##,
                        xml(name)
                    );
                }
            }
        }
        let _ = writeln!(
            s,
            r##"<text x="16" y="{:.0}" font-family="sans-serif" font-size="12" fill="#555555">{}</text>"##,
            height - 12.0,
            xml(self.note)
        );
        s.push_str("</svg>\n");
        let mut missing: Vec<String> =
            self.fills.keys().filter(|c| !shapes.iter().any(|(code, _, _)| code == *c)).cloned().collect();
        missing.sort();
        Ok((s, missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_country_of_the_map_is_drawn_and_filled_ones_carry_their_fill() {
        let mut fills = HashMap::new();
        fills.insert("DE".to_owned(), Fill { colour: "#0072b2".into(), opacity: 0.5, title: "Tier 1".into() });
        fills.insert("SG".to_owned(), Fill { colour: "#e69f00".into(), opacity: 1.0, title: "Tier 2".into() });
        let map = Choropleth { title: "t", fills: &fills, legend: &[("#0072b2", "Tier 1")], note: "n" };
        let (svg, missing) = map.svg().unwrap();
        let n = shapes().unwrap().len();
        assert!(n > 170, "{n} shapes");
        // No stroke runs across the map: a ring crossing the antimeridian (Russia, Fiji) stays continuous.
        for (code, _, d) in shapes().unwrap() {
            for ring in d.split('M') {
                let xs: Vec<f64> =
                    ring.split(['L', 'Z']).filter_map(|p| p.split(',').next().and_then(|x| x.parse().ok())).collect();
                assert!(xs.windows(2).all(|w| (w[1] - w[0]).abs() < WIDTH / 2.0), "{code} jumps across the map");
            }
        }
        assert_eq!(svg.matches("<path ").count(), n);
        assert!(svg.contains(r##"fill="#0072b2" fill-opacity="0.50""##));
        assert!(svg.contains("<title>Germany: Tier 1</title>"), "the filled country names itself");
        // Singapore has no shape at 1:110m: it is reported, not silently dropped.
        assert_eq!(missing, vec!["SG".to_owned()]);
    }
}
