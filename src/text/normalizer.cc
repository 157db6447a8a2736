#include "text/normalizer.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

#include "base/error.h"

namespace halo::text {

namespace {

// Code points below U+0300 are NFC-stable on their own and never combine with a preceding
// character (the first combining mark is U+0300), so a run of them is already in NFC. Text that is
// mostly Latin skips utf8proc entirely.
bool trivially_nfc(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0xCC) return false;  // lead bytes of U+0300 and above
  }
  return true;
}

}  // namespace

std::string_view nfc(std::string_view text, std::string& storage) {
  if (trivially_nfc(text)) return text;
  utf8proc_uint8_t* result = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                          static_cast<utf8proc_ssize_t>(text.size()), &result,
                                          static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(result, &std::free);
  // Input is validated UTF-8 before it gets here, so this only fails on allocation failure.
  if (n < 0) fail("NFC normalisation failed: {}", utf8proc_errmsg(n));
  storage.assign(reinterpret_cast<const char*>(result), static_cast<size_t>(n));
  return storage;
}

}  // namespace halo::text
