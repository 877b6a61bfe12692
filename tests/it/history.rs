//! The history database end to end, through real SQLite files in temporary directories:
//! `record` and reading back (`history --json` against the image's own `--json` report), the
//! default path, several writers at once, deltas naming the layer that moved, the gate against
//! history (`--baseline history`, `--max-growth`, `--max-growth-since`) with its exit codes, and
//! databases that are not imgscope histories (corrupt, foreign, not SQLite, newer schema).
//!
//! Every run clears the CI variables (`CI`, `GITHUB_*`, `CI_COMMIT_*`) and runs in a temporary
//! directory that is no git repository, so the commit and branch recorded are the test's.

use crate::common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("XDG_CACHE_HOME", test_cache_home())
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("GIT_CEILING_DIRECTORIES", dir)
        .env_remove("GIT_DIR")
        .env_remove("CI");
    for var in [
        "GITHUB_SHA",
        "GITHUB_REF_NAME",
        "CI_COMMIT_SHA",
        "CI_COMMIT_REF_NAME",
        "GITHUB_STEP_SUMMARY",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(dir, args, env).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
}

/// An error: exit 2, one line on stderr naming `file` and saying `cause`, no panic.
fn refused(out: &Output, file: &Path, cause: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("imgscope: "), "{err}");
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert!(err.contains(cause), "wanted {cause:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// The series, with exact sizes (uncompressed layers, so compressed = tar bytes):
/// v1: base /etc/base 1000 B + `RUN build` /app/bin 2000 B = 3000 B;
/// v2: the same base, `RUN build` /app/bin 3000 B (the layer grew by 1000) = 4000 B;
/// v3: v2 plus `COPY assets /assets` /assets/blob 5000 B (a new layer) = 9000 B.
struct Series {
    dir: tempfile::TempDir,
    images: Vec<PathBuf>,
}

const V3_COMMAND: &str = "COPY assets /assets \u{1b}[31m";

impl Series {
    fn new() -> Series {
        let dir = tempfile::tempdir().unwrap();
        let base = layer(&[file("etc/base", 1000, 1)], Comp::None, "ADD base.tar /");
        let build1 = layer(&[file("app/bin", 2000, 2)], Comp::None, "RUN build");
        let build2 = layer(&[file("app/bin", 3000, 3)], Comp::None, "RUN build");
        let assets = layer(&[file("assets/blob", 5000, 4)], Comp::None, V3_COMMAND);
        let images = vec![
            docker_archive(dir.path(), "v1.tar", "hist/app:1", &[base.clone(), build1]),
            docker_archive(
                dir.path(),
                "v2.tar",
                "hist/app:2",
                &[base.clone(), build2.clone()],
            ),
            docker_archive(dir.path(), "v3.tar", "hist/app:3", &[base, build2, assets]),
        ];
        Series { dir, images }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn image(&self, i: usize) -> &str {
        self.images[i].to_str().unwrap()
    }

    fn db(&self) -> PathBuf {
        self.path().join("h.db")
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        run_env(self.path(), args, env)
    }

    /// Record image `i` into [`Series::db`] as if on `branch` at commit `commit`.
    fn record(&self, i: usize, commit: &str, branch: &str) -> Output {
        let db = self.db();
        let out = self.run(
            &["record", self.image(i), "--into", db.to_str().unwrap()],
            &[("GITHUB_SHA", commit), ("GITHUB_REF_NAME", branch)],
        );
        ok(&out);
        out
    }

    fn history_json(&self) -> serde_json::Value {
        let db = self.db();
        let out = self.run(
            &[
                "history",
                "hist/app",
                "--from",
                db.to_str().unwrap(),
                "--json",
            ],
            &[],
        );
        ok(&out);
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// Gate image `i` against the history: exit code and the JSON gate section.
    fn gate(&self, i: usize, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
        let db = self.db();
        let mut all = vec![
            "--json",
            "--baseline",
            "history",
            "--history-db",
            db.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        all.push(self.image(i));
        let out = self.run(&all, &[]);
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        (
            out.status.code(),
            v["images"][0]["gates"].clone(),
            stderr(&out),
        )
    }

    /// Set record `id`'s time to `days_ago` days before now.
    fn age(&self, id: i64, days_ago: i64) {
        let conn = rusqlite::Connection::open(self.db()).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let n = conn
            .execute(
                "UPDATE records SET recorded_at = ?1 WHERE id = ?2",
                rusqlite::params![now - days_ago * 86_400, id],
            )
            .unwrap();
        assert_eq!(n, 1);
    }
}

#[test]
fn record_then_read_back_matches_the_json_report() {
    let s = Series::new();
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let out = s.record(0, commit, "main");
    let line = stdout(&out);
    assert!(line.starts_with("recorded hist/app #1 into "), "{line}");
    assert!(line.contains("commit 0123456789ab on main"), "{line}");

    // What the report says about the same image.
    let report = json_of(&run_env(s.path(), &["--json", s.image(0)], &[]));
    let image = &report["images"][0];

    let h = s.history_json();
    assert_eq!(h["schema_version"], 1);
    assert_eq!(h["name"], "hist/app");
    assert_eq!(h["record_count"], 1);
    let r = &h["records"][0];
    assert_eq!(r["size_bytes"], 3000);
    assert_eq!(r["size_bytes"], image["size_bytes"]);
    assert_eq!(r["compressed_size_bytes"], image["compressed_size_bytes"]);
    assert_eq!(r["file_count"], image["file_count"]);
    assert_eq!(r["reclaimable_bytes"], image["waste"]["reclaimable_bytes"]);
    assert_eq!(r["efficiency"], image["waste"]["efficiency"]);
    assert_eq!(r["config_digest"], image["config_digest"]);
    assert_eq!(r["manifest_digest"], image["manifest_digest"]);
    assert_eq!(r["image_name"], "hist/app:1");
    assert_eq!(r["tag"], "1");
    assert_eq!(r["input"], s.image(0));
    assert_eq!(r["git_commit"], commit);
    assert_eq!(r["git_branch"], "main");
    assert!(r["delta"].is_null());
    for key in [
        "node_cost_bytes",
        "pull_cost_bytes",
        "node_saving_bytes",
        "pull_saving_bytes",
        "actions",
        "worth_it_actions",
    ] {
        assert_eq!(r["plan_totals"][key], report["plan_totals"][key], "{key}");
    }
    assert_eq!(r["plan_totals"]["node_cost_bytes"], 3000);
    let layers = r["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    for (l, want) in layers.iter().zip(image["layers"].as_array().unwrap()) {
        for key in [
            "index",
            "diff_id",
            "digest",
            "size_bytes",
            "compressed_size_bytes",
        ] {
            assert_eq!(l[key], want[key], "{key}");
        }
        assert_eq!(l["created_by"], want["created_by"]);
    }
    assert_eq!(layers[1]["size_bytes"], 2000);
    assert_eq!(layers[1]["created_by"], "RUN build");
    let dirs = r["largest_directories"].as_array().unwrap();
    let want: Vec<_> = image["largest_directories"]
        .as_array()
        .unwrap()
        .iter()
        .take(dirs.len())
        .collect();
    assert!(!dirs.is_empty());
    assert_eq!(dirs.iter().collect::<Vec<_>>(), want);

    // The rows themselves, read with SQLite directly: one transaction wrote them all.
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT COUNT(*) FROM records"), 1);
    assert_eq!(count("SELECT COUNT(*) FROM layers WHERE record_id = 1"), 2);
    assert_eq!(count("PRAGMA user_version"), 2);
    // Every layer's fingerprint (schema 2), for `releases --from`.
    assert_eq!(
        count("SELECT COUNT(*) FROM layer_fingerprints WHERE record_id = 1"),
        2
    );
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn default_path_name_override_and_no_git() {
    let s = Series::new();
    let out = s.run(&["record", s.image(0), "--name", "custom"], &[]);
    ok(&out);
    let default = s.path().join("data/imgscope/history.db");
    assert!(default.is_file(), "{}", stdout(&out));
    assert!(stdout(&out).contains(&default.display().to_string()));
    let out = s.run(&["history", "custom", "--json"], &[]);
    ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["records"][0];
    assert_eq!(r["size_bytes"], 3000);
    // Not a repository, no CI variables: no commit, no branch.
    assert!(r["git_commit"].is_null(), "{r}");
    assert!(r["git_branch"].is_null(), "{r}");
    // An unknown name is an error that lists the known ones.
    let out = s.run(&["history", "hist/app"], &[]);
    refused(&out, &default, "no record named \"hist/app\"");
    assert!(stderr(&out).contains("custom (1)"), "{}", stderr(&out));
}

#[test]
fn series_deltas_name_the_layer_that_moved() {
    let s = Series::new();
    s.record(0, "c1", "main");
    s.record(1, "c2", "main");
    s.record(2, "c3", "main");
    let h = s.history_json();
    assert_eq!(h["record_count"], 3);
    let r = h["records"].as_array().unwrap();
    let sizes: Vec<u64> = r
        .iter()
        .map(|x| x["size_bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [3000, 4000, 9000]);
    assert!(r[0]["delta"].is_null());
    // v1 → v2: the `RUN build` layer grew by 1000 B.
    let d = &r[1]["delta"];
    assert_eq!(d["size_bytes"], 1000);
    // The layers are plain tars: 3000 B of file take 3072 B of tar blocks, 2000 B take 2048.
    assert_eq!(d["compressed_size_bytes"], 1024);
    assert_eq!(d["layer"]["index"], 1);
    assert_eq!(d["layer"]["change"], "grew");
    assert_eq!(d["layer"]["delta_bytes"], 1000);
    assert_eq!(d["layer"]["command"], "RUN build");
    // v2 → v3: a new layer of 5000 B.
    let d = &r[2]["delta"];
    assert_eq!(d["size_bytes"], 5000);
    assert_eq!(d["layer"]["index"], 2);
    assert_eq!(d["layer"]["change"], "appeared");
    assert_eq!(d["layer"]["delta_bytes"], 5000);
    assert_eq!(d["layer"]["command"], V3_COMMAND);
    let commits: Vec<&str> = r
        .iter()
        .map(|x| x["git_commit"].as_str().unwrap())
        .collect();
    assert_eq!(commits, ["c1", "c2", "c3"]);

    // The table: one line per record, the hostile command escaped.
    let db = s.db();
    let out = s.run(
        &["history", "hist/app", "--from", db.to_str().unwrap()],
        &[],
    );
    ok(&out);
    let text = stdout(&out);
    assert!(!text.contains('\u{1b}'), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[1].starts_with("WHEN"), "{text}");
    assert!(
        lines[2].contains("c1") && lines[2].contains("first record"),
        "{text}"
    );
    assert!(
        lines[3].contains("+1000 B; layer 1 grew +1000 B: RUN build"),
        "{text}"
    );
    assert!(
        lines[4].contains("+4.9 KiB; layer 2 new +4.9 KiB: COPY assets /assets \\x1b[31m"),
        "{text}"
    );
}

#[test]
fn concurrent_writers_all_land() {
    let s = Series::new();
    let db = s.db();
    // Four jobs at once on a database none of them has created yet.
    let children: Vec<_> = (0..4)
        .map(|i| {
            let name = format!("job{i}");
            command(
                s.path(),
                &[
                    "record",
                    s.image(i % 3),
                    "--into",
                    db.to_str().unwrap(),
                    "--name",
                    &name,
                ],
                &[],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        ok(&child.wait_with_output().unwrap());
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut stmt = conn
        .prepare("SELECT name, size_bytes FROM records ORDER BY name")
        .unwrap();
    let rows: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        rows,
        [
            ("job0".to_string(), 3000),
            ("job1".to_string(), 4000),
            ("job2".to_string(), 9000),
            ("job3".to_string(), 3000)
        ]
    );
    let layers: i64 = conn
        .query_row("SELECT COUNT(*) FROM layers", [], |r| r.get(0))
        .unwrap();
    assert_eq!(layers, 2 + 2 + 3 + 2);
}

#[test]
fn gate_against_the_default_branch() {
    let s = Series::new();
    s.record(0, "c1", "main"); // 3000 B
    s.record(1, "c2", "feature"); // 4000 B: not the default branch
    // v3 (9000 B) against the last record on main: v1, +6000 B (+200%).
    let (code, gates, err) = s.gate(2, &["--max-growth", "6000"]);
    assert_eq!(code, Some(0), "{gates} {err}");
    assert_eq!(gates["baseline"]["size_bytes"], 3000);
    let baseline = gates["baseline"]["name"].as_str().unwrap();
    assert!(baseline.starts_with("hist/app #1 ("), "{baseline}");
    assert!(baseline.contains("commit c1 on main"), "{baseline}");
    assert_eq!(gates["rules"][0]["rule"], "max-growth");
    assert_eq!(gates["rules"][0]["verdict"], "pass");
    assert_eq!(gates["rules"][0]["value"], 6000);
    let (code, gates, _) = s.gate(2, &["--max-growth", "5999"]);
    assert_eq!(code, Some(1));
    assert_eq!(gates["rules"][0]["verdict"], "fail");
    let (code, _, _) = s.gate(2, &["--max-growth", "200%"]);
    assert_eq!(code, Some(0));
    let (code, _, _) = s.gate(2, &["--max-growth", "199.9%"]);
    assert_eq!(code, Some(1));
    // Another branch when asked: v2, +5000 B.
    let (code, gates, _) = s.gate(2, &["--baseline-branch", "feature", "--max-growth", "5000"]);
    assert_eq!(code, Some(0), "{gates}");
    assert_eq!(gates["rules"][0]["value"], 5000);
    let (code, _, _) = s.gate(2, &["--baseline-branch", "feature", "--max-growth", "4999"]);
    assert_eq!(code, Some(1));
    // A name with no record: the rule is skipped (the gate passes) and says why.
    let (code, gates, _) = s.gate(2, &["--history-name", "other", "--max-growth", "0"]);
    assert_eq!(code, Some(0), "{gates}");
    assert_eq!(gates["rules"][0]["verdict"], "skip");
    let note = gates["rules"][0]["note"].as_str().unwrap();
    assert!(note.contains("no record of other in "), "{note}");

    // The text output: the verdict line and the recorded baseline.
    let db = s.db();
    let out = s.run(
        &[
            "--ci",
            "--baseline",
            "history",
            "--history-db",
            db.to_str().unwrap(),
            "--max-growth",
            "5999",
            s.image(2),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("Baseline    hist/app #1 ("), "{text}");
    assert!(text.contains("  FAIL  max-growth"), "{text}");
}

#[test]
fn gate_on_records_without_branches_takes_the_last() {
    let s = Series::new();
    let db = s.db();
    for i in [0, 1] {
        let out = s.run(&["record", s.image(i), "--into", db.to_str().unwrap()], &[]);
        ok(&out);
    }
    let (code, gates, _) = s.gate(2, &["--max-growth", "5000"]);
    assert_eq!(code, Some(0), "{gates}");
    assert_eq!(gates["baseline"]["size_bytes"], 4000);
    let (code, _, _) = s.gate(2, &["--max-growth", "4999"]);
    assert_eq!(code, Some(1));
}

#[test]
fn growth_since_days() {
    let s = Series::new();
    s.record(0, "c1", "main"); // #1, 3000 B
    s.record(1, "c2", "main"); // #2, 4000 B
    s.age(1, 10);
    s.age(2, 2);
    // The last 7 days: #2, +5000 B.
    let (code, gates, err) = s.gate(2, &["--max-growth-since", "7:5000"]);
    assert_eq!(code, Some(0), "{gates} {err}");
    let rule = &gates["rules"][0];
    assert_eq!(rule["rule"], "max-growth-since");
    assert_eq!(rule["value"], 5000);
    assert!(
        rule["note"].as_str().unwrap().contains("since hist/app #2"),
        "{rule}"
    );
    let (code, _, _) = s.gate(2, &["--max-growth-since", "7d:4999"]);
    assert_eq!(code, Some(1));
    // The last 30 days reach #1: +6000 B, +200%.
    let (code, gates, _) = s.gate(2, &["--max-growth-since", "30:6000"]);
    assert_eq!(code, Some(0));
    assert_eq!(gates["rules"][0]["value"], 6000);
    let (code, _, _) = s.gate(2, &["--max-growth-since", "30:5999"]);
    assert_eq!(code, Some(1));
    let (code, _, _) = s.gate(2, &["--max-growth-since", "30:199%"]);
    assert_eq!(code, Some(1));
    // Both rules at once: growth over the last record (#2) passes, over 30 days fails.
    let (code, gates, _) = s.gate(
        2,
        &["--max-growth", "5000", "--max-growth-since", "30:5999"],
    );
    assert_eq!(code, Some(1));
    assert_eq!(gates["rules"][0]["verdict"], "pass");
    assert_eq!(gates["rules"][1]["verdict"], "fail");
    // Nothing in the last day: skipped, not failed.
    let (code, gates, _) = s.gate(2, &["--max-growth-since", "1:1B"]);
    assert_eq!(code, Some(0));
    assert_eq!(gates["rules"][0]["verdict"], "skip");
    assert!(
        gates["rules"][0]["note"]
            .as_str()
            .unwrap()
            .contains("in the last 1 days"),
        "{gates}"
    );
}

#[test]
fn history_flags_need_the_history_baseline() {
    let s = Series::new();
    for (args, want) in [
        (
            vec!["--max-growth-since", "7:1MB"],
            "--max-growth-since: needs --baseline history",
        ),
        (
            vec!["--baseline-branch", "main", "--max-size", "1GB"],
            "--baseline-branch: needs --baseline history",
        ),
        (
            vec!["--baseline", "history", "--max-growth-since", "0:1MB"],
            "--max-growth-since: invalid value",
        ),
    ] {
        let mut all = args.clone();
        all.push(s.image(0));
        let out = s.run(&all, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(want), "{args:?}: {}", stderr(&out));
    }
    // A gate against a database that does not exist is an error, not a pass.
    let missing = s.path().join("none.db");
    let out = s.run(
        &[
            "--baseline",
            "history",
            "--history-db",
            missing.to_str().unwrap(),
            "--max-growth",
            "1MB",
            s.image(0),
        ],
        &[],
    );
    refused(&out, &missing, "no such file");
}

/// Each command that reads or writes the database, on `db`.
fn every_command(s: &Series, db: &Path) -> Vec<Output> {
    let db = db.to_str().unwrap();
    vec![
        s.run(&["record", s.image(0), "--into", db], &[]),
        s.run(&["history", "hist/app", "--from", db], &[]),
        s.run(
            &[
                "--baseline",
                "history",
                "--history-db",
                db,
                "--max-growth",
                "1MB",
                s.image(0),
            ],
            &[],
        ),
    ]
}

#[test]
fn not_a_history_database_is_refused() {
    let s = Series::new();
    // Not SQLite at all.
    let text = s.path().join("notes.db");
    std::fs::write(&text, "this is a text file, not a database at all\n").unwrap();
    for out in every_command(&s, &text) {
        refused(&out, &text, "not an SQLite database");
    }
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "this is a text file, not a database at all\n"
    );

    // Another program's SQLite database.
    let foreign = s.path().join("foreign.db");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER, email TEXT); INSERT INTO users VALUES (1, 'a');",
        )
        .unwrap();
    }
    for out in every_command(&s, &foreign) {
        refused(
            &out,
            &foreign,
            "an SQLite database of something else (tables: users)",
        );
    }
    let conn = rusqlite::Connection::open(&foreign).unwrap();
    let tables: i64 = conn
        .query_row("SELECT COUNT(*) FROM sqlite_master", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 1, "the foreign database was left as it was");

    // One marked as another application's.
    let marked = s.path().join("marked.db");
    {
        let conn = rusqlite::Connection::open(&marked).unwrap();
        conn.execute_batch("PRAGMA application_id = 1234;").unwrap();
    }
    for out in every_command(&s, &marked) {
        refused(&out, &marked, "another application's SQLite database");
    }
}

#[test]
fn corrupt_and_newer_databases_are_refused() {
    let s = Series::new();
    s.record(0, "c1", "main");
    let db = s.db();
    let good = std::fs::read(&db).unwrap();
    assert!(good.len() >= 4096, "{}", good.len());

    // The header kept, the first page (the schema) overwritten.
    let corrupt = s.path().join("corrupt.db");
    let mut bytes = good.clone();
    for b in &mut bytes[100..4096] {
        *b = 0xa5;
    }
    std::fs::write(&corrupt, &bytes).unwrap();
    for out in every_command(&s, &corrupt) {
        refused(&out, &corrupt, "corrupt database");
    }

    // Cut short in the middle of a page.
    let truncated = s.path().join("truncated.db");
    std::fs::write(&truncated, &good[..good.len() - 1000]).unwrap();
    for out in every_command(&s, &truncated) {
        refused(&out, &truncated, "corrupt database");
    }

    // A newer schema: refused by every command, left as it was.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("PRAGMA user_version = 99;").unwrap();
    }
    for out in every_command(&s, &db) {
        refused(
            &out,
            &db,
            "written by a newer imgscope (history schema version 99",
        );
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM records", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn commit_and_branch_from_the_working_directory_repository() {
    let s = Series::new();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(s.path())
            .env("GIT_CEILING_DIRECTORIES", s.path().parent().unwrap())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .env_remove("GIT_DIR")
            .output();
        match out {
            Ok(o) if o.status.success() => Some(String::from_utf8(o.stdout).unwrap()),
            Ok(o) => panic!("git {args:?}: {}", String::from_utf8_lossy(&o.stderr)),
            Err(_) => None,
        }
    };
    if git(&["--version"]).is_none() {
        eprintln!("SKIPPED: no git on PATH");
        return;
    }
    git(&["init", "-q", "-b", "trunk"]);
    git(&["commit", "-q", "--allow-empty", "-m", "one"]);
    let head = git(&["rev-parse", "HEAD"]).unwrap().trim().to_string();
    let db = s.db();
    let record = |env: &[(&str, &str)]| {
        // This test's repository is the temporary directory itself: let git find it.
        let mut cmd = command(
            s.path(),
            &["record", s.image(0), "--into", db.to_str().unwrap()],
            env,
        );
        cmd.env("GIT_CEILING_DIRECTORIES", s.path().parent().unwrap());
        ok(&cmd.output().unwrap());
    };
    record(&[]);
    // CI variables win over the repository.
    record(&[
        ("CI_COMMIT_SHA", "feedface"),
        ("CI_COMMIT_REF_NAME", "main"),
    ]);
    let h = s.history_json();
    let r = h["records"].as_array().unwrap();
    assert_eq!(r[0]["git_commit"], head.as_str());
    assert_eq!(r[0]["git_branch"], "trunk");
    assert_eq!(r[1]["git_commit"], "feedface");
    assert_eq!(r[1]["git_branch"], "main");
}

#[test]
fn damaged_rows_and_unnamed_images_are_errors() {
    let s = Series::new();
    s.record(0, "c1", "main");
    let db = s.db();
    // Marked as a history, schema intact, but a value of the wrong type in a row.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("UPDATE records SET size_bytes = 'lots'", [])
            .unwrap();
    }
    let out = s.run(
        &["history", "hist/app", "--from", db.to_str().unwrap()],
        &[],
    );
    refused(&out, &db, "size_bytes");
    // A table gone.
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute("UPDATE records SET size_bytes = 1", [])
            .unwrap();
        conn.execute_batch("DROP TABLE layers;").unwrap();
    }
    let out = s.run(
        &["history", "hist/app", "--from", db.to_str().unwrap()],
        &[],
    );
    refused(&out, &db, "no such table: layers");

    // An image that names no repository needs --name.
    let base = layer(&[file("a", 10, 1)], Comp::None, "ADD a /");
    let mut files = docker_archive_files(&[("unnamed:1", &[base])]);
    let manifest = files
        .iter_mut()
        .find(|(n, _)| n == "manifest.json")
        .unwrap();
    let mut m: serde_json::Value = serde_json::from_slice(&manifest.1).unwrap();
    m[0]["RepoTags"] = serde_json::Value::Null;
    manifest.1 = serde_json::to_vec(&m).unwrap();
    let unnamed = s.path().join("unnamed.tar");
    write_tar(&unnamed, &files);
    let fresh = s.path().join("fresh.db");
    let args = [
        "record",
        unnamed.to_str().unwrap(),
        "--into",
        fresh.to_str().unwrap(),
    ];
    let out = s.run(&args, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("names no repository to file it under: give --name NAME"),
        "{}",
        stderr(&out)
    );
    let mut named = args.to_vec();
    named.extend(["--name", "given"]);
    ok(&s.run(&named, &[]));
}

#[test]
fn report_trend_in_markdown_and_html() {
    let s = Series::new();
    s.record(0, "c1", "main");
    s.record(1, "c2", "<script>x</script>|main");
    s.record(2, "c3", "main");
    let db = s.db();
    let db = db.to_str().unwrap();
    let out = s.run(&["report", s.image(2), "--trend", "--from", db], &[]);
    ok(&out);
    let md = stdout(&out);
    let section = &md[md.find("## Size over time").expect(&md)..];
    assert!(section.contains("3 records of `hist/app`"), "{section}");
    // 3000 → 4000 → 9000 B.
    assert!(section.contains("2.9 KiB → 8.8 KiB  ▁▂█"), "{section}");
    let rows: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| #"))
        .collect();
    assert_eq!(rows.len(), 3, "{section}");
    assert!(rows[0].contains("first record"), "{section}");
    assert!(
        rows[1].contains("+1000 B; layer 1 grew +1000 B: `RUN build`"),
        "{section}"
    );
    assert!(
        rows[1].contains("&lt;script&gt;x&lt;/script&gt;\\|main"),
        "{section}"
    );
    assert!(
        rows[2].contains("layer 2 new +4.9 KiB: `COPY assets /assets \\x1b[31m`"),
        "{section}"
    );
    assert!(!md.contains('\u{1b}'));

    let out = s.run(
        &[
            "report",
            s.image(2),
            "--format",
            "html",
            "--trend",
            "--from",
            db,
        ],
        &[],
    );
    ok(&out);
    let html = stdout(&out);
    assert!(html.contains("<h2>Size over time</h2>"), "{html}");
    let svg = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()];
    assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
    // The two points where a layer grew or appeared are filled.
    assert_eq!(svg.matches("fill=\"#cf222e\"").count(), 2, "{svg}");
    assert_eq!(svg.matches("<polyline").count(), 2, "{svg}");
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;x&lt;/script&gt;|main"),
        "{html}"
    );
    assert!(!html.contains('\u{1b}'));
    // No external asset: nothing is fetched from anywhere.
    assert!(
        !html.contains("src=") && !html.contains("href=\"http"),
        "{html}"
    );

    // A name with no record is one line naming the database; --from needs --trend.
    let out = s.run(
        &[
            "report",
            s.image(2),
            "--trend",
            "--from",
            db,
            "--name",
            "other",
        ],
        &[],
    );
    refused(&out, Path::new(db), "no record named \"other\"");
    let out = s.run(&["report", s.image(2), "--from", db], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Run `args` in `s`'s directory, killed after 20 s: the output, and whether it ended by itself.
fn run_bounded(s: &Series, args: &[&str]) -> (Output, bool) {
    let mut child = command(s.path(), args, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut ended = true;
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            ended = false;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    (child.wait_with_output().unwrap(), ended)
}

/// The bytes of `db` and of whatever SQLite keeps beside it.
fn db_state(db: &Path) -> Vec<Option<Vec<u8>>> {
    ["", "-wal", "-journal"]
        .iter()
        .map(|suffix| {
            let mut p = db.as_os_str().to_os_string();
            p.push(suffix);
            std::fs::read(PathBuf::from(p)).ok()
        })
        .collect()
}

/// A real history, tampered with: `sql` run on a copy of it named `name`.
fn tampered(s: &Series, name: &str, sql: &str) -> PathBuf {
    let db = s.path().join(name);
    std::fs::copy(s.db(), &db).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(sql).unwrap();
    drop(conn);
    db
}

#[test]
fn schema_objects_imgscope_did_not_create_are_refused_and_never_run() {
    let s = Series::new();
    s.record(0, "c1", "main");
    // An INSERT trigger that writes without end.
    let trigger = tampered(
        &s,
        "trigger.db",
        "CREATE TRIGGER grow AFTER INSERT ON records BEGIN
           INSERT INTO directories (record_id, rank, path, size_bytes)
             WITH RECURSIVE n(i) AS (SELECT 1000 UNION ALL SELECT i + 1 FROM n)
             SELECT new.id, i, hex(zeroblob(10000)), 0 FROM n;
         END;",
    );
    // `records` as a view over an endless recursive CTE.
    let view = tampered(
        &s,
        "view.db",
        "DROP TABLE records;
         CREATE VIEW records (id, name, recorded_at, input, image_name, tag, manifest_digest,
           config_digest, created, platform, size_bytes, compressed_size_bytes, file_count,
           layer_count, reclaimable_bytes, efficiency, plan_node_cost_bytes, plan_pull_cost_bytes,
           plan_node_saving_bytes, plan_pull_saving_bytes, plan_share_of_node_cost, plan_actions,
           plan_worth_it_actions, git_commit, git_branch, tool_version)
         AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
           SELECT i, 'hist/app', -i, 'x', NULL, NULL, NULL, NULL, NULL, 'linux/amd64', 1, 1, 1,
             1, 1, 0.5, 1, 1, 1, 1, 0.5, 1, 1, NULL, NULL, 't' FROM n;",
    );
    // The table redefined with the same name.
    let redefined = tampered(
        &s,
        "redefined.db",
        "DROP TABLE directories;
         CREATE TABLE directories (record_id INTEGER, rank INTEGER, path TEXT,
           size_bytes INTEGER, big AS (zeroblob(100000000)));",
    );
    for (db, cause) in [
        (
            &trigger,
            "not an imgscope history: it holds trigger grow that imgscope does not create",
        ),
        (
            &view,
            "not an imgscope history: it holds view records that imgscope does not create",
        ),
        (
            &redefined,
            "not an imgscope history: it holds a table directories unlike the one imgscope creates",
        ),
    ] {
        let before = db_state(db);
        let path = db.to_str().unwrap();
        for args in [
            vec!["record", s.image(1), "--into", path],
            vec!["history", "hist/app", "--from", path, "--text"],
            vec!["history", "hist/app", "--from", path, "--json"],
        ] {
            let started = std::time::Instant::now();
            let (out, ended) = run_bounded(&s, &args);
            assert!(ended, "{args:?} did not end in 20 s");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{args:?}: {:?}",
                started.elapsed()
            );
            refused(&out, db, cause);
            assert!(out.stdout.is_empty(), "{args:?}: {}", stdout(&out));
        }
        assert!(db_state(db) == before, "{} was written to", db.display());
    }
}

#[test]
fn a_symlinked_database_path_is_not_followed() {
    let s = Series::new();
    s.record(0, "c1", "main");
    let db = s.db();
    // A link to some other file: not overwritten, not read.
    let precious = s.path().join("precious.txt");
    std::fs::write(&precious, "keep me\n").unwrap();
    let to_file = s.path().join("to-file.db");
    std::os::unix::fs::symlink(&precious, &to_file).unwrap();
    // A link to nothing: its target is not created.
    let absent = s.path().join("absent.db");
    let dangling = s.path().join("dangling.db");
    std::os::unix::fs::symlink(&absent, &dangling).unwrap();
    // A link to a real history: refused too, while the history named itself works.
    let to_history = s.path().join("to-history.db");
    std::os::unix::fs::symlink(&db, &to_history).unwrap();
    let history_before = db_state(&db);
    for link in [&to_file, &dangling, &to_history] {
        let path = link.to_str().unwrap();
        let out = s.run(&["record", s.image(1), "--into", path], &[]);
        refused(&out, link, "is a symbolic link");
        let out = s.run(&["history", "hist/app", "--from", path, "--text"], &[]);
        refused(&out, link, "is a symbolic link");
        assert!(std::fs::symlink_metadata(link).unwrap().is_symlink());
    }
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me\n");
    assert!(!absent.exists(), "the link's target was created");
    assert!(
        db_state(&db) == history_before,
        "the history was written to"
    );
    s.record(1, "c2", "main");
    assert_eq!(s.history_json()["records"].as_array().unwrap().len(), 2);
}

/// The chart's view (`imgscope history NAME` in a terminal) over records built here, no
/// database: three builds of hist/app. #1 is the base (reclaimable 1.5 MB); #2 adds `RUN
/// apt-get …` of 200 MB (reclaimable 41 MB); #3 grows that layer by 50 MB and adds `COPY . /app`
/// of 5 MB (reclaimable 40 MB, a manifest digest recorded).
fn view_records() -> Vec<imgscope::history::Record> {
    use imgscope::history::{LayerRow, Record};
    let layer = |index: usize, id: &str, size: u64, command: &str| LayerRow {
        index,
        diff_id: Some(id.to_string()),
        size_bytes: size,
        compressed_size_bytes: size / 2,
        command: command.to_string(),
        ..LayerRow::default()
    };
    let apt = "/bin/sh -c apt-get install -y build-essential";
    let record = |id: i64, reclaimable: u64, branch: &str, layers: Vec<LayerRow>| Record {
        id,
        name: "hist/app".into(),
        recorded_at: 1_780_000_000 + id * 86_400,
        input: format!("app-{id}.tar"),
        image_name: Some(format!("registry.example/hist/app:{id}")),
        size_bytes: layers.iter().map(|l| l.size_bytes).sum(),
        compressed_size_bytes: layers.iter().map(|l| l.size_bytes / 2).sum(),
        reclaimable_bytes: reclaimable,
        git_commit: Some(format!("{id}123456789abcdef0123456789abcdef0123456")),
        git_branch: Some(branch.into()),
        layers,
        ..Record::default()
    };
    let base = layer(0, "a", 300_000_000, "ADD rootfs /");
    let mut third = record(
        3,
        40_000_000,
        "feature/a-very-long-branch-name",
        vec![
            base.clone(),
            layer(1, "b2", 250_000_000, apt),
            layer(2, "c", 5_000_000, "COPY . /app"),
        ],
    );
    third.manifest_digest = Some(format!("sha256:{}", "d".repeat(64)));
    vec![
        record(1, 1_500_000, "main", vec![base.clone()]),
        record(
            2,
            41_000_000,
            "main",
            vec![base, layer(1, "b", 200_000_000, apt)],
        ),
        third,
    ]
}

/// The view drawn on a `w`×`h` terminal, as text.
fn view_text(chart: &imgscope::tui::history_chart::HistoryChart, w: u16, h: u16) -> String {
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    term.draw(|f| chart.draw(f.area(), f.buffer_mut())).unwrap();
    crate::tui_support::text(term.backend().buffer())
}

/// The list's header row and the row of record `id`.
fn header_and_row(screen: &str, id: i64) -> (&str, &str) {
    let header = screen
        .lines()
        .find(|l| l.starts_with("│  # ") && l.contains(" change"))
        .unwrap_or_else(|| panic!("no header row:\n{screen}"));
    let row = screen
        .lines()
        .find(|l| l.starts_with('│') && l.contains(&format!(" #{id} ")))
        .unwrap_or_else(|| panic!("no row #{id}:\n{screen}"));
    (header, row)
}

#[test]
fn the_history_view_has_column_headers_a_reclaimable_column_and_keeps_the_change_when_narrow() {
    use imgscope::text::{human_size, signed_size};
    use imgscope::tui::history_chart::HistoryChart;
    let records = view_records();
    let chart = HistoryChart::new("hist/app", "/tmp/h.db", &records, false);
    let all = [
        "#",
        "when",
        "commit",
        "branch",
        "size",
        "compressed",
        "reclaimable",
        "change",
    ];
    for (w, h, dropped) in [
        (80, 24, &["commit", "branch", "compressed"][..]),
        (120, 40, &["commit"][..]),
        (220, 60, &[][..]),
    ] {
        let screen = view_text(&chart, w, h);
        let (header, row) = header_and_row(&screen, 3);
        let words: Vec<&str> = header.split_whitespace().collect();
        for name in all {
            assert_eq!(
                words.contains(&name),
                !dropped.contains(&name),
                "{w}x{h}: {name} in {header:?}"
            );
        }
        // The reclaimable figure of each point, under its header (right-aligned to it).
        let end = header[..header.find("reclaimable").unwrap()]
            .chars()
            .count()
            + "reclaimable".len();
        for (id, bytes) in [(1, 1_500_000), (2, 41_000_000), (3, 40_000_000)] {
            if let Some(row) = screen
                .lines()
                .find(|l| l.starts_with('│') && l.contains(&format!(" #{id} ")))
            {
                let figure = human_size(bytes);
                let at = row
                    .find(&format!(" {figure} "))
                    .map(|i| i + 1 + figure.len());
                let right = row[..row.char_indices().nth(end).map_or(row.len(), |(i, _)| i)]
                    .ends_with(&figure);
                assert!(at.is_some() && right, "{w}x{h}: #{id} {figure}: {row:?}");
            }
        }
        // The change column is kept, its figures whole: +52.5 MiB, then the layer's +47.7 MiB
        // whole or not at all.
        let total = signed_size(55_000_000);
        let layer = signed_size(50_000_000);
        assert!(
            row.contains(&format!("{total}; layer 1 grew")),
            "{w}x{h}: {row:?}"
        );
        let number = layer.split(' ').next().unwrap();
        assert!(
            !row.contains(number) || row.contains(&layer),
            "{w}x{h}: a number cut: {row:?}"
        );
        // Wide: the whole change, its command cleaned.
        if w > 200 {
            assert!(
                row.contains(&format!(
                    "{total}; layer 1 grew {layer}: RUN apt-get install -y build-essential"
                )),
                "{w}x{h}: {row:?}"
            );
        }
    }
    // Small: the details cut each line to one, so the change stays in the box; the title's
    // sizes are whole or gone.
    let small = view_text(&chart, 60, 20);
    let change = format!("│ change       layer 1 grew {}", signed_size(50_000_000));
    assert!(small.contains(&change), "{small}");
    let title = small.lines().next().unwrap().trim_end();
    assert!(
        title.ends_with(&human_size(555_000_000)) || title.ends_with('…'),
        "{title:?}"
    );
    // Narrower still, the change column stays, and no size is cut.
    for w in [60, 64, 70, 76] {
        let screen = view_text(&chart, w, 24);
        let (header, row) = header_and_row(&screen, 3);
        assert!(header.contains(" change"), "{w}: {header:?}");
        assert!(row.contains(&signed_size(55_000_000)), "{w}: {row:?}");
    }
    insta::assert_snapshot!("history_view_at_80x24", view_text(&chart, 80, 24));
}

#[test]
fn the_history_view_details_the_picked_point_against_the_previous_one() {
    use imgscope::text::{human_size, signed_size};
    use imgscope::tui::action::Action;
    use imgscope::tui::history_chart::HistoryChart;
    let records = view_records();
    let mut chart = HistoryChart::new("hist/app", "/tmp/h.db", &records, false);
    // The details box: a line `label  value`.
    let detail = |screen: &str, label: &str| -> String {
        screen
            .lines()
            .filter_map(|l| l.trim_start_matches('│').trim_start().strip_prefix(label))
            .map(|rest| rest.trim().trim_end_matches('│').trim().to_string())
            .next()
            .unwrap_or_else(|| panic!("no {label:?} line:\n{screen}"))
    };
    // The latest is picked first.
    let screen = view_text(&chart, 120, 40);
    assert!(screen.contains("Record #3, against #2"), "{screen}");
    assert_eq!(detail(&screen, "when "), "2026-05-31 20:26:40Z");
    assert_eq!(
        detail(&screen, "commit "),
        "3123456789abcdef0123456789abcdef0123456 on feature/a-very-long-branch-name"
    );
    assert_eq!(
        detail(&screen, "image "),
        format!("registry.example/hist/app:3 (sha256:{})", "d".repeat(64))
    );
    assert_eq!(
        detail(&screen, "size "),
        format!(
            "{} ({}), compressed {} ({})",
            human_size(555_000_000),
            signed_size(55_000_000),
            human_size(277_500_000),
            signed_size(27_500_000)
        )
    );
    assert_eq!(
        detail(&screen, "reclaimable "),
        format!("{} ({})", human_size(40_000_000), signed_size(-1_000_000))
    );
    assert_eq!(
        detail(&screen, "change "),
        format!(
            "layer 1 grew {}: RUN apt-get install -y build-essential",
            signed_size(50_000_000)
        )
    );
    // Up: #2, whose layer appeared.
    chart.update(Action::Up);
    for (w, h) in [(80, 24), (120, 40), (220, 60)] {
        let screen = view_text(&chart, w, h);
        assert!(
            screen.contains("Record #2, against #1"),
            "{w}x{h}: {screen}"
        );
        assert_eq!(detail(&screen, "when "), "2026-05-30 20:26:40Z");
        assert_eq!(
            detail(&screen, "commit "),
            "2123456789abcdef0123456789abcdef0123456 on main",
            "{w}x{h}"
        );
        assert_eq!(detail(&screen, "image "), "registry.example/hist/app:2");
        assert_eq!(
            detail(&screen, "reclaimable "),
            format!("{} ({})", human_size(41_000_000), signed_size(39_500_000)),
            "{w}x{h}"
        );
        assert!(
            detail(&screen, "change ").starts_with(&format!(
                "layer 1 new {}: RUN apt-get",
                signed_size(200_000_000)
            )),
            "{w}x{h}: {screen}"
        );
    }
    // Up again: the first record, with nothing to compare with.
    chart.update(Action::Up);
    let screen = view_text(&chart, 80, 24);
    assert!(screen.contains("Record #1 "), "{screen}");
    assert_eq!(
        detail(&screen, "reclaimable "),
        human_size(1_500_000),
        "{screen}"
    );
    assert!(detail(&screen, "change ").starts_with("first record"));
    // Down twice: back to #3.
    chart.update(Action::Down);
    chart.update(Action::Down);
    let screen = view_text(&chart, 80, 24);
    assert!(screen.contains("Record #3, against #2"), "{screen}");
    insta::assert_snapshot!("history_view_details_at_220x60", view_text(&chart, 220, 60));
}

#[test]
fn the_history_views_help_fits_80x24_and_any_key_closes_it() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use imgscope::tui::action::Action;
    use imgscope::tui::history_chart::HistoryChart;
    use imgscope::tui::keys::{BINDINGS, Screen};
    let records = view_records();
    let mut chart = HistoryChart::new("hist/app", "/tmp/h.db", &records, false);
    chart.update(Action::ToggleHelp);
    assert!(chart.help);
    let screen = view_text(&chart, 80, 24);
    assert!(
        screen.contains("│ Esc or any other key closes this help; Ctrl-C quits."),
        "{screen}"
    );
    // The box is whole: its top (titled) and its bottom.
    let top = screen.lines().position(|l| l.contains("┌ Help ")).unwrap();
    let column = |l: &str, c: char| l.chars().position(|x| x == c);
    let left = column(screen.lines().nth(top).unwrap(), '┌').unwrap();
    let bottom = screen
        .lines()
        .skip(top)
        .position(|l| l.chars().nth(left) == Some('└'))
        .unwrap();
    assert!(bottom > 3 && top + bottom < 24, "{screen}");
    // Every binding of the chart is in it, whole, inside the box.
    for b in BINDINGS.iter().filter(|b| b.screen == Screen::History) {
        let whole = screen.lines().any(|l| {
            l.match_indices(b.help).any(|(at, _)| {
                l[at + b.help.len()..].trim_start().starts_with('│')
                    && l[..at].trim_end().ends_with(|c: char| !c.is_whitespace())
            })
        });
        assert!(whole, "{:?} is not whole in the help:\n{screen}", b.help);
    }
    // A key bound to nothing closes it, as the help says; the next quits.
    chart.key(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE));
    assert!(!chart.help && !chart.quit);
    chart.update(Action::ToggleHelp);
    chart.key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert!(!chart.help && !chart.quit);
    chart.key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert!(chart.quit);
}

#[test]
fn history_help_lists_only_its_own_options() {
    let out = run(&["history", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let flags: std::collections::BTreeSet<&str> = help
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .collect();
    let want: std::collections::BTreeSet<&str> = ["--from", "--json", "--text", "--si", "--help"]
        .into_iter()
        .collect();
    assert_eq!(flags, want, "{help}");
    // The options it has no use for are refused after `history`, not ignored.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    for args in [
        &["--plain-http"][..],
        &["--insecure"][..],
        &["--keep", "/x"][..],
        &["--keep=/x"][..],
        &["--platform=linux/arm64"][..],
    ] {
        let mut all = vec!["history", "hist/app", "--from", db.to_str().unwrap()];
        all.extend_from_slice(args);
        let out = run(&all);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("does not apply to `imgscope history`"),
            "{args:?}: {err}"
        );
    }
    // The other commands keep them.
    let out = run(&["record", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    for flag in ["--platform", "--plain-http", "--keep", "--no-cache"] {
        assert!(help.contains(flag), "record --help: {flag}: {help}");
    }
}

/// The list's change column is cut to its room at a space, never inside a size: for every room,
/// what is kept is a prefix of the change ending at a whole word, sizes whole.
#[test]
fn the_history_views_change_is_cut_between_words_never_inside_a_size() {
    use imgscope::tui::history_chart::fit;
    use unicode_width::UnicodeWidthStr;
    let change = "+52.5 MiB; layer 1 grew +47.7 MiB: RUN apt-get install -y build-essential";
    let sizes = ["+52.5 MiB", "+47.7 MiB"];
    for room in 0..=change.len() + 2 {
        let cut = fit(change, room);
        assert!(cut.width() <= room, "{room}: {cut:?}");
        if room >= change.len() {
            assert_eq!(cut, change);
            continue;
        }
        if room == 0 {
            assert_eq!(cut, "");
            continue;
        }
        let kept = cut
            .strip_suffix('…')
            .unwrap_or_else(|| panic!("{room}: {cut:?}"));
        assert!(change.starts_with(kept), "{room}: {cut:?}");
        assert!(
            kept.is_empty() || change[kept.len()..].starts_with(' '),
            "{room}: cut inside a word: {cut:?}"
        );
        for size in sizes {
            let at = change.find(size).unwrap();
            assert!(
                kept.len() <= at || kept.len() >= at + size.len(),
                "{room}: {size} cut: {cut:?}"
            );
        }
    }
    assert_eq!(fit(change, 12), "+52.5 MiB;…");
    assert_eq!(fit("+52.5 MiB", 8), "…");
}

#[test]
fn the_history_view_shows_what_each_record_made_a_node_pull() {
    use imgscope::tui::history_chart::HistoryChart;
    let records = view_records();
    let chart = HistoryChart::new("hist/app", "/tmp/h.db", &records, false);
    let screen = view_text(&chart, 220, 60);
    let (header, first) = header_and_row(&screen, 1);
    assert!(header.contains(" pulled "), "{header}");
    let found = header.find(" pulled").unwrap() + " pulled".len();
    let at = header[..found].chars().count();
    // The cell ends where the right-aligned header does: the last two words before it (a size is
    // a number and a unit; "-" is one word).
    let cell = |row: &str| {
        let words: Vec<&str> = row[..row.char_indices().nth(at).unwrap().0]
            .split_whitespace()
            .collect();
        match words.last() {
            Some(&"-") => "-".to_string(),
            _ => words[words.len() - 2..].join(" "),
        }
    };
    // The first record has no previous one; #2 pulls its new layer (100 MB compressed); #3 the
    // grown layer (new digest, 125 MB) and the new one (2.5 MB), not the base.
    assert_eq!(cell(first), "-");
    let (_, second) = header_and_row(&screen, 2);
    assert_eq!(cell(second), imgscope::text::human_size(100_000_000));
    let (_, third) = header_and_row(&screen, 3);
    assert_eq!(cell(third), imgscope::text::human_size(127_500_000));
}
