// What halo takes from a model's generation config: the EOS ids, a max_new_tokens budget, and a
// one-line refusal of every field that would make HF's generate() decode differently from plain
// greedy under lm-eval's call (transformers' _get_logits_processor / get_generation_mode).
#include <gtest/gtest.h>

#include "base/error.h"
#include "eval/generation_config.h"

namespace halo::eval {
namespace {

GenerationConfig parse(const std::string& text) {
  return parse_generation_config(nlohmann::json::parse(text), "M/generation_config.json");
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(GenerationConfig, Qwen3sOwnFileIsPlainGreedy) {
  // Qwen/Qwen3-1.7B's generation_config.json: only sampling settings, which do_sample=False ignores.
  GenerationConfig c = parse(R"({"bos_token_id": 151643, "do_sample": true, "eos_token_id": [151645, 151643],
                                 "pad_token_id": 151643, "temperature": 0.6, "top_k": 20, "top_p": 0.95,
                                 "transformers_version": "4.51.0"})");
  EXPECT_EQ(c.eos_token_ids, (std::vector<int32_t>{151645, 151643}));
  EXPECT_FALSE(c.max_new_tokens);
}

TEST(GenerationConfig, SamplingOnlyAndNeutralFieldsAreAccepted) {
  // Warpers only act when sampling; defaults add no processor; max_length is lm-eval's own.
  GenerationConfig c = parse(R"({"do_sample": true, "temperature": 0.7, "top_k": 40, "top_p": 0.9,
      "typical_p": 0.5, "min_p": 0.05, "epsilon_cutoff": 0.001, "eta_cutoff": 0.001, "max_length": 20,
      "repetition_penalty": 1.0, "encoder_repetition_penalty": 1, "no_repeat_ngram_size": 0, "min_length": 0,
      "min_new_tokens": null, "num_beams": 1, "num_return_sequences": 1, "bad_words_ids": null,
      "forced_bos_token_id": null, "forced_eos_token_id": null, "suppress_tokens": null, "guidance_scale": null,
      "diversity_penalty": 0.0, "renormalize_logits": false, "remove_invalid_values": true, "penalty_alpha": null,
      "use_cache": true, "_from_model_config": true, "eos_token_id": 7})");
  EXPECT_EQ(c.eos_token_ids, (std::vector<int32_t>{7}));
  // Contrastive search needs top_k > 1; with top_k 1 penalty_alpha leaves greedy search alone.
  EXPECT_NO_THROW(parse(R"({"penalty_alpha": 0.6, "top_k": 1})"));
}

TEST(GenerationConfig, MaxNewTokensBecomesTheBudget) {
  EXPECT_EQ(parse(R"({"max_new_tokens": 256})").max_new_tokens, 256);
  EXPECT_FALSE(parse(R"({"max_new_tokens": null})").max_new_tokens);
  EXPECT_EQ(error_of(R"({"max_new_tokens": 0})"),
            "M/generation_config.json: max_new_tokens must be a positive integer, not 0");
  EXPECT_EQ(error_of(R"({"max_new_tokens": 64.5})"),
            "M/generation_config.json: max_new_tokens must be a positive integer, not 64.5");
}

TEST(GenerationConfig, ProcessorsActingUnderGreedyAreOneLineErrors) {
  EXPECT_EQ(error_of(R"({"temperature": 0.7, "repetition_penalty": 1.1})"),
            "M/generation_config.json: repetition_penalty 1.1 is not supported "
            "(lm-eval would apply it; see docs/eval.md)");
  for (const char* field : {R"("encoder_repetition_penalty": 1.2)", R"("no_repeat_ngram_size": 3)",
                            R"("encoder_no_repeat_ngram_size": 2)", R"("bad_words_ids": [[5]])",
                            R"("sequence_bias": [[[5], -1.0]])", R"("min_length": 10)", R"("min_new_tokens": 2)",
                            R"("forced_bos_token_id": 1)", R"("forced_eos_token_id": 2)",
                            R"("exponential_decay_length_penalty": [5, 1.5])", R"("suppress_tokens": [3])",
                            R"("begin_suppress_tokens": [3])", R"("guidance_scale": 1.5)",
                            R"("diversity_penalty": 0.5)", R"("renormalize_logits": true)",
                            R"("watermarking_config": {"greenlist_ratio": 0.25})"}) {
    std::string text = std::string("{") + field + "}";
    std::string key = std::string(field).substr(1, std::string(field).find('"', 1) - 1);
    EXPECT_EQ(error_of(text).rfind("M/generation_config.json: " + key + " ", 0), 0u) << text << ": " << error_of(text);
    EXPECT_NE(error_of(text).find("(lm-eval would apply it; see docs/eval.md)"), std::string::npos) << text;
  }
}

TEST(GenerationConfig, OtherDecodingModesAreOneLineErrors) {
  EXPECT_EQ(error_of(R"({"num_beams": 4})"), "M/generation_config.json: num_beams 4 is not supported "
                                             "(HF would decode with beam search, not greedily; see docs/eval.md)");
  EXPECT_EQ(error_of(R"({"penalty_alpha": 0.6})"),  // top_k defaults to 50
            "M/generation_config.json: penalty_alpha 0.6 is not supported "
            "(HF would decode with contrastive search, not greedily; see docs/eval.md)");
  EXPECT_NE(error_of(R"({"penalty_alpha": 0.6, "top_k": 4})").find("contrastive search"), std::string::npos);
  EXPECT_NE(error_of(R"({"dola_layers": "high"})").find("dola_layers \"high\" is not supported"), std::string::npos);
  EXPECT_NE(error_of(R"({"prompt_lookup_num_tokens": 10})").find("assisted decoding"), std::string::npos);
  EXPECT_NE(error_of(R"({"stop_strings": ["x"]})").find("lm-eval does not pass"), std::string::npos);
  EXPECT_NE(error_of(R"({"num_return_sequences": 2})").find("num_return_sequences 2"), std::string::npos);
  // Long values are cut so the message stays short.
  std::string long_list = R"({"suppress_tokens": [1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011]})";
  EXPECT_NE(error_of(long_list).find("suppress_tokens [1000,1001,1002,1003,1004,1005,1006,1007,1008,1009,1010,1..."
                                     " is not supported"),
            std::string::npos)
      << error_of(long_list);
}

TEST(GenerationConfig, BadEosIsAnError) {
  EXPECT_EQ(error_of(R"({"eos_token_id": "<|end|>"})"),
            "M/generation_config.json: eos_token_id must be an integer or a list of integers");
  EXPECT_EQ(error_of("[1, 2]"), "M/generation_config.json: must be a JSON object");
}

}  // namespace
}  // namespace halo::eval
