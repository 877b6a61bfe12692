//! CI size gates: rules with thresholds (from flags, `.imgscope.toml` or dive's `.dive-ci`), and
//! their evaluation against an analyzed image (and a baseline image for growth). Evaluation is
//! pure, like analysis: [`evaluate`] reads the model and returns one verdict per rule; the reports
//! (text, GitHub annotations, Markdown, JSON) print it, and the binary turns it into an exit code.
//!
//! Every threshold is inclusive: a `max-*` rule fails only when the value is above it, and
//! `min-efficiency` only when the score is below it (dive's own comparisons).

pub mod parse;
pub mod paths;
pub mod rule_sources;

use std::fmt;

use crate::analysis::Analysis;
use crate::model::Image;
use crate::text::{human_size, percent, signed_size};

use parse::{Decimal, exceeds_percent};
pub use rule_sources::{GateArgs, GateEnv, GatePlan, HistoryBaseline, plan};

/// What a rule measures.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleKind {
    /// Uncompressed size (sum of regular-file sizes over the layers).
    MaxSize,
    /// Sum of the layer blobs as stored.
    MaxCompressedSize,
    /// Reclaimable bytes, or their share of the uncompressed size.
    MaxReclaimable,
    /// dive's efficiency score.
    MinEfficiency,
    MaxLayers,
    /// Uncompressed growth over the baseline image, in bytes or as a share of the baseline.
    MaxGrowth,
    /// The bytes under every final-filesystem path matching a glob.
    MaxPathSize(String),
    /// dive's `highestWastedBytes`: dive's wasted bytes (`dive_inefficient_bytes`).
    MaxDiveWastedBytes,
    /// dive's `highestUserWastedPercent`: dive's wasted bytes over the bytes of every layer but the
    /// first, as a ratio.
    MaxDiveUserWastedRatio,
    /// What the trim plan's actions touching the image would save per node (each file once), in
    /// bytes or as a share of the image's size.
    MaxPlanSaving,
    /// Uncompressed growth over the oldest recorded image of the last this many days (history).
    MaxGrowthSince(u32),
    /// What a node running the baseline pulls to run the image: the compressed bytes of the
    /// layers the baseline lacks, or their share of the image's compressed size.
    MaxPull,
}

impl RuleKind {
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::MaxSize => "max-size",
            RuleKind::MaxCompressedSize => "max-compressed-size",
            RuleKind::MaxReclaimable => "max-reclaimable",
            RuleKind::MinEfficiency => "min-efficiency",
            RuleKind::MaxLayers => "max-layers",
            RuleKind::MaxGrowth => "max-growth",
            RuleKind::MaxPathSize(_) => "max-path-size",
            RuleKind::MaxDiveWastedBytes => "max-dive-wasted-bytes",
            RuleKind::MaxDiveUserWastedRatio => "max-dive-user-wasted-ratio",
            RuleKind::MaxPlanSaving => "max-plan-saving",
            RuleKind::MaxGrowthSince(_) => "max-growth-since",
            RuleKind::MaxPull => "max-pull",
        }
    }

    /// The glob of a per-path budget.
    pub fn glob(&self) -> Option<&str> {
        match self {
            RuleKind::MaxPathSize(g) => Some(g),
            _ => None,
        }
    }

    /// `min-efficiency` passes at or above its threshold; every other rule at or below.
    pub fn is_minimum(&self) -> bool {
        matches!(self, RuleKind::MinEfficiency)
    }

    /// The name with a path budget's glob: `max-path-size /usr/lib/python3*`.
    pub fn label(&self) -> String {
        if let RuleKind::MaxGrowthSince(days) = self {
            return format!("{} {days}d", self.name());
        }
        match self.glob() {
            Some(g) => format!("{} {g}", self.name()),
            None => self.name().to_string(),
        }
    }
}

/// A rule's limit, in the rule's own unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    Bytes(u64),
    /// A percentage of a byte total (the image's size, the baseline's size).
    Percent(Decimal),
    /// A ratio from 0 to 1 (efficiency, dive's user-wasted ratio).
    Ratio(f64),
    Count(u64),
}

