#include <charconv>

#include "backend/backend.h"
#include "backend/cpu/cpu_backend.h"
#include "base/error.h"
#ifdef HALO_HAVE_CUDA
#include "backend/cuda/cuda_backend.h"
#endif

namespace halo::backend {

DeviceSpec parse_device(const std::string& text) {
  if (text == "cpu") return {DeviceKind::cpu, 0};
  if (text == "cuda") return {DeviceKind::cuda, 0};
  if (text.rfind("cuda:", 0) == 0) {
    int index = -1;
    const char* begin = text.data() + 5;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(begin, end, index);
    if (ec == std::errc() && ptr == end && begin != end && index >= 0) {
      return {DeviceKind::cuda, index};
    }
  }
  fail("--device: '{}' is not a device (use cpu, cuda or cuda:N)", text);
}

std::unique_ptr<Backend> make_backend(const DeviceSpec& device) {
  switch (device.kind) {
    case DeviceKind::cpu:
      return std::make_unique<CpuBackend>();
    case DeviceKind::cuda:
#ifdef HALO_HAVE_CUDA
      return make_cuda_backend(device.index);
#else
      fail("--device cuda:{}: this build of halo has no CUDA backend", device.index);
#endif
  }
  fail("internal: unknown device kind");
}

}  // namespace halo::backend
