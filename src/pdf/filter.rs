//! Stream filters (ISO 32000-1 §7.4): FlateDecode with PNG and TIFF predictors. Every other
//! filter is reported as unsupported.

use std::io::Read;

use flate2::read::ZlibDecoder;

use super::error::{PdfError, Result};
use super::object::{Dict, Object};

/// Decodes `raw` through the filters named in `dict`, producing at most `limit` bytes.
pub(crate) fn decode(dict: &Dict, raw: &[u8], limit: u64) -> Result<Vec<u8>> {
    let filters: Vec<&[u8]> = match dict.get("Filter") {
        None | Some(Object::Null) => Vec::new(),
        Some(Object::Name(n)) => vec![n.as_bytes()],
        Some(Object::Array(items)) => items
            .iter()
            .map(|o| {
                o.as_name()
                    .ok_or(PdfError::UnsupportedFilter("(not a name)".into()))
            })
            .collect::<Result<_>>()?,
        Some(_) => return Err(PdfError::UnsupportedFilter("(not a name)".into())),
    };
    let parms: Vec<Option<&Dict>> = match dict.get("DecodeParms") {
        Some(Object::Dict(d)) => vec![Some(d)],
        Some(Object::Array(items)) => items.iter().map(|o| o.as_dict()).collect(),
        _ => Vec::new(),
    };
    let mut data: Option<Vec<u8>> = None;
    for (i, f) in filters.iter().enumerate() {
        let input = data.as_deref().unwrap_or(raw);
        let out = match *f {
            b"FlateDecode" | b"Fl" => {
                let inflated = inflate(input, limit)?;
                match parms.get(i).copied().flatten() {
                    Some(p) => unpredict(p, inflated)?,
                    None => inflated,
                }
            }
            other => {
                return Err(PdfError::UnsupportedFilter(
                    String::from_utf8_lossy(other).into_owned(),
                ))
            }
        };
        data = Some(out);
    }
    match data {
        Some(d) => Ok(d),
        None => {
            if raw.len() as u64 > limit {
                return Err(PdfError::LimitExceeded {
                    what: "decoded stream size",
                    limit,
                });
            }
            Ok(raw.to_vec())
        }
    }
}

/// Inflates a zlib stream, refusing to produce more than `limit` bytes (decompression bombs
/// stop as soon as they cross it).
fn inflate(input: &[u8], limit: u64) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut dec = ZlibDecoder::new(input).take(limit.saturating_add(1));
    dec.read_to_end(&mut out)
        .map_err(|e| PdfError::Decompress(e.to_string()))?;
    if out.len() as u64 > limit {
        return Err(PdfError::LimitExceeded {
            what: "decoded stream size",
            limit,
        });
    }
    Ok(out)
}

/// Undoes a predictor (§7.4.4.4): 1 none, 2 TIFF, 10–15 PNG (each row has its own tag).
fn unpredict(parms: &Dict, data: Vec<u8>) -> Result<Vec<u8>> {
    let predictor = parms.get_int("Predictor").unwrap_or(1);
    if predictor == 1 {
        return Ok(data);
    }
    let colors = parms.get_int("Colors").unwrap_or(1);
    let bpc = parms.get_int("BitsPerComponent").unwrap_or(8);
    let columns = parms.get_int("Columns").unwrap_or(1);
    if !(1..=32).contains(&colors)
        || ![1, 2, 4, 8, 16].contains(&bpc)
        || !(1..=1 << 20).contains(&columns)
    {
        return Err(PdfError::Decompress("bad predictor parameters".into()));
    }
    // Bounded by the ranges above, so these products cannot overflow.
    let bits_per_pixel = (colors * bpc) as usize;
    let bpp = bits_per_pixel.div_ceil(8).max(1);
    let row_len = (bits_per_pixel * columns as usize).div_ceil(8);
    match predictor {
        2 => {
            if bpc != 8 {
                return Err(PdfError::UnsupportedFilter(
                    "TIFF predictor with BitsPerComponent other than 8".into(),
                ));
            }
            let mut out = data;
            for row in out.chunks_mut(row_len) {
                for i in bpp..row.len() {
                    let left = row.get(i - bpp).copied().unwrap_or(0);
                    if let Some(b) = row.get_mut(i) {
                        *b = b.wrapping_add(left);
                    }
                }
            }
            Ok(out)
        }
        10..=15 => {
            let stride = row_len + 1;
            if data.len() % stride != 0 {
                return Err(PdfError::Decompress(
                    "PNG-predicted data is not a whole number of rows".into(),
                ));
            }
            let mut out: Vec<u8> = Vec::with_capacity(data.len() / stride * row_len);
            let mut prev = vec![0u8; row_len];
            for row in data.chunks(stride) {
                let (tag, src) = row
                    .split_first()
                    .ok_or(PdfError::Decompress("empty row".into()))?;
                let mut cur = vec![0u8; row_len];
                for (i, &x) in src.iter().enumerate() {
                    let a = if i >= bpp {
                        cur.get(i - bpp).copied().unwrap_or(0)
                    } else {
                        0
                    };
                    let b = prev.get(i).copied().unwrap_or(0);
                    let c = if i >= bpp {
                        prev.get(i - bpp).copied().unwrap_or(0)
                    } else {
                        0
                    };
                    let v = match tag {
                        0 => x,
                        1 => x.wrapping_add(a),
                        2 => x.wrapping_add(b),
                        3 => x.wrapping_add(((u16::from(a) + u16::from(b)) / 2) as u8),
                        4 => x.wrapping_add(paeth(a, b, c)),
                        _ => return Err(PdfError::Decompress("unknown PNG predictor tag".into())),
                    };
                    if let Some(slot) = cur.get_mut(i) {
                        *slot = v;
                    }
                }
                out.extend_from_slice(&cur);
                prev = cur;
            }
            Ok(out)
        }
        _ => Err(PdfError::UnsupportedFilter(format!(
            "predictor {predictor}"
        ))),
    }
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let pa = (p - i16::from(a)).abs();
    let pb = (p - i16::from(b)).abs();
    let pc = (p - i16::from(c)).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::ZlibEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        let _ = e.write_all(data);
        e.finish().unwrap_or_default()
    }

    #[test]
    fn png_up_predictor() {
        let mut d = Dict::new();
        d.set("Filter", Object::name("FlateDecode"));
        let mut p = Dict::new();
        p.set("Predictor", 12i64);
        p.set("Columns", 3i64);
        d.set("DecodeParms", p);
        // Two rows: [1 2 3] raw, then [1 1 1] "up" → [2 3 4].
        let raw = zlib(&[0, 1, 2, 3, 2, 1, 1, 1]);
        assert_eq!(decode(&d, &raw, 100).ok(), Some(vec![1, 2, 3, 2, 3, 4]));
    }

    #[test]
    fn bomb_is_cut_at_the_limit() {
        let mut d = Dict::new();
        d.set("Filter", Object::name("FlateDecode"));
        let raw = zlib(&vec![0u8; 10_000]);
        assert!(matches!(
            decode(&d, &raw, 1_000),
            Err(PdfError::LimitExceeded { .. })
        ));
    }

    #[test]
    fn other_filters_are_unsupported() {
        let mut d = Dict::new();
        d.set("Filter", Object::name("LZWDecode"));
        assert!(matches!(
            decode(&d, b"x", 100),
            Err(PdfError::UnsupportedFilter(_))
        ));
    }
}
