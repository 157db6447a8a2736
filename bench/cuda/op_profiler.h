// A Backend that forwards every call to a CudaBackend and charges the wall time of the call plus
// its GPU work (it synchronises after each op) to the op's name. Synchronising removes the overlap
// of host launches and GPU work, so totals exceed a normal run; the split between ops is what it is
// for: which op to make faster.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "backend/cuda/cuda_backend.h"

namespace halo::bench {

class OpProfiler final : public backend::Backend {
 private:
  struct Entry {
    int64_t calls = 0;
    double seconds = 0;
  };
  template <typename Fn>
  auto timed(const char* op, Fn fn) {
    auto start = std::chrono::steady_clock::now();
    auto result = fn();
    inner_.synchronize();
    Entry& e = totals_[op];
    e.calls++;
    e.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

 public:
  explicit OpProfiler(backend::CudaBackend& inner) : inner_(inner) {}

  std::string name() const override { return inner_.name(); }
  backend::DType activation_dtype() const override { return inner_.activation_dtype(); }
  backend::Tensor alloc(int64_t r, int64_t c) override {
    return timed("alloc", [&] { return inner_.alloc(r, c); });
  }
  backend::Tensor alloc_state(int64_t r, int64_t c) override {
    return timed("alloc_state", [&] { return inner_.alloc_state(r, c); });
  }
  backend::Tensor upload(std::span<const float> v, int64_t r, int64_t c) override {
    return timed("upload", [&] { return inner_.upload(v, r, c); });
  }
  std::vector<float> download(const backend::Tensor& t) override {
    return timed("download", [&] { return inner_.download(t); });
  }
  void copy(const backend::Tensor& s, backend::Tensor& d) override {
    timed("copy", [&] { inner_.copy(s, d); return 0; });
  }
  void copy_many(std::span<const backend::Tensor> s, std::span<backend::Tensor> d) override {
    timed("copy_many", [&] { inner_.copy_many(s, d); return 0; });
  }
  void attention_segments(const backend::Tensor& q, const backend::Tensor& k, const backend::Tensor& v,
                          std::span<const backend::AttentionSegment> segs, backend::HeadShape s,
                          backend::Tensor& o) override {
    timed("attention_segments", [&] { inner_.attention_segments(q, k, v, segs, s, o); return 0; });
  }
  void linear(const backend::Tensor& x, const backend::Tensor& w, backend::Tensor& y) override {
    timed(x.rows() == 1 ? "linear (1 row)" : "linear", [&] { inner_.linear(x, w, y); return 0; });
  }
  void embedding(std::span<const int32_t> ids, const backend::Tensor& t, backend::Tensor& o) override {
    timed("embedding", [&] { inner_.embedding(ids, t, o); return 0; });
  }
  void rms_norm(const backend::Tensor& x, const backend::Tensor& w, float eps, backend::Tensor& y) override {
    timed("rms_norm", [&] { inner_.rms_norm(x, w, eps, y); return 0; });
  }
  void add(backend::Tensor& x, const backend::Tensor& d) override {
    timed("add", [&] { inner_.add(x, d); return 0; });
  }
  void rope(backend::Tensor& x, int hd, std::span<const int64_t> p, std::span<const float> f) override {
    timed("rope", [&] { inner_.rope(x, hd, p, f); return 0; });
  }
  void scale_rows(backend::Tensor& x, std::span<const float> f) override {
    timed("scale_rows", [&] { inner_.scale_rows(x, f); return 0; });
  }
  void swiglu(const backend::Tensor& g, const backend::Tensor& u, backend::Tensor& o) override {
    timed("swiglu", [&] { inner_.swiglu(g, u, o); return 0; });
  }
  void sigmoid_mul(backend::Tensor& x, const backend::Tensor& g) override {
    timed("sigmoid_mul", [&] { inner_.sigmoid_mul(x, g); return 0; });
  }
  void attention(const backend::Tensor& q, const backend::Tensor& k, const backend::Tensor& v, int64_t first,
                 backend::HeadShape s, backend::Tensor& o) override {
    timed("attention", [&] { inner_.attention(q, k, v, first, s, o); return 0; });
  }
  void lightning(const backend::Tensor& q, const backend::Tensor& k, const backend::Tensor& v,
                 backend::Tensor& st, backend::HeadShape s, std::span<const float> sl, float sc,
                 backend::Tensor& o) override {
    timed("lightning", [&] { inner_.lightning(q, k, v, st, s, sl, sc, o); return 0; });
  }
  std::vector<backend::TokenScore> score_targets(const backend::Tensor& l, std::span<const int32_t> t) override {
    return timed("score_targets", [&] { return inner_.score_targets(l, t); });
  }
  std::vector<int32_t> argmax(const backend::Tensor& l, backend::LogitRounding r) override {
    return timed("argmax", [&] { return inner_.argmax(l, r); });
  }
  std::vector<double> kl_divergence(const backend::Tensor& p, const backend::Tensor& q) override {
    return timed("kl_divergence", [&] { return inner_.kl_divergence(p, q); });
  }

  // "op  calls  ms  share" lines, largest first, then clears the totals.
  std::string report() {
    std::vector<std::pair<std::string, Entry>> rows(totals_.begin(), totals_.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
    double all = 0;
    for (const auto& r : rows) all += r.second.seconds;
    std::string out;
    for (const auto& [op, e] : rows) {
      out += fmt::format("  {:<16} {:>8} calls {:>10.2f} ms {:>5.1f}%\n", op, e.calls, e.seconds * 1e3,
                         100 * e.seconds / all);
    }
    totals_.clear();
    return out;
  }

 private:
  backend::CudaBackend& inner_;
  std::map<std::string, Entry> totals_;
};

}  // namespace halo::bench
