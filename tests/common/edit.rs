//! Incremental updates appended to existing PDFs by the tests: any edit, and the one a
//! long-term-validation extension makes (a `/DSS` holding validation data, nothing else).

use kyso::pdf::{Dict, Document, IncrementalWriter, Object};

/// Appends an incremental update built by `edit` to `bytes`.
pub fn update(
    bytes: &[u8],
    edit: impl FnOnce(&Document<&[u8]>, &mut IncrementalWriter<'_, &[u8]>),
) -> Vec<u8> {
    let doc = Document::open(bytes).expect("open");
    let mut w = IncrementalWriter::new(&doc).expect("writer");
    edit(&doc, &mut w);
    let u = w.finish().expect("finish");
    [bytes, &u.bytes].concat()
}

/// Appends an update that only adds a document security store (ETSI EN 319 142-1 §5.4.2)
/// holding the DER certificates `certs`, as an LTV extension does.
pub fn add_dss(bytes: &[u8], certs: &[Vec<u8>]) -> Vec<u8> {
    update(bytes, |doc, w| {
        let refs: Vec<Object> = certs
            .iter()
            .map(|c| Object::Ref(w.add_stream(Dict::new(), c.clone())))
            .collect();
        let mut dss = Dict::new();
        dss.set("Type", Object::name("DSS"));
        dss.set("Certs", refs);
        let dss = w.add_object(dss);
        let (root, mut catalog) = doc.catalog().expect("catalog");
        catalog.set("DSS", Object::Ref(dss));
        w.replace_object(root, catalog);
    })
}

/// Adds the annotation `annot` to the first page in the update `w`, whether the page has no
/// `/Annots`, an inline array or a reference to one.
pub fn add_annotation(doc: &Document<&[u8]>, w: &mut IncrementalWriter<'_, &[u8]>, annot: Dict) {
    let page = *doc.pages().expect("pages").first().expect("a page");
    let annot = w.add_object(annot);
    let Object::Dict(mut page_dict) = w.current(page).expect("page") else {
        panic!("the page is not a dictionary")
    };
    match page_dict.get("Annots").cloned() {
        Some(Object::Ref(r)) => {
            let Object::Array(mut a) = w.current(r).expect("annots") else {
                panic!("/Annots is not an array")
            };
            a.push(Object::from(annot));
            w.replace_object(r, a);
        }
        Some(Object::Array(mut a)) => {
            a.push(Object::from(annot));
            page_dict.set("Annots", a);
            w.replace_object(page, page_dict);
        }
        _ => {
            page_dict.set("Annots", vec![Object::from(annot)]);
            w.replace_object(page, page_dict);
        }
    }
}
