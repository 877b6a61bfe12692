//! `imgscope slim IMAGE -o oci:DIR[:TAG]`: write the slim image the plan prices, and say how its
//! real size compares with the estimate; `--list` prints the kept paths instead (what a
//! Dockerfile would COPY).

use std::io::Write;

use anyhow::{Result, anyhow};

use crate::analysis::role::Role;
use crate::pipeline::load::{self, Progress};
use crate::pipeline::slim_image;
use crate::settings::SlimRequest;
use crate::text::{escape_control as esc, human_size as hs};

pub fn run(request: &SlimRequest) -> Result<u8> {
    let image = &request.image;
    let named = |e: anyhow::Error| anyhow!("{}: {e:#}", esc(image));
    let loaded = load::load(image, &request.load, &Progress::default()).map_err(named)?;
    let analysis = &loaded.analysis;
    let static_set;
    let set = match (&analysis.slim, &analysis.closure) {
        (Some(_), Some(closure)) if request.static_closure => {
            static_set = crate::analysis::slim::static_only(&loaded.image, closure);
            &static_set
        }
        (Some(set), _) => set,
        _ => return Err(named(anyhow!("{}", why_not(&loaded)))),
    };
    if request.list {
        let tree = &loaded.image.tree;
        let mut out = std::io::stdout().lock();
        for &node in &set.keep {
            let Some(v) = tree.live_final(node) else {
                continue;
            };
            if v.kind != crate::model::EntryKind::Dir {
                writeln!(out, "{}", esc(&tree.path(node)))?;
            }
        }
        out.flush()?;
        if request.output.is_none() {
            return Ok(0);
        }
    }
    let Some((dir, tag)) = &request.output else {
        return Ok(0);
    };
    let written = slim_image::write_layout(&loaded.image, &loaded.blobs, set, dir, tag)
        .map_err(|e| anyhow!("{}: {e:#}", esc(&dir.display().to_string())))?;
    let size = loaded.image.size();
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "wrote oci:{}:{} ({})",
        esc(&dir.display().to_string()),
        esc(&written.tag),
        written.manifest_digest
    )?;
    writeln!(
        err,
        "  {} files, {} of file bytes (estimated {}); layer {} uncompressed, {} compressed; the image was {} ({} compressed)",
        written.files,
        hs(written.bytes),
        hs(set.bytes),
        hs(written.layer_size),
        hs(written.compressed_size),
        hs(size),
        hs(loaded.image.compressed_size()),
    )?;
    writeln!(
        err,
        "  kept: {} packages{}{}",
        set.packages.len(),
        if set.kept_because.is_empty() {
            String::new()
        } else {
            format!("; {}", esc(&set.kept_because.join("; ")))
        },
        if set.missing_dependencies.is_empty() {
            String::new()
        } else {
            format!(
                "; dependencies not installed in the image: {}",
                esc(&set.missing_dependencies.join(", "))
            )
        }
    )?;
    writeln!(
        err,
        "  a risky action: run the image's tests against it before shipping it (--keep PATH adds what it misses)"
    )?;
    Ok(0)
}

/// Why an image has no slim set, in one sentence.
fn why_not(loaded: &load::Loaded) -> String {
    let a = &loaded.analysis;
    if a.layers_only {
        return "its layers were not read (--layers-only): nothing to slim".into();
    }
    if a.role.role == Role::Shell {
        return format!(
            "a shell image ({}): it runs whatever its user runs, so there is nothing to slim it to (--role IMAGE=service if it runs a service)",
            a.role.why
        );
    }
    match &a.closure {
        None => "it has no entrypoint or command: nothing to slim it to".into(),
        Some(c) if !c.unresolved.is_empty() => format!(
            "its command needs what the image does not hold: {}",
            c.unresolved.join(", ")
        ),
        Some(c) if !c.understood => format!(
            "what its command needs is not known: {}",
            c.unseen.last().cloned().unwrap_or_default()
        ),
        Some(_) => "no slim image could be worked out".into(),
    }
}
