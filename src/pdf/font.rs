//! Embedded subset TrueType fonts for text that must print with Vietnamese diacritics and stay
//! extractable: a composite font (ISO 32000-1 §9.7) of type `/Type0` with `/Identity-H`
//! encoding, a `/CIDFontType2` descendant whose CIDs are the glyph ids of the subset program
//! (`/CIDToGIDMap /Identity`), `/W` widths, a `/FontDescriptor` with the program in
//! `/FontFile2` (§9.9), and a `/ToUnicode` CMap (§9.10.3) so that copying or `pdftotext` gives
//! back the exact text.
//!
//! Text is NFC-normalized before lookup: Vietnamese typed on some keyboards arrives decomposed
//! (base letter + combining marks), which fonts map to separate, badly placed glyphs, while the
//! precomposed letters (U+1EA0–U+1EF9 and Latin-1) have proper glyphs. One character is one
//! glyph (no shaping), which is right for Latin-script Vietnamese once composed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use flate2::write::ZlibEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use super::error::PdfError;
use super::object::{Dict, ObjRef, Object, PdfString};
use super::source::ByteSource;
use super::writer::IncrementalWriter;

/// Largest font file accepted. Vietnamese-capable sans fonts are 0.3–2 MiB (DejaVu Sans is
/// 0.7 MiB); 32 MiB admits large pan-Unicode fonts while bounding what is parsed and subset.
pub const MAX_FONT_FILE_BYTES: usize = 32 << 20;

/// Distinct characters in one subset. A signature block shows a few short lines; 1,024
/// bounds the `/W` array, the ToUnicode CMap and the subsetter's work.
pub const MAX_SUBSET_CHARS: usize = 1_024;

/// Subsets remembered per font. A service signs for a few signers, each of whose blocks
/// uses the same characters every time once the digits are included, so a small cache turns
/// subsetting and compressing the program (about a millisecond) into a lookup.
const SUBSET_CACHE_ENTRIES: usize = 64;

/// Entries per `beginbfchar` block: the CMap syntax allows at most 100 (Adobe TN 5411).
const BFCHAR_BLOCK: usize = 100;

/// A parsed TrueType font program, ready to measure text and to produce subsets. Clones
/// share the program and the cache of recent subsets.
#[derive(Debug, Clone)]
pub struct FontFace {
    data: Arc<Vec<u8>>,
    name: String,
    cache: Arc<Mutex<SubsetCache>>,
}

/// Recent subsets keyed by their sorted, distinct characters, oldest first.
type SubsetCache = Vec<(Vec<char>, FontSubset)>;

impl FontFace {
    /// Reads a TrueType font (the first face of a collection). Refuses fonts without `glyf`
    /// outlines and fonts whose licence forbids embedding or subsetting.
    pub fn parse(data: Vec<u8>) -> Result<Self, PdfError> {
        if data.len() > MAX_FONT_FILE_BYTES {
            return Err(PdfError::LimitExceeded {
                what: "font file size in bytes",
                limit: MAX_FONT_FILE_BYTES as u64,
            });
        }
        let face =
            ttf_parser::Face::parse(&data, 0).map_err(|e| PdfError::BadFont(e.to_string()))?;
        let name = postscript_name(&face);
        if face.tables().glyf.is_none() {
            return Err(PdfError::NotTrueType(name));
        }
        if face.permissions() == Some(ttf_parser::Permissions::Restricted)
            || !face.is_subsetting_allowed()
        {
            return Err(PdfError::EmbeddingForbidden(name));
        }
        if face.units_per_em() == 0 {
            return Err(PdfError::BadFont("unitsPerEm is zero".into()));
        }
        Ok(FontFace {
            data: Arc::new(data),
            name,
            cache: Arc::default(),
        })
    }

    /// The font's PostScript name (ASCII letters, digits and `-` only).
    pub fn name(&self) -> &str {
        &self.name
    }

