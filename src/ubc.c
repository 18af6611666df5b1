/* ubc.c: read and write through the page cache (the unified buffer cache) */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "sys.h"
#include "upager_int.h"

/*
 * pread and pwrite copy between the caller's buffer and the object's
 * frames through the pager map, a step of at most UBC_MAXPAGES pages at a
 * time.  Writers (and truncate) hold the object's iolock exclusive and
 * readers shared, so a write is atomic to readers, as POSIX wants of
 * regular files.  A reader copies from pages it wires, busy or not (a
 * busy page that is not FAKE is being written back, whose data is
 * stable); a writer copies into pages it holds BUSY.
 */

/*
 * ubc_ra_window: the read-ahead for a read at off of len bytes, and the
 * per-handle sequential detection behind it: a read where the last one
 * ended doubles the window (up to readahead), any other read resets it.
 * => returns the window in pages, to be used if the read misses.
 */
static int ubc_ra_window(struct upager_file *f, off_t off, size_t len)
{
	off_t next = __atomic_load_n(&f->ra_next, __ATOMIC_RELAXED);
	uint32_t win = __atomic_load_n(&f->ra_win, __ATOMIC_RELAXED);

	__atomic_store_n(&f->ra_next, off + (off_t)len, __ATOMIC_RELAXED);
	if (off != next && off != 0) {
		__atomic_store_n(&f->ra_win, 0, __ATOMIC_RELAXED);
		return 0;
	}
	return (int)MIN(MAX(win, 4u), f->pg->ra_max);
}

/* ubc_ra_grow: a sequential read missed: the next window is larger. */
static void ubc_ra_grow(struct upager_file *f, int used)
{
	uint32_t win = (uint32_t)MAX(used, 4) * 2;

	__atomic_store_n(&f->ra_win, MIN(win, f->pg->ra_max), __ATOMIC_RELAXED);
}

/*
 * ubc_wire: wire the resident pages of [pgno, pgno + n) for reading.
 * => object locked.  Returns true with all n wired, or false with none
 *    (a page is missing or not filled yet).  A page that starts a
 *    read-ahead window starts the next, of `ra` pages.
 */
static bool ubc_wire(struct uobj *o, uint64_t pgno, int n, struct vpage **pps,
    int ra)
{
	struct upager *pg = o->pg;
	int i;

	for (i = 0; i < n; i++) {
		struct vpage *p = pg_lookup(o, pgno + (uint64_t)i);

		if (p == NULL || (p->flags & PG_FAKE)) {
			while (i-- > 0)
				pps[i]->wire--;
			return false;
		}
		p->wire++;
		pps[i] = p;
	}
	for (i = 0; i < n; i++) {
		if (pps[i]->flags & PG_RAHEAD) {
			pps[i]->flags &= ~PG_RAHEAD;
			ST_ADD(pg, ra_used, 1);
			gp_ranote(o, 1, 0);
		}
		if (pps[i]->flags & PG_RAMARK)
			gp_ramark(o, pps[i], ra);
		pg_reference(pps[i]);
	}
	ST_ADD(pg, hits, n);
	return true;
}

/*
 * ubc_read: copy [off, off + len) of the file into buf.
 * => no locks held.  Returns the bytes copied (short at EOF), or an error
 *    if nothing was.
 */
ssize_t ubc_read(struct upager_file *f, void *buf, size_t len, off_t off)
{
	struct vpage *pps[UBC_MAXPAGES];
	struct uobj *o = f->obj;
	bool reserved = false;
	size_t done = 0;
	int err = 0, ra, i;

	ubc_prefault(buf, len);
	pthread_rwlock_rdlock(&o->iolock);
	pthread_mutex_lock(&o->lock);
	if (off >= o->size)
		goto out;
	len = (size_t)MIN((off_t)len, o->size - off);
	ra = ubc_ra_window(f, off, len);
	while (done < len) {
		off_t cur = off + (off_t)done;
		uint64_t pgno = atop(cur);
		int n = (int)MIN(atop(round_page(off + (off_t)len)) - pgno,
		    (uint64_t)o->pg->ubc_pages);
		size_t chunk;
		bool wired;
		char *base;

		if (!(wired = ubc_wire(o, pgno, n, pps, ra))) {
			if (ra > 0 && !reserved &&
			    !pd_have_free(o->pg, (uint64_t)(n + ra))) {
				/* make room first, once: read-ahead itself
				 * never waits for frames, it would shrink */
				pthread_mutex_unlock(&o->lock);
				(void)pd_wait_free(o->pg, (uint64_t)(n + ra));
				pthread_mutex_lock(&o->lock);
				reserved = true;
				continue;
			}
			err = gp_getpages(o, pgno, &n, pps, VM_PROT_READ, 0, ra);
			if (err != 0)
				break;
			if (ra > 0)
				ubc_ra_grow(f, ra);
			for (i = 0; i < n; i++)
				pg_reference(pps[i]);
		}
		chunk = (size_t)MIN(ptoa(pgno + (uint64_t)n) - cur,
		    (off_t)(len - done));
		base = o->win;
		pthread_mutex_unlock(&o->lock);
		memcpy((char *)buf + done, base + cur, chunk);
		pthread_mutex_lock(&o->lock);
		obj_unmapwin(o, ptoa(pgno), ptoa(n));
		for (i = 0; i < n; i++) {
			if (wired)
				pg_unwire(o, pps[i]);
			else
				pg_unbusy(o, pps[i]);
		}
		done += chunk;
		reserved = false;
	}
out:
	pthread_mutex_unlock(&o->lock);
	pthread_rwlock_unlock(&o->iolock);
	return done > 0 ? (ssize_t)done : err;
}

