#include "eval/sweep_layout.h"

#include <fmt/format.h>

#include <charconv>
#include <system_error>

#include "base/error.h"

namespace halo::eval {

std::string layer_folder(int layer) { return fmt::format("layer{}", layer); }

int layer_of_folder(std::string_view name, bool prefix_only) {
  constexpr std::string_view kLayer = "layer";
  if (!name.starts_with(kLayer)) return -1;
  const char* first = name.data() + kLayer.size();
  const char* last = name.data() + name.size();
  int layer = -1;
  auto [end, ec] = std::from_chars(first, last, layer);
  if (ec == std::errc::result_out_of_range) fail("{}: layer index out of range", name);
  if (ec != std::errc() || end == first) return -1;
  if (!prefix_only && end != last) return -1;
  return layer;
}

std::optional<std::string> plain_name_problem(std::string_view name) {
  if (name.empty()) return "it is empty";
  if (name == "." || name == "..") return fmt::format("\"{}\" names a folder, not a file", name);
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\') return fmt::format("it contains '{}'", c);
    if (byte < 0x20 || byte == 0x7f) return fmt::format("it contains the control character 0x{:02x}", byte);
  }
  return std::nullopt;
}

}  // namespace halo::eval
