//! Opens a PDF from disk without loading it, walks every revision (catalog, pages, changed
//! objects) and prepares a signature update; used to measure peak memory on large files:
//!
//! ```text
//! cargo run --release --example pdf_walk -- gen big.pdf 50
//! /usr/bin/time -v target/release/examples/pdf_walk walk big.pdf
//! ```

#[path = "../benches/support/big_pdf.rs"]
mod big_pdf;

use std::fs::File;
use std::io::BufWriter;

use kyso::pdf::{Dict, Document, FileSource, IncrementalWriter, ObjRef, Object, SignatureField};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") => {
            let path = args.get(2).ok_or("usage: pdf_walk gen OUT MEGABYTES")?;
            let mb: usize = args.get(3).ok_or("missing size")?.parse()?;
            let mut out = BufWriter::new(File::create(path)?);
            big_pdf::big_pdf(mb, &mut out)?;
            Ok(())
        }
        Some("walk") => {
            let path = args.get(2).ok_or("usage: pdf_walk walk FILE")?;
            let doc = Document::open(FileSource::new(File::open(path)?)?)?;
            let mut objects = 0usize;
            for rev in doc.revisions() {
                doc.catalog_in(rev.index)?;
                let pages = doc.pages_in(rev.index)?;
                for p in &pages {
                    doc.object_in(rev.index, *p)?;
                }
                for &num in &rev.changed {
                    if let Object::Stream(_) | Object::Dict(_) =
                        doc.object_in(rev.index, ObjRef::new(num, 0))?
                    {
                        objects += 1;
                    }
                }
                println!(
                    "revision {} ends at {}: {} pages, {} objects changed",
                    rev.index,
                    rev.end,
                    pages.len(),
                    rev.changed.len()
                );
            }
            let mut w = IncrementalWriter::new(&doc)?;
            let sig = w.add_signature_dictionary(Dict::new(), 16_384)?;
            w.add_signature_field(&SignatureField {
                name: "Sig1",
                page: 0,
                rect: [0.0; 4],
                appearance: None,
                value: Some(sig),
            })?;
            let update = w.finish()?;
            println!(
                "{objects} objects read; update of {} bytes, byte range {:?}; needs repair: {}",
                update.bytes.len(),
                update.signature.map(|s| s.byte_range),
                doc.needs_repair()
            );
            Ok(())
        }
        _ => Err("usage: pdf_walk gen OUT MEGABYTES | pdf_walk walk FILE".into()),
    }
}
