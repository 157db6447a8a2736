// Host-side checks of the CUDA backend that need no GPU (CI runs them on machines without one):
// device-string parsing, the form of CUDA error messages, and a clean one-line error for a device
// index that cannot exist, with or without a GPU present.
#include <gtest/gtest.h>

#include "backend/backend.h"
#include "backend/cuda/cuda_check.h"
#include "base/error.h"

namespace halo::backend {
namespace {

TEST(CudaHost, ParsesDeviceStrings) {
  EXPECT_EQ(parse_device("cuda").kind, DeviceKind::cuda);
  EXPECT_EQ(parse_device("cuda").index, 0);
  EXPECT_EQ(parse_device("cuda:3").index, 3);
  EXPECT_EQ(parse_device("cpu").kind, DeviceKind::cpu);
  for (const char* bad : {"cuda:", "cuda:-1", "cuda:x", "cuda:1x", "gpu", "CUDA"}) {
    EXPECT_THROW(parse_device(bad), Error) << bad;
  }
}

TEST(CudaHost, ErrorMessagesNameTheOperation) {
  EXPECT_EQ(cuda::error_message("rms_norm", "cudaErrorIllegalAddress", "an illegal memory access"),
            "cuda rms_norm: an illegal memory access (cudaErrorIllegalAddress)");
  try {
    cuda::check(cudaErrorInvalidValue, "copy");
    FAIL() << "check did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cuda copy: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cudaErrorInvalidValue"), std::string::npos) << e.what();
  }
  try {
    cuda::check(CUBLAS_STATUS_NOT_SUPPORTED, "linear");
    FAIL() << "check did not throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cuda linear: "), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(cuda::check(cudaSuccess, "anything"));
}

// No machine has 1000 GPUs: without a GPU this reports that none is available, with GPUs that the
// index is out of range. Either way a one-line halo::Error that names the flag value.
TEST(CudaHost, ImpossibleDeviceIsACleanError) {
  try {
    make_backend(parse_device("cuda:1000"));
    FAIL() << "make_backend did not throw";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(message.rfind("--device cuda:1000: ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// On a machine without a GPU (CI), cuda:0 must fail the same clean way rather than crash.
TEST(CudaHost, NoGpuMeansCleanErrorForCuda0) {
  int count = 0;
  if (cudaGetDeviceCount(&count) == cudaSuccess && count > 0) {
    GTEST_SKIP() << "this machine has a GPU; covered by the gpu-labelled tests";
  }
  cudaGetLastError();
  try {
    make_backend(parse_device("cuda"));
    FAIL() << "make_backend did not throw";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(message.rfind("--device cuda:0: no CUDA device is available", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace halo::backend
