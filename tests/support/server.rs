//! A scripted HTTP/1.1 server on 127.0.0.1:0 for the fetch tests. Written on raw TCP on purpose:
//! the tests need behaviour a normal framework makes hard (dripping one byte a second, exact
//! redirect chains, lying Content-Length, gzip bombs), and must see the request headers Braid
//! sent (If-None-Match, User-Agent).
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: HashMap<String, String>,
}

/// What to answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send the body one byte at a time with this pause between bytes.
    pub drip: Option<Duration>,
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
            drip: None,
        }
    }
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: vec![],
            body: vec![],
            drip: None,
        }
    }
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::status(status).header("Location", location)
    }
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// A running test server; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    /// Connections being answered right now, and the most there ever were at once.
    pub active: Arc<std::sync::atomic::AtomicUsize>,
    pub max_active: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Starts a server answering every request with `handler`.
    pub async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Handler = Arc::new(handler);
        let seen2 = seen.clone();
        let active: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
        let max_active: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
        let (active2, max2) = (active.clone(), max_active.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let handler = handler.clone();
                let seen = seen2.clone();
                let (active, max_active) = (active2.clone(), max2.clone());
                tokio::spawn(async move {
                    let _ = serve_conn(stream, handler, seen, &active, &max_active).await;
                });
            }
        });
        TestServer {
            addr,
            seen,
            active,
            max_active,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Requests seen for `path`.
    pub fn hits(&self, path: &str) -> Vec<Seen> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }
}

/// Serves one request. `active` counts the requests between "fully read" and "last byte about
/// to be written": a client cannot have finished a response that is still counted, so the
/// maximum never over-reports how many requests a client had open at once.
async fn serve_conn(
    mut stream: TcpStream,
    handler: Handler,
    seen: Arc<Mutex<Vec<Seen>>>,
    active: &AtomicUsize,
    max_active: &AtomicUsize,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.len() > 64 * 1024 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    for line in lines.take_while(|l| !l.is_empty()) {
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let now = active.fetch_add(1, SeqCst) + 1;
    max_active.fetch_max(now, SeqCst);
    let req = Seen {
        method,
        path,
        headers,
    };
    seen.lock().expect("lock").push(req.clone());
    let reply = handler(&req);
    let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", reply.status);
    let has_len = reply
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has_len {
        head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    let pause = reply.drip.unwrap_or_default();
    let (last, rest) = match reply.body.split_last() {
        Some((last, rest)) => (Some(*last), rest),
        None => (None, &[][..]),
    };
    if reply.drip.is_none() {
        stream.write_all(rest).await?;
    } else {
        for (i, b) in rest.iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(pause).await;
            }
            stream.write_all(&[*b]).await?;
            stream.flush().await?;
        }
        tokio::time::sleep(pause).await;
    }
    active.fetch_sub(1, SeqCst);
    if let Some(last) = last {
        stream.write_all(&[last]).await?;
    }
    stream.flush().await?;
    let _ = stream.shutdown().await;
    Ok(())
}

/// gzip-compresses `data`.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}
