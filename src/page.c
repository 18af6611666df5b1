/* page.c: frames, page flags, busy pages and sleeping on them */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys.h"
#include "policy.h"
#include "upager_int.h"

/*
 * The life of a page (flags in vpage.flags, queue in vpage.pqflags):
 *
 *   free --pg_alloc--> BUSY|FAKE|CLEAN, on the active queue, in the index
 *   BUSY|FAKE --read done--> BUSY (valid)   [gp_getpages; aio_done unbusies]
 *   BUSY|FAKE --I/O error--> free                     [pg_release]
 *   BUSY --pg_unbusy--> idle (WANTED sleepers and parked faults woken)
 *                                                    [pg_unbusy]
 *   idle --ubc write / fault--> BUSY, then idle without CLEAN (dirty)
 *   dirty --putpages--> BUSY|CLEAN during the write, then idle and clean,
 *                        or dirty again if the write failed  [pp_put]
 *   idle --wired by a reader--> wire > 0 (cannot be freed)   [ubc_read]
 *   idle, clean, unwired --pg_free--> free (frame punched out of the memfd)
 *   BUSY or wired, past EOF or invalidated --> RELEASED, freed by whoever
 *                        drops the last busy or wire   [pg_unbusy/pg_unwire]
 *   RDONLY: a hole read; a write must allocate blocks first  [gp_getpages]
 *
 * A frame is "resident" from pg_alloc to pg_free: that count is the budget.
 */

int pg_init(struct upager *pg)
{
	uint64_t i;
	int k;

	pg->pages = calloc(pg->budget_pages, sizeof(struct vpage));
	if (pg->pages == NULL)
		return -ENOMEM;
	TAILQ_INIT(&pg->active);
	TAILQ_INIT(&pg->inactive);
	TAILQ_INIT(&pg->freeq);
	for (i = 0; i < pg->budget_pages; i++) {
		pg->pages[i].pqflags = PQ_FREE;
		TAILQ_INSERT_TAIL(&pg->freeq, &pg->pages[i], pageq);
	}
	for (k = 0; k < PG_NWAITQ; k++) {
		pthread_mutex_init(&pg->waitq[k].m, NULL);
		pthread_cond_init(&pg->waitq[k].cv, NULL);
	}
	return 0;
}

void pg_fini(struct upager *pg)
{
	int k;

	for (k = 0; k < PG_NWAITQ; k++) {
		pthread_mutex_destroy(&pg->waitq[k].m);
		pthread_cond_destroy(&pg->waitq[k].cv);
	}
	free(pg->pages);
}

/* pg_lookup: the resident page at pgno, or NULL.  => object locked. */
struct vpage *pg_lookup(struct uobj *o, uint64_t pgno)
{
	LOCK_ASSERT_HELD(&o->lock);
	return rdx_lookup(&o->idx, pgno);
}

/*
 * pg_alloc: give the object a new page at pgno.
 * => object locked; pgno not resident.
 * => returns the page BUSY|FAKE|CLEAN, owned by the caller, on the active
 *    queue; or NULL with *err = -EAGAIN when the budget is used up (the
 *    caller drops its busy pages and locks, then calls pd_wait_free), or
 *    -ENOMEM.
 */
struct vpage *pg_alloc(struct uobj *o, uint64_t pgno, int *err)
{
	struct upager *pg = o->pg;
	struct vpage *p;

	LOCK_ASSERT_HELD(&o->lock);
	KASSERT(pg_lookup(o, pgno) == NULL);
	pthread_mutex_lock(&pg->pqlock);
	p = TAILQ_FIRST(&pg->freeq);
	if (p == NULL) {
		pthread_mutex_unlock(&pg->pqlock);
		*err = -EAGAIN;
		return NULL;
	}
	TAILQ_REMOVE(&pg->freeq, p, pageq);
	p->pqflags = 0;
	if (rdx_insert(&o->idx, pgno, p) != 0) {
		p->pqflags = PQ_FREE;
		TAILQ_INSERT_HEAD(&pg->freeq, p, pageq);
		pthread_mutex_unlock(&pg->pqlock);
		*err = -ENOMEM;
		return NULL;
	}
	p->obj = o;
	p->pgno = pgno;
	p->flags = PG_BUSY | PG_FAKE | PG_CLEAN;
	p->wire = 0;
	__atomic_store_n(&p->referenced, 0, __ATOMIC_RELAXED);
#ifdef UPAGER_DEBUG
	p->owner = pthread_self();
#endif
	pg->policy->insert(pg, p);
	pg->nresident++;
	if (pg->budget_pages - pg->nresident < pg->pd_lowat)
		pthread_cond_signal(&pg->pdcv);
	/* upager_stats reads every counter atomically */
	if (pg->nresident > pg->st.peak_resident)
		__atomic_store_n(&pg->st.peak_resident, pg->nresident,
		    __ATOMIC_RELAXED);
	pthread_mutex_unlock(&pg->pqlock);
	o->npages++;
	return p;
}

