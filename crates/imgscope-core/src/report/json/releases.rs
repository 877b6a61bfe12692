//! `imgscope releases --json`: what every release of a series costs a node that runs the one
//! before — per release, over the series and per layer position — and the trim plan of the last
//! release with the series' `stabilize` actions. Versioned like the report (the plan's wire types
//! are `report::plan`'s).

use serde::Serialize;

use super::{SCHEMA_VERSION, Tool};
use crate::analysis::releases::{
    Churn, ReleaseFacts, STABILIZE_MIN_ALREADY_HAD, Series, Step, Totals,
};
use crate::analysis::set::SetAnalysis;
use crate::report::plan;

/// The document `imgscope releases --json` prints.
#[derive(Serialize)]
pub struct ReleasesDocument {
    pub schema_version: u32,
    pub tool: Tool,
    pub releases: ReleasesReport,
    /// The plan of the last release (as `imgscope LAST --json` builds it) with the series'
    /// `stabilize` actions ranked in.
    pub plan: Vec<plan::PlanActionReport>,
    /// The last release's plan totals: what a node stores; `stabilize` actions are per release
    /// and not counted in them.
    pub plan_totals: plan::PlanTotalsReport,
    pub plan_notes: Vec<plan::PlanNoteReport>,
}

#[derive(Serialize)]
pub struct ReleasesReport {
    /// Releases in the series (the first is pulled whole; the others are priced).
    pub count: usize,
    /// Whether every file's content was hashed (else unhashed files count as new).
    pub hashed: bool,
    /// Whether some already-had bytes are estimates (a series read from the history).
    pub estimated: bool,
    /// Pulled layers whose already-had bytes are not known (recorded without a fingerprint):
    /// counted as 0 in the rows and totals.
    pub unknown_layers: usize,
    /// The share of a layer's pulled bytes the previous release must already have had for a
    /// layer that changes in most releases to be offered a `stabilize` action.
    pub stabilize_min_already_had: f64,
    pub per_release: Vec<ReleaseRow>,
    /// Over the releases after the first: each figure summed, and divided by their number
    /// (rounded down).
    pub total: TotalsReport,
    pub mean: TotalsReport,
    /// Every layer position, in order.
    pub churn: Vec<ChurnReport>,
}

#[derive(Serialize)]
pub struct ReleaseRow {
    pub index: usize,
    /// The image's name (its input when it has none).
    pub image: String,
    pub input: String,
    /// What a node running the previous release pulls: uncompressed and compressed bytes of the
    /// layers it lacks, and of the uncompressed bytes the file content it already had (by hash,
    /// paths ignored). Null for the first release.
    pub pull_bytes: Option<u64>,
    pub pull_compressed_bytes: Option<u64>,
    pub already_had_bytes: Option<u64>,
    /// `pull_bytes - already_had_bytes`.
    pub new_bytes: Option<u64>,
    /// The layers it pulls (null for the first release).
    pub changed_layers: Option<Vec<ChangedLayerReport>>,
}

#[derive(Serialize)]
pub struct ChangedLayerReport {
    pub index: usize,
    /// Its diff_id (as read, else as claimed), else its blob digest.
    pub layer: Option<String>,
    pub created_by: String,
    pub size_bytes: u64,
    pub compressed_size_bytes: u64,
    /// Null when not known (a recorded layer without a fingerprint).
    pub already_had_bytes: Option<u64>,
    /// Whether `already_had_bytes` is estimated from the history's fingerprints.
    pub already_had_estimated: bool,
    /// Files whose content the previous release lacked, and the largest of them (at most 5);
    /// null and empty when `already_had_estimated`.
    pub new_file_count: Option<u64>,
    pub new_files: Vec<plan::PlanPathReport>,
}

#[derive(Serialize)]
pub struct TotalsReport {
    pub pull_bytes: u64,
    pub pull_compressed_bytes: u64,
    pub already_had_bytes: u64,
    pub new_bytes: u64,
}

impl From<Totals> for TotalsReport {
    fn from(t: Totals) -> TotalsReport {
        TotalsReport {
            pull_bytes: t.pull_bytes,
            pull_compressed_bytes: t.pull_compressed_bytes,
            already_had_bytes: t.already_had_bytes,
            new_bytes: t.pull_bytes.saturating_sub(t.already_had_bytes),
        }
    }
}

