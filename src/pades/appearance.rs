//! The visible signature block, as the Vietnamese rules for electronic administrative documents
//! lay it out: who signed (the certificate's CN, on one line), for which agency, when ("Thời
//! gian ký" in Vietnam time, +07:00), optionally the ledger key that vouches for the document,
//! the seal or handwritten signature picture, and a QR code of the verification link.
//!
//! The block is a form XObject used as the widget's normal appearance (`/AP /N`). Its text is in
//! an embedded subset font with a ToUnicode map so the name prints with its diacritics and can
//! be copied; the QR code is vector paths, sharp at any print resolution.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::str::FromStr;

use thiserror::Error;
use time::format_description::OwnedFormatItem;
use time::{OffsetDateTime, UtcOffset};

use crate::pdf::font::{deflate, FontFace};
use crate::pdf::image::PngImage;
use crate::pdf::{
    ByteSource, Dict, Document, IncrementalWriter, ObjRef, Object, PdfError, SignatureField,
};

use super::fonts::{FontChoice, FONT_PACKAGE};

/// Default width of an automatically placed block, in points (about 8.8 cm): room for a QR
/// code, a seal and three lines of text at 8–10 pt.
pub const DEFAULT_WIDTH: f64 = 250.0;

/// Default height of an automatically placed block, in points (about 3.2 cm).
pub const DEFAULT_HEIGHT: f64 = 90.0;

/// Distance of an automatic block from the page's right and bottom edges: 1 cm, inside the
/// printable area of office printers.
pub const PAGE_MARGIN: f64 = 28.35;

/// Smallest side of the QR code including its quiet zone: 2 cm, which phone cameras read
/// from a printed page.
pub const QR_MIN_SIDE: f64 = 56.7;

/// Largest side of the QR code: 3 cm. A larger code only takes room from the text.
pub const QR_MAX_SIDE: f64 = 85.05;

/// Modules of white border on each side of the code (ISO/IEC 18004 §6.3.8).
pub const QR_QUIET_ZONE: usize = 4;

/// Longest URL put in the QR code. The design's links are about 60 bytes; 256 keeps the code
/// at a version whose modules stay above 0.4 mm at [`QR_MAX_SIDE`].
pub const MAX_QR_URL_BYTES: usize = 256;

/// Smallest font size used when shrinking a line to fit; smaller print is not legible.
pub const MIN_FONT_SIZE: f64 = 5.0;

/// Longest text line accepted (characters), so a hostile CN cannot make layout work large.
pub const MAX_LINE_CHARS: usize = 256;

/// Inner padding of the block, in points.
const PADDING: f64 = 4.0;

/// Nominal size of the signer's name line, in points.
const NAME_SIZE: f64 = 10.0;

/// Nominal size of the other lines, in points.
const TEXT_SIZE: f64 = 8.0;

/// Baseline-to-baseline distance as a multiple of the font size.
const LEADING: f64 = 1.3;

/// The default time format (`time` crate format description): `27/11/2026 15:30:00 +07:00`.
pub const DEFAULT_TIME_FORMAT: &str =
    "[day]/[month]/[year] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]";

/// Vietnam's time zone (Indochina Time, no daylight saving).
pub const VIETNAM_OFFSET: UtcOffset = time::macros::offset!(+7);

/// Why the visible block could not be drawn.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AppearanceError {
    /// No font file found (configured path absent and no preferred font installed).
    #[error("không tìm thấy phông chữ tiếng Việt để vẽ chữ ký hiển thị: hãy cài gói {package} hoặc cấu hình đường dẫn phông chữ / no font with Vietnamese glyphs for the visible signature (searched {searched}); install the Debian package {package} or configure a font file", package = FONT_PACKAGE)]
    NoFont { searched: String },

    /// The font file exists but could not be read.
    #[error("cannot read the font file {path}: {source}")]
    FontUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The document could not be read or updated, or the font or the picture could not be
    /// embedded.
    #[error(transparent)]
    Pdf(#[from] PdfError),

    /// The time format is not a valid `time` format description, or does not apply.
    #[error("invalid signing-time format: {0}")]
    TimeFormat(String),

    /// A `--visible` value that is neither `auto`, `none` nor `PAGE,X,Y,W,H`.
    #[error("invalid placement {0:?}: expected auto, none or PAGE,X,Y,W,H (page from 1, points)")]
    BadPlacement(String),

    /// The requested page does not exist.
    #[error("no page {page}: the document has {count}")]
    NoSuchPage { page: usize, count: usize },

    /// The block is too small for its content at the smallest legible sizes.
    #[error("the signature block is too small: {0}")]
    TooSmall(String),

    /// The QR code cannot be made for this URL.
    #[error("cannot make a QR code: {0}")]
    Qr(String),
}

/// Where the block goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    /// Bottom right of the last page, [`PAGE_MARGIN`] from the edges of its crop box.
    Auto,
    /// A rectangle on a page: `page` counts from 1, `x`, `y` (lower-left corner), `w`, `h` in
    /// points of default user space (the unrotated page). On a page with `/Rotate` 90 or 270
    /// the block is turned to read upright, so its reading width is `h`.
    Explicit {
        page: usize,
        x: f64,
        y: f64,
        w: f64,
        h: f64,
    },
    /// No visible block (an invisible signature).
    None,
}

