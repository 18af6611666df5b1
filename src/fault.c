/* fault.c: mapped views: userfaultfd faults, write tracking, unmapping */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"
#include "uffd.h"
#include "upager_int.h"

/*
 * A view is a mapping of the object's memfd, so every view of a file and
 * the pager's own map share the frames: coherent by construction.  The
 * mapping is registered MISSING|MINOR (and WP when shared and writeable):
 *
 *   MISSING fault  (no frame in the memfd): getpages fills the frame
 *                  through the pager map, then UFFDIO_CONTINUE maps it;
 *   MINOR fault    (a frame, but no page table entry here): map it;
 *   past EOF       the memfd is as long as the file, so the kernel itself
 *                  raises SIGBUS there, as for the kernel's own mmap;
 *   writes         pages are mapped write-protected (CONTINUE_MODE_WP);
 *                  with UFFD_FEATURE_WP_ASYNC the kernel unprotects a page
 *                  at its first write without a message, and PAGEMAP_SCAN
 *                  reports the written pages and protects them again
 *                  (vm_harvest: the pmap_clear_modify of this pager).
 *
 * A page table entry dropped while still write-protected leaves a marker,
 * so a page zapped after it was written reads as "written" to the next
 * scan: vm_protect_none relies on it to free a page safely.
 */

#define VM_MAPWIN 512  /* pages mapped by one fault, at most: 2 MiB */
#define VM_LOTSAMISS 100  /* read around no more after this many misses */
#define VM_SCANVEC 64

/*
 * vm_written: the page of view v at address pa was written through it
 * (or may have been): dirty, and no longer a hole as far as writers are
 * concerned; its bit set in `mask` (pages from mask_lo) if given.
 * => object locked.
 */
static void vm_written(struct uobj *o, struct uview *v, uint64_t pa,
    uint64_t *mask, uint64_t mask_lo)
{
	uint64_t pgno = atop(v->off + (off_t)(pa - (uintptr_t)v->addr));
	struct vpage *p = pg_lookup(o, pgno);

	if (p == NULL || (p->flags & PG_FAKE))
		return;
	p->flags &= ~(PG_CLEAN | PG_RDONLY);
	if (mask != NULL && pgno >= mask_lo && pgno < mask_lo + 64)
		*mask |= (uint64_t)1 << (pgno - mask_lo);
}

/*
 * vm_scan: PAGEMAP_SCAN [start, end) of one view for written pages,
 * protecting them again; mark them dirty in the object, and set bits of
 * `mask` (pages from mask_lo, 64 at most) if given.  Where the scan
 * fails, which pages were written is not known: every resident page left
 * in the range counts as written, so that no write is taken for clean.
 * => object locked.
 */
static void vm_scan(struct uobj *o, struct uview *v, char *start, char *end,
    uint64_t *mask, uint64_t mask_lo)
{
	struct page_region r[VM_SCANVEC];
	struct pm_scan_arg a;
	uint64_t pa;
	long n, i;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
	a.vec = (uintptr_t)r;
	a.vec_len = VM_SCANVEC;
	a.category_mask = PAGE_IS_WRITTEN;
	a.return_mask = PAGE_IS_WRITTEN;
	a.start = (uintptr_t)start;
	a.end = (uintptr_t)end;
	for (;;) {
		n = sys_ioctl(SYS_PAGEMAP, o->pg->pmfd, PAGEMAP_SCAN, &a);
		if (n < 0) {
			for (pa = a.start; pa < a.end; pa += PAGE_SIZE)
				vm_written(o, v, pa, mask, mask_lo);
			break;
		}
		for (i = 0; i < n; i++)
			for (pa = r[i].start; pa < r[i].end; pa += PAGE_SIZE)
				vm_written(o, v, pa, mask, mask_lo);
		/* a kernel quirk: walk_end is only meaningful when the
		 * vector came back full */
		if (n < VM_SCANVEC || a.walk_end >= a.end)
			break;
		a.start = a.walk_end;
	}
}

/* vm_overlap: the addresses of view v that hold pages [lo, hi), if any. */
static bool vm_overlap(struct uview *v, uint64_t lo, uint64_t hi,
    char **start, char **end)
{
	uint64_t vlo = atop(v->off), vhi = vlo + atop(v->len);

	lo = MAX(lo, vlo);
	hi = MIN(hi, vhi);
	if (lo >= hi)
		return false;
	*start = v->addr + ptoa(lo - vlo);
	*end = v->addr + ptoa(hi - vlo);
	return true;
}

/*
 * vm_unmapped: pages [lo, hi) left a view: where no view holds them any
 * more, they are mapped nowhere, and a new view's fault maps them again
 * with its window (vm_map_window).  => object locked; the view is off
 * the object's list, or no longer covers the range.
 */
static void vm_unmapped(struct uobj *o, uint64_t lo, uint64_t hi)
{
	struct vpage *p;
	struct uview *v;
	char *s, *e;
	uint64_t key = lo;

	TAILQ_FOREACH(v, &o->views, objq)
		if (vm_overlap(v, lo, hi, &s, &e))
			return;
	while ((p = rdx_next(&o->idx, &key)) != NULL && key < hi) {
		p->flags &= ~PG_MAPPED;
		key++;
	}
}

/*
 * vm_protect: write-protect [start, end) of a view without looking at
 * what was written: a range no view could have written yet (a new view;
 * pages past EOF) would otherwise read as written to the first scan.
 */
static void vm_protect(struct upager *pg, char *start, char *end)
{
	struct pm_scan_arg a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
	a.category_mask = PAGE_IS_WRITTEN;
	a.start = (uintptr_t)start;
	a.end = (uintptr_t)end;
	(void)sys_ioctl(SYS_PAGEMAP, pg->pmfd, PAGEMAP_SCAN, &a);
}

/*
 * vm_wviews: for each shared writeable view of pages in [lo, hi): harvest
 * what was written there (vm_scan), or only protect it (vm_protect).
 * => object locked.
 */
static void vm_wviews(struct uobj *o, uint64_t lo, uint64_t hi, bool harvest)
{
	struct uview *v;
	char *s, *e;

	LOCK_ASSERT_HELD(&o->lock);
	if (o->nwviews == 0)
		return;
	TAILQ_FOREACH(v, &o->views, objq) {
		if (!v->shared || !(v->prot & PROT_WRITE) ||
		    !vm_overlap(v, lo, hi, &s, &e))
			continue;
		if (harvest)
			vm_scan(o, v, s, e, NULL, 0);
		else
			vm_protect(o->pg, s, e);
	}
}

/*
 * vm_protect_new: the file grew from page lo to hi: protect that range in
 * every writeable view (see vm_protect).  => object locked.
 */
void vm_protect_new(struct uobj *o, uint64_t lo, uint64_t hi)
{
	vm_wviews(o, lo, hi, false);
}

/*
 * vm_harvest: make pages of [lo, hi) written through views dirty.
 * => object locked.  Called before every write-back.
 */
void vm_harvest(struct uobj *o, uint64_t lo, uint64_t hi)
{
	vm_wviews(o, lo, hi, true);
}

