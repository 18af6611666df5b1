/* preload.c: the LD_PRELOAD interposer: a program's shared file mappings, and the I/O on those files, through upager */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <spawn.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "upager.h"
#include "upager_int.h"

/*
 * A file becomes managed when the program maps it MAP_SHARED (or, with
 * UPAGER_MATCH, when it opens a path that matches): from then on its
 * mappings are upager views, and the I/O on every descriptor of it goes
 * through the same upager object, so all of them see the same bytes.
 * Everything else goes to the kernel with raw system calls: the pager
 * itself makes raw calls too (sys.c), so nothing comes back here, and no
 * dlsym is needed (but for the exec and spawn calls that search PATH).
 * Should libc call an interposed name while this thread is in here
 * holding pl_lock, that call goes to the kernel (pl_enter).
 *
 * A descriptor of a regular file is noted at open (device, inode, access
 * mode) and at dup; descriptors this library did not see made (inherited)
 * pass through.  Lock files, SQLite's -shm files and files opened with
 * O_PATH are never managed.  A managed descriptor's file position is the
 * kernel's: dups and a child after fork share it, as they should.
 *
 * The traps:
 * - POSIX locks: closing any descriptor of a file drops the process's
 *   locks on it, so the pager's own descriptors of a file are never
 *   closed while the program holds one (pl_keepfd, pl_bury).
 * - fork: views are MADV_DONTFORK, so a child touching one faults loudly
 *   (SIGSEGV), never reads a hole as zeros; everything is written back
 *   before the fork, and the child does all its I/O through the kernel.
 * - exec and spawn: everything is written back first; so it is at exit
 *   and at munmap (SIGKILL loses what was not, as with the kernel's
 *   mmap without msync).
 * - mmap MAP_FIXED over views, mremap of views, address hints.
 * - A view as the buffer of a system call: the kernel's access faults
 *   like the program's (or, where the pager may only see user faults, the
 *   buffer is touched first).
 */

#define PL_EXPORT __attribute__((visibility("default")))
#define PL_MAXFD 65536

/* the fortified opens (glibc's fcntl2.h), declared by no header */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
/* the stat calls of programs built before glibc 2.33 (LMDB's __fxstat) */
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st,
    int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st,
    int flags);

extern char **environ;

struct pl_fd {
	bool reg;                  /* a regular file opened here */
	bool never;                /* never managed (lock, -shm, O_PATH) */
	bool append, dsync;
	int acc;                   /* O_RDONLY, O_WRONLY or O_RDWR */
	dev_t dev;
	ino_t ino;
	upager_file_t *uf;         /* managed: the upager handle */
};

/* a descriptor of the pager's own, kept open for the program's locks */
struct pl_grave {
	dev_t dev;
	ino_t ino;
	int fd;
};

/* Lock order: pl_lock, then the pager's locks, then pl_glock. */
static struct pl_fd pl_fds[PL_MAXFD];
static int pl_nfd;             /* above the highest descriptor noted */
static pthread_mutex_t pl_lock = PTHREAD_MUTEX_INITIALIZER;
static upager_t *pl_pg;
static bool pl_child;          /* after fork: everything passes through */
static pthread_mutex_t pl_glock = PTHREAD_MUTEX_INITIALIZER;
static struct pl_grave *pl_graves;
static int pl_ngraves, pl_maxgraves;
static __thread bool pl_inside;  /* this thread holds pl_lock */

/*
 * pl_enter: take pl_lock, unless this thread holds it already: a call the
 * interposer makes through libc while holding it, if libc calls an
 * interposed name, comes back here and must go to the kernel untouched.
 * Returns false then, and the caller passes through.
 */
static bool pl_enter(void)
{
	if (pl_inside)
		return false;
	pthread_mutex_lock(&pl_lock);
	pl_inside = true;
	return true;
}

static void pl_leave(void)
{
	pl_inside = false;
	pthread_mutex_unlock(&pl_lock);
}

/* pl_ret: a libc-style result from a raw call or an upager one */
static long pl_ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

static long pl_raw(long r)
{
	return r < 0 ? -errno : r;
}

/* pl_size: UPAGER_BUDGET's bytes (K, M, G suffixes), 0 if unset or bad */
static size_t pl_size(const char *s)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return 0;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	return *end == '\0' ? (size_t)v : 0;
}

/* pl_matches: does path match one of UPAGER_MATCH's patterns? */
static bool pl_matches(const char *path)
{
	const char *m = getenv("UPAGER_MATCH"), *p;
	char pat[1024];
	size_t n;

	if (m == NULL || path == NULL)
		return false;
	for (p = m; *p != '\0'; p += n + (p[n] == ':')) {
		n = strcspn(p, ":");
		if (n == 0 || n >= sizeof(pat))
			continue;
		memcpy(pat, p, n);
		pat[n] = '\0';
		if (fnmatch(pat, path, 0) == 0)
			return true;
	}
	return false;
}

/* pl_suffix: does path end in sfx? */
static bool pl_suffix(const char *path, size_t n, const char *sfx)
{
	size_t k = strlen(sfx);

	return n >= k && strcmp(path + n - k, sfx) == 0;
}

/* pl_never: names upager leaves to the kernel whatever UPAGER_MATCH says:
 * files other processes map to share locks and state with this one */
static bool pl_never(const char *path)
{
	size_t n = path != NULL ? strlen(path) : 0;

	return n == 0 || pl_suffix(path, n, "-shm") ||
	    pl_suffix(path, n, ".lock") || pl_suffix(path, n, "-lock") ||
	    pl_suffix(path, n, "lock.mdb");
}

