// CPython's random, bit for bit. Every expected sequence below was printed once by CPython 3.11:
//   random.seed(0); [random.getrandbits(32) for _ in range(8)]
//   random.seed(0); [random.getrandbits(5) for _ in range(6)]
//   random.seed(42); [random.getrandbits(32) for _ in range(4)]
//   random.seed(2**40+5); [random.getrandbits(32) for _ in range(3)]
//   random.seed(0); [random.randrange(10) for _ in range(10)]
//   random.seed(0); random.sample(range(N), k) for (1000,7) (10,4) (30,3) (100,6) (40,6)
//   x = list(range(20)); random.Random(42).shuffle(x)   (and range(5))
//   random.seed(0); x = list(range(10)); random.shuffle(x)
#include <gtest/gtest.h>

#include <numeric>

#include "base/error.h"
#include "eval/py_random.h"

namespace halo::eval {
namespace {

std::vector<uint32_t> words(PyRandom& rng, int k, size_t n) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < n; ++i) out.push_back(rng.getrandbits(k));
  return out;
}

TEST(PyRandom, GetrandbitsMatchesCPython) {
  PyRandom seed0(0);
  EXPECT_EQ(words(seed0, 32, 8), (std::vector<uint32_t>{3626764237u, 1654615998u, 3255389356u, 3823568514u,
                                                        1806341205u, 173879092u, 1112038970u, 4146640122u}));
  PyRandom small(0);  // k < 32 keeps the top bits of each word
  EXPECT_EQ(words(small, 5, 6), (std::vector<uint32_t>{27, 12, 24, 28, 13, 1}));
  PyRandom seed42(42);
  EXPECT_EQ(words(seed42, 32, 4), (std::vector<uint32_t>{2746317213u, 478163327u, 107420369u, 3184935163u}));
  PyRandom wide((uint64_t(1) << 40) + 5);  // a two-word init_by_array key
  EXPECT_EQ(words(wide, 32, 3), (std::vector<uint32_t>{2166296868u, 2220160828u, 1153647273u}));
}

TEST(PyRandom, RandbelowRejectsOutOfRangeDraws) {
  PyRandom rng(0);
  std::vector<uint64_t> got;
  for (int i = 0; i < 10; ++i) got.push_back(rng.randbelow(10));
  EXPECT_EQ(got, (std::vector<uint64_t>{6, 6, 0, 4, 8, 7, 6, 4, 7, 5}));
  EXPECT_THROW(rng.randbelow(0), Error);
}

TEST(PyRandom, SampleBothBranches) {
  struct Case {
    size_t n, k;
    std::vector<size_t> expected;
  };
  // (10,4) and (40,6) use the pool branch (n <= setsize; 21, and 21 + 4^3 for k = 6); the others the
  // rejection-set branch.
  for (const auto& c : std::vector<Case>{{1000, 7, {864, 394, 776, 911, 430, 41, 265}},
                                         {10, 4, {6, 9, 0, 2}},
                                         {30, 3, {27, 12, 24}},
                                         {100, 6, {49, 97, 53, 5, 33, 65}},
                                         {40, 6, {24, 26, 2, 16, 32, 31}}}) {
    PyRandom rng(0);
    EXPECT_EQ(rng.sample(c.n, c.k), c.expected) << c.n << " " << c.k;
  }
  PyRandom rng(0);
  EXPECT_THROW(rng.sample(3, 4), Error);
  EXPECT_TRUE(rng.sample(3, 0).empty());
}

TEST(PyRandom, ShuffleMatchesCPython) {
  std::vector<int> x(20);
  std::iota(x.begin(), x.end(), 0);
  PyRandom(42).shuffle(x);
  EXPECT_EQ(x, (std::vector<int>{19, 5, 14, 4, 9, 13, 15, 18, 6, 12, 17, 10, 1, 11, 2, 16, 7, 8, 0, 3}));
  std::vector<int> five{0, 1, 2, 3, 4};
  PyRandom(42).shuffle(five);
  EXPECT_EQ(five, (std::vector<int>{3, 1, 2, 4, 0}));
  std::vector<int> ten(10);
  std::iota(ten.begin(), ten.end(), 0);
  PyRandom seed0(0);
  seed0.shuffle(ten);
  EXPECT_EQ(ten, (std::vector<int>{7, 8, 1, 5, 3, 4, 2, 0, 9, 6}));
}

}  // namespace
}  // namespace halo::eval
