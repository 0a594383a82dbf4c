/* regex.c: JSON-Schema patterns (ECMA-262 syntax) run by PCRE2, compiled once. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* Backtracking budget per match: a hostile subject against a pattern with
 * nested quantifiers fails with AXR_ERANGE instead of burning a core. */
#define AXR__REGEX_MATCH_LIMIT 1000000u
#define AXR__REGEX_DEPTH_LIMIT 10000u

/* ECMA-262 WhiteSpace + LineTerminator (what \s matches there). */
#define AXR__ECMA_SPACE                                                        \
	"\\t\\n\\u000b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029" \
	"\\u202f\\u205f\\u3000\\ufeff"
/* ECMA-262 `.`: anything but a LineTerminator. */
#define AXR__ECMA_DOT "[^\\n\\r\\u2028\\u2029]"

/* A slot whose pattern does not compile points here. */
static char axr__regex_invalid;

static pthread_once_t axr__regex_once = PTHREAD_ONCE_INIT;
static pthread_key_t axr__regex_key;
static bool axr__regex_key_ok;
static pcre2_match_context *axr__regex_mctx;

static void axr__regex_free_match_data(void *md)
{
	pcre2_match_data_free(md);
}

static void axr__regex_init(void)
{
	axr__regex_key_ok = pthread_key_create(&axr__regex_key, axr__regex_free_match_data) == 0;
	axr__regex_mctx = pcre2_match_context_create(NULL);
	if (axr__regex_mctx != NULL) {
		pcre2_set_match_limit(axr__regex_mctx, AXR__REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(axr__regex_mctx, AXR__REGEX_DEPTH_LIMIT);
	}
}

/* A growing string for the translated pattern. */
typedef struct axr__sb {
	char *p;
	size_t len, cap;
	bool oom;
} axr__sb_t;

static void axr__sb_add(axr__sb_t *sb, const char *s, size_t n)
{
	if (sb->oom)
		return;
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap * 2 : 64;
		while (cap < sb->len + n + 1)
			cap *= 2;
		char *np = realloc(sb->p, cap);
		if (np == NULL) {
			sb->oom = true;
			return;
		}
		sb->p = np;
		sb->cap = cap;
	}
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static void axr__sb_str(axr__sb_t *sb, const char *s)
{
	axr__sb_add(sb, s, strlen(s));
}

/* Long General_Category names and aliases of ECMA-262 (Unicode
 * PropertyValueAliases.txt) that PCRE2 10.42 only knows by short name. */
static const struct {
	const char *name;
	const char *pcre;
} axr__regex_gc[] = {
	{"Cased_Letter", "L&"}, {"Close_Punctuation", "Pe"}, {"Combining_Mark", "M"},
	{"Connector_Punctuation", "Pc"}, {"Control", "Cc"}, {"Currency_Symbol", "Sc"},
	{"Dash_Punctuation", "Pd"}, {"Decimal_Number", "Nd"}, {"Enclosing_Mark", "Me"},
	{"Final_Punctuation", "Pf"}, {"Format", "Cf"}, {"Initial_Punctuation", "Pi"},
	{"LC", "L&"}, {"Letter", "L"}, {"Letter_Number", "Nl"}, {"Line_Separator", "Zl"},
	{"Lowercase_Letter", "Ll"}, {"Mark", "M"}, {"Math_Symbol", "Sm"},
	{"Modifier_Letter", "Lm"}, {"Modifier_Symbol", "Sk"}, {"Nonspacing_Mark", "Mn"},
	{"Number", "N"}, {"Open_Punctuation", "Ps"}, {"Other", "C"}, {"Other_Letter", "Lo"},
	{"Other_Number", "No"}, {"Other_Punctuation", "Po"}, {"Other_Symbol", "So"},
	{"Paragraph_Separator", "Zp"}, {"Private_Use", "Co"}, {"Punctuation", "P"},
	{"Separator", "Z"}, {"Space_Separator", "Zs"}, {"Spacing_Mark", "Mc"},
	{"Surrogate", "Cs"}, {"Symbol", "S"}, {"Titlecase_Letter", "Lt"},
	{"Unassigned", "Cn"}, {"Uppercase_Letter", "Lu"}, {"cntrl", "Cc"}, {"digit", "Nd"},
	{"punct", "P"},
};

/* Appends the PCRE2 spelling of the ECMA-262 property name name[0..n). */
static void axr__regex_property(axr__sb_t *sb, const char *name, size_t n)
{
	static const struct {
		const char *ecma, *pcre;
	} prefixes[] = {
		{"General_Category=", ""}, {"gc=", ""}, {"Script_Extensions=", "scx:"},
		{"scx=", "scx:"}, {"Script=", "sc:"}, {"sc=", "sc:"},
	};
	const char *pfx = "";
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t k = strlen(prefixes[i].ecma);
		if (n > k && memcmp(name, prefixes[i].ecma, k) == 0) {
			pfx = prefixes[i].pcre;
			name += k;
			n -= k;
			break;
		}
	}
	axr__sb_str(sb, pfx);
	if (*pfx == '\0') {
		for (size_t i = 0; i < sizeof(axr__regex_gc) / sizeof(axr__regex_gc[0]); i++) {
			if (strlen(axr__regex_gc[i].name) == n &&
			    memcmp(axr__regex_gc[i].name, name, n) == 0) {
				axr__sb_str(sb, axr__regex_gc[i].pcre);
				return;
			}
		}
	}
	axr__sb_add(sb, name, n);
}

