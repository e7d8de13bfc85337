/*
 * Capture timing, checked in the file's bytes:
 *   - timed video at 30 fps: frames go into the slots of their capture time (halves round up),
 *     gaps get zero-length chunks that are not keyframes, a frame for a taken slot is
 *     AVK_E_DROPPED, skip_frames and untimed writes take the next slots; the movi chunk sizes,
 *     their payloads, the idx1 keyframe flags and avk_inspect_file agree with the stats;
 *   - timed 16-bit PCM with jitter (written as is), a gap (exact silence), an overlap (exactly
 *     the overlapping samples cut from the block's start) and a block wholly overlapped
 *     (AVK_E_DROPPED): the stream's bytes in the file are exactly the expected ones; 8-bit PCM
 *     gets silence of 0x80.
 * AVK_WRITE_NOWAIT is test_timing_nowait.c's.
 */
#include "avk_test.h"
#include "avk_test_chunks.h"
#include "avk_test_timing.h"

#define VW 32u
#define VH 24u
#define MS 1000000LL
#define T0 5000000000000LL /* time zero: 5000 s on the caller's clock */

/* ---- video and audio placed by time ---------------------------------------------------- */

static size_t frame_len;
static uint8_t *frames[7];

static void test_video_and_audio(void) {
    enum { A_BLOCK = 441, A_LONG = 2205, GAP = 3528, TRIM = 1323, B_GAP = 1764 };
    static uint8_t pcm[6][A_LONG * 4], pcm8[2][A_BLOCK];
    /* The file's slots: frames 0, 1, 2 (at 4.5 periods: slot 5), 4 (untimed), 5, 6. */
    static const int slot_frame[14] = {0, 1, -1, -1, -1, 2, -1, -1, 4, -1, -1, -1, 5, 6};
    char path[1024];
    avk_writer_options wo = avk_test_writer_options();
    avk_video_stream_options vo = avk_test_dib_options(VW, VH, 32);
    avk_audio_stream_options ao = avk_test_pcm_options(), a8 = avk_test_pcm_options();
    avk_writer *w;
    avk_video_stream *v;
    avk_audio_stream *a, *b;
    avk_async *r = NULL;
    avk_stream_stats s;
    avk_file_report report;
    avk_test_chunks c;
    uint8_t *bytes, *got, *want;
    size_t got_len, want_len, i;

    for (i = 0; i < 6; i++) avk_test_fill_pcm16_stereo(pcm[i], A_LONG, 100000u * i);
    memset(pcm8[0], 0x20, A_BLOCK);
    memset(pcm8[1], 0xE0, A_BLOCK);
    wo.frame_rate_num = 30;
    wo.frame_rate_den = 1;
    a8.channels = 1;
    a8.bits_per_sample = 8;
    avk_test_path(path, sizeof path, "timing");
    CHECK_OK(avk_writer_create(path, &wo, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vo, &v));
    CHECK_OK(avk_writer_add_audio_stream(w, &ao, &a));
    CHECK_OK(avk_writer_add_audio_stream(w, &a8, &b));

    /* Video: slots 0, 1 (40 ms), 5 (150 ms = 4.5 periods rounds up), 5 again (160 ms):
       dropped; two skipped, one untimed (slot 8), 400 ms (slot 12), 433.4 ms begun (13). */
    CHECK_OK(avk_video_stream_write_frame_at(v, AVK_FRAME_KEYFRAME, T0, frames[0], frame_len));
    CHECK_OK(avk_video_stream_write_frame_at(v, AVK_FRAME_KEYFRAME, T0 + 40 * MS, frames[1],
                                             frame_len));
    CHECK_OK(avk_video_stream_write_frame_at(v, AVK_FRAME_KEYFRAME, T0 + 150 * MS, frames[2],
                                             frame_len));
    CHECK_STATUS(avk_video_stream_begin_write_frame_at(v, AVK_FRAME_KEYFRAME, T0 + 160 * MS,
                                                       frames[3], frame_len, must_not_run, NULL,
                                                       NULL),
                 AVK_E_DROPPED);
    CHECK_OK(avk_video_stream_skip_frames(v, 2));
    CHECK_OK(avk_video_stream_write_frame(v, AVK_FRAME_KEYFRAME, frames[4], frame_len));
    CHECK_OK(avk_video_stream_write_frame_at(v, AVK_FRAME_KEYFRAME, T0 + 400 * MS, frames[5],
                                             frame_len));
    CHECK_OK(avk_video_stream_begin_write_frame_at(v, AVK_FRAME_KEYFRAME, T0 + 433400000LL,
                                                   frames[6], frame_len, count_callback, NULL,
                                                   &r));
    CHECK_OK(avk_video_stream_end_write_frame(v, r));
    s = video_stats(v);
    CHECK_EQ(s.chunks, 14);
    CHECK_EQ(s.empty_frames, 8);
    CHECK_EQ(s.dropped, 1);
    CHECK_EQ(s.payload_bytes, 6 * frame_len);

    /* 16-bit stereo 44.1 kHz, tolerance 20 ms = 882 samples. 0 ms; 13 ms (573, 132 late: as
       is, the stream has 882); 100 ms (4410: 3528 of silence first, then 4851); a 50 ms block
       at 80 ms (3528: its first 1323 cut, 882 kept, 5733); 50 ms (ends at 2646): dropped;
       130 ms (5733): as is. */
    CHECK_OK(avk_audio_stream_write_block_at(a, 0, T0, pcm[0], A_BLOCK * 4));
    CHECK_OK(avk_audio_stream_write_block_at(a, 0, T0 + 13 * MS, pcm[1], A_BLOCK * 4));
    CHECK_OK(avk_audio_stream_write_block_at(a, 0, T0 + 100 * MS, pcm[2], A_BLOCK * 4));
    CHECK_OK(avk_audio_stream_begin_write_block_at(a, AVK_WRITE_COPY, T0 + 80 * MS, pcm[3],
                                                   A_LONG * 4, count_callback, NULL, &r));
    CHECK_OK(avk_audio_stream_end_write_block(a, r));
    CHECK_STATUS(avk_audio_stream_write_block_at(a, 0, T0 + 50 * MS, pcm[4], A_BLOCK * 4),
                 AVK_E_DROPPED);
    CHECK_OK(avk_audio_stream_write_block_at(a, 0, T0 + 130 * MS, pcm[5], A_BLOCK * 4));
    s = audio_stats(a);
    CHECK_EQ(s.chunks, 5);
    CHECK_EQ(s.samples, 4 * A_BLOCK + GAP + (A_LONG - TRIM));
    CHECK_EQ(s.silence_samples, GAP);
    CHECK_EQ(s.trimmed_samples, TRIM);
    CHECK_EQ(s.dropped, 1);
    CHECK_EQ(s.payload_bytes, s.samples * 4);
    CHECK_EQ(s.empty_frames, 0);

    /* 8-bit mono: a block at 0, one at 50 ms: 1764 samples of silence (0x80) between. */
    CHECK_OK(avk_audio_stream_write_block_at(b, 0, T0, pcm8[0], A_BLOCK));
    CHECK_OK(avk_audio_stream_write_block_at(b, 0, T0 + 50 * MS, pcm8[1], A_BLOCK));
    CHECK_EQ(audio_stats(b).silence_samples, B_GAP);
    CHECK_OK(avk_writer_close(w));
    CHECK_EQ(__atomic_load_n(&callbacks_run, __ATOMIC_SEQ_CST), 2);

    report.struct_size = sizeof report;
    CHECK_OK(avk_inspect_file(path, &report));
    CHECK_EQ(report.video_frames, 14);

    /* Video chunks: each slot's frame, or empty and not a keyframe. */
    bytes = avk_test_read_chunks(path, "00", &c);
    CHECK_EQ(c.count, 14);
    CHECK_EQ(c.flagged, 14);
    for (i = 0; i < 14; i++) {
        int n = slot_frame[i];
        CHECK_EQ(c.size[i], n < 0 ? 0 : frame_len);
        CHECK(n < 0 || memcmp(bytes + c.offset[i], frames[n], frame_len) == 0);
        CHECK_EQ(c.idx1_flags[i] & 0x10u, n < 0 ? 0u : 0x10u);
    }
    free(bytes);

    /* Audio: exactly the blocks, the silence and the kept tail of the cut block. */
    bytes = avk_test_read_chunks(path, "01", &c);
    got = avk_test_stream_bytes(bytes, &c, &got_len);
    want_len = (4 * A_BLOCK + GAP + (A_LONG - TRIM)) * 4;
    want = (uint8_t *)calloc(1, want_len);
    CHECK(want != NULL);
    memcpy(want, pcm[0], A_BLOCK * 4);
    memcpy(want + A_BLOCK * 4, pcm[1], A_BLOCK * 4);
    memcpy(want + (2 * A_BLOCK + GAP) * 4, pcm[2], A_BLOCK * 4); /* calloc: the silence */
    memcpy(want + (3 * A_BLOCK + GAP) * 4, pcm[3] + TRIM * 4, (A_LONG - TRIM) * 4);
    memcpy(want + (3 * A_BLOCK + GAP + A_LONG - TRIM) * 4, pcm[5], A_BLOCK * 4);
    CHECK_EQ(got_len, want_len);
    CHECK(memcmp(got, want, want_len) == 0);
    free(got);
    free(want);
    free(bytes);

    bytes = avk_test_read_chunks(path, "02", &c);
    got = avk_test_stream_bytes(bytes, &c, &got_len);
    CHECK_EQ(got_len, 2 * A_BLOCK + B_GAP);
    CHECK(memcmp(got, pcm8[0], A_BLOCK) == 0);
    for (i = 0; i < B_GAP; i++) CHECK_EQ(got[A_BLOCK + i], 0x80);
    CHECK(memcmp(got + A_BLOCK + B_GAP, pcm8[1], A_BLOCK) == 0);
    free(got);
    free(bytes);
    remove(path);
}
int main(void) {
    size_t i;
    frame_len = avk_test_dib_size(VW, VH, 32);
    for (i = 0; i < 7; i++) {
        frames[i] = (uint8_t *)malloc(frame_len);
        CHECK(frames[i] != NULL);
        avk_test_fill_dib(frames[i], VW, VH, 32, (uint32_t)i * 10u);
    }
    test_video_and_audio();
    for (i = 0; i < 7; i++) free(frames[i]);
    return avk_test_summary("test_timing");
}
