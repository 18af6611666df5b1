/* sys.c: the system-call wrapper table, EINTR retry and fault injection */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <linux/userfaultfd.h>

#include "sys.h"

#define MIN_(a, b) ((a) < (b) ? (a) : (b))

/*
 * The faults armed on each kind.  Tests arm and clear faults while pager
 * threads run: a slot's faults and counts are under sys_flock; `armed` is
 * also read without it, so that a call with nothing armed costs one load.
 */
struct sys_rule {
	struct sys_fault f;
	unsigned long seen;   /* calls since armed */
	unsigned long hits;   /* calls hit since armed */
	uint64_t rng;         /* the fraction's generator (splitmix64) */
};

struct sys_slot {
	struct sys_rule rules[SYS_NRULES];
	int nrules;
	int armed;            /* atomic */
	unsigned long hits;   /* calls hit by any rule since armed */
	unsigned long calls;  /* calls ever (atomic) */
};

static struct sys_slot sys_slots[SYS_NKIND];
static pthread_mutex_t sys_flock = PTHREAD_MUTEX_INITIALIZER;

/* sys_mix: the splitmix64 finaliser. */
static uint64_t sys_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* sys_draw: the rule's next number in [0, 1).  => sys_flock held */
static double sys_draw(struct sys_rule *r)
{
	r->rng += 0x9e3779b97f4a7c15ull;
	return (double)(sys_mix(r->rng) >> 11) * 0x1p-53;
}

/* sys_rule_arm: rule i of slot s becomes f.  => sys_flock held */
static void sys_rule_arm(struct sys_slot *s, int i, const struct sys_fault *f)
{
	struct sys_rule *r = &s->rules[i];

	r->f = *f;
	r->seen = r->hits = 0;
	r->rng = sys_mix(f->seed ^ 0x5eed5eed5eed5eedull);
}

void sys_fault_set(enum sys_kind kind, const struct sys_fault *f)
{
	struct sys_slot *s = &sys_slots[kind];

	pthread_mutex_lock(&sys_flock);
	sys_rule_arm(s, 0, f);
	s->nrules = 1;
	s->hits = 0;
	__atomic_store_n(&s->armed, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&sys_flock);
}

int sys_fault_add(enum sys_kind kind, const struct sys_fault *f)
{
	struct sys_slot *s = &sys_slots[kind];
	int err = 0;

	pthread_mutex_lock(&sys_flock);
	if (!s->armed) {
		s->nrules = 0;
		s->hits = 0;
	}
	if (s->nrules == SYS_NRULES) {
		err = -ENOSPC;
		goto out;
	}
	sys_rule_arm(s, s->nrules++, f);
	__atomic_store_n(&s->armed, 1, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&sys_flock);
	return err;
}

void sys_fault_clear(enum sys_kind kind)
{
	int k;

	pthread_mutex_lock(&sys_flock);
	for (k = 0; k < SYS_NKIND; k++)
		if (kind == SYS_NKIND || (int)kind == k)
			__atomic_store_n(&sys_slots[k].armed, 0,
			    __ATOMIC_RELEASE);
	pthread_mutex_unlock(&sys_flock);
}

unsigned long sys_fault_hits(enum sys_kind kind)
{
	unsigned long n;

	pthread_mutex_lock(&sys_flock);
	n = sys_slots[kind].hits;
	pthread_mutex_unlock(&sys_flock);
	return n;
}

unsigned long sys_calls(enum sys_kind kind)
{
	return __atomic_load_n(&sys_slots[kind].calls, __ATOMIC_RELAXED);
}

/*
 * sys_rule_hits: does rule r hit this call?  Counts it.
 * => sys_flock held
 */
static bool sys_rule_hits(struct sys_rule *r)
{
	unsigned long n = r->seen++;

	if (n < r->f.skip || (r->f.count != 0 && r->hits >= r->f.count))
		return false;
	/* the draw is made for every call past skip, hit or not, so that
	 * which calls fail depends on the seed and the calls alone */
	if (r->f.frac > 0 && sys_draw(r) >= r->f.frac)
		return false;
	r->hits++;
	return true;
}

/*
 * sys_decide1: the fate of one attempt at a call of this kind: 0 to make
 * it, a negative errno to fail it, 1 to make it a short transfer;
 * *delay_ms is how long to hold it first.  Counts the attempt.
 */
