//! The few facts about an ELF file that an image's runtime closure needs, captured while the file's
//! bytes stream past.
//!
//! The runtime closure of an image is the entrypoint's ELF executable, its program interpreter and
//! its `DT_NEEDED` libraries, transitively. Computing it needs, for every ELF file in the image, a
//! small summary ([`ElfInfo`]): interpreter, needed libraries, search paths, soname. Layer tars are
//! decoded as streams and each regular file's bytes pass exactly once, in chunks, in order (for
//! hashing), so [`ElfCapture`] takes that summary *while* the bytes pass: it keeps only the byte
//! ranges the summary needs, each within a fixed cap, and never a whole file. Layers read from a
//! file with random access use [`read_elf_info`] instead, which gets the same summary with a few
//! positioned reads.
//!
//! # What is kept while streaming
//!
//! - A prefix: the ELF header and the program headers (at most 64 KiB).
//! - From the program headers: `PT_INTERP` (at most 4 KiB), `PT_DYNAMIC` (at most 64 KiB), and the
//!   file range of the first `PT_LOAD` segment (at most 16 MiB). `DT_STRTAB` is a virtual address,
//!   known only once the dynamic section has passed, and the string table usually lies *before* it,
//!   in the first, read-only segment; so that segment's bytes are kept until the dynamic section is
//!   parsed, then cut short after the last string referred to (or dropped if it has none of them).
//! - When the string table lies *after* the dynamic section, the referred-to part of it (at most
//!   16 MiB) is captured as it streams past.
//!
//! A string table that lies before the dynamic section but outside the first `PT_LOAD` segment
//! cannot be recovered from a stream: the summary then has `complete == false` and its string lists
//! are empty or partial. Likewise for program headers outside the first 64 KiB (BOLT-processed
//! binaries put them at the end): a stream gives up after the ELF header. [`read_elf_info`] reads
//! both wherever they are.
//!
//! # Bounds
//!
//! Memory while streaming: the prefix (64 KiB, dropped once the program headers are parsed),
//! `PT_INTERP` (4 KiB), `PT_DYNAMIC` (64 KiB), the first segment (16 MiB) and the string table's
//! wanted part (16 MiB); all of it is dropped as soon as the summary is known. At most 1,024
//! `DT_NEEDED` entries; each string at most 4 KiB (longer ones are truncated); strings are decoded
//! with [`String::from_utf8_lossy`]. Anything cut by a cap, past the end of the file or
//! unreadable sets [`ElfInfo::complete`] to false. Input is hostile throughout: offsets and sizes
//! are checked, nothing panics.

use std::cmp::min;
use std::io;
use std::mem;

use object::read::elf::{Dyn as _, FileHeader, ProgramHeader as _};
use object::{Endianness, elf, pod};

type Elf32 = elf::FileHeader32<Endianness>;
type Elf64 = elf::FileHeader64<Endianness>;

/// Streaming looks for the ELF header and program headers in this many bytes at the start of the
/// file; random access reads at most this many bytes of program headers, wherever they are.
const PREFIX_CAP: u64 = 64 * 1024;
/// `PT_INTERP` bytes kept.
const INTERP_CAP: u64 = 4 * 1024;
/// `PT_DYNAMIC` bytes kept.
const DYNAMIC_CAP: u64 = 64 * 1024;
/// Bytes of the first `PT_LOAD` segment kept while the string table's place is unknown.
const FIRST_LOAD_CAP: u64 = 16 * 1024 * 1024;
/// `DT_STRSZ` is cut to this.
const STRTAB_CAP: u64 = 16 * 1024 * 1024;
/// `DT_NEEDED` entries kept.
const MAX_NEEDED: usize = 1024;
/// Longest string kept, in bytes.
const MAX_STRING: usize = 4 * 1024;
/// Smallest ELF header (32-bit); a shorter file is not ELF-parsable.
const EHDR_MIN: u64 = mem::size_of::<Elf32>() as u64;
/// Largest ELF header (64-bit).
const EHDR_MAX: u64 = mem::size_of::<Elf64>() as u64;

pub use crate::model::ElfInfo;

/// Fed a file's bytes in order, in chunks of any size; keeps only what the summary needs.
///
/// ```text
/// let mut capture = ElfCapture::new(size);
/// for chunk in chunks {
///     hasher.update(chunk);
///     capture.feed(chunk);
/// }
/// let info = capture.finish();
/// ```
#[derive(Debug)]
pub struct ElfCapture {
    /// The file's size from its tar header.
    size: u64,
    /// Bytes fed so far.
    pos: u64,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Waiting for the four magic bytes.
    Magic { buf: [u8; 4], len: usize },
    /// Collecting the ELF header (`parsed == false`), then the program headers, up to `target`.
    Header {
        buf: Vec<u8>,
        target: usize,
        parsed: bool,
    },
    /// Headers known; capturing the wanted ranges.
    Body(Box<Body>),
    /// Nothing more to learn; `None` when not ELF.
    Done(Option<ElfInfo>),
}

impl ElfCapture {
    /// A capture for a file of `size` bytes (the full size from its tar header).
    pub fn new(size: u64) -> ElfCapture {
        let state = if size < EHDR_MIN {
            State::Done(None)
        } else {
            State::Magic {
                buf: [0; 4],
                len: 0,
            }
        };
        ElfCapture {
            size,
            pos: 0,
            state,
        }
    }

    /// Take the next `chunk` of the file's bytes. A cheap no-op once the file is known not to be ELF
    /// or everything needed is captured.
    pub fn feed(&mut self, chunk: &[u8]) {
        let mut chunk = chunk;
        loop {
            match &mut self.state {
                State::Done(_) => return,
                State::Body(body) => {
                    if chunk.is_empty() {
                        return;
                    }
                    let done = body.feed(self.pos, chunk, self.size);
                    self.pos = self.pos.saturating_add(chunk.len() as u64);
                    if done {
                        self.finish_body();
                    }
                    return;
                }
                State::Magic { buf, len } => {
                    let n = min(buf.len() - *len, chunk.len());
                    buf[*len..*len + n].copy_from_slice(&chunk[..n]);
                    *len += n;
                    self.pos += n as u64;
                    chunk = &chunk[n..];
                    if *len < buf.len() {
                        return;
                    }
                    let magic = *buf;
                    self.state = if magic == elf::ELFMAG {
                        let mut buf = Vec::with_capacity(EHDR_MAX as usize);
                        buf.extend_from_slice(&magic);
                        State::Header {
                            buf,
                            target: min(self.size, EHDR_MAX) as usize,
                            parsed: false,
                        }
                    } else {
                        State::Done(None)
                    };
                }
                State::Header {
                    buf,
                    target,
                    parsed,
                } => {
                    let n = min(target.saturating_sub(buf.len()), chunk.len());
                    buf.extend_from_slice(&chunk[..n]);
                    self.pos += n as u64;
                    chunk = &chunk[n..];
                    if buf.len() < *target {
                        return;
                    }
                    if !*parsed {
                        match parse_ehdr(buf) {
                            Some(ehdr) => {
                                *parsed = true;
                                *target = (ehdr.prefix_target(self.size) as usize).max(buf.len());
                            }
                            None => self.state = State::Done(None),
                        }
                        continue;
                    }
                    let prefix = mem::take(buf);
                    self.state = start_body(&prefix, self.size);
                }
            }
        }
    }

    /// Whether feeding more bytes can still change the summary: false once the file is known not to
    /// be ELF, once everything needed is captured, or once `size` bytes were fed.
    pub fn wants_more(&self) -> bool {
        !matches!(self.state, State::Done(_)) && self.pos < self.size
    }

