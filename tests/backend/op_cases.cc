// The backend op table (op_cases.h).
#include "op_cases.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "base/bf16.h"

namespace halo::backend::testing {

std::vector<float> random_bf16(size_t n, uint32_t seed, float scale, float mean) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, scale);
  std::vector<float> v(n);
  for (float& x : v) x = round_to_bf16(dist(rng));
  return v;
}

Tensor input(Backend& b, int64_t rows, int64_t cols, uint32_t seed, float scale, float mean) {
  return b.upload(random_bf16(size_t(rows * cols), seed, scale, mean), rows, cols);
}

Tensor poisoned(Backend& b, int64_t rows, int64_t cols) {
  std::vector<float> nan(size_t(rows * cols), std::numeric_limits<float>::quiet_NaN());
  return b.upload(nan, rows, cols);
}

void append(std::vector<float>& to, const std::vector<float>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

std::vector<OpCase> op_cases() {
  std::vector<OpCase> cases;
  auto add = [&](std::string name, std::function<std::vector<float>(Backend&)> run,
                 Tolerance tolerance = {}) {
    cases.push_back({std::move(name), std::move(run), tolerance});
  };
  for (auto [m, n, k] : std::vector<std::array<int64_t, 3>>{
           {1, 64, 32}, {2, 1000, 2048}, {3, 256, 128}, {4, 80, 40}, {1, 20, 12}, {7, 96, 48}, {33, 256, 128},
           {128, 512, 2048}, {1, 2048, 6144}, {300, 1000, 64}, {5, 151936, 64}}) {
    add(fmt::format("linear_{}x{}x{}", m, n, k), [=](Backend& b) {
      Tensor x = input(b, m, k, 1), w = input(b, n, k, 2, 0.05f), y = poisoned(b, m, n);
      b.linear(x, w, y);
      return b.download(y);
    });
  }
  // Several projections of one input (q/k/v, gate/up): one GEMV launch for a few rows, separate
  // GEMMs for more; output sizes that do not fill a block of columns; four and five weights (the
  // CUDA launch takes at most four).
  for (auto [m, k, parts] :
       std::vector<std::array<int64_t, 3>>{{1, 64, 3}, {4, 128, 2}, {3, 48, 4}, {9, 64, 3}, {2, 32, 5}}) {
    add(fmt::format("linear_many_{}x{}_{}weights", m, k, parts), [=](Backend& b) {
      Tensor x = input(b, m, k, 120);
      std::vector<Tensor> w, y;
      for (int64_t p = 0; p < parts; ++p) {
        const int64_t n = 20 + 37 * p;
        w.push_back(input(b, n, k, 121 + uint32_t(p), 0.05f));
        y.push_back(poisoned(b, m, n));
      }
      b.linear_many(x, w, y);
      std::vector<float> out;
      for (const Tensor& t : y) append(out, b.download(t));
      return out;
    });
  }
  for (int64_t cols : {8, 12, 2048}) {
    add(fmt::format("embedding_{}", cols), [=](Backend& b) {
      Tensor table = input(b, 100, cols, 3);
      std::vector<int32_t> ids = {5, 0, 99, 5, 42, 17, 63};
      Tensor out = poisoned(b, int64_t(ids.size()), cols);
      b.embedding(ids, table, out);
      return b.download(out);
    });
  }
  for (auto [rows, cols, group] : std::vector<std::array<int64_t, 3>>{
           {5, 64, 64}, {3, 128, 16}, {17, 2048, 2048}, {4, 96, 8}, {2, 2048, 128}, {3, 45, 45}}) {
    add(fmt::format("rms_norm_{}x{}_g{}", rows, cols, group), [=](Backend& b) {
      Tensor x = input(b, rows, cols, 4, 2.0f), w = input(b, 1, group, 5, 0.1f, 1.0f);
      Tensor y = poisoned(b, rows, cols);
      b.rms_norm(x, w, 1e-6f, y);
      std::vector<float> out = b.download(y);
      b.rms_norm(x, w, 1e-6f, x);  // in place, as the runtime calls it for q/k norms
      append(out, b.download(x));
      return out;
    });
  }
  for (auto [rows, cols] : std::vector<std::array<int64_t, 2>>{{1, 2048}, {3, 45}, {70, 1024}}) {
    add(fmt::format("add_rms_norm_{}x{}", rows, cols), [=](Backend& b) {
      Tensor x = input(b, rows, cols, 30, 2.0f), d = input(b, rows, cols, 31);
      Tensor w = input(b, 1, cols, 32, 0.1f, 1.0f), y = poisoned(b, rows, cols);
      b.add_rms_norm(x, d, w, 1e-6f, y);
      std::vector<float> out = b.download(y);
      append(out, b.download(x));  // the sum stays in x
      return out;
    });
  }
  struct Qk {
    int64_t rows, first;
    int heads, kv, d;
    bool norm, rope, scattered;
  };
  for (Qk c : std::vector<Qk>{{1, 4000, 16, 8, 128, true, true, false},
                              {5, 3, 4, 2, 64, true, true, true},
                              {37, 0, 2, 1, 12, true, true, true},  // head_dim not a multiple of 8
                              {6, 10, 4, 4, 16, false, true, false},
                              {4, 10, 3, 1, 32, true, false, false},
                              {2, 7, 12, 4, 8, true, true, true}}) {  // more heads than warps
    add(fmt::format("qk_norm_rope_{}rows_from{}_h{}_kv{}_d{}{}{}{}", c.rows, c.first, c.heads, c.kv, c.d,
                    c.norm ? "_norm" : "", c.rope ? "_rope" : "", c.scattered ? "_scattered" : ""),
        [=](Backend& b) {
          Tensor q = input(b, c.rows, c.heads * c.d, 33, 2.0f), k = input(b, c.rows, c.kv * c.d, 34, 2.0f);
          Tensor qn, kn;
          if (c.norm) {
            qn = input(b, 1, c.d, 35, 0.1f, 1.0f);
            kn = input(b, 1, c.d, 36, 0.1f, 1.0f);
          }
          std::vector<int64_t> pos(static_cast<size_t>(c.rows));
          std::iota(pos.begin(), pos.end(), c.first);
          if (c.scattered) {
            for (auto& p : pos) p = (p * 7919) % 5000;
          }
          std::vector<float> inv;
          if (c.rope) {
            for (int i = 0; i < c.d / 2; ++i) inv.push_back(float(std::pow(1e6, -2.0 * i / c.d)));
          }
          b.qk_norm_rope(q, k, qn, kn, 1e-6f, c.d, pos, inv);
          std::vector<float> out = b.download(q);
          append(out, b.download(k));
          return out;
        });
  }
  for (auto [rows, cols] : std::vector<std::array<int64_t, 2>>{{1, 7}, {13, 2048}, {64, 6144}}) {
    add(fmt::format("add_{}x{}", rows, cols), [=](Backend& b) {
      Tensor x = input(b, rows, cols, 6), d = input(b, rows, cols, 7);
      b.add(x, d);
      return b.download(x);
    });
    add(fmt::format("swiglu_{}x{}", rows, cols), [=](Backend& b) {
      Tensor g = input(b, rows, cols, 8, 3.0f), u = input(b, rows, cols, 9), out = poisoned(b, rows, cols);
      b.swiglu(g, u, out);
      std::vector<float> result = b.download(out);
      b.swiglu(g, u, g);  // in place, as the runtime calls it
      append(result, b.download(g));
      return result;
    });
    add(fmt::format("sigmoid_mul_{}x{}", rows, cols), [=](Backend& b) {
      Tensor x = input(b, rows, cols, 10), g = input(b, rows, cols, 11, 3.0f);
      b.sigmoid_mul(x, g);
      return b.download(x);
    });
    add(fmt::format("scale_rows_{}x{}", rows, cols), [=](Backend& b) {
      Tensor x = input(b, rows, cols, 12);
      std::vector<float> f = random_bf16(size_t(rows), 13, 0.5f, 1.0f);
      b.scale_rows(x, f);
      return b.download(x);
    });
  }
  for (int d : {8, 16, 64, 128}) {
    for (auto [rows, first] : std::vector<std::array<int64_t, 2>>{{1, 0}, {5, 3}, {37, 4000}}) {
      add(fmt::format("rope_d{}_{}rows_from{}", d, rows, first), [=](Backend& b) {
        const int64_t cols = 4 * d;
        Tensor x = input(b, rows, cols, 14);
        std::vector<int64_t> pos(static_cast<size_t>(rows));
        std::iota(pos.begin(), pos.end(), first);
        std::vector<float> inv(size_t(d / 2));
        for (int i = 0; i < d / 2; ++i) inv[size_t(i)] = float(std::pow(1e6, -2.0 * i / d));
        b.rope(x, d, pos, inv);
        std::vector<float> out = b.download(x);
        // Scattered positions take the other path (uploaded positions).
        Tensor y = input(b, rows, cols, 15);
        for (auto& p : pos) p = (p * 7919) % 5000;
        b.rope(y, d, pos, inv);
        append(out, b.download(y));
        // The same positions again (a backend may keep them uploaded), then other positions of the
        // same count (it must not).
        Tensor z = input(b, rows, cols, 16);
        b.rope(z, d, pos, inv);
        append(out, b.download(z));
        for (auto& p : pos) p = (p + 11) % 5000;
        b.rope(z, d, pos, inv);
        append(out, b.download(z));
        return out;
      });
    }
  }
  struct Attn {
    int64_t rows, first;
    int heads, kv, d;
  };
  for (Attn a : std::vector<Attn>{{1, 0, 4, 2, 8},      {5, 0, 4, 2, 16},    {1, 100, 16, 8, 128},
                                  {70, 0, 16, 8, 128},  {33, 40, 6, 3, 16},  {130, 0, 2, 1, 64},
                                  {1, 4000, 16, 8, 128}, {3, 300, 8, 8, 32}, {200, 70, 4, 1, 128},
                                  {64, 0, 2, 2, 128},   {65, 63, 2, 1, 24},
                                  // prefill tiles: many 64-row tiles, four query heads a kv head
                                  {300, 0, 16, 8, 128}, {100, 30, 8, 2, 128}, {129, 5, 4, 1, 40},
                                  // decoding tiles (≤ 16 rows) with 4 query heads a kv head
                                  {1, 2000, 32, 8, 128}, {16, 50, 8, 2, 64}, {17, 50, 8, 2, 64}}) {
    add(fmt::format("attention_T{}_from{}_h{}_kv{}_d{}", a.rows, a.first, a.heads, a.kv, a.d),
        [=](Backend& b) {
          const int64_t cap = a.first + a.rows + 3;
          Tensor q = input(b, a.rows, a.heads * a.d, 16);
          Tensor k = input(b, cap, a.kv * a.d, 17), v = input(b, cap, a.kv * a.d, 18);
          Tensor out = poisoned(b, a.rows, a.heads * a.d);
          b.attention(q, k, v, a.first, {a.heads, a.kv, a.d}, out);
          return b.download(out);
        });
  }
  // Packed batches: several sequences with their own caches and prefixes in one call.
  struct Batch {
    std::vector<std::array<int64_t, 2>> segments;  // (new rows, cached prefix)
    int heads, kv, d;
  };
  // A decode step of 70 sequences: more tiles than one launch takes (64).
  Batch decode_step{{}, 32, 8, 128};
  for (int i = 0; i < 70; ++i) decode_step.segments.push_back({1, (i * 37) % 300});
  for (const Batch& bt : std::vector<Batch>{{{{1, 4000}, {1, 17}, {1, 0}, {1, 300}}, 16, 8, 128},
                                            {{{80, 0}, {30, 80}, {25, 80}, {1, 5}}, 4, 2, 16},
                                            {{{0, 3}, {130, 0}, {7, 64}}, 6, 3, 64},
                                            decode_step}) {
    std::string name = fmt::format("attention_segments_h{}_kv{}_d{}", bt.heads, bt.kv, bt.d);
    if (bt.segments.size() > 8) {
      name += fmt::format("_{}_decoding_sequences", bt.segments.size());
    } else {
      for (auto [n, first] : bt.segments) name += fmt::format("_{}at{}", n, first);
    }
    add(name, [=](Backend& b) {
      int64_t total = 0;
      for (auto [n, first] : bt.segments) total += n;
      Tensor q = input(b, total, bt.heads * bt.d, 80);
      Tensor k = input(b, total, bt.kv * bt.d, 81), v = input(b, total, bt.kv * bt.d, 82);
      Tensor out = poisoned(b, total, bt.heads * bt.d);
      std::vector<AttentionSegment> segs;
      int64_t begin = 0;
      uint32_t seed = 90;
      for (auto [n, first] : bt.segments) {
        // Each cache holds its prefix (random) and room past the new rows.
        Tensor kc = input(b, first + n + 2, bt.kv * bt.d, seed++), vc = input(b, first + n + 2, bt.kv * bt.d, seed++);
        segs.push_back({begin, n, kc, vc, first});
        begin += n;
      }
      b.attention_segments(q, k, v, segs, {bt.heads, bt.kv, bt.d}, out);
      std::vector<float> result = b.download(out);
      for (const AttentionSegment& sg : segs) append(result, b.download(sg.k_cache));
      return result;
    });
  }
  add("copy_many", [](Backend& b) {
    std::vector<Tensor> src, dst;
    for (int i = 0; i < 5; ++i) {
      src.push_back(input(b, 3 + i, 24 + 8 * i, 100 + uint32_t(i)));
      dst.push_back(poisoned(b, 3 + i, 24 + 8 * i));
    }
    Tensor odd = input(b, 2, 7, 110), odd_dst = poisoned(b, 2, 7);  // not 16-byte sized
    src.push_back(odd);
    dst.push_back(odd_dst);
    b.copy_many(src, dst);
    std::vector<float> result;
    for (const Tensor& t : dst) append(result, b.download(t));
    return result;
  });
  add("copy_many_200", [](Backend& b) {  // more ranges than a CUDA launch takes as its parameter
    std::vector<Tensor> src, dst;
    for (int i = 0; i < 200; ++i) {
      src.push_back(input(b, 1, 16 + 8 * (i % 3), 200 + uint32_t(i)));
      dst.push_back(poisoned(b, 1, 16 + 8 * (i % 3)));
    }
    b.copy_many(src, dst);
    std::vector<float> result;
    for (const Tensor& t : dst) append(result, b.download(t));
    return result;
  });
  struct Light {
    int64_t first_rows, rows;
    int heads, kv, d;
  };
  for (Light l : std::vector<Light>{{1, 1, 4, 2, 8},    {3, 2, 4, 4, 16},   {100, 1, 4, 2, 16},
                                    {130, 70, 2, 2, 128}, {64, 1, 16, 8, 128}, {7, 200, 6, 3, 40}}) {
    add(fmt::format("lightning_T{}then{}_h{}_kv{}_d{}", l.first_rows, l.rows, l.heads, l.kv, l.d),
        [=](Backend& b) {
          std::vector<float> slopes(size_t(l.heads));
          for (int h = 0; h < l.heads; ++h) slopes[size_t(h)] = std::pow(0.5f, float(h + 1) / 2);
          Tensor state = b.alloc_state(l.heads, int64_t(l.d) * l.d);
          std::vector<float> result;
          // Two calls: the second continues from the state the first left behind.
          for (auto [rows, seed] : {std::pair{l.first_rows, 20u}, std::pair{l.rows, 30u}}) {
            Tensor q = input(b, rows, l.heads * l.d, seed, 0.3f);
            Tensor k = input(b, rows, l.kv * l.d, seed + 1, 0.3f);
            Tensor v = input(b, rows, l.kv * l.d, seed + 2);
            Tensor out = poisoned(b, rows, l.heads * l.d);
            b.lightning(q, k, v, state, {l.heads, l.kv, l.d}, slopes, 1.0f / std::sqrt(float(l.d)), out);
            append(result, b.download(out));
          }
          append(result, b.download(state));
          return result;
        });
  }
  // Packed batches of sequences, each continuing its own state: decoding steps (every sequence a
  // few rows: one launch on CUDA) of 70 sequences, of an empty one among two, and of a few rows
  // each; a mix with a longer segment; a scoring pack of 60 sequences of 5..70 rows and one of 250
  // (CUDA: their chunks share launch rounds of 64 chunks, so a round holds many sequences, and the
  // 250-row one starts in the first round and continues in the second); one 4,200-row prompt
  // (66 chunks: two rounds) beside decoding rows.
  struct LightBatch {
    std::vector<int64_t> counts;
    int heads, kv, d;
    std::string label;  // names a long list
  };
  std::vector<int64_t> scoring_pack;
  for (int i = 0; i < 60; ++i) scoring_pack.push_back(5 + (i * 13) % 66);
  scoring_pack[57] = 250;  // chunks 63..66: starts in the first round and continues in the second
  for (const LightBatch& lb : std::vector<LightBatch>{{std::vector<int64_t>(70, 1), 16, 8, 128, "70_decoding_sequences"},
                                                      {{1, 0, 1}, 4, 2, 16, ""},
                                                      {{1, 2, 1}, 6, 3, 40, ""},
                                                      {{5, 1, 0, 3}, 4, 2, 16, ""},
                                                      {scoring_pack, 4, 2, 32, "60_scoring_sequences"},
                                                      {{1, 4200, 2, 1}, 2, 1, 16, ""}}) {
    std::string name = fmt::format("lightning_segments_h{}_kv{}_d{}", lb.heads, lb.kv, lb.d);
    if (!lb.label.empty()) {
      name += "_" + lb.label;
    } else {
      for (int64_t n : lb.counts) name += fmt::format("_{}", n);
    }
    add(name, [=](Backend& b) {
      std::vector<float> slopes(size_t(lb.heads));
      for (int h = 0; h < lb.heads; ++h) slopes[size_t(h)] = std::pow(0.5f, float(h + 1) / 2);
      const float scale = 1.0f / std::sqrt(float(lb.d));
      const HeadShape shape{lb.heads, lb.kv, lb.d};
      // Each sequence first takes a prompt of its own length on its own state.
      std::vector<LightningSegment> segs;
      int64_t total = 0;
      uint32_t seed = 300;
      for (size_t i = 0; i < lb.counts.size(); ++i) {
        Tensor state = b.alloc_state(lb.heads, int64_t(lb.d) * lb.d);
        const int64_t prompt = 1 + int64_t(i % 7) * 3;
        Tensor pq = input(b, prompt, lb.heads * lb.d, seed++, 0.3f), pk = input(b, prompt, lb.kv * lb.d, seed++, 0.3f);
        Tensor pv = input(b, prompt, lb.kv * lb.d, seed++), po = b.alloc(prompt, lb.heads * lb.d);
        b.lightning(pq, pk, pv, state, shape, slopes, scale, po);
        segs.push_back({total, lb.counts[i], state});
        total += lb.counts[i];
      }
      Tensor q = input(b, total, lb.heads * lb.d, 310, 0.3f), k = input(b, total, lb.kv * lb.d, 311, 0.3f);
      Tensor v = input(b, total, lb.kv * lb.d, 312), out = poisoned(b, total, lb.heads * lb.d);
      b.lightning_segments(q, k, v, segs, shape, slopes, scale, out);
      std::vector<float> result = b.download(out);
      for (const LightningSegment& sg : segs) append(result, b.download(sg.state));
      return result;
    });
  }
  for (auto [rows, vocab] : std::vector<std::array<int64_t, 2>>{{1, 128}, {9, 160}, {3, 151936}}) {
    add(fmt::format("score_targets_{}x{}", rows, vocab), [=](Backend& b) {
      Tensor logits = input(b, rows, vocab, 40, 3.0f);
      std::vector<int32_t> targets(static_cast<size_t>(rows));
      for (int64_t r = 0; r < rows; ++r) targets[size_t(r)] = int32_t((r * 37 + 5) % vocab);
      std::vector<float> out;
      for (const TokenScore& s : b.score_targets(logits, targets)) {
        out.push_back(s.logprob);
        out.push_back(s.logprob_bf16);
      }
      for (auto rounding : {LogitRounding::none, LogitRounding::bf16}) {
        for (int32_t i : b.argmax(logits, rounding)) out.push_back(float(i));
      }
      return out;
    });
  }
  // The runtime's LM head: fp32 logits (alloc_state) out of linear, then scoring and argmax.
  // 1,100 rows: more than one of the CUDA score_head's 1,024-row slices.
  for (auto [rows, vocab] : std::vector<std::array<int64_t, 2>>{{4, 128}, {17, 151936}, {1100, 3000}}) {
    add(fmt::format("lm_head_fp32_scoring_{}x{}", rows, vocab), [=](Backend& b) {
      Tensor x = input(b, rows, 64, 41), w = input(b, vocab, 64, 42, 0.5f);
      Tensor logits = b.alloc_state(rows, vocab);
      b.linear(x, w, logits);
      std::vector<int32_t> targets(static_cast<size_t>(rows));
      for (int64_t r = 0; r < rows; ++r) targets[size_t(r)] = int32_t((r * 101 + 3) % vocab);
      std::vector<float> out = b.download(logits.rows_view(0, 1));
      for (const TokenScore& s : b.score_targets(logits, targets)) {
        out.push_back(s.logprob);
        out.push_back(s.logprob_bf16);
      }
      for (auto rounding : {LogitRounding::none, LogitRounding::bf16}) {
        for (int32_t i : b.argmax(logits, rounding)) out.push_back(float(i));
      }
      // The same through score_head (CPU: the fused head; CUDA: linear + score_targets in slices).
      for (const TokenScore& s : b.score_head(x, w, targets)) {
        out.push_back(s.logprob);
        out.push_back(s.logprob_bf16);
        out.push_back(float(s.is_argmax));
      }
      return out;
    });
  }
  // Greedy picks from fp32 logits (alloc_state, out of linear) that tie only at bf16 resolution.
  // Every product is exact on both backends: head rows are [a, b, 0...] with bf16 values a and
  // b ∈ {-1, 0, 1}. Row 0's input is [1, 2^-10, 0...]: logit a + b·2^-10, which is 1 - 2^-10 at an
  // early id and 1 + 2^-10 at a later one (both round to 1.0 in bf16; every other id is at most
  // 31/32): bf16 → the early id, fp32 → the later. Rows 1.. are [c, 0...] with random bf16 c: logits
  // c·a, full of bf16 ties that both backends must resolve to the same lowest id.
  for (auto [rows, vocab] : std::vector<std::array<int64_t, 2>>{{3, 160}, {9, 151936}}) {
    add(fmt::format("argmax_bf16_ties_{}x{}", rows, vocab), [=](Backend& b) {
      constexpr int64_t kHidden = 8;
      std::vector<float> c = random_bf16(size_t(rows), 43);
      std::vector<float> x(size_t(rows * kHidden), 0.0f);
      for (int64_t r = 1; r < rows; ++r) x[size_t(r * kHidden)] = c[size_t(r)];
      x[0] = 1.0f;
      x[1] = std::ldexp(1.0f, -10);
      std::vector<float> w(size_t(vocab * kHidden), 0.0f);
      std::vector<float> a = random_bf16(size_t(vocab), 44, 0.3f);
      for (int64_t v = 0; v < vocab; ++v) w[size_t(v * kHidden)] = std::min(a[size_t(v)], 0.96875f);
      const int64_t early = vocab / 5, late = vocab - vocab / 3;
      w[size_t(early * kHidden)] = 1.0f;
      w[size_t(early * kHidden + 1)] = -1.0f;
      w[size_t(late * kHidden)] = 1.0f;
      w[size_t(late * kHidden + 1)] = 1.0f;
      Tensor xt = b.upload(x, rows, kHidden), wt = b.upload(w, vocab, kHidden);
      Tensor logits = b.alloc_state(rows, vocab);
      b.linear(xt, wt, logits);
      std::vector<int32_t> fp32 = b.argmax(logits, LogitRounding::none), bf16 = b.argmax(logits, LogitRounding::bf16);
      EXPECT_EQ(fp32[0], late) << b.name();
      EXPECT_EQ(bf16[0], early) << b.name();
      std::vector<float> out;
      for (size_t r = 0; r < fp32.size(); ++r) {
        out.push_back(float(fp32[r]));
        out.push_back(float(bf16[r]));
      }
      return out;
    });
  }
  // Rows holding a NaN or an infinity: argmax kNonFiniteRow, NaN log-probs (reported as 0/1 flags,
  // since the comparison treats a NaN output as unwritten).
  add("non_finite_rows", [](Backend& b) {
    const int64_t rows = 4, vocab = 3000;
    std::vector<float> values = random_bf16(size_t(rows * vocab), 45, 2.0f);
    values[size_t(1 * vocab + 2999)] = std::numeric_limits<float>::quiet_NaN();
    values[size_t(2 * vocab + 7)] = std::numeric_limits<float>::infinity();
    values[size_t(3 * vocab + 1500)] = -std::numeric_limits<float>::infinity();
    Tensor logits = b.upload(values, rows, vocab);
    std::vector<int32_t> targets = {5, 6, 7, 8};
    std::vector<float> out;
    for (const TokenScore& s : b.score_targets(logits, targets)) {
      out.push_back(float(std::isnan(s.logprob)));
      out.push_back(float(std::isnan(s.logprob_bf16)));
      out.push_back(float(s.is_argmax));
    }
    for (auto rounding : {LogitRounding::none, LogitRounding::bf16}) {
      for (int32_t i : b.argmax(logits, rounding)) out.push_back(float(i));
    }
    return out;
  });
  // KL(P‖Q) per row for `halo probe`: nearby distributions (the common case: a hybrid close to the
  // original), far ones, identical rows (exactly 0) and a vocabulary that is not a block multiple.
  for (int64_t vocab : {int64_t(151936), int64_t(1000)}) {
    add(fmt::format("kl_divergence_{}", vocab), [=](Backend& b) {
      const int64_t rows = 6;
      std::vector<float> p = random_bf16(size_t(rows * vocab), 46, 4.0f);
      std::vector<float> q = p;
      std::vector<float> noise = random_bf16(size_t(rows * vocab), 47, 1.0f);
      for (int64_t r = 0; r < rows; ++r) {
        const float strength = r == 0 ? 0.0f : r < 3 ? 0.05f : 3.0f;
        for (int64_t v = 0; v < vocab; ++v) {
          float& value = q[size_t(r * vocab + v)];
          value = round_to_bf16(value + strength * noise[size_t(r * vocab + v)]);
        }
      }
      // The logits live where the runtime keeps them, in fp32 state (alloc_state) written by
      // linear(): identity rows times the transposed values, exact for bf16 values on both backends.
      auto logits = [&](const std::vector<float>& values) {
        std::vector<float> identity(size_t(rows * rows), 0.0f), transposed(size_t(vocab * rows));
        for (int64_t r = 0; r < rows; ++r) {
          identity[size_t(r * rows + r)] = 1.0f;
          for (int64_t v = 0; v < vocab; ++v) transposed[size_t(v * rows + r)] = values[size_t(r * vocab + v)];
        }
        Tensor out = b.alloc_state(rows, vocab);
        b.linear(b.upload(identity, rows, rows), b.upload(transposed, vocab, rows), out);
        return out;
      };
      std::vector<double> kl = b.kl_divergence(logits(p), logits(q));
      EXPECT_EQ(kl[0], 0.0) << b.name();
      return std::vector<float>(kl.begin(), kl.end());
    });
  }
  // Where an fp32 backend may stray further from float64 than summation order alone explains:
  // logprob_bf16 is rounded to bf16, and a value next to a rounding boundary may go either way
  // (one bf16 step of a log-prob near -12 is 0.06, a relative error of ~4e-3 for the row).
  for (OpCase& c : cases) {
    if (c.name.starts_with("score_targets") || c.name.starts_with("lm_head_fp32_scoring")) c.tolerance.f32 = 1e-2;
  }
  return cases;
}

Comparison compare(const std::vector<float>& want, const std::vector<float>& got) {
  double diff = 0, norm = 0;
  size_t nan = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i])) {
      ++nan;
      continue;
    }
    diff += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
    norm += double(want[i]) * want[i];
  }
  return {std::sqrt(diff / std::max(norm, 1e-30)), nan};
}

}  // namespace halo::backend::testing
