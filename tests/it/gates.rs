//! CI gates end to end: every rule at its boundary (value just under, equal to and just over the
//! threshold), exit codes 0 / 1 / 2, rules from `.imgscope.toml`, `.dive-ci` and flags with their
//! precedence, dive's own `.dive-ci` example on dive's test image, the JSON `gates` section,
//! GitHub annotations and the Markdown step summary.
//!
//! Every run sets its working directory (where config files are looked for) and clears `CI` and
//! `GITHUB_STEP_SUMMARY`, so the suite behaves the same under `.ci/run`.

use crate::common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Run imgscope in `dir` with a clean CI environment plus `env`.
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env_remove("CI")
        .env_remove("GITHUB_STEP_SUMMARY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The gate image, with numbers chosen to be exact:
/// layer 0: /a 1000 B, /usr/lib/python3.11/b 5000 B; layer 1: /a rewritten (1000 B),
/// /usr/lib/python3/c 3000 B. Size 10,000 B; reclaimable 1,000 B (10%); dive efficiency
/// (1000 + 5000 + 3000) / (2000 + 5000 + 3000) = 0.9; dive wasted bytes 2,000; dive's
/// user-wasted ratio 2000 / 4000 = 0.5; 2 layers; /usr/lib/python3* holds 8,000 B.
fn gate_image(dir: &Path) -> PathBuf {
    let layers = vec![
        layer(
            &[file("a", 1000, 1), file("usr/lib/python3.11/b", 5000, 2)],
            Comp::None,
            "ADD base /",
        ),
        layer(
            &[file("a", 1000, 3), file("usr/lib/python3/c", 3000, 4)],
            Comp::None,
            "RUN build",
        ),
    ];
    let path = dir.join("gate.tar");
    write_tar(&path, &docker_archive_files(&[("gates/app:1", &layers)]));
    path
}

/// The baseline: one layer, /a 1000 B and /usr/lib/python3.11/b 7000 B: 8,000 B, so the gate
/// image grew by 2,000 B, exactly 25%.
fn baseline_image(dir: &Path) -> PathBuf {
    let layers = vec![layer(
        &[file("a", 1000, 1), file("usr/lib/python3.11/b", 7000, 2)],
        Comp::None,
        "ADD base /",
    )];
    let path = dir.join("baseline.tar");
    write_tar(&path, &docker_archive_files(&[("gates/app:0", &layers)]));
    path
}

struct Fixture {
    dir: tempfile::TempDir,
    image: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let image = gate_image(dir.path());
        Fixture { dir, image }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn image(&self) -> &str {
        self.image.to_str().unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        all.push(self.image());
        run_in(self.path(), &all, env)
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).unwrap();
    }

    /// The JSON gate rules of a run with `--json`.
    fn json_rules(&self, args: &[&str]) -> (Option<i32>, Vec<serde_json::Value>) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        let rules = v["images"][0]["gates"]["rules"].as_array().unwrap().clone();
        (out.status.code(), rules)
    }
}

/// Run with one rule flag set to each threshold and check exit status and verdict.
fn check_boundaries(fx: &Fixture, flag: &str, cases: &[(&str, &str)]) {
    for (threshold, verdict) in cases {
        let out = fx.run(&["--ci", flag, threshold]);
        let text = stdout(&out);
        let want = if *verdict == "PASS" { 0 } else { 1 };
        assert_eq!(
            out.status.code(),
            Some(want),
            "{flag} {threshold}: {text}{}",
            stderr(&out)
        );
        let line = text
            .lines()
            .find(|l| l.starts_with("  PASS") || l.starts_with("  FAIL"))
            .unwrap_or_else(|| panic!("no rule line: {text}"));
        assert!(
            line.starts_with(&format!("  {verdict}")),
            "{flag} {threshold}: {line}"
        );
    }
}

