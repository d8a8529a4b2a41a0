/* SPDX-License-Identifier: MIT */
/*
 * unit_main.c -- runs aiod's Check unit tests (configuration parsing, the
 * ioctl ABI, the aio(M) rules, partition slices, the lock permission file
 * and table, the engine on an image file, the direct path's messages,
 * libasync's status queue, the latency histogram, the trace rings, the
 * dm-linear table of a slice) and
 * exits non-zero if any fails.
 * They need no root, no mount and no device.
 */
#include "unit.h"

#include <stdlib.h>

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_add_suite(sr, abi_suite());
	srunner_add_suite(sr, rules_suite());
	srunner_add_suite(sr, backend_suite());
	srunner_add_suite(sr, memlock_suite());
	srunner_add_suite(sr, locktbl_suite());
	srunner_add_suite(sr, engine_suite());
	srunner_add_suite(sr, quota_suite());
	srunner_add_suite(sr, attach_msg_suite());
	srunner_add_suite(sr, statq_suite());
	srunner_add_suite(sr, latency_suite());
	srunner_add_suite(sr, trace_suite());
	srunner_add_suite(sr, dmlinear_suite());
	srunner_add_suite(sr, direct_tally_suite());
	srunner_run_all(sr, CK_VERBOSE);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