    /// The summary: `None` when the file is not ELF or its ELF header is unparseable. Called before
    /// the whole file was fed (a truncated stream), it summarizes what was captured, with
    /// `complete == false` where that is short.
    pub fn finish(self) -> Option<ElfInfo> {
        match self.state {
            State::Done(info) => info,
            State::Magic { .. } => None,
            State::Header { buf, .. } => {
                let layout = layout_from_prefix(&buf, self.size)?;
                Some(Body::new(layout, &buf, false).finish(self.size))
            }
            State::Body(body) => Some(body.finish(self.size)),
        }
    }

    fn finish_body(&mut self) {
        if let State::Body(body) = mem::replace(&mut self.state, State::Done(None)) {
            self.state = State::Done(Some(body.finish(self.size)));
        }
    }
}

/// The same summary as [`ElfCapture`] gives, by random access: `read_at(offset, buf)` fills `buf`
/// from the file's byte `offset` and returns how many bytes it read (fewer only at the end of the
/// file); `size` is the file's size. Reads the ELF header, the program headers, `PT_INTERP`,
/// `PT_DYNAMIC` and the referred-to part of the string table, within the same caps. Returns
/// `Ok(None)` when the file is not ELF or its ELF header is unparseable; errors are `read_at`'s.
///
/// Unlike a stream, it also finds program headers past the first 64 KiB (BOLT-processed binaries,
/// such as the Rust toolchain's `libLLVM`, put them at the end) and a string table that lies before
/// the dynamic section outside the first `PT_LOAD` segment.
pub fn read_elf_info(
    size: u64,
    mut read_at: impl FnMut(u64, &mut [u8]) -> io::Result<usize>,
) -> io::Result<Option<ElfInfo>> {
    if size < EHDR_MIN {
        return Ok(None);
    }
    let mut head = vec![0; min(size, EHDR_MAX) as usize];
    let n = read_full(&mut read_at, 0, &mut head)?;
    head.truncate(n);
    if head.get(..4) != Some(&elf::ELFMAG[..]) {
        return Ok(None);
    }
    let Some(ehdr) = parse_ehdr(&head) else {
        return Ok(None);
    };
    let mut table = Vec::new();
    if let Some(len) = ehdr.table_len() {
        table.resize(min(len, size.saturating_sub(ehdr.phoff)) as usize, 0);
        let n = read_full(&mut read_at, ehdr.phoff, &mut table)?;
        table.truncate(n);
    }
    let Some(layout) = parse_layout(&head, &table, size) else {
        return Ok(None);
    };
    drop(table);
    let mut body = Body::new(layout, &head, false);
    for window in [&mut body.interp, &mut body.dynamic].into_iter().flatten() {
        window.read_rest(&mut read_at)?;
    }
    body.parse_dynamic(0, size);
    if let Some(window) = &mut body.strtab {
        window.read_rest(&mut read_at)?;
    }
    Ok(Some(body.finish(size)))
}

/// Fill `buf` from `offset` until it is full or `read_at` reports the end; returns bytes read.
fn read_full(
    read_at: &mut impl FnMut(u64, &mut [u8]) -> io::Result<usize>,
    offset: u64,
    buf: &mut [u8],
) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let Some(at) = offset.checked_add(filled as u64) else {
            break;
        };
        match read_at(at, &mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += min(n, buf.len() - filled),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// ELF header facts needed to find the program headers.
struct Ehdr {
    /// Size of the ELF header.
    len: u64,
    phoff: u64,
    phnum: u64,
    phentsize: u64,
    /// The program header size this class has (any other `e_phentsize` is unusable).
    phent_expected: u64,
}

impl Ehdr {
    /// Bytes of the program header table to read (at most [`PREFIX_CAP`]); `None` when there is no
    /// table or its entry size is unusable.
    fn table_len(&self) -> Option<u64> {
        let usable = self.phoff != 0 && self.phnum != 0 && self.phentsize == self.phent_expected;
        usable.then(|| self.phnum.saturating_mul(self.phentsize).min(PREFIX_CAP))
    }

    /// Bytes from the start of the file that cover the ELF header and program headers, within the
    /// prefix cap and the file size.
    fn prefix_target(&self, size: u64) -> u64 {
        let mut target = self.len;
        if let Some(len) = self.table_len().filter(|_| self.phoff < PREFIX_CAP) {
            target = target.max(self.phoff.saturating_add(len).min(PREFIX_CAP));
        }
        target.min(size)
    }
}

/// Whether the identification says ELFCLASS64 (`Some(false)`: ELFCLASS32; `None`: neither).
fn class64(data: &[u8]) -> Option<bool> {
    // The identification is the same in both classes; the 32-bit header is the shorter.
    let (header, _) = pod::from_bytes::<Elf32>(data).ok()?;
    match header.e_ident.class {
        elf::ELFCLASS32 => Some(false),
        elf::ELFCLASS64 => Some(true),
        _ => None,
    }
}

fn parse_ehdr(data: &[u8]) -> Option<Ehdr> {
    if class64(data)? {
        ehdr_of::<Elf64>(data)
    } else {
        ehdr_of::<Elf32>(data)
    }
}

fn ehdr_of<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<Ehdr> {
    let header = Elf::parse(data).ok()?;
    let endian = header.endian().ok()?;
    Some(Ehdr {
        len: mem::size_of::<Elf>() as u64,
        phoff: header.e_phoff(endian).into(),
        phnum: header.e_phnum(endian).into(),
        phentsize: header.e_phentsize(endian).into(),
        phent_expected: mem::size_of::<Elf::ProgramHeader>() as u64,
    })
}

/// A range of file offsets, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u64,
    end: u64,
}

impl Span {
    /// `len` bytes at `offset`, cut to `cap` bytes and to the file's `size`; the flag says whether
    /// anything was cut.
    fn clipped(offset: u64, len: u64, cap: u64, size: u64) -> (Span, bool) {
        let start = offset.min(size);
        let end = offset.saturating_add(len.min(cap)).min(size).max(start);
        let cut = offset.checked_add(len) != Some(end);
        (Span { start, end }, cut)
    }
}

/// A `PT_LOAD` segment, to map virtual addresses to file offsets.
#[derive(Debug, Clone, Copy)]
struct Load {
    vaddr: u64,
    offset: u64,
    filesz: u64,
}

/// What the ELF header and program headers say.
#[derive(Debug)]
struct Layout {
    class64: bool,
    endian: Endianness,
    machine: u16,
    executable: bool,
    /// False when program headers were unusable or cut short, or `interp`/`dynamic` were cut.
    complete: bool,
    interp: Option<Span>,
    dynamic: Option<Span>,
    first_load: Option<Span>,
    loads: Vec<Load>,
}

/// Parse the ELF header and as many program headers as `prefix` (the file's first bytes) holds.
fn layout_from_prefix(prefix: &[u8], size: u64) -> Option<Layout> {
    let ehdr = parse_ehdr(prefix)?;
    let table = usize::try_from(ehdr.phoff)
        .ok()
        .and_then(|at| prefix.get(at..))
        .unwrap_or(&[]);
    parse_layout(prefix, table, size)
}

/// Parse the ELF header at the start of `head`, and as many program headers as `table` (the
/// file's bytes from `e_phoff` on) holds.
fn parse_layout(head: &[u8], table: &[u8], size: u64) -> Option<Layout> {
    if class64(head)? {
        layout_of::<Elf64>(head, table, size)
    } else {
        layout_of::<Elf32>(head, table, size)
    }
}

