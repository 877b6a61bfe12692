//! What an image is for, because that decides which advice is safe to give it. A `service` runs a
//! program (redis-server, postgres, a Go binary): it may be slimmed to what that program needs. An
//! `interpreted` image runs an application under an interpreter (python, node, java…): its
//! interpreter and the application are what it needs. A `shell` image runs nothing of its own (no
//! command, a shell, an interpreter's prompt): a base, a toolbox, a builder — its compilers are its
//! purpose, and nothing can be slimmed away from "whatever the user will run".
//!
//! Read from the config's entrypoint and command, resolved in the image's own files (a `#!`
//! script's interpreter, the program a `sh -c` script or a wrapper such as `tini` or `gosu`
//! starts), unless the image's label [`ROLE_LABEL`] or the user (`--role`) says otherwise. Pure.

use crate::model::resolve::resolve_file;
use crate::model::{Captured, Image};

/// The label an image may carry to state its role (`service`, `interpreted` or `shell`).
pub const ROLE_LABEL: &str = "org.imgscope.role";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Service,
    Interpreted,
    Shell,
}

impl Role {
    pub fn key(self) -> &'static str {
        match self {
            Role::Service => "service",
            Role::Interpreted => "interpreted",
            Role::Shell => "shell",
        }
    }

    pub fn parse(word: &str) -> Option<Role> {
        match word.trim().to_ascii_lowercase().as_str() {
            "service" => Some(Role::Service),
            "interpreted" => Some(Role::Interpreted),
            "shell" | "base" | "builder" | "toolbox" => Some(Role::Shell),
            _ => None,
        }
    }
}

/// An image's role and the reason, in words ("runs /usr/bin/redis-server, an ELF program").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleOf {
    pub role: Role,
    pub why: String,
}

/// Shells: a command that is one of these runs "whatever the user types".
const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "fish", "busybox", "csh", "tcsh",
];

/// Wrappers that start the rest of the command line: the role is the wrapped program's.
const WRAPPERS: &[&str] = &[
    "tini",
    "tini-static",
    "dumb-init",
    "gosu",
    "su-exec",
    "env",
    "catatonit",
    "s6-svscan",
    "nice",
    "chpst",
];

/// A program's name without its version (`python3.11` → `python`).
fn unversioned(name: &str) -> &str {
    name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
}

/// Interpreters: running one with a program makes the image `interpreted`.
fn is_interpreter(name: &str) -> bool {
    let base = unversioned(name);
    matches!(
        base,
        "python"
            | "pypy"
            | "node"
            | "nodejs"
            | "bun"
            | "deno"
            | "ruby"
            | "java"
            | "perl"
            | "php"
            | "php-fpm"
            | "lua"
            | "luajit"
            | "Rscript"
            | "R"
            | "dotnet"
            | "erl"
            | "elixir"
            | "iex"
            | "julia"
            | "groovy"
            | "scala"
            | "kotlin"
            | "gunicorn"
            | "uvicorn"
            | "celery"
            | "npm"
            | "yarn"
            | "pnpm"
            | "npx"
            | "bundle"
            | "rails"
            | "rackup"
            | "puma"
    )
}

/// Interpreters whose run with no program is a prompt (a language's base image).
fn is_prompt_interpreter(name: &str) -> bool {
    let base = unversioned(name);
    matches!(
        base,
        "python"
            | "pypy"
            | "node"
            | "nodejs"
            | "ruby"
            | "irb"
            | "perl"
            | "php"
            | "lua"
            | "R"
            | "iex"
            | "erl"
            | "julia"
            | "jshell"
            | "bun"
            | "deno"
            | "groovysh"
    )
}

