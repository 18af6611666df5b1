/* t_edge.c: EOF, hole and truncate edge cases */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys.h"
#include "testlib.h"

static int ncases;

/* Reads at and past EOF. */
static void test_eof(upager_t *pg)
{
	const char *p = tpath("eof");
	upager_file_t *f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	unsigned char buf[256], exp[256];

	CHECK_EQ(upager_size(f), 0);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), 0), 0);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), 12345), 0);
	CHECK_EQ(upager_pread(f, buf, 0, 0), 0);
	CHECK_EQ(upager_pread(f, buf, 0, 99), 0);
	CHECK_EQ(upager_size(f), 0);
	PCHECK(pg);

	fill(exp, 10, 0, 1);
	UWRITE(f, exp, 10, 0);
	CHECK_EQ(upager_size(f), 10);
	memset(buf, 0xEE, sizeof(buf));
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), 0), 10);
	CHECK_MEM(buf, exp, 10);
	CHECK_EQ(buf[10], 0xEE);	/* nothing past the count is stored */
	CHECK_EQ(buf[sizeof(buf) - 1], 0xEE);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), 5), 5);
	CHECK_MEM(buf, exp + 5, 5);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), 10), 0);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), 11), 0);
	CHECK_EQ(upager_pread(f, buf, 3, 9), 1);
	CHECK_EQ(buf[0], exp[9]);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), (off_t)PG), 0);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), (off_t)PG - 1), 0);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), (off_t)1 << 40), 0);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), INT64_MAX - 1000), 0);
	/* reading past EOF does not extend the file */
	CHECK_EQ(upager_size(f), 10);
	PCHECK(pg);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, 10);
	CHECK_EQ(upager_close(f), 0);
	ncases++;
}

/* A write past EOF extends the file; the gap reads as zeros, on disk too. */
static void test_extend(upager_t *pg)
{
	const char *p = tpath("extend");
	upager_file_t *f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	size_t end1 = 3 * PG + 67, far = 10 * MiB + 5, end2 = far + 10;
	unsigned char *exp = xcalloc(end2);
	long long blocks;

	fill(exp, 100, 0, 2);
	UWRITE(f, exp, 100, 0);
	fill(exp + 3 * PG + 17, 50, 3 * PG + 17, 3);
	UWRITE(f, exp + 3 * PG + 17, 50, 3 * PG + 17);
	CHECK_EQ(upager_size(f), end1);
	UEXPECT(f, exp, end1);
	PCHECK(pg);

	fill(exp + far, 10, far, 4);
	UWRITE(f, exp + far, 10, far);
	CHECK_EQ(upager_size(f), end2);
	UEXPECT(f, exp, end2);
	PCHECK(pg);

	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, end2);
	CHECK_EQ(upager_size(f), end2);
	/* the gap stays a hole: at most a few pages are allocated */
	blocks = disk_blocks(p);
	CHECK(blocks * 512 < (long long)MiB);

	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(p, exp, end2);
	free(exp);
	ncases++;
}

/*
 * Truncate down to an unaligned size, then up: the bytes between read as
 * zeros, through upager and on disk.  mode 0: the data is dirty in the
 * cache; 1: it was synced first; 2: synced and invalidated (not resident).
 */
static void test_truncate_unaligned(upager_t *pg, int mode)
{
	char name[32];
	const char *p;
	upager_file_t *f;
	size_t n = 4 * PG, cut = PG + 123;
	unsigned char *exp = xcalloc(n), *data = xmalloc(n);

	snprintf(name, sizeof(name), "trunc%d", mode);
	p = tpath(name);
	f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	fill(data, n, 0, 10 + (unsigned)mode);
	UWRITE(f, data, n, 0);
	if (mode >= 1) {
		CHECK_EQ(upager_sync(f, 0, 0, mode == 2 ?
		    UPAGER_SYNC_INVALIDATE : 0), 0);
		DISK_EXPECT(p, data, n);
	}
	CHECK_EQ(upager_truncate(f, (off_t)cut), 0);
	CHECK_EQ(upager_size(f), cut);
	memcpy(exp, data, cut);
	UEXPECT(f, exp, cut);
	CHECK_EQ(upager_pread(f, data, 10, (off_t)cut), 0);
	PCHECK(pg);

	CHECK_EQ(upager_truncate(f, (off_t)n), 0);
	CHECK_EQ(upager_size(f), n);
	UEXPECT(f, exp, n);
	PCHECK(pg);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, n);

	/* down to just below a page boundary, then extend by a write */
	CHECK_EQ(upager_truncate(f, (off_t)(2 * PG - 1)), 0);
	memset(exp + 2 * PG - 1, 0, n - (2 * PG - 1));
	exp[3 * PG + 5] = 0x5A;
	UWRITE(f, exp + 3 * PG + 5, 1, (off_t)(3 * PG + 5));
	CHECK_EQ(upager_size(f), 3 * PG + 6);
	UEXPECT(f, exp, 3 * PG + 6);
	PCHECK(pg);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, 3 * PG + 6);

	/* truncate to the same size changes nothing */
	CHECK_EQ(upager_truncate(f, (off_t)(3 * PG + 6)), 0);
	UEXPECT(f, exp, 3 * PG + 6);

	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(p, exp, 3 * PG + 6);
	free(exp);
	free(data);
	ncases++;
}

