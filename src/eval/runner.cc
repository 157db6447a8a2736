#include "eval/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/progress.h"
#include "eval/input_hash.h"

namespace halo::eval {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void write_sample(const RunOptions& options, const nlohmann::json& line) {
  if (options.samples) *options.samples << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

// A model whose logits hold a NaN or an infinity (non-finite weights) yields no log-likelihoods or
// tokens; numpy would let choice 0 win every NaN argmax and a sweep would rank such a layer first.
// The run stops instead, naming the variant, the task and the first document affected.
[[noreturn]] void fail_non_finite(const runtime::LanguageModel& model, const Task& task, size_t doc_id,
                                  const char* what) {
  fail("{}: {} doc_id {}: {} (the model's logits hold a NaN or an infinity; `halo info --check-weights` "
       "finds non-finite weights)",
       model.describe(), task.name, doc_id, what);
}

// Per-document metric values, one vector per metric of the task.
using MetricColumns = std::vector<std::vector<double>>;

double multiple_choice_metric(const ChoiceOutcome& outcome, const std::string& name) {
  if (name == "acc") return outcome.acc;
  if (name == "acc_norm") return outcome.acc_norm;
  fail("multiple-choice tasks know the metrics acc and acc_norm, not '{}'", name);
}

MetricColumns run_multiple_choice(const PreparedTask& prepared, runtime::LanguageModel& model,
                                  const RunOptions& options) {
  const Task& task = *prepared.task;
  const auto& docs = prepared.docs;
  const auto& built = prepared.score_requests;
  MetricColumns columns(task.metrics.size());
  Progress progress(task.name, docs.size(), options.progress);
  for (size_t begin = 0; begin < docs.size(); begin += options.score_batch) {
    size_t end = std::min(docs.size(), begin + options.score_batch);
    std::vector<runtime::ScoreRequest> batch;
    for (size_t i = begin; i < end; ++i) batch.push_back(built[i].request);
    auto scores = model.score(batch);
    HALO_CHECK(scores.size() == batch.size(), "model returned {} results for {} score requests", scores.size(),
               batch.size());
    for (size_t i = begin; i < end; ++i) {
      ChoiceOutcome outcome = score_multiple_choice(docs[i], scores[i - begin], options.precision);
      for (double ll : outcome.loglikelihoods) {
        if (!std::isfinite(ll)) fail_non_finite(model, task, i, "a log-likelihood is not finite");
      }
      for (size_t m = 0; m < task.metrics.size(); ++m) {
        columns[m].push_back(multiple_choice_metric(outcome, task.metrics[m].name));
      }
      if (options.samples) {
        std::vector<size_t> continuation_tokens;
        for (const auto& c : built[i].request.continuations) continuation_tokens.push_back(c.size());
        write_sample(options, {{"task", task.name},
                               {"doc_id", i},
                               {"context", built[i].context},
                               {"continuations", built[i].continuations},
                               {"context_tokens", built[i].request.context.size()},
                               {"continuation_tokens", continuation_tokens},
                               {"loglikelihoods", outcome.loglikelihoods},
                               {"gold", docs[i].gold},
                               {"prediction", outcome.prediction},
                               {"prediction_norm", outcome.prediction_norm},
                               {"acc", outcome.acc},
                               {"acc_norm", outcome.acc_norm}});
      }
    }
    progress.advance(end - begin);
  }
  progress.finish();
  return columns;
}

MetricColumns run_generation(const PreparedTask& prepared, runtime::LanguageModel& model,
                             const RunOptions& options) {
  const Task& task = *prepared.task;
  const auto& docs = prepared.docs;
  const StopStrings& stops = *prepared.stops;
  MetricColumns columns(task.metrics.size());
  Progress progress(task.name, docs.size(), options.progress);
  // Batches as large as the limits allow: decoding a step costs about the same host-side work for
  // 1 or 64 sequences, so fewer, larger batches are faster (docs/PERFORMANCE.md).
  auto batch_end = [&](size_t begin) {
    size_t end = begin;
    int64_t tokens = 0;
    do {
      tokens += int64_t(prepared.prompts[end].size()) + prepared.max_new_tokens;
      ++end;
    } while (end < docs.size() && end - begin < options.generate_batch &&
             tokens + int64_t(prepared.prompts[end].size()) + prepared.max_new_tokens <=
                 options.generate_batch_tokens);
    return end;
  };
  for (size_t begin = 0, end = 0; begin < docs.size(); begin = end) {
    end = batch_end(begin);
    std::vector<runtime::GenerateRequest> batch;
    for (size_t i = begin; i < end; ++i) {
      runtime::GenerateRequest request;
      request.prompt = prepared.prompts[i];
      request.max_new_tokens = prepared.max_new_tokens;
      // HF's generate() on a bf16 model picks from bf16 logits; --precision fp32 compares fp32 ones.
      request.rounding = options.precision == Precision::bf16 ? backend::LogitRounding::bf16
                                                              : backend::LogitRounding::none;
      request.stop_token_ids = options.stop_token_ids;
      request.should_stop = [&stops](std::span<const int32_t> generated) { return stops.should_stop(generated); };
      batch.push_back(std::move(request));
    }
    std::vector<std::vector<int32_t>> generated;
    try {
      generated = model.generate(batch);
    } catch (const runtime::NonFiniteLogits& e) {
      fail_non_finite(model, task, begin + e.request, "greedy decoding met non-finite logits");
    }
    HALO_CHECK(generated.size() == batch.size(), "model returned {} results for {} generation requests",
               generated.size(), batch.size());
    for (size_t i = begin; i < end; ++i) {
      std::string output = stops.output_text(generated[i - begin]);
      std::vector<double> values = task.score_generation(docs[i], output);
      nlohmann::json line = {{"task", task.name},
                             {"doc_id", i},
                             {"context", docs[i].context},
                             {"prompt_tokens", prepared.prompts[i].size()},
                             {"generated_tokens", generated[i - begin].size()},
                             {"output", output},
                             {"answers", docs[i].answers}};
      for (size_t m = 0; m < task.metrics.size(); ++m) {
        columns[m].push_back(values.at(m));
        line[task.metrics[m].name] = values[m];
      }
      write_sample(options, line);
    }
    progress.advance(end - begin);
  }
  progress.finish();
  return columns;
}

}  // namespace

PreparedEval prepare_eval(std::span<const Task* const> tasks, const Codec& codec, const RunOptions& options) {
  auto start = std::chrono::steady_clock::now();
  PreparedEval prepared;
  prepared.limit = options.limit;
  InputHash hash;
  std::vector<const Task*> ordered(tasks.begin(), tasks.end());
  std::sort(ordered.begin(), ordered.end(), [](const Task* a, const Task* b) { return a->name < b->name; });
  for (const Task* task : ordered) {
    PreparedTask& p = prepared.tasks.emplace_back();
    p.task = task;
    LoadedDocs loaded = task->load(LoadContext{options.data_dir, &codec, options.limit});
    HALO_CHECK(!loaded.docs.empty(), "{}: no documents in {}", task->name, task->data_files);
    p.docs = std::move(loaded.docs);
    hash.add(task->name);
    for (const auto& file : loaded.files) hash.add(read_file(file));

    if (task->output_type == OutputType::multiple_choice) {
      for (const auto& doc : p.docs) {
        std::vector<std::string> continuations;
        for (const auto& choice : doc.choices) continuations.push_back(task->target_delimiter + choice);
        p.score_requests.push_back(build_score_request(codec, doc.context, continuations, options.prefix_token));
        hash.add(p.score_requests.back().request.context);
        for (const auto& c : p.score_requests.back().request.continuations) hash.add(c);
      }
    } else {
      p.stops.emplace(codec, task->generation.until, options.eos_string);
      p.max_new_tokens = options.max_new_tokens.value_or(task->generation.max_gen_toks);
      // The task name stands for its own max_gen_toks; only a different budget enters the hash, so
      // hashes without an override stay what they were.
      if (p.max_new_tokens != task->generation.max_gen_toks) {
        hash.add("max_new_tokens=" + std::to_string(p.max_new_tokens));
      }
      for (const auto& doc : p.docs) {
        p.prompts.push_back(codec.encode(doc.context, false));
        hash.add(p.prompts.back());
      }
    }
  }
  prepared.input_hash = hash.value();
  prepared.seconds = seconds_since(start);
  return prepared;
}

EvalResults run_prepared(const PreparedEval& prepared, runtime::LanguageModel& model, const RunOptions& options) {
  auto run_start = std::chrono::steady_clock::now();
  EvalResults results;
  results.model_description = model.describe();
  results.precision = options.precision == Precision::bf16 ? "bf16" : "fp32";
  results.limit = prepared.limit;
  for (const PreparedTask& p : prepared.tasks) {
    auto task_start = std::chrono::steady_clock::now();
    const Task& task = *p.task;
    MetricColumns columns = task.output_type == OutputType::multiple_choice
                                ? run_multiple_choice(p, model, options)
                                : run_generation(p, model, options);
    TaskResult result;
    result.name = task.name;
    result.version = task.version;
    result.num_samples = p.docs.size();
    for (size_t m = 0; m < task.metrics.size(); ++m) {
      Aggregate agg = aggregate_mean(columns[m], task.metrics[m].has_stderr);
      result.metrics.push_back({task.metrics[m].name, agg.value, agg.stderr_value, true});
    }
    result.seconds = seconds_since(task_start);
    results.tasks.push_back(std::move(result));
  }
  InputHash hash(prepared.input_hash);
  hash.add(results.model_description);
  results.input_hash = hash.value();
  results.prepare_seconds = prepared.seconds;
  results.seconds = seconds_since(run_start);
  return results;
}

EvalResults run_eval(std::span<const Task* const> tasks, runtime::LanguageModel& model, const Codec& codec,
                     const RunOptions& options) {
  return run_prepared(prepare_eval(tasks, codec, options), model, options);
}

}  // namespace halo::eval