/*
 * pl_keepfd: the pager is done with a descriptor of (dev, ino); it is
 * closed once the program holds no descriptor of that file (pl_bury).
 * => pager locks may be held; takes pl_glock only.
 */
static void pl_keepfd(dev_t dev, ino_t ino, int fd)
{
	struct pl_grave *g;
	int n;

	pthread_mutex_lock(&pl_glock);
	if (pl_ngraves == pl_maxgraves) {
		n = pl_maxgraves != 0 ? pl_maxgraves * 2 : 16;
		if ((g = realloc(pl_graves, (size_t)n * sizeof(*g))) == NULL) {
			/* better to drop the locks than to lose the
			 * descriptor for good */
			pthread_mutex_unlock(&pl_glock);
			(void)syscall(SYS_close, fd);
			return;
		}
		pl_graves = g;
		pl_maxgraves = n;
	}
	pl_graves[pl_ngraves++] = (struct pl_grave){ dev, ino, fd };
	pthread_mutex_unlock(&pl_glock);
}

/* pl_noted: does the program hold a descriptor of (dev, ino)?
 * => pl_lock held */
static bool pl_noted(dev_t dev, ino_t ino)
{
	for (int i = 0; i < pl_nfd; i++)
		if (pl_fds[i].reg && pl_fds[i].dev == dev &&
		    pl_fds[i].ino == ino)
			return true;
	return false;
}

/*
 * pl_bury: close the kept descriptors of files the program no longer
 * holds a descriptor of.  => no locks held.
 */
static void pl_bury(void)
{
	int fds[64], n = 0, i, j;

	if (!pl_enter())
		return;
	if (pl_child) {
		pl_leave();
		return;
	}
	pthread_mutex_lock(&pl_glock);
	for (i = j = 0; i < pl_ngraves; i++) {
		if (n < (int)(sizeof(fds) / sizeof(fds[0])) &&
		    !pl_noted(pl_graves[i].dev, pl_graves[i].ino))
			fds[n++] = pl_graves[i].fd;
		else
			pl_graves[j++] = pl_graves[i];
	}
	pl_ngraves = j;
	pthread_mutex_unlock(&pl_glock);
	pl_leave();
	for (i = 0; i < n; i++)
		(void)syscall(SYS_close, fds[i]);
}

/* pl_print_stats: UPAGER_STATS=1's line on stderr, for people and the
 * tests that parse it */
static void pl_print_stats(const struct upager_stats *st)
{
	fprintf(stderr, "upager: faults %" PRIu64 " pages_in %" PRIu64
	    " pages_out %" PRIu64 " ra_pages %" PRIu64 " ra_used %" PRIu64
	    " wb_clusters %" PRIu64 " (%.1f pages each) laundered %" PRIu64
	    " peak_resident %" PRIu64 " of %" PRIu64 " pages\n", st->faults,
	    st->pages_in, st->pages_out, st->ra_pages, st->ra_used,
	    st->write_ios, st->write_ios != 0 ? (double)st->pages_out /
	    (double)st->write_ios : 0.0, st->laundered, st->peak_resident,
	    st->budget_pages);
}

/*
 * pl_file_stats: the counters as one line of name value pairs, appended
 * to the file UPAGER_STATS_FILE names (`upager stat` sums the lines of
 * every process of a run).  One write to an O_APPEND descriptor, so that
 * processes ending at once do not mix their lines; raw calls, so that
 * the file is never one the pager manages.
 */
static void pl_file_stats(const char *path, const struct upager_stats *st)
{
	char line[512];
	long fd;
	int n;

	n = snprintf(line, sizeof(line), "pid %ld faults %" PRIu64
	    " pages_in %" PRIu64 " pages_out %" PRIu64 " bytes_read %" PRIu64
	    " bytes_written %" PRIu64 " ra_pages %" PRIu64 " ra_used %" PRIu64
	    " write_ios %" PRIu64 " laundered %" PRIu64 " peak_resident %"
	    PRIu64 " budget_pages %" PRIu64 " page_size %" PRIu64 "\n",
	    (long)getpid(), st->faults, st->pages_in, st->pages_out,
	    st->bytes_read, st->bytes_written, st->ra_pages, st->ra_used,
	    st->write_ios, st->laundered, st->peak_resident,
	    st->budget_pages, st->page_size);
	fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_APPEND |
	    O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && n > 0 && (size_t)n < sizeof(line))
		(void)syscall(SYS_write, fd, line, (size_t)n);
	if (fd >= 0)
		(void)syscall(SYS_close, fd);
}

/* pl_syncall: write back every dirty page, before the program's data is
 * read by another program (fork, exec, exit).  => pl_lock held */
static void pl_syncall(void)
{
	if (pl_pg != NULL && !pl_child)
		(void)upager_sync_all(pl_pg);
}

static void pl_prefork(void)
{
	pthread_mutex_lock(&pl_lock);
	pl_inside = true;
	pl_syncall();
}

static void pl_postfork_parent(void)
{
	pl_leave();
}

/* pl_postfork_child: the pager's threads did not come along: it is the
 * parent's, never touched here */
static void pl_postfork_child(void)
{
	pl_child = true;
	pl_pg = NULL;
	pl_leave();
}

__attribute__((constructor)) static void pl_init(void)
{
	pthread_atfork(pl_prefork, pl_postfork_parent, pl_postfork_child);
}

