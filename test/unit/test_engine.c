/* SPDX-License-Identifier: MIT */
/*
 * test_engine.c -- unit tests of the engine through its transport-neutral
 * interface, as any user, with no mount and no device: the partition is
 * an image file in a temporary directory, the caller is the test process
 * itself, and the event loop runs in the test.  They cover the order of
 * DKIOCASTRT's checks, the status FIFO and MAXSTATUS batching, flush and
 * release waiting for transfers in flight, DKIOCMLOCK's region and its end
 * on close, page protections, the data moved, and the CUSE file position
 * on errors.
 */
#include "unit.h"
#include "aiod/aiod.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/async.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define IMAGE_BYTES	(1024u * 1024u)
#define PERPROC		20u	/* NAIOREQPP for these tests */

static char dir[] = "/var/tmp/scoaio-unit.XXXXXX";
static char image[sizeof(dir) + 16];
static struct device dev;
static struct loop_source completions;
static struct requester self;
/* Page-aligned memory of the test process, the caller's buffers. */
static unsigned char *mem;

static void reap(struct loop_source *src)
{
	(void)src;
	backend_reap();
}

static void setup(void)
{
	struct tunables tun = { .naioproc = 4, .naioreq = 64,
				.naioreqpp = PERPROC, .naiobuf = 64,
				.naiolocktbl = 4, .naioprocpu = 4,
				.naioreqpu = 64 };
	struct device_spec spec = { .name = "t", .path = image, .mode = 0600 };
	char err[256];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(image, sizeof(image), "%s/disk.img", dir);
	fd = open(image, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, IMAGE_BYTES), 0);
	close(fd);
	ck_assert_msg(backend_open_device(&dev, &spec, err, sizeof(err)) == 0,
		      "%s", err);
	ck_assert_int_eq(loop_init(0), 0);
	ck_assert_int_eq(backend_init(tun.naioreq, tun.naiobuf), 0);
	ck_assert_int_eq(clientmem_init(), 0);
	ck_assert_int_eq(quota_init(&tun), 0);
	ck_assert_int_eq(callers_init(engine_caller_retired), 0);
	ck_assert_int_eq(locktbl_init(tun.naiolocktbl, tun.naioproc), 0);
	engine_init(&tun);
	completions = (struct loop_source){ backend_eventfd(), reap };
	ck_assert_int_eq(loop_add(&completions), 0);
	self = (struct requester){ gettid(), getuid(), getgid() };
	mem = mmap(NULL, 16 * AIO_PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
}

static void teardown(void)
{
	clientmem_shutdown();
	unlink(image);
	rmdir(dir);
}

/* Run the event loop until the engine has nothing in flight. */
static void settle(void)
{
	time_t give_up = time(NULL) + 10;

	engine_start_accepted();
	while (engine_inflight()) {
		ck_assert_msg(time(NULL) < give_up, "transfers never ended");
		ck_assert_int_eq(loop_run_once(100, engine_start_accepted), 0);
	}
}

static struct request_args request(int64_t cmd, int64_t daddr,
				   const void *buf, int64_t size,
				   uint64_t ref)
{
	return (struct request_args){ cmd, daddr, (uintptr_t)buf, size, ref };
}

/* A pending call's outcome, as a transport would see it. */
struct outcome {
	struct engine_call call;	/* first */
	bool statuses;		/* data is struct status[n], not n bytes */
	atomic_bool done;	/* set last: answers may come from a worker */
	int err;
	size_t n;
	char data[AIO_PAGE];
};

static void record(struct engine_call *call, int err, const void *data,
		   size_t n)
{
	struct outcome *o = (struct outcome *)call;

	ck_assert_msg(!atomic_load(&o->done), "a call was answered twice");
	o->err = err;
	o->n = n;
	if (o->statuses)
		n *= sizeof(struct status);
	if (data)
		memcpy(o->data, data,
		       n < sizeof(o->data) ? n : sizeof(o->data));
	atomic_store(&o->done, true);
}

