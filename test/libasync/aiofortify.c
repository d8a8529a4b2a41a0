/* SPDX-License-Identifier: MIT */
/*
 * aiofortify.c -- pread as a program built with _FORTIFY_SOURCE calls it
 * (__pread_chk, or __pread64_chk, when the buffer's size is known at
 * compile time and the length is not), on an aiod device with libasync:
 * the offset must hold, on CUSE too, where the kernel ignores it.  Writes
 * a page of 'z's at 0 and one of 'p's at 8 KiB with pwrite, reads 8 KiB
 * back with the fortified pread, and exits 0 when it got the 'p's; 1 if
 * not, or if the build was not fortified (fortification needs
 * optimisation), since then it would test nothing.
 */
#if defined(__OPTIMIZE__) && !defined(_FORTIFY_SOURCE)
#define _FORTIFY_SOURCE 2
#endif

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096

static char page[PAGE] __attribute__((aligned(PAGE)));

int main(int argc, char **argv)
{
	volatile size_t len = sizeof(page);	/* not known when compiled */
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: aiofortify DEVICE\n");
		return 2;
	}
#if !defined(__OPTIMIZE__) || _FORTIFY_SOURCE < 1
	fprintf(stderr, "aiofortify: built without _FORTIFY_SOURCE\n");
	return 1;
#endif
	if ((fd = open(argv[1], O_RDWR)) < 0) {
		perror(argv[1]);
		return 1;
	}
	memset(page, 'z', PAGE);
	if (pwrite(fd, page, PAGE, 0) != PAGE)
		goto failed;
	memset(page, 'p', PAGE);
	if (pwrite(fd, page, PAGE, 2 * PAGE) != PAGE)
		goto failed;
	memset(page, 0, PAGE);
	if (pread(fd, page, len, 2 * PAGE) != PAGE)
		goto failed;
	if (page[0] != 'p' || memcmp(page, page + 1, PAGE - 1)) {
		printf("FAIL: a fortified pread at 8192 returned '%c's\n",
		       page[0]);
		return 1;
	}
	printf("ok: a fortified pread at 8192 returned the page written "
	       "there\n");
	return 0;
failed:
	perror("aiofortify: pread or pwrite");
	return 1;
}
