#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <functional>
#include <numeric>
#include <vector>

#include "base/atomic_file.h"
#include "base/bf16.h"
#include "base/error.h"
#include "base/json_nesting.h"
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

// The names in `dir` and their contents (folders as "<dir>").
std::map<std::string, std::string> folder_contents(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out[e.path().filename().string()] = e.is_directory() ? "<dir>" : read_file(e.path());
  }
  return out;
}

TEST(AtomicFiles, WritesAllOrNone) {
  auto dir = std::filesystem::temp_directory_path() / "halo_test_atomic_files";
  std::filesystem::remove_all(dir);
  write_files_atomic({{dir / "a.txt", "a1"}, {dir / "b.txt", "b1"}, {dir / "sub" / "c.txt", "c1"}});
  EXPECT_EQ(folder_contents(dir), (std::map<std::string, std::string>{
                                      {"a.txt", "a1"}, {"b.txt", "b1"}, {"sub", "<dir>"}}));
  EXPECT_EQ(read_file(dir / "sub" / "c.txt"), "c1");

  // The last target is a folder, so its rename fails after a.txt and b.txt were replaced and
  // new.txt created: those are put back (a1, b1) and removed (new.txt), no temporary is left.
  std::filesystem::create_directories(dir / "z_folder" / "inside");
  try {
    write_files_atomic({{dir / "a.txt", "a2"}, {dir / "new.txt", "n2"}, {dir / "b.txt", "b2"},
                        {dir / "z_folder", "z2"}});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find((dir / "z_folder").string() + ": cannot rename"), std::string::npos) << m;
    EXPECT_NE(m.find("no output file was changed"), std::string::npos) << m;
  }
  EXPECT_EQ(folder_contents(dir), (std::map<std::string, std::string>{
                                      {"a.txt", "a1"}, {"b.txt", "b1"}, {"sub", "<dir>"}, {"z_folder", "<dir>"}}));

  // A failure while writing (the folder cannot be made: a file is in the way) touches nothing.
  EXPECT_THROW(write_files_atomic({{dir / "a.txt", "a3"}, {dir / "a.txt" / "x", "x3"}}), Error);
  EXPECT_EQ(read_file(dir / "a.txt"), "a1");
  EXPECT_EQ(folder_contents(dir).size(), 4u);
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

#include <sys/stat.h>
#include <unistd.h>

#include "base/file_mode.h"
#include "base/output_path.h"

