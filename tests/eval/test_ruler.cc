// ruler_qa_squad (docs/lm-eval-rules.md §6) on a hand-written SQuAD v2 file. The expected haystacks were worked out by
// hand from CPython's algorithm and the seed-0 / seed-42 streams pinned in test_py_random.cc:
//   seed 0 words u0..u7 = 3626764237 1654615998 3255389356 3823568514 1806341205 173879092 1112038970 4146640122
//   seed 42 words       = 2746317213 478163327 107420369 3184935163
// getrandbits(k) = u >> (32 - k); randbelow(n) draws bit_length(n) bits until the value is < n.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "eval/py_string.h"
#include "eval/ruler_haystack.h"
#include "eval/tasks.h"
#include "fakes.h"

namespace halo::eval {
namespace {

const std::filesystem::path kData = std::filesystem::path(HALO_TEST_DATA) / "eval";

// One token per line, so prompt lengths are simple to count by hand: a haystack of n documents has
// 3n + 7 lines (the template's 8 newlines, 1 per document, 2 between documents).
class LineCodec final : public Codec {
 public:
  std::vector<int32_t> encode(std::string_view text, bool) const override {
    return std::vector<int32_t>(size_t(std::count(text.begin(), text.end(), '\n')) + 1, 1);
  }
  std::string decode(std::span<const int32_t>, bool) const override { return {}; }
};

SquadData squad() { return load_squad(kData / "ruler_qa_squad" / "dev-v2.0.json"); }

std::string haystack(const std::vector<std::string>& docs, const std::string& question) {
  std::string context;
  for (size_t i = 0; i < docs.size(); ++i) {
    context += (i ? "\n\n" : "") + std::string("Document ") + std::to_string(i + 1) + ":\n" + docs[i];
  }
  const std::string instruction =
      "Answer the question based on the given documents. Only give me the answer and do not output any other words.";
  return instruction + "\n\nThe following are given documents.\n\n" + context + "\n\n" + instruction +
         "\n\nQuestion: " + question;
}

TEST(Squad, DocsSortedQuestionsAnswerableOnly) {
  SquadData data = squad();
  EXPECT_EQ(data.docs, (std::vector<std::string>{"Berlin is the capital of Germany.", "Ice melts at 0 degrees Celsius.",
                                                 "Madrid is the capital of Spain.", "Owls hunt at night.",
                                                 "Paris is the capital of France.", "Steam is water vapour.",
                                                 "Water boils at 100 degrees Celsius.", "Zebras have stripes."}));
  ASSERT_EQ(data.qas.size(), 4u);  // the impossible Italy question is skipped
  EXPECT_EQ(data.qas[0].query, "What is the capital of France?");
  EXPECT_EQ(data.qas[0].outputs, (std::vector<std::string>{"Paris", "Paris", "Paris"}));
  EXPECT_EQ(data.qas[0].context, 4u);
  EXPECT_EQ(data.qas[0].more_context, (std::vector<size_t>{0, 2}));  // article order, own paragraph left out
  EXPECT_EQ(data.qas[1].context, 0u);
  EXPECT_EQ(data.qas[1].more_context, (std::vector<size_t>{4, 2}));
  EXPECT_EQ(data.qas[2].context, 6u);
  EXPECT_EQ(data.qas[2].more_context, (std::vector<size_t>{1, 5}));
  EXPECT_EQ(data.qas[3].more_context, (std::vector<size_t>{3}));
}

TEST(Squad, StructuralErrorsNameThePath) {
  auto path = std::filesystem::temp_directory_path() / ("halo_eval_bad_squad_" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << R"({"data": [{"paragraphs": [{"context": "c", "qas": [{"is_impossible": false, "answers": []}]}]}]})";
  try {
    load_squad(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": data[0].paragraphs[0].qas[0]: missing field 'question'");
  }
  std::filesystem::remove(path);
  EXPECT_THROW(load_squad(kData / "missing.json"), Error);
}

TEST(Haystack, BuildSamplesFromTheArticleThenShufflesWithSeed42) {
  SquadData data = squad();
  LineCodec codec;
  PyRandom rng(0);
  HaystackBuilder builder(data, codec, rng, RulerSettings{});
  // num_docs 3: num_docs - 1 = 2 is not > len(more) = 2, so sample(more=[0, 2], 2) on the pool
  // branch: randbelow(2) draws 2 bits: u0>>30 = 3 (rejected), u1>>30 = 1 → more[1] = 2; randbelow(1)
  // draws 1 bit: u2>>31 = 1, u3>>31 = 1 (rejected), u4>>31 = 0 → more[0] = 0. chosen [4, 2, 0];
  // Random(42).shuffle: i=2 randbelow(3) = 2746317213>>30 = 2 (no swap), i=1 randbelow(2) =
  // 478163327>>30 = 0 (swap) → [2, 4, 0] = Madrid, Paris, Berlin.
  auto [input, outputs] = builder.build(0, 3);
  EXPECT_EQ(input, haystack({"Madrid is the capital of Spain.", "Paris is the capital of France.",
                             "Berlin is the capital of Germany."},
                            "What is the capital of France?"));
  EXPECT_EQ(outputs, data.qas[0].outputs);
  EXPECT_EQ(rng.next_u32(), 173879092u);  // exactly u0..u4 were used
  EXPECT_THROW(builder.build(4, 3), Error);
}

TEST(Haystack, NumDocsSearch) {
  // Budget 20 with 3 tokens to generate, step 2: 2 docs → 13 lines (16 <= 20, go on to 4),
  // 4 docs → 19 lines (22 > 20: back to 2). Draws: sample(more of 2, 1) = randbelow(2): u0 rejected,
  // u1; sample(extra of 5, 1) = randbelow(5) on 3 bits: u2>>29 = 6 and u3>>29 = 7 rejected, u4>>29 = 3.
  SquadData data = squad();
  LineCodec codec;
  PyRandom rng(0);
  HaystackBuilder builder(data, codec, rng, RulerSettings{20, 3, 2});
  EXPECT_EQ(builder.search_num_docs(), 2u);
  EXPECT_EQ(rng.next_u32(), 173879092u);  // u5
}

TEST(Haystack, SearchClampsToAllDocuments) {
  SquadData data = squad();
  LineCodec codec;
  PyRandom rng(0);
  HaystackBuilder builder(data, codec, rng, RulerSettings{4096, 32, 10});
  EXPECT_EQ(builder.search_num_docs(), 8u);  // 10 > 8 documents: all of them, no draws
  EXPECT_EQ(rng.next_u32(), 3626764237u);
}

TEST(Haystack, SamplesShrinkUntilTheyFit) {
  // Sample 0 with 8 docs: all documents (no draws), 31 + 3 > 26 → 6 docs: extra = [1, 3, 5, 6, 7],
  // sample(extra, 3): randbelow(5) u0 rejected, u1; randbelow(4) u2, u3 rejected, u4; randbelow(3) u5;
  // 25 + 3 > 26 → 4 docs: sample(extra, 1) = randbelow(5) = u6>>29 = 2 →
  // doc 5; chosen [4, 0, 2, 5], shuffled by Random(42) to [2, 0, 5, 4]; 19 + 3 = 22 fits.
  SquadData data = squad();
  LineCodec codec;
  PyRandom rng(0);
  HaystackBuilder builder(data, codec, rng, RulerSettings{26, 3, 2});
  auto samples = builder.samples(8, 1);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].length, 22u);
  EXPECT_EQ(samples[0].input, haystack({"Madrid is the capital of Spain.", "Berlin is the capital of Germany.",
                                        "Steam is water vapour.", "Paris is the capital of France."},
                                       "What is the capital of France?"));
  EXPECT_EQ(rng.next_u32(), 4146640122u);
}

// A SQuAD file wide enough that the num_docs search stops below "every paragraph": 3 articles of
// 10 one-line paragraphs, each with one answerable question.
std::filesystem::path write_wide_squad() {
  auto path = std::filesystem::temp_directory_path() / ("halo_eval_wide_squad_" + std::to_string(::getpid()) + ".json");
  nlohmann::json data = nlohmann::json::array();
  for (int a = 0; a < 3; ++a) {
    nlohmann::json paragraphs = nlohmann::json::array();
    for (int p = 0; p < 10; ++p) {
      std::string fact = "Fact " + std::to_string(a) + "-" + std::to_string(p) + ".";
      paragraphs.push_back({{"context", fact},
                            {"qas", {{{"question", "Which fact is " + std::to_string(a * 10 + p) + "?"},
                                      {"answers", {{{"text", fact}}}},
                                      {"is_impossible", false}}}}});
    }
    data.push_back({{"title", "A" + std::to_string(a)}, {"paragraphs", paragraphs}});
  }
  std::ofstream(path) << nlohmann::json{{"data", data}}.dump();
  return path;
}

TEST(Haystack, SeveralLengthsShareTheGlobalStreamInOrder) {
  auto file = write_wide_squad();
  SquadData data = load_squad(file);
  std::filesystem::remove(file);
  ASSERT_EQ(data.docs.size(), 30u);
  LineCodec codec;
  // lm-eval's get_qa_dataset: length 70 (its num_docs search, then its samples), then length 100,
  // every draw from the one global stream. A haystack of n documents is 3n + 7 tokens here, so the
  // search settles on 10 documents for 70 (37 + 32 = 69) and 20 for 100 (67 + 32 = 99).
  PyRandom rng(0);
  auto both = build_ruler_samples(data, codec, rng, {70, 100}, 2, std::nullopt);
  ASSERT_EQ(both.size(), 4u);
  EXPECT_EQ(both[0].max_length, 70u);
  EXPECT_EQ(both[1].index, 1u);
  EXPECT_EQ(both[2].max_length, 100u);
  EXPECT_EQ(both[2].index, 0u);  // numbered within its length
  EXPECT_EQ(both[0].length, 69u);
  EXPECT_EQ(both[3].length, 99u);
  EXPECT_NE(both[1].input.find("Document 10:\n"), std::string::npos);
  EXPECT_EQ(both[1].input.find("Document 11:\n"), std::string::npos);
  EXPECT_NE(both[3].input.find("Document 20:\n"), std::string::npos);

  // The same as the two lengths built one after the other on one stream...
  PyRandom sequential(0);
  std::vector<RulerSample> expected;
  for (size_t length : {70u, 100u}) {
    RulerSettings settings;
    settings.max_seq_length = length;
    HaystackBuilder builder(data, codec, sequential, settings);
    size_t num_docs = builder.search_num_docs();
    for (auto& sample : builder.samples(num_docs, 2)) expected.push_back(sample);
  }
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(both[i].input, expected[i].input) << i;
  // ...so length 100 after 70 draws other haystacks than length 100 alone.
  PyRandom fresh(0);
  auto alone = build_ruler_samples(data, codec, fresh, {100}, 2, std::nullopt);
  EXPECT_NE(alone[0].input, both[2].input);

  // --limit keeps the first documents of the concatenation: 3 = both of length 70 and the first of
  // 100 (unchanged: 70 was complete); 2 never reaches length 100.
  PyRandom three_rng(0);
  auto three = build_ruler_samples(data, codec, three_rng, {70, 100}, 2, 3);
  ASSERT_EQ(three.size(), 3u);
  EXPECT_EQ(three[2].input, both[2].input);
  PyRandom two_rng(0);
  auto two = build_ruler_samples(data, codec, two_rng, {70, 100}, 2, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].max_length, 70u);
}