/* pl_fini: at exit, write everything back and give the stats where
 * asked: stderr (UPAGER_STATS=1), a file (UPAGER_STATS_FILE) */
__attribute__((destructor)) static void pl_fini(void)
{
	const char *s = getenv("UPAGER_STATS");
	const char *file = getenv("UPAGER_STATS_FILE");
	struct upager_stats st;

	if (!pl_enter())
		return;
	if (pl_pg != NULL && !pl_child) {
		pl_syncall();
		/* after the write-back, which they count */
		if (upager_stats(pl_pg, &st) == 0) {
			if (s != NULL && strcmp(s, "1") == 0)
				pl_print_stats(&st);
			if (file != NULL && file[0] != '\0')
				pl_file_stats(file, &st);
		}
	}
	pl_leave();
}

/* pl_pager: the process's pager, made at the first managed file.
 * => pl_lock held.  NULL when it cannot be made (errno set). */
static upager_t *pl_pager(void)
{
	struct upager_config cfg;
	int err;

	if (pl_pg != NULL)
		return pl_pg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = pl_size(getenv("UPAGER_BUDGET"));
	if ((err = upager_create(&cfg, &pl_pg)) != 0) {
		pl_pg = NULL;
		errno = -err;
		return NULL;
	}
	pl_pg->fdkeep = pl_keepfd;
	return pl_pg;
}

/* pl_get: the entry of a managed descriptor, or NULL. => pl_lock held */
static struct pl_fd *pl_get(int fd)
{
	if (pl_child || fd < 0 || fd >= PL_MAXFD || pl_fds[fd].uf == NULL)
		return NULL;
	return &pl_fds[fd];
}

/*
 * pl_manage: make fd's file managed, and every other descriptor of it
 * noted here.  => pl_lock held.  Returns 0 or a negative errno.
 */
static int pl_manage(int fd)
{
	struct pl_fd *e = &pl_fds[fd], *x;
	char path[64];
	int i, err;

	if (e->uf != NULL)
		return 0;
	if (pl_pager() == NULL)
		return -errno;
	for (i = 0; i < pl_nfd; i++) {
		x = &pl_fds[i];
		if (!x->reg || x->uf != NULL || x->dev != e->dev ||
		    x->ino != e->ino)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", i);
		if ((err = upager_open(pl_pg, path, x->acc, 0, &x->uf)) != 0) {
			x->uf = NULL;
			if (i == fd)
				return err;
		}
	}
	return 0;
}

/* pl_byino: a managed handle of the file (dev, ino), or NULL.
 * => pl_lock held */
static upager_file_t *pl_byino(dev_t dev, ino_t ino)
{
	for (int i = 0; i < pl_nfd && !pl_child; i++)
		if (pl_fds[i].uf != NULL && pl_fds[i].dev == dev &&
		    pl_fds[i].ino == ino)
			return pl_fds[i].uf;
	return NULL;
}

/* pl_opened: note a descriptor just opened.  => pl_lock not held */
static void pl_opened(int fd, const char *path, int flags)
{
	struct stat st;
	struct pl_fd *e;

	if (pl_child || fd < 0 || fd >= PL_MAXFD)
		return;
	if (syscall(SYS_fstat, fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    !pl_enter())
		return;
	e = &pl_fds[fd];
	memset(e, 0, sizeof(*e));
	e->reg = true;
	e->never = (flags & O_PATH) || pl_never(path);
	e->acc = flags & O_ACCMODE;
	e->append = (flags & O_APPEND) != 0;
	e->dsync = (flags & (O_DSYNC | O_SYNC)) != 0;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	pl_nfd = MAX(pl_nfd, fd + 1);
	/* another descriptor of a managed file, or a path asked for */
	if (!e->never && (pl_byino(e->dev, e->ino) != NULL ||
	    pl_matches(path)))
		(void)pl_manage(fd);
	pl_leave();
}

/* pl_forget: fd is closed (or is about to be): its handle, to close.
 * => pl_lock not held */
static upager_file_t *pl_forget(int fd)
{
	upager_file_t *uf = NULL;

	if (!pl_enter())
		return NULL;
	if (!pl_child && fd >= 0 && fd < PL_MAXFD) {
		uf = pl_fds[fd].uf;
		memset(&pl_fds[fd], 0, sizeof(pl_fds[fd]));
	}
	pl_leave();
	return uf;
}

/* pl_dupped: nfd is now a duplicate of fd: note it as fd is noted.
 * => pl_lock not held */
static void pl_dupped(int fd, int nfd)
{
	struct pl_fd *e, *n;

	if (!pl_enter())
		return;
	if (!pl_child && fd >= 0 && fd < PL_MAXFD && nfd >= 0 &&
	    nfd < PL_MAXFD && (e = &pl_fds[fd])->reg) {
		n = &pl_fds[nfd];
		*n = *e;
		n->uf = NULL;
		pl_nfd = MAX(pl_nfd, nfd + 1);
		if (e->uf != NULL)
			(void)pl_manage(nfd);
	}
	pl_leave();
}

static int pl_openat(int dirfd, const char *path, int flags, mode_t mode)
{
	long fd = pl_raw(syscall(SYS_openat, dirfd, path, flags, mode));

	if (fd >= 0)
		pl_opened((int)fd, path, flags);
	return (int)pl_ret(fd);
}

static mode_t pl_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

/* PL_MODE: the mode argument after flags, where O_CREAT says there is one */
#define PL_MODE(flags) ({						\
	va_list ap_;							\
	mode_t m_;							\
									\
	va_start(ap_, flags);						\
	m_ = pl_mode(flags, ap_);					\
	va_end(ap_);							\
	m_;								\
})

