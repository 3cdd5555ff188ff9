//! The citizen page's HTML. Every text that comes from the ledger or the URL goes through
//! [`escape`] (element text and attribute values alike), and the proof data rides in a JSON
//! block whose `<`, `>` and `&` are written as `\u` escapes, so no ledger text can close the
//! script element. The page needs no outside resource: its script and style are served by kyso
//! (see [`super::assets`]) and the content-security policy forbids everything else.

use std::fmt::Write as _;

use super::view::{CitizenView, Lang, Status};

/// The page's content-security policy: only kyso's own script, style and endpoints, no frames,
/// no forms, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON made safe inside a `<script type="application/json">` element.
fn script_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// A text in the page's language: Vietnamese first, English second.
fn t(lang: Lang, vi: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

fn verdict(v: &CitizenView) -> (&'static str, &'static str) {
    let l = v.lang;
    match v.status {
        Status::Valid => (
            t(l, "Văn bản hợp lệ", "Genuine document"),
            t(
                l,
                "Văn bản này đã được ban hành và ghi vào sổ cái; nó chưa bị thu hồi.",
                "This document was issued and recorded in the ledger; it has not been revoked.",
            ),
        ),
        Status::Revoked => match &v.withdrawal {
            Some(w) if w.superseded => (
                t(l, "Văn bản đã bị thay thế", "Document superseded"),
                t(
                    l,
                    "Văn bản này đã được ban hành nhưng sau đó đã được thay thế bằng văn bản khác; nó không còn hiệu lực.",
                    "This document was issued but later replaced by another one; it is no longer in force.",
                ),
            ),
            _ => (
                t(l, "Văn bản đã bị thu hồi", "Document revoked"),
                t(
                    l,
                    "Văn bản này đã được ban hành nhưng sau đó đã bị thu hồi; nó không còn hiệu lực.",
                    "This document was issued but later revoked; it is no longer in force.",
                ),
            ),
        },
        Status::Unknown => (
            t(l, "Không tìm thấy văn bản", "Document not found"),
            t(
                l,
                "Sổ cái không có văn bản nào với mã này. Hãy kiểm tra lại đường dẫn hoặc mã QR.",
                "The ledger holds no document with this code. Check the link or the QR code.",
            ),
        ),
    }
}

/// One labelled value; an empty one (a document signed without that metadata) is left out.
fn row(out: &mut String, label: &str, field: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<div class=\"row\"><dt>{}</dt><dd data-field=\"{field}\">{}</dd></div>",
        escape(label),
        escape(value)
    );
}

fn record(out: &mut String, v: &CitizenView) {
    let l = v.lang;
    let Some(i) = &v.issued else { return };
    out.push_str("<dl class=\"record\">");
    row(
        out,
        t(l, "Cơ quan ban hành", "Issuing agency"),
        "agency",
        &i.agency,
    );
    row(
        out,
        t(l, "Số, ký hiệu", "Document number"),
        "number",
        &i.document_number,
    );
    row(
        out,
        t(l, "Loại văn bản", "Kind of document"),
        "kind",
        &i.document_kind,
    );
    row(
        out,
        t(
            l,
            "Thời gian ban hành (giờ Việt Nam)",
            "Issued at (Vietnam time)",
        ),
        "issued",
        &i.time,
    );
    if let Some(w) = &v.withdrawal {
        let label = if w.superseded {
            t(l, "Bị thay thế lúc", "Superseded at")
        } else {
            t(l, "Bị thu hồi lúc", "Revoked at")
        };
        row(out, label, "withdrawn", &w.time);
        if let Some(r) = &w.reason {
            row(out, t(l, "Lý do", "Reason"), "reason", r);
        }
    }
    row(
        out,
        t(l, "Vị trí trong sổ cái", "Ledger entry"),
        "index",
        &i.ledger_index.to_string(),
    );
    out.push_str("</dl>");
}

fn browser_checks(out: &mut String, v: &CitizenView) {
    let l = v.lang;
    let Some(proof) = &v.proof else { return };
    let _ = write!(
        out,
        "<section class=\"checks\"><h2>{}</h2>\
         <noscript><p>{}</p></noscript>\
         <p id=\"proof-result\" class=\"result\" data-result=\"pending\">{}</p>\
         <ul id=\"proof-details\"></ul>\
         <p class=\"trust\">{}</p>\
         <script type=\"application/json\" id=\"kyso-proof\">{}</script></section>",
        t(l, "Kiểm tra bằng trình duyệt của bạn", "Checked by your browser"),
        t(
            l,
            "JavaScript đang tắt: các thông tin trên do máy chủ cung cấp và trình duyệt chưa kiểm tra.",
            "JavaScript is off: the information above comes from the server and your browser has not checked it.",
        ),
        t(l, "Đang kiểm tra…", "Checking…"),
        t(
            l,
            "Trình duyệt tự kiểm tra bằng mật mã rằng bản ghi trên nằm trong sổ cái có chữ ký của khóa sổ cái. \
             Khóa đó do máy chủ cung cấp: hãy đối chiếu mã khóa dưới đây với mã in trong khối chữ ký trên văn bản.",
            "Your browser checks cryptographically that the record above is in the ledger signed by the ledger key. \
             That key is supplied by the server: compare the key ID below with the one printed in the document's signature block.",
        ),
        script_json(proof)
    );
    let _ = write!(
        out,
        "<section class=\"file\"><h2>{}</h2><p>{}</p>\
         <label class=\"drop\" id=\"drop-zone\" for=\"pdf-file\">{}\
         <input type=\"file\" id=\"pdf-file\" accept=\"application/pdf,.pdf\"></label>\
         <p id=\"file-result\" class=\"result\" data-result=\"\"></p></section>",
        t(l, "So sánh tệp PDF của bạn", "Compare your PDF file"),
        t(
            l,
            "Chọn hoặc kéo thả tệp PDF bạn nhận được. Tệp được kiểm tra ngay trên máy của bạn và không được tải lên.",
            "Choose or drop the PDF file you received. It is checked on your device and never uploaded.",
        ),
        t(l, "Chọn tệp PDF…", "Choose a PDF file…"),
    );
}

/// The whole page.
pub fn render(v: &CitizenView) -> String {
    let l = v.lang;
    let (title, summary) = verdict(v);
    let (other_lang, other_label) = match l {
        Lang::Vi => ("en", "English"),
        Lang::En => ("vi", "Tiếng Việt"),
    };
    let mut out = String::with_capacity(8 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\" data-status=\"{status}\">\
         <head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{title} — kyso</title>\
         <link rel=\"stylesheet\" href=\"/static/citizen.css\">\
         <script src=\"/static/citizen.js\" defer></script></head>\
         <body><header><span class=\"brand\">{brand}</span>\
         <a class=\"lang\" href=\"?lang={other_lang}\" hreflang=\"{other_lang}\" lang=\"{other_lang}\">{other_label}</a>\
         </header><main><section class=\"verdict {status}\"><h1>{title}</h1><p>{summary}</p></section>",
        lang = l.tag(),
        status = v.status.as_str(),
        title = escape(title),
        brand = t(l, "Tra cứu văn bản điện tử", "Electronic document check"),
        summary = escape(summary),
    );
    record(&mut out, v);
    browser_checks(&mut out, v);
    let _ = writeln!(
        out,
        "<footer><p>{}: <code>{}</code><br>{}: <code>{}</code></p></footer></main></body></html>",
        t(l, "Sổ cái", "Ledger"),
        escape(&v.log_origin),
        t(l, "Mã khóa sổ cái", "Ledger key ID"),
        escape(&v.log_key_id),
    );
    out
}
