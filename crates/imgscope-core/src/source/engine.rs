//! Local container engines — Docker and Podman — over the Docker Engine API (bollard). Finds the
//! engine's socket the way their CLIs do (`DOCKER_HOST`, the active docker context,
//! `/var/run/docker.sock`; `CONTAINER_HOST`, `$XDG_RUNTIME_DIR/podman/podman.sock`,
//! `/run/podman/podman.sock`), asks whether it holds the image, and streams its export
//! (`/images/{name}/get`) straight into the streaming archive reader: no temporary file. The
//! engine's inspect and history records come first, as an [`EnginePreview`] to show while the
//! export arrives. A Podman image whose store this process can read is read there in place
//! instead (see [`super::container_storage`]): Podman writes its whole export to a temporary file
//! before sending a byte. With `--layers-only`, a Docker image whose graphdriver store this
//! process can read is described from the store's records instead of its export (see
//! [`super::docker_store`]).

use std::io::{self, Read};
use std::path::PathBuf;

use anyhow::{Result, anyhow, bail};
use bollard::models::{ImageHistoryResponseItem, ImageInspect};
use bollard::{ClientVersion, Docker};
use bytes::Bytes;
use futures_util::StreamExt;

use super::{Access, ResolvedImage, Selection, StreamSource};
use crate::decode::BlobReadError;
use crate::model::{EnginePreview, PreviewStep, SourceKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Docker,
    Podman,
}

impl EngineKind {
    pub fn label(self) -> &'static str {
        match self {
            EngineKind::Docker => "Docker",
            EngineKind::Podman => "Podman",
        }
    }

    fn source_kind(self) -> SourceKind {
        match self {
            EngineKind::Docker => SourceKind::DockerEngine,
            EngineKind::Podman => SourceKind::PodmanEngine,
        }
    }
}

/// Where an engine listens: `unix:///path` or `tcp://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub kind: EngineKind,
    pub host: String,
}

impl Endpoint {
    fn socket_path(&self) -> Option<PathBuf> {
        self.host.strip_prefix("unix://").map(PathBuf::from)
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The docker context's endpoint, when a non-default context is active.
fn docker_context_host() -> Option<String> {
    let dir = env("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".docker")))?;
    let name = env("DOCKER_CONTEXT").or_else(|| {
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("config.json")).ok()?).ok()?;
        config.get("currentContext")?.as_str().map(String::from)
    })?;
    if name == "default" {
        return None;
    }
    use sha2::Digest;
    let id = crate::model::hex(&sha2::Sha256::digest(name.as_bytes()));
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("contexts/meta").join(id).join("meta.json")).ok()?,
    )
    .ok()?;
    meta.pointer("/Endpoints/docker/Host")?
        .as_str()
        .map(String::from)
}

/// Candidate endpoints, in the order they are tried.
pub fn endpoints(only: Option<EngineKind>) -> Vec<Endpoint> {
    let mut out = Vec::new();
    if only != Some(EngineKind::Podman) {
        let host = env("DOCKER_HOST")
            .or_else(docker_context_host)
            .unwrap_or_else(|| "unix:///var/run/docker.sock".into());
        out.push(Endpoint {
            kind: EngineKind::Docker,
            host,
        });
    }
    if only != Some(EngineKind::Docker) {
        if let Some(host) = env("CONTAINER_HOST") {
            out.push(Endpoint {
                kind: EngineKind::Podman,
                host,
            });
        }
        if let Some(run) = env("XDG_RUNTIME_DIR") {
            out.push(Endpoint {
                kind: EngineKind::Podman,
                host: format!("unix://{run}/podman/podman.sock"),
            });
        }
        out.push(Endpoint {
            kind: EngineKind::Podman,
            host: "unix:///run/podman/podman.sock".into(),
        });
    }
    out.dedup_by(|a, b| a.host == b.host);
    out
}

fn connect(endpoint: &Endpoint, version: &ClientVersion) -> Result<Docker> {
    let docker = if let Some(path) = endpoint.socket_path() {
        Docker::connect_with_socket(&path.to_string_lossy(), 120, version)
    } else if endpoint.host.starts_with("tcp://") || endpoint.host.starts_with("http://") {
        Docker::connect_with_http(&endpoint.host, 120, version)
    } else {
        bail!(
            "unsupported engine address {} (use unix:// or tcp://)",
            endpoint.host
        );
    };
    docker.map_err(|e| anyhow!("{}: {e}", endpoint.host))
}

