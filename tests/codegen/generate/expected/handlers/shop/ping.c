/* ping.c: the ping handlers of the shop service. */
/* Scaffolded once by axrgen from tests/codegen/generate/specs/shop.yaml:
 * this file is yours; axrgen never touches it again. Contracts: shop_handlers.h. */
#include "shop_handlers.h"

/*
 * HEAD /ping (ping)
 * in: Shop__PingInput {}
 * out: none, status 204
 */
int shop_ping(axr_request_t *req, const Shop__PingInput *in)
{
	/* TODO: implement HEAD /ping. Return 0 when done. */
	(void)req;
	(void)in;
	return AXR_ENOTIMPL;
}
