/* t_putpages.c: the flush flags and clustering of putpages, seen from inside */
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "debug.h"
#include "sys.h"
#include "upager_int.h"

#define NP 64

static struct upager_stats stats(upager_t *pg)
{
	struct upager_stats st;

	CHECK_OK(upager_stats(pg, &st));
	return st;
}

/* count pages of [lo, hi) with all of `set` and none of `clear` flags */
static int count(struct uobj *o, uint64_t lo, uint64_t hi, int set, int clear)
{
	struct vpage *p;
	uint64_t k;
	int n = 0;

	pthread_mutex_lock(&o->lock);
	for (k = lo; k < hi; k++)
		if ((p = pg_lookup(o, k)) != NULL &&
		    (p->flags & set) == set && (p->flags & clear) == 0)
			n++;
	pthread_mutex_unlock(&o->lock);
	return n;
}

/* wait_idle: wait until no page of [lo, hi) is busy (I/O in flight) */
static void wait_idle(struct uobj *o, uint64_t lo, uint64_t hi)
{
	int i;

	for (i = 0; i < 10000 && count(o, lo, hi, PG_BUSY, 0) > 0; i++)
		usleep(1000);
	CHECK_EQ(count(o, lo, hi, PG_BUSY, 0), 0);
}

static void dirty(upager_file_t *f, uint64_t lo, uint64_t hi, char c)
{
	char buf[PAGE_SIZE];
	uint64_t k;

	memset(buf, c, sizeof(buf));
	for (k = lo; k < hi; k++)
		CHECK_EQ(upager_pwrite(f, buf, PAGE_SIZE, ptoa(k)), PAGE_SIZE);
}