/// Explain an engine error in one line that says what to do.
fn explain(endpoint: &Endpoint, err: &bollard::errors::Error) -> anyhow::Error {
    let what = endpoint.kind.label();
    let text = format!("{err}");
    let mut cause = String::new();
    let mut src: Option<&dyn std::error::Error> = Some(err);
    while let Some(s) = src {
        cause = s.to_string();
        src = s.source();
    }
    if text.contains("Permission denied") || cause.contains("Permission denied") {
        return anyhow!(
            "permission denied on the {what} socket {}: add your user to its group (e.g. `docker`) or run with sudo",
            endpoint.host
        );
    }
    if let bollard::errors::Error::DockerResponseServerError {
        status_code,
        message,
    } = err
    {
        return anyhow!("the {what} engine answered {status_code}: {message}");
    }
    anyhow!(
        "cannot talk to the {what} engine at {}: {cause}",
        endpoint.host
    )
}

/// `1.41` → API version 1.41.
fn parse_api_version(text: &str) -> Option<ClientVersion> {
    let (major, minor) = text.split_once('.')?;
    Some(ClientVersion {
        major_version: major.parse().ok()?,
        minor_version: minor.parse().ok()?,
    })
}

/// An image an engine holds: read in place from its store, or through its export.
pub enum Found {
    Store(Box<ResolvedImage>),
    Export(Box<StreamSource>),
}

impl Found {
    pub fn into_access(self) -> Access {
        match self {
            Found::Store(resolved) => Access::Files(resolved),
            Found::Export(stream) => Access::Stream(stream),
        }
    }
}

/// What an endpoint gave: an engine to talk to (at the API version both sides speak), or why it is
/// passed over.
enum Answer {
    Engine(Docker, ClientVersion),
    Skip(anyhow::Error),
}

/// Ask the engine at `endpoint` who it is. One `/version` request (Podman takes a quarter of a
/// second over it) both negotiates the API version and tells Podman from Docker: Podman also
/// answers on DOCKER_HOST, so `endpoint.kind` becomes the engine that really answers. A socket
/// that is not there, an engine that does not answer or names no API version is passed over; a
/// socket this user may not open is an error (only the user can fix it).
fn answer(runtime: &tokio::runtime::Runtime, endpoint: &mut Endpoint) -> Result<Answer> {
    if let Some(path) = endpoint.socket_path()
        && let Err(e) = std::fs::metadata(&path)
        && e.kind() == io::ErrorKind::NotFound
    {
        return Ok(Answer::Skip(anyhow!(
            "no {} engine socket at {} (is the engine running?)",
            endpoint.kind.label(),
            path.display()
        )));
    }
    let server = match runtime.block_on(connect(endpoint, bollard::API_DEFAULT_VERSION)?.version())
    {
        Ok(v) => v,
        Err(e) => {
            let err = explain(endpoint, &e);
            if err.to_string().contains("permission denied") {
                return Err(err);
            }
            return Ok(Answer::Skip(err));
        }
    };
    let Some(version) = server.api_version.as_deref().and_then(parse_api_version) else {
        return Ok(Answer::Skip(anyhow!(
            "the {} engine at {} reports no API version",
            endpoint.kind.label(),
            endpoint.host
        )));
    };
    let ours = bollard::API_DEFAULT_VERSION;
    let version = if version < *ours { version } else { *ours };
    if server
        .components
        .iter()
        .flatten()
        .any(|c| c.name.to_ascii_lowercase().contains("podman"))
    {
        endpoint.kind = EngineKind::Podman;
    }
    Ok(Answer::Engine(connect(endpoint, &version)?, version))
}

/// The images of the first engine that answers (only `only`'s when given), as inputs that name
/// each in that engine (`docker-daemon:REF` / `podman:REF`: the first tag, else the id), with the
/// engine's own filters applied (`reference=`, `label=`, `dangling=`, `since=`, `before=`, as
/// `docker images --filter` takes them). Returns the engine's name too.
pub fn list_images(
    only: Option<EngineKind>,
    filters: &[(String, String)],
) -> Result<(&'static str, Vec<String>)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let mut by_key: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (k, v) in filters {
        by_key.entry(k.clone()).or_default().push(v.clone());
    }
    let mut last_problem = None;
    for mut endpoint in endpoints(only) {
        let docker = match answer(&runtime, &mut endpoint)? {
            Answer::Engine(docker, _) => docker,
            Answer::Skip(why) => {
                last_problem = Some(why);
                continue;
            }
        };
        let kind = endpoint.kind;
        let options = bollard::query_parameters::ListImagesOptionsBuilder::default()
            .filters(&by_key)
            .build();
        let images = runtime
            .block_on(docker.list_images(Some(options)))
            .map_err(|e| explain(&endpoint, &e))?;
        let prefix = match kind {
            EngineKind::Docker => "docker-daemon:",
            EngineKind::Podman => "podman:",
        };
        // By name, so a node reads the same way each time (the engine lists in no set order).
        let mut inputs: Vec<String> = images
            .iter()
            .map(|i| {
                let name = i
                    .repo_tags
                    .iter()
                    .find(|t| !t.contains("<none>"))
                    .cloned()
                    .unwrap_or_else(|| i.id.trim_start_matches("sha256:").to_string());
                format!("{prefix}{name}")
            })
            .collect();
        inputs.sort();
        return Ok((kind.label(), inputs));
    }
    Err(last_problem.unwrap_or_else(|| anyhow!("no container engine found")))
}

