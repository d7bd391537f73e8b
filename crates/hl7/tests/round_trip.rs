//! encode → decode gives back the same message, in both charsets.

mod common;

use common::{samples, standards, with_whatwg_jis_forms};
use encoding_rs::ISO_2022_JP;
use torikomi_hl7::{
    Charset, Component, Field, Hl7Error, Message, Repetition, Segment, decode, encode,
};

const DELIMITER_BYTES: [u8; 5] = [b'|', b'^', b'~', b'&', b'\\'];

/// Kanji whose JIS X 0208 bytes include each delimiter byte, found by
/// asking the encoder rather than trusting a list.
fn kanji_with_delimiter_bytes() -> Vec<(u8, Vec<char>)> {
    DELIMITER_BYTES
        .iter()
        .map(|&delimiter| {
            let found: Vec<char> = ('\u{4E00}'..='\u{9FFF}')
                .filter(|&c| {
                    let mut utf8 = [0; 4];
                    let (bytes, _, unmappable) = ISO_2022_JP.encode(c.encode_utf8(&mut utf8));
                    // ESC $ B, two bytes, ESC ( B.
                    !unmappable && bytes.len() == 8 && bytes[3..5].contains(&delimiter)
                })
                .take(4)
                .collect();
            (delimiter, found)
        })
        .collect()
}

fn round_trip(message: &Message, charset: Charset) -> Message {
    let bytes = encode(message, charset).unwrap_or_else(|error| panic!("{charset:?}: {error}"));
    decode(&bytes).unwrap_or_else(|error| panic!("{charset:?}: {error}"))
}

fn msh(charset: Charset) -> Segment {
    Segment::new("MSH")
        .with(3, Field::text("TORIKOMI"))
        .with(9, Field::components(["ADT", "A08", "ADT_A01"]))
        .with(10, Field::text("1"))
        .with(12, Field::text("2.5"))
        .with(18, charset.msh18())
        .with(20, charset.msh20())
}

fn tricky_message(charset: Charset, kanji: &str) -> Message {
    Message::new(vec![
        msh(charset),
        Segment::new("PID")
            .with(3, Field::components(["12345", "", "", "", "PI"]))
            .with(
                5,
                Field::repetitions([
                    ["山田", "太郎", "", "", "", "", "L", "I"],
                    ["ヤマダ", "タロウ", "", "", "", "", "L", "P"],
                ]),
            )
            .with(
                11,
                Field::components([
                    "",
                    "",
                    "",
                    "",
                    "１２３－４５６７",
                    "JPN",
                    "H",
                    "東京都港区虎ノ門１－２－３",
                ]),
            ),
        Segment::new("OBX")
            .with(2, Field::text("TX"))
            .with(3, Field::components([kanji, kanji, "99LOCAL"]))
            .with(
                5,
                Field::text(format!("a|b^c~d\\e&f\n二行目{kanji}\n\nかなカナ\t１２３")),
            )
            .with(
                6,
                Field::from(vec![Repetition::new([
                    Component::subcomponents([kanji, "&", kanji]),
                    Component::text("\\X0D\\ stays text"),
                ])]),
            ),
        Segment::new("NTE").with(3, Field::text(kanji)),
    ])
}

#[test]
fn kanji_with_every_delimiter_byte_exist() {
    for (delimiter, kanji) in kanji_with_delimiter_bytes() {
        assert!(
            !kanji.is_empty(),
            "no kanji has byte {:?} in ISO-2022-JP",
            delimiter as char
        );
    }
}

#[test]
fn delimiters_line_breaks_and_jis_delimiter_bytes_survive_both_charsets() {
    let kanji: String = kanji_with_delimiter_bytes()
        .into_iter()
        .flat_map(|(_, kanji)| kanji)
        .collect();
    for charset in [Charset::Utf8, Charset::Iso2022Jp] {
        let message = tricky_message(charset, &kanji);
        assert_eq!(round_trip(&message, charset), message, "{charset:?}");
    }
}

