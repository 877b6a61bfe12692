//! A registry's catalog as one set of images: every repository (`/v2/_catalog`, page by page) under
//! an optional prefix, and every tag of each (bounded concurrency), as `docker://` references for
//! the usual pipeline. What the registry really stores is then the set's distinct blobs, against
//! the sum of its tags.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Result, anyhow, bail};

use super::{RegistryClient, RegistryOptions};

/// Tag lists fetched at once.
const TAG_LISTS_AT_ONCE: usize = 4;

/// What `imgscope catalog` reads, once listed.
pub struct Catalog {
    /// `registry/repository:tag`, sorted.
    pub references: Vec<String>,
    /// Repositories listed under the prefix (before `max_repos`).
    pub repositories: usize,
    /// Repositories left out by `max_repos`.
    pub repositories_left_out: usize,
    /// Tags left out by the tag pattern.
    pub tags_left_out: usize,
}

/// `REGISTRY[/PREFIX]` → (registry, prefix).
pub fn split_target(target: &str) -> Result<(String, String)> {
    let target = target.strip_prefix("docker://").unwrap_or(target);
    let (registry, prefix) = match target.split_once('/') {
        Some((r, p)) => (r, p.trim_end_matches('/')),
        None => (target, ""),
    };
    let looks_like_host = registry.contains(['.', ':']) || registry == "localhost";
    if registry.is_empty() || !looks_like_host {
        bail!("{target:?} names no registry: expected REGISTRY[/PREFIX], e.g. localhost:5000/team");
    }
    Ok((registry.to_string(), prefix.to_string()))
}

/// Every repository under `prefix` (the first `max_repos`, by name), and the tags of each that
/// match `tags` (a glob), as references.
pub fn list(
    target: &str,
    options: &RegistryOptions,
    max_repos: usize,
    tags: Option<&globset::GlobMatcher>,
) -> Result<Catalog> {
    let (registry, prefix) = split_target(target)?;
    let client = RegistryClient::for_catalog(&registry, options)?;
    let mut repositories = client
        .repositories()
        .map_err(|e| anyhow!("listing the catalog of {registry}: {e:#}"))?;
    repositories.sort();
    repositories.dedup();
    let under_prefix =
        |r: &String| prefix.is_empty() || r == &prefix || r.starts_with(&format!("{prefix}/"));
    repositories.retain(under_prefix);
    let listed = repositories.len();
    let left_out = listed.saturating_sub(max_repos);
    repositories.truncate(max_repos);

    let next = AtomicUsize::new(0);
    let found: Mutex<Vec<(usize, Result<Vec<String>>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..TAG_LISTS_AT_ONCE.min(repositories.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(repo) = repositories.get(i) else {
                        break;
                    };
                    let tags = RegistryClient::new(&format!("{registry}/{repo}:latest"), options)
                        .and_then(|c| c.tags())
                        .map_err(|e| anyhow!("tags of {registry}/{repo}: {e:#}"));
                    found
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((i, tags));
                }
            });
        }
    });
    let mut found = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    found.sort_by_key(|(i, _)| *i);
    let mut references = Vec::new();
    let mut tags_left_out = 0;
    for (i, listed_tags) in found {
        for tag in listed_tags? {
            if tags.is_some_and(|g| !g.is_match(&tag)) {
                tags_left_out += 1;
                continue;
            }
            references.push(format!("{registry}/{}:{tag}", repositories[i]));
        }
    }
    Ok(Catalog {
        references,
        repositories: listed,
        repositories_left_out: left_out,
        tags_left_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_a_registry_and_a_prefix() {
        assert_eq!(
            split_target("localhost:5000/team/").unwrap(),
            ("localhost:5000".into(), "team".into())
        );
        assert_eq!(
            split_target("registry.example").unwrap(),
            ("registry.example".into(), String::new())
        );
        assert!(split_target("team/app").is_err());
    }
}
