/* format.c: the "format" keyword (uuid, date-time, email, ipv6, ...). */
#include "format.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"

static const char *const axr__format_names[] = {
	[AXR_FORMAT_NONE] = "",          [AXR_FORMAT_UUID] = "uuid",
	[AXR_FORMAT_DATE_TIME] = "date-time", [AXR_FORMAT_DATE] = "date",
	[AXR_FORMAT_TIME] = "time",      [AXR_FORMAT_EMAIL] = "email",
	[AXR_FORMAT_HOSTNAME] = "hostname", [AXR_FORMAT_URI] = "uri",
	[AXR_FORMAT_IPV4] = "ipv4",      [AXR_FORMAT_IPV6] = "ipv6",
	[AXR_FORMAT_BYTE] = "byte",      [AXR_FORMAT_REGEX] = "regex",
	[AXR_FORMAT_INT32] = "int32",    [AXR_FORMAT_INT64] = "int64",
	[AXR_FORMAT_FLOAT] = "float",    [AXR_FORMAT_DOUBLE] = "double",
};

#define AXR__NFORMATS (sizeof(axr__format_names) / sizeof(axr__format_names[0]))

axr_format_t axr_format_from_name(const char *name)
{
	if (name == NULL)
		return AXR_FORMAT_NONE;
	for (size_t i = 1; i < AXR__NFORMATS; i++)
		if (strcmp(axr__format_names[i], name) == 0)
			return (axr_format_t)i;
	if (strcmp(name, "host-name") == 0) /* draft 3 spelling */
		return AXR_FORMAT_HOSTNAME;
	return AXR_FORMAT_NONE;
}

const char *axr_format_name(axr_format_t format)
{
	if ((size_t)format >= AXR__NFORMATS)
		return "";
	return axr__format_names[format];
}

bool axr_format_is_string(axr_format_t format)
{
	return format != AXR_FORMAT_NONE && format < AXR_FORMAT_INT32;
}

/* ---- character classes (ASCII only: formats never accept other digits) */

static bool axr__digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool axr__alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool axr__hex(char c)
{
	return axr__digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool axr__unreserved(char c)
{
	return axr__alpha(c) || axr__digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool axr__sub_delim(char c)
{
	return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

/* Reads exactly n ASCII digits at s[*i]; false if any is not a digit. */
static bool axr__digits(const char *s, size_t len, size_t *i, size_t n, unsigned *out)
{
	unsigned v = 0;
	if (len - *i < n)
		return false;
	for (size_t k = 0; k < n; k++) {
		char c = s[*i + k];
		if (!axr__digit(c))
			return false;
		v = v * 10 + (unsigned)(c - '0');
	}
	*i += n;
	*out = v;
	return true;
}

static bool axr__lit(const char *s, size_t len, size_t *i, char c)
{
	if (*i >= len || s[*i] != c)
		return false;
	(*i)++;
	return true;
}

/* ---- dates and times (RFC 3339 section 5.6) */

static bool axr__full_date(const char *s, size_t len, size_t *i)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, m, d;
	if (!axr__digits(s, len, i, 4, &y) || !axr__lit(s, len, i, '-') ||
	    !axr__digits(s, len, i, 2, &m) || !axr__lit(s, len, i, '-') ||
	    !axr__digits(s, len, i, 2, &d))
		return false;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	return true;
}

static bool axr__full_time(const char *s, size_t len, size_t *i)
{
	unsigned h, mi, sec, oh = 0, om = 0;
	int sign = 0;
	if (!axr__digits(s, len, i, 2, &h) || !axr__lit(s, len, i, ':') ||
	    !axr__digits(s, len, i, 2, &mi) || !axr__lit(s, len, i, ':') ||
	    !axr__digits(s, len, i, 2, &sec))
		return false;
	if (h > 23 || mi > 59 || sec > 60)
		return false;
	if (*i < len && s[*i] == '.') {
		size_t start = ++*i;
		while (*i < len && axr__digit(s[*i]))
			(*i)++;
		if (*i == start)
			return false;
	}
	if (*i >= len)
		return false;
	if (s[*i] == 'Z' || s[*i] == 'z') {
		(*i)++;
	} else if (s[*i] == '+' || s[*i] == '-') {
		sign = s[*i] == '+' ? 1 : -1;
		(*i)++;
		if (!axr__digits(s, len, i, 2, &oh) || !axr__lit(s, len, i, ':') ||
		    !axr__digits(s, len, i, 2, &om) || oh > 23 || om > 59)
			return false;
	} else {
		return false;
	}
	if (sec == 60) {
		/* a leap second happens at 23:59:60 UTC only */
		int utc = (int)(h * 60 + mi) - sign * (int)(oh * 60 + om);
		utc = ((utc % 1440) + 1440) % 1440;
		if (utc != 23 * 60 + 59)
			return false;
	}
	return true;
}

static bool axr__date_time(const char *s, size_t len)
{
	size_t i = 0;
	if (!axr__full_date(s, len, &i))
		return false;
	if (i >= len || (s[i] != 'T' && s[i] != 't'))
		return false;
	i++;
	return axr__full_time(s, len, &i) && i == len;
}

/* ---- network names and addresses */

static bool axr__ipv4(const char *s, size_t len)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		if (part > 0 && !axr__lit(s, len, &i, '.'))
			return false;
		size_t start = i;
		while (i < len && axr__digit(s[i]) && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return false;
	}
	return i == len;
}

static bool axr__ipv6(const char *s, size_t len)
{
	size_t i = 0;
	int groups = 0, gap = -1;

	if (len < 2)
		return false;
	if (s[0] == ':') {
		if (s[1] != ':')
			return false;
		gap = 0;
		i = 2;
	}
	while (i < len) {
		size_t start = i;
		while (i < len && axr__hex(s[i]) && i - start < 5)
			i++;
		if (i < len && s[i] == '.') {
			/* an embedded IPv4 address ends the text and counts as two groups */
			if (!axr__ipv4(s + start, len - start) || groups > 6)
				return false;
			groups += 2;
			i = len;
			break;
		}
		if (i == start || i - start > 4)
			return false;
		groups++;
		if (i == len)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < len && s[i] == ':') {
			if (gap >= 0)
				return false; /* a second "::" */
			gap = groups;
			i++;
		} else if (i == len) {
			return false; /* a trailing single ':' */
		}
	}
	if (groups > 8)
		return false;
	return gap >= 0 ? groups <= 7 : groups == 8;
}

