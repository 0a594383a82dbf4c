/* bus_publish.c: publish change events through axr_bus_publish_with(), as a service would after a commit. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "bus.h"
#include "err.h"
#include "redis.h"

/*
 * usage: bus_publish -r REDIS_URL -t TYPE -a ACTION -o UID [options]
 *
 *   -v N       version
 *   -j JSON    data_json (default {"uid":"<UID>","seq":<i>})
 *   -P BYTES   data_json {"uid":..,"seq":..,"pad":"xxx..."} padded to about BYTES
 *   -A UID     an audience uid (repeatable)
 *   -p         public
 *   -s NAME    service (default "test")
 *   -n N       publish N events (default 1), seq 0..N-1
 *   -i MS      wait MS milliseconds between events
 *
 * Prints "published=N failed=M" on stderr; exit status 0 when every event
 * was published, 1 otherwise, 2 on a usage error.
 */

static int usage(void)
{
	fprintf(stderr, "usage: bus_publish -r REDIS_URL -t TYPE -a ACTION -o UID [-v N] [-j JSON | -P BYTES] "
	                "[-A UID]... [-p] [-s SERVICE] [-n COUNT] [-i MS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *url = NULL, *json = NULL, *service = "test";
	const char *audience[64];
	axr_bus_event_t ev = {0};
	long count = 1, interval_ms = 0, pad = 0;
	int opt;
	while ((opt = getopt(argc, argv, "r:t:a:o:v:j:P:A:ps:n:i:")) != -1) {
		switch (opt) {
		case 'r': url = optarg; break;
		case 't': ev.type = optarg; break;
		case 'a': ev.action = optarg; break;
		case 'o': ev.uid = optarg; break;
		case 'v': ev.has_version = true; ev.version = atoll(optarg); break;
		case 'j': json = optarg; break;
		case 'P': pad = atol(optarg); break;
		case 'A':
			if (ev.naudience == sizeof audience / sizeof audience[0])
				return usage();
			audience[ev.naudience++] = optarg;
			break;
		case 'p': ev.is_public = true; break;
		case 's': service = optarg; break;
		case 'n': count = atol(optarg); break;
		case 'i': interval_ms = atol(optarg); break;
		default: return usage();
		}
	}
	if (url == NULL || ev.type == NULL || ev.action == NULL || ev.uid == NULL || optind != argc || count < 1 ||
	    pad < 0 || pad > (16L << 20))
		return usage();
	ev.audience = audience;
	ev.service = service;

	axr_redis_t *r = NULL;
	int rc = axr_redis_new(url, NULL, &r);
	if (rc != 0) {
		fprintf(stderr, "bus_publish: %s: %s\n", url, axr_strerror(rc));
		return 1;
	}
	long published = 0, failed = 0;
	axr_buf_t data = AXR_BUF_INIT;
	for (long i = 0; i < count; i++) {
		axr_buf_clear(&data);
		if (json) {
			axr_buf_puts(&data, json);
		} else {
			axr_buf_puts(&data, "{\"uid\":");
			axr_buf_json_string(&data, ev.uid, strlen(ev.uid));
			axr_buf_printf(&data, ",\"seq\":%ld", i);
			if (pad > 0) {
				axr_buf_puts(&data, ",\"pad\":\"");
				for (long k = (long)data.len; k < pad - 2; k++)
					axr_buf_putc(&data, 'x');
				axr_buf_putc(&data, '"');
			}
			axr_buf_putc(&data, '}');
		}
		ev.data_json = data.data;
		if (axr_bus_publish_with(r, &ev) == 0)
			published++;
		else
			failed++;
		if (interval_ms > 0 && i + 1 < count) {
			struct timespec ts = {.tv_sec = interval_ms / 1000, .tv_nsec = (interval_ms % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	fprintf(stderr, "published=%ld failed=%ld\n", published, failed);
	axr_buf_free(&data);
	axr_redis_free(r);
	return failed ? 1 : 0;
}
