/*
 * avk_writer_create_io with a custom sink.
 *   - A growable memory sink (offsets may go back to patch headers): the bytes equal those of the
 *     same recording written to a file with avk_writer_create; write_at and flush run on one
 *     library thread, never concurrently; flush is called by avk_writer_flush; close is called
 *     exactly once, by avk_writer_close, and not before.
 *   - An older avk_io (struct_size without flush and close) is accepted.
 *   - A sink whose write_at fails from the Nth call on: the operation whose chunk failed reports
 *     AVK_E_IO, every later one AVK_E_WRITER_FAILED; every callback still runs once; close
 *     returns AVK_E_IO and calls the sink's close once.
 *   - A sink failing on the very first write (the header), and a sink whose flush fails.
 */
#include "avk_test.h"

#define WIDTH 32u
#define HEIGHT 24u
#define BPP 32u
#define FRAMES 30
#define SAMPLES_PER_BLOCK 1470u
#define BLOCK_BYTES (SAMPLES_PER_BLOCK * 4u)

typedef struct mem_sink {
    uint8_t *data;
    size_t len, cap;
    int write_calls;      /* atomic */
    int fail_from;        /* atomic: 0 = never; else calls >= fail_from return -1 */
    int flush_calls;      /* atomic */
    int flush_fails;      /* atomic: flush returns -1 when set */
    int close_calls;      /* atomic */
    int backward_writes;  /* writes at an offset before the current end */
    int in_call;          /* atomic: detects concurrent calls */
    int thread_known;
    pthread_t thread;
} mem_sink;

static pthread_t main_thread;

static void sink_enter(mem_sink *m) {
    CHECK(__atomic_exchange_n(&m->in_call, 1, __ATOMIC_SEQ_CST) == 0); /* never concurrent */
    CHECK(!pthread_equal(pthread_self(), main_thread));                /* a library thread */
    if (!m->thread_known) {
        m->thread = pthread_self();
        m->thread_known = 1;
    }
    CHECK(pthread_equal(m->thread, pthread_self())); /* always the same one */
}

static void sink_leave(mem_sink *m) {
    __atomic_store_n(&m->in_call, 0, __ATOMIC_SEQ_CST);
}

static int32_t mem_write_at(void *user, uint64_t offset, const uint8_t *data, size_t len) {
    mem_sink *m = (mem_sink *)user;
    int call;
    int fail_from;
    sink_enter(m);
    call = __atomic_add_fetch(&m->write_calls, 1, __ATOMIC_SEQ_CST);
    fail_from = __atomic_load_n(&m->fail_from, __ATOMIC_SEQ_CST);
    if (fail_from != 0 && call >= fail_from) {
        sink_leave(m);
        return -1;
    }
    CHECK(len == 0 || data != NULL);
    if (offset + len > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        uint8_t *bigger;
        while (cap < offset + len) {
            cap *= 2;
        }
        bigger = (uint8_t *)realloc(m->data, cap);
        CHECK(bigger != NULL);
        m->data = bigger;
        m->cap = cap;
    }
    if (offset > m->len) {
        memset(m->data + m->len, 0, (size_t)offset - m->len); /* a gap reads as zeros */
    }
    if (offset < m->len) {
        m->backward_writes++;
    }
    memcpy(m->data + offset, data, len);
    if (offset + len > m->len) {
        m->len = (size_t)(offset + len);
    }
    sink_leave(m);
    return 0;
}

static int32_t mem_flush(void *user) {
    mem_sink *m = (mem_sink *)user;
    sink_enter(m);
    __atomic_add_fetch(&m->flush_calls, 1, __ATOMIC_SEQ_CST);
    sink_leave(m);
    return __atomic_load_n(&m->flush_fails, __ATOMIC_SEQ_CST) ? -1 : 0;
}

static void mem_close(void *user) {
    mem_sink *m = (mem_sink *)user;
    __atomic_add_fetch(&m->close_calls, 1, __ATOMIC_SEQ_CST);
}

static avk_io mem_io(mem_sink *m) {
    avk_io io;
    memset(&io, 0, sizeof io);
    io.struct_size = (uint32_t)sizeof io;
    io.user = m;
    io.write_at = mem_write_at;
    io.flush = mem_flush;
    io.close = mem_close;
    return io;
}

static size_t frame_len;
static uint8_t *frames, *blocks;

typedef struct recording {
    avk_writer *w;
    avk_video_stream *v;
    avk_audio_stream *a;
} recording;