/*
 * vm_zap: drop the page table entries of pages [lo, lo + n) (n <= 64) in
 * every shared writeable view, harvesting what was written (see
 * vm_protect_none), and in shared read-only ones too if `ro`.  Returns
 * the bitmap of written pages.  => object locked; the pages BUSY.
 */
static uint64_t vm_zap(struct uobj *o, uint64_t lo, int n, bool ro)
{
	uint64_t mask = 0;
	struct uview *v;
	char *s, *e;

	LOCK_ASSERT_HELD(&o->lock);
	KASSERT(n > 0 && n <= 64);
	if (o->nwviews == 0 && !ro)
		return 0;
	TAILQ_FOREACH(v, &o->views, objq) {
		if (!v->shared || !vm_overlap(v, lo, lo + (uint64_t)n, &s, &e))
			continue;
		if (!(v->prot & PROT_WRITE)) {
			if (ro)
				(void)sys_madvise(s, (size_t)(e - s),
				    MADV_DONTNEED);
			continue;
		}
		vm_scan(o, v, s, e, &mask, lo);
		(void)sys_madvise(s, (size_t)(e - s), MADV_DONTNEED);
		vm_scan(o, v, s, e, &mask, lo);
	}
	return mask;
}

/*
 * vm_protect_none: remove pages [lo, lo + n) (n <= 64) from every view
 * (pmap_page_protect(VM_PROT_NONE)), learning which were written.
 * => object locked; the pages BUSY, owned by the caller, so no fault can
 *    map them again meanwhile.
 * => harvest, zap, harvest: a write between the first scan and the zap
 *    leaves an unprotected entry that the zap drops without a marker,
 *    which the second scan reports.  Returns the bitmap of written pages
 *    (made dirty).  Shared read-only and private views need nothing: the
 *    frame's punch unmaps them, and private copies are theirs.
 */
uint64_t vm_protect_none(struct uobj *o, uint64_t lo, int n)
{
	return vm_zap(o, lo, n, false);
}

/*
 * vm_deactivate: drop pages [lo, lo + n) (n <= 64) from every shared
 * view, keeping their frames, so that the next access to one is a minor
 * fault that says it is in use (the reference bit this pager has: see
 * pd_scan).  => as vm_protect_none; what views wrote becomes dirty.
 * Private views keep their entries: dropping them would drop their copies.
 */
void vm_deactivate(struct uobj *o, uint64_t lo, int n)
{
	(void)vm_zap(o, lo, n, true);
}

/*
 * pg_tryfree: free pages pps[0..n) unless a view wrote them since they
 * were last looked at: those become dirty and are unbusied instead.
 * => object locked; the pages BUSY, owned by the caller, not wired, in
 *    ascending order.  Returns how many were freed.
 */
int pg_tryfree(struct uobj *o, struct vpage **pps, int n)
{
	struct vpage *keep[64];
	int i, j, k, nfree = 0, nkeep;

	if (o->nwviews == 0) {
		pg_freerun(o, pps, n);
		return n;
	}
	for (i = 0; i < n; i = j) {
		uint64_t mask;

		for (j = i + 1; j < n && j - i < 64 &&
		    pps[j]->pgno == pps[j - 1]->pgno + 1; j++)
			;
		mask = vm_protect_none(o, pps[i]->pgno, j - i);
		for (k = i, nkeep = 0; k < j; k++) {
			if (mask & ((uint64_t)1 << (k - i)))
				pg_unbusy(o, pps[k]);
			else
				keep[nkeep++] = pps[k];
		}
		pg_freerun(o, keep, nkeep);
		nfree += nkeep;
	}
	return nfree;
}

/* ubc_prefault: touch each page of a caller's buffer before taking locks,
 * so that copying into or out of a view of the file being read or written
 * never faults on a page the copy itself holds busy. */
void ubc_prefault(const void *buf, size_t len)
{
	const volatile char *p = buf;
	size_t i;

	if (len == 0)
		return;
	for (i = 0; i < len; i += PAGE_SIZE - ((uintptr_t)(p + i) & PAGE_MASK))
		(void)p[i];
	(void)p[len - 1];
}

/* vm_find: the view holding addr.  => vlock held. */
static struct uview *vm_find(struct upager *pg, const char *addr)
{
	struct uview *v;

	TAILQ_FOREACH(v, &pg->views, pgq)
		if (addr >= v->addr && addr < v->addr + v->len)
			return v;
	return NULL;
}

static void vm_wake(struct upager *pg, uint64_t addr)
{
	(void)sys_uffd_wake(pg->uffd, addr, PAGE_SIZE);
}

/*
 * vm_continue: map pages [first, first + n) of view v from their frames.
 * => no locks held; the pages are wired or BUSY, so none is freed.
 * => an entry that exists already (another thread mapped it) is skipped;
 *    a page that fails otherwise too, its faulting thread woken to fault
 *    again; returns how many were skipped.
 */
static int vm_continue(struct upager *pg, struct uview *v, uint64_t first,
    int n)
{
	uint64_t base = (uintptr_t)v->addr + ptoa(first - atop(v->off));
	int done = 0, skipped = 0, err;

	while (done < n) {
		struct uffdio_continue c;

		memset(&c, 0, sizeof(c));
		c.range.start = base + ptoa(done);
		c.range.len = ptoa(n - done);
		c.mode = v->shared && (v->prot & PROT_WRITE) ?
		    UFFDIO_CONTINUE_MODE_WP : 0;
		if ((err = sys_ioctl(SYS_UFFD, pg->uffd, UFFDIO_CONTINUE,
		    &c)) == 0)
			break;
		/* mapped: pages done before the one that failed */
		done += c.mapped > 0 ? (int)atop(c.mapped) : 0;
		/* not mapped, for another reason than that it is (the
		 * address space changing under a fork or an mremap: EAGAIN):
		 * a thread faulting there must not sleep on; woken, it faults
		 * again and the fault is served anew */
		if (err != -EEXIST && done < n)
			vm_wake(pg, base + ptoa(done));
		done++;
		skipped++;
	}
	return skipped;
}

/*
 * vm_ra: what to read for a fault at pgno: besides the page, *ra pages
 * ahead, and the pages from *behind up to it in the background.  A
 * fault where the last mapping ended is sequential
 * and grows the read-ahead window; another reads an aligned cluster
 * around the page, as the kernel's mmap reads around; MADV_RANDOM reads
 * the page alone.
 */
