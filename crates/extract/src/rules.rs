//! Deterministic extraction: what is labelled on the page. Fast, exact, and
//! the baseline that works with no model at all. Every value it finds is a
//! piece of the page text, so it is grounded by construction.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use torikomi_record::normalise::{
    self, Date, DateError, FoundDate, check_printed_age, find_dates, is_kana_reading, normalise_person_name,
    normalise_phone, parse_sex, to_half_width, to_katakana,
};
use torikomi_record::{
    AdverseEvent, Allergy, Diagnosis, Dose, Field, FieldFlag, LabFlag, LabResult, Medication, Party, Patient, Provenance,
    Text,
};

use crate::labels::{Key, LabelHit, label_hits};
use crate::layout::{Cell, Run, beside, cells, rows};
use crate::text::{Grounder, Snippet};

/// Confidence of a value read from a label on a text layer; OCR'd values
/// scale it by the line's OCR confidence.
const LABELLED_CONFIDENCE: f32 = 0.95;

/// Everything the rules found, before it is shaped into a typed document.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub patient: Patient,
    pub date: Option<Field<Date>>,
    pub collected_on: Option<Field<Date>>,
    pub admission_date: Option<Field<Date>>,
    pub discharge_date: Option<Field<Date>>,
    pub from: Party,
    pub to: Party,
    pub prescriber: Party,
    pub attending: Option<Text>,
    pub purpose: Option<Text>,
    pub present_illness: Option<Text>,
    pub chief_complaint: Option<Text>,
    pub course: Option<Text>,
    pub test_results: Option<Text>,
    pub remarks: Option<Text>,
    pub plan: Option<Text>,
    pub diagnoses: Vec<Diagnosis>,
    pub past_history: Vec<Text>,
    pub medications: Vec<Medication>,
    pub labs: Vec<LabResult>,
    pub allergies: Vec<Allergy>,
    pub adverse_events: Vec<AdverseEvent>,
    /// Lines not under any label: titles, letterheads, signatures.
    pub loose: Vec<Cell>,
}

/// A section: its key, and the cells under its heading (the rest of the
/// heading's line first, if any).
struct Section {
    key: Key,
    cells: Vec<Cell>,
    /// The heading's line carried a value: later lines belong to the
    /// section only as the wrapped continuation of it.
    inline_value: bool,
}

pub(crate) fn extract(grounder: &Grounder<'_>) -> Findings {
    let cells = cells(grounder);
    let hits: Vec<Vec<LabelHit>> = cells.iter().map(|cell| label_hits(&cell.snippet.text)).collect();
    let is_label_cell = |index: usize| hits[index].first().is_some_and(|hit| hit.start == 0);
    let mut reader = Reader { grounder, findings: Findings::default(), printed_ages: Vec::new() };
    let mut consumed: HashSet<usize> = HashSet::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut open_section: Option<usize> = None;
    let text_right = cells.iter().map(|cell| cell.bbox.right()).max().unwrap_or(0);
    for (index, cell) in cells.iter().enumerate() {
        if consumed.contains(&index) {
            continue;
        }
        let cell_hits = &hits[index];
        let first_label = cell_hits.first().map_or(cell.snippet.text.len(), |hit| hit.start);
        let before = cell.snippet.bytes(0, first_label).trim_punctuation();
        if !before.is_empty() {
            let piece = Cell { snippet: before, bbox: cell.bbox };
            let section = open_section.map(|index| &mut sections[index]);
            match section {
                Some(section) if section.key != Key::IgnoredSection && continues(section, &piece, text_right) => {
                    section.cells.push(piece);
                }
                _ => {
                    open_section = None;
                    reader.findings.loose.push(piece);
                }
            }
        }
        for (n, hit) in cell_hits.iter().enumerate() {
            let value_end = cell_hits.get(n + 1).map_or(cell.snippet.text.len(), |next| next.start);
            let value = cell.snippet.bytes(hit.end, value_end).trim_punctuation();
            if hit.key.is_section() {
                let mut section = Section { key: hit.key, cells: Vec::new(), inline_value: !value.is_empty() };
                if !value.is_empty() {
                    section.cells.push(Cell { snippet: value, bbox: cell.bbox });
                }
                sections.push(section);
                open_section = Some(sections.len() - 1);
                continue;
            }
            open_section = None;
            let value = if value.is_empty() {
                let found = beside(&cells, index, |other| !consumed.contains(&other) && !is_label_cell(other))
                    .or_else(|| (index + 1 < cells.len() && !is_label_cell(index + 1)).then_some(index + 1));
                let Some(other) = found.filter(|other| !consumed.contains(other)) else { continue };
                consumed.insert(other);
                let other_cell = &cells[other];
                let end = hits[other].first().map_or(other_cell.snippet.text.len(), |hit| hit.start);
                other_cell.snippet.bytes(0, end).trim_punctuation()
            } else {
                value
            };
            reader.labelled(hit.key, value);
        }
    }
    for section in sections {
        reader.section(section);
    }
    reader.letterhead();
    reader.check_birth_date_against_age();
    reader.findings
}

