//! File contents kept while a layer decoded, for the analyses that read files of the image itself:
//! the package databases (dpkg, apk) and the loader's configuration as text, of every ELF file the
//! little the runtime closure needs (its interpreter, the libraries it needs, where it looks for
//! them), and of every executable script its `#!` line. Decoding keeps them
//! (`decode::capture`), the layer cache stores them, the merge ties each to the version it belongs
//! to ([`crate::model::Image::captured`]).

/// What was kept of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Captured {
    /// The whole content of a package-database file.
    Text(Box<[u8]>),
    /// The dynamic-linking facts of an ELF file.
    Elf(ElfInfo),
    /// The `#!` line of an executable script, without `#!` and the line end.
    Shebang(String),
}

impl Captured {
    /// The kept text of a database or configuration file.
    pub fn text(&self) -> Option<&[u8]> {
        match self {
            Captured::Text(bytes) => Some(bytes),
            Captured::Elf(_) | Captured::Shebang(_) => None,
        }
    }
}

/// What the runtime closure needs of one ELF file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ElfInfo {
    /// PT_INTERP, without the trailing NUL.
    pub interp: Option<String>,
    /// DT_NEEDED, in order.
    pub needed: Vec<String>,
    /// DT_RUNPATH, split on ':' (empty items dropped).
    pub runpath: Vec<String>,
    /// DT_RPATH, split on ':'.
    pub rpath: Vec<String>,
    /// DT_SONAME.
    pub soname: Option<String>,
    pub class64: bool,
    /// e_machine.
    pub machine: u16,
    /// ET_EXEC, or ET_DYN with PT_INTERP (a PIE).
    pub executable: bool,
    /// False when something was past a cap, so the lists may be partial.
    pub complete: bool,
}
