//! The imgscope binary: parse flags, run, and turn an error into one line and exit status 2.

use std::process::ExitCode;

use clap::Parser;
use imgscope::cli::Cli;
use imgscope::commands::{EXIT_ERROR, run};

fn main() -> ExitCode {
    imgscope::allocator::tune_for_large_arrays();
    let cli = Cli::parse();
    remove_partials_on_signals();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        // The reader went away (`imgscope --json big.tar | head`): nothing more to say to it.
        Err(err)
            if err.chain().any(|e| {
                e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(err) => {
            // `{:#}` joins the context chain on one line: "input: layer 2 (sha256:…): cause".
            // Causes quote the image (tags, paths, names): never let its control characters
            // reach the terminal raw.
            let line = format!("{err:#}");
            eprintln!("imgscope: {}", imgscope::text::escape_control(&line));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// On SIGTERM, SIGINT or SIGHUP, remove the partial cache files this process is writing (a later
/// run would remove them too, as a dead writer's, but nothing else would), then die of the signal
/// as without a handler — unless the viewer, which restores the terminal first, handles it.
fn remove_partials_on_signals() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        for sig in signals.forever() {
            imgscope::cache_dir::remove_own_partials();
            if !imgscope::tui::terminal::HANDLES_SIGNALS.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = signal_hook::low_level::emulate_default_handler(sig);
            }
        }
    });
}
