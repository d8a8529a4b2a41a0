/* SPDX-License-Identifier: MIT */
/*
 * t_data.c -- the data moved by AU_WRITE and AU_READ.  Owns the rules that
 * what is written is what is read back, block by block, for every transfer
 * size and in-page offset; that a transfer touches exactly its own blocks
 * on disk and its own bytes in the caller's page; that with -b/-B the data
 * sits in the backing store at OFFSET + au_daddr * 512 in both directions
 * (checked with O_DIRECT); that a slice maps onto the same disk as DEVICE;
 * that a failing device read is reported in iostatus, never lost (with -E,
 * a block the harness made unreadable); and (group "posio", off with -P)
 * that pread/pwrite/read/write on the device agree with the ioctls.
 */
#include "conform.h"

#include <stdlib.h>
#include <unistd.h>

#define DBLK	4000L		/* blocks used by these tests */

/* A block near want whose byte position in the backing store is 4096-
 * aligned, so O_DIRECT works on 4K-sector backing devices too. */
static long aligned_block(uint64_t backing_off, long want)
{
	uint64_t bb = backing_off / BLK;

	return want + (long)((8 - (bb + (uint64_t)want) % 8) % 8);
}

static void write_read_blocks(int fd, const long *blocks, size_t n,
			      unsigned tag, const char *what)
{
	struct req *r = calloc(n, sizeof(*r));
	char *p = pages_alloc((n * BLK + PAGE - 1) / PAGE);

	ck_assert(r != NULL);
	for (size_t i = 0; i < n; i++) {
		r[i] = (struct req){ AU_WRITE, blocks[i], p + i * BLK, BLK,
				     REQ_IDLE };
		pat_fill(r[i].maddr, blocks[i], BLK, tag);
		req_start(fd, &r[i]);
	}
	reqs_wait(fd, r, n);
	memset(p, 0, n * BLK);
	for (size_t i = 0; i < n; i++) {
		r[i].cmd = AU_READ;
		req_start(fd, &r[i]);
	}
	reqs_wait(fd, r, n);
	for (size_t i = 0; i < n; i++)
		EXPECT_PAT(r[i].maddr, blocks[i], BLK, tag,
			   "%s: block %ld read back", what, blocks[i]);
	free(r);
}

START_TEST(data_write_read_back)
{
	static const long blocks[] = {
		0, 1, 2, 7, 8, 9, 100, 1023, 2048, 4095, 8191, AREA_BLOCKS - 1,
	};
	int fd = dev_open();

	write_read_blocks(fd, blocks, sizeof(blocks) / sizeof(blocks[0]), 5,
			  "DEVICE");
	dev_close(fd);
}
END_TEST

START_TEST(data_read_sizes_and_offsets)
{
	static const struct {
		long size, off, blk;	/* blk: first block after DBLK */
	} rd[] = {
		{ 512, 0, 0 }, { 512, 512, 3 }, { 512, 1536, 7 },
		{ 512, 3584, 5 }, { 1024, 0, 2 }, { 1024, 1024, 6 },
		{ 1024, 3072, 0 }, { 2048, 0, 4 }, { 2048, 2048, 1 },
		{ 3584, 512, 1 }, { 4096, 0, 0 },
	};
	int fd = dev_open();
	char *src = pages_alloc(1);
	char *page = pages_alloc(1);

	pat_fill(src, DBLK, PAGE, 6);
	io_sync(fd, AU_WRITE, DBLK, src, PAGE);
	for (size_t i = 0; i < sizeof(rd) / sizeof(rd[0]); i++) {
		char what[100];

		memset(page, 0xA5, PAGE);
		io_sync(fd, AU_READ, DBLK + rd[i].blk, page + rd[i].off,
			rd[i].size);
		EXPECT_PAT(page + rd[i].off, DBLK + rd[i].blk,
			   (size_t)rd[i].size, 6, "read of %ld bytes into page "
			   "offset %ld", rd[i].size, rd[i].off);
		snprintf(what, sizeof(what), "page bytes before a %ld-byte "
			 "read at offset %ld", rd[i].size, rd[i].off);
		expect_fill(page, (size_t)rd[i].off, 0xA5, what);
		snprintf(what, sizeof(what), "page bytes after a %ld-byte "
			 "read at offset %ld", rd[i].size, rd[i].off);
		expect_fill(page + rd[i].off + rd[i].size,
			    (size_t)(PAGE - rd[i].off - rd[i].size), 0xA5, what);
	}
	dev_close(fd);
}
END_TEST

