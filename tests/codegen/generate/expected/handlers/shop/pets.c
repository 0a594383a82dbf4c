/* pets.c: the pets handlers of the shop service. */
/* Scaffolded once by axrgen from tests/codegen/generate/specs/shop.yaml:
 * this file is yours; axrgen never touches it again. Contracts: shop_handlers.h. */
#include "shop_handlers.h"

/*
 * POST /pets (adoptPet)
 * A oneOf body with a discriminator, and a free-form answer.
 * in: Shop__AdoptPetInput {body (body)}
 * out: Shop__JsonValue (JSON text), status 200
 */
int shop_adopt_pet(axr_request_t *req, const Shop__AdoptPetInput *in, Shop__JsonValue **out)
{
	/* TODO: implement POST /pets. Answer with
	 *   Shop__JsonValue *res = (Shop__JsonValue *)axr_op_message_new(req, &shop__json_value__descriptor);
	 *   ... fill res ...; *out = res; return 0; */
	(void)req;
	(void)in;
	(void)out;
	return AXR_ENOTIMPL;
}