TEST(RulerTask, FromSquadAtASecondLength) {
  // Every fixture paragraph fits 1024 byte tokens as well as 4096: the same prompts, now marked as
  // length-1024 documents (metric "1024"), each within the budget.
  testing::ByteCodec codec;
  auto at_4096 = ruler_qa_squad_task().load(LoadContext{kData, &codec, 2});
  auto at_1024 = ruler_qa_squad_task().load(LoadContext{kData, &codec, 2, {1024}});
  ASSERT_EQ(at_1024.docs.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const Doc& doc = at_1024.docs[i];
    EXPECT_EQ(doc.context, at_4096.docs[i].context);
    EXPECT_EQ(doc.max_length, 1024u);
    EXPECT_EQ(at_4096.docs[i].max_length, 4096u);
    // lm-eval's document: generate_samples' dict, in its key order.
    std::vector<std::string> keys;
    for (const auto& [key, value] : doc.record.items()) keys.push_back(key);
    EXPECT_EQ(keys, (std::vector<std::string>{"index", "input", "outputs", "length", "max_length", "gen_prefix"}));
    EXPECT_EQ(doc.record["index"], i);
    EXPECT_EQ(doc.record["max_length"], 1024);
    EXPECT_LE(doc.record["length"].get<size_t>(), 1024u);
    EXPECT_EQ(doc.record["length"].get<size_t>(), codec.encode(doc.record["input"].get<std::string>(), true).size() + 32);
    EXPECT_EQ(doc.context, doc.record["input"].get<std::string>() + " Answer:");
  }
  EXPECT_EQ(at_1024.docs[1].target, "['Berlin', 'berlin']");  // str(doc_to_target): the list's repr
  EXPECT_EQ(at_1024.total, 500u);
  // Two lengths, --limit 2: the first two documents of the concatenation, both of length 1024.
  auto two = ruler_qa_squad_task().load(LoadContext{kData, &codec, 2, {1024, 4096}});
  ASSERT_EQ(two.docs.size(), 2u);
  EXPECT_EQ(two.docs[1].max_length, 1024u);
  EXPECT_EQ(two.total, 1000u);
}

