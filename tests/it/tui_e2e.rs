//! The real binary in a real terminal: tmux runs an interactive bash, which runs `imgscope IMAGE`
//! (or `imgscope diff OLD NEW`);
//! keys go in with `send-keys`, the screen comes out with `capture-pane`, and tmux's own view of the
//! terminal (alternate screen, mouse mode, cursor) tells whether imgscope gave it back — after `q`,
//! Ctrl-C, SIGTERM, and across Ctrl-Z and `fg`.
//!
//! Without tmux these tests say so and pass, except under CI (CI=true), where tmux is installed by
//! scripts/test and its absence is a failure.

use std::path::PathBuf;
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::common::send_signal;

const BIN: &str = env!("CARGO_BIN_EXE_imgscope");

fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("tmux is not installed, and CI must run the terminal tests");
        }
        eprintln!("SKIPPED: tmux is not installed; the end-to-end terminal tests did not run");
    }
    ok
}

fn image() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-images/busybox-app.docker.tar")
}

/// A tmux server of our own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// A 100x30 session running an interactive bash with job control.
    fn start(name: &str) -> Tmux {
        let t = Tmux::start_with(name, "env PS1='$ ' bash --norc --noprofile -i");
        t.wait_for("the shell prompt", |s| s.contains('$'));
        t
    }

    /// A 100x30 session whose pane runs `command`.
    fn start_with(name: &str, command: &str) -> Tmux {
        let t = Tmux {
            socket: format!("imgscope-e2e-{}-{name}", std::process::id()),
        };
        t.run(&[
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "30",
            "-s",
            "main",
            command,
        ]);
        t
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env("TERM", "xterm-256color")
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Type a command line into the shell.
    fn type_line(&self, line: &str) {
        self.run(&["send-keys", "-t", "main", "-l", line]);
        self.run(&["send-keys", "-t", "main", "Enter"]);
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "main", k]);
            sleep(Duration::from_millis(60));
        }
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "main"])
    }

    /// The screen with colours and attributes as escape sequences.
    fn screen_escaped(&self) -> String {
        self.run(&["capture-pane", "-p", "-e", "-t", "main"])
    }

    /// A tmux format variable of the pane, e.g. `alternate_on`.
    fn var(&self, name: &str) -> String {
        self.run(&[
            "display-message",
            "-p",
            "-t",
            "main",
            &format!("#{{{name}}}"),
        ])
        .trim()
        .to_string()
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(30) {
                panic!("timed out waiting for {what}; the screen:\n{s}");
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// Start the viewer and wait until it shows the image.
    fn open_viewer(&self, args: &str) {
        self.type_line(&format!("{BIN} {args}; echo EXITED=$?"));
        self.wait_for("the viewer", |s| s.contains("Layers ("));
        assert_eq!(
            self.var("alternate_on"),
            "1",
            "the viewer uses the alternate screen"
        );
    }

    /// The terminal is as the shell left it: main screen, no mouse reporting, cursor shown.
    fn assert_terminal_restored(&self) {
        assert_eq!(self.var("alternate_on"), "0", "left the alternate screen");
        assert_eq!(self.var("mouse_any_flag"), "0", "mouse reporting off");
        assert_eq!(self.var("mouse_standard_flag"), "0", "mouse reporting off");
        assert_eq!(self.var("cursor_flag"), "1", "cursor visible");
        // The shell still echoes what is typed: raw mode is off.
        self.type_line("echo typed-$((6*7))");
        self.wait_for("the shell to answer", |s| s.contains("typed-42"));
    }

    /// The pid of the program the shell is running in the foreground.
    fn child_pid(&self) -> i32 {
        let shell = self.var("pane_pid");
        let out = Command::new("pgrep")
            .args(["-P", &shell])
            .output()
            .expect("pgrep runs");
        let pids = String::from_utf8_lossy(&out.stdout);
        pids.lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .expect("the shell has a child")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

#[test]
fn browse_then_quit_with_q_gives_the_terminal_back() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("q");
    t.open_viewer(&image().display().to_string());
    let s = t.screen();
    assert!(s.contains("AGGREGATED"), "{s}");
    assert!(s.contains("? help"), "{s}");
    // The focus starts on the layers, as in dive: Tab to the tree, then open the first
    // directory; the waste view; the help; layer changes; a filter.
    t.keys(&["Tab", "Enter"]);
    t.wait_for("an open directory", |s| s.contains('▾'));
    t.keys(&["w"]);
    t.wait_for("the waste view", |s| s.contains("Reclaimable:"));
    t.keys(&["w", "?"]);
    t.wait_for("the help", |s| s.contains("Keys · Esc closes"));
    t.keys(&["Escape", "m"]);
    t.wait_for("layer changes", |s| s.contains("LAYER CHANGES"));
    t.keys(&["m", "f", "b", "i", "n", "Enter"]);
    t.wait_for("the filter", |s| s.contains("filter bin"));
    // A smaller window: the viewer redraws to it.
    t.run(&["resize-window", "-t", "main", "-x", "80", "-y", "24"]);
    let s = t.wait_for("a redraw at 80x24", |s| {
        s.lines().nth(23).is_some_and(|l| l.contains("AGGREGATED"))
    });
    assert!(s.lines().all(|l| l.chars().count() <= 80), "{s}");
    t.keys(&["q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
    t.assert_terminal_restored();
}

#[test]
fn ctrl_c_quits() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("ctrlc");
    t.open_viewer(&image().display().to_string());
    t.keys(&["C-c"]);
    // As other terminal programs: 128 + SIGINT.
    t.wait_for("the exit status", |s| s.contains("EXITED=130"));
    t.assert_terminal_restored();
}

#[test]
fn sigterm_restores_the_terminal_and_ends_by_the_signal() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("term");
    t.open_viewer(&image().display().to_string());
    let pid = t.child_pid();
    assert!(send_signal(pid, libc::SIGTERM));
    t.wait_for("the exit status", |s| s.contains("EXITED=143"));
    t.assert_terminal_restored();
}

#[test]
fn ctrl_z_suspends_and_fg_resumes() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("tstp");
    // Alone on the line: with `; echo`, bash would go on to the echo once the job stops.
    t.type_line(&format!("{BIN} {}", image().display()));
    t.wait_for("the viewer", |s| s.contains("Layers ("));
    t.keys(&["C-z"]);
    t.wait_for("the shell to report the stop", |s| s.contains("Stopped"));
    assert_eq!(t.var("alternate_on"), "0");
    assert_eq!(t.var("mouse_any_flag"), "0");
    t.type_line("fg");
    t.wait_for("the viewer again", |s| s.contains("Layers ("));
    assert_eq!(t.var("alternate_on"), "1");
    t.keys(&["j", "q"]);
    t.wait_for("the shell", |s| !s.contains("Layers ("));
    t.type_line("echo EXITED=$?");
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
    t.assert_terminal_restored();
}

#[test]
fn a_failed_load_is_one_line_on_stderr_and_status_2() {
    if !tmux_available() {
        return;
    }
    // Alone: no viewer to show; the terminal comes back with the error line, status 2.
    let t = Tmux::start("missing");
    t.type_line(&format!("{BIN} /nonexistent/image.tar; echo EXITED=$?"));
    let exited = |s: &str| s.lines().any(|l| l.starts_with("EXITED="));
    let s = t.wait_for("the exit status", exited);
    assert!(s.contains("\nEXITED=2"), "{s}");
    assert!(
        s.contains("imgscope: /nonexistent/image.tar: no such file or directory"),
        "{s}"
    );
    t.assert_terminal_restored();
    // With an image that loads: the viewer stays up for it; after q, the failure and status 2.
    t.type_line("clear");
    t.type_line(&format!(
        "{BIN} /nonexistent/other.tar {}; echo EXITED=$?",
        image().display()
    ));
    t.wait_for("the viewer", |s| s.contains("AGGREGATED"));
    t.keys(&["q"]);
    let s = t.wait_for("the exit status", exited);
    assert!(s.contains("\nEXITED=2"), "{s}");
    assert!(
        s.contains("imgscope: /nonexistent/other.tar: no such file"),
        "{s}"
    );
    t.assert_terminal_restored();
}

#[test]
fn no_color_means_no_colour_codes() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("nocolor");
    let img = image();
    t.open_viewer(&img.display().to_string());
    assert!(
        !colours(&t.screen_escaped()).is_empty(),
        "colour by default"
    );
    t.keys(&["q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
    t.type_line("clear; export NO_COLOR=1");
    t.open_viewer(&img.display().to_string());
    let plain = t.screen_escaped();
    assert_eq!(
        colours(&plain),
        Vec::<u32>::new(),
        "no colour under NO_COLOR"
    );
    assert!(
        plain.contains(";7m"),
        "reverse video still marks the selection"
    );
    t.keys(&["q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
}

#[test]
fn closing_the_terminal_ends_the_viewer() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start_with("hangup", &format!("exec {BIN} {}", image().display()));
    t.wait_for("the viewer", |s| s.contains("Layers ("));
    let pid: i32 = t.var("pane_pid").parse().unwrap();
    t.run(&["kill-server"]);
    let start = Instant::now();
    while send_signal(pid, 0) && start.elapsed() < Duration::from_secs(10) {
        sleep(Duration::from_millis(50));
    }
    let alive = send_signal(pid, 0)
        && std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| !stat.contains(") Z "));
    if alive {
        // The viewer this test started must not outlive the test.
        send_signal(pid, libc::SIGKILL);
        panic!("the viewer kept running after its terminal closed");
    }
}

/// The colour parameters (30–38, 40–48, 90–97, 100–107) of every SGR sequence in `s`; the
/// default-colour resets 39 and 49 are not colours.
fn colours(s: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for seq in s.split("\x1b[").skip(1) {
        let Some(end) = seq.find(|c: char| !(c.is_ascii_digit() || c == ';')) else {
            continue;
        };
        if !seq[end..].starts_with('m') {
            continue;
        }
        out.extend(
            seq[..end]
                .split(';')
                .filter_map(|p| p.parse::<u32>().ok())
                .filter(|p| matches!(p, 30..=38 | 40..=48 | 90..=97 | 100..=107)),
        );
    }
    out
}

#[test]
fn several_images_switch_with_brackets() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("multi");
    let other = image().with_file_name("busybox-app.oci.tar");
    t.open_viewer(&format!("{} {}", image().display(), other.display()));
    t.wait_for("the tab bar", |s| {
        s.lines().next().is_some_and(|l| l.contains(" 2 "))
    });
    t.keys(&["]"]);
    t.wait_for("the second image", |s| {
        s.contains("Layers (") && s.contains("busybox-app")
    });
    t.keys(&["[", "q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
    t.assert_terminal_restored();
}

#[test]
fn a_file_is_shown_and_exported() {
    if !tmux_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("imgscope-e2e-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let t = Tmux::start("content");
    t.open_viewer(&image().display().to_string());
    // The filter opens the way to /etc/passwd and selects it; v shows it.
    t.keys(&["f"]);
    t.run(&["send-keys", "-t", "main", "-l", "passwd"]);
    t.keys(&["Enter"]);
    t.wait_for("the filter", |s| s.contains("filter passwd"));
    t.keys(&["v"]);
    let s = t.wait_for("the file's contents", |s| {
        s.contains("root:x:0:0:root:/root:/bin/sh")
    });
    assert!(s.contains("/etc/passwd · layer 6"), "{s}");
    assert!(s.contains("text · 6 lines"), "{s}");
    // x asks where; the file's name is the default.
    t.keys(&["x"]);
    t.wait_for("the export line", |s| s.contains("Export to: passwd"));
    let target = dir.join("passwd.out");
    t.keys(&["C-u"]);
    t.run(&["send-keys", "-t", "main", "-l", target.to_str().unwrap()]);
    t.keys(&["Enter"]);
    t.wait_for("the export", |s| s.contains("exported /etc/passwd to"));
    let cat = Command::new(BIN)
        .args(["cat", image().to_str().unwrap(), "/etc/passwd"])
        .output()
        .unwrap();
    assert!(cat.status.success());
    assert_eq!(std::fs::read(&target).unwrap(), cat.stdout);
    // Esc closes the file, q quits.
    t.keys(&["Escape"]);
    t.wait_for("the panes", |s| s.contains("Layers ("));
    t.keys(&["q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
    t.assert_terminal_restored();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_streamed_image_says_its_contents_were_not_kept() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("streamed");
    t.type_line(&format!(
        "cat {} | {BIN} -; echo EXITED=$?",
        image().display()
    ));
    t.wait_for("the viewer", |s| s.contains("Layers ("));
    t.keys(&["f"]);
    t.run(&["send-keys", "-t", "main", "-l", "passwd"]);
    t.keys(&["Enter"]);
    t.wait_for("the filter", |s| s.contains("filter passwd"));
    t.keys(&["v"]);
    t.wait_for("the message", |s| s.contains("was streamed and not"));
    t.keys(&["Escape", "q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
    t.assert_terminal_restored();
}

#[test]
fn the_sharing_view_opens_images() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("sharing");
    let dir = image().with_file_name("sharing");
    t.type_line(&format!("{BIN} {}/*.tar; echo EXITED=$?", dir.display()));
    t.wait_for("every image", |s| {
        s.lines().next().is_some_and(|l| {
            l.contains("S sharing") && !l.contains('%') && !l.contains("analyzing")
        })
    });
    // The first image runs a program of its own: the summary says so.
    let first = t.screen();
    let summary = first.lines().nth(1).unwrap_or("");
    assert!(summary.contains(" · service · "), "{first}");
    t.keys(&["S"]);
    let s = t.wait_for("the plan", |s| s.contains("Trim plan · "));
    // The plan leads with what its safe actions save, each action says its risk, and the shell
    // image the apps build on has its note.
    assert!(s.contains("Saving safe: "), "{s}");
    assert!(s.contains(" rebase rebuild "), "{s}");
    assert!(s.contains(" slim   risky "), "{s}");
    assert!(s.contains(" trim   safe "), "{s}");
    assert!(
        s.contains("Note: imgscope-sample/shared-base:1 is a shell image"),
        "{s}"
    );
    // A page down, the sharing totals and the image table below the plan.
    t.keys(&["NPage"]);
    let s = t.wait_for("the sharing view", |s| {
        s.contains("Sharing across 6 images") && s.contains("UNIQUE")
    });
    assert!(s.contains("sharing ratio 1.57×"), "{s}");
    t.keys(&["s"]);
    t.wait_for("the sort", |s| s.contains("UNIQUE↓"));
    // The cursor stays on its image through a sort; g goes to the first row (the image that
    // costs the most to add: a database, on a base of its own), Enter opens it.
    t.keys(&["g", "Enter"]);
    t.wait_for("the image", |s| s.contains("Layers (") && s.contains("db-"));
    t.keys(&["q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
    t.assert_terminal_restored();
}

#[test]
fn a_diff_opens_the_viewer_marked_against_the_old_image() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("diff");
    let dir = image().with_file_name("sharing");
    t.open_viewer(&format!(
        "diff {} {}",
        dir.join("app-a.tar").display(),
        dir.join("app-b.tar").display()
    ));
    let s = t.wait_for("the diff header", |s| {
        s.lines().next().is_some_and(|l| {
            // Names are clipped from the front to keep the totals on screen.
            l.starts_with(" diff:  …")
                && l.contains("/app-a:1 → …")
                && l.contains("/app-b:1 · size +4.9 KiB · compressed +5.0 KiB")
        })
    });
    // /app grew: its mark, final size and byte delta; layer 3 is marked grown too.
    assert!(s.contains("│↑   25.4 KiB   +4.9 KiB ├─ ▸ app/"), "{s}");
    assert!(s.contains("  3 ↑  30.5 KiB"), "{s}");
    // d: only what changed; o: what only the old image has.
    t.keys(&["d"]);
    // The note says so (the status line's state gives it room); the pane's title keeps it.
    let s = t.wait_for("changed only", |s| {
        s.contains("showing only what changed") && s.contains("by size · changed only")
    });
    assert!(!s.contains("etc/"), "{s}");
    t.keys(&["o"]);
    t.wait_for("the removed list", |s| {
        s.contains("-  -20.5 KiB  /app/app-a/")
    });
    t.keys(&["q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
    t.assert_terminal_restored();
}

#[test]
fn y_copies_the_path_and_shift_y_the_layer_digest_through_osc_52() {
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("clipboard");
    // tmux keeps what an application copies with OSC 52 as a paste buffer.
    t.run(&["set-option", "-s", "set-clipboard", "on"]);
    t.open_viewer(&image().display().to_string());
    t.keys(&["f"]);
    t.run(&["send-keys", "-t", "main", "-l", "passwd"]);
    t.keys(&["Enter"]);
    t.wait_for("the filter", |s| s.contains("filter passwd"));
    t.keys(&["y"]);
    t.wait_for("the note", |s| s.contains("copied: /etc/passwd"));
    let buffer = || {
        Command::new("tmux")
            .args(["-L", &t.socket, "-f", "/dev/null", "show-buffer"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    assert_eq!(buffer(), "/etc/passwd");
    t.keys(&["Y"]);
    let s = t.wait_for("the note", |s| s.contains("copied: sha256:"));
    let digest = buffer();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}\n{s}"
    );
    t.keys(&["q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
    // --no-clipboard: nothing is copied (the newest buffer is still the digest), the note says so.
    t.type_line("clear");
    t.open_viewer(&format!("--no-clipboard {}", image().display()));
    t.keys(&["y"]);
    t.wait_for("the note", |s| s.contains("clipboard off"));
    assert_eq!(buffer(), digest);
    t.keys(&["q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
    t.assert_terminal_restored();
}

#[test]
fn si_sizes_in_the_viewer_and_the_reports() {
    // The text report: kB and MB, powers of 1000, where it says KiB and MiB without --si.
    let report = |si: bool| {
        let mut cmd = Command::new(BIN);
        cmd.args(["--text", image().to_str().unwrap()]);
        if si {
            cmd.arg("--si");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let (iec, si) = (report(false), report(true));
    assert!(iec.contains(" MiB") && iec.contains(" KiB"), "{iec}");
    assert!(si.contains(" MB") && si.contains(" kB"), "{si}");
    assert!(!si.contains("iB"), "{si}");
    // The same bytes: the image's size line, in both units.
    let size_line = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("Size "))
            .unwrap()
            .to_string()
    };
    assert_ne!(size_line(&iec), size_line(&si));
    if !tmux_available() {
        return;
    }
    let t = Tmux::start("si");
    t.open_viewer(&format!("--si {}", image().display()));
    let s = t.screen();
    assert!(s.contains(" MB") && !s.contains("iB"), "{s}");
    t.keys(&["q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
}

#[test]
fn the_users_config_gives_keys_and_a_bad_one_is_one_line_and_status_2() {
    if !tmux_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("imgscope-e2e-config-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("imgscope")).unwrap();
    let config = dir.join("imgscope/config.toml");
    std::fs::write(
        &config,
        "[keys]\nquit = \"Q\"\n\n[theme]\nname = \"high-contrast\"\n",
    )
    .unwrap();
    let t = Tmux::start("config");
    t.type_line(&format!("export XDG_CONFIG_HOME={}", dir.display()));
    t.open_viewer(&image().display().to_string());
    let s = t.screen();
    assert!(
        s.contains(" Q quit"),
        "the hint bar has the user's key: {s}"
    );
    // q does nothing now; Q quits.
    t.keys(&["q", "?"]);
    let s = t.wait_for("the help", |s| s.contains("Keys · Esc closes"));
    assert!(s.contains("  Q     "), "the help has the user's key: {s}");
    // In the plan view too: its hints name Q, q does not quit there, Q does.
    t.keys(&["Escape", "S"]);
    let s = t.wait_for("the plan view", |s| s.contains("Trim plan"));
    assert!(
        s.contains(" Q quit"),
        "the plan's hint bar has the user's key: {s}"
    );
    t.keys(&["q"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!t.screen().contains("EXITED="), "q quit the plan view");
    t.keys(&["Q"]);
    t.wait_for("the exit status", |s| s.contains("EXITED=0"));
    t.assert_terminal_restored();
    // A bad file: one line naming it and the line, status 2, the terminal never taken.
    std::fs::write(&config, "[keys]\nquit = \"Q\"\nzoom = \"z\"\n").unwrap();
    t.type_line("clear");
    t.type_line(&format!("{BIN} {}; echo EXITED=$?", image().display()));
    let s = t.wait_for("the exit status", |s| {
        s.lines().any(|l| l.starts_with("EXITED="))
    });
    assert!(s.contains("\nEXITED=2"), "{s}");
    // The line wraps at the terminal's width (a space at the wrap is lost from the capture):
    // compare without whitespace.
    let squeeze = |t: &str| t.split_whitespace().collect::<String>();
    assert!(
        squeeze(&s).contains(&squeeze(&format!(
            "imgscope: {} line 3: \"zoom\" is not an action of the key table",
            config.display()
        ))),
        "{s}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
