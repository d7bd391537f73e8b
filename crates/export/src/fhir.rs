//! JP-CLINS (電子カルテ情報共有サービス) FHIR R4 documents: the 診療情報提供書
//! (eReferral) Bundle of a referral letter.
//!
//! The Bundle follows JP-CLINS 1.5.2 `JP_Bundle_eReferral` and its published
//! example: the Composition first, then the Patient, the sending and
//! receiving Practitioners and Organizations, and one resource per
//! diagnosis, past illness, medication, allergy and laboratory result, each
//! referenced from its section. fullUrls are `urn:uuid:` UUIDs derived (v5)
//! from the context's document id and the resource's role, so the same
//! record and context always give the same Bundle.
//!
//! Only what the letter prints is written. Where a profile defines a code
//! that means "not coded" (diseases, medicines, dosage usage, laboratory
//! items), that code is written beside the printed words. Numbering that
//! only structures the document (Rp numbers) and identifiers Torikomi
//! issues itself (fullUrls, the Bundle's and Composition's identifiers) are
//! written too. Elements the JP-CLINS profiles require that cannot be
//! filled without making something up are left out, so a validator holding
//! to those profiles reports them:
//!
//! - never on a scanned letter: `Composition.category` (the letter does not
//!   say 外来 or 退院時); the sender's 医療機関番号 (`Organization.identifier`,
//!   slice `medicalInstitutionCode`), and the receiver's unless the letter
//!   is addressed to the configured facility; the patient identifier's
//!   issuer (the number is written without a system); MEDIS disease numbers
//!   beyond the "not coded" one and `Condition.verificationStatus` (and the
//!   clinical status); an allergen code (`AllergyIntolerance.code.coding`:
//!   the package defines no "not coded" allergen); `Observation.specimen`;
//!   in each dosage the 服用開始日 extension (`periodOfUse`), the 力価区分
//!   (`doseAndRate.type`) and the MERIT-9 unit code of the dose (`system`,
//!   `code`);
//! - where the letter does not print them: the patient's identifier, sex,
//!   birth date and address; `HumanName.family`/`given` unless the name is
//!   printed in exactly two parts; the sender's `Organization.name` when
//!   the letterhead is missing (the Organization itself is always written,
//!   as the 920 entry, an author and the custodian); `Composition.event`
//!   and `MedicationRequest.authoredOn` without the letter's date (the
//!   export time is not the issue date); `Observation.effective[x]` without
//!   a date for that result; `Dosage.timing` and its code without a printed
//!   usage or frequency.
//!
//! `Bundle.identifier` takes the example's "医療機関番号^year^id" form only
//! where the configured facility's code is a 10-digit 医療機関番号; otherwise
//! it is the document id alone. Decimal quantities are JSON numbers, which
//! drop trailing zeros ("7.20" is written 7.2; see `resources::json_decimal`).

mod codes;
mod narrative;
mod resources;

use chrono::SecondsFormat;
use serde_json::{Value, json};
use torikomi_record::{ClinicalRecord, Document, LabResult, Party, ReferralLetter};
use uuid::Uuid;

use crate::{Export, ExportContext, text};
use codes::{Profile, SectionCode};
use narrative::NOT_STATED;
use resources::{Body, OrganizationFacts, printed};

/// The JP-CLINS eReferral document Bundle of a referral letter; `None` when
/// the record is not a referral letter.
#[must_use]
pub fn referral_bundle(export: &Export<'_>) -> Option<Value> {
    let Document::Referral(letter) = &export.record.document else {
        return None;
    };
    let mut bundle = DocumentBundle::new(export.context);
    let entries = ReferralEntries::add(&mut bundle, export.record, letter);
    let composition = referral_composition(letter, &entries, export.context);
    Some(bundle.finish(composition))
}

