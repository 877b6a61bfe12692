//! A real registry (Debian's docker-registry on loopback) behind a fault-injecting proxy
//! (`common::services::FaultProxy`): a blob or manifest cut once is resumed and gives the clean
//! report, a `Retry-After` is waited out, a stalled download fails within its no-progress bound
//! naming it, a blob whose bytes were altered is reported as not matching its digest first, and
//! bit flips in any cache file never change a report. Each test skips loudly without the registry
//! (and fails under CI=true).

use crate::common::services::{Fault, FaultProxy, Registry};
use crate::common::*;
use crate::registry::{failed, imgscope, push_layout};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

/// Incompressible bytes, so that a layer of them is a large blob.
fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// A registry holding `faults/app:1`: a large gzip layer and a small plain one. Returns the
/// registry and the large layer's digest.
fn registry_with_image() -> Option<(Registry, String)> {
    let reg = Registry::start("")?;
    let dir = tempfile::tempdir().unwrap();
    let l = vec![
        layer(
            &[
                E::File("noise".into(), noise(2_000_000, 12345)),
                file("etc/a", 3000, 1),
            ],
            Comp::Gzip,
            "A",
        ),
        layer(&[file("b", 5000, 2), file("c", 5000, 2)], Comp::None, "B"),
    ];
    if !push_layout(&reg, dir.path(), "app", &[("amd64", &l)], "faults/app:1") {
        return None;
    }
    Some((reg, sha256(&l[0].blob)))
}

/// The report's JSON text, with the proxy's address written as the registry's (the only
/// difference a clean pull through the proxy may make).
fn report(out: &Output, proxy: u16, reg: &Registry) -> String {
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.replace(&format!("127.0.0.1:{proxy}"), &reg.addr())
}

/// The clean report, straight from the registry with an empty cache.
fn clean_report(reg: &Registry) -> String {
    let cache = tempfile::tempdir().unwrap();
    let out = imgscope(
        cache.path(),
        &["--json", &format!("{}/faults/app:1", reg.addr())],
    );
    report(&out, 0, reg)
}

fn through(proxy: &FaultProxy, cache: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let reference = format!("127.0.0.1:{}/faults/app:1", proxy.port);
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    args.push(&reference);
    let mut cmd = command_in(cache, &args);
    cmd.env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn a_blob_cut_once_is_resumed_with_a_range_and_gives_the_clean_report() {
    let Some((reg, big)) = registry_with_image() else {
        return;
    };
    let clean = clean_report(&reg);
    let blob = format!("/blobs/{big}");
    let cut_once = {
        let blob = blob.clone();
        move |s: &crate::common::services::Seen, before: &[crate::common::services::Seen]| {
            if s.path.ends_with(&blob) && !before.iter().any(|b| b.path.ends_with(&blob)) {
                Fault::CutAfter(700_000)
            } else {
                Fault::Pass
            }
        }
    };
    let proxy = FaultProxy::start(reg.port, cut_once);
    let cache = tempfile::tempdir().unwrap();
    let out = through(&proxy, cache.path(), &[], &[]);
    assert_eq!(report(&out, proxy.port, &reg), clean);
    // The second request asked for the rest only.
    let asked = proxy.requests_to(&blob);
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert_eq!(asked[0].range, None);
    let from: u64 = asked[1]
        .range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("no range asked: {asked:?}"));
    assert_eq!(from, 700_000);
    // The blob entered the cache whole and verified: a second look works from it.
    let again = through(&proxy, cache.path(), &[], &[]);
    assert_eq!(report(&again, proxy.port, &reg), clean);
    assert_eq!(proxy.requests_to(&blob).len(), 2);
}

#[test]
fn a_cut_blob_from_a_registry_that_ignores_ranges_is_read_again_from_the_start() {
    let Some((reg, big)) = registry_with_image() else {
        return;
    };
    let clean = clean_report(&reg);
    let blob = format!("/blobs/{big}");
    let proxy = {
        let blob = blob.clone();
        FaultProxy::start(reg.port, move |s, before| {
            if !s.path.ends_with(&blob) {
                Fault::Pass
            } else if before.iter().any(|b| b.path.ends_with(&blob)) {
                Fault::NoRange
            } else {
                Fault::CutAfter(700_000)
            }
        })
    };
    let cache = tempfile::tempdir().unwrap();
    for extra in [&[][..], &["--no-cache"][..]] {
        let out = through(&proxy, cache.path(), extra, &[]);
        assert_eq!(report(&out, proxy.port, &reg), clean, "{extra:?}");
    }
}

