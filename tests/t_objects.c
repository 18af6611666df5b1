/*
 * t_objects.c: the life cycle of file objects: shared by every open of a
 * file, kept (with their pages) after the last close, dropped when the file
 * changed behind upager's back, written back by sync_all and destroy.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static int ncases;

/* disk_set_mtime: give the file a modification time far in the past. */
static void disk_set_mtime(const char *path, time_t sec)
{
	struct timespec ts[2];

	ts[0].tv_sec = sec;
	ts[0].tv_nsec = 0;
	ts[1] = ts[0];
	CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
}

/* Two opens of one file share data; closing one leaves the other working. */
static void test_share(void)
{
	const char *p = tpath("share");
	size_t n = 8 * PG;
	unsigned char *exp = xmalloc(n + PG);
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *a, *b, *r, *w;

	fill(exp, n, 0, 1);
	disk_write(p, exp, n, 0, O_EXCL);
	a = uopen(pg, p, O_RDWR);
	b = uopen(pg, p, O_RDWR);
	CHECK_EQ(stats(pg).objects, 1);
	UEXPECT(b, exp, n);
	fill(exp + PG + 1, 3 * PG, PG + 1, 2);
	UWRITE(a, exp + PG + 1, 3 * PG, (off_t)PG + 1);
	UEXPECT(b, exp, n);
	CHECK_EQ(upager_close(a), 0);
	DISK_EXPECT(p, exp, n);		/* close wrote the object's pages */
	fill(exp + 6 * PG, 2 * PG + 9, 6 * PG, 3);	/* extends */
	UWRITE(b, exp + 6 * PG, 2 * PG + 9, (off_t)(6 * PG));
	n = 8 * PG + 9;
	UEXPECT(b, exp, n);
	CHECK_EQ(upager_sync(b, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, n);
	PCHECK(pg);
	CHECK_EQ(upager_close(b), 0);

	/* read-only first, then read-write: the writer's close writes back */
	r = uopen(pg, p, O_RDONLY);
	UEXPECT(r, exp, n);
	w = uopen(pg, p, O_RDWR);
	fill(exp, 2 * PG, 0, 4);
	UWRITE(w, exp, 2 * PG, 0);
	UEXPECT(r, exp, n);
	CHECK_EQ(upager_close(w), 0);
	DISK_EXPECT(p, exp, n);
	UEXPECT(r, exp, n);
	CHECK_EQ(upager_sync(r, 0, 0, 0), 0);

	/* write-only joins a read-only handle */
	w = uopen(pg, p, O_WRONLY);
	fill(exp + 3 * PG + 3, 5, 3 * PG + 3, 5);
	UWRITE(w, exp + 3 * PG + 3, 5, (off_t)(3 * PG + 3));
	UEXPECT(r, exp, n);
	CHECK_EQ(upager_close(r), 0);	/* the reader leaves first */
	fill(exp + 6 * PG, 10, 6 * PG, 6);
	UWRITE(w, exp + 6 * PG, 10, (off_t)(6 * PG));
	CHECK_EQ(upager_close(w), 0);
	DISK_EXPECT(p, exp, n);
	CHECK_EQ(stats(pg).objects, 1);
	PCHECK(pg);
	CHECK_EQ(upager_destroy(pg), 0);
	DISK_EXPECT(p, exp, n);
	free(exp);
	ncases++;
}

/* After the last close the object and its pages stay cached. */
static void test_persist(void)
{
	const char *p = tpath("persist"), *q = tpath("persist_w");
	size_t n = 64 * PG;
	unsigned char *exp = xmalloc(n + PG), *buf = xmalloc(n);
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *f;
	struct upager_stats s0, s1, s2;

	fill(exp, n, 0, 10);
	disk_write(p, exp, n, 0, O_EXCL);
	f = uopen(pg, p, O_RDONLY);
	UEXPECT(f, exp, n);
	CHECK_EQ(upager_close(f), 0);
	s0 = stats(pg);
	CHECK(s0.objects >= 1);
	CHECK(s0.resident >= 64);
	CHECK_EQ(s0.pages_in, 64);
	f = uopen(pg, p, O_RDONLY);
	s1 = stats(pg);
	UREAD(f, buf, n, 0);
	CHECK_MEM(buf, exp, n);
	s2 = stats(pg);
	CHECK_EQ(s2.pages_in, s1.pages_in);
	CHECK_EQ(s2.misses, s1.misses);
	CHECK(s2.hits >= s1.hits + 64);
	CHECK_EQ(upager_close(f), 0);
	PCHECK(pg);

	/* a file written through upager: its own write-back at close must
	 * not make the reopen look like a change behind its back */
	f = uopen(pg, q, O_RDWR | O_CREAT | O_EXCL);
	fill(exp, n, 0, 11);
	UWRITE(f, exp, n, 0);
	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(q, exp, n);
	CHECK(stats(pg).objects >= 2);
	f = uopen(pg, q, O_RDONLY);
	s1 = stats(pg);
	UREAD(f, buf, n, 0);
	CHECK_MEM(buf, exp, n);
	s2 = stats(pg);
	CHECK_EQ(s2.pages_in, s1.pages_in);
	CHECK(s2.hits >= s1.hits + 64);
	CHECK_EQ(upager_close(f), 0);
	/* and after a sync while open, too */
	f = uopen(pg, q, O_RDWR);
	fill(exp + PG, PG, PG, 12);
	UWRITE(f, exp + PG, PG, (off_t)PG);
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT), 0);
	CHECK_EQ(upager_close(f), 0);
	f = uopen(pg, q, O_RDONLY);
	s1 = stats(pg);
	UEXPECT(f, exp, n);
	s2 = stats(pg);
	CHECK_EQ(s2.pages_in, s1.pages_in);
	CHECK_EQ(upager_close(f), 0);
	PCHECK(pg);
	CHECK_EQ(upager_destroy(pg), 0);
	free(exp);
	free(buf);
	ncases++;
}

