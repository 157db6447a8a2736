// The names of a layer sweep on disk — the reference layout, which the published sweeps, the
// reference layer_analysis.py, `halo sweep` (writing) and `halo rank` (reading) share:
//
//   ROOT/original/                    the unconverted model
//   ROOT/MODEL/layer{L}/              the model with only layer L converted
//   each variant folder:  commonsense_eval.log  retrieval_eval.log  (lm-eval's printed results)
//                         results.json  (halo sweep: every metric; written last, "finished")
//                         error.log     (halo sweep: why the variant failed)
//
// It sits on the eval floor so that both sweep and select, one floor up, can use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace halo::eval {

inline constexpr std::string_view kOriginalFolder = "original";
inline constexpr std::string_view kResultsFile = "results.json";
inline constexpr std::string_view kErrorFile = "error.log";

// The two suites of the sweep: one lm-eval invocation and one log each.
inline constexpr std::string_view kCommonsenseSuite = "commonsense";
inline constexpr std::string_view kRetrievalSuite = "retrieval";
inline constexpr std::string_view kCommonsenseLog = "commonsense_eval.log";
inline constexpr std::string_view kRetrievalLog = "retrieval_eval.log";

// "layer{L}", the folder of the variant with layer L converted.
std::string layer_folder(int layer);

// The layer of a variant folder name, -1 when it names none. With `prefix_only`, any name that
// starts with "layer<digits>" counts (layer_analysis.py's rule: "layer3_rerun" is layer 3);
// otherwise the name must be exactly "layer<digits>". Throws halo::Error for an index too large
// for an int.
int layer_of_folder(std::string_view name, bool prefix_only);

// Why `name` cannot be used as one component of a path, or nullopt when it can: a name read from
// a data file or a flag (a model name, a variant folder) must be a plain name, so that joining it to
// an output folder stays inside that folder. Rejected: empty, "." and "..", '/' or '\\', NUL and
// other control characters.
std::optional<std::string> plain_name_problem(std::string_view name);

}  // namespace halo::eval
