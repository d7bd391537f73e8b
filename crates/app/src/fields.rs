//! The record as a reviewer goes through it: a flat list of fields, each
//! with where it was read on the page, how sure we are, and why a person
//! should look; and a person's edit applied back to the record.
//!
//! Works on the record's JSON, so every field of every document kind is
//! listed without a hand-kept table, and an edit is checked by reading the
//! edited JSON back as a `ClinicalRecord`.

use serde_json::{Map, Value};
use torikomi_page::BBox;
use torikomi_record::ClinicalRecord;
use torikomi_record::normalise::parse_date;

use crate::AppError;

/// Below this a value is shown for review even without a flag.
const REVIEW_CONFIDENCE: f64 = 0.7;

/// One value of the record as the review lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewField {
    /// JSON pointer to the field in the record.
    pub path: String,
    /// The component of a compound value (a dose's `quantity` or `unit`).
    pub part: Option<String>,
    /// patient, parties, document, diagnoses, medications, labs, allergies,
    /// adverse_events…: how the document groups it.
    pub group: String,
    /// The path below the group, item numbers from 1: "medications 2 · usage".
    pub label: String,
    pub value: String,
    /// The text the value was read from, as printed.
    pub printed: String,
    pub confidence: f64,
    pub origin: String,
    /// The kinds of the field's flags (ungrounded, date, …).
    pub flags: Vec<String>,
    /// Page index and box of the supporting text.
    pub source: Option<(usize, BBox)>,
    pub needs_review: bool,
    pub edited: bool,
}

/// Every field of `record`, by path (JSON objects keep no order; the UI
/// orders the groups).
pub fn review_fields(record: &Value) -> Vec<ReviewField> {
    let mut fields = Vec::new();
    collect(record, &mut Vec::new(), &mut fields);
    fields
}

fn is_field(map: &Map<String, Value>) -> bool {
    map.contains_key("value") && map.contains_key("confidence") && map.contains_key("origin")
}

fn collect(value: &Value, path: &mut Vec<String>, fields: &mut Vec<ReviewField>) {
    match value {
        Value::Object(map) if is_field(map) => {
            let pointer = pointer(path);
            match &map["value"] {
                Value::Object(parts) => {
                    for (part, part_value) in parts {
                        fields.push(field(map, &pointer, path, Some(part), part_value));
                    }
                }
                whole => fields.push(field(map, &pointer, path, None, whole)),
            }
        }
        Value::Object(map) => {
            for (key, child) in map {
                path.push(key.clone());
                collect(child, path, fields);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(index.to_string());
                collect(item, path, fields);
                path.pop();
            }
        }
        _ => {}
    }
}

fn pointer(path: &[String]) -> String {
    path.iter().map(|key| format!("/{}", key.replace('~', "~0").replace('/', "~1"))).collect()
}

