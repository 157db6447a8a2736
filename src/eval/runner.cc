#include "eval/runner.h"

#include <algorithm>
#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/progress.h"
#include "eval/input_hash.h"
#include "eval/task_loading.h"

namespace halo::eval {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void write_sample(const RunOptions& options, const nlohmann::json& line) {
  if (options.samples) *options.samples << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
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
    // One request per document, or one per continuation for a document whose context was cut.
    std::vector<runtime::ScoreRequest> batch;
    for (size_t i = begin; i < end; ++i) {
      for (const auto& request : built[i].model_requests()) batch.push_back(request);
    }
    auto scores = model.score(batch);
    HALO_CHECK(scores.size() == batch.size(), "model returned {} results for {} score requests", scores.size(),
               batch.size());
    size_t next = 0;
    for (size_t i = begin; i < end; ++i) {
      std::vector<runtime::ContinuationScore> doc_scores;
      for (size_t r = 0; r < built[i].model_requests().size(); ++r, ++next) {
        for (auto& score : scores[next]) doc_scores.push_back(std::move(score));
      }
      ChoiceOutcome outcome = score_multiple_choice(docs[i], doc_scores, options.precision);
      for (size_t m = 0; m < task.metrics.size(); ++m) {
        columns[m].push_back(multiple_choice_metric(outcome, task.metrics[m].name));
      }
      if (options.samples) {
        std::vector<size_t> continuation_tokens;
        for (const auto& c : built[i].request.continuations) continuation_tokens.push_back(c.size());
        nlohmann::json line = {{"task", task.name},
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
                               {"acc_norm", outcome.acc_norm}};
        if (!built[i].truncated.empty()) {
          // How many context tokens each continuation was scored after, once cut to the model's length.
          std::vector<size_t> kept;
          for (const auto& r : built[i].truncated) kept.push_back(r.context.size());
          line["context_tokens_kept"] = kept;
        }
        write_sample(options, line);
      }
    }
    progress.advance(end - begin);
  }
  progress.finish();
  return columns;
}

MetricColumns run_generation(const PreparedTask& prepared, std::optional<int64_t> max_length,
                             runtime::LanguageModel& model, const RunOptions& options) {
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
      // Prompt and output stay within the model's length. lm-eval's own budget always fits (the
      // prompt keeps max_length - max_gen_toks tokens); only a larger generation_config budget is cut.
      if (max_length) {
        request.max_new_tokens =
            int(std::min<int64_t>(request.max_new_tokens, *max_length - int64_t(request.prompt.size())));
      }
      request.stop_token_ids = options.stop_token_ids;
      request.should_stop = [&stops](std::span<const int32_t> generated) { return stops.should_stop(generated); };
      batch.push_back(std::move(request));
    }
    auto generated = model.generate(batch);
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
  check_data_files(tasks, options.data_dir);
  PreparedEval prepared;
  prepared.limit = options.limit;
  prepared.max_length = options.max_length;
  InputHash hash;
  std::vector<const Task*> ordered(tasks.begin(), tasks.end());
  std::sort(ordered.begin(), ordered.end(), [](const Task* a, const Task* b) { return a->name < b->name; });
  for (const Task* task : ordered) {
    PreparedTask& p = prepared.tasks.emplace_back();
    p.task = task;
    if (task->output_type == OutputType::generate_until && options.max_length) {
      HALO_CHECK(task->generation.max_gen_toks < *options.max_length,
                 "{}: max_gen_toks {} leaves no room for a prompt within the model's maximum length {} "
                 "(max_position_embeddings)", task->name, task->generation.max_gen_toks, *options.max_length);
    }
    LoadedDocs loaded = task->load(LoadContext{options.data_dir, &codec, options.limit});
    HALO_CHECK(!loaded.docs.empty(), "{}: no documents in {}", task->name, task->data_files);
    p.docs = std::move(loaded.docs);
    hash.add(task->name);
    for (const auto& file : loaded.files) hash.add(read_file(file));
    // Errors and running out of memory while encoding name the document and where it came from.
    const std::string source = loaded.files.empty() ? task->name : loaded.files.front().string();
    size_t doc_index = 0;
    try {
      if (task->output_type == OutputType::multiple_choice) {
        for (const auto& doc : p.docs) {
          std::vector<std::string> continuations;
          for (const auto& choice : doc.choices) continuations.push_back(task->target_delimiter + choice);
          p.score_requests.push_back(
              build_score_request(codec, doc.context, continuations, options.prefix_token, options.max_length));
          const BuiltScoreRequest& built = p.score_requests.back();
          hash.add(built.request.context);
          for (const auto& c : built.request.continuations) hash.add(c);
          // Cut contexts enter the hash only when there are any, so other hashes stay what they were.
          for (const auto& r : built.truncated) hash.add(r.context);
          ++doc_index;
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
          std::vector<int32_t> prompt = codec.encode(doc.context, false);
          // lm-eval cuts the prompt by the task's max_gen_toks, whatever budget generate() then uses.
          if (options.max_length) {
            prompt = left_truncate_prompt(std::move(prompt), *options.max_length, task->generation.max_gen_toks);
          }
          p.prompts.push_back(std::move(prompt));
          hash.add(p.prompts.back());
          ++doc_index;
        }
      }
    } catch (const Error& e) {
      fail("{}: {} document {}: {}", source, task->name, doc_index, e.what());
    } catch (const std::bad_alloc&) {
      fail("{}: {} document {}: out of memory while encoding it", source, task->name, doc_index);
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
                                : run_generation(p, prepared.max_length, model, options);
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
