// The per-document outcomes of one evaluated variant, kept batch by batch in one file
// (outcomes.jsonl next to the variant's results). It is both the sweep's resume journal — a batch
// whose line is in the file is never run again — and the per-document record that resampling
// (bootstrap) and comparisons read later. This module is the file's one reader and writer.
//
// Format (JSON Lines, one checksum per line so a line torn by a kill is recognised and dropped):
//   {"format":"halo-outcomes","version":1,"fingerprint":"…","variant":"layer 3"}\t<checksum>
//   {"suite":"commonsense","task":"hellaswag","batch":4,"begin":256,"end":320,"docs":[…]}\t<checksum>
// where each document is {"m":[[metric, value]…]} (an integer value stays an integer) plus "ll" (log-likelihood per choice) and "g"
// (1/0 per choice: greedy) for multiple choice, or "o" (output text) and "n" (generated tokens) for
// generation; <checksum> is the 16-hex-digit FNV-1a of the JSON text.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "eval/runner.h"

namespace halo {
class AppendFile;
}

namespace halo::eval {

inline constexpr const char* kOutcomesFile = "outcomes.jsonl";

struct JournalBatch {
  std::string suite, task;
  size_t batch = 0, begin = 0, end = 0;
  std::vector<DocOutcome> docs;  // documents [begin, end)
};

struct JournalContents {
  std::string fingerprint, variant;  // from the header
  std::vector<JournalBatch> batches;  // in file order
  uint64_t valid_bytes = 0;           // the header and every intact line before the first damaged one
  size_t dropped_lines = 0;           // damaged lines at the end (a torn write) and what follows them
};

// Reads a journal. A missing file, or one whose first line is not an intact header, gives empty
// contents (valid_bytes 0); damaged lines end the intact part.
JournalContents read_journal(const std::filesystem::path& path);

std::string journal_header_line(const std::string& fingerprint, const std::string& variant);
std::string journal_batch_line(const JournalBatch& batch);

// Appends batches durably. Opening keeps the file's first `keep_bytes` bytes (read_journal's
// valid_bytes when resuming the same run, 0 to start anew) and writes the header when it keeps none.
class JournalWriter {
 public:
  JournalWriter(const std::filesystem::path& path, const std::string& fingerprint, const std::string& variant,
                uint64_t keep_bytes);
  ~JournalWriter();
  void append(const JournalBatch& batch);

 private:
  std::unique_ptr<AppendFile> file_;
};

}  // namespace halo::eval
