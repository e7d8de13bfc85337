/*
 * Durable checkpoints (avk_writer_options.durability, avk_io.sync; docs/c-api.md §9).
 *   - A custom sink with `sync` logs every write_at and sync of a recording with periodic
 *     checkpoints and flushes (tests/crash_repair/durability.rs covers long multi-segment
 *     ones): every count, size or header rewritten in place comes after a sync that follows every data write before it; each header rewrite is followed by
 *     a sync; replaced index slots become JUNK only after that; close ends with a sync; the
 *     bytes equal those of the same calls with AVK_DURABILITY_NONE, which never syncs.
 *   - AVK_FLUSH_DURABLE syncs even with AVK_DURABILITY_NONE.
 *   - A sink with sync = NULL (and an avk_io of 0.2, without the field) works.
 *   - Misuse: an unknown durability is AVK_E_INVALID_ARGUMENT naming the field; a struct of
 *     0.2 (struct_size without durability) may hold anything past its end and gets the default.
 */
#include "avk_test.h"

#define WIDTH 32u
#define HEIGHT 24u
#define BPP 32u
#define FRAMES 400
#define BLOCK_SAMPLES 490u

typedef enum { OP_WRITE, OP_SYNC, OP_FLUSH } op_kind;

typedef struct op {
    op_kind kind;
    uint64_t offset;
    size_t len;
    int junk; /* a 4-byte write of "JUNK" */
} op;

typedef struct log_sink {
    op *ops;
    size_t count, cap;
    uint8_t *data;
    size_t len, cap_data;
    int closes;
} log_sink;

static void log_push(log_sink *s, op o) {
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->ops = (op *)realloc(s->ops, s->cap * sizeof *s->ops);
        CHECK(s->ops != NULL);
    }
    s->ops[s->count++] = o;
}

static int32_t log_write_at(void *user, uint64_t offset, const uint8_t *data, size_t len) {
    log_sink *s = (log_sink *)user;
    op o;
    if (offset + len > s->cap_data) {
        size_t cap = s->cap_data ? s->cap_data : 1 << 16;
        while (cap < offset + len) {
            cap *= 2;
        }
        s->data = (uint8_t *)realloc(s->data, cap);
        CHECK(s->data != NULL);
        memset(s->data + s->cap_data, 0, cap - s->cap_data);
        s->cap_data = cap;
    }
    memcpy(s->data + offset, data, len);
    if (offset + len > s->len) {
        s->len = (size_t)(offset + len);
    }
    o.kind = OP_WRITE;
    o.offset = offset;
    o.len = len;
    o.junk = len == 4 && memcmp(data, "JUNK", 4) == 0;
    log_push(s, o);
    return 0;
}

static int32_t log_sync(void *user) {
    op o = {OP_SYNC, 0, 0, 0};
    log_push((log_sink *)user, o);
    return 0;
}

static int32_t log_flush(void *user) {
    op o = {OP_FLUSH, 0, 0, 0};
    log_push((log_sink *)user, o);
    return 0;
}

static void log_close(void *user) {
    ((log_sink *)user)->closes++;
}

static avk_io log_io(log_sink *s, int with_sync) {
    avk_io io;
    memset(&io, 0, sizeof io);
    io.struct_size = sizeof io;
    io.user = s;
    io.write_at = log_write_at;
    io.flush = log_flush;
    io.close = log_close;
    io.sync = with_sync ? log_sync : NULL;
    return io;
}

static void log_free(log_sink *s) {
    free(s->ops);
    free(s->data);
}

static size_t count_syncs(const log_sink *s) {
    size_t n = 0, i;
    for (i = 0; i < s->count; i++) {
        n += s->ops[i].kind == OP_SYNC;
    }
    return n;
}

/* The durable order on the log; returns the header rewrites seen. A sync comes right after a
   flush (the library pushes, then syncs). */
