//! Which kind of document this is, from its title and the sections it has.

use torikomi_record::DocumentKind;

/// Title words, strongest evidence when they open the document.
const TITLES: &[(&str, DocumentKind)] = &[
    ("診療情報提供書", DocumentKind::Referral),
    ("紹介状", DocumentKind::Referral),
    ("検査結果報告書", DocumentKind::LabReport),
    ("検査報告書", DocumentKind::LabReport),
    ("臨床検査結果", DocumentKind::LabReport),
    ("薬剤情報提供書", DocumentKind::MedicationList),
    ("お薬の説明書", DocumentKind::MedicationList),
    ("お薬手帳", DocumentKind::MedicationList),
    ("退院時サマリー", DocumentKind::DischargeSummary),
    ("退院サマリー", DocumentKind::DischargeSummary),
    ("退院時要約", DocumentKind::DischargeSummary),
];

/// Words in the body that lean towards a kind.
const CUES: &[(&str, DocumentKind)] = &[
    ("紹介目的", DocumentKind::Referral),
    ("紹介元", DocumentKind::Referral),
    ("紹介先", DocumentKind::Referral),
    ("御侍史", DocumentKind::Referral),
    ("基準値", DocumentKind::LabReport),
    ("採取日", DocumentKind::LabReport),
    ("判定", DocumentKind::LabReport),
    ("調剤日", DocumentKind::MedicationList),
    ("薬局", DocumentKind::MedicationList),
    ("1回量", DocumentKind::MedicationList),
    ("入院日", DocumentKind::DischargeSummary),
    ("退院日", DocumentKind::DischargeSummary),
    ("入院後経過", DocumentKind::DischargeSummary),
    ("退院時処方", DocumentKind::DischargeSummary),
];

/// The most likely kind and a 0–1 confidence (its share of the evidence).
pub fn classify(page_texts: &[&str]) -> (DocumentKind, f32) {
    let mut scores = [0.0f32; DocumentKind::ALL.len()];
    let index_of = |kind: DocumentKind| DocumentKind::ALL.iter().position(|k| *k == kind).expect("listed");
    let opening: String = page_texts.first().map_or("", |text| text).lines().take(3).collect();
    let everything = page_texts.concat();
    for (word, kind) in TITLES {
        if opening.contains(word) {
            scores[index_of(*kind)] += 6.0;
        } else if everything.contains(word) {
            scores[index_of(*kind)] += 1.0;
        }
    }
    for (word, kind) in CUES {
        if everything.contains(word) {
            scores[index_of(*kind)] += 1.0;
        }
    }
    let total: f32 = scores.iter().sum();
    let (best, score) = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(index, score)| (DocumentKind::ALL[index], *score))
        .expect("kinds are listed");
    if score < 2.0 { (DocumentKind::Other, 0.0) } else { (best, score / total) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_decides_and_cues_break_ties() {
        assert_eq!(classify(&["診療情報提供書\n令和7年10月3日\n紹介先"]).0, DocumentKind::Referral);
        assert_eq!(classify(&["お薬の説明書(薬剤情報提供書)\nお名前"]).0, DocumentKind::MedicationList);
        assert_eq!(classify(&["北浜中央病院\n入院日 令和7年9月12日 退院日 令和7年9月26日\n入院後経過"]).0, DocumentKind::DischargeSummary);
        assert_eq!(classify(&["ごあいさつ"]), (DocumentKind::Other, 0.0));
    }
}
