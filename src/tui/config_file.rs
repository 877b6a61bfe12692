//! The viewer's own settings: `config.toml` in `$XDG_CONFIG_HOME/imgscope/` (else
//! `~/.config/imgscope/`), read once when the viewer starts. It exists so that a user can give the
//! panes' actions keys of their own and pick colours:
//!
//! ```toml
//! [keys]
//! quit = "Q"                  # an action of the key table (see keys::ACTION_NAMES)
//! search = ["/", "Ctrl-S"]    # one key or several
//!
//! [theme]
//! name = "light"              # default, light, high-contrast, no-color
//! dir = "magenta"             # one colour of the palette: a name, or "#rrggbb"
//! ```
//!
//! Anything it does not know is an error that names the file and the line, before the terminal is
//! taken over; no file is no error.

use std::ops::Range;
use std::path::{Path, PathBuf};

use ratatui::style::Color;
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::action::Action;
use super::keys::{self, Key};
use super::theme::Palette;

/// What the file sets.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewerConfig {
    /// Actions of the panes with their keys.
    pub keys: Vec<(Action, Vec<Key>)>,
    pub palette: Palette,
    /// `name = "no-color"`: no colour, whatever the terminal can do.
    pub no_color: bool,
}

impl Default for ViewerConfig {
    fn default() -> ViewerConfig {
        ViewerConfig {
            keys: Vec::new(),
            palette: Palette::DEFAULT,
            no_color: false,
        }
    }
}

/// Where the file is looked for.
pub fn path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".config"),
    };
    Some(base.join("imgscope").join("config.toml"))
}

/// The settings from the user's file: the defaults when there is none; an error (one line naming
/// the file and the line) when it cannot be read or says something this viewer does not know.
pub fn load() -> Result<ViewerConfig, String> {
    let Some(path) = path() else {
        return Ok(ViewerConfig::default());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text, &path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ViewerConfig::default()),
        Err(e) => Err(format!("{}: {e}", shown(&path))),
    }
}

fn shown(path: &Path) -> String {
    crate::text::escape_control(&path.display().to_string()).into_owned()
}

/// The settings `text` (the contents of `path`) gives. Every line an error names is where toml's
/// parser found the name or value at fault (its spans), so comments, blank lines, quoted names and
/// a comment after a section header do not move it.
pub fn parse(text: &str, path: &Path) -> Result<ViewerConfig, String> {
    let at = |span: Range<usize>, what: String| {
        format!("{} line {}: {what}", shown(path), line_at(text, span.start))
    };
    let document = DeTable::parse(text).map_err(|e: toml::de::Error| {
        // toml's message is several lines (with the source quoted): its first says what is wrong.
        let what = e.message().lines().next().unwrap_or("not TOML").to_string();
        at(e.span().unwrap_or(0..0), what)
    })?;
    let mut config = ViewerConfig::default();
    // In the file's order (the table is sorted by name), so an error is the first in the file.
    for (section, value) in in_file_order(document.get_ref()) {
        let name = section.get_ref().as_ref();
        let DeValue::Table(entries) = value.get_ref() else {
            return Err(at(
                section.span(),
                format!("{name:?} is not a section: the file has [keys] and [theme]"),
            ));
        };
        match name {
            "keys" => {
                for (key, value) in in_file_order(entries) {
                    key_entry(&mut config, key, value).map_err(|(span, what)| at(span, what))?;
                }
            }
            "theme" => {
                for (key, value) in in_file_order(entries) {
                    let name = key.get_ref().as_ref();
                    let DeValue::String(value) = value.get_ref() else {
                        return Err(at(key.span(), format!("{name}: a string, please")));
                    };
                    theme_entry(&mut config, name, value).map_err(|e| at(key.span(), e))?;
                }
            }
            _ => {
                return Err(at(
                    section.span(),
                    format!("[{name}] is not a section: the file has [keys] and [theme]"),
                ));
            }
        }
    }
    Ok(config)
}

/// A table's entries in the order the file has them (by where their names are).
fn in_file_order<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(&'t Spanned<DeString<'i>>, &'t Spanned<DeValue<'i>>)> {
    let mut out: Vec<_> = table.iter().collect();
    out.sort_by_key(|(name, _)| name.span().start);
    out
}

