//! Screenshots of the viewer on the bundled sample images, written to `screenshots/` as SVG: the
//! real program state, driven by actions and drawn into ratatui's `TestBackend`, every cell with
//! its colours and emphasis. Ignored by default; `scripts/screenshots` runs it.

use std::fmt::Write as _;
use std::path::PathBuf;

use imgscope::pipeline::load::{self, LoadOptions, Loaded, Progress};
use imgscope::tui::action::Action;
use imgscope::tui::app::{App, Pane};
use imgscope::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_sample(rel: &str) -> Loaded {
    load_sample_with(rel, &LoadOptions::default())
}

fn load_sample_with(rel: &str, options: &LoadOptions) -> Loaded {
    let path = root().join("sample-images").join(rel);
    load::load(path.to_str().unwrap(), options, &Progress::default())
        .unwrap_or_else(|e| panic!("{}: {e:#}", path.display()))
}

fn app_for(images: Vec<(&str, Loaded)>, w: u16, h: u16) -> App {
    let mut app = App::with_results(
        images
            .into_iter()
            .map(|(name, l)| (name.to_string(), Ok(l)))
            .collect(),
        true,
    );
    app.update(Action::Resize {
        width: w,
        height: h,
    });
    app
}

fn shoot(app: &App, name: &str) {
    let mut term = Terminal::new(TestBackend::new(app.width, app.height)).unwrap();
    term.draw(|f| views::draw(f, app)).unwrap();
    let svg = to_svg(term.backend().buffer());
    let dir = root().join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.svg"));
    std::fs::write(&path, svg).unwrap();
    println!(
        "wrote {}",
        path.strip_prefix(root()).unwrap_or(&path).display()
    );
}

fn select(app: &mut App, path: &str) {
    let v = app.viewer().unwrap();
    let node = v.file_tree().lookup(path).unwrap();
    let i = v.tree.rows().iter().position(|r| r.node == node).unwrap();
    let cur = v.tree.cursor;
    app.focus = Pane::Right;
    for _ in cur..i {
        app.update(Action::Down);
    }
    for _ in i..cur {
        app.update(Action::Up);
    }
}

