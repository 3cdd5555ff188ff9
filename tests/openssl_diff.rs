//! Differential test: for chains generated here, kyso's verdict agrees with OpenSSL's
//! `X509_verify_cert` (same anchors, same intermediates, same CRLs, same validation time), and
//! both agree with the verdict the case was built to have, so two identical mistakes still fail.

#[path = "common/chains.rs"]
mod chains;
mod common;

use chains::{ca, crl, leaf, leaf_between, now, root, Chain, KysoInputs, OpenSslJudge, YEAR};
use kyso::pki::demo::KeyKind;
use openssl::x509::X509;

struct Case {
    name: &'static str,
    chain: Chain,
    valid: bool,
}

fn cases() -> Vec<Case> {
    let t = now();
    let r = root("Diff Root", t);
    let i = ca("Diff Issuing CA", &r, Some(0), t);
    let good = leaf("Nguyễn Văn An", &i, t);
    let crls = vec![crl(&r, &[], t), crl(&i, &[], t)];
    let base = |leaf: &X509, crls: Vec<Vec<u8>>, time: i64| Chain {
        leaf: leaf.clone(),
        intermediates: vec![i.cert.clone()],
        anchors: vec![r.cert.clone()],
        crls,
        time,
    };
    let mut out = Vec::new();

    out.push(Case {
        name: "valid, no CRLs",
        chain: base(&good.cert, vec![], t),
        valid: true,
    });
    out.push(Case {
        name: "valid with CRLs from both CAs",
        chain: base(&good.cert, crls.clone(), t),
        valid: true,
    });
    let ec = leaf_between("ECDSA signer", &i, KeyKind::EcP256, t - YEAR, t + YEAR);
    out.push(Case {
        name: "valid ECDSA P-256 leaf with CRLs",
        chain: base(&ec.cert, crls.clone(), t),
        valid: true,
    });

    let expired = leaf_between("Expired", &i, KeyKind::Rsa2048, t - YEAR, t - 30 * 86_400);
    out.push(Case {
        name: "expired leaf",
        chain: base(&expired.cert, vec![], t),
        valid: false,
    });
    // The same expired leaf judged at a time inside its validity, with CRLs of that time.
    let then = t - YEAR / 2;
    out.push(Case {
        name: "expired leaf judged in the past",
        chain: base(
            &expired.cert,
            vec![crl(&r, &[], then), crl(&i, &[], then)],
            then,
        ),
        valid: true,
    });
    let future = leaf_between("Not yet valid", &i, KeyKind::Rsa2048, t + 86_400, t + YEAR);
    out.push(Case {
        name: "leaf not yet valid",
        chain: base(&future.cert, vec![], t),
        valid: false,
    });

    // Wrong issuer: issued by a CA that is not in the chain nor trusted.
    let other_root = root("Other Root", t);
    let other_ca = ca("Other Issuing CA", &other_root, Some(0), t);
    let stray = leaf("Stray", &other_ca, t);
    out.push(Case {
        name: "wrong issuer (unknown CA)",
        chain: base(&stray.cert, vec![], t),
        valid: false,
    });
    // Wrong issuer with the right name: a CA of the same name but another key.
    let twin = ca("Diff Issuing CA", &other_root, Some(0), t);
    let twin_leaf = leaf("Twin", &twin, t);
    out.push(Case {
        name: "wrong issuer (same name, other key)",
        chain: base(&twin_leaf.cert, vec![], t),
        valid: false,
    });

    // Bad signature: one bit of the leaf's signature flipped.
    let mut der = good.cert.to_der().expect("der");
    if let Some(last) = der.last_mut() {
        *last ^= 0x01;
    }
    let tampered = X509::from_der(&der).expect("still parses");
    out.push(Case {
        name: "bad leaf signature",
        chain: base(&tampered, vec![], t),
        valid: false,
    });
    // Bad signature on the intermediate.
    let mut der = i.cert.to_der().expect("der");
    if let Some(last) = der.last_mut() {
        *last ^= 0x80;
    }
    out.push(Case {
        name: "bad intermediate signature",
        chain: Chain {
            intermediates: vec![X509::from_der(&der).expect("parses")],
            ..base(&good.cert, vec![], t)
        },
        valid: false,
    });

    // Path length: root -> CA1 (pathLen 0) -> CA2 -> leaf.
    let ca1 = ca("PathLen Zero CA", &r, Some(0), t);
    let ca2 = ca("Below PathLen CA", &ca1, None, t);
    let deep = leaf("Too deep", &ca2, t);
    out.push(Case {
        name: "path length exceeded",
        chain: Chain {
            intermediates: vec![ca2.cert.clone(), ca1.cert.clone()],
            ..base(&deep.cert, vec![], t)
        },
        valid: false,
    });
    // The same depth with pathLen 1 is fine.
    let ca1b = ca("PathLen One CA", &r, Some(1), t);
    let ca2b = ca("Below PathLen One CA", &ca1b, Some(0), t);
    let ok_deep = leaf("Deep but allowed", &ca2b, t);
    out.push(Case {
        name: "path length respected",
        chain: Chain {
            intermediates: vec![ca2b.cert.clone(), ca1b.cert.clone()],
            ..base(&ok_deep.cert, vec![], t)
        },
        valid: true,
    });

    // Revocation.
    let revoked = leaf("Trần Thị Bình", &i, t);
    out.push(Case {
        name: "revoked leaf with CRL",
        chain: base(
            &revoked.cert,
            vec![crl(&r, &[], t), crl(&i, &[&revoked.cert], t)],
            t,
        ),
        valid: false,
    });
    out.push(Case {
        name: "revoked intermediate with CRL",
        chain: base(&good.cert, vec![crl(&r, &[&i.cert], t), crl(&i, &[], t)], t),
        valid: false,
    });
    out.push(Case {
        name: "CRL of the issuing CA missing",
        chain: base(&good.cert, vec![crl(&r, &[], t)], t),
        valid: false,
    });
    // A CRL signed by another CA of the same name does not count.
    out.push(Case {
        name: "CRL signed by the wrong key",
        chain: base(&good.cert, vec![crl(&r, &[], t), crl(&twin, &[], t)], t),
        valid: false,
    });
    // A leaf issued by an end-entity certificate.
    let by_leaf = leaf("Issued by a signer", &good, t);
    out.push(Case {
        name: "issuer is not a CA",
        chain: Chain {
            intermediates: vec![good.cert.clone(), i.cert.clone()],
            ..base(&by_leaf.cert, vec![], t)
        },
        valid: false,
    });
    out
}

#[test]
fn kyso_agrees_with_openssl() {
    let mut failures = Vec::new();
    let all = cases();
    for case in &all {
        let (ossl, why) = OpenSslJudge::new(&case.chain).verify(&case.chain);
        let report = KysoInputs::new(&case.chain).validate();
        let kyso = report.as_ref().is_ok_and(|r| r.is_valid());
        let kyso_text = match &report {
            Ok(r) => format!("{:?}/{:?}: {}", r.indication, r.sub_indication, r.reason),
            Err(e) => format!("error: {e}"),
        };
        println!(
            "{:40} expected {:5} openssl {:5} ({why}) kyso {:5} ({kyso_text})",
            case.name, case.valid, ossl, kyso
        );
        if ossl != case.valid || kyso != case.valid {
            failures.push(format!(
                "{}: expected {}, OpenSSL {ossl} ({why}), kyso {kyso} ({kyso_text})",
                case.name, case.valid
            ));
        }
    }
    assert!(all.len() >= 15);
    assert!(
        failures.is_empty(),
        "disagreements:\n{}",
        failures.join("\n")
    );
}
