use std::fmt;

use serde::{Deserialize, Serialize};
use torikomi_page::BBox;

use crate::normalise::{Date, DateWarning, Sex};

/// A half-open range of characters (not bytes) in a page's `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharSpan {
    pub start: usize,
    pub end: usize,
}

/// Where on which page a value was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Zero-based index into the document's `pages`.
    pub page: usize,
    /// The box of the supporting text, in page pixels.
    pub bbox: BBox,
    pub span: CharSpan,
}

/// Who proposed a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Read from labelled text by rules.
    Label,
    /// Proposed by the language model.
    Model,
    /// Both agreed.
    LabelAndModel,
    /// Entered or corrected by a person reviewing the page.
    Person,
}

/// Something a reviewer should look at before a value is exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldFlag {
    /// The value could not be found in the page text: nothing supports it.
    Ungrounded,
    /// The printed date was read with a caveat (era past its end, age mismatch).
    Date { warning: DateWarning },
    /// The printed date does not exist (令和5年2月30日); the value is left out.
    ImpossibleDate { printed: String },
    /// The OCR engine was unsure of the characters this value was read from.
    LowOcrConfidence,
}

/// One value of the record with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field<T> {
    pub value: T,
    /// The text the value was read from, as printed (or as the model gave
    /// it, when ungrounded).
    pub printed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// 0–1: how sure we are that `value` is what the page says.
    pub confidence: f32,
    pub origin: Origin,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<FieldFlag>,
}

impl<T> Field<T> {
    /// A value read from labelled text.
    pub fn found(value: T, printed: String, provenance: Option<Provenance>, confidence: f32) -> Self {
        let flags = if provenance.is_none() { vec![FieldFlag::Ungrounded] } else { Vec::new() };
        Field { value, printed, provenance, confidence, origin: Origin::Label, flags }
    }

    pub fn is_grounded(&self) -> bool {
        self.provenance.is_some()
    }

    /// The same evidence for a value derived from this one.
    pub fn map<U>(self, derive: impl FnOnce(T) -> U) -> Field<U> {
        Field {
            value: derive(self.value),
            printed: self.printed,
            provenance: self.provenance,
            confidence: self.confidence,
            origin: self.origin,
            flags: self.flags,
        }
    }
}

pub type Text = Field<String>;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    /// Kanji name as "姓 名" where the page separates them.
    pub name: Option<Text>,
    /// Katakana reading, "セイ メイ".
    pub kana: Option<Text>,
    pub birth_date: Option<Field<Date>>,
    pub sex: Option<Field<Sex>>,
    pub patient_id: Option<Text>,
    pub address: Option<Text>,
    pub phone: Option<Text>,
}

/// A facility, department and doctor: who sent or receives a document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub facility: Option<Text>,
    pub department: Option<Text>,
    pub doctor: Option<Text>,
}

impl Party {
    pub fn is_empty(&self) -> bool {
        self.facility.is_none() && self.department.is_none() && self.doctor.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub name: Text,
    /// ICD-10 only where printed; never looked up.
    pub icd10: Option<Text>,
}

/// An amount per administration: "1錠", "0.5g", or "適量" (no number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dose {
    /// Decimal as printed ("1", "0.5"); none for "適量".
    pub quantity: Option<String>,
    pub unit: String,
}

impl fmt::Display for Dose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.quantity {
            Some(quantity) => write!(f, "{quantity}{}", self.unit),
            None => f.write_str(&self.unit),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Medication {
    /// Drug name with strength and form, as printed ("アムロジピン錠5mg").
    pub name: Text,
    /// Per administration (1回量). A daily total printed as "2錠 分2" is
    /// divided here; the printed line stays in `printed`.
    pub dose_per_time: Option<Field<Dose>>,
    pub times_per_day: Option<Field<u32>>,
    /// When and how: "朝夕食後", "患部に塗布".
    pub usage: Option<Text>,
    pub days: Option<Field<u32>>,
    /// A total quantity for topicals and as-needed drugs ("25g").
    pub total: Option<Text>,
    /// The whole prescription line.
    pub printed: Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabFlag {
    #[serde(rename = "H")]
    High,
    #[serde(rename = "L")]
    Low,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabResult {
    pub name: Text,
    /// As printed: "7.2", "<0.5", "陰性".
    pub value: Text,
    pub unit: Option<Text>,
    pub flag: Option<Field<LabFlag>>,
    /// Reference range as printed: "13-30", "60以上".
    pub range: Option<Text>,
    pub date: Option<Field<Date>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allergy {
    /// The drug, food or agent: "ペニシリン系抗菌薬", "造影剤".
    pub factor: Text,
    pub reaction: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdverseEvent {
    /// CTCAE term as printed: "末梢性感覚ニューロパチー".
    pub term: Text,
    /// CTCAE grade 1–5.
    pub grade: Option<Field<u8>>,
}

/// 診療情報提供書.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReferralLetter {
    pub date: Option<Field<Date>>,
    pub from: Party,
    pub to: Party,
    pub purpose: Option<Text>,
    pub diagnoses: Vec<Diagnosis>,
    pub past_history: Vec<Text>,
    pub present_illness: Option<Text>,
    /// 検査結果 as written; the values it holds are also in `labs`.
    pub test_results: Option<Text>,
    pub labs: Vec<LabResult>,
    pub medications: Vec<Medication>,
    pub allergies: Vec<Allergy>,
    pub adverse_events: Vec<AdverseEvent>,
    pub remarks: Option<Text>,
}

/// 検査結果報告書.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LabReport {
    /// The report date.
    pub date: Option<Field<Date>>,
    pub collected_on: Option<Field<Date>>,
    /// The laboratory.
    pub from: Party,
    /// The requesting clinic and doctor.
    pub to: Party,
    pub labs: Vec<LabResult>,
}

/// 薬剤情報提供書 / お薬手帳.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MedicationList {
    /// The dispensing date.
    pub date: Option<Field<Date>>,
    /// The pharmacy.
    pub from: Party,
    pub prescriber: Party,
    pub medications: Vec<Medication>,
    pub allergies: Vec<Allergy>,
}

/// 退院時サマリー.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DischargeSummary {
    pub date: Option<Field<Date>>,
    pub from: Party,
    pub admission_date: Option<Field<Date>>,
    pub discharge_date: Option<Field<Date>>,
    pub diagnoses: Vec<Diagnosis>,
    pub past_history: Vec<Text>,
    pub allergies: Vec<Allergy>,
    pub chief_complaint: Option<Text>,
    pub present_illness: Option<Text>,
    pub labs: Vec<LabResult>,
    pub course: Option<Text>,
    /// 退院時処方.
    pub medications: Vec<Medication>,
    pub adverse_events: Vec<AdverseEvent>,
    pub plan: Option<Text>,
}

/// A document of no kind Torikomi knows: what could still be read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OtherDocument {
    pub date: Option<Field<Date>>,
    pub from: Party,
    pub to: Party,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Referral,
    LabReport,
    MedicationList,
    DischargeSummary,
    Other,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::Referral,
        DocumentKind::LabReport,
        DocumentKind::MedicationList,
        DocumentKind::DischargeSummary,
        DocumentKind::Other,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            DocumentKind::Referral => "referral",
            DocumentKind::LabReport => "lab_report",
            DocumentKind::MedicationList => "medication_list",
            DocumentKind::DischargeSummary => "discharge_summary",
            DocumentKind::Other => "other",
        }
    }
}

