//! The path segments `/v/<document id>`, `/v1/documents/<id>` and `/v1/documents/by-hash/<sha256>`
//! from arbitrary text: no panic, and whatever parses has exactly one text form (the input).
#![no_main]

use kyso::http::document_id::{parse_sha256, DocumentId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = text.parse::<DocumentId>() {
        assert_eq!(id.to_string(), text, "a document id has one text form");
    }
    if let Ok(hash) = parse_sha256(text) {
        let lower: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(lower, text.to_ascii_lowercase(), "a hash reads back as given");
    }
});
