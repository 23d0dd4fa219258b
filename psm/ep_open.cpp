// psm2_ep_open / psm2_ep_close / defaults / query. Opening never waits for
// hardware: a device that is not there says so at once and is skipped
// unless it was the only one asked for.
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include "hal/env.h"
#include "hal/log.h"
#include "hal/ips/ips_device.h"
#include "hal/self/self_device.h"
#include "hal/shm/shm_device.h"
#include "psm/api_lock.h"
#include "psm/device_select.h"
#include "psm/endpoint.h"
#include "psm/epid.h"
#include "psm/error.h"
#include "psm/library.h"
#include "psm/progress_thread.h"


namespace {

constexpr int64_t kDefaultOpenTimeoutNs = 30'000'000'000;

void fill_defaults(psm2_ep_open_opts* o) {
    std::memset(o, 0, sizeof *o);
    o->timeout = kDefaultOpenTimeoutNs;
    o->unit = static_cast<int>(psm::env::get_int("HFI_UNIT"));
    o->affinity = PSM2_EP_OPEN_AFFINITY_SET;
    o->shm_mbytes = -1;
    o->sendbufs_num = 1024;
    o->network_pkey = PSM2_EP_OPEN_PKEY_DEFAULT;
    o->port = static_cast<int>(psm::env::get_int("HFI_PORT"));
    o->outsl = 0;
    o->service_id = 0x1000117500000000ull;
    o->path_res_type = PSM2_PATH_RES_NONE;
    o->senddesc_num = 4096;
    o->imm_size = 128;
}

using Factory = psm2_error_t (*)(const psm::hal::OpenParams&, std::unique_ptr<psm::hal::Device>*);

Factory factory_for(psm::DeviceKind k) {
    switch (k) {
    case psm::DeviceKind::Self: return &psm::hal::open_self_device;
    case psm::DeviceKind::Shm: return &psm::hal::open_shm_device;
    case psm::DeviceKind::Hfi: return &psm::hal::ips::open_hfi_device;
    }
    return nullptr;
}

// Opens one device into slot `kind`; returns the error of the factory.
psm2_error_t open_one(psm2_ep_t ep, psm::DeviceKind kind, psm::hal::OpenParams params,
                      std::vector<std::pair<psm::DeviceKind, std::unique_ptr<psm::hal::Device>>>* opened,
                      std::vector<std::unique_ptr<psm::PeerAdopter>>* sinks) {
    Factory f = factory_for(kind);
    if (f == nullptr) {
        psm::log::trace(psm::log::kDevices, "device %s is not built into this library; skipped",
                        psm::device_kind_name(kind));
        return PSM2_EP_NO_DEVICE;
    }
    auto sink = std::make_unique<psm::PeerAdopter>(ep, psm::mq::sink_of(ep->engine));
    params.sink = sink.get();
    std::unique_ptr<psm::hal::Device> dev;
    psm2_error_t err = f(params, &dev);
    if (err != PSM2_OK || !dev) {
        psm::log::trace(psm::log::kDevices, "device %s not available: %s",
                        psm::device_kind_name(kind), psm2_error_get_string(err));
        return err != PSM2_OK ? err : PSM2_EP_NO_DEVICE;
    }
    sink->set_device(dev.get());
    opened->emplace_back(kind, std::move(dev));
    sinks->push_back(std::move(sink));
    return PSM2_OK;
}

}  // namespace

extern "C" psm2_error_t psm2_ep_open_opts_get_defaults(struct psm2_ep_open_opts* opts) {
    psm::ApiGuard g;
    if (psm2_error_t e = psm::check_initialized("psm2_ep_open_opts_get_defaults"); e != PSM2_OK) return e;
    if (opts == nullptr)
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_open_opts_get_defaults: NULL opts");
    fill_defaults(opts);
    return PSM2_OK;
}

