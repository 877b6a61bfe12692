//! Layer blob decompression chosen by the blob's first bytes, never by its declared media type
//! (registries and tools mislabel layers; the bytes do not lie).
//!
//! gzip uses a multi-member decoder (estargz and pigz write several members); zstd's streaming
//! decoder reads every frame and skips skippable frames (zstd:chunked writes both).

use std::io::{self, Read};

use anyhow::{Result, bail};

use crate::model::Compression;

const PEEK: usize = 512;

/// What the first bytes of a blob say it is.
pub fn sniff(head: &[u8]) -> Result<Compression> {
    match head {
        [0x1f, 0x8b, ..] => Ok(Compression::Gzip),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Ok(Compression::Zstd),
        // zstd skippable frame: magic 0x184D2A50..=0x184D2A5F, little endian.
        [b, 0x2a, 0x4d, 0x18, ..] if b & 0xf0 == 0x50 => Ok(Compression::Zstd),
        [b'B', b'Z', b'h', ..] => bail!("unsupported compression: bzip2"),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => bail!("unsupported compression: xz"),
        [0x04, 0x22, 0x4d, 0x18, ..] => bail!("unsupported compression: lz4"),
        [] => bail!("layer blob is empty"),
        _ if looks_like_tar(head) => Ok(Compression::None),
        _ => bail!("layer is not a tar stream (nor gzip or zstd compressed)"),
    }
}

/// A tar stream starts with a header block whose checksum is right, or with a zero block (an
/// empty archive).
fn looks_like_tar(head: &[u8]) -> bool {
    if head.len() < 512 {
        return false;
    }
    let block = &head[..512];
    if block.iter().all(|b| *b == 0) {
        return true;
    }
    if &block[257..262] == b"ustar" {
        return true;
    }
    // v7 tar: no magic; check the header checksum.
    let stored = std::str::from_utf8(&block[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let sum: u32 = block[..148]
        .iter()
        .chain(&block[156..])
        .map(|b| *b as u32)
        .sum::<u32>()
        + 8 * 32;
    stored == Some(sum)
}

/// Read up to `PEEK` bytes without losing them: returns them and a reader that yields the whole
/// stream again.
fn peek<'a>(mut inner: impl Read + Send + 'a) -> io::Result<(Vec<u8>, impl Read + Send + 'a)> {
    let mut head = vec![0u8; PEEK];
    let mut filled = 0;
    while filled < PEEK {
        match inner.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    head.truncate(filled);
    Ok((head.clone(), io::Cursor::new(head).chain(inner)))
}

/// Wrap a blob stream in the right decoder. The tar stream comes out.
pub fn decompress<'a>(
    blob: impl Read + Send + 'a,
) -> Result<(Compression, Box<dyn Read + Send + 'a>)> {
    let (head, stream) = peek(blob)?;
    let compression = sniff(&head)?;
    let reader: Box<dyn Read + Send + 'a> = match compression {
        Compression::None => Box::new(stream),
        // The `bufread` decoder inflates straight from this buffer (the `read` one would copy
        // every compressed byte once more, into a buffer of its own).
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(
            io::BufReader::with_capacity(256 * 1024, stream),
        )),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(
            io::BufReader::with_capacity(256 * 1024, stream),
        )?),
    };
    Ok((compression, reader))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magic_bytes() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]).unwrap(), Compression::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd]).unwrap(), Compression::Zstd);
        assert_eq!(
            sniff(&[0x5e, 0x2a, 0x4d, 0x18, 0, 0, 0, 0]).unwrap(),
            Compression::Zstd
        );
        assert_eq!(sniff(&[0u8; 1024]).unwrap(), Compression::None);
        assert!(sniff(b"BZh91AY").unwrap_err().to_string().contains("bzip2"));
        assert!(sniff(&[]).unwrap_err().to_string().contains("empty"));
        assert!(
            sniff(b"hello world, certainly not a tar")
                .unwrap_err()
                .to_string()
                .contains("not a tar")
        );
    }
}