/* Truncate to 0, then up again. */
static void test_truncate_zero(upager_t *pg)
{
	const char *p = tpath("tzero");
	upager_file_t *f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	size_t n = 3 * PG, up = 2 * PG + 1;
	unsigned char *data = xmalloc(n), *exp = xcalloc(up);

	fill(data, n, 0, 20);
	UWRITE(f, data, n, 0);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, data, n);
	UWRITE(f, data, PG, PG);	/* dirty again */
	CHECK_EQ(upager_truncate(f, 0), 0);
	CHECK_EQ(upager_size(f), 0);
	CHECK_EQ(upager_pread(f, data, n, 0), 0);
	PCHECK(pg);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	CHECK_EQ(disk_size(p), 0);

	CHECK_EQ(upager_truncate(f, (off_t)up), 0);
	CHECK_EQ(upager_size(f), up);
	UEXPECT(f, exp, up);
	fill(exp + PG - 1, 3, PG - 1, 21);
	UWRITE(f, exp + PG - 1, 3, (off_t)PG - 1);
	UEXPECT(f, exp, up);
	PCHECK(pg);
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT), 0);
	DISK_EXPECT(p, exp, up);
	CHECK_EQ(upager_close(f), 0);

	f = uopen(pg, p, O_RDONLY);
	UEXPECT(f, exp, up);
	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(p, exp, up);
	free(data);
	free(exp);
	ncases++;
}

/* One-byte files, one-page files, unaligned sizes. */
static void test_small_files(void)
{
	upager_t *pg = mkpager(0);
	upager_file_t *f;
	const char *p;
	unsigned char buf[64], one;
	size_t odd = 5 * PG + 1234, got;
	unsigned char *exp = xmalloc(odd + 1), *big = xmalloc(6 * PG);

	/* one byte, written natively */
	p = tpath("one");
	one = pat(0, 30);
	disk_write(p, &one, 1, 0, 0);
	f = uopen(pg, p, O_RDONLY);
	CHECK_EQ(upager_size(f), 1);
	CHECK_EQ(upager_pread(f, big, 2 * PG, 0), 1);
	CHECK_EQ(big[0], one);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), 1), 0);
	CHECK_EQ(upager_close(f), 0);
	PCHECK(pg);

	/* one byte, written through upager */
	p = tpath("one_w");
	f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	UWRITE(f, &one, 1, 0);
	CHECK_EQ(upager_size(f), 1);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, &one, 1);
	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(p, &one, 1);

	/* exactly one page */
	p = tpath("page");
	fill(exp, PG + 1, 0, 31);
	disk_write(p, exp, PG, 0, 0);
	f = uopen(pg, p, O_RDWR);
	CHECK_EQ(upager_size(f), PG);
	CHECK_EQ(upager_pread(f, big, PG + 100, 0), PG);
	CHECK_MEM(big, exp, PG);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), (off_t)PG), 0);
	CHECK_EQ(upager_pread(f, buf, 10, (off_t)PG - 1), 1);
	CHECK_EQ(buf[0], exp[PG - 1]);
	UWRITE(f, exp + PG, 1, (off_t)PG);
	CHECK_EQ(upager_size(f), PG + 1);
	UEXPECT(f, exp, PG + 1);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, PG + 1);
	CHECK_EQ(upager_close(f), 0);
	PCHECK(pg);
	CHECK_EQ(upager_destroy(pg), 0);

	/* a size that is not a multiple of the page size, read cold */
	pg = mkpager(0);
	p = tpath("odd");
	fill(exp, odd, 0, 32);
	disk_write(p, exp, odd, 0, 0);
	f = uopen(pg, p, O_RDONLY);
	CHECK_EQ(upager_size(f), odd);
	got = 0;
	for (;;) {
		ssize_t r = upager_pread(f, big, 1000, (off_t)got);

		CHECK(r >= 0);
		if (r == 0)
			break;
		CHECK(r == 1000 || got + (size_t)r == odd);
		CHECK_MEM(big, exp + got, (size_t)r);
		got += (size_t)r;
	}
	CHECK_EQ(got, odd);
	PCHECK(pg);
	/* and whole, warm */
	CHECK_EQ(upager_pread(f, big, 6 * PG, 0), odd);
	CHECK_MEM(big, exp, odd);
	CHECK_EQ(upager_close(f), 0);
	/* and whole, cold */
	CHECK_EQ(upager_destroy(pg), 0);
	pg = mkpager(0);
	f = uopen(pg, p, O_RDONLY);
	CHECK_EQ(upager_pread(f, big, 6 * PG, 0), odd);
	CHECK_MEM(big, exp, odd);
	PCHECK(pg);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	DISK_EXPECT(p, exp, odd);
	free(exp);
	free(big);
	ncases++;
}