PL_EXPORT int open(const char *path, int flags, ...)
{
	return pl_openat(AT_FDCWD, path, flags, PL_MODE(flags));
}

PL_EXPORT int open64(const char *path, int flags, ...)
    __attribute__((alias("open")));

PL_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	return pl_openat(dirfd, path, flags, PL_MODE(flags));
}

PL_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
    __attribute__((alias("openat")));

PL_EXPORT int __open_2(const char *path, int flags)
{
	return pl_openat(AT_FDCWD, path, flags, 0);
}

PL_EXPORT int __open64_2(const char *path, int flags)
    __attribute__((alias("__open_2")));

PL_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return pl_openat(dirfd, path, flags, 0);
}

PL_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
    __attribute__((alias("__openat_2")));

PL_EXPORT int creat(const char *path, mode_t mode)
{
	return pl_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

PL_EXPORT int creat64(const char *path, mode_t mode)
    __attribute__((alias("creat")));

PL_EXPORT int close(int fd)
{
	upager_file_t *uf = pl_forget(fd);
	int err = 0;
	long r;

	/* the views stay; the handle's dirty pages are written back */
	if (uf != NULL)
		err = upager_close(uf);
	r = pl_raw(syscall(SYS_close, fd));
	pl_bury();
	return (int)pl_ret(r < 0 ? r : err);
}

PL_EXPORT int dup(int fd)
{
	long r = pl_raw(syscall(SYS_dup, fd));

	if (r >= 0)
		pl_dupped(fd, (int)r);
	return (int)pl_ret(r);
}

/* pl_dup3: dup2 and dup3: nfd's old file, if any, is closed by the call */
static int pl_dup3(int fd, int nfd, int flags)
{
	upager_file_t *uf;
	long r = pl_raw(syscall(SYS_dup3, fd, nfd, flags));

	if (r < 0)
		return (int)pl_ret(r);
	if ((uf = pl_forget(nfd)) != NULL)
		(void)upager_close(uf);
	pl_dupped(fd, nfd);
	pl_bury();
	return nfd;
}

PL_EXPORT int dup2(int fd, int nfd)
{
	/* dup3 refuses fd == nfd; dup2 checks fd and returns it */
	if (fd == nfd)
		return (int)pl_ret(pl_raw(syscall(SYS_fcntl, fd, F_GETFD)) < 0 ?
		    -EBADF : fd);
	return pl_dup3(fd, nfd, 0);
}

PL_EXPORT int dup3(int fd, int nfd, int flags)
{
	return pl_dup3(fd, nfd, flags);
}

static int pl_fcntl(int fd, int cmd, unsigned long arg)
{
	long r = pl_raw(syscall(SYS_fcntl, fd, cmd, arg));

	if (r < 0)
		return (int)pl_ret(r);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
		pl_dupped(fd, (int)r);
	} else if (cmd == F_SETFL && fd < PL_MAXFD && pl_enter()) {
		pl_fds[fd].append = (arg & O_APPEND) != 0;
		pl_leave();
	}
	return (int)r;
}

/* the argument, when there is one, is an int, a long or a pointer: read
 * as the widest, as libc itself does */
PL_EXPORT int fcntl(int fd, int cmd, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, cmd);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	return pl_fcntl(fd, cmd, arg);
}

PL_EXPORT int fcntl64(int fd, int cmd, ...)
    __attribute__((alias("fcntl")));

/*
 * pl_touch: where the pager sees only the program's own faults, touch a
 * buffer of a view before the kernel reads or writes it, so that the
 * kernel finds its pages there rather than holes of the memfd.
 */
static void pl_touch(const void *buf, size_t len)
{
	if (pl_pg != NULL && !pl_child && len != 0 &&
	    !vm_kernel_faults(pl_pg) && vm_any_view((void *)buf, len))
		ubc_prefault(buf, len);
}

static void pl_touchv(const struct iovec *iov, int cnt)
{
	for (int i = 0; i < cnt; i++)
		pl_touch(iov[i].iov_base, iov[i].iov_len);
}

/*
 * pl_io: read or write the iovecs at off of a managed descriptor; off < 0:
 * at the file position, which moves.  rwf: RWF_APPEND, RWF_DSYNC,
 * RWF_SYNC.  Sets *managed, and returns nothing else when not managed.
 * => pl_lock not held.
 */
