//! `imgscope diff`: image pairs built here with exact byte deltas, checked through the JSON
//! document (every number), the layer matching rules, and snapshots of the JSON and the Markdown
//! pull-request comment. Also the library type a viewer reads.

use crate::common::*;

use std::path::{Path, PathBuf};

use imgscope::diff::{ChangeKind, LayerMatch, Side, diff};
use imgscope::pipeline::load::{LoadOptions, Progress, load};

/// OLD: layer 0 "ADD base" (gzip): /etc/os-release 100, /usr/bin/tool 5000,
/// /usr/share/doc/readme 300; layer 1 "COPY app /app": /app/server 4000, /app/config.json 200,
/// /app/old.txt 70. 9,670 bytes.
///
/// NEW: the same layer 0 (same diff_id); layer 1 "COPY app /app": /app/server 4500 (+500),
/// /app/config.json 200 with other bytes (modified), /app/new.txt 50 (added), no /app/old.txt
/// (removed); layer 2 "RUN pip install": /usr/lib/python3/site.py 1000, /tmp/cache.bin 2000;
/// layer 3 "RUN rm": whiteout of /tmp/cache.bin (2,000 new reclaimable bytes). 13,150 bytes.
fn pair(dir: &Path) -> (PathBuf, PathBuf) {
    let base = || {
        layer(
            &[
                file("etc/os-release", 100, 1),
                file("usr/bin/tool", 5000, 2),
                file("usr/share/doc/readme", 300, 3),
            ],
            Comp::Gzip,
            "ADD base /",
        )
    };
    let old = vec![
        base(),
        layer(
            &[
                file("app/server", 4000, 4),
                file("app/config.json", 200, 5),
                file("app/old.txt", 70, 6),
            ],
            Comp::None,
            "COPY app /app",
        ),
    ];
    let new = vec![
        base(),
        layer(
            &[
                file("app/server", 4500, 4),
                file("app/config.json", 200, 7),
                file("app/new.txt", 50, 8),
            ],
            Comp::None,
            "COPY app /app",
        ),
        layer(
            &[
                file("usr/lib/python3/site.py", 1000, 9),
                file("tmp/cache.bin", 2000, 10),
            ],
            Comp::None,
            "RUN pip install",
        ),
        layer(
            &[E::Marker("tmp/.wh.cache.bin")],
            Comp::None,
            "RUN rm /tmp/cache.bin",
        ),
    ];
    (
        docker_archive(dir, "old.tar", "review/app:1", &old),
        docker_archive(dir, "new.tar", "review/app:2", &new),
    )
}

/// `o.tar` (tagged `{repo}:1`) made of `old` and `n.tar` (`{repo}:2`) made of `new`, in `dir`.
fn write_pair(
    dir: &Path,
    repo: &str,
    old: &[BuiltLayer],
    new: &[BuiltLayer],
) -> (PathBuf, PathBuf) {
    (
        docker_archive(dir, "o.tar", &format!("{repo}:1"), old),
        docker_archive(dir, "n.tar", &format!("{repo}:2"), new),
    )
}

