#include "select/hypenet_config.h"

#include <nlohmann/json.hpp>

#include "base/json_nesting.h"
#include "base/atomic_file.h"
#include "base/error.h"

namespace halo::select {

std::string hypenet_config_text(const std::optional<std::filesystem::path>& base, int num_layers,
                                const std::vector<int>& attention_layers) {
  // ordered_json keeps the fields in the order the run's config has them.
  nlohmann::ordered_json config = nlohmann::ordered_json::object();
  if (base) {
    const std::string where = base->string();
    try {
      const std::string text = read_file(*base);
      check_json_nesting(text, where);
      config = nlohmann::ordered_json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      fail("{}: not valid JSON: {}", where, e.what());
    }
    if (!config.is_object()) fail("{}: expected a JSON object", where);
    auto it = config.find("num_hidden_layers");
    if (it == config.end() || !it->is_number_integer()) {
      fail("{}: num_hidden_layers: missing or not an integer", where);
    }
    if (it->get<long long>() != num_layers) {
      fail("{}: num_hidden_layers is {} but the sweep has {} layers (0..{}); is this the config "
           "of the swept model?",
           where, it->get<long long>(), num_layers, num_layers - 1);
    }
  } else {
    config["num_hidden_layers"] = num_layers;
  }
  std::vector<std::string> mixers(static_cast<std::size_t>(num_layers), kRnnMixer);
  for (int layer : attention_layers) mixers.at(static_cast<std::size_t>(layer)) = kAttentionMixer;
  config["mixer_types"] = mixers;
  return config.dump(2) + "\n";
}

}  // namespace halo::select
