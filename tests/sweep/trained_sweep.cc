#include "trained_sweep.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "base/atomic_file.h"

namespace halo::testing {
namespace fs = std::filesystem;

namespace {

const fs::path kGolden = fs::path(HALO_TEST_DATA) / "golden_trained";
const fs::path kTinyTokenizer = fs::path(HALO_TEST_DATA) / "tokenizer" / "tiny";
constexpr int kDocs = 12;

const char* const kSnippets[] = {"def __init__(self):", "return None", "import os", "for i in range(n):",
                                 "if x is None:", "class Foo(object):", "while True:", "print(x)"};
const char* const kValues[] = {"self", "def ", "return", "import", "(", ")", ":", "_", "x", "=", "None", "if "};

void write_lines(const fs::path& path, const std::vector<nlohmann::ordered_json>& rows) {
  std::string text;
  for (const auto& row : rows) text += row.dump() + "\n";
  fs::create_directories(path.parent_path());
  write_file_atomic(path, text);
}

}  // namespace

TrainedSweep::TrainedSweep(const fs::path& dir) : model(dir / "model"), run(kGolden / "runs/stage1_bytes_trained"),
                                                  data(dir / "data") {
  fs::copy(kGolden / "models/qwen3_bytes_trained", model);
  for (const char* file : {"tokenizer.json", "tokenizer_config.json"}) {
    fs::copy_file(kTinyTokenizer / file, model / file);
  }
  using J = nlohmann::ordered_json;
  for (const char* task : {"fda", "swde"}) {
    std::vector<J> rows;
    for (int i = 0; i < kDocs; ++i) {
      rows.push_back(J{{"doc_id", std::to_string(i)}, {"file_name", "f.py"}, {"key", "k"}, {"value", kValues[i]},
                       {"text", fmt::format("def f{}(self, x):\n    return x + {}\n {}:", i, i, task)}});
    }
    write_lines(data / task / "validation.jsonl", rows);
  }
  std::vector<J> hellaswag;
  for (int i = 0; i < kDocs; ++i) {
    J endings = J::array();
    for (int j = 0; j < 4; ++j) endings.push_back(kSnippets[(i + j) % 8]);
    hellaswag.push_back(J{{"ind", i}, {"activity_label", "Code"}, {"ctx_a", "def f(self, x):"},
                          {"ctx_b", "    " + std::string(kSnippets[i % 8]).substr(0, 6)}, {"ctx", ""},
                          {"endings", endings}, {"source_id", "x"}, {"split", "val"}, {"split_type", "indomain"},
                          {"label", std::to_string(i % 4)}});
  }
  write_lines(data / "hellaswag/validation.jsonl", hellaswag);
  for (const std::string task : {"arc_easy", "arc_challenge"}) {
    std::vector<J> rows;
    for (int i = 0; i < kDocs; ++i) {
      J text = J::array();
      for (int j = 0; j < 4; ++j) text.push_back(kSnippets[(i * 3 + j) % 8]);
      rows.push_back(J{{"id", task + std::to_string(i)},
                       {"question", fmt::format("    x = {}\n    {}", i, std::string(kSnippets[(i + 5) % 8]).substr(0, 4))},
                       {"choices", J{{"text", text}, {"label", J::array({"A", "B", "C", "D"})}}},
                       {"answerKey", std::string(1, "ABCD"[(i + int(task.size())) % 4])}});
    }
    write_lines(data / task / "test.jsonl", rows);
  }
  // ruler_qa_squad: one answerable question per paragraph, answers from the same values.
  J paragraphs = J::array();
  for (int i = 0; i < kDocs; ++i) {
    paragraphs.push_back(J{{"context", fmt::format("The word number {} is {}.", i, kValues[i])},
                           {"qas", J::array({J{{"question", fmt::format("What is word number {}?", i)},
                                               {"id", fmt::format("q{}", i)},
                                               {"answers", J::array({J{{"text", kValues[i]}, {"answer_start", 0}}})},
                                               {"is_impossible", false}}})}});
  }
  fs::create_directories(data / "ruler_qa_squad");
  write_file_atomic(data / "ruler_qa_squad/dev-v2.0.json",
                    J{{"version", "v2.0"}, {"data", J::array({J{{"title", "T"}, {"paragraphs", paragraphs}}})}}.dump());
}

std::vector<std::string> TrainedSweep::model_args() const {
  return {"--model", model.string(), "--rnn", run.string(), "--data", data.string(),
          "--limit", std::to_string(kDocs), "--precision", "fp32"};
}

}  // namespace halo::testing
