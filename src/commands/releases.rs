//! `imgscope releases IMAGE…`: the releases of one image in deploy order, each loaded as any
//! image is, reduced to what the series needs (its layers and the content hashes of their files)
//! so only the last release's tree stays in memory; then the series, and the last release's plan
//! with the series' `stabilize` actions, printed as text or JSON.

use std::sync::Arc;

use anyhow::Result;

use crate::analysis::releases::{self, ReleaseFacts};
use crate::cli::ReleasesFormat;
use crate::pipeline::load::Progress;
use crate::report;
use crate::settings::ReleasesRequest;

pub fn run(request: &ReleasesRequest) -> Result<u8> {
    if let Some(db) = &request.from {
        return from_history(request, db);
    }
    let inputs = if request.all_tags {
        tags_of(request)?
    } else {
        request.images.clone()
    };
    // Each release loaded, reduced to its facts, with when its config says it was created; only
    // the newest keeps its tree (for the plan).
    let mut loaded_facts: Vec<(Option<String>, ReleaseFacts)> = Vec::with_capacity(inputs.len());
    let mut last: Option<(Option<String>, crate::pipeline::load::Loaded)> = None;
    for input in &inputs {
        let progress = Arc::new(Progress::default());
        let bar = request
            .progress
            .then(|| crate::progress_bar::Bar::start(input.clone(), progress.clone()));
        let loaded = super::load_with_progress(input, &request.load, &progress)?;
        drop(bar);
        let created = loaded.image.created.clone();
        loaded_facts.push((created.clone(), ReleaseFacts::of(&loaded.image)));
        // In the order given, the last one is the newest; by tags, the latest `created`.
        if !request.all_tags || last.as_ref().is_none_or(|(c, _)| created >= *c) {
            last = Some((created, loaded));
        }
    }
    if request.all_tags {
        // Oldest first; a tag whose config has no date goes first, ties keep the tag order.
        loaded_facts.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let mut facts: Vec<ReleaseFacts> = loaded_facts.into_iter().map(|(_, f)| f).collect();
    facts.shrink_to_fit();
    let Some((_, last)) = last else {
        anyhow::bail!("releases: no release given");
    };
    let series = releases::series(&facts);
    let mut set =
        crate::analysis::set::analyze(&[(&last.image, Some(&last.analysis))], request.worth);
    let names: Vec<String> = facts.iter().map(|f| f.name.clone()).collect();
    if let Some(last_facts) = facts.last() {
        let actions = releases::stabilize_actions(
            &series,
            last_facts,
            &set.sharing,
            0,
            set.plan.node_cost,
            request.worth,
            &names,
        );
        set.plan.insert_ranked(actions);
    }
    output(request, &facts, &series, &set, Some(&last))
}

/// Most tags `releases --all-tags` takes: each is a release loaded in full.
const MAX_ALL_TAGS: usize = 64;

/// `releases --all-tags REPO`: every tag of the repository, as references to load.
fn tags_of(request: &ReleasesRequest) -> Result<Vec<String>> {
    let repo = request.images.first().map_or("", String::as_str);
    let shown = crate::text::escape_control(repo);
    let tags = crate::source::registry::all_tags(repo, &request.load.source.registry)
        .map_err(|e| anyhow::anyhow!("{shown}: {e:#}"))?;
    match tags.len() {
        0 => anyhow::bail!("{shown}: the repository has no tags"),
        1 => anyhow::bail!("{shown}: the repository has one tag: a series needs two or more"),
        n if n > MAX_ALL_TAGS => anyhow::bail!(
            "{shown}: the repository has {n} tags; releases --all-tags takes at most \
             {MAX_ALL_TAGS} (each is loaded in full): name the releases instead"
        ),
        _ => Ok(tags),
    }
}

/// `releases NAME --from DB`: NAME's records as the series; the plan holds only the series'
/// `stabilize` actions (a record keeps the plan's totals, not its actions).
fn from_history(request: &ReleasesRequest, db: &std::path::Path) -> Result<u8> {
    use crate::analysis::plan::{Plan, Risk, RiskTotals};
    let name = request
        .images
        .first()
        .map(String::as_str)
        .unwrap_or_default();
    let (_, records) = super::history::read_series(name, Some(db))?;
    if records.len() < 2 {
        anyhow::bail!(
            "history database {}: {name:?} has {} record; a series needs two or more",
            db.display(),
            records.len()
        );
    }
    let facts: Vec<ReleaseFacts> = records
        .iter()
        .map(|r| crate::history::release_facts(r, super::history::describe(r)))
        .collect();
    let series = releases::series(&facts);
    let (Some(last), Some(last_facts)) = (records.last(), facts.last()) else {
        anyhow::bail!("releases: no release recorded");
    };
    let sharing = crate::analysis::sharing::analyze(&[crate::analysis::sharing::ImageFacts {
        name: last_facts.name.clone(),
        layers: last
            .layers
            .iter()
            .map(|l| crate::analysis::sharing::LayerFacts {
                diff_id: l.diff_id.clone(),
                digest: l.digest.clone(),
                compressed: l.compressed_size_bytes,
                size: Some(l.size_bytes),
                reclaimable: Some(l.reclaimable_bytes),
                created_by: l.command.clone(),
            })
            .collect(),
    }]);
    let mut plan = Plan {
        node_cost: last.size_bytes,
        pull_cost: last.compressed_size_bytes,
        worth: Some(request.worth),
        by_risk: Risk::ALL
            .into_iter()
            .map(|risk| RiskTotals {
                risk,
                actions: 0,
                node_saving: 0,
                pull_saving: 0,
                cumulative_node_saving: 0,
                cumulative_pull_saving: 0,
            })
            .collect(),
        ..Plan::default()
    };
    let names: Vec<String> = facts.iter().map(|f| f.name.clone()).collect();
    plan.insert_ranked(releases::stabilize_actions(
        &series,
        last_facts,
        &sharing,
        0,
        plan.node_cost,
        request.worth,
        &names,
    ));
    let set = crate::analysis::set::SetAnalysis {
        names: vec![last_facts.name.clone()],
        sharing,
        content: Default::default(),
        trim: vec![Vec::new()],
        set_trim: vec![Vec::new()],
        plan,
        packages: Vec::new(),
    };
    output(request, &facts, &series, &set, None)
}

fn output(
    request: &ReleasesRequest,
    facts: &[ReleaseFacts],
    series: &releases::Series,
    set: &crate::analysis::set::SetAnalysis,
    last: Option<&crate::pipeline::load::Loaded>,
) -> Result<u8> {
    if let Some(color) = request.view {
        return crate::tui::run_releases(crate::tui::release_chart::ReleaseChart::new(
            facts, series, color,
        ));
    }
    let text = match request.format {
        ReleasesFormat::Json => report::json::releases::releases_to_string(facts, series, set)?,
        ReleasesFormat::Text => report::releases::text(facts, series, set),
        ReleasesFormat::Markdown => report::releases::markdown(facts, series, set),
        ReleasesFormat::Html => {
            let Some(last) = last else {
                anyhow::bail!(
                    "releases --from --format html: the HTML report is the last release's, and a \
                     record keeps no files (use text, json or markdown)"
                );
            };
            let section = report::releases::html_section(facts, series);
            report::html::report(&[(&last.image, &last.analysis)], set, Some(&section))
        }
    };
    super::print(&text)
}
