/*
 * Compile-only test of include/avikit.h (c_tests/CMakeLists.txt, avikit_header_*): compiled as
 * C99, C11, C17 and, with -x c++, as C++11, C++17 and C++20, under -Wall -Wextra -Werror
 * -pedantic. The header comes first (it must be self-contained) and twice (include guard); the
 * code below touches every type, constant kind and a function of each group, so declarations
 * that only warn when used are exercised too.
 */
#include <avikit.h>
#include <avikit.h>

#ifdef __cplusplus
#define AVK_PROBE_NULL nullptr
#else
#define AVK_PROBE_NULL ((void *)0)
#endif

int avk_header_probe(const char *path);

static void avk_header_probe_callback(avk_async *result, void *user_state) {
    avk_status status = AVK_E_INVALID_STATE;
    (void)user_state;
    if (avk_async_result(result, &status) == AVK_OK && status != AVK_OK) {
        (void)avk_status_name(status);
    }
}

int avk_header_probe(const char *path) {
    avk_writer_options wo;
    avk_video_stream_options vo;
    avk_audio_stream_options ao;
    avk_io io;
    avk_writer *w = AVK_PROBE_NULL;
    avk_video_stream *video = AVK_PROBE_NULL;
    avk_audio_stream *audio = AVK_PROBE_NULL;
    avk_async *pending = AVK_PROBE_NULL;
    avk_async_callback callback = avk_header_probe_callback;
    static const uint8_t frame[4 * 4 * 3] = {0};
    uint32_t version = avk_version();
    char message[64];
    size_t needed = 0;
    avk_status status;

    avk_writer_options_init(&wo);
    avk_video_stream_options_init(&vo);
    avk_audio_stream_options_init(&ao);
    io.struct_size = (uint32_t)sizeof io;
    (void)io;
    wo.flags = AVK_WRITER_EMIT_INDEX1;
    vo.width = 4;
    vo.height = 4;
    vo.codec = AVK_VIDEO_RAW;
    vo.bits_per_pixel = 24;
    vo.input_format = AVK_PIXEL_BGR24;
    ao.codec = AVK_AUDIO_PCM;
    if ((version >> 16) != AVK_VERSION_MAJOR || avk_version_string() == AVK_PROBE_NULL) {
        return -1;
    }
    status = avk_writer_create(path, &wo, &w);
    if (status != AVK_OK) {
        needed = avk_last_error_message(message, sizeof message);
        return (int)needed;
    }
    status = avk_writer_add_video_stream(w, &vo, &video);
    if (status == AVK_OK) {
        status = avk_writer_add_audio_stream(w, &ao, &audio);
    }
    if (status == AVK_OK) {
        status = avk_video_stream_begin_write_frame(video, AVK_FRAME_KEYFRAME | AVK_WRITE_COPY,
                                                    frame, sizeof frame, callback,
                                                    AVK_PROBE_NULL, &pending);
    }
    if (status == AVK_OK && avk_async_wait(pending, AVK_WAIT_INFINITE) == AVK_OK) {
        status = avk_video_stream_end_write_frame(video, pending);
    }
    if (status == AVK_OK) {
        status = avk_writer_flush(w, AVK_FLUSH_DURABLE);
    }
    (void)avk_writer_close(w);
    return status == AVK_OK ? 0 : (int)status;
}
