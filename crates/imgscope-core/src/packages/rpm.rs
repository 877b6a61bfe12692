//! rpm's SQLite package database → package records, so that every file of a RHEL, UBI, Fedora or
//! Rocky image can be attributed to the package that owns it.
//!
//! Such images keep their database in `/var/lib/rpm/rpmdb.sqlite` (newer ones in
//! `/usr/lib/sysimage/rpm/rpmdb.sqlite`): a table `Packages (hnum INTEGER PRIMARY KEY, blob BLOB)`
//! holding one rpm header per installed package, plus index tables that are not read here. The
//! layer decoder captures the file's bytes; [`parse_rpmdb_sqlite`] opens them as an in-memory,
//! read-only database (no temporary file) and [`parse_header_blob`] decodes each header.
//!
//! A header blob is rpm's on-disk header without its 8-byte magic (`headerExport` in rpm's
//! `lib/header.c`): big-endian `u32 il`, `u32 dl`, `il` index entries of four big-endian `u32`s
//! (tag, type, offset into the data, count), then `dl` bytes of data. Strings are NUL-terminated;
//! a string array is `count` strings one after another.
//!
//! Everything here reads bytes that come from an image, so it is written for hostile input: no
//! panics, no I/O, work bounded by the input's size, and output bounded by the caps below.
//! SQLite itself is hardened for the purpose: read-only, defensive mode, untrusted schema, views
//! and triggers off, `Packages` must be an ordinary table without generated columns, values no
//! longer than the input, and a progress handler that stops the reading after
//! [`MAX_SQL_STEPS`] virtual-machine steps in all. A database in WAL mode is read as if it were not
//! (only the main file is given; rpm checkpoints the log when it closes the database).

use std::io::Read;

use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, MAIN_DB};

use super::ParseError;
use super::limits::*;
use super::text::{text, truncate};

/// One installed package, from its rpm header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpmPackage {
    /// `NAME` (never empty).
    pub name: String,
    /// `VERSION-RELEASE`, with `EPOCH:` in front when the header has an epoch (even `0`); only the
    /// parts the header has (no `-` without a release).
    pub version: String,
    /// `ARCH`: `x86_64`, `noarch`…
    pub architecture: Option<String>,
    /// `SOURCERPM`: `bash-5.2.26-4.fc40.src.rpm`.
    pub source_rpm: Option<String>,
    /// Installed size in bytes: `LONGSIZE` when present, else `SIZE`.
    pub installed_size: Option<u64>,
    /// Absolute paths the package owns (files, directories it owns, ghosts), in header order:
    /// `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`, or `OLDFILENAMES` in old headers without them.
    /// Paths that are not absolute are left out.
    pub files: Vec<String>,
    /// `REQUIRENAME` without rpm's own `rpmlib(…)` features and file paths, and `PROVIDENAME`:
    /// capability names (`libc.so.6()(64bit)`, `config(bash)`, package names), at most
    /// [`MAX_RELATIONS`](super::limits::MAX_RELATIONS) each.
    pub requires: Vec<String>,
    pub provides: Vec<String>,
}

fn err<T>(message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(message.into()))
}

/// `bytes`: a whole rpmdb.sqlite file. Returns the installed packages with the files each owns,
/// in `Packages` order, without rpm's `gpg-pubkey` pseudo-packages (imported signing keys).
///
/// Fails on anything over a cap, on a database SQLite cannot read, and on the first header that
/// cannot be decoded (the message names its `hnum`).
pub fn parse_rpmdb_sqlite(bytes: &[u8]) -> Result<Vec<RpmPackage>, ParseError> {
    if bytes.len() > MAX_DB_BYTES {
        return err(format!(
            "rpmdb.sqlite: {} bytes, over the {MAX_DB_BYTES}-byte cap",
            bytes.len()
        ));
    }
    if bytes.len() < 100 || !bytes.starts_with(b"SQLite format 3\0") {
        return err("rpmdb.sqlite: not an SQLite 3 database (no header)");
    }
    let conn = open(bytes).map_err(|e| sql_error("opening", &e))?;
    check_packages_table(&conn)?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages")
        .map_err(|e| sql_error("reading Packages", &e))?;
    let mut rows = stmt
        .query([])
        .map_err(|e| sql_error("reading Packages", &e))?;
    let mut packages = Vec::new();
    let (mut blob_bytes, mut files_total, mut path_bytes_total) = (0usize, 0usize, 0usize);
    while let Some(row) = rows.next().map_err(|e| sql_error("reading Packages", &e))? {
        let hnum = match row.get_ref(0) {
            Ok(ValueRef::Integer(n)) => n.to_string(),
            _ => "?".to_string(),
        };
        let blob = match row.get_ref(1) {
            Ok(ValueRef::Blob(b)) => b,
            Ok(other) => {
                return err(format!(
                    "Packages row hnum={hnum}: blob is {:?}, not a BLOB",
                    other.data_type()
                ));
            }
            Err(e) => return Err(sql_error(&format!("Packages row hnum={hnum}"), &e)),
        };
        // The blobs are stored in the file, so together they cannot be larger than it; more means
        // SQLite is computing them, which would let a small file cost unbounded work.
        blob_bytes = blob_bytes.saturating_add(blob.len());
        if blob_bytes > bytes.len() {
            return err(format!(
                "Packages row hnum={hnum}: the headers add up to more bytes than the file holds"
            ));
        }
        let package = parse_header_blob(blob)
            .map_err(|e| ParseError(format!("Packages row hnum={hnum}: {e}")))?;
        if package.name == "gpg-pubkey" {
            continue;
        }
        files_total += package.files.len();
        if files_total > MAX_FILES_TOTAL {
            return err(format!(
                "Packages row hnum={hnum}: over {MAX_FILES_TOTAL} files in all"
            ));
        }
        path_bytes_total += package.files.iter().map(String::len).sum::<usize>();
        if path_bytes_total > MAX_PATH_BYTES_TOTAL {
            return err(format!(
                "Packages row hnum={hnum}: over {MAX_PATH_BYTES_TOTAL} bytes of paths in all"
            ));
        }
        if packages.len() == MAX_PACKAGES {
            return err(format!(
                "Packages row hnum={hnum}: over {MAX_PACKAGES} packages"
            ));
        }
        packages.push(package);
    }
    Ok(packages)
}