namespace halo {
namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Numbers that do not fit say so; they are not "not an integer".
TEST(IndexList, OutOfRangeNumbersSayWhy) {
  EXPECT_EQ(error_of([] { parse_index_list("0-99999999999", 28, "--convert"); }),
            "--convert: index 99999999999 out of range (the model has 28 layers: 0-27)");
  EXPECT_EQ(error_of([] { parse_index_list("-99999999999", 28, "--convert"); }),
            "--convert: index -99999999999 out of range (the model has 28 layers: 0-27)");
  EXPECT_EQ(error_of([] { parse_int_list("1,99999999999", "--tokens"); }),
            "--tokens: '99999999999' is out of range (-2147483648..2147483647)");
  EXPECT_EQ(error_of([] { parse_index_list("1-x", 28, "--convert"); }), "--convert: 'x' is not an integer");
}

TEST(Count, RejectsNegativeZeroAndHugeWithTheReason) {
  EXPECT_EQ(parse_count("100", "--limit"), 100u);
  EXPECT_EQ(parse_count(" 7 ", "--limit"), 7u);
  EXPECT_EQ(error_of([] { parse_count("-1", "--limit"); }), "--limit: -1 is negative; give a number of at least 1");
  EXPECT_EQ(error_of([] { parse_count("0", "--limit"); }), "--limit: must be at least 1");
  EXPECT_EQ(error_of([] { parse_count("99999999999999999999999", "--limit"); }),
            "--limit: 99999999999999999999999 is too large");
  EXPECT_EQ(error_of([] { parse_count("1e3", "--limit"); }), "--limit: '1e3' is not an integer");
  EXPECT_EQ(error_of([] { parse_count("", "--limit"); }), "--limit: '' is not an integer");
}

class OutputPath : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("halo_test_output_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "existing");
    write_file_atomic(dir / "file.txt", "x");
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
};

TEST_F(OutputPath, FilesMayBeNewOrReplacedButNotDirectoriesOrUnderAFile) {
  check_writable_file(dir / "new.json", "--results-json");
  check_writable_file(dir / "a/b/new.json", "--results-json");  // folders are created when writing
  check_writable_file(dir / "file.txt", "--out");                // replaced atomically
  EXPECT_FALSE(std::filesystem::exists(dir / "a")) << "checking creates nothing";
  EXPECT_EQ(error_of([&] { check_writable_file(dir / "existing", "--out"); }),
            (dir / "existing").string() + ": --out names a directory, not a file");
  EXPECT_EQ(error_of([&] { check_writable_file(dir / "file.txt/sub/r.json", "--results-json"); }),
            (dir / "file.txt/sub/r.json").string() + ": --results-json: " + (dir / "file.txt").string() +
                " is a file, not a directory");
  // /proc/self is a directory nobody may create files in, root included.
  EXPECT_NE(error_of([] { check_writable_file("/proc/self/halo.json", "--out"); }).find("cannot write in /proc/self"),
            std::string::npos);
}

TEST_F(OutputPath, DirectoriesMayBeNewOrExistingButNotAFile) {
  check_writable_dir(dir / "existing", "--out");
  check_writable_dir(dir / "x/y/z", "--out");
  EXPECT_EQ(error_of([&] { check_writable_dir(dir / "file.txt", "--out"); }),
            (dir / "file.txt").string() + ": --out must be a directory, but it is a file");
  EXPECT_NE(error_of([&] { check_writable_dir(dir / "file.txt/root", "--out"); }).find("is a file, not a directory"),
            std::string::npos);
}

TEST_F(OutputPath, TwoFlagsMayNotNameOneFile) {
  check_output_files({{"--out", dir / "a.txt"}, {"--results-json", ""}, {"--log-samples", dir / "b.jsonl"}});
  EXPECT_EQ(error_of([&] { check_output_files({{"--out", dir / "a.txt"}, {"--results-json", dir / "x/../a.txt"}}); }),
            (dir / "x/../a.txt").string() + ": named by both --out and --results-json; each output needs its own file");
}

TEST_F(OutputPath, WithinResolvesDotsAndSymlinks) {
  EXPECT_TRUE(path_is_within(dir / "existing", dir));
  EXPECT_TRUE(path_is_within(dir / "existing/", dir / "existing"));
  EXPECT_TRUE(path_is_within(dir / "existing/new/deeper", dir / "existing"));
  EXPECT_TRUE(path_is_within(dir / "other/../existing/x", dir / "existing"));
  EXPECT_FALSE(path_is_within(dir / "existing-2", dir / "existing"));
  EXPECT_FALSE(path_is_within(dir, dir / "existing"));
  std::filesystem::create_directory_symlink(dir / "existing", dir / "link");
  EXPECT_TRUE(path_is_within(dir / "link/sub", dir / "existing"));
}

// Files are written through mkstemp (mode 0600); they must get 0666 & ~umask like any new file.
// (The umask is read once per process: tests/cli runs halo under several umasks.)
TEST_F(OutputPath, WrittenFilesFollowTheUmask) {
  const mode_t mask = ::umask(022);
  ::umask(mask);
  EXPECT_EQ(process_umask(), mask);
  EXPECT_EQ(new_file_mode(), 0666 & ~mask);
  write_file_atomic(dir / "moded.txt", "x");
  struct stat st {};
  ASSERT_EQ(::stat((dir / "moded.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
}

TEST(AtomicFile, ReadingADirectorySaysSo) {
  auto dir = std::filesystem::temp_directory_path() / ("halo_test_readdir_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "config.json");
  EXPECT_EQ(error_of([&] { read_file(dir / "config.json"); }),
            (dir / "config.json").string() + ": is a directory, not a file");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace halo

// Found by the fuzz driver (tests/fuzz): messages quoting input values (a hidden_act, a task name)
// spanned several lines, and deeply nested JSON overflowed the stack in nlohmann's recursive copy.
namespace halo {
namespace {

TEST(Error, MessageIsOneLineWhateverItQuotes) {
  try {
    fail("{}: hidden_act '{}' is not supported", "config.json", "a\nb\r\x01\x7f\tc");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "config.json: hidden_act 'a\\nb\\r\\x01\\x7f\tc' is not supported");
  }
  EXPECT_EQ(std::string(Error("caf\xc3\xa9 ok").what()), "caf\xc3\xa9 ok");  // UTF-8 is left alone
}

TEST(JsonNesting, CountsBracketsOutsideStrings) {
  EXPECT_FALSE(json_nesting_overflow(R"({"a": [[1], {"b": "[[[[["}]})", 3));
  EXPECT_EQ(json_nesting_overflow(R"({"a": [[1]]})", 2), 7u);
  EXPECT_FALSE(json_nesting_overflow(R"(["\"[[[", "\\", [1]])", 2));
  EXPECT_FALSE(json_nesting_overflow(std::string(512, '[')));
  EXPECT_EQ(json_nesting_overflow(std::string(513, '[')), 512u);
  EXPECT_FALSE(json_nesting_overflow("]]]]{}"));  // unbalanced closers are the parser's business
  try {
    check_json_nesting(std::string(100000, '{'), "f.json");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "f.json: JSON nested deeper than 512 levels (byte 512)");
  }
}

}  // namespace
}  // namespace halo
