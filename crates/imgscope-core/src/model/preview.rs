//! What a container engine says about an image before its export arrives: the engine's own
//! inspect and history records. An engine may take many seconds before the first byte of an
//! export (Podman writes the whole archive to a temporary file first), and these records cost one
//! request each, so the viewer shows them while it waits. They are the engine's account, not
//! imgscope's analysis: the report is built from the exported layers alone.

/// The engine's records of one image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnginePreview {
    /// Which engine answered, e.g. `podman engine at unix:///run/podman/podman.sock`.
    pub engine: String,
    pub id: String,
    pub tags: Vec<String>,
    /// Creation time as the engine reports it (RFC 3339).
    pub created: Option<String>,
    /// `os/architecture[/variant]`.
    pub platform: Option<String>,
    /// The engine's size of the image (uncompressed, all layers).
    pub size: Option<u64>,
    /// Number of layers (the config's diff_ids).
    pub layer_count: usize,
    /// The image's history, oldest step first; steps that made no layer have size 0.
    pub history: Vec<PreviewStep>,
}

/// One step of an image's history as the engine reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PreviewStep {
    pub created_by: String,
    /// Bytes the step's layer added (0 for steps without a layer).
    pub size: u64,
}