/* A change behind upager's back after close is seen by the next open. */
static void test_changed_behind(void)
{
	const char *p = tpath("behind_size"), *q = tpath("behind_mtime");
	size_t n = 16 * PG;
	unsigned char *exp = xmalloc(2 * n);
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *f;

	/* the size changes (and a byte in the middle) */
	fill(exp, n, 0, 20);
	disk_write(p, exp, n, 0, O_EXCL);
	f = uopen(pg, p, O_RDWR);
	UEXPECT(f, exp, n);
	fill(exp + 2 * PG, PG, 2 * PG, 21);
	UWRITE(f, exp + 2 * PG, PG, (off_t)(2 * PG));
	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(p, exp, n);
	exp[5 * PG + 7] ^= 0xFF;
	disk_write(p, exp + 5 * PG + 7, 1, (off_t)(5 * PG + 7), 0);
	fill(exp + n, 100, n, 22);
	disk_write(p, exp + n, 100, (off_t)n, 0);
	f = uopen(pg, p, O_RDONLY);
	UEXPECT(f, exp, n + 100);
	CHECK_EQ(upager_close(f), 0);
	/* shrinks */
	CHECK(truncate(p, (off_t)(3 * PG + 1)) == 0);
	f = uopen(pg, p, O_RDONLY);
	UEXPECT(f, exp, 3 * PG + 1);
	CHECK_EQ(upager_close(f), 0);
	PCHECK(pg);

	/* the same size, a different modification time */
	fill(exp, n, 0, 23);
	disk_write(q, exp, n, 0, O_EXCL);
	f = uopen(pg, q, O_RDONLY);
	UEXPECT(f, exp, n);
	CHECK_EQ(upager_close(f), 0);
	fill(exp + 4 * PG, 4 * PG, 4 * PG, 24);
	disk_write(q, exp + 4 * PG, 4 * PG, (off_t)(4 * PG), 0);
	disk_set_mtime(q, 1000000000);
	f = uopen(pg, q, O_RDONLY);
	UEXPECT(f, exp, n);
	CHECK_EQ(upager_close(f), 0);
	/* and once more, to another time */
	exp[0] ^= 0x11;
	disk_write(q, exp, 1, 0, 0);
	disk_set_mtime(q, 1100000000);
	f = uopen(pg, q, O_RDWR);
	UEXPECT(f, exp, n);
	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(q, exp, n);
	PCHECK(pg);
	CHECK_EQ(upager_destroy(pg), 0);
	free(exp);
	ncases++;
}

