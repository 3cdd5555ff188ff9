//! Parses arbitrary bytes as CMS SignedData and, when they parse, verifies them against a fixed
//! content: no input may panic or run unbounded.
#![no_main]

use kyso::cms;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cms::verify_detached_content(data, b"fuzzed content");
});