START_TEST(data_write_sizes_and_offsets)
{
	static const struct {
		long size, off;
	} wr[] = {
		{ 512, 0 }, { 512, 3584 }, { 512, 1024 }, { 1024, 1024 },
		{ 1024, 3072 }, { 2048, 512 }, { 3584, 512 }, { 4096, 0 },
	};
	int fd = dev_open();
	char *page = pages_alloc(1);

	for (size_t i = 0; i < sizeof(wr) / sizeof(wr[0]); i++) {
		long d = DBLK + 16 + 8 * (long)i;

		/* Known surroundings, then the write under test. */
		pat_fill(page, d, PAGE, 8);
		io_sync(fd, AU_WRITE, d, page, PAGE);
		memset(page, 0x5A, PAGE);
		pat_fill(page + wr[i].off, d, (size_t)wr[i].size, 7);
		io_sync(fd, AU_WRITE, d, page + wr[i].off, wr[i].size);
		memset(page, 0, PAGE);
		io_sync(fd, AU_READ, d, page, PAGE);
		EXPECT_PAT(page, d, (size_t)wr[i].size, 7, "%ld bytes written "
			   "from page offset %ld", wr[i].size, wr[i].off);
		if (wr[i].size < PAGE)
			EXPECT_PAT(page + wr[i].size, d + wr[i].size / BLK,
				   (size_t)(PAGE - wr[i].size), 8,
				   "blocks after a %ld-byte write (must be "
				   "untouched)", wr[i].size);
	}
	dev_close(fd);
}
END_TEST

START_TEST(data_concurrent_distinct_blocks)
{
	int fd = dev_open();

	pages_round_trip(fd, DBLK + 128, batch_max(40), 9);
	dev_close(fd);
}
END_TEST

/* ---- the backing store -------------------------------------------- */

static void backing_sees_write(int fd, const char *path, uint64_t off)
{
	long d = aligned_block(off, DBLK + 512);
	char *p = pages_alloc(1);
	char *b = abuf(PAGE);

	pat_fill(p, d, PAGE, 10);
	io_sync(fd, AU_WRITE, d, p, PAGE);
	backing_read(path, off + (uint64_t)d * BLK, b, PAGE);
	EXPECT_PAT(b, d, PAGE, 10, "backing store at %llu after a 4096-byte "
		   "AU_WRITE of block %ld",
		   (unsigned long long)(off + (uint64_t)d * BLK), d);
	/* A single block in the middle of a known page. */
	pat_fill(p, d + 8, PAGE, 11);
	io_sync(fd, AU_WRITE, d + 8, p, PAGE);
	pat_fill(p + 1536, d + 11, BLK, 12);
	io_sync(fd, AU_WRITE, d + 11, p + 1536, BLK);
	backing_read(path, off + (uint64_t)(d + 8) * BLK, b, PAGE);
	EXPECT_PAT(b, d + 8, 1536, 11, "backing blocks before the 512-byte "
		   "write");
	EXPECT_PAT(b + 1536, d + 11, BLK, 12, "backing block of the 512-byte "
		   "write");
	EXPECT_PAT(b + 2048, d + 12, 2048, 11, "backing blocks after the "
		   "512-byte write");
	free(b);
}

