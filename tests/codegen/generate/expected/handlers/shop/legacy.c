/* legacy.c: the legacy handlers of the shop service. */
/* Scaffolded once by axrgen from tests/codegen/generate/specs/shop.yaml:
 * this file is yours; axrgen never touches it again. Contracts: shop_handlers.h. */
#include "shop_handlers.h"

/*
 * GET /legacy/{code} (LegacyRoute.lookup)
 * in: Shop__LegacyRouteLookupInput {code (path)}
 * out: Shop__JsonValue (JSON text), status 200
 */
int shop_legacy_route_lookup(axr_request_t *req, const Shop__LegacyRouteLookupInput *in, Shop__JsonValue **out)
{
	/* TODO: implement GET /legacy/{code}. Answer with
	 *   Shop__JsonValue *res = (Shop__JsonValue *)axr_op_message_new(req, &shop__json_value__descriptor);
	 *   ... fill res ...; *out = res; return 0; */
	(void)req;
	(void)in;
	(void)out;
	return AXR_ENOTIMPL;
}