/// Where a rule came from, for "rules from …" lines and each rule's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleSource {
    /// A command-line flag (`--max-size`).
    Flag(String),
    /// A key of a config file: `.imgscope.toml` `gates.max-size`, `.dive-ci` `rules.lowestEfficiency`.
    File { path: String, key: String },
    /// dive's default for a rule its `.dive-ci` leaves out (dive applies it too).
    DiveDefault { path: String, key: String },
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleSource::Flag(flag) => f.write_str(flag),
            RuleSource::File { path, key } => write!(f, "{path} ({key})"),
            RuleSource::DiveDefault { path, key } => write!(f, "{path} (dive's default {key})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub kind: RuleKind,
    /// `None`: switched off where it was written (dive's `disabled`); reported as SKIP.
    pub threshold: Option<Threshold>,
    /// The threshold as written (`150MB`, `5%`, `0.95`, `disabled`).
    pub text: String,
    pub source: RuleSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Skip,
}

impl Verdict {
    /// `PASS`, `FAIL`, `SKIP`.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "SKIP",
        }
    }

    /// `pass`, `fail`, `skip` (the JSON spelling).
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Skip => "skip",
        }
    }
}

/// A measured value, in the unit of the rule's threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Bytes(u64),
    /// Growth over the baseline (negative when the image shrank).
    SignedBytes(i64),
    Ratio(f64),
    Count(u64),
}

impl Value {
    /// A human rendering: sizes in IEC units with the exact byte count, ratios as percentages.
    pub fn human(&self) -> String {
        match *self {
            Value::Bytes(b) => format!("{} ({b} B)", human_size(b)),
            Value::SignedBytes(d) => format!("{} ({d:+} B)", signed_size(d)),
            Value::Ratio(r) if r.is_nan() => "undefined".to_string(),
            Value::Ratio(r) => percent(r),
            Value::Count(c) => c.to_string(),
        }
    }
}

/// One rule's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleResult {
    pub rule: Rule,
    pub verdict: Verdict,
    /// What was measured (`None` when the rule was skipped before measuring).
    pub value: Option<Value>,
    /// Context: the bytes behind a ratio, paths matched, why a rule was skipped.
    pub note: Option<String>,
}

impl RuleResult {
    /// `≤ 150MB (150000000 B)`, `≥ 0.95`, `≤ 5%`, or the text of a disabled rule.
    pub fn threshold_human(&self) -> String {
        let op = if self.rule.kind.is_minimum() {
            "≥"
        } else {
            "≤"
        };
        match self.rule.threshold {
            None => self.rule.text.clone(),
            Some(Threshold::Bytes(b)) if self.rule.text.trim() != b.to_string() => {
                format!("{op} {} ({b} B)", self.rule.text.trim())
            }
            Some(_) => format!("{op} {}", self.rule.text.trim()),
        }
    }
}

/// Facts about the baseline an evaluation compared against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineFacts {
    pub input: String,
    pub name: Option<String>,
    pub size: u64,
    pub compressed_size: u64,
    /// Each layer's identity for pulls (see `analysis::releases::layer_id`), when known.
    pub layer_ids: Option<Vec<Option<String>>>,
}

impl BaselineFacts {
    pub fn of(image: &Image) -> BaselineFacts {
        BaselineFacts {
            input: image.input.clone(),
            name: image.name.clone(),
            size: image.size(),
            compressed_size: image.compressed_size(),
            layer_ids: Some(
                image
                    .layers
                    .iter()
                    .map(crate::analysis::releases::layer_id)
                    .collect(),
            ),
        }
    }
}

/// What growth rules compare against: a loaded baseline image or a recorded one (`last`), and
/// for `max-growth-since` the oldest record of its window (`since`); when one is missing, why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baselines {
    pub last: Option<BaselineFacts>,
    pub since: Option<BaselineFacts>,
    pub last_missing: Option<String>,
    pub since_missing: Option<String>,
}

/// Every rule's outcome for one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub results: Vec<RuleResult>,
    /// Config files the rules were read from (flags are named per rule).
    pub files: Vec<String>,
    pub baseline: Option<BaselineFacts>,
}

