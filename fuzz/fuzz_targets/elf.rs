//! Bytes → `imgscope::decode::elf`: the streamed ELF summary (fed in chunks of a size taken from
//! the input) and the same summary by positioned reads. A file of an image is hostile: neither may
//! panic, the lists stay within their caps, and when the stream says it saw everything, both agree.

#![no_main]

use imgscope::decode::elf::{ElfCapture, read_elf_info};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&step, file)) = data.split_first() else {
        return;
    };
    let step = usize::from(step).max(1) * 7;
    let mut capture = ElfCapture::new(file.len() as u64);
    for chunk in file.chunks(step) {
        if !capture.wants_more() {
            break;
        }
        capture.feed(chunk);
    }
    let streamed = capture.finish();
    let read = read_elf_info(file.len() as u64, |at, buf| {
        let at = (at as usize).min(file.len());
        let n = buf.len().min(file.len() - at);
        buf[..n].copy_from_slice(&file[at..at + n]);
        Ok(n)
    })
    .expect("reading from memory does not fail");
    for info in [&streamed, &read].into_iter().flatten() {
        assert!(info.needed.len() <= 1024);
        let strings = info.needed.iter().chain(&info.runpath).chain(&info.rpath);
        assert!(strings.into_iter().all(|s| s.len() <= 4096));
    }
    if let (Some(s), Some(r)) = (&streamed, &read)
        && s.complete
    {
        assert_eq!(s, r);
    }
});
