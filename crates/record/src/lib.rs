//! The clinical record Torikomi makes of a document: typed documents
//! (referral letter, lab report, medication list, discharge summary) that
//! share one patient block, where every value carries its provenance (page,
//! box, character span in the page text) and a confidence.
//!
//! `record` knows nothing of OCR engines, models or export formats; it is
//! the contract between extraction and everything after it.
//!
//! ```
//! use torikomi_record::{Field, normalise::parse_date};
//! let birth = parse_date("昭和30年4月12日生").unwrap();
//! let field = Field::found(birth.date, "昭和30年4月12日".to_owned(), None, 0.9);
//! assert_eq!(field.value.to_string(), "1955-04-12");
//! assert!(!field.is_grounded());
//! ```

pub mod normalise;
mod record;

pub use normalise::{Date, DateWarning, Sex};
pub use record::*;
