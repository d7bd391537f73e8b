//! The JP-CLINS eReferral Bundle: made for referral letters only, shaped like
//! the published example in ../shared, every reference resolving, nothing
//! written that the letter does not print, and the same output every time.

mod common;

use std::collections::HashSet;

use common::{context, record, records, shared_standards};
use serde_json::Value;
use torikomi_export::fhir::referral_bundle;
use torikomi_export::{Export, ExportContext};
use torikomi_record::{ClinicalRecord, Document, Dose, Field, LabFlag, ReferralLetter, Text};

const REFERRALS: [&str; 3] = ["referral_letter", "referral_ruled", "referral_two_column"];
const JP_FHIR_BASE: &str = "http://jpfhir.jp/fhir/";

fn bundle_with(record: &ClinicalRecord, context: &ExportContext) -> Value {
    referral_bundle(&Export { record, context }).expect("a referral letter makes a bundle")
}

fn bundle(record: &ClinicalRecord) -> Value {
    bundle_with(record, &context())
}

fn resources(bundle: &Value) -> Vec<&Value> {
    bundle["entry"].as_array().expect("entries").iter().map(|entry| &entry["resource"]).collect()
}

fn resources_of<'a>(bundle: &'a Value, resource_type: &str) -> Vec<&'a Value> {
    resources(bundle).into_iter().filter(|resource| resource["resourceType"] == resource_type).collect()
}

fn patient(bundle: &Value) -> &Value {
    resources_of(bundle, "Patient")[0]
}

fn letter(record: &mut ClinicalRecord) -> &mut ReferralLetter {
    match &mut record.document {
        Document::Referral(letter) => letter,
        _ => panic!("not a referral"),
    }
}

fn text(value: &str) -> Text {
    Field::found(value.to_owned(), value.to_owned(), None, 1.0)
}

/// Section codes in document order, nested sections after their parent.
fn section_codes(sections: &Value) -> Vec<String> {
    let mut codes = Vec::new();
    for section in sections.as_array().into_iter().flatten() {
        codes.push(section["code"]["coding"][0]["code"].as_str().expect("section code").to_owned());
        codes.extend(section_codes(&section["section"]));
    }
    codes
}

fn section<'a>(sections: &'a Value, code: &str) -> Option<&'a Value> {
    sections.as_array()?.iter().find_map(|candidate| {
        if candidate["code"]["coding"][0]["code"] == code {
            Some(candidate)
        } else {
            section(&candidate["section"], code)
        }
    })
}

/// Every `reference` string anywhere below `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("reference", Value::String(reference)) => found.push(reference.clone()),
                    _ => references(value, found),
                }
            }
        }
        Value::Array(values) => values.iter().for_each(|value| references(value, found)),
        _ => {}
    }
}

/// Whether `items` appear in `order`'s order (each item must be in `order`).
fn in_order(items: &[String], order: &[String]) -> bool {
    let positions: Vec<usize> = items.iter().filter_map(|item| order.iter().position(|o| o == item)).collect();
    positions.len() == items.len() && positions.windows(2).all(|pair| pair[0] < pair[1])
}

#[test]
fn only_referral_letters_make_a_bundle() {
    let context = context();
    for (name, record) in records() {
        let bundle = referral_bundle(&Export { record: &record, context: &context });
        assert_eq!(bundle.is_some(), REFERRALS.contains(&name.as_str()), "{name}");
    }
}

#[test]
fn bundles_round_trip_and_are_reproducible() {
    for name in REFERRALS {
        let record = record(name);
        let first = bundle(&record);
        let json = serde_json::to_string(&first).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&json).unwrap(), first, "{name}");
        assert_eq!(bundle(&record), first, "{name}: a second export differs");

        let mut other_context = context();
        other_context.document_id = "another-document".into();
        let other = bundle_with(&record, &other_context);
        let full_urls = |bundle: &Value| -> HashSet<String> {
            bundle["entry"]
                .as_array()
                .unwrap()
                .iter()
                .map(|entry| entry["fullUrl"].as_str().unwrap().to_owned())
                .collect()
        };
        assert!(full_urls(&first).is_disjoint(&full_urls(&other)), "{name}: fullUrls must follow the document id");
    }
}

