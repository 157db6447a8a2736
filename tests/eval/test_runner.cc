// Every task end to end on the fixtures with a fake model (-1 per token, so a choice's
// log-likelihood is minus its byte count) and scripted generations; expected values by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "eval/registry.h"
#include "eval/results_io.h"
#include "eval/runner.h"
#include "fakes.h"
#include "table_rows.h"

namespace halo::eval {
namespace {

const std::filesystem::path kData = std::filesystem::path(HALO_TEST_DATA) / "eval";

std::string reply(const std::string& prompt) {
  if (prompt.ends_with("applicant:")) return " MEDTRONIC, INC. (Minneapolis)\nnext line";
  if (prompt.ends_with("device:")) return " Stent\n";                       // gold "Stent " (unstripped): 0
  if (prompt.ends_with("director:")) return " Jane Doe<|im_end|> trailing";  // EOS id ends it
  if (prompt.ends_with("France? Answer:")) return " Paris.\nParis is the capital of France, as everyone knows.";
  if (prompt.ends_with("boil? Answer:")) return " 100 degrees";  // one of two answers: 1/2
  if (prompt.ends_with("have? Answer:")) return "Stripes!";
  return " I do not know.";
}

RunOptions options(std::optional<size_t> limit = std::nullopt) {
  RunOptions o;
  o.data_dir = kData;
  o.limit = limit;
  o.eos_string = "<|im_end|>";
  o.stop_token_ids = {testing::ByteCodec::kImEnd};
  o.progress = false;
  o.score_batch = 2;  // several batches per task
  o.generate_batch = 1;
  return o;
}

EvalResults run(std::string_view tasks, runtime::LanguageModel& model, const Codec& codec, RunOptions opts) {
  return run_eval(resolve_tasks(tasks), model, codec, opts);
}

const MetricResult& metric(const EvalResults& r, const std::string& task, const std::string& name) {
  for (const auto& t : r.tasks) {
    for (const auto& m : t.metrics) {
      if (t.name == task && m.name == name) return m;
    }
  }
  throw std::runtime_error("no " + task + " " + name);
}

TEST(Runner, AllTasksWithAFakeModel) {
  testing::ByteCodec codec;
  testing::FakeModel model(codec, reply);
  std::ostringstream samples;
  RunOptions opts = options(4);  // --limit 4 cuts only ruler_qa_squad (500 → the fixture's 4 questions)
  opts.samples = &samples;
  EvalResults r = run("commonsense,retrieval", model, codec, opts);

  ASSERT_EQ(r.tasks.size(), 6u);
  EXPECT_EQ(r.tasks[0].name, "arc_challenge");  // alphabetical
  EXPECT_EQ(r.tasks[5].name, "swde");
  // hellaswag: acc per doc [0, 0, 1] (shortest continuation wins; doc 2 ties broken low), acc_norm
  // [0, 1, 0] (doc 3: " starts pulling up roofing." and " is holding a rubik's cube." tie at -27/26).
  EXPECT_DOUBLE_EQ(metric(r, "hellaswag", "acc").value, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(metric(r, "hellaswag", "acc_norm").value, 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(*metric(r, "hellaswag", "acc_norm").stderr_value, 1.0 / 3.0);
  EXPECT_EQ(metric(r, "arc_easy", "acc").value, 0.0);
  EXPECT_EQ(metric(r, "arc_easy", "acc_norm").value, 1.0);
  EXPECT_EQ(*metric(r, "arc_easy", "acc_norm").stderr_value, 0.0);
  EXPECT_EQ(metric(r, "arc_challenge", "acc_norm").value, 1.0);
  EXPECT_FALSE(metric(r, "arc_challenge", "acc_norm").stderr_value);  // one document
  EXPECT_EQ(metric(r, "fda", "contains").value, 0.5);
  EXPECT_EQ(metric(r, "swde", "contains").value, 1.0);
  EXPECT_EQ(metric(r, "ruler_qa_squad", "4096").value, 0.625);  // (1 + 0 + 1/2 + 1) / 4
  EXPECT_FALSE(metric(r, "ruler_qa_squad", "4096").stderr_value);
  EXPECT_EQ(r.model_description, "fake model");

  // The first hellaswag request: context bytes, continuation " " + cleaned ending.
  const auto& first = model.scored[3];  // arc_challenge (1 doc) and arc_easy (2 docs) come first
  std::string ctx = "Making tea: How to brew tea. Boil water. Then pour it";
  EXPECT_EQ(first.context, std::vector<int32_t>(ctx.begin(), ctx.end()));
  EXPECT_EQ(first.continuations[0].size(), std::string("  Into a cup.").size());

  // One JSON line per document, with the request strings and the prediction.
  std::vector<nlohmann::json> lines;
  std::istringstream in(samples.str());
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 13u);
  EXPECT_EQ(lines[0]["task"], "arc_challenge");
  EXPECT_EQ(lines[0]["continuations"][1], " roasting");
  EXPECT_EQ(lines[0]["prediction_norm"], 1);
  EXPECT_EQ(lines[3]["task"], "fda");
  EXPECT_EQ(lines[3]["output"], " MEDTRONIC, INC. (Minneapolis)");  // cut at "\n"
  EXPECT_EQ(lines[5]["loglikelihoods"][3], -6.0);                   // hellaswag doc 0, " Drink"
  auto& swde = lines.back();
  EXPECT_EQ(swde["output"], " Jane Doe");
  EXPECT_EQ(swde["generated_tokens"], 10);  // " Jane Doe" + the EOS id

  // The printed table reads back through layer_analysis.py's regex.
  auto parsed = testing::rows_by_task(results_report(r, "pretrained=fake", "16"));
  ASSERT_EQ(parsed.size(), 6u);
  EXPECT_EQ(parsed["hellaswag"], (std::vector<std::pair<std::uint64_t, double>>{{0, 0.3333}, {0, 0.3333}}));
  EXPECT_EQ(parsed["ruler_qa_squad"], (std::vector<std::pair<std::uint64_t, double>>{{4096, 0.625}}));
}

TEST(Runner, RulerStopsOnlyAtEosAndTheTokenBudget) {
  testing::ByteCodec codec;
  testing::FakeModel model(codec, reply);
  std::ostringstream samples;
  RunOptions opts = options(1);
  opts.samples = &samples;
  run("ruler_qa_squad", model, codec, opts);
  auto line = nlohmann::json::parse(samples.str());
  EXPECT_EQ(line["generated_tokens"], 32);
  EXPECT_EQ(line["output"], " Paris.\nParis is the capital of ");  // newline kept: no "\n" stop
}

TEST(Runner, RulerAtTwoLengthsReportsEachLength) {
  // lm-eval's dump of a --metadata '{"max_seq_lengths":[1024,4096]}' run: two documents of each
  // length. Scores: France 1, boil 1/2 (one of two answers), zebras 1, colours 0.
  testing::ByteCodec codec;
  testing::FakeModel model(codec, reply);
  RunOptions opts = options();
  opts.data_dir = kData / "prompts_lengths";
  opts.max_seq_lengths = {1024, 4096};
  EvalResults r = run("ruler_qa_squad", model, codec, opts);
  ASSERT_EQ(r.tasks.size(), 1u);
  const TaskResult& ruler = r.tasks[0];
  EXPECT_EQ(ruler.docs[0].metrics, (std::vector<MetricValue>{{"4096", -1.0, false}, {"1024", 1.0, false}}));
  EXPECT_EQ(ruler.docs[3].metrics, (std::vector<MetricValue>{{"4096", 0.0, false}}));
  ASSERT_EQ(ruler.metrics.size(), 2u);
  const MetricResult& m1024 = metric(r, "ruler_qa_squad", "1024");
  EXPECT_EQ(m1024.value, 0.75);
  ASSERT_TRUE(m1024.stderr_value);  // lm-eval's mean fallback: sample std sqrt(1/8) / sqrt(2)
  EXPECT_DOUBLE_EQ(*m1024.stderr_value, 0.25);
  EXPECT_FALSE(m1024.direction_known);
  const MetricResult& m4096 = metric(r, "ruler_qa_squad", "4096");
  EXPECT_EQ(m4096.value, 0.5);  // (1 + 0) / 2, the -1 of the 1024 documents dropped
  EXPECT_FALSE(m4096.stderr_value);
  EXPECT_EQ(ruler.metrics[0].name, "1024");  // table order

  // The lengths enter the input hash only when they are not lm-eval's default, and only for ruler.
  auto hash = [&](const std::string& tasks, std::vector<size_t> lengths) {
    RunOptions o = options(2);
    o.max_seq_lengths = std::move(lengths);
    return prepare_eval(resolve_tasks(tasks), codec, o).input_hash;
  };
  EXPECT_EQ(hash("ruler_qa_squad", {4096}), prepare_eval(resolve_tasks("ruler_qa_squad"), codec, options(2)).input_hash);
  // With --limit 2 both runs hold the same two 4096 documents, yet the runs differ.
  EXPECT_NE(hash("ruler_qa_squad", {4096, 8192}), hash("ruler_qa_squad", {4096}));
  EXPECT_EQ(hash("arc_easy", {1024}), hash("arc_easy", {4096}));
}

TEST(Runner, GenerationConfigMaxNewTokensReplacesEveryTasksBudget) {
  // HF lets generation_config.json's max_new_tokens win over lm-eval's max_length: ruler (32) and
  // fda (48) both get 50, and the scripted 58-token ruler reply runs past 32.
  testing::ByteCodec codec;
  testing::FakeModel model(codec, reply);
  RunOptions opts = options(1);
  opts.max_new_tokens = 50;
  PreparedEval prepared = prepare_eval(resolve_tasks("fda,ruler_qa_squad"), codec, opts);
  ASSERT_EQ(prepared.tasks.size(), 2u);
  EXPECT_EQ(prepared.tasks[0].max_new_tokens, 50);  // fda
  EXPECT_EQ(prepared.tasks[1].max_new_tokens, 50);  // ruler_qa_squad
  std::ostringstream samples;
  opts.samples = &samples;
  run_prepared(prepared, model, opts);
  std::istringstream in(samples.str());
  std::string fda, ruler;
  std::getline(in, fda);
  std::getline(in, ruler);
  EXPECT_EQ(nlohmann::json::parse(ruler)["generated_tokens"], 50);
  EXPECT_EQ(nlohmann::json::parse(ruler)["output"], " Paris.\nParis is the capital of France, as everyon");
  EXPECT_EQ(nlohmann::json::parse(fda)["output"], " MEDTRONIC, INC. (Minneapolis)");  // "\n" still stops it

  // Without the override every task keeps its own max_gen_toks; the budget is part of the input hash.
  PreparedEval plain = prepare_eval(resolve_tasks("fda,ruler_qa_squad"), codec, options(1));
  EXPECT_EQ(plain.tasks[0].max_new_tokens, 48);
  EXPECT_EQ(plain.tasks[1].max_new_tokens, 32);
  EXPECT_NE(plain.input_hash, prepared.input_hash);
  RunOptions same = options(1);
  same.max_new_tokens = 48;  // fda's own budget, ruler's changes
  EXPECT_NE(prepare_eval(resolve_tasks("fda,ruler_qa_squad"), codec, same).input_hash, plain.input_hash);
  EXPECT_EQ(prepare_eval(resolve_tasks("fda"), codec, same).input_hash,
            prepare_eval(resolve_tasks("fda"), codec, options(1)).input_hash);  // same budget, same hash
}

TEST(Runner, GenerationBatchesAreAsLargeAsTheLimitsAllow) {
  // The fixture's 4 ruler prompts are 628-644 byte tokens, 660-676 with their budget of 32: by
  // tokens 2 fit in 1400 and all 4 in 65536.
  testing::ByteCodec codec;
  struct Case {
    size_t max_prompts;
    int64_t max_tokens;
    std::vector<size_t> call_sizes;
  };
  for (const Case& c : {Case{64, 65536, {4}}, Case{3, 65536, {3, 1}}, Case{64, 1400, {2, 2}},
                        Case{64, 100, {1, 1, 1, 1}}}) {  // a prompt over the token limit runs alone
    testing::FakeModel model(codec, reply);
    RunOptions opts = options(4);
    opts.generate_batch = c.max_prompts;
    opts.generate_batch_tokens = c.max_tokens;
    run("ruler_qa_squad", model, codec, opts);
    std::vector<size_t> sizes;
    for (const auto& call : model.generate_calls) {
      sizes.push_back(call.size());
      int64_t tokens = 0;
      for (size_t n : call) tokens += int64_t(n) + 32;
      EXPECT_TRUE(tokens <= c.max_tokens || call.size() == 1) << tokens;
    }
    EXPECT_EQ(sizes, c.call_sizes) << c.max_prompts << " prompts, " << c.max_tokens << " tokens";
  }
}

TEST(Runner, InputHashFollowsDataAndRequests) {
  testing::ByteCodec codec;
  testing::FakeModel model(codec, reply);
  RunOptions opts = options();
  uint64_t a = run("arc_easy,fda", model, codec, opts).input_hash;
  EXPECT_EQ(run("arc_easy,fda", model, codec, opts).input_hash, a);
  opts.precision = Precision::fp32;  // scoring, not input
  EXPECT_EQ(run("arc_easy,fda", model, codec, opts).input_hash, a);
  EXPECT_NE(run("arc_easy,fda", model, codec, options(1)).input_hash, a);
  testing::ByteCodec merging({"ea"});  // other token ids, same files
  testing::FakeModel merging_model(merging, reply);
  EXPECT_NE(run("arc_easy,fda", merging_model, merging, opts).input_hash, a);
}

// With the model's maximum length set, no request reaches a position at or past it: contexts are cut
// as lm-eval cuts them and generation budgets end at the length.
TEST(Runner, NothingRunsPastTheModelsMaximumLength) {
  testing::ByteCodec codec;
  std::ostringstream samples;
  // Multiple choice: "Question: How many legs does a spider have?\nAnswer:" is 51 byte tokens.
  testing::FakeModel scorer(codec, reply);
  RunOptions opts = options();
  opts.max_length = 40;
  opts.samples = &samples;
  run("arc_easy", scorer, codec, opts);
  ASSERT_FALSE(scorer.scored.empty());
  size_t cut = 0;
  for (const auto& request : scorer.scored) {
    for (const auto& c : request.continuations) {
      EXPECT_LE(request.context.size() + c.size(), 41u);
      cut += request.context.size() + c.size() == 41;
    }
  }
  EXPECT_GT(cut, 0u);
  EXPECT_NE(samples.str().find("\"context_tokens_kept\""), std::string::npos);

  // Generation: prompts keep their last max_length - max_gen_toks tokens (ruler: 80 - 32, fda:
  // 80 - 48), and a larger generation_config budget stops at the length.
  testing::FakeModel generator(codec, [](const std::string&) { return std::string(100, 'x'); });
  samples.str("");
  opts = options(4);  // ruler: the fixture's 4 questions
  opts.samples = &samples;
  opts.max_length = 80;
  opts.max_new_tokens = 60;
  run("fda,ruler_qa_squad", generator, codec, opts);
  std::istringstream lines(samples.str());
  size_t checked = 0;
  for (std::string line; std::getline(lines, line); ++checked) {
    auto j = nlohmann::json::parse(line);
    const size_t prompt = j["prompt_tokens"], generated = j["generated_tokens"];
    EXPECT_EQ(prompt, j["task"] == "fda" ? 32u : 48u) << line;  // every fixture prompt is longer
    EXPECT_EQ(prompt + generated, 80u) << line;                   // 48 resp. 32 of the budget of 60
  }
  EXPECT_EQ(checked, 2u + 4u);

  // Cutting changes the requests, and so the input hash; without a cut nothing changes.
  RunOptions roomy = options();
  roomy.max_length = 100000;
  EXPECT_EQ(prepare_eval(resolve_tasks("arc_easy,fda"), codec, roomy).input_hash,
            prepare_eval(resolve_tasks("arc_easy,fda"), codec, options()).input_hash);
  RunOptions tight = options();
  tight.max_length = 50;
  EXPECT_NE(prepare_eval(resolve_tasks("arc_easy"), codec, tight).input_hash,
            prepare_eval(resolve_tasks("arc_easy"), codec, options()).input_hash);
  // lm-eval asserts max_length > max_gen_toks.
  tight.max_length = 40;
  try {
    prepare_eval(resolve_tasks("fda"), codec, tight);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "fda: max_gen_toks 48 leaves no room for a prompt within the model's maximum length 40 "
                           "(max_position_embeddings)");
  }
}

TEST(Runner, EveryMissingDataFileIsNamedAtOnce) {
  testing::ByteCodec codec;
  RunOptions opts = options();
  opts.data_dir = kData / "nowhere";
  try {
    prepare_eval(resolve_tasks("arc_easy,ruler_qa_squad"), codec, opts);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              opts.data_dir.string() +
                  ": 2 dataset files are missing: arc_easy/test.jsonl, ruler_qa_squad/prompts.jsonl "
                  "or ruler_qa_squad/dev-v2.0.json (see docs/data.md for how to export them)");
  }
  try {
    prepare_eval(resolve_tasks("fda"), codec, opts);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), (opts.data_dir / "fda/validation.jsonl").string() +
                                         ": missing dataset file (see docs/data.md for how to export it)");
  }
}

