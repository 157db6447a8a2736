// Progress reporting on stderr: "label  done/total  rate/s  ETA". Redraws in place on a terminal,
// prints occasional plain lines otherwise (so logs stay readable).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace halo {

class Progress {
 public:
  Progress(std::string label, size_t total, bool enabled = true);
  ~Progress();
  void advance(size_t n = 1);
  void finish();
  double elapsed_seconds() const;

 private:
  void draw(bool final_line);

  std::string label_;
  size_t total_;
  size_t done_ = 0;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1h02m", "3m05s", "12s".
std::string format_duration(double seconds);

}  // namespace halo
