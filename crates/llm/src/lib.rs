//! The local language-model runtime: a GGUF model run by llama.cpp (through
//! `llama-cpp-2`), on the GPU where the crate is built with `cuda`, `vulkan`
//! or `metal` and on the CPU otherwise, with grammar-constrained greedy
//! decoding and the KV cache of a shared prompt prefix kept across calls.
//!
//! ```no_run
//! use torikomi_llm::{Completion, Llm, ModelConfig};
//! let mut llm = Llm::load(&ModelConfig::new("models/gemma-3-270m-q4_k_m.gguf"))?;
//! let grammar = torikomi_llm::json_schema_to_grammar(r#"{"type":"object","properties":{"sex":{"enum":["male","female"]}},"required":["sex"]}"#)?;
//! let out = llm.complete(&Completion { prompt: "性別 男\nJSON: ", grammar: Some(&grammar), max_tokens: 32 })?;
//! println!("{}", out.text);
//! # Ok::<(), torikomi_llm::LlmError>(())
//! ```

mod error;
mod remote;

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

pub use error::LlmError;
pub use remote::RemoteModel;
use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use llama_cpp_2::token::data::LlamaTokenData;
use llama_cpp_2::token::data_array::LlamaTokenDataArray;
use llama_cpp_2::{LlamaBackendDeviceType, list_llama_ggml_backend_devices};

/// How many layers to put on the GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuLayers {
    /// All that fit in the free memory of the first GPU (none without one).
    Auto,
    Count(u32),
}

#[derive(Debug, Clone)]
pub struct ModelConfig {
    pub path: PathBuf,
    pub gpu_layers: GpuLayers,
    /// Context length in tokens: prompt prefix, document and answer.
    pub context_tokens: u32,
    /// CPU threads; by default all cores.
    pub threads: Option<i32>,
}

impl ModelConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ModelConfig { path: path.into(), gpu_layers: GpuLayers::Auto, context_tokens: 4096, threads: None }
    }
}

/// One generation request.
#[derive(Debug, Clone, Copy)]
pub struct Completion<'a> {
    pub prompt: &'a str,
    /// A GBNF grammar the output must follow (see [`json_schema_to_grammar`]).
    pub grammar: Option<&'a str>,
    pub max_tokens: usize,
}

/// What a call produced, and what it cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Generated {
    pub text: String,
    pub prompt_tokens: usize,
    /// Prompt tokens whose KV cache was kept from the previous call.
    pub reused_tokens: usize,
    pub generated_tokens: usize,
    pub prompt_seconds: f64,
    pub decode_seconds: f64,
}

/// A model that completes prompts under a grammar: in this process
/// ([`Llm`]) or behind a server ([`RemoteModel`]).
pub trait TextModel: Send {
    /// # Errors
    /// [`LlmError::Unavailable`] when a server cannot be reached or is too
    /// slow (worth waiting for); any other error is about this request.
    fn complete(&mut self, request: &Completion<'_>) -> Result<Generated, LlmError>;

    /// For people: which model, where.
    fn describe(&self) -> String;
}

impl TextModel for Llm {
    fn complete(&mut self, request: &Completion<'_>) -> Result<Generated, LlmError> {
        Llm::complete(self, request)
    }

    fn describe(&self) -> String {
        let info = &self.info;
        format!("{} ({} of {} layers on the GPU, {} threads)", info.description, info.gpu_layers, info.layers + 1, info.threads)
    }
}

/// What the loaded model is and where it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    pub path: PathBuf,
    pub description: String,
    pub gpu_layers: u32,
    pub layers: u32,
    pub context_tokens: u32,
    pub threads: i32,
}

/// Below this the vocabulary splits Japanese into bytes and the model
/// cannot read it (SmolLM2 needs about 2.3 tokens per character; Gemma 0.6).
const MAX_TOKENS_PER_JAPANESE_CHAR: f32 = 1.5;
const JAPANESE_PROBE: &str = "診療情報提供書 患者氏名 山田太郎 生年月日 昭和30年4月12日 傷病名 2型糖尿病 処方 メトホルミン錠";

/// llama.cpp's backend may be initialised once per process.
fn backend() -> Result<&'static LlamaBackend, LlmError> {
    static BACKEND: OnceLock<LlamaBackend> = OnceLock::new();
    if let Some(backend) = BACKEND.get() {
        return Ok(backend);
    }
    let mut backend = LlamaBackend::init().map_err(|error| LlmError::Backend(error.to_string()))?;
    backend.void_logs();
    Ok(BACKEND.get_or_init(|| backend))
}