static void vm_ra(struct upager *pg, struct uview *v, uint64_t pgno,
    uint64_t *behind, int *ra)
{
	uint64_t next = __atomic_load_n(&v->ra_next, __ATOMIC_RELAXED);
	uint32_t win = __atomic_load_n(&v->ra_win, __ATOMIC_RELAXED);
	/* as the kernel reads its read-ahead size around a fault */
	uint64_t around = pg->ra_max;
	int advice = __atomic_load_n(&v->advice, __ATOMIC_RELAXED);

	*behind = pgno;
	*ra = 0;
	/* reading around pays while what it reads gets used: after many
	 * more faults that needed I/O than faults that found their page
	 * (a random access pattern over a file larger than the cache), it
	 * only wastes frames and disk time, as the kernel's mmap_miss says;
	 * or when most of what it read was freed unused (gp_rawasteful) */
	if (advice == MADV_RANDOM || around == 0 ||
	    (pgno != next && advice != MADV_SEQUENTIAL &&
	    (__atomic_load_n(&v->mmap_miss, __ATOMIC_RELAXED) > VM_LOTSAMISS ||
	    gp_rawasteful(v->obj))))
		return;
	if (advice == MADV_SEQUENTIAL || pgno == next) {
		win = advice == MADV_SEQUENTIAL ? pg->ra_max :
		    MIN(MAX(win * 2, (uint32_t)around), pg->ra_max);
		*ra = (int)win;
	} else {
		/* an aligned cluster around the page: what lies before it
		 * is read behind, in the background, the rest ahead */
		uint64_t alo = pgno - pgno % around;

		win = 0;
		*behind = MAX(alo, atop(v->off));
		*ra = (int)(alo + around - pgno - 1);
	}
	__atomic_store_n(&v->ra_win, win, __ATOMIC_RELAXED);
}

/*
 * vm_map_window: map the resident pages of the aligned window around
 * pgno (VM_MAPWIN pages, cut to the view and EOF) into view v, a run at a
 * time: a fault maps up to 2 MiB, as a huge page of the kernel's cache
 * would be, so a scan of resident pages takes one fault per window.
 * => object locked on entry and on return; dropped while mapping, with
 *    the pages wired so that none is freed meanwhile, so that faults on
 *    other windows map in parallel.  Returns the end of the window.
 */
static uint64_t vm_map_window(struct upager *pg, struct uview *v,
    struct uobj *o, uint64_t pgno, uint64_t eofpg)
{
	uint64_t vlo = atop(v->off), vhi = vlo + atop(v->len);
	uint64_t lo = MAX(vlo, pgno & ~(uint64_t)(VM_MAPWIN - 1));
	uint64_t hi = MIN(MIN(vhi, eofpg), lo + VM_MAPWIN), k;
	uint64_t rstart[VM_MAPWIN / 2 + 1];
	struct vpage *w[VM_MAPWIN];
	int rlen[VM_MAPWIN / 2 + 1], nw = 0, nr = 0, i, skipped = 0;
	/* alone, a shared view has every PG_MAPPED page mapped already: an
	 * earlier fault's window did it, and mapping it again costs a
	 * failing ioctl a page */
	bool sole = v->shared && TAILQ_FIRST(&o->views) == v &&
	    TAILQ_NEXT(v, objq) == NULL;

	for (k = lo; k < hi; k++) {
		struct vpage *p = pg_lookup(o, k);

		if (p == NULL || (p->flags & (PG_FAKE | PG_RELEASED)))
			continue;
		/* unmapped for the daemon to see whether it is used: only
		 * its own fault may map it */
		if ((p->flags & PG_ZAPPED) && k != pgno)
			continue;
		if (sole && (p->flags & PG_MAPPED) && k != pgno)
			continue;
		/* the scan is coming: keep the reading ahead of it */
		if (p->flags & PG_RAMARK)
			gp_ramark(o, p, (int)__atomic_load_n(&v->ra_win,
			    __ATOMIC_RELAXED));
		/* mapped for use: what read-ahead brought is used now, as
		 * far as anyone can tell (the view's accesses are not seen) */
		if (p->flags & PG_RAHEAD) {
			p->flags &= ~PG_RAHEAD;
			ST_ADD(pg, ra_used, 1);
		}
		if (v->shared)
			p->flags |= PG_MAPPED;
		p->wire++;
		w[nw++] = p;
		if (nr > 0 && rstart[nr - 1] + (uint64_t)rlen[nr - 1] == k) {
			rlen[nr - 1]++;
		} else {
			rstart[nr] = k;
			rlen[nr++] = 1;
		}
	}
	pthread_mutex_unlock(&o->lock);
	for (i = 0; i < nr; i++)
		/* much already mapped (by earlier faults): map the fault's
		 * own run only */
		if (skipped < 8 || (pgno >= rstart[i] &&
		    pgno < rstart[i] + (uint64_t)rlen[i]))
			skipped += vm_continue(pg, v, rstart[i], rlen[i]);
	pthread_mutex_lock(&o->lock);
	for (i = 0; i < nw; i++)
		pg_unwire(o, w[i]);
	return hi;
}

/*
 * A fault never waits in a fault thread for a busy page (being read,
 * written back, or extended by a write): it is parked on the pager's list
 * of pending faults (vm_defer), and whoever unbusies the page wakes the
 * faulting thread (vm_pend_wake, from pg_wakeup), which faults again and
 * finds the page resident.  A fault on a missing page starts the read in
 * the I/O engine and parks on it the same way, so the fault threads only
 * ever map pages and start I/O, and faults are served in parallel with
 * any number of reads in flight.
 */
struct vm_pend {
	struct vm_pend *next;
	struct uobj *obj;          /* NULL: waiting for frames (vm_park) */
	uint64_t pgno;             /* the page; for frames, the daemon's pass */
	uint64_t addr;             /* where the thread faulted */
	pid_t tid;
	bool own;                  /* its read was started for this fault */
	bool shared;               /* the view is MAP_SHARED */
};

static bool vm_map_waiter(struct upager *pg, struct vpage *p,
    const struct vm_pend *w);

/*
 * vm_defer: park the fault at addr (thread tid) until page p is unbusied.
 * => object locked; p BUSY.  own: the read that fills p was started for
 *    this fault, which gets SIGBUS if it fails.
 */
static void vm_defer(struct uobj *o, const struct uview *v,
    struct vpage *p, uint64_t addr, pid_t tid, bool own)
{
	struct upager *pg = o->pg;
	struct vm_pend *w;

	LOCK_ASSERT_HELD(&o->lock);
	KASSERT(p->flags & PG_BUSY);
	if ((w = malloc(sizeof(*w))) == NULL) {
		/* the thread faults again, until memory comes back */
		vm_wake(pg, addr);
		return;
	}
	w->obj = o;
	w->pgno = p->pgno;
	w->addr = addr;
	w->tid = tid;
	w->own = own;
	w->shared = v->shared;
	p->flags |= PG_WANTED;
	pthread_mutex_lock(&pg->vmplock);
	w->next = pg->vmpend;
	pg->vmpend = w;
	__atomic_add_fetch(&pg->npend, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pg->vmplock);
}

/*
 * vm_park: park the fault at addr (thread tid) until the page daemon has
 * freed frames (vm_frames_wake), and ask it for `want`.
 * => object not locked (pd_kick takes pqlock).
 */
