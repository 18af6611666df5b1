/* object.c: file objects: attach, detach, persist, terminate, setsize, sync */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "debug.h"
#include "sys.h"
#include "policy.h"
#include "upager_int.h"

/*
 * The life of an object (uvm_vnode):
 *
 *   (none) --upager_open--> referenced: refs > 0, in the object table
 *                           [obj_attach -> obj_create]
 *   referenced --upager_open of the same (dev, ino)--> refs + 1  [obj_attach]
 *   referenced --last close, clean--> persisting: refs 0, UVN_PERSIST,
 *                           pages kept, reused by the next open   [obj_rele]
 *   referenced --last close, write-back failed--> orphan: refs 0, dirty,
 *                           on the writeable list; sync_all and the daemon
 *                           keep trying, then it persists          [obj_rele]
 *   persisting --open finds the file changed behind our back, the file
 *                           unlinked, or too many persisting--> gone
 *                           [obj_terminate]
 *   any --upager_destroy--> written back, then gone   [obj_closeall]
 *
 * An object is writeable (UVN_WRITEABLE, on pg->wlist) from the first
 * open for writing until it persists: sync_all visits exactly those.
 */

#define OBJ_MINWIN ((size_t)64 << 20)

static unsigned obj_hash(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)dev * 0x9e3779b97f4a7c15ull ^ (uint64_t)ino;

	return (unsigned)((h ^ (h >> 29)) % OBJ_NHASH);
}

/*
 * obj_mapframes: map [off, off + len) of the object's frames: the pager
 * map, or a view, at `at` if not NULL (a hint, or MAP_FIXED* in flags).
 * Frames are 4 KiB pages (a huge page would defeat punching one), and a
 * child of fork() does not inherit the mapping: it would see the memfd
 * without the pager behind it, holes as zeros; better that it faults.  A
 * core dump leaves them out: it would read the holes.
 * => *err gets 0 or a negative errno.
 */
char *obj_mapframes(struct uobj *o, void *at, off_t off, size_t len,
    int prot, int flags, int *err)
{
	char *a = sys_mmap(at, len, prot, flags, o->memfd, off, err);

	if (*err != 0)
		return MAP_FAILED;
	(void)sys_madvise(a, len, MADV_NOHUGEPAGE);
	(void)sys_madvise(a, len, MADV_DONTFORK);
	(void)sys_madvise(a, len, MADV_DONTDUMP);
	return a;
}

/*
 * obj_fdclose: close a descriptor of the file (dev, ino), or hand it to
 * the pager's fdkeep: closing any descriptor of a file drops every POSIX
 * lock the process holds on it, and under the interposer those locks are
 * the program's.
 */
void obj_fdclose(struct upager *pg, dev_t dev, ino_t ino, int fd)
{
	if (fd < 0)
		return;
	if (pg->fdkeep != NULL)
		pg->fdkeep(dev, ino, fd);
	else
		(void)sys_close(fd);
}

/* obj_zapwin: drop the page table entries obj_unmapwin put off.
 * => object locked */
static void obj_zapwin(struct uobj *o)
{
	LOCK_ASSERT_HELD(&o->lock);
	if (o->wz_hi > o->wz_lo)
		(void)sys_madvise(o->win + o->wz_lo,
		    (size_t)(o->wz_hi - o->wz_lo), MADV_DONTNEED);
	o->wz_lo = o->wz_hi = 0;
}

/*
 * obj_window: make the frames and the pager map cover [0, end).
 * => object locked (or not yet shared).  The memfd is sized to what the
 *    file needs, so that RLIMIT_FSIZE bites no sooner than on the file
 *    itself; the map grows by doubling, and a larger map replaces the old
 *    one, which stays mapped until the object dies, so a pointer taken from
 *    the old one stays good.
 */