/* Writes that straddle page boundaries. */
static void test_straddle(upager_t *pg)
{
	const char *p = tpath("straddle");
	upager_file_t *f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	size_t n = 6 * PG;
	unsigned char *exp = xcalloc(n);
	struct {
		size_t off, len;
	} w[] = {
		{ PG - 3, 7 }, { 2 * PG - 1, PG + 2 }, { 5 * PG - 1, 2 },
		{ 0, 1 }, { 4 * PG - 100, 200 }, { PG, PG }, { 3 * PG + 1, 1 },
	};
	size_t end = 0;

	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		fill(exp + w[i].off, w[i].len, w[i].off, 40 + (unsigned)i);
		UWRITE(f, exp + w[i].off, w[i].len, (off_t)w[i].off);
		if (w[i].off + w[i].len > end)
			end = w[i].off + w[i].len;
		UEXPECT(f, exp, end);
	}
	PCHECK(pg);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, end);
	/* page the partial pages in again from the file */
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_INVALIDATE), 0);
	UEXPECT(f, exp, end);
	/* straddling writes over pages that are not resident */
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_INVALIDATE), 0);
	fill(exp + PG - 10, 2 * PG + 20, PG - 10, 49);
	UWRITE(f, exp + PG - 10, 2 * PG + 20, (off_t)PG - 10);
	UEXPECT(f, exp, end);
	PCHECK(pg);
	CHECK_EQ(upager_close(f), 0);
	DISK_EXPECT(p, exp, end);
	free(exp);
	ncases++;
}

