//! Bounds on the work done for one document. Every input is untrusted, so each loop or
//! allocation that depends on the input is capped by one of these constants.

/// Highest object count (`/Size`) accepted. Decisions, even with scanned annexes, have a few
/// thousand objects; 500,000 leaves two orders of magnitude of headroom while capping the
/// cross-reference index near 12 MB (24 bytes per entry).
pub const MAX_OBJECTS: u32 = 500_000;

/// Cross-reference entries read over all sections together; every revision may redefine each
/// object once, but the index must stay bounded as a whole.
pub const MAX_XREF_ENTRIES_TOTAL: usize = 2 * MAX_OBJECTS as usize;

/// Sections in the `/Prev` chain. Each signature, LTV update or document timestamp adds one
/// (two for a linearized original); a decision signed by ten people with LTV data has about
/// thirty. 1,024 is far beyond any honest document and keeps the chain walk short.
pub const MAX_XREF_SECTIONS: usize = 1_024;

/// Nesting depth of arrays and dictionaries. Real documents nest a handful of levels; the cap
/// keeps the recursive parser far from the thread's stack limit.
pub const MAX_NESTING: usize = 64;

/// Length of a reference chain (an indirect `/Length`, an object in an object stream whose
/// stream has an indirect `/Length`, …) before it is treated as a loop.
pub const MAX_REF_CHAIN: usize = 16;

/// Bytes of one object's text outside of stream data. Large dictionaries (a font's `/Widths`,
/// a long `/Kids` array) stay far below 8 MiB; the cap bounds the read window.
pub const MAX_OBJECT_BYTES: usize = 8 << 20;

/// Size of the first window read for an object; most objects fit, larger ones double it.
pub const INITIAL_OBJECT_WINDOW: usize = 4 << 10;

/// Decoded size of one stream. Cross-reference and object streams of large documents are a few
/// MiB; 32 MiB stays within the memory target of verifying a 50 MB file (below 58 MiB peak).
pub const MAX_DECODED_STREAM: u64 = 32 << 20;

/// Decoded bytes over the lifetime of one opened document, so that many small decompression
/// bombs cannot add up to unbounded time either (about one second of inflating).
pub const MAX_DECODED_TOTAL: u64 = 512 << 20;

/// Raw (undecoded) stream bytes returned at once.
pub const MAX_RAW_STREAM: u64 = 256 << 20;

/// How far from the end of the file `startxref` is looked for. The spec puts it in the last
/// line(s); 1,024 bytes also tolerate trailing whitespace and comments of sloppy writers.
pub const TAIL_SEARCH: usize = 1_024;

/// How far after a cross-reference section its `startxref … %%EOF` is looked for.
pub const EOF_SEARCH: usize = 1_024;

/// Where the `%PDF-` header may start (ISO 32000-1 §7.5.2 wants byte 0; Acrobat tolerates
/// junk in the first kilobyte, which is recorded as a diagnostic).
pub const HEADER_SEARCH: usize = 1_024;

/// Decoded object streams kept in the cache, in bytes, so repeated lookups do not inflate the
/// same stream again while memory stays bounded.
pub const OBJSTM_CACHE_BYTES: usize = 8 << 20;

/// Parsed objects kept in the cache.
pub const OBJECT_CACHE_ENTRIES: usize = 4_096;

/// Objects declared by one object stream (`/N`).
pub const MAX_OBJSTM_OBJECTS: usize = 100_000;

/// Pages of a document, and depth of its page tree.
pub const MAX_PAGES: usize = 100_000;
/// Depth of the page tree; balanced trees of 100,000 pages are about ten levels deep.
pub const MAX_PAGE_TREE_DEPTH: usize = 64;

/// Diagnostics kept in full; beyond this only their count grows, so a file with a million bad
/// entries does not produce a million messages.
pub const MAX_DIAGNOSTICS: usize = 100;

/// Width of each number in the `/ByteRange` placeholder: ten digits cover files up to 9.3 GiB.
pub const BYTE_RANGE_DIGITS: usize = 10;

/// Largest `/Contents` placeholder accepted by the writer, in bytes of signature (twice this in
/// hex digits). A CMS with a full chain, a timestamp token and embedded revocation data stays
/// well under 1 MiB.
pub const MAX_SIGNATURE_CONTENTS: usize = 1 << 20;

/// Form fields walked when listing signature fields; a decision has a handful, large forms a
/// few thousand.
pub const MAX_FIELDS: usize = 10_000;

/// Depth of the form field tree (`/Kids`); real forms nest a few levels.
pub const MAX_FIELD_DEPTH: usize = 32;
