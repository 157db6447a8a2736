// Device selection and memory: tensors come from the device's stream-ordered memory pool
// (cudaMallocAsync), which keeps freed blocks for reuse, so the runtime's per-op temporaries cost no
// cudaMalloc; small ones are kept by the backend's own cache (cuda_block_cache.h), which costs less
// host time still, and their zero fill is lazy (cuda_lazy_zero.h). Upload converts fp32 to bf16 on the
// GPU; download converts back on the host.
#include <algorithm>
#include <cstring>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_block_cache.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_gemm.h"
#include "backend/cuda/cuda_kernels.h"
#include "backend/cuda/cuda_lazy_zero.h"
#include "backend/cuda/cuda_pinned_staging.h"
#include "base/bf16.h"
#include "base/error.h"

namespace halo::backend {

namespace {

size_t element_size(DType dtype) { return dtype == DType::f32 ? 4 : 2; }

// Stream-ordered free on the legacy stream, so a tensor may be dropped while kernels that read it
// are still queued. Errors here cannot be reported (destructors must not throw) and would resurface
// at the next checked call.
void free_async(void* p) { cudaFreeAsync(p, nullptr); }

// `what` and the shape name the allocation in the out-of-memory message (shape unused when rows < 0).
// When the pool runs out, the blocks `cache` keeps go back to it and the allocation is tried again.
void* device_alloc_raw(size_t bytes, int device, const char* what, int64_t rows = -1, int64_t cols = 0,
                       cuda::BlockCache* cache = nullptr) {
  void* p = nullptr;
  cudaError_t status = cudaMallocAsync(&p, bytes == 0 ? 1 : bytes, nullptr);
  if (status == cudaErrorMemoryAllocation && cache != nullptr) {
    cudaGetLastError();
    cache->release();
    status = cudaMallocAsync(&p, bytes == 0 ? 1 : bytes, nullptr);
  }
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    fail("cuda:{}: out of GPU memory allocating {:.1f} MiB for {}{} ({:.0f} MiB free of {:.0f} MiB)",
         device, double(bytes) / (1 << 20), what,
         rows < 0 ? std::string() : fmt::format(" [{}, {}]", rows, cols), double(free_bytes) / (1 << 20),
         double(total_bytes) / (1 << 20));
  }
  cuda::check(status, "alloc");
  return p;
}

std::shared_ptr<void> device_alloc(size_t bytes, int device, const char* what) {
  return std::shared_ptr<void>(device_alloc_raw(bytes, device, what), free_async);
}

}  // namespace

CudaBackend::CudaBackend(int device) : device_(device) {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess || count == 0) {
    cudaGetLastError();
    fail("--device cuda:{}: no CUDA device is available ({})", device,
         status == cudaSuccess ? "the driver reports 0 GPUs" : cudaGetErrorString(status));
  }
  if (device < 0 || device >= count) {
    fail("--device cuda:{}: this machine has {} CUDA device{} (cuda:0{})", device, count,
         count == 1 ? "" : "s", count == 1 ? "" : fmt::format("..cuda:{}", count - 1));
  }
  cuda::check(cudaSetDevice(device), "set device");
  cudaDeviceProp props{};
  cuda::check(cudaGetDeviceProperties(&props, device), "device properties");
  if (props.major < 8) {
    fail("--device cuda:{}: {} has compute capability {}.{}; the CUDA backend needs 8.0 or newer",
         device, props.name, props.major, props.minor);
  }
  device_name_ = props.name;
  // Keep freed pool memory for reuse instead of returning it to the driver at every sync.
  cudaMemPool_t pool = nullptr;
  cuda::check(cudaDeviceGetDefaultMemPool(&pool, device), "memory pool");
  uint64_t keep_all = UINT64_MAX;
  cuda::check(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep_all), "memory pool");
  gemm_ = std::make_unique<cuda::Gemm>(device);
  zeros_ = std::make_shared<cuda::LazyZero>();
  blocks_ = std::make_shared<cuda::BlockCache>();
  pinned_ = std::make_unique<cuda::PinnedStaging>();
}

CudaBackend::~CudaBackend() {
  if (scratch_.data) free_async(scratch_.data);
  for (Buffer& b : staged_) {
    if (b.data) free_async(b.data);
  }
}

std::string CudaBackend::name() const { return fmt::format("cuda:{} ({})", device_, device_name_); }

Tensor CudaBackend::alloc_typed(int64_t rows, int64_t cols, DType dtype) {
  // Every block is at least 1 byte: an empty tensor still has an address of its own.
  const size_t bytes = std::max<size_t>(size_t(rows) * size_t(cols) * element_size(dtype), 1);
  void* p = blocks_->take(bytes);
  if (p == nullptr) p = device_alloc_raw(bytes, device_, "a tensor", rows, cols, blocks_.get());
  // The deleter shares the bookkeeping and the cache, so tensors may outlive the backend.
  std::shared_ptr<void> storage(p, [zeros = zeros_, blocks = blocks_, bytes](void* q) {
    zeros->forget(q);
    blocks->give(q, bytes);
  });
  zeros_->owe(p, bytes);
  return Tensor(storage, p, dtype, rows, cols);
}

void CudaBackend::reading(const Tensor& t) {
  zeros_->before_read(t.data(), size_t(t.numel()) * element_size(t.dtype()));
}

void CudaBackend::writing(Tensor& t) {
  zeros_->before_write(t.data(), size_t(t.numel()) * element_size(t.dtype()));
}

Tensor CudaBackend::alloc_impl(int64_t rows, int64_t cols) { return alloc_typed(rows, cols, DType::bf16); }