static void vm_park(struct upager *pg, uint64_t addr, pid_t tid,
    uint64_t want)
{
	struct vm_pend *w;
	uint64_t pass;

	if (pd_kick(pg, want, &pass) || (w = malloc(sizeof(*w))) == NULL) {
		/* freed meanwhile (or no memory to park): fault again */
		vm_wake(pg, addr);
		return;
	}
	w->obj = NULL;
	w->pgno = pass;
	w->addr = addr;
	w->tid = tid;
	w->own = false;
	pthread_mutex_lock(&pg->vmplock);
	w->next = pg->vmpend;
	pg->vmpend = w;
	__atomic_add_fetch(&pg->npend, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pg->vmplock);
	/* asked again once parked: a pass that ended in between, or frames
	 * freed meanwhile, would otherwise leave it parked */
	if (pd_kick(pg, want, &pass))
		vm_frames_wake(pg, 0);
}

/*
 * vm_frames_wake: the page daemon ended a pass: wake the faults parked
 * for frames (vm_park), which fault again; err < 0: the pass freed
 * nothing, and the faults parked before it ended get SIGBUS, as
 * pd_wait_free fails its waiters.
 * => no locks held.
 */
void vm_frames_wake(struct upager *pg, int err)
{
	struct vm_pend **wp, *w;
	uint64_t pass;

	if (__atomic_load_n(&pg->npend, __ATOMIC_ACQUIRE) == 0)
		return;
	pthread_mutex_lock(&pg->pqlock);
	pass = pg->pd_pass;
	pthread_mutex_unlock(&pg->pqlock);
	pthread_mutex_lock(&pg->vmplock);
	for (wp = &pg->vmpend; (w = *wp) != NULL;) {
		if (w->obj != NULL) {
			wp = &w->next;
			continue;
		}
		*wp = w->next;
		__atomic_sub_fetch(&pg->npend, 1, __ATOMIC_RELEASE);
		if (err != 0 && pass > w->pgno)
			(void)syscall(SYS_tgkill, getpid(), w->tid, SIGBUS);
		vm_wake(pg, w->addr);
		free(w);
	}
	pthread_mutex_unlock(&pg->vmplock);
}

/*
 * vm_pend_wake: page p is no longer busy (err 0), or its read failed
 * (err < 0, the page is about to be freed): wake the faults parked on it;
 * a failed read sends SIGBUS to the thread it was started for, as the
 * kernel does when a page cannot be read.  A fault that waited for the
 * first page of a read-ahead window reached it: the next window starts
 * (gp_ramark), as it would had the page been mapped by a fault's window.
 * => object locked.
 */
void vm_pend_wake(struct uobj *o, struct vpage *p, int err)
{
	struct upager *pg = o->pg;
	struct vm_pend **wp, *w;
	bool reached = false;

	LOCK_ASSERT_HELD(&o->lock);
	if (__atomic_load_n(&pg->npend, __ATOMIC_ACQUIRE) == 0)
		return;
	pthread_mutex_lock(&pg->vmplock);
	for (wp = &pg->vmpend; (w = *wp) != NULL;) {
		if (w->obj != o || w->pgno != p->pgno) {
			wp = &w->next;
			continue;
		}
		*wp = w->next;
		__atomic_sub_fetch(&pg->npend, 1, __ATOMIC_RELEASE);
		reached = true;
		if (err != 0 && w->own)
			(void)syscall(SYS_tgkill, getpid(), w->tid, SIGBUS);
		if (err != 0 || !vm_map_waiter(pg, p, w))
			vm_wake(pg, w->addr);
		free(w);
	}
	pthread_mutex_unlock(&pg->vmplock);
	if (reached && err == 0 && (p->flags & PG_RAMARK))
		gp_ramark(o, p, 0);
}

/*
 * vm_map_waiter: the page a fault waited for is in: map it at the fault's
 * address, which wakes the thread, rather than have it fault again.
 * Write-protected where the view tracks writes (the registration says:
 * UFFDIO_CONTINUE_MODE_WP is refused where it does not), so a view that
 * replaced the one the fault came from gets no untracked page; a hole is
 * left to the fault, which gives it blocks before a write.
 * => object locked.  Returns whether the page was mapped.
 */
static bool vm_map_waiter(struct upager *pg, struct vpage *p,
    const struct vm_pend *w)
{
	struct uffdio_continue c;
	int err;

	if (p->flags & (PG_BUSY | PG_FAKE | PG_RELEASED | PG_ZAPPED |
	    PG_RDONLY))
		return false;
	memset(&c, 0, sizeof(c));
	c.range.start = w->addr;
	c.range.len = PAGE_SIZE;
	c.mode = UFFDIO_CONTINUE_MODE_WP;
	if ((err = (int)sys_ioctl(SYS_UFFD, pg->uffd, UFFDIO_CONTINUE,
	    &c)) == -EINVAL) {
		c.mode = 0;
		c.mapped = 0;
		err = (int)sys_ioctl(SYS_UFFD, pg->uffd, UFFDIO_CONTINUE, &c);
	}
	if (err != 0)
		return false;
	if (w->shared)
		p->flags |= PG_MAPPED;
	return true;
}

/*
 * vm_fault: serve one page fault on a view: map the resident window
 * around the page, or park the fault on the page's I/O (see vm_defer).
 * => no locks held on entry or return; vlock is held shared throughout,
 *    so the view stays.  Never waits for I/O, nor for the page daemon
 *    (vm_park); it may wait for a hole's blocks to be allocated.
 */
