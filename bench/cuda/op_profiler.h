// Charges the wall time of every backend operation plus its device work (it synchronises after
// each op) to the op's name, through the Backend front's observer hook. Synchronising removes the
// overlap of host launches and device work, so totals exceed a normal run; the split between ops
// is what it is for: which op to make faster.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>

#include "backend/backend.h"

namespace halo::bench {

class OpProfiler final : public backend::OpObserver {
 public:
  // Watches `backend` until destroyed.
  explicit OpProfiler(backend::Backend& backend) : backend_(backend) {
    backend_.synchronize();
    backend_.set_observer(this);
  }
  ~OpProfiler() override { backend_.set_observer(nullptr); }
  OpProfiler(const OpProfiler&) = delete;
  OpProfiler& operator=(const OpProfiler&) = delete;

  void op_begin(const char* op, int64_t rows) override {
    // A one-row linear is a decoding step's GEMV: a different kernel, so its own line.
    current_ = std::string(op) + (rows == 1 && std::string_view(op) == "linear" ? " (1 row)" : "");
    start_ = std::chrono::steady_clock::now();
  }
  void op_end(const char*) override {
    backend_.synchronize();
    Entry& e = totals_[current_];
    e.calls++;
    e.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  // "op  calls  ms  share" lines, largest first, then clears the totals.
  std::string report() {
    std::vector<std::pair<std::string, Entry>> rows(totals_.begin(), totals_.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
    double all = 0;
    for (const auto& r : rows) all += r.second.seconds;
    std::string out;
    for (const auto& [op, e] : rows) {
      out += fmt::format("  {:<18} {:>8} calls {:>10.2f} ms {:>5.1f}%\n", op, e.calls, e.seconds * 1e3,
                         100 * e.seconds / all);
    }
    totals_.clear();
    return out;
  }

 private:
  struct Entry {
    int64_t calls = 0;
    double seconds = 0;
  };
  backend::Backend& backend_;
  std::map<std::string, Entry> totals_;
  std::string current_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace halo::bench