    fn face(&self) -> Result<ttf_parser::Face<'_>, PdfError> {
        ttf_parser::Face::parse(&self.data, 0).map_err(|e| PdfError::BadFont(e.to_string()))
    }

    /// The glyph of each character of `text` (NFC), with its advance in 1/1000 em.
    fn glyphs(&self, text: &str) -> Result<Vec<(char, u16, u16)>, PdfError> {
        let face = self.face()?;
        let upem = f64::from(face.units_per_em());
        text.nfc()
            .map(|ch| {
                let gid = face.glyph_index(ch).filter(|g| g.0 != 0).ok_or_else(|| {
                    PdfError::MissingGlyph {
                        ch,
                        font: self.name.clone(),
                    }
                })?;
                let adv = f64::from(face.glyph_hor_advance(gid).unwrap_or(0));
                // Rounded once here so that measuring and the /W array agree exactly.
                let width = (adv * 1000.0 / upem)
                    .round()
                    .clamp(0.0, f64::from(u16::MAX)) as u16;
                Ok((ch, gid.0, width))
            })
            .collect()
    }

    /// Width of `text` set at `size` points, in points. Fails on a character the font lacks.
    pub fn text_width(&self, text: &str, size: f64) -> Result<f64, PdfError> {
        let total: u64 = self
            .glyphs(text)?
            .iter()
            .map(|(_, _, w)| u64::from(*w))
            .sum();
        Ok(total as f64 * size / 1000.0)
    }

    /// The subset that can show every string of `texts` (from the cache when the same set
    /// of characters was subset recently).
    pub fn subset(&self, texts: &[&str]) -> Result<FontSubset, PdfError> {
        let mut key: Vec<char> = texts.iter().flat_map(|t| t.nfc()).collect();
        key.sort_unstable();
        key.dedup();
        if let Ok(cache) = self.cache.lock() {
            if let Some((_, hit)) = cache.iter().find(|(k, _)| *k == key) {
                return Ok(hit.clone());
            }
        }
        let subset = self.make_subset(texts)?;
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= SUBSET_CACHE_ENTRIES {
                cache.remove(0);
            }
            cache.push((key, subset.clone()));
        }
        Ok(subset)
    }

    fn make_subset(&self, texts: &[&str]) -> Result<FontSubset, PdfError> {
        let mut chars: BTreeMap<char, (u16, u16)> = BTreeMap::new();
        for text in texts {
            for (ch, gid, width) in self.glyphs(text)? {
                chars.insert(ch, (gid, width));
                if chars.len() > MAX_SUBSET_CHARS {
                    return Err(PdfError::LimitExceeded {
                        what: "distinct characters in one embedded font",
                        limit: MAX_SUBSET_CHARS as u64,
                    });
                }
            }
        }
        let mut old_gids: Vec<u16> = chars.values().map(|(g, _)| *g).collect();
        old_gids.sort_unstable();
        old_gids.dedup();
        let remapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&old_gids);
        let program =
            subsetter::subset(&self.data, 0, &remapper).map_err(|e| PdfError::Subset {
                font: self.name.clone(),
                reason: e.to_string(),
            })?;

        let mut cids = BTreeMap::new();
        let mut widths = vec![0u16; usize::from(remapper.num_gids())];
        for (&ch, &(gid, width)) in &chars {
            let cid = remapper.get(gid).ok_or_else(|| PdfError::Subset {
                font: self.name.clone(),
                reason: format!("glyph {gid} missing from the subset"),
            })?;
            cids.insert(ch, cid);
            if let Some(slot) = widths.get_mut(usize::from(cid)) {
                *slot = width;
            }
        }

        let face = self.face()?;
        let upem = f64::from(face.units_per_em());
        let scale = |v: i16| (f64::from(v) * 1000.0 / upem).round() as i64;
        let bbox = face.global_bounding_box();
        let metrics = Metrics {
            bbox: [
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
            ],
            ascent: scale(face.ascender()),
            descent: scale(face.descender()),
            cap_height: scale(face.capital_height().unwrap_or(face.ascender())),
            italic_angle: f64::from(face.italic_angle()),
        };

        let mut subset = FontSubset {
            base_font: format!("{}+{}", subset_tag(&old_gids), self.name),
            cids,
            widths,
            program_len: program.len(),
            program_z: Arc::new(deflate(&program)),
            cmap_z: Arc::default(),
            metrics,
        };
        subset.cmap_z = Arc::new(deflate(subset.to_unicode_cmap().as_bytes()));
        Ok(subset)
    }
}

/// Font-wide metrics for the descriptor, in 1/1000 em.
#[derive(Debug, Clone)]
struct Metrics {
    bbox: [i64; 4],
    ascent: i64,
    descent: i64,
    cap_height: i64,
    italic_angle: f64,
}

/// A subset font program with the maps needed to show text in it. The program and the
/// ToUnicode CMap are kept compressed, ready to be written into any number of documents.
#[derive(Debug, Clone)]
pub struct FontSubset {
    base_font: String,
    /// Character → CID (= glyph id in the subset program).
    cids: BTreeMap<char, u16>,
    /// Advance of each CID in 1/1000 em, indexed by CID.
    widths: Vec<u16>,
    program_len: usize,
    /// The subset program, zlib-compressed.
    program_z: Arc<Vec<u8>>,
    /// The ToUnicode CMap, zlib-compressed.
    cmap_z: Arc<Vec<u8>>,
    metrics: Metrics,
}

impl FontSubset {
    /// The `/BaseFont`: a six-letter subset tag, `+`, and the PostScript name (§9.6.4).
    pub fn base_font(&self) -> &str {
        &self.base_font
    }