static ssize_t pl_io(int fd, const struct iovec *iov, int cnt, off_t off,
    int rwf, bool wr, bool *managed)
{
	bool usepos = off < 0, dsync;
	ssize_t r = 0, total = 0;
	upager_file_t *uf;
	struct pl_fd *e;
	int i;

	if (!pl_enter()) {
		*managed = false;
		return 0;
	}
	if ((e = pl_get(fd)) == NULL) {
		pl_leave();
		*managed = false;
		return 0;
	}
	*managed = true;
	uf = e->uf;
	dsync = e->dsync || (wr && (rwf & (RWF_DSYNC | RWF_SYNC)));
	if (wr && (e->append || (rwf & RWF_APPEND)))
		off = upager_size(uf);
	else if (usepos)
		off = (off_t)pl_raw(syscall(SYS_lseek, fd, 0, SEEK_CUR));
	pl_leave();
	if (cnt < 0 || cnt > IOV_MAX) {
		r = -EINVAL;
		goto out;
	}
	if (off < 0) {
		r = off;
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		r = wr ? upager_pwrite(uf, iov[i].iov_base, iov[i].iov_len,
		    off + total) : upager_pread(uf, iov[i].iov_base,
		    iov[i].iov_len, off + total);
		if (r < 0)
			break;
		total += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	/* what moved counts, as with a short transfer */
	if (total > 0 || r >= 0)
		r = total;
	if (r > 0 && dsync) {
		int err = upager_sync(uf, off, (off_t)r, UPAGER_SYNC_WAIT);

		if (err < 0)
			r = err;
	}
	if (r > 0 && usepos)
		(void)syscall(SYS_lseek, fd, off + r, SEEK_SET);
out:
	return (ssize_t)pl_ret(r);
}

/*
 * pl_rw: the read and write calls: through the pager when fd is managed,
 * else the kernel's call nr with arguments a1..a5 (its own, as it takes
 * them).
 */
static ssize_t pl_rw(int fd, const struct iovec *iov, int cnt, off_t off,
    int rwf, bool wr, long nr, long a1, long a2, long a3, long a4, long a5)
{
	bool m;
	ssize_t r = pl_io(fd, iov, cnt, off, rwf, wr, &m);

	if (m)
		return r;
	if (cnt >= 0 && cnt <= IOV_MAX)
		pl_touchv(iov, cnt);
	return (ssize_t)pl_ret(pl_raw(syscall(nr, fd, a1, a2, a3, a4, a5)));
}

#define PL_IOV(buf, count) (&(struct iovec){ (void *)(buf), (count) })

PL_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	return pl_rw(fd, PL_IOV(buf, count), 1, -1, 0, false, SYS_read,
	    (long)buf, (long)count, 0, 0, 0);
}

PL_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	return pl_rw(fd, PL_IOV(buf, count), 1, -1, 0, true, SYS_write,
	    (long)buf, (long)count, 0, 0, 0);
}

static ssize_t pl_pread(int fd, void *buf, size_t count, off_t off)
{
	if (off < 0)
		return (ssize_t)pl_ret(-EINVAL);
	return pl_rw(fd, PL_IOV(buf, count), 1, off, 0, false, SYS_pread64,
	    (long)buf, (long)count, (long)off, 0, 0);
}

static ssize_t pl_pwrite(int fd, const void *buf, size_t count, off_t off)
{
	if (off < 0)
		return (ssize_t)pl_ret(-EINVAL);
	return pl_rw(fd, PL_IOV(buf, count), 1, off, 0, true, SYS_pwrite64,
	    (long)buf, (long)count, (long)off, 0, 0);
}

PL_EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	return pl_pread(fd, buf, count, off);
}

PL_EXPORT ssize_t pread64(int fd, void *buf, size_t count, off_t off)
    __attribute__((alias("pread")));

PL_EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	return pl_pwrite(fd, buf, count, off);
}

PL_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off)
    __attribute__((alias("pwrite")));

PL_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	return pl_rw(fd, iov, cnt, -1, 0, false, SYS_readv, (long)iov, cnt,
	    0, 0, 0);
}

PL_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	return pl_rw(fd, iov, cnt, -1, 0, true, SYS_writev, (long)iov, cnt,
	    0, 0, 0);
}

/* pl_prwv: the preadv and pwritev calls.  The kernel takes the offset as
 * two longs, the high half 0 on a 64-bit machine. */
static ssize_t pl_prwv(int fd, const struct iovec *iov, int cnt, off_t off,
    int rwf, bool wr, bool v2)
{
	long nr = v2 ? (wr ? SYS_pwritev2 : SYS_preadv2) :
	    (wr ? SYS_pwritev : SYS_preadv);

	/* only preadv2/pwritev2 take -1: the file position */
	if (off < 0 && !(v2 && off == -1))
		return (ssize_t)pl_ret(-EINVAL);
	return pl_rw(fd, iov, cnt, off, rwf, wr, nr, (long)iov, cnt,
	    (long)off, 0, rwf);
}

PL_EXPORT ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
	return pl_prwv(fd, iov, cnt, off, 0, false, false);
}

PL_EXPORT ssize_t preadv64(int fd, const struct iovec *iov, int cnt,
    off_t off)
    __attribute__((alias("preadv")));

PL_EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt,
    off_t off)
{
	return pl_prwv(fd, iov, cnt, off, 0, true, false);
}

PL_EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt,
    off_t off)
    __attribute__((alias("pwritev")));

PL_EXPORT ssize_t preadv2(int fd, const struct iovec *iov, int cnt,
    off_t off, int flags)
{
	return pl_prwv(fd, iov, cnt, off, flags, false, true);
}

PL_EXPORT ssize_t preadv64v2(int fd, const struct iovec *iov, int cnt,
    off_t off, int flags)
    __attribute__((alias("preadv2")));

PL_EXPORT ssize_t pwritev2(int fd, const struct iovec *iov, int cnt,
    off_t off, int flags)
{
	return pl_prwv(fd, iov, cnt, off, flags, true, true);
}

PL_EXPORT ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt,
    off_t off, int flags)
    __attribute__((alias("pwritev2")));

/*
 * pl_lseek: a managed descriptor's position is the kernel's; only the end
 * (and so the data and holes) is the pager's, which may be past the disk's.
 */
