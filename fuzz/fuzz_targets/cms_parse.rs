//! Parses arbitrary bytes as CMS SignedData, as an RFC 3161 time-stamp token, response and
//! request, verifying what parses: no input may panic or run unbounded.
#![no_main]

use kyso::cms;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cms::verify_detached_content(data, b"fuzzed content");
    let _ = cms::verify_timestamp(data, b"fuzzed content", Some(&[1, 2, 3]));
    if let Ok(token) = cms::token_from_response(data) {
        let _ = cms::verify_timestamp(&token, b"fuzzed content", None);
    }
    let _ = cms::TimestampRequest::parse(data, "1.2.3.4.1");
});
