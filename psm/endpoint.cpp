#include "psm/endpoint.h"

#include <algorithm>

#include "hal/log.h"
#include "psm/error.h"
#include "psm/library.h"
#include "psm/progress_thread.h"

namespace psm {

bool is_live_endpoint(psm2_ep_t ep) {
    if (ep == nullptr) return false;
    const auto& eps = library().endpoints;
    return std::find(eps.begin(), eps.end(), ep) != eps.end() && ep->magic == psm2_ep::kMagic;
}

psm2_epaddr* find_live_epaddr(const void* p) {
    if (p == nullptr) return nullptr;
    for (psm2_ep_t ep : library().endpoints)
        for (auto& [epid, addr] : ep->peers)
            if (addr.get() == p) return addr.get();
    return nullptr;
}

psm2_epaddr* adopt_peer(psm2_ep_t ep, hal::Device* dev, hal::Conn& conn) {
    auto it = ep->peers.find(conn.epid);
    if (it != ep->peers.end()) {
        // Already connected through another device (e.g. self and shm both
        // see the peer): keep the first one, but let this conn find it too.
        conn.peer_cookie = it->second.get();
        return it->second.get();
    }
    auto addr = std::make_unique<psm2_epaddr>();
    addr->epid = conn.epid;
    addr->ep = ep;
    addr->dev = dev;
    addr->conn = &conn;
    conn.peer_cookie = addr.get();
    psm2_epaddr* raw = addr.get();
    ep->peers.emplace(conn.epid, std::move(addr));
    mq::peer_added(ep->engine, raw);
    log::trace(log::kDevices, "adopted inbound peer epid 0x%llx on %.*s",
               static_cast<unsigned long long>(conn.epid), static_cast<int>(dev->name().size()),
               dev->name().data());
    return raw;
}

void remove_peer(psm2_ep_t ep, psm2_epaddr* addr) {
    mq::peer_removed(ep->engine, addr);
    if (addr->dev && addr->conn) {
        addr->conn->peer_cookie = nullptr;
        addr->dev->disconnect(addr->conn);
    }
    addr->magic = 0;
    auto it = ep->peers.find(addr->epid);
    if (it != ep->peers.end() && it->second.get() == addr) {
        ep->retired.push_back(std::move(it->second));
        ep->peers.erase(it);
    }
}

void destroy_endpoint(psm2_ep_t ep) {
    progress_thread::stop_for(ep);   // joined before anything it polls goes away
    while (!ep->peers.empty()) remove_peer(ep, ep->peers.begin()->second.get());
    // The retired addresses outlive the endpoint until psm2_finalize (see
    // Library::retired_epaddrs): a stale handle is refused, not read freed.
    for (auto& a : ep->retired) library().retired_epaddrs.push_back(std::move(a));
    ep->retired.clear();
    // Devices go before the engine: a device being destroyed may still hand
    // completions to its sink.
    ep->devices.clear();
    if (ep->engine) mq::destroy_engine(ep->engine);
    ep->engine = nullptr;
    ep->sinks.clear();
    auto& eps = library().endpoints;
    eps.erase(std::remove(eps.begin(), eps.end(), ep), eps.end());
    ep->magic = 0;
    delete ep;
}

psm2_error_t close_all_endpoints_for_finalize() {
    while (!library().endpoints.empty()) destroy_endpoint(library().endpoints.back());
    return PSM2_OK;
}

}  // namespace psm
