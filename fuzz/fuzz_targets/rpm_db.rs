//! Bytes → `imgscope::packages::rpm`: the bytes as a whole rpmdb.sqlite file
//! (`parse_rpmdb_sqlite`: SQLite opened from memory, then every header of `Packages`) and as one
//! rpm header blob (`parse_header_blob`). The bytes are an image's, so hostile: neither may
//! panic, and what they return stays within the module's caps. Seed the corpus with
//! `tests/fixtures/rpmdb.sqlite` and its header blobs (`sqlite3 … "SELECT writefile(hnum ||
//! '.hdr', blob) FROM Packages"`).

#![no_main]

use imgscope::packages::limits::{
    MAX_FILES_PER_PACKAGE, MAX_FILES_TOTAL, MAX_PACKAGES, MAX_PATH_BYTES_RATIO, MAX_STRING_BYTES,
};
use imgscope::packages::rpm::{RpmPackage, parse_header_blob, parse_rpmdb_sqlite};
use libfuzzer_sys::fuzz_target;

fn check(p: &RpmPackage) {
    assert!(!p.name.is_empty());
    let optional = [&p.architecture, &p.source_rpm].into_iter().flatten();
    for s in [&p.name, &p.version]
        .into_iter()
        .chain(optional)
        .chain(p.files.iter())
    {
        assert!(s.len() <= MAX_STRING_BYTES);
    }
    assert!(p.files.len() <= MAX_FILES_PER_PACKAGE);
    assert!(p.files.iter().all(|f| f.starts_with('/')));
}

fuzz_target!(|data: &[u8]| {
    if let Ok(packages) = parse_rpmdb_sqlite(data) {
        assert!(packages.len() <= MAX_PACKAGES);
        assert!(packages.iter().map(|p| p.files.len()).sum::<usize>() <= MAX_FILES_TOTAL);
        for p in &packages {
            check(p);
            assert_ne!(p.name, "gpg-pubkey");
        }
    }
    if let Ok(p) = parse_header_blob(data) {
        check(&p);
        let path_bytes: usize = p.files.iter().map(String::len).sum();
        assert!(path_bytes <= MAX_PATH_BYTES_RATIO * data.len());
    }
});
