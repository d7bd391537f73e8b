//! Numbers as printed in Japanese documents: kanji numerals (三十, 二〇二五),
//! `元` for the first year of an era, and ASCII or full-width digits.

/// Reads a whole string as a number: positional kanji (三十 = 30, 百二 = 102),
/// digit by digit (二〇二五 = 2025, ２０２５), or `元` (= 1, as in 令和元年).
/// Surrounding whitespace is ignored; anything else that is not a numeral gives `None`.
pub fn parse_kanji_number(s: &str) -> Option<u32> {
    let s = s.trim();
    if s == "元" {
        return Some(1);
    }
    if s.chars().any(|c| unit_value(c).is_some()) {
        return positional(s);
    }
    if s.is_empty() {
        return None;
    }
    s.chars().try_fold(0u32, |number, c| number.checked_mul(10)?.checked_add(digit_value(c)?))
}

/// Whether `c` can be part of a number that [`parse_kanji_number`] reads (`元` aside).
pub(crate) fn is_numeral(c: char) -> bool {
    digit_value(c).is_some() || unit_value(c).is_some()
}

fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => c.to_digit(10),
        '０'..='９' => Some(u32::from(c) - u32::from('０')),
        '〇' | '零' => Some(0),
        '一' => Some(1),
        '二' => Some(2),
        '三' => Some(3),
        '四' => Some(4),
        '五' => Some(5),
        '六' => Some(6),
        '七' => Some(7),
        '八' => Some(8),
        '九' => Some(9),
        _ => None,
    }
}

fn unit_value(c: char) -> Option<u32> {
    match c {
        '十' => Some(10),
        '百' => Some(100),
        '千' => Some(1000),
        _ => None,
    }
}

/// 千九百五十五 = 1955: each unit multiplies the digit before it (one when
/// none is written, as in 十二); units must fall, and one digit at most
/// stands between them.
fn positional(s: &str) -> Option<u32> {
    let mut total = 0;
    let mut pending_digit = None;
    let mut last_unit = u32::MAX;
    for c in s.chars() {
        if let Some(digit) = digit_value(c) {
            if pending_digit.replace(digit).is_some() {
                return None;
            }
            continue;
        }
        let unit = unit_value(c)?;
        if unit >= last_unit || pending_digit == Some(0) {
            return None;
        }
        last_unit = unit;
        total += pending_digit.take().unwrap_or(1) * unit;
    }
    Some(total + pending_digit.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<u32>) {
        assert_eq!(parse_kanji_number(input), expected, "{input}");
    }

    #[test]
    fn reads_positional_kanji() {
        for (input, expected) in [
            ("一", 1),
            ("十", 10),
            ("十二", 12),
            ("二十一", 21),
            ("三十", 30),
            ("九十九", 99),
            ("百", 100),
            ("百二", 102),
            ("三百十", 310),
            ("千九百五十五", 1955),
        ] {
            check(input, Some(expected));
        }
    }

    #[test]
    fn reads_digit_by_digit_numbers() {
        for (input, expected) in [
            ("二〇二五", 2025),
            ("一〇", 10),
            ("〇", 0),
            ("2025", 2025),
            ("２０２５", 2025),
            (" 7 ", 7),
        ] {
            check(input, Some(expected));
        }
    }

    #[test]
    fn reads_gannen_as_one() {
        check("元", Some(1));
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for input in ["", "元年", "二三十", "十十", "十百", "〇十", "三a", "99999999999"]
        {
            check(input, None);
        }
    }
}