static int sys_decide1(enum sys_kind kind, unsigned *delay_ms)
{
	struct sys_slot *s = &sys_slots[kind];
	bool hit = false;
	int r = 0, i;

	*delay_ms = 0;
	__atomic_add_fetch(&s->calls, 1, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&s->armed, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&sys_flock);
	if (!s->armed)
		goto out;
	for (i = 0; i < s->nrules; i++) {
		struct sys_rule *u = &s->rules[i];

		if (!sys_rule_hits(u))
			continue;
		hit = true;
		*delay_ms += u->f.delay_ms;
		if (r == 0)
			r = u->f.err != 0 ? -u->f.err : u->f.short_io ? 1 : 0;
	}
	if (hit)
		s->hits++;
out:
	pthread_mutex_unlock(&sys_flock);
	return r;
}

/*
 * sys_decide: sys_decide1 for a call made some other way (io_uring):
 * an injected EINTR is tried again here, as SYS_CALL does for the
 * wrappers' calls, since those callers do not retry; the delays add up.
 */
int sys_decide(enum sys_kind kind, unsigned *delay_ms)
{
	unsigned ms;
	int r;

	*delay_ms = 0;
	while ((r = sys_decide1(kind, &ms)) == -EINTR)
		*delay_ms += ms;
	*delay_ms += ms;
	return r;
}

/* sys_inject: sys_decide1, holding the call here for its delay. */
static int sys_inject(enum sys_kind kind)
{
	unsigned ms;
	int r = sys_decide1(kind, &ms);

	if (ms != 0) {
		struct timespec ts = { .tv_sec = ms / 1000,
		    .tv_nsec = (long)(ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) != 0)
			;
	}
	return r;
}

/*
 * SYS_CALL(kind, expr): the one place EINTR is retried.  An injected fault
 * is decided per attempt, so an injected EINTR is retried like a real one.
 */
#define SYS_CALL(kind, expr, shortexpr) ({ \
	long sys_r_; \
	for (;;) { \
		int sys_f_ = sys_inject(kind); \
		if (sys_f_ < 0) { \
			sys_r_ = sys_f_; \
		} else { \
			sys_r_ = sys_f_ == 1 ? (long)(shortexpr) : (long)(expr); \
			if (sys_r_ < 0) \
				sys_r_ = -errno; \
		} \
		if (sys_r_ != -EINTR) \
			break; \
	} \
	sys_r_; \
})

/* a short transfer: half, in whole pages where it can be, for O_DIRECT */
#define HALF(len) ((len) >= 8192 ? ((len) / 2) & ~(size_t)4095 : \
	(len) > 1 ? (len) / 2 : (len))

/*
 * Every call below is a raw system call, never the C library's wrapper of
 * the same name: a program that interposes those (upager's own LD_PRELOAD
 * library does) must not see the pager's own calls come back to it.
 */
#define RAW(nr, ...) syscall(nr, __VA_ARGS__)

int sys_open(const char *path, int flags, mode_t mode)
{
	return (int)SYS_CALL(SYS_OPEN, RAW(SYS_openat, AT_FDCWD, path, flags,
	    mode), RAW(SYS_openat, AT_FDCWD, path, flags, mode));
}

/* sys_close: never retried on EINTR (the descriptor is gone either way). */
int sys_close(int fd)
{
	int f = sys_inject(SYS_CLOSE);

	if (RAW(SYS_close, fd) < 0 && errno != EINTR)
		return -errno;
	return f < 0 ? f : 0;
}

int sys_fstat(int fd, struct stat *st)
{
	return (int)SYS_CALL(SYS_FSTAT, RAW(SYS_fstat, fd, st),
	    RAW(SYS_fstat, fd, st));
}

ssize_t sys_pread(int fd, void *buf, size_t len, off_t off)
{
	return SYS_CALL(SYS_PREAD, RAW(SYS_pread64, fd, buf, len, off),
	    RAW(SYS_pread64, fd, buf, HALF(len), off));
}

/* sys_pread_cached: what the kernel's cache holds of [off, off + len),
 * without waiting for the disk (RWF_NOWAIT): -EAGAIN when it has not the
 * first page; short where it has not the next */
ssize_t sys_pread_cached(int fd, void *buf, size_t len, off_t off)
{
	struct iovec iov = { buf, len }, half = { buf, HALF(len) };

	return SYS_CALL(SYS_PREAD, RAW(SYS_preadv2, fd, &iov, 1, off, 0,
	    RWF_NOWAIT), RAW(SYS_preadv2, fd, &half, 1, off, 0, RWF_NOWAIT));
}