static void vm_fault(struct upager *pg, const struct uffd_msg *m)
{
	uint64_t addr = m->arg.pagefault.address & ~(uint64_t)PAGE_MASK;
	bool write = (m->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE) != 0;
	pid_t tid = (pid_t)m->arg.pagefault.feat.ptid;
	struct vpage *pps[UBC_MAXPAGES], *p;
	uint64_t pgno, behind, vhi, eofpg, end;
	int n = 1, ra = 0, err, i;
	struct uview *v;
	struct uobj *o;

	pthread_rwlock_rdlock(&pg->vlock);
	if ((v = vm_find(pg, (const char *)(uintptr_t)addr)) == NULL) {
		/* unmapped under us: let the thread fault again, and fail */
		vm_wake(pg, addr);
		goto out;
	}
	ST_ADD(pg, faults, 1);
	o = v->obj;
	pgno = atop(v->off + (off_t)(addr - (uintptr_t)v->addr));
	vhi = atop(v->off) + atop(v->len);
	behind = pgno;
	/* a write fault reads what it does not overwrite, so it reads
	 * around as a read does (the kernel's filemap_fault too) */
	vm_ra(pg, v, pgno, &behind, &ra);
	pthread_mutex_lock(&o->lock);
	for (;;) {
		eofpg = atop(round_page(o->size));
		if ((p = pg_lookup(o, pgno)) != NULL && (p->flags & PG_BUSY)) {
			/* being read, written back, or extended by a write
			 * that holds it busy until the size covers it */
			vm_defer(o, v, p, addr, tid, false);
			goto unlock;
		}
		if (pgno >= eofpg) {
			/* the file shrank (or a write extending it failed):
			 * the memfd says SIGBUS when the thread faults again */
			vm_wake(pg, addr);
			goto unlock;
		}
		if (p != NULL) {
			/* read around by an earlier fault: that paid */
			if (p->flags & PG_RAHEAD) {
				gp_ranote(o, 1, 0);
				if (__atomic_load_n(&v->mmap_miss,
				    __ATOMIC_RELAXED))
					__atomic_sub_fetch(&v->mmap_miss, 1,
					    __ATOMIC_RELAXED);
			}
			break;
		}
		ra = (int)MIN((uint64_t)ra, vhi - (pgno + 1));
		if (behind < pgno) {
			gp_readasync(o, behind, pgno, false);
			behind = pgno;
		}
		if ((err = gp_startread(o, pgno, ra)) == 0) {
			__atomic_add_fetch(&v->mmap_miss, 1, __ATOMIC_RELAXED);
			if (ra == 0)
				gp_ranote(o, 0, -1);
			vm_defer(o, v, pg_lookup(o, pgno), addr, tid, true);
			goto unlock;
		}
		if (err != -EAGAIN)
			goto sigbus;
		/* no frame: the daemon frees some while this thread serves
		 * other faults */
		pthread_mutex_unlock(&o->lock);
		vm_park(pg, addr, tid, 1 + (uint64_t)ra);
		goto out;
	}
	/* resident and valid: getpages only takes it (and gives a hole its
	 * blocks before a write) */
	err = gp_getpages(o, pgno, &n, pps,
	    write ? VM_PROT_WRITE : VM_PROT_READ, 0, ra);
	if (err != 0)
		goto sigbus;
	for (i = 0; i < n; i++) {
		/* used again after the daemon unmapped it to see */
		if (pps[i]->flags & PG_ZAPPED) {
			pps[i]->flags &= ~PG_ZAPPED;
			ST_ADD(pg, reactivated, 1);
		}
		pg_reference(pps[i]);
	}
	end = vm_map_window(pg, v, o, pgno, eofpg);
	__atomic_store_n(&v->ra_next, end, __ATOMIC_RELAXED);
	for (i = 0; i < n; i++)
		pg_unbusy(o, pps[i]);
	pthread_mutex_unlock(&o->lock);
	/* in case its page was among those another thread mapped */
	vm_wake(pg, addr);
	goto out;
sigbus:
	/* as the kernel does when a page cannot be read */
	(void)syscall(SYS_tgkill, getpid(), tid, SIGBUS);
	vm_wake(pg, addr);
unlock:
	pthread_mutex_unlock(&o->lock);
out:
	pthread_rwlock_unlock(&pg->vlock);
}

/* vm_thread: a fault thread: read the userfaultfd, serve each fault. */
static void *vm_thread(void *arg)
{
	struct upager *pg = arg;
	struct pollfd pf[2] = {
		{ .fd = pg->uffd, .events = POLLIN },
		{ .fd = pg->evfd, .events = POLLIN },
	};
	struct uffd_msg m[16];
	ssize_t r;
	int i;

	for (;;) {
		if (sys_poll(pf, 2) < 0)
			continue;
		if (pf[1].revents & POLLIN)
			break;
		r = sys_uffd_read(pg->uffd, m, sizeof(m));
		if (r <= 0)
			continue;
		for (i = 0; i < (int)(r / (ssize_t)sizeof(m[0])); i++)
			if (m[i].event == UFFD_EVENT_PAGEFAULT)
				vm_fault(pg, &m[i]);
	}
	return NULL;
}

/*
 * upager_unmap and friends name only an address: the live pagers with
 * views are on one list, and the address finds its pager there.
 */
static pthread_mutex_t vm_pagers_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, upager) vm_pagers = TAILQ_HEAD_INITIALIZER(vm_pagers);

/*
 * vm_init: the userfaultfd, the pagemap and the fault threads, at the
 * first upager_map.  => no locks held.  Returns 0, -ENOTSUP when the
 * kernel lacks a feature views need, or the error of a call that failed.
 */
static int vm_init(struct upager *pg)
{
	const uint64_t need = UFFD_FEATURE_WP_ASYNC |
	    UFFD_FEATURE_WP_UNPOPULATED | UFFD_FEATURE_MINOR_SHMEM |
	    UFFD_FEATURE_WP_HUGETLBFS_SHMEM | UFFD_FEATURE_THREAD_ID |
	    UFFD_FEATURE_EXACT_ADDRESS;
	struct uffdio_api api = { .api = UFFD_API, .features = need };
	int err = 0, i;

	pthread_mutex_lock(&pg->vminit);
	if (pg->vmready)
		goto out;
	pg->uffd = pg->pmfd = pg->evfd = -1;
	/* faults in the kernel's accesses too (a view as the buffer of
	 * write(2)): without them such an access would find a hole of the
	 * memfd and read zeros.  Unprivileged, only user faults may be had. */
	pg->vmkernel = true;
	if ((pg->uffd = sys_userfaultfd(O_CLOEXEC | O_NONBLOCK)) == -EPERM) {
		pg->vmkernel = false;
		pg->uffd = sys_userfaultfd(O_CLOEXEC | O_NONBLOCK |
		    UFFD_USER_MODE_ONLY);
	}
	if (pg->uffd < 0) {
		err = pg->uffd;
		goto fail;
	}
	if ((err = (int)sys_ioctl(SYS_UFFD, pg->uffd, UFFDIO_API, &api)) != 0)
		goto fail;
	if ((api.features & need) != need) {
		err = -ENOTSUP;
		goto fail;
	}
	if ((pg->pmfd = sys_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC,
	    0)) < 0) {
		err = pg->pmfd;
		goto fail;
	}
	if ((pg->evfd = sys_eventfd()) < 0) {
		err = pg->evfd;
		goto fail;
	}
	for (i = 0; i < VM_NTHREADS; i++)
		if ((err = pg_thread(&pg->fthreads[i], vm_thread, pg)) != 0)
			break;
	if (err != 0) {
		(void)sys_event(pg->evfd);
		while (i-- > 0)
			pthread_join(pg->fthreads[i], NULL);
		goto fail;
	}
	pg->vmready = true;
	pthread_mutex_lock(&vm_pagers_lock);
	TAILQ_INSERT_TAIL(&vm_pagers, pg, pagerq);
	pthread_mutex_unlock(&vm_pagers_lock);
	goto out;
fail:
	if (pg->uffd >= 0)
		(void)sys_close(pg->uffd);
	if (pg->pmfd >= 0)
		(void)sys_close(pg->pmfd);
	if (pg->evfd >= 0)
		(void)sys_close(pg->evfd);
out:
	pthread_mutex_unlock(&pg->vminit);
	return err;
}

/*
 * vm_detach: take a view off the lists and drop its reference, after
 * harvesting what was written through it.  The caller unmaps it.
 * => vlock held exclusive.
 */
static void vm_detach(struct upager *pg, struct uview *v)
{
	struct uobj *o = v->obj;

	TAILQ_REMOVE(&pg->views, v, pgq);
	pthread_mutex_lock(&o->lock);
	vm_harvest(o, atop(v->off), atop(v->off) + atop(v->len));
	TAILQ_REMOVE(&o->views, v, objq);
	if (v->shared && (v->prot & PROT_WRITE))
		__atomic_sub_fetch(&o->nwviews, 1, __ATOMIC_RELAXED);
	vm_unmapped(o, atop(v->off), atop(v->off) + atop(v->len));
	pthread_mutex_unlock(&o->lock);
	obj_release(pg, o);
}

