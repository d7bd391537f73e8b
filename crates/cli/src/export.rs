//! Writing a structured document out as MML, HL7 and FHIR beside its
//! record.json, and delivering it: `torikomi export` re-writes and
//! re-sends on demand.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::Local;
use clap::{Args, ValueEnum};
use torikomi_deliver::{Backoff, MllpTarget, SendPolicy, drop_file, send_pending};
use torikomi_export::hl7::{Hl7Message, Hl7Settings, hl7_messages};
use torikomi_export::mml::write_mml;
use torikomi_export::{CodeTables, Export, ExportContext, Facility, fhir};
use torikomi_hl7::{Charset, encode};
use torikomi_pipeline::ConvertedDocument;
use torikomi_store::{NewMessage, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// record.json: pages, OCR lines and the record with provenance.
    Json,
    /// mml.xml: MML v4.2.
    Mml,
    /// hl7/*.hl7: HL7 v2.5 messages, SS-MIX2 style.
    Hl7,
    /// fhir.json: JP-CLINS eReferral Bundle (referral letters).
    Fhir,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CharsetArg {
    #[value(name = "utf-8")]
    Utf8,
    #[value(name = "iso-2022-jp")]
    Iso2022Jp,
}

/// What to write and how; shared by `convert` and `export`.
#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Formats to write, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "json,mml,hl7,fhir")]
    format: Vec<Format>,
    /// Character set of the HL7 messages.
    #[arg(long, value_enum, default_value = "utf-8")]
    charset: CharsetArg,
    /// This hospital's name, as the EHR knows it.
    #[arg(long, env = "TORIKOMI_FACILITY_NAME", default_value = "")]
    facility_name: String,
    /// This hospital's 10-digit medical institution code.
    #[arg(long, env = "TORIKOMI_FACILITY_CODE", default_value = "")]
    facility_code: String,
    /// The hospital's code table: CSV rows of kind,name,code[,system]
    /// (kind: disease, drug or lab).
    #[arg(long, env = "TORIKOMI_CODES")]
    codes: Option<PathBuf>,
    /// The local database (message counter, outbox).
    #[arg(long, env = "TORIKOMI_STORE")]
    store: Option<PathBuf>,
}

impl OutputArgs {
    pub fn writes_json(&self) -> bool {
        self.format.contains(&Format::Json)
    }
}

/// Everything a run needs to write outputs, opened once.
pub struct Exporter {
    args: OutputArgs,
    codes: CodeTables,
    store: Store,
    store_path: PathBuf,
}

impl Exporter {
    pub fn open(args: &OutputArgs) -> anyhow::Result<Exporter> {
        let codes = match &args.codes {
            Some(path) => {
                let csv = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
                CodeTables::from_csv(&csv, path)?
            }
            None => CodeTables::default(),
        };
        let store_path = args.store.clone().unwrap_or_else(default_store_path);
        let store = Store::open(&store_path)?;
        Ok(Exporter { args: args.clone(), codes, store, store_path })
    }

    /// The local database this run uses.
    pub fn store_path(&self) -> &Path {
        &self.store_path
    }

    fn context(&self, document: &ConvertedDocument) -> ExportContext {
        ExportContext {
            facility: Facility { name: self.args.facility_name.clone(), code: self.args.facility_code.clone() },
            document_id: document.id.clone(),
            created: Local::now().fixed_offset(),
            codes: self.codes.clone(),
        }
    }

    fn charset(&self) -> Charset {
        match self.args.charset {
            CharsetArg::Utf8 => Charset::Utf8,
            CharsetArg::Iso2022Jp => Charset::Iso2022Jp,
        }
    }

    /// Writes the chosen formats of a structured document into `out_dir`,
    /// each file whole or not at all. Returns the files written.
    pub fn write(&self, document: &ConvertedDocument, out_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
        remove_interrupted_writes(out_dir)?;
        let mut written = Vec::new();
        if self.args.writes_json() {
            let json = serde_json::to_vec_pretty(document)?;
            written.push(drop_file(out_dir, "record.json", &json)?);
        }
        let Some(record) = &document.record else { return Ok(written) };
        let context = self.context(document);
        let export = Export { record, context: &context };
        if self.args.format.contains(&Format::Mml) {
            let mut mml = Vec::new();
            write_mml(&export, &mut mml)?;
            written.push(drop_file(out_dir, "mml.xml", &mml)?);
        }
        if self.args.format.contains(&Format::Fhir)
            && let Some(bundle) = fhir::referral_bundle(&export)
        {
            written.push(drop_file(out_dir, "fhir.json", &serde_json::to_vec_pretty(&bundle)?)?);
        }
        if self.args.format.contains(&Format::Hl7) {
            let hl7_dir = out_dir.join("hl7");
            // A re-export replaces the messages: new control ids, new names.
            if hl7_dir.is_dir() {
                std::fs::remove_dir_all(&hl7_dir).with_context(|| format!("cannot clear {}", hl7_dir.display()))?;
            }
            for message in self.messages(&export)? {
                let bytes = encode(&message.message, self.charset())
                    .with_context(|| format!("{:?} message", message.data_type))?;
                written.push(drop_file(&hl7_dir, &ssmix2_file_name(&export, &message), &bytes)?);
            }
        }
        Ok(written)
    }

