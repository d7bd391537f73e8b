//! From the pages' text to a clinical record with every value grounded:
//! rules read what is labelled on the page; a local language model, where
//! one is loaded, fills what the rules left empty and runs prompt-defined
//! templates; every value the model proposes is looked up in the page
//! text, and what cannot be found is kept but marked ungrounded.
//!
//! ```no_run
//! # fn pages() -> Vec<torikomi_page::PageText> { unimplemented!() }
//! use torikomi_extract::Extractor;
//! let mut extractor = Extractor::rules_only();
//! let record = extractor.extract(&pages());
//! println!("{:?}", record.patient.name.map(|name| name.value));
//! ```

mod classify;
mod labels;
mod layout;
mod model;
mod rules;
mod text;

pub use classify::classify;
pub use model::{ModelAssist, ModelAssistError, ModelUsage, Template, TemplateError};
pub use text::Grounder;
use torikomi_page::PageText;
use torikomi_record::{
    ClinicalRecord, DischargeSummary, Document, DocumentKind, LabReport, MedicationList, OtherDocument,
    ReferralLetter,
};

use crate::rules::Findings;

/// Turns pages into records; holds the model, when there is one, so that
/// it is loaded once per process.
pub struct Extractor {
    model: Option<ModelAssist>,
}

impl Extractor {
    /// Rules alone (`--no-llm`): labelled values only.
    pub fn rules_only() -> Self {
        Extractor { model: None }
    }

    pub fn with_model(model: ModelAssist) -> Self {
        Extractor { model: Some(model) }
    }

    pub fn model(&self) -> Option<&ModelAssist> {
        self.model.as_ref()
    }

    /// Never fails: what cannot be structured is left empty and the reason
    /// is in the record's `notes` (an unreachable model server too).
    pub fn extract(&mut self, pages: &[PageText]) -> ClinicalRecord {
        self.extract_with(pages, WhenModelUnavailable::Note).expect("an unavailable model is a note")
    }

    /// As [`Extractor::extract`], except that a model server that cannot be
    /// reached is an error, so that the document can wait for it.
    ///
    /// # Errors
    /// [`ModelAssistError`] only when the model is unavailable.
    pub fn try_extract(&mut self, pages: &[PageText]) -> Result<ClinicalRecord, ModelAssistError> {
        self.extract_with(pages, WhenModelUnavailable::Fail)
    }

    fn extract_with(&mut self, pages: &[PageText], unavailable: WhenModelUnavailable) -> Result<ClinicalRecord, ModelAssistError> {
        let grounder = Grounder::new(pages);
        let texts: Vec<&str> = pages.iter().map(|page| page.text.as_str()).collect();
        let (mut kind, mut kind_confidence) = classify(&texts);
        let mut findings = rules::extract(&grounder);
        let mut notes = Vec::new();
        let mut templates = Vec::new();
        if let Some(model) = self.model.as_mut() {
            match model.assist(&grounder, &mut findings, kind) {
                Ok(assisted) => {
                    if kind == DocumentKind::Other
                        && let Some(guess) = assisted.kind
                    {
                        (kind, kind_confidence) = (guess, 0.5);
                    }
                    templates = assisted.templates;
                    notes.extend(assisted.notes);
                }
                Err(error) if error.is_unavailable() && unavailable == WhenModelUnavailable::Fail => return Err(error),
                Err(error) => notes.push(format!("the model could not structure this document: {error}")),
            }
        }
        if kind == DocumentKind::Other {
            notes.push("not recognised as a referral, lab report, medication list or discharge summary".to_owned());
        }
        if findings.patient.name.is_none() {
            notes.push("no patient name found".to_owned());
        }
        let patient = std::mem::take(&mut findings.patient);
        Ok(ClinicalRecord { patient, document: shape(findings, kind), kind_confidence, templates, notes })
    }
}

/// What a model server that cannot be reached does to one extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WhenModelUnavailable {
    /// The record is made without it, and a note says so.
    Note,
    /// The extraction fails, so the document can wait for the server.
    Fail,
}

/// Puts what was found into the typed document of its kind.
fn shape(findings: Findings, kind: DocumentKind) -> Document {
    let Findings {
        date,
        collected_on,
        admission_date,
        discharge_date,
        from,
        to,
        prescriber,
        purpose,
        present_illness,
        chief_complaint,
        course,
        test_results,
        remarks,
        plan,
        diagnoses,
        past_history,
        medications,
        labs,
        allergies,
        adverse_events,
        ..
    } = findings;
    match kind {
        DocumentKind::Referral => Document::Referral(ReferralLetter {
            date,
            from,
            to,
            purpose,
            diagnoses,
            past_history,
            present_illness: present_illness.or(course),
            test_results,
            labs,
            medications,
            allergies,
            adverse_events,
            remarks,
        }),
        DocumentKind::LabReport => Document::LabReport(LabReport { date, collected_on, from, to, labs }),
        DocumentKind::MedicationList => {
            Document::MedicationList(MedicationList { date, from, prescriber, medications, allergies })
        }
        DocumentKind::DischargeSummary => Document::DischargeSummary(DischargeSummary {
            date,
            from,
            admission_date,
            discharge_date,
            diagnoses,
            past_history,
            allergies,
            chief_complaint,
            present_illness,
            labs,
            course,
            medications,
            adverse_events,
            plan,
        }),
        DocumentKind::Other => Document::Other(OtherDocument { date, from, to }),
    }
}