/// The oldest Engine API version whose image export imgscope reads.
const MIN_API: (usize, usize) = (1, 25);

/// Look for `reference` in the engines (only `only`'s when given). `Ok(None)` when no engine has
/// it (or none runs, unless `explicit`, where that is an error).
pub fn find(
    input: &str,
    reference: &str,
    only: Option<EngineKind>,
    selection: &Selection,
    export_only: bool,
    layers_only: bool,
) -> Result<Option<Found>> {
    let explicit = only.is_some();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    // What to say if no engine serves the image: an engine that answered "not found" says more
    // than a socket that is not there.
    let mut not_found = None;
    let mut last_problem = None;
    for mut endpoint in endpoints(only) {
        let (docker, version) = match answer(&runtime, &mut endpoint)? {
            Answer::Engine(docker, version) => (docker, version),
            Answer::Skip(why) => {
                last_problem = Some(why);
                continue;
            }
        };
        if (version.major_version, version.minor_version) < MIN_API {
            bail!(
                "the {} engine at {} speaks API {}.{}, older than the {}.{} imgscope needs",
                endpoint.kind.label(),
                endpoint.host,
                version.major_version,
                version.minor_version,
                MIN_API.0,
                MIN_API.1
            );
        }
        let inspect = match runtime.block_on(docker.inspect_image(reference)) {
            Ok(i) => i,
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {
                not_found = Some(anyhow!(
                    "{reference} not found in the {} engine at {}",
                    endpoint.kind.label(),
                    endpoint.host
                ));
                continue;
            }
            Err(e) => return Err(explain(&endpoint, &e)),
        };
        let id = inspect.id.clone().unwrap_or_else(|| reference.to_string());
        let name = inspect
            .repo_tags
            .as_ref()
            .and_then(|t| t.first().cloned())
            .unwrap_or_else(|| reference.to_string());
        let mut store_note = None;
        // Podman's store gives every layer's bytes; Docker's is read for its layers' records
        // alone (`--layers-only`).
        let in_place = match endpoint.kind {
            EngineKind::Podman => true,
            EngineKind::Docker => layers_only,
        };
        if in_place && !export_only {
            match from_store(
                &runtime,
                &docker,
                endpoint.kind,
                input,
                &id,
                &name,
                selection,
            ) {
                Ok(resolved) => return Ok(Some(Found::Store(Box::new(resolved)))),
                Err(e) => {
                    store_note = Some(format!(
                        "through its export: the engine's store was not read in place ({e:#})"
                    ))
                }
            }
        }
        let expected = inspect.size.map(|s| s.max(0) as u64);
        // The history costs one more request; without it the preview still has the inspect.
        // (Podman 4 answers 500 for a history step without a creation time: then none.)
        let history = runtime
            .block_on(docker.image_history(&id))
            .unwrap_or_default();
        let preview = preview(&endpoint, &inspect, &history);
        let engine_identity = identity(&inspect);
        let export_ref = id.clone();
        let endpoint2 = endpoint.clone();
        let handle = runtime.handle().clone();
        // The export starts on the first read: an image put together from the caches is never
        // exported.
        let start = move || {
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, String>>(32);
            handle.spawn(async move {
                let mut stream = docker.export_image(&export_ref);
                while let Some(chunk) = stream.next().await {
                    let item = chunk.map_err(|e| format!("{:#}", explain(&endpoint2, &e)));
                    let failed = item.is_err();
                    if tx.send(item).await.is_err() || failed {
                        break;
                    }
                }
            });
            rx
        };
        return Ok(Some(Found::Export(Box::new(StreamSource {
            input: input.to_string(),
            reader: Box::new(ExportRead {
                start: Some(Box::new(start)),
                rx: None,
                current: Bytes::new(),
            }),
            kind: Some(endpoint.kind.source_kind()),
            name: Some(name),
            selection: Selection {
                // The export names the image by its ID's tags; take the one asked for.
                name: None,
                platform: selection.platform.clone(),
            },
            expected_bytes: expected,
            keepalive: Some(Box::new(runtime)),
            preview: Some(Box::new(preview)),
            route: store_note,
            engine_identity,
        }))));
    }
    if explicit {
        return Err(not_found
            .or(last_problem)
            .unwrap_or_else(|| anyhow!("no engine to ask")));
    }
    Ok(None)
}

