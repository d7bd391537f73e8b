//! MML v4.2 (Medical Markup Language): one `<Mml>` instance per document,
//! one `MmlModuleItem` per content module the document warrants.
//!
//! Where MML makes an element mandatory and the page did not print it, the
//! writer leaves text elements empty and writes [`UNKNOWN_DATE`] for a date;
//! it never makes up a value that could pass for a real one.

use std::io::Write;

use chrono::{DateTime, FixedOffset};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use torikomi_record::{
    Allergy, Date, Diagnosis, DischargeSummary, Document, LabResult, Medication, Party, Patient,
    ReferralLetter, Sex, Text,
};

use crate::text::{decimal, lab_flag, lab_line, split_name};
use crate::{Export, ExportError};

/// Written for a mandatory `xs:date` (`mmlPi:birthday`, `mmlPs:startDate`)
/// that was not printed: no real birth or prescription has it, so an
/// importer can test for it.
pub const UNKNOWN_DATE: &str = "0001-01-01";

const NAMESPACES: [(&str, &str); 17] = [
    ("xmlns", "http://www.medxml.net/MML/v4/base/1.0"),
    ("xmlns:xhtml", "http://www.w3.org/1999/xhtml"),
    ("xmlns:mmlCm", "http://www.medxml.net/MML/v4/SharedComponent/Common/1.0"),
    ("xmlns:mmlNm", "http://www.medxml.net/MML/v4/SharedComponent/Name/1.0"),
    ("xmlns:mmlFc", "http://www.medxml.net/MML/v4/SharedComponent/Facility/1.0"),
    ("xmlns:mmlDp", "http://www.medxml.net/MML/v4/SharedComponent/Department/1.0"),
    ("xmlns:mmlAd", "http://www.medxml.net/MML/v4/SharedComponent/Address/1.0"),
    ("xmlns:mmlPh", "http://www.medxml.net/MML/v4/SharedComponent/Phone/1.0"),
    ("xmlns:mmlPsi", "http://www.medxml.net/MML/v4/SharedComponent/PersonalizedInfo/1.0"),
    ("xmlns:mmlCi", "http://www.medxml.net/MML/v4/SharedComponent/CreatorInfo/1.0"),
    ("xmlns:mmlSc", "http://www.medxml.net/MML/v4/SharedComponent/Security/1.0"),
    ("xmlns:mmlPi", Module::PatientInfo.namespace()),
    ("xmlns:mmlBc", Module::BaseClinic.namespace()),
    ("xmlns:mmlRd", Module::RegisteredDiagnosis.namespace()),
    ("xmlns:mmlSm", Module::Summary.namespace()),
    ("xmlns:mmlLb", Module::Test.namespace()),
    ("xmlns:mmlRe", Module::Referral.namespace()),
];

const PRESCRIPTION_NAMESPACE: (&str, &str) =
    ("xmlns:mmlPs", "http://www.medxml.net/MML/v4/ContentModule/Prescription/1.0");

/// The content modules Torikomi writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Module {
    PatientInfo,
    BaseClinic,
    RegisteredDiagnosis,
    Summary,
    Test,
    Referral,
    Prescription,
}

impl Module {
    fn content_module_type(self) -> &'static str {
        match self {
            Module::PatientInfo => "patientInfo",
            Module::BaseClinic => "baseClinic",
            Module::RegisteredDiagnosis => "registeredDiagnosis",
            Module::Summary => "summary",
            Module::Test => "test",
            Module::Referral => "referral",
            Module::Prescription => "prescription",
        }
    }

    const fn namespace(self) -> &'static str {
        match self {
            Module::PatientInfo => "http://www.medxml.net/MML/v4/ContentModule/PatientInfo/1.0",
            Module::BaseClinic => "http://www.medxml.net/MML/v4/ContentModule/BaseClinic/1.0",
            Module::RegisteredDiagnosis => {
                "http://www.medxml.net/MML/v4/ContentModule/RegisteredDiagnosis/1.0"
            }
            Module::Summary => "http://www.medxml.net/MML/v4/ContentModule/Summary/1.0",
            Module::Test => "http://www.medxml.net/MML/v4/ContentModule/test/1.0",
            Module::Referral => "http://www.medxml.net/MML/v4/ContentModule/Referral/1.0",
            Module::Prescription => "http://www.medxml.net/MML/v4/ContentModule/Prescription/1.0",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Module::PatientInfo => "患者情報",
            Module::BaseClinic => "アレルギー",
            Module::RegisteredDiagnosis => "病名",
            Module::Summary => "退院時サマリー",
            Module::Test => "検体検査結果",
            Module::Referral => "診療情報提供書",
            Module::Prescription => "処方",
        }
    }
}

