// The common loader: a JSON Lines file under --data whose rows map one-to-one to documents.
#pragma once

#include <functional>
#include <string>

#include "eval/jsonl.h"
#include "eval/task.h"

namespace halo::eval {

using RowToDoc = std::function<Doc(const JsonRow&)>;

// Reads data_dir/relative_file (first `limit` rows) and converts each row with `row_to_doc`.
std::function<LoadedDocs(const LoadContext&)> jsonl_loader(std::string relative_file, RowToDoc row_to_doc);

}  // namespace halo::eval
