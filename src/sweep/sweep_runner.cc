#include "sweep/sweep_runner.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/file_lock.h"
#include "base/progress.h"
#include "eval/outcome_journal.h"
#include "eval/results_io.h"
#include "eval/sweep_layout.h"
#include "eval/variant_record.h"

namespace halo::sweep {

namespace {

using eval::kErrorFile;
constexpr const char* kLockFile = ".halo-sweep.lock";

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// "hellaswag acc_norm 0.6044, ..." for the progress line and summary.txt.
std::string headline(const eval::EvalResults& results) {
  std::string text;
  for (const auto& task : results.tasks) {
    // acc_norm / contains / a RULER length; RULER lists lengths it did not run as -1 (lm-eval's
    // placeholder), so the last column that ran is the one worth showing.
    const eval::MetricResult* shown = &task.metrics.back();
    for (const eval::MetricResult& metric : task.metrics) {
      if (metric.value != -1) shown = &metric;
    }
    const eval::MetricResult& m = *shown;
    text += fmt::format("{}{} {} {:.4f}", text.empty() ? "" : ", ", task.name, m.name, m.value);
  }
  return text;
}

// Everything the sweep tracks for one variant of the plan.
struct VariantRun {
  const SweepVariant* plan = nullptr;
  std::filesystem::path dir;
  enum class Status { pending, skipped, done, failed } status = Status::pending;
  std::string detail;  // headline metrics, or why it failed
  std::unique_ptr<eval::JournalWriter> journal;
  // outcomes[suite][task][doc] and which batches of each suite are in.
  std::vector<std::vector<std::vector<eval::DocOutcome>>> outcomes;
  std::vector<std::vector<bool>> batch_done;
  std::vector<size_t> batches_left;
  std::vector<std::string> logs;  // per suite: the log text once written
  nlohmann::json suite_results = nlohmann::json::object();
};

class Sweep {
 public:
  Sweep(const std::vector<SweepVariant>& variants, const SweepOptions& options,
        std::span<runtime::VariantSet* const> workers)
      : options_(options), workers_(workers), start_(std::chrono::steady_clock::now()) {
    HALO_CHECK(!workers.empty(), "internal: a sweep needs at least one worker");
    for (const Suite& suite : options.suites) plans_.push_back(eval::plan_batches(suite.prepared, options.run));
    runs_.resize(variants.size());
    for (size_t v = 0; v < variants.size(); ++v) {
      runs_[v].plan = &variants[v];
      runs_[v].dir = options.root / variants[v].relative;
    }
  }

  SweepOutcome run() {
    if (!options_.overwrite_other_runs) {
      for (const VariantRun& r : runs_) refuse_other_run(r);
    }
    for (size_t v = 0; v < runs_.size(); ++v) open_variant(v);
    queue_work();
    std::fprintf(stderr, "sweep: %zu of %zu variant(s) to run, %zu batch(es) on %zu worker(s)\n", pending(),
                 runs_.size(), items_.size(), workers_.size());
    progress_.emplace("sweep", total_docs_, options_.run.progress);
    std::vector<std::thread> threads;
    for (size_t w = 1; w < workers_.size(); ++w) threads.emplace_back([this, w] { work(w); });
    work(0);
    for (auto& t : threads) t.join();
    progress_->finish();
    if (fatal_) std::rethrow_exception(fatal_);
    return finish();
  }

 private:
  size_t pending() const {
    size_t n = 0;
    for (const VariantRun& r : runs_) n += r.status == VariantRun::Status::pending;
    return n;
  }

  // Stops when the folder holds results or a journal of a run with other inputs.
  void refuse_other_run(const VariantRun& r) const {
    const std::filesystem::path record_path = r.dir / eval::kVariantRecordFile;
    std::string other;
    if (std::optional<eval::VariantRecord> record = eval::read_variant_record(r.dir)) {
      if (record->fingerprint != options_.fingerprint) other = record_path.string();
    }
    if (other.empty()) {
      const std::filesystem::path journal_path = r.dir / eval::kOutcomesFile;
      const eval::JournalContents journal = eval::read_journal(journal_path);
      if (journal.valid_bytes > 0 && journal.fingerprint != options_.fingerprint) other = journal_path.string();
    }
    if (!other.empty()) {
      fail("{}: holds a run with other inputs (model, run, data, tasks, limit or precision differ); "
           "use another --out, or --overwrite to replace it",
           other);
    }
  }

