//! The labels printed on Japanese clinical documents and what they label.

/// What a label introduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    // One value beside the label.
    Name,
    Kana,
    BirthDate,
    Sex,
    PatientId,
    Address,
    Phone,
    DocumentDate,
    CollectedOn,
    AdmissionDate,
    DischargeDate,
    Attending,
    Requester,
    Prescriber,
    /// Labels whose values Torikomi does not keep; they end the value before.
    Ignored,
    // A section: the lines below, up to the next label.
    From,
    To,
    Purpose,
    Diagnoses,
    PastHistory,
    PresentIllness,
    ChiefComplaint,
    Course,
    TestResults,
    LabTable,
    Medications,
    MedicationTable,
    Allergies,
    AdverseEvents,
    Remarks,
    Plan,
    /// Section headings whose content Torikomi does not keep.
    IgnoredSection,
}

impl Key {
    pub fn is_section(self) -> bool {
        matches!(
            self,
            Key::From
                | Key::To
                | Key::Purpose
                | Key::Diagnoses
                | Key::PastHistory
                | Key::PresentIllness
                | Key::ChiefComplaint
                | Key::Course
                | Key::TestResults
                | Key::LabTable
                | Key::Medications
                | Key::MedicationTable
                | Key::Allergies
                | Key::AdverseEvents
                | Key::Remarks
                | Key::Plan
                | Key::IgnoredSection
        )
    }
}

/// Longer forms first, so that "患者氏名" wins over "氏名".
const LABELS: &[(&str, Key)] = &[
    ("副作用歴・アレルギー歴", Key::Allergies),
    ("入院後経過(続き)", Key::Course),
    ("入院時検査所見", Key::TestResults),
    ("紹介先医療機関", Key::To),
    ("紹介元医療機関", Key::From),
    ("処方医療機関", Key::Prescriber),
    ("現病歴・経過", Key::PresentIllness),
    ("アレルギー歴", Key::Allergies),
    ("退院後の方針", Key::Plan),
    ("検体採取日", Key::CollectedOn),
    ("入院年月日", Key::AdmissionDate),
    ("退院年月日", Key::DischargeDate),
    ("お薬の名前", Key::MedicationTable),
    ("アレルギー", Key::Allergies),
    ("カルテ番号", Key::PatientId),
    ("退院時診断", Key::Diagnoses),
    ("退院時処方", Key::Medications),
    ("今後の方針", Key::Plan),
    ("入院後経過", Key::Course),
    ("現在の処方", Key::Medications),
    ("検査データ", Key::TestResults),
    ("お薬手帳", Key::IgnoredSection),
    ("患者氏名", Key::Name),
    ("フリガナ", Key::Kana),
    ("ふりがな", Key::Kana),
    ("生年月日", Key::BirthDate),
    ("患者番号", Key::PatientId),
    ("患者住所", Key::Address),
    ("電話番号", Key::Phone),
    ("受付番号", Key::Ignored),
    ("検査項目", Key::LabTable),
    ("紹介目的", Key::Purpose),
    ("検査結果", Key::TestResults),
    ("検査所見", Key::TestResults),
    ("処方内容", Key::Medications),
    ("有害事象", Key::AdverseEvents),
    ("患者情報", Key::IgnoredSection),
    ("ご注意", Key::IgnoredSection),
    ("患者名", Key::Name),
    ("お名前", Key::Name),
    ("患者ID", Key::PatientId),
    ("記載日", Key::DocumentDate),
    ("作成日", Key::DocumentDate),
    ("報告日", Key::DocumentDate),
    ("調剤日", Key::DocumentDate),
    ("交付日", Key::DocumentDate),
    ("発行日", Key::DocumentDate),
    ("紹介日", Key::DocumentDate),
    ("採取日", Key::CollectedOn),
    ("採血日", Key::CollectedOn),
    ("入院日", Key::AdmissionDate),
    ("退院日", Key::DischargeDate),
    ("退院先", Key::Ignored),
    ("主治医", Key::Attending),
    ("記載医", Key::Ignored),
    ("依頼元", Key::Requester),
    ("紹介元", Key::From),
    ("紹介先", Key::To),
    ("傷病名", Key::Diagnoses),
    ("診断名", Key::Diagnoses),
    ("主病名", Key::Diagnoses),
    ("既往歴", Key::PastHistory),
    ("現病歴", Key::PresentIllness),
    ("薬剤名", Key::MedicationTable),
    ("氏名", Key::Name),
    ("カナ", Key::Kana),
    ("性別", Key::Sex),
    ("住所", Key::Address),
    ("電話", Key::Phone),
    ("材料", Key::Ignored),
    ("病名", Key::Diagnoses),
    ("主訴", Key::ChiefComplaint),
    ("経過", Key::Course),
    ("処方", Key::Medications),
    ("備考", Key::Remarks),
    ("項目", Key::LabTable),
    ("ID", Key::PatientId),
];

