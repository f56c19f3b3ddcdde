//! The safe HTTP client. Every outbound request a connector makes goes through [`SafeClient`].
//!
//! What it guarantees, whatever a feed or a remote server tells it to fetch:
//! - **No private addresses** (unless `allow_private_networks`): IP literals are checked before
//!   each request and each redirect hop; host names are checked after DNS resolution, inside the
//!   resolver the connection actually uses, so a name cannot resolve differently between the
//!   check and the connect (DNS rebinding). See [`is_public_ip`] for the refused ranges.
//! - **Bounded redirects**: at most `max_redirects` hops, followed here (not by reqwest) so every
//!   hop's target is checked and a chain of 301/308 can be reported as a permanent move.
//! - **Bounded bodies**: `max_body_bytes` counted after decompression (gzip, brotli, deflate), so
//!   a small compressed bomb is cut off at the cap.
//! - **Bounded time**: a connect timeout and a total timeout that also stops a slow drip.
//! - **No proxy from the environment**: `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` are ignored,
//!   since a proxy resolves the target itself and the resolver above would never see it. A
//!   proxy named in the config ([`HttpConfig::proxy`]) is used, and then each target is
//!   resolved and checked here before the request is handed to the proxy.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, AUTHORIZATION, COOKIE, LOCATION, PROXY_AUTHORIZATION};
use reqwest::{Method, StatusCode};
use thiserror::Error;
use url::Url;

/// Settings for the safe client. `Default` gives the documented defaults.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// Total time for one request including all redirects and reading the body.
    pub timeout: Duration,
    /// Largest body accepted, after decompression.
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    /// Allow loopback, private, link-local … addresses (tests, home networks).
    pub allow_private_networks: bool,
    /// Send every request through this proxy (an `http://` or `https://` URL), named
    /// by the owner in the config. The environment's proxy variables are never used.
    pub proxy: Option<Url>,
    /// Test hook: host names answered with these addresses, which are treated as public. Lets
    /// the tests stand a "public-looking" host on 127.0.0.1 while private blocking is on. Not
    /// reachable from the config file.
    #[doc(hidden)]
    pub resolve_overrides: HashMap<String, SocketAddr>,
    /// Domains the owner blocked (`fetch.blocked_domains`, `braid block`): no request goes to
    /// them or their subdomains. Shared by every clone, so a block takes effect at once.
    pub blocked: Blocklist,
}

/// The domains no request may reach: each one and its subdomains. Cheap to clone; every clone
/// sees a [`Blocklist::replace`].
#[derive(Debug, Clone, Default)]
pub struct Blocklist(Arc<std::sync::RwLock<std::collections::BTreeSet<String>>>);

impl Blocklist {
    /// A list of `domains`, each normalized ([`Blocklist::normalize`]); bad entries are left out.
    pub fn of<I: IntoIterator<Item = S>, S: AsRef<str>>(domains: I) -> Self {
        let list = Blocklist::default();
        list.replace(domains);
        list
    }

    /// Replaces the list.
    pub fn replace<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, domains: I) {
        let set = domains
            .into_iter()
            .filter_map(|d| Blocklist::normalize(d.as_ref()))
            .collect();
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = set;
    }

    /// `domain` as the list keeps it: lower-case, without a trailing dot, port or scheme;
    /// `None` when it is not a host name or address.
    pub fn normalize(domain: &str) -> Option<String> {
        let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let d = d.strip_prefix("*.").unwrap_or(&d);
        if d.is_empty() || d.contains(['/', ':', '@', ' ']) {
            return None;
        }
        url::Host::parse(d).ok().map(|h| h.to_string())
    }

    /// True when `host` is a blocked domain or one of its subdomains.
    pub fn contains(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let set = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if set.is_empty() {
            return false;
        }
        let mut rest = host.as_str();
        loop {
            if set.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) if !parent.is_empty() => rest = parent,
                _ => return false,
            }
        }
    }

    pub fn len(&self) -> usize {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            user_agent: default_user_agent(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            allow_private_networks: false,
            proxy: None,
            resolve_overrides: HashMap::new(),
            blocked: Blocklist::default(),
        }
    }
}