static struct outcome *outcome(void)
{
	struct outcome *o = calloc(1, sizeof(*o));

	ck_assert_ptr_nonnull(o);
	o->call.done = record;
	return o;
}

static void start_nothing(void)
{
}

/* Run the loop, starting no accepted transfer, until o is answered. */
static int answer(struct outcome *o)
{
	time_t give_up = time(NULL) + 10;
	int err;

	while (!atomic_load(&o->done)) {
		ck_assert_msg(time(NULL) < give_up, "a call was not answered");
		ck_assert_int_eq(loop_run_once(100, start_nothing), 0);
	}
	err = o->err;
	return err;
}

/* DKIOCASTRT and DKIOCMLOCK as a transport issues them: their errno. */
static int astrt(struct aio_file *f, const struct request_args *rq)
{
	struct outcome *o = outcome();
	int err;

	engine_start(f, &o->call, &self, rq);
	err = answer(o);
	free(o);
	return err;
}

static int mlock_region(struct aio_file *f, const struct mlock_args *m)
{
	struct outcome *o = outcome();
	int err;

	engine_mlock(f, &o->call, &self, m);
	err = answer(o);
	free(o);
	return err;
}

/* DKIOCASTAT into [addr, addr+size): its errno, the statuses in st. */
static int astat_into(struct aio_file *f, uint64_t addr, size_t size,
		      struct status *st, size_t *n)
{
	struct outcome *o = outcome();
	int err;

	o->statuses = true;
	engine_collect(f, &o->call, &self, addr, size);
	err = answer(o);
	*n = o->n;
	memcpy(st, o->data, o->n * sizeof(*st));
	free(o);
	return err;
}

static size_t collect(struct aio_file *f, struct status *st)
{
	size_t n;

	ck_assert_int_eq(astat_into(f, (uintptr_t)mem, AIO_PAGE, st, &n), 0);
	return n;
}

/* Release f as a transport does on the last close, and wait for it. */
static void release_file(struct aio_file *f)
{
	struct outcome *o = outcome();

	engine_release(f, &o->call);
	settle();
	ck_assert(o->done);
	ck_assert_int_eq(o->err, 0);
	free(o);
}

/* Each rule's errno, then EAGAIN for slots, then EFAULT for memory. */
START_TEST(astrt_checks_in_order)
{
	struct aio_file *ro = engine_open(&dev, O_RDONLY);
	struct aio_file *rw = engine_open(&dev, O_RDWR);
	int64_t end = IMAGE_BYTES / AIO_BLOCK;
	struct request_args rq;
	void *unmapped = mem + 15 * AIO_PAGE;

	ck_assert_int_eq(munmap(unmapped, AIO_PAGE), 0);
	rq = request(AU_WRITE, end, mem + 1, 512, 0);
	ck_assert_int_eq(astrt(ro, &rq), EINVAL);
	rq = request(AU_WRITE, end, mem, 512, 0);
	ck_assert_int_eq(astrt(ro, &rq), ENXIO);
	rq = request(AU_WRITE, 0, unmapped, 512, 0);
	ck_assert_int_eq(astrt(ro, &rq), EBADF);
	ck_assert_int_eq(astrt(rw, &rq), EFAULT);
	for (unsigned i = 0; i < PERPROC; i++) {
		rq = request(AU_READ, i, mem, 512, i);
		ck_assert_int_eq(astrt(rw, &rq), 0);
	}
	rq = request(AU_WRITE, 0, unmapped, 512, 0);
	ck_assert_int_eq(astrt(rw, &rq), EAGAIN);
	ck_assert_uint_eq(engine_stats()->requests_active, PERPROC);
	settle();
	release_file(ro);
	release_file(rw);
}
END_TEST

/* Statuses come back in completion order, at most MAXSTATUS a call, each
 * exactly once, and the slots return as they are collected. */
