//! Sharing across a set of images, end to end, with every figure exact: one base under two apps,
//! two databases each on its own copy of a base with the same files, reclaimable bytes in a
//! shared layer and in an own layer, and trim candidates.

use crate::common::*;
use serde_json::Value;

struct Set {
    _dir: tempfile::TempDir,
    paths: Vec<String>,
    /// Layer blob lengths: base0, base1, app-a, app-b, db1-base, db1, db2-base, db2.
    blob: Vec<u64>,
}

fn build_set() -> Set {
    let dir = tempfile::tempdir().unwrap();
    let base0 = layer(
        &[file("bin/tool", 40_000, 1), file("etc/os-release", 100, 2)],
        Comp::None,
        "ADD rootfs /",
    );
    // 30,000 bytes of apt lists land in the base and are deleted in the same base's next layer.
    let base1 = layer(
        &[
            file("var/lib/apt/lists/index", 30_000, 3),
            file("usr/share/doc/pkg/copyright", 2_000, 4),
        ],
        Comp::None,
        "RUN apt-get update && apt-get install pkg",
    );
    let base2 = layer(
        &[E::Marker("var/lib/apt/lists/.wh.index")],
        Comp::None,
        "RUN rm -rf /var/lib/apt/lists/*",
    );
    let app_a = layer(&[file("app/a.bin", 5_000, 5)], Comp::None, "COPY a /app");
    let app_b = layer(
        &[file("app/b.bin", 7_000, 6), file("app/b.bin.bak", 3_000, 7)],
        Comp::None,
        "COPY b /app",
    );
    let app_b2 = layer(
        &[E::Marker("app/.wh.b.bin.bak")],
        Comp::None,
        "RUN rm /app/b.bin.bak",
    );
    // Two databases, each on its own base: same 50,000-byte engine, different config.
    let db1_base = layer(
        &[
            file("usr/bin/dbengine", 50_000, 8),
            file("etc/db.conf", 10, 9),
        ],
        Comp::None,
        "ADD db1 /",
    );
    let db1 = layer(
        &[file("var/cache/apt/archives/db.deb", 20_000, 10)],
        Comp::None,
        "RUN apt-get install db",
    );
    let db2_base = layer(
        &[
            file("usr/bin/dbengine", 50_000, 8),
            file("etc/db.conf", 11, 11),
        ],
        Comp::None,
        "ADD db2 /",
    );
    let db2 = layer(
        &[file("var/cache/apt/archives/db.deb", 20_000, 10)],
        Comp::None,
        "RUN apt-get install db",
    );
    let blob = [
        &base0, &base1, &app_a, &app_b, &db1_base, &db1, &db2_base, &db2, &base2, &app_b2,
    ]
    .iter()
    .map(|l| l.blob.len() as u64)
    .collect();
    let images: Vec<(&str, Vec<&BuiltLayer>)> = vec![
        ("set/app-a:1", vec![&base0, &base1, &base2, &app_a]),
        ("set/app-b:1", vec![&base0, &base1, &base2, &app_b, &app_b2]),
        ("set/db-one:1", vec![&db1_base, &db1]),
        ("set/db-two:1", vec![&db2_base, &db2]),
    ];
    let paths = write_image_archives(dir.path(), &images);
    Set {
        _dir: dir,
        paths,
        blob,
    }
}

fn sharing(args: &[&str], set: &Set) -> Value {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(set.paths.iter().map(String::as_str));
    json_of(&run(&all))["sharing"].clone()
}

fn size(v: &Value) -> (u64, Option<u64>) {
    (
        v["compressed_bytes"].as_u64().unwrap(),
        v["size_bytes"].as_u64(),
    )
}