    /// Size in bytes of the subset font program (before compression).
    pub fn program_len(&self) -> usize {
        self.program_len
    }

    /// The string operand that shows `text` (NFC) with this font under `/Identity-H`: two
    /// bytes per character, its CID. Fails on a character outside the subset.
    pub fn encode(&self, text: &str) -> Result<PdfString, PdfError> {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        for ch in text.nfc() {
            let cid = self.cids.get(&ch).ok_or_else(|| PdfError::MissingGlyph {
                ch,
                font: self.base_font.clone(),
            })?;
            bytes.extend_from_slice(&cid.to_be_bytes());
        }
        Ok(PdfString::hex(bytes))
    }

    /// Width of `text` (NFC) at `size` points, in points, from the subset's widths.
    pub fn text_width(&self, text: &str, size: f64) -> Result<f64, PdfError> {
        let mut total = 0u64;
        for ch in text.nfc() {
            let w = self
                .cids
                .get(&ch)
                .and_then(|cid| self.widths.get(usize::from(*cid)))
                .ok_or_else(|| PdfError::MissingGlyph {
                    ch,
                    font: self.base_font.clone(),
                })?;
            total += u64::from(*w);
        }
        Ok(total as f64 * size / 1000.0)
    }

    /// Adds the font's objects (Type0 font, CIDFontType2, descriptor, compressed `/FontFile2`,
    /// ToUnicode CMap) to the update and returns the Type0 font, for a `/Font` resource.
    pub fn write<S: ByteSource>(&self, w: &mut IncrementalWriter<'_, S>) -> ObjRef {
        let mut file_dict = Dict::new();
        file_dict.set("Length1", self.program_len as i64);
        file_dict.set("Filter", Object::name("FlateDecode"));
        let font_file = w.add_stream(file_dict, self.program_z.to_vec());

        let m = &self.metrics;
        let mut descriptor = Dict::new();
        descriptor.set("Type", Object::name("FontDescriptor"));
        descriptor.set("FontName", Object::name(&self.base_font));
        // Symbolic (bit 3): glyphs are addressed by CID, outside any standard Latin set.
        descriptor.set("Flags", 4i64);
        descriptor.set(
            "FontBBox",
            m.bbox
                .iter()
                .map(|v| Object::Integer(*v))
                .collect::<Vec<_>>(),
        );
        descriptor.set("ItalicAngle", Object::Real(m.italic_angle));
        descriptor.set("Ascent", m.ascent);
        descriptor.set("Descent", m.descent);
        descriptor.set("CapHeight", m.cap_height);
        // Not stored in TrueType; 80 is the customary value for a regular weight.
        descriptor.set("StemV", 80i64);
        descriptor.set("FontFile2", font_file);
        let descriptor = w.add_object(descriptor);

        let mut system_info = Dict::new();
        system_info.set("Registry", PdfString::literal("Adobe"));
        system_info.set("Ordering", PdfString::literal("Identity"));
        system_info.set("Supplement", 0i64);

        let mut cid_font = Dict::new();
        cid_font.set("Type", Object::name("Font"));
        cid_font.set("Subtype", Object::name("CIDFontType2"));
        cid_font.set("BaseFont", Object::name(&self.base_font));
        cid_font.set("CIDSystemInfo", system_info);
        cid_font.set("FontDescriptor", descriptor);
        cid_font.set("DW", 1000i64);
        let widths: Vec<Object> = self
            .widths
            .iter()
            .map(|w| Object::Integer(i64::from(*w)))
            .collect();
        cid_font.set("W", vec![Object::Integer(0), Object::Array(widths)]);
        cid_font.set("CIDToGIDMap", Object::name("Identity"));
        let cid_font = w.add_object(cid_font);

        let mut cmap_dict = Dict::new();
        cmap_dict.set("Filter", Object::name("FlateDecode"));
        let to_unicode = w.add_stream(cmap_dict, self.cmap_z.to_vec());

        let mut font = Dict::new();
        font.set("Type", Object::name("Font"));
        font.set("Subtype", Object::name("Type0"));
        font.set("BaseFont", Object::name(&self.base_font));
        font.set("Encoding", Object::name("Identity-H"));
        font.set("DescendantFonts", vec![Object::Ref(cid_font)]);
        font.set("ToUnicode", to_unicode);
        w.add_object(font)
    }

