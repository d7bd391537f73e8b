//! HL7 v2.5 messages in SS-MIX2 / JAHIS style, one per kind of content:
//! ADT^A08 (patient), ADT^A60 (allergies), PPR^ZD1 (diagnoses), RDE^O11
//! (prescriptions) and OUL^R22 (lab results).
//!
//! Codes (MEDIS disease, HOT drug, JLAC10 lab) come only from the
//! hospital's [`CodeTables`]; without one the text is sent alone.

use chrono::{DateTime, FixedOffset};
use torikomi_hl7::{Charset, Component, Field, Message, Repetition, Segment};
use torikomi_record::normalise::to_half_width;
use torikomi_record::{
    Allergy, Date, Diagnosis, DischargeSummary, Document, LabResult, Medication, Party, Sex,
};

use crate::codes::{CodeKind, CodeTables};
use crate::text::{decimal, lab_flag, split_name};
use crate::{Export, ExportContext};

/// SS-MIX2's data-type codes, which also name the files of a folder drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// ADT^A08, 患者基本情報.
    Patient,
    /// ADT^A60, アレルギー情報.
    Allergies,
    /// PPR^ZD1, 病名.
    Diagnoses,
    /// RDE^O11, 処方オーダ.
    Prescription,
    /// OUL^R22, 検体検査結果.
    LabResults,
}

impl DataType {
    /// The SS-MIX2 data-type code ("ADT-00", "OMP-01"…).
    pub fn ssmix2_code(self) -> &'static str {
        match self {
            DataType::Patient => "ADT-00",
            DataType::Allergies => "ADT-61",
            DataType::Diagnoses => "PPR-01",
            DataType::Prescription => "OMP-01",
            DataType::LabResults => "OML-11",
        }
    }

    /// MSH-9: message code, trigger event, structure.
    fn message_type(self) -> [&'static str; 3] {
        match self {
            DataType::Patient => ["ADT", "A08", "ADT_A01"],
            DataType::Allergies => ["ADT", "A60", "ADT_A60"],
            DataType::Diagnoses => ["PPR", "ZD1", "PPR_ZD1"],
            DataType::Prescription => ["RDE", "O11", "RDE_O11"],
            DataType::LabResults => ["OUL", "R22", "OUL_R22"],
        }
    }
}

/// One message for one kind of content.
#[derive(Debug, Clone, PartialEq)]
pub struct Hl7Message {
    pub data_type: DataType,
    pub message: Message,
}

/// How messages are addressed and encoded.
#[derive(Debug, Clone)]
pub struct Hl7Settings {
    pub charset: Charset,
    /// MSH-5: the interface engine's application name.
    pub receiving_application: String,
}

impl Default for Hl7Settings {
    fn default() -> Self {
        Hl7Settings { charset: Charset::Utf8, receiving_application: "HIS".to_owned() }
    }
}

/// The SS-MIX2 profile this output follows (MSH-21).
const SSMIX2_PROFILE: [&str; 4] = ["SS-MIX2_1.20", "SS-MIX2", "1.2.392.200250.2.1.100.1.2.120", "ISO"];

/// The messages the record warrants: always the patient, then allergies,
/// diagnoses, prescriptions and lab results where the document has them.
/// `next_control_id` gives each message its MSH-10; the caller keeps it
/// unique across runs.
pub fn hl7_messages(
    export: &Export,
    settings: &Hl7Settings,
    mut next_control_id: impl FnMut() -> String,
) -> Vec<Hl7Message> {
    let document = &export.record.document;
    let mut data_types = vec![DataType::Patient];
    if !document.allergies().is_empty() {
        data_types.push(DataType::Allergies);
    }
    if !document.diagnoses().is_empty() {
        data_types.push(DataType::Diagnoses);
    }
    if !document.medications().is_empty() {
        data_types.push(DataType::Prescription);
    }
    if !document.labs().is_empty() {
        data_types.push(DataType::LabResults);
    }
    let composer = Composer { export, settings };
    data_types
        .into_iter()
        .map(|data_type| Hl7Message { data_type, message: composer.message(data_type, &next_control_id()) })
        .collect()
}

struct Composer<'a> {
    export: &'a Export<'a>,
    settings: &'a Hl7Settings,
}