fn diff_json(old: &Path, new: &Path) -> serde_json::Value {
    let out = run(&[
        "diff",
        "--json",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    json_of(&out)
}

/// `imgscope diff --format FORMAT OLD NEW`.
fn diff_as(format: &str, old: &Path, new: &Path) -> std::process::Output {
    run(&[
        "diff",
        "--format",
        format,
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ])
}

/// The `files` of a diff document: (change, path, delta_bytes).
fn file_changes(d: &serde_json::Value) -> Vec<(String, String, i64)> {
    d["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["change"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["size"]["delta_bytes"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn compressed(path: &Path) -> u64 {
    json_of(&run(&["--json", path.to_str().unwrap()]))["images"][0]["compressed_size_bytes"]
        .as_u64()
        .unwrap()
}

#[test]
fn totals_and_files_have_exact_deltas() {
    let dir = tempfile::tempdir().unwrap();
    let (o, n) = pair(dir.path());
    let v = diff_json(&o, &n);
    let d = &v["diff"];
    assert_eq!(v["schema_version"], 3);
    assert_eq!(d["old"]["name"], "review/app:1");
    assert_eq!(d["new"]["name"], "review/app:2");
    assert_eq!(d["size"]["old_bytes"], 9670);
    assert_eq!(d["size"]["new_bytes"], 13150);
    assert_eq!(d["size"]["delta_bytes"], 3480);
    let (co, cn) = (compressed(&o), compressed(&n));
    assert_eq!(d["compressed_size"]["old_bytes"], co);
    assert_eq!(d["compressed_size"]["new_bytes"], cn);
    assert_eq!(d["compressed_size"]["delta_bytes"], cn as i64 - co as i64);
    assert_eq!(d["layer_count"]["delta"], 2);
    assert_eq!(d["file_count"]["old"], 6);
    assert_eq!(d["file_count"]["new"], 7);
    assert_eq!(d["hashed"], true);
    assert_eq!(
        d["file_changes"],
        serde_json::json!({"added": 2, "removed": 1, "grown": 1, "shrunk": 0, "modified": 1})
    );
    // Files by impact: the largest absolute change first, then added before removed before grown.
    let files = file_changes(d);
    let want: Vec<(String, String, i64)> = [
        ("added", "/usr/lib/python3/site.py", 1000),
        ("grown", "/app/server", 500),
        ("removed", "/app/old.txt", -70),
        ("added", "/app/new.txt", 50),
        ("modified", "/app/config.json", 0),
    ]
    .iter()
    .map(|(c, p, b)| (c.to_string(), p.to_string(), *b))
    .collect();
    assert_eq!(files, want);
    assert_eq!(d["file_change_count"], 5);
    assert_eq!(d["files"][0]["layer"], 2);
    assert_eq!(d["files"][2]["layer"], 1); // a removal names the old layer
    assert_eq!(d["files"][2]["old_kind"], "file");
    assert_eq!(d["files"][2]["new_kind"], serde_json::Value::Null);
}

#[test]
fn directories_sum_what_changed_below_them() {
    let dir = tempfile::tempdir().unwrap();
    let (o, n) = pair(dir.path());
    let v = diff_json(&o, &n);
    let dirs: Vec<(String, String, i64, u64, u64, u64)> = v["diff"]["directories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["change"].as_str().unwrap().to_string(),
                x["path"].as_str().unwrap().to_string(),
                x["size"]["delta_bytes"].as_i64().unwrap(),
                x["added"].as_u64().unwrap(),
                x["removed"].as_u64().unwrap(),
                x["changed"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, String, i64, u64, u64, u64)> = [
        ("added", "/usr/lib", 1000, 1, 0, 0),
        ("added", "/usr/lib/python3", 1000, 1, 0, 0),
        ("grown", "/usr", 1000, 1, 0, 0),
        ("grown", "/app", 480, 1, 1, 2),
        // /tmp is still there (its file was deleted): a new, empty directory.
        ("added", "/tmp", 0, 0, 0, 0),
    ]
    .iter()
    .map(|(c, p, b, a, r, m)| (c.to_string(), p.to_string(), *b, *a, *r, *m))
    .collect();
    assert_eq!(dirs, want);
}

#[test]
fn layers_are_matched_and_new_waste_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let (o, n) = pair(dir.path());
    let v = diff_json(&o, &n);
    let d = &v["diff"];
    let layers: Vec<(String, serde_json::Value, serde_json::Value, String, i64)> = d["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["change"].as_str().unwrap().to_string(),
                l["old_index"].clone(),
                l["new_index"].clone(),
                l["matched_by"].as_str().unwrap_or("-").to_string(),
                l["size"]["delta_bytes"].as_i64().unwrap(),
            )
        })
        .collect();
    let j = serde_json::Value::from;
    let null = serde_json::Value::Null;
    assert_eq!(
        layers,
        vec![
            ("added".into(), null.clone(), j(2), "-".into(), 3000),
            ("grown".into(), j(1), j(1), "position+command".into(), 480),
            ("added".into(), null.clone(), j(3), "-".into(), 0),
            ("unchanged".into(), j(0), j(0), "diff_id".into(), 0),
        ]
    );
    assert_eq!(d["layers"][1]["size"]["old_bytes"], 4270);
    assert_eq!(d["layers"][1]["size"]["new_bytes"], 4750);
    assert_eq!(d["layers"][3]["compressed_size"]["delta_bytes"], 0);
    assert_eq!(d["layers"][0]["reclaimable"]["new_bytes"], 2000);
    let r = &d["reclaimable"];
    assert_eq!(r["old_bytes"], 0);
    assert_eq!(r["new_bytes"], 2000);
    assert_eq!(r["introduced_bytes"], 2000);
    assert_eq!(r["resolved_bytes"], 0);
    assert_eq!(r["introduced_paths"][0]["path"], "/tmp/cache.bin");
    assert_eq!(r["introduced_paths"][0]["delta_bytes"], 2000);

    // Swapped, the same waste is resolved and every delta changes sign.
    let back = diff_json(&n, &o);
    let b = &back["diff"];
    assert_eq!(b["size"]["delta_bytes"], -3480);
    assert_eq!(b["reclaimable"]["introduced_bytes"], 0);
    assert_eq!(b["reclaimable"]["resolved_bytes"], 2000);
    assert_eq!(
        b["file_changes"],
        serde_json::json!({"added": 1, "removed": 2, "grown": 0, "shrunk": 1, "modified": 1})
    );
}

/// Matching by diff_id first, then position and command, then command alone (a step inserted
/// before it), then position alone (the command changed).
#[test]
fn layer_matching_order() {
    let dir = tempfile::tempdir().unwrap();
    let base = || layer(&[file("base", 100, 1)], Comp::None, "ADD base /");
    let old = vec![
        base(),
        layer(&[file("a", 100, 2)], Comp::None, "RUN step-a"),
        layer(&[file("b", 200, 3)], Comp::None, "RUN step-b"),
        layer(&[file("d", 10, 5)], Comp::None, "RUN apt-get install x"),
    ];
    let new = vec![
        base(),
        layer(&[file("i", 10, 4)], Comp::None, "RUN inserted"),
        layer(&[file("a", 150, 2)], Comp::None, "RUN step-a"),
        layer(&[file("d", 30, 5)], Comp::None, "RUN apt-get install x y"),
        layer(&[file("b", 200, 3)], Comp::None, "RUN step-b"),
    ];
    let (o, n) = write_pair(dir.path(), "m", &old, &new);
    let v = diff_json(&o, &n);
    let mut pairs: Vec<(i64, i64, String, String)> = v["diff"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["old_index"].as_i64().unwrap_or(-1),
                l["new_index"].as_i64().unwrap_or(-1),
                l["matched_by"].as_str().unwrap_or("-").to_string(),
                l["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    pairs.sort();
    assert_eq!(
        pairs,
        vec![
            (-1, 1, "-".into(), "added".into()),
            (0, 0, "diff_id".into(), "unchanged".into()),
            (1, 2, "command".into(), "grown".into()),
            (2, 4, "diff_id".into(), "unchanged".into()),
            (3, 3, "position".into(), "grown".into()),
        ]
    );
}

#[test]
fn type_changes_and_directory_replacements() {
    let dir = tempfile::tempdir().unwrap();
    let old = vec![layer(
        &[
            file("x/inner/f", 300, 1),
            file("x/g", 100, 2),
            E::Symlink("link", "x/g"),
            file("same", 10, 3),
        ],
        Comp::None,
        "ADD /",
    )];
    let new = vec![layer(
        &[
            // The directory /x is now a file; /link points elsewhere; /same gets mode 0755.
            file("x", 40, 4),
            E::Symlink("link", "same"),
            E::FileMode("same".into(), vec![3; 10], 0o755),
        ],
        Comp::None,
        "ADD /",
    )];
    let (o, n) = write_pair(dir.path(), "t", &old, &new);
    let v = diff_json(&o, &n);
    let d = &v["diff"];
    assert_eq!(
        file_changes(d),
        vec![
            ("removed".to_string(), "/x/inner/f".to_string(), -300),
            ("removed".into(), "/x/g".into(), -100),
            ("added".into(), "/x".into(), 40),
            ("modified".into(), "/link".into(), 0),
            ("modified".into(), "/same".into(), 0),
        ]
    );
    let dirs: Vec<(&str, &str, i64)> = d["directories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["change"].as_str().unwrap(),
                x["path"].as_str().unwrap(),
                x["size"]["delta_bytes"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        dirs,
        vec![("removed", "/x", -400), ("removed", "/x/inner", -300)]
    );
}

#[test]
fn identical_images_have_no_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _) = pair(dir.path());
    let v = diff_json(&o, &o);
    let d = &v["diff"];
    assert_eq!(d["size"]["delta_bytes"], 0);
    assert_eq!(d["file_change_count"], 0);
    assert_eq!(d["directory_change_count"], 0);
    assert!(
        d["layers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["change"] == "unchanged")
    );
    let out = diff_as("markdown", &o, &o);
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("All 2 layers unchanged."), "{md}");
    assert!(md.contains("No new reclaimable bytes."), "{md}");
}

#[test]
fn library_diff_marks_the_new_tree() {
    let dir = tempfile::tempdir().unwrap();
    let (o, n) = pair(dir.path());
    let opts = LoadOptions::default();
    let old = load(o.to_str().unwrap(), &opts, &Progress::default()).unwrap();
    let new = load(n.to_str().unwrap(), &opts, &Progress::default()).unwrap();
    let d = diff(
        Side {
            image: &old.image,
            analysis: &old.analysis,
        },
        Side {
            image: &new.image,
            analysis: &new.analysis,
        },
    );
    let marks = d.by_new_node();
    let tree = &new.image.tree;
    let at = |p: &str| marks.get(&tree.lookup(p).unwrap()).copied();
    assert_eq!(at("/app/server"), Some(ChangeKind::Grown));
    assert_eq!(at("/app/new.txt"), Some(ChangeKind::Added));
    assert_eq!(at("/app"), Some(ChangeKind::Grown));
    assert_eq!(at("/usr/lib/python3"), Some(ChangeKind::Added));
    assert_eq!(at("/etc/os-release"), None);
    // The removed file is found through the old tree.
    let removed = d
        .files
        .iter()
        .find(|f| f.change == ChangeKind::Removed)
        .unwrap();
    assert_eq!(
        old.image.tree.path(removed.old_node.unwrap()),
        "/app/old.txt"
    );
    assert_eq!(removed.new_node, None);
    assert_eq!(
        d.layers
            .iter()
            .filter(|l| l.matched_by == Some(LayerMatch::DiffId))
            .count(),
        1
    );
}

fn redact_inputs(v: &mut serde_json::Value) {
    v["diff"]["old"]["input"] = "[old]".into();
    v["diff"]["new"]["input"] = "[new]".into();
    v["tool"]["version"] = "[version]".into();
}

#[test]
fn diff_json_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (o, n) = pair(dir.path());
    let mut v = diff_json(&o, &n);
    redact_inputs(&mut v);
    insta::assert_json_snapshot!("diff_json", v);
}

#[test]
fn diff_markdown_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (o, n) = pair(dir.path());
    let out = diff_as("markdown", &o, &n);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8(out.stdout).unwrap();
    insta::assert_snapshot!("diff_markdown", md);
}

