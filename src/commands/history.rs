//! The command-line side of the history: `imgscope record`, `imgscope history`, `report
//! --trend`'s series, and the baselines `--baseline history` reads for the gates.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::gate::{BaselineFacts, Baselines, HistoryBaseline, Rule, RuleKind};
use crate::history::store::{BranchFilter, Store};
use crate::history::{Record, capture, default_db_path, points, repository_of, series};
use crate::model::Image;
use crate::pipeline::load::{self, Progress};
use crate::settings::{HistoryOutput, HistoryRequest, RecordRequest};
use crate::text::{escape_control, human_size};

/// Branches taken as the default one when records name branches and no `--baseline-branch` is
/// given.
pub const DEFAULT_BRANCHES: [&str; 2] = ["main", "master"];

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn db_path(given: Option<&Path>) -> Result<PathBuf> {
    match given {
        Some(p) => Ok(p.to_path_buf()),
        None => default_db_path(),
    }
}

/// The name an image is filed under: `given`, else its repository.
fn record_name(image: &Image, given: Option<&str>, flag: &str) -> Result<String> {
    if let Some(name) = given {
        if name.trim().is_empty() {
            bail!("{flag}: the name is empty");
        }
        return Ok(name.to_string());
    }
    match image.name.as_deref().map(repository_of) {
        Some(name) if !name.is_empty() => Ok(name),
        _ => bail!(
            "{}: the image names no repository to file it under: give {flag} NAME",
            escape_control(&image.input)
        ),
    }
}

/// `imgscope record IMAGE [--into DB] [--name NAME]`.
pub fn record(request: &RecordRequest) -> Result<u8> {
    let image = &request.image;
    let path = db_path(request.into.as_deref())?;
    // The database first: a bad one is reported before a long load.
    let mut store = Store::open_for_writing(&path)?;
    let progress = std::sync::Arc::new(Progress::default());
    let bar = request
        .progress
        .then(|| crate::progress_bar::Bar::start(image.clone(), progress.clone()));
    let loaded = super::load_with_progress(image, &request.load, &progress)?;
    drop(bar);
    let set = load::set_analysis(
        std::slice::from_ref(&loaded),
        crate::analysis::plan::Worth::default(),
    );
    let name = record_name(&loaded.image, request.name.as_deref(), "--name")?;
    let record = capture::record(&loaded, &set, &name, capture::git_info(), now());
    let id = store.insert(&record)?;
    let mut line = format!(
        "recorded {name} #{id} into {}: {}, {} compressed, {} layers, {} reclaimable",
        path.display(),
        human_size(record.size_bytes),
        human_size(record.compressed_size_bytes),
        record.layers.len(),
        human_size(record.reclaimable_bytes),
    );
    line.push_str(&git_suffix(&record));
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", escape_control(&line))?;
    stdout.flush()?;
    Ok(0)
}

/// `imgscope history NAME [--from DB] [--json|--text]`: the size chart in a terminal, else the
/// table (or JSON).
pub fn show(request: &HistoryRequest) -> Result<u8> {
    let name = &request.name;
    let (path, records) = read_series(name, request.from.as_deref())?;
    let database = path.display().to_string();
    let text = match request.output {
        HistoryOutput::Chart { color } => {
            return crate::tui::run_history(crate::tui::history_chart::HistoryChart::new(
                name, &database, &records, color,
            ));
        }
        HistoryOutput::Json => series::json(name, &database, &records)?,
        HistoryOutput::Table => series::text(name, &database, &records),
    };
    super::print(&text)
}