impl FromStr for Placement {
    type Err = AppearanceError;

    /// Parses the CLI form: `auto`, `none` or `PAGE,X,Y,W,H`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || AppearanceError::BadPlacement(s.to_string());
        match s.trim() {
            "auto" => return Ok(Placement::Auto),
            "none" => return Ok(Placement::None),
            _ => {}
        }
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [page, x, y, w, h] = parts.as_slice() else {
            return Err(bad());
        };
        let page: usize = page.parse().map_err(|_| bad())?;
        let num = |v: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(bad)
        };
        let (x, y, w, h) = (num(x)?, num(y)?, num(w)?, num(h)?);
        if page == 0 || w <= 0.0 || h <= 0.0 {
            return Err(bad());
        }
        Ok(Placement::Explicit { page, x, y, w, h })
    }
}

/// id-at-commonName (RFC 5280 appendix A): the signer's name in the visible block.
const OID_COMMON_NAME: &str = "2.5.4.3";
/// id-at-organizationName: the agency in the visible block.
const OID_ORGANIZATION: &str = "2.5.4.10";

/// Everything shown in the block, and where it goes.
#[derive(Debug, Clone)]
pub struct SignatureAppearance {
    /// The signer certificate's common name.
    pub signer_cn: String,
    /// The agency (the certificate's O), if any.
    pub agency: Option<String>,
    /// The signing time (any offset; shown in +07:00).
    pub signing_time: OffsetDateTime,
    /// A `time` format description for the signing time; [`DEFAULT_TIME_FORMAT`] by default.
    pub time_format: String,
    /// The ledger's key ID, printed so a paper copy names the log that vouches for it.
    pub ledger_key_id: Option<String>,
    /// The verification URL put in the QR code.
    pub qr_url: Option<String>,
    /// A seal or handwritten-signature picture (PNG, transparency kept).
    pub image: Option<Vec<u8>>,
    /// Where the block goes.
    pub placement: Placement,
    /// Which font draws the text.
    pub font: FontChoice,
    /// A font already loaded, used instead of [`font`](Self::font): a service loads it once
    /// (and shares its subset cache) instead of reading and parsing a file for every signature.
    pub loaded_font: Option<FontFace>,
}

impl SignatureAppearance {
    /// A block with the default time format, automatic placement and font discovery.
    pub fn new(signer_cn: &str, signing_time: OffsetDateTime) -> Self {
        SignatureAppearance {
            signer_cn: signer_cn.to_string(),
            agency: None,
            signing_time,
            time_format: DEFAULT_TIME_FORMAT.to_string(),
            ledger_key_id: None,
            qr_url: None,
            image: None,
            placement: Placement::Auto,
            font: FontChoice::default(),
            loaded_font: None,
        }
    }

    /// A block for a signer certificate: its common name as the signer and its organization
    /// as the agency (the subject itself when it has no common name).
    pub fn for_certificate(cert: &crate::pki::Certificate, signing_time: OffsetDateTime) -> Self {
        let first = |oid: &str| {
            cert.subject()
                .attribute_texts(oid)
                .next()
                .map(str::to_string)
        };
        let mut a = Self::new(
            &first(OID_COMMON_NAME).unwrap_or_else(|| cert.display_subject()),
            signing_time,
        );
        a.agency = first(OID_ORGANIZATION);
        a
    }

    /// The text lines of the block with their nominal sizes, top to bottom.
    pub fn lines(&self) -> Result<Vec<(String, f64)>, AppearanceError> {
        let mut lines = vec![(format!("Ký bởi: {}", self.signer_cn), NAME_SIZE)];
        if let Some(agency) = &self.agency {
            lines.push((format!("Cơ quan: {agency}"), TEXT_SIZE));
        }
        let when = format_signing_time(self.signing_time, &self.time_format)?;
        lines.push((format!("Thời gian ký: {when}"), TEXT_SIZE));
        if let Some(key) = &self.ledger_key_id {
            lines.push((format!("Sổ cái: {key}"), TEXT_SIZE));
        }
        for (line, _) in &lines {
            if line.chars().count() > MAX_LINE_CHARS {
                return Err(AppearanceError::TooSmall(format!(
                    "a line is longer than {MAX_LINE_CHARS} characters"
                )));
            }
        }
        Ok(lines)
    }

    /// Draws the block into the update: the font, picture and appearance stream are added to
    /// `w`, and the widget's page and rectangle returned. `None` for [`Placement::None`], in
    /// which case no font is needed.
    pub fn add_to<S: ByteSource>(
        &self,
        doc: &Document<S>,
        w: &mut IncrementalWriter<'_, S>,
    ) -> Result<Option<PlacedAppearance>, AppearanceError> {
        if self.placement == Placement::None {
            return Ok(None);
        }
        match &self.loaded_font {
            Some(face) => self.add_with_font(face, doc, w),
            None => self.add_with_font(&self.font.load()?, doc, w),
        }
    }

