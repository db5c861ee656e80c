/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The raw text, before and around libconfig: reading the file into one string, and a pre-scan
 * of that string for what libconfig would accept silently (integers wrapped to 32 bits,
 * @include, more lines than it can number).
 */
#include "tt_conf_priv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	MAX_FILE_BYTES = 1024 * 1024, /* a real configuration is a few KiB */
	MAX_FILE_LINES = 65535,	      /* libconfig keeps line numbers in an unsigned short */
};

/* Value of c as a digit in base (10 or 16), or -1. */
static int digit_value(char c, unsigned base)
{
	if (isdigit((unsigned char)c))
		return c - '0';
	if (base == 16 && isxdigit((unsigned char)c))
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/*
 * libconfig 1.5 keeps an integer literal without an L suffix in 32 bits and silently wraps
 * anything larger (4294968296 reads back as 1000), which would slip past every range check.
 * Catch such literals in the raw text. *pp points at a digit or a sign before one.
 */
static int scan_number(struct ctx *x, unsigned line, const char *path, const char **pp)
{
	const char *start = *pp, *p = start;
	uint64_t v = 0, lim = INT32_MAX;
	unsigned base = 10;
	int d;

	if (*p == '-' || *p == '+')
		lim += *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	/* stop accumulating once past lim: v stays above it and cannot overflow */
	for (; (d = digit_value(*p, base)) >= 0; p++)
		if (v <= lim)
			v = v * base + (unsigned)d;
	if (base == 10 && (*p == '.' || *p == 'e' || *p == 'E')) {
		/* a float: skip its fraction and exponent */
		while (isalnum((unsigned char)*p) || *p == '.' ||
		       ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
			p++;
		*pp = p;
		return 0;
	}
	*pp = p + (*p == 'L') + (*p == 'L' && p[1] == 'L'); /* a 64-bit literal's suffix */
	if (*p == 'L' || v <= lim)
		return 0;
	return tt_conf_fail(x, line, "%s: integer %.*s does not fit in 32 bits", path,
			    (int)(p - start), start);
}

/* Whether [from, to) is the word w, in any case (libconfig's booleans). */
static bool is_word(const char *from, const char *to, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(to - from) == n && strncasecmp(from, w, n) == 0;
}

/*
 * Where the walk is: one scope per open group or list, each with its current key (the last
 * setting name seen in a group, the element's index in a list), so that a number is named
 * by its whole path as the loader names settings (ports[0].mtu).
 */
enum { MAX_DEPTH = 16 };

struct scope {
	bool list;
	unsigned index;
	const char *name;
	int name_len;
};

struct walk {
	unsigned depth; /* scopes open inside the file's top level, scope[0] */
	struct scope scope[MAX_DEPTH + 1];
};

/* The path of the value at the walk's position, into buf. */
static const char *walk_path(const struct walk *w, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i <= w->depth && n < len; i++) {
		const struct scope *sc = &w->scope[i];
		int k = sc->list ? snprintf(buf + n, len - n, "[%u]", sc->index)
				 : snprintf(buf + n, len - n, "%s%.*s", n > 0 ? "." : "",
					    sc->name_len, sc->name);

		n += k > 0 ? (size_t)k : 0;
	}
	return buf;
}

/* A group ({) or a list (( or [) opens inside the current scope's key. */
static bool walk_open(struct walk *w, bool list)
{
	if (w->depth == MAX_DEPTH)
		return false;
	w->scope[++w->depth] = (struct scope){.list = list, .name = "value", .name_len = 5};
	return true;
}

/* Walks comments and strings the way libconfig's scanner does, to find numbers and lines. */
int tt_conf_prescan(struct ctx *x, const char *p)
{
	/* A number before any name is a syntax error for libconfig. */
	struct walk w = {.scope[0] = {.name = "value", .name_len = 5}};
	unsigned line = 1;
	char path[256];
	int rc;

	while (*p) {
		struct scope *sc = &w.scope[w.depth];

		if (*p == '\n') {
			if (++line > MAX_FILE_LINES)
				return tt_conf_fail(x, line, "more than %u lines", MAX_FILE_LINES);
			p++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			p += *p ? 2 : 0;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				p += p[0] == '\\' && p[1];
				line += *p == '\n';
			}
			p += *p ? 1 : 0;
		} else if (*p == '@') {
			/* includes would resolve against the working directory, not the file's */
			return tt_conf_fail(x, line, "@include is not supported: use one file");
		} else if (*p == '{' || *p == '(' || *p == '[') {
			if (!walk_open(&w, *p != '{'))
				return tt_conf_fail(
				    x, line, "groups and lists nested deeper than %u", MAX_DEPTH);
			p++;
		} else if (*p == '}' || *p == ')' || *p == ']') {
			w.depth -= w.depth > 0; /* an unmatched one is libconfig's syntax error */
			p++;
		} else if (*p == ',') {
			sc->index += sc->list;
			p++;
		} else if (isalpha((unsigned char)*p) || *p == '*' || *p == '_') {
			const char *word = p;

			while (*p && (isalnum((unsigned char)*p) || strchr("-_*", *p)))
				p++;
			/* true and false are values, not names */
			if (!is_word(word, p, "true") && !is_word(word, p, "false")) {
				sc->name = word;
				sc->name_len = (int)(p - word);
			}
		} else if (isdigit((unsigned char)*p) ||
			   ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) {
			rc = scan_number(x, line, walk_path(&w, path, sizeof(path)), &p);
			if (rc)
				return rc;
		} else {
			p++;
		}
	}
	return 0;
}

int tt_conf_io_fail(char *err, size_t errlen, const char *path, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s: %s", path, what, strerror(e));
	return -e;
}

/* The whole file as one NUL-terminated string, so libconfig and the pre-scan see the same text. */
static int read_text(int fd, const char *path, char **text, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	ssize_t n = 0;

	if (fstat(fd, &st) < 0)
		return tt_conf_io_fail(err, errlen, path, "cannot stat", errno);
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_size > MAX_FILE_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes, not a configuration", path,
			 MAX_FILE_BYTES);
		return -EFBIG;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text)
		return tt_conf_io_fail(err, errlen, path, "cannot load", ENOMEM);
	while (got < (size_t)st.st_size) {
		n = read(fd, *text + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (n < 0) {
		free(*text);
		return tt_conf_io_fail(err, errlen, path, "cannot read", errno);
	}
	(*text)[got] = '\0';
	if (memchr(*text, '\0', got)) {
		free(*text);
		snprintf(err, errlen, "%s: contains a NUL byte, not a text file", path);
		return -EINVAL;
	}
	return 0;
}

int tt_conf_read_file(const char *path, char **text, char *err, size_t errlen)
{
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tt_conf_io_fail(err, errlen, path, "cannot open", errno);
	rc = read_text(fd, path, text, err, errlen);
	close(fd);
	return rc;
}