START_TEST(astat_fifo_and_batches)
{
	struct aio_file *f = engine_open(&dev, O_RDWR);
	struct status st[MAXSTATUS];
	struct request_args rq;
	bool seen[PERPROC] = { false };
	size_t total = 0, n;

	ck_assert_uint_eq(collect(f, st), 0);
	for (unsigned i = 0; i < 3; i++) {	/* one at a time: known order */
		rq = request(AU_READ, i, mem + i * AIO_BLOCK, 512, 100 + i);
		ck_assert_int_eq(astrt(f, &rq), 0);
		settle();
	}
	ck_assert_uint_eq(collect(f, st), 3);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_uint_eq(st[i].ioref, 100 + i);
		ck_assert_uint_eq(st[i].iomaddr,
				  (uintptr_t)mem + i * AIO_BLOCK);
		ck_assert_int_eq(st[i].iostatus, 0);
		ck_assert_int_eq(st[i].iobsize, 512);
	}
	for (unsigned i = 0; i < PERPROC; i++) {
		rq = request(AU_READ, i, mem, 512, i);
		ck_assert_int_eq(astrt(f, &rq), 0);
	}
	settle();
	while ((n = collect(f, st)) > 0) {
		ck_assert_uint_eq(n, total == 0 ? MAXSTATUS
						: PERPROC - MAXSTATUS);
		for (size_t i = 0; i < n; i++) {
			ck_assert(!seen[st[i].ioref]);
			seen[st[i].ioref] = true;
		}
		total += n;
	}
	ck_assert_uint_eq(total, PERPROC);
	ck_assert_uint_eq(engine_stats()->requests_active, 0);
	ck_assert_uint_eq(engine_stats()->requests_total, 3 + PERPROC);
	release_file(f);
}
END_TEST

/* An unmapped DKIOCASTAT buffer is EFAULT and loses no status. */
START_TEST(astat_bad_buffer_keeps_statuses)
{
	struct aio_file *f = engine_open(&dev, O_RDWR);
	struct request_args rq = request(AU_READ, 0, mem, 512, 7);
	struct status st[MAXSTATUS];
	size_t n = 99;

	ck_assert_int_eq(astrt(f, &rq), 0);
	settle();
	ck_assert_int_eq(astat_into(f, 8, sizeof(ASYNCSTATUS), st, &n),
			 EFAULT);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(collect(f, st), 1);
	ck_assert_uint_eq(st[0].ioref, 7);
	release_file(f);
}
END_TEST

/* Data moves only where the client itself could move it: never into a
 * page it may not write, never from one it may not read. */
START_TEST(page_protections_respected)
{
	struct aio_file *f = engine_open(&dev, O_RDWR);
	unsigned char *ro = mem + 4 * AIO_PAGE, *none = mem + 5 * AIO_PAGE;
	struct outcome *o = outcome();
	struct status st[MAXSTATUS];
	struct request_args rq;
	size_t n;

	memset(ro, 0x5a, AIO_PAGE);
	ck_assert_int_eq(mprotect(ro, AIO_PAGE, PROT_READ), 0);
	ck_assert_int_eq(mprotect(none, AIO_PAGE, PROT_NONE), 0);
	rq = request(AU_READ, 0, ro, 512, 0);
	ck_assert_int_eq(astrt(f, &rq), EFAULT);
	rq = request(AU_WRITE, 0, none, 512, 0);
	ck_assert_int_eq(astrt(f, &rq), EFAULT);
	rq = request(AU_WRITE, 0, ro, 512, 0);		/* readable: fine */
	ck_assert_int_eq(astrt(f, &rq), 0);
	settle();
	ck_assert_int_eq(astat_into(f, (uintptr_t)ro, sizeof(ASYNCSTATUS), st,
				    &n), EFAULT);
	ck_assert_uint_eq(collect(f, st), 1);
	engine_pio(f, &o->call, &self, false, (uintptr_t)ro, 100, 0);
	settle();
	ck_assert(o->done);
	ck_assert_int_eq(o->err, EFAULT);
	for (unsigned i = 0; i < AIO_PAGE; i++)
		ck_assert_uint_eq(ro[i], 0x5a);
	free(o);
	release_file(f);
}
END_TEST