TEST(Runner, PreparedOnceRunsOnEveryVariant) {
  // The sweep's use: documents and requests are built once, then run on each model variant.
  testing::ByteCodec codec;
  auto tasks = resolve_tasks("arc_easy");
  PreparedEval prepared = prepare_eval(tasks, codec, options());
  testing::FakeModel shortest(codec, reply);  // -1 per token: acc 0, acc_norm 1 (see above)
  testing::FakeModel longest(codec, reply);
  longest.logprob = [](const runtime::ScoreRequest&, size_t, size_t) { return 1.0f; };  // favours long choices
  EvalResults a = run_prepared(prepared, shortest, options());
  EvalResults b = run_prepared(prepared, longest, options());
  EXPECT_EQ(metric(a, "arc_easy", "acc").value, 0.0);
  EXPECT_EQ(metric(b, "arc_easy", "acc").value, 1.0);  // " steam", " eight" are the longest
  EXPECT_EQ(a.input_hash, b.input_hash);               // same inputs, same description
  EXPECT_EQ(shortest.scored.size(), 2u);
}

// HF's generate() on a bf16 model picks from bf16 logits: --precision bf16 asks the model for that
// rounding, fp32 for none.
TEST(Runner, GreedyDecodingUsesTheChosenPrecision) {
  testing::ByteCodec codec;
  for (auto [precision, rounding] : {std::pair{Precision::bf16, backend::LogitRounding::bf16},
                                     std::pair{Precision::fp32, backend::LogitRounding::none}}) {
    testing::FakeModel model(codec, reply);
    RunOptions opts = options(4);  // ruler: the fixture's 4 questions
    opts.precision = precision;
    run("fda,ruler_qa_squad", model, codec, opts);
    ASSERT_EQ(model.roundings.size(), 6u);  // 2 fda documents, 4 ruler prompts
    for (auto r : model.roundings) EXPECT_EQ(r, rounding);
  }
}

// NaN log-probs (non-finite weights) would let choice 0 win every document; the run stops instead,
// naming the model variant, the task and the first document affected.
TEST(Runner, NonFiniteScoresStopTheRunNamingTheDocument) {
  testing::ByteCodec codec;
  testing::FakeModel model(codec, reply);
  model.logprob = [&model](const runtime::ScoreRequest&, size_t, size_t) {
    return model.scored.size() == 2 ? NAN : -1.0f;  // the second document's request
  };
  try {
    run("arc_easy", model, codec, options());
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fake model: arc_easy doc_id 1: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--check-weights"), std::string::npos) << e.what();
  }
}

TEST(Runner, NonFiniteLogitsInGenerationStopTheRunNamingTheDocument) {
  testing::ByteCodec codec;
  testing::FakeModel model(codec, reply);
  model.non_finite = [](const std::string& prompt) { return prompt.ends_with("device:"); };  // fda doc 1
  RunOptions opts = options();
  opts.generate_batch = 4;  // both fda documents in one call: request 1 of the batch
  try {
    run("fda", model, codec, opts);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fake model: fda doc_id 1: "), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace halo::eval
