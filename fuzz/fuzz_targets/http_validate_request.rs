//! The JSON body of `POST /v1/certificates/validate` from arbitrary bytes, and arbitrary bytes
//! as one base64 DER chain item and as one PEM item: no panic, and never more certificates
//! than the bound.
#![no_main]

use base64::Engine as _;
use kyso::http::certificates::{parse_validate_request, MAX_CHAIN_CERTIFICATES};
use libfuzzer_sys::fuzz_target;

fn check(body: &[u8]) {
    if let Ok(r) = parse_validate_request(body) {
        assert!(r.intermediates.len() < MAX_CHAIN_CERTIFICATES);
        let _ = r.leaf.display_subject();
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    let b64 = base64::engine::general_purpose::STANDARD.encode(data);
    check(&serde_json::json!({ "chain": [b64] }).to_string().into_bytes());
    if let Ok(text) = std::str::from_utf8(data) {
        let pem = format!("-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----\n");
        check(&serde_json::json!({ "chain": [pem], "time": text }).to_string().into_bytes());
    }
});