/// `Braid/<version> (+https://braid.invalid/bot)`-style agent string naming the software.
pub fn default_user_agent() -> String {
    format!(
        "Braid/{} (open-source feed reader and bridge; one person's aggregator)",
        env!("CARGO_PKG_VERSION")
    )
}

/// Why a request failed before a usable response arrived.
#[derive(Debug, Error)]
pub enum HttpError {
    #[error("invalid URL: {0}")]
    BadUrl(String),
    #[error("refused to connect to {host}: {addr} is a private or reserved address")]
    PrivateAddress { host: String, addr: IpAddr },
    #[error("refused to connect to {0}: the domain is blocked")]
    Blocked(String),
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(usize),
    #[error("response body is larger than the {limit}-byte limit")]
    TooLarge { limit: u64 },
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("{0}")]
    Other(String),
}

/// A request to send through [`SafeClient::send`].
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
}

impl Request {
    pub fn get(url: Url) -> Self {
        Request {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            body: None,
        }
    }
}

/// A complete response: status, headers and the whole (capped, decompressed) body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    /// The URL the response finally came from, after redirects.
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Set when the request was redirected and every hop was permanent (301/308): callers that
    /// store URLs should store this one from now on.
    pub permanent_redirect: Option<Url>,
}

impl Response {
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The client every connector uses. Cheap to clone (one shared connection pool).
#[derive(Clone)]
pub struct SafeClient {
    inner: reqwest::Client,
    config: Arc<HttpConfig>,
}

impl std::fmt::Debug for SafeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafeClient")
            .field("config", &self.config)
            .finish()
    }
}

