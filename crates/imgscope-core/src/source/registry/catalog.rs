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

/// The most references (`repository:tag`, after the tag pattern) a catalog lists over all its
/// repositories together. Each repository's tag list is bounded on its own; this bounds their sum,
/// so that many repositories of many tags each end in one error line rather than an allocation
/// the size of the product.
pub const MAX_CATALOG_REFERENCES: usize = 100_000;

/// Invalid repository or tag names warned about one line each; the rest are counted in one line.
const NAME_WARNINGS_SHOWN: usize = 5;

/// Whether `repository:tag` on `registry` is a valid reference that names exactly that
/// repository and tag (`tag` `None`: the repository alone).
fn valid_reference(registry: &str, repository: &str, tag: Option<&str>) -> bool {
    let text = format!("{registry}/{repository}:{}", tag.unwrap_or("latest"));
    match text.parse::<oci_spec::distribution::Reference>() {
        Ok(r) => {
            r.repository() == repository
                && r.digest().is_none()
                && tag.is_none_or(|t| r.tag() == Some(t))
        }
        Err(_) => false,
    }
}

/// Warnings about skipped names: the first few one line each, escaped, then a count.
#[derive(Default)]
struct Skipped {
    count: usize,
}

impl Skipped {
    fn warn(&mut self, registry: &str, what: &str, name: &str) {
        self.count += 1;
        if self.count <= NAME_WARNINGS_SHOWN {
            eprintln!(
                "imgscope: warning: catalog of {}: skipping the invalid {what} name \"{}\"",
                crate::text::escape_control(registry),
                name.escape_debug()
            );
        }
    }

    fn finish(&self, registry: &str) {
        if self.count > NAME_WARNINGS_SHOWN {
            eprintln!(
                "imgscope: warning: catalog of {}: {} more invalid repository or tag names skipped",
                crate::text::escape_control(registry),
                self.count - NAME_WARNINGS_SHOWN
            );
        }
    }
}

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
    let mut skipped = Skipped::default();
    repositories.retain(|r| {
        let valid = valid_reference(&registry, r, None);
        if !valid {
            skipped.warn(&registry, "repository", r);
        }
        valid
    });
    let listed = repositories.len();
    let left_out = listed.saturating_sub(max_repos);
    repositories.truncate(max_repos);

    // Each tag list is filtered as it arrives and counted against the cap over all repositories:
    // past it, no more lists are fetched and nothing more is kept.
    let next = AtomicUsize::new(0);
    let total = AtomicUsize::new(0);
    let tags_left_out = AtomicUsize::new(0);
    let found: Mutex<Vec<(usize, Result<Vec<String>>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..TAG_LISTS_AT_ONCE.min(repositories.len()) {
            scope.spawn(|| {
                loop {
                    if total.load(Ordering::Relaxed) > MAX_CATALOG_REFERENCES {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(repo) = repositories.get(i) else {
                        break;
                    };
                    let listed = RegistryClient::new(&format!("{registry}/{repo}:latest"), options)
                        .and_then(|c| c.tags())
                        .map_err(|e| anyhow!("tags of {registry}/{repo}: {e:#}"))
                        .map(|mut listed| {
                            let before = listed.len();
                            listed.retain(|t| tags.is_none_or(|g| g.is_match(t)));
                            tags_left_out.fetch_add(before - listed.len(), Ordering::Relaxed);
                            if total.fetch_add(listed.len(), Ordering::Relaxed) + listed.len()
                                > MAX_CATALOG_REFERENCES
                            {
                                // Over the cap: the list is not kept.
                                listed = Vec::new();
                            }
                            listed
                        });
                    found
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((i, listed));
                }
            });
        }
    });
    if total.load(Ordering::Relaxed) > MAX_CATALOG_REFERENCES {
        bail!(
            "{registry}: the catalog has more than {MAX_CATALOG_REFERENCES} tags over all its \
             repositories (the limit)"
        );
    }
    let mut found = found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    found.sort_by_key(|(i, _)| *i);
    let mut references = Vec::new();
    for (i, listed_tags) in found {
        for tag in listed_tags? {
            if !valid_reference(&registry, &repositories[i], Some(&tag)) {
                skipped.warn(&registry, "tag", &format!("{}:{tag}", repositories[i]));
                continue;
            }
            references.push(format!("{registry}/{}:{tag}", repositories[i]));
        }
    }
    skipped.finish(&registry);
    let tags_left_out = tags_left_out.into_inner();
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
