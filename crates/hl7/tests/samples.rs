//! Reading the SS-MIX2 sample messages: UTF-8 and ISO-2022-JP files, and the
//! deliberately broken test cases.

mod common;

use common::{Sample, samples, standards, with_whatwg_jis_forms};
use torikomi_hl7::{Hl7Error, Message, decode};

fn decoded(sample: &Sample) -> Message {
    decode(&sample.bytes).unwrap_or_else(|error| panic!("{}: {error}", sample.name))
}

#[test]
fn every_sample_decodes_with_its_type_and_control_id() {
    let Some(standards) = standards() else { return };
    for folder in ["utf8", "raw_iso2022jp"] {
        for sample in samples(&standards, folder) {
            let message = decoded(&sample);
            assert_eq!(message.segments[0].id, "MSH", "{}", sample.name);
            assert!(
                message.message_type().contains('^'),
                "{}: {:?}",
                sample.name,
                message.message_type()
            );
            assert!(!message.control_id().is_empty(), "{}", sample.name);
            assert!(message.segment("PID").is_some(), "{}", sample.name);
        }
    }
}

/// Equal, except where the text has JIS 0x215D (or another character the JIS
/// and WHATWG mappings disagree on): the UTF-8 files carry it as U+2212,
/// encoding_rs reads it as U+FF0D (see `with_whatwg_jis_forms`).
#[test]
fn each_iso2022jp_file_reads_as_its_utf8_twin() {
    let Some(standards) = standards() else { return };
    let raw = samples(&standards, "raw_iso2022jp");
    let utf8 = samples(&standards, "utf8");
    let mut pairs = 0;
    let mut equal_as_read = 0;
    for utf8_sample in &utf8 {
        let stem = utf8_sample.name.strip_suffix(".hl7").unwrap();
        let raw_sample = raw
            .iter()
            .find(|raw_sample| raw_sample.name == stem)
            .unwrap_or_else(|| panic!("no raw_iso2022jp file for {}", utf8_sample.name));
        assert!(
            raw_sample.bytes.contains(&0x1B),
            "{} is not ISO-2022-JP",
            raw_sample.name
        );
        assert!(
            !utf8_sample.bytes.is_ascii(),
            "{} is not UTF-8 text",
            utf8_sample.name
        );
        let from_raw = decoded(raw_sample);
        let from_utf8 = decoded(utf8_sample);
        if from_raw == from_utf8 {
            equal_as_read += 1;
        } else {
            assert_eq!(from_raw, with_whatwg_jis_forms(&from_utf8), "{stem}");
        }
        pairs += 1;
    }
    assert_eq!(pairs, utf8.len());
    assert!(pairs >= 18, "only {pairs} pairs");
    // Six samples have no minus sign at all.
    assert_eq!(equal_as_read, 6);
}

#[test]
fn adt_sample_values() {
    let Some(standards) = standards() else { return };
    let sample = samples(&standards, "raw_iso2022jp")
        .into_iter()
        .find(|sample| sample.name.contains("_ADT-00_"))
        .expect("ADT-00 sample");
    let message = decoded(&sample);
    assert_eq!(message.message_type(), "ADT^A08");
    assert_eq!(message.control_id(), "20111220000001");

    let msh = message.segment("MSH").unwrap();
    assert_eq!(msh.text(1), "|");
    assert_eq!(msh.text(2), "^~\\&");
    assert_eq!(msh.text(3), "HIS123");
    assert_eq!(msh.field(9).unwrap().component(3), "ADT_A01");
    let msh_18 = msh.field(18).unwrap();
    assert_eq!(msh_18.repetition(0).unwrap().component(1), "");
    assert_eq!(msh_18.repetition(1).unwrap().component(1), "ISO IR87");
    assert_eq!(msh.text(20), "ISO 2022-1994");
    assert_eq!(
        msh.field(21).unwrap().component(3),
        "1.2.392.200250.2.1.100.1.2.120"
    );

    let pid = message.segment("PID").unwrap();
    assert_eq!(pid.text(3), "9999013");
    let name = pid.field(5).unwrap();
    let kanji = name.repetition(0).unwrap();
    assert_eq!(kanji.component(1), "患者");
    assert_eq!(kanji.component(2), "太郎");
    assert_eq!(kanji.component(7), "L");
    assert_eq!(kanji.component(8), "I");
    let kana = name.repetition(1).unwrap();
    assert_eq!(kana.component(1), "カンジャ");
    // ウ is JIS 0x25 0x26: its second byte is '&', the subcomponent
    // separator, so this only reads right when decoding precedes splitting.
    assert_eq!(kana.component(2), "タロウ");
    assert_eq!(kana.as_components().len(), 8);
    assert_eq!(kana.component(8), "P");
    assert!(name.repetition(2).is_none());
    assert_eq!(pid.text(7), "19480405");
    assert_eq!(pid.text(8), "M");

    assert_eq!(message.segments_named("OBX").count(), 3);
    let height = message.segments_named("OBX").next().unwrap();
    assert_eq!(height.field(3).unwrap().component(2), "身長");
    assert_eq!(height.text(5), "167.8");
}

