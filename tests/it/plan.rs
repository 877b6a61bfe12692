//! The trim plan, end to end, with every figure exact: a base shared by two apps, with a package
//! index and docs in its shared layer (trimmed once per node); an image on its own re-bootstrapped
//! copy of the base (same files under another digest: a rebase), whose copy also holds the index
//! (a trim that the rebase already covers: counted once); a duplicate file (a dedup).

use crate::common::*;
use serde_json::Value;

struct Set {
    _dir: tempfile::TempDir,
    /// base, app-a, app-b, own.
    paths: Vec<String>,
    /// diff_ids: base0, base1, app-a, app-b, own0, own-app.
    ids: Vec<String>,
    base1_blob: u64,
}

fn build_set() -> Set {
    let dir = tempfile::tempdir().unwrap();
    let base0 = layer(
        &[file("bin/tool", 40_000, 1), file("etc/os-release", 100, 2)],
        Comp::None,
        "ADD rootfs /",
    );
    let base1 = layer(
        &[
            file("var/lib/apt/lists/index", 30_000, 3),
            file("usr/share/doc/pkg/copyright", 2_000, 4),
        ],
        Comp::Gzip,
        "RUN apt-get update && apt-get install pkg",
    );
    let app_a = layer(
        &[file("app/a.bin", 5_000, 5), file("app/copy.bin", 5_000, 5)],
        Comp::None,
        "COPY a /app",
    );
    let app_b = layer(&[file("app/b.bin", 7_000, 6)], Comp::None, "COPY b /app");
    // The same base files, bootstrapped again: another digest (one more file).
    let own0 = layer(
        &[
            file("bin/tool", 40_000, 1),
            file("etc/os-release", 100, 2),
            file("var/lib/apt/lists/index", 30_000, 3),
            file("etc/hostname", 10, 12),
        ],
        Comp::None,
        "ADD own-rootfs /",
    );
    let own_app = layer(
        &[file("app/own.bin", 1_000, 13)],
        Comp::None,
        "COPY own /app",
    );
    let ids = [&base0, &base1, &app_a, &app_b, &own0, &own_app]
        .iter()
        .map(|l| l.diff_id.clone())
        .collect();
    let base1_blob = base1.blob.len() as u64;
    let images: Vec<(&str, Vec<&BuiltLayer>)> = vec![
        ("set/base:1", vec![&base0, &base1]),
        ("set/app-a:1", vec![&base0, &base1, &app_a]),
        ("set/app-b:1", vec![&base0, &base1, &app_b]),
        ("set/own:1", vec![&own0, &own_app]),
    ];
    let paths = write_image_archives(dir.path(), &images);
    Set {
        _dir: dir,
        paths,
        ids,
        base1_blob,
    }
}

fn report(args: &[&str], paths: &[&str]) -> Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(paths);
    let out = run(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)
}

fn all_paths(set: &Set) -> Vec<&str> {
    set.paths.iter().map(String::as_str).collect()
}

const NODE_COST: u64 = 40_100 + 32_000 + 10_000 + 7_000 + 70_110 + 1_000;

