//! One registry connection: the normalized reference, credentials, an oci-client on its own small
//! tokio runtime (the rest of imgscope is synchronous), bounded retries with backoff for
//! transient faults (429, 5xx, dropped connections), and registry errors turned into one-line
//! explanations that say what to do. Credentials never appear in any message.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use oci_client::Reference;
use oci_client::client::{ClientConfig, ClientProtocol, SizedStream};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;

use super::RegistryOptions;
use super::auth;

const ATTEMPTS: u32 = 4;

pub struct RegistryClient {
    pub(super) runtime: tokio::runtime::Runtime,
    pub(super) client: oci_client::Client,
    pub(super) reference: Reference,
    pub(super) auth: RegistryAuth,
    pub(super) cache: Option<super::BlobCache>,
    registry: String,
}

/// Loopback registries may be reached over plain HTTP without asking.
pub fn is_loopback(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        registry.split(':').next().unwrap_or("")
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

impl RegistryClient {
    pub fn new(reference: &str, options: &RegistryOptions) -> Result<RegistryClient> {
        let text = reference.strip_prefix("docker://").unwrap_or(reference);
        let reference: Reference = text
            .parse()
            .map_err(|e| anyhow!("invalid image reference: {e}"))?;
        let registry = reference.resolve_registry().to_string();
        let protocol = if options.plain_http {
            ClientProtocol::Http
        } else if is_loopback(reference.registry()) {
            ClientProtocol::HttpsExcept(vec![reference.registry().to_string()])
        } else {
            ClientProtocol::Https
        };
        let config = ClientConfig {
            protocol,
            connect_timeout: Some(Duration::from_secs(15)),
            read_timeout: Some(Duration::from_secs(60)),
            user_agent: concat!("imgscope/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        let auth = match (&options.username, &options.password) {
            (Some(u), Some(p)) => RegistryAuth::Basic(u.clone(), p.clone()),
            (Some(_), None) => bail!("--username needs --password-stdin"),
            _ => match auth::stored_credentials(reference.registry())? {
                Some(c) => RegistryAuth::Basic(c.username, c.secret),
                None => RegistryAuth::Anonymous,
            },
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let client = {
            let _guard = runtime.enter();
            oci_client::Client::new(config)
        };
        Ok(RegistryClient {
            runtime,
            client,
            reference,
            auth,
            cache: options.cache.clone(),
            registry,
        })
    }

    /// `registry/repository:tag[@digest]` as the user would write it in full.
    pub fn display_name(&self) -> String {
        self.reference.whole()
    }

    fn target(&self, digest: Option<&str>) -> Reference {
        match digest {
            Some(d) => self.reference.clone_with_digest(d.to_string()),
            None => self.reference.clone(),
        }
    }

    /// The manifest (or index) by tag, or by digest: (bytes, media type if known, digest).
    pub fn manifest(&self, digest: Option<&str>) -> Result<(Vec<u8>, String, String)> {
        let target = self.target(digest);
        let (bytes, digest) = self.retry(|| {
            self.client
                .pull_manifest_raw(&target, &self.auth, super::MANIFEST_TYPES)
        })?;
        Ok((bytes.to_vec(), String::new(), digest))
    }

    /// A small blob (a config) read whole, verified by oci-client against its digest.
    pub fn small_blob(&self, digest: &str, size: u64) -> Result<Vec<u8>> {
        if size > crate::source::files::MAX_METADATA_BYTES {
            bail!("config blob {digest} declares {size} bytes, more than the metadata limit");
        }
        let out = self.retry(|| async {
            let mut out = Vec::with_capacity(size as usize);
            self.client
                .pull_blob(&self.reference, digest, &mut out)
                .await
                .map(|_| out)
        })?;
        if out.len() as u64 != size {
            bail!(
                "blob {digest} is {} bytes, the manifest declares {size}",
                out.len()
            );
        }
        Ok(out)
    }

    /// Every tag of the repository, page by page, sorted.
    pub fn tags(&self) -> Result<Vec<String>> {
        const PAGE: usize = 1000;
        const MAX_TAGS: usize = 100_000;
        let mut tags: Vec<String> = Vec::new();
        loop {
            let last = tags.last().cloned();
            let page = self.retry(|| {
                self.client
                    .list_tags(&self.reference, &self.auth, Some(PAGE), last.as_deref())
            })?;
            let n = page.tags.len();
            // A registry that ignores `last` would repeat itself: stop on no progress.
            let before = tags.len();
            for t in page.tags {
                if Some(&t) != last.as_ref() && !tags.contains(&t) {
                    tags.push(t);
                }
            }
            if n < PAGE || tags.len() == before || tags.len() >= MAX_TAGS {
                break;
            }
        }
        tags.sort();
        Ok(tags)
    }

    /// `registry/repository`, for naming each tag of it.
    pub fn repository_name(&self) -> String {
        format!(
            "{}/{}",
            self.reference.registry(),
            self.reference.repository()
        )
    }

    /// Open a blob's byte stream (retrying the request, not a stream already under way).
    pub fn blob_stream(&self, digest: &str) -> Result<SizedStream> {
        self.retry(|| self.client.pull_blob_stream(&self.reference, digest))
    }

    pub(super) fn retry<T, F, Fut>(&self, mut call: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, OciDistributionError>>,
    {
        let mut delay = Duration::from_millis(250);
        for attempt in 1..=ATTEMPTS {
            match self.runtime.block_on(call()) {
                Ok(v) => return Ok(v),
                Err(e) if attempt < ATTEMPTS && transient(&e) => {
                    std::thread::sleep(delay);
                    delay *= 2;
                }
                Err(e) => return Err(self.explain(e)),
            }
        }
        unreachable!("the last attempt returns")
    }

    /// One line saying what went wrong and what to do.
    pub fn explain(&self, err: OciDistributionError) -> anyhow::Error {
        let reg = &self.registry;
        let name = format!(
            "{}:{}",
            self.reference.repository(),
            self.reference
                .digest()
                .or(self.reference.tag())
                .unwrap_or("latest")
        );
        let login = format!(
            "log in with `docker login {}` (or pass --username and --password-stdin)",
            self.reference.registry()
        );
        match &err {
            OciDistributionError::UnauthorizedError { .. }
            | OciDistributionError::AuthenticationFailure(_) => {
                anyhow!("access denied by {reg} (401): {login}")
            }
            OciDistributionError::ImageManifestNotFoundError(_) => {
                anyhow!("{name} not found on {reg}")
            }
            OciDistributionError::RegistryError { envelope, .. } => {
                let code = envelope.errors.first().map(|e| &e.code);
                match code {
                    Some(OciErrorCode::Unauthorized) => {
                        anyhow!("access denied by {reg} (401): {login}")
                    }
                    Some(OciErrorCode::Denied) => anyhow!("access denied by {reg} (403): {login}"),
                    Some(
                        OciErrorCode::ManifestUnknown
                        | OciErrorCode::NameUnknown
                        | OciErrorCode::NotFound
                        | OciErrorCode::BlobUnknown,
                    ) => anyhow!("{name} not found on {reg}"),
                    Some(OciErrorCode::Toomanyrequests) => {
                        anyhow!("{reg} refused: too many requests (429), retried {ATTEMPTS} times")
                    }
                    _ => anyhow!(
                        "{reg} answered: {}",
                        envelope
                            .errors
                            .first()
                            .map_or("an error".to_string(), |e| e.message.clone())
                    ),
                }
            }
            OciDistributionError::ServerError { code, .. } => match code {
                401 => anyhow!("access denied by {reg} (401): {login}"),
                403 => anyhow!("access denied by {reg} (403): {login}"),
                404 => anyhow!("{name} not found on {reg}"),
                429 => anyhow!("{reg} refused: too many requests (429), retried {ATTEMPTS} times"),
                c => anyhow!("{reg} answered HTTP {c} (retried {ATTEMPTS} times)"),
            },
            OciDistributionError::RequestError(e) => {
                if e.is_timeout() {
                    anyhow!("timed out talking to {reg}")
                } else if e.is_connect() {
                    let mut cause = String::new();
                    let mut src = std::error::Error::source(e);
                    while let Some(s) = src {
                        cause = s.to_string();
                        src = s.source();
                    }
                    anyhow!("cannot connect to {reg}: {cause}")
                } else {
                    anyhow!("request to {reg} failed: {e}")
                }
            }
            _ => anyhow!("{reg}: {err}"),
        }
    }
}

fn transient(err: &OciDistributionError) -> bool {
    match err {
        OciDistributionError::ServerError { code, .. } => *code == 429 || *code >= 500,
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .any(|e| matches!(e.code, OciErrorCode::Toomanyrequests)),
        OciDistributionError::RequestError(e) => e.is_timeout() || e.is_connect() || e.is_request(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries() {
        assert!(is_loopback("localhost:5000"));
        assert!(is_loopback("127.0.0.1:41234"));
        assert!(is_loopback("[::1]:5000"));
        assert!(!is_loopback("ghcr.io"));
        assert!(!is_loopback("registry-1.docker.io"));
    }
}
