//! The terminal's state, always given back: raw mode, the alternate screen and mouse capture are
//! entered once and restored on every way out — a normal return, an error (a guard's `Drop`), a
//! panic (a hook that restores before the message is printed), SIGINT/SIGTERM/SIGHUP (caught as
//! flags the event loop checks, then re-raised after restoring) and Ctrl-Z (restore, stop with
//! SIGTSTP, re-enter on SIGCONT).

use std::io::{self, Write};
use std::panic::{self, PanicHookInfo};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, ThreadId};

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
    // SAFETY: raise() only sends a signal to this process; SIGTSTP's default action stops it
    // until SIGCONT, then raise returns.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    enter()
}

/// SIGINT, SIGTERM and SIGHUP caught as a flag, for the event loop to end cleanly.
pub struct Signals {
    caught: Arc<AtomicUsize>,
    ids: Vec<SigId>,
}

impl Signals {
    pub fn register() -> io::Result<Signals> {
        let caught = Arc::new(AtomicUsize::new(0));
        let mut ids = Vec::new();
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
        let caught = self.caught();
        for id in self.ids {
            signal_hook::low_level::unregister(id);
        }
        if let Some(sig) = caught {
            let _ = signal_hook::low_level::emulate_default_handler(sig);
        }
    }
}