/* Written blocks read back, through DKIOCASTRT and positional I/O. */
START_TEST(data_round_trip)
{
	struct aio_file *f = engine_open(&dev, O_RDWR);
	struct status st[MAXSTATUS];
	struct request_args rq;
	struct outcome *o = outcome();

	for (unsigned i = 0; i < AIO_PAGE; i++)
		mem[i] = (unsigned char)(i * 7 + 3);
	rq = request(AU_WRITE, 40, mem, AIO_PAGE, 1);
	ck_assert_int_eq(astrt(f, &rq), 0);
	settle();
	ck_assert_uint_eq(collect(f, st), 1);
	ck_assert_int_eq(st[0].iostatus, 0);
	rq = request(AU_READ, 40, mem + AIO_PAGE, AIO_PAGE, 2);
	ck_assert_int_eq(astrt(f, &rq), 0);
	settle();
	ck_assert_uint_eq(collect(f, st), 1);
	ck_assert_int_eq(memcmp(mem, mem + AIO_PAGE, AIO_PAGE), 0);
	/* Unaligned positional read of the same bytes. */
	engine_pio(f, &o->call, &self, false, (uintptr_t)(mem + 2 * AIO_PAGE),
		   100, 40 * AIO_BLOCK + 13);
	settle();
	ck_assert(o->done);
	ck_assert_int_eq(o->err, 0);
	ck_assert_uint_eq(o->n, 100);
	ck_assert_int_eq(memcmp(mem + 13, mem + 2 * AIO_PAGE, 100), 0);
	free(o);
	release_file(f);
}
END_TEST

/* flush and release are answered only after the file's last transfer. */
START_TEST(release_waits_for_transfers)
{
	struct aio_file *f = engine_open(&dev, O_RDWR);
	struct outcome *flush = outcome(), *release = outcome();
	struct request_args rq;

	for (unsigned i = 0; i < 8; i++) {
		rq = request(AU_WRITE, i * 8, mem, AIO_PAGE, i);
		ck_assert_int_eq(astrt(f, &rq), 0);
	}
	engine_start_accepted();
	ck_assert_uint_eq(engine_inflight(), 8);
	engine_flush(f, &flush->call);
	ck_assert(!flush->done);
	engine_release(f, &release->call);
	ck_assert(!release->done);
	settle();
	ck_assert(flush->done && release->done);
	ck_assert_int_eq(flush->err, 0);
	ck_assert_int_eq(release->err, 0);
	/* The uncollected statuses went with the file, and their slots. */
	ck_assert_uint_eq(engine_stats()->requests_active, 0);
	free(flush);
	free(release);
}
END_TEST

START_TEST(release_when_idle_answers_at_once)
{
	struct aio_file *f = engine_open(&dev, O_RDONLY);
	struct outcome *release = outcome();

	engine_release(f, &release->call);
	ck_assert(release->done);
	ck_assert_int_eq(release->err, 0);
	free(release);
}
END_TEST

/* One region per process, transfers inside it once locked, and the lock
 * gone when the last file it was declared on is released. */
START_TEST(mlock_region_until_last_close)
{
	struct lock_entry allow = { getuid(), 1 << 20 };
	struct aio_file *a = engine_open(&dev, O_RDWR);
	struct aio_file *b = engine_open(&dev, O_RDWR);
	struct mlock_args region = { (uintptr_t)mem, 4 * AIO_PAGE };
	struct mlock_args other = { (uintptr_t)mem, 2 * AIO_PAGE };
	struct mlock_args none = { (uintptr_t)mem, 0 };
	struct outcome *ra = outcome(), *rb = outcome();
	struct request_args rq;

	ck_assert_int_eq(locktbl_load(&allow, 1, false), 0);
	ck_assert_int_eq(mlock_region(a, &none), 0);
	ck_assert_uint_eq(locktbl_locks(), 0);
	ck_assert_int_eq(mlock_region(a, &region), 0);
	ck_assert_uint_eq(locktbl_locks(), 1);
	ck_assert_int_eq(mlock_region(b, &other), EINVAL);
	ck_assert_int_eq(mlock_region(b, &region), 0);
	rq = request(AU_READ, 0, mem + 4 * AIO_PAGE, 512, 0);
	ck_assert_int_eq(astrt(a, &rq), EINVAL);
	rq = request(AU_READ, 0, mem + 3 * AIO_PAGE, 512, 0);
	ck_assert_int_eq(astrt(a, &rq), 0);
	settle();
	engine_release(a, &ra->call);
	ck_assert_uint_eq(locktbl_locks(), 1);	/* still declared on b */
	engine_release(b, &rb->call);
	ck_assert_uint_eq(locktbl_locks(), 0);
	ck_assert_uint_eq(locktbl_locked_bytes(), 0);
	free(ra);
	free(rb);
}
END_TEST

