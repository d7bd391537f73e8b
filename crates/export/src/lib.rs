//! Writers that turn an approved [`ClinicalRecord`] into what a Japanese
//! hospital EHR takes in: MML v4.2 XML, HL7 v2.5 messages in SS-MIX2 /
//! JAHIS style, and a JP-CLINS FHIR R4 eReferral Bundle.
//!
//! Writers are pure: they read the record and an [`ExportContext`] and
//! write to the `Write` they are given (or return a value); delivery to
//! folders and interface engines lives elsewhere.

pub mod codes;
mod error;
pub mod fhir;
pub mod hl7;
pub mod mml;
mod text;

pub use codes::CodeTables;
pub use error::ExportError;

use chrono::{DateTime, FixedOffset};
use torikomi_record::ClinicalRecord;

/// The hospital taking the document in, as its EHR knows itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facility {
    /// 医療機関名.
    pub name: String,
    /// 医療機関コード (10 digits: prefecture, point table, code), or the
    /// hospital's own identifier; empty when not configured.
    pub code: String,
}

/// What a writer needs besides the record: who writes, when, and under
/// which identifier. Passed in so that output is reproducible.
#[derive(Debug, Clone)]
pub struct ExportContext {
    pub facility: Facility,
    /// A stable identifier of the source document (e.g. a prefix of its
    /// content hash): the same document always exports under the same id.
    pub document_id: String,
    /// When the export was made.
    pub created: DateTime<FixedOffset>,
    /// The hospital's own disease, drug and lab codes.
    pub codes: CodeTables,
}

/// A record with its context: what every writer takes.
pub struct Export<'a> {
    pub record: &'a ClinicalRecord,
    pub context: &'a ExportContext,
}