static size_t check_order(const log_sink *s) {
    int data_unsynced = 0, header_unsynced = 0, header_synced = 0;
    size_t i, rewrites = 0, pointers = 0;
    for (i = 0; i < s->count; i++) {
        const op *o = &s->ops[i];
        if (o->kind == OP_SYNC) {
            data_unsynced = 0;
            header_synced |= header_unsynced;
            header_unsynced = 0;
        } else if (o->kind == OP_WRITE && o->offset == 0) {
            if (i == 0) {
                continue; /* the first header points at nothing */
            }
            CHECK(!data_unsynced);
            CHECK(i + 2 < s->count && s->ops[i + 1].kind == OP_FLUSH &&
                  s->ops[i + 2].kind == OP_SYNC);
            header_unsynced = 1;
            rewrites++;
        } else if (o->kind == OP_WRITE && o->junk) {
            CHECK(header_synced && !header_unsynced);
        } else if (o->kind == OP_WRITE && o->len == 4) {
            CHECK(!data_unsynced);
            pointers++;
        } else if (o->kind == OP_WRITE) {
            data_unsynced = 1;
            header_synced = 0;
        }
    }
    CHECK(s->count > 0 && s->ops[s->count - 1].kind == OP_SYNC);
    CHECK(pointers > rewrites);
    return rewrites;
}

/* Records FRAMES DIB frames and three PCM blocks each, with a flush
   (`flush_flags`) every 50 frames and, with `interval_ms`, pauses so checkpoints fall due. */
static void record(avk_writer *w, uint32_t flush_flags, uint32_t interval_ms) {
    avk_video_stream_options vo = avk_test_dib_options(WIDTH, HEIGHT, BPP);
    avk_audio_stream_options ao = avk_test_pcm_options();
    avk_video_stream *v = NULL;
    avk_audio_stream *a = NULL;
    size_t frame_len = avk_test_dib_size(WIDTH, HEIGHT, BPP);
    uint8_t *frame = (uint8_t *)malloc(frame_len);
    uint8_t block[BLOCK_SAMPLES * 4u];
    int n, k;
    CHECK(frame != NULL);
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &v));
    CHECK_OK(avk_writer_add_audio_stream(w, &ao, &a));
    for (n = 0; n < FRAMES; n++) {
        avk_test_fill_dib(frame, WIDTH, HEIGHT, BPP, (uint32_t)n);
        CHECK_OK(avk_video_stream_write_frame(v, AVK_FRAME_KEYFRAME, frame, frame_len));
        for (k = 0; k < 3; k++) {
            avk_test_fill_pcm16_stereo(block, BLOCK_SAMPLES, (uint64_t)(3 * n + k) * BLOCK_SAMPLES);
            CHECK_OK(avk_audio_stream_write_block(a, 0, block, sizeof block));
        }
        if (interval_ms != 0 && n % 10 == 9) {
            avk_test_sleep_ms(interval_ms + 2);
        }
        if (n % 50 == 49) {
            CHECK_OK(avk_writer_flush(w, flush_flags));
        }
    }
    free(frame);
}

static avk_writer_options options(uint32_t durability, uint32_t interval_ms) {
    avk_writer_options o = avk_test_writer_options();
    o.durability = durability;
    o.checkpoint_interval_ms = interval_ms;
    o.super_index_capacity = 256;
    return o;
}

/* A fresh log on `s` (with the sync callback when `with_sync`; `io_size` 0 is the whole avk_io,
 * else an older caller's struct_size), a writer with options `o` on it, the recording with
 * `flush_flags` every 50 frames, and the close. */
static void record_on(log_sink *s, int with_sync, uint32_t io_size, avk_writer_options o,
                      uint32_t flush_flags) {
    avk_writer *w = NULL;
    avk_io io;
    memset(s, 0, sizeof *s);
    io = log_io(s, with_sync);
    if (io_size != 0) {
        io.struct_size = io_size;
    }
    CHECK_OK(avk_writer_create_io(&io, &o, &w));
    record(w, flush_flags, o.checkpoint_interval_ms);
    CHECK_OK(avk_writer_close(w));
}

/* `s` holds the very bytes of `reference`. */
static void check_same_file(const log_sink *s, const log_sink *reference) {
    CHECK_EQ(s->len, reference->len);
    CHECK(s->len == reference->len && memcmp(s->data, reference->data, s->len) == 0);
}

