//! PDF plumbing without cryptography: a lazy, strict reader, revision analysis, incremental
//! updates with signature placeholders, and byte-range checks. Signing (`cms`, `pades`) and
//! verification are built on this API.
//!
//! # Reading
//! [`Document::open`] takes any [`ByteSource`] (a byte slice, or a [`FileSource`] read by
//! position so a 50 MB file is never held in memory). It reads `startxref`, every
//! cross-reference section of the `/Prev` chain (classic tables, cross-reference streams,
//! hybrid files), groups them into [`Revision`]s, and parses objects only when asked
//! ([`Document::object`], [`Document::object_in`] for an older revision), including objects
//! packed in object streams.
//!
//! # Strictness
//! Nothing is repaired. A document that cannot be read is an [`PdfError`]; a document that can
//! be read but is structurally wrong (an xref entry that misses its object, a wrong `/Size`, a
//! missing `%%EOF`…) opens with [`Diagnostic`]s, and [`Document::needs_repair`] tells a
//! validator to refuse a passing verdict. Every input-dependent loop or allocation is bounded by
//! a constant of [`limits`].
//!
//! # Writing
//! [`IncrementalWriter`] collects new and changed objects and serializes them as bytes to append
//! after the untouched original, with a cross-reference section of the same kind as the
//! previous one. For signing it adds a signature field and widget
//! ([`IncrementalWriter::add_signature_field`]) and a signature dictionary with fixed-size
//! `/ByteRange` and `/Contents` placeholders; [`IncrementalUpdate`] reports the byte range and
//! takes the signature afterwards.
//!
//! The signing flow, with the CMS computed by the caller over the covered bytes:
//!
//! ```
//! use kyso::pdf::{Dict, Document, IncrementalWriter, Object, PdfError, SignatureField};
//!
//! fn sign(original: &[u8], cms_over: impl Fn(&[&[u8]]) -> Vec<u8>) -> Result<Vec<u8>, PdfError> {
//!     let doc = Document::open(original)?;
//!     let mut w = IncrementalWriter::new(&doc)?;
//!     let mut sig = Dict::new();
//!     sig.set("Type", Object::name("Sig"));
//!     sig.set("Filter", Object::name("Adobe.PPKLite"));
//!     sig.set("SubFilter", Object::name("ETSI.CAdES.detached"));
//!     let value = Some(w.add_signature_dictionary(sig, 16_384)?);
//!     let field = SignatureField { name: "Signature1", page: 0, rect: [0.0; 4], appearance: None, value };
//!     w.add_signature_field(&field)?;
//!     let mut update = w.finish()?;
//!     let (a, b) = update.signed_parts().expect("the update has a placeholder");
//!     let cms = cms_over(&[original, &update.bytes[a], &update.bytes[b]]);
//!     update.embed_signature(&cms)?;
//!     Ok([original, &update.bytes].concat())
//! }
//! ```
//!
//! # Byte ranges
//! [`check_byte_range`] checks a signature dictionary's `/ByteRange` against the file and its
//! own `/Contents` string.

mod byte_range;
mod diagnostic;
mod document;
mod error;
mod fields;
mod filter;
pub mod font;
pub mod image;
pub mod limits;
mod object;
mod parse;
pub mod salvage;
mod source;
mod writer;
mod xref;

pub use byte_range::{check_byte_range, ByteRangeCheck, ByteRangeProblem};
pub use diagnostic::Diagnostic;
pub use document::{Document, Revision};
pub use error::{PdfError, Result};
pub use fields::SignatureFieldInfo;
pub use object::{Dict, Name, ObjRef, Object, PdfString, Stream, StreamData};
pub use source::{ByteSource, FileSource, Pieces, READ_PIECE};
pub use writer::{IncrementalUpdate, IncrementalWriter, SignatureField, SignaturePlaceholder};
pub use xref::{XrefEntry, XrefKind, XrefSection};
