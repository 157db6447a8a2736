// Hand-made sweep folders in the reference layout, for tests that need small, known tables.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace halo::select::testing {

// A fresh, empty temporary folder (removed and recreated) named after the running test.
std::filesystem::path fresh_dir(const std::string& tag);

// An lm-eval commonsense table (arc_challenge, arc_easy, hellaswag; acc then acc_norm rows) with
// the three acc_norm values given and acc fixed at 0.9999 (it must never be averaged), preceded by
// the kind of noise the published logs carry.
std::string commonsense_log(double arc_challenge, double arc_easy, double hellaswag);

// An lm-eval retrieval table: fda contains, ruler_qa_squad 4096, swde contains.
std::string retrieval_log(double fda, double ruler, double swde);

// A sweep under `root`: original/ and {model}/layer{L}/ with both logs. cs[L] and rt[L] are the
// layer's averages; each is written as three equal task values so the average is exact.
void write_sweep(const std::filesystem::path& root, const std::string& model, double cs_original,
                 double rt_original, const std::vector<double>& cs, const std::vector<double>& rt);

void write_text(const std::filesystem::path& path, const std::string& text);

// The published HypeNet-2B and 4B sweeps shipped with the tests, their logs trimmed to the result
// tables (tests/data/published/README.md).
std::filesystem::path published_dir();

}  // namespace halo::select::testing