    /// As [`add_to`](Self::add_to), with a font already loaded (a service loads it once
    /// instead of reading and parsing the file for every signature); [`font`](Self::font) is
    /// not used.
    pub fn add_with_font<S: ByteSource>(
        &self,
        face: &FontFace,
        doc: &Document<S>,
        w: &mut IncrementalWriter<'_, S>,
    ) -> Result<Option<PlacedAppearance>, AppearanceError> {
        if self.placement == Placement::None {
            return Ok(None);
        }
        let lines = self.lines()?;
        let image = self.image.as_deref().map(PngImage::decode).transpose()?;
        let qr = self.qr_url.as_deref().map(qr_matrix).transpose()?;
        let aspect = image
            .as_ref()
            .map(|i| f64::from(i.width()) / f64::from(i.height()));
        let measure = |t: &str, size: f64| face.text_width(t, size);

        let pages = doc.pages()?;
        let page = match self.placement {
            Placement::Explicit { page, .. } => {
                if page == 0 || page > pages.len() {
                    return Err(AppearanceError::NoSuchPage {
                        page,
                        count: pages.len(),
                    });
                }
                page - 1
            }
            _ => pages
                .len()
                .checked_sub(1)
                .ok_or(AppearanceError::NoSuchPage { page: 1, count: 0 })?,
        };
        let page_ref = *pages.get(page).ok_or(AppearanceError::NoSuchPage {
            page: page + 1,
            count: pages.len(),
        })?;
        let geometry = page_geometry(doc, page_ref)?;
        let quarter = geometry.rotate % 180 == 90;
        // (bw, bh): the block as read, upright; `rect`: the widget in default user space.
        let (bw, bh, rect) = match self.placement {
            Placement::Explicit { x, y, w, h, .. } => {
                if ![x, y, w, h].iter().all(|v| v.is_finite()) || w <= 0.0 || h <= 0.0 {
                    return Err(AppearanceError::BadPlacement(format!(
                        "{},{x},{y},{w},{h}",
                        page + 1
                    )));
                }
                let (bw, bh) = if quarter { (h, w) } else { (w, h) };
                (bw, bh, [x, y, x + w, y + h])
            }
            _ => {
                let bx = geometry.visible;
                let page_w = if quarter {
                    bx[3] - bx[1]
                } else {
                    bx[2] - bx[0]
                };
                let needed = auto_width(&lines, &measure, qr.is_some(), aspect)?;
                let bw = needed.max(DEFAULT_WIDTH).min(page_w - 2.0 * PAGE_MARGIN);
                let bh = DEFAULT_HEIGHT;
                (bw, bh, bottom_right(bx, geometry.rotate, bw, bh))
            }
        };
        let layout = layout(
            &lines,
            &measure,
            bw,
            bh,
            qr.as_ref().map(|q| q.width),
            aspect,
        )?;

        // All digits, whatever the time shows, so one signer's blocks share one cached subset.
        let mut texts: Vec<&str> = lines.iter().map(|(t, _)| t.as_str()).collect();
        texts.push("0123456789");
        let subset = face.subset(&texts)?;
        let font_ref = subset.write(w);
        let image_ref = image.as_ref().map(|i| i.write(w));

        let mut content = String::new();
        content.push_str("q\n");
        // A thin frame marks the block as a signature, not part of the decision's text.
        let _ = writeln!(
            content,
            "0.5 w 0.1 0.2 0.55 RG {} {} {} {} re S",
            num(0.25),
            num(0.25),
            num(bw - 0.5),
            num(bh - 0.5)
        );
        if let (Some(q), Some(sq)) = (&qr, layout.qr) {
            draw_qr(&mut content, q, sq);
        }
        if let (Some(r), Some(_)) = (layout.image, image_ref) {
            let _ = writeln!(
                content,
                "q {} 0 0 {} {} {} cm /Im1 Do Q",
                num(r[2]),
                num(r[3]),
                num(r[0]),
                num(r[1])
            );
        }
        let mut content = content.into_bytes();
        for line in &layout.lines {
            let shown = subset.encode(&line.text)?;
            content.extend_from_slice(
                format!(
                    "BT 0 g /F1 {} Tf 1 0 0 1 {} {} Tm ",
                    num(line.size),
                    num(line.x),
                    num(line.y)
                )
                .as_bytes(),
            );
            Object::String(shown).write_to(&mut content);
            content.extend_from_slice(b" Tj ET\n");
        }
        content.extend_from_slice(b"Q\n");

        let mut fonts = Dict::new();
        fonts.set("F1", font_ref);
        let mut resources = Dict::new();
        resources.set("Font", fonts);
        if let Some(r) = image_ref {
            let mut xobjects = Dict::new();
            xobjects.set("Im1", r);
            resources.set("XObject", xobjects);
        }
        let mut form = Dict::new();
        form.set("Type", Object::name("XObject"));
        form.set("Subtype", Object::name("Form"));
        form.set(
            "BBox",
            vec![
                Object::Integer(0),
                Object::Integer(0),
                Object::Real(bw),
                Object::Real(bh),
            ],
        );
        if let Some(m) = counter_rotation(geometry.rotate) {
            form.set(
                "Matrix",
                m.iter().map(|v| Object::Integer(*v)).collect::<Vec<_>>(),
            );
        }
        form.set("Resources", resources);
        form.set("Filter", Object::name("FlateDecode"));
        let appearance = w.add_stream(form, deflate(&content));
        Ok(Some(PlacedAppearance {
            appearance,
            page,
            rect,
            font_name: subset.base_font().to_string(),
        }))
    }
}

