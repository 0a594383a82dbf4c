/* messages.c: the messages handlers of the chat service. */
/* Scaffolded once by axrgen from tests/codegen/generate/specs/chat.yaml:
 * this file is yours; axrgen never touches it again. Contracts: chat_handlers.h. */
#include "chat_handlers.h"

/*
 * GET /messages/{messageId} (MessageRoute.find)
 * in: Chat__MessageRouteFindGetMessagesMessageIdInput {message_id (path)}
 * out: Chat__Message, status 200
 */
int chat_message_route_find_get_messages_message_id(axr_request_t *req,
	const Chat__MessageRouteFindGetMessagesMessageIdInput *in,
	Chat__Message **out)
{
	/* TODO: implement GET /messages/{messageId}. Answer with
	 *   Chat__Message *res = (Chat__Message *)axr_op_message_new(req, &chat__message__descriptor);
	 *   ... fill res ...; *out = res; return 0; */
	(void)req;
	(void)in;
	(void)out;
	return AXR_ENOTIMPL;
}
