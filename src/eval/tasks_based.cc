// Hazy Research "based" information-extraction tasks fda and swde (docs/lm-eval-rules.md §3, §4): the row's `text` is
// the whole prompt, greedy generation stops at a newline, and the gold `value` must occur in it.
#include "eval/py_string.h"
#include "eval/task_loading.h"
#include "eval/tasks.h"

namespace halo::eval {
namespace {

Task based_task(std::string name, std::string file) {
  Task task;
  task.name = std::move(name);
  task.version = 0;
  task.output_type = OutputType::generate_until;
  task.generation = {{"\n"}, 48};
  task.metrics = {{"contains", false}};  // numpy mean: no known stderr, printed N/A
  task.data_files = file;
  task.data_file_choices = {file};
  task.load = jsonl_loader(std::move(file), based_doc);
  task.score_generation = [](const Doc& doc, const std::string& output) {
    return std::vector<double>{contains_score(doc, output)};
  };
  return task;
}

}  // namespace

Doc based_doc(const JsonRow& row) {
  Doc doc;
  doc.context = row.string("text");       // unstripped, as in task version 0
  doc.answers = {row.string("value")};   // unstripped as well
  return doc;
}

double contains_score(const Doc& doc, const std::string& output) {
  return py::contains_ignore_case(output, doc.answers.at(0)) ? 1.0 : 0.0;
}

Task fda_task() { return based_task("fda", "fda/validation.jsonl"); }
Task swde_task() { return based_task("swde", "swde/validation.jsonl"); }

}  // namespace halo::eval
