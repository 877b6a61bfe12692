//! A name's series as `imgscope history` shows it: each point with its change from the previous
//! one and the layer that moved most (by command: the layer that appeared, or the one whose size
//! grew most under the same command), as a text table or a versioned JSON document. Pure: the
//! records come in, text goes out.

use std::collections::HashSet;
use std::fmt::Write;

use serde::Serialize;

use super::Record;
use crate::text::{escape_control, human_size};

/// Version of the `history --json` document; bump on any breaking change.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// How a layer moved between two points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerMove {
    /// No layer with its command was in the previous point.
    Appeared,
    /// A layer with the same command was there, smaller.
    Grew,
}

/// The layer that moved most from one point to the next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MovedLayer {
    pub index: usize,
    pub command: String,
    pub change: LayerMove,
    pub delta_bytes: i64,
}

/// One point's change from the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delta {
    pub size_bytes: i64,
    pub compressed_size_bytes: i64,
    pub reclaimable_bytes: i64,
    /// The layer that appeared or grew the most (null when none did).
    pub layer: Option<MovedLayer>,
}

fn signed(new: u64, old: u64) -> i64 {
    let d = i128::from(new) - i128::from(old);
    d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// What changed from `old` to `new`. Layers are matched by diff_id first (the same layer did not
/// move); a new layer is then paired with an unmatched old one of the same command (it grew or
/// shrank), else it appeared.
pub fn delta(old: &Record, new: &Record) -> Delta {
    let old_ids: HashSet<&str> = old
        .layers
        .iter()
        .filter_map(|l| l.diff_id.as_deref())
        .collect();
    let new_ids: HashSet<&str> = new
        .layers
        .iter()
        .filter_map(|l| l.diff_id.as_deref())
        .collect();
    // Old layers that are not in the new image, still to pair by command.
    let mut unmatched: Vec<&super::LayerRow> = old
        .layers
        .iter()
        .filter(|l| l.diff_id.as_deref().is_none_or(|d| !new_ids.contains(d)))
        .collect();
    let mut best: Option<MovedLayer> = None;
    for l in &new.layers {
        if l.diff_id.as_deref().is_some_and(|d| old_ids.contains(d)) {
            continue;
        }
        let paired = unmatched.iter().position(|o| o.command == l.command);
        let moved = match paired {
            Some(i) => {
                let o = unmatched.remove(i);
                MovedLayer {
                    index: l.index,
                    command: l.command.clone(),
                    change: LayerMove::Grew,
                    delta_bytes: signed(l.size_bytes, o.size_bytes),
                }
            }
            None => MovedLayer {
                index: l.index,
                command: l.command.clone(),
                change: LayerMove::Appeared,
                delta_bytes: signed(l.size_bytes, 0),
            },
        };
        if moved.delta_bytes > 0
            && best
                .as_ref()
                .is_none_or(|b| moved.delta_bytes > b.delta_bytes)
        {
            best = Some(moved);
        }
    }
    Delta {
        size_bytes: signed(new.size_bytes, old.size_bytes),
        compressed_size_bytes: signed(new.compressed_size_bytes, old.compressed_size_bytes),
        reclaimable_bytes: signed(new.reclaimable_bytes, old.reclaimable_bytes),
        layer: best,
    }
}

/// `2026-12-03 09:40:05Z` for seconds since the epoch (UTC).
pub fn utc(seconds: i64) -> String {
    format!("{}Z", crate::text::time::utc(seconds))
}

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
    for p in super::trend::points(records) {
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
            .enumerate()
            .map(|(i, r)| PointReport {
                id: r.id,
                // RFC 3339 in JSON.
                recorded_at: utc(r.recorded_at).replacen(' ', "T", 1),
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
                delta: i.checked_sub(1).map(|p| delta(&records[p], r)),
            })
            .collect(),
    };
    crate::report::json::to_printable_string(&doc)
}

#[cfg(test)]
mod tests {
    use super::super::LayerRow;
    use super::*;

    fn layer(index: usize, id: &str, size: u64, command: &str) -> LayerRow {
        LayerRow {
            index,
            diff_id: Some(id.into()),
            size_bytes: size,
            command: command.into(),
            ..LayerRow::default()
        }
    }

    fn rec(layers: Vec<LayerRow>) -> Record {
        Record {
            size_bytes: layers.iter().map(|l| l.size_bytes).sum(),
            layers,
            ..Record::default()
        }
    }

    #[test]
    fn the_layer_that_moved_most() {
        let a = rec(vec![
            layer(0, "a", 100, "ADD /"),
            layer(1, "b", 50, "RUN x"),
        ]);
        // Same base; RUN x grew by 30; a new layer of 20.
        let b = rec(vec![
            layer(0, "a", 100, "ADD /"),
            layer(1, "c", 80, "RUN x"),
            layer(2, "d", 20, "COPY y"),
        ]);
        let d = delta(&a, &b);
        assert_eq!(d.size_bytes, 50);
        let l = d.layer.unwrap();
        assert_eq!((l.index, l.change, l.delta_bytes), (1, LayerMove::Grew, 30));
        // A new layer bigger than any growth wins.
        let c = rec(vec![
            layer(0, "a", 100, "ADD /"),
            layer(1, "c", 80, "RUN x"),
            layer(2, "e", 500, "COPY z"),
        ]);
        let l = delta(&b, &c).layer.unwrap();
        assert_eq!(
            (l.index, l.change, l.delta_bytes),
            (2, LayerMove::Appeared, 500)
        );
        // Nothing grew: no layer named.
        assert_eq!(delta(&c, &a).layer, None);
        assert_eq!(delta(&a, &a).size_bytes, 0);
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00Z");
        assert_eq!(utc(1_764_754_805), "2025-12-03 09:40:05Z");
        assert_eq!(utc(-1), "1969-12-31 23:59:59Z");
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
