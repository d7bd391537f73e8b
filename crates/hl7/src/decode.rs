//! Bytes → message: charset detection, decoding, then splitting.

use encoding_rs::{DecoderResult, ISO_2022_JP};

use crate::encode::is_segment_id;
use crate::error::Hl7Error;
use crate::escape::Delimiters;
use crate::model::{Component, Field, Message, Repetition, Segment};

const START_BLOCK: u8 = 0x0B;
const END_BLOCK: u8 = 0x1C;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a message from its bytes.
///
/// The charset comes from the bytes, not from MSH-18: 7-bit input with an
/// ESC byte is ISO-2022-JP, anything else UTF-8 (a BOM is skipped). The
/// whole input is decoded before it is split, because JIS X 0208 bytes can
/// equal delimiters. Delimiters come from MSH-1 and MSH-2. Segments may end
/// with `\r`, `\n` or `\r\n`; blank lines, a leading 0x0B and trailing
/// 0x1C / line ends (MLLP framing, SS-MIX2 files) are ignored. Escape
/// sequences are read as described in the crate documentation.
///
/// ISO-2022-JP is read as the WHATWG Encoding Standard reads it: JIS
/// 0x215D is U+FF0D FULLWIDTH HYPHEN-MINUS (converters using the JIS mapping,
/// like the one that made the SS-MIX2 samples' UTF-8 copies, give U+2212),
/// 0x2141 is U+301C WAVE DASH.
///
/// # Errors
///
/// [`Hl7Error::Empty`] when nothing is left after framing;
/// [`Hl7Error::InvalidUtf8`] / [`Hl7Error::InvalidIso2022Jp`] with the byte
/// offset of the first bad byte; [`Hl7Error::NotMsh`] when the first segment
/// is not MSH; [`Hl7Error::BadEncodingCharacters`] when MSH-1/MSH-2 are not
/// five distinct delimiters; [`Hl7Error::InvalidSegmentId`] for a segment
/// whose id is not three upper-case letters or digits.
pub fn decode(bytes: &[u8]) -> Result<Message, Hl7Error> {
    let (skipped, bytes) = strip_framing(bytes);
    let text = to_text(bytes).map_err(|error| with_offset(error, skipped))?;
    let mut lines = text
        .split(['\r', '\n'])
        .filter(|line| !line.trim().is_empty());
    let first = lines.next().ok_or(Hl7Error::Empty)?;
    let delimiters = read_delimiters(first)?;
    let segments = std::iter::once(first)
        .chain(lines)
        .enumerate()
        .map(|(index, line)| read_segment(line, index + 1, &delimiters))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Message::new(segments))
}

/// Returns how many bytes were skipped at the start (for error offsets) and
/// what is left.
fn strip_framing(bytes: &[u8]) -> (usize, &[u8]) {
    let mut rest = bytes;
    while let [START_BLOCK, tail @ ..] = rest {
        rest = tail;
    }
    rest = rest.strip_prefix(UTF8_BOM).unwrap_or(rest);
    let skipped = bytes.len() - rest.len();
    while let [head @ .., END_BLOCK | b'\r' | b'\n'] = rest {
        rest = head;
    }
    (skipped, rest)
}

fn to_text(bytes: &[u8]) -> Result<String, Hl7Error> {
    // ISO-2022-JP is 7-bit and switches sets with ESC; 7-bit input without
    // ESC reads the same in both charsets.
    if bytes.is_ascii() && bytes.contains(&0x1B) {
        return decode_iso2022jp(bytes);
    }
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|error| Hl7Error::InvalidUtf8 {
            offset: error.valid_up_to(),
        })
}

fn decode_iso2022jp(bytes: &[u8]) -> Result<String, Hl7Error> {
    let mut decoder = ISO_2022_JP.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len());
    let mut text = String::with_capacity(capacity);
    let mut consumed = 0;
    loop {
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[consumed..], &mut text, true);
        consumed += read;
        match result {
            DecoderResult::InputEmpty => return Ok(text),
            DecoderResult::Malformed(malformed, read_after) => {
                let offset = consumed
                    .saturating_sub(usize::from(read_after))
                    .saturating_sub(usize::from(malformed));
                return Err(Hl7Error::InvalidIso2022Jp { offset });
            }
            DecoderResult::OutputFull => text.reserve(bytes.len() - consumed + 16),
        }
    }
}

fn with_offset(error: Hl7Error, skipped: usize) -> Hl7Error {
    match error {
        Hl7Error::InvalidUtf8 { offset } => Hl7Error::InvalidUtf8 {
            offset: offset + skipped,
        },
        Hl7Error::InvalidIso2022Jp { offset } => Hl7Error::InvalidIso2022Jp {
            offset: offset + skipped,
        },
        other => other,
    }
}

fn read_delimiters(first_line: &str) -> Result<Delimiters, Hl7Error> {
    let Some(after_id) = first_line.strip_prefix("MSH") else {
        return Err(Hl7Error::NotMsh {
            found: first_line.chars().take(8).collect(),
        });
    };
    let bad = || Hl7Error::BadEncodingCharacters {
        found: after_id.chars().take(6).collect(),
    };
    let field_separator = after_id.chars().next().ok_or_else(bad)?;
    let encoding_characters = after_id[field_separator.len_utf8()..]
        .split(field_separator)
        .next()
        .unwrap_or_default();
    Delimiters::from_msh(field_separator, encoding_characters).ok_or_else(bad)
}