/*
 * pg_freerun: give the frames of pages pps[0..n) back; consecutive pages
 * cost one punch between them (a clustered free).
 * => object locked, pqlock not held; the pages idle, or BUSY owned by the
 *    caller, and not wired.  The frames are punched out of the memfd before
 *    the pages leave the index, so no new page at those offsets can be
 *    filled first and then punched.
 */
void pg_freerun(struct uobj *o, struct vpage **pps, int n)
{
	struct upager *pg = o->pg;
	int i, j;

	LOCK_ASSERT_HELD(&o->lock);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && pps[j]->pgno == pps[j - 1]->pgno + 1;
		    j++)
			;
		/* a failed punch leaves data in the frames; whoever gets
		 * the offsets again overwrites or zeroes them (store_zero) */
		if (sys_punch(o->memfd, ptoa(pps[i]->pgno), ptoa(j - i)) != 0)
			__atomic_store_n(&o->stale, true, __ATOMIC_RELAXED);
	}
	for (i = 0; i < n; i++) {
		struct vpage *p = pps[i];

		KASSERT(p->obj == o && p->wire == 0);
		if (p->flags & PG_WANTED)
			pg_wakeup(o, p);
		if (p->flags & PG_RAHEAD) {
			ST_ADD(pg, ra_wasted, 1);
			gp_ranote(o, 0, 1);
		}
		rdx_remove(&o->idx, p->pgno);
		o->npages--;
	}
	pthread_mutex_lock(&pg->pqlock);
	for (i = 0; i < n; i++) {
		struct vpage *p = pps[i];

		pg->policy->remove(pg, p);
		p->obj = NULL;
		p->flags = 0;
		p->version++;
		p->pqflags = PQ_FREE;
		TAILQ_INSERT_TAIL(&pg->freeq, p, pageq);
	}
	pg->nresident -= (uint64_t)n;
	if (pg->pd_nwait > 0)
		pthread_cond_broadcast(&pg->freecv);
	pthread_mutex_unlock(&pg->pqlock);
}

/* pg_free: give one page's frame back, as pg_freerun. */
void pg_free(struct uobj *o, struct vpage *p)
{
	pg_freerun(o, &p, 1);
}

/* pg_busy: take ownership of an idle page.  => object locked. */
void pg_busy(struct vpage *p)
{
	KASSERT((p->flags & PG_BUSY) == 0);
	p->flags |= PG_BUSY;
#ifdef UPAGER_DEBUG
	p->owner = pthread_self();
#endif
}

/*
 * pg_unbusy: give up ownership; wake sleepers; free the page if it was
 * RELEASED (or is still FAKE: nobody filled it) and nobody wires it.
 * => object locked.
 */
void pg_unbusy(struct uobj *o, struct vpage *p)
{
	KASSERT(p->flags & PG_BUSY);
	p->flags &= ~PG_BUSY;
	if (p->flags & PG_WANTED)
		pg_wakeup(o, p);
	if ((p->flags & (PG_RELEASED | PG_FAKE)) && p->wire == 0)
		pg_free(o, p);
}

/* pg_unwire: a reader is done with the page.  => object locked. */
void pg_unwire(struct uobj *o, struct vpage *p)
{
	KASSERT(p->wire > 0);
	if (--p->wire == 0) {
		if (p->flags & PG_WANTED)
			pg_wakeup(o, p);
		if ((p->flags & (PG_RELEASED | PG_BUSY)) == PG_RELEASED)
			pg_free(o, p);
	}
}

/* pg_reference: note a use, for the page daemon's second chance. */
void pg_reference(struct vpage *p)
{
	if (__atomic_load_n(&p->referenced, __ATOMIC_RELAXED) == 0)
		__atomic_store_n(&p->referenced, 1, __ATOMIC_RELAXED);
}

static struct pgwaitq *pg_waitq(struct uobj *o, struct vpage *p)
{
	uintptr_t h = (uintptr_t)p / sizeof(*p);

	return &o->pg->waitq[(h ^ (h >> 7)) % PG_NWAITQ];
}

/*
 * pg_wait: sleep until the page is unbusied, unwired or freed.
 * => object locked on entry and on return; it is dropped while asleep, so
 *    the caller must look the page up again (it may be gone or reused).
 * => the caller holds no busy page (see the lock order).
 */
void pg_wait(struct uobj *o, struct vpage *p)
{
	struct pgwaitq *wq = pg_waitq(o, p);
	uint64_t seq;

	LOCK_ASSERT_HELD(&o->lock);
	p->flags |= PG_WANTED;
	pthread_mutex_lock(&wq->m);
	seq = wq->seq;
	pthread_mutex_unlock(&o->lock);
	while (wq->seq == seq)
		pthread_cond_wait(&wq->cv, &wq->m);
	pthread_mutex_unlock(&wq->m);
	pthread_mutex_lock(&o->lock);
}

/* pg_wakeup: wake every sleeper on the page.  => object locked. */
void pg_wakeup(struct uobj *o, struct vpage *p)
{
	struct pgwaitq *wq = pg_waitq(o, p);

	LOCK_ASSERT_HELD(&o->lock);
	p->flags &= ~PG_WANTED;
	vm_pend_wake(o, p, 0);
	pthread_mutex_lock(&wq->m);
	wq->seq++;
	pthread_cond_broadcast(&wq->cv);
	pthread_mutex_unlock(&wq->m);
}

