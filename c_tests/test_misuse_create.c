/*
 * Misuse of avk_writer_create and avk_writer_create_io: NULL path, io, write_at or out-pointer,
 * unknown flag bits, a zero frame rate, a super index capacity out of 1..65536 and a struct_size
 * inside a field, zero or newer than the library -> AVK_E_INVALID_ARGUMENT (the sink is not
 * closed, the out-pointer untouched); a file in a missing directory -> AVK_E_IO with the OS
 * message; an older (smaller) struct is accepted and the fields past its struct_size are ignored;
 * max_queued_bytes is accepted whatever its value; closing without streams ->
 * AVK_E_INVALID_STATE, the handle released and the sink closed once.
 */
#include "avk_test.h"
#include "avk_test_misuse.h"

#include <errno.h>

/* A writer created with `opts` works: add a stream, write a frame, close. */
static void check_writer_usable(avk_writer *w) {
    avk_video_stream *v = add_dib(w, VW, VH, 32);
    CHECK_OK(avk_video_stream_write_frame(v, 0, frame, frame_len));
    CHECK_OK(avk_writer_close(w));
}

static void test_create(void) {
    char path[1024], missing[1200], msg[1024];
    avk_test_gate g;
    avk_io io;
    avk_writer *w = (avk_writer *)SENTINEL;
    avk_writer_options o;
    struct {
        avk_writer_options opts;
        uint8_t newer_fields[8];
    } newer;

    avk_test_path(path, sizeof path, "misuse-create");
    avk_test_gate_init(&g);

    /* NULL path, NULL out-pointer. */
    CHECK_STATUS(avk_writer_create(NULL, NULL, &w), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_writer_create(path, NULL, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK(w == (avk_writer *)SENTINEL);

    /* A file in a directory that does not exist: AVK_E_IO with the OS message. */
    snprintf(missing, sizeof missing, "%s/avikit-no-such-dir-%ld/x.avi", avk_test_dir(),
             (long)getpid());
    CHECK_STATUS(avk_writer_create(missing, NULL, &w), AVK_E_IO);
    CHECK(w == (avk_writer *)SENTINEL);
    avk_last_error_message(msg, sizeof msg);
#ifdef _WIN32
    /* ERROR_PATH_NOT_FOUND, whose text depends on the system's language. */
    if (strstr(msg, "(os error 3)") == NULL) {
#else
    if (strstr(msg, strerror(ENOENT)) == NULL && strstr(msg, "No such file") == NULL) {
#endif
        fprintf(stderr, "message: %s\n", msg);
        CHECK(!"the AVK_E_IO message carries the OS error (No such file or directory)");
    }

    /* Option values. */
    o = avk_test_writer_options();
    o.flags = 0x80000000u; /* unknown flag bit */
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    o = avk_test_writer_options();
    o.flags = AVK_WRITER_EMIT_INDEX1 | 0x10u;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    o = avk_test_writer_options();
    o.frame_rate_den = 0;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    o = avk_test_writer_options();
    o.frame_rate_num = 0;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    CHECK(w == (avk_writer *)SENTINEL);
    /* Back-pressure is accepted, whatever the bound (test_backpressure covers its effect). */
    o = avk_test_writer_options();
    o.max_queued_bytes = 1u << 20;
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    o.max_queued_bytes = 1; /* every frame is bigger: each waits for an empty queue */
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    o.max_queued_bytes = UINT64_MAX;
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    w = (avk_writer *)SENTINEL;
    /* The super index holds 1..65536 entries per stream. */
    o = avk_test_writer_options();
    CHECK_EQ(o.super_index_capacity, 4608u);
    o.super_index_capacity = 0;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    {
        char msg[256];
        CHECK(strstr(avk_test_last_error(msg, sizeof msg), "super_index_capacity") != NULL);
    }
    o.super_index_capacity = 65537;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    CHECK(w == (avk_writer *)SENTINEL);
    o.super_index_capacity = 1;
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    w = (avk_writer *)SENTINEL;

    /* struct_size: inside a field, zero, newer than the library -> INVALID_ARGUMENT. */
    o = avk_test_writer_options();
    o.struct_size = 2;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    o.struct_size = 0;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    o.struct_size = (uint32_t)offsetof(avk_writer_options, max_queued_bytes) + 4u;
    CHECK_STATUS(avk_writer_create(path, &o, &w), AVK_E_INVALID_ARGUMENT);
    memset(&newer, 0, sizeof newer);
    newer.opts = avk_test_writer_options();
    newer.opts.struct_size = (uint32_t)sizeof(avk_writer_options) + 8u;
    CHECK_STATUS(avk_writer_create(path, &newer.opts, &w), AVK_E_INVALID_ARGUMENT);
    CHECK(w == (avk_writer *)SENTINEL);

    /* An older, smaller struct is accepted; fields past its end are not read (here
       max_queued_bytes and encoder_threads). */
    o = avk_test_writer_options();
    o.struct_size = (uint32_t)offsetof(avk_writer_options, max_queued_bytes);
    o.max_queued_bytes = 12345;
    o.encoder_threads = 0xFFFFFFFFu;
    CHECK_OK(avk_writer_create(path, &o, &w));
    CHECK(w != (avk_writer *)SENTINEL);
    check_writer_usable(w);
    /* A struct of avikit 0.1 (40 bytes) may carry garbage in what was its tail padding: the
       reserved word is never read, and super_index_capacity keeps its default. */
    o = avk_test_writer_options();
    o.struct_size = (uint32_t)offsetof(avk_writer_options, super_index_capacity);
    o.reserved0 = 0xDEADBEEFu;
    o.super_index_capacity = 0;
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    /* Exactly sizeof (the current header) is fine too, and NULL means defaults. */
    o = avk_test_writer_options();
    CHECK_OK(avk_writer_create(path, &o, &w));
    check_writer_usable(w);
    CHECK_OK(avk_writer_create(path, NULL, &w));
    check_writer_usable(w);

    /* avk_writer_create_io: NULL io, NULL write_at, NULL out, bad options, bad struct_size:
       the sink's close is not called, the caller keeps it. */
    w = (avk_writer *)SENTINEL;
    CHECK_STATUS(avk_writer_create_io(NULL, NULL, &w), AVK_E_INVALID_ARGUMENT);
    io = avk_test_gate_io(&g);
    io.write_at = NULL;
    CHECK_STATUS(avk_writer_create_io(&io, NULL, &w), AVK_E_INVALID_ARGUMENT);
    io = avk_test_gate_io(&g);
    CHECK_STATUS(avk_writer_create_io(&io, NULL, NULL), AVK_E_INVALID_ARGUMENT);
    io.struct_size = 2;
    CHECK_STATUS(avk_writer_create_io(&io, NULL, &w), AVK_E_INVALID_ARGUMENT);
    io.struct_size = 0;
    CHECK_STATUS(avk_writer_create_io(&io, NULL, &w), AVK_E_INVALID_ARGUMENT);
    {
        struct {
            avk_io io;
            uint8_t newer_fields[8];
        } newer_io;
        memset(&newer_io, 0, sizeof newer_io);
        newer_io.io = avk_test_gate_io(&g);
        newer_io.io.struct_size = (uint32_t)sizeof(avk_io) + 8u;
        CHECK_STATUS(avk_writer_create_io(&newer_io.io, NULL, &w), AVK_E_INVALID_ARGUMENT);
    }
    io = avk_test_gate_io(&g);
    o = avk_test_writer_options();
    o.flags = 0x8u;
    CHECK_STATUS(avk_writer_create_io(&io, &o, &w), AVK_E_INVALID_ARGUMENT);
    o = avk_test_writer_options();
    o.struct_size = 2;
    CHECK_STATUS(avk_writer_create_io(&io, &o, &w), AVK_E_INVALID_ARGUMENT);
    CHECK(w == (avk_writer *)SENTINEL);
    CHECK_EQ(__atomic_load_n(&g.close_calls, __ATOMIC_SEQ_CST), 0);
    CHECK_EQ(g.write_calls, 0);

    /* A bounded queue through a custom sink works too (the sink is another one: g must stay
       untouched until the next check). */
    {
        avk_test_gate g2;
        avk_test_gate_init(&g2);
        io = avk_test_gate_io(&g2);
        o = avk_test_writer_options();
        o.max_queued_bytes = 1;
        CHECK_OK(avk_writer_create_io(&io, &o, &w));
        check_writer_usable(w);
        CHECK_EQ(__atomic_load_n(&g2.close_calls, __ATOMIC_SEQ_CST), 1);
        avk_test_gate_destroy(&g2);
        io = avk_test_gate_io(&g);
    }

    /* Closing a writer that never got a stream: AVK_E_INVALID_STATE, the handle is released
       all the same and the sink closed once. */
    CHECK_OK(avk_writer_create_io(&io, NULL, &w));
    CHECK_STATUS(avk_writer_close(w), AVK_E_INVALID_STATE);
    CHECK_EQ(__atomic_load_n(&g.close_calls, __ATOMIC_SEQ_CST), 1);
    CHECK_STATUS(avk_writer_close(w), AVK_E_INVALID_HANDLE);
    CHECK_EQ(__atomic_load_n(&g.close_calls, __ATOMIC_SEQ_CST), 1);

    avk_test_gate_destroy(&g);
    remove(path);
}

int main(void) {
    misuse_setup();
    test_create();
    misuse_teardown();
    return avk_test_summary("test_misuse_create");
}