#[test]
fn layer_sharing_figures_are_exact() {
    let set = build_set();
    let b = &set.blob;
    let (base0, base1, app_a, app_b, db1_base, db1, db2_base, db2, base2, app_b2) =
        (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]);
    let s = sharing(&["--json"], &set);
    assert_eq!(s["image_count"], 4);
    // Distinct layers: base0, base1, base2, app-a, app-b, app-b2, db1-base, db1, db2-base, db2
    // (db1 and db2 are byte-identical: one layer).
    assert_eq!(db1, db2);
    assert_eq!(s["distinct_layers"], 9);
    let base = base0 + base1 + base2;
    let sum = (base + app_a) + (base + app_b + app_b2) + (db1_base + db1) + (db2_base + db2);
    let node = base + app_a + app_b + app_b2 + db1_base + db2_base + db1;
    assert_eq!(
        size(&s["sum_of_images"]),
        (sum, Some(72_100 * 2 + 5_000 + 10_000 + 70_010 + 70_011))
    );
    assert_eq!(
        size(&s["node_cost"]),
        (
            node,
            Some(72_100 + 5_000 + 10_000 + 50_010 + 50_011 + 20_000)
        )
    );
    let ratio = s["sharing_ratio"].as_f64().unwrap();
    assert!((ratio - sum as f64 / node as f64).abs() < 1e-12);

    let img = |i: usize| s["images"][i].clone();
    // app-a: shared = the base; unique = its app layer; amortized = base/2 + app.
    assert_eq!(size(&img(0)["total"]), (base + app_a, Some(72_100 + 5_000)));
    assert_eq!(size(&img(0)["shared"]), (base, Some(72_100)));
    assert_eq!(size(&img(0)["unique"]), (app_a, Some(5_000)));
    assert_eq!(
        size(&img(0)["amortized"]),
        (
            base0 / 2 + base1 / 2 + base2 / 2 + app_a,
            Some(40_100 / 2 + 32_000 / 2 + 5_000)
        )
    );
    // db-one: its base is its own; the apt layer is byte-identical to db-two's, so shared.
    assert_eq!(size(&img(2)["shared"]), (db1, Some(20_000)));
    assert_eq!(size(&img(2)["unique"]), (db1_base, Some(50_010)));
    assert_eq!(img(0)["base"], "common base of set/app-a:1 (3 layers)");
    assert_eq!(img(0)["base_layers"], 3);
    assert_eq!(img(2)["base"], Value::Null);

    // The matrix: the base's three layers are used by images 0 and 1.
    let users = |li: usize| s["layers"][li]["images"].clone();
    assert_eq!(users(0), serde_json::json!([0, 1]));
    assert_eq!(users(3), serde_json::json!([0]));
    let bases = s["bases"].as_array().unwrap();
    assert_eq!(bases.len(), 1);
    assert_eq!(bases[0]["images"], serde_json::json!([0, 1]));
    assert_eq!(bases[0]["layers"], 3);

    // Trim value: the 30,000 apt bytes sit in the shared base: saved once per node, not twice.
    let trim = s["trim_value"].as_array().unwrap();
    let apt = trim
        .iter()
        .find(|t| t["reclaimable_bytes"] == 30_000)
        .unwrap();
    assert_eq!(apt["users"], 2);
    assert_eq!(apt["node_savings_bytes"], 30_000);
    assert_eq!(apt["per_image_sum_bytes"], 60_000);
    // app-b's own backup file: 3,000 bytes, saved per image.
    assert!(
        trim.iter()
            .any(|t| t["reclaimable_bytes"] == 3_000 && t["users"] == 1)
    );
    assert_eq!(img(0)["reclaimable_shared_bytes"], 30_000);
    assert_eq!(img(0)["reclaimable_unique_bytes"], 0);
    assert!(
        img(0)["verdict"].as_str().unwrap()
            == "own: nothing to trim: no hidden, cache, doc, duplicate or copied-base bytes in its layers; layers shared by set/app-a:1 and set/app-b:1: trim (safe) 29.3 KiB, saved once per node for both images (2 actions there)",
        "{}",
        img(0)["verdict"]
    );
    assert_eq!(img(1)["reclaimable_unique_bytes"], 3_000);

    // Content: the 50,000-byte engine is the same file in two unshared base layers.
    assert_eq!(s["content"]["shareable_bytes"], 50_000);
    assert_eq!(s["content"]["shareable_files"], 1);
    // Pairs count content in shared layers too: the databases share their .deb layer; the apps
    // share the whole base (its index was deleted, its docs are visible).
    assert_eq!(
        s["content"]["pairs"],
        serde_json::json!([
            {"images": [2, 3], "common_bytes": 70_000, "separate_bytes": 50_000},
            {"images": [0, 1], "common_bytes": 42_100, "separate_bytes": 0}
        ])
    );
    assert_eq!(img(2)["content_shared_elsewhere_bytes"], 50_000);

    // Trim candidates: the docs in the shared base, the .deb cache in the databases' shared layer.
    let cats = |i: usize| img(i)["trim_candidates"].as_array().unwrap().clone();
    let docs = cats(0)
        .into_iter()
        .find(|c| c["category"] == "docs")
        .unwrap();
    assert_eq!(
        (
            docs["bytes"].as_u64(),
            docs["shared_bytes"].as_u64(),
            docs["unique_bytes"].as_u64()
        ),
        (Some(2_000), Some(2_000), Some(0))
    );
    let cache = cats(2)
        .into_iter()
        .find(|c| c["category"] == "package-cache")
        .unwrap();
    assert_eq!(
        (cache["bytes"].as_u64(), cache["shared_bytes"].as_u64()),
        (Some(20_000), Some(20_000))
    );
}