/// The resources of a referral in the Bundle, by the part of the letter they come from.
struct ReferralEntries {
    patient: Entry,
    sender_practitioner: Option<Entry>,
    receiver_practitioner: Option<Entry>,
    sender_organization: Entry,
    receiver_organization: Entry,
    diagnoses: Vec<Entry>,
    past_illnesses: Vec<Entry>,
    medications: Vec<Entry>,
    allergies: Vec<Entry>,
    labs: Vec<Entry>,
}

impl ReferralEntries {
    /// Adds the resources in the example's order: Patient, Practitioners,
    /// Organizations, then the clinical resources.
    fn add(bundle: &mut DocumentBundle<'_>, record: &ClinicalRecord, letter: &ReferralLetter) -> ReferralEntries {
        let patient = bundle.add("patient", &codes::PATIENT, resources::patient(&record.patient));
        let subject = patient.reference();
        let practitioner = |bundle: &mut DocumentBundle<'_>, role: &str, party: &Party| {
            printed(&party.doctor).map(|doctor| bundle.add(role, &codes::PRACTITIONER, resources::practitioner(doctor)))
        };
        let sender_practitioner = practitioner(bundle, "sender/practitioner", &letter.from);
        let receiver_practitioner = practitioner(bundle, "receiver/practitioner", &letter.to);
        // Always written, named only where the letter names it: the profile
        // needs a sending Organization to hang the 920 section, the author
        // and the custodian on, and a letter comes from somewhere even when
        // the scan lost its letterhead. Our own hospital would be the wrong
        // one: it received the letter and is already the receiver (910).
        let sender = OrganizationFacts {
            name: printed(&letter.from.facility),
            department: printed(&letter.from.department),
            code: None,
        };
        let sender_organization =
            bundle.add("sender/organization", &codes::ORGANIZATION, resources::organization(&sender));
        let receiver = receiver_facts(&letter.to, bundle.context);
        let receiver_organization =
            bundle.add("receiver/organization", &codes::ORGANIZATION, resources::organization(&receiver));
        ReferralEntries {
            diagnoses: bundle.add_each("diagnosis", &codes::CONDITION, &letter.diagnoses, |diagnosis| {
                resources::condition(diagnosis.name.value.trim(), printed(&diagnosis.icd10), &subject)
            }),
            past_illnesses: bundle.add_each("past-illness", &codes::CONDITION, &letter.past_history, |item| {
                resources::condition(item.value.trim(), None, &subject)
            }),
            medications: letter
                .medications
                .iter()
                .enumerate()
                .map(|(index, medication)| {
                    let letter_date = letter.date.as_ref().map(|date| &date.value);
                    let body = resources::medication_request(medication, index + 1, letter_date, &subject);
                    bundle.add(&format!("medication/{index}"), &codes::MEDICATION_REQUEST, body)
                })
                .collect(),
            allergies: bundle.add_each("allergy", &codes::ALLERGY_INTOLERANCE, &letter.allergies, |allergy| {
                resources::allergy_intolerance(allergy, &subject)
            }),
            labs: bundle
                .add_each("lab", &codes::LAB_RESULT, &letter.labs, |lab| resources::lab_observation(lab, &subject)),
            patient,
            sender_practitioner,
            receiver_practitioner,
            sender_organization,
            receiver_organization,
        }
    }
}

