//! Hashing a streamed layer's large files on a thread of their own. Inflating a layer is one
//! core's work; hashing what it inflates (BLAKE3) inline adds a fifth to it. When the layer's
//! chunks go to a second thread instead, both run at once: an image whose time is its largest
//! layer's loads in about the time of that layer's inflate alone. Small files are hashed inline,
//! where handing them over would cost more than hashing them; so are all files while every core
//! already decodes a layer of its own, where handing over would only add the cost of waking the
//! other thread (94,000 context switches, a tenth of the CPU, on the 8-layer bench image).

use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::model::ContentHash;

/// Files up to this size are hashed on the decoding thread.
pub const INLINE_MAX: u64 = 16 * 1024;
/// Bytes per chunk handed over, and chunks in flight (bounded memory: 2 MiB per layer).
const CHUNK: usize = 128 * 1024;
const IN_FLIGHT: usize = 16;

enum Message {
    /// A chunk of the current file: the buffer and how much of it is filled.
    Chunk(Vec<u8>, usize),
    /// The file whose chunks came before is complete; its hash belongs to entry `index`.
    End(u32),
}

/// Layers being decoded with their contents hashed, in the whole process.
static DECODING: AtomicUsize = AtomicUsize::new(0);

/// Counts a layer as being decoded while it lives.
pub struct Decoding(());

impl Decoding {
    pub fn enter() -> Decoding {
        DECODING.fetch_add(1, Ordering::Relaxed);
        Decoding(())
    }
}

impl Drop for Decoding {
    fn drop(&mut self) {
        DECODING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The sending side, used by the decoding thread. Buffers come back from the hashing thread to
/// be filled again, so none is allocated (or zeroed) per chunk.
pub struct HashPipe {
    tx: SyncSender<Message>,
    free: Receiver<Vec<u8>>,
    cores: usize,
}

impl HashPipe {
    /// Start the hashing thread in `scope` for a machine of `cores` cores; its handle yields
    /// `(entry index, hash)` per file.
    pub fn start<'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        cores: usize,
    ) -> (
        HashPipe,
        std::thread::ScopedJoinHandle<'scope, Vec<(u32, ContentHash)>>,
    ) {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let (give_back, free) = sync_channel(IN_FLIGHT + 2);
        let handle = scope.spawn(move || hash_all(rx, give_back));
        (HashPipe { tx, free, cores }, handle)
    }

    /// Whether a core is free to hash: fewer layers are being decoded than there are cores.
    pub fn core_idle(&self) -> bool {
        DECODING.load(Ordering::Relaxed) < self.cores
    }

    /// Hand over a file's content, read from `src` to its end (`size` is what the file
    /// declares); its hash will belong to entry `index`. Returns the bytes read.
    pub fn file(
        &self,
        src: &mut impl Read,
        size: u64,
        index: u32,
        observe: &mut impl FnMut(&[u8]),
    ) -> io::Result<u64> {
        let mut total = 0u64;
        loop {
            let mut chunk = self.free.try_recv().unwrap_or_else(|_| vec![0u8; CHUNK]);
            let want = size.saturating_sub(total).clamp(1, CHUNK as u64) as usize;
            let filled = super::read_up_to(src, &mut chunk[..want])?;
            if filled == 0 {
                break;
            }
            total += filled as u64;
            let last = filled < want || total >= size;
            observe(&chunk[..filled]);
            self.send(Message::Chunk(chunk, filled))?;
            if last {
                break;
            }
        }
        self.send(Message::End(index))?;
        Ok(total)
    }

    fn send(&self, message: Message) -> io::Result<()> {
        self.tx
            .send(message)
            .map_err(|_| io::Error::other("the hashing thread stopped"))
    }
}

fn hash_all(rx: Receiver<Message>, give_back: SyncSender<Vec<u8>>) -> Vec<(u32, ContentHash)> {
    let mut out = Vec::new();
    let mut hasher = blake3::Hasher::new();
    for message in rx {
        match message {
            Message::Chunk(chunk, filled) => {
                hasher.update(&chunk[..filled]);
                // A full return queue only means enough buffers are about.
                let _ = give_back.try_send(chunk);
            }
            Message::End(index) => {
                let mut short = [0u8; 16];
                short.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
                out.push((index, short));
                hasher.reset();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_inline_hashing_in_order() {
        let files: Vec<Vec<u8>> = vec![
            vec![1; 10],
            (0..300_000u32).map(|i| (i % 251) as u8).collect(),
            vec![],
            vec![7; CHUNK],
        ];
        let got = std::thread::scope(|scope| {
            let (pipe, handle) = HashPipe::start(scope, 2);
            for (i, f) in files.iter().enumerate() {
                let read = pipe
                    .file(&mut &f[..], f.len() as u64, i as u32, &mut |_| {})
                    .unwrap();
                assert_eq!(read, f.len() as u64);
            }
            drop(pipe);
            handle.join().unwrap()
        });
        let want: Vec<(u32, ContentHash)> = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut short = [0u8; 16];
                short.copy_from_slice(&blake3::hash(f).as_bytes()[..16]);
                (i as u32, short)
            })
            .collect();
        assert_eq!(got, want);
    }
}
