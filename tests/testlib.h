/* testlib.h: helpers the tests share */
#ifndef UPAGER_TESTLIB_H
#define UPAGER_TESTLIB_H

/*
 * Every test is its own executable, so these are static (inline where
 * they are functions): a test that does not use one pays nothing for it.
 * Plain file access here goes straight to the system calls, never through
 * upager's sys_* wrappers, so that it neither counts as upager's calls nor
 * fails with the faults a test injects into them.
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "debug.h"
#include "upager.h"

#define KiB ((size_t)1024)
#define MiB (1024 * KiB)

/* PG: the pager's page size, set once by set_page_size(). */
static size_t PG;

/* set_page_size: take PG from a pager; it must be a power of two. */
static inline void set_page_size(upager_t *pg)
{
	struct upager_stats st;

	CHECK_EQ(upager_stats(pg, &st), 0);
	PG = (size_t)st.page_size;
	CHECK(PG >= 512 && (PG & (PG - 1)) == 0);
}

/* UWRITE, UREAD: a upager transfer that must move all n bytes. */
#define UWRITE(f, b, n, o) \
	CHECK_EQ(upager_pwrite((f), (b), (n), (o)), (long long)(n))
#define UREAD(f, b, n, o) \
	CHECK_EQ(upager_pread((f), (b), (n), (o)), (long long)(n))
/* PCHECK: the pager's invariants hold (no call may be running). */
#define PCHECK(pg) CHECK_EQ(dbg_check_pager(pg), 0)

/* ---- failures that say what went wrong ---- */

static inline void fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static inline void fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* one call: threads that fail at once do not mix their lines */
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
	abort();
}
#define FAIL(...) fail(__FILE__, __LINE__, __VA_ARGS__)

/* CHECK_ZERO(call): a upager call that must return 0, else its error. */
#define CHECK_ZERO(call) do { \
	int cz_r_ = (call); \
	if (cz_r_ != 0) \
		FAIL("%s: %d (%s)", #call, cz_r_, upager_strerror(cz_r_)); \
} while (0)

/* at_abort: run fn when the test aborts, to say how to reproduce it. */
static inline void at_abort(void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	/* SA_RESETHAND: abort() raises again with the default action */
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGABRT, &sa, NULL) == 0);
}

/*
 * abort_note: for an at_abort handler, what to rerun: formatted, then
 * written to fd 2 in one call, past stdio, which the failure may have
 * left in any state.
 */
static inline void abort_note(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static inline void abort_note(const char *fmt, ...)
{
	va_list ap;
	char buf[768];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)!write(2, buf, (size_t)n < sizeof(buf) ? (size_t)n :
		    sizeof(buf) - 1);
}

/* env_value: an environment variable, or NULL if unset or empty. */
static inline const char *env_value(const char *name)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? s : NULL;
}

/* test_seed: argv[1], else $UPAGER_SEED, else from the clock and pid. */
static inline uint64_t test_seed(int argc, char **argv)
{
	const char *s;
	struct timespec ts;

	if (argc > 1)
		return strtoull(argv[1], NULL, 0);
	if ((s = env_value("UPAGER_SEED")) != NULL)
		return strtoull(s, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^
	    ((uint64_t)getpid() << 32);
}

/* mono_now: monotonic seconds, for the time a test took. */
static inline double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---- */

/* One state per thread: a seed gives the same sequence every time. */
struct rng {
	uint64_t s[4];
};

/* mix64: the splitmix64 finaliser. */
static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rnext(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t v = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return v;
}

static inline void rseed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = mix64(seed += 0x9e3779b97f4a7c15ull);
}

/* rnd(r, n): uniform in [0, n); n > 0. */
static inline uint64_t rnd(struct rng *r, uint64_t n)
{
	return rnext(r) % n;
}

/* xorshift64: a small generator, for a fixed sequence of operations. */
static inline uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- memory and test data ---- */

static inline void *xmalloc(size_t n)
{
	void *p = malloc(n != 0 ? n : 1);

	CHECK(p != NULL);
	return p;
}

