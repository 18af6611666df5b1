/*
 * preload_driver.c: a program that knows nothing of upager and uses a
 * file the way mmap users do: written with write(2), mapped MAP_SHARED,
 * changed through the mapping and through pwrite(2) on a second
 * descriptor, read back both ways, grown, synced.  t_preload runs it
 * natively and under libupager-preload.so and compares what it prints and
 * the files it leaves.  Exit status 3: what it read back was not what it
 * had written (the two paths are not coherent).
 *
 * usage: preload_driver FILE PAGES
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void incoherent(const char *what, size_t off)
{
	fprintf(stderr, "preload_driver: %s differs at %zu\n", what, off);
	exit(3);
}

static unsigned char pat(size_t off)
{
	return (unsigned char)((off * 2654435761u) >> 13);
}

int main(int argc, char **argv)
{
	size_t pages, size, off, i;
	unsigned char buf[65536], *m;
	uint64_t sum = 0;
	struct stat st;
	int fd, fd2;
	ssize_t r;

	if (argc != 3 || (pages = strtoul(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: preload_driver FILE PAGES\n");
		return 2;
	}
	size = pages * PG;
	if ((fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644)) < 0)
		die("open");
	for (off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);

		for (i = 0; i < n; i++)
			buf[i] = pat(off + i);
		if (write(fd, buf, n) != (ssize_t)n)
			die("write");
	}
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap");
	for (off = 0; off < size; off++)
		if (m[off] != pat(off))
			incoherent("the mapping after write", off);
	/* through the mapping: every 7th page */
	for (off = 0; off < size; off += 7 * PG)
		memset(m + off + 100, 0xA7, 200);
	/* through another descriptor: pwrite, seen by the mapping */
	if ((fd2 = open(argv[1], O_RDWR)) < 0)
		die("open 2");
	for (i = 0; i < 64; i++) {
		off = (i * 7919 * 131) % (size - 512);
		memset(buf, (int)(i + 1), 512);
		if (pwrite(fd2, buf, 512, (off_t)off) != 512)
			die("pwrite");
		for (size_t k = 0; k < 512; k++)
			if (m[off + k] != (unsigned char)(i + 1))
				incoherent("the mapping after pwrite", off + k);
	}
	/* through the first descriptor's position: read what the mapping has */
	if (lseek(fd, 7 * PG, SEEK_SET) != 7 * PG)
		die("lseek");
	if ((r = read(fd, buf, PG)) != PG)
		die("read");
	if (memcmp(buf, m + 7 * PG, PG) != 0)
		incoherent("read after the mapping's write", 7 * PG);
	if (msync(m, size, MS_SYNC) != 0)
		die("msync");
	if (munmap(m, size) != 0)
		die("munmap");
	/* grow it by five pages; the size is seen at once */
	if (ftruncate(fd2, (off_t)(size + 5 * PG)) != 0)
		die("ftruncate");
	if (fstat(fd, &st) != 0 || st.st_size != (off_t)(size + 5 * PG))
		incoherent("fstat after ftruncate", size);
	if (fsync(fd) != 0)
		die("fsync");
	if (close(fd2) != 0 || close(fd) != 0)
		die("close");
	/* what a new reader sees */
	if ((fd = open(argv[1], O_RDONLY)) < 0)
		die("open 3");
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < (size_t)r; i++)
			sum = sum * 31 + buf[i];
	if (r < 0)
		die("read 3");
	close(fd);
	printf("sum %016" PRIx64 " size %zu\n", sum, size + 5 * PG);
	return 0;
}
