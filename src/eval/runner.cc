#include "eval/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include <fmt/ranges.h>
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

// A model whose logits hold a NaN or an infinity (non-finite weights) yields no log-likelihoods or
// tokens; numpy would let choice 0 win every NaN argmax and a sweep would rank such a layer first.
// The run stops instead, naming the variant, the task and the first document affected.
[[noreturn]] void fail_non_finite(const std::string& variant, const Task& task, size_t doc_id, const char* what) {
  fail("{}: {} doc_id {}: {} (the model's logits hold a NaN or an infinity; `halo info --check-weights` "
       "finds non-finite weights)",
       variant, task.name, doc_id, what);
}

double multiple_choice_metric(const ChoiceOutcome& outcome, const std::string& name) {
  if (name == "acc") return outcome.acc;
  if (name == "acc_norm") return outcome.acc_norm;
  fail("multiple-choice tasks know the metrics acc and acc_norm, not '{}'", name);
}

std::vector<std::vector<DocOutcome>> run_multiple_choice(const PreparedTask& prepared, const WorkBatch& batch,
                                                         runtime::VariantSet& models, std::span<const size_t> which,
                                                         const RunOptions& options) {
  const Task& task = *prepared.task;
  // One request per document, or one per continuation for a document whose context was cut.
  std::vector<runtime::ScoreRequest> requests;
  for (size_t d = batch.begin; d < batch.end; ++d) {
    for (const auto& request : prepared.score_requests[d].model_requests()) requests.push_back(request);
  }
  auto scores = models.score(which, requests);
  HALO_CHECK(scores.size() == which.size(), "model returned {} variants for {}", scores.size(), which.size());
  std::vector<std::vector<DocOutcome>> out(which.size());
  for (size_t k = 0; k < which.size(); ++k) {
    HALO_CHECK(scores[k].size() == requests.size(), "model returned {} results for {} score requests",
               scores[k].size(), requests.size());
    size_t next = 0;
    for (size_t d = batch.begin; d < batch.end; ++d) {
      std::vector<runtime::ContinuationScore> doc_scores;
      for (size_t r = 0; r < prepared.score_requests[d].model_requests().size(); ++r, ++next) {
        for (auto& score : scores[k][next]) doc_scores.push_back(std::move(score));
      }
      ChoiceOutcome choice = score_multiple_choice(prepared.docs[d], doc_scores, options.precision);
      for (double ll : choice.loglikelihoods) {
        if (!std::isfinite(ll)) fail_non_finite(models.describe(which[k]), task, d, "a log-likelihood is not finite");
      }
      DocOutcome& outcome = out[k].emplace_back();
      for (const MetricSpec& metric : task.metrics) {
        outcome.metrics.push_back({metric.name, multiple_choice_metric(choice, metric.name)});
      }
      outcome.loglikelihoods = std::move(choice.loglikelihoods);
      for (const auto& s : doc_scores) outcome.is_greedy.push_back(s.is_greedy);
    }
  }
  return out;
}

std::vector<std::vector<DocOutcome>> run_generation(const PreparedEval& prepared_eval, const PreparedTask& prepared,
                                                    const WorkBatch& batch,
                                                    runtime::VariantSet& models, std::span<const size_t> which,
                                                    const RunOptions& options) {
  const Task& task = *prepared.task;
  const StopStrings& stops = *prepared.stops;
  std::vector<runtime::GenerateRequest> requests;
  for (size_t d = batch.begin; d < batch.end; ++d) {
    runtime::GenerateRequest request;
    request.prompt = prepared.prompts[d];
    request.max_new_tokens = prepared.max_new_tokens;
    // Prompt and output stay within the model's length. lm-eval's own budget always fits (the
    // prompt keeps max_length - max_gen_toks tokens); only a larger generation_config budget is cut.
    if (prepared_eval.max_length) {
      request.max_new_tokens =
          int(std::min<int64_t>(request.max_new_tokens, *prepared_eval.max_length - int64_t(request.prompt.size())));
    }
    // HF's generate() on a bf16 model picks from bf16 logits; --precision fp32 compares fp32 ones.
    request.rounding =
        options.precision == Precision::bf16 ? backend::LogitRounding::bf16 : backend::LogitRounding::none;
    request.stop_token_ids = options.stop_token_ids;
    request.should_stop = [&stops](std::span<const int32_t> generated) { return stops.should_stop(generated); };
    requests.push_back(std::move(request));
  }
  std::vector<std::vector<std::vector<int32_t>>> generated;
  try {
    generated = models.generate(which, requests);
  } catch (const runtime::NonFiniteLogits& e) {
    // With several variants the caller (the sweep) reruns them one by one to find whose it is.
    if (which.size() != 1) throw;
    fail_non_finite(models.describe(which[0]), task, batch.begin + e.request, "greedy decoding met non-finite logits");
  }
  HALO_CHECK(generated.size() == which.size(), "model returned {} variants for {}", generated.size(), which.size());
  std::vector<std::vector<DocOutcome>> out(which.size());
  for (size_t k = 0; k < which.size(); ++k) {
    HALO_CHECK(generated[k].size() == requests.size(), "model returned {} results for {} generation requests",
               generated[k].size(), requests.size());
    for (size_t d = batch.begin; d < batch.end; ++d) {
      DocOutcome& outcome = out[k].emplace_back();
      outcome.output = stops.output_text(generated[k][d - batch.begin]);
      outcome.generated_tokens = generated[k][d - batch.begin].size();
      outcome.metrics = task.score_generation(prepared.docs[d], outcome.output);
    }
  }
  return out;
}

}  // namespace

