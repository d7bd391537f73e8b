use thiserror::Error;
use torikomi_pipeline::output::OutputError;
use torikomi_store::StoreError;

/// What went wrong, in terms a front end can show and act on: every
/// variant has a stable [`AppError::code`].
#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no document {0}")]
    NoSuchDocument(i64),
    #[error("document {id} is {state}, not waiting for review")]
    NotInReview { id: i64, state: &'static str },
    #[error("the record has no field {0}")]
    NoSuchField(String),
    #[error("{value:?} is not a valid {field}: {reason}")]
    InvalidValue { field: String, value: String, reason: String },
    #[error("{setting}: {reason}")]
    InvalidSetting { setting: &'static str, reason: String },
    #[error("the stored record of document {id} is unreadable: {reason}")]
    CorruptRecord { id: i64, reason: String },
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Store(_) => "store",
            AppError::NoSuchDocument(_) => "no_such_document",
            AppError::NotInReview { .. } => "not_in_review",
            AppError::NoSuchField(_) => "no_such_field",
            AppError::InvalidValue { .. } => "invalid_value",
            AppError::InvalidSetting { .. } => "invalid_setting",
            AppError::CorruptRecord { .. } => "corrupt_record",
            AppError::Output(_) => "export",
        }
    }
}
