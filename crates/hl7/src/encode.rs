//! Message → bytes, in UTF-8 or ISO-2022-JP.

use encoding_rs::{EncoderResult, ISO_2022_JP};

use crate::error::{FieldLocation, Hl7Error};
use crate::escape::{Delimiters, escape_into};
use crate::model::{ENCODING_CHARACTERS, Field, Message};

/// The character set a message is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    /// ASCII plus JIS X 0208 (kanji, kana, full-width forms), as SS-MIX2
    /// storage and most Japanese HL7 receivers expect.
    Iso2022Jp,
}

impl Charset {
    /// The value for MSH-18 (character set) declaring this charset:
    /// `~ISO IR87` for ISO-2022-JP (an empty first repetition for ASCII, then
    /// JIS X 0208, as in SS-MIX2), `UNICODE UTF-8` for UTF-8.
    pub fn msh18(self) -> Field {
        match self {
            Self::Utf8 => Field::text("UNICODE UTF-8"),
            Self::Iso2022Jp => Field::repetitions([[""], ["ISO IR87"]]),
        }
    }

    /// The value for MSH-20 (alternate character set handling scheme):
    /// `ISO 2022-1994` for ISO-2022-JP, empty for UTF-8.
    pub fn msh20(self) -> Field {
        match self {
            Self::Utf8 => Field::default(),
            Self::Iso2022Jp => Field::text("ISO 2022-1994"),
        }
    }
}

/// Writes `message` with `|^~\&` delimiters, each segment ended by `\r`.
///
/// Text is escaped (`\F\ \S\ \R\ \E\ \T\`, line breaks as `\.br\`). In
/// ISO-2022-JP every run of text between two delimiters is encoded on its
/// own and ends in ASCII, so no delimiter byte sits inside a JIS X 0208
/// run. ISO-2022-JP turns half-width katakana into full-width one character
/// for one, so `ｼﾞ` becomes `シ゛` (normalise to NFKC first to get `ジ`).
///
/// JIS X 0208 has two Unicode mappings that differ in seven characters: the
/// JIS one (U+301C 〜 WAVE DASH, U+2016 ‖, U+2212 −, U+2014 —, ¢, £, ¬)
/// and the WHATWG/Windows one (U+FF5E ～, U+2225 ∥, U+FF0D －, U+2015 ―,
/// U+FFE0 ￠, U+FFE1 ￡, U+FFE2 ￢). Both forms are written as the same JIS
/// code, so `2〜3回` encodes; [`decode`](crate::decode) reads them back in
/// the WHATWG form.
///
/// # Errors
///
/// [`Hl7Error::InvalidSegmentId`] for an id that is not three upper-case
/// letters or digits; [`Hl7Error::ControlCharacter`] for a C0 control other
/// than tab or a line break; with ISO-2022-JP, [`Hl7Error::Unencodable`]
/// for a character outside ASCII and JIS X 0208 (emoji, many rare kanji) and
/// for `¥` and `‾`, which need JIS X 0201 Roman, a set MSH-18 `~ISO IR87`
/// does not declare. Nothing is ever replaced silently.
pub fn encode(message: &Message, charset: Charset) -> Result<Vec<u8>, Hl7Error> {
    let mut out = Vec::new();
    let mut escaped = String::new();
    for (index, segment) in message.segments.iter().enumerate() {
        let segment_number = index + 1;
        if !is_segment_id(&segment.id) {
            return Err(Hl7Error::InvalidSegmentId {
                segment_number,
                found: segment.id.chars().take(10).collect(),
            });
        }
        out.extend_from_slice(segment.id.as_bytes());
        if segment.is_msh() {
            out.push(ascii(Delimiters::STANDARD.field));
            out.extend_from_slice(ENCODING_CHARACTERS.as_bytes());
        }
        let first = segment.first_written_field_number();
        for (offset, field) in segment.written_fields().iter().enumerate() {
            out.push(ascii(Delimiters::STANDARD.field));
            let location = || FieldLocation {
                segment: segment.id.clone(),
                segment_number,
                field: first + offset,
            };
            write_field(field, charset, &mut escaped, &mut out)
                .map_err(|problem| problem.into_error(location()))?;
        }
        out.push(b'\r');
    }
    Ok(out)
}

pub(crate) fn is_segment_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() == 3
        && bytes[0].is_ascii_uppercase()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A character that cannot be written, before we know where it sits.
enum TextProblem {
    Control(char),
    Unencodable(char),
}

impl TextProblem {
    fn into_error(self, location: FieldLocation) -> Hl7Error {
        match self {
            Self::Control(character) => Hl7Error::ControlCharacter {
                character,
                location,
            },
            Self::Unencodable(character) => Hl7Error::Unencodable {
                character,
                location,
            },
        }
    }
}