/// One `MmlModuleItem` to write: which module, and for diagnoses which one.
#[derive(Debug, Clone, Copy)]
enum Item<'a> {
    PatientInfo,
    Allergies(&'a [Allergy]),
    Diagnosis(&'a Diagnosis),
    Referral(&'a ReferralLetter),
    Summary(&'a DischargeSummary),
    Labs(&'a [LabResult]),
    Prescription(&'a [Medication]),
}

impl Item<'_> {
    fn module(&self) -> Module {
        match self {
            Item::PatientInfo => Module::PatientInfo,
            Item::Allergies(_) => Module::BaseClinic,
            Item::Diagnosis(_) => Module::RegisteredDiagnosis,
            Item::Referral(_) => Module::Referral,
            Item::Summary(_) => Module::Summary,
            Item::Labs(_) => Module::Test,
            Item::Prescription(_) => Module::Prescription,
        }
    }
}

/// The module items a record warrants, in the order they are written.
fn items(document: &Document) -> Vec<Item<'_>> {
    let mut items = vec![Item::PatientInfo];
    if !document.allergies().is_empty() {
        items.push(Item::Allergies(document.allergies()));
    }
    items.extend(document.diagnoses().iter().map(Item::Diagnosis));
    match document {
        Document::Referral(letter) => items.push(Item::Referral(letter)),
        Document::DischargeSummary(summary) => items.push(Item::Summary(summary)),
        Document::LabReport(_) | Document::MedicationList(_) | Document::Other(_) => {}
    }
    if !document.labs().is_empty() {
        items.push(Item::Labs(document.labs()));
    }
    if !document.medications().is_empty() {
        items.push(Item::Prescription(document.medications()));
    }
    items
}

/// Writes the record as one MML v4.2 `<Mml>` document.
///
/// # Errors
/// Fails only when `out` does.
pub fn write_mml(export: &Export, out: impl Write) -> Result<(), ExportError> {
    let mut writer = MmlWriter { xml: Writer::new_with_indent(out, b' ', 1), export };
    writer.document().map_err(|source| ExportError::Io { format: "MML", source })
}

struct MmlWriter<'a, W: Write> {
    xml: Writer<W>,
    export: &'a Export<'a>,
}

type Attributes<'a> = &'a [(&'a str, &'a str)];

impl<W: Write> MmlWriter<'_, W> {
    fn document(&mut self) -> std::io::Result<()> {
        let record = self.export.record;
        let items = items(&record.document);
        self.xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let created = date_time(&self.export.context.created);
        let mut root: Vec<(&str, &str)> = vec![("version", "4.2.0"), ("createDate", &created)];
        root.extend(NAMESPACES);
        if items.iter().any(|item| matches!(item, Item::Prescription(_) | Item::Referral(_) | Item::Summary(_))) {
            root.push(PRESCRIPTION_NAMESPACE);
        }
        self.open("Mml", &root)?;

        self.open("MmlHeader", &[])?;
        self.creator_info()?;
        self.open("masterId", &[])?;
        self.patient_id()?;
        self.close("masterId")?;
        self.open("toc", &[])?;
        let mut listed = Vec::new();
        for item in &items {
            let namespace = item.module().namespace();
            if !listed.contains(&namespace) {
                listed.push(namespace);
                self.leaf("tocItem", &[], namespace)?;
            }
        }
        self.close("toc")?;
        self.close("MmlHeader")?;

        self.open("MmlBody", &[])?;
        for (index, item) in items.iter().enumerate() {
            self.module_item(index, item)?;
        }
        self.close("MmlBody")?;
        self.close("Mml")?;
        self.xml.get_mut().write_all(b"\n")
    }

    fn module_item(&mut self, index: usize, item: &Item) -> std::io::Result<()> {
        let module = item.module();
        self.open("MmlModuleItem", &[])?;
        self.open(
            "docInfo",
            &[("contentModuleType", module.content_module_type()), ("moduleVersion", module.namespace())],
        )?;
        self.security_level()?;
        self.leaf("title", &[], module.title())?;
        self.open("docId", &[])?;
        let uid = format!("{}-{:02}-{}", self.export.context.document_id, index, module.content_module_type());
        self.leaf("uid", &[], &uid)?;
        self.close("docId")?;
        let confirm_date = match self.export.record.document.date() {
            Some(date) => day_start(date.value),
            None => date_time(&self.export.context.created),
        };
        self.leaf("confirmDate", &[], &confirm_date)?;
        self.creator_info()?;
        self.empty("extRefs", &[])?;
        self.close("docInfo")?;

        self.open("content", &[])?;
        match item {
            Item::PatientInfo => self.patient_module()?,
            Item::Allergies(allergies) => self.base_clinic(allergies)?,
            Item::Diagnosis(diagnosis) => self.registered_diagnosis(diagnosis)?,
            Item::Referral(letter) => self.referral(letter)?,
            Item::Summary(summary) => self.summary(summary)?,
            Item::Labs(labs) => self.test(labs)?,
            Item::Prescription(medications) => self.prescription(medications)?,
        }
        self.close("content")?;
        self.close("MmlModuleItem")
    }

    /// Readable by the receiving facility and the patient, as the MML
    /// samples grant; the receiving EHR applies its own rules on import.
    fn security_level(&mut self) -> std::io::Result<()> {
        let facility = &self.export.context.facility;
        self.open("mmlSc:securityLevel", &[])?;
        self.open("mmlSc:accessRight", &[("permit", "all")])?;
        self.open("mmlSc:facility", &[])?;
        let mut attributes = vec![("mmlSc:facilityCode", "individual"), ("mmlSc:tableId", "MML0035")];
        if !facility.code.is_empty() {
            attributes.extend([("mmlSc:facilityId", facility.code.as_str()), ("mmlSc:facilityIdType", "insurance")]);
        }
        self.leaf("mmlSc:facilityName", &attributes, &facility.name)?;
        self.close("mmlSc:facility")?;
        self.close("mmlSc:accessRight")?;
        self.open("mmlSc:accessRight", &[("permit", "read")])?;
        self.open("mmlSc:person", &[])?;
        self.leaf(
            "mmlSc:personName",
            &[("mmlSc:personCode", "patient"), ("mmlSc:tableId", "MML0036")],
            "被記載者（患者）",
        )?;
        self.close("mmlSc:person")?;
        self.close("mmlSc:accessRight")?;
        self.close("mmlSc:securityLevel")
    }

    /// The hospital that took the document in made this instance.
    fn creator_info(&mut self) -> std::io::Result<()> {
        let facility = &self.export.context.facility;
        self.open("mmlCi:CreatorInfo", &[])?;
        self.open("mmlPsi:PersonalizedInfo", &[])?;
        self.id("local", "MML0024", "torikomi")?;
        self.open("mmlPsi:personName", &[])?;
        self.full_name("I", "Torikomi")?;
        self.close("mmlPsi:personName")?;
        self.facility(Some(&facility.name), &facility.code)?;
        self.close("mmlPsi:PersonalizedInfo")?;
        self.leaf("mmlCi:creatorLicense", &[("mmlCi:tableId", "MML0026")], "other")?;
        self.close("mmlCi:CreatorInfo")
    }

    fn patient_id(&mut self) -> std::io::Result<()> {
        let id = text(&self.export.record.patient.patient_id);
        self.id("facility", "MML0024", id)
    }

    fn patient_module(&mut self) -> std::io::Result<()> {
        let patient: &Patient = &self.export.record.patient;
        self.open("mmlPi:PatientModule", &[])?;
        self.open("mmlPi:uniqueInfo", &[])?;
        self.open("mmlPi:masterId", &[])?;
        self.patient_id()?;
        self.close("mmlPi:masterId")?;
        self.close("mmlPi:uniqueInfo")?;
        self.open("mmlPi:personName", &[])?;
        match (&patient.name, &patient.kana) {
            (None, None) => self.full_name("I", "")?,
            (name, kana) => {
                if let Some(name) = name {
                    self.person_name("I", &name.value)?;
                }
                if let Some(kana) = kana {
                    self.person_name("P", &kana.value)?;
                }
            }
        }
        self.close("mmlPi:personName")?;
        let birthday = patient.birth_date.as_ref().map(|date| date.value.to_string());
        self.leaf("mmlPi:birthday", &[], birthday.as_deref().unwrap_or(UNKNOWN_DATE))?;
        let sex = patient.sex.as_ref().map_or(Sex::Unknown, |sex| sex.value);
        self.leaf("mmlPi:sex", &[], sex.as_str())?;
        if let Some(address) = &patient.address {
            self.open("mmlPi:addresses", &[])?;
            self.open("mmlAd:Address", &[("mmlAd:repCode", "I"), ("mmlAd:addressClass", "home"), ("mmlAd:tableId", "MML0025")])?;
            self.leaf("mmlAd:full", &[], &address.value)?;
            self.leaf("mmlAd:countryCode", &[], "JPN")?;
            self.close("mmlAd:Address")?;
            self.close("mmlPi:addresses")?;
        }
        if let Some(phone) = &patient.phone {
            self.open("mmlPi:phones", &[])?;
            self.open("mmlPh:Phone", &[("mmlPh:telEquipType", "PH")])?;
            self.leaf("mmlPh:full", &[], &phone.value)?;
            self.close("mmlPh:Phone")?;
            self.close("mmlPi:phones")?;
        }
        self.close("mmlPi:PatientModule")
    }

    fn base_clinic(&mut self, allergies: &[Allergy]) -> std::io::Result<()> {
        self.open("mmlBc:BaseClinicModule", &[])?;
        self.open("mmlBc:allergy", &[])?;
        for allergy in allergies {
            self.open("mmlBc:allergyItem", &[])?;
            self.leaf("mmlBc:factor", &[], &allergy.factor.value)?;
            if let Some(reaction) = &allergy.reaction {
                self.free_text("mmlBc:memo", &reaction.value)?;
            }
            self.close("mmlBc:allergyItem")?;
        }
        self.close("mmlBc:allergy")?;
        self.close("mmlBc:BaseClinicModule")
    }

    fn registered_diagnosis(&mut self, diagnosis: &Diagnosis) -> std::io::Result<()> {
        self.open("mmlRd:RegisteredDiagnosisModule", &[])?;
        self.diagnosis_element(diagnosis)?;
        self.close("mmlRd:RegisteredDiagnosisModule")
    }

    fn diagnosis_element(&mut self, diagnosis: &Diagnosis) -> std::io::Result<()> {
        match &diagnosis.icd10 {
            Some(code) => self.leaf(
                "mmlRd:diagnosis",
                &[("mmlRd:code", &code.value), ("mmlRd:system", "ICD10")],
                &diagnosis.name.value,
            ),
            None => self.leaf("mmlRd:diagnosis", &[], &diagnosis.name.value),
        }
    }

    fn referral(&mut self, letter: &ReferralLetter) -> std::io::Result<()> {
        self.open("mmlRe:ReferralModule", &[])?;
        self.patient_module()?;
        self.open("mmlRe:referFrom", &[])?;
        self.personalized_info(&letter.from)?;
        self.close("mmlRe:referFrom")?;
        self.leaf("mmlRe:title", &[], "診療情報提供書")?;
        // A referral letter rarely labels a chief complaint apart from the
        // diagnoses; the schema requires the element, so it stays empty.
        self.free_text("mmlRe:chiefComplaints", "")?;
        if !letter.diagnoses.is_empty() {
            let lines: Vec<String> = letter.diagnoses.iter().map(diagnosis_line).collect();
            self.free_text("mmlRe:clinicalDiagnosis", &lines.join("\n"))?;
        }
        if !letter.past_history.is_empty() {
            let lines: Vec<&str> = letter.past_history.iter().map(|line| line.value.as_str()).collect();
            self.free_text("mmlRe:pastHistory", &lines.join("\n"))?;
        }
        self.free_text("mmlRe:presentIllness", text(&letter.present_illness))?;
        let test_results = match &letter.test_results {
            Some(results) => Some(results.value.clone()),
            None if !letter.labs.is_empty() => {
                Some(letter.labs.iter().map(lab_line).collect::<Vec<_>>().join("\n"))
            }
            None => None,
        };
        if let Some(test_results) = test_results {
            self.free_text("mmlRe:testResults", &test_results)?;
        }
        if !letter.medications.is_empty() {
            self.open("mmlRe:medication", &[])?;
            self.prescription(&letter.medications)?;
            self.close("mmlRe:medication")?;
        }
        self.free_text("mmlRe:referPurpose", text(&letter.purpose))?;
        if let Some(remarks) = &letter.remarks {
            self.free_text("mmlRe:remarks", &remarks.value)?;
        }
        self.open("mmlRe:referToFacility", &[])?;
        self.facility(letter.to.facility.as_ref().map(|name| name.value.as_str()), "")?;
        if let Some(department) = &letter.to.department {
            self.department(&department.value)?;
        }
        self.close("mmlRe:referToFacility")?;
        if letter.to.doctor.is_some() {
            self.open("mmlRe:referToPerson", &[])?;
            self.personalized_info(&letter.to)?;
            self.close("mmlRe:referToPerson")?;
        }
        self.close("mmlRe:ReferralModule")
    }

    fn summary(&mut self, summary: &DischargeSummary) -> std::io::Result<()> {
        self.open("mmlSm:SummaryModule", &[])?;
        let admission = summary.admission_date.as_ref().map(|date| date.value.to_string());
        let discharge = summary.discharge_date.as_ref().map(|date| date.value.to_string());
        let mut period = Vec::new();
        if let Some(start) = &admission {
            period.push(("mmlSm:start", start.as_str()));
        }
        if let Some(end) = &discharge {
            period.push(("mmlSm:end", end.as_str()));
        }
        match (&admission, &discharge) {
            (Some(admission), Some(discharge)) => {
                self.open("mmlSm:serviceHistory", &period)?;
                self.open("mmlSm:inPatient", &[])?;
                self.open("mmlSm:inPatientItem", &[])?;
                self.open("mmlSm:admission", &[])?;
                self.leaf("mmlSm:date", &[], admission)?;
                self.close("mmlSm:admission")?;
                self.open("mmlSm:discharge", &[])?;
                self.leaf("mmlSm:date", &[], discharge)?;
                self.close("mmlSm:discharge")?;
                self.close("mmlSm:inPatientItem")?;
                self.close("mmlSm:inPatient")?;
                self.close("mmlSm:serviceHistory")?;
            }
            // An inPatientItem needs both dates; one alone stays on the period.
            _ => self.empty("mmlSm:serviceHistory", &period)?,
        }
        for diagnosis in &summary.diagnoses {
            self.registered_diagnosis(diagnosis)?;
        }
        if let Some(complaint) = &summary.chief_complaint {
            self.free_text("mmlSm:chiefComplaints", &complaint.value)?;
        }
        let history: Vec<&str> = summary
            .past_history
            .iter()
            .chain(&summary.present_illness)
            .map(|line| line.value.as_str())
            .collect();
        if !history.is_empty() {
            self.free_text("mmlSm:history", &history.join("\n"))?;
        }
        if let Some(course) = &summary.course {
            self.open("mmlSm:clinicalCourse", &[])?;
            // clinicalRecord takes no XHTML: one record per line of the course.
            for line in course.value.lines().filter(|line| !line.trim().is_empty()) {
                self.leaf("mmlSm:clinicalRecord", &[], line)?;
            }
            self.close("mmlSm:clinicalCourse")?;
        }
        if !summary.medications.is_empty() {
            self.open("mmlSm:medication", &[])?;
            self.prescription(&summary.medications)?;
            self.close("mmlSm:medication")?;
        }
        if !summary.labs.is_empty() {
            self.open("mmlSm:testResults", &[])?;
            let lines: Vec<String> = summary.labs.iter().map(lab_line).collect();
            self.free_text("mmlSm:testResult", &lines.join("\n"))?;
            self.close("mmlSm:testResults")?;
        }
        if let Some(plan) = &summary.plan {
            self.free_text("mmlSm:plan", &plan.value)?;
        }
        self.close("mmlSm:SummaryModule")
    }

    fn test(&mut self, labs: &[LabResult]) -> std::io::Result<()> {
        let document = &self.export.record.document;
        let (sender, receiver) = document.parties();
        let reported = match document.date() {
            Some(date) => day_start(date.value),
            None => date_time(&self.export.context.created),
        };
        let collected = match &document {
            Document::LabReport(report) => report.collected_on.as_ref().map(|date| day_start(date.value)),
            _ => None,
        };
        let mut information = vec![
            ("mmlLb:registId", self.export.context.document_id.as_str()),
            ("mmlLb:registTime", reported.as_str()),
            ("mmlLb:reportTime", reported.as_str()),
        ];
        if let Some(collected) = &collected {
            information.push(("mmlLb:sampleTime", collected.as_str()));
        }
        // In a lab report the laboratory sends and the requesting clinic
        // receives; in other documents the sender ordered the tests.
        let (ordering, laboratory) = match document {
            Document::LabReport(_) => (receiver.unwrap_or(sender), sender),
            _ => (sender, sender),
        };
        self.open("mmlLb:TestModule", &[])?;
        self.open("mmlLb:information", &information)?;
        self.leaf(
            "mmlLb:reportStatus",
            &[("mmlLb:statusCode", "final"), ("mmlLb:statusCodeId", "mmlLB0001")],
            "最終報告",
        )?;
        self.leaf(
            "mmlLb:facility",
            &[("mmlLb:facilityCode", ""), ("mmlLb:facilityCodeId", "insurance")],
            text(&ordering.facility),
        )?;
        if let Some(department) = &ordering.department {
            self.leaf("mmlLb:department", &[], &department.value)?;
        }
        if let Some(doctor) = &ordering.doctor {
            self.leaf("mmlLb:client", &[], &doctor.value)?;
        }
        self.leaf(
            "mmlLb:laboratoryCenter",
            &[("mmlLb:centerCode", ""), ("mmlLb:centerCodeId", "insurance")],
            text(&laboratory.facility),
        )?;
        self.close("mmlLb:information")?;
        self.open("mmlLb:laboTest", &[])?;
        self.open("mmlLb:specimen", &[])?;
        // Printed lab reports seldom name the specimen per item; MML requires one.
        self.leaf("mmlLb:specimenName", &[("mmlLb:spCode", ""), ("mmlLb:spCodeId", "")], "")?;
        self.close("mmlLb:specimen")?;
        for lab in labs {
            self.lab_item(lab)?;
        }
        self.close("mmlLb:laboTest")?;
        self.close("mmlLb:TestModule")
    }

    fn lab_item(&mut self, lab: &LabResult) -> std::io::Result<()> {
        let out = lab.flag.as_ref().map(|flag| lab_flag(flag.value));
        let out: Vec<(&str, &str)> = out.iter().map(|out| ("mmlLb:out", *out)).collect();
        self.open("mmlLb:item", &[])?;
        self.leaf("mmlLb:itemName", &[("mmlLb:itCode", ""), ("mmlLb:itCodeId", "")], &lab.name.value)?;
        let mut value_attributes = out.clone();
        if let Some(range) = &lab.range {
            value_attributes.push(("mmlLb:normal", range.value.as_str()));
        }
        self.leaf("mmlLb:value", &value_attributes, &lab.value.value)?;
        if let Some(number) = decimal(&lab.value.value) {
            self.leaf("mmlLb:numValue", &out, &number)?;
        }
        if let Some(unit) = &lab.unit {
            self.leaf("mmlLb:unit", &[], &unit.value)?;
        }
        self.close("mmlLb:item")
    }

    fn prescription(&mut self, medications: &[Medication]) -> std::io::Result<()> {
        let start_date = self.export.record.document.date().map(|date| date.value.to_string());
        self.open("mmlPs:PrescriptionModule", &[])?;
        for medication in medications {
            self.open("mmlPs:medication", &[])?;
            self.open("mmlPs:medicine", &[])?;
            self.leaf("mmlPs:name", &[], &medication.name.value)?;
            self.close("mmlPs:medicine")?;
            // mmlPs:dose is a mandatory decimal. A dose printed without a
            // number (適量) is written as one of its unit, "1 適量", which
            // says what the page says; where no dose was printed at all the
            // 1 stands for nothing, and additionalInstruction says so.
            let quantity = medication.dose_per_time.as_ref().and_then(|dose| dose.value.quantity.as_deref()).and_then(decimal);
            let unit = medication.dose_per_time.as_ref().map_or("", |dose| dose.value.unit.as_str());
            self.leaf("mmlPs:dose", &[], quantity.as_deref().unwrap_or("1"))?;
            self.leaf("mmlPs:doseUnit", &[], unit)?;
            if let Some(times) = &medication.times_per_day {
                self.leaf("mmlPs:frequencyPerDay", &[], &times.value.to_string())?;
            }
            self.leaf("mmlPs:startDate", &[], start_date.as_deref().unwrap_or(UNKNOWN_DATE))?;
            if let Some(days) = &medication.days {
                self.leaf("mmlPs:duration", &[], &format!("P{}D", days.value))?;
            }
            if let Some(usage) = &medication.usage {
                self.leaf("mmlPs:instruction", &[], &usage.value)?;
            }
            let mut additional = Vec::new();
            if medication.dose_per_time.is_none() {
                additional.push("用量記載なし".to_owned());
            }
            if let Some(total) = &medication.total {
                additional.push(format!("全量 {}", total.value));
            }
            additional.push(medication.printed.value.clone());
            self.leaf("mmlPs:additionalInstruction", &[], &additional.join(" / "))?;
            self.close("mmlPs:medication")?;
        }
        self.close("mmlPs:PrescriptionModule")
    }

    /// A doctor with facility and department; the id is unknown and empty.
    fn personalized_info(&mut self, party: &Party) -> std::io::Result<()> {
        self.open("mmlPsi:PersonalizedInfo", &[])?;
        self.id("local", "MML0024", "")?;
        self.open("mmlPsi:personName", &[])?;
        self.person_name("I", text(&party.doctor))?;
        self.close("mmlPsi:personName")?;
        if let Some(facility) = &party.facility {
            self.facility(Some(&facility.value), "")?;
        }
        if let Some(department) = &party.department {
            self.department(&department.value)?;
        }
        self.close("mmlPsi:PersonalizedInfo")
    }

    fn facility(&mut self, name: Option<&str>, code: &str) -> std::io::Result<()> {
        self.open("mmlFc:Facility", &[])?;
        self.leaf("mmlFc:name", &[("mmlFc:repCode", "I"), ("mmlFc:tableId", "MML0025")], name.unwrap_or(""))?;
        if !code.is_empty() {
            self.id("insurance", "MML0027", code)?;
        }
        self.close("mmlFc:Facility")
    }

    fn department(&mut self, name: &str) -> std::io::Result<()> {
        self.open("mmlDp:Department", &[])?;
        self.leaf("mmlDp:name", &[("mmlDp:repCode", "I"), ("mmlDp:tableId", "MML0025")], name)?;
        self.close("mmlDp:Department")
    }

    fn id(&mut self, kind: &str, table: &str, value: &str) -> std::io::Result<()> {
        self.leaf("mmlCm:Id", &[("mmlCm:type", kind), ("mmlCm:tableId", table)], value)
    }

    /// A name split into family and given where the page separated them by
    /// a space; otherwise whole, since a split would be a guess.
    fn person_name(&mut self, representation: &str, name: &str) -> std::io::Result<()> {
        match split_name(name) {
            Some((family, given)) => {
                self.open("mmlNm:Name", &[("mmlNm:repCode", representation), ("mmlNm:tableId", "MML0025")])?;
                self.leaf("mmlNm:family", &[], family)?;
                self.leaf("mmlNm:given", &[], given)?;
                self.close("mmlNm:Name")
            }
            None => self.full_name(representation, name),
        }
    }

    fn full_name(&mut self, representation: &str, name: &str) -> std::io::Result<()> {
        self.open("mmlNm:Name", &[("mmlNm:repCode", representation), ("mmlNm:tableId", "MML0025")])?;
        self.leaf("mmlNm:fullname", &[], name)?;
        self.close("mmlNm:Name")
    }

    /// Free text: MML allows only strict XHTML inside, so line breaks
    /// become `xhtml:br` and everything else is escaped text.
    fn free_text(&mut self, name: &str, text: &str) -> std::io::Result<()> {
        if text.is_empty() {
            return self.empty(name, &[]);
        }
        self.xml.write_event(Event::Start(BytesStart::new(name)))?;
        for (index, line) in text.lines().enumerate() {
            if index > 0 {
                self.xml.write_event(Event::Empty(BytesStart::new("xhtml:br")))?;
            }
            self.xml.write_event(Event::Text(BytesText::new(line)))?;
        }
        self.xml.write_event(Event::End(BytesEnd::new(name)))
    }

    fn open(&mut self, name: &str, attributes: Attributes) -> std::io::Result<()> {
        let start = BytesStart::new(name).with_attributes(attributes.iter().copied());
        self.xml.write_event(Event::Start(start))
    }

    fn close(&mut self, name: &str) -> std::io::Result<()> {
        self.xml.write_event(Event::End(BytesEnd::new(name)))
    }

    fn empty(&mut self, name: &str, attributes: Attributes) -> std::io::Result<()> {
        let element = BytesStart::new(name).with_attributes(attributes.iter().copied());
        self.xml.write_event(Event::Empty(element))
    }

    fn leaf(&mut self, name: &str, attributes: Attributes, text: &str) -> std::io::Result<()> {
        if text.is_empty() {
            return self.empty(name, attributes);
        }
        self.open(name, attributes)?;
        self.xml.write_event(Event::Text(BytesText::new(text)))?;
        self.close(name)
    }
}

fn text(field: &Option<Text>) -> &str {
    field.as_ref().map_or("", |field| field.value.as_str())
}

fn diagnosis_line(diagnosis: &Diagnosis) -> String {
    match &diagnosis.icd10 {
        Some(code) => format!("{} ({})", diagnosis.name.value, code.value),
        None => diagnosis.name.value.clone(),
    }
}

fn date_time(moment: &DateTime<FixedOffset>) -> String {
    moment.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn day_start(date: Date) -> String {
    format!("{date}T00:00:00")
}
