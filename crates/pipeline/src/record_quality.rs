//! How close a clinical record is to the truth: field-level precision and
//! recall by field group. The truth is the `fields` object of a fixture's
//! `truth.json`; the record is put into the same shape and the two are
//! compared value by value (NFKC, case and spaces ignored: OCR drops the
//! space between family and given name).

use serde_json::{Map, Value, json};
use torikomi_record::{ClinicalRecord, Field, Party};
use unicode_normalization::UnicodeNormalization;

/// Field groups of the extraction benchmark, in table order.
pub const GROUPS: [&str; 7] = ["identity", "parties", "diagnoses", "medications", "labs", "allergies", "adverse_events"];

/// Which fields of each list item count, the first being the one items
/// are matched by.
const LIST_FIELDS: [(&str, &[&str]); 5] = [
    ("diagnoses", &["name", "icd10"]),
    ("medications", &["name", "dose_per_time", "times_per_day", "usage", "days"]),
    ("labs", &["name", "value", "unit", "flag", "range", "date"]),
    ("allergies", &["factor", "reaction"]),
    ("adverse_events", &["term", "grade"]),
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.true_positives += other.true_positives;
        self.false_positives += other.false_positives;
        self.false_negatives += other.false_negatives;
    }

    pub fn is_empty(&self) -> bool {
        *self == Counts::default()
    }

    pub fn precision(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_positives)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.true_positives, self.true_positives + self.false_negatives)
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }

    fn compare(&mut self, truth: Option<&Value>, predicted: Option<&Value>) {
        let truth = truth.and_then(comparable);
        let predicted = predicted.and_then(comparable);
        match (truth, predicted) {
            (Some(t), Some(p)) if t == p => self.true_positives += 1,
            (Some(_), Some(_)) => {
                self.false_positives += 1;
                self.false_negatives += 1;
            }
            (Some(_), None) => self.false_negatives += 1,
            (None, Some(_)) => self.false_positives += 1,
            (None, None) => {}
        }
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 { 1.0 } else { part as f64 / whole as f64 }
}

