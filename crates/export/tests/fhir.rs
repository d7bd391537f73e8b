//! The JP-CLINS eReferral Bundle: made for referral letters only, shaped like
//! the published example in ../shared, holding to the JP-CLINS profiles
//! except where the module documents an omission, every reference
//! resolving, nothing written that the letter does not print, and the same
//! output every time.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;

use common::{context, record, records, shared_standards};
use serde_json::Value;
use torikomi_export::fhir::referral_bundle;
use torikomi_export::{Export, ExportContext};
use torikomi_record::{ClinicalRecord, Document, Dose, Field, LabFlag, Party, ReferralLetter, Text};

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
fn bundles_are_reproducible() {
    for name in REFERRALS {
        let record = record(name);
        let first = bundle(&record);
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
        // The configured facility's 医療機関番号, the export's year, the document id.
        assert_eq!(bundle["identifier"]["value"], "1412345678^2026^0f1e2d3c4b5a6978");
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
    let icd10_coding = &conditions[0]["code"]["coding"][1];
    assert_eq!(icd10_coding["display"], "2型糖尿病", "the printed name is the only display we have");

    let medications = resources_of(&bundle, "MedicationRequest");
    assert_eq!(medications.len(), letter.medications.len());
    for (index, medication) in medications.iter().enumerate() {
        // Each printed line its own Rp, numbered by its place; one medicine in it.
        let rp = (index + 1).to_string();
        assert_eq!(
            medication["identifier"],
            serde_json::json!([
                { "system": "http://jpfhir.jp/fhir/core/mhlw/IdSystem/Medication-RPGroupNumber", "value": rp },
                { "system": "http://jpfhir.jp/fhir/core/mhlw/IdSystem/MedicationAdministrationIndex", "value": "1" },
            ])
        );
        assert_eq!(medication["authoredOn"], "2025-10-03", "the letter's date");
    }
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
    for lab in &labs {
        assert_eq!(
            lab["code"]["coding"],
            serde_json::json!([{
                "system": "http://jpfhir.jp/fhir/clins/CodeSystem/JP_CLINS_ObsLabResult_Uncoded_CS",
                "code": "99999999999999999",
                "display": "未標準化コード項目(JLAC)",
            }])
        );
    }
    assert_eq!(labs[0]["valueQuantity"], serde_json::json!({ "value": 7.2, "unit": "%" }));
    assert_eq!(labs[1]["valueQuantity"], serde_json::json!({ "value": 148, "unit": "mg/dL" }));
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
    // referral_ruled prints the patient's id, address and phone: clearing
    // them here is what lets the assertions below fail.
    let mut record = record("referral_ruled");
    let printed = patient(&bundle(&record)).clone();
    for element in ["birthDate", "gender", "identifier", "address", "telecom"] {
        assert!(printed.get(element).is_some(), "the fixture prints Patient.{element}");
    }
    record.patient.birth_date = None;
    record.patient.sex = None;
    record.patient.kana = None;
    record.patient.patient_id = None;
    record.patient.address = None;
    record.patient.phone = None;
    let letter = letter(&mut record);
    // The sender's doctor and department survive the scan, its letterhead does not.
    let from = Party { facility: None, ..letter.from.clone() };
    *letter = ReferralLetter { from, ..ReferralLetter::default() };
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

    // The sender is still an Organization, the author and the custodian,
    // with its department and without a name or an identifier.
    let sender_reference = section(&composition["section"], "920").unwrap()["entry"][0]["reference"].clone();
    let sender = section_resource(&bundle, "920");
    assert_eq!(sender["resourceType"], "Organization");
    assert!(sender.get("name").is_none() && sender.get("identifier").is_none(), "{sender}");
    assert_eq!(sender["extension"][0]["valueCodeableConcept"]["text"], "内科");
    assert_eq!(composition["custodian"]["reference"], sender_reference);
    let authors: Vec<&Value> = composition["author"].as_array().unwrap().iter().map(|a| &a["reference"]).collect();
    assert_eq!(authors.len(), 2, "the sending doctor and the sending Organization");
    assert!(authors.contains(&&sender_reference));
}

#[test]
fn dates_are_written_only_where_printed() {
    let mut record = record("referral_ruled");
    let letter = letter(&mut record);
    letter.date = None;
    letter.labs[0].date = None;
    let bundle = bundle(&record);
    assert!(resources(&bundle)[0].get("event").is_none(), "no issue event without the letter's date");
    for medication in resources_of(&bundle, "MedicationRequest") {
        assert!(medication.get("authoredOn").is_none(), "authoredOn comes from the letter's date only");
    }
    let labs = resources_of(&bundle, "Observation");
    assert!(labs[0].get("effectiveDateTime").is_none(), "no date printed for this result");
    assert_eq!(labs[1]["effectiveDateTime"], "2025-09-26");
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
fn a_line_with_only_the_medicine_says_no_instruction_was_written() {
    let mut record = record("referral_letter");
    let medication = &mut letter(&mut record).medications[0];
    medication.printed = medication.name.clone();
    let bundle = bundle(&record);
    let dosage = &resources_of(&bundle, "MedicationRequest")[0]["dosageInstruction"][0];
    assert_eq!(dosage["text"], "記載なし", "JP_MedicationDosage_eCS requires a text");
}

/// Required elements the writer leaves out on purpose, by element id, each
/// listed with its reason in the module doc of `fhir.rs`. Every other
/// element the profiles require must be there.
const DELIBERATE_OMISSIONS: [&str; 18] = [
    // Not on the page: whether the letter is 外来 or 退院時 (the category), a
    // verification status, an allergen code, the specimen.
    "Composition.category",
    "Condition.verificationStatus",
    "AllergyIntolerance.code.coding",
    "Observation.specimen",
    // The sender's 医療機関番号 is not printed, and the receiver's only
    // where the letter is addressed to the configured facility.
    "Organization.identifier",
    "Organization.identifier:medicalInstitutionCode",
    // Printed on some letters only: referral_letter has no patient id or
    // address; no fixture prints a name split into family and given.
    "Patient.identifier",
    "Patient.address",
    "Patient.name.family",
    "Patient.name.given",
    "Patient.birthDate",
    "Patient.gender",
    // The dosage's 服用開始日 (the extension the profile requires) and
    // 力価区分 are not printed, "錠" has no MERIT-9 code without a mapping
    // we do not have, and some lines print no usage.
    "Dosage.extension",
    "Dosage.extension:periodOfUse",
    "Dosage.doseAndRate.type",
    "Dosage.doseAndRate.dose[x].system",
    "Dosage.doseAndRate.dose[x].code",
    "Dosage.timing.code",
];

/// How deep below a resource required elements are checked: three steps,
/// so that the display every `Condition.code.coding` needs is covered
/// ("Condition.code.coding.display"); the dosage's own profile is checked
/// as deep below `dosageInstruction`. Deeper requirements are left to a
/// full validator; fixed values are checked at every depth.
const REQUIRED_DEPTH: usize = 3;

/// The JP-CLINS StructureDefinitions by canonical URL, unpacked from the
/// package by the system `tar` (no gzip or tar crate for one test).
fn jp_clins_profiles(standards: &Path) -> HashMap<String, Value> {
    let package = standards.join("fhir/packages/jp-clins.r4-1.5.2.tgz");
    let unpacked = tempfile::tempdir().unwrap();
    let status =
        Command::new("tar").arg("-xzf").arg(&package).arg("-C").arg(unpacked.path()).status().expect("tar runs");
    assert!(status.success(), "tar -xzf {}", package.display());
    let mut profiles = HashMap::new();
    for entry in std::fs::read_dir(unpacked.path().join("package")).unwrap() {
        let path = entry.unwrap().path();
        let file_name = path.file_name().unwrap().to_string_lossy();
        if file_name.starts_with("StructureDefinition-") && file_name.ends_with(".json") {
            let definition: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            profiles.insert(definition["url"].as_str().unwrap().to_owned(), definition);
        }
    }
    profiles
}

/// One step of an element id below its root: "coding:unCoded" is the
/// `coding` element, only the items of its slice `unCoded`.
struct Step<'a> {
    name: &'a str,
    slice: Option<&'a str>,
}

/// The profile's fixed or pattern value for the element, if any.
fn fixed_value(element: &Value) -> Option<&Value> {
    element
        .as_object()?
        .iter()
        .find(|(key, _)| key.starts_with("fixed") || key.starts_with("pattern"))
        .map(|(_, value)| value)
}

/// A slice as the values its items must hold ("system" = "http://…"), or
/// `None` where it is told apart by something this test does not follow
/// (a type, a profile, a nested pattern, a re-slice).
fn slice_filter(elements: &HashMap<&str, &Value>, sliced_id: &str, slice: &str) -> Option<Vec<(String, Value)>> {
    if slice.contains('/') {
        return None;
    }
    let discriminators = elements.get(sliced_id)?["slicing"]["discriminator"].as_array()?;
    discriminators
        .iter()
        .map(|discriminator| {
            let path = discriminator["path"].as_str()?;
            let by_value = matches!(discriminator["type"].as_str(), Some("value" | "pattern"));
            if !by_value || path.contains('.') || path.starts_with('$') {
                return None;
            }
            let value = fixed_value(elements.get(format!("{sliced_id}:{slice}.{path}").as_str())?)?;
            Some((path.to_owned(), value.clone()))
        })
        .collect()
}

/// The values of `name` in `parent`, arrays flattened; "value[x]" matches
/// `valueQuantity`, `valueString`, ….
fn children<'a>(parent: &'a Value, name: &str) -> Vec<&'a Value> {
    let Some(object) = parent.as_object() else { return Vec::new() };
    let found: Vec<&Value> = match name.strip_suffix("[x]") {
        Some(stem) => object
            .iter()
            .filter(|(key, _)| key.strip_prefix(stem).is_some_and(|rest| rest.starts_with(char::is_uppercase)))
            .map(|(_, value)| value)
            .collect(),
        None => object.get(name).into_iter().collect(),
    };
    found
        .into_iter()
        .flat_map(|value| value.as_array().map_or_else(|| vec![value], |items| items.iter().collect()))
        .collect()
}