fn write_field(
    field: &Field,
    charset: Charset,
    escaped: &mut String,
    out: &mut Vec<u8>,
) -> Result<(), TextProblem> {
    let delimiters = Delimiters::STANDARD;
    for (r, repetition) in field.as_repetitions().iter().enumerate() {
        if r > 0 {
            out.push(ascii(delimiters.repetition));
        }
        for (c, component) in repetition.as_components().iter().enumerate() {
            if c > 0 {
                out.push(ascii(delimiters.component));
            }
            for (s, subcomponent) in component.as_subcomponents().iter().enumerate() {
                if s > 0 {
                    out.push(ascii(delimiters.subcomponent));
                }
                escaped.clear();
                escape_into(subcomponent, escaped).map_err(TextProblem::Control)?;
                match charset {
                    Charset::Utf8 => out.extend_from_slice(escaped.as_bytes()),
                    Charset::Iso2022Jp => {
                        encode_iso2022jp_run(escaped, out).map_err(TextProblem::Unencodable)?
                    }
                }
            }
        }
    }
    Ok(())
}

/// Encodes one run of text with a fresh encoder that ends in ASCII, so the
/// delimiter written next is a delimiter and not half of a kanji.
fn encode_iso2022jp_run(run: &str, out: &mut Vec<u8>) -> Result<(), char> {
    if let Some(roman) = run.chars().find(|c| matches!(c, '\u{a5}' | '\u{203e}')) {
        return Err(roman);
    }
    let whatwg: String;
    let mut rest = run;
    if run.chars().any(|c| to_whatwg_jis_form(c) != c) {
        whatwg = run.chars().map(to_whatwg_jis_form).collect();
        rest = &whatwg;
    }
    let mut encoder = ISO_2022_JP.new_encoder();
    loop {
        let needed = encoder
            .max_buffer_length_from_utf8_without_replacement(rest.len())
            .unwrap_or(rest.len());
        out.reserve(needed);
        let (result, read) = encoder.encode_from_utf8_to_vec_without_replacement(rest, out, true);
        rest = &rest[read..];
        match result {
            EncoderResult::InputEmpty => return Ok(()),
            EncoderResult::Unmappable(character) => return Err(character),
            EncoderResult::OutputFull => {}
        }
    }
}

/// The character the WHATWG (Windows) JIS X 0208 mapping, which encoding_rs
/// follows, uses for a character the JIS mapping gives another code point:
/// both forms stand for the same JIS code. The WHATWG encoder maps U+2212
/// itself; it is listed so that the table is whole.
fn to_whatwg_jis_form(character: char) -> char {
    match character {
        '\u{301c}' => '\u{ff5e}', // WAVE DASH → FULLWIDTH TILDE (0x2141)
        '\u{2016}' => '\u{2225}', // DOUBLE VERTICAL LINE → PARALLEL TO (0x2142)
        '\u{2212}' => '\u{ff0d}', // MINUS SIGN → FULLWIDTH HYPHEN-MINUS (0x215D)
        '\u{2014}' => '\u{2015}', // EM DASH → HORIZONTAL BAR (0x213D)
        '\u{a2}' => '\u{ffe0}',   // CENT SIGN → FULLWIDTH CENT SIGN (0x2171)
        '\u{a3}' => '\u{ffe1}',   // POUND SIGN → FULLWIDTH POUND SIGN (0x2172)
        '\u{ac}' => '\u{ffe2}',   // NOT SIGN → FULLWIDTH NOT SIGN (0x224C)
        other => other,
    }
}

