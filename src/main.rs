//! The imgscope binary: parse flags, run, and turn an error into one line and exit status 2.

use std::process::ExitCode;

use clap::Parser;
use imgscope::cli::Cli;
use imgscope::commands::{EXIT_ERROR, run};

fn main() -> ExitCode {
    imgscope::allocator::tune_for_large_arrays();
    let cli = Cli::parse();
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
