/* runtime_inflate.c: what the launcher needs from it. */
#ifndef RUNTIME_INFLATE_H
#define RUNTIME_INFLATE_H

#include <stddef.h>
#include <stdint.h>

/* 0 when the raw deflate data `in` inflates to exactly `outlen` bytes into `out`. */
int inflate_raw(uint8_t *out, size_t outlen, const uint8_t *in, size_t inlen);

/* The CRC-32 (as zlib.crc32) of `len` bytes. */
uint32_t crc32_of(const uint8_t *data, size_t len);

#endif
