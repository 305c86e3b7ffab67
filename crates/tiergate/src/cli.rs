//! Command-line definition and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use tiergate_wire::Env;

use crate::{
    determinations_cmd, determine_cmd, exposure_cmd, fleet_cmd, info_cmd, kyc_cmd, ledger_cmd, parties_cmd,
    regimes_cmd, scenario_cmd, screen_cmd, serve_cmd, veu_cmd,
};

/// Tiergate: the AI Diffusion export rule (90 FR 4544), and the regimes before and after it, as a compliance engine.
///
/// Classifies advanced AI chips, servers and model weights, and determines for any export, reexport or
/// transfer, as of a date and under the regime in force then (as codified, or as BIS enforces it), whether a
/// license is needed, which exception or VEU applies, the review policy and the allocation it draws on, each
/// answer with the citations that produced it.
#[derive(Parser, Debug)]
#[command(name = "tiergate", version, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    /// Answer every request under this rule pack file (a TOML file, written whole or over a built-in pack with
    /// `extends`; see rules/), whatever its date.
    #[arg(long, global = true, value_name = "PATH", conflicts_with = "regime")]
    pub pack: Option<PathBuf>,

    /// The regime: `codified` (the default: the CFR text in force on each request's date), `enforced` (what BIS
    /// enforces on that date), or a built-in pack's id for every date (`tiergate regimes` lists them).
    #[arg(long, global = true, value_name = "NAME")]
    pub regime: Option<String>,

    /// Answer under this scenario file (`tiergate scenario new`): a what-if regime written over a timeline or a
    /// pack, whose answers name the pack `scenario:NAME`. For `determine` (never recorded), `countries`,
    /// `pack show`, `exposure` and `scenario capacity`.
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "pack")]
    pub scenario: Option<PathBuf>,

    /// The ledger database: `sqlite://PATH` or `postgres://...`. Commands that keep state (`ledger`, `token`,
    /// `lists`, `screen`, `veu`, `parties`, `serve`) default to `sqlite://tiergate.db`; `determine`, `kyc` and
    /// `exposure` use a ledger only when this (or TIERGATE_DB) is given.
    #[arg(long, global = true, value_name = "URL", env = "TIERGATE_DB")]
    pub db: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Determine license requirements for a batch of requests (JSON Lines or CSV), one answer per request.
    ///
    /// Reads PATH, or standard input when PATH is `-` or absent, and writes one JSON object per request,
    /// in order, to standard output. A request that cannot be determined yields an error object for its line
    /// and the rest go on. Blank lines are skipped. Exit status: 0 when every request was determined,
    /// 2 when any was rejected.
    ///
    /// With --db, balances come from the ledger and the consignee and its ultimate parent are screened against
    /// the restricted-party lists imported there (`tiergate lists import`): a listed party can make the answer
    /// a LICENSE, and each answer carries a `screening` member (docs/SCREENING.md).
    Determine(DetermineArgs),
    /// Classify one item: a catalog id, a spec sheet (--tpp), or model weights (--training-operations).
    Classify(ClassifyArgs),
    /// List the accelerator catalog with each part's TPP, performance density and ECCN.
    Items(ItemsArgs),
    /// List countries with their tier (or, under a regime without tiers, their license class) and country groups as
    /// of a date.
    Countries(CountriesArgs),
    /// Inspect or check a rule pack.
    #[command(subcommand)]
    Pack(PackCommand),
    /// The regimes over time: each timeline's periods with their packs and instruments, or what changed between
    /// two packs or two dates (`regimes diff A B`).
    Regimes(RegimesArgs),
    /// What-if regimes: write a scenario (countries moved between tiers, assurances, caps and percentages
    /// changed), show it, diff an order book under it, and set installed compute against its allocations.
    #[command(subcommand)]
    Scenario(ScenarioCommand),
    /// Supply-chain exposure by country tier: trade flows (CSV or Parquet; CEPII BACI's `t,i,j,k,v,q`, UN
    /// Comtrade's bulk CSV, or the canonical `period,exporter,importer,product,value_usd,...`) set against the tiers
    /// of one pack at one date (--regime or --scenario, --date), as SQL over Apache DataFusion, embedded or on a
    /// cluster (--cluster; docs/EXPOSURE.md).
    ///
    /// Each group's value, its share of its period's total value (of the grand total when not grouped by
    /// period), its flows and counterparties; rows whose country has no tier count in the totals with `tier`
    /// null. Under a regime without tiers, groups by tier also carry the license `category` the regime gives an
    /// advanced-chip export there. Bad rows are counted and listed with their lines, never used; exit status 2
    /// when there are any.
    ///
    /// `json` and `markdown` also screen the suppliers, customers and customers' parents the flows name: with
    /// --db, against the restricted-party lists imported there and through its party registry (a party, or its
    /// ultimate parent, headquartered in Macau or D:5 is flagged), each flagged one with the flows that name it;
    /// without a ledger, `screening` says that nothing was screened.
    Exposure(ExposureArgs),
    /// Run a role in an Apache Ballista cluster (scheduler or executor) for `exposure --cluster df://HOST:PORT`:
    /// trade data too large for one machine (docs/EXPOSURE.md).
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// The allocation ledger: reserve, post and void TPP against country, LPP and NVEU pools.
    Ledger(LedgerArgs),
    /// Serve the HTTP API and the dashboard; prints where it listens and, for a new database, an admin token.
    ///
    /// It serves, under roles (viewer, analyst, officer, admin): determinations (recorded ones kept and listed),
    /// classification, items, countries and regimes by date, scenarios and capacity, the allocation ledger
    /// (pools, reservations, the audit log and its verification), restricted-party lists (import, versions,
    /// staleness), screening and judgements, the party registry, VEUs (registration, an NVEU's headroom, facility
    /// logs, semi-annual reports), UVEU fleet checks, cloud-customer KYC checks, trade-flow exposure and tokens;
    /// `/openapi.json` and `/docs` describe every route, `/healthz` and `/readyz` take no token, `/metrics` is
    /// Prometheus text. The dashboard at `/` does all of it in a browser, each view under the same roles.
    ///
    /// Every limit is explicit (docs/SECURITY.md): slow or idle clients are disconnected, open connections are
    /// capped (more wait to be accepted), and SIGTERM or Ctrl-C stops accepting, closes idle connections and lets
    /// requests in flight finish within the shutdown timeout.
    Serve(ServeArgs),
    /// API tokens for `tiergate serve`: create (the secret is printed once), list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Restricted-party lists (CSL, SDN, DPL): import a file as a new version, list the versions.
    #[command(subcommand)]
    Lists(ListsCommand),
    /// Screen names against the imported lists; record judgements of hits.
    ///
    /// `tiergate screen NAME [--country XX]` screens one name; `--batch PATH|-` screens JSON Lines
    /// (`{"id", "name", "country"}`) or CSV with those columns. One JSON line per query, in order:
    /// `{"id", "hits": [...], "decision": "clear"|"review"|"match"}`. Exit status 0 when every query was
    /// screened, 2 when any line was rejected.
    Screen(ScreenArgs),
    /// A Universal VEU's fleet against the limits of Supp. No. 10 to part 748 ¶6: check it, or plan additions.
    ///
    /// The fleet file is CSV with the columns `site,country,tpp` or `site,country,item,quantity` (a catalog
    /// item's TPP per unit times the quantity). Every row must be good; bad rows are all reported, exit 2.
    #[command(subcommand)]
    Fleet(FleetCommand),
    /// The VEU registry: register Universal and National VEUs, show an NVEU's cap and headroom, keep each VEU's
    /// facility log, and write its semi-annual report.
    ///
    /// With --db, `determine` and the API rely on a request's `consignee.veu` only as far as this registry bears
    /// it out (docs/VEU.md). Bad input exits 2.
    #[command(subcommand)]
    Veu(VeuCommand),
    /// Know your customer, for IaaS providers: red flag 28 and the other checks of docs/KYC.md.
    #[command(subcommand)]
    Kyc(KycCommand),
    /// The party registry: declare that several names are one party (one ultimate consignee, one LPP pool), and
    /// record its ultimate parent, headquarters and owners.
    ///
    /// With --db, `determine` and the API resolve the consignee and its ultimate parent through the registry and
    /// say so in their reasons; recorded owners are screened, and the Affiliates rule applied (docs/PARTIES.md).
    /// Every change is in the audit log (`ledger audit`). Output is JSON Lines. Exit status: 0 done, 1 refused (a
    /// name another party has), 2 bad input or an unknown party.
    #[command(subcommand)]
    Parties(PartiesCommand),
    /// Recorded determinations (`determine --record`, the API's `?record=true`), each stored whole: the request,
    /// the answer with its reasons, regime pack and sha256, the lists screened, and the reservation recorded.
    #[command(subcommand)]
    Determinations(DeterminationsCommand),
}

