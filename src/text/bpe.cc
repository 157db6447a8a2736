#include "text/bpe.h"

#include <algorithm>
#include <bit>
#include <functional>

namespace halo::text {

namespace {

// Pieces longer than this are rare (long runs of one character class) and seldom repeat, so they
// are not worth caching; bounding the cache keeps memory flat on any input.
constexpr size_t kMaxCachedPieceBytes = 64;
constexpr size_t kMaxCacheEntries = 1 << 16;

constexpr uint64_t kEmpty = ~uint64_t{0};  // never a key: ids are non-negative int32

uint64_t pair_key(int32_t left, int32_t right) {
  return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
}

}  // namespace

BpeModel::PairTable::PairTable(size_t count) {
  const size_t capacity = std::bit_ceil(std::max<size_t>(16, count * 2));  // load factor <= 1/2
  shift_ = 64 - std::countr_zero(capacity);
  keys_.assign(capacity, kEmpty);
  rules_.resize(capacity);
}

void BpeModel::PairTable::insert(int32_t left, int32_t right, Rule rule) {
  const uint64_t key = pair_key(left, right);
  const size_t mask = keys_.size() - 1;
  for (size_t i = slot(key);; i = (i + 1) & mask) {
    if (keys_[i] == key) {  // a repeated merge takes its last rank, as HF's map built in order
      rules_[i] = rule;
      return;
    }
    if (keys_[i] == kEmpty) {
      keys_[i] = key;
      rules_[i] = rule;
      return;
    }
  }
}

const BpeModel::Rule* BpeModel::PairTable::find(int32_t left, int32_t right) const {
  const uint64_t key = pair_key(left, right);
  const size_t mask = keys_.size() - 1;
  for (size_t i = slot(key);; i = (i + 1) & mask) {
    if (keys_[i] == key) return &rules_[i];
    if (keys_[i] == kEmpty) return nullptr;
  }
}

BpeModel::BpeModel(const std::array<int32_t, 256>& byte_ids, const std::vector<MergeRule>& merges,
                   std::unordered_map<std::string, int32_t> whole_tokens)
    : byte_ids_(byte_ids), pairs_(merges.size()), whole_tokens_(whole_tokens.begin(), whole_tokens.end()) {
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    pairs_.insert(merges[rank].left, merges[rank].right, Rule{int32_t(rank), merges[rank].merged});
  }
}

void BpeModel::encode(std::string_view piece, std::vector<int32_t>& out) const {
  if (!whole_tokens_.empty()) {
    if (auto it = whole_tokens_.find(piece); it != whole_tokens_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const bool cacheable = piece.size() <= kMaxCachedPieceBytes;
  if (cacheable) {
    std::shared_lock lock(cache_mutex_);
    if (auto it = cache_.find(piece); it != cache_.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t first = out.size();
  merge(piece, out);
  if (cacheable) {
    std::unique_lock lock(cache_mutex_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_.emplace(std::string(piece), std::vector<int32_t>(out.begin() + first, out.end()));
  }
}

void BpeModel::merge(std::string_view piece, std::vector<int32_t>& out) const {
  const size_t n = piece.size();
  if (n == 1) {
    out.push_back(byte_ids_[static_cast<unsigned char>(piece[0])]);
    return;
  }
  // Symbols form a doubly linked list over positions; a merged-away symbol gets id -1.
  thread_local std::vector<int32_t> ids, prev, next;
  ids.resize(n);
  prev.resize(n);
  next.resize(n);
  for (size_t i = 0; i < n; ++i) {
    ids[i] = byte_ids_[static_cast<unsigned char>(piece[i])];
    prev[i] = int32_t(i) - 1;
    next[i] = i + 1 < n ? int32_t(i + 1) : -1;
  }
  // Candidate merges ordered by (rank, position): the lowest rank wins and, for one rank, the
  // leftmost pair. Entries go stale when a neighbour merges; they are re-validated when popped.
  struct Candidate {
    int32_t rank;
    int32_t pos;
    int32_t merged;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  thread_local std::vector<Candidate> heap;
  heap.clear();
  auto push = [&](int32_t pos) {
    const int32_t right = next[pos];
    if (right < 0) return;
    if (const Rule* rule = pairs_.find(ids[pos], ids[right])) {
      heap.push_back({rule->rank, pos, rule->merged});
      std::push_heap(heap.begin(), heap.end(), std::greater<>{});
    }
  };
  for (size_t i = 0; i + 1 < n; ++i) push(int32_t(i));
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
    const Candidate c = heap.back();
    heap.pop_back();
    const int32_t right = next[c.pos];
    if (ids[c.pos] < 0 || right < 0) continue;
    const Rule* rule = pairs_.find(ids[c.pos], ids[right]);
    if (!rule || rule->rank != c.rank) continue;  // stale: the pair here changed since the push
    ids[c.pos] = c.merged;
    ids[right] = -1;
    next[c.pos] = next[right];
    if (next[right] >= 0) prev[next[right]] = c.pos;
    if (prev[c.pos] >= 0) push(prev[c.pos]);
    push(c.pos);
  }
  for (int32_t i = 0; i >= 0; i = next[i]) out.push_back(ids[i]);
}

}  // namespace halo::text
