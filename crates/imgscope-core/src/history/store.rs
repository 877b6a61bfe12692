//! The history database: one SQLite file (bundled SQLite), versioned with `PRAGMA user_version`
//! and migrated forward in one transaction, marked as imgscope's with `PRAGMA application_id`, in
//! WAL mode with a busy timeout so CI jobs recording at once all succeed. A recording is one
//! transaction: a reader never sees half of one.
//!
//! The file is input like an image: anything that is not an imgscope history (another program's
//! SQLite database, a corrupt or non-SQLite file, a newer schema) is refused with one error naming
//! the file and the cause, never a panic.
//!
//! The file may be hostile, so it is opened the way the rpm reader opens an rpmdb: defensive
//! mode, an untrusted schema, views and triggers disabled, tight limits and a budget of SQL steps;
//! and every schema object in it must be one imgscope's migrations create, word for word (besides
//! SQLite's statistics tables): a view or trigger someone added, or a table redefined, is refused
//! before anything is read or written. A symbolic link at the path itself is not followed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};

use super::{DirRow, LayerRow, PlanTotals, Record};
use crate::text::escape_control;

/// `imgs` in ASCII: marks the file as an imgscope history.
pub const APPLICATION_ID: i32 = 0x696d_6773;

/// How long a writer waits for another one to finish before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Migrations, in order: `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: records, their layers and their largest directories.
    "CREATE TABLE records (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        recorded_at INTEGER NOT NULL,
        input TEXT NOT NULL,
        image_name TEXT,
        tag TEXT,
        manifest_digest TEXT,
        config_digest TEXT,
        created TEXT,
        platform TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        compressed_size_bytes INTEGER NOT NULL,
        file_count INTEGER NOT NULL,
        layer_count INTEGER NOT NULL,
        reclaimable_bytes INTEGER NOT NULL,
        efficiency REAL NOT NULL,
        plan_node_cost_bytes INTEGER NOT NULL,
        plan_pull_cost_bytes INTEGER NOT NULL,
        plan_node_saving_bytes INTEGER NOT NULL,
        plan_pull_saving_bytes INTEGER NOT NULL,
        plan_share_of_node_cost REAL NOT NULL,
        plan_actions INTEGER NOT NULL,
        plan_worth_it_actions INTEGER NOT NULL,
        git_commit TEXT,
        git_branch TEXT,
        tool_version TEXT NOT NULL
    );
    CREATE INDEX records_by_name ON records (name, recorded_at, id);
    CREATE TABLE layers (
        record_id INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        diff_id TEXT,
        digest TEXT,
        size_bytes INTEGER NOT NULL,
        compressed_size_bytes INTEGER NOT NULL,
        command TEXT NOT NULL,
        reclaimable_bytes INTEGER NOT NULL,
        PRIMARY KEY (record_id, idx)
    );
    CREATE TABLE directories (
        record_id INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,
        rank INTEGER NOT NULL,
        path TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        PRIMARY KEY (record_id, rank)
    );",
    // 2: each layer's fingerprint (`analysis::releases::LayerFingerprint`): its file count and
    // bytes, the BLAKE3 digest of its contents, and its bottom-k sketch (24 bytes an entry).
    "CREATE TABLE layer_fingerprints (
        record_id INTEGER NOT NULL REFERENCES records (id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        file_count INTEGER NOT NULL,
        file_bytes INTEGER NOT NULL,
        content BLOB NOT NULL,
        sketch BLOB NOT NULL,
        PRIMARY KEY (record_id, idx)
    );",
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Which records a baseline may come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchFilter {
    /// Any record.
    Any,
    /// Records on one of these branches.
    OneOf(Vec<String>),
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The SQL steps one connection may run: this many, plus [`STEPS_PER_BYTE`] for each byte of the
/// file (and its WAL) when opened; past the budget the running statement fails. What imgscope
/// runs is about linear in the file's size: a history of 50,000 records of one name (10 layers and
/// 20 directories each, 183 MB) is checked and its series read in about 36 million steps (0.2 a
/// byte), so real histories stay far inside the budget while a small file cannot buy much work.
const BASE_STEPS: u64 = 50_000_000;
const STEPS_PER_BYTE: u64 = 4;

/// Tables SQLite itself creates (`ANALYZE`), allowed beside the migrations' objects: the query
/// planner reads them, nothing runs from them.
const SQLITE_STAT_TABLES: [&str; 4] = [
    "sqlite_stat1",
    "sqlite_stat2",
    "sqlite_stat3",
    "sqlite_stat4",
];

fn sqlite_cause(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => format!("not an SQLite database ({e})"),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => format!("corrupt database ({e})"),
        Some(rusqlite::ErrorCode::OperationInterrupted) => {
            "too much work for a database of this size (SQL step budget spent), so not an imgscope history".to_string()
        }
        Some(rusqlite::ErrorCode::CannotOpen) if is_symlink_refusal(e) => {
            "a symbolic link, not followed: name the database file itself".to_string()
        }
        _ => e.to_string(),
    }
}

