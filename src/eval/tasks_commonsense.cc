// Log-likelihood multiple-choice tasks: hellaswag and ARC easy/challenge (docs/lm-eval-rules.md §1,
// §2).
#include <fmt/format.h>

#include <algorithm>

#include "eval/py_string.h"
#include "eval/task_loading.h"
#include "eval/tasks.h"

namespace halo::eval {
namespace {

// re.sub(r"\[.*?\]", "", text): each '[' opens the shortest span to the next ']' on the same line.
std::string remove_bracket_spans(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '[') {
      size_t close = text.find_first_of("]\n", i + 1);
      if (close != std::string_view::npos && text[close] == ']') {
        i = close + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

// int(label) for the digit strings hellaswag stores (plain integers are accepted too).
int parse_label(const JsonRow& row, size_t num_choices) {
  auto it = row.json().find("label");
  if (it == row.json().end()) row.fail("missing field 'label'");
  long label = -1;
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    bool digits = !s.empty() && s.size() < 10 &&
                  std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) row.fail(fmt::format("bad label \"{}\": expected a digit string", s));
    label = std::stol(s);
  } else if (it->is_number_integer()) {
    label = it->get<long>();
  } else {
    row.fail(fmt::format("field 'label' must be a string, got {}", it->type_name()));
  }
  if (label < 0 || size_t(label) >= num_choices) {
    row.fail(fmt::format("bad label {}: there are {} endings", label, num_choices));
  }
  return int(label);
}

// lm-eval's TaskConfig.to_dict() of a 0-shot multiple-choice YAML task (None fields dropped, in
// TaskConfig's field order): `yaml` holds the fields from task to doc_to_target, `tail` those
// after repeats (should_decontaminate and its query).
nlohmann::ordered_json multiple_choice_config(nlohmann::ordered_json yaml, const std::string& doc_to_choice,
                                              nlohmann::ordered_json tail) {
  nlohmann::ordered_json config = std::move(yaml);
  config["unsafe_code"] = false;
  config["doc_to_choice"] = doc_to_choice;
  config["description"] = "";
  config["target_delimiter"] = " ";
  config["fewshot_delimiter"] = "\n\n";
  config["num_fewshot"] = 0;
  config["metric_list"] = nlohmann::ordered_json::array();
  for (const char* metric : {"acc", "acc_norm"}) {
    config["metric_list"].push_back({{"metric", metric}, {"aggregation", "mean"}, {"higher_is_better", true}});
  }
  config["output_type"] = "multiple_choice";
  config["repeats"] = 1;
  for (auto& [key, value] : tail.items()) config[key] = value;
  return config;
}

Task multiple_choice_task(std::string name, std::string file, RowToDoc row_to_doc, nlohmann::ordered_json config) {
  Task task;
  task.name = std::move(name);
  task.version = 1;
  task.output_type = OutputType::multiple_choice;
  task.metrics = {{"acc", Aggregation::mean}, {"acc_norm", Aggregation::mean}};
  task.data_files = file;
  task.data_file_choices = {file};
  task.load = jsonl_loader(std::move(file), std::move(row_to_doc));
  task.lm_eval = {1.0, std::move(config), true, {"acc", "acc_norm"}};
  return task;
}

nlohmann::ordered_json arc_config(const std::string& name, const std::string& dataset_name) {
  const std::string query = "Question: {{question}}\nAnswer:";
  return multiple_choice_config({{"task", name},
                                 {"tag", nlohmann::ordered_json::array({"ai2_arc"})},
                                 {"dataset_path", "allenai/ai2_arc"},
                                 {"dataset_name", dataset_name},
                                 {"training_split", "train"},
                                 {"validation_split", "validation"},
                                 {"test_split", "test"},
                                 {"doc_to_text", query},
                                 {"doc_to_target", "{{choices.label.index(answerKey)}}"}},
                                "{{choices.text}}",
                                {{"should_decontaminate", true}, {"doc_to_decontamination_query", query}});
}

nlohmann::ordered_json hellaswag_config() {
  return multiple_choice_config({{"task", "hellaswag"},
                                 {"tag", nlohmann::ordered_json::array({"multiple_choice"})},
                                 {"dataset_path", "Rowan/hellaswag"},
                                 {"training_split", "train"},
                                 {"validation_split", "validation"},
                                 {"process_docs", nullptr},  // a function: its source in lm-eval
                                 {"doc_to_text", "{{query}}"},
                                 {"doc_to_target", "{{label}}"}},
                                "choices", {{"should_decontaminate", false}});
}

}  // namespace

std::string hellaswag_clean(std::string_view text) {
  std::string s = py::strip(text);
  s = py::replace_all(s, " [title]", ". ");
  s = remove_bracket_spans(s);
  return py::replace_all(s, "  ", " ");
}

Doc hellaswag_doc(const JsonRow& row) {
  std::string ctx = row.string("ctx_a") + " " + py::capitalize(row.string("ctx_b"));
  Doc doc;
  doc.context = hellaswag_clean(row.string("activity_label") + ": " + ctx);
  for (const auto& ending : row.string_list("endings")) doc.choices.push_back(hellaswag_clean(ending));
  if (doc.choices.empty()) row.fail("field 'endings' is empty");
  doc.gold = parse_label(row, doc.choices.size());
  // process_docs' dataset.map adds these columns after the row's own.
  doc.record = row.json();
  doc.record["query"] = doc.context;
  doc.record["choices"] = doc.choices;
  doc.record["gold"] = doc.gold;
  doc.target = std::to_string(doc.gold);  // doc_to_target "{{label}}" → int(label)
  return doc;
}

Doc arc_doc(const JsonRow& row) {
  Doc doc;
  doc.context = "Question: " + row.string("question") + "\nAnswer:";
  JsonRow choices = row.object("choices");
  doc.choices = choices.string_list("text");
  auto labels = choices.string_list("label");
  if (doc.choices.empty() && labels.empty()) {
    row.fail("the row has no choices (choices.text and choices.label are empty)");
  }
  if (labels.size() != doc.choices.size()) {
    row.fail(fmt::format("choices.text has {} entries but choices.label has {}", doc.choices.size(), labels.size()));
  }
  std::string key = row.string("answerKey");
  auto it = std::find(labels.begin(), labels.end(), key);
  if (it == labels.end()) row.fail(fmt::format("bad answerKey \"{}\": not among choices.label", key));
  doc.gold = int(it - labels.begin());
  doc.record = row.json();
  doc.target = std::to_string(doc.gold);  // "{{choices.label.index(answerKey)}}" → int
  return doc;
}

Task hellaswag_task() {
  return multiple_choice_task("hellaswag", "hellaswag/validation.jsonl", hellaswag_doc, hellaswag_config());
}
Task arc_easy_task() {
  return multiple_choice_task("arc_easy", "arc_easy/test.jsonl", arc_doc, arc_config("arc_easy", "ARC-Easy"));
}
Task arc_challenge_task() {
  return multiple_choice_task("arc_challenge", "arc_challenge/test.jsonl", arc_doc,
                              arc_config("arc_challenge", "ARC-Challenge"));
}

}  // namespace halo::eval