/* vm_fini: unmap every view, stop the fault threads.  => no locks held. */
void vm_fini(struct upager *pg)
{
	struct vm_pend *w;
	struct uview *v;
	int i;

	if (!pg->vmready)
		return;
	pthread_mutex_lock(&vm_pagers_lock);
	TAILQ_REMOVE(&vm_pagers, pg, pagerq);
	pthread_mutex_unlock(&vm_pagers_lock);
	pthread_rwlock_wrlock(&pg->vlock);
	while ((v = TAILQ_FIRST(&pg->views)) != NULL) {
		vm_detach(pg, v);
		(void)sys_munmap(v->addr, v->len);
		free(v);
	}
	pthread_rwlock_unlock(&pg->vlock);
	(void)sys_event(pg->evfd);
	for (i = 0; i < VM_NTHREADS; i++)
		pthread_join(pg->fthreads[i], NULL);
	/* faults still parked on reads in flight: their views are gone, so
	 * woken now they fault again and fail, as after any unmap; reads
	 * that complete later must find no fault to wake on a closed uffd */
	pthread_mutex_lock(&pg->vmplock);
	while ((w = pg->vmpend) != NULL) {
		pg->vmpend = w->next;
		vm_wake(pg, w->addr);
		free(w);
	}
	__atomic_store_n(&pg->npend, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pg->vmplock);
	(void)sys_close(pg->uffd);
	(void)sys_close(pg->pmfd);
	(void)sys_close(pg->evfd);
	pg->vmready = false;
}

/* vm_register: register [a, a + len) of a view with the userfaultfd */
static int vm_register(struct upager *pg, char *a, size_t len, bool wprot)
{
	struct uffdio_register reg;

	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)a;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_MINOR |
	    (wprot ? UFFDIO_REGISTER_MODE_WP : 0);
	return (int)sys_ioctl(SYS_UFFD, pg->uffd, UFFDIO_REGISTER, &reg);
}

/*
 * vm_insert: put a new view on its object's and its pager's lists; it
 * holds a reference on the object from now on.  => no locks held.
 */
static void vm_insert(struct upager *pg, struct uview *v)
{
	struct uobj *o = v->obj;

	obj_reference(pg, o);
	pthread_rwlock_wrlock(&pg->vlock);
	pthread_mutex_lock(&o->lock);
	TAILQ_INSERT_TAIL(&o->views, v, objq);
	obj_unmapwins(o);
	if (v->shared && (v->prot & PROT_WRITE)) {
		/* the syncer looks at what views wrote a delay after the
		 * first writeable view came, not at once */
		if (__atomic_add_fetch(&o->nwviews, 1, __ATOMIC_RELAXED) == 1)
			__atomic_store_n(&o->synced_at, now_ms(),
			    __ATOMIC_RELAXED);
		o->everwmapped = true;
		vm_protect(pg, v->addr, v->addr + v->len);
	}
	pthread_mutex_unlock(&o->lock);
	TAILQ_INSERT_TAIL(&pg->views, v, pgq);
	pthread_rwlock_unlock(&pg->vlock);
}

/*
 * vm_mapat: upager_map, at an address: `at` is a hint when fixed is 0 (the
 * kernel's rules: taken if free), else fixed is MAP_FIXED (views there
 * are unmapped first) or MAP_FIXED_NOREPLACE.
 * => no locks held.  Returns 0 or upager_map's errors.
 */
int vm_mapat(struct upager_file *f, void *at, int fixed, off_t off,
    size_t len, int prot, int flags, void **addr)
{
	struct uview *v = NULL;
	struct upager *pg;
	struct uobj *o;
	bool shared, wprot;
	char *a = MAP_FAILED;
	int err;

	if (f == NULL || f->magic != UFILE_MAGIC || addr == NULL || len == 0 ||
	    off < 0 || (off & (off_t)PAGE_MASK) ||
	    (prot & ~(PROT_READ | PROT_WRITE)) != 0 ||
	    (flags != MAP_SHARED && flags != MAP_PRIVATE) ||
	    (fixed != 0 && fixed != MAP_FIXED &&
	    fixed != MAP_FIXED_NOREPLACE) ||
	    (fixed != 0 && ((uintptr_t)at & PAGE_MASK)))
		return -EINVAL;
	len = (size_t)round_page((off_t)MIN(len, (size_t)UPAGER_MAX_FILE_SIZE));
	if (off > UPAGER_MAX_FILE_SIZE - (off_t)len)
		return -EINVAL;
	shared = flags == MAP_SHARED;
	wprot = shared && (prot & PROT_WRITE);
	/* the kernel's rules for a descriptor's access mode */
	if (f->acc == O_WRONLY || (wprot && f->acc != O_RDWR))
		return -EACCES;
	pg = f->pg;
	o = f->obj;
	if ((err = vm_init(pg)) != 0)
		return err;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return -ENOMEM;
	if (fixed == MAP_FIXED && (err = vm_unmap_views(at, len, false)) != 0)
		goto fail;
	a = obj_mapframes(o, at, off, len, prot, flags | fixed, &err);
	if (err != 0)
		goto fail;
	if ((err = vm_register(pg, a, len, wprot)) != 0)
		goto fail;
	v->addr = a;
	v->len = len;
	v->off = off;
	v->obj = o;
	v->prot = prot;
	v->shared = shared;
	v->advice = MADV_NORMAL;
	v->ra_next = UINT64_MAX;
	vm_insert(pg, v);
	*addr = a;
	return 0;
fail:
	if (a != MAP_FAILED)
		(void)sys_munmap(a, len);
	free(v);
	return err;
}

UPAGER_EXPORT int upager_map(upager_file_t *f, off_t off, size_t len,
    int prot, int flags, void **addr)
{
	return vm_mapat(f, NULL, 0, off, len, prot, flags, addr);
}

/* vm_kernel_faults: do system calls given a view fault it in? */
bool vm_kernel_faults(struct upager *pg)
{
	return pg->vmkernel;
}

/*
 * vm_range: check that [addr, addr + len) is page-aligned and lies in
 * views; round len up.  => vlock held.  Returns 0, -EINVAL, or -ENOMEM
 * for a part that is not a view (as munmap/msync/madvise say).
 */
static int vm_range(struct upager *pg, void *addr, size_t *len)
{
	uintptr_t a = (uintptr_t)addr, end;
	struct uview *v;

	if ((a & PAGE_MASK) || *len == 0 || *len > SIZE_MAX - PAGE_SIZE)
		return -EINVAL;
	*len = (*len + PAGE_MASK) & ~(size_t)PAGE_MASK;
	/* a range past the end of the address space is no view's: computed
	 * as a pointer, its end would wrap round and the range look empty */
	if (*len > UINTPTR_MAX - a)
		return -ENOMEM;
	end = a + *len;
	while (a < end) {
		if ((v = vm_find(pg, (void *)a)) == NULL)
			return -ENOMEM;
		a = (uintptr_t)v->addr + v->len;
	}
	return 0;
}

