/* store.c: the backing store: the file, read into and written from frames */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys.h"
#include "upager_int.h"

/*
 * I/O goes straight between the file and the frames through the object's
 * pager map (no bounce buffer).  Reads use the O_DIRECT descriptor when
 * there is one, so the kernel does not cache the data a second time;
 * whole-page writes too; a write ending in a partial last page goes through
 * the buffered descriptor, since O_DIRECT wants whole blocks.  bmap is
 * SEEK_DATA/SEEK_HOLE; allocation is fallocate.
 */

/*
 * store_open: set up the object's descriptors from an open one.
 * => fd is the object's from now on; an O_DIRECT twin is opened through
 *    /proc/self/fd unless nodirect, and dropped if the file system says no.
 */
int store_open(struct uobj *o, int fd, bool canwrite, bool nodirect)
{
	char path[64];
	int dfd;

	o->fd = fd;
	o->wfd = canwrite ? fd : -1;
	o->dfd = -1;
	o->dfd_write = false;
	if (nodirect)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	dfd = sys_open(path, (canwrite ? O_RDWR : O_RDONLY) | O_DIRECT |
	    O_CLOEXEC, 0);
	if (dfd >= 0) {
		o->dfd = dfd;
		o->dfd_write = canwrite;
	}
	return 0;
}

/*
 * store_upgrade: a writer opened a file the object could only read: keep
 * the writer's descriptor for writes.  => olock held (one upgrade at most).
 */
void store_upgrade(struct uobj *o, int wfd)
{
	KASSERT(o->wfd < 0);
	__atomic_store_n(&o->wfd, wfd, __ATOMIC_RELEASE);
}

void store_close(struct uobj *o)
{
	obj_fdclose(o->pg, o->dev, o->ino, o->dfd);
	obj_fdclose(o->pg, o->dev, o->ino, o->dfd_retired);
	o->dfd_retired = -1;
	if (o->wfd != o->fd)
		obj_fdclose(o->pg, o->dev, o->ino, o->wfd);
	obj_fdclose(o->pg, o->dev, o->ino, o->fd);
	o->dfd = o->wfd = o->fd = -1;
}

/*
 * store_nodirect: the file system refused O_DIRECT I/O: stop using it.
 * The descriptor stays open until the object closes (store_close): other
 * threads' I/O may be using it still, and closed under them its number
 * could name another file by the time their call is made.
 */
