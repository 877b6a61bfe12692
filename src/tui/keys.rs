//! Terminal events to actions. One table, [`BINDINGS`], both maps keys and lists them in the help
//! overlay, so the help shows exactly the keys that work. Bindings follow dive where it has one
//! (Tab, Space, Ctrl-L, Ctrl-O, Ctrl-U/A/R/M/B, Ctrl-F, Ctrl-Space; Ctrl-A in the layers pane is
//! dive's aggregated view) and vi/less otherwise.

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

use super::action::Action;
use super::stats::{ADDED, MODIFIED, REMOVED, UNCHANGED};
use super::tree_state::Mode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

pub struct Binding {
    pub screen: Screen,
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
    /// The binding's word in the key hint bar (its first key beside it), if it has a place there.
    pub hint: Option<&'static str>,
}

impl Binding {
    /// The binding, shown in the hint bar as its first key and `word`.
    const fn hint(self, word: &'static str) -> Binding {
        Binding {
            hint: Some(word),
            ..self
        }
    }
}

const fn bind(screen: Screen, keys: &'static [Key], action: Action, help: &'static str) -> Binding {
    Binding {
        screen,
        keys,
        action,
        help,
        hint: None,
    }
}

pub use super::screen::Screen;
use Screen::{Confirm, Content, Help, History, Input, Panes, Plan, Releases};

/// The digit keys, which go to the image the tab bar numbers so.
const DIGITS: &[Key] = &[
    ch('1'),
    ch('2'),
    ch('3'),
    ch('4'),
    ch('5'),
    ch('6'),
    ch('7'),
    ch('8'),
    ch('9'),
];