fn referral_composition(letter: &ReferralLetter, entries: &ReferralEntries, context: &ExportContext) -> Body {
    let mut composition = Body::new();
    composition.insert("extension".into(), json!([{ "url": codes::DOCUMENT_VERSION, "valueString": "1.0" }]));
    composition.insert(
        "identifier".into(),
        json!({ "system": codes::RESOURCE_INSTANCE_IDENTIFIER, "value": context.document_id }),
    );
    composition.insert("status".into(), json!("final"));
    composition.insert(
        "type".into(),
        json!({ "coding": [{
            "system": codes::DOCUMENT_TYPE,
            "code": codes::REFERRAL_DOCUMENT_TYPE,
            "display": codes::REFERRAL_TITLE,
        }] }),
    );
    composition.insert("subject".into(), entries.patient.reference());
    // When this Composition was made, which is the export: the letter's own
    // date is the issue event below.
    composition.insert("date".into(), json!(context.created.to_rfc3339_opts(SecondsFormat::Secs, false)));
    // The letter's writer and the hospital it comes from. Torikomi only
    // transcribes: the receiving hospital that runs it is not an author.
    let authors: Vec<Value> =
        entries.sender_practitioner.iter().chain([&entries.sender_organization]).map(Entry::reference).collect();
    composition.insert("author".into(), Value::Array(authors));
    composition.insert("title".into(), json!(codes::REFERRAL_TITLE));
    // The profile's custodian is the hospital that writes and corrects the
    // document and answers for it: the letter's sender. Where a corrected
    // letter would come from, not who holds this copy or made this Bundle.
    composition.insert("custodian".into(), entries.sender_organization.reference());
    // The event is the letter's issue (診療情報提供書発行日); the export time
    // is not that date, so without a printed date there is no event.
    if let Some(date) = &letter.date {
        composition.insert(
            "event".into(),
            json!([{
                "code": [{ "text": codes::REFERRAL_ISSUE_EVENT }],
                "period": { "start": date.value.to_string() },
            }]),
        );
    }
    let sections: Vec<Value> = [
        section(
            &codes::SENDER_SECTION,
            &party_lines(&letter.from, None),
            [Some(&entries.sender_organization), entries.sender_practitioner.as_ref()].into_iter().flatten(),
        ),
        section(
            &codes::RECEIVER_SECTION,
            &party_lines(&letter.to, Some(context.facility.name.trim()).filter(|name| !name.is_empty())),
            [Some(&entries.receiver_organization), entries.receiver_practitioner.as_ref()].into_iter().flatten(),
        ),
        structured_section(letter, entries),
    ]
    .into_iter()
    .chain(printed(&letter.remarks).map(|remarks| section(&codes::REMARKS_SECTION, &[remarks], [])))
    .collect();
    composition.insert("section".into(), Value::Array(sections));
    composition
}

/// The receiving hospital as the letter names it. The configured facility's
/// code goes with it where the names agree, or where the letter names no
/// facility: then the hospital that took the letter in is the receiver. A
/// letter addressed elsewhere keeps its addressee, without our code.
fn receiver_facts<'a>(to: &'a Party, context: &'a ExportContext) -> OrganizationFacts<'a> {
    let configured_name = Some(context.facility.name.trim()).filter(|name| !name.is_empty());
    let configured_code = Some(context.facility.code.trim()).filter(|code| !code.is_empty());
    let printed_name = printed(&to.facility);
    let without_spaces = |name: &str| name.split_whitespace().collect::<String>();
    let addressed_to_us = match (printed_name, configured_name) {
        (None, _) => true,
        (Some(printed_name), Some(configured_name)) => without_spaces(printed_name) == without_spaces(configured_name),
        (Some(_), None) => false,
    };
    OrganizationFacts {
        name: printed_name.or(configured_name),
        department: printed(&to.department),
        code: configured_code.filter(|_| addressed_to_us),
    }
}

/// Facility, department and doctor as printed, one per line; `fallback`
/// where the letter names none of them.
fn party_lines<'a>(party: &'a Party, fallback: Option<&'a str>) -> Vec<&'a str> {
    let lines: Vec<&str> =
        [printed(&party.facility), printed(&party.department), printed(&party.doctor)].into_iter().flatten().collect();
    if lines.is_empty() { fallback.into_iter().collect() } else { lines }
}

