// foreign-sub: a DDS program that is not chatdds. Prints the `message` of every sample read from
// `User Messages`, one per line, and exits after N samples.
#include <string>

#include <fastdds/dds/subscriber/DataReader.hpp>
#include <fastdds/dds/subscriber/SampleInfo.hpp>
#include <fastdds/dds/subscriber/Subscriber.hpp>
#include <fastdds/dds/subscriber/qos/DataReaderQos.hpp>
#include <fastdds/dds/topic/Topic.hpp>
#include <fastdds/dds/topic/TypeSupport.hpp>

#include "Chat.h"
#include "ChatPubSubTypes.h"
#include "common.hpp"

using namespace foreign;

static const char* const kProgram = "foreign-sub";
static const char* const kSynopsis = "--count N [--domain D] [--timeout S] [--name NAME]";

struct Options
{
    int domain = 10;
    long long count = -1;
    long long timeout_s = 30;
    std::string name = "foreign-sub";
};

static Options parse(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i)
    {
        std::string flag = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (flag == "--help" || flag == "-h")
        {
            std::printf("usage: %s %s\n", kProgram, kSynopsis);
            std::exit(0);
        }
        if (!value)
        {
            usage(kProgram, kSynopsis, flag + " needs a value");
        }
        ++i;
        if (flag == "--domain")
        {
            options.domain = static_cast<int>(parse_count(kProgram, kSynopsis, flag, value, 232));
        }
        else if (flag == "--count")
        {
            options.count = parse_count(kProgram, kSynopsis, flag, value, 100000000);
        }
        else if (flag == "--timeout")
        {
            options.timeout_s = parse_count(kProgram, kSynopsis, flag, value, 86400);
        }
        else if (flag == "--name")
        {
            options.name = value;
        }
        else
        {
            usage(kProgram, kSynopsis, "unknown option " + flag);
        }
    }
    if (options.count < 0)
    {
        usage(kProgram, kSynopsis, "--count is required");
    }
    return options;
}

static int subscribe(const Options& options, fdds::DomainParticipant* participant)
{
    fdds::Topic* topic = create_chat_topic(kProgram, participant);
    if (!topic)
    {
        return 1;
    }
    fdds::Subscriber* subscriber = participant->create_subscriber(fdds::SUBSCRIBER_QOS_DEFAULT);
    if (!subscriber)
    {
        milestone(kProgram, "cannot create the subscriber");
        return 1;
    }
    fdds::DataReaderQos qos = subscriber->get_default_datareader_qos();
    qos.reliability().kind = fdds::RELIABLE_RELIABILITY_QOS;
    qos.history().kind = fdds::KEEP_ALL_HISTORY_QOS;
    qos.durability().kind = fdds::VOLATILE_DURABILITY_QOS;
    fdds::DataReader* reader = subscriber->create_datareader(topic, qos);
    if (!reader)
    {
        milestone(kProgram, "cannot create the data reader");
        return 1;
    }
    milestone(kProgram, "joined domain " + std::to_string(options.domain) + " as " + options.name);

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_s);
    const eprosima::fastrtps::Duration_t slice(0, 100000000);
    int32_t writers = 0;
    long long received = 0;
    Chat::UserMessage sample;
    fdds::SampleInfo info;
    while (received < options.count)
    {
        if (stopping())
        {
            return signal_status();
        }
        if (std::chrono::steady_clock::now() > deadline)
        {
            milestone(kProgram, "received " + std::to_string(received) + " of " + std::to_string(options.count) +
                " samples in " + std::to_string(options.timeout_s) + " s; is a writer on domain " +
                std::to_string(options.domain) + "?");
            return 1;
        }
        fdds::SubscriptionMatchedStatus matched;
        reader->get_subscription_matched_status(matched);
        if (matched.current_count != writers)
        {
            writers = matched.current_count;
            milestone(kProgram, std::to_string(writers) + " writer(s) matched");
        }
        reader->wait_for_unread_message(slice);
        while (received < options.count && reader->take_next_sample(&sample, &info) == ReturnCode_t::RETCODE_OK)
        {
            if (!info.valid_data)
            {
                continue;
            }
            std::fputs(sample.message().c_str(), stdout);
            std::fputc('\n', stdout);
            if (std::fflush(stdout) != 0)
            {
                milestone(kProgram, "stdout closed; stopping");
                return 0;
            }
            ++received;
        }
    }
    milestone(kProgram, "received " + std::to_string(received) + " samples");
    return 0;
}

int main(int argc, char** argv)
{
    Options options = parse(argc, argv);
    install_signal_handlers();
    // A reader of our stdout that went away is a normal end, not a crash.
    std::signal(SIGPIPE, SIG_IGN);
    fdds::DomainParticipant* participant = create_loopback_participant(options.domain, options.name);
    if (!participant)
    {
        milestone(kProgram, "cannot create a participant on domain " + std::to_string(options.domain) +
            "; check that 127.0.0.1 is up and the domain's ports are free");
        return 1;
    }
    int status = subscribe(options, participant);
    delete_participant(participant);
    return status;
}
