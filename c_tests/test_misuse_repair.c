/*
 * Misuse of avk_inspect_file, avk_repair_file and avk_set_lame_path: NULL arguments, missing
 * and non-AVI files, a bad report size, a header cut short; and a good file passes with its
 * counts, also repaired in place.
 */
#include "avk_test.h"
#include "avk_test_misuse.h"

/* avk_inspect_file and avk_repair_file: NULL arguments, missing and non-AVI files, a bad
   report size, a header cut short; and a good file passes with its counts. */
static void test_inspect_and_repair(void) {
    char good[512], junk[512], cut[512], fixed[512];
    avk_file_report report;
    avk_writer *w;
    avk_video_stream *vs;
    avk_video_stream_options vo = avk_test_dib_options(VW, VH, 32);
    FILE *f;
    int i;
    avk_test_path(good, sizeof good, "misuse_inspect_good.avi");
    avk_test_path(junk, sizeof junk, "misuse_inspect_junk.avi");
    avk_test_path(cut, sizeof cut, "misuse_inspect_cut.avi");
    avk_test_path(fixed, sizeof fixed, "misuse_inspect_fixed.avi");
    CHECK_OK(avk_writer_create(good, NULL, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &vs));
    for (i = 0; i < 5; i++) CHECK_OK(avk_video_stream_write_frame(vs, 0, frame, frame_len));
    CHECK_OK(avk_writer_close(w));

    memset(&report, 0xAB, sizeof report);
    report.struct_size = sizeof report;
    CHECK_OK(avk_inspect_file(good, &report));
    CHECK_EQ(report.stream_count, 1u);
    CHECK_EQ(report.video_frames, 5u);
    CHECK_EQ(report.riff_count, 1u);
    CHECK_EQ(report.was_damaged, 0);

    CHECK_STATUS(avk_inspect_file(NULL, &report), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_inspect_file(good, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_repair_file(NULL, fixed, &report), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_repair_file(good, fixed, NULL), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_inspect_file("/nonexistent-dir/x.avi", &report), AVK_E_IO);
    CHECK_STATUS(avk_repair_file("/nonexistent-dir/x.avi", fixed, &report), AVK_E_IO);
    report.struct_size = 2; /* inside a field */
    CHECK_STATUS(avk_inspect_file(good, &report), AVK_E_INVALID_ARGUMENT);
    report.struct_size = sizeof report + 8; /* a newer caller */
    CHECK_STATUS(avk_inspect_file(good, &report), AVK_E_INVALID_ARGUMENT);
    report.struct_size = sizeof report;

    f = fopen(junk, "wb");
    CHECK(f != NULL);
    fputs("this is not an AVI file at all", f);
    fclose(f);
    CHECK_STATUS(avk_inspect_file(junk, &report), AVK_E_INVALID_ARGUMENT);
    CHECK_STATUS(avk_repair_file(junk, fixed, &report), AVK_E_INVALID_ARGUMENT);

    /* Cut inside the header: repair refuses, naming the header. */
    {
        char buf[200];
        size_t n;
        char msg[512];
        f = fopen(good, "rb");
        CHECK(f != NULL);
        n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        f = fopen(cut, "wb");
        CHECK(f != NULL);
        fwrite(buf, 1, n, f);
        fclose(f);
        CHECK_STATUS(avk_repair_file(cut, fixed, &report), AVK_E_INVALID_ARGUMENT);
        avk_last_error_message(msg, sizeof msg);
        CHECK(strstr(msg, "header") != NULL);
    }
    /* Repair in place (out_path NULL) of a good file keeps everything. */
    CHECK_OK(avk_repair_file(good, NULL, &report));
    CHECK_EQ(report.video_frames, 5u);
    CHECK_EQ(report.bytes_recovered, (uint64_t)(5 * frame_len));
    CHECK_OK(avk_inspect_file(good, &report));
    remove(good);
    remove(junk);
    remove(cut);
    remove(fixed);
    CHECK_STATUS(avk_set_lame_path(NULL), AVK_E_INVALID_ARGUMENT);
}

int main(void) {
    misuse_setup();
    test_inspect_and_repair();
    misuse_teardown();
    return avk_test_summary("test_misuse_repair");
}