#[test]
fn layers_only_gives_the_same_compressed_sharing() {
    let set = build_set();
    let full = sharing(&["--json"], &set);
    let light = sharing(&["--json", "--layers-only"], &set);
    assert_eq!(
        light["sum_of_images"]["compressed_bytes"],
        full["sum_of_images"]["compressed_bytes"]
    );
    assert_eq!(
        light["node_cost"]["compressed_bytes"],
        full["node_cost"]["compressed_bytes"]
    );
    assert_eq!(light["node_cost"]["size_bytes"], Value::Null);
    assert_eq!(light["distinct_layers"], full["distinct_layers"]);
    for i in 0..4 {
        assert_eq!(
            light["images"][i]["unique"]["compressed_bytes"],
            full["images"][i]["unique"]["compressed_bytes"]
        );
        assert!(
            light["images"][i]["verdict"]
                .as_str()
                .unwrap()
                .starts_with("layers only")
        );
    }
    let mut args = vec!["--json", "--layers-only"];
    args.push(&set.paths[0]);
    let one = json_of(&run(&args));
    assert_eq!(one["images"][0]["analysis"], "layers-only");
    assert_eq!(one["images"][0]["size_bytes"], Value::Null);
    assert_eq!(one["images"][0]["waste"], Value::Null);
    assert!(one["images"][0]["compressed_size_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn images_from_a_file_and_the_text_summary() {
    let set = build_set();
    let list = set._dir.path().join("images.txt");
    std::fs::write(
        &list,
        format!("# the set\n{}\n\n{}\n", set.paths[0], set.paths[1]),
    )
    .unwrap();
    let out = run(&[
        "--text",
        "--images-from",
        list.to_str().unwrap(),
        &set.paths[2],
        &set.paths[3],
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Trim plan: "), "{text}");
    assert!(text.contains("\nSharing across 4 images"), "{text}");
    assert!(text.contains("Layers × images"), "{text}");
    assert!(
        text.contains(
            "set/db-one:1 ↔ set/db-two:1: 68.4 KiB in common, 48.8 KiB of it in separate layers"
        ),
        "{text}"
    );
    let out = run(&["--text", "--images-from", "/nonexistent/list.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--images-from /nonexistent/list.txt"));
}

#[test]
fn assume_base_estimates_the_rebuilt_node_cost() {
    let set = build_set();
    let (db1, db2) = (&set.paths[2], &set.paths[3]);
    let v = json_of(&run(&["--json", "--assume-base", db1, db1, db2]));
    let a = &v["sharing"]["assumed_base"];
    // Now: db1's base 50,010 + db2's base 50,011 + their identical apt layer 20,000 once.
    assert_eq!(a["node_cost_now_bytes"], 120_021);
    // Rebuilt on db-one: its visible 70,010 bytes once, plus db-two's 11-byte config.
    assert_eq!(a["node_cost_bytes"], 70_021);
    assert_eq!(a["saved_bytes"], 50_000);
    assert_eq!(a["image_delta_bytes"], serde_json::json!([0, 11]));
    let out = run(&["--json", "--assume-base", db1, db1]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--assume-base needs two or more images")
    );
}

/// A layer whose config claims another image's layer's diff_id shares nothing with it: layers are
/// told apart by what they were found to hold.
#[test]
fn a_claimed_diff_id_shares_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = layer(&[file("bin/tool", 40_000, 1)], Comp::Gzip, "ADD rootfs /");
    let other = layer(&[file("bin/tool", 40_000, 2)], Comp::Gzip, "ADD rootfs /");
    let liar = BuiltLayer {
        diff_id: base.diff_id.clone(),
        ..other
    };
    let paths = write_image_archives(
        dir.path(),
        &[("honest:1", vec![&base]), ("liar:1", vec![&liar])],
    );
    let v = json_of(&run(&["--json", &paths[0], &paths[1]]));
    let s = &v["sharing"];
    assert_eq!(s["distinct_layers"], 2, "{s}");
    for i in 0..2 {
        assert_eq!(s["images"][i]["shared"]["size_bytes"], 0, "{s}");
    }
}
