#include "eval/generation_config.h"

#include <climits>
#include <new>

#include "base/json_nesting.h"
#include "base/atomic_file.h"
#include "base/error.h"

namespace halo::eval {
namespace {

// When a field acts, as transformers 4.4x-4.5x test it (GenerationMixin._get_logits_processor,
// GenerationConfig.get_generation_mode); null always means "unset".
enum class ActsWhen {
  set,         // any value: `is not None`
  not_one,     // `!= 1.0`
  positive,    // `> 0`
  true_value,  // `is True`
};

struct Field {
  const char* key;
  ActsWhen when;
  const char* why;
};

constexpr const char* kProcessor = "lm-eval would apply it";

// Every generation_config field that changes what greedy decoding produces under lm-eval's call.
// Not listed, because they leave greedy tokens alone: do_sample (lm-eval passes False), the
// sampling-only warpers (temperature, top_k, top_p, typical_p, min_p, epsilon_cutoff, eta_cutoff),
// max_length (lm-eval passes its own), remove_invalid_values (touches only NaN/inf logits), and
// token ids, cache and output settings. max_new_tokens and eos_token_id are read below.
constexpr Field kFields[] = {
    // Logits processors added whatever do_sample says.
    {"repetition_penalty", ActsWhen::not_one, kProcessor},
    {"encoder_repetition_penalty", ActsWhen::not_one, kProcessor},  // on the prompt ids for decoder-only
    {"no_repeat_ngram_size", ActsWhen::positive, kProcessor},
    {"encoder_no_repeat_ngram_size", ActsWhen::positive, kProcessor},
    {"bad_words_ids", ActsWhen::set, kProcessor},
    {"sequence_bias", ActsWhen::set, kProcessor},
    {"min_length", ActsWhen::positive, kProcessor},
    {"min_new_tokens", ActsWhen::positive, kProcessor},
    {"forced_bos_token_id", ActsWhen::set, kProcessor},
    {"forced_eos_token_id", ActsWhen::set, kProcessor},
    {"exponential_decay_length_penalty", ActsWhen::set, kProcessor},
    {"suppress_tokens", ActsWhen::set, kProcessor},
    {"begin_suppress_tokens", ActsWhen::set, kProcessor},
    {"guidance_scale", ActsWhen::not_one, kProcessor},
    {"diversity_penalty", ActsWhen::positive, kProcessor},
    {"watermarking_config", ActsWhen::set, kProcessor},
    {"renormalize_logits", ActsWhen::true_value, kProcessor},  // log-softmax rounding could move a tie
    // Fields that switch generate() away from greedy search.
    {"num_beams", ActsWhen::not_one, "HF would decode with beam search, not greedily"},
    {"constraints", ActsWhen::set, "HF would decode with constrained beam search, not greedily"},
    {"force_words_ids", ActsWhen::set, "HF would decode with constrained beam search, not greedily"},
    {"dola_layers", ActsWhen::set, "HF would decode with DoLa, not greedily"},
    {"prompt_lookup_num_tokens", ActsWhen::set, "HF would use assisted decoding"},
    {"assistant_early_exit", ActsWhen::set, "HF would use assisted decoding"},
    // Fields HF rejects or cannot honour in lm-eval's call (it passes no tokenizer).
    {"num_return_sequences", ActsWhen::not_one, "HF rejects it for greedy decoding"},
    {"stop_strings", ActsWhen::set, "HF needs a tokenizer for it, which lm-eval does not pass"},
    {"token_healing", ActsWhen::true_value, "HF needs a tokenizer for it, which lm-eval does not pass"},
    {"forced_decoder_ids", ActsWhen::set, "HF rejects it"},
    {"max_time", ActsWhen::set, "HF would stop on wall-clock time"},
};

bool acts(const nlohmann::json& value, ActsWhen when) {
  if (value.is_null()) return false;
  switch (when) {
    case ActsWhen::set:
      return true;
    case ActsWhen::not_one:
      return !value.is_number() || value.get<double>() != 1.0;
    case ActsWhen::positive:
      return !value.is_number() || value.get<double>() > 0;
    case ActsWhen::true_value:
      return !value.is_boolean() || value.get<bool>();
  }
  return true;
}

// One line, short: long token lists are cut.
std::string show(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

[[noreturn]] void unsupported(const std::string& source, const std::string& key, const nlohmann::json& value,
                              const char* why) {
  fail("{}: {} {} is not supported ({}; see docs/eval.md)", source, key, show(value), why);
}

}  // namespace

GenerationConfig parse_generation_config(const nlohmann::json& config, const std::string& source) {
  HALO_CHECK(config.is_object(), "{}: must be a JSON object", source);
  for (const Field& field : kFields) {
    auto it = config.find(field.key);
    if (it != config.end() && acts(*it, field.when)) unsupported(source, field.key, *it, field.why);
  }
  // Contrastive search: penalty_alpha > 0 with top_k > 1 (top_k defaults to 50) even when greedy.
  if (auto it = config.find("penalty_alpha"); it != config.end() && acts(*it, ActsWhen::positive)) {
    auto top_k = config.find("top_k");
    bool contrastive = top_k == config.end() || top_k->is_null() || !top_k->is_number() || top_k->get<double>() > 1;
    if (contrastive) unsupported(source, "penalty_alpha", *it, "HF would decode with contrastive search, not greedily");
  }

  GenerationConfig result;
  if (auto it = config.find("max_new_tokens"); it != config.end() && !it->is_null()) {
    bool valid = it->is_number_integer() && it->get<int64_t>() > 0 && it->get<int64_t>() <= INT_MAX;
    HALO_CHECK(valid, "{}: max_new_tokens must be a positive integer, not {}", source, show(*it));
    result.max_new_tokens = int(it->get<int64_t>());
  }
  if (auto it = config.find("eos_token_id"); it != config.end() && !it->is_null()) {
    std::vector<int32_t> ids;
    if (it->is_number_integer()) {
      ids.push_back(it->get<int32_t>());
    } else {
      HALO_CHECK(it->is_array(), "{}: eos_token_id must be an integer or a list of integers", source);
      for (const auto& id : *it) {
        HALO_CHECK(id.is_number_integer(), "{}: eos_token_id must be an integer or a list of integers", source);
        ids.push_back(id.get<int32_t>());
      }
    }
    result.eos_token_ids = std::move(ids);
  }
  return result;
}

GenerationConfig read_generation_config(const std::filesystem::path& path) {
  nlohmann::json config;
  const std::string text = read_file(path);
  check_json_nesting(text, path.string());
  try {
    config = nlohmann::json::parse(text);
  } catch (const std::bad_alloc&) {
    fail("{}: out of memory while parsing it", path.string());
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e400
    fail("{}: invalid JSON: {}", path.string(), e.what());
  }
  return parse_generation_config(config, path.string());
}

}  // namespace halo::eval