#[test]
fn bundle_and_every_resource_claim_a_jp_clins_profile() {
    for name in REFERRALS {
        let bundle = bundle(&record(name));
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["type"], "document");
        assert_eq!(
            bundle["meta"]["profile"][0],
            "http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eReferral|1"
        );
        assert_eq!(bundle["timestamp"], "2026-11-23T10:15:30.000+09:00");
        assert_eq!(bundle["identifier"]["value"], "0f1e2d3c4b5a6978");
        let composition = resources(&bundle)[0];
        assert_eq!(composition["resourceType"], "Composition", "{name}: the Composition comes first");
        assert_eq!(
            composition["meta"]["profile"][0],
            "http://jpfhir.jp/fhir/eReferral/StructureDefinition/JP_Composition_eReferral|1"
        );
        for resource in resources(&bundle) {
            let profiles = resource["meta"]["profile"].as_array().expect("meta.profile");
            assert!(!profiles.is_empty(), "{name}: {} without a profile", resource["resourceType"]);
            for profile in profiles {
                let profile = profile.as_str().unwrap();
                assert!(profile.starts_with(JP_FHIR_BASE), "{name}: {profile}");
                let resource_type = resource["resourceType"].as_str().unwrap();
                assert!(profile.contains(&format!("/JP_{resource_type}_")), "{name}: {resource_type} claims {profile}");
            }
        }
        for entry in bundle["entry"].as_array().unwrap() {
            let full_url = entry["fullUrl"].as_str().unwrap();
            let uuid = full_url.strip_prefix("urn:uuid:").expect("urn:uuid fullUrl");
            assert!(uuid::Uuid::parse_str(uuid).is_ok_and(|uuid| uuid.get_version_num() == 5), "{full_url}");
        }
    }
}

#[test]
fn every_reference_resolves_to_an_entry() {
    for name in REFERRALS {
        let bundle = bundle(&record(name));
        let full_urls: HashSet<&str> =
            bundle["entry"].as_array().unwrap().iter().map(|entry| entry["fullUrl"].as_str().unwrap()).collect();
        assert_eq!(full_urls.len(), bundle["entry"].as_array().unwrap().len(), "{name}: fullUrls repeat");
        let mut found = Vec::new();
        references(&bundle, &mut found);
        assert!(!found.is_empty());
        for reference in found {
            assert!(full_urls.contains(reference.as_str()), "{name}: {reference} resolves to no entry");
        }
        // Every clinical resource is listed in some section.
        let composition = resources(&bundle)[0];
        let mut listed = Vec::new();
        references(&composition["section"], &mut listed);
        for entry in bundle["entry"].as_array().unwrap().iter().skip(2) {
            assert!(
                listed.contains(&entry["fullUrl"].as_str().unwrap().to_owned()),
                "{name}: {entry} is in no section"
            );
        }
    }
}

