//! Where rules come from, and when gating is on.
//!
//! Rules are read from, in increasing precedence: dive's `.dive-ci` (YAML, `rules:` with
//! `lowestEfficiency`, `highestWastedBytes`, `highestUserWastedPercent`), imgscope's
//! `.imgscope.toml` (`[gates]`), and command-line flags. Both files are looked for in the working
//! directory; `--config FILE` reads that one file instead (`*.toml` in imgscope's format, anything
//! else as a `.dive-ci`). A rule set in several places keeps the highest-precedence one.
//!
//! Gating is on with `--ci`, `--format github`, `--config`, `--summary`, `--baseline` or any rule
//! flag; and, when `CI=true` and stdout is not a terminal, as soon as any rule is configured
//! anywhere.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};

use super::parse::{
    BytesOrPercent, ParseError, parse_bytes_or_percent, parse_count, parse_dive_float, parse_ratio,
    parse_size,
};
use super::{Rule, RuleKind, RuleSource, Threshold, paths};

pub use crate::project_file::IMGSCOPE_TOML;
pub const DIVE_CI: &str = ".dive-ci";

/// The gate settings as the command line gives them (see the CLI's `GateFlags` for each flag's
/// meaning): rule texts still to be parsed, files and the baseline.
#[derive(Debug, Clone, Default)]
pub struct GateArgs {
    pub ci: bool,
    pub config: Option<PathBuf>,
    pub max_size: Option<String>,
    pub max_compressed_size: Option<String>,
    pub max_reclaimable: Option<String>,
    pub min_efficiency: Option<String>,
    pub max_layers: Option<String>,
    pub max_growth: Option<String>,
    pub max_plan_saving: Option<String>,
    pub baseline: Option<String>,
    pub history_db: Option<PathBuf>,
    pub history_name: Option<String>,
    pub baseline_branch: Option<String>,
    pub max_growth_since: Option<String>,
    pub max_path_size: Vec<String>,
    /// `--max-pull`: what a node running `--baseline` may pull to run the image.
    pub max_pull: Option<String>,
    pub own_only: bool,
    /// `--plan-risk`: `--max-plan-saving` counts only actions of this risk or a lower one.
    pub plan_risk: Option<String>,
    pub summary: Option<PathBuf>,
}

impl GateArgs {
    fn any_rule_flag(&self) -> bool {
        self.max_size.is_some()
            || self.max_compressed_size.is_some()
            || self.max_reclaimable.is_some()
            || self.min_efficiency.is_some()
            || self.max_layers.is_some()
            || self.max_growth.is_some()
            || self.max_plan_saving.is_some()
            || self.max_growth_since.is_some()
            || self.max_pull.is_some()
            || !self.max_path_size.is_empty()
    }
}

/// What the environment says: read once by the binary, passed in so tests can set it.
#[derive(Debug, Clone, Default)]
pub struct GateEnv {
    /// `CI=true` and stdout is not a terminal.
    pub ci: bool,
    /// `$GITHUB_STEP_SUMMARY`, when set and not empty.
    pub step_summary: Option<PathBuf>,
    /// Where `.imgscope.toml` and `.dive-ci` are looked for.
    pub cwd: PathBuf,
}

impl GateEnv {
    pub fn from_process(stdout_is_terminal: bool) -> GateEnv {
        let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
        GateEnv {
            ci: ci && !stdout_is_terminal,
            step_summary: std::env::var_os("GITHUB_STEP_SUMMARY")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            // Relative lookups still work if the working directory cannot be named.
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        }
    }
}

/// `--baseline history`: where growth baselines are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryBaseline {
    /// `--history-db` (else the default database).
    pub db: Option<PathBuf>,
    /// `--history-name` (else each image's repository).
    pub name: Option<String>,
    /// `--baseline-branch` (else main or master when records name branches).
    pub branch: Option<String>,
}

/// The `--baseline` value that reads baselines from the history database.
pub const HISTORY_BASELINE: &str = "history";

/// Gating, resolved: the rules to evaluate and where to report.
#[derive(Debug, Clone, PartialEq)]
pub struct GatePlan {
    pub rules: Vec<Rule>,
    /// Config files the rules were read from, as named to the user.
    pub files: Vec<String>,
    /// `--own-only`: rules measure the image above its base.
    pub own_only: bool,
    /// `--plan-risk`: the plan-saving rule counts actions up to this risk (all when `None`).
    pub plan_risk: Option<crate::analysis::plan::Risk>,
    /// An image to load as the baseline (`None` with `--baseline history`).
    pub baseline: Option<String>,
    /// `--baseline history`.
    pub history: Option<HistoryBaseline>,
    /// Emit GitHub `::error` annotations for failed rules.
    pub github: bool,
    /// Append a Markdown summary here.
    pub summary: Option<PathBuf>,
}

