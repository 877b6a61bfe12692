//! The plan-and-sharing view's state: the [`SetAnalysis`] of the loaded images (computed once,
//! when every image has loaded; one image is a set of one), flattened into one list of rows — the
//! trim plan first (it is the answer: what its safe actions save, then with rebuilds, then with
//! risky ones; each action with its risk; the plan's notes on shell images), then, with two images
//! or more, totals, the per-image table (with each image's role), the layer × image matrix, bases
//! and content sharing, and last each image's trim candidates — with every image-derived string
//! escaped and every cell formatted once. Drawing reads only the rows on screen.

use crate::analysis::plan::Risk;
use crate::analysis::set::SetAnalysis;
use crate::analysis::sharing::PullAndDisk;
use crate::model::Image;
use crate::text::{clip, one_line_command};
use crate::text::{escape_control as esc, human_size as hs};

/// Longest image name kept (in characters).
const NAME_MAX: usize = 200;
/// Image columns in the matrix (one letter each).
pub const MAX_COLUMNS: usize = 62;

/// Order of the per-image table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharingSort {
    /// As given on the command line.
    Input,
    /// Unique bytes: each image's marginal cost, largest first.
    Unique,
    /// Amortized bytes, largest first.
    Amortized,
    /// Total size, largest first.
    Size,
}

