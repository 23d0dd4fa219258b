#include "hal/sim/tunnel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "hal/log.h"

namespace psm::hal::sim {

namespace {

constexpr uint32_t kMagic = 0x50534d54;   // "PSMT"
constexpr size_t kMaxDatagram = 65536;

// Datagram layout: this preamble, the packet header, the payload.
struct Preamble {
    uint32_t magic;
    uint16_t hdr_len;
    uint16_t flags;
    uint32_t pay_len;
    uint32_t crc;
};

}  // namespace

bool parse_tunnel(const std::string& text, std::vector<TunnelEntry>* out) {
    out->clear();
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find(',', pos);
        std::string item = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? text.size() : end + 1;
        size_t at = item.find('@'), colon = item.rfind(':');
        TunnelEntry e;
        char* stop = nullptr;
        unsigned long lid = at == std::string::npos ? 0 : std::strtoul(item.c_str(), &stop, 10);
        unsigned long port = colon == std::string::npos ? 0 : std::strtoul(item.c_str() + colon + 1, nullptr, 10);
        std::string host = at == std::string::npos || colon == std::string::npos || colon < at
                               ? std::string() : item.substr(at + 1, colon - at - 1);
        e.addr.sin_family = AF_INET;
        if (lid == 0 || stop != item.c_str() + at || port == 0 || port > 65535 - 256 ||
            inet_pton(AF_INET, host.c_str(), &e.addr.sin_addr) != 1) {
            log::warn("PSM2_SIM_TUNNEL: \"%s\" is not lid@ipv4:port", item.c_str());
            out->clear();
            return false;
        }
        e.lid = uint32_t(lid);
        e.addr.sin_port = htons(uint16_t(port));
        out->push_back(e);
    }
    return !out->empty();
}

Tunnel::~Tunnel() {
    if (fd_ >= 0) close(fd_);
}

bool Tunnel::open(const std::vector<TunnelEntry>& entries, uint32_t local_lid, uint32_t context) {
    const TunnelEntry* me = nullptr;
    for (auto& e : entries)
        if (e.lid == local_lid) me = &e;
    if (!me) {
        if (!entries.empty())
            log::warn("PSM2_SIM_TUNNEL does not list this host's LID %u; tunnel off", local_lid);
        return false;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    int big = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    a.sin_port = htons(uint16_t(ntohs(me->addr.sin_port) + context));
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        log::warn("simulated fabric tunnel: cannot bind UDP port %u: %s", ntohs(a.sin_port), strerror(errno));
        close(fd);
        return false;
    }
    fd_ = fd;
    entries_ = entries;
    rx_.resize(kMaxDatagram);
    return true;
}

bool Tunnel::knows(uint32_t lid) const {
    for (auto& e : entries_)
        if (e.lid == lid) return true;
    return false;
}

bool Tunnel::send(uint32_t lid, uint32_t context, const uint8_t* hdr, uint32_t hdr_len,
                  const void* payload, uint32_t len, uint32_t flags, uint32_t crc) {
    const TunnelEntry* to = nullptr;
    for (auto& e : entries_)
        if (e.lid == lid) to = &e;
    if (!to || fd_ < 0) return false;
    sockaddr_in a = to->addr;
    a.sin_port = htons(uint16_t(ntohs(a.sin_port) + context));
    Preamble p{kMagic, uint16_t(hdr_len), uint16_t(flags), len, crc};
    iovec iov[3] = {{&p, sizeof p}, {const_cast<uint8_t*>(hdr), hdr_len}, {const_cast<void*>(payload), len}};
    msghdr m{};
    m.msg_name = &a;
    m.msg_namelen = sizeof a;
    m.msg_iov = iov;
    m.msg_iovlen = 3;
    return sendmsg(fd_, &m, 0) == ssize_t(sizeof p + hdr_len + len);
}

bool Tunnel::receive(const uint8_t** hdr, uint32_t* hdr_len, const uint8_t** payload, uint32_t* len,
                     uint32_t* flags, uint32_t* crc) {
    if (fd_ < 0) return false;
    for (;;) {
        ssize_t n = recv(fd_, rx_.data(), rx_.size(), 0);
        if (n < 0) return false;   // EAGAIN: nothing waiting
        Preamble p;
        if (size_t(n) < sizeof p) continue;
        std::memcpy(&p, rx_.data(), sizeof p);
        if (p.magic != kMagic || sizeof p + p.hdr_len + size_t(p.pay_len) != size_t(n)) continue;
        *hdr = rx_.data() + sizeof p;
        *hdr_len = p.hdr_len;
        *payload = *hdr + p.hdr_len;
        *len = p.pay_len;
        *flags = p.flags;
        *crc = p.crc;
        return true;
    }
}

}  // namespace psm::hal::sim
