// The bad-API-input table: one row per (exported function, bad input). Each
// row says in which library state the call is made, what it should return,
// whether the error handler must see it, and why that code was chosen.
// Every row runs in its own forked child (badinput_test.cpp), so a row that
// crashes, hangs or leaks is reported by name and the others still run.
#pragma once

#include <cstdint>
#include <span>

#include "psm2.h"
#include "psm2_am.h"
#include "psm2_mq.h"

namespace badinput {

// The state the child builds before the call under test. Later states
// include the earlier ones (Mq = initialised + endpoint + MQ).
enum class Start : uint8_t {
    Fresh,        // psm2_init never called in this process
    Finalized,    // psm2_init, then psm2_finalize
    Initialized,  // psm2_init, no endpoint
    Endpoint,     // + one endpoint (PSM2_DEVICES=self): w.ep, w.epid
    Mq,           // + its matched queue: w.mq
    SelfPeer,     // + connected to itself: w.self is a usable psm2_epaddr_t
};

// How the row's result is judged.
enum class Expect : uint8_t {
    Code,    // the call returns `code` (for void calls: the code the handler saw)
    Errno,   // hfi_* calls: the call fails and errno == `code`
    Holds,   // the lambda checks a documented outcome and returns kHolds
};

// Whether the error handler must have been called for the row.
enum class Handler : uint8_t {
    Auto,     // Raises when the row expects an error code, else Silent
    Raises,   // called (last call with `code`, a non-empty message)
    Silent,   // not called at all
};

inline constexpr int kHolds = 1;
inline constexpr int kBroken = 0;
inline int holds(bool ok) { return ok ? kHolds : kBroken; }

struct World;

struct Row {
    const char* fn;          // exported name, as in tests/symbols/expected_symbols.txt
    const char* what;        // the bad input, short (becomes the test name)
    Start start;
    int (*call)(World&);     // makes the call (plus any setup it needs)
    int code;                // expected psm2_error_t, errno, or kHolds
    Expect expect = Expect::Code;
    Handler handler = Handler::Auto;
    const char* why = "";    // where the expected code comes from
};

// State the child built, and helpers the rows share (world.cpp).
struct World {
    psm2_ep_t ep = nullptr;
    psm2_epid_t epid = 0;
    psm2_mq_t mq = nullptr;
    psm2_epaddr_t self = nullptr;
    bool initialized = false;   // teardown must call psm2_finalize
    bool ep_usable = false;     // teardown may check that the endpoint still works

    // The code the error handler saw last since the call started (PSM2_OK if
    // none): what a void function reports.
    int raised() const;

    // The row closed or finalised things itself: teardown must not use them.
    void ep_gone() { ep_usable = false; }
    void finalized() {
        initialized = false;
        ep_usable = false;
    }

    // Closes w.ep (graceful) and keeps the dangling handles for the row.
    void close_ep();
    // Opens one more endpoint (PSM2_MULTI_EP=1) with its MQ, connected to
    // itself; returns its epaddr for itself.
    psm2_epaddr_t second_endpoint(psm2_ep_t* ep, psm2_mq_t* mq);
    // Disconnects w.self and returns the now stale epaddr.
    psm2_epaddr_t stale_self();
    // A request that completed and was released (the caller kept a copy).
    psm2_mq_req_t completed_request();
    // A receive posted for a tag nobody sends.
    psm2_mq_req_t pending_recv();
    // A message sent to itself and not yet received (for probe/imrecv rows).
    void unexpected_message(uint64_t tag);
    // Runs body inside an AM request handler on w.self (the request sent
    // with am_flags); returns its result.
    int in_handler(int (*body)(psm2_am_token_t token), int am_flags = 0);
    // The token of a handler that has already returned.
    psm2_am_token_t stale_token();
    // The World of the running row (for bodies run inside a handler).
    static World& current();
};

// Tags the rows use; the alive check uses its own so it never meets them.
inline constexpr uint64_t kRowTag = 0x7e57;
inline constexpr uint64_t kAliveTag = 0xa11fe;

std::span<const Row> core_rows();
std::span<const Row> endpoint_rows();
std::span<const Row> mq_rows();
std::span<const Row> am_rows();
std::span<const Row> hfi_rows();

}  // namespace badinput
