//! Person names as printed on letters: honorifics off, one space between
//! family and given name where the page puts one.

use super::width::{collapse_spaces, to_half_width};

/// Longer forms first, so that 御侍史 is not cut down to 御.
const HONORIFICS: [&str; 8] = ["御侍史", "御机下", "先生", "さん", "侍史", "机下", "様", "殿"];

/// Strips honorifics at the end (様, 先生 御侍史), converts width and turns
/// any whitespace into one ASCII space: "山田　太郎 様" → "山田 太郎". A name
/// printed without a space stays whole; where it splits is not guessed.
pub fn normalise_person_name(s: &str) -> String {
    let mut name = collapse_spaces(&to_half_width(s));
    while let Some(stripped) = HONORIFICS
        .iter()
        .find_map(|honorific| name.strip_suffix(honorific))
        .map(str::trim_end)
        .filter(|rest| !rest.is_empty())
    {
        name = stripped.to_owned();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_names() {
        for (input, expected) in [
            ("山田　太郎 様", "山田 太郎"),
            ("山田太郎", "山田太郎"),
            ("山田太郎様", "山田太郎"),
            ("  山田 \u{3000} 太郎  ", "山田 太郎"),
            ("佐藤 健二 先生 御侍史", "佐藤 健二"),
            ("佐藤健二先生御机下", "佐藤健二"),
            ("鈴木 花子 殿", "鈴木 花子"),
            ("田中さん", "田中"),
            ("高橋 一郎 侍史", "高橋 一郎"),
            ("ﾔﾏﾀﾞ ﾀﾛｳ 様", "ヤマダ タロウ"),
            ("様", "様"),
        ] {
            assert_eq!(normalise_person_name(input), expected, "{input}");
        }
    }
}
