//! containerd's image store — the store of every Kubernetes node, k3s, nerdctl and Docker's
//! containerd image store — read through containerd's own gRPC API ([`api`]): the image record names a target descriptor (an index or a manifest), and its content
//! store holds every blob by digest, exactly as an OCI image layout does. So the image is resolved
//! as a layout whose `index.json` holds that one descriptor ([`files::ContainerdFiles`]), and its
//! layers are read as the compressed blobs they are — no export, no temporary file. Where this
//! process can read the content store's directory (containerd says where), blobs are read there
//! in place; otherwise they stream over the API, checked against their digest.
//!
//! `containerd:[NAMESPACE/]REF`; the socket from `CONTAINERD_ADDRESS` (default
//! `/run/containerd/containerd.sock`), the namespace from the reference, `CONTAINERD_NAMESPACE`,
//! else `k8s.io` then `default`.

mod api;
mod files;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use api::{
    GetImageRequest, GetImageResponse, Image, ListImagesRequest, ListImagesResponse,
    ListNamespacesRequest, ListNamespacesResponse, PluginsRequest, PluginsResponse,
};
use tonic::{Code, Request, Status, transport::Channel};

use super::{ResolvedImage, Selection};
use crate::model::SourceKind;
pub use files::ContainerdFiles;

/// Where containerd listens unless `CONTAINERD_ADDRESS` says otherwise.
pub const DEFAULT_ADDRESS: &str = "/run/containerd/containerd.sock";
/// The namespaces a reference without one is looked for in, in order: Kubernetes' (CRI), then
/// the one `ctr` and nerdctl use by default.
pub const DEFAULT_NAMESPACES: [&str; 2] = ["k8s.io", "default"];
/// How long one metadata request may take before containerd is called unresponsive.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The gRPC metadata key that carries the namespace of every request.
const NAMESPACE_HEADER: &str = "containerd-namespace";

/// The socket: `CONTAINERD_ADDRESS` (a path, or `unix://PATH`), else the default.
pub fn address() -> PathBuf {
    let value = std::env::var("CONTAINERD_ADDRESS")
        .ok()
        .filter(|v| !v.is_empty());
    match value {
        Some(v) => PathBuf::from(v.strip_prefix("unix://").unwrap_or(&v)),
        None => PathBuf::from(DEFAULT_ADDRESS),
    }
}

fn env_namespace() -> Option<String> {
    std::env::var("CONTAINERD_NAMESPACE")
        .ok()
        .filter(|v| !v.is_empty())
}

/// A connection to containerd, with the runtime its requests run on (kept alive as long as the
/// image's blobs may be read).
pub(crate) struct Connection {
    pub(crate) runtime: Arc<tokio::runtime::Runtime>,
    pub(crate) channel: Channel,
    pub(crate) address: PathBuf,
}

/// Why containerd could not be asked: not there (passed over when not asked for by name), or an
/// error the user must see.
pub enum Unreachable {
    Absent(anyhow::Error),
    Error(anyhow::Error),
}

impl Connection {
    pub(crate) fn open(address: PathBuf) -> std::result::Result<Connection, Unreachable> {
        match std::fs::metadata(&address) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Unreachable::Absent(anyhow!(
                    "no containerd socket at {} (is containerd running? CONTAINERD_ADDRESS names another)",
                    address.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(Unreachable::Error(anyhow!(
                    "containerd socket {}: permission denied",
                    address.display()
                )));
            }
            _ => {}
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Unreachable::Error(e.into()))?;
        let path = address.clone();
        let channel = runtime
            .block_on(async { tokio::time::timeout(REQUEST_TIMEOUT, api::connect(path)).await })
            .map_err(|_| {
                Unreachable::Error(anyhow!(
                    "containerd at {} did not answer in {}s",
                    address.display(),
                    REQUEST_TIMEOUT.as_secs()
                ))
            })?
            .map_err(|e| {
                let text = format!("{e:?}");
                let message = if text.contains("PermissionDenied") {
                    format!("containerd socket {}: permission denied", address.display())
                } else {
                    format!("cannot connect to containerd at {}: {e}", address.display())
                };
                if text.contains("ConnectionRefused") {
                    Unreachable::Absent(anyhow!(message))
                } else {
                    Unreachable::Error(anyhow!(message))
                }
            })?;
        Ok(Connection {
            runtime: Arc::new(runtime),
            channel,
            address,
        })
    }

