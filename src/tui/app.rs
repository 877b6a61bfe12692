//! The viewer's whole state: one slot per image on the command line (loading, failed or ready) —
//! or, for `imgscope diff OLD NEW`, one slot for NEW and where OLD comes from — which image and
//! pane have focus, what the right pane shows, the open help overlay, input line or file content
//! view, the sharing view over all images, the content reads and exports in flight, the status
//! message and the terminal size. It changes only through `App::update`
//! (see `action.rs`), so it can be driven and inspected without a terminal.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, channel};
use std::time::Instant;

use super::content::{ContentView, Jobs};
use super::plan_state::PlanState;
use super::screen::Screen;
use super::viewer::Viewer;
use crate::pipeline::content::FileLocation;
use crate::pipeline::load::{Loaded, Progress};
use crate::source::ImageBlobs;

/// What a loader sends back for one image: the viewer over it (built on the loader's thread, as
/// its first layer pass is O(nodes)), or the error as one line.
pub type Outcome = Result<Box<Viewer>, String>;

pub enum Slot {
    Loading {
        progress: Arc<Progress>,
        started: Instant,
    },
    Failed {
        error: String,
    },
    Ready(Box<Viewer>),
}

pub struct ImageSlot {
    /// The image as given on the command line.
    pub input: String,
    pub state: Slot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Layers,
    /// The right pane: the file tree or the waste view.
    Right,
    Details,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RightPane {
    Tree,
    Waste,
    /// A diff's entries only the old image has.
    Removed,
}

/// What fills the screen below the tab bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The current image's panes.
    Image,
    /// The sharing analysis across every loaded image.
    Sharing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Search,
    /// The destination of a file export.
    Export,
    /// The export's destination exists: overwrite it? (y/N; the text is the destination shown.)
    Overwrite,
}

/// The file an export line is asking a destination for.
pub struct ExportTarget {
    pub blobs: Arc<ImageBlobs>,
    pub at: FileLocation,
    /// Permission bits to give the copy.
    pub mode: u32,
    /// The file's name, for a destination that is a directory.
    pub name: String,
    /// The path as selected, escaped, for notes.
    pub shown: String,
    /// The destination asked about, when it exists and the user is asked to overwrite it.
    pub existing: Option<std::path::PathBuf>,
}

/// `imgscope diff OLD NEW`: the viewer's one image is NEW, compared with OLD.
#[derive(Clone)]
pub struct DiffOrigin {
    /// OLD as given on the command line.
    pub old: String,
    /// OLD's load progress (NEW's is its slot's).
    pub progress: Arc<Progress>,
    /// Set by the loader once OLD has loaded: NEW loads after it.
    pub loaded: Arc<AtomicBool>,
}

impl DiffOrigin {
    pub fn new(old: String) -> DiffOrigin {
        DiffOrigin {
            old,
            progress: Arc::default(),
            loaded: Arc::default(),
        }
    }
}

/// The line being edited in the status bar.
#[derive(Debug, Clone)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
    /// Filter only: the text is a regex.
    pub regex: bool,
    /// Why the text cannot be applied (an invalid regex).
    pub error: Option<String>,
    /// Search: the row the search started from; Esc returns to it.
    pub origin: usize,
    /// Filter: the filter before editing; Esc restores it.
    pub previous: (String, bool),
}

/// The trim plan's word on the current image, as the pinned summary shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanHeadline {
    /// The plan waits for every image to load.
    Pending,
    /// The image's layers were not read: no plan for it.
    LayersOnly,
    /// No action touches the image.
    Nothing,
    /// What the actions touching the image save a node: its own layers' first, the safe ones
    /// leading so that a risky action does not headline; then what the actions on the layers it
    /// inherits save once per node for every image using them.
    Saving(ImageSaving),
}

/// What the plan's actions touching one image save a node, each file counted once: those on its
/// own layers (an action's `owner` is the image), apart from those on layers it inherits from a
/// base or shares with other images, so that an image on a fat base is not read as holding the
/// base's savings itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSaving {
    /// The safe actions on its own layers together.
    pub safe: u64,
    /// Every action on its own layers together (a slim image's copied-back bytes taken off).
    pub all: u64,
    /// Shares of the node cost.
    pub safe_share: f64,
    pub all_share: f64,
    /// Whether a safe action, and whether any action, on its own layers is worth it.
    pub safe_worth_it: bool,
    pub worth_it: bool,
    /// The actions on the layers it inherits, when there are any.
    pub inherited: Option<InheritedSaving>,
}

