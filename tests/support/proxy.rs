//! Two small proxies of our own for the login tests, on 127.0.0.1:0.
//!
//! - [`RewriteProxy`]: a reverse proxy in front of a real peer that rewrites its JSON answers.
//!   It stands in for Mastodon-API servers that no registry installs (software nodeinfo names
//!   but megalodon does not know; accounts without `fields`, `group`, `discoverable`, `role`):
//!   the peer does the real work, the proxy only changes what those servers change.
//! - [`RecordingProxy`]: a forward proxy that only counts the connections it receives and
//!   answers 502, for proving that Braid never goes through `HTTP_PROXY` and friends.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use warp::Filter;

/// Changes one JSON answer: gets the request path and the parsed body.
pub type Rewrite = Arc<dyn Fn(&str, &mut serde_json::Value) + Send + Sync>;

/// A running reverse proxy; stops when dropped.
pub struct RewriteProxy {
    /// `http://127.0.0.1:PORT`, to give Braid instead of the peer's own address.
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RewriteProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RewriteProxy {
    /// Forwards every request to `upstream` (`http://127.0.0.1:PORT`) and passes each JSON
    /// answer through `rewrite`. The upstream's own address in answers (nodeinfo's `href`) is
    /// replaced by the proxy's, so clients stay behind the proxy.
    pub async fn start(
        upstream: &str,
        rewrite: impl Fn(&str, &mut serde_json::Value) + Send + Sync + 'static,
    ) -> RewriteProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let base = format!("http://{addr}");
        let upstream = upstream.trim_end_matches('/').to_owned();
        let rewrite: Rewrite = Arc::new(rewrite);
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("proxy client");
        let state = Arc::new(State {
            client,
            upstream,
            proxy_base: base.clone(),
            rewrite,
        });
        let route = warp::any()
            .map(move || state.clone())
            .and(warp::method())
            .and(warp::path::full())
            .and(warp::query::raw().or(warp::any().map(String::new)).unify())
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .then(forward);
        listener.set_nonblocking(true).expect("nonblocking");
        let listener = TcpListener::from_std(listener).expect("tokio listener");
        let task = tokio::spawn(async move {
            warp::serve(route).incoming(listener).run().await;
        });
        RewriteProxy { base, task }
    }
}

struct State {
    client: reqwest::Client,
    upstream: String,
    proxy_base: String,
    rewrite: Rewrite,
}

async fn forward(
    state: Arc<State>,
    method: warp::http::Method,
    path: warp::path::FullPath,
    query: String,
    headers: warp::http::HeaderMap,
    body: bytes::Bytes,
) -> warp::http::Response<Vec<u8>> {
    let State {
        client,
        upstream,
        proxy_base,
        rewrite,
    } = &*state;
    let path = path.as_str();
    let url = if query.is_empty() {
        format!("{upstream}{path}")
    } else {
        format!("{upstream}{path}?{query}")
    };
    let mut req = client.request(method, &url).body(body);
    for (name, value) in &headers {
        if name != warp::http::header::HOST && name != warp::http::header::CONTENT_LENGTH {
            req = req.header(name, value);
        }
    }
    let resp = req.send().await.expect("upstream answers");
    let status = resp.status();
    let resp_headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("upstream body");
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut json) => {
            rewrite(path, &mut json);
            serde_json::to_string(&json)
                .expect("json")
                .replace(upstream.as_str(), proxy_base)
                .into_bytes()
        }
        Err(_) => bytes.to_vec(),
    };
    let mut out = warp::http::Response::builder().status(status.as_u16());
    for (name, value) in &resp_headers {
        if name != warp::http::header::CONTENT_LENGTH
            && name != warp::http::header::TRANSFER_ENCODING
        {
            out = out.header(name.as_str(), value.as_bytes());
        }
    }
    out.body(body).expect("response")
}

/// A forward proxy that records each connection and answers 502; stops when dropped.
pub struct RecordingProxy {
    pub addr: SocketAddr,
    /// The first line of each request received (`GET http://… HTTP/1.1`, `CONNECT host:443 …`).
    pub seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RecordingProxy {
    pub async fn start() -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen2 = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let seen = seen2.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    let first = String::from_utf8_lossy(&buf[..n])
                        .lines()
                        .next()
                        .unwrap_or("<nothing>")
                        .to_owned();
                    seen.lock().expect("seen").push(first);
                    let _ = stream
                        .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                });
            }
        });
        RecordingProxy { addr, seen, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn connections(&self) -> Vec<String> {
        self.seen.lock().expect("seen").clone()
    }
}