impl SharingSort {
    pub fn next(self) -> SharingSort {
        match self {
            SharingSort::Input => SharingSort::Unique,
            SharingSort::Unique => SharingSort::Amortized,
            SharingSort::Amortized => SharingSort::Size,
            SharingSort::Size => SharingSort::Input,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SharingSort::Input => "as given",
            SharingSort::Unique => "unique (marginal cost)",
            SharingSort::Amortized => "amortized",
            SharingSort::Size => "size",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// A section heading: an index into [`PlanState::headings`].
    Heading(u32),
    Blank,
    /// An explanatory line: an index into [`PlanState::notes`].
    Note(u32),
    ImageHeader,
    /// An image of the set (its index in the set).
    Image(u32),
    MatrixHeader,
    /// A distinct layer (index into `sharing.layers`).
    Layer(u32),
    Base(u32),
    /// An action of the trim plan (index into `set.plan.actions`).
    Plan(u32),
    /// A package of an image: (index into [`PlanState::packages`]).
    Package(u32),
    Pair(u32),
}

impl Row {
    /// Rows the cursor stops on: each leads to an image.
    pub fn selectable(self) -> bool {
        matches!(
            self,
            Row::Image(_)
                | Row::Layer(_)
                | Row::Base(_)
                | Row::Plan(_)
                | Row::Pair(_)
                | Row::Package(_)
        )
    }
}

/// One image's cells, formatted once.
#[derive(Debug, Clone)]
pub struct ImageCells {
    /// Escaped and clipped.
    pub name: String,
    pub size: String,
    pub shared: String,
    pub unique: String,
    pub amortized: String,
    /// Escaped.
    pub verdict: String,
    /// What the image is for (`service`, `interpreted`, `shell`); empty when its layers were not
    /// read.
    pub role: &'static str,
    /// Why, escaped ("runs /usr/bin/redis-server, an ELF program").
    pub role_why: String,
}

/// One plan action's cells, formatted once.
#[derive(Debug, Clone)]
pub struct PlanCells {
    pub kind: &'static str,
    /// How sure the plan is that the image still does its job after it.
    pub risk: Risk,
    pub node_saving: String,
    pub share: String,
    pub worth_it: bool,
    /// Escaped: what it finds (the row).
    pub what: String,
    /// Escaped: what it finds and the judgement (the footer).
    pub why: String,
    /// The largest paths it removes, escaped, with their sizes.
    pub paths: Vec<String>,
}

/// One package row, formatted once: the image (index in the set), its package index, the line.
#[derive(Debug, Clone)]
pub struct PackageCells {
    pub image: usize,
    pub package: u32,
    /// Sort keys: bytes, trim-candidate bytes, reclaimable bytes.
    pub bytes: u64,
    pub trim: u64,
    pub reclaimable: u64,
    /// Escaped.
    pub line: String,
    /// Escaped name, for the tree filter's label.
    pub name: String,
}

/// Width the plan's headline and notes are wrapped at: what an 80-column terminal shows of a note
/// row (the list's border and the row's indent aside).
pub const NOTE_WIDTH: usize = 76;
/// Most rows one note takes (a set of a thousand images built on one base is named in part).
const NOTE_ROWS: usize = 8;

/// Images whose packages the view lists, and packages listed per image (biggest first).
const PACKAGE_IMAGES: usize = 8;
const PACKAGES_SHOWN: usize = 30;

/// One distinct layer's cells.
#[derive(Debug, Clone)]
pub struct LayerCells {
    pub size: String,
    /// Of the largest distinct layer, 0..=1.
    pub fraction: f64,
    /// The command on one line, escaped.
    pub command: String,
    pub reclaimable: bool,
}

pub struct PlanState {
    pub set: SetAnalysis,
    /// For each image of the set, its slot in the app.
    pub slots: Vec<usize>,
    pub sort: SharingSort,
    /// The per-image table's order (indexes into the set).
    pub order: Vec<u32>,
    pub rows: Vec<Row>,
    pub headings: Vec<String>,
    pub notes: Vec<String>,
    pub images: Vec<ImageCells>,
    pub layers: Vec<LayerCells>,
    pub plan: Vec<PlanCells>,
    pub packages: Vec<PackageCells>,
    /// Per image of the set: its owned files by package index (from its analysis), for Enter.
    pub package_files: Vec<Vec<(crate::model::NodeId, u32)>>,
    /// How package rows are ordered (0 bytes, 1 trim, 2 reclaimable, 3 name).
    pub package_sort: u8,
    /// Whether sizes are uncompressed (false when some image was read layers-only).
    pub uncompressed: bool,
    /// The widest image name, in characters.
    pub name_width: usize,
    pub cursor: usize,
    pub offset: usize,
    /// How many lines the footer's text of the selected row is scrolled.
    pub details_scroll: u16,
}

/// Uncompressed when known, else compressed.
fn disk(b: &PullAndDisk) -> String {
    b.size.map_or_else(|| hs(b.compressed), hs)
}

fn both(b: &PullAndDisk) -> String {
    match b.size {
        Some(s) => format!("{} ({} compressed)", hs(s), hs(b.compressed)),
        None => format!("{} compressed", hs(b.compressed)),
    }
}

/// The column letter of image `i`: a–z, A–Z, 0–9.
pub fn letter(i: usize) -> char {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    LETTERS.get(i).map_or(' ', |&b| b as char)
}

impl PlanState {
    /// The view over `images` (with their app slots); `left_out` images failed to load.
    pub fn new(
        images: &[(usize, &Image, Option<&crate::analysis::Analysis>)],
        left_out: usize,
        worth: crate::analysis::plan::Worth,
    ) -> PlanState {
        let pairs: Vec<(&Image, Option<&crate::analysis::Analysis>)> =
            images.iter().map(|(_, i, a)| (*i, *a)).collect();
        let set = crate::analysis::set::analyze(&pairs, worth);
        let slots = images.iter().map(|(s, _, _)| *s).collect();
        let mut view = PlanState::from_set(set, slots, left_out);
        for (cells, (_, _, analysis)) in view.images.iter_mut().zip(images) {
            if let Some(a) = analysis {
                cells.role = a.role.role.key();
                cells.role_why = esc(&a.role.why).into_owned();
            }
        }
        view.add_packages(images);
        view
    }

    pub fn from_set(set: SetAnalysis, slots: Vec<usize>, left_out: usize) -> PlanState {
        let s = &set.sharing;
        let uncompressed = s.node_cost.size.is_some();
        let images: Vec<ImageCells> = s
            .images
            .iter()
            .enumerate()
            .map(|(i, img)| ImageCells {
                name: clip(&esc(set.names.get(i).map_or("?", String::as_str)), NAME_MAX)
                    .into_owned(),
                size: disk(&img.total),
                shared: disk(&img.shared),
                unique: disk(&img.unique),
                amortized: disk(&img.amortized),
                verdict: esc(&img.verdict).into_owned(),
                role: "",
                role_why: String::new(),
            })
            .collect();
        let layer_size = |l: &crate::analysis::sharing::SharedLayer| {
            if uncompressed {
                l.facts.size.unwrap_or(0)
            } else {
                l.facts.compressed
            }
        };
        let max = s.layers.iter().map(layer_size).max().unwrap_or(0);
        let layers = s
            .layers
            .iter()
            .map(|l| LayerCells {
                size: hs(layer_size(l)),
                fraction: if max == 0 {
                    0.0
                } else {
                    layer_size(l) as f64 / max as f64
                },
                command: one_line_command(&l.facts.created_by, 4096),
                reclaimable: l.facts.reclaimable.unwrap_or(0) > 0,
            })
            .collect();
        let plan = set
            .plan
            .actions
            .iter()
            .map(|a| PlanCells {
                kind: a.kind.key(),
                risk: a.risk,
                node_saving: hs(a.node_saving),
                share: crate::text::rough_percent(a.share_of_node_cost),
                worth_it: a.worth_it,
                what: esc(&a.what).into_owned(),
                why: esc(&a.why).into_owned(),
                paths: a
                    .paths
                    .iter()
                    .map(|(p, b)| format!("{} ({})", esc(p), hs(*b)))
                    .collect(),
            })
            .collect();
        let name_width = images
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut view = PlanState {
            name_width,
            order: (0..s.images.len() as u32).collect(),
            set,
            slots,
            sort: SharingSort::Input,
            rows: Vec::new(),
            headings: Vec::new(),
            notes: Vec::new(),
            images,
            layers,
            plan,
            packages: Vec::new(),
            package_files: Vec::new(),
            package_sort: 0,
            uncompressed,
            cursor: 0,
            offset: 0,
            details_scroll: 0,
        };
        view.build_rows(left_out);
        view.cursor = view.rows.iter().position(|r| r.selectable()).unwrap_or(0);
        view
    }

    fn heading(&mut self, text: String) {
        if !self.rows.is_empty() {
            self.rows.push(Row::Blank);
        }
        self.rows.push(Row::Heading(self.headings.len() as u32));
        self.headings.push(text);
    }

    fn note(&mut self, text: String) {
        self.rows.push(Row::Note(self.notes.len() as u32));
        self.notes.push(text);
    }

    /// A long note on as many rows as it takes at [`NOTE_WIDTH`] columns (at most
    /// [`NOTE_ROWS`], the last then ending in `…`), the rows after the first indented.
    fn wrapped_note(&mut self, text: &str) {
        let mut lines =
            crate::tui::format::wrap_at_most(text, NOTE_WIDTH, NOTE_WIDTH - 2, NOTE_ROWS + 1);
        if lines.len() > NOTE_ROWS {
            lines.truncate(NOTE_ROWS);
            if let Some(last) = lines.last_mut() {
                *last = format!("{} …", clip(last, NOTE_WIDTH - 4));
            }
        }
        for (k, line) in lines.into_iter().enumerate() {
            self.note(if k == 0 { line } else { format!("  {line}") });
        }
    }

    fn build_rows(&mut self, left_out: usize) {
        let n = self.set.sharing.images.len();
        self.plan_rows(left_out);
        if n >= 2 {
            self.sharing_rows();
            self.package_rows();
        }
        self.candidate_rows();
    }

    /// The plan: what to do, ranked by what a node saves weighed by risk; the savings per risk
    /// first, and after the actions what the plan says about shell images.
    fn plan_rows(&mut self, left_out: usize) {
        let plan = &self.set.plan;
        let headline = format!("Saving {}", plan.risk_headline());
        let shell_notes: Vec<String> = plan
            .notes
            .iter()
            .map(|(_, note)| format!("Note: {}", esc(note)))
            .collect();
        let worth = plan.worth.unwrap_or_default();
        let count = plan.actions.len();
        let heading = format!(
            "Trim plan · {} of {count} actions worth it · Enter opens",
            plan.worth_it().count()
        );
        let totals = format!(
            "All together {} per node ({} of {}), {} per pull; overlaps counted once",
            hs(plan.node_saving),
            crate::text::rough_percent(plan.saving_share()),
            hs(plan.node_cost),
            hs(plan.pull_saving)
        );
        let rule = format!("worth it = saves {} (--worth)", worth.describe());
        let partial = plan.partial;
        self.heading(heading);
        if count == 0 {
            self.note(
                "nothing to do: no hidden, cache, doc, duplicate or copied-base bytes".into(),
            );
        } else {
            if !self.set.plan.by_risk.is_empty() {
                self.wrapped_note(&headline);
            }
            self.note(totals);
            self.note(rule);
            self.rows.extend((0..count as u32).map(Row::Plan));
        }
        for note in &shell_notes {
            self.wrapped_note(note);
        }
        if partial {
            self.note("some images were read layers-only: their layers are not in the plan".into());
        }
        if left_out > 0 {
            self.note(format!(
                "{left_out} image{} failed to load and {} left out",
                if left_out == 1 { "" } else { "s" },
                if left_out == 1 { "is" } else { "are" }
            ));
        }
    }

    fn sharing_rows(&mut self) {
        let s = &self.set.sharing;
        let n = s.images.len();
        let layer_count = s.layers.len();
        let sum = both(&s.sum_of_images);
        let node = both(&s.node_cost);
        let ratio = s.sharing_ratio();
        let blobs = s.distinct_blobs;
        let bases = s.bases.len();
        let pairs = self.set.content.pairs.len();
        let shareable = (
            self.set.content.shareable_bytes,
            self.set.content.shareable_files,
        );
        self.heading(format!("Sharing across {n} images"));
        self.note(format!("Sum of image sizes  {sum}"));
        self.note(format!(
            "Node cost           {node} · sharing ratio {ratio:.2}×"
        ));
        self.note(format!(
            "{layer_count} distinct layers, {blobs} blobs: a node stores each layer once"
        ));
        if !self.uncompressed {
            self.note("compressed sizes: layers were not decoded (--layers-only)".into());
        }
        self.heading("Images · s sorts · Enter opens".into());
        self.rows.push(Row::ImageHeader);
        let first_image = self.rows.len();
        self.rows.extend(self.order.iter().map(|&i| Row::Image(i)));
        debug_assert_eq!(self.rows.len() - first_image, n);
        self.heading(format!("Layers × images ({layer_count} distinct layers)"));
        self.rows.push(Row::MatrixHeader);
        self.rows.extend((0..layer_count as u32).map(Row::Layer));
        if bases > 0 {
            self.heading("Bases (the longest layer prefix images share)".into());
            self.rows.extend((0..bases as u32).map(Row::Base));
        }
        if pairs > 0 {
            self.heading(format!(
                "Same content, pair by pair: {} in {} stored more than once",
                hs(shareable.0),
                crate::text::plural(shareable.1 as usize, "file", "files")
            ));
            self.rows.extend((0..pairs as u32).map(Row::Pair));
        }
    }

    /// Each image's largest packages (the first few images), as rows that open the image with its
    /// tree filtered to the package's files.
    fn add_packages(&mut self, images: &[(usize, &Image, Option<&crate::analysis::Analysis>)]) {
        for (i, (_, _, analysis)) in images.iter().enumerate() {
            let owned = analysis
                .map(|a| a.packages.owner.clone())
                .unwrap_or_default();
            self.package_files.push(owned);
            let Some(a) = analysis else { continue };
            if i >= PACKAGE_IMAGES || a.packages.packages.is_empty() {
                continue;
            }
            let p = &a.packages;
            let name = self
                .images
                .get(i)
                .map_or("?", |c| c.name.as_str())
                .to_string();
            self.heading(format!(
                "Packages of {} {} · {} from {} · {} unowned · p sorts · Enter shows its files",
                letter(i),
                clip(&name, 60),
                p.packages.len(),
                p.managers.join(" and "),
                hs(p.unowned_bytes)
            ));
            for (k, pkg) in p.packages.iter().enumerate().take(PACKAGES_SHOWN) {
                let index = self.packages.len() as u32;
                self.packages.push(PackageCells {
                    image: i,
                    package: k as u32,
                    bytes: pkg.bytes,
                    trim: pkg.trim_bytes,
                    reclaimable: pkg.reclaimable_bytes,
                    name: clip(&esc(&pkg.name), 80).into_owned(),
                    line: format!(
                        "{:>10}  {:>6} files  layer {:>3}  trim {:>10}  reclaim {:>10}  {} {} ({})",
                        hs(pkg.bytes),
                        pkg.files,
                        pkg.layer.map_or_else(|| "-".into(), |l| l.to_string()),
                        hs(pkg.trim_bytes),
                        hs(pkg.reclaimable_bytes),
                        clip(&esc(&pkg.name), 60),
                        clip(&esc(&pkg.version), 40),
                        pkg.manager
                    ),
                });
                self.rows.push(Row::Package(index));
            }
            if p.packages.len() > PACKAGES_SHOWN {
                self.note(format!(
                    "… {} more packages (--json lists them all)",
                    p.packages.len() - PACKAGES_SHOWN
                ));
            }
        }
    }

    /// The order of package rows: what they are sorted by now.
    pub fn package_sort_label(&self) -> &'static str {
        ["bytes", "trim candidates", "reclaimable", "name"][self.package_sort as usize % 4]
    }

    /// Sort each image's package rows by the next key (largest first; names A–Z); the cursor
    /// stays on its package.
    pub fn cycle_package_sort(&mut self) {
        self.package_sort = (self.package_sort + 1) % 4;
        let kept = match self.selected() {
            Some(Row::Package(k)) => Some(k),
            _ => None,
        };
        let cells = &self.packages;
        let key = |k: &u32| {
            let c = &cells[*k as usize];
            match self.package_sort {
                0 => (u64::MAX - c.bytes, String::new()),
                1 => (u64::MAX - c.trim, String::new()),
                2 => (u64::MAX - c.reclaimable, String::new()),
                _ => (0, c.name.clone()),
            }
        };
        let mut start = 0;
        while start < self.rows.len() {
            if !matches!(self.rows[start], Row::Package(_)) {
                start += 1;
                continue;
            }
            let end = self.rows[start..]
                .iter()
                .position(|r| !matches!(r, Row::Package(_)))
                .map_or(self.rows.len(), |n| start + n);
            let mut block: Vec<u32> = self.rows[start..end]
                .iter()
                .filter_map(|r| match r {
                    Row::Package(k) => Some(*k),
                    _ => None,
                })
                .collect();
            block.sort_by_key(|k| (key(k), *k));
            for (i, k) in block.into_iter().enumerate() {
                self.rows[start + i] = Row::Package(k);
            }
            start = end;
        }
        if let Some(k) = kept
            && let Some(i) = self.rows.iter().position(|r| *r == Row::Package(k))
        {
            self.cursor = i;
        }
    }

    /// For a package row: the filter's label and the package's files in its image.
    pub fn target_package(&self) -> Option<(String, Vec<crate::model::NodeId>)> {
        let Row::Package(k) = self.selected()? else {
            return None;
        };
        let cells = self.packages.get(k as usize)?;
        let nodes = self
            .package_files
            .get(cells.image)?
            .iter()
            .filter(|(_, p)| *p == cells.package)
            .map(|(n, _)| *n)
            .collect();
        Some((format!("package {}", cells.name), nodes))
    }

    /// Packages several images install in layers they do not share.
    fn package_rows(&mut self) {
        let n = self.set.names.len();
        let lines: Vec<String> = self
            .set
            .packages
            .iter()
            .filter(|p| p.stored_extra_bytes > 0)
            .take(50)
            .map(|p| {
                format!(
                    "{} {}: {} in {} of {n} images, in {} layers they do not share ({} stored again)",
                    clip(&esc(&p.name), 60),
                    clip(&esc(&p.version), 40),
                    hs(p.bytes),
                    p.images.len(),
                    p.layers.len(),
                    hs(p.stored_extra_bytes)
                )
            })
            .collect();
        if lines.is_empty() {
            return;
        }
        self.heading(
            "Packages installed again in separate layers (move them to a shared base)".into(),
        );
        for line in lines {
            self.note(line);
        }
    }

    /// Each image's trim candidates, split by whether the layer holding them is shared.
    fn candidate_rows(&mut self) {
        let lines: Vec<String> = self
            .set
            .set_trim
            .iter()
            .enumerate()
            .filter_map(|(i, cats)| {
                let cats: Vec<_> = cats.iter().filter(|c| c.bytes > 0).collect();
                (!cats.is_empty()).then(|| {
                    let name = self.images.get(i).map_or("?", |c| c.name.as_str());
                    format!(
                        "{} {}: {}",
                        letter(i),
                        clip(name, 40),
                        crate::report::sharing::candidate_line(&cats)
                    )
                })
            })
            .collect();
        if lines.is_empty() {
            return;
        }
        self.heading("Trim candidates (own layers: saved per image; shared: once per node)".into());
        for line in lines {
            self.note(line);
        }
    }

    pub fn selected(&self) -> Option<Row> {
        self.rows.get(self.cursor).copied()
    }

    /// Sort the per-image table by the next key; the cursor stays on its row.
    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        let s = &self.set.sharing;
        let key = |i: u32| -> u64 {
            let img = &s.images[i as usize];
            let b = match self.sort {
                SharingSort::Input => return i as u64,
                SharingSort::Unique => img.unique,
                SharingSort::Amortized => img.amortized,
                SharingSort::Size => img.total,
            };
            u64::MAX - b.size.unwrap_or(b.compressed)
        };
        let mut order = self.order.clone();
        order.sort_by_key(|&i| (key(i), i));
        let Some(first) = self.rows.iter().position(|r| matches!(r, Row::Image(_))) else {
            return;
        };
        let kept = match self.selected() {
            Some(Row::Image(i)) => order.iter().position(|&j| j == i).map(|k| first + k),
            _ => None,
        };
        for (k, &i) in order.iter().enumerate() {
            self.rows[first + k] = Row::Image(i);
        }
        self.order = order;
        if let Some(c) = kept {
            self.cursor = c;
        }
    }

