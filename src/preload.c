/* preload.c: the LD_PRELOAD interposer: a program's shared file mappings, and the I/O on those files, through upager */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "upager.h"

/*
 * A file becomes managed when the program maps it MAP_SHARED (or, with
 * UPAGER_MATCH, when it opens a path that matches): from then on its
 * mappings are upager views, and read/write/lseek/fstat/ftruncate/fsync on
 * every descriptor of it go through the same upager object, so all of
 * them see the same bytes.  Everything else goes to the kernel with raw
 * system calls: the pager itself makes raw calls too (sys.c), so nothing
 * comes back here, and no dlsym is needed.
 *
 * A descriptor of a regular file is noted at open (device, inode, access
 * mode); descriptors this library did not see opened (inherited, dup'ed:
 * not interposed yet) pass through.  Lock files, SQLite's -shm files and
 * files opened with O_PATH are never managed.
 *
 * Not yet: dup/dup2/dup3/fcntl(F_DUPFD), readv/writev, mremap, MAP_FIXED
 * over a managed range (refused with ENOTSUP), stat() by path, fork (views
 * are MADV_DONTFORK, and the child passes everything to the kernel; what
 * the parent had not synced is not on disk), execve (dirty pages of the
 * old image are lost, as at SIGKILL).
 */

#define PL_EXPORT __attribute__((visibility("default")))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define PL_MAXFD 65536

/* the fortified opens (glibc's fcntl2.h), declared by no header */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

struct pl_fd {
	bool reg;                  /* a regular file opened here */
	bool never;                /* never managed (lock, -shm, O_PATH) */
	bool append, dsync;
	int acc;                   /* O_RDONLY, O_WRONLY or O_RDWR */
	dev_t dev;
	ino_t ino;
	upager_file_t *uf;         /* managed: the upager handle */
	off_t pos;                 /* managed: the file position */
};

static struct pl_fd pl_fds[PL_MAXFD];
static int pl_nfd;             /* above the highest descriptor noted */
static pthread_mutex_t pl_lock = PTHREAD_MUTEX_INITIALIZER;
static upager_t *pl_pg;
static bool pl_child;          /* after fork: everything passes through */
static bool pl_atfork_done;

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

/* pl_never: names upager leaves to the kernel whatever UPAGER_MATCH says */
static bool pl_never(const char *path)
{
	size_t n = path != NULL ? strlen(path) : 0;

	return n == 0 || (n >= 4 && strcmp(path + n - 4, "-shm") == 0) ||
	    (n >= 5 && strcmp(path + n - 5, ".lock") == 0) ||
	    (n >= 5 && strcmp(path + n - 5, "-lock") == 0);
}

static void pl_child_after_fork(void)
{
	pl_child = true;
	pl_pg = NULL;
}

static void pl_print_stats(void)
{
	struct upager_stats st;

	if (upager_stats(pl_pg, &st) != 0)
		return;
	fprintf(stderr, "upager: faults-in %" PRIu64 " pages_in %" PRIu64
	    " pages_out %" PRIu64 " ra_pages %" PRIu64 " ra_used %" PRIu64
	    " write_ios %" PRIu64 " laundered %" PRIu64 " peak_resident %"
	    PRIu64 " of %" PRIu64 " pages\n", st.misses, st.pages_in,
	    st.pages_out, st.ra_pages, st.ra_used, st.write_ios,
	    st.laundered, st.peak_resident, st.budget_pages);
}

/* pl_fini: at exit, write everything back and print the stats if asked */
__attribute__((destructor)) static void pl_fini(void)
{
	const char *s = getenv("UPAGER_STATS");

	pthread_mutex_lock(&pl_lock);
	if (pl_pg != NULL && !pl_child) {
		if (s != NULL && strcmp(s, "1") == 0)
			pl_print_stats();
		(void)upager_sync_all(pl_pg);
	}
	pthread_mutex_unlock(&pl_lock);
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
	if (!pl_atfork_done) {
		pthread_atfork(NULL, NULL, pl_child_after_fork);
		pl_atfork_done = true;
	}
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
			continue;
		}
		x->pos = (off_t)pl_raw(syscall(SYS_lseek, i, 0, SEEK_CUR));
		if (x->pos < 0)
			x->pos = 0;
	}
	return 0;
}