  // Skips a finished variant; otherwise takes back what its journal already holds.
  void open_variant(size_t v) {
    VariantRun& r = runs_[v];
    const std::string label = r.plan->label;
    if (variant_complete(r.dir, options_.suites, options_.fingerprint)) {
      r.status = VariantRun::Status::skipped;
      r.detail = "complete from an earlier run";
      std::fprintf(stderr, "[%zu/%zu] %s: already complete, skipped\n", v + 1, runs_.size(), label.c_str());
      return;
    }
    r.outcomes.resize(options_.suites.size());
    r.batch_done.resize(options_.suites.size());
    r.batches_left.resize(options_.suites.size());
    r.logs.resize(options_.suites.size());
    for (size_t s = 0; s < options_.suites.size(); ++s) {
      r.outcomes[s].resize(options_.suites[s].prepared.tasks.size());
      for (size_t t = 0; t < r.outcomes[s].size(); ++t) {
        r.outcomes[s][t].resize(options_.suites[s].prepared.tasks[t].docs.size());
      }
      r.batch_done[s].assign(plans_[s].size(), false);
      r.batches_left[s] = plans_[s].size();
    }
    const std::filesystem::path journal_path = r.dir / eval::kOutcomesFile;
    eval::JournalContents journal = eval::read_journal(journal_path);
    uint64_t keep = 0;
    if (journal.valid_bytes > 0 && journal.fingerprint == options_.fingerprint && journal.variant == label) {
      keep = journal.valid_bytes;
      size_t taken = 0;
      for (eval::JournalBatch& b : journal.batches) taken += take_back(r, b);
      if (taken > 0) {
        std::fprintf(stderr, "%s: %zu batch(es) taken back from %s%s\n", label.c_str(), taken,
                     journal_path.string().c_str(),
                     journal.dropped_lines ? fmt::format(" ({} damaged line(s) at its end dropped)",
                                                         journal.dropped_lines).c_str()
                                           : "");
      }
    } else if (journal.valid_bytes > 0) {
      std::fprintf(stderr, "%s: %s is from a run with other inputs; starting it anew\n", label.c_str(),
                   journal_path.string().c_str());
    }
    r.journal = std::make_unique<eval::JournalWriter>(journal_path, options_.fingerprint, label, keep);
    // A suite whose batches were all in the journal gets its log now (a kill may have come between).
    for (size_t s = 0; s < options_.suites.size(); ++s) {
      if (r.batches_left[s] == 0) write_suite(v, s);
    }
    if (all_suites_written(r)) complete(v);
  }

  // Puts a journal batch back in place if it matches the plan; returns 1 if taken.
  size_t take_back(VariantRun& r, eval::JournalBatch& b) {
    for (size_t s = 0; s < options_.suites.size(); ++s) {
      if (options_.suites[s].name != b.suite || b.batch >= plans_[s].size()) continue;
      for (size_t i = 0; i < plans_[s].size(); ++i) {
        const eval::WorkBatch& w = plans_[s][i];
        if (options_.suites[s].prepared.tasks[w.task].task->name != b.task || w.index != b.batch) continue;
        if (w.begin != b.begin || w.end != b.end || r.batch_done[s][i]) return 0;
        for (size_t d = 0; d < b.docs.size(); ++d) r.outcomes[s][w.task][w.begin + d] = std::move(b.docs[d]);
        r.batch_done[s][i] = true;
        --r.batches_left[s];
        return 1;
      }
    }
    return 0;
  }

  void queue_work() {
    for (size_t s = 0; s < options_.suites.size(); ++s) {
      for (size_t i = 0; i < plans_[s].size(); ++i) {
        bool needed = false;
        for (const VariantRun& r : runs_) needed = needed || (r.status == VariantRun::Status::pending && !r.batch_done[s][i]);
        if (!needed) continue;
        items_.push_back({s, i});
        total_docs_ += plans_[s][i].end - plans_[s][i].begin;
      }
    }
  }

  // One worker's loop: take the next batch, run it for every variant that needs it, record.
  void work(size_t w) {
    try {
      workers_[w]->bind_to_current_thread();
    } catch (...) {
      std::lock_guard lock(mutex_);
      if (!fatal_) fatal_ = std::current_exception();
      stop_ = true;
      return;
    }
    for (;;) {
      const size_t next = next_item_.fetch_add(1);
      if (next >= items_.size() || stop_) return;
      const auto [s, i] = items_[next];
      std::vector<size_t> which;
      {
        std::lock_guard lock(mutex_);
        for (size_t v = 0; v < runs_.size(); ++v) {
          if (runs_[v].status == VariantRun::Status::pending && !runs_[v].batch_done[s][i]) which.push_back(v);
        }
      }
      try {
        run_item(*workers_[w], s, i, which);
      } catch (...) {
        // Not a variant's fault (out of device memory, a device error): stop the whole sweep.
        std::lock_guard lock(mutex_);
        if (!fatal_) fatal_ = std::current_exception();
        stop_ = true;
        return;
      }
    }
  }

