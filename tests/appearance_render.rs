//! The visible signature block, judged by outside tools: the widget of an (unsigned) signature
//! field carries the block; qpdf checks the file, pdftoppm renders the page, zbarimg reads the
//! QR code off the rendering, pdftotext extracts the Vietnamese text.

mod common;

use common::pdf;

use std::path::{Path, PathBuf};
use std::process::Command;

use kyso::pades::appearance::{
    AppearanceError, Placement, SignatureAppearance, DEFAULT_TIME_FORMAT, QR_MIN_SIDE,
};
use kyso::pades::fonts::{FontChoice, FONT_PACKAGE};
use kyso::pdf::{Document, IncrementalWriter, Object};

const URL: &str = "http://127.0.0.1:8080/v/ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
/// Rendering resolution of the checks, as in the acceptance criteria.
const DPI: f64 = 150.0;

/// Whether the DejaVu font is installed; a missing one fails the test under CI.
fn have_dejavu() -> bool {
    let found = Path::new(DEJAVU).is_file();
    if !found {
        common::missing(&format!("{DEJAVU} (package {FONT_PACKAGE})"));
    }
    found
}

fn tools_ready() -> bool {
    let tools = ["qpdf", "pdftoppm", "pdftotext", "pdffonts", "zbarimg"];
    // Evaluate all, so every missing one is reported.
    let ok: Vec<bool> = tools.iter().map(|t| common::have_tool(t)).collect();
    let font = have_dejavu();
    ok.iter().all(|b| *b) && font
}

/// A one-page A4 document with a line of text, classic xref table.
fn one_page_pdf() -> Vec<u8> {
    page_pdf("")
}

/// A one-page A4 document whose page dictionary also has `extra` entries.
fn page_pdf(extra: &str) -> Vec<u8> {
    let page = format!(
        "<</Type /Page /Parent 2 0 R /Contents 4 0 R /Resources <</Font <</F1 5 0 R>>>>{extra}>>"
    );
    let content: &[u8] = b"BT /F1 14 Tf 72 760 Td (QUYET DINH so 123/QD-UBND) Tj ET";
    let stream = pdf::stream("", content);
    let bodies: [&[u8]; 5] = [
        b"<</Type /Catalog /Pages 2 0 R>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595.28 841.89]>>",
        page.as_bytes(),
        &stream,
        b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>",
    ];
    pdf::build_pdf(pdf::HEADER_BINARY, &bodies, "")
}

fn block(placement: Placement) -> SignatureAppearance {
    let mut a = SignatureAppearance::new(
        "Nguyễn Văn An",
        time::macros::datetime!(2026-11-27 08:30:00 UTC),
    );
    a.agency = Some("UBND tỉnh Đắk Lắk".into());
    a.qr_url = Some(URL.into());
    a.ledger_key_id = Some("kyso.daklak.gov.vn+6d3c1a2b".into());
    a.placement = placement;
    a
}

