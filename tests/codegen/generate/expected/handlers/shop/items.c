/* items.c: the items handlers of the shop service. */
/* Scaffolded once by axrgen from tests/codegen/generate/specs/shop.yaml:
 * this file is yours; axrgen never touches it again. Contracts: shop_handlers.h. */
#include "shop_handlers.h"

/*
 * GET /items/{id}/reviews (listReviews)
 * in: Shop__ListReviewsInput {id (path)}
 * out: Shop__ListReviewsResponse (the JSON array, as `items`), status 200
 */
int shop_list_reviews(axr_request_t *req, const Shop__ListReviewsInput *in, Shop__ListReviewsResponse **out)
{
	/* TODO: implement GET /items/{id}/reviews. Answer with
	 *   Shop__ListReviewsResponse *res = (Shop__ListReviewsResponse *)axr_op_message_new(req, &shop__list_reviews_response__descriptor);
	 *   ... fill res ...; *out = res; return 0; */
	(void)req;
	(void)in;
	(void)out;
	return AXR_ENOTIMPL;
}

/*
 * POST /items/{id}/reviews (addReview)
 * in: Shop__AddReviewInput {id (path), body (body)}
 * out: none, status 204
 */
int shop_add_review(axr_request_t *req, const Shop__AddReviewInput *in)
{
	/* TODO: implement POST /items/{id}/reviews. Return 0 when done. */
	(void)req;
	(void)in;
	return AXR_ENOTIMPL;
}

/*
 * GET /search (search)
 * in: Shop__SearchInput {tags (query), ids (query), min_price (query), x_request_id (header)}
 * out: Shop__SearchResponse (the JSON array, as `items`), status 200
 */
int shop_search(axr_request_t *req, const Shop__SearchInput *in, Shop__SearchResponse **out)
{
	/* TODO: implement GET /search. Answer with
	 *   Shop__SearchResponse *res = (Shop__SearchResponse *)axr_op_message_new(req, &shop__search_response__descriptor);
	 *   ... fill res ...; *out = res; return 0; */
	(void)req;
	(void)in;
	(void)out;
	return AXR_ENOTIMPL;
}

/*
 * GET /stock/{sku} (getStock)
 * A path and a query parameter share a name.
 * in: Shop__GetStockInput {sku (path), sku_query (query)}
 * out: Shop__JsonValue (JSON text), status 200
 */
int shop_get_stock(axr_request_t *req, const Shop__GetStockInput *in, Shop__JsonValue **out)
{
	/* TODO: implement GET /stock/{sku}. Answer with
	 *   Shop__JsonValue *res = (Shop__JsonValue *)axr_op_message_new(req, &shop__json_value__descriptor);
	 *   ... fill res ...; *out = res; return 0; */
	(void)req;
	(void)in;
	(void)out;
	return AXR_ENOTIMPL;
}
