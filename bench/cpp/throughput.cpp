// Fast DDS throughput baseline for bench/dds-throughput: one program, `pub` and `sub` modes.
//
//   throughput sub --domain D [--count N] [--timeout S] [--profile tuned|default] [--transport udp|shm]
//   throughput pub --domain D (--count N | --duration S) [--size B] [--profile ...] [--transport ...]
//   Overrides of single settings, to see which matter: --heartbeat-us --socket-buffer --max-samples --publish-mode
//
// Same wire contract as chatdds (topic `User Messages`, type Chat::UserMessage, RELIABLE,
// KEEP_ALL) and the same loopback-only participant (UDPv4 on 127.0.0.1, no multicast, unicast
// initial peers). Each side prints one JSON line on stdout; milestones go to stderr.
// The subscriber's samplesPerSec is measured from its first to its last sample.
//
// What mattered on this 2-core VM (100-byte samples, 100k–200k per run, other jobs running):
// Fast DDS defaults ~1–2k/s; 4 MiB buffers alone ~15–17k/s; 5 ms heartbeat alone ~1.7k/s;
// 100k-sample histories alone ~0.2k/s (bursts overflow the 208 KiB socket buffer and losses are
// repaired only every 3 s heartbeat); tuned ~19–31k/s, where the writer is CPU-bound (one
// sendmsg per sample). Tuned but with a 3 s heartbeat: ~4–5k/s. Async publish mode: slower.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <fastdds/dds/domain/DomainParticipant.hpp>
#include <fastdds/dds/domain/DomainParticipantFactory.hpp>
#include <fastdds/dds/publisher/DataWriter.hpp>
#include <fastdds/dds/publisher/Publisher.hpp>
#include <fastdds/dds/subscriber/DataReader.hpp>
#include <fastdds/dds/subscriber/DataReaderListener.hpp>
#include <fastdds/dds/subscriber/SampleInfo.hpp>
#include <fastdds/dds/subscriber/Subscriber.hpp>
#include <fastdds/dds/topic/Topic.hpp>
#include <fastdds/dds/topic/TypeSupport.hpp>
#include <fastdds/rtps/transport/UDPv4TransportDescriptor.h>
#include <fastdds/rtps/transport/shared_mem/SharedMemTransportDescriptor.h>
#include <fastrtps/utils/IPLocator.h>

#include "Chat.h"
#include "ChatPubSubTypes.h"

namespace fdds = eprosima::fastdds::dds;
namespace frtps = eprosima::fastrtps::rtps;
using Clock = std::chrono::steady_clock;

static const char* const kSynopsis =
    "pub|sub [--domain D] [--count N] [--duration S] [--size B] [--timeout S] "
    "[--profile tuned|default] [--transport udp|shm] [--heartbeat-us U] [--socket-buffer B] [--max-samples N] [--publish-mode sync|async]";

// Tuned values (profile "tuned"); profile "default" leaves every one at Fast DDS's default.
// 4 MiB is also this host's net.core.{r,w}mem_max; the kernel silently caps larger requests.
constexpr uint32_t kSocketBuffer = 4 * 1024 * 1024;
// Samples a writer may hold unacknowledged, and a reader may hold untaken (default 5000).
constexpr int32_t kMaxSamples = 100000;
// How often the writer asks for acknowledgements (default 3 s): with KEEP_ALL a full
// history blocks write() until acks free it, so this bounds how fast the history drains.
constexpr int32_t kHeartbeatNs = 5 * 1000 * 1000;

struct Options
{
    std::string mode;
    int domain = 10;
    long long count = 0;
    double duration_s = 0;
    long long size = 100;
    long long timeout_s = 120;
    bool tuned = true;
    bool shm = false;
    // Overrides of single tuned settings, for finding out which ones matter (-1: the profile's).
    long long heartbeat_us = -1;
    long long socket_buffer = -1;
    long long max_samples = -1;
    std::string publish_mode;
};

static std::atomic<int> g_signal{0};

static void on_signal(int signo)
{
    g_signal.store(signo);
}

static void log(const std::string& text)
{
    std::fprintf(stderr, "throughput: %s\n", text.c_str());
}

[[noreturn]] static void usage(const std::string& problem)
{
    std::fprintf(stderr, "throughput: %s\nusage: throughput %s\n", problem.c_str(), kSynopsis);
    std::exit(2);
}

