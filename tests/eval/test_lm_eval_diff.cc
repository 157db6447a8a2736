// Reading lm-eval output folders and comparing them (lm_eval_files.h, lm_eval_diff.h). The fixture
// tests/data/lm_eval/output is shaped as lm-eval 0.4.9.1 writes it for `--tasks arc_easy,fda
// --limit 2 --log_samples` (EvaluationTracker.save_results_aggregated / save_results_samples, read
// from its source; samples lines and hashes made by those steps in CPython), not by halo's writer.
// Each test copies it and edits the copy: an agreeing output, a differing document, a differing
// metric, malformed files.
#include <gtest/gtest.h>

#include <unistd.h>

#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/lm_eval_diff.h"
#include "eval/lm_eval_files.h"

namespace halo::eval {
namespace {

namespace fs = std::filesystem;

const fs::path kOutput = fs::path(HALO_TEST_DATA) / "lm_eval" / "output";
const std::string kModel = "Qwen__Qwen3-1.7B";
const std::string kDate = "2025-08-04T10-00-00.123456";

class LmEvalDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("halo_lm_eval_diff_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root);
    fs::create_directories(root);
  }
  void TearDown() override { fs::remove_all(root); }

  // A copy of the fixture under root/name, its files renamed to `date`.
  fs::path copy(const std::string& name, const std::string& date = kDate) {
    fs::path dir = root / name / kModel;
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(kOutput / kModel)) {
      std::string file = entry.path().filename().string();
      file.replace(file.find(kDate), kDate.size(), date);
      fs::copy_file(entry.path(), dir / file);
    }
    return root / name;
  }
  // Replaces the first occurrence of `from` in a file of the copy (which must contain it).
  void edit(const fs::path& output, const std::string& file, const std::string& from, const std::string& to) {
    fs::path path = output / kModel / file;
    std::string text = read_file(path);
    size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    write_file_atomic(path, text);
  }
  std::string samples(const std::string& task, const std::string& date = kDate) {
    return "samples_" + task + "_" + date + ".jsonl";
  }
  std::string results(const std::string& date = kDate) { return "results_" + date + ".json"; }