/// An in-memory, read-only, locked-down connection holding a copy of `bytes`.
fn open(bytes: &[u8]) -> rusqlite::Result<Connection> {
    let mut conn = Connection::open_in_memory()?;
    crate::untrusted_sqlite::harden(&mut conn, MAX_SQL_STEPS, 100_000)?;
    // No value may be longer than the file (nor than the largest header), so that a computed
    // value cannot allocate more than the input.
    let header_max = 8 + 16 * MAX_INDEX_ENTRIES as usize + MAX_DATA_BYTES as usize;
    let length = bytes.len().clamp(1 << 20, header_max);
    conn.set_limit(
        Limit::SQLITE_LIMIT_LENGTH,
        i32::try_from(length).unwrap_or(i32::MAX),
    )?;
    conn.set_limit(Limit::SQLITE_LIMIT_SCHEMA, 10_000)?;
    // SQLite cannot open a WAL-mode database from memory; bytes 18 and 19 (read and write
    // version, 2 = WAL) are read as 1 (rollback journal) in the copy SQLite gets.
    let patch: &[u8] = if bytes[18..20] == [2, 2] {
        &[1, 1]
    } else {
        &bytes[18..20]
    };
    let reader = bytes[..18].chain(patch).chain(&bytes[20..]);
    conn.deserialize_read_exact(MAIN_DB, reader, bytes.len(), true)?;
    conn.pragma_update(None, "cell_size_check", true)?;
    Ok(conn)
}

/// `Packages` must be an ordinary table (not a view or a virtual table) without generated
/// columns: anything else could make SQLite compute rows instead of reading them.
fn check_packages_table(conn: &Connection) -> Result<(), ParseError> {
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM pragma_table_list WHERE schema = 'main' AND name = 'Packages' \
             COLLATE NOCASE",
            [],
            |row| row.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })
        .map_err(|e| sql_error("reading the schema", &e))?;
    match kind.as_deref() {
        Some("table") => {}
        Some(other) => return err(format!("rpmdb.sqlite: Packages is a {other}, not a table")),
        None => return err("rpmdb.sqlite: no Packages table"),
    }
    let generated: i64 = conn
        .query_row(
            "SELECT count(*) FROM pragma_table_xinfo('Packages') WHERE hidden != 0",
            [],
            |row| row.get(0),
        )
        .map_err(|e| sql_error("reading the schema", &e))?;
    if generated != 0 {
        return err("rpmdb.sqlite: Packages has generated or hidden columns");
    }
    Ok(())
}

fn sql_error(doing: &str, e: &rusqlite::Error) -> ParseError {
    let message = e.to_string().replace(['\n', '\r'], " ");
    ParseError(format!("rpmdb.sqlite: {doing}: {message}"))
}

// Header tags and types (rpm's `rpmtag.h`).
const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_SIZE: u32 = 1009;
const TAG_ARCH: u32 = 1022;
const TAG_OLDFILENAMES: u32 = 1027;
const TAG_SOURCERPM: u32 = 1044;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;
const TAG_LONGSIZE: u32 = 5009;
const TAG_PROVIDENAME: u32 = 1047;
const TAG_REQUIRENAME: u32 = 1049;
const WANTED: [u32; 14] = [
    TAG_NAME,
    TAG_VERSION,
    TAG_RELEASE,
    TAG_EPOCH,
    TAG_SIZE,
    TAG_ARCH,
    TAG_OLDFILENAMES,
    TAG_SOURCERPM,
    TAG_DIRINDEXES,
    TAG_BASENAMES,
    TAG_DIRNAMES,
    TAG_LONGSIZE,
    TAG_PROVIDENAME,
    TAG_REQUIRENAME,
];

const TYPE_NULL: u32 = 0;
const TYPE_CHAR: u32 = 1;
const TYPE_INT8: u32 = 2;
const TYPE_INT16: u32 = 3;
const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_BIN: u32 = 7;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// One index entry, checked against the data: `offset <= dl`, and for fixed-size types
/// `offset + count * size <= dl`.
#[derive(Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: usize,
}

struct Header<'a> {
    data: &'a [u8],
    /// The first entry of each tag of [`WANTED`], in its order.
    wanted: [Option<Entry>; WANTED.len()],
}