static void store_nodirect(struct uobj *o, int dfd)
{
	if (__atomic_compare_exchange_n(&o->dfd, &dfd, -1, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		__atomic_store_n(&o->dfd_retired, dfd, __ATOMIC_RELEASE);
}

/*
 * store_bmap: how the file is laid out at off: returns the length of the
 * run of data (> 0) or of the hole (< 0) there, at most len bytes.
 * => a run known to be data is remembered (bm_lo/bm_hi): data never turns
 *    into a hole except by truncation, which forgets it.
 */
static off_t store_bmap(struct uobj *o, off_t off, off_t len)
{
	off_t lo, hi, d, h;

	pthread_mutex_lock(&o->bmlock);
	lo = o->bm_lo;
	hi = o->bm_hi;
	pthread_mutex_unlock(&o->bmlock);
	if (off >= lo && off < hi)
		return MIN(hi - off, len);
	d = sys_lseek(o->fd, off, SEEK_DATA);
	if (d == -ENXIO)
		return -len;        /* nothing but hole up to EOF */
	if (d < 0)
		return len;         /* no SEEK_DATA here: read it all */
	if (d > off)
		return -MIN(d - off, len);
	h = sys_lseek(o->fd, off, SEEK_HOLE);
	if (h <= off)
		return len;
	pthread_mutex_lock(&o->bmlock);
	o->bm_lo = off;
	o->bm_hi = h;
	pthread_mutex_unlock(&o->bmlock);
	return MIN(h - off, len);
}

/* store_rddev: the descriptor to read runs with: O_DIRECT if we can. */
int store_rddev(struct uobj *o)
{
	int dfd = __atomic_load_n(&o->dfd, __ATOMIC_ACQUIRE);

	return dfd >= 0 ? dfd : o->fd;
}

/* store_rdcount: a read brought bytes in, whole pages but at EOF */
static void store_rdcount(struct upager *pg, size_t bytes)
{
	ST_ADD(pg, read_ios, 1);
	ST_ADD(pg, bytes_read, bytes);
	ST_ADD(pg, pages_in, atop(round_page((off_t)bytes)));
}

/*
 * store_rundone: a read of run r into the frames returned res (bytes, or
 * a negative errno) through descriptor fd: finish it.  O_DIRECT refused
 * (-EINVAL): stop using it and read again, buffered; a short read: read
 * the rest; at EOF, zeros, as the kernel gives past the end of a file.
 * => no locks held; the pages BUSY.  Returns 0 or a read error.
 */
int store_rundone(struct uobj *o, const struct store_run *r, int fd,
    ssize_t res)
{
	struct upager *pg = o->pg;
	size_t done;

	if (res == -EINVAL && fd != o->fd) {
		store_nodirect(o, fd);
		res = sys_pread_full(o->fd, o->win + r->off, r->len, r->off);
	}
	if (res < 0)
		return (int)res;
	done = (size_t)res;
	/* short before EOF (an io_uring read may be): read the rest; at
	 * EOF a full read said so already */
	if (done > 0 && done < r->data) {
		/* O_DIRECT goes on from a block boundary only */
		if (done & PAGE_MASK)
			fd = o->fd;
		res = sys_pread_full(fd, o->win + r->off + done,
		    r->len - done, r->off + (off_t)done);
		if (res < 0)
			return (int)res;
		done += (size_t)res;
	}
	store_rdcount(pg, done);
	if (done < r->len)
		memset(o->win + r->off + done, 0, r->len - done);
	return 0;
}

/*
 * store_zero: zero the frames of [off, off + len), new frames of a read.
 * fallocate gives zeroed frames in one call, where writing zeros through
 * the pager map would fault each one in, zeroed by the kernel, first;
 * but it leaves a frame that is already there as it is: after a failed
 * punch (o->stale), or when it fails, write the zeros.
 */
static void store_zero(struct uobj *o, off_t off, size_t len)
{
	ST_ADD(o->pg, zero_fills, atop(len));
	if (!__atomic_load_n(&o->stale, __ATOMIC_RELAXED) &&
	    sys_frames(o->memfd, off, (off_t)len) == 0)
		return;
	memset(o->win + off, 0, len);
}

/*
 * store_cachedone: the read of what the kernel's cache holds of run r
 * returned res: count it, and zero what lies past EOF when it was all.
 * => as store_plan.  Returns the bytes done, whole pages, or r->len when
 *    that was all of it; or a read error (not "it is not there").
 */
ssize_t store_cachedone(struct uobj *o, const struct store_run *r,
    ssize_t res)
{
	size_t done;

	if (res == -EAGAIN || res == -EOPNOTSUPP || res == 0)
		return 0;
	if (res < 0)
		return res;
	done = (size_t)res >= r->data ? r->len :
	    (size_t)trunc_page((off_t)res);
	if (done == 0)
		return 0;
	store_rdcount(o->pg, MIN(done, r->data));
	if (done == r->len && r->data < r->len)
		memset(o->win + r->off + r->data, 0, r->len - r->data);
	return (ssize_t)done;
}

/*
 * store_cached: read what the kernel's cache holds of run r into its
 * frames, without waiting for the disk: a file the kernel has just read
 * or written comes in at memory speed, and only the rest goes to the
 * disk, O_DIRECT (which leaves the kernel's cache as it is).
 * => as store_cachedone, which it returns.
 */
static ssize_t store_cached(struct uobj *o, const struct store_run *r)
{
	if (!store_incache(o, r))
		return 0;
	return store_cachedone(o, r, sys_pread_cached(o->fd,
	    o->win + r->off, r->data, r->off));
}

/*
 * store_incache: is run r all in the kernel's cache?  Only then is it
 * read from there: a read of the cache that misses (RWF_NOWAIT) starts
 * the kernel's read-ahead into its own cache, memory outside the budget,
 * where the pager's O_DIRECT reads leave that cache alone.
 * => no locks needed.
 */
bool store_incache(struct uobj *o, const struct store_run *r)
{
	return sys_incache(o->fd, r->off, r->data);
}

/* store_runskip: the first done bytes (whole pages) of run r are in */
void store_runskip(struct store_run *r, size_t done)
{
	r->off += (off_t)done;
	r->len -= done;
	r->data -= done;
}

/*
 * store_plan: how to fill the frames of [off, off + len) (whole pages)
 * from the file.  Holes, and everything at or past `limit` (the size the
 * pager knows), are zeroed here without I/O, and holes[i] set for each
 * page that gets no data at all; the runs to read go to runs[], at most
 * atop(len) / 2 + 1 of them.  cached: first take what the kernel's cache
 * holds (store_cached), where the file is read O_DIRECT.  Returns how
 * many, or the error of that read.
 * => no locks held; the pages are BUSY, owned by the caller.
 */
int store_plan(struct uobj *o, off_t off, size_t len, off_t limit,
    char *holes, struct store_run *runs, bool cached)
{
	off_t end = off + (off_t)len, cur = off;
	ssize_t done;
	int n = 0;

	while (cur < end) {
		off_t run, stop;

		if (cur >= limit) {
			store_zero(o, cur, (size_t)(end - cur));
			memset(&holes[atop(cur - off)], 1,
			    (size_t)atop(end - cur));
			break;
		}
		run = store_bmap(o, cur, end - cur);
		if (run < 0) {
			/* a hole: whole pages only, data may start mid-page */
			stop = trunc_page(cur - run);
			if (stop > cur) {
				store_zero(o, cur, (size_t)(stop - cur));
				memset(&holes[atop(cur - off)], 1,
				    (size_t)atop(stop - cur));
				cur = stop;
				continue;
			}
			run = -run;
		}
		stop = MIN(round_page(cur + run), end);
		runs[n].off = cur;
		runs[n].len = (size_t)(stop - cur);
		runs[n].data = (size_t)(MIN(stop, limit) - cur);
		done = cached && __atomic_load_n(&o->dfd, __ATOMIC_ACQUIRE) >= 0 ?
		    store_cached(o, &runs[n]) : 0;
		if (done < 0)
			return (int)done;
		if ((size_t)done < runs[n].len)
			store_runskip(&runs[n++], (size_t)done);
		cur = stop;
	}
	return n;
}

/*
 * store_rdfinish: the read of [off, off + len) is done: bytes of the last
 * page past EOF are zeros, whatever the disk has.  => as store_plan.
 */
void store_rdfinish(struct uobj *o, off_t off, size_t len, off_t limit)
{
	if (limit > off && limit < off + (off_t)len &&
	    (limit & (off_t)PAGE_MASK))
		memset(o->win + limit, 0, PAGE_SIZE -
		    (size_t)(limit & PAGE_MASK));
}

/*
 * store_read: fill the frames of [off, off + len) (whole pages) from the
 * file, synchronously: store_plan, a read per run, store_rdfinish.
 * => no locks held; the pages are BUSY, owned by the caller.
 * => returns 0 or the first read error.
 */
int store_read(struct uobj *o, off_t off, size_t len, off_t limit,
    char *holes)
{
	struct store_run runs[(UBC_MAXPAGES + GP_MAXRA) / 2 + 1];
	int n, i, fd, err = 0;

	KASSERT(atop(len) <= UBC_MAXPAGES + GP_MAXRA);
	if ((n = store_plan(o, off, len, limit, holes, runs, true)) < 0)
		return n;
	for (i = 0; i < n && err == 0; i++) {
		fd = store_rddev(o);
		err = store_rundone(o, &runs[i], fd, sys_pread_full(fd,
		    o->win + runs[i].off, runs[i].len, runs[i].off));
	}
	if (err == 0)
		store_rdfinish(o, off, len, limit);
	return err;
}

/*
 * store_wplan: how to write [off, off + len) of the frames to the file:
 * the whole pages through the O_DIRECT descriptor when there is one (and
 * not bufio), the rest, a partial last page, through the buffered one.
 * Fills runs[] and fds[] (two at most); returns how many, or -EBADF when
 * the object cannot write.
 * => no locks needed; off is page aligned, len cut at EOF by the caller.
 * => bufio: through the kernel's cache even where O_DIRECT works (a sync
 *    writing many clusters, then one fdatasync; see store_drop).
 */
int store_wplan(struct uobj *o, off_t off, size_t len, bool bufio,
    struct store_run *runs, int *fds)
{
	int dfd = __atomic_load_n(&o->dfd, __ATOMIC_ACQUIRE);
	int wfd = __atomic_load_n(&o->wfd, __ATOMIC_ACQUIRE);
	size_t whole = len & ~PAGE_MASK;
	int n = 0;

	if (wfd < 0)
		return -EBADF;
	if (dfd >= 0 && o->dfd_write && whole > 0 && !bufio) {
		runs[n] = (struct store_run){ off, whole, whole };
		fds[n++] = dfd;
		off += (off_t)whole;
		len -= whole;
	}
	if (len > 0) {
		runs[n] = (struct store_run){ off, len, len };
		fds[n++] = wfd;
	}
	return n;
}

/*
 * store_wrundone: the write of run r from the frames through fd returned
 * res (bytes, or a negative errno): finish it.  O_DIRECT refused
 * (-EINVAL): stop using it and write the run again, buffered; a short
 * write: write the rest.  => no locks held; the pages BUSY.  Returns 0
 * or the write error.
 */
int store_wrundone(struct uobj *o, const struct store_run *r, int fd,
    ssize_t res)
{
	struct upager *pg = o->pg;
	int wfd = __atomic_load_n(&o->wfd, __ATOMIC_ACQUIRE);

	if (res == -EINVAL && fd != wfd) {
		store_nodirect(o, fd);
		res = sys_pwrite_full(wfd, o->win + r->off, r->len, r->off);
	} else if (res >= 0 && (size_t)res < r->len) {
		/* O_DIRECT goes on from a block boundary only */
		ssize_t more = sys_pwrite_full((res & PAGE_MASK) ? wfd : fd,
		    o->win + r->off + res, r->len - (size_t)res,
		    r->off + (off_t)res);

		res = more < 0 ? more : res + more;
		ST_ADD(pg, write_ios, 1);
	}
	if (res < 0)
		return (int)res;
	ST_ADD(pg, write_ios, 1);
	ST_ADD(pg, bytes_written, r->len);
	ST_ADD(pg, pages_out, atop(round_page((off_t)r->len)));
	return 0;
}

/*
 * store_write: write [off, off + len) of the frames to the file,
 * synchronously: store_wplan, a write per run, store_wrundone.
 * => as store_wplan; the pages are BUSY, owned by the caller.
 */
int store_write(struct uobj *o, off_t off, size_t len, bool bufio)
{
	struct store_run runs[2];
	int fds[2], n, i, err;

	if ((n = err = store_wplan(o, off, len, bufio, runs, fds)) < 0)
		return err;
	for (i = 0, err = 0; i < n && err == 0; i++)
		err = store_wrundone(o, &runs[i], fds[i], sys_pwrite_full(
		    fds[i], o->win + runs[i].off, runs[i].len, runs[i].off));
	return err;
}

/*
 * store_alloc: give [off, off + len) blocks on disk without changing the
 * size (GOP_ALLOC), so that writing the pages later cannot run out of
 * space.  File systems without fallocate are left to fail at write-back.
 */
int store_alloc(struct uobj *o, off_t off, off_t len)
{
	int wfd = __atomic_load_n(&o->wfd, __ATOMIC_ACQUIRE);
	bool known;
	int err;

	if (wfd < 0)
		return -EBADF;
	/* blocks bmap already saw need nothing: overwrites of data are the
	 * common case, and cost no system call this way */
	pthread_mutex_lock(&o->bmlock);
	known = off >= o->bm_lo && off + len <= o->bm_hi;
	pthread_mutex_unlock(&o->bmlock);
	if (known)
		return 0;
	err = sys_fallocate(wfd, FALLOC_FL_KEEP_SIZE, off, len);
	if (err == -EOPNOTSUPP || err == -ENOSYS)
		err = 0;
	return err;
}

/* store_setsize: set the file's size on disk; forget the bmap cache. */
int store_setsize(struct uobj *o, off_t size)
{
	int wfd = __atomic_load_n(&o->wfd, __ATOMIC_ACQUIRE);
	int err = wfd < 0 ? -EBADF : sys_ftruncate(wfd, size);

	pthread_mutex_lock(&o->bmlock);
	o->bm_lo = o->bm_hi = 0;
	pthread_mutex_unlock(&o->bmlock);
	return err;
}

/*
 * store_drop: ask the kernel to drop its cached copy of [off, off + len)
 * (len 0: to EOF), written there by a sync: the pages are in our cache.
 * Dirty ones are only queued for writing.
 */
void store_drop(struct uobj *o, off_t off, off_t len)
{
	if (__atomic_load_n(&o->dfd, __ATOMIC_ACQUIRE) >= 0)
		(void)sys_fadvise(o->fd, off, len, POSIX_FADV_DONTNEED);
}

/* store_sync: the file's data on stable storage. */
int store_sync(struct uobj *o)
{
	int wfd = __atomic_load_n(&o->wfd, __ATOMIC_ACQUIRE);

	return sys_fdatasync(wfd >= 0 ? wfd : o->fd);
}
