//! `imgscope report IMAGE…`: a one-file report to attach to a review (Markdown, or HTML) that
//! leads with the trim plan of the images analysed as one set, with one image's size over time
//! when `--trend` asks for it.

use anyhow::Result;

use crate::cli::ReportFormat;
use crate::pipeline::load::{self, Loaded};
use crate::report;
use crate::settings::ReportRequest;

pub fn run(request: &ReportRequest) -> Result<u8> {
    let loaded: Vec<Loaded> = request
        .images
        .iter()
        .map(|input| super::load_named(input, &request.load))
        .collect::<Result<_>>()?;
    let set = load::set_analysis(&loaded, request.worth);
    let images = super::analyzed(&loaded);
    let series = match (&request.trend, loaded.first()) {
        (Some(trend), Some(first)) => Some(super::history::trend_of(
            &first.image,
            trend.from.as_deref(),
            trend.name.as_deref(),
        )?),
        _ => None,
    };
    let text = match request.format {
        ReportFormat::Markdown => {
            let mut out = report::markdown::report(&images, &set);
            if let Some((name, db, records)) = &series {
                out.push('\n');
                out.push_str(&crate::history::trend::markdown(name, db, records));
            }
            out
        }
        ReportFormat::Html => {
            let section = series
                .as_ref()
                .map(|(name, db, records)| crate::history::trend::html(name, db, records));
            report::html::report(&images, &set, section.as_deref())
        }
    };
    super::print(&text)
}
