//! The project's `.imgscope.toml`, found and parsed here for everything that reads it: the gates
//! its `[gates]` table, the analysis its top-level `ignore = [GLOB, …]`. It is looked for in the
//! working directory, or named with `--config FILE.toml`. A file that does not parse is an error
//! naming the file, line and column.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};

pub const IMGSCOPE_TOML: &str = ".imgscope.toml";

/// A parsed project file and the name it is reported under.
#[derive(Debug, Clone)]
pub struct ProjectFile {
    pub name: String,
    pub table: toml::Table,
}

/// The project file to read: `--config FILE` when it is a `*.toml`, else `./.imgscope.toml` when
/// present. `Ok(None)` when there is none (or `--config` names a `.dive-ci`).
pub fn find(config: Option<&Path>, cwd: &Path) -> Result<Option<ProjectFile>> {
    let (path, name): (PathBuf, String) = match config {
        Some(p) if p.extension().is_some_and(|e| e == "toml") => {
            (p.to_path_buf(), p.display().to_string())
        }
        Some(_) => return Ok(None),
        None => (cwd.join(IMGSCOPE_TOML), IMGSCOPE_TOML.to_string()),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if config.is_none() && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => return Err(anyhow!(e).context(name)),
    };
    let table = parse(&text).with_context(|| name.clone())?;
    Ok(Some(ProjectFile { name, table }))
}

/// Parse TOML text; an error says where (`line L, column C: …`) on one line.
pub fn parse(text: &str) -> Result<toml::Table> {
    toml::from_str(text).map_err(|e| {
        let msg = e.message().trim().replace('\n', " ");
        match e.span() {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                anyhow!("line {line}, column {col}: {msg}")
            }
            None => anyhow!("{msg}"),
        }
    })
}

/// Where a byte offset is, as `(line, column)`, both from 1.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl ProjectFile {
    /// The top-level `ignore = ["/var/cache/**", …]` globs, each with where it was written
    /// (`.imgscope.toml ignore[0]`).
    pub fn ignore_globs(&self) -> Result<Vec<(String, String)>> {
        let Some(value) = self.table.get("ignore") else {
            return Ok(Vec::new());
        };
        let Some(list) = value.as_array() else {
            bail!(
                "{}: ignore: expected a list of globs, e.g. ignore = [\"/var/cache/**\"]",
                self.name
            );
        };
        list.iter()
            .enumerate()
            .map(|(i, v)| match v.as_str() {
                Some(s) => Ok((format!("{} ignore[{i}]", self.name), s.to_string())),
                None => bail!(
                    "{}: ignore[{i}]: expected a string (a glob), found {}",
                    self.name,
                    v.type_str()
                ),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> ProjectFile {
        ProjectFile {
            name: IMGSCOPE_TOML.into(),
            table: parse(text).unwrap(),
        }
    }

    #[test]
    fn ignore_globs_name_where_they_were_written() {
        let f = file("ignore = [\"/var/cache/**\", \"**/*.pyc\"]\n[gates]\nmax-size = 1\n");
        assert_eq!(
            f.ignore_globs().unwrap(),
            [
                (
                    ".imgscope.toml ignore[0]".to_string(),
                    "/var/cache/**".to_string()
                ),
                (
                    ".imgscope.toml ignore[1]".to_string(),
                    "**/*.pyc".to_string()
                ),
            ]
        );
        assert!(file("[gates]\n").ignore_globs().unwrap().is_empty());
        let err = |t: &str| format!("{:#}", file(t).ignore_globs().unwrap_err());
        assert!(err("ignore = \"/x\"\n").contains("expected a list of globs"));
        assert!(err("ignore = [\"/x\", 3]\n").contains("ignore[1]: expected a string"));
    }

    #[test]
    fn parse_errors_say_where() {
        let e = format!("{:#}", parse("a = 1\n[gates\n").unwrap_err());
        assert!(e.starts_with("line 2, column"), "{e}");
        assert!(!format!("{:#}", parse("x = \n").unwrap_err()).contains('\n'));
    }
}
