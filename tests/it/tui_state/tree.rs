//! The file tree of one image: the layer it shows (the filesystem as of that layer), the two
//! modes (aggregated, the layer's own changes) with hidden kinds, expand/collapse, sort; sizes
//! against the analysis, the JSON report and the model's subtree sizes at every layer, and the
//! dive fixture against dive's published numbers.

use super::*;
use imgscope::model::ROOT;
use imgscope::text::human_size;
use imgscope::tui::tree_state::Sort;

#[test]
fn opens_on_the_last_layer_with_the_analysis_sizes() {
    let app = app_with(sample());
    let v = viewer(&app);
    assert_eq!(v.layer, 3);
    assert_eq!(v.mode, Mode::Aggregated);
    assert_eq!(v.sort, Sort::Size);
    // Top level, largest first: usr (2.3 MB), bin, etc, tmp, opt (5 B after the opaque dir),
    // var (0 B: its one file was deleted).
    assert_eq!(
        rows(&app),
        ["0:/usr", "0:/bin", "0:/etc", "0:/tmp", "0:/opt", "0:/var"]
    );
    let lens = v.lens();
    for r in v.tree.rows() {
        assert_eq!(lens.size(r.node), v.analysis().sizes[r.node.index()]);
    }
    assert_eq!(
        lens.size(ROOT),
        v.image().size() - v.analysis().waste.reclaimable_bytes
    );
}

#[test]
fn tree_sizes_agree_with_the_json_report() {
    let loaded = sample();
    let json = json_report(std::slice::from_ref(&loaded));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let app = app_with(loaded);
    let v = viewer(&app);
    let dirs = report["images"][0]["largest_directories"]
        .as_array()
        .unwrap();
    assert!(!dirs.is_empty());
    for d in dirs {
        let path = d["path"].as_str().unwrap();
        let n = v.file_tree().lookup(path).unwrap();
        assert_eq!(
            v.lens().size(n),
            d["size_bytes"].as_u64().unwrap(),
            "{path}"
        );
    }
    let img = &report["images"][0];
    assert_eq!(img["size_bytes"].as_u64().unwrap(), v.image().size());
    for (i, l) in img["layers"].as_array().unwrap().iter().enumerate() {
        let layer = &v.image().layers[i];
        assert_eq!(l["size_bytes"].as_u64().unwrap(), layer.size);
        assert_eq!(
            l["compressed_size_bytes"].as_u64().unwrap(),
            layer.compressed_size
        );
        assert_eq!(
            l["reclaimable_bytes"].as_u64().unwrap(),
            v.analysis().waste.per_layer[i]
        );
        assert_eq!(v.layer_sizes[i].1, human_size(layer.size));
    }
}

#[test]
fn selecting_a_layer_shows_the_filesystem_as_of_it() {
    let mut app = app_with(sample());
    app.focus = Pane::Layers;
    app.update(Action::Up);
    app.update(Action::Up);
    assert_eq!(viewer(&app).layer, 1);
    // At layer 1, /opt/tools still holds the tool and its backup, and /var exists.
    assert!(rows(&app).contains(&"0:/var".to_string()));
    app.update(Action::FocusNext);
    select(&mut app, "/opt");
    app.update(Action::Right);
    app.update(Action::Down);
    app.update(Action::Right);
    assert_eq!(
        rows(&app)
            .iter()
            .filter(|r| r.starts_with("2:"))
            .cloned()
            .collect::<Vec<_>>(),
        ["2:/opt/tools/tool", "2:/opt/tools/tool.bak"]
    );
    let v = viewer(&app);
    let tools = node(&app, "/opt/tools");
    assert_eq!(v.lens().size(tools), 800_000);
    assert_eq!(v.stats().own(tools), ADDED);
    // Back to the top: the opaque directory hid both, and only the README is left.
    app.focus = Pane::Layers;
    app.update(Action::End);
    assert_eq!(viewer(&app).layer, 3);
    let r = rows(&app);
    assert!(r.contains(&"2:/opt/tools/README".to_string()), "{r:?}");
    assert!(
        r.contains(&"2:/opt/tools/tool".to_string()),
        "removed here, shown as such"
    );
    let v = viewer(&app);
    assert_eq!(v.stats().own(node(&app, "/opt/tools/tool")), REMOVED);
    assert_eq!(v.lens().size(node(&app, "/opt/tools/tool")), 400_000);
    assert_eq!(v.lens().size(tools), 5);
}

#[test]
fn changes_mode_shows_only_what_the_layer_did() {
    let mut app = app_with(sample());
    app.focus = Pane::Layers;
    app.update(Action::Up); // layer 2: chmod big.dat, delete pkgcache.bin
    app.update(Action::ToggleMode);
    assert_eq!(viewer(&app).mode, Mode::Changes);
    app.update(Action::ExpandAll);
    assert_eq!(
        rows(&app),
        [
            "0:/usr",
            "1:/usr/lib",
            "2:/usr/lib/big.dat",
            "0:/var",
            "1:/var/cache",
            "2:/var/cache/apt",
            "3:/var/cache/apt/pkgcache.bin"
        ]
    );
    let v = viewer(&app);
    assert_eq!(v.stats().own(node(&app, "/usr/lib/big.dat")), MODIFIED);
    assert_eq!(v.stats().own(node(&app, "/usr")), UNCHANGED);
    // In changes mode a directory's size is what the layer wrote below it.
    assert_eq!(v.lens().size(node(&app, "/usr")), 300_000);
    assert_eq!(
        v.lens().size(node(&app, "/var/cache/apt/pkgcache.bin")),
        250_000
    );
    // Hiding modified entries leaves the removal; hiding removed too leaves nothing.
    app.update(Action::ToggleHidden(MODIFIED));
    assert_eq!(rows(&app)[0], "0:/var");
    app.update(Action::ToggleHidden(REMOVED));
    assert!(rows(&app).is_empty());
    app.update(Action::ToggleHidden(REMOVED));
    app.update(Action::ToggleHidden(MODIFIED));
    assert_eq!(rows(&app).len(), 7);
    // Aggregated again, hiding unchanged entries shows the same changes in the whole tree.
    app.update(Action::ToggleMode);
    app.update(Action::ToggleHidden(UNCHANGED));
    app.update(Action::ExpandAll);
    assert_eq!(rows(&app).len(), 7);
}