/// Decide whether to gate, and with which rules. `Ok(None)`: no gating (the normal report).
pub fn plan(args: &GateArgs, github: bool, env: &GateEnv) -> Result<Option<GatePlan>> {
    let explicit = args.ci
        || github
        || args.config.is_some()
        || args.any_rule_flag()
        || args.summary.is_some()
        || args.baseline.is_some()
        || args.own_only;
    if !explicit && !env.ci {
        return Ok(None);
    }
    let mut files = Vec::new();
    let mut layers: Vec<Vec<Rule>> = Vec::new();
    // dive's file first (`--config` naming one, or ./.dive-ci): imgscope's own file overrides it.
    let dive = match &args.config {
        Some(path) if path.extension().is_some_and(|e| e == "toml") => None,
        Some(path) => Some((path.display().to_string(), path.clone(), true)),
        None => Some((DIVE_CI.to_string(), env.cwd.join(DIVE_CI), false)),
    };
    if let Some((name, path, named)) = dive {
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                layers.push(dive_ci(&name, &text).with_context(|| name.clone())?);
                files.push(name);
            }
            Err(e) if !named && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(anyhow!(e).context(name)),
        }
    }
    // The project file, found as the analysis finds it (`--config FILE.toml`, else ./.imgscope.toml).
    if let Some(file) = crate::project_file::find(args.config.as_deref(), &env.cwd)? {
        layers.push(gates_rules(&file.name, &file.table).with_context(|| file.name.clone())?);
        files.push(file.name);
    }
    layers.push(flag_rules(args)?);
    let rules = merge(layers);
    if !explicit && rules.is_empty() {
        return Ok(None);
    }
    let history = (args.baseline.as_deref() == Some(HISTORY_BASELINE)).then(|| HistoryBaseline {
        db: args.history_db.clone(),
        name: args.history_name.clone(),
        branch: args.baseline_branch.clone(),
    });
    let plan_risk = match args.plan_risk.as_deref() {
        None => None,
        Some(word) => Some(
            crate::analysis::plan::Risk::parse(word)
                .ok_or_else(|| anyhow!("--plan-risk {word:?}: expected safe, rebuild or risky"))?,
        ),
    };
    Ok(Some(GatePlan {
        own_only: args.own_only,
        plan_risk,
        rules,
        files,
        baseline: args.baseline.clone().filter(|_| history.is_none()),
        history,
        github,
        summary: args.summary.clone().or_else(|| env.step_summary.clone()),
    }))
}

/// Later layers override earlier ones rule by rule; the result is in a fixed order.
fn merge(layers: Vec<Vec<Rule>>) -> Vec<Rule> {
    let mut out: Vec<Rule> = Vec::new();
    for layer in layers {
        for rule in layer {
            match out.iter_mut().find(|r| r.kind == rule.kind) {
                Some(slot) => *slot = rule,
                None => out.push(rule),
            }
        }
    }
    // Path budgets keep the order they were read in (a stable sort on the kind's rank).
    out.sort_by_key(|r| rank(&r.kind));
    out
}

fn rank(kind: &RuleKind) -> u8 {
    match kind {
        RuleKind::MaxSize => 0,
        RuleKind::MaxCompressedSize => 1,
        RuleKind::MaxReclaimable => 2,
        RuleKind::MinEfficiency => 3,
        RuleKind::MaxLayers => 4,
        RuleKind::MaxGrowth => 5,
        RuleKind::MaxPathSize(_) => 6,
        RuleKind::MaxDiveWastedBytes => 7,
        RuleKind::MaxDiveUserWastedRatio => 8,
        RuleKind::MaxPlanSaving => 9,
        RuleKind::MaxGrowthSince(_) => 5,
        RuleKind::MaxPull => 10,
    }
}

