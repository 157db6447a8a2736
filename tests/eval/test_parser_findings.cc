// Regression tests for what the fuzz driver (tests/fuzz) found in the eval floor's parsers: a JSON
// number too large for a double ("1e400") made nlohmann throw out_of_range, which the parse sites
// did not catch (they caught parse_error only), so `halo eval` died with "internal error"; and a
// row nested 100,000 levels deep is refused before nlohmann's recursive copies can overflow the stack.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/generation_config.h"
#include "eval/lm_eval_files.h"
#include "eval/ruler_haystack.h"
#include "eval/tasks.h"
#include "fakes.h"
#include "tiny_checkpoint.h"

namespace halo::eval {
namespace {

const std::filesystem::path kData = std::filesystem::path(HALO_TEST_DATA);

// The halo::Error message of f(), or "" when it did not throw one (any other exception escapes).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class ParserFindings : public ::testing::Test {
 protected:
  void SetUp() override { dir = halo::testing::fresh_temp_dir("parser_findings"); }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
};

TEST_F(ParserFindings, AJsonlNumberOutOfDoubleRangeIsAnError) {
  write_file_atomic(dir / "fda/validation.jsonl",
                    R"({"doc_id": 1e400, "file_name": "f", "key": "k", "value": "v", "text": "t"})" "\n");
  const std::string message = error_of([&] { fda_task().load(LoadContext{dir, nullptr, std::nullopt}); });
  EXPECT_NE(message.find("validation.jsonl:1: invalid JSON"), std::string::npos) << message;
}

TEST_F(ParserFindings, AJsonlRowNestedTooDeepIsAnError) {
  write_file_atomic(dir / "fda/validation.jsonl", std::string(100000, '[') + "\n");
  const std::string message = error_of([&] { fda_task().load(LoadContext{dir, nullptr, std::nullopt}); });
  EXPECT_NE(message.find("validation.jsonl:1: JSON nested deeper than 512 levels"), std::string::npos) << message;
}

TEST_F(ParserFindings, AGenerationConfigNumberOutOfDoubleRangeIsAnError) {
  write_file_atomic(dir / "generation_config.json", R"({"max_new_tokens": -1e309})");
  const std::string message = error_of([&] { read_generation_config(dir / "generation_config.json"); });
  EXPECT_NE(message.find("generation_config.json: invalid JSON"), std::string::npos) << message;
}

TEST_F(ParserFindings, ASquadNumberOutOfDoubleRangeIsAnError) {
  std::string squad = read_file(kData / "eval/ruler_qa_squad/dev-v2.0.json");
  squad.insert(squad.find('{') + 1, R"("n": 1e309, )");
  write_file_atomic(dir / "dev-v2.0.json", squad);
  const std::string message = error_of([&] { load_squad(dir / "dev-v2.0.json"); });
  EXPECT_NE(message.find("dev-v2.0.json: invalid JSON"), std::string::npos) << message;
}

TEST_F(ParserFindings, AnLmEvalResultsNumberOutOfDoubleRangeIsAnError) {
  const auto model = kData / "lm_eval/output/Qwen__Qwen3-1.7B";
  std::filesystem::create_directories(dir / "out/model");
  for (const auto& e : std::filesystem::directory_iterator(model)) {
    std::string text = read_file(e.path());
    if (e.path().filename().string().starts_with("results_")) text.insert(text.find('{') + 1, R"("n": 1e309, )");
    write_file_atomic(dir / "out/model" / e.path().filename(), text);
  }
  const std::string message = error_of([&] { read_lm_eval_output(dir / "out"); });
  EXPECT_NE(message.find("invalid JSON"), std::string::npos) << message;
}

}  // namespace
}  // namespace halo::eval