static void reads_backing_write(int fd, const char *path, uint64_t off)
{
	long d = aligned_block(off, DBLK + 600);
	char *p = pages_alloc(1);
	char *b = abuf(PAGE);

	pat_fill(b, d, PAGE, 13);
	backing_write(path, off + (uint64_t)d * BLK, b, PAGE);
	io_sync(fd, AU_READ, d, p, PAGE);
	EXPECT_PAT(p, d, PAGE, 13, "AU_READ of 4096 bytes at block %ld after "
		   "an O_DIRECT write to the backing store", d);
	memset(p, 0, PAGE);
	io_sync(fd, AU_READ, d + 5, p + 2560, BLK);
	EXPECT_PAT(p + 2560, d + 5, BLK, 13, "AU_READ of block %ld", d + 5);
	free(b);
}

START_TEST(data_backing_sees_aio_write)
{
	int fd = dev_open();

	backing_sees_write(fd, conf.backing, conf.backing_off);
	dev_close(fd);
}
END_TEST

START_TEST(data_aio_reads_backing_write)
{
	int fd = dev_open();

	reads_backing_write(fd, conf.backing, conf.backing_off);
	dev_close(fd);
}
END_TEST

START_TEST(slice_data_round_trip)
{
	static const long blocks[] = { 0, 1, 8, 100, 4095, AREA_BLOCKS - 1 };
	int fd = slice_open();
	char *p = pages_alloc(1);

	write_read_blocks(fd, blocks, sizeof(blocks) / sizeof(blocks[0]), 14,
			  "SLICE_DEVICE");
	pat_fill(p, DBLK, PAGE, 14);
	io_sync(fd, AU_WRITE, DBLK, p, PAGE);
	memset(p, 0, PAGE);
	io_sync(fd, AU_READ, DBLK, p, PAGE);
	EXPECT_PAT(p, DBLK, PAGE, 14, "SLICE_DEVICE: a page read back");
	dev_close(fd);
}
END_TEST

START_TEST(slice_backing_sees_aio_write)
{
	int fd = slice_open();

	backing_sees_write(fd, conf.slice_backing, conf.slice_backing_off);
	dev_close(fd);
}
END_TEST

START_TEST(slice_aio_reads_backing_write)
{
	int fd = slice_open();

	reads_backing_write(fd, conf.slice_backing, conf.slice_backing_off);
	dev_close(fd);
}
END_TEST

START_TEST(slice_maps_into_device)
{
	int dev = dev_open(), sl = slice_open();
	long delta = (long)((conf.slice_backing_off - conf.backing_off) / BLK);
	long k = DBLK + 700;
	char *p = pages_alloc(1);

	/* Slice block k is DEVICE block delta + k; patterns are keyed by
	 * the slice's block numbers. */
	pat_fill(p, k, PAGE, 15);
	io_sync(sl, AU_WRITE, k, p, PAGE);
	memset(p, 0, PAGE);
	io_sync(dev, AU_READ, delta + k, p, PAGE);
	EXPECT_PAT(p, k, PAGE, 15, "DEVICE block %ld after writing "
		   "SLICE_DEVICE block %ld", delta + k, k);
	pat_fill(p, k + 8, PAGE, 16);
	io_sync(dev, AU_WRITE, delta + k + 8, p, PAGE);
	memset(p, 0, PAGE);
	io_sync(sl, AU_READ, k + 8, p, PAGE);
	EXPECT_PAT(p, k + 8, PAGE, 16, "SLICE_DEVICE block %ld after writing "
		   "DEVICE block %ld", k + 8, delta + k + 8);
	dev_close(dev);
	dev_close(sl);
}
END_TEST

/* ---- positional I/O ------------------------------------------------ */

