//! `tiergate determinations show|list|memo`: recorded determinations, kept whole, and the memo filed for one.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tiergate_server::memo_api::{render, MemoFormat};

use tiergate_store::{date_text, DeterminationFilter, LedgerError, Meta};
use tiergate_wire::Env;
use time::OffsetDateTime;

use crate::cli::{DeterminationsCommand, MemoFormatArg};
use crate::ledger_cmd::{actor, fail};
use crate::screen_cmd::{open, print_line};

pub fn run(env: &Env, db: &str, command: &DeterminationsCommand) -> anyhow::Result<ExitCode> {
    let mut ledger = open(env, db)?;
    let mut out = std::io::stdout().lock();
    match command {
        DeterminationsCommand::Status { id, status, note, actor: who } => {
            let to = tiergate_core::case::CaseStatus::parse(status)
                .ok_or_else(|| anyhow::anyhow!("`{status}` is not a case status"))?;
            let meta = Meta { actor: actor(who.as_deref()), reason: None, at: OffsetDateTime::now_utc() };
            match ledger.set_case_status(id, to, note.as_deref(), &meta).and_then(|()| ledger.case(id)) {
                Ok(Some(c)) => {
                    print_line(&mut out, &c)?;
                    Ok(ExitCode::SUCCESS)
                }
                Ok(None) => fail(&LedgerError::NotFound(format!("recorded determination `{id}`"))),
                Err(e) => fail(&e),
            }
        }
        DeterminationsCommand::Note { id, text, actor: who } => {
            let meta = Meta { actor: actor(who.as_deref()), reason: None, at: OffsetDateTime::now_utc() };
            match ledger.add_case_note(id, text, &meta).and_then(|()| ledger.case(id)) {
                Ok(Some(c)) => {
                    print_line(&mut out, &c)?;
                    Ok(ExitCode::SUCCESS)
                }
                Ok(None) => fail(&LedgerError::NotFound(format!("recorded determination `{id}`"))),
                Err(e) => fail(&e),
            }
        }
        DeterminationsCommand::Show { id } => match ledger.case(id) {
            Ok(Some(d)) => {
                print_line(&mut out, &d)?;
                Ok(ExitCode::SUCCESS)
            }
            Ok(None) => fail(&LedgerError::NotFound(format!("recorded determination `{id}`"))),
            Err(e) => fail(&e),
        },
        DeterminationsCommand::Memo { id, format, out: path } => {
            let html = match format {
                MemoFormatArg::Md => MemoFormat::Markdown,
                MemoFormatArg::Html | MemoFormatArg::Pdf => MemoFormat::Html,
            };
            let text = match render(&mut ledger, id, html) {
                Ok(Some(t)) => t,
                Ok(None) => return fail(&LedgerError::NotFound(format!("recorded determination `{id}`"))),
                Err(e) => return fail(&e),
            };
            let bytes = match format {
                MemoFormatArg::Pdf => print_pdf(&text)?,
                MemoFormatArg::Md | MemoFormatArg::Html => text.into_bytes(),
            };
            match path {
                Some(p) => std::fs::write(p, &bytes).with_context(|| format!("cannot write `{}`", p.display()))?,
                None => {
                    out.write_all(&bytes)?;
                    out.flush()?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DeterminationsCommand::List {
            destination,
            authorization,
            item,
            from,
            to,
            status,
            id_prefix,
            party,
            after,
            limit,
        } => {
            let destination = match destination {
                Some(d) => Some(
                    env.countries
                        .resolve(d)
                        .map(|c| env.countries.code(c).to_owned())
                        .ok_or_else(|| anyhow::anyhow!("`{d}` is not a country Tiergate knows (--destination)"))?,
                ),
                None => None,
            };
            let filter = DeterminationFilter {
                destination,
                authorization: authorization.clone(),
                item: item.clone(),
                from: from.map(date_text),
                to: to.map(date_text),
                status: status.clone(),
                id_prefix: id_prefix.clone(),
                party: party.clone(),
                after: *after,
                limit: *limit,
            };
            match ledger.determinations(&filter) {
                Ok(list) => {
                    for d in &list {
                        print_line(&mut out, d)?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => fail(&e),
            }
        }
    }
}

/// The longest a browser may take to print a memo.
const PRINT_TIMEOUT: Duration = Duration::from_secs(60);

/// `html` printed to PDF by a headless Chromium or Chrome. The memo holds no script, and its own Content Security
/// Policy forbids any (turning scripts off in the browser stops it printing).
fn print_pdf(html: &str) -> anyhow::Result<Vec<u8>> {
    let browser = browser().context(
        "--format pdf prints the HTML memo with a headless Chromium or Chrome, and none was found: install one \
         (Debian: apt-get install chromium), name it with TIERGATE_CHROMIUM, or use --format html and print that",
    )?;
    let dir = tempdir()?;
    let page = dir.0.join("memo.html");
    let pdf = dir.0.join("memo.pdf");
    std::fs::write(&page, html).with_context(|| format!("cannot write `{}`", page.display()))?;
    let mut command = Command::new(&browser);
    command.args(["--headless", "--disable-gpu", "--no-pdf-header-footer", "--disable-background-networking"]);
    // Chromium will not start as root inside its sandbox; the page is Tiergate's own, and runs nothing.
    if is_root() {
        command.arg("--no-sandbox");
    }
    let mut child = command
        .arg(format!("--user-data-dir={}", dir.0.join("profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start `{}`", browser.display()))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if started.elapsed() > PRINT_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("`{}` did not print the memo within {} s", browser.display(), PRINT_TIMEOUT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let bytes = std::fs::read(&pdf).unwrap_or_default();
    if !status.success() || !bytes.starts_with(b"%PDF") {
        anyhow::bail!("`{}` did not print the memo to PDF ({status})", browser.display());
    }
    Ok(bytes)
}

/// The browser TIERGATE_CHROMIUM names, else the first of the usual names on the PATH.
fn browser() -> Option<PathBuf> {
    if let Some(named) = std::env::var_os("TIERGATE_CHROMIUM").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(named));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A new directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

fn tempdir() -> anyhow::Result<TempDir> {
    let base = std::env::temp_dir();
    for n in 0..100u32 {
        let dir = base.join(format!("tiergate-memo-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(TempDir(dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e).with_context(|| format!("cannot create `{}`", dir.display())),
        }
    }
    anyhow::bail!("cannot create a temporary directory under `{}`", base.display())
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
