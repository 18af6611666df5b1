/*
 * t_errors.c: injected I/O errors.  With EIO and ENOSPC injected into
 * write-back no acknowledged data is lost: the pages stay dirty, the next
 * sync reports the error once, and after the fault clears a sync writes the
 * data; injected read errors return -EIO and leave no bad page cached.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys.h"
#include "testlib.h"

static int ncases;

static void arm(enum sys_kind kind, int err, unsigned long skip,
    unsigned long count, int short_io)
{
	struct sys_fault flt;

	memset(&flt, 0, sizeof(flt));
	flt.err = err;
	flt.short_io = short_io;
	flt.skip = skip;
	flt.count = count;
	sys_fault_set(kind, &flt);
}

/*
 * Write-back fails with err on every call: sync reports it, the data stays
 * readable and dirty, the disk keeps the old data; once the fault clears a
 * sync writes it.  Also through close (and a later sync_all) and destroy.
 */
static void test_writeback_fault(int err)
{
	char name[32];
	const char *p;
	size_t n = 16 * PG;
	unsigned char *old = xmalloc(n + PG), *exp = xmalloc(n + PG);
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *f;
	struct upager_stats s0, s1;

	snprintf(name, sizeof(name), "wb%d", err);
	p = tpath(name);
	fill(old, n, 0, 1);
	disk_write(p, old, n, 0, 0);
	f = uopen(pg, p, O_RDWR);
	fill(exp, n, 0, 2);
	UWRITE(f, exp, n, 0);		/* acknowledged */
	s0 = stats(pg);

	arm(SYS_PWRITE, err, 0, 0, 0);
	CHECK_EQ(upager_sync(f, 0, 0, 0), -err);
	CHECK(sys_fault_hits(SYS_PWRITE) >= 1);
	s1 = stats(pg);
	CHECK(s1.write_errors > s0.write_errors);
	UEXPECT(f, exp, n);		/* still readable, from the cache */
	DISK_EXPECT(p, old, n);		/* not on disk */
	PCHECK(pg);
	/* still failing: reported again, by this new attempt */
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT), -err);
	/* invalidation must not drop dirty pages it could not write */
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_INVALIDATE), -err);
	UEXPECT(f, exp, n);
	DISK_EXPECT(p, old, n);
	PCHECK(pg);

	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, n);
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT), 0);
	CHECK(stats(pg).pages_out >= s0.pages_out + 16);
	UEXPECT(f, exp, n);

	/* an extending write */
	fill(exp + n, 100, n, 3);
	UWRITE(f, exp + n, 100, (off_t)n);
	arm(SYS_PWRITE, err, 0, 0, 0);
	CHECK_EQ(upager_sync(f, 0, 0, 0), -err);
	CHECK_EQ(upager_size(f), n + 100);
	UEXPECT(f, exp, n + 100);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, n + 100);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);

	/* reported by close; the pages stay dirty, sync_all writes them */
	fill(exp + 2 * PG, 4 * PG, 2 * PG, 4);
	UWRITE(f, exp + 2 * PG, 4 * PG, (off_t)(2 * PG));
	memcpy(old, exp, n + 100);
	fill(old + 2 * PG, 4 * PG, 2 * PG, 2);	/* what the disk has now */
	arm(SYS_PWRITE, err, 0, 0, 0);
	CHECK_EQ(upager_close(f), -err);
	DISK_EXPECT(p, old, n + 100);
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_sync_all(pg), 0);
	DISK_EXPECT(p, exp, n + 100);
	f = uopen(pg, p, O_RDONLY);
	UEXPECT(f, exp, n + 100);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_sync_all(pg), 0);
	PCHECK(pg);

	/* pages that cannot be written go with a truncate below them */
	f = uopen(pg, p, O_RDWR);
	UWRITE(f, old, n + 100, 0);
	arm(SYS_PWRITE, err, 0, 0, 0);
	CHECK_EQ(upager_sync(f, 0, 0, 0), -err);
	CHECK_EQ(upager_truncate(f, (off_t)PG), 0);
	CHECK_EQ(upager_sync(f, 0, 0, 0), -err);	/* page 0 still fails */
	CHECK_EQ(upager_truncate(f, 0), 0);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);		/* nothing left */
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_INVALIDATE), 0);
	CHECK_EQ(stats(pg).resident, 0);
	CHECK_EQ(upager_size(f), 0);
	CHECK_EQ(disk_size(p), 0);
	CHECK_EQ(upager_close(f), 0);
	sys_fault_clear(SYS_NKIND);
	PCHECK(pg);
	f = uopen(pg, p, O_RDWR);
	UWRITE(f, exp, n + 100, 0);
	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(p, exp, n + 100);

	/* reported by destroy (the data is lost with the pager) */
	f = uopen(pg, p, O_RDWR);
	UWRITE(f, old, PG, 0);
	arm(SYS_PWRITE, err, 0, 0, 0);
	CHECK_EQ(upager_destroy(pg), -err);
	sys_fault_clear(SYS_NKIND);
	DISK_EXPECT(p, exp, n + 100);
	free(old);
	free(exp);
	ncases++;
}