static off_t pl_lseek(int fd, off_t off, int whence)
{
	struct pl_fd *e;
	off_t size = -1, r;

	e = NULL;
	if (pl_enter()) {
		if ((e = pl_get(fd)) != NULL)
			size = upager_size(e->uf);
		pl_leave();
	}
	if (e == NULL || size < 0 || whence == SEEK_SET || whence == SEEK_CUR)
		return (off_t)pl_ret(pl_raw(syscall(SYS_lseek, fd, off,
		    whence)));
	switch (whence) {
	case SEEK_END:
		if (off < -size)
			return (off_t)pl_ret(-EINVAL);
		r = size + off;
		break;
	case SEEK_DATA:
		/* all of it is data: a file system may say so too */
		if (off < 0 || off >= size)
			return (off_t)pl_ret(off < 0 ? -EINVAL : -ENXIO);
		r = off;
		break;
	case SEEK_HOLE:
		if (off < 0 || off >= size)
			return (off_t)pl_ret(off < 0 ? -EINVAL : -ENXIO);
		r = size;
		break;
	default:
		return (off_t)pl_ret(-EINVAL);
	}
	return (off_t)pl_ret(pl_raw(syscall(SYS_lseek, fd, r, SEEK_SET)));
}

PL_EXPORT off_t lseek(int fd, off_t off, int whence)
{
	return pl_lseek(fd, off, whence);
}

PL_EXPORT off_t lseek64(int fd, off_t off, int whence)
    __attribute__((alias("lseek")));

/* pl_handle: the upager handle of a managed descriptor, or NULL */
static upager_file_t *pl_handle(int fd)
{
	struct pl_fd *e;
	upager_file_t *uf;

	if (!pl_enter())
		return NULL;
	uf = (e = pl_get(fd)) != NULL ? e->uf : NULL;
	pl_leave();
	return uf;
}

static int pl_ftruncate(int fd, off_t len)
{
	upager_file_t *uf = pl_handle(fd);

	if (uf == NULL)
		return (int)pl_ret(pl_raw(syscall(SYS_ftruncate, fd, len)));
	return (int)pl_ret(upager_truncate(uf, len));
}

PL_EXPORT int ftruncate(int fd, off_t len)
{
	return pl_ftruncate(fd, len);
}

PL_EXPORT int ftruncate64(int fd, off_t len)
    __attribute__((alias("ftruncate")));

/* pl_truncate: by path; a managed file is truncated by its pager, which
 * the caller may write (the kernel's permission check comes first) */
static int pl_truncate(const char *path, off_t len)
{
	upager_file_t *uf = NULL;
	struct stat st;
	long r;
	int fd;

	fd = (int)pl_raw(syscall(SYS_openat, AT_FDCWD, path, O_WRONLY |
	    O_CLOEXEC));
	if (fd < 0)
		return (int)pl_ret(fd);
	if (!pl_enter()) {
		r = pl_raw(syscall(SYS_ftruncate, fd, len));
		(void)syscall(SYS_close, fd);
		return (int)pl_ret(r);
	}
	if (syscall(SYS_fstat, fd, &st) == 0)
		uf = pl_byino(st.st_dev, st.st_ino);
	r = uf != NULL ? upager_truncate(uf, len) :
	    pl_raw(syscall(SYS_ftruncate, fd, len));
	pl_leave();
	/* a descriptor of the program's file: closed once nobody's locks
	 * hang on it */
	pl_keepfd(st.st_dev, st.st_ino, fd);
	pl_bury();
	return (int)pl_ret(r);
}

PL_EXPORT int truncate(const char *path, off_t len)
{
	return pl_truncate(path, len);
}

PL_EXPORT int truncate64(const char *path, off_t len)
    __attribute__((alias("truncate")));

static int pl_fsync(int fd, long nr)
{
	upager_file_t *uf = pl_handle(fd);

	if (uf == NULL)
		return (int)pl_ret(pl_raw(syscall(nr, fd)));
	return (int)pl_ret(upager_sync(uf, 0, 0, UPAGER_SYNC_WAIT));
}

PL_EXPORT int fsync(int fd)
{
	return pl_fsync(fd, SYS_fsync);
}

PL_EXPORT int fdatasync(int fd)
{
	return pl_fsync(fd, SYS_fdatasync);
}

/* pl_fixsize: the size of a managed file is the pager's: what it holds
 * may not be on disk yet */
static void pl_fixsize(struct stat *st)
{
	upager_file_t *uf;
	off_t size;

	if (!S_ISREG(st->st_mode) || !pl_enter())
		return;
	if ((uf = pl_byino(st->st_dev, st->st_ino)) != NULL &&
	    (size = upager_size(uf)) >= 0)
		st->st_size = size;
	pl_leave();
}

/* pl_statat: every stat call but statx: struct stat64 is struct stat on
 * the 64-bit machines this builds for */
static int pl_statat(int dirfd, const char *path, struct stat *st, int flags)
{
	long r = pl_raw(path != NULL ? syscall(SYS_newfstatat, dirfd, path,
	    st, flags) : syscall(SYS_fstat, dirfd, st));

	if (r == 0)
		pl_fixsize(st);
	return (int)pl_ret(r);
}

_Static_assert(sizeof(struct stat) == sizeof(struct stat64),
    "struct stat64 is struct stat");

PL_EXPORT int fstat(int fd, struct stat *st)
{
	return pl_statat(fd, NULL, st, 0);
}

PL_EXPORT int fstat64(int fd, struct stat64 *st)
{
	return pl_statat(fd, NULL, (struct stat *)st, 0);
}

PL_EXPORT int stat(const char *path, struct stat *st)
{
	return pl_statat(AT_FDCWD, path, st, 0);
}

