//! `imgscope releases` and the `--max-pull` gate end to end, on small constructed series whose
//! every figure is known: a BAD series (the source copied below a dependency layer that is rebuilt
//! each release with the same content) and a GOOD one (the dependency layer reused, the source
//! last).

use crate::common::*;

use std::path::Path;
use std::process::{Command, Output, Stdio};

const DEPS_CMD: &str = "/bin/sh -c npm ci";
const SRC_CMD: &str = "COPY src/ /app/src/";

fn base() -> BuiltLayer {
    layer(&[file("bin/sh", 4000, 1)], Comp::None, "debootstrap")
}

/// The source of release `k`: main.py (100 + k bytes, new content each release) and util.py
/// (50 bytes, never changes).
fn src(k: u8) -> BuiltLayer {
    layer(
        &[
            file("app/src/main.py", 100 + k as usize, k),
            file("app/src/util.py", 50, 9),
        ],
        Comp::None,
        SRC_CMD,
    )
}

/// The dependencies: 3000 + 1000 bytes, the same every time; `stamp` adds an empty file so the
/// layer gets a new digest (as fresh mtimes do).
fn deps(stamp: Option<u8>, cmd: &str) -> BuiltLayer {
    let mut entries = vec![
        file("app/deps/a.js", 3000, 7),
        file("app/deps/b.js", 1000, 8),
    ];
    if let Some(k) = stamp {
        entries.push(E::File(format!("app/deps/.stamp-{k}"), Vec::new()));
    }
    layer(&entries, Comp::None, cmd)
}

struct Series {
    bad: Vec<String>,
    good: Vec<String>,
    /// Per release k (1-based index k-1): the bad series' source and dependency layers.
    bad_layers: Vec<(BuiltLayer, BuiltLayer)>,
    good_src: Vec<BuiltLayer>,
}

fn series(dir: &Path, n: u8, deps_cmd: &str) -> Series {
    let b = base();
    let good_deps = deps(None, deps_cmd);
    let mut s = Series {
        bad: Vec::new(),
        good: Vec::new(),
        bad_layers: Vec::new(),
        good_src: Vec::new(),
    };
    for k in 1..=n {
        let (sl, dl) = (src(k), deps(Some(k), deps_cmd));
        let p = docker_archive(
            dir,
            &format!("bad-{k}.tar"),
            &format!("rel/bad:{k}"),
            &[b.clone(), sl.clone(), dl.clone()],
        );
        s.bad.push(p.display().to_string());
        s.bad_layers.push((sl, dl));
        let gs = src(k);
        let p = docker_archive(
            dir,
            &format!("good-{k}.tar"),
            &format!("rel/good:{k}"),
            &[b.clone(), good_deps.clone(), gs.clone()],
        );
        s.good.push(p.display().to_string());
        s.good_src.push(gs);
    }
    s
}

fn releases(dir: &Path, images: &[String], json: bool) -> Output {
    let cache = dir.join("cache");
    let mut args: Vec<&str> = vec!["releases"];
    if json {
        args.push("--json");
    }
    args.extend(images.iter().map(String::as_str));
    run_in(&cache, &args)
}

fn gate(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env_remove("CI")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .output()
        .unwrap()
}

