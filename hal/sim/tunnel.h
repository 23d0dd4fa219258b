// UDP tunnel joining the simulated fabrics of several hosts. Every host runs
// the same fabric name with its own LID base (PSM2_SIM_LID), and
// PSM2_SIM_TUNNEL lists where each LID lives:
//     PSM2_SIM_TUNNEL="1@10.0.0.1:41000,2@10.0.0.2:41000"
// Context c of the unit with LID l listens on UDP port (port of l) + c; a
// packet for a LID that is not local goes there as one datagram. There is
// no switch process; lost datagrams are the reliable protocol's business,
// like any other loss.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

namespace psm::hal::sim {

struct TunnelEntry {
    uint32_t lid = 0;
    sockaddr_in addr{};   // host and base port
};

// Parses "lid@ipv4:port,..."; false (with a warning) for malformed text.
bool parse_tunnel(const std::string& text, std::vector<TunnelEntry>* out);

class Tunnel {
public:
    Tunnel() = default;
    ~Tunnel();
    Tunnel(const Tunnel&) = delete;
    Tunnel& operator=(const Tunnel&) = delete;

    // Binds this context's port when local_lid is listed. False when the
    // tunnel is not configured (or not for this LID): then it stays off.
    bool open(const std::vector<TunnelEntry>& entries, uint32_t local_lid, uint32_t context);
    bool enabled() const { return fd_ >= 0; }
    bool knows(uint32_t lid) const;

    // One packet to (lid, context). false when the datagram could not be
    // handed to the kernel (the caller treats it as lost).
    bool send(uint32_t lid, uint32_t context, const uint8_t* hdr, uint32_t hdr_len,
              const void* payload, uint32_t len, uint32_t flags, uint32_t crc);
    // Next datagram, if any. Pointers stay valid until the next call.
    bool receive(const uint8_t** hdr, uint32_t* hdr_len, const uint8_t** payload, uint32_t* len,
                 uint32_t* flags, uint32_t* crc);

private:
    int fd_ = -1;
    std::vector<TunnelEntry> entries_;
    std::vector<uint8_t> rx_, tx_;
};

}  // namespace psm::hal::sim