/* A sparse file read through upager stays sparse; holes read as zeros. */
static void test_sparse(void)
{
	const char *p = tpath("sparse");
	const size_t size = 64 * MiB, chunk = MiB;
	const size_t data_off[] = { 0, 5 * PG, 10 * MiB + 3 * PG, 33 * MiB,
	    size - PG };
	const size_t tiny_off = 48 * MiB + 7, tiny_len = 100;
	const size_t nd = sizeof(data_off) / sizeof(data_off[0]);
	unsigned char *buf = xmalloc(chunk + PG), *exp = xmalloc(chunk);
	long long blocks0, blocks1;
	unsigned long writes0;
	upager_t *pg;
	upager_file_t *f;

	disk_resize(p, (off_t)size, O_EXCL);
	for (size_t i = 0; i < nd; i++) {
		fill(exp, PG, data_off[i], 50);
		disk_write(p, exp, PG, (off_t)data_off[i], 0);
	}
	fill(exp, tiny_len, tiny_off, 50);
	disk_write(p, exp, tiny_len, (off_t)tiny_off, 0);
	blocks0 = disk_blocks(p);
	CHECK(blocks0 * 512 < 1 * (long long)MiB);
	CHECK_EQ(disk_size(p), size);

	/* budget below the file size, so that pages are reclaimed */
	pg = mkpager(8 * MiB);
	for (int pass = 0; pass < 2; pass++) {
		/* pass 0 read-only, pass 1 read-write without writing */
		writes0 = sys_calls(SYS_PWRITE);
		f = uopen(pg, p, pass == 0 ? O_RDONLY : O_RDWR);
		CHECK_EQ(upager_size(f), size);
		for (size_t off = 0; off < size; off += chunk) {
			memset(exp, 0, chunk);
			for (size_t i = 0; i < nd; i++)
				if (data_off[i] >= off &&
				    data_off[i] < off + chunk)
					fill(exp + data_off[i] - off, PG,
					    data_off[i], 50);
			if (tiny_off >= off && tiny_off < off + chunk)
				fill(exp + tiny_off - off, tiny_len, tiny_off,
				    50);
			CHECK_EQ(upager_pread(f, buf, chunk + PG, (off_t)off),
			    off + chunk == size ? chunk : chunk + PG > size -
			    off ? size - off : chunk + PG);
			CHECK_MEM(buf, exp, chunk);
			(void)stats(pg);
		}
		PCHECK(pg);
		CHECK_EQ(upager_close(f), 0);
		CHECK_EQ(sys_calls(SYS_PWRITE), writes0);
		CHECK_EQ(disk_blocks(p), blocks0);
		CHECK_EQ(disk_size(p), size);
	}
	CHECK(stats(pg).reclaimed > 0);

	/* a write into a hole allocates and reads back */
	f = uopen(pg, p, O_RDWR);
	fill(exp, 3 * PG, 20 * MiB, 51);
	UWRITE(f, exp, 3 * PG, (off_t)(20 * MiB));
	fill(exp + 3 * PG, 100, 40 * MiB + 100, 52);
	UWRITE(f, exp + 3 * PG, 100, (off_t)(40 * MiB + 100));
	CHECK_EQ(upager_size(f), size);
	UREAD(f, buf, 3 * PG, (off_t)(20 * MiB));
	CHECK_MEM(buf, exp, 3 * PG);
	UREAD(f, buf, 100, (off_t)(40 * MiB + 100));
	CHECK_MEM(buf, exp + 3 * PG, 100);
	UREAD(f, buf, 2 * PG, (off_t)(40 * MiB));
	CHECK(all_zero(buf, 100));
	CHECK_MEM(buf + 100, exp + 3 * PG, 100);
	CHECK(all_zero(buf + 200, 2 * PG - 200));
	PCHECK(pg);
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_WAIT), 0);
	blocks1 = disk_blocks(p);
	CHECK(blocks1 >= blocks0 + (long long)(4 * PG / 512));
	CHECK(blocks1 * 512 < blocks0 * 512 + 4 * (long long)MiB);
	CHECK_EQ(disk_size(p), size);
	CHECK_EQ(disk_read(p, buf, 3 * PG + PG, (off_t)(20 * MiB - PG / 2)),
	    4 * PG);
	CHECK(all_zero(buf, PG / 2));
	CHECK_MEM(buf + PG / 2, exp, 3 * PG);
	CHECK(all_zero(buf + PG / 2 + 3 * PG, PG / 2));
	CHECK_EQ(disk_read(p, buf, 2 * PG, (off_t)(40 * MiB)), 2 * PG);
	CHECK(all_zero(buf, 100));
	CHECK_MEM(buf + 100, exp + 3 * PG, 100);
	CHECK(all_zero(buf + 200, 2 * PG - 200));
	for (size_t i = 0; i < nd; i++) {	/* the old data is intact */
		fill(exp, PG, data_off[i], 50);
		CHECK_EQ(disk_read(p, buf, PG, (off_t)data_off[i]), PG);
		CHECK_MEM(buf, exp, PG);
		UREAD(f, buf, PG, (off_t)data_off[i]);
		CHECK_MEM(buf, exp, PG);
	}
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	CHECK_EQ(disk_blocks(p), blocks1);
	CHECK_EQ(disk_size(p), size);
	free(buf);
	free(exp);
	ncases++;
}

