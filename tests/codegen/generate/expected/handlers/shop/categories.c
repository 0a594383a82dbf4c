/* categories.c: the categories handlers of the shop service. */
/* Scaffolded once by axrgen from tests/codegen/generate/specs/shop.yaml:
 * this file is yours; axrgen never touches it again. Contracts: shop_handlers.h. */
#include "shop_handlers.h"

/*
 * GET /categories/{categoryId} (getCategory)
 * in: Shop__GetCategoryInput {category_id (path)}
 * out: Shop__Category, status 200
 */
int shop_get_category(axr_request_t *req, const Shop__GetCategoryInput *in, Shop__Category **out)
{
	/* TODO: implement GET /categories/{categoryId}. Answer with
	 *   Shop__Category *res = (Shop__Category *)axr_op_message_new(req, &shop__category__descriptor);
	 *   ... fill res ...; *out = res; return 0; */
	(void)req;
	(void)in;
	(void)out;
	return AXR_ENOTIMPL;
}