static inline void *xcalloc(size_t n)
{
	void *p = calloc(1, n != 0 ? n : 1);

	CHECK(p != NULL);
	return p;
}

/* pat: a byte of test data, a function of offset and seed, never zero. */
static inline unsigned char pat(uint64_t off, unsigned seed)
{
	uint64_t x = (off + 1) * 0x9E3779B97F4A7C15ull ^
	    (seed + 1) * 0xBF58476D1CE4E5B9ull;

	x ^= x >> 31;
	x *= 0x94D049BB133111EBull;
	x ^= x >> 29;
	return (unsigned char)(x % 255 + 1);
}

/* fill: b[0, n) gets the pattern of file offsets [off, off + n). */
static inline void fill(unsigned char *b, size_t n, uint64_t off,
    unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pat(off + i, seed);
}

static inline int all_zero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* mem_diff: the first byte where a and b differ, or n. */
static inline size_t mem_diff(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;
	size_t i = 0;

	while (i < n && p[i] == q[i])
		i++;
	return i;
}

/* ---- plain file access, behind upager's back ---- */

/* tpath: name inside the test directory (a ring of static buffers). */
static inline const char *tpath(const char *name)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", test_dir(), name);
	return b;
}

/* fd_pread_full: up to len bytes at off; the count, short only at EOF. */
static inline size_t fd_pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done,
		    off + (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		CHECK(r >= 0);
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return done;
}

/* fd_pwrite_full: all len bytes at off. */
static inline void fd_pwrite_full(int fd, const void *buf, size_t len,
    off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pwrite(fd, (const char *)buf + done, len - done,
		    off + (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		CHECK(r > 0);
		done += (size_t)r;
	}
}

/* ---- what the process holds ---- */

#define TL_MAXFD 512

struct fdset {
	int n;
	int fd[TL_MAXFD];
};

/* fds_now: the open descriptors, ascending (the listing's own left out) */
static inline struct fdset fds_now(void)
{
	struct fdset s = { 0 };
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL) {
		int fd;

		if (e->d_name[0] == '.' || (fd = atoi(e->d_name)) == dirfd(d))
			continue;
		CHECK(s.n < TL_MAXFD);
		s.fd[s.n++] = fd;
	}
	closedir(d);
	for (int i = 1; i < s.n; i++)
		for (int j = i; j > 0 && s.fd[j - 1] > s.fd[j]; j--) {
			int t = s.fd[j];

			s.fd[j] = s.fd[j - 1];
			s.fd[j - 1] = t;
		}
	return s;
}

static inline off_t fd_size(int fd)
{
	struct stat st;

	CHECK(fstat(fd, &st) == 0);
	return st.st_size;
}

/*
 * disk_write: write at off, creating the file if need be; oflags adds to
 * the open flags (O_EXCL: the file must be new, O_TRUNC).  The fsync puts
 * the data and its blocks on disk before upager looks, whatever way it
 * opens the file.
 */
static inline void disk_write(const char *path, const void *buf, size_t len,
    off_t off, int oflags)
{
	int fd = open(path, O_WRONLY | O_CREAT | oflags, 0644);

	CHECK(fd >= 0);
	fd_pwrite_full(fd, buf, len, off);
	CHECK(fsync(fd) == 0);
	CHECK(close(fd) == 0);
}

/* disk_resize: set the size, creating the file (oflags as disk_write). */
static inline void disk_resize(const char *path, off_t size, int oflags)
{
	int fd = open(path, O_WRONLY | O_CREAT | oflags, 0644);

	CHECK(fd >= 0);
	CHECK(ftruncate(fd, size) == 0);
	CHECK(close(fd) == 0);
}

/* disk_read: read up to len bytes at off, return the count (short at EOF). */
static inline size_t disk_read(const char *path, void *buf, size_t len,
    off_t off)
{
	int fd = open(path, O_RDONLY);
	size_t done;

	CHECK(fd >= 0);
	done = fd_pread_full(fd, buf, len, off);
	CHECK(close(fd) == 0);
	return done;
}