/* The same file under two paths (hard link, "dir/./name", symlink). */
static void test_two_paths(void)
{
	char dir[512], a[600], b[600], c[600], s[600];
	size_t n = 3 * PG;
	unsigned char *exp = xcalloc(8 * PG), *buf = xmalloc(8 * PG);
	upager_t *pg = mkpager(0);
	upager_file_t *fa, *fb, *fc, *fs;
	size_t end;

	snprintf(dir, sizeof(dir), "%s/dir", test_dir());
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(c, sizeof(c), "%s/./a", dir);
	snprintf(s, sizeof(s), "%s/s", dir);
	fill(exp, n, 0, 60);
	disk_write(a, exp, n, 0, 0);
	CHECK(link(a, b) == 0);
	CHECK(symlink("a", s) == 0);

	fa = uopen(pg, a, O_RDWR);
	fb = uopen(pg, b, O_RDWR);
	fc = uopen(pg, c, O_RDONLY);
	fs = uopen(pg, s, O_RDONLY);
	CHECK_EQ(stats(pg).objects, 1);
	UEXPECT(fb, exp, n);

	fill(exp + 100, 5000, 100, 61);
	UWRITE(fa, exp + 100, 5000, 100);
	UEXPECT(fb, exp, n);
	UEXPECT(fc, exp, n);
	UEXPECT(fs, exp, n);
	fill(exp + 2 * PG + 5, 10, 2 * PG + 5, 62);
	UWRITE(fb, exp + 2 * PG + 5, 10, (off_t)(2 * PG + 5));
	UEXPECT(fa, exp, n);
	UEXPECT(fc, exp, n);
	/* extend through one, see the size through the others */
	fill(exp + 5 * PG, 7, 5 * PG, 63);
	UWRITE(fb, exp + 5 * PG, 7, (off_t)(5 * PG));
	end = 5 * PG + 7;
	CHECK_EQ(upager_size(fa), end);
	CHECK_EQ(upager_size(fc), end);
	UEXPECT(fa, exp, end);
	UEXPECT(fs, exp, end);
	/* truncate through one */
	CHECK_EQ(upager_truncate(fa, (off_t)(2 * PG + 3)), 0);
	memset(exp + 2 * PG + 3, 0, 8 * PG - (2 * PG + 3));
	end = 2 * PG + 3;
	CHECK_EQ(upager_size(fb), end);
	UEXPECT(fc, exp, end);
	UEXPECT(fb, exp, end);
	PCHECK(pg);

	/* one handle closed, the other keeps working */
	CHECK_EQ(upager_close(fb), 0);
	fill(exp + PG, 20, PG, 64);
	UWRITE(fa, exp + PG, 20, (off_t)PG);
	UEXPECT(fc, exp, end);
	CHECK_EQ(upager_sync(fa, 0, 0, 0), 0);
	DISK_EXPECT(a, exp, end);
	DISK_EXPECT(b, exp, end);
	CHECK_EQ(stats(pg).objects, 1);
	PCHECK(pg);
	CHECK_EQ(upager_close(fa), 0);
	CHECK_EQ(upager_close(fc), 0);
	CHECK_EQ(upager_close(fs), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	DISK_EXPECT(b, exp, end);
	free(exp);
	free(buf);
	ncases++;
}

/* After close and reopen (same pager, new pager) the data is there. */
static void test_reopen(void)
{
	const char *p = tpath("reopen");
	size_t n = 2 * PG + 7;
	unsigned char *exp = xmalloc(n);
	upager_t *pg = mkpager(0);
	upager_file_t *f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);

	fill(exp, n, 0, 70);
	UWRITE(f, exp, n, 0);
	CHECK_EQ(upager_close(f), 0);
	f = uopen(pg, p, O_RDONLY);
	UEXPECT(f, exp, n);
	CHECK_EQ(upager_close(f), 0);
	f = uopen(pg, p, O_RDWR);
	UEXPECT(f, exp, n);
	CHECK_EQ(upager_close(f), 0);
	PCHECK(pg);
	CHECK_EQ(upager_destroy(pg), 0);
	DISK_EXPECT(p, exp, n);

	pg = mkpager(0);
	f = uopen(pg, p, O_RDONLY);
	UEXPECT(f, exp, n);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	free(exp);
	ncases++;
}

