#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("tesseract could not load language '{language}' ({message}); install it with `apt-get install tesseract-ocr-{language}`")]
    LanguageMissing { language: String, message: String },
    #[error("tesseract failed to read the page: {message}")]
    Recognize { message: String },
    #[error("page orientation could not be detected: {message}")]
    Orientation { message: String },
}
