//! Sharing analysis over many images from layer lists alone (what `--layers-only` feeds it):
//! 1,000 images on 20 bases of 4–8 layers, each with 1–6 layers of its own. Prints the CPU time of
//! `analysis::sharing::analyze` (best and median of 5 runs). Run: `cargo bench --bench sharing`.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use imgscope::analysis::sharing::{ImageFacts, LayerFacts, analyze};

fn facts(images: usize) -> Vec<ImageFacts> {
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let layer = |id: String, size: u64| LayerFacts {
        diff_id: Some(format!("sha256:{id:0>64}")),
        digest: Some(format!("sha256:b{id:0>63}")),
        compressed: size / 2,
        size: None,
        reclaimable: None,
        created_by: format!("RUN step {id}"),
    };
    let bases: Vec<Vec<LayerFacts>> = (0..20)
        .map(|b| {
            let n = 4 + (next() % 5) as usize;
            (0..n)
                .map(|l| layer(format!("base{b}x{l}"), 1_000_000 + next() % 50_000_000))
                .collect()
        })
        .collect();
    (0..images)
        .map(|i| {
            let mut layers = bases[(next() % 20) as usize].clone();
            for l in 0..1 + next() % 6 {
                layers.push(layer(format!("img{i}x{l}"), 10_000 + next() % 20_000_000));
            }
            ImageFacts {
                name: format!("registry.example/app{i}:1"),
                layers,
            }
        })
        .collect()
}

fn main() {
    for n in [100, 1_000, 5_000] {
        let set = facts(n);
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let t = Instant::now();
                let s = analyze(&set);
                std::hint::black_box(&s);
                t.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "sharing::analyze  {n:>5} images  best {:>8.2?}  median {:>8.2?}",
            times[0], times[2]
        );
    }
}
