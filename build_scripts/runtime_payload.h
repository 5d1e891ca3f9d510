/* The payload of the one-file executable, shared by both launchers (runtime_launcher.c for
 * Windows, runtime_launcher_posix.c for Linux) and written by pack_runtime.py: the folder build's
 * files appended to the launcher, then a 96-byte trailer — offset, size and file count of the
 * payload, the runtime's folder name (<version>-<hash>), and the magic at its end. */
#ifndef JINGAN_RUNTIME_PAYLOAD_H
#define JINGAN_RUNTIME_PAYLOAD_H

#include <stdint.h>
#include <string.h>

#define MAGIC "JGRTv1\0\0"
#define TRAILER_SIZE 96

typedef struct {
    const uint8_t *base; /* the whole executable, mapped */
    uint64_t offset, size;
    uint32_t files;
    char name[65];
} Payload;

static uint64_t u64_at(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t u32_at(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The trailer that ends at `end`; 0 when there is none or it names an unsafe folder. */
static int read_trailer(Payload *p, const uint8_t *base, uint64_t end)
{
    const uint8_t *t;
    if (end < TRAILER_SIZE)
        return 0;
    t = base + end - TRAILER_SIZE;
    if (memcmp(t + 88, MAGIC, 8) != 0)
        return 0;
    p->base = base;
    p->offset = u64_at(t);
    p->size = u64_at(t + 8);
    p->files = u32_at(t + 16);
    memcpy(p->name, t + 24, 64);
    p->name[64] = 0;
    if (p->offset + p->size > end - TRAILER_SIZE || p->name[0] == 0)
        return 0;
    for (const char *c = p->name; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || *c == '.' || *c == '-'))
            return 0;
    return 1;
}

#endif