fn layout_of<Elf: FileHeader<Endian = Endianness>>(
    head: &[u8],
    table: &[u8],
    size: u64,
) -> Option<Layout> {
    let header = Elf::parse(head).ok()?;
    let endian = header.endian().ok()?;
    let ehdr = ehdr_of::<Elf>(head)?;
    let mut complete = true;
    let mut phdrs: &[Elf::ProgramHeader] = &[];
    if ehdr.phoff != 0 && ehdr.phnum != 0 {
        if ehdr.phentsize == ehdr.phent_expected {
            // phentsize == size_of::<ProgramHeader>() here, so no division by zero.
            let fit = (table.len() as u64) / ehdr.phentsize;
            let count = min(ehdr.phnum, fit) as usize;
            complete &= count as u64 == ehdr.phnum;
            match pod::slice_from_bytes::<Elf::ProgramHeader>(table, count) {
                Ok((slice, _)) => phdrs = slice,
                Err(()) => complete = false,
            }
        } else {
            complete = false;
        }
    }
    let mut layout = Layout {
        class64: header.is_type_64(),
        endian,
        machine: header.e_machine(endian),
        executable: false,
        complete,
        interp: None,
        dynamic: None,
        first_load: None,
        loads: Vec::new(),
    };
    for ph in phdrs {
        let offset: u64 = ph.p_offset(endian).into();
        let filesz: u64 = ph.p_filesz(endian).into();
        match ph.p_type(endian) {
            elf::PT_INTERP if layout.interp.is_none() => {
                let (span, cut) = Span::clipped(offset, filesz, INTERP_CAP, size);
                layout.complete &= !cut;
                layout.interp = Some(span);
            }
            elf::PT_DYNAMIC if layout.dynamic.is_none() => {
                let (span, cut) = Span::clipped(offset, filesz, DYNAMIC_CAP, size);
                layout.complete &= !cut;
                layout.dynamic = Some(span);
            }
            elf::PT_LOAD => {
                if layout.first_load.is_none() {
                    layout.first_load = Some(Span::clipped(offset, filesz, FIRST_LOAD_CAP, size).0);
                }
                layout.loads.push(Load {
                    vaddr: ph.p_vaddr(endian).into(),
                    offset,
                    filesz,
                });
            }
            _ => {}
        }
    }
    let e_type = header.e_type(endian);
    layout.executable =
        e_type == elf::ET_EXEC || (e_type == elf::ET_DYN && layout.interp.is_some());
    Some(layout)
}

/// String-table offsets and the string table's place, from the dynamic section.
#[derive(Debug, Default)]
struct DynRefs {
    needed: Vec<u64>,
    soname: Option<u64>,
    runpath: Option<u64>,
    rpath: Option<u64>,
    strtab: Option<u64>,
    strsz: Option<u64>,
    /// False when more than [`MAX_NEEDED`] entries were dropped.
    complete: bool,
}

impl DynRefs {
    fn offsets(&self) -> impl Iterator<Item = u64> + '_ {
        self.needed
            .iter()
            .copied()
            .chain(self.soname)
            .chain(self.runpath)
            .chain(self.rpath)
    }
}

fn parse_dynamic(layout: &Layout, data: &[u8]) -> DynRefs {
    if layout.class64 {
        dyn_of::<Elf64>(data, layout.endian)
    } else {
        dyn_of::<Elf32>(data, layout.endian)
    }
}

fn dyn_of<Elf: FileHeader<Endian = Endianness>>(data: &[u8], endian: Endianness) -> DynRefs {
    let mut refs = DynRefs {
        complete: true,
        ..DynRefs::default()
    };
    let count = data.len() / mem::size_of::<Elf::Dyn>();
    let Ok((entries, _)) = pod::slice_from_bytes::<Elf::Dyn>(data, count) else {
        refs.complete = false;
        return refs;
    };
    for entry in entries {
        let tag: i64 = entry.d_tag(endian).into();
        let val: u64 = entry.d_val(endian).into();
        match tag {
            elf::DT_NULL => break,
            elf::DT_NEEDED => {
                if refs.needed.len() < MAX_NEEDED {
                    refs.needed.push(val);
                } else {
                    refs.complete = false;
                }
            }
            elf::DT_SONAME => refs.soname = Some(val),
            elf::DT_RUNPATH => refs.runpath = Some(val),
            elf::DT_RPATH => refs.rpath = Some(val),
            elf::DT_STRTAB => refs.strtab = Some(val),
            elf::DT_STRSZ => refs.strsz = Some(val),
            _ => {}
        }
    }
    refs
}

/// Where the string table is in the file, and the part of it the references need.
#[derive(Debug, Clone, Copy)]
struct StrPlan {
    /// File offset of the string table.
    base: u64,
    /// End of the string table (`base + DT_STRSZ`, capped).
    end: u64,
    /// File range covering every referred-to string (each up to [`MAX_STRING`] + its NUL).
    span: Span,
}

/// Map `DT_STRTAB` through the `PT_LOAD` segments. `None` when no string is referred to, or (with
/// `complete` cleared) when the table cannot be placed.
fn plan_strtab(layout: &Layout, refs: &DynRefs, size: u64, complete: &mut bool) -> Option<StrPlan> {
    refs.offsets().next()?;
    let Some(base) = refs.strtab.and_then(|vaddr| {
        layout.loads.iter().find_map(|load| {
            let delta = vaddr.checked_sub(load.vaddr)?;
            if delta < load.filesz {
                load.offset.checked_add(delta)
            } else {
                None
            }
        })
    }) else {
        *complete = false;
        return None;
    };
    let len = refs.strsz.unwrap_or(u64::MAX).min(STRTAB_CAP);
    let end = base.saturating_add(len);
    let (lo, hi) = refs
        .offsets()
        .filter(|&k| k < len)
        .fold((u64::MAX, 0), |(lo, hi), k| (lo.min(k), hi.max(k)));
    let span = if lo <= hi {
        let start = base.saturating_add(lo).min(size);
        let stop = base
            .saturating_add(hi)
            .saturating_add(MAX_STRING as u64 + 1)
            .min(end)
            .min(size)
            .max(start);
        Span { start, end: stop }
    } else {
        Span {
            start: base.min(size),
            end: base.min(size),
        }
    };
    Some(StrPlan { base, end, span })
}

/// Bytes of the file from `start`, wanted up to `end`; filled contiguously.
#[derive(Debug)]
struct Window {
    start: u64,
    end: u64,
    data: Vec<u8>,
}

impl Window {
    fn new(span: Span) -> Window {
        Window {
            start: span.start,
            end: span.end,
            data: Vec::new(),
        }
    }

    /// A window whose first bytes may already be in `prefix` (the file's first bytes).
    fn prefilled(span: Span, prefix: &[u8]) -> Window {
        let mut window = Window::new(span);
        let have = min(span.end, prefix.len() as u64);
        if span.start < have {
            window
                .data
                .extend_from_slice(&prefix[span.start as usize..have as usize]);
        }
        window
    }

    /// File offset just past the bytes held.
    fn filled(&self) -> u64 {
        self.start + self.data.len() as u64
    }

    fn is_full(&self) -> bool {
        self.filled() >= self.end
    }

    /// Copy what this window wants of `chunk`, the file's bytes at `pos`.
    fn take(&mut self, pos: u64, chunk: &[u8]) {
        let filled = self.filled();
        if filled >= self.end || filled < pos {
            return;
        }
        let to = min(pos.saturating_add(chunk.len() as u64), self.end);
        if to <= filled {
            return;
        }
        self.data.reserve_exact((self.end - filled) as usize);
        self.data
            .extend_from_slice(&chunk[(filled - pos) as usize..(to - pos) as usize]);
    }

    /// Read the rest of the window (short at the end of the file).
    fn read_rest(
        &mut self,
        read_at: &mut impl FnMut(u64, &mut [u8]) -> io::Result<usize>,
    ) -> io::Result<()> {
        let filled = self.filled();
        if filled >= self.end {
            return Ok(());
        }
        let old = self.data.len();
        self.data.resize(old + (self.end - filled) as usize, 0);
        let n = read_full(read_at, filled, &mut self.data[old..])?;
        self.data.truncate(old + n);
        Ok(())
    }
}

