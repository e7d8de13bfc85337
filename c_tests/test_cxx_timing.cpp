// avikit.hpp's capture timing: avikit::capture_time from std::chrono durations and steady_clock
// time points (and nothing lossy), timed writes that answer a dropped frame or block with false
// or an empty result (the callable freed, never run), empty frames from gaps and skip_frames,
// stats, errors as avikit::error (AVK_E_LIMIT, AVK_E_UNSUPPORTED), and AVK_WRITE_NOWAIT begins
// that return an empty result at once while the worker is held.
#include "avikit.hpp"

#include "avk_test.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

using namespace std::chrono_literals;
using std::chrono::steady_clock;

static_assert(std::is_convertible_v<std::chrono::nanoseconds, avikit::capture_time>);
static_assert(std::is_convertible_v<std::chrono::milliseconds, avikit::capture_time>);
static_assert(std::is_convertible_v<std::chrono::hours, avikit::capture_time>);
static_assert(std::is_convertible_v<steady_clock::time_point, avikit::capture_time>);
// Nothing that would lose precision or carries no unit.
static_assert(!std::is_convertible_v<std::chrono::duration<double>, avikit::capture_time>);
static_assert(!std::is_convertible_v<std::chrono::duration<int64_t, std::pico>,
                                     avikit::capture_time>);
static_assert(!std::is_convertible_v<int64_t, avikit::capture_time>);
static_assert(!std::is_convertible_v<double, avikit::capture_time>);
static_assert(avikit::capture_time(1500ms).nanoseconds() == 1500000000);

namespace {

constexpr uint32_t W = 16, H = 8;

std::string out_path(const char *name) {
    char path[1024];
    return avk_test_path(path, sizeof path, name);
}

avk_video_stream_options dib_options() {
    return avk_test_dib_options(W, H, 32);
}

avk_writer_options options_30fps(uint64_t max_queued_bytes) {
    avk_writer_options o = avk_test_writer_options();
    o.frame_rate_num = 30;
    o.frame_rate_den = 1;
    o.max_queued_bytes = max_queued_bytes;
    return o;
}

template <typename F> avk_status status_of(F &&call) {
    try {
        call();
    } catch (const avikit::error &e) {
        CHECK(std::string(e.what()).size() > 0);
        return e.status();
    }
    return AVK_OK;
}

void timed_writes_take_chrono_times() {
    const std::string path = out_path("cxx-timing");
    // A synthetic steady_clock instant, so the slots do not depend on the machine's speed.
    const steady_clock::time_point t0{1000s};
    std::vector<uint8_t> frame(avk_test_dib_size(W, H, 32), 9);
    std::vector<uint8_t> block(441 * 4, 0);
    int fired = 0; // written on the worker, read after close
    auto token = std::make_shared<int>(0);
    {
        const avk_writer_options wo = options_30fps(0);
        avikit::writer w(path, &wo);
        auto video = w.add_video_stream(dib_options());
        auto audio = w.add_audio_stream(avk_test_pcm_options());
        avk_audio_stream_options ro;
        avk_audio_stream_options_init(&ro);
        ro.codec = AVK_AUDIO_RAW;
        ro.format_tag = 1;
        auto raw = w.add_audio_stream(ro);

        CHECK(video.write_frame_at(t0, frame.data(), frame.size()));             // slot 0
        CHECK(video.write_frame_at(t0 + 40ms, frame.data(), frame.size()));      // slot 1
        CHECK(!video.write_frame_at(t0 + 45ms, frame.data(), frame.size()));     // 1 again
        // A duration on the same clock: 1000.1 s is slot 3, slot 2 becomes an empty frame.
        CHECK(video.write_frame_at(1000s + 100ms, frame.data(), frame.size()));
        avikit::async_result r = video.begin_write_frame_at(
            std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::duration<double>(1000.1334)),
            frame.data(), frame.size(), AVK_FRAME_KEYFRAME, [&fired](avk_async *) { ++fired; });
        CHECK(static_cast<bool>(r));
        r.end();
        CHECK(!r);
        // Slot 3 is taken: an empty result, the callable destroyed without running.
        avikit::async_result dropped = video.begin_write_frame_at(
            t0 + 100ms, frame.data(), frame.size(), AVK_WRITE_COPY,
            [token, &fired](avk_async *) { fired += 100; });
        CHECK(!dropped);
        CHECK_EQ(token.use_count(), 1);
        CHECK_EQ(status_of([&] { dropped.end(); }), AVK_E_INVALID_HANDLE);
        CHECK_EQ(status_of([] { avikit::async_result().end(); }), AVK_E_INVALID_HANDLE);
        video.skip_frames(2); // slots 5 and 6
        // Ten hours ahead is over 1,000,000 slots at 30 fps.
        CHECK_EQ(status_of([&] { video.write_frame_at(t0 + 10h, frame.data(), frame.size()); }),
                 AVK_E_LIMIT);
        avk_stream_stats s = video.stats();
        CHECK_EQ(s.struct_size, sizeof s);
        CHECK_EQ(s.chunks, 7);
        CHECK_EQ(s.empty_frames, 3);
        CHECK_EQ(s.dropped, 2);
        CHECK_EQ(s.payload_bytes, 4 * frame.size());

        CHECK(audio.write_block_at(t0, block.data(), block.size()));
        CHECK(audio.write_block_at(t0 + 100ms, block.data(), block.size())); // 90 ms of silence
        CHECK(!audio.write_block_at(t0 + 20ms, block.data(), block.size()));
        avikit::async_result a = audio.begin_write_block_at(
            t0 + 110ms, block.data(), block.size(), 0, [&fired](avk_async *) { ++fired; });
        CHECK(static_cast<bool>(a));
        a.end();
        s = audio.stats();
        CHECK_EQ(s.chunks, 3);
        CHECK_EQ(s.silence_samples, 3969);
        CHECK_EQ(s.samples, 3 * 441 + 3969);
        CHECK_EQ(s.dropped, 1);
        CHECK_EQ(status_of([&] { raw.write_block_at(t0, block.data(), block.size()); }),
                 AVK_E_UNSUPPORTED);
        CHECK_EQ(status_of([&] { raw.begin_write_block_at(t0, block.data(), block.size(), 0); }),
                 AVK_E_UNSUPPORTED);
        w.close();
        CHECK_EQ(status_of([&] { video.skip_frames(1); }), AVK_E_INVALID_HANDLE);
        CHECK_EQ(status_of([&] { (void)audio.stats(); }), AVK_E_INVALID_HANDLE);
    }
    CHECK_EQ(fired, 2);
    avk_file_report report;
    report.struct_size = sizeof report;
    CHECK_OK(avk_inspect_file(path.c_str(), &report));
    CHECK_EQ(report.video_frames, 7);
    std::remove(path.c_str());
}

