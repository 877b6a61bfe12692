//! What every release costs: one image's releases in deploy order, and what a node running one
//! release pulls to run the next.
//!
//! A node pulls a base once, but every layer a new release changed on every deploy. So for each
//! release after the first: the layers the previous release lacks (by content diff_id, else the
//! claimed diff_id, else the blob digest — as [`pulled_layers`] says, the rule `diff` uses too),
//! their bytes uncompressed and compressed, and of those bytes how many are file content the
//! previous release already had anywhere in its layers (by content hash and size, paths ignored,
//! so a rename is content it had). Over the series: the totals and the mean per release, and per
//! layer position how often it changed and how much of it was new each time.
//!
//! A layer position that changes digest in most releases while almost all its content
//! ([`STABILIZE_MIN_ALREADY_HAD`]) is the previous release's is rebuilt for nothing — a source
//! `COPY` below `RUN npm ci` re-ships the dependencies, same content under a new digest, on every
//! deploy. [`Series::stabilize`] lists those positions, priced per release: the already-had
//! bytes of the layer a node re-pulls each release on average. [`stabilize_actions`] turns them
//! into plan actions (`stabilize`, risk `rebuild`). Nothing here does I/O.

use std::sync::Arc;

use hashbrown::HashSet;

use super::plan::{Action, ActionKind, Detail, Risk, Worth};
use super::sharing::Sharing;
use crate::model::{ContentHash, EntryKind, Image, Layer};

/// A position is rebuilt for nothing when at least this share of the bytes pulled for it (over the
/// releases where it changed) is content the previous release already had...
pub const STABILIZE_MIN_ALREADY_HAD: f64 = 0.9;

/// Files with new content named per layer (the largest first).
pub const CHANGED_FILES: usize = 5;

/// One regular file a layer writes (its content hash is `None` when it was not hashed).
#[derive(Debug, Clone, PartialEq)]
pub struct FileFact {
    pub hash: Option<ContentHash>,
    pub size: u64,
    pub path: Arc<str>,
}

/// One layer of a release, as the series needs it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReleaseLayer {
    pub index: usize,
    /// What tells its content apart ([`layer_id`]); `None`: no identity, always pulled.
    pub id: Option<String>,
    /// Sum of the tar-header sizes of its regular files.
    pub size: u64,
    /// Bytes of the blob as stored and pulled.
    pub compressed: u64,
    /// The history entry's `created_by`.
    pub created_by: String,
    /// Every regular file (size above zero) it writes.
    pub files: Vec<FileFact>,
}

/// One release: its name and layers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReleaseFacts {
    pub name: String,
    pub input: String,
    pub layers: Vec<ReleaseLayer>,
}

/// A layer's identity for pulls: the diff_id of its content as read, else as the config claims
/// it, else its blob digest.
pub fn layer_id(l: &Layer) -> Option<String> {
    l.content_diff_id
        .clone()
        .or_else(|| l.diff_id.clone())
        .or_else(|| l.digest.clone())
}

/// The positions in `new` of the layers a node holding `old` pulls: those whose identity no layer
/// of `old` has (a layer with no identity is always pulled; the same content twice in `new` is
/// pulled once).
pub fn pulled_layers<A: AsRef<str>, B: AsRef<str>>(
    old: &[Option<A>],
    new: &[Option<B>],
) -> Vec<usize> {
    let have: HashSet<&str> = old.iter().flatten().map(AsRef::as_ref).collect();
    let mut seen: HashSet<&str> = HashSet::new();
    new.iter()
        .enumerate()
        .filter(|(_, id)| match id {
            Some(k) => !have.contains(k.as_ref()) && seen.insert(k.as_ref()),
            None => true,
        })
        .map(|(i, _)| i)
        .collect()
}

impl ReleaseFacts {
    /// What the series needs of a loaded image: its layers and every regular file each writes
    /// (also those later layers hide or remove: a node stores them all).
    pub fn of(image: &Image) -> ReleaseFacts {
        let mut layers: Vec<ReleaseLayer> = image
            .layers
            .iter()
            .map(|l| ReleaseLayer {
                index: l.index,
                id: layer_id(l),
                size: l.size,
                compressed: l.compressed_size,
                created_by: l.command().to_string(),
                files: Vec::new(),
            })
            .collect();
        let tree = &image.tree;
        tree.walk_paths(|node, path| {
            let mut shared: Option<Arc<str>> = None;
            for (_, v) in tree.version_chain(node) {
                if v.kind != EntryKind::File || !v.is_live() || v.size == 0 {
                    continue;
                }
                let Some(layer) = layers.get_mut(v.layer as usize) else {
                    continue;
                };
                let path = shared.get_or_insert_with(|| Arc::from(path)).clone();
                layer.files.push(FileFact {
                    hash: tree.hash(v),
                    size: v.size,
                    path,
                });
            }
        });
        ReleaseFacts {
            name: image.display_name().to_string(),
            input: image.input.clone(),
            layers,
        }
    }