#[test]
fn structure_follows_the_published_example() {
    let Some(standards) = shared_standards() else { return };
    let path = standards.join("fhir/examples/Bundle-Bundle-CLINS-Referral-Example-01.json");
    let example: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let example_composition = resources(&example)[0];
    let first_seen = |bundle: &Value| -> Vec<String> {
        let mut types: Vec<String> = Vec::new();
        for resource in resources(bundle) {
            let resource_type = resource["resourceType"].as_str().unwrap().to_owned();
            if !types.contains(&resource_type) {
                types.push(resource_type);
            }
        }
        types
    };
    let example_types = first_seen(&example);
    let example_sections = section_codes(&example_composition["section"]);
    // What the eReferral profiles admit and this example happens not to show:
    // MedicationRequest (Bundle entry:medicationRequest), 投薬指示 430 and
    // 検査結果 620 (structured sub-sections), 備考・連絡情報 220.
    let beyond_the_example_types = ["MedicationRequest"];
    let beyond_the_example_sections = ["430", "620", "220"];

    for name in REFERRALS {
        let bundle = bundle(&record(name));
        let composition = resources(&bundle)[0];
        for key in ["status", "title", "type"] {
            assert_eq!(composition[key], example_composition[key], "{name}: Composition.{key}");
        }
        assert_eq!(bundle["type"], example["type"]);
        assert_eq!(bundle["meta"]["profile"], example["meta"]["profile"]);
        assert_eq!(bundle["identifier"]["system"], example["identifier"]["system"]);

        let types: Vec<String> = first_seen(&bundle)
            .into_iter()
            .filter(|resource_type| !beyond_the_example_types.contains(&resource_type.as_str()))
            .collect();
        assert!(in_order(&types, &example_types), "{name}: {types:?} against the example's {example_types:?}");

        let sections = section_codes(&composition["section"]);
        for required in ["920", "910", "300", "950", "340", "360"] {
            assert!(sections.iter().any(|code| code == required), "{name}: no section {required}");
        }
        let shared: Vec<String> =
            sections.iter().filter(|code| !beyond_the_example_sections.contains(&code.as_str())).cloned().collect();
        assert!(
            in_order(&shared, &example_sections),
            "{name}: {sections:?} against the example's {example_sections:?}"
        );
        for code in &shared {
            let ours = section(&composition["section"], code).unwrap();
            let theirs = section(&example_composition["section"], code).unwrap();
            assert_eq!(ours["title"], theirs["title"], "{name}: title of section {code}");
            assert_eq!(ours["code"], theirs["code"], "{name}: code of section {code}");
            if ours.get("text").is_some() {
                assert_eq!(ours["text"]["status"], theirs["text"]["status"]);
                assert!(
                    ours["text"]["div"].as_str().unwrap().starts_with("<div xmlns=\"http://www.w3.org/1999/xhtml\">")
                );
            }
        }
        // The patient's names take the example's form: IDE kanji and SYL kana.
        let representations: Vec<&Value> =
            patient(&bundle)["name"].as_array().unwrap().iter().map(|name| &name["extension"][0]).collect();
        let example_representations: Vec<&Value> =
            patient(&example)["name"].as_array().unwrap().iter().map(|name| &name["extension"][0]).collect();
        assert_eq!(representations, example_representations, "{name}");
    }
}

#[test]
fn carries_what_the_letter_prints() {
    let record = record("referral_ruled");
    let bundle = bundle(&record);
    let Document::Referral(letter) = &record.document else { unreachable!() };

    let patient = patient(&bundle);
    assert_eq!(patient["birthDate"], "1955-04-12");
    assert_eq!(patient["gender"], "male");
    assert_eq!(patient["identifier"][0]["value"], "0012345");
    assert_eq!(patient["address"][0]["text"], "東京都世田谷区上馬三丁目8番21号");
    assert_eq!(patient["telecom"][0]["value"], "03-3412-7788");
    // Printed without a space: whole, never split by guess.
    assert_eq!(patient["name"][0]["text"], "山田太郎");
    assert_eq!(patient["name"][1]["text"], "ヤマダタロウ");
    assert!(patient["name"][0].get("family").is_none());

    let conditions = resources_of(&bundle, "Condition");
    let condition_names: Vec<&str> =
        conditions.iter().map(|condition| condition["code"]["text"].as_str().unwrap()).collect();
    let printed_names: Vec<&str> = letter
        .diagnoses
        .iter()
        .map(|diagnosis| diagnosis.name.value.as_str())
        .chain(letter.past_history.iter().map(|item| item.value.as_str()))
        .collect();
    assert_eq!(condition_names, printed_names);
    let icd10: Vec<&str> = conditions
        .iter()
        .flat_map(|condition| condition["code"]["coding"].as_array().unwrap())
        .filter(|coding| coding["system"].as_str().unwrap().contains("ICD10"))
        .map(|coding| coding["code"].as_str().unwrap())
        .collect();
    assert_eq!(icd10, ["E11.9"], "ICD-10 only where printed");

    let medications = resources_of(&bundle, "MedicationRequest");
    assert_eq!(medications.len(), letter.medications.len());
    assert_eq!(medications[0]["medicationCodeableConcept"]["text"], "メトホルミン塩酸塩錠250mg");
    let dosage = &medications[0]["dosageInstruction"][0];
    assert_eq!(dosage["text"], "2錠分2朝夕食後28日分");
    assert_eq!(dosage["doseAndRate"][0]["doseQuantity"], serde_json::json!({ "value": 1, "unit": "錠" }));
    assert_eq!(dosage["timing"]["repeat"]["frequency"], 2);
    assert_eq!(dosage["timing"]["repeat"]["boundsDuration"]["value"], 28);
    assert_eq!(dosage["timing"]["code"]["text"], "朝夕食後");

    let labs = resources_of(&bundle, "Observation");
    let lab_names: Vec<&str> = labs.iter().map(|lab| lab["code"]["text"].as_str().unwrap()).collect();
    assert_eq!(lab_names, ["HbA1c", "空腹時血糖", "Cr", "eGFR", "LDL-C"]);
    assert_eq!(labs[0]["valueQuantity"], serde_json::json!({ "value": 7.2, "unit": "%" }));
    assert_eq!(labs[0]["effectiveDateTime"], "2025-09-26");
    assert!(labs[0].get("interpretation").is_none() && labs[0].get("referenceRange").is_none());

    let allergies = resources_of(&bundle, "AllergyIntolerance");
    assert_eq!(allergies[0]["code"]["text"], "ペニシリン系抗菌薬");
    assert_eq!(allergies[0]["reaction"][0]["manifestation"][0]["text"], "薬疹");

    let composition = resources(&bundle)[0];
    assert_eq!(composition["event"][0]["period"]["start"], "2025-10-03");
    let purpose = section(&composition["section"], "950").unwrap();
    assert!(purpose["text"]["div"].as_str().unwrap().contains("血糖コントロール不良のため"));
    let remarks = section(&composition["section"], "220").unwrap();
    assert!(remarks["text"]["div"].as_str().unwrap().contains("腹部超音波検査の報告書を同封"));
    for code in ["370", "510", "430", "620"] {
        assert!(section(&composition["section"], code).is_some(), "section {code}");
    }
}

