#include "backend/cuda/cuda_check.h"

#include "base/error.h"

namespace halo::backend::cuda {

std::string error_message(std::string_view op, std::string_view code, std::string_view detail) {
  return fmt::format("cuda {}: {} ({})", op, detail, code);
}

void check(cudaError_t status, std::string_view op) {
  if (status == cudaSuccess) return;
  // Clears the sticky "last error" of non-fatal failures so later calls do not report it again.
  cudaGetLastError();
  throw Error(error_message(op, cudaGetErrorName(status), cudaGetErrorString(status)));
}

void check(cublasStatus_t status, std::string_view op) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error(error_message(op, cublasLtGetStatusName(status), cublasLtGetStatusString(status)));
}

void check_launch(std::string_view op) { check(cudaGetLastError(), op); }

}  // namespace halo::backend::cuda
