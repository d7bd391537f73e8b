//! Intake: files as they arrive at a hospital → pages. A born-digital PDF
//! page yields its own text layer; every other page (scanned PDF, photo,
//! PNG, multi-page fax TIFF) yields a square-pixel grey image ready for
//! OCR. Hostile files are refused before anything large is allocated.
//!
//! ```no_run
//! use torikomi_intake::{Intake, IntakeConfig, IntakePage};
//! let intake = Intake::new(IntakeConfig { pdfium_library: "models/runtime/libpdfium.so".into(), ..Default::default() });
//! for page in intake.read_file("referral.pdf".as_ref())? {
//!     match page {
//!         IntakePage::Text { text, .. } => println!("{}", text.text),
//!         IntakePage::Image(image) => println!("{}×{} to OCR", image.image.width(), image.image.height()),
//!     }
//! }
//! # Ok::<(), torikomi_intake::IntakeError>(())
//! ```

mod error;
mod format;
mod limits;
mod pdf;
mod pdf_javascript;
pub mod prepare;
mod raster;

use std::path::{Path, PathBuf};

pub use error::IntakeError;
pub use format::FileFormat;
pub use limits::IntakeLimits;
pub use pdf::RENDER_DPI;
pub use raster::OCR_DPI;
use torikomi_page::{PageImage, PageText};

/// One page as intake hands it on.
#[derive(Debug)]
pub enum IntakePage {
    /// A born-digital PDF page: its text layer, already in reading order,
    /// and its picture when [`IntakeConfig::render_text_pages`] asks for it.
    Text { text: PageText, image: Option<PageImage> },
    /// Pixels that need OCR.
    Image(PageImage),
}

#[derive(Debug, Clone, Default)]
pub struct IntakeConfig {
    pub limits: IntakeLimits,
    /// `libpdfium.so`; bound on first use, once per process.
    pub pdfium_library: PathBuf,
    /// Also render born-digital pages, for a person to see beside their text.
    pub render_text_pages: bool,
}

pub struct Intake {
    config: IntakeConfig,
}

impl Intake {
    pub fn new(config: IntakeConfig) -> Self {
        Self { config }
    }

    /// Reads every page of one file.
    ///
    /// # Errors
    /// When the file cannot be read, is not a supported format, breaks a
    /// limit, is encrypted or damaged, or is a PDF with JavaScript or
    /// embedded files; the error names the file and why.
    pub fn read_file(&self, path: &Path) -> Result<Vec<IntakePage>, IntakeError> {
        let limits = &self.config.limits;
        let io_error = |source| IntakeError::Io { path: path.into(), source };
        let size = std::fs::metadata(path).map_err(io_error)?.len();
        if size > limits.max_file_bytes {
            return Err(IntakeError::FileTooLarge { path: path.into(), bytes: size, limit: limits.max_file_bytes });
        }
        let bytes = std::fs::read(path).map_err(io_error)?;
        if bytes.is_empty() {
            return Err(IntakeError::Empty { path: path.into() });
        }
        let format = FileFormat::sniff(&bytes)
            .map_err(|found| IntakeError::UnsupportedFormat { path: path.into(), found })?;
        tracing::debug!(?format, bytes = bytes.len(), "intake");
        let images = match format {
            FileFormat::Pdf => {
                let pdfium = pdf::bind_pdfium(&self.config.pdfium_library)?;
                return pdf::read_pdf(path, &bytes, pdfium, &self.config);
            }
            FileFormat::Png | FileFormat::Jpeg => raster::read_png_or_jpeg(path, &bytes, limits)?,
            FileFormat::Tiff => raster::read_tiff(path, &bytes, limits)?,
        };
        Ok(images.into_iter().map(IntakePage::Image).collect())
    }
}