/*
 * A budget of 64 pages and a 4 MiB file: write-back is forced while a
 * count-limited fault is armed.  Whatever was acknowledged ends on disk;
 * the error is reported exactly once.
 */
static void test_forced_writeback(int err, unsigned long skip,
    unsigned long count, int via_close)
{
	char name[48];
	const char *p;
	const size_t n = 4 * MiB, chunk = 64 * KiB, nchunk = n / chunk;
	unsigned char *exp = xcalloc(n), *buf = xmalloc(n);
	ssize_t *ack = xcalloc(nchunk * sizeof(ssize_t));
	upager_t *pg = mkpager_quiet(64 * PG);
	upager_file_t *f;
	size_t end = 0, nfail = 0, nshort = 0;
	int r1, r2;

	snprintf(name, sizeof(name), "forced%d_%lu_%lu_%d", err, skip, count,
	    via_close);
	p = tpath(name);
	f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	fill(exp, n, 0, 10);
	arm(SYS_PWRITE, err, skip, count, 0);
	for (size_t i = 0; i < nchunk; i++) {
		ssize_t r = upager_pwrite(f, exp + i * chunk, chunk,
		    (off_t)(i * chunk));

		CHECK(r >= -4095 && r <= (ssize_t)chunk);
		ack[i] = r;
		if (r < 0)
			nfail++;
		else if ((size_t)r < chunk)
			nshort++;
		if (r > 0 && i * chunk + (size_t)r > end)
			end = i * chunk + (size_t)r;
		(void)stats(pg);
	}
	CHECK_EQ(sys_fault_hits(SYS_PWRITE), count);
	CHECK(stats(pg).write_errors >= 1);
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	if (nfail + nshort > 0)
		fprintf(stderr, "t_errors: forced write-back err %d: %zu "
		    "writes failed, %zu short\n", err, nfail, nshort);

	if (via_close) {
		/* close reports it; the pages stay for sync_all */
		r1 = upager_close(f);
		r2 = upager_sync_all(pg);
		f = uopen(pg, p, O_RDONLY);
	} else {
		r1 = upager_sync(f, 0, 0, 0);
		r2 = upager_sync(f, 0, 0, 0);
	}
	/* the pending error, once; a lone failure may be healed by the
	 * page-by-page retry of its cluster, and then there is none */
	if (count >= 2)
		CHECK_EQ(r1, -err);
	else
		CHECK(r1 == 0 || r1 == -err);
	CHECK_EQ(r2, 0);
	CHECK(disk_size(p) >= (off_t)end);
	CHECK_EQ(upager_size(f), disk_size(p));
	CHECK_EQ(disk_read(p, buf, n, 0), (size_t)disk_size(p));
	for (size_t i = 0; i < nchunk; i++)
		if (ack[i] > 0) {
			CHECK_MEM(buf + i * chunk, exp + i * chunk,
			    (size_t)ack[i]);
			UREAD(f, buf + i * chunk, (size_t)ack[i],
			    (off_t)(i * chunk));
			CHECK_MEM(buf + i * chunk, exp + i * chunk,
			    (size_t)ack[i]);
		}
	PCHECK(pg);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	free(exp);
	free(buf);
	free(ack);
	ncases++;
}

/*
 * Write-back fails for good with a budget of 64 pages: writing far more
 * than the budget must fail (not hang, not overrun the budget); after the
 * fault clears, everything acknowledged reaches the disk.
 */
