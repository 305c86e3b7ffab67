//! `tiergate serve`: the HTTP API.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use tiergate_server::{serve, AppState, Limits};
use tiergate_store::{Ledger, LedgerError, Role, SharedLedger};
use tiergate_wire::Env;
use time::OffsetDateTime;

/// Connections for reads beside the one that writes.
const READERS: usize = 4;
/// How often the server looks for list imports and judgements made by other processes.
const LIST_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);
/// How often idle readers end the read transaction they keep open between determinations (see
/// `SharedLedger::drawn_with_key`), so that it never holds SQLite's WAL back for long.
const READ_RELEASE: std::time::Duration = std::time::Duration::from_secs(1);

pub fn run(env: Env, db: &str, args: &crate::cli::ServeArgs) -> anyhow::Result<ExitCode> {
    use std::time::Duration;
    let bind = args.bind.as_str();
    let conn_limits = tiergate_server::listen::ConnLimits {
        header_timeout: Duration::from_secs(args.header_timeout),
        stall_timeout: Duration::from_secs(args.stall_timeout),
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
        ..tiergate_server::listen::ConnLimits::default()
    };
    let limits = Limits { body_timeout: Duration::from_secs(args.body_timeout), ..Limits::default() };
    tiergate_server::init_logs();
    // The database URL as it may be printed: never its password.
    let shown_db = tiergate_store::redacted_url(db);
    let mut ledger =
        Ledger::open(db, Arc::clone(&env.pack)).with_context(|| format!("cannot open the ledger at `{shown_db}`"))?;
    // A new database has no token: make an admin one, so that the first user is not locked out.
    let first_token = if ledger.has_tokens()? {
        None
    } else {
        let meta = tiergate_store::Meta {
            actor: "tiergate serve (first start)".to_owned(),
            reason: Some("a new ledger has no token".to_owned()),
            at: OffsetDateTime::now_utc(),
        };
        match ledger.create_token("admin", Role::Admin, &meta) {
            Ok(token) => Some(token),
            // Another instance starting on the same new database made it first.
            Err(LedgerError::Conflict(_)) => None,
            Err(e) => return Err(e.into()),
        }
    };
    let shared = SharedLedger::new(ledger)
        .with_readers(db, READERS)
        .with_context(|| format!("cannot open readers on `{shown_db}`"))?;
    let secure = match args.secure_cookies {
        crate::cli::SecureCookies::Always => true,
        crate::cli::SecureCookies::Never => false,
        // Reached only from this machine: plain HTTP is fine; anything else sits behind TLS.
        crate::cli::SecureCookies::Auto => {
            use std::net::ToSocketAddrs;
            let addrs: Vec<std::net::SocketAddr> =
                bind.to_socket_addrs().with_context(|| format!("cannot resolve `{bind}`"))?.collect();
            !addrs.iter().all(|a| a.ip().is_loopback())
        }
    };
    let state = Arc::new(
        AppState::new(env, shared, limits).with_inline_db(db.starts_with("sqlite:")).with_secure_cookies(secure),
    );
    // Determinations screen their parties against the imported lists: load them before the first request.
    state.refresh_lists().context("cannot load the restricted-party lists")?;
    let served = Arc::clone(&state);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on `{bind}`"))?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        // One JSON line on standard output for scripts; words for people on standard error.
        let mut out = std::io::stdout().lock();
        // The token rides in the URL's fragment, which the browser never sends to a server: the page signs in
        // with it and drops it from the address bar.
        let sign_in = match &first_token {
            Some(token) => format!("{url}/#token={token}"),
            None => format!("{url}/"),
        };
        writeln!(
            out,
            "{}",
            serde_json::json!({"listening": url, "db": shown_db, "admin_token": first_token, "dashboard": sign_in})
        )?;
        out.flush()?;
        drop(out);
        eprintln!("Tiergate is serving {url} (ledger {shown_db}). Stop it with Ctrl-C.");
        // The token is printed once here (and in the JSON line on standard output, for scripts).
        match &first_token {
            Some(token) => eprintln!(
                "This database had no API token, so an admin token was made; it is shown only now:\n  {token}\nOpen the dashboard at {url}/ and sign in with it (the `dashboard` link of the JSON line on standard output signs in directly).\nOr try the API:\n  curl -H \"Authorization: Bearer $TOKEN\" {url}/v1/countries/MY\n"
            ),
            None => eprintln!(
                "Open the dashboard at {sign_in} and sign in with a token from `tiergate token create --name NAME --role ROLE`\n(the API takes it as `Authorization: Bearer TOKEN`)."
            ),
        }
        tracing::info!(%url, "serving");
        let watched = Arc::clone(&served);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(LIST_REFRESH);
            every.tick().await; // the first tick is now, and the lists were just loaded
            loop {
                every.tick().await;
                let state = Arc::clone(&watched);
                match tokio::task::spawn_blocking(move || state.refresh_lists()).await {
                    Ok(Ok(true)) => tracing::info!("restricted-party lists, judgements or the party registry changed: reloaded"),
                    Ok(Ok(false)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "cannot reload the restricted-party lists or the party registry; keeping the loaded ones"),
                    Err(e) => tracing::warn!(error = %e, "the list reload task failed"),
                }
            }
        });
        let readers = Arc::clone(&served);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(READ_RELEASE);
            loop {
                every.tick().await;
                // Never waits: a reader in use at this tick is skipped until the next.
                readers.ledger.release_reads();
            }
        });
        serve(listener, served, conn_limits, shutdown_signal()).await.context("the server failed")?;
        tracing::info!("stopped");
        anyhow::Ok(())
    });
    // The PostgreSQL client blocks when it closes, which a tokio runtime forbids inside it: stop the runtime
    // first, then drop the last reference to the ledger out here.
    runtime.shutdown_timeout(Duration::from_secs(2));
    drop(state);
    result?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM; requests in flight then finish before the server stops.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