/// Build a rule of `kind` from its text. Errors name the value and why it is wrong.
fn rule_from_text(kind: RuleKind, text: &str, source: RuleSource) -> Result<Rule, ParseError> {
    let threshold = match &kind {
        RuleKind::MaxSize
        | RuleKind::MaxCompressedSize
        | RuleKind::MaxPathSize(_)
        | RuleKind::MaxDiveWastedBytes => Threshold::Bytes(parse_size(text)?),
        RuleKind::MaxReclaimable
        | RuleKind::MaxGrowth
        | RuleKind::MaxPlanSaving
        | RuleKind::MaxPull
        | RuleKind::MaxGrowthSince(_) => match parse_bytes_or_percent(text)? {
            BytesOrPercent::Bytes(b) => Threshold::Bytes(b),
            BytesOrPercent::Percent(p) => Threshold::Percent(p),
        },
        RuleKind::MinEfficiency | RuleKind::MaxDiveUserWastedRatio => {
            Threshold::Ratio(parse_ratio(text)?)
        }
        RuleKind::MaxLayers => Threshold::Count(parse_count(text)?),
    };
    Ok(Rule {
        kind,
        threshold: Some(threshold),
        text: text.trim().to_string(),
        source,
    })
}

/// `GLOB=SIZE`, split at the last `=` (a glob may contain `=`).
fn path_budget(spec: &str) -> Result<(String, &str), ParseError> {
    let Some((glob, size)) = spec.rsplit_once('=') else {
        return Err(ParseError(format!(
            "invalid path budget {spec:?}: expected GLOB=SIZE, e.g. '/usr/lib/python3*=200MB'"
        )));
    };
    let glob = check_glob(glob)?;
    Ok((glob, size))
}

/// `DAYS:SIZE|PCT%` (`30:10%`, `7d:50MB`): a whole number of days, at least 1.
fn growth_since(spec: &str) -> Result<(u32, &str), ParseError> {
    let bad = || {
        ParseError(format!(
            "invalid value {spec:?}: expected DAYS:SIZE or DAYS:PCT%, e.g. 30:10% or 7:50MB"
        ))
    };
    let (days, size) = spec.split_once(':').ok_or_else(bad)?;
    let days = days.trim();
    let days = days.strip_suffix('d').unwrap_or(days);
    match days.parse::<u32>() {
        Ok(d) if d >= 1 => Ok((d, size)),
        _ => Err(bad()),
    }
}

fn check_glob(glob: &str) -> Result<String, ParseError> {
    if glob.trim().is_empty() {
        return Err(ParseError("empty glob".into()));
    }
    let glob = paths::normalize(glob);
    paths::matcher(&glob).map_err(|e| ParseError(format!("invalid glob {glob:?}: {e}")))?;
    Ok(glob)
}

fn flag_rules(args: &GateArgs) -> Result<Vec<Rule>> {
    let mut rules = Vec::new();
    let singles = [
        ("--max-size", RuleKind::MaxSize, &args.max_size),
        (
            "--max-compressed-size",
            RuleKind::MaxCompressedSize,
            &args.max_compressed_size,
        ),
        (
            "--max-reclaimable",
            RuleKind::MaxReclaimable,
            &args.max_reclaimable,
        ),
        (
            "--min-efficiency",
            RuleKind::MinEfficiency,
            &args.min_efficiency,
        ),
        ("--max-layers", RuleKind::MaxLayers, &args.max_layers),
        ("--max-growth", RuleKind::MaxGrowth, &args.max_growth),
        (
            "--max-plan-saving",
            RuleKind::MaxPlanSaving,
            &args.max_plan_saving,
        ),
        ("--max-pull", RuleKind::MaxPull, &args.max_pull),
    ];
    for (flag, kind, value) in singles {
        if let Some(text) = value {
            let rule = rule_from_text(kind, text, RuleSource::Flag(flag.to_string()))
                .map_err(|e| anyhow!(e).context(flag))?;
            rules.push(rule);
        }
    }
    if args.max_growth.is_some() && args.baseline.is_none() {
        bail!("--max-growth: needs --baseline IMAGE to measure growth against");
    }
    if args.max_pull.is_some() && args.baseline.is_none() {
        bail!("--max-pull: needs --baseline IMAGE, the release a node runs before this one");
    }
    let history = args.baseline.as_deref() == Some(HISTORY_BASELINE);
    for (flag, set) in [
        ("--history-db", args.history_db.is_some()),
        ("--history-name", args.history_name.is_some()),
        ("--baseline-branch", args.baseline_branch.is_some()),
        ("--max-growth-since", args.max_growth_since.is_some()),
    ] {
        if set && !history {
            bail!("{flag}: needs --baseline history (growth is read from the recorded history)");
        }
    }
    if let Some(spec) = &args.max_growth_since {
        let flag = "--max-growth-since";
        let (days, size) = growth_since(spec).map_err(|e| anyhow!(e).context(flag))?;
        let rule = rule_from_text(
            RuleKind::MaxGrowthSince(days),
            size,
            RuleSource::Flag(flag.to_string()),
        )
        .map_err(|e| anyhow!(e).context(flag))?;
        rules.push(rule);
    }
    for spec in &args.max_path_size {
        let flag = "--max-path-size";
        let (glob, size) = path_budget(spec).map_err(|e| anyhow!(e).context(flag))?;
        let rule = rule_from_text(
            RuleKind::MaxPathSize(glob),
            size,
            RuleSource::Flag(flag.to_string()),
        )
        .map_err(|e| anyhow!(e).context(flag))?;
        rules.push(rule);
    }
    Ok(rules)
}

