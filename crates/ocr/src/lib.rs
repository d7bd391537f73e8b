//! OCR: page images → lines of text with boxes and confidences. Engines sit
//! behind [`OcrEngine`] so the pipeline does not know which one it has;
//! [`TesseractEngine`] uses the system libtesseract, [`PpOcrEngine`] the
//! PP-OCRv6 models through ONNX Runtime.
//!
//! ```no_run
//! use torikomi_ocr::{OcrEngine, TesseractConfig, TesseractEngine};
//! # fn page() -> torikomi_page::PageImage { unimplemented!() }
//! let mut engine = TesseractEngine::new(TesseractConfig::default())?;
//! let page = page();
//! let turn = engine.detect_orientation(&page)?;
//! let lines = engine.recognize(&page)?;
//! # Ok::<(), torikomi_ocr::OcrError>(())
//! ```

mod error;
mod osd;
mod ppocr;
mod tesseract_engine;

pub use error::OcrError;
/// Tesseract's page segmentation modes, for [`TesseractConfig::page_segmentation`].
pub use tesseract::PageSegMode;
pub use ppocr::{PpOcrConfig, PpOcrEngine};
pub use tesseract_engine::{TesseractConfig, TesseractEngine};
use torikomi_page::{PageImage, TextLine};

/// How far a page is turned from upright.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Orientation {
    /// Clockwise degrees (0, 90, 180, 270) to turn the page by to make it upright.
    pub clockwise_turn: u16,
    /// The engine's own confidence; only comparable within one engine.
    pub confidence: f32,
}

/// An OCR engine. Engines keep loaded models between pages, so one engine
/// serves many pages; they are not shared between threads.
pub trait OcrEngine {
    /// A short name recorded with every page this engine read.
    fn name(&self) -> String;

    /// # Errors
    /// When the engine cannot analyse the image at all.
    fn detect_orientation(&mut self, page: &PageImage) -> Result<Orientation, OcrError>;

    /// Lines in the engine's own order; reading order is decided later, the
    /// same way for every engine.
    ///
    /// # Errors
    /// When the engine fails on the page.
    fn recognize(&mut self, page: &PageImage) -> Result<Vec<TextLine>, OcrError>;
}

/// Which engine reads a page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EngineChoice {
    Tesseract,
    PpOcr,
    /// PP-OCR where its models and runtime are installed, else Tesseract.
    /// PP-OCR reads every form of the fixtures better (see the README's
    /// OCR benchmark), so the choice is by what is installed, not by page.
    #[default]
    Auto,
}

impl EngineChoice {
    pub fn name(self) -> &'static str {
        match self {
            EngineChoice::Tesseract => "tesseract",
            EngineChoice::PpOcr => "ppocr",
            EngineChoice::Auto => "auto",
        }
    }
}

impl std::str::FromStr for EngineChoice {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        match name {
            "tesseract" => Ok(EngineChoice::Tesseract),
            "ppocr" => Ok(EngineChoice::PpOcr),
            "auto" => Ok(EngineChoice::Auto),
            other => Err(format!("unknown OCR engine '{other}' (tesseract, ppocr, auto)")),
        }
    }
}

/// Starts the chosen engine with its models loaded.
///
/// # Errors
/// The engine's models or runtime are missing; the message says how to
/// fetch them. `Auto` without PP-OCR's files warns and starts Tesseract.
pub fn start_engine(
    choice: EngineChoice,
    tesseract: &TesseractConfig,
    ppocr: &PpOcrConfig,
) -> Result<Box<dyn OcrEngine + Send>, OcrError> {
    Ok(match choice {
        EngineChoice::Tesseract => Box::new(TesseractEngine::new(tesseract.clone())?),
        EngineChoice::PpOcr => Box::new(PpOcrEngine::new(ppocr)?),
        EngineChoice::Auto => match PpOcrEngine::new(ppocr) {
            Ok(engine) => Box::new(engine),
            Err(missing @ (OcrError::ModelMissing { .. } | OcrError::RuntimeMissing { .. })) => {
                tracing::warn!("reading with Tesseract: {missing}");
                Box::new(TesseractEngine::new(tesseract.clone())?)
            }
            Err(other) => return Err(other),
        },
    })
}