struct Reader<'g, 'p> {
    grounder: &'g Grounder<'p>,
    findings: Findings,
    /// Printed ages beside birth dates, checked once the document date is known.
    printed_ages: Vec<(u32, Date)>,
}

impl Reader<'_, '_> {
    fn text(&self, snippet: &Snippet) -> Option<Text> {
        let snippet = snippet.trim_punctuation();
        (!snippet.is_empty()).then(|| self.field(snippet.text.clone(), &snippet))
    }

    fn field<T>(&self, value: T, snippet: &Snippet) -> Field<T> {
        let provenance = self.grounder.provenance(snippet);
        let confidence = LABELLED_CONFIDENCE * self.ocr_confidence(&provenance);
        let mut field = Field::found(value, snippet.text.clone(), Some(provenance), confidence);
        if confidence < 0.6 {
            field.flags.push(FieldFlag::LowOcrConfidence);
        }
        field
    }

    /// The mean OCR confidence of the lines a snippet lies on (1 for a text layer).
    fn ocr_confidence(&self, provenance: &Provenance) -> f32 {
        let page = &self.grounder.pages()[provenance.page];
        let lines: Vec<f32> = page
            .lines
            .iter()
            .filter(|line| line.bbox.intersects(&provenance.bbox))
            .map(|line| line.confidence)
            .collect();
        if lines.is_empty() { 1.0 } else { lines.iter().sum::<f32>() / lines.len() as f32 }
    }

    fn date(&mut self, snippet: &Snippet) -> Option<Field<Date>> {
        let found = find_dates(&snippet.text).into_iter().next()?;
        Some(self.date_field(snippet, found))
    }

    fn date_field(&mut self, snippet: &Snippet, found: Result<FoundDate, (std::ops::Range<usize>, DateError)>) -> Field<Date> {
        match found {
            Ok(found) => {
                let printed = snippet.chars(found.span.start, found.span.end);
                let mut field = self.field(found.date, &printed);
                field.flags.extend(found.warnings.into_iter().map(|warning| FieldFlag::Date { warning }));
                field
            }
            Err((span, _)) => {
                let printed = snippet.chars(span.start, span.end);
                // No date is better than a wrong one: the value is a placeholder the flag explains.
                let mut field = self.field(Date { year: 0, month: 0, day: 0 }, &printed);
                field.flags.push(FieldFlag::ImpossibleDate { printed: printed.text.clone() });
                field.confidence = 0.0;
                field
            }
        }
    }