ssize_t sys_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return SYS_CALL(SYS_PWRITE, RAW(SYS_pwrite64, fd, buf, len, off),
	    RAW(SYS_pwrite64, fd, buf, HALF(len), off));
}

int sys_fallocate(int fd, int mode, off_t off, off_t len)
{
	return (int)SYS_CALL(SYS_FALLOCATE, RAW(SYS_fallocate, fd, mode, off,
	    len), RAW(SYS_fallocate, fd, mode, off, len));
}

int sys_ftruncate(int fd, off_t len)
{
	return (int)SYS_CALL(SYS_FTRUNCATE, RAW(SYS_ftruncate, fd, len),
	    RAW(SYS_ftruncate, fd, len));
}

int sys_fdatasync(int fd)
{
	return (int)SYS_CALL(SYS_FDATASYNC, RAW(SYS_fdatasync, fd),
	    RAW(SYS_fdatasync, fd));
}

off_t sys_lseek(int fd, off_t off, int whence)
{
	return (off_t)SYS_CALL(SYS_LSEEK, RAW(SYS_lseek, fd, off, whence),
	    RAW(SYS_lseek, fd, off, whence));
}

int sys_memfd(const char *name)
{
	return (int)SYS_CALL(SYS_MEMFD, RAW(SYS_memfd_create, name,
	    MFD_CLOEXEC), RAW(SYS_memfd_create, name, MFD_CLOEXEC));
}

int sys_memfd_resize(int fd, off_t len)
{
	return (int)SYS_CALL(SYS_MEMFD, RAW(SYS_ftruncate, fd, len),
	    RAW(SYS_ftruncate, fd, len));
}

/* sys_frames: allocate frames of a memfd, zeroed (fallocate mode 0) */
int sys_frames(int fd, off_t off, off_t len)
{
	return (int)SYS_CALL(SYS_PUNCH, RAW(SYS_fallocate, fd, 0, off, len),
	    RAW(SYS_fallocate, fd, 0, off, len));
}

/* sys_fill: copy into the frames of memfd fd at off: pwrite has the
 * kernel allocate them without zeroing them first, and map them nowhere */
ssize_t sys_fill(int fd, const void *buf, size_t len, off_t off)
{
	return SYS_CALL(SYS_PUNCH, RAW(SYS_pwrite64, fd, buf, len, off),
	    RAW(SYS_pwrite64, fd, buf, HALF(len), off));
}

/* sys_unfill: copy frames of memfd fd at off out into buf (pread), to
 * write them from there */
ssize_t sys_unfill(int fd, void *buf, size_t len, off_t off)
{
	return SYS_CALL(SYS_PUNCH, RAW(SYS_pread64, fd, buf, len, off),
	    RAW(SYS_pread64, fd, buf, HALF(len), off));
}

/*
 * sys_thp: does anonymous memory get huge pages where madvise asks
 * (transparent_hugepage "always" or "madvise")?  A query only: never
 * injected.
 */
bool sys_thp(void)
{
	char buf[128];
	long fd, n;

	fd = RAW(SYS_openat, AT_FDCWD,
	    "/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = RAW(SYS_read, fd, buf, sizeof(buf) - 1);
	(void)RAW(SYS_close, fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "[never]") == NULL;
}

int sys_punch(int fd, off_t off, off_t len)
{
	int mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;

	return (int)SYS_CALL(SYS_PUNCH, RAW(SYS_fallocate, fd, mode, off, len),
	    RAW(SYS_fallocate, fd, mode, off, len));
}

/* SYS_MAPCALL: a call that returns an address (mmap, mremap): injected
 * as SYS_MMAP, EINTR retried; *err gets 0 or the error */
#define SYS_MAPCALL(call) ({						\
	long r_;							\
	int f_;								\
									\
	do {								\
		if ((f_ = sys_inject(SYS_MMAP)) < 0) {			\
			r_ = -1;					\
			errno = -f_;					\
		} else {						\
			r_ = (call);					\
		}							\
	} while (r_ == -1 && errno == EINTR);				\
	*err = r_ == -1 ? -errno : 0;					\
	r_ == -1 ? MAP_FAILED : (void *)r_;				\
})

void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off,
    int *err)
{
	return SYS_MAPCALL(RAW(SYS_mmap, addr, len, prot, flags, fd, off));
}

void *sys_mremap(void *old, size_t oldlen, size_t newlen, int flags,
    void *naddr, int *err)
{
	return SYS_MAPCALL(RAW(SYS_mremap, old, oldlen, newlen, flags, naddr));
}

