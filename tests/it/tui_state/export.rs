//! Exporting a file from the viewer: written atomically with its mode, into a directory under
//! the file's name and through links, failures and cancelling as notes, and asking before
//! overwriting (no is the default).

use super::*;
use imgscope::tui::app::InputKind;

fn type_line(app: &mut App, text: &str) {
    app.update(Action::InputClear);
    type_text(app, text);
}

#[test]
fn export_writes_the_file_atomically_with_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_with(contents());
    app.update(Action::ExpandAll);
    select(&mut app, "/etc/passwd");
    app.update(Action::ExportFile);
    let input = app.input.as_ref().expect("the export line is open");
    assert_eq!(input.kind, InputKind::Export);
    assert_eq!(input.text, "passwd", "the default is the file's name");
    let target = dir.path().join("out.txt");
    type_line(&mut app, target.to_str().unwrap());
    app.update(Action::InputAccept);
    assert!(app.input.is_none());
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .starts_with("exporting /etc/passwd")
    );
    settle(&mut app);
    let note = app.message.clone().unwrap();
    assert!(note.starts_with("exported /etc/passwd to "), "{note}");
    assert!(note.ends_with("(110 B)"), "{note}");
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.ends_with("admin:x:1000:1000::/home/admin:/bin/sh\n"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&target).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644);
    // Nothing else was left in the directory (the temporary file became the target).
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["out.txt"]);
}

#[test]
fn export_into_a_directory_uses_the_name_and_follows_links() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_with(contents());
    // From the content view, on a symlink: the content is the target's, the name the link's.
    view_file(&mut app, "/bin/sh");
    app.update(Action::ExportFile);
    assert_eq!(app.input.as_ref().unwrap().text, "sh");
    type_line(&mut app, dir.path().to_str().unwrap());
    app.update(Action::InputAccept);
    settle(&mut app);
    assert!(app.content.is_some(), "the content view stays open");
    let bytes = std::fs::read(dir.path().join("sh")).unwrap();
    assert!(bytes.starts_with(b"\x7fELF"));
    assert_eq!(bytes.len(), 608);
}

#[test]
fn export_failures_and_cancel_are_notes() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_with(contents());
    app.update(Action::ExpandAll);
    select(&mut app, "/etc/passwd");
    // A destination in a directory that does not exist.
    app.update(Action::ExportFile);
    type_line(&mut app, dir.path().join("missing/out").to_str().unwrap());
    app.update(Action::InputAccept);
    settle(&mut app);
    let note = app.message.clone().unwrap();
    assert!(note.contains("failed"), "{note}");
    assert!(!dir.path().join("missing").exists());
    // An empty destination.
    app.update(Action::ExportFile);
    app.update(Action::InputClear);
    app.update(Action::InputAccept);
    assert_eq!(
        app.message.as_deref(),
        Some("not exported: no destination given")
    );
    // Esc cancels.
    app.update(Action::ExportFile);
    app.update(Action::Escape);
    assert!(app.input.is_none());
    assert_eq!(app.message.as_deref(), Some("export cancelled"));
    assert!(!app.should_quit());
    // Anything but Enter (a click, say) cancels rather than writes.
    app.update(Action::ExportFile);
    app.update(Action::Click { column: 1, row: 1 });
    assert!(app.input.is_none());
    assert!(app.export.is_none());
    assert!(!app.is_busy());
    assert_eq!(app.message.as_deref(), Some("export cancelled"));
    // A directory cannot be exported.
    select(&mut app, "/etc");
    app.update(Action::ExportFile);
    assert!(app.input.is_none());
    let note = app.message.clone().unwrap();
    assert!(
        note.starts_with("cannot export: ") && note.contains("directory"),
        "{note}"
    );
    // A streamed image: the write fails, the viewer goes on.
    let mut app = app_with(streamed(contents()));
    app.update(Action::ExpandAll);
    select(&mut app, "/etc/passwd");
    app.update(Action::ExportFile);
    type_line(&mut app, dir.path().join("x").to_str().unwrap());
    app.update(Action::InputAccept);
    settle(&mut app);
    let note = app.message.clone().unwrap();
    assert!(note.contains("was streamed and not kept"), "{note}");
    assert!(!dir.path().join("x").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn export_asks_before_overwriting_and_no_is_the_default() {
    use crossterm::event::KeyCode;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("passwd");
    std::fs::write(&target, "mine\n").unwrap();
    let mut app = app_with(contents());
    app.update(Action::ExpandAll);
    select(&mut app, "/etc/passwd");
    // Into the directory, where a file of that name is: asked, and every answer but y keeps it.
    for answer in [
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Char('n'),
        KeyCode::Char('q'),
    ] {
        app.update(Action::ExportFile);
        type_line(&mut app, dir.path().to_str().unwrap());
        app.update(Action::InputAccept);
        let input = app.input.as_ref().expect("asked");
        assert_eq!(input.kind, InputKind::Overwrite);
        assert_eq!(input.text, target.display().to_string());
        press(&mut app, answer);
        assert!(app.input.is_none(), "{answer:?}");
        assert!(!app.is_busy(), "{answer:?}: nothing is written");
        assert!(!app.should_quit(), "{answer:?}");
        assert_eq!(
            app.message.as_deref(),
            Some(format!("not exported: {} is kept as it was", target.display()).as_str())
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "mine\n");
    }
    // y overwrites.
    app.update(Action::ExportFile);
    type_line(&mut app, target.to_str().unwrap());
    app.update(Action::InputAccept);
    assert_eq!(app.input.as_ref().unwrap().kind, InputKind::Overwrite);
    press(&mut app, KeyCode::Char('y'));
    settle(&mut app);
    let note = app.message.clone().unwrap();
    assert!(note.starts_with("exported /etc/passwd to "), "{note}");
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("root:x:0:0")
    );
    // A link at the destination is something there too.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink("nowhere", &link).unwrap();
    app.update(Action::ExportFile);
    type_line(&mut app, link.to_str().unwrap());
    app.update(Action::InputAccept);
    assert_eq!(app.input.as_ref().unwrap().kind, InputKind::Overwrite);
    press(&mut app, KeyCode::Char('N'));
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    // A new name is written without a question.
    app.update(Action::ExportFile);
    type_line(&mut app, dir.path().join("new").to_str().unwrap());
    app.update(Action::InputAccept);
    assert!(app.input.is_none());
    settle(&mut app);
    assert!(dir.path().join("new").exists());
}