fn comparable(value: &Value) -> Option<String> {
    let text = match value {
        Value::Null => return None,
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let normalised: String = text.nfkc().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
    (!normalised.is_empty()).then_some(normalised)
}

/// The record in the shape of a fixture's truth `fields`.
pub fn record_as_truth(record: &ClinicalRecord) -> Value {
    fn value<T: serde::Serialize>(field: &Option<Field<T>>) -> Value {
        field.as_ref().map_or(Value::Null, |field| serde_json::to_value(&field.value).unwrap_or(Value::Null))
    }
    fn party(party: &Party) -> Value {
        json!({ "facility": value(&party.facility), "department": value(&party.department), "doctor": value(&party.doctor) })
    }
    let patient = &record.patient;
    let document = &record.document;
    let (from, to) = document.parties();
    json!({
        "patient": {
            "name": value(&patient.name), "kana": value(&patient.kana), "birth_date": value(&patient.birth_date),
            "sex": value(&patient.sex), "patient_id": value(&patient.patient_id), "address": value(&patient.address),
            "phone": value(&patient.phone),
        },
        "from": party(from),
        "to": to.map_or(Value::Null, party),
        "document_date": value(&document.date().cloned()),
        "diagnoses": document.diagnoses().iter().map(|d| json!({ "name": d.name.value, "icd10": value(&d.icd10) })).collect::<Vec<_>>(),
        "medications": document.medications().iter().map(|m| json!({
            "name": m.name.value,
            "dose_per_time": m.dose_per_time.as_ref().map(|dose| dose.value.to_string()),
            "times_per_day": value(&m.times_per_day), "usage": value(&m.usage), "days": value(&m.days),
        })).collect::<Vec<_>>(),
        "labs": document.labs().iter().map(|l| json!({
            "name": l.name.value, "value": l.value.value, "unit": value(&l.unit), "flag": value(&l.flag),
            "range": value(&l.range), "date": value(&l.date),
        })).collect::<Vec<_>>(),
        "allergies": document.allergies().iter().map(|a| json!({ "factor": a.factor.value, "reaction": value(&a.reaction) })).collect::<Vec<_>>(),
        "adverse_events": document.adverse_events().iter().map(|e| json!({ "term": e.term.value, "grade": value(&e.grade) })).collect::<Vec<_>>(),
    })
}

/// Counts per group (in [`GROUPS`] order). Fields the truth does not
/// mention are not scored; a value where the truth says null is a false
/// positive.
pub fn score(truth: &Value, predicted: &Value) -> [Counts; GROUPS.len()] {
    let mut counts = [Counts::default(); GROUPS.len()];
    let empty = Map::new();
    let object = |value: Option<&Value>| value.and_then(Value::as_object).cloned().unwrap_or_else(|| empty.clone());
    let truth_patient = object(truth.get("patient"));
    let predicted_patient = object(predicted.get("patient"));
    for (key, value) in &truth_patient {
        counts[0].compare(Some(value), predicted_patient.get(key));
    }
    for side in ["from", "to"] {
        let Some(truth_party) = truth.get(side).and_then(Value::as_object) else { continue };
        let predicted_party = object(predicted.get(side));
        for key in ["facility", "department", "doctor"] {
            counts[1].compare(truth_party.get(key), predicted_party.get(key));
        }
    }
    if let Some(date) = truth.get("document_date") {
        counts[1].compare(Some(date), predicted.get("document_date"));
    }
    for (group_index, (list, fields)) in LIST_FIELDS.iter().enumerate() {
        let Some(truth_items) = truth.get(*list).and_then(Value::as_array) else { continue };
        let predicted_items = predicted.get(*list).and_then(Value::as_array).cloned().unwrap_or_default();
        counts[group_index + 2] = score_list(truth_items, &predicted_items, fields);
    }
    counts
}

/// Items are paired by their first field (exact, else the longest shared
/// prefix of at least two characters); paired items are compared field by
/// field; unpaired ones count wholly as misses or false values.
fn score_list(truth: &[Value], predicted: &[Value], fields: &[&str]) -> Counts {
    let mut counts = Counts::default();
    let key = |item: &Value| item.get(fields[0]).and_then(comparable).unwrap_or_default();
    let mut unpaired: Vec<&Value> = predicted.iter().collect();
    for truth_item in truth {
        let wanted = key(truth_item);
        let exact = unpaired.iter().position(|item| key(item) == wanted);
        let close = || {
            unpaired
                .iter()
                .enumerate()
                .map(|(index, item)| (index, key(item).chars().zip(wanted.chars()).take_while(|(a, b)| a == b).count()))
                .filter(|(_, shared)| *shared >= 2)
                .max_by_key(|(_, shared)| *shared)
                .map(|(index, _)| index)
        };
        let paired = exact.or_else(close).map(|index| unpaired.remove(index));
        for field in fields {
            counts.compare(truth_item.get(*field), paired.and_then(|item| item.get(*field)));
        }
    }
    for item in unpaired {
        for field in fields {
            counts.compare(None, item.get(*field));
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_compare_without_spaces_and_lists_pair_by_name() {
        let truth = json!({
            "patient": { "name": "山田 太郎", "sex": "male", "phone": null },
            "medications": [{ "name": "アムロジピン錠5mg", "dose_per_time": "1錠", "times_per_day": 1, "usage": "朝食後", "days": 28 }],
        });
        let predicted = json!({
            "patient": { "name": "山田太郎", "sex": "female", "phone": "03-1234-5678" },
            "medications": [
                { "name": "アムロジピン錠5mg", "dose_per_time": "1錠", "times_per_day": 1, "usage": "朝食後", "days": 14 },
                { "name": "不明", "dose_per_time": null, "times_per_day": null, "usage": null, "days": null },
            ],
        });
        let counts = score(&truth, &predicted);
        assert_eq!(counts[0], Counts { true_positives: 1, false_positives: 2, false_negatives: 1 });
        assert_eq!(counts[3], Counts { true_positives: 4, false_positives: 2, false_negatives: 1 });
    }
}
