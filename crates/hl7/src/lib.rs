//! HL7 v2.5 messages as Japanese hospitals exchange them (SS-MIX2, JAHIS):
//! an in-memory model, an encoder to UTF-8 or ISO-2022-JP, a reader, MLLP
//! framing with acknowledgements, and a segment order checker.
//!
//! This crate knows nothing about clinical records: it moves segments and
//! fields; which segments a referral or a lab result needs is decided by
//! the code that composes messages with it.
//!
//! ```
//! use torikomi_hl7::{Charset, Field, Message, Segment, decode, encode};
//!
//! let charset = Charset::Iso2022Jp;
//! let msh = Segment::new("MSH")
//!     .with(3, Field::text("TORIKOMI"))
//!     .with(9, Field::components(["ADT", "A08", "ADT_A01"]))
//!     .with(10, Field::text("20240401000001"))
//!     .with(12, Field::text("2.5"))
//!     .with(18, charset.msh18())
//!     .with(20, charset.msh20());
//! let pid = Segment::new("PID").with(
//!     5,
//!     Field::repetitions([
//!         ["山田", "太郎", "", "", "", "", "L", "I"],
//!         ["ヤマダ", "タロウ", "", "", "", "", "L", "P"],
//!     ]),
//! );
//! let message = Message::new(vec![msh, pid]);
//!
//! let bytes = encode(&message, charset)?;
//! let read = decode(&bytes)?;
//! assert_eq!(read, message);
//! assert_eq!(read.message_type(), "ADT^A08");
//! assert_eq!(read.segment("PID").unwrap().text(5), "山田");
//! # Ok::<(), torikomi_hl7::Hl7Error>(())
//! ```
//!
//! # Text and escapes
//!
//! The model holds unescaped text. The encoder escapes the five delimiters
//! (`\F\ \S\ \R\ \E\ \T\`) and writes line breaks as `\.br\`; the reader
//! turns those back (`\.br\` into `\n`) and keeps any other escape sequence
//! (`\X0D0A\`, `\H\`, …) as literal text. Trailing empty subcomponents,
//! components, repetitions and fields are never stored nor written.
//! MSH-1 and MSH-2 read as `|` and `^~\&` whatever the sender used, because
//! the text they delimit is stored unescaped.

mod ack;
mod decode;
mod encode;
mod error;
mod escape;
pub mod mllp;
mod model;
pub mod segment_order;

pub use ack::{AckCode, ack};
pub use decode::decode;
pub use encode::{Charset, encode};
pub use error::{FieldLocation, Hl7Error, SegmentOrderError};
pub use model::{Component, Field, Message, Repetition, Segment};
pub use segment_order::SegmentOrderRules;
