//! Every cap the package parsers apply, in one place: the files they read are an image's, so
//! hostile, and each cap bounds what one input may cost. A parser returning a `Result` fails with a
//! [`super::ParseError`] naming the cap (`… (MAX_PATHS)`); one returning a plain list stops at it.
//! `docs/limits.md` lists them for users.

// ---- Shared by every parser

/// Longest string kept, in bytes (4 KiB, Linux's `PATH_MAX`): longer names, versions and paths are
/// truncated on a char boundary (a truncated record path stays normalized). A record path given
/// to a language parser may not be longer: a longer one is an error (and
/// [`super::language::record_kind`] says `None`).
pub const MAX_STRING_BYTES: usize = 4096;

/// Most packages one database may hold (200,000); more is an error. A whole Debian release has
/// some 65,000 binary packages per architecture.
pub const MAX_PACKAGES: usize = 200_000;

/// Most path bytes a database may produce per byte of input (16). Paths are directories joined
/// with names (apk's `F:` and `R:`, rpm's directory and base names, a Python record's directory
/// and its lines), so a long directory shared by many short names could otherwise turn a few MiB
/// of input into gigabytes of paths; real databases stay near 1. For Python records the input's
/// length counts [`MAX_STRING_BYTES`] more, so that one longest path always fits.
pub const MAX_PATH_BYTES_RATIO: usize = 16;

// ---- dpkg and apk

/// Largest dpkg or apk database file accepted, in bytes (256 MiB): the parsers returning a
/// `Result` reject a larger input; those returning a plain list return an empty one. Real
/// databases are far smaller (a Debian 12 development machine: 0.6 MiB of `status`, 724
/// packages).
pub const MAX_INPUT_BYTES: usize = 256 << 20;

/// Most paths one dpkg or apk database or path list may produce (2,000,000): an apk database's
/// `R:` files in total, the entries of a diversions file, the paths of one `.list` or `.md5sums`
/// file, and the paths of all of an image's dpkg packages together. Over the cap, Alpine's
/// database and dpkg's diversions are errors; a `.list` or `.md5sums` file stops at it.
pub const MAX_PATHS: usize = 2_000_000;

/// Most dependency groups (and provided names) kept per package (1,024; Debian's largest
/// metapackages have a few hundred).
pub const MAX_RELATIONS: usize = 1024;

/// Most alternatives kept per dependency group (16).
pub const MAX_ALTERNATIVES: usize = 16;

// ---- Python and npm

/// Largest `RECORD` or `installed-files.txt` accepted, in bytes (64 MiB); larger is an error. Real
/// ones are far smaller: the largest of 141 on a development machine, cfn-lint's, is 1 MiB (8,754
/// paths).
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// Largest `package.json` accepted, in bytes (4 MiB); larger is an error. Real ones are a few KiB.
pub const MAX_PACKAGE_JSON_BYTES: usize = 4 << 20;

/// Most paths one `RECORD` or `installed-files.txt` may list (1,000,000); more is an error.
pub const MAX_RECORD_PATHS: usize = 1_000_000;

// ---- rpm

/// Largest `rpmdb.sqlite` accepted, in bytes (512 MiB); real ones are far smaller (the test
/// fixture of two packages: 65 KiB).
pub const MAX_DB_BYTES: usize = 512 << 20;

/// Most index entries one rpm header may have (100,000; rpm itself allows 65,535).
pub const MAX_INDEX_ENTRIES: u32 = 100_000;

/// Most data bytes one rpm header may have (256 MiB, rpm's own limit).
pub const MAX_DATA_BYTES: u32 = 256 << 20;

/// Most files (and most directory names) one rpm package may list (2,000,000).
pub const MAX_FILES_PER_PACKAGE: usize = 2_000_000;

/// Most files one rpm database may list in all its packages (10,000,000).
pub const MAX_FILES_TOTAL: usize = 10_000_000;

/// Most path bytes one rpm database may produce in all its packages (1 GiB).
pub const MAX_PATH_BYTES_TOTAL: usize = 1 << 30;

/// Most SQLite virtual-machine steps all statements on one rpm database may take together (about
/// 50,000,000: under a second; reading a database takes a few steps per package).
pub const MAX_SQL_STEPS: u64 = 50_000 * crate::untrusted_sqlite::PROGRESS_INTERVAL as u64;