#[test]
fn the_plan_ranks_rebase_trim_and_dedup_with_exact_savings() {
    let set = build_set();
    let v = report(&["--json", "--worth", "0"], &all_paths(&set));
    assert_eq!(v["schema_version"], 3);
    let plan = v["plan"].as_array().unwrap();
    let kinds: Vec<&str> = plan.iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["rebase", "trim", "trim", "dedup", "trim"],
        "{plan:#?}"
    );
    let risks: Vec<&str> = plan.iter().map(|a| a["risk"].as_str().unwrap()).collect();
    // Ranked by saving weighed by risk: the rebase (a rebuild, 70,100 B) counts for 35,050,
    // ahead of the safe trims of 30,000; the docs (a rebuild of 2,000 B) come last.
    assert_eq!(risks, ["rebuild", "safe", "safe", "safe", "rebuild"]);

    // The own image's base is the shared base's files under another digest: all of it goes but
    // the one file only it has (etc/hostname, 10 bytes).
    let rebase = &plan[0];
    assert_eq!(rebase["images"], serde_json::json!(["set/own:1"]));
    assert_eq!(rebase["layers"], serde_json::json!([set.ids[4]]));
    assert_eq!(rebase["node_saving_bytes"], 70_100);
    assert_eq!(rebase["pull_saving_bytes"], 70_100);
    assert_eq!(rebase["detail"]["onto_image"], "set/base:1");
    assert_eq!(rebase["detail"]["onto_base"], "set/base:1");
    assert_eq!(
        rebase["detail"]["onto_layers"],
        serde_json::json!([set.ids[0]])
    );
    assert_eq!(rebase["detail"]["layer_bytes"], 70_110);
    assert_eq!(rebase["detail"]["essential_bytes"], 40_110);
    assert_eq!(rebase["detail"]["matched_bytes"], 40_100);
    assert_eq!(rebase["detail"]["matched_files"], 2);
    assert_eq!(rebase["worth_it"], true);
    let share = rebase["share_of_node_cost"].as_f64().unwrap();
    assert!(
        (share - 70_100.0 / NODE_COST as f64).abs() < 1e-12,
        "{share}"
    );
    assert!(
        rebase["why"]
            .as_str()
            .unwrap()
            .contains("build it FROM set/base:1"),
        "{}",
        rebase["why"]
    );

    // The shared base's index: saved once per node, whatever the number of users; its docs are
    // a rebuild's, an action of their own.
    let trim = &plan[1];
    assert_eq!(
        trim["images"],
        serde_json::json!(["set/base:1", "set/app-a:1", "set/app-b:1"])
    );
    assert_eq!(trim["layers"], serde_json::json!([set.ids[1]]));
    assert_eq!(trim["node_saving_bytes"], 30_000);
    // 30,000 of the layer's 32,000 bytes: that share of its blob is saved on a pull.
    let pull = trim["pull_saving_bytes"].as_u64().unwrap();
    assert_eq!(
        pull,
        (set.base1_blob as f64 * 30_000.0 / 32_000.0).round() as u64
    );
    assert_eq!(trim["detail"]["layer_users"], 3);
    assert_eq!(trim["detail"]["hidden_bytes"], 0);
    assert_eq!(
        trim["detail"]["categories"],
        serde_json::json!([{"category": "package-cache", "bytes": 30_000}])
    );
    assert_eq!(trim["overlap_bytes"], 0);
    let docs = &plan[4];
    assert_eq!(docs["layers"], serde_json::json!([set.ids[1]]));
    assert_eq!(docs["node_saving_bytes"], 2_000);
    assert_eq!(
        docs["detail"]["categories"],
        serde_json::json!([{"category": "docs", "bytes": 2_000}])
    );

    // The index in the own base: inside the rebase, so the total counts it once.
    let own_trim = &plan[2];
    assert_eq!(own_trim["layers"], serde_json::json!([set.ids[4]]));
    assert_eq!(own_trim["node_saving_bytes"], 30_000);
    assert_eq!(own_trim["overlap_bytes"], 30_000);
    assert_eq!(own_trim["overlaps"], serde_json::json!([1]));

    let dedup = &plan[3];
    assert_eq!(dedup["layers"], serde_json::json!([set.ids[2]]));
    assert_eq!(dedup["node_saving_bytes"], 5_000);
    assert_eq!(dedup["detail"]["copies"], 1);
    assert_eq!(dedup["paths"][0]["path"], "/app/copy.bin");
    // 5,000 of 160,210 bytes is 3.1%: below the default 5% share.
    assert_eq!(dedup["worth_it"], false);

    let totals = &v["plan_totals"];
    assert_eq!(totals["node_cost_bytes"], NODE_COST);
    assert_eq!(totals["node_saving_bytes"], 70_100 + 32_000 + 5_000);
    assert_eq!(totals["actions"], 5);
    assert_eq!(totals["worth_it_actions"], 3);
    // Per risk, each file once: safe = the two indexes and the copy; rebuild = the rebase and
    // the docs; with rebuilds = everything (the own index is inside the rebase); no risky action.
    let by_risk = &totals["by_risk"];
    assert_eq!(
        by_risk["safe"]["node_saving_bytes"],
        30_000 + 30_000 + 5_000
    );
    assert_eq!(by_risk["safe"]["cumulative_node_saving_bytes"], 65_000);
    assert_eq!(by_risk["rebuild"]["node_saving_bytes"], 70_100 + 2_000);
    assert_eq!(
        by_risk["rebuild"]["cumulative_node_saving_bytes"],
        70_100 + 32_000 + 5_000
    );
    assert_eq!(by_risk["risky"]["actions"], 0);
    assert_eq!(by_risk["risky"]["node_saving_bytes"], 0);
    assert_eq!(
        by_risk["risky"]["cumulative_node_saving_bytes"],
        totals["node_saving_bytes"]
    );
    assert_eq!(totals["worth_min_bytes"], 0);

    // Verdicts come from the plan.
    let images = v["sharing"]["images"].as_array().unwrap();
    let verdict = |i: usize| images[i]["verdict"].as_str().unwrap().to_string();
    assert!(
        verdict(3).starts_with("worth it: rebase (rebuild) saves 68.5 KiB"),
        "{}",
        verdict(3)
    );
    assert!(
        verdict(2)
            == "own: nothing to trim: no hidden, cache, doc, duplicate or copied-base bytes in its layers; its base set/base:1: trim (safe) 29.3 KiB, saved once per node for all 3 images (2 actions there)",
        "{}",
        verdict(2)
    );
}