START_TEST(posio_pread_sees_aio_write)
{
	int fd = dev_open();
	long d = DBLK + 800;
	char *p = pages_alloc(1);
	char *b = abuf(PAGE);

	pat_fill(p, d, PAGE, 17);
	io_sync(fd, AU_WRITE, d, p, PAGE);
	ssize_t n = pread(fd, b, PAGE, (off_t)d * BLK);

	ck_assert_msg(n == PAGE, "pread 4096 at %ld: %zd %s", d * BLK, n,
		      n < 0 ? strerror(errno) : "");
	EXPECT_PAT(b, d, PAGE, 17, "pread after AU_WRITE");
	memset(b, 0, PAGE);
	n = pread(fd, b, BLK, (off_t)(d + 3) * BLK);
	ck_assert_msg(n == BLK, "pread 512 at %ld: %zd %s", (d + 3) * BLK, n,
		      n < 0 ? strerror(errno) : "");
	EXPECT_PAT(b, d + 3, BLK, 17, "pread of one block after AU_WRITE");
	free(b);
	dev_close(fd);
}
END_TEST

START_TEST(posio_aio_read_sees_pwrite)
{
	int fd = dev_open();
	long d = DBLK + 816;
	char *p = pages_alloc(1);
	char *b = abuf(PAGE);

	pat_fill(b, d, PAGE, 18);
	ssize_t n = pwrite(fd, b, PAGE, (off_t)d * BLK);

	ck_assert_msg(n == PAGE, "pwrite 4096 at %ld: %zd %s", d * BLK, n,
		      n < 0 ? strerror(errno) : "");
	io_sync(fd, AU_READ, d, p, PAGE);
	EXPECT_PAT(p, d, PAGE, 18, "AU_READ after pwrite");
	pat_fill(b, d + 9, BLK, 19);
	n = pwrite(fd, b, BLK, (off_t)(d + 9) * BLK);
	ck_assert_msg(n == BLK, "pwrite 512 at %ld: %zd %s", (d + 9) * BLK, n,
		      n < 0 ? strerror(errno) : "");
	memset(p, 0, PAGE);
	io_sync(fd, AU_READ, d + 9, p + 512, BLK);
	EXPECT_PAT(p + 512, d + 9, BLK, 19, "AU_READ of a block after "
		   "pwrite");
	free(b);
	dev_close(fd);
}
END_TEST

START_TEST(posio_lseek_read_write)
{
	int fd = dev_open();
	long d = DBLK + 832;
	char *p = pages_alloc(1);
	char *b = abuf(PAGE);

	pat_fill(b, d, 2048, 20);
	ck_assert_msg(lseek(fd, (off_t)d * BLK, SEEK_SET) == (off_t)d * BLK,
		      "lseek: %s", strerror(errno));
	ck_assert_msg(write(fd, b, 2048) == 2048, "write: %s", strerror(errno));
	ck_assert_msg(lseek(fd, 0, SEEK_CUR) == (off_t)(d + 4) * BLK,
		      "file position after write(2048) is not 2048 further");
	pat_fill(b, d + 4, 2048, 20);
	ck_assert_msg(write(fd, b, 2048) == 2048, "second write: %s",
		      strerror(errno));
	io_sync(fd, AU_READ, d, p, PAGE);
	EXPECT_PAT(p, d, PAGE, 20, "AU_READ after two write() calls");
	pat_fill(p, d + 8, PAGE, 21);
	io_sync(fd, AU_WRITE, d + 8, p, PAGE);
	memset(b, 0, PAGE);
	ck_assert(lseek(fd, (off_t)(d + 8) * BLK, SEEK_SET) ==
		  (off_t)(d + 8) * BLK);
	ck_assert_msg(read(fd, b, PAGE) == PAGE, "read: %s", strerror(errno));
	EXPECT_PAT(b, d + 8, PAGE, 21, "read() after AU_WRITE");
	free(b);
	dev_close(fd);
}
END_TEST

/* pread, and lseek+read, at several offsets (aligned or not) return what
 * an O_DIRECT read of the backing store holds there. */
