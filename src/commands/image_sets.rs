//! The image sets `imgscope IMAGE…` lists when it runs: every image of a local engine (`node`),
//! every tag of a registry (`catalog`) or of the given repositories (`--all-tags`).

use anyhow::{Result, anyhow, bail};

use crate::settings::{ImageSet, NodeEngine, Settings};
use crate::source::engine::{EngineKind, list_images};

/// The images of the settings' set, or `None` when they were given.
pub fn list(settings: &Settings) -> Result<Option<Vec<String>>> {
    Ok(Some(match &settings.set {
        ImageSet::Given => return Ok(None),
        ImageSet::AllTags => expand_all_tags(settings)?,
        ImageSet::Node { filters, engine } => node_images(*engine, filters)?,
        ImageSet::Catalog {
            target,
            max_repos,
            tags_matching,
        } => catalog_images(settings, target, *max_repos, tags_matching.as_ref())?,
    }))
}

/// The images of the local engine `--source` names (or the first that answers: Docker, Podman,
/// then containerd), filtered.
fn node_images(engine: NodeEngine, filters: &[(String, String)]) -> Result<Vec<String>> {
    let only = match engine {
        NodeEngine::Docker => Some(EngineKind::Docker),
        NodeEngine::Podman => Some(EngineKind::Podman),
        NodeEngine::Containerd | NodeEngine::FirstFound => None,
    };
    let listed = if engine == NodeEngine::Containerd {
        containerd_node_images(filters)
    } else {
        match list_images(only, filters) {
            Ok((engine, images)) => Ok((format!("the {engine} engine"), images)),
            // No Docker or Podman here: a Kubernetes node's images are containerd's.
            Err(engines) if only.is_none() => {
                containerd_node_images(filters).map_err(|e| anyhow!("{engines:#}; {e:#}"))
            }
            Err(e) => Err(e),
        }
    };
    let (engine, images) = listed.map_err(|e| anyhow!("node: {e:#}"))?;
    if images.is_empty() {
        bail!(
            "node: {engine} has no image{}",
            if filters.is_empty() {
                ""
            } else {
                " matching the filters"
            }
        );
    }
    Ok(images)
}

/// containerd's images for `node`: the namespace's (see [`crate::source::containerd`]), with
/// `reference=GLOB` and `label=KEY[=VALUE]` applied here (containerd's own filter language is
/// not docker's).
fn containerd_node_images(filters: &[(String, String)]) -> Result<(String, Vec<String>)> {
    let (namespace, images) = crate::source::containerd::list_images(None)?;
    let mut references = Vec::new();
    let mut labels = Vec::new();
    for (key, value) in filters {
        match key.as_str() {
            "reference" => references.push(
                globset::Glob::new(value)
                    .map_err(|e| anyhow!("--filter reference={value}: {e}"))?
                    .compile_matcher(),
            ),
            "label" => labels.push(match value.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (value.clone(), None),
            }),
            other => bail!(
                "--filter {other}=…: containerd's images take reference= and label= filters only"
            ),
        }
    }
    let inputs = images
        .into_iter()
        .filter(|i| {
            let short = crate::source::reference::familiar_name(&i.name);
            references.is_empty()
                || references
                    .iter()
                    .any(|g| g.is_match(&i.name) || g.is_match(&short))
        })
        .filter(|i| {
            labels.iter().all(|(k, v)| {
                i.labels
                    .iter()
                    .any(|(ik, iv)| ik == k && v.as_ref().is_none_or(|v| v == iv))
            })
        })
        .map(|i| i.input)
        .collect();
    Ok((format!("containerd (namespace {namespace})"), inputs))
}

/// Every tag of the registry's repositories under the prefix, as `docker://` references.
fn catalog_images(
    settings: &Settings,
    target: &str,
    max_repos: usize,
    glob: Option<&globset::GlobMatcher>,
) -> Result<Vec<String>> {
    let options = &settings.load.source.registry;
    let shown = crate::text::escape_control(target);
    let catalog = crate::source::registry::catalog::list(target, options, max_repos, glob)
        .map_err(|e| anyhow!("catalog {shown}: {e:#}"))?;
    if !settings.quiet {
        let mut line = format!(
            "catalog {shown}: {} repositories, {} tags",
            catalog.repositories,
            catalog.references.len()
        );
        if catalog.repositories_left_out > 0 {
            line.push_str(&format!(
                " ({} repositories left out by --max-repos {max_repos})",
                catalog.repositories_left_out
            ));
        }
        if catalog.tags_left_out > 0 {
            line.push_str(&format!(
                " ({} tags left out by --tags-matching)",
                catalog.tags_left_out
            ));
        }
        eprintln!("imgscope: {line}");
    }
    if catalog.references.is_empty() {
        bail!("catalog {shown}: no tags to read");
    }
    Ok(catalog
        .references
        .into_iter()
        .map(|r| format!("docker://{r}"))
        .collect())
}

/// `--all-tags`: every tag of each named repository.
fn expand_all_tags(settings: &Settings) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for repo in &settings.images {
        let tags = crate::source::registry::all_tags(repo, &settings.load.source.registry)
            .map_err(|e| anyhow!("{}: {e:#}", crate::text::escape_control(repo)))?;
        if tags.is_empty() {
            return Err(anyhow!("{repo}: the repository has no tags"));
        }
        out.extend(tags);
    }
    Ok(out)
}
