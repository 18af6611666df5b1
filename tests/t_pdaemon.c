/*
 * t_pdaemon.c: the page daemon seen from inside: it wakes below the low
 * water mark and stops at the high one; laundering that fails keeps the
 * pages dirty and cached while the daemon frees other pages, and the
 * error reaches the next sync; nothing is lost once the fault clears;
 * pages used through a view without faults are seen used, and kept; a
 * writer that outruns the disk finds several pageouts in flight.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include "debug.h"
#include "sys.h"
#include "testlib.h"
#include "upager_int.h"

#define BUDGET (256 * 4096)
#define CLUSTER (16 * 4096)

/* nfree: frames free now */
static uint64_t nfree(upager_t *pg)
{
	struct upager_stats st = stats(pg);

	return st.budget_pages - st.resident;
}

/* settle: wait (5 s at most) until the daemon sleeps with no pageout in
 * flight, then return the frames free */
static uint64_t settle(upager_t *pg)
{
	uint64_t a = nfree(pg), b;
	int i;

	for (i = 0; i < 500; i++) {
		usleep(10000);
		pthread_mutex_lock(&pg->pqlock);
		bool idle = pg->nlaunder == 0 && pg->pd_nwait == 0;
		pthread_mutex_unlock(&pg->pqlock);
		b = nfree(pg);
		if (idle && a == b)
			return b;
		a = b;
	}
	FAIL("the page daemon did not settle");
	return 0;
}

/*
 * test_marks: a scan of a file four times the budget leaves the daemon
 * asleep with between the high water mark and a batch more frames free:
 * it woke below the low mark, and it did the reclaim, not the reader.
 */
static void test_marks(void)
{
	const size_t n = 4 * (size_t)BUDGET, chunk = 64 * KiB;
	unsigned char *exp = xmalloc(n), *buf = xmalloc(chunk);
	upager_t *pg = mkpager_cfg(BUDGET, CLUSTER, CLUSTER, 0, QUIET_SYNCER);
	const char *p = tpath("marks");
	upager_file_t *f;
	uint64_t free_after, lowat = pg->pd_lowat, hiwat = pg->pd_hiwat;

	CHECK(lowat > 0 && lowat < hiwat && hiwat <= pg->budget_pages / 2);
	fill(exp, n, 0, 3);
	disk_write(p, exp, n, 0, O_TRUNC);
	f = uopen(pg, p, O_RDONLY);
	CHECK_EQ(stats(pg).pdaemon_passes, 0);
	for (size_t off = 0; off < n; off += chunk) {
		UREAD(f, buf, chunk, (off_t)off);
		CHECK_MEM(buf, exp + off, chunk);
	}
	free_after = settle(pg);
	CHECK(stats(pg).pdaemon_passes >= 1);
	CHECK(stats(pg).reclaimed >= n / PG - pg->budget_pages);
	/* asleep: at least the low mark free; and it stopped near the high
	 * mark (the last run it freed may go past it) */
	CHECK(free_after >= lowat);
	CHECK(free_after <= hiwat + 64);
	PCHECK(pg);
	CHECK_OK(upager_close(f));
	CHECK_OK(upager_destroy(pg));
	unlink(p);
	free(exp);
	free(buf);
}

struct depth {
	upager_t *pg;
	int stop;                  /* atomic */
	uint64_t peak;             /* most pages in pageout at once */
	int checks;                /* checker runs with pageouts in flight */
};

/* depth_sampler: watch how many pages are in pageout, and run the checker
 * now and then while some are */
static void *depth_sampler(void *arg)
{
	struct depth *d = arg;
	unsigned i = 0;

	while (!__atomic_load_n(&d->stop, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&d->pg->pqlock);
		uint64_t n = d->pg->nlaunder;
		pthread_mutex_unlock(&d->pg->pqlock);
		d->peak = MAX(d->peak, n);
		if (n > 0 && ++i % 64 == 0) {
			CHECK_EQ(dbg_check_pager(d->pg), 0);
			d->checks++;
		}
		usleep(100);
	}
	return NULL;
}

/*
 * test_launder_depth: a file four times the budget overwritten with
 * pwrite while every write-back takes 3 ms: the writer outruns the disk,
 * and the daemon keeps PD_LAUNDERQ clusters in pageout at once, not one
 * (it used to take the cluster it had just started, busy at the head of
 * the inactive queue, for pages in use, and stop).  The checker, run
 * meanwhile, finds each page in pageout busy and counted.
 */
