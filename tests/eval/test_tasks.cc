// Per-task documents from hand-written fixture rows in the HF schema (tests/data/eval), checked by
// hand against docs/lm-eval-rules.md §1–§4, and the one-line errors for bad rows.
#include <gtest/gtest.h>

#include <unistd.h>

#include <new>
#include <string>

#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/jsonl.h"
#include "eval/registry.h"
#include "eval/tasks.h"

namespace halo::eval {
namespace {

const std::filesystem::path kData = std::filesystem::path(HALO_TEST_DATA) / "eval";

std::vector<Doc> load(const Task& task, std::optional<size_t> limit = std::nullopt) {
  return task.load(LoadContext{kData, nullptr, limit}).docs;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Hellaswag, CleanFollowsSpecSteps) {
  // Spec §1 example: " [title]" → ". ", [header] removed, double spaces collapsed once.
  EXPECT_EQ(hellaswag_clean("Making tea: [header] How to brew tea [title] Boil water. Then pour it"),
            "Making tea: How to brew tea. Boil water. Then pour it");
  EXPECT_EQ(hellaswag_clean("[step] Into a cup."), " Into a cup.");  // leading space survives
  EXPECT_EQ(hellaswag_clean("  a   b  "), "a  b");                   // strip first, then one pass
  EXPECT_EQ(hellaswag_clean("x [a\nb] y"), "x [a\nb] y");           // '.' does not cross newlines
  EXPECT_EQ(hellaswag_clean("[a] [b]c]"), " c]");                   // shortest spans, left to right
}

TEST(Hellaswag, FixtureDocs) {
  auto docs = load(hellaswag_task());
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0].context, "Making tea: How to brew tea. Boil water. Then pour it");
  EXPECT_EQ(docs[0].choices, (std::vector<std::string>{" Into a cup.", "Into the sink.", "over the  table. now", "Drink"}));
  EXPECT_EQ(docs[0].gold, 0);
  // capitalize() is Unicode-aware and lowercases the rest of ctx_b.
  EXPECT_EQ(docs[1].context, "Cooking: A chef stands. École style knife work");
  EXPECT_EQ(docs[1].gold, 3);
  // An empty ctx_b leaves ctx_a + " ", which clean() strips.
  EXPECT_EQ(docs[2].context, "Roof shingle removal: A man is sitting on a roof.");
  EXPECT_EQ(docs[2].choices[2], "is holding a rubik's cube.");
  EXPECT_EQ(load(hellaswag_task(), 1).size(), 1u);
}

TEST(Arc, FixtureDocs) {
  auto easy = load(arc_easy_task());
  ASSERT_EQ(easy.size(), 2u);
  EXPECT_EQ(easy[0].context, "Question: Which is a gas?\nAnswer:");
  EXPECT_EQ(easy[0].choices, (std::vector<std::string>{"ice", "steam", "rock", "wood"}));
  EXPECT_EQ(easy[0].gold, 1);
  EXPECT_EQ(easy[1].gold, 1);  // numeric labels "1".."3", answerKey "2"
  auto challenge = load(arc_challenge_task());
  ASSERT_EQ(challenge.size(), 1u);
  EXPECT_EQ(challenge[0].context, "Question: What makes a café's espresso bitter?\nAnswer:");
  EXPECT_EQ(challenge[0].choices.size(), 5u);
  EXPECT_EQ(challenge[0].gold, 1);
}

TEST(Based, FixtureDocsKeepWhitespace) {
  auto fda = load(fda_task());
  ASSERT_EQ(fda.size(), 2u);
  EXPECT_EQ(fda[0].context, "510(k) SUMMARY applicant Medtronic, Inc. Minneapolis \n applicant:");
  EXPECT_EQ(fda[1].context, " device name: Coronary Stent X \n device:");
  EXPECT_EQ(fda[1].answers, (std::vector<std::string>{"Stent "}));
  auto swde = load(swde_task());
  ASSERT_EQ(swde.size(), 1u);
  EXPECT_EQ(swde[0].answers[0], "Jane Doe");
  const Task& task = fda_task();
  EXPECT_EQ(task.generation.until, (std::vector<std::string>{"\n"}));
  EXPECT_EQ(task.generation.max_gen_toks, 48);
}

TEST(Based, ContainsIsCaseInsensitiveAndUnstripped) {
  Doc doc;
  doc.answers = {"Medtronic, Inc."};
  EXPECT_EQ(contains_score(doc, " MEDTRONIC, INC. (Minneapolis)"), 1.0);
  EXPECT_EQ(contains_score(doc, " Medtronic Inc."), 0.0);
  doc.answers = {"Stent "};
  EXPECT_EQ(contains_score(doc, " Stent"), 0.0);
  doc.answers = {""};
  EXPECT_EQ(contains_score(doc, "x"), 1.0);
}

