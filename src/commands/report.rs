//! `imgscope report IMAGE`: a one-file report to attach to a review (Markdown, or HTML), with the
//! image's size over time when `--trend` asks for it.

use anyhow::Result;

use crate::cli::ReportFormat;
use crate::report;
use crate::settings::ReportRequest;

pub fn run(request: &ReportRequest) -> Result<u8> {
    let loaded = super::load_named(&request.image, &request.load)?;
    let series = match &request.trend {
        Some(trend) => Some(super::history::trend_of(
            &loaded.image,
            trend.from.as_deref(),
            trend.name.as_deref(),
        )?),
        None => None,
    };
    let text = match request.format {
        ReportFormat::Markdown => {
            let mut out = report::markdown::image_report(&loaded.image, &loaded.analysis);
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
            report::html::report(&loaded.image, &loaded.analysis, section.as_deref())
        }
    };
    super::print(&text)
}