static void add_streams(recording *r) {
    avk_video_stream_options vopts = avk_test_dib_options(WIDTH, HEIGHT, BPP);
    avk_audio_stream_options aopts = avk_test_pcm_options();
    CHECK_OK(avk_writer_add_video_stream(r->w, &vopts, &r->v));
    CHECK_OK(avk_writer_add_audio_stream(r->w, &aopts, &r->a));
}

/* The reference recording: frames and blocks, two flushes, half synchronous, half begin/end. */
static void record(recording *r, mem_sink *sink_or_null) {
    avk_async *results[FRAMES * 2];
    int i, n = 0;
    for (i = 0; i < FRAMES / 2; i++) {
        CHECK_OK(avk_video_stream_write_frame(r->v, 0, frames + frame_len * (size_t)i, frame_len));
        CHECK_OK(avk_audio_stream_write_block(r->a, 0, blocks + (size_t)BLOCK_BYTES * (size_t)i,
                                              BLOCK_BYTES));
    }
    CHECK_OK(avk_writer_flush(r->w, 0));
    if (sink_or_null != NULL) {
        /* The flush reached the sink before avk_writer_flush returned. */
        CHECK(__atomic_load_n(&sink_or_null->flush_calls, __ATOMIC_SEQ_CST) >= 1);
        CHECK_EQ(__atomic_load_n(&sink_or_null->close_calls, __ATOMIC_SEQ_CST), 0);
    }
    for (i = FRAMES / 2; i < FRAMES; i++) {
        CHECK_OK(avk_video_stream_begin_write_frame(r->v, 0, frames + frame_len * (size_t)i,
                                                    frame_len, NULL, NULL, &results[n++]));
        CHECK_OK(avk_audio_stream_begin_write_block(r->a, 0,
                                                    blocks + (size_t)BLOCK_BYTES * (size_t)i,
                                                    BLOCK_BYTES, NULL, NULL, &results[n++]));
    }
    for (i = 0; i < n; i += 2) {
        CHECK_OK(avk_video_stream_end_write_frame(r->v, results[i]));
        CHECK_OK(avk_audio_stream_end_write_block(r->a, results[i + 1]));
    }
    CHECK_OK(avk_writer_flush(r->w, AVK_FLUSH_DURABLE));
}

static void test_memory_equals_file(void) {
    char path[1024];
    avk_writer_options wopts = avk_test_writer_options();
    mem_sink sink;
    avk_io io;
    recording mem, file;
    uint8_t *file_bytes;
    size_t file_len = 0;

    memset(&sink, 0, sizeof sink);
    io = mem_io(&sink);
    CHECK_OK(avk_writer_create_io(&io, &wopts, &mem.w));
    /* The struct was copied: changing ours now changes nothing. */
    memset(&io, 0, sizeof io);
    add_streams(&mem);
    record(&mem, &sink);
    CHECK_EQ(__atomic_load_n(&sink.close_calls, __ATOMIC_SEQ_CST), 0);
    CHECK_OK(avk_writer_close(mem.w));
    CHECK_EQ(__atomic_load_n(&sink.close_calls, __ATOMIC_SEQ_CST), 1);
    CHECK(__atomic_load_n(&sink.flush_calls, __ATOMIC_SEQ_CST) >= 2);
    CHECK(sink.backward_writes >= 1); /* the RIFF and header sizes are patched at close */
    CHECK(sink.len > (size_t)FRAMES * (frame_len + BLOCK_BYTES));
    CHECK(memcmp(sink.data, "RIFF", 4) == 0);

    avk_test_path(path, sizeof path, "custom-sink-reference");
    CHECK_OK(avk_writer_create(path, &wopts, &file.w));
    add_streams(&file);
    record(&file, NULL);
    CHECK_OK(avk_writer_close(file.w));
    file_bytes = avk_test_read_file(path, &file_len);
    CHECK(file_bytes != NULL);
    CHECK_EQ(file_len, sink.len);
    CHECK(memcmp(file_bytes, sink.data, file_len) == 0);

    /* Nothing more reaches the sink after close. */
    CHECK_EQ(__atomic_load_n(&sink.close_calls, __ATOMIC_SEQ_CST), 1);
    free(file_bytes);
    free(sink.data);
    remove(path);
}