#[test]
fn subcomponents_and_repetitions_in_a_prescription() {
    let Some(standards) = standards() else { return };
    let sample = samples(&standards, "utf8")
        .into_iter()
        .find(|sample| sample.name.contains("_OMP-01_"))
        .expect("OMP-01 sample");
    let message = decoded(&sample);
    assert_eq!(message.message_type(), "RDE^O11");
    let rxe = message.segment("RXE").unwrap();
    assert_eq!(rxe.field(2).unwrap().component(2), "ダーゼン錠（５mg)");
    let dispense = rxe.field(19).unwrap();
    assert_eq!(dispense.component(1), "3");
    assert_eq!(dispense.component(2), "TAB");
    assert_eq!(dispense.subcomponent(2, 2), "錠");
    assert_eq!(dispense.subcomponent(2, 3), "MR9P");
    let kinds = rxe.field(21).unwrap();
    assert_eq!(kinds.as_repetitions().len(), 2);
    assert_eq!(kinds.repetition(1).unwrap().component(2), "院内処方");
    let timing = message.segment("TQ1").unwrap().field(3).unwrap();
    assert_eq!(timing.subcomponent(1, 2), "内服・経口・１日３回朝昼夕食後");
}

/// The broken cases are well-formed HL7 with wrong content: kanji (番号) in
/// MSH-13 (a sequence number), `ISOIR87` without its space in MSH-18, an OBX whose
/// numeric value is `ccc`, and a tail of bare segments in alphabetical order
/// (one of them a second MSH). The reader takes them as they are; checking
/// content is the segment order checker's job and the receiver's.
#[test]
fn broken_testcases_read_as_written() {
    let Some(standards) = standards() else { return };
    let broken = samples(&standards, "broken_testcases");
    assert_eq!(broken.len(), 4);
    for sample in &broken {
        let message = decoded(sample);
        let msh = &message.segments[0];
        assert_eq!(message.message_type(), "RAS^O17", "{}", sample.name);
        assert_eq!(msh.text(13), "番号", "{}", sample.name);
        assert_eq!(
            msh.field(18).unwrap().repetition(1).unwrap().component(1),
            "ISOIR87"
        );
        let obx = message.segment("OBX").unwrap();
        assert_eq!(obx.text(2), "NM");
        assert_eq!(obx.text(5), "ccc");

        let bare: Vec<&str> = message
            .segments
            .iter()
            .skip_while(|segment| segment.id != "AL1")
            .map(|segment| segment.id.as_str())
            .collect();
        assert_eq!(bare.first(), Some(&"AL1"), "{}", sample.name);
        assert!(bare.contains(&"MSH"), "{}", sample.name);
        let al1 = message.segment("AL1").unwrap();
        assert_eq!(al1.field(1), None);
        // A stray MSH is an MSH without fields of its own.
        let stray_msh = message.segments_named("MSH").nth(1).unwrap();
        assert_eq!(stray_msh.field(3), None);
    }
    // The `_1` file of the second case repeats MSH at the very end.
    let ends_with_msh = broken
        .iter()
        .filter(|sample| decoded(sample).segments.last().unwrap().id == "MSH")
        .count();
    assert_eq!(ends_with_msh, 2);

    // Each raw file reads as its `.hl7` UTF-8 twin.
    for raw in broken
        .iter()
        .filter(|sample| !sample.name.ends_with(".hl7"))
    {
        let twin = broken
            .iter()
            .find(|sample| sample.name == format!("{}.hl7", raw.name))
            .unwrap();
        assert_eq!(
            decoded(raw),
            with_whatwg_jis_forms(&decoded(twin)),
            "{}",
            raw.name
        );
    }
}

/// Cut and byte-damaged copies of every sample: decoding may fail, but with
/// a typed error and never a panic.
#[test]
fn damaged_samples_never_panic() {
    let Some(standards) = standards() else { return };
    let mut errors = 0;
    let mut decoded_count = 0;
    for folder in ["broken_testcases", "raw_iso2022jp", "utf8"] {
        for sample in samples(&standards, folder) {
            let bytes = &sample.bytes;
            for end in (0..=bytes.len()).step_by(3) {
                match decode(&bytes[..end]) {
                    Ok(_) => decoded_count += 1,
                    Err(_) => errors += 1,
                }
            }
            for position in (0..bytes.len()).step_by(11) {
                for replacement in [0x00, 0x1B, 0x7C, 0x80, 0xFF] {
                    let mut damaged = bytes.clone();
                    damaged[position] = replacement;
                    let _ = decode(&damaged);
                }
            }
        }
    }
    assert!(errors > 0 && decoded_count > 0);
}

#[test]
fn cut_iso2022jp_inside_kanji_is_an_encoding_error() {
    let Some(standards) = standards() else { return };
    let sample = samples(&standards, "raw_iso2022jp")
        .into_iter()
        .find(|sample| sample.name.contains("_ADT-00_"))
        .unwrap();
    // Cut after ESC $ B and one byte of 患 (0x34 0x35).
    let cut = sample
        .bytes
        .windows(4)
        .position(|window| window == b"\x1b$B4")
        .unwrap()
        + 4;
    assert!(matches!(
        decode(&sample.bytes[..cut]),
        Err(Hl7Error::InvalidIso2022Jp { .. })
    ));
}