/* Unlinked and created anew at the same path: the new file is seen. */
static void test_replaced(void)
{
	const char *p = tpath("replaced");
	size_t n = 8 * PG;
	unsigned char *exp = xmalloc(2 * n);
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *f, *g;

	f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	fill(exp, n, 0, 30);
	UWRITE(f, exp, n, 0);
	CHECK_EQ(upager_close(f), 0);
	/* a new file of another size */
	CHECK(unlink(p) == 0);
	fill(exp, n + 50, 0, 31);
	disk_write(p, exp, n + 50, 0, O_EXCL);
	f = uopen(pg, p, O_RDONLY);
	UEXPECT(f, exp, n + 50);
	CHECK_EQ(upager_close(f), 0);
	/* a new file of the same size (and another modification time) */
	CHECK(unlink(p) == 0);
	fill(exp, n + 50, 0, 32);
	disk_write(p, exp, n + 50, 0, O_EXCL);
	disk_set_mtime(p, 1000000000);
	f = uopen(pg, p, O_RDWR);
	UEXPECT(f, exp, n + 50);
	PCHECK(pg);

	/* unlinked while open: the handle works on; a new open gets a new
	 * file */
	fill(exp, PG, 0, 33);
	UWRITE(f, exp, PG, 0);
	CHECK(unlink(p) == 0);
	UEXPECT(f, exp, n + 50);
	fill(exp + n + 50, 10, n + 50, 34);
	UWRITE(f, exp + n + 50, 10, (off_t)(n + 50));
	g = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	CHECK_EQ(upager_size(g), 0);
	UWRITE(g, "new", 3, 0);
	UEXPECT(f, exp, n + 60);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_close(g), 0);
	DISK_EXPECT(p, "new", 3);
	PCHECK(pg);
	CHECK_EQ(upager_destroy(pg), 0);
	free(exp);
	ncases++;
}

/* O_TRUNC on a cached file, and with another handle open. */
static void test_otrunc(void)
{
	const char *p = tpath("otrunc");
	size_t n = 8 * PG;
	unsigned char *exp = xmalloc(n), *buf = xmalloc(n);
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *f, *g;

	f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	fill(exp, n, 0, 40);
	UWRITE(f, exp, n, 0);
	CHECK_EQ(upager_close(f), 0);
	f = uopen(pg, p, O_RDWR | O_TRUNC);
	CHECK_EQ(upager_size(f), 0);
	CHECK_EQ(upager_pread(f, buf, n, 0), 0);
	CHECK_EQ(disk_size(p), 0);
	CHECK_EQ(upager_truncate(f, (off_t)n), 0);	/* no resurrection */
	memset(exp, 0, n);
	UEXPECT(f, exp, n);

	/* dirty pages of another handle are dropped by O_TRUNC */
	fill(exp, n, 0, 41);
	UWRITE(f, exp, n, 0);
	g = uopen(pg, p, O_WRONLY | O_TRUNC);
	CHECK_EQ(upager_size(f), 0);
	CHECK_EQ(upager_pread(f, buf, n, 0), 0);
	UWRITE(g, "abc", 3, 1);
	CHECK_EQ(upager_size(f), 4);
	CHECK_EQ(upager_pread(f, buf, n, 0), 4);
	CHECK_MEM(buf, "\0abc", 4);
	PCHECK(pg);
	CHECK_EQ(upager_close(g), 0);
	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(p, "\0abc", 4);
	CHECK_EQ(upager_destroy(pg), 0);
	DISK_EXPECT(p, "\0abc", 4);
	free(exp);
	free(buf);
	ncases++;
}

