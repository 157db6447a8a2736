#include <gtest/gtest.h>

#include "base/atomic_file.h"
#include "base/error.h"
#include "eval/variant_record.h"
#include "sweep/input_fingerprint.h"
#include "sweep/sweep_plan.h"
#include "sweep/sweep_runner.h"
#include "tiny_checkpoint.h"

namespace halo::sweep {
namespace {

TEST(SweepPlan, OrderAndShards) {
  PlanOptions plan{4, {0, 1, 2, 3}, "m", true, {}};
  auto all = plan_variants(plan);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].relative, "original");
  EXPECT_EQ(all[3].relative, std::filesystem::path("m/layer2"));
  EXPECT_EQ(all[3].variant.converted_layers(), std::vector<int>{2});
  plan.shard = {1, 2};
  auto odd = plan_variants(plan);
  ASSERT_EQ(odd.size(), 2u);
  EXPECT_EQ(odd[0].label, "layer 0");
  EXPECT_EQ(odd[1].label, "layer 2");
}

TEST(SweepPlan, ShardParsing) {
  EXPECT_EQ(parse_shard("3/4").index, 3);
  for (const char* bad : {"4/4", "-1/2", "1", "a/b", "1/0", "1/2/3"}) EXPECT_THROW(parse_shard(bad), Error) << bad;
}

TEST(SweepPlan, Suites) {
  auto s = parse_suites("retrieval,commonsense,retrieval");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].log_name, "retrieval_eval.log");
  EXPECT_EQ(s[1].batch_size, "16");
  EXPECT_THROW(parse_suites("hellaswag"), Error);
}

TEST(InputFingerprint, SeesContentChangesInsideWeights) {
  auto dir = testing::fresh_temp_dir("fingerprint");
  testing::TinySpec spec;
  testing::write_tiny_model(dir, spec);
  auto hash = [&] {
    InputFingerprint fp;
    fp.add_tree(dir);
    return fp.hex();
  };
  std::string first = hash();
  EXPECT_EQ(hash(), first);
  spec.seed = 2;  // same shapes, other values: the header is identical, the data is not
  testing::write_tiny_model(dir, spec);
  EXPECT_NE(hash(), first);
  std::filesystem::remove_all(dir);
}

// A variant is complete only with its record (results.json) of the same fingerprint, naming every
// suite, and every file of the folder exactly as the record's digests say: a log replaced by one of
// another run (two sweeps on one root) makes it incomplete again.
TEST(VariantComplete, NeedsRecordWithSameFingerprintAndUnchangedFiles) {
  auto dir = testing::fresh_temp_dir("complete");
  auto suites = parse_suites("commonsense");
  EXPECT_FALSE(variant_complete(dir, suites, "abc"));
  write_file_atomic(dir / "commonsense_eval.log", "table");
  eval::VariantRecord record;
  record.variant = "layer 1";
  record.converted_layers = {1};
  record.fingerprint = "abc";
  record.suites["commonsense"] = nlohmann::json::object();
  record.files["commonsense_eval.log"] = eval::file_digest(dir / "commonsense_eval.log");
  write_file_atomic(dir / "results.json", eval::variant_record_text(record));
  EXPECT_TRUE(variant_complete(dir, suites, "abc"));
  EXPECT_FALSE(variant_complete(dir, suites, "abd"));
  EXPECT_FALSE(variant_complete(dir, parse_suites("commonsense,retrieval"), "abc"));
  // The round trip keeps every field.
  auto back = eval::read_variant_record(dir);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->variant, "layer 1");
  EXPECT_EQ(back->converted_layers, std::vector<int>{1});
  EXPECT_EQ(back->files, record.files);
  write_file_atomic(dir / "commonsense_eval.log", "another run's table");
  EXPECT_FALSE(variant_complete(dir, suites, "abc"));
  EXPECT_NE(eval::check_variant_files(dir, record).find("commonsense_eval.log"), std::string::npos);
  std::filesystem::remove(dir / "commonsense_eval.log");
  EXPECT_NE(eval::check_variant_files(dir, record).find("missing"), std::string::npos);
  write_file_atomic(dir / "results.json", "{corrupt");
  EXPECT_FALSE(variant_complete(dir, suites, "abc"));
  EXPECT_FALSE(eval::read_variant_record(dir));
  std::filesystem::remove_all(dir);
}

// Found by the fuzz driver: a "format" or "version" of another JSON type threw nlohmann's
// type_error out of the reader (an "internal error" from `halo sweep`); a file name leading out of
// the variant folder was taken.
TEST(VariantRecord, ForeignShapesAreNotRecords) {
  EXPECT_FALSE(eval::parse_variant_record(R"({"format": 5, "version": "2"})"));
  EXPECT_FALSE(eval::parse_variant_record(R"({"format": "halo-sweep-variant", "version": "2"})"));
  EXPECT_FALSE(eval::parse_variant_record(R"([1, 2])"));
  const std::string good =
      R"({"format": "halo-sweep-variant", "version": 2, "variant": "original", "converted_layers": [],)"
      R"( "fingerprint": "f", "files": {"FILE": "0"}, "suites": {}, "seconds": 1})";
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    return text.replace(text.find(from), from.size(), to);
  };
  EXPECT_TRUE(eval::parse_variant_record(with("FILE", "retrieval_eval.log")));
  EXPECT_FALSE(eval::parse_variant_record(with("FILE", "../../etc/passwd")));
  EXPECT_FALSE(eval::parse_variant_record(with("\"seconds\": 1", "\"seconds\": \"1\"")));
}

}  // namespace
}  // namespace halo::sweep