/*
 * ubc_write: copy buf into [off, off + len) of the file, extending it.
 * => no locks held.  Returns len, or the bytes copied before an error, or
 *    the error if none were.
 * => pages wholly overwritten (or lying past EOF) are not read first
 *    (PGO_OVERWRITE); holes get their blocks before the copy.
 */
ssize_t ubc_write(struct upager_file *f, const void *buf, size_t len,
    off_t off)
{
	struct vpage *pps[UBC_MAXPAGES];
	struct uobj *o = f->obj;
	size_t done = 0;
	int err = 0, i;
	/* pwrite on the memfd (obj_fill) copies with the memfd's inode
	 * locked: a fault on buf there that a fault thread must serve could
	 * wait for that lock (a punch, a fill), so a buffer in a view is
	 * copied through the pager map */
	bool fill = !vm_any_view((void *)(uintptr_t)buf, len);

	ubc_prefault(buf, len);
	pthread_rwlock_wrlock(&o->iolock);
	pthread_mutex_lock(&o->lock);
	while (done < len) {
		off_t cur = off + (off_t)done, end = off + (off_t)len;
		uint64_t pgno = atop(cur);
		int n = (int)MIN(atop(round_page(end)) - pgno,
		    (uint64_t)o->pg->ubc_pages);
		off_t cend = MIN(end, ptoa(pgno + (uint64_t)n));
		bool headok = (cur & (off_t)PAGE_MASK) == 0 ||
		    ptoa(pgno) >= o->size;
		bool tailok = (cend & (off_t)PAGE_MASK) == 0 || cend >= o->size;
		char *base;

		err = gp_getpages(o, pgno, &n, pps, VM_PROT_WRITE,
		    PGO_PASTEOF | (headok && tailok ? PGO_OVERWRITE : 0), 0);
		if (err != 0)
			break;
		base = o->win;
		if (cend > o->size)
			obj_zerotail(o, o->size);
		/* a page not read in holds zeros where the copy does not go */
		if ((pps[0]->flags & PG_FAKE) && cur > ptoa(pgno))
			memset(base + ptoa(pgno), 0, (size_t)(cur - ptoa(pgno)));
		if ((pps[n - 1]->flags & PG_FAKE) && cend < round_page(cend))
			memset(base + cend, 0, (size_t)(round_page(cend) - cend));
		pthread_mutex_unlock(&o->lock);
		if (fill) {
			obj_fill(o, base, cur, (const char *)buf + done,
			    (size_t)(cend - cur));
		} else {
			/* the copy would fault the frames into the pager map
			 * one by one (write faults do not map around): map
			 * them at once */
			(void)sys_madvise(base + ptoa(pgno), (size_t)ptoa(n),
			    MADV_POPULATE_WRITE);
			memcpy(base + cur, (const char *)buf + done,
			    (size_t)(cend - cur));
		}
		pthread_mutex_lock(&o->lock);
		obj_unmapwin(o, ptoa(pgno), ptoa(n));
		if (cend > o->size) {
			/* pages new to the file: no view wrote them */
			vm_protect_new(o, atop(round_page(o->size)),
			    atop(round_page(cend)));
			o->size = cend;
		}
		obj_dirtied(o);
		for (i = 0; i < n; i++) {
			pps[i]->flags &= ~(PG_FAKE | PG_CLEAN | PG_RAHEAD);
			pg_reference(pps[i]);
			pg_unbusy(o, pps[i]);
		}
		done += (size_t)(cend - cur);
	}
	/* frames made for a write that failed: past EOF, views must fault */
	if (o->memsize > round_page(o->size) &&
	    sys_memfd_resize(o->memfd, round_page(o->size)) == 0)
		o->memsize = round_page(o->size);
	pthread_mutex_unlock(&o->lock);
	pthread_rwlock_unlock(&o->iolock);
	return done > 0 ? (ssize_t)done : err;
}

/* ubc_args: the checks pread and pwrite share. */
static int ubc_args(struct upager_file *f, const void *buf, size_t len,
    off_t off)
{
	if (f == NULL || f->magic != UFILE_MAGIC || (buf == NULL && len > 0) ||
	    off < 0 || len > (size_t)INT64_MAX ||
	    off > INT64_MAX - (off_t)len)
		return -EINVAL;
	return 0;
}

UPAGER_EXPORT ssize_t upager_pread(upager_file_t *f, void *buf, size_t len,
    off_t off)
{
	int err;

	if ((err = ubc_args(f, buf, len, off)) != 0)
		return err;
	if (f->acc == O_WRONLY)
		return -EBADF;
	if (len == 0)
		return 0;
	return ubc_read(f, buf, len, off);
}

UPAGER_EXPORT ssize_t upager_pwrite(upager_file_t *f, const void *buf,
    size_t len, off_t off)
{
	int err;

	if ((err = ubc_args(f, buf, len, off)) != 0)
		return err;
	if (f->acc == O_RDONLY)
		return -EBADF;
	if (off + (off_t)len > UPAGER_MAX_FILE_SIZE)
		return -EFBIG;
	if (len == 0)
		return 0;
	return ubc_write(f, buf, len, off);
}