/// 構造情報: purpose, problems and present illness always (the profile
/// requires them), the others only where the letter has something for them.
fn structured_section(letter: &ReferralLetter, entries: &ReferralEntries) -> Value {
    let diagnosis_names: Vec<&str> = letter.diagnoses.iter().map(|diagnosis| diagnosis.name.value.trim()).collect();
    let mut subsections = vec![
        section(&codes::PURPOSE_SECTION, &printed(&letter.purpose).into_iter().collect::<Vec<_>>(), []),
        section(&codes::PROBLEM_SECTION, &diagnosis_names, &entries.diagnoses),
        section(&codes::PRESENT_ILLNESS_SECTION, &printed(&letter.present_illness).into_iter().collect::<Vec<_>>(), []),
    ];
    if !letter.past_history.is_empty() {
        let items: Vec<&str> = letter.past_history.iter().map(|item| item.value.trim()).collect();
        subsections.push(section(&codes::PAST_ILLNESS_SECTION, &items, &entries.past_illnesses));
    }
    if !letter.allergies.is_empty() {
        let lines: Vec<String> = letter
            .allergies
            .iter()
            .map(|allergy| match printed(&allergy.reaction) {
                Some(reaction) => format!("{}（{reaction}）", allergy.factor.value.trim()),
                None => allergy.factor.value.trim().to_owned(),
            })
            .collect();
        subsections.push(section(&codes::ALLERGY_SECTION, &lines, &entries.allergies));
    }
    if !letter.medications.is_empty() {
        let lines: Vec<String> = letter.medications.iter().map(resources::prescription_line).collect();
        subsections.push(section(&codes::MEDICATION_SECTION, &lines, &entries.medications));
    }
    // The results as the letter words them where it has a 検査結果 paragraph;
    // otherwise one line per result.
    let lab_lines: Vec<String> = match printed(&letter.test_results) {
        Some(test_results) => vec![test_results.to_owned()],
        None => letter.labs.iter().map(lab_line).collect(),
    };
    if !lab_lines.is_empty() {
        subsections.push(section(&codes::LAB_SECTION, &lab_lines, &entries.labs));
    }
    json!({
        "title": codes::STRUCTURED_SECTION.title,
        "code": section_code(&codes::STRUCTURED_SECTION),
        "section": subsections,
    })
}

/// The shared line ([`text::lab_line`]) with the date in front where one is
/// printed: "2025-09-26 HbA1c 7.2 % H (基準値 4.9-6.0)". The section lists
/// results of several dates, and a result without its date reads as current.
fn lab_line(lab: &LabResult) -> String {
    match &lab.date {
        Some(date) => format!("{} {}", date.value, text::lab_line(lab)),
        None => text::lab_line(lab),
    }
}

fn section_code(code: &SectionCode) -> Value {
    json!({ "coding": [{ "system": codes::DOCUMENT_SECTION, "code": code.code, "display": code.display }] })
}

/// A section with its narrative (`記載なし` where `lines` is empty) and entries.
fn section<'a>(code: &SectionCode, lines: &[impl AsRef<str>], entries: impl IntoIterator<Item = &'a Entry>) -> Value {
    let text = if lines.is_empty() {
        narrative::lines([NOT_STATED])
    } else {
        narrative::lines(lines.iter().map(AsRef::as_ref))
    };
    let mut section = json!({ "title": code.title, "code": section_code(code), "text": text });
    let entries: Vec<Value> = entries.into_iter().map(Entry::reference).collect();
    if !entries.is_empty() {
        section["entry"] = Value::Array(entries);
    }
    section
}

/// The namespace in which each document's own namespace is derived from its
/// id. Fixed: changing it changes every fullUrl Torikomi has written.
const FULL_URL_NAMESPACE: Uuid = Uuid::from_u128(0x5d1c_7a3e_2b84_4f6a_9c0e_71d3_a8b2_4e15);

/// A resource placed in the Bundle, as sections and other resources refer to it.
#[derive(Debug)]
struct Entry {
    full_url: String,
    resource_type: &'static str,
}

impl Entry {
    fn reference(&self) -> Value {
        json!({ "reference": self.full_url, "type": self.resource_type })
    }
}