/* UPAGER_SYNC_INVALIDATE drops the pages; a read gives the same data. */
static void test_invalidate(void)
{
	const char *p = tpath("inval");
	size_t n = 8 * PG + 100;
	unsigned char *exp = xmalloc(n);
	upager_t *pg = mkpager(0);
	upager_file_t *f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	struct upager_stats s1, s2, s3;

	fill(exp, n, 0, 80);
	UWRITE(f, exp, n, 0);
	s1 = stats(pg);
	CHECK(s1.resident >= 9);
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_INVALIDATE), 0);
	s2 = stats(pg);
	CHECK(s2.resident + 9 <= s1.resident);
	CHECK(s2.pages_out >= s1.pages_out + 9);
	DISK_EXPECT(p, exp, n);
	PCHECK(pg);
	UEXPECT(f, exp, n);
	s3 = stats(pg);
	CHECK(s3.pages_in >= s2.pages_in + 9);

	/* a range: only two pages dropped */
	CHECK_EQ(upager_sync(f, (off_t)(2 * PG), (off_t)(2 * PG),
	    UPAGER_SYNC_INVALIDATE), 0);
	s1 = stats(pg);
	CHECK(s1.resident + 2 <= s3.resident);
	UEXPECT(f, exp, n);
	s2 = stats(pg);
	CHECK(s2.pages_in >= s1.pages_in + 2);

	/* dirty tail page, WAIT | INVALIDATE */
	fill(exp + 8 * PG + 50, 50, 8 * PG + 50, 81);
	UWRITE(f, exp + 8 * PG + 50, 50, (off_t)(8 * PG + 50));
	CHECK_EQ(upager_sync(f, 0, 0,
	    UPAGER_SYNC_WAIT | UPAGER_SYNC_INVALIDATE), 0);
	DISK_EXPECT(p, exp, n);
	UEXPECT(f, exp, n);
	PCHECK(pg);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	free(exp);
	ncases++;
}

/* Counters move sensibly. */
static void test_stats(void)
{
	const char *small = tpath("stats_small"), *big = tpath("stats_big");
	const char *w = tpath("stats_w");
	size_t ns = 32 * PG, nb = 4 * MiB;
	unsigned char *exp = xmalloc(nb), *buf = xmalloc(nb);
	upager_t *pg = mkpager(64 * PG);
	upager_file_t *f, *fw;
	struct upager_stats s0, s1, s2;
	uint64_t h0, h1;

	s0 = stats(pg);
	CHECK_EQ(s0.budget_pages, 64);
	CHECK_EQ(s0.page_size, PG);
	CHECK_EQ(s0.resident, 0);
	CHECK_EQ(s0.objects, 0);
	CHECK_EQ(s0.pages_in, 0);
	CHECK_EQ(s0.pages_out, 0);

	fill(exp, ns, 0, 90);
	disk_write(small, exp, ns, 0, 0);
	f = uopen(pg, small, O_RDONLY);
	CHECK_EQ(stats(pg).objects, 1);
	UREAD(f, buf, ns, 0);
	CHECK_MEM(buf, exp, ns);
	s1 = stats(pg);
	CHECK_EQ(s1.pages_in - s0.pages_in, 32);
	CHECK(s1.misses > s0.misses);
	CHECK(s1.read_ios > s0.read_ios);
	CHECK(s1.read_ios - s0.read_ios <= 32);
	CHECK(s1.bytes_read - s0.bytes_read >= ns);
	CHECK(s1.resident >= 32);
	/* warm re-read */
	UREAD(f, buf, ns, 0);
	CHECK_MEM(buf, exp, ns);
	s2 = stats(pg);
	CHECK_EQ(s2.pages_in, s1.pages_in);
	CHECK_EQ(s2.misses, s1.misses);
	CHECK_EQ(s2.read_ios, s1.read_ios);
	CHECK(s2.hits >= s1.hits + 32);
	CHECK_EQ(upager_close(f), 0);

	/* write-back */
	fw = uopen(pg, w, O_RDWR | O_CREAT | O_EXCL);
	fill(exp, 10 * PG, 0, 91);
	UWRITE(fw, exp, 10 * PG, 0);
	s1 = stats(pg);
	CHECK_EQ(upager_sync(fw, 0, 0, 0), 0);
	s2 = stats(pg);
	CHECK_EQ(s2.pages_out - s1.pages_out, 10);
	CHECK(s2.write_ios > s1.write_ios);
	CHECK(s2.bytes_written - s1.bytes_written >= 10 * PG);
	h0 = h1 = 0;
	for (int i = 0; i < UPAGER_CLUSTER_BUCKETS; i++) {
		h0 += s1.cluster_hist[i];
		h1 += s2.cluster_hist[i];
	}
	CHECK(h1 > h0);
	CHECK_EQ(s2.write_errors, 0);
	/* nothing dirty: a second sync writes nothing */
	CHECK_EQ(upager_sync(fw, 0, 0, 0), 0);
	CHECK_EQ(stats(pg).pages_out, s2.pages_out);
	DISK_EXPECT(w, exp, 10 * PG);
	PCHECK(pg);

	/* a file sixteen times the budget: resident stays within the
	 * budget, reading and writing */
	fill(exp, nb, 0, 92);
	disk_write(big, exp, nb, 0, 0);
	f = uopen(pg, big, O_RDONLY);
	for (size_t off = 0; off < nb; off += 64 * KiB) {
		UREAD(f, buf, 64 * KiB, (off_t)off);
		CHECK_MEM(buf, exp + off, 64 * KiB);
		(void)stats(pg);
	}
	s1 = stats(pg);
	CHECK(s1.reclaimed > 0);
	CHECK(s1.pages_in >= nb / PG);
	PCHECK(pg);
	CHECK_EQ(upager_close(f), 0);
	fill(exp, nb, 0, 93);
	for (size_t off = 0; off < nb; off += 64 * KiB) {
		UWRITE(fw, exp + off, 64 * KiB, (off_t)off);
		(void)stats(pg);
	}
	s2 = stats(pg);
	CHECK(s2.laundered > s1.laundered);
	CHECK(s2.pages_out >= s1.pages_out + (nb - 64 * PG) / PG);
	CHECK(stats(pg).objects >= 1);
	PCHECK(pg);
	CHECK_EQ(upager_close(fw), 0);
	DISK_EXPECT(w, exp, nb);
	s2 = stats(pg);
	CHECK_EQ(s2.write_errors, 0);
	CHECK_EQ(s2.read_errors, 0);
	CHECK_EQ(upager_destroy(pg), 0);
	free(exp);
	free(buf);
	ncases++;
}