/// The document's own content, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Document {
    Referral(ReferralLetter),
    LabReport(LabReport),
    MedicationList(MedicationList),
    DischargeSummary(DischargeSummary),
    Other(OtherDocument),
}

impl Document {
    pub fn kind(&self) -> DocumentKind {
        match self {
            Document::Referral(_) => DocumentKind::Referral,
            Document::LabReport(_) => DocumentKind::LabReport,
            Document::MedicationList(_) => DocumentKind::MedicationList,
            Document::DischargeSummary(_) => DocumentKind::DischargeSummary,
            Document::Other(_) => DocumentKind::Other,
        }
    }

    /// The date the document was written, reported or dispensed.
    pub fn date(&self) -> Option<&Field<Date>> {
        match self {
            Document::Referral(d) => d.date.as_ref(),
            Document::LabReport(d) => d.date.as_ref(),
            Document::MedicationList(d) => d.date.as_ref(),
            Document::DischargeSummary(d) => d.date.as_ref(),
            Document::Other(d) => d.date.as_ref(),
        }
    }

    /// Sender and receiver (the prescriber, for a medication list).
    pub fn parties(&self) -> (&Party, Option<&Party>) {
        match self {
            Document::Referral(d) => (&d.from, Some(&d.to)),
            Document::LabReport(d) => (&d.from, Some(&d.to)),
            Document::MedicationList(d) => (&d.from, Some(&d.prescriber)),
            Document::DischargeSummary(d) => (&d.from, None),
            Document::Other(d) => (&d.from, Some(&d.to)),
        }
    }

    pub fn diagnoses(&self) -> &[Diagnosis] {
        match self {
            Document::Referral(d) => &d.diagnoses,
            Document::DischargeSummary(d) => &d.diagnoses,
            _ => &[],
        }
    }

    pub fn medications(&self) -> &[Medication] {
        match self {
            Document::Referral(d) => &d.medications,
            Document::MedicationList(d) => &d.medications,
            Document::DischargeSummary(d) => &d.medications,
            _ => &[],
        }
    }

    pub fn labs(&self) -> &[LabResult] {
        match self {
            Document::Referral(d) => &d.labs,
            Document::LabReport(d) => &d.labs,
            Document::DischargeSummary(d) => &d.labs,
            _ => &[],
        }
    }

    pub fn allergies(&self) -> &[Allergy] {
        match self {
            Document::Referral(d) => &d.allergies,
            Document::MedicationList(d) => &d.allergies,
            Document::DischargeSummary(d) => &d.allergies,
            _ => &[],
        }
    }

    pub fn adverse_events(&self) -> &[AdverseEvent] {
        match self {
            Document::Referral(d) => &d.adverse_events,
            Document::DischargeSummary(d) => &d.adverse_events,
            _ => &[],
        }
    }
}

/// One value a prompt-defined template asked for, at its JSON path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateValue {
    /// JSON pointer into the template's schema ("/events/0/grade").
    pub path: String,
    pub value: Text,
}

/// What one extraction template (e.g. CTCAE adverse events) found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateResult {
    pub template: String,
    pub values: Vec<TemplateValue>,
}

/// The structured record of one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicalRecord {
    pub patient: Patient,
    pub document: Document,
    /// How sure the classification of `document`'s kind is (0–1).
    pub kind_confidence: f32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<TemplateResult>,
    /// Why parts of the document could not be structured, for the reviewer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}