#[test]
fn a_manifest_cut_once_is_asked_for_again() {
    let Some((reg, _)) = registry_with_image() else {
        return;
    };
    let clean = clean_report(&reg);
    let proxy = FaultProxy::start(reg.port, |s, before| {
        if s.path.contains("/manifests/") && !before.iter().any(|b| b.path.contains("/manifests/"))
        {
            Fault::CutAfter(100)
        } else {
            Fault::Pass
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let out = through(&proxy, cache.path(), &[], &[]);
    assert_eq!(report(&out, proxy.port, &reg), clean);
}

#[test]
fn a_blob_cut_every_time_fails_after_the_bounded_attempts_saying_so() {
    let Some((reg, big)) = registry_with_image() else {
        return;
    };
    let blob = format!("/blobs/{big}");
    let proxy = {
        let blob = blob.clone();
        FaultProxy::start(reg.port, move |s, _| {
            if s.path.ends_with(&blob) {
                Fault::CutAfter(100_000)
            } else {
                Fault::Pass
            }
        })
    };
    let cache = tempfile::tempdir().unwrap();
    let out = through(&proxy, cache.path(), &[], &[]);
    let err = failed(&out);
    eprintln!("cut every time: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains(&big) && err.contains("4 attempts over"),
        "{err}"
    );
    assert_eq!(proxy.requests_to(&blob).len(), 4);
    assert!(out.stdout.is_empty());
}

#[test]
fn a_retry_after_of_2_s_is_waited_out() {
    let Some((reg, big)) = registry_with_image() else {
        return;
    };
    let clean = clean_report(&reg);
    for (what, part) in [
        ("manifest", "/manifests/".to_string()),
        ("blob", format!("/blobs/{big}")),
    ] {
        let proxy = {
            let part = part.clone();
            FaultProxy::start(reg.port, move |s, before| {
                if s.path.contains(&part) && !before.iter().any(|b| b.path.contains(&part)) {
                    Fault::Answer(429, vec![("Retry-After".into(), "2".into())])
                } else {
                    Fault::Pass
                }
            })
        };
        let cache = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let out = through(&proxy, cache.path(), &[], &[]);
        let took = started.elapsed();
        assert_eq!(report(&out, proxy.port, &reg), clean, "{what}");
        let asked = proxy.requests_to(&part);
        assert_eq!(asked.len(), 2, "{what}: {asked:?}");
        let waited = asked[1].at - asked[0].at;
        assert!(
            waited >= Duration::from_secs(2) && waited < Duration::from_millis(3500),
            "{what}: retried after {waited:?}"
        );
        eprintln!("{what}: Retry-After 2 s: retried after {waited:?}, the pull took {took:?}");
    }
}

#[test]
fn a_registry_that_keeps_refusing_fails_saying_it_retried() {
    let Some((reg, _)) = registry_with_image() else {
        return;
    };
    for (status, expect) in [(503, "HTTP 503"), (429, "too many requests")] {
        let proxy = FaultProxy::start(reg.port, move |s, _| {
            if s.path.contains("/manifests/") {
                Fault::Answer(status, vec![])
            } else {
                Fault::Pass
            }
        });
        let cache = tempfile::tempdir().unwrap();
        let out = through(&proxy, cache.path(), &[], &[]);
        let err = failed(&out);
        eprintln!("HTTP {status} every time: {err}");
        assert!(
            err.contains(expect) && err.contains("retried: 4 attempts over"),
            "{err}"
        );
        assert_eq!(proxy.requests_to("/manifests/").len(), 4);
    }
}

#[test]
fn a_stalled_blob_fails_within_the_no_progress_bound_naming_it() {
    let Some((reg, big)) = registry_with_image() else {
        return;
    };
    let blob = format!("/blobs/{big}");
    let proxy = {
        let blob = blob.clone();
        FaultProxy::start(reg.port, move |s, _| {
            if s.path.ends_with(&blob) {
                Fault::Drip {
                    after: 300_000,
                    every: Duration::from_secs(20),
                }
            } else {
                Fault::Pass
            }
        })
    };
    let cache = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = through(
        &proxy,
        cache.path(),
        &[],
        &[
            ("IMGSCOPE_REGISTRY_STALL_SECS", "2"),
            ("IMGSCOPE_REGISTRY_TIMEOUT", "1"),
        ],
    );
    let took = started.elapsed();
    let err = failed(&out);
    eprintln!("stalled: {err}");
    assert!(
        err.contains("no data for 2 s") && err.contains(&big),
        "{err}"
    );
    // The bound and a margin for starting the binary on a loaded machine; without the bound the
    // drip would hold the download for minutes.
    assert!(took < Duration::from_secs(8), "{took:?}");
    eprintln!("stall bound 2 s: failed after {took:?}");
}

#[test]
fn a_blob_altered_in_the_registry_is_reported_as_not_matching_its_digest_first() {
    let Some(reg) = Registry::start("") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // A gzip layer of stored (uncompressed) deflate blocks: a byte flipped in the blob is a byte
    // flipped in the tar stream, which the registry keeps as it is (it compresses nothing).
    let tar = layer_tar(&[file("a", 3000, 1), file("b", 3000, 2)]);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    std::io::Write::write_all(&mut enc, &tar).unwrap();
    let l = vec![BuiltLayer {
        diff_id: sha256(&tar),
        blob: enc.finish().unwrap(),
        created_by: "A".into(),
    }];
    if !push_layout(&reg, dir.path(), "one", &[("amd64", &l)], "faults/flip:1") {
        return;
    }
    let digest = sha256(&l[0].blob);
    // A byte of the second entry's name, in its header: the tar checksum trips before the
    // digest is known.
    let path = reg.blob_path(&digest);
    let mut bytes = std::fs::read(&path).unwrap();
    let second_header = 512 + 3072;
    let at = bytes
        .windows(tar.len().min(600))
        .position(|w| w == &tar[..tar.len().min(600)])
        .expect("the tar stream stored as it is")
        + second_header;
    assert_eq!(bytes[at], b'b');
    bytes[at] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();
    for extra in [&[][..], &["--no-cache"][..]] {
        let cache = tempfile::tempdir().unwrap();
        let mut args = vec!["--json"];
        args.extend_from_slice(extra);
        let reference = format!("{}/faults/flip:1", reg.addr());
        args.push(&reference);
        let err = failed(&imgscope(cache.path(), &args));
        eprintln!("altered blob {extra:?}: {err}");
        let mismatch = err.find("does not match its digest");
        assert!(mismatch.is_some() && err.contains(&digest), "{err}");
        // The decoder's own finding comes after.
        let tar = err.find("corrupt tar");
        assert!(tar.is_some() && mismatch < tar, "{err}");
    }
}

/// Every regular file under `dir`, partial files aside.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if !e.file_name().to_string_lossy().starts_with('.') {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn bit_flips_in_any_cache_file_never_change_the_report() {
    let Some((reg, _)) = registry_with_image() else {
        return;
    };
    let clean = clean_report(&reg);
    let reference = format!("{}/faults/app:1", reg.addr());
    let cache = tempfile::tempdir().unwrap();
    let first = imgscope(cache.path(), &["--json", &reference]);
    assert_eq!(report(&first, 0, &reg), clean);
    let files = files_under(&cache.path().join("imgscope"));
    let layers = files
        .iter()
        .filter(|f| f.parent().unwrap().ends_with("layers"))
        .count();
    let blobs = files
        .iter()
        .filter(|f| f.parent().unwrap().ends_with("sha256"))
        .count();
    assert!(layers == 2 && blobs == 2, "{files:?}");
    let mut runs = 0;
    for f in &files {
        let good = std::fs::read(f).unwrap();
        let n = good.len();
        let blob = f.parent().unwrap().ends_with("sha256");
        // The first and last bytes, the header, the checksum, and positions spread over the file.
        let mut positions: Vec<usize> = vec![0, 8, 9, 41, n - 33, n - 32, n - 1];
        positions.extend((1..6).map(|k| k * n / 6));
        // A blob is read only when its layer is not in the layer cache (and each such run
        // downloads it again): half as many positions, with the layer cache emptied.
        let step = if blob { 2 } else { 1 };
        for (k, &pos) in positions.iter().enumerate().step_by(step) {
            if blob {
                let _ = std::fs::remove_dir_all(cache.path().join("imgscope/layers"));
            }
            let mut bad = good.clone();
            bad[pos] ^= 1 << (k % 8);
            std::fs::write(f, &bad).unwrap();
            let out = imgscope(cache.path(), &["--json", "-v", &reference]);
            runs += 1;
            let what = format!("bit {} of byte {pos} of {}", k % 8, f.display());
            assert_eq!(report(&out, 0, &reg), clean, "{what}");
            // Found, removed, rebuilt, and said by -v.
            let said = String::from_utf8_lossy(&out.stderr);
            let note = if blob {
                "its cached blob was damaged"
            } else {
                "checksum mismatch): removed, the layer is decoded again"
            };
            assert!(said.contains(note), "{what}: {said}");
            assert_eq!(std::fs::read(f).unwrap(), good, "{what}: not rebuilt");
        }
    }
    eprintln!("{runs} runs with one flipped bit in a cache file: every report the clean one");
}

/// The partial files under the cache (blobs and analyzed layers).
fn partial_files(cache: &Path) -> Vec<std::path::PathBuf> {
    ["imgscope/blobs/sha256", "imgscope/layers"]
        .iter()
        .filter_map(|d| std::fs::read_dir(cache.join(d)).ok())
        .flat_map(|d| d.flatten().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".partial-")
        })
        .collect()
}

