// Calls that put ints outside an enum's enumerators into the API's enum
// parameters, as a C program legally may. Written in C (c_calls.c): C++
// code cannot even form such values without undefined behaviour.
#pragma once

#include <stdint.h>

#include "psm2.h"
#include "psm2_mq.h"

#ifdef __cplusplus
extern "C" {
#endif

const char* badinput_error_string(int code);
int badinput_info_query(int query, void* out);
int badinput_info_query_thresh(psm2_mq_t mq, psm2_epaddr_t addr, int which, uint32_t* out);
int badinput_setopt(int component, const void* obj, int optname, const void* value, uint64_t len);
int badinput_getopt(int component, const void* obj, int optname, void* value, uint64_t* len);
int badinput_fp_msg(psm2_ep_t ep, psm2_mq_t mq, psm2_epaddr_t addr, psm2_mq_tag_t* tag, int fp_type, void* buf,
                    uint32_t len, psm2_mq_req_t* req);

#ifdef __cplusplus
}
#endif
