// The common loader: a JSON Lines file under --data whose rows map one-to-one to documents; and the
// check that every task's data file is there, before anything is read.
#pragma once

#include <filesystem>
#include <functional>
#include <span>
#include <string>

#include "eval/jsonl.h"
#include "eval/task.h"

namespace halo::eval {

using RowToDoc = std::function<Doc(const JsonRow&)>;

// Reads data_dir/relative_file (first `limit` rows) and converts each row with `row_to_doc`.
std::function<LoadedDocs(const LoadContext&)> jsonl_loader(std::string relative_file, RowToDoc row_to_doc);

// Every task needs one of its data_file_choices under `data_dir`; all that are missing are named in
// one error (one line), so a user exporting data learns everything at once.
void check_data_files(std::span<const Task* const> tasks, const std::filesystem::path& data_dir);

}  // namespace halo::eval