/* pl_opened: note a descriptor just opened.  => pl_lock not held */
static void pl_opened(int fd, const char *path, int flags)
{
	struct stat st;
	struct pl_fd *e;

	if (pl_child || fd < 0 || fd >= PL_MAXFD)
		return;
	if (syscall(SYS_fstat, fd, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	pthread_mutex_lock(&pl_lock);
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
	for (int i = 0; i < pl_nfd && !e->never; i++)
		if (i != fd && pl_fds[i].uf != NULL &&
		    pl_fds[i].dev == e->dev && pl_fds[i].ino == e->ino) {
			(void)pl_manage(fd);
			break;
		}
	if (!e->never && e->uf == NULL && pl_matches(path))
		(void)pl_manage(fd);
	pthread_mutex_unlock(&pl_lock);
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
{
	return pl_openat(AT_FDCWD, path, flags, PL_MODE(flags));
}

PL_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	return pl_openat(dirfd, path, flags, PL_MODE(flags));
}

PL_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	return pl_openat(dirfd, path, flags, PL_MODE(flags));
}

PL_EXPORT int __open_2(const char *path, int flags)
{
	return pl_openat(AT_FDCWD, path, flags, 0);
}

PL_EXPORT int __open64_2(const char *path, int flags)
{
	return pl_openat(AT_FDCWD, path, flags, 0);
}

PL_EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return pl_openat(dirfd, path, flags, 0);
}

PL_EXPORT int __openat64_2(int dirfd, const char *path, int flags)
{
	return pl_openat(dirfd, path, flags, 0);
}

PL_EXPORT int creat(const char *path, mode_t mode)
{
	return pl_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

PL_EXPORT int creat64(const char *path, mode_t mode)
{
	return pl_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

PL_EXPORT int close(int fd)
{
	upager_file_t *uf = NULL;
	int err = 0;

	pthread_mutex_lock(&pl_lock);
	if (!pl_child && fd >= 0 && fd < PL_MAXFD) {
		uf = pl_fds[fd].uf;
		memset(&pl_fds[fd], 0, sizeof(pl_fds[fd]));
	}
	pthread_mutex_unlock(&pl_lock);
	/* the views stay; the handle's dirty pages are written back */
	if (uf != NULL)
		err = upager_close(uf);
	if (syscall(SYS_close, fd) != 0)
		return -1;
	return (int)pl_ret(err);
}

/*
 * pl_io: read or write count bytes at off (pos when off < 0, moving it)
 * of a managed descriptor.  => pl_lock not held.
 */
static ssize_t pl_io(int fd, void *buf, size_t count, off_t off, bool wr,
    bool *managed)
{
	struct pl_fd *e;
	upager_file_t *uf;
	bool usepos = off < 0, dsync;
	ssize_t r;

	pthread_mutex_lock(&pl_lock);
	if ((e = pl_get(fd)) == NULL) {
		pthread_mutex_unlock(&pl_lock);
		*managed = false;
		return 0;
	}
	*managed = true;
	uf = e->uf;
	dsync = e->dsync;
	if (usepos)
		off = wr && e->append ? upager_size(uf) : e->pos;
	pthread_mutex_unlock(&pl_lock);
	r = wr ? upager_pwrite(uf, buf, count, off) :
	    upager_pread(uf, buf, count, off);
	if (r > 0 && wr && dsync) {
		int err = upager_sync(uf, off, (off_t)r, UPAGER_SYNC_WAIT);

		if (err < 0)
			r = err;
	}
	if (r > 0 && usepos) {
		pthread_mutex_lock(&pl_lock);
		if ((e = pl_get(fd)) != NULL)
			e->pos = off + r;
		pthread_mutex_unlock(&pl_lock);
	}
	return (ssize_t)pl_ret(r);
}

PL_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	bool m;
	ssize_t r = pl_io(fd, buf, count, -1, false, &m);

	return m ? r : (ssize_t)pl_ret(pl_raw(syscall(SYS_read, fd, buf,
	    count)));
}

PL_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	bool m;
	ssize_t r = pl_io(fd, (void *)buf, count, -1, true, &m);

	return m ? r : (ssize_t)pl_ret(pl_raw(syscall(SYS_write, fd, buf,
	    count)));
}

static ssize_t pl_pread(int fd, void *buf, size_t count, off_t off)
{
	bool m;
	ssize_t r;

	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	r = pl_io(fd, buf, count, off, false, &m);
	return m ? r : (ssize_t)pl_ret(pl_raw(syscall(SYS_pread64, fd, buf,
	    count, off)));
}

static ssize_t pl_pwrite(int fd, const void *buf, size_t count, off_t off)
{
	bool m;
	ssize_t r;

	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	r = pl_io(fd, (void *)buf, count, off, true, &m);
	return m ? r : (ssize_t)pl_ret(pl_raw(syscall(SYS_pwrite64, fd, buf,
	    count, off)));
}

PL_EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	return pl_pread(fd, buf, count, off);
}

PL_EXPORT ssize_t pread64(int fd, void *buf, size_t count, off_t off)
{
	return pl_pread(fd, buf, count, off);
}

PL_EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	return pl_pwrite(fd, buf, count, off);
}