TEST(RulerTask, PromptsNameTheirLength) {
  auto loaded = ruler_qa_squad_task().load(LoadContext{kData / "prompts_lengths", nullptr, std::nullopt, {1024, 4096}});
  ASSERT_EQ(loaded.docs.size(), 4u);
  EXPECT_EQ(loaded.docs[1].max_length, 1024u);
  EXPECT_EQ(loaded.docs[2].max_length, 4096u);
  EXPECT_EQ(loaded.docs[2].record["input"], "Document 1:\nZebras have stripes.\n\nQuestion: What do zebras have?");
  EXPECT_EQ(loaded.total, 4u);
  // A length the run does not ask for, or none where several are asked for, is an error.
  const auto prompts = kData / "prompts_lengths" / "ruler_qa_squad" / "prompts.jsonl";
  try {
    ruler_qa_squad_task().load(LoadContext{kData / "prompts_lengths", nullptr, std::nullopt, {4096}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              prompts.string() + ":1: max_length 1024 is not among the sequence lengths asked for (4096)");
  }
  auto dir = std::filesystem::temp_directory_path() / ("halo_eval_prompts_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "ruler_qa_squad");
  std::ofstream(dir / "ruler_qa_squad" / "prompts.jsonl") << R"({"input": "Question: Why?", "outputs": ["because"]})" << "\n";
  EXPECT_EQ(ruler_qa_squad_task().load(LoadContext{dir, nullptr, std::nullopt, {1024}}).docs.at(0).max_length, 1024u);
  try {
    ruler_qa_squad_task().load(LoadContext{dir, nullptr, std::nullopt, {1024, 4096}});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), (dir / "ruler_qa_squad" / "prompts.jsonl").string() +
                                         ":1: missing field 'max_length' (with several sequence lengths each prompt "
                                         "must name its own)");
  }
  std::filesystem::remove_all(dir);
}

