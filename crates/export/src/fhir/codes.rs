//! Profile URLs, code systems and section codes from the JP-CLINS 1.5.2 and
//! JP Core 1.1.2 packages, in one place so that a package upgrade is one edit.

/// The profile a resource claims in `meta.profile`, with the resource type it applies to.
pub(super) struct Profile {
    pub resource_type: &'static str,
    pub url: &'static str,
    /// The profile requires `identifier` with the resource-instance system
    /// (`Condition`, `AllergyIntolerance`, `Observation` in JP-CLINS).
    pub needs_instance_identifier: bool,
}

/// Bundle and Composition carry the version ("…|1"), as the published
/// example does. Entry resources name the unversioned profile. For
/// MedicationRequest that is the only form the Bundle's
/// `validEntryProfile-MedicationRequest` rule, as its FHIRPath is written,
/// lets through (it rejects "JP_MedicationRequest_eCS|1"). For the other
/// entries the Bundle accepts either form, and the example mixes them
/// (three of its five Conditions claim `JP_Condition_eCS|1`; its other
/// entries, the Composition aside, are unversioned); one form for every
/// entry resource keeps the rule simple.
pub(super) const BUNDLE_EREFERRAL: &str = "http://jpfhir.jp/fhir/clins/StructureDefinition/JP_Bundle_eReferral|1";

pub(super) const COMPOSITION: Profile = Profile {
    resource_type: "Composition",
    url: "http://jpfhir.jp/fhir/eReferral/StructureDefinition/JP_Composition_eReferral|1",
    needs_instance_identifier: false,
};
pub(super) const PATIENT: Profile = Profile {
    resource_type: "Patient",
    url: "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Patient_eCS",
    needs_instance_identifier: false,
};
pub(super) const PRACTITIONER: Profile = Profile {
    resource_type: "Practitioner",
    url: "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Practitioner_eCS",
    needs_instance_identifier: false,
};
pub(super) const ORGANIZATION: Profile = Profile {
    resource_type: "Organization",
    url: "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Organization_eCS",
    needs_instance_identifier: false,
};
pub(super) const CONDITION: Profile = Profile {
    resource_type: "Condition",
    url: "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Condition_eCS",
    needs_instance_identifier: true,
};
pub(super) const MEDICATION_REQUEST: Profile = Profile {
    resource_type: "MedicationRequest",
    url: "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_MedicationRequest_eCS",
    needs_instance_identifier: false,
};
pub(super) const ALLERGY_INTOLERANCE: Profile = Profile {
    resource_type: "AllergyIntolerance",
    url: "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_AllergyIntolerance_eCS",
    needs_instance_identifier: true,
};
pub(super) const LAB_RESULT: Profile = Profile {
    resource_type: "Observation",
    url: "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Observation_LabResult_eCS",
    needs_instance_identifier: true,
};

pub(super) const BUNDLE_IDENTIFIER: &str = "http://jpfhir.jp/fhir/clins/bundle-identifier";
pub(super) const RESOURCE_INSTANCE_IDENTIFIER: &str = "http://jpfhir.jp/fhir/core/IdSystem/resourceInstance-identifier";
/// 保険医療機関番号 (10 digits).
pub(super) const MEDICAL_INSTITUTION_NUMBER: &str =
    "http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no";

pub(super) const DOCUMENT_TYPE: &str = "http://jpfhir.jp/fhir/Common/CodeSystem/doc-typecodes";
pub(super) const REFERRAL_DOCUMENT_TYPE: &str = "57133-1";
pub(super) const REFERRAL_TITLE: &str = "診療情報提供書";
pub(super) const REFERRAL_ISSUE_EVENT: &str = "診療情報提供書発行";
pub(super) const DOCUMENT_VERSION: &str =
    "http://hl7.org/fhir/StructureDefinition/composition-clinicaldocument-versionNumber";
pub(super) const DOCUMENT_SECTION: &str = "http://jpfhir.jp/fhir/clins/CodeSystem/document-section";

pub(super) const NAME_REPRESENTATION: &str = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation";
pub(super) const DEPARTMENT: &str = "http://jpfhir.jp/fhir/eCS/Extension/StructureDefinition/JP_eCS_Department";
pub(super) const ORGANIZATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/organization-type";

