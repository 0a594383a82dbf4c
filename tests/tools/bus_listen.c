/* bus_listen.c: subscribe to bus channels and print each event as one line, for script tests. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "buf.h"
#include "bus.h"
#include "err.h"
#include "redis.h"

/*
 * usage: bus_listen -r REDIS_URL -c CHANNEL [-c CHANNEL]... [-n N] [-w MS]
 *
 * Subscribes to the channels (e.g. axr:user:<uid>), prints "ready" once the
 * subscriptions are in place (wait for it before causing the events), then
 * one line per event:
 *
 *   <channel> <service> data=<bytes of the packed model> <client JSON>
 *
 * where the client JSON is axr_bus_message_to_json's
 * {"type":..,"action":..,"data":..}; an envelope that does not decode
 * prints "<channel> undecodable". Stops after N events (default 0: only at
 * the deadline) or MS milliseconds (default 10000). Exit status 0 when N
 * events arrived (or N is 0), 1 otherwise, 2 on a usage error.
 */

#define BUS_LISTEN_MAX_CHANNELS 16

typedef struct bus_listen {
	struct event_base *base;
	long want, got;
} bus_listen_t;

static int usage(void)
{
	fprintf(stderr, "usage: bus_listen -r REDIS_URL -c CHANNEL [-c CHANNEL]... [-n N] [-w MS]\n");
	return 2;
}

static void on_state(bool connected, void *ctx)
{
	(void)ctx;
	if (connected) {
		printf("ready\n");
		fflush(stdout);
	}
}

static void on_message(const axr_redis_message_t *msg, void *ctx)
{
	bus_listen_t *l = ctx;
	axr_bus_message_t m;
	axr_buf_t json = AXR_BUF_INIT;

	if (axr_bus_message_decode(msg->data, msg->len, &m) != 0 || axr_bus_message_to_json(&m, &json) != 0 ||
	    !axr_buf_ok(&json)) {
		printf("%.*s undecodable\n", (int)msg->channel_len, msg->channel);
	} else {
		printf("%.*s %s data=%zu %.*s\n", (int)msg->channel_len, msg->channel, *m.service ? m.service : "-",
		       m.data_len, (int)json.len, json.data);
	}
	fflush(stdout);
	axr_buf_free(&json);
	axr_bus_message_clear(&m);
	if (++l->got == l->want)
		event_base_loopbreak(l->base);
}

int main(int argc, char **argv)
{
	const char *url = NULL, *channels[BUS_LISTEN_MAX_CHANNELS];
	size_t nchannels = 0;
	long wait_ms = 10000;
	bus_listen_t l = {.want = 0};
	axr_redis_sub_t *sub = NULL;
	int opt, status = 1;

	while ((opt = getopt(argc, argv, "r:c:n:w:")) != -1) {
		switch (opt) {
		case 'r': url = optarg; break;
		case 'c':
			if (nchannels == BUS_LISTEN_MAX_CHANNELS)
				return usage();
			channels[nchannels++] = optarg;
			break;
		case 'n': l.want = atol(optarg); break;
		case 'w': wait_ms = atol(optarg); break;
		default: return usage();
		}
	}
	if (url == NULL || nchannels == 0 || optind != argc || l.want < 0 || wait_ms < 1)
		return usage();
	struct timeval deadline = {.tv_sec = wait_ms / 1000, .tv_usec = (wait_ms % 1000) * 1000};
	if ((l.base = event_base_new()) == NULL || (sub = axr_redis_sub_new(l.base, url, NULL, on_message, &l)) == NULL) {
		fprintf(stderr, "bus_listen: cannot subscribe to %s\n", url);
		goto out;
	}
	axr_redis_sub_on_state(sub, on_state);
	for (size_t i = 0; i < nchannels; i++)
		if (axr_redis_sub_subscribe(sub, channels[i], strlen(channels[i])) != 0)
			goto out;
	event_base_loopexit(l.base, &deadline);
	event_base_dispatch(l.base);
	status = l.want == 0 || l.got >= l.want ? 0 : 1;
	if (status != 0)
		fprintf(stderr, "bus_listen: %ld of %ld events within %ld ms\n", l.got, l.want, wait_ms);
out:
	axr_redis_sub_free(sub);
	if (l.base != NULL)
		event_base_free(l.base);
	return status;
}
