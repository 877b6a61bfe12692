//! What the Markdown and HTML review reports (`imgscope report IMAGE…`) say before the layers and
//! files, in cells both formats share: the trim plan's headline and one row per action (its
//! figures taken from [`super::plan::actions`], the very values `--json` writes), the images'
//! sharing, and the packages that own the bytes. Strings from images are returned raw: each
//! format escapes them (`markdown::code`/`markdown::text`, `html::h`).

use crate::analysis::Analysis;
use crate::analysis::set::SetAnalysis;
use crate::model::Image;
use crate::text::human_size as hs;
use crate::text::rough_percent as percent;

/// Actions listed in a review report; the rest are counted (`--json` lists them all).
pub const ACTIONS: usize = 10;
/// Packages listed per image.
pub const PACKAGES: usize = 10;

/// The plan's headline, in sentences with no image strings in them.
pub struct PlanHead {
    /// "2 of 3 actions worth it (worth it = saves at least 1.0 MiB and 5 % of the node cost)".
    pub verdict: String,
    /// "node cost 120.0 MiB (40.0 MiB to pull)".
    pub cost: String,
    /// The savings per risk, cumulative ("safe: … per node (…); with rebuilds: …"), and all
    /// actions together; `None` with no action.
    pub saving: Option<String>,
    pub together: Option<String>,
    /// With no action: why there is nothing to do.
    pub nothing: Option<String>,
}