#[test]
fn content_pairs_count_shared_layers_and_separate_copies() {
    let set = build_set();
    let v = report(&["--json"], &all_paths(&set));
    let pairs = v["sharing"]["content"]["pairs"].as_array().unwrap();
    let pair = |a: u64, b: u64| {
        pairs
            .iter()
            .find(|p| p["images"] == serde_json::json!([a, b]))
            .unwrap_or_else(|| panic!("no pair {a} {b}: {pairs:#?}"))
    };
    // base and own: the tool, os-release and the index, in layers they do not share.
    assert_eq!(pair(0, 3)["common_bytes"], 70_100);
    assert_eq!(pair(0, 3)["separate_bytes"], 70_100);
    // base and app-a: the whole base, through the layers they share.
    assert_eq!(pair(0, 1)["common_bytes"], 72_100);
    assert_eq!(pair(0, 1)["separate_bytes"], 0);
    // The own image's copies of the base's content, stored a second time.
    assert_eq!(
        v["sharing"]["images"][3]["content_shared_elsewhere_bytes"],
        70_100
    );
}

#[test]
fn worth_thresholds_decide_and_are_reported() {
    let set = build_set();
    let v = report(
        &["--json", "--worth", "50%", "--worth", "1kB"],
        &all_paths(&set),
    );
    let worth: Vec<bool> = v["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["worth_it"].as_bool().unwrap())
        .collect();
    // 70,100 of 160,210 bytes is 44%: below 50%.
    assert_eq!(worth, [false, false, false, false, false]);
    assert_eq!(v["plan_totals"]["worth_min_share"], 0.5);
    assert_eq!(v["plan_totals"]["worth_min_bytes"], 1_000);

    let out = run(&["--json", "--worth", "150%", &set.paths[0]]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--worth") && err.contains("150%"), "{err}");
}

#[test]
fn one_image_is_a_set_of_one() {
    let set = build_set();
    let v = report(&["--json", "--worth", "0"], &[&set.paths[1]]);
    assert!(v.get("sharing").is_none());
    let plan = v["plan"].as_array().unwrap();
    let savings: Vec<(&str, u64)> = plan
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap(),
                a["node_saving_bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        savings,
        [("trim", 30_000), ("dedup", 5_000), ("trim", 2_000)]
    );
    assert_eq!(plan[0]["detail"]["layer_users"], 1);
    assert_eq!(
        v["plan_totals"]["node_cost_bytes"],
        40_100 + 32_000 + 10_000
    );
}

#[test]
fn the_text_report_leads_with_the_plan() {
    let set = build_set();
    // With as many users on each side, the image given first keeps its layer.
    let out = run(&["--text", "--worth", "0", &set.paths[0], &set.paths[3]]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Trim plan: "), "{text}");
    let first_action = text
        .lines()
        .find(|l| l.trim_start().starts_with("1. "))
        .unwrap();
    assert!(
        text.lines().nth(1).unwrap().starts_with("  Saving safe: "),
        "{text}"
    );
    assert!(
        first_action.contains("rebase") && first_action.contains("68.5 KiB per node"),
        "{text}"
    );
    assert!(text.contains("counted once in the total"), "{text}");
    assert!(
        text.find("Trim plan").unwrap() < text.find("Sharing across").unwrap(),
        "{text}"
    );
}

#[test]
fn a_gate_fails_an_image_that_could_shed_too_much() {
    let set = build_set();
    let mut args = vec!["--json", "--max-plan-saving", "50%"];
    args.extend(all_paths(&set));
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rule = |i: usize| v["images"][i]["gates"]["rules"][0].clone();
    // own: rebase and its own trim, 70,100 bytes (counted once) of its 71,110.
    assert_eq!(rule(3)["rule"], "max-plan-saving");
    assert_eq!(rule(3)["verdict"], "fail");
    let value = rule(3)["value"].as_f64().unwrap();
    assert!((value - 70_100.0 / 71_110.0).abs() < 1e-9, "{value}");
    // app-b: the shared base's trims (index and docs), 32,000 of its 79,100 bytes.
    assert_eq!(rule(2)["verdict"], "pass");
    assert!(
        rule(2)["note"].as_str().unwrap().contains("2 plan actions"),
        "{}",
        rule(2)
    );
    // --plan-risk safe: only what is safe counts — own keeps its index trim (30,000 B), not the
    // rebase, and passes.
    let mut args = vec!["--json", "--max-plan-saving", "50%", "--plan-risk", "safe"];
    args.extend(all_paths(&set));
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let own = &v["images"][3]["gates"]["rules"][0];
    assert_eq!(own["verdict"], "pass", "{own}");
    let value = own["value"].as_f64().unwrap();
    assert!((value - 30_000.0 / 71_110.0).abs() < 1e-9, "{value}");
    assert!(
        own["note"].as_str().unwrap().contains("1 plan action"),
        "{own}"
    );
    // A risk that is not one is refused before anything is read.
    let out = run(&[
        "--max-plan-saving",
        "50%",
        "--plan-risk",
        "reckless",
        &set.paths[0],
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// A builder on a base, two apps on the builder, and an image that shares only the base: the
/// builder's layer is named after the builder and the base's after the base, in whatever order the
/// set is given; an app's verdict keeps its own savings apart from its bases'.
#[test]
fn shared_layers_are_named_by_their_base_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let base0 = layer(
        &[
            file("bin/sh", 20_000, 1),
            file("var/lib/apt/lists/base-index", 30_000, 2),
        ],
        Comp::None,
        "ADD rootfs /",
    );
    let builder1 = layer(
        &[
            file("usr/bin/gcc", 50_000, 3),
            file("var/cache/apt/archives/gcc.deb", 60_000, 4),
        ],
        Comp::None,
        "RUN apt-get install gcc",
    );
    let node = layer(
        &[
            file("app/node.js", 5_000, 5),
            file("root/.npm/_cacache/blob", 8_000, 6),
        ],
        Comp::None,
        "COPY . /app",
    );
    let python = layer(&[file("app/main.py", 3_000, 7)], Comp::None, "COPY . /app");
    let other = layer(
        &[file("srv/other", 4_000, 8)],
        Comp::None,
        "COPY other /srv",
    );
    let images: Vec<(&str, Vec<&BuiltLayer>)> = vec![
        ("fleet/base:1", vec![&base0]),
        ("fleet/builder:1", vec![&base0, &builder1]),
        ("fleet/app-node:1", vec![&base0, &builder1, &node]),
        ("fleet/app-python:1", vec![&base0, &builder1, &python]),
        ("fleet/other:1", vec![&base0, &other]),
    ];
    let paths = write_image_archives(dir.path(), &images);
    let mut figures: Option<Vec<(String, u64, String)>> = None;
    for order in [
        [0, 1, 2, 3, 4],
        [2, 3, 1, 0, 4],
        [3, 2, 4, 1, 0],
        [4, 2, 0, 3, 1],
    ] {
        let given: Vec<&str> = order.iter().map(|&k| paths[k].as_str()).collect();
        let v = report(&["--json", "--worth", "0"], &given);
        let plan = v["plan"].as_array().unwrap();
        let trim_of = |diff_id: &str| {
            plan.iter()
                .find(|a| a["action"] == "trim" && a["layers"][0] == diff_id)
                .unwrap_or_else(|| panic!("no trim of {diff_id}: {plan:#?}"))
        };
        let b = trim_of(&builder1.diff_id);
        assert_eq!(
            b["layer_owners"],
            serde_json::json!(["fleet/builder:1"]),
            "{order:?}"
        );
        assert!(
            b["why"]
                .as_str()
                .unwrap()
                .starts_with("layer 1 of fleet/builder:1 (shared by 3 images)"),
            "{order:?}: {}",
            b["why"]
        );
        let base = trim_of(&base0.diff_id);
        assert_eq!(
            base["layer_owners"],
            serde_json::json!(["fleet/base:1"]),
            "{order:?}"
        );
        assert!(
            base["why"]
                .as_str()
                .unwrap()
                .starts_with("layer 0 of fleet/base:1 (shared by 5 images)"),
            "{order:?}: {}",
            base["why"]
        );
        // The app's verdict: its own npm cache first, then each base's part, saved once per node.
        let verdicts: Vec<(String, String)> = v["sharing"]["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["name"].as_str().unwrap().to_string(),
                    i["verdict"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let verdict = |name: &str| {
            verdicts
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let app = verdict("fleet/app-node:1");
        assert!(
            app.starts_with("own: not worth it: at most 7.8 KiB per node (4.4%"),
            "{order:?}: {app}"
        );
        assert!(
            app.contains("its base fleet/builder:1: trim (safe) 58.6 KiB, saved once per node for all 3 images"),
            "{order:?}: {app}"
        );
        assert!(
            app.contains(
                "its base fleet/base:1: trim (safe) 29.3 KiB, saved once per node for all 5 images"
            ),
            "{order:?}: {app}"
        );
        // The base's own verdict names no other base.
        let base_verdict = verdict("fleet/base:1");
        assert!(
            base_verdict.starts_with("worth it: trim (safe)"),
            "{base_verdict}"
        );
        assert!(!base_verdict.contains("its base"), "{base_verdict}");
        // The figures are the plan's, whatever the order.
        let mut now: Vec<(String, u64, String)> = plan
            .iter()
            .map(|a| {
                (
                    a["action"].as_str().unwrap().to_string(),
                    a["node_saving_bytes"].as_u64().unwrap(),
                    a["layers"][0].as_str().unwrap().to_string(),
                )
            })
            .collect();
        now.sort();
        match &figures {
            None => figures = Some(now),
            Some(first) => assert_eq!(&now, first, "{order:?}"),
        }
    }
}