std::string bad(const std::string& name) { return (kData / "bad" / name).string(); }

TEST(BadRows, OneLineErrorsWithFileAndLine) {
  auto read_with = [](const std::string& file, Doc (*fn)(const JsonRow&)) {
    read_jsonl(file, std::nullopt, [&](const JsonRow& row) { fn(row); });
  };
  std::string f = bad("hellaswag_bad_label.jsonl");
  EXPECT_EQ(error_of([&] { read_with(f, hellaswag_doc); }), f + ":3: bad label 5: there are 2 endings");
  f = bad("arc_wrong_type.jsonl");
  EXPECT_EQ(error_of([&] { read_with(f, arc_doc); }), f + ":2: field 'choices.text[1]' must be a string, got number");
  f = bad("arc_bad_answer.jsonl");
  EXPECT_EQ(error_of([&] { read_with(f, arc_doc); }), f + ":1: bad answerKey \"C\": not among choices.label");
  f = bad("based_missing_field.jsonl");
  EXPECT_EQ(error_of([&] { read_with(f, based_doc); }), f + ":2: missing field 'value'");
  f = bad("based_bad_json.jsonl");
  EXPECT_EQ(error_of([&] { read_with(f, based_doc); }).rfind(f + ":2: invalid JSON: ", 0), 0u);
  std::string missing = (kData / "nowhere" / "hellaswag" / "validation.jsonl").string();
  EXPECT_EQ(error_of([&] { hellaswag_task().load(LoadContext{kData / "nowhere", nullptr, std::nullopt}); }),
            missing + ": cannot open dataset file (see docs/data.md for how to export it)");
}

TEST(BadRows, ARowWithoutChoicesSaysSo) {
  const auto file = std::filesystem::temp_directory_path() / ("halo_test_no_choices_" + std::to_string(::getpid()));
  write_file_atomic(file, R"({"id": "E9", "question": "Q?", "choices": {"text": [], "label": []}, "answerKey": "A"})");
  EXPECT_EQ(error_of([&] { read_jsonl(file, std::nullopt, [](const JsonRow& row) { arc_doc(row); }); }),
            file.string() + ":1: the row has no choices (choices.text and choices.label are empty)");
  std::filesystem::remove(file);
}

// Oversized lines and running out of memory name the file and the line, not "std::bad_alloc".
TEST(BadRows, SizeAndMemoryProblemsNameFileAndLine) {
  const auto file = std::filesystem::temp_directory_path() / ("halo_test_big_rows_" + std::to_string(::getpid()));
  write_file_atomic(file, "{\"text\": \"short\"}\n{\"text\": \"" + std::string(300, 'x') + "\"}\n");
  size_t rows = 0;
  EXPECT_EQ(error_of([&] { read_jsonl(file, std::nullopt, [&](const JsonRow&) { ++rows; }, 100); }),
            file.string() + ":2: line longer than 100 bytes; no dataset row is that large");
  EXPECT_EQ(rows, 1u);
  read_jsonl(file, std::nullopt, [](const JsonRow&) {}, 400);
  EXPECT_EQ(error_of([&] { read_jsonl(file, std::nullopt, [](const JsonRow& row) {
              if (row.string("text").size() > 100) throw std::bad_alloc();
            }); }),
            file.string() + ":2: out of memory while reading this line (312 bytes)");
  std::filesystem::remove(file);
  std::filesystem::create_directories(file);
  EXPECT_EQ(error_of([&] { read_jsonl(file, std::nullopt, [](const JsonRow&) {}); }),
            file.string() + ": is a directory, not a dataset file");
  std::filesystem::remove_all(file);
}

TEST(Registry, GroupsNamesAndErrors) {
  auto names = [](const std::vector<const Task*>& tasks) {
    std::vector<std::string> out;
    for (const Task* t : tasks) out.push_back(t->name);
    return out;
  };
  EXPECT_EQ(names(resolve_tasks("commonsense")), (std::vector<std::string>{"hellaswag", "arc_easy", "arc_challenge"}));
  EXPECT_EQ(names(resolve_tasks("retrieval")), (std::vector<std::string>{"ruler_qa_squad", "fda", "swde"}));
  EXPECT_EQ(names(resolve_tasks("swde,hellaswag,swde")), (std::vector<std::string>{"swde", "hellaswag"}));
  EXPECT_THROW(resolve_tasks("piqa"), Error);
  EXPECT_THROW(resolve_tasks("hellaswag,"), Error);
  ASSERT_EQ(all_tasks().size(), 6u);
  EXPECT_EQ(all_tasks().front().name, "arc_challenge");
}

}  // namespace
}  // namespace halo::eval
