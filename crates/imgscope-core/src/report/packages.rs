//! Packages and the runtime closure in the reports: JSON wire types (`images[i].packages`,
//! `images[i].package_summary`, `images[i].closure`) and the text lines (top packages by bytes,
//! the closure in one line). Both read the image's [`Analysis`]; names from the image are escaped
//! in text.

use std::fmt::Write;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::model::Image;
use crate::text::rough_percent as percent;
use crate::text::{escape_control as esc, human_size as hs};

/// Packages listed in the text report.
pub const TEXT_PACKAGES: usize = 10;
/// Closure files listed in the JSON report (the count is always whole).
pub const JSON_CLOSURE_FILES: usize = 1_000;

#[derive(Serialize)]
pub struct PackageReport {
    pub manager: &'static str,
    pub name: String,
    pub version: String,
    pub architecture: Option<String>,
    pub source: Option<String>,
    pub essential: bool,
    /// Bytes of its visible regular files (tar header sizes) and their count.
    pub bytes: u64,
    pub files: u64,
    /// What its database declares, in bytes (dpkg's Installed-Size × 1024), for comparison.
    pub installed_size_bytes: Option<u64>,
    /// The lowest layer that wrote one of its files, and the later layers that wrote them again.
    pub layer: Option<usize>,
    pub changed_in_layers: Vec<usize>,
    pub reclaimable_bytes: u64,
    pub trim_bytes: u64,
}

#[derive(Serialize)]
pub struct PackageSummaryReport {
    pub managers: Vec<&'static str>,
    pub package_count: usize,
    pub owned_bytes: u64,
    pub unowned_files: u64,
    pub unowned_bytes: u64,
    /// Databases that could not be read (the rest of the report stands).
    pub problems: Vec<String>,
}

#[derive(Serialize)]
pub struct ClosureReport {
    /// The command line it starts from (entrypoint then cmd).
    pub command: Vec<String>,
    /// The executable that command runs, resolved in the image.
    pub entrypoint: Option<String>,
    pub bytes: u64,
    pub file_count: usize,
    /// The files, with their bytes, in the order found (at most 1,000).
    pub files: Vec<ClosureFileReport>,
    pub packages: Vec<String>,
    pub unresolved: Vec<String>,
    /// What a static closure cannot see.
    pub unseen: Vec<String>,
    /// Whether the executable is an ELF file or a `#!` script (else what it needs is unknown, and
    /// the plan makes no slim action of it).
    pub understood: bool,
    /// Path lookups it took (bounded: past the budget it stops, and `unseen` says so).
    pub lookups: usize,
    /// Its share of the image's uncompressed size.
    pub share_of_image: f64,
}

#[derive(Serialize)]
pub struct ClosureFileReport {
    pub path: String,
    pub bytes: u64,
}

pub fn packages(analysis: &Analysis) -> Vec<PackageReport> {
    analysis
        .packages
        .packages
        .iter()
        .map(|p| PackageReport {
            manager: p.manager,
            name: p.name.clone(),
            version: p.version.clone(),
            architecture: p.architecture.clone(),
            source: p.source.clone(),
            essential: p.essential,
            bytes: p.bytes,
            files: p.files,
            installed_size_bytes: p.installed_size,
            layer: p.layer,
            changed_in_layers: p.changed_in.clone(),
            reclaimable_bytes: p.reclaimable_bytes,
            trim_bytes: p.trim_bytes,
        })
        .collect()
}

pub fn summary(analysis: &Analysis) -> PackageSummaryReport {
    let p = &analysis.packages;
    PackageSummaryReport {
        managers: p.managers.clone(),
        package_count: p.packages.len(),
        owned_bytes: p.packages.iter().map(|p| p.bytes).sum(),
        unowned_files: p.unowned_files,
        unowned_bytes: p.unowned_bytes,
        problems: p.problems.clone(),
    }
}

pub fn closure(image: &Image, analysis: &Analysis) -> Option<ClosureReport> {
    let c = analysis.closure.as_ref()?;
    Some(ClosureReport {
        command: c.command.clone(),
        entrypoint: c.executable.clone(),
        bytes: c.bytes,
        file_count: c.files.len(),
        files: c
            .files
            .iter()
            .take(JSON_CLOSURE_FILES)
            .map(|(n, b)| ClosureFileReport {
                path: image.tree.path(*n),
                bytes: *b,
            })
            .collect(),
        packages: c.packages.clone(),
        lookups: c.lookups,
        unresolved: c.unresolved.clone(),
        unseen: c.unseen.clone(),
        understood: c.understood,
        share_of_image: c.bytes as f64 / image.size().max(1) as f64,
    })
}

/// What the closure needs, in words every format shares: "needs 16.8 MiB in 11 files (5% of the
/// image; a static view: …)".
pub fn closure_needs(image: &Image, c: &crate::analysis::closure::Closure) -> String {
    format!(
        "needs {} in {} files ({} of the image; a static view: dlopen and files read at run time are not seen)",
        hs(c.bytes),
        c.files.len(),
        percent(c.bytes as f64 / image.size().max(1) as f64)
    )
}

/// The closure in one line: "entrypoint /usr/bin/redis-server needs 16.8 MiB in 11 files (5% of
/// the image)", with what it could not find.
pub fn closure_line(image: &Image, analysis: &Analysis) -> Option<String> {
    let c = analysis.closure.as_ref()?;
    let mut line = match &c.executable {
        Some(exe) => format!("entrypoint {} {}", esc(exe), closure_needs(image, c)),
        None => format!(
            "entrypoint {} not found in the image",
            esc(&c.command.first().cloned().unwrap_or_default())
        ),
    };
    if !c.unresolved.is_empty() {
        let names: Vec<String> = c.unresolved.iter().map(|u| esc(u).into_owned()).collect();
        let _ = write!(line, "; not found: {}", names.join(", "));
    }
    Some(line)
}

/// The text section: the closure line and the largest packages.
pub fn text(image: &Image, analysis: &Analysis) -> String {
    let mut out = String::new();
    if let Some(line) = closure_line(image, analysis) {
        let _ = writeln!(out, "\nClosure     {line}");
    }
    let p = &analysis.packages;
    for problem in &p.problems {
        let _ = writeln!(out, "Packages    unreadable database: {}", esc(problem));
    }
    if p.packages.is_empty() {
        return out;
    }
    let owned: u64 = p.packages.iter().map(|p| p.bytes).sum();
    let _ = writeln!(
        out,
        "\nPackages ({} from {}: {} owned, {} in {} files unowned)",
        p.packages.len(),
        p.managers.join(" and "),
        hs(owned),
        hs(p.unowned_bytes),
        p.unowned_files
    );
    let _ = writeln!(
        out,
        "  {:>10}  {:>6}  {:>5}  {:>10}  {:>10}  PACKAGE",
        "BYTES", "FILES", "LAYER", "RECLAIM", "TRIM"
    );
    for pkg in p.packages.iter().take(TEXT_PACKAGES) {
        let _ = writeln!(
            out,
            "  {:>10}  {:>6}  {:>5}  {:>10}  {:>10}  {} {}",
            hs(pkg.bytes),
            pkg.files,
            pkg.layer.map_or_else(|| "-".to_string(), |l| l.to_string()),
            hs(pkg.reclaimable_bytes),
            hs(pkg.trim_bytes),
            esc(&pkg.name),
            esc(&pkg.version)
        );
    }
    if p.packages.len() > TEXT_PACKAGES {
        let _ = writeln!(
            out,
            "  … {} more packages (see --json)",
            p.packages.len() - TEXT_PACKAGES
        );
    }
    out
}