pub const BINDINGS: &[Binding] = &[
    bind(Panes, &[ch('q')], Action::Quit, "quit").hint("quit"),
    bind(
        Panes,
        &[ctrl('c')],
        Action::Interrupt,
        "quit at once, from any screen (exit status 130)",
    ),
    bind(
        Panes,
        &[code(KeyCode::Esc)],
        Action::Escape,
        "cancel: clear the filter (never quits)",
    ),
    bind(
        Panes,
        &[ch('?'), code(KeyCode::F(1))],
        Action::ToggleHelp,
        "this help",
    ).hint("help"),
    bind(
        Panes,
        &[code(KeyCode::Tab)],
        Action::FocusNext,
        "next pane: layers, files, details",
    ).hint("pane"),
    bind(
        Panes,
        &[code(KeyCode::BackTab)],
        Action::FocusPrev,
        "previous pane",
    ),
    bind(
        Panes,
        &[code(KeyCode::Up), ch('k')],
        Action::Up,
        "previous layer / row; scroll details up",
    ),
    bind(
        Panes,
        &[code(KeyCode::Down), ch('j')],
        Action::Down,
        "next layer / row; scroll details down",
    ),
    bind(Panes, &[code(KeyCode::PageUp)], Action::PageUp, "page up"),
    bind(
        Panes,
        &[code(KeyCode::PageDown)],
        Action::PageDown,
        "page down",
    ),
    bind(
        Panes,
        &[code(KeyCode::Home), ch('g')],
        Action::Home,
        "first layer / row",
    ),
    bind(
        Panes,
        &[code(KeyCode::End), ch('G')],
        Action::End,
        "last layer / row",
    ),
    bind(
        Panes,
        &[code(KeyCode::Enter)],
        Action::Activate,
        "open or close a directory; show a file; jump to a waste entry; layers: go to files",
    ),
    bind(
        Panes,
        &[ch(' ')],
        Action::Toggle,
        "expand or collapse the directory",
    ).hint("open"),
    bind(
        Panes,
        &[code(KeyCode::Right), ch('l')],
        Action::Right,
        "expand the directory, or step into it",
    ),
    bind(
        Panes,
        &[code(KeyCode::Left), ch('h')],
        Action::Left,
        "collapse the directory, or go to its parent",
    ),
    bind(
        Panes,
        &[ch('e')],
        Action::ExpandAll,
        "expand all directories",
    ),
    bind(
        Panes,
        &[ch('c')],
        Action::CollapseAll,
        "collapse all directories",
    ),
    bind(
        Panes,
        &[ctrl(' ')],
        Action::ToggleCollapseAll,
        "collapse all directories, or expand them all again (as dive)",
    ),
    bind(
        Panes,
        &[ch('m')],
        Action::ToggleMode,
        "files: aggregated up to the layer, or this layer's changes only",
    ).hint("layer changes"),
    bind(
        Panes,
        &[ctrl('l')],
        Action::SetMode(Mode::Changes),
        "files: this layer's changes only (as dive)",
    ),
    bind(
        Panes,
        &[ch('s'), ctrl('o')],
        Action::ToggleSort,
        "sort by size (largest first) or by name",
    ),
    bind(
        Panes,
        &[ch('U'), ctrl('u')],
        Action::ToggleHidden(UNCHANGED),
        "hide or show unchanged entries",
    ),
    bind(
        Panes,
        &[ch('A')],
        Action::ToggleHidden(ADDED),
        "hide or show added entries",
    ),
    bind(
        Panes,
        &[ctrl('a')],
        Action::AddedOrAggregated,
        "as dive: in the layers pane, files aggregated up to the layer; elsewhere, hide or show added entries",
    ),
    bind(
        Panes,
        // Most terminals send Ctrl-M as Enter: it works only where the terminal tells them apart.
        &[ch('M'), ctrl('m')],
        Action::ToggleHidden(MODIFIED),
        "hide or show modified entries (Ctrl-M only where the terminal tells it from Enter)",
    ),
    bind(
        Panes,
        &[ch('R'), ctrl('r')],
        Action::ToggleHidden(REMOVED),
        "hide or show removed entries",
    ),
    bind(
        Panes,
        &[ctrl('b')],
        Action::ToggleAttributes,
        "show or hide the files' permissions and owners (as dive)",
    ),
    bind(
        Panes,
        &[ch('f'), ctrl('f')],
        Action::OpenFilter,
        "filter paths (substring; Ctrl-R there for a regex)",
    ).hint("filter"),
    bind(
        Panes,
        &[ch('/')],
        Action::OpenSearch,
        "search names in the whole tree (a match in a closed directory opens it)",
    ).hint("search"),
    bind(Panes, &[ch('n')], Action::SearchNext, "next search match"),
    bind(
        Panes,
        &[ch('N')],
        Action::SearchPrev,
        "previous search match",
    ),
    bind(
        Panes,
        &[ch('b')],
        Action::NextBiggest,
        "jump to the next biggest file",
    ).hint("biggest"),
    bind(
        Panes,
        &[ch('B')],
        Action::PrevBiggest,
        "jump back to the previous biggest file",
    ),
    bind(
        Panes,
        &[ch('w')],
        Action::ToggleWaste,
        "waste view: reclaimable paths, duplicate content",
    ).hint("waste"),
    bind(
        Panes,
        &[ch('d')],
        Action::ToggleChangedOnly,
        "diff: show only what changed against the old image, or everything",
    ),
    bind(
        Panes,
        &[ch('o')],
        Action::ToggleRemoved,
        "diff: what only the old image has (Enter: the nearest path here)",
    ),
    bind(
        Panes,
        &[ch('v')],
        Action::ViewFile,
        "show the selected file's contents as of the selected layer",
    ).hint("view"),
    bind(
        Panes,
        &[ch('x')],
        Action::ExportFile,
        "export the selected file (asks where)",
    ).hint("export"),
    bind(
        Panes,
        &[ch('y')],
        Action::CopyPath,
        "copy the selected path to the terminal's clipboard (OSC 52)",
    ),
    bind(
        Panes,
        &[ch('Y')],
        Action::CopyDigest,
        "copy the selected layer's digest to the clipboard",
    ),
    bind(Panes, &[ch(']')], Action::NextImage, "next image"),
    bind(Panes, DIGITS, Action::GoToImage(0), "image 1 to 9, as the tabs number them"),
    bind(Panes, &[ch('[')], Action::PrevImage, "previous image"),
    bind(
        Panes,
        &[ch('E')],
        Action::CycleClosure,
        "the entrypoint's closure only, then everything else, then all files",
    ),
    bind(
        Panes,
        &[ch('S')],
        Action::ToggleSharing,
        "trim plan, and sharing across the images",
    ).hint("plan"),
    bind(
        Panes,
        &[ctrl('z')],
        Action::Suspend,
        "suspend to the shell (fg resumes)",
    ),
    bind(
        Input,
        &[code(KeyCode::Enter)],
        Action::InputAccept,
        "apply (a regex applies here)",
    ).hint("apply"),
    bind(
        Input,
        &[code(KeyCode::Esc)],
        Action::Escape,
        "cancel: restore the filter or position",
    ).hint("cancel"),
    bind(
        Input,
        &[code(KeyCode::Backspace)],
        Action::InputBackspace,
        "delete a character",
    ),
    bind(Input, &[ctrl('u')], Action::InputClear, "clear the line").hint("clear"),
    bind(
        Input,
        &[ctrl('r')],
        Action::InputToggleRegex,
        "filter: substring or regex",
    ).hint("regex"),
    bind(Input, &[ctrl('z')], Action::Suspend, "suspend to the shell"),
    bind(
        Confirm,
        &[ch('y'), ch('Y')],
        Action::ConfirmYes,
        "overwrite the existing file",
    )
    .hint("overwrite"),
    bind(
        Confirm,
        &[ch('n'), ch('N'), code(KeyCode::Enter), code(KeyCode::Esc)],
        Action::Escape,
        "keep it, export nothing (any other key too)",
    )
    .hint("keep"),
    bind(
        Content,
        &[code(KeyCode::Esc), ch('q')],
        Action::Escape,
        "close the file",
    ).hint("close"),
    bind(Content, &[ch('v')], Action::ViewFile, "close the file (the key that opened it)"),
    bind(
        Content,
        &[code(KeyCode::Up), ch('k')],
        Action::Up,
        "scroll up",
    ),
    bind(
        Content,
        &[code(KeyCode::Down), ch('j')],
        Action::Down,
        "scroll down",
    ),
    bind(Content, &[code(KeyCode::PageUp)], Action::PageUp, "page up"),
    bind(
        Content,
        &[code(KeyCode::PageDown), ch(' ')],
        Action::PageDown,
        "page down",
    ),
    bind(
        Content,
        &[code(KeyCode::Home), ch('g')],
        Action::Home,
        "top",
    ),
    bind(
        Content,
        &[code(KeyCode::End), ch('G')],
        Action::End,
        "bottom",
    ),
    bind(
        Content,
        &[code(KeyCode::Left), ch('h')],
        Action::Left,
        "scroll left",
    ),
    bind(
        Content,
        &[code(KeyCode::Right), ch('l')],
        Action::Right,
        "scroll right (long lines, not wrapped)",
    ),
    bind(
        Content,
        &[ch('w')],
        Action::ToggleWrap,
        "wrap long lines, or scroll them sideways",
    ).hint("wrap"),
    bind(Content, &[ch('H')], Action::ToggleHex, "hex dump or text").hint("hex"),
    bind(
        Content,
        &[ch('x')],
        Action::ExportFile,
        "export the file (asks where)",
    ).hint("export"),
    bind(
        Content,
        &[ch('?'), code(KeyCode::F(1))],
        Action::ToggleHelp,
        "this help",
    ).hint("help"),
    bind(
        Content,
        &[ctrl('z')],
        Action::Suspend,
        "suspend to the shell",
    ),
    bind(
        Plan,
        &[code(KeyCode::Esc)],
        Action::Escape,
        "back to the image",
    ).hint("back"),
    bind(
        Plan,
        &[ch('S')],
        Action::ToggleSharing,
        "back to the image (the key that opened the plan)",
    ),
    bind(
        Plan,
        &[code(KeyCode::Up), ch('k')],
        Action::Up,
        "previous row",
    ),
    bind(
        Plan,
        &[code(KeyCode::Down), ch('j')],
        Action::Down,
        "next row",
    ),
    bind(Plan, &[code(KeyCode::PageUp)], Action::PageUp, "page up"),
    bind(
        Plan,
        &[code(KeyCode::PageDown)],
        Action::PageDown,
        "page down",
    ),
    bind(
        Plan,
        &[code(KeyCode::Home), ch('g')],
        Action::Home,
        "first row",
    ),
    bind(
        Plan,
        &[code(KeyCode::End), ch('G')],
        Action::End,
        "last row",
    ),
    bind(
        Plan,
        &[code(KeyCode::Enter)],
        Action::Activate,
        "open the image (a layer row: that layer; a plan row: its largest file; a package row: its files)",
    ).hint("open"),
    bind(
        Plan,
        &[ch('s')],
        Action::SharingSort,
        "sort the images: as given, unique (marginal cost), amortized, size",
    ).hint("sort images"),
    bind(
        Plan,
        &[ch('p')],
        Action::PackageSort,
        "sort the packages: bytes, trim candidates, reclaimable, name",
    ).hint("sort packages"),
    bind(Plan, &[ch(']')], Action::NextImage, "next image's view"),
    bind(Plan, DIGITS, Action::GoToImage(0), "image 1 to 9, as the tabs number them"),
    bind(
        Plan,
        &[ch('[')],
        Action::PrevImage,
        "previous image's view",
    ),
    bind(
        Plan,
        &[ch('?'), code(KeyCode::F(1))],
        Action::ToggleHelp,
        "this help",
    ).hint("help"),
    bind(Plan, &[ch('q')], Action::Quit, "quit").hint("quit"),
    bind(
        Plan,
        &[code(KeyCode::Tab)],
        Action::FocusNext,
        "next section: the plan, packages, images, layers, sharing",
    ).hint("section"),
    bind(
        Plan,
        &[code(KeyCode::BackTab)],
        Action::FocusPrev,
        "previous section",
    ),
    bind(
        Plan,
        &[ch('J')],
        Action::DetailsDown,
        "scroll the selected row's details (the footer) down",
    ),
    bind(
        Plan,
        &[ch('K')],
        Action::DetailsUp,
        "scroll the selected row's details up",
    ),
    bind(
        Plan,
        &[ctrl('z')],
        Action::Suspend,
        "suspend to the shell",
    ),
    bind(
        Help,
        &[code(KeyCode::Esc), ch('q')],
        Action::Escape,
        "close the help",
    ).hint("close"),
    bind(
        Help,
        &[ch('?'), code(KeyCode::F(1))],
        Action::ToggleHelp,
        "close the help (the key that opened it)",
    ),
    bind(Help, &[code(KeyCode::Up), ch('k')], Action::Up, "scroll up"),
    bind(
        Help,
        &[code(KeyCode::Down), ch('j')],
        Action::Down,
        "scroll down",
    ).hint("scroll"),
    bind(Help, &[code(KeyCode::PageUp)], Action::PageUp, "page up"),
    bind(Help, &[code(KeyCode::Home), ch('g')], Action::Home, "top"),
    bind(Help, &[code(KeyCode::End), ch('G')], Action::End, "bottom"),
    bind(
        Help,
        &[code(KeyCode::PageDown), ch(' ')],
        Action::PageDown,
        "page down",
    ).hint("page"),
    bind(Help, &[ctrl('z')], Action::Suspend, "suspend to the shell"),
    bind(History, &[ch('q'), code(KeyCode::Esc)], Action::Quit, "quit").hint("quit"),
    bind(
        History,
        &[code(KeyCode::Up), ch('k')],
        Action::Up,
        "the previous (older) point",
    ).hint("pick"),
    bind(
        History,
        &[code(KeyCode::Down), ch('j')],
        Action::Down,
        "the next (newer) point",
    ),
    bind(History, &[code(KeyCode::PageUp)], Action::PageUp, "ten points back"),
    bind(
        History,
        &[code(KeyCode::PageDown)],
        Action::PageDown,
        "ten points on",
    ),
    bind(
        History,
        &[code(KeyCode::Home), ch('g')],
        Action::Home,
        "the first point",
    ),
    bind(
        History,
        &[code(KeyCode::End), ch('G')],
        Action::End,
        "the latest point",
    ),
    bind(
        History,
        &[ch('?'), code(KeyCode::F(1))],
        Action::ToggleHelp,
        "this help",
    ).hint("help"),
    bind(Releases, &[ch('q'), code(KeyCode::Esc)], Action::Quit, "quit").hint("quit"),
    bind(
        Releases,
        &[code(KeyCode::Up), ch('k'), code(KeyCode::Left), ch('h')],
        Action::Up,
        "the release before",
    ).hint("pick"),
    bind(
        Releases,
        &[code(KeyCode::Down), ch('j'), code(KeyCode::Right), ch('l')],
        Action::Down,
        "the release after",
    ),
    bind(Releases, &[code(KeyCode::PageUp)], Action::PageUp, "ten releases back"),
    bind(
        Releases,
        &[code(KeyCode::PageDown)],
        Action::PageDown,
        "ten releases on",
    ),
    bind(
        Releases,
        &[code(KeyCode::Home), ch('g')],
        Action::Home,
        "the first release",
    ),
    bind(
        Releases,
        &[code(KeyCode::End), ch('G')],
        Action::End,
        "the last release",
    ),
    bind(
        Releases,
        &[ch('?'), code(KeyCode::F(1))],
        Action::ToggleHelp,
        "this help",
    ).hint("help"),
];