    fn labelled(&mut self, key: Key, value: Snippet) {
        let findings_empty = |slot: &Option<Text>| slot.is_none();
        match key {
            Key::Name => {
                if !findings_empty(&self.findings.patient.name) {
                    return;
                }
                // "小川 美咲 様 (オガワ ミサキ)": the reading may follow in brackets.
                static NAME_AND_READING: LazyLock<Regex> =
                    LazyLock::new(|| Regex::new(r"^(?P<name>[^(（]+?)\s*(?:[(（]\s*(?P<kana>[^)）]+?)\s*[)）])?$").unwrap());
                let Some(captured) = value.captures(&NAME_AND_READING) else { return };
                if let Some(name) = captured.get("name") {
                    self.set_name(&name);
                }
                if let Some(kana) = captured.get("kana").filter(|kana| is_kana_reading(&kana.text)) {
                    self.set_kana(&kana);
                }
            }
            Key::Kana => self.set_kana(&value),
            Key::BirthDate if self.findings.patient.birth_date.is_none() => {
                if let Some(Ok(found)) = find_dates(&value.text).into_iter().next() {
                    if let Some(age) = found.printed_age {
                        self.printed_ages.push((age, found.date));
                    }
                    let field = self.date_field(&value, Ok(found));
                    self.findings.patient.birth_date = Some(field);
                } else if let Some(field) = self.date(&value) {
                    self.findings.patient.birth_date = Some(field);
                }
            }
            Key::Sex if self.findings.patient.sex.is_none() => {
                let snippet = value.words().into_iter().next().unwrap_or(value.clone());
                let scope = if parse_sex(&value.text).is_some() && parse_sex(&snippet.text).is_none() { &value } else { &snippet };
                if let Some(sex) = parse_sex(&scope.text) {
                    self.findings.patient.sex = Some(self.field(sex, scope));
                }
            }
            Key::PatientId if self.findings.patient.patient_id.is_none() => {
                static ID: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z0-9０-９Ａ-Ｚ][A-Za-z0-9０-９Ａ-Ｚ\-‐－]*").unwrap());
                if let Some(id) = value.captures(&ID) {
                    let id = id.whole();
                    self.findings.patient.patient_id = Some(self.field(to_half_width(&id.text), &id));
                }
            }
            Key::Address if self.findings.patient.address.is_none() => {
                self.findings.patient.address = self.text(&value).map(|field| field.map(|text| to_half_width(&text)));
            }
            Key::Phone if self.findings.patient.phone.is_none() => {
                static PHONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[0-9０-９][0-9０-９\-‐－ー―−()（）]{7,}[0-9０-９]").unwrap());
                if let Some(phone) = value.captures(&PHONE).map(|found| found.whole())
                    && let Some(normalised) = normalise_phone(&phone.text)
                {
                    self.findings.patient.phone = Some(self.field(normalised, &phone));
                }
            }
            Key::DocumentDate if self.findings.date.is_none() => self.findings.date = self.date(&value),
            Key::CollectedOn if self.findings.collected_on.is_none() => self.findings.collected_on = self.date(&value),
            Key::AdmissionDate if self.findings.admission_date.is_none() => {
                self.findings.admission_date = self.date(&value);
            }
            Key::DischargeDate if self.findings.discharge_date.is_none() => {
                self.findings.discharge_date = self.date(&value);
            }
            Key::Attending if self.findings.attending.is_none() => {
                self.findings.attending = self.text(&value).map(|field| field.map(|name| normalise_person_name(&name)));
            }
            Key::Requester if self.findings.to.is_empty() => self.findings.to = self.party(&Run::new(vec![value])),
            Key::Prescriber if self.findings.prescriber.is_empty() => {
                self.findings.prescriber = self.party(&Run::new(vec![value]));
            }
            _ => {}
        }
    }

    fn set_name(&mut self, name: &Snippet) {
        let name = name.trim_punctuation();
        if !name.is_empty() && self.findings.patient.name.is_none() {
            let normalised = normalise_person_name(&name.text);
            if !normalised.is_empty() {
                self.findings.patient.name = Some(self.field(normalised, &name));
            }
        }
    }

    fn set_kana(&mut self, kana: &Snippet) {
        let kana = kana.trim_punctuation();
        if self.findings.patient.kana.is_none() && is_kana_reading(&kana.text) {
            self.findings.patient.kana = Some(self.field(to_katakana(&kana.text), &kana));
        }
    }

    fn section(&mut self, section: Section) {
        if section.cells.is_empty() {
            return;
        }
        let run = Run::of_cells(&section.cells);
        let prose = match section.key {
            Key::Purpose | Key::PresentIllness | Key::ChiefComplaint | Key::Course | Key::Remarks | Key::Plan | Key::TestResults => {
                self.free_text(&section.cells)
            }
            _ => None,
        };
        match section.key {
            Key::From if self.findings.from.is_empty() => self.findings.from = self.party(&without_addresses(&section.cells)),
            Key::To if self.findings.to.is_empty() => self.findings.to = self.party(&without_addresses(&section.cells)),
            Key::Purpose => append_text(&mut self.findings.purpose, prose),
            Key::PresentIllness => append_text(&mut self.findings.present_illness, prose),
            Key::ChiefComplaint => append_text(&mut self.findings.chief_complaint, prose),
            Key::Course => append_text(&mut self.findings.course, prose),
            Key::Remarks => append_text(&mut self.findings.remarks, prose),
            Key::Plan => append_text(&mut self.findings.plan, prose),
            Key::TestResults => {
                append_text(&mut self.findings.test_results, prose);
                let labs = self.inline_labs(&run);
                self.findings.labs.extend(labs);
            }
            Key::LabTable => {
                for row in rows(&section.cells) {
                    if let Some(lab) = self.lab_row(&Run::of_cells(&row)) {
                        self.findings.labs.push(lab);
                    }
                }
            }
            Key::Diagnoses => {
                for row in rows(&section.cells) {
                    let row = Run::of_cells(&row);
                    for item in numbered_items(&row, self.grounder) {
                        if let Some(diagnosis) = self.diagnosis(&Run::new(vec![item])) {
                            self.findings.diagnoses.push(diagnosis);
                        }
                    }
                }
            }
            Key::Medications | Key::MedicationTable => {
                for row in rows(&section.cells) {
                    if let Some(medication) = self.medication(&Run::of_cells(&row)) {
                        self.findings.medications.push(medication);
                    }
                }
            }
            Key::PastHistory => {
                let items = self.list_items(&run);
                self.findings.past_history.extend(items);
            }
            Key::Allergies => {
                for item in self.list_items(&run) {
                    let allergy = self.allergy(item);
                    self.findings.allergies.push(allergy);
                }
            }
            Key::AdverseEvents => {
                for row in rows(&section.cells) {
                    if let Some(event) = self.adverse_event(&Run::of_cells(&row)) {
                        self.findings.adverse_events.push(event);
                    }
                }
            }
            _ => {}
        }
    }

    /// Wrapped lines of prose joined as one text: Japanese has no space at
    /// a line break. The provenance covers the text on the first page.
    fn free_text(&self, cells: &[Cell]) -> Option<Text> {
        let snippets: Vec<Snippet> = cells.iter().map(|cell| cell.snippet.trim()).collect();
        let mut value = String::new();
        for snippet in &snippets {
            let latin_join = value.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
                && snippet.text.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
            if latin_join {
                value.push(' ');
            }
            value.push_str(&snippet.text);
        }
        if value.is_empty() {
            return None;
        }
        let spanning = Snippet::spanning(&snippets, &self.grounder.pages()[snippets[0].page].text);
        let mut field = self.field(value, &spanning);
        field.printed = spanning.text;
        Some(field)
    }

    /// Items of a list written on one line: "虫垂炎術後(22歳)、右尿管結石(45歳)".
    /// "なし" and "特記事項なし" mean none.
    fn list_items(&self, run: &Run) -> Vec<Text> {
        static SEPARATOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[、,，;；]|\s{2,}").unwrap());
        static NONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(特記(すべき)?事項)?(なし|無し|無|特になし|ありません)。?$").unwrap());
        let mut items = Vec::new();
        let mut from = 0;
        let mut bounds: Vec<(usize, usize)> = SEPARATOR.find_iter(&run.text).map(|m| (m.start(), m.end())).collect();
        bounds.push((run.text.len(), run.text.len()));
        for (to, next) in bounds {
            let item = run.resolve(from, to, self.grounder).trim_punctuation();
            from = next;
            if item.is_empty() || NONE.is_match(&item.text) {
                continue;
            }
            if let Some(field) = self.text(&item) {
                items.push(field);
            }
        }
        items
    }

    fn allergy(&self, item: Text) -> Allergy {
        static WITH_REACTION: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"^(?P<factor>[^(（]+?)\s*[(（](?P<reaction>[^)）]+)[)）]$").unwrap());
        let provenance = item.provenance.clone().expect("rule values are grounded");
        let snippet = self.grounder.snippet_between(provenance.page, provenance.span.start, provenance.span.end);
        match snippet.captures(&WITH_REACTION) {
            Some(captured) => Allergy {
                factor: captured.get("factor").and_then(|factor| self.text(&factor)).unwrap_or(item),
                reaction: captured.get("reaction").and_then(|reaction| self.text(&reaction)),
            },
            None => Allergy { factor: item, reaction: None },
        }
    }

    fn diagnosis(&self, row: &Run) -> Option<Diagnosis> {
        static ITEM: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                r"^\s*(?:\d{1,2}\s*[.．)）]|[①-⑳]|[#＃]\d*|[・●○\-])?\s*(?P<name>.+?)\s*(?:[(（]\s*(?P<icd>[A-TV-Z][0-9]{2}(?:\.[0-9A-Z]{1,2})?)\s*[)）])?\s*$",
            )
            .unwrap()
        });
        let captured = ITEM.captures(&row.text)?;
        let name_match = captured.name("name")?;
        let name = row.resolve(name_match.start(), name_match.end(), self.grounder);
        let name = self.text(&name)?;
        let icd10 = captured.name("icd").map(|icd| {
            let snippet = row.resolve(icd.start(), icd.end(), self.grounder);
            self.field(to_half_width(&snippet.text), &snippet)
        });
        Some(Diagnosis { name, icd10 })
    }

    fn adverse_event(&self, row: &Run) -> Option<AdverseEvent> {
        static EVENT: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^\s*(?:[・●\-]|\d+[.．])?\s*(?P<term>.+?)\s*[(（:：]?\s*(?:Grade|grade|G|グレード)\s*(?P<grade>[1-5])\s*[)）]?").unwrap()
        });
        let captured = EVENT.captures(&row.text)?;
        let term = captured.name("term")?;
        let term = self.text(&row.resolve(term.start(), term.end(), self.grounder))?;
        let grade = captured.name("grade").map(|grade| {
            let snippet = row.resolve(grade.start(), grade.end(), self.grounder);
            self.field(grade.as_str().parse::<u8>().expect("one digit"), &snippet)
        });
        Some(AdverseEvent { term, grade })
    }

    /// "さくら内科クリニック 内科 医師 高橋 誠一", "はなみずき内科医院 渡辺 直樹 先生",
    /// "大阪中央クリニック 消化器内科 松本 健 医師" (spaces may be lost to OCR).
    fn party(&self, run: &Run) -> Party {
        static FACILITY: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"(?P<facility>[^\s|｜〒]+?(?:病院|医院|クリニック|診療所|センター|薬局|医療院)(?:\s*[^\s|｜]{1,6}店)?)").unwrap()
        });
        static DEPARTMENT: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"^\s*(?P<department>[^\s|｜]{1,10}?(?:科|部|室))").unwrap());
        static DOCTOR_AFTER: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(?:医師|Dr\.?|主治医)\s*(?P<doctor>[^\s\d|｜(（]{1,6}(?:\s[^\s\d|｜(（]{1,6})?)").unwrap());
        static DOCTOR_BEFORE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"(?P<doctor>[^\s\d|｜]{1,6}(?:\s[^\s\d|｜]{1,6})?)\s*(?:先生|医師)").unwrap());
        // A name alone after the department: "内科 中村 恵子".
        static BARE_NAME: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"^\s*(?P<doctor>\p{Han}{1,4}(?:\s\p{Han}{1,4})?)\s*$").unwrap());
        static GENERIC_DOCTOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"担当|御侍史|御机下|科$|院$|先生").unwrap());
        let mut party = Party::default();
        let text = &run.text;
        let Some(facility) = FACILITY.captures(text).and_then(|captured| captured.name("facility")) else {
            return party;
        };
        party.facility = self.text(&run.resolve(facility.start(), facility.end(), self.grounder));
        let rest_start = facility.end();
        let rest = &text[rest_start..];
        let mut doctor_from = rest_start;
        if let Some(department) = DEPARTMENT.captures(rest).and_then(|captured| captured.name("department")) {
            party.department =
                self.text(&run.resolve(rest_start + department.start(), rest_start + department.end(), self.grounder));
            doctor_from = rest_start + department.end();
        }
        let rest = &text[doctor_from..];
        let doctor = DOCTOR_AFTER
            .captures(rest)
            .and_then(|captured| captured.name("doctor"))
            .or_else(|| DOCTOR_BEFORE.captures(rest).and_then(|captured| captured.name("doctor")))
            .or_else(|| BARE_NAME.captures(rest).and_then(|captured| captured.name("doctor")))
            .filter(|doctor| !GENERIC_DOCTOR.is_match(doctor.as_str()));
        if let Some(doctor) = doctor {
            let snippet = run.resolve(doctor_from + doctor.start(), doctor_from + doctor.end(), self.grounder);
            party.doctor = self.text(&snippet).map(|field| field.map(|name| normalise_person_name(&name)));
        }
        party
    }

    /// "令和7年9月26日 HbA1c 7.2 %、空腹時血糖 148 mg/dL、…": a date
    /// applies to the results after it.
    fn inline_labs(&mut self, run: &Run) -> Vec<LabResult> {
        static ITEM: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                r"(?P<name>[A-Za-zγ][A-Za-z0-9γ\-]*|[\p{Han}\p{Katakana}ー][\p{Han}\p{Katakana}ーA-Za-z\-]*)\s*(?P<value>[<>≦≧]?\d+(?:\.\d+)?)\s*(?P<unit>(?:[%/μµa-zA-Z][A-Za-z0-9μµ/.\^%]*|℃))?\s*(?:[、,，]|$)",
            )
            .unwrap()
        });
        // Dates are read first and blanked out, so "26日HbA1c" is not a name.
        let mut masked = run.text.clone();
        let mut dates: Vec<(usize, Field<Date>)> = Vec::new();
        for found in find_dates(&run.text).into_iter().flatten() {
            let byte = |char_index: usize| run.text.char_indices().nth(char_index).map_or(run.text.len(), |(b, _)| b);
            let (start, end) = (byte(found.span.start), byte(found.span.end));
            masked.replace_range(start..end, &" ".repeat(end - start));
            let printed = run.resolve(start, end, self.grounder);
            dates.push((end, self.field(found.date, &printed)));
        }
        let mut labs = Vec::new();
        for captured in ITEM.captures_iter(&masked) {
            let name = captured.name("name").expect("required group");
            let value = captured.name("value").expect("required group");
            let date = dates.iter().rev().find(|(end, _)| *end <= name.start()).map(|(_, date)| date.clone());
            let name = self.text(&run.resolve(name.start(), name.end(), self.grounder));
            let value_field = self.text(&run.resolve(value.start(), value.end(), self.grounder));
            let (Some(name), Some(value)) = (name, value_field) else { continue };
            let unit = captured.name("unit").and_then(|unit| {
                let snippet = run.resolve(unit.start(), unit.end(), self.grounder);
                self.text(&snippet).map(|field| field.map(|unit| normalise::normalise_unit(&unit)))
            });
            labs.push(LabResult { name, value, unit, flag: None, range: None, date });
        }
        labs
    }

    /// A row of a results table: "AST 42 U/L 13-30 H".
    fn lab_row(&self, row: &Run) -> Option<LabResult> {
        static ROW: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                r"^\s*(?P<name>\S.*?)\s+(?P<value>[<>≦≧]?\d+(?:\.\d+)?|陰性|陽性|[(（]?[±+\-]+[)）]?)\s*(?P<unit>[^\s\d][^\s]*?)?\s*(?P<range>(?:\d+(?:\.\d+)?\s*[-~〜～]\s*\d+(?:\.\d+)?)|(?:\d+(?:\.\d+)?\s*(?:以上|以下|未満))|(?:[<>≦≧]\s*\d+(?:\.\d+)?))?\s*(?P<flag>[HL])?\s*$",
            )
            .unwrap()
        });
        let captured = ROW.captures(&row.text)?;
        let part = |group: &str| {
            captured.name(group).map(|found| row.resolve(found.start(), found.end(), self.grounder))
        };
        let name = part("name").and_then(|snippet| self.text(&snippet))?;
        if name.value.chars().count() > 20 || label_hits(&name.value).first().is_some_and(|hit| hit.start == 0) {
            return None;
        }
        let value = part("value").and_then(|snippet| self.text(&snippet))?;
        let unit = part("unit").and_then(|snippet| self.text(&snippet)).map(|field| field.map(|unit| normalise::normalise_unit(&unit)));
        let range = part("range").and_then(|snippet| self.text(&snippet));
        let flag = part("flag").map(|snippet| {
            let flag = if snippet.text == "H" { LabFlag::High } else { LabFlag::Low };
            self.field(flag, &snippet)
        });
        let date = self.findings.collected_on.clone().or_else(|| self.findings.date.clone());
        Some(LabResult { name, value, unit, flag, range, date })
    }

    /// One prescription line, in either style: the daily total
    /// ("2錠 分2 朝夕食後 28日分") or per administration, as a medication
    /// list prints it ("1錠 3回 毎食後 7日分").
    fn medication(&self, row: &Run) -> Option<Medication> {
        static NAME: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^\s*(?:\d{1,2}\s*[.．)）]|[①-⑳]|Rp\.?\s*\d*)?\s*(?P<name>\S.*?\d+(?:\.\d+)?\s*(?:mg|μg|µg|g|mL|%|単位|IU))(?:\s|$|\d)").unwrap()
        });
        static FIRST_WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*(?P<name>\S+)").unwrap());
        static DOSE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"(?P<daily>1日\s*)?(?P<quantity>\d+(?:\.\d+)?)\s*(?P<unit>錠|カプセル|包|枚|本|個|袋|滴|mL|g|単位|T|C|パック|噴霧|吸入)|(?P<as_needed>適量|適宜)").unwrap()
        });
        static DIVIDED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"分\s*(?P<n>[1-9])").unwrap());
        static TIMES: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?:1日\s*)?(?P<n>[1-9])\s*回").unwrap());
        static DAYS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?P<n>\d{1,3})\s*日分").unwrap());
        static TOTAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?:^|\s)(?P<total>\d+(?:\.\d+)?\s*(?:g|mL|本|枚|個|袋|包))(?:\s|$)").unwrap());

        let text = &row.text;
        let name = NAME.captures(text).or_else(|| FIRST_WORD.captures(text))?.name("name")?;
        let rest_start = name.end();
        let rest = &text[rest_start..];
        let dose = DOSE.captures(rest);
        let divided = DIVIDED.captures(rest);
        let times = TIMES.captures(rest).filter(|captured| captured.get(0).unwrap().as_str() != "1回分");
        let days = DAYS.captures(rest);
        if dose.is_none() && divided.is_none() && times.is_none() && days.is_none() {
            return None;
        }
        let at = |start: usize, end: usize| row.resolve(rest_start + start, rest_start + end, self.grounder);
        let name_field = self.text(&row.resolve(name.start(), name.end(), self.grounder))?;
        if label_hits(&name_field.value).first().is_some_and(|hit| hit.start == 0) || name_field.value.contains("1回量") {
            return None;
        }

        let times_match = divided.as_ref().or(times.as_ref()).and_then(|captured| captured.name("n"));
        let dose_match = dose.as_ref().map(|captured| captured.get(0).unwrap());
        let is_daily_total = divided.is_some() || dose.as_ref().is_some_and(|captured| captured.name("daily").is_some());
        let mut times_per_day =
            times_match.map(|n| self.field(n.as_str().parse::<u32>().expect("one digit"), &at(n.start(), n.end())));
        let dose_per_time = dose.as_ref().map(|captured| {
            let whole = captured.get(0).unwrap();
            let snippet = match (is_daily_total, times_match) {
                (true, Some(n)) => at(whole.start().min(n.start()), whole.end().max(n.end())),
                _ => at(whole.start(), whole.end()),
            };
            let unit = captured.name("unit").map_or_else(
                || captured.name("as_needed").map_or(String::new(), |found| found.as_str().to_owned()),
                |unit| unit.as_str().to_owned(),
            );
            let quantity = captured.name("quantity").map(|quantity| {
                let per_day = quantity.as_str();
                match (is_daily_total, times_match) {
                    (true, Some(n)) => divide(per_day, n.as_str().parse().expect("one digit")),
                    _ => per_day.to_owned(),
                }
            });
            self.field(Dose { quantity, unit }, &snippet)
        });
        if is_daily_total && times_per_day.is_none()
            && let Some(dose) = dose.as_ref()
        {
            // "1日1枚" with no division: once a day.
            let whole = dose.get(0).unwrap();
            times_per_day = Some(self.field(1, &at(whole.start(), whole.end())));
        }
        let days_field =
            days.as_ref().and_then(|captured| captured.name("n")).map(|n| self.field(n.as_str().parse::<u32>().expect("digits"), &at(n.start(), captured_end(&days))));
        let after_amounts = [dose_match.map(|m| m.end()), times_match.map(|m| m.end())].into_iter().flatten().max().unwrap_or(0);
        let total = TOTAL
            .captures_at(rest, after_amounts)
            .and_then(|captured| captured.name("total"))
            .filter(|total| days.as_ref().is_none_or(|days| total.start() < days.get(0).unwrap().start() || total.start() > days.get(0).unwrap().end()));
        let usage_end = [days.as_ref().map(|captured| captured.get(0).unwrap().start()), total.map(|total| total.start())]
            .into_iter()
            .flatten()
            .filter(|&end| end >= after_amounts)
            .min()
            .unwrap_or(rest.len());
        let usage = (usage_end > after_amounts).then(|| at(after_amounts, usage_end)).and_then(|snippet| {
            let first = snippet.trim_punctuation().words().into_iter().next()?;
            self.text(&first)
        });
        let total_field = total.map(|total| at(total.start(), total.end())).and_then(|snippet| self.text(&snippet));
        let printed = self.text(&row.whole(self.grounder))?;
        Some(Medication {
            name: name_field,
            dose_per_time,
            times_per_day,
            usage,
            days: days_field,
            total: total_field,
            printed,
        })
    }

    /// What a letter says without labels: the patient line ("患者 鈴木 花子 様
    /// (スズキ ハナコ) 昭和22年11月3日生 女性"), the addressee (a facility
    /// with 御侍史 or 先生) and the sender (the other facility: letterhead,
    /// signature, or the pharmacy's stamp).
    fn letterhead(&mut self) {
        static PATIENT_LINE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^患者(?:氏名)?\s*(?P<name>[^\s様殿(（]+(?:\s[^\s様殿(（]+)?)\s*(?:様|殿)\s*(?:[(（](?P<kana>[^)）]+)[)）])?(?P<rest>.*?)(?P<sex>男性|女性|男|女)?\s*$").unwrap()
        });
        static ADDRESSED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"御侍史|御机下|御中|先生").unwrap());
        let loose = std::mem::take(&mut self.findings.loose);
        for cell in &loose {
            let Some(captured) = cell.snippet.captures(&PATIENT_LINE) else { continue };
            if self.findings.patient.name.is_some() {
                break;
            }
            let (name, kana, rest, sex) = (captured.get("name"), captured.get("kana"), captured.get("rest"), captured.get("sex"));
            if let Some(name) = name {
                self.set_name(&name);
            }
            if let Some(kana) = kana {
                self.set_kana(&kana);
            }
            if let Some(rest) = rest {
                self.labelled(Key::BirthDate, rest);
            }
            if let Some(sex) = sex {
                self.labelled(Key::Sex, sex);
            }
        }
        let mut index = 0;
        while index < loose.len() {
            let cell = &loose[index];
            let party = self.party(&Run::of_cells(std::slice::from_ref(cell)));
            if is_contact(cell) || party.facility.is_none() {
                index += 1;
                continue;
            }
            let next = loose.get(index + 1).filter(|next| {
                !is_contact(next) && self.party(&Run::of_cells(std::slice::from_ref(*next))).facility.is_none() && next.snippet.text.chars().count() <= 24
            });
            let cells: Vec<Cell> = std::iter::once(cell).chain(next).cloned().collect();
            index += cells.len();
            let addressed = cells.iter().any(|cell| ADDRESSED.is_match(&cell.snippet.text));
            if addressed && self.findings.to.is_empty() {
                self.findings.to = self.party(&Run::of_cells(&cells));
            } else if !addressed && self.findings.from.is_empty() {
                self.findings.from = self.party(&Run::of_cells(&cells));
            }
        }
        self.findings.loose = loose;
        if self.findings.from.doctor.is_none() {
            self.findings.from.doctor = self.findings.attending.clone();
        }
        if self.findings.date.is_none() {
            // A date on a line of its own near the top is the letter's date.
            let top = self.findings.loose.iter().take(6).find_map(|cell| {
                let found = find_dates(&cell.snippet.text).into_iter().next()?.ok()?;
                (found.span.end - found.span.start + 2 >= cell.snippet.trim().text.chars().count()).then_some((cell.snippet.clone(), found))
            });
            if let Some((snippet, found)) = top {
                self.findings.date = Some(self.date_field(&snippet, Ok(found)));
            }
        }
    }

    fn check_birth_date_against_age(&mut self) {
        let Some(on) = self.findings.date.as_ref().map(|date| date.value) else { return };
        let Some(birth) = self.findings.patient.birth_date.as_mut() else { return };
        for (age, date) in &self.printed_ages {
            if *date == birth.value
                && let Some(warning) = check_printed_age(birth.value, *age, on)
            {
                birth.flags.push(FieldFlag::Date { warning });
                birth.confidence *= 0.5;
            }
        }
    }
}

