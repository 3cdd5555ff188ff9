//! Decodes arbitrary bytes as the seal picture of a visible signature: a PNG may come with a
//! signing request, so decoding must never panic and must stay within its pixel bound. Each
//! input is tried as is and with its chunk checksums repaired, so that mutations reach the
//! image decoder instead of stopping at the CRC check.
#![no_main]

use kyso::pdf::image::{PngImage, MAX_IMAGE_PIXELS};
use libfuzzer_sys::fuzz_target;

/// Chunks repaired per input; real seals have a handful.
const MAX_CHUNKS: usize = 64;

fn check(data: &[u8]) {
    if let Ok(img) = PngImage::decode(data) {
        let pixels = u64::from(img.width()) * u64::from(img.height());
        assert!(pixels > 0 && pixels <= MAX_IMAGE_PIXELS);
    }
}

/// The input with every complete chunk's CRC recomputed (PNG signature, then length, type,
/// data, CRC per chunk).
fn with_fixed_crcs(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    let mut pos = 8usize;
    for _ in 0..MAX_CHUNKS {
        let Some(len) = out.get(pos..pos + 4) else { break };
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let body_end = pos + 8 + len;
        let Some(body) = out.get(pos + 4..body_end) else { break };
        let crc = crc32fast::hash(body).to_be_bytes();
        let Some(slot) = out.get_mut(body_end..body_end + 4) else { break };
        slot.copy_from_slice(&crc);
        pos = body_end + 4;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    check(data);
    check(&with_fixed_crcs(data));
});
