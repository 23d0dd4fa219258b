// The reliable protocol's own header, carried after KDETH in every packet
// (the part of struct ips_message_header that is not LRH/BTH/KDETH), and the
// opcodes (values of PSM2's OPCODE_*; FACTS.md section 1). 44 bytes, so the
// protocol part of a 16B packet stays flit aligned.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace psm::hal::ips {

static_assert(std::endian::native == std::endian::little, "the protocol header is little-endian");

enum Opcode : uint8_t {
    kOpShort = 0xC2,          // eager message in one packet
    kOpEager = 0xC3,          // fragment of a multi-packet eager message
    kOpLongRts = 0xC4,
    kOpLongCts = 0xC5,
    kOpExpTid = 0xC7,         // rendezvous data into TID entries
    kOpAck = 0xC9,
    kOpNak = 0xCA,
    kOpErrChk = 0xCC,         // sequenced probe of a silent peer: acked, otherwise ignored
    kOpConnectReq = 0xCE,
    kOpConnectRep = 0xCF,
    kOpDisconnectReq = 0xD0,
    kOpDisconnectRep = 0xD1,
    kOpAmRequest = 0xD3,
    kOpAmReply = 0xD4,
};

// Connect reply status.
enum ConnectStatus : uint32_t { kConnOk = 0, kConnBadUuid = 1, kConnBadGeneration = 2 };

struct IpsHeader {
    uint32_t src_conn;   // sender's connection index
    uint32_t dst_conn;   // receiver's connection index (~0 for connect requests)
    uint32_t ack_psn;    // next PSN the sender expects from the receiver (piggybacked ack)
    uint32_t paylen;     // payload bytes in this packet (before padding)
    uint32_t tag[3];     // message tag; connect: uuid words 0..2
    uint32_t msg_len;    // message length; CTS: window length; connect: uuid word 3
    uint32_t offset;     // fragment/byte offset; connect: epid low
    uint32_t aux0;       // rendezvous: sender id; AM: handler | nargs << 16; connect: epid high
    uint32_t aux1;       // rendezvous: receiver id; AM: flags; connect: generation / status
};
static_assert(sizeof(IpsHeader) == 44);

inline constexpr uint32_t kNoConn = ~0u;

// Payload of connect request/reply: where the peer can check that it may
// read this process's memory (process_vm_readv of probe_addr must return
// the sender's epid), and, for a multirail endpoint, the epids of its other
// rails (the handshake of rail 0 introduces them; see rails.h).
inline constexpr uint32_t kMaxExtraRails = 3;
// An RTS carries in its `offset` field the rails of the sender that expose
// the buffer under the same rendezvous id (bit k = rail k; 0 = rail 0 only).
struct ConnectPayload {
    int32_t pid;
    uint32_t extra_rails;                       // valid entries of rail_epids
    uint64_t probe_addr;
    uint64_t rail_epids[kMaxExtraRails];        // rails 1.. of the sender's endpoint
};

// CTS tag[1]: TID count, and this bit when the receiver will read the data
// itself (senders then send headers only).
inline constexpr uint32_t kCtsReadsSender = 0x80000000u;
// Bytes one header-only data packet describes (an SDMA request's worth).
inline constexpr uint32_t kReadChunk = 256u << 10;

}  // namespace psm::hal::ips
