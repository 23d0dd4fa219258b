// "An HFI user context": what the reliable protocol needs from a device,
// whether it is the real hfi1 character device or the simulated HFI.
// One receive context (header queue + eager buffers + expected/TID table)
// and one send context (PIO for small packets, SDMA for streams).
//
// Packets are whole wire packets: the generation's header (PBC..KDETH, see
// generation.h), then the protocol header and payload ("l4" bytes).
#pragma once

#include <cstdint>
#include <memory>

#include "hal/hfi/generation.h"
#include "psm2.h"

namespace psm::hal::hfi {

struct ContextInfo {
    Generation gen = Generation::Gen1;
    uint32_t unit = 0;
    uint32_t port = 1;
    uint32_t context = 0;
    uint32_t subcontext = 0;
    uint32_t lid = 0;
    uint32_t mtu = 0;              // largest payload after the protocol header
    uint32_t pio_credits = 0;      // 64-byte PIO blocks
    uint32_t egr_count = 0;        // eager buffers
    uint32_t egr_size = 0;         // bytes each
    uint32_t rcvhdrq_count = 0;
    uint32_t rcvhdrq_entsize = 0;  // bytes
    uint32_t tid_count = 0;        // expected-receive entries
    uint32_t tid_max_bytes = 0;    // bytes one TID entry can cover
    uint16_t jkey = 0;
    uint8_t bthqp = 0x80;
    uint16_t pkey = 0x8001;
};

// One received packet, valid until Context::release().
struct RecvPacket {
    const uint8_t* hdr = nullptr;   // wire header + protocol header
    uint32_t hdr_len = 0;
    const uint8_t* payload = nullptr;
    uint32_t payload_len = 0;
    uint32_t errors = 0;            // kErr* bits (RHF error flags)
};

inline constexpr uint32_t kErrIcrc = 0x1;   // packet damaged on the wire: drop it
inline constexpr uint32_t kErrLen = 0x2;    // header length inconsistent

// Where an outgoing packet goes. On real hardware the DLID routes it; the
// simulated fabric also needs the destination context, which the BTH holds.
struct Route {
    uint32_t dlid = 0;
    uint32_t context = 0;
};

class Context {
public:
    virtual ~Context() = default;
    virtual const ContextInfo& info() const = 0;

    // Send one packet (header hdr_len bytes, payload len bytes). Returns
    // PSM2_OK, PSM2_EP_NO_RESOURCES when no credits/room right now (retry
    // after polling), PSM2_EPID_UNREACHABLE when the destination context does
    // not exist (any more).
    virtual psm2_error_t send(const Route& to, const uint8_t* hdr, uint32_t hdr_len,
                              const void* payload, uint32_t len) = 0;
    // Next received packet, or false when the queue is empty.
    virtual bool peek(RecvPacket* out) = 0;
    // Hand the packet from peek() back (advances the queue head).
    virtual void release() = 0;

    // Expected receive: register [buf, buf+len) and return the first TID
    // index in *tid; entries cover tid_max_bytes each, consecutively.
    virtual psm2_error_t tid_program(void* buf, uint32_t len, uint32_t* tid, uint32_t* count) = 0;
    virtual void tid_free(uint32_t tid, uint32_t count) = 0;
    // Host address for bytes at offset inside TID entry tid (nullptr if the
    // entry is not programmed or the range falls outside it).
    virtual void* tid_target(uint32_t tid, uint32_t offset, uint32_t len) = 0;

    // Is the owner of (lid, context) still alive? Real hardware cannot tell
    // (false positives are fine: the protocol's timeout decides then).
    virtual bool peer_alive(const Route& to) = 0;
    // A new connection to `to` starts: whatever was known about an earlier
    // owner of that address (a process that died) no longer applies.
    virtual void forget(const Route& to) { (void)to; }
};

struct OpenRequest {
    int unit = -1;        // -1 = any
    int port = 0;         // 0 = any
    psm2_uuid_t uuid{};
};

// Opens a context on the simulated fabric when PSM2_SIM names one, else on
// /dev/hfi1_N. PSM2_EP_NO_DEVICE at once when neither exists.
psm2_error_t open_context(const OpenRequest& req, std::unique_ptr<Context>* out);

// Would open_context find a device? Cheap: environment + one stat().
bool device_present();

}  // namespace psm::hal::hfi
