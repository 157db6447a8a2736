#include "eval/outcome_journal.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "base/json_nesting.h"
#include "base/append_file.h"
#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/input_hash.h"

namespace halo::eval {

namespace {

constexpr const char* kFormat = "halo-outcomes";
constexpr int kVersion = 1;

std::string checksum(std::string_view text) {
  InputHash hash;
  hash.add(text);
  return fmt::format("{:016x}", hash.value());
}

std::string with_checksum(const nlohmann::json& record) {
  std::string text = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text + "\t" + checksum(text) + "\n";
}

// The JSON of an intact line, or a discarded value.
nlohmann::json parse_line(std::string_view line) {
  size_t tab = line.rfind('\t');
  if (tab == std::string_view::npos || checksum(line.substr(0, tab)) != line.substr(tab + 1)) {
    return nlohmann::json::value_t::discarded;
  }
  // A line nested absurdly deep is not one this module wrote: damaged, like a bad checksum.
  if (json_nesting_overflow(line.substr(0, tab))) return nlohmann::json::value_t::discarded;
  return nlohmann::json::parse(line.substr(0, tab), nullptr, false);
}

// Metrics as [name, value] pairs in their order; a Python-int value is written as a JSON integer,
// which is how it comes back as one.
nlohmann::json doc_json(const DocOutcome& doc) {
  nlohmann::json metrics = nlohmann::json::array();
  for (const MetricValue& m : doc.metrics) {
    metrics.push_back({m.name, m.integer ? nlohmann::json(int64_t(m.value)) : nlohmann::json(m.value)});
  }
  nlohmann::json j = {{"m", std::move(metrics)}};
  if (!doc.loglikelihoods.empty()) {
    j["ll"] = doc.loglikelihoods;
    std::vector<int> greedy(doc.is_greedy.begin(), doc.is_greedy.end());
    j["g"] = greedy;
  } else {
    j["o"] = doc.output;
    j["n"] = doc.generated_tokens;
  }
  return j;
}

DocOutcome doc_from_json(const nlohmann::json& j) {
  DocOutcome doc;
  for (const auto& m : j.at("m")) {
    const auto& value = m.at(1);
    doc.metrics.push_back({m.at(0).get<std::string>(), value.get<double>(), value.is_number_integer()});
  }
  if (j.contains("ll")) {
    doc.loglikelihoods = j.at("ll").get<std::vector<double>>();
    for (int g : j.at("g").get<std::vector<int>>()) doc.is_greedy.push_back(g != 0);
  } else {
    doc.output = j.at("o").get<std::string>();
    doc.generated_tokens = j.at("n").get<size_t>();
  }
  return doc;
}

}  // namespace

std::string journal_header_line(const std::string& fingerprint, const std::string& variant) {
  return with_checksum({{"format", kFormat}, {"version", kVersion}, {"fingerprint", fingerprint}, {"variant", variant}});
}

std::string journal_batch_line(const JournalBatch& batch) {
  nlohmann::json docs = nlohmann::json::array();
  for (const DocOutcome& doc : batch.docs) docs.push_back(doc_json(doc));
  return with_checksum({{"suite", batch.suite},
                        {"task", batch.task},
                        {"batch", batch.batch},
                        {"begin", batch.begin},
                        {"end", batch.end},
                        {"docs", std::move(docs)}});
}

JournalContents read_journal(const std::filesystem::path& path) {
  JournalContents contents;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return contents;
  const std::string text = read_file(path);
  size_t pos = 0;
  bool header = true;
  while (pos < text.size()) {
    size_t newline = text.find('\n', pos);
    if (newline == std::string::npos) {  // a last line without its newline was cut short
      ++contents.dropped_lines;
      break;
    }
    nlohmann::json record = parse_line(std::string_view(text).substr(pos, newline - pos));
    bool ok = !record.is_discarded() && record.is_object();
    try {
      if (ok && header) {
        ok = record.value("format", "") == kFormat && record.value("version", 0) == kVersion;
        if (ok) {
          contents.fingerprint = record.at("fingerprint").get<std::string>();
          contents.variant = record.at("variant").get<std::string>();
        }
      } else if (ok) {
        JournalBatch batch;
        batch.suite = record.at("suite").get<std::string>();
        batch.task = record.at("task").get<std::string>();
        batch.batch = record.at("batch").get<size_t>();
        batch.begin = record.at("begin").get<size_t>();
        batch.end = record.at("end").get<size_t>();
        for (const auto& doc : record.at("docs")) batch.docs.push_back(doc_from_json(doc));
        ok = batch.begin <= batch.end && batch.docs.size() == batch.end - batch.begin;
        if (ok) contents.batches.push_back(std::move(batch));
      }
    } catch (const nlohmann::json::exception&) {
      ok = false;
    }
    if (!ok) {
      if (header) return JournalContents{};  // not a journal we can continue
      // A damaged line ends the intact part; it and every line after it are dropped.
      contents.dropped_lines = size_t(std::count(text.begin() + long(pos), text.end(), '\n')) +
                               (text.back() == '\n' ? 0 : 1);
      break;
    }
    header = false;
    pos = newline + 1;
    contents.valid_bytes = pos;
  }
  return contents;
}

JournalWriter::JournalWriter(const std::filesystem::path& path, const std::string& fingerprint,
                             const std::string& variant, uint64_t keep_bytes)
    : file_(std::make_unique<AppendFile>(path, keep_bytes)) {
  if (keep_bytes == 0) file_->append(journal_header_line(fingerprint, variant));
}

JournalWriter::~JournalWriter() = default;

void JournalWriter::append(const JournalBatch& batch) { file_->append(journal_batch_line(batch)); }

}  // namespace halo::eval
