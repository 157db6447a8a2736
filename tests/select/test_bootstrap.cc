// The ranking-stability bootstrap on hand-built sweeps whose per-document outcomes are known: the
// logs and journals are written as a halo sweep writes them (lm-eval tables from the documents'
// aggregates, outcomes.jsonl through the journal writer), then loaded as `halo rank` loads them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/lm_eval_table.h"
#include "eval/metrics.h"
#include "eval/outcome_journal.h"
#include "eval/registry.h"
#include "select/bootstrap.h"
#include "select/ranking.h"
#include "select/sweep_outcomes.h"
#include "sweep_fixture.h"

namespace halo::select {
namespace {

namespace fs = std::filesystem;

// A document of a multiple-choice task (acc and acc_norm both `right`) or of fda/swde (contains).
eval::DocOutcome choice_doc(bool right) {
  eval::DocOutcome d;
  d.loglikelihoods = {right ? -1.0 : -2.0, right ? -2.0 : -1.0};
  d.is_greedy = {right, !right};
  d.metrics = {{"acc", right ? 1.0 : 0.0, false}, {"acc_norm", right ? 1.0 : 0.0, false}};
  return d;
}
eval::DocOutcome contains_doc(bool right) {
  eval::DocOutcome d;
  d.output = right ? "yes" : "no";
  d.generated_tokens = 1;
  d.metrics = {{"contains", right ? 1.0 : 0.0, true}};
  return d;
}

// right[d] for n documents: every one right except those in [fail_begin, fail_end).
std::vector<bool> all_but(std::size_t n, std::size_t fail_begin, std::size_t fail_end) {
  std::vector<bool> right(n, true);
  for (std::size_t d = fail_begin; d < fail_end; ++d) right[d] = false;
  return right;
}

// One variant: per suite, per task, which documents it got right.
using TaskRights = std::map<std::string, std::vector<bool>>;
struct Variant {
  TaskRights commonsense, retrieval;
};

const eval::Task& task_named(const std::string& name) {
  for (const eval::Task& t : eval::all_tasks()) {
    if (t.name == name) return t;
  }
  throw std::runtime_error("no task " + name);
}

std::vector<eval::DocOutcome> docs_of(const std::string& task, const std::vector<bool>& right) {
  std::vector<eval::DocOutcome> docs;
  for (bool r : right) docs.push_back(task == "fda" || task == "swde" ? contains_doc(r) : choice_doc(r));
  return docs;
}

// The variant folder as a sweep leaves it: a log per suite and the journal, in batches of 8.
void write_variant(const fs::path& dir, const std::string& label, const Variant& v,
                   const std::string& fingerprint = "fp") {
  fs::create_directories(dir);
  eval::JournalWriter journal(dir / eval::kOutcomesFile, fingerprint, label, 0);
  for (const auto& [suite, tasks] : {std::pair{"commonsense", &v.commonsense}, std::pair{"retrieval", &v.retrieval}}) {
    if (tasks->empty()) continue;
    std::vector<eval::TaskResult> results;
    for (const auto& [name, right] : *tasks) {  // std::map: alphabetical, as lm-eval prints tasks
      const eval::Task& task = task_named(name);
      std::vector<eval::DocOutcome> docs = docs_of(name, right);
      results.push_back({name, task.version, docs.size(), eval::aggregate_documents(task, docs), 0, {}});
      for (std::size_t b = 0; b * 8 < docs.size(); ++b) {
        eval::JournalBatch batch{suite, name, b, b * 8, std::min(docs.size(), b * 8 + 8), {}};
        batch.docs.assign(docs.begin() + long(batch.begin), docs.begin() + long(batch.end));
        journal.append(batch);
      }
    }
    write_file_atomic(dir / (std::string(suite) + "_eval.log"),
                      "hf (pretrained=x), gen_kwargs: (None), limit: None, num_fewshot: 0, batch_size: 1\n" +
                          eval::format_results_table(results));
  }
}

void write_sweep_dirs(const fs::path& root, const Variant& original, const std::vector<Variant>& layers) {
  write_variant(root / "original", "original", original);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    write_variant(root / "m" / ("layer" + std::to_string(l)), "layer " + std::to_string(l), layers[l]);
  }
}

struct Ranked {
  SweepResults results;
  Ranking ranking;
};
Ranked rank(const fs::path& root, Mode mode, int k) {
  Ranked r{load_sweep_logs(root, "m", mode), {}};
  r.ranking.mode = mode;
  r.ranking.averages = average_sweep(r.results);
  r.ranking.score = importance(r.ranking.averages, mode, root.string());
  r.ranking.order = rank_layers(r.ranking.score);
  r.ranking.selection = select_top(r.ranking.order, r.ranking.score, k, "--select");
  return r;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// HALO mode: layer 0 loses all retrieval and no commonsense, the others only commonsense. Its score
// is the clip (50) and the others' 0 in every replicate, so it is always the top 1.
TEST(Bootstrap, ADominantLayerIsAlwaysChosen) {
  const fs::path root = testing::fresh_dir("bootstrap_dominant");
  const std::size_t n = 20;
  const Variant original{{{"hellaswag", all_but(n, 0, 0)}}, {{"fda", all_but(n, 0, 0)}}};
  write_sweep_dirs(root, original,
                   {{{{"hellaswag", all_but(n, 0, 0)}}, {{"fda", all_but(n, 0, n)}}},
                    {{{"hellaswag", all_but(n, 0, 10)}}, {{"fda", all_but(n, 0, 0)}}},
                    {{{"hellaswag", all_but(n, 0, 5)}}, {{"fda", all_but(n, 0, 0)}}}});
  Ranked r = rank(root, Mode::halo, 1);
  ASSERT_EQ(r.ranking.selection.attention_layers, std::vector<int>{0});
  std::optional<SweepOutcomes> outcomes = load_sweep_outcomes(r.results);
  ASSERT_TRUE(outcomes);
  ASSERT_EQ(outcomes->tasks.size(), 2u);
  EXPECT_EQ(outcomes->tasks[0].task->name, "hellaswag");
  EXPECT_EQ(outcomes->tasks[1].task->name, "fda");
  EXPECT_EQ(outcomes->tasks[1].docs(), n);

  const Stability s = bootstrap_ranking(r.results, *outcomes, Mode::halo, r.ranking.selection, {300, 7});
  EXPECT_EQ(s.replicates, 300);
  EXPECT_GT(s.ranked, 295);  // unranked only if layers 1 and 2 both drew no failing document
  EXPECT_EQ(s.p_top_k, (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(s.p_selection, 1.0);
  EXPECT_EQ(s.score_low[0], 50.0);
  EXPECT_EQ(s.score_high[0], 50.0);
  EXPECT_EQ(s.score_high[1], 0.0);
  ASSERT_EQ(s.tasks.size(), 2u);
  EXPECT_EQ(s.tasks[1].task, "fda");
  EXPECT_EQ(s.tasks[1].documents, n);
  fs::remove_all(root);
}

// The rejection-sampled index of bootstrap.h, written here from its description.
std::size_t draw_index(std::mt19937_64& engine, std::size_t n) {
  const std::uint64_t rejected = (UINT64_MAX % n + 1) % n;  // 2^64 mod n
  std::uint64_t x = engine();
  while (x < rejected) x = engine();
  return static_cast<std::size_t>(x % n);
}

// numpy.percentile's default (linear) on sorted values, from its documented formula.
double numpy_percentile(std::vector<double> v, double percent) {
  std::sort(v.begin(), v.end());
  const double h = (double(v.size()) - 1) * percent / 100;
  const double lo = std::floor(h);
  const auto i = std::size_t(lo);
  if (i + 1 >= v.size()) return v[i];
  const double t = h - lo;
  return t >= 0.5 ? v[i + 1] - (v[i + 1] - v[i]) * (1 - t) : v[i] + (v[i + 1] - v[i]) * t;
}

// jet-nemotron mode, one retrieval task of 40 documents: layers 1 and 2 each fail 10 (different)
// documents, layer 0 none. In a replicate layer 1 is chosen when at least as many of its failures
// are drawn as of layer 2's (the tie rule prefers the lower layer), so P is about one half; the test
// counts the replicates itself with the same draws and compares exactly.
TEST(Bootstrap, TwoTiedLayersShareTheTopAsAnIndependentCountSays) {
  const fs::path root = testing::fresh_dir("bootstrap_tied");
  const std::size_t n = 40;
  const Variant original{{}, {{"fda", all_but(n, 0, 0)}}};
  write_sweep_dirs(root, original,
                   {{{}, {{"fda", all_but(n, 0, 0)}}}, {{}, {{"fda", all_but(n, 0, 10)}}},
                    {{}, {{"fda", all_but(n, 10, 20)}}}});
  Ranked r = rank(root, Mode::jet_nemotron, 1);
  ASSERT_EQ(r.ranking.selection.attention_layers, std::vector<int>{1});  // tie: the lower layer
  std::optional<SweepOutcomes> outcomes = load_sweep_outcomes(r.results);
  ASSERT_TRUE(outcomes);
  const int replicates = 2000;
  const std::uint64_t seed = 12345;
  const Stability s = bootstrap_ranking(r.results, *outcomes, Mode::jet_nemotron, r.ranking.selection,
                                        {replicates, seed});

  std::mt19937_64 engine(seed);
  int ranked = 0, first = 0;
  std::vector<double> score1;
  for (int rep = 0; rep < replicates; ++rep) {
    int failed1 = 0, failed2 = 0;
    for (std::size_t d = 0; d < n; ++d) {
      const std::size_t doc = draw_index(engine, n);
      failed1 += doc < 10;
      failed2 += doc >= 10 && doc < 20;
    }
    if (failed1 == 0 && failed2 == 0) continue;  // every layer at 1.0: nothing to rank
    ++ranked;
    first += failed1 >= failed2;
    score1.push_back(double(failed1) / double(n));  // rt_original (1) - rt_1
  }
  EXPECT_EQ(s.ranked, ranked);
  EXPECT_EQ(s.p_top_k[1], double(first) / ranked);
  EXPECT_EQ(s.p_top_k[1] + s.p_top_k[2], 1.0);
  EXPECT_EQ(s.p_top_k[0], 0.0);
  EXPECT_EQ(s.p_selection, s.p_top_k[1]);
  EXPECT_NEAR(s.p_top_k[1], 0.5, 0.1);
  EXPECT_NEAR(s.score_low[1], numpy_percentile(score1, 2.5), 1e-12);
  EXPECT_NEAR(s.score_high[1], numpy_percentile(score1, 97.5), 1e-12);

  // The seed decides everything: the same seed gives the same numbers, another seed others.
  const Stability again = bootstrap_ranking(r.results, *outcomes, Mode::jet_nemotron, r.ranking.selection,
                                            {replicates, seed});
  EXPECT_EQ(again.p_top_k, s.p_top_k);
  const Stability other = bootstrap_ranking(r.results, *outcomes, Mode::jet_nemotron, r.ranking.selection,
                                            {replicates, seed + 1});
  EXPECT_NE(other.p_top_k, s.p_top_k);
  fs::remove_all(root);
}

class BootstrapInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    root = testing::fresh_dir("bootstrap_inputs");
    const Variant v{{}, {{"fda", all_but(16, 0, 0)}, {"swde", all_but(16, 0, 0)}}};
    original = v;
    layers = {v, v, v};
    layers[1].retrieval["fda"] = all_but(16, 0, 8);
    layers[2].retrieval["swde"] = all_but(16, 0, 4);
  }
  void TearDown() override { fs::remove_all(root); }
  std::string load_error() {
    return error_of([&] { load_sweep_outcomes(load_sweep_logs(root, "m", Mode::jet_nemotron)); });
  }
  std::string bootstrap_error() {
    return error_of([&] {
      Ranked r = rank(root, Mode::jet_nemotron, 1);
      bootstrap_ranking(r.results, *load_sweep_outcomes(r.results), Mode::jet_nemotron, r.ranking.selection,
                        {10, 0});
    });
  }
  fs::path root;
  Variant original;
  std::vector<Variant> layers;
};

TEST_F(BootstrapInputs, LogsWithoutJournalsHaveNoOutcomes) {
  write_sweep_dirs(root, original, layers);
  for (const char* dir : {"original", "m/layer0", "m/layer1", "m/layer2"}) fs::remove(root / dir / "outcomes.jsonl");
  EXPECT_FALSE(load_sweep_outcomes(load_sweep_logs(root, "m", Mode::jet_nemotron)));
}

TEST_F(BootstrapInputs, AMissingJournalIsNamed) {
  write_sweep_dirs(root, original, layers);
  fs::remove(root / "m/layer1/outcomes.jsonl");
  const std::string e = load_error();
  EXPECT_NE(e.find("m/layer1/outcomes.jsonl: layer 1: missing"), std::string::npos) << e;
}

TEST_F(BootstrapInputs, ADamagedJournalIsNamed) {
  write_sweep_dirs(root, original, layers);
  std::string text = read_file(root / "m/layer2/outcomes.jsonl");
  write_file_atomic(root / "m/layer2/outcomes.jsonl", text.substr(0, text.size() - 10));
  const std::string e = load_error();
  EXPECT_NE(e.find("m/layer2/outcomes.jsonl: layer 2: 1 damaged line(s)"), std::string::npos) << e;
}

TEST_F(BootstrapInputs, AJournalOfAnotherRunIsNamed) {
  write_sweep_dirs(root, original, layers);
  write_variant(root / "m/layer0", "layer 0", layers[0], "another fingerprint");
  const std::string e = load_error();
  EXPECT_NE(e.find("m/layer0/outcomes.jsonl: layer 0: from another sweep run"), std::string::npos) << e;
}

TEST_F(BootstrapInputs, DifferentDocumentCountsAreNamed) {
  layers[2].retrieval["fda"] = all_but(12, 0, 0);
  write_sweep_dirs(root, original, layers);
  const std::string e = load_error();
  EXPECT_NE(e.find("m/layer2/outcomes.jsonl: layer 2: retrieval/fda has 12 documents"), std::string::npos) << e;
}

TEST_F(BootstrapInputs, AMissingBatchIsNamed) {
  write_sweep_dirs(root, original, layers);
  // Drop the journal's second line (fda documents 0..7): the first batch is missing.
  std::string text = read_file(root / "original/outcomes.jsonl");
  const std::size_t first = text.find('\n') + 1;
  text.erase(first, text.find('\n', first) + 1 - first);
  write_file_atomic(root / "original/outcomes.jsonl", text);
  const std::string e = load_error();
  EXPECT_NE(e.find("original/outcomes.jsonl: retrieval/fda: documents 0..7 are missing"), std::string::npos) << e;
}

TEST_F(BootstrapInputs, AJournalThatDoesNotGiveTheLogIsNamed) {
  write_sweep_dirs(root, original, layers);
  // The log of another run: layer 1's fda table from documents it did not journal.
  Variant other = layers[1];
  other.retrieval["fda"] = all_but(16, 0, 2);
  const fs::path elsewhere = root / "elsewhere";
  write_variant(elsewhere, "layer 1", other);
  fs::copy_file(elsewhere / "retrieval_eval.log", root / "m/layer1/retrieval_eval.log",
                fs::copy_options::overwrite_existing);
  const std::string e = bootstrap_error();
  EXPECT_NE(e.find("m/layer1/outcomes.jsonl: layer 1: its outcomes give fda/contains = 0.5, but"), std::string::npos)
      << e;
}

}  // namespace
}  // namespace halo::select
