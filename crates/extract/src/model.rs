//! The language model's part: it chooses, it does not invent. Its answer
//! is constrained by a JSON schema whose string values are enumerations of
//! pieces of the page text, so every value it proposes is one the page
//! holds; dates come back as printed and are converted by code. The rules'
//! values win; the model fills gaps and raises the confidence of values it
//! agrees with. Prompt-defined templates (a schema and an instruction in a
//! JSON file) ask for more without code changes; their answers are grounded
//! afterwards, and what the page does not hold is marked ungrounded.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};
use torikomi_llm::{Completion, Generated, LlmError, TextModel, json_schema_to_grammar};
use torikomi_record::normalise::{find_dates, normalise_person_name, parse_sex, to_katakana};
use torikomi_record::{DocumentKind, Field, FieldFlag, Origin, TemplateResult, TemplateValue, Text};

use crate::rules::Findings;
use crate::text::{Grounder, Snippet, is_blank};

/// The page text given to the model, at most; longer documents are cut
/// (the rules still read all of it).
const MAX_DOCUMENT_CHARS: usize = 1800;
const MAX_CANDIDATES: usize = 300;
/// A value only the model found: grounded, but less sure than a label.
const MODEL_CONFIDENCE: f32 = 0.6;

const INSTRUCTION: &str = "以下は医療機関に届いた文書のOCRテキストと、そこから抜き出した項目のJSONです。文書に書かれていない項目はnullです。\n\n";
const EXAMPLE: &str = "### 文書\n診療情報提供書\n令和6年5月8日\n紹介先 みなと総合病院 循環器内科\n紹介元 青空クリニック 内科 医師 佐藤 一郎\n患者氏名 鈴木 花子 フリガナ スズキ ハナコ\n生年月日 昭和25年1月9日生 (74歳) 性別 女\n患者ID 778812\n傷病名 心房細動\n### JSON\n{\"document_type\":\"referral\",\"patient_name\":\"鈴木 花子\",\"patient_kana\":\"スズキ ハナコ\",\"birth_date\":\"昭和25年1月9日\",\"sex\":\"female\",\"patient_id\":\"778812\",\"from_facility\":\"青空クリニック\",\"to_facility\":\"みなと総合病院\",\"document_date\":\"令和6年5月8日\"}\n\n";

#[derive(Debug, thiserror::Error)]
pub enum ModelAssistError {
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error("the model's answer is not the JSON its grammar allows: {0}")]
    Answer(String),
}

impl ModelAssistError {
    /// The model server could not be reached: worth waiting for, unlike a
    /// bad answer.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ModelAssistError::Llm(LlmError::Unavailable { .. }))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read template {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("template {path} is not a template (name, instruction, schema): {source}")]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("template {path}: {source}")]
    Schema { path: PathBuf, source: LlmError },
}

/// A prompt-defined extraction: a JSON schema and an instruction in
/// natural language, e.g. "CTCAE v5.0 adverse events with grade".
#[derive(Debug, Clone, Deserialize)]
pub struct Template {
    pub name: String,
    pub instruction: String,
    pub schema: Value,
    #[serde(skip)]
    grammar: String,
}

impl Template {
    /// # Errors
    /// When the file cannot be read, is not a template, or its schema
    /// cannot be turned into a grammar.
    pub fn load(path: &Path) -> Result<Template, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read { path: path.to_owned(), source })?;
        let mut template: Template =
            serde_json::from_str(&text).map_err(|source| TemplateError::Parse { path: path.to_owned(), source })?;
        template.grammar = json_schema_to_grammar(&template.schema.to_string())
            .map_err(|source| TemplateError::Schema { path: path.to_owned(), source })?;
        Ok(template)
    }
}

/// Token counts and times of the model calls so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelUsage {
    pub calls: usize,
    pub prompt_tokens: usize,
    pub reused_tokens: usize,
    pub generated_tokens: usize,
    pub prompt_seconds: f64,
    pub decode_seconds: f64,
}