impl SafeClient {
    pub fn new(config: HttpConfig) -> Result<Self, HttpError> {
        let resolver = GuardedResolver {
            allow_private: config.allow_private_networks,
            overrides: config.resolve_overrides.clone(),
            // The owner named the proxy, so its own address may be private (a proxy on
            // localhost is the usual case); targets are checked before they reach it.
            trusted: config
                .proxy
                .as_ref()
                .and_then(|p| p.host_str())
                .map(|h| h.to_ascii_lowercase()),
        };
        // `no_proxy` first: reqwest would otherwise read the proxy variables of the
        // environment, and a proxy resolves the target itself, past our resolver.
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(resolver))
            .pool_max_idle_per_host(2);
        if let Some(proxy) = &config.proxy {
            let proxy = reqwest::Proxy::all(proxy.as_str())
                .map_err(|e| HttpError::BadUrl(format!("proxy {}: {e}", redacted(proxy))))?;
            builder = builder.proxy(proxy);
        }
        let inner = builder
            .build()
            .map_err(|e| HttpError::Other(format!("building HTTP client: {e}")))?;
        Ok(SafeClient {
            inner,
            config: Arc::new(config),
        })
    }

    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// True when the owner blocked `host` (or a domain it is under).
    pub fn is_blocked(&self, host: &str) -> bool {
        self.config.blocked.contains(host)
    }

    /// GET `url` with extra `headers` (conditional-request headers, `Accept`).
    pub async fn get(&self, url: &Url, headers: HeaderMap) -> Result<Response, HttpError> {
        let mut req = Request::get(url.clone());
        req.headers = headers;
        self.send(req).await
    }

    /// Sends `request`, following redirects for GET and HEAD, and reads the whole body.
    /// Any status is returned as a response; only transport-level failures are errors.
    pub async fn send(&self, request: Request) -> Result<Response, HttpError> {
        let deadline = tokio::time::Instant::now() + self.config.timeout;
        match tokio::time::timeout_at(deadline, self.send_inner(request)).await {
            Ok(result) => result,
            Err(_) => Err(HttpError::Timeout(format!(
                "no complete response within {} s",
                self.config.timeout.as_secs_f32()
            ))),
        }
    }

    async fn send_inner(&self, request: Request) -> Result<Response, HttpError> {
        let follow = request.method == Method::GET || request.method == Method::HEAD;
        let mut url = request.url.clone();
        let mut headers = request.headers.clone();
        let mut permanent = true;
        let mut hops = 0usize;
        loop {
            self.check_url(&url)?;
            if self.config.proxy.is_some() {
                self.check_target_before_proxy(&url).await?;
            }
            let mut builder = self
                .inner
                .request(request.method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            let resp = builder.send().await.map_err(|e| map_reqwest(&url, e))?;
            let status = resp.status();
            if follow && status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                if let Some(location) = resp.headers().get(LOCATION) {
                    let location = location
                        .to_str()
                        .map_err(|_| HttpError::BadUrl("redirect Location is not text".into()))?;
                    let next = url
                        .join(location)
                        .map_err(|e| HttpError::BadUrl(format!("redirect to {location:?}: {e}")))?;
                    // Credentials are for the origin they were given to: a redirect to
                    // another origin must not carry the account's token along (RFC 9110
                    // §15.4 leaves it to the client; browsers and curl drop them too).
                    if next.origin() != url.origin() {
                        for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION] {
                            headers.remove(name);
                        }
                    }
                    hops += 1;
                    if hops > self.config.max_redirects {
                        return Err(HttpError::TooManyRedirects(self.config.max_redirects));
                    }
                    permanent &= matches!(
                        status,
                        StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                    );
                    url = next;
                    continue;
                }
            }
            let headers = resp.headers().clone();
            let body = self.read_body(resp).await.map_err(|e| match e {
                HttpError::Other(m) => HttpError::Other(format!("reading body from {url}: {m}")),
                other => other,
            })?;
            return Ok(Response {
                status,
                permanent_redirect: (hops > 0 && permanent).then(|| url.clone()),
                url,
                headers,
                body,
            });
        }
    }

    async fn read_body(&self, mut resp: reqwest::Response) -> Result<Bytes, HttpError> {
        let limit = self.config.max_body_bytes;
        // Content-Length is of the encoded body; a larger decoded body is caught below.
        let encoded = resp
            .headers()
            .contains_key(reqwest::header::CONTENT_ENCODING);
        if let Some(len) = resp.content_length() {
            if len > limit && !encoded {
                return Err(HttpError::TooLarge { limit });
            }
        }
        let mut buf = BytesMut::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| map_reqwest(resp.url(), e))? {
            if buf.len() as u64 + chunk.len() as u64 > limit {
                return Err(HttpError::TooLarge { limit });
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }

    /// With a proxy, our resolver never sees the target (the proxy resolves it), so the name is
    /// resolved and checked here first. The proxy resolves it again: a name whose answer
    /// changes between the two lookups can still reach a private address through the proxy,
    /// which is why the docs ask for a proxy that refuses private destinations too.
    async fn check_target_before_proxy(&self, url: &Url) -> Result<(), HttpError> {
        let Some(url::Host::Domain(host)) = url.host() else {
            return Ok(()); // IP literals: checked by check_url
        };
        if self.config.allow_private_networks {
            return Ok(());
        }
        let host = host.to_ascii_lowercase();
        if self.config.resolve_overrides.contains_key(&host) {
            return Ok(());
        }
        resolve_public(host)
            .await
            .map(|_| ())
            .map_err(|e| match e.downcast::<PrivateRefused>() {
                Ok(refused) => HttpError::PrivateAddress {
                    host: refused.host,
                    addr: refused.addr,
                },
                Err(other) => HttpError::Connect(format!("{url}: {other}")),
            })
    }

    /// Refuses non-http(s) URLs and private IP literals.
    fn check_url(&self, url: &Url) -> Result<(), HttpError> {
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(HttpError::BadUrl(format!(
                "{url}: only http and https URLs can be fetched"
            )));
        }
        let host = match url.host() {
            Some(h) => h,
            None => return Err(HttpError::BadUrl(format!("{url}: no host"))),
        };
        if self.config.blocked.contains(&host.to_string()) {
            return Err(HttpError::Blocked(host.to_string()));
        }
        if self.config.allow_private_networks {
            return Ok(());
        }
        let ip = match host {
            url::Host::Ipv4(v4) => IpAddr::V4(v4),
            url::Host::Ipv6(v6) => IpAddr::V6(v6),
            url::Host::Domain(_) => return Ok(()), // checked after resolution
        };
        if is_public_ip(ip) {
            Ok(())
        } else {
            Err(HttpError::PrivateAddress {
                host: host.to_string(),
                addr: ip,
            })
        }
    }
}

