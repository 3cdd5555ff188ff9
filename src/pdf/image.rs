//! PNG pictures (a seal, a handwritten signature) as image XObjects (ISO 32000-1 §8.9.5), the
//! alpha channel as a soft mask (`/SMask`, §11.6.5.3) so a seal keeps its transparent
//! background over the page.

use std::io::Cursor;

use super::error::PdfError;
use super::font::deflate;
use super::object::{Dict, ObjRef, Object};
use super::source::ByteSource;
use super::writer::IncrementalWriter;

/// Largest picture accepted, in pixels. A 4 cm seal scanned at 600 dpi is about 950 × 950
/// pixels; 4 megapixels (2048 × 2048) leaves room while capping the decoded buffer at 16 MiB
/// (RGBA) and the time spent deflating it.
pub const MAX_IMAGE_PIXELS: u64 = 4 << 20;

/// Bytes the PNG decoder may allocate: the largest accepted picture in RGBA at 16 bits per
/// sample, plus room for its internal buffers.
const MAX_DECODER_BYTES: usize = (MAX_IMAGE_PIXELS as usize) * 8 + (4 << 20);

/// A decoded picture, 8 bits per sample, split into colour and alpha planes.
#[derive(Debug, Clone, PartialEq)]
pub struct PngImage {
    width: u32,
    height: u32,
    /// Colour samples, row by row: one (gray) or three (RGB) per pixel.
    color: Vec<u8>,
    /// Whether `color` is RGB (else gray).
    rgb: bool,
    /// Alpha samples, one per pixel; `None` when the picture is fully opaque.
    alpha: Option<Vec<u8>>,
}

impl PngImage {
    /// Decodes a PNG of any colour type and bit depth (palette and transparency chunks
    /// expanded, 16-bit samples reduced to 8).
    pub fn decode(bytes: &[u8]) -> Result<Self, PdfError> {
        let bad = |e: png::DecodingError| PdfError::BadImage(e.to_string());
        let mut decoder = png::Decoder::new_with_limits(
            Cursor::new(bytes),
            png::Limits {
                bytes: MAX_DECODER_BYTES,
            },
        );
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().map_err(bad)?;
        let (width, height) = {
            let info = reader.info();
            (info.width, info.height)
        };
        let pixels = u64::from(width) * u64::from(height);
        if pixels == 0 {
            return Err(PdfError::BadImage("the picture is empty".into()));
        }
        if pixels > MAX_IMAGE_PIXELS {
            return Err(PdfError::LimitExceeded {
                what: "picture size in pixels",
                limit: MAX_IMAGE_PIXELS,
            });
        }
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| PdfError::BadImage("the picture is too large".into()))?;
        let mut buf = vec![0u8; size];
        let frame = reader.next_frame(&mut buf).map_err(bad)?;
        let (color_type, depth) = (frame.color_type, frame.bit_depth);
        if depth != png::BitDepth::Eight {
            return Err(PdfError::BadImage(format!(
                "unexpected bit depth {depth:?} after expansion"
            )));
        }
        let (channels, rgb, has_alpha) = match color_type {
            png::ColorType::Grayscale => (1, false, false),
            png::ColorType::GrayscaleAlpha => (2, false, true),
            png::ColorType::Rgb => (3, true, false),
            png::ColorType::Rgba => (4, true, true),
            png::ColorType::Indexed => {
                return Err(PdfError::BadImage("palette left unexpanded".into()))
            }
        };
        let row_len = frame.line_size;
        let used = channels * usize::try_from(width).unwrap_or(usize::MAX);
        let color_channels = if rgb { 3 } else { 1 };
        let mut color = Vec::with_capacity(color_channels * pixels as usize);
        let mut alpha = Vec::with_capacity(if has_alpha { pixels as usize } else { 0 });
        for row in buf.chunks(row_len.max(1)).take(height as usize) {
            let row = row
                .get(..used)
                .ok_or_else(|| PdfError::BadImage("short row".into()))?;
            for px in row.chunks_exact(channels) {
                let (c, a) = px.split_at(color_channels);
                color.extend_from_slice(c);
                alpha.extend_from_slice(a);
            }
        }
        if color.len() != color_channels * pixels as usize {
            return Err(PdfError::BadImage("truncated pixel data".into()));
        }
        let alpha = (has_alpha && alpha.iter().any(|a| *a != u8::MAX)).then_some(alpha);
        Ok(PngImage {
            width,
            height,
            color,
            rgb,
            alpha,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Whether the picture has transparency, hence a soft mask.
    pub fn has_alpha(&self) -> bool {
        self.alpha.is_some()
    }

    /// Adds the image XObject (and its `/SMask` if the picture is transparent) to the update.
    pub fn write<S: ByteSource>(&self, w: &mut IncrementalWriter<'_, S>) -> ObjRef {
        let smask = self.alpha.as_ref().map(|a| {
            let dict = image_dict(self.width, self.height, "DeviceGray");
            w.add_stream(dict, deflate(a))
        });
        let mut dict = image_dict(
            self.width,
            self.height,
            if self.rgb { "DeviceRGB" } else { "DeviceGray" },
        );
        if let Some(m) = smask {
            dict.set("SMask", m);
        }
        w.add_stream(dict, deflate(&self.color))
    }
}

fn image_dict(width: u32, height: u32, color_space: &str) -> Dict {
    let mut d = Dict::new();
    d.set("Type", Object::name("XObject"));
    d.set("Subtype", Object::name("Image"));
    d.set("Width", i64::from(width));
    d.set("Height", i64::from(height));
    d.set("ColorSpace", Object::name(color_space));
    d.set("BitsPerComponent", 8i64);
    d.set("Filter", Object::name("FlateDecode"));
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(width: u32, height: u32, color: png::ColorType, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, width, height);
            enc.set_color(color);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            w.write_image_data(data).unwrap();
        }
        out
    }

    #[test]
    fn rgba_splits_into_color_and_soft_mask() {
        // 2×1: an opaque red pixel and a fully transparent blue one.
        let png = encode(2, 1, png::ColorType::Rgba, &[255, 0, 0, 255, 0, 0, 255, 0]);
        let img = PngImage::decode(&png).unwrap();
        assert_eq!((img.width(), img.height()), (2, 1));
        assert!(img.rgb);
        assert_eq!(img.color, vec![255, 0, 0, 0, 0, 255]);
        assert_eq!(img.alpha, Some(vec![255, 0]));
    }

    #[test]
    fn opaque_alpha_needs_no_mask_and_gray_stays_gray() {
        let png = encode(1, 2, png::ColorType::GrayscaleAlpha, &[10, 255, 20, 255]);
        let img = PngImage::decode(&png).unwrap();
        assert!(!img.rgb);
        assert_eq!(img.color, vec![10, 20]);
        assert!(!img.has_alpha());
    }

    #[test]
    fn garbage_and_oversized_pictures_are_refused() {
        assert!(matches!(
            PngImage::decode(b"\x89PNG\r\n\x1a\nnonsense"),
            Err(PdfError::BadImage(_))
        ));
        // 4096 × 4096 gray: over the pixel bound, refused before the pixels are inflated.
        let side = 4096u32;
        let data = vec![0u8; (side * side) as usize];
        let png = encode(side, side, png::ColorType::Grayscale, &data);
        assert!(matches!(
            PngImage::decode(&png),
            Err(PdfError::LimitExceeded { .. })
        ));
    }
}
