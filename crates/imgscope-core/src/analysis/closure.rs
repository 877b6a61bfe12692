//! What the entrypoint really needs: the static runtime closure of the image's entrypoint and
//! command. From `ENTRYPOINT` + `CMD` (the first word resolved on the image's `PATH` and working
//! directory, through its symlinks; for `sh -c SCRIPT`, the commands the script runs too), the
//! closure holds each executable, a script's `#!` interpreter, an ELF file's interpreter
//! (`PT_INTERP`) and the libraries it needs (`DT_NEEDED`), found as the image's own loader would:
//! `DT_RPATH` (when there is no `DT_RUNPATH`), `LD_LIBRARY_PATH` from the image's environment,
//! `DT_RUNPATH`, the directories of the image's `/etc/ld.so.conf` (and the files it includes), then
//! the default directories (with the machine's multiarch ones, as Debian's loader has them) — `$ORIGIN` standing for the directory of the object that needs the
//! library, and a candidate kept only if it is an ELF file of the same class and machine. Paths the
//! user names (`--keep`) join the roots, and so, by convention, do the files under `/etc` of the
//! package that owns the executable (its own configuration).
//!
//! It is a static view: libraries loaded with `dlopen`, modules an interpreter imports, and data or
//! configuration files read at run time are not seen. The result says so, with what it could not
//! resolve, so nobody takes it for a guarantee. Pure: reads the merged tree and what decoding kept
//! of the files.

use std::collections::VecDeque;

use hashbrown::{HashMap, HashSet};

use super::ld_so_conf;
use crate::model::resolve::{resolve, resolve_file};
use crate::model::{Captured, ElfInfo, EntryKind, Image, NodeId};
use crate::packages::Packages;

/// The final layer.
const FINAL: usize = usize::MAX;

/// Files followed at most (a hostile image could chain libraries without end).
pub const MAX_FILES: usize = 10_000;

/// Path lookups one closure may make (candidates tried on `PATH`, library search directories,
/// `ld.so.conf` files): a hostile `LD_LIBRARY_PATH`, `RPATH` or `sh -c` script could otherwise
/// multiply into billions. Past it the closure stops and says so in `unseen`; the report stands.
pub const MAX_LOOKUPS: usize = 200_000;

/// Directories kept in one search list (`PATH`, `LD_LIBRARY_PATH`, an `RPATH`, `ld.so.conf`), once
/// each; and the longest path an expansion may make (Linux's `PATH_MAX`).
pub const MAX_SEARCH_DIRS: usize = 1024;
pub const PATH_MAX: usize = 4096;

/// Commands of a `sh -c` script followed at most.
pub const MAX_SCRIPT_COMMANDS: usize = 256;

/// A search list: at most [`MAX_SEARCH_DIRS`] distinct entries, none longer than [`PATH_MAX`].
fn search_list<'a>(dirs: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: HashSet<&str> = HashSet::new();
    dirs.filter(|d| !d.is_empty() && d.len() <= PATH_MAX && seen.insert(d))
        .take(MAX_SEARCH_DIRS)
        .collect()
}

/// `PATH` when the image's environment sets none (Docker's default).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The loader's built-in directories, searched last.
const DEFAULT_LIB_DIRS: &[&str] = &["/lib", "/usr/lib", "/lib64", "/usr/lib64"];

/// The multiarch directories Debian's and Ubuntu's glibc searches by default for an ELF machine
/// (its `e_machine`), before the plain ones, even without an `ld.so.conf`.
fn multiarch(machine: u16) -> Option<&'static str> {
    Some(match machine {
        62 => "x86_64-linux-gnu",
        183 => "aarch64-linux-gnu",
        3 => "i386-linux-gnu",
        40 => "arm-linux-gnueabihf",
        21 => "powerpc64le-linux-gnu",
        22 => "s390x-linux-gnu",
        243 => "riscv64-linux-gnu",
        _ => return None,
    })
}

/// Shells whose `-c SCRIPT` is read for the commands it runs.
const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "busybox"];

#[derive(Debug, Clone, PartialEq)]
pub struct Closure {
    /// The command line it starts from (entrypoint then cmd).
    pub command: Vec<String>,
    /// The executable the command runs, as resolved in the image (absolute path).
    pub executable: Option<String>,
    /// The visible regular files in the closure, with their bytes, in the order found.
    pub files: Vec<(NodeId, u64)>,
    pub bytes: u64,
    /// Packages owning closure files, by name, in the order found.
    pub packages: Vec<String>,
    /// Names the closure needed but could not find (a missing library, a missing executable).
    pub unresolved: Vec<String>,
    /// What a static closure cannot see, in plain words.
    pub unseen: Vec<String>,
    /// Whether the executable is understood: an ELF file or a `#!` script. Anything else (a
    /// static or foreign binary without headers we read, a data file) needs what we cannot know.
    pub understood: bool,
    /// Whether the lookup budget ([`MAX_LOOKUPS`]) ran out: the files are then partial, and no
    /// slim image is priced on them.
    pub exhausted: bool,
    /// Path lookups made (the work the closure cost: files taken, candidates tried, `ld.so.conf`
    /// files read), at most [`MAX_LOOKUPS`].
    pub lookups: usize,
}