int main(void) {
    log_sink durable, plain, nosync;
    avk_writer_options o;
    avk_writer *w = NULL;
    avk_io io;
    char msg[512];
    size_t rewrites;

    /* The default is durable. */
    avk_writer_options_init(&o);
    CHECK_EQ(o.durability, AVK_DURABILITY_CHECKPOINTS);

    /* Periodic checkpoints and plain flushes: the durable order, close synced last. */
    record_on(&durable, 1, 0, options(AVK_DURABILITY_CHECKPOINTS, 3), 0);
    CHECK_EQ(durable.closes, 1);
    rewrites = check_order(&durable);
    CHECK(rewrites >= 8);
    printf("durable: %zu header rewrites, %zu syncs, %zu calls\n", rewrites,
           count_syncs(&durable), durable.count);
    log_free(&durable);

    /* Without periodic checkpoints the bytes depend on the calls only: durable and not give
       the same file; without durability nothing syncs. */
    record_on(&durable, 1, 0, options(AVK_DURABILITY_CHECKPOINTS, 0), 0);
    check_order(&durable);
    record_on(&plain, 1, 0, options(AVK_DURABILITY_NONE, 0), 0);
    CHECK_EQ(count_syncs(&plain), 0u);
    CHECK(plain.ops[plain.count - 1].kind == OP_FLUSH);
    check_same_file(&plain, &durable);
    log_free(&plain);

    /* AVK_FLUSH_DURABLE syncs in order whatever the durability. */
    record_on(&plain, 1, 0, options(AVK_DURABILITY_NONE, 0), AVK_FLUSH_DURABLE);
    CHECK(count_syncs(&plain) >= 2u * (FRAMES / 50));
    check_same_file(&plain, &durable);
    log_free(&plain);

    /* sync = NULL: the sink promises nothing, and the recording is the same. */
    record_on(&nosync, 0, 0, options(AVK_DURABILITY_CHECKPOINTS, 0), AVK_FLUSH_DURABLE);
    CHECK_EQ(count_syncs(&nosync), 0u);
    check_same_file(&nosync, &durable);
    log_free(&nosync);
    /* An avk_io of 0.2 (no sync field) is read without it. */
    record_on(&nosync, 1, (uint32_t)offsetof(avk_io, sync), options(AVK_DURABILITY_CHECKPOINTS, 0),
              AVK_FLUSH_DURABLE);
    CHECK_EQ(count_syncs(&nosync), 0u);
    CHECK_EQ(nosync.len, durable.len);
    log_free(&nosync);
    log_free(&durable);

    /* Misuse: an unknown durability is refused, naming the field; the sink stays the caller's. */
    memset(&nosync, 0, sizeof nosync);
    io = log_io(&nosync, 1);
    w = NULL;
    o = options(2, 0);
    CHECK_STATUS(avk_writer_create_io(&io, &o, &w), AVK_E_INVALID_ARGUMENT);
    CHECK(strstr(avk_test_last_error(msg, sizeof msg), "durability") != NULL);
    CHECK(w == NULL);
    CHECK_EQ(nosync.closes, 0);
    o = options(0xFFFFFFFFu, 0);
    CHECK_STATUS(avk_writer_create_io(&io, &o, &w), AVK_E_INVALID_ARGUMENT);
    CHECK(strstr(avk_test_last_error(msg, sizeof msg), "durability") != NULL);
    /* A 0.2 struct (struct_size up to durability, its old tail padding reserved1 included):
       neither field is read, and the writer is durable. */
    o = options(7, 0);
    o.reserved1 = 0xDEADBEEFu;
    o.struct_size = (uint32_t)offsetof(avk_writer_options, durability);
    CHECK_OK(avk_writer_create_io(&io, &o, &w));
    record(w, 0, 0);
    CHECK_OK(avk_writer_close(w));
    CHECK(count_syncs(&nosync) > 0u);
    CHECK_EQ(nosync.closes, 1);
    log_free(&nosync);
    return avk_test_summary("test_durability");
}
