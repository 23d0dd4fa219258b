// The HFI devices open in this process (one per endpoint, one per rail).
//
// A connect handshake blocks the device that starts it until the peer
// answers - and the peer may be another endpoint or rail of a process that
// is itself blocked in a connect at that moment (PSM2_MULTI_EP all-to-all,
// or two multirail endpoints connecting their second rails). While it
// waits, a connecting device therefore lets every other device of its
// process receive too, quietly: packets are handled (handshakes answered,
// acks noted) and upcalls wait for that device's own progress().
//
// Every API call runs under the library's API lock, so the devices visited
// are never in use by another thread meanwhile.
#pragma once

namespace psm::hal::ips {

class IpsDevice;

void register_device(IpsDevice* d);
void unregister_device(IpsDevice* d);
// Quietly receives on every registered device but `except`.
void poll_other_devices(const IpsDevice* except);

}  // namespace psm::hal::ips
