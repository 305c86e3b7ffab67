//! PDF from Tiergate's own printable HTML (memos, readiness reports), by a headless Chromium or Chrome.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

/// The longest a browser may take to print a memo.
const PRINT_TIMEOUT: Duration = Duration::from_secs(60);

/// `html` printed to PDF by a headless Chromium or Chrome; `what` names the document in messages. The pages
/// Tiergate prints (memos, readiness reports) hold no script, and their own Content Security Policy forbids any
/// (turning scripts off in the browser stops it printing).
pub fn print(html: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let browser = browser().with_context(|| {
        format!(
            "--format pdf prints the HTML {what} with a headless Chromium or Chrome, and none was found: install one \
             (Debian: apt-get install chromium), name it with TIERGATE_CHROMIUM, or use --format html and print that"
        )
    })?;
    let dir = tempdir()?;
    let page = dir.0.join("page.html");
    let pdf = dir.0.join("page.pdf");
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
            anyhow::bail!("`{}` did not print the {what} within {} s", browser.display(), PRINT_TIMEOUT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let bytes = std::fs::read(&pdf).unwrap_or_default();
    if !status.success() || !bytes.starts_with(b"%PDF") {
        anyhow::bail!("`{}` did not print the {what} to PDF ({status})", browser.display());
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
        let dir = base.join(format!("tiergate-print-{}-{n}", std::process::id()));
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
