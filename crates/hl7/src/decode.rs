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
/// ISO-2022-JP is read as the WHATWG Encoding Standard reads it, which
/// differs from the JIS mapping (used, for one, by the converter that made
/// the SS-MIX2 samples' UTF-8 copies) in seven characters: JIS 0x2141 is
/// U+FF5E FULLWIDTH TILDE, not U+301C WAVE DASH; 0x2142 U+2225, not U+2016;
/// 0x215D U+FF0D FULLWIDTH HYPHEN-MINUS, not U+2212; 0x213D U+2015, not
/// U+2014; 0x2171, 0x2172 and 0x224C U+FFE0, U+FFE1 and U+FFE2, not `¢`,
/// `£` and `¬`. Two things are read more leniently than WHATWG does:
/// `ESC ( J` (JIS X 0201 Roman, which many JIS encoders use to return from
/// kanji) reads as `ESC ( B` (ASCII), so `\` and `~` stay delimiters and do
/// not turn into `¥` and `‾`; and an escape sequence directly followed by
/// another (an empty run) is skipped instead of making the message invalid.
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

/// The ISO-2022-JP escape sequences the WHATWG decoder knows, each three
/// bytes long.
const ISO2022JP_ESCAPES: [&[u8; 3]; 5] = [b"\x1b(B", b"\x1b(J", b"\x1b(I", b"\x1b$@", b"\x1b$B"];
const ASCII_ESCAPE: &[u8; 3] = b"\x1b(B";
const ROMAN_ESCAPE: &[u8; 3] = b"\x1b(J";

/// ISO-2022-JP input made acceptable to the WHATWG decoder: `ESC ( J` as
/// `ESC ( B`, and every escape sequence that another one follows directly
/// left out. `removed` maps offsets in `bytes` back to the input's.
struct LenientIso2022Jp {
    bytes: Vec<u8>,
    /// (offset in `bytes`, bytes left out before it), one entry per
    /// sequence left out, in order.
    removed: Vec<(usize, usize)>,
}

impl LenientIso2022Jp {
    fn new(input: &[u8]) -> Self {
        let escape_at = |at: usize| {
            input.get(at..at + 3).is_some_and(|sequence| {
                ISO2022JP_ESCAPES.iter().any(|known| known[..] == *sequence)
            })
        };
        let mut bytes = Vec::with_capacity(input.len());
        let mut removed = Vec::new();
        let mut removed_so_far = 0;
        let mut at = 0;
        while at < input.len() {
            if !escape_at(at) {
                bytes.push(input[at]);
                at += 1;
                continue;
            }
            if escape_at(at + 3) {
                removed_so_far += 3;
                removed.push((bytes.len(), removed_so_far));
            } else if input[at..at + 3] == ROMAN_ESCAPE[..] {
                bytes.extend_from_slice(ASCII_ESCAPE);
            } else {
                bytes.extend_from_slice(&input[at..at + 3]);
            }
            at += 3;
        }
        Self { bytes, removed }
    }

    /// The input offset of the byte at `offset` in `self.bytes`.
    fn input_offset(&self, offset: usize) -> usize {
        let before = self.removed.partition_point(|&(at, _)| at <= offset);
        offset + before.checked_sub(1).map_or(0, |last| self.removed[last].1)
    }
}

fn decode_iso2022jp(input: &[u8]) -> Result<String, Hl7Error> {
    let lenient = LenientIso2022Jp::new(input);
    decode_whatwg_iso2022jp(&lenient.bytes).map_err(|offset| Hl7Error::InvalidIso2022Jp {
        offset: lenient.input_offset(offset),
    })
}

/// Decodes as the WHATWG Encoding Standard does; the error is the offset of
/// the first malformed byte.
fn decode_whatwg_iso2022jp(bytes: &[u8]) -> Result<String, usize> {
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
                return Err(consumed
                    .saturating_sub(usize::from(read_after))
                    .saturating_sub(usize::from(malformed)));
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
    fn jis_roman_reads_as_ascii_so_delimiters_stay_delimiters() {
        // 患者 then back to "ASCII" with ESC ( J, as many JIS encoders write.
        let bytes = b"MSH|^~\\&|\x1b$B45<T\x1b(J^a~b\\E\\c\rPID|\x1b$B0&\x1b(J|x\r";
        let message = decode(bytes).unwrap();
        let msh_3 = message.segments[0].field(3).unwrap();
        assert_eq!(msh_3.component(1), "患者");
        assert_eq!(msh_3.component(2), "a");
        assert_eq!(msh_3.repetition(1).unwrap().component(1), "b\\c");
        let pid = &message.segments[1];
        assert_eq!(pid.text(1), "愛");
        assert_eq!(pid.text(2), "x");
    }

    #[test]
    fn an_escape_sequence_followed_by_another_is_skipped() {
        // An empty kanji run, a run that switches twice, and one at the end.
        let bytes = b"MSH|^~\\&|a\x1b$B\x1b(Bb|\x1b(B\x1b$@\x1b$B45<T\x1b(B|\x1b$B\x1b(J";
        let message = decode(bytes).unwrap();
        let msh = &message.segments[0];
        assert_eq!(msh.text(3), "ab");
        assert_eq!(msh.text(4), "患者");
        assert_eq!(msh.field(5), None);
        // WHATWG alone rejects all three.
        assert!(
            ISO_2022_JP
                .decode_without_bom_handling_and_without_replacement(bytes)
                .is_none()
        );
    }

    #[test]
    fn offsets_count_skipped_escape_sequences() {
        // Two skipped sequences and an ESC ( J before an unknown one at 18.
        let bytes = b"MSH|^~\\&|\x1b$B\x1b(B\x1b(J\x1b$Z";
        assert!(matches!(
            decode(bytes),
            Err(Hl7Error::InvalidIso2022Jp { offset: 18 })
        ));
        // A lone byte in a kanji run, after one skipped sequence.
        let bytes = b"\x0bMSH|^~\\&|\x1b(B\x1b$B4\x1b(B";
        assert!(
            matches!(
                decode(bytes),
                Err(Hl7Error::InvalidIso2022Jp { offset: 16 })
            ),
            "{:?}",
            decode(bytes)
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        // xorshift64*, so the inputs are the same on every run.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let pieces: [&[u8]; 16] = [
            b"MSH|^~\\&|",
            b"\x1b$B",
            b"\x1b(B",
            b"\x1b(J",
            b"\x1b(I",
            b"\x1b$@",
            b"\x1b$",
            b"\x1b",
            b"|",
            b"^",
            b"~",
            b"\\",
            b"&",
            b"\r",
            b"\x0b",
            b"\x1c",
        ];
        let mut decoded = 0;
        for _ in 0..4000 {
            let mut bytes = Vec::new();
            let parts = next() % 24;
            for _ in 0..parts {
                let choice = next();
                match choice % 4 {
                    0 => bytes.push((choice >> 8) as u8),
                    1 => bytes.push((choice >> 8) as u8 & 0x7F),
                    _ => bytes.extend_from_slice(pieces[(choice >> 8) as usize % pieces.len()]),
                }
            }
            decoded += usize::from(decode(&bytes).is_ok());
        }
        // Some of them are messages, so the whole reader ran, not only the
        // charset checks.
        assert!(decoded > 0);
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
