// foreign-pub: a DDS program that is not chatdds. Writes N plain-text samples to `User Messages`.
#include <string>

#include <fastdds/dds/publisher/DataWriter.hpp>
#include <fastdds/dds/publisher/Publisher.hpp>
#include <fastdds/dds/publisher/qos/DataWriterQos.hpp>
#include <fastdds/dds/topic/Topic.hpp>
#include <fastdds/dds/topic/TypeSupport.hpp>

#include "Chat.h"
#include "ChatPubSubTypes.h"
#include "common.hpp"

using namespace foreign;

static const char* const kProgram = "foreign-pub";
static const char* const kSynopsis =
    "--count N [--domain D] [--prefix TEXT] [--wait-readers K] [--interval-us U] [--name NAME]";

struct Options
{
    int domain = 10;
    long long count = -1;
    std::string prefix = "foreign-";
    long long wait_readers = 1;
    long long interval_us = 0;
    std::string name = "foreign-pub";
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
        else if (flag == "--prefix")
        {
            options.prefix = value;
        }
        else if (flag == "--wait-readers")
        {
            options.wait_readers = parse_count(kProgram, kSynopsis, flag, value, 1000);
        }
        else if (flag == "--interval-us")
        {
            options.interval_us = parse_count(kProgram, kSynopsis, flag, value, 60000000);
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

// Runs the publisher; returns the exit status. Entities are cleaned up by the caller.
static int publish(const Options& options, fdds::DomainParticipant* participant)
{
    fdds::Topic* topic = create_chat_topic(kProgram, participant);
    if (!topic)
    {
        return 1;
    }
    fdds::Publisher* publisher = participant->create_publisher(fdds::PUBLISHER_QOS_DEFAULT);
    if (!publisher)
    {
        milestone(kProgram, "cannot create the publisher");
        return 1;
    }
    fdds::DataWriterQos qos = publisher->get_default_datawriter_qos();
    qos.reliability().kind = fdds::RELIABLE_RELIABILITY_QOS;
    qos.history().kind = fdds::KEEP_ALL_HISTORY_QOS;
    qos.durability().kind = fdds::VOLATILE_DURABILITY_QOS;
    fdds::DataWriter* writer = publisher->create_datawriter(topic, qos);
    if (!writer)
    {
        milestone(kProgram, "cannot create the data writer");
        return 1;
    }
    milestone(kProgram, "joined domain " + std::to_string(options.domain) + " as " + options.name);

    const auto match_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    fdds::PublicationMatchedStatus matched;
    for (;;)
    {
        writer->get_publication_matched_status(matched);
        if (matched.current_count >= options.wait_readers)
        {
            break;
        }
        if (stopping())
        {
            return signal_status();
        }
        if (std::chrono::steady_clock::now() > match_deadline)
        {
            milestone(kProgram, "only " + std::to_string(matched.current_count) + " of " +
                std::to_string(options.wait_readers) +
                " readers matched in 20 s; start the readers on the same domain first");
            return 1;
        }
        sleep_ms(20);
    }
    milestone(kProgram, std::to_string(matched.current_count) + " reader(s) matched");

    Chat::UserMessage sample;
    for (long long i = 0; i < options.count; ++i)
    {
        sample.message(options.prefix + std::to_string(i));
        // KEEP_ALL: write() fails after max_blocking_time while the history is full of unacknowledged samples.
        while (!writer->write(&sample))
        {
            if (stopping())
            {
                return signal_status();
            }
        }
        if (options.interval_us > 0 && i + 1 < options.count)
        {
            std::this_thread::sleep_for(std::chrono::microseconds(options.interval_us));
        }
        if (stopping())
        {
            return signal_status();
        }
    }
    milestone(kProgram, "wrote " + std::to_string(options.count) + " samples");

    // Waits in slices so that a signal still ends the program promptly.
    const auto ack_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (writer->wait_for_acknowledgments(eprosima::fastrtps::Duration_t(0, 100000000)) != ReturnCode_t::RETCODE_OK)
    {
        if (stopping())
        {
            return signal_status();
        }
        if (std::chrono::steady_clock::now() > ack_deadline)
        {
            milestone(kProgram, "samples not acknowledged by every reader within 20 s; check that the readers are RELIABLE");
            return 1;
        }
    }
    milestone(kProgram, "all samples acknowledged");
    return 0;
}

int main(int argc, char** argv)
{
    Options options = parse(argc, argv);
    install_signal_handlers();
    fdds::DomainParticipant* participant = create_loopback_participant(options.domain, options.name);
    if (!participant)
    {
        milestone(kProgram, "cannot create a participant on domain " + std::to_string(options.domain) +
            "; check that 127.0.0.1 is up and the domain's ports are free");
        return 1;
    }
    int status = publish(options, participant);
    delete_participant(participant);
    return status;
}