int main(void)
{
	struct upager_config cfg = { .budget = 1 << 20, .cluster = 16 * 4096 };
	struct upager_stats a, b;
	char path[512];
	upager_t *pg;
	upager_file_t *f;
	struct uobj *o;
	struct vpage *p;
	int nfreed, nput;

	snprintf(path, sizeof(path), "%s/putpages", test_dir());
	CHECK_OK(upager_create(&cfg, &pg));
	CHECK_OK(upager_open(pg, path, O_RDWR | O_CREAT, 0644, &f));
	o = f->obj;

	/* CLEANIT: 64 dirty pages go out in clusters of 16 */
	dirty(f, 0, NP, 'a');
	CHECK_EQ(count(o, 0, NP, 0, PG_CLEAN), NP);
	a = stats(pg);
	pthread_mutex_lock(&o->lock);
	CHECK_OK(pp_flush(o, 0, NP, PGO_CLEANIT | PGO_SYNCIO));
	pthread_mutex_unlock(&o->lock);
	b = stats(pg);
	CHECK_EQ(count(o, 0, NP, PG_CLEAN, 0), NP);
	CHECK_EQ(b.pages_out - a.pages_out, NP);
	CHECK_EQ(b.cluster_hist[4] - a.cluster_hist[4], NP / 16);

	/* a cluster builds backward and forward around its page */
	dirty(f, 10, 21, 'b');
	a = stats(pg);
	pthread_mutex_lock(&o->lock);
	p = pg_lookup(o, 15);
	pg_busy(p);
	CHECK_OK(pp_put(o, p, PGO_SYNCIO, &nfreed, &nput));
	pthread_mutex_unlock(&o->lock);
	b = stats(pg);
	CHECK_EQ(nput, 11);
	CHECK_EQ(b.pages_out - a.pages_out, 11);
	CHECK_EQ(b.cluster_hist[3] - a.cluster_hist[3], 1);  /* 8..15 pages */
	CHECK_EQ(count(o, 0, NP, PG_CLEAN, 0), NP);

	/* without SYNCIO the engine writes the cluster: the pages stay busy
	 * until its aiodone, then are clean; a failed write leaves them
	 * dirty and the error for the next sync */
	dirty(f, 20, 26, 'B');
	a = stats(pg);
	pthread_mutex_lock(&o->lock);
	p = pg_lookup(o, 22);
	pg_busy(p);
	CHECK_OK(pp_put(o, p, 0, &nfreed, &nput));
	pthread_mutex_unlock(&o->lock);
	CHECK_EQ(nput, 6);
	CHECK_EQ(nfreed, 0);
	wait_idle(o, 20, 26);
	b = stats(pg);
	CHECK_EQ(count(o, 20, 26, PG_CLEAN, 0), 6);
	CHECK_EQ(b.pages_out - a.pages_out, 6);
	CHECK_EQ(b.cluster_hist[2] - a.cluster_hist[2], 1);  /* 4..7 pages */
	dirty(f, 20, 23, 'C');
	sys_fault_set(SYS_PWRITE, &(struct sys_fault){ .err = EIO });
	pthread_mutex_lock(&o->lock);
	p = pg_lookup(o, 21);
	pg_busy(p);
	CHECK_OK(pp_put(o, p, 0, &nfreed, &nput));
	pthread_mutex_unlock(&o->lock);
	CHECK_EQ(nput, 3);
	wait_idle(o, 20, 23);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(count(o, 20, 23, 0, PG_CLEAN), 3);
	CHECK_EQ(upager_sync(f, 0, 0, 0), -EIO);
	CHECK_EQ(count(o, 0, NP, PG_CLEAN, 0), NP);

	/* BUSYFAIL: a busy page fails the flush instead of waiting */
	dirty(f, 30, 32, 'c');
	pthread_mutex_lock(&o->lock);
	p = pg_lookup(o, 31);
	pg_busy(p);
	CHECK_EQ(pp_flush(o, 31, 32, PGO_CLEANIT | PGO_BUSYFAIL), -EDEADLK);
	pg_unbusy(o, p);
	CHECK_OK(pp_flush(o, 30, 32, PGO_CLEANIT | PGO_BUSYFAIL));
	pthread_mutex_unlock(&o->lock);
	CHECK_EQ(count(o, 30, 32, PG_CLEAN, 0), 2);

	/* DEACTIVATE: the range moves to the inactive queue */
	pthread_mutex_lock(&o->lock);
	CHECK_OK(pp_flush(o, 0, 8, PGO_DEACTIVATE));
	pthread_mutex_lock(&pg->pqlock);
	for (uint64_t k = 0; k < 8; k++)
		CHECK(pg_lookup(o, k)->pqflags & PQ_INACTIVE);
	CHECK(pg_lookup(o, 8)->pqflags & PQ_ACTIVE);
	pthread_mutex_unlock(&pg->pqlock);
	pthread_mutex_unlock(&o->lock);

	/* FREE with CLEANIT: dirty pages are written, then all are freed */
	dirty(f, 40, 44, 'd');
	a = stats(pg);
	pthread_mutex_lock(&o->lock);
	CHECK_OK(pp_flush(o, 40, 48, PGO_CLEANIT | PGO_FREE | PGO_SYNCIO));
	pthread_mutex_unlock(&o->lock);
	b = stats(pg);
	CHECK_EQ(b.pages_out - a.pages_out, 4);
	CHECK_EQ(count(o, 40, 48, 0, 0), 0);
	CHECK_EQ(count(o, 0, 40, 0, 0), 40);

	/* a failed write keeps FREE from dropping the dirty page */
	dirty(f, 50, 51, 'e');
	sys_fault_set(SYS_PWRITE, &(struct sys_fault){ .err = EIO });
	pthread_mutex_lock(&o->lock);
	CHECK_EQ(pp_flush(o, 0, 0, PGO_ALLPAGES | PGO_CLEANIT | PGO_FREE),
	    -EIO);
	pthread_mutex_unlock(&o->lock);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(count(o, 0, NP, 0, PG_CLEAN), 1);
	CHECK_EQ(count(o, 0, NP, 0, 0), 1);
	CHECK_EQ(upager_sync(f, 0, 0, 0), -EIO);  /* kept, reported once */
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);     /* and now written */
	CHECK_EQ(count(o, 0, NP, PG_CLEAN, 0), 1);
	CHECK_OK(dbg_check_pager(pg));

	CHECK_OK(upager_close(f));
	CHECK_OK(upager_destroy(pg));
	unlink(path);
	rmdir(test_dir());
	printf("t_putpages: ok\n");
	return 0;
}
