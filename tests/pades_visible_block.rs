//! The visible signature block on a document signed through the CLI: rendered by poppler, its QR
//! code decodes to the URL given, its text is extractable with diacritics on one line, and the
//! signed file still verifies.

mod common;

use std::path::Path;
use std::process::Command;

const KYSO: &str = env!("CARGO_BIN_EXE_kyso");
const URL: &str = "http://127.0.0.1:8080/v/ABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run command");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn page_count(pdf: &Path) -> usize {
    let info = run_ok(Command::new("pdfinfo").arg(pdf));
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("pdfinfo prints the page count")
}

#[test]
fn signed_sample_shows_block_with_qr_and_vietnamese_text() {
    let Some(samples) = common::samples_dir() else {
        return;
    };
    if !["pdftoppm", "pdftotext", "pdfinfo", "zbarimg"]
        .iter()
        .all(|t| common::have_tool(t))
    {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let pki = dir.path().join("pki");
    run_ok(Command::new(KYSO).args(["pki", "demo", "--out"]).arg(&pki));

    let input = samples.join("quyet-dinh-123-QD-UBND.pdf");
    let signed = dir.path().join("signed.pdf");
    run_ok(
        Command::new(KYSO)
            .arg("sign")
            .arg(&input)
            .arg("-o")
            .arg(&signed)
            .arg("--key")
            .arg(pki.join("person-signer.key.pem"))
            .arg("--cert")
            .arg(pki.join("person-signer.pem"))
            .arg("--chain")
            .arg(pki.join("issuing-ca.pem"))
            .args(["--visible", "auto", "--qr-url", URL]),
    );

    let last = page_count(&signed).to_string();
    let prefix = dir.path().join("page");
    run_ok(
        Command::new("pdftoppm")
            .args(["-r", "150", "-png", "-f", &last, "-l", &last])
            .arg(&signed)
            .arg(&prefix),
    );
    let png = std::fs::read_dir(dir.path())
        .expect("list temp dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("pdftoppm wrote a PNG");
    let decoded = run_ok(Command::new("zbarimg").args(["--raw", "-q"]).arg(&png));
    assert_eq!(decoded.trim(), URL, "the QR code carries exactly the URL");

    let text = run_ok(
        Command::new("pdftotext")
            .args(["-layout", "-f", &last, "-l", &last])
            .arg(&signed)
            .arg("-"),
    );
    assert!(
        text.lines().any(|l| l.contains("Nguyễn Văn An")),
        "the signer's CN with diacritics is on one line of the page text:\n{text}"
    );
    assert!(
        text.contains("Thời gian ký:") && text.contains("+07:00"),
        "the signing time line is present:\n{text}"
    );

    let verify = Command::new(KYSO)
        .arg("verify")
        .arg(&signed)
        .arg("--trust")
        .arg(pki.join("root-ca.pem"))
        .output()
        .expect("run kyso verify");
    assert_eq!(
        verify.status.code(),
        Some(0),
        "the visibly signed file verifies: {}",
        String::from_utf8_lossy(&verify.stdout)
    );
}
