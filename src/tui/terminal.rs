//! The terminal's state, always given back: raw mode, the alternate screen and mouse capture are
//! entered once and restored on every way out — a normal return, an error (a guard's `Drop`), a
//! panic (a hook that restores before the message is printed), SIGINT/SIGTERM/SIGHUP (caught as
//! flags the event loop checks, then re-raised after restoring) and Ctrl-Z (restore, stop with
//! SIGTSTP, re-enter on SIGCONT). And the viewer ends when its terminal goes away ([`InputWait`]).

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::panic::{self, PanicHookInfo};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, ThreadId};
use std::time::Duration;

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use signal_hook::SigId;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// Whether the terminal is in the viewer's state (so restoring twice is harmless).
static ACTIVE: AtomicBool = AtomicBool::new(false);

pub fn enter() -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture, Hide)?;
    Ok(())
}

/// Give the terminal back as it was; does nothing if it already is.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, Show);
        let _ = out.flush();
        let _ = disable_raw_mode();
    }
}

/// Restores the terminal when dropped.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

type Hook = dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static;

/// Restores the terminal before a panic of the UI thread is reported. Panics of other threads
/// (the loader and its decoding pool) are caught by the loader and shown in the viewer, so their
/// report would only scribble over the screen: it is dropped. The previous hook comes back when
/// this is dropped.
pub struct PanicHook {
    previous: Arc<Hook>,
}

impl PanicHook {
    pub fn install() -> PanicHook {
        let previous: Arc<Hook> = Arc::from(panic::take_hook());
        let ui: ThreadId = thread::current().id();
        let prev = previous.clone();
        panic::set_hook(Box::new(move |info| {
            if thread::current().id() == ui {
                restore();
                prev(info);
            }
        }));
        PanicHook { previous }
    }
}

impl Drop for PanicHook {
    fn drop(&mut self) {
        let previous = self.previous.clone();
        panic::set_hook(Box::new(move |info| previous(info)));
    }
}

/// Stop the process as Ctrl-Z would in a cooked terminal, and take the terminal back on resume.
pub fn suspend() -> io::Result<()> {
    restore();
    // SIGTSTP's default action stops the process until SIGCONT; then raise returns.
    signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
    enter()
}

/// SIGINT, SIGTERM and SIGHUP caught as a flag, for the event loop to end cleanly.
pub struct Signals {
    caught: Arc<AtomicUsize>,
    ids: Vec<SigId>,
}

/// Whether the viewer's handlers are in place (it dies of a signal itself, once the terminal is
/// restored).
pub static HANDLES_SIGNALS: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

impl Signals {
    pub fn register() -> io::Result<Signals> {
        let caught = Arc::new(AtomicUsize::new(0));
        let mut ids = Vec::new();
        HANDLES_SIGNALS.store(true, Ordering::SeqCst);
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            ids.push(signal_hook::flag::register_usize(
                sig,
                caught.clone(),
                sig as usize,
            )?);
        }
        Ok(Signals { caught, ids })
    }

    /// The signal that arrived, if any.
    pub fn caught(&self) -> Option<i32> {
        match self.caught.load(Ordering::SeqCst) {
            0 => None,
            sig => Some(sig as i32),
        }
    }

    /// Remove the handlers and, if a signal arrived, die of it as if no handler had been there
    /// (the terminal must be restored first).
    pub fn finish(self) {
        HANDLES_SIGNALS.store(false, Ordering::SeqCst);
        let caught = self.caught();
        for id in self.ids {
            signal_hook::low_level::unregister(id);
        }
        if let Some(sig) = caught {
            let _ = signal_hook::low_level::emulate_default_handler(sig);
        }
    }
}

/// What waiting for terminal input found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// Input (or a signal, such as a resize) arrived: crossterm has something to read.
    Ready,
    Timeout,
    /// The terminal hung up (its window or tmux pane closed).
    Gone,
}

/// Waits for terminal input with `poll(2)` before crossterm is asked for events.
///
/// crossterm 0.29 spins forever inside `event::poll`, timeout or not, once the terminal hangs up:
/// its read loop retries on end-of-file (crossterm-rs/crossterm#793). So the viewer waits here,
/// on the same terminal crossterm reads (stdin, or `/dev/tty` when stdin is a pipe), and on stdout
/// for a hang-up, and only calls crossterm, with a zero timeout, when there is input.
pub struct InputWait {
    input: RawFd,
    /// `/dev/tty`, opened when stdin is not the terminal; kept open for `input`.
    _tty: Option<File>,
}

impl InputWait {
    pub fn new() -> InputWait {
        if io::stdin().is_terminal() {
            return InputWait {
                input: libc::STDIN_FILENO,
                _tty: None,
            };
        }
        match File::open("/dev/tty") {
            Ok(tty) => InputWait {
                input: tty.as_raw_fd(),
                _tty: Some(tty),
            },
            // No controlling terminal: watch stdout alone for the hang-up.
            Err(_) => InputWait {
                input: -1,
                _tty: None,
            },
        }
    }

    #[allow(unsafe_code)] // poll(2): std has no way to wait on two descriptors at once.
    pub fn wait(&self, timeout: Duration) -> Waited {
        let mut fds = [
            libc::pollfd {
                fd: self.input,
                events: libc::POLLIN,
                revents: 0,
            },
            // Hang-ups and errors are reported whatever the events asked for.
            libc::pollfd {
                fd: libc::STDOUT_FILENO,
                events: 0,
                revents: 0,
            },
        ];
        let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: `fds` is a valid array of two pollfd for the duration of the call; a negative
        // fd is ignored by poll.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        if n < 0 {
            // EINTR: a signal (a resize, or one the event loop checks); let crossterm look.
            return Waited::Ready;
        }
        let broken = libc::POLLHUP | libc::POLLERR | libc::POLLNVAL;
        if fds.iter().any(|f| f.fd >= 0 && f.revents & broken != 0) {
            Waited::Gone
        } else if n == 0 {
            Waited::Timeout
        } else {
            Waited::Ready
        }
    }
}

impl Default for InputWait {
    fn default() -> Self {
        Self::new()
    }
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard (the `c` selection), base64
/// encoded, so nothing in `text` reaches the terminal as a control character.
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    format!(
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
    )
}

/// Write [`osc52`] of `text` to the terminal.
pub fn copy_to_clipboard(text: &str) -> io::Result<()> {
    let mut out = io::stdout();
    out.write_all(osc52(text).as_bytes())?;
    out.flush()
}
