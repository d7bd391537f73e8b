use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum DeliverError {
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{target} is not an MLLP address (expected host:port)")]
    BadTarget { target: String },
    #[error(transparent)]
    Store(#[from] torikomi_store::StoreError),
}
