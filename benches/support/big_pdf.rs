//! Generates a large PDF for benchmarks: many pages, uncompressed 1 MiB grayscale images (random
//! bytes, so they stay as large as the file), and one incremental update, so the reader has two
//! revisions to walk.

use std::io::Write;

/// Writes a document of about `megabytes` MiB to `out`.
pub fn big_pdf(megabytes: usize, out: &mut impl Write) -> std::io::Result<()> {
    let images = megabytes.max(1);
    let pages = images * 4;
    let mut buf: Vec<u8> = Vec::with_capacity((megabytes + 1) << 20);
    let mut offsets: Vec<usize> = Vec::new();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    buf.extend_from_slice(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n");
    // 1 catalog, 2 page tree, then per page: page, content; then images.
    let first_page = 3;
    let first_image = first_page + 2 * pages;
    let total = first_image + images;
    let obj = |buf: &mut Vec<u8>, offsets: &mut Vec<usize>, body: &[u8]| {
        offsets.push(buf.len());
        let num = offsets.len();
        buf.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        buf.extend_from_slice(body);
        buf.extend_from_slice(b"\nendobj\n");
    };
    obj(&mut buf, &mut offsets, b"<</Type /Catalog /Pages 2 0 R>>");
    let kids: Vec<String> = (0..pages)
        .map(|i| format!("{} 0 R", first_page + 2 * i))
        .collect();
    obj(
        &mut buf,
        &mut offsets,
        format!("<</Type /Pages /Count {pages} /Kids [{}]>>", kids.join(" ")).as_bytes(),
    );
    for i in 0..pages {
        let content_num = first_page + 2 * i + 1;
        let image = if i % 4 == 0 {
            Some(first_image + i / 4)
        } else {
            None
        };
        let resources = match image {
            Some(im) => format!("<</Font <</F1 <</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>>> /XObject <</Im0 {im} 0 R>>>>"),
            None => "<</Font <</F1 <</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>>>>>".to_string(),
        };
        obj(
            &mut buf,
            &mut offsets,
            format!("<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {content_num} 0 R /Resources {resources}>>").as_bytes(),
        );
        let mut content = format!("BT /F1 12 Tf 72 770 Td (Trang {}) Tj ET", i + 1);
        if image.is_some() {
            content.push_str(" q 400 0 0 400 100 200 cm /Im0 Do Q");
        }
        obj(
            &mut buf,
            &mut offsets,
            format!(
                "<</Length {}>>\nstream\n{content}\nendstream",
                content.len()
            )
            .as_bytes(),
        );
    }
    for _ in 0..images {
        let mut data = vec![0u8; 1 << 20];
        for chunk in data.chunks_mut(8) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let bytes = seed.to_le_bytes();
            chunk.copy_from_slice(bytes.get(..chunk.len()).unwrap_or_default());
        }
        let mut body = format!(
            "<</Type /XObject /Subtype /Image /Width 1024 /Height 1024 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length {}>>\nstream\n",
            data.len()
        )
        .into_bytes();
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\nendstream");
        obj(&mut buf, &mut offsets, &body);
    }
    let xref = buf.len();
    buf.extend_from_slice(format!("xref\n0 {total}\n0000000000 65535 f\r\n").as_bytes());
    for off in &offsets {
        buf.extend_from_slice(format!("{off:010} 00000 n\r\n").as_bytes());
    }
    buf.extend_from_slice(
        format!("trailer\n<</Size {total} /Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n").as_bytes(),
    );
    // An incremental update that gives the catalog a new body.
    let update_obj = buf.len();
    buf.extend_from_slice(b"1 0 obj\n<</Type /Catalog /Pages 2 0 R /Lang (vi-VN)>>\nendobj\n");
    let xref2 = buf.len();
    buf.extend_from_slice(
        format!("xref\n1 1\n{update_obj:010} 00000 n\r\ntrailer\n<</Size {total} /Root 1 0 R /Prev {xref}>>\nstartxref\n{xref2}\n%%EOF\n")
            .as_bytes(),
    );
    out.write_all(&buf)
}