/// SQLITE_CANTOPEN_SYMLINK: SQLITE_OPEN_NOFOLLOW met a symbolic link.
fn is_symlink_refusal(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == 1550)
}

/// One schema object: type, name, table, SQL.
type SchemaObject = (String, String, String, Option<String>);

fn read_schema(conn: &Connection) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut stmt =
        conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    rows.collect()
}

/// The schema objects the migrations up to `version` create, built in memory from the same SQL.
fn expected_schema(version: i64) -> rusqlite::Result<Vec<SchemaObject>> {
    let conn = Connection::open_in_memory()?;
    for sql in MIGRATIONS
        .iter()
        .take(usize::try_from(version).unwrap_or(0))
    {
        conn.execute_batch(sql)?;
    }
    read_schema(&conn)
}

/// The size of `path` and its WAL, in bytes (what the step budget grows with).
fn size_on_disk(path: &Path) -> u64 {
    let wal = sidecar(path, "-wal");
    [path, wal.as_path()]
        .iter()
        .filter_map(|p| std::fs::symlink_metadata(p).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// `path` with `suffix` appended to its file name, as SQLite names its WAL and journal.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Retry `f` while another connection holds the lock, up to [`BUSY_TIMEOUT`] (for the statements
/// SQLite does not run its busy handler for, such as switching to WAL).
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let started = Instant::now();
    loop {
        match f() {
            Err(e) if is_busy(&e) && started.elapsed() < BUSY_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl Store {
    /// Open the database at `path` to write to it, creating it (and its directory) if needed.
    pub fn open_for_writing(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| {
                format!(
                    "history database {}: creating {}",
                    path.display(),
                    dir.display()
                )
            })?;
        }
        let store = Self::open(path, true)?;
        store.migrate()?;
        Ok(store)
    }

    /// Open an existing database to read it.
    pub fn open_for_reading(path: &Path) -> Result<Store> {
        if std::fs::symlink_metadata(path).is_err() {
            bail!(
                "history database {}: no such file (record an image first: imgscope record IMAGE --into {})",
                path.display(),
                path.display()
            );
        }
        let store = Self::open(path, false)?;
        match store.version()? {
            0 => bail!(
                "history database {}: empty (nothing was recorded into it)",
                path.display()
            ),
            v if v < SCHEMA_VERSION => {
                // An older schema: bring it up to date before reading.
                store.migrate()?;
            }
            _ => {}
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn context(&self) -> String {
        format!("history database {}", self.path.display())
    }

    fn open(path: &Path, create: bool) -> Result<Store> {
        let named = || format!("history database {}", path.display());
        // A symbolic link is not followed (it could point a recording at any file the user can
        // write): the user names the file itself. Nor one in place of the WAL or the journal.
        for (p, what) in [
            (path.to_path_buf(), "the database"),
            (sidecar(path, "-wal"), "its WAL"),
            (sidecar(path, "-shm"), "its shared-memory file"),
            (sidecar(path, "-journal"), "its journal"),
        ] {
            if let Ok(m) = std::fs::symlink_metadata(&p) {
                if m.file_type().is_symlink() {
                    let target = std::fs::read_link(&p)
                        .map(|t| format!(" (to {})", escape_control(&t.display().to_string())))
                        .unwrap_or_default();
                    bail!(
                        "{}: {what} is a symbolic link{target}, not followed: name the database file itself",
                        named()
                    );
                }
                if m.is_dir() && p == path {
                    bail!("{}: a directory, not a database file", named());
                }
                if !m.is_file() {
                    bail!("{}: {what} is not a regular file", named());
                }
            }
        }
        // The directories on the way may be links; the file itself is opened by its real
        // directory, so that SQLite's no-follow check concerns the file alone.
        let real = match (path.parent(), path.file_name()) {
            (Some(dir), Some(file)) => {
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                std::fs::canonicalize(dir)
                    .map_err(|e| anyhow!(e).context(named()))?
                    .join(file)
            }
            _ => path.to_path_buf(),
        };
        // SQLite says "file is not a database" only at the first query, and nothing for an empty
        // file; the header says at once whether this is SQLite at all.
        let header_file = {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
                .open(&real)
        };
        if let Ok(mut f) = header_file {
            use std::io::Read;
            let mut header = [0u8; 16];
            let mut read = 0;
            while read < header.len() {
                match f.read(&mut header[read..]) {
                    Ok(0) => break,
                    Ok(n) => read += n,
                    Err(e) => return Err(anyhow!(e).context(named())),
                }
            }
            if read > 0 && (read < header.len() || &header != SQLITE_HEADER) {
                bail!(
                    "{}: not an SQLite database (no SQLite header), so not an imgscope history",
                    named()
                );
            }
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let steps = BASE_STEPS.saturating_add(STEPS_PER_BYTE.saturating_mul(size_on_disk(&real)));
        let conn = Connection::open_with_flags(&real, flags)
            .and_then(|mut conn| {
                crate::untrusted_sqlite::harden(&mut conn, steps, 1_000_000)?;
                conn.busy_timeout(BUSY_TIMEOUT)?;
                Ok(conn)
            })
            .map_err(|e| anyhow!("{}: {}", named(), sqlite_cause(&e)))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.check_identity()?;
        store
            .conn
            .execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(|e| store.err(e))?;
        Ok(store)
    }

    fn err(&self, e: rusqlite::Error) -> anyhow::Error {
        anyhow!("{}: {}", self.context(), sqlite_cause(&e))
    }

    fn version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Refuse files that are another program's database, or a newer imgscope's. Read in one
    /// transaction: another writer may be creating the schema meanwhile.
    fn check_identity(&self) -> Result<()> {
        let tx = retry_busy(|| {
            rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred)
        })
        .map_err(|e| self.err(e))?;
        self.check_identity_in(&tx)?;
        tx.commit().map_err(|e| self.err(e))
    }

    fn check_identity_in(&self, _tx: &rusqlite::Transaction<'_>) -> Result<()> {
        let app_id: i32 = self
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let version = self.version()?;
        let tables: Vec<String> = (|| {
            let mut stmt = self.conn.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })()
        .map_err(|e| self.err(e))?;
        if app_id != APPLICATION_ID && app_id != 0 {
            bail!(
                "{}: another application's SQLite database (application_id {app_id:#x}), not an imgscope history",
                self.context()
            );
        }
        if app_id == 0 && !tables.is_empty() {
            let mut shown: Vec<String> = tables.iter().take(5).cloned().collect();
            if tables.len() > shown.len() {
                shown.push("…".into());
            }
            bail!(
                "{}: an SQLite database of something else (tables: {}), not an imgscope history",
                self.context(),
                shown.join(", ")
            );
        }
        if version > SCHEMA_VERSION {
            bail!(
                "{}: written by a newer imgscope (history schema version {version}; this one reads up to {SCHEMA_VERSION}): upgrade imgscope to read it",
                self.context()
            );
        }
        self.check_schema(version)?;
        if !tables.is_empty() {
            // SQLite notices damage only on the pages a query touches: check them all once (a
            // history of thousands of records is a few MB, checked in milliseconds).
            let verdict: String = self
                .conn
                .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            if verdict != "ok" {
                bail!(
                    "{}: corrupt database (integrity check: {verdict})",
                    self.context()
                );
            }
        }
        Ok(())
    }

    /// Every schema object must be one the migrations up to `version` create, with the same SQL
    /// (SQLite's statistics tables aside); one missing is left to the queries that need it.
    fn check_schema(&self, version: i64) -> Result<()> {
        let found = read_schema(&self.conn).map_err(|e| self.err(e))?;
        let expected = expected_schema(version).map_err(|e| self.err(e))?;
        for object in &found {
            let (kind, name, _, _) = object;
            if expected.contains(object)
                || (kind == "table" && SQLITE_STAT_TABLES.contains(&name.as_str()))
            {
                continue;
            }
            let shown = escape_control(name);
            let what = if expected.iter().any(|(k, n, _, _)| k == kind && n == name) {
                format!("a {kind} {shown} unlike the one imgscope creates")
            } else {
                format!("{kind} {shown} that imgscope does not create")
            };
            bail!(
                "{}: not an imgscope history: it holds {what}",
                self.context()
            );
        }
        Ok(())
    }

    /// Bring the schema up to [`SCHEMA_VERSION`], in one transaction; a second writer waits,
    /// then finds the work done.
    fn migrate(&self) -> Result<()> {
        let mode: String = retry_busy(|| {
            self.conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        })
        .map_err(|e| self.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            bail!(
                "{}: cannot switch to WAL mode (journal mode stays {mode})",
                self.context()
            );
        }
        let tx = retry_busy(|| {
            rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
        })
        .map_err(|e| self.err(e))?;
        // Read again inside the lock: another writer may have migrated meanwhile.
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if version > SCHEMA_VERSION {
            bail!(
                "{}: written by a newer imgscope (history schema version {version}; this one reads up to {SCHEMA_VERSION})",
                self.context()
            );
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql).with_context(|| {
                format!("{}: migrating to schema version {}", self.context(), i + 1)
            })?;
        }
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
        ))
        .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Store `record` (its layers and directories with it) in one transaction; returns its id.
    pub fn insert(&mut self, record: &Record) -> Result<i64> {
        let context = self.context();
        let err = |e: rusqlite::Error| anyhow!("{context}: {}", sqlite_cause(&e));
        let tx = retry_busy(|| {
            rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
        })
        .map_err(err)?;
        let p = &record.plan;
        tx.execute(
            "INSERT INTO records (name, recorded_at, input, image_name, tag, manifest_digest,
                config_digest, created, platform, size_bytes, compressed_size_bytes, file_count,
                layer_count, reclaimable_bytes, efficiency, plan_node_cost_bytes,
                plan_pull_cost_bytes, plan_node_saving_bytes, plan_pull_saving_bytes,
                plan_share_of_node_cost, plan_actions, plan_worth_it_actions, git_commit,
                git_branch, tool_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
            params![
                record.name,
                record.recorded_at,
                record.input,
                record.image_name,
                record.tag,
                record.manifest_digest,
                record.config_digest,
                record.created,
                record.platform,
                to_i64(record.size_bytes),
                to_i64(record.compressed_size_bytes),
                to_i64(record.file_count),
                to_i64(record.layers.len() as u64),
                to_i64(record.reclaimable_bytes),
                record.efficiency,
                to_i64(p.node_cost_bytes),
                to_i64(p.pull_cost_bytes),
                to_i64(p.node_saving_bytes),
                to_i64(p.pull_saving_bytes),
                p.share_of_node_cost,
                to_i64(p.actions),
                to_i64(p.worth_it_actions),
                record.git_commit,
                record.git_branch,
                record.tool_version,
            ],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        {
            let mut layer = tx
                .prepare(
                    "INSERT INTO layers (record_id, idx, diff_id, digest, size_bytes,
                        compressed_size_bytes, command, reclaimable_bytes)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(err)?;
            let mut print = tx
                .prepare(
                    "INSERT INTO layer_fingerprints (record_id, idx, file_count, file_bytes,
                        content, sketch)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(err)?;
            for l in &record.layers {
                layer
                    .execute(params![
                        id,
                        to_i64(l.index as u64),
                        l.diff_id,
                        l.digest,
                        to_i64(l.size_bytes),
                        to_i64(l.compressed_size_bytes),
                        l.command,
                        to_i64(l.reclaimable_bytes),
                    ])
                    .map_err(err)?;
                if let Some(f) = &l.fingerprint {
                    print
                        .execute(params![
                            id,
                            to_i64(l.index as u64),
                            to_i64(f.file_count),
                            to_i64(f.file_bytes),
                            &f.content[..],
                            f.sketch_blob(),
                        ])
                        .map_err(err)?;
                }
            }
            let mut dir = tx
                .prepare(
                    "INSERT INTO directories (record_id, rank, path, size_bytes)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?;
            for (rank, d) in record.directories.iter().enumerate() {
                dir.execute(params![id, rank as i64, d.path, to_i64(d.size_bytes)])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Every name with its number of records, by name.
    pub fn names(&self) -> Result<Vec<(String, u64)>> {
        let run = || -> rusqlite::Result<Vec<(String, u64)>> {
            let mut stmt = self
                .conn
                .prepare("SELECT name, COUNT(*) FROM records GROUP BY name ORDER BY name")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, to_u64(r.get(1)?))))?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// Every record named `name`, oldest first, with layers and directories.
    pub fn series(&self, name: &str) -> Result<Vec<Record>> {
        let mut records = self
            .select("WHERE name = ?1 ORDER BY recorded_at, id", params![name])
            .map_err(|e| self.err(e))?;
        for r in &mut records {
            self.fill(r).map_err(|e| self.err(e))?;
        }
        Ok(records)
    }

    /// Whether any record named `name` has a branch.
    pub fn has_branches(&self, name: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM records WHERE name = ?1 AND git_branch IS NOT NULL)",
                params![name],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// The last record named `name` on the branches `branches` allows (the newest by time, then
    /// by insertion).
    pub fn last(&self, name: &str, branches: &BranchFilter) -> Result<Option<Record>> {
        self.one(name, branches, None, "ORDER BY recorded_at DESC, id DESC")
    }

    /// The oldest record named `name` on the allowed branches recorded at `since` or later.
    pub fn oldest_since(
        &self,
        name: &str,
        branches: &BranchFilter,
        since: i64,
    ) -> Result<Option<Record>> {
        self.one(name, branches, Some(since), "ORDER BY recorded_at, id")
    }

    fn one(
        &self,
        name: &str,
        branches: &BranchFilter,
        since: Option<i64>,
        order: &str,
    ) -> Result<Option<Record>> {
        let branch_list = match branches {
            BranchFilter::Any => None,
            // JSON text, so any number of branches binds as one parameter.
            BranchFilter::OneOf(list) => Some(serde_json::to_string(list)?),
        };
        let sql = format!(
            "WHERE name = ?1
               AND (?2 IS NULL OR git_branch IN (SELECT value FROM json_each(?2)))
               AND (?3 IS NULL OR recorded_at >= ?3)
             {order} LIMIT 1"
        );
        let mut found = self
            .select(&sql, params![name, branch_list, since])
            .map_err(|e| self.err(e))?;
        let mut record = found.pop();
        if let Some(r) = &mut record {
            self.fill(r).map_err(|e| self.err(e))?;
        }
        Ok(record)
    }

    fn select(&self, tail: &str, args: impl rusqlite::Params) -> rusqlite::Result<Vec<Record>> {
        let sql = format!(
            "SELECT id, name, recorded_at, input, image_name, tag, manifest_digest, config_digest,
                created, platform, size_bytes, compressed_size_bytes, file_count,
                reclaimable_bytes, efficiency, plan_node_cost_bytes, plan_pull_cost_bytes,
                plan_node_saving_bytes, plan_pull_saving_bytes, plan_share_of_node_cost,
                plan_actions, plan_worth_it_actions, git_commit, git_branch, tool_version
             FROM records {tail}"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(args, |r| {
            Ok(Record {
                id: r.get(0)?,
                name: r.get(1)?,
                recorded_at: r.get(2)?,
                input: r.get(3)?,
                image_name: r.get(4)?,
                tag: r.get(5)?,
                manifest_digest: r.get(6)?,
                config_digest: r.get(7)?,
                created: r.get(8)?,
                platform: r.get(9)?,
                size_bytes: to_u64(r.get(10)?),
                compressed_size_bytes: to_u64(r.get(11)?),
                file_count: to_u64(r.get(12)?),
                reclaimable_bytes: to_u64(r.get(13)?),
                efficiency: r.get(14)?,
                plan: PlanTotals {
                    node_cost_bytes: to_u64(r.get(15)?),
                    pull_cost_bytes: to_u64(r.get(16)?),
                    node_saving_bytes: to_u64(r.get(17)?),
                    pull_saving_bytes: to_u64(r.get(18)?),
                    share_of_node_cost: r.get(19)?,
                    actions: to_u64(r.get(20)?),
                    worth_it_actions: to_u64(r.get(21)?),
                },
                git_commit: r.get(22)?,
                git_branch: r.get(23)?,
                tool_version: r.get(24)?,
                layers: Vec::new(),
                directories: Vec::new(),
            })
        })?;
        rows.collect()
    }

    fn fill(&self, record: &mut Record) -> rusqlite::Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT idx, diff_id, digest, size_bytes, compressed_size_bytes, command,
                reclaimable_bytes
             FROM layers WHERE record_id = ?1 ORDER BY idx",
        )?;
        record.layers = stmt
            .query_map(params![record.id], |r| {
                Ok(LayerRow {
                    index: to_u64(r.get(0)?) as usize,
                    diff_id: r.get(1)?,
                    digest: r.get(2)?,
                    size_bytes: to_u64(r.get(3)?),
                    compressed_size_bytes: to_u64(r.get(4)?),
                    command: r.get(5)?,
                    reclaimable_bytes: to_u64(r.get(6)?),
                    fingerprint: None,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        // Fingerprints (schema 2): one that does not read back as one is left out.
        let mut stmt = self.conn.prepare(
            "SELECT idx, file_count, file_bytes, content, sketch
             FROM layer_fingerprints WHERE record_id = ?1 ORDER BY idx",
        )?;
        let prints = stmt.query_map(params![record.id], |r| {
            let blob = |i: usize| r.get_ref(i).ok().and_then(|v| v.as_blob().ok());
            let count = |i: usize| r.get_ref(i).ok().and_then(|v| v.as_i64().ok()).map(to_u64);
            let print = match (count(1), count(2), blob(3), blob(4)) {
                (Some(n), Some(bytes), Some(content), Some(sketch)) => {
                    crate::analysis::releases::LayerFingerprint::from_stored(
                        n, bytes, content, sketch,
                    )
                }
                _ => None,
            };
            Ok((r.get_ref(0).ok().and_then(|v| v.as_i64().ok()), print))
        })?;
        for p in prints {
            let (Some(idx), print) = p? else {
                continue;
            };
            if let Some(l) = record
                .layers
                .iter_mut()
                .find(|l| i64::try_from(l.index).ok() == Some(idx))
            {
                l.fingerprint = print;
            }
        }
        let mut stmt = self.conn.prepare(
            "SELECT path, size_bytes FROM directories WHERE record_id = ?1 ORDER BY rank",
        )?;
        record.directories = stmt
            .query_map(params![record.id], |r| {
                Ok(DirRow {
                    path: r.get(0)?,
                    size_bytes: to_u64(r.get(1)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(())
    }

    /// Run `sql` directly (tests use it to age records).
    #[doc(hidden)]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str, at: i64, size: u64) -> Record {
        Record {
            name: name.into(),
            recorded_at: at,
            input: "app.tar".into(),
            platform: "linux/amd64".into(),
            size_bytes: size,
            tool_version: "t".into(),
            layers: vec![LayerRow {
                index: 0,
                diff_id: Some("sha256:aa".into()),
                size_bytes: size,
                command: "ADD x /".into(),
                ..LayerRow::default()
            }],
            directories: vec![DirRow {
                path: "/usr".into(),
                size_bytes: size,
            }],
            ..Record::default()
        }
    }

    #[test]
    fn round_trip_and_baselines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/h.db");
        let mut store = Store::open_for_writing(&path).unwrap();
        let mut a = sample("app", 100, 10);
        a.git_branch = Some("main".into());
        let mut b = sample("app", 200, 20);
        b.git_branch = Some("feature".into());
        let c = sample("other", 300, 30);
        a.id = store.insert(&a).unwrap();
        b.id = store.insert(&b).unwrap();
        store.insert(&c).unwrap();
        let store = Store::open_for_reading(&path).unwrap();
        assert_eq!(store.series("app").unwrap(), vec![a.clone(), b.clone()]);
        assert_eq!(
            store.names().unwrap(),
            vec![("app".into(), 2), ("other".into(), 1)]
        );
        assert!(store.has_branches("app").unwrap());
        assert!(!store.has_branches("other").unwrap());
        let main = BranchFilter::OneOf(vec!["main".into(), "master".into()]);
        assert_eq!(store.last("app", &main).unwrap(), Some(a.clone()));
        assert_eq!(store.last("app", &BranchFilter::Any).unwrap(), Some(b));
        assert_eq!(store.oldest_since("app", &main, 101).unwrap(), None);
        assert_eq!(store.oldest_since("app", &main, 100).unwrap(), Some(a));
        assert_eq!(store.last("nothing", &BranchFilter::Any).unwrap(), None);
    }

    #[test]
    fn a_schema_1_history_is_migrated_and_keeps_its_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        {
            // What an imgscope of schema 1 wrote.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 1;
                 INSERT INTO records (name, recorded_at, input, platform, size_bytes,
                   compressed_size_bytes, file_count, layer_count, reclaimable_bytes, efficiency,
                   plan_node_cost_bytes, plan_pull_cost_bytes, plan_node_saving_bytes,
                   plan_pull_saving_bytes, plan_share_of_node_cost, plan_actions,
                   plan_worth_it_actions, tool_version)
                 VALUES ('app', 100, 'app.tar', 'linux/amd64', 10, 5, 1, 1, 0, 1.0, 10, 5, 0, 0,
                   0.0, 0, 0, 'old');
                 INSERT INTO layers (record_id, idx, diff_id, size_bytes, compressed_size_bytes,
                   command, reclaimable_bytes) VALUES (1, 0, 'sha256:aa', 10, 5, 'ADD x /', 0);"
            ))
            .unwrap();
        }
        let store = Store::open_for_reading(&path).unwrap();
        assert_eq!(store.version().unwrap(), SCHEMA_VERSION);
        assert_eq!(SCHEMA_VERSION, 2);
        let old = store.series("app").unwrap();
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].layers[0].fingerprint, None);
        drop(store);
        // A new record keeps its fingerprints; the schema still checks word for word.
        let mut store = Store::open_for_writing(&path).unwrap();
        let files: Vec<crate::analysis::releases::FileFact> = (0..100u8)
            .map(|i| crate::analysis::releases::FileFact {
                hash: Some([i; 16]),
                size: 10 + u64::from(i),
                path: std::sync::Arc::from(format!("/f{i}")),
            })
            .collect();
        let mut new = sample("app", 200, 20);
        new.layers[0].fingerprint = crate::analysis::releases::LayerFingerprint::of(&files);
        new.id = store.insert(&new).unwrap();
        let store = Store::open_for_reading(&path).unwrap();
        let series = store.series("app").unwrap();
        assert_eq!(series[1], new);
        assert!(series[1].layers[0].fingerprint.is_some());
        // A fingerprint that does not read back as one is left out, not an error.
        store
            .connection()
            .execute_batch("UPDATE layer_fingerprints SET sketch = x'00', content = 'text'")
            .unwrap();
        assert_eq!(store.series("app").unwrap()[1].layers[0].fingerprint, None);
    }

    #[test]
    fn a_failed_recording_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let mut store = Store::open_for_writing(&path).unwrap();
        // Two layers with one index: the second insert fails, after the record's row was written.
        let mut bad = sample("app", 100, 10);
        bad.layers.push(bad.layers[0].clone());
        assert!(store.insert(&bad).is_err());
        assert_eq!(store.series("app").unwrap(), vec![]);
        let count = |table: &str| -> i64 {
            store
                .connection()
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(
            (count("records"), count("layers"), count("directories")),
            (0, 0, 0)
        );
        // The connection is usable again.
        store.insert(&sample("app", 200, 20)).unwrap();
        assert_eq!(store.series("app").unwrap().len(), 1);
    }

    #[test]
    fn writers_on_threads_wait_for_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        const THREADS: usize = 4;
        const EACH: usize = 25;
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let path = &path;
                scope.spawn(move || {
                    // Each thread its own connection, as separate CI jobs would have.
                    let mut store = Store::open_for_writing(path).unwrap();
                    for i in 0..EACH {
                        store
                            .insert(&sample(&format!("t{t}"), i as i64, i as u64))
                            .unwrap();
                    }
                });
            }
        });
        let store = Store::open_for_reading(&path).unwrap();
        for t in 0..THREADS {
            let series = store.series(&format!("t{t}")).unwrap();
            let sizes: Vec<u64> = series.iter().map(|r| r.size_bytes).collect();
            assert_eq!(sizes, (0..EACH as u64).collect::<Vec<_>>());
            assert!(series.iter().all(|r| r.layers.len() == 1));
        }
    }
}
