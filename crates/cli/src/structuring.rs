//! The command-line choices of how to structure documents: rules alone or
//! with a model, which model, how many GPU layers, which templates.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use torikomi_extract::{Extractor, ModelAssist, Template};
use torikomi_llm::{GpuLayers, Llm, ModelConfig, RemoteModel};

use torikomi_pipeline::runtime::{self, DEFAULT_MODEL_FILE};

#[derive(Args, Clone)]
pub struct StructuringArgs {
    /// Structure with the labelled-value rules alone, without a language model.
    #[arg(long)]
    no_llm: bool,
    /// GGUF model file (default: the manifest's default model in models/).
    #[arg(long, conflicts_with = "no_llm")]
    model: Option<PathBuf>,
    /// Structure through an OpenAI-compatible server (llama.cpp's
    /// llama-server, llama_cpp.server) at this URL instead of a model in
    /// this process; while it cannot be reached, documents wait.
    #[arg(long, conflicts_with_all = ["no_llm", "model"], env = "TORIKOMI_MODEL_SERVER")]
    model_server: Option<String>,
    /// Seconds a model server may take per request before it counts as
    /// unavailable.
    #[arg(long, default_value_t = 120.0)]
    model_timeout: f64,
    /// Layers to offload to the GPU: a number, or `auto` (all that fit in
    /// free GPU memory; none in a CPU-only build).
    #[arg(long, default_value = "auto")]
    gpu_layers: String,
    /// Also run an extraction template: a name from models/templates/
    /// (ctcae, recist) or a template JSON file. Repeatable.
    #[arg(long = "template", conflicts_with = "no_llm")]
    templates: Vec<String>,
}

impl StructuringArgs {
    pub fn uses_model(&self) -> bool {
        !self.no_llm
    }

    /// The same choices, as arguments of a child `torikomi`.
    pub fn forward(&self, command: &mut std::process::Command) {
        if self.no_llm {
            command.arg("--no-llm");
        }
        if let Some(model) = &self.model {
            command.arg("--model").arg(model);
        }
        if let Some(url) = &self.model_server {
            command.args(["--model-server", url, "--model-timeout", &self.model_timeout.to_string()]);
        }
        command.args(["--gpu-layers", &self.gpu_layers]);
        for template in &self.templates {
            command.args(["--template", template]);
        }
    }

    /// Loads the model (once; the extractor keeps it) and the templates.
    pub fn extractor(&self) -> anyhow::Result<Extractor> {
        if self.no_llm {
            return Ok(Extractor::rules_only());
        }
        let templates = self.templates.iter().map(|name| load_template(name)).collect::<anyhow::Result<Vec<_>>>()?;
        if let Some(url) = &self.model_server {
            let server = RemoteModel::new(url, Duration::from_secs_f64(self.model_timeout));
            return Ok(Extractor::with_model(ModelAssist::new(Box::new(server), templates)));
        }
        let path = match &self.model {
            Some(path) => path.clone(),
            None => runtime::models_dir()
                .context("no models/ directory found: set TORIKOMI_MODELS, pass --model FILE.gguf, or --no-llm")?
                .join(DEFAULT_MODEL_FILE),
        };
        let gpu_layers = match self.gpu_layers.as_str() {
            "auto" => GpuLayers::Auto,
            count => GpuLayers::Count(count.parse().with_context(|| format!("--gpu-layers {count}: a number or auto"))?),
        };
        let config = ModelConfig { gpu_layers, ..ModelConfig::new(path) };
        let llm = Llm::load(&config).context("cannot load the structuring model (or run with --no-llm)")?;
        Ok(Extractor::with_model(ModelAssist::new(Box::new(llm), templates)))
    }
}

fn load_template(name: &str) -> anyhow::Result<Template> {
    let as_path = PathBuf::from(name);
    let path = if as_path.is_file() {
        as_path
    } else {
        let Some(dir) = runtime::models_dir() else { bail!("template {name}: no such file, and no models/ directory") };
        let path = dir.join("templates").join(format!("{name}.json"));
        if !path.is_file() {
            bail!("template {name}: neither a file nor {}", path.display());
        }
        path
    };
    Ok(Template::load(&path)?)
}
