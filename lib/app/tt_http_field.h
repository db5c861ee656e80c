/*
 * tt_http_field: the byte classes of RFC 9110 field syntax, and the one rule for a configured
 * response header ("Name: value").
 *
 * Shared by the configuration, which refuses a bad `http.headers` entry at load with its file,
 * line and key, and by the HTTP module, whose parser builds its byte-class table from the same
 * macros and whose response builder refuses what the configuration would: one definition, so
 * that a file the loader accepts is never refused by the builder afterwards.
 */
#ifndef TT_HTTP_FIELD_H
#define TT_HTTP_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define TT_HTTP_IS_ALNUM(c)                                                                        \
	(((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z'))
/* tchar (RFC 9110 5.6.2): the bytes of a token, a field name's */
#define TT_HTTP_IS_TCHAR(c)                                                                        \
	(TT_HTTP_IS_ALNUM(c) || (c) == '!' || (c) == '#' || (c) == '$' || (c) == '%' ||            \
	 (c) == '&' || (c) == '\'' || (c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' ||      \
	 (c) == '^' || (c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')
/* field-vchar / obs-text (5.5) plus SP and HTAB: what a field value may hold */
#define TT_HTTP_IS_VALUE_CHAR(c) (((c) >= 0x20 && (c) != 0x7f) || (c) == '\t')

/* Whether the len bytes at name are word (lower case), letters compared without case. */
static inline bool tt_http_name_is(const char *name, size_t len, const char *word)
{
	if (strlen(word) != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if ((c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c) != (unsigned char)word[i])
			return false;
	}
	return true;
}

/*
 * Why the header line h ("Name: value", without its CRLF) cannot be one of the configured
 * response's, or NULL when it can: a name of tchar bytes up to its ':', not one of the fields
 * the builder writes itself (a second copy would contradict it), a value of field bytes only
 * (no CR, LF or other control byte: the line would end early or forge the response).
 */
static inline const char *tt_http_field_refusal(const char *h)
{
	static const char *const owned[] = {"content-length", "connection", "transfer-encoding"};
	size_t n = 0;

	if (strchr(h, ':') == NULL)
		return "has no ':' (expected \"Name: value\")";
	while (TT_HTTP_IS_TCHAR((unsigned char)h[n]))
		n++;
	if (n == 0 && h[0] == ':')
		return "has an empty field name";
	if (h[n] != ':')
		return "has a byte in its name that no field name may hold (RFC 9110 5.6.2: "
		       "letters, digits and !#$%&'*+-.^_`|~)";
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (tt_http_name_is(h, n, owned[i]))
			return "names a field tcpterm writes itself (Content-Length, Connection, "
			       "Transfer-Encoding)";
	for (size_t i = n + 1; h[i] != '\0'; i++)
		if (!TT_HTTP_IS_VALUE_CHAR((unsigned char)h[i]))
			return "has a control byte (CR, LF, DEL or below space but tab) in its "
			       "value";
	return NULL;
}

#endif