impl ModelUsage {
    /// Adds what `now` has counted since `before`.
    pub fn add_difference(&mut self, now: &ModelUsage, before: &ModelUsage) {
        self.calls += now.calls - before.calls;
        self.prompt_tokens += now.prompt_tokens - before.prompt_tokens;
        self.reused_tokens += now.reused_tokens - before.reused_tokens;
        self.generated_tokens += now.generated_tokens - before.generated_tokens;
        self.prompt_seconds += now.prompt_seconds - before.prompt_seconds;
        self.decode_seconds += now.decode_seconds - before.decode_seconds;
    }

    fn add(&mut self, generated: &Generated) {
        self.calls += 1;
        self.prompt_tokens += generated.prompt_tokens;
        self.reused_tokens += generated.reused_tokens;
        self.generated_tokens += generated.generated_tokens;
        self.prompt_seconds += generated.prompt_seconds;
        self.decode_seconds += generated.decode_seconds;
    }
}

/// The model (loaded, or behind a server), with the templates to run on
/// every document.
pub struct ModelAssist {
    model: Box<dyn TextModel>,
    templates: Vec<Template>,
    usage: ModelUsage,
}

pub(crate) struct Assisted {
    pub kind: Option<DocumentKind>,
    pub templates: Vec<TemplateResult>,
    pub notes: Vec<String>,
}

/// The model's answer, as the grammar shapes it.
#[derive(Debug, Deserialize)]
struct Answer {
    document_type: Option<String>,
    patient_name: Option<String>,
    patient_kana: Option<String>,
    birth_date: Option<String>,
    sex: Option<String>,
    patient_id: Option<String>,
    from_facility: Option<String>,
    to_facility: Option<String>,
    document_date: Option<String>,
}

impl ModelAssist {
    pub fn new(model: Box<dyn TextModel>, templates: Vec<Template>) -> Self {
        ModelAssist { model, templates, usage: ModelUsage::default() }
    }

    /// Which model, where.
    pub fn describe(&self) -> String {
        self.model.describe()
    }

    pub fn usage(&self) -> &ModelUsage {
        &self.usage
    }

    pub(crate) fn assist(
        &mut self,
        grounder: &Grounder<'_>,
        findings: &mut Findings,
        kind: DocumentKind,
    ) -> Result<Assisted, ModelAssistError> {
        let document = document_text(grounder);
        let candidates = candidates(&document);
        let schema = answer_schema(&candidates, &date_candidates(grounder));
        let grammar = json_schema_to_grammar(&schema.to_string())?;
        let prompt = format!("{INSTRUCTION}{EXAMPLE}### 文書\n{document}\n### JSON\n");
        let generated = self.model.complete(&Completion { prompt: &prompt, grammar: Some(&grammar), max_tokens: 256 })?;
        self.usage.add(&generated);
        let answer: Answer =
            serde_json::from_str(&generated.text).map_err(|error| ModelAssistError::Answer(format!("{error}: {}", generated.text)))?;
        let mut notes = Vec::new();
        merge_answer(grounder, findings, &answer, &mut notes);
        let model_kind = answer.document_type.as_deref().and_then(|name| {
            DocumentKind::ALL.into_iter().find(|kind| kind.as_str() == name && *kind != DocumentKind::Other)
        });
        if kind != DocumentKind::Other && model_kind.is_some_and(|model_kind| model_kind != kind) {
            notes.push(format!("the model took this for a {}", model_kind.expect("checked").as_str()));
        }
        let mut templates = Vec::new();
        for index in 0..self.templates.len() {
            // One template failing leaves the record and the other templates
            // as they are; a server gone away fails the whole document, which waits.
            match self.run_template(index, grounder, &document) {
                Ok(result) => templates.push(result),
                Err(error) if error.is_unavailable() => return Err(error),
                Err(error) => notes.push(format!("template {}: {error}", self.templates[index].name)),
            }
        }
        Ok(Assisted { kind: model_kind, templates, notes })
    }