#[derive(Serialize)]
pub struct ChurnReport {
    pub position: usize,
    /// The command of the last release's layer at this position.
    pub created_by: String,
    /// Releases after the first that have a layer there, and in how many it changed.
    pub releases: usize,
    pub changed: usize,
    /// Over its changes: bytes pulled, of those already had, and new.
    pub pull_bytes: u64,
    pub pull_compressed_bytes: u64,
    pub already_had_bytes: u64,
    pub new_bytes: u64,
    /// `already_had_bytes / pull_bytes` (0 when it never changed).
    pub already_had_share: f64,
    /// Each change: the release, and how much of it was really new.
    pub changes: Vec<ChangeReport>,
}

#[derive(Serialize)]
pub struct ChangeReport {
    pub release: usize,
    pub pull_bytes: u64,
    pub pull_compressed_bytes: u64,
    pub already_had_bytes: u64,
    pub new_bytes: u64,
}

fn row(index: usize, facts: &ReleaseFacts, step: Option<&Step>) -> ReleaseRow {
    ReleaseRow {
        index,
        image: facts.name.clone(),
        input: facts.input.clone(),
        pull_bytes: step.map(|s| s.totals.pull_bytes),
        pull_compressed_bytes: step.map(|s| s.totals.pull_compressed_bytes),
        already_had_bytes: step.map(|s| s.totals.already_had_bytes),
        new_bytes: step.map(|s| {
            s.totals
                .pull_bytes
                .saturating_sub(s.totals.already_had_bytes)
        }),
        changed_layers: step.map(|s| {
            s.layers
                .iter()
                .map(|l| ChangedLayerReport {
                    index: l.index,
                    layer: l.id.clone(),
                    created_by: l.created_by.clone(),
                    size_bytes: l.size,
                    compressed_size_bytes: l.compressed,
                    already_had_bytes: l.known.then_some(l.already_had),
                    already_had_estimated: l.estimated,
                    new_file_count: l.new_file_count,
                    new_files: l
                        .new_files
                        .iter()
                        .map(|(p, b)| plan::PlanPathReport {
                            path: p.to_string(),
                            bytes: *b,
                        })
                        .collect(),
                })
                .collect()
        }),
    }
}

fn churn(c: &Churn) -> ChurnReport {
    let t = c.totals();
    ChurnReport {
        position: c.position,
        created_by: c.created_by.clone(),
        releases: c.present,
        changed: c.changes.len(),
        pull_bytes: t.pull_bytes,
        pull_compressed_bytes: t.pull_compressed_bytes,
        already_had_bytes: t.already_had_bytes,
        new_bytes: t.pull_bytes.saturating_sub(t.already_had_bytes),
        already_had_share: c.already_had_share(),
        changes: c
            .changes
            .iter()
            .map(|x| ChangeReport {
                release: x.release,
                pull_bytes: x.pull_bytes,
                pull_compressed_bytes: x.pull_compressed_bytes,
                already_had_bytes: x.already_had_bytes,
                new_bytes: x.new_bytes(),
            })
            .collect(),
    }
}

/// The `releases` object of `series` over `facts` (the releases, in order).
pub fn releases_report(facts: &[ReleaseFacts], series: &Series) -> ReleasesReport {
    ReleasesReport {
        count: facts.len(),
        hashed: !series.unhashed,
        estimated: series.estimated,
        unknown_layers: series.unknown_layers,
        stabilize_min_already_had: STABILIZE_MIN_ALREADY_HAD,
        per_release: facts
            .iter()
            .enumerate()
            .map(|(i, f)| row(i, f, i.checked_sub(1).and_then(|k| series.steps.get(k))))
            .collect(),
        total: series.total.into(),
        mean: series.mean.into(),
        churn: series.churn.iter().map(churn).collect(),
    }
}

/// The document, as [`super::to_printable_string`] writes it. `set`: the last release's set
/// analysis, its plan holding the stabilize actions.
pub fn releases_to_string(
    facts: &[ReleaseFacts],
    series: &Series,
    set: &SetAnalysis,
) -> serde_json::Result<String> {
    let doc = ReleasesDocument {
        schema_version: SCHEMA_VERSION,
        tool: Tool::imgscope(),
        releases: releases_report(facts, series),
        plan: plan::actions(&set.plan, &set.sharing, &set.names),
        plan_totals: plan::totals(&set.plan),
        plan_notes: plan::notes(&set.plan, &set.names),
    };
    super::to_printable_string(&doc)
}
