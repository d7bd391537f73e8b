use std::path::PathBuf;

/// Why the model could not be loaded or run. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("model file {path} not found: run `python3 models/fetch.py` for the default model, or pass --model FILE.gguf")]
    Missing { path: PathBuf },
    #[error("llama.cpp backend: {0}")]
    Backend(String),
    #[error("cannot load model {path}: {reason}")]
    Load { path: PathBuf, reason: String },
    #[error("model {path} cannot read Japanese: its vocabulary needs {tokens_per_char:.1} tokens per character; choose a multilingual model (Gemma 3, Qwen2.5, Llama-3.1-Swallow)")]
    NoJapanese { path: PathBuf, tokens_per_char: f32 },
    #[error("model {path} was trained on {trained}-token contexts, and structuring needs {needed}")]
    ContextTooShort { path: PathBuf, trained: u32, needed: u32 },
    #[error("prompt and answer need {tokens} tokens, more than the context's {capacity}")]
    TooLong { tokens: usize, capacity: usize },
    #[error("invalid schema or grammar: {0}")]
    Schema(String),
    #[error("llama.cpp failed to decode: {0}")]
    Decode(String),
    #[error("model server {url} is unavailable: {reason}")]
    Unavailable { url: String, reason: String },
    #[error("model server {url} answered HTTP {status}: {body}")]
    Remote { url: String, status: u16, body: String },
}