impl Composer<'_> {
    fn context(&self) -> &ExportContext {
        self.export.context
    }

    fn document(&self) -> &Document {
        &self.export.record.document
    }

    fn codes(&self) -> &CodeTables {
        &self.export.context.codes
    }

    fn message(&self, data_type: DataType, control_id: &str) -> Message {
        let mut segments = vec![self.msh(data_type, control_id)];
        let document = self.document();
        match data_type {
            DataType::Patient => {
                segments.extend([self.evn(), self.pid(), self.pv1()]);
            }
            DataType::Allergies => {
                segments.extend([self.evn(), self.pid()]);
                segments.extend(document.allergies().iter().enumerate().map(|(index, allergy)| iam(index, allergy)));
            }
            DataType::Diagnoses => {
                segments.push(self.pid());
                for (index, diagnosis) in document.diagnoses().iter().enumerate() {
                    segments.extend(self.problem(index, diagnosis));
                }
            }
            DataType::Prescription => {
                segments.push(self.pid());
                for (index, medication) in document.medications().iter().enumerate() {
                    segments.extend(self.prescription(index, medication));
                }
            }
            DataType::LabResults => {
                segments.push(self.pid());
                segments.extend(self.lab_results());
            }
        }
        Message::new(segments)
    }

    fn msh(&self, data_type: DataType, control_id: &str) -> Segment {
        let facility = &self.context().facility;
        let charset = self.settings.charset;
        Segment::new("MSH")
            .with(3, Field::text("TORIKOMI"))
            .with(4, Field::text(&facility.code))
            .with(5, Field::text(&self.settings.receiving_application))
            .with(6, Field::text(&facility.code))
            .with(7, Field::text(timestamp(&self.context().created)))
            .with(9, Field::components(data_type.message_type()))
            .with(10, Field::text(control_id))
            .with(11, Field::text("P"))
            .with(12, Field::text("2.5"))
            .with(18, charset.msh18())
            .with(20, charset.msh20())
            .with(21, Field::components(SSMIX2_PROFILE))
    }

    /// EVN-2 is the document's date; the export time stands in where
    /// none was printed, as the time the event was recorded here.
    fn evn(&self) -> Segment {
        Segment::new("EVN").with(2, Field::text(self.document_date_or_now()))
    }

    fn document_date_or_now(&self) -> String {
        match self.document().date() {
            Some(date) => hl7_date(date.value),
            None => timestamp(&self.context().created),
        }
    }

    fn pid(&self) -> Segment {
        let patient = &self.export.record.patient;
        let mut names = Vec::new();
        if let Some(name) = &patient.name {
            names.push(person_name(&name.value, "I"));
        }
        if let Some(kana) = &patient.kana {
            names.push(person_name(&kana.value, "P"));
        }
        let id = patient.patient_id.as_ref().map(|id| Field::components([id.value.as_str(), "", "", "", "PI"]));
        let sex = match patient.sex.as_ref().map_or(Sex::Unknown, |sex| sex.value) {
            Sex::Male => "M",
            Sex::Female => "F",
            Sex::Other => "O",
            Sex::Unknown => "U",
        };
        let mut pid = Segment::new("PID")
            .with(1, Field::text("0001"))
            .with(3, id.unwrap_or_default())
            .with(5, Field::repetitions(names))
            .with(7, Field::text(patient.birth_date.as_ref().map(|date| hl7_date(date.value)).unwrap_or_default()))
            .with(8, Field::text(sex));
        if let Some(address) = &patient.address {
            pid.set(11, Field::components(["", "", "", "", "", "JPN", "H", address.value.as_str()]));
        }
        if let Some(phone) = &patient.phone {
            let mut components = vec![""; 12];
            components[1] = "PRN";
            components[2] = "PH";
            components[11] = phone.value.as_str();
            pid.set(13, Field::components(components));
        }
        pid
    }

    /// PV1-2 is N (not applicable) for a document from outside, I for a
    /// discharge summary with its admission and discharge dates.
    fn pv1(&self) -> Segment {
        match self.document() {
            Document::DischargeSummary(DischargeSummary { admission_date, discharge_date, .. }) => {
                let date = |field: &Option<torikomi_record::Field<Date>>| {
                    Field::text(field.as_ref().map(|date| hl7_date(date.value)).unwrap_or_default())
                };
                Segment::new("PV1")
                    .with(1, Field::text("0001"))
                    .with(2, Field::text("I"))
                    .with(44, date(admission_date))
                    .with(45, date(discharge_date))
            }
            _ => Segment::new("PV1").with(1, Field::text("0001")).with(2, Field::text("N")),
        }
    }

    fn problem(&self, index: usize, diagnosis: &Diagnosis) -> [Segment; 2] {
        let problem = self.coded(CodeKind::Disease, &diagnosis.name.value, "MDCDX2");
        let mut prb = Segment::new("PRB")
            .with(1, Field::text("AD"))
            .with(2, Field::text(self.document_date_or_now()))
            .with(3, problem.clone())
            .with(4, Field::text(format!("{}-{:03}", self.context().document_id, index + 1)));
        if let Some(icd10) = &diagnosis.icd10 {
            prb.set(10, Field::components([icd10.value.as_str(), "", "I10"]));
        }
        [prb, Segment::new("ZPR").with(2, problem)]
    }

    fn prescription(&self, index: usize, medication: &Medication) -> Vec<Segment> {
        let order_number = self.context().document_id.as_str();
        let prescriber = self.prescriber();
        // ORC-4 numbers the Rp (prescription group), as the SS-MIX2 samples do.
        let mut orc = Segment::new("ORC")
            .with(1, Field::text("NW"))
            .with(2, Field::text(order_number))
            .with(4, Field::text(format!("{}", index + 1)));
        if let Some(date) = self.document().date() {
            orc.set(9, Field::text(hl7_date(date.value)));
        }
        if let Some(doctor) = &prescriber.doctor {
            orc.set(12, Field::components(["", doctor.value.as_str()]));
        }
        if let Some(facility) = &prescriber.facility {
            orc.set(21, Field::text(&facility.value));
        }

        let dose = medication.dose_per_time.as_ref().map(|dose| &dose.value);
        let quantity = dose.and_then(|dose| dose.quantity.as_deref());
        let unit = dose.map_or("", |dose| dose.unit.as_str());
        let mut rxe = Segment::new("RXE")
            .with(2, self.coded(CodeKind::Drug, &medication.name.value, "HOT9"))
            .with(3, Field::text(quantity.unwrap_or("")))
            .with(5, Field::components(["", unit]));
        if let Some((amount, dispense_unit)) = dispense_amount(medication) {
            rxe.set(10, Field::text(amount));
            rxe.set(11, Field::components(["".to_owned(), dispense_unit]));
        }
        // The prescription line as printed, for the pharmacist on the EHR side.
        let printed = Segment::new("NTE").with(1, Field::text("1")).with(3, Field::text(&medication.printed.value));

        let usage = medication.usage.as_ref().map_or("", |usage| usage.value.as_str());
        let mut tq1 = Segment::new("TQ1")
            .with(1, Field::text("1"))
            .with(3, Field::from(vec![Repetition::from(vec![Component::subcomponents(["", usage])])]));
        if let Some(days) = &medication.days {
            tq1.set(6, Field::components([days.value.to_string().as_str(), "d"]));
        }
        if let Some(date) = self.document().date() {
            tq1.set(7, Field::text(hl7_date(date.value)));
        }
        let rxr = Segment::new("RXR").with(1, route(usage).map_or_else(Field::default, Field::components));
        vec![orc, rxe, printed, tq1, rxr]
    }

    /// Who prescribed: the sender of a letter or summary, the prescriber
    /// named on a medication list.
    fn prescriber(&self) -> &Party {
        match self.document() {
            Document::MedicationList(list) => &list.prescriber,
            document => document.parties().0,
        }
    }

    fn lab_results(&self) -> Vec<Segment> {
        let document = self.document();
        let collected = match document {
            Document::LabReport(report) => report.collected_on.as_ref().or(report.date.as_ref()),
            _ => document.date(),
        };
        let mut obr = Segment::new("OBR")
            .with(1, Field::text("1"))
            .with(2, Field::text(&self.context().document_id))
            .with(4, Field::components(["", "検体検査"]));
        if let Some(date) = collected {
            obr.set(7, Field::text(hl7_date(date.value)));
        }
        let mut segments = vec![Segment::new("SPM").with(1, Field::text("1")), obr];
        for (index, lab) in document.labs().iter().enumerate() {
            segments.push(self.observation(index, lab));
            // The nhoHQ SS-MIX2 segment-order table this output is checked
            // against wants an NTE after every result OBX; it carries the
            // row as printed, for the reader on the EHR side.
            let printed: Vec<&str> = [Some(&lab.name), Some(&lab.value), lab.unit.as_ref(), lab.range.as_ref()]
                .into_iter()
                .flatten()
                .map(|field| field.printed.as_str())
                .collect();
            segments.push(
                Segment::new("NTE")
                    .with(1, Field::text(format!("{}", index + 1)))
                    .with(3, Field::text(printed.join(" "))),
            );
        }
        segments
    }

    fn observation(&self, index: usize, lab: &LabResult) -> Segment {
        let number = decimal(&lab.value.value);
        let mut obx = Segment::new("OBX")
            .with(1, Field::text(format!("{}", index + 1)))
            .with(2, Field::text(if number.is_some() { "NM" } else { "ST" }))
            .with(3, self.coded(CodeKind::Lab, &lab.name.value, "JC10"))
            .with(5, Field::text(number.unwrap_or_else(|| lab.value.value.clone())))
            .with(11, Field::text("F"));
        if let Some(unit) = &lab.unit {
            obx.set(6, Field::text(&unit.value));
        }
        if let Some(range) = &lab.range {
            obx.set(7, Field::text(&range.value));
        }
        if let Some(flag) = &lab.flag {
            obx.set(8, Field::text(lab_flag(flag.value)));
        }
        if let Some(date) = &lab.date {
            obx.set(14, Field::text(hl7_date(date.value)));
        }
        obx
    }

    /// `code^text^system` where the hospital's table knows the name;
    /// `^text` otherwise.
    fn coded(&self, kind: CodeKind, name: &str, system: &str) -> Field {
        match self.codes().lookup(kind, name) {
            Some(code) => Field::components([code.code.as_str(), name, code.system_or(system)]),
            None => Field::components(["", name]),
        }
    }
}

