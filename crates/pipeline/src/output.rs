//! Writing a structured document out: record.json, MML, HL7 (SS-MIX2 file
//! names, control ids from the store's counter) and FHIR into one folder,
//! each file whole or not at all. The command line and the desktop app
//! both write through [`Exporter`].

use std::path::{Path, PathBuf};

use chrono::Local;
use torikomi_deliver::{DeliverError, drop_file};
use torikomi_export::hl7::{Hl7Message, Hl7Settings, hl7_messages};
use torikomi_export::mml::write_mml;
use torikomi_export::{CodeTables, Export, ExportContext, ExportError, Facility, fhir};
use torikomi_hl7::{Charset, Hl7Error, encode};
use torikomi_store::{NewMessage, Store, StoreError};

use crate::ConvertedDocument;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// record.json: pages, OCR lines and the record with provenance.
    Json,
    /// mml.xml: MML v4.2.
    Mml,
    /// hl7/*.hl7: HL7 v2.5 messages, SS-MIX2 style.
    Hl7,
    /// fhir.json: JP-CLINS eReferral Bundle (referral letters).
    Fhir,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 4] = [OutputFormat::Json, OutputFormat::Mml, OutputFormat::Hl7, OutputFormat::Fhir];

    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Json => "json",
            OutputFormat::Mml => "mml",
            OutputFormat::Hl7 => "hl7",
            OutputFormat::Fhir => "fhir",
        }
    }
}

