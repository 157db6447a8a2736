// Partial and corrupt results: every case is a one-line error naming the layer and the file,
// never a ranking computed from the wrong numbers.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <map>

#include "base/atomic_file.h"
#include "base/error.h"
#include "select/hypenet_config.h"
#include "select/rank.h"
#include "sweep_fixture.h"

namespace halo::select {
namespace {
namespace fs = std::filesystem;
using testing::write_text;

const std::string kModel = "m";

// A valid four-layer sweep: cs = [0.5, 0.6, 0.55, 0.4], rt = [0.7, 0.5, 0.6, 0.8].
fs::path good_sweep() {
  fs::path root = testing::fresh_dir("sweep");
  testing::write_sweep(root, kModel, 0.58, 0.75, {0.5, 0.6, 0.55, 0.4}, {0.7, 0.5, 0.6, 0.8});
  return root;
}

RankOptions options(const fs::path& root) {
  RankOptions o;
  o.root = root;
  o.model = kModel;
  o.out = root / "out";
  return o;
}

// Runs rank and returns the error message; fails the test if there was none.
std::string rank_error(const RankOptions& o) {
  try {
    run_rank(o);
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << "not one line: " << m;
    return m;
  }
  ADD_FAILURE() << "expected an error";
  return "";
}

void expect_contains(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos) << "\"" << message << "\" lacks \"" << part << "\"";
}

TEST(PartialSweep, TheHandMadeSweepRanks) {
  fs::path root = good_sweep();
  RankOptions o = options(root);
  o.select = 2;
  const RankRun run = run_rank(o);
  EXPECT_EQ(run.ranking.order, (std::vector<int>{1, 2, 0, 3}));
  EXPECT_EQ(run.ranking.selection.attention_layers, (std::vector<int>{1, 2}));
}

TEST(PartialSweep, MissingLayerFolder) {
  fs::path root = good_sweep();
  fs::remove_all(root / kModel / "layer1");
  const std::string m = rank_error(options(root));
  expect_contains(m, (root / kModel).string());
  expect_contains(m, "layer 1: missing");
}

TEST(PartialSweep, MissingLog) {
  fs::path root = good_sweep();
  fs::remove(root / kModel / "layer2" / "retrieval_eval.log");
  const std::string m = rank_error(options(root));
  expect_contains(m, (root / kModel / "layer2" / "retrieval_eval.log").string() + ": layer 2: missing");
}

TEST(PartialSweep, MissingOriginal) {
  fs::path root = good_sweep();
  fs::remove_all(root / "original");
  expect_contains(rank_error(options(root)), (root / "original").string() + ": original: missing");
}

TEST(PartialSweep, LogWithoutAResultsTable) {
  fs::path root = good_sweep();
  const fs::path log = root / kModel / "layer3" / "commonsense_eval.log";
  // A run that died before printing its table: only noise.
  write_text(log, "Running loglikelihood requests:  42%|####      | 4200/10000\r\nTraceback ...\n");
  const std::string m = rank_error(options(root));
  expect_contains(m, log.string() + ": layer 3: no lm-eval results table");
}

TEST(PartialSweep, TaskMissingInOneLayer) {
  fs::path root = good_sweep();
  const fs::path log = root / kModel / "layer2" / "commonsense_eval.log";
  std::string text = testing::commonsense_log(0.55, 0.55, 0.55);
  // Drop arc_easy's two rows.
  const auto first = text.find("|arc_easy");
  const auto end = text.find("|hellaswag");
  text.erase(first, end - first);
  write_text(log, text);
  const std::string m = rank_error(options(root));
  expect_contains(m, log.string() + ": layer 2: arc_easy/acc_norm is missing");
}

TEST(PartialSweep, ExtraTaskInOneLayer) {
  fs::path root = good_sweep();
  const fs::path log = root / kModel / "layer0" / "retrieval_eval.log";
  write_text(log, testing::retrieval_log(0.7, 0.7, 0.7) +
                      "|squad_completion|      0|none  |     0|contains|\u2191  |0.5000|\u00b1  |   N/A|\n");
  expect_contains(rank_error(options(root)),
                  log.string() + ": layer 0: squad_completion/contains is not in the other layers' results");
}

TEST(PartialSweep, OnlyTheAccRowOfACommonsenseTask) {
  fs::path root = good_sweep();
  const fs::path log = root / kModel / "layer1" / "commonsense_eval.log";
  std::string text = testing::commonsense_log(0.6, 0.6, 0.6);
  text.erase(text.rfind("|             |"));  // hellaswag keeps only its acc row
  write_text(log, text);
  expect_contains(rank_error(options(root)), log.string() + ": layer 1: task hellaswag has no");
}

TEST(PartialSweep, TwoTablesInOneLog) {
  fs::path root = good_sweep();
  const fs::path log = root / kModel / "layer1" / "retrieval_eval.log";
  write_text(log, testing::retrieval_log(0.5, 0.5, 0.5) + testing::retrieval_log(0.6, 0.6, 0.6));
  expect_contains(rank_error(options(root)), log.string() + ": layer 1: task fda appears twice");
}

TEST(PartialSweep, NoLayers) {
  fs::path root = testing::fresh_dir("sweep");
  testing::write_sweep(root, kModel, 0.58, 0.75, {}, {});
  fs::create_directories(root / kModel);
  expect_contains(rank_error(options(root)), (root / kModel).string() + ": no layer variants");
}

TEST(PartialSweep, NoModelFolder) {
  fs::path root = good_sweep();
  RankOptions o = options(root);
  o.model = "other";
  expect_contains(rank_error(o), (root / "other").string() + ": no folder for model other");
}

TEST(PartialSweep, TwoFoldersForOneLayer) {
  fs::path root = good_sweep();
  fs::create_directories(root / kModel / "layer2_rerun");
  expect_contains(rank_error(options(root)), "layer 2: two folders (layer2 and layer2_rerun)");
}

TEST(PartialSweep, FoldersNamedLayerAndMoreCountAsThatLayer) {
  // layer_analysis.py matches "layer<digits>" at the start of the name.
  fs::path root = good_sweep();
  fs::rename(root / kModel / "layer3", root / kModel / "layer3_lightning");
  fs::create_directories(root / kModel / "layers_notes");
  RankOptions o = options(root);
  EXPECT_EQ(run_rank(o).ranking.order, (std::vector<int>{1, 2, 0, 3}));
}

TEST(PartialSweep, AllLayersTie) {
  fs::path root = testing::fresh_dir("sweep");
  testing::write_sweep(root, kModel, 0.58, 0.75, {0.5, 0.6, 0.55}, {0.7, 0.7, 0.7});
  expect_contains(rank_error(options(root)), "every layer has the same retrieval average");
  root = testing::fresh_dir("sweep2");
  testing::write_sweep(root, kModel, 0.58, 0.75, {0.5, 0.5, 0.5}, {0.7, 0.6, 0.8});
  expect_contains(rank_error(options(root)), "every layer has the same commonsense average");
}

TEST(PartialSweep, SelectionOutOfRange) {
  fs::path root = good_sweep();
  RankOptions o = options(root);
  o.select = 5;
  expect_contains(rank_error(o), "--select 5: expected between 1 and 4");
}

TEST(NonFinite, ANanRowIsAnErrorNamingTheVariantAndTheLine) {
  fs::path root = good_sweep();
  const fs::path log = root / kModel / "layer2" / "retrieval_eval.log";
  std::string text = testing::retrieval_log(0.6, 0.6, 0.6);
  // lm-eval prints a NaN result as "nan"; layer_analysis.py's pattern would skip the row.
  const auto at = text.find("0.6000", text.find("|fda"));
  text.replace(at, 6, "nan   ");
  write_text(log, text);
  const std::string m = rank_error(options(root));
  // Four lines of noise (a tqdm bar's '\r' splits one), the hf line, the two header rows.
  const std::size_t line = 8;
  expect_contains(m, fmt::format("{}:{}: layer 2: fda/contains is NaN, not a finite number", log.string(), line));
}

TEST(NonFinite, AnInfRowInTheOriginalToo) {
  fs::path root = good_sweep();
  const fs::path log = root / "original" / "commonsense_eval.log";
  std::string text = testing::commonsense_log(0.58, 0.58, 0.58);
  const auto at = text.rfind("0.5800");  // hellaswag acc_norm
  text.replace(at, 6, "   inf");
  write_text(log, text);
  expect_contains(rank_error(options(root)), "original: hellaswag/acc_norm is inf, not a finite number");
}

TEST(JetNemotronOnlyNeedsRetrieval, ARetrievalOnlySweepRanks) {
  fs::path root = good_sweep();
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename() == "commonsense_eval.log") fs::remove(e.path());
  }
  RankOptions o = options(root);
  o.mode = Mode::jet_nemotron;
  o.select = 2;
  const RankRun run = run_rank(o);
  // rt_orig - rt = 0.75 - [0.7, 0.5, 0.6, 0.8] = [0.05, 0.25, 0.15, -0.05].
  EXPECT_EQ(run.ranking.order, (std::vector<int>{1, 2, 0, 3}));
  EXPECT_FALSE(run.ranking.averages.has_commonsense);
  EXPECT_EQ(run.written.size(), 5u);  // no commonsense averages file
  EXPECT_FALSE(fs::exists(root / "out" / "m_commonsense_avg.json"));
  auto j = nlohmann::json::parse(read_file(root / "out" / "ranking.json"));
  EXPECT_TRUE(j["commonsense"].is_null());
  EXPECT_TRUE(j["baselines"]["commonsense"].is_null());
  EXPECT_EQ(j["averaged_rows"]["layer0"], nlohmann::json::parse(
                                              R"({"retrieval": ["fda/contains", "ruler_qa_squad/4096", "swde/contains"]})"));
  EXPECT_NE(run.printed.find("Commonsense baseline: none (no commonsense results)\n"), std::string::npos);
  EXPECT_NE(read_file(root / "out" / "report.html").find("none (no commonsense results)"), std::string::npos);

  // HALO mode needs commonsense: one line saying what is missing for which mode.
  expect_contains(rank_error(options(root)),
                  (root / "original" / "commonsense_eval.log").string() +
                      ": original: missing commonsense log (HALO mode needs the commonsense and "
                      "retrieval results of every variant; --mode jet-nemotron needs only retrieval)");
}