/// The key hint bar's entries for `screen` with the default keys (see [`KeyTable::hints`]).
pub fn hints(screen: Screen) -> Vec<(String, &'static str)> {
    DEFAULT.hints(screen)
}

/// Each action of the panes by the name a config file gives it (`[keys] quit = "Q"`). A test
/// checks that every binding of the panes has one.
pub const ACTION_NAMES: &[(&str, Action)] = &[
    ("quit", Action::Quit),
    ("interrupt", Action::Interrupt),
    ("cancel", Action::Escape),
    ("help", Action::ToggleHelp),
    ("next_pane", Action::FocusNext),
    ("previous_pane", Action::FocusPrev),
    ("up", Action::Up),
    ("down", Action::Down),
    ("page_up", Action::PageUp),
    ("page_down", Action::PageDown),
    ("first", Action::Home),
    ("last", Action::End),
    ("open", Action::Activate),
    ("toggle", Action::Toggle),
    ("expand", Action::Right),
    ("collapse", Action::Left),
    ("expand_all", Action::ExpandAll),
    ("collapse_all", Action::CollapseAll),
    ("toggle_collapse_all", Action::ToggleCollapseAll),
    ("toggle_mode", Action::ToggleMode),
    ("layer_changes", Action::SetMode(Mode::Changes)),
    ("sort", Action::ToggleSort),
    ("hide_unchanged", Action::ToggleHidden(UNCHANGED)),
    ("hide_added", Action::ToggleHidden(ADDED)),
    ("added_or_aggregated", Action::AddedOrAggregated),
    ("hide_modified", Action::ToggleHidden(MODIFIED)),
    ("hide_removed", Action::ToggleHidden(REMOVED)),
    ("attributes", Action::ToggleAttributes),
    ("filter", Action::OpenFilter),
    ("search", Action::OpenSearch),
    ("search_next", Action::SearchNext),
    ("search_previous", Action::SearchPrev),
    ("next_biggest", Action::NextBiggest),
    ("previous_biggest", Action::PrevBiggest),
    ("waste", Action::ToggleWaste),
    ("changed_only", Action::ToggleChangedOnly),
    ("removed", Action::ToggleRemoved),
    ("view", Action::ViewFile),
    ("export", Action::ExportFile),
    ("copy_path", Action::CopyPath),
    ("copy_digest", Action::CopyDigest),
    ("next_image", Action::NextImage),
    ("previous_image", Action::PrevImage),
    ("go_to_image", Action::GoToImage(0)),
    ("closure", Action::CycleClosure),
    ("plan", Action::ToggleSharing),
    ("sort_images", Action::SharingSort),
    ("sort_packages", Action::PackageSort),
    ("details_down", Action::DetailsDown),
    ("details_up", Action::DetailsUp),
    ("suspend", Action::Suspend),
];

