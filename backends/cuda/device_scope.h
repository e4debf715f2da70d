// Makes a CUDA device current on the calling thread for a scope and restores what was current
// before: an engine's work runs on its own device whatever device the caller's thread has current,
// and the caller's thread is left as it was (a thread with no CUDA context stays without one, so
// no context is created on a device the process does not use).
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
  enum class Restore { kNothing, kDevice, kNoContext };
  Restore restore_ = Restore::kNothing;
  int previous_ = -1;  // kDevice: the device to make current again
};

}  // namespace lowp::cuda