/// One `[keys]` setting: an action of the key table and its key or keys. An error comes with
/// where it is: the name's span, or the key's (in an array written over several lines, the line
/// of the key at fault).
fn key_entry(
    config: &mut ViewerConfig,
    name: &Spanned<DeString<'_>>,
    value: &Spanned<DeValue<'_>>,
) -> Result<(), (Range<usize>, String)> {
    let at_name = |what: String| (name.span(), what);
    let name = name.get_ref().as_ref();
    let action = keys::action_named(name).ok_or_else(|| at_name(unknown_action(name)))?;
    let texts: Vec<(&str, Range<usize>)> = match value.get_ref() {
        DeValue::String(s) => vec![(s.as_ref(), value.span())],
        DeValue::Array(items) => items
            .iter()
            .map(|v| match v.get_ref() {
                DeValue::String(s) => Ok((s.as_ref(), v.span())),
                _ => Err((v.span(), format!("{name}: keys are strings"))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(at_name(format!("{name}: a key is a string (\"Q\")"))),
    };
    if texts.is_empty() {
        return Err(at_name(format!("{name}: no key given")));
    }
    let mut keys = Vec::with_capacity(texts.len());
    for (text, span) in texts {
        let key = keys::parse_key(text).map_err(|e| (span.clone(), format!("{name}: {e}")))?;
        if let Some((other, _)) = config.keys.iter().find(|(_, k)| k.contains(&key)) {
            let other = keys::ACTION_NAMES
                .iter()
                .find(|(_, a)| a == other)
                .map_or("another action", |(n, _)| n);
            return Err((span, format!("{name}: a key given to {other} too")));
        }
        keys.push(key);
    }
    config.keys.push((action, keys));
    Ok(())
}

/// What is said of a name in `[keys]` that is no action: the nearest action name when one is
/// near enough to be what was meant, else where the names are listed.
fn unknown_action(name: &str) -> String {
    match keys::nearest_action_name(name) {
        Some(near) => format!(
            "{name:?} is not an action of the key table: unknown action {name:?} (did you mean \
             {near:?}?)"
        ),
        None => format!(
            "{name:?} is not an action of the key table: unknown action {name:?} (the actions \
             are listed in docs/viewer.md, and by ? in the viewer)"
        ),
    }
}

/// One `[theme]` setting.
fn theme_entry(config: &mut ViewerConfig, name: &str, value: &str) -> Result<(), String> {
    if name == "name" {
        let (palette, no_color) = match value {
            "default" => (Palette::DEFAULT, false),
            "light" => (Palette::LIGHT, false),
            "high-contrast" => (Palette::HIGH_CONTRAST, false),
            "no-color" => (Palette::DEFAULT, true),
            _ => {
                return Err(format!(
                    "no theme {value:?} (default, light, high-contrast, no-color)"
                ));
            }
        };
        // Single colours set before the name stay set.
        let set = config.palette;
        config.palette = palette;
        config.no_color = no_color;
        merge_changed(&mut config.palette, &set);
        return Ok(());
    }
    let color: Color = value.parse().map_err(|_| {
        format!("{name}: {value:?} is not a colour (a name like \"blue\", or \"#rrggbb\")")
    })?;
    let p = &mut config.palette;
    let slot = match name {
        "accent" => &mut p.accent,
        "dim" => &mut p.dim,
        "dir" => &mut p.dir,
        "waste" => &mut p.waste,
        "bar" => &mut p.bar,
        "added" => &mut p.added,
        "modified" => &mut p.modified,
        "removed" => &mut p.removed,
        "found" => &mut p.found,
        "selection" => &mut p.selection,
        _ => {
            return Err(format!(
                "{name:?} is not a theme setting (name, accent, dim, dir, waste, bar, added, \
                 modified, removed, found, selection)"
            ));
        }
    };
    *slot = color;
    Ok(())
}

/// Keep in `palette` the colours `set` has that differ from the default palette (the user set
/// them before naming a theme).
fn merge_changed(palette: &mut Palette, set: &Palette) {
    let d = Palette::DEFAULT;
    let pick = |mine: Color, default: Color, theirs: &mut Color| {
        if mine != default {
            *theirs = mine;
        }
    };
    pick(set.accent, d.accent, &mut palette.accent);
    pick(set.dim, d.dim, &mut palette.dim);
    pick(set.dir, d.dir, &mut palette.dir);
    pick(set.waste, d.waste, &mut palette.waste);
    pick(set.bar, d.bar, &mut palette.bar);
    pick(set.added, d.added, &mut palette.added);
    pick(set.modified, d.modified, &mut palette.modified);
    pick(set.removed, d.removed, &mut palette.removed);
    pick(set.found, d.found, &mut palette.found);
    pick(set.selection, d.selection, &mut palette.selection);
}

/// The line (from 1) of byte `offset` of `text`.
fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
