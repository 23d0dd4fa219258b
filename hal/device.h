// The one interface between the transport-agnostic engine (mq/) and a
// transport backend (hal/<backend>/). Backends include only hal/ headers and
// the public psm2*.h headers; they never include mq/ or psm/.
//
// Calls go two ways:
//   engine -> device : Device (send eager, send RTS, pull after match, AM, progress)
//   device -> engine : Sink   (message arrived, RTS arrived, pull done, send done, AM)
// Both are virtual at message granularity, never per byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "psm2.h"
#include "psm2_am.h"

namespace psm::hal {

// 96-bit tag exactly as psm2_mq_tag_t lays it out (3 x 32-bit words).
struct Tag96 {
    uint32_t w[3];
};

// What a device needs to know about the peer it is asked to carry a message
// to. The engine hands this back in every upcall so that the engine can find
// its own peer state (the cookie is the psm2_epaddr_t of the peer).
struct Conn {
    void* peer_cookie = nullptr;   // engine-owned, opaque to the device
    psm2_epid_t epid = 0;          // remote epid
    virtual ~Conn() = default;
};

// Opaque rendezvous handle the device puts into on_rts() and receives back
// in pull(); 32 bytes is enough for (pid, address, length, sender cookie).
struct RndvToken {
    uint64_t w[4];
};

// AM message as carried by a device. Arguments are psm2_amarg_t (8 bytes).
struct AmPacket {
    uint32_t handler = 0;          // handler index at the target
    uint32_t nargs = 0;
    const psm2_amarg_t* args = nullptr;
    const void* payload = nullptr;
    uint32_t len = 0;
    uint32_t flags = 0;            // PSM2_AM_FLAG_*
    bool is_reply = false;
    uint64_t completion = 0;       // sender-side cookie echoed back for reply/ack (0 = none)
};

// Upcalls from a device into the engine. Pointers passed in are valid only for
// the duration of the call.
class Sink {
public:
    virtual ~Sink() = default;
    // Eager message (payload complete). Per connection, on_eager and on_rts are
    // delivered in the order the sender issued them.
    virtual void on_eager(Conn& from, const Tag96& tag, const void* payload, uint32_t len) = 0;
    // Rendezvous announcement: len bytes wait at the sender; after matching
    // the engine calls Device::pull(token, ...).
    virtual void on_rts(Conn& from, const Tag96& tag, uint32_t len, const RndvToken& token) = 0;
    // The data of a pull() landed (or failed); cookie as passed to pull().
    virtual void on_pull_done(uint64_t recv_cookie, psm2_error_t err) = 0;
    // Sender side: a rendezvous send is finished (the receiver has the data).
    virtual void on_send_done(uint64_t send_cookie, psm2_error_t err) = 0;
    // Active message request or reply.
    virtual void on_am(Conn& from, const AmPacket& pkt) = 0;
    // Sender side: the target ran the handler of an AM request sent with a
    // nonzero completion cookie (used for psm2_am_completion_fn_t).
    virtual void on_am_done(uint64_t completion) = 0;
    // The peer is gone (closed, killed, unreachable): fail what is pending.
    virtual void on_peer_lost(Conn& peer, psm2_error_t err) = 0;
};

// Device-level limits the engine needs for its decisions.
struct Limits {
    uint32_t rndv_threshold = 16000;   // >= this many bytes: rendezvous
    uint32_t am_max_nargs = 8;
    uint32_t am_max_request_short = 0; // bytes
    uint32_t am_max_reply_short = 0;
    uint32_t mtu = 0;                  // bytes per packet on the wire (0 = not packetised)
    uint32_t link_speed_mbps = 0;      // reported by psm2_info_query (0 = memory speed)
};

// One backend instance, owned by one endpoint.
class Device {
public:
    virtual ~Device() = default;
    virtual std::string_view name() const = 0;

    // Could this device reach the given epid at all (e.g. shm: same host)?
    virtual bool reaches(psm2_epid_t epid) const = 0;
    // Establish a connection. May block up to timeout_ns (0 = device default).
    // On success *out is owned by the device until disconnect().
    virtual psm2_error_t connect(psm2_epid_t epid, int64_t timeout_ns, Conn** out) = 0;
    virtual void disconnect(Conn* c) = 0;

    // Copy-out eager send. Returns PSM2_OK when the device took the bytes,
    // PSM2_EP_NO_RESOURCES when it has no room right now (engine retries after
    // progress() and keeps per-peer order), or an error.
    virtual psm2_error_t send_eager(Conn& c, const Tag96& tag, const void* buf, uint32_t len) = 0;
    // Announce len bytes at buf for rendezvous; buf stays valid until
    // Sink::on_send_done(send_cookie). Same return convention as send_eager.
    virtual psm2_error_t send_rts(Conn& c, const Tag96& tag, const void* buf, uint32_t len,
                                  uint64_t send_cookie) = 0;
    // After matching an RTS: bring min(len, announced) bytes into dst; then
    // Sink::on_pull_done(recv_cookie) here and Sink::on_send_done at the sender.
    // len may be shorter than announced (truncation) and may be 0.
    virtual psm2_error_t pull(Conn& c, const RndvToken& token, void* dst, uint32_t len,
                              uint64_t recv_cookie) = 0;
    virtual psm2_error_t send_am(Conn& c, const AmPacket& pkt) = 0;

    // Make progress: drain receive queues, push pending work. Returns the
    // number of events handled (0 = nothing happened).
    virtual int progress() = 0;

    virtual Limits limits() const = 0;
    virtual void set_rndv_threshold(uint32_t bytes) = 0;

    // HFI devices own the endpoint's address (LID, context); others return 0
    // and the endpoint builds a shm-style epid.
    virtual psm2_epid_t local_epid() const { return 0; }
};

// What every backend gets when it opens.
struct OpenParams {
    Sink* sink = nullptr;
    psm2_uuid_t uuid{};          // job key: peers with another uuid are refused
    psm2_epid_t epid = 0;        // this endpoint's epid (0 while an HFI device opens)
    uint32_t ep_index = 0;       // endpoint number inside this process (PSM2_MULTI_EP)
    int unit = -1;               // HFI_UNIT, -1 = any
    int port = 0;                // HFI_PORT, 0 = any
    int64_t timeout_ns = 0;      // open timeout from psm2_ep_open_opts
};

}  // namespace psm::hal