static void test_launder_depth(void)
{
	const size_t budget = 1024 * PG, n = 4 * budget, chunk = 64 * KiB;
	unsigned char *exp = xmalloc(n);
	upager_t *pg = mkpager_cfg(budget, CLUSTER, CLUSTER, 0, QUIET_SYNCER);
	const char *p = tpath("depth");
	struct depth d = { .pg = pg };
	upager_file_t *f;
	pthread_t t;

	CHECK(pg->pd_hiwat - pg->pd_lowat >= 4 * CLUSTER / PG);
	fill(exp, n, 0, 9);
	disk_write(p, exp, n, 0, O_TRUNC);
	fill(exp, n, 0, 10);
	f = uopen(pg, p, O_RDWR);
	sys_fault_set(SYS_PWRITE, &(struct sys_fault){ .delay_ms = 3 });
	CHECK_EQ(pthread_create(&t, NULL, depth_sampler, &d), 0);
	for (size_t off = 0; off < n; off += chunk)
		UWRITE(f, exp + off, chunk, (off_t)off);
	__atomic_store_n(&d.stop, 1, __ATOMIC_RELAXED);
	CHECK_EQ(pthread_join(t, NULL), 0);
	sys_fault_clear(SYS_NKIND);
	CHECK(stats(pg).laundered > 0);
	/* 80 pages with the skip, 32-48 without it (either engine) */
	CHECK(d.peak >= 4 * CLUSTER / PG);
	CHECK(d.checks > 0);
	CHECK_OK(upager_close(f));
	PCHECK(pg);
	CHECK_OK(upager_destroy(pg));
	DISK_EXPECT(p, exp, n);
	unlink(p);
	free(exp);
}

/* ndirty: pages of f's object resident and dirty */
static uint64_t ndirty(struct uobj *o, uint64_t npages)
{
	uint64_t k, n = 0;
	struct vpage *pp;

	pthread_mutex_lock(&o->lock);
	for (k = 0; k < npages; k++)
		if ((pp = pg_lookup(o, k)) != NULL && !(pp->flags & PG_CLEAN))
			n++;
	pthread_mutex_unlock(&o->lock);
	return n;
}

/*
 * test_launder_errors: a quarter of the budget dirty in file A, whose
 * write-back fails (EIO) while file B, twice the budget, is read through:
 * the daemon launders A, fails, keeps A's pages dirty and cached, and
 * frees B's pages instead, so the reads of B complete.  The error is
 * A's next sync's; the sync after it writes everything.
 */
static void test_launder_errors(void)
{
	const size_t na = BUDGET / 4, nb = 2 * (size_t)BUDGET, chunk = 64 * KiB;
	unsigned char *ea = xmalloc(na), *eb = xmalloc(nb);
	unsigned char *buf = xmalloc(nb);
	upager_t *pg = mkpager_cfg(BUDGET, CLUSTER, CLUSTER, 0, QUIET_SYNCER);
	const char *pa = tpath("launder_a"), *pb = tpath("launder_b");
	upager_file_t *fa, *fb;
	struct upager_stats s0, s1;

	fill(ea, na, 0, 5);
	fill(eb, nb, 0, 6);
	disk_write(pb, eb, nb, 0, O_TRUNC);
	fa = uopen(pg, pa, O_RDWR | O_CREAT | O_TRUNC);
	fb = uopen(pg, pb, O_RDONLY);
	UWRITE(fa, ea, na, 0);
	CHECK_EQ(ndirty(fa->obj, na / PG), na / PG);
	/* A's pages go to the inactive queue first */
	pthread_mutex_lock(&fa->obj->lock);
	CHECK_OK(pp_flush(fa->obj, 0, na / PG, PGO_DEACTIVATE));
	pthread_mutex_unlock(&fa->obj->lock);
	s0 = stats(pg);
	sys_fault_set(SYS_PWRITE, &(struct sys_fault){ .err = EIO });
	for (size_t off = 0; off < nb; off += chunk)
		UREAD(fb, buf + off, chunk, (off_t)off);
	CHECK_MEM(buf, eb, nb);
	(void)settle(pg);
	s1 = stats(pg);
	CHECK(sys_fault_hits(SYS_PWRITE) >= 1);
	CHECK(s1.write_errors > s0.write_errors);
	CHECK_EQ(s1.laundered, s0.laundered);
	/* A all there, all dirty: only B's pages were freed */
	CHECK_EQ(fa->obj->npages, na / PG);
	CHECK_EQ(ndirty(fa->obj, na / PG), na / PG);
	CHECK(s1.reclaimed - s0.reclaimed >= nb / PG - pg->budget_pages);
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_sync(fa, 0, 0, UPAGER_SYNC_WAIT), -EIO);
	CHECK_EQ(upager_sync(fa, 0, 0, UPAGER_SYNC_WAIT), 0);
	CHECK_EQ(ndirty(fa->obj, na / PG), 0);
	DISK_EXPECT(pa, ea, na);
	CHECK_OK(upager_close(fb));
	CHECK_OK(upager_close(fa));
	CHECK_OK(upager_destroy(pg));
	unlink(pa);
	unlink(pb);
	free(ea);
	free(eb);
	free(buf);
}

