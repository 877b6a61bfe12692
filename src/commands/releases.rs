//! `imgscope releases IMAGE…`: the releases of one image in deploy order, each loaded as any
//! image is, reduced to what the series needs (its layers and the content hashes of their files)
//! so only the last release's tree stays in memory; then the series, and the last release's plan
//! with the series' `stabilize` actions, printed as text or JSON.

use std::sync::Arc;

use anyhow::Result;

use crate::analysis::releases::{self, ReleaseFacts};
use crate::cli::DiffFormat;
use crate::pipeline::load::Progress;
use crate::report;
use crate::settings::ReleasesRequest;

pub fn run(request: &ReleasesRequest) -> Result<u8> {
    if let Some(db) = &request.from {
        return from_history(request, db);
    }
    let mut facts: Vec<ReleaseFacts> = Vec::with_capacity(request.images.len());
    let mut last = None;
    for input in &request.images {
        let progress = Arc::new(Progress::default());
        let bar = request
            .progress
            .then(|| crate::progress_bar::Bar::start(input.clone(), progress.clone()));
        let loaded = super::load_with_progress(input, &request.load, &progress)?;
        drop(bar);
        facts.push(ReleaseFacts::of(&loaded.image));
        last = Some(loaded);
    }
    let Some(last) = last else {
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
    output(request, &facts, &series, &set)
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
    output(request, &facts, &series, &set)
}

fn output(
    request: &ReleasesRequest,
    facts: &[ReleaseFacts],
    series: &releases::Series,
    set: &crate::analysis::set::SetAnalysis,
) -> Result<u8> {
    if let Some(color) = request.view {
        return crate::tui::run_releases(crate::tui::release_chart::ReleaseChart::new(
            facts, series, color,
        ));
    }
    let text = match request.format {
        DiffFormat::Json => report::json::releases::releases_to_string(facts, series, set)?,
        DiffFormat::Text => report::releases::text(facts, series, set),
        DiffFormat::Markdown => report::releases::markdown(facts, series, set),
    };
    super::print(&text)
}