#[test]
fn expand_and_collapse_splice_rows_and_keep_the_cursor() {
    let mut app = app_with(sample());
    select(&mut app, "/usr");
    app.update(Action::Toggle);
    assert_eq!(rows(&app)[..2], ["0:/usr", "1:/usr/lib"]);
    app.update(Action::Down);
    app.update(Action::Right); // expand /usr/lib
    assert_eq!(
        rows(&app)[..5],
        [
            "0:/usr",
            "1:/usr/lib",
            "2:/usr/lib/libc.so.6",
            "2:/usr/lib/big.dat",
            "2:/usr/lib/libc.so"
        ]
    );
    app.update(Action::Right); // step into it
    assert_eq!(selected_path(&app), "/usr/lib/libc.so.6");
    app.update(Action::Left); // a file: go to the parent
    assert_eq!(selected_path(&app), "/usr/lib");
    select(&mut app, "/bin");
    app.update(Action::Toggle);
    let before = rows(&app).len();
    select(&mut app, "/usr");
    app.update(Action::Toggle); // collapse /usr with its open subdirectory
    assert_eq!(rows(&app).len(), before - 4);
    assert_eq!(selected_path(&app), "/usr");
    // Re-expanding remembers that /usr/lib was open.
    app.update(Action::Toggle);
    assert_eq!(rows(&app).len(), before);
    app.update(Action::CollapseAll);
    assert_eq!(rows(&app).len(), 6);
    assert_eq!(selected_path(&app), "/usr");
    app.update(Action::ExpandAll);
    assert_eq!(rows(&app).len(), 22, "{:?}", rows(&app));
}

#[test]
fn sort_by_name_or_size() {
    let mut app = app_with(sample());
    app.update(Action::ToggleSort);
    assert_eq!(viewer(&app).sort, Sort::Name);
    assert_eq!(
        rows(&app),
        ["0:/bin", "0:/etc", "0:/opt", "0:/tmp", "0:/usr", "0:/var"]
    );
    select(&mut app, "/etc");
    app.update(Action::Toggle);
    app.update(Action::ToggleSort);
    // The cursor stays on /etc; its children are now largest first.
    assert_eq!(selected_path(&app), "/etc");
    let r = rows(&app);
    let i = r.iter().position(|x| x == "0:/etc").unwrap();
    assert_eq!(r[i + 1..i + 3], ["1:/etc/passwd", "1:/etc/group"]);
}

#[test]
fn the_dive_fixture_matches_its_published_numbers() {
    let Some(loaded) = dive_fixture() else { return };
    let mut app = app_with(loaded);
    let v = viewer(&app);
    assert_eq!(v.layer_count(), 14);
    // dive's numbers for this image: 98.44% efficient; the viewer reads the same analysis.
    assert!((v.analysis().efficiency.score * 100.0 - 98.44).abs() < 0.01);
    // Layer 9 (`rm -rf /root/example/`) removed two files: its changes are removals only.
    app.focus = Pane::Layers;
    app.update(Action::Home);
    for _ in 0..9 {
        app.update(Action::Down);
    }
    app.update(Action::ToggleMode);
    app.update(Action::ExpandAll);
    let r = rows(&app);
    assert_eq!(
        r,
        [
            "0:/root",
            "1:/root/example",
            "2:/root/example/somefile1.txt",
            "2:/root/example/somefile2.txt",
            "2:/root/example/really",
            "3:/root/example/really/nested"
        ]
    );
    let v = viewer(&app);
    assert_eq!(v.stats().own(node(&app, "/root/example")), REMOVED);
    assert_eq!(
        v.lens().size(node(&app, "/root/example")),
        2 * 6405,
        "the bytes removed below it"
    );
}

#[test]
fn layer_sizes_equal_the_models_subtree_sizes_at_every_layer() {
    use imgscope::tui::stats::LayerStats;
    let mut images = vec![sample(), synthetic(3000)];
    images.extend(dive_fixture());
    for loaded in images {
        let tree = &loaded.image.tree;
        let layers = loaded.image.layers.len();
        for layer in 0..layers {
            let last = layer + 1 == layers;
            let stats = LayerStats::compute(tree, layer, last);
            let expected = tree.subtree_sizes(Some(layer));
            for id in (0..tree.node_count()).map(NodeId::from_index) {
                assert_eq!(
                    stats.size(id, &loaded.analysis.sizes),
                    expected[id.index()],
                    "layer {layer}, {}",
                    tree.path(id)
                );
            }
        }
    }
}