/// Start a pull of the big blob through a proxy that drips it after its first 500 kB, and wait
/// until its partial file is in the cache.
fn pull_under_way(proxy: &FaultProxy, cache: &Path) -> std::process::Child {
    let reference = format!("127.0.0.1:{}/faults/app:1", proxy.port);
    let child = command_in(cache, &["--json", &reference])
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env("IMGSCOPE_REGISTRY_STALL_SECS", "60")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while partial_files(cache).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no partial file appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Some bytes in it, the download stalled in the drip.
    std::thread::sleep(Duration::from_millis(300));
    child
}

fn dripping_proxy(reg: &Registry, big: &str) -> FaultProxy {
    let blob = format!("/blobs/{big}");
    FaultProxy::start(reg.port, move |s, _| {
        if s.path.ends_with(&blob) {
            Fault::Drip {
                after: 500_000,
                every: Duration::from_secs(20),
            }
        } else {
            Fault::Pass
        }
    })
}

/// `cache show`'s or `cache prune`'s line about partial files.
fn partials_line(cache: &Path, action: &str) -> String {
    let out = command_in(cache, &["cache", action]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find(|l| l.contains("partial files"))
        .unwrap_or_else(|| panic!("no partial files line in cache {action}"))
        .to_string()
}

#[test]
fn no_partial_file_survives_sigterm_or_a_later_run_after_kill_9() {
    use std::os::unix::process::ExitStatusExt;
    let Some((reg, big)) = registry_with_image() else {
        return;
    };
    let proxy = dripping_proxy(&reg, &big);
    // SIGTERM (and SIGINT): the process removes its own partial files, then dies of the signal.
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let cache = tempfile::tempdir().unwrap();
        let mut child = pull_under_way(&proxy, cache.path());
        assert!(send_signal(child.id() as i32, signal));
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(signal), "{status:?}");
        assert_eq!(
            partial_files(cache.path()),
            Vec::<std::path::PathBuf>::new()
        );
    }
    // kill -9 leaves one; `cache show` counts it, `cache prune` removes it saying the same.
    let cache = tempfile::tempdir().unwrap();
    let mut child = pull_under_way(&proxy, cache.path());
    child.kill().unwrap();
    child.wait().unwrap();
    let left = partial_files(cache.path());
    assert_eq!(left.len(), 1, "{left:?}");
    let size = std::fs::metadata(&left[0]).unwrap().len();
    assert!(size >= 100_000, "{size}");
    let shown = partials_line(cache.path(), "show");
    assert!(shown.starts_with("1 partial files, "), "{shown}");
    assert!(shown.contains("0 being written now"), "{shown}");
    let pruned = partials_line(cache.path(), "prune");
    assert_eq!(pruned, format!("removed {shown}"));
    assert!(partial_files(cache.path()).is_empty());
    assert!(partials_line(cache.path(), "show").starts_with("0 partial files, "));
    // While a pull is under way, its partial file is live: show counts it so, prune leaves it.
    let mut child = pull_under_way(&proxy, cache.path());
    let shown = partials_line(cache.path(), "show");
    assert!(
        shown.starts_with("0 partial files, ") && shown.contains("; 1 being written now"),
        "{shown}"
    );
    assert_eq!(
        partials_line(cache.path(), "prune"),
        format!("removed {shown}")
    );
    assert_eq!(partial_files(cache.path()).len(), 1);
    // Killed -9: the next run removes the dead writer's file, even one that writes no blob (a
    // local archive)…
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(partial_files(cache.path()).len(), 1);
    let archive = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-images/busybox-app.oci.tar");
    let out = imgscope(cache.path(), &["--json", archive.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        partial_files(cache.path()),
        Vec::<std::path::PathBuf>::new()
    );
    // … and one that pulls.
    let mut child = pull_under_way(&proxy, cache.path());
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(partial_files(cache.path()).len(), 1);
    let out = imgscope(
        cache.path(),
        &["--json", &format!("{}/faults/app:1", reg.addr())],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        partial_files(cache.path()),
        Vec::<std::path::PathBuf>::new()
    );
}

