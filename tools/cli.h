/* cli.h: what the upager command and the benchmark share */
#ifndef UPAGER_CLI_H
#define UPAGER_CLI_H

/*
 * Static inline, included by each program: the two are separate
 * executables and this is too small to be a library of its own.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* parse_size: a positive byte count with an optional K, M or G suffix. */
static inline int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end != '\0' || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* default_dir: where temporary files go: $TMPDIR, else /tmp. */
static inline const char *default_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp";
}

/* least_budget: the smallest budget upager accepts, 64 pages. */
static inline uint64_t least_budget(void)
{
	return 64 * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* on_interrupt: run fn on the signals that end an interrupted run. */
static inline void on_interrupt(void (*fn)(int))
{
	signal(SIGINT, fn);
	signal(SIGTERM, fn);
	signal(SIGHUP, fn);
}

/* now: monotonic seconds, for timings. */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* mix64: the splitmix64 step: deterministic data, offsets, checksums. */
static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/*
 * fill_pattern: a sample file's bytes at [off, off + len), a function of
 * the offset alone, so any chunk can be checked without keeping a copy.
 * off is a multiple of 8; buf holds len rounded up to 8.
 */
static inline void fill_pattern(void *buf, uint64_t off, size_t len)
{
	uint64_t *w = buf;

	for (size_t i = 0; i < (len + 7) / 8; i++)
		w[i] = mix64(off / 8 + i);
}

#endif /* UPAGER_CLI_H */