#[test]
fn diff_text_names_everything_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let old = vec![layer(&[file("a", 10, 1)], Comp::None, "ADD /")];
    let new = vec![layer(
        &[file("a", 10, 1), file("evil\u{1b}[2Jname", 20, 2)],
        Comp::None,
        "RUN printf '\u{1b}]0;title\u{7}'",
    )];
    let (o, n) = write_pair(dir.path(), "t", &old, &new);
    for format in ["text", "markdown"] {
        let out = diff_as(format, &o, &n);
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(out.status.success());
        assert!(
            !s.contains('\u{1b}') && !s.contains('\u{7}'),
            "{format}: {s:?}"
        );
        assert!(s.contains("evil\\x1b[2Jname"), "{format}: {s}");
    }
    let out = run(&["diff", o.to_str().unwrap(), n.to_str().unwrap()]);
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(
        s.contains("Size        10 B → 30 B  (+20 B, +200.0%)"),
        "{s}"
    );
}

#[test]
fn diff_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _) = pair(dir.path());
    let out = run(&["diff", o.to_str().unwrap(), "/nonexistent/new.tar"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("imgscope: /nonexistent/new.tar: "), "{err}");
    let out = run(&["diff", "-", "-"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_viewer_opens_only_on_a_terminal_with_no_format_asked_for() {
    use imgscope::cli::DiffFormat;
    use imgscope::settings::diff_output;
    // The main command's rule: the viewer on a terminal; a format flag or a pipe prints.
    assert_eq!(diff_output(false, false, None, true), None);
    assert_eq!(
        diff_output(false, false, None, false),
        Some(DiffFormat::Text)
    );
    assert_eq!(diff_output(false, true, None, true), Some(DiffFormat::Text));
    assert_eq!(diff_output(true, false, None, true), Some(DiffFormat::Json));
    assert_eq!(
        diff_output(false, false, Some(DiffFormat::Markdown), true),
        Some(DiffFormat::Markdown)
    );
    assert_eq!(
        diff_output(false, false, Some(DiffFormat::Text), true),
        Some(DiffFormat::Text)
    );
}

#[test]
fn text_prints_the_text_diff_as_a_pipe_does() {
    let dir = tempfile::tempdir().unwrap();
    let (o, n) = pair(dir.path());
    let (o, n) = (o.to_str().unwrap(), n.to_str().unwrap());
    let piped = run(&["diff", o, n]);
    let text = run(&["diff", "--text", o, n]);
    assert!(text.status.success());
    assert_eq!(text.stdout, piped.stdout);
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("Old         review/app:1"));
    // One format at a time.
    let both = run(&["diff", "--text", "--json", o, n]);
    assert_eq!(both.status.code(), Some(2));
    assert!(both.stdout.is_empty());
}

/// A layer whose config claims another layer's diff_id is matched by what it holds, never by the
/// claim: `diff` shows its changed file, the report says the claim is false — for a compressed
/// layer (hashed as it streams), an uncompressed one (hashed apart from the seeking walk), and
/// again from the layer cache.
#[test]
fn a_claimed_diff_id_is_never_trusted() {
    for comp in [Comp::Gzip, Comp::None] {
        let dir = tempfile::tempdir().unwrap();
        let real = layer(&[file("etc/app.conf", 64, 1)], comp, "COPY app.conf /etc/");
        let changed = layer(&[file("etc/app.conf", 64, 2)], comp, "COPY app.conf /etc/");
        let liar = BuiltLayer {
            diff_id: real.diff_id.clone(),
            ..changed.clone()
        };
        let (o, n) = write_pair(dir.path(), "liar/app", std::slice::from_ref(&real), &[liar]);
        for _warm in 0..2 {
            let v = diff_json(&o, &n);
            let l = &v["diff"]["layers"][0];
            assert_ne!(l["change"], "unchanged", "{comp:?}: {l}");
            assert_ne!(l["matched_by"], "diff_id", "{comp:?}: {l}");
            assert_eq!(
                file_changes(&v["diff"]),
                vec![("modified".to_string(), "/etc/app.conf".to_string(), 0)],
                "{comp:?}"
            );
            let text = String::from_utf8_lossy(
                &run(&["diff", o.to_str().unwrap(), n.to_str().unwrap()]).stdout,
            )
            .into_owned();
            assert!(
                text.contains(&format!(
                    "warning: new layer 0's config claims diff_id {}, its content is {}",
                    real.diff_id, changed.diff_id
                )) && text.contains("0 unchanged"),
                "{comp:?}: {text}"
            );
            let new = json_of(&run(&["--json", n.to_str().unwrap()]));
            let nl = &new["images"][0]["layers"][0];
            assert_eq!(nl["diff_id"], real.diff_id.as_str(), "{comp:?}");
            assert_eq!(nl["diff_id_verified"], false, "{comp:?}");
            assert_eq!(nl["content_diff_id"], changed.diff_id.as_str(), "{comp:?}");
            let old = json_of(&run(&["--json", o.to_str().unwrap()]));
            let ol = &old["images"][0]["layers"][0];
            assert_eq!(ol["diff_id_verified"], true, "{comp:?}");
            assert!(ol["content_diff_id"].is_null(), "{comp:?}");
        }
        // The same content on both sides is still unchanged, by its verified diff_id.
        let (o, n) = write_pair(
            dir.path(),
            "same/app",
            std::slice::from_ref(&real),
            std::slice::from_ref(&real),
        );
        let v = diff_json(&o, &n);
        assert_eq!(v["diff"]["layers"][0]["change"], "unchanged", "{comp:?}");
        assert_eq!(v["diff"]["layers"][0]["matched_by"], "diff_id", "{comp:?}");
    }
}

/// OLD: layer 0 "ADD rootfs /" (bin/tool 40,000); layer 1 "COPY app /app": app/a.bin 5,000 and
/// an identical app/copy.bin (a 5,000-byte dedup); layer 2 "RUN apt-get update": the apt lists,
/// 10,000 (a safe trim). NEW: the same layer 0; layer 1 without the copy; layer 2 with 30,000
/// bytes of lists (the trim grows by 20,000); layer 3 "RUN apt-get install x" leaving a 20,000
/// byte .deb in the apt cache (a safe trim that was not there before).
fn plan_pair(dir: &Path) -> (PathBuf, PathBuf, Vec<BuiltLayer>) {
    let base = || layer(&[file("bin/tool", 40_000, 1)], Comp::Gzip, "ADD rootfs /");
    let old = vec![
        base(),
        layer(
            &[file("app/a.bin", 5_000, 5), file("app/copy.bin", 5_000, 5)],
            Comp::None,
            "COPY app /app",
        ),
        layer(
            &[file("var/lib/apt/lists/index", 10_000, 3)],
            Comp::Gzip,
            "RUN apt-get update",
        ),
    ];
    let new = vec![
        base(),
        layer(&[file("app/a.bin", 5_000, 5)], Comp::None, "COPY app /app"),
        layer(
            &[file("var/lib/apt/lists/index", 30_000, 3)],
            Comp::Gzip,
            "RUN apt-get update",
        ),
        layer(
            &[file("var/cache/apt/archives/x.deb", 20_000, 9)],
            Comp::Gzip,
            "RUN apt-get install x",
        ),
    ];
    let (o, n) = write_pair(dir, "review/plan", &old, &new);
    (o, n, new)
}

/// change, action, risk, old layer, new layer, old and new node saving.
type PlanChangeRow<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Option<u64>,
    Option<u64>,
    u64,
    u64,
);

#[test]
fn the_plans_changes_and_the_pull_old_to_new_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let (o, n, new) = plan_pair(dir.path());
    let v = diff_json(&o, &n);
    let p = &v["diff"]["plan"];
    let changes: Vec<PlanChangeRow<'_>> = p["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
                c["risk"].as_str().unwrap(),
                c["old_layer"].as_u64(),
                c["new_layer"].as_u64(),
                c["node_saving"]["old_bytes"].as_u64().unwrap(),
                c["node_saving"]["new_bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("appeared", "trim", "safe", None, Some(3), 0, 20_000),
            ("grew", "trim", "safe", Some(2), Some(2), 10_000, 30_000),
            ("went_away", "dedup", "safe", Some(1), None, 5_000, 0),
        ],
        "{p:#}"
    );
    assert_eq!(p["unchanged_actions"], 0);
    assert_eq!(p["actions"]["old"], 2);
    assert_eq!(p["actions"]["new"], 2);
    // The totals are each image's own plan totals.
    for (path, side) in [(&o, "old_bytes"), (&n, "new_bytes")] {
        let own = json_of(&run(&["--json", path.to_str().unwrap()]));
        assert_eq!(
            p["node_saving"][side], own["plan_totals"]["node_saving_bytes"],
            "{side}"
        );
        assert_eq!(
            p["pull_saving"][side], own["plan_totals"]["pull_saving_bytes"],
            "{side}"
        );
    }
    assert_eq!(p["node_saving"]["old_bytes"], 15_000);
    assert_eq!(p["node_saving"]["new_bytes"], 50_000);
    let appeared = &p["changes"][0];
    assert!(
        appeared["summary"]
            .as_str()
            .unwrap()
            .starts_with("appeared in NEW's layer 3: 19.5 KiB per node"),
        "{appeared:#}"
    );
    // A node running OLD pulls NEW's layers 1, 2 and 3 (layer 0 it has): their blobs, and
    // 5,000 + 30,000 + 20,000 bytes once unpacked.
    let pull = &v["diff"]["pull"];
    assert_eq!(pull["layers"], serde_json::json!([1, 2, 3]));
    let blobs: u64 = new[1..].iter().map(|l| l.blob.len() as u64).sum();
    assert_eq!(pull["compressed_bytes"], blobs);
    assert_eq!(pull["size_bytes"], 55_000);

    // The text and the Markdown comment say the same.
    let text = String::from_utf8(diff_as("text", &o, &n).stdout).unwrap();
    let pull_line = format!(
        "Pull        {} compressed (53.7 KiB uncompressed) for a node running OLD: 3 layers NEW has and OLD lacks (1, 2, 3)",
        imgscope::text::human_size(blobs)
    );
    assert!(text.contains(&pull_line), "{text}");
    assert!(
        text.contains("Trim plan   saves 14.6 KiB → 48.8 KiB per node"),
        "{text}"
    );
    assert!(
        text.contains("1 appeared, 1 grew, 0 shrank, 1 went away, 0 unchanged"),
        "{text}"
    );
    assert!(
        text.contains("  went away in OLD's layer 1: the safe dedup that saved 4.9 KiB per node"),
        "{text}"
    );
    let md = String::from_utf8(diff_as("markdown", &o, &n).stdout).unwrap();
    assert!(md.contains("### Trim plan\n\n**Pull**: "), "{md}");
    assert!(
        md.contains(
            "- grew in layer 2: the safe trim saves 9.8 KiB → 29.3 KiB per node (+19.5 KiB)"
        ),
        "{md}"
    );
    assert!(md.contains("a safe trim that was not there before"), "{md}");
}

