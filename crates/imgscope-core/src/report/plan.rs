//! The trim plan in the reports: JSON wire types (the top-level `plan` array and `plan_totals`)
//! and the text section that leads the text report. Both read one [`Plan`]; names and paths from
//! images go through [`escape_control`](crate::text::escape_control) in text.

use std::fmt::Write;

use serde::Serialize;

use crate::analysis::plan::{Action, Detail, Plan};
use crate::analysis::sharing::Sharing;
use crate::text::rough_percent as percent;
use crate::text::{escape_control as esc, human_size as hs};

#[derive(Serialize)]
pub struct PlanActionReport {
    /// `rebase`, `slim`, `trim`, `dedup`, or `stabilize` (a release series' layer rebuilt for
    /// nothing: `imgscope releases`).
    pub action: &'static str,
    /// `safe` (nothing that runs needs what it removes), `rebuild` (a Dockerfile change that
    /// keeps what runs) or `risky` (may remove something the program needs).
    pub risk: &'static str,
    /// Names of the images whose layers it changes.
    pub images: Vec<String>,
    /// The layers it changes, by diff_id (blob digest when no diff_id is known).
    pub layers: Vec<String>,
    /// Whose each of those layers is: the image whose layers are a prefix of every other user's
    /// (the base it belongs to, or the image itself for its own layers), else "A, B and C" (the
    /// images sharing it). The same in whatever order the images are given.
    pub layer_owners: Vec<String>,
    pub node_saving_bytes: u64,
    pub pull_saving_bytes: u64,
    /// A `stabilize` action only: what a node would stop re-pulling per release (uncompressed;
    /// also its `node_saving_bytes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_release_saving_bytes: Option<u64>,
    pub share_of_node_cost: f64,
    pub worth_it: bool,
    pub why: String,
    /// Bytes of it that higher-ranked actions already remove (totals count them once), and the
    /// ranks (1-based, as listed) of those actions.
    pub overlap_bytes: u64,
    pub overlaps: Vec<usize>,
    /// Largest files it removes.
    pub paths: Vec<PlanPathReport>,
    /// Action-specific figures.
    pub detail: PlanDetailReport,
}