    /// Run one request with the namespace set, bounded in time.
    pub(crate) fn call<T, F, Fut>(
        &self,
        namespace: Option<&str>,
        message: T,
        f: F,
    ) -> Result<Fut::Output>
    where
        F: FnOnce(Channel, Request<T>) -> Fut,
        Fut: std::future::Future,
    {
        let mut request = Request::new(message);
        if let Some(ns) = namespace {
            let value = ns
                .parse()
                .map_err(|_| anyhow!("invalid containerd namespace {ns:?}"))?;
            request.metadata_mut().insert(NAMESPACE_HEADER, value);
        }
        let future = f(self.channel.clone(), request);
        self.runtime
            .block_on(async { tokio::time::timeout(REQUEST_TIMEOUT, future).await })
            .map_err(|_| {
                anyhow!(
                    "containerd at {} did not answer in {}s",
                    self.address.display(),
                    REQUEST_TIMEOUT.as_secs()
                )
            })
    }

    pub(crate) fn explain(&self, status: &Status) -> anyhow::Error {
        anyhow!(
            "containerd at {}: {} ({:?})",
            self.address.display(),
            status.message(),
            status.code()
        )
    }

    fn namespaces(&self) -> Result<Vec<String>> {
        let response = self
            .call(None, ListNamespacesRequest::default(), |ch, req| {
                api::unary::<_, ListNamespacesResponse>(ch, api::NAMESPACES_LIST, req)
            })?
            .map_err(|s| self.explain(&s))?;
        Ok(response
            .into_inner()
            .namespaces
            .into_iter()
            .map(|n| n.name)
            .collect())
    }

    fn image(&self, namespace: &str, name: &str) -> Result<Option<Image>> {
        let request = GetImageRequest {
            name: name.to_string(),
        };
        match self.call(Some(namespace), request, |ch, req| {
            api::unary::<_, GetImageResponse>(ch, api::IMAGES_GET, req)
        })? {
            Ok(response) => Ok(response.into_inner().image),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(self.explain(&status)),
        }
    }

    fn images(&self, namespace: &str) -> Result<Vec<Image>> {
        let response = self
            .call(Some(namespace), ListImagesRequest::default(), |ch, req| {
                api::unary::<_, ListImagesResponse>(ch, api::IMAGES_LIST, req)
            })?
            .map_err(|s| self.explain(&s))?;
        Ok(response.into_inner().images)
    }

    /// The content store's directory, as containerd's content plugin exports it.
    fn content_root(&self) -> Option<PathBuf> {
        let request = PluginsRequest {
            filters: vec!["type==io.containerd.content.v1".into()],
        };
        let response = self
            .call(None, request, |ch, req| {
                api::unary::<_, PluginsResponse>(ch, api::INTROSPECTION_PLUGINS, req)
            })
            .ok()?
            .ok()?;
        response
            .into_inner()
            .plugins
            .iter()
            .find_map(|p| p.exports.get("root").map(PathBuf::from))
    }
}

/// `[NAMESPACE/]REF` split, where the first segment is a namespace only when containerd has one of
/// that name (so `containerd:library/redis` still names an image when no `library` namespace
/// exists).
fn split_namespace(conn: &Connection, reference: &str) -> Result<(Option<String>, String)> {
    if let Some((first, rest)) = reference.split_once('/')
        && !rest.is_empty()
        && conn.namespaces()?.iter().any(|n| n == first)
    {
        return Ok((Some(first.to_string()), rest.to_string()));
    }
    Ok((None, reference.to_string()))
}

/// The names a reference may be stored under: as typed, then normalized as containerd's tools
/// store them (`redis` → `docker.io/library/redis:latest`).
fn candidate_names(reference: &str) -> Vec<String> {
    let mut out = vec![reference.to_string()];
    if let Ok(parsed) = oci_spec::distribution::Reference::try_from(reference) {
        let whole = parsed.whole();
        if !out.contains(&whole) {
            out.push(whole);
        }
    }
    out
}

/// An image ID or a prefix of one (`sha256:…` or 12+ hex digits) matches the image whose target
/// has that digest.
fn id_prefix(reference: &str) -> Option<String> {
    let hex = reference.strip_prefix("sha256:").unwrap_or(reference);
    (hex.len() >= 12 && hex.len() <= 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("sha256:{}", hex.to_ascii_lowercase()))
}