    fn messages(&self, export: &Export) -> anyhow::Result<Vec<Hl7Message>> {
        let settings = Hl7Settings { charset: self.charset(), ..Hl7Settings::default() };
        let mut failure = None;
        let messages = hl7_messages(export, &settings, || match self.store.next_control_id() {
            Ok(id) => format!("TRK{id:010}"),
            Err(error) => {
                failure.get_or_insert(error);
                String::new()
            }
        });
        match failure {
            Some(error) => Err(error.into()),
            None => Ok(messages),
        }
    }
}

/// A process killed while writing leaves `drop_file`'s hidden `.part`
/// files behind; the next write of the document clears them.
fn remove_interrupted_writes(out_dir: &Path) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(out_dir) else { return Ok(()) };
    for path in entries.filter_map(|entry| entry.ok().map(|entry| entry.path())) {
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') && name.ends_with(".part") {
            std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
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

/// `$TORIKOMI_DATA_DIR`, else `$XDG_DATA_HOME/torikomi`, else
/// `~/.local/share/torikomi`; the database is `torikomi.db` there.
pub fn default_store_path() -> PathBuf {
    let data_dir = std::env::var_os("TORIKOMI_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."))
            .join("torikomi")
    });
    data_dir.join("torikomi.db")
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Converted documents: folders holding a record.json (as `convert`
    /// writes them). None with --mllp: send what the outbox still holds.
    documents: Vec<PathBuf>,
    /// Write the outputs again (new HL7 control ids) from record.json.
    #[arg(long)]
    rewrite: bool,
    /// Also copy each document's HL7 files into this folder (the EHR's
    /// import folder); each file appears whole.
    #[arg(long)]
    folder: Option<PathBuf>,
    /// Send each document's HL7 messages to this MLLP listener (host:port),
    /// through the outbox: a message is sent once and kept until acknowledged.
    #[arg(long)]
    mllp: Option<String>,
    /// Seconds to wait for each ACK.
    #[arg(long, default_value_t = 30.0)]
    ack_timeout: f64,
    /// Tries per message in this run before leaving it for the next run.
    #[arg(long, default_value_t = 5)]
    attempts: u32,
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    if args.documents.is_empty() && args.mllp.is_none() {
        bail!("name converted document folders, or --mllp to send what the outbox holds");
    }
    let exporter = Exporter::open(&args.output)?;
    let target = args.mllp.as_deref().map(MllpTarget::parse).transpose()?;
    for dir in &args.documents {
        let record_path = dir.join("record.json");
        let json = std::fs::read(&record_path).with_context(|| format!("cannot read {}", record_path.display()))?;
        let document: ConvertedDocument =
            serde_json::from_slice(&json).with_context(|| format!("{} is not a Torikomi record", record_path.display()))?;
        if args.rewrite {
            let written = exporter.write(&document, dir)?;
            println!("wrote  {} files in {}", written.len(), dir.display());
        }
        let hl7_files = hl7_files(dir)?;
        if let Some(folder) = &args.folder {
            for file in &hl7_files {
                let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
                let name = file.file_name().expect("a file").to_string_lossy();
                let path = drop_file(folder, &name, &bytes)?;
                println!("copied {}", path.display());
            }
        }
        if let Some(target) = &target {
            queue(&exporter.store, target, &document.id, &hl7_files)?;
        }
    }
    let Some(target) = target else { return Ok(ExitCode::SUCCESS) };
    let policy = SendPolicy {
        ack_timeout: std::time::Duration::from_secs_f64(args.ack_timeout),
        max_attempts: args.attempts.max(1),
        backoff: Backoff { initial: std::time::Duration::from_millis(500), max: std::time::Duration::from_secs(30) },
        ..SendPolicy::default()
    };
    let report = send_pending(&exporter.store, &target, &policy)?;
    for control_id in &report.delivered {
        println!("sent   {control_id} (AA)");
    }
    for (control_id, reason) in &report.refused {
        println!("refused {control_id}: {reason}");
    }
    for (control_id, error) in &report.pending {
        println!("pending {control_id}: {error}");
    }
    Ok(if report.refused.is_empty() && report.pending.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn hl7_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let hl7_dir = dir.join("hl7");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&hl7_dir)
        .with_context(|| format!("no HL7 messages in {} (convert with --format hl7, or export --rewrite)", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "hl7"))
        .collect();
    // Names start with the patient and date; the data type orders them
    // patient first (ADT), as an EHR wants the patient before the rest.
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

/// Queues each stored message with the control id it was written with, so
/// a resend is byte for byte the same message.
fn queue(store: &Store, target: &MllpTarget, document_id: &str, files: &[PathBuf]) -> anyhow::Result<()> {
    for file in files {
        let payload = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let message = torikomi_hl7::decode(&payload).with_context(|| format!("{} is not HL7", file.display()))?;
        let data_type = file
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.split('_').nth(2))
            .unwrap_or("unknown")
            .to_owned();
        store.enqueue(&NewMessage {
            destination: &target.destination(),
            document_id,
            data_type: &data_type,
            control_id: message.control_id(),
            payload: &payload,
        })?;
    }
    Ok(())
}