/// What the actions on the layers an image inherits save, once per node for every image using
/// those layers.
#[derive(Debug, Clone, PartialEq)]
pub struct InheritedSaving {
    /// Every such action together, each file counted once.
    pub bytes: u64,
    /// Share of the node cost.
    pub share: f64,
    /// Whether any of them is worth it.
    pub worth_it: bool,
    /// The name of the image all of them belong to (the base), escaped; `None` when they belong
    /// to more than one image, or to layers shared by images none of which is the others' base.
    pub base: Option<String>,
}

impl ImageSaving {
    /// Image `i`'s savings in `plan`, the set's images named by `names` (by index, as the plan
    /// counts them); `None` when no action touches it.
    pub fn of(
        plan: &crate::analysis::plan::Plan,
        i: usize,
        names: &[String],
    ) -> Option<ImageSaving> {
        use crate::analysis::plan::{Action, Claim, Detail, Risk};
        use std::collections::HashSet;
        let (own, inherited): (Vec<&Action>, Vec<&Action>) =
            plan.for_image(i).partition(|a| a.owner == Some(i));
        if own.is_empty() && inherited.is_empty() {
            return None;
        }
        // What `actions` up to `risk` save together, each file once.
        let once = |actions: &[&Action], risk: Risk| -> u64 {
            let mut seen: HashSet<Claim> = HashSet::new();
            actions
                .iter()
                .filter(|a| a.risk <= risk)
                .flat_map(|a| a.claims.iter())
                .filter(|(c, _)| seen.insert(*c))
                .map(|(_, b)| b)
                .sum()
        };
        // What slim images copy back from shared layers.
        let readd = |actions: &[&Action]| -> u64 {
            actions
                .iter()
                .map(|a| match &a.detail {
                    Detail::Slim { readd_bytes, .. } => *readd_bytes,
                    _ => 0,
                })
                .sum()
        };
        let share = |b: u64| {
            if plan.node_cost == 0 {
                0.0
            } else {
                b as f64 / plan.node_cost as f64
            }
        };
        let safe = once(&own, Risk::Safe);
        let all = once(&own, Risk::Risky)
            .saturating_sub(readd(&own))
            .max(safe);
        let inherited = (!inherited.is_empty()).then(|| {
            let bytes = once(&inherited, Risk::Risky).saturating_sub(readd(&inherited));
            let owner = inherited[0].owner;
            let base = owner
                .filter(|_| inherited.iter().all(|a| a.owner == owner))
                .map(|o| {
                    crate::text::escape_control(names.get(o).map_or("?", String::as_str))
                        .into_owned()
                });
            InheritedSaving {
                bytes,
                share: share(bytes),
                worth_it: inherited.iter().any(|a| a.worth_it),
                base,
            }
        });
        Some(ImageSaving {
            safe,
            all,
            safe_share: share(safe),
            all_share: share(all),
            safe_worth_it: own.iter().any(|a| a.worth_it && a.risk == Risk::Safe),
            worth_it: own.iter().any(|a| a.worth_it),
            inherited,
        })
    }
}

pub struct App {
    pub images: Vec<ImageSlot>,
    /// Set for `imgscope diff`: the one image is NEW, marked against this OLD.
    pub diff: Option<DiffOrigin>,
    pub current: usize,
    pub focus: Pane,
    /// The last pane other than Details: what the details pane describes.
    pub subject: Pane,
    pub right: RightPane,
    /// The help overlay, with its scroll offset.
    pub help: Option<u16>,
    /// How far the help scrolls, as last drawn (its lines less the rows it has).
    pub help_max: std::cell::Cell<u16>,
    pub input: Option<Input>,
    /// A one-line note in the status bar, cleared by the next key.
    pub message: Option<String>,
    pub view: View,
    /// The file content view, over the current image's panes.
    pub content: Option<ContentView>,
    /// The plan-and-sharing analysis, once every image has loaded (one image is a set of one).
    pub sharing: Option<PlanState>,
    /// When a plan action is worth it (`--worth`).
    pub worth: crate::analysis::plan::Worth,
    /// Content reads and exports in flight.
    pub jobs: Jobs,
    /// What the open export line will write.
    pub export: Option<ExportTarget>,
    pub width: u16,
    pub height: u16,
    pub color: bool,
    /// The colours (the user's theme, or the default).
    pub palette: super::theme::Palette,
    /// The keys in effect (the user's, or the default).
    pub keys: super::keys::KeyTable,
    /// Whether `y` and `Y` may copy to the terminal's clipboard (OSC 52): off with
    /// `--no-clipboard` or when stdout is not a terminal.
    pub clipboard: bool,
    /// Text `y` or `Y` asked to copy, for the terminal loop to send (escaped already).
    pub to_copy: Option<String>,
    /// The time of the last tick, for load rates.
    pub now: Instant,
    inbox: Option<Receiver<(usize, Outcome)>>,
    pub(super) quit: bool,
    /// Quit by Ctrl-C: the program exits with status 130, as other terminal programs do.
    pub(super) interrupted: bool,
}