/// A tmpfs of `size` mounted at a new temporary directory, unmounted when dropped; None after a
/// loud skip where it cannot be had (not root, no mount), a failure under CI=true.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        // SAFETY: geteuid has no preconditions.
        #[allow(unsafe_code)]
        let root = unsafe { libc::geteuid() } == 0;
        let mounted = root
            && std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
        if !mounted {
            let why = if root {
                "mount -t tmpfs failed"
            } else {
                "not root"
            };
            if ci {
                panic!("{why}, and CI=true: the full-disk test must run");
            }
            eprintln!("SKIPPED: {why}: a full tmpfs cannot be mounted for the cache");
            return None;
        }
        Some(Tmpfs { dir })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn a_cache_on_a_full_small_tmpfs_still_gives_the_right_report() {
    let Some((reg, _)) = registry_with_image() else {
        return;
    };
    let clean = clean_report(&reg);
    let reference = format!("{}/faults/app:1", reg.addr());
    let Some(fs) = Tmpfs::mount("1m") else {
        return;
    };
    let cache = fs.dir.path();
    // The report is right; a run that could not keep something says so in one warning line.
    let check = |when: &str, warned: usize| {
        let out = imgscope(cache, &["--json", &reference]);
        assert_eq!(report(&out, 0, &reg), clean, "{when}");
        let err = String::from_utf8_lossy(&out.stderr);
        let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
        assert_eq!(warnings.len(), warned, "{when}: {err}");
        assert!(
            warnings
                .iter()
                .all(|w| w.contains("--no-cache") && w.contains("imgscope cache prune")),
            "{when}: {err}"
        );
        assert!(partial_files(cache).is_empty(), "{when}");
    };
    // Room for less than the big blob: it is not kept, the report is right.
    check("a 1 MiB cache", 1);
    // The analyzed layers were kept: the next run needs no blob, and writes nothing.
    check("the next run", 0);
    // Not a byte free, nothing cached: nothing can be kept at all, run after run.
    std::fs::remove_dir_all(cache.join("imgscope")).unwrap();
    let filler = cache.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while std::io::Write::write_all(&mut f, &chunk).is_ok() {}
    drop(f);
    check("a full cache", 1);
    check("the next run on a full cache", 1);
}
