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
    /// Every regular file (size above zero) it writes; empty when the release was read from
    /// the history, which keeps only the layer's [`LayerFingerprint`].
    pub files: Vec<FileFact>,
    /// What the history keeps of its files (`None` when `files` is given, or was not recorded).
    pub fingerprint: Option<LayerFingerprint>,
}

/// Files a layer's similarity sketch keeps.
pub const SKETCH_K: usize = 64;

/// What the history keeps of a layer's files, to estimate later what of it another release had:
/// an exact digest of the whole, and a sample of its contents drawn in proportion to their bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerFingerprint {
    pub file_count: u64,
    /// Σ sizes of its regular files.
    pub file_bytes: u64,
    /// BLAKE3 over every (content, size) of its files, sorted: two layers with the same digest
    /// hold the same contents (whatever their paths, mtimes or order).
    pub content: [u8; 32],
    /// A bottom-k sketch: of its distinct (content, size), the [`SKETCH_K`] with the smallest
    /// [`sketch_key`] (an exponential race weighted by size, so a file is sampled about in
    /// proportion to its bytes), smallest key first.
    pub sketch: Vec<(ContentHash, u64)>,
}

/// A content's rank in a sketch: `-ln(u) / size`, `u` uniform in (0, 1] from the content hash.
pub fn sketch_key(hash: &ContentHash, size: u64) -> f64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&hash[..8]);
    let u = ((u64::from_le_bytes(b) >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    -u.ln() / size.max(1) as f64
}

fn by_key(a: &(ContentHash, u64), b: &(ContentHash, u64)) -> std::cmp::Ordering {
    sketch_key(&a.0, a.1)
        .total_cmp(&sketch_key(&b.0, b.1))
        .then_with(|| a.cmp(b))
}

impl LayerFingerprint {
    /// The fingerprint of `files`; `None` when one was not hashed.
    pub fn of(files: &[FileFact]) -> Option<LayerFingerprint> {
        let mut all: Vec<(ContentHash, u64)> = files
            .iter()
            .map(|f| f.hash.map(|h| (h, f.size)))
            .collect::<Option<_>>()?;
        all.sort_unstable();
        let mut hasher = blake3::Hasher::new();
        for (h, size) in &all {
            hasher.update(h);
            hasher.update(&size.to_le_bytes());
        }
        let content = *hasher.finalize().as_bytes();
        all.dedup();
        all.sort_by(by_key);
        all.truncate(SKETCH_K);
        Some(LayerFingerprint {
            file_count: files.len() as u64,
            file_bytes: files.iter().map(|f| f.size).sum(),
            content,
            sketch: all,
        })
    }

    /// The sketch as stored: 24 bytes an entry (the hash, the size little-endian).
    pub fn sketch_blob(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.sketch.len() * 24);
        for (h, size) in &self.sketch {
            out.extend_from_slice(h);
            out.extend_from_slice(&size.to_le_bytes());
        }
        out
    }

    /// Read back what [`LayerFingerprint::sketch_blob`] wrote and a 32-byte digest; `None` for
    /// anything else (a history file may be hostile).
    pub fn from_stored(
        file_count: u64,
        file_bytes: u64,
        content: &[u8],
        sketch: &[u8],
    ) -> Option<LayerFingerprint> {
        let content: [u8; 32] = content.try_into().ok()?;
        if !sketch.len().is_multiple_of(24) || sketch.len() / 24 > SKETCH_K {
            return None;
        }
        let mut entries: Vec<(ContentHash, u64)> = sketch
            .chunks_exact(24)
            .map(|c| {
                let mut h = [0u8; 16];
                h.copy_from_slice(&c[..16]);
                let mut s = [0u8; 8];
                s.copy_from_slice(&c[16..]);
                (h, u64::from_le_bytes(s))
            })
            .collect();
        entries.sort_by(by_key);
        Some(LayerFingerprint {
            file_count,
            file_bytes,
            content,
            sketch: entries,
        })
    }

    /// The key below which the sketch holds every content of the layer (all of it when the
    /// sketch is not full).
    fn complete_below(&self) -> f64 {
        match self.sketch.last() {
            Some((h, s)) if self.sketch.len() >= SKETCH_K => sketch_key(h, *s),
            _ => f64::INFINITY,
        }
    }
}