/// What to write and how.
#[derive(Debug, Clone)]
pub struct OutputConfig {
    pub formats: Vec<OutputFormat>,
    pub charset: Charset,
    pub facility: Facility,
    pub codes: CodeTables,
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            formats: OutputFormat::ALL.to_vec(),
            charset: Charset::Utf8,
            facility: Facility::default(),
            codes: CodeTables::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(transparent)]
    Deliver(#[from] DeliverError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("{data_type} message: {source}")]
    Hl7 { data_type: String, source: Hl7Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot clear {}: {source}", path.display())]
    Clear { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is not HL7: {source}", path.display())]
    NotHl7 { path: PathBuf, source: Hl7Error },
}

/// Writes documents with one configuration, numbering HL7 messages from the
/// store's counter.
pub struct Exporter {
    config: OutputConfig,
    store: Store,
}

impl Exporter {
    pub fn new(config: OutputConfig, store: Store) -> Exporter {
        Exporter { config, store }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &OutputConfig {
        &self.config
    }

    fn context(&self, document: &ConvertedDocument) -> ExportContext {
        ExportContext {
            facility: self.config.facility.clone(),
            document_id: document.id.clone(),
            created: Local::now().fixed_offset(),
            codes: self.config.codes.clone(),
        }
    }

    /// Writes the chosen formats of a structured document into `out_dir`,
    /// each file whole or not at all. Returns the files written.
    ///
    /// # Errors
    /// A file cannot be written, a value cannot be carried by the HL7
    /// character set, or the message counter cannot be advanced.
    pub fn write(&self, document: &ConvertedDocument, out_dir: &Path) -> Result<Vec<PathBuf>, OutputError> {
        remove_interrupted_writes(out_dir)?;
        let writes = |format| self.config.formats.contains(&format);
        let mut written = Vec::new();
        if writes(OutputFormat::Json) {
            let json = serde_json::to_vec_pretty(document).expect("documents serialise");
            written.push(drop_file(out_dir, "record.json", &json)?);
        }
        let Some(record) = &document.record else { return Ok(written) };
        let context = self.context(document);
        let export = Export { record, context: &context };
        if writes(OutputFormat::Mml) {
            let mut mml = Vec::new();
            write_mml(&export, &mut mml)?;
            written.push(drop_file(out_dir, "mml.xml", &mml)?);
        }
        if writes(OutputFormat::Fhir)
            && let Some(bundle) = fhir::referral_bundle(&export)
        {
            let json = serde_json::to_vec_pretty(&bundle).expect("bundles serialise");
            written.push(drop_file(out_dir, "fhir.json", &json)?);
        }
        if writes(OutputFormat::Hl7) {
            let hl7_dir = out_dir.join("hl7");
            // A re-export replaces the messages: new control ids, new names.
            if hl7_dir.is_dir() {
                std::fs::remove_dir_all(&hl7_dir).map_err(|source| OutputError::Clear { path: hl7_dir.clone(), source })?;
            }
            for message in self.messages(&export)? {
                let bytes = encode(&message.message, self.config.charset)
                    .map_err(|source| OutputError::Hl7 { data_type: format!("{:?}", message.data_type), source })?;
                written.push(drop_file(&hl7_dir, &ssmix2_file_name(&export, &message), &bytes)?);
            }
        }
        Ok(written)
    }

    fn messages(&self, export: &Export) -> Result<Vec<Hl7Message>, StoreError> {
        let settings = Hl7Settings { charset: self.config.charset, ..Hl7Settings::default() };
        let mut failure = None;
        let messages = hl7_messages(export, &settings, || match self.store.next_control_id() {
            Ok(id) => format!("TRK{id:010}"),
            Err(error) => {
                failure.get_or_insert(error);
                String::new()
            }
        });
        match failure {
            Some(error) => Err(error),
            None => Ok(messages),
        }
    }
}

/// A process killed while writing leaves `drop_file`'s hidden `.part`
/// files behind; the next write of the document clears them.
fn remove_interrupted_writes(out_dir: &Path) -> Result<(), OutputError> {
    let Ok(entries) = std::fs::read_dir(out_dir) else { return Ok(()) };
    for path in entries.filter_map(|entry| entry.ok().map(|entry| entry.path())) {
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') && name.ends_with(".part") {
            std::fs::remove_file(&path).map_err(|source| OutputError::Clear { path: path.clone(), source })?;
        }
    }
    Ok(())
}

/// SS-MIX2 standardized storage naming:
/// `patient id_date_data type_order number_timestamp_department_condition.hl7`,
/// with `-` for what is not known.
fn ssmix2_file_name(export: &Export, message: &Hl7Message) -> String {
    let patient_id = export.record.patient.patient_id.as_ref().map_or("-".to_owned(), |id| file_safe(&id.value));
    let date = export.record.document.date().map_or("-".to_owned(), |date| date.value.to_string().replace('-', ""));
    let timestamp = export.context.created.format("%Y%m%d%H%M%S%3f");
    format!(
        "{patient_id}_{date}_{}_{}_{timestamp}_-_1.hl7",
        message.data_type.ssmix2_code(),
        export.context.document_id
    )
}

fn file_safe(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect()
}

/// The HL7 files written for a document in `dir`, patient (ADT) first, as
/// an EHR wants the patient before the rest.
///
/// # Errors
/// `dir` has no `hl7/` folder that can be read.
pub fn hl7_files(dir: &Path) -> Result<Vec<PathBuf>, OutputError> {
    let hl7_dir = dir.join("hl7");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&hl7_dir)
        .map_err(|source| OutputError::Read { path: hl7_dir.clone(), source })?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "hl7"))
        .collect();
    files.sort_by_key(|path| (data_type_rank(path), path.clone()));
    Ok(files)
}

fn data_type_rank(path: &Path) -> usize {
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    ["_ADT-00_", "_ADT-61_", "_PPR-01_", "_OMP-01_", "_OML-11_"]
        .iter()
        .position(|code| name.contains(code))
        .unwrap_or(usize::MAX)
}

/// Queues each written message for `destination` with the control id it
/// was written with, so a resend is byte for byte the same message.
///
/// # Errors
/// A file cannot be read or is not HL7, or the store cannot be written.
pub fn enqueue_hl7(store: &Store, destination: &str, document_id: &str, files: &[PathBuf]) -> Result<(), OutputError> {
    for file in files {
        let payload = std::fs::read(file).map_err(|source| OutputError::Read { path: file.clone(), source })?;
        let message =
            torikomi_hl7::decode(&payload).map_err(|source| OutputError::NotHl7 { path: file.clone(), source })?;
        let data_type = file
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.split('_').nth(2))
            .unwrap_or("unknown")
            .to_owned();
        store.enqueue(&NewMessage {
            destination,
            document_id,
            data_type: &data_type,
            control_id: message.control_id(),
            payload: &payload,
        })?;
    }
    Ok(())
}