int sys_munmap(void *addr, size_t len)
{
	return (int)SYS_CALL(SYS_MUNMAP, RAW(SYS_munmap, addr, len),
	    RAW(SYS_munmap, addr, len));
}

int sys_madvise(void *addr, size_t len, int advice)
{
	return (int)SYS_CALL(SYS_MADVISE, RAW(SYS_madvise, addr, len, advice),
	    RAW(SYS_madvise, addr, len, advice));
}

int sys_mprotect(void *addr, size_t len, int prot)
{
	return (int)SYS_CALL(SYS_MMAP, RAW(SYS_mprotect, addr, len, prot),
	    RAW(SYS_mprotect, addr, len, prot));
}

/* sys_ioctl: an ioctl of the given kind (userfaultfd or pagemap). */
long sys_ioctl(enum sys_kind kind, int fd, unsigned long req, void *arg)
{
	return SYS_CALL(kind, RAW(SYS_ioctl, fd, req, arg),
	    RAW(SYS_ioctl, fd, req, arg));
}

/* sys_fadvise: advice only: never injected, never retried */
int sys_fadvise(int fd, off_t off, off_t len, int advice)
{
	return RAW(SYS_fadvise64, fd, off, len, advice) < 0 ? -errno : 0;
}

/*
 * sys_incache: does the kernel's cache hold every page of [off, off +
 * len)?  cachestat(2) answers without starting I/O, where a read with
 * RWF_NOWAIT starts the kernel's read-ahead of what it lacks.  A kernel
 * without cachestat (before 6.5) says "maybe": true.  A query only: never
 * injected.
 */
#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif
bool sys_incache(int fd, off_t off, size_t len)
{
	struct { uint64_t off, len; } range = { (uint64_t)off, len };
	struct { uint64_t cache, dirty, writeback, evicted, revisited; } cs;

	if (RAW(SYS_cachestat, fd, &range, &cs, 0) < 0)
		return errno == ENOSYS;
	return cs.cache >= (len + (size_t)getpagesize() - 1) /
	    (size_t)getpagesize();
}

int sys_userfaultfd(int flags)
{
	return (int)SYS_CALL(SYS_UFFD, RAW(SYS_userfaultfd, flags),
	    RAW(SYS_userfaultfd, flags));
}

/*
 * The fault threads' own calls: never injected (a test failing userfaultfd
 * calls would only make the fault threads spin), EINTR retried here.
 */
static long sys_raw_retry(long r)
{
	return r < 0 ? -errno : r;
}

/* sys_uffd_read: read messages from a userfaultfd. */
ssize_t sys_uffd_read(int fd, void *buf, size_t len)
{
	long r;

	while ((r = sys_raw_retry(RAW(SYS_read, fd, buf, len))) == -EINTR)
		;
	return r;
}

/* sys_uffd_wake: wake the threads faulting in [start, start + len): the
 * way out of a fault that could not be served, so never injected */
int sys_uffd_wake(int fd, uint64_t start, uint64_t len)
{
	struct uffdio_range r = { .start = start, .len = len };
	long e;

	while ((e = sys_raw_retry(RAW(SYS_ioctl, fd, UFFDIO_WAKE, &r))) ==
	    -EINTR)
		;
	return (int)e;
}

/* sys_poll: wait for any of fds, without a timeout. */
int sys_poll(struct pollfd *fds, unsigned n)
{
	long r;

	while ((r = sys_raw_retry(RAW(SYS_ppoll, fds, n, NULL, NULL, 0))) ==
	    -EINTR)
		;
	return (int)r;
}

/* sys_eventfd: an eventfd, close-on-exec. */
int sys_eventfd(void)
{
	return (int)sys_raw_retry(RAW(SYS_eventfd2, 0, EFD_CLOEXEC));
}

/* sys_event_take: take the events posted to an eventfd (it has some). */
int sys_event_take(int fd)
{
	uint64_t n;
	long r;

	while ((r = sys_raw_retry(RAW(SYS_read, fd, &n, sizeof(n)))) ==
	    -EINTR)
		;
	return r < 0 ? (int)r : 0;
}

/* sys_event: post one event to an eventfd. */
int sys_event(int fd)
{
	uint64_t one = 1;
	long r;

	while ((r = sys_raw_retry(RAW(SYS_write, fd, &one, sizeof(one)))) ==
	    -EINTR)
		;
	return r < 0 ? (int)r : 0;
}