    /// Move the cursor by `delta` rows, landing on a selectable row.
    pub fn move_by(&mut self, delta: isize) {
        if self.rows.is_empty() {
            return;
        }
        let max = self.rows.len() - 1;
        let target = self.cursor.saturating_add_signed(delta).min(max);
        let found = if delta >= 0 {
            (target..=max)
                .find(|&i| self.rows[i].selectable())
                .or_else(|| (0..target).rev().find(|&i| self.rows[i].selectable()))
        } else {
            (0..=target)
                .rev()
                .find(|&i| self.rows[i].selectable())
                .or_else(|| (target..=max).find(|&i| self.rows[i].selectable()))
        };
        if let Some(i) = found {
            self.cursor = i;
            self.details_scroll = 0;
        }
        if self.rows[..self.cursor].iter().all(|r| !r.selectable()) {
            // The first selectable row: show what is above it too.
            self.offset = 0;
        }
    }

    pub fn home(&mut self) {
        self.cursor = self.rows.iter().position(|r| r.selectable()).unwrap_or(0);
        self.offset = 0;
        self.details_scroll = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.rows.iter().rposition(|r| r.selectable()).unwrap_or(0);
        self.details_scroll = 0;
    }

    /// Where the selected row leads: (image of the set, the layer to select in it).
    pub fn target(&self) -> Option<(usize, Option<usize>)> {
        let s = &self.set.sharing;
        let layer_in =
            |image: usize, id: usize| s.image_layers[image].iter().position(|&l| l == id);
        match self.selected()? {
            Row::Image(i) => Some((i as usize, None)),
            Row::Layer(id) => {
                let id = id as usize;
                let image = *s.layers.get(id)?.users.first()?;
                Some((image, layer_in(image, id)))
            }
            Row::Plan(k) => {
                let (image, layer) = self.set.plan.actions.get(k as usize)?.focus;
                Some((image, Some(layer)))
            }
            Row::Package(k) => Some((self.packages.get(k as usize)?.image, None)),
            Row::Base(b) => {
                let base = s.bases.get(b as usize)?;
                let image = *base.images.first()?;
                Some((image, base.layers.checked_sub(1)))
            }
            Row::Pair(p) => {
                let pair = self.set.content.pairs.get(p as usize)?;
                Some((pair.a, None))
            }
            _ => None,
        }
    }

    /// For a plan row: the largest file the action removes (the viewer shows it in the tree).
    pub fn target_path(&self) -> Option<String> {
        match self.selected()? {
            Row::Plan(k) => {
                let action = self.set.plan.actions.get(k as usize)?;
                action.paths.first().map(|(p, _)| p.clone())
            }
            _ => None,
        }
    }

    /// Names of images by their letters, `a name, b name`, for the footer (the first 20).
    pub fn named(&self, images: &[usize]) -> String {
        let mut out = images
            .iter()
            .take(20)
            .map(|&i| {
                format!(
                    "{} {}",
                    letter(i),
                    self.images.get(i).map_or("?", |c| c.name.as_str())
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        if images.len() > 20 {
            out.push_str(&format!(" and {} more", images.len() - 20));
        }
        out
    }
}
