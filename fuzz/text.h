/* SPDX-License-Identifier: MIT */
/* The fuzzer's bytes as a C string in a block of its exact size. */
#ifndef NETNS_FUZZ_TEXT_H
#define NETNS_FUZZ_TEXT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A property that must hold: the fuzzer reports the crash. */
#define MUST(cond) do { if (!(cond)) abort(); } while (0)

#endif
