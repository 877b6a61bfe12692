//! One registry connection, spoken directly over HTTP (reqwest on a small tokio runtime of its own;
//! the rest of imgscope is synchronous): the normalized reference, credentials and the token
//! dance, bounded retries with backoff for transient faults (429, 5xx, dropped connections), and
//! registry errors turned into one-line explanations that say what to do. Credentials never
//! appear in any message.
//!
//! A registry is not trusted to be reasonable: every metadata answer (manifest, index, config,
//! tag-list page, token, error body) is read with a byte cap and the whole request — retries
//! included — with a time budget, so an endless or dripping answer fails fast with one line
//! naming the registry, what was asked and the limit. Basic credentials go to a token realm only
//! over HTTPS, to loopback, or when the user chose plain HTTP for the registry.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use bytes::Bytes;
use oci_spec::distribution::Reference;
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde::Deserialize;

use super::auth;
use super::digest::Verifier;
use super::{MAX_TAGS, RegistryOptions};

/// Attempts at one request (or one blob download, its resumptions included).
pub(super) const ATTEMPTS: u32 = 4;
/// The first wait before a retry; each next one doubles it.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait a registry's `Retry-After` is honoured for.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// The default bound on a blob download receiving nothing.
pub const DEFAULT_STALL: Duration = Duration::from_secs(30);

/// The most bytes of a manifest or index read (the distribution spec suggests registries accept
/// at least 4 MiB, so none larger is expected).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// The most bytes of an image config read.
pub const MAX_CONFIG_BYTES: u64 = 8 * 1024 * 1024;
/// The most bytes of one page of a tag list.
pub const MAX_TAG_PAGE_BYTES: u64 = 4 * 1024 * 1024;
/// Tags asked for per page.
const TAG_PAGE: usize = 1000;
/// The most tag-list pages read (100,000 tags at the 100 a page some registries cap `n` at).
pub const MAX_TAG_PAGES: usize = 1000;
/// The most bytes of a token response read.
pub const MAX_TOKEN_BYTES: u64 = 1024 * 1024;
/// The most bytes of an error body read (to find the registry's error code).
const MAX_ERROR_BYTES: u64 = 64 * 1024;
/// The default time budget of one metadata request, retries included.
pub const DEFAULT_REQUEST_BUDGET: Duration = Duration::from_secs(60);

