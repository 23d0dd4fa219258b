// The matched-queue engine of one endpoint: tag matching, posted/unexpected
// queues, eager and rendezvous state machines, AM dispatch. It is created
// with the endpoint (psm2_ep_open), like the original, and psm2_mq_init
// returns it configured; psm2_mq_t points to it.
//
// Contract with psm/ (the C API layer), as free functions so that psm/ needs
// no knowledge of the engine's insides:
//  - create_engine at ep_open, then attach_device for each opened device;
//    the engine is the hal::Sink of every device of its endpoint.
//  - peer_added after psm/ creates a psm2_epaddr at connect; peer_removed
//    before psm/ frees one (pending work toward it completes with an error,
//    nothing leaks).
//  - progress drives every attached device and retries queued sends;
//    psm2_poll and every blocking MQ/AM call go through it.
#pragma once

#include "hal/device.h"
#include "mq/peer.h"
#include "psm2_mq.h"

namespace psm::mq {

class Engine;

Engine* create_engine(psm2_ep_t ep);
void destroy_engine(Engine* e);            // after every peer was removed
hal::Sink* sink_of(Engine* e);
void attach_device(Engine* e, hal::Device* d);
void peer_added(Engine* e, psm2_epaddr* p);
void peer_removed(Engine* e, psm2_epaddr* p);
int progress(Engine* e);                   // events handled, 0 = idle
psm2_mq_t as_mq(Engine* e);
Engine* from_mq(psm2_mq_t mq);             // nullptr if mq is not a live engine

}  // namespace psm::mq
