//! Serving connections with every limit explicit: HTTP/1.1 through hyper with a header timeout (which also closes
//! kept-alive connections left idle), a cap on header size, a stall timeout for connections that stop moving in the
//! middle of a request or response, a cap on open connections (beyond it, new connections wait in the kernel's
//! backlog rather than fail), and a graceful shutdown bounded in time. Request bodies get their own deadline in
//! the router ([`crate::router`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::service::Service as _;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::AppState;

/// Bounds on connections.
#[derive(Clone, Copy, Debug)]
pub struct ConnLimits {
    /// From the moment a connection waits for a request (when it opens, or after the previous response on a
    /// kept-alive connection) until that request's headers are complete. Idle connections close after it.
    pub header_timeout: Duration,
    /// A connection with a request in progress that moves no byte either way for this long is closed.
    pub stall_timeout: Duration,
    /// Open connections; more wait to be accepted.
    pub max_connections: usize,
    /// After the shutdown signal, how long requests in flight may take before the server exits anyway.
    pub shutdown_timeout: Duration,
    /// The most bytes of request line and headers.
    pub max_header_bytes: usize,
}

impl Default for ConnLimits {
    fn default() -> ConnLimits {
        ConnLimits {
            header_timeout: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(60),
            max_connections: 1024,
            shutdown_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
        }
    }
}

/// Serves until `shutdown` resolves; then stops accepting, closes idle connections, lets requests in flight
/// finish for at most `limits.shutdown_timeout`, and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = crate::router(state);
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192));
    let started = Instant::now();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file handles or the like: wait rather than spin; connections wait in the backlog.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let moved = Arc::new(AtomicU64::new(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)));
        let io = TokioIo::new(Watched { stream, moved: Arc::clone(&moved), started, replacing: None });
        // Requests whose handler is still working: the connection is quiet then because the server is busy, not
        // the client, and is never closed as stalled.
        let working = Arc::new(AtomicU64::new(0));
        let (busy, answered) = (Arc::clone(&working), Arc::clone(&moved));
        let app = app.clone();
        let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let _working = Working::start(&busy, &answered, started);
            let answer = TowerToHyperService::new(app.clone()).call(req);
            async move {
                let answer = answer.await;
                drop(_working);
                answer
            }
        });
        let conn = graceful.watch(http.serve_connection(io, service));
        let stall = limits.stall_timeout;
        tokio::spawn(async move {
            tokio::select! {
                done = conn => if let Err(e) = done {
                    tracing::debug!(error = %e, "connection ended with an error");
                },
                () = stalled(&moved, &working, started, stall) => tracing::info!("closed a stalled connection"),
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_timeout) => {
            tracing::warn!("requests still in flight at the shutdown deadline; stopping anyway");
        }
    }
    Ok(())
}

/// Resolves when no byte has moved on the connection for `limit` while no handler of it was working.
async fn stalled(moved: &AtomicU64, working: &AtomicU64, started: Instant, limit: Duration) {
    loop {
        if working.load(Ordering::Relaxed) > 0 {
            // A handler is at work: quiet is the server's doing; look again later, counting from then.
            tokio::time::sleep(limit).await;
            continue;
        }
        let last = Duration::from_millis(moved.load(Ordering::Relaxed));
        let quiet = started.elapsed().saturating_sub(last);
        if quiet >= limit {
            return;
        }
        tokio::time::sleep(limit - quiet).await;
    }
}

/// One request at work on a connection, for as long as it lives; when it ends, the connection counts as having
/// just moved (its answer is about to), so that a long handler's quiet is not held against the client.
struct Working {
    count: Arc<AtomicU64>,
    moved: Arc<AtomicU64>,
    started: Instant,
}

impl Working {
    fn start(count: &Arc<AtomicU64>, moved: &Arc<AtomicU64>, started: Instant) -> Working {
        count.fetch_add(1, Ordering::Relaxed);
        Working { count: Arc::clone(count), moved: Arc::clone(moved), started }
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.moved.store(ms, Ordering::Relaxed);
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection that notes when it last moved a byte (milliseconds since the server started), and gives hyper's
/// own answers to requests it cannot parse a problem body like every other error.
struct Watched {
    stream: TcpStream,
    moved: Arc<AtomicU64>,
    started: Instant,
    /// A problem answer being written in place of hyper's bodiless one, how much of it is written, and the length
    /// of hyper's, which the write reports once the problem is out.
    replacing: Option<(Vec<u8>, usize, usize)>,
}

/// hyper's automatic answer to a request it cannot parse (bad request line or header, target or headers over its
/// limits) is a status line, `connection: close`, `content-length: 0` and a date: nothing the router writes looks
/// like it, since every error of the router's carries a problem body. Its replacement, with the problem body.
fn problem_for(head: &[u8]) -> Option<Vec<u8>> {
    let (status, code, detail) = match head.get(..13)? {
        b"HTTP/1.1 400 " => (400, "malformed_request", "the request line or a header is not HTTP/1.1"),
        b"HTTP/1.1 414 " => (414, "uri_too_long", "the request's path and query are longer than the server reads"),
        b"HTTP/1.1 431 " => (431, "headers_too_large", "the request's headers are larger than the server reads"),
        _ => return None,
    };
    let text = std::str::from_utf8(head).ok()?.to_ascii_lowercase();
    if !text.ends_with("\r\n\r\n") || !text.contains("\r\nconnection: close\r\ncontent-length: 0\r\n") {
        return None;
    }
    let status_line = text.lines().next()?;
    let title = head.get(13..status_line.len()).and_then(|t| std::str::from_utf8(t).ok())?;
    let body = serde_json::json!({
        "type": format!("urn:tiergate:problem:{code}"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    })
    .to_string();
    Some(
        format!(
            "HTTP/1.1 {status} {title}\r\nconnection: close\r\ncontent-type: application/problem+json\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl Watched {
    fn note(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.moved.store(ms, Ordering::Relaxed);
    }
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.note();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if this.replacing.is_none() {
            this.replacing = problem_for(buf).map(|bytes| (bytes, 0, buf.len()));
        }
        if let Some((bytes, written, answers)) = &mut this.replacing {
            while let Some(rest) = bytes.get(*written..).filter(|r| !r.is_empty()) {
                match Pin::new(&mut this.stream).poll_write(cx, rest) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                    Poll::Ready(Ok(n)) => *written += n,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            let answered = *answers;
            this.replacing = None;
            this.note();
            return Poll::Ready(Ok(answered));
        }
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.note();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A connection is stalled only when it is quiet while none of its handlers works; a handler's end counts as
    /// activity.
    #[tokio::test]
    async fn only_a_quiet_client_stalls_never_a_busy_handler() {
        let started = Instant::now();
        let (moved, working) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let limit = Duration::from_millis(100);
        let handler = Working::start(&working, &moved, started);
        let busy = tokio::time::timeout(Duration::from_millis(350), stalled(&moved, &working, started, limit)).await;
        assert!(busy.is_err(), "stalled while a handler was at work");
        drop(handler);
        let t = Instant::now();
        stalled(&moved, &working, started, limit).await;
        assert!(t.elapsed() >= Duration::from_millis(90), "stalled at once after the handler ended: {:?}", t.elapsed());
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }
}
