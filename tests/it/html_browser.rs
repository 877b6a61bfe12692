//! The HTML report in a real browser: Debian's Chromium, headless, loads the report of a sample
//! image from a file (no network: every asset is inline) and the DOM it builds holds the plan and
//! its first action; its screenshot is not blank (decoded here: more colours than a blank page has,
//! and more than the same browser draws for an empty page). Without Chromium the test skips loudly,
//! and fails under CI=true. `scripts/screenshots` writes `screenshots/report-html.png` with it.

use crate::common::services::require;
use crate::common::*;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The HTML report of the sample image, written to `dir/report.html`.
fn sample_report(dir: &Path) -> PathBuf {
    let sample = root().join("sample-images/busybox-app.docker.tar");
    let out = run(&["report", "--format", "html", sample.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join("report.html");
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

/// Run headless Chromium on `page` with `extra` flags (its own profile, no network services);
/// its stdout. Killed after two minutes.
fn chromium(chromium: &Path, page: &Path, extra: &[&str]) -> Vec<u8> {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish in two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "chromium: {status}");
    reader.join().unwrap()
}

/// Distinct pixel values of an 8-bit, non-interlaced PNG (grey, grey+alpha, RGB or RGBA), counted
/// up to 1,000: the rows inflated from the IDAT chunks and unfiltered.
fn png_colours(png: &[u8]) -> usize {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
    let (mut at, mut idat) = (8, Vec::new());
    let (mut width, mut bpp) = (0, 0);
    while at + 8 <= png.len() {
        let len = be(&png[at..]);
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                width = be(data);
                assert_eq!(data[8], 8, "bit depth");
                assert_eq!(data[12], 0, "interlaced");
                bpp = match data[9] {
                    0 => 1,
                    4 => 2,
                    2 => 3,
                    6 => 4,
                    other => panic!("colour type {other}"),
                };
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = width * bpp;
    let mut prev = vec![0u8; stride];
    let mut colours = std::collections::HashSet::new();
    for row in raw.chunks(stride + 1) {
        let (filter, line) = (row[0], &row[1..]);
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= bpp { cur[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            let predicted = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("filter {other}"),
            };
            cur[i] = line[i].wrapping_add(predicted);
        }
        for px in cur.chunks(bpp) {
            colours.insert(px.to_vec());
            if colours.len() >= 1_000 {
                return colours.len();
            }
        }
        prev = cur;
    }
    colours.len()
}

#[test]
fn png_colours_are_counted_from_the_pixels() {
    // 2×2 RGB, rows filtered None and Sub: red, green / red, red → 2 colours.
    use std::io::Write;
    let rows = [0u8, 255, 0, 0, 0, 255, 0, 1, 255, 0, 0, 0, 0, 0];
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&rows).unwrap();
    let idat = z.finish().unwrap();
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0; 4]); // the CRC is not read
        c
    };
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &[0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]));
    png.extend(chunk(b"IDAT", &idat));
    png.extend(chunk(b"IEND", &[]));
    assert_eq!(png_colours(&png), 2);
}

/// Screenshot `page` at 1200×2400 into `out`; its bytes.
fn screenshot(browser: &Path, page: &Path, out: &Path) -> Vec<u8> {
    chromium(
        browser,
        page,
        &[
            "--window-size=1200,2400",
            &format!("--screenshot={}", out.display()),
        ],
    );
    std::fs::read(out).unwrap()
}

#[test]
fn the_html_report_renders_in_a_browser_with_the_plan_first() {
    let Some(browser) = require("chromium") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = sample_report(dir.path());
    // The DOM after load: the plan section, its first action, before the layers.
    let dom = String::from_utf8(chromium(&browser, &page, &["--dump-dom"])).unwrap();
    let plan = dom
        .find("<section class=\"plan\" id=\"plan\">")
        .unwrap_or_else(|| panic!("no plan section in the DOM:\n{dom}"));
    let first = dom
        .find("<tr class=\"action\" id=\"action-1\">")
        .unwrap_or_else(|| panic!("no first action in the DOM:\n{dom}"));
    let layers = dom.find("<h2>Layers</h2>").unwrap();
    assert!(plan < first && first < layers, "{dom}");
    assert!(dom.contains("<h2>Trim plan</h2>"));
    // Nothing the page asked for ran or was fetched: no script element in the DOM either.
    assert!(!dom.contains("<script"), "{dom}");

    // The screenshot shows the page: many colours (text, bars, zebra rows), and a bigger file
    // than the same browser's screenshot of an empty page.
    let shot = screenshot(&browser, &page, &dir.path().join("report.png"));
    let blank_page = dir.path().join("blank.html");
    std::fs::write(&blank_page, "<!DOCTYPE html><html><body></body></html>").unwrap();
    let blank = screenshot(&browser, &blank_page, &dir.path().join("blank.png"));
    assert_eq!(png_colours(&blank), 1, "an empty page is one colour");
    let colours = png_colours(&shot);
    assert!(
        colours > 50,
        "the report's screenshot has {colours} colours"
    );
    assert!(
        shot.len() > 4 * blank.len(),
        "screenshot {} bytes, blank page {} bytes",
        shot.len(),
        blank.len()
    );
}

#[test]
#[ignore = "writes screenshots/; run by scripts/screenshots"]
fn screenshots() {
    let browser = require("chromium").expect("chromium");
    let dir = tempfile::tempdir().unwrap();
    let page = sample_report(dir.path());
    let out = root().join("screenshots/report-html.png");
    screenshot(&browser, &page, &out);
    println!("wrote screenshots/report-html.png");
}
