// Charges the wall time of every backend operation plus its device work (it synchronises after
// each op) to the op's name, through the Backend front's observer hook. Synchronising removes the
// overlap of host launches and device work, so totals exceed a normal run; the split between ops
// is what it is for: which op to make faster.
//
// In host mode (Mode::host) it does not synchronise: each op is charged only the host time its
// call took (checks, allocation, the launch), and the time between ops — the runtime's own work —
// goes to "(between ops)". That split says what a host-bound decoding step spends its time on.
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
  enum class Mode { device, host };
  // Watches `backend` until destroyed.
  explicit OpProfiler(backend::Backend& backend, Mode mode = Mode::device) : backend_(backend), mode_(mode) {
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
    if (mode_ == Mode::host && have_end_) {
      Entry& gap = totals_["(between ops)"];
      gap.calls++;
      gap.seconds += std::chrono::duration<double>(start_ - last_end_).count();
    }
  }
  void op_end(const char*) override {
    if (mode_ == Mode::device) backend_.synchronize();
    last_end_ = std::chrono::steady_clock::now();
    have_end_ = true;
    Entry& e = totals_[current_];
    e.calls++;
    e.seconds += std::chrono::duration<double>(last_end_ - start_).count();
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
    have_end_ = false;
    return out;
  }

 private:
  struct Entry {
    int64_t calls = 0;
    double seconds = 0;
  };
  backend::Backend& backend_;
  Mode mode_;
  std::map<std::string, Entry> totals_;
  std::string current_;
  std::chrono::steady_clock::time_point start_, last_end_;
  bool have_end_ = false;
};

}  // namespace halo::bench