impl Evaluation {
    /// Fail when any rule failed; skipped rules do not fail a gate.
    pub fn verdict(&self) -> Verdict {
        if self.failed() > 0 {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }

    fn count(&self, v: Verdict) -> usize {
        self.results.iter().filter(|r| r.verdict == v).count()
    }

    pub fn passed(&self) -> usize {
        self.count(Verdict::Pass)
    }

    pub fn failed(&self) -> usize {
        self.count(Verdict::Fail)
    }

    pub fn skipped(&self) -> usize {
        self.count(Verdict::Skip)
    }

    /// Where the rules came from, for a "rules from" line: config files and flags, in that order.
    pub fn sources(&self) -> Vec<String> {
        let mut out = self.files.clone();
        for r in &self.results {
            if let RuleSource::Flag(f) = &r.rule.source
                && !out.contains(f)
            {
                out.push(f.clone());
            }
        }
        out
    }
}

/// An analyzed image: what rules are measured on.
#[derive(Clone, Copy)]
pub struct Subject<'a> {
    pub image: &'a Image,
    pub analysis: &'a Analysis,
    /// What the trim plan's actions touching this image save per node, and how many there are
    /// (`None` when no plan was made, e.g. for a baseline).
    pub plan_saving: Option<(u64, usize)>,
    /// `--own-only`: the image above its base, which size, compressed size, layer and
    /// reclaimable rules then measure.
    pub own: Option<&'a Own>,
}

/// The image's own part, and the base it sits on (for the notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Own {
    pub part: crate::analysis::base::OwnPart,
    pub base: String,
    pub total_layers: usize,
}

impl Own {
    fn note(&self) -> String {
        format!(
            "own layers: {} of {}, above {}",
            self.part.layer_count, self.total_layers, self.base
        )
    }
}

/// `note` and `extra` joined (either may be absent).
fn with_note(mut r: RuleResult, extra: String) -> RuleResult {
    r.note = Some(match r.note {
        Some(n) => format!("{n}; {extra}"),
        None => extra,
    });
    r
}

/// Evaluate `rules` on `subject`, comparing growth against `baseline` when there is one.
pub fn evaluate(
    rules: &[Rule],
    files: &[String],
    subject: Subject<'_>,
    baseline: Option<Subject<'_>>,
) -> Evaluation {
    let baselines = Baselines {
        last: baseline.map(|b| BaselineFacts::of(b.image)),
        ..Baselines::default()
    };
    evaluate_against(rules, files, subject, &baselines)
}

/// [`evaluate`] against baselines known by their facts (a recorded image, see `history`).
pub fn evaluate_against(
    rules: &[Rule],
    files: &[String],
    subject: Subject<'_>,
    baselines: &Baselines,
) -> Evaluation {
    let results = rules
        .iter()
        .map(|rule| evaluate_rule(rule, subject, baselines))
        .collect();
    Evaluation {
        results,
        files: files.to_vec(),
        baseline: baselines.last.clone(),
    }
}

fn verdict(fail: bool) -> Verdict {
    if fail { Verdict::Fail } else { Verdict::Pass }
}

fn skip(rule: &Rule, note: impl Into<String>) -> RuleResult {
    RuleResult {
        rule: rule.clone(),
        verdict: Verdict::Skip,
        value: None,
        note: Some(note.into()),
    }
}

fn result(rule: &Rule, fail: bool, value: Value, note: Option<String>) -> RuleResult {
    RuleResult {
        rule: rule.clone(),
        verdict: verdict(fail),
        value: Some(value),
        note,
    }
}

/// A byte count checked against a bytes-or-percent-of-`total` threshold.
fn bytes_rule(rule: &Rule, bytes: u64, total: u64, threshold: Threshold) -> RuleResult {
    match threshold {
        Threshold::Percent(p) => {
            let ratio = if total == 0 {
                if bytes == 0 { 0.0 } else { f64::INFINITY }
            } else {
                bytes as f64 / total as f64
            };
            let note = format!("{} of {}", human_size(bytes), human_size(total));
            result(
                rule,
                exceeds_percent(u128::from(bytes), u128::from(total), p),
                Value::Ratio(ratio),
                Some(note),
            )
        }
        Threshold::Bytes(limit) => result(rule, bytes > limit, Value::Bytes(bytes), None),
        // Thresholds are built per kind by the config code; other units never reach here.
        Threshold::Ratio(_) | Threshold::Count(_) => skip(rule, "threshold is not a size"),
    }
}

