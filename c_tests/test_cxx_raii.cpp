/* avikit.hpp, the C++17 RAII wrapper: writer and streams, move-only results, callables as
   callbacks, errors as avikit::error with status and message, destructors that close/end. */
#include "avikit.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

static int failures = 0;
static int checks = 0;

#define EXPECT(cond)                                                                  \
    do {                                                                              \
        ++checks;                                                                     \
        if (!(cond)) {                                                                \
            std::fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);  \
            ++failures;                                                               \
        }                                                                             \
    } while (0)

static_assert(!std::is_copy_constructible_v<avikit::writer>, "writer is move-only");
static_assert(std::is_nothrow_move_constructible_v<avikit::writer>, "writer moves");
static_assert(!std::is_copy_constructible_v<avikit::async_result>, "results are move-only");

static std::string out_path(const char *name) {
    const char *dir = std::getenv("AVK_TEST_DIR");
    return std::string(dir ? dir : "/tmp") + "/" + name;
}

static avk_video_stream_options dib_options() {
    avk_video_stream_options o;
    avk_video_stream_options_init(&o);
    o.width = 16;
    o.height = 8;
    o.bits_per_pixel = 32;
    return o;
}

static void callables_run_on_the_worker_in_order() {
    std::atomic<int> fired{0};
    std::vector<int> order;
    const auto caller = std::this_thread::get_id();
    std::atomic<bool> off_thread{true};
    std::string path = out_path("cxx_raii.avi");
    {
        avikit::writer w(path);
        auto video = w.add_video_stream(dib_options());
        avk_audio_stream_options ao;
        avk_audio_stream_options_init(&ao);
        auto audio = w.add_audio_stream(ao);
        std::vector<uint8_t> frame(16 * 8 * 4, 7);
        std::vector<uint8_t> block(1470 * 4, 0);
        std::vector<avikit::async_result> pending;
        for (int i = 0; i < 20; ++i) {
            pending.push_back(video.begin_write_frame(
                frame.data(), frame.size(), AVK_WRITE_COPY, [&, i](avk_async *r) {
                    int32_t done = 0;
                    avk_async_is_completed(r, &done);
                    if (!done || std::this_thread::get_id() == caller) off_thread = false;
                    order.push_back(i); /* one worker thread: no lock needed */
                    ++fired;
                }));
            audio.write_block(block.data(), block.size());
        }
        pending[3].end();
        EXPECT(!pending[3].handle());
        avikit::async_result moved = std::move(pending[4]);
        EXPECT(moved.wait(AVK_WAIT_INFINITE));
        EXPECT(moved.is_completed());
        moved.end();
        pending.clear(); /* destructors end the rest */
        w.close();
        EXPECT(w.handle() == nullptr);
    }
    EXPECT(fired == 20);
    EXPECT(off_thread);
    bool in_order = order.size() == 20;
    for (int i = 0; in_order && i < 20; ++i) in_order = order[static_cast<size_t>(i)] == i;
    EXPECT(in_order);
    std::remove(path.c_str());
}

static void errors_carry_status_and_message() {
    std::string path = out_path("cxx_raii_errors.avi");
    avikit::writer w(path);
    auto video = w.add_video_stream(dib_options());
    try {
        std::vector<uint8_t> short_frame(3);
        video.write_frame(short_frame.data(), short_frame.size());
        EXPECT(false);
    } catch (const avikit::error &e) {
        EXPECT(e.status() == AVK_E_INVALID_ARGUMENT);
        EXPECT(std::string(e.what()).find("512 bytes") != std::string::npos);
    }
    try {
        avikit::writer bad("/nonexistent-dir/x.avi");
        EXPECT(false);
    } catch (const avikit::error &e) {
        EXPECT(e.status() == AVK_E_IO);
#ifdef _WIN32
        /* ERROR_PATH_NOT_FOUND, whose text depends on the system's language. */
        EXPECT(std::string(e.what()).find("(os error 3)") != std::string::npos);
#else
        EXPECT(std::string(e.what()).find("No such file") != std::string::npos);
#endif
    }
    avikit::writer moved = std::move(w); /* the moved-from writer owns nothing */
    EXPECT(w.handle() == nullptr);
    std::vector<uint8_t> frame(16 * 8 * 4, 1);
    video.write_frame(frame.data(), frame.size());
    /* moved's destructor closes the file */
    std::remove(path.c_str());
}

static void a_throwing_callable_does_not_escape_into_c() {
    std::string path = out_path("cxx_raii_throw.avi");
    avikit::writer w(path);
    auto video = w.add_video_stream(dib_options());
    std::vector<uint8_t> frame(16 * 8 * 4, 2);
    auto r = video.begin_write_frame(frame.data(), frame.size(), 0,
                                     [](avk_async *) { throw std::runtime_error("boom"); });
    r.end();
    video.write_frame(frame.data(), frame.size());
    w.close();
    /* The worker survived the exception: both frames are in a well-formed file. */
    avk_file_report report;
    report.struct_size = sizeof report;
    EXPECT(avk_inspect_file(path.c_str(), &report) == AVK_OK);
    EXPECT(report.video_frames == 2);
    std::remove(path.c_str());
}

static void metadata_float_surround_and_pixel_shape() {
    std::string path = out_path("cxx_raii_formats.avi");
    {
        avikit::writer w(path);
        w.set_info("INAM", "C++ title");
        try {
            w.set_info("name", "x");
            EXPECT(false);
        } catch (const avikit::error &e) {
            EXPECT(e.status() == AVK_E_INVALID_ARGUMENT);
        }
        avk_video_stream_options vo = dib_options();
        vo.pixel_aspect_num = 16;
        vo.pixel_aspect_den = 15;
        auto video = w.add_video_stream(vo);
        avk_audio_stream_options ao;
        avk_audio_stream_options_init(&ao);
        ao.codec = AVK_AUDIO_FLOAT;
        ao.bits_per_sample = 32;
        ao.channels = 6;
        auto audio = w.add_audio_stream(ao);
        std::vector<uint8_t> frame(16 * 8 * 4, 3);
        std::vector<float> block(441 * 6, 0.25f);
        video.write_frame(frame.data(), frame.size());
        audio.write_block(block.data(), block.size() * sizeof(float));
        try {
            w.set_info("ICMT", "after the first write");
            EXPECT(false);
        } catch (const avikit::error &e) {
            EXPECT(e.status() == AVK_E_INVALID_STATE);
        }
        w.close();
    }
    avk_file_report report;
    report.struct_size = sizeof report;
    EXPECT(avk_inspect_file(path.c_str(), &report) == AVK_OK);
    EXPECT(report.stream_count == 2 && report.audio_chunks == 1);
    std::remove(path.c_str());
}

int main() {
    callables_run_on_the_worker_in_order();
    metadata_float_surround_and_pixel_shape();
    errors_carry_status_and_message();
    a_throwing_callable_does_not_escape_into_c();
    std::printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}