Tensor CudaBackend::alloc_state_impl(int64_t rows, int64_t cols) {
  return alloc_typed(rows, cols, DType::f32);
}

Tensor CudaBackend::upload_impl(std::span<const float> values, int64_t rows, int64_t cols) {
  Tensor t = alloc_typed(rows, cols, DType::bf16);
  writing(t);
  if (values.empty()) return t;
  // fp32 goes up as is and is rounded on the GPU (round-to-nearest-even, like torch's cast), in
  // slices so a large embedding table needs little extra device memory.
  constexpr size_t kSlice = size_t(1) << 23;
  for (size_t begin = 0; begin < values.size(); begin += kSlice) {
    size_t n = std::min(kSlice, values.size() - begin);
    auto* staging = static_cast<float*>(scratch(n * sizeof(float)));
    cuda::check(cudaMemcpyAsync(staging, values.data() + begin, n * sizeof(float),
                                cudaMemcpyHostToDevice, nullptr),
                "upload");
    cuda::launch_f32_to_bf16(staging, static_cast<uint16_t*>(t.data()) + begin, int64_t(n));
  }
  return t;
}

std::vector<float> CudaBackend::download_impl(const Tensor& t) {
  std::vector<float> result(size_t(t.numel()));
  if (t.numel() == 0) return result;
  reading(t);
  if (t.dtype() == DType::f32) {
    cuda::check(cudaMemcpy(result.data(), t.data(), result.size() * 4, cudaMemcpyDeviceToHost),
                "download");
    return result;
  }
  std::vector<uint16_t> bits(result.size());
  cuda::check(cudaMemcpy(bits.data(), t.data(), bits.size() * 2, cudaMemcpyDeviceToHost), "download");
  for (size_t i = 0; i < bits.size(); ++i) result[i] = bf16_to_float(bits[i]);
  return result;
}

void CudaBackend::copy_impl(const Tensor& src, Tensor& dst) {
  reading(src);
  writing(dst);
  cuda::check(cudaMemcpyAsync(dst.data(), src.data(), size_t(src.numel()) * element_size(src.dtype()),
                              cudaMemcpyDeviceToDevice, nullptr),
              "copy");
}

void* CudaBackend::scratch(size_t bytes) {
  if (bytes > scratch_.bytes) {
    if (scratch_.data) free_async(scratch_.data);
    scratch_ = {};
    void* p = nullptr;
    cudaError_t status = cudaMallocAsync(&p, bytes, nullptr);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      fail("cuda:{}: out of GPU memory allocating {:.1f} MiB of scratch", device_,
           double(bytes) / (1 << 20));
    }
    cuda::check(status, "scratch");
    scratch_ = {p, bytes};
  }
  return scratch_.data;
}

const void* CudaBackend::stage(int slot, const void* data, size_t bytes, bool may_reuse) {
  Buffer& b = staged_[slot];
  std::vector<char>& last = staged_bytes_[slot];
  // Only stage() writes a reusable slot's device buffer, so if it last staged these very bytes,
  // the device already holds them (in stream order).
  if (may_reuse && last.size() == bytes && std::memcmp(last.data(), data, bytes) == 0) return b.data;
  last.clear();
  if (bytes > b.bytes) {
    if (b.data) free_async(b.data);
    b = {};
    size_t size = std::max<size_t>(bytes, 4096);
    cuda::check(cudaMallocAsync(&b.data, size, nullptr), "stage");
    b.bytes = size;
  }
  // Through page-locked memory, so the host does not wait for the GPU; arrays too large for it
  // (a long prefill's positions) go from pageable memory, which may wait. Either way the caller's
  // span may go away at once, and the device copy happens in stream order.
  if (!pinned_->copy(b.data, data, bytes)) {
    cuda::check(cudaMemcpyAsync(b.data, data, bytes, cudaMemcpyHostToDevice, nullptr), "stage");
  }
  // Remembered only once the copy is queued: a failed staging is never taken for a done one.
  if (may_reuse) last.assign(static_cast<const char*>(data), static_cast<const char*>(data) + bytes);
  return b.data;
}

const float* CudaBackend::constant_table(std::span<const float> values) {
  for (const auto& [host, device] : tables_) {
    if (host.size() == values.size() &&
        std::memcmp(host.data(), values.data(), values.size() * sizeof(float)) == 0) {
      return static_cast<const float*>(device.get());
    }
  }
  std::shared_ptr<void> device = device_alloc(values.size_bytes(), device_, "a constant table");
  cuda::check(cudaMemcpy(device.get(), values.data(), values.size_bytes(), cudaMemcpyHostToDevice),
              "constant table");
  tables_.emplace_back(std::vector<float>(values.begin(), values.end()), device);
  return static_cast<const float*>(device.get());
}

size_t CudaBackend::peak_memory_bytes() const {
  cudaMemPool_t pool = nullptr;
  cuda::check(cudaDeviceGetDefaultMemPool(&pool, device_), "memory pool");
  uint64_t high = 0;
  cuda::check(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReservedMemHigh, &high), "memory pool");
  return size_t(high);
}

void CudaBackend::synchronize() { cuda::check(cudaDeviceSynchronize(), "synchronize"); }

std::unique_ptr<Backend> make_cuda_backend(int device) {
  return std::make_unique<CudaBackend>(device);
}

int cuda_device_count_or_zero() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

void CudaBackend::bind_to_current_thread() { cuda::check(cudaSetDevice(device_), "set device"); }

}  // namespace halo::backend