/// The document with an unsigned signature field whose widget shows `appearance`; the page
/// index (from 0) and the widget rectangle.
fn with_block(original: &[u8], appearance: &SignatureAppearance) -> (Vec<u8>, usize, [f64; 4]) {
    let doc = Document::open(original).unwrap();
    let mut w = IncrementalWriter::new(&doc).unwrap();
    let placed = appearance.add_to(&doc, &mut w).unwrap().unwrap();
    w.add_signature_field(&placed.field("Signature1", None))
        .unwrap();
    let update = w.finish().unwrap();
    ([original, &update.bytes].concat(), placed.page, placed.rect)
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A rendered page: RGB pixels.
struct Raster {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

fn render(pdf: &Path, page: usize, dir: &Path) -> (PathBuf, Raster) {
    let n = (page + 1).to_string();
    let prefix = dir.join(format!("page{n}"));
    let (ok, _, err) = run(Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile", "-f", &n, "-l", &n])
        .arg(pdf)
        .arg(&prefix));
    assert!(ok, "pdftoppm failed: {err}");
    let png_path = prefix.with_extension("png");
    let file = std::fs::File::open(&png_path).unwrap();
    let mut dec = png::Decoder::new(std::io::BufReader::new(file));
    dec.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (
        png_path,
        Raster {
            width: info.width as usize,
            height: info.height as usize,
            rgb: buf,
        },
    )
}

/// A page as displayed: its MediaBox size (from the origin) and `/Rotate`.
#[derive(Clone, Copy)]
struct View {
    width: f64,
    height: f64,
    rotate: u32,
}

impl View {
    const A4: View = View {
        width: 595.28,
        height: 841.89,
        rotate: 0,
    };

    /// `rect` in user space as a rectangle of the displayed page, y measured downwards.
    fn on_screen(self, rect: [f64; 4]) -> [f64; 4] {
        let see = |x: f64, y: f64| match self.rotate {
            90 => (y, x),
            180 => (self.width - x, y),
            270 => (self.height - y, self.width - x),
            _ => (x, self.height - y),
        };
        let (ax, ay) = see(rect[0], rect[1]);
        let (cx, cy) = see(rect[2], rect[3]);
        [ax.min(cx), ay.min(cy), ax.max(cx), ay.max(cy)]
    }
}

/// Fraction of non-white pixels inside `rect` (points, displayed page, y downwards).
fn ink_in(r: &Raster, rect: [f64; 4]) -> f64 {
    let px = |v: f64| (v * DPI / 72.0).round().max(0.0) as usize;
    let (x0, x1) = (px(rect[0]), px(rect[2]).min(r.width));
    let (y0, y1) = (px(rect[1]), px(rect[3]).min(r.height));
    let mut ink = 0usize;
    let mut total = 0usize;
    for y in y0..y1 {
        for x in x0..x1 {
            let i = (y * r.width + x) * 3;
            total += 1;
            if r.rgb[i..i + 3].iter().any(|c| *c < 200) {
                ink += 1;
            }
        }
    }
    ink as f64 / total.max(1) as f64
}

/// The appearance stream's resources, font and content, read back through the reader.
fn inspect_font_and_qr(pdf: &[u8]) {
    let doc = Document::open(pdf).unwrap();
    let (_, catalog) = doc.catalog().unwrap();
    let acro = doc
        .dict_in(
            doc.last_revision(),
            catalog.get("AcroForm").unwrap(),
            "acroform",
        )
        .unwrap();
    let fields = doc.resolve(acro.get("Fields").unwrap()).unwrap();
    let widget = doc
        .resolve(fields.as_array().unwrap().last().unwrap())
        .unwrap();
    let ap = doc
        .resolve(widget.as_dict().unwrap().get("AP").unwrap())
        .unwrap();
    let Object::Stream(form) = doc
        .resolve(ap.as_dict().unwrap().get("N").unwrap())
        .unwrap()
    else {
        panic!("/AP /N is not a stream");
    };
    assert_eq!(form.dict.get_name("Subtype"), Some(&b"Form"[..]));
    let res = doc.resolve(form.dict.get("Resources").unwrap()).unwrap();
    let fonts = doc
        .resolve(res.as_dict().unwrap().get("Font").unwrap())
        .unwrap();
    let font = doc
        .resolve(fonts.as_dict().unwrap().get("F1").unwrap())
        .unwrap();
    let font = font.as_dict().unwrap();
    assert_eq!(font.get_name("Subtype"), Some(&b"Type0"[..]));
    assert_eq!(font.get_name("Encoding"), Some(&b"Identity-H"[..]));
    assert!(font.contains("ToUnicode"));
    let base = String::from_utf8(font.get_name("BaseFont").unwrap().to_vec()).unwrap();
    let (tag, name) = base.split_once('+').unwrap();
    assert!(
        tag.len() == 6 && tag.chars().all(|c| c.is_ascii_uppercase()),
        "{base}"
    );
    assert_eq!(name, "DejaVuSans");
    let desc = doc.resolve(font.get("DescendantFonts").unwrap()).unwrap();
    let cid = doc
        .resolve(desc.as_array().unwrap().first().unwrap())
        .unwrap();
    let cid = cid.as_dict().unwrap();
    assert_eq!(cid.get_name("Subtype"), Some(&b"CIDFontType2"[..]));
    let fd = doc.resolve(cid.get("FontDescriptor").unwrap()).unwrap();
    let Object::Stream(file) = doc
        .resolve(fd.as_dict().unwrap().get("FontFile2").unwrap())
        .unwrap()
    else {
        panic!("FontFile2 is not a stream");
    };
    let program = doc.stream_data(&file).unwrap();
    let full = std::fs::metadata(DEJAVU).unwrap().len() as usize;
    assert!(
        program.len() * 10 < full,
        "subset {} bytes vs full font {full}",
        program.len()
    );
    assert_eq!(file.dict.get_int("Length1"), Some(program.len() as i64));

    // The QR code's white square (quiet zone included) is at least 2 cm wide.
    let content = String::from_utf8(doc.stream_data(&form).unwrap()).unwrap();
    let square = content
        .lines()
        .find_map(|l| {
            l.strip_prefix("1 g ")
                .and_then(|r| r.strip_suffix(" re f 0 g"))
        })
        .unwrap_or_else(|| panic!("no QR square in {content}"));
    let nums: Vec<f64> = square.split(' ').map(|v| v.parse().unwrap()).collect();
    assert!(nums[2] >= QR_MIN_SIDE && nums[3] >= QR_MIN_SIDE, "{square}");
}

/// Runs every outside check on `original` with the block added; returns its page and rect.
fn check_all(
    original: &[u8],
    appearance: &SignatureAppearance,
    view: View,
    label: &str,
) -> (usize, [f64; 4]) {
    let dir = tempfile::tempdir().unwrap();
    let (pdf, page, rect) = with_block(original, appearance);
    let path = dir.path().join(format!("{label}.pdf"));
    std::fs::write(&path, &pdf).unwrap();

    let (ok, out, err) = run(Command::new("qpdf").arg("--check").arg(&path));
    assert!(ok, "{label}: qpdf --check failed:\n{out}\n{err}");

    let (png_path, raster) = render(&path, page, dir.path());
    if let Some(keep) = std::env::var_os("KYSO_KEEP_RENDER") {
        std::fs::copy(&png_path, PathBuf::from(keep).join(format!("{label}.png"))).unwrap();
    }
    let ink = ink_in(&raster, view.on_screen(rect));
    assert!(
        ink > 0.05,
        "{label}: the block area is nearly blank ({ink})"
    );

    let (ok, out, err) = run(Command::new("zbarimg").args(["--raw", "-q"]).arg(&png_path));
    assert!(ok, "{label}: zbarimg found no code: {err}");
    assert_eq!(out.trim_end_matches('\n'), URL, "{label}: QR content");

    let n = (page + 1).to_string();
    let (ok, text, err) = run(Command::new("pdftotext")
        .args(["-enc", "UTF-8", "-f", &n, "-l", &n])
        .arg(&path)
        .arg("-"));
    assert!(ok, "{label}: pdftotext failed: {err}");
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let name_line = format!("Ký bởi: {}", appearance.signer_cn);
    for want in [
        name_line.as_str(),
        "Cơ quan: UBND tỉnh Đắk Lắk",
        "Thời gian ký: 27/11/2026 15:30:00 +07:00",
        "Sổ cái: kyso.daklak.gov.vn+6d3c1a2b",
    ] {
        assert!(
            lines.contains(&want),
            "{label}: {want:?} is not a line of the extracted text:\n{text}"
        );
    }

    // Poppler sees an embedded, subset CID TrueType font with a Unicode map.
    let (ok, fonts, err) = run(Command::new("pdffonts")
        .args(["-f", &n, "-l", &n])
        .arg(&path));
    assert!(ok, "{label}: pdffonts failed: {err}");
    let row = fonts
        .lines()
        .find(|l| l.contains("+DejaVuSans") && l.contains("Identity-H"))
        .unwrap_or_else(|| panic!("{label}: no DejaVuSans subset in\n{fonts}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        cols.get(1..7),
        Some(&["CID", "TrueType", "Identity-H", "yes", "yes", "yes"][..]),
        "{label}: {row}"
    );

    inspect_font_and_qr(&pdf);
    (page, rect)
}

#[test]
fn block_on_a_generated_page() {
    if !tools_ready() {
        return;
    }
    check_all(
        &one_page_pdf(),
        &block(Placement::Auto),
        View::A4,
        "generated-auto",
    );
}

/// A long name in a fixed rectangle shrinks and stays on one line; automatic placement
/// widens the block instead.
#[test]
fn a_long_name_stays_on_one_line() {
    if !tools_ready() {
        return;
    }
    let mut fixed = block(Placement::Explicit {
        page: 1,
        x: 300.0,
        y: 40.0,
        w: 260.0,
        h: 90.0,
    });
    fixed.signer_cn = "Công Tôn Nữ Thị Phương Thảo Nguyễn".into();
    check_all(&one_page_pdf(), &fixed, View::A4, "generated-long-fixed");

    // Too long for legible print in that rectangle: refused, not drawn in 3 pt type.
    let long = "Nguyễn Thị Phương Thảo - Phó Giám đốc Sở Tài nguyên và Môi trường";
    fixed.signer_cn = long.into();
    let original = one_page_pdf();
    let doc = Document::open(&original[..]).unwrap();
    let mut w = IncrementalWriter::new(&doc).unwrap();
    assert!(matches!(
        fixed.add_to(&doc, &mut w),
        Err(AppearanceError::TooSmall(_))
    ));

    let mut auto = block(Placement::Auto);
    auto.signer_cn = long.into();
    let (_, rect) = check_all(&one_page_pdf(), &auto, View::A4, "generated-long-auto");
    assert!(rect[2] - rect[0] > 300.0, "widened: {rect:?}");
}

#[test]
fn block_reads_upright_at_the_bottom_right_of_rotated_pages() {
    if !tools_ready() {
        return;
    }
    for rotate in [90, 180, 270] {
        let original = page_pdf(&format!(" /Rotate {rotate}"));
        let view = View { rotate, ..View::A4 };
        let label = format!("generated-rotate-{rotate}");
        let (_, rect) = check_all(&original, &block(Placement::Auto), view, &label);
        let seen = view.on_screen(rect);
        let (screen_w, screen_h) = if rotate == 180 {
            (view.width, view.height)
        } else {
            (view.height, view.width)
        };
        assert!(
            (seen[2] - (screen_w - 28.35)).abs() < 0.5,
            "{label}: {seen:?}"
        );
        assert!(
            (seen[3] - (screen_h - 28.35)).abs() < 0.5,
            "{label}: {seen:?}"
        );
        assert!(
            seen[2] - seen[0] >= 250.0 - 1e-9,
            "{label}: wide side horizontal"
        );
    }
}

#[test]
fn block_on_the_sample_decision_with_a_seal() {
    if !tools_ready() {
        return;
    }
    let Some(samples) = common::samples_dir() else {
        return;
    };
    let original = std::fs::read(samples.join("quyet-dinh-123-QD-UBND.pdf")).unwrap();
    let view = {
        let doc = Document::open(&original[..]).unwrap();
        let pages = doc.pages().unwrap();
        let page = doc.object(*pages.last().unwrap()).unwrap();
        let mb = page.as_dict().unwrap().get("MediaBox").unwrap().clone();
        let mb = doc.resolve(&mb).unwrap();
        let mb = mb.as_array().unwrap();
        assert_eq!(mb[0].as_number(), Some(0.0));
        View {
            width: mb[2].as_number().unwrap(),
            height: mb[3].as_number().unwrap(),
            rotate: 0,
        }
    };
    let mut a = block(Placement::Auto);
    a.image = Some(red_seal(120));
    let (page, rect) = check_all(&original, &a, view, "sample-auto-seal");
    let doc = Document::open(&original[..]).unwrap();
    assert_eq!(
        page + 1,
        doc.pages().unwrap().len(),
        "auto goes on the last page"
    );
    assert!(rect[2] - rect[0] > 250.0, "a seal makes the block wider");
    // Bottom right, one centimetre from the A4 page's edges.
    assert!(
        (rect[2] - (595.28 - 28.35)).abs() < 0.5,
        "right edge: {rect:?}"
    );
    assert!((rect[1] - 28.35).abs() < 0.5, "bottom edge: {rect:?}");

    // An explicit rectangle in the empty space under the first page's signature.
    let explicit = block(Placement::Explicit {
        page: 1,
        x: 300.0,
        y: 40.0,
        w: 260.0,
        h: 90.0,
    });
    let (page, rect) = check_all(&original, &explicit, view, "sample-explicit-page1");
    assert_eq!((page, rect), (0, [300.0, 40.0, 560.0, 130.0]));
}

/// A transparent PNG with a red ring (a seal), `side` pixels square.
fn red_seal(side: u32) -> Vec<u8> {
    let mut data = Vec::with_capacity((side * side * 4) as usize);
    let c = f64::from(side) / 2.0;
    for y in 0..side {
        for x in 0..side {
            let d = ((f64::from(x) - c).powi(2) + (f64::from(y) - c).powi(2)).sqrt();
            let on = d < c - 2.0 && d > c * 0.7;
            data.extend_from_slice(if on {
                &[200, 20, 20, 255]
            } else {
                &[0, 0, 0, 0]
            });
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(&data).unwrap();
    }
    out
}

#[test]
fn missing_font_names_the_package_and_invisible_needs_none() {
    let empty = tempfile::tempdir().unwrap();
    let original = one_page_pdf();
    let doc = Document::open(&original[..]).unwrap();
    let mut w = IncrementalWriter::new(&doc).unwrap();
    let mut a = block(Placement::Auto);
    a.font = FontChoice {
        path: Some(empty.path().join("no-such-font.ttf")),
        search_dirs: vec![empty.path().to_path_buf()],
    };
    let err = a.add_to(&doc, &mut w).unwrap_err();
    assert!(matches!(err, AppearanceError::NoFont { .. }), "{err}");
    assert!(err.to_string().contains("fonts-dejavu-core"), "{err}");

    a.placement = Placement::None;
    assert_eq!(a.add_to(&doc, &mut w).unwrap(), None);
    assert_eq!(a.time_format, DEFAULT_TIME_FORMAT);
}

#[test]
fn explicit_placement_on_a_missing_page_is_refused() {
    if !have_dejavu() {
        return;
    }
    let original = one_page_pdf();
    let doc = Document::open(&original[..]).unwrap();
    let mut w = IncrementalWriter::new(&doc).unwrap();
    let a = block("2,10,10,250,90".parse().unwrap());
    assert!(matches!(
        a.add_to(&doc, &mut w),
        Err(AppearanceError::NoSuchPage { page: 2, count: 1 })
    ));
}

#[test]
fn a_character_missing_from_the_font_is_an_error_not_a_box() {
    if !have_dejavu() {
        return;
    }
    let original = one_page_pdf();
    let doc = Document::open(&original[..]).unwrap();
    let mut w = IncrementalWriter::new(&doc).unwrap();
    let mut a = block(Placement::Auto);
    a.font = FontChoice {
        path: Some(DEJAVU.into()),
        search_dirs: vec![],
    };
    a.signer_cn = "Nguyễn Văn 安".into();
    let err = a.add_to(&doc, &mut w).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains('安') && msg.contains("U+5B89"), "{msg}");
}