/// The resource the first entry of section `code` refers to.
fn section_resource<'a>(bundle: &'a Value, code: &str) -> &'a Value {
    let composition = resources(bundle)[0];
    let reference = &section(&composition["section"], code).unwrap()["entry"][0]["reference"];
    let entry = bundle["entry"].as_array().unwrap().iter().find(|entry| &entry["fullUrl"] == reference).unwrap();
    &entry["resource"]
}

#[test]
fn receiver_carries_our_code_only_where_the_letter_is_addressed_to_us() {
    // The fixed context is 横浜港南総合病院, 1412345678.
    let addressed_to_us = bundle(&record("referral_letter"));
    let receiver = section_resource(&addressed_to_us, "910");
    assert_eq!(receiver["name"], "横浜港南総合病院");
    assert_eq!(receiver["identifier"][0]["value"], "1412345678");
    assert_eq!(receiver["extension"][0]["valueCodeableConcept"]["text"], "循環器内科");

    let addressed_elsewhere = bundle(&record("referral_ruled"));
    let receiver = section_resource(&addressed_elsewhere, "910");
    assert_eq!(receiver["name"], "東都大学医学部附属病院");
    assert!(receiver.get("identifier").is_none(), "our code on another hospital");

    let mut record = record("referral_ruled");
    letter(&mut record).to.facility = None;
    let unaddressed = bundle(&record);
    let receiver = section_resource(&unaddressed, "910");
    assert_eq!(receiver["name"], "横浜港南総合病院", "no addressee printed: the hospital that took it in");
    assert_eq!(receiver["identifier"][0]["value"], "1412345678");

    // The sender is the author and custodian.
    let composition = resources(&addressed_to_us)[0];
    let sender = section(&composition["section"], "920").unwrap()["entry"][0]["reference"].clone();
    assert_eq!(section_resource(&addressed_to_us, "920")["name"], "みどりが丘ファミリークリニック");
    assert_eq!(composition["custodian"]["reference"], sender);
    assert!(composition["author"].as_array().unwrap().iter().any(|author| author["reference"] == sender));
}

