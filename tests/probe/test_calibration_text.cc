// The calibration corpus: chunking (consecutive, whole chunks, spread evenly when there are more
// than asked for) and its one-line errors. A byte codec (one token per byte) makes every count
// checkable by hand.
#include <gtest/gtest.h>

#include "base/atomic_file.h"
#include "base/error.h"
#include "base/sha256.h"
#include "fakes.h"
#include "probe/calibration_text.h"
#include "tiny_checkpoint.h"

namespace halo::probe {
namespace {

class CalibrationTextTest : public ::testing::Test {
 protected:
  void SetUp() override { dir = halo::testing::fresh_temp_dir("calibration_text"); }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path write(const std::string& name, const std::string& content) {
    write_file_atomic(dir / name, content);
    return dir / name;
  }
  std::string error_of(const std::filesystem::path& path, int64_t chunk = 4, int64_t count = 8) {
    try {
      read_calibration_text(path, codec, chunk, count);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      return e.what();
    }
    return "(no error)";
  }
  eval::testing::ByteCodec codec;
  std::filesystem::path dir;
};

std::vector<int32_t> ids(const std::string& s) { return std::vector<int32_t>(s.begin(), s.end()); }

TEST_F(CalibrationTextTest, ConsecutiveWholeChunksTailDropped) {
  const auto path = write("c.txt", "abcdefghij");  // 10 tokens: chunks abcd, efgh; "ij" dropped
  const CalibrationText t = read_calibration_text(path, codec, 4, 8);
  EXPECT_EQ(t.chunks_in_file, 2);
  ASSERT_EQ(t.chunks.size(), 2u);
  EXPECT_EQ(t.chunks[0], ids("abcd"));
  EXPECT_EQ(t.chunks[1], ids("efgh"));
  EXPECT_EQ(t.sha256, sha256_hex("abcdefghij"));
}

TEST_F(CalibrationTextTest, FewerChunksThanTheFileHoldsAreSpreadEvenly) {
  // 7 chunks of 2: ab cd ef gh ij kl mn; 3 asked → chunks 0, 7/3 = 2, 14/3 = 4.
  const auto path = write("c.txt", "abcdefghijklmn");
  const CalibrationText t = read_calibration_text(path, codec, 2, 3);
  EXPECT_EQ(t.chunks_in_file, 7);
  ASSERT_EQ(t.chunks.size(), 3u);
  EXPECT_EQ(t.chunks[0], ids("ab"));
  EXPECT_EQ(t.chunks[1], ids("ef"));
  EXPECT_EQ(t.chunks[2], ids("ij"));
}

TEST_F(CalibrationTextTest, ErrorsNameTheFile) {
  const std::string missing = (dir / "nope.txt").string();
  EXPECT_EQ(error_of(dir / "nope.txt"), missing + ": calibration corpus not found (--calibration)");
  const auto empty = write("empty.txt", " \n\n\t ");
  EXPECT_EQ(error_of(empty), empty.string() + ": the calibration corpus is empty");
  const auto short_file = write("short.txt", "abc");
  EXPECT_EQ(error_of(short_file), short_file.string() + ": 3 tokens, fewer than one chunk of 4 (--chunk-tokens)");
  const auto latin1 = write("latin1.txt", "caf\xe9 au lait");
  EXPECT_EQ(error_of(latin1), latin1.string() + ": not UTF-8 text (invalid byte at offset 3)");
  EXPECT_EQ(error_of(dir), dir.string() + ": is a directory, not a file");
  EXPECT_NE(error_of(short_file, 1).find("--chunk-tokens must be at least 2"), std::string::npos);
  EXPECT_NE(error_of(short_file, 2, 0).find("--text-chunks must be at least 1"), std::string::npos);
}

}  // namespace
}  // namespace halo::probe