/// The closure of `image`'s command, with `keep` paths added; `None` when the image has no
/// command at all.
pub fn analyze(image: &Image, packages: &Packages, keep: &[String]) -> Option<Closure> {
    let config = &image.config;
    let command: Vec<String> = config
        .entrypoint
        .iter()
        .chain(config.cmd.iter())
        .cloned()
        .collect();
    if command.is_empty() && keep.is_empty() {
        return None;
    }
    let env: HashMap<&str, &str> = config
        .env
        .iter()
        .filter_map(|e| e.split_once('='))
        .collect();
    let path_dirs: Vec<&str> =
        search_list(env.get("PATH").copied().unwrap_or(DEFAULT_PATH).split(':'));
    let workdir = config
        .working_dir
        .as_deref()
        .filter(|w| !w.is_empty())
        .unwrap_or("/");
    let mut walk = Walk {
        image,
        queue: VecDeque::new(),
        seen: HashSet::new(),
        out: Vec::new(),
        unresolved: Vec::new(),
        incomplete_elf: false,
        ld_library_path: env
            .get("LD_LIBRARY_PATH")
            .map(|p| {
                search_list(p.split(':'))
                    .into_iter()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        conf_dirs: Vec::new(),
        lookups: 0,
    };
    walk.conf_dirs = ld_so_conf::directories(&ImageConf(image), &mut walk.lookups, MAX_LOOKUPS);
    let mut executable = None;
    for (k, word) in commands(&command).into_iter().enumerate() {
        match find_program(image, &word, &path_dirs, workdir, &mut walk.lookups) {
            Some(path) => {
                if k == 0 {
                    executable = Some(path.clone());
                }
                walk.push(&path);
            }
            None if k == 0 => walk.unresolved.push(word),
            None => {}
        }
    }
    for path in keep {
        if resolve_file(&image.tree, path, FINAL).is_some() {
            walk.push(path);
        } else {
            walk.unresolved.push(path.clone());
        }
    }
    walk.run();
    // By convention a program reads its own package's configuration: the files under /etc of
    // the package that owns the executable, or that is named after it (`redis-server` owns
    // /etc/redis/redis.conf and the /usr/bin/redis-server link).
    if let Some(exe) = &executable {
        let tree = &image.tree;
        let base = exe.rsplit('/').next().unwrap_or(exe);
        let mut own: Vec<u32> = Vec::new();
        if let Some((node, _)) = resolve_file(tree, exe, FINAL)
            && let Ok(i) = packages.owner.binary_search_by_key(&node, |(n, _)| *n)
        {
            own.push(packages.owner[i].1);
        }
        if let Some(k) = packages.packages.iter().position(|p| p.name == base) {
            own.push(k as u32);
        }
        let configs: Vec<(NodeId, u64)> = packages
            .owner
            .iter()
            .filter(|(_, p)| own.contains(p))
            .filter(|(n, _)| tree.path(*n).starts_with("/etc/"))
            .filter_map(|(n, _)| Some((*n, tree.live_final(*n)?.size)))
            .collect();
        for (n, size) in configs {
            if walk.seen.insert(n) {
                walk.out.push((n, size));
            }
        }
    }
    let mut names: Vec<String> = Vec::new();
    for (node, _) in &walk.out {
        if let Some(p) = packages.owner_of(*node)
            && !names.contains(&p.name)
        {
            names.push(p.name.clone());
        }
    }
    let mut unseen = vec![
        "libraries loaded with dlopen, modules an interpreter imports, and data or configuration files read at run time are not seen (add them with --keep PATH)".to_string(),
    ];
    if walk.incomplete_elf {
        unseen.push(
            "some ELF files' dynamic sections were past a size cap: their needs may be partial"
                .into(),
        );
    }
    if walk.out.len() >= MAX_FILES {
        unseen.push(format!("stopped after {MAX_FILES} files"));
    }
    let exhausted = walk.lookups >= MAX_LOOKUPS;
    if exhausted {
        unseen.push(format!(
            "stopped after {MAX_LOOKUPS} path lookups (MAX_LOOKUPS): its search lists are too long to follow, so what it needs may be partial"
        ));
    }
    let understood = executable.as_deref().is_some_and(|exe| {
        resolve_file(&image.tree, exe, FINAL).is_some_and(|(node, _)| {
            matches!(
                image.final_capture(node),
                Some(Captured::Elf(_) | Captured::Shebang(_))
            )
        })
    });
    if let (false, Some(exe)) = (understood, &executable) {
        unseen.push(format!(
            "{exe} is neither an ELF file nor a #! script: what it needs is not known"
        ));
    }
    Some(Closure {
        command,
        executable,
        bytes: walk.out.iter().map(|(_, b)| b).sum(),
        files: walk.out,
        packages: names,
        unresolved: walk.unresolved,
        unseen,
        understood,
        exhausted,
        lookups: walk.lookups,
    })
}

/// The command words to resolve: the first word; for `SHELL -c SCRIPT`, also the first word of
/// each command of the script (after `exec`, `&&`, `||`, `;`, `|`), once each, at most
/// [`MAX_SCRIPT_COMMANDS`].
fn commands(command: &[String]) -> Vec<String> {
    let mut out: Vec<String> = command.first().cloned().into_iter().collect();
    let mut seen: HashSet<String> = out.iter().cloned().collect();
    let shell = command
        .first()
        .and_then(|c| c.rsplit('/').next())
        .is_some_and(|name| SHELLS.contains(&name));
    if shell
        && command.get(1).map(String::as_str) == Some("-c")
        && let Some(script) = command.get(2)
    {
        let mut at_start = true;
        for word in script.split(|c: char| c.is_whitespace()) {
            if out.len() > MAX_SCRIPT_COMMANDS {
                break;
            }
            match word {
                "" => {}
                "&&" | "||" | ";" | "|" | "exec" => at_start = true,
                // `VAR=value cmd`: the assignment comes before the command.
                w if at_start && w.contains('=') => {}
                w if at_start => {
                    at_start = w.ends_with(';');
                    let w = w.trim_end_matches(';');
                    if !w.is_empty() && w.len() <= PATH_MAX && seen.insert(w.to_string()) {
                        out.push(w.to_string());
                    }
                }
                w => at_start = w.ends_with(';'),
            }
        }
    }
    out
}

/// Where the image's own `PATH` (Docker's default without one) and working directory find
/// `word`, as an absolute path, within the closure's bounds (what the role of an image reads).
pub(crate) fn program_path(image: &Image, word: &str) -> Option<String> {
    let config = &image.config;
    let path = config
        .env
        .iter()
        .find_map(|e| e.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH);
    let workdir = config
        .working_dir
        .as_deref()
        .filter(|w| !w.is_empty())
        .unwrap_or("/");
    find_program(image, word, &search_list(path.split(':')), workdir, &mut 0)
}

/// Where the image's `PATH` and working directory find `word`, as an absolute path; each
/// candidate tried counts against `lookups`.
fn find_program(
    image: &Image,
    word: &str,
    path: &[&str],
    workdir: &str,
    lookups: &mut usize,
) -> Option<String> {
    let candidates: Vec<String> = if word.starts_with('/') {
        vec![word.to_string()]
    } else if word.contains('/') {
        vec![format!("{}/{word}", workdir.trim_end_matches('/'))]
    } else {
        path.iter()
            .map(|d| format!("{}/{word}", d.trim_end_matches('/')))
            .collect()
    };
    candidates.into_iter().find(|c| {
        if *lookups >= MAX_LOOKUPS {
            return false;
        }
        *lookups += 1;
        resolve_file(&image.tree, c, FINAL).is_some()
    })
}

/// The image's files as `ld.so.conf` reading sees them: the final layer, links followed, a file's
/// identity its node.
struct ImageConf<'a>(&'a Image);

impl ld_so_conf::ConfFiles for ImageConf<'_> {
    fn file(&self, path: &str) -> Option<(u64, &[u8])> {
        let (node, _) = resolve_file(&self.0.tree, path, FINAL)?;
        let text = self.0.final_capture(node).and_then(|c| c.text())?;
        Some((node.index() as u64, text))
    }

    fn names(&self, dir: &str) -> Option<Vec<&str>> {
        let tree = &self.0.tree;
        let node = resolve(tree, dir, FINAL, true)?;
        if tree
            .live_final(node)
            .is_none_or(|v| v.kind != EntryKind::Dir)
        {
            return None;
        }
        Some(
            tree.children(node)
                .iter()
                .filter(|&&c| tree.live_final(c).is_some())
                .map(|&c| tree.name(c))
                .collect(),
        )
    }
}

