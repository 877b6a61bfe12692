//! `imgscope releases IMAGE…`: the releases of one image in deploy order, each loaded as any
//! image is, reduced to what the series needs (its layers and the content hashes of their files)
//! so only the last release's tree stays in memory; then the series, and the last release's plan
//! with the series' `stabilize` actions, printed as text or JSON.

use std::sync::Arc;

use anyhow::Result;

use crate::analysis::releases::{self, ReleaseFacts};
use crate::pipeline::load::Progress;
use crate::report;
use crate::settings::ReleasesRequest;

pub fn run(request: &ReleasesRequest) -> Result<u8> {
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
    let text = if request.json {
        report::json::releases::releases_to_string(&facts, &series, &set)?
    } else {
        report::releases::text(&facts, &series, &set)
    };
    super::print(&text)
}
