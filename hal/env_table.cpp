// The single declaration of every environment variable the library knows.
// "Honoured" ones change behaviour; "Ignored" ones are accepted because MPI
// launch scripts set them for the original library, and they are listed in
// the README so nobody wonders why they do nothing here.
#include "hal/env.h"

namespace psm::env {
namespace {

constexpr Support H = Support::Honoured;
constexpr Support I = Support::Ignored;

constexpr Var kVars[] = {
    // Core and device selection
    {"PSM2_DEVICES", "self,shm,hfi", "devices to use, in order (self, shm, hfi)", H},
    {"PSM2_MULTI_EP", "0", "allow several endpoints per process", H},
    {"PSM2_IDENTIFY", "0", "print a one-line banner per process (library, version, path, devices)", H},
    {"PSM2_TRACEMASK", "0x1", "debug output mask: 0x1 errors, 0x2 devices, 0x4 protocol, 0x8 messages", H},
    {"PSM2_VERBOSE_ENV", "0", "print every variable and its effective value at init", H},
    {"PSM2_NO_WARN", "0", "suppress warnings", H},
    {"PSM2_MEMORY", "normal", "memory footprint: min, normal, large (request pool limits)", H},
    {"PSM2_YIELD_SPIN_COUNT", "250", "polls a blocking wait spins before it yields the core", H},
    {"PSM2_ADDR_FMT", "2", "epid format version (only 2 is produced)", H},
    {"PSM2_CONNECT_TIMEOUT", "0", "connect timeout in seconds, 0 = caller's timeout", H},
    {"PSM2_DISCONNECT_TIMEOUT", "0", "disconnect timeout in seconds", I},
    {"PSM2_CLOSE_TIMEOUT", "0", "close timeout", I},
    {"PSM2_CLOSE_GRACE_PERIOD", "0", "close grace period", I},
    {"PSM2_CLOSE_GRACE_INTERVAL", "0", "close grace interval", I},
    {"PSM2_CONNECT_WARN_INTERVAL", "300", "connect warn interval", I},
    {"PSM2_DISCONNECT_WARN_INTERVAL", "300", "disconnect warn interval", I},
    {"PSM2_CONNECT_CREDITS", "100", "connect credits", I},
    {"PSM2_DISCONNECT_CREDITS", "100", "disconnect credits", I},
    {"PSM2_MULTIRAIL", "0", "hfi: one context per rail, rendezvous of 256 KiB or more striped across rails: 0 = one rail, 1 = every active unit, 2 = the units of this process's NUMA node (up to 4)", H},
    {"PSM2_MULTIRAIL_MAP", "", "hfi: rails as unit:port,unit:port (port optional; up to 4), used when PSM2_MULTIRAIL is 1 or 2; a bad map fails psm2_ep_open with PSM2_PARAM_ERR", H},
    {"PSM2_HAL_PREF", "0", "HAL preference", I},
    {"PSM2_DIAGS", "0", "run diagnostics at init", I},
    {"PSM2_NO_VERBOSE_ERRORS", "0", "shorter error messages", I},
    {"PSM2_ERRCHK_TIMEOUT", "160:640:2", "retransmit timer min:max:factor in ms (hfi)", H},
    {"PSM2_PEER_TIMEOUT", "30", "hfi: seconds a peer may leave our packets unacknowledged before its requests fail with PSM2_TIMEOUT (0 = wait forever); shm and same-host peers are seen dead at once", H},
    {"PSM2_STRAY_WARNINTERVAL", "30", "stray packet warn interval", I},
    // Matched queue
    {"PSM2_MQ_RNDV_SHM_THRESH", "16000", "shm: messages of this size or larger use rendezvous", H},
    {"PSM2_MQ_RNDV_HFI_THRESH", "64000", "hfi: messages of this size or larger use rendezvous", H},
    {"PSM2_MQ_TINY_HFI_THRESH", "8", "hfi: payload carried in the header (max 8)", I},
    {"PSM2_MQ_RNDV_HFI_WINDOW", "131072", "hfi: rendezvous window in bytes (whole MTUs, one MTU .. 2 MiB)", H},
    {"PSM2_MQ_EAGER_SDMA_SZ", "16384", "hfi: eager PIO to SDMA switch", I},
    {"PSM2_MQ_SENDREQS_MAX", "1048576", "maximum outstanding send requests", H},
    {"PSM2_MQ_RECVREQS_MAX", "1048576", "maximum outstanding receive requests", H},
    {"PSM2_MQ_EAGER_CREDITS", "4096", "eager messages a sender may leave unmatched at one receiver; past that its sends go by rendezvous (blocking sends wait for the match); 0 = no limit", H},
    {"PSM2_MQ_EAGER_CREDIT_BYTES", "4194304", "eager payload bytes a sender may leave unmatched at one receiver (at least 65536)", H},
    {"PSM2_MQ_PRINT_STATS", "0", "print MQ statistics at finalize", H},
    // Shared memory
    {"PSM2_KASSIST_MODE", "cma-get", "shm large-message copy: cma-get, none (bounce buffers)", H},
    {"PSM2_SHM_POLITE_ATTACH", "0", "shm polite attach", I},
    {"PSM2_SHM_SPLIT_COPY_THRESH", "0",
     "shm: pulls of at least this many bytes are copied by receiver (readv) and sender (writev) at once; 0 = off", H},
    // HFI selection and protocol
    {"HFI_UNIT", "-1", "HFI unit to use, -1 = any (nearest by hwloc)", H},
    {"HFI_PORT", "0", "HFI port to use, 0 = any", H},
    {"HFI_SL", "0", "service level", I},
    {"HFI_SELECTION_ALG", "Round Robin", "unit selection algorithm", I},
    {"HFI_NO_CPUAFFINITY", "0", "do not pin", I},
    {"PSM2_PKEY", "0x8001", "partition key", I},
    {"PSM2_IB_SERVICE_ID", "0x1000117500000000", "service id", I},
    {"PSM2_PATH_REC", "none", "path record resolution", I},
    {"PSM2_PATH_SELECTION", "adaptive", "path selection", I},
    {"PSM2_MTU", "-1", "hfi: MTU in bytes, -1 = device default", H},
    {"PSM2_SDMA", "1", "hfi: use SDMA", I},
    {"PSM2_TID", "1", "hfi: use expected receive (TID)", H},
    {"PSM2_FLOW_CREDITS", "64", "hfi: packets in flight per flow", H},
    {"PSM2_COALESCE_ACKS", "1", "hfi: coalesce acks", H},
    {"PSM2_CHECKSUM", "0", "hfi: packet checksums", I},
    {"PSM2_RCVTHREAD", "0x1", "background progress thread on the first endpoint: default on with an hfi device; 0 = off; set nonzero = also for shm-only", H},
    {"PSM2_RCVTHREAD_FREQ", "10:100:1", "progress thread polling rate min:max:shift in Hz (faster by 2^shift while busy)", H},
    {"PSM2_SHAREDCONTEXTS", "1", "hfi: shared contexts", I},
    {"PSM2_RANKS_PER_CONTEXT", "1", "hfi: ranks per context", I},
    {"PSM2_DISABLE_CCA", "0", "congestion control", I},
    {"PSM2_AVX512", "1", "AVX-512 copies", I},
    {"PSM2_CUDA", "0", "CUDA support (not built: PSM2_PARAM_ERR when requested)", I},
    {"PSM2_GPUDIRECT", "0", "GPUDirect (not built)", I},
    // Simulated HFI fabric
    {"PSM2_SIM", "", "simulated HFI fabric name; empty = off (psm2-run --sim sets it)", H},
    {"PSM2_SIM_GEN", "gen1", "simulated generation: gen1 (100G, 9B) or gen2 (400G, 16B)", H},
    {"PSM2_SIM_UNITS", "1", "number of simulated HFI units", H},
    {"PSM2_SIM_LOSS", "0", "simulated fabric: packet loss rate (0..1)", H},
    {"PSM2_SIM_REORDER", "0", "simulated fabric: reorder rate (0..1)", H},
    {"PSM2_SIM_DUP", "0", "simulated fabric: duplication rate (0..1)", H},
    {"PSM2_SIM_CORRUPT", "0", "simulated fabric: corruption rate (0..1)", H},
    {"PSM2_SIM_DELAY", "0", "simulated fabric: rate (0..1) of packets held back 200 us", H},
    {"PSM2_SIM_SEED", "1", "simulated fabric: fault injection seed", H},
    {"PSM2_SIM_TUNNEL", "", "simulated fabric: UDP tunnel map lid@ipv4:port[,...]; context c of a LID listens on port + c", H},
    {"PSM2_SIM_LID", "0", "simulated fabric: LID base of this host (0 = 1); must fit 16 bits (gen1) or 24 bits (gen2)", H},
    // Rank hints some launchers set
    {"MPI_LOCALRANKID", "", "local rank hint", I},
    {"MPI_LOCALNRANKS", "", "local rank count hint", I},
};

}  // namespace

std::span<const Var> table() { return kVars; }

}  // namespace psm::env
