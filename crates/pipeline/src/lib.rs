//! The conversion pipeline: file(s) → pages → OCR lines in reading order →
//! the clinical record, together the document that `record.json` holds. The same code runs behind the
//! command line and the desktop app.
//!
//! ```no_run
//! use torikomi_pipeline::{Converter, ConverterConfig};
//! let mut converter = Converter::new(ConverterConfig::default())?;
//! let document = converter.convert(&["letter.pdf".into()])?;
//! println!("{}", document.pages[0].text);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod batch;
mod error;
pub mod output;
pub mod quality;
pub mod record_quality;
pub mod runtime;

use std::path::PathBuf;

pub use error::ConvertError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use torikomi_extract::{Extractor, ModelAssistError};
use torikomi_intake::{Intake, IntakeConfig, IntakePage, prepare};
use torikomi_ocr::{EngineChoice, OcrEngine, OcrError, PpOcrConfig, TesseractConfig, start_engine};
use image::GrayImage;
use torikomi_page::{Capture, PageImage, PageText, TextSource, order_for_reading, split_fax_header};
use torikomi_record::ClinicalRecord;

/// Below this OSD confidence a page is left as it is: turning an upright
/// page upside down is worse than leaving a rare sideways one.
const MIN_ORIENTATION_CONFIDENCE: f32 = 1.5;

/// What `record.json` holds: the pages as read, and the clinical record
/// made of them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConvertedDocument {
    /// The first 16 hex digits of the SHA-256 of the input files' bytes:
    /// the same document always has the same id, wherever it was read from.
    #[serde(default)]
    pub id: String,
    /// The input files, in page order.
    pub sources: Vec<String>,
    pub pages: Vec<PageText>,
    /// None until [`ConvertedDocument::structure`] has run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<ClinicalRecord>,
    /// JPEG pictures of the pages as they were read (turned upright, the
    /// boxes' frame, scaled down), when [`ConverterConfig::keep_page_images`]
    /// asks for them; one per page.
    #[serde(skip)]
    pub page_images: Vec<Vec<u8>>,
}

impl ConvertedDocument {
    /// Makes the clinical record of the pages. Never fails: what cannot be
    /// structured is left out and the record's notes say why.
    pub fn structure(&mut self, extractor: &mut Extractor) {
        let _span = tracing::debug_span!("structure").entered();
        self.record = Some(extractor.extract(&self.pages));
    }

    /// As [`ConvertedDocument::structure`], except that a model server that
    /// cannot be reached is an error and the record stays unmade, so that
    /// the document can wait for the server.
    ///
    /// # Errors
    /// Only an unavailable model server.
    pub fn try_structure(&mut self, extractor: &mut Extractor) -> Result<(), ModelAssistError> {
        let _span = tracing::debug_span!("structure").entered();
        self.record = Some(extractor.try_extract(&self.pages)?);
        Ok(())
    }
}

#[derive(Debug, Clone, Default)]
pub struct ConverterConfig {
    pub intake: IntakeConfig,
    /// Keep a picture of every page for a person's review (the desktop app).
    pub keep_page_images: bool,
    pub ocr: EngineChoice,
    pub tesseract: TesseractConfig,
    pub ppocr: PpOcrConfig,
}

/// Converts documents one after another, keeping the OCR models loaded.
/// One per worker thread.
pub struct Converter {
    intake: Intake,
    engine: Box<dyn OcrEngine + Send>,
    keep_page_images: bool,
}

impl Converter {
    /// # Errors
    /// When the OCR engine cannot load its models.
    pub fn new(mut config: ConverterConfig) -> Result<Self, OcrError> {
        let engine = start_engine(config.ocr, &config.tesseract, &config.ppocr)?;
        config.intake.render_text_pages = config.keep_page_images;
        Ok(Self { intake: Intake::new(config.intake), engine, keep_page_images: config.keep_page_images })
    }