int obj_window(struct uobj *o, off_t end)
{
	size_t len = MAX(o->winlen * 2, OBJ_MINWIN);
	struct uwin *old = NULL;
	char *base;
	int err = 0;

	end = round_page(end);
	if (end > o->memsize) {
		if ((err = sys_memfd_resize(o->memfd, end)) != 0)
			return err == -EFBIG || err == -EINVAL ? -EFBIG : err;
		o->memsize = end;
	}
	if ((size_t)end <= o->winlen)
		return 0;
	while (len < (size_t)end)
		len *= 2;
	if ((old = malloc(sizeof(*old))) == NULL)
		return -ENOMEM;
	base = obj_mapframes(o, NULL, 0, len, PROT_READ | PROT_WRITE,
	    MAP_SHARED, &err);
	if (err != 0)
		goto fail;
	if (o->win != NULL) {
		if (o->wz_hi > o->wz_lo)
			obj_zapwin(o);
		old->base = o->win;
		old->len = o->winlen;
		old->next = o->oldwin;
		o->oldwin = old;
		old = NULL;
	}
	__atomic_store_n(&o->win, base, __ATOMIC_RELEASE);
	o->winlen = len;
fail:
	free(old);
	return err;
}

/*
 * obj_zerotail: zero the last page of a file of `size` bytes past its end.
 * => object locked.  Bytes past EOF are zeros in the cache, but a view may
 *    write there (the kernel's mmap allows it too); before the file grows
 *    over them they must be zeros again.
 */
void obj_zerotail(struct uobj *o, off_t size)
{
	size_t tail = PAGE_SIZE - (size_t)(size & (off_t)PAGE_MASK);

	if ((size & (off_t)PAGE_MASK) == 0)
		return;
	if (pg_lookup(o, atop(size)) != NULL) {
		memset(o->win + size, 0, tail);
		obj_unmapwin(o, trunc_page(size), PAGE_SIZE);
		return;
	}
	/* not resident, but its frame may be, if punching it failed, and a
	 * view may still map it: a punch of part of a page zeroes that part
	 * and allocates nothing; if even that fails, zero it by hand */
	if (sys_punch(o->memfd, size, (off_t)tail) != 0 && size < o->memsize) {
		memset(o->win + size, 0, tail);
		obj_unmapwin(o, trunc_page(size), PAGE_SIZE);
	}
}

/*
 * obj_fill: copy len bytes from src into the frames at off.  pwrite on
 * the memfd (sys_fill) allocates a missing frame without zeroing it first
 * and maps it nowhere, where a copy through the pager map would fault in
 * a zeroed frame and a page table entry for every page; what the kernel
 * will not copy (an error, or an injected fault) goes through win, the
 * pager map the caller read under the object lock.
 * => no locks needed: the pages are BUSY, owned by the caller, and inside
 *    the memfd (obj_window), so the copy never grows it.
 */
void obj_fill(struct uobj *o, char *win, off_t off, const void *src,
    size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len && (n = sys_fill(o->memfd, (const char *)src + done,
	    len - done, off + (off_t)done)) > 0)
		done += (size_t)n;
	if (done < len)
		memcpy(win + off + (off_t)done, (const char *)src + done,
		    len - done);
}

#define OBJ_FAULTAROUND (64 << 10)  /* the kernel's fault_around_bytes */

/*
 * obj_unmapwin: drop the pager map's page table entries for [off, off +
 * len) while views map the object: a frame mapped there and in a view
 * counts twice in the process's RSS (RssShmem), which should show the
 * budget the pager keeps.  The frames stay in the memfd; an access through
 * the pager map faults them back in.
 * => object locked.
 * => a read fault maps the resident pages around it too (the kernel's
 *    fault-around, 64 KiB by default): the range is widened to that.
 * => each drop interrupts every other CPU running the process (a TLB
 *    shootdown), so adjacent ranges, as a sequential scan reads them, are
 *    put off and dropped together once they make a cluster: RssShmem
 *    exceeds the frames by one cluster at most.
 */
