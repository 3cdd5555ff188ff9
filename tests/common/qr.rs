//! Reads the QR codes printed in a PDF: every page rendered at 150 dpi by `pdftoppm`, then
//! decoded by `zbarimg`.

use std::path::Path;
use std::process::Command;

/// The texts of every QR code on every page of `pdf`, or `None` (after [`super::missing`])
/// when the tools are not installed.
pub fn qr_codes(pdf: &Path) -> Option<Vec<String>> {
    if !super::have_tool("pdftoppm") || !super::have_tool("zbarimg") {
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let ok = Command::new("pdftoppm")
        .args(["-r", "150", "-png"])
        .arg(pdf)
        .arg(dir.path().join("page"))
        .status()
        .expect("run pdftoppm")
        .success();
    assert!(ok, "pdftoppm failed on {}", pdf.display());
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    let mut codes = Vec::new();
    for page in pages {
        let out = Command::new("zbarimg")
            .args(["--quiet", "--raw"])
            .arg(&page)
            .output()
            .expect("run zbarimg");
        codes.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
    }
    Some(codes)
}