#[test]
fn the_bad_series_repulls_its_dependencies_every_release() {
    let dir = tempfile::tempdir().unwrap();
    let s = series(dir.path(), 4, DEPS_CMD);
    let v = json_of(&releases(dir.path(), &s.bad, true));
    let r = &v["releases"];
    assert_eq!(r["count"], 4);
    assert_eq!(r["hashed"], true);
    let rows = r["per_release"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["image"], "rel/bad:1");
    assert!(rows[0]["pull_bytes"].is_null());
    assert!(rows[0]["pull_compressed_bytes"].is_null());
    assert!(rows[0]["changed_layers"].is_null());
    let mut total = (0u64, 0u64, 0u64);
    for k in 2..=4u8 {
        let row = &rows[k as usize - 1];
        let (sl, dl) = &s.bad_layers[k as usize - 1];
        // main.py (100 + k) and util.py (50) in the source layer, 4000 bytes of dependencies.
        let pull = 150 + u64::from(k) + 4000;
        let compressed = (sl.blob.len() + dl.blob.len()) as u64;
        assert_eq!(row["image"], format!("rel/bad:{k}"));
        assert_eq!(row["pull_bytes"], pull, "release {k}");
        assert_eq!(row["pull_compressed_bytes"], compressed, "release {k}");
        // util.py and every dependency file: content the node already had.
        assert_eq!(row["already_had_bytes"], 4050, "release {k}");
        assert_eq!(row["new_bytes"], pull - 4050);
        let changed = row["changed_layers"].as_array().unwrap();
        let idx: Vec<u64> = changed
            .iter()
            .map(|l| l["index"].as_u64().unwrap())
            .collect();
        assert_eq!(idx, vec![1, 2]);
        assert_eq!(changed[1]["created_by"], DEPS_CMD);
        assert_eq!(changed[1]["already_had_bytes"], 4000);
        assert_eq!(changed[1]["new_file_count"], 0);
        assert_eq!(changed[0]["new_files"][0]["path"], "/app/src/main.py");
        assert_eq!(changed[0]["layer"], sl.diff_id);
        total.0 += pull;
        total.1 += compressed;
        total.2 += 4050;
    }
    assert_eq!(r["total"]["pull_bytes"], total.0);
    assert_eq!(r["total"]["pull_compressed_bytes"], total.1);
    assert_eq!(r["total"]["already_had_bytes"], total.2);
    assert_eq!(r["mean"]["pull_bytes"], total.0 / 3);
    assert_eq!(r["mean"]["pull_compressed_bytes"], total.1 / 3);
    assert_eq!(r["mean"]["already_had_bytes"], 4050);
    let churn = r["churn"].as_array().unwrap();
    assert_eq!(churn.len(), 3);
    assert_eq!(churn[0]["changed"], 0);
    assert_eq!(churn[1]["changed"], 3);
    assert_eq!(churn[2]["changed"], 3);
    assert_eq!(churn[2]["releases"], 3);
    assert_eq!(churn[2]["new_bytes"], 0);
    assert_eq!(churn[2]["already_had_share"], 1.0);
    assert_eq!(churn[1]["changes"][0]["new_bytes"], 102);
    // The stabilize action: the dependency layer, 4000 bytes a release, named with its command
    // and the file that did change below it.
    let plan = v["plan"].as_array().unwrap();
    let st: Vec<&serde_json::Value> = plan.iter().filter(|a| a["action"] == "stabilize").collect();
    assert_eq!(st.len(), 1, "{plan:#?}");
    let a = st[0];
    assert_eq!(a["risk"], "rebuild");
    assert_eq!(a["per_release_saving_bytes"], 4000);
    assert_eq!(a["node_saving_bytes"], 4000);
    let dl = &s.bad_layers[3].1;
    assert_eq!(a["pull_saving_bytes"], 4000 * dl.blob.len() as u64 / 4000);
    assert_eq!(a["layers"][0], dl.diff_id);
    assert_eq!(a["detail"]["changed_in_releases"], 3);
    assert_eq!(a["detail"]["releases"], 3);
    assert_eq!(a["detail"]["command"], DEPS_CMD);
    let why = a["why"].as_str().unwrap();
    assert!(why.contains("npm ci"), "{why}");
    assert!(why.contains("/app/src/main.py"), "{why}");
    assert!(why.contains("3 of 3 releases"), "{why}");
    // Not counted in what a node stores.
    assert_eq!(v["plan_totals"]["node_saving_bytes"], 0);
}

