/* check.h: assertions for the tests, loud and with file:line */
#ifndef UPAGER_CHECK_H
#define UPAGER_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* CHECK(cond): abort the test with file:line and the condition. */
#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* CHECK_EQ(a, b): as CHECK, printing both values as long long. */
#define CHECK_EQ(a, b) do { \
	long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
	if (check_a_ != check_b_) { \
		fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s " \
		    "(%lld != %lld)\n", __FILE__, __LINE__, #a, #b, \
		    check_a_, check_b_); \
		abort(); \
	} \
} while (0)

/* CHECK_OK(call): a upager call that must return >= 0. */
#define CHECK_OK(call) do { \
	long long check_r_ = (long long)(call); \
	if (check_r_ < 0) { \
		fprintf(stderr, "%s:%d: %s failed: %lld (%s)\n", __FILE__, \
		    __LINE__, #call, check_r_, strerror((int)-check_r_)); \
		abort(); \
	} \
} while (0)

/* CHECK_MEM(a, b, n): equal bytes, else report the first difference. */
#define CHECK_MEM(a, b, n) do { \
	const unsigned char *check_p_ = (const void *)(a); \
	const unsigned char *check_q_ = (const void *)(b); \
	size_t check_n_ = (n), check_i_; \
	for (check_i_ = 0; check_i_ < check_n_; check_i_++) \
		if (check_p_[check_i_] != check_q_[check_i_]) \
			break; \
	if (check_i_ != check_n_) { \
		fprintf(stderr, "%s:%d: CHECK_MEM failed: %s and %s differ " \
		    "at byte %zu of %zu (%#x != %#x)\n", __FILE__, __LINE__, \
		    #a, #b, check_i_, check_n_, check_p_[check_i_], \
		    check_q_[check_i_]); \
		abort(); \
	} \
} while (0)

/* test_dir: a fresh directory for this test's files (under $TMPDIR). */
static inline const char *test_dir(void)
{
	static char dir[256];
	const char *t = getenv("TMPDIR");

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "%s/upager-test-XXXXXX",
		    t != NULL ? t : "/tmp");
		CHECK(mkdtemp(dir) != NULL);
	}
	return dir;
}

#endif /* UPAGER_CHECK_H */