/* An avk_io from an older header: only struct_size, user and write_at. */
static void test_old_io_struct(void) {
    avk_writer_options wopts = avk_test_writer_options();
    mem_sink sink;
    avk_io io;
    recording r;
    memset(&sink, 0, sizeof sink);
    io = mem_io(&sink);
    io.struct_size = (uint32_t)offsetof(avk_io, flush);
    CHECK_OK(avk_writer_create_io(&io, &wopts, &r.w));
    add_streams(&r);
    CHECK_OK(avk_video_stream_write_frame(r.v, 0, frames, frame_len));
    CHECK_OK(avk_writer_flush(r.w, 0));
    CHECK_OK(avk_writer_close(r.w));
    /* flush and close lay beyond struct_size: never called. */
    CHECK_EQ(__atomic_load_n(&sink.flush_calls, __ATOMIC_SEQ_CST), 0);
    CHECK_EQ(__atomic_load_n(&sink.close_calls, __ATOMIC_SEQ_CST), 0);
    CHECK(sink.len > frame_len);
    free(sink.data);
}

/* ---- failing sink -------------------------------------------------------------------------- */

#define FAIL_OPS 12

typedef struct fail_op {
    avk_async *result;
    int callbacks;       /* atomic */
    avk_status cb_status;
    size_t cb_msg_len;
} fail_op;

static fail_op fail_ops[FAIL_OPS + 1];

static void fail_callback(avk_async *result, void *user_state) {
    fail_op *o = (fail_op *)user_state;
    CHECK_EQ(__atomic_add_fetch(&o->callbacks, 1, __ATOMIC_SEQ_CST), 1);
    CHECK_OK(avk_async_result(result, &o->cb_status));
    CHECK_OK(avk_async_error_message(result, NULL, 0, &o->cb_msg_len));
}

