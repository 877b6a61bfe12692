//! Readers that keep a hostile stream bounded: [`Inflated`] stops a decompressed stream that grows
//! past an absolute cap or inflates more than gzip ever can (a decompression bomb), and
//! [`HeaderBudget`] caps what the `tar` crate reads — and keeps in memory — between two entries
//! (GNU long names and links, PAX records, sparse maps). Both fail with a [`LimitError`] that the
//! decoder reports as it is. [`NamesBudget`] is the one limit shared by the layers of an image while
//! they decode in parallel: the bytes of paths and link targets they keep, so that many layers each
//! under its own limit cannot add up to gigabytes of names in memory (or in the layer cache).

use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicU64, Ordering};

/// A limit was exceeded; the message names it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct LimitError(pub String);

impl LimitError {
    pub fn io(message: String) -> io::Error {
        io::Error::other(LimitError(message))
    }

    /// The limit error carried by an I/O error, if it carries one.
    pub fn from_io(err: &io::Error) -> Option<&LimitError> {
        err.get_ref().and_then(|e| e.downcast_ref::<LimitError>())
    }
}

/// Counts bytes as they pass, into a total (read by [`Inflated`] while a decoder holds the
/// stream) and, if given, a progress counter.
pub struct Counted<'c, R> {
    pub inner: R,
    pub total: &'c AtomicU64,
    pub progress: Option<&'c AtomicU64>,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(progress) = self.progress {
            progress.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// A decompressed stream, checked as it is read against an absolute cap and against a ratio to
/// the compressed bytes read so far (`compressed`, kept by whoever reads the compressed side).
pub struct Inflated<'c, R> {
    pub inner: R,
    /// Decompressed bytes read so far.
    pub total: u64,
    pub compressed: &'c AtomicU64,
    /// What is being inflated, for messages ("layer", "archive").
    pub what: &'static str,
    pub max_bytes: u64,
    /// 0: no ratio check (an uncompressed stream).
    pub max_ratio: u64,
    /// Bytes allowed before the ratio is checked (tiny blobs legitimately inflate a lot).
    pub ratio_grace: u64,
}

impl<R: Read> Read for Inflated<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        if self.total > self.max_bytes {
            return Err(LimitError::io(format!(
                "{} exceeds {} bytes uncompressed (the limit)",
                self.what, self.max_bytes
            )));
        }
        if self.max_ratio > 0 && self.total > self.ratio_grace {
            let compressed = self.compressed.load(Ordering::Relaxed).max(1);
            if self.total > compressed.saturating_mul(self.max_ratio) {
                return Err(LimitError::io(format!(
                    "{} inflates more than {} times its compressed size of {compressed} bytes \
                     (a decompression bomb?)",
                    self.what, self.max_ratio
                )));
            }
        }
        Ok(n)
    }
}

/// Counts the bytes read while `left` is `Some` and fails once they exceed it. The tar walker
/// sets it before asking the `tar` crate for the next entry, and clears it while it reads the
/// entry's content itself (streamed, never held).
pub struct HeaderBudget<'b, R> {
    pub inner: R,
    pub left: &'b Cell<Option<u64>>,
    /// The limit, for the message.
    pub limit: u64,
}

impl<R: Read> Read for HeaderBudget<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(left) = self.left.get() {
            match left.checked_sub(n as u64) {
                Some(rest) => self.left.set(Some(rest)),
                None => {
                    return Err(LimitError::io(format!(
                        "a tar entry's headers (long names, PAX records, sparse map) exceed {} \
                         bytes (the limit)",
                        self.limit
                    )));
                }
            }
        }
        Ok(n)
    }
}

impl<R: Seek> Seek for HeaderBudget<'_, R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.inner.seek(to)
    }
}

/// Bytes of names (paths, link targets) an image's layers may keep together, taken as each entry
/// is decoded — by every decoder of the image at once — and given back by a decode that fails.
#[derive(Debug)]
pub struct NamesBudget {
    used: AtomicU64,
    max: u64,
    /// What the budget covers, for the message ("image", "stream").
    what: &'static str,
}

impl NamesBudget {
    pub fn new(max: u64, what: &'static str) -> NamesBudget {
        NamesBudget {
            used: AtomicU64::new(0),
            max,
            what,
        }
    }

    /// Take `n` bytes; fails (taking nothing) once the total would pass the limit.
    pub fn take(&self, n: u64) -> Result<(), LimitError> {
        let before = self.used.fetch_add(n, Ordering::Relaxed);
        if before.saturating_add(n) > self.max {
            self.used.fetch_sub(n, Ordering::Relaxed);
            return Err(LimitError(format!(
                "the {}'s layers' paths and link targets add up to more than {} bytes together \
                 (the limit)",
                self.what, self.max
            )));
        }
        Ok(())
    }

    /// Give back `n` bytes taken by a decode that did not keep them.
    pub fn give_back(&self, n: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(n))
            });
    }

    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflated_stops_at_the_cap_and_at_the_ratio() {
        let compressed = AtomicU64::new(10);
        let mut capped = Inflated {
            inner: io::repeat(0).take(1000),
            total: 0,
            compressed: &compressed,
            what: "layer",
            max_bytes: 100,
            max_ratio: 0,
            ratio_grace: 0,
        };
        let err = io::copy(&mut capped, &mut io::sink()).unwrap_err();
        assert!(
            LimitError::from_io(&err)
                .unwrap()
                .0
                .contains("exceeds 100 bytes")
        );
        let mut ratio = Inflated {
            inner: io::repeat(0).take(1000),
            total: 0,
            compressed: &compressed,
            what: "layer",
            max_bytes: u64::MAX,
            max_ratio: 50,
            ratio_grace: 100,
        };
        let err = io::copy(&mut ratio, &mut io::sink()).unwrap_err();
        assert!(LimitError::from_io(&err).unwrap().0.contains("50 times"));
        let mut fine = Inflated {
            inner: io::repeat(0).take(400),
            total: 0,
            compressed: &compressed,
            what: "layer",
            max_bytes: 400,
            max_ratio: 50,
            ratio_grace: 100,
        };
        assert_eq!(io::copy(&mut fine, &mut io::sink()).unwrap(), 400);
    }

    #[test]
    fn names_budget_is_shared_and_given_back() {
        let b = NamesBudget::new(100, "image");
        b.take(60).unwrap();
        let err = b.take(41).unwrap_err();
        assert!(
            err.0.contains("image's layers") && err.0.contains("100 bytes"),
            "{err}"
        );
        assert_eq!(b.used(), 60);
        b.give_back(60);
        b.take(100).unwrap();
    }

    #[test]
    fn header_budget_counts_only_while_set() {
        let left = Cell::new(None);
        let mut r = HeaderBudget {
            inner: io::repeat(1).take(10_000),
            left: &left,
            limit: 100,
        };
        let mut buf = [0u8; 64];
        r.read_exact(&mut buf).unwrap();
        left.set(Some(100));
        r.read_exact(&mut buf).unwrap();
        assert_eq!(left.get(), Some(36));
        assert!(r.read_exact(&mut buf).is_err());
    }
}