static int64_t position(struct aio_file *f)
{
	int64_t at;

	ck_assert_int_eq(engine_seek(f, 0, SEEK_CUR, &at), 0);
	return at;
}

static struct outcome *plain(struct aio_file *f, bool write, size_t size)
{
	struct outcome *o = outcome();

	if (write)
		engine_write(f, &o->call, mem, size, ENGINE_FILE_POSITION);
	else
		engine_read(f, &o->call, size, ENGINE_FILE_POSITION);
	settle();
	ck_assert(o->done);
	return o;
}

/* CUSE's read() and write() use the file's position: it moves past what
 * was accepted and not at all on an error. */
START_TEST(cuse_position_moves_only_on_success)
{
	struct aio_file *f = engine_open(&dev, O_RDWR);
	struct outcome *o;
	int64_t at;

	o = plain(f, true, 1000);		/* not whole blocks */
	ck_assert_int_eq(o->err, EINVAL);
	ck_assert_int_eq(position(f), 0);
	free(o);
	o = plain(f, false, 700);
	ck_assert_int_eq(o->err, 0);
	ck_assert_uint_eq(o->n, 700);
	ck_assert_int_eq(position(f), 700);
	free(o);
	o = plain(f, true, 512);		/* unaligned position */
	ck_assert_int_eq(o->err, EINVAL);
	ck_assert_int_eq(position(f), 700);
	free(o);
	ck_assert_int_eq(engine_seek(f, -1, SEEK_SET, &at), EINVAL);
	ck_assert_int_eq(engine_seek(f, 1, SEEK_END, &at), EINVAL);
	ck_assert_int_eq(position(f), 700);
	ck_assert_int_eq(engine_seek(f, 0, SEEK_END, &at), 0);
	ck_assert_int_eq(at, IMAGE_BYTES);
	o = plain(f, true, 512);		/* at the end */
	ck_assert_int_eq(o->err, ENOSPC);
	ck_assert_int_eq(position(f), IMAGE_BYTES);
	free(o);
	o = plain(f, false, 512);		/* end of file: 0 bytes */
	ck_assert_int_eq(o->err, 0);
	ck_assert_uint_eq(o->n, 0);
	ck_assert_int_eq(position(f), IMAGE_BYTES);
	free(o);
	ck_assert_int_eq(engine_seek(f, -1024, SEEK_END, &at), 0);
	o = plain(f, true, 2048);		/* clipped at the end */
	ck_assert_int_eq(o->err, 0);
	ck_assert_uint_eq(o->n, 1024);
	ck_assert_int_eq(position(f), IMAGE_BYTES);
	free(o);
	release_file(f);
}
END_TEST

Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, astrt_checks_in_order);
	tcase_add_test(tc, astat_fifo_and_batches);
	tcase_add_test(tc, astat_bad_buffer_keeps_statuses);
	tcase_add_test(tc, page_protections_respected);
	tcase_add_test(tc, data_round_trip);
	tcase_add_test(tc, release_waits_for_transfers);
	tcase_add_test(tc, release_when_idle_answers_at_once);
	tcase_add_test(tc, mlock_region_until_last_close);
	tcase_add_test(tc, cuse_position_moves_only_on_success);
	suite_add_tcase(s, tc);
	return s;
}
