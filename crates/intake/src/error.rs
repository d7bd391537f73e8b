use std::path::PathBuf;

/// Why a file could not be turned into pages. Every variant names the file,
/// so one line is enough to tell a person what to fix.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: the file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: {bytes} bytes is over the {limit}-byte limit")]
    FileTooLarge { path: PathBuf, bytes: u64, limit: u64 },
    #[error("{path}: not a PDF, PNG, JPEG or TIFF ({found})")]
    UnsupportedFormat { path: PathBuf, found: String },
    #[error("{path}: the PDF is password-protected; save an unprotected copy and import that")]
    PdfEncrypted { path: PathBuf },
    #[error("{path}: the PDF is damaged or truncated ({message})")]
    PdfDamaged { path: PathBuf, message: String },
    #[error("{path}: the PDF has no pages")]
    PdfNoPages { path: PathBuf },
    #[error("{path}: the PDF contains JavaScript; Torikomi does not take in PDFs with active content")]
    PdfJavaScript { path: PathBuf },
    #[error("{path}: the PDF's compressed objects inflate to over {limit} bytes, too many to check for active content")]
    PdfObjectStreamsTooLarge { path: PathBuf, limit: u64 },
    #[error("{path}: the PDF has embedded files ({count}); Torikomi does not take in PDFs with attachments")]
    PdfAttachments { path: PathBuf, count: usize },
    #[error("{path}: {pages} pages is over the {limit}-page limit; split the document")]
    TooManyPages { path: PathBuf, pages: usize, limit: usize },
    #[error("{path}: page {page}: {width}×{height} pixels is over the {limit}-pixel limit")]
    PageTooLarge { path: PathBuf, page: usize, width: u64, height: u64, limit: u64 },
    #[error("{path}: page {page}: the image is damaged ({message})")]
    ImageDamaged { path: PathBuf, page: usize, message: String },
    #[error("{path}: page {page}: unsupported pixel format {format}")]
    UnsupportedPixels { path: PathBuf, page: usize, format: String },
    #[error("{path}: page {page}: the PDF renderer failed ({message})")]
    PdfRender { path: PathBuf, page: usize, message: String },
    #[error("the PDF renderer (libpdfium) is not available: {reason}; run `python3 models/fetch.py` to fetch it")]
    PdfRendererMissing { reason: String },
}