static void test_permanent_writeback(int err)
{
	char name[32];
	const char *p;
	const size_t n = 4 * MiB, chunk = 16 * KiB, nchunk = n / chunk;
	unsigned char *exp = xcalloc(n);
	upager_t *pg = mkpager_quiet(64 * PG);
	upager_file_t *f;
	size_t acked = 0, i;

	snprintf(name, sizeof(name), "perm%d", err);
	p = tpath(name);
	f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	fill(exp, n, 0, 20);
	arm(SYS_PWRITE, err, 0, 0, 0);
	for (i = 0; i < nchunk; i++) {
		ssize_t r = upager_pwrite(f, exp + i * chunk, chunk,
		    (off_t)(i * chunk));

		CHECK(r >= -4095 && r <= (ssize_t)chunk);
		(void)stats(pg);
		if (r > 0)
			acked = i * chunk + (size_t)r;
		if (r != (ssize_t)chunk)
			break;
	}
	CHECK(i < nchunk);	/* the cache cannot hold 4 MiB of dirty pages */
	CHECK(acked <= 64 * PG);
	CHECK_EQ(upager_size(f), acked);
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_sync(f, 0, 0, 0), -err);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, acked);
	/* and now the rest goes through */
	for (; i < nchunk; i++)
		UWRITE(f, exp + i * chunk, chunk, (off_t)(i * chunk));
	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(p, exp, n);
	CHECK_EQ(upager_destroy(pg), 0);
	free(exp);
	ncases++;
}

/*
 * A transient error on a large cluster: the library retries (page by page);
 * a sync may report the error once, and all data ends on disk.
 */
static void test_transient(int err)
{
	char name[32];
	const char *p;
	const size_t n = 64 * PG;
	unsigned char *old = xmalloc(n), *exp = xmalloc(n);
	upager_t *pg = mkpager_cfg(0, 64 * PG, 0, 0, QUIET_SYNCER);
	upager_file_t *f;
	int r1;

	snprintf(name, sizeof(name), "transient%d", err);
	p = tpath(name);
	fill(old, n, 0, 30);
	disk_write(p, old, n, 0, 0);
	f = uopen(pg, p, O_RDWR);
	fill(exp, n, 0, 31);
	UWRITE(f, exp, n, 0);
	arm(SYS_PWRITE, err, 0, 3, 0);
	r1 = upager_sync(f, 0, 0, 0);
	CHECK(r1 == 0 || r1 == -err);
	CHECK(sys_fault_hits(SYS_PWRITE) >= 1);
	UEXPECT(f, exp, n);
	if (r1 == 0) {
		/* retried within the sync: all written */
		DISK_EXPECT(p, exp, n);
	}
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, n);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	DISK_EXPECT(p, exp, n);
	free(old);
	free(exp);
	ncases++;
}

/* Page-in errors: -EIO, and no bad page left cached. */
static void test_read_errors(void)
{
	const char *p = tpath("rd");
	const size_t n = 32 * PG + 100;
	unsigned char *exp = xmalloc(n + PG), *buf = xmalloc(n + PG);
	upager_t *pg;
	upager_file_t *f;
	size_t nerr;
	ssize_t r;

	fill(exp, n, 0, 40);
	disk_write(p, exp, n, 0, 0);

	/* every read fails */
	pg = mkpager_quiet(0);
	f = uopen(pg, p, O_RDONLY);
	arm(SYS_PREAD, EIO, 0, 0, 0);
	CHECK_EQ(upager_pread(f, buf, n, 0), -EIO);
	CHECK_EQ(upager_pread(f, buf, 1, (off_t)(5 * PG + 3)), -EIO);
	CHECK_EQ(upager_pread(f, buf, n, 0), -EIO);
	CHECK(sys_fault_hits(SYS_PREAD) >= 1);
	CHECK(stats(pg).read_errors >= 1);
	CHECK_EQ(upager_size(f), n);
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	UEXPECT(f, exp, n);
	PCHECK(pg);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);

	/* one read fails, page by page (a read-ahead window of one page, so
	 * that there are many reads) */
	pg = mkpager_cfg(0, 0, PG, 0, QUIET_SYNCER);
	f = uopen(pg, p, O_RDONLY);
	arm(SYS_PREAD, EIO, 1, 1, 0);
	nerr = 0;
	for (size_t off = 0; off < n; off += PG) {
		size_t want = n - off < PG ? n - off : PG;

		r = upager_pread(f, buf, PG, (off_t)off);
		if (r < 0) {
			CHECK_EQ(r, -EIO);
			nerr++;
		} else {
			CHECK_EQ(r, want);
			CHECK_MEM(buf, exp + off, want);
		}
	}
	CHECK_EQ(sys_fault_hits(SYS_PREAD), 1);
	CHECK(nerr <= 1);	/* 0 if only read-ahead failed */
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	UEXPECT(f, exp, n);
	for (size_t off = 0; off < n; off += PG) {
		size_t want = n - off < PG ? n - off : PG;

		UREAD(f, buf, want, (off_t)off);
		CHECK_MEM(buf, exp + off, want);
	}
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);

	/* a partial-page write needs a read, a whole-page one does not */
	pg = mkpager_quiet(0);
	f = uopen(pg, p, O_RDWR);
	arm(SYS_PREAD, EIO, 0, 0, 0);
	CHECK_EQ(upager_pwrite(f, buf, 10, (off_t)PG + 5), -EIO);
	CHECK_EQ(upager_pwrite(f, buf, 10, (off_t)n - 5), -EIO);
	fill(exp + 2 * PG, PG, 2 * PG, 41);
	UWRITE(f, exp + 2 * PG, PG, (off_t)(2 * PG));
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	UEXPECT(f, exp, n);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, n);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	DISK_EXPECT(p, exp, n);
	free(exp);
	free(buf);
	ncases++;
}