START_TEST(posio_reads_match_backing)
{
	static const struct { long block; size_t skip, len; } at[] = {
		{ 0, 0, 512 }, { 3, 0, 4096 }, { 17, 100, 1000 },
		{ 40, 511, 2 }, { 64, 0, 65536 }, { 200, 7, 8192 },
	};
	int fd = dev_open();
	long d = DBLK + 900;
	size_t area = 300 * BLK;
	char *disk = abuf(area), *got = abuf(65536);

	pat_fill(disk, d, area, 22);
	backing_write(conf.backing, conf.backing_off + (uint64_t)d * BLK, disk,
		      area);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		off_t off = (off_t)(d + at[i].block) * BLK + (off_t)at[i].skip;
		const char *want = disk + at[i].block * BLK + at[i].skip;

		memset(got, 0, at[i].len);
		ck_assert_msg(pread(fd, got, at[i].len, off) ==
			      (ssize_t)at[i].len, "pread(%zu at %lld): %s",
			      at[i].len, (long long)off, strerror(errno));
		ck_assert_msg(!memcmp(got, want, at[i].len),
			      "pread(%zu at %lld) differs from the backing "
			      "store", at[i].len, (long long)off);
		memset(got, 0, at[i].len);
		ck_assert(lseek(fd, off, SEEK_SET) == off);
		ck_assert_msg(read(fd, got, at[i].len) == (ssize_t)at[i].len,
			      "read after lseek: %s", strerror(errno));
		ck_assert_msg(!memcmp(got, want, at[i].len),
			      "lseek(%lld)+read(%zu) differs from the backing "
			      "store", (long long)off, at[i].len);
	}
	free(disk);
	free(got);
	dev_close(fd);
}
END_TEST

START_TEST(data_device_error_in_iostatus)
{
	int fd = dev_open();
	char *p = pages_alloc(1);
	ASYNCSTATUS st;
	double end = now() + io_timeout;

	memset(p, 0x5a, PAGE);
	EXPECT_OK(aio_start(fd, AU_READ, conf.error_block, p, PAGE, p),
		  "AU_READ of the failing block %ld", conf.error_block);
	while (status_poll(fd, &st) == 0 && now() < end)
		nap_ms(1);
	ck_assert_msg(st.acount == 1, "no status for the failing read");
	ck_assert_msg(st.astatus[0].iostatus != 0,
		      "the failing read reported iostatus 0");
	ck_assert_int_lt(st.astatus[0].iobsize, PAGE);
	ck_assert_ptr_eq(st.astatus[0].ioref, p);
	/* The device, and the daemon, carry on. */
	pat_fill(p, 8, PAGE, 9);
	io_sync(fd, AU_WRITE, 8, p, PAGE);
	memset(p, 0, PAGE);
	io_sync(fd, AU_READ, 8, p, PAGE);
	EXPECT_PAT(p, 8, PAGE, 9, "a transfer after the device error");
	dev_close(fd);
}
END_TEST

const struct cgroup group_data = {
	"data", 60, (const struct ctest[]){
		CTEST(data_write_read_back, 0),
		CTEST(data_read_sizes_and_offsets, 0),
		CTEST(data_write_sizes_and_offsets, 0),
		CTEST(data_concurrent_distinct_blocks, 0),
		CTEST(data_backing_sees_aio_write, NEED_BACKING),
		CTEST(data_aio_reads_backing_write, NEED_BACKING),
		CTEST(slice_data_round_trip, NEED_SLICE),
		CTEST(slice_backing_sees_aio_write, NEED_SLICE_BACKING),
		CTEST(slice_aio_reads_backing_write, NEED_SLICE_BACKING),
		CTEST(slice_maps_into_device, NEED_SLICE | NEED_SAME_BACKING),
		CTEST(data_device_error_in_iostatus, NEED_ERROR_BLOCK),
		CTEST_END,
	},
};

const struct cgroup group_posio = {
	"posio", 60, (const struct ctest[]){
		CTEST(posio_pread_sees_aio_write, NEED_POSIO),
		CTEST(posio_aio_read_sees_pwrite, NEED_POSIO),
		CTEST(posio_lseek_read_write, NEED_POSIO),
		CTEST(posio_reads_match_backing, NEED_POSIO | NEED_BACKING),
		CTEST_END,
	},
};