/// An estimate of the bytes of `layer` whose content some layer of `had` holds: all of them when
/// a layer there has the same contents. Else, for a layer of at most [`SKETCH_K`] contents (its
/// sketch is all of them), the bytes of those the union of `had`'s sketches holds (exact when
/// those sketches are whole too, a lower bound otherwise); for a larger one, the share by number
/// of its sampled contents below the key up to which every sketch of `had` is complete that the
/// union holds (the sample is drawn in proportion to bytes), applied to its bytes. `None` when no fingerprint is known or nothing could be compared.
/// `complete`: every layer of the release had is in `had` (else only a layer of the same contents
/// tells).
pub fn estimate_had(
    layer: &LayerFingerprint,
    had: &[&LayerFingerprint],
    complete: bool,
) -> Option<u64> {
    if layer.file_bytes == 0 {
        return Some(0);
    }
    if had.iter().any(|h| h.content == layer.content) {
        return Some(layer.file_bytes);
    }
    if !complete {
        return None;
    }
    let union: HashSet<(ContentHash, u64)> =
        had.iter().flat_map(|h| h.sketch.iter().copied()).collect();
    let share = if layer.sketch.len() < SKETCH_K {
        // Every content of the layer is in its sketch: by bytes, those a sketch of the previous
        // release holds (a content past what the sketches of its large layers keep is missed: a
        // lower bound).
        let total: u64 = layer.sketch.iter().map(|e| e.1).sum();
        let found: u64 = layer
            .sketch
            .iter()
            .filter(|e| union.contains(*e))
            .map(|e| e.1)
            .sum();
        found as f64 / total.max(1) as f64
    } else {
        // A sample drawn in proportion to bytes: of its contents below the key up to which every
        // sketch of the previous release is complete, the share by number that they hold.
        let limit = had
            .iter()
            .map(|h| h.complete_below())
            .fold(f64::INFINITY, f64::min);
        let compared: Vec<&(ContentHash, u64)> = layer
            .sketch
            .iter()
            .filter(|(h, s)| sketch_key(h, *s) <= limit)
            .collect();
        if compared.is_empty() {
            return None;
        }
        let found = compared.iter().filter(|e| union.contains(**e)).count();
        found as f64 / compared.len() as f64
    };
    Some((layer.file_bytes as f64 * share).round() as u64)
}

/// One release: its name and layers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReleaseFacts {
    pub name: String,
    pub input: String,
    pub layers: Vec<ReleaseLayer>,
    /// Read from the history: its layers have fingerprints (or nothing), not files.
    pub recorded: bool,
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
                fingerprint: None,
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
            recorded: false,
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
    /// Files whose content the previous release lacked: how many, and the largest (`None`
    /// when `already_had` is estimated from the history's fingerprints).
    pub new_file_count: Option<u64>,
    pub new_files: Vec<(Arc<str>, u64)>,
    /// `already_had` is an estimate ([`estimate_had`]), not a count.
    pub estimated: bool,
    /// Whether `already_had` is known at all (a recorded layer without a fingerprint, or one
    /// nothing could be compared with, is not: its `already_had` is 0).
    pub known: bool,
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

/// Files, as (path, bytes).
pub type Files = Vec<(Arc<str>, u64)>;

/// A layer below a stabilize position that changed in the same release: its position, its
/// command and its largest files of new content.
pub type Below = (usize, String, Files);

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
    pub below: Vec<Below>,
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
    /// Some already-had bytes are estimates (releases read from the history).
    pub estimated: bool,
    /// Pulled layers whose already-had bytes are not known (counted as 0).
    pub unknown_layers: usize,
}

