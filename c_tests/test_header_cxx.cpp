// avikit.h from C++17: the header can be included twice, compiles cleanly with
// -Wall -Wextra -Werror -pedantic, and its functions link with C linkage (a small file is written
// through the API: video frames and audio blocks, synchronously and with begin/end + callback).
#include <avikit.h>
#include <avikit.h> // include guard

#include "avk_test.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

static_assert(std::is_standard_layout<avk_writer_options>::value, "C layout");
static_assert(std::is_standard_layout<avk_video_stream_options>::value, "C layout");
static_assert(std::is_standard_layout<avk_audio_stream_options>::value, "C layout");
static_assert(std::is_standard_layout<avk_io>::value, "C layout");
static_assert(std::is_same<avk_status, std::int32_t>::value, "avk_status is int32_t");
static_assert(offsetof(avk_writer_options, struct_size) == 0, "struct_size first");
static_assert(offsetof(avk_video_stream_options, struct_size) == 0, "struct_size first");
static_assert(offsetof(avk_audio_stream_options, struct_size) == 0, "struct_size first");
static_assert(offsetof(avk_io, struct_size) == 0, "struct_size first");
static_assert(AVK_OK == 0 && AVK_E_PANIC == 13, "status values");

namespace {

std::atomic<int> callbacks{0};

extern "C" void on_complete(avk_async *result, void *user_state) {
    avk_status status = -1;
    void *state = nullptr;
    CHECK_OK(avk_async_result(result, &status));
    CHECK_STATUS_VALUE(status, AVK_OK);
    CHECK_OK(avk_async_user_state(result, &state));
    CHECK(state == user_state);
    callbacks.fetch_add(1);
}

} // namespace

int main() {
    const std::uint32_t width = 16, height = 8, bpp = 24;
    const std::size_t frame_len = avk_test_dib_size(width, height, bpp);
    std::vector<std::uint8_t> frames(frame_len * 10);
    std::vector<std::uint8_t> pcm(1470 * 4 * 10);
    for (std::uint32_t i = 0; i < 10; i++) {
        avk_test_fill_dib(frames.data() + frame_len * i, width, height, bpp, i);
        avk_test_fill_pcm16_stereo(pcm.data() + 1470 * 4 * i, 1470, 1470ull * i);
    }

    char path[1024];
    avk_test_path(path, sizeof path, "header-cxx");
    avk_writer_options wopts = avk_test_writer_options();
    avk_video_stream_options vopts = avk_test_dib_options(width, height, bpp);
    avk_audio_stream_options aopts = avk_test_pcm_options();
    vopts.name = "c++ video";

    avk_writer *w = nullptr;
    avk_video_stream *v = nullptr;
    avk_audio_stream *a = nullptr;
    CHECK_OK(avk_writer_create(path, &wopts, &w));
    CHECK_OK(avk_writer_add_video_stream(w, &vopts, &v));
    CHECK_OK(avk_writer_add_audio_stream(w, &aopts, &a));

    std::vector<avk_async *> results;
    for (std::uint32_t i = 0; i < 10; i++) {
        const std::uint8_t *f = frames.data() + frame_len * i;
        const std::uint8_t *b = pcm.data() + 1470 * 4 * i;
        if (i % 2 == 0) {
            CHECK_OK(avk_video_stream_write_frame(v, AVK_FRAME_KEYFRAME, f, frame_len));
            CHECK_OK(avk_audio_stream_write_block(a, 0, b, 1470 * 4));
        } else {
            avk_async *rv = nullptr, *ra = nullptr;
            CHECK_OK(avk_video_stream_begin_write_frame(v, 0, f, frame_len, on_complete, &results,
                                                        &rv));
            CHECK_OK(avk_audio_stream_begin_write_block(a, 0, b, 1470 * 4, on_complete, &results,
                                                        &ra));
            CHECK_OK(avk_async_wait(rv, AVK_WAIT_INFINITE));
            CHECK_STATUS(avk_async_cancel(rv), AVK_E_INVALID_STATE); // too late: completed
            CHECK_OK(avk_video_stream_end_write_frame(v, rv));
            CHECK_OK(avk_audio_stream_end_write_block(a, ra));
        }
    }
    CHECK_STATUS(avk_video_stream_write_frame(v, 0, frames.data(), frame_len - 1),
                 AVK_E_INVALID_ARGUMENT);
    CHECK_OK(avk_writer_flush(w, AVK_FLUSH_DURABLE));
    CHECK_OK(avk_writer_close(w));
    CHECK_EQ(callbacks.load(), 10);

    CHECK(std::string(avk_status_name(AVK_E_IO)) == "AVK_E_IO");
    CHECK(std::string(avk_version_string()) == std::to_string(AVK_VERSION_MAJOR) + "." +
                                                   std::to_string(AVK_VERSION_MINOR) + "." +
                                                   std::to_string(AVK_VERSION_PATCH));

    std::size_t len = 0;
    std::uint8_t *bytes = avk_test_read_file(path, &len);
    CHECK(bytes != nullptr);
    CHECK(len > frames.size() + pcm.size());
    CHECK(std::string(reinterpret_cast<char *>(bytes), 4) == "RIFF");
    std::free(bytes);
    std::remove(path);
    return avk_test_summary("test_header_cxx");
}