/* Short transfers are completed by the library. */
static void test_short_io(unsigned flags)
{
	char name[32];
	const char *p, *q;
	const size_t n = MiB + 123;
	unsigned char *exp = xmalloc(n + PG), *buf = xmalloc(n + PG);
	upager_t *pg = mkpager_cfg(0, 0, 0, flags, QUIET_SYNCER);
	upager_file_t *f;

	snprintf(name, sizeof(name), "short_r%u", flags);
	p = tpath(name);
	fill(exp, n, 0, 50);
	disk_write(p, exp, n, 0, 0);
	f = uopen(pg, p, O_RDONLY);
	arm(SYS_PREAD, 0, 0, 0, 1);
	UREAD(f, buf, 1000, (off_t)(PG * 7 + 11));
	CHECK_MEM(buf, exp + PG * 7 + 11, 1000);
	UEXPECT(f, exp, n);
	CHECK(sys_calls(SYS_PREAD) >= 2);
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	UEXPECT(f, exp, n);
	CHECK_EQ(upager_close(f), 0);

	snprintf(name, sizeof(name), "short_w%u", flags);
	q = tpath(name);
	f = uopen(pg, q, O_RDWR | O_CREAT | O_EXCL);
	fill(exp, n, 0, 51);
	UWRITE(f, exp, n, 0);
	arm(SYS_PWRITE, 0, 0, 0, 1);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(q, exp, n);
	/* and write-back forced by close, with short reads too */
	fill(exp + 3 * PG + 7, 2 * PG, 3 * PG + 7, 52);
	arm(SYS_PREAD, 0, 0, 0, 1);
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_INVALIDATE), 0);
	UWRITE(f, exp + 3 * PG + 7, 2 * PG, (off_t)(3 * PG + 7));
	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(q, exp, n);
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_destroy(pg), 0);
	free(exp);
	free(buf);
	ncases++;
}