/// One action of the plan, as the report lists it.
pub struct ActionRow {
    pub rank: usize,
    pub action: &'static str,
    pub risk: &'static str,
    pub node_saving: String,
    pub pull_saving: String,
    pub share: String,
    pub worth_it: bool,
    /// The images it changes, each with its role (`service`, `interpreted`, `shell`).
    pub images: Vec<(String, &'static str)>,
    /// What it finds, what to do, and the judgement (raw: escape it).
    pub why: String,
    /// The largest file it removes, and its bytes.
    pub largest: Option<(String, String)>,
    /// "3.0 MiB of it is inside action 1".
    pub overlap: Option<String>,
}

pub fn plan_head(set: &SetAnalysis) -> PlanHead {
    let plan = &set.plan;
    let worth = plan.worth.unwrap_or_default();
    let node_cost = super::plan::node_cost_words(plan);
    let (saving, together, nothing) = if plan.actions.is_empty() {
        (
            None,
            None,
            Some(format!(
                "Nothing to do: {}.",
                super::plan::nothing_to_do(plan)
            )),
        )
    } else {
        (
            Some(format!("Saving {}.", plan.risk_headline())),
            Some(format!(
                "All actions together save {} per node ({} of the node cost), {} per pull; each file counted once where actions overlap.",
                hs(plan.node_saving),
                percent(plan.saving_share()),
                hs(plan.pull_saving)
            )),
            None,
        )
    };
    PlanHead {
        verdict: format!(
            "{} of {} actions worth it (worth it = saves {})",
            plan.worth_it().count(),
            plan.actions.len(),
            worth.describe()
        ),
        cost: format!("node cost {node_cost} ({} to pull)", hs(plan.pull_cost)),
        saving,
        together,
        nothing,
    }
}

/// The first [`ACTIONS`] actions, ranked as the plan ranks them, with the figures of `--json`.
pub fn action_rows(set: &SetAnalysis, analyses: &[&Analysis]) -> Vec<ActionRow> {
    let wire = super::plan::actions(&set.plan, &set.sharing, &set.names);
    set.plan
        .actions
        .iter()
        .zip(wire)
        .take(ACTIONS)
        .enumerate()
        .map(|(k, (a, w))| ActionRow {
            rank: k + 1,
            action: w.action,
            risk: w.risk,
            node_saving: hs(w.node_saving_bytes),
            pull_saving: hs(w.pull_saving_bytes),
            share: percent(w.share_of_node_cost),
            worth_it: w.worth_it,
            images: a
                .images
                .iter()
                .map(|&i| {
                    (
                        set.names.get(i).cloned().unwrap_or_default(),
                        analyses.get(i).map_or("unknown", |a| a.role.role.key()),
                    )
                })
                .collect(),
            why: w.why,
            largest: w.paths.first().map(|p| (p.path.clone(), hs(p.bytes))),
            overlap: (w.overlap_bytes > 0).then(|| {
                let ranks: Vec<String> = w.overlaps.iter().map(|r| r.to_string()).collect();
                format!(
                    "{} of it is inside action {} (counted once in the total)",
                    hs(w.overlap_bytes),
                    ranks.join(", ")
                )
            }),
        })
        .collect()
}

/// "… 4 more actions (see `imgscope IMAGE --json`)", when the list is cut.
pub fn more_actions(set: &SetAnalysis) -> Option<String> {
    let n = set.plan.actions.len();
    (n > ACTIONS).then(|| {
        format!(
            "… {} more actions (imgscope IMAGE… --json lists them)",
            n - ACTIONS
        )
    })
}

/// One image in the sharing table.
pub struct SharingRow {
    pub name: String,
    pub size: String,
    pub shared: String,
    pub unique: String,
    pub amortized: String,
    pub verdict: String,
}

/// The node cost line and one row per image, for a set of two or more.
pub fn sharing(set: &SetAnalysis) -> (String, Vec<SharingRow>) {
    let s = &set.sharing;
    let (both, disk) = (super::sharing::both, super::sharing::disk);
    let head = format!(
        "Sum of image sizes {}; node cost {}; sharing ratio {:.2}× (a node holding all of them stores each layer once).",
        both(&s.sum_of_images),
        both(&s.node_cost),
        s.sharing_ratio()
    );
    let rows = s
        .images
        .iter()
        .enumerate()
        .map(|(i, img)| SharingRow {
            name: set.names.get(i).cloned().unwrap_or_default(),
            size: disk(&img.total),
            shared: disk(&img.shared),
            unique: disk(&img.unique),
            amortized: disk(&img.amortized),
            verdict: img.verdict.clone(),
        })
        .collect();
    (head, rows)
}

/// One package among those that own the most bytes.
pub struct PackageRow {
    pub name: String,
    pub version: String,
    pub bytes: String,
    pub files: u64,
    pub layer: String,
    pub reclaimable: String,
    pub trim: String,
}

/// "212 from dpkg: 80.0 MiB owned, 1.2 MiB in 40 files unowned", the largest packages, and how
/// many more there are; `None` when the image has no package database.
pub fn packages(analysis: &Analysis) -> Option<(String, Vec<PackageRow>, usize)> {
    let p = &analysis.packages;
    if p.packages.is_empty() {
        return None;
    }
    let owned: u64 = p.packages.iter().map(|p| p.bytes).sum();
    let head = format!(
        "{} packages from {}: {} owned, {} in {} files unowned",
        p.packages.len(),
        p.managers.join(" and "),
        hs(owned),
        hs(p.unowned_bytes),
        p.unowned_files
    );
    let rows = p
        .packages
        .iter()
        .take(PACKAGES)
        .map(|pkg| PackageRow {
            name: pkg.name.clone(),
            version: pkg.version.clone(),
            bytes: hs(pkg.bytes),
            files: pkg.files,
            layer: pkg.layer.map_or_else(|| "–".to_string(), |l| l.to_string()),
            reclaimable: hs(pkg.reclaimable_bytes),
            trim: hs(pkg.trim_bytes),
        })
        .collect();
    Some((head, rows, p.packages.len().saturating_sub(PACKAGES)))
}

/// The closure line, unescaped pieces: the executable (an image string), and the rest.
pub enum ClosureLine {
    /// The executable, then "needs 16.8 MiB in 11 files (5 % of the image; …)", then the names
    /// it could not find.
    Found(String, String, Vec<String>),
    /// The command's first word, not found in the image.
    Missing(String),
}

pub fn closure(image: &Image, analysis: &Analysis) -> Option<ClosureLine> {
    let c = analysis.closure.as_ref()?;
    Some(match &c.executable {
        Some(exe) => ClosureLine::Found(
            exe.clone(),
            super::packages::closure_needs(image, c),
            c.unresolved.clone(),
        ),
        None => ClosureLine::Missing(c.command.first().cloned().unwrap_or_default()),
    })
}

/// Problems reading package databases (raw: escape them).
pub fn package_problems(analysis: &Analysis) -> &[String] {
    &analysis.packages.problems
}
