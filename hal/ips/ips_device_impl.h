// The reliable protocol as a hal::Device (see ips_device.h). Internal header
// shared by ips_device.cpp (connections, sending, timers) and ips_recv.cpp
// (receive dispatch, rendezvous receive side).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "psm2_am.h"   // before device.h, which uses psm2_amarg_t
#include "hal/device.h"
#include "hal/hfi/context.h"
#include "hal/ips/conn.h"

namespace psm::hal::ips {

// Protocol timing shared by the device's files.
inline constexpr uint64_t kMs = 1'000'000;
inline constexpr uint64_t kConnectRetryNs = 50 * kMs;
inline constexpr uint64_t kDefaultConnectTimeoutNs = 30'000 * kMs;
inline constexpr uint64_t kDisconnectDrainNs = 1000 * kMs;
inline constexpr uint32_t kTokenMagic = 0x49505354;   // "IPST"
inline constexpr int kReceiveBudget = 256;            // packets per progress call
// An ack waits this long for data going back to ride on (coalescing); far
// below the retransmit timer, so the sender never notices.
inline constexpr uint64_t kAckDelayNs = 20'000;
// A gap that stays open this long is reported with a NAK (shorter waits let
// a merely late packet fill it without a resend).
inline constexpr uint64_t kNakDelayNs = 50'000;

struct Settings {
    uint32_t mtu = 0;                  // payload bytes per packet
    uint32_t window = 64;              // PSM2_FLOW_CREDITS
    RetransmitTimer timer;             // PSM2_ERRCHK_TIMEOUT
    uint32_t rndv_threshold = 64000;   // PSM2_MQ_RNDV_HFI_THRESH
    uint32_t rndv_window = 131072;     // PSM2_MQ_RNDV_HFI_WINDOW
    int64_t connect_timeout_ns = 0;    // PSM2_CONNECT_TIMEOUT (0 = caller's / default)
    uint64_t peer_timeout_ns = 30'000'000'000;   // PSM2_PEER_TIMEOUT: no ack progress this long, peer lost (0 = never)
    uint64_t max_queued_bytes = 8u << 20;        // per connection, before NO_RESOURCES
};

Settings settings_from_env(const hfi::ContextInfo& info);

// Rendezvous token the receiver's engine hands back in pull(): sender's
// rendezvous id, announced length, connection index, magic and (high half
// of the last word) the sender's rail mask.
RndvToken make_token(uint32_t id, uint32_t len, uint32_t conn, uint32_t rail_mask = 0);
inline uint32_t token_sender_id(const RndvToken& t) { return uint32_t(t.w[0]); }
inline uint32_t token_len(const RndvToken& t) { return uint32_t(t.w[1]); }
inline uint32_t token_rail_mask(const RndvToken& t) { return uint32_t(t.w[3] >> 32); }

// What the protocol had to do to keep things reliable; traced at close
// (PSM2_TRACEMASK=0x4) and read by tests.
struct ProtocolStats {
    uint64_t packets_sent = 0;
    uint64_t packets_received = 0;
    uint64_t damaged = 0;         // dropped on a checksum/length error
    uint64_t out_of_order = 0;    // dropped at a PSN gap (a NAK may follow)
    uint64_t duplicates = 0;
    uint64_t naks_sent = 0;
    uint64_t timeouts = 0;        // go-back-N on the retransmit timer
    uint64_t rndv_bytes_sent = 0; // rendezvous data this device carried (or let the peer read)
    uint64_t foreign = 0;         // dropped: another job's key (J_KEY) outside the handshake
};

class IpsDevice final : public hal::Device {
public:
    IpsDevice(const hal::OpenParams& p, std::unique_ptr<hfi::Context> ctx, const Settings& s);
    ~IpsDevice() override;

    std::string_view name() const override { return "hfi"; }
    bool reaches(psm2_epid_t epid) const override;
    psm2_error_t connect(psm2_epid_t epid, int64_t timeout_ns, Conn** out) override;
    void disconnect(Conn* c) override;
    psm2_error_t send_eager(Conn& c, const Tag96& tag, const void* buf, uint32_t len) override;
    psm2_error_t send_rts(Conn& c, const Tag96& tag, const void* buf, uint32_t len,
                          uint64_t send_cookie) override;
    psm2_error_t pull(Conn& c, const RndvToken& token, void* dst, uint32_t len,
                      uint64_t recv_cookie) override;
    psm2_error_t send_am(Conn& c, const AmPacket& pkt) override;
    int progress() override;
    Limits limits() const override;
    void set_rndv_threshold(uint32_t bytes) override { set_.rndv_threshold = bytes; }
    psm2_epid_t local_epid() const override { return epid_; }

    hfi::Context& context() { return *ctx_; }
    const ProtocolStats& stats() const { return stats_; }
    // Receive without upcalls (queued for the next progress()); see
    // process_devices.h.
    void poll_quietly();

