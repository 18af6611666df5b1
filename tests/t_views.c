/* t_views.c: mapped views: faults, coherence with pread/pwrite, write-back */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "debug.h"
#include "sys.h"
#include "upager.h"

#define PG 4096

static void disk_read(const char *path, void *buf, size_t len, off_t off)
{
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

int main(void)
{
	struct upager_config cfg = { .budget = 1 << 20 };
	const size_t n = 64 * PG;
	char path[512], *buf = malloc(n), *out = malloc(n);
	char *a, *b, *pv;
	upager_t *pg;
	upager_file_t *f;
	size_t i;

	CHECK(buf != NULL && out != NULL);
	snprintf(path, sizeof(path), "%s/views", test_dir());
	for (i = 0; i < n; i++)
		buf[i] = (char)(i * 13 + 5);
	CHECK_OK(upager_create(&cfg, &pg));
	CHECK_OK(upager_open(pg, path, O_RDWR | O_CREAT, 0644, &f));
	CHECK_EQ(upager_pwrite(f, buf, n, 0), n);

	/* a view reads what pwrite wrote */
	CHECK_OK(upager_map(f, 0, n, PROT_READ | PROT_WRITE, MAP_SHARED,
	    (void **)&a));
	CHECK_MEM(a, buf, n);
	/* a second view at another offset sees the first one's writes */
	CHECK_OK(upager_map(f, 16 * PG, 16 * PG, PROT_READ | PROT_WRITE,
	    MAP_SHARED, (void **)&b));
	a[16 * PG + 7] = 'Z';
	CHECK_EQ(b[7], 'Z');
	buf[16 * PG + 7] = 'Z';
	/* pread sees view writes, views see pwrite */
	CHECK_EQ(upager_pread(f, out, n, 0), n);
	CHECK_MEM(out, buf, n);
	CHECK_EQ(upager_pwrite(f, "hello", 5, 20 * PG), 5);
	memcpy(buf + 20 * PG, "hello", 5);
	CHECK(memcmp(b + 4 * PG, "hello", 5) == 0);
	/* a private view sees the file until it writes */
	CHECK_OK(upager_map(f, 0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE,
	    (void **)&pv));
	CHECK_MEM(pv, buf, n);
	pv[3] = 'P';
	CHECK(a[3] != 'P');
	a[PG + 5] = 'S';  /* a page the private view did not write */
	buf[PG + 5] = 'S';
	CHECK_EQ(pv[PG + 5], 'S');
	a[6] = 'T';       /* its own page 0 is its copy now */
	buf[6] = 'T';
	CHECK(pv[6] != 'T');
	/* msync writes view writes to disk */
	for (i = 0; i < n; i += PG) {
		a[i + 100] = 'w';
		buf[i + 100] = 'w';
	}
	CHECK_OK(upager_msync(a, n, MS_SYNC));
	disk_read(path, out, n, 0);
	CHECK_MEM(out, buf, n);
	CHECK_OK(dbg_check_pager(pg));
	/* views survive eviction: read the whole file again under a budget
	 * of 256 pages while writing through the view */
	CHECK_OK(upager_truncate(f, 1024 * PG));
	CHECK_OK(upager_unmap(a, n));
	CHECK_OK(upager_map(f, 0, 1024 * PG, PROT_READ | PROT_WRITE,
	    MAP_SHARED, (void **)&a));
	for (i = 0; i < 1024; i++)
		a[i * PG + 1] = (char)i;
	for (i = 0; i < 1024; i++)
		CHECK_EQ(a[i * PG + 1], (char)i);
	CHECK_OK(upager_close(f));
	CHECK_OK(upager_unmap(pv, n));
	CHECK_OK(upager_unmap(b, 16 * PG));
	CHECK_OK(upager_unmap(a, 1024 * PG));
	for (i = 0; i < 1024; i++) {
		char c;

		disk_read(path, &c, 1, (off_t)(i * PG + 1));
		CHECK_EQ(c, (char)i);
	}
	/* a frame whose punch failed stays mapped in a read-only view: a
	 * truncate into its page must still zero it past EOF, or the bytes
	 * come back as data when the file grows (a regression) */
	CHECK_OK(upager_open(pg, path, O_RDWR | O_TRUNC, 0644, &f));
	memset(buf, 0xac, 2 * PG);
	CHECK_EQ(upager_pwrite(f, buf, 2 * PG, 0), 2 * PG);
	CHECK_OK(upager_map(f, 0, 2 * PG, PROT_READ, MAP_SHARED, (void **)&a));
	CHECK_EQ((unsigned char)a[0] + (unsigned char)a[PG], 2 * 0xac);
	sys_fault_set(SYS_PUNCH, &(struct sys_fault){ .err = EIO });
	CHECK_OK(upager_sync(f, 0, 0, UPAGER_SYNC_INVALIDATE));
	CHECK_OK(upager_truncate(f, 100));
	CHECK_OK(upager_truncate(f, 2 * PG));
	sys_fault_clear(SYS_NKIND);
	CHECK_EQ(a[100], 0);
	CHECK_EQ(upager_pread(f, out, 1, 100), 1);
	CHECK_EQ(out[0], 0);
	CHECK_OK(upager_unmap(a, 2 * PG));
	CHECK_OK(upager_close(f));
	CHECK_OK(upager_destroy(pg));
	unlink(path);
	rmdir(test_dir());
	free(buf);
	free(out);
	printf("t_views: ok\n");
	return 0;
}