ssize_t sys_pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t r;

	while (done < len) {
		r = sys_pread(fd, (char *)buf + done, len - done,
		    off + (off_t)done);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

ssize_t sys_pwrite_full(int fd, const void *buf, size_t len, off_t off)
{
	size_t done = 0;
	ssize_t r;

	while (done < len) {
		r = sys_pwrite(fd, (const char *)buf + done, len - done,
		    off + (off_t)done);
		if (r < 0)
			return r;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* ---- faults from the environment (UPAGER_FAULTS, see sys.h) ---- */

static const char *const sys_kind_names[SYS_NKIND] = {
	[SYS_OPEN] = "open", [SYS_CLOSE] = "close", [SYS_FSTAT] = "fstat",
	[SYS_PREAD] = "pread", [SYS_PWRITE] = "pwrite",
	[SYS_FALLOCATE] = "fallocate", [SYS_FTRUNCATE] = "ftruncate",
	[SYS_FDATASYNC] = "fdatasync", [SYS_LSEEK] = "lseek",
	[SYS_MEMFD] = "memfd", [SYS_PUNCH] = "punch", [SYS_MMAP] = "mmap",
	[SYS_MUNMAP] = "munmap", [SYS_MADVISE] = "madvise",
	[SYS_UFFD] = "uffd", [SYS_PAGEMAP] = "pagemap", [SYS_URING] = "uring",
};

static const struct { const char *name; int err; } sys_errnames[] = {
	{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EINTR", EINTR },
	{ "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM }, { "EDQUOT", EDQUOT },
	{ "EFBIG", EFBIG }, { "EBADF", EBADF }, { "EINVAL", EINVAL },
	{ "EPERM", EPERM }, { "EACCES", EACCES }, { "EMFILE", EMFILE },
	{ "ENFILE", ENFILE }, { "EROFS", EROFS }, { "EBUSY", EBUSY },
	{ "ENOBUFS", ENOBUFS }, { "ENOSYS", ENOSYS },
};

/* sys_tokeq: is the token [t, t + n) the string s? */
static bool sys_tokeq(const char *t, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(t, s, n) == 0;
}

/*
 * sys_parse_ulong: [t, t + n) as a decimal number (no sign, no errno: the
 * C library's strtoul would set it).  0, or -EINVAL.
 */
static int sys_parse_ulong(const char *t, size_t n, unsigned long long *v)
{
	unsigned long long x = 0;
	size_t i;

	/* 19 digits: no overflow to check for */
	if (n == 0 || n > 19)
		return -EINVAL;
	for (i = 0; i < n && t[i] >= '0' && t[i] <= '9'; i++)
		x = x * 10 + (unsigned long long)(t[i] - '0');
	*v = x;
	return i == n ? 0 : -EINVAL;
}

/* sys_parse_frac: [t, t + n) as D[.D...], in (0, 1].  0, or -EINVAL. */
static int sys_parse_frac(const char *t, size_t n, double *v)
{
	double x = 0, scale = 1;
	bool point = false, digit = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i] == '.' && !point) {
			point = true;
		} else if (t[i] >= '0' && t[i] <= '9') {
			digit = true;
			if (point) {
				scale /= 10;
				x += (t[i] - '0') * scale;
			} else {
				x = x * 10 + (t[i] - '0');
			}
		} else {
			break;
		}
	}
	if (i < n || !digit || !(x > 0 && x <= 1))
		return -EINVAL;
	*v = x;
	return 0;
}

/* sys_complain: one line on stderr: what is wrong with the environment. */
static void sys_complain(const char *var, const char *what, const char *t,
    size_t n)
{
	char msg[256];
	size_t len = 0;
	const char *parts[] = { "upager: ", var, ": ", what, " \"" };
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t k = MIN_(strlen(parts[i]), sizeof(msg) - 3 - len);

		memcpy(msg + len, parts[i], k);
		len += k;
	}
	n = MIN_(n, sizeof(msg) - 3 - len);
	memcpy(msg + len, t, n);
	len += n;
	memcpy(msg + len, "\"\n", 2);
	(void)RAW(SYS_write, 2, msg, len + 2);
}

/*
 * sys_parse_fault: one FAULT of UPAGER_FAULTS, [t, t + n), into *kind
 * and *f.  0, or -EINVAL after saying why.
 */
static int sys_parse_fault(const char *t, size_t n, int *kind,
    struct sys_fault *f)
{
	const char *end = t + n, *item = t, *why = NULL;
	unsigned long long v = 0;
	bool first = true;
	size_t k, i;

	memset(f, 0, sizeof(*f));
	*kind = -1;
	while (item <= end && why == NULL) {
		const char *c = memchr(item, ':', (size_t)(end - item));

		k = (size_t)((c != NULL ? c : end) - item);
		if (first) {
			for (i = 0; i < SYS_NKIND; i++)
				if (sys_tokeq(item, k, sys_kind_names[i]))
					*kind = (int)i;
			if (*kind < 0)
				why = "unknown kind of call";
		} else if (sys_tokeq(item, k, "short")) {
			f->short_io = 1;
		} else if (k > 6 && memcmp(item, "delay=", 6) == 0) {
			if (sys_parse_ulong(item + 6, k - 6, &v) != 0 ||
			    v > 600000)
				why = "bad delay (milliseconds, at most 600000)";
			f->delay_ms = (unsigned)v;
		} else if (k > 5 && memcmp(item, "skip=", 5) == 0) {
			if (sys_parse_ulong(item + 5, k - 5, &v) != 0)
				why = "bad skip";
			f->skip = (unsigned long)v;
		} else if (k > 6 && memcmp(item, "count=", 6) == 0) {
			if (sys_parse_ulong(item + 6, k - 6, &v) != 0)
				why = "bad count";
			f->count = (unsigned long)v;
		} else if (k > 5 && memcmp(item, "frac=", 5) == 0) {
			if (sys_parse_frac(item + 5, k - 5, &f->frac) != 0)
				why = "bad frac (a fraction in (0, 1])";
		} else {
			why = "unknown item (or a second error)";
			for (i = 0; i < sizeof(sys_errnames) /
			    sizeof(sys_errnames[0]); i++)
				if (f->err == 0 &&
				    sys_tokeq(item, k, sys_errnames[i].name)) {
					f->err = sys_errnames[i].err;
					why = NULL;
				}
		}
		first = false;
		if (c == NULL)
			break;
		item = c + 1;
	}
	if (why == NULL && f->err != 0 && f->short_io)
		why = "both an error and short in";
	if (why == NULL && f->err == 0 && !f->short_io && f->delay_ms == 0)
		why = "no error, short or delay in";
	if (why != NULL)
		sys_complain("UPAGER_FAULTS", why, t, n);
	return why != NULL ? -EINVAL : 0;
}

static pthread_once_t sys_env_once = PTHREAD_ONCE_INIT;
static int sys_env_err;

/* sys_env_parse: sys_fault_env's one run. */
static void sys_env_parse(void)
{
	struct sys_fault fs[SYS_NKIND * SYS_NRULES];
	int kinds[SYS_NKIND * SYS_NRULES], per[SYS_NKIND] = { 0 };
	const char *spec = getenv("UPAGER_FAULTS");
	const char *seeds = getenv("UPAGER_FAULTS_SEED");
	unsigned long long seed = 1;
	int n = 0, i;

	if (seeds != NULL && *seeds != '\0' &&
	    sys_parse_ulong(seeds, strlen(seeds), &seed) != 0) {
		sys_complain("UPAGER_FAULTS_SEED", "not a number:", seeds,
		    strlen(seeds));
		goto fail;
	}
	/* all of it parsed first: a malformed variable arms nothing */
	for (const char *t = spec; t != NULL && *spec != '\0'; ) {
		const char *c = strchr(t, ',');
		size_t k = c != NULL ? (size_t)(c - t) : strlen(t);

		if (n == SYS_NKIND * SYS_NRULES) {
			sys_complain("UPAGER_FAULTS", "too many faults at",
			    t, k);
			goto fail;
		}
		if (sys_parse_fault(t, k, &kinds[n], &fs[n]) != 0)
			goto fail;
		if (++per[kinds[n]] > SYS_NRULES) {
			sys_complain("UPAGER_FAULTS", "a kind named more "
			    "than 4 times (SYS_NRULES) at", t, k);
			goto fail;
		}
		fs[n].seed = sys_mix(seed + (uint64_t)kinds[n] * 0x100 +
		    (uint64_t)per[kinds[n]]);
		n++;
		t = c != NULL ? c + 1 : NULL;
	}
	for (i = 0; i < n; i++)
		(void)sys_fault_add((enum sys_kind)kinds[i], &fs[i]);
	return;
fail:
	sys_env_err = -EINVAL;
}

int sys_fault_env(void)
{
	pthread_once(&sys_env_once, sys_env_parse);
	return sys_env_err;
}
