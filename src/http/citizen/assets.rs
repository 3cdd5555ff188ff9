//! The citizen page's script and style sheet, compiled into the binary and served by kyso
//! itself (no outside CDN), with a content hash as `ETag` so caches revalidate cheaply.

use sha2::{Digest, Sha256};

/// The page script: in-browser proof check and local file comparison.
pub const CITIZEN_JS: &str = include_str!("citizen.js");

/// The page style sheet.
pub const CITIZEN_CSS: &str = include_str!("citizen.css");

/// A strong `ETag` for an asset: a quoted prefix of its SHA-256.
pub fn etag(body: &str) -> String {
    let d = Sha256::digest(body.as_bytes());
    format!("\"{}\"", hex::encode(d.get(..12).unwrap_or_default()))
}
