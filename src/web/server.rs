//! Serving connections: HTTP/1.1 through hyper, with what warp 0.4's own `serve` lacks — a
//! deadline for a request's headers (which also closes a kept-alive connection left idle
//! that long), and a bound on open connections, so a few hundred clients trickling a byte a
//! second cannot hold the server. Every request goes through the front door (`front.rs`).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;

use super::{front, WebContext};

/// Open connections may take this long to finish after shutdown begins; then they are dropped
/// (a live event stream never finishes by itself).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Connection limits (from `[web]`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Open connections at most; more wait in the listen backlog.
    pub max_connections: usize,
    /// Time to send a request's headers, and the longest idle time between requests.
    pub header_timeout: Duration,
    /// Time to send a request's body.
    pub body_timeout: Duration,
}

/// Accepts connections until `shutdown` resolves, then lets open ones finish (up to
/// [`SHUTDOWN_GRACE`]).
pub(super) async fn run(
    ctx: Arc<WebContext>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let routes = warp::service(super::routes(ctx.clone()));
    let permits = Arc::new(Semaphore::new(ctx.limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // Out of file descriptors, most likely: wait rather than spin.
                    tracing::warn!(error = %err, "web: accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let header_timeout = ctx.limits.header_timeout;
        let ctx = ctx.clone();
        let routes = routes.clone();
        let service = hyper::service::service_fn(move |req| {
            front::handle(ctx.clone(), routes.clone(), peer, req)
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(header_timeout);
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(err) = conn.await {
                // Timeouts and clients that went away: routine, so debug.
                tracing::debug!(error = %err, %peer, "web: connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::debug!("web: connections still open at shutdown were dropped");
    }
}
