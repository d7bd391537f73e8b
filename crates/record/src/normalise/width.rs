//! Character width and spacing: full-width ASCII to ASCII, half-width
//! katakana to full-width, and phone numbers with their many dashes.

use unicode_normalization::UnicodeNormalization;

/// Full-width ASCII (Ａ, ０, ／, －) to ASCII, the ideographic space to a space,
/// and half-width katakana (ｶﾞ) to full-width (ガ). Everything else (kanji,
/// kana, ℃, 〜, ・, ㈱, ①) is kept: NFKC over the whole text would rewrite those too.
pub fn to_half_width(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Half-width voiced marks are separate characters (ｶ + ﾞ); NFKC over the
    // whole run composes them into one (ガ).
    let mut katakana_run = String::new();
    for c in s.chars() {
        if is_half_width_katakana(c) {
            katakana_run.push(c);
            continue;
        }
        out.extend(katakana_run.nfkc());
        katakana_run.clear();
        out.push(half_width_char(c));
    }
    out.extend(katakana_run.nfkc());
    out
}

/// The one-character part of [`to_half_width`], for callers that must keep
/// character offsets.
pub(crate) fn half_width_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn is_half_width_katakana(c: char) -> bool {
    ('\u{FF61}'..='\u{FF9F}').contains(&c)
}

/// Runs of whitespace (the ideographic space included) to one ASCII space, trimmed.
pub(crate) fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What OCR and typists put between the groups of a phone number; ー is the
/// katakana prolonged sound mark, which looks the same.
const DASHES: [char; 8] = ['-', '‐', '‑', '−', '–', '—', '―', 'ー'];

/// A phone number as digits and hyphens ("03-3412-7788"). A label before the
/// number (TEL, 電話：) is skipped and a note after it (内線 12) dropped; spaces
/// and parentheses between groups become hyphens. `None` unless it has 9–11 digits.
pub fn normalise_phone(s: &str) -> Option<String> {
    let text = to_half_width(s);
    let mut phone = String::new();
    for c in text.trim_start_matches(|c: char| !c.is_ascii_digit()).chars() {
        if c.is_ascii_digit() {
            phone.push(c);
        } else if DASHES.contains(&c) || matches!(c, ' ' | '(' | ')') {
            if !phone.ends_with('-') {
                phone.push('-');
            }
        } else {
            break;
        }
    }
    let phone = phone.trim_end_matches('-');
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    (9..=11).contains(&digits).then(|| phone.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_only_the_width_ranges() {
        for (input, expected) in [
            ("Ｒ７．１０．３", "R7.10.3"),
            ("ＡＢＣ－１２３／４：５", "ABC-123/4:5"),
            ("山田　太郎", "山田 太郎"),
            ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
            ("ﾊﾟﾝ･ｺｰﾋｰ", "パン・コーヒー"),
            ("ｶﾀｶﾅとカタカナ", "カタカナとカタカナ"),
            ("37.5℃ 〜 38℃", "37.5℃ 〜 38℃"),
            ("㈱メディカル ① ㍼", "㈱メディカル ① ㍼"),
            ("ひらがな・漢字", "ひらがな・漢字"),
        ] {
            assert_eq!(to_half_width(input), expected, "{input}");
        }
    }

    #[test]
    fn keeps_one_char_per_char() {
        let input = "Ｒ７．１０．３　令和";
        let converted: String = input.chars().map(half_width_char).collect();
        assert_eq!(converted, "R7.10.3 令和");
    }

    #[test]
    fn collapses_spaces() {
        assert_eq!(collapse_spaces("  山田\u{3000}\u{3000}太郎 \t"), "山田 太郎");
    }

    #[test]
    fn normalises_phone_numbers() {
        for (input, expected) in [
            ("03-3412-7788", Some("03-3412-7788")),
            ("０３－３４１２－７７８８", Some("03-3412-7788")),
            ("03‐3412‐7788", Some("03-3412-7788")),
            ("03−3412−7788", Some("03-3412-7788")),
            ("03ー3412ー7788", Some("03-3412-7788")),
            ("03 3412 7788", Some("03-3412-7788")),
            ("03(3412)7788", Some("03-3412-7788")),
            ("(03)3412-7788", Some("03-3412-7788")),
            ("TEL：03-3412-7788（内線12）", Some("03-3412-7788")),
            ("電話 090-1234-5678", Some("090-1234-5678")),
            ("0334127788", Some("0334127788")),
            ("154-0012", None),
            ("03-3412-7788-1234", None),
            ("なし", None),
        ] {
            assert_eq!(normalise_phone(input).as_deref(), expected, "{input}");
        }
    }
}
