/* sys.c: the system-call wrapper table, EINTR retry and fault injection */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

/*
 * One armed fault per kind.  Tests arm and clear faults while pager
 * threads run: a slot's fault and counts are under sys_flock; `armed` is
 * also read without it, so that a call with nothing armed costs one load.
 */
struct sys_slot {
	struct sys_fault f;
	int armed;            /* atomic */
	unsigned long seen;   /* calls since armed */
	unsigned long hits;   /* calls failed since armed */
	unsigned long calls;  /* calls ever (atomic) */
};

static struct sys_slot sys_slots[SYS_NKIND];
static pthread_mutex_t sys_flock = PTHREAD_MUTEX_INITIALIZER;

void sys_fault_set(enum sys_kind kind, const struct sys_fault *f)
{
	struct sys_slot *s = &sys_slots[kind];

	pthread_mutex_lock(&sys_flock);
	s->f = *f;
	s->seen = s->hits = 0;
	__atomic_store_n(&s->armed, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&sys_flock);
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
 * sys_decide: the fate of one call of this kind: 0 to make it, a negative
 * errno to fail it, 1 to make it a short transfer; *delay_ms is how long
 * to hold the call first.  Counts the call.
 */
int sys_decide(enum sys_kind kind, unsigned *delay_ms)
{
	struct sys_slot *s = &sys_slots[kind];
	unsigned long n;
	int r = 0;

	*delay_ms = 0;
	__atomic_add_fetch(&s->calls, 1, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&s->armed, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&sys_flock);
	if (!s->armed)
		goto out;
	n = s->seen++;
	if (n < s->f.skip || (s->f.count != 0 && n - s->f.skip >= s->f.count))
		goto out;
	s->hits++;
	*delay_ms = s->f.delay_ms;
	r = s->f.err != 0 ? -s->f.err : s->f.short_io ? 1 : 0;
out:
	pthread_mutex_unlock(&sys_flock);
	return r;
}

/* sys_inject: sys_decide, holding the call here for its delay. */
static int sys_inject(enum sys_kind kind)
{
	unsigned ms;
	int r = sys_decide(kind, &ms);

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
