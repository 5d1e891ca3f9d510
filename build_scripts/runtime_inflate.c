/* Raw deflate (RFC 1951) and CRC-32 for the Windows launcher (runtime_launcher.c), after
 * Mark Adler's puff.c from zlib's contrib: small and dependent on nothing, so the launcher
 * builds with any C compiler and carries no DLL of its own. */

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "runtime_inflate.h"

#define MAXBITS 15
#define MAXLCODES 286
#define MAXDCODES 30
#define MAXCODES (MAXLCODES + MAXDCODES)
#define FIXLCODES 288

typedef struct {
    const uint8_t *in;
    size_t inlen, inpos;
    uint8_t *out;
    size_t outlen, outpos;
    uint32_t bitbuf;
    int bitcnt;
    jmp_buf env;
} Inflate;

typedef struct {
    short *count;
    short *symbol;
} Huffman;

static int bits(Inflate *s, int need)
{
    uint32_t val = s->bitbuf;
    while (s->bitcnt < need) {
        if (s->inpos == s->inlen)
            longjmp(s->env, 1);
        val |= (uint32_t)s->in[s->inpos++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = val >> need;
    s->bitcnt -= need;
    return (int)(val & ((1UL << need) - 1));
}

static int stored(Inflate *s)
{
    unsigned len;
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->inpos + 4 > s->inlen)
        return 2;
    len = s->in[s->inpos] | ((unsigned)s->in[s->inpos + 1] << 8);
    if (s->in[s->inpos + 2] != (~len & 0xff) || s->in[s->inpos + 3] != ((~len >> 8) & 0xff))
        return -2;
    s->inpos += 4;
    if (s->inpos + len > s->inlen)
        return 2;
    if (s->outpos + len > s->outlen)
        return 1;
    memcpy(s->out + s->outpos, s->in + s->inpos, len);
    s->outpos += len;
    s->inpos += len;
    return 0;
}

static int decode(Inflate *s, const Huffman *h)
{
    int len = 1, code = 0, first = 0, index = 0, count, left;
    uint32_t bitbuf = s->bitbuf;
    const short *next = h->count + 1;
    left = s->bitcnt;
    for (;;) {
        while (left--) {
            code |= bitbuf & 1;
            bitbuf >>= 1;
            count = *next++;
            if (code - count < first) {
                s->bitbuf = bitbuf;
                s->bitcnt = (s->bitcnt - len) & 7;
                return h->symbol[index + (code - first)];
            }
            index += count;
            first += count;
            first <<= 1;
            code <<= 1;
            len++;
        }
        left = (MAXBITS + 1) - len;
        if (left == 0)
            break;
        if (s->inpos == s->inlen)
            longjmp(s->env, 1);
        bitbuf = s->in[s->inpos++];
        if (left > 8)
            left = 8;
    }
    return -10;
}

static int construct(Huffman *h, const short *length, int n)
{
    int symbol, len, left;
    short offs[MAXBITS + 1];
    for (len = 0; len <= MAXBITS; len++)
        h->count[len] = 0;
    for (symbol = 0; symbol < n; symbol++)
        h->count[length[symbol]]++;
    if (h->count[0] == n)
        return 0;
    left = 1;
    for (len = 1; len <= MAXBITS; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0)
            return left;
    }
    offs[1] = 0;
    for (len = 1; len < MAXBITS; len++)
        offs[len + 1] = offs[len] + h->count[len];
    for (symbol = 0; symbol < n; symbol++)
        if (length[symbol] != 0)
            h->symbol[offs[length[symbol]]++] = (short)symbol;
    return left;
}