    // ---- for the multirail device (rails.h), in ips_stripe.cpp ----------
    // Epids of this endpoint's other rails, announced in every handshake.
    void set_rail_epids(const psm2_epid_t* epids, uint32_t count);
    // The connection to epid if it is up, else nullptr.
    IpsConn* find_connected(psm2_epid_t epid);
    // send_rts that also tells the receiver which other rails expose the
    // buffer (rail_mask bit k = rail k); *id is the rendezvous id, which the
    // other rails use as well.
    psm2_error_t send_rts_striped(Conn& c, const Tag96& tag, const void* buf, uint32_t len,
                                  uint64_t send_cookie, uint32_t rail_mask, uint32_t* id);
    // Offers buf under the id of a striped RTS sent on rail 0; the receiver
    // asks for ranges of it with CTS on this rail.
    psm2_error_t expose(Conn& c, uint32_t id, const void* buf, uint32_t len);
    // Forgets an exposure (rail 0 finished the message: the receiver has
    // every byte). Packets of it still awaiting an ack go out as empty headers.
    void withdraw(uint32_t id);
    // Brings [begin, end) of the sender's rendezvous sender_id into dst (the
    // whole message's buffer). declared = bytes the receiver asks of that
    // rendezvous on this rail altogether; the sender finishes once that many
    // were acked.
    psm2_error_t pull_range(Conn& c, uint32_t sender_id, void* dst, uint32_t begin, uint32_t end,
                            uint32_t declared, uint64_t recv_cookie);

private:
    // Upcalls are made from progress() only; anything that happens elsewhere
    // (inside connect(), pull()) waits here, in order.
    struct Event {
        enum Kind : uint8_t { kEager, kRts, kPullDone, kSendDone, kAm, kAmDone, kPeerLost } kind;
        IpsConn* conn = nullptr;
        Tag96 tag{};
        uint32_t len = 0;
        RndvToken token{};
        uint64_t cookie = 0;
        psm2_error_t err = PSM2_OK;
        AmPacket am{};
        std::vector<uint8_t> data;
    };

    static uint64_t now_ns() {
        return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch()).count());
    }

    // ips_device.cpp
    IpsConn* new_conn(psm2_epid_t epid);
    IpsConn* conn_at(uint32_t index) { return index < conns_.size() ? conns_[index].get() : nullptr; }
    psm2_error_t check_conn(Conn& c, IpsConn** out);
    psm2_error_t queue(IpsConn& c, Pending&& p, uint32_t payload_len);
    void pump(IpsConn& c, uint64_t now);
    psm2_error_t transmit(IpsConn& c, uint8_t opcode, const IpsHeader& ih, uint32_t psn,
                          const uint8_t* payload, uint32_t len, bool expected = false,
                          uint16_t tid = 0, uint16_t tid_offset = 0, bool ack_now = false);
    void send_control(IpsConn& c, uint8_t opcode, IpsHeader ih);
    void send_connect_request(IpsConn& c, uint64_t now);
    void release_acked(IpsConn& c, uint32_t count);
    void service_timers(IpsConn& c, uint64_t now);
    // Connections with packets queued or an ack due; progress() visits only
    // these, so an idle peer costs nothing per call.
    void activate(IpsConn& c) {
        if (!c.active) {
            c.active = true;
            active_.push_back(&c);
        }
    }
    void service_active(uint64_t now, const IpsConn* skip = nullptr);
    void lose_peer(IpsConn& c, psm2_error_t err, bool notify = true);
    void emit(Event&& e);
    void dispatch(Event& e);
    int drain_deferred();
    int poll_receive(int budget);

    // ips_recv.cpp
    void handle_packet(const hfi::RecvPacket& pkt);
    void handle_connect_request(const hfi::WireHeader& wh, const IpsHeader& ih,
                                const uint8_t* payload, uint32_t len);
    void handle_connect_reply(const IpsHeader& ih, const uint8_t* payload, uint32_t len);
    void probe_peer_memory(IpsConn& c, const uint8_t* payload, uint32_t len);
    void note_peer_rails(IpsConn& c, const uint8_t* payload, uint32_t len);   // ips_stripe.cpp
    void handle_sequenced(IpsConn& c, uint8_t op, const hfi::WireHeader& wh, const IpsHeader& ih,
                          const uint8_t* payload, uint32_t len);
    void handle_cts(IpsConn& c, const IpsHeader& ih);
    void deliver_ahead(IpsConn& c, uint64_t now);
    void handle_data(IpsConn& c, const hfi::WireHeader& wh, const IpsHeader& ih,
                     const uint8_t* payload, uint32_t len);
    void handle_am(IpsConn& c, uint8_t op, const IpsHeader& ih, const uint8_t* payload, uint32_t len);
    bool announce_windows(RecvRndv& r);
    void finish_recv(uint32_t id, psm2_error_t err);

    Sink* sink_;
    psm2_uuid_t uuid_;
    std::unique_ptr<hfi::Context> ctx_;
    const hfi::GenerationInfo& gen_;
    Settings set_;
    psm2_epid_t epid_ = 0;

    std::vector<std::unique_ptr<IpsConn>> conns_;   // index = connection index; never shrinks
    std::vector<IpsConn*> active_;
    uint64_t now_ = 0;   // clock at the start of the current receive batch
    uint32_t idle_calls_ = 0;
    ProtocolStats stats_;
    std::unordered_map<psm2_epid_t, uint32_t> by_epid_;
    std::unordered_map<uint32_t, SendRndv> send_rndv_;
    std::unordered_map<uint32_t, RecvRndv> recv_rndv_;
    std::vector<uint32_t> cts_waiting_;             // receives waiting for TID entries
    uint32_t next_rndv_id_ = 1;
    std::deque<Event> deferred_;
    bool defer_ = false;
    std::vector<uint8_t> txbuf_;
    ConnectPayload my_probe_{};
    bool cma_enabled_ = true;   // PSM2_KASSIST_MODE=none turns single-copy reads off
};

}  // namespace psm::hal::ips
