/* policy.h: the page replacement policy, as the page daemon sees it */
#ifndef UPAGER_POLICY_H
#define UPAGER_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct upager;
struct vpage;

/*
 * The daemon (pdaemon.c) decides what to do with a page: free it, launder
 * it, or pass over it; the policy decides the order in which it sees them,
 * and keeps whatever state that takes in the pager's queues.  Every call
 * is made with pqlock held and never sleeps.
 *
 *   insert(p)     p is new (pg_alloc)
 *   remove(p)     p is being freed
 *   keep(p)       the daemon found p in use (referenced since it last
 *                 looked, busy, wired): not a candidate for now
 *   cold(p)       a caller says p will not be used soon (PGO_DEACTIVATE)
 *   skip(p)       the daemon passes over candidate p for now (it is being
 *                 written by a pageout that will free it): it stays a
 *                 candidate, behind the others
 *   next(want)    the page the daemon should look at next, the daemon
 *                 being after `want` frames; NULL when there is none.  A
 *                 page returned stays queued until keep() or remove().
 *   iscold(p)     may p be freed along with a run of candidates?
 *   fresh()       a page deactivated lately, marked PQ_FRESH, that the
 *                 daemon should unmap from views now so that its use
 *                 shows before it is a candidate (pd_sample clears the
 *                 mark); NULL when there is none
 *   count(act, inact)  pages the policy holds, in use and candidates (for
 *                 the checker)
 */
struct pd_policy {
	const char *name;
	void (*insert)(struct upager *pg, struct vpage *p);
	void (*remove)(struct upager *pg, struct vpage *p);
	void (*keep)(struct upager *pg, struct vpage *p);
	void (*cold)(struct upager *pg, struct vpage *p);
	void (*skip)(struct upager *pg, struct vpage *p);
	struct vpage *(*next)(struct upager *pg, uint64_t want);
	bool (*iscold)(struct upager *pg, struct vpage *p);
	struct vpage *(*fresh)(struct upager *pg);
	void (*count)(struct upager *pg, uint64_t *act, uint64_t *inact);
};

/* CLOCK, second chance, on UVM's active and inactive queues (clock.c) */
extern const struct pd_policy pd_clock;

#endif /* UPAGER_POLICY_H */
