//! Sharing across a set of images: what a node that holds all of them really stores, and where
//! trimming pays.
//!
//! A layer is identified by its diff_id (the uncompressed content) when known, else by its blob
//! digest. For each image: its size, the bytes in layers some other image of the set also uses
//! (shared), the bytes only it uses (unique — its marginal cost on a node that already holds the
//! others), and its amortized size (each layer's size divided by the number of images using it).
//! For the set: the sum of image sizes against the node cost (every distinct layer once),
//! compressed (what pulls move) and uncompressed (what disks hold).
//!
//! Trim value: shrinking a layer by its reclaimable bytes saves those bytes once per node however
//! many images use it; the per-image illusion multiplies them by the users. So trimming a fat
//! base shared by many images saves little per image, and trimming an image's own layers saves
//! the full amount.

use hashbrown::{HashMap, HashSet};

/// One layer of one image, as the sharing analysis needs it.
#[derive(Debug, Clone, Default)]
pub struct LayerFacts {
    pub diff_id: Option<String>,
    pub digest: Option<String>,
    pub compressed: u64,
    /// Uncompressed content bytes, when the layer was decoded.
    pub size: Option<u64>,
    /// Reclaimable bytes stored in this layer, when the layer was decoded.
    pub reclaimable: Option<u64>,
    pub created_by: String,
}

impl LayerFacts {
    fn key(&self, index: usize, image: usize) -> String {
        self.diff_id
            .clone()
            .or_else(|| self.digest.clone())
            .unwrap_or_else(|| format!("image{image}/layer{index}"))
    }
}

#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    pub name: String,
    pub layers: Vec<LayerFacts>,
}

/// Bytes counted two ways: what a pull moves (the compressed blobs) and what a disk holds
/// (uncompressed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PullAndDisk {
    /// Compressed: what a pull downloads.
    pub compressed: u64,
    /// Uncompressed: what the disk holds (`None` when a layer counted was not decoded).
    pub size: Option<u64>,
}

impl PullAndDisk {
    /// Sizes from manifests are declared, not measured: sums saturate.
    fn add(&mut self, l: &LayerFacts) {
        self.compressed = self.compressed.saturating_add(l.compressed);
        self.size = match (self.size, l.size) {
            (Some(a), Some(b)) => Some(a.saturating_add(b)),
            _ => None,
        };
    }

    fn zero(known: bool) -> PullAndDisk {
        PullAndDisk {
            compressed: 0,
            size: known.then_some(0),
        }
    }
}

