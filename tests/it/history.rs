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