/// Parse one rpm header blob (the `blob` column of the `Packages` table: the header without its
/// 8-byte magic). `gpg-pubkey` headers are returned like any other.
///
/// Every index entry is checked against the data (known type, count at least 1, data within
/// `dl`); the tags read are decoded in full (strings NUL-terminated within the data, `DIRINDEXES`
/// within `DIRNAMES`). A header without a `NAME` is an error.
pub fn parse_header_blob(blob: &[u8]) -> Result<RpmPackage, ParseError> {
    let header = Header::parse(blob)?;
    let Some(name) = header.string(TAG_NAME)? else {
        return err("header: no NAME");
    };
    if name.is_empty() {
        return err("header: empty NAME");
    }
    let version = header.string(TAG_VERSION)?.unwrap_or_default();
    let release = header.string(TAG_RELEASE)?;
    let epoch = header.number(TAG_EPOCH)?;
    let mut full = String::new();
    if let Some(epoch) = epoch {
        full = format!("{epoch}:");
    }
    full.push_str(&version);
    if let Some(release) = release {
        full.push('-');
        full.push_str(&release);
    }
    let installed_size = match header.number(TAG_LONGSIZE)? {
        Some(size) => Some(size),
        None => header.number(TAG_SIZE)?,
    };
    truncate(&mut full);
    Ok(RpmPackage {
        name,
        version: full,
        architecture: header.string(TAG_ARCH)?,
        source_rpm: header.string(TAG_SOURCERPM)?,
        installed_size,
        files: header.files(blob.len())?,
        requires: header.capabilities(TAG_REQUIRENAME)?,
        provides: header.capabilities(TAG_PROVIDENAME)?,
    })
}

impl<'a> Header<'a> {
    fn parse(blob: &'a [u8]) -> Result<Self, ParseError> {
        let Some((il, dl)) = blob.get(..8).map(|b| (be32(&b[..4]), be32(&b[4..8]))) else {
            return err(format!(
                "header: {} bytes, too short for its il and dl",
                blob.len()
            ));
        };
        if il > MAX_INDEX_ENTRIES {
            return err(format!(
                "header: il={il} index entries, over the {MAX_INDEX_ENTRIES} cap"
            ));
        }
        if dl > MAX_DATA_BYTES {
            return err(format!(
                "header: dl={dl} data bytes, over the {MAX_DATA_BYTES} cap"
            ));
        }
        let (il, dl) = (il as usize, dl as usize);
        let expected = 8 + 16 * il + dl;
        if blob.len() != expected {
            return err(format!(
                "header: {} bytes, but 8 + 16 * il({il}) + dl({dl}) = {expected}",
                blob.len()
            ));
        }
        let index = &blob[8..8 + 16 * il];
        let data = &blob[8 + 16 * il..];
        let mut wanted = [None; WANTED.len()];
        for (i, raw) in index.chunks_exact(16).enumerate() {
            let (tag, kind) = (be32(&raw[..4]), be32(&raw[4..8]));
            let (offset, count) = (be32(&raw[8..12]) as usize, be32(&raw[12..16]) as usize);
            let bad = |why: &str| {
                err(format!(
                    "header entry {i} (tag {tag}, type {kind}, offset {offset}, count {count}): {why}"
                ))
            };
            if kind > TYPE_I18NSTRING {
                return bad("unknown type");
            }
            if count == 0 {
                return bad("count 0");
            }
            if offset > dl {
                return bad(&format!("offset past dl={dl}"));
            }
            let room = dl - offset;
            let fits = match element_size(kind) {
                // Each string takes at least its NUL.
                None => count <= room && (kind != TYPE_STRING || count == 1),
                Some(size) => count.checked_mul(size).is_some_and(|n| n <= room),
            };
            if !fits {
                return bad(&format!("data past dl={dl}"));
            }
            if let Some(slot) = WANTED.iter().position(|&t| t == tag) {
                wanted[slot].get_or_insert(Entry {
                    tag,
                    kind,
                    offset,
                    count,
                });
            }
        }
        Ok(Header { data, wanted })
    }

    fn entry(&self, tag: u32) -> Option<Entry> {
        let slot = WANTED.iter().position(|&t| t == tag)?;
        self.wanted[slot]
    }

