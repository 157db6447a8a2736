// Error checking for every CUDA runtime and cuBLASLt call: a failure becomes a one-line
// halo::Error naming the backend operation ("cuda rms_norm: an illegal memory access ...").
#pragma once

#include <cublasLt.h>
#include <cuda_runtime_api.h>

#include <string>
#include <string_view>

namespace halo::backend::cuda {

// The message for a failed call; split out so host-only tests can check its form.
std::string error_message(std::string_view op, std::string_view code, std::string_view detail);

void check(cudaError_t status, std::string_view op);
void check(cublasStatus_t status, std::string_view op);
// After a kernel launch: reports a bad launch configuration (or an earlier asynchronous fault).
void check_launch(std::string_view op);

}  // namespace halo::backend::cuda