    fn ids(&self) -> Vec<Option<&str>> {
        self.layers.iter().map(|l| l.id.as_deref()).collect()
    }

    /// Every (content, size) its layers hold.
    fn contents(&self) -> HashSet<(ContentHash, u64)> {
        self.layers
            .iter()
            .flat_map(|l| l.files.iter())
            .filter_map(|f| f.hash.map(|h| (h, f.size)))
            .collect()
    }
}

/// A layer a release pulls.
#[derive(Debug, Clone, PartialEq)]
pub struct PulledLayer {
    /// Its position in the release.
    pub index: usize,
    pub id: Option<String>,
    pub size: u64,
    pub compressed: u64,
    /// Of `size`, the bytes of files whose content the previous release already had.
    pub already_had: u64,
    pub created_by: String,
    /// Files whose content the previous release lacked: how many, and the largest.
    pub new_file_count: u64,
    pub new_files: Vec<(Arc<str>, u64)>,
}

/// What a node running the previous release pulls to run release `release`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Index of the release in the series (1 or more).
    pub release: usize,
    pub layers: Vec<PulledLayer>,
    pub totals: Totals,
}

/// Pulled bytes: uncompressed, compressed, and what of the uncompressed the node already had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub pull_bytes: u64,
    pub pull_compressed_bytes: u64,
    pub already_had_bytes: u64,
}

impl Totals {
    fn add(&mut self, o: &Totals) {
        self.pull_bytes = self.pull_bytes.saturating_add(o.pull_bytes);
        self.pull_compressed_bytes = self
            .pull_compressed_bytes
            .saturating_add(o.pull_compressed_bytes);
        self.already_had_bytes = self.already_had_bytes.saturating_add(o.already_had_bytes);
    }

    /// Each figure divided by `n`, rounded down.
    fn mean(&self, n: u64) -> Totals {
        let n = n.max(1);
        Totals {
            pull_bytes: self.pull_bytes / n,
            pull_compressed_bytes: self.pull_compressed_bytes / n,
            already_had_bytes: self.already_had_bytes / n,
        }
    }
}

/// One time a layer position changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub release: usize,
    pub pull_bytes: u64,
    pub pull_compressed_bytes: u64,
    pub already_had_bytes: u64,
}

impl Change {
    /// The bytes that were really new.
    pub fn new_bytes(&self) -> u64 {
        self.pull_bytes.saturating_sub(self.already_had_bytes)
    }
}

/// A layer position over the series.
#[derive(Debug, Clone, PartialEq)]
pub struct Churn {
    pub position: usize,
    /// The command of the last release's layer at this position (else the last that had one).
    pub created_by: String,
    /// Releases after the first that have a layer at this position.
    pub present: usize,
    /// Every time it was pulled, in release order.
    pub changes: Vec<Change>,
}

impl Churn {
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for c in &self.changes {
            t.add(&Totals {
                pull_bytes: c.pull_bytes,
                pull_compressed_bytes: c.pull_compressed_bytes,
                already_had_bytes: c.already_had_bytes,
            });
        }
        t
    }

    /// Of the bytes pulled for it, the share the node already had (0 when nothing was pulled).
    pub fn already_had_share(&self) -> f64 {
        let t = self.totals();
        if t.pull_bytes == 0 {
            0.0
        } else {
            t.already_had_bytes as f64 / t.pull_bytes as f64
        }
    }
}

/// A layer rebuilt for nothing, priced per release.
#[derive(Debug, Clone, PartialEq)]
pub struct Stabilize {
    pub position: usize,
    pub created_by: String,
    /// Releases (after the first) in which it changed, out of `releases`.
    pub changed: usize,
    pub releases: usize,
    pub already_had_share: f64,
    /// Σ already-had bytes of its changes / `releases` (rounded down): what a node would stop
    /// re-pulling per release, uncompressed...
    pub per_release_saving: u64,
    /// ...and compressed (each change's already-had bytes at that layer's compression ratio).
    pub per_release_pull_saving: u64,
    /// The last release in which it changed, and what was new then: in the layer itself, and in
    /// the layers below it that changed in the same release (what likely forced the rebuild), as
    /// (position, command, largest new files).
    pub last_change: usize,
    pub changed_files: Vec<(Arc<str>, u64)>,
    pub below: Vec<(usize, String, Vec<(Arc<str>, u64)>)>,
}