fn evaluate_rule(rule: &Rule, subject: Subject<'_>, baselines: &Baselines) -> RuleResult {
    let Some(threshold) = rule.threshold else {
        // Switched off where it was written: the threshold text (`disabled`) says so.
        return RuleResult {
            rule: rule.clone(),
            verdict: Verdict::Skip,
            value: None,
            note: None,
        };
    };
    let image = subject.image;
    let analysis = subject.analysis;
    if let Some(own) = subject.own {
        let part = &own.part;
        let measured = match (&rule.kind, threshold) {
            (RuleKind::MaxSize, t) => Some(bytes_rule(rule, part.size, part.size, t)),
            (RuleKind::MaxCompressedSize, t) => Some(bytes_rule(
                rule,
                part.compressed_size,
                part.compressed_size,
                t,
            )),
            (RuleKind::MaxReclaimable, t) => {
                Some(bytes_rule(rule, part.reclaimable_bytes, part.size, t))
            }
            (RuleKind::MaxLayers, Threshold::Count(max)) => {
                let n = part.layer_count as u64;
                Some(result(rule, n > max, Value::Count(n), None))
            }
            _ => None,
        };
        let r = match measured {
            Some(r) => with_note(r, own.note()),
            None => with_note(
                evaluate_rule(
                    rule,
                    Subject {
                        own: None,
                        ..subject
                    },
                    baselines,
                ),
                "whole image".to_string(),
            ),
        };
        return r;
    }
    match (&rule.kind, threshold) {
        (RuleKind::MaxSize, t) => bytes_rule(rule, image.size(), image.size(), t),
        (RuleKind::MaxCompressedSize, t) => {
            let c = image.compressed_size();
            bytes_rule(rule, c, c, t)
        }
        (RuleKind::MaxReclaimable, t) => {
            bytes_rule(rule, analysis.waste.reclaimable_bytes, image.size(), t)
        }
        (RuleKind::MinEfficiency, Threshold::Ratio(min)) => {
            let score = analysis.efficiency.score;
            // dive: `lowestEfficiency > Efficiency` fails.
            result(rule, min > score, Value::Ratio(score), None)
        }
        (RuleKind::MaxLayers, Threshold::Count(max)) => {
            let n = image.layers.len() as u64;
            result(rule, n > max, Value::Count(n), None)
        }
        (RuleKind::MaxGrowth, t) => growth_rule(
            rule,
            image,
            baselines.last.as_ref(),
            baselines
                .last_missing
                .as_deref()
                .unwrap_or("no baseline (--baseline IMAGE)"),
            t,
        ),
        (RuleKind::MaxGrowthSince(days), t) => {
            let missing = baselines
                .since_missing
                .clone()
                .unwrap_or_else(|| format!("no record in the last {days} days"));
            let mut r = growth_rule(rule, image, baselines.since.as_ref(), &missing, t);
            if let (Some(since), Some(note)) = (&baselines.since, &mut r.note) {
                let what = since.name.as_deref().unwrap_or(&since.input);
                *note = format!("{note}, since {what}");
            }
            r
        }
        (RuleKind::MaxPull, t) => pull_rule(rule, image, baselines, t),
        (RuleKind::MaxPlanSaving, t) => match subject.plan_saving {
            Some((bytes, actions)) => {
                let mut r = bytes_rule(rule, bytes, image.size(), t);
                let what = match actions {
                    1 => "1 plan action".to_string(),
                    n => format!("{n} plan actions"),
                };
                r.note = Some(match r.note {
                    Some(n) => format!("{n}, {what}"),
                    None => what,
                });
                r
            }
            None => skip(rule, "no trim plan for this image"),
        },
        (RuleKind::MaxPathSize(glob), Threshold::Bytes(limit)) => {
            match paths::matcher(glob) {
                Ok(m) => {
                    let found = paths::measure(image, analysis, &m);
                    let note = match found.paths {
                        0 => "no path matched".to_string(),
                        1 => "1 path matched".to_string(),
                        n => format!("{n} paths matched"),
                    };
                    result(
                        rule,
                        found.bytes > limit,
                        Value::Bytes(found.bytes),
                        Some(note),
                    )
                }
                // Globs are checked when the rules are read; this is unreachable in practice.
                Err(e) => skip(rule, e.to_string()),
            }
        }
        (RuleKind::MaxDiveWastedBytes, Threshold::Bytes(limit)) => {
            let wasted = analysis.efficiency.inefficient_bytes;
            result(rule, wasted > limit, Value::Bytes(wasted), None)
        }
        (RuleKind::MaxDiveUserWastedRatio, Threshold::Ratio(max)) => {
            let wasted = analysis.efficiency.inefficient_bytes;
            let user = image
                .size()
                .saturating_sub(image.layers.first().map_or(0, |l| l.size));
            // dive divides as floats: 0/0 is NaN (never above a threshold), x/0 is +∞.
            let ratio = wasted as f64 / user as f64;
            let note = format!(
                "{} wasted (dive) over {} above the first layer",
                human_size(wasted),
                human_size(user)
            );
            result(rule, max < ratio, Value::Ratio(ratio), Some(note))
        }
        _ => skip(rule, "threshold of the wrong kind"),
    }
}