#[test]
fn measured_values_are_the_designed_ones() {
    let fx = Fixture::new();
    let (code, rules) = fx.json_rules(&[
        "--max-size",
        "1GB",
        "--max-reclaimable",
        "50%",
        "--min-efficiency",
        "0",
        "--max-layers",
        "9",
        "--max-path-size",
        "/usr/lib/python3*=1GB",
    ]);
    assert_eq!(code, Some(0));
    let value = |name: &str| {
        rules
            .iter()
            .find(|r| r["rule"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))["value"]
            .clone()
    };
    assert_eq!(value("max-size"), 10_000);
    assert_eq!(value("max-reclaimable"), 0.1);
    assert_eq!(value("min-efficiency"), 0.9);
    assert_eq!(value("max-layers"), 2);
    assert_eq!(value("max-path-size"), 8000);
}

#[test]
fn max_size_boundaries() {
    let fx = Fixture::new();
    check_boundaries(
        &fx,
        "--max-size",
        &[
            ("10001", "PASS"),
            ("10000", "PASS"),
            ("10kB", "PASS"),
            ("9999", "FAIL"),
            ("9.999kB", "FAIL"),
        ],
    );
}

#[test]
fn max_compressed_size_boundaries() {
    let fx = Fixture::new();
    let out = fx.run(&["--json"]);
    let c = json_of(&out)["images"][0]["compressed_size_bytes"]
        .as_u64()
        .unwrap();
    let (over, equal, under) = ((c + 1).to_string(), c.to_string(), (c - 1).to_string());
    check_boundaries(
        &fx,
        "--max-compressed-size",
        &[(&over, "PASS"), (&equal, "PASS"), (&under, "FAIL")],
    );
}

#[test]
fn max_reclaimable_boundaries_in_bytes_and_percent() {
    let fx = Fixture::new();
    check_boundaries(
        &fx,
        "--max-reclaimable",
        &[
            ("1001", "PASS"),
            ("1000", "PASS"),
            ("1kB", "PASS"),
            ("999", "FAIL"),
            ("10.01%", "PASS"),
            ("10%", "PASS"),
            ("9.99%", "FAIL"),
        ],
    );
}

#[test]
fn min_efficiency_boundaries() {
    let fx = Fixture::new();
    check_boundaries(
        &fx,
        "--min-efficiency",
        &[
            ("0.8999", "PASS"),
            ("0.9", "PASS"),
            ("90%", "PASS"),
            ("0.9001", "FAIL"),
            ("90.01%", "FAIL"),
        ],
    );
}

#[test]
fn max_layers_boundaries() {
    let fx = Fixture::new();
    check_boundaries(
        &fx,
        "--max-layers",
        &[("3", "PASS"), ("2", "PASS"), ("1", "FAIL")],
    );
}

