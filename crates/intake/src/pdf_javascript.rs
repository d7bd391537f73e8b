//! Whether a PDF carries JavaScript, read off its bytes.
//!
//! pdfium cannot answer this: `FPDFDoc_GetJavaScriptActionCount` sees only
//! the document-level `/Names /JavaScript` tree, not a script run by
//! `/OpenAction`, a link, a page or a form field, and pdfium-render 0.9
//! keeps private the document handle it takes. Every JavaScript action is a
//! dictionary `<< /S /JavaScript /JS … >>`, so either name anywhere in the
//! object syntax is the sign.
//!
//! The scan is lexical, not a parser. Names inside strings, comments and
//! stream data do not count: the JPEG bytes of a scanned page would
//! otherwise spell `/JS ` every few megabytes. Flate-compressed object
//! streams are the exception, because PDF 1.5 writers put most dictionaries
//! there: they are inflated and scanned as well.

use std::borrow::Cow;
use std::io::Read;

/// The bytes all object streams of one file may inflate to. Object streams
/// hold dictionaries only, a few hundred bytes per object, so real files
/// stay far below this; a small file that inflates past it is a bomb.
pub(crate) const OBJECT_STREAM_BUDGET: u64 = 64 * 1024 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JavaScriptScan {
    None,
    Found,
    /// The object streams inflate to more than the budget, so what they
    /// hold was not all checked.
    ObjectStreamsTooLarge,
}

pub(crate) fn scan_for_javascript(bytes: &[u8], object_stream_budget: u64) -> JavaScriptScan {
    let mut budget = object_stream_budget;
    let mut position = 0;
    // What the dictionary before a `stream` keyword said, reset at each `obj`.
    let mut object_stream = false;
    let mut flate = false;
    while position < bytes.len() {
        match bytes[position] {
            b'%' => position = end_of_comment(bytes, position),
            b'(' => position = end_of_string(bytes, position),
            b'/' => {
                let end = end_of_token(bytes, position + 1);
                match decode_name(&bytes[position + 1..end]).as_ref() {
                    b"JS" | b"JavaScript" => return JavaScriptScan::Found,
                    b"ObjStm" => object_stream = true,
                    b"FlateDecode" => flate = true,
                    _ => {}
                }
                position = end;
            }
            byte if is_regular(byte) => {
                let end = end_of_token(bytes, position);
                match &bytes[position..end] {
                    b"obj" => (object_stream, flate) = (false, false),
                    b"stream" => {
                        let data_start = skip_end_of_line(bytes, end);
                        let data_end = find(bytes, data_start, b"endstream").unwrap_or(bytes.len());
                        if object_stream && flate {
                            let data = &bytes[data_start..data_end];
                            match inflate(data, &mut budget) {
                                // Object streams cannot hold streams (ISO 32000-1, 7.5.7),
                                // so the scan inside one has nothing to inflate.
                                Some(objects) if scan_for_javascript(&objects, 0) == JavaScriptScan::Found => {
                                    return JavaScriptScan::Found;
                                }
                                Some(_) => {}
                                None => return JavaScriptScan::ObjectStreamsTooLarge,
                            }
                        }
                        (object_stream, flate) = (false, false);
                        position = data_end;
                        continue;
                    }
                    _ => {}
                }
                position = end;
            }
            _ => position += 1,
        }
    }
    JavaScriptScan::None
}

/// Inflates one object stream, charging its size to the budget; `None`
/// when it would overspend. A corrupt stream yields what inflated before
/// the damage, which is all any reader could see of it.
fn inflate(data: &[u8], budget: &mut u64) -> Option<Vec<u8>> {
    let mut objects = Vec::new();
    let mut decoder = flate2::read::ZlibDecoder::new(data).take(*budget + 1);
    if let Err(error) = decoder.read_to_end(&mut objects) {
        tracing::debug!(%error, inflated = objects.len(), "corrupt object stream");
    }
    *budget = budget.checked_sub(objects.len() as u64)?;
    Some(objects)
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_regular(byte: u8) -> bool {
    !is_whitespace(byte) && !b"()<>[]{}/%".contains(&byte)
}

fn end_of_token(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().position(|&byte| !is_regular(byte)).map_or(bytes.len(), |length| start + length)
}

fn end_of_comment(bytes: &[u8], start: usize) -> usize {
    bytes[start..].iter().position(|&byte| byte == b'\n' || byte == b'\r').map_or(bytes.len(), |length| start + length)
}

/// A literal string: balanced parentheses, `\` escapes the next byte.
fn end_of_string(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut position = start;
    while position < bytes.len() {
        match bytes[position] {
            b'\\' => position += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return position + 1;
                }
            }
            _ => {}
        }
        position += 1;
    }
    bytes.len()
}