/// Capture state once the headers are known.
#[derive(Debug)]
struct Body {
    layout: Layout,
    interp: Option<Window>,
    /// The dynamic section, until parsed.
    dynamic: Option<Window>,
    refs: Option<DynRefs>,
    plan: Option<StrPlan>,
    /// The first `PT_LOAD` segment's bytes (where the string table is in practice), kept while the
    /// dynamic section is pending, then trimmed to the string table's wanted part or dropped.
    first_load: Option<Window>,
    /// The string table's wanted part, when it was not in `first_load`.
    strtab: Option<Window>,
    complete: bool,
}

/// Leave the header phase with `prefix` (the file's first bytes, all fed so far).
fn start_body(prefix: &[u8], size: u64) -> State {
    let Some(layout) = layout_from_prefix(prefix, size) else {
        return State::Done(None);
    };
    let mut body = Body::new(layout, prefix, true);
    if body.step(prefix.len() as u64, size) {
        State::Done(Some(body.finish(size)))
    } else {
        State::Body(Box::new(body))
    }
}

impl Body {
    fn new(layout: Layout, prefix: &[u8], keep_first_load: bool) -> Body {
        let interp = layout.interp.map(|span| Window::prefilled(span, prefix));
        let dynamic = layout.dynamic.map(|span| Window::prefilled(span, prefix));
        let first_load = layout
            .first_load
            .filter(|_| keep_first_load && dynamic.is_some())
            .map(|span| Window::prefilled(span, prefix));
        Body {
            complete: layout.complete,
            layout,
            interp,
            dynamic,
            refs: None,
            plan: None,
            first_load,
            strtab: None,
        }
    }

    /// Take `chunk`, the file's bytes at `pos`; true when nothing more is needed.
    fn feed(&mut self, pos: u64, chunk: &[u8], size: u64) -> bool {
        let (mut pos, mut chunk) = (pos, chunk);
        loop {
            // Stop at the end of a pending dynamic section: the string table's place must be known
            // before the bytes after it pass.
            let n = match &self.dynamic {
                Some(d) if d.end > pos => min(chunk.len() as u64, d.end - pos) as usize,
                _ => chunk.len(),
            };
            let (now, rest) = chunk.split_at(n);
            let windows = [
                &mut self.interp,
                &mut self.dynamic,
                &mut self.first_load,
                &mut self.strtab,
            ];
            for window in windows.into_iter().flatten() {
                window.take(pos, now);
            }
            pos = pos.saturating_add(n as u64);
            chunk = rest;
            if self.step(pos, size) {
                return true;
            }
            if chunk.is_empty() {
                return false;
            }
        }
    }

    /// With the stream at `pos`: parse the dynamic section once it has passed; true when nothing
    /// more is needed.
    fn step(&mut self, pos: u64, size: u64) -> bool {
        if self
            .dynamic
            .as_ref()
            .is_some_and(|d| d.is_full() || d.end <= pos)
        {
            self.parse_dynamic(pos, size);
        }
        pos >= size
            || (self.dynamic.is_none()
                && [&self.interp, &self.first_load, &self.strtab]
                    .into_iter()
                    .all(|w| w.as_ref().is_none_or(Window::is_full)))
    }

    /// Parse the dynamic section (whole or not) and arrange for the string table's wanted part:
    /// from `first_load`, or a window from `pos` (the stream's position) on.
    fn parse_dynamic(&mut self, pos: u64, size: u64) {
        let Some(dynamic) = self.dynamic.take() else {
            return;
        };
        self.complete &= dynamic.is_full();
        let refs = parse_dynamic(&self.layout, &dynamic.data);
        drop(dynamic);
        self.complete &= refs.complete;
        self.plan = plan_strtab(&self.layout, &refs, size, &mut self.complete);
        self.refs = Some(refs);
        let Some(span) = self.plan.map(|p| p.span).filter(|s| s.start < s.end) else {
            self.first_load = None;
            return;
        };
        match &mut self.first_load {
            Some(first) if first.start <= span.start && span.end <= first.end => {
                // Inside what is kept: keep only up to its end.
                first.end = span.end;
                return;
            }
            Some(first) if first.start < span.end && span.start < first.filled() => {
                // Holds part of it: keep what it has; the rest is taken below if still to come.
                first.end = first.filled().min(first.end);
            }
            _ => self.first_load = None,
        }
        let from = span.start.max(pos);
        if from < span.end {
            self.strtab = Some(Window::new(Span {
                start: from,
                end: span.end,
            }));
        }
    }

    /// The summary from what was captured.
    fn finish(mut self, size: u64) -> ElfInfo {
        if self.dynamic.is_some() {
            // The stream ended first: nothing more can be captured.
            self.parse_dynamic(u64::MAX, size);
        }
        let mut complete = self.complete;
        let mut info = ElfInfo {
            class64: self.layout.class64,
            machine: self.layout.machine,
            executable: self.layout.executable,
            ..ElfInfo::default()
        };
        if let Some(window) = &self.interp {
            match window.data.iter().position(|&b| b == 0) {
                Some(nul) => info.interp = Some(lossy(&window.data[..nul])),
                None if window.is_full() => info.interp = Some(lossy(&window.data)),
                None => complete = false,
            }
        }
        if let (Some(refs), Some(plan)) = (&self.refs, &self.plan) {
            let pieces: Vec<&Window> = [&self.first_load, &self.strtab]
                .into_iter()
                .flatten()
                .collect();
            let mut string = |k: u64| lookup(&pieces, plan, k, &mut complete);
            info.needed = refs.needed.iter().filter_map(|&k| string(k)).collect();
            info.soname = refs.soname.and_then(&mut string);
            info.runpath = split_path(refs.runpath.and_then(&mut string));
            info.rpath = split_path(refs.rpath.and_then(&mut string));
        }
        info.complete = complete;
        info
    }
}