static bool axr__hostname(const char *s, size_t len)
{
	size_t label = 0;
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		char c = s[i];
		if (!(axr__alpha(c) || axr__digit(c) || c == '-'))
			return false;
		if (label == 0 && c == '-')
			return false;
		label++;
	}
	return true;
}

static bool axr__atext(char c)
{
	return axr__alpha(c) || axr__digit(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool axr__email(const char *s, size_t len)
{
	const char *at = NULL;
	size_t i = 0, local;

	if (len > 254)
		return false;
	if (len > 0 && s[0] == '"') {
		/* quoted-string: printable ASCII, backslash pairs */
		for (i = 1; i < len && s[i] != '"'; i++) {
			if (s[i] == '\\')
				i++;
			if (i >= len || (unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
				return false;
		}
		if (i >= len)
			return false;
		i++;
		if (i >= len || s[i] != '@')
			return false;
		at = s + i;
	} else {
		/* dot-atom: atext runs separated by single dots */
		bool need = true;
		for (; i < len && s[i] != '@'; i++) {
			if (s[i] == '.') {
				if (need)
					return false;
				need = true;
			} else if (axr__atext(s[i])) {
				need = false;
			} else {
				return false;
			}
		}
		if (i >= len || need)
			return false;
		at = s + i;
	}
	local = (size_t)(at - s);
	if (local == 0 || local > 64)
		return false;
	const char *dom = at + 1;
	size_t dlen = len - local - 1;
	if (dlen > 2 && dom[0] == '[' && dom[dlen - 1] == ']') {
		if (dlen > 7 && memcmp(dom, "[IPv6:", 6) == 0)
			return axr__ipv6(dom + 6, dlen - 7);
		return axr__ipv4(dom + 1, dlen - 2);
	}
	return axr__hostname(dom, dlen);
}

/* ---- URIs (RFC 3986 section 3) */

/* Accepts pchar-like characters (plus `extra`) and %XX escapes. */
static bool axr__uri_chars(const char *s, size_t len, const char *extra)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\0') {
			return false;
		} else if (c == '%') {
			if (len - i < 3 || !axr__hex(s[i + 1]) || !axr__hex(s[i + 2]))
				return false;
			i += 2;
		} else if (!axr__unreserved(c) && !axr__sub_delim(c) && strchr(extra, c) == NULL) {
			return false;
		}
	}
	return true;
}

static bool axr__uri_host(const char *s, size_t len)
{
	if (len > 0 && s[0] == '[') {
		if (len < 2 || s[len - 1] != ']')
			return false;
		s++;
		len -= 2;
		if (len > 0 && (s[0] == 'v' || s[0] == 'V')) {
			/* IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
			const char *dot = memchr(s, '.', len);
			if (dot == NULL || dot == s + 1 || dot == s + len - 1)
				return false;
			for (const char *p = s + 1; p < dot; p++)
				if (!axr__hex(*p))
					return false;
			return axr__uri_chars(dot + 1, (size_t)(s + len - dot - 1), ":") &&
			       memchr(dot + 1, '%', (size_t)(s + len - dot - 1)) == NULL;
		}
		return axr__ipv6(s, len);
	}
	return axr__uri_chars(s, len, ""); /* reg-name (covers IPv4address too) */
}

static bool axr__uri(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !axr__alpha(s[0]))
		return false;
	while (i < len && (axr__alpha(s[i]) || axr__digit(s[i]) || s[i] == '+' || s[i] == '-' ||
			   s[i] == '.'))
		i++;
	if (i >= len || s[i] != ':')
		return false;
	i++;

	size_t hier_end = i;
	while (hier_end < len && s[hier_end] != '?' && s[hier_end] != '#')
		hier_end++;
	size_t path = i;
	if (hier_end - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		size_t a = i + 2, a_end = a;
		while (a_end < hier_end && s[a_end] != '/')
			a_end++;
		path = a_end;
		const char *atp = memchr(s + a, '@', a_end - a);
		if (atp != NULL) {
			if (!axr__uri_chars(s + a, (size_t)(atp - (s + a)), ":"))
				return false;
			a = (size_t)(atp - s) + 1;
		}
		/* port: digits after the last ':' that is not inside [...] */
		size_t host_end = a_end;
		for (size_t k = a_end; k > a; k--) {
			if (s[k - 1] == ']')
				break;
			if (s[k - 1] == ':') {
				host_end = k - 1;
				for (size_t d = k; d < a_end; d++)
					if (!axr__digit(s[d]))
						return false;
				break;
			}
		}
		if (!axr__uri_host(s + a, host_end - a))
			return false;
	}
	if (!axr__uri_chars(s + path, hier_end - path, ":@/"))
		return false;
	if (hier_end < len && s[hier_end] == '?') {
		size_t q = hier_end + 1;
		while (hier_end + 1 < len && s[hier_end + 1] != '#')
			hier_end++;
		hier_end++;
		if (!axr__uri_chars(s + q, hier_end - q, ":@/?"))
			return false;
	}
	if (hier_end < len && !axr__uri_chars(s + hier_end + 1, len - hier_end - 1, ":@/?"))
		return false; /* the fragment */
	return true;
}

/* ---- the rest */

static bool axr__uuid(const char *s, size_t len)
{
	if (len != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!axr__hex(s[i])) {
			return false;
		}
	}
	return true;
}

static bool axr__base64(const char *s, size_t len)
{
	size_t pad = 0;
	if (len % 4 != 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '=') {
			pad++;
			if (i < len - 2 || pad > 2)
				return false;
		} else if (pad > 0 || !(axr__alpha(c) || axr__digit(c) || c == '+' || c == '/')) {
			return false;
		}
	}
	return true;
}