/// The series' figures.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// One step per release after the first, in order.
    pub steps: Vec<Step>,
    pub total: Totals,
    /// `total` over the releases after the first, rounded down.
    pub mean: Totals,
    /// Every layer position any release has, in order.
    pub churn: Vec<Churn>,
    /// Positions rebuilt for nothing, the largest saving first.
    pub stabilize: Vec<Stabilize>,
    /// Some file was not hashed: its bytes count as new.
    pub unhashed: bool,
}

fn top_files(mut files: Vec<(Arc<str>, u64)>) -> Vec<(Arc<str>, u64)> {
    files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    files.truncate(CHANGED_FILES);
    files
}

/// What a node running `prev` pulls to run `cur`.
fn step(release: usize, prev: &ReleaseFacts, cur: &ReleaseFacts, unhashed: &mut bool) -> Step {
    let had = prev.contents();
    let mut layers = Vec::new();
    let mut totals = Totals::default();
    for i in pulled_layers(&prev.ids(), &cur.ids()) {
        let l = &cur.layers[i];
        let mut already_had = 0u64;
        let mut new_files = Vec::new();
        for f in &l.files {
            match f.hash {
                Some(h) if had.contains(&(h, f.size)) => already_had += f.size,
                hash => {
                    *unhashed |= hash.is_none();
                    new_files.push((f.path.clone(), f.size));
                }
            }
        }
        let p = PulledLayer {
            index: l.index,
            id: l.id.clone(),
            size: l.size,
            compressed: l.compressed,
            // A layer whose files were counted differently from its size never has more.
            already_had: already_had.min(l.size),
            created_by: l.created_by.clone(),
            new_file_count: new_files.len() as u64,
            new_files: top_files(new_files),
        };
        totals.add(&Totals {
            pull_bytes: p.size,
            pull_compressed_bytes: p.compressed,
            already_had_bytes: p.already_had,
        });
        layers.push(p);
    }
    Step {
        release,
        layers,
        totals,
    }
}

/// The series of `releases`, in deploy order.
pub fn series(releases: &[ReleaseFacts]) -> Series {
    let mut out = Series::default();
    for (k, pair) in releases.windows(2).enumerate() {
        let s = step(k + 1, &pair[0], &pair[1], &mut out.unhashed);
        out.total.add(&s.totals);
        out.steps.push(s);
    }
    let n = out.steps.len();
    out.mean = out.total.mean(n as u64);
    let positions = releases.iter().map(|r| r.layers.len()).max().unwrap_or(0);
    for position in 0..positions {
        let created_by = releases
            .iter()
            .rev()
            .find_map(|r| r.layers.get(position).map(|l| l.created_by.clone()))
            .unwrap_or_default();
        let present = releases[1.min(releases.len())..]
            .iter()
            .filter(|r| r.layers.len() > position)
            .count();
        let changes = out
            .steps
            .iter()
            .filter_map(|s| {
                s.layers
                    .iter()
                    .find(|l| l.index == position)
                    .map(|l| Change {
                        release: s.release,
                        pull_bytes: l.size,
                        pull_compressed_bytes: l.compressed,
                        already_had_bytes: l.already_had,
                    })
            })
            .collect();
        out.churn.push(Churn {
            position,
            created_by,
            present,
            changes,
        });
    }
    out.stabilize = out
        .churn
        .iter()
        .filter_map(|c| stabilize(c, &out.steps, n))
        .collect();
    out.stabilize.sort_by(|a, b| {
        b.per_release_saving
            .cmp(&a.per_release_saving)
            .then(a.position.cmp(&b.position))
    });
    out
}

