#include "sweep_fixture.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

namespace halo::select::testing {
namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& tag) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::temp_directory_path() /
                 fmt::format("halo_select_{}_{}_{}", info->test_suite_name(), info->name(), tag);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

namespace {
// The noise around a published table: log lines with '|' inside, tqdm bars joined by '\r'.
constexpr const char* kNoise =
    "2025-11-30:19:08:21 INFO     [evaluator:185] Setting random seed to 0 | Setting numpy seed "
    "to 1234\n"
    "Loading checkpoint shards:   0%|          | 0/2 [00:00<?, ?it/s]\r"
    "Loading checkpoint shards:  50%|#####     | 1/2 [00:02<00:02,  2.67s/it]\n"
    "Running loglikelihood requests: 100%|##########| 5000/5000 [01:02<00:00, 80.1it/s]\n";
}  // namespace

std::string commonsense_log(double arc_challenge, double arc_easy, double hellaswag) {
  return fmt::format(
      "{}hf (pretrained=/m,dtype=bfloat16), gen_kwargs: (None), limit: None, num_fewshot: 0, "
      "batch_size: 16\n"
      "|    Tasks    |Version|Filter|n-shot| Metric |   |Value |   |Stderr|\n"
      "|-------------|------:|------|-----:|--------|---|-----:|---|-----:|\n"
      "|arc_challenge|      1|none  |     0|acc     |\u2191  |0.9999|\u00b1  |0.0143|\n"
      "|             |       |none  |     0|acc_norm|\u2191  |{:.4f}|\u00b1  |0.0145|\n"
      "|arc_easy     |      1|none  |     0|acc     |\u2191  |0.9999|\u00b1  |0.0092|\n"
      "|             |       |none  |     0|acc_norm|\u2191  |{:.4f}|\u00b1  |0.0094|\n"
      "|hellaswag    |      1|none  |     0|acc     |\u2191  |0.9999|\u00b1  |0.0050|\n"
      "|             |       |none  |     0|acc_norm|\u2191  |{:.4f}|\u00b1  |0.0049|\n\n",
      kNoise, arc_challenge, arc_easy, hellaswag);
}

std::string retrieval_log(double fda, double ruler, double swde) {
  return fmt::format(
      "{}hf (pretrained=/m,dtype=bfloat16), gen_kwargs: (None), limit: None, num_fewshot: 0, "
      "batch_size: 1\n"
      "|    Tasks     |Version|Filter|n-shot| Metric |   |Value |   |Stderr|\n"
      "|--------------|------:|------|-----:|--------|---|-----:|---|------|\n"
      "|fda           |      0|none  |     0|contains|\u2191  |{:.4f}|\u00b1  |   N/A|\n"
      "|ruler_qa_squad|      1|none  |     0|4096    |\u2191  |{:.4f}|\u00b1  |   N/A|\n"
      "|swde          |      0|none  |     0|contains|\u2191  |{:.4f}|\u00b1  |   N/A|\n\n",
      kNoise, fda, ruler, swde);
}

void write_sweep(const fs::path& root, const std::string& model, double cs_original,
                 double rt_original, const std::vector<double>& cs, const std::vector<double>& rt) {
  auto variant = [](const fs::path& dir, double c, double r) {
    write_text(dir / "commonsense_eval.log", commonsense_log(c, c, c));
    write_text(dir / "retrieval_eval.log", retrieval_log(r, r, r));
  };
  variant(root / "original", cs_original, rt_original);
  for (std::size_t l = 0; l < cs.size(); ++l) {
    variant(root / model / fmt::format("layer{}", l), cs[l], rt[l]);
  }
}

fs::path published_dir() { return fs::path(HALO_TEST_DATA) / "published"; }

}  // namespace halo::select::testing