static bool axr__regex(const char *s, size_t len)
{
	char *copy;
	bool ok;
	if (memchr(s, '\0', len) != NULL || (copy = malloc(len + 1)) == NULL)
		return false;
	memcpy(copy, s, len);
	copy[len] = '\0';
	ok = axr_regex_check(copy, NULL, 0) == 0;
	free(copy);
	return ok;
}

bool axr_format_check(axr_format_t format, const char *s, size_t len)
{
	size_t i = 0;
	switch (format) {
	case AXR_FORMAT_UUID:
		return axr__uuid(s, len);
	case AXR_FORMAT_DATE_TIME:
		return axr__date_time(s, len);
	case AXR_FORMAT_DATE:
		return axr__full_date(s, len, &i) && i == len;
	case AXR_FORMAT_TIME:
		return axr__full_time(s, len, &i) && i == len;
	case AXR_FORMAT_EMAIL:
		return axr__email(s, len);
	case AXR_FORMAT_HOSTNAME:
		return axr__hostname(s, len);
	case AXR_FORMAT_URI:
		return axr__uri(s, len);
	case AXR_FORMAT_IPV4:
		return axr__ipv4(s, len);
	case AXR_FORMAT_IPV6:
		return axr__ipv6(s, len);
	case AXR_FORMAT_BYTE:
		return axr__base64(s, len);
	case AXR_FORMAT_REGEX:
		return axr__regex(s, len);
	default:
		return true;
	}
}