/// The action a config file names, if it is one.
pub fn action_named(name: &str) -> Option<Action> {
    ACTION_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| *a)
}

/// The action name nearest to a misspelt `name` (`qiut`: `quit`), if one is near enough to be
/// what was meant: at most a third of its letters apart.
pub fn nearest_action_name(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase().replace('-', "_");
    ACTION_NAMES
        .iter()
        .map(|(n, _)| (strsim::damerau_levenshtein(&name, n), *n))
        .filter(|(d, n)| *d <= n.len().max(name.len()).div_ceil(3))
        .min()
        .map(|(_, n)| n)
}

/// A key as a config file writes it: one character (`Q`, `/`), `Ctrl-X` (or `C-x`), or a name —
/// `Space`, `Enter`, `Esc`, `Tab`, `Shift-Tab`, `Backspace`, `Up`, `Down`, `Left`, `Right`,
/// `PgUp`, `PgDn`, `Home`, `End`, `F1`…`F12`.
pub fn parse_key(text: &str) -> Result<Key, String> {
    let ctrl_part = ["Ctrl-", "ctrl-", "CTRL-", "C-"]
        .iter()
        .find_map(|p| text.strip_prefix(p));
    if let Some(rest) = ctrl_part {
        let mut chars = rest.chars();
        return match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => Ok(ctrl(c.to_ascii_lowercase())),
            _ if rest.eq_ignore_ascii_case("space") => Ok(ctrl(' ')),
            _ => Err(format!(
                "{text:?} is not a key: Ctrl- goes with a letter or Space"
            )),
        };
    }
    let mut chars = text.chars();
    // One character is that key; the arrows as the help writes them are the arrow keys.
    if let (Some(c), None) = (chars.next(), chars.clone().next())
        && !c.is_control()
        && !matches!(c, '↑' | '↓' | '←' | '→')
    {
        return Ok(ch(c));
    }
    let named = match text.to_ascii_lowercase().as_str() {
        "space" => KeyCode::Char(' '),
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "shift-tab" | "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "up" | "↑" => KeyCode::Up,
        "down" | "↓" => KeyCode::Down,
        "left" | "←" => KeyCode::Left,
        "right" | "→" => KeyCode::Right,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        f if f.starts_with('f') && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) => {
            KeyCode::F(f[1..].parse().unwrap_or(1))
        }
        _ => {
            return Err(format!(
                "{text:?} is not a key (one character, Ctrl-X, Space, Enter, Esc, Tab, Up, PgDn, \
                 Home, F1…)"
            ));
        }
    };
    Ok(code(named))
}