  void run_item(runtime::VariantSet& worker, size_t s, size_t i, const std::vector<size_t>& which) {
    const eval::PreparedEval& prepared = options_.suites[s].prepared;
    const eval::WorkBatch& batch = plans_[s][i];
    if (!which.empty()) {
      try {
        auto outcomes = eval::run_batch(prepared, batch, worker, which, options_.run);
        std::lock_guard lock(mutex_);
        for (size_t k = 0; k < which.size(); ++k) record(which[k], s, i, std::move(outcomes[k]));
      } catch (const Error&) {
        // One variant's problem (NaN weights, a bad file) must not sink the others: run them one
        // by one to find out whose it is.
        for (size_t v : which) {
          const size_t one[] = {v};
          try {
            auto outcome = eval::run_batch(prepared, batch, worker, one, options_.run);
            std::lock_guard lock(mutex_);
            record(v, s, i, std::move(outcome[0]));
          } catch (const Error& e) {
            std::lock_guard lock(mutex_);
            fail_variant(v, e.what());
          }
        }
      }
    }
    std::lock_guard lock(mutex_);
    progress_->advance(batch.end - batch.begin);
  }

  // Under the mutex: journal the batch, then write whatever it completes.
  void record(size_t v, size_t s, size_t i, std::vector<eval::DocOutcome> docs) {
    VariantRun& r = runs_[v];
    if (r.status != VariantRun::Status::pending) return;
    const eval::WorkBatch& w = plans_[s][i];
    try {
      eval::JournalBatch b{options_.suites[s].name, options_.suites[s].prepared.tasks[w.task].task->name, w.index,
                           w.begin, w.end, std::move(docs)};
      r.journal->append(b);
      for (size_t d = 0; d < b.docs.size(); ++d) r.outcomes[s][w.task][w.begin + d] = std::move(b.docs[d]);
      r.batch_done[s][i] = true;
      if (--r.batches_left[s] == 0) write_suite(v, s);
      if (all_suites_written(r)) complete(v);
    } catch (const Error& e) {
      fail_variant(v, e.what());
    }
  }

  static bool all_suites_written(const VariantRun& r) {
    for (const std::string& log : r.logs) {
      if (log.empty()) return false;
    }
    return true;
  }

  void write_suite(size_t v, size_t s) {
    VariantRun& r = runs_[v];
    const Suite& suite = options_.suites[s];
    eval::EvalResults results = eval::aggregate_outcomes(suite.prepared, r.outcomes[s], workers_[0]->describe(v),
                                                         options_.run, {}, seconds_since(start_));
    r.logs[s] = eval::results_report(results, options_.model_args, suite.batch_size);
    write_file_atomic(r.dir / suite.log_name, r.logs[s]);
    if (options_.lm_eval) {
      eval::LmEvalRunInfo info = *options_.lm_eval;
      info.batch_size = eval::lm_eval_batch_size(suite.batch_size);
      info.environment = "halo sweep, " + r.plan->label + ": " + results.model_description;
      eval::write_lm_eval_output(r.dir / "lm-eval", suite.prepared, results, info);
    }
    r.suite_results[suite.name] = eval::results_json(results, options_.model_args);
    r.detail += (r.detail.empty() ? "" : "; ") + headline(results);
  }

  void complete(size_t v) {
    VariantRun& r = runs_[v];
    r.journal.reset();  // closed: its digest is final
    eval::VariantRecord record;
    record.variant = r.plan->label;
    record.converted_layers = r.plan->variant.converted_layers();
    record.fingerprint = options_.fingerprint;
    for (const Suite& suite : options_.suites) record.files[suite.log_name] = eval::file_digest(r.dir / suite.log_name);
    record.files[eval::kOutcomesFile] = eval::file_digest(r.dir / eval::kOutcomesFile);
    record.suites = r.suite_results;
    record.seconds = seconds_since(start_);
    std::filesystem::remove(r.dir / kErrorFile);
    write_file_atomic(r.dir / eval::kVariantRecordFile, eval::variant_record_text(record));
    r.status = VariantRun::Status::done;
    r.outcomes.clear();
    ++finished_;
    std::fprintf(stderr, "[%zu/%zu] %s: done (%s); %zu left\n", v + 1, runs_.size(), r.plan->label.c_str(),
                 r.detail.c_str(), pending());
  }

  void fail_variant(size_t v, const std::string& why) {
    VariantRun& r = runs_[v];
    if (r.status != VariantRun::Status::pending) return;
    r.status = VariantRun::Status::failed;
    r.detail = why;
    r.journal.reset();
    try {
      write_file_atomic(r.dir / kErrorFile, why + "\n");
    } catch (const Error&) {
      // The reason is still in summary.txt and on stderr.
    }
    std::fprintf(stderr, "[%zu/%zu] %s: FAILED: %s\n", v + 1, runs_.size(), r.plan->label.c_str(), why.c_str());
  }

