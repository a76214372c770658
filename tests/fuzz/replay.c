/* SPDX-License-Identifier: MIT */
/*
 * replay.c - run a fuzz target's committed corpus without libFuzzer.
 *
 *   replay-NAME DIR...
 *
 * Linked with tests/fuzz/fuzz-NAME.c by the ordinary compiler, so
 * `make check` feeds every corpus file through its target (and under
 * ASan/UBSan in `make asan`, valgrind in `make valgrind`) in well under
 * a second.  The targets abort() on a broken invariant; a clean run
 * prints one TAP line for the whole corpus.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Read PATH whole; NULL on error (errno set). */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *nb;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1
						 : argv[0];
	long inputs = 0;
	int i, j, n;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		struct dirent **ents;

		n = scandir(argv[i], &ents, NULL, by_name);
		if (n < 0) {
			printf("not ok 1 - %s: %s: %s\n", name, argv[i],
			       strerror(errno));
			return 1;
		}
		for (j = 0; j < n; j++) {
			char path[4096];
			uint8_t *data;
			size_t len;

			if (ents[j]->d_name[0] == '.') {
				free(ents[j]);
				continue;
			}
			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 ents[j]->d_name);
			free(ents[j]);
			data = slurp(path, &len);
			if (!data) {
				printf("not ok 1 - %s: %s: %s\n", name, path,
				       strerror(errno));
				return 1;
			}
			LLVMFuzzerTestOneInput(data, len);
			free(data);
			inputs++;
		}
		free(ents);
	}
	if (!inputs) {
		printf("not ok 1 - %s: empty corpus\n", name);
		return 1;
	}
	printf("ok 1 - %s: %ld corpus inputs replayed\n", name, inputs);
	return 0;
}
