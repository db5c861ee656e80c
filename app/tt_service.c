#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_log.h>

#ifdef TT_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "tt_service.h"

/* True when stderr is the stream JOURNAL_STREAM ("DEVICE:INODE") names. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%ju:%ju", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

/* Whether the next byte written starts a line: only journal_write touches it, under the
 * stream's lock (stdio locks each FILE). */
static bool at_line_start = true;

/* Each line gets the syslog priority of the message being logged: rte levels are syslog's + 1. */
static ssize_t journal_write(void *cookie, const char *buf, size_t len)
{
	size_t i = 0;

	(void)cookie;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl != NULL ? (size_t)(nl - (buf + i)) + 1 : len - i;

		if (at_line_start) {
			int lvl = rte_log_cur_msg_loglevel();

			if (lvl < (int)RTE_LOG_EMERG || lvl > (int)RTE_LOG_DEBUG)
				lvl = RTE_LOG_INFO;
			fprintf(stderr, "<%d>", lvl - 1);
		}
		fwrite(buf + i, 1, n, stderr);
		at_line_start = nl != NULL;
		i += n;
	}
	fflush(stderr);
	return (ssize_t)len;
}

int tt_service_log_init(void)
{
	static const cookie_io_functions_t journal = {.write = journal_write};
	FILE *f = stderr;

	if (stderr_is_journal()) {
		f = fopencookie(NULL, "w", journal);
		if (f == NULL)
			return -errno;
		setvbuf(f, NULL, _IOLBF, 0);
	}
	return rte_openlog_stream(f) == 0 ? 0 : -EINVAL;
}

static int notify(const char *state, const char *status)
{
	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
#ifdef TT_HAVE_SYSTEMD
	int rc = sd_notifyf(0, "%s\nSTATUS=%s", state, status);

	return rc < 0 ? rc : 0;
#else
	fprintf(stderr,
		"tcpterm: NOTIFY_SOCKET is set but this build has no libsystemd: %s not sent\n",
		state);
	(void)status;
	return -ENOTSUP;
#endif
}

int tt_service_notify_ready(const char *status)
{
	return notify("READY=1", status);
}

int tt_service_notify_stopping(const char *status)
{
	return notify("STOPPING=1", status);
}
