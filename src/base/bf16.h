// bfloat16 and float16 conversions. Weights are usually stored as bf16; the CPU backend computes in
// fp32, and lm-eval-compatible scoring needs round-to-nearest-even back to bf16.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace halo {

inline float bf16_to_float(uint16_t bits) { return std::bit_cast<float>(uint32_t(bits) << 16); }

// Round-to-nearest-even, as torch's float→bfloat16 cast does; NaN stays a quiet NaN.
inline uint16_t float_to_bf16(float value) {
  uint32_t u = std::bit_cast<uint32_t>(value);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  uint32_t rounding = 0x7fffu + ((u >> 16) & 1u);
  return uint16_t((u + rounding) >> 16);
}

// The float that a value becomes after a round trip through bf16.
inline float round_to_bf16(float value) { return bf16_to_float(float_to_bf16(value)); }

// IEEE half precision to float, subnormals and specials included.
inline float f16_to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  if (exponent == 0) {
    float magnitude = std::ldexp(float(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// Float to IEEE half, round-to-nearest-even (used by the safetensors writer and tests).
inline uint16_t float_to_f16(float value) {
  uint32_t u = std::bit_cast<uint32_t>(value);
  uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return uint16_t(sign | 0x7e00u);
  if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // overflow to infinity
  if (abs < 0x38800000u) {                                   // subnormal half (or zero)
    float magnitude = std::bit_cast<float>(abs);
    return uint16_t(sign | uint16_t(std::nearbyint(std::ldexp(magnitude, 24))));
  }
  uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
  return uint16_t(sign | ((rounded - 0x38000000u) >> 13));
}

}  // namespace halo
