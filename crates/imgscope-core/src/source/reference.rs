//! What the user typed, understood: skopeo-style transports (`docker-archive:PATH[:name:tag]`,
//! `oci:DIR[:ref]`, `oci-archive:PATH[:ref]`), `-` for stdin, or a bare path recognized by its
//! content. Anything else names an image in an engine or a registry.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    Stdin,
    DockerArchive {
        path: PathBuf,
        name: Option<String>,
    },
    OciArchive {
        path: PathBuf,
        name: Option<String>,
    },
    OciLayout {
        path: PathBuf,
        name: Option<String>,
    },
    /// An existing file or directory, format decided by its content.
    Path(PathBuf),
    /// `docker-daemon:REF` or `podman:REF`: that engine only.
    Engine {
        kind: super::engine::EngineKind,
        reference: String,
    },
    /// `containerd:[NAMESPACE/]REF`: containerd only.
    Containerd(String),
    /// `docker://REF`: the registry only.
    Registry(String),
    /// A bare `name[:tag][@digest]`: a local engine if it has it, else the registry.
    Remote(String),
}

/// Split `PATH[:suffix]`: the whole string if it names an existing path, else at the first `:`.
fn split_path(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    match rest.split_once(':') {
        Some((path, name)) if !name.is_empty() => (PathBuf::from(path), Some(name.to_string())),
        _ => (PathBuf::from(rest), None),
    }
}

pub fn parse(input: &str) -> ImageRef {
    if input == "-" {
        return ImageRef::Stdin;
    }
    if let Some(rest) = input.strip_prefix("docker-archive:") {
        let (path, name) = split_path(rest);
        return ImageRef::DockerArchive { path, name };
    }
    if let Some(rest) = input.strip_prefix("oci-archive:") {
        let (path, name) = split_path(rest);
        return ImageRef::OciArchive { path, name };
    }
    if let Some(rest) = input.strip_prefix("oci:") {
        let (path, name) = split_path(rest);
        return ImageRef::OciLayout { path, name };
    }
    if let Some(rest) = input.strip_prefix("docker-daemon:") {
        return ImageRef::Engine {
            kind: super::engine::EngineKind::Docker,
            reference: rest.to_string(),
        };
    }
    if let Some(rest) = input.strip_prefix("podman:") {
        return ImageRef::Engine {
            kind: super::engine::EngineKind::Podman,
            reference: rest.to_string(),
        };
    }
    if let Some(rest) = input.strip_prefix("containerd:") {
        return ImageRef::Containerd(rest.to_string());
    }
    if let Some(rest) = input.strip_prefix("docker://") {
        return ImageRef::Registry(rest.to_string());
    }
    if Path::new(input).exists() {
        return ImageRef::Path(PathBuf::from(input));
    }
    ImageRef::Remote(input.to_string())
}

/// A normalized name as people write it: `docker.io/library/redis:7` → `redis:7`,
/// `docker.io/org/app:1` → `org/app:1`; other registries' names unchanged.
pub fn familiar_name(name: &str) -> String {
    let rest = name.strip_prefix("docker.io/").unwrap_or(name);
    if rest.len() == name.len() {
        return name.to_string();
    }
    rest.strip_prefix("library/").unwrap_or(rest).to_string()
}

/// Whether a string that names no existing path was probably meant as one (so the error can say
/// "no such file" rather than talk about registries).
pub fn looks_like_path(input: &str) -> bool {
    input.starts_with('/')
        || input.starts_with("./")
        || input.starts_with("../")
        || input.starts_with('~')
        || [".tar", ".tar.gz", ".tgz", ".oci"]
            .iter()
            .any(|ext| input.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_transports() {
        assert_eq!(parse("-"), ImageRef::Stdin);
        assert_eq!(
            parse("docker-archive:/nope/x.tar:app:1"),
            ImageRef::DockerArchive {
                path: "/nope/x.tar".into(),
                name: Some("app:1".into())
            }
        );
        assert_eq!(
            parse("oci:/nope/layout:v2"),
            ImageRef::OciLayout {
                path: "/nope/layout".into(),
                name: Some("v2".into())
            }
        );
        assert_eq!(
            parse("oci-archive:/nope/a.tar"),
            ImageRef::OciArchive {
                path: "/nope/a.tar".into(),
                name: None
            }
        );
        assert_eq!(parse("redis:7.2"), ImageRef::Remote("redis:7.2".into()));
        assert_eq!(parse("docker://redis"), ImageRef::Registry("redis".into()));
        assert_eq!(
            parse("containerd:k8s.io/redis:7"),
            ImageRef::Containerd("k8s.io/redis:7".into())
        );
        assert_eq!(
            parse("podman:app:1"),
            ImageRef::Engine {
                kind: super::super::engine::EngineKind::Podman,
                reference: "app:1".into()
            }
        );
    }

    #[test]
    fn familiar_names() {
        assert_eq!(familiar_name("docker.io/library/redis:7"), "redis:7");
        assert_eq!(familiar_name("docker.io/org/app:1"), "org/app:1");
        assert_eq!(familiar_name("ghcr.io/org/app:1"), "ghcr.io/org/app:1");
    }

    #[test]
    fn path_like_inputs() {
        assert!(looks_like_path("./img.tar"));
        assert!(looks_like_path("/tmp/x"));
        assert!(!looks_like_path("scalingo/builder"));
    }
}
