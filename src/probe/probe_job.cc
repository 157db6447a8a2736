#include "probe/probe_job.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "backend/backend.h"
#include "base/error.h"
#include "base/index_list.h"
#include "base/output_path.h"
#include "base/progress.h"
#include "eval/eval_setup.h"
#include "eval/registry.h"
#include "eval/task_loading.h"
#include "io/model_config.h"
#include "model/model.h"
#include "probe/calibration_text.h"
#include "probe/probe_sequences.h"
#include "runtime/layer_probe.h"

namespace halo::probe {

namespace {

// Packs sequences into batches of at most `batch_tokens` tokens (a longer sequence alone) and runs
// each through the probe, adding up the sums.
runtime::ProbeSums run_all(runtime::LayerProbe& probe, const std::vector<runtime::ProbeSequence>& sequences,
                           int64_t batch_tokens, bool block_influence, bool bf16, Progress& progress) {
  runtime::ProbeSums total;
  size_t begin = 0;
  while (begin < sequences.size()) {
    size_t end = begin;
    int64_t tokens = 0;
    while (end < sequences.size() && (end == begin || tokens + int64_t(sequences[end].tokens.size()) <= batch_tokens)) {
      tokens += int64_t(sequences[end].tokens.size());
      ++end;
    }
    total.add(probe.run(std::span(sequences).subspan(begin, end - begin), block_influence, bf16));
    progress.advance(end - begin);
    begin = end;
  }
  return total;
}

// A measured value must be a number: a NaN from broken weights would otherwise rank silently.
double checked(double value, const std::string& what, int layer) {
  if (!std::isfinite(value)) {
    fail("{}{} is not finite ({}); halo info --check-weights finds NaN/Inf weights", what,
         layer < 0 ? std::string() : fmt::format(" of layer {}", layer), value);
  }
  return value;
}

}  // namespace

std::string probe_summary(const eval::ProbeRecord& record) {
  std::vector<std::string> measured;
  for (const std::string& name : eval::probe_proxy_names()) {
    if (record.proxies.contains(name)) measured.push_back(name);
  }
  std::string out = "Layer";
  for (const std::string& name : measured) out += fmt::format(" | {:>12}", name);
  out += "\n";
  for (size_t i = 0; i < record.layers.size(); ++i) {
    out += fmt::format("{:>5}", record.layers[i]);
    for (const std::string& name : measured) out += fmt::format(" | {:>12.6f}", record.proxies.at(name)[i]);
    out += "\n";
  }
  return out;
}

std::filesystem::path probe_file_in(const std::filesystem::path& root) { return root / eval::kProbeFile; }

eval::ProbeRecord run_probe_job(const ProbeRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  HALO_CHECK(!request.rnn_dir.empty(), "probe needs --rnn (the Stage-1 run whose layers are probed)");
  HALO_CHECK(!request.calibration.empty() || !request.data_dir.empty(),
             "probe needs --calibration FILE (kl-text, bi) and/or --data DIR (kl-retrieval, nll)");
  HALO_CHECK(request.batch_tokens >= 2, "--batch-tokens must be at least 2");
  HALO_CHECK(request.requests >= 1, "--requests must be at least 1");
  if (!request.data_dir.empty()) {
    HALO_CHECK(std::filesystem::is_directory(request.data_dir), "--data {}: not a directory",
               request.data_dir.string());
  }
  check_writable_file(request.out, "--out");  // before the work, not after
  const backend::DeviceSpec device = backend::parse_device(request.device);

  const io::ModelConfig config = io::load_model_config(request.model_dir / "config.json");
  const std::vector<int> layers = parse_index_list(
      request.layers.empty() ? fmt::format("0-{}", config.num_layers - 1) : request.layers, config.num_layers,
      "--layers");
  HALO_CHECK(request.calibration.empty() || request.chunk_tokens - 1 <= config.max_position_embeddings,
             "--chunk-tokens {}: a chunk runs {} positions, more than the model's max_position_embeddings {}",
             request.chunk_tokens, request.chunk_tokens - 1, config.max_position_embeddings);

  // Inputs first (tokenizer, corpus, task requests), so that their problems surface before the
  // weights are read.
  eval::EvalSetup setup = eval::make_eval_setup(request.model_dir, request.tokenizer_dir, config);
  eval::ProbeRecord record;
  record.model = request.model_dir.string();
  record.rnn = request.rnn_dir.string();
  record.device = request.device;
  record.precision = request.precision == eval::Precision::fp32 ? "fp32" : "bf16";
  record.num_layers = config.num_layers;
  record.layers = layers;

  std::optional<CalibrationText> text;
  if (!request.calibration.empty()) {
    text = read_calibration_text(request.calibration, *setup.codec, request.chunk_tokens, request.text_chunks);
    record.text = eval::ProbeTextCalibration{request.calibration.string(),
                                             text->sha256,
                                             request.chunk_tokens,
                                             int64_t(text->chunks.size()),
                                             text->chunks_in_file,
                                             int64_t(text->chunks.size()) * (request.chunk_tokens - 1)};
  }
  std::vector<TaskSequences> tasks;
  if (!request.data_dir.empty()) {
    eval::RunOptions& run = setup.options;
    run.data_dir = request.data_dir;
    run.limit = request.requests;
    run.max_seq_lengths = request.ruler_lengths;
    run.progress = false;
    const std::vector<const eval::Task*> resolved = eval::resolve_tasks(request.tasks);
    eval::check_data_files(resolved, request.data_dir);  // every missing file at once
    const eval::PreparedEval prepared = eval::prepare_eval(resolved, *setup.codec, run);
    tasks = task_sequences(prepared, *setup.codec);
    for (const TaskSequences& t : tasks) {
      if (t.sequences.empty()) {
        fail("{}: no document of {} has a usable gold answer ({} skipped)", request.data_dir.string(), t.task,
             t.skipped);
      }
    }
    record.data = request.data_dir.string();
    record.requests_per_task = int64_t(request.requests);
  }

  // The weights, with only the probed layers' Stage-1 mixers.
  std::unique_ptr<backend::Backend> backend = backend::make_backend(device);
  model::LoadOptions load;
  load.rnn_dir = request.rnn_dir;
  load.rnn_step = request.rnn_step;
  load.rnn_layers = layers;
  const model::Model model = model::Model::load(*backend, request.model_dir, load);
  record.rnn_step = model.rnn_step();
  std::vector<model::Variant> variants;
  for (int layer : layers) variants.push_back(model::Variant::converting(config.num_layers, {layer}));
  runtime::LayerProbe probe(*backend, model, variants);
  const bool bf16 = request.precision == eval::Precision::bf16;

  size_t total_sequences = text ? text->chunks.size() : 0;
  for (const TaskSequences& t : tasks) total_sequences += t.sequences.size();
  std::fprintf(stderr, "probe: %zu layer(s), %zu sequence(s) on %s\n", layers.size(), total_sequences,
               request.device.c_str());
  Progress progress("probe", total_sequences);

  if (text) {
    std::vector<runtime::ProbeSequence> chunks;
    for (const auto& c : text->chunks) chunks.push_back({c, 0});
    const runtime::ProbeSums sums = run_all(probe, chunks, request.batch_tokens, true, bf16, progress);
    std::vector<double>& kl = record.proxies["kl-text"];
    std::vector<double>& bi = record.proxies["bi"];
    for (size_t k = 0; k < layers.size(); ++k) {
      kl.push_back(checked(sums.kl[k] / double(sums.compared), "kl-text", layers[k]));
      bi.push_back(checked(1.0 - sums.cosine[size_t(layers[k])] / double(sums.rows), "bi", layers[k]));
    }
  }
  if (!tasks.empty()) {
    std::vector<double> kl_retrieval(layers.size(), 0.0), nll(layers.size(), 0.0);
    size_t retrieval_tasks = 0;
    for (const TaskSequences& t : tasks) {
      const runtime::ProbeSums sums = run_all(probe, t.sequences, request.batch_tokens, false, bf16, progress);
      eval::ProbeTask& out = record.tasks[t.task];
      out.suite = t.suite;
      out.requests = int64_t(t.sequences.size());
      out.answer_tokens = sums.compared;
      const double n = double(sums.compared);
      out.nll_original = checked(sums.nll_original / n, t.task + " NLL of the original", -1);
      for (size_t k = 0; k < layers.size(); ++k) {
        out.kl.push_back(checked(sums.kl[k] / n, t.task + " KL", layers[k]));
        out.nll.push_back(checked(sums.nll[k] / n, t.task + " NLL", layers[k]));
        nll[k] += out.nll[k] - out.nll_original;
        if (t.suite == "retrieval") kl_retrieval[k] += out.kl[k];
      }
      if (t.suite == "retrieval") ++retrieval_tasks;
    }
    for (double& v : nll) v /= double(tasks.size());
    record.proxies["nll"] = nll;
    if (retrieval_tasks > 0) {
      for (double& v : kl_retrieval) v /= double(retrieval_tasks);
      record.proxies["kl-retrieval"] = kl_retrieval;
    }
  }
  progress.finish();
  record.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  eval::write_probe_record(request.out, record);
  return record;
}

}  // namespace halo::probe