#[test]
#[ignore = "writes screenshots/; run by scripts/screenshots"]
fn screenshots() {
    let image = "busybox-app.docker.tar";

    // Layers and the file tree, a directory open, a file selected.
    let mut app = app_for(vec![(image, load_sample(image))], 120, 36);
    select(&mut app, "/app");
    app.update(Action::Toggle);
    select(&mut app, "/app/data");
    app.update(Action::Toggle);
    app.update(Action::Down);
    shoot(&app, "layers-and-tree");

    // One layer's changes: the apt cleanup, all removals.
    app.focus = Pane::Layers;
    app.update(Action::Home);
    app.update(Action::Down);
    app.update(Action::Down);
    app.update(Action::ToggleMode);
    app.update(Action::ExpandAll);
    shoot(&app, "layer-changes");

    // The waste view.
    let mut app = app_for(vec![(image, load_sample(image))], 120, 36);
    app.update(Action::ToggleWaste);
    app.update(Action::Down);
    shoot(&app, "waste");

    // A path filter being typed.
    let mut app = app_for(vec![(image, load_sample(image))], 120, 36);
    app.update(Action::OpenFilter);
    for c in "copy".chars() {
        app.update(Action::InputChar(c));
    }
    shoot(&app, "filter");

    // The help overlay, at the smallest supported size.
    let mut app = app_for(vec![(image, load_sample(image))], 80, 24);
    app.update(Action::ToggleHelp);
    shoot(&app, "help");

    // The same image at 80x24, without the overlay.
    let mut app = app_for(vec![(image, load_sample(image))], 80, 24);
    app.update(Action::ExpandAll);
    shoot(&app, "small-80x24");

    // Several images: a tab per image.
    let sharing = [
        "sharing/app-a.tar",
        "sharing/app-b.tar",
        "sharing/db-one.tar",
    ];
    let images = sharing.iter().map(|s| (*s, load_sample(s))).collect();
    let mut app = app_for(images, 120, 30);
    app.update(Action::NextImage);
    shoot(&app, "several-images");

    // A file's contents as of the selected layer (text), then a binary as a hex dump.
    let mut app = app_for(vec![(image, load_sample(image))], 120, 36);
    app.update(Action::ExpandAll);
    select(&mut app, "/app/server.sh");
    app.update(Action::ViewFile);
    settle(&mut app);
    shoot(&app, "file-contents");
    app.update(Action::Escape);
    select(&mut app, "/app/static/logo.png");
    app.update(Action::ViewFile);
    settle(&mut app);
    shoot(&app, "file-hexdump");

    // The sharing view over the whole sample set, sorted by each image's marginal cost.
    let mut names: Vec<String> = std::fs::read_dir(root().join("sample-images/sharing"))
        .unwrap()
        .map(|e| format!("sharing/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    names.sort();
    // As the command line loads several images: every file hashed, to compare content across them.
    let every_file = LoadOptions {
        hash_all_files: true,
        ..LoadOptions::default()
    };
    let images = names
        .iter()
        .map(|s| (s.as_str(), load_sample_with(s, &every_file)))
        .collect();
    let mut app = app_for(images, 120, 36);
    app.update(Action::ToggleSharing);
    app.update(Action::SharingSort);
    app.update(Action::Home);
    shoot(&app, "sharing");

    // `imgscope diff`: the new image's tree marked against the old one, changes only, as
    // `imgscope diff sharing/app-a.tar sharing/app-b.tar` opens it (every file hashed).
    let hashed = LoadOptions {
        hash_all_files: true,
        ..LoadOptions::default()
    };
    let (old, new) = ("sharing/app-a.tar", "sharing/app-b.tar");
    let pair = (
        load_sample_with(old, &hashed),
        load_sample_with(new, &hashed),
    );
    let mut app = App::with_diff(old.into(), new.into(), Ok(pair), true);
    app.update(Action::Resize {
        width: 120,
        height: 36,
    });
    app.update(Action::ToggleChangedOnly);
    app.update(Action::ExpandAll);
    shoot(&app, "diff");

    history_chart();
}

/// `imgscope history sample/app` on a terminal: five sample images recorded (as `imgscope record`
/// files them, into a real history database) as five daily builds of one name, the chart on the
/// last-but-one point.
fn history_chart() {
    use imgscope::history::capture::{self, GitInfo};
    use imgscope::history::store::Store;
    use imgscope::tui::history_chart::HistoryChart;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let mut store = Store::open_for_writing(&db).unwrap();
    let builds = [
        "sharing/shared-base.tar",
        "sharing/app-a.tar",
        "sharing/app-b.tar",
        "busybox-app.docker.tar",
        "sharing/app-c.tar",
    ];
    for (day, rel) in builds.iter().enumerate() {
        let loaded = load_sample(rel);
        let set = load::set_analysis(
            std::slice::from_ref(&loaded),
            imgscope::analysis::plan::Worth::default(),
        );
        let git = GitInfo {
            commit: None,
            branch: Some("main".into()),
        };
        // 2026-11-02 09:00 UTC, then a build a day.
        let at = 1_793_610_000 + day as i64 * 86_400;
        let record = capture::record(&loaded, &set, "sample/app", git, at);
        store.insert(&record).unwrap();
    }
    let records = store.series("sample/app").unwrap();
    let mut chart = HistoryChart::new("sample/app", "history.db", &records, true);
    chart.selected = records.len() - 2;
    let (w, h) = (120, 30);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| chart.draw(f.area(), f.buffer_mut())).unwrap();
    let path = root().join("screenshots").join("history.svg");
    std::fs::write(&path, to_svg(term.backend().buffer())).unwrap();
    println!("wrote screenshots/history.svg");
}

/// Tick until the content read in flight is done.
fn settle(app: &mut App) {
    let start = std::time::Instant::now();
    while app.is_busy() {
        assert!(start.elapsed().as_secs() < 30, "the read never finished");
        std::thread::sleep(std::time::Duration::from_millis(5));
        app.update(Action::Tick(std::time::Instant::now()));
    }
}

/// The buffer as an SVG picture: a dark terminal, one text run per stretch of equal style.
fn to_svg(buf: &Buffer) -> String {
    const CW: f64 = 8.4;
    const CH: f64 = 17.0;
    let area = buf.area;
    let (w, h) = (area.width as f64 * CW, area.height as f64 * CH);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.1} {h:.1}">"#
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#1e1e1e"/><g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14px" xml:space="preserve">"##
    );
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        while x < area.right() {
            let cell = &buf[(x, y)];
            let (fg, bg) = colours(cell.fg, cell.bg, cell.modifier);
            let start = x;
            let mut text = String::new();
            while x < area.right() {
                let c = &buf[(x, y)];
                if colours(c.fg, c.bg, c.modifier) != (fg.clone(), bg.clone())
                    || c.modifier != cell.modifier
                {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let px = start as f64 * CW;
            let py = y as f64 * CH;
            let width = (x - start) as f64 * CW;
            if bg != BG {
                let _ = writeln!(
                    out,
                    r#"<rect x="{px:.1}" y="{py:.1}" width="{width:.1}" height="{CH}" fill="{bg}"/>"#
                );
            }
            if text.trim().is_empty() {
                continue;
            }
            let mut attrs = format!(r#"fill="{fg}""#);
            if cell.modifier.contains(Modifier::BOLD) {
                attrs.push_str(r#" font-weight="bold""#);
            }
            if cell.modifier.contains(Modifier::DIM) {
                attrs.push_str(r#" opacity="0.6""#);
            }
            let mut deco = Vec::new();
            if cell.modifier.contains(Modifier::UNDERLINED) {
                deco.push("underline");
            }
            if cell.modifier.contains(Modifier::CROSSED_OUT) {
                deco.push("line-through");
            }
            if !deco.is_empty() {
                let _ = write!(attrs, r#" text-decoration="{}""#, deco.join(" "));
            }
            let _ = writeln!(
                out,
                r#"<text x="{px:.1}" y="{:.1}" textLength="{width:.1}" lengthAdjust="spacingAndGlyphs" {attrs}>{}</text>"#,
                py + CH * 0.78,
                xml_escape(&text)
            );
        }
    }
    out.push_str("</g></svg>\n");
    out
}

const FG: &str = "#cccccc";
const BG: &str = "#1e1e1e";

/// Foreground and background as CSS colours, reverse video applied.
fn colours(fg: Color, bg: Color, m: Modifier) -> (String, String) {
    let f = css(fg).unwrap_or_else(|| FG.into());
    let b = css(bg).unwrap_or_else(|| BG.into());
    if m.contains(Modifier::REVERSED) {
        (b, f)
    } else {
        (f, b)
    }
}

fn css(c: Color) -> Option<String> {
    let s = match c {
        Color::Reset => return None,
        Color::Black => "#000000",
        Color::Red => "#cd3131",
        Color::Green => "#0dbc79",
        Color::Yellow => "#e5e510",
        Color::Blue => "#3b8eea",
        Color::Magenta => "#bc3fbc",
        Color::Cyan => "#11a8cd",
        Color::Gray => "#e5e5e5",
        Color::DarkGray => "#666666",
        Color::LightRed => "#f14c4c",
        Color::LightGreen => "#23d18b",
        Color::LightYellow => "#f5f543",
        Color::LightBlue => "#3b8eea",
        Color::LightMagenta => "#d670d6",
        Color::LightCyan => "#29b8db",
        Color::White => "#ffffff",
        Color::Rgb(r, g, b) => return Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Indexed(i) => return Some(xterm_256(i)),
    };
    Some(s.to_string())
}

/// An xterm 256-colour index as CSS: the 16 system colours, the 6×6×6 cube, the grey ramp.
fn xterm_256(i: u8) -> String {
    const SYSTEM: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match i {
        0..=15 => css(SYSTEM[usize::from(i)]).unwrap_or_default(),
        16..=231 => {
            let level = |c: u8| if c == 0 { 0 } else { 55 + 40 * c };
            let c = i - 16;
            format!(
                "#{:02x}{:02x}{:02x}",
                level(c / 36),
                level(c / 6 % 6),
                level(c % 6)
            )
        }
        _ => {
            let g = 8 + 10 * (i - 232);
            format!("#{g:02x}{g:02x}{g:02x}")
        }
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
