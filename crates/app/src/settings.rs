//! What hospital IT sets once: the model and its GPU layers, the OCR
//! engine, the facility, the export formats and targets, the HL7 character
//! set and the language. Kept in the store one key per setting, so the
//! audit log shows each change with its old and new value.

use std::path::PathBuf;
use std::str::FromStr;

use torikomi_deliver::MllpTarget;
use torikomi_export::{CodeTables, Facility};
use torikomi_hl7::Charset;
use torikomi_llm::GpuLayers;
use torikomi_ocr::EngineChoice;
use torikomi_pipeline::output::{OutputConfig, OutputFormat};
use torikomi_store::Store;

use crate::AppError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSettings {
    /// A GGUF file; empty: the manifest's default model.
    pub model_path: String,
    /// Off: structure with the labelled-value rules alone.
    pub use_model: bool,
    /// "auto" or a number of layers.
    pub gpu_layers: String,
    /// auto, ppocr or tesseract.
    pub ocr_engine: String,
    pub facility_name: String,
    /// 10 digits, or empty.
    pub facility_code: String,
    /// Of json, mml, hl7, fhir.
    pub formats: Vec<String>,
    /// Where approved documents are written; empty: `exports/` in the data folder.
    pub export_folder: String,
    /// The interface engine's MLLP listener; empty host: no MLLP.
    pub mllp_host: String,
    pub mllp_port: Option<u16>,
    /// utf-8 or iso-2022-jp.
    pub hl7_charset: String,
    /// ja or en.
    pub language: String,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            model_path: String::new(),
            use_model: true,
            gpu_layers: "auto".to_owned(),
            ocr_engine: "auto".to_owned(),
            facility_name: String::new(),
            facility_code: String::new(),
            formats: OutputFormat::ALL.iter().map(|format| format.name().to_owned()).collect(),
            export_folder: String::new(),
            mllp_host: String::new(),
            mllp_port: None,
            hl7_charset: "utf-8".to_owned(),
            language: "ja".to_owned(),
        }
    }
}

fn invalid(setting: &'static str, reason: impl Into<String>) -> AppError {
    AppError::InvalidSetting { setting, reason: reason.into() }
}

impl AppSettings {
    /// The stored settings, defaults where none is stored.
    ///
    /// # Errors
    /// The store cannot be read.
    pub fn load(store: &Store) -> Result<AppSettings, AppError> {
        let mut settings = AppSettings::default();
        let text = |key: &str, into: &mut String| -> Result<(), AppError> {
            if let Some(value) = store.setting(key)? {
                *into = value;
            }
            Ok(())
        };
        text("model_path", &mut settings.model_path)?;
        text("gpu_layers", &mut settings.gpu_layers)?;
        text("ocr_engine", &mut settings.ocr_engine)?;
        text("facility_name", &mut settings.facility_name)?;
        text("facility_code", &mut settings.facility_code)?;
        text("export_folder", &mut settings.export_folder)?;
        text("mllp_host", &mut settings.mllp_host)?;
        text("hl7_charset", &mut settings.hl7_charset)?;
        text("language", &mut settings.language)?;
        if let Some(value) = store.setting("use_model")? {
            settings.use_model = value == "true";
        }
        if let Some(value) = store.setting("formats")? {
            settings.formats = value.split(',').filter(|format| !format.is_empty()).map(str::to_owned).collect();
        }
        if let Some(value) = store.setting("mllp_port")? {
            settings.mllp_port = value.parse().ok();
        }
        Ok(settings)
    }

    /// Checks every setting, then stores those that changed.
    ///
    /// # Errors
    /// A setting is not valid (nothing is stored then), or the store
    /// cannot be written.
    pub fn save(&self, store: &Store) -> Result<(), AppError> {
        self.validate()?;
        let port = self.mllp_port.map(|port| port.to_string()).unwrap_or_default();
        let pairs = [
            ("model_path", self.model_path.as_str()),
            ("use_model", if self.use_model { "true" } else { "false" }),
            ("gpu_layers", &self.gpu_layers),
            ("ocr_engine", &self.ocr_engine),
            ("facility_name", &self.facility_name),
            ("facility_code", &self.facility_code),
            ("formats", &self.formats.join(",")),
            ("export_folder", &self.export_folder),
            ("mllp_host", &self.mllp_host),
            ("mllp_port", &port),
            ("hl7_charset", &self.hl7_charset),
            ("language", &self.language),
        ];
        for (key, value) in pairs {
            store.set_setting(key, value)?;
        }
        Ok(())
    }