#[derive(Serialize)]
pub struct PlanPathReport {
    pub path: String,
    pub bytes: u64,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum PlanDetailReport {
    Rebase {
        onto_image: String,
        /// The base the content already lives in, when the copied layers are a shared base.
        onto_base: Option<String>,
        onto_layers: Vec<String>,
        layer_bytes: u64,
        /// The files an image needs (visible, not package-manager caches).
        essential_bytes: u64,
        /// Of those, the bytes whose content the other layers hold.
        matched_bytes: u64,
        matched_files: u64,
    },
    Trim {
        /// Bytes every image using the layer hides under later layers.
        hidden_bytes: u64,
        categories: Vec<PlanCategoryReport>,
        /// How many images use the layer (its saving is counted once, not per image).
        layer_users: usize,
    },
    Dedup {
        groups: u64,
        copies: u64,
    },
    Slim {
        executable: String,
        /// The static closure: the optimistic bound.
        closure_bytes: u64,
        closure_files: u64,
        /// What an image that still runs keeps (the conservative bound the saving rests on).
        kept_bytes: u64,
        kept_files: u64,
        kept_packages: u64,
        /// The node saving of an image of the static closure alone.
        static_node_saving_bytes: u64,
        /// Kept bytes in shared layers: the slim image carries its own copy.
        readd_bytes: u64,
        unresolved: Vec<String>,
        unseen: Vec<String>,
    },
    Stabilize {
        /// Compressed: what a node would stop downloading per release.
        per_release_pull_saving_bytes: u64,
        /// Releases after the first in which the layer changed digest, and how many there are.
        changed_in_releases: usize,
        releases: usize,
        /// Of the bytes pulled for the layer, the share the previous release already had.
        already_had_share: f64,
        /// The layer's command (its history `created_by`).
        command: String,
        /// Its files whose content was new when it last changed (largest first, at most 5).
        changed_files: Vec<PlanPathReport>,
    },
}

#[derive(Serialize)]
pub struct PlanCategoryReport {
    pub category: &'static str,
    pub bytes: u64,
}

#[derive(Serialize)]
pub struct PlanTotalsReport {
    /// Uncompressed bytes a node holding every image stores (each distinct layer once).
    pub node_cost_bytes: u64,
    /// Compressed bytes a fresh node pulls.
    pub pull_cost_bytes: u64,
    /// All actions together, each file counted once (actions may overlap).
    pub node_saving_bytes: u64,
    pub pull_saving_bytes: u64,
    pub share_of_node_cost: f64,
    pub actions: usize,
    pub worth_it_actions: usize,
    /// The thresholds an action must meet to be worth it.
    pub worth_min_bytes: u64,
    pub worth_min_share: f64,
    /// True when some image was read without its layers: its layers are not in the plan.
    pub partial: bool,
    /// Per risk (`safe`, `rebuild`, `risky`): what its actions save together, each file counted
    /// once, and what every action up to it saves (`cumulative_…`: safe; safe and rebuild; all).
    pub by_risk: std::collections::BTreeMap<&'static str, RiskTotalsReport>,
}

#[derive(Serialize)]
pub struct RiskTotalsReport {
    pub actions: usize,
    pub node_saving_bytes: u64,
    pub pull_saving_bytes: u64,
    pub share_of_node_cost: f64,
    pub cumulative_node_saving_bytes: u64,
    pub cumulative_pull_saving_bytes: u64,
}

#[derive(Serialize)]
pub struct PlanNoteReport {
    pub image: String,
    pub note: String,
}

fn layer_id(sharing: &Sharing, d: usize) -> String {
    let f = &sharing.layers[d].facts;
    f.diff_id
        .clone()
        .or_else(|| f.digest.clone())
        .unwrap_or_else(|| sharing.layers[d].key.clone())
}

pub fn actions(plan: &Plan, sharing: &Sharing, names: &[String]) -> Vec<PlanActionReport> {
    let name = |i: usize| names.get(i).cloned().unwrap_or_default();
    plan.actions
        .iter()
        .map(|a| PlanActionReport {
            action: a.kind.key(),
            risk: a.risk.key(),
            images: a.images.iter().map(|&i| name(i)).collect(),
            layers: a.layers.iter().map(|&d| layer_id(sharing, d)).collect(),
            layer_owners: a
                .layers
                .iter()
                .map(|&d| crate::analysis::plan::layer_owner_name(sharing, names, d))
                .collect(),
            node_saving_bytes: a.node_saving,
            pull_saving_bytes: a.pull_saving,
            per_release_saving_bytes: match &a.detail {
                Detail::Stabilize {
                    per_release_saving, ..
                } => Some(*per_release_saving),
                _ => None,
            },
            share_of_node_cost: a.share_of_node_cost,
            worth_it: a.worth_it,
            why: a.why.clone(),
            overlap_bytes: a.overlap_bytes,
            overlaps: a.overlaps.iter().map(|k| k + 1).collect(),
            paths: a
                .paths
                .iter()
                .map(|(path, bytes)| PlanPathReport {
                    path: path.clone(),
                    bytes: *bytes,
                })
                .collect(),
            detail: detail(a, sharing, names),
        })
        .collect()
}

fn detail(a: &Action, sharing: &Sharing, names: &[String]) -> PlanDetailReport {
    match &a.detail {
        Detail::Rebase {
            onto,
            onto_base,
            onto_layers,
            layer_bytes,
            essential_bytes,
            matched_bytes,
            matched_files,
        } => PlanDetailReport::Rebase {
            onto_image: names.get(*onto).cloned().unwrap_or_default(),
            onto_base: onto_base.map(|b| sharing.bases[b].name.clone()),
            onto_layers: onto_layers.iter().map(|&d| layer_id(sharing, d)).collect(),
            layer_bytes: *layer_bytes,
            essential_bytes: *essential_bytes,
            matched_bytes: *matched_bytes,
            matched_files: *matched_files,
        },
        Detail::Trim {
            hidden_bytes,
            categories,
        } => PlanDetailReport::Trim {
            hidden_bytes: *hidden_bytes,
            categories: categories
                .iter()
                .map(|(c, b)| PlanCategoryReport {
                    category: c.key(),
                    bytes: *b,
                })
                .collect(),
            layer_users: a
                .layers
                .first()
                .map_or(0, |&d| sharing.layers[d].users.len()),
        },
        Detail::Dedup { groups, copies } => PlanDetailReport::Dedup {
            groups: *groups,
            copies: *copies,
        },
        Detail::Slim {
            executable,
            closure_bytes,
            closure_files,
            kept_bytes,
            kept_files,
            kept_packages,
            static_saving,
            readd_bytes,
            unresolved,
            unseen,
        } => PlanDetailReport::Slim {
            executable: executable.clone(),
            closure_bytes: *closure_bytes,
            closure_files: *closure_files,
            kept_bytes: *kept_bytes,
            kept_files: *kept_files,
            kept_packages: *kept_packages,
            static_node_saving_bytes: *static_saving,
            readd_bytes: *readd_bytes,
            unresolved: unresolved.clone(),
            unseen: unseen.clone(),
        },
        Detail::Stabilize {
            per_release_pull_saving,
            changed,
            releases,
            already_had_share,
            command,
            changed_files,
            ..
        } => PlanDetailReport::Stabilize {
            per_release_pull_saving_bytes: *per_release_pull_saving,
            changed_in_releases: *changed,
            releases: *releases,
            already_had_share: *already_had_share,
            command: command.clone(),
            changed_files: changed_files
                .iter()
                .map(|(path, bytes)| PlanPathReport {
                    path: path.clone(),
                    bytes: *bytes,
                })
                .collect(),
        },
    }
}

pub fn totals(plan: &Plan) -> PlanTotalsReport {
    let worth = plan.worth.unwrap_or_default();
    let share = |b: u64| {
        if plan.node_cost == 0 {
            0.0
        } else {
            b as f64 / plan.node_cost as f64
        }
    };
    PlanTotalsReport {
        node_cost_bytes: plan.node_cost,
        pull_cost_bytes: plan.pull_cost,
        node_saving_bytes: plan.node_saving,
        pull_saving_bytes: plan.pull_saving,
        share_of_node_cost: plan.saving_share(),
        actions: plan.actions.len(),
        worth_it_actions: plan.worth_it().count(),
        worth_min_bytes: worth.min_bytes,
        worth_min_share: worth.min_share,
        partial: plan.partial,
        by_risk: plan
            .by_risk
            .iter()
            .map(|t| {
                (
                    t.risk.key(),
                    RiskTotalsReport {
                        actions: t.actions,
                        node_saving_bytes: t.node_saving,
                        pull_saving_bytes: t.pull_saving,
                        share_of_node_cost: share(t.node_saving),
                        cumulative_node_saving_bytes: t.cumulative_node_saving,
                        cumulative_pull_saving_bytes: t.cumulative_pull_saving,
                    },
                )
            })
            .collect(),
    }
}

/// Sentences about images the plan offers less for (shell images), by image name.
pub fn notes(plan: &Plan, names: &[String]) -> Vec<PlanNoteReport> {
    plan.notes
        .iter()
        .map(|(i, note)| PlanNoteReport {
            image: names.get(*i).cloned().unwrap_or_default(),
            note: note.clone(),
        })
        .collect()
}

/// The node cost in words: its size, or that it is not known when no layer was read.
pub fn node_cost_words(plan: &Plan) -> String {
    if plan.partial && plan.node_cost == 0 {
        "not known (layers not read)".to_string()
    } else {
        hs(plan.node_cost)
    }
}

/// Why a plan has no action, in words the text and review reports share.
pub fn nothing_to_do(plan: &Plan) -> String {
    format!(
        "no hidden, cache, doc, duplicate or copied-base bytes{}",
        if plan.partial {
            " in the decoded layers (some images were read layers-only)"
        } else {
            ""
        }
    )
}

/// Actions listed in the text report; the rest are counted.
pub const TEXT_ACTIONS: usize = 10;

/// The text section: the answer first, then each action ranked by what a node saves.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    let worth = plan.worth.unwrap_or_default();
    let worth_count = plan.worth_it().count();
    let node_cost = node_cost_words(plan);
    let _ = writeln!(
        out,
        "Trim plan: {} of {} actions worth it (worth it = saves {}); node cost {node_cost} ({} to pull)",
        worth_count,
        plan.actions.len(),
        worth.describe(),
        hs(plan.pull_cost),
    );
    if plan.actions.is_empty() {
        let _ = writeln!(out, "  nothing to do: {}", nothing_to_do(plan));
        return out;
    }
    let _ = writeln!(out, "  Saving {}", plan.risk_headline());
    let _ = writeln!(
        out,
        "  All actions together save {} per node ({} of the node cost), {} per pull — each file counted once where actions overlap",
        hs(plan.node_saving),
        percent(plan.saving_share()),
        hs(plan.pull_saving)
    );
    for (_, note) in &plan.notes {
        let _ = writeln!(out, "  Note: {}", esc(note));
    }
    for (k, a) in plan.actions.iter().take(TEXT_ACTIONS).enumerate() {
        // A release series' stabilize action saves on every release, not once.
        let per = match a.kind {
            crate::analysis::plan::ActionKind::Stabilize => "release",
            _ => "node",
        };
        let _ = writeln!(
            out,
            "  {:>2}. {:<6} {:<7} {:>10} per {per}, {:>10} per pull  {}  {}",
            k + 1,
            a.kind.key(),
            a.risk.key(),
            hs(a.node_saving),
            hs(a.pull_saving),
            if a.worth_it { "WORTH IT" } else { "not worth" },
            esc(&a.why)
        );
        if a.overlap_bytes > 0 {
            let ranks: Vec<String> = a.overlaps.iter().map(|k| (k + 1).to_string()).collect();
            let _ = writeln!(
                out,
                "      {} of it is inside action {} (counted once in the total)",
                hs(a.overlap_bytes),
                ranks.join(", ")
            );
        }
        if let Some((path, bytes)) = a.paths.first() {
            let _ = writeln!(out, "      largest: {} ({})", esc(path), hs(*bytes));
        }
    }
    if plan.actions.len() > TEXT_ACTIONS {
        let _ = writeln!(
            out,
            "  … {} more actions (see --json)",
            plan.actions.len() - TEXT_ACTIONS
        );
    }
    out
}