    /// A string tag: `STRING`, or the first string of a `STRING_ARRAY` or `I18NSTRING` (the
    /// untranslated one).
    fn string(&self, tag: u32) -> Result<Option<String>, ParseError> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        if !matches!(e.kind, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return err(format!("header tag {tag}: type {}, not a string", e.kind));
        }
        let mut strings = self.strings(e);
        let first = strings.next().transpose()?.unwrap_or_default();
        Ok(Some(text(first)))
    }

    /// A number tag: the first element of a `CHAR`, `INT8`, `INT16`, `INT32` or `INT64` entry.
    fn number(&self, tag: u32) -> Result<Option<u64>, ParseError> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        let Some(size) = element_size(e.kind).filter(|_| e.kind != TYPE_BIN) else {
            return err(format!("header tag {tag}: type {}, not a number", e.kind));
        };
        // Parse checked that `count >= 1` elements of `size` bytes fit.
        let bytes = &self.data[e.offset..e.offset + size];
        Ok(Some(bytes.iter().fold(0u64, |n, &b| n << 8 | u64::from(b))))
    }

    /// The NUL-terminated strings of a string entry, as raw bytes; an unterminated one is an
    /// error. Work: the bytes they span.
    fn strings(&self, e: Entry) -> StringIter<'a> {
        StringIter {
            rest: &self.data[e.offset..],
            left: e.count,
            tag: e.tag,
        }
    }

    /// A string-array tag, as raw byte strings, at most `max` of them.
    fn string_array(&self, tag: u32, max: usize) -> Result<Option<Vec<&'a [u8]>>, ParseError> {
        let Some(e) = self.entry(tag) else {
            return Ok(None);
        };
        if !matches!(e.kind, TYPE_STRING_ARRAY | TYPE_STRING | TYPE_I18NSTRING) {
            return err(format!(
                "header tag {tag}: type {}, not a string array",
                e.kind
            ));
        }
        if e.count > max {
            return err(format!(
                "header tag {tag}: {} strings, over the {max} cap",
                e.count
            ));
        }
        self.strings(e).collect::<Result<Vec<_>, _>>().map(Some)
    }

    /// A capability list (`REQUIRENAME`, `PROVIDENAME`), deduplicated, without `rpmlib(…)`
    /// features and file paths, at most [`MAX_RELATIONS`](super::limits::MAX_RELATIONS)
    /// names kept (a longer list is cut, not refused: the rest of the header stands).
    fn capabilities(&self, tag: u32) -> Result<Vec<String>, ParseError> {
        let Some(names) = self.string_array(tag, MAX_FILES_PER_PACKAGE)? else {
            return Ok(Vec::new());
        };
        let mut out: Vec<String> = Vec::new();
        let mut seen: hashbrown::HashSet<&[u8]> = hashbrown::HashSet::new();
        for name in names {
            if out.len() == super::limits::MAX_RELATIONS {
                break;
            }
            if name.is_empty() || name.starts_with(b"rpmlib(") || name.starts_with(b"/") {
                continue;
            }
            if seen.insert(name) {
                out.push(text(name));
            }
        }
        Ok(out)
    }

    /// The package's paths: `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]`, else `OLDFILENAMES`.
    fn files(&self, blob_len: usize) -> Result<Vec<String>, ParseError> {
        let paths: Vec<(&[u8], &[u8])> = if let Some(bases) =
            self.string_array(TAG_BASENAMES, MAX_FILES_PER_PACKAGE)?
        {
            let Some(dirs) = self.string_array(TAG_DIRNAMES, MAX_FILES_PER_PACKAGE)? else {
                return err("header: BASENAMES without DIRNAMES");
            };
            let Some(e) = self.entry(TAG_DIRINDEXES) else {
                return err("header: BASENAMES without DIRINDEXES");
            };
            if e.kind != TYPE_INT32 {
                return err(format!(
                    "header tag {TAG_DIRINDEXES}: type {}, not INT32",
                    e.kind
                ));
            }
            if e.count != bases.len() {
                return err(format!(
                    "header: {} DIRINDEXES for {} BASENAMES",
                    e.count,
                    bases.len()
                ));
            }
            // Parse checked that `count` INT32s fit.
            let indexes = self.data[e.offset..e.offset + 4 * e.count].chunks_exact(4);
            let mut paths = Vec::with_capacity(bases.len());
            for (i, (base, index)) in bases.into_iter().zip(indexes).enumerate() {
                let index = be32(index) as usize;
                let Some(&dir) = dirs.get(index) else {
                    return err(format!(
                        "header: DIRINDEXES[{i}] = {index}, but only {} DIRNAMES",
                        dirs.len()
                    ));
                };
                paths.push((dir, base));
            }
            paths
        } else if let Some(names) = self.string_array(TAG_OLDFILENAMES, MAX_FILES_PER_PACKAGE)? {
            names.into_iter().map(|name| (name, &b""[..])).collect()
        } else {
            Vec::new()
        };
        let path_bytes: usize = paths.iter().map(|(d, b)| d.len() + b.len()).sum();
        let cap = blob_len.saturating_mul(MAX_PATH_BYTES_RATIO);
        if path_bytes > cap {
            return err(format!(
                "header: {path_bytes} bytes of paths, over {MAX_PATH_BYTES_RATIO} × its {blob_len} bytes"
            ));
        }
        let mut buf = Vec::new();
        Ok(paths
            .into_iter()
            .filter(|(dir, base)| dir.first().or(base.first()) == Some(&b'/'))
            .map(|(dir, base)| {
                buf.clear();
                buf.extend_from_slice(&dir[..dir.len().min(MAX_STRING_BYTES + 4)]);
                let room = (MAX_STRING_BYTES + 4).saturating_sub(buf.len());
                buf.extend_from_slice(&base[..base.len().min(room)]);
                text(&buf)
            })
            .collect())
    }
}

struct StringIter<'a> {
    rest: &'a [u8],
    left: usize,
    tag: u32,
}

impl<'a> Iterator for StringIter<'a> {
    type Item = Result<&'a [u8], ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let Some(end) = self.rest.iter().position(|&b| b == 0) else {
            self.left = 0;
            return Some(err(format!(
                "header tag {}: string not NUL-terminated within the data",
                self.tag
            )));
        };
        let (s, rest) = (&self.rest[..end], &self.rest[end + 1..]);
        self.rest = rest;
        Some(Ok(s))
    }
}

