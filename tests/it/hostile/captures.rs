//! Captured file contents (package databases) across layers: a later layer's version of a file
//! hides the earlier one, whose capture is dropped while loading, so sixteen layers each
//! rewriting the same database hold one copy, not sixteen.

use super::*;

#[test]
fn a_database_rewritten_by_every_layer_is_kept_once() {
    let dir = tempfile::tempdir().unwrap();
    let layers: Vec<BuiltLayer> = (0..16u8)
        .map(|i| {
            let mut status = String::new();
            status.push_str(&format!(
                "Package: p{i}\nStatus: install ok installed\nVersion: {i}\nDescription: p\n"
            ));
            // A long folded field: half a megabyte of status per layer.
            status.push_str(&" padding\n".repeat(50_000));
            layer(
                &[
                    E::File("var/lib/dpkg/status".into(), status.into_bytes()),
                    E::File(format!("var/lib/dpkg/info/p{i}.list"), b"/x\n".to_vec()),
                ],
                Comp::Gzip,
                "RUN apt-get install",
            )
        })
        .collect();
    let path = docker_archive(dir.path(), "captures.tar", "hostile/captures:1", &layers);
    let options = imgscope::pipeline::load::LoadOptions::default();
    let loaded = imgscope::pipeline::load::load(
        path.to_str().unwrap(),
        &options,
        &imgscope::pipeline::load::Progress::default(),
    )
    .unwrap();
    let image = &loaded.image;
    let status = image
        .tree
        .lookup("/var/lib/dpkg/status")
        .expect("the status file");
    // The final status is read (the last layer's package), and it is the only status kept: the
    // fifteen earlier copies (500 KB each) were dropped as later layers hid them.
    let text = image.final_capture(status).and_then(|c| c.text()).unwrap();
    assert!(text.starts_with(b"Package: p15\n"));
    let texts: usize = image
        .captured
        .iter()
        .filter(|(_, c)| c.text().is_some())
        .count();
    // One status and sixteen .list files.
    assert_eq!(texts, 1 + 16, "{texts}");
    assert_eq!(loaded.analysis.packages.packages.len(), 1);
    assert_eq!(loaded.analysis.packages.packages[0].name, "p15");
}