  SweepOutcome finish() {
    SweepOutcome outcome;
    std::string lines;
    for (const VariantRun& r : runs_) {
      const char* status = "incomplete";
      switch (r.status) {
        case VariantRun::Status::skipped: ++outcome.skipped; status = "skipped"; break;
        case VariantRun::Status::done: ++outcome.ran; status = "done"; break;
        case VariantRun::Status::failed: ++outcome.failed; status = "FAILED"; break;
        case VariantRun::Status::pending: ++outcome.failed; break;
      }
      lines += fmt::format("{:<10} {:<10} {}\n", r.plan->label, status, r.detail);
    }
    const double seconds = seconds_since(start_);
    write_file_atomic(options_.root / options_.summary_name,
                      fmt::format("halo sweep summary: {} ran, {} skipped (already complete), {} failed; {}\n\n{}",
                                  outcome.ran, outcome.skipped, outcome.failed, format_duration(seconds), lines));
    std::fprintf(stderr, "sweep finished in %s: %d ran, %d skipped, %d failed\n", format_duration(seconds).c_str(),
                 outcome.ran, outcome.skipped, outcome.failed);
    return outcome;
  }

  const SweepOptions& options_;
  std::span<runtime::VariantSet* const> workers_;
  const std::chrono::steady_clock::time_point start_;
  std::vector<std::vector<eval::WorkBatch>> plans_;  // per suite
  std::vector<VariantRun> runs_;
  std::vector<std::pair<size_t, size_t>> items_;  // (suite, batch) that some variant needs
  size_t total_docs_ = 0;
  std::atomic<size_t> next_item_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;  // guards runs_, progress_, files
  std::optional<Progress> progress_;
  std::exception_ptr fatal_;
  size_t finished_ = 0;
};

}  // namespace

std::vector<Suite> parse_suites(const std::string& spec) {
  std::vector<Suite> suites;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string::npos) comma = spec.size();
    std::string name = spec.substr(start, comma - start);
    start = comma + 1;
    Suite suite;
    if (name == "commonsense") {
      suite = {std::string(eval::kCommonsenseSuite), std::string(eval::kCommonsenseLog), "16", {}};
    } else if (name == "retrieval") {
      suite = {std::string(eval::kRetrievalSuite), std::string(eval::kRetrievalLog), "1", {}};
    } else {
      fail("--tasks: '{}' is not a sweep suite (use commonsense, retrieval or both)", name);
    }
    bool seen = false;
    for (const auto& s : suites) seen = seen || s.name == suite.name;
    if (!seen) suites.push_back(suite);
  }
  return suites;
}

bool variant_complete(const std::filesystem::path& dir, const std::vector<Suite>& suites,
                      const std::string& fingerprint) {
  std::optional<eval::VariantRecord> record = eval::read_variant_record(dir);
  if (!record || record->fingerprint != fingerprint) return false;
  for (const auto& suite : suites) {
    if (!record->suites.contains(suite.name) || !record->files.contains(suite.log_name)) return false;
  }
  return eval::check_variant_files(dir, *record).empty();
}

std::string describe_work(const std::vector<Suite>& suites) {
  std::string text;
  for (const Suite& suite : suites) {
    size_t docs = 0, requests = 0, prompts = 0;
    int64_t tokens = 0, max_new = 0;
    for (const eval::PreparedTask& task : suite.prepared.tasks) {
      docs += task.docs.size();
      for (const auto& built : task.score_requests) {
        tokens += int64_t(built.request.context.size());
        for (const auto& c : built.request.continuations) tokens += int64_t(c.size());
        requests += built.request.continuations.size();
      }
      for (const auto& prompt : task.prompts) tokens += int64_t(prompt.size());
      prompts += task.prompts.size();
      max_new += int64_t(task.prompts.size()) * task.max_new_tokens;
    }
    text += fmt::format("  {}: {} documents, {} log-likelihood requests, {} generations, {} input tokens "
                        "(+ at most {} generated)\n",
                        suite.name, docs, requests, prompts, tokens, max_new);
  }
  return text;
}

VariantLocks::VariantLocks(const std::filesystem::path& root, const std::vector<SweepVariant>& variants) {
  for (const SweepVariant& v : variants) {
    locks_.push_back(std::make_unique<FileLock>(root / v.relative / kLockFile, "this sweep variant"));
  }
}
VariantLocks::~VariantLocks() = default;
VariantLocks::VariantLocks(VariantLocks&&) noexcept = default;

SweepOutcome run_sweep(const std::vector<SweepVariant>& variants, const SweepOptions& options,
                       std::span<runtime::VariantSet* const> workers, const VariantLocks&) {
  return Sweep(variants, options, workers).run();
}

}  // namespace halo::sweep