/* Object counts. */
static void test_counts(void)
{
	const char *p = tpath("count_a"), *q = tpath("count_b");
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *a1, *a2, *b;

	disk_write(p, "a", 1, 0, O_EXCL);
	disk_write(q, "b", 1, 0, O_EXCL);
	CHECK_EQ(stats(pg).objects, 0);
	a1 = uopen(pg, p, O_RDONLY);
	CHECK_EQ(stats(pg).objects, 1);
	a2 = uopen(pg, p, O_RDWR);
	CHECK_EQ(stats(pg).objects, 1);
	b = uopen(pg, q, O_RDONLY);
	CHECK_EQ(stats(pg).objects, 2);
	CHECK_EQ(upager_close(a1), 0);
	CHECK_EQ(upager_close(a2), 0);
	CHECK_EQ(upager_close(b), 0);
	CHECK(stats(pg).objects >= 1);
	CHECK(stats(pg).objects <= 2);
	a1 = uopen(pg, p, O_RDONLY);
	CHECK(stats(pg).objects <= 2);
	CHECK_EQ(upager_close(a1), 0);
	PCHECK(pg);
	CHECK_EQ(upager_destroy(pg), 0);
	ncases++;
}

/* sync_all writes back every open file; destroy writes back everything. */
static void test_sync_all_destroy(void)
{
	enum { NF = 4 };
	const size_t n = 16 * PG + 33;
	char name[32];
	char *paths[NF];
	unsigned char *old[NF], *exp[NF];
	upager_t *pg = mkpager_quiet(0);
	upager_file_t *f[NF], *ro;

	for (int i = 0; i < NF; i++) {
		snprintf(name, sizeof(name), "all%d", i);
		paths[i] = strdup(tpath(name));
		CHECK(paths[i] != NULL);
		old[i] = xmalloc(n);
		exp[i] = xmalloc(n);
		fill(old[i], n, 0, 50 + (unsigned)i);
		disk_write(paths[i], old[i], n, 0, O_EXCL);
		memcpy(exp[i], old[i], n);
	}
	/* three writeable handles and one read-only */
	for (int i = 0; i < NF - 1; i++)
		f[i] = uopen(pg, paths[i], O_RDWR);
	f[NF - 1] = uopen(pg, paths[NF - 1], O_RDONLY);
	ro = uopen(pg, paths[0], O_RDONLY);
	for (int i = 0; i < NF - 1; i++) {
		fill(exp[i] + (size_t)i * PG + 1, 3 * PG, (size_t)i * PG + 1,
		    60 + (unsigned)i);
		UWRITE(f[i], exp[i] + (size_t)i * PG + 1, 3 * PG,
		    (off_t)((size_t)i * PG + 1));
	}
	for (int i = 0; i < NF; i++)
		DISK_EXPECT(paths[i], old[i], n);
	CHECK_EQ(upager_sync_all(pg), 0);
	for (int i = 0; i < NF; i++) {
		DISK_EXPECT(paths[i], exp[i], n);
		UEXPECT(f[i], exp[i], n);
	}
	UEXPECT(ro, exp[0], n);
	CHECK_EQ(upager_sync_all(pg), 0);
	PCHECK(pg);

	/* dirty again, and also extending; destroy with everything open */
	for (int i = 0; i < NF - 1; i++) {
		memcpy(old[i], exp[i], n);
		fill(exp[i] + n - 40 - (size_t)i, 40, n - 40 - (size_t)i,
		    70 + (unsigned)i);
		UWRITE(f[i], exp[i] + n - 40 - (size_t)i, 40,
		    (off_t)(n - 40 - (size_t)i));
	}
	for (int i = 0; i < NF; i++)
		DISK_EXPECT(paths[i], old[i], n);
	CHECK_EQ(upager_destroy(pg), 0);
	for (int i = 0; i < NF; i++) {
		DISK_EXPECT(paths[i], exp[i], n);
		free(paths[i]);
		free(old[i]);
		free(exp[i]);
	}
	ncases++;
}

/* Many small files through the least budget: objects come and go (or
 * stay cached), and nothing is lost. */
