//! The content of each resource, made from the record's values. `resourceType`,
//! `meta` and instance identifiers are the Bundle's business
//! ([`super::DocumentBundle::add`]); these functions only say what the letter says.

use serde_json::{Map, Number, Value, json};
use torikomi_record::{Allergy, Date, LabFlag, LabResult, Medication, Patient, Text};

use super::codes;
use super::narrative::NOT_STATED;
use crate::text;

/// A resource's elements besides `resourceType`, `meta` and `language`.
pub(super) type Body = Map<String, Value>;

/// The value of a printed field, trimmed; `None` where the field is absent or blank.
pub(super) fn printed(field: &Option<Text>) -> Option<&str> {
    field.as_ref().map(|field| field.value.trim()).filter(|value| !value.is_empty())
}

/// Which writing of a Japanese name a `HumanName` holds (ISO 21090 EN representation).
#[derive(Debug, Clone, Copy)]
enum Script {
    /// 漢字: IDE (ideographic).
    Kanji,
    /// カナ: SYL (syllabic).
    Kana,
}

/// A `HumanName`. `family` and `given` are set only where the page prints
/// exactly two parts ("山田 太郎", [`text::split_name`]); an unbroken
/// "鈴木花子" or a name in three parts stays whole in `text`, because where a
/// Japanese name splits cannot be told from its characters and a wrong
/// family name would be filed as fact. Spaces are written as one ASCII
/// space, as `JP_Patient_eCS` rule R1113 asks.
fn human_name(name: &str, script: Script, official: bool) -> Value {
    let representation = match script {
        Script::Kanji => "IDE",
        Script::Kana => "SYL",
    };
    let mut human_name = json!({
        "extension": [{ "url": codes::NAME_REPRESENTATION, "valueCode": representation }],
        "text": name.split_whitespace().collect::<Vec<_>>().join(" "),
    });
    if official {
        human_name["use"] = json!("official");
    }
    if let Some((family, given)) = text::split_name(name) {
        human_name["family"] = json!(family);
        human_name["given"] = json!([given]);
    }
    human_name
}

pub(super) fn patient(patient: &Patient) -> Body {
    let mut body = Body::new();
    if let Some(patient_id) = printed(&patient.patient_id) {
        // JP-CLINS wants the issuer's OID (urn:oid:…20.3.51.1 + its institution
        // number); the letter does not say which facility issued the number, so
        // it goes without a system rather than under a guessed one.
        body.insert("identifier".into(), json!([{ "value": patient_id }]));
    }
    let names: Vec<Value> = [(printed(&patient.name), Script::Kanji), (printed(&patient.kana), Script::Kana)]
        .into_iter()
        .filter_map(|(name, script)| name.map(|name| human_name(name, script, false)))
        .collect();
    if !names.is_empty() {
        body.insert("name".into(), Value::Array(names));
    }
    if let Some(phone) = printed(&patient.phone) {
        body.insert("telecom".into(), json!([{ "system": "phone", "value": phone }]));
    }
    if let Some(sex) = &patient.sex {
        body.insert("gender".into(), json!(sex.value.as_str()));
    }
    if let Some(birth_date) = &patient.birth_date {
        body.insert("birthDate".into(), json!(birth_date.value.to_string()));
    }
    if let Some(address) = printed(&patient.address) {
        body.insert("address".into(), json!([{ "text": address }]));
    }
    body
}

/// A doctor known only by the name on the letter.
pub(super) fn practitioner(name: &str) -> Body {
    let mut body = Body::new();
    body.insert("name".into(), json!([human_name(name, Script::Kanji, true)]));
    body
}

/// What is known of a sending or receiving facility.
pub(super) struct OrganizationFacts<'a> {
    pub name: Option<&'a str>,
    pub department: Option<&'a str>,
    /// 医療機関コード, or the hospital's own identifier.
    pub code: Option<&'a str>,
}

