/*
 * fileio.c - file write and read throughput: write MiB mebibytes to FILE
 * in 64 KiB pieces, read them back in 64 KiB pieces and check every byte,
 * then remove FILE. Run by bench/run.py natively and under coffer (where
 * FILE is on a passthrough mount: the host's file system).
 *
 *   bench_fileio FILE MiB
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIECE 65536

static void fill(unsigned char *buf, long piece)
{
	for (int i = 0; i < PIECE; i++)
		buf[i] = (unsigned char)(piece * 131 + i * 7);
}

int main(int argc, char **argv)
{
	static unsigned char buf[PIECE], want[PIECE];
	if (argc != 3) {
		fprintf(stderr, "usage: bench_fileio FILE MiB\n");
		return 2;
	}
	long pieces = atol(argv[2]) * (1 << 20) / PIECE;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	for (long p = 0; p < pieces; p++) {
		fill(buf, p);
		if (write(fd, buf, PIECE) != PIECE) {
			perror("write");
			return 1;
		}
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		perror("lseek");
		return 1;
	}
	for (long p = 0; p < pieces; p++) {
		fill(want, p);
		if (read(fd, buf, PIECE) != PIECE || memcmp(buf, want, PIECE)) {
			fprintf(stderr, "bench_fileio: piece %ld read back wrong\n", p);
			return 1;
		}
	}
	close(fd);
	unlink(argv[1]);
	return 0;
}
