//! What `kyso ltv extend` and B-LT signing do to a file from outside: gather the certificates
//! of its signatures, timestamps and `/DSS`, read the `/DSS`, and write an incremental update
//! that adds validation data. Arbitrary bytes give an error or a value, never a panic.
#![no_main]

use kyso::pades::{add_dss, certificates_in, dss_material, ValidationMaterial};
use kyso::pdf::Document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = Document::open(data) else {
        return;
    };
    let _ = certificates_in(&doc);
    let _ = dss_material(&doc);
    let material = ValidationMaterial {
        certs: vec![vec![0x30, 0x03, 0x02, 0x01, 0x01]],
        crls: vec![vec![0x30, 0x00]],
        ocsp: Vec::new(),
    };
    let _ = add_dss(&doc, &material);
});