/// Bytes per element of a fixed-size type; `None` for the string types.
fn element_size(kind: u32) -> Option<usize> {
    match kind {
        TYPE_NULL => Some(0),
        TYPE_CHAR | TYPE_INT8 | TYPE_BIN => Some(1),
        TYPE_INT16 => Some(2),
        TYPE_INT32 => Some(4),
        TYPE_INT64 => Some(8),
        _ => None,
    }
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::XorShift;
    use std::time::{Duration, Instant};

    /// A real rpmdb.sqlite, made by rpm 4.18 (Debian's `rpm` package): two packages built with
    /// `rpmbuild -bb` (`tinylib` 0.5.1-1.el9 noarch: `/etc/tinylib/tinylib.conf`; `hello`
    /// 2:1.0-3 x86_64: `/usr/bin/hello`, `%dir /usr/share/hello`, `/usr/share/hello/data.txt`,
    /// `/usr/share/hello/sub/deep.txt`), installed with `rpm --root R --dbpath /var/lib/rpm
    /// --define '_db_backend sqlite'` `--initdb`, then `-ivh --nodeps --noscripts`, a public key
    /// from `gpg --quick-gen-key` added with `--import` (a `gpg-pubkey` row), and the file shrunk
    /// from 225 KiB with `sqlite3 rpmdb.sqlite 'PRAGMA journal_mode=DELETE' 'PRAGMA
    /// page_size=1024' VACUUM 'PRAGMA journal_mode=WAL'` (rows untouched, WAL mode as rpm leaves
    /// it). `rpm -qa --qf '%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SIZE}\n'` on it:
    /// `tinylib 0:0.5.1-1.el9 noarch 10`, `hello 2:1.0-3 x86_64 31`,
    /// `gpg-pubkey 0:c7325064-6b111a74 (none) 0`; `rpm -ql` lists the paths below.
    const FIXTURE: &[u8] = include_bytes!("../../../../tests/fixtures/rpmdb.sqlite");

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn real_database() {
        let packages = parse_rpmdb_sqlite(FIXTURE).unwrap();
        assert_eq!(
            packages,
            vec![
                RpmPackage {
                    name: "tinylib".into(),
                    version: "0.5.1-1.el9".into(),
                    architecture: Some("noarch".into()),
                    source_rpm: Some("tinylib-0.5.1-1.el9.src.rpm".into()),
                    installed_size: Some(10),
                    files: strings(&["/etc/tinylib/tinylib.conf"]),
                    // rpmbuild's own: a %config file is a capability (rpmlib(…) left out).
                    requires: strings(&["config(tinylib)"]),
                    provides: strings(&["config(tinylib)", "tinylib"]),
                },
                RpmPackage {
                    name: "hello".into(),
                    version: "2:1.0-3".into(),
                    architecture: Some("x86_64".into()),
                    source_rpm: Some("hello-1.0-3.src.rpm".into()),
                    installed_size: Some(31),
                    files: strings(&[
                        "/usr/bin/hello",
                        "/usr/share/hello",
                        "/usr/share/hello/data.txt",
                        "/usr/share/hello/sub/deep.txt",
                    ]),
                    requires: Vec::new(),
                    provides: strings(&["hello", "hello(x86-64)"]),
                },
            ]
        );
    }

    #[test]
    fn real_database_in_wal_mode_and_not() {
        assert_eq!(FIXTURE[18..20], [2, 2], "the fixture is in WAL mode");
        let mut rollback = FIXTURE.to_vec();
        rollback[18..20].copy_from_slice(&[1, 1]);
        assert_eq!(
            parse_rpmdb_sqlite(&rollback).unwrap(),
            parse_rpmdb_sqlite(FIXTURE).unwrap()
        );
    }

    /// The fixture's `Packages` rows, straight from SQLite.
    fn fixture_blobs() -> Vec<(i64, Vec<u8>)> {
        let conn = open(FIXTURE).unwrap();
        let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages").unwrap();
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn real_header_blobs_gpg_pubkey_included() {
        let blobs = fixture_blobs();
        assert_eq!(blobs.iter().map(|b| b.0).collect::<Vec<_>>(), [1, 2, 3]);
        let key = parse_header_blob(&blobs[2].1).unwrap();
        assert_eq!(key.name, "gpg-pubkey");
        assert_eq!(key.version, "c7325064-6b111a74");
        assert!(key.files.is_empty());
        assert_eq!(parse_header_blob(&blobs[1].1).unwrap().name, "hello");
    }

    /// Builds a header: entries in order, data aligned as rpm aligns it.
    #[derive(Default)]
    struct Hdr {
        index: Vec<[u32; 4]>,
        data: Vec<u8>,
    }

    impl Hdr {
        fn raw(mut self, tag: u32, kind: u32, count: u32, bytes: &[u8]) -> Self {
            let align = element_size(kind).unwrap_or(1).max(1);
            while !self.data.len().is_multiple_of(align) {
                self.data.push(0);
            }
            self.index.push([tag, kind, self.data.len() as u32, count]);
            self.data.extend_from_slice(bytes);
            self
        }
        fn string(self, tag: u32, s: &str) -> Self {
            self.raw(tag, TYPE_STRING, 1, &[s.as_bytes(), b"\0"].concat())
        }
        fn array(self, tag: u32, kind: u32, v: &[&str]) -> Self {
            let bytes: Vec<u8> = v
                .iter()
                .flat_map(|s| [s.as_bytes(), b"\0"].concat())
                .collect();
            self.raw(tag, kind, v.len() as u32, &bytes)
        }
        fn int32(self, tag: u32, v: &[u32]) -> Self {
            let bytes: Vec<u8> = v.iter().flat_map(|n| n.to_be_bytes()).collect();
            self.raw(tag, TYPE_INT32, v.len() as u32, &bytes)
        }
        fn build(&self) -> Vec<u8> {
            let mut out = Vec::new();
            out.extend((self.index.len() as u32).to_be_bytes());
            out.extend((self.data.len() as u32).to_be_bytes());
            for e in &self.index {
                for n in e {
                    out.extend(n.to_be_bytes());
                }
            }
            out.extend(&self.data);
            out
        }
    }

    fn named(name: &str) -> Hdr {
        Hdr::default().string(TAG_NAME, name)
    }

    fn parse_err(h: &Hdr) -> String {
        parse_header_blob(&h.build()).unwrap_err().0
    }

    #[test]
    fn every_type() {
        let blob = Hdr::default()
            .raw(63, TYPE_BIN, 16, &[0; 16]) // a region tag, as rpm writes first
            .raw(100, TYPE_NULL, 1, &[])
            .raw(1004, TYPE_CHAR, 3, b"abc")
            .raw(1005, TYPE_INT8, 2, &[1, 2])
            .raw(1006, TYPE_INT16, 2, &[0, 1, 0, 2])
            .raw(TAG_EPOCH, TYPE_INT16, 1, &[0x01, 0x02])
            .raw(TAG_LONGSIZE, TYPE_INT64, 1, &(5u64 << 32).to_be_bytes())
            .int32(TAG_SIZE, &[7])
            .array(TAG_NAME, TYPE_I18NSTRING, &["pkg", "paquet"])
            .array(TAG_VERSION, TYPE_STRING_ARRAY, &["1.2"])
            .string(TAG_RELEASE, "3.fc40")
            .string(TAG_ARCH, "aarch64")
            .array(1016, TYPE_I18NSTRING, &["Group"])
            .build();
        let p = parse_header_blob(&blob).unwrap();
        assert_eq!(p.name, "pkg");
        assert_eq!(p.version, "258:1.2-3.fc40");
        assert_eq!(p.architecture.as_deref(), Some("aarch64"));
        assert_eq!(p.source_rpm, None);
        assert_eq!(p.installed_size, Some(5 << 32), "LONGSIZE wins over SIZE");
        assert!(p.files.is_empty());
    }

    #[test]
    fn numbers_of_every_width() {
        for (kind, bytes, want) in [
            (TYPE_CHAR, vec![9], 9u64),
            (TYPE_INT8, vec![200], 200),
            (TYPE_INT16, vec![1, 0], 256),
            (TYPE_INT32, vec![0xff, 0xff, 0xff, 0xff], u32::MAX as u64),
            (TYPE_INT64, vec![0, 0, 0, 1, 0, 0, 0, 0], 1 << 32),
        ] {
            let p = parse_header_blob(&named("n").raw(TAG_SIZE, kind, 1, &bytes).build()).unwrap();
            assert_eq!(p.installed_size, Some(want), "type {kind}");
        }
        let p = parse_header_blob(&named("n").int32(TAG_EPOCH, &[0]).build()).unwrap();
        assert_eq!(p.version, "0:", "an epoch of 0 is an epoch");
        let p = parse_header_blob(&named("n").string(TAG_VERSION, "1").build()).unwrap();
        assert_eq!((p.version.as_str(), p.installed_size), ("1", None));
        let e = parse_err(&named("n").string(TAG_EPOCH, "1"));
        assert!(e.contains("not a number"), "{e}");
        let e = parse_err(&named("n").raw(TAG_SIZE, TYPE_BIN, 4, &[0; 4]));
        assert!(e.contains("not a number"), "{e}");
        let e = parse_err(&Hdr::default().int32(TAG_NAME, &[1]));
        assert!(e.contains("not a string"), "{e}");
    }

    #[test]
    fn dirnames_and_basenames() {
        let h = named("p")
            .int32(TAG_DIRINDEXES, &[0, 1, 1, 0])
            .array(TAG_BASENAMES, TYPE_STRING_ARRAY, &["bin", "a", "b", "etc"])
            .array(TAG_DIRNAMES, TYPE_STRING_ARRAY, &["/", "/usr/lib/"])
            .array(TAG_OLDFILENAMES, TYPE_STRING_ARRAY, &["/ignored"]);
        let p = parse_header_blob(&h.build()).unwrap();
        assert_eq!(
            p.files,
            strings(&["/bin", "/usr/lib/a", "/usr/lib/b", "/etc"])
        );
    }

    #[test]
    fn oldfilenames() {
        let h = named("p").array(
            TAG_OLDFILENAMES,
            TYPE_STRING_ARRAY,
            &["/etc/x", "relative", "", "/usr/y"],
        );
        let p = parse_header_blob(&h.build()).unwrap();
        assert_eq!(
            p.files,
            strings(&["/etc/x", "/usr/y"]),
            "not absolute: left out"
        );
    }

    #[test]
    fn file_list_errors() {
        let bases = |h: Hdr| h.array(TAG_BASENAMES, TYPE_STRING_ARRAY, &["a", "b"]);
        let e = parse_err(&bases(named("p")).int32(TAG_DIRINDEXES, &[0, 0]));
        assert!(e.contains("without DIRNAMES"), "{e}");
        let e = parse_err(&bases(named("p")).array(TAG_DIRNAMES, TYPE_STRING_ARRAY, &["/"]));
        assert!(e.contains("without DIRINDEXES"), "{e}");
        let e = parse_err(
            &bases(named("p"))
                .array(TAG_DIRNAMES, TYPE_STRING_ARRAY, &["/"])
                .int32(TAG_DIRINDEXES, &[0]),
        );
        assert!(e.contains("1 DIRINDEXES for 2 BASENAMES"), "{e}");
        let e = parse_err(
            &bases(named("p"))
                .array(TAG_DIRNAMES, TYPE_STRING_ARRAY, &["/"])
                .int32(TAG_DIRINDEXES, &[0, 1]),
        );
        assert!(e.contains("DIRINDEXES[1] = 1, but only 1 DIRNAMES"), "{e}");
        let e = parse_err(
            &bases(named("p"))
                .array(TAG_DIRNAMES, TYPE_STRING_ARRAY, &["/"])
                .raw(TAG_DIRINDEXES, TYPE_INT16, 2, &[0; 4]),
        );
        assert!(e.contains("not INT32"), "{e}");
        let e = parse_err(&named("p").int32(TAG_BASENAMES, &[1]));
        assert!(e.contains("not a string array"), "{e}");
    }

    #[test]
    fn too_many_files() {
        let n = MAX_FILES_PER_PACKAGE + 1;
        let h = named("p").raw(TAG_BASENAMES, TYPE_STRING_ARRAY, n as u32, &vec![0; n]);
        let e = parse_err(&h);
        assert!(e.contains("over the 2000000 cap"), "{e}");
    }

    #[test]
    fn path_bytes_bounded_by_the_header_size() {
        // 100,000 empty base names in a 4,000-byte directory: 400 MB of paths from 900 KB.
        let n = 100_000;
        let dir = format!("/{}/", "d".repeat(3998));
        let h = named("p")
            .array(TAG_DIRNAMES, TYPE_STRING_ARRAY, &[&dir])
            .int32(TAG_DIRINDEXES, &vec![0; n])
            .raw(TAG_BASENAMES, TYPE_STRING_ARRAY, n as u32, &vec![0; n]);
        let e = parse_err(&h);
        assert!(e.contains("bytes of paths, over 16"), "{e}");
    }

    #[test]
    fn long_strings_truncated_on_char_boundaries() {
        let long = "é".repeat(3000); // 6,000 bytes
        let dir = format!("/{}/", "d".repeat(2999)); // 3,001 bytes: 4,096 splits an 'é'
        let h = Hdr::default()
            .string(TAG_NAME, &long)
            .string(TAG_VERSION, &long)
            .string(TAG_RELEASE, "1")
            .array(TAG_DIRNAMES, TYPE_STRING_ARRAY, &[&dir])
            .int32(TAG_DIRINDEXES, &[0])
            .array(TAG_BASENAMES, TYPE_STRING_ARRAY, &[&long]);
        let p = parse_header_blob(&h.build()).unwrap();
        assert_eq!(p.name, "é".repeat(2048));
        assert_eq!(p.version, "é".repeat(2048));
        assert_eq!(p.files[0].len(), 4096 - 1);
        assert!(p.files[0].starts_with(&dir) && p.files[0].ends_with('é'));
        // Invalid UTF-8 is replaced, not rejected.
        let mut raw = b"n\xffx".to_vec();
        raw.push(0);
        let p = parse_header_blob(&Hdr::default().raw(TAG_NAME, TYPE_STRING, 1, &raw).build());
        assert_eq!(p.unwrap().name, "n\u{fffd}x");
    }

    /// A header from index entries `[tag, type, offset, count]` and data, il and dl as given.
    fn blob(il: u32, dl: u32, index: &[[u32; 4]], data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(il.to_be_bytes());
        out.extend(dl.to_be_bytes());
        for e in index {
            for n in e {
                out.extend(n.to_be_bytes());
            }
        }
        out.extend(data);
        out
    }

    fn blob_err(index: &[[u32; 4]], data: &[u8]) -> String {
        let b = blob(index.len() as u32, data.len() as u32, index, data);
        parse_header_blob(&b).unwrap_err().0
    }

    #[test]
    fn bounds_violations_are_errors() {
        let name = [TAG_NAME, TYPE_STRING, 0, 1];
        assert!(parse_header_blob(&blob(1, 2, &[name], b"x\0")).is_ok());
        for (index, data, want) in [
            (
                vec![name, [1, TYPE_INT32, 9, 1]],
                &b"x\0"[..],
                "offset past dl=2",
            ),
            (vec![name, [1, TYPE_INT32, 0, 1]], b"x\0", "data past dl=2"),
            (
                vec![name, [1, TYPE_INT64, 0, u32::MAX]],
                b"x\0",
                "data past dl=2",
            ),
            (vec![name, [1, TYPE_BIN, 2, 1]], b"x\0", "data past dl=2"),
            (
                vec![name, [1, TYPE_STRING_ARRAY, 0, 3]],
                b"x\0",
                "data past dl=2",
            ),
            (
                vec![name, [1, TYPE_STRING_ARRAY, u32::MAX, u32::MAX]],
                b"x\0",
                "offset past",
            ),
            (vec![name, [1, TYPE_STRING, 0, 2]], b"x\0", "data past dl=2"),
            (vec![name, [1, 10, 0, 1]], b"x\0", "unknown type"),
            (vec![name, [1, TYPE_INT32, 0, 0]], b"x\0", "count 0"),
            (vec![name], b"xy", "not NUL-terminated"),
            (
                vec![[TAG_NAME, TYPE_STRING, 2, 1]],
                b"x\0",
                "data past dl=2",
            ),
            (
                vec![[TAG_NAME, TYPE_STRING, 1, 1]],
                b"xy",
                "not NUL-terminated",
            ),
            (
                vec![[TAG_BASENAMES, TYPE_STRING_ARRAY, 0, 2], name],
                b"x\0",
                "not NUL-terminated",
            ),
            (vec![[1, TYPE_BIN, 0, 2]], b"x\0", "no NAME"),
            (vec![[TAG_NAME, TYPE_STRING, 1, 1]], b"x\0", "empty NAME"),
        ] {
            let e = blob_err(&index, data);
            assert!(e.contains(want), "{e:?} should say {want:?}");
        }
        for (b, want) in [
            (vec![0, 0, 0], "too short"),
            (blob(200_000, 0, &[], &[]), "over the 100000 cap"),
            (
                blob(0, MAX_DATA_BYTES + 1, &[], &[]),
                "over the 268435456 cap",
            ),
            (blob(u32::MAX, u32::MAX, &[], &[]), "over the 100000 cap"),
            (blob(1000, 0, &[], &[]), "but 8 + 16 * il(1000)"),
            (blob(1, 2, &[name], b"x\0\0"), "but 8 + 16 * il(1)"),
            (blob(1, 3, &[name], b"x\0"), "but 8 + 16 * il(1)"),
        ] {
            let e = parse_header_blob(&b).unwrap_err().0;
            assert!(e.contains(want), "{e:?} should say {want:?}");
            assert!(!e.contains('\n'));
        }
    }

    #[test]
    fn duplicate_tags_first_wins() {
        let h = named("first").string(TAG_NAME, "second");
        assert_eq!(parse_header_blob(&h.build()).unwrap().name, "first");
    }

    /// A database made by SQLite here, with the given schema and statements.
    fn database(sql: &str) -> Vec<u8> {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(sql).unwrap();
        conn.serialize(MAIN_DB).unwrap().to_vec()
    }

    const TABLE: &str =
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);";

    #[test]
    fn database_shapes() {
        let x = hex(&named("x").build());
        let key = hex(&named("gpg-pubkey").build());
        let db = database(&format!(
            "{TABLE} INSERT INTO Packages (blob) VALUES (X'{x}'), (X'{key}'), (X'{x}');"
        ));
        let p = parse_rpmdb_sqlite(&db).unwrap();
        assert_eq!(
            p.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["x", "x"]
        );

        let db = database(TABLE);
        assert_eq!(parse_rpmdb_sqlite(&db).unwrap(), vec![]);

        for (sql, want) in [
            ("CREATE TABLE Other (a);".to_string(), "no Packages table"),
            (
                format!(
                    "{} CREATE VIEW Packages AS SELECT 1 AS hnum, X'{x}' AS blob;",
                    "CREATE TABLE t(a);"
                ),
                "Packages is a view",
            ),
            (
                "CREATE VIRTUAL TABLE Packages USING fts5(hnum, blob);".to_string(),
                "Packages is a virtual",
            ),
            (
                "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, b BLOB, \
                 blob BLOB AS (zeroblob(100000000)));"
                    .to_string(),
                "generated",
            ),
            (
                "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, b);".to_string(),
                "no such column",
            ),
            (
                format!("{TABLE} INSERT INTO Packages (blob) VALUES ('text');"),
                "hnum=1: blob is Text",
            ),
            (
                format!("{TABLE} INSERT INTO Packages (blob) VALUES (X'00');"),
                "hnum=1: header: 1 bytes",
            ),
            (
                format!(
                    "{TABLE} INSERT INTO Packages VALUES (7, X'{x}'), (9, X'{}');",
                    hex(b"junk")
                ),
                "Packages row hnum=9: header:",
            ),
        ] {
            let e = parse_rpmdb_sqlite(&database(&sql)).unwrap_err().0;
            assert!(e.contains(want), "{sql}: {e:?} should say {want:?}");
            assert!(!e.contains('\n'));
        }
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn not_databases() {
        for b in [&b""[..], b"SQLite format 3\0", &[0; 4096], &FIXTURE[..99]] {
            let e = parse_rpmdb_sqlite(b).unwrap_err().0;
            assert!(e.contains("not an SQLite 3 database"), "{e}");
        }
        let e = parse_rpmdb_sqlite(&FIXTURE[..4096]).unwrap_err().0;
        assert!(e.starts_with("rpmdb.sqlite: "), "{e}");
        let huge = vec![0u8; MAX_DB_BYTES + 1];
        let e = parse_rpmdb_sqlite(&huge).unwrap_err().0;
        assert!(e.contains("over the 536870912-byte cap"), "{e}");
    }

    #[test]
    fn runaway_statements_are_stopped() {
        let conn = open(FIXTURE).unwrap();
        let start = Instant::now();
        let r: rusqlite::Result<i64> = conn.query_row(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
            [],
            |row| row.get(0),
        );
        let e = r.unwrap_err().to_string();
        assert!(e.contains("interrupt"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(10));
        // Read-only, nothing attached.
        assert!(conn.execute("DELETE FROM Packages", []).is_err());
        assert!(conn.execute_batch("ATTACH ':memory:' AS other").is_err());
    }

    /// 1 to 8 changed bytes (a third of them within the first `hot` bytes, or at the start of a
    /// `page`), and sometimes a cut.
    fn mutate(rng: &mut XorShift, input: &[u8], hot: usize, page: usize) -> Vec<u8> {
        let mut b = input.to_vec();
        for _ in 0..1 + rng.below(8) {
            let at = match rng.below(3) {
                0 => rng.below(hot.min(b.len())),
                1 => (rng.below(b.len() / page) * page + rng.below(16)).min(b.len() - 1),
                _ => rng.below(b.len()),
            };
            b[at] = match rng.below(4) {
                0 => b[at] ^ (1 << rng.below(8)),
                1 => 0,
                2 => 0xff,
                _ => rng.next() as u8,
            };
        }
        if rng.below(16) == 0 {
            b.truncate(rng.below(b.len()));
        }
        b
    }

    #[test]
    fn mutated_header_blobs() {
        let blobs = fixture_blobs();
        let hello = &blobs[1].1;
        let il = be32(&hello[..4]) as usize;
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let (mut ok, mut slowest) = (0, Duration::ZERO);
        for _ in 0..20_000 {
            let b = mutate(&mut rng, hello, 8 + 16 * il, 16);
            let start = Instant::now();
            if let Ok(p) = parse_header_blob(&b) {
                ok += 1;
                assert!(!p.name.is_empty() && p.name.len() <= MAX_STRING_BYTES);
                assert!(
                    p.files
                        .iter()
                        .all(|f| f.starts_with('/') && f.len() <= MAX_STRING_BYTES)
                );
            }
            slowest = slowest.max(start.elapsed());
        }
        assert!(slowest < Duration::from_millis(500), "{slowest:?}");
        assert!(ok > 100, "{ok} of 20,000 still parsed");
    }

    #[test]
    fn mutated_databases() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let (mut ok, mut slowest) = (0, Duration::ZERO);
        for _ in 0..20_000 {
            let b = mutate(&mut rng, FIXTURE, 1024, 1024);
            let start = Instant::now();
            if let Ok(packages) = parse_rpmdb_sqlite(&b) {
                ok += 1;
                assert!(packages.len() <= 3);
            }
            slowest = slowest.max(start.elapsed());
        }
        assert!(slowest < Duration::from_secs(2), "{slowest:?}");
        assert!(ok > 100, "{ok} of 20,000 still parsed");
    }
}
