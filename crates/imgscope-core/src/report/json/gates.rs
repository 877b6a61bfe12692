//! The gates section of the `--json` report (`--ci --json`): each image's gate evaluation, the
//! same one the text and Markdown outputs print, with every rule's value, threshold and unit. It
//! has its own file because it is its own evaluation (`crate::gate`), added onto the image
//! report.

use serde::Serialize;

use super::image::{Analyzed, report_with_set};
use crate::analysis::set::SetAnalysis;

/// The gate evaluation of one image.
#[derive(Serialize)]
pub struct GatesReport {
    /// `pass` or `fail` (skipped rules do not fail a gate).
    pub verdict: &'static str,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Config files and flags the rules came from.
    pub sources: Vec<String>,
    pub baseline: Option<BaselineReport>,
    pub rules: Vec<RuleReport>,
}

#[derive(Serialize)]
pub struct BaselineReport {
    pub input: String,
    pub name: Option<String>,
    pub size_bytes: u64,
    pub compressed_size_bytes: u64,
}

/// One rule: `value` and `threshold` are in `unit` (`bytes`, `ratio` from 0 to 1, or `count`);
/// the rule passes when `value comparison threshold` holds. `value` is null when the rule was
/// skipped, or when a ratio is undefined (dive's 0/0).
#[derive(Serialize)]
pub struct RuleReport {
    pub rule: &'static str,
    /// The glob of a `max-path-size` budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glob: Option<String>,
    pub verdict: &'static str,
    pub value: Option<Number>,
    pub threshold: Option<Number>,
    pub unit: &'static str,
    pub comparison: &'static str,
    /// The threshold as written (`150MB`, `5%`, `disabled`).
    pub threshold_text: String,
    pub source: String,
    pub note: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

fn rule_unit(rule: &crate::gate::Rule) -> &'static str {
    use crate::gate::{RuleKind, Threshold};
    match rule.threshold {
        Some(Threshold::Bytes(_)) => "bytes",
        Some(Threshold::Percent(_) | Threshold::Ratio(_)) => "ratio",
        Some(Threshold::Count(_)) => "count",
        None => match rule.kind {
            RuleKind::MaxLayers => "count",
            RuleKind::MinEfficiency | RuleKind::MaxDiveUserWastedRatio => "ratio",
            _ => "bytes",
        },
    }
}

pub fn gates_report(e: &crate::gate::Evaluation) -> GatesReport {
    use crate::gate::{Threshold, Value};
    let rules = e
        .results
        .iter()
        .map(|r| RuleReport {
            rule: r.rule.kind.name(),
            glob: r.rule.kind.glob().map(str::to_string),
            verdict: r.verdict.key(),
            value: r.value.map(|v| match v {
                Value::Bytes(b) | Value::Count(b) => Number::Unsigned(b),
                Value::SignedBytes(d) => Number::Signed(d),
                Value::Ratio(x) => Number::Float(x),
            }),
            threshold: r.rule.threshold.map(|t| match t {
                Threshold::Bytes(b) | Threshold::Count(b) => Number::Unsigned(b),
                Threshold::Ratio(x) => Number::Float(x),
                Threshold::Percent(p) => Number::Float(
                    crate::gate::parse::Decimal {
                        mantissa: p.mantissa,
                        scale: p.scale + 2,
                    }
                    .to_f64(),
                ),
            }),
            unit: rule_unit(&r.rule),
            comparison: if r.rule.kind.is_minimum() { ">=" } else { "<=" },
            threshold_text: r.rule.text.clone(),
            source: r.rule.source.to_string(),
            note: r.note.clone(),
        })
        .collect();
    GatesReport {
        verdict: e.verdict().key(),
        passed: e.passed(),
        failed: e.failed(),
        skipped: e.skipped(),
        sources: e.sources(),
        baseline: e.baseline.as_ref().map(|b| BaselineReport {
            input: b.input.clone(),
            name: b.name.clone(),
            size_bytes: b.size,
            compressed_size_bytes: b.compressed_size,
        }),
        rules,
    }
}

/// The report with each image's gate evaluation (`gates[i]` belongs to `images[i]`).
pub fn to_string_with_gates(
    images: &[Analyzed<'_>],
    set: &SetAnalysis,
    gates: &[crate::gate::Evaluation],
) -> serde_json::Result<String> {
    let mut doc = report_with_set(images, set, None);
    for (image, e) in doc.images.iter_mut().zip(gates) {
        image.gates = Some(gates_report(e));
    }
    super::to_printable_string(&doc)
}