fn read_segment(
    line: &str,
    segment_number: usize,
    delimiters: &Delimiters,
) -> Result<Segment, Hl7Error> {
    let (id, fields) = match line.split_once(delimiters.field) {
        Some((id, fields)) => (id, Some(fields)),
        None => (line, None),
    };
    if !is_segment_id(id) {
        return Err(Hl7Error::InvalidSegmentId {
            segment_number,
            found: id.chars().take(10).collect(),
        });
    }
    let mut segment = Segment::new(id);
    let Some(fields) = fields else {
        return Ok(segment);
    };
    let mut fields = fields.split(delimiters.field);
    if segment.is_msh() {
        // MSH-2, the encoding characters: read already, or (in a stray MSH
        // further down) not ours to use.
        fields.next();
    }
    for raw in fields {
        segment.push_read_field(read_field(raw, delimiters));
    }
    segment.trim();
    Ok(segment)
}

fn read_field(raw: &str, delimiters: &Delimiters) -> Field {
    let repetitions: Vec<Repetition> = raw
        .split(delimiters.repetition)
        .map(|repetition| {
            Repetition::new(repetition.split(delimiters.component).map(|component| {
                Component::subcomponents(
                    component
                        .split(delimiters.subcomponent)
                        .map(|subcomponent| delimiters.unescape(subcomponent)),
                )
            }))
        })
        .collect();
    Field::from(repetitions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_ends_of_every_style_and_framing_are_accepted() {
        for bytes in [
            &b"MSH|^~\\&|A\rPID|1\r"[..],
            b"MSH|^~\\&|A\nPID|1\n",
            b"MSH|^~\\&|A\r\nPID|1\r\n",
            b"\x0bMSH|^~\\&|A\r\r\nPID|1\r\x1c\r",
            b"\xEF\xBB\xBFMSH|^~\\&|A\rPID|1",
        ] {
            let message = decode(bytes).unwrap();
            assert_eq!(message.segments.len(), 2, "{bytes:?}");
            assert_eq!(message.segments[0].text(3), "A");
            assert_eq!(message.segments[1].text(1), "1");
        }
    }

    #[test]
    fn other_delimiters_are_read_from_msh() {
        let message = decode(b"MSH#$%!*#A$B%C*D#x!F!y\rPID#1#a$b").unwrap();
        let msh = &message.segments[0];
        assert_eq!(msh.text(1), "|");
        assert_eq!(msh.text(2), "^~\\&");
        let msh_3 = msh.field(3).unwrap();
        assert_eq!(msh_3.component(2), "B");
        assert_eq!(msh_3.repetition(1).unwrap().subcomponent(1, 2), "D");
        assert_eq!(msh.text(4), "x#y");
        assert_eq!(message.segments[1].field(2).unwrap().component(2), "b");
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(matches!(decode(b""), Err(Hl7Error::Empty)));
        assert!(matches!(decode(b"\x0b\r\n\x1c\r"), Err(Hl7Error::Empty)));
        assert!(matches!(
            decode(b"PID|1\rMSH|^~\\&"),
            Err(Hl7Error::NotMsh { found }) if found == "PID|1"
        ));
        assert!(matches!(
            decode(b"MSH"),
            Err(Hl7Error::BadEncodingCharacters { .. })
        ));
        assert!(matches!(
            decode(b"MSH|^~"),
            Err(Hl7Error::BadEncodingCharacters { .. })
        ));
        assert!(matches!(
            decode(b"MSH|^~\\&\rpid|1"),
            Err(Hl7Error::InvalidSegmentId { segment_number: 2, found }) if found == "pid"
        ));
    }

    #[test]
    fn invalid_bytes_report_their_offset() {
        // Shift_JIS 患者 is not UTF-8.
        assert!(matches!(
            decode(b"\x0bMSH|^~\\&|\x8a\xb3\x8e\xd2"),
            Err(Hl7Error::InvalidUtf8 { offset: 10 })
        ));
        // An ESC sequence ISO-2022-JP does not know.
        assert!(matches!(
            decode(b"MSH|^~\\&|\x1b$Z"),
            Err(Hl7Error::InvalidIso2022Jp { offset: 9 })
        ));
    }

    #[test]
    fn iso2022jp_is_decoded_before_splitting() {
        // 愛 is JIS X 0208 0x30 0x26: its second byte equals '&'.
        let bytes = b"MSH|^~\\&|\x1b$B0&\x1b(B^x\r";
        let message = decode(bytes).unwrap();
        let msh_3 = message.segments[0].field(3).unwrap();
        assert_eq!(msh_3.component(1), "愛");
        assert_eq!(msh_3.component(2), "x");
    }

    #[test]
    fn a_bare_msh_further_down_is_an_empty_msh_segment() {
        let message = decode(b"MSH|^~\\&|A\rMSH\rMSH|^~\\&|B").unwrap();
        assert_eq!(message.segments.len(), 3);
        assert_eq!(message.segments[1].field(3), None);
        assert_eq!(message.segments[1].text(1), "|");
        assert_eq!(message.segments[2].text(3), "B");
    }
}
