//! `imgscope report IMAGE --format markdown|html`: the Markdown report snapshotted, the HTML
//! report self-contained (no scripts, no external assets) with its layer bars and file tree, and
//! hostile names escaped in both.

use crate::common::*;

use std::path::{Path, PathBuf};

fn image(dir: &Path) -> PathBuf {
    let layers = vec![
        layer(
            &[
                E::Dir("app/"),
                file("app/server", 4096, 1),
                file("app/static/logo.png", 1024, 2),
                file("tmp/cache.bin", 2048, 3),
                file("app/copy", 1024, 2),
                E::Symlink("app/current", "server"),
            ],
            Comp::Gzip,
            "COPY app /app",
        ),
        layer(
            &[
                E::Marker("tmp/.wh.cache.bin"),
                E::FileMode("app/server".into(), vec![1; 4096], 0o755),
                file("<img src=x onerror=alert(1)>", 7, 4),
                file("esc\u{1b}]52;c;eA==\u{7}name", 3, 5),
            ],
            Comp::None,
            "RUN rm /tmp/cache.bin && chmod +x /app/server # <script>alert(1)</script>",
        ),
    ];
    let path = dir.join("report.tar");
    write_tar(&path, &docker_archive_files(&[("report/app:1", &layers)]));
    path
}

fn report(path: &Path, format: &str) -> String {
    let out = run(&["report", "--format", format, path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn markdown_report_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let md = report(&image(dir.path()), "markdown");
    assert!(!md.contains('\u{1b}') && !md.contains('\u{7}'));
    insta::assert_snapshot!("report_markdown", md);
}

#[test]
fn markdown_is_the_default_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = image(dir.path());
    let out = run(&["report", path.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        report(&path, "markdown")
    );
}

#[test]
fn html_report_is_self_contained_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let html = report(&image(dir.path()), "html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"));
    // No scripts, no external assets: nothing is fetched when the file is opened.
    for forbidden in [
        "<script", "<img", "<link", "<iframe", "http://", "https://", "url(",
    ] {
        assert!(!html.contains(forbidden), "found {forbidden}");
    }
    assert!(!html.contains('\u{1b}') && !html.contains('\u{7}'));
    // The hostile names are shown, escaped.
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(html.contains("esc\\x1b]52;c;eA==\\x07name"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Layer bars: the biggest layer is full width.
    assert_eq!(html.matches("<td class=\"bar\">").count(), 2);
    assert!(html.contains("style=\"width:100.0%\""), "{html}");
    // The tree: directories are collapsible, files listed with their sizes, links with targets.
    assert!(html.contains("<summary><span class=\"size\">6.0 KiB</span>app/</summary>"));
    assert!(html.contains("<span class=\"size\">4.0 KiB</span>server</li>"));
    assert!(html.contains("current <span class=\"kind\">→ server</span>"));
    // A deleted file is not in the final tree, but is in the reclaimable table.
    assert!(!html.contains("cache.bin</li>"));
    assert!(html.contains("<code>/tmp/cache.bin</code>"));
    // Every element opened is closed.
    for tag in [
        "details", "ul", "li", "table", "tr", "td", "summary", "code",
    ] {
        let open =
            html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count();
        let close = html.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}> opened {open}, closed {close}");
    }
}

#[test]
fn both_reports_give_the_images_role_and_why_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // The default image's command is a shell: a shell image.
    let md = report(&image(dir.path()), "markdown");
    assert!(
        md.contains(
            "| Role | shell (its command is the shell /bin/sh: a base, a toolbox or a builder) |"
        ),
        "{md}"
    );
    let html = report(&image(dir.path()), "html");
    assert!(
        html.contains(
            "<tr><th>Role</th><td>shell (its command is the shell /bin/sh: a base, a toolbox or \
             a builder)</td></tr>"
        ),
        "{html}"
    );
    // A command the image does not hold: a service, and the reason names the command, which
    // is the image's to choose.
    let cmd = "/app/<img src=x onerror=alert(1)>|`x` *b* [l](y) @me\u{1b}]52;c;eA==\u{7}";
    let layers = vec![layer(
        &[file("app/server", 10, 1)],
        Comp::None,
        "COPY app /app",
    )];
    let path = dir.path().join("hostile.tar");
    write_tar(
        &path,
        &docker_archive_files_cmd(&[("hostile/app:1", &layers, &[cmd])]),
    );
    let md = report(&path, "markdown");
    let row = md.lines().find(|l| l.starts_with("| Role | ")).expect(&md);
    assert!(
        row.starts_with("| Role | service (runs /app/&lt;img src=x onerror=alert(1)&gt;\\|"),
        "{row}"
    );
    assert!(row.ends_with(", not found in the image) |"), "{row}");
    for raw in ["<", "`x`", "*b*", "[l]", "@me", "\u{1b}", "\u{7}"] {
        assert!(!row.contains(raw), "{raw} in {row}");
    }
    // Three cell borders: the command's `|` is escaped.
    let borders = row
        .char_indices()
        .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
        .count();
    assert_eq!(borders, 3, "{row}");
    let html = report(&path, "html");
    let row = html
        .lines()
        .find(|l| l.starts_with("<tr><th>Role</th>"))
        .expect(&html);
    assert!(
        row.starts_with(
            "<tr><th>Role</th><td>service (runs /app/&lt;img src=x onerror=alert(1)&gt;|"
        ),
        "{row}"
    );
    assert!(row.contains("@me\\x1b]52;c;eA==\\x07"), "{row}");
    assert!(!html.contains("<img") && !html.contains('\u{1b}'), "{row}");
}

#[test]
fn html_tree_is_bounded_for_large_directories() {
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<E> = (0..450)
        .map(|i| file(&format!("many/f{i:03}"), i + 1, 1))
        .collect();
    let layers = vec![layer(&entries, Comp::None, "ADD many /many")];
    let path = dir.path().join("many.tar");
    write_tar(&path, &docker_archive_files(&[("many:1", &layers)]));
    let html = report(&path, "html");
    // 200 children shown (the largest), the other 250 summed up in one line.
    assert!(html.contains("f449</li>"));
    assert!(!html.contains("f000</li>"));
    assert!(html.contains("… 250 more entries"), "{html}");
    let rest: usize = (1..=250).sum();
    assert!(
        html.contains(&format!(
            "<span class=\"size\">{}</span>… 250 more",
            imgscope::text::human_size(rest as u64)
        )),
        "{html}"
    );
}

#[test]
fn report_errors_are_one_line() {
    let out = run(&["report", "--format", "html", "/nonexistent/x.tar"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("imgscope: /nonexistent/x.tar: "), "{err}");
}