TEST(JetNemotronOnlyNeedsRetrieval, ACommonsenseOnlySweepDoesNotRank) {
  fs::path root = good_sweep();
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename() == "retrieval_eval.log") fs::remove(e.path());
  }
  RankOptions o = options(root);
  o.mode = Mode::jet_nemotron;
  expect_contains(rank_error(o), (root / "original" / "retrieval_eval.log").string() +
                                     ": original: missing retrieval log (jet-nemotron mode needs "
                                     "the retrieval results of every variant)");
}

TEST(JetNemotronOnlyNeedsRetrieval, CommonsenseResultsMustThenBeCompleteOrAbsent) {
  fs::path root = good_sweep();
  fs::remove(root / kModel / "layer1" / "commonsense_eval.log");
  RankOptions o = options(root);
  o.mode = Mode::jet_nemotron;
  expect_contains(rank_error(o), (root / kModel / "layer1" / "commonsense_eval.log").string() +
                                     ": layer 1: missing commonsense log (other variants have "
                                     "commonsense results");
}

TEST(JetNemotronOnlyNeedsRetrieval, AResultsFileWithRetrievalOnly) {
  const fs::path dir = testing::fresh_dir("files");
  const std::string rt = R"({"retrieval": {"r": {"contains": 0.7}}})";
  write_text(dir / "sweep.json",
             R"({"format": "halo-sweep-results", "version": 1, "model": "m", "variants": {"original": )" + rt +
                 R"(, "layer0": {"retrieval": {"r": {"contains": 0.5}}}, "layer1": )" + rt + "}}");
  RankOptions o;
  o.results_file = dir / "sweep.json";
  o.out = dir / "out";
  o.export_file = dir / "again.json";
  o.select = 1;
  expect_contains(rank_error(o), "original: no commonsense results (variants.original; HALO mode needs");
  o.mode = Mode::jet_nemotron;
  const RankRun run = run_rank(o);
  EXPECT_EQ(run.ranking.selection.attention_layers, std::vector<int>{0});
  // The export holds the retrieval results only, and ranks the same.
  EXPECT_EQ(read_file(dir / "again.json").find("commonsense"), std::string::npos);
  o.results_file = dir / "again.json";
  o.export_file.reset();
  EXPECT_EQ(run_rank(o).ranking.score, run.ranking.score);
}