/// The entries of one document Bundle in order, with fullUrls and metadata
/// derived from the context.
struct DocumentBundle<'a> {
    context: &'a ExportContext,
    /// v5 of the document id: every resource's UUID is v5 of its role in here.
    namespace: Uuid,
    entries: Vec<Value>,
}

impl<'a> DocumentBundle<'a> {
    fn new(context: &'a ExportContext) -> Self {
        let namespace = Uuid::new_v5(&FULL_URL_NAMESPACE, context.document_id.as_bytes());
        DocumentBundle { context, namespace, entries: Vec::new() }
    }

    /// Millisecond precision, as JP-CLINS asks of timestamps and `lastUpdated`.
    fn created(&self) -> String {
        self.context.created.to_rfc3339_opts(SecondsFormat::Millis, false)
    }

    /// Adds the resource `body` under `role` (unique in the document, e.g.
    /// "diagnosis/0"), with its type, `meta` and, where the profile asks
    /// for one, an instance identifier.
    fn add(&mut self, role: &str, profile: &Profile, body: Body) -> Entry {
        let (entry, resource) = self.resource(role, profile, body);
        self.entries.push(resource);
        entry
    }

    /// Adds one resource per item, under roles "`role`/0", "`role`/1", ….
    fn add_each<T>(&mut self, role: &str, profile: &Profile, items: &[T], body: impl Fn(&T) -> Body) -> Vec<Entry> {
        items
            .iter()
            .enumerate()
            .map(|(index, item)| self.add(&format!("{role}/{index}"), profile, body(item)))
            .collect()
    }

    fn resource(&self, role: &str, profile: &Profile, body: Body) -> (Entry, Value) {
        let uuid = Uuid::new_v5(&self.namespace, role.as_bytes());
        let mut resource = Body::new();
        resource.insert("resourceType".into(), json!(profile.resource_type));
        resource.insert("meta".into(), json!({ "lastUpdated": self.created(), "profile": [profile.url] }));
        resource.insert("language".into(), json!("ja"));
        if profile.needs_instance_identifier {
            resource.insert(
                "identifier".into(),
                json!([{ "system": codes::RESOURCE_INSTANCE_IDENTIFIER, "value": uuid.to_string() }]),
            );
        }
        resource.extend(body);
        let entry = Entry { full_url: format!("urn:uuid:{uuid}"), resource_type: profile.resource_type };
        let bundle_entry = json!({ "fullUrl": entry.full_url, "resource": resource });
        (entry, bundle_entry)
    }

    /// `Bundle.identifier.value` in the example's form, "医療機関番号^year^id"
    /// ("1318814790^2024^0123-Referral-…"): the institution that makes and
    /// issues this Bundle, the year it did, and its own id. That institution
    /// is the configured facility running Torikomi (the letter's sender made
    /// the paper, not this Bundle), so the form is used where the facility's
    /// code is a 10-digit 医療機関番号, with the export's year and the
    /// document id. With no such code the document id stands alone.
    fn identifier(&self) -> String {
        let code = self.context.facility.code.trim();
        if resources::is_medical_institution_number(code) {
            format!("{code}^{}^{}", self.context.created.format("%Y"), self.context.document_id)
        } else {
            self.context.document_id.clone()
        }
    }

    /// The Bundle, with `composition` as its first entry.
    fn finish(mut self, composition: Body) -> Value {
        let (_, composition) = self.resource("composition", &codes::COMPOSITION, composition);
        self.entries.insert(0, composition);
        json!({
            "resourceType": "Bundle",
            "meta": { "lastUpdated": self.created(), "profile": [codes::BUNDLE_EREFERRAL] },
            "language": "ja",
            "identifier": { "system": codes::BUNDLE_IDENTIFIER, "value": self.identifier() },
            "type": "document",
            "timestamp": self.created(),
            "entry": self.entries,
        })
    }
}