/// The drawn block: the appearance stream and where its widget goes.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedAppearance {
    /// The form XObject, for the widget's `/AP /N`.
    pub appearance: ObjRef,
    /// Zero-based page index of the widget.
    pub page: usize,
    /// The widget's `/Rect` in default user space.
    pub rect: [f64; 4],
    /// The embedded font's `/BaseFont` (subset tag included).
    pub font_name: String,
}

impl PlacedAppearance {
    /// The signature field whose widget shows this block; `value` is the signature
    /// dictionary (`None` leaves the field unsigned).
    pub fn field<'a>(&self, name: &'a str, value: Option<ObjRef>) -> SignatureField<'a> {
        SignatureField {
            name,
            page: self.page,
            rect: self.rect,
            appearance: Some(self.appearance),
            value,
        }
    }
}

/// The signing time in Vietnam time, formatted with `format` (a `time` format description).
pub fn format_signing_time(t: OffsetDateTime, format: &str) -> Result<String, AppearanceError> {
    let items: OwnedFormatItem = time::format_description::parse_owned::<2>(format)
        .map_err(|e| AppearanceError::TimeFormat(e.to_string()))?;
    t.to_offset(VIETNAM_OFFSET)
        .format(&items)
        .map_err(|e| AppearanceError::TimeFormat(e.to_string()))
}

/// A QR code's dark modules, row-major from the top, without quiet zone.
#[derive(Debug, Clone)]
struct QrMatrix {
    width: usize,
    dark: Vec<bool>,
}

fn qr_matrix(url: &str) -> Result<QrMatrix, AppearanceError> {
    if url.len() > MAX_QR_URL_BYTES {
        return Err(AppearanceError::Qr(format!(
            "the URL is longer than {MAX_QR_URL_BYTES} bytes"
        )));
    }
    let code = fast_qr::QRBuilder::new(url.as_bytes())
        .ecl(fast_qr::ECL::M)
        .build()
        .map_err(|e| AppearanceError::Qr(format!("{e:?}")))?;
    let width = code.size;
    let dark = code
        .data
        .get(..width * width)
        .ok_or_else(|| AppearanceError::Qr("the symbol is larger than its matrix".into()))?
        .iter()
        .map(|m| m.value())
        .collect();
    Ok(QrMatrix { width, dark })
}

/// White square with quiet zone, then one rectangle per horizontal run of dark modules.
fn draw_qr(out: &mut String, q: &QrMatrix, sq: [f64; 3]) {
    let [x, y, side] = sq;
    let module = side / (q.width + 2 * QR_QUIET_ZONE) as f64;
    let _ = writeln!(
        out,
        "1 g {} {} {} {} re f 0 g",
        num(x),
        num(y),
        num(side),
        num(side)
    );
    let origin_x = x + QR_QUIET_ZONE as f64 * module;
    let top = y + side - QR_QUIET_ZONE as f64 * module;
    for (row, cells) in q.dark.chunks(q.width.max(1)).enumerate() {
        let ry = top - (row + 1) as f64 * module;
        let mut col = 0;
        while col < cells.len() {
            if cells.get(col) == Some(&true) {
                let start = col;
                while cells.get(col) == Some(&true) {
                    col += 1;
                }
                let _ = write!(
                    out,
                    "{} {} {} {} re ",
                    num(origin_x + start as f64 * module),
                    num(ry),
                    num((col - start) as f64 * module),
                    num(module)
                );
            } else {
                col += 1;
            }
        }
        out.push('\n');
    }
    out.push_str("f\n");
}

/// A line placed in the block: baseline origin and size.
#[derive(Debug, Clone, PartialEq)]
struct PlacedLine {
    text: String,
    size: f64,
    x: f64,
    y: f64,
}

/// Positions inside the block (origin at its lower-left corner).
#[derive(Debug, Clone, PartialEq)]
struct Layout {
    /// QR square: x, y, side (quiet zone included).
    qr: Option<[f64; 3]>,
    /// Picture: x, y, width, height.
    image: Option<[f64; 4]>,
    lines: Vec<PlacedLine>,
}

/// Side of the QR square for a block of height `h`.
fn qr_side(h: f64) -> f64 {
    (h - 2.0 * PADDING).min(QR_MAX_SIDE)
}

/// Width of the picture column for a block of height `h`.
fn image_width(h: f64, aspect: f64) -> f64 {
    // A very wide picture would leave no room for text: at most a square and a half.
    (h - 2.0 * PADDING) * aspect.min(1.5)
}

