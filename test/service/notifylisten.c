/* SPDX-License-Identifier: MIT */
/*
 * notifylisten.c -- what systemd hears from a Type=notify service, for
 * the tests: binds an AF_UNIX datagram socket at PATH (the service's
 * NOTIFY_SOCKET) and prints each datagram on one line, its newlines
 * shown as " | ", flushing each, until COUNT datagrams have come or it is
 * killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char buf[4096];
	long count;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: notifylisten PATH COUNT\n");
		return 2;
	}
	count = atol(argv[2]);
	strcpy(addr.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("notifylisten: socket");
		return 1;
	}
	while (count-- > 0) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n < 0) {
			perror("notifylisten: recv");
			return 1;
		}
		buf[n] = '\0';
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				fputs(p[1] ? " | " : "", stdout);
			else
				putchar(*p);
		putchar('\n');
		fflush(stdout);
	}
	return 0;
}
