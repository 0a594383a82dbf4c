/* orders.c: the orders handlers of the shop service. */
/* Scaffolded once by axrgen from tests/codegen/generate/specs/shop.yaml:
 * this file is yours; axrgen never touches it again. Contracts: shop_handlers.h. */
#include "shop_handlers.h"

/*
 * POST /orders (placeOrder)
 * Place an order
 * in: Shop__PlaceOrderInput {idempotency_key (header), session (cookie), dry_run (query), body (body)}
 * out: Shop__Order, status 201
 */
int shop_place_order(axr_request_t *req, const Shop__PlaceOrderInput *in, Shop__Order **out)
{
	/* TODO: implement POST /orders. Answer with
	 *   Shop__Order *res = (Shop__Order *)axr_op_message_new(req, &shop__order__descriptor);
	 *   ... fill res ...; *out = res; return 0; */
	(void)req;
	(void)in;
	(void)out;
	return AXR_ENOTIMPL;
}
