// Compile-only test of include/avikit.hpp (c_tests/CMakeLists.txt, avikit_hpp_*): compiled as
// C++17 and C++20 under -Wall -Wextra -Werror -pedantic, included first and twice. The function
// below instantiates the templates (begin_* with a lambda and with no callback) and uses every
// class, so warnings inside them surface.
#include <avikit.hpp>
#include <avikit.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

static_assert(__cplusplus >= 201703L, "avikit.hpp needs C++17");

int avk_hpp_probe(const std::string &path);

int avk_hpp_probe(const std::string &path) {
    try {
        avk_writer_options wo;
        avk_writer_options_init(&wo);
        avikit::writer w(path, &wo);
        avk_video_stream_options vo;
        avk_video_stream_options_init(&vo);
        vo.width = 4;
        vo.height = 4;
        vo.bits_per_pixel = 24;
        avikit::video_stream video = w.add_video_stream(vo);
        avk_audio_stream_options ao;
        avk_audio_stream_options_init(&ao);
        avikit::audio_stream audio = w.add_audio_stream(ao);
        std::vector<std::uint8_t> frame(4 * 4 * 3);
        std::atomic<int> completed{0};
        avikit::async_result r = video.begin_write_frame(
            frame.data(), frame.size(), AVK_FRAME_KEYFRAME,
            [&completed](avk_async *) { ++completed; });
        r.wait();
        r.end();
        video.write_frame(frame.data(), frame.size());
        std::vector<std::uint8_t> pcm(4 * 100);
        avikit::async_result a = audio.begin_write_block(pcm.data(), pcm.size(), AVK_WRITE_COPY);
        (void)a.is_completed();
        a.end();
        audio.write_block(pcm.data(), pcm.size());
        w.flush();
        avikit::writer moved = std::move(w);
        moved.close();
        return completed.load();
    } catch (const avikit::error &e) {
        return -static_cast<int>(e.status());
    }
}
