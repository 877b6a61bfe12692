//! Package knowledge, in one place: which files of an image are package databases, how each
//! manager's database reads (dpkg, apk, rpm, Python, npm), the caps that keep a hostile database
//! cheap, and who owns the bytes ([`ownership`]).
//!
//! The parsers are pure functions over the bytes the layer decoder kept of those files: no I/O, no
//! model, no panics, work linear in the input, output bounded by [`limits`]. They sit below the
//! model, so the decoder may ask [`is_database_file`] which files to keep. [`ownership`] is the
//! analysis stage over them: it reads the merged tree and attributes every file to the package that
//! lists it.

pub mod apk;
pub mod dpkg;
pub mod language;
pub mod limits;
pub mod npm;
pub mod ownership;
pub mod python;
pub mod record;
pub mod rpm;
mod text;

pub use ownership::{Package, Packages, analyze};
pub use record::{PackageRecord, Relations};

/// A database that cannot be read: one line saying what is wrong and where (`line 12: …`, a
/// record's path, an rpm header's `hnum`), or which cap of [`limits`] was exceeded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// Whether the file at `path` (normalized: relative to `/`) belongs to a package database the
/// parsers here read: dpkg's `status`, `status.d/*`, `info/*.list` and `diversions`, apk's
/// `installed`, rpm's `rpmdb.sqlite` (both places), and the language records
/// [`language::record_kind`] names.
pub fn is_database_file(path: &str) -> bool {
    if matches!(
        path,
        "var/lib/dpkg/status"
            | "var/lib/dpkg/diversions"
            | "lib/apk/db/installed"
            | "var/lib/rpm/rpmdb.sqlite"
            | "usr/lib/sysimage/rpm/rpmdb.sqlite"
    ) {
        return true;
    }
    // Python's RECORD and installed-files.txt, npm's package.json under node_modules.
    if language::record_kind(path).is_some() {
        return true;
    }
    if let Some(name) = path.strip_prefix("var/lib/dpkg/info/") {
        return !name.contains('/') && name.ends_with(".list");
    }
    if let Some(name) = path.strip_prefix("var/lib/dpkg/status.d/") {
        return !name.contains('/') && !name.is_empty();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::apk::*;
    use super::dpkg::*;
    use super::limits::*;

    use crate::test_rng::XorShift;

    fn all_parsers(bytes: &[u8]) {
        for records in [parse_dpkg_status(bytes), parse_apk_installed(bytes)]
            .into_iter()
            .flatten()
        {
            for r in &records {
                assert!(!r.name.is_empty() && r.name.len() <= MAX_STRING_BYTES);
                assert!(r.files.iter().all(|f| f.starts_with('/')));
            }
        }
        let _ = parse_dpkg_diversions(bytes);
        assert!(parse_dpkg_list(bytes).len() <= bytes.len());
        assert!(
            parse_md5sums_paths(bytes)
                .iter()
                .all(|p| p.starts_with('/'))
        );
        let name = String::from_utf8_lossy(bytes);
        let _ = dpkg_list_owner(&name);
    }

    #[test]
    fn random_bytes_do_not_panic() {
        const ALPHABET: &[u8] =
            b"\n\n\n\r: \t/PVAoIFRZ.x(1)Package:Status:install ok installed\xff\xe9";
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for round in 0..20_000 {
            let len = (rng.next() % 600) as usize;
            let mut buf = Vec::with_capacity(len);
            for _ in 0..len {
                let r = rng.next();
                buf.push(if round % 3 == 0 {
                    r as u8
                } else {
                    ALPHABET[(r % ALPHABET.len() as u64) as usize]
                });
            }
            // Splice in whole valid-looking lines too.
            if round % 5 == 0 {
                buf.extend(b"Package: p\nStatus: install ok installed\nP:q\nF:d\nR:r\n");
                buf.extend(b"d41d8cd98f00b204e9800998ecf8427e  a/b\n/x.list");
            }
            all_parsers(&buf);
        }
    }

    // ---- this machine's database -------------------------------------------------------------
}
