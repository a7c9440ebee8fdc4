/* Tiny assertion helpers for the C API tests (plain C, no framework: these
 * programs are built against the installed headers with the system cc). */
#ifndef CAPI_CHECK_H
#define CAPI_CHECK_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int check_failures;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
			check_failures++;                                        \
		}                                                                \
	} while (0)

/* An int call that must return -1 with this errno. */
#define CHECK_FAILS(call, expected_errno)                                        \
	do {                                                                     \
		errno = 0;                                                       \
		int check_r_ = (call);                                           \
		check_errno_(check_r_ == -1, errno, expected_errno, #call,       \
			     #expected_errno, __FILE__, __LINE__);               \
	} while (0)

/* A pointer call that must return NULL with this errno. */
#define CHECK_NULL(call, expected_errno)                                         \
	do {                                                                     \
		errno = 0;                                                       \
		const void *check_p_ = (call);                                   \
		check_errno_(check_p_ == NULL, errno, expected_errno, #call,     \
			     #expected_errno, __FILE__, __LINE__);               \
	} while (0)

static inline void check_errno_(int failed, int got, int expected, const char *call,
				const char *expected_name, const char *file, int line)
{
	if (!failed) {
		fprintf(stderr, "%s:%d: %s succeeded, expected %s\n", file, line,
			call, expected_name);
		check_failures++;
	} else if (got != expected) {
		fprintf(stderr, "%s:%d: %s: errno %d (%s), expected %s\n", file,
			line, call, got, strerror(got), expected_name);
		check_failures++;
	}
}

static inline int check_done(const char *name)
{
	if (check_failures) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
		return 1;
	}
	printf("%s: all checks passed\n", name);
	return 0;
}

static inline void to_hex(const uint8_t *digest, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
	out[2 * n] = '\0';
}

/* lcfs_write_cb writing to a FILE*. */
static inline ssize_t write_to_stdio(void *file, void *buf, size_t count)
{
	return (ssize_t)fwrite(buf, 1, count, (FILE *)file);
}

#endif
