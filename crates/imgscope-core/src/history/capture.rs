//! What a recording holds, taken from the same report structures `--json` prints (so a record's
//! numbers are the JSON report's), plus the git commit and branch the CI environment (or the
//! working directory's repository) names.

use crate::analysis::set::SetAnalysis;
use crate::pipeline::load::Loaded;

use super::{DirRow, LayerRow, PlanTotals, Record, TOP_DIRECTORIES};

/// The git commit and branch a recording belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitInfo {
    pub commit: Option<String>,
    pub branch: Option<String>,
}

/// From CI variables (GitHub Actions' `GITHUB_SHA`/`GITHUB_REF_NAME`, GitLab's
/// `CI_COMMIT_SHA`/`CI_COMMIT_REF_NAME`) through `var`; `None` when none is set.
pub fn git_from_env(var: impl Fn(&str) -> Option<String>) -> Option<GitInfo> {
    let get = |k: &str| {
        var(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    for (sha, refname) in [
        ("GITHUB_SHA", "GITHUB_REF_NAME"),
        ("CI_COMMIT_SHA", "CI_COMMIT_REF_NAME"),
    ] {
        let info = GitInfo {
            commit: get(sha),
            branch: get(refname),
        };
        if info.commit.is_some() || info.branch.is_some() {
            return Some(info);
        }
    }
    None
}

/// `git rev-parse` in the working directory: the commit, and the branch unless HEAD is detached.
fn git_from_repository() -> GitInfo {
    let run = |args: &[&str]| -> Option<String> {
        let out = std::process::Command::new("git")
            .args(args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (!s.is_empty()).then_some(s)
    };
    GitInfo {
        commit: run(&["rev-parse", "HEAD"]),
        branch: run(&["rev-parse", "--abbrev-ref", "HEAD"]).filter(|b| b != "HEAD"),
    }
}

/// The CI environment's commit and branch, else the working directory's repository's, else none.
pub fn git_info() -> GitInfo {
    git_from_env(|k| std::env::var(k).ok()).unwrap_or_else(git_from_repository)
}

/// The record of `loaded` (analysed as the set `set` of it alone), filed under `name`.
pub fn record(
    loaded: &Loaded,
    set: &SetAnalysis,
    name: &str,
    git: GitInfo,
    recorded_at: i64,
) -> Record {
    let report = crate::report::json::image_report(&loaded.image, &loaded.analysis);
    // Each layer's files, fingerprinted (a layers-only image has none to fingerprint).
    let facts = (!loaded.analysis.layers_only)
        .then(|| crate::analysis::releases::ReleaseFacts::of(&loaded.image));
    let fingerprint = |i: usize| {
        let l = facts.as_ref()?.layers.get(i)?;
        crate::analysis::releases::LayerFingerprint::of(&l.files)
    };
    let totals = crate::report::plan::totals(&set.plan);
    let waste = report.waste.as_ref();
    Record {
        id: 0,
        name: name.to_string(),
        recorded_at,
        input: report.input.to_string(),
        image_name: report.name.map(str::to_string),
        tag: report.name.and_then(super::tag_of),
        manifest_digest: report.manifest_digest.map(str::to_string),
        config_digest: report.config_digest.map(str::to_string),
        created: report.created.map(str::to_string),
        platform: report.platform.clone(),
        size_bytes: report.size_bytes.unwrap_or(0),
        compressed_size_bytes: report.compressed_size_bytes,
        file_count: report.file_count.unwrap_or(0),
        reclaimable_bytes: waste.map_or(0, |w| w.reclaimable_bytes),
        efficiency: waste.map_or(0.0, |w| w.efficiency),
        plan: PlanTotals {
            node_cost_bytes: totals.node_cost_bytes,
            pull_cost_bytes: totals.pull_cost_bytes,
            node_saving_bytes: totals.node_saving_bytes,
            pull_saving_bytes: totals.pull_saving_bytes,
            share_of_node_cost: totals.share_of_node_cost,
            actions: totals.actions as u64,
            worth_it_actions: totals.worth_it_actions as u64,
        },
        git_commit: git.commit,
        git_branch: git.branch,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        layers: report
            .layers
            .iter()
            .map(|l| LayerRow {
                index: l.index,
                diff_id: l.diff_id.map(str::to_string),
                digest: l.digest.map(str::to_string),
                size_bytes: l.size_bytes.unwrap_or(0),
                compressed_size_bytes: l.compressed_size_bytes,
                command: l.created_by.unwrap_or("").to_string(),
                reclaimable_bytes: l.reclaimable_bytes.unwrap_or(0),
                fingerprint: fingerprint(l.index),
            })
            .collect(),
        directories: report
            .largest_directories
            .iter()
            .take(TOP_DIRECTORIES)
            .map(|d| DirRow {
                path: d.path.clone(),
                size_bytes: d.size_bytes,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(git_from_env(env(&[])), None);
        assert_eq!(
            git_from_env(env(&[("GITHUB_SHA", "abc"), ("GITHUB_REF_NAME", "main")])),
            Some(GitInfo {
                commit: Some("abc".into()),
                branch: Some("main".into())
            })
        );
        assert_eq!(
            git_from_env(env(&[("CI_COMMIT_SHA", "def"), ("GITHUB_REF_NAME", " ")])),
            Some(GitInfo {
                commit: Some("def".into()),
                branch: None
            })
        );
    }
}