static int codes(Inflate *s, const Huffman *lencode, const Huffman *distcode)
{
    static const short lbase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                    31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const short lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                   2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const short dbase[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                    33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                    1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static const short dext[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                   6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    int symbol;
    size_t len, dist;
    do {
        symbol = decode(s, lencode);
        if (symbol < 0)
            return symbol;
        if (symbol < 256) {
            if (s->outpos == s->outlen)
                return 1;
            s->out[s->outpos++] = (uint8_t)symbol;
        } else if (symbol > 256) {
            symbol -= 257;
            if (symbol >= 29)
                return -10;
            len = (size_t)(lbase[symbol] + bits(s, lext[symbol]));
            symbol = decode(s, distcode);
            if (symbol < 0 || symbol >= 30)
                return -10;
            dist = (size_t)(dbase[symbol] + bits(s, dext[symbol]));
            if (dist > s->outpos)
                return -11;
            if (s->outpos + len > s->outlen)
                return 1;
            while (len--) {
                s->out[s->outpos] = s->out[s->outpos - dist];
                s->outpos++;
            }
        }
    } while (symbol != 256);
    return 0;
}

static int fixed(Inflate *s)
{
    static int virgin = 1;
    static short lencnt[MAXBITS + 1], lensym[FIXLCODES];
    static short distcnt[MAXBITS + 1], distsym[MAXDCODES];
    static Huffman lencode, distcode;
    if (virgin) {
        short lengths[FIXLCODES];
        int symbol;
        lencode.count = lencnt;
        lencode.symbol = lensym;
        distcode.count = distcnt;
        distcode.symbol = distsym;
        for (symbol = 0; symbol < 144; symbol++)
            lengths[symbol] = 8;
        for (; symbol < 256; symbol++)
            lengths[symbol] = 9;
        for (; symbol < 280; symbol++)
            lengths[symbol] = 7;
        for (; symbol < FIXLCODES; symbol++)
            lengths[symbol] = 8;
        construct(&lencode, lengths, FIXLCODES);
        for (symbol = 0; symbol < MAXDCODES; symbol++)
            lengths[symbol] = 5;
        construct(&distcode, lengths, MAXDCODES);
        virgin = 0;
    }
    return codes(s, &lencode, &distcode);
}

static int dynamic(Inflate *s)
{
    static const short order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    int nlen, ndist, ncode, index, err;
    short lengths[MAXCODES];
    short lencnt[MAXBITS + 1], lensym[MAXLCODES];
    short distcnt[MAXBITS + 1], distsym[MAXDCODES];
    Huffman lencode = {lencnt, lensym}, distcode = {distcnt, distsym};
    nlen = bits(s, 5) + 257;
    ndist = bits(s, 5) + 1;
    ncode = bits(s, 4) + 4;
    if (nlen > MAXLCODES || ndist > MAXDCODES)
        return -3;
    for (index = 0; index < ncode; index++)
        lengths[order[index]] = (short)bits(s, 3);
    for (; index < 19; index++)
        lengths[order[index]] = 0;
    if (construct(&lencode, lengths, 19) != 0)
        return -4;
    index = 0;
    while (index < nlen + ndist) {
        int symbol = decode(s, &lencode), len = 0;
        if (symbol < 0)
            return symbol;
        if (symbol < 16) {
            lengths[index++] = (short)symbol;
            continue;
        }
        if (symbol == 16) {
            if (index == 0)
                return -5;
            len = lengths[index - 1];
            symbol = 3 + bits(s, 2);
        } else if (symbol == 17) {
            symbol = 3 + bits(s, 3);
        } else {
            symbol = 11 + bits(s, 7);
        }
        if (index + symbol > nlen + ndist)
            return -6;
        while (symbol--)
            lengths[index++] = (short)len;
    }
    if (lengths[256] == 0)
        return -9;
    err = construct(&lencode, lengths, nlen);
    if (err && (err < 0 || nlen != lencode.count[0] + lencode.count[1]))
        return -7;
    err = construct(&distcode, lengths + nlen, ndist);
    if (err && (err < 0 || ndist != distcode.count[0] + distcode.count[1]))
        return -8;
    return codes(s, &lencode, &distcode);
}

int inflate_raw(uint8_t *out, size_t outlen, const uint8_t *in, size_t inlen)
{
    Inflate s;
    int last, type, err;
    s.in = in;
    s.inlen = inlen;
    s.inpos = 0;
    s.out = out;
    s.outlen = outlen;
    s.outpos = 0;
    s.bitbuf = 0;
    s.bitcnt = 0;
    if (setjmp(s.env) != 0)
        return 2;
    do {
        last = bits(&s, 1);
        type = bits(&s, 2);
        err = type == 0 ? stored(&s) : type == 1 ? fixed(&s) : type == 2 ? dynamic(&s) : -1;
        if (err != 0)
            return err;
    } while (!last);
    return s.outpos == outlen ? 0 : 3;
}

static uint32_t crc_table[256];

uint32_t crc32_of(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    if (crc_table[1] == 0) {
        for (uint32_t n = 0; n < 256; n++) {
            uint32_t c = n;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            crc_table[n] = c;
        }
    }
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}
