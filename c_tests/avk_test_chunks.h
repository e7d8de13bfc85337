/*
 * The data chunks of one stream of an AVI file, read straight from its bytes for tests that
 * check what lands in the file: every RIFF and LIST is walked (so every movi of every RIFF
 * counts), chunks whose id starts with the stream's number are collected in file order with
 * their payload's offset and size, and the stream's idx1 entries give their flags. Include after
 * avk_test.h.
 */
#ifndef AVK_TEST_CHUNKS_H
#define AVK_TEST_CHUNKS_H

#include "avk_test.h"

#define AVK_TEST_MAX_CHUNKS 64

static inline uint32_t avk_test_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The data chunks of one stream ("00", "01", ...) in file order, and its idx1 flags. */
typedef struct avk_test_chunks {
    size_t count, flagged;
    size_t offset[AVK_TEST_MAX_CHUNKS], size[AVK_TEST_MAX_CHUNKS];
    uint32_t idx1_flags[AVK_TEST_MAX_CHUNKS];
} avk_test_chunks;

/* Walks the RIFF lists of `bytes` from `pos` to `end`, collecting the stream's movi chunks. */
static inline void avk_test_walk(const uint8_t *bytes, size_t pos, size_t end,
                                 const char *stream, avk_test_chunks *out) {
    while (pos + 8 <= end) {
        const uint8_t *id = bytes + pos;
        size_t size = avk_test_le32(bytes + pos + 4);
        CHECK(pos + 8 + size <= end);
        if (memcmp(id, "RIFF", 4) == 0 || memcmp(id, "LIST", 4) == 0) {
            avk_test_walk(bytes, pos + 12, pos + 8 + size, stream, out);
        } else if (memcmp(id, "idx1", 4) == 0) {
            size_t e;
            for (e = pos + 8; e + 16 <= pos + 8 + size; e += 16) {
                if (memcmp(bytes + e, stream, 2) == 0) {
                    CHECK(out->flagged < AVK_TEST_MAX_CHUNKS);
                    out->idx1_flags[out->flagged++] = avk_test_le32(bytes + e + 4);
                }
            }
        } else if (memcmp(id, stream, 2) == 0) {
            CHECK(out->count < AVK_TEST_MAX_CHUNKS);
            out->offset[out->count] = pos + 8;
            out->size[out->count++] = size;
        }
        pos += 8 + size + (size & 1u);
    }
}

/* The file's bytes (freed by the caller) and the chunks of `stream`. */
static inline uint8_t *avk_test_read_chunks(const char *path, const char *stream,
                                            avk_test_chunks *out) {
    size_t len = 0;
    uint8_t *bytes = avk_test_read_file(path, &len);
    CHECK(bytes != NULL);
    memset(out, 0, sizeof *out);
    avk_test_walk(bytes, 0, len, stream, out);
    return bytes;
}

/* The stream's payloads in file order, concatenated (freed by the caller). */
static inline uint8_t *avk_test_stream_bytes(const uint8_t *bytes, const avk_test_chunks *c,
                                             size_t *out_len) {
    size_t total = 0, i;
    uint8_t *out;
    for (i = 0; i < c->count; i++) total += c->size[i];
    out = (uint8_t *)malloc(total + 1);
    CHECK(out != NULL);
    for (total = 0, i = 0; i < c->count; i++) {
        memcpy(out + total, bytes + c->offset[i], c->size[i]);
        total += c->size[i];
    }
    *out_len = total;
    return out;
}

#endif /* AVK_TEST_CHUNKS_H */