/// The width an automatic block needs to show every line at its nominal size.
fn auto_width(
    lines: &[(String, f64)],
    measure: &dyn Fn(&str, f64) -> Result<f64, PdfError>,
    qr: bool,
    aspect: Option<f64>,
) -> Result<f64, AppearanceError> {
    let mut text = 0.0f64;
    for (t, size) in lines {
        text = text.max(measure(t, *size)?);
    }
    let mut w = 2.0 * PADDING + text;
    if qr {
        w += qr_side(DEFAULT_HEIGHT) + PADDING;
    }
    if let Some(a) = aspect {
        w += image_width(DEFAULT_HEIGHT, a) + PADDING;
    }
    Ok(w.ceil())
}

/// Lays out the block: picture on the left, QR code on the right, the lines between them,
/// each on one line, shrunk (never wrapped) to the column's width, and centred vertically.
fn layout(
    lines: &[(String, f64)],
    measure: &dyn Fn(&str, f64) -> Result<f64, PdfError>,
    w: f64,
    h: f64,
    qr_modules: Option<usize>,
    aspect: Option<f64>,
) -> Result<Layout, AppearanceError> {
    if !(w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0) {
        return Err(AppearanceError::TooSmall(format!("{w} × {h} pt")));
    }
    let mut right = w - PADDING;
    let qr = match qr_modules {
        None => None,
        Some(_) => {
            let side = qr_side(h);
            if side < QR_MIN_SIDE {
                return Err(AppearanceError::TooSmall(format!(
                    "a QR code needs a block at least {:.1} pt high",
                    QR_MIN_SIDE + 2.0 * PADDING
                )));
            }
            let x = right - side;
            right = x - PADDING;
            Some([x, (h - side) / 2.0, side])
        }
    };
    let mut left = PADDING;
    let image = aspect.map(|a| {
        let iw = image_width(h, a);
        let ih = iw / a.max(f64::MIN_POSITIVE);
        let r = [left, (h - ih) / 2.0, iw, ih];
        left += iw + PADDING;
        r
    });
    let column = right - left;
    if column <= 0.0 {
        return Err(AppearanceError::TooSmall(format!(
            "no room for text in a {w:.1} pt wide block"
        )));
    }

    let mut sized = Vec::with_capacity(lines.len());
    for (text, nominal) in lines {
        let natural = measure(text, *nominal)?;
        let size = if natural > column {
            nominal * column / natural
        } else {
            *nominal
        };
        sized.push((text, size));
    }
    let stack: f64 = sized.iter().map(|(_, s)| s * LEADING).sum();
    let room = h - 2.0 * PADDING;
    let scale = if stack > room { room / stack } else { 1.0 };
    let mut lines_out = Vec::with_capacity(sized.len());
    let mut cursor = (h + stack * scale) / 2.0;
    for (text, size) in sized {
        let size = size * scale;
        if size < MIN_FONT_SIZE {
            return Err(AppearanceError::TooSmall(format!(
                "{text:?} would need a font below {MIN_FONT_SIZE} pt"
            )));
        }
        cursor -= size * LEADING;
        lines_out.push(PlacedLine {
            text: text.clone(),
            size,
            x: left,
            // The baseline sits above the line's bottom by about the descender depth.
            y: cursor + size * (LEADING - 1.0) / 2.0 + size * 0.22,
        });
    }
    Ok(Layout {
        qr,
        image,
        lines: lines_out,
    })
}

/// What placement needs to know of a page.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PageGeometry {
    /// The visible area: the `/CropBox` clipped to the `/MediaBox`, `[x0 y0 x1 y1]` with
    /// x0 < x1 and y0 < y1.
    visible: [f64; 4],
    /// The page's `/Rotate`, normalized to 0, 90, 180 or 270 (clockwise, as displayed).
    rotate: u32,
}

/// The page's boxes and rotation, all inheritable from the page tree (ISO 32000-1 §7.7.3.4).
fn page_geometry<S: ByteSource>(doc: &Document<S>, page: ObjRef) -> Result<PageGeometry, PdfError> {
    /// Page-tree levels walked up for inherited entries; real trees are a few levels deep.
    const MAX_INHERIT_DEPTH: usize = 32;
    let mut media = None;
    let mut crop = None;
    let mut rotate = None;
    let mut node = Some(page);
    for _ in 0..MAX_INHERIT_DEPTH {
        let Some(r) = node else { break };
        let dict = doc.dict_in(doc.last_revision(), &Object::Ref(r), "a page tree node")?;
        if media.is_none() {
            media = read_box(doc, dict.get("MediaBox"))?;
        }
        if crop.is_none() {
            crop = read_box(doc, dict.get("CropBox"))?;
        }
        if rotate.is_none() {
            rotate = match dict.get("Rotate") {
                Some(v) => doc.resolve(v)?.as_int(),
                None => None,
            };
        }
        node = dict.get_ref("Parent");
    }
    let media = media.ok_or_else(|| PdfError::Structure("the page has no /MediaBox".into()))?;
    let visible = match crop {
        Some(c) => [
            c[0].max(media[0]),
            c[1].max(media[1]),
            c[2].min(media[2]),
            c[3].min(media[3]),
        ],
        None => media,
    };
    // A value that is not a multiple of 90 is invalid (§7.7.3.3); viewers then show the page
    // unrotated, and so does the block.
    let rotate = rotate
        .map(|r| r.rem_euclid(360))
        .filter(|r| r % 90 == 0)
        .and_then(|r| u32::try_from(r).ok())
        .unwrap_or(0);
    Ok(PageGeometry { visible, rotate })
}

