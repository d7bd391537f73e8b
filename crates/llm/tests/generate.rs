//! The real llama.cpp with the default small model (fetched by
//! `python3 models/fetch.py`, as `.ci/run` does).

use std::path::PathBuf;

use serde_json::Value;
use torikomi_llm::{Completion, GpuLayers, Llm, LlmError, ModelConfig, json_schema_to_grammar};

fn default_model() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/gemma-3-270m-q4_k_m.gguf");
    assert!(path.is_file(), "{} is missing: run `python3 models/fetch.py`", path.display());
    path
}

const SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "sex": { "enum": ["male", "female", null] },
    "name": { "enum": ["山田 太郎", "東都大学医学部附属病院", null] },
    "days": { "type": "integer", "minimum": 1, "maximum": 90 }
  },
  "required": ["sex", "name", "days"],
  "additionalProperties": false
}"#;

#[test]
fn grammar_constrained_output_parses_and_the_prompt_prefix_is_reused() {
    let config = ModelConfig { gpu_layers: GpuLayers::Count(0), context_tokens: 1024, ..ModelConfig::new(default_model()) };
    let mut llm = Llm::load(&config).expect("the default model loads");
    assert!(llm.info().layers > 0);
    let grammar = json_schema_to_grammar(SCHEMA).expect("the schema converts");
    let prefix = "診療情報提供書から項目をJSONで抜き出します。\n患者氏名 山田 太郎 性別 男\n処方 アムロジピン錠5mg 1錠 分1 朝食後 28日分\n";
    let mut answers = Vec::new();
    for question in ["JSON: ", "JSON (again): "] {
        let prompt = format!("{prefix}{question}");
        let generated = llm.complete(&Completion { prompt: &prompt, grammar: Some(&grammar), max_tokens: 64 }).expect("generates");
        let answer: Value = serde_json::from_str(&generated.text).unwrap_or_else(|error| panic!("{error}: {}", generated.text));
        assert!(matches!(answer["sex"].as_str(), Some("male" | "female") | None), "{answer}");
        assert!(matches!(answer["name"].as_str(), Some("山田 太郎" | "東都大学医学部附属病院") | None), "{answer}");
        let days = answer["days"].as_i64().expect("an integer");
        assert!((1..=90).contains(&days), "{answer}");
        assert!(generated.generated_tokens > 0 && generated.prompt_tokens > 0);
        answers.push(generated);
    }
    // The second call shares the prefix with the first and evaluates only the rest.
    assert_eq!(answers[0].reused_tokens, 0);
    assert!(answers[1].reused_tokens >= llm.count_tokens(prefix) - 1, "reused {} tokens", answers[1].reused_tokens);
}

#[test]
fn a_missing_model_says_how_to_fetch_one() {
    let error = Llm::load(&ModelConfig::new("models/no-such-model.gguf")).err().expect("fails");
    assert!(matches!(error, LlmError::Missing { .. }));
    assert!(error.to_string().contains("models/fetch.py"), "{error}");
}
