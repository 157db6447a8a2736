// The normaliser step: NFC (utf8proc) or nothing.
#pragma once

#include <string>
#include <string_view>

namespace halo::text {

// Unicode NFC of valid UTF-8 `text`: `text` itself when already trivially in NFC, else a view of
// `storage`, which receives the normalised copy.
std::string_view nfc(std::string_view text, std::string& storage);

}  // namespace halo::text