pub(super) const CONDITION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/condition-category";
/// MEDIS 病名管理番号. `JP_Condition_eCS` requires one; the definition of its
/// `Condition.code` says that a name which cannot be coded gets a string of
/// 9s as long as a 病名管理番号 (eight digits). The code system itself
/// defines no such code: the rule is the profile's.
pub(super) const MEDIS_DISEASE: &str = "http://medis.or.jp/CodeSystem/master-disease-keyNumber";
pub(super) const MEDIS_DISEASE_UNCODED: &str = "99999999";
/// The ICD-10 slice of `JP_Condition_eCS` (厚労省 ICD10 2013).
pub(super) const ICD10: &str = "http://jpfhir.jp/fhir/core/mhlw/CodeSystem/ICD10-2013-full";

/// `JP_MedicationRequest_eCS` rule R3010: a medicine without a YJ or generic
/// code says so with this code.
pub(super) const MEDICATION_UNCODED: &str = "http://jpfhir.jp/fhir/eCS/CodeSystem/MedicationCodeNocoded_CS";
/// `JP_MedicationDosage_eCS` rule R5020: a usage without an MHLW code says so with this code.
pub(super) const USAGE_UNCODED: &str = "http://jpfhir.jp/fhir/clins/CodeSystem/JP_CLINS_MedicationUsage_Uncoded_CS";
/// `JP_MedicationRequest_eCS` slices `identifier:rpNumber` (the Rp, 剤グループ,
/// number) and `identifier:orderInRp` (the medicine's place in its Rp).
pub(super) const RP_NUMBER: &str = "http://jpfhir.jp/fhir/core/mhlw/IdSystem/Medication-RPGroupNumber";
pub(super) const ORDER_IN_RP: &str = "http://jpfhir.jp/fhir/core/mhlw/IdSystem/MedicationAdministrationIndex";
pub(super) const UCUM: &str = "http://unitsofmeasure.org";

/// `JP_Observation_LabResult_eCS` slice `code.coding:unCoded`, whose system,
/// code and display the profile fixes: a result without a JLAC code.
pub(super) const LAB_UNCODED: &str = "http://jpfhir.jp/fhir/clins/CodeSystem/JP_CLINS_ObsLabResult_Uncoded_CS";
pub(super) const LAB_UNCODED_CODE: &str = "99999999999999999";
pub(super) const LAB_UNCODED_DISPLAY: &str = "未標準化コード項目(JLAC)";

pub(super) const OBSERVATION_CATEGORY: &str = "http://jpfhir.jp/fhir/core/CodeSystem/JP_SimpleObservationCategory_CS";
pub(super) const OBSERVATION_INTERPRETATION: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

/// A section of the document-section code system, with the title the
/// eReferral Composition profile fixes for it.
pub(super) struct SectionCode {
    pub code: &'static str,
    pub title: &'static str,
    pub display: &'static str,
}

pub(super) const SENDER_SECTION: SectionCode =
    SectionCode { code: "920", title: "紹介元情報", display: "紹介元情報セクション" };
pub(super) const RECEIVER_SECTION: SectionCode =
    SectionCode { code: "910", title: "紹介先情報", display: "紹介先情報セクション" };
pub(super) const STRUCTURED_SECTION: SectionCode =
    SectionCode { code: "300", title: "構造情報", display: "構造情報セクション" };
pub(super) const PURPOSE_SECTION: SectionCode =
    SectionCode { code: "950", title: "紹介目的", display: "紹介目的セクション" };
pub(super) const PROBLEM_SECTION: SectionCode =
    SectionCode { code: "340", title: "傷病名・主訴", display: "傷病名・主訴セクション" };
pub(super) const PRESENT_ILLNESS_SECTION: SectionCode =
    SectionCode { code: "360", title: "現病歴", display: "現病歴セクション" };
pub(super) const PAST_ILLNESS_SECTION: SectionCode =
    SectionCode { code: "370", title: "既往歴", display: "既往歴セクション" };
pub(super) const ALLERGY_SECTION: SectionCode =
    SectionCode {
        code: "510", title: "アレルギー・不耐性反応", display: "アレルギー・不耐性反応セクション"
    };
pub(super) const MEDICATION_SECTION: SectionCode =
    SectionCode { code: "430", title: "投薬指示", display: "投薬指示セクション" };
pub(super) const LAB_SECTION: SectionCode =
    SectionCode { code: "620", title: "検査結果", display: "検査結果セクション" };
pub(super) const REMARKS_SECTION: SectionCode =
    SectionCode { code: "220", title: "備考・連絡情報", display: "備考・連絡情報セクション" };