/// The NUL-terminated string at offset `k` of the string table, from whichever piece holds it;
/// clears `complete` when it is missing or longer than [`MAX_STRING`] (then truncated).
fn lookup(pieces: &[&Window], plan: &StrPlan, k: u64, complete: &mut bool) -> Option<String> {
    let Some(at) = plan.base.checked_add(k).filter(|&at| at < plan.end) else {
        *complete = false;
        return None;
    };
    for piece in pieces {
        let stop = min(piece.filled(), plan.end);
        if at < piece.start || at >= stop {
            continue;
        }
        let avail = &piece.data[(at - piece.start) as usize..(stop - piece.start) as usize];
        let look = &avail[..min(avail.len(), MAX_STRING + 1)];
        if let Some(nul) = look.iter().position(|&b| b == 0) {
            return Some(lossy(&look[..nul]));
        }
        if avail.len() > MAX_STRING {
            *complete = false;
            return Some(lossy(&avail[..MAX_STRING]));
        }
    }
    *complete = false;
    None
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn split_path(path: Option<String>) -> Vec<String> {
    path.map(|p| {
        p.split(':')
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- helpers ----

    /// Stream `data` in chunks of `chunk` bytes (declared size `size`), feeding everything.
    fn stream(data: &[u8], size: u64, chunk: usize) -> Option<ElfInfo> {
        let mut capture = ElfCapture::new(size);
        for piece in data.chunks(chunk.max(1)) {
            capture.feed(piece);
        }
        capture.finish()
    }

    /// Stream `data`, stopping as soon as the capture wants no more.
    fn stream_until_done(data: &[u8], chunk: usize) -> Option<ElfInfo> {
        let mut capture = ElfCapture::new(data.len() as u64);
        for piece in data.chunks(chunk.max(1)) {
            if !capture.wants_more() {
                break;
            }
            capture.feed(piece);
        }
        capture.finish()
    }

    /// Random access over `data`, each read returning at most `max_read` bytes.
    fn random(data: &[u8], size: u64, max_read: usize) -> Option<ElfInfo> {
        read_elf_info(size, |offset, buf| {
            let src = usize::try_from(offset)
                .ok()
                .and_then(|o| data.get(o..))
                .unwrap_or(&[]);
            let n = src.len().min(buf.len()).min(max_read);
            buf[..n].copy_from_slice(&src[..n]);
            Ok(n)
        })
        .unwrap()
    }

    // ---- a tiny ELF builder ----

    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Place {
        /// `.dynstr` in the first PT_LOAD, before `.dynamic` (in a second PT_LOAD).
        Before,
        /// `.dynstr` right after `.dynamic`, both in a second PT_LOAD.
        After,
        /// One PT_LOAD holding `.dynamic` then `.dynstr`.
        InFirstAfterDyn,
        /// `.dynstr` in a second PT_LOAD, `.dynamic` in a third: before, but not in the first.
        Outside,
    }

    #[derive(Clone)]
    struct Spec {
        class64: bool,
        big: bool,
        e_type: u16,
        machine: u16,
        interp: Option<Vec<u8>>,
        needed: Vec<Vec<u8>>,
        soname: Option<Vec<u8>>,
        runpath: Option<Vec<u8>>,
        rpath: Option<Vec<u8>>,
        place: Place,
        /// Program headers at the end of the file, past the streaming prefix cap (as BOLT does).
        phdrs_far: bool,
    }

    impl Spec {
        fn new(class64: bool, big: bool, place: Place) -> Spec {
            Spec {
                class64,
                big,
                e_type: elf::ET_DYN,
                machine: if class64 { elf::EM_X86_64 } else { elf::EM_PPC },
                interp: Some(b"/lib/ld-test.so.1".to_vec()),
                needed: vec![b"libfoo.so.1".to_vec(), b"libc.so.6".to_vec()],
                soname: Some(b"libself.so.2".to_vec()),
                runpath: Some(b"/opt/a::$ORIGIN/../lib:".to_vec()),
                rpath: Some(b"/r1:/r2".to_vec()),
                place,
                phdrs_far: false,
            }
        }

        fn expected(&self) -> ElfInfo {
            let s = |b: &Vec<u8>| String::from_utf8_lossy(b).into_owned();
            let split = |b: &Option<Vec<u8>>| {
                b.as_ref()
                    .map(|b| {
                        s(b).split(':')
                            .filter(|i| !i.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            ElfInfo {
                interp: self.interp.as_ref().map(s),
                needed: self.needed.iter().map(s).collect(),
                runpath: split(&self.runpath),
                rpath: split(&self.rpath),
                soname: self.soname.as_ref().map(s),
                class64: self.class64,
                machine: self.machine,
                executable: self.e_type == elf::ET_EXEC
                    || (self.e_type == elf::ET_DYN && self.interp.is_some()),
                complete: true,
            }
        }
    }

    struct Writer {
        class64: bool,
        big: bool,
        buf: Vec<u8>,
    }

    impl Writer {
        fn put(&mut self, v: u64, n: usize) {
            let bytes = v.to_le_bytes();
            if self.big {
                self.buf.extend(bytes[..n].iter().rev());
            } else {
                self.buf.extend_from_slice(&bytes[..n]);
            }
        }
        fn u16(&mut self, v: u16) {
            self.put(v.into(), 2);
        }
        fn u32(&mut self, v: u32) {
            self.put(v.into(), 4);
        }
        fn word(&mut self, v: u64) {
            self.put(v, if self.class64 { 8 } else { 4 });
        }
        fn pad_to(&mut self, at: usize) {
            assert!(self.buf.len() <= at, "{} > {at}", self.buf.len());
            self.buf.resize(at, 0);
        }
    }

    fn align8(n: usize) -> usize {
        n.div_ceil(8) * 8
    }

    /// (offset, vaddr, filesz) of a PT_LOAD.
    type Seg = (usize, u64, usize);

    fn build(spec: &Spec) -> Vec<u8> {
        let (ehsize, phentsize, dynent) = if spec.class64 {
            (64, 56, 16)
        } else {
            (52, 32, 8)
        };
        // .dynstr and the offsets of its strings.
        let mut dynstr = vec![0u8];
        let mut add = |s: &[u8]| {
            let at = dynstr.len() as u64;
            dynstr.extend_from_slice(s);
            dynstr.push(0);
            at
        };
        let needed: Vec<u64> = spec.needed.iter().map(|n| add(n)).collect();
        let soname = spec.soname.as_deref().map(&mut add);
        let runpath = spec.runpath.as_deref().map(&mut add);
        let rpath = spec.rpath.as_deref().map(&mut add);
        let mut tags: Vec<(i64, u64)> = needed.iter().map(|&k| (elf::DT_NEEDED, k)).collect();
        tags.extend(soname.map(|k| (elf::DT_SONAME, k)));
        tags.extend(runpath.map(|k| (elf::DT_RUNPATH, k)));
        tags.extend(rpath.map(|k| (elf::DT_RPATH, k)));
        let dynsize = (tags.len() + 3) * dynent;

        let nloads = match spec.place {
            Place::InFirstAfterDyn => 1,
            Place::Outside => 3,
            _ => 2,
        };
        let phnum = usize::from(spec.interp.is_some()) + nloads + 1;
        let (ph_off, interp_off) = if spec.phdrs_far {
            (0x20000, ehsize)
        } else {
            (ehsize, ehsize + phnum * phentsize)
        };
        let interp_end = interp_off + spec.interp.as_ref().map_or(0, |i| i.len() + 1);
        let (dynstr_off, dyn_off, loads, strtab_vaddr): (usize, usize, Vec<Seg>, u64) =
            match spec.place {
                Place::Before => {
                    let s = align8(interp_end);
                    let d = 0x1000.max(align8(s + dynstr.len()));
                    let loads = vec![(0, 0, s + dynstr.len()), (d, 0x11000, dynsize)];
                    (s, d, loads, s as u64)
                }
                Place::After => {
                    let d = 0x1000.max(align8(interp_end));
                    let s = d + dynsize;
                    let loads = vec![(0, 0, interp_end), (d, 0x21000, dynsize + dynstr.len())];
                    (s, d, loads, 0x21000 + dynsize as u64)
                }
                Place::InFirstAfterDyn => {
                    let d = align8(interp_end);
                    let s = d + dynsize;
                    let loads = vec![(0, 0x400000, s + dynstr.len())];
                    (s, d, loads, 0x400000 + s as u64)
                }
                Place::Outside => {
                    let s = 0x1000.max(align8(interp_end));
                    let d = 0x2000.max(align8(s + dynstr.len()));
                    let loads = vec![
                        (0, 0, interp_end),
                        (s, s as u64, dynstr.len()),
                        (d, d as u64, dynsize),
                    ];
                    (s, d, loads, s as u64)
                }
            };
        tags.push((elf::DT_STRTAB, strtab_vaddr));
        tags.push((elf::DT_STRSZ, dynstr.len() as u64));
        tags.push((elf::DT_NULL, 0));

        let mut w = Writer {
            class64: spec.class64,
            big: spec.big,
            buf: Vec::new(),
        };
        // ELF header.
        w.buf.extend_from_slice(&elf::ELFMAG);
        w.buf.push(if spec.class64 { 2 } else { 1 });
        w.buf.push(if spec.big { 2 } else { 1 });
        w.buf.push(1);
        w.pad_to(16);
        w.u16(spec.e_type);
        w.u16(spec.machine);
        w.u32(1);
        w.word(0); // e_entry
        w.word(ph_off as u64); // e_phoff
        w.word(0); // e_shoff
        w.u32(0); // e_flags
        w.u16(ehsize as u16);
        w.u16(phentsize as u16);
        w.u16(phnum as u16);
        w.u16(0);
        w.u16(0);
        w.u16(0);
        assert_eq!(w.buf.len(), ehsize);
        // Program headers.
        let mut ph = Writer {
            class64: spec.class64,
            big: spec.big,
            buf: Vec::new(),
        };
        let phdr = |w: &mut Writer, p_type: u32, off: usize, vaddr: u64, filesz: usize| {
            let (off, filesz) = (off as u64, filesz as u64);
            if w.class64 {
                w.u32(p_type);
                w.u32(4);
                w.word(off);
                w.word(vaddr);
                w.word(vaddr);
                w.word(filesz);
                w.word(filesz);
                w.word(8);
            } else {
                w.u32(p_type);
                w.word(off);
                w.word(vaddr);
                w.word(vaddr);
                w.word(filesz);
                w.word(filesz);
                w.u32(4);
                w.word(8);
            }
        };
        if spec.interp.is_some() {
            phdr(
                &mut ph,
                elf::PT_INTERP,
                interp_off,
                interp_off as u64,
                interp_end - interp_off,
            );
        }
        for &(off, vaddr, filesz) in &loads {
            phdr(&mut ph, elf::PT_LOAD, off, vaddr, filesz);
        }
        let dyn_vaddr = loads
            .iter()
            .find(|l| l.0 <= dyn_off && dyn_off < l.0 + l.2)
            .map(|l| l.1 + (dyn_off - l.0) as u64)
            .unwrap();
        phdr(&mut ph, elf::PT_DYNAMIC, dyn_off, dyn_vaddr, dynsize);
        assert_eq!(ph.buf.len(), phnum * phentsize);
        // Contents, in file order.
        let mut parts: Vec<(usize, Vec<u8>)> = vec![(ph_off, ph.buf), (dynstr_off, dynstr)];
        if let Some(interp) = &spec.interp {
            let mut bytes = interp.clone();
            bytes.push(0);
            parts.push((interp_off, bytes));
        }
        let mut d = Writer {
            class64: spec.class64,
            big: spec.big,
            buf: Vec::new(),
        };
        for (tag, val) in tags {
            d.word(tag as u64);
            d.word(val);
        }
        assert_eq!(d.buf.len(), dynsize);
        parts.push((dyn_off, d.buf));
        parts.sort_by_key(|p| p.0);
        for (at, bytes) in parts {
            w.pad_to(at);
            w.buf.extend_from_slice(&bytes);
        }
        w.buf
    }

    const CHUNKS: [usize; 6] = [1, 3, 7, 64, 4096, usize::MAX];

    fn all_specs() -> Vec<Spec> {
        let mut specs = Vec::new();
        for place in [
            Place::Before,
            Place::After,
            Place::InFirstAfterDyn,
            Place::Outside,
        ] {
            for (class64, big) in [(true, false), (false, true), (true, true), (false, false)] {
                specs.push(Spec::new(class64, big, place));
            }
        }
        specs
    }

    /// Every chunking gives the same result, and stopping at `wants_more() == false` too.
    fn stream_all_ways(data: &[u8]) -> Option<ElfInfo> {
        let whole = stream(data, data.len() as u64, usize::MAX);
        for chunk in CHUNKS {
            assert_eq!(
                stream(data, data.len() as u64, chunk),
                whole,
                "chunk {chunk}"
            );
            assert_eq!(stream_until_done(data, chunk), whole, "chunk {chunk}");
        }
        whole
    }

    // ---- hand-built files ----

    #[test]
    fn built_files_every_place_class_and_endianness() {
        for spec in all_specs() {
            let data = build(&spec);
            let expected = spec.expected();
            let what = format!("{:?} class64={} big={}", spec.place, spec.class64, spec.big);
            assert_eq!(
                random(&data, data.len() as u64, usize::MAX).as_ref(),
                Some(&expected),
                "{what}"
            );
            assert_eq!(
                random(&data, data.len() as u64, 5).as_ref(),
                Some(&expected),
                "{what}"
            );
            let streamed = stream_all_ways(&data).expect("ELF");
            if spec.place == Place::Outside {
                // The string table passed before its place was known, outside what is kept.
                let partial = ElfInfo {
                    needed: vec![],
                    runpath: vec![],
                    rpath: vec![],
                    soname: None,
                    complete: false,
                    ..expected
                };
                assert_eq!(streamed, partial, "{what}");
            } else {
                assert_eq!(streamed, expected, "{what}");
            }
        }
    }

    #[test]
    fn program_headers_past_the_prefix_cap() {
        for place in [Place::Before, Place::After] {
            let mut spec = Spec::new(true, false, place);
            spec.phdrs_far = true;
            let data = build(&spec);
            assert!(data.len() as u64 > PREFIX_CAP);
            // Random access reads them where they are.
            assert_eq!(random(&data, data.len() as u64, 999), Some(spec.expected()));
            // A stream cannot: what it needs has passed before they do.
            let streamed = stream_all_ways(&data).unwrap();
            let want = ElfInfo {
                class64: true,
                machine: elf::EM_X86_64,
                ..ElfInfo::default()
            };
            assert_eq!(streamed, want);
            let mut capture = ElfCapture::new(data.len() as u64);
            capture.feed(&data[..4096]);
            assert!(!capture.wants_more(), "gives up after the header");
        }
    }

    #[test]
    fn pinned_built_facts() {
        let spec = Spec::new(false, true, Place::Before);
        let info = stream(&build(&spec), build(&spec).len() as u64, 7).unwrap();
        assert_eq!(info.interp.as_deref(), Some("/lib/ld-test.so.1"));
        assert_eq!(info.needed, ["libfoo.so.1", "libc.so.6"]);
        assert_eq!(info.runpath, ["/opt/a", "$ORIGIN/../lib"]);
        assert_eq!(info.rpath, ["/r1", "/r2"]);
        assert_eq!(info.soname.as_deref(), Some("libself.so.2"));
        assert!(!info.class64 && info.executable && info.complete);
        assert_eq!(info.machine, elf::EM_PPC);
    }

    #[test]
    fn truncated_files_are_never_complete() {
        for spec in all_specs() {
            let data = build(&spec);
            let expected = spec.expected();
            for len in 0..data.len() {
                let cut = &data[..len];
                for info in [
                    stream(cut, len as u64, 64),
                    random(cut, len as u64, usize::MAX),
                    // The declared size is right but the stream (or file) ends early.
                    stream(cut, data.len() as u64, 64),
                    random(cut, data.len() as u64, usize::MAX),
                ]
                .into_iter()
                .flatten()
                {
                    assert!(!info.complete, "{:?} len {len}: {info:?}", spec.place);
                    assert_eq!(info.class64, expected.class64);
                }
            }
        }
    }

    #[test]
    fn stream_stops_early_once_everything_is_captured() {
        let mut spec = Spec::new(true, false, Place::Before);
        spec.place = Place::InFirstAfterDyn;
        let mut data = build(&spec);
        let end = data.len();
        data.resize(end + 1_000_000, 0xAB); // a big tail nothing needs
        let mut capture = ElfCapture::new(data.len() as u64);
        let mut fed = 0;
        for piece in data.chunks(4096) {
            if !capture.wants_more() {
                break;
            }
            capture.feed(piece);
            fed += piece.len();
        }
        assert!(fed < end + 4096, "fed {fed}");
        assert!(matches!(capture.state, State::Done(Some(_))));
        capture.feed(&data); // a no-op now
        assert_eq!(capture.finish(), Some(spec.expected()));
    }

    #[test]
    fn many_needed_and_long_and_non_utf8_strings() {
        let mut spec = Spec::new(true, false, Place::Before);
        spec.needed = (0..1100)
            .map(|i| format!("lib{i}.so").into_bytes())
            .collect();
        let data = build(&spec);
        for info in [
            stream_all_ways(&data),
            random(&data, data.len() as u64, 100),
        ] {
            let info = info.unwrap();
            assert_eq!(info.needed.len(), MAX_NEEDED);
            assert_eq!(info.needed[1023], "lib1023.so");
            assert!(!info.complete);
            assert_eq!(info.soname.as_deref(), Some("libself.so.2"));
        }

        let mut spec = Spec::new(true, false, Place::After);
        spec.needed = vec![vec![b'x'; 5000], b"lib\xff\xfe.so".to_vec()];
        spec.interp = Some(vec![b'i'; 5000]);
        let data = build(&spec);
        for info in [
            stream_all_ways(&data),
            random(&data, data.len() as u64, 100),
        ] {
            let info = info.unwrap();
            assert_eq!(info.needed[0], "x".repeat(MAX_STRING));
            assert_eq!(info.needed[1], "lib\u{FFFD}\u{FFFD}.so");
            assert_eq!(info.interp, Some("i".repeat(MAX_STRING)));
            assert!(!info.complete);
        }
    }

    #[test]
    fn static_relocatable_and_odd_headers() {
        // ET_EXEC without PT_INTERP or PT_DYNAMIC (a static executable): complete, nothing needed.
        let mut w = Writer {
            class64: true,
            big: false,
            buf: Vec::new(),
        };
        w.buf.extend_from_slice(&elf::ELFMAG);
        w.buf.extend_from_slice(&[2, 1, 1]);
        w.pad_to(16);
        w.u16(elf::ET_EXEC);
        w.u16(elf::EM_AARCH64);
        w.u32(1);
        w.word(0x400000);
        w.word(64);
        w.word(0);
        w.u32(0);
        w.u16(64);
        w.u16(56);
        w.u16(1);
        w.u16(0);
        w.u16(0);
        w.u16(0);
        w.u32(elf::PT_LOAD);
        w.u32(5);
        for v in [0, 0x400000, 0x400000, 200, 200, 0x1000] {
            w.word(v);
        }
        w.pad_to(200);
        let static_exe = w.buf.clone();
        let want = ElfInfo {
            class64: true,
            machine: elf::EM_AARCH64,
            executable: true,
            complete: true,
            ..ElfInfo::default()
        };
        assert_eq!(stream_all_ways(&static_exe), Some(want.clone()));
        assert_eq!(random(&static_exe, 200, 3), Some(want.clone()));

        // No program headers (a relocatable object): not executable, complete.
        let mut rel = static_exe.clone();
        rel[16] = elf::ET_REL as u8;
        rel[32..40].fill(0); // e_phoff
        let want_rel = ElfInfo {
            executable: false,
            ..want.clone()
        };
        assert_eq!(stream_all_ways(&rel), Some(want_rel.clone()));
        assert_eq!(random(&rel, 200, 64), Some(want_rel));

        // A wrong e_phentsize: program headers unusable.
        let mut bad = static_exe.clone();
        bad[54] = 55;
        let info = stream_all_ways(&bad).unwrap();
        assert!(!info.complete && info.executable);
        assert_eq!(random(&bad, 200, 64), Some(info));

        // e_phnum = 0xffff: more program headers than the prefix cap.
        let mut many = static_exe.clone();
        many[56..58].copy_from_slice(&[0xff, 0xff]);
        let info = stream_all_ways(&many).unwrap();
        assert!(!info.complete);
        assert_eq!(random(&many, 200, 64), Some(info));

        // A bad ident (class, data or version) or a too-short file: not parsable.
        for (at, v) in [(4, 3), (5, 0), (6, 2)] {
            let mut bad = static_exe.clone();
            bad[at] = v;
            assert_eq!(stream_all_ways(&bad), None, "byte {at}");
            assert_eq!(random(&bad, 200, 64), None);
        }
        assert_eq!(stream(&static_exe[..51], 51, 1), None);
        assert_eq!(stream(&static_exe[..60], 60, 1), None); // class64 needs 64
    }

    #[test]
    fn unmapped_string_table_is_incomplete() {
        let spec = Spec::new(true, false, Place::Before);
        let mut data = build(&spec);
        // DT_STRTAB is the second-to-last dynamic entry; point it outside every PT_LOAD.
        let strtab_val = data.len() - 16 * 2 - 8;
        data[strtab_val..strtab_val + 8].copy_from_slice(&0x7777_0000u64.to_le_bytes());
        for info in [stream_all_ways(&data), random(&data, data.len() as u64, 64)] {
            let info = info.unwrap();
            assert!(!info.complete);
            assert!(info.needed.is_empty() && info.soname.is_none());
            assert_eq!(info.interp.as_deref(), Some("/lib/ld-test.so.1"));
        }
    }

    #[test]
    fn huge_declared_ranges_are_capped() {
        let spec = Spec::new(true, false, Place::Before);
        let mut data = build(&spec);
        // Program headers: INTERP, LOAD, LOAD, DYNAMIC; p_filesz is at +32 in each.
        let set = |data: &mut Vec<u8>, index: usize, v: u64| {
            let at = 64 + index * 56 + 32;
            data[at..at + 8].copy_from_slice(&v.to_le_bytes());
        };
        set(&mut data, 0, 1 << 40);
        set(&mut data, 1, 1 << 40);
        set(&mut data, 3, 1 << 40);
        let size = 1u64 << 50;
        let mut capture = ElfCapture::new(size);
        capture.feed(&data);
        assert!(capture.wants_more());
        let State::Body(body) = &capture.state else {
            panic!("not capturing");
        };
        let len = |w: &Option<Window>| w.as_ref().map(|w| w.end - w.start);
        assert_eq!(len(&body.interp), Some(INTERP_CAP));
        assert_eq!(len(&body.dynamic), Some(DYNAMIC_CAP));
        assert_eq!(len(&body.first_load), Some(FIRST_LOAD_CAP));
        let held = [&body.interp, &body.dynamic, &body.first_load]
            .into_iter()
            .flatten()
            .map(|w| w.data.capacity())
            .sum::<usize>();
        assert!(held <= (INTERP_CAP + DYNAMIC_CAP + FIRST_LOAD_CAP) as usize);
        let info = capture.finish().unwrap();
        assert!(!info.complete);
        assert_eq!(info.interp.as_deref(), Some("/lib/ld-test.so.1"));
    }

    #[test]
    fn not_elf_stops_after_four_bytes() {
        let data = vec![b'#'; 100_000];
        let mut capture = ElfCapture::new(data.len() as u64);
        assert!(capture.wants_more());
        capture.feed(&data[..2]);
        assert!(capture.wants_more());
        capture.feed(&data[2..4]);
        assert!(!capture.wants_more());
        capture.feed(&data[4..]);
        assert_eq!(capture.finish(), None);
        assert_eq!(random(&data, data.len() as u64, usize::MAX), None);
        // Too short to be ELF at all, even with the magic.
        let mut capture = ElfCapture::new(4);
        assert!(!capture.wants_more());
        capture.feed(&elf::ELFMAG);
        assert_eq!(capture.finish(), None);
        assert_eq!(ElfCapture::new(1000).finish(), None);
    }

    #[test]
    fn read_errors_are_passed_on() {
        let err = read_elf_info(1000, |_, _| Err(io::Error::other("boom"))).unwrap_err();
        assert_eq!(err.to_string(), "boom");
        let mut calls = 0;
        let info = read_elf_info(1000, |_, buf| {
            calls += 1;
            if calls == 1 {
                Err(io::ErrorKind::Interrupted.into())
            } else {
                buf.fill(b'z');
                Ok(buf.len())
            }
        });
        assert_eq!(info.unwrap(), None);
    }

    // ---- garbage ----

    use crate::test_rng::XorShift;

    #[test]
    fn random_buffers_do_not_panic() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let bases: Vec<Vec<u8>> = all_specs().iter().map(build).collect();
        for round in 0..10_000 {
            let kind = round % 4;
            let mut data = if kind == 3 {
                // A valid file with a few bytes changed.
                let mut d = bases[rng.below_u64(bases.len() as u64) as usize].clone();
                for _ in 0..=rng.below_u64(8) {
                    let at = rng.below_u64(d.len() as u64) as usize;
                    d[at] = rng.next() as u8;
                }
                d
            } else {
                let len = rng.below_u64(if round % 10 == 0 { 8192 } else { 1024 }) as usize;
                (0..len).map(|_| rng.next() as u8).collect()
            };
            if kind >= 1 && data.len() >= 4 && kind < 3 {
                data[..4].copy_from_slice(&elf::ELFMAG);
            }
            if kind == 2 && data.len() >= 7 {
                data[4] = 1 + rng.below_u64(2) as u8;
                data[5] = 1 + rng.below_u64(2) as u8;
                data[6] = 1;
                if data.len() >= 64 && rng.below_u64(2) == 0 {
                    // Small program header numbers, so they point somewhere inside.
                    let class64 = data[4] == 2;
                    let (phoff, phnum) = if class64 { (32, 56) } else { (28, 44) };
                    data[phoff] = 52 + rng.below_u64(64) as u8;
                    data[phoff + 1..phoff + 4].fill(0);
                    if data[5] == 2 {
                        data[phoff..phoff + 4].reverse();
                    }
                    let n = 1 + rng.below_u64(8) as u8;
                    data[phnum..phnum + 2].copy_from_slice(&[n, 0]);
                    if data[5] == 2 {
                        data[phnum..phnum + 2].reverse();
                    }
                    let entsize = if class64 { 56u8 } else { 32 };
                    data[phnum - 2..phnum].copy_from_slice(&[entsize, 0]);
                    if data[5] == 2 {
                        data[phnum - 2..phnum].reverse();
                    }
                }
            }
            let len = data.len() as u64;
            let size = match rng.below_u64(4) {
                0 => rng.below_u64(len + 100),
                1 => len + rng.below_u64(1 << 20),
                _ => len,
            };
            let whole = stream(&data, size, usize::MAX);
            let chunk = 1 + rng.below_u64(97) as usize;
            assert_eq!(stream(&data, size, chunk), whole, "round {round}");
            if round % 10 == 0 {
                assert_eq!(stream(&data, size, 1), whole, "round {round}");
            }
            let by_offset = random(&data, size, 1 + rng.below_u64(5000) as usize);
            if let Some(info) = whole.as_ref().filter(|i| i.complete) {
                // A complete streamed summary is what random access finds too.
                assert_eq!(by_offset.as_ref(), Some(info), "round {round}");
            }
            assert_eq!(whole.is_some(), by_offset.is_some(), "round {round}");
        }
    }

    #[test]
    fn mutated_real_binary_does_not_panic() {
        let Some(path) = ["/bin/ls", "/usr/bin/ls"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
        else {
            eprintln!("skipping: no /bin/ls");
            return;
        };
        let original = std::fs::read(path).unwrap();
        let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
        for round in 0..300 {
            let mut data = original.clone();
            for _ in 0..=rng.below_u64(6) {
                let at = if rng.below_u64(2) == 0 {
                    rng.below_u64(1024)
                } else {
                    rng.below_u64(data.len() as u64)
                };
                data[at as usize] = rng.next() as u8;
            }
            let size = data.len() as u64;
            let whole = stream(&data, size, usize::MAX);
            let chunk = 1 + rng.below_u64(70_000) as usize;
            assert_eq!(stream(&data, size, chunk), whole, "round {round}");
            let by_offset = random(&data, size, usize::MAX);
            if let Some(info) = whole.as_ref().filter(|i| i.complete) {
                assert_eq!(by_offset.as_ref(), Some(info), "round {round}");
            }
        }
    }

    // ---- real binaries of this machine ----

    #[derive(Debug, Default)]
    struct Facts {
        interp: Option<String>,
        needed: Vec<String>,
        soname: Option<String>,
        runpath: Option<String>,
        rpath: Option<String>,
    }

    /// What `readelf -l -d` says, when readelf is installed.
    fn readelf(path: &str) -> Option<Facts> {
        let out = std::process::Command::new("readelf")
            .env("LC_ALL", "C")
            .args(["-W", "-l", "-d", path])
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let bracketed = |line: &str| {
            let open = line.find('[')?;
            let close = line.rfind(']')?;
            line.get(open + 1..close).map(str::to_owned)
        };
        let mut facts = Facts::default();
        for line in text.lines() {
            if let Some(rest) = line
                .trim()
                .strip_prefix("[Requesting program interpreter: ")
            {
                facts.interp = rest.strip_suffix(']').map(str::to_owned);
            } else if line.contains("(NEEDED)") {
                facts.needed.extend(bracketed(line));
            } else if line.contains("(SONAME)") {
                facts.soname = bracketed(line);
            } else if line.contains("(RUNPATH)") {
                facts.runpath = bracketed(line);
            } else if line.contains("(RPATH)") {
                facts.rpath = bracketed(line);
            }
        }
        Some(facts)
    }

    #[test]
    fn real_binaries() {
        use std::os::unix::fs::FileExt;

        let ls = ["/bin/ls", "/usr/bin/ls"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists());
        let files = [
            ls.unwrap_or("/bin/ls"),
            "/usr/lib/x86_64-linux-gnu/libc.so.6",
            "/usr/lib/x86_64-linux-gnu/libz.so.1",
        ];
        for path in files {
            let Ok(data) = std::fs::read(path) else {
                eprintln!("skipping {path}: not found");
                continue;
            };
            let info = stream_all_ways(&data).expect("ELF");
            let file = std::fs::File::open(path).unwrap();
            let by_offset = read_elf_info(data.len() as u64, |off, buf| file.read_at(buf, off));
            assert_eq!(by_offset.unwrap().as_ref(), Some(&info), "{path}");
            assert!(info.complete && info.class64, "{path}: {info:?}");

            match readelf(path) {
                Some(facts) => {
                    let split = |s: &Option<String>| {
                        s.iter()
                            .flat_map(|s| s.split(':'))
                            .filter(|i| !i.is_empty())
                            .map(str::to_owned)
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(info.interp, facts.interp, "{path}");
                    assert_eq!(info.needed, facts.needed, "{path}");
                    assert_eq!(info.soname, facts.soname, "{path}");
                    assert_eq!(info.runpath, split(&facts.runpath), "{path}");
                    assert_eq!(info.rpath, split(&facts.rpath), "{path}");
                }
                None => eprintln!("readelf not available: checking pinned facts only"),
            }
            // Facts checked by hand with `readelf -d -l` on this machine (x86_64 glibc).
            if cfg!(target_arch = "x86_64") {
                assert_eq!(info.machine, elf::EM_X86_64);
                let ld = "/lib64/ld-linux-x86-64.so.2";
                if path.ends_with("/ls") {
                    assert_eq!(info.interp.as_deref(), Some(ld));
                    assert!(info.needed.iter().any(|n| n == "libc.so.6"), "{info:?}");
                    assert!(info.executable && info.soname.is_none());
                } else if path.ends_with("libc.so.6") {
                    // glibc's libc.so.6 has a PT_INTERP (it can be run), so it counts as a PIE.
                    assert_eq!(info.soname.as_deref(), Some("libc.so.6"));
                    assert_eq!(info.needed, ["ld-linux-x86-64.so.2"]);
                    assert_eq!(info.interp.as_deref(), Some(ld));
                } else {
                    assert_eq!(info.soname.as_deref(), Some("libz.so.1"));
                    assert_eq!(info.needed, ["libc.so.6"]);
                    assert!(info.interp.is_none() && !info.executable);
                }
            }
        }
    }
}