/// Look for `reference` in containerd. `Ok(None)` when containerd is not there or has no such
/// image and was not asked for by name (`explicit`); an error otherwise.
pub fn find(
    input: &str,
    reference: &str,
    selection: &Selection,
    explicit: bool,
    read_in_place: bool,
) -> Result<Option<ResolvedImage>> {
    let address = address();
    let conn = match Connection::open(address.clone()) {
        Ok(conn) => conn,
        Err(Unreachable::Absent(e)) | Err(Unreachable::Error(e)) if !explicit => {
            let _ = e; // a bare reference goes on to the registry
            return Ok(None);
        }
        Err(Unreachable::Absent(e)) | Err(Unreachable::Error(e)) => return Err(e),
    };
    let (namespace, name) = split_namespace(&conn, reference)?;
    let namespaces: Vec<String> = match namespace.or_else(env_namespace) {
        Some(ns) => vec![ns],
        None => DEFAULT_NAMESPACES.iter().map(|s| s.to_string()).collect(),
    };
    for ns in &namespaces {
        let mut found = None;
        for candidate in candidate_names(&name) {
            if let Some(image) = conn.image(ns, &candidate)? {
                found = Some(image);
                break;
            }
        }
        if found.is_none()
            && let Some(prefix) = id_prefix(&name)
        {
            let mut matching: Vec<Image> = conn
                .images(ns)?
                .into_iter()
                .filter(|i| {
                    i.target
                        .as_ref()
                        .is_some_and(|t| t.digest.starts_with(&prefix))
                })
                .collect();
            if matching.len() > 1 {
                matching.sort_by(|a, b| a.name.cmp(&b.name));
                let names: Vec<String> = matching.iter().map(|i| i.name.clone()).collect();
                if names_one_target(&matching) {
                    matching.truncate(1);
                } else {
                    bail!(
                        "{name} is ambiguous in containerd namespace {ns}: {}",
                        super::short_list(&names)
                    );
                }
            }
            found = matching.pop();
        }
        if let Some(image) = found {
            return resolve(input, conn, ns, image, selection, read_in_place).map(Some);
        }
    }
    if explicit {
        bail!(
            "{name} not found in containerd at {} (namespace{} {})",
            address.display(),
            if namespaces.len() > 1 { "s" } else { "" },
            namespaces.join(", ")
        );
    }
    Ok(None)
}

fn names_one_target(images: &[Image]) -> bool {
    let first = images[0].target.as_ref().map(|t| &t.digest);
    images
        .iter()
        .all(|i| i.target.as_ref().map(|t| &t.digest) == first)
}

fn resolve(
    input: &str,
    conn: Connection,
    namespace: &str,
    image: Image,
    selection: &Selection,
    read_in_place: bool,
) -> Result<ResolvedImage> {
    let target = image
        .target
        .as_ref()
        .ok_or_else(|| anyhow!("containerd image {} has no target", image.name))?;
    let content_root = if read_in_place {
        conn.content_root()
    } else {
        None
    };
    let address = conn.address.clone();
    let files = ContainerdFiles::new(conn, namespace, &image.name, target, content_root)?;
    let route = files.route();
    let selection = Selection {
        name: None,
        platform: selection.platform.clone(),
    };
    let mut resolved = super::from_oci(
        input,
        Box::new(files),
        SourceKind::Containerd,
        &selection,
        None,
    )
    .map_err(|e| anyhow!("containerd at {}: {e:#}", address.display()))?;
    resolved.name = Some(image.name.clone());
    resolved.route = Some(route);
    Ok(resolved)
}

/// One image a containerd namespace holds, as `imgscope node` lists it.
pub struct ListedImage {
    /// `containerd:NAMESPACE/NAME`: what reads it back.
    pub input: String,
    pub name: String,
    pub labels: Vec<(String, String)>,
}

/// The images of one namespace (the one given, `CONTAINERD_NAMESPACE`, else the first of the
/// defaults that has any), sorted by name. Returns the namespace used.
pub fn list_images(namespace: Option<&str>) -> Result<(String, Vec<ListedImage>)> {
    let conn = Connection::open(address()).map_err(|e| match e {
        Unreachable::Absent(e) | Unreachable::Error(e) => e,
    })?;
    let explicit = namespace.map(str::to_string).or_else(env_namespace);
    let candidates: Vec<String> = match &explicit {
        Some(ns) => vec![ns.clone()],
        None => DEFAULT_NAMESPACES.iter().map(|s| s.to_string()).collect(),
    };
    let mut last = None;
    for ns in candidates {
        let images = conn.images(&ns)?;
        if images.is_empty() {
            last = Some(ns);
            continue;
        }
        let mut out: Vec<ListedImage> = images
            .into_iter()
            .map(|i| ListedImage {
                input: format!("containerd:{ns}/{}", i.name),
                labels: i.labels.into_iter().collect(),
                name: i.name,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        return Ok((ns, out));
    }
    Ok((
        last.unwrap_or_else(|| DEFAULT_NAMESPACES[0].to_string()),
        Vec::new(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_like_containerd_tools() {
        assert_eq!(
            candidate_names("redis"),
            vec!["redis".to_string(), "docker.io/library/redis:latest".into()]
        );
        assert_eq!(
            candidate_names("ghcr.io/org/app:1"),
            vec!["ghcr.io/org/app:1".to_string()]
        );
    }

    #[test]
    fn ids_are_hex_prefixes() {
        assert_eq!(
            id_prefix("sha256:ABCDEF012345").as_deref(),
            Some("sha256:abcdef012345")
        );
        assert_eq!(id_prefix("abcdef01234").as_deref(), None);
        assert_eq!(id_prefix("redis:7"), None);
    }
}