fn ascii(delimiter: char) -> u8 {
    // The standard delimiters are ASCII by construction.
    delimiter as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Segment, decode};

    fn iso2022jp(text: &str) -> Result<Vec<u8>, char> {
        let mut out = Vec::new();
        encode_iso2022jp_run(text, &mut out).map(|()| out)
    }

    #[test]
    fn a_run_ends_in_ascii() {
        assert_eq!(iso2022jp("患者").unwrap(), b"\x1b$B45<T\x1b(B");
        assert_eq!(iso2022jp("abc").unwrap(), b"abc");
        assert_eq!(iso2022jp("").unwrap(), b"");
    }

    #[test]
    fn half_width_katakana_and_minus_sign_become_full_width() {
        let bytes = iso2022jp("ｶﾝｼﾞｬ−").unwrap();
        let (text, _) = ISO_2022_JP.decode_without_bom_handling(&bytes);
        // One character for one: the voiced sound mark stays a mark of its
        // own (シ゛, not ジ).
        assert_eq!(text, "カンシ゛ャ－");
    }

    #[test]
    fn jis_mapping_forms_encode_and_read_back_in_the_whatwg_form() {
        let jis = "2〜3回 4.9〜6.0 ‖ − — ¢ £ ¬";
        let whatwg = "2～3回 4.9～6.0 ∥ － ― ￠ ￡ ￢";
        let bytes = iso2022jp(jis).unwrap();
        assert_eq!(bytes, iso2022jp(whatwg).unwrap());
        assert_eq!(&bytes[..6], b"2\x1b$B!A");
        let (text, _) = ISO_2022_JP.decode_without_bom_handling(&bytes);
        assert_eq!(text, whatwg);

        let message = Message::new(vec![
            Segment::new("MSH"),
            Segment::new("OBX").with(7, Field::text(jis)),
        ]);
        let read = decode(&encode(&message, Charset::Iso2022Jp).unwrap()).unwrap();
        assert_eq!(read.segment("OBX").unwrap().text(7), whatwg);
    }

    #[test]
    fn characters_outside_jis_x_0208_are_refused() {
        assert_eq!(iso2022jp("痛み😀"), Err('😀'));
        // 𠮷 (U+20BB7) is the JIS X 0213 form of 吉, not in JIS X 0208.
        assert_eq!(iso2022jp("𠮷田"), Err('𠮷'));
        assert_eq!(iso2022jp("100¥"), Err('¥'));
    }

    #[test]
    fn msh_starts_with_standard_delimiters_and_segments_end_with_cr() {
        let message = Message::new(vec![
            Segment::new("MSH").with(3, Field::text("A")),
            Segment::new("PID"),
        ]);
        assert_eq!(
            encode(&message, Charset::Utf8).unwrap(),
            b"MSH|^~\\&|A\rPID\r"
        );
    }

    #[test]
    fn charset_fields_match_ss_mix2() {
        let msh = Segment::new("MSH")
            .with(18, Charset::Iso2022Jp.msh18())
            .with(20, Charset::Iso2022Jp.msh20());
        let bytes = encode(&Message::new(vec![msh]), Charset::Utf8).unwrap();
        let empty_msh_3_to_17 = "|".repeat(15);
        let expected = format!("MSH|^~\\&{empty_msh_3_to_17}|~ISO IR87||ISO 2022-1994\r");
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
        let utf8 = Segment::new("MSH").with(18, Charset::Utf8.msh18());
        assert_eq!(utf8.text(18), "UNICODE UTF-8");
        assert!(Charset::Utf8.msh20().is_empty());
    }

    #[test]
    fn errors_name_the_character_and_the_field() {
        let message = Message::new(vec![
            Segment::new("MSH"),
            Segment::new("OBX").with(5, Field::components(["ok", "痛み😀"])),
        ]);
        let error = encode(&message, Charset::Iso2022Jp).unwrap_err();
        assert!(
            matches!(&error, Hl7Error::Unencodable { character: '😀', location }
                if location.segment == "OBX" && location.field == 5 && location.segment_number == 2),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "ISO-2022-JP (ASCII + JIS X 0208) cannot carry '😀' (U+1F600) in OBX-5 (segment 2)"
        );
        assert!(encode(&message, Charset::Utf8).is_ok());

        let control = Message::new(vec![Segment::new("MSH").with(3, Field::text("a\u{1c}"))]);
        assert!(matches!(
            encode(&control, Charset::Utf8),
            Err(Hl7Error::ControlCharacter { character: '\u{1c}', location }) if location.field == 3
        ));
    }

    #[test]
    fn bad_segment_ids_are_refused() {
        for id in ["PI", "PIDX", "pid", "P|D", "1AB"] {
            let message = Message::new(vec![Segment::new("MSH"), Segment::new(id)]);
            assert!(
                matches!(
                    encode(&message, Charset::Utf8),
                    Err(Hl7Error::InvalidSegmentId {
                        segment_number: 2,
                        ..
                    })
                ),
                "{id}"
            );
        }
    }

    #[test]
    fn empty_trailing_parts_are_not_written() {
        let message = Message::new(vec![
            Segment::new("MSH"),
            Segment::new("PID")
                .with(3, Field::components(["id", "", "", "", "PI", "", ""]))
                .with(5, Field::repetitions([vec!["a", ""], vec!["", ""]]))
                .with(8, Field::default()),
        ]);
        let bytes = encode(&message, Charset::Utf8).unwrap();
        assert_eq!(bytes, b"MSH|^~\\&\rPID|||id^^^^PI||a\r");
        assert_eq!(decode(&bytes).unwrap(), message);
    }
}