fn file_name(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The image's role: the user's word first (`overridden`), then the image's label, then what its
/// command runs.
pub fn of(image: &Image, overridden: Option<Role>) -> RoleOf {
    if let Some(role) = overridden {
        return RoleOf {
            role,
            why: "set with --role".into(),
        };
    }
    if let Some((_, value)) = image.config.labels.iter().find(|(k, _)| k == ROLE_LABEL)
        && let Some(role) = Role::parse(value)
    {
        return RoleOf {
            role,
            why: format!("the image's label {ROLE_LABEL}"),
        };
    }
    from_command(image)
}

fn from_command(image: &Image) -> RoleOf {
    let config = &image.config;
    let words: Vec<&str> = config
        .entrypoint
        .iter()
        .chain(config.cmd.iter())
        .map(String::as_str)
        .collect();
    if words.is_empty() {
        return RoleOf {
            role: Role::Shell,
            why: "no entrypoint and no command: a base for other images".into(),
        };
    }
    // An entrypoint that is a shell script with a command after it (`docker-entrypoint.sh` +
    // `redis-server`) ends, by convention, with `exec "$@"`: the command is what runs.
    let entry = config.entrypoint.len();
    if entry >= 1 && !config.cmd.is_empty() && is_script_wrapper(image, &config.entrypoint) {
        return classify(
            image,
            &config.cmd.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .map(|r| RoleOf {
            role: r.role,
            why: format!(
                "{} (started by the entrypoint script {})",
                r.why, config.entrypoint[0]
            ),
        })
        .unwrap_or_else(|| shell_role(&config.cmd[0]));
    }
    classify(image, &words).unwrap_or_else(|| shell_role(words[0]))
}

fn shell_role(word: &str) -> RoleOf {
    RoleOf {
        role: Role::Shell,
        why: format!("its command is the shell {word}: a base, a toolbox or a builder"),
    }
}

/// Whether `entrypoint` is a lone `#!` shell script (an entrypoint script that execs its
/// arguments).
fn is_script_wrapper(image: &Image, entrypoint: &[String]) -> bool {
    if entrypoint.len() != 1 {
        return false;
    }
    let Some(path) = super::closure::program_path(image, &entrypoint[0]) else {
        return false;
    };
    match shebang(image, &path) {
        Some(interp) => SHELLS.contains(&file_name(&interp)),
        None => false,
    }
}

/// The role of the command line `words`; `None` when it only runs a shell.
fn classify(image: &Image, words: &[&str]) -> Option<RoleOf> {
    let mut k = 0;
    while k < words.len() {
        let word = words[k];
        let name = file_name(word);
        if WRAPPERS.contains(&name) {
            // Skip the wrapper, its flags, and `--`; gosu/su-exec also take a user first.
            k += 1;
            if matches!(name, "gosu" | "su-exec") {
                k += 1;
            }
            while k < words.len()
                && (words[k].starts_with('-') || (name == "env" && words[k].contains('=')))
            {
                k += 1;
            }
            continue;
        }
        if SHELLS.contains(&name) {
            // `sh -c "… exec program"`: the program the script runs, if it is not a shell.
            if words.get(k + 1) == Some(&"-c")
                && let Some(script) = words.get(k + 2)
            {
                return script_role(image, script, word);
            }
            // `bash script.sh`: a shell script is a program of its own.
            if let Some(arg) = words.get(k + 1)
                && !arg.starts_with('-')
            {
                return Some(RoleOf {
                    role: Role::Service,
                    why: format!("runs the script {arg} with {word}"),
                });
            }
            return None;
        }
        return Some(program_role(image, word, &words[k + 1..]));
    }
    None
}

/// The role of a `sh -c SCRIPT`: the last program it runs that is not a shell or a wrapper.
fn script_role(image: &Image, script: &str, shell: &str) -> Option<RoleOf> {
    let mut last: Option<Vec<&str>> = None;
    for part in script.split(['&', '|', ';', '\n']) {
        let words: Vec<&str> = part
            .split_whitespace()
            .skip_while(|w| *w == "exec" || w.contains('='))
            .collect();
        if let Some(first) = words.first() {
            let name = file_name(first);
            if !SHELLS.contains(&name)
                && !matches!(
                    name,
                    "set" | "cd" | "echo" | "export" | "true" | "[" | "test"
                )
            {
                last = Some(words);
            }
        }
    }
    let words = last?;
    classify(image, &words).map(|r| RoleOf {
        role: r.role,
        why: format!("{} (from {shell} -c)", r.why),
    })
}

fn program_role(image: &Image, word: &str, args: &[&str]) -> RoleOf {
    let path = super::closure::program_path(image, word);
    let shown = path.as_deref().unwrap_or(word);
    // The real file's name tells an interpreter behind a link (/usr/bin/python3 → python3.11).
    let real = path
        .as_deref()
        .and_then(|p| resolve_file(&image.tree, p, usize::MAX))
        .map(|(node, _)| image.tree.name(node).to_string());
    let names = [file_name(word), real.as_deref().unwrap_or("")];
    if names.iter().any(|n| is_interpreter(n)) {
        let program = args.iter().find(|a| !a.starts_with('-'));
        let module = args
            .iter()
            .position(|a| matches!(*a, "-m" | "-jar" | "-e" | "-c" | "-r"))
            .and_then(|i| args.get(i + 1));
        return match (
            program.or(module),
            names.iter().any(|n| is_prompt_interpreter(n)),
        ) {
            (None, true) => RoleOf {
                role: Role::Shell,
                why: format!("runs {shown} with no program: a prompt, as a language's base image"),
            },
            (None, false) => RoleOf {
                role: Role::Interpreted,
                why: format!("runs the interpreter {shown}"),
            },
            (Some(p), _) => RoleOf {
                role: Role::Interpreted,
                why: format!("runs {p} with the interpreter {shown}"),
            },
        };
    }
    if let Some(p) = &path
        && let Some(interp) = shebang(image, p)
    {
        let iname = file_name(&interp);
        if is_interpreter(iname) && !SHELLS.contains(&iname) {
            return RoleOf {
                role: Role::Interpreted,
                why: format!("runs {p}, a {iname} script"),
            };
        }
        return RoleOf {
            role: Role::Service,
            why: format!("runs {p}, a {iname} script"),
        };
    }
    let kind = match path
        .as_deref()
        .and_then(|p| resolve_file(&image.tree, p, usize::MAX))
        .and_then(|(n, _)| image.final_capture(n))
    {
        Some(Captured::Elf(_)) => ", an ELF program",
        _ if path.is_none() => ", not found in the image",
        _ => "",
    };
    RoleOf {
        role: Role::Service,
        why: format!("runs {shown}{kind}"),
    }
}

/// A `#!` script's interpreter (`/usr/bin/env python3` → `python3`).
fn shebang(image: &Image, path: &str) -> Option<String> {
    let (node, _) = resolve_file(&image.tree, path, usize::MAX)?;
    let Some(Captured::Shebang(line)) = image.final_capture(node) else {
        return None;
    };
    let mut words = line.split_whitespace();
    let interp = words.next()?;
    if file_name(interp) == "env" {
        return words.find(|w| !w.starts_with('-')).map(str::to_string);
    }
    Some(interp.to_string())
}