static int axr__regex_hex4(const char *s, size_t avail, unsigned *out)
{
	unsigned v = 0;
	if (avail < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* Translates the escape at src[i] (a backslash); returns the index after it. */
static size_t axr__regex_escape(axr__sb_t *sb, const char *src, size_t len, size_t i, bool in_class)
{
	char e = src[i + 1];
	unsigned cp, lo;
	char tmp[24];

	switch (e) {
	case 's':
		axr__sb_str(sb, in_class ? AXR__ECMA_SPACE : "[" AXR__ECMA_SPACE "]");
		return i + 2;
	case 'S':
		/* outside a class exact; inside one, PCRE2's ASCII \S */
		axr__sb_str(sb, in_class ? "\\S" : "[^" AXR__ECMA_SPACE "]");
		return i + 2;
	case 'v': /* ECMA: U+000B only; PCRE2: any vertical space */
		axr__sb_str(sb, "\\u000b");
		return i + 2;
	case 'u':
		if (axr__regex_hex4(src + i + 2, len - i - 2, &cp) != 0)
			break; /* \u{...}: PCRE2_EXTRA_ALT_BSUX reads it */
		i += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < len && src[i] == '\\' &&
		    src[i + 1] == 'u' && axr__regex_hex4(src + i + 2, len - i - 2, &lo) == 0 &&
		    lo >= 0xDC00 && lo <= 0xDFFF) {
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			i += 6;
		}
		snprintf(tmp, sizeof(tmp), "\\u{%x}", cp);
		axr__sb_str(sb, tmp);
		return i;
	case 'p':
	case 'P':
		if (i + 2 < len && src[i + 2] == '{') {
			const char *close = memchr(src + i + 3, '}', len - i - 3);
			if (close != NULL) {
				axr__sb_str(sb, e == 'p' ? "\\p{" : "\\P{");
				axr__regex_property(sb, src + i + 3, (size_t)(close - (src + i + 3)));
				axr__sb_str(sb, "}");
				return (size_t)(close - src) + 1;
			}
		}
		break;
	default:
		break;
	}
	/* copy the backslash and the whole (possibly multi-byte) character */
	size_t n = 2;
	while (i + n < len && ((unsigned char)src[i + n] & 0xC0) == 0x80)
		n++;
	axr__sb_add(sb, src + i, n);
	return i + n;
}

/* ECMA-262 pattern -> PCRE2 pattern (see docs/validation.md). */
static int axr__regex_translate(const char *src, axr__sb_t *sb)
{
	size_t len = strlen(src);
	bool in_class = false;

	axr__sb_add(sb, "", 0);
	for (size_t i = 0; i < len;) {
		char c = src[i];
		if (c == '\\' && i + 1 < len) {
			i = axr__regex_escape(sb, src, len, i, in_class);
		} else if (in_class) {
			if (c == ']')
				in_class = false;
			/* a literal '[' in an ECMA class; PCRE2 would read [: :] */
			axr__sb_str(sb, c == '[' ? "\\[" : (char[]){c, '\0'});
			i++;
		} else if (c == '[') {
			in_class = true;
			axr__sb_add(sb, "[", 1);
			i++;
			if (i < len && src[i] == '^')
				axr__sb_add(sb, src + i++, 1);
		} else if (c == '.') {
			axr__sb_str(sb, AXR__ECMA_DOT);
			i++;
		} else {
			axr__sb_add(sb, &c, 1);
			i++;
		}
	}
	return sb->oom ? AXR_ENOMEM : 0;
}

static int axr__regex_compile(const char *source, pcre2_code **out, char *errbuf, size_t size)
{
	axr__sb_t sb = {0};
	pcre2_compile_context *cc = NULL;
	pcre2_code *code = NULL;
	int rc, errcode;
	PCRE2_SIZE erroff;

	*out = NULL;
	if (source == NULL) {
		if (errbuf != NULL && size > 0)
			snprintf(errbuf, size, "no pattern");
		return AXR_EINVAL;
	}
	if ((rc = axr__regex_translate(source, &sb)) != 0)
		goto fail;
	if ((cc = pcre2_compile_context_create(NULL)) == NULL) {
		rc = AXR_ENOMEM;
		goto fail;
	}
	pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
	code = pcre2_compile((PCRE2_SPTR)sb.p, sb.len,
			     PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_ALLOW_EMPTY_CLASS |
				     PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_UNSET_BACKREF |
				     PCRE2_NEVER_BACKSLASH_C,
			     &errcode, &erroff, cc);
	if (code == NULL) {
		if (errbuf != NULL && size > 0) {
			PCRE2_UCHAR msg[128];
			pcre2_get_error_message(errcode, msg, sizeof(msg));
			snprintf(errbuf, size, "%s", (const char *)msg);
		}
		rc = errcode == PCRE2_ERROR_NOMEMORY ? AXR_ENOMEM : AXR_EINVAL;
		goto fail;
	}
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* optional speed-up */
	*out = code;
	rc = 0;
fail:
	pcre2_compile_context_free(cc);
	free(sb.p);
	return rc;
}

int axr_regex_prepare(axr_regex_t *re, char *errbuf, size_t size)
{
	void *cur = atomic_load_explicit(&re->compiled, memory_order_acquire);
	pcre2_code *code;
	int rc;

	if (cur != NULL && cur != &axr__regex_invalid)
		return 0;
	if (cur == &axr__regex_invalid && (errbuf == NULL || size == 0))
		return AXR_EINVAL; /* known bad; recompile only to explain why */
	rc = axr__regex_compile(re->source, &code, errbuf, size);
	if (rc == AXR_EINVAL) {
		void *expected = NULL;
		atomic_compare_exchange_strong(&re->compiled, &expected, (void *)&axr__regex_invalid);
	}
	if (rc != 0)
		return rc;
	void *expected = NULL;
	if (!atomic_compare_exchange_strong_explicit(&re->compiled, &expected, code,
						     memory_order_acq_rel, memory_order_acquire))
		pcre2_code_free(code); /* another thread won; use its copy */
	return 0;
}

int axr_regex_match(axr_regex_t *re, const char *subject, size_t len, bool *matched)
{
	void *code = atomic_load_explicit(&re->compiled, memory_order_acquire);
	pcre2_match_data *md = NULL;
	int rc;

	*matched = false;
	if (code == &axr__regex_invalid)
		return AXR_EINVAL;
	if (code == NULL) {
		if ((rc = axr_regex_prepare(re, NULL, 0)) != 0)
			return rc;
		code = atomic_load_explicit(&re->compiled, memory_order_acquire);
	}
	pthread_once(&axr__regex_once, axr__regex_init);
	if (axr__regex_key_ok)
		md = pthread_getspecific(axr__regex_key);
	if (md == NULL) {
		if ((md = pcre2_match_data_create(1, NULL)) == NULL)
			return AXR_ENOMEM;
		if (axr__regex_key_ok && pthread_setspecific(axr__regex_key, md) != 0) {
			pcre2_match_data_free(md);
			return AXR_ENOMEM;
		}
	}
	if (subject == NULL)
		subject = "";
	rc = pcre2_match(code, (PCRE2_SPTR)subject, len, 0, 0, md, axr__regex_mctx);
	if (!axr__regex_key_ok)
		pcre2_match_data_free(md);
	if (rc >= 0) {
		*matched = true;
		return 0;
	}
	switch (rc) {
	case PCRE2_ERROR_NOMATCH:
		return 0;
	case PCRE2_ERROR_MATCHLIMIT:
	case PCRE2_ERROR_DEPTHLIMIT:
	case PCRE2_ERROR_HEAPLIMIT:
	case PCRE2_ERROR_JIT_STACKLIMIT:
		return AXR_ERANGE;
	case PCRE2_ERROR_NOMEMORY:
		return AXR_ENOMEM;
	default:
		if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21)
			return AXR_EINVAL;
		return AXR_EINTERNAL;
	}
}

void axr_regex_release(axr_regex_t *re)
{
	void *code = atomic_exchange(&re->compiled, NULL);
	if (code != NULL && code != &axr__regex_invalid)
		pcre2_code_free(code);
}

int axr_regex_check(const char *source, char *errbuf, size_t size)
{
	pcre2_code *code;
	int rc = axr__regex_compile(source, &code, errbuf, size);
	pcre2_code_free(code);
	return rc;
}

void axr_regex_thread_cleanup(void)
{
	pthread_once(&axr__regex_once, axr__regex_init);
	if (!axr__regex_key_ok)
		return;
	pcre2_match_data *md = pthread_getspecific(axr__regex_key);
	if (md != NULL) {
		pcre2_match_data_free(md);
		pthread_setspecific(axr__regex_key, NULL);
	}
}
