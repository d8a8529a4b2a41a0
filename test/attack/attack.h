/* SPDX-License-Identifier: MIT */
/*
 * attack.h -- what the attack tests (aioattack) and the victim's client
 * (aiovictim) agree on: the fixed address where the victim keeps its
 * buffers, so that an attacker whose stale address space aiod still holds
 * can have the very same addresses mapped and see where the victim's data
 * goes, and the pattern the victim writes, so that the tests can recognise
 * it on the disk.
 */
#ifndef ATTACK_H
#define ATTACK_H

/* The victim's area: page 0 is written to the disk, page 1 receives the
 * read-back, page 2 holds its ASYNCSTATUS. */
#define VICTIM_AREA_ADDR	0x20000000UL
#define VICTIM_AREA_PAGES	3
#define VICTIM_PAGE		4096

/* Byte i of the block the victim writes with SEED. */
static inline unsigned char victim_pattern(unsigned seed, unsigned i)
{
	return (unsigned char)(seed * 131u + i * 7u + 1u);
}

#endif /* ATTACK_H */
