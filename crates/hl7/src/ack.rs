//! Acknowledgements: building an ACK for a received message and reading
//! the answer out of one.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Hl7Error;
use crate::model::{Field, Message, Segment};

/// MSA-1, the acknowledgement code. Original mode (`AA`, `AE`, `AR`) and
/// enhanced mode commit codes (`CA`, `CE`, `CR`) read as the same answer:
/// `CE` as [`Error`](Self::Error), `CR` as [`Reject`](Self::Reject).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// The receiver took the message.
    Accept,
    /// The receiver could not process it; sending it again may not help.
    Error,
    /// The receiver rejected it (wrong type, version, processing id).
    Reject,
}

impl AckCode {
    /// The original-mode code (`AA`, `AE`, `AR`), whichever mode the code
    /// was read from.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "AA",
            Self::Error => "AE",
            Self::Reject => "AR",
        }
    }

    /// Reads MSA-1 of an acknowledgement.
    ///
    /// # Errors
    ///
    /// [`Hl7Error::MissingMsa`] without an MSA segment,
    /// [`Hl7Error::UnknownAckCode`] when MSA-1 is none of the six codes.
    pub fn from_message(acknowledgement: &Message) -> Result<Self, Hl7Error> {
        acknowledgement
            .segment("MSA")
            .ok_or(Hl7Error::MissingMsa)?
            .text(1)
            .parse()
    }
}

impl FromStr for AckCode {
    type Err = Hl7Error;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        match code {
            "AA" | "CA" => Ok(Self::Accept),
            "AE" | "CE" => Ok(Self::Error),
            "AR" | "CR" => Ok(Self::Reject),
            other => Err(Hl7Error::UnknownAckCode {
                code: other.chars().take(10).collect(),
            }),
        }
    }
}

/// Builds the ACK answering `original`.
///
/// MSH: sender (MSH-3/4) and receiver (MSH-5/6) swapped, MSH-7 now (UTC),
/// MSH-9 `ACK^<trigger>^ACK`, MSH-10 `control_id`; processing id, version
/// and the character set fields (MSH-11, -12, -18, -20) copied, so encode
/// the ACK in the original's charset. MSA: code, the original MSH-10, and
/// `text` in MSA-3 when not empty. No ERR segment: push one when the
/// receiver wants coded errors.
#[must_use]
pub fn ack(original: &Message, code: AckCode, text: &str, control_id: &str) -> Message {
    let empty = Segment::new("MSH");
    let original_msh = original.segment("MSH").unwrap_or(&empty);
    let copy = |n: usize| original_msh.field(n).cloned().unwrap_or_default();
    let trigger = original_msh.field(9).map_or("", |msh_9| msh_9.component(2));
    let msh = Segment::new("MSH")
        .with(3, copy(5))
        .with(4, copy(6))
        .with(5, copy(3))
        .with(6, copy(4))
        .with(7, Field::text(hl7_timestamp(SystemTime::now())))
        .with(9, Field::components(["ACK", trigger, "ACK"]))
        .with(10, Field::text(control_id))
        .with(11, copy(11))
        .with(12, copy(12))
        .with(18, copy(18))
        .with(20, copy(20));
    let msa = Segment::new("MSA")
        .with(1, Field::text(code.as_str()))
        .with(2, Field::text(original.control_id()))
        .with(3, Field::text(text));
    Message::new(vec![msh, msa])
}

/// `YYYYMMDDHHMMSS+0000`.
fn hl7_timestamp(time: SystemTime) -> String {
    // A clock before 1970 is a broken clock; the epoch is as good as any.
    let seconds = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let (year, month, day) = civil_from_days(seconds / 86_400);
    let seconds_of_day = seconds % 86_400;
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}+0000",
        seconds_of_day / 3600,
        seconds_of_day % 3600 / 60,
        seconds_of_day % 60
    )
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`, for days after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(15_328), (2011, 12, 20));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn timestamp_format() {
        let time = UNIX_EPOCH + Duration::from_secs(1_324_421_087);
        assert_eq!(hl7_timestamp(time), "20111220224447+0000");
    }

    #[test]
    fn codes_parse_in_both_modes() {
        for (text, code) in [
            ("AA", AckCode::Accept),
            ("CA", AckCode::Accept),
            ("AE", AckCode::Error),
            ("CE", AckCode::Error),
            ("AR", AckCode::Reject),
            ("CR", AckCode::Reject),
        ] {
            assert_eq!(text.parse::<AckCode>().unwrap(), code);
            assert_eq!(code.as_str(), text.replacen('C', "A", 1));
        }
        assert!(matches!(
            "XX".parse::<AckCode>(),
            Err(Hl7Error::UnknownAckCode { code }) if code == "XX"
        ));
    }
}