/// The engine's image `id`, read in place from the store the engine reports (`/info`: its root
/// and storage driver), resolved as the docker archive its export would be: Podman's
/// containers/storage, or Docker's graphdriver store (its records only: see
/// [`super::docker_store`]).
fn from_store(
    runtime: &tokio::runtime::Runtime,
    docker: &Docker,
    kind: EngineKind,
    input: &str,
    id: &str,
    name: &str,
    selection: &Selection,
) -> Result<ResolvedImage> {
    let info = runtime
        .block_on(docker.info())
        .map_err(|e| anyhow!("no store information: {e}"))?;
    let root = info
        .docker_root_dir
        .filter(|r| !r.is_empty())
        .ok_or_else(|| anyhow!("the engine reports no store root"))?;
    let driver = info
        .driver
        .filter(|d| !d.is_empty())
        .ok_or_else(|| anyhow!("the engine reports no storage driver"))?;
    let root = PathBuf::from(root);
    let (files, how) = match kind {
        EngineKind::Podman => (
            super::container_storage::open_image(&root, &driver, id)?,
            "",
        ),
        EngineKind::Docker => (
            super::docker_store::open_image(&root, &driver, id)?,
            ", layers only",
        ),
    };
    let selection = Selection {
        name: None,
        platform: selection.platform.clone(),
    };
    let mut resolved = super::describe(input, Box::new(files), None, &selection, None)?;
    resolved.kind = kind.source_kind();
    resolved.name = Some(name.to_string());
    resolved.route = Some(format!(
        "read in place from the {} store at {} ({driver}{how})",
        kind.label(),
        root.display()
    ));
    Ok(resolved)
}

/// The engine's inspect and history records, for showing before the export arrives.
fn preview(
    endpoint: &Endpoint,
    inspect: &ImageInspect,
    history: &[ImageHistoryResponseItem],
) -> EnginePreview {
    let platform = inspect.os.as_ref().map(|os| {
        let mut p = os.clone();
        for part in [&inspect.architecture, &inspect.variant]
            .into_iter()
            .flatten()
        {
            if !part.is_empty() {
                p.push('/');
                p.push_str(part);
            }
        }
        p
    });
    EnginePreview {
        engine: format!("{} engine at {}", endpoint.kind.label(), endpoint.host),
        id: inspect.id.clone().unwrap_or_default(),
        tags: inspect.repo_tags.clone().unwrap_or_default(),
        created: inspect.created.clone().filter(|c| !c.is_empty()),
        platform,
        size: inspect.size.and_then(|s| u64::try_from(s).ok()),
        layer_count: inspect
            .root_fs
            .as_ref()
            .and_then(|r| r.layers.as_ref())
            .map_or(0, Vec::len),
        // The engine lists the newest step first.
        history: history
            .iter()
            .rev()
            .map(|h| PreviewStep {
                created_by: h.created_by.clone(),
                size: u64::try_from(h.size).unwrap_or(0),
            })
            .collect(),
    }
}

/// The image ID and diff_ids the engine reports, when it reports both in the expected form.
fn identity(inspect: &ImageInspect) -> Option<super::EngineIdentity> {
    let id = inspect.id.clone()?;
    let diff_ids = inspect.root_fs.as_ref()?.layers.clone()?;
    let well_formed = |d: &String| {
        d.strip_prefix("sha256:")
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    (well_formed(&id) && diff_ids.iter().all(well_formed))
        .then_some(super::EngineIdentity { id, diff_ids })
}

type StartExport = Box<dyn FnOnce() -> tokio::sync::mpsc::Receiver<Result<Bytes, String>> + Send>;

struct ExportRead {
    start: Option<StartExport>,
    rx: Option<tokio::sync::mpsc::Receiver<Result<Bytes, String>>>,
    current: Bytes,
}

impl Read for ExportRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(start) = self.start.take() {
            self.rx = Some(start());
        }
        let Some(rx) = self.rx.as_mut() else {
            return Ok(0);
        };
        while self.current.is_empty() {
            match rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(message)) => {
                    return Err(BlobReadError::io(
                        format!("image export failed: {message}"),
                        false,
                    ));
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_parse() {
        let v = parse_api_version("1.41").unwrap();
        assert_eq!((v.major_version, v.minor_version), (1, 41));
        assert!(parse_api_version("1").is_none());
        assert!(parse_api_version("one.two").is_none());
    }

    #[test]
    fn podman_only_lists_podman_sockets() {
        let eps = endpoints(Some(EngineKind::Podman));
        assert!(eps.iter().all(|e| e.kind == EngineKind::Podman));
        assert!(
            eps.iter()
                .any(|e| e.host == "unix:///run/podman/podman.sock")
        );
    }
}
