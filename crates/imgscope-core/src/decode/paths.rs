//! Normalizing tar entry paths the way a container runtime sees them: relative to `/`, with `./`,
//! empty components and trailing slashes dropped and `..` resolved without ever climbing above the
//! root (an image cannot write outside its filesystem). Whiteout names are recognized here too.

pub const WHITEOUT_PREFIX: &str = ".wh.";
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// Normalize `raw` into `out` (cleared first). Returns false if nothing is left but the root.
pub fn normalize(raw: &str, out: &mut String) -> bool {
    out.clear();
    let mut stack: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                stack.pop();
            }
            p => stack.push(p),
        }
    }
    for (i, part) in stack.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(part);
    }
    !out.is_empty()
}

/// What a normalized path's last component says about whiteouts.
#[derive(Debug, PartialEq, Eq)]
pub enum Whiteout<'a> {
    None,
    /// `dir/.wh.name`: delete `dir/name` (the path given).
    File(String),
    /// `dir/.wh..wh..opq`: `dir` (the path given) is opaque.
    Opaque(&'a str),
    /// `.wh.`, `.wh..`, `.wh...`: a marker that names nothing deletable (not the directory itself,
    /// not its parent). It deletes nothing, and is no file either: a runtime never writes a
    /// `.wh.` name.
    Void,
}

pub fn whiteout(path: &str) -> Whiteout<'_> {
    let (dir, name) = match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    };
    if name == OPAQUE_MARKER {
        return Whiteout::Opaque(dir);
    }
    match name.strip_prefix(WHITEOUT_PREFIX) {
        // `.wh.` alone, or whiteouts of `.`/`..`, name nothing that can be deleted.
        Some("") | Some(".") | Some("..") => Whiteout::Void,
        Some(target) if dir.is_empty() => Whiteout::File(target.to_string()),
        Some(target) => Whiteout::File(format!("{dir}/{target}")),
        None => Whiteout::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        let mut out = String::new();
        normalize(s, &mut out);
        out
    }

    #[test]
    fn normalizes_like_a_runtime() {
        assert_eq!(norm("./usr/bin/"), "usr/bin");
        assert_eq!(norm("/etc//passwd"), "etc/passwd");
        assert_eq!(norm("a/./b/../c"), "a/c");
        assert_eq!(norm("../../etc/shadow"), "etc/shadow");
        assert_eq!(norm("./"), "");
    }

    #[test]
    fn recognizes_whiteouts() {
        assert_eq!(
            whiteout("etc/.wh.passwd"),
            Whiteout::File("etc/passwd".into())
        );
        assert_eq!(whiteout(".wh.tmp"), Whiteout::File("tmp".into()));
        assert_eq!(
            whiteout("var/cache/.wh..wh..opq"),
            Whiteout::Opaque("var/cache")
        );
        assert_eq!(whiteout(".wh..wh..opq"), Whiteout::Opaque(""));
        assert_eq!(whiteout("etc/.wh.."), Whiteout::Void);
        assert_eq!(whiteout("etc/.wh..."), Whiteout::Void);
        assert_eq!(whiteout(".wh."), Whiteout::Void);
        assert_eq!(whiteout("etc/passwd"), Whiteout::None);
    }
}
