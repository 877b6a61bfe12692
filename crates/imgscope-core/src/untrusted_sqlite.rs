//! SQLite files from strangers (an image's rpm database, a history database anyone could have
//! written) are opened one way: defensive mode, an untrusted schema, no views or triggers run,
//! tight limits on what one statement may build, and one budget of SQL steps for everything run
//! on the connection, past which the running statement fails. Used by the rpm reader and the
//! history store.

use rusqlite::Connection;
use rusqlite::config::DbConfig;
use rusqlite::limits::Limit;

/// Steps between two calls of the progress handler.
pub const PROGRESS_INTERVAL: i32 = 1000;

/// Lock `conn` down: statements may be at most `max_sql_length` bytes, and everything run on it
/// together at most about `max_steps` virtual-machine steps.
pub fn harden(conn: &mut Connection, max_steps: u64, max_sql_length: i32) -> rusqlite::Result<()> {
    for (config, on) in [
        (DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true),
        (DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false),
    ] {
        conn.set_db_config(config, on)?;
    }
    for (limit, value) in [
        (Limit::SQLITE_LIMIT_SQL_LENGTH, max_sql_length),
        (Limit::SQLITE_LIMIT_COLUMN, 1000),
        (Limit::SQLITE_LIMIT_EXPR_DEPTH, 100),
        (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 10),
        (Limit::SQLITE_LIMIT_VDBE_OP, 100_000),
        (Limit::SQLITE_LIMIT_ATTACHED, 0),
        (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 1),
        (Limit::SQLITE_LIMIT_WORKER_THREADS, 0),
    ] {
        conn.set_limit(limit, value)?;
    }
    let mut calls: u64 = 0;
    let max_calls = max_steps / PROGRESS_INTERVAL as u64;
    conn.progress_handler(
        PROGRESS_INTERVAL,
        Some(move || {
            calls += 1;
            calls > max_calls
        }),
    )
}
