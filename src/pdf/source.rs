//! Where the bytes of a document come from.
//!
//! The reader never needs the whole file in memory: it reads windows by position. A caller that
//! already holds the bytes passes them as a slice; a caller verifying a large file passes a
//! [`FileSource`] so that only the windows being parsed are in memory. The PDF layer itself
//! never opens files.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use sha2::{Digest, Sha256};

/// Random access to the bytes of one document, which must not change while it is read.
pub trait ByteSource {
    /// Total length in bytes.
    fn len(&self) -> u64;

    /// Whether the source is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes starting at `offset`; fails if they are not all there.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;

    /// The bytes `[start, end)` in place, when the source holds them in memory; `None` for a
    /// source that must be read (a file) or a range outside it.
    fn in_memory(&self, _start: u64, _end: u64) -> Option<&[u8]> {
        None
    }

    /// Feeds the bytes `[start, end)` to `consume`, in order: as one slice when the source
    /// holds them in memory, else read through one buffer in pieces of at most [`READ_PIECE`]
    /// bytes. Stops at the first error.
    fn for_each_piece<E: From<io::Error>>(
        &self,
        start: u64,
        end: u64,
        mut consume: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if start >= end {
            return Ok(());
        }
        if let Some(bytes) = self.in_memory(start, end) {
            return consume(bytes);
        }
        let span = usize::try_from(end - start).unwrap_or(READ_PIECE);
        let mut buf = vec![0u8; span.min(READ_PIECE)];
        let mut offset = start;
        while offset < end {
            let n = usize::try_from(end - offset)
                .unwrap_or(READ_PIECE)
                .min(buf.len());
            let piece = buf.get_mut(..n).ok_or_else(eof)?;
            self.read_exact_at(offset, piece)?;
            consume(piece)?;
            offset += n as u64;
        }
        Ok(())
    }

    /// All the bytes, in one buffer (a copy).
    fn read_all(&self) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(usize::try_from(self.len()).unwrap_or(0));
        self.for_each_piece(0, self.len(), |piece| -> io::Result<()> {
            out.extend_from_slice(piece);
            Ok(())
        })?;
        Ok(out)
    }

    /// The SHA-256 state after all the bytes: finished for the file's hash, or extended by
    /// what a caller appends.
    fn sha256_state(&self) -> io::Result<Sha256> {
        let mut hasher = Sha256::new();
        self.for_each_piece(0, self.len(), |piece| -> io::Result<()> {
            hasher.update(piece);
            Ok(())
        })?;
        Ok(hasher)
    }
}

/// Largest piece [`ByteSource::for_each_piece`] reads at once from a source that is not in
/// memory: large enough that hashing a file costs few reads, small enough to keep in memory.
pub const READ_PIECE: usize = 1 << 20;

impl ByteSource for [u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| eof())?;
        let end = start.checked_add(buf.len()).ok_or_else(eof)?;
        let src = self.get(start..end).ok_or_else(eof)?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn in_memory(&self, start: u64, end: u64) -> Option<&[u8]> {
        self.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
    }
}

impl ByteSource for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.as_slice().read_exact_at(offset, buf)
    }

    fn in_memory(&self, start: u64, end: u64) -> Option<&[u8]> {
        self.as_slice().in_memory(start, end)
    }
}

impl<T: ByteSource + ?Sized> ByteSource for &T {
    fn len(&self) -> u64 {
        (**self).len()
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        (**self).read_exact_at(offset, buf)
    }

    fn in_memory(&self, start: u64, end: u64) -> Option<&[u8]> {
        (**self).in_memory(start, end)
    }

    fn for_each_piece<E: From<io::Error>>(
        &self,
        start: u64,
        end: u64,
        consume: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        (**self).for_each_piece(start, end, consume)
    }
}

/// An open file read by position (`pread`), its length fixed when wrapped.
#[derive(Debug)]
pub struct FileSource {
    file: File,
    len: u64,
}

impl FileSource {
    /// Wraps an open file; its length is taken now.
    pub fn new(file: File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(FileSource { file, len })
    }
}