/// A distinct layer of the set.
#[derive(Debug, Clone)]
pub struct SharedLayer {
    pub key: String,
    pub facts: LayerFacts,
    /// Indexes of the images that use it, ascending.
    pub users: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct ImageSharing {
    pub total: PullAndDisk,
    pub shared: PullAndDisk,
    pub unique: PullAndDisk,
    /// Σ layer size / users (rounded down per layer).
    pub amortized: PullAndDisk,
    /// Layers of the longest layer prefix this image shares with another image.
    pub base_layers: usize,
    /// Which base group (index into [`Sharing::bases`]) it belongs to, if it shares a base.
    pub base: Option<usize>,
    pub reclaimable_shared: Option<u64>,
    pub reclaimable_unique: Option<u64>,
    pub verdict: String,
}

/// Images grouped by the common base they are built on.
#[derive(Debug, Clone)]
pub struct BaseGroup {
    pub name: String,
    pub layers: usize,
    pub bytes: PullAndDisk,
    pub images: Vec<usize>,
}

/// What trimming one distinct layer by its reclaimable bytes would save.
#[derive(Debug, Clone)]
pub struct TrimValue {
    pub layer: usize,
    pub reclaimable: u64,
    /// Saved on a node holding the whole set: once.
    pub node_savings: u64,
    /// The per-image illusion: reclaimable × users.
    pub per_image_sum: u64,
}

#[derive(Debug, Clone)]
pub struct Sharing {
    pub layers: Vec<SharedLayer>,
    /// For each image, its layers as indexes into `layers`.
    pub image_layers: Vec<Vec<usize>>,
    pub images: Vec<ImageSharing>,
    pub bases: Vec<BaseGroup>,
    /// Σ image sizes.
    pub sum_of_images: PullAndDisk,
    /// Every distinct layer once.
    pub node_cost: PullAndDisk,
    /// Distinct blobs by compressed digest (what a registry and pulls dedupe on).
    pub distinct_blobs: usize,
    pub node_cost_by_blob: u64,
    pub trim: Vec<TrimValue>,
}

impl Sharing {
    /// Σ image sizes / node cost (compressed): how many times over sharing pays.
    pub fn sharing_ratio(&self) -> f64 {
        if self.node_cost.compressed == 0 {
            1.0
        } else {
            self.sum_of_images.compressed as f64 / self.node_cost.compressed as f64
        }
    }
}

fn human(bytes: u64) -> String {
    crate::text::human_size(bytes)
}

pub fn analyze(images: &[ImageFacts]) -> Sharing {
    let known = images
        .iter()
        .all(|i| i.layers.iter().all(|l| l.size.is_some()));
    let (layers, image_keys) = distinct_layers(images);
    let (node_cost, distinct_blobs, node_cost_by_blob) = node_costs(images, &layers, known);
    let (bases, base_len, base_of) = common_bases(images, &layers, &image_keys, known);
    let out_images = image_sharing(images, &layers, &image_keys, &base_len, &base_of, known);
    let trim = trim_values(&layers);
    let mut sum_of_images = PullAndDisk::zero(known);
    for image in &out_images {
        sum_of_images.compressed += image.total.compressed;
        sum_of_images.size = match (sum_of_images.size, image.total.size) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }
    Sharing {
        layers,
        image_layers: image_keys,
        images: out_images,
        bases,
        sum_of_images,
        node_cost,
        distinct_blobs,
        node_cost_by_blob,
        trim,
    }
}

/// The distinct layers of the set in order of first appearance, each with the images using it,
/// and each image's layers as indexes into them.
fn distinct_layers(images: &[ImageFacts]) -> (Vec<SharedLayer>, Vec<Vec<usize>>) {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut layers: Vec<SharedLayer> = Vec::new();
    let mut image_keys: Vec<Vec<usize>> = Vec::new();
    for (i, image) in images.iter().enumerate() {
        let mut keys = Vec::new();
        for (li, l) in image.layers.iter().enumerate() {
            let key = l.key(li, i);
            let id = *index.entry(key.clone()).or_insert_with(|| {
                layers.push(SharedLayer {
                    key,
                    facts: l.clone(),
                    users: Vec::new(),
                });
                layers.len() - 1
            });
            if layers[id].users.last() != Some(&i) && !layers[id].users.contains(&i) {
                layers[id].users.push(i);
            }
            keys.push(id);
        }
        image_keys.push(keys);
    }

    (layers, image_keys)
}

/// What a node stores: the distinct layers' bytes, and the distinct blobs (count and compressed
/// bytes) as a registry or a node's content store counts them.
fn node_costs(
    images: &[ImageFacts],
    layers: &[SharedLayer],
    known: bool,
) -> (PullAndDisk, usize, u64) {
    let mut node_cost = PullAndDisk::zero(known);
    for l in layers {
        node_cost.add(&l.facts);
    }
    let mut blobs = HashSet::new();
    let mut node_cost_by_blob = 0;
    for image in images {
        for l in &image.layers {
            let key = l
                .digest
                .clone()
                .or_else(|| l.diff_id.clone())
                .unwrap_or_default();
            if blobs.insert(key) {
                node_cost_by_blob += l.compressed;
            }
        }
    }

    (node_cost, blobs.len(), node_cost_by_blob)
}

/// Bases: the longest layer prefix each image shares with some other image, grouped; with each
/// image's prefix length and its group.
fn common_bases(
    images: &[ImageFacts],
    layers: &[SharedLayer],
    image_keys: &[Vec<usize>],
    known: bool,
) -> (Vec<BaseGroup>, Vec<usize>, Vec<Option<usize>>) {
    let prefix = |a: &[usize], b: &[usize]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let base_len: Vec<usize> = (0..images.len())
        .map(|i| {
            (0..images.len())
                .filter(|&j| j != i)
                .map(|j| prefix(&image_keys[i], &image_keys[j]))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut bases: Vec<BaseGroup> = Vec::new();
    let mut base_of: Vec<Option<usize>> = vec![None; images.len()];
    for i in 0..images.len() {
        let n = base_len[i];
        if n == 0 {
            continue;
        }
        let key = &image_keys[i][..n];
        if let Some(g) = bases
            .iter()
            .position(|b| b.layers == n && image_keys[b.images[0]][..n] == *key)
        {
            bases[g].images.push(i);
            base_of[i] = Some(g);
            continue;
        }
        let mut bytes = PullAndDisk::zero(known);
        for &id in key {
            bytes.add(&layers[id].facts);
        }
        // Name the base after an image of the set that is exactly the base, if there is one.
        let name = (0..images.len())
            .find(|&j| image_keys[j].as_slice() == key)
            .map(|j| images[j].name.clone())
            .unwrap_or_else(|| format!("common base of {} ({n} layers)", images[i].name));
        bases.push(BaseGroup {
            name,
            layers: n,
            bytes,
            images: vec![i],
        });
        base_of[i] = Some(bases.len() - 1);
    }

    (bases, base_len, base_of)
}

/// Each image's bytes split into shared and unique layers, amortized over their users, and its
/// verdict.
fn image_sharing(
    images: &[ImageFacts],
    layers: &[SharedLayer],
    image_keys: &[Vec<usize>],
    base_len: &[usize],
    base_of: &[Option<usize>],
    known: bool,
) -> Vec<ImageSharing> {
    let mut out_images = Vec::new();
    for (i, keys) in image_keys.iter().enumerate() {
        let distinct: Vec<usize> = {
            let mut seen = HashSet::new();
            keys.iter().copied().filter(|k| seen.insert(*k)).collect()
        };
        let mut total = PullAndDisk::zero(known);
        let mut shared = PullAndDisk::zero(known);
        let mut unique = PullAndDisk::zero(known);
        let mut amortized = PullAndDisk::zero(known);
        let mut rec_shared = Some(0u64);
        let mut rec_unique = Some(0u64);
        for &id in &distinct {
            let l = &layers[id];
            total.add(&l.facts);
            let users = l.users.len() as u64;
            amortized.compressed += l.facts.compressed / users;
            amortized.size = match (amortized.size, l.facts.size) {
                (Some(a), Some(b)) => Some(a + b / users),
                _ => None,
            };
            let (bucket, rec) = if users > 1 {
                (&mut shared, &mut rec_shared)
            } else {
                (&mut unique, &mut rec_unique)
            };
            bucket.add(&l.facts);
            *rec = match (*rec, l.facts.reclaimable) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
        }
        let verdict = verdict(
            layers,
            &distinct,
            rec_shared,
            rec_unique,
            unique,
            images.len(),
        );
        out_images.push(ImageSharing {
            total,
            shared,
            unique,
            amortized,
            base_layers: base_len[i],
            base: base_of[i],
            reclaimable_shared: rec_shared,
            reclaimable_unique: rec_unique,
            verdict,
        });
    }

    out_images
}

/// The reclaimable bytes of each distinct layer, saved once per node, biggest first.
fn trim_values(layers: &[SharedLayer]) -> Vec<TrimValue> {
    let mut trim: Vec<TrimValue> = layers
        .iter()
        .enumerate()
        .filter_map(|(id, l)| {
            let r = l.facts.reclaimable.filter(|r| *r > 0)?;
            Some(TrimValue {
                layer: id,
                reclaimable: r,
                node_savings: r,
                per_image_sum: r * l.users.len() as u64,
            })
        })
        .collect();
    trim.sort_by(|a, b| {
        b.node_savings
            .cmp(&a.node_savings)
            .then(a.layer.cmp(&b.layer))
    });

    trim
}

/// Identical file content across the images of a set, wherever it lives: through a layer they
/// share (stored once on a node) or in separate layers (stored once per layer: what a common base
/// layer would let the set store once).
#[derive(Debug, Clone, Default)]
pub struct ContentSharing {
    /// Σ over contents two or more images hold: size × (distinct layers holding it − 1), the
    /// bytes a node stores more than once.
    pub shareable_bytes: u64,
    /// Contents two or more images hold in two or more distinct layers.
    pub shareable_files: u64,
    /// Image pairs with the content they both hold, largest `separate_bytes` first (sets of at
    /// most [`MAX_PAIR_IMAGES`] images).
    pub pairs: Vec<ContentPair>,
    /// Per image: bytes of its content that another image holds in a different layer.
    pub per_image: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentPair {
    pub a: usize,
    pub b: usize,
    /// Bytes of content both images hold, in shared layers or not.
    pub common_bytes: u64,
    /// Of those, the bytes they hold in different layers only: stored twice on a node.
    pub separate_bytes: u64,
}

/// Pairs are listed for sets up to this size.
pub const MAX_PAIR_IMAGES: usize = 64;

/// `files[i]`: image i's visible regular files as (content hash, size, layer index in image i).
pub fn content_sharing(
    sharing: &Sharing,
    files: &[Vec<(crate::model::ContentHash, u64, usize)>],
) -> ContentSharing {
    // Per content: who holds it, as (image, distinct layer) pairs.
    let mut holders: HashMap<(crate::model::ContentHash, u64), Vec<(u32, u32)>> = HashMap::new();
    for (i, list) in files.iter().enumerate() {
        for &(hash, size, layer) in list {
            let Some(&id) = sharing.image_layers.get(i).and_then(|l| l.get(layer)) else {
                continue;
            };
            if size == 0 {
                continue;
            }
            let h = holders.entry((hash, size)).or_default();
            let entry = (i as u32, id as u32);
            if !h.contains(&entry) {
                h.push(entry);
            }
        }
    }
    let n = files.len();
    let mut out = ContentSharing {
        per_image: vec![0; n],
        ..Default::default()
    };
    let mut pairs: HashMap<(usize, usize), (u64, u64)> = HashMap::new();
    let mut images: Vec<usize> = Vec::new();
    let mut layers: Vec<u32> = Vec::new();
    for ((_, size), held) in holders {
        images.clear();
        images.extend(held.iter().map(|&(i, _)| i as usize));
        images.dedup();
        if images.len() < 2 {
            continue;
        }
        layers.clear();
        layers.extend(held.iter().map(|&(_, d)| d));
        layers.sort_unstable();
        layers.dedup();
        let layers_of = |i: usize| held.iter().filter(move |(x, _)| *x as usize == i);
        if layers.len() >= 2 {
            out.shareable_bytes += size * (layers.len() as u64 - 1);
            out.shareable_files += 1;
            for &i in &images {
                // Stored twice for this image if another image holds it in a layer it lacks.
                let own: Vec<u32> = layers_of(i).map(|&(_, d)| d).collect();
                if held
                    .iter()
                    .any(|&(j, d)| j as usize != i && !own.contains(&d))
                {
                    out.per_image[i] += size;
                }
            }
        }
        if n <= MAX_PAIR_IMAGES {
            for (k, &i) in images.iter().enumerate() {
                for &j in &images[k + 1..] {
                    let separate = !layers_of(i).any(|&(_, d)| layers_of(j).any(|&(_, e)| e == d));
                    let p = pairs.entry((i, j)).or_default();
                    p.0 += size;
                    if separate {
                        p.1 += size;
                    }
                }
            }
        }
    }
    out.pairs = pairs
        .into_iter()
        .map(|((a, b), (common_bytes, separate_bytes))| ContentPair {
            a,
            b,
            common_bytes,
            separate_bytes,
        })
        .collect();
    out.pairs.sort_by(|x, y| {
        y.separate_bytes
            .cmp(&x.separate_bytes)
            .then(y.common_bytes.cmp(&x.common_bytes))
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    out
}

fn verdict(
    layers: &[SharedLayer],
    distinct: &[usize],
    rec_shared: Option<u64>,
    rec_unique: Option<u64>,
    unique: PullAndDisk,
    set_size: usize,
) -> String {
    let (Some(shared), Some(own)) = (rec_shared, rec_unique) else {
        return "layers only: decode the layers to see what trimming would save".into();
    };
    if shared == 0 && own == 0 {
        return "nothing to trim: no reclaimable bytes in its layers".into();
    }
    let users: usize = distinct
        .iter()
        .filter(|&&id| layers[id].users.len() > 1 && layers[id].facts.reclaimable.unwrap_or(0) > 0)
        .map(|&id| layers[id].users.len())
        .max()
        .unwrap_or(1);
    let marginal = unique.size.unwrap_or(unique.compressed);
    if own >= shared {
        let pct = if marginal == 0 {
            0.0
        } else {
            own as f64 * 100.0 / marginal as f64
        };
        format!(
            "own layers: trimming saves {} per copy of this image ({pct:.0}% of its {} marginal cost){}",
            human(own),
            human(marginal),
            if shared > 0 {
                format!(
                    "; its shared base holds {} more, saved once per node",
                    human(shared)
                )
            } else {
                String::new()
            }
        )
    } else {
        format!(
            "shared base: trimming saves {} once per node, spread over the {users} of {set_size} images that use it ({} each){}",
            human(shared),
            human(shared / users as u64),
            if own > 0 {
                format!("; its own layers hold {}", human(own))
            } else {
                String::new()
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(id: &str, compressed: u64, size: u64, reclaimable: u64) -> LayerFacts {
        LayerFacts {
            diff_id: Some(id.into()),
            digest: Some(format!("blob-{id}")),
            compressed,
            size: Some(size),
            reclaimable: Some(reclaimable),
            created_by: String::new(),
        }
    }

    fn img(name: &str, layers: Vec<LayerFacts>) -> ImageFacts {
        ImageFacts {
            name: name.into(),
            layers,
        }
    }

    /// One 1000-byte base under three apps; two databases each on their own 800-byte base.
    fn set() -> Vec<ImageFacts> {
        let base = || vec![l("base0", 400, 600, 0), l("base1", 300, 400, 90)];
        let mut out = vec![img("base", base())];
        for (n, app) in ["a", "b", "c"].iter().enumerate() {
            let mut layers = base();
            layers.push(l(
                &format!("app-{app}"),
                10 * (n as u64 + 1),
                20 * (n as u64 + 1),
                0,
            ));
            out.push(img(&format!("app-{app}"), layers));
        }
        out.push(img(
            "db-one",
            vec![l("db1-base", 500, 800, 0), l("db1", 100, 200, 150)],
        ));
        out.push(img(
            "db-two",
            vec![l("db2-base", 500, 800, 0), l("db2", 100, 200, 150)],
        ));
        out
    }

    #[test]
    fn shared_unique_amortized_and_node_cost_are_exact() {
        let s = analyze(&set());
        // base: 2 layers used by 4 images.
        assert_eq!(s.layers.len(), 2 + 3 + 4);
        let base = &s.images[0];
        assert_eq!(
            base.total,
            PullAndDisk {
                compressed: 700,
                size: Some(1000)
            }
        );
        assert_eq!(
            base.shared,
            PullAndDisk {
                compressed: 700,
                size: Some(1000)
            }
        );
        assert_eq!(
            base.unique,
            PullAndDisk {
                compressed: 0,
                size: Some(0)
            }
        );
        assert_eq!(
            base.amortized,
            PullAndDisk {
                compressed: 400 / 4 + 300 / 4,
                size: Some(600 / 4 + 400 / 4)
            }
        );
        let app_b = &s.images[2];
        assert_eq!(
            app_b.total,
            PullAndDisk {
                compressed: 720,
                size: Some(1040)
            }
        );
        assert_eq!(
            app_b.unique,
            PullAndDisk {
                compressed: 20,
                size: Some(40)
            }
        );
        assert_eq!(app_b.amortized.size, Some(150 + 100 + 40));
        let db = &s.images[4];
        assert_eq!(
            db.shared,
            PullAndDisk {
                compressed: 0,
                size: Some(0)
            }
        );
        assert_eq!(
            db.unique,
            PullAndDisk {
                compressed: 600,
                size: Some(1000)
            }
        );
        // Sum of images vs node cost.
        assert_eq!(
            s.sum_of_images.compressed,
            700 + 710 + 720 + 730 + 600 + 600
        );
        assert_eq!(s.node_cost.compressed, 700 + 10 + 20 + 30 + 600 + 600);
        assert_eq!(s.node_cost.size, Some(1000 + 20 + 40 + 60 + 1000 + 1000));
        assert!((s.sharing_ratio() - 4060.0 / 1960.0).abs() < 1e-12);
    }

    #[test]
    fn bases_group_images_and_are_named() {
        let s = analyze(&set());
        assert_eq!(s.bases.len(), 1);
        assert_eq!(s.bases[0].name, "base");
        assert_eq!(s.bases[0].layers, 2);
        assert_eq!(s.bases[0].images, vec![0, 1, 2, 3]);
        assert_eq!(s.images[4].base, None);
    }

    #[test]
    fn trim_value_counts_shared_layers_once() {
        let s = analyze(&set());
        let base1 = s
            .trim
            .iter()
            .find(|t| s.layers[t.layer].key == "base1")
            .unwrap();
        assert_eq!(base1.node_savings, 90);
        assert_eq!(base1.per_image_sum, 360);
        assert!(
            s.images[1]
                .verdict
                .starts_with("shared base: trimming saves 90 B once per node"),
            "{}",
            s.images[1].verdict
        );
        assert!(
            s.images[4]
                .verdict
                .starts_with("own layers: trimming saves 150 B per copy"),
            "{}",
            s.images[4].verdict
        );
    }

    #[test]
    fn content_shared_in_and_outside_shared_layers_is_found() {
        let s = analyze(&set());
        let h = |b: u8| [b; 16];
        let mut files = vec![Vec::new(); 6];
        // db-one and db-two hold the same 700 bytes in their own bases, plus one differing file.
        files[4] = vec![(h(1), 700, 0), (h(2), 100, 1)];
        files[5] = vec![(h(1), 700, 0), (h(3), 100, 1)];
        // The apps share a file through the base layer: common, but stored once.
        files[1] = vec![(h(9), 50, 0)];
        files[2] = vec![(h(9), 50, 0)];
        // app-c holds the db bases' content in its own layer: a third copy.
        files[3] = vec![(h(1), 700, 2)];
        let c = content_sharing(&s, &files);
        assert_eq!(c.shareable_bytes, 700 * 2);
        assert_eq!(c.shareable_files, 1);
        let pair = |a, b| c.pairs.iter().find(|p| (p.a, p.b) == (a, b)).copied();
        let p45 = pair(4, 5).unwrap();
        assert_eq!((p45.common_bytes, p45.separate_bytes), (700, 700));
        let p12 = pair(1, 2).unwrap();
        assert_eq!((p12.common_bytes, p12.separate_bytes), (50, 0));
        assert_eq!(c.pairs.len(), 4);
        assert_eq!(c.per_image, vec![0, 0, 0, 700, 700, 700]);
    }

    #[test]
    fn layers_only_facts_still_give_compressed_sharing() {
        let mut images = set();
        for i in &mut images {
            for l in &mut i.layers {
                l.size = None;
                l.reclaimable = None;
            }
        }
        let s = analyze(&images);
        assert_eq!(s.node_cost.size, None);
        assert_eq!(s.node_cost.compressed, 1960);
        assert!(s.images[0].verdict.starts_with("layers only"));
    }
}