/// One binding of the key table in effect.
#[derive(Debug, Clone)]
pub struct Entry {
    pub screen: Screen,
    pub keys: Vec<Key>,
    pub action: Action,
    pub help: &'static str,
    pub hint: Option<&'static str>,
}

/// The key table in effect: [`BINDINGS`], with the keys a config file gives actions of the panes.
/// Such an action has exactly those keys in the panes, and no other binding of the panes keeps
/// them. Maps keys, and lists them for the help and the hint bar.
#[derive(Debug, Clone)]
pub struct KeyTable {
    entries: Vec<Entry>,
}

static DEFAULT: std::sync::LazyLock<KeyTable> = std::sync::LazyLock::new(KeyTable::default);

impl Default for KeyTable {
    fn default() -> KeyTable {
        KeyTable {
            entries: BINDINGS
                .iter()
                .map(|b| Entry {
                    screen: b.screen,
                    keys: b.keys.to_vec(),
                    action: b.action,
                    help: b.help,
                    hint: b.hint,
                })
                .collect(),
        }
    }
}

impl KeyTable {
    /// The default table with `keys` for these actions: in every view where an action is bound
    /// (the panes, the plan, the content view, the help, the history chart), it has exactly those
    /// keys, and no other binding of that view keeps them.
    pub fn with_keys(remap: &[(Action, Vec<Key>)]) -> KeyTable {
        let mut table = KeyTable::default();
        for (action, keys) in remap {
            let screens: Vec<Screen> = table
                .entries
                .iter()
                .filter(|e| e.action == *action)
                .map(|e| e.screen)
                .collect();
            for e in table
                .entries
                .iter_mut()
                .filter(|e| screens.contains(&e.screen))
            {
                if e.action == *action {
                    e.keys = keys.clone();
                } else {
                    e.keys.retain(|k| !keys.contains(k));
                }
            }
        }
        table
    }