TEST(RulerTask, FromSquadWithLimit) {
  testing::ByteCodec codec;
  auto loaded = ruler_qa_squad_task().load(LoadContext{kData, &codec, 2});
  ASSERT_EQ(loaded.docs.size(), 2u);
  const std::string& first = loaded.docs[0].context;
  EXPECT_NE(first.find("Document 8:\n"), std::string::npos);
  EXPECT_TRUE(first.ends_with("\n\nQuestion: What is the capital of France? Answer:"));
  EXPECT_EQ(loaded.docs[1].answers, (std::vector<std::string>{"Berlin", "berlin"}));
  EXPECT_EQ(loaded.files, (std::vector<std::filesystem::path>{kData / "ruler_qa_squad" / "dev-v2.0.json"}));
}

TEST(RulerTask, FromPrebuiltPrompts) {
  auto loaded = ruler_qa_squad_task().load(LoadContext{kData / "prompts", nullptr, std::nullopt});
  ASSERT_EQ(loaded.docs.size(), 2u);
  EXPECT_EQ(loaded.docs[0].context,
            "Document 1:\nParis is the capital of France.\n\nQuestion: What is the capital of France? Answer:");
  EXPECT_EQ(loaded.docs[0].answers, (std::vector<std::string>{"Paris", "paris"}));
  EXPECT_EQ(loaded.docs[1].context, "Question: Name two colours? Answer:");  // lm-eval --log_samples layout
}

TEST(RulerScore, PartialCreditAndPostprocessing) {
  EXPECT_DOUBLE_EQ(string_match_part("10th century", {"the 10th century", "10th century", "in the 10th century"}),
                   1.0 / 3.0);
  EXPECT_EQ(string_match_part("France.", {"France", "France", "France", "France"}), 1.0);
  EXPECT_EQ(string_match_part("Berlin", {"Berlin", "berlin"}), 1.0);  // lowercased both sides
  EXPECT_EQ(string_match_part("ROME", {"Paris", "rome"}), 0.5);
  EXPECT_EQ(ruler_postprocess(" \tParis\x01x\x1f \n"), "Paris\nx");
  auto task = ruler_qa_squad_task();
  Doc doc;
  doc.answers = {"Paris"};
  doc.max_length = 4096;
  EXPECT_EQ(task.score_generation(doc, "  paris\n"), (std::vector<MetricValue>{{"4096", 1.0, false}}));
  // process_results_part: "4096" (the default length) is always reported, -1 for another length.
  doc.max_length = 1024;
  EXPECT_EQ(task.score_generation(doc, "paris"), (std::vector<MetricValue>{{"4096", -1.0, false}, {"1024", 1.0, false}}));
  doc.max_length = 8192;
  EXPECT_EQ(task.score_generation(doc, "Rome"), (std::vector<MetricValue>{{"4096", -1.0, false}, {"8192", 0.0, false}}));
  EXPECT_EQ(task.metrics[0].name, "4096");  // niah_single_1.yaml's metric_list: 4096 ... 131072
  EXPECT_EQ(task.metrics.size(), 6u);
  EXPECT_EQ(task.metrics[5].name, "131072");
  EXPECT_EQ(task.metrics[5].aggregation, Aggregation::ruler_length);
  EXPECT_EQ(task.generation.max_gen_toks, 32);
  EXPECT_TRUE(task.generation.until.empty());
}

}  // namespace
}  // namespace halo::eval