extern "C" psm2_error_t psm2_ep_open(const psm2_uuid_t unique_job_key,
                                     const struct psm2_ep_open_opts* opts_in, psm2_ep_t* ep_out,
                                     psm2_epid_t* epid_out) {
    psm::ApiGuard g;
    if (psm2_error_t e = psm::check_initialized("psm2_ep_open"); e != PSM2_OK) return e;
    if (unique_job_key == nullptr || ep_out == nullptr || epid_out == nullptr)
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_open: NULL uuid, ep or epid pointer");
    psm::Library& lib = psm::library();
    if (!lib.endpoints.empty() && !psm::env::get_bool("PSM2_MULTI_EP"))
        return psm::raise(nullptr, PSM2_TOO_MANY_ENDPOINTS,
                          "psm2_ep_open: an endpoint is already open in this process and "
                          "PSM2_MULTI_EP is not set");
    if (lib.endpoints.size() >= 256)
        return psm::raise(nullptr, PSM2_TOO_MANY_ENDPOINTS, "psm2_ep_open: 256 endpoints per process");

    psm2_ep_open_opts opts;
    fill_defaults(&opts);
    if (opts_in) {
        opts = *opts_in;
        // As the original: -1 keeps the default timeout, and values no
        // device could accept are refused before anything is opened.
        if (opts.timeout == -1) opts.timeout = kDefaultOpenTimeoutNs;
        if (opts.timeout < 0)
            return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_open: negative timeout %" PRId64,
                              opts.timeout);
        if (opts.affinity < PSM2_EP_OPEN_AFFINITY_SKIP || opts.affinity > PSM2_EP_OPEN_AFFINITY_FORCE)
            return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_open: unknown affinity mode %d", opts.affinity);
        if (opts.outsl < 0 || opts.outsl > 15)
            return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_open: service level %d is not 0..15", opts.outsl);
        if (opts.unit < -1 || opts.port < 0)
            return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_open: unit %d / port %d (-1 / 0 mean any)",
                              opts.unit, opts.port);
    }

    psm::DeviceChoice choice = psm::parse_devices(psm::env::get_str("PSM2_DEVICES"));
    for (const std::string& u : choice.unknown)
        psm::log::warn("PSM2_DEVICES names unknown device \"%s\"; ignored", u.c_str());
    if (choice.kinds.empty())
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_open: PSM2_DEVICES=\"%s\" names no device",
                          psm::env::get_str("PSM2_DEVICES").c_str());

    auto* ep = new psm2_ep();
    ep->index = lib.next_ep_index++ & 0xff;
    std::memcpy(ep->uuid, unique_job_key, sizeof(psm2_uuid_t));
    ep->opts = opts;
    ep->engine = psm::mq::create_engine(ep);
    lib.endpoints.push_back(ep);   // live from here: destroy_endpoint() undoes all

    psm::hal::OpenParams params;
    std::memcpy(params.uuid, unique_job_key, sizeof(psm2_uuid_t));
    params.ep_index = ep->index;
    params.unit = opts.unit;
    params.port = opts.port;
    params.timeout_ns = opts.timeout;

    std::vector<std::pair<psm::DeviceKind, std::unique_ptr<psm::hal::Device>>> opened;
    std::vector<std::unique_ptr<psm::PeerAdopter>> sinks;
    auto wants = [&](psm::DeviceKind k) {
        return std::find(choice.kinds.begin(), choice.kinds.end(), k) != choice.kinds.end();
    };
    const bool hfi_only = choice.kinds.size() == 1 && wants(psm::DeviceKind::Hfi);
    const bool hfi_required = wants(psm::DeviceKind::Hfi) && !wants(psm::DeviceKind::Shm);

    // The HFI device owns the address (LID, context), so it opens first.
    if (wants(psm::DeviceKind::Hfi)) {
        psm2_error_t err = open_one(ep, psm::DeviceKind::Hfi, params, &opened, &sinks);
        if (err == PSM2_OK) ep->epid = opened.back().second->local_epid();
        // A configuration mistake (PSM2_MULTIRAIL_MAP) fails the open even
        // when shm could carry on: the user asked for something specific.
        if (err != PSM2_OK && (hfi_only || hfi_required || err == PSM2_PARAM_ERR)) {
            std::string why = psm::hal::ips::last_open_error();
            psm::destroy_endpoint(ep);
            if (!why.empty()) return psm::raise(nullptr, err, "psm2_ep_open: %s", why.c_str());
            return psm::raise(nullptr, err == PSM2_EP_NO_DEVICE ? PSM2_EP_NO_DEVICE : err,
                              "psm2_ep_open: PSM2_DEVICES=\"%s\" needs an HFI, but none is usable "
                              "(no /dev/hfi1_N and no simulated fabric; psm2-run --sim gen1 enables one)",
                              psm::env::get_str("PSM2_DEVICES").c_str());
        }
    }
    if (ep->epid == 0) ep->epid = psm::epid::make_shm(static_cast<uint32_t>(getpid()), ep->index);
    params.epid = ep->epid;

    for (psm::DeviceKind k : {psm::DeviceKind::Shm, psm::DeviceKind::Self}) {
        if (!wants(k)) continue;
        psm2_error_t err = open_one(ep, k, params, &opened, &sinks);
        if (err != PSM2_OK && k == psm::DeviceKind::Shm) {
            psm::destroy_endpoint(ep);
            return psm::raise(nullptr, err, "psm2_ep_open: the shm device failed to open");
        }
    }
    if (opened.empty()) {
        psm::destroy_endpoint(ep);
        return psm::raise(nullptr, PSM2_EP_NO_DEVICE, "psm2_ep_open: no device of PSM2_DEVICES=\"%s\" opened",
                          psm::env::get_str("PSM2_DEVICES").c_str());
    }

    // Keep the user's order: it is the connect preference.
    for (psm::DeviceKind k : choice.kinds) {
        for (size_t i = 0; i < opened.size(); ++i) {
            if (opened[i].first != k || !opened[i].second) continue;
            psm::mq::attach_device(ep->engine, opened[i].second.get());
            ep->device_names.emplace_back(psm::device_kind_name(k));
            ep->devices.push_back(std::move(opened[i].second));
        }
    }
    ep->sinks = std::move(sinks);
    psm::progress_thread::maybe_start(ep);   // PSM2_RCVTHREAD
    *ep_out = ep;
    *epid_out = ep->epid;
    psm::log::trace(psm::log::kDevices, "endpoint %u open, epid 0x%llx", ep->index,
                    static_cast<unsigned long long>(ep->epid));
    return PSM2_OK;
}