/// `churn`'s position when it changed in most of the `releases` releases and nearly all of it was
/// content the node had.
fn stabilize(churn: &Churn, steps: &[Step], releases: usize) -> Option<Stabilize> {
    let changed = churn.changes.len();
    let t = churn.totals();
    if releases == 0 || changed * 2 <= releases || t.already_had_bytes == 0 {
        return None;
    }
    let share = churn.already_had_share();
    if share < STABILIZE_MIN_ALREADY_HAD {
        return None;
    }
    let pull_saving: f64 = churn
        .changes
        .iter()
        .map(|c| {
            if c.pull_bytes == 0 {
                0.0
            } else {
                c.already_had_bytes as f64 * c.pull_compressed_bytes as f64 / c.pull_bytes as f64
            }
        })
        .sum();
    let last = churn.changes.last()?;
    let s = steps.iter().find(|s| s.release == last.release)?;
    let own = s.layers.iter().find(|l| l.index == churn.position)?;
    let below = s
        .layers
        .iter()
        .filter(|l| l.index < churn.position && l.new_file_count > 0)
        .map(|l| (l.index, l.created_by.clone(), l.new_files.clone()))
        .collect();
    Some(Stabilize {
        position: churn.position,
        created_by: churn.created_by.clone(),
        changed,
        releases,
        already_had_share: share,
        per_release_saving: t.already_had_bytes / releases as u64,
        per_release_pull_saving: (pull_saving / releases as f64).round() as u64,
        last_change: last.release,
        changed_files: own.new_files.clone(),
        below,
    })
}