/// Converts a JSON schema into a llama.cpp grammar (GBNF).
///
/// # Errors
/// When llama.cpp cannot convert the schema.
pub fn json_schema_to_grammar(schema: &str) -> Result<String, LlmError> {
    llama_cpp_2::json_schema_to_grammar(schema).map_err(|error| LlmError::Schema(error.to_string()))
}

/// A loaded model and its one context. Loaded once per process: the model
/// lives as long as the process, so that the context can borrow it.
pub struct Llm {
    model: &'static LlamaModel,
    context: LlamaContext<'static>,
    /// The tokens whose keys and values are in the context's cache.
    cached: Vec<LlamaToken>,
    info: ModelInfo,
}

impl Llm {
    /// # Errors
    /// When the file is missing, is not a model llama.cpp can load, does not
    /// fit in memory, cannot read Japanese, or has too short a context.
    pub fn load(config: &ModelConfig) -> Result<Llm, LlmError> {
        let path = &config.path;
        if !path.is_file() {
            return Err(LlmError::Missing { path: path.clone() });
        }
        let backend = backend()?;
        let gpu_layers = match config.gpu_layers {
            GpuLayers::Count(layers) => layers,
            GpuLayers::Auto => auto_gpu_layers(backend, path),
        };
        let params = LlamaModelParams::default().with_n_gpu_layers(gpu_layers);
        let model = LlamaModel::load_from_file(backend, path, &params)
            .map_err(|error| LlmError::Load { path: path.clone(), reason: load_hint(&error.to_string(), gpu_layers) })?;
        let model: &'static LlamaModel = Box::leak(Box::new(model));

        let probe = model.vocab().tokenize(JAPANESE_PROBE.as_bytes(), false, false);
        let per_char = probe.len() as f32 / JAPANESE_PROBE.chars().count() as f32;
        if per_char > MAX_TOKENS_PER_JAPANESE_CHAR {
            return Err(LlmError::NoJapanese { path: path.clone(), tokens_per_char: per_char });
        }
        if model.n_ctx_train() < config.context_tokens {
            return Err(LlmError::ContextTooShort { path: path.clone(), trained: model.n_ctx_train(), needed: config.context_tokens });
        }

        let threads = config.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, |cores| i32::try_from(cores.get()).unwrap_or(2))
        });
        let context_params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(config.context_tokens))
            .with_n_batch(512)
            .with_n_threads(threads)
            .with_n_threads_batch(threads)
            // Sliding-window models (Gemma 3) would otherwise drop the
            // prefix's cache entries that the next call reuses.
            .with_swa_full(true);
        let context = model
            .new_context(backend, context_params)
            .map_err(|error| LlmError::Load { path: path.clone(), reason: load_hint(&error.to_string(), gpu_layers) })?;
        let description = model.meta_val_str("general.name").unwrap_or_else(|_| path.display().to_string());
        let info = ModelInfo {
            path: path.clone(),
            description,
            gpu_layers: gpu_layers.min(model.n_layer() + 1),
            layers: model.n_layer(),
            context_tokens: config.context_tokens,
            threads,
        };
        tracing::info!(model = %info.description, gpu_layers = info.gpu_layers, threads, "model loaded");
        Ok(Llm { model, context, cached: Vec::new(), info })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The number of tokens `text` takes.
    pub fn count_tokens(&self, text: &str) -> usize {
        self.model.vocab().tokenize(text.as_bytes(), false, false).len()
    }

    /// Greedy decoding of `prompt`, constrained by its grammar. The part of
    /// the prompt shared with the previous call is not evaluated again.
    ///
    /// # Errors
    /// When the prompt does not fit in the context, the grammar is invalid,
    /// or llama.cpp fails to decode.
    pub fn complete(&mut self, request: &Completion<'_>) -> Result<Generated, LlmError> {
        let vocab = self.model.vocab();
        let mut tokens = vocab.tokenize(request.prompt.as_bytes(), vocab.should_add_bos(), false);
        let capacity = self.context.n_ctx() as usize;
        if tokens.len() + request.max_tokens > capacity {
            return Err(LlmError::TooLong { tokens: tokens.len() + request.max_tokens, capacity });
        }
        let mut grammar = request
            .grammar
            .map(|grammar| LlamaSampler::grammar(self.model, grammar, "root"))
            .transpose()
            .map_err(|error| LlmError::Schema(error.to_string()))?;

        let prompt_started = Instant::now();
        // Keep the shared prefix; at least the last prompt token is evaluated
        // again, for its logits.
        let mut reused = self.cached.iter().zip(&tokens).take_while(|(a, b)| a == b).count().min(tokens.len() - 1);
        if !self.context.clear_kv_cache_seq(Some(0), Some(reused as u32), None).unwrap_or(false) {
            self.context.clear_kv_cache();
            reused = 0;
        }
        self.cached.truncate(reused);
        let batch_size = self.context.n_batch() as usize;
        let mut batch = LlamaBatch::new(batch_size, 1);
        for chunk_start in (reused..tokens.len()).step_by(batch_size) {
            batch.clear();
            let chunk_end = (chunk_start + batch_size).min(tokens.len());
            for (position, token) in tokens.iter().enumerate().take(chunk_end).skip(chunk_start) {
                batch.add(*token, position as i32, &[0], position + 1 == tokens.len()).map_err(|error| LlmError::Decode(error.to_string()))?;
            }
            self.context.decode(&mut batch).map_err(|error| LlmError::Decode(error.to_string()))?;
        }
        self.cached.extend_from_slice(&tokens[reused..]);
        let prompt_seconds = prompt_started.elapsed().as_secs_f64();

        let decode_started = Instant::now();
        let mut output = Vec::new();
        let mut logits_index = batch.n_tokens() - 1;
        let mut generated = 0;
        while generated < request.max_tokens {
            let token = self.next_token(logits_index, grammar.as_mut());
            if vocab.is_eog(token) {
                break;
            }
            if let Some(grammar) = grammar.as_mut() {
                grammar.accept(token);
            }
            output.extend(vocab.token_to_piece(token, false, None));
            generated += 1;
            batch.clear();
            let position = tokens.len();
            batch.add(token, position as i32, &[0], true).map_err(|error| LlmError::Decode(error.to_string()))?;
            self.context.decode(&mut batch).map_err(|error| LlmError::Decode(error.to_string()))?;
            tokens.push(token);
            self.cached.push(token);
            logits_index = 0;
        }
        Ok(Generated {
            text: String::from_utf8_lossy(&output).into_owned(),
            prompt_tokens: tokens.len() - generated,
            reused_tokens: reused,
            generated_tokens: generated,
            prompt_seconds,
            decode_seconds: decode_started.elapsed().as_secs_f64(),
        })
    }

    /// The most likely token the grammar allows. The grammar is asked about
    /// the top token first and over the whole vocabulary only when it
    /// refuses it: running it over Gemma's 262k tokens at every step cost
    /// ~100 ms a token.
    fn next_token(&self, logits_index: i32, grammar: Option<&mut LlamaSampler>) -> LlamaToken {
        let logits = self.context.get_logits_ith(logits_index);
        let (best, best_logit) = logits
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(id, logit)| (LlamaToken(id as i32), *logit))
            .expect("the vocabulary is not empty");
        let Some(grammar) = grammar else { return best };
        let mut single = LlamaTokenDataArray::new(vec![LlamaTokenData::new(best, best_logit, 0.0)], false);
        grammar.apply(&mut single);
        if single.data[0].logit().is_finite() {
            return best;
        }
        let mut all = self.context.token_data_array_ith(logits_index);
        grammar.apply(&mut all);
        all.sample_token_greedy()
    }
}

