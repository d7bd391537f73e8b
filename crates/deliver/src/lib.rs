//! Delivery of exported files and messages to where the EHR takes them
//! in: a folder drop (each file appears whole or not at all) and an MLLP
//! sender that works through the store's persistent outbox.
//!
//! This is the only crate that opens a network connection, and only to
//! the interface engine the hospital configured.

mod error;
mod folder;
mod mllp;

pub use error::DeliverError;
pub use folder::drop_file;
pub use mllp::{Backoff, MllpTarget, SendPolicy, SendReport, send_pending};