    fn run_template(&mut self, index: usize, grounder: &Grounder<'_>, document: &str) -> Result<TemplateResult, ModelAssistError> {
        let template = &self.templates[index];
        let prompt = format!("{}\n\n### 文書\n{document}\n### JSON\n", template.instruction);
        let generated = self.model.complete(&Completion { prompt: &prompt, grammar: Some(&template.grammar), max_tokens: 640 })?;
        self.usage.add(&generated);
        let answer: Value =
            serde_json::from_str(&generated.text).map_err(|error| ModelAssistError::Answer(format!("{error}: {}", generated.text)))?;
        let mut values = Vec::new();
        collect_leaves(&answer, String::new(), &mut |path, text| {
            let snippet = grounder.find(&text);
            let field = match snippet {
                Some(snippet) => model_field(grounder, text, &snippet),
                None => ungrounded(text.clone(), text),
            };
            values.push(TemplateValue { path, value: field });
        });
        Ok(TemplateResult { template: template.name.clone(), values })
    }
}

fn document_text(grounder: &Grounder<'_>) -> String {
    let text: String = grounder.pages().iter().map(|page| page.text.as_str()).collect::<Vec<_>>().join("\n");
    text.chars().take(MAX_DOCUMENT_CHARS).collect()
}

/// Pieces of the page the model may choose from: words and pairs of words
/// ("山田 太郎"), split at spaces and the punctuation that frames values.
fn candidates(document: &str) -> Vec<String> {
    let framing = |c: char| is_blank(c) || matches!(c, '|' | '｜' | '、' | '。' | ':' | '：' | '(' | ')' | '（' | '）' | '【' | '】');
    let mut seen = BTreeSet::new();
    let mut ordered = Vec::new();
    for line in document.lines() {
        let line = Snippet { page: 0, start: 0, text: line.to_owned() };
        let words: Vec<String> = line.split_by(framing).into_iter().map(|word| word.text).collect();
        let pairs = words.windows(2).map(|pair| format!("{} {}", pair[0], pair[1]));
        for candidate in words.iter().cloned().chain(pairs) {
            let length = candidate.chars().count();
            if (1..=24).contains(&length) && seen.insert(candidate.clone()) {
                ordered.push(candidate);
            }
        }
    }
    ordered.truncate(MAX_CANDIDATES);
    ordered
}

fn date_candidates(grounder: &Grounder<'_>) -> Vec<String> {
    let mut dates = BTreeSet::new();
    for page in grounder.pages() {
        for found in find_dates(&page.text).into_iter().flatten() {
            dates.insert(page.text.chars().skip(found.span.start).take(found.span.end - found.span.start).collect::<String>());
        }
    }
    dates.into_iter().collect()
}

fn answer_schema(candidates: &[String], dates: &[String]) -> Value {
    let choice = |options: &[String]| {
        let mut options: Vec<Value> = options.iter().map(|option| json!(option)).collect();
        options.push(Value::Null);
        json!({ "enum": options })
    };
    let kinds: Vec<Value> = DocumentKind::ALL.iter().map(|kind| json!(kind.as_str())).collect();
    let properties = json!({
        "document_type": { "enum": kinds },
        "patient_name": choice(candidates),
        "patient_kana": choice(candidates),
        "birth_date": choice(dates),
        "sex": { "enum": ["male", "female", null] },
        "patient_id": choice(candidates),
        "from_facility": choice(candidates),
        "to_facility": choice(candidates),
        "document_date": choice(dates),
    });
    let order = ["document_type", "patient_name", "patient_kana", "birth_date", "sex", "patient_id", "from_facility", "to_facility", "document_date"];
    json!({ "type": "object", "properties": properties, "required": order, "additionalProperties": false })
}

fn model_field<T>(grounder: &Grounder<'_>, value: T, snippet: &Snippet) -> Field<T> {
    Field {
        value,
        printed: snippet.text.clone(),
        provenance: Some(grounder.provenance(snippet)),
        confidence: MODEL_CONFIDENCE,
        origin: Origin::Model,
        flags: Vec::new(),
    }
}