fn iam(index: usize, allergy: &Allergy) -> Segment {
    let mut iam = Segment::new("IAM")
        .with(1, Field::text(format!("{}", index + 1)))
        .with(3, Field::components(["", allergy.factor.value.as_str()]))
        .with(6, Field::components(["A", "追加", "HL70323"]));
    if let Some(reaction) = &allergy.reaction {
        iam.set(5, Field::text(&reaction.value));
    }
    iam
}

/// XPN: `姓^名^^^^^L^I`, or the whole name as family name where the page
/// did not separate family and given names (a split would be a guess).
fn person_name(name: &str, representation: &str) -> Vec<String> {
    let (family, given) = split_name(name).unwrap_or((name, ""));
    [family, given, "", "", "", "", "L", representation].map(str::to_owned).to_vec()
}

/// The route where the usage names it (食後 → oral, 塗布 → topical…).
fn route(usage: &str) -> Option<[&'static str; 3]> {
    const ROUTES: [(&[&str], [&str; 3]); 5] = [
        (&["点眼"], ["OP", "眼", "HL70162"]),
        (&["吸入"], ["IH", "吸入", "HL70162"]),
        (&["塗布", "貼付", "外用"], ["TP", "局所", "HL70162"]),
        (&["舌下"], ["SL", "舌下", "HL70162"]),
        (&["食後", "食前", "食直前", "食直後", "食間", "就寝前", "内服", "起床時"], ["PO", "口", "HL70162"]),
    ];
    ROUTES.iter().find(|(words, _)| words.iter().any(|word| usage.contains(word))).map(|(_, route)| *route)
}

/// RXE-10/11: the printed total, or dose × times a day × days where all
/// three were printed as numbers.
fn dispense_amount(medication: &Medication) -> Option<(String, String)> {
    let printed_total = medication.total.as_ref().and_then(|total| {
        let total = to_half_width(&total.value).replace(',', "");
        let split = total.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(total.len());
        let (amount, unit) = total.split_at(split);
        decimal(amount).map(|amount| (amount, unit.trim().to_owned()))
    });
    if printed_total.is_some() {
        return printed_total;
    }
    let dose = &medication.dose_per_time.as_ref()?.value;
    let quantity: f64 = decimal(dose.quantity.as_ref()?)?.parse().ok()?;
    let total = quantity * f64::from(medication.times_per_day.as_ref()?.value) * f64::from(medication.days.as_ref()?.value);
    Some((format_decimal(total), dose.unit.clone()))
}

fn format_decimal(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn hl7_date(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year, date.month, date.day)
}

fn timestamp(moment: &DateTime<FixedOffset>) -> String {
    moment.format("%Y%m%d%H%M%S").to_string()
}