/* fallocate fails with ENOSPC under a write into a hole. */
static void test_fallocate_enospc(void)
{
	const char *p = tpath("falloc");
	const size_t size = 16 * MiB, hole = 4 * MiB;
	unsigned char *d0 = xmalloc(2 * PG), *d1 = xmalloc(PG);
	unsigned char *w = xmalloc(3 * PG), *buf = xmalloc(4 * PG);
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *f;
	ssize_t r, r2;
	size_t ack;

	disk_resize(p, (off_t)size, O_EXCL);
	fill(d0, 2 * PG, 0, 60);
	disk_write(p, d0, 2 * PG, 0, 0);
	fill(d1, PG, 8 * MiB, 60);
	disk_write(p, d1, PG, (off_t)(8 * MiB), 0);

	f = uopen(pg, p, O_RDWR);
	UREAD(f, buf, 2 * PG, 0);	/* some pages resident */
	CHECK_MEM(buf, d0, 2 * PG);
	UREAD(f, buf, PG, (off_t)(12 * MiB));	/* a hole page resident */
	CHECK(all_zero(buf, PG));
	fill(w, 3 * PG, hole, 61);
	arm(SYS_FALLOCATE, ENOSPC, 0, 0, 0);
	r = upager_pwrite(f, w, 3 * PG, (off_t)hole);
	CHECK(r == -ENOSPC || (r >= 0 && r < (ssize_t)(3 * PG)));
	ack = r > 0 ? (size_t)r : 0;
	CHECK(sys_fault_hits(SYS_FALLOCATE) >= 1);
	r2 = upager_pwrite(f, w, 10, (off_t)(6 * MiB + 7));
	CHECK_EQ(r2, -ENOSPC);
	/* extending is allocating too */
	r2 = upager_pwrite(f, w, 2 * PG, (off_t)size);
	CHECK(r2 == -ENOSPC || (r2 >= 0 && r2 < (ssize_t)(2 * PG)));
	CHECK_EQ(upager_size(f), size + (r2 > 0 ? (size_t)r2 : 0));
	if (r2 > 0) {
		CHECK_EQ(upager_truncate(f, (off_t)size), 0);
	}
	CHECK_EQ(upager_size(f), size);
	/* into the resident hole page */
	CHECK_EQ(upager_pwrite(f, w, 5, (off_t)(12 * MiB + 10)), -ENOSPC);
	UREAD(f, buf, PG, (off_t)(12 * MiB));
	CHECK(all_zero(buf, PG));
	/* from data into the hole after it: at most the data part is done */
	r2 = upager_pwrite(f, w, 3 * PG, (off_t)PG);
	CHECK(r2 == -ENOSPC || (r2 >= 0 && r2 <= (ssize_t)PG));
	if (r2 > 0)
		memcpy(d0 + PG, w, (size_t)r2);
	UREAD(f, buf, 4 * PG, 0);
	CHECK_MEM(buf, d0, 2 * PG);
	CHECK(all_zero(buf + 2 * PG, 2 * PG));
	PCHECK(pg);

	UREAD(f, buf, 4 * PG, (off_t)hole);
	CHECK_MEM(buf, w, ack);
	CHECK(all_zero(buf + ack, 4 * PG - ack));
	UREAD(f, buf, 2 * PG, (off_t)(6 * MiB));
	CHECK(all_zero(buf, 2 * PG));
	UREAD(f, buf, 2 * PG, 0);
	CHECK_MEM(buf, d0, 2 * PG);
	UREAD(f, buf, PG, (off_t)(8 * MiB));
	CHECK_MEM(buf, d1, PG);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);	/* nothing pending */
	CHECK_EQ(disk_size(p), size);
	CHECK_EQ(disk_read(p, buf, 4 * PG, (off_t)hole), 4 * PG);
	CHECK_MEM(buf, w, ack);
	CHECK(all_zero(buf + ack, 4 * PG - ack));
	CHECK_EQ(disk_read(p, buf, 2 * PG, 0), 2 * PG);
	CHECK_MEM(buf, d0, 2 * PG);
	CHECK_EQ(disk_read(p, buf, PG, (off_t)(8 * MiB)), PG);
	CHECK_MEM(buf, d1, PG);
	CHECK_EQ(disk_read(p, buf, 4 * PG, (off_t)(12 * MiB)), 4 * PG);
	CHECK(all_zero(buf, 4 * PG));

	/* with the fault gone the write goes through */
	UWRITE(f, w, 3 * PG, (off_t)hole);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	CHECK_EQ(disk_read(p, buf, 3 * PG, (off_t)hole), 3 * PG);
	CHECK_MEM(buf, w, 3 * PG);
	PCHECK(pg);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	free(d0);
	free(d1);
	free(w);
	free(buf);
	ncases++;
}

/* SEEK_DATA/SEEK_HOLE fail: the data is read all the same. */
static void test_lseek_fault(void)
{
	const char *p = tpath("lseek");
	const size_t size = 4 * MiB;
	unsigned char *exp = xcalloc(size);
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *f;

	disk_resize(p, (off_t)size, O_EXCL);
	fill(exp + MiB, 3 * PG, MiB, 75);
	disk_write(p, exp + MiB, 3 * PG, (off_t)MiB, 0);
	f = uopen(pg, p, O_RDWR);
	arm(SYS_LSEEK, EIO, 0, 0, 0);
	UEXPECT(f, exp, size);
	fill(exp + 2 * MiB + 5, 2 * PG, 2 * MiB + 5, 76);
	UWRITE(f, exp + 2 * MiB + 5, 2 * PG, (off_t)(2 * MiB + 5));
	UEXPECT(f, exp, size);
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_INVALIDATE), 0);
	UEXPECT(f, exp, size);
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	DISK_EXPECT(p, exp, size);
	free(exp);
	ncases++;
}

