//! PAdES signing and verification on top of `pdf` (objects, incremental updates), `cms` and
//! `pki`. This part draws the visible signature block.

pub mod appearance;
pub mod fonts;
