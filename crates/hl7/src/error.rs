use thiserror::Error;

/// Where a value sits in a message, for errors: `PID-5 (segment 3)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldLocation {
    /// Segment id, e.g. `PID`.
    pub segment: String,
    /// Position of the segment in the message, 1-based.
    pub segment_number: usize,
    /// HL7 field number, 1-based.
    pub field: usize,
}

impl std::fmt::Display for FieldLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}-{} (segment {})",
            self.segment, self.field, self.segment_number
        )
    }
}

#[derive(Debug, Error)]
pub enum Hl7Error {
    #[error("message is empty")]
    Empty,

    #[error("message does not start with an MSH segment (starts with {found:?})")]
    NotMsh { found: String },

    #[error("MSH-2 encoding characters {found:?} are not four distinct delimiters")]
    BadEncodingCharacters { found: String },

    #[error("message is not valid UTF-8 at byte {offset} (only UTF-8 and ISO-2022-JP are read)")]
    InvalidUtf8 { offset: usize },

    #[error("message is not valid ISO-2022-JP at byte {offset}")]
    InvalidIso2022Jp { offset: usize },

    /// Segment ids are three upper-case letters or digits, starting with a
    /// letter; `found` holds at most the first ten characters.
    #[error("segment {segment_number} has no valid segment id (found {found:?})")]
    InvalidSegmentId {
        segment_number: usize,
        found: String,
    },

    #[error("ISO-2022-JP (ASCII + JIS X 0208) cannot carry {character:?} (U+{:04X}) in {location}", u32::from(*.character))]
    Unencodable {
        character: char,
        location: FieldLocation,
    },

    #[error("HL7 text cannot carry control character U+{:04X} in {location}", u32::from(*.character))]
    ControlCharacter {
        character: char,
        location: FieldLocation,
    },

    #[error("reading segment order rules: {0}")]
    SegmentOrderJson(#[source] serde_json::Error),

    #[error("segment order rule for {message_type} is not a valid regular expression: {source}")]
    SegmentOrderRegex {
        message_type: String,
        #[source]
        source: regex::Error,
    },

    #[error("acknowledgement has no MSA segment")]
    MissingMsa,

    #[error("unknown acknowledgement code {code:?} (expected AA, AE, AR, CA, CE or CR)")]
    UnknownAckCode { code: String },
}

/// Why a message fails its segment order rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SegmentOrderError {
    #[error("no segment order rule for message type {message_type:?}")]
    NoRule { message_type: String },

    #[error("segments of {message_type} are out of order: {sequence}")]
    Mismatch {
        message_type: String,
        /// The segment ids in message order, space-separated.
        sequence: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_cross_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Hl7Error>();
        assert_send_sync::<SegmentOrderError>();
    }
}