/// A label found in a line: its key and byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LabelHit {
    pub key: Key,
    pub start: usize,
    pub end: usize,
}

fn opens_value(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{3000}' | ':' | '：' | '|' | '｜' | '】' | ']' | '(' | '（' | '」')
}

fn closes_value(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{3000}' | '|' | '｜' | '【' | '[' | '■' | '●' | '◆' | '」' | ']' | '】')
}

/// The labels in `line`, in order. A label counts at the start of the line
/// or after a separator, and must be followed by a separator, the end of
/// the line, or (at the line's start only, as text layers and OCR drop
/// spaces) anything, except that a short section heading ("経過") at the
/// start of prose is not taken for one.
pub(crate) fn label_hits(line: &str) -> Vec<LabelHit> {
    let mut hits = Vec::new();
    let mut index = 0;
    while index < line.len() {
        let at_boundary = line[..index].chars().next_back().is_none_or(closes_value);
        let at_line_start = line[..index].chars().all(|c| closes_value(c) || c == '・');
        if at_boundary
            && let Some(&(label, key)) = LABELS.iter().find(|(label, key)| {
                line[index..].starts_with(label) && {
                    let next = line[index + label.len()..].chars().next();
                    next.is_none_or(opens_value)
                        || (at_line_start && (!key.is_section() || label.chars().count() >= 3))
                }
            })
        {
            hits.push(LabelHit { key, start: index, end: index + label.len() });
            index += label.len();
            continue;
        }
        index += line[index..].chars().next().map_or(1, char::len_utf8);
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str, expected: &[(Key, &str)]) {
        let found: Vec<(Key, &str)> = label_hits(line).iter().map(|hit| (hit.key, &line[hit.start..hit.end])).collect();
        assert_eq!(found, expected, "{line}");
    }

    #[test]
    fn labels_are_found_at_boundaries_only() {
        check("患者氏名 山田 太郎 フリガナ ヤマダ タロウ", &[(Key::Name, "患者氏名"), (Key::Kana, "フリガナ")]);
        check("生年月日 昭和30年4月12日生 (70歳) 性別 男", &[(Key::BirthDate, "生年月日"), (Key::Sex, "性別")]);
        check("紹介先医療機関|東都大学医学部附属病院", &[(Key::To, "紹介先医療機関")]);
        check("現病歴・経過", &[(Key::PresentIllness, "現病歴・経過")]);
        check("【副作用歴・アレルギー歴】 なし", &[(Key::Allergies, "副作用歴・アレルギー歴")]);
        check("入院日 令和7年9月12日 退院日 令和7年9月26日", &[
            (Key::AdmissionDate, "入院日"),
            (Key::DischargeDate, "退院日"),
        ]);
        check("2015年頃より2型糖尿病にて当院通院中です。", &[]);
        check("総ビリルビン 0.8 mg/dL", &[]);
        check("氏名伊藤誠様", &[(Key::Name, "氏名")]);
        check("経過をみております。", &[]);
        check("患者ID 0012345 電話 03-3412-7788", &[(Key::PatientId, "患者ID"), (Key::Phone, "電話")]);
    }
}