    /// Converts one document made of `files` (usually one file; several
    /// images can be the pages of one document, in order).
    ///
    /// # Errors
    /// When any file cannot be read or any page fails OCR: a document with
    /// a missing page is not a document to file in a patient's record.
    pub fn convert(&mut self, files: &[PathBuf]) -> Result<ConvertedDocument, ConvertError> {
        if files.is_empty() {
            return Err(ConvertError::NoInput);
        }
        let mut pages = Vec::new();
        let mut page_images = Vec::new();
        let mut content_hash = Sha256::new();
        for file in files {
            // File names often carry the patient's name: debug level only.
            let _span = tracing::debug_span!("convert_file", file = %file.display()).entered();
            for page in self.intake.read_file(file)? {
                let page_number = pages.len() + 1;
                let (text, image) = match page {
                    IntakePage::Text { text, image } => (text, image),
                    IntakePage::Image(image) => self.read_image(image).map_err(|source| ConvertError::Ocr {
                        file: file.display().to_string(),
                        page: page_number,
                        source,
                    })?,
                };
                if self.keep_page_images {
                    page_images.push(image.map(|image| preview_jpeg(&image.image)).unwrap_or_default());
                }
                pages.push(text);
            }
        }
        for file in files {
            // Intake has read and checked each file; reading it again for
            // the hash costs little next to OCR and keeps intake's limits
            // ahead of any full read.
            let bytes = std::fs::read(file).map_err(|source| ConvertError::Hash { file: file.display().to_string(), source })?;
            content_hash.update(&bytes);
        }
        if pages.iter().all(|page| page.text.trim().is_empty()) {
            return Err(ConvertError::NoText { file: files[0].display().to_string() });
        }
        let id = content_hash.finalize().iter().take(8).map(|byte| format!("{byte:02x}")).collect();
        Ok(ConvertedDocument {
            id,
            sources: files.iter().map(|f| f.display().to_string()).collect(),
            pages,
            record: None,
            page_images,
        })
    }

    /// Reads one page image; returns the text and, when pictures are kept,
    /// the image in the frame the text's boxes refer to.
    fn read_image(&mut self, image: PageImage) -> Result<(PageText, Option<PageImage>), OcrError> {
        let _span = tracing::debug_span!("ocr_page").entered();
        let image = match image.capture {
            Capture::Fax => prepare::despeckle(image),
            _ => prepare::flatten_photo(image),
        };
        // A page with too little text has no orientation to find; read it as it is.
        let turn = match self.engine.detect_orientation(&image) {
            Ok(found) if found.confidence >= MIN_ORIENTATION_CONFIDENCE => found.clockwise_turn,
            Ok(_) | Err(OcrError::Orientation { .. }) => 0,
            Err(other) => return Err(other),
        };
        let image = prepare::rotate_clockwise(image, turn);
        let (image, skew) = prepare::deskew(image);
        tracing::debug!(turn, skew, "page prepared");
        let mut lines = self.engine.recognize(&image)?;
        if image.capture == Capture::Fax {
            split_fax_header(&mut lines, image.image.height());
        }
        let lines = order_for_reading(lines, image.image.width());
        let mut page = PageText::from_ordered_lines(
            image.image.width(),
            image.image.height(),
            image.dpi,
            TextSource::Ocr { engine: self.engine.name() },
            lines,
        );
        page.rotated_by = turn;
        Ok((page, self.keep_page_images.then_some(image)))
    }
}

/// Wide enough to read a form's small print beside the record, small
/// enough (100–300 KB) to keep for every page.
const PREVIEW_WIDTH: u32 = 1240;

fn preview_jpeg(image: &GrayImage) -> Vec<u8> {
    let scaled;
    let image = if image.width() > PREVIEW_WIDTH {
        let height = (u64::from(image.height()) * u64::from(PREVIEW_WIDTH) / u64::from(image.width())).max(1) as u32;
        scaled = image::imageops::resize(image, PREVIEW_WIDTH, height, image::imageops::FilterType::Triangle);
        &scaled
    } else {
        image
    };
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(image)
        .expect("encoding to memory does not fail");
    jpeg
}