/* Far offsets: truncate up to 1 GiB, read and write at the end. */
static void test_far(upager_t *pg)
{
	const char *p = tpath("far");
	const size_t far = (size_t)1 << 30;
	upager_file_t *f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);
	unsigned char head[100], tail[300], buf[2 * 4096 + 300];

	fill(head, sizeof(head), 0, 97);
	UWRITE(f, head, sizeof(head), 0);
	CHECK_EQ(upager_truncate(f, (off_t)far + 3), 0);
	CHECK_EQ(upager_size(f), far + 3);
	memset(buf, 0xEE, sizeof(buf));
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), (off_t)far - 10), 13);
	CHECK(all_zero(buf, 13));
	fill(tail, sizeof(tail), far - 100, 98);
	UWRITE(f, tail, sizeof(tail), (off_t)far - 100);
	CHECK_EQ(upager_size(f), far + 200);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), (off_t)far - 200), 400);
	CHECK(all_zero(buf, 100));
	CHECK_MEM(buf + 100, tail, sizeof(tail));
	UREAD(f, buf, sizeof(head), 0);
	CHECK_MEM(buf, head, sizeof(head));
	PCHECK(pg);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	CHECK_EQ(disk_size(p), far + 200);
	CHECK(disk_blocks(p) * 512 < 1 * (long long)MiB);
	CHECK_EQ(disk_read(p, buf, sizeof(buf), (off_t)far - 200), 400);
	CHECK(all_zero(buf, 100));
	CHECK_MEM(buf + 100, tail, sizeof(tail));
	/* and back down */
	CHECK_EQ(upager_truncate(f, 50), 0);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), 0), 50);
	CHECK_MEM(buf, head, 50);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), (off_t)far - 200), 0);
	CHECK_EQ(upager_truncate(f, (off_t)far + 1), 0);
	CHECK_EQ(upager_pread(f, buf, sizeof(buf), (off_t)far - 200), 201);
	CHECK(all_zero(buf, 201));
	UREAD(f, buf, 100, 0);
	CHECK_MEM(buf, head, 50);
	CHECK(all_zero(buf + 50, 50));
	PCHECK(pg);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(disk_size(p), far + 1);
	CHECK_EQ(disk_read(p, buf, 100, 0), 100);
	CHECK_MEM(buf, head, 50);
	CHECK(all_zero(buf + 50, 50));
	CHECK_EQ(disk_read(p, buf, sizeof(buf), (off_t)far - 200), 201);
	CHECK(all_zero(buf, 201));
	ncases++;
}

