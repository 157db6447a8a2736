// outcomes.jsonl: what the writer appends the reader gives back exactly (doubles included, so a
// resumed sweep aggregates to the same numbers), and a kill's damage is recognised and dropped.
#include <gtest/gtest.h>

#include <fstream>

#include "base/atomic_file.h"
#include "eval/outcome_journal.h"
#include "tiny_checkpoint.h"

namespace halo::eval {
namespace {

JournalBatch choice_batch() {
  JournalBatch b{"commonsense", "hellaswag", 3, 6, 8, {}};
  DocOutcome a;
  a.metrics = {{"acc", 1}, {"acc_norm", 0}};
  a.loglikelihoods = {-1.25, -0.1 / 3.0, -1e-300, -12345.678901234567};
  a.is_greedy = {false, true, false, false};
  DocOutcome c;
  c.metrics = {{"acc", 0}, {"acc_norm", 1}};
  c.loglikelihoods = {-2, -3};
  c.is_greedy = {true, true};
  b.docs = {a, c};
  return b;
}

JournalBatch generation_batch() {
  JournalBatch b{"retrieval", "ruler_qa_squad", 0, 0, 1, {}};
  DocOutcome g;
  g.metrics = {{"4096", -1, true}, {"1024", 2.0 / 3.0}};  // a Python int stays one
  g.output = " Paris\t\"quoted\"\n\xc3\xa9";
  g.generated_tokens = 7;
  b.docs = {g};
  return b;
}

void expect_equal(const JournalBatch& a, const JournalBatch& b) {
  EXPECT_EQ(a.suite, b.suite);
  EXPECT_EQ(a.task, b.task);
  EXPECT_EQ(a.batch, b.batch);
  EXPECT_EQ(a.begin, b.begin);
  EXPECT_EQ(a.end, b.end);
  ASSERT_EQ(a.docs.size(), b.docs.size());
  for (size_t d = 0; d < a.docs.size(); ++d) {
    EXPECT_EQ(a.docs[d].metrics, b.docs[d].metrics);
    EXPECT_EQ(a.docs[d].loglikelihoods, b.docs[d].loglikelihoods);  // bit for bit
    EXPECT_EQ(a.docs[d].is_greedy, b.docs[d].is_greedy);
    EXPECT_EQ(a.docs[d].output, b.docs[d].output);
    EXPECT_EQ(a.docs[d].generated_tokens, b.docs[d].generated_tokens);
  }
}

TEST(OutcomeJournal, RoundTripAndResume) {
  auto dir = testing::fresh_temp_dir("journal");
  const auto path = dir / kOutcomesFile;
  EXPECT_EQ(read_journal(path).valid_bytes, 0u);  // no file yet
  {
    JournalWriter w(path, "fp1", "layer 2", 0);
    w.append(choice_batch());
  }
  JournalContents first = read_journal(path);
  EXPECT_EQ(first.fingerprint, "fp1");
  EXPECT_EQ(first.variant, "layer 2");
  ASSERT_EQ(first.batches.size(), 1u);
  expect_equal(first.batches[0], choice_batch());
  // Resuming keeps what is there and appends after it.
  {
    JournalWriter w(path, "fp1", "layer 2", first.valid_bytes);
    w.append(generation_batch());
  }
  JournalContents both = read_journal(path);
  ASSERT_EQ(both.batches.size(), 2u);
  expect_equal(both.batches[1], generation_batch());
  EXPECT_EQ(both.dropped_lines, 0u);
  EXPECT_EQ(both.valid_bytes, std::filesystem::file_size(path));

  // A kill in the middle of an append leaves a torn last line: it is dropped, the rest kept.
  const std::string whole = read_file(path);
  write_file_atomic(path, whole + journal_batch_line(choice_batch()).substr(0, 40));
  JournalContents torn = read_journal(path);
  EXPECT_EQ(torn.batches.size(), 2u);
  EXPECT_EQ(torn.dropped_lines, 1u);
  EXPECT_EQ(torn.valid_bytes, whole.size());
  {
    JournalWriter w(path, "fp1", "layer 2", torn.valid_bytes);  // cuts the torn tail away
  }
  EXPECT_EQ(read_file(path), whole);

  // A changed byte inside a line fails its checksum: that line and everything after it are dropped.
  std::string damaged = whole;
  damaged[damaged.find("hellaswag")] = 'H';
  write_file_atomic(path, damaged);
  JournalContents bad = read_journal(path);
  EXPECT_EQ(bad.batches.size(), 0u);
  EXPECT_EQ(bad.dropped_lines, 2u);
  EXPECT_EQ(bad.fingerprint, "fp1");

  // Not a journal at all: nothing to continue.
  write_file_atomic(path, "{\"format\":\"something else\"}\n");
  EXPECT_EQ(read_journal(path).valid_bytes, 0u);
  {
    JournalWriter w(path, "fp2", "original", 0);  // starts anew
  }
  EXPECT_EQ(read_journal(path).fingerprint, "fp2");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace halo::eval
