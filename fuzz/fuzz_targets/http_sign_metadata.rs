//! The metadata of `POST /v1/sign` from arbitrary text, as a query string and as the multipart
//! JSON part: no panic; both forms agree on what they accept (metadata read from a query
//! string, written as JSON, reads back the same); the placement of the visible block parses
//! or is refused without panicking.
#![no_main]

use kyso::http::sign::{parse_metadata, parse_query, placement, SignParams};
use libfuzzer_sys::fuzz_target;

fn check(params: &SignParams) {
    let _ = placement(params.visible.as_deref());
    let json = match serde_json::to_vec(params) {
        Ok(j) => j,
        Err(e) => panic!("metadata serializes: {e}"),
    };
    match parse_metadata(&json) {
        Ok(back) => assert_eq!(
            serde_json::to_value(&back).ok(),
            serde_json::to_value(params).ok(),
            "metadata survives a JSON round trip"
        ),
        Err(e) => panic!("metadata written as JSON reads back: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = parse_metadata(data) {
        check(&p);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = parse_query(Some(text)) {
            check(&p);
        }
    }
});
