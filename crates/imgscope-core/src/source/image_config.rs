//! Parsing an image config blob (OCI or Docker, which agree on the fields used here) into the
//! model's platform, runtime configuration, history and the layers' diff_ids.

use anyhow::{Context, Result};
use oci_spec::image::ImageConfiguration;

use crate::model::{HistoryEntry, Platform, RuntimeConfig};

#[derive(Debug, Clone, Default)]
pub struct ParsedConfig {
    pub platform: Platform,
    pub created: Option<String>,
    pub runtime: RuntimeConfig,
    pub history: Vec<HistoryEntry>,
    pub diff_ids: Vec<String>,
}

pub fn parse(bytes: &[u8]) -> Result<ParsedConfig> {
    let config = ImageConfiguration::from_reader(bytes).context("invalid image config")?;
    let platform = Platform {
        os: config.os().to_string(),
        architecture: super::platform::normalize_arch(&config.architecture().to_string())
            .to_string(),
        variant: config.variant().clone(),
    };
    let mut runtime = RuntimeConfig::default();
    if let Some(c) = config.config() {
        runtime.env = c.env().clone().unwrap_or_default();
        runtime.entrypoint = c.entrypoint().clone().unwrap_or_default();
        runtime.cmd = c.cmd().clone().unwrap_or_default();
        runtime.working_dir = c.working_dir().clone().filter(|s| !s.is_empty());
        runtime.user = c.user().clone().filter(|s| !s.is_empty());
        let mut labels: Vec<(String, String)> =
            c.labels().clone().unwrap_or_default().into_iter().collect();
        labels.sort();
        runtime.labels = labels;
        let mut ports = c.exposed_ports().clone().unwrap_or_default();
        ports.sort();
        runtime.exposed_ports = ports;
    }
    let history = config
        .history()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|h| HistoryEntry {
            created: h.created().clone(),
            created_by: h.created_by().clone(),
            comment: h.comment().clone(),
            empty_layer: h.empty_layer().unwrap_or(false),
        })
        .collect();
    Ok(ParsedConfig {
        platform,
        created: config.created().clone(),
        runtime,
        history,
        diff_ids: config.rootfs().diff_ids().clone(),
    })
}
