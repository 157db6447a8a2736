// Every backend of this machine against the float64 reference backend, op by op (op_cases.h):
// the CPU backend always (so CI holds it against the plain definitions), and each CUDA GPU the
// runtime sees (a GPU machine runs the same table, with the bf16 tolerances).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <ostream>

#include "backend/backend.h"
#include "base/error.h"
#include "op_cases.h"
#include "reference_backend.h"

namespace halo::backend::testing {
namespace {

std::vector<std::string> machine_backends() {
  std::vector<std::string> names = {"cpu"};
  for (int i = 0; i < cuda_device_count(); ++i) names.push_back("cuda:" + std::to_string(i));
  return names;
}

// One backend per name for the whole run (a CUDA backend owns a context and a memory pool).
Backend& backend_named(const std::string& name) {
  static std::map<std::string, std::unique_ptr<Backend>> made;
  auto& slot = made[name];
  if (!slot) slot = make_backend(parse_device(name));
  return *slot;
}

struct Param {
  std::string backend;
  OpCase op;
};

// ctest lists a parameter by what it is, not by its bytes.
void PrintTo(const Param& p, std::ostream* os) { *os << p.backend << " " << p.op.name; }

std::vector<Param> params() {
  std::vector<Param> all;
  for (const std::string& name : machine_backends()) {
    for (OpCase& op : op_cases()) all.push_back({name, std::move(op)});
  }
  return all;
}

class BackendOps : public ::testing::TestWithParam<Param> {};

TEST_P(BackendOps, MatchReference) {
  ReferenceBackend reference;
  Backend& backend = backend_named(GetParam().backend);
  const OpCase& op = GetParam().op;
  std::vector<float> want = op.run(reference);
  std::vector<float> got = op.run(backend);
  ASSERT_EQ(got.size(), want.size());
  auto [rel, nan] = compare(want, got);
  size_t want_nan = 0;
  for (float v : want) want_nan += std::isnan(v) ? 1 : 0;
  ASSERT_EQ(want_nan, 0u) << "the reference left outputs unwritten or NaN";
  EXPECT_EQ(nan, 0u) << "outputs left unwritten or NaN";
  const double tolerance = op.tolerance.for_dtype(backend.activation_dtype());
  EXPECT_LE(rel, tolerance);
  std::printf("[ops] %-8s %-44s rel %.2e (tolerance %.0e)\n", GetParam().backend.c_str(), op.name.c_str(), rel,
              tolerance);
}

INSTANTIATE_TEST_SUITE_P(Table, BackendOps, ::testing::ValuesIn(params()), [](const auto& param_info) {
  std::string name = param_info.param.backend + "_" + param_info.param.op.name;
  for (char& c : name) {
    if (c == ':') c = '_';
  }
  return name;
});

// The front checks each contract once for every backend: a broken one is the same one-line error
// whichever backend runs it (it used to be restated per backend, and only CUDA checked rope's
// head_dim against the columns).
TEST(BackendFront, ContractBreachesAreRefusedOnEveryBackend) {
  for (const std::string& name : machine_backends()) {
    Backend& b = backend_named(name);
    Tensor x = b.alloc(3, 12), w = b.alloc(5, 8), y = b.alloc(3, 5);
    EXPECT_THROW(b.linear(x, w, y), Error) << name;
    std::vector<int64_t> positions = {0, 1, 2};
    std::vector<float> freqs(4, 1.0f);
    EXPECT_THROW(b.rope(x, 8, positions, freqs), Error) << name << ": 8 does not divide 12 columns";
    std::vector<int32_t> ids = {0, 7};
    Tensor table = b.alloc(5, 12), out = b.alloc(2, 12);
    try {
      b.embedding(ids, table, out);
      ADD_FAILURE() << name << ": id 7 of a 5-row table was accepted";
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "token id 7 is outside the vocabulary (0-4)") << name;
    }
    Tensor q = b.alloc(2, 16), k_cache = b.alloc(4, 8), v_cache = b.alloc(4, 8), o = b.alloc(2, 16);
    EXPECT_THROW(b.attention(q, k_cache, v_cache, 3, {2, 1, 8}, o), Error) << name << ": rows 3..4 of 4";
    EXPECT_NO_THROW(b.attention(q, k_cache, v_cache, 2, {2, 1, 8}, o)) << name;
    std::vector<float> values(5);
    EXPECT_THROW(b.upload(values, 2, 3), Error) << name;
    std::vector<float> slopes(2, 0.5f);
    Tensor state = b.alloc_state(2, 64), lq = b.alloc(3, 16), lk = b.alloc(3, 8), lo = b.alloc(3, 16);
    std::vector<LightningSegment> beyond = {{0, 1, state}, {1, 3, state}};
    EXPECT_THROW(b.lightning_segments(lq, lk, lk, beyond, {2, 1, 8}, slopes, 1.0f, lo), Error)
        << name << ": rows 1..4 of 3";
    std::vector<LightningSegment> small_state = {{0, 3, b.alloc_state(2, 16)}};
    EXPECT_THROW(b.lightning_segments(lq, lk, lk, small_state, {2, 1, 8}, slopes, 1.0f, lo), Error)
        << name << ": a state of 16 columns for head_dim 8";
    std::vector<LightningSegment> overlapping = {{0, 2, state}, {1, 2, b.alloc_state(2, 64)}};
    EXPECT_THROW(b.lightning_segments(lq, lk, lk, overlapping, {2, 1, 8}, slopes, 1.0f, lo), Error)
        << name << ": rows 1..2 in two segments";
    std::vector<LightningSegment> shared = {{0, 1, state}, {1, 2, state}};
    EXPECT_THROW(b.lightning_segments(lq, lk, lk, shared, {2, 1, 8}, slopes, 1.0f, lo), Error)
        << name << ": one state for two segments";
    std::vector<LightningSegment> fine = {{0, 1, state}, {1, 2, b.alloc_state(2, 64)}};
    EXPECT_NO_THROW(b.lightning_segments(lq, lk, lk, fine, {2, 1, 8}, slopes, 1.0f, lo)) << name;
  }
}

// Profiling is one observer on the front: it sees every operation, by name and row count, and
// only while it is set.
TEST(BackendFront, ObserverSeesEveryOperation) {
  struct Recorder : OpObserver {
    std::vector<std::string> begun, ended;
    std::vector<int64_t> rows;
    void op_begin(const char* op, int64_t r) override {
      begun.push_back(op);
      rows.push_back(r);
    }
    void op_end(const char* op) override { ended.push_back(op); }
  };
  for (const std::string& name : machine_backends()) {
    Backend& b = backend_named(name);
    Recorder recorder;
    b.set_observer(&recorder);
    Tensor x = b.alloc(4, 8), w = b.alloc(6, 8), y = b.alloc(4, 6);
    b.linear(x, w, y);
    b.add(y, y);
    b.set_observer(nullptr);
    b.add(y, y);
    EXPECT_EQ(recorder.begun, (std::vector<std::string>{"alloc", "alloc", "alloc", "linear", "add"})) << name;
    EXPECT_EQ(recorder.ended, recorder.begun) << name;
    EXPECT_EQ(recorder.rows, (std::vector<int64_t>{4, 6, 4, 4, 4})) << name;
  }
}

}  // namespace
}  // namespace halo::backend::testing
