//! Base and own layers (dive #441): an image built `FROM` a base carries the base's layers, which
//! its team does not choose and cannot trim. Given the base's layer diff_ids (from `--base IMAGE`
//! or the base the build declared in its `org.opencontainers.image.base.*` annotations), the
//! image's leading layers that equal them are inherited; the rest are the image's own, and gates
//! can measure those alone (`--own-only`).

use crate::model::Image;

use super::Waste;

/// Where the base came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseOrigin {
    /// `--base IMAGE`.
    Flag,
    /// The image's `org.opencontainers.image.base.name` (and `.digest`) annotation or label.
    Annotation,
}

impl BaseOrigin {
    /// How reports name it, after the base's name.
    pub fn described(self) -> &'static str {
        match self {
            BaseOrigin::Flag => "--base",
            BaseOrigin::Annotation => "declared by the image",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            BaseOrigin::Flag => "flag",
            BaseOrigin::Annotation => "annotation",
        }
    }
}

/// What is known of an image's base and how much of the image it accounts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseLayers {
    /// The base as named (`--base` value, or the annotated name).
    pub reference: String,
    /// The annotated base digest, when there is one.
    pub digest: Option<String>,
    pub origin: BaseOrigin,
    /// How many layers the base has (0 when it could not be read).
    pub base_layer_count: usize,
    /// How many of the image's first layers are the base's, layer for layer.
    pub inherited: usize,
    /// Why the base could not be read (then nothing is inherited).
    pub problem: Option<String>,
}

impl BaseLayers {
    /// Match `image`'s layers against the base's diff_ids: the longest common prefix.
    pub fn matched(
        image: &Image,
        reference: String,
        digest: Option<String>,
        origin: BaseOrigin,
        base_diff_ids: &[String],
    ) -> BaseLayers {
        let inherited = image
            .layers
            .iter()
            .zip(base_diff_ids)
            .take_while(|(layer, base)| layer_diff_id(layer) == Some(base.as_str()))
            .count();
        BaseLayers {
            reference,
            digest,
            origin,
            base_layer_count: base_diff_ids.len(),
            inherited,
            problem: None,
        }
    }

    /// A base that was named but could not be read.
    pub fn unreadable(
        reference: String,
        digest: Option<String>,
        origin: BaseOrigin,
        problem: String,
    ) -> BaseLayers {
        BaseLayers {
            reference,
            digest,
            origin,
            base_layer_count: 0,
            inherited: 0,
            problem: Some(problem),
        }
    }

    /// Every layer of the base starts the image: it is built on this base.
    pub fn is_complete(&self) -> bool {
        self.problem.is_none()
            && self.base_layer_count > 0
            && self.inherited == self.base_layer_count
    }

    /// Whether layer `index` of the image is the base's.
    pub fn is_inherited(&self, index: usize) -> bool {
        index < self.inherited
    }

    /// One line on how the match went, when it did not simply work.
    pub fn caveat(&self) -> Option<String> {
        if let Some(p) = &self.problem {
            return Some(format!("the base could not be read: {p}"));
        }
        if self.is_complete() {
            return None;
        }
        Some(match self.inherited {
            0 => format!(
                "none of the base's {} layers starts the image: it is not built on this base (or \
                 on another build of it)",
                self.base_layer_count
            ),
            n => format!(
                "only the first {n} of the base's {} layers start the image: it is built on \
                 another build of this base",
                self.base_layer_count
            ),
        })
    }
}

/// The layer's diff_id as the config states it, else as its content hashes.
fn layer_diff_id(layer: &crate::model::Layer) -> Option<&str> {
    layer
        .diff_id
        .as_deref()
        .or(layer.content_diff_id.as_deref())
}

/// The image without its base: its own layers and the bytes they are responsible for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OwnPart {
    pub layer_count: usize,
    pub size: u64,
    pub compressed_size: u64,
    /// Reclaimable bytes the own layers cause: copies stored in them, and base copies they
    /// overwrite or remove. A base file its own base layers hide is the base's waste.
    pub reclaimable_bytes: u64,
}

impl OwnPart {
    pub fn of(image: &Image, waste: &Waste, inherited: usize) -> OwnPart {
        let own = image.layers.get(inherited..).unwrap_or(&[]);
        let reclaimable_bytes = waste
            .paths
            .iter()
            .flat_map(|p| &p.copies)
            .filter(|c| c.layer >= inherited || c.hidden_by >= inherited)
            .fold(0u64, |sum, c| sum.saturating_add(c.size));
        OwnPart {
            layer_count: own.len(),
            size: own.iter().fold(0u64, |s, l| s.saturating_add(l.size)),
            compressed_size: own
                .iter()
                .fold(0u64, |s, l| s.saturating_add(l.compressed_size)),
            reclaimable_bytes,
        }
    }
}
