// probe.json: the per-layer proxy scores `halo probe` measures (docs/probe.md) and what they were
// measured on. It lives on the eval floor so that both the probe (which writes it) and the
// selection (`halo rank --score kl-text`, which reads it) use this one reader/writer pair.
//
// Every proxy is "bigger = converting the layer hurts more = keep it as attention":
//   kl-text       mean KL(original ‖ hybrid L) per position of the generic-text calibration chunks
//   kl-retrieval  mean over the retrieval tasks of the mean KL per gold-answer position
//   nll           mean over the tasks of the increase of the gold answer's NLL per token
//   bi            block influence of layer L in the original: 1 − mean cos(input, output)
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace halo::eval {

inline constexpr std::string_view kProbeFile = "probe.json";

// The proxy names, in the order the record and the reports list them.
const std::vector<std::string>& probe_proxy_names();

// The generic-text calibration corpus.
struct ProbeTextCalibration {
  std::string file;    // as given on the command line
  std::string sha256;  // of the file's bytes
  int64_t chunk_tokens = 0;
  int64_t chunks = 0;           // chunks used
  int64_t chunks_in_file = 0;   // whole chunks the file holds
  int64_t positions = 0;        // compared positions (chunks × (chunk_tokens − 1))
};

// One task's requests: a prompt (or context) followed by its gold answer (or gold choice).
struct ProbeTask {
  std::string suite;             // "retrieval" / "commonsense"
  int64_t requests = 0;
  int64_t answer_tokens = 0;     // compared positions
  double nll_original = 0;       // mean NLL per answer token under the original
  std::vector<double> kl;        // per entry of ProbeRecord::layers: mean KL per answer position
  std::vector<double> nll;       // per entry of ProbeRecord::layers: mean NLL per answer token
};

struct ProbeRecord {
  std::string model;  // the --model directory
  std::string rnn;    // the --rnn directory
  int rnn_step = 0;
  std::string device;
  std::string precision;  // "fp32" / "bf16" (the NLL's log-probability rounding)
  int num_layers = 0;
  std::vector<int> layers;  // the probed layers, ascending
  std::optional<ProbeTextCalibration> text;  // absent when no corpus was given
  std::string data;                          // the --data directory; empty when no tasks were probed
  int64_t requests_per_task = 0;             // the first N documents of each task
  std::map<std::string, ProbeTask> tasks;    // task name → its numbers
  // proxy name → one value per entry of `layers`; only the proxies the inputs allowed.
  std::map<std::string, std::vector<double>> proxies;
  double seconds = 0;

  // The value of `proxy` for every layer 0..num_layers-1 when the record covers every layer;
  // a halo::Error naming `path` otherwise (an unprobed layer, a proxy not measured).
  std::vector<double> proxy_by_layer(const std::string& proxy, const std::filesystem::path& path) const;
};

std::string probe_record_text(const ProbeRecord& record);
void write_probe_record(const std::filesystem::path& path, const ProbeRecord& record);  // atomic
// Errors are one line naming the file and the key at fault.
ProbeRecord read_probe_record(const std::filesystem::path& path);

}  // namespace halo::eval