PL_EXPORT int stat64(const char *path, struct stat64 *st)
{
	return pl_statat(AT_FDCWD, path, (struct stat *)st, 0);
}

PL_EXPORT int lstat(const char *path, struct stat *st)
{
	return pl_statat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

PL_EXPORT int lstat64(const char *path, struct stat64 *st)
{
	return pl_statat(AT_FDCWD, path, (struct stat *)st,
	    AT_SYMLINK_NOFOLLOW);
}

PL_EXPORT int fstatat(int dirfd, const char *path, struct stat *st,
    int flags)
{
	return pl_statat(dirfd, path, st, flags);
}

PL_EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st,
    int flags)
{
	return pl_statat(dirfd, path, (struct stat *)st, flags);
}

/* ver: _STAT_VER_LINUX, the kernel's struct stat on x86-64 */
PL_EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	(void)ver;
	return pl_statat(fd, NULL, st, 0);
}

PL_EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	(void)ver;
	return pl_statat(fd, NULL, (struct stat *)st, 0);
}

PL_EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return pl_statat(AT_FDCWD, path, st, 0);
}

PL_EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	(void)ver;
	return pl_statat(AT_FDCWD, path, (struct stat *)st, 0);
}

PL_EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	(void)ver;
	return pl_statat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

PL_EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	(void)ver;
	return pl_statat(AT_FDCWD, path, (struct stat *)st,
	    AT_SYMLINK_NOFOLLOW);
}

PL_EXPORT int __fxstatat(int ver, int dirfd, const char *path,
    struct stat *st, int flags)
{
	(void)ver;
	return pl_statat(dirfd, path, st, flags);
}

PL_EXPORT int __fxstatat64(int ver, int dirfd, const char *path,
    struct stat64 *st, int flags)
{
	(void)ver;
	return pl_statat(dirfd, path, (struct stat *)st, flags);
}

PL_EXPORT int statx(int dirfd, const char *path, int flags,
    unsigned mask, struct statx *stx)
{
	long r = pl_raw(syscall(SYS_statx, dirfd, path, flags, mask, stx));
	struct stat st;

	if (r == 0 && (stx->stx_mask & STATX_TYPE) &&
	    S_ISREG(stx->stx_mode)) {
		memset(&st, 0, sizeof(st));
		st.st_mode = stx->stx_mode;
		st.st_dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);
		st.st_ino = stx->stx_ino;
		st.st_size = (off_t)stx->stx_size;
		pl_fixsize(&st);
		stx->stx_size = (uint64_t)st.st_size;
	}
	return (int)pl_ret(r);
}

/*
 * pl_mmap: a MAP_SHARED mapping of a regular file makes it managed; every
 * mapping of a managed file is a view.  MAP_FIXED over views unmaps them
 * first, as the kernel replaces what it maps over; an address hint is
 * the kernel's to take.
 */
static void *pl_mmap(void *addr, size_t len, int prot, int flags, int fd,
    off_t off)
{
	int type = flags & MAP_TYPE, err = 0;
	int fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	upager_file_t *uf = NULL;
	struct pl_fd *e;
	void *a;

	if (!pl_enter())
		return (void *)pl_ret(pl_raw(syscall(SYS_mmap, addr, len, prot,
		    flags, fd, off)));
	if (!pl_child && !(flags & MAP_ANONYMOUS) && fd >= 0 &&
	    fd < PL_MAXFD && (e = &pl_fds[fd])->reg && !e->never) {
		if (e->uf == NULL && (type == MAP_SHARED ||
		    type == MAP_SHARED_VALIDATE))
			err = pl_manage(fd);
		uf = e->uf;
	}
	pl_leave();
	if (err != 0)
		return (void *)pl_ret(err);
	if (uf == NULL) {
		if ((flags & MAP_FIXED) && pl_pg != NULL && !pl_child &&
		    ((uintptr_t)addr & PAGE_MASK) == 0 &&
		    (err = vm_unmap_views(addr, len, true)) != 0)
			return (void *)pl_ret(err);
		return (void *)pl_ret(pl_raw(syscall(SYS_mmap, addr, len, prot,
		    flags, fd, off)));
	}
	if (fixed == (MAP_FIXED | MAP_FIXED_NOREPLACE))
		fixed = MAP_FIXED_NOREPLACE;
	err = vm_mapat(uf, addr, fixed, off, len, prot,
	    type == MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED, &a);
	return err != 0 ? (void *)pl_ret(err) : a;
}

PL_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
    off_t off)
{
	return pl_mmap(addr, len, prot, flags, fd, off);
}

PL_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
    off_t off)
    __attribute__((alias("mmap")));

/* munmap: views in the range are written back and unmapped, the rest is
 * the kernel's, as one munmap may cover both */
PL_EXPORT int munmap(void *addr, size_t len)
{
	int err;

	if (pl_pg != NULL && !pl_child && ((uintptr_t)addr & PAGE_MASK) == 0 &&
	    len != 0 && (err = vm_unmap_views(addr, len, true)) != 0)
		return (int)pl_ret(err);
	return (int)pl_ret(pl_raw(syscall(SYS_munmap, addr, len)));
}