static inline struct stat disk_stat(const char *path)
{
	struct stat st;

	CHECK(stat(path, &st) == 0);
	return st;
}

static inline off_t disk_size(const char *path)
{
	return disk_stat(path).st_size;
}

static inline long long disk_blocks(const char *path)
{
	return (long long)disk_stat(path).st_blocks;
}

/* rm_one: nftw's callback for rm_test_dir. */
static inline int rm_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	CHECK(remove(path) == 0);
	return 0;
}

/* rm_test_dir: remove the test directory and everything in it. */
static inline void rm_test_dir(void)
{
	CHECK(nftw(test_dir(), rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0);
}

/* DISK_EXPECT: the whole file on disk equals exp[0, len). */
#define DISK_EXPECT(path, exp, len) do { \
	size_t de_len_ = (len); \
	unsigned char *de_buf_ = xmalloc(de_len_ + 1); \
	CHECK_EQ(disk_size(path), de_len_); \
	CHECK_EQ(disk_read((path), de_buf_, de_len_ + 1, 0), de_len_); \
	CHECK_MEM(de_buf_, (exp), de_len_); \
	free(de_buf_); \
} while (0)

/* UEXPECT: the whole file through upager equals exp[0, len). */
#define UEXPECT(f, exp, len) do { \
	size_t ue_len_ = (len); \
	unsigned char *ue_buf_ = xmalloc(ue_len_ + PG); \
	CHECK_EQ(upager_size(f), ue_len_); \
	CHECK_EQ(upager_pread((f), ue_buf_, ue_len_ + PG, 0), ue_len_); \
	CHECK_MEM(ue_buf_, (exp), ue_len_); \
	free(ue_buf_); \
} while (0)

/* ---- pagers and files ---- */

/*
 * QUIET_SYNCER: a syncer delay of an hour, for tests that check what is
 * not on disk yet or count injected faults: no background write-back by
 * age may run under them.
 */
#define QUIET_SYNCER (3600u * 1000)

/* mkpager_cfg: a pager with these settings (0: the library's default). */
static inline upager_t *mkpager_cfg(size_t budget, size_t cluster,
    size_t readahead, unsigned flags, unsigned syncer_delay_ms)
{
	struct upager_config cfg;
	upager_t *pg = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = budget;
	cfg.cluster = cluster;
	cfg.readahead = readahead;
	cfg.flags = flags;
	cfg.syncer_delay_ms = syncer_delay_ms;
	CHECK_EQ(upager_create(&cfg, &pg), 0);
	CHECK(pg != NULL);
	return pg;
}

/* mkpager: a pager with a budget (0: the default), the syncer as usual. */
static inline upager_t *mkpager(size_t budget)
{
	return mkpager_cfg(budget, 0, 0, 0, 0);
}

/* mkpager_quiet: the same with the QUIET_SYNCER. */
static inline upager_t *mkpager_quiet(size_t budget)
{
	return mkpager_cfg(budget, 0, 0, 0, QUIET_SYNCER);
}

/* uopen: open a file through upager (mode 0644), which must succeed. */
static inline upager_file_t *uopen(upager_t *pg, const char *path, int flags)
{
	upager_file_t *f = NULL;
	int r = upager_open(pg, path, flags, 0644, &f);

	if (r != 0)
		FAIL("upager_open(%s, %#x): %d (%s)", path, flags, r,
		    upager_strerror(r));
	CHECK(f != NULL);
	return f;
}

/* stats: the pager's counters; the budget always holds. */
static inline struct upager_stats stats(upager_t *pg)
{
	struct upager_stats st;

	/* garbage first: a field the library leaves unset shows up */
	memset(&st, 0xA5, sizeof(st));
	CHECK_EQ(upager_stats(pg, &st), 0);
	CHECK(st.resident <= st.budget_pages);
	CHECK(st.peak_resident <= st.budget_pages);
	CHECK(st.resident <= st.peak_resident);
	return st;
}