static void test_failing_write(void) {
    avk_writer_options wopts = avk_test_writer_options();
    mem_sink sink;
    avk_io io;
    recording r;
    int i, armed_at;
    char msg[512];
    size_t msg_len = 0;

    memset(&sink, 0, sizeof sink);
    memset(fail_ops, 0, sizeof fail_ops);
    io = mem_io(&sink);
    CHECK_OK(avk_writer_create_io(&io, &wopts, &r.w));
    add_streams(&r);
    for (i = 0; i < 5; i++) {
        CHECK_OK(avk_video_stream_write_frame(r.v, 0, frames + frame_len * (size_t)i, frame_len));
    }
    /* Every write_at from now on fails. */
    armed_at = __atomic_load_n(&sink.write_calls, __ATOMIC_SEQ_CST) + 1;
    __atomic_store_n(&sink.fail_from, armed_at, __ATOMIC_SEQ_CST);

    for (i = 0; i < FAIL_OPS; i++) {
        if (i % 3 == 2) {
            CHECK_OK(avk_audio_stream_begin_write_block(r.a, 0, blocks + (size_t)BLOCK_BYTES * i,
                                                        BLOCK_BYTES, fail_callback, &fail_ops[i],
                                                        &fail_ops[i].result));
        } else {
            CHECK_OK(avk_video_stream_begin_write_frame(r.v, 0, frames + frame_len * (size_t)i,
                                                        frame_len, fail_callback, &fail_ops[i],
                                                        &fail_ops[i].result));
        }
    }
    /* The first operation's chunk hit the failing sink. */
    CHECK_OK(avk_async_wait(fail_ops[0].result, AVK_WAIT_INFINITE));
    CHECK_OK(avk_async_error_message(fail_ops[0].result, msg, sizeof msg, &msg_len));
    CHECK(msg_len > 1);
    CHECK_EQ(strlen(msg) + 1, msg_len < sizeof msg ? msg_len : sizeof msg);
    for (i = 0; i < FAIL_OPS; i++) {
        avk_status want = i == 0 ? AVK_E_IO : AVK_E_WRITER_FAILED;
        if (i % 3 == 2) {
            CHECK_STATUS(avk_audio_stream_end_write_block(r.a, fail_ops[i].result), want);
        } else {
            CHECK_STATUS(avk_video_stream_end_write_frame(r.v, fail_ops[i].result), want);
        }
    }

    /* Later operations: synchronous ones and begun ones fail with AVK_E_WRITER_FAILED. */
    CHECK_STATUS(avk_video_stream_write_frame(r.v, 0, frames, frame_len), AVK_E_WRITER_FAILED);
    CHECK_STATUS(avk_audio_stream_write_block(r.a, 0, blocks, BLOCK_BYTES), AVK_E_WRITER_FAILED);
    {
        fail_op *o = &fail_ops[FAIL_OPS];
        avk_status st = avk_video_stream_begin_write_frame(r.v, 0, frames, frame_len,
                                                           fail_callback, o, &o->result);
        /* Queued (and completing with WRITER_FAILED), or refused at once: both keep the
           contract that no callback is lost. */
        if (st == AVK_OK) {
            CHECK_STATUS(avk_video_stream_end_write_frame(r.v, o->result), AVK_E_WRITER_FAILED);
        } else {
            CHECK_STATUS_VALUE(st, AVK_E_WRITER_FAILED);
            __atomic_store_n(&o->callbacks, 1, __ATOMIC_SEQ_CST); /* none expected */
            o->cb_status = AVK_E_WRITER_FAILED;
            o->cb_msg_len = 2;
        }
    }
    CHECK_STATUS(avk_writer_flush(r.w, 0), AVK_E_WRITER_FAILED);

    CHECK_EQ(__atomic_load_n(&sink.close_calls, __ATOMIC_SEQ_CST), 0);
    CHECK_STATUS(avk_writer_close(r.w), AVK_E_IO);
    CHECK_EQ(__atomic_load_n(&sink.close_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_STATUS(avk_writer_close(r.w), AVK_E_INVALID_HANDLE);

    for (i = 0; i <= FAIL_OPS; i++) {
        CHECK_EQ(__atomic_load_n(&fail_ops[i].callbacks, __ATOMIC_SEQ_CST), 1);
        CHECK_STATUS_VALUE(fail_ops[i].cb_status, i == 0 ? AVK_E_IO : AVK_E_WRITER_FAILED);
        CHECK(fail_ops[i].cb_msg_len > 1); /* a failed operation has a message */
    }
    /* The sink was called again after the failure at most to finalize; the data it kept is
       the part written before the failure. */
    CHECK(sink.len >= 5 * frame_len);
    CHECK(memcmp(sink.data, "RIFF", 4) == 0);
    free(sink.data);
}

/* The very first write (the header, at the first frame) fails. */
static void test_failing_header(void) {
    avk_writer_options wopts = avk_test_writer_options();
    mem_sink sink;
    avk_io io;
    recording r;
    avk_status st;
    memset(&sink, 0, sizeof sink);
    sink.fail_from = 1;
    io = mem_io(&sink);
    CHECK_OK(avk_writer_create_io(&io, &wopts, &r.w));
    add_streams(&r);
    st = avk_video_stream_write_frame(r.v, 0, frames, frame_len);
    CHECK(st == AVK_E_IO || st == AVK_E_WRITER_FAILED);
    CHECK_STATUS(avk_video_stream_write_frame(r.v, 0, frames, frame_len), AVK_E_WRITER_FAILED);
    CHECK_STATUS(avk_writer_close(r.w), AVK_E_IO);
    CHECK_EQ(__atomic_load_n(&sink.close_calls, __ATOMIC_SEQ_CST), 1);
    free(sink.data);
}

/* The sink's flush fails: avk_writer_flush reports AVK_E_IO and the writer is broken. */
static void test_failing_flush(void) {
    avk_writer_options wopts = avk_test_writer_options();
    mem_sink sink;
    avk_io io;
    recording r;
    memset(&sink, 0, sizeof sink);
    io = mem_io(&sink);
    CHECK_OK(avk_writer_create_io(&io, &wopts, &r.w));
    add_streams(&r);
    CHECK_OK(avk_video_stream_write_frame(r.v, 0, frames, frame_len));
    __atomic_store_n(&sink.flush_fails, 1, __ATOMIC_SEQ_CST);
    CHECK_STATUS(avk_writer_flush(r.w, 0), AVK_E_IO);
    CHECK_STATUS(avk_video_stream_write_frame(r.v, 0, frames, frame_len), AVK_E_WRITER_FAILED);
    CHECK_STATUS(avk_writer_close(r.w), AVK_E_IO);
    CHECK_EQ(__atomic_load_n(&sink.close_calls, __ATOMIC_SEQ_CST), 1);
    free(sink.data);
}

int main(void) {
    int i;
    main_thread = pthread_self();
    frame_len = avk_test_dib_size(WIDTH, HEIGHT, BPP);
    frames = (uint8_t *)malloc(frame_len * FRAMES);
    blocks = (uint8_t *)malloc((size_t)BLOCK_BYTES * FRAMES);
    CHECK(frames != NULL && blocks != NULL);
    for (i = 0; i < FRAMES; i++) {
        avk_test_fill_dib(frames + frame_len * (size_t)i, WIDTH, HEIGHT, BPP, (uint32_t)i);
        avk_test_fill_pcm16_stereo(blocks + (size_t)BLOCK_BYTES * (size_t)i, SAMPLES_PER_BLOCK,
                                   (uint64_t)i * SAMPLES_PER_BLOCK);
    }

    test_memory_equals_file();
    test_old_io_struct();
    test_failing_write();
    test_failing_header();
    test_failing_flush();

    free(frames);
    free(blocks);
    return avk_test_summary("test_custom_sink");
}
