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

std::vector<DeviceSpec> parse_devices(const std::string& text) {
  std::vector<DeviceSpec> devices;
  size_t start = 0;
  bool cuda_list = false;  // after "cuda:N", a bare "M" means cuda:M
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(start, comma - start);
    start = comma + 1;
    if (item == "cuda:all") {
      const int count = cuda_device_count();
      if (count == 0) fail("--device cuda:all: no CUDA device is available");
      for (int i = 0; i < count; ++i) devices.push_back({DeviceKind::cuda, i});
      cuda_list = false;
      continue;
    }
    if (cuda_list && !item.empty() && item.find(':') == std::string::npos && item != "cpu" && item != "cuda") {
      item = "cuda:" + item;
    }
    try {
      devices.push_back(parse_device(item));
    } catch (const Error&) {
      fail("--device: '{}' is not a device list (use cpu, cuda, cuda:N, cuda:0,1,2,3 or cuda:all)", text);
    }
    cuda_list = item.rfind("cuda:", 0) == 0;
  }
  return devices;
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

int cuda_device_count() {
#ifdef HALO_HAVE_CUDA
  return cuda_device_count_or_zero();
#else
  return 0;
#endif
}

}  // namespace halo::backend
