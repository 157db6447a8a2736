// The BPE model over raw bytes: a piece starts as one symbol per byte and adjacent symbols are
// merged lowest rank first (leftmost first among equal ranks), exactly as HF's BPE::merge_word.
// Results per piece are cached, as HF does.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace halo::text {

struct MergeRule {
  int32_t left;
  int32_t right;
  int32_t merged;
};

class BpeModel {
 public:
  // `byte_ids[b]`: id of the one-byte token b. `merges` in rank order (rank = index).
  // `whole_tokens`: raw bytes → id of every vocabulary token, consulted first when
  // ignore_merges is set (a piece that is itself a token is emitted as is); empty otherwise.
  BpeModel(const std::array<int32_t, 256>& byte_ids, const std::vector<MergeRule>& merges,
           std::unordered_map<std::string, int32_t> whole_tokens);
  BpeModel(const BpeModel&) = delete;
  BpeModel& operator=(const BpeModel&) = delete;

  // Appends the ids of `piece` (non-empty raw bytes) to `out`. Thread-safe.
  void encode(std::string_view piece, std::vector<int32_t>& out) const;

 private:
  struct Rule {
    int32_t rank;
    int32_t merged;
  };
  // Open-addressing table (left, right) → rule: the hot lookup of the merge loop.
  class PairTable {
   public:
    explicit PairTable(size_t count);
    void insert(int32_t left, int32_t right, Rule rule);
    const Rule* find(int32_t left, int32_t right) const;

   private:
    size_t slot(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL) >> shift_; }
    std::vector<uint64_t> keys_;
    std::vector<Rule> rules_;
    int shift_;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  void merge(std::string_view piece, std::vector<int32_t>& out) const;

  std::array<int32_t, 256> byte_ids_;
  PairTable pairs_;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> whole_tokens_;

  mutable std::shared_mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int32_t>, StringHash, std::equal_to<>> cache_;
};

}  // namespace halo::text