// A callable that holds the worker until released.
struct worker_hold {
    std::mutex mu;
    std::condition_variable cv;
    bool entered = false, released = false;

    void operator()() {
        std::unique_lock<std::mutex> lock(mu);
        entered = true;
        cv.notify_all();
        cv.wait_for(lock, 10s, [this] { return released; });
    }
    void wait_entered() {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [this] { return entered; });
    }
    void release() {
        std::lock_guard<std::mutex> lock(mu);
        released = true;
        cv.notify_all();
    }
};

void nowait_begins_give_empty_results() {
    const std::string path = out_path("cxx-timing-nowait");
    const steady_clock::time_point t0{2000s};
    std::vector<uint8_t> frame(avk_test_dib_size(W, H, 32), 5);
    std::vector<uint8_t> block(441 * 4, 0);
    worker_hold hold;
    const avk_writer_options wo = options_30fps(64); // one frame fits an empty queue only
    avikit::writer w(path, &wo);
    auto video = w.add_video_stream(dib_options());
    auto audio = w.add_audio_stream(avk_test_pcm_options());
    auto first = video.begin_write_frame_at(t0, frame.data(), frame.size(), AVK_FRAME_KEYFRAME,
                                            [&hold](avk_async *) { hold(); });
    hold.wait_entered();
    auto queued = video.begin_write_frame_at(t0 + 34ms, frame.data(), frame.size(), 0);
    CHECK(static_cast<bool>(queued));
    const uint64_t start = avk_test_now_ms();
    CHECK(!video.begin_write_frame_at(t0 + 67ms, frame.data(), frame.size(), AVK_WRITE_NOWAIT));
    CHECK(!video.begin_write_frame(frame.data(), frame.size(), AVK_WRITE_NOWAIT));
    CHECK(!audio.begin_write_block_at(t0, block.data(), block.size(), AVK_WRITE_NOWAIT));
    CHECK(!audio.begin_write_block(block.data(), block.size(), AVK_WRITE_NOWAIT));
    CHECK(avk_test_now_ms() - start < 2000);
    CHECK_EQ(video.stats().dropped, 2);
    CHECK_EQ(audio.stats().dropped, 2);
    hold.release();
    first.end();
    queued.end();
    // Slot 2, refused above, became free: this frame in slot 3 gets one empty frame first.
    CHECK(video.write_frame_at(t0 + 100ms, frame.data(), frame.size()));
    CHECK_EQ(video.stats().empty_frames, 1);
    w.close();
    std::remove(path.c_str());
}

} // namespace

int main() {
    timed_writes_take_chrono_times();
    nowait_begins_give_empty_results();
    return avk_test_summary("test_cxx_timing");
}