impl App {
    /// An app whose images arrive later through `inbox`, each loading with its `progress`.
    pub fn new(
        inputs: Vec<String>,
        progress: Vec<Arc<Progress>>,
        inbox: Receiver<(usize, Outcome)>,
        color: bool,
        now: Instant,
    ) -> App {
        let images = inputs
            .into_iter()
            .zip(progress)
            .map(|(input, progress)| ImageSlot {
                input,
                state: Slot::Loading {
                    progress,
                    started: now,
                },
            })
            .collect();
        App {
            images,
            diff: None,
            current: 0,
            focus: Pane::Layers,
            subject: Pane::Layers,
            right: RightPane::Tree,
            help: None,
            help_max: std::cell::Cell::new(u16::MAX),
            input: None,
            message: None,
            view: View::Image,
            content: None,
            sharing: None,
            worth: crate::analysis::plan::Worth::default(),
            jobs: Jobs::default(),
            export: None,
            width: 80,
            height: 24,
            color,
            palette: super::theme::Palette::DEFAULT,
            keys: super::keys::KeyTable::default(),
            clipboard: true,
            to_copy: None,
            now,
            inbox: Some(inbox),
            quit: false,
            interrupted: false,
        }
    }

    /// An app over images already loaded (or failed), as tests and screenshots use it.
    pub fn with_results(images: Vec<(String, Result<Loaded, String>)>, color: bool) -> App {
        let (tx, rx) = channel();
        let now = Instant::now();
        let mut inputs = Vec::new();
        for (i, (input, result)) in images.into_iter().enumerate() {
            inputs.push(input);
            // The receiver is alive: sending cannot fail.
            let _ = tx.send((i, result.map(|l| Box::new(Viewer::new(l)))));
        }
        let progress = inputs.iter().map(|_| Arc::default()).collect();
        let mut app = App::new(inputs, progress, rx, color, now);
        app.update(super::action::Action::Tick(now));
        app
    }

    /// The viewer of `imgscope diff`: NEW, loading with `progress` after `origin`'s OLD, arriving
    /// through `inbox` as image 0.
    pub fn new_diff(
        origin: DiffOrigin,
        new: String,
        progress: Arc<Progress>,
        inbox: Receiver<(usize, Outcome)>,
        color: bool,
        now: Instant,
    ) -> App {
        let mut app = App::new(vec![new], vec![progress], inbox, color, now);
        app.diff = Some(origin);
        app
    }

    /// A diff's viewer over two images already loaded (or a failure), as tests use it.
    pub fn with_diff(
        old: String,
        new: String,
        result: Result<(Loaded, Loaded), String>,
        color: bool,
    ) -> App {
        let (tx, rx) = channel();
        let now = Instant::now();
        let outcome = result.map(|(o, n)| Box::new(Viewer::compare(&old, &o, n)));
        // The receiver is alive: sending cannot fail.
        let _ = tx.send((0, outcome));
        let mut app = App::new_diff(DiffOrigin::new(old), new, Arc::default(), rx, color, now);
        app.update(super::action::Action::Tick(now));
        app
    }

    /// Take the user's keys and colours (config.toml).
    pub fn configure(&mut self, config: &super::config_file::ViewerConfig) {
        self.keys = super::keys::KeyTable::with_keys(&config.keys);
        self.palette = config.palette;
        if config.no_color {
            self.color = false;
        }
    }