fn map_reqwest(url: &Url, err: reqwest::Error) -> HttpError {
    // The resolver's refusal travels inside reqwest's error chain.
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<PrivateRefused>() {
            return HttpError::PrivateAddress {
                host: refused.host.clone(),
                addr: refused.addr,
            };
        }
        source = e.source();
    }
    let detail = error_chain(&err);
    if err.is_timeout() {
        HttpError::Timeout(format!("{url}: {detail}"))
    } else if err.is_connect() {
        HttpError::Connect(format!("{url}: {detail}"))
    } else {
        HttpError::Other(format!("{url}: {detail}"))
    }
}

/// The innermost useful message of an error chain ("connection refused", not "error sending
/// request").
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        source = e.source();
    }
    parts.join(": ")
}

#[derive(Debug, Error)]
#[error("refused to connect to {host}: {addr} is a private or reserved address")]
struct PrivateRefused {
    host: String,
    addr: IpAddr,
}

/// The DNS resolver installed into reqwest: resolves with the system resolver, then drops every
/// address that is not public. A name with only private addresses fails with [`PrivateRefused`].
struct GuardedResolver {
    allow_private: bool,
    overrides: HashMap<String, SocketAddr>,
    /// The configured proxy's host, resolved without the check.
    trusted: Option<String>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        if let Some(addr) = self.overrides.get(&host) {
            let addrs: Addrs = Box::new(std::iter::once(*addr));
            return Box::pin(async move { Ok(addrs) });
        }
        let allow_private = self.allow_private || self.trusted.as_deref() == Some(host.as_str());
        Box::pin(async move {
            if allow_private {
                let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
                let addrs: Addrs = Box::new(resolved.collect::<Vec<_>>().into_iter());
                return Ok(addrs);
            }
            let addrs: Addrs = Box::new(resolve_public(host).await?.into_iter());
            Ok(addrs)
        })
    }
}

/// Resolves `host` with the system resolver and keeps its public addresses; a name with only
/// private addresses fails with [`PrivateRefused`].
async fn resolve_public(
    host: String,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
    let public: Vec<SocketAddr> = resolved
        .iter()
        .copied()
        .filter(|a| is_public_ip(a.ip()))
        .collect();
    match resolved.first() {
        Some(first) if public.is_empty() => Err(Box::new(PrivateRefused {
            host,
            addr: first.ip(),
        })),
        _ => Ok(public),
    }
}

/// A proxy URL fit for messages: without its user name and password.
fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

