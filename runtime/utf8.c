/* utf8.c: incremental UTF-8 validator (table-driven DFA, RFC 3629). */
#include "utf8.h"

#include <string.h>

#include "err.h"

/*
 * Each byte maps to a class; (state, class) maps to the next state. The
 * classes split the continuation range 80..BF in three because the second
 * byte after E0, ED, F0 and F4 is restricted (RFC 3629 section 4):
 *
 *   E0 A0..BF      (below A0 is an overlong 3-byte form)
 *   ED 80..9F      (above 9F encodes a UTF-16 surrogate)
 *   F0 90..BF      (below 90 is an overlong 4-byte form)
 *   F4 80..8F      (above 8F is beyond U+10FFFF)
 *
 * C0, C1 (overlong 2-byte forms) and F5..FF (beyond U+10FFFF) never occur.
 */
enum {
	C_ASCII,   /* 00..7F */
	C_CONT_LO, /* 80..8F */
	C_CONT_MI, /* 90..9F */
	C_CONT_HI, /* A0..BF */
	C_BAD,     /* C0, C1, F5..FF */
	C_LEAD2,   /* C2..DF */
	C_E0,      /* E0 */
	C_LEAD3,   /* E1..EC, EE, EF */
	C_ED,      /* ED */
	C_F0,      /* F0 */
	C_LEAD4,   /* F1..F3 */
	C_F4,      /* F4 */
	C_COUNT
};

enum {
	S_ACCEPT,  /* at a character boundary */
	S_REJECT,  /* invalid; sticky */
	S_NEED1,   /* one continuation byte to go */
	S_NEED2,   /* two to go */
	S_E0,      /* after E0: A0..BF, then one */
	S_ED,      /* after ED: 80..9F, then one */
	S_NEED3,   /* three to go */
	S_F0,      /* after F0: 90..BF, then two */
	S_F4,      /* after F4: 80..8F, then two */
	S_COUNT
};

static const uint8_t axr__utf8_class[256] = {
	/* 00..7F */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 80..8F */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 90..9F */
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	/* A0..BF */
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	/* C0..DF */
	4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
	5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
	/* E0..EF */
	6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 7,
	/* F0..FF */
	9, 10, 10, 10, 11, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

#define R S_REJECT
static const uint8_t axr__utf8_next[S_COUNT][C_COUNT] = {
	/*            ASCII    80..8F   90..9F   A0..BF   bad  C2..DF   E0    E1..EF   ED    F0    F1..F3   F4 */
	[S_ACCEPT] = {S_ACCEPT, R,      R,       R,       R,   S_NEED1, S_E0, S_NEED2, S_ED, S_F0, S_NEED3, S_F4},
	[S_REJECT] = {R,        R,      R,       R,       R,   R,       R,    R,       R,    R,    R,       R},
	[S_NEED1]  = {R,        S_ACCEPT, S_ACCEPT, S_ACCEPT, R, R,     R,    R,       R,    R,    R,       R},
	[S_NEED2]  = {R,        S_NEED1, S_NEED1, S_NEED1, R,  R,       R,    R,       R,    R,    R,       R},
	[S_E0]     = {R,        R,      R,       S_NEED1, R,   R,       R,    R,       R,    R,    R,       R},
	[S_ED]     = {R,        S_NEED1, S_NEED1, R,      R,   R,       R,    R,       R,    R,    R,       R},
	[S_NEED3]  = {R,        S_NEED2, S_NEED2, S_NEED2, R,  R,       R,    R,       R,    R,    R,       R},
	[S_F0]     = {R,        R,      S_NEED2, S_NEED2, R,   R,       R,    R,       R,    R,    R,       R},
	[S_F4]     = {R,        S_NEED2, R,      R,       R,   R,       R,    R,       R,    R,    R,       R},
};
#undef R

void axr_utf8_init(axr_utf8_t *v)
{
	v->state = S_ACCEPT;
}

int axr_utf8_feed(axr_utf8_t *v, const void *data, size_t len)
{
	const uint8_t *p = data;
	const uint8_t *end;
	unsigned state = v->state;

	if (len == 0) /* data may be NULL: no pointer arithmetic on it */
		return state == S_REJECT ? AXR_EPARSE : 0;
	end = p + len;
	while (p < end) {
		/* Fast path: whole words of ASCII between characters. */
		if (state == S_ACCEPT) {
			while (end - p >= 8) {
				uint64_t word;
				memcpy(&word, p, sizeof word);
				if (word & UINT64_C(0x8080808080808080))
					break;
				p += 8;
			}
			if (p == end)
				break;
		}
		state = axr__utf8_next[state][axr__utf8_class[*p++]];
		if (state == S_REJECT)
			break;
	}
	v->state = (uint8_t)state;
	return state == S_REJECT ? AXR_EPARSE : 0;
}

int axr_utf8_finish(const axr_utf8_t *v)
{
	return v->state == S_ACCEPT ? 0 : AXR_EPARSE;
}

int axr_utf8_incomplete(const axr_utf8_t *v)
{
	return v->state != S_ACCEPT && v->state != S_REJECT;
}

int axr_utf8_validate(const void *data, size_t len)
{
	axr_utf8_t v;

	axr_utf8_init(&v);
	if (axr_utf8_feed(&v, data, len) < 0)
		return AXR_EPARSE;
	return axr_utf8_finish(&v);
}

size_t axr_utf8_boundary(const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i = len;

	/* Walk back over at most three continuation bytes to the lead byte. */
	while (i > 0 && len - i < 4 && (p[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0 || len - i >= 4)
		return len;
	uint8_t lead = p[i - 1];
	size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	size_t have = len - (i - 1);
	return have >= need ? len : i - 1;
}
