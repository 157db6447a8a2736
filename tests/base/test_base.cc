#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <vector>

#include "base/atomic_file.h"
#include "base/bf16.h"
#include "base/error.h"
#include "base/mapped_file.h"
#include "base/progress.h"
#include "base/sha256.h"
#include "base/thread_pool.h"

namespace halo {
namespace {

// FIPS 180-2 appendix B's examples (one block, two blocks, many blocks) and the empty message.
TEST(Sha256, StandardExamples) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Lengths at the padding boundary (55 bytes fit one block, 64 need a second), from Python's hashlib.
  EXPECT_EQ(sha256_hex(std::string(55, 'x')), "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
  EXPECT_EQ(sha256_hex(std::string(64, 'x')), "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}

TEST(Bf16, RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  // 1 + 2^-8 lies exactly between two bf16 values: ties go to the even mantissa (1.0).
  EXPECT_EQ(float_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  // 1 + 3*2^-8 lies between 1+2^-7 (odd) and 1+2^-6 (even): goes up to even.
  EXPECT_EQ(float_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_EQ(bf16_to_float(0xc000), -2.0f);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(NAN))));
  EXPECT_EQ(round_to_bf16(-20.3f), -20.25f);
}

TEST(F16, RoundTripsNormalsSubnormalsAndSpecials) {
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.960464477539063e-08f}) {
    EXPECT_EQ(f16_to_float(float_to_f16(v)), v) << v;
  }
  EXPECT_TRUE(std::isinf(f16_to_float(float_to_f16(1e6f))));
  EXPECT_EQ(f16_to_float(0x3c00), 1.0f);
  EXPECT_EQ(f16_to_float(0x0001), 5.960464477539063e-08f);
}

TEST(AtomicFile, WritesAndReplaces) {
  auto dir = std::filesystem::temp_directory_path() / "halo_test_atomic";
  std::filesystem::remove_all(dir);
  auto path = dir / "sub" / "out.txt";
  write_file_atomic(path, "first");
  EXPECT_EQ(read_file(path), "first");
  write_file_atomic(path, "second");
  EXPECT_EQ(read_file(path), "second");
  // No temporary files are left behind.
  int entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(path.parent_path())) ++entries;
  EXPECT_EQ(entries, 1);
  std::filesystem::remove_all(dir);
}

TEST(AtomicFile, MissingFileIsAnErrorNamingIt) {
  try {
    read_file("/nonexistent/halo/file.txt");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/halo/file.txt"), std::string::npos);
  }
}

TEST(MappedFile, MapsContentAndRejectsDirectories) {
  auto path = std::filesystem::temp_directory_path() / "halo_test_mapped.bin";
  write_file_atomic(path, "abc");
  MappedFile file(path);
  ASSERT_EQ(file.size(), 3u);
  EXPECT_EQ(file.bytes()[1], 'b');
  EXPECT_THROW(MappedFile(std::filesystem::temp_directory_path()), Error);
  std::filesystem::remove(path);
}

TEST(ThreadPool, CoversRangeExactlyOnce) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.parallel_for(hits.size(), [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) hits[i]++;
  });
  for (auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(ThreadPool, PropagatesExceptions) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(10, [](size_t b, size_t) {
    if (b == 0) fail("boom");
  }), Error);
  // The pool still works afterwards.
  std::atomic<int> sum = 0;
  pool.parallel_for(10, [&](size_t b, size_t e) { sum += int(e - b); });
  EXPECT_EQ(sum.load(), 10);
}

TEST(Progress, FormatsDurations) {
  EXPECT_EQ(format_duration(5), "5s");
  EXPECT_EQ(format_duration(185), "3m05s");
  EXPECT_EQ(format_duration(3720), "1h02m");
  EXPECT_EQ(format_duration(NAN), "?");
}

}  // namespace
}  // namespace halo

#include "base/index_list.h"

namespace halo {
namespace {

TEST(IndexList, ParsesRangesSortedUnique) {
  EXPECT_EQ(parse_index_list("3,5-7", 28, "--convert"), (std::vector<int>{3, 5, 6, 7}));
  EXPECT_EQ(parse_index_list(" 7, 3 ,3", 28, "--convert"), (std::vector<int>{3, 7}));
  EXPECT_EQ(parse_index_list("0-27", 28, "--layers").size(), 28u);
}

TEST(IndexList, RejectsBadInput) {
  EXPECT_THROW(parse_index_list("28", 28, "--convert"), Error);
  EXPECT_THROW(parse_index_list("-1", 28, "--convert"), Error);
  EXPECT_THROW(parse_index_list("a", 28, "--convert"), Error);
  EXPECT_THROW(parse_index_list("5-3", 28, "--convert"), Error);
  EXPECT_THROW(parse_index_list("", 28, "--convert"), Error);
  EXPECT_THROW(parse_int_list("1,x", "--tokens"), Error);
  EXPECT_EQ(parse_int_list("1,2,2", "--tokens"), (std::vector<int>{1, 2, 2}));
  try {
    parse_index_list("30", 28, "--convert");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--convert: index 30 out of range (the model has 28 layers: 0-27)");
  }
}

}  // namespace
}  // namespace halo