/*
 * vm_lookup_pager: the pager owning a view at addr, returned with its
 * vlock held (exclusive if excl); or NULL.
 */
static struct upager *vm_lookup_pager(void *addr, bool excl)
{
	struct upager *c, *pg = NULL;

	pthread_mutex_lock(&vm_pagers_lock);
	TAILQ_FOREACH(c, &vm_pagers, pagerq) {
		if (excl)
			pthread_rwlock_wrlock(&c->vlock);
		else
			pthread_rwlock_rdlock(&c->vlock);
		if (vm_find(c, addr) != NULL) {
			pg = c;
			break;
		}
		pthread_rwlock_unlock(&c->vlock);
	}
	pthread_mutex_unlock(&vm_pagers_lock);
	return pg;
}

/*
 * vm_cut: unmap [a, cut) of view v, where v->addr <= a < cut <= its end:
 * harvest that part, then drop it; the view shrinks, splits, or goes.
 * unmap: munmap the range too (else the kernel has already moved it).
 * => vlock held exclusive.  Returns 0 or -ENOMEM (nothing done).
 */
static int vm_cut(struct upager *pg, struct uview *v, char *a, char *cut,
    bool unmap)
{
	char *vend = v->addr + v->len;
	struct uobj *o = v->obj;
	struct uview *tail = NULL;
	uint64_t plo = atop(v->off + (a - v->addr));

	if (a == v->addr && cut == vend) {
		vm_detach(pg, v);
		if (unmap)
			(void)sys_munmap(v->addr, v->len);
		free(v);
		return 0;
	}
	if (a > v->addr && cut < vend) {
		if ((tail = calloc(1, sizeof(*tail))) == NULL)
			return -ENOMEM;
		*tail = *v;
		tail->addr = cut;
		tail->len = (size_t)(vend - cut);
		tail->off = v->off + (cut - v->addr);
		obj_reference(pg, o);
		TAILQ_INSERT_TAIL(&pg->views, tail, pgq);
	}
	pthread_mutex_lock(&o->lock);
	vm_harvest(o, plo, plo + atop(cut - a));
	if (tail != NULL) {
		TAILQ_INSERT_TAIL(&o->views, tail, objq);
		if (tail->shared && (tail->prot & PROT_WRITE))
			__atomic_add_fetch(&o->nwviews, 1, __ATOMIC_RELAXED);
	}
	if (a == v->addr) {
		v->off += cut - a;
		v->addr = cut;
		v->len = (size_t)(vend - cut);
	} else {
		v->len = (size_t)(a - v->addr);
	}
	vm_unmapped(o, plo, plo + atop(cut - a));
	pthread_mutex_unlock(&o->lock);
	if (unmap)
		(void)sys_munmap(a, (size_t)(cut - a));
	return 0;
}

/*
 * vm_walk: call fn on each piece of [addr, addr + len) that lies in one
 * view, in address order, with the views' pager's vlock held (exclusive
 * if excl); fn may change or free the view.
 * => returns `nopager` when no pager has a view at addr, vm_range's error,
 *    else the first error of fn (after it, the other pieces are still
 *    visited unless stop).
 */
static int vm_walk(void *addr, size_t len, bool excl, int nopager, bool stop,
    int (*fn)(struct upager *, struct uview *, char *, char *, void *),
    void *arg)
{
	char *a = addr, *end;
	struct upager *pg;
	struct uview *v;
	int err, e;

	if ((pg = vm_lookup_pager(addr, excl)) == NULL)
		return nopager;
	if ((err = vm_range(pg, addr, &len)) != 0)
		goto out;
	end = a + len;
	while (a < end && (v = vm_find(pg, a)) != NULL) {
		char *cut = MIN(end, v->addr + v->len);

		if ((e = fn(pg, v, a, cut, arg)) != 0 && err == 0)
			err = e;
		if (err != 0 && stop)
			break;
		a = cut;
	}
out:
	pthread_rwlock_unlock(&pg->vlock);
	return err;
}

static int vm_unmap_piece(struct upager *pg, struct uview *v, char *a,
    char *cut, void *arg)
{
	(void)arg;
	return vm_cut(pg, v, a, cut, true);
}

UPAGER_EXPORT int upager_unmap(void *addr, size_t len)
{
	return vm_walk(addr, len, true, -EINVAL, true, vm_unmap_piece, NULL);
}

/*
 * upager_msync: write back what views wrote in [addr, addr + len).
 * MS_ASYNC only notes the written pages as dirty (write-back comes with
 * the next sync, close, or the budget); MS_SYNC writes them and fdatasyncs;
 * MS_INVALIDATE then drops the range's clean pages from the cache.
 */
static int vm_msync_piece(struct upager *pg, struct uview *v, char *a,
    char *cut, void *arg)
{
	int flags = *(int *)arg;
	off_t foff = v->off + (a - v->addr);
	struct uobj *o = v->obj;

	(void)pg;
	if (!v->shared)
		return 0;
	if (flags & (MS_SYNC | MS_INVALIDATE))
		return obj_sync(o, foff, cut - a,
		    ((flags & MS_SYNC) ? UPAGER_SYNC_WAIT : 0) |
		    ((flags & MS_INVALIDATE) ? UPAGER_SYNC_INVALIDATE : 0));
	pthread_mutex_lock(&o->lock);
	vm_harvest(o, atop(foff), atop(round_page(foff + (cut - a))));
	pthread_mutex_unlock(&o->lock);
	return 0;
}

UPAGER_EXPORT int upager_msync(void *addr, size_t len, int flags)
{
	if ((flags & ~(MS_SYNC | MS_ASYNC | MS_INVALIDATE)) != 0 ||
	    (flags & (MS_SYNC | MS_ASYNC)) == (MS_SYNC | MS_ASYNC))
		return -EINVAL;
	return vm_walk(addr, len, false, -ENOMEM, false, vm_msync_piece,
	    &flags);
}

/*
 * vm_willneed: start reading [foff, foff + len) of the file into the
 * cache, in the I/O engine.  => object unlocked.  Never waits: with no
 * free frame it reads less, as read-ahead does.
 */
static void vm_willneed(struct uobj *o, off_t foff, off_t len)
{
	pthread_mutex_lock(&o->lock);
	gp_readasync(o, atop(foff), MIN(atop(round_page(foff + len)),
	    atop(round_page(o->size))), false);
	pthread_mutex_unlock(&o->lock);
}

static int vm_madvise_piece(struct upager *pg, struct uview *v, char *a,
    char *cut, void *arg)
{
	int advice = *(int *)arg;
	off_t foff = v->off + (a - v->addr);
	struct uobj *o = v->obj;

	switch (advice) {
	case MADV_WILLNEED:
		vm_willneed(o, foff, cut - a);
		break;
	case MADV_DONTNEED:
		/* what was written stays: dirty in the cache */
		pthread_mutex_lock(&o->lock);
		vm_harvest(o, atop(foff), atop(foff + (cut - a)));
		pthread_mutex_unlock(&o->lock);
		(void)sys_madvise(a, (size_t)(cut - a), MADV_DONTNEED);
		break;
	default:
		/* per view, as read-ahead is per view */
		__atomic_store_n(&v->advice, advice, __ATOMIC_RELAXED);
		break;
	}
	return 0;
}