/// An authorization's name, upper case, if it is one.
fn parse_authorization(s: &str) -> Result<String, String> {
    let upper = s.trim().to_ascii_uppercase();
    let all = tiergate_core::determine::Authorization::ALL.map(|a| a.as_str());
    if all.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(format!("`{s}` is not an authorization: use one of {}", all.join(", ")))
    }
}

#[derive(Subcommand, Debug)]
pub enum DeterminationsCommand {
    /// One recorded determination as JSON, with its case's status and notes; exit 2 when none has that id.
    Show { id: String },
    /// Move a recorded determination's case: a draft may become approved or withdrawn, an approved case shipped
    /// or withdrawn; shipped and withdrawn are final. Audited (`case-status`). Exit 1 when the case may not move
    /// there (refused, as a ledger movement is), 2 when no determination has that id.
    Status {
        id: String,
        /// approved, shipped or withdrawn.
        #[arg(value_parser = parse_case_status)]
        status: String,
        /// Why, kept with the change (at most 1,000 characters).
        #[arg(long)]
        note: Option<String>,
        /// Who is acting (default: the login name).
        #[arg(long)]
        actor: Option<String>,
    },
    /// Attach a note to a recorded determination's case (at most 1,000 characters). Audited (`case-note`).
    Note {
        id: String,
        text: String,
        /// Who is acting (default: the login name).
        #[arg(long)]
        actor: Option<String>,
    },
    /// The memo an officer files for a recorded determination: the request, the answer in one sentence, its
    /// reasons, obligations and notes with citations, the pack and its sha256, the lists screened and any hits,
    /// who recorded it and when, and the audit entry that holds it. Exit 2 when none has that id.
    Memo {
        id: String,
        /// Markdown, HTML (a page with a print stylesheet), or PDF: that HTML printed by a headless Chromium or
        /// Chrome (`chromium` or `google-chrome` on the PATH, or the program TIERGATE_CHROMIUM names).
        #[arg(long, value_enum, default_value_t = MemoFormatArg::Md)]
        format: MemoFormatArg,
        /// Write the memo to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Recorded determinations in the order recorded, one JSON object per line; every filter given must hold.
    List {
        /// A destination (ISO code or name).
        #[arg(long)]
        destination: Option<String>,
        /// An authorization: NLR, AIA, ACA, NAC, ACM, UVEU, NVEU, LPP or LICENSE (any case).
        #[arg(long, value_parser = parse_authorization)]
        authorization: Option<String>,
        /// A catalog id (`spec` and `model-weights` for the others).
        #[arg(long)]
        item: Option<String>,
        /// Request dates from this day, `YYYY-MM-DD`.
        #[arg(long, value_parser = crate::ledger_cmd::parse_date_arg)]
        from: Option<time::Date>,
        /// Request dates up to this day, `YYYY-MM-DD`.
        #[arg(long, value_parser = crate::ledger_cmd::parse_date_arg)]
        to: Option<time::Date>,
        /// The case's status: draft, approved, shipped or withdrawn.
        #[arg(long, value_parser = parse_case_status)]
        status: Option<String>,
        /// Ids starting with this.
        #[arg(long = "id", value_name = "PREFIX")]
        id_prefix: Option<String>,
        /// A consignee or ultimate parent whose name contains this (any case).
        #[arg(long)]
        party: Option<String>,
        /// Those recorded after this `seq` (the last one of the previous page).
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// At most this many, 1 to 1000.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1000))]
        limit: u64,
    },
}

#[derive(Subcommand, Debug)]
pub enum PartiesCommand {
    /// Register a party under NAME (its party key identifies it: case, width, spacing, punctuation and legal
    /// forms aside). A name another party has is refused.
    Add {
        /// The party's name, as it should be shown.
        name: String,
        /// Another name of the same party (repeatable). Its LPP receipts so far become the party's.
        #[arg(long = "alias", value_name = "NAME")]
        aliases: Vec<String>,
        /// The party's ultimate parent: its LPP receipts count as the parent's (15 CFR 740.29).
        #[arg(long, value_name = "NAME")]
        ultimate_parent: Option<String>,
        /// Where the party is headquartered (a country code or name); determinations apply it.
        #[arg(long, value_name = "XX")]
        headquarters: Option<String>,
        /// An owner and its share in percent, `NAME=PERCENT` (repeatable), e.g. `--owner "Acme Holdings=30"`.
        #[arg(long = "owner", value_name = "NAME=PERCENT")]
        owners: Vec<String>,
        /// Who is acting (default: the login name).
        #[arg(long)]
        actor: Option<String>,
    },
    /// Every registered party, as JSON Lines.
    List,
    /// The party a name or alias resolves to.
    Show { name: String },
    /// Add names to a party. Their LPP receipts so far move to the party's pools (each move audited); a name
    /// another registered party has is refused (merge the two instead).
    Alias {
        /// Any name of the party.
        name: String,
        /// The new names.
        #[arg(required = true, value_name = "ALIAS")]
        aliases: Vec<String>,
        #[arg(long)]
        actor: Option<String>,
    },
    /// Make FROM a part of INTO: FROM's names become INTO's aliases and its LPP receipts INTO's (each move
    /// audited). A merged pool holds what both held and takes nothing more while that is over the cap. Parties
    /// recording different parents, headquarters or owner shares are refused until one is corrected.
    Merge {
        /// Any name of the party that is absorbed.
        from: String,
        /// Any name of the party that remains.
        into: String,
        #[arg(long)]
        actor: Option<String>,
    },
    /// Record an owner's share of a party in percent (0 removes the owner); the shares may add up to 100 %.
    Owner {
        /// Any name of the owned party.
        name: String,
        /// The owner's name (screened against the lists at each determination).
        owner: String,
        /// The share, e.g. `30` or `12.5`.
        percent: String,
        #[arg(long)]
        actor: Option<String>,
    },
    /// Set or clear a party's ultimate parent and headquarters.
    Set {
        /// Any name of the party.
        name: String,
        #[arg(long, value_name = "NAME", conflicts_with = "no_ultimate_parent")]
        ultimate_parent: Option<String>,
        /// Record that the party has no ultimate parent.
        #[arg(long)]
        no_ultimate_parent: bool,
        #[arg(long, value_name = "XX", conflicts_with = "no_headquarters")]
        headquarters: Option<String>,
        /// Forget the recorded headquarters.
        #[arg(long)]
        no_headquarters: bool,
        #[arg(long)]
        actor: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum KycCommand {
    /// Check IaaS customers, JSON Lines `{"id", "name", "headquarters", "ultimate_parent_headquarters",
    /// "service": "iaas", "purpose": "training"|"fine_tuning"|"inference", "training_operations",
    /// "base_model_operations"}`, one answer per line: `{"id", "decision": "allow"|"review"|"license_required"|
    /// "refuse", "red_flags": [{"code", "citation", "text"}], "reasons": [...]}`.
    ///
    /// With --db the customer's name is screened against the lists imported there. Exit status: 0 when every
    /// line was checked, 2 when any was rejected (its answer is an error object).
    Check {
        /// JSON Lines; `-` or nothing reads standard input.
        #[arg(value_name = "PATH")]
        input: Option<PathBuf>,
        /// The date whose country groups apply (default: today).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::ledger_cmd::parse_date_arg)]
        date: Option<time::Date>,
        /// Progress bar on standard error: `auto` shows one for a file input when standard error is a terminal.
        #[arg(long, value_enum, default_value_t = Progress::Auto)]
        progress: Progress,
    },
}

#[derive(Subcommand, Debug)]
pub enum VeuCommand {
    /// Register a VEU after checking its eligibility as of --date: a UVEU headquartered in Tier 1 (Supp. No.
    /// 5(a)); an NVEU headquartered and authorized for a country outside Macau/D:5. Prints the registration
    /// and the reasons; an ineligible one is not stored (exit 1). With --applicant, records an applicant for VEU
    /// status instead, whose readiness is recorded (`veu evidence`, `veu readiness`) but on whom no
    /// determination relies; registering it later under the same id keeps its evidence.
    Add {
        /// `uveu` (Universal) or `nveu` (National).
        #[arg(long, value_enum)]
        kind: VeuKindArg,
        /// The registration's id: 1 to 64 letters, digits, `-`, `_` or `.`. An NVEU's pool is `nveu:ID`.
        #[arg(long)]
        id: String,
        /// The VEU's name, as requests name the consignee or its ultimate parent.
        #[arg(long)]
        name: String,
        /// Where the VEU is headquartered.
        #[arg(long, value_name = "XX")]
        headquarters: String,
        /// Where its ultimate parent is headquartered, if elsewhere (a UVEU qualifies by either, 15 CFR
        /// 748.15(b)(2)(i); an NVEU by neither being in Macau/D:5).
        #[arg(long, value_name = "XX")]
        parent_headquarters: Option<String>,
        /// The country an NVEU is authorized for (required for an NVEU, refused for a UVEU).
        #[arg(long, value_name = "XX")]
        country: Option<String>,
        /// The date eligibility is checked as of (default: today).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::ledger_cmd::parse_date_arg)]
        date: Option<time::Date>,
        /// Who is registering (default: the login name).
        #[arg(long)]
        actor: Option<String>,
        /// Record an applicant for VEU status, not a registered VEU.
        #[arg(long)]
        applicant: bool,
    },
    /// Every registered VEU, then every applicant, as JSON Lines (`"applicant"` tells them apart).
    List,
    /// One VEU; for an NVEU also its cumulative cap for the quarter of --date, its installed TPP from the ledger
    /// (posted and pending reservations of `nveu:ID`) and its headroom.
    Show {
        /// The registration's id.
        id: String,
        /// The date whose quarter's cap applies (default: today).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::ledger_cmd::parse_date_arg)]
        date: Option<time::Date>,
    },
    /// Append a facility log CSV (`date,event,facility,country,item,quantity[,reservation]`; events received,
    /// installed, transferred, retired) to a VEU's log. All rows or none: bad rows are reported by line, and a
    /// log that would install or remove more chips than a facility holds is refused.
    Log {
        /// The registration's id.
        id: String,
        /// The CSV; `-` reads standard input.
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// Who is logging (default: the login name).
        #[arg(long)]
        actor: Option<String>,
    },
    /// The semi-annual report (Supp. No. 10 to part 748 ¶10; 15 CFR 748.15(f)): chips received, installed,
    /// transferred and retired per facility, the installed base by country, and for an NVEU the ledger's posted
    /// TPP beside its log. Writes --format to standard output, or with --out all four forms into a directory.
    Report {
        /// The registration's id.
        id: String,
        /// A calendar half-year: `2025H1` (January to June) or `2025H2`.
        #[arg(long, value_name = "YYYYH1|YYYYH2")]
        period: String,
        /// The form written to standard output.
        #[arg(long, value_enum, default_value = "json")]
        format: ReportFormat,
        /// Write ID-PERIOD.json, .csv, .md and .svg into this directory (created if missing) and print their paths.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Record a semi-annual report as issued (filed with BIS), with the sha256 of its JSON form: `{"id",
    /// "period", "sha256", "issued_at", "issued_by"}`. From then on a facility-log event dated in that half-year
    /// is refused (a filed report is not changed). A half-year issued before is refused (exit 2). Audited
    /// (`veu-report-issue`).
    Issue {
        /// The registration's id.
        id: String,
        /// A calendar half-year: `2025H1` or `2025H2`.
        #[arg(long, value_name = "YYYYH1|YYYYH2")]
        period: String,
        /// Who is issuing (default: the login name).
        #[arg(long)]
        actor: Option<String>,
    },
    /// Record evidence against one requirement of Supp. No. 10 to part 748 (or an item of Supp. No. 8) for a VEU
    /// or applicant: `{"id", "requirement", "status", "recorded", "summary"}`. Evidence is never edited: record
    /// again and the latest counts. Audited (`veu-evidence`).
    Evidence {
        /// The VEU's or applicant's id.
        id: String,
        /// The requirement's id in the pack (`14.b`, `18.c`, `B(6)`): `tiergate veu readiness ID` lists them.
        #[arg(long)]
        requirement: String,
        /// `planned`, `in_progress`, `met` (needs --document) or `not_applicable` (needs --note).
        #[arg(long, value_parser = ["planned", "in_progress", "met", "not_applicable"])]
        status: String,
        /// Where the evidence is: a document, a ticket, an attestation's reference.
        #[arg(long)]
        document: Option<String>,
        /// Who answers for the requirement.
        #[arg(long)]
        owner: Option<String>,
        /// The evidence's own date (an attestation's, a plan's); not after today.
        #[arg(long, value_name = "YYYY-MM-DD")]
        dated: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// Who is recording (default: the login name).
        #[arg(long)]
        actor: Option<String>,
    },
    /// The readiness report of a VEU or applicant on --date: each requirement of Supp. No. 10 that binds it and
    /// the Supp. No. 8 items its request gives, with the latest evidence, what is missing, and what is overdue
    /// (paragraphs 14, 15 and 18 are due by the pack's security compliance date). Exit 0 when ready, 1 when not.
    Readiness {
        /// The VEU's or applicant's id.
        id: String,
        /// The date of the readiness (default: today).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::ledger_cmd::parse_date_arg)]
        date: Option<time::Date>,
        #[arg(long, value_enum, default_value_t = ReadinessFormat::Markdown)]
        format: ReadinessFormat,
        /// Write the report to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReadinessFormat {
    Json,
    Markdown,
    Html,
    /// The HTML printed by a headless Chromium or Chrome (as `determinations memo --format pdf`).
    Pdf,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VeuKindArg {
    Uveu,
    Nveu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Json,
    Csv,
    Markdown,
    Svg,
}

#[derive(Subcommand, Debug)]
pub enum FleetCommand {
    /// Shares outside Tier 1, outside the home country and per country, the limits broken, and the headroom
    /// per country. Exit status 0 when compliant, 1 when any limit is broken, 2 on bad input.
    Check {
        #[command(flatten)]
        fleet: FleetInput,
        /// Also give the headroom in this country (repeatable).
        #[arg(long, value_name = "XX")]
        country: Vec<String>,
    },
    /// The least TPP to add at home (the US for a US headquarters, else anywhere in Tier 1) for the additions
    /// to keep every limit: `{"feasible", "additional_home_tpp_needed", "violations_after"}`.
    Plan {
        #[command(flatten)]
        fleet: FleetInput,
        /// TPP to add in a country, as `XX:TPP` (repeatable), e.g. `--add MY:50000000`.
        #[arg(long = "add", value_name = "XX:TPP", required = true)]
        add: Vec<String>,
    },
}

#[derive(Args, Debug)]
pub struct FleetInput {
    /// The fleet CSV; `-` reads standard input.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// The UVEU's headquarters country (must be Tier 1).
    #[arg(long, value_name = "XX")]
    pub headquarters: String,
    /// The date whose country groups apply (default: today).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::ledger_cmd::parse_date_arg)]
    pub date: Option<time::Date>,
}

#[derive(Subcommand, Debug)]
pub enum ListsCommand {
    /// Import a list file as a new current version; prints `{"list", "entries", "version"}`. Rows that cannot be
    /// read are reported on standard error with their line number and skipped.
    Import {
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// The file's format; by default recognised from its first line.
        #[arg(long, value_parser = ["csl", "sdn", "dpl"])]
        format: Option<String>,
        /// Who is importing, for the version record (default: the login name).
        #[arg(long)]
        actor: Option<String>,
        /// The list's own date (its publication date), for staleness; by default the newest date among its
        /// entries, and none for a list whose entries carry no date (OFAC `sdn.csv`), which is then judged by
        /// its import date.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::ledger_cmd::parse_date_arg)]
        dated: Option<time::Date>,
    },
    /// Every imported version, newest first, one JSON object per line.
    Versions,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ScreenArgs {
    /// The name to screen.
    #[arg(value_name = "NAME", required_unless_present = "batch", conflicts_with = "batch")]
    pub name: Option<String>,
    /// A country hint (ISO code) for NAME: raises the score of entries in that country, lowers others.
    #[arg(long, value_name = "XX")]
    pub country: Option<String>,
    /// Screen a file of queries (JSON Lines, or CSV for a path ending in `.csv`); `-` reads standard input.
    #[arg(long, value_name = "PATH")]
    pub batch: Option<PathBuf>,
    /// List hits scoring at least this (0 to 1); default: the review threshold of data/screening.toml.
    #[arg(long, value_name = "T")]
    pub threshold: Option<f64>,
    /// Progress bar on standard error: `auto` shows one for a file input when standard error is a terminal.
    #[arg(long, value_enum, default_value_t = Progress::Auto)]
    pub progress: Progress,
    #[command(subcommand)]
    pub command: Option<ScreenCommand>,
}

#[derive(Subcommand, Debug)]
pub enum ScreenCommand {
    /// Record a judgement of a hit: this entry is (true_match) or is not (false_positive) the party named by
    /// the query. Later screenings of the same query (after normalisation) show and honour it.
    Judge {
        /// The hit's `entry_id`.
        entry_id: String,
        /// The query the hit came from.
        #[arg(long)]
        query: String,
        #[arg(long, value_parser = ["false_positive", "true_match"])]
        verdict: String,
        #[arg(long)]
        note: Option<String>,
        /// Who judges (default: the login name).
        #[arg(long)]
        actor: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token and print `{"name", "role", "token"}`; only a hash of the token is stored.
    Create {
        #[arg(long)]
        name: String,
        /// viewer (reads), analyst (also determines), officer (also reserves), admin (also manages tokens).
        #[arg(long, value_parser = ["viewer", "analyst", "officer", "admin"])]
        role: String,
    },
    /// List tokens (never their secrets), one JSON object per line.
    List,
    /// Revoke a token by name.
    Revoke { name: String },
}

#[derive(Args, Debug)]
pub struct LedgerArgs {
    /// Who is acting, for the audit log (default: the login name).
    #[arg(long, global = true)]
    pub actor: Option<String>,
    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Reserve TPP in a pool (a pending transfer). Exit 0 when reserved or when the key already exists with the
    /// same pool, TPP and expiry; 1 when rejected (`exceeds_allocation`, `idempotency_conflict`); 2 for bad input.
    Reserve {
        /// `country:XX`, `lpp:<ultimate consignee>:<year>` or `nveu:<id>`.
        #[arg(long)]
        pool: String,
        /// Whole TPP to reserve.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        tpp: u64,
        /// Idempotency key: retrying with the same key never counts twice.
        #[arg(long)]
        key: String,
        /// The date the reservation is made as of (sets the cap); default today (UTC).
        #[arg(long, value_parser = crate::ledger_cmd::parse_date_arg)]
        date: Option<time::Date>,
        /// The last day the reservation holds if not posted.
        #[arg(long, value_parser = crate::ledger_cmd::parse_date_arg)]
        expires: Option<time::Date>,
        /// Why: the determination or document that causes it.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Post a pending reservation (license issued, shipped). Prints the updated reservation.
    Post {
        id: String,
        /// The date of posting, for expiry; default today (UTC).
        #[arg(long, value_parser = crate::ledger_cmd::parse_date_arg)]
        date: Option<time::Date>,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Void a pending reservation (denied, withdrawn). Prints the updated reservation.
    Void {
        id: String,
        /// The date of voiding, for expiry; default today (UTC).
        #[arg(long, value_parser = crate::ledger_cmd::parse_date_arg)]
        date: Option<time::Date>,
        #[arg(long)]
        reason: Option<String>,
    },
    /// A pool's cap, posted, pending and available TPP as of a date.
    Balance {
        #[arg(long)]
        pool: String,
        /// Default today (UTC).
        #[arg(long, value_parser = crate::ledger_cmd::parse_date_arg)]
        date: Option<time::Date>,
    },
    /// Every reservation of a pool, one JSON object per line.
    List {
        #[arg(long)]
        pool: String,
    },
    /// Audit log entries after a sequence number, one JSON object per line.
    Audit {
        /// Entries after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// At most this many entries (1 to 1,000).
        #[arg(long, default_value_t = 1000)]
        limit: u64,
        /// Only the entries about this pool or record (`country:MY`, `veu:ID`, `determination:ID`, ...).
        #[arg(long)]
        pool: Option<String>,
    },
    /// Recompute the audit chain (keyed with the ledger's audit key, see docs/SECURITY.md), replay it against every
    /// balance and state, and check every pool's invariant; exit 0 only when all hold.
    Verify {
        /// Also prove that the log still extends this checkpoint (`HASH:COUNT`, from `ledger checkpoint`): no
        /// entry up to it was changed, removed or replaced.
        #[arg(long, value_name = "HASH:COUNT")]
        checkpoint: Option<String>,
    },
    /// Print the audit log's head as a checkpoint (`{"entries", "hash", "checkpoint": "HASH:COUNT"}`) to keep
    /// away from the database, for `ledger verify --checkpoint`.
    Checkpoint,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SecureCookies {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Seconds a client has to send a request's headers, from when its connection waits for a request (when it
    /// opens, or after the previous response): also how long an idle kept-alive connection stays open.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Seconds a client has to send a request's whole body (408 after).
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout: u64,
    /// Seconds a connection may move no byte either way, while none of its requests is being worked on (a client
    /// that stops reading an answer), before it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub stall_timeout: u64,
    /// Open connections at most; more wait in the listen backlog until one closes.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// Mark the dashboard's session cookie `Secure` (sent over HTTPS only): `auto` does so unless the server
    /// listens on loopback, as it should behind a TLS-terminating proxy.
    #[arg(long, value_enum, default_value_t = SecureCookies::Auto)]
    pub secure_cookies: SecureCookies,
    /// Seconds requests in flight may take to finish after SIGTERM or Ctrl-C.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_timeout: u64,
}

#[derive(Args, Debug)]
pub struct DetermineArgs {
    /// Input file; `-` or nothing reads standard input.
    #[arg(value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// Output format: JSON Lines, an aligned table, or CSV (one row per request with the regime, the answer and,
    /// with --compare, the other timeline's where it differs; an error fills the error columns).
    #[arg(long, value_enum, default_value_t = AnswerFormat::Jsonl)]
    pub format: AnswerFormat,
    /// Input format; by default CSV for a path ending in `.csv`, JSON Lines otherwise.
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormat>,
    /// With a ledger (--db), reserve what each answer draws (a license its country pool, LPP the consignee's
    /// LPP pool, an NVEU shipment its pool), keyed by the request id; adds `recorded` to each answer. Exit
    /// status 1 when every request was determined but a reservation was refused.
    #[arg(long)]
    pub record: bool,
    /// Progress bar on standard error: `auto` shows one for a file input when standard error is a terminal.
    #[arg(long, value_enum, default_value_t = Progress::Auto)]
    pub progress: Progress,
    /// Also answer under this timeline (`enforced` or `codified`), and add its answer as `compare` wherever it
    /// differs in authorization, license, review policy or allocation.
    #[arg(long, value_name = "TIMELINE")]
    pub compare: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ScenarioCommand {
    /// Write a scenario file over a base regime (standard output without --out). It is validated first: an
    /// unknown key, an impossible value or a change that changes nothing is an error naming it.
    New(ScenarioNewArgs),
    /// Validate a scenario file and list each change beside what it replaces under each pack of its base.
    Show(ScenarioShowArgs),
    /// Determine every order of an order book (JSON Lines or CSV, as `determine` reads) under the scenario and
    /// under another regime (its base by default), and report what changes.
    ///
    /// `--format json` (the default) prints one object: orders, changed, by_change ({"LICENSE->AIA": N}),
    /// by_destination and allocations (each pool's use and cap before and after). `jsonl` and `csv` list each
    /// changed order with both answers; `markdown` writes report.md with two SVG charts into --out DIR. Exit
    /// status 0, or 2 when an order could not be read or answered on a side (it is counted and listed).
    Diff(ScenarioDiffArgs),
    /// For every Tier 2 country: how much of its allocation the AI compute installed or planned there would take,
    /// under the base regime and the scenario (--scenario), and which caps bind.
    ///
    /// The compute is Epoch AI's GPU cluster data (built in, CC BY 4.0) converted to TPP through the catalog, or
    /// --clusters CSV: `country,tpp` or `country,item,quantity`, optionally with `status` (existing, planned).
    Capacity(ScenarioCapacityArgs),
}

#[derive(Args, Debug)]
pub struct ScenarioNewArgs {
    /// The scenario's name: lower-case letters, digits and `-`; its answers name the pack `scenario:NAME`.
    pub name: String,
    /// The base: a timeline (`codified`, `enforced`) or a built-in pack's id.
    #[arg(long)]
    pub base: String,
    /// Move a country: `CC:1`, `CC:2` or `CC:3` to a tier; `CC:+GROUP` into or `CC:-GROUP` out of a country group
    /// (`AE:+A:5`); `@YYYY-MM-DD` at the end from that date on (`PL:1@2026-03-01`). Repeatable.
    #[arg(long = "move", value_name = "CC:TIER")]
    pub moves: Vec<String>,
    /// Give a country Supp. No. 5(b) assurances (its allocation rises by the pack's assurance percentage);
    /// `CC@YYYY-MM-DD` from that date on. Repeatable.
    #[arg(long, value_name = "CC")]
    pub assure: Vec<String>,
    /// Replace a value of the base pack, by dotted key: `lpp.annual_limit_tpp=13450000`,
    /// `uveu.single_country_max_percent=10`, `readings.allocation_test=before_request`. The value is read as TOML
    /// (a number, true/false, a date, a list), else as text. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// A title for the scenario.
    #[arg(long)]
    pub title: Option<String>,
    /// Write the file here instead of standard output (an existing file is not overwritten).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ScenarioShowArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// Lines for people.
    Text,
    /// One JSON object.
    Json,
}

#[derive(Args, Debug)]
pub struct ScenarioDiffArgs {
    /// The scenario file.
    pub file: PathBuf,
    /// The order book: JSON Lines or CSV requests, as `determine` reads them; `-` reads standard input.
    pub orders: PathBuf,
    /// The regime to compare with: a timeline (`codified`, `enforced`) or a built-in pack's id; default: the
    /// scenario's base.
    #[arg(long, value_name = "REGIME")]
    pub against: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScenarioDiffFormat::Json)]
    pub format: ScenarioDiffFormat,
    /// Write into this directory (diff.json, changed.jsonl, changed.csv, or report.md with its charts) instead of
    /// standard output; created if missing.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Input format; by default CSV for a path ending in `.csv`, JSON Lines otherwise.
    #[arg(long, value_enum)]
    pub input_format: Option<InputFormat>,
    /// Progress bar on standard error: `auto` shows one for a file input when standard error is a terminal.
    #[arg(long, value_enum, default_value_t = Progress::Auto)]
    pub progress: Progress,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScenarioDiffFormat {
    /// One JSON object: the counts.
    Json,
    /// One JSON object per changed order, with both answers.
    Jsonl,
    /// One CSV row per changed order, with both answers.
    Csv,
    /// A report with charts (needs --out).
    Markdown,
}

#[derive(Args, Debug)]
pub struct ScenarioCapacityArgs {
    /// Compute per country: a CSV `country,tpp` or `country,item,quantity` (optional `status`), or a file in
    /// Epoch AI's GPU cluster format; default: the built-in Epoch AI data.
    #[arg(long, value_name = "CSV")]
    pub clusters: Option<PathBuf>,
    /// The date the tiers and allocations are taken at (YYYY-MM-DD); default: today (UTC).
    #[arg(long)]
    pub date: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CapacityFormat::Json)]
    pub format: CapacityFormat,
    /// With `--format markdown`: the directory for report.md and its chart (required).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CapacityFormat {
    Json,
    Table,
    Markdown,
}

#[derive(Args, Debug)]
pub struct ExposureArgs {
    /// The flows: a CSV or a Parquet file (by its extension, `.parquet`).
    pub flows: PathBuf,
    /// The input's shape; by default the one its header (or its Parquet columns) names.
    #[arg(long, value_enum)]
    pub input_format: Option<FlowsFormat>,
    /// The date the tiers are taken at (YYYY-MM-DD), for every period of the flows; default: today (UTC).
    #[arg(long)]
    pub date: Option<String>,
    /// What to group by, comma-separated: period, tier, country, product.
    #[arg(long, default_value = "period,tier")]
    pub by: String,
    /// Only products whose HS code starts with one of these, comma-separated (8470,8471,8541,8542).
    #[arg(long)]
    pub products: Option<String>,
    /// Only flows from this exporter (an ISO code or a name).
    #[arg(long, value_name = "CC")]
    pub exporter: Option<String>,
    /// Output format: one object with the groups and their concentration (json), or one group per line.
    #[arg(long, value_enum, default_value_t = ExposureFormat::Json)]
    pub format: ExposureFormat,
    /// Write into this directory (exposure.json, exposure.jsonl, exposure.csv, or report.md with its chart)
    /// instead of standard output.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run the queries on an Apache Ballista cluster (`tiergate cluster`) through its scheduler, df://HOST:PORT.
    /// The flows must then be Parquet at a path every executor can read.
    #[arg(long, value_name = "URL")]
    pub cluster: Option<String>,
}

/// `tiergate cluster`: the roles of an Apache Ballista cluster that runs `exposure --cluster` queries.
#[derive(Subcommand, Debug)]
pub enum ClusterCommand {
    /// Run a scheduler: it plans queries into stages and hands their tasks to executors. Runs until stopped.
    Scheduler {
        /// Where it listens for clients and executors (gRPC), HOST:PORT.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:50050")]
        bind: String,
        /// The host name others reach it by, when it differs from the bound address (behind NAT, in a container).
        #[arg(long, value_name = "HOST")]
        advertise: Option<String>,
    },
    /// Run an executor: it registers with the scheduler, pulls tasks, and serves results and shuffle data over
    /// Arrow Flight. Runs until stopped.
    Executor {
        /// The scheduler, HOST:PORT or df://HOST:PORT.
        #[arg(long, value_name = "ADDR")]
        scheduler: String,
        /// Where its Arrow Flight service listens, HOST:PORT.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:50051")]
        bind: String,
        /// The host name others reach it by, when it differs from the bound address.
        #[arg(long, value_name = "HOST")]
        advertise: Option<String>,
        /// Task slots; default: the machine's cores.
        #[arg(long)]
        cores: Option<usize>,
        /// Where shuffle files are kept; default: a new directory under the system's temporary directory.
        #[arg(long, value_name = "DIR")]
        work_dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FlowsFormat {
    /// CEPII BACI: t,i,j,k,v,q (values in thousands of USD, numeric country codes).
    Baci,
    /// period,exporter,importer,product,value_usd[,quantity,supplier,customer,customer_parent].
    Canonical,
    /// UN Comtrade's bulk CSV: period, reporterCode, flowCode (X or M), partnerCode, cmdCode, primaryValue, ...
    Comtrade,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExposureFormat {
    /// One object: the groups, the concentration per tier and period, how the input was read.
    Json,
    /// One JSON object per group.
    Jsonl,
    /// One CSV row per group.
    Csv,
    /// A report (report.md with its share-by-tier chart, and exposure.json) written into --out DIR.
    Markdown,
}

/// A case status by its name, in any case.
fn parse_case_status(s: &str) -> Result<String, String> {
    tiergate_core::case::CaseStatus::parse(s)
        .map(|c| c.as_str().to_owned())
        .ok_or_else(|| format!("`{s}` is not a case status: use draft, approved, shipped or withdrawn"))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MemoFormatArg {
    Md,
    Html,
    Pdf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AnswerFormat {
    /// One JSON object per line.
    Jsonl,
    /// An aligned table for people.
    Table,
    /// CSV with a header row.
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One JSON object per line.
    Jsonl,
    /// An aligned table for people.
    Table,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    Jsonl,
    Csv,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Progress {
    Auto,
    Never,
}

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// A catalog id (see `tiergate items`).
    #[arg(value_name = "ITEM", conflicts_with_all = ["tpp", "training_operations"], required_unless_present_any = ["tpp", "training_operations"])]
    pub item: Option<String>,
    /// TPP of an IC described by its spec sheet.
    #[arg(long, conflicts_with = "training_operations", requires = "datacenter")]
    pub tpp: Option<f64>,
    /// Applicable die area of that IC, in mm².
    #[arg(long = "die-area", value_name = "MM2", requires = "tpp")]
    pub die_area: Option<f64>,
    /// Whether that IC is designed or marketed for data centres.
    #[arg(long, value_name = "BOOL", requires = "tpp")]
    pub datacenter: Option<bool>,
    /// That IC's total DRAM bandwidth, in GB/s (shown; 91 FR 1684 bands items by it).
    #[arg(long = "dram-bandwidth", value_name = "GBPS", requires = "tpp")]
    pub dram_bandwidth: Option<f64>,
    /// Classify a computer or assembly holding this many such ICs (4A090).
    #[arg(long = "per-unit", value_name = "N", conflicts_with = "training_operations")]
    pub per_unit: Option<i64>,
    /// How many units (for the total TPP).
    #[arg(long, default_value_t = 1)]
    pub quantity: i64,
    /// Classify model weights trained with this many operations (all training, the base model's included).
    #[arg(long = "training-operations", value_name = "OPS")]
    pub training_operations: Option<f64>,
    /// Whether the weights are published (open), true or false: required with --training-operations, as
    /// `published` is in a request.
    #[arg(long, value_name = "BOOL", requires = "training_operations")]
    pub published: Option<bool>,
    /// The model was derived from a base model trained with this many operations.
    #[arg(long = "base-operations", value_name = "OPS", requires = "training_operations")]
    pub base_operations: Option<f64>,
    /// Whether the base model's weights are published, true or false: required with --base-operations.
    #[arg(long = "base-published", value_name = "BOOL", requires = "base_operations")]
    pub base_published: Option<bool>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InfoFormat::Json)]
    pub format: InfoFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InfoFormat {
    /// JSON.
    Json,
    /// Text for people.
    Text,
}

#[derive(Args, Debug)]
pub struct ItemsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Args, Debug)]
pub struct CountriesArgs {
    /// The date the groups are taken at (YYYY-MM-DD), under the regime in force then (--regime); default: today (UTC).
    #[arg(long)]
    pub date: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct RegimesArgs {
    #[command(subcommand)]
    pub command: Option<RegimesCommand>,
    /// Only this timeline (`codified` or `enforced`).
    #[arg(long, value_name = "NAME")]
    pub timeline: Option<String>,
    /// Only the period in force on this date (YYYY-MM-DD).
    #[arg(long)]
    pub date: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InfoFormat::Json)]
    pub format: InfoFormat,
}

#[derive(Subcommand, Debug)]
pub enum RegimesCommand {
    /// What changed from A to B: groups, thresholds, authorizations, review policies. A and B are each a pack id
    /// or a date (YYYY-MM-DD: the pack --timeline gives then, with its groups as of that date).
    Diff {
        /// The earlier side: a pack id (`us-ac-2024-12`) or a date (`2025-05-12`).
        a: String,
        /// The later side: a pack id or a date.
        b: String,
        /// The timeline dates are read on.
        #[arg(long, default_value = "codified")]
        timeline: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Json)]
        format: DiffFormat,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Json,
    Markdown,
}

#[derive(Subcommand, Debug)]
pub enum PackCommand {
    /// Check a rule pack file; prints its id and version, or the problem (exit 2).
    Validate {
        #[arg(value_name = "PATH")]
        path: PathBuf,
    },
    /// Show the pack in use: id, dates, and the readings (R1-R10) in force.
    Show,
}

/// The ledger `ledger` commands use when neither --db nor TIERGATE_DB names one.
pub const DEFAULT_DB: &str = "sqlite://tiergate.db";

/// Loads the built-in data and the pack: the built-in one, or `--pack PATH`.
pub fn load_env(pack: Option<&std::path::Path>) -> anyhow::Result<Env> {
    match pack {
        None => Ok(Env::builtin()?),
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read rule pack `{}`", path.display()))?;
            Ok(Env::with_pack(&text, &path.display().to_string())?)
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Pack(PackCommand::Validate { path }) => info_cmd::validate_pack(&path),
        Command::Cluster(c) => crate::cluster_cmd::run(&c),
        command => {
            let env = load_env(cli.pack.as_deref())?;
            let env = match &cli.regime {
                Some(r) => env.select(r).map_err(|e| anyhow::anyhow!("--regime: {}", e.message))?,
                None => env,
            };
            if let Some(path) = &cli.scenario {
                let capacity = matches!(command, Command::Scenario(ScenarioCommand::Capacity(_)));
                if cli.regime.is_some() && !capacity {
                    anyhow::bail!(
                        "give --regime or --scenario, not both: a scenario answers under its own base (`scenario capacity` alone takes --regime as the base to compare with)"
                    );
                }
                let under = scenario_cmd::load(&env, path)?;
                return match command {
                    Command::Determine(args) if args.record => anyhow::bail!(
                        "--scenario: a scenario's answers are hypothetical and are never recorded; drop --record"
                    ),
                    Command::Determine(args) => determine_cmd::run(&under, cli.db.as_deref(), &args),
                    Command::Countries(args) => info_cmd::countries(&under, &args),
                    Command::Pack(PackCommand::Show) => info_cmd::show_pack(&under),
                    Command::Exposure(args) => exposure_cmd::run(&under, cli.db.as_deref(), &args),
                    Command::Scenario(ScenarioCommand::Capacity(args)) => {
                        let base = if cli.regime.is_some() { env } else { scenario_base(&env, &under)? };
                        scenario_cmd::capacity(&base, Some(&under), &args)
                    }
                    _ => anyhow::bail!(
                        "--scenario applies to determine, countries, pack show, exposure and scenario capacity; `scenario diff` and `scenario show` take the file as an argument"
                    ),
                };
            }
            match command {
                Command::Scenario(c) => scenario_cmd::run(&env, &c),
                Command::Exposure(args) => exposure_cmd::run(&env, cli.db.as_deref(), &args),
                Command::Regimes(args) => regimes_cmd::run(&env, &args),
                Command::Determine(args) => determine_cmd::run(&env, cli.db.as_deref(), &args),
                Command::Classify(args) => info_cmd::classify(&env, &args),
                Command::Items(args) => info_cmd::items(&env, &args),
                Command::Countries(args) => info_cmd::countries(&env, &args),
                Command::Pack(PackCommand::Show) => info_cmd::show_pack(&env),
                Command::Serve(args) => serve_cmd::run(env, cli.db.as_deref().unwrap_or(DEFAULT_DB), &args),
                Command::Token(t) => ledger_cmd::token(&env, cli.db.as_deref().unwrap_or(DEFAULT_DB), &t),
                Command::Ledger(args) => ledger_cmd::run(&env, cli.db.as_deref().unwrap_or(DEFAULT_DB), &args),
                Command::Lists(c) => screen_cmd::lists(&env, cli.db.as_deref().unwrap_or(DEFAULT_DB), &c),
                Command::Screen(args) => screen_cmd::screen(&env, cli.db.as_deref().unwrap_or(DEFAULT_DB), &args),
                Command::Fleet(c) => fleet_cmd::run(&env, &c),
                Command::Kyc(c) => kyc_cmd::run(&env, cli.db.as_deref(), &c),
                Command::Veu(c) => veu_cmd::run(&env, cli.db.as_deref().unwrap_or(DEFAULT_DB), &c),
                Command::Parties(c) => parties_cmd::run(&env, cli.db.as_deref().unwrap_or(DEFAULT_DB), &c),
                Command::Determinations(c) => {
                    determinations_cmd::run(&env, cli.db.as_deref().unwrap_or(DEFAULT_DB), &c)
                }
                Command::Pack(PackCommand::Validate { .. }) | Command::Cluster(_) => unreachable_validate(),
            }
        }
    }
}

/// The regime a scenario is written over, to compare it with.
fn scenario_base(env: &Env, under: &Env) -> anyhow::Result<Env> {
    let base = under.scenario().map(|s| s.base.clone()).unwrap_or_default();
    env.select(&base).map_err(|e| anyhow::anyhow!("the scenario's base: {}", e.message))
}

fn unreachable_validate() -> anyhow::Result<ExitCode> {
    anyhow::bail!("internal: `pack validate` and `cluster` are handled before the pack loads")
}