/// Whether `piece` goes on with `section`: any line under a heading that
/// stood alone; after a heading with its value beside it, only a wrapped
/// continuation (the line before ran to the right margin).
fn continues(section: &Section, piece: &Cell, text_right: u32) -> bool {
    if !section.inline_value {
        return true;
    }
    let previous = section.cells.last().expect("an inline value is the first cell");
    previous.snippet.page == piece.snippet.page && previous.bbox.right() * 100 >= text_right * 93
}

/// "1.発作性心房細動(I48.0) 2.高血圧症": several numbered items on one row.
fn numbered_items(row: &Run, grounder: &Grounder<'_>) -> Vec<Snippet> {
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?:^|\s)(?:\d{1,2}\s*[.．)）]|[①-⑳])").unwrap());
    let mut starts: Vec<usize> = NUMBER.find_iter(&row.text).map(|found| found.start()).collect();
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    starts.push(row.text.len());
    starts.windows(2).map(|pair| row.resolve(pair[0], pair[1], grounder)).filter(|item| !item.is_empty()).collect()
}

/// A postal address or phone line: part of a party, but never its name.
fn is_contact(cell: &Cell) -> bool {
    cell.snippet.text.starts_with('〒') || cell.snippet.text.contains("TEL")
}

/// A party's lines without its postal address and phone line.
fn without_addresses(cells: &[Cell]) -> Run {
    let kept: Vec<Cell> = cells
        .iter()
        .filter(|cell| !is_contact(cell))
        .cloned()
        .collect();
    Run::of_cells(&kept)
}

fn captured_end(captured: &Option<regex::Captures<'_>>) -> usize {
    captured.as_ref().map_or(0, |captured| captured.get(0).unwrap().end())
}

fn append_text(slot: &mut Option<Text>, more: Option<Text>) {
    match (slot.as_mut(), more) {
        (Some(text), Some(more)) => {
            text.value.push('\n');
            text.value.push_str(&more.value);
        }
        (None, more) => *slot = more,
        (_, None) => {}
    }
}

/// A daily total divided by the number of times, as a decimal string.
fn divide(total: &str, times: u32) -> String {
    let Ok(total) = total.parse::<f64>() else { return total.to_owned() };
    let per_time = total / f64::from(times);
    let text = format!("{per_time:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::divide;

    #[test]
    fn daily_totals_divide_into_doses() {
        assert_eq!(divide("2", 2), "1");
        assert_eq!(divide("3", 3), "1");
        assert_eq!(divide("1", 2), "0.5");
        assert_eq!(divide("1.5", 3), "0.5");
        assert_eq!(divide("1", 3), "0.333");
    }
}