extern "C" psm2_error_t psm2_ep_close(psm2_ep_t ep, int mode, int64_t timeout) {
    psm::ApiGuard g;
    if (psm2_error_t e = psm::check_initialized("psm2_ep_close"); e != PSM2_OK) return e;
    if (!psm::is_live_endpoint(ep)) return psm::raise_stale_handle(ep, "psm2_ep_close", "endpoint");
    if (psm::called_from_callback("psm2_ep_close")) return PSM2_PARAM_ERR;
    if (mode != PSM2_EP_CLOSE_GRACEFUL && mode != PSM2_EP_CLOSE_FORCE)
        return psm::raise(ep, PSM2_PARAM_ERR, "psm2_ep_close: unknown mode %d", mode);
    if (mode == PSM2_EP_CLOSE_GRACEFUL) {
        // Give queued sends and in-flight acknowledgements a chance to drain,
        // bounded so that a dead peer cannot hold us here.
        int64_t budget = timeout > 0 ? timeout : 1'000'000'000;
        timespec t0{};
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int idle = 0; idle < 64;) {
            idle = psm::mq::progress(ep->engine) == 0 ? idle + 1 : 0;
            timespec t{};
            clock_gettime(CLOCK_MONOTONIC, &t);
            if ((t.tv_sec - t0.tv_sec) * 1'000'000'000 + (t.tv_nsec - t0.tv_nsec) > budget) break;
        }
    }
    psm::remember_closed(ep, psm::mq::as_mq(ep->engine));
    psm::destroy_endpoint(ep);
    return PSM2_OK;
}

extern "C" psm2_error_t psm2_ep_num_devunits(uint32_t* num_units) {
    {
        psm::ApiGuard g;
        if (psm2_error_t e = psm::check_initialized("psm2_ep_num_devunits"); e != PSM2_OK) return e;
    }
    if (num_units == nullptr)
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_num_devunits: NULL pointer");
    uint32_t n = 0;
    psm2_info_query(PSM2_INFO_QUERY_NUM_UNITS, &n, 0, nullptr);
    *num_units = n;
    return PSM2_OK;
}

extern "C" psm2_error_t psm2_ep_query(int* num_of_epinfo, psm2_epinfo_t* array_of_epinfo) {
    psm::ApiGuard g;
    if (psm2_error_t e = psm::check_initialized("psm2_ep_query"); e != PSM2_OK) return e;
    if (num_of_epinfo == nullptr)
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_query: NULL count");
    const auto& eps = psm::library().endpoints;
    // 0 asks for the count (an extension the PSM1 shim and psm2-info use);
    // psm2.h: PARAM_ERR below zero, EP_WAS_CLOSED when no endpoint is open.
    if (*num_of_epinfo < 0)
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_query: negative count %d", *num_of_epinfo);
    if (*num_of_epinfo == 0) {
        *num_of_epinfo = static_cast<int>(eps.size());
        return PSM2_OK;
    }
    if (eps.empty()) return psm::raise(nullptr, PSM2_EP_WAS_CLOSED, "psm2_ep_query: no endpoint is open");
    if (array_of_epinfo == nullptr)
        return psm::raise(nullptr, PSM2_PARAM_ERR, "psm2_ep_query: NULL array");
    int n = std::min<int>(*num_of_epinfo, static_cast<int>(eps.size()));
    for (int i = 0; i < n; ++i) {
        psm2_epinfo_t& info = array_of_epinfo[i];
        std::memset(&info, 0, sizeof info);
        info.ep = eps[i];
        info.epid = eps[i]->epid;
        std::memcpy(info.uuid, eps[i]->uuid, sizeof(psm2_uuid_t));
        info.jkey = static_cast<uint16_t>(eps[i]->uuid[0] | (eps[i]->uuid[1] << 8));
        char* s = info.uuid_str;
        for (int b = 0; b < 16; ++b) {
            s += std::sprintf(s, "%02x", eps[i]->uuid[b]);
            if (b == 3 || b == 5 || b == 7 || b == 9) *s++ = '-';
        }
        *s = '\0';
    }
    *num_of_epinfo = n;
    return PSM2_OK;
}