fn top_files(mut files: Vec<(Arc<str>, u64)>) -> Vec<(Arc<str>, u64)> {
    files.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    files.truncate(CHANGED_FILES);
    files
}

/// What a node running `prev` pulls to run `cur`.
fn step(release: usize, prev: &ReleaseFacts, cur: &ReleaseFacts, flags: &mut Series) -> Step {
    let had = prev.contents();
    let had_prints: Vec<&LayerFingerprint> = prev
        .layers
        .iter()
        .filter_map(|l| l.fingerprint.as_ref())
        .collect();
    let complete = had_prints.len() == prev.layers.len();
    let mut layers = Vec::new();
    let mut totals = Totals::default();
    for i in pulled_layers(&prev.ids(), &cur.ids()) {
        let l = &cur.layers[i];
        let mut already_had = 0u64;
        let mut new_files = Vec::new();
        let new_file_count;
        let mut estimated = false;
        let mut known = true;
        if cur.recorded || prev.recorded {
            estimated = true;
            new_file_count = None;
            flags.estimated = true;
            let guess = l
                .fingerprint
                .as_ref()
                .and_then(|p| estimate_had(p, &had_prints, complete));
            known = guess.is_some();
            if !known {
                flags.unknown_layers += 1;
            }
            already_had = guess.unwrap_or(0);
        } else {
            for f in &l.files {
                match f.hash {
                    Some(h) if had.contains(&(h, f.size)) => already_had += f.size,
                    hash => {
                        flags.unhashed |= hash.is_none();
                        new_files.push((f.path.clone(), f.size));
                    }
                }
            }
            new_file_count = Some(new_files.len() as u64);
        }
        let p = PulledLayer {
            index: l.index,
            id: l.id.clone(),
            size: l.size,
            compressed: l.compressed,
            // A layer whose files were counted differently from its size never has more.
            already_had: already_had.min(l.size),
            created_by: l.created_by.clone(),
            new_file_count,
            new_files: top_files(new_files),
            estimated,
            known,
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
        let s = step(k + 1, &pair[0], &pair[1], &mut out);
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
        .filter(|l| l.index < churn.position && l.new_file_count.unwrap_or(0) > 0)
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
            fingerprint: None,
        }
    }

    fn release(name: &str, layers: Vec<ReleaseLayer>) -> ReleaseFacts {
        ReleaseFacts {
            name: name.into(),
            input: name.into(),
            layers,
            recorded: false,
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
        plan.insert_ranked(vec![action(
            ActionKind::Stabilize,
            Risk::Rebuild,
            600,
            vec![],
        )]);
        let kinds: Vec<ActionKind> = plan.actions.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            vec![ActionKind::Trim, ActionKind::Stabilize, ActionKind::Dedup]
        );
        assert_eq!(plan.actions[2].overlaps, vec![0]);
        // One weighed above the first: every rank moves down by one.
        plan.insert_ranked(vec![action(
            ActionKind::Stabilize,
            Risk::Rebuild,
            4000,
            vec![],
        )]);
        assert_eq!(plan.actions[0].node_saving, 4000);
        assert_eq!(plan.actions[3].overlaps, vec![1]);
    }

    fn many(from: u32, n: u32, size: u64) -> Vec<FileFact> {
        (from..from + n)
            .map(|i| {
                let mut hash = [0u8; 16];
                hash[..4].copy_from_slice(&i.to_le_bytes());
                // Spread the keys: the hash's first 8 bytes are its random part.
                let mixed = blake3::hash(&i.to_le_bytes());
                hash[..8].copy_from_slice(&mixed.as_bytes()[..8]);
                FileFact {
                    hash: Some(hash),
                    size,
                    path: Arc::from(format!("/f{i}")),
                }
            })
            .collect()
    }

    #[test]
    fn fingerprints_read_back_and_refuse_garbage() {
        let files = many(0, 100, 10);
        let f = LayerFingerprint::of(&files).unwrap();
        assert_eq!(
            (f.file_count, f.file_bytes, f.sketch.len()),
            (100, 1000, SKETCH_K)
        );
        let back = LayerFingerprint::from_stored(100, 1000, &f.content, &f.sketch_blob()).unwrap();
        assert_eq!(back, f);
        assert!(LayerFingerprint::from_stored(1, 1, &f.content[..31], &[]).is_none());
        assert!(LayerFingerprint::from_stored(1, 1, &f.content, &[0; 25]).is_none());
        assert!(LayerFingerprint::from_stored(1, 1, &f.content, &vec![0; 24 * 65]).is_none());
        // Same contents in another order, under other paths: the same digest.
        let mut moved = files.clone();
        moved.reverse();
        for m in &mut moved {
            m.path = Arc::from("/elsewhere");
        }
        assert_eq!(LayerFingerprint::of(&moved).unwrap().content, f.content);
        let mut unhashed = files;
        unhashed[3].hash = None;
        assert!(LayerFingerprint::of(&unhashed).is_none());
    }

    #[test]
    fn what_a_release_had_is_estimated_from_fingerprints() {
        let old = LayerFingerprint::of(&many(0, 2000, 100)).unwrap();
        // The same contents: all of it, exactly.
        let same = LayerFingerprint::of(&many(0, 2000, 100)).unwrap();
        assert_eq!(estimate_had(&same, &[&old], true), Some(200_000));
        // Half of its contents are the old layer's: about half (a sample of 64).
        let half = LayerFingerprint::of(&many(1000, 2000, 100)).unwrap();
        let guess = estimate_had(&half, &[&old], true).unwrap();
        assert!((70_000..=130_000).contains(&guess), "{guess}");
        // None of it.
        let new = LayerFingerprint::of(&many(5000, 2000, 100)).unwrap();
        assert_eq!(estimate_had(&new, &[&old], true), Some(0));
        // A previous release with a layer of unknown contents: only an identical layer tells.
        assert_eq!(estimate_had(&half, &[&old], false), None);
        assert_eq!(estimate_had(&same, &[&old], false), Some(200_000));
        // Small layers: every content known on both sides, the share by bytes.
        let small_old = LayerFingerprint::of(&many(0, 3, 100)).unwrap();
        let mut files = many(0, 1, 100);
        files.extend(many(9, 1, 300));
        let small = LayerFingerprint::of(&files).unwrap();
        assert_eq!(estimate_had(&small, &[&small_old], true), Some(100));
    }

    #[test]
    fn a_recorded_series_estimates_what_each_release_had() {
        let recorded: Vec<ReleaseFacts> = bad(3)
            .into_iter()
            .map(|mut r| {
                r.recorded = true;
                for l in &mut r.layers {
                    l.fingerprint = LayerFingerprint::of(&l.files);
                    l.files.clear();
                }
                r
            })
            .collect();
        let s = series(&recorded);
        assert!(s.estimated);
        assert_eq!(s.unknown_layers, 0);
        // The pulls are exact; the dependency layer is a same-contents match (1000), the source
        // layer's small sketches give util.py's 50 bytes by bytes.
        assert_eq!(s.steps[0].totals.pull_bytes, 1061);
        assert_eq!(s.steps[0].totals.already_had_bytes, 1050);
        assert_eq!(s.stabilize.len(), 1);
        assert_eq!(s.stabilize[0].per_release_saving, 1000);
        // Without fingerprints: not known, counted as 0.
        let mut bare = recorded;
        for r in &mut bare {
            for l in &mut r.layers {
                l.fingerprint = None;
            }
        }
        let s = series(&bare);
        assert_eq!(s.unknown_layers, 4);
        assert!(s.steps[0].layers.iter().all(|l| !l.known));
        assert!(s.stabilize.is_empty());
    }

    #[test]
    fn one_release_has_no_steps() {
        let s = series(&bad(1));
        assert!(s.steps.is_empty() && s.stabilize.is_empty());
        assert_eq!(s.mean, Totals::default());
    }
}
