//! A name's series as `imgscope history` shows it: each point with its change from the previous
//! one and the layer that moved most (the points of [`super::points`]), as a text table or a
//! versioned JSON document. Pure: the records come in, text goes out.

use std::fmt::Write;

use serde::Serialize;

use super::Record;
use super::points::{Delta, points};
use crate::text::{escape_control, human_size};

/// Version of the `history --json` document; bump on any breaking change.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// The text table: one line per point, oldest first.
pub fn text(name: &str, database: &str, records: &[Record]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "History     {} ({} record{} in {})",
        escape_control(name),
        records.len(),
        if records.len() == 1 { "" } else { "s" },
        escape_control(database)
    );
    let header = [
        "WHEN",
        "COMMIT",
        "BRANCH",
        "SIZE",
        "COMPRESSED",
        "RECLAIMABLE",
        "CHANGE",
    ];
    let mut rows: Vec<[String; 7]> = Vec::new();
    for p in points(records) {
        rows.push([
            p.when.clone(),
            escape_control(&p.short_commit()).into_owned(),
            escape_control(p.branch.as_deref().unwrap_or("-")).into_owned(),
            human_size(p.size),
            human_size(p.compressed),
            human_size(p.reclaimable),
            p.change(|c| escape_control(&crate::text::short(c, 60)).into_owned()),
        ]);
    }
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else if (3..=5).contains(&i) {
                // Sizes right-aligned.
                let _ = write!(s, "{cell:>w$}  ");
            } else {
                let _ = write!(s, "{cell:<w$}  ");
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(header));
    for row in &rows {
        let cells = [
            row[0].as_str(),
            row[1].as_str(),
            row[2].as_str(),
            row[3].as_str(),
            row[4].as_str(),
            row[5].as_str(),
            row[6].as_str(),
        ];
        let _ = writeln!(out, "{}", line(cells));
    }
    out
}

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: crate::report::json::Tool,
    name: &'a str,
    database: &'a str,
    record_count: usize,
    records: Vec<PointReport<'a>>,
}

#[derive(Serialize)]
struct PointReport<'a> {
    id: i64,
    recorded_at: String,
    recorded_at_unix: i64,
    input: &'a str,
    image_name: Option<&'a str>,
    tag: Option<&'a str>,
    manifest_digest: Option<&'a str>,
    config_digest: Option<&'a str>,
    created: Option<&'a str>,
    platform: &'a str,
    git_commit: Option<&'a str>,
    git_branch: Option<&'a str>,
    tool_version: &'a str,
    size_bytes: u64,
    compressed_size_bytes: u64,
    file_count: u64,
    layer_count: usize,
    reclaimable_bytes: u64,
    efficiency: f64,
    plan_totals: PlanTotalsReport,
    layers: Vec<LayerReport<'a>>,
    largest_directories: Vec<DirReport<'a>>,
    /// The change from the previous record (null for the first).
    delta: Option<Delta>,
}

#[derive(Serialize)]
struct PlanTotalsReport {
    node_cost_bytes: u64,
    pull_cost_bytes: u64,
    node_saving_bytes: u64,
    pull_saving_bytes: u64,
    share_of_node_cost: f64,
    actions: u64,
    worth_it_actions: u64,
}

#[derive(Serialize)]
struct LayerReport<'a> {
    index: usize,
    diff_id: Option<&'a str>,
    digest: Option<&'a str>,
    size_bytes: u64,
    compressed_size_bytes: u64,
    created_by: &'a str,
    reclaimable_bytes: u64,
}

#[derive(Serialize)]
struct DirReport<'a> {
    path: &'a str,
    size_bytes: u64,
}

/// The versioned JSON document of the series.
pub fn json(name: &str, database: &str, records: &[Record]) -> serde_json::Result<String> {
    let doc = Document {
        schema_version: JSON_SCHEMA_VERSION,
        tool: crate::report::json::Tool::imgscope(),
        name,
        database,
        record_count: records.len(),
        records: records
            .iter()
            .zip(points(records))
            .map(|(r, p)| PointReport {
                id: r.id,
                // RFC 3339 in JSON.
                recorded_at: p.when.replacen(' ', "T", 1),
                recorded_at_unix: r.recorded_at,
                input: &r.input,
                image_name: r.image_name.as_deref(),
                tag: r.tag.as_deref(),
                manifest_digest: r.manifest_digest.as_deref(),
                config_digest: r.config_digest.as_deref(),
                created: r.created.as_deref(),
                platform: &r.platform,
                git_commit: r.git_commit.as_deref(),
                git_branch: r.git_branch.as_deref(),
                tool_version: &r.tool_version,
                size_bytes: r.size_bytes,
                compressed_size_bytes: r.compressed_size_bytes,
                file_count: r.file_count,
                layer_count: r.layers.len(),
                reclaimable_bytes: r.reclaimable_bytes,
                efficiency: r.efficiency,
                plan_totals: PlanTotalsReport {
                    node_cost_bytes: r.plan.node_cost_bytes,
                    pull_cost_bytes: r.plan.pull_cost_bytes,
                    node_saving_bytes: r.plan.node_saving_bytes,
                    pull_saving_bytes: r.plan.pull_saving_bytes,
                    share_of_node_cost: r.plan.share_of_node_cost,
                    actions: r.plan.actions,
                    worth_it_actions: r.plan.worth_it_actions,
                },
                layers: r
                    .layers
                    .iter()
                    .map(|l| LayerReport {
                        index: l.index,
                        diff_id: l.diff_id.as_deref(),
                        digest: l.digest.as_deref(),
                        size_bytes: l.size_bytes,
                        compressed_size_bytes: l.compressed_size_bytes,
                        created_by: &l.command,
                        reclaimable_bytes: l.reclaimable_bytes,
                    })
                    .collect(),
                largest_directories: r
                    .directories
                    .iter()
                    .map(|d| DirReport {
                        path: &d.path,
                        size_bytes: d.size_bytes,
                    })
                    .collect(),
                delta: p.delta,
            })
            .collect(),
    };
    crate::report::json::to_printable_string(&doc)
}

#[cfg(test)]
mod tests {
    use super::super::points::tests::{layer, rec};
    use super::*;

    #[test]
    fn json_dates_are_rfc3339() {
        let r = Record {
            recorded_at: 1_764_754_805,
            ..Record::default()
        };
        let v: serde_json::Value = serde_json::from_str(&json("n", "db", &[r]).unwrap()).unwrap();
        assert_eq!(v["records"][0]["recorded_at"], "2025-12-03T09:40:05Z");
        assert_eq!(v["records"][0]["recorded_at_unix"], 1_764_754_805);
    }

    #[test]
    fn commands_are_escaped_in_the_table() {
        let a = rec(vec![layer(0, "a", 1, "ADD /")]);
        let b = rec(vec![layer(0, "b", 9, "RUN \x1b]52;c;x\x07 evil")]);
        let t = text("n\x1b[2J", "db", &[a, b]);
        assert!(!t.contains('\x1b'), "{t}");
        assert!(t.contains("\\x1b]52"), "{t}");
        assert!(t.contains("n\\x1b[2J"), "{t}");
    }
}