#[test]
fn max_growth_boundaries_against_a_baseline() {
    let fx = Fixture::new();
    let base = baseline_image(fx.path());
    let base = base.to_str().unwrap();
    for (threshold, code) in [
        ("2001", 0),
        ("2000", 0),
        ("2kB", 0),
        ("1999", 1),
        ("25.01%", 0),
        ("25%", 0),
        ("24.99%", 1),
    ] {
        let out = fx.run(&["--ci", "--baseline", base, "--max-growth", threshold]);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{threshold}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
    // The JSON carries the signed growth and the baseline.
    let (_, rules) = fx.json_rules(&["--baseline", base, "--max-growth", "2000"]);
    assert_eq!(rules[0]["value"], 2000);
    assert_eq!(rules[0]["unit"], "bytes");
    let (_, rules) = fx.json_rules(&["--baseline", base, "--max-growth", "25%"]);
    assert_eq!(rules[0]["value"], 0.25);
    assert_eq!(rules[0]["threshold"], 0.25);
    assert_eq!(rules[0]["unit"], "ratio");
    // Shrinking is never growth: the gate image as the baseline of the (smaller) baseline.
    let out = run_in(
        fx.path(),
        &["--ci", "--baseline", fx.image(), "--max-growth", "0", base],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("-2000 B"), "{}", stdout(&out));
}

#[test]
fn path_budget_boundaries() {
    let fx = Fixture::new();
    check_boundaries(
        &fx,
        "--max-path-size",
        &[
            ("/usr/lib/python3*=8001", "PASS"),
            ("/usr/lib/python3*=8000", "PASS"),
            ("/usr/lib/python3*=8kB", "PASS"),
            ("/usr/lib/python3*=7999", "FAIL"),
            // Only the one directory: 3000 B.
            ("/usr/lib/python3=3000", "PASS"),
            ("/usr/lib/python3=2999", "FAIL"),
            // `**` reaches every level; a matched directory is not counted twice.
            ("/usr/**=9000", "PASS"),
            ("/usr/**=7999", "FAIL"),
            ("/opt/*=0", "PASS"),
        ],
    );
    let out = fx.run(&["--ci", "--max-path-size", "/opt/*=0"]);
    assert!(stdout(&out).contains("no path matched"), "{}", stdout(&out));
}

/// dive's three rules at their boundaries, through a `.dive-ci`.
#[test]
fn dive_rules_boundaries() {
    let fx = Fixture::new();
    let cases = [
        // lowestEfficiency against 0.9
        ("lowestEfficiency: 0.8999", "min-efficiency", "PASS"),
        ("lowestEfficiency: 0.9", "min-efficiency", "PASS"),
        ("lowestEfficiency: 0.9001", "min-efficiency", "FAIL"),
        // highestWastedBytes against dive's 2000 wasted bytes (not imgscope's 1000 reclaimable)
        ("highestWastedBytes: 2001", "max-dive-wasted-bytes", "PASS"),
        ("highestWastedBytes: 2000", "max-dive-wasted-bytes", "PASS"),
        ("highestWastedBytes: 2kB", "max-dive-wasted-bytes", "PASS"),
        ("highestWastedBytes: 1999", "max-dive-wasted-bytes", "FAIL"),
        // highestUserWastedPercent against 2000 / 4000 (the layers above the first)
        (
            "highestUserWastedPercent: 0.5001",
            "max-dive-user-wasted-ratio",
            "PASS",
        ),
        (
            "highestUserWastedPercent: 0.5",
            "max-dive-user-wasted-ratio",
            "PASS",
        ),
        (
            "highestUserWastedPercent: 0.4999",
            "max-dive-user-wasted-ratio",
            "FAIL",
        ),
    ];
    for (rule, name, verdict) in cases {
        // The other two rules disabled, so only this one decides.
        let mut text = String::from("rules:\n");
        for key in [
            "lowestEfficiency",
            "highestWastedBytes",
            "highestUserWastedPercent",
        ] {
            if rule.starts_with(key) {
                text.push_str(&format!("  {rule}\n"));
            } else {
                text.push_str(&format!("  {key}: disabled\n"));
            }
        }
        fx.write(".dive-ci", &text);
        let out = fx.run(&["--ci"]);
        let s = stdout(&out);
        assert_eq!(
            out.status.code(),
            Some(if verdict == "PASS" { 0 } else { 1 }),
            "{rule}: {s}"
        );
        let line = s
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{rule}: {s}"));
        assert!(line.starts_with(&format!("  {verdict}")), "{rule}: {line}");
        assert_eq!(
            s.lines().filter(|l| l.starts_with("  SKIP")).count(),
            2,
            "{s}"
        );
    }
}

/// dive's README example, verbatim, on dive's own test image: dive itself reports efficiency
/// 0.9844 (≥ 0.95: pass), 32,025 wasted bytes (≤ 20 MB: pass) and a user-wasted ratio of
/// 32025 / (1220598 − 1154361) = 0.4835 (> 0.20: fail).
#[test]
fn dive_readme_example_on_dive_test_image() {
    let Some(image) = dive_fixture("test-docker-image.tar") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".dive-ci"),
        "rules:\n  # If the efficiency is measured below X%, mark as failed.\n  \
         # Expressed as a ratio between 0-1.\n  lowestEfficiency: 0.95\n\n  \
         # If the amount of wasted space is at least X or larger than X, mark as failed.\n  \
         # Expressed in B, KB, MB, and GB.\n  highestWastedBytes: 20MB\n\n  \
         # If the amount of wasted space makes up for X% or more of the image, mark as failed.\n  \
         # Note: the base image layer is NOT included in the total image size.\n  \
         # Expressed as a ratio between 0-1; fails if the threshold is met or crossed.\n  \
         highestUserWastedPercent: 0.20\n",
    )
    .unwrap();
    let out = run_in(dir.path(), &["--ci", image.to_str().unwrap()], &[]);
    let s = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{s}{}", stderr(&out));
    assert!(s.contains("Rules from  .dive-ci"), "{s}");
    let verdict = |name: &str| {
        s.lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .unwrap_or_else(|| panic!("{name}: {s}"))[2..6]
            .to_string()
    };
    assert_eq!(verdict("min-efficiency"), "PASS");
    assert_eq!(verdict("max-dive-wasted-bytes"), "PASS");
    assert_eq!(verdict("max-dive-user-wasted-ratio"), "FAIL");

    let out = run_in(
        dir.path(),
        &["--ci", "--json", image.to_str().unwrap()],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = v["images"][0]["gates"]["rules"].as_array().unwrap();
    // dive's score, to the precision the two float sums agree on (see tests/it/dive_fixtures.rs).
    let eff = rules[0]["value"].as_f64().unwrap();
    assert!((eff - 0.9844212134184309).abs() < 1e-9, "{eff}");
    assert_eq!(rules[1]["value"], 32025);
    assert_eq!(rules[1]["threshold"], 20_000_000);
    let ratio = rules[2]["value"].as_f64().unwrap();
    assert_eq!(ratio, 32025.0 / (1_220_598.0 - 1_154_361.0));
}

