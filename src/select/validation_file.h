// validation.json in the sweep root: what `halo validate` measured (select/validation.h). This
// module is the file's one writer and reader; `halo rank` reads it to add the comparison to its
// report.
//
//   {"format": "halo-validation", "version": 1, "model": NAME, "num_layers": N, "k": K, "seed": S,
//    "selections": [{"name", "attention_layers", "how"}...],
//    "columns": ["arc_challenge/acc_norm", ...],
//    "hybrids": [{"names", "attention_layers", "folder", "values", "commonsense", "retrieval"}...],
//    "original": {the same fields, for the all-attention model}}
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "select/validation.h"

namespace halo::select {

inline constexpr std::string_view kValidationFile = "validation.json";

std::string validation_file_text(const Validation& validation);

// One-line errors naming the file and the key for anything malformed.
Validation read_validation_file(const std::filesystem::path& path);

}  // namespace halo::select