/// The widget rectangle (user space) of a `bw` × `bh` block seen at the bottom right of a
/// page displayed with `rotate`, [`PAGE_MARGIN`] from the visible edges.
fn bottom_right(bx: [f64; 4], rotate: u32, bw: f64, bh: f64) -> [f64; 4] {
    let m = PAGE_MARGIN;
    let [x0, y0, x1, y1] = bx;
    match rotate {
        90 => [x1 - m - bh, y1 - m - bw, x1 - m, y1 - m],
        180 => [x0 + m, y1 - m - bh, x0 + m + bw, y1 - m],
        270 => [x0 + m, y0 + m, x0 + m + bh, y0 + m + bw],
        _ => [x1 - m - bw, y0 + m, x1 - m, y0 + m + bh],
    }
}

/// The form `/Matrix` that turns the block against the page's rotation so it reads upright
/// (the widget's appearance is rotated with the page, ISO 32000-1 §12.5.5).
fn counter_rotation(rotate: u32) -> Option<[i64; 6]> {
    match rotate {
        90 => Some([0, 1, -1, 0, 0, 0]),
        180 => Some([-1, 0, 0, -1, 0, 0]),
        270 => Some([0, -1, 1, 0, 0, 0]),
        _ => None,
    }
}

fn read_box<S: ByteSource>(
    doc: &Document<S>,
    value: Option<&Object>,
) -> Result<Option<[f64; 4]>, PdfError> {
    let Some(value) = value else { return Ok(None) };
    let arr = doc.resolve(value)?;
    let Some(items) = arr.as_array() else {
        return Ok(None);
    };
    let mut v = [0.0; 4];
    if items.len() != 4 {
        return Ok(None);
    }
    for (slot, item) in v.iter_mut().zip(items) {
        match doc.resolve(item)?.as_number() {
            Some(n) if n.is_finite() => *slot = n,
            _ => return Ok(None),
        }
    }
    Ok(Some([
        v[0].min(v[2]),
        v[1].min(v[3]),
        v[0].max(v[2]),
        v[1].max(v[3]),
    ]))
}

/// A number for a content stream: at most three decimals, no exponent, no trailing zeros.
/// A PDF number rounded to three decimals, trailing zeros dropped (`12.5`, `0`, `-3.125`);
/// written with integer arithmetic, as the float formatter's exact mode is slow and a signing
/// writes a few hundred of these. Values that are not finite or too large for a page are 0.
fn num(v: f64) -> Num {
    Num(v)
}