/* fdatasync fails: the sync that waits reports it. */
static void test_sync_fault(void)
{
	const char *p = tpath("syncfault");
	const size_t n = 8 * PG;
	unsigned char *exp = xmalloc(n);
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *f;

	fill(exp, n, 0, 70);
	disk_write(p, exp, n, 0, 0);
	f = uopen(pg, p, O_RDWR);
	fill(exp, PG, 0, 72);
	UWRITE(f, exp, PG, 0);
	arm(SYS_FDATASYNC, EIO, 0, 1, 0);
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT), -EIO);
	CHECK_EQ(sys_fault_hits(SYS_FDATASYNC), 1);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT), 0);
	DISK_EXPECT(p, exp, n);
	UEXPECT(f, exp, n);
	PCHECK(pg);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	free(exp);
	ncases++;
}

/*
 * ftruncate fails: the call reports it and changes nothing (the size, and
 * the acknowledged data past the size asked for, stay).
 */
static void test_truncate_fault(void)
{
	const char *p = tpath("truncfault");
	const size_t n = 8 * PG;
	unsigned char *old = xmalloc(n), *exp = xmalloc(n);
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *f;

	fill(old, n, 0, 73);
	disk_write(p, old, n, 0, 0);
	f = uopen(pg, p, O_RDWR);
	fill(exp, n, 0, 74);
	UWRITE(f, exp, n, 0);
	arm(SYS_FTRUNCATE, EIO, 0, 0, 0);
	CHECK_EQ(upager_truncate(f, (off_t)(PG + 5)), -EIO);
	CHECK_EQ(upager_size(f), n);
	UEXPECT(f, exp, n);
	CHECK_EQ(upager_truncate(f, (off_t)(2 * n)), -EIO);
	CHECK_EQ(upager_size(f), n);
	UEXPECT(f, exp, n);
	PCHECK(pg);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, n);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	DISK_EXPECT(p, exp, n);
	free(old);
	free(exp);
	ncases++;
}

/*
 * Frames cannot be punched out of the memfd: a frame reused at the same
 * offset must not show its old data.  Random operations against a model.
 */
static void test_punch_fault(void)
{
	const char *p = tpath("punch");
	const size_t max = 512 * KiB;
	upager_t *pg = mkpager_quiet(64 * PG);
	struct mirror m = mirror_new(pg, p, max + 64 * KiB);
	uint64_t rng = 0x9E3779B97F4A7C15ull;

	arm(SYS_PUNCH, EIO, 0, 0, 0);
#define RND() xorshift64(&rng)
	for (int op = 0; op < 2000; op++) {
		unsigned k = (unsigned)(RND() % 100);
		size_t off = (size_t)(RND() % max);
		size_t len = (size_t)(RND() % (3 * PG)) + 1;

		if (k < 40) {
			mirror_write(&m, off, len, 200 + (unsigned)op);
		} else if (k < 75) {
			mirror_read(&m, off, len);
		} else if (k < 85) {
			mirror_truncate(&m, (size_t)(RND() % (max + 1)));
		} else if (k < 95) {
			CHECK_EQ(upager_sync(m.f, 0, 0, UPAGER_SYNC_INVALIDATE),
			    0);
		} else {
			CHECK_EQ(upager_sync(m.f, 0, 0, 0), 0);
			DISK_EXPECT(p, m.data, m.size);
		}
		CHECK_EQ(upager_size(m.f), m.size);
		if (op % 200 == 0)
			PCHECK(pg);
	}
#undef RND
	CHECK(sys_fault_hits(SYS_PUNCH) > 0);
	mirror_close(&m, pg);
	CHECK_EQ(upager_destroy(pg), 0);
	sys_fault_clear(SYS_NKIND);
	ncases++;
}

