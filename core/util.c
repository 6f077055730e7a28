// SPDX-License-Identifier: MIT
/* Error messages, names and the small parsers the other files share. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "netns.h"

void nns_error_set(struct nns_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->what, sizeof(e->what), fmt, ap);
	va_end(ap);
}

const char *nns_errno_name(int code)
{
	const char *name = strerrorname_np(code);

	return name ? name : "E?";
}

size_t nns_error_format(const struct nns_error *e, const char *where, char *buf, size_t size)
{
	const char *desc = strerrordesc_np(e->code);
	int n;

	n = snprintf(buf, size, "%s%s%s%s: %s [%s]%s%s", e->what, where ? " (in " : "",
		     where ? where : "", where ? ")" : "", desc ? desc : "Unknown error",
		     nns_errno_name(e->code), e->ext[0] ? ": " : "", e->ext);
	return n < 0 ? 0 : (size_t)n;
}

void nns_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void nns_format_lladdr(const uint8_t *a, size_t len, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		*buf++ = hex[a[i] >> 4];
		*buf++ = hex[a[i] & 15];
		*buf++ = i + 1 < len ? ':' : '\0';
	}
	if (!len)
		*buf = '\0';
}

/* Writes @v in decimal at @p; returns the end. */
static char *put_uint(char *p, unsigned v)
{
	char digits[10];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		*p++ = digits[--n];
	return p;
}

/*
 * IPv4 is written here: glibc's inet_ntop formats it through sprintf,
 * which cost more than all the rest of an address's record.
 */
size_t nns_format_inet(int family, const void *a, int plen, char *buf)
{
	const uint8_t *b = a;
	char *p = buf;

	if (family == AF_INET) {
		int i;

		for (i = 0; i < 4; i++) {
			p = put_uint(p, b[i]);
			*p++ = '.';
		}
		p--;
	} else if (inet_ntop(family, a, buf, NNS_INET_STRLEN)) {
		p += strlen(buf);
	}
	if (plen >= 0) {
		*p++ = '/';
		p = put_uint(p, (unsigned)plen);
	}
	*p = '\0';
	return (size_t)(p - buf);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int nns_parse_lladdr(const char *s, uint8_t *out, size_t size)
{
	size_t n = 0;

	while (*s) {
		int hi = hexval(s[0]), lo = hexval(s[1]);

		/* One or two hex digits per byte, as iproute2 accepts. */
		if (hi < 0 || n == size)
			return -EINVAL;
		if (lo < 0) {
			out[n++] = (uint8_t)hi;
			s += 1;
		} else {
			out[n++] = (uint8_t)(hi << 4 | lo);
			s += 2;
		}
		if (*s == ':' && s[1])
			s++;
		else if (*s)
			return -EINVAL;
	}
	return n ? (int)n : -EINVAL;
}

const void *nns_attr_inet(const struct nlattr *attr, int family)
{
	if (!attr || mnl_attr_get_payload_len(attr) != nns_addr_bytes(family))
		return NULL;
	return mnl_attr_get_payload(attr);
}
