//! RULE.md §4.1: when no license is required.

use super::*;

impl<'r, 'p> Eval<'r, 'p> {
    /// §4.1: not controlled for this destination.
    pub(super) fn nlr(&mut self) -> Option<Outcome> {
        let p = self.pack;
        let tx = self.req.transaction;
        match self.classification.control {
            Control::None => {
                let citation = self.reasons.last().map_or(p.requirements.a_class.citation.as_str(), |r| r.citation);
                self.because(citation, "the item is not controlled by this rule: no license required");
                Outcome::plain(Authorization::Nlr)
            }
            Control::ModelWeights => {
                let req = &p.requirements.model_weights;
                if !self.requirement_covers("the 4E091", req) {
                    return Outcome::plain(Authorization::Nlr);
                }
                self.because(
                    &p.requirements.model_weights.citation,
                    format!("4E091 model weights need a license for {} to every destination", tx.with_article()),
                );
                self.notes.push(Reason {
                    text: "deemed exports and reexports of 4E091 weights to permanent regular employees of an entity headquartered, or whose ultimate parent is headquartered, in Supp. No. 5(a) need no license; this request is not a deemed export, so that exemption was not assessed".into(),
                    citation: &req.citation,
                });
                None
            }
            Control::Hardware { class: ControlClass::A, .. } if !p.requirements.a_class_by_destination => {
                if !self.requirement_covers("the .a-class", &p.requirements.a_class) {
                    return Outcome::plain(Authorization::Nlr);
                }
                self.because(
                    &p.requirements.a_class.citation,
                    format!(".a-class items need a license for {} to or within every destination", tx.with_article()),
                );
                None
            }
            Control::Hardware { class: ControlClass::A, .. } => {
                let d = code(p, self.dest);
                let by_destination = p.requirements.a_class.covers(tx);
                let by_headquarters = p.requirements.a_class_headquarters.as_ref().filter(|s| s.covers(tx));
                let hq_listed = self.snap.a_class_headquarters.contains(self.hq)
                    || self.snap.a_class_headquarters.contains(self.parent);
                if by_destination && self.snap.a_class_destinations.contains(self.dest) {
                    self.because(&p.requirements.a_class.citation, format!(
                        ".a-class items need a license for {} to or within {d}: it is in D:1, D:4 or D:5 (or Macau) and not in A:5 or A:6",
                        tx.with_article()
                    ));
                    None
                } else if let Some(hq) =
                    by_headquarters.filter(|_| hq_listed && !self.snap.a_class_located_outside.contains(self.dest))
                {
                    self.because(&hq.citation, format!(
                        ".a-class items need a license for a consignee {} (Macau/D:5), wherever it is located: here {d}",
                        self.headquarters()
                    ));
                    None
                } else {
                    self.because(&p.requirements.a_class.citation, format!(
                        ".a-class items need a license only to or within D:1, D:4 or D:5 destinations (and Macau) not in A:5 or A:6, or for a consignee headquartered (or whose ultimate parent is) in Macau/D:5; {d} and this consignee are neither: no license required"
                    ));
                    Outcome::plain(Authorization::Nlr)
                }
            }
            Control::Hardware { class: ControlClass::B, .. } => {
                let d = code(p, self.dest);
                let by_destination = p.requirements.b_class_destinations.covers(tx);
                let by_headquarters = p.requirements.b_class_headquarters.covers(tx);
                let hq_listed = self.snap.b_class_headquarters.contains(self.hq)
                    || self.snap.b_class_headquarters.contains(self.parent);
                if by_destination && self.snap.b_class_destinations.contains(self.dest) {
                    let why = if self.snap.b_class_named.contains(p.canonical(self.dest)) {
                        "the requirement names it outright, whatever its country groups"
                    } else {
                        "it is in D:1, D:4 or D:5 and not in A:5 or A:6"
                    };
                    self.because(
                        &p.requirements.b_class_destinations.citation,
                        format!(".b-class items need a license for {} to or within {d}: {why}", tx.with_article()),
                    );
                    None
                } else if by_headquarters && hq_listed && !self.snap.b_class_located_outside.contains(self.dest) {
                    self.because(&p.requirements.b_class_headquarters.citation, format!(
                        ".b-class items need a license for a consignee {} (Macau/D:5), located in {d}, which is not among the D:1, D:4 and D:5 destinations outside A:5 and A:6",
                        self.headquarters()
                    ));
                    None
                } else {
                    self.because(&p.requirements.b_class_destinations.citation, format!(".b-class items need a license only to or within D:1, D:4 or D:5 destinations not in A:5 or A:6, or for a consignee headquartered (or whose ultimate parent is) in Macau/D:5 located elsewhere; {d} and this consignee are neither: no license required"));
                    Outcome::plain(Authorization::Nlr)
                }
            }
        }
    }
}
