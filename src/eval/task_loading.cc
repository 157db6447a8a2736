#include "eval/task_loading.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "base/error.h"

namespace halo::eval {

std::function<LoadedDocs(const LoadContext&)> jsonl_loader(std::string relative_file, RowToDoc row_to_doc) {
  return [relative_file = std::move(relative_file), row_to_doc = std::move(row_to_doc)](const LoadContext& ctx) {
    LoadedDocs loaded;
    auto path = ctx.data_dir / relative_file;
    loaded.total = read_jsonl(path, ctx.limit, [&](const JsonRow& row) { loaded.docs.push_back(row_to_doc(row)); });
    loaded.files.push_back(path);
    return loaded;
  };
}

void check_data_files(std::span<const Task* const> tasks, const std::filesystem::path& data_dir) {
  std::vector<std::string> missing;  // relative to data_dir; "a or b" when a task takes either
  for (const Task* task : tasks) {
    bool found = task->data_file_choices.empty();
    for (const std::string& file : task->data_file_choices) {
      std::error_code ec;
      found = found || std::filesystem::exists(data_dir / file, ec);
    }
    const std::string entry = fmt::format("{}", fmt::join(task->data_file_choices, " or "));
    if (!found && std::find(missing.begin(), missing.end(), entry) == missing.end()) missing.push_back(entry);
  }
  if (missing.size() == 1) {
    fail("{}: missing dataset file (see docs/data.md for how to export it)", (data_dir / missing[0]).string());
  }
  if (missing.size() > 1) {
    fail("{}: {} dataset files are missing: {} (see docs/data.md for how to export them)", data_dir.string(),
         missing.size(), fmt::join(missing, ", "));
  }
}

}  // namespace halo::eval
