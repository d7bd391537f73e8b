//! The HL7 messages written for the fixture records read back to the same
//! values in UTF-8 and ISO-2022-JP, follow SS-MIX2's segment order, and a
//! few are pinned as snapshots.

mod common;

use common::{context, record, records, shared_standards};
use torikomi_export::hl7::{DataType, Hl7Message, Hl7Settings, hl7_messages};
use torikomi_export::{CodeTables, Export, ExportContext};
use torikomi_hl7::{Charset, SegmentOrderRules, decode, encode};
use torikomi_record::ClinicalRecord;

fn messages(record: &ClinicalRecord, context: &ExportContext, charset: Charset) -> Vec<Hl7Message> {
    let mut counter = 0;
    let settings = Hl7Settings { charset, ..Hl7Settings::default() };
    hl7_messages(&Export { record, context }, &settings, || {
        counter += 1;
        format!("TRK{counter:07}")
    })
}

fn encoded(messages: &[Hl7Message], charset: Charset) -> String {
    let bytes: Vec<Vec<u8>> = messages.iter().map(|m| encode(&m.message, charset).unwrap()).collect();
    bytes.iter().map(|b| String::from_utf8_lossy(b).replace('\r', "\n")).collect::<Vec<_>>().join("\n")
}

#[test]
fn every_message_reads_back_the_same_in_both_charsets() {
    let context = context();
    let mut checked = 0;
    for (name, record) in records() {
        for charset in [Charset::Utf8, Charset::Iso2022Jp] {
            for written in messages(&record, &context, charset) {
                let bytes = encode(&written.message, charset).unwrap();
                if charset == Charset::Iso2022Jp {
                    assert!(bytes.iter().all(u8::is_ascii), "{name}: ISO-2022-JP is 7-bit");
                    assert!(bytes.windows(3).any(|w| w == b"\x1b$B"), "{name}: kanji are shifted in");
                }
                let read = decode(&bytes).unwrap_or_else(|error| panic!("{name} {:?}: {error}", written.data_type));
                assert_eq!(read, written.message, "{name} {:?} in {charset:?}", written.data_type);
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} messages");
}

#[test]
fn segment_order_follows_ssmix2() {
    let Some(standards) = shared_standards() else { return };
    let rules = std::fs::read_to_string(standards.join("hl7/nhoHQ_defs/HL7_SEGMENTORDER.json")).unwrap();
    let rules = SegmentOrderRules::from_json(&rules).unwrap();
    let context = context();
    let mut types = std::collections::HashSet::new();
    for (name, record) in records() {
        for written in messages(&record, &context, Charset::Utf8) {
            rules.check(&written.message).unwrap_or_else(|error| panic!("{name}: {error}"));
            types.insert(written.data_type);
        }
    }
    for data_type in [DataType::Patient, DataType::Allergies, DataType::Diagnoses, DataType::Prescription, DataType::LabResults] {
        assert!(types.contains(&data_type), "no fixture produced {data_type:?}");
    }
}

#[test]
fn values_land_in_the_ssmix2_fields() {
    let context = context();
    let referral = messages(&record("referral_letter"), &context, Charset::Utf8);
    let patient = &referral.iter().find(|m| m.data_type == DataType::Patient).unwrap().message;
    let pid = patient.segment("PID").unwrap();
    assert_eq!(pid.field(5).unwrap().repetition(0).unwrap().component(1), "鈴木花子");
    assert_eq!(pid.field(5).unwrap().repetition(0).unwrap().component(8), "I");
    assert_eq!(pid.field(5).unwrap().repetition(1).unwrap().component(8), "P");
    assert_eq!(pid.text(7), "19471103");
    assert_eq!(pid.text(8), "F");
    assert_eq!(pid.text(3), "", "no patient id was printed, none is invented");
    assert_eq!(patient.segment("EVN").unwrap().text(2), "20251003");
    assert_eq!(patient.segment("MSH").unwrap().text(10), "TRK0000001");

    let diagnoses = &referral.iter().find(|m| m.data_type == DataType::Diagnoses).unwrap().message;
    let prb: Vec<_> = diagnoses.segments_named("PRB").collect();
    assert_eq!(prb[0].field(10).unwrap().component(1), "I48.0");
    assert_eq!(prb[0].field(10).unwrap().component(3), "I10");
    assert_eq!(prb[0].field(3).unwrap().component(2), "発作性心房細動");
    assert_eq!(prb[0].field(3).unwrap().component(1), "", "no MEDIS code without a code table");
    assert!(prb[1].field(10).is_none_or(|field| field.is_empty()));

    // The born-digital fixture's H/L cells are not in its text layer, so set one.
    let mut report = record("lab_report");
    let torikomi_record::Document::LabReport(labs) = &mut report.document else { panic!() };
    let first = &mut labs.labs[0];
    first.flag = Some(first.value.clone().map(|_| torikomi_record::LabFlag::High));
    let labs = messages(&report, &context, Charset::Utf8);
    let results = &labs.iter().find(|m| m.data_type == DataType::LabResults).unwrap().message;
    let obx: Vec<_> = results.segments_named("OBX").collect();
    assert_eq!(obx[0].text(8), "H");
    assert!(obx[1..].iter().all(|obx| obx.text(8).is_empty()));
    assert_eq!(obx[0].text(11), "F");
}

#[test]
fn a_hospital_code_table_supplies_codes() {
    let mut context = context();
    context.codes = CodeTables::from_csv("disease,高血圧症,8833421,\n", std::path::Path::new("codes.csv")).unwrap();
    let referral = messages(&record("referral_letter"), &context, Charset::Utf8);
    let diagnoses = &referral.iter().find(|m| m.data_type == DataType::Diagnoses).unwrap().message;
    let coded = diagnoses.segments_named("PRB").find(|prb| prb.field(3).unwrap().component(2) == "高血圧症").unwrap();
    assert_eq!(coded.field(3).unwrap().component(1), "8833421");
    assert_eq!(coded.field(3).unwrap().component(3), "MDCDX2");
}

#[test]
fn delimiters_in_text_are_escaped_and_read_back() {
    let mut record = record("referral_letter");
    let torikomi_record::Document::Referral(letter) = &mut record.document else { panic!() };
    letter.diagnoses[1].name.value = "高血圧症|疑い^再燃~&\\".to_owned();
    let context = context();
    for charset in [Charset::Utf8, Charset::Iso2022Jp] {
        let written = messages(&record, &context, charset);
        let diagnoses = written.iter().find(|m| m.data_type == DataType::Diagnoses).unwrap();
        let bytes = encode(&diagnoses.message, charset).unwrap();
        let read = decode(&bytes).unwrap();
        let names: Vec<&str> = read.segments_named("PRB").map(|prb| prb.field(3).unwrap().component(2)).collect();
        assert_eq!(names[1], "高血圧症|疑い^再燃~&\\");
    }
}

#[test]
fn snapshots() {
    let context = context();
    for name in ["referral_letter", "lab_report", "discharge_summary"] {
        let written = messages(&record(name), &context, Charset::Utf8);
        insta::assert_snapshot!(format!("hl7_{name}"), encoded(&written, Charset::Utf8));
    }
}