PL_EXPORT void *mremap(void *old, size_t oldlen, size_t newlen, int flags,
    ...)
{
	char *o = old, *n = NULL;
	void *out;
	va_list ap;
	int err;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		n = va_arg(ap, void *);
		va_end(ap);
	}
	if (pl_pg != NULL && !pl_child) {
		if (flags & MREMAP_FIXED) {
			/* overlapping ranges: the kernel's EINVAL, before
			 * anything is unmapped */
			if (n < o + oldlen && o < n + newlen)
				return (void *)pl_ret(-EINVAL);
			if (((uintptr_t)n & PAGE_MASK) == 0 &&
			    (err = vm_unmap_views(n, newlen, true)) != 0)
				return (void *)pl_ret(err);
		}
		err = vm_remap(old, oldlen, newlen, flags, n, &out);
		if (err != VM_NOTVIEW)
			return err != 0 ? (void *)pl_ret(err) : out;
	}
	return (void *)pl_ret(pl_raw(syscall(SYS_mremap, old, oldlen, newlen,
	    flags, n)));
}

/* upager_msync says -ENOMEM for a range no view holds: the kernel's */
PL_EXPORT int msync(void *addr, size_t len, int flags)
{
	int err = pl_pg != NULL && !pl_child ? upager_msync(addr, len, flags) :
	    -ENOMEM;

	if (err != -ENOMEM)
		return (int)pl_ret(err);
	return (int)pl_ret(pl_raw(syscall(SYS_msync, addr, len, flags)));
}

/*
 * madvise: the advice upager takes, on views; the rest of a view's advice
 * is dropped (it is advice), but for MADV_REMOVE, which would punch the
 * frames, not the file, and is refused as for a mapping that cannot.
 */
PL_EXPORT int madvise(void *addr, size_t len, int advice)
{
	if (pl_pg == NULL || pl_child || !vm_any_view(addr, len))
		return (int)pl_ret(pl_raw(syscall(SYS_madvise, addr, len,
		    advice)));
	switch (advice) {
	case MADV_NORMAL:
	case MADV_SEQUENTIAL:
	case MADV_RANDOM:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
		return (int)pl_ret(upager_madvise(addr, len, advice));
	case MADV_REMOVE:
		return (int)pl_ret(-EINVAL);
	default:
		return 0;
	}
}

PL_EXPORT int posix_madvise(void *addr, size_t len, int advice)
{
	/* the POSIX names are the same numbers; it returns the error */
	return madvise(addr, len, advice) == 0 ? 0 : errno;
}

/*
 * The exec and spawn calls: what the program wrote is written back first,
 * so the new program (or the child) reads it from the file.  The PATH
 * searching ones are libc's, found once with dlsym.
 */
static void pl_preexec(void)
{
	if (!pl_enter())
		return;
	pl_syncall();
	pl_leave();
}

#define PL_NEXT(name) ({							static __typeof__(name) *next_;															if (next_ == NULL)								next_ = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);		next_;								})

PL_EXPORT int execve(const char *path, char *const argv[],
    char *const envp[])
{
	pl_preexec();
	return (int)pl_ret(pl_raw(syscall(SYS_execve, path, argv, envp)));
}

PL_EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

PL_EXPORT int execveat(int dirfd, const char *path, char *const argv[],
    char *const envp[], int flags)
{
	pl_preexec();
	return (int)pl_ret(pl_raw(syscall(SYS_execveat, dirfd, path, argv,
	    envp, flags)));
}

PL_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	return execveat(fd, "", argv, envp, AT_EMPTY_PATH);
}

PL_EXPORT int execvpe(const char *file, char *const argv[],
    char *const envp[])
{
	pl_preexec();
	return PL_NEXT(execvpe)(file, argv, envp);
}

PL_EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

/* PL_ARGV: the argument list of an execl* call as an array, and then its
 * envp for execle */
#define PL_ARGV(arg0, argv, envp) do {						va_list ap_;								size_t n_ = 1;																	va_start(ap_, arg0);							while (va_arg(ap_, char *) != NULL)						n_++;								va_end(ap_);								argv = __builtin_alloca((n_ + 1) * sizeof(char *));			va_start(ap_, arg0);							argv[0] = (char *)arg0;							for (size_t i_ = 1; i_ <= n_; i_++)						argv[i_] = va_arg(ap_, char *);					envp = va_arg(ap_, char **);						va_end(ap_);							} while (0)

PL_EXPORT int execl(const char *path, const char *arg0, ...)
{
	char **argv, **envp;

	PL_ARGV(arg0, argv, envp);
	(void)envp;
	return execve(path, argv, environ);
}

PL_EXPORT int execle(const char *path, const char *arg0, ...)
{
	char **argv, **envp;

	PL_ARGV(arg0, argv, envp);
	return execve(path, argv, envp);
}

PL_EXPORT int execlp(const char *file, const char *arg0, ...)
{
	char **argv, **envp;

	PL_ARGV(arg0, argv, envp);
	(void)envp;
	return execvpe(file, argv, environ);
}

PL_EXPORT int posix_spawn(pid_t *pid, const char *path,
    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
    char *const argv[], char *const envp[])
{
	pl_preexec();
	return PL_NEXT(posix_spawn)(pid, path, fa, attr, argv, envp);
}

PL_EXPORT int posix_spawnp(pid_t *pid, const char *file,
    const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
    char *const argv[], char *const envp[])
{
	pl_preexec();
	return PL_NEXT(posix_spawnp)(pid, file, fa, attr, argv, envp);
}

PL_EXPORT int system(const char *cmd)
{
	pl_preexec();
	return PL_NEXT(system)(cmd);
}

PL_EXPORT FILE *popen(const char *cmd, const char *mode)
{
	pl_preexec();
	return PL_NEXT(popen)(cmd, mode);
}
