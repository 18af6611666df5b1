/* clock.c: the CLOCK (second chance) replacement policy */
#include "policy.h"
#include "upager_int.h"

/*
 * Pages live on two queues, as in UVM: active (in use) and inactive
 * (candidates).  A use sets vpage.referenced without any lock; the hand
 * moves over the active queue, sending a referenced page back to its tail
 * with the bit cleared and an unreferenced one to the inactive queue; the
 * daemon takes candidates from the inactive head, and a page it finds in
 * use goes back to the active tail.  A sequential scan leaves its pages
 * on the inactive queue in file order, so they are freed in runs.
 */

static void ck_insert(struct upager *pg, struct vpage *p)
{
	LOCK_ASSERT_HELD(&pg->pqlock);
	KASSERT((p->pqflags & (PQ_ACTIVE | PQ_INACTIVE)) == 0);
	TAILQ_INSERT_TAIL(&pg->active, p, pageq);
	p->pqflags |= PQ_ACTIVE;
	pg->nactive++;
}

static void ck_remove(struct upager *pg, struct vpage *p)
{
	p->pqflags &= ~PQ_FRESH;
	LOCK_ASSERT_HELD(&pg->pqlock);
	if (p->pqflags & PQ_ACTIVE) {
		TAILQ_REMOVE(&pg->active, p, pageq);
		pg->nactive--;
	} else if (p->pqflags & PQ_INACTIVE) {
		TAILQ_REMOVE(&pg->inactive, p, pageq);
		pg->ninactive--;
	}
	p->pqflags &= ~(PQ_ACTIVE | PQ_INACTIVE);
}

static void ck_keep(struct upager *pg, struct vpage *p)
{
	ck_remove(pg, p);
	ck_insert(pg, p);
}

static void ck_cold(struct upager *pg, struct vpage *p)
{
	ck_remove(pg, p);
	__atomic_store_n(&p->referenced, 0, __ATOMIC_RELAXED);
	TAILQ_INSERT_TAIL(&pg->inactive, p, pageq);
	p->pqflags |= PQ_INACTIVE | PQ_FRESH;
	pg->ninactive++;
}

static void ck_skip(struct upager *pg, struct vpage *p)
{
	LOCK_ASSERT_HELD(&pg->pqlock);
	if (p->pqflags & PQ_INACTIVE) {
		TAILQ_REMOVE(&pg->inactive, p, pageq);
		TAILQ_INSERT_TAIL(&pg->inactive, p, pageq);
	}
}

/*
 * ck_next: the inactive head, after moving the hand over the active queue
 * until the inactive one holds `want` pages, and a third of all (UVM's
 * inactive target: a page's use has that long to show before the daemon
 * reaches it), or every active page was looked at twice (a referenced
 * page gets its second chance first).
 */
static struct vpage *ck_next(struct upager *pg, uint64_t want)
{
	uint64_t n = 2 * pg->nactive + 1;
	struct vpage *p;

	LOCK_ASSERT_HELD(&pg->pqlock);
	want = MAX(want, pg->nresident / 3);
	while (pg->ninactive < want && n-- > 0 &&
	    (p = TAILQ_FIRST(&pg->active)) != NULL) {
		if (__atomic_exchange_n(&p->referenced, 0, __ATOMIC_RELAXED))
			ck_keep(pg, p);
		else
			ck_cold(pg, p);
	}
	return TAILQ_FIRST(&pg->inactive);
}

/* ck_fresh: the newest deactivated pages are at the inactive tail */
static struct vpage *ck_fresh(struct upager *pg)
{
	struct vpage *p;
	int n = 0;

	LOCK_ASSERT_HELD(&pg->pqlock);
	TAILQ_FOREACH_REVERSE(p, &pg->inactive, pglist, pageq) {
		if (p->pqflags & PQ_FRESH)
			return p;
		if (++n >= 64)
			break;
	}
	return NULL;
}

static bool ck_iscold(struct upager *pg, struct vpage *p)
{
	(void)pg;
	return (p->pqflags & PQ_INACTIVE) != 0;
}

static void ck_count(struct upager *pg, uint64_t *act, uint64_t *inact)
{
	struct vpage *p;

	*act = *inact = 0;
	TAILQ_FOREACH(p, &pg->active, pageq)
		(*act)++;
	TAILQ_FOREACH(p, &pg->inactive, pageq)
		(*inact)++;
}

const struct pd_policy pd_clock = {
	.name = "clock",
	.insert = ck_insert,
	.remove = ck_remove,
	.keep = ck_keep,
	.skip = ck_skip,
	.cold = ck_cold,
	.next = ck_next,
	.iscold = ck_iscold,
	.fresh = ck_fresh,
	.count = ck_count,
};