void obj_unmapwin(struct uobj *o, off_t off, off_t len)
{
	const off_t around = (off_t)OBJ_FAULTAROUND - 1;
	off_t end;

	LOCK_ASSERT_HELD(&o->lock);
	if (TAILQ_EMPTY(&o->views) || len <= 0 || o->win == NULL)
		return;
	end = MIN((off + len + around) & ~around, (off_t)o->winlen);
	off &= ~around;
	if (o->wz_hi > o->wz_lo && (off > o->wz_hi || end < o->wz_lo))
		obj_zapwin(o);
	if (o->wz_hi > o->wz_lo) {
		o->wz_lo = MIN(o->wz_lo, off);
		o->wz_hi = MAX(o->wz_hi, end);
	} else {
		o->wz_lo = off;
		o->wz_hi = end;
	}
	if (o->wz_hi - o->wz_lo >= (off_t)ptoa(o->pg->cluster_pages))
		obj_zapwin(o);
}

/*
 * obj_unmapwins: drop every page table entry of every pager map the
 * object ever had (a view is being added: from now on the frames must
 * count once).  => object locked.
 */
void obj_unmapwins(struct uobj *o)
{
	struct uwin *w;

	LOCK_ASSERT_HELD(&o->lock);
	if (o->win == NULL)
		return;
	o->wz_lo = o->wz_hi = 0;
	(void)sys_madvise(o->win, o->winlen, MADV_DONTNEED);
	for (w = o->oldwin; w != NULL; w = w->next)
		(void)sys_madvise(w->base, w->len, MADV_DONTNEED);
}

/* obj_seterror: keep a write-back error to report once.  => object locked */
void obj_seterror(struct uobj *o, int err)
{
	if (err != 0 && o->error == 0)
		o->error = err;
}

/*
 * obj_create: a new object for an open file.
 * => olock held; fd becomes the object's.
 */
static int obj_create(struct upager *pg, int fd, bool canwrite,
    const struct stat *st, struct uobj **out)
{
	pthread_rwlockattr_t ra;
	struct uobj *o;
	int err;

	if ((o = calloc(1, sizeof(*o))) == NULL)
		return -ENOMEM;
	o->pg = pg;
	o->dev = st->st_dev;
	o->ino = st->st_ino;
	o->size = o->seen_size = st->st_size;
	o->mtime = st->st_mtim;
	o->blksize = (size_t)st->st_blksize;
	o->fd = o->wfd = o->dfd = o->dfd_retired = -1;
	o->cache_credit = AIO_CACHEMISS;
	rdx_init(&o->idx);
	TAILQ_INIT(&o->views);
	if ((o->memfd = sys_memfd("upager")) < 0) {
		err = o->memfd;
		free(o);
		return err;
	}
	if ((err = obj_window(o, o->size)) != 0) {
		(void)sys_close(o->memfd);
		free(o);
		return err;
	}
	pthread_mutex_init(&o->lock, NULL);
	pthread_mutex_init(&o->bmlock, NULL);
	pthread_rwlockattr_init(&ra);
	/* a stream of readers must not starve a writer */
	pthread_rwlockattr_setkind_np(&ra,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&o->iolock, &ra);
	pthread_rwlockattr_destroy(&ra);
	store_open(o, fd, canwrite, (pg->cfg.flags & UPAGER_NODIRECT) != 0);
	TAILQ_INSERT_HEAD(&pg->objhash[obj_hash(o->dev, o->ino)], o, hashq);
	ST_ADD(pg, objects, 1);
	*out = o;
	return 0;
}

/*
 * obj_terminate: free an object and all its pages (uvn_terminate), dirty
 * ones included: the caller has written back what must be kept.
 * => olock held, refs == 0.  Busy pages are waited for.
 */