#[test]
fn the_good_series_pulls_only_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let s = series(dir.path(), 4, DEPS_CMD);
    let v = json_of(&releases(dir.path(), &s.good, true));
    let rows = v["releases"]["per_release"].as_array().unwrap();
    for k in 2..=4u8 {
        let row = &rows[k as usize - 1];
        assert_eq!(row["pull_bytes"], 150 + u64::from(k));
        assert_eq!(
            row["pull_compressed_bytes"],
            s.good_src[k as usize - 1].blob.len() as u64
        );
        assert_eq!(row["already_had_bytes"], 50);
        assert_eq!(row["changed_layers"].as_array().unwrap().len(), 1);
        assert_eq!(row["changed_layers"][0]["index"], 2);
    }
    assert_eq!(v["releases"]["churn"][1]["changed"], 0);
    assert!(
        v["plan"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] != "stabilize"),
        "{:#?}",
        v["plan"]
    );
}

#[test]
fn the_text_report_prices_each_release_and_the_action() {
    let dir = tempfile::tempdir().unwrap();
    let s = series(dir.path(), 3, DEPS_CMD);
    let out = releases(dir.path(), &s.bad, false);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Releases    3 in deploy order"), "{text}");
    assert!(text.contains("first release: pulled whole"), "{text}");
    assert!(text.contains("4.0 KiB"), "{text}");
    assert!(text.contains("stabilize rebuild"), "{text}");
    assert!(text.contains("changed   2 of 2"), "{text}");
}

#[test]
fn one_release_is_not_a_series() {
    let dir = tempfile::tempdir().unwrap();
    let s = series(dir.path(), 1, DEPS_CMD);
    let out = releases(dir.path(), &s.bad, true);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("two releases or more"));
}