/// A TOML value as rule text: strings as written, numbers in their shortest form.
fn toml_text(key: &str, value: &toml::Value) -> Result<String, ParseError> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        other => Err(ParseError(format!(
            "{key}: expected a string or a number, found {}",
            other.type_str()
        ))),
    }
}

const TOML_KEYS: [(&str, RuleKind); 10] = [
    ("max-size", RuleKind::MaxSize),
    ("max-compressed-size", RuleKind::MaxCompressedSize),
    ("max-reclaimable", RuleKind::MaxReclaimable),
    ("min-efficiency", RuleKind::MinEfficiency),
    ("max-layers", RuleKind::MaxLayers),
    ("max-growth", RuleKind::MaxGrowth),
    ("max-plan-saving", RuleKind::MaxPlanSaving),
    ("max-pull", RuleKind::MaxPull),
    ("max-dive-wasted-bytes", RuleKind::MaxDiveWastedBytes),
    (
        "max-dive-user-wasted-ratio",
        RuleKind::MaxDiveUserWastedRatio,
    ),
];

/// `.imgscope.toml`: rules in a `[gates]` table, per-path budgets in `[gates.paths]`. Other
/// top-level tables are left to whoever reads them.
pub fn imgscope_toml(name: &str, text: &str) -> Result<Vec<Rule>> {
    gates_rules(name, &crate::project_file::parse(text)?)
}

/// The rules of a parsed project file's `[gates]` table (and `[gates.paths]`).
fn gates_rules(name: &str, doc: &toml::Table) -> Result<Vec<Rule>> {
    let Some(gates) = doc.get("gates") else {
        return Ok(Vec::new());
    };
    let Some(gates) = gates.as_table() else {
        bail!("gates: expected a table ([gates])");
    };
    let source = |key: &str| RuleSource::File {
        path: name.to_string(),
        key: format!("gates.{key}"),
    };
    let mut rules = Vec::new();
    for (key, value) in gates {
        if key == "paths" {
            let Some(table) = value.as_table() else {
                bail!("gates.paths: expected a table of GLOB = SIZE");
            };
            for (glob, size) in table {
                let key = format!("gates.paths.{glob:?}");
                let rule = (|| {
                    let text = toml_text(&key, size)?;
                    let glob = check_glob(glob)?;
                    rule_from_text(
                        RuleKind::MaxPathSize(glob),
                        &text,
                        RuleSource::File {
                            path: name.to_string(),
                            key: key.clone(),
                        },
                    )
                })()
                .map_err(|e| anyhow!(e).context(key.clone()))?;
                rules.push(rule);
            }
            continue;
        }
        let Some((_, kind)) = TOML_KEYS.iter().find(|(k, _)| k == key) else {
            let known: Vec<&str> = TOML_KEYS.iter().map(|(k, _)| *k).collect();
            bail!(
                "gates.{key}: unknown rule (known: {}, paths)",
                known.join(", ")
            );
        };
        let full = format!("gates.{key}");
        let text = toml_text(&full, value).map_err(|e| anyhow!(e))?;
        let rule = rule_from_text(kind.clone(), &text, source(key))
            .map_err(|e| anyhow!(e).context(full))?;
        rules.push(rule);
    }
    Ok(rules)
}

