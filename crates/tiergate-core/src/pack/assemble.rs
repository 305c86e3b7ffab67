//! The whole pack from its raw shape: sections in the order of the file, each value checked by the builder.

use std::collections::HashMap;
use std::sync::Arc;

use time::Date;

use super::model::*;
use super::raw::*;
use super::values::*;
use super::{Pack, SCHEMA};
use crate::country::{Countries, CountrySet};
use crate::units::Bandwidth;
use crate::DataError;

impl Builder<'_> {
    /// A headquarters requirement's sets: the headquarters that bring it, and where a consignee must be located
    /// for it to apply (`located_outside` less `located_outside_except`), for the .a- and .b-class alike.
    fn headquarters_sets(
        &self,
        key: &str,
        h: &RawBHeadquarters,
        index: &HashMap<&str, usize>,
        groups: &[CountrySet],
    ) -> Result<(CountrySet, CountrySet), DataError> {
        let hq = self.group_set(&format!("{key}.groups"), &h.groups, index, groups)?;
        let out = self.group_set(&format!("{key}.located_outside"), &h.located_outside, index, groups)?;
        let except =
            self.group_set(&format!("{key}.located_outside_except"), &h.located_outside_except, index, groups)?;
        Ok((hq, out.minus(&except)))
    }

    /// A confidence and its `otherwise`: both absent (primary), or a lesser confidence with what would change.
    fn doubt(
        &self,
        key: &str,
        confidence: Option<&str>,
        otherwise: Option<&str>,
    ) -> Result<Option<(Confidence, String)>, DataError> {
        let c = match confidence {
            Some(c) => self.confidence(&format!("{key}.confidence"), c)?,
            None => Confidence::Primary,
        };
        match (c, otherwise) {
            (Confidence::Primary, None) => Ok(None),
            (Confidence::Primary, Some(_)) => {
                Err(self.err(&format!("{key}.otherwise"), "is only for what is marked secondary or unconfirmed"))
            }
            (_, None) => Err(self.err(
                &format!("{key}.otherwise"),
                "is required for what is not primary: say what would change if it were otherwise",
            )),
            (c, Some(o)) => Ok(Some((c, self.text(&format!("{key}.otherwise"), o)?))),
        }
    }

    #[allow(clippy::too_many_lines)]
    pub(super) fn build(&self, raw: RawPack, countries: Arc<Countries>) -> Result<Pack, DataError> {
        if raw.schema != SCHEMA {
            return Err(self.err("schema", format!("is {}, this build reads schema {SCHEMA}", raw.schema)));
        }
        let id = self.text("pack.id", &raw.pack.id)?;
        if !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err(self.err("pack.id", format!("`{id}` must use only lower-case letters, digits and `-`")));
        }

        // Dates.
        let effective = self.cited_date("dates.effective", &raw.dates.effective)?;
        let compliance = self.cited_date("dates.compliance", &raw.dates.compliance)?;
        let security_compliance = self.cited_date("dates.security_compliance", &raw.dates.security_compliance)?;
        if compliance.value < effective.value {
            return Err(self.err("dates.compliance", "is before dates.effective"));
        }
        if security_compliance.value < effective.value {
            return Err(self.err("dates.security_compliance", "is before dates.effective"));
        }
        let regime = match &raw.regime {
            Some(r) => RegimeTraits {
                tiers: r.tiers,
                allocations: r.allocations,
                model_weights: r.model_weights,
                citation: self.text("regime.citation", &r.citation)?,
            },
            None => RegimeTraits {
                tiers: true,
                allocations: true,
                model_weights: true,
                citation: self.text("pack.citation", &raw.pack.citation)?,
            },
        };
        if regime.allocations && !regime.tiers {
            return Err(
                self.err("regime.allocations", "country allocations are Tier 2's: a regime without tiers has none")
            );
        }
        let mut changes_text = Vec::new();
        for (i, c) in raw.pack.changes.iter().enumerate() {
            changes_text.push(self.text(&format!("pack.changes[{i}]"), c)?);
        }
        let mut status = Vec::new();
        for (i, s) in raw.status.iter().enumerate() {
            let key = format!("status[{i}]");
            status.push(StatusNote {
                from: self.date(&format!("{key}.from"), &s.from)?,
                text: self.text(&format!("{key}.text"), &s.text)?,
                citation: self.text(&format!("{key}.citation"), &s.citation)?,
            });
        }

        // Groups and their dated changes.
        let mut group_names = Vec::new();
        let mut group_titles = Vec::new();
        let mut group_labels = Vec::new();
        let mut base = Vec::new();
        for (name, g) in &raw.groups {
            let key = format!("groups.\"{name}\"");
            let mut set = CountrySet::default();
            for code in &g.members {
                let c = self.country(&format!("{key}.members"), code)?;
                if set.contains(c) {
                    return Err(self.err(&format!("{key}.members"), format!("`{code}` is listed twice")));
                }
                set.insert(c);
            }
            group_names.push(name.clone());
            group_labels.push(self.text(&format!("{key}.label"), &g.label)?);
            group_titles.push(Cited {
                value: self.text(&format!("{key}.title"), &g.title)?,
                citation: self.text(&format!("{key}.citation"), &g.citation)?,
            });
            base.push(set);
        }
        let index: HashMap<&str, usize> = group_names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let mut changes = Vec::new();
        let mut uncertain_changes = Vec::new();
        for (i, ch) in raw.group_changes.iter().enumerate() {
            let key = format!("group_changes[{i}]");
            let date = self.date(&format!("{key}.date"), &ch.date)?;
            let g = *index
                .get(ch.group.as_str())
                .ok_or_else(|| self.err(&format!("{key}.group"), format!("names unknown group `{}`", ch.group)))?;
            let add = ch.add.iter().map(|c| self.country(&format!("{key}.add"), c)).collect::<Result<Vec<_>, _>>()?;
            let remove =
                ch.remove.iter().map(|c| self.country(&format!("{key}.remove"), c)).collect::<Result<Vec<_>, _>>()?;
            if add.is_empty() && remove.is_empty() {
                return Err(self.err(&key, "changes nothing: give `add` or `remove`"));
            }
            let citation = self.text(&format!("{key}.citation"), &ch.citation)?;
            let doubt = self.doubt(&key, ch.confidence.as_deref(), ch.otherwise.as_deref())?;
            if doubt.is_none() && ch.noted_from.is_some() {
                return Err(
                    self.err(&format!("{key}.noted_from"), "is only for a change marked secondary or unconfirmed")
                );
            }
            if let Some((confidence, otherwise)) = doubt {
                let mut countries = CountrySet::default();
                for c in add.iter().chain(&remove) {
                    countries.insert(*c);
                }
                let from = match &ch.noted_from {
                    Some(d) => self.date(&format!("{key}.noted_from"), d)?,
                    None => date,
                };
                if from > date {
                    return Err(self.err(&format!("{key}.noted_from"), "is after the change's date"));
                }
                uncertain_changes.push(UncertainChange { from, date, countries, confidence, otherwise, citation });
            }
            changes.push((date, g, add, remove));
        }
        changes.sort_by_key(|c| c.0);

        // Tiers and the license-requirement sets, per snapshot.
        let derive = |from: Option<Date>, groups: Vec<CountrySet>| -> Result<Snapshot, DataError> {
            let lr = &raw.license_requirement;
            // Without tiers, tier 3's groups are the presumption-of-denial class; nothing is tier 1 or assured.
            let mut tier1 = self.group_set("tiers.tier1.groups", &raw.tiers.tier1.groups, &index, &groups)?;
            let tier3 = self.group_set("tiers.tier3.groups", &raw.tiers.tier3.groups, &index, &groups)?;
            let mut assurances =
                self.group_set("tiers.assurances.groups", &raw.tiers.assurances.groups, &index, &groups)?;
            if !regime.tiers {
                tier1 = CountrySet::default();
                assurances = CountrySet::default();
            }
            let b_dest = self.group_set(
                "license_requirement.b_class_destinations.groups",
                &lr.b_class_destinations.groups,
                &index,
                &groups,
            )?;
            let b_except = self.group_set(
                "license_requirement.b_class_destinations.except",
                &lr.b_class_destinations.except,
                &index,
                &groups,
            )?;
            let b_named = self.group_set(
                "license_requirement.b_class_destinations.named",
                &lr.b_class_destinations.named,
                &index,
                &groups,
            )?;
            let (b_hq, b_out) = self.headquarters_sets(
                "license_requirement.b_class_headquarters",
                &lr.b_class_headquarters,
                &index,
                &groups,
            )?;
            let aca_within =
                self.group_set("aca_transfers_within.groups", &raw.aca_transfers_within.groups, &index, &groups)?;
            let a_dest = match &lr.a_class.groups {
                Some(g) => self.group_set("license_requirement.a_class.groups", g, &index, &groups)?,
                None => CountrySet::default(),
            };
            let a_except = self.group_set("license_requirement.a_class.except", &lr.a_class.except, &index, &groups)?;
            let (a_hq, a_out) = match &lr.a_class_headquarters {
                Some(h) => self.headquarters_sets("license_requirement.a_class_headquarters", h, &index, &groups)?,
                None => (CountrySet::default(), CountrySet::default()),
            };
            let china = match &raw.china_review {
                Some(c) => {
                    self.group_set("china_review.destinations.groups", &c.destinations.groups, &index, &groups)?
                }
                None => CountrySet::default(),
            };
            Ok(Snapshot {
                from,
                groups,
                tier1,
                tier3,
                assurances,
                b_class_destinations: b_dest.minus(&b_except).union(&b_named),
                b_class_named: b_named,
                b_class_headquarters: b_hq,
                b_class_located_outside: b_out,
                aca_transfers_within: aca_within,
                a_class_destinations: a_dest.minus(&a_except),
                a_class_headquarters: a_hq,
                a_class_located_outside: a_out,
                china_review: china,
            })
        };
        let veu_eligibility = VeuEligibility {
            uveu_headquarters: self.group_ref("veu.uveu_headquarters", &raw.veu.uveu_headquarters, &index)?,
            nveu_excluded: self.group_ref("veu.nveu_excluded", &raw.veu.nveu_excluded, &index)?,
        };
        let mut snapshots = vec![derive(None, base.clone())?];
        let mut current = base;
        for (date, g, add, remove) in &changes {
            if let Some(set) = current.get_mut(*g) {
                for c in add {
                    set.insert(*c);
                }
                for c in remove {
                    set.remove(*c);
                }
            }
            snapshots.push(derive(Some(*date), current.clone())?);
        }
        for (i, s) in snapshots.iter().enumerate() {
            if let Some(c) = self.countries.iter().find(|c| s.tier1.contains(*c) && s.tier3.contains(*c)) {
                let when = if i == 0 { "in the base groups".to_owned() } else { format!("from {:?}", s.from) };
                return Err(
                    self.err("tiers", format!("`{}` is in both tier 1 and tier 3 {when}", self.countries.code(c)))
                );
            }
        }

        let mut treated_as = vec![None; self.countries.len()];
        for (code, t) in &raw.treated_as {
            let key = format!("treated_as.{code}");
            let from = self.country(&key, code)?;
            let to = self.country(&format!("{key}.as"), &t.as_)?;
            if from == to {
                return Err(self.err(&key, "treats a country as itself"));
            }
            if raw.treated_as.contains_key(&t.as_) {
                return Err(self.err(&format!("{key}.as"), format!("`{}` is itself treated as another country", t.as_)));
            }
            let confidence = self.confidence(&format!("{key}.confidence"), &t.confidence)?;
            if let Some(slot) = treated_as.get_mut(from.index()) {
                *slot =
                    Some(TreatedAs { to, confidence, citation: self.text(&format!("{key}.citation"), &t.citation)? });
            }
        }
        let mut dependencies = vec![None; self.countries.len()];
        for (code, d) in &raw.dependencies {
            let key = format!("dependencies.{code}");
            let c = self.country(&key, code)?;
            let of = self.country(&format!("{key}.of"), &d.of)?;
            if c == of {
                return Err(self.err(&format!("{key}.of"), "names the dependency itself"));
            }
            if raw.treated_as.contains_key(code) {
                return Err(self.err(
                    &key,
                    "is also under treated_as: a dependency is either a destination of its own or read as another",
                ));
            }
            let confidence = self.confidence(&format!("{key}.confidence"), &d.confidence)?;
            if let Some(slot) = dependencies.get_mut(c.index()) {
                *slot =
                    Some(Dependency { of, confidence, citation: self.text(&format!("{key}.citation"), &d.citation)? });
            }
        }
        let united_states = Cited {
            value: self.country("united_states.country", &raw.united_states.country)?,
            citation: self.text("united_states.citation", &raw.united_states.citation)?,
        };
        if raw.treated_as.contains_key(&raw.united_states.country) {
            return Err(self.err("united_states.country", "is itself treated as another country"));
        }
        let mut scopes_raw: HashMap<&str, &RawScope> = HashMap::new();
        for (name, s) in &raw.scope {
            if !Scopes::KEYS.contains(&name.as_str()) {
                return Err(self.err(
                    &format!("scope.{name}"),
                    format!("is not an authorization (known: {})", Scopes::KEYS.join(", ")),
                ));
            }
            scopes_raw.insert(name.as_str(), s);
        }
        let scope_of = |name: &str| -> Result<Scope, DataError> {
            let s = scopes_raw.get(name).ok_or_else(|| self.err(&format!("scope.{name}"), "is missing"))?;
            self.scope(&format!("scope.{name}"), &s.transactions, &s.quote, &s.citation)
        };
        let scopes = Scopes {
            aia: scope_of("AIA")?,
            nac: scope_of("NAC")?,
            aca: scope_of("ACA")?,
            acm: scope_of("ACM")?,
            lpp: scope_of("LPP")?,
            uveu: scope_of("UVEU")?,
            nveu: scope_of("NVEU")?,
        };
        let lreq = &raw.license_requirement;
        match (&lreq.a_class.groups, lreq.a_class.except.is_empty(), &lreq.a_class_headquarters) {
            (Some(g), _, _) if g.is_empty() => {
                return Err(self.err(
                    "license_requirement.a_class.groups",
                    "names no group (leave it out for a worldwide requirement)",
                ))
            }
            (None, false, _) => {
                return Err(self.err(
                    "license_requirement.a_class.except",
                    "needs `groups`: a worldwide requirement excepts nothing",
                ))
            }
            (None, _, Some(_)) => {
                return Err(self.err(
                    "license_requirement.a_class_headquarters",
                    "adds nothing to a worldwide .a-class requirement: give license_requirement.a_class.groups",
                ))
            }
            _ => {}
        }
        let requirements = Requirements {
            a_class: self.scope(
                "license_requirement.a_class",
                &lreq.a_class.transactions,
                &lreq.a_class.quote,
                &lreq.a_class.citation,
            )?,
            a_class_by_destination: lreq.a_class.groups.is_some(),
            a_class_headquarters: match &lreq.a_class_headquarters {
                Some(h) => Some(self.scope(
                    "license_requirement.a_class_headquarters",
                    &h.transactions,
                    &h.quote,
                    &h.citation,
                )?),
                None => None,
            },
            model_weights: self.scope(
                "license_requirement.model_weights",
                &lreq.model_weights.transactions,
                &lreq.model_weights.quote,
                &lreq.model_weights.citation,
            )?,
            b_class_destinations: self.scope(
                "license_requirement.b_class_destinations",
                &lreq.b_class_destinations.transactions,
                &lreq.b_class_destinations.quote,
                &lreq.b_class_destinations.citation,
            )?,
            b_class_headquarters: self.scope(
                "license_requirement.b_class_headquarters",
                &lreq.b_class_headquarters.transactions,
                &lreq.b_class_headquarters.quote,
                &lreq.b_class_headquarters.citation,
            )?,
        };
        let aca_transfers_within_citation =
            self.text("aca_transfers_within.citation", &raw.aca_transfers_within.citation)?;

        // Classification thresholds.
        let c = &raw.classification;
        let thresholds = Thresholds {
            a_tpp: self.tpp("classification.a_tpp", &c.a_tpp)?,
            a_pd_min_tpp: self.tpp("classification.a_pd_min_tpp", &c.a_pd_min_tpp)?,
            a_pd: self.density("classification.a_pd", &c.a_pd)?,
            b1_tpp: self.tpp("classification.b1_tpp", &c.b1_tpp)?,
            b1_pd: self.density("classification.b1_pd", &c.b1_pd)?,
            b2_tpp: self.tpp("classification.b2_tpp", &c.b2_tpp)?,
            b2_pd: self.density("classification.b2_pd", &c.b2_pd)?,
            non_datacenter_tpp: self.tpp("classification.non_datacenter_tpp", &c.non_datacenter_tpp)?,
            computer_citation: self.text("classification.computer.citation", &c.computer.citation)?,
            tpp_definition_citation: self.text("classification.tpp_definition.citation", &c.tpp_definition.citation)?,
            h100_tpp: self.tpp("classification.h100_tpp", &c.h100_tpp)?,
        };
        if thresholds.b1_tpp.value >= thresholds.a_tpp.value {
            return Err(self.err("classification.b1_tpp", "must be below classification.a_tpp"));
        }
        if thresholds.b1_pd.value >= thresholds.a_pd.value || thresholds.b2_pd.value >= thresholds.a_pd.value {
            return Err(self.err("classification.b1_pd", "the .b densities must be below classification.a_pd"));
        }

        let m = &raw.model_weights;
        let model_weights = ModelWeightRules {
            training_operations: self.operations("model_weights.training_operations", &m.training_operations)?,
            most_capable_published_operations: self
                .operations("model_weights.most_capable_published_operations", &m.most_capable_published_operations)?,
            published_citation: self.text("model_weights.published.citation", &m.published.citation)?,
            derived_additional_operations: self
                .operations("model_weights.derived_additional_operations", &m.derived_additional_operations)?,
            derived_additional_operations_other: match m.derived_additional_operations.other {
                Some(x) if x.is_finite() && x > 0.0 && x != m.derived_additional_operations.value => x,
                Some(x) => {
                    return Err(self.err(
                        "model_weights.derived_additional_operations.other",
                        format!("{x} is not a positive number of operations other than `value`"),
                    ))
                }
                None => {
                    return Err(self.err(
                        "model_weights.derived_additional_operations.other",
                        "is required: the value under the other reading of R3",
                    ))
                }
            },
            derived_additional_percent: self.percent(
                "model_weights.derived_additional_percent",
                &m.derived_additional_percent,
                100,
            )?,
        };
        if m.derived_additional_operations.reading.as_deref() != Some("R3") {
            return Err(self.err("model_weights.derived_additional_operations.reading", "must be `R3`"));
        }
        if m.training_operations.reading.is_some() {
            return Err(self.err("model_weights.training_operations.reading", "is not a reading"));
        }

        let allocation = AllocationRules {
            country_tpp: self.positive("allocation.country_tpp", &raw.allocation.country_tpp)?,
            period_from: self.date("allocation.period.from", &raw.allocation.period.from)?,
            period_to: self.date("allocation.period.to", &raw.allocation.period.to)?,
            period_citation: self.text("allocation.period.citation", &raw.allocation.period.citation)?,
            assurance_percent: self.percent("allocation.assurance_percent", &raw.allocation.assurance_percent, 1000)?,
        };
        if allocation.period_to < allocation.period_from {
            return Err(self.err("allocation.period.to", "is before allocation.period.from"));
        }
        if allocation.assurance_percent.value < 100 {
            return Err(
                self.err("allocation.assurance_percent", "must be at least 100 (it can only raise an allocation)")
            );
        }

        let mut quarters = Vec::new();
        for (i, q) in raw.nveu.schedule.iter().enumerate() {
            let key = format!("nveu.schedule[{i}]");
            let quarter = parse_quarter(&q.quarter).ok_or_else(|| {
                self.err(&format!("{key}.quarter"), format!("`{}` is not a quarter like `2025Q1`", q.quarter))
            })?;
            if let Some((prev_q, prev_tpp)) = quarters.last() {
                if quarter <= *prev_q {
                    return Err(self.err(&format!("{key}.quarter"), "quarters must be in increasing order"));
                }
                if q.tpp < *prev_tpp {
                    return Err(self.err(&format!("{key}.tpp"), "a cumulative schedule cannot decrease"));
                }
            }
            if q.tpp == 0 {
                return Err(self.err(&format!("{key}.tpp"), "must be positive"));
            }
            quarters.push((quarter, q.tpp));
        }
        if quarters.is_empty() {
            return Err(self.err("nveu.schedule", "must list at least one quarter"));
        }
        let nveu = NveuSchedule {
            citation: self.text("nveu.citation", &raw.nveu.citation)?,
            quarters,
            hold_after: self.choice(
                "nveu.after_schedule",
                &raw.nveu.after_schedule,
                &[("hold", true), ("none", false)],
            )?,
        };

        let uveu = UveuRules {
            outside_tier1_max_percent: self.percent(
                "uveu.outside_tier1_max_percent",
                &raw.uveu.outside_tier1_max_percent,
                100,
            )?,
            single_country_max_percent: self.percent(
                "uveu.single_country_max_percent",
                &raw.uveu.single_country_max_percent,
                100,
            )?,
            outside_us_max_percent: self.percent(
                "uveu.outside_us_max_percent",
                &raw.uveu.outside_us_max_percent,
                100,
            )?,
            united_states: united_states.value,
        };

        // Readings.
        let r = &raw.readings;
        let mut docs = Vec::new();
        let before_effective_date = self.choice(
            "readings.before_effective_date.value",
            &r.before_effective_date.value,
            &[("error", BeforeEffective::Error), ("determine", BeforeEffective::Determine)],
        )?;
        self.reading(
            "before_effective_date",
            &r.before_effective_date,
            "R1",
            r.before_effective_date.value.clone(),
            &mut docs,
        )?;
        let before_compliance_date = self.choice(
            "readings.before_compliance_date.value",
            &r.before_compliance_date.value,
            &[("note", BeforeCompliance::Note), ("not_required", BeforeCompliance::NotRequired)],
        )?;
        self.reading(
            "before_compliance_date",
            &r.before_compliance_date,
            "R2",
            r.before_compliance_date.value.clone(),
            &mut docs,
        )?;
        docs.push(ReadingDoc {
            key: "model_weights.derived_additional_operations",
            reading: "R3".into(),
            value: m.derived_additional_operations.value.to_string(),
            options: Vec::new(),
            text: "additional training operations above which a model derived from a published one is controlled (with the percentage of the base model's operations, whichever is higher)".into(),
        });
        let mut order = Vec::new();
        for name in &r.authorization_order.value {
            let step = Step::ALL.iter().copied().find(|s| s.as_str() == name).ok_or_else(|| {
                self.err(
                    "readings.authorization_order.value",
                    format!("`{name}` is not one of NLR, AIA, ACA, ACM, VEU, LPP, LICENSE"),
                )
            })?;
            if order.contains(&step) {
                return Err(self.err("readings.authorization_order.value", format!("`{name}` is listed twice")));
            }
            order.push(step);
        }
        // The framework's own channels (AIA, ACM, VEU, LPP) exist only in a regime with tiers.
        let framework_only = [Step::Aia, Step::Acm, Step::Veu, Step::Lpp];
        let wanted: Vec<Step> = Step::ALL.into_iter().filter(|s| regime.tiers || !framework_only.contains(s)).collect();
        if let Some(s) = order.iter().find(|s| !wanted.contains(s)) {
            return Err(self.err(
                "readings.authorization_order.value",
                format!("lists `{}`, a channel of the framework's tiers, which this regime does not have (regime.tiers = false)", s.as_str()),
            ));
        }
        if order.len() != wanted.len() {
            let names: Vec<&str> = wanted.iter().map(|s| s.as_str()).collect();
            return Err(
                self.err("readings.authorization_order.value", format!("must list each of {} once", names.join(", ")))
            );
        }
        if order.first() != Some(&Step::Nlr) || order.last() != Some(&Step::License) {
            return Err(self.err("readings.authorization_order.value", "must start with NLR and end with LICENSE"));
        }
        self.reading(
            "authorization_order",
            &r.authorization_order,
            "R4",
            r.authorization_order.value.join(","),
            &mut docs,
        )?;
        let lpp_limit_test = self.choice(
            "readings.lpp_limit_test.value",
            &r.lpp_limit_test.value,
            &[("after_shipment", LppLimitTest::AfterShipment), ("before_shipment", LppLimitTest::BeforeShipment)],
        )?;
        self.reading("lpp_limit_test", &r.lpp_limit_test, "R5", r.lpp_limit_test.value.clone(), &mut docs)?;
        let allocation_test = self.choice(
            "readings.allocation_test.value",
            &r.allocation_test.value,
            &[("after_request", AllocationTest::AfterRequest), ("before_request", AllocationTest::BeforeRequest)],
        )?;
        self.reading("allocation_test", &r.allocation_test, "R6", r.allocation_test.value.clone(), &mut docs)?;
        let allocation_pool = self.choice(
            "readings.allocation_pool.value",
            &r.allocation_pool.value,
            &[("destination", AllocationPool::Destination), ("headquarters", AllocationPool::Headquarters)],
        )?;
        self.reading("allocation_pool", &r.allocation_pool, "R7", r.allocation_pool.value.clone(), &mut docs)?;
        let reporting_threshold = self.choice(
            "readings.reporting_threshold.value",
            &r.reporting_threshold.value,
            &[("at_least", ReportingThreshold::AtLeast), ("more_than", ReportingThreshold::MoreThan)],
        )?;
        self.reading(
            "reporting_threshold",
            &r.reporting_threshold,
            "R8",
            r.reporting_threshold.value.clone(),
            &mut docs,
        )?;
        self.reading("nac_for_tier3", &r.nac_for_tier3, "R9", r.nac_for_tier3.value.to_string(), &mut docs)?;
        let supp5a_headquarters_in_tier2 = self.choice(
            "readings.supp5a_headquarters_in_tier2.value",
            &r.supp5a_headquarters_in_tier2.value,
            &[("allocation", Supp5aHeadquarters::Allocation), ("approval", Supp5aHeadquarters::Approval)],
        )?;
        self.reading(
            "supp5a_headquarters_in_tier2",
            &r.supp5a_headquarters_in_tier2,
            "R10",
            r.supp5a_headquarters_in_tier2.value.clone(),
            &mut docs,
        )?;
        let readings = Readings {
            before_effective_date,
            before_compliance_date,
            authorization_order: order,
            lpp_limit_test,
            allocation_test,
            allocation_pool,
            reporting_threshold,
            nac_for_tier3: r.nac_for_tier3.value,
            supp5a_headquarters_in_tier2,
            docs,
        };

        let aia_certification_report_tpp =
            self.whole_tpp("aia.certification_report_tpp", &raw.aia.certification_report_tpp)?;
        let nac_notice_days = self.positive("aca.nac_notice_days", &raw.aca.nac_notice_days)?;
        let lpp_annual_limit_tpp = self.whole_tpp("lpp.annual_limit_tpp", &raw.lpp.annual_limit_tpp)?;
        let license_validity_months = self.positive("license.validity_months", &raw.license.validity_months)?;
        if license_validity_months.value > 120 {
            return Err(self.err("license.validity_months", "is more than ten years"));
        }
        let lpp_pre_shipment_notice_tpp =
            self.whole_tpp("lpp.pre_shipment_notice_tpp", &raw.lpp.pre_shipment_notice_tpp)?;

        let mut not_assessed = Vec::new();
        for (i, n) in raw.not_assessed.iter().enumerate() {
            let key = format!("not_assessed[{i}]");
            not_assessed.push(NotAssessed {
                applies_to: self.choice(
                    &format!("{key}.applies_to"),
                    &n.applies_to,
                    &[("hardware", AppliesTo::Hardware), ("weights", AppliesTo::Weights), ("all", AppliesTo::All)],
                )?,
                text: self.text(&format!("{key}.text"), &n.text)?,
                citation: self.text(&format!("{key}.citation"), &n.citation)?,
            });
        }

        // Obligations: every id the engine uses, placeholders filled from the numbers above.
        let placeholders: HashMap<&str, String> = [
            ("aia.certification_report_tpp", aia_certification_report_tpp.value.to_string()),
            ("aca.nac_notice_days", nac_notice_days.value.to_string()),
            ("lpp.annual_limit_tpp", lpp_annual_limit_tpp.value.to_string()),
            ("lpp.pre_shipment_notice_tpp", lpp_pre_shipment_notice_tpp.value.to_string()),
            ("license.validity_months", license_validity_months.value.to_string()),
        ]
        .into_iter()
        .collect();
        let mut obligations = HashMap::new();
        for (id, o) in &raw.obligations {
            let key = format!("obligations.{id}");
            if !OBLIGATIONS.contains(&id.as_str()) {
                return Err(self.err(
                    &key,
                    format!("is not an obligation the engine attaches (known: {})", OBLIGATIONS.join(", ")),
                ));
            }
            let text = fill(&self.text(&format!("{key}.text"), &o.text)?, &placeholders)
                .map_err(|p| self.err(&format!("{key}.text"), format!("unknown placeholder `{{{p}}}`")))?;
            obligations.insert(
                id.clone(),
                ObligationText { text, citation: self.text(&format!("{key}.citation"), &o.citation)? },
            );
        }
        if let Some(missing) = OBLIGATIONS.iter().find(|id| !obligations.contains_key(**id)) {
            return Err(self.err(&format!("obligations.{missing}"), "is missing"));
        }

        let parties = self.parties(&raw.parties)?;
        let kyc_text = |key: &str, o: &RawObligation| -> Result<ObligationText, DataError> {
            Ok(ObligationText {
                text: self.text(&format!("{key}.text"), &o.text)?,
                citation: self.text(&format!("{key}.citation"), &o.citation)?,
            })
        };
        let kyc = KycRules {
            red_flag_28: kyc_text("kyc.red_flag_28", &raw.kyc.red_flag_28)?,
            tier3_headquarters: kyc_text("kyc.tier3_headquarters", &raw.kyc.tier3_headquarters)?,
            fine_tuning_percent: self.percent("kyc.fine_tuning_percent", &raw.kyc.fine_tuning_percent, 100)?,
            inference_citation: self.text("kyc.inference_citation", &raw.kyc.inference_citation)?,
        };
        let china_review = match &raw.china_review {
            Some(c) => {
                let key = "china_review";
                let bw = &c.dram_bandwidth_below_gbps;
                let mut conditions = Vec::new();
                for (i, o) in c.conditions.iter().enumerate() {
                    conditions.push(ObligationText {
                        text: self.text(&format!("{key}.conditions[{i}].text"), &o.text)?,
                        citation: self.text(&format!("{key}.conditions[{i}].citation"), &o.citation)?,
                    });
                }
                if c.destinations.groups.is_empty() {
                    return Err(self.err("china_review.destinations.groups", "names no group"));
                }
                Some(ChinaReview {
                    tpp_below: self.tpp("china_review.tpp_below", &c.tpp_below)?,
                    dram_bandwidth_below: Cited {
                        value: Bandwidth::from_gbps(bw.value).ok_or_else(|| {
                            self.err(
                                "china_review.dram_bandwidth_below_gbps.value",
                                format!("{} is not a positive number of GB/s with at most three decimals", bw.value),
                            )
                        })?,
                        citation: self.text("china_review.dram_bandwidth_below_gbps.citation", &bw.citation)?,
                    },
                    scope: self.scope(key, &c.transactions, &c.quote, &c.citation)?,
                    destinations_citation: self.text("china_review.destinations.citation", &c.destinations.citation)?,
                    conditions,
                    doubt: self.doubt("china_review", c.confidence.as_deref(), c.otherwise.as_deref())?,
                })
            }
            None => None,
        };
        let lp = &raw.license_policy;
        let tiers = regime.tiers;
        Ok(Pack {
            id,
            sha256: String::new(),
            extends: Vec::new(),
            changes: changes_text,
            regime,
            china_review,
            uncertain_changes,
            aca_split: raw.aca.split,
            version: self.text("pack.version", &raw.pack.version)?,
            title: self.text("pack.title", &raw.pack.title)?,
            citation: self.text("pack.citation", &raw.pack.citation)?,
            countries,
            effective,
            compliance,
            security_compliance,
            status,
            group_names,
            group_titles,
            group_labels,
            snapshots,
            treated_as,
            dependencies,
            united_states,
            scopes,
            requirements,
            aca_transfers_within_citation,
            license_validity_months,
            not_assessed,
            tier1_citation: self.text("tiers.tier1.citation", &raw.tiers.tier1.citation)?,
            tier2_citation: self.text("tiers.tier2.citation", &raw.tiers.tier2.citation)?,
            tier3_citation: self.text("tiers.tier3.citation", &raw.tiers.tier3.citation)?,
            tier3_headquarters: Cited {
                value: raw.tiers.tier3_headquarters.value,
                citation: self.text("tiers.tier3_headquarters.citation", &raw.tiers.tier3_headquarters.citation)?,
            },
            assurances_citation: self.text("tiers.assurances.citation", &raw.tiers.assurances.citation)?,
            thresholds,
            model_weights,
            aia_citation: self.text("aia.citation", &raw.aia.citation)?,
            aia_model_weights_citation: self.text("aia.model_weights_citation", &raw.aia.model_weights_citation)?,
            aia_certification_report_tpp,
            aca_citation: self.text("aca.citation", &raw.aca.citation)?,
            nac_citation: self.text("aca.nac_citation", &raw.aca.nac_citation)?,
            nac_notice_days,
            acm_citation: self.text("acm.citation", &raw.acm.citation)?,
            acm_exclusion_citation: self.text("acm.exclusion_citation", &raw.acm.exclusion_citation)?,
            uveu_citation: self.text("veu.uveu_citation", &raw.veu.uveu_citation)?,
            nveu_citation: self.text("veu.nveu_citation", &raw.veu.nveu_citation)?,
            veu_eligibility,
            veu_guidelines: self.veu_guidelines(raw.veu_guidelines.as_ref())?,
            lpp_citation: self.text("lpp.citation", &raw.lpp.citation)?,
            lpp_exclusion_citation: self.text("lpp.exclusion_citation", &raw.lpp.exclusion_citation)?,
            lpp_annual_limit_tpp,
            lpp_pre_shipment_notice_tpp,
            policy: PolicyCitations {
                tier3_denial: self.text("license_policy.tier3_denial", &lp.tier3_denial)?,
                tier1_approval: self.text("license_policy.tier1_approval", &lp.tier1_approval)?,
                within_allocation: self.text("license_policy.within_allocation", &lp.within_allocation)?,
                beyond_allocation: self.text("license_policy.beyond_allocation", &lp.beyond_allocation)?,
                b_class: self.text("license_policy.b_class", &lp.b_class)?,
                b_class_denial: self.text("license_policy.b_class_denial", &lp.b_class_denial)?,
                model_weights_denial: self.text("license_policy.model_weights_denial", &lp.model_weights_denial)?,
                case_by_case: self.text("license_policy.case_by_case", &lp.case_by_case)?,
                outside_denial_approval: match (&lp.outside_denial_approval, tiers) {
                    (Some(t), false) => self.text("license_policy.outside_denial_approval", t)?,
                    (None, true) => String::new(),
                    (None, false) => {
                        return Err(self.err(
                            "license_policy.outside_denial_approval",
                            "is required in a regime without tiers: the policy for a license outside Macau/D:5",
                        ))
                    }
                    (Some(_), true) => {
                        return Err(self.err(
                            "license_policy.outside_denial_approval",
                            "is for a regime without tiers; with tiers, the tier policies apply",
                        ))
                    }
                },
            },
            allocation,
            nveu,
            uveu,
            readings,
            obligations,
            parties,
            kyc,
        })
    }
}
