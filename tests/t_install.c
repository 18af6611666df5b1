/*
 * t_install.c: upager installs like a C library: `cmake --install` into a
 * fresh prefix puts the libraries, upager.h, upager.pc, the interposer,
 * the command and its manual pages in place; the examples, copied out of the tree, build
 * with pkg-config only (make, with PKG_CONFIG_PATH) and run; the
 * installed command finds its interposer.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

#ifndef BUILD_DIR
#error "BUILD_DIR: the build tree to install from"
#endif
#ifndef EXAMPLES_DIR
#error "EXAMPLES_DIR: the examples' sources"
#endif
#ifndef INSTALL_LIBDIR
#error "INSTALL_LIBDIR: CMAKE_INSTALL_LIBDIR"
#endif
#ifndef MANDIR
#error "MANDIR: CMAKE_INSTALL_MANDIR"
#endif
#ifndef SANFLAGS
#error "SANFLAGS: the sanitizer flags of this build, or empty"
#endif

/* sh: run a shell command line; its exit status must be 0 */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st != 0)
		FAIL("exit status %d: %s", st, cmd);
}

static void exists(const char *prefix, const char *rel)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", prefix, rel);
	if (stat(p, &st) != 0)
		FAIL("not installed: %s", p);
}

int main(void)
{
	char prefix[1024], ex[1024], data[1024], out[1024], buf[4096];
	const char *lib = INSTALL_LIBDIR;
	char rel[512];
	size_t n;
	FILE *f;

	snprintf(prefix, sizeof(prefix), "%s", tpath("prefix"));
	snprintf(ex, sizeof(ex), "%s", tpath("examples"));
	snprintf(data, sizeof(data), "%s", tpath("data"));
	snprintf(out, sizeof(out), "%s", tpath("out"));
	sh("cmake --install '%s' --prefix '%s' > '%s' 2>&1", BUILD_DIR,
	    prefix, out);
	exists(prefix, "include/upager.h");
	exists(prefix, "bin/upager");
	exists(prefix, MANDIR "/man1/upager.1");
	exists(prefix, MANDIR "/man3/upager.3");
	snprintf(rel, sizeof(rel), "%s/libupager.so", lib);
	exists(prefix, rel);
	snprintf(rel, sizeof(rel), "%s/libupager.a", lib);
	exists(prefix, rel);
	snprintf(rel, sizeof(rel), "%s/libupager-preload.so", lib);
	exists(prefix, rel);
	snprintf(rel, sizeof(rel), "%s/pkgconfig/upager.pc", lib);
	exists(prefix, rel);
	/* outside the tree, nothing but pkg-config says where upager is */
	sh("cp -r '%s' '%s'", EXAMPLES_DIR, ex);
	sh("PKG_CONFIG_PATH='%s/%s/pkgconfig' make -s -C '%s' "
	    "CFLAGS='-O2 -Wall %s' > '%s' 2>&1", prefix, lib, ex, SANFLAGS,
	    out);
	/* 3 MiB of data, scanned under a 1 MiB budget */
	sh("head -c 3145728 /dev/urandom > '%s'", data);
	sh("LD_LIBRARY_PATH='%s/%s' '%s/scan' '%s' 1 > '%s' 2>&1", prefix, lib,
	    ex, data, out);
	CHECK((f = fopen(out, "r")) != NULL);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	if (strncmp(buf, "sum ", 4) != 0 || strstr(buf, "of 256 pages") ==
	    NULL)
		FAIL("scan printed '%s'", buf);
	/* the installed command finds the installed interposer */
	sh("ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 "
	    "UPAGER_PRELOAD_LIB= '%s/bin/upager' run -m 1M -- true", prefix);
	rm_test_dir();
	buf[strcspn(buf, "\n")] = '\0';
	printf("t_install: ok (%s)\n", buf);
	return 0;
}