    /// Whether a bar is drawn above the panes: the tabs (several images) or a diff's header.
    pub fn has_top_bar(&self) -> bool {
        self.images.len() > 1 || self.diff.is_some()
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// Whether the user quit with Ctrl-C (exit status 130).
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// The screen on top, which takes the keys: the help over anything, then the overwrite
    /// question or the input line, then the content view, then the plan or the panes.
    pub fn screen(&self) -> Screen {
        match (&self.help, &self.input, &self.content, self.view) {
            (Some(_), ..) => Screen::Help,
            (None, Some(input), ..) if input.kind == InputKind::Overwrite => Screen::Confirm,
            (None, Some(_), ..) => Screen::Input,
            (None, None, Some(_), _) => Screen::Content,
            (None, None, None, View::Sharing) => Screen::Plan,
            (None, None, None, View::Image) => Screen::Panes,
        }
    }

    /// Whether some image is still loading (the UI then ticks to show progress).
    /// Every image's load failed (none is left to view).
    pub fn all_failed(&self) -> bool {
        !self.images.is_empty()
            && self
                .images
                .iter()
                .all(|s| matches!(s.state, Slot::Failed { .. }))
    }

    /// The errors of the images that failed to load, one line each, named by their input.
    pub fn failures(&self) -> Vec<String> {
        self.images
            .iter()
            .filter_map(|s| match &s.state {
                Slot::Failed { error } if error.starts_with(&s.input) => Some(error.clone()),
                Slot::Failed { error } => Some(format!("{}: {error}", s.input)),
                _ => None,
            })
            .collect()
    }

    pub fn is_loading(&self) -> bool {
        self.images
            .iter()
            .any(|s| matches!(s.state, Slot::Loading { .. }))
    }

    /// Whether something is in flight — a load, a content read, an export — whose end the UI
    /// learns of on a tick.
    pub fn is_busy(&self) -> bool {
        self.is_loading() || self.jobs.pending > 0
    }

    pub fn slot(&self) -> Option<&ImageSlot> {
        self.images.get(self.current)
    }

    pub fn viewer(&self) -> Option<&Viewer> {
        match &self.images.get(self.current)?.state {
            Slot::Ready(v) => Some(v),
            _ => None,
        }
    }

    pub fn viewer_mut(&mut self) -> Option<&mut Viewer> {
        match &mut self.images.get_mut(self.current)?.state {
            Slot::Ready(v) => Some(v),
            _ => None,
        }
    }

    /// Take the results loaders have sent since the last tick.
    pub(super) fn receive_loads(&mut self) {
        let Some(inbox) = &self.inbox else { return };
        let mut received = Vec::new();
        while let Ok(msg) = inbox.try_recv() {
            received.push(msg);
        }
        for (i, result) in received {
            let Some(slot) = self.images.get_mut(i) else {
                continue;
            };
            slot.state = match result {
                Ok(viewer) => Slot::Ready(viewer),
                Err(error) => Slot::Failed { error },
            };
        }
        // Showing a failed image while another one loaded: show the one that loaded (the tab
        // bar still names the failure).
        if matches!(self.slot().map(|s| &s.state), Some(Slot::Failed { .. }))
            && let Some(ready) = self
                .images
                .iter()
                .position(|s| matches!(s.state, Slot::Ready(_)))
        {
            self.current = ready;
        }
        if !self.is_loading() {
            self.inbox = None;
            if self.sharing.is_none() {
                self.sharing = self.sharing_analysis();
                self.note_plan_in_waste_lists();
            }
        }
    }

    /// Each image's waste list names what the plan's safe actions save on it.
    fn note_plan_in_waste_lists(&mut self) {
        let Some(s) = &self.sharing else { return };
        let notes: Vec<(usize, (String, String))> = s
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, &slot)| {
                Some((
                    slot,
                    super::waste_list::plan_note(&s.set.plan, i, &s.set.names)?,
                ))
            })
            .collect();
        for (slot, note) in notes {
            if let Some(ImageSlot {
                state: Slot::Ready(v),
                ..
            }) = self.images.get_mut(slot)
            {
                v.waste.set_plan_note(note);
            }
        }
    }

    /// What the trim plan says first about the current image, for the pinned summary.
    pub fn plan_headline(&self) -> PlanHeadline {
        let Some(v) = self.viewer() else {
            return PlanHeadline::Pending;
        };
        if v.analysis().layers_only {
            return PlanHeadline::LayersOnly;
        }
        let Some(s) = &self.sharing else {
            return PlanHeadline::Pending;
        };
        let Some(index) = s.slots.iter().position(|&slot| slot == self.current) else {
            return PlanHeadline::Pending;
        };
        match ImageSaving::of(&s.set.plan, index, &s.set.names) {
            Some(saving) => PlanHeadline::Saving(saving),
            None => PlanHeadline::Nothing,
        }
    }

    /// The plan-and-sharing view over the loaded images, when one or more loaded.
    fn sharing_analysis(&self) -> Option<PlanState> {
        let ready: Vec<_> = self
            .images
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| match &slot.state {
                Slot::Ready(v) => {
                    let analysis = v.analysis();
                    Some((i, v.image(), (!analysis.layers_only).then_some(analysis)))
                }
                _ => None,
            })
            .collect();
        if ready.is_empty() {
            return None;
        }
        Some(PlanState::new(
            &ready,
            self.images.len() - ready.len(),
            self.worth,
        ))
    }
}
