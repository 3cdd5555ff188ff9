//! Arbitrary bytes into the certificate loader (PEM, DER, PKCS#7 bundles), the CRL parser and
//! the OCSP response parser: they must return, never panic or overrun.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(certs) = kyso::pki::source::load_certificates(data) {
        for cert in &certs {
            // The accessors the validator and the reports use must hold on whatever parsed.
            let _ = cert.display_subject();
            let _ = cert.display_issuer();
            let _ = cert.serial_hex();
        }
    }
    if let Ok(crl) = kyso::pki::crl::Crl::from_der(data) {
        let _ = crl.issuer().display();
        let _ = crl.entries().len();
    }
    let _ = kyso::pki::ocsp::OcspResponse::from_der(data);
});
