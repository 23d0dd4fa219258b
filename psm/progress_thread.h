// Background progress (PSM2_RCVTHREAD): a thread that polls the first
// endpoint now and then, so that a rank stuck in computation still answers
// its peers' rendezvous (matches the RTS, pulls the data, acknowledges)
// instead of holding them until its next PSM2 call.
//
// Default as in the original: on (0x1) for the first endpoint when it opened
// an HFI device; PSM2_RCVTHREAD=0 turns it off. Unlike the original, an
// explicit nonzero PSM2_RCVTHREAD also starts it for a shm-only endpoint.
// PSM2_RCVTHREAD_FREQ="min:max:shift" (Hz, default 10:100:1): the thread polls
// at min Hz while idle and multiplies its rate by 2^shift after every poll
// that found work, up to max Hz.
//
// The thread never waits for the API lock: it try-locks, polls and releases,
// so it never delays the user's threads by more than one poll, and AM
// handlers it runs never overlap a user thread inside the library.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "psm2.h"

namespace psm::progress_thread {

struct Frequency {
    uint32_t min_hz = 10;
    uint32_t max_hz = 100;
    uint32_t shift = 1;
};

// "min:max:shift", "min:max" or "min"; nullopt when malformed (zero rates,
// min > max, shift > 16, trailing junk).
std::optional<Frequency> parse_frequency(std::string_view text);

// Called by psm2_ep_open (API lock held) once ep is complete: starts the
// thread for ep if this is the process's first endpoint and the
// configuration asks for it.
void maybe_start(psm2_ep_t ep);

// Called before ep is torn down (API lock held): stops and joins the thread
// if it serves ep. Never waits for the API lock, so holding it is safe.
void stop_for(psm2_ep_t ep);

// Whether a progress thread currently serves ep (tests, psm2-info).
bool running_for(psm2_ep_t ep);

}  // namespace psm::progress_thread
