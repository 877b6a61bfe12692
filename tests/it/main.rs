//! The integration tests, as one test binary (one link of the library and its dependencies
//! instead of one per file). Each module is a feature's tests; `common` and `tui_support` are the
//! helpers they share. Run one module with `cargo test --test it <module>::`, e.g.
//! `cargo test --test it hostile::`.

// A test's helpers fail loudly on what they did not expect: that is what they are for.
#![allow(clippy::unwrap_used)]

mod common;
mod tui_support;

mod bad_input;
mod base_layers;
mod catalog;
mod ci_log;
mod containerd;
mod diff;
mod dive_fixtures;
mod docker_engine;
mod duplicates;
mod gates;
mod history;
mod hostile;
mod html_browser;
mod ignore_paths;
mod json_report;
mod layer_cache;
mod layer_semantics;
mod packages;
mod plan;
mod podman_engine;
mod realistic;
mod registry;
mod registry_faults;
mod releases;
mod report_formats;
mod roles;
mod sharing;
mod tui_e2e;
mod tui_screenshots;
mod tui_state;
mod tui_view;