/// Whether `code` has the form of a 10-digit 保険医療機関番号 (医療機関コード);
/// a hospital's own identifier does not.
pub(super) fn is_medical_institution_number(code: &str) -> bool {
    code.len() == 10 && code.bytes().all(|byte| byte.is_ascii_digit())
}

pub(super) fn organization(facts: &OrganizationFacts<'_>) -> Body {
    let mut body = Body::new();
    if let Some(code) = facts.code {
        // Only a 10-digit 医療機関コード belongs to the national system; a
        // hospital's own identifier is passed on without one.
        let identifier = if is_medical_institution_number(code) {
            json!({ "system": codes::MEDICAL_INSTITUTION_NUMBER, "value": code })
        } else {
            json!({ "value": code })
        };
        body.insert("identifier".into(), json!([identifier]));
    }
    // Senders and receivers of a 診療情報提供書 are healthcare providers by
    // what the document is.
    body.insert("type".into(), json!([{ "coding": [{ "system": codes::ORGANIZATION_TYPE, "code": "prov" }] }]));
    if let Some(department) = facts.department {
        body.insert(
            "extension".into(),
            json!([{ "url": codes::DEPARTMENT, "valueCodeableConcept": { "text": department } }]),
        );
    }
    if let Some(name) = facts.name {
        body.insert("name".into(), json!(name));
    }
    body
}

/// A condition by its printed name, a diagnosis or an item of past history
/// ("虫垂炎術後(22歳)"). No clinical or verification status: the letter
/// states neither, and "疑い" stays in the name where it was printed.
pub(super) fn condition(name: &str, icd10: Option<&str>, subject: &Value) -> Body {
    let mut coding = vec![json!({
        "system": codes::MEDIS_DISEASE,
        "code": codes::MEDIS_DISEASE_UNCODED,
        "display": name,
    })];
    if let Some(icd10) = icd10 {
        // `JP_Condition_eCS` requires a display on every coding. The name the
        // letter prints beside the code is the only wording we have; the
        // ICD-10 table's own title for the code is not at hand.
        coding.push(json!({ "system": codes::ICD10, "code": icd10, "display": name }));
    }
    let mut body = Body::new();
    body.insert(
        "category".into(),
        // A problem-list item, diagnosis or past history alike: an encounter
        // diagnosis would belong to a visit the letter does not describe.
        json!([{ "coding": [{ "system": codes::CONDITION_CATEGORY, "code": "problem-list-item" }] }]),
    );
    body.insert("code".into(), json!({ "coding": coding, "text": name }));
    body.insert("subject".into(), subject.clone());
    body
}

/// One prescription line, the `line`-th (from 1) of the letter. Status and
/// intent are the values `JP_MedicationRequest_eCS` fixes.
///
/// The letter prints no Rp (剤グループ) grouping, only one medicine per line
/// with its own instruction, so each line is its own Rp numbered by its place
/// in the list, and the only medicine in it: numbering, not a clinical claim.
/// `authoredOn` is the letter's date where one is printed: the prescription
/// is stated as of that letter, and nothing else dates it.
pub(super) fn medication_request(
    medication: &Medication,
    line: usize,
    letter_date: Option<&Date>,
    subject: &Value,
) -> Body {
    let name = medication.name.value.trim();
    let mut body = Body::new();
    body.insert(
        "identifier".into(),
        json!([
            { "system": codes::RP_NUMBER, "value": line.to_string() },
            { "system": codes::ORDER_IN_RP, "value": "1" },
        ]),
    );
    body.insert("status".into(), json!("completed"));
    body.insert("intent".into(), json!("order"));
    body.insert(
        "medicationCodeableConcept".into(),
        json!({
            "coding": [{ "system": codes::MEDICATION_UNCODED, "code": "NOCODED", "display": "標準コードなし" }],
            "text": name,
        }),
    );
    body.insert("subject".into(), subject.clone());
    if let Some(date) = letter_date {
        body.insert("authoredOn".into(), json!(date.to_string()));
    }
    body.insert("dosageInstruction".into(), json!([dosage(medication)]));
    body
}