#[test]
fn writes_nothing_the_letter_does_not_print() {
    let mut record = record("referral_letter");
    record.patient.birth_date = None;
    record.patient.sex = None;
    record.patient.kana = None;
    record.patient.patient_id = None;
    let letter = letter(&mut record);
    *letter = ReferralLetter { from: letter.from.clone(), ..ReferralLetter::default() };
    let bundle = bundle(&record);

    let patient = patient(&bundle);
    for element in ["birthDate", "gender", "identifier", "address", "telecom"] {
        assert!(patient.get(element).is_none(), "Patient.{element} without a printed value");
    }
    assert_eq!(patient["name"].as_array().unwrap().len(), 1, "no kana name without a printed reading");
    for resource_type in ["Condition", "MedicationRequest", "AllergyIntolerance", "Observation"] {
        assert!(resources_of(&bundle, resource_type).is_empty(), "{resource_type} from nothing");
    }
    let composition = resources(&bundle)[0];
    assert!(composition.get("event").is_none(), "no issue date without a printed date");
    assert_eq!(section_codes(&composition["section"]), ["920", "910", "300", "950", "340", "360"]);
    for code in ["950", "340", "360"] {
        let section = section(&composition["section"], code).unwrap();
        assert!(section["text"]["div"].as_str().unwrap().contains("記載なし"), "section {code}");
        assert!(section.get("entry").is_none());
    }
    // No doctor printed for the receiver: no receiving Practitioner.
    assert_eq!(resources_of(&bundle, "Practitioner").len(), 1);
}

#[test]
fn names_split_only_at_printed_spaces() {
    let mut record = record("referral_letter");
    record.patient.name = Some(text("鈴木 花子"));
    record.patient.kana = Some(text("スズキ　ハナコ"));
    let bundle = bundle(&record);
    let names = &patient(&bundle)["name"];
    assert_eq!(names[0]["family"], "鈴木");
    assert_eq!(names[0]["given"], serde_json::json!(["花子"]));
    assert_eq!(names[0]["extension"][0]["valueCode"], "IDE");
    assert_eq!(names[1]["text"], "スズキ ハナコ", "one ASCII space, as JP-CLINS asks");
    assert_eq!(names[1]["family"], "スズキ");
    assert_eq!(names[1]["extension"][0]["valueCode"], "SYL");

    let doctor = resources_of(&bundle, "Practitioner")[0];
    assert_eq!(doctor["name"][0]["text"], "中村恵子");
    assert!(doctor["name"][0].get("family").is_none());
}

#[test]
fn doses_without_a_number_keep_their_words() {
    let mut record = record("referral_letter");
    let medication = &mut letter(&mut record).medications[0];
    medication.name = text("ヘパリン類似物質油性クリーム0.3%");
    medication.printed = text("ヘパリン類似物質油性クリーム0.3% 適量 1日2回 患部に塗布");
    medication.dose_per_time =
        Some(Field::found(Dose { quantity: None, unit: "適量".into() }, "適量".into(), None, 1.0));
    let bundle = bundle(&record);
    let dosage = &resources_of(&bundle, "MedicationRequest")[0]["dosageInstruction"][0];
    assert_eq!(dosage["text"], "適量 1日2回 患部に塗布");
    assert!(dosage.get("doseAndRate").is_none(), "no quantity without a number");
}

#[test]
fn flagged_results_carry_their_interpretation() {
    let mut record = record("referral_ruled");
    let lab = &mut letter(&mut record).labs[0];
    lab.flag = Some(Field::found(LabFlag::High, "H".into(), None, 1.0));
    lab.range = Some(text("4.9-6.0"));
    lab.value = text("陰性");
    let bundle = bundle(&record);
    let observation = resources_of(&bundle, "Observation")[0];
    assert_eq!(
        observation["interpretation"][0]["coding"][0],
        serde_json::json!({
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
            "code": "H",
            "display": "High",
        })
    );
    assert_eq!(observation["referenceRange"][0]["text"], "4.9-6.0");
    assert_eq!(observation["valueString"], "陰性 %");
    assert!(observation.get("valueQuantity").is_none());
}

#[test]
fn snapshot() {
    let bundle = bundle(&record("referral_ruled"));
    insta::assert_snapshot!("fhir_referral_ruled", serde_json::to_string_pretty(&bundle).unwrap());
}
