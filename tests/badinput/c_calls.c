#include "tests/badinput/c_calls.h"

#include <string.h>

const char* badinput_error_string(int code) { return psm2_error_get_string((psm2_error_t)code); }

int badinput_info_query(int query, void* out) { return psm2_info_query((psm2_info_query_t)query, out, 0, NULL); }

int badinput_info_query_thresh(psm2_mq_t mq, psm2_epaddr_t addr, int which, uint32_t* out)
{
	psm2_info_query_arg_t args[3];
	memset(args, 0, sizeof args);
	args[0].mq = mq;
	args[1].epaddr = addr;
	args[2].mstq = (enum psm2_info_query_thresh_et)which;
	return psm2_info_query(PSM2_INFO_QUERY_THRESH, out, 3, args);
}

int badinput_setopt(int component, const void* obj, int optname, const void* value, uint64_t len)
{
	return psm2_setopt((psm2_component_t)component, obj, optname, value, len);
}

int badinput_getopt(int component, const void* obj, int optname, void* value, uint64_t* len)
{
	return psm2_getopt((psm2_component_t)component, obj, optname, value, len);
}

int badinput_fp_msg(psm2_ep_t ep, psm2_mq_t mq, psm2_epaddr_t addr, psm2_mq_tag_t* tag, int fp_type, void* buf,
		    uint32_t len, psm2_mq_req_t* req)
{
	return psm2_mq_fp_msg(ep, mq, addr, tag, tag, 0, buf, len, NULL, (enum psm2_mq_fp_op)fp_type, req);
}