/// dive's own evaluator test table (runtime/ci/evaluator_test.go) on the same image.
#[test]
fn dive_evaluator_table_on_dive_test_image() {
    let Some(image) = dive_fixture("test-docker-image.tar") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("0.99", "1B", "0.01", 1, ["FAIL", "FAIL", "FAIL"]),
        ("0.9", "50kB", "0.5", 0, ["PASS", "PASS", "PASS"]),
        (
            "disabled",
            "disabled",
            "disabled",
            0,
            ["SKIP", "SKIP", "SKIP"],
        ),
    ];
    for (eff, wasted, pct, code, verdicts) in cases {
        std::fs::write(
            dir.path().join(".dive-ci"),
            format!(
                "rules:\n  lowestEfficiency: {eff}\n  highestWastedBytes: {wasted}\n  \
                 highestUserWastedPercent: {pct}\n"
            ),
        )
        .unwrap();
        let out = run_in(dir.path(), &["--ci", image.to_str().unwrap()], &[]);
        let s = stdout(&out);
        assert_eq!(out.status.code(), Some(code), "{eff}: {s}");
        let got: Vec<&str> = s
            .lines()
            .filter(|l| l.starts_with("  ") && l.len() > 6)
            .map(|l| &l[2..6])
            .collect();
        assert_eq!(got, verdicts, "{s}");
    }
    // dive's "misconfigured" rows are errors here: one line, exit 2.
    for bad in [
        "lowestEfficiency: 1.1",
        "lowestEfficiency: -9",
        "highestWastedBytes: 1BB",
        "highestWastedBytes: -1BB",
        "highestUserWastedPercent: 10",
        "highestUserWastedPercent: -0.1",
    ] {
        std::fs::write(dir.path().join(".dive-ci"), format!("rules:\n  {bad}\n")).unwrap();
        let out = run_in(dir.path(), &["--ci", image.to_str().unwrap()], &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{bad}: {err}");
        assert!(out.stdout.is_empty(), "{bad}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.starts_with("imgscope: .dive-ci: rules."), "{err}");
    }
}

#[test]
fn dive_defaults_apply_to_rules_the_file_leaves_out() {
    let fx = Fixture::new();
    // dive's defaults: lowestEfficiency 0.9 (0.9 here: pass), highestWastedBytes disabled,
    // highestUserWastedPercent 0.1 (0.5 here: fail).
    fx.write(".dive-ci", "rules:\n");
    let out = fx.run(&["--ci"]);
    let s = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{s}");
    assert!(s.contains("(dive's default rules.lowestEfficiency)"), "{s}");
    assert!(
        s.lines()
            .any(|l| l.starts_with("  SKIP  max-dive-wasted-bytes")),
        "{s}"
    );
    assert!(
        s.lines()
            .any(|l| l.starts_with("  FAIL  max-dive-user-wasted-ratio")),
        "{s}"
    );
}

#[test]
fn imgscope_toml_rules_and_precedence() {
    let fx = Fixture::new();
    fx.write(
        ".imgscope.toml",
        "[gates]\nmax-size = \"9999\"\nmin-efficiency = 0.9\nmax-layers = 2\n\
         [gates.paths]\n\"/usr/lib/python3*\" = \"8kB\"\n",
    );
    // .dive-ci's lowestEfficiency 0.95 would fail; .imgscope.toml's 0.9 overrides it.
    fx.write(
        ".dive-ci",
        "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: disabled\n  \
         highestUserWastedPercent: disabled\n",
    );
    let out = fx.run(&["--ci"]);
    let s = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{s}"); // max-size 9999 < 10000
    assert!(s.contains("Rules from  .dive-ci, .imgscope.toml\n"), "{s}");
    assert!(
        s.contains("FAIL  max-size") && s.contains(".imgscope.toml (gates.max-size)"),
        "{s}"
    );
    let eff = s.lines().find(|l| l.contains("min-efficiency")).unwrap();
    assert!(
        eff.starts_with("  PASS") && eff.contains(".imgscope.toml (gates.min-efficiency)"),
        "{eff}"
    );
    assert!(s.contains("PASS  max-path-size /usr/lib/python3*"), "{s}");
    // A flag overrides the file and is named as the source.
    let out = fx.run(&["--ci", "--max-size", "10000"]);
    let s = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(
        s.contains("Rules from  .dive-ci, .imgscope.toml, --max-size\n"),
        "{s}"
    );
    let size = s.lines().find(|l| l.contains(" max-size ")).unwrap();
    assert!(
        size.starts_with("  PASS") && size.ends_with("--max-size"),
        "{size}"
    );
}

#[test]
fn config_flag_reads_one_file_in_either_format() {
    let fx = Fixture::new();
    // Files in the working directory are ignored when --config names another.
    fx.write(".imgscope.toml", "[gates]\nmax-size = \"1\"\n");
    fx.write("ci.toml", "[gates]\nmax-layers = 1\n");
    fx.write(
        "dive.yaml",
        "rules:\n  lowestEfficiency: 0.5\n  highestUserWastedPercent: 0.5\n",
    );
    let out = fx.run(&["--config", "ci.toml"]);
    let s = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{s}");
    assert!(s.contains("Rules from  ci.toml\n"), "{s}");
    assert!(!s.contains("max-size"), "{s}");
    let out = fx.run(&["--config", "dive.yaml"]);
    let s = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{s}");
    assert!(s.contains("Rules from  dive.yaml\n"), "{s}");
    assert!(
        s.contains("dive.yaml (rules.highestUserWastedPercent)"),
        "{s}"
    );
}

fn expect_error(fx: &Fixture, args: &[&str], what: &str, cause: &str) {
    let out = fx.run(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}: {}", stdout(&out));
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(
        err.starts_with(&format!("imgscope: {what}: ")),
        "{args:?}: {err}"
    );
    assert!(err.contains(cause), "{args:?}: expected {cause:?} in {err}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let fx = Fixture::new();
    expect_error(
        &fx,
        &["--max-size", "15XB"],
        "--max-size",
        "unknown unit \"XB\"",
    );
    expect_error(&fx, &["--max-size=-5MB"], "--max-size", "invalid size");
    expect_error(
        &fx,
        &["--max-compressed-size", ""],
        "--max-compressed-size",
        "invalid size",
    );
    expect_error(
        &fx,
        &["--max-reclaimable", "x%"],
        "--max-reclaimable",
        "invalid percentage",
    );
    expect_error(
        &fx,
        &["--min-efficiency", "1.5"],
        "--min-efficiency",
        "between 0 and 1",
    );
    expect_error(
        &fx,
        &["--max-layers", "two"],
        "--max-layers",
        "whole number",
    );
    expect_error(
        &fx,
        &["--max-growth", "5%"],
        "--max-growth",
        "needs --baseline",
    );
    expect_error(
        &fx,
        &["--max-path-size", "/usr"],
        "--max-path-size",
        "GLOB=SIZE",
    );
    expect_error(
        &fx,
        &["--max-path-size", "/a/[b=1MB"],
        "--max-path-size",
        "invalid glob",
    );
    expect_error(
        &fx,
        &["--config", "missing.toml"],
        "missing.toml",
        "No such file",
    );
    expect_error(
        &fx,
        &["--ci", "--baseline", "/nonexistent/base.tar"],
        "--baseline /nonexistent/base.tar",
        "no such file",
    );
    fx.write(".imgscope.toml", "[gates]\nmax-size = \"15XB\"\n");
    expect_error(
        &fx,
        &["--ci"],
        ".imgscope.toml",
        "gates.max-size: invalid size",
    );
    fx.write(".imgscope.toml", "[gates]\nmax-size = \n");
    expect_error(&fx, &["--ci"], ".imgscope.toml", "line 2, column");
    fx.write(".imgscope.toml", "[gates]\nmax_size = \"1MB\"\n");
    expect_error(
        &fx,
        &["--ci"],
        ".imgscope.toml",
        "gates.max_size: unknown rule",
    );
    std::fs::remove_file(fx.path().join(".imgscope.toml")).unwrap();
    fx.write(".dive-ci", "rules: [\n");
    expect_error(&fx, &["--ci"], ".dive-ci", "");
    // A directory where the config should be: unreadable.
    std::fs::remove_file(fx.path().join(".dive-ci")).unwrap();
    std::fs::create_dir(fx.path().join(".dive-ci")).unwrap();
    expect_error(&fx, &["--ci"], ".dive-ci", "");
}

#[test]
fn ci_environment_turns_gating_on_only_when_rules_exist() {
    let fx = Fixture::new();
    // CI=true, stdout not a terminal, nothing configured: the normal summary, exit 0.
    let out = fx.run_env(&[], &[("CI", "true")]);
    assert_eq!(out.status.code(), Some(0));
    // The normal summary: the trim plan, then the image.
    assert!(stdout(&out).starts_with("Trim plan: "), "{}", stdout(&out));
    assert!(stdout(&out).contains("\nImage "), "{}", stdout(&out));
    fx.write(".imgscope.toml", "[gates]\nmax-layers = 1\n");
    // Without CI=true a config file alone does not gate.
    let out = fx.run(&[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with("Trim plan: "));
    assert!(!stdout(&out).contains("max-layers"));
    // With CI=true it does.
    let out = fx.run_env(&[], &[("CI", "true")]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("FAIL  max-layers"),
        "{}",
        stdout(&out)
    );
    // --ci with no rule anywhere: says so, passes.
    std::fs::remove_file(fx.path().join(".imgscope.toml")).unwrap();
    let out = fx.run(&["--ci"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("no rules configured"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn several_images_fail_if_one_fails() {
    let fx = Fixture::new();
    let base = baseline_image(fx.path());
    let out = run_in(
        fx.path(),
        &["--max-size", "9000", base.to_str().unwrap(), fx.image()],
        &[],
    );
    let s = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{s}");
    assert_eq!(s.matches("Gates       ").count(), 2, "{s}");
    assert!(
        s.contains("Result      PASS") && s.contains("Result      FAIL"),
        "{s}"
    );
}

#[test]
fn github_format_annotates_failed_rules_only() {
    let fx = Fixture::new();
    let out = fx.run(&[
        "--format",
        "github",
        "--max-size",
        "9999",
        "--max-layers",
        "5",
        "--max-reclaimable",
        "9.99%",
    ]);
    let s = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{s}");
    let errors: Vec<&str> = s.lines().filter(|l| l.starts_with("::error")).collect();
    assert_eq!(errors.len(), 2, "{s}");
    assert_eq!(
        errors[0],
        "::error title=imgscope max-size::gates/app:1: max-size is 9.8 KiB (10000 B), \
         the limit is ≤ 9999 (from --max-size)"
    );
    // `%` is escaped as GitHub requires.
    assert!(errors[1].contains("10.00%25"), "{}", errors[1]);
}

#[test]
fn summary_file_is_appended_and_step_summary_is_used() {
    let fx = Fixture::new();
    let summary = fx.path().join("summary.md");
    let s = summary.to_str().unwrap();
    for _ in 0..2 {
        let out = fx.run(&["--max-size", "9999", "--max-layers", "2", "--summary", s]);
        assert_eq!(out.status.code(), Some(1));
    }
    let text = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(text.matches("### imgscope gates:").count(), 2, "{text}");
    let first = &text[..text.len() / 2];
    insta::assert_snapshot!("gate_summary_markdown", first);

    let step = fx.path().join("step.md");
    let out = fx.run_env(
        &["--max-layers", "2"],
        &[("GITHUB_STEP_SUMMARY", step.to_str().unwrap())],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&step).unwrap();
    assert!(
        text.starts_with("### imgscope gates: ✅ PASS `gates/app:1`"),
        "{text}"
    );
}

#[test]
fn json_carries_the_evaluation_and_json_out_too() {
    let fx = Fixture::new();
    let base = baseline_image(fx.path());
    fx.write(
        ".dive-ci",
        "rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: 0.20\n",
    );
    let report = fx.path().join("report.json");
    let out = fx.run(&[
        "--json",
        "--json-out",
        report.to_str().unwrap(),
        "--baseline",
        base.to_str().unwrap(),
        "--max-size",
        "150MB",
        "--max-reclaimable",
        "10%",
        "--max-growth",
        "1kB",
        "--max-path-size",
        "/usr/lib/python3*=8kB",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let mut v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let from_file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(v, from_file);
    let gates = &mut v["images"][0]["gates"];
    gates["baseline"]["input"] = "[baseline]".into();
    insta::assert_json_snapshot!("gates_json", gates);
    // Without gating the report has no `gates` key (the schema is unchanged).
    std::fs::remove_file(fx.path().join(".dive-ci")).unwrap();
    let plain = json_of(&fx.run(&["--json"]));
    assert!(plain["images"][0].get("gates").is_none());
}

#[test]
fn image_strings_are_escaped_in_gate_output() {
    let dir = tempfile::tempdir().unwrap();
    let layers = vec![layer(&[file("a", 10, 1)], Comp::None, "ADD a /")];
    let path = dir.path().join("evil.tar");
    write_tar(
        &path,
        &docker_archive_files(&[("evil\u{1b}]52;c;eA==\u{7}/x:1", &layers)]),
    );
    let summary = dir.path().join("s.md");
    let out = run_in(
        dir.path(),
        &[
            "--format",
            "github",
            "--max-size",
            "1",
            "--summary",
            summary.to_str().unwrap(),
            path.to_str().unwrap(),
        ],
        &[],
    );
    let s = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{s}{}", stderr(&out));
    assert!(!s.contains('\u{1b}') && !s.contains('\u{7}'), "{s:?}");
    assert!(s.contains("evil\\x1b]52;c;eA==\\x07/x:1"), "{s}");
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(!md.contains('\u{1b}'), "{md:?}");
}