/// Layers to offload: all of them when the model file fits in the first
/// GPU's free memory with a quarter to spare for the cache, else the share
/// that fits; none without a GPU.
fn auto_gpu_layers(backend: &LlamaBackend, path: &Path) -> u32 {
    let free = list_llama_ggml_backend_devices()
        .into_iter()
        .filter(|device| matches!(device.device_type, LlamaBackendDeviceType::Gpu | LlamaBackendDeviceType::IntegratedGpu))
        .map(|device| device.memory_free as u64)
        .max()
        .unwrap_or(0);
    let Ok(size) = std::fs::metadata(path).map(|metadata| metadata.len()) else { return 0 };
    let usable = free * 3 / 4;
    if free == 0 || size == 0 {
        return 0;
    }
    // The layer count is in the file's metadata; reading it loads no weights.
    let Ok(metadata) = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default().with_vocab_only(true))
    else {
        return 0;
    };
    let layers = metadata.n_layer() + 1;
    if size <= usable { layers } else { (u64::from(layers) * usable / size) as u32 }
}

fn load_hint(reason: &str, gpu_layers: u32) -> String {
    if gpu_layers > 0 {
        format!("{reason} (with {gpu_layers} GPU layers: if the GPU is out of memory, try fewer with --gpu-layers)")
    } else {
        format!("{reason} (is it a GGUF file, and is there enough memory?)")
    }
}