fn files_words(files: &[(Arc<str>, u64)]) -> String {
    files
        .iter()
        .map(|(p, b)| format!("{p} ({})", crate::text::human_size(*b)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a stabilize action finds, in one sentence (`name`: the release it is about).
pub fn stabilize_what(s: &Stabilize, names: &[String]) -> String {
    use crate::text::{clean_command, human_size as hs, rough_percent};
    let at = names
        .get(s.last_change)
        .map(String::as_str)
        .unwrap_or("the last change");
    let mut out = format!(
        "layer {} ({}) changed digest in {} of {} releases, yet {} of what nodes pulled for it was \
         content the previous release already had: a node re-pulls {} per release ({} compressed) \
         for nothing; keep it reused (put what changes every release — COPY of the source — after \
         it, or pin its inputs)",
        s.position,
        clean_command(&s.created_by),
        s.changed,
        s.releases,
        rough_percent(s.already_had_share),
        hs(s.per_release_saving),
        hs(s.per_release_pull_saving),
    );
    out.push_str(&format!("; what changed in {at}: "));
    if s.changed_files.is_empty() {
        out.push_str("no file content in it (same files under a new digest)");
    } else {
        out.push_str(&format!("in it {}", files_words(&s.changed_files)));
    }
    for (position, cmd, files) in &s.below {
        out.push_str(&format!(
            "; below it, layer {position} ({}): {}",
            clean_command(cmd),
            files_words(files)
        ));
    }
    out
}

/// The plan actions of `series`' stabilize positions, for a plan of the last release alone
/// (`image` its index in `sharing`, `node_cost` that plan's node cost). `names`: the releases'
/// names, by index in the series.
pub fn stabilize_actions(
    series: &Series,
    last: &ReleaseFacts,
    sharing: &Sharing,
    image: usize,
    node_cost: u64,
    worth: Worth,
    names: &[String],
) -> Vec<Action> {
    let share = |b: u64| {
        if node_cost == 0 {
            0.0
        } else {
            b as f64 / node_cost as f64
        }
    };
    series
        .stabilize
        .iter()
        .filter_map(|s| {
            let d = *sharing.image_layers.get(image)?.get(s.position)?;
            let what = stabilize_what(s, names);
            let sh = share(s.per_release_saving);
            let judgement = match worth.shortfall(s.per_release_saving, sh) {
                None => format!(
                    "worth it: {} of the node cost every release ({})",
                    crate::text::rough_percent(sh),
                    worth.describe()
                ),
                Some(miss) => format!(
                    "not worth it: {} of the node cost every release, {miss}",
                    crate::text::rough_percent(sh)
                ),
            };
            let mut paths: Vec<(String, u64)> = last
                .layers
                .get(s.position)
                .map(|l| {
                    l.files
                        .iter()
                        .map(|f| (f.path.to_string(), f.size))
                        .collect()
                })
                .unwrap_or_default();
            paths.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            paths.truncate(super::plan::TOP_PATHS);
            Some(Action {
                kind: ActionKind::Stabilize,
                risk: Risk::Rebuild,
                images: vec![image],
                owner: super::plan::layer_owner(sharing, d),
                layers: vec![d],
                focus: (image, s.position),
                node_saving: s.per_release_saving,
                pull_saving: s.per_release_pull_saving,
                share_of_node_cost: sh,
                worth_it: worth.shortfall(s.per_release_saving, sh).is_none(),
                why: format!("{what}; {judgement}"),
                what,
                paths,
                detail: Detail::Stabilize {
                    per_release_saving: s.per_release_saving,
                    per_release_pull_saving: s.per_release_pull_saving,
                    changed: s.changed,
                    releases: s.releases,
                    already_had_share: s.already_had_share,
                    command: s.created_by.clone(),
                    changed_files: s
                        .changed_files
                        .iter()
                        .map(|(p, b)| (p.to_string(), *b))
                        .collect(),
                },
                // It removes no file from what a node stores: the plan's totals leave it out.
                claims: Vec::new(),
                overlap_bytes: 0,
                overlaps: Vec::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(n: u8) -> ContentHash {
        [n; 16]
    }

    fn file(n: u8, size: u64, path: &str) -> FileFact {
        FileFact {
            hash: Some(h(n)),
            size,
            path: Arc::from(path),
        }
    }

    fn layer(
        index: usize,
        id: &str,
        compressed: u64,
        cmd: &str,
        files: Vec<FileFact>,
    ) -> ReleaseLayer {
        ReleaseLayer {
            index,
            id: Some(id.to_string()),
            size: files.iter().map(|f| f.size).sum(),
            compressed,
            created_by: cmd.to_string(),
            files,
        }
    }

    fn release(name: &str, layers: Vec<ReleaseLayer>) -> ReleaseFacts {
        ReleaseFacts {
            name: name.into(),
            input: name.into(),
            layers,
        }
    }

    /// base, then the source copied (one file changes each release), then the dependencies
    /// installed again on every release: same 1000 bytes, new digest.
    fn bad(n: usize) -> Vec<ReleaseFacts> {
        (0..n)
            .map(|k| {
                let k8 = k as u8;
                release(
                    &format!("app:{k}"),
                    vec![
                        layer(0, "base", 500, "debootstrap", vec![file(1, 800, "/bin/sh")]),
                        layer(
                            1,
                            &format!("src{k}"),
                            40,
                            "COPY src /app/src",
                            vec![
                                file(2, 50, "/app/src/a.py"),
                                file(100 + k8, 10 + k as u64, "/app/src/main.py"),
                            ],
                        ),
                        layer(
                            2,
                            &format!("deps{k}"),
                            600,
                            "RUN npm ci",
                            vec![
                                file(3, 700, "/app/deps/x.js"),
                                file(4, 300, "/app/deps/y.js"),
                            ],
                        ),
                    ],
                )
            })
            .collect()
    }

    #[test]
    fn pulled_layers_by_identity() {
        assert_eq!(
            pulled_layers(
                &[Some("a"), Some("b")],
                &[Some("a"), Some("c"), Some("c"), None]
            ),
            vec![1, 3]
        );
        assert!(pulled_layers(&[Some("a")], &[Some("a")]).is_empty());
    }

    #[test]
    fn each_release_pulls_what_changed_and_counts_what_it_had() {
        let s = series(&bad(4));
        assert_eq!(s.steps.len(), 3);
        // Release 1: layers 1 and 2; 50 (a.py) + 1000 (deps) already had, main.py (11 B) new.
        let one = &s.steps[0];
        assert_eq!(one.release, 1);
        assert_eq!(
            one.layers.iter().map(|l| l.index).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(
            one.totals,
            Totals {
                pull_bytes: 61 + 1000,
                pull_compressed_bytes: 640,
                already_had_bytes: 1050,
            }
        );
        assert_eq!(
            one.layers[0].new_files,
            vec![(Arc::from("/app/src/main.py"), 11)]
        );
        assert_eq!(s.total.pull_bytes, 1061 + 1062 + 1063);
        assert_eq!(s.total.already_had_bytes, 3 * 1050);
        assert_eq!(s.mean.pull_bytes, (1061 + 1062 + 1063) / 3);
        assert_eq!(s.mean.pull_compressed_bytes, 640);
        // Churn: the base never changed, the others every time.
        assert!(s.churn[0].changes.is_empty());
        assert_eq!(s.churn[1].changes.len(), 3);
        assert_eq!(s.churn[2].changes.len(), 3);
        assert_eq!(s.churn[2].changes[0].new_bytes(), 0);
        assert_eq!(s.churn[1].changes[2].new_bytes(), 13);
    }

    #[test]
    fn a_layer_rebuilt_for_nothing_is_to_stabilize() {
        let s = series(&bad(5));
        assert_eq!(s.stabilize.len(), 1, "{:?}", s.stabilize);
        let st = &s.stabilize[0];
        assert_eq!(st.position, 2);
        assert_eq!((st.changed, st.releases), (4, 4));
        assert_eq!(st.per_release_saving, 1000);
        assert_eq!(st.per_release_pull_saving, 600);
        assert_eq!(st.last_change, 4);
        assert!(st.changed_files.is_empty());
        assert_eq!(st.below.len(), 1);
        assert_eq!(st.below[0].0, 1);
        assert_eq!(&*st.below[0].2[0].0, "/app/src/main.py");
        let what = stabilize_what(st, &(0..5).map(|k| format!("app:{k}")).collect::<Vec<_>>());
        assert!(
            what.contains("RUN npm ci") && what.contains("/app/src/main.py"),
            "{what}"
        );
        assert!(what.contains("what changed in app:4"), "{what}");
        // The source layer is mostly already had too (50 of 61..64 bytes), but below 90 %.
        assert!(s.churn[1].already_had_share() < STABILIZE_MIN_ALREADY_HAD);
    }

    #[test]
    fn a_layer_that_changes_rarely_or_for_real_is_not() {
        // Dependencies installed first and reused: nothing to stabilize.
        let mut good = bad(4);
        for r in &mut good {
            r.layers[2].id = Some("deps".into());
        }
        let s = series(&good);
        assert!(s.stabilize.is_empty());
        assert_eq!(s.steps[0].totals.pull_bytes, 61);
        // Changed in 2 of 4 releases: not most of them.
        let mut half = bad(5);
        half[2].layers[2].id = half[1].layers[2].id.clone();
        half[4].layers[2].id = half[3].layers[2].id.clone();
        assert!(series(&half).stabilize.is_empty());
        // Changed every time with new content: a real change.
        let mut real = bad(4);
        for (k, r) in real.iter_mut().enumerate() {
            r.layers[2].files[1] = file(50 + k as u8, 300, "/app/deps/y.js");
        }
        let s = series(&real);
        // 700 of 1000 had: 70 %.
        assert!(s.stabilize.is_empty());
        assert_eq!(s.steps[0].layers[1].already_had, 700);
    }

    #[test]
    fn a_rename_is_content_the_node_had() {
        let mut r = bad(2);
        r[1].layers[2].files[0].path = Arc::from("/app/node_modules/x.js");
        let s = series(&r);
        assert_eq!(s.steps[0].layers[1].already_had, 1000);
    }

    #[test]
    fn unhashed_files_count_as_new() {
        let mut r = bad(2);
        r[1].layers[2].files[0].hash = None;
        let s = series(&r);
        assert!(s.unhashed);
        assert_eq!(s.steps[0].layers[1].already_had, 300);
    }

    fn action(kind: ActionKind, risk: Risk, saving: u64, overlaps: Vec<usize>) -> Action {
        Action {
            kind,
            risk,
            images: vec![0],
            owner: Some(0),
            layers: vec![0],
            focus: (0, 0),
            node_saving: saving,
            pull_saving: saving,
            share_of_node_cost: 0.0,
            worth_it: true,
            what: String::new(),
            why: String::new(),
            paths: Vec::new(),
            detail: Detail::Dedup {
                groups: 0,
                copies: 0,
            },
            claims: Vec::new(),
            overlap_bytes: 0,
            overlaps,
        }
    }

    #[test]
    fn stabilize_actions_are_ranked_in_and_overlaps_follow() {
        let mut plan = super::super::plan::Plan {
            actions: vec![
                action(ActionKind::Trim, Risk::Safe, 1000, vec![]),
                action(ActionKind::Dedup, Risk::Safe, 100, vec![0]),
            ],
            ..Default::default()
        };
        // Weighed 600 × ½ = 300: between the two.
        plan.insert_ranked(vec![action(ActionKind::Stabilize, Risk::Rebuild, 600, vec![])]);
        let kinds: Vec<ActionKind> = plan.actions.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            vec![ActionKind::Trim, ActionKind::Stabilize, ActionKind::Dedup]
        );
        assert_eq!(plan.actions[2].overlaps, vec![0]);
        // One weighed above the first: every rank moves down by one.
        plan.insert_ranked(vec![action(ActionKind::Stabilize, Risk::Rebuild, 4000, vec![])]);
        assert_eq!(plan.actions[0].node_saving, 4000);
        assert_eq!(plan.actions[3].overlaps, vec![1]);
    }

    #[test]
    fn one_release_has_no_steps() {
        let s = series(&bad(1));
        assert!(s.steps.is_empty() && s.stabilize.is_empty());
        assert_eq!(s.mean, Totals::default());
    }
}
