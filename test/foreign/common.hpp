// Shared by foreign-pub and foreign-sub only: argument parsing, signals, and the
// loopback-only participant. Deliberately independent of src/native (see README.md).
#pragma once

#include <atomic>
#include <chrono>
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <fastdds/dds/domain/DomainParticipant.hpp>
#include <fastdds/dds/domain/DomainParticipantFactory.hpp>
#include <fastdds/dds/domain/qos/DomainParticipantQos.hpp>
#include <fastdds/dds/topic/Topic.hpp>
#include <fastdds/dds/topic/TypeSupport.hpp>
#include <fastdds/rtps/transport/UDPv4TransportDescriptor.h>
#include <fastrtps/utils/IPLocator.h>

#include "ChatPubSubTypes.h"

namespace foreign {

namespace fdds = eprosima::fastdds::dds;
namespace frtps = eprosima::fastrtps::rtps;

// The wire contract (README, "The wire contract"): never change.
constexpr const char* kTopicName = "User Messages";
constexpr const char* kTypeName = "Chat::UserMessage";
// Participant ids probed on each initial peer; Fast DDS's default of 4 is too few for a local cluster.
constexpr uint32_t kMaxParticipantId = 32;

inline std::atomic<int>& stop_signal()
{
    static std::atomic<int> signo{0};
    return signo;
}

inline void on_signal(int signo)
{
    stop_signal().store(signo);
}

inline void install_signal_handlers()
{
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
}

inline bool stopping()
{
    return stop_signal().load() != 0;
}

// Exit status after a signal: the shell convention 128 + signal number.
inline int signal_status()
{
    return 128 + stop_signal().load();
}

inline void milestone(const char* program, const std::string& text)
{
    std::fprintf(stderr, "%s: %s\n", program, text.c_str());
    std::fflush(stderr);
}

[[noreturn]] inline void usage(const char* program, const char* synopsis, const std::string& problem)
{
    std::fprintf(stderr, "%s: %s\nusage: %s %s\n", program, problem.c_str(), program, synopsis);
    std::exit(2);
}

// Parses a non-negative integer option value, or exits 2.
inline long long parse_count(const char* program, const char* synopsis, const std::string& flag, const char* text,
        long long max)
{
    char* end = nullptr;
    errno = 0;
    long long value = text ? std::strtoll(text, &end, 10) : -1;
    if (!text || *text == '\0' || *end != '\0' || errno != 0 || value < 0 || value > max)
    {
        usage(program, synopsis, flag + " needs an integer from 0 to " + std::to_string(max));
    }
    return value;
}

// A participant that binds to 127.0.0.1 only, sends no multicast, and finds peers by unicast to
// 127.0.0.1 on the SPDP ports of participant ids 0..kMaxParticipantId-1.
inline fdds::DomainParticipant* create_loopback_participant(int domain, const std::string& name)
{
    fdds::DomainParticipantQos qos = fdds::PARTICIPANT_QOS_DEFAULT;
    qos.name(name);

    auto udp = std::make_shared<eprosima::fastdds::rtps::UDPv4TransportDescriptor>();
    udp->interfaceWhiteList.emplace_back("127.0.0.1");
    // Lives on the transport descriptor, not in the discovery settings.
    udp->maxInitialPeersRange = kMaxParticipantId;
    qos.transport().user_transports.push_back(udp);
    // Otherwise Fast DDS adds its own UDPv4 (all interfaces) and shared-memory transports.
    qos.transport().use_builtin_transports = false;

    // A metatraffic unicast locator (port 0: Fast DDS fills in the well-known one) stops Fast DDS from
    // adding its default SPDP multicast locator 239.255.0.1.
    frtps::Locator_t metatraffic;
    frtps::IPLocator::setIPv4(metatraffic, "127.0.0.1");
    qos.wire_protocol().builtin.metatrafficUnicastLocatorList.push_back(metatraffic);

    // Initial peer without a port: Fast DDS expands it to every participant id's SPDP unicast port.
    frtps::Locator_t peer;
    frtps::IPLocator::setIPv4(peer, "127.0.0.1");
    qos.wire_protocol().builtin.initialPeersList.push_back(peer);

    return fdds::DomainParticipantFactory::get_instance()->create_participant(
        static_cast<fdds::DomainId_t>(domain), qos);
}

// Registers Chat::UserMessage (this directory's own fastddsgen output) and creates `User Messages`;
// nullptr, said on stderr, when Fast DDS refuses either.
inline fdds::Topic* create_chat_topic(const char* program, fdds::DomainParticipant* participant)
{
    fdds::TypeSupport type(new Chat::UserMessagePubSubType());
    if (type.register_type(participant, kTypeName) != eprosima::fastrtps::types::ReturnCode_t::RETCODE_OK)
    {
        milestone(program, "cannot register type Chat::UserMessage");
        return nullptr;
    }
    fdds::Topic* topic = participant->create_topic(kTopicName, kTypeName, fdds::TOPIC_QOS_DEFAULT);
    if (!topic)
    {
        milestone(program, "cannot create the topic");
    }
    return topic;
}

inline void delete_participant(fdds::DomainParticipant* participant)
{
    if (participant)
    {
        participant->delete_contained_entities();
        fdds::DomainParticipantFactory::get_instance()->delete_participant(participant);
    }
}

inline void sleep_ms(int ms)
{
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

} // namespace foreign
