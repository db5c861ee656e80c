/*
 * A fuzz harness without libFuzzer: runs LLVMFuzzerTestOneInput once on every file of the
 * directories given, so the seed corpus, and any crashing input added to it, is replayed as an
 * ordinary test by every build (gcc, release, sanitizers).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* The input in a buffer of exactly its size, as libFuzzer passes it, so ASan sees overreads. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;
	int rc = -1;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(size ? (size_t)size : 1);
		if (buf && fread(buf, 1, (size_t)size, f) == (size_t)size) {
			LLVMFuzzerTestOneInput(buf, (size_t)size);
			rc = 0;
		}
	}
	if (rc)
		fprintf(stderr, "replay: %s: cannot read\n", path);
	free(buf);
	fclose(f);
	return rc;
}

static int visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	unsigned total = 0;
	int failed = 0;

	for (int i = 1; i < argc && !failed; i++) {
		struct dirent **names;
		int n = scandir(argv[i], &names, visible, alphasort);

		if (n < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", argv[i], names[k]->d_name);
			if (!failed && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
				failed = replay_file(path) != 0;
				total++;
			}
			free(names[k]);
		}
		free(names);
	}
	if (failed)
		return 1;
	printf("replay: %u inputs, all passed\n", total);
	/* An empty or missing corpus would otherwise pass without testing anything. */
	return total > 0 ? 0 : 1;
}
