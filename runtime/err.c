/* err.c: messages, names and HTTP statuses for axr_err codes. */
#include "err.h"

const char *axr_strerror(int err)
{
	switch (err) {
	case AXR_OK:
		return "success";
#define AXR__ERR_MSG(name, value, status, msg) \
	case AXR_E##name:                          \
		return msg;
		AXR_ERR_LIST(AXR__ERR_MSG)
#undef AXR__ERR_MSG
	}
	return "unknown error";
}

const char *axr_errname(int err)
{
	switch (err) {
	case AXR_OK:
		return "OK";
#define AXR__ERR_NAME(name, value, status, msg) \
	case AXR_E##name:                           \
		return #name;
		AXR_ERR_LIST(AXR__ERR_NAME)
#undef AXR__ERR_NAME
	}
	return "UNKNOWN";
}

int axr_err_http_status(int err)
{
	switch (err) {
	case AXR_OK:
		return 200;
#define AXR__ERR_STATUS(name, value, status, msg) \
	case AXR_E##name:                             \
		return status;
		AXR_ERR_LIST(AXR__ERR_STATUS)
#undef AXR__ERR_STATUS
	}
	return 500;
}