static long long number(const std::string& flag, const char* text, long long min, long long max)
{
    char* end = nullptr;
    long long value = std::strtoll(text, &end, 10);
    if (*text == '\0' || *end != '\0' || value < min || value > max)
    {
        usage(flag + " needs an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return value;
}

static Options parse(int argc, char** argv)
{
    Options o;
    if (argc < 2 || (std::string(argv[1]) != "pub" && std::string(argv[1]) != "sub"))
    {
        usage("the first argument must be pub or sub");
    }
    o.mode = argv[1];
    for (int i = 2; i < argc; i += 2)
    {
        std::string flag = argv[i];
        if (i + 1 >= argc)
        {
            usage(flag + " needs a value");
        }
        const char* value = argv[i + 1];
        if (flag == "--domain")
        {
            o.domain = static_cast<int>(number(flag, value, 0, 232));
        }
        else if (flag == "--count")
        {
            o.count = number(flag, value, 1, 1000000000);
        }
        else if (flag == "--duration")
        {
            o.duration_s = static_cast<double>(number(flag, value, 1, 3600));
        }
        else if (flag == "--size")
        {
            o.size = number(flag, value, 12, 60000);
        }
        else if (flag == "--timeout")
        {
            o.timeout_s = number(flag, value, 1, 86400);
        }
        else if (flag == "--profile" && (std::string(value) == "tuned" || std::string(value) == "default"))
        {
            o.tuned = std::string(value) == "tuned";
        }
        else if (flag == "--transport" && (std::string(value) == "udp" || std::string(value) == "shm"))
        {
            o.shm = std::string(value) == "shm";
        }
        else if (flag == "--heartbeat-us")
        {
            o.heartbeat_us = number(flag, value, 100, 60000000);
        }
        else if (flag == "--socket-buffer")
        {
            o.socket_buffer = number(flag, value, 65536, 64 * 1024 * 1024);
        }
        else if (flag == "--publish-mode" && (std::string(value) == "sync" || std::string(value) == "async"))
        {
            o.publish_mode = value;
        }
        else if (flag == "--max-samples")
        {
            o.max_samples = number(flag, value, 1, 10000000);
        }
        else
        {
            usage("unknown option or value: " + flag + " " + value);
        }
    }
    if (o.mode == "pub" && (o.count == 0) == (o.duration_s == 0))
    {
        usage("pub needs exactly one of --count and --duration");
    }
    return o;
}

static fdds::DomainParticipant* create_participant(const Options& o)
{
    fdds::DomainParticipantQos qos = fdds::PARTICIPANT_QOS_DEFAULT;
    qos.name(std::string("throughput-") + o.mode);

    auto udp = std::make_shared<eprosima::fastdds::rtps::UDPv4TransportDescriptor>();
    udp->interfaceWhiteList.emplace_back("127.0.0.1");
    udp->maxInitialPeersRange = 32;
    if (o.tuned || o.socket_buffer > 0)
    {
        // Bigger socket buffers absorb bursts; Fast DDS also sends a piggyback heartbeat each time a
        // writer has sent about one send buffer's worth of data, so this sets the ack cadence too.
        // With user transports only the descriptor counts (transport().send_socket_buffer_size
        // applies to the built-in ones).
        uint32_t size = o.socket_buffer > 0 ? static_cast<uint32_t>(o.socket_buffer) : kSocketBuffer;
        udp->sendBufferSize = size;
        udp->receiveBufferSize = size;
    }
    qos.transport().user_transports.push_back(udp);
    if (o.shm)
    {
        // Same-host peers then exchange user data through shared memory; discovery stays on UDP.
        auto shm = std::make_shared<eprosima::fastdds::rtps::SharedMemTransportDescriptor>();
        if (o.tuned)
        {
            // Defaults (512 KiB segment, 512-message port queue) overflow under a burst of small samples.
            shm->segment_size(8 * 1024 * 1024);
            shm->port_queue_capacity(8192);
        }
        qos.transport().user_transports.push_back(shm);
    }
    qos.transport().use_builtin_transports = false;

    frtps::Locator_t metatraffic;  // a unicast metatraffic locator: no default SPDP multicast
    frtps::IPLocator::setIPv4(metatraffic, "127.0.0.1");
    qos.wire_protocol().builtin.metatrafficUnicastLocatorList.push_back(metatraffic);
    frtps::Locator_t peer;  // no port: every participant id's SPDP port, up to maxInitialPeersRange
    frtps::IPLocator::setIPv4(peer, "127.0.0.1");
    qos.wire_protocol().builtin.initialPeersList.push_back(peer);

    return fdds::DomainParticipantFactory::get_instance()->create_participant(
        static_cast<fdds::DomainId_t>(o.domain), qos);
}

static bool wait_until(const std::function<bool()>& done, double seconds)
{
    auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    while (!done())
    {
        if (g_signal.load() || Clock::now() > deadline)
        {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

static double seconds_between(Clock::time_point a, Clock::time_point b)
{
    return std::chrono::duration<double>(b - a).count();
}

static std::string profile_json(const Options& o)
{
    return std::string("\"profile\":\"") + (o.tuned ? "tuned" : "default") + "\",\"transport\":\"" +
           (o.shm ? "shm" : "udp") + "\"";
}

static int run_pub(const Options& o, fdds::DomainParticipant* participant, fdds::Topic* topic)
{
    fdds::Publisher* publisher = participant->create_publisher(fdds::PUBLISHER_QOS_DEFAULT);
    fdds::DataWriterQos qos = publisher->get_default_datawriter_qos();
    qos.reliability().kind = fdds::RELIABLE_RELIABILITY_QOS;
    qos.history().kind = fdds::KEEP_ALL_HISTORY_QOS;
    qos.durability().kind = fdds::VOLATILE_DURABILITY_QOS;
    if (o.tuned)
    {
        qos.reliable_writer_qos().times.heartbeatPeriod = eprosima::fastrtps::Duration_t(0, kHeartbeatNs);
        qos.resource_limits().max_samples = kMaxSamples;
        qos.resource_limits().max_samples_per_instance = kMaxSamples;
        // write() returns in the calling thread after handing the sample to the transport (the
        // default in 2.9, set so it stays explicit); asynchronous mode adds a thread hop per sample.
        qos.publish_mode().kind = fdds::SYNCHRONOUS_PUBLISH_MODE;
    }
    if (o.heartbeat_us > 0)
    {
        qos.reliable_writer_qos().times.heartbeatPeriod =
            eprosima::fastrtps::Duration_t(static_cast<int32_t>(o.heartbeat_us / 1000000),
                static_cast<uint32_t>((o.heartbeat_us % 1000000) * 1000));
    }
    if (!o.publish_mode.empty())
    {
        qos.publish_mode().kind = o.publish_mode == "async" ? fdds::ASYNCHRONOUS_PUBLISH_MODE : fdds::SYNCHRONOUS_PUBLISH_MODE;
    }
    if (o.max_samples > 0)
    {
        qos.resource_limits().max_samples = static_cast<int32_t>(o.max_samples);
        qos.resource_limits().max_samples_per_instance = static_cast<int32_t>(o.max_samples);
    }
    fdds::DataWriter* writer = publisher->create_datawriter(topic, qos);
    if (!writer)
    {
        log("cannot create the data writer");
        return 1;
    }
    fdds::PublicationMatchedStatus matched;
    if (!wait_until([&] { writer->get_publication_matched_status(matched); return matched.current_count > 0; }, 20))
    {
        log("no reader matched in 20 s; start `throughput sub` on the same domain first");
        return 1;
    }
    log("reader matched; publishing");

    Chat::UserMessage sample;
    std::string& text = sample.message();
    text.assign(static_cast<size_t>(o.size), 'x');
    long long written = 0;
    long long retries = 0;
    const auto start = Clock::now();
    const auto stop_at = start + std::chrono::milliseconds(static_cast<long long>(o.duration_s * 1000));
    while (o.count ? written < o.count : Clock::now() < stop_at)
    {
        // Sequence number in the first 11 bytes so the subscriber can check order and loss.
        char prefix[24];
        std::snprintf(prefix, sizeof(prefix), "%010lld ", written);
        std::memcpy(&text[0], prefix, 11);
        while (!writer->write(&sample))
        {
            ++retries;  // history full for max_blocking_time (100 ms): keep trying
            if (g_signal.load())
            {
                return 128 + g_signal.load();
            }
        }
        ++written;
        if (g_signal.load())
        {
            return 128 + g_signal.load();
        }
    }
    const auto wrote = Clock::now();
    if (!wait_until([&] {
            return writer->wait_for_acknowledgments(eprosima::fastrtps::Duration_t(0, 100000000)) ==
                   ReturnCode_t::RETCODE_OK; }, 60))
    {
        log("samples not acknowledged within 60 s");
        return 1;
    }
    const auto acked = Clock::now();
    std::printf("{\"role\":\"pub\",%s,\"size\":%lld,\"samples\":%lld,\"writeSeconds\":%.6f,\"ackSeconds\":%.6f,"
            "\"samplesPerSec\":%.0f,\"fullRetries\":%lld}\n",
        profile_json(o).c_str(), o.size, written, seconds_between(start, wrote), seconds_between(start, acked),
        written / seconds_between(start, acked), retries);
    std::fflush(stdout);
    return 0;
}

// Counts samples in the listener thread: no copy to another thread, no per-sample locking.
class Counter : public fdds::DataReaderListener
{
public:

    explicit Counter(long long target)
        : target_(target)
    {
    }

    void on_data_available(fdds::DataReader* reader) override
    {
        fdds::SampleInfo info;
        while (reader->take_next_sample(&sample_, &info) == ReturnCode_t::RETCODE_OK)
        {
            if (!info.valid_data)
            {
                continue;
            }
            last_ = Clock::now();
            if (received_ == 0)
            {
                first_ = last_;
            }
            long long seq = std::strtoll(sample_.message().c_str(), nullptr, 10);
            if (seq != expected_)
            {
                ++out_of_order_;
            }
            expected_ = seq + 1;
            if (++received_ == target_)
            {
                std::lock_guard<std::mutex> lock(mutex_);
                cv_.notify_all();
            }
        }
    }

    void on_subscription_matched(fdds::DataReader*, const fdds::SubscriptionMatchedStatus& status) override
    {
        std::lock_guard<std::mutex> lock(mutex_);
        writers_ = status.current_count;
        had_writer_ = had_writer_ || writers_ > 0;
        cv_.notify_all();
    }

    // Waits for the target count, or (no target) for the writer to leave after writing.
    bool wait(long long timeout_s)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
        while (!(target_ > 0 && received_ >= target_) && !(target_ == 0 && had_writer_ && writers_ == 0))
        {
            if (g_signal.load() || Clock::now() > deadline)
            {
                return false;
            }
            cv_.wait_for(lock, std::chrono::milliseconds(50));
        }
        return true;
    }

    std::atomic<long long> received_{0};
    long long out_of_order_ = 0;
    Clock::time_point first_;
    Clock::time_point last_;

private:

    long long target_;
    long long expected_ = 0;
    Chat::UserMessage sample_;
    std::mutex mutex_;
    std::condition_variable cv_;
    int32_t writers_ = 0;
    bool had_writer_ = false;
};

static int run_sub(const Options& o, fdds::DomainParticipant* participant, fdds::Topic* topic)
{
    fdds::Subscriber* subscriber = participant->create_subscriber(fdds::SUBSCRIBER_QOS_DEFAULT);
    fdds::DataReaderQos qos = subscriber->get_default_datareader_qos();
    qos.reliability().kind = fdds::RELIABLE_RELIABILITY_QOS;
    qos.history().kind = fdds::KEEP_ALL_HISTORY_QOS;
    qos.durability().kind = fdds::VOLATILE_DURABILITY_QOS;
    if (o.tuned || o.max_samples > 0)
    {
        int32_t limit = o.max_samples > 0 ? static_cast<int32_t>(o.max_samples) : kMaxSamples;
        qos.resource_limits().max_samples = limit;
        qos.resource_limits().max_samples_per_instance = limit;
    }
    Counter counter(o.count);
    fdds::DataReader* reader = subscriber->create_datareader(topic, qos, &counter);
    if (!reader)
    {
        log("cannot create the data reader");
        return 1;
    }
    log("reader ready on domain " + std::to_string(o.domain));
    bool done = counter.wait(o.timeout_s);
    // Stop callbacks before the counter goes out of scope.
    reader->set_listener(nullptr);
    long long received = counter.received_.load();
    if (!done && received == 0)
    {
        log(g_signal.load() ? "interrupted" : "no samples within the timeout");
        return g_signal.load() ? 128 + g_signal.load() : 1;
    }
    double seconds = seconds_between(counter.first_, counter.last_);
    std::printf("{\"role\":\"sub\",%s,\"samples\":%lld,\"seconds\":%.6f,\"samplesPerSec\":%.0f,"
            "\"outOfOrder\":%lld,\"complete\":%s}\n",
        profile_json(o).c_str(), received, seconds, seconds > 0 ? (received - 1) / seconds : 0.0,
        counter.out_of_order_, done ? "true" : "false");
    std::fflush(stdout);
    return done ? 0 : 1;
}

int main(int argc, char** argv)
{
    Options o = parse(argc, argv);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    fdds::DomainParticipant* participant = create_participant(o);
    if (!participant)
    {
        log("cannot create a participant on domain " + std::to_string(o.domain));
        return 1;
    }
    int status = 1;
    fdds::TypeSupport type(new Chat::UserMessagePubSubType());
    fdds::Topic* topic = nullptr;
    if (type.register_type(participant, "Chat::UserMessage") == ReturnCode_t::RETCODE_OK)
    {
        topic = participant->create_topic("User Messages", "Chat::UserMessage", fdds::TOPIC_QOS_DEFAULT);
    }
    if (!topic)
    {
        log("cannot create the topic");
    }
    else
    {
        status = o.mode == "pub" ? run_pub(o, participant, topic) : run_sub(o, participant, topic);
    }
    participant->delete_contained_entities();
    fdds::DomainParticipantFactory::get_instance()->delete_participant(participant);
    return status;
}