/// Loopback registries may be reached over plain HTTP without asking.
pub fn is_loopback(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        registry.split(':').next().unwrap_or("")
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// What is sent as `Authorization`, once a challenge said what the registry wants.
#[derive(Clone)]
enum Authorization {
    Anonymous,
    Basic,
    Bearer(String),
}

/// Why a request failed, before it is explained in one line.
#[derive(Debug)]
enum Fault {
    Transport(reqwest::Error),
    /// Reaching the token service (at the host named) failed.
    TokenTransport(reqwest::Error, String),
    /// A non-success answer, with the registry's first error code and message if it gave any.
    Status {
        code: u16,
        error: Option<(String, String)>,
        /// The wait the registry asked for (`Retry-After`), as it said it.
        retry_after: Option<Duration>,
    },
    TooLarge {
        what: String,
        cap: u64,
    },
    Budget {
        what: String,
    },
    /// Already one full line.
    Message(String),
    /// The last fault of a request tried more than once.
    Retried {
        last: Box<Fault>,
        attempts: u32,
        over: Duration,
    },
}

/// The attempts made at one request (or one blob download) so far.
#[derive(Debug)]
pub(super) struct Tries {
    pub(super) attempts: u32,
    pub(super) started: Instant,
}

impl Tries {
    pub(super) fn new() -> Tries {
        Tries {
            attempts: 0,
            started: Instant::now(),
        }
    }

    /// `N attempts over T s`, for messages.
    pub(super) fn text(&self) -> String {
        format!(
            "{} attempts over {:.1} s",
            self.attempts,
            self.started.elapsed().as_secs_f64()
        )
    }

    /// The wait before the next attempt: the backoff, or longer if the registry asked for it
    /// (up to [`MAX_RETRY_AFTER`]).
    pub(super) fn delay(&self, asked: Option<Duration>) -> Duration {
        let backoff = FIRST_BACKOFF * 2u32.pow(self.attempts.saturating_sub(1).min(10));
        asked.map_or(backoff, |a| a.min(MAX_RETRY_AFTER).max(backoff))
    }
}

impl Fault {
    fn transient(&self) -> bool {
        match self {
            // A body cut short is `is_body` (or `is_decode` as reqwest reads it).
            Fault::Transport(e) | Fault::TokenTransport(e, _) => {
                e.is_timeout() || e.is_connect() || e.is_request() || e.is_body() || e.is_decode()
            }
            Fault::Status { code, error, .. } => {
                *code == 429
                    || *code >= 500
                    || error.as_ref().is_some_and(|(c, _)| c == "TOOMANYREQUESTS")
            }
            _ => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Fault::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

pub struct RegistryClient {
    pub(super) runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    pub(super) reference: Reference,
    pub(super) cache: Option<super::BlobCache>,
    /// `scheme://host/v2/repository`.
    base: String,
    /// The registry as addressed (docker.io resolved to its real host).
    registry: String,
    plain_http: bool,
    credentials: Option<auth::Credentials>,
    authorization: Mutex<Authorization>,
    budget: Duration,
    /// How long a blob download may receive nothing.
    pub(super) stall: Duration,
    pub(super) verbose: bool,
    /// The token scope asked for: this repository's pull, or the registry's catalog.
    scope: String,
}

fn bytes_text(n: u64) -> String {
    if n >= 1024 * 1024 && n.is_multiple_of(1024 * 1024) {
        format!("{} MiB", n / (1024 * 1024))
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

impl RegistryClient {
    pub fn new(reference: &str, options: &RegistryOptions) -> Result<RegistryClient> {
        let text = reference.strip_prefix("docker://").unwrap_or(reference);
        let reference: Reference = text
            .parse()
            .map_err(|e| anyhow!("invalid image reference: {e}"))?;
        let registry = reference.resolve_registry().to_string();
        let plain = options.plain_http || is_loopback(reference.registry());
        let scheme = if plain { "http" } else { "https" };
        let credentials = match (&options.username, &options.password) {
            (Some(u), Some(p)) => Some(auth::Credentials {
                username: u.clone(),
                secret: p.clone(),
            }),
            (Some(_), None) => bail!("--username needs --password-stdin"),
            _ => auth::stored_credentials(reference.registry())?,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            // Past the stall bound, so that a stalled blob is named as such.
            .read_timeout(
                options
                    .stall
                    .unwrap_or(DEFAULT_STALL)
                    .max(Duration::from_secs(60))
                    + Duration::from_secs(5),
            )
            .user_agent(concat!("imgscope/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow!("setting up HTTP for {registry}: {e}"))?;
        let base = format!("{scheme}://{registry}/v2/{}", reference.repository());
        let scope = format!("repository:{}:pull", reference.repository());
        Ok(RegistryClient {
            runtime,
            http,
            reference,
            cache: options.cache.clone(),
            base,
            registry,
            plain_http: options.plain_http,
            credentials,
            authorization: Mutex::new(Authorization::Anonymous),
            budget: options.request_budget.unwrap_or(DEFAULT_REQUEST_BUDGET),
            stall: options.stall.unwrap_or(DEFAULT_STALL),
            verbose: options.verbose,
            scope,
        })
    }

    /// `registry/repository:tag[@digest]` as the user would write it in full.
    pub fn display_name(&self) -> String {
        self.reference.whole()
    }

    /// `repository:tag` or `repository@digest`, for messages.
    fn short_name(&self, digest: Option<&str>) -> String {
        match digest.or(self.reference.digest()) {
            Some(d) => format!("{}@{d}", self.reference.repository()),
            None => format!(
                "{}:{}",
                self.reference.repository(),
                self.reference.tag().unwrap_or("latest")
            ),
        }
    }

    /// `registry/repository`, for naming each tag of it.
    pub fn repository_name(&self) -> String {
        format!(
            "{}/{}",
            self.reference.registry(),
            self.reference.repository()
        )
    }

    /// The manifest (or index) by tag, or by digest: (bytes, media type, digest). The bytes are
    /// capped at [`MAX_MANIFEST_BYTES`] and checked against the digest asked for and the one the
    /// registry names.
    pub fn manifest(&self, digest: Option<&str>) -> Result<(Vec<u8>, String, String)> {
        let target = digest
            .or(self.reference.digest())
            .map(str::to_string)
            .or_else(|| self.reference.tag().map(str::to_string))
            .unwrap_or_else(|| "latest".into());
        let url = format!("{}/manifests/{target}", self.base);
        let what = format!("manifest of {}", self.short_name(digest));
        let accept = super::MANIFEST_TYPES.join(", ");
        let (headers, body) = self.fetch(&what, &url, Some(&accept), MAX_MANIFEST_BYTES)?;
        let media_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let expected = digest.or(self.reference.digest());
        let computed = match expected {
            Some(d) => Verifier::new(d)?.digest_of(&body),
            None => Verifier::sha256().digest_of(&body),
        };
        if let Some(d) = expected
            && d != computed
        {
            bail!(
                "{}: {what} does not match its digest (got {computed})",
                self.registry
            );
        }
        if let Some(named) = headers
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            && let Ok(v) = Verifier::new(named)
        {
            let got = v.digest_of(&body);
            if got != named {
                bail!(
                    "{}: {what} does not match the digest the registry names ({named}, got {got})",
                    self.registry
                );
            }
        }
        Ok((body.to_vec(), media_type, computed))
    }

    /// A small blob (a config) read whole — at most [`MAX_CONFIG_BYTES`] — and verified against
    /// its digest and declared size.
    pub fn small_blob(&self, digest: &str, size: u64) -> Result<Vec<u8>> {
        if size > MAX_CONFIG_BYTES {
            bail!(
                "{}: config blob {digest} of {} declares {size} bytes, more than the {} limit",
                self.registry,
                self.short_name(None),
                bytes_text(MAX_CONFIG_BYTES)
            );
        }
        let verifier = Verifier::new(digest)?;
        let url = format!("{}/blobs/{digest}", self.base);
        let what = format!("config blob {digest} of {}", self.short_name(None));
        let (_, body) = self.fetch(&what, &url, None, size)?;
        if body.len() as u64 != size {
            bail!(
                "{}: {what} is {} bytes, the manifest declares {size}",
                self.registry,
                body.len()
            );
        }
        let got = verifier.digest_of(&body);
        if got != digest {
            bail!(
                "{}: {what} does not match its digest (got {got})",
                self.registry
            );
        }
        Ok(body.to_vec())
    }

    /// Every tag of the repository, page by page (each page capped), sorted; more than
    /// [`MAX_TAGS`] tags or [`MAX_TAG_PAGES`] pages is an error rather than a silent cut. The next
    /// page is the one the registry's `Link: <…>; rel="next"` names (on the registry itself), or,
    /// from a registry that sends none, the one after the last tag while pages come full.
    pub fn tags(&self) -> Result<Vec<String>> {
        let what = format!("tag list of {}", self.reference.repository());
        let first = reqwest::Url::parse(&format!("{}/tags/list", self.base))
            .map_err(|e| anyhow!("{}: {e}", self.registry))?;
        self.paged_list(&what, first, "tags")
    }

    /// Every repository of the registry's catalog (`/v2/_catalog`), paged and bounded as
    /// [`Self::tags`] is. The client must come from [`RegistryClient::for_catalog`] (its token
    /// scope is the catalog's).
    pub fn repositories(&self) -> Result<Vec<String>> {
        let what = "catalog".to_string();
        let root = self
            .base
            .rsplit_once("/v2/")
            .map_or(&*self.base, |(r, _)| r);
        let first = reqwest::Url::parse(&format!("{root}/v2/_catalog"))
            .map_err(|e| anyhow!("{}: {e}", self.registry))?;
        self.paged_list(&what, first, "repositories")
    }

    /// A client for `registry`'s catalog rather than a repository.
    pub fn for_catalog(registry: &str, options: &RegistryOptions) -> Result<RegistryClient> {
        let mut client = RegistryClient::new(&format!("{registry}/catalog:latest"), options)?;
        client.scope = "registry:catalog:*".into();
        Ok(client)
    }

    /// A list spread over pages: each page a JSON object whose `field` holds names.
    fn paged_list(&self, what: &str, first: reqwest::Url, field: &str) -> Result<Vec<String>> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut names: Vec<String> = Vec::new();
        let mut url = first.clone();
        url.query_pairs_mut()
            .append_pair("n", &TAG_PAGE.to_string());
        for page_number in 1.. {
            if page_number > MAX_TAG_PAGES {
                bail!(
                    "{}: {what} runs to more than {MAX_TAG_PAGES} pages (the limit)",
                    self.registry
                );
            }
            let (headers, body) = self.fetch(what, url.as_str(), None, MAX_TAG_PAGE_BYTES)?;
            let page: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|e| anyhow!("{}: invalid {what} ({e})", self.registry))?;
            let page: Vec<String> = match page.get(field) {
                None | Some(serde_json::Value::Null) => Vec::new(),
                Some(v) => serde_json::from_value(v.clone())
                    .map_err(|e| anyhow!("{}: invalid {what} ({e})", self.registry))?,
            };
            let n = page.len();
            let before = names.len();
            for t in page {
                if seen.insert(t.clone()) {
                    names.push(t);
                }
            }
            if names.len() > MAX_TAGS {
                bail!(
                    "{}: {what} has more than {MAX_TAGS} {field} (the limit)",
                    self.registry
                );
            }
            // A registry that ignores `last` would repeat itself: stop on no progress.
            if names.len() == before {
                break;
            }
            url = match next_link(&headers, &url) {
                Some(next) if same_origin(&next, &first) => next,
                Some(next) => bail!(
                    "{}: {what} continues on another host ({}): refusing to follow it",
                    self.registry,
                    host_of(&next)
                ),
                None if n >= TAG_PAGE => {
                    let mut next = first.clone();
                    next.query_pairs_mut()
                        .append_pair("n", &TAG_PAGE.to_string())
                        .append_pair("last", names.last().expect("a page added names"));
                    next
                }
                None => break,
            };
        }
        names.sort();
        Ok(names)
    }

    /// Open a blob's response from byte `offset` on (asking for a `Range` past 0), retrying the
    /// request within the attempts `tries` has left. The answer's headers come within the time
    /// budget; its body is read by the caller. Returns the response and how many of its first
    /// bytes are before `offset` (0 when the registry honoured the range, `offset` when it sent
    /// the whole blob again).
    pub(super) fn blob_response(
        &self,
        digest: &str,
        offset: u64,
        tries: &mut Tries,
    ) -> Result<(reqwest::Response, u64)> {
        let url = format!("{}/blobs/{digest}", self.base);
        let what = format!("blob {digest} of {}", self.short_name(None));
        let deadline = Instant::now() + self.budget;
        self.with_retries(&what, deadline, tries, || async {
            let range = (offset > 0).then_some(offset);
            let resp = self.send_range(&url, None, range).await?;
            let status = resp.status();
            if status == StatusCode::PARTIAL_CONTENT && offset > 0 {
                let from = resp
                    .headers()
                    .get(header::CONTENT_RANGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("bytes "))
                    .and_then(|v| v.split('-').next())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                if from != Some(offset) {
                    return Err(Fault::Message(format!(
                        "{}: {what}: asked for the bytes from {offset} on, the registry sent another range",
                        self.registry
                    )));
                }
                Ok((resp, 0))
            } else if status.is_success() {
                Ok((resp, offset))
            } else {
                Err(error_of(resp).await)
            }
        })
        .map_err(|f| self.explain(f, &what))
    }

    /// GET `url` and read its body, at most `cap` bytes, within the request budget.
    fn fetch(
        &self,
        what: &str,
        url: &str,
        accept: Option<&str>,
        cap: u64,
    ) -> Result<(HeaderMap, Bytes)> {
        let deadline = Instant::now() + self.budget;
        self.with_retries(what, deadline, &mut Tries::new(), || async {
            let resp = self.send(url, accept).await?;
            if !resp.status().is_success() {
                return Err(error_of(resp).await);
            }
            let headers = resp.headers().clone();
            let body = read_capped(resp, cap, what).await?;
            Ok((headers, body))
        })
        .map_err(|f| self.explain(f, what))
    }

    /// Run `call` until it succeeds, fails for good, the deadline passes, or `tries` has made
    /// [`ATTEMPTS`] attempts. Waits between attempts double from [`FIRST_BACKOFF`], or last as
    /// long as the registry's `Retry-After` asks (up to [`MAX_RETRY_AFTER`]), never past the
    /// deadline. A fault after more than one attempt says how many were made, over how long.
    fn with_retries<T, F, Fut>(
        &self,
        what: &str,
        deadline: Instant,
        tries: &mut Tries,
        mut call: F,
    ) -> Result<T, Fault>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Fault>>,
    {
        let over = || Fault::Budget {
            what: what.to_string(),
        };
        let retried = |f: Fault, tries: &Tries| {
            if tries.attempts > 1 {
                Fault::Retried {
                    last: Box::new(f),
                    attempts: tries.attempts,
                    over: tries.started.elapsed(),
                }
            } else {
                f
            }
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(retried(over(), tries));
            }
            tries.attempts += 1;
            let result = self
                .runtime
                .block_on(async { tokio::time::timeout(left, call()).await });
            match result {
                Err(_) => return Err(retried(over(), tries)),
                Ok(Ok(v)) => return Ok(v),
                Ok(Err(f)) if tries.attempts < ATTEMPTS && f.transient() => {
                    let delay = tries.delay(f.retry_after());
                    if Instant::now() + delay >= deadline {
                        return Err(retried(f, tries));
                    }
                    if self.verbose {
                        eprintln!(
                            "imgscope: {}: {what}: {}; attempt {} of {ATTEMPTS} in {:.2} s",
                            self.registry,
                            self.explain(f, what),
                            tries.attempts + 1,
                            delay.as_secs_f64()
                        );
                    }
                    std::thread::sleep(delay);
                }
                Ok(Err(f)) => return Err(retried(f, tries)),
            }
        }
    }

    fn request(
        &self,
        url: &str,
        accept: Option<&str>,
        range: Option<u64>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.http.get(url);
        if let Some(a) = accept {
            req = req.header(header::ACCEPT, a);
        }
        if let Some(from) = range {
            req = req.header(header::RANGE, format!("bytes={from}-"));
        }
        let authorization = self.authorization.lock().expect("not poisoned").clone();
        match (authorization, &self.credentials) {
            (Authorization::Bearer(token), _) => req.bearer_auth(token),
            (Authorization::Basic, Some(c)) => req.basic_auth(&c.username, Some(&c.secret)),
            _ => req,
        }
    }

    /// Send a GET; on a 401 with a challenge, authorize as it asks and send it once more.
    async fn send(&self, url: &str, accept: Option<&str>) -> Result<reqwest::Response, Fault> {
        self.send_range(url, accept, None).await
    }

    /// [`Self::send`], asking for the bytes from `range` on.
    async fn send_range(
        &self,
        url: &str,
        accept: Option<&str>,
        range: Option<u64>,
    ) -> Result<reqwest::Response, Fault> {
        let resp = self
            .request(url, accept, range)
            .send()
            .await
            .map_err(Fault::Transport)?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return Ok(resp);
        }
        let Some(challenge) = resp
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(Challenge::parse)
        else {
            return Ok(resp);
        };
        let authorization = match challenge {
            Challenge::Basic => match self.credentials {
                Some(_) => Authorization::Basic,
                None => return Ok(resp),
            },
            Challenge::Bearer { realm, service } => {
                Authorization::Bearer(self.token(&realm, service.as_deref()).await?)
            }
            Challenge::Other => return Ok(resp),
        };
        *self.authorization.lock().expect("not poisoned") = authorization;
        self.request(url, accept, range)
            .send()
            .await
            .map_err(Fault::Transport)
    }

    /// A bearer token from `realm` for pulling this repository; basic credentials go along only
    /// where [`credentials_may_go_to`] allows.
    async fn token(&self, realm: &str, service: Option<&str>) -> Result<String, Fault> {
        let mut url = reqwest::Url::parse(realm).map_err(|_| {
            Fault::Message(format!(
                "{}: invalid token realm {:?} in its challenge",
                self.registry, realm
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Fault::Message(format!(
                "{}: token realm {realm:?} is not an http(s) URL",
                self.registry
            )));
        }
        url.query_pairs_mut().append_pair("scope", &self.scope);
        if let Some(s) = service {
            url.query_pairs_mut().append_pair("service", s);
        }
        let mut req = self.http.get(url.clone());
        if let Some(c) = &self.credentials {
            credentials_may_go_to(&url, &self.registry, self.plain_http).map_err(Fault::Message)?;
            if self.verbose {
                eprintln!(
                    "imgscope: sending the credentials for {} to the token service at {}",
                    self.registry,
                    host_of(&url)
                );
            }
            req = req.basic_auth(&c.username, Some(&c.secret));
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Fault::TokenTransport(e, host_of(&url)))?;
        if !resp.status().is_success() {
            return Err(error_of(resp).await);
        }
        let what = format!("token from {}", host_of(&url));
        let body = read_capped(resp, MAX_TOKEN_BYTES, &what).await?;
        #[derive(Deserialize)]
        struct Token {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let t: Token = serde_json::from_slice(&body).map_err(|_| {
            Fault::Message(format!(
                "{}: the token service at {} gave an unreadable answer",
                self.registry,
                host_of(&url)
            ))
        })?;
        t.token
            .or(t.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Fault::Message(format!(
                    "{}: the token service at {} gave no token",
                    self.registry,
                    host_of(&url)
                ))
            })
    }

    /// One line saying what went wrong and what to do.
    fn explain(&self, fault: Fault, what: &str) -> anyhow::Error {
        let reg = &self.registry;
        let name = self.short_name(None);
        let login = format!(
            "log in with `docker login {}` (or pass --username and --password-stdin)",
            self.reference.registry()
        );
        match fault {
            Fault::Retried {
                last,
                attempts,
                over,
            } => {
                let e = self.explain(*last, what);
                anyhow!(
                    "{e} (retried: {attempts} attempts over {:.1} s)",
                    over.as_secs_f64()
                )
            }
            Fault::Message(m) => anyhow!(m),
            Fault::TooLarge { what, cap } => anyhow!(
                "{reg}: {what} is larger than {} (the limit): refusing it",
                bytes_text(cap)
            ),
            Fault::Budget { what } => anyhow!(
                "{reg}: {what} took longer than {} s (the time limit per request)",
                self.budget.as_secs_f64()
            ),
            Fault::Status { code, error, .. } => {
                let code_text = error.as_ref().map(|(c, _)| c.as_str()).unwrap_or("");
                match (code, code_text) {
                    (_, "UNAUTHORIZED") | (401, _) => {
                        anyhow!("access denied by {reg} (401): {login}")
                    }
                    (_, "DENIED") | (403, _) => anyhow!("access denied by {reg} (403): {login}"),
                    (_, "MANIFEST_UNKNOWN" | "NAME_UNKNOWN" | "NOT_FOUND" | "BLOB_UNKNOWN")
                    | (404, _) => anyhow!("{name} not found on {reg} ({what})"),
                    (_, "TOOMANYREQUESTS") | (429, _) => {
                        anyhow!("{reg} refused: too many requests (429)")
                    }
                    (c, _) => match error {
                        Some((_, m)) if !m.is_empty() => {
                            anyhow!("{reg} answered HTTP {c} for the {what}: {m}")
                        }
                        _ => anyhow!("{reg} answered HTTP {c} for the {what}"),
                    },
                }
            }
            Fault::TokenTransport(e, host) => anyhow!(
                "{reg}: cannot reach its token service at {host}: {}",
                root_cause(&e)
            ),
            Fault::Transport(e) => {
                if e.is_timeout() {
                    anyhow!("timed out talking to {reg} ({what})")
                } else if e.is_connect() {
                    anyhow!("cannot connect to {reg}: {}", root_cause(&e))
                } else {
                    anyhow!("request to {reg} failed ({what}): {}", e.without_url())
                }
            }
        }
    }
}

/// The URL a `Link: <…>; rel="next"` header names, resolved against `current`.
fn next_link(headers: &HeaderMap, current: &reqwest::Url) -> Option<reqwest::Url> {
    headers
        .get_all(header::LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|link| {
            let (target, params) = link.trim().split_once(';')?;
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            params
                .split(';')
                .any(|p| {
                    let p = p.trim().replace(' ', "");
                    p == "rel=\"next\"" || p == "rel=next"
                })
                .then(|| current.join(target).ok())
                .flatten()
        })
}

fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The innermost cause of an error, for messages.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    cause
}

/// `host[:port]` of a URL, for messages.
fn host_of(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => "?".into(),
    }
}

/// Whether basic credentials for `registry` may be sent to the token realm `realm`: over HTTPS,
/// to a loopback realm, or when the user chose plain HTTP for registries (`--plain-http`) — never
/// in clear text across the network because a registry's challenge said so.
fn credentials_may_go_to(
    realm: &reqwest::Url,
    registry: &str,
    plain_http: bool,
) -> Result<(), String> {
    if realm.scheme() == "https" || plain_http || is_loopback(&host_of(realm)) {
        return Ok(());
    }
    Err(format!(
        "{registry}: refusing to send credentials to the token service at {} over plain http (its challenge names http://{}; pass --plain-http if that is really intended)",
        host_of(realm),
        host_of(realm)
    ))
}

/// A `WWW-Authenticate` challenge.
#[derive(Debug, PartialEq)]
enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
    Other,
}

impl Challenge {
    fn parse(text: &str) -> Challenge {
        let text = text.trim();
        let (scheme, rest) = text.split_once(' ').unwrap_or((text, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Challenge::Basic;
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Challenge::Other;
        }
        let params = auth_params(rest);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        match get("realm") {
            Some(realm) => Challenge::Bearer {
                realm,
                service: get("service"),
            },
            None => Challenge::Other,
        }
    }
}

/// `key="value", key=value` pairs (quoted values may hold commas and `\"`).
fn auth_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=')).collect();
        if key.is_empty() || chars.next() != Some('=') {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
        }
        out.push((key.trim().to_string(), value.trim().to_string()));
    }
    out
}

/// Read a response body, failing as soon as it passes `cap` bytes (or says it will).
async fn read_capped(mut resp: reqwest::Response, cap: u64, what: &str) -> Result<Bytes, Fault> {
    let too_large = || Fault::TooLarge {
        what: what.to_string(),
        cap,
    };
    if resp.content_length().is_some_and(|n| n > cap) {
        return Err(too_large());
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(Fault::Transport)? {
        if (out.len() + chunk.len()) as u64 > cap {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

/// The fault of a non-success answer, with the registry's error code if its (bounded) body has one.
async fn error_of(resp: reqwest::Response) -> Fault {
    #[derive(Deserialize)]
    struct Envelope {
        errors: Vec<ErrorItem>,
    }
    #[derive(Deserialize)]
    struct ErrorItem {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let code = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after(v, std::time::SystemTime::now()));
    let error = read_capped(resp, MAX_ERROR_BYTES, "error body")
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<Envelope>(&b).ok())
        .and_then(|e| e.errors.into_iter().next())
        .map(|e| (e.code, e.message));
    Fault::Status {
        code,
        error,
        retry_after,
    }
}

/// A `Retry-After` value — delay-seconds, or an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) —
/// as a wait from `now` (a date past is no wait).
fn retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::NaiveDateTime::parse_from_str(value, "%a, %d %b %Y %H:%M:%S GMT")
        .ok()?
        .and_utc();
    let at = std::time::UNIX_EPOCH + Duration::from_secs(u64::try_from(at.timestamp()).ok()?);
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_a_date_within_the_ceiling() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(784_111_770); // 06 Nov 1994 08:49:30
        assert_eq!(retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        let mut tries = Tries::new();
        tries.attempts = 1;
        assert_eq!(tries.delay(None), Duration::from_millis(250));
        assert_eq!(
            tries.delay(Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            tries.delay(Some(Duration::from_secs(3600))),
            MAX_RETRY_AFTER
        );
        tries.attempts = 3;
        assert_eq!(tries.delay(None), Duration::from_secs(1));
        assert_eq!(tries.delay(Some(Duration::ZERO)), Duration::from_secs(1));
    }

    #[test]
    fn loopback_registries() {
        assert!(is_loopback("localhost:5000"));
        assert!(is_loopback("127.0.0.1:41234"));
        assert!(is_loopback("[::1]:5000"));
        assert!(!is_loopback("ghcr.io"));
        assert!(!is_loopback("registry-1.docker.io"));
    }

    #[test]
    fn challenges_are_parsed() {
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push""#
            ),
            Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            }
        );
        assert_eq!(Challenge::parse(r#"Basic realm="x""#), Challenge::Basic);
        assert_eq!(Challenge::parse("Bearer service=x"), Challenge::Other);
        assert_eq!(Challenge::parse("Negotiate"), Challenge::Other);
    }

    #[test]
    fn next_links_are_found_and_resolved() {
        let current = reqwest::Url::parse("http://r.example:5000/v2/a/tags/list?n=1000").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::LINK,
            r#"</v2/a/tags/list?n=100&last=t99>; rel="next""#.parse().unwrap(),
        );
        assert_eq!(
            next_link(&headers, &current).unwrap().as_str(),
            "http://r.example:5000/v2/a/tags/list?n=100&last=t99"
        );
        headers.insert(header::LINK, "<http://x/y>; rel=prev".parse().unwrap());
        assert!(next_link(&headers, &current).is_none());
        assert!(next_link(&HeaderMap::new(), &current).is_none());
        let other = reqwest::Url::parse("https://r.example:5000/v2/a/tags/list").unwrap();
        assert!(!same_origin(&current, &other));
        assert!(same_origin(&current, &current.join("/v2/b").unwrap()));
    }

    #[test]
    fn credentials_never_go_to_a_plain_http_realm_elsewhere() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        assert!(
            credentials_may_go_to(&url("https://auth.example.com/t"), "r.example.com", false)
                .is_ok()
        );
        assert!(
            credentials_may_go_to(&url("http://127.0.0.1:9/t"), "r.example.com", false).is_ok()
        );
        assert!(
            credentials_may_go_to(&url("http://auth.example.com/t"), "r.example.com", true).is_ok()
        );
        let err = credentials_may_go_to(
            &url("http://evil.example.net:8080/t"),
            "r.example.com",
            false,
        )
        .unwrap_err();
        assert!(
            err.contains("evil.example.net:8080") && err.contains("plain http"),
            "{err}"
        );
        // A loopback registry does not make a remote plain-http realm safe.
        assert!(
            credentials_may_go_to(&url("http://evil.example.net/t"), "127.0.0.1:5000", false)
                .is_err()
        );
    }
}