fn ungrounded<T>(value: T, printed: String) -> Field<T> {
    Field {
        printed,
        value,
        provenance: None,
        confidence: 0.0,
        origin: Origin::Model,
        flags: vec![FieldFlag::Ungrounded],
    }
}

/// The rule for one value: a label's value stays; the model's agreement
/// raises its confidence, its disagreement lowers it; where the rules found
/// nothing, the model's grounded value is taken.
fn merge<T: PartialEq>(slot: &mut Option<Field<T>>, proposal: Option<Field<T>>) {
    let Some(proposal) = proposal else { return };
    match slot {
        Some(existing) if existing.value == proposal.value => {
            existing.origin = Origin::LabelAndModel;
            existing.confidence = (existing.confidence + (1.0 - existing.confidence) * 0.5).min(1.0);
        }
        Some(existing) => existing.confidence *= 0.85,
        None => *slot = Some(proposal),
    }
}

fn merge_answer(grounder: &Grounder<'_>, findings: &mut Findings, answer: &Answer, notes: &mut Vec<String>) {
    let propose = |value: &Option<String>, normalise: &dyn Fn(&str) -> String| -> Option<Text> {
        let value = value.as_deref()?;
        match grounder.find(value) {
            Some(snippet) => Some(model_field(grounder, normalise(value), &snippet)),
            None => Some(ungrounded(normalise(value), value.to_owned())),
        }
    };
    let patient = &mut findings.patient;
    merge(&mut patient.name, propose(&answer.patient_name, &normalise_person_name));
    merge(&mut patient.kana, propose(&answer.patient_kana, &to_katakana));
    merge(&mut patient.patient_id, propose(&answer.patient_id, &|id: &str| id.to_owned()));
    if let Some(sex) = answer.sex.as_deref().and_then(parse_sex_answer) {
        let grounded = patient.sex.as_ref().map(|field| field.value == sex);
        match grounded {
            Some(true) => {
                let agreed = patient.sex.clone();
                merge(&mut patient.sex, agreed);
            }
            Some(false) => notes.push("the model read the patient's sex differently; the printed value is kept".to_owned()),
            None => {
                // Only a printed 男/女 grounds a sex.
                let printed = ["男", "女"].into_iter().filter_map(|mark| grounder.find(mark)).find(|snippet| parse_sex(&snippet.text) == Some(sex));
                patient.sex = Some(printed.map_or_else(
                    || ungrounded(sex, sex.as_str().to_owned()),
                    |snippet| model_field(grounder, sex, &snippet),
                ));
            }
        }
    }
    let date = |value: &Option<String>| {
        let printed = value.as_deref()?;
        let found = find_dates(printed).into_iter().next()?.ok()?;
        Some(match grounder.find(printed) {
            Some(snippet) => model_field(grounder, found.date, &snippet),
            None => ungrounded(found.date, printed.to_owned()),
        })
    };
    merge(&mut patient.birth_date, date(&answer.birth_date));
    merge(&mut findings.date, date(&answer.document_date));
    merge(&mut findings.from.facility, propose(&answer.from_facility, &|text: &str| text.to_owned()));
    merge(&mut findings.to.facility, propose(&answer.to_facility, &|text: &str| text.to_owned()));
}

fn parse_sex_answer(answer: &str) -> Option<torikomi_record::Sex> {
    match answer {
        "male" => Some(torikomi_record::Sex::Male),
        "female" => Some(torikomi_record::Sex::Female),
        _ => None,
    }
}

fn collect_leaves(value: &Value, path: String, visit: &mut dyn FnMut(String, String)) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                collect_leaves(value, format!("{path}/{key}"), visit);
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                collect_leaves(value, format!("{path}/{index}"), visit);
            }
        }
        Value::String(text) if !text.is_empty() => visit(path, text.clone()),
        Value::Number(number) => visit(path, number.to_string()),
        Value::Bool(_) | Value::Null | Value::String(_) => {}
    }
}