struct Num(f64);

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        /// Far beyond any page coordinate, and exact in an f64.
        const LIMIT: f64 = 1e15;
        let milli = (self.0 * 1000.0).round();
        if !milli.is_finite() || milli.abs() >= LIMIT || milli == 0.0 {
            return f.write_str("0");
        }
        // In range: |milli| < 1e15 fits an i64 exactly.
        let m = milli as i64;
        let sign = if m < 0 { "-" } else { "" };
        let (int, mut frac) = (m.unsigned_abs() / 1000, m.unsigned_abs() % 1000);
        if frac == 0 {
            return write!(f, "{sign}{int}");
        }
        let mut digits = 3;
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        write!(f, "{sign}{int}.{frac:0digits$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character half an em wide.
    fn half_em(t: &str, size: f64) -> Result<f64, PdfError> {
        Ok(t.chars().count() as f64 * size * 0.5)
    }

    fn lines(cn: &str) -> Vec<(String, f64)> {
        vec![
            (cn.to_string(), NAME_SIZE),
            ("Cơ quan: UBND".to_string(), TEXT_SIZE),
            (
                "Thời gian ký: 27/11/2026 15:30:00 +07:00".to_string(),
                TEXT_SIZE,
            ),
        ]
    }

    #[test]
    fn a_long_name_shrinks_on_one_line() {
        let short = layout(
            &lines("Nguyễn Văn An"),
            &half_em,
            250.0,
            90.0,
            Some(29),
            None,
        )
        .unwrap();
        let name = short.lines.first().unwrap();
        assert_eq!(name.size, NAME_SIZE);
        let long_cn = "Nguyễn Thị Phương Thảo Ủy ban nhân dân tỉnh Đắk Lắk Sở Tư pháp";
        let long = layout(&lines(long_cn), &half_em, 250.0, 90.0, Some(29), None).unwrap();
        let name = long.lines.first().unwrap();
        assert!(
            name.size < NAME_SIZE && name.size >= MIN_FONT_SIZE,
            "{}",
            name.size
        );
        assert_eq!(long.lines.len(), 3, "shrunk, not wrapped");
        let [qx, _, _] = long.qr.unwrap();
        let right = name.x + half_em(long_cn, name.size).unwrap();
        assert!(right <= qx - PADDING + 1e-9, "{right} > {qx}");
        // Baselines go down the block, inside it.
        let ys: Vec<f64> = long.lines.iter().map(|l| l.y).collect();
        assert!(ys.windows(2).all(|p| p[0] > p[1]));
        assert!(ys.iter().all(|y| *y > 0.0 && *y < 90.0));
    }

    #[test]
    fn text_that_cannot_fit_legibly_is_an_error() {
        let huge = "A".repeat(200);
        let err = layout(&lines(&huge), &half_em, 250.0, 90.0, Some(29), None).unwrap_err();
        assert!(matches!(err, AppearanceError::TooSmall(_)), "{err}");
    }

    #[test]
    fn qr_is_at_least_two_centimetres() {
        let l = layout(&lines("An"), &half_em, 250.0, 90.0, Some(29), None).unwrap();
        let [x, y, side] = l.qr.unwrap();
        assert!(side >= QR_MIN_SIDE);
        assert!(x + side <= 250.0 && y >= 0.0 && y + side <= 90.0);
        let err = layout(&lines("An"), &half_em, 250.0, 60.0, Some(29), None).unwrap_err();
        assert!(matches!(err, AppearanceError::TooSmall(_)));
        // Without a QR code a low block is fine.
        assert!(layout(&lines("An"), &half_em, 250.0, 40.0, None, None).is_ok());
    }

    #[test]
    fn picture_goes_left_of_the_text() {
        let l = layout(&lines("An"), &half_em, 300.0, 90.0, Some(29), Some(1.0)).unwrap();
        let [ix, _, iw, ih] = l.image.unwrap();
        assert_eq!(ix, PADDING);
        assert!((iw - ih).abs() < 1e-9);
        assert!(l.lines.iter().all(|line| line.x >= ix + iw));
    }

    #[test]
    fn auto_width_grows_for_long_lines() {
        let short = [("An".to_string(), NAME_SIZE)];
        let w = auto_width(&short, &half_em, true, None).unwrap();
        assert!(w < DEFAULT_WIDTH);
        let long = "Ký bởi: ".to_string() + &"Nguyễn ".repeat(10);
        let w = auto_width(&lines(&long), &half_em, true, None).unwrap();
        assert!(w > DEFAULT_WIDTH);
        let l = layout(&lines(&long), &half_em, w, DEFAULT_HEIGHT, Some(29), None).unwrap();
        assert_eq!(l.lines.first().unwrap().size, NAME_SIZE);
    }

    #[test]
    fn time_is_shown_in_vietnam_time() {
        let t = time::macros::datetime!(2026-11-27 08:30:00 UTC);
        assert_eq!(
            format_signing_time(t, DEFAULT_TIME_FORMAT).unwrap(),
            "27/11/2026 15:30:00 +07:00"
        );
        // Across midnight, and from another offset.
        let t = time::macros::datetime!(2026-12-31 20:15:07 -02:00);
        assert_eq!(
            format_signing_time(t, DEFAULT_TIME_FORMAT).unwrap(),
            "01/01/2027 05:15:07 +07:00"
        );
        let custom = "[hour]:[minute] ngày [day]/[month]/[year] (UTC[offset_hour sign:mandatory])";
        assert_eq!(
            format_signing_time(t, custom).unwrap(),
            "05:15 ngày 01/01/2027 (UTC+07)"
        );
        assert!(matches!(
            format_signing_time(t, "[nonsense]"),
            Err(AppearanceError::TimeFormat(_))
        ));
    }

    #[test]
    fn placement_parses_the_cli_forms() {
        assert_eq!("auto".parse::<Placement>().unwrap(), Placement::Auto);
        assert_eq!("none".parse::<Placement>().unwrap(), Placement::None);
        assert_eq!(
            "2,10,20,250.5,90".parse::<Placement>().unwrap(),
            Placement::Explicit {
                page: 2,
                x: 10.0,
                y: 20.0,
                w: 250.5,
                h: 90.0
            }
        );
        for bad in [
            "",
            "0,1,1,1,1",
            "1,1,1,0,1",
            "1,1,1,1",
            "1,a,1,1,1",
            "1,1,1,1,inf",
        ] {
            assert!(bad.parse::<Placement>().is_err(), "{bad}");
        }
    }

    #[test]
    fn qr_runs_are_merged() {
        let q = qr_matrix("http://127.0.0.1:8080/v/ABCDEFGHIJKLMNOPQRSTUVWXYZ").unwrap();
        let mut s = String::new();
        draw_qr(&mut s, &q, [0.0, 0.0, 74.0]);
        let rects = s.matches(" re").count() - 1;
        let dark = q.dark.iter().filter(|d| **d).count();
        assert!(rects < dark, "{rects} rectangles for {dark} dark modules");
        assert!(qr_matrix(&"x".repeat(MAX_QR_URL_BYTES + 1)).is_err());
    }

    #[test]
    fn rotated_pages_get_the_block_at_their_visual_bottom_right() {
        let bx = [0.0, 0.0, 600.0, 800.0];
        let (bw, bh) = (250.0, 90.0);
        for rotate in [0, 90, 180, 270] {
            let r = bottom_right(bx, rotate, bw, bh);
            // Corners of the rect as seen on the displayed page (x right, y up).
            let see = |x: f64, y: f64| match rotate {
                90 => (y, 600.0 - x),
                180 => (600.0 - x, 800.0 - y),
                270 => (800.0 - y, x),
                _ => (x, y),
            };
            let (ax, ay) = see(r[0], r[1]);
            let (cx, cy) = see(r[2], r[3]);
            let (vx0, vx1) = (ax.min(cx), ax.max(cx));
            let (vy0, vy1) = (ay.min(cy), ay.max(cy));
            let page_w = if rotate % 180 == 90 { 800.0 } else { 600.0 };
            assert!(
                (vx1 - (page_w - PAGE_MARGIN)).abs() < 1e-9,
                "{rotate}: {r:?}"
            );
            assert!((vy0 - PAGE_MARGIN).abs() < 1e-9, "{rotate}: {r:?}");
            assert!(((vx1 - vx0) - bw).abs() < 1e-9 && ((vy1 - vy0) - bh).abs() < 1e-9);
            // The counter-rotation maps the form's x axis onto the displayed x axis.
            if let Some([a, b, ..]) = counter_rotation(rotate) {
                let (ux, uy) = (a as f64, b as f64);
                let (o, p) = (see(0.0, 0.0), see(ux, uy));
                assert_eq!((p.0 - o.0, p.1 - o.1), (1.0, 0.0), "{rotate}");
            }
        }
    }

    #[test]
    fn numbers_are_plain() {
        for (v, want) in [
            (1.0, "1"),
            (-0.0001, "0"),
            (12.3456, "12.346"),
            (56.7, "56.7"),
            (-3.125, "-3.125"),
            (0.05, "0.05"),
            (-0.4, "-0.4"),
            (841.89, "841.89"),
            (f64::NAN, "0"),
            (f64::INFINITY, "0"),
        ] {
            assert_eq!(num(v).to_string(), want, "{v}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Within half a thousandth of the value, in the plain form PDF numbers take.
            #[test]
            fn numbers_round_to_three_decimals(v in -1.0e6f64..1.0e6) {
                let text = num(v).to_string();
                let back: f64 = text.parse().expect("a number");
                prop_assert!((back - v).abs() <= 0.0005 + 1e-9, "{v} written {text}");
                prop_assert!(!text.contains('e') && text != "-0");
                if let Some((_, frac)) = text.split_once('.') {
                    prop_assert!(frac.len() <= 3 && !frac.ends_with('0'), "{text}");
                }
            }
        }

        /// Characters of varied widths: narrow, wide, Vietnamese letters with stacked marks.
        fn width_of(c: char) -> f64 {
            match c {
                'i' | 'l' | '.' | ' ' => 0.3,
                'M' | 'W' | 'Ư' | 'Ở' => 0.9,
                _ => 0.55,
            }
        }

        fn measure(t: &str, size: f64) -> Result<f64, PdfError> {
            Ok(t.chars().map(width_of).sum::<f64>() * size)
        }

        proptest! {
            /// Whatever the name and block size, the layout either refuses (too small) or puts
            /// every line on one line inside the text column, at a legible size no larger than
            /// nominal, with baselines going down inside the block and clear of the QR code.
            #[test]
            fn lines_fit_or_layout_refuses(
                cn in "[a-zA-ZđĐăâêôơưễữởỹ .ilMWƯỞ]{1,80}",
                w in 40.0f64..700.0,
                h in 30.0f64..200.0,
                with_qr in any::<bool>(),
                aspect in proptest::option::of(0.2f64..5.0),
            ) {
                let lines = lines(&cn);
                let qr = with_qr.then_some(29usize);
                match layout(&lines, &measure, w, h, qr, aspect) {
                    Err(AppearanceError::TooSmall(_)) => {}
                    Err(e) => prop_assert!(false, "unexpected error {e}"),
                    Ok(l) => {
                        prop_assert_eq!(l.lines.len(), lines.len());
                        let right = l.qr.map(|[x, _, _]| x - PADDING).unwrap_or(w - PADDING);
                        let mut last_y = f64::INFINITY;
                        for (placed, (text, nominal)) in l.lines.iter().zip(&lines) {
                            prop_assert_eq!(&placed.text, text);
                            prop_assert!(placed.size >= MIN_FONT_SIZE && placed.size <= *nominal + 1e-9);
                            let end = placed.x + measure(text, placed.size).unwrap();
                            prop_assert!(end <= right + 1e-6, "{} > {}", end, right);
                            prop_assert!(placed.y > 0.0 && placed.y < h && placed.y < last_y);
                            last_y = placed.y;
                        }
                        if let Some([x, y, side]) = l.qr {
                            prop_assert!((QR_MIN_SIDE..=QR_MAX_SIDE).contains(&side));
                            prop_assert!(x >= 0.0 && y >= 0.0 && x + side <= w + 1e-9 && y + side <= h + 1e-9);
                        }
                        if let Some([ix, iy, iw, ih]) = l.image {
                            prop_assert!(ix >= 0.0 && iy >= -1e-9 && iy + ih <= h + 1e-9);
                            prop_assert!(l.lines.iter().all(|line| line.x >= ix + iw));
                        }
                    }
                }
            }
        }
    }
}
