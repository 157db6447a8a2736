#include "eval/task_loading.h"

#include <utility>

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

}  // namespace halo::eval
