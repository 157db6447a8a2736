#include "eval/runner.h"

#include <algorithm>
#include <chrono>
#include <string>

#include <fmt/ranges.h>
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

double multiple_choice_metric(const ChoiceOutcome& outcome, const std::string& name) {
  if (name == "acc") return outcome.acc;
  if (name == "acc_norm") return outcome.acc_norm;
  fail("multiple-choice tasks know the metrics acc and acc_norm, not '{}'", name);
}

std::vector<DocOutcome> run_multiple_choice(const PreparedTask& prepared, runtime::LanguageModel& model,
                                            const RunOptions& options) {
  const Task& task = *prepared.task;
  const auto& docs = prepared.docs;
  const auto& built = prepared.score_requests;
  std::vector<DocOutcome> outcomes;
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
      DocOutcome& doc = outcomes.emplace_back();
      doc.loglikelihoods = outcome.loglikelihoods;
      for (const auto& s : scores[i - begin]) doc.is_greedy.push_back(s.is_greedy);
      for (const auto& spec : task.metrics) doc.metrics.push_back({spec.name, multiple_choice_metric(outcome, spec.name)});
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
  return outcomes;
}

std::vector<DocOutcome> run_generation(const PreparedTask& prepared, runtime::LanguageModel& model,
                                       const RunOptions& options) {
  const Task& task = *prepared.task;
  const auto& docs = prepared.docs;
  const StopStrings& stops = *prepared.stops;
  std::vector<DocOutcome> outcomes;
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
      request.stop_token_ids = options.stop_token_ids;
      request.should_stop = [&stops](std::span<const int32_t> generated) { return stops.should_stop(generated); };
      batch.push_back(std::move(request));
    }
    auto generated = model.generate(batch);
    HALO_CHECK(generated.size() == batch.size(), "model returned {} results for {} generation requests",
               generated.size(), batch.size());
    for (size_t i = begin; i < end; ++i) {
      DocOutcome& doc = outcomes.emplace_back();
      doc.output = stops.output_text(generated[i - begin]);
      doc.metrics = task.score_generation(docs[i], doc.output);
      nlohmann::json line = {{"task", task.name},
                             {"doc_id", i},
                             {"context", docs[i].context},
                             {"prompt_tokens", prepared.prompts[i].size()},
                             {"generated_tokens", generated[i - begin].size()},
                             {"output", doc.output},
                             {"answers", docs[i].answers}};
      for (const auto& m : doc.metrics) line[m.name] = m.value;
      write_sample(options, line);
    }
    progress.advance(end - begin);
  }
  progress.finish();
  return outcomes;
}

}  // namespace

PreparedEval prepare_eval(std::span<const Task* const> tasks, const Codec& codec, const RunOptions& options) {
  auto start = std::chrono::steady_clock::now();
  PreparedEval prepared;
  prepared.limit = options.limit;
  prepared.max_seq_lengths = options.max_seq_lengths;
  InputHash hash;
  std::vector<const Task*> ordered(tasks.begin(), tasks.end());
  std::sort(ordered.begin(), ordered.end(), [](const Task* a, const Task* b) { return a->name < b->name; });
  for (const Task* task : ordered) {
    PreparedTask& p = prepared.tasks.emplace_back();
    p.task = task;
    LoadedDocs loaded = task->load(LoadContext{options.data_dir, &codec, options.limit, options.max_seq_lengths});
    HALO_CHECK(!loaded.docs.empty(), "{}: no documents in {}", task->name, task->data_files);
    p.docs = std::move(loaded.docs);
    p.total_docs = loaded.total;
    hash.add(task->name);
    // Like a changed budget below, only lengths other than lm-eval's default enter the hash.
    if (task->uses_max_seq_lengths && options.max_seq_lengths != std::vector<size_t>{4096}) {
      hash.add(fmt::format("max_seq_lengths={}", fmt::join(options.max_seq_lengths, ",")));
    }
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
    TaskResult result;
    result.name = task.name;
    result.version = task.version;
    result.num_samples = p.docs.size();
    result.docs = task.output_type == OutputType::multiple_choice ? run_multiple_choice(p, model, options)
                                                                  : run_generation(p, model, options);
    result.metrics = aggregate_documents(task, result.docs);
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
