//! A model behind an OpenAI-compatible server (llama.cpp's `llama-server`,
//! `llama_cpp.server`, vLLM), so one GPU server can structure for many
//! intake PCs. The GBNF grammar travels in the request's `grammar` field,
//! which llama.cpp-based servers honour.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{Completion, Generated, LlmError, TextModel};

pub struct RemoteModel {
    base_url: String,
    agent: ureq::Agent,
}

impl RemoteModel {
    /// `base_url` such as `http://10.0.0.7:8080`; `timeout` bounds each
    /// request (a slow server counts as unavailable, and the document waits).
    pub fn new(base_url: &str, timeout: Duration) -> RemoteModel {
        let agent = ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(5)).timeout(timeout).build();
        RemoteModel { base_url: base_url.trim_end_matches('/').to_owned(), agent }
    }
}

impl TextModel for RemoteModel {
    fn complete(&mut self, request: &Completion<'_>) -> Result<Generated, LlmError> {
        let url = format!("{}/v1/completions", self.base_url);
        let mut body = json!({
            "prompt": request.prompt,
            "max_tokens": request.max_tokens,
            "temperature": 0.0,
        });
        if let Some(grammar) = request.grammar {
            body["grammar"] = json!(grammar);
        }
        let started = Instant::now();
        let response: Value = match self.agent.post(&url).send_json(body) {
            Ok(response) => response
                .into_json()
                .map_err(|error| LlmError::Unavailable { url: url.clone(), reason: format!("unreadable answer: {error}") })?,
            Err(ureq::Error::Status(status, response)) if status >= 500 || status == 429 => {
                let reason = format!("HTTP {status}: {}", response.into_string().unwrap_or_default());
                return Err(LlmError::Unavailable { url, reason });
            }
            Err(ureq::Error::Status(status, response)) => {
                let body = response.into_string().unwrap_or_default();
                return Err(LlmError::Remote { url, status, body });
            }
            Err(ureq::Error::Transport(transport)) => {
                return Err(LlmError::Unavailable { url, reason: transport.to_string() });
            }
        };
        let text = response["choices"][0]["text"]
            .as_str()
            .ok_or_else(|| LlmError::Remote { url: url.clone(), status: 200, body: response.to_string() })?
            .to_owned();
        let count = |key: &str| response["usage"][key].as_u64().unwrap_or(0) as usize;
        Ok(Generated {
            text,
            prompt_tokens: count("prompt_tokens"),
            reused_tokens: 0,
            generated_tokens: count("completion_tokens"),
            prompt_seconds: 0.0,
            decode_seconds: started.elapsed().as_secs_f64(),
        })
    }

    fn describe(&self) -> String {
        format!("model server {}", self.base_url)
    }
}
