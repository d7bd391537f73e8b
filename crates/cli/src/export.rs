//! Writing a structured document out as MML, HL7 and FHIR beside its
//! record.json, and delivering it: `torikomi export` re-writes and
//! re-sends on demand.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use torikomi_deliver::{Backoff, MllpTarget, SendPolicy, drop_file, send_pending};
use torikomi_export::{CodeTables, Facility};
use torikomi_hl7::Charset;
use torikomi_pipeline::ConvertedDocument;
use torikomi_pipeline::output::{Exporter, OutputConfig, OutputFormat, enqueue_hl7, hl7_files};
use torikomi_store::Store;

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
    /// The local database this run uses.
    pub fn store_path(&self) -> PathBuf {
        self.store.clone().unwrap_or_else(default_store_path)
    }

    /// Reads the code table and opens the store.
    pub fn exporter(&self) -> anyhow::Result<Exporter> {
        let codes = match &self.codes {
            Some(path) => {
                let csv = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
                CodeTables::from_csv(&csv, path)?
            }
            None => CodeTables::default(),
        };
        let formats = self
            .format
            .iter()
            .map(|format| match format {
                Format::Json => OutputFormat::Json,
                Format::Mml => OutputFormat::Mml,
                Format::Hl7 => OutputFormat::Hl7,
                Format::Fhir => OutputFormat::Fhir,
            })
            .collect();
        let charset = match self.charset {
            CharsetArg::Utf8 => Charset::Utf8,
            CharsetArg::Iso2022Jp => Charset::Iso2022Jp,
        };
        let facility = Facility { name: self.facility_name.clone(), code: self.facility_code.clone() };
        let store = Store::open(&self.store_path())?;
        Ok(Exporter::new(OutputConfig { formats, charset, facility, codes }, store))
    }
}

/// The database in the data folder the desktop app shares.
pub fn default_store_path() -> PathBuf {
    torikomi_pipeline::runtime::data_dir().join("torikomi.db")
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
    let exporter = args.output.exporter()?;
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
        let hl7_files = hl7_files(dir)
            .with_context(|| format!("no HL7 messages in {} (convert with --format hl7, or export --rewrite)", dir.display()))?;
        if let Some(folder) = &args.folder {
            for file in &hl7_files {
                let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
                let name = file.file_name().expect("a file").to_string_lossy();
                let path = drop_file(folder, &name, &bytes)?;
                println!("copied {}", path.display());
            }
        }
        if let Some(target) = &target {
            enqueue_hl7(exporter.store(), &target.destination(), &document.id, &hl7_files)?;
        }
    }
    let Some(target) = target else { return Ok(ExitCode::SUCCESS) };
    let policy = SendPolicy {
        ack_timeout: std::time::Duration::from_secs_f64(args.ack_timeout),
        max_attempts: args.attempts.max(1),
        backoff: Backoff { initial: std::time::Duration::from_millis(500), max: std::time::Duration::from_secs(30) },
        ..SendPolicy::default()
    };
    let report = send_pending(exporter.store(), &target, &policy)?;
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
