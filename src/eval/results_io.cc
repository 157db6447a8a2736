#include "eval/results_io.h"

#include <fmt/format.h>

#include "eval/lm_eval_table.h"

namespace halo::eval {

std::string results_report(const EvalResults& results, const std::string& model_args,
                           const std::string& batch_size) {
  return results_header_line(model_args, results.limit, batch_size) + "\n" + format_results_table(results.tasks) +
         "\n";
}

nlohmann::json results_json(const EvalResults& results, const std::string& model_args) {
  nlohmann::json tasks = nlohmann::json::object();
  for (const auto& task : results.tasks) {
    nlohmann::json metrics = nlohmann::json::object();
    for (const auto& m : task.metrics) {
      metrics[m.name] = {{"value", m.value},
                         {"stderr", m.stderr_value ? nlohmann::json(*m.stderr_value) : nlohmann::json("N/A")},
                         {"higher_is_better", m.direction_known ? nlohmann::json(m.higher_is_better) : nlohmann::json(nullptr)}};
    }
    tasks[task.name] = {{"version", task.version},
                        {"num_samples", task.num_samples},
                        {"metrics", metrics},
                        {"seconds", task.seconds}};
  }
  return {{"model", results.model_description},
          {"model_args", model_args},
          {"precision", results.precision},
          {"limit", results.limit ? nlohmann::json(*results.limit) : nlohmann::json(nullptr)},
          {"num_fewshot", 0},
          {"input_hash", fmt::format("{:016x}", results.input_hash)},
          {"prepare_seconds", results.prepare_seconds},
          {"seconds", results.seconds},
          {"tasks", tasks}};
}

}  // namespace halo::eval