    /// # Errors
    /// The first setting that is not valid, with why.
    pub fn validate(&self) -> Result<(), AppError> {
        self.gpu_layers()?;
        self.ocr_engine()?;
        self.output_formats()?;
        self.charset()?;
        self.mllp_target()?;
        if !(self.facility_code.is_empty() || (self.facility_code.len() == 10 && self.facility_code.bytes().all(|b| b.is_ascii_digit()))) {
            return Err(invalid("facility code", "10 digits (医療機関コード), or empty"));
        }
        if !matches!(self.language.as_str(), "ja" | "en") {
            return Err(invalid("language", "ja or en"));
        }
        Ok(())
    }

    pub fn gpu_layers(&self) -> Result<GpuLayers, AppError> {
        match self.gpu_layers.trim() {
            "auto" | "" => Ok(GpuLayers::Auto),
            count => count.parse().map(GpuLayers::Count).map_err(|_| invalid("GPU layers", "auto or a number")),
        }
    }

    pub fn ocr_engine(&self) -> Result<EngineChoice, AppError> {
        EngineChoice::from_str(&self.ocr_engine).map_err(|reason| invalid("OCR engine", reason.to_string()))
    }

    fn output_formats(&self) -> Result<Vec<OutputFormat>, AppError> {
        self.formats
            .iter()
            .map(|name| {
                OutputFormat::ALL
                    .into_iter()
                    .find(|format| format.name() == name)
                    .ok_or_else(|| invalid("formats", format!("{name}: one of json, mml, hl7, fhir")))
            })
            .collect()
    }

    fn charset(&self) -> Result<Charset, AppError> {
        match self.hl7_charset.as_str() {
            "utf-8" => Ok(Charset::Utf8),
            "iso-2022-jp" => Ok(Charset::Iso2022Jp),
            _ => Err(invalid("HL7 character set", "utf-8 or iso-2022-jp")),
        }
    }

    /// The MLLP destination, when a host is set.
    pub fn mllp_target(&self) -> Result<Option<MllpTarget>, AppError> {
        let host = self.mllp_host.trim();
        if host.is_empty() {
            return Ok(None);
        }
        let port = self.mllp_port.ok_or_else(|| invalid("MLLP port", "a port is needed with a host"))?;
        MllpTarget::parse(&format!("{host}:{port}")).map(Some).map_err(|error| invalid("MLLP host", error.to_string()))
    }

    /// The model file to load: the one set, else the default one in `models_dir`.
    pub fn model_file(&self, models_dir: Option<PathBuf>) -> PathBuf {
        if self.model_path.trim().is_empty() {
            models_dir.unwrap_or_else(|| PathBuf::from("models")).join(torikomi_pipeline::runtime::DEFAULT_MODEL_FILE)
        } else {
            PathBuf::from(self.model_path.trim())
        }
    }

    pub fn output_config(&self) -> Result<OutputConfig, AppError> {
        Ok(OutputConfig {
            formats: self.output_formats()?,
            charset: self.charset()?,
            facility: Facility { name: self.facility_name.clone(), code: self.facility_code.clone() },
            codes: CodeTables::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_reopening_and_bad_ones_are_refused_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let settings = AppSettings {
            facility_code: "1312345678".into(),
            mllp_host: "127.0.0.1".into(),
            mllp_port: Some(2575),
            formats: vec!["mml".into(), "hl7".into()],
            use_model: false,
            ..AppSettings::default()
        };
        settings.save(&Store::open(&path).unwrap()).unwrap();
        assert_eq!(AppSettings::load(&Store::open(&path).unwrap()).unwrap(), settings);
        let bad = AppSettings { facility_code: "12345".into(), language: "fr".into(), ..settings.clone() };
        assert!(matches!(bad.save(&Store::open(&path).unwrap()), Err(AppError::InvalidSetting { setting: "facility code", .. })));
        assert_eq!(AppSettings::load(&Store::open(&path).unwrap()).unwrap(), settings);
    }
}