fn skip_end_of_line(bytes: &[u8], position: usize) -> usize {
    match bytes.get(position..) {
        Some([b'\r', b'\n', ..]) => position + 2,
        Some([b'\n' | b'\r', ..]) => position + 1,
        _ => position,
    }
}

fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes.get(from..)?.windows(needle.len()).position(|window| window == needle).map(|offset| from + offset)
}

/// `#4A#53` is `JS`: a name may spell any byte as `#` and two hex digits.
fn decode_name(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.contains(&b'#') {
        return Cow::Borrowed(raw);
    }
    let hex = |byte: u8| (byte as char).to_digit(16);
    let mut name = Vec::with_capacity(raw.len());
    let mut position = 0;
    while position < raw.len() {
        let escaped = match raw.get(position..position + 3) {
            Some([b'#', high, low]) => hex(*high).zip(hex(*low)).map(|(high, low)| (high * 16 + low) as u8),
            _ => None,
        };
        match escaped {
            Some(byte) => {
                name.push(byte);
                position += 3;
            }
            None => {
                name.push(raw[position]);
                position += 1;
            }
        }
    }
    Cow::Owned(name)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn check(pdf: &[u8], expected: JavaScriptScan) {
        assert_eq!(scan_for_javascript(pdf, OBJECT_STREAM_BUDGET), expected, "{}", String::from_utf8_lossy(pdf));
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn object_stream(objects: &[u8]) -> Vec<u8> {
        let mut pdf = b"7 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>\nstream\n".to_vec();
        pdf.extend(zlib(objects));
        pdf.extend(b"\nendstream\nendobj\n");
        pdf
    }

    #[test]
    fn javascript_names_in_the_object_syntax_are_found() {
        check(b"1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj", JavaScriptScan::Found);
        check(b"<</AA<</O<</JS 9 0 R>>>>>>", JavaScriptScan::Found);
        check(b"<< /Names << /JavaScript 4 0 R >> >>", JavaScriptScan::Found);
        check(b"<< /S /J#61vaScript /J#53 (x) >>", JavaScriptScan::Found);
    }

    #[test]
    fn look_alikes_strings_comments_and_stream_data_are_not_javascript() {
        check(b"<< /JSON 1 /JavaScripts 2 /Title (see /JS and /JavaScript) >>", JavaScriptScan::None);
        check(b"<< /Title (a \\) /JS ( nested ) /JS) >>", JavaScriptScan::None);
        check(b"% /JavaScript in a comment\n<< /Type /Catalog >>", JavaScriptScan::None);
        check(b"<< /Length 8 >>\nstream\n\xff\xd8/JS \xff\xd9\nendstream\n<< /Type /Page >>", JavaScriptScan::None);
        check(b"<< /Length 8 >>\nstream\n/JS \nendstream\n<< /JS (after) >>", JavaScriptScan::Found);
    }

    #[test]
    fn compressed_object_streams_are_inflated_and_scanned() {
        check(&object_stream(b"6 0 << /S /JavaScript /JS (app.alert(1)) >>"), JavaScriptScan::Found);
        check(&object_stream(b"6 0 << /Type /Font /Subtype /Type1 >>"), JavaScriptScan::None);
        // The same bytes in an ordinary compressed stream are page content.
        let mut content = b"<< /Filter /FlateDecode >>\nstream\n".to_vec();
        content.extend(zlib(b"/JS gs"));
        content.extend(b"\nendstream");
        check(&content, JavaScriptScan::None);
    }

    #[test]
    fn the_fixtures_with_scripts_are_found_and_no_other_fixture_is() {
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
        let scanned = |path: &std::path::Path| scan_for_javascript(&std::fs::read(path).unwrap(), OBJECT_STREAM_BUDGET);
        for name in ["javascript_open_action.pdf", "javascript_in_object_stream.pdf"] {
            assert_eq!(scanned(&fixtures.join("hostile").join(name)), JavaScriptScan::Found, "{name}");
        }
        let mut clean = 0;
        for document in std::fs::read_dir(fixtures.join("generated")).unwrap() {
            for form in std::fs::read_dir(document.unwrap().path()).unwrap() {
                let path = form.unwrap().path();
                if path.extension().is_some_and(|extension| extension == "pdf") {
                    assert_eq!(scanned(&path), JavaScriptScan::None, "{}", path.display());
                    clean += 1;
                }
            }
        }
        assert!(clean >= 12, "born-digital and scanned PDFs checked: {clean}");
    }

    #[test]
    fn object_streams_that_inflate_past_the_budget_are_reported() {
        let bomb = object_stream(&vec![b' '; 4096]);
        assert_eq!(scan_for_javascript(&bomb, 4095), JavaScriptScan::ObjectStreamsTooLarge);
        assert_eq!(scan_for_javascript(&bomb, 4096), JavaScriptScan::None);
    }
}
