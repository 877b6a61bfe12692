//! Bytes → `imgscope::history::store::Store::open_for_reading`: the bytes as a history database
//! file (written to a fresh temporary directory, with no WAL or journal beside it), opened the way
//! `imgscope history` and the gates open one: SQLite hardened (defensive mode, untrusted schema,
//! no views or triggers, limits, a step budget), identity and schema checked word for word against
//! the migrations, damage checked, an older schema migrated. A history file may be anyone's, so
//! hostile: opening must not panic, and when it opens, every name it lists and the series of a
//! few of them read without panicking, and no view or trigger is left in the schema it accepted.
//! Seed the corpus with databases `imgscope record` wrote, and copies with a view or trigger added
//! or a table redefined.

#![no_main]

use std::path::Path;

use imgscope::history::store::Store;
use libfuzzer_sys::fuzz_target;

/// Names whose series are read, at most.
const MAX_SERIES: usize = 4;

fn base_dir() -> &'static Path {
    // In memory when the machine has it: a file written and opened every run.
    let shm = Path::new("/dev/shm");
    if shm.is_dir() { shm } else { Path::new("/tmp") }
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::Builder::new()
        .prefix("imgscope-fuzz-history")
        .tempdir_in(base_dir())
        .unwrap();
    let path = dir.path().join("history.db");
    std::fs::write(&path, data).unwrap();
    let Ok(store) = Store::open_for_reading(&path) else {
        return;
    };
    let hostile: i64 = store
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('view', 'trigger')",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    assert_eq!(hostile, 0, "a view or trigger in an accepted history");
    if let Ok(names) = store.names() {
        for (name, _) in names.iter().take(MAX_SERIES) {
            let _ = store.series(name);
        }
    }
});
