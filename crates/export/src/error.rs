use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ExportError {
    #[error("writing {format}: {source}")]
    Io {
        format: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("code table {}:{line}: {message}", path.display())]
    CodeTable { path: PathBuf, line: usize, message: String },
}