    /// How the help writes the first key of `action` in `screen` (`q` for quit, or the user's
    /// key), for hints written in prose; `?` when it has no key there.
    pub fn key_for(&self, screen: Screen, action: Action) -> String {
        self.entries
            .iter()
            .find(|e| e.screen == screen && e.action == action)
            .and_then(|e| e.keys.first())
            .map_or_else(|| "?".to_string(), label)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The key hint bar's entries for `screen`, in the table's order: each binding's first key
    /// as the help writes it, and its hint word.
    pub fn hints(&self, screen: Screen) -> Vec<(String, &'static str)> {
        self.entries
            .iter()
            .filter(|e| e.screen == screen)
            .filter_map(|e| Some((label(e.keys.first()?), e.hint?)))
            .collect()
    }

    /// The action for a terminal event, if any.
    pub fn map_event(&self, event: &Event, screen: Screen) -> Option<Action> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.map_key(key, screen),
            Event::Mouse(m) => match m.kind {
                MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
                    column: m.column,
                    row: m.row,
                }),
                MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => Some(Action::Scroll {
                    column: m.column,
                    row: m.row,
                    down: m.kind == MouseEventKind::ScrollDown,
                }),
                _ => None,
            },
            Event::Resize(width, height) => Some(Action::Resize {
                width: *width,
                height: *height,
            }),
            _ => None,
        }
    }

    pub fn map_key(&self, key: &KeyEvent, screen: Screen) -> Option<Action> {
        if key
            .modifiers
            .intersects(KeyModifiers::ALT | KeyModifiers::SUPER)
        {
            return None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let pressed = Key {
            code: if ctrl { normalize(key.code) } else { key.code },
            ctrl,
        };
        let bound = self
            .entries
            .iter()
            .find(|e| e.screen == screen && e.keys.contains(&pressed))
            .map(|e| match (e.action, pressed.code) {
                // A digit goes to the image it numbers.
                (Action::GoToImage(_), KeyCode::Char(d @ '1'..='9')) => {
                    Action::GoToImage(d as u8 - b'1')
                }
                (action, _) => action,
            });
        if bound.is_some() {
            return bound;
        }
        match (screen, key.code) {
            // Ctrl-C ends the program from any view, unless the user gave it to an action.
            (_, KeyCode::Char('c')) if ctrl => Some(Action::Interrupt),
            (Input, KeyCode::Char(c)) if !ctrl => Some(Action::InputChar(c)),
            // Overwrite? Only y says yes.
            (Confirm, _) => Some(Action::Escape),
            _ => None,
        }
    }
}

