/*
 * t_budget.c: a file 8 times the budget, scanned in order and read at
 * random, through views and through upager_pread: the resident frame
 * count and the process's shared memory (RssShmem: every frame mapped,
 * counted once per mapping) never exceed the budget plus one cluster,
 * sampled all along; every byte read is checked.  Then random writes
 * through a view on a file 4 times the budget, every page of it written
 * at least once, so that every frame is dirty at some point: the run
 * completes (laundering frees frames for the faults), stays within the
 * budget, and the file equals the model, through the view and on disk.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "debug.h"
#include "testlib.h"

#define BUDGET (4u << 20)
#define FILESIZE (8 * (size_t)BUDGET)
#define CLUSTER (64u << 10)
#define SAMPLE 16          /* pages between samples */

static uint64_t max_frames, max_rss;

/* rss_shmem: RssShmem of this process, bytes. */
static uint64_t rss_shmem(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "RssShmem: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb << 10;
}

/* sample: both measures within the budget plus one cluster. */
static void sample(upager_t *pg, const char *what, size_t at)
{
	struct upager_stats st = stats(pg);
	uint64_t rss = rss_shmem();

	if (st.resident > max_frames)
		max_frames = st.resident;
	if (rss > max_rss)
		max_rss = rss;
	if (st.resident * PG > BUDGET + CLUSTER || rss > BUDGET + CLUSTER)
		FAIL("%s at %zu: %lu frames resident, RssShmem %lu bytes, "
		    "budget %u + cluster %u", what, at,
		    (unsigned long)st.resident, (unsigned long)rss, BUDGET,
		    CLUSTER);
}

/* pick: the page the i-th step reads: i, or one of npages at random
 * (xorshift). */
static size_t pick(uint64_t *x, size_t i, size_t npages, bool random)
{
	if (!random)
		return i;
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (size_t)(*x % npages);
}

static void scan_view(upager_t *pg, upager_file_t *f,
    const unsigned char *exp, bool random)
{
	size_t npages = FILESIZE / PG, i;
	unsigned char *v;
	uint64_t x = 88172645463325252ull;

	CHECK_OK(upager_map(f, 0, FILESIZE, PROT_READ, MAP_SHARED,
	    (void **)&v));
	for (i = 0; i < npages; i++) {
		size_t pgno = pick(&x, i, npages, random);

		CHECK_MEM(v + pgno * PG, exp + pgno * PG, PG);
		if (i % SAMPLE == 0)
			sample(pg, random ? "random view" : "view scan", pgno);
	}
	CHECK_OK(upager_unmap(v, FILESIZE));
}

static void scan_pread(upager_t *pg, upager_file_t *f,
    const unsigned char *exp, bool random)
{
	size_t npages = FILESIZE / PG, i;
	unsigned char buf[4096];
	uint64_t x = 2463534242ull;

	for (i = 0; i < npages; i++) {
		size_t pgno = pick(&x, i, npages, random);

		UREAD(f, buf, PG, (off_t)(pgno * PG));
		CHECK_MEM(buf, exp + pgno * PG, PG);
		if (i % SAMPLE == 0)
			sample(pg, random ? "random pread" : "pread scan",
			    pgno);
	}
}

/* disk_expect: the file on disk equals exp[0, len). */
static void disk_expect(const char *path, const unsigned char *exp,
    size_t len)
{
	unsigned char *buf = xmalloc(len);
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, buf, len, 0), (ssize_t)len);
	close(fd);
	CHECK_MEM(buf, exp, len);
	free(buf);
}

/*
 * write_view: every page of a file 4x the budget written through a view
 * in a random order, then as many random writes again (a few bytes to a
 * few pages long); the model follows.  Check the view against the model
 * while the pages come and go, then the disk after msync and close.
 */
static void write_view(upager_t *pg)
{
	const size_t size = 4 * (size_t)BUDGET, npages = size / PG;
	unsigned char *model = xmalloc(size), *v;
	size_t *order = xmalloc(npages * sizeof(*order)), i, k;
	const char *path = tpath("wr");
	uint64_t x = 0x9e3779b97f4a7c15ull;
	upager_file_t *f;

	fill(model, size, 0, 9);
	disk_write(path, model, size, 0, 0);
	f = uopen(pg, path, O_RDWR);
	CHECK_OK(upager_map(f, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    (void **)&v));
	for (i = 0; i < npages; i++)
		order[i] = i;
	for (i = npages - 1; i > 0; i--) {   /* Fisher-Yates */
		size_t j = pick(&x, 0, i + 1, true), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (i = 0; i < 2 * npages; i++) {
		size_t off, len;

		if (i < npages) {
			off = order[i] * PG + (size_t)(x % 97);
			len = 1 + (size_t)(x % 300);
		} else {
			off = pick(&x, 0, 2 * npages, true) * PG / 2;
			len = 1 + (size_t)(x % (3 * PG));
		}
		(void)pick(&x, 0, 1, true);
		len = len < size - off ? len : size - off;
		for (k = 0; k < len; k++)
			model[off + k] = (unsigned char)(x >> (k % 56));
		memcpy(v + off, model + off, len);
		if (i % SAMPLE == 0) {
			sample(pg, "random writes", off);
			/* and read back a page that was likely evicted */
			k = pick(&x, 0, npages, true);
			CHECK_MEM(v + k * PG, model + k * PG, PG);
		}
	}
	CHECK_MEM(v, model, size);
	CHECK(stats(pg).laundered > 0);
	CHECK_OK(upager_msync(v, size, MS_SYNC));
	disk_expect(path, model, size);
	CHECK_OK(upager_unmap(v, size));
	CHECK_OK(upager_close(f));
	disk_expect(path, model, size);
	free(order);
	free(model);
}

int main(void)
{
	unsigned char *exp;
	const char *path;
	upager_t *pg;
	upager_file_t *f;
	int k;

	pg = mkpager_cfg(BUDGET, CLUSTER, 0, 0, QUIET_SYNCER);
	set_page_size(pg);
	CHECK(PG == 4096);
	exp = xmalloc(FILESIZE);
	fill(exp, FILESIZE, 0, 3);
	path = tpath("big");
	disk_write(path, exp, FILESIZE, 0, 0);
	f = uopen(pg, path, O_RDONLY);
	for (k = 0; k < 2; k++) {
		scan_view(pg, f, exp, k == 1);
		scan_pread(pg, f, exp, k == 1);
	}
	CHECK_OK(dbg_check_pager(pg));
	CHECK_OK(upager_close(f));
	write_view(pg);
	CHECK_OK(dbg_check_pager(pg));
	CHECK_OK(upager_destroy(pg));
	printf("t_budget: ok (peak %lu frames of %u, RssShmem %lu KiB)\n",
	    (unsigned long)max_frames, (unsigned)(BUDGET / PG),
	    (unsigned long)(max_rss >> 10));
	free(exp);
	rm_test_dir();
	return 0;
}