/// Layers named in a pull rule's note; the rest are counted.
const PULL_LAYERS_NAMED: usize = 5;

/// `max-pull`: what a node running the baseline pulls to run `image` (compressed), naming the
/// layers, largest first, with their commands.
fn pull_rule(rule: &Rule, image: &Image, baselines: &Baselines, t: Threshold) -> RuleResult {
    let Some((base, ids)) = baselines
        .last
        .as_ref()
        .and_then(|b| b.layer_ids.as_ref().map(|ids| (b, ids)))
    else {
        let missing = match &baselines.last {
            Some(_) => "the baseline's layers are not known",
            None => baselines
                .last_missing
                .as_deref()
                .unwrap_or("no baseline (--baseline IMAGE)"),
        };
        return skip(rule, missing);
    };
    let new: Vec<Option<String>> = image
        .layers
        .iter()
        .map(crate::analysis::releases::layer_id)
        .collect();
    let mut pulled: Vec<&crate::model::Layer> = crate::analysis::releases::pulled_layers(ids, &new)
        .into_iter()
        .map(|k| &image.layers[k])
        .collect();
    let bytes = pulled
        .iter()
        .fold(0u64, |a, l| a.saturating_add(l.compressed_size));
    pulled.sort_by(|a, b| {
        b.compressed_size
            .cmp(&a.compressed_size)
            .then(a.index.cmp(&b.index))
    });
    let what = base.name.as_deref().unwrap_or(&base.input);
    let mut note = match pulled.len() {
        0 => format!("a node running {what} pulls nothing"),
        n => format!(
            "a node running {what} pulls {n} of {} layers: {}",
            image.layers.len(),
            pulled
                .iter()
                .take(PULL_LAYERS_NAMED)
                .map(|l| format!(
                    "layer {} ({}) {}",
                    l.index,
                    crate::text::clean_command(l.command()),
                    human_size(l.compressed_size)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    if pulled.len() > PULL_LAYERS_NAMED {
        note.push_str(&format!(", +{} more", pulled.len() - PULL_LAYERS_NAMED));
    }
    let mut r = bytes_rule(rule, bytes, image.compressed_size(), t);
    r.note = Some(match r.note {
        Some(n) => format!("{n}; {note}"),
        None => note,
    });
    r
}

fn growth_rule(
    rule: &Rule,
    image: &Image,
    baseline: Option<&BaselineFacts>,
    missing: &str,
    threshold: Threshold,
) -> RuleResult {
    let Some(base) = baseline else {
        return skip(rule, missing);
    };
    let old = base.size;
    let new = image.size();
    let delta = i128::from(new) - i128::from(old);
    let delta64 = delta.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    let note = format!("{} → {}", human_size(old), human_size(new));
    match threshold {
        Threshold::Bytes(limit) => result(
            rule,
            delta > i128::from(limit),
            Value::SignedBytes(delta64),
            Some(note),
        ),
        Threshold::Percent(p) => {
            let ratio = if old == 0 {
                match delta {
                    0 => 0.0,
                    _ => f64::INFINITY,
                }
            } else {
                delta as f64 / old as f64
            };
            let fail = delta > 0 && exceeds_percent(delta as u128, u128::from(old), p);
            let note = format!("{} ({note})", signed_size(delta64));
            result(rule, fail, Value::Ratio(ratio), Some(note))
        }
        Threshold::Ratio(_) | Threshold::Count(_) => skip(rule, "threshold is not a size"),
    }
}