/// A name's recorded series (oldest first) and the database it came from; an error naming the
/// names that are recorded when this one is not.
pub fn read_series(name: &str, from: Option<&Path>) -> Result<(PathBuf, Vec<Record>)> {
    let path = db_path(from)?;
    let store = Store::open_for_reading(&path)?;
    let records = store.series(name)?;
    if records.is_empty() {
        let names = store.names()?;
        let known = if names.is_empty() {
            "nothing is recorded in it".to_string()
        } else {
            let list: Vec<String> = names
                .iter()
                .take(10)
                .map(|(n, c)| format!("{n} ({c})"))
                .collect();
            format!(
                "recorded names: {}{}",
                list.join(", "),
                if names.len() > 10 { ", …" } else { "" }
            )
        };
        bail!(
            "history database {}: no record named {name:?} ({known})",
            path.display()
        );
    }
    Ok((path, records))
}

/// `report --trend`: the series `image` is filed under (`name`, else its repository).
pub fn trend_of(
    image: &Image,
    from: Option<&Path>,
    name: Option<&str>,
) -> Result<(String, String, Vec<Record>)> {
    let name = record_name(image, name, "--name")?;
    let (path, records) = read_series(&name, from)?;
    Ok((name, path.display().to_string(), records))
}

/// How a record is named as a baseline: `app #3 (2026-12-03 09:40:05Z, commit 0123abcd on main)`.
pub fn describe(r: &Record) -> String {
    format!(
        "{} #{} ({}{})",
        r.name,
        r.id,
        points::utc(r.recorded_at),
        git_suffix(r)
    )
}

/// `, commit 0123abcd4567 on main`: what a record says of its git state (the commit cut to 12
/// characters), or nothing.
fn git_suffix(r: &Record) -> String {
    let mut s = String::new();
    if let Some(c) = &r.git_commit {
        s.push_str(&format!(
            ", commit {}",
            c.chars().take(12).collect::<String>()
        ));
    }
    if let Some(b) = &r.git_branch {
        s.push_str(&format!(" on {b}"));
    }
    s
}

/// `--baseline history`: the last record of the image's name (on the default branch when the
/// records name branches), and for `max-growth-since DAYS` the oldest record of the last DAYS
/// days on the same branches.
pub fn gate_baselines(h: &HistoryBaseline, rules: &[Rule], image: &Image) -> Result<Baselines> {
    let path = db_path(h.db.as_deref())?;
    let store = Store::open_for_reading(&path)?;
    let name = record_name(image, h.name.as_deref(), "--history-name")?;
    let (filter, on) = match &h.branch {
        Some(b) => (BranchFilter::OneOf(vec![b.clone()]), format!(" on {b}")),
        None if store.has_branches(&name)? => (
            BranchFilter::OneOf(DEFAULT_BRANCHES.iter().map(|b| b.to_string()).collect()),
            format!(" on {}", DEFAULT_BRANCHES.join(" or ")),
        ),
        None => (BranchFilter::Any, String::new()),
    };
    let facts = |r: Record| BaselineFacts {
        input: format!("history:{}", path.display()),
        name: Some(describe(&r)),
        size: r.size_bytes,
        compressed_size: r.compressed_size_bytes,
        layer_ids: Some(
            r.layers
                .iter()
                .map(|l| l.diff_id.clone().or_else(|| l.digest.clone()))
                .collect(),
        ),
    };
    let where_ = format!("in {}", path.display());
    let mut baselines = Baselines::default();
    match store.last(&name, &filter)? {
        Some(r) => baselines.last = Some(facts(r)),
        None => {
            baselines.last_missing = Some(format!("no record of {name}{on} {where_}"));
        }
    }
    let window = rules.iter().find_map(|r| match r.kind {
        RuleKind::MaxGrowthSince(days) => Some(days),
        _ => None,
    });
    if let Some(days) = window {
        let since = now().saturating_sub(i64::from(days) * 86_400);
        match store.oldest_since(&name, &filter, since)? {
            Some(r) => baselines.since = Some(facts(r)),
            None => {
                baselines.since_missing = Some(format!(
                    "no record of {name}{on} in the last {days} days {where_}"
                ));
            }
        }
    }
    Ok(baselines)
}
