//! The points of a recorded series, oldest first: each record as the outputs show it, with its
//! change from the one before and the layer that moved most (by command: the layer that
//! appeared, or the one whose size grew most under the same command). One model of that fact,
//! read by the text table and the JSON document ([`super::series`]), the Markdown and SVG/HTML
//! trend ([`super::trend`]) and the viewer's chart. Pure: records in, points out.

use std::collections::HashSet;
use std::fmt::Write;

use serde::Serialize;

use super::Record;

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

/// One point's change from the previous one (`history --json` writes it as each record's `delta`).
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

/// One recorded image, as the series and the trend show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub id: i64,
    /// When it was recorded, as [`utc`] writes it.
    pub when: String,
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub size: u64,
    pub compressed: u64,
    pub reclaimable: u64,
    /// Compressed bytes a node running the previous record pulls to run this one: the layers
    /// whose identity (diff_id, else digest) the previous record lacks (`None` for the first).
    pub pulled: Option<u64>,
    /// The change from the previous point (`None` for the first).
    pub delta: Option<Delta>,
}

/// What a node holding `old`'s layers pulls to run `new`, compressed, as `imgscope releases` counts
/// it.
fn pulled(old: &Record, new: &Record) -> u64 {
    let ids = |r: &Record| -> Vec<Option<String>> {
        r.layers
            .iter()
            .map(|l| l.diff_id.clone().or_else(|| l.digest.clone()))
            .collect()
    };
    crate::analysis::releases::pulled_layers(&ids(old), &ids(new))
        .into_iter()
        .filter_map(|i| new.layers.get(i))
        .map(|l| l.compressed_size_bytes)
        .sum()
}

/// The points of `records` (oldest first), each with its change from the one before.
pub fn points(records: &[Record]) -> Vec<Point> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| Point {
            id: r.id,
            when: utc(r.recorded_at),
            commit: r.git_commit.clone(),
            branch: r.git_branch.clone(),
            size: r.size_bytes,
            compressed: r.compressed_size_bytes,
            reclaimable: r.reclaimable_bytes,
            pulled: i.checked_sub(1).map(|p| pulled(&records[p], r)),
            delta: i.checked_sub(1).map(|p| delta(&records[p], r)),
        })
        .collect()
}

impl Point {
    /// The layer that appeared or grew most since the previous point, if one did.
    pub fn moved(&self) -> Option<&MovedLayer> {
        self.delta.as_ref()?.layer.as_ref()
    }

    /// `+1.2 MiB; layer 3 new +1.2 MiB: RUN …`, the command cleaned as every report cleans it
    /// (no `/bin/sh -c #(nop)`), then passed through `command` (which escapes and cuts it for the
    /// output); `first record` for the first point.
    pub fn change(&self, command: impl Fn(&str) -> String) -> String {
        let Some(d) = &self.delta else {
            return "first record".to_string();
        };
        let mut s = crate::text::signed_size(d.size_bytes);
        if let Some(l) = &d.layer {
            let how = match l.change {
                LayerMove::Appeared => "new",
                LayerMove::Grew => "grew",
            };
            let _ = write!(
                s,
                "; layer {} {how} {}: {}",
                l.index,
                crate::text::signed_size(l.delta_bytes),
                command(&crate::text::clean_command(&l.command))
            );
        }
        s
    }

    /// The commit as tables show it: its first 12 characters.
    pub fn short_commit(&self) -> String {
        self.commit
            .as_deref()
            .map_or_else(|| "-".to_string(), |c| c.chars().take(12).collect())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::LayerRow;
    use super::*;

    pub(crate) fn layer(index: usize, id: &str, size: u64, command: &str) -> LayerRow {
        LayerRow {
            index,
            diff_id: Some(id.into()),
            size_bytes: size,
            command: command.into(),
            ..LayerRow::default()
        }
    }

    pub(crate) fn rec(layers: Vec<LayerRow>) -> Record {
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
    fn each_point_says_what_moved() {
        let a = rec(vec![
            layer(0, "a", 100, "ADD /"),
            layer(1, "b", 50, "RUN x"),
        ]);
        let b = rec(vec![
            layer(0, "a", 100, "ADD /"),
            layer(1, "c", 80, "RUN x"),
            layer(2, "d", 20, "COPY y"),
        ]);
        let p = points(&[a.clone(), b, a]);
        assert_eq!(p[0].delta, None);
        assert_eq!(p[0].change(str::to_string), "first record");
        assert_eq!(p[1].moved().map(|l| l.index), Some(1));
        assert_eq!(
            p[1].change(|c| format!("`{c}`")),
            "+50 B; layer 1 grew +30 B: `RUN x`"
        );
        // Back to the first: smaller, and no layer grew.
        assert_eq!(p[2].moved(), None);
        assert_eq!(p[2].change(str::to_string), "-50 B");
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00Z");
        assert_eq!(utc(1_764_754_805), "2025-12-03 09:40:05Z");
        assert_eq!(utc(-1), "1969-12-31 23:59:59Z");
    }
}
