use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("tesseract could not load language '{language}' ({message}); install it with `apt-get install tesseract-ocr-{language}`")]
    LanguageMissing { language: String, message: String },
    #[error("the OCR model {path} is missing; {hint}")]
    ModelMissing { path: PathBuf, hint: &'static str },
    #[error("the OCR model {path} cannot be used: {reason}")]
    ModelInvalid { path: PathBuf, reason: String },
    #[error("ONNX Runtime ({library}) cannot be loaded: {reason}; {hint}")]
    RuntimeMissing { library: PathBuf, reason: String, hint: &'static str },
    #[error("OCR failed to read the page: {message}")]
    Recognize { message: String },
    #[error("page orientation could not be detected: {message}")]
    Orientation { message: String },
}