    /// The ToUnicode CMap: each CID to the UTF-16BE of its character.
    fn to_unicode_cmap(&self) -> String {
        let mut by_cid: BTreeMap<u16, char> = BTreeMap::new();
        for (&ch, &cid) in &self.cids {
            by_cid.entry(cid).or_insert(ch);
        }
        let entries: Vec<(u16, char)> = by_cid.into_iter().collect();
        let mut s = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        for block in entries.chunks(BFCHAR_BLOCK) {
            let _ = writeln!(s, "{} beginbfchar", block.len());
            for (cid, ch) in block {
                let mut utf16 = String::new();
                for unit in ch.encode_utf16(&mut [0u16; 2]) {
                    let _ = write!(utf16, "{unit:04X}");
                }
                let _ = writeln!(s, "<{cid:04X}> <{utf16}>");
            }
            s.push_str("endbfchar\n");
        }
        s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        s
    }
}

/// zlib-compresses `data` for a `/FlateDecode` stream, at the fast level: a font subset is
/// compressed for every signature, and the default level's longer search cost five times the
/// time for a few percent of its size.
pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// The PostScript name (name id 6), reduced to the characters a PDF name needs no escaping
/// for; a placeholder when the font has none.
fn postscript_name(face: &ttf_parser::Face<'_>) -> String {
    let raw = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
        .find_map(|n| n.to_string())
        .unwrap_or_default();
    let clean: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(63)
        .collect();
    if clean.is_empty() {
        "EmbeddedFont".into()
    } else {
        clean
    }
}

/// Six upper-case letters derived from the glyph set, so the same subset gets the same tag
/// and different subsets of one font in a file get different ones (§9.6.4).
fn subset_tag(gids: &[u16]) -> String {
    let mut h = Sha256::new();
    for g in gids {
        h.update(g.to_be_bytes());
    }
    h.finalize()
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    fn dejavu() -> Option<FontFace> {
        match std::fs::read(DEJAVU) {
            Ok(d) => FontFace::parse(d).ok(),
            Err(_) => {
                if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                    panic!("{DEJAVU} missing under CI (install fonts-dejavu-core)");
                }
                eprintln!("SKIPPED: {DEJAVU} missing (install fonts-dejavu-core)");
                None
            }
        }
    }

    #[test]
    fn nfc_and_decomposed_text_encode_identically() {
        let Some(face) = dejavu() else { return };
        let composed = "Nguyễn Văn An";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed);
        let subset = face.subset(&[composed]).unwrap();
        assert_eq!(
            subset.encode(composed).unwrap(),
            subset.encode(&decomposed).unwrap()
        );
        assert_eq!(subset.encode(composed).unwrap().bytes.len(), 2 * 13);
        assert!(subset.base_font().ends_with("+DejaVuSans"));
        let tag = subset.base_font().split('+').next().unwrap();
        assert_eq!(tag.len(), 6);
        assert!(tag.chars().all(|c| c.is_ascii_uppercase()));
    }

    #[test]
    fn subset_is_small_and_widths_agree() {
        let Some(face) = dejavu() else { return };
        let text = "Thời gian ký: 27/11/2026 15:30:00 +07:00";
        let subset = face.subset(&[text]).unwrap();
        assert!(subset.program_len() < 40_000, "{}", subset.program_len());
        let a = face.text_width(text, 10.0).unwrap();
        let b = subset.text_width(text, 10.0).unwrap();
        assert!((a - b).abs() < 1e-9);
        assert!(a > 100.0 && a < 300.0, "{a}");
        let cmap = subset.to_unicode_cmap();
        assert!(cmap.contains("<1EDD>"), "ờ is mapped: {cmap}");
        assert!(cmap.contains("<00FD>"), "ý is mapped");
    }

    #[test]
    fn missing_glyph_is_an_error_naming_the_character() {
        let Some(face) = dejavu() else { return };
        // A CJK ideograph is not in DejaVu Sans.
        let err = face.subset(&["Nguyễn 中"]).unwrap_err();
        assert!(
            matches!(err, PdfError::MissingGlyph { ch: '中', .. }),
            "{err}"
        );
        let subset = face.subset(&["abc"]).unwrap();
        assert!(matches!(
            subset.encode("abd"),
            Err(PdfError::MissingGlyph { ch: 'd', .. })
        ));
    }

    #[test]
    fn the_same_characters_reuse_the_cached_subset() {
        let Some(face) = dejavu() else { return };
        let a = face.subset(&["Văn An", "0123"]).unwrap();
        let b = face.clone().subset(&["An Văn 3210"]).unwrap();
        assert!(Arc::ptr_eq(&a.program_z, &b.program_z));
        let c = face.subset(&["Văn Anh"]).unwrap();
        assert!(!Arc::ptr_eq(&a.program_z, &c.program_z));
        assert_ne!(a.base_font(), c.base_font());
    }

    #[test]
    fn garbage_is_not_a_font() {
        assert!(matches!(
            FontFace::parse(b"not a font at all".to_vec()),
            Err(PdfError::BadFont(_))
        ));
    }
}
