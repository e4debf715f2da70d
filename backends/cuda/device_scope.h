// Makes a CUDA device current on the calling thread for a scope and restores the previous one:
// an engine's work runs on its own device whatever device the caller's thread has current.
#pragma once

namespace lowp::cuda {

class DeviceScope {
 public:
  // Throws lowp::Error (kBackend) when the device cannot be made current.
  explicit DeviceScope(int device);
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = -1;  // -1: nothing to restore
};

}  // namespace lowp::cuda