/// Bytes of every delimiter appear inside the ISO-2022-JP kanji runs, yet
/// each run ends in ASCII before the delimiter that follows it: a reader
/// that tracks the JIS state, cuts at delimiters and decodes each piece on
/// its own gets the same text as decoding the whole.
#[test]
fn iso2022jp_runs_end_before_every_delimiter() {
    let kanji: String = kanji_with_delimiter_bytes()
        .into_iter()
        .flat_map(|(_, kanji)| kanji)
        .collect();
    let message = tricky_message(Charset::Iso2022Jp, &kanji);
    let iso = encode(&message, Charset::Iso2022Jp).unwrap();
    let utf8 = encode(&message, Charset::Utf8).unwrap();
    for delimiter in DELIMITER_BYTES {
        let count = |bytes: &[u8]| bytes.iter().filter(|&&b| b == delimiter).count();
        assert!(
            count(&iso) > count(&utf8),
            "no {:?} byte inside a JIS run",
            delimiter as char
        );
    }

    let mut pieces = Vec::new();
    let mut start = 0;
    let mut in_jis = false;
    let mut i = 0;
    while i < iso.len() {
        match &iso[i..] {
            [0x1B, b'$', b'B', ..] => {
                in_jis = true;
                i += 3;
            }
            [0x1B, b'(', b'B', ..] => {
                in_jis = false;
                i += 3;
            }
            [byte, ..] if !in_jis && (DELIMITER_BYTES.contains(byte) || *byte == b'\r') => {
                pieces.push(&iso[start..i]);
                pieces.push(&iso[i..=i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    assert!(!in_jis, "message ends inside a JIS run");
    pieces.push(&iso[start..]);
    let piecewise: String = pieces
        .iter()
        .map(|piece| {
            ISO_2022_JP
                .decode_without_bom_handling_and_without_replacement(piece)
                .unwrap()
                .into_owned()
        })
        .collect();
    let whole = ISO_2022_JP
        .decode_without_bom_handling_and_without_replacement(&iso)
        .unwrap();
    assert_eq!(piecewise, whole);
}

#[test]
fn line_breaks_are_written_as_br_and_read_as_newline() {
    let message = Message::new(vec![
        msh(Charset::Utf8),
        Segment::new("NTE").with(3, Field::text("一行目\r\n二行目\r三行目")),
    ]);
    let bytes = encode(&message, Charset::Utf8).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.ends_with("NTE|||一行目\\.br\\二行目\\.br\\三行目\r"),
        "{text}"
    );
    assert_eq!(
        decode(&bytes).unwrap().segment("NTE").unwrap().text(3),
        "一行目\n二行目\n三行目"
    );
}

/// Exactly, except that ISO-2022-JP turns U+2212 (which the UTF-8 samples
/// use for JIS 0x215D) into U+FF0D, and the other JIS-mapping forms into
/// their WHATWG forms.
#[test]
fn every_sample_survives_re_encoding_in_both_charsets() {
    let Some(standards) = standards() else { return };
    let mut count = 0;
    for folder in ["utf8", "raw_iso2022jp", "broken_testcases"] {
        for sample in samples(&standards, folder) {
            let message = decode(&sample.bytes).unwrap();
            assert_eq!(
                round_trip(&message, Charset::Utf8),
                message,
                "{}",
                sample.name
            );
            assert_eq!(
                round_trip(&message, Charset::Iso2022Jp),
                with_whatwg_jis_forms(&message),
                "{}",
                sample.name
            );
            count += 1;
        }
    }
    assert!(count >= 41, "only {count} samples");
}

/// Our ISO-2022-JP output is byte for byte what the SS-MIX2 files hold
/// (they add a 0x1C after the last segment).
#[test]
fn raw_samples_re_encode_to_their_own_bytes() {
    let Some(standards) = standards() else { return };
    for sample in samples(&standards, "raw_iso2022jp") {
        let message = decode(&sample.bytes).unwrap();
        let bytes = encode(&message, Charset::Iso2022Jp).unwrap();
        assert_eq!(
            bytes,
            sample.bytes.strip_suffix(b"\x1c").unwrap(),
            "{}",
            sample.name
        );
    }
}

#[test]
fn a_character_outside_jis_x_0208_is_a_typed_error() {
    let message = Message::new(vec![
        msh(Charset::Iso2022Jp),
        Segment::new("PID").with(5, Field::components(["𠮷田", "太郎"])),
    ]);
    match encode(&message, Charset::Iso2022Jp) {
        Err(Hl7Error::Unencodable {
            character,
            location,
        }) => {
            assert_eq!(character, '𠮷');
            assert_eq!(
                (
                    location.segment.as_str(),
                    location.field,
                    location.segment_number
                ),
                ("PID", 5, 2)
            );
        }
        other => panic!("expected Unencodable, got {other:?}"),
    }
    // UTF-8 carries it.
    assert_eq!(round_trip(&message, Charset::Utf8), message);

    let emoji = Message::new(vec![
        msh(Charset::Iso2022Jp),
        Segment::new("NTE").with(3, Field::text("👍")),
    ]);
    assert!(matches!(
        encode(&emoji, Charset::Iso2022Jp),
        Err(Hl7Error::Unencodable {
            character: '👍',
            ..
        })
    ));
}
