//! The OCSP response parser and loader on arbitrary bytes: an error or a response, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(response) = kyso::pki::ocsp::OcspResponse::from_der(data) {
        for single in response.responses() {
            let _ = kyso::pki::ocsp::freshness_problem(single, response.produced_at());
        }
    }
    let _ = kyso::pki::ocsp::load_ocsp_responses(data);
});
