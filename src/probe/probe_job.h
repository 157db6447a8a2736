// `halo probe` as one library call (docs/probe.md): cheap per-layer proxy scores to set beside
// HALO's sweep-based score. For every probed layer L, the hybrid with only L converted is compared
// with the original model on
//   - a generic-text calibration corpus (calibration_text.h): mean KL(original ‖ hybrid L) per
//     position ("kl-text") and, from the original's own pass, block influence ("bi");
//   - the first N documents of each evaluation task, prompt + gold answer (probe_sequences.h):
//     mean KL at the retrieval tasks' answer positions ("kl-retrieval") and the increase of the
//     gold answer's NLL per token over the original, averaged over the tasks ("nll").
// Everything runs on runtime::LayerProbe's prefix-reusing passes, from one load of the weights; the
// result is probe.json (eval/probe_record.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eval/metrics.h"
#include "eval/probe_record.h"

namespace halo::probe {

inline constexpr int64_t kDefaultChunkTokens = 512;
inline constexpr int64_t kDefaultTextChunks = 64;
inline constexpr size_t kDefaultRequests = 64;
inline constexpr int64_t kDefaultBatchTokens = 16384;

struct ProbeRequest {
  std::filesystem::path model_dir;
  std::filesystem::path rnn_dir;
  std::optional<int> rnn_step;
  std::filesystem::path tokenizer_dir;  // where tokenizer.json lives; empty = model_dir
  std::string layers;                   // "0-27", "2,5-7"; empty = every layer
  // The generic-text corpus (kl-text, bi); empty = not measured.
  std::filesystem::path calibration;
  int64_t chunk_tokens = kDefaultChunkTokens;
  int64_t text_chunks = kDefaultTextChunks;
  // The task data (kl-retrieval, nll); empty = not measured.
  std::filesystem::path data_dir;
  std::string tasks = "commonsense,retrieval";
  size_t requests = kDefaultRequests;          // the first N documents of every task
  std::vector<size_t> ruler_lengths = {4096};  // as for halo eval
  std::filesystem::path out;                   // the probe.json to write
  std::string device = "cpu";
  eval::Precision precision = eval::Precision::fp32;  // the NLL's log-probability rounding
  int64_t batch_tokens = kDefaultBatchTokens;         // tokens packed into one probe pass
};

// Measures and writes request.out; returns what was written. Bad inputs are one-line halo::Errors,
// raised before any weight is read.
eval::ProbeRecord run_probe_job(const ProbeRequest& request);

// The table `halo probe` prints: one line per probed layer, one column per measured proxy.
std::string probe_summary(const eval::ProbeRecord& record);

// ROOT/probe.json: where `halo probe --root` writes and `halo rank --root` looks.
std::filesystem::path probe_file_in(const std::filesystem::path& root);

}  // namespace halo::probe