/// Whether `value` holds everything `pattern` says (a fixed value is
/// checked the same way: equal primitives, and objects and arrays that
/// contain the pattern's).
fn conforms(value: &Value, pattern: &Value) -> bool {
    match (value, pattern) {
        (Value::Object(value), Value::Object(pattern)) => {
            pattern.iter().all(|(key, wanted)| value.get(key).is_some_and(|found| conforms(found, wanted)))
        }
        (Value::Array(values), Value::Array(patterns)) => {
            patterns.iter().all(|wanted| values.iter().any(|found| conforms(found, wanted)))
        }
        _ => value == pattern,
    }
}

/// Where `resource` (or a datatype value) falls short of `definition`: a
/// required element missing down to [`REQUIRED_DEPTH`], a fixed or pattern
/// value not kept, and the same for values of elements whose type names a
/// profile of the package (the dosage), one level down.
fn profile_findings(
    resource: &Value,
    definition: &Value,
    profiles: &HashMap<String, Value>,
    nested: bool,
) -> Vec<String> {
    let snapshot = definition["snapshot"]["element"].as_array().expect("a snapshot");
    let elements: HashMap<&str, &Value> =
        snapshot.iter().map(|element| (element["id"].as_str().unwrap(), element)).collect();
    let mut findings = Vec::new();
    'elements: for element in snapshot {
        let id = element["id"].as_str().unwrap();
        let Some((root, below)) = id.split_once('.') else { continue };
        let steps: Vec<Step> = below
            .split('.')
            .map(|step| match step.split_once(':') {
                Some((name, slice)) => Step { name, slice: Some(slice) },
                None => Step { name: step, slice: None },
            })
            .collect();
        // Walk down, keeping only the items of each slice on the way.
        let mut parents = vec![resource];
        let mut path = root.to_owned();
        let mut last = Vec::new();
        for (index, step) in steps.iter().enumerate() {
            path = format!("{path}.{}", step.name);
            let mut found: Vec<&Value> = parents.iter().flat_map(|parent| children(parent, step.name)).collect();
            if let Some(slice) = step.slice {
                let Some(filter) = slice_filter(&elements, &path, slice) else { continue 'elements };
                found.retain(|item| filter.iter().all(|(key, value)| item.get(key) == Some(value)));
                path = format!("{path}:{slice}");
            }
            if index + 1 == steps.len() {
                last = found;
            } else {
                parents = found;
            }
        }
        let min = element["min"].as_u64().unwrap_or(0);
        if min > 0 && steps.len() <= REQUIRED_DEPTH && !DELIBERATE_OMISSIONS.contains(&id) {
            let step = steps.last().unwrap();
            for parent in &parents {
                let mut count = children(parent, step.name).len();
                if let Some(slice) = step.slice {
                    let filter = slice_filter(&elements, id.rsplit_once(':').unwrap().0, slice).unwrap();
                    count = children(parent, step.name)
                        .into_iter()
                        .filter(|item| filter.iter().all(|(key, value)| item.get(key) == Some(value)))
                        .count();
                }
                if count < min as usize {
                    findings.push(format!("{id}: {count} of at least {min}"));
                }
            }
        }
        if let Some(fixed) = fixed_value(element) {
            for value in &last {
                if !conforms(value, fixed) {
                    findings.push(format!("{id}: {value} where the profile fixes {fixed}"));
                }
            }
        }
        if !nested && steps.len() == 1 {
            let type_profiles = element["type"].as_array().into_iter().flatten().flat_map(|kind| {
                kind["profile"].as_array().into_iter().flatten().filter_map(|profile| profiles.get(profile.as_str()?))
            });
            for type_profile in type_profiles {
                for value in &last {
                    findings.extend(profile_findings(value, type_profile, profiles, true));
                }
            }
        }
    }
    findings
}

#[test]
fn resources_hold_to_their_jp_clins_profiles() {
    let Some(standards) = shared_standards() else { return };
    let profiles = jp_clins_profiles(&standards);
    for name in REFERRALS {
        let bundle = bundle(&record(name));
        let mut findings = Vec::new();
        for resource in std::iter::once(&bundle).chain(resources(&bundle)) {
            let claimed = resource["meta"]["profile"][0].as_str().unwrap();
            let url = claimed.split_once('|').map_or(claimed, |(url, _version)| url);
            let definition = profiles.get(url).unwrap_or_else(|| panic!("{name}: {url} is not in the package"));
            findings.extend(
                profile_findings(resource, definition, &profiles, false)
                    .into_iter()
                    .map(|finding| format!("{}: {finding}", resource["resourceType"])),
            );
        }
        assert!(findings.is_empty(), "{name}:\n{}", findings.join("\n"));
    }
}

#[test]
fn snapshot() {
    let bundle = bundle(&record("referral_ruled"));
    insta::assert_snapshot!("fhir_referral_ruled", serde_json::to_string_pretty(&bundle).unwrap());
}