fn field(map: &Map<String, Value>, pointer: &str, path: &[String], part: Option<&str>, value: &Value) -> ReviewField {
    let (group, below) = group_of(path);
    let is_index = |key: &String| key.parse::<usize>().is_ok();
    let mut label = Vec::new();
    for (index, key) in below.iter().enumerate() {
        match key.parse::<usize>() {
            // An item number joins the name of its list: "medications 2".
            Ok(number) if index > 0 => label.push(format!("{} {}", below[index - 1], number + 1)),
            Ok(number) => label.push((number + 1).to_string()),
            Err(_) if below.get(index + 1).is_some_and(is_index) => {}
            Err(_) => label.push(key.clone()),
        }
    }
    if let Some(part) = part {
        label.push(part.to_owned());
    }
    let confidence = map["confidence"].as_f64().unwrap_or(0.0);
    let origin = map["origin"].as_str().unwrap_or("").to_owned();
    let flags: Vec<String> = map
        .get("flags")
        .and_then(Value::as_array)
        .map(|flags| flags.iter().filter_map(|flag| flag["kind"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let source = map.get("provenance").and_then(|provenance| {
        let page = provenance["page"].as_u64()? as usize;
        let bbox: BBox = serde_json::from_value(provenance["bbox"].clone()).ok()?;
        Some((page, bbox))
    });
    let edited = origin == "person";
    ReviewField {
        path: pointer.to_owned(),
        part: part.map(str::to_owned),
        group,
        label: label.join(" · "),
        value: display(value),
        printed: map.get("printed").and_then(Value::as_str).unwrap_or("").to_owned(),
        needs_review: !edited && (!flags.is_empty() || confidence < REVIEW_CONFIDENCE || origin == "model"),
        confidence,
        origin,
        flags,
        source,
        edited,
    }
}

/// The group a path belongs to, and the path below it.
fn group_of(path: &[String]) -> (String, &[String]) {
    match path {
        [root, rest @ ..] if root == "patient" => ("patient".to_owned(), rest),
        [root, side, ..] if root == "document" && (side == "from" || side == "to") => ("parties".to_owned(), &path[1..]),
        [root, list, index, ..] if root == "document" && index.parse::<usize>().is_ok() => (list.clone(), &path[1..]),
        [root, rest @ ..] if root == "document" => ("document".to_owned(), rest),
        [root, rest @ ..] => (root.clone(), rest),
        [] => ("document".to_owned(), path),
    }
}

fn display(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Sets the value at `path` (and `part`) to what a person typed, marks it
/// as theirs, and returns the value it replaces. The typed text is read as
/// the field's type: a number for a number, an era or Western date for a
/// date.
///
/// # Errors
/// No such field, or text that is not a value of the field's type.
pub fn apply_edit(record: &mut Value, path: &str, part: Option<&str>, typed: &str) -> Result<String, AppError> {
    let field = record
        .pointer_mut(path)
        .filter(|field| field.as_object().is_some_and(is_field))
        .ok_or_else(|| AppError::NoSuchField(path.to_owned()))?;
    let name = match part {
        Some(part) => format!("{path}/{part}"),
        None => path.to_owned(),
    };
    let slot = match part {
        Some(part) => field["value"].get_mut(part).ok_or_else(|| AppError::NoSuchField(name.clone()))?,
        None => &mut field["value"],
    };
    let old = display(slot);
    let invalid = |reason: &str| AppError::InvalidValue { field: name.clone(), value: typed.to_owned(), reason: reason.to_owned() };
    let typed = typed.trim();
    *slot = match &*slot {
        Value::Number(_) => {
            let number: serde_json::Number = typed.parse().map_err(|_| invalid("a number is expected"))?;
            Value::Number(number)
        }
        Value::String(text) if is_iso_date(text) => {
            let found = parse_date(typed).map_err(|error| invalid(&error.to_string()))?;
            Value::String(found.date.to_string())
        }
        _ => Value::String(typed.to_owned()),
    };
    field["origin"] = Value::from("person");
    field["confidence"] = Value::from(1.0);
    if let Some(map) = field.as_object_mut() {
        // A person has looked: what the flags asked for is done.
        map.remove("flags");
    }
    serde_json::from_value::<ClinicalRecord>(record.clone()).map_err(|error| invalid(&error.to_string()))?;
    Ok(old)
}

/// The value at `path` (and `part`) as the review shows it.
pub(crate) fn value_at(record: &Value, path: &str, part: Option<&str>) -> String {
    let value = record.pointer(path).map(|field| &field["value"]);
    let value = match part {
        Some(part) => value.and_then(|value| value.get(part)),
        None => value,
    };
    value.map(display).unwrap_or_default()
}

fn is_iso_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, byte)| if index == 4 || index == 7 { *byte == b'-' } else { byte.is_ascii_digit() })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field_json(value: Value) -> Value {
        json!({"value": value, "printed": "p", "confidence": 0.9, "origin": "label",
               "provenance": {"page": 0, "bbox": {"x": 1, "y": 2, "w": 3, "h": 4}, "span": {"start": 0, "end": 1}}})
    }

    fn check(record: &Value, expect: &[(&str, &str, &str)]) {
        let found: Vec<(String, String, String)> =
            review_fields(record).into_iter().map(|field| (field.group, field.label, field.value)).collect();
        let expect: Vec<(String, String, String)> =
            expect.iter().map(|(g, l, v)| ((*g).to_owned(), (*l).to_owned(), (*v).to_owned())).collect();
        assert_eq!(found, expect);
    }

    #[test]
    fn fields_are_grouped_as_the_document_is() {
        let record = json!({
            "patient": {"name": field_json(json!("山田太郎")), "kana": null},
            "document": {
                "kind": "referral",
                "from": {"facility": field_json(json!("さくら内科"))},
                "diagnoses": [{"name": field_json(json!("2型糖尿病"))}],
                "medications": [{}, {"dose_per_time": field_json(json!({"quantity": "1", "unit": "錠"})),
                                      "days": field_json(json!(28))}],
                "purpose": field_json(json!("精査加療"))
            }
        });
        check(
            &record,
            &[
                ("diagnoses", "diagnoses 1 · name", "2型糖尿病"),
                ("parties", "from · facility", "さくら内科"),
                ("medications", "medications 2 · days", "28"),
                ("medications", "medications 2 · dose_per_time · quantity", "1"),
                ("medications", "medications 2 · dose_per_time · unit", "錠"),
                ("document", "purpose", "精査加療"),
                ("patient", "name", "山田太郎"),
            ],
        );
        let name = review_fields(&record).into_iter().find(|field| field.group == "patient").unwrap();
        assert_eq!((name.path.as_str(), name.source.map(|(page, bbox)| (page, bbox.x))), ("/patient/name", Some((0, 1))));
    }

    #[test]
    fn flagged_unsure_and_model_only_values_need_review() {
        let mut flagged = field_json(json!("x"));
        flagged["flags"] = json!([{"kind": "ungrounded"}]);
        let mut unsure = field_json(json!("y"));
        unsure["confidence"] = json!(0.4);
        let mut guessed = field_json(json!("z"));
        guessed["origin"] = json!("model");
        let record = json!({"patient": {"a": flagged, "b": unsure, "c": guessed, "d": field_json(json!("w"))}});
        let review: Vec<bool> = review_fields(&record).iter().map(|field| field.needs_review).collect();
        assert_eq!(review, [true, true, true, false]);
        assert_eq!(review_fields(&record)[0].flags, ["ungrounded"]);
    }

    fn referral() -> Value {
        serde_json::from_str(include_str!("../../export/tests/records/referral_letter.json")).unwrap()
    }

    #[test]
    fn an_edit_is_read_as_the_field_type_and_marked_as_a_persons() {
        let mut record = referral();
        let old = apply_edit(&mut record, "/patient/birth_date", None, "昭和30年4月12日").unwrap();
        assert_ne!(old, "1955-04-12", "the fixture's date must differ for this test to mean anything");
        assert_eq!(record["patient"]["birth_date"]["value"], "1955-04-12");
        assert_eq!(record["patient"]["birth_date"]["origin"], "person");
        let days = review_fields(&record).into_iter().find(|field| field.label.ends_with("days")).unwrap();
        apply_edit(&mut record, &days.path, None, "14").unwrap();
        assert_eq!(record.pointer(&days.path).unwrap()["value"], 14);
        let edited = review_fields(&record).into_iter().find(|field| field.path == days.path).unwrap();
        assert!(edited.edited && !edited.needs_review);
    }

    #[test]
    fn a_value_of_the_wrong_type_or_a_missing_field_is_refused() {
        let mut record = referral();
        let days = review_fields(&record).into_iter().find(|field| field.label.ends_with("days")).unwrap();
        assert!(matches!(apply_edit(&mut record, &days.path, None, "two weeks"), Err(AppError::InvalidValue { .. })));
        assert!(matches!(apply_edit(&mut record, "/patient/birth_date", None, "令和5年2月30日"), Err(AppError::InvalidValue { .. })));
        assert!(matches!(apply_edit(&mut record, "/patient/nothing", None, "x"), Err(AppError::NoSuchField(_))));
    }
}