/// The key table of docs/viewer.md: every binding of the panes, the content view, the plan and
/// sharing view and the input line, one row each, under a row naming where they apply. docs/viewer.md
/// holds this text between two markers; a test keeps it equal (and writes it with
/// `IMGSCOPE_WRITE_VIEWER_DOC=1`).
pub fn markdown_table() -> String {
    let sections = [
        (Panes, "the panes"),
        (Content, "the file contents (`v`)"),
        (Plan, "the plan and sharing view (`S`)"),
        (Input, "the filter, search and export line"),
        (Confirm, "the question whether an export overwrites a file"),
        (History, "the history chart (`imgscope history NAME`)"),
        (Releases, "the release view (`imgscope releases IMAGE…`)"),
    ];
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out = String::from("| keys | what |\n|---|---|\n");
    for (screen, title) in sections {
        out.push_str(&format!("| **in {title}** | |\n"));
        for b in BINDINGS.iter().filter(|b| b.screen == screen) {
            let keys: Vec<String> = b
                .keys
                .iter()
                .map(|k| format!("`{}`", cell(&label(k))))
                .collect();
            out.push_str(&format!("| {} | {} |\n", keys.join(" "), cell(b.help)));
        }
    }
    out
}

/// The action for a terminal event with the default keys (see [`KeyTable::map_event`]).
pub fn map_event(event: &Event, screen: Screen) -> Option<Action> {
    DEFAULT.map_event(event, screen)
}

/// The action for a key with the default keys (see [`KeyTable::map_key`]).
pub fn map_key(key: &KeyEvent, screen: Screen) -> Option<Action> {
    DEFAULT.map_key(key, screen)
}

/// Terminals differ in how they report a few control keys; bring them to one form.
fn normalize(code: KeyCode) -> KeyCode {
    match code {
        // Ctrl-Space arrives as NUL, which some terminals (and crossterm) report as Ctrl-@.
        KeyCode::Char('@') => KeyCode::Char(' '),
        other => other,
    }
}

/// How a key is written in the help.
pub fn label(key: &Key) -> String {
    let base = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::Backspace => "Backspace".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if key.ctrl {
        let base = if base.chars().count() == 1 {
            base.to_uppercase()
        } else {
            base
        };
        format!("Ctrl-{base}")
    } else {
        base
    }
}