/*
 * test_sampling: a few hot pages of a view, read between every step of a
 * scan of a file 16 times the budget, stay resident: the daemon unmaps
 * them from the view when it deactivates them, their next read faults
 * and marks them used, and it keeps them.  Mapped pages are used without
 * faults, so without the unmapping the daemon would see them unused and
 * free them like the scan's.
 */
static void test_sampling(void)
{
	const size_t n = 16 * (size_t)BUDGET;
	const uint64_t nhot = 8;
	unsigned char *exp = xmalloc(n);
	upager_t *pg = mkpager_cfg(BUDGET, CLUSTER, CLUSTER, 0, QUIET_SYNCER);
	const char *p = tpath("sampling");
	upager_file_t *f;
	struct upager_stats st;
	volatile unsigned char *a;
	void *addr;
	uint64_t k, h, sum = 0, want = 0, ver[8], nfreed = 0;
	struct vpage *hot[8];

	fill(exp, n, 0, 7);
	disk_write(p, exp, n, 0, O_TRUNC);
	f = uopen(pg, p, O_RDONLY);
	CHECK_OK(upager_map(f, 0, n, PROT_READ, MAP_SHARED, &addr));
	a = addr;
	/* the hot pages are 64 pages apart: no read-around brings one in
	 * with another, or with the scan */
	for (h = 0; h < nhot; h++)
		sum += a[h * 64 * PG];
	pthread_mutex_lock(&f->obj->lock);
	for (h = 0; h < nhot; h++) {
		want += exp[h * 64 * PG];
		CHECK((hot[h] = pg_lookup(f->obj, h * 64)) != NULL);
		ver[h] = hot[h]->version;
	}
	pthread_mutex_unlock(&f->obj->lock);
	for (k = nhot * 64; k < n / PG; k++) {
		sum += a[k * PG];
		want += exp[k * PG];
		for (h = 0; h < nhot; h++) {
			sum += a[h * 64 * PG + 1];
			want += exp[h * 64 * PG + 1];
		}
		/* a page freed and read again has another descriptor or
		 * version */
		pthread_mutex_lock(&f->obj->lock);
		for (h = 0; h < nhot; h++) {
			struct vpage *q = pg_lookup(f->obj, h * 64);

			if (q != hot[h] || (q != NULL && q->version != ver[h])) {
				nfreed++;
				hot[h] = q;
				ver[h] = q != NULL ? q->version : 0;
			}
		}
		pthread_mutex_unlock(&f->obj->lock);
	}
	CHECK_EQ(sum, want);
	/* unsampled, the hot pages are freed about 100 times here (every
	 * time the daemon reaches them); sampled, a few times at most, when
	 * the daemon reached one before its next read */
	if (nfreed >= 24)
		FAIL("hot pages freed %lu times", (unsigned long)nfreed);
	st = stats(pg);
	CHECK(st.reclaimed >= n / PG / 2);
	CHECK(st.deactivated > 0);
	CHECK(st.reactivated >= nhot);
	PCHECK(pg);
	CHECK_OK(upager_unmap(addr, n));
	CHECK_OK(upager_close(f));
	CHECK_OK(upager_destroy(pg));
	unlink(p);
	free(exp);
}

int main(void)
{
	upager_t *pg = mkpager(0);

	set_page_size(pg);
	CHECK_OK(upager_destroy(pg));
	test_marks();
	test_launder_errors();
	test_sampling();
	test_launder_depth();
	rm_test_dir();
	printf("t_pdaemon: ok\n");
	return 0;
}