/* Failures of open, fstat, memfd_create and mmap leak nothing. */
static void test_setup_faults(void)
{
	const char *p = tpath("setup");
	const char *q = tpath("setup_new");
	unsigned char b = 0x42;
	upager_t *pg = NULL;
	upager_file_t *f = NULL;
	struct upager_config cfg;
	int r;

	disk_write(p, &b, 1, 0, 0);
	memset(&cfg, 0, sizeof(cfg));
	arm(SYS_MEMFD, EMFILE, 0, 0, 0);
	r = upager_create(&cfg, &pg);
	if (sys_fault_hits(SYS_MEMFD) > 0) {
		CHECK_EQ(r, -EMFILE);
	} else {
		CHECK_EQ(r, 0);
		CHECK_EQ(upager_destroy(pg), 0);
	}
	sys_fault_clear(SYS_NKIND);
	arm(SYS_MMAP, ENOMEM, 0, 0, 0);
	pg = NULL;
	r = upager_create(&cfg, &pg);
	if (sys_fault_hits(SYS_MMAP) > 0) {
		CHECK_EQ(r, -ENOMEM);
	} else {
		CHECK_EQ(r, 0);
		CHECK_EQ(upager_destroy(pg), 0);
	}
	sys_fault_clear(SYS_NKIND);

	pg = mkpager_quiet(0);
	arm(SYS_OPEN, EMFILE, 0, 0, 0);
	CHECK_EQ(upager_open(pg, p, O_RDONLY, 0, &f), -EMFILE);
	CHECK_EQ(upager_open(pg, q, O_RDWR | O_CREAT, 0644, &f), -EMFILE);
	CHECK(access(q, F_OK) != 0);
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(stats(pg).objects, 0);
	arm(SYS_FSTAT, EIO, 0, 0, 0);
	r = upager_open(pg, p, O_RDONLY, 0, &f);
	if (sys_fault_hits(SYS_FSTAT) > 0) {
		CHECK_EQ(r, -EIO);
		CHECK_EQ(stats(pg).objects, 0);
	} else {
		CHECK_EQ(r, 0);
		CHECK_EQ(upager_close(f), 0);
	}
	sys_fault_clear(SYS_NKIND);
	f = uopen(pg, p, O_RDONLY);
	CHECK_EQ(upager_pread(f, &b, 1, 0), 1);
	CHECK_EQ(b, 0x42);
	CHECK_EQ(upager_close(f), 0);
	PCHECK(pg);
	CHECK_EQ(upager_destroy(pg), 0);
	ncases++;
}

int main(void)
{
	upager_t *pg = mkpager_quiet(0);

	set_page_size(pg);
	CHECK_EQ(upager_destroy(pg), 0);

	test_writeback_fault(EIO);
	sys_fault_clear(SYS_NKIND);
	test_writeback_fault(ENOSPC);
	sys_fault_clear(SYS_NKIND);
	test_forced_writeback(EIO, 3, 5, 0);
	sys_fault_clear(SYS_NKIND);
	test_forced_writeback(ENOSPC, 3, 5, 0);
	sys_fault_clear(SYS_NKIND);
	test_forced_writeback(EIO, 0, 1, 0);
	sys_fault_clear(SYS_NKIND);
	test_forced_writeback(EIO, 3, 5, 1);
	sys_fault_clear(SYS_NKIND);
	test_forced_writeback(EAGAIN, 3, 5, 0);
	sys_fault_clear(SYS_NKIND);
	test_permanent_writeback(EIO);
	sys_fault_clear(SYS_NKIND);
	test_permanent_writeback(ENOSPC);
	sys_fault_clear(SYS_NKIND);
	test_transient(EAGAIN);
	sys_fault_clear(SYS_NKIND);
	test_transient(EIO);
	sys_fault_clear(SYS_NKIND);
	test_read_errors();
	sys_fault_clear(SYS_NKIND);
	test_short_io(0);
	sys_fault_clear(SYS_NKIND);
	test_short_io(UPAGER_NODIRECT);
	sys_fault_clear(SYS_NKIND);
	test_fallocate_enospc();
	sys_fault_clear(SYS_NKIND);
	test_sync_fault();
	sys_fault_clear(SYS_NKIND);
	test_lseek_fault();
	sys_fault_clear(SYS_NKIND);
	test_punch_fault();
	sys_fault_clear(SYS_NKIND);
	test_setup_faults();
	sys_fault_clear(SYS_NKIND);
	test_truncate_fault();
	sys_fault_clear(SYS_NKIND);

	rm_test_dir();
	printf("t_errors: %d cases passed\n", ncases);
	return 0;
}
