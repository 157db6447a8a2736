#include "select/sweep_outcomes.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>
#include <utility>

#include "base/error.h"
#include "eval/outcome_journal.h"
#include "eval/registry.h"

namespace halo::select {
namespace fs = std::filesystem;

namespace {

const eval::Task* registry_task(const std::string& name) {
  for (const eval::Task& task : eval::all_tasks()) {
    if (task.name == name) return &task;
  }
  return nullptr;
}

// One variant's documents per (suite, task), checked to cover each task's documents exactly once.
using TaskKey = std::pair<std::string, std::string>;  // suite name, task name
using VariantDocs = std::map<TaskKey, std::vector<eval::DocOutcome>>;

VariantDocs variant_docs(eval::JournalContents journal, const std::string& path) {
  std::map<TaskKey, std::vector<eval::JournalBatch*>> batches;
  for (eval::JournalBatch& b : journal.batches) batches[{b.suite, b.task}].push_back(&b);
  VariantDocs out;
  for (auto& [key, list] : batches) {
    std::sort(list.begin(), list.end(),
              [](const eval::JournalBatch* a, const eval::JournalBatch* b) { return a->begin < b->begin; });
    std::vector<eval::DocOutcome>& docs = out[key];
    for (eval::JournalBatch* b : list) {
      if (b->begin < docs.size()) {
        fail("{}: {}/{}: documents {}..{} appear twice (two batches hold them)", path, key.first,
             key.second, b->begin, std::min(b->end, docs.size()) - 1);
      }
      if (b->begin > docs.size()) {
        fail("{}: {}/{}: documents {}..{} are missing (their batch is not in the journal; finish "
             "the sweep)",
             path, key.first, key.second, docs.size(), b->begin - 1);
      }
      for (eval::DocOutcome& d : b->docs) docs.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace

std::optional<SweepOutcomes> load_sweep_outcomes(const SweepResults& results) {
  std::vector<const VariantResults*> variants{&results.original};
  for (const VariantResults& v : results.layers) variants.push_back(&v);

  std::vector<fs::path> paths;
  std::optional<std::string> present;  // the first journal found, for messages
  for (const VariantResults* v : variants) {
    paths.push_back(v->dir.empty() ? fs::path() : v->dir / eval::kOutcomesFile);
    std::error_code ec;
    if (!present && !paths.back().empty() && fs::is_regular_file(paths.back(), ec)) {
      present = paths.back().string();
    }
  }
  if (!present) return std::nullopt;

  SweepOutcomes out;
  std::vector<VariantDocs> docs;
  std::string fingerprint;
  for (std::size_t v = 0; v < variants.size(); ++v) {
    const std::string path = paths[v].string();
    std::error_code ec;
    if (paths[v].empty() || !fs::is_regular_file(paths[v], ec)) {
      fail("{}: {}: missing; other variants kept their per-document outcomes ({}), so the sweep's "
           "outcomes are incomplete",
           path, variants[v]->label, *present);
    }
    eval::JournalContents journal = eval::read_journal(paths[v]);
    if (journal.valid_bytes == 0) {
      fail("{}: {}: not a halo outcomes journal (its first line is not an intact header)", path,
           variants[v]->label);
    }
    if (journal.dropped_lines > 0) {
      fail("{}: {}: {} damaged line(s) at its end (a sweep killed while writing?); run the sweep "
           "again to finish this variant",
           path, variants[v]->label, journal.dropped_lines);
    }
    if (v == 0) {
      fingerprint = journal.fingerprint;
    } else if (journal.fingerprint != fingerprint) {
      fail("{}: {}: from another sweep run than {} (their input fingerprints differ)", path,
           variants[v]->label, out.sources.front());
    }
    out.sources.push_back(path);
    docs.push_back(variant_docs(std::move(journal), path));
  }

  // Every variant must have the original's tasks with as many documents.
  for (std::size_t v = 1; v < docs.size(); ++v) {
    for (const auto& [key, list] : docs[0]) {
      auto it = docs[v].find(key);
      if (it == docs[v].end()) {
        fail("{}: {}: no outcomes for {}/{} ({} has {} documents of it)", out.sources[v],
             variants[v]->label, key.first, key.second, out.sources[0], list.size());
      }
      if (it->second.size() != list.size()) {
        fail("{}: {}: {}/{} has {} documents, {} has {}", out.sources[v], variants[v]->label,
             key.first, key.second, it->second.size(), out.sources[0], list.size());
      }
    }
    for (const auto& [key, list] : docs[v]) {
      if (!docs[0].contains(key)) {
        fail("{}: {}: has outcomes for {}/{}, which {} lacks", out.sources[v], variants[v]->label,
             key.first, key.second, out.sources[0]);
      }
    }
  }

  for (Suite s : kSuites) {
    if (!results.has(s)) continue;
    bool any = false;
    for (auto& [key, list] : docs[0]) {  // std::map: tasks by name
      if (key.first != suite_name(s)) continue;
      any = true;
      TaskOutcomes task;
      task.suite = s;
      task.task = registry_task(key.second);
      if (!task.task) fail("{}: unknown task {} in the {} outcomes", out.sources[0], key.second, key.first);
      for (VariantDocs& d : docs) task.variants.push_back(std::move(d[key]));
      out.tasks.push_back(std::move(task));
    }
    if (!any) {
      fail("{}: {}: no {} outcomes, but the ranking uses the {} results", out.sources[0],
           variants[0]->label, suite_name(s), suite_name(s));
    }
  }
  return out;
}

}  // namespace halo::select
