// CudaBackend::kl_divergence: the host side of cuda_divergence.cu (fp32 logits, as Decoder::logits
// makes them through alloc_state).
#include <cuda_runtime.h>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_kernels.h"
#include "base/error.h"

namespace halo::backend {

std::vector<double> CudaBackend::kl_divergence_impl(const Tensor& p_logits, const Tensor& q_logits) {
  if (p_logits.dtype() != DType::f32 || q_logits.dtype() != DType::f32) {
    fail("internal: kl_divergence needs fp32 logits (alloc_state)");
  }
  std::vector<double> out(size_t(p_logits.rows()));
  if (out.empty() || p_logits.cols() == 0) return out;
  reading(p_logits);
  reading(q_logits);
  auto* device_out = static_cast<double*>(scratch(out.size() * sizeof(double)));
  cuda::launch_kl_rows(static_cast<const float*>(p_logits.data()), static_cast<const float*>(q_logits.data()),
                       p_logits.rows(), p_logits.cols(), device_out);
  cuda::check(cudaMemcpy(out.data(), device_out, out.size() * sizeof(double), cudaMemcpyDeviceToHost),
              "kl_divergence");
  return out;
}

}  // namespace halo::backend
