// SHA-256 (FIPS 180-4), for digests that must equal what other tools compute: lm-eval's samples
// files carry sha256 hex digests of documents, prompts and targets (eval/lm_eval_output.h).
#pragma once

#include <string>
#include <string_view>

namespace halo {

// Lower-case hex digest of `bytes`, as Python's hashlib.sha256(bytes).hexdigest().
std::string sha256_hex(std::string_view bytes);

}  // namespace halo
