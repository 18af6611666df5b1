/* sys.h: the system-call wrapper table and its fault injection */
#ifndef UPAGER_SYS_H
#define UPAGER_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Every system call upager makes goes through sys_call(): EINTR is retried
 * there and nowhere else, results come back as a value >= 0 or a negative
 * errno, and tests can make any kind of call fail.  Kinds are by role, not
 * by system call, so that a test can fail file write-back without failing
 * the frees of memfd frames.
 */
enum sys_kind {
	SYS_OPEN,       /* open/openat of a user's file */
	SYS_CLOSE,
	SYS_FSTAT,
	SYS_PREAD,      /* page-in: file -> frame */
	SYS_PWRITE,     /* write-back: frame -> file */
	SYS_FALLOCATE,  /* allocation of file blocks under a write */
	SYS_FTRUNCATE,  /* size changes of a user's file */
	SYS_FDATASYNC,
	SYS_LSEEK,      /* SEEK_DATA / SEEK_HOLE (bmap) */
	SYS_MEMFD,      /* memfd_create and its ftruncate */
	SYS_PUNCH,      /* frames: fallocate on a memfd (freeing, allocating),
	                   and pwrite into it or pread out of it (copies
	                   through the bounce slots) */
	SYS_MMAP,
	SYS_MUNMAP,
	SYS_MADVISE,    /* zapping user views (MADV_DONTNEED) */
	SYS_UFFD,       /* userfaultfd and its ioctls */
	SYS_PAGEMAP,    /* PAGEMAP_SCAN: which view pages were written */
	SYS_URING,      /* io_uring set-up (its reads count as SYS_PREAD) */
	SYS_NKIND
};

/*
 * A fault: after `skip` more calls of the kind pass, the calls that
 * follow are hit, until `count` have been (0: until cleared): every one
 * of them, or if `frac` is set (0 < frac <= 1) each with that
 * probability, drawn from a generator seeded with `seed`, so that a run
 * with the same calls in the same order fails the same ones (threads
 * share one generator per fault, under a lock).  A hit call fails with
 * `err`; or, if `err` is 0 and `short_io` is set, a read or write moves
 * only half its bytes (at least one); and is first delayed by `delay_ms`
 * (with err 0 and no short_io: only delayed).  SYS_URING: the set-up of
 * the ring (a failure falls back to worker threads) and each submission
 * (delays do not apply).
 */
struct sys_fault {
	int err;
	int short_io;
	unsigned long skip;
	unsigned long count;
	unsigned delay_ms;
	double frac;
	uint64_t seed;
};

#define SYS_NRULES 4  /* faults armed at once on one kind, at most */

/* sys_fault_set: arm a fault for one kind (replaces any earlier ones). */
void sys_fault_set(enum sys_kind kind, const struct sys_fault *f);
/* sys_fault_add: arm one more fault for a kind, after those armed: a call
 * takes the error (or short transfer) of the first that hits it, and the
 * delays of all that do.  0, or -ENOSPC when SYS_NRULES are armed. */
int sys_fault_add(enum sys_kind kind, const struct sys_fault *f);
/* sys_fault_clear: disarm one kind; SYS_NKIND disarms all. */
void sys_fault_clear(enum sys_kind kind);
/* sys_fault_hits: how many calls of this kind the faults have hit. */
unsigned long sys_fault_hits(enum sys_kind kind);

/*
 * sys_fault_env: arm the faults the environment asks for, once per
 * process (upager_create calls it; later calls return the first one's
 * result).  0, or -EINVAL, with a line on stderr saying what is wrong,
 * when a variable is malformed: then nothing is armed.
 *
 *   UPAGER_FAULTS=FAULT[,FAULT...]     FAULT = KIND[:ITEM...]
 *     KIND   open close fstat pread pwrite fallocate ftruncate fdatasync
 *            lseek memfd punch mmap munmap madvise uffd pagemap uring
 *            (the roles of enum sys_kind)
 *     ITEM   EIO ENOSPC EINTR EAGAIN ENOMEM EDQUOT EFBIG EBADF EINVAL
 *            EPERM EACCES EMFILE ENFILE EROFS EBUSY ENOBUFS ENOSYS: the
 *            error;  short: half transfers;  delay=MS;  skip=N;  count=N;
 *            frac=F (0 < F <= 1)
 *     Each FAULT needs an error, short or a delay (not an error and
 *     short).  A kind may be named up to SYS_NRULES times: e.g.
 *     "pread:short:frac=0.1,pread:delay=5" makes a tenth of the reads
 *     short and delays every one.  Injected EINTR is retried by the
 *     wrappers, as a real one.
 *   UPAGER_FAULTS_SEED=N  seeds the fractions (default 1); a fault's
 *     generator is seeded from N, its kind and its place in the list.
 */
int sys_fault_env(void);
/* sys_decide: the fate of one call of this kind, for callers that make
 * it some other way (io_uring): 0 to make it, a negative errno to fail it,
 * 1 to make it a short transfer; hold it *delay_ms first.  Counts it (an
 * injected EINTR is retried inside, each attempt counted). */
int sys_decide(enum sys_kind kind, unsigned *delay_ms);
/* sys_calls: how many calls of this kind were made (failed ones too). */
unsigned long sys_calls(enum sys_kind kind);

int sys_open(const char *path, int flags, mode_t mode);
int sys_close(int fd);
int sys_fstat(int fd, struct stat *st);
ssize_t sys_pread(int fd, void *buf, size_t len, off_t off);
ssize_t sys_pwrite(int fd, const void *buf, size_t len, off_t off);
int sys_fallocate(int fd, int mode, off_t off, off_t len);
int sys_ftruncate(int fd, off_t len);
int sys_fdatasync(int fd);
off_t sys_lseek(int fd, off_t off, int whence);
int sys_memfd(const char *name);
int sys_memfd_resize(int fd, off_t len);
int sys_punch(int fd, off_t off, off_t len);
int sys_frames(int fd, off_t off, off_t len);
ssize_t sys_fill(int fd, const void *buf, size_t len, off_t off);
ssize_t sys_unfill(int fd, void *buf, size_t len, off_t off);
bool sys_thp(void);
void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off,
    int *err);
void *sys_mremap(void *old, size_t oldlen, size_t newlen, int flags,
    void *naddr, int *err);
int sys_munmap(void *addr, size_t len);
int sys_madvise(void *addr, size_t len, int advice);
int sys_mprotect(void *addr, size_t len, int prot);
long sys_ioctl(enum sys_kind kind, int fd, unsigned long req, void *arg);
int sys_userfaultfd(int flags);
int sys_fadvise(int fd, off_t off, off_t len, int advice);
bool sys_incache(int fd, off_t off, size_t len);
struct pollfd;
ssize_t sys_uffd_read(int fd, void *buf, size_t len);
int sys_uffd_wake(int fd, uint64_t start, uint64_t len);
int sys_poll(struct pollfd *fds, unsigned n);
int sys_eventfd(void);
int sys_event(int fd);
int sys_event_take(int fd);

/* sys_pread_full/sys_pwrite_full: loop over short transfers; a read stops
 * at EOF and returns the bytes moved. */
ssize_t sys_pread_cached(int fd, void *buf, size_t len, off_t off);
ssize_t sys_pread_full(int fd, void *buf, size_t len, off_t off);
ssize_t sys_pwrite_full(int fd, const void *buf, size_t len, off_t off);

#endif /* UPAGER_SYS_H */