/*
 * struct mirror: a file open through upager and, in memory, what it must
 * hold; tests of random operations do each to both.
 */
struct mirror {
	const char *path;
	upager_file_t *f;
	unsigned char *data;    /* the contents, zeros past size */
	unsigned char *buf;     /* room for any read */
	size_t size;
};

/* mirror_new: a new file (path must not exist) of at most max bytes. */
static inline struct mirror mirror_new(upager_t *pg, const char *path,
    size_t max)
{
	struct mirror m;

	m.path = path;
	m.f = uopen(pg, path, O_RDWR | O_CREAT | O_EXCL);
	m.data = xcalloc(max);
	m.buf = xmalloc(max);
	m.size = 0;
	return m;
}

/*
 * mirror_close: the file equals the model through upager, and on disk
 * once closed; the memory goes.
 */
static inline void mirror_close(struct mirror *m, upager_t *pg)
{
	UEXPECT(m->f, m->data, m->size);
	PCHECK(pg);
	CHECK_EQ(upager_close(m->f), 0);
	DISK_EXPECT(m->path, m->data, m->size);
	free(m->data);
	free(m->buf);
}

/* mirror_write: the pattern of seed at [off, off + len), to both. */
static inline void mirror_write(struct mirror *m, size_t off, size_t len,
    unsigned seed)
{
	fill(m->data + off, len, off, seed);
	UWRITE(m->f, m->data + off, len, (off_t)off);
	if (off + len > m->size)
		m->size = off + len;
}

/* mirror_read: a read through upager gets what the model holds. */
static inline void mirror_read(struct mirror *m, size_t off, size_t len)
{
	size_t want = off >= m->size ? 0 :
	    len < m->size - off ? len : m->size - off;

	CHECK_EQ(upager_pread(m->f, m->buf, len, (off_t)off), want);
	CHECK_MEM(m->buf, m->data + off, want);
}

/* mirror_truncate: cut or extend both; what is cut reads back as zeros. */
static inline void mirror_truncate(struct mirror *m, size_t size)
{
	CHECK_EQ(upager_truncate(m->f, (off_t)size), 0);
	if (size < m->size)
		memset(m->data + size, 0, m->size - size);
	m->size = size;
}

/* ---- catching SIGBUS and SIGSEGV with sigsetjmp/siglongjmp ---- */

/*
 * probe_install once, then probe(p, write, val): the signal an access
 * raised (0: none), with its si_code and si_addr in probe_code and
 * probe_addr.  A fault outside a probe still kills the test.
 */
static sigjmp_buf probe_jb;
static volatile sig_atomic_t probe_armed;
static volatile sig_atomic_t probe_sig;
static volatile int probe_code;
static void *volatile probe_addr;

static inline void probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!probe_armed) {
		/* not a probe: the access faults again and kills us */
		signal(sig, SIG_DFL);
		return;
	}
	probe_armed = 0;
	probe_sig = sig;
	probe_code = si->si_code;
	probe_addr = si->si_addr;
	siglongjmp(probe_jb, 1);
}

/* sig_install: catch SIGBUS and SIGSEGV with handler h. */
static inline void sig_install(void (*h)(int, siginfo_t *, void *))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGBUS, &sa, NULL) == 0);
	CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);
}

static inline void probe_install(void)
{
	sig_install(probe_handler);
}

/* probe: read (or write val to) *p; the signal it raised, or 0. */
static inline int probe(char *p, bool write, char val)
{
	volatile char *vp = p;

	probe_sig = 0;
	probe_code = 0;
	probe_addr = NULL;
	if (sigsetjmp(probe_jb, 1) == 0) {
		probe_armed = 1;
		if (write)
			*vp = val;
		else
			(void)*vp;
		probe_armed = 0;
		return 0;
	}
	return probe_sig;
}

#endif /* UPAGER_TESTLIB_H */