impl ByteSource for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let end = offset.checked_add(buf.len() as u64).ok_or_else(eof)?;
        if end > self.len {
            return Err(eof());
        }
        FileExt::read_exact_at(&self.file, buf, offset)
    }
}

/// A document held in memory as consecutive pieces (the chunks a request body arrived in), read
/// without joining them: joining would copy the whole document once more.
#[derive(Debug, Clone)]
pub struct Pieces<B> {
    pieces: Vec<B>,
    /// Offset of each piece's first byte, ascending.
    starts: Vec<u64>,
    len: u64,
}

impl<B: AsRef<[u8]>> Pieces<B> {
    /// The document made of `pieces` in order; empty pieces are dropped.
    pub fn new(pieces: impl IntoIterator<Item = B>) -> Self {
        let pieces: Vec<B> = pieces
            .into_iter()
            .filter(|p| !p.as_ref().is_empty())
            .collect();
        let mut starts = Vec::with_capacity(pieces.len());
        let mut len = 0u64;
        for p in &pieces {
            starts.push(len);
            len += p.as_ref().len() as u64;
        }
        Pieces {
            pieces,
            starts,
            len,
        }
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> &[B] {
        &self.pieces
    }

    /// The whole document as one slice: borrowed when it is one piece, else joined (a copy).
    pub fn contiguous(&self) -> std::borrow::Cow<'_, [u8]> {
        match self.pieces.as_slice() {
            [] => std::borrow::Cow::Borrowed(&[]),
            [one] => std::borrow::Cow::Borrowed(one.as_ref()),
            many => {
                std::borrow::Cow::Owned(many.iter().flat_map(|p| p.as_ref()).copied().collect())
            }
        }
    }

    /// The parts of `[start, end)`, one slice per piece it touches, in order. Empty when the
    /// range is empty; the caller checks that `end` is within the document.
    fn slices(&self, start: u64, end: u64) -> impl Iterator<Item = &[u8]> {
        let first = self
            .starts
            .partition_point(|&s| s <= start)
            .saturating_sub(1);
        self.pieces
            .iter()
            .zip(&self.starts)
            .skip(first)
            .take_while(move |(_, &s)| s < end)
            .filter_map(move |(p, &s)| {
                let bytes = p.as_ref();
                let from = usize::try_from(start.saturating_sub(s)).ok()?;
                let to = usize::try_from(end - s).ok()?.min(bytes.len());
                bytes.get(from..to)
            })
    }
}

impl<B: AsRef<[u8]>> ByteSource for Pieces<B> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let end = offset.checked_add(buf.len() as u64).ok_or_else(eof)?;
        if end > self.len {
            return Err(eof());
        }
        let mut at = 0usize;
        for slice in self.slices(offset, end) {
            let to = at + slice.len();
            buf.get_mut(at..to).ok_or_else(eof)?.copy_from_slice(slice);
            at = to;
        }
        if at == buf.len() {
            Ok(())
        } else {
            Err(eof())
        }
    }

    fn in_memory(&self, start: u64, end: u64) -> Option<&[u8]> {
        if end > self.len || start >= end {
            return None;
        }
        let mut slices = self.slices(start, end);
        let only = slices.next()?;
        (slices.next().is_none() && only.len() as u64 == end - start).then_some(only)
    }

    fn for_each_piece<E: From<io::Error>>(
        &self,
        start: u64,
        end: u64,
        mut consume: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if start >= end {
            return Ok(());
        }
        if end > self.len {
            return Err(eof().into());
        }
        for slice in self.slices(start, end) {
            consume(slice)?;
        }
        Ok(())
    }
}

fn eof() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "read beyond the end of the document",
    )
}