struct Walk<'a> {
    image: &'a Image,
    /// Paths to add, as named (resolved when taken).
    queue: VecDeque<String>,
    seen: HashSet<NodeId>,
    out: Vec<(NodeId, u64)>,
    unresolved: Vec<String>,
    incomplete_elf: bool,
    ld_library_path: Vec<String>,
    conf_dirs: Vec<String>,
    /// Path lookups made so far (see [`MAX_LOOKUPS`]).
    lookups: usize,
}

impl Walk<'_> {
    fn push(&mut self, path: &str) {
        self.queue.push_back(path.to_string());
    }

    fn run(&mut self) {
        while let Some(path) = self.queue.pop_front() {
            if self.out.len() >= MAX_FILES || self.lookups >= MAX_LOOKUPS {
                return;
            }
            self.lookups += 1;
            let tree = &self.image.tree;
            let Some((node, v)) = resolve_file(tree, &path, FINAL) else {
                continue;
            };
            if !self.seen.insert(node) {
                continue;
            }
            self.out.push((node, v.size));
            let real = tree.path(node);
            match self.image.final_capture(node).cloned() {
                Some(Captured::Elf(elf)) => self.elf(&real, &elf),
                Some(Captured::Shebang(line)) => {
                    if let Some(interp) = line.split_whitespace().next() {
                        self.push(interp);
                        // `#!/usr/bin/env python3`: the program env runs.
                        if interp.ends_with("/env")
                            && let Some(prog) = line.split_whitespace().nth(1)
                            && !prog.starts_with('-')
                        {
                            let path_dirs: Vec<&str> = DEFAULT_PATH.split(':').collect();
                            if let Some(p) =
                                find_program(self.image, prog, &path_dirs, "/", &mut self.lookups)
                            {
                                self.push(&p);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn elf(&mut self, real_path: &str, elf: &ElfInfo) {
        if !elf.complete {
            self.incomplete_elf = true;
        }
        if let Some(interp) = &elf.interp {
            self.push(interp);
        }
        let origin = real_path
            .rsplit_once('/')
            .map_or("/", |(d, _)| d)
            .to_string();
        let origin = if origin.is_empty() {
            "/".to_string()
        } else {
            origin
        };
        // An expansion longer than PATH_MAX names nothing a loader could open.
        let expand = |dir: &str| {
            let e = dir
                .replace("${ORIGIN}", &origin)
                .replace("$ORIGIN", &origin);
            (e.len() <= PATH_MAX).then_some(e)
        };
        for name in &elf.needed {
            if self.lookups >= MAX_LOOKUPS {
                return;
            }
            if name.contains('/') {
                self.lookups += 1;
                match expand(name) {
                    Some(p) if resolve_file(&self.image.tree, &p, FINAL).is_some() => self.push(&p),
                    _ => self.note_unresolved(name),
                }
                continue;
            }
            let mut dirs: Vec<String> = Vec::new();
            if elf.runpath.is_empty() {
                dirs.extend(elf.rpath.iter().filter_map(|d| expand(d)));
            }
            dirs.extend(self.ld_library_path.iter().cloned());
            dirs.extend(elf.runpath.iter().filter_map(|d| expand(d)));
            dirs.extend(self.conf_dirs.iter().cloned());
            if let Some(triplet) = multiarch(elf.machine) {
                dirs.push(format!("/lib/{triplet}"));
                dirs.push(format!("/usr/lib/{triplet}"));
            }
            dirs.extend(DEFAULT_LIB_DIRS.iter().map(|d| d.to_string()));
            let dirs: Vec<String> = search_list(dirs.iter().map(String::as_str))
                .into_iter()
                .map(str::to_string)
                .collect();
            let lookups = &mut self.lookups;
            let found = dirs.iter().find_map(|dir| {
                if *lookups >= MAX_LOOKUPS {
                    return None;
                }
                *lookups += 1;
                let candidate = format!("{}/{name}", dir.trim_end_matches('/'));
                let (node, _) = resolve_file(&self.image.tree, &candidate, FINAL)?;
                match self.image.final_capture(node) {
                    Some(Captured::Elf(lib))
                        if lib.class64 == elf.class64 && lib.machine == elf.machine =>
                    {
                        Some(candidate)
                    }
                    _ => None,
                }
            });
            match found {
                Some(p) => self.push(&p),
                None => self.note_unresolved(name),
            }
        }
    }

    fn note_unresolved(&mut self, name: &str) {
        if !self.unresolved.iter().any(|u| u == name) {
            self.unresolved.push(name.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_scripts_give_their_commands() {
        let c = |v: &[&str]| commands(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(c(&["/usr/bin/redis-server"]), ["/usr/bin/redis-server"]);
        assert_eq!(
            c(&["/bin/sh", "-c", "exec redis-server --port 1"]),
            ["/bin/sh", "redis-server"]
        );
        assert_eq!(
            c(&["sh", "-c", "FOO=1 setup && exec app; log | tee x"]),
            ["sh", "setup", "app", "log", "tee"]
        );
        assert_eq!(c(&[]), Vec::<String>::new());
    }
}