/*
 * pg_findpages: find or allocate *npages pages from pgno (uvn_findpages).
 * => object locked on entry and on return (dropped while sleeping).
 * => every page put in pps is BUSY and owned by the caller; *npages is set
 *    to how many consecutive pages were got.
 * => UFP_NOWAIT: stop at a busy page; UFP_NOALLOC: stop at a missing page;
 *    UFP_DIRTYONLY: stop at a clean page; UFP_BACKWARD: walk down from
 *    pgno, filling pps from the end.  Without UFP_NOWAIT the pages are
 *    taken in ascending order and busy ones are waited for.
 * => returns 0, or -EAGAIN when no frame was free (the pages got so far are
 *    kept: the caller decides), or -ENOMEM.
 */
int pg_findpages(struct uobj *o, uint64_t pgno, int *npages,
    struct vpage **pps, int flags)
{
	int want = *npages, got = 0, err = 0;
	struct vpage *p;

	LOCK_ASSERT_HELD(&o->lock);
	while (got < want) {
		uint64_t n;

		if (flags & UFP_BACKWARD) {
			if (pgno < (uint64_t)got)
				break;
			n = pgno - (uint64_t)got;
		} else {
			n = pgno + (uint64_t)got;
		}
		p = pg_lookup(o, n);
		if (p == NULL) {
			if (flags & (UFP_NOALLOC | UFP_DIRTYONLY))
				break;
			if ((p = pg_alloc(o, n, &err)) == NULL)
				break;
		} else {
			if (p->flags & PG_BUSY) {
				if (flags & UFP_NOWAIT)
					break;
				pg_wait(o, p);
				continue;
			}
			if ((flags & UFP_DIRTYONLY) &&
			    (p->flags & (PG_CLEAN | PG_RELEASED)))
				break;
			pg_busy(p);
		}
		if (flags & UFP_BACKWARD)
			pps[want - 1 - got] = p;
		else
			pps[got] = p;
		got++;
	}
	*npages = got;
	return err;
}

/*
 * pg_release: unbusy pages got by pg_findpages without using them; pages
 * still FAKE are freed.  => object locked.
 */
void pg_release(struct uobj *o, struct vpage **pps, int npages)
{
	int i;

	for (i = 0; i < npages; i++)
		if (pps[i] != NULL)
			pg_unbusy(o, pps[i]);
}

/*
 * obj_check: validate an object and its pages (the one checker).
 * => object locked.  Returns 0 or -EUCLEAN after printing the problem.
 */
int obj_check(struct uobj *o)
{
	uint64_t key = 0, n = 0, eofpg = atop(round_page(o->size));
	struct vpage *p;
	int bad = 0;

#define BAD(...) do { fprintf(stderr, "upager check: " __VA_ARGS__); \
	bad = 1; } while (0)
	LOCK_ASSERT_HELD(&o->lock);
	while ((p = rdx_next(&o->idx, &key)) != NULL) {
		n++;
		if (p->obj != o)
			BAD("page %lu: owner %p, not %p\n",
			    (unsigned long)key, (void *)p->obj, (void *)o);
		if (p->pgno != key)
			BAD("page %lu indexed at %lu\n",
			    (unsigned long)p->pgno, (unsigned long)key);
		if ((p->flags & PG_RELEASED) &&
		    !(p->flags & PG_BUSY) && p->wire == 0)
			BAD("page %lu released but idle\n", (unsigned long)key);
		if ((p->flags & PG_FAKE) && !(p->flags & PG_BUSY))
			BAD("page %lu fake but idle\n", (unsigned long)key);
		if (key >= eofpg && !(p->flags & (PG_BUSY | PG_RELEASED)))
			BAD("page %lu past EOF (size %lld)\n",
			    (unsigned long)key, (long long)o->size);
		/* views may write past EOF in the last page, as the
		 * kernel's mmap lets them: the zeros are restored when the
		 * file grows over them (obj_zerotail) */
		if (key + 1 == eofpg && (o->size & (off_t)PAGE_MASK) &&
		    !o->everwmapped && !(p->flags & (PG_BUSY | PG_FAKE))) {
			const char *d = pg_addr(o, p);
			size_t i;

			for (i = (size_t)(o->size & (off_t)PAGE_MASK);
			    i < PAGE_SIZE; i++)
				if (d[i] != 0) {
					BAD("page %lu: byte %zu past EOF not "
					    "zero\n", (unsigned long)key, i);
					break;
				}
		}
		if ((p->flags & PG_RDONLY) && !(p->flags & PG_CLEAN))
			BAD("page %lu dirty hole\n", (unsigned long)key);
		key++;
	}
	if (n != o->npages || n != o->idx.count)
		BAD("object has %lu pages, counts %lu/%lu\n", (unsigned long)n,
		    (unsigned long)o->npages, (unsigned long)o->idx.count);
	if (o->size < 0)
		BAD("negative size %lld\n", (long long)o->size);
#undef BAD
	return bad ? -EUCLEAN : 0;
}
