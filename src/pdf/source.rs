//! Where the bytes of a document come from.
//!
//! The reader never needs the whole file in memory: it reads windows by position. A caller that
//! already holds the bytes passes them as a slice; a caller verifying a large file passes a
//! [`FileSource`] so that only the windows being parsed are in memory. The PDF layer itself
//! never opens files.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

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
}

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
}

impl ByteSource for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.as_slice().read_exact_at(offset, buf)
    }
}

impl<T: ByteSource + ?Sized> ByteSource for &T {
    fn len(&self) -> u64 {
        (**self).len()
    }

    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        (**self).read_exact_at(offset, buf)
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