/// True when `ip` is a globally routable unicast address. Refused: unspecified, loopback,
/// private (RFC 1918), CGNAT (RFC 6598), link-local, multicast, broadcast, documentation,
/// benchmarking (RFC 2544), IETF protocol assignments, reserved (240/4), IPv6 unique-local,
/// site-local, discard-only, Teredo, and IPv4 embedded in IPv6 (mapped, compatible, NAT64,
/// 6to4) whenever the embedded IPv4 address is refused.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 CGNAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24
        || (o[0] == 192 && o[1] == 88 && o[2] == 99) // 6to4 relay anycast
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
        || o[0] >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    // IPv4-compatible ::a.b.c.d (deprecated) and NAT64 64:ff9b::/96 carry an IPv4 address.
    if s[..6] == [0, 0, 0, 0, 0, 0] || (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0]) {
        if ip.is_unspecified() || ip.is_loopback() {
            return false;
        }
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return is_public_v4(v4);
    }
    if s[0] == 0x2002 {
        // 6to4: 2002:AABB:CCDD::/48 embeds AA.BB.CC.DD
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return is_public_v4(v4);
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0])) // discard-only 100::/64
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn refuses_private_and_reserved() {
        for s in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "198.18.0.1",
            "192.0.0.8",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2002:7f00:1::1",
            "2001:db8::1",
            "::127.0.0.1",
        ] {
            assert!(!is_public_ip(ip(s)), "{s} should be refused");
        }
    }

    #[test]
    fn allows_public() {
        for s in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:93.184.216.34",
            "64:ff9b::5db8:d822",
        ] {
            assert!(is_public_ip(ip(s)), "{s} should be allowed");
        }
    }

    /// A proxy on 127.0.0.1 that answers every request with "via proxy" and records the
    /// request lines it got (absolute-form, RFC 9112 §3.2.2).
    async fn recording_proxy() -> (Url, Arc<std::sync::Mutex<Vec<String>>>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                log.lock()
                    .unwrap()
                    .push(head.lines().next().unwrap_or("").to_owned());
                let _ = sock
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia proxy",
                    )
                    .await;
            }
        });
        (Url::parse(&format!("http://{addr}")).unwrap(), seen)
    }

    #[tokio::test]
    async fn a_configured_proxy_carries_checked_targets_and_never_private_ones() {
        let (proxy, seen) = recording_proxy().await;
        let mut overrides = HashMap::new();
        // Stands for a public host: resolve overrides are treated as public.
        overrides.insert("public.test".to_owned(), "127.0.0.1:9".parse().unwrap());
        let client = SafeClient::new(HttpConfig {
            proxy: Some(proxy),
            resolve_overrides: overrides,
            ..HttpConfig::default()
        })
        .unwrap();

        let url = Url::parse("http://public.test/feed.xml").unwrap();
        let resp = client.get(&url, HeaderMap::new()).await.unwrap();
        assert_eq!(&resp.body[..], b"via proxy");
        assert_eq!(
            seen.lock().unwrap().as_slice(),
            ["GET http://public.test/feed.xml HTTP/1.1"]
        );

        for private in [
            "http://localhost:9/",
            "http://127.0.0.1:9/",
            "http://[::1]:9/",
        ] {
            let err = client
                .get(&Url::parse(private).unwrap(), HeaderMap::new())
                .await
                .unwrap_err();
            assert!(
                matches!(err, HttpError::PrivateAddress { .. }),
                "{private}: {err}"
            );
        }
        assert_eq!(
            seen.lock().unwrap().len(),
            1,
            "a private target reached the proxy"
        );
    }

    #[test]
    fn proxy_credentials_are_not_shown() {
        let url = Url::parse("http://user:s3cret@proxy.example:3128/").unwrap();
        assert_eq!(redacted(&url), "http://proxy.example:3128/");
    }
}

#[cfg(test)]
mod blocklist_tests {
    use super::*;

    #[test]
    fn a_blocked_domain_covers_its_subdomains_only() {
        let list = Blocklist::of(["Bad.Example.", "*.spam.test", "not a domain", "127.0.0.9"]);
        assert_eq!(list.len(), 3);
        assert!(list.contains("bad.example"));
        assert!(list.contains("a.b.BAD.example"));
        assert!(list.contains("x.spam.test"));
        assert!(list.contains("127.0.0.9"));
        assert!(!list.contains("notbad.example"));
        assert!(!list.contains("example"));
        assert!(!list.contains("127.0.0.1"));
        // Every clone sees a change.
        let other = list.clone();
        list.replace(["good.example"]);
        assert!(!other.contains("bad.example"));
    }
}
