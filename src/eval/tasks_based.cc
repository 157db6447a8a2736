// Hazy Research "based" information-extraction tasks fda and swde (docs/lm-eval-rules.md §3, §4): the row's `text` is
// the whole prompt, greedy generation stops at a newline, and the gold `value` must occur in it.
#include "eval/py_string.h"
#include "eval/task_loading.h"
#include "eval/tasks.h"

namespace halo::eval {
namespace {

// The Python task classes FDA and SWDE build their TaskConfig from {"metadata": {"version": 0}}
// alone; lm-eval then sets the task name and num_fewshot, and TaskConfig's defaults fill the rest
// (a generate_until task without generation_kwargs gets {"until": ["\n\n"], "do_sample": False,
// "temperature": 0}, which its own requests ignore).
nlohmann::ordered_json based_config(const std::string& name) {
  return {{"task", name},
          {"unsafe_code", false},
          {"description", ""},
          {"target_delimiter", " "},
          {"fewshot_delimiter", "\n\n"},
          {"num_fewshot", 0},
          {"output_type", "generate_until"},
          {"generation_kwargs", {{"until", nlohmann::ordered_json::array({"\n\n"})}, {"do_sample", false}, {"temperature", 0}}},
          {"repeats", 1},
          {"should_decontaminate", false}};
}

Task based_task(std::string name, std::string file) {
  Task task;
  task.name = std::move(name);
  task.version = 0;
  task.output_type = OutputType::generate_until;
  task.generation = {{"\n"}, 48, {{"until", nlohmann::ordered_json::array({"\n"})}, {"max_gen_toks", 48}}};
  task.metrics = {{"contains", Aggregation::numpy_mean}};  // no known stderr: printed N/A
  task.data_files = file;
  task.data_file_choices = {file};
  task.load = jsonl_loader(std::move(file), based_doc);
  task.score_generation = [](const Doc& doc, const std::string& output) {
    return std::vector<MetricValue>{{"contains", contains_score(doc, output), true}};  // max() of ints
  };
  task.lm_eval = {0, based_config(task.name), false, {"contains"}};
  return task;
}

}  // namespace

Doc based_doc(const JsonRow& row) {
  Doc doc;
  doc.context = row.string("text");       // unstripped, as in task version 0
  doc.answers = {row.string("value")};   // unstripped as well
  doc.record = row.json();
  doc.target = doc.answers[0];
  return doc;
}

double contains_score(const Doc& doc, const std::string& output) {
  return py::contains_ignore_case(output, doc.answers.at(0)) ? 1.0 : 0.0;
}

Task fda_task() { return based_task("fda", "fda/validation.jsonl"); }
Task swde_task() { return based_task("swde", "swde/validation.jsonl"); }

}  // namespace halo::eval