/// Reads up to `max` bytes at `offset` (fewer at the end of the source).
pub(crate) fn read_window<S: ByteSource + ?Sized>(
    src: &S,
    offset: u64,
    max: usize,
) -> io::Result<Vec<u8>> {
    let avail = src.len().saturating_sub(offset);
    let n = usize::try_from(avail.min(max as u64)).unwrap_or(max);
    let mut buf = vec![0u8; n];
    src.read_exact_at(offset, &mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn pieces<S: ByteSource + ?Sized>(src: &S, start: u64, end: u64) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        src.for_each_piece(start, end, |p| -> io::Result<()> {
            out.push(p.to_vec());
            Ok(())
        })
        .expect("pieces");
        out
    }

    #[test]
    fn pieces_cover_the_range_in_order_from_memory_and_from_a_file() {
        let bytes: Vec<u8> = (0..2 * READ_PIECE + 123)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut file = tempfile::tempfile().expect("temp file");
        file.write_all(&bytes).expect("write");
        let from_file = FileSource::new(file).expect("source");
        for (start, end) in [(0, bytes.len()), (5, READ_PIECE + 9), (17, 17), (100, 90)] {
            let want = bytes.get(start..end).unwrap_or_default();
            let memory = pieces(&bytes[..], start as u64, end as u64);
            assert!(memory.len() <= 1, "one slice from memory");
            assert_eq!(memory.concat(), want);
            let read = pieces(&from_file, start as u64, end as u64);
            assert!(read.iter().all(|p| p.len() <= READ_PIECE && !p.is_empty()));
            assert_eq!(read.concat(), want, "{start}..{end}");
        }
    }

    #[test]
    fn pieces_read_like_the_joined_bytes() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 13 % 256) as u8).collect();
        for cuts in [
            vec![],
            vec![1],
            vec![10, 10, 500],
            vec![0, 999],
            vec![333, 334, 335],
        ] {
            let mut parts = Vec::new();
            let mut from = 0;
            for c in cuts.iter().copied().chain([bytes.len()]) {
                parts.push(bytes.get(from..c).expect("cut").to_vec());
                from = c;
            }
            let src = Pieces::new(parts);
            assert_eq!(src.len(), bytes.len() as u64);
            for (start, end) in [(0, 1000), (0, 1), (9, 11), (332, 336), (998, 1000), (5, 5)] {
                let want = bytes.get(start..end).expect("range");
                let mut buf = vec![0u8; end - start];
                src.read_exact_at(start as u64, &mut buf).expect("read");
                assert_eq!(buf, want, "{cuts:?} {start}..{end}");
                assert_eq!(pieces(&src, start as u64, end as u64).concat(), want);
                if let Some(inside) = src.in_memory(start as u64, end as u64) {
                    assert_eq!(inside, want);
                }
            }
            assert!(src.read_exact_at(999, &mut [0u8; 2]).is_err());
            assert!(src
                .for_each_piece(990, 1001, |_| -> io::Result<()> { Ok(()) })
                .is_err());
            assert!(src.in_memory(990, 1001).is_none());
            assert_eq!(&src.contiguous()[..], &bytes[..]);
        }
    }

    #[test]
    fn the_whole_source_read_and_hashed() {
        let bytes: Vec<u8> = (0..READ_PIECE + 77).map(|i| (i % 253) as u8).collect();
        let mut file = tempfile::tempfile().expect("temp file");
        file.write_all(&bytes).expect("write");
        let from_file = FileSource::new(file).expect("source");
        let pieces = Pieces::new(bytes.chunks(1000).map(<[u8]>::to_vec));
        let want = Sha256::digest(&bytes);
        assert_eq!(from_file.read_all().expect("read"), bytes);
        assert_eq!(pieces.read_all().expect("read"), bytes);
        for h in [
            from_file.sha256_state().expect("hash"),
            pieces.sha256_state().expect("hash"),
            bytes.sha256_state().expect("hash"),
        ] {
            assert_eq!(h.finalize(), want);
        }
    }

    #[test]
    fn a_range_past_the_end_is_an_error() {
        let bytes = b"%PDF-1.7".to_vec();
        let r = bytes.for_each_piece(2, 20, |_| -> io::Result<()> { Ok(()) });
        assert!(r.is_err());
    }
}
