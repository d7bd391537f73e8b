//! Japanese normalisers: printed values to canonical ones.
//!
//! Each takes text as OCR read it (full-width digits, half-width katakana,
//! era dates, choices circled on forms) and returns the canonical value, or
//! nothing or an error where the text does not say: they never guess.

mod date;
mod kana;
mod name;
mod number;
mod sex;
mod unit;
mod width;

pub use date::{
    Date, DateError, DateWarning, Era, FoundDate, check_printed_age, find_dates, parse_date,
};
pub use kana::{is_kana_reading, to_katakana};
pub use name::normalise_person_name;
pub use number::parse_kanji_number;
pub use sex::{Sex, parse_sex};
pub use unit::normalise_unit;
pub use width::{normalise_phone, to_half_width};
