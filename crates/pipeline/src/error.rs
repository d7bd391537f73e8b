use torikomi_intake::IntakeError;
use torikomi_ocr::OcrError;

/// Why one document could not be converted; the batch goes on without it.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error(transparent)]
    Intake(#[from] IntakeError),
    #[error("{file}: page {page}: {source}")]
    Ocr { file: String, page: usize, source: OcrError },
    #[error("{file}: no text found on any page (blank, or too faint to read)")]
    NoText { file: String },
    #[error("{file}: cannot read for its content hash: {source}")]
    Hash { file: String, source: std::io::Error },
    #[error("no input files")]
    NoInput,
}
