// Active-message state of one endpoint: the handler table that
// psm2_am_register_handlers fills, the tokens handed to running handlers, and
// the pending completion callbacks of requests/replies sent from here.
#pragma once

#include <cstdint>
#include <vector>

#include "psm2.h"
#include "psm2_am.h"

namespace psm::mq {

class Engine;

inline constexpr uint32_t kAmMaxHandlers = 256;   // what the original offers
inline constexpr uint32_t kAmMaxArgs = 16;        // engine-side cap of inline arguments

struct AmHandler {
    psm2_am_handler_fn_t fn = nullptr;      // registered with psm2_am_register_handlers
    psm2_am_handler_2_fn_t fn2 = nullptr;   // registered with psm2_am_register_handlers_2
    void* hctx = nullptr;
    bool used() const { return fn || fn2; }
};

// What psm2_am_token_t points to while a handler runs (it lives on the stack
// of the dispatching call; the thread-local list of active tokens is what
// makes a stale token detectable).
struct AmToken {
    static constexpr uint32_t kMagic = 0x414d544b;  // "AMTK"
    uint32_t magic = kMagic;
    Engine* engine = nullptr;
    psm2_epaddr_t source = nullptr;
    bool can_reply = false;     // a request without PSM2_AM_FLAG_NOREPLY
    bool replied = false;
};

// True if token is the token of a handler running on this thread right now.
bool am_token_active(const void* token);

// RAII: marks a token active for the duration of one handler call.
class AmTokenScope {
public:
    explicit AmTokenScope(AmToken* t);
    ~AmTokenScope();
    AmTokenScope(const AmTokenScope&) = delete;
    AmTokenScope& operator=(const AmTokenScope&) = delete;
};

class AmTable {
public:
    // Assigns the lowest free indices; PSM2_EP_NO_RESOURCES if fewer than n
    // are free (nothing is registered then).
    psm2_error_t register_handlers(const psm2_am_handler_fn_t* fns, const psm2_am_handler_2_fn_t* fns2,
                                   void* const* hctx, int n, int* idx_out);
    void unregister_all();
    const AmHandler* lookup(uint32_t idx) const {
        return idx < kAmMaxHandlers && handlers_[idx].used() ? &handlers_[idx] : nullptr;
    }

    // Completion callbacks travel as a cookie (slot + generation) so that a
    // late or duplicate acknowledgement cannot call a recycled slot.
    uint64_t add_completion(psm2_am_completion_fn_t fn, void* ctxt);
    void drop_completion(uint64_t cookie);
    // Removes the entry and returns it; fn == nullptr if the cookie is stale.
    struct Completion {
        psm2_am_completion_fn_t fn = nullptr;
        void* ctxt = nullptr;
    };
    Completion take_completion(uint64_t cookie);

private:
    struct Slot {
        psm2_am_completion_fn_t fn = nullptr;
        void* ctxt = nullptr;
        uint32_t generation = 0;
    };
    AmHandler handlers_[kAmMaxHandlers];
    std::vector<Slot> completions_;
    std::vector<uint32_t> free_completions_;
};

}  // namespace psm::mq
