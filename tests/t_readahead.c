/* t_readahead.c: read-ahead of views keeps going ahead of a sequential scan */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

/*
 * A sequential scan of a view keeps its read-ahead going: when the scan
 * reaches the first page of a window, the next window starts (gp_ramark),
 * also when the scan got there before the read and waited for it
 * (vm_pend_wake).  So the scan waits for reads already in flight and
 * starts few itself (misses).  Before a wait counted as reaching the
 * page, nearly every window was a miss (94-125 of 128 in a debug build
 * with a CPU hog, either engine), against 1-2 since: the bound is a
 * quarter.  The file is read from the disk: from the kernel's cache the
 * reads are quick and the count says less (a debug build in CI once
 * made 39 misses that way).
 */
static void test_chain(void)
{
	const size_t size = 64 * MiB, ra = 512 * KiB;
	const char *path = tpath("chain");
	unsigned char *chunk = xmalloc(MiB);
	upager_t *pg = mkpager_cfg(size + 8 * MiB, 0, ra, 0, 0);
	upager_file_t *f;
	struct upager_stats s;
	void *v;
	int fd;

	for (size_t off = 0; off < size; off += MiB) {
		fill(chunk, MiB, off, 61);
		disk_write(path, chunk, MiB, (off_t)off, 0);
	}
	/* from the disk, not the kernel's cache: a scan that outruns the
	 * reads is the case this is about */
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	close(fd);
	f = uopen(pg, path, O_RDONLY);
	CHECK_EQ(upager_map(f, 0, size, PROT_READ, MAP_SHARED, &v), 0);
	for (size_t off = 0; off < size; off += PG)
		CHECK_EQ(((volatile unsigned char *)v)[off], pat(off, 61));
	s = stats(pg);
	CHECK_EQ(s.pages_in, size / PG);
	if (s.misses > size / ra / 4)
		fprintf(stderr, "t_readahead: %" PRIu64 " misses in %zu windows\n",
		    s.misses, size / ra);
	CHECK(s.misses <= size / ra / 4);
	CHECK_EQ(upager_unmap(v, size), 0);
	CHECK_EQ(upager_close(f), 0);
	CHECK_EQ(upager_destroy(pg), 0);
	free(chunk);
}

int main(void)
{
	upager_t *pg = mkpager(0);

	set_page_size(pg);
	CHECK_EQ(upager_destroy(pg), 0);
	test_chain();
	rm_test_dir();
	printf("t_readahead: ok\n");
	return 0;
}