static void obj_terminate(struct upager *pg, struct uobj *o)
{
	struct uwin *w;

	KASSERT(o->refs == 0);
	o->flags |= UVN_DYING;
	TAILQ_REMOVE(&pg->objhash[obj_hash(o->dev, o->ino)], o, hashq);
	if (o->flags & UVN_WRITEABLE)
		TAILQ_REMOVE(&pg->wlist, o, wlistq);
	if (o->flags & UVN_PERSIST) {
		TAILQ_REMOVE(&pg->persist, o, persistq);
		__atomic_sub_fetch(&pg->npersist, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_lock(&o->lock);
	(void)pp_flush(o, 0, UINT64_MAX, PGO_ALLPAGES | PGO_FREE | PGO_SYNCIO);
	KASSERT(o->npages == 0);
	pthread_mutex_unlock(&o->lock);
	/* the daemon may wait for the lock of a page it found here before
	 * the pages went; without pages it cannot find the object again */
	pthread_mutex_lock(&pg->pqlock);
	while (o->pdhold > 0) {
		pthread_mutex_unlock(&pg->pqlock);
		sched_yield();
		pthread_mutex_lock(&pg->pqlock);
	}
	pthread_mutex_unlock(&pg->pqlock);
	store_close(o);
	while ((w = o->oldwin) != NULL) {
		o->oldwin = w->next;
		(void)sys_munmap(w->base, w->len);
		free(w);
	}
	(void)sys_munmap(o->win, o->winlen);
	(void)sys_close(o->memfd);
	rdx_fini(&o->idx);
	pthread_mutex_destroy(&o->lock);
	pthread_mutex_destroy(&o->bmlock);
	pthread_rwlock_destroy(&o->iolock);
	__atomic_sub_fetch(&pg->st.objects, 1, __ATOMIC_RELAXED);
	free(o);
}

/* obj_isclean: no dirty page, no pending size or error.  => object locked */
static bool obj_isclean(struct uobj *o)
{
	uint64_t key = 0;
	struct vpage *p;

	if (o->error != 0)
		return false;
	while ((p = rdx_next(&o->idx, &key)) != NULL) {
		if (!(p->flags & PG_CLEAN) || (p->flags & PG_BUSY))
			return false;
		key++;
	}
	return true;
}

/*
 * obj_rele: drop a reference (uvn_detach).  The last one makes a clean
 * object persist (or terminates it if the file is gone), and leaves a
 * dirty one on the writeable list.
 * => olock held.
 */
static void obj_rele(struct upager *pg, struct uobj *o)
{
	struct stat st;
	bool clean;

	KASSERT(o->refs > 0);
	if (--o->refs > 0)
		return;
	pthread_mutex_lock(&o->lock);
	clean = obj_isclean(o);
	pthread_mutex_unlock(&o->lock);
	if (sys_fstat(o->fd, &st) != 0 || st.st_nlink == 0) {
		/* unlinked: nobody can open it again; its data is moot */
		obj_terminate(pg, o);
		return;
	}
	if (!clean)
		return;
	if (o->flags & UVN_WRITEABLE) {
		TAILQ_REMOVE(&pg->wlist, o, wlistq);
		o->flags &= ~UVN_WRITEABLE;
	}
	o->seen_size = st.st_size;
	o->mtime = st.st_mtim;
	o->flags |= UVN_PERSIST;
	TAILQ_INSERT_TAIL(&pg->persist, o, persistq);
	if (__atomic_add_fetch(&pg->npersist, 1, __ATOMIC_RELAXED) > PERSIST_MAX)
		obj_terminate(pg, TAILQ_FIRST(&pg->persist));
}

/* obj_reference: one more reference (a view).  => no locks held. */
void obj_reference(struct upager *pg, struct uobj *o)
{
	pthread_mutex_lock(&pg->olock);
	o->refs++;
	pthread_mutex_unlock(&pg->olock);
}

/* obj_release: drop a reference taken by obj_reference. */
void obj_release(struct upager *pg, struct uobj *o)
{
	pthread_mutex_lock(&pg->olock);
	obj_rele(pg, o);
	pthread_mutex_unlock(&pg->olock);
}

/*
 * obj_attach: find or make the object of an open file (uvn_attach).
 * => olock held.  fd (read-write if fdrw) is consumed: kept by the object
 *    or closed.  writer: the handle writes, so the object is writeable.
 * => a persisting object whose file changed size or time behind our back
 *    is terminated and a fresh one made.
 */
static int obj_attach(struct upager *pg, int fd, bool fdrw, bool writer,
    const struct stat *st, struct uobj **out)
{
	struct uobj *o;
	int err;

	TAILQ_FOREACH(o, &pg->objhash[obj_hash(st->st_dev, st->st_ino)], hashq)
		if (o->dev == st->st_dev && o->ino == st->st_ino)
			break;
	if (o != NULL && (o->flags & UVN_PERSIST)) {
		TAILQ_REMOVE(&pg->persist, o, persistq);
		__atomic_sub_fetch(&pg->npersist, 1, __ATOMIC_RELAXED);
		o->flags &= ~UVN_PERSIST;
		if (st->st_size != o->seen_size ||
		    st->st_mtim.tv_sec != o->mtime.tv_sec ||
		    st->st_mtim.tv_nsec != o->mtime.tv_nsec) {
			obj_terminate(pg, o);
			o = NULL;
		}
	}
	if (o == NULL) {
		if ((err = obj_create(pg, fd, fdrw, st, &o)) != 0) {
			obj_fdclose(pg, st->st_dev, st->st_ino, fd);
			return err;
		}
	} else if (fdrw && o->wfd < 0) {
		store_upgrade(o, fd);
	} else {
		obj_fdclose(pg, st->st_dev, st->st_ino, fd);
	}
	o->refs++;
	if (writer && !(o->flags & UVN_WRITEABLE)) {
		o->flags |= UVN_WRITEABLE;
		TAILQ_INSERT_TAIL(&pg->wlist, o, wlistq);
	}
	*out = o;
	return 0;
}

/*
 * obj_setsize: make the file nsize bytes long, on disk and in the cache
 * (uvm_vnp_setsize), all or nothing.
 * => iolock held exclusive; object locked on entry and on return.
 * => the file is truncated on disk first, with the object lock held and
 *    no page past the new EOF busy, so no write-back of those pages runs
 *    or can start until the cache has dropped them; if the disk says no,
 *    nothing has changed.  Shrinking frees the pages past EOF, dirty or
 *    not, and zeroes the last partial page past EOF.
 */
int obj_setsize(struct uobj *o, off_t nsize)
{
	uint64_t key;
	struct vpage *p;
	int err;

	LOCK_ASSERT_HELD(&o->lock);
	if (nsize < o->size) {
		/* wait out write-back of the pages that go or get cut */
again:
		key = atop(nsize);
		while ((p = rdx_next(&o->idx, &key)) != NULL) {
			if ((p->flags & PG_BUSY) || p->wire != 0) {
				pg_wait(o, p);
				goto again;
			}
			key++;
		}
	}
	/* a syscall under the object lock: truncation is rare, and this is
	 * what keeps write-back out of the way */
	if (nsize > o->size && (err = obj_window(o, nsize)) != 0)
		return err;
	if (nsize > o->size)
		vm_protect_new(o, atop(round_page(o->size)),
		    atop(round_page(nsize)));
	if ((err = store_setsize(o, nsize)) != 0)
		return err;
	/* the bytes of the old last page past the old EOF become file
	 * data: zeros, whatever a view wrote there */
	obj_zerotail(o, MIN(o->size, nsize));
	if (nsize >= o->size) {
		o->size = nsize;
		return 0;
	}
	o->size = nsize;
	(void)pp_flush(o, atop(round_page(nsize)), UINT64_MAX, PGO_FREE);
	/* views see SIGBUS past the new end, as with the kernel's mmap */
	if (sys_memfd_resize(o->memfd, round_page(nsize)) == 0)
		o->memsize = round_page(nsize);
	return 0;
}

/*
 * obj_sync: write back [off, off + len) (len 0: to EOF) and report.
 * => no locks held.  UPAGER_SYNC_INVALIDATE frees the pages once clean,
 *    UPAGER_SYNC_WAIT fdatasyncs.  The dirty clusters are all handed to
 *    the I/O engine first, which keeps many in flight, then waited for;
 *    what is still dirty after that (a cluster the engine would not take,
 *    a page written meanwhile) is written through the kernel's cache
 *    (PGO_BUFIO), whose copy is dropped afterwards.
 * => returns the first error of this write-back, else the one kept from
 *    background write-back; either way the kept error is then cleared.
 */
int obj_sync(struct uobj *o, off_t off, off_t len, int flags)
{
	uint64_t start = atop(off);
	/* unsigned: off + len may lie within a page of INT64_MAX */
	uint64_t end = len == 0 ? UINT64_MAX :
	    atop((uint64_t)off + (uint64_t)len + PAGE_MASK);
	int pflags = PGO_CLEANIT | PGO_SYNCIO | PGO_BUFIO, err;

	if (flags & UPAGER_SYNC_INVALIDATE)
		pflags |= PGO_FREE;
	pthread_mutex_lock(&o->lock);
	vm_harvest(o, start, end);
	(void)pp_flush(o, start, end, PGO_CLEANIT | PGO_ASYNC | PGO_NOKEEP);
	err = pp_flush(o, start, end, pflags);
	if (err == 0)
		err = o->error;
	o->error = 0;
	pthread_mutex_unlock(&o->lock);
	if (err == 0 && (flags & UPAGER_SYNC_WAIT))
		err = store_sync(o);
	/* the data went through the kernel's cache: do not keep it twice */
	store_drop(o, off, len);
	return err;
}

/* obj_dirtied: a page went dirty: start the syncer's clock if not going.
 * => object locked. */
void obj_dirtied(struct uobj *o)
{
	if (__atomic_load_n(&o->dirty_since, __ATOMIC_RELAXED) == 0)
		__atomic_store_n(&o->dirty_since, now_ms(), __ATOMIC_RELAXED);
}

/*
 * obj_writeback: the syncer's pass over an object: write back its dirty
 * pages (what views wrote included) without waiting for the disk.  An
 * error stays on the object, for the next upager_sync to report.
 * => no locks held.  Returns the error of this pass.
 */
int obj_writeback(struct uobj *o)
{
	int err;

	pthread_mutex_lock(&o->lock);
	__atomic_store_n(&o->dirty_since, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&o->synced_at, now_ms(), __ATOMIC_RELAXED);
	vm_harvest(o, 0, UINT64_MAX);
	err = pp_flush(o, 0, UINT64_MAX, PGO_CLEANIT | PGO_SYNCIO | PGO_BUFIO);
	if (err != 0) {
		obj_seterror(o, err);
		obj_dirtied(o);
	}
	pthread_mutex_unlock(&o->lock);
	return err;
}

/* ufile_ok: a handle that looks alive. */
static bool ufile_ok(const struct upager_file *f)
{
	return f != NULL && f->magic == UFILE_MAGIC;
}

UPAGER_EXPORT int upager_open(upager_t *pg, const char *path, int oflags,
    mode_t mode, upager_file_t **out)
{
	const int known = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW;
	int acc = oflags & O_ACCMODE, kflags, fd, err;
	struct upager_file *f = NULL;
	struct stat st;
	bool writer, fdrw;

	if (pg == NULL || pg->magic != UPAGER_MAGIC || path == NULL ||
	    out == NULL || (oflags & ~known) != 0 || acc == O_ACCMODE ||
	    ((oflags & O_TRUNC) && acc == O_RDONLY))
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	fdrw = writer = acc != O_RDONLY;
	/* pages are read in even for a writer; O_NONBLOCK: never hang on a
	 * FIFO, it is refused below */
	kflags = (oflags & (O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC |
	    O_NONBLOCK | (writer ? O_RDWR : O_RDONLY);
	if ((fd = sys_open(path, kflags, mode)) < 0)
		return fd;
	if ((err = sys_fstat(fd, &st)) != 0)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -ENODEV;
		goto fail;
	}
	if (st.st_size > UPAGER_MAX_FILE_SIZE) {
		err = -EFBIG;
		goto fail;
	}
	if (!writer) {
		/* the object may serve writers later: open it read-write if
		 * we may, keeping the caller's read-only open otherwise */
		char proc[64];
		int rw;

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if ((rw = sys_open(proc, O_RDWR | O_CLOEXEC, 0)) >= 0) {
			obj_fdclose(pg, st.st_dev, st.st_ino, fd);
			fd = rw;
			fdrw = true;
		}
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	f->magic = UFILE_MAGIC;
	f->pg = pg;
	f->acc = acc;
	pthread_mutex_lock(&pg->olock);
	err = obj_attach(pg, fd, fdrw, writer, &st, &f->obj);
	if (err == 0)
		TAILQ_INSERT_TAIL(&pg->files, f, fileq);
	pthread_mutex_unlock(&pg->olock);
	fd = -1;
	if (err != 0)
		goto fail;
	if ((oflags & O_TRUNC) && (err = upager_truncate(f, 0)) != 0) {
		(void)upager_close(f);
		f = NULL;
		goto fail;
	}
	*out = f;
	return 0;
fail:
	obj_fdclose(pg, st.st_dev, st.st_ino, fd);
	free(f);
	return err;
}

/* ufile_close: release a handle.  => olock not held. */
static int ufile_close(struct upager_file *f)
{
	struct upager *pg = f->pg;
	struct uobj *o = f->obj;
	int err = 0;

	if (f->acc != O_RDONLY)
		err = obj_sync(o, 0, 0, 0);
	pthread_mutex_lock(&pg->olock);
	TAILQ_REMOVE(&pg->files, f, fileq);
	obj_rele(pg, o);
	pthread_mutex_unlock(&pg->olock);
	f->magic = 0;
	free(f);
	return err;
}

UPAGER_EXPORT int upager_close(upager_file_t *f)
{
	if (!ufile_ok(f))
		return -EINVAL;
	return ufile_close(f);
}

UPAGER_EXPORT int upager_truncate(upager_file_t *f, off_t size)
{
	struct uobj *o;
	int err;

	if (!ufile_ok(f) || size < 0)
		return -EINVAL;
	if (f->acc == O_RDONLY)
		return -EBADF;
	if (size > UPAGER_MAX_FILE_SIZE)
		return -EFBIG;
	o = f->obj;
	pthread_rwlock_wrlock(&o->iolock);
	pthread_mutex_lock(&o->lock);
	err = obj_setsize(o, size);
	pthread_mutex_unlock(&o->lock);
	pthread_rwlock_unlock(&o->iolock);
	return err;
}

UPAGER_EXPORT off_t upager_size(upager_file_t *f)
{
	off_t size;

	if (!ufile_ok(f))
		return -EINVAL;
	pthread_mutex_lock(&f->obj->lock);
	size = f->obj->size;
	pthread_mutex_unlock(&f->obj->lock);
	return size;
}

UPAGER_EXPORT int upager_sync(upager_file_t *f, off_t off, off_t len,
    int flags)
{
	if (!ufile_ok(f) || off < 0 || len < 0 || off > INT64_MAX - len ||
	    (flags & ~(UPAGER_SYNC_WAIT | UPAGER_SYNC_INVALIDATE)) != 0)
		return -EINVAL;
	return obj_sync(f->obj, off, len, flags);
}

/*
 * obj_sync_list: write back every writeable object (uvm_vnp_sync).
 * => no locks held.  Each object is referenced while it is written, and
 *    released after, so an orphan that comes clean then persists.
 */
static int obj_sync_list(struct upager *pg)
{
	struct uobj **v = NULL, *o;
	size_t n = 0, i, cap = 0;
	int err = 0, e;

	pthread_mutex_lock(&pg->olock);
	TAILQ_FOREACH(o, &pg->wlist, wlistq)
		cap++;
	if (cap > 0 && (v = calloc(cap, sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&pg->olock);
		return -ENOMEM;
	}
	TAILQ_FOREACH(o, &pg->wlist, wlistq) {
		o->refs++;
		v[n++] = o;
	}
	pthread_mutex_unlock(&pg->olock);
	for (i = 0; i < n; i++)
		if ((e = obj_sync(v[i], 0, 0, UPAGER_SYNC_WAIT)) != 0 &&
		    err == 0)
			err = e;
	pthread_mutex_lock(&pg->olock);
	for (i = 0; i < n; i++)
		obj_rele(pg, v[i]);
	pthread_mutex_unlock(&pg->olock);
	free(v);
	return err;
}

UPAGER_EXPORT int upager_sync_all(upager_t *pg)
{
	if (pg == NULL || pg->magic != UPAGER_MAGIC)
		return -EINVAL;
	return obj_sync_list(pg);
}

/*
 * obj_closeall: for destroy: close the handles still open, write back
 * everything, terminate every object.  => no locks held, no other thread
 * in the pager.  Returns the first error.
 */
int obj_closeall(struct upager *pg)
{
	struct upager_file *f;
	struct uobj *o;
	int err = 0, e, h;

	while ((f = TAILQ_FIRST(&pg->files)) != NULL)
		if ((e = ufile_close(f)) != 0 && err == 0)
			err = e;
	if ((e = obj_sync_list(pg)) != 0 && err == 0)
		err = e;
	pthread_mutex_lock(&pg->olock);
	for (h = 0; h < OBJ_NHASH; h++)
		while ((o = TAILQ_FIRST(&pg->objhash[h])) != NULL)
			obj_terminate(pg, o);
	pthread_mutex_unlock(&pg->olock);
	return err;
}

int dbg_check_pager(upager_t *pg)
{
	uint64_t pages = 0, n, i, act, inact;
	struct uobj *o;
	int err = 0, h;

	pthread_mutex_lock(&pg->olock);
	/* every object locked at once: pages come and go under their
	 * object's lock, and the page daemon frees them meanwhile (no other
	 * thread holds two object locks, and the daemon tries them, or
	 * waits for one holding no other lock: pd_lockobj) */
	for (h = 0; h < OBJ_NHASH; h++)
		TAILQ_FOREACH(o, &pg->objhash[h], hashq) {
			pthread_mutex_lock(&o->lock);
			if (obj_check(o) != 0)
				err = -EUCLEAN;
			pages += o->npages;
		}
	pthread_mutex_lock(&pg->pqlock);
	if (pages != pg->nresident) {
		fprintf(stderr, "upager check: %lu pages in objects, %lu "
		    "resident\n", (unsigned long)pages,
		    (unsigned long)pg->nresident);
		err = -EUCLEAN;
	}
	pg->policy->count(pg, &act, &inact);
	n = act + inact;
	if (n != pg->nresident || n != pg->nactive + pg->ninactive ||
	    pg->nresident > pg->budget_pages) {
		fprintf(stderr, "upager check: %lu queued, %lu+%lu counted, "
		    "%lu resident, budget %lu\n", (unsigned long)n,
		    (unsigned long)pg->nactive, (unsigned long)pg->ninactive,
		    (unsigned long)pg->nresident,
		    (unsigned long)pg->budget_pages);
		err = -EUCLEAN;
	}
	/* pages in a pageout that frees them: busy, and counted */
	for (n = 0, i = 0; i < pg->budget_pages; i++) {
		const struct vpage *p = &pg->pages[i];

		if (!(p->pqflags & PQ_LAUNDRY))
			continue;
		n++;
		if (!(p->flags & PG_BUSY) || (p->pqflags & PQ_FREE)) {
			fprintf(stderr, "upager check: page %lu in pageout "
			    "not busy\n", (unsigned long)p->pgno);
			err = -EUCLEAN;
		}
	}
	if (n != pg->nlaunder) {
		fprintf(stderr, "upager check: %lu pages in pageout, %lu "
		    "counted\n", (unsigned long)n, (unsigned long)pg->nlaunder);
		err = -EUCLEAN;
	}
	pthread_mutex_unlock(&pg->pqlock);
	for (h = 0; h < OBJ_NHASH; h++)
		TAILQ_FOREACH(o, &pg->objhash[h], hashq)
			pthread_mutex_unlock(&o->lock);
	pthread_mutex_unlock(&pg->olock);
	return err;
}