PL_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off)
{
	return pl_pwrite(fd, buf, count, off);
}

static off_t pl_lseek(int fd, off_t off, int whence)
{
	struct pl_fd *e;
	off_t base, r;

	pthread_mutex_lock(&pl_lock);
	if ((e = pl_get(fd)) == NULL) {
		pthread_mutex_unlock(&pl_lock);
		return (off_t)pl_ret(pl_raw(syscall(SYS_lseek, fd, off,
		    whence)));
	}
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = e->pos;
		break;
	case SEEK_END:
		base = upager_size(e->uf);
		break;
	default:
		/* SEEK_DATA/SEEK_HOLE: the file on disk may be behind */
		pthread_mutex_unlock(&pl_lock);
		errno = EINVAL;
		return -1;
	}
	if (base < 0 || (r = base + off) < 0) {
		pthread_mutex_unlock(&pl_lock);
		errno = EINVAL;
		return -1;
	}
	e->pos = r;
	pthread_mutex_unlock(&pl_lock);
	return r;
}

PL_EXPORT off_t lseek(int fd, off_t off, int whence)
{
	return pl_lseek(fd, off, whence);
}

PL_EXPORT off_t lseek64(int fd, off_t off, int whence)
{
	return pl_lseek(fd, off, whence);
}

/* pl_handle: the upager handle of a managed descriptor, or NULL */
static upager_file_t *pl_handle(int fd)
{
	struct pl_fd *e;
	upager_file_t *uf;

	pthread_mutex_lock(&pl_lock);
	uf = (e = pl_get(fd)) != NULL ? e->uf : NULL;
	pthread_mutex_unlock(&pl_lock);
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
{
	return pl_ftruncate(fd, len);
}

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

static int pl_fstat(int fd, struct stat *st)
{
	upager_file_t *uf = pl_handle(fd);
	off_t size;

	if (syscall(SYS_fstat, fd, st) != 0)
		return -1;
	/* the size is the pager's: what it holds may not be on disk yet */
	if (uf != NULL && (size = upager_size(uf)) >= 0)
		st->st_size = size;
	return 0;
}

PL_EXPORT int fstat(int fd, struct stat *st)
{
	return pl_fstat(fd, st);
}

PL_EXPORT int fstat64(int fd, struct stat64 *st)
{
	return pl_fstat(fd, (struct stat *)st);
}

static void *pl_mmap(void *addr, size_t len, int prot, int flags, int fd,
    off_t off)
{
	int type = flags & MAP_TYPE, err = 0;
	upager_file_t *uf = NULL;
	struct pl_fd *e;
	void *a;

	pthread_mutex_lock(&pl_lock);
	if (!pl_child && !(flags & MAP_ANONYMOUS) && fd >= 0 &&
	    fd < PL_MAXFD && (e = &pl_fds[fd])->reg && !e->never) {
		if (e->uf == NULL && (type == MAP_SHARED ||
		    type == MAP_SHARED_VALIDATE))
			err = pl_manage(fd);
		uf = e->uf;
	}
	pthread_mutex_unlock(&pl_lock);
	if (err != 0)
		return (void *)pl_ret(err);
	if (uf == NULL)
		return (void *)pl_ret(pl_raw(syscall(SYS_mmap, addr, len, prot,
		    flags, fd, off)));
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		errno = ENOTSUP;
		return MAP_FAILED;
	}
	err = upager_map(uf, off, len, prot,
	    type == MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED, &a);
	if (err != 0)
		return (void *)pl_ret(err);
	/* a child has no fault threads: it must not find these mapped */
	(void)syscall(SYS_madvise, a, len, MADV_DONTFORK);
	return a;
}

PL_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd,
    off_t off)
{
	return pl_mmap(addr, len, prot, flags, fd, off);
}

PL_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd,
    off_t off)
{
	return pl_mmap(addr, len, prot, flags, fd, off);
}

/* upager_unmap says -EINVAL for an address no view holds, upager_msync
 * -ENOMEM: the range is the kernel's */
PL_EXPORT int munmap(void *addr, size_t len)
{
	int err = pl_pg != NULL && !pl_child ? upager_unmap(addr, len) :
	    -EINVAL;

	if (err != -EINVAL)
		return (int)pl_ret(err);
	return (int)pl_ret(pl_raw(syscall(SYS_munmap, addr, len)));
}

PL_EXPORT int msync(void *addr, size_t len, int flags)
{
	int err = pl_pg != NULL && !pl_child ? upager_msync(addr, len, flags) :
	    -ENOMEM;

	/* not a view: the kernel's */
	if (err != -EINVAL && err != -ENOMEM)
		return (int)pl_ret(err);
	return (int)pl_ret(pl_raw(syscall(SYS_msync, addr, len, flags)));
}
