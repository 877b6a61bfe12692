//! Reading an image's base to tell its inherited layers from its own (see
//! [`crate::analysis::base`]): `--base IMAGE`, read once for every image; else the base an image
//! declares in its `org.opencontainers.image.base.*` annotations or labels, read by name and
//! digest. Only manifests and configs are read (the base's diff_ids are all that is needed), and
//! each base once per run.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Result, anyhow};

use crate::analysis::base::{BaseLayers, BaseOrigin};
use crate::model::Image;
use crate::pipeline::load::{LoadOptions, Progress};
use crate::text::escape_control;

/// The `--base` value that turns the lookup off, annotations included.
pub const NO_BASE: &str = "none";

/// A registry request for a declared base waits at most this long: the base is a nicety, and an
/// offline machine must not stall every report on it.
const DECLARED_BASE_BUDGET: Duration = Duration::from_secs(10);

/// Where bases come from, and the ones read so far (their diff_ids, or why they could not be).
#[derive(Debug, Default)]
pub struct BaseLookup {
    /// `--base IMAGE`.
    flag: Option<String>,
    read: Mutex<HashMap<String, Result<Vec<String>, String>>>,
}

impl BaseLookup {
    /// From `--base`: `None` looks at annotations, `none` looks nowhere (then there is no lookup
    /// at all: `Ok(None)`).
    pub fn new(flag: Option<&str>) -> Option<BaseLookup> {
        match flag {
            Some(NO_BASE) => None,
            flag => Some(BaseLookup {
                flag: flag.map(String::from),
                read: Mutex::default(),
            }),
        }
    }

    /// `image`'s base: `--base` (an error when it cannot be read: the user asked for it), else
    /// the declared one (a problem noted in the result when it cannot be read), else none.
    pub fn find(&self, image: &Image, options: &LoadOptions) -> Result<Option<BaseLayers>> {
        if let Some(flag) = &self.flag {
            let diff_ids = self
                .diff_ids(flag, options, None)
                .map_err(|e| anyhow!("--base {}: {e}", escape_control(flag)))?;
            return Ok(Some(BaseLayers::matched(
                image,
                flag.clone(),
                None,
                BaseOrigin::Flag,
                &diff_ids,
            )));
        }
        let Some((name, digest)) = image.declared_base() else {
            return Ok(None);
        };
        let reference = pinned(&name, digest.as_deref());
        Ok(Some(
            match self.diff_ids(&reference, options, Some(DECLARED_BASE_BUDGET)) {
                Ok(ids) => BaseLayers::matched(image, name, digest, BaseOrigin::Annotation, &ids),
                Err(e) => BaseLayers::unreadable(name, digest, BaseOrigin::Annotation, e),
            },
        ))
    }

    /// The base's layer diff_ids, read once per reference: manifests and config only.
    fn diff_ids(
        &self,
        reference: &str,
        options: &LoadOptions,
        budget: Option<Duration>,
    ) -> Result<Vec<String>, String> {
        if let Some(known) = self.lock().get(reference) {
            return known.clone();
        }
        let mut base_options = options.clone();
        base_options.base = None;
        base_options.layers_only = true;
        base_options.without_bytes = true;
        base_options.hash_all_files = false;
        if let Some(budget) = budget {
            let request = &mut base_options.source.registry.request_budget;
            *request = Some(request.map_or(budget, |b| b.min(budget)));
        }
        let read = crate::pipeline::load::load(reference, &base_options, &Progress::default())
            .map_err(|e| format!("{e:#}"))
            .and_then(|base| {
                base.image
                    .layers
                    .iter()
                    .map(|l| l.diff_id.clone().or_else(|| l.content_diff_id.clone()))
                    .collect::<Option<Vec<String>>>()
                    .ok_or_else(|| "its layers have no diff_ids".to_string())
            });
        self.lock().insert(reference.to_string(), read.clone());
        read
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Result<Vec<String>, String>>> {
        // A panic while holding the map leaves nothing half-written in it.
        self.read.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `name` pinned to `digest` (`repo@sha256:…`, the tag dropped: a digest names the image
/// exactly); `name` as it is without a digest or when it is pinned already.
pub fn pinned(name: &str, digest: Option<&str>) -> String {
    let Some(digest) = digest else {
        return name.to_string();
    };
    if name.contains('@') {
        return name.to_string();
    }
    let (path, last) = match name.rsplit_once('/') {
        Some((path, last)) => (Some(path), last),
        None => (None, name),
    };
    let repo = last.split_once(':').map_or(last, |(repo, _tag)| repo);
    match path {
        Some(path) => format!("{path}/{repo}@{digest}"),
        None => format!("{repo}@{digest}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_drops_the_tag_and_keeps_a_registry_port() {
        let d = "sha256:abc";
        assert_eq!(pinned("debian:12", Some(d)), "debian@sha256:abc");
        assert_eq!(
            pinned("localhost:5000/lib/base:1", Some(d)),
            "localhost:5000/lib/base@sha256:abc"
        );
        assert_eq!(
            pinned("localhost:5000/base", Some(d)),
            "localhost:5000/base@sha256:abc"
        );
        assert_eq!(pinned("debian:12", None), "debian:12");
        assert_eq!(pinned("debian@sha256:x", Some(d)), "debian@sha256:x");
    }
}