/* One pread and one pwrite far larger than the (least) budget. */
static void test_big_io(void)
{
	const char *p = tpath("bigio");
	const size_t n = 4 * MiB + 123, off = 5;
	unsigned char *exp = xcalloc(off + n), *buf = xmalloc(off + n + PG);
	upager_t *pg = mkpager(64 * PG);
	upager_file_t *f = uopen(pg, p, O_RDWR | O_CREAT | O_EXCL);

	fill(exp + off, n, off, 95);
	UWRITE(f, exp + off, n, (off_t)off);
	CHECK_EQ(upager_size(f), off + n);
	(void)stats(pg);
	CHECK_EQ(upager_pread(f, buf, off + n + PG, 0), off + n);
	CHECK_MEM(buf, exp, off + n);
	PCHECK(pg);
	/* overwrite all but the first and last bytes, unaligned */
	fill(exp + 1, off + n - 2, 1, 96);
	UWRITE(f, exp + 1, off + n - 2, 1);
	UEXPECT(f, exp, off + n);
	CHECK_EQ(upager_sync(f, 0, 0, 0), 0);
	DISK_EXPECT(p, exp, off + n);
	/* cold */
	CHECK_EQ(upager_sync(f, 0, 0, UPAGER_SYNC_INVALIDATE), 0);
	CHECK_EQ(upager_pread(f, buf, off + n, 0), off + n);
	CHECK_MEM(buf, exp, off + n);
	(void)stats(pg);
	PCHECK(pg);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	free(exp);
	free(buf);
	ncases++;
}

/* A random mix of operations against a model, with a minimal budget. */
static void test_model(void)
{
	const char *p = tpath("model");
	const size_t max = 1 * MiB;
	upager_t *pg = mkpager(64 * PG);
	struct mirror m = mirror_new(pg, p, max + 64 * KiB);
	uint64_t rng = 0x2545F4914F6CDD1Dull;

#define RND() xorshift64(&rng)
	for (int op = 0; op < 3000; op++) {
		unsigned k = (unsigned)(RND() % 100);
		size_t off = (size_t)(RND() % max), len;

		if (RND() % 4 == 0)	/* often near a page boundary */
			off = off / PG * PG + (size_t)(RND() % 5) - 2 +
			    (off < PG ? 2 : 0);
		len = RND() % 8 == 0 ? (size_t)(RND() % (64 * KiB)) + 1 :
		    (size_t)(RND() % (3 * PG)) + 1;
		if (k < 45) {
			mirror_write(&m, off, len, 100 + (unsigned)op);
		} else if (k < 80) {
			mirror_read(&m, off, len);
		} else if (k < 88) {
			size_t ns = (size_t)(RND() % (max + 1));

			if (RND() % 3 == 0)
				ns = ns / PG * PG;
			mirror_truncate(&m, ns);
		} else if (k < 94) {
			int fl = (int)(RND() % 4);

			CHECK_EQ(upager_sync(m.f, 0, 0, fl), 0);
			DISK_EXPECT(p, m.data, m.size);
		} else if (k < 97) {
			size_t so = off / PG * PG;

			CHECK_EQ(upager_sync(m.f, (off_t)so, (off_t)len,
			    UPAGER_SYNC_INVALIDATE), 0);
		} else {
			CHECK_EQ(upager_close(m.f), 0);
			m.f = uopen(pg, p, O_RDWR);
		}
		CHECK_EQ(upager_size(m.f), m.size);
		(void)stats(pg);
		if (op % 100 == 0)
			PCHECK(pg);
	}
#undef RND
	mirror_close(&m, pg);
	CHECK_EQ(upager_destroy(pg), 0);
	ncases++;
}

int main(void)
{
	upager_t *pg = mkpager(0);

	set_page_size(pg);

	test_eof(pg);
	test_extend(pg);
	test_truncate_unaligned(pg, 0);
	test_truncate_unaligned(pg, 1);
	test_truncate_unaligned(pg, 2);
	test_truncate_zero(pg);
	test_straddle(pg);
	test_far(pg);
	PCHECK(pg);
	CHECK_EQ(upager_destroy(pg), 0);

	test_small_files();
	test_sparse();
	test_two_paths();
	test_reopen();
	test_invalidate();
	test_stats();
	test_big_io();
	test_model();

	rm_test_dir();
	printf("t_edge: %d cases passed\n", ncases);
	return 0;
}