TEST(OutputNames, TheModelOfAResultsFileMustBeAPlainName) {
  const fs::path dir = testing::fresh_dir("files");
  const std::string variants = R"("variants": {"original": )" + std::string(R"({"commonsense": {"a": {"acc": 0.9, "acc_norm": 0.5}}, "retrieval": {"r": {"contains": 0.7}}})") + "}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("../../../tmp/evil")", R"("model" "../../../tmp/evil" is not a plain name: it contains '/')"},
      {R"("a\\b")", R"(is not a plain name: it contains '\')"},
      {R"("..")", R"("model" ".." is not a plain name: ".." names a folder)"},
      {R"(".")", R"(is not a plain name: "." names a folder)"},
      {R"("")", R"("model" "" is not a plain name: it is empty)"},
      {R"("x\ny")", R"("model" "x\ny" is not a plain name: it contains the control character 0x0a)"},
      {R"("x\u0000")", R"(it contains the control character 0x00)"},
  };
  for (const auto& [model, message] : cases) {
    const fs::path file = dir / "sweep.json";
    write_text(file, R"({"format": "halo-sweep-results", "version": 1, "model": )" + model + ", " + variants + "}");
    RankOptions o;
    o.results_file = file;
    o.out = dir / "out";
    const std::string m = rank_error(o);
    expect_contains(m, file.string() + ": ");
    expect_contains(m, message);
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(OutputNames, TheModelFlagMustBeAPlainName) {
  fs::path root = good_sweep();
  for (const char* model : {"../m", "m/..", "..", "bad\tname"}) {
    RankOptions o = options(root);
    o.model = model;
    expect_contains(rank_error(o), "expected the name of a folder in the sweep root");
  }
}

TEST(AllOrNone, AFailedWriteLeavesEarlierOutputsAsTheyWere) {
  fs::path root = good_sweep();
  RankOptions o = options(root);
  o.select = 1;
  run_rank(o);  // six files in out/
  std::map<std::string, std::string> before;
  for (const auto& e : fs::directory_iterator(root / "out")) before[e.path().filename().string()] = read_file(e.path());
  ASSERT_EQ(before.size(), 6u);

  // The next run chooses other layers, but its report cannot replace a folder of that name.
  fs::remove(root / "out" / "report.html");
  fs::create_directories(root / "out" / "report.html" / "x");
  before.erase("report.html");
  o.select = 3;
  expect_contains(rank_error(o), (root / "out" / "report.html").string() + ": cannot rename");
  std::map<std::string, std::string> after;
  for (const auto& e : fs::directory_iterator(root / "out")) {
    if (e.path().filename() != "report.html") after[e.path().filename().string()] = read_file(e.path());
  }
  EXPECT_EQ(after, before);  // unchanged, and no temporary file left
}

// Our results file: the same rows as JSON. Each broken variant is an error naming the place.
struct FileCase {
  const char* what;
  std::string json;
  const char* message;
};

std::string results_file(const std::string& variants) {
  return R"({"format": "halo-sweep-results", "version": 1, "model": "m", "variants": {)" + variants + "}}";
}
const std::string kSuites =
    R"({"commonsense": {"a": {"acc": 0.9, "acc_norm": 0.5}}, "retrieval": {"r": {"contains": 0.7}}})";
const std::string kSuites2 =
    R"({"commonsense": {"a": {"acc": 0.9, "acc_norm": 0.6}}, "retrieval": {"r": {"contains": 0.5}}})";

TEST(ResultsFile, BrokenFilesAreErrors) {
  const std::vector<FileCase> cases = {
      {"not json", "{", "not valid JSON"},
      {"wrong format", R"({"format": "x", "version": 1})", "not a halo sweep results file"},
      {"version", R"({"format": "halo-sweep-results", "version": 2})", "unsupported version 2"},
      {"no original", results_file(R"("layer0": )" + kSuites + R"(, "layer1": )" + kSuites2),
       "original: missing"},
      {"gap", results_file(R"("original": )" + kSuites + R"(, "layer0": )" + kSuites +
                           R"(, "layer2": )" + kSuites2),
       "layer 1: missing"},
      {"bad name", results_file(R"("original": )" + kSuites + R"(, "layer0x": )" + kSuites),
       "variants.layer0x: expected \"original\" or \"layer<L>\""},
      {"duplicate key", results_file(R"("original": )" + kSuites + R"(, "layer0": )" + kSuites +
                                     R"(, "layer0": )" + kSuites2),
       "key \"layer0\" appears twice"},
      {"missing suite",
       results_file(R"("original": )" + kSuites + R"(, "layer0": {"commonsense": {"a": {"acc": 0.9, "acc_norm": 0.5}}})"),
       "layer 0: no retrieval results"},
      {"not a number",
       results_file(R"("original": )" + kSuites + R"(, "layer0": {"commonsense": {"a": {"acc": 0.9, "acc_norm": "0.5"}}, "retrieval": {"r": {"contains": 0.7}}})"),
       "(variants.layer0.commonsense): a.acc_norm: expected a number"},
      {"null value",
       results_file(R"("original": )" + kSuites + R"(, "layer0": {"commonsense": {"a": {"acc": 0.9, "acc_norm": null}}, "retrieval": {"r": {"contains": 0.7}}})"),
       "(variants.layer0.commonsense): layer 0: a.acc_norm is null, not a finite number"},
      {"NaN token",
       results_file(R"("original": )" + kSuites + R"(, "layer0": {"commonsense": {"a": {"acc": 0.9, "acc_norm": 0.5}}, "retrieval": {"r": {"contains": NaN}}})"),
       "variants.layer0.retrieval.r.contains: NaN is not a finite number"},
      {"-Infinity token",
       results_file(R"("original": {"commonsense": {"a": {"acc": 0.9, "acc_norm": -Infinity}}, "retrieval": {"r": {"contains": 0.5}}})"),
       "variants.original.commonsense.a.acc_norm: -Infinity is not a finite number"},
      {"overflow",
       results_file(R"("original": )" + kSuites + R"(, "layer1": {"commonsense": {"a": {"acc": 0.9, "acc_norm": 0.5}}, "retrieval": {"r": {"contains": 1e999}}})"),
       "variants.layer1.retrieval.r.contains: not a finite number"},
      {"task missing",
       results_file(R"("original": )" + kSuites + R"(, "layer0": {"commonsense": {"b": {"acc": 0.9, "acc_norm": 0.5}}, "retrieval": {"r": {"contains": 0.7}}}, "layer1": )" + kSuites2),
       "(variants.layer0.commonsense): layer 0: a/acc_norm is missing"},
  };
  const fs::path dir = testing::fresh_dir("files");
  for (const FileCase& c : cases) {
    const fs::path file = dir / "results.json";
    write_text(file, c.json);
    RankOptions o;
    o.results_file = file;
    o.out = dir / "out";
    const std::string m = rank_error(o);
    expect_contains(m, file.string());
    expect_contains(m, c.message);
  }
}

TEST(HypenetConfig, KeepsTheRunsFieldsAndSetsMixerTypes) {
  const fs::path dir = testing::fresh_dir("cfg");
  write_text(dir / "orig_config.json",
             R"({"model_type": "hypenet", "num_hidden_layers": 4, "rope_theta": 1000000, )"
             R"("rms_norm_eps": 1e-06, "mixer_types": ["attn", "attn", "attn", "attn"]})");
  auto j = nlohmann::ordered_json::parse(hypenet_config_text(dir / "orig_config.json", 4, {1, 2}));
  EXPECT_EQ(j["model_type"], "hypenet");
  EXPECT_EQ(j["rope_theta"], 1000000);
  EXPECT_EQ(j["rms_norm_eps"], 1e-06);
  EXPECT_EQ(j.begin().key(), "model_type");  // the run's field order is kept
  EXPECT_EQ(j["mixer_types"], nlohmann::json({"lightning-attn", "attn", "attn", "lightning-attn"}));

  auto minimal = nlohmann::json::parse(hypenet_config_text(std::nullopt, 3, {0}));
  EXPECT_EQ(minimal, nlohmann::json::parse(
                         R"({"num_hidden_layers": 3, "mixer_types": ["attn", "lightning-attn", "lightning-attn"]})"));
}

TEST(HypenetConfig, LayerCountMustMatchTheSweep) {
  fs::path root = good_sweep();
  write_text(root / "config.json", R"({"num_hidden_layers": 28})");
  RankOptions o = options(root);
  o.config = root / "config.json";
  expect_contains(rank_error(o), (root / "config.json").string() +
                                     ": num_hidden_layers is 28 but the sweep has 4 layers");
  write_text(root / "config.json", R"({"hidden_size": 8})");
  expect_contains(rank_error(o), "num_hidden_layers: missing");
}

TEST(HypenetConfig, WrittenNextToTheRanking) {
  fs::path root = good_sweep();
  write_text(root / "config.json", R"({"hidden_size": 8, "num_hidden_layers": 4})");
  RankOptions o = options(root);
  o.config = root / "config.json";
  o.select = 1;
  run_rank(o);
  auto j = nlohmann::json::parse(read_file(root / "out" / "hypenet_config.json"));
  EXPECT_EQ(j["hidden_size"], 8);
  EXPECT_EQ(j["mixer_types"],
            nlohmann::json({"lightning-attn", "attn", "lightning-attn", "lightning-attn"}));
  auto ranking = nlohmann::json::parse(read_file(root / "out" / "ranking.json"));
  EXPECT_EQ(ranking["selection"]["attention_layers"], nlohmann::json({1}));
  EXPECT_EQ(ranking["order"], nlohmann::json({1, 2, 0, 3}));
  EXPECT_EQ(ranking["mode"], "HALO");
}

}  // namespace
}  // namespace halo::select