#[test]
fn max_pull_fails_a_release_that_repulls_against_the_good_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let s = series(dir.path(), 3, DEPS_CMD);
    let (sl, dl) = &s.bad_layers[2];
    let pulled = (sl.blob.len() + dl.blob.len()) as u64;
    // bad:3 against good:2 pulls its source and its dependency layer.
    let limit = (pulled - 1).to_string();
    let out = gate(
        dir.path(),
        &[
            "--ci",
            "--baseline",
            &s.good[1],
            "--max-pull",
            &limit,
            &s.bad[2],
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL") && text.contains("max-pull"), "{text}");
    assert!(text.contains(&format!("({pulled} B)")), "{text}");
    assert!(
        text.contains("a node running rel/good:2 pulls 2 of 3 layers: layer 2 (RUN npm ci)"),
        "{text}"
    );
    // At the limit it passes; so does the good release against the good baseline.
    let limit = pulled.to_string();
    let out = gate(
        dir.path(),
        &[
            "--ci",
            "--baseline",
            &s.good[1],
            "--max-pull",
            &limit,
            &s.bad[2],
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let good = s.good_src[2].blob.len() as u64;
    let out = gate(
        dir.path(),
        &[
            "--ci",
            "--baseline",
            &s.good[1],
            "--max-pull",
            &good.to_string(),
            &s.good[2],
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The JSON gates section carries it too.
    let out = gate(
        dir.path(),
        &[
            "--ci",
            "--json",
            "--baseline",
            &s.good[1],
            "--max-pull",
            "0",
            &s.bad[2],
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rule = &v["images"][0]["gates"]["rules"][0];
    assert_eq!(rule["rule"], "max-pull");
    assert_eq!(rule["value"], pulled);
}

#[test]
fn max_pull_needs_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let s = series(dir.path(), 1, DEPS_CMD);
    let out = gate(dir.path(), &["--ci", "--max-pull", "1MB", &s.bad[0]]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-pull: needs --baseline"));
}

#[test]
fn max_pull_escapes_the_commands_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "RUN x\n::error::forged\u{1b}[2J\u{9b}31m";
    let s = series(dir.path(), 2, evil);
    let out = gate(
        dir.path(),
        &[
            "--ci",
            "--format",
            "github",
            "--baseline",
            &s.good[0],
            "--max-pull",
            "0",
            &s.bad[1],
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("::error::forged")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("::error") && l.contains("max-pull")),
        "{text}"
    );
    // The releases report escapes it too, in text.
    let out = releases(dir.path(), &s.bad, false);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("::error::forged")),
        "{text}"
    );
}

#[test]
fn a_recorded_series_is_priced_from_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let s = series(dir.path(), 3, DEPS_CMD);
    let db = dir.path().join("h.db");
    let db = db.to_str().unwrap();
    for image in &s.bad {
        let out = gate(
            dir.path(),
            &["record", image, "--into", db, "--name", "rel/bad"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = gate(dir.path(), &["releases", "rel/bad", "--from", db, "--json"]);
    let v = json_of(&out);
    let r = &v["releases"];
    assert_eq!(r["count"], 3);
    assert_eq!(r["estimated"], true);
    assert_eq!(r["unknown_layers"], 0);
    for k in 2..=3u8 {
        let row = &r["per_release"][k as usize - 1];
        let (sl, dl) = &s.bad_layers[k as usize - 1];
        assert_eq!(row["pull_bytes"], 150 + u64::from(k) + 4000);
        assert_eq!(
            row["pull_compressed_bytes"],
            (sl.blob.len() + dl.blob.len()) as u64
        );
        // The dependency layer has the previous one's contents (4000); of the source layer,
        // every content is in the sketches, so util.py's 50 bytes are counted by bytes.
        assert_eq!(row["already_had_bytes"], 4050);
        assert_eq!(row["changed_layers"][1]["already_had_estimated"], true);
        assert!(row["changed_layers"][1]["new_file_count"].is_null());
    }
    let st: Vec<&serde_json::Value> = v["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "stabilize")
        .collect();
    assert_eq!(st.len(), 1);
    assert_eq!(st[0]["per_release_saving_bytes"], 4000);
    // A name with one record is no series.
    let out = gate(
        dir.path(),
        &["record", &s.good[0], "--into", db, "--name", "rel/one"],
    );
    assert!(out.status.success());
    let out = gate(dir.path(), &["releases", "rel/one", "--from", db]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a series needs two or more"));
}

#[test]
fn the_markdown_report_is_a_table_per_release_and_the_action() {
    let dir = tempfile::tempdir().unwrap();
    let s = series(dir.path(), 3, "RUN npm ci | tee log");
    let cache = dir.path().join("cache");
    let mut args = vec!["releases", "--format", "markdown"];
    args.extend(s.bad.iter().map(String::as_str));
    let out = run_in(&cache, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("### What every release costs"), "{md}");
    assert!(
        md.contains("| 0 | `rel/bad:1` | – | – | – | first release |"),
        "{md}"
    );
    assert!(md.contains("| 2 of 2 |"), "{md}");
    assert!(
        md.contains("| stabilize | rebuild | 3.9 KiB | not worth it |"),
        "{md}"
    );
    // A pipe in a command cannot end a cell.
    assert!(md.contains("npm ci \\| tee log"), "{md}");
    assert!(!md.contains("npm ci | tee"), "{md}");
    // The good series: no such action.
    let mut args = vec!["releases", "--format", "markdown"];
    args.extend(s.good.iter().map(String::as_str));
    let md = String::from_utf8(run_in(&cache, &args).stdout).unwrap();
    assert!(md.contains("No layer is rebuilt for nothing"), "{md}");
}

#[test]
fn max_pull_is_read_from_the_project_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = series(dir.path(), 2, DEPS_CMD);
    std::fs::write(
        dir.path().join(".imgscope.toml"),
        "[gates]\nmax-pull = \"10%\"\n",
    )
    .unwrap();
    // bad:2 against good:1 pulls its source and dependency layers: far above 10 % of it.
    let out = gate(dir.path(), &["--ci", "--baseline", &s.good[0], &s.bad[1]]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(".imgscope.toml (gates.max-pull)"), "{text}");
    // Without a baseline the rule has nothing to compare with: skipped, not failed.
    let out = gate(dir.path(), &["--ci", &s.bad[1]]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("SKIP  max-pull"), "{text}");
}

/// The release view on the bad series, drawn into a TestBackend: the series' summary, one bar
/// group and one list row per release, the picked release's layers with their commands and what
/// the node already had, and the stabilize action; keys from the key table.
#[test]
fn the_release_view_charts_each_deploy_and_details_the_picked_release() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use imgscope::analysis::releases::{ReleaseFacts, series as series_of};
    use imgscope::tui::release_chart::ReleaseChart;
    let dir = tempfile::tempdir().unwrap();
    let s = series(dir.path(), 4, DEPS_CMD);
    let facts: Vec<ReleaseFacts> = s
        .bad
        .iter()
        .map(|p| {
            // As `releases` loads them: every file hashed.
            let options = imgscope::pipeline::load::LoadOptions {
                hash_all_files: true,
                ..Default::default()
            };
            let loaded = imgscope::pipeline::load::load(
                p,
                &options,
                &imgscope::pipeline::load::Progress::default(),
            )
            .unwrap();
            ReleaseFacts::of(&loaded.image)
        })
        .collect();
    let series = series_of(&facts);
    let mut view = ReleaseChart::new(&facts, &series, false);
    let render = |view: &ReleaseChart| -> String {
        let mut buf = ratatui::buffer::Buffer::empty(ratatui::layout::Rect::new(0, 0, 120, 36));
        view.draw(buf.area, &mut buf);
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    };
    let screen = render(&view);
    assert!(screen.contains("4 releases · a node pulled"), "{screen}");
    for k in 1..=4 {
        assert!(screen.contains(&format!("#{k} ")), "{screen}");
    }
    // The last release is picked: its dependency layer, rebuilt with the same content.
    assert!(screen.contains("#4 "), "{screen}");
    assert!(screen.contains("npm ci"), "{screen}");
    assert!(screen.contains("100% already had"), "{screen}");
    assert!(screen.contains("stabilize layer"), "{screen}");
    // The first release pulls nothing against a previous one.
    view.update(imgscope::tui::action::Action::Home);
    let screen = render(&view);
    assert!(
        screen.contains("the first release: a node without it pulls all of it"),
        "{screen}"
    );
    // Keys from the table; Ctrl-C quits with status 130's flag.
    view.key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    assert_eq!(view.selected, 1);
    view.key(KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE));
    assert!(view.help);
    assert!(render(&view).contains("Any key closes this help"));
    // Any key closes it, one the table does not bind too.
    view.key(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE));
    assert!(!view.help);
    assert_eq!(view.selected, 1);
    view.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(view.quit && view.interrupted);
}

/// A docker archive of one image whose config says it was created at `created`.
fn archive_created(
    dir: &Path,
    name: &str,
    tag: &str,
    layers: &[BuiltLayer],
    created: &str,
) -> String {
    let mut files = docker_archive_files(&[(tag, layers)]);
    let at = files
        .iter()
        .position(|(n, _)| n.ends_with(".json") && n != "manifest.json")
        .unwrap();
    let mut config: serde_json::Value = serde_json::from_slice(&files[at].1).unwrap();
    config["created"] = created.into();
    let bytes = serde_json::to_vec(&config).unwrap();
    let config_name = format!("{}.json", hex_of(&sha256(&bytes)));
    files[at] = (config_name.clone(), bytes);
    let manifest = files
        .iter_mut()
        .find(|(n, _)| n == "manifest.json")
        .unwrap();
    let mut doc: serde_json::Value = serde_json::from_slice(&manifest.1).unwrap();
    doc[0]["Config"] = config_name.into();
    manifest.1 = serde_json::to_vec(&doc).unwrap();
    let path = dir.join(name);
    write_tar(&path, &files);
    path.display().to_string()
}

/// `releases --all-tags REPO` on a real registry: every tag is a release, ordered by its config's
/// `created` (not by the tag list's order); one tag is no series.
#[test]
fn all_tags_of_a_repository_are_a_series_ordered_by_their_creation() {
    use crate::common::services::Registry;
    let Some(reg) = Registry::start("") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let b = base();
    // Tags a, b, c (the registry lists them so) created in the order b, c, a.
    let made = [
        ("a", 3, "2026-03-01T00:00:00Z"),
        ("b", 1, "2026-01-01T00:00:00Z"),
        ("c", 2, "2026-02-01T00:00:00Z"),
    ];
    for (tag, k, created) in made {
        let archive = archive_created(
            dir.path(),
            &format!("{tag}.tar"),
            &format!("rel/tags:{tag}"),
            &[b.clone(), src(k), deps(Some(k), DEPS_CMD)],
            created,
        );
        if !reg.push(
            &format!("docker-archive:{archive}"),
            &format!("rel/tags:{tag}"),
            None,
        ) {
            return;
        }
    }
    let repo = format!("{}/rel/tags", reg.addr());
    let out = run_in(
        &dir.path().join("cache"),
        &["releases", "--json", "--all-tags", "--plain-http", &repo],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let order: Vec<String> = v["releases"]["per_release"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["image"]
                .as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(order, ["b", "c", "a"], "{v:#}");
    // Each later release re-pulls the stamped dependency layer: the source and the deps.
    assert_eq!(
        v["releases"]["per_release"][0]["pull_bytes"],
        serde_json::Value::Null
    );
    assert!(
        v["releases"]["per_release"][2]["pull_bytes"]
            .as_u64()
            .unwrap()
            > 4000
    );
    // One tag is no series: one line, status 2.
    let one = archive_created(
        dir.path(),
        "one.tar",
        "rel/one:1",
        std::slice::from_ref(&b),
        "2026-01-01T00:00:00Z",
    );
    assert!(reg.push(&format!("docker-archive:{one}"), "rel/one:1", None));
    let out = run_in(
        &dir.path().join("cache"),
        &[
            "releases",
            "--json",
            "--all-tags",
            "--plain-http",
            &format!("{}/rel/one", reg.addr()),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("has one tag: a series needs two or more"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `releases --format html`: the last release's one-file report with the series in it — a row
/// per release, the churn, and the stabilize action in the plan — every image string escaped.
#[test]
fn the_html_report_holds_the_series_and_the_stabilize_action() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "/bin/sh -c npm ci <script>alert(1)</script>";
    let s = series(dir.path(), 3, hostile);
    let mut args: Vec<&str> = vec!["releases", "--format", "html"];
    args.extend(s.bad.iter().map(String::as_str));
    let out = run_in(&dir.path().join("cache"), &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("<h2>What every release costs</h2>"), "{html}");
    // Three releases: the first, then two rows that pulled the stamped dependency layer.
    assert_eq!(html.matches("<td>first release</td>").count(), 1);
    assert!(html.contains("stabilize"), "{html}");
    assert!(
        !html.contains("<script>"),
        "an image string reached the HTML unescaped"
    );
    assert!(html.contains("&lt;script&gt;"), "{html}");
    // From the history there are no files to report on: one line, status 2.
    let db = dir.path().join("h.db");
    for p in &s.bad[..2] {
        let out = run_in(
            &dir.path().join("cache"),
            &[
                "record",
                p,
                "--into",
                db.to_str().unwrap(),
                "--name",
                "rel/bad",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run_in(
        &dir.path().join("cache"),
        &[
            "releases",
            "--format",
            "html",
            "--from",
            db.to_str().unwrap(),
            "rel/bad",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("a record keeps no files"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
