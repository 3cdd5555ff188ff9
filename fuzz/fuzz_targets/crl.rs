//! The CRL parser and loader on arbitrary bytes: an error or a CRL, never a panic, and a parsed
//! CRL answers every accessor.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(crl) = kyso::pki::crl::Crl::from_der(data) {
        let _ = crl.issuer().display();
        let _ = crl.issuing_distribution_point();
        if let Some(first) = crl.entries().first() {
            assert_eq!(
                crl.entries_for(&first.serial).first().map(|e| &e.serial),
                Some(&first.serial)
            );
        }
    }
    let _ = kyso::pki::crl::load_crls(data);
    let _ = kyso::pki::crl::parse_distribution_points(data);
});