/// dive's rule keys, the imgscope rule each maps to, and dive's default when the file omits it.
const DIVE_RULES: [(&str, RuleKind, &str); 3] = [
    ("lowestEfficiency", RuleKind::MinEfficiency, "0.9"),
    (
        "highestWastedBytes",
        RuleKind::MaxDiveWastedBytes,
        "disabled",
    ),
    (
        "highestUserWastedPercent",
        RuleKind::MaxDiveUserWastedRatio,
        "0.1",
    ),
];

/// A `.dive-ci` value the way dive's config library hands it over: as a string.
fn yaml_text(key: &str, value: &serde_norway::Value) -> Result<String> {
    match value {
        serde_norway::Value::String(s) => Ok(s.clone()),
        serde_norway::Value::Number(n) => Ok(n.to_string()),
        serde_norway::Value::Bool(b) => Ok(b.to_string()),
        _ => bail!("{key}: expected a number or a string"),
    }
}

/// dive's `.dive-ci`, mapped so the verdicts are dive's: `lowestEfficiency` → min-efficiency
/// (the same score), `highestWastedBytes` → max-dive-wasted-bytes (dive's wasted bytes, not
/// imgscope's reclaimable bytes), `highestUserWastedPercent` → max-dive-user-wasted-ratio (dive's
/// wasted bytes over the bytes of all layers but the first). A rule the file leaves out gets dive's
/// default (0.9, disabled, 0.1), as dive gives it; `disabled` switches a rule off (SKIP).
pub fn dive_ci(name: &str, text: &str) -> Result<Vec<Rule>> {
    let doc: serde_norway::Value = if text.trim().is_empty() {
        serde_norway::Value::Null
    } else {
        serde_norway::from_str(text).map_err(|e| anyhow!("{}", e.to_string().replace('\n', " ")))?
    };
    let rules_map = match &doc {
        serde_norway::Value::Null => None,
        serde_norway::Value::Mapping(m) => match m.get("rules") {
            None | Some(serde_norway::Value::Null) => None,
            Some(serde_norway::Value::Mapping(r)) => Some(r),
            Some(_) => bail!("rules: expected a mapping"),
        },
        _ => bail!("expected a mapping with a `rules:` key"),
    };
    let mut rules = Vec::new();
    for (key, kind, default) in DIVE_RULES {
        let full = format!("rules.{key}");
        let (text, source) = match rules_map.and_then(|m| m.get(key)) {
            Some(v) => (
                yaml_text(&full, v)?,
                RuleSource::File {
                    path: name.to_string(),
                    key: full.clone(),
                },
            ),
            None => (
                default.to_string(),
                RuleSource::DiveDefault {
                    path: name.to_string(),
                    key: full.clone(),
                },
            ),
        };
        let text = text.trim().to_string();
        if text == "disabled" {
            rules.push(Rule {
                kind,
                threshold: None,
                text,
                source,
            });
            continue;
        }
        // dive's validation: both ratios must lie in 0..1; the size is go-humanize's.
        let threshold = match kind {
            RuleKind::MaxDiveWastedBytes => {
                Threshold::Bytes(parse_size(&text).map_err(|e| anyhow!(e).context(full.clone()))?)
            }
            _ => {
                let v = parse_dive_float(&text).map_err(|e| anyhow!(e).context(full.clone()))?;
                if !(0.0..=1.0).contains(&v) {
                    bail!("{full}: {text} is outside the allowed range 0..1");
                }
                Threshold::Ratio(v)
            }
        };
        rules.push(Rule {
            kind,
            threshold: Some(threshold),
            text,
            source,
        });
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dive_example_maps_to_dive_numbers() {
        let rules = dive_ci(
            ".dive-ci",
            "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: 0.20\n",
        )
        .unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].kind, RuleKind::MinEfficiency);
        assert_eq!(rules[0].threshold, Some(Threshold::Ratio(0.95)));
        assert_eq!(rules[1].kind, RuleKind::MaxDiveWastedBytes);
        assert_eq!(rules[1].threshold, Some(Threshold::Bytes(20_000_000)));
        assert_eq!(rules[2].kind, RuleKind::MaxDiveUserWastedRatio);
        assert_eq!(rules[2].threshold, Some(Threshold::Ratio(0.2)));
        assert!(
            rules
                .iter()
                .all(|r| matches!(r.source, RuleSource::File { .. }))
        );
    }

    #[test]
    fn dive_defaults_fill_missing_rules() {
        for text in ["", "rules:\n", "rules:\n  highestWastedBytes: 1B\n"] {
            let rules = dive_ci(".dive-ci", text).unwrap();
            assert_eq!(rules[0].threshold, Some(Threshold::Ratio(0.9)), "{text:?}");
            assert_eq!(rules[2].threshold, Some(Threshold::Ratio(0.1)), "{text:?}");
            assert!(matches!(rules[0].source, RuleSource::DiveDefault { .. }));
        }
        let rules = dive_ci(".dive-ci", "").unwrap();
        assert_eq!(rules[1].threshold, None);
        let rules = dive_ci(
            ".dive-ci",
            "rules:\n  lowestEfficiency: disabled\n  highestWastedBytes: 1B\n",
        )
        .unwrap();
        assert_eq!(rules[0].threshold, None);
        assert_eq!(rules[1].threshold, Some(Threshold::Bytes(1)));
    }

    #[test]
    fn dive_misconfigurations_are_errors() {
        for text in [
            "rules:\n  lowestEfficiency: 1.1\n",
            "rules:\n  lowestEfficiency: -9\n",
            "rules:\n  highestWastedBytes: 1BB\n",
            "rules:\n  highestUserWastedPercent: 10\n",
            "rules: [1, 2]\n",
            "rules:\n  lowestEfficiency: [0.9]\n",
            "rules: {lowestEfficiency: 0.9\n",
        ] {
            assert!(dive_ci(".dive-ci", text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn toml_rules_and_errors() {
        let rules = imgscope_toml(
            ".imgscope.toml",
            "[gates]\nmax-size = \"150MB\"\nmin-efficiency = 0.95\nmax-layers = 12\n\
             max-reclaimable = \"5%\"\n[gates.paths]\n\"/usr/lib/python3*\" = \"200 MB\"\n\
             [other]\nx = 1\n",
        )
        .unwrap();
        let kinds: Vec<&str> = rules.iter().map(|r| r.kind.name()).collect();
        assert_eq!(
            kinds,
            // TOML tables come back sorted by key; `merge` puts rules in their fixed order.
            [
                "max-layers",
                "max-reclaimable",
                "max-size",
                "min-efficiency",
                "max-path-size"
            ]
        );
        assert_eq!(rules[4].threshold, Some(Threshold::Bytes(200_000_000)));
        let err = |t: &str| format!("{:#}", imgscope_toml("f.toml", t).unwrap_err());
        assert!(err("[gates]\nmax-size = \"15XB\"\n").contains("gates.max-size: invalid size"));
        assert!(err("[gates]\nmax-sise = 1\n").contains("gates.max-sise: unknown rule"));
        assert!(err("[gates]\nmax-size = true\n").contains("expected a string or a number"));
        assert!(err("[gates\n").starts_with("line 1, column"));
        assert!(!err("[gates]\nmax-size = \n").contains('\n'));
        assert!(
            imgscope_toml("f.toml", "[tui]\ntheme = 1\n")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn later_sources_override_earlier_ones() {
        let flag = |kind: RuleKind, text: &str| {
            rule_from_text(kind, text, RuleSource::Flag("--x".into())).unwrap()
        };
        let merged = merge(vec![
            vec![
                flag(RuleKind::MinEfficiency, "0.9"),
                flag(RuleKind::MaxLayers, "3"),
            ],
            vec![
                flag(RuleKind::MaxSize, "1"),
                flag(RuleKind::MinEfficiency, "0.5"),
            ],
        ]);
        assert_eq!(merged.len(), 3);
        assert_eq!(merged[0].kind, RuleKind::MaxSize);
        assert_eq!(merged[1].threshold, Some(Threshold::Ratio(0.5)));
        assert_eq!(merged[2].kind, RuleKind::MaxLayers);
    }

    #[test]
    fn growth_since_specs() {
        assert_eq!(growth_since("30:10%").unwrap(), (30, "10%"));
        assert_eq!(growth_since("7d:50MB").unwrap(), (7, "50MB"));
        for bad in ["30", "0:1MB", "-1:1MB", "x:1MB", ":5%"] {
            assert!(growth_since(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn path_budget_specs() {
        assert_eq!(
            path_budget("usr/lib/python3*=200MB").unwrap(),
            ("/usr/lib/python3*".to_string(), "200MB")
        );
        assert!(path_budget("/usr/lib").is_err());
        assert!(path_budget("=1MB").is_err());
        assert!(path_budget("/a/[b=1MB").is_err());
    }
}
