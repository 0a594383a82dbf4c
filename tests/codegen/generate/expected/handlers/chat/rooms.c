/* rooms.c: the rooms handlers of the chat service. */
/* Scaffolded once by axrgen from tests/codegen/generate/specs/chat.yaml:
 * this file is yours; axrgen never touches it again. Contracts: chat_handlers.h. */
#include "chat_handlers.h"

/*
 * POST /rooms (openRoom)
 * CRUD-shaped, but written by hand (x-axr-crud false).
 * in: Chat__OpenRoomInput {body (body)}
 * out: Chat__Room, status 201
 */
int chat_open_room(axr_request_t *req, const Chat__OpenRoomInput *in, Chat__Room **out)
{
	/* TODO: implement POST /rooms. Answer with
	 *   Chat__Room *res = (Chat__Room *)axr_op_message_new(req, &chat__room__descriptor);
	 *   ... fill res ...; *out = res; return 0; */
	(void)req;
	(void)in;
	(void)out;
	return AXR_ENOTIMPL;
}

/*
 * DELETE /rooms/{id} (closeRoom)
 * in: Chat__CloseRoomInput {id (path)}
 * out: Chat__Room, status 200
 */
int chat_close_room(axr_request_t *req, const Chat__CloseRoomInput *in, Chat__Room **out)
{
	/* TODO: implement DELETE /rooms/{id}. Answer with
	 *   Chat__Room *res = (Chat__Room *)axr_op_message_new(req, &chat__room__descriptor);
	 *   ... fill res ...; *out = res; return 0; */
	(void)req;
	(void)in;
	(void)out;
	return AXR_ENOTIMPL;
}

/*
 * GET /rooms/{id}/messages (MessageRoute.find)
 * in: Chat__MessageRouteFindGetRoomsIdMessagesInput {id (path), since (query)}
 * out: Chat__MessageList (the JSON array, as `items`), status 200
 */
int chat_message_route_find_get_rooms_id_messages(axr_request_t *req,
	const Chat__MessageRouteFindGetRoomsIdMessagesInput *in,
	Chat__MessageList **out)
{
	/* TODO: implement GET /rooms/{id}/messages. Answer with
	 *   Chat__MessageList *res = (Chat__MessageList *)axr_op_message_new(req, &chat__message_list__descriptor);
	 *   ... fill res ...; *out = res; return 0; */
	(void)req;
	(void)in;
	(void)out;
	return AXR_ENOTIMPL;
}
