//! Opens arbitrary bytes as a PDF, walks every revision and the objects each one changes,
//! decodes their streams, lists pages, checks byte ranges, and appends a signature field: none
//! of it may panic, and an update the writer produced must open again as one more revision.
#![no_main]

use kyso::pdf::{
    check_byte_range, Dict, Document, IncrementalWriter, ObjRef, Object, SignatureField, XrefEntry,
};
use libfuzzer_sys::fuzz_target;

/// Objects fetched per revision, so one input cannot make a run slow.
const OBJECTS_PER_REVISION: usize = 256;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = Document::open(data) else {
        return;
    };
    let _ = doc.needs_repair();
    for rev in doc.revisions() {
        for &num in rev.changed.iter().take(OBJECTS_PER_REVISION) {
            let gen = match doc.locate(rev.index, num) {
                Some((_, XrefEntry::InFile { gen, .. })) => gen,
                _ => 0,
            };
            let r = ObjRef::new(num, gen);
            match doc.object_in(rev.index, r) {
                Ok(Object::Stream(s)) => {
                    let _ = doc.stream_data(&s);
                }
                Ok(Object::Dict(d)) if d.get_name("Type") == Some(b"Sig") => {
                    let _ = check_byte_range(&doc, rev.index, r);
                }
                _ => {}
            }
        }
        let _ = doc.pages_in(rev.index);
        if let Ok(fields) = doc.signature_fields_in(rev.index) {
            for f in fields.iter().take(OBJECTS_PER_REVISION) {
                if let Some(v) = f.value {
                    let _ = check_byte_range(&doc, rev.index, v);
                }
            }
        }
    }

    let Ok(mut w) = IncrementalWriter::new(&doc) else {
        return;
    };
    let Ok(sig) = w.add_signature_dictionary(Dict::new(), 64) else {
        return;
    };
    let field = SignatureField {
        name: "FuzzSig",
        page: 0,
        rect: [0.0; 4],
        appearance: None,
        value: Some(sig),
    };
    if w.add_signature_field(&field).is_err() {
        return;
    }
    let Ok(update) = w.finish() else {
        return;
    };
    let combined = [data, &update.bytes].concat();
    if doc.needs_repair() {
        return;
    }
    let again = Document::open(&combined[..]).expect("an update of a sound document opens");
    assert_eq!(again.revisions().len(), doc.revisions().len() + 1);
    let check = check_byte_range(&again, again.last_revision(), sig).expect("byte range readable");
    assert!(check.is_consistent(), "{check:?}");
});
