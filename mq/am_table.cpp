#include "mq/am_table.h"

#include <algorithm>

namespace psm::mq {

namespace {
// Handlers nest (a handler may poll, which runs more handlers); a small
// per-thread stack of the tokens currently valid.
constexpr int kMaxNesting = 32;
thread_local const void* t_tokens[kMaxNesting];
thread_local int t_depth = 0;
}  // namespace

bool am_token_active(const void* token) {
    if (!token) return false;
    for (int i = 0; i < t_depth && i < kMaxNesting; ++i)
        if (t_tokens[i] == token) return true;
    return false;
}

AmTokenScope::AmTokenScope(AmToken* t) {
    if (t_depth < kMaxNesting) t_tokens[t_depth] = t;
    ++t_depth;
}

AmTokenScope::~AmTokenScope() {
    --t_depth;
    if (t_depth < kMaxNesting) t_tokens[t_depth] = nullptr;
}

psm2_error_t AmTable::register_handlers(const psm2_am_handler_fn_t* fns, const psm2_am_handler_2_fn_t* fns2,
                                        void* const* hctx, int n, int* idx_out) {
    int free_slots = static_cast<int>(std::count_if(std::begin(handlers_), std::end(handlers_),
                                                    [](const AmHandler& h) { return !h.used(); }));
    if (n > free_slots) return PSM2_EP_NO_RESOURCES;
    uint32_t slot = 0;
    for (int i = 0; i < n; ++i) {
        while (handlers_[slot].used()) ++slot;
        AmHandler& h = handlers_[slot];
        if (fns) h.fn = fns[i];
        else h.fn2 = fns2[i];
        h.hctx = hctx ? hctx[i] : nullptr;
        if (!h.used()) {
            // A NULL function pointer: reserve the slot with a no-op so the
            // index stays stable, as the caller expects one index per entry.
            h.fn2 = [](psm2_am_token_t, psm2_amarg_t*, int, void*, uint32_t, void*) { return 0; };
        }
        idx_out[i] = static_cast<int>(slot);
    }
    return PSM2_OK;
}

void AmTable::unregister_all() {
    for (AmHandler& h : handlers_) h = AmHandler{};
}

uint64_t AmTable::add_completion(psm2_am_completion_fn_t fn, void* ctxt) {
    uint32_t idx;
    if (!free_completions_.empty()) {
        idx = free_completions_.back();
        free_completions_.pop_back();
    } else {
        idx = static_cast<uint32_t>(completions_.size());
        completions_.push_back(Slot{});
    }
    Slot& s = completions_[idx];
    s.fn = fn;
    s.ctxt = ctxt;
    ++s.generation;
    return (uint64_t(s.generation) << 32) | (uint64_t(idx) + 1);
}

AmTable::Completion AmTable::take_completion(uint64_t cookie) {
    uint64_t low = cookie & 0xffffffffu;
    if (low == 0 || low > completions_.size()) return {};
    uint32_t idx = static_cast<uint32_t>(low - 1);
    Slot& s = completions_[idx];
    if (s.generation != uint32_t(cookie >> 32) || !s.fn) return {};
    Completion c{s.fn, s.ctxt};
    s.fn = nullptr;
    s.ctxt = nullptr;
    free_completions_.push_back(idx);
    return c;
}

void AmTable::drop_completion(uint64_t cookie) { (void)take_completion(cookie); }

}  // namespace psm::mq
