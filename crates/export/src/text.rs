//! Small readings of printed values that every writer shares, so that the
//! same value is numeric, split or worded the same way in MML, HL7 and FHIR.

use torikomi_record::normalise::to_half_width;
use torikomi_record::{LabFlag, LabResult};

/// The value as an `xs:decimal` / HL7 NM / FHIR decimal, keeping its
/// printed precision ("7.20" stays "7.20"; "７．２" becomes "7.2"); None
/// for "<0.5", "陰性", "1.", "".
pub fn decimal(printed: &str) -> Option<String> {
    let text = to_half_width(printed.trim());
    let unsigned = text.strip_prefix('-').unwrap_or(&text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    (digits(whole) && fraction.is_none_or(digits)).then_some(text)
}

/// "鈴木 花子" → ("鈴木", "花子"). A name printed without a space, or in
/// more than two parts, is not split: a split would be a guess.
pub fn split_name(name: &str) -> Option<(&str, &str)> {
    let mut parts = name.split_whitespace();
    let family = parts.next()?;
    let given = parts.next()?;
    parts.next().is_none().then_some((family, given))
}

pub fn lab_flag(flag: LabFlag) -> &'static str {
    match flag {
        LabFlag::High => "H",
        LabFlag::Low => "L",
    }
}

/// One lab result as a line of text: "AST 42 U/L H (基準値 13-30)".
pub fn lab_line(lab: &LabResult) -> String {
    let mut line = format!("{} {}", lab.name.value.trim(), lab.value.value.trim());
    if let Some(unit) = &lab.unit {
        line.push_str(&format!(" {}", unit.value.trim()));
    }
    if let Some(flag) = &lab.flag {
        line.push_str(&format!(" {}", lab_flag(flag.value)));
    }
    if let Some(range) = &lab.range {
        line.push_str(&format!(" (基準値 {})", range.value.trim()));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_precision_and_refuse_what_is_not_a_number() {
        assert_eq!(decimal("7.20").as_deref(), Some("7.20"));
        assert_eq!(decimal("-1").as_deref(), Some("-1"));
        assert_eq!(decimal("７．２").as_deref(), Some("7.2"));
        for not_a_number in ["<0.5", "陰性", "1.", ".5", "", "1.2.3"] {
            assert_eq!(decimal(not_a_number), None, "{not_a_number}");
        }
    }

    #[test]
    fn names_split_only_where_printed_apart() {
        assert_eq!(split_name("鈴木 花子"), Some(("鈴木", "花子")));
        assert_eq!(split_name("鈴木花子"), None);
        assert_eq!(split_name("a b c"), None);
    }
}
