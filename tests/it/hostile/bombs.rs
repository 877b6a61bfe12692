//! Decompression bombs: gzip and zstd layers that inflate past the layer cap or the ratio, a
//! compressed image archive that does (its spool removed), and a spool that leaves nothing behind
//! when imgscope is interrupted or terminated.

use super::*;

#[test]
fn gzip_bomb_stops_at_the_layer_cap() {
    // 4 MiB of zeros in one file: 4 KiB of gzip, four times the (lowered) cap.
    let tar = end(entry(header(b"zeros", b'0', 4 << 20), &vec![0u8; 4 << 20]));
    let blob = gzip_of(&tar);
    assert!(blob.len() < 8 * 1024, "{}", blob.len());
    // Refused from the header's size, before inflating the content.
    let err = decode_error(&blob);
    assert_eq!(err, "layer exceeds 1048576 bytes uncompressed (the limit)");
    // Many small files: the same limit, as their bytes come.
    let many: Vec<u8> = (0..64)
        .flat_map(|i| entry(header(format!("z{i}").as_bytes(), b'0', 0), &[]))
        .chain(vec![0u8; 2 << 20])
        .collect();
    let err = decode_error(&gzip_of(&many));
    assert_eq!(err, "layer exceeds 1048576 bytes uncompressed (the limit)");
    // The same bytes after the end of the archive are drained, and capped, too.
    let mut trailer = end(Vec::new());
    trailer.resize(4 << 20, 0);
    let err = decode_error(&gzip_of(&trailer));
    assert_eq!(err, "layer exceeds 1048576 bytes uncompressed (the limit)");
    // Under the cap the same layer is analyzed exactly.
    let ok = decode_with(&blob, Limits::default()).unwrap();
    assert_eq!(ok.entries.len(), 1);
    assert_eq!(ok.content_bytes(), 4 << 20);
    assert_eq!(ok.tar_bytes, tar.len() as u64);
    assert_eq!(ok.blob_bytes, blob.len() as u64);
}

#[test]
fn zstd_bomb_stops_at_the_ratio_gzip_never_does() {
    // 8 MiB of zeros after an empty archive: 1.3 KB of zstd, a ratio of 6,000.
    let bomb = zstd_rle(&[0u8; 1024], 64);
    assert!(bomb.len() < 1400, "{}", bomb.len());
    let limits = Limits {
        max_layer_bytes: 1 << 30,
        ..small_limits()
    };
    let err = decode_with(&bomb, limits).unwrap_err().to_string();
    assert!(
        err.starts_with("layer inflates more than 2000 times its compressed size"),
        "{err}"
    );
    // gzip cannot go past ~1032:1, so the ratio never stops a gzip layer, even all zeros.
    let mut zeros = end(Vec::new());
    zeros.resize(8 << 20, 0);
    let gz = gzip_of(&zeros);
    assert!(zeros.len() / gz.len() > 900, "{}", zeros.len() / gz.len());
    let ok = decode_with(&gz, limits).unwrap();
    assert_eq!(ok.entries.len(), 0);
    assert_eq!(ok.tar_bytes, 8 << 20);
}

#[test]
fn zstd_bomb_with_the_default_limits() {
    // 1.25 GiB of zeros in 40 KiB: past the default grace of 1 GiB the ratio (2000) stops it.
    let dir = tempfile::tempdir().unwrap();
    let bomb = zstd_bomb();
    let p = archive(dir.path(), "zstd-bomb.tar", &[bomb]);
    let err = expect_json_error(
        &p,
        "zstd-bomb.tar",
        "inflates more than 2000 times its compressed size",
    );
    assert!(err.contains(": layer 0 (sha256:"), "{err}");
    assert!(err.contains("decompression bomb"), "{err}");
}

#[test]
fn compressed_archive_bomb_is_refused_and_its_spool_removed() {
    // `docker save | zstd` whose stream inflates 1.25 GiB of zeros: refused past the ratio's grace
    // (1 GiB spooled), and the temporary copy removed.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("archive-bomb.tar.zst");
    std::fs::write(&p, zstd_rle(&[0u8; 1024], 10_240)).unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let out = std::process::Command::new(bin())
        .args(["--json", p.to_str().unwrap()])
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    let err = expect_status_2(&out);
    assert!(
        err.contains("archive-bomb.tar.zst: the archive inflates more than 2000 times"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0, "spool left");
}

/// A compressed archive being unpacked when imgscope is interrupted (Ctrl-C) or terminated
/// leaves nothing behind in the temporary directory: the spool has no name from the start.
#[test]
fn a_spool_leaves_nothing_behind_on_sigint_or_sigterm() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    // 1000 MiB of zeros in a few kilobytes of zstd: under the ratio's 1 GiB grace, so it spools.
    let p = dir.path().join("slow.tar.zst");
    std::fs::write(&p, zstd_rle(&[0u8; 1024], 8000)).unwrap();
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let tmp = dir.path().join(format!("tmp-{signal}"));
        std::fs::create_dir(&tmp).unwrap();
        let mut child = std::process::Command::new(bin())
            .args(["--json", "--no-cache", p.to_str().unwrap()])
            .env("TMPDIR", &tmp)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until it holds a file in `tmp` open: the spool, being written.
        let fds = format!("/proc/{}/fd", child.id());
        let start = std::time::Instant::now();
        let spooling = loop {
            let holds = std::fs::read_dir(&fds)
                .into_iter()
                .flatten()
                .flatten()
                .any(|fd| {
                    std::fs::read_link(fd.path()).is_ok_and(|target| target.starts_with(&tmp))
                });
            if holds || start.elapsed() > std::time::Duration::from_secs(30) {
                break holds;
            }
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        };
        assert!(spooling, "never saw the spool being written");
        send_signal(child.id() as i32, signal);
        let status = child.wait().unwrap();
        assert!(
            status.signal() == Some(signal) || status.code() == Some(128 + signal),
            "{status:?}"
        );
        let left: Vec<_> = std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(
            left.is_empty(),
            "left behind after signal {signal}: {left:?}"
        );
    }
}
