//! Streams (stdin): the same guards hold when the archive arrives as a stream — a bomb layer, and
//! the outer stream's own headers.

use super::*;

/// Run with `input` on stdin; imgscope may stop reading early (an error), which is no failure.
fn feed_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[test]
fn stdin_stream_with_hostile_layers() {
    // The same guards hold when the archive arrives as a stream: a zstd bomb layer and a layer
    // with a 2 MiB GNU long name, each refused with its layer named.
    let bomb = zstd_bomb();
    let dir = tempfile::tempdir().unwrap();
    let p = archive(dir.path(), "bomb-stream.tar", &[bomb]);
    let out = feed_stdin(&["--json", "-"], &std::fs::read(&p).unwrap());
    let err = expect_status_2(&out);
    assert!(
        err.starts_with("imgscope: -: layer 0 (sha256:")
            && err.contains("inflates more than 2000 times"),
        "{err}"
    );
    // The outer stream's own headers are bounded too.
    let out = feed_stdin(&["--json", "-"], &outer_long_name());
    let err = expect_status_2(&out);
    assert!(err.contains("exceed 1048576 bytes"), "{err}");
}