/// A change that adds 40 layers each leaving apt caches (40 trims that appeared) and 3,000
/// identical files with long names (a dedup that appeared), under a long tag: the Markdown comment lists 10 of the plan's changes, cuts the
/// folded lists, and stays within GitHub's 65,536 characters.
#[test]
fn the_markdown_comment_stays_within_githubs_limit_with_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let base = || layer(&[file("bin/tool", 1_000, 1)], Comp::None, "ADD rootfs /");
    let old = vec![base()];
    let mut new = vec![base()];
    for k in 0..40 {
        new.push(layer(
            &[file(
                &format!("var/cache/apt/archives/p{k}.deb"),
                2_000 + k,
                2,
            )],
            Comp::None,
            &format!("RUN apt-get install p{k}"),
        ));
    }
    let many: Vec<E> = (0..3_000)
        .map(|k| {
            file(
                &format!("app/{}/{k}", "long-directory-name".repeat(5)),
                10,
                3,
            )
        })
        .collect();
    new.push(layer(&many, Comp::None, "COPY app /app"));
    let repo = format!("review/{}", "x".repeat(200));
    let (o, n) = write_pair(dir.path(), &repo, &old, &new);
    let out = diff_as("markdown", &o, &n);
    assert!(out.status.success());
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.len() <= 65_536, "{} characters", md.len());
    assert!(md.contains("41 appeared, 0 grew"), "{md}");
    assert_eq!(
        md.matches("\n- appeared in NEW's layer ").count(),
        10,
        "{md}"
    );
    assert!(md.contains("- … 31 more (`imgscope diff --json` lists them)"));
    assert!(md.contains("more not shown (the comment would be too long"));
    // The JSON has every change.
    let v = diff_json(&o, &n);
    assert_eq!(v["diff"]["plan"]["changes"].as_array().unwrap().len(), 41);
    assert_eq!(v["diff"]["pull"]["layers"].as_array().unwrap().len(), 41);
}