static void test_many_objects(void)
{
	enum { NF = 40 };
	char name[32];
	upager_t *pg = mkpager_quiet(64 * PG);
	unsigned char b[64];
	struct upager_stats st;

	/* two pages each: more than the budget holds */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < NF; i++) {
			upager_file_t *f;

			snprintf(name, sizeof(name), "many%d", i);
			f = uopen(pg, tpath(name),
			    round == 0 ? O_RDWR | O_CREAT | O_EXCL : O_RDWR);
			if (round == 0) {
				fill(b, sizeof(b), (uint64_t)i, 80);
				UWRITE(f, b, sizeof(b), (off_t)(2 * PG));
				UWRITE(f, b, sizeof(b), 0);
			} else {
				unsigned char e[64];

				fill(e, sizeof(e), (uint64_t)i, 80);
				UREAD(f, b, sizeof(b), 0);
				CHECK_MEM(b, e, sizeof(b));
				UREAD(f, b, sizeof(b), (off_t)(2 * PG));
				CHECK_MEM(b, e, sizeof(b));
				CHECK_EQ(upager_size(f), 2 * PG + 64);
			}
			CHECK_EQ(upager_close(f), 0);
			st = stats(pg);
			CHECK(st.objects <= NF);
		}
		PCHECK(pg);
	}
	CHECK_EQ(upager_destroy(pg), 0);
	for (int i = 0; i < NF; i++) {
		unsigned char e[64];

		snprintf(name, sizeof(name), "many%d", i);
		fill(e, sizeof(e), (uint64_t)i, 80);
		CHECK_EQ(disk_size(tpath(name)), 2 * PG + 64);
		CHECK_EQ(disk_read(tpath(name), b, sizeof(b), 0), sizeof(b));
		CHECK_MEM(b, e, sizeof(b));
	}
	ncases++;
}

/*
 * Persisting objects give up their frames first: B is read and kept
 * open, then A is read and closed (it persists), then C is read with the
 * budget full.  CLOCK alone would take B's pages, the oldest; A's go
 * instead, and B reads again without a miss.  B and C leave more than
 * the high water mark free: else the daemon, finding C has taken A's
 * frames as it freed them, would rightly go on to B's.
 */
static void test_persist_first(void)
{
	const size_t budget = 512 * PG, nb = 128 * PG, na = 256 * PG,
	    nc = 192 * PG;
	unsigned char *buf = xmalloc(na), *exp = xmalloc(na);
	upager_t *pg = mkpager_cfg(budget, 0, 16 * PG, 0, QUIET_SYNCER);
	upager_file_t *a, *b, *c;
	struct upager_stats s0, s1;

	fill(exp, na, 0, 21);
	disk_write(tpath("pa"), exp, na, 0, 0);
	disk_write(tpath("pb"), exp, nb, 0, 0);
	disk_write(tpath("pc"), exp, nc, 0, 0);
	b = uopen(pg, tpath("pb"), O_RDONLY);
	UREAD(b, buf, nb, 0);
	a = uopen(pg, tpath("pa"), O_RDONLY);
	UREAD(a, buf, na, 0);
	CHECK_EQ(upager_close(a), 0);
	CHECK_EQ(stats(pg).resident, (nb + na) / PG);
	c = uopen(pg, tpath("pc"), O_RDONLY);
	UREAD(c, buf, nc, 0);		/* 128 frames free: 64 must go */
	CHECK_MEM(buf, exp, nc);
	s0 = stats(pg);
	CHECK(s0.resident <= s0.budget_pages);
	UREAD(b, buf, nb, 0);
	CHECK_MEM(buf, exp, nb);
	s1 = stats(pg);
	CHECK_EQ(s1.misses - s0.misses, 0);
	CHECK_EQ(s1.pages_in - s0.pages_in, 0);
	/* and A lost its pages: reading it again reads the disk */
	a = uopen(pg, tpath("pa"), O_RDONLY);
	UREAD(a, buf, PG, 0);
	CHECK(stats(pg).pages_in > s1.pages_in);
	CHECK_EQ(dbg_check_pager(pg), 0);
	CHECK_EQ(upager_close(a), 0);
	CHECK_EQ(upager_close(b), 0);
	CHECK_EQ(upager_close(c), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	free(buf);
	free(exp);
	ncases++;
}

int main(void)
{
	upager_t *pg = mkpager_quiet(0);

	set_page_size(pg);
	CHECK_EQ(upager_destroy(pg), 0);

	test_share();
	test_persist();
	test_changed_behind();
	test_replaced();
	test_otrunc();
	test_counts();
	test_sync_all_destroy();
	test_many_objects();
	test_persist_first();

	rm_test_dir();
	printf("t_objects: %d cases passed\n", ncases);
	return 0;
}