PreparedEval prepare_eval(std::span<const Task* const> tasks, const Codec& codec, const RunOptions& options) {
  auto start = std::chrono::steady_clock::now();
  check_data_files(tasks, options.data_dir);
  PreparedEval prepared;
  prepared.limit = options.limit;
  prepared.max_length = options.max_length;
  prepared.max_seq_lengths = options.max_seq_lengths;
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

void bound_generation_batches(RunOptions& options, int64_t kept_bytes_per_token, int64_t budget) {
  HALO_CHECK(budget > 0, "--prefix-memory must be positive");
  if (kept_bytes_per_token <= 0) return;
  // At least one maximal request always fits: a batch takes one prompt whatever its size.
  options.generate_batch_tokens = std::min(options.generate_batch_tokens, std::max<int64_t>(1, budget / kept_bytes_per_token));
}

std::vector<WorkBatch> plan_batches(const PreparedEval& prepared, const RunOptions& options) {
  std::vector<WorkBatch> batches;
  HALO_CHECK(options.score_batch > 0 && options.generate_batch > 0, "internal: empty batch sizes");
  for (size_t t = 0; t < prepared.tasks.size(); ++t) {
    const PreparedTask& p = prepared.tasks[t];
    const size_t n = p.docs.size();
    size_t index = 0;
    for (size_t begin = 0, end = 0; begin < n; begin = end, ++index) {
      if (p.task->output_type == OutputType::multiple_choice) {
        end = std::min(n, begin + options.score_batch);
      } else {
        // As many prompts as the limits allow: decoding a step costs about the same host-side work
        // for 1 or 64 sequences, so fewer, larger batches are faster (docs/PERFORMANCE.md).
        end = begin;
        int64_t tokens = 0;
        do {
          tokens += int64_t(p.prompts[end].size()) + p.max_new_tokens;
          ++end;
        } while (end < n && end - begin < options.generate_batch &&
                 tokens + int64_t(p.prompts[end].size()) + p.max_new_tokens <= options.generate_batch_tokens);
      }
      batches.push_back({t, index, begin, end});
    }
  }
  return batches;
}

std::vector<std::vector<DocOutcome>> run_batch(const PreparedEval& prepared, const WorkBatch& batch,
                                               runtime::VariantSet& models, std::span<const size_t> which,
                                               const RunOptions& options) {
  const PreparedTask& p = prepared.tasks.at(batch.task);
  HALO_CHECK(batch.begin <= batch.end && batch.end <= p.docs.size(), "internal: batch [{}, {}) of {} documents",
             batch.begin, batch.end, p.docs.size());
  return p.task->output_type == OutputType::multiple_choice ? run_multiple_choice(p, batch, models, which, options)
                                                            : run_generation(prepared, p, batch, models, which, options);
}

EvalResults aggregate_outcomes(const PreparedEval& prepared, const std::vector<std::vector<DocOutcome>>& outcomes,
                               const std::string& model_description, const RunOptions& options,
                               std::span<const double> task_seconds, double seconds) {
  HALO_CHECK(outcomes.size() == prepared.tasks.size(), "internal: outcomes of {} tasks for {}", outcomes.size(),
             prepared.tasks.size());
  EvalResults results;
  results.model_description = model_description;
  results.precision = options.precision == Precision::bf16 ? "bf16" : "fp32";
  results.limit = prepared.limit;
  for (size_t t = 0; t < prepared.tasks.size(); ++t) {
    const PreparedTask& p = prepared.tasks[t];
    const Task& task = *p.task;
    HALO_CHECK(outcomes[t].size() == p.docs.size(), "internal: {} outcomes for {} {} documents", outcomes[t].size(),
               p.docs.size(), task.name);
    TaskResult result;
    result.name = task.name;
    result.version = task.version;
    result.num_samples = p.docs.size();
    result.metrics = aggregate_documents(task, outcomes[t]);
    result.docs = outcomes[t];
    result.seconds = t < task_seconds.size() ? task_seconds[t] : 0;
    results.tasks.push_back(std::move(result));
  }
  InputHash hash(prepared.input_hash);
  hash.add(results.model_description);
  results.input_hash = hash.value();
  results.prepare_seconds = prepared.seconds;
  results.seconds = seconds;
  return results;
}

nlohmann::json sample_json(const PreparedTask& prepared, size_t doc, const DocOutcome& outcome) {
  const Task& task = *prepared.task;
  if (task.output_type == OutputType::multiple_choice) {
    const BuiltScoreRequest& built = prepared.score_requests.at(doc);
    ChoiceOutcome choice = choose(prepared.docs[doc], outcome.loglikelihoods);
    std::vector<size_t> continuation_tokens;
    for (const auto& c : built.request.continuations) continuation_tokens.push_back(c.size());
    nlohmann::json line = {{"task", task.name},
            {"doc_id", doc},
            {"context", built.context},
            {"continuations", built.continuations},
            {"context_tokens", built.request.context.size()},
            {"continuation_tokens", continuation_tokens},
            {"loglikelihoods", choice.loglikelihoods},
            {"gold", prepared.docs[doc].gold},
            {"prediction", choice.prediction},
            {"prediction_norm", choice.prediction_norm},
            {"acc", choice.acc},
            {"acc_norm", choice.acc_norm}};
    if (!built.truncated.empty()) {
      // How many context tokens each continuation was scored after, once cut to the model's length.
      std::vector<size_t> kept;
      for (const auto& r : built.truncated) kept.push_back(r.context.size());
      line["context_tokens_kept"] = kept;
    }
    return line;
  }
  nlohmann::json line = {{"task", task.name},
                         {"doc_id", doc},
                         {"context", prepared.docs[doc].context},
                         {"prompt_tokens", prepared.prompts.at(doc).size()},
                         {"generated_tokens", outcome.generated_tokens},
                         {"output", outcome.output},
                         {"answers", prepared.docs[doc].answers}};
  for (const auto& m : outcome.metrics) line[m.name] = m.value;
  return line;
}

EvalResults run_prepared(const PreparedEval& prepared, runtime::LanguageModel& model, const RunOptions& options) {
  const auto run_start = std::chrono::steady_clock::now();
  runtime::SingleVariantSet models(model);
  const size_t which[] = {0};
  std::vector<std::vector<DocOutcome>> outcomes(prepared.tasks.size());
  std::vector<double> task_seconds(prepared.tasks.size(), 0.0);
  std::optional<Progress> progress;
  size_t progress_task = prepared.tasks.size();
  for (const WorkBatch& batch : plan_batches(prepared, options)) {
    const PreparedTask& p = prepared.tasks[batch.task];
    if (batch.task != progress_task) {
      if (progress) progress->finish();
      progress.emplace(p.task->name, p.docs.size(), options.progress);
      progress_task = batch.task;
    }
    const auto start = std::chrono::steady_clock::now();
    std::vector<DocOutcome> done = std::move(run_batch(prepared, batch, models, which, options)[0]);
    task_seconds[batch.task] += seconds_since(start);
    for (size_t d = 0; d < done.size(); ++d) {
      write_sample(options, sample_json(p, batch.begin + d, done[d]));
      outcomes[batch.task].push_back(std::move(done[d]));
    }
    progress->advance(batch.end - batch.begin);
  }
  if (progress) progress->finish();
  return aggregate_outcomes(prepared, outcomes, model.describe(), options, task_seconds, seconds_since(run_start));
}

EvalResults run_eval(std::span<const Task* const> tasks, runtime::LanguageModel& model, const Codec& codec,
                     const RunOptions& options) {
  return run_prepared(prepare_eval(tasks, codec, options), model, options);
}

}  // namespace halo::eval