  LmEvalDiff diff(const fs::path& halo, LmEvalDiffOptions options = {}) {
    return diff_lm_eval_outputs(read_lm_eval_output(kOutput), read_lm_eval_output(halo), options);
  }
  std::string error_of(const fs::path& path) {
    try {
      read_lm_eval_output(path);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }

  fs::path root;
};

TEST_F(LmEvalDiffTest, ReadsTheFixtureAsLmEvalWroteIt) {
  LmEvalOutput out = read_lm_eval_output(kOutput);  // --output_path; its one model folder is found
  EXPECT_EQ(out.dir, kOutput / kModel);
  ASSERT_EQ(out.tasks.size(), 2u);
  const LmEvalTask& arc = out.tasks[0];
  EXPECT_EQ(arc.name, "arc_easy");
  EXPECT_EQ(arc.output_type, "multiple_choice");
  EXPECT_EQ(arc.metrics, (std::vector<std::pair<std::string, double>>{{"acc", 1.0}, {"acc_norm", 1.0}}));
  ASSERT_EQ(arc.samples.size(), 2u);
  const LmEvalSample& doc = arc.samples[1];
  EXPECT_EQ(doc.doc_id, 1);
  EXPECT_EQ(doc.target, "1");
  ASSERT_EQ(doc.requests.size(), 3u);
  EXPECT_EQ(doc.requests[1].context, "Question: How many legs does a spider have?\nAnswer:");
  EXPECT_EQ(doc.requests[1].second, " eight");
  EXPECT_EQ(doc.requests[1].loglikelihood, -1.375);
  EXPECT_EQ(doc.requests[1].is_greedy, true);
  const LmEvalTask& fda = out.tasks[1];
  EXPECT_EQ(fda.output_type, "generate_until");
  EXPECT_EQ(fda.samples[1].requests[0].text, " Coronary");
  EXPECT_EQ(fda.samples[1].requests[0].second["max_gen_toks"], 48);
  EXPECT_EQ(fda.samples[1].metrics, (std::vector<std::pair<std::string, double>>{{"contains", 0}}));
  EXPECT_EQ(read_lm_eval_output(kOutput / kModel).tasks.size(), 2u);  // the model folder itself
}

TEST_F(LmEvalDiffTest, AgreeingOutputs) {
  // Another run: other date, other environment, one log-likelihood off by 0.0625 (-5.5625 vs -5.5,
  // within the default 0.25 + one bf16 spacing).
  fs::path halo = copy("halo", "2025-08-05T09-30-00");
  edit(halo, results("2025-08-05T09-30-00"), "\"PyTorch version: 2.7.1+cu126\"", "\"halo: test\"");
  edit(halo, samples("arc_easy", "2025-08-05T09-30-00"), "[[\"-5.5625\", \"False\"]]", "[[\"-5.5\", \"False\"]]");
  edit(halo, samples("arc_easy", "2025-08-05T09-30-00"), "[\"-5.5625\", \"False\"], [\"-2.1875\"",
       "[\"-5.5\", \"False\"], [\"-2.1875\"");
  LmEvalDiff d = diff(halo);
  EXPECT_TRUE(d.agree()) << d.report;
  EXPECT_EQ(d.report, "lm-eval: " + (kOutput / kModel).string() + "\nhalo:    " + (halo / kModel).string() +
                          "\n"
                          "arc_easy: metrics agree: acc 1.0 (both), acc_norm 1.0 (both)\n"
                          "arc_easy: documents: 2 compared, all agree\n"
                          "  note: 1 log-likelihood(s) differ within the bf16 tolerance (largest difference 0.0625)\n"
                          "fda: metrics agree: contains 0.5 (both)\n"
                          "fda: documents: 2 compared, all agree\n"
                          "lm-eval-diff: the outputs agree\n");
  // With no tolerance beyond the bf16 spacing (0.03125 at 5.5) the same difference counts.
  LmEvalDiffOptions strict;
  strict.ll_tolerance = 0;
  EXPECT_FALSE(diff(halo, strict).agree());
}

TEST_F(LmEvalDiffTest, DifferingDocuments) {
  fs::path halo = copy("halo");
  // A continuation built differently, a log-likelihood far off that flips the prediction (not the
  // length-normalised one: -1.0/3 < -1.375/6), and a different generation whose metric stays 0.
  edit(halo, samples("arc_easy"), "\"arg_1\": \" eight\"", "\"arg_1\": \" eight.\"");
  edit(halo, samples("arc_easy"), "[[\"-3.25\", \"False\"]]", "[[\"-1.0\", \"True\"]]");
  edit(halo, samples("fda"), "[[\" Coronary\"]], \"filtered_resps\": [\" Coronary\"]",
       "[[\" Coronary Stent\"]], \"filtered_resps\": [\" Coronary Stent\"]");
  LmEvalDiff d = diff(halo);
  EXPECT_FALSE(d.agree());
  EXPECT_EQ(d.docs_differing, 2u);
  EXPECT_EQ(d.metrics_differing, 0u);
  EXPECT_NE(d.report.find("arc_easy: documents: 2 compared, 1 differ\n"
                          "  doc 1 (lm-eval line 2, halo line 2): continuation of choice 1: ' eight' vs ' eight.'; "
                          "log-likelihood of choice 0 -3.25 vs -1.0; is_greedy of choice 0 False vs True; "
                          "prediction 1 vs 0\n"),
            std::string::npos)
      << d.report;
  EXPECT_NE(d.report.find("fda: documents: 2 compared, 1 differ\n"
                          "  doc 1 (lm-eval line 2, halo line 2): generated text ' Coronary' vs ' Coronary Stent'\n"),
            std::string::npos)
      << d.report;
  EXPECT_NE(d.report.find("lm-eval-diff: the outputs DIFFER (0 task(s) in one output only, 0 metric(s), 2 document(s))\n"),
            std::string::npos);
}

TEST_F(LmEvalDiffTest, DifferingMetricAndDocumentValue) {
  fs::path halo = copy("halo");
  edit(halo, results(), "\"contains,none\": 0.5", "\"contains,none\": 0.75");
  edit(halo, samples("arc_easy"), "\"acc\": 1.0, \"acc_norm\": 1.0}\n{\"doc_id\": 1", "\"acc\": 0.0, \"acc_norm\": 1.0}\n{\"doc_id\": 1");
  LmEvalDiff d = diff(halo);
  EXPECT_EQ(d.metrics_differing, 1u);
  EXPECT_EQ(d.docs_differing, 1u);
  EXPECT_NE(d.report.find("fda: metrics DIFFER: contains 0.5 vs 0.75 (halo - lm-eval = +0.250000)\n"), std::string::npos)
      << d.report;
  EXPECT_NE(d.report.find("  doc 0 (lm-eval line 1, halo line 1): acc 1.0 vs 0.0\n"), std::string::npos) << d.report;
}

TEST_F(LmEvalDiffTest, MissingDocumentsAndTasks) {
  fs::path halo = copy("halo");
  // halo ran with --limit 1 and only arc_easy: one document and one task fewer.
  fs::remove(halo / kModel / samples("fda"));
  std::string text = read_file(halo / kModel / samples("arc_easy"));
  write_file_atomic(halo / kModel / samples("arc_easy"), text.substr(0, text.find('\n') + 1));
  // Without a config an entry of "results" is a group, not a task: fda is gone from halo's side.
  edit(halo, results(), "\"fda\": {\n      \"task\"", "\"not_fda\": {\n      \"task\"");
  LmEvalDiff d = diff(halo);
  EXPECT_EQ(d.tasks_missing, 1u);
  EXPECT_NE(d.report.find("fda: only in lm-eval\n"), std::string::npos) << d.report;
  EXPECT_NE(d.report.find("  1 document(s) only in lm-eval: doc_id 1\n"), std::string::npos) << d.report;
  LmEvalDiffOptions only_arc;
  only_arc.tasks = {"arc_easy"};
  EXPECT_EQ(diff(halo, only_arc).tasks_missing, 0u);
  only_arc.tasks = {"hellaswag"};
  EXPECT_THROW(diff(halo, only_arc), Error);
}

TEST_F(LmEvalDiffTest, NewestResultsFileWinsPerTask) {
  // Two lm-eval runs into one folder (commonsense, then retrieval, or a rerun): each task comes
  // from the newest results file that has it.
  fs::path out = copy("two");
  fs::path dir = out / kModel;
  std::string later = "2025-08-04T11-00-00";
  fs::copy_file(dir / results(), dir / results(later));
  fs::copy_file(dir / samples("fda"), dir / samples("fda", later));
  std::string text = read_file(dir / results(later));
  text.replace(text.find("\"contains,none\": 0.5"), 20, "\"contains,none\": 0.0");
  text.replace(text.find("\"arc_easy\": {\n      \"task\""), 26, "\"arc_old\": {\n      \"task\"");
  write_file_atomic(dir / results(later), text);
  LmEvalOutput read = read_lm_eval_output(out);
  ASSERT_EQ(read.tasks.size(), 2u);
  EXPECT_EQ(read.tasks[0].results_file, dir / results());  // arc_easy: only in the older file
  EXPECT_EQ(read.tasks[1].results_file, dir / results(later));
  EXPECT_EQ(read.tasks[1].samples_file, dir / samples("fda", later));
  EXPECT_EQ(read.tasks[1].metrics[0].second, 0.0);
}

TEST_F(LmEvalDiffTest, MalformedInputsAreOneLineErrors) {
  EXPECT_EQ(error_of(root / "none"), (root / "none").string() + ": not a directory (expected lm-eval's --output_path)");
  fs::create_directories(root / "empty");
  EXPECT_EQ(error_of(root / "empty"),
            (root / "empty").string() + ": no lm-eval results_<date>.json here or in a model folder below it");

  fs::path no_samples = copy("no_samples");
  fs::remove(no_samples / kModel / samples("fda"));
  EXPECT_EQ(error_of(no_samples), (no_samples / kModel / results()).string() + ": task fda has no samples file " +
                                      samples("fda") + " (run lm_eval with --log_samples)");

  fs::path bad_line = copy("bad_line");
  std::string text = read_file(bad_line / kModel / samples("fda"));
  write_file_atomic(bad_line / kModel / samples("fda"), text.substr(0, text.find('\n') + 1) + "{\"doc_id\": 1,\n");
  EXPECT_EQ(error_of(bad_line).rfind((bad_line / kModel / samples("fda")).string() + ":2: invalid JSON: ", 0), 0u)
      << error_of(bad_line);

  fs::path bad_resps = copy("bad_resps");
  edit(bad_resps, samples("arc_easy"), "\"resps\": [[[\"-5.5625\", \"False\"]]", "\"resps\": [[\"-5.5625\"]");
  EXPECT_EQ(error_of(bad_resps), (bad_resps / kModel / samples("arc_easy")).string() +
                                     ":1: resps[0] must be [[\"<log-likelihood>\", \"True\"|\"False\"]]");

  fs::path bad_ll = copy("bad_ll");
  edit(bad_ll, samples("arc_easy"), "[[\"-5.5625\", \"False\"]]", "[[\"minus five\", \"False\"]]");
  EXPECT_EQ(error_of(bad_ll), (bad_ll / kModel / samples("arc_easy")).string() +
                                  ":1: resps[0]: 'minus five' is not a log-likelihood (expected str(float))");

  fs::path missing_metric = copy("missing_metric");
  edit(missing_metric, samples("fda"), ", \"contains\": 1}", "}");
  EXPECT_EQ(error_of(missing_metric), (missing_metric / kModel / samples("fda")).string() + ":1: missing field 'contains'");

  fs::path duplicate = copy("duplicate");
  edit(duplicate, samples("fda"), "{\"doc_id\": 1,", "{\"doc_id\": 0,");
  EXPECT_EQ(error_of(duplicate), (duplicate / kModel / samples("fda")).string() + ":2: doc_id 0 appears twice");

  fs::path no_configs = copy("no_configs");
  edit(no_configs, results(), "\"configs\": {", "\"konfigs\": {");
  EXPECT_EQ(error_of(no_configs), (no_configs / kModel / results()).string() + ": missing field 'configs'");

  fs::path two_models = copy("two_models");
  fs::create_directories(two_models / "other");
  fs::copy_file(two_models / kModel / results(), two_models / "other" / results());
  EXPECT_EQ(error_of(two_models), (two_models).string() + ": results for several models (" + kModel +
                                      " and other); pass one model folder");
}

TEST(Bf16Spacing, IsOneUnitInTheLastPlaceOfBf16) {
  EXPECT_EQ(bf16_spacing(1.0), 1.0 / 128);  // 8 significant bits: 2^-7 at [1, 2)
  EXPECT_EQ(bf16_spacing(-5.5), 4.0 / 128);
  EXPECT_EQ(bf16_spacing(0.3), 0.25 / 128);
  EXPECT_EQ(bf16_spacing(0.0), 0.0);
}

}  // namespace
}  // namespace halo::eval