UPAGER_EXPORT int upager_madvise(void *addr, size_t len, int advice)
{
	if (advice != MADV_NORMAL && advice != MADV_SEQUENTIAL &&
	    advice != MADV_RANDOM && advice != MADV_WILLNEED &&
	    advice != MADV_DONTNEED)
		return -EINVAL;
	return vm_walk(addr, len, false, -ENOMEM, false, vm_madvise_piece,
	    &advice);
}

/*
 * vm_unmap_views: unmap whatever parts of views lie in [addr, addr + len),
 * of every pager, leaving the rest of the range alone (munmap and mmap
 * MAP_FIXED do that to what they cover).  writeback: first write back
 * what shared views wrote there, without waiting for the disk; an error
 * stays with the object for its next sync.
 * => no locks held.  Returns 0 or -ENOMEM (a view could not be split).
 */
int vm_unmap_views(void *addr, size_t len, bool writeback)
{
	char *lo = addr, *hi = lo + round_page((off_t)len), *a, *c;
	struct upager *pg;
	struct uview *v;
	int err = 0, e;

	pthread_mutex_lock(&vm_pagers_lock);
	TAILQ_FOREACH(pg, &vm_pagers, pagerq) {
		pthread_rwlock_wrlock(&pg->vlock);
again:
		TAILQ_FOREACH(v, &pg->views, pgq) {
			if (v->addr >= hi || v->addr + v->len <= lo)
				continue;
			a = MAX(lo, v->addr);
			c = MIN(hi, v->addr + v->len);
			if (writeback && v->shared && (v->prot & PROT_WRITE) &&
			    (e = obj_sync(v->obj, v->off + (a - v->addr),
			    c - a, 0)) != 0)
				obj_seterror(v->obj, e);
			if ((err = vm_cut(pg, v, a, c, true)) != 0)
				break;
			goto again;
		}
		pthread_rwlock_unlock(&pg->vlock);
		if (err != 0)
			break;
	}
	pthread_mutex_unlock(&vm_pagers_lock);
	return err;
}

/* vm_any_view: does [addr, addr + len) overlap a view?  => no locks held */
bool vm_any_view(void *addr, size_t len)
{
	char *lo = addr, *hi = lo + len;
	struct upager *pg;
	struct uview *v;
	bool any = false;

	pthread_mutex_lock(&vm_pagers_lock);
	TAILQ_FOREACH(pg, &vm_pagers, pagerq) {
		pthread_rwlock_rdlock(&pg->vlock);
		TAILQ_FOREACH(v, &pg->views, pgq)
			if (v->addr < hi && v->addr + v->len > lo)
				any = true;
		pthread_rwlock_unlock(&pg->vlock);
	}
	pthread_mutex_unlock(&vm_pagers_lock);
	return any;
}

/*
 * vm_remap: mremap(2) of [old, old + oldlen), which lies in one view.
 * Shrinking cuts the view; growing or moving is the kernel's mremap, so
 * the pages and a MAP_PRIVATE view's own copies go along, and the new
 * range is then registered again (a move drops the registration) and
 * write-protected, after what the old one had written was harvested.
 * => no locks held.  Returns VM_NOTVIEW when old is in no view, else 0
 *    (*out: the new address) or a negative errno: -EFAULT when the range
 *    leaves the view, -EINVAL for bad arguments (MREMAP_DONTUNMAP,
 *    oldlen 0), the kernel's -ENOMEM when it cannot grow in place
 *    without MREMAP_MAYMOVE.
 */
int vm_remap(void *old, size_t oldlen, size_t newlen, int flags,
    void *naddr, void **out)
{
	struct uview *v, *nv = NULL;
	char *a = old, *res = MAP_FAILED;
	struct upager *pg;
	struct uobj *o;
	bool wprot;
	off_t foff;
	int err = 0;

	if ((pg = vm_lookup_pager(old, true)) == NULL)
		return VM_NOTVIEW;
	v = vm_find(pg, a);
	o = v->obj;
	wprot = v->shared && (v->prot & PROT_WRITE);
	if (((uintptr_t)a & PAGE_MASK) || oldlen == 0 || newlen == 0 ||
	    oldlen > SIZE_MAX - PAGE_SIZE || newlen > SIZE_MAX - PAGE_SIZE ||
	    (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) != 0 ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))) {
		err = -EINVAL;
		goto out;
	}
	oldlen = (size_t)round_page((off_t)oldlen);
	newlen = (size_t)round_page((off_t)newlen);
	if (oldlen > (size_t)(v->addr + v->len - a)) {
		err = -EFAULT;
		goto out;
	}
	foff = v->off + (a - v->addr);
	if (!(flags & MREMAP_FIXED) && newlen <= oldlen) {
		if (newlen < oldlen)
			err = vm_cut(pg, v, a + newlen, a + oldlen, true);
		*out = a;
		goto out;
	}
	if (foff > UPAGER_MAX_FILE_SIZE - (off_t)newlen) {
		err = -EINVAL;
		goto out;
	}
	/* the new view, if it moves; allocated first: then nothing fails */
	if ((nv = calloc(1, sizeof(*nv))) == NULL) {
		err = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&o->lock);
	vm_harvest(o, atop(foff), atop(foff + (off_t)oldlen));
	pthread_mutex_unlock(&o->lock);
	res = (char *)sys_mremap(a, oldlen, newlen, flags, naddr, &err);
	if (err != 0)
		goto out;
	if (res == a && a + oldlen == v->addr + v->len) {
		/* grown in place, at the view's end: the view grows */
		if ((err = vm_register(pg, a + oldlen, newlen - oldlen,
		    wprot)) != 0) {
			(void)sys_munmap(a + oldlen, newlen - oldlen);
			goto out;
		}
		pthread_mutex_lock(&o->lock);
		v->len += newlen - oldlen;
		if (wprot)
			vm_protect(pg, a + oldlen, a + newlen);
		pthread_mutex_unlock(&o->lock);
		*out = a;
		goto out;
	}
	/* moved: the old range is gone from the view, a new view is there */
	*nv = *v;
	nv->addr = res;
	nv->len = newlen;
	nv->off = foff;
	nv->ra_next = UINT64_MAX;
	(void)vm_register(pg, res, newlen, wprot);
	pthread_rwlock_unlock(&pg->vlock);
	vm_insert(pg, nv);
	nv = NULL;
	pthread_rwlock_wrlock(&pg->vlock);
	if ((v = vm_find(pg, a)) != NULL)
		(void)vm_cut(pg, v, a, a + oldlen, false);
	*out = res;
out:
	pthread_rwlock_unlock(&pg->vlock);
	free(nv);
	return err;
}