/// The printed prescription line on one line, whitespace collapsed.
pub(super) fn prescription_line(medication: &Medication) -> String {
    medication.printed.value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn dosage(medication: &Medication) -> Map<String, Value> {
    let mut dosage = Map::new();
    // The instruction as the doctor wrote it, without the drug name that
    // starts the line: "1回1錠1日1回朝食後30日分". `JP_MedicationDosage_eCS`
    // requires a text; a line that holds nothing but the name says no
    // instruction was written, in the words an empty section uses.
    let line = prescription_line(medication);
    let instruction = match line.strip_prefix(medication.name.value.trim()) {
        Some(rest) => rest.trim(),
        None => line.as_str(),
    };
    dosage.insert("text".into(), json!(if instruction.is_empty() { NOT_STATED } else { instruction }));
    let mut timing = Map::new();
    let mut repeat = Map::new();
    if let Some(days) = &medication.days {
        repeat.insert(
            "boundsDuration".into(),
            json!({ "value": days.value, "unit": "日", "system": codes::UCUM, "code": "d" }),
        );
    }
    if let Some(times_per_day) = &medication.times_per_day {
        repeat.insert("frequency".into(), json!(times_per_day.value));
        repeat.insert("period".into(), json!(1));
        repeat.insert("periodUnit".into(), json!("d"));
    }
    if !repeat.is_empty() {
        timing.insert("repeat".into(), Value::Object(repeat));
    }
    if let Some(usage) = printed(&medication.usage) {
        timing.insert(
            "code".into(),
            json!({
                "coding": [{ "system": codes::USAGE_UNCODED, "code": "0X0XXXXXXXXX0000", "display": "ダミー用法コード" }],
                "text": usage,
            }),
        );
    }
    if !timing.is_empty() {
        dosage.insert("timing".into(), Value::Object(timing));
    }
    // "適量" has no number: it stays in the text and gets no quantity.
    let dose = medication.dose_per_time.as_ref().map(|dose| &dose.value);
    if let Some(dose) = dose
        && let Some(value) = dose.quantity.as_deref().and_then(json_decimal)
    {
        dosage.insert("doseAndRate".into(), json!([{ "doseQuantity": { "value": value, "unit": dose.unit } }]));
    }
    dosage
}

pub(super) fn allergy_intolerance(allergy: &Allergy, patient: &Value) -> Body {
    let mut body = Body::new();
    body.insert("code".into(), json!({ "text": allergy.factor.value.trim() }));
    body.insert("patient".into(), patient.clone());
    if let Some(reaction) = printed(&allergy.reaction) {
        body.insert("reaction".into(), json!([{ "manifestation": [{ "text": reaction }] }]));
    }
    body
}

/// A laboratory result. `final`: a result printed in a letter has been
/// reported. The letter gives no JLAC code, so the code is the profile's
/// "not coded" coding beside the printed name. No `effectiveDateTime` where
/// no date is printed for the result.
pub(super) fn lab_observation(lab: &LabResult, subject: &Value) -> Body {
    let mut body = Body::new();
    body.insert("status".into(), json!("final"));
    body.insert(
        "category".into(),
        json!([{ "coding": [{ "system": codes::OBSERVATION_CATEGORY, "code": "laboratory" }] }]),
    );
    body.insert(
        "code".into(),
        json!({
            "coding": [{
                "system": codes::LAB_UNCODED,
                "code": codes::LAB_UNCODED_CODE,
                "display": codes::LAB_UNCODED_DISPLAY,
            }],
            "text": lab.name.value.trim(),
        }),
    );
    body.insert("subject".into(), subject.clone());
    if let Some(date) = &lab.date {
        body.insert("effectiveDateTime".into(), json!(date.value.to_string()));
    }
    let (element, value) = lab_value(lab.value.value.trim(), printed(&lab.unit));
    body.insert(element.into(), value);
    if let Some(flag) = &lab.flag {
        let display = match flag.value {
            LabFlag::High => "High",
            LabFlag::Low => "Low",
        };
        let code = text::lab_flag(flag.value);
        body.insert(
            "interpretation".into(),
            json!([{ "coding": [{ "system": codes::OBSERVATION_INTERPRETATION, "code": code, "display": display }] }]),
        );
    }
    if let Some(range) = printed(&lab.range) {
        body.insert("referenceRange".into(), json!([{ "text": range }]));
    }
    body
}

/// Comparators as printed, longer forms first, with their FHIR codes.
const COMPARATORS: [(&str, &str); 8] =
    [("<=", "<="), (">=", ">="), ("≦", "<="), ("≧", ">="), ("<", "<"), (">", ">"), ("＜", "<"), ("＞", ">")];

/// `valueQuantity` for a number with a unit ("7.2" %, "<0.5" mg/dL);
/// otherwise `valueString` with the value as printed and its unit after it
/// ("陰性", "6.8" where no unit was printed).
fn lab_value(value: &str, unit: Option<&str>) -> (&'static str, Value) {
    let (comparator, number) = COMPARATORS
        .iter()
        .find_map(|(printed, code)| value.strip_prefix(printed).map(|rest| (Some(*code), rest.trim_start())))
        .unwrap_or((None, value));
    if let Some(unit) = unit
        && let Some(number) = json_decimal(number)
    {
        let mut quantity = json!({ "value": number, "unit": unit });
        if let Some(comparator) = comparator {
            quantity["comparator"] = json!(comparator);
        }
        return ("valueQuantity", quantity);
    }
    let text = match unit {
        Some(unit) => format!("{value} {unit}"),
        None => value.to_owned(),
    };
    ("valueString", json!(text))
}

/// A printed decimal ([`text::decimal`]: "12800", "0.92", "-1.5", in either
/// width) as a JSON number; `None` for anything else ("1+", "7.2*", "1e3").
/// Integers stay integers. A fraction becomes an `f64`, so trailing zeros
/// are lost ("7.20" is written 7.2): `serde_json::Value` keeps a number's
/// text only with its `arbitrary_precision` feature, which would change
/// number handling across the workspace. The printed value stays in the
/// section narrative.
fn json_decimal(printed: &str) -> Option<Number> {
    text::decimal(printed)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_values_are_quantities_only_with_a_number_and_a_unit() {
        for (value, unit, expected) in [
            ("7.2", Some("%"), ("valueQuantity", json!({ "value": 7.2, "unit": "%" }))),
            ("７．２０", Some("%"), ("valueQuantity", json!({ "value": 7.2, "unit": "%" }))),
            ("148", Some("mg/dL"), ("valueQuantity", json!({ "value": 148, "unit": "mg/dL" }))),
            ("<0.5", Some("mg/dL"), ("valueQuantity", json!({ "value": 0.5, "unit": "mg/dL", "comparator": "<" }))),
            ("≧ 60", Some("mL/min"), ("valueQuantity", json!({ "value": 60, "unit": "mL/min", "comparator": ">=" }))),
            ("6.8", None, ("valueString", json!("6.8"))),
            ("陰性", None, ("valueString", json!("陰性"))),
            ("1+", Some("mg/dL"), ("valueString", json!("1+ mg/dL"))),
        ] {
            assert_eq!(lab_value(value, unit), expected, "{value} {unit:?}");
        }
    }

    #[test]
    fn splits_names_only_at_printed_spaces() {
        let split = human_name("山田 太郎", Script::Kanji, false);
        assert_eq!((split["family"].clone(), split["given"].clone()), (json!("山田"), json!(["太郎"])));
        for unsplit in ["鈴木花子", "山田 太郎 次郎"] {
            let whole = human_name(unsplit, Script::Kanji, false);
            assert_eq!(whole["text"], unsplit);
            assert!(whole.get("family").is_none() && whole.get("given").is_none(), "{unsplit}");
        }
        assert_eq!(human_name("ヤマダ　タロウ", Script::Kana, false)["text"], "ヤマダ タロウ");
    }
}
