// chatdds native binding: Fast DDS 2.9 participants, writers and readers of `User Messages`
// (Chat::UserMessage) for Node.js, through node-addon-api without C++ exceptions.
//
// Threading: Fast DDS calls the listeners on its own threads. They only copy what they need
// into a per-participant queue and, when the queue goes from empty to non-empty, schedule one
// NonBlockingCall on a thread-safe function; the JS thread then drains the whole queue and
// turns it into JS values in one batch.

#include <napi.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <fastdds/dds/domain/DomainParticipant.hpp>
#include <fastdds/dds/domain/DomainParticipantFactory.hpp>
#include <fastdds/dds/domain/DomainParticipantListener.hpp>
#include <fastdds/dds/domain/qos/DomainParticipantQos.hpp>
#include <fastdds/dds/publisher/DataWriter.hpp>
#include <fastdds/dds/publisher/DataWriterListener.hpp>
#include <fastdds/dds/publisher/Publisher.hpp>
#include <fastdds/dds/publisher/qos/DataWriterQos.hpp>
#include <fastdds/dds/publisher/qos/PublisherQos.hpp>
#include <fastdds/dds/subscriber/DataReader.hpp>
#include <fastdds/dds/subscriber/DataReaderListener.hpp>
#include <fastdds/dds/subscriber/SampleInfo.hpp>
#include <fastdds/dds/subscriber/Subscriber.hpp>
#include <fastdds/dds/subscriber/qos/DataReaderQos.hpp>
#include <fastdds/dds/subscriber/qos/SubscriberQos.hpp>
#include <fastdds/dds/topic/Topic.hpp>
#include <fastdds/dds/topic/TypeSupport.hpp>
#include <fastdds/rtps/common/WriteParams.h>
#include <fastdds/rtps/transport/UDPv4TransportDescriptor.h>
#include <fastrtps/utils/IPLocator.h>

#include "gen/ChatPubSubTypes.h"

namespace fdds = eprosima::fastdds::dds;
namespace rtps = eprosima::fastrtps::rtps;
using eprosima::fastrtps::Duration_t;

namespace {

constexpr const char* kTopicName = "User Messages";

// ---------------------------------------------------------------------------------------------
// Events queued by listener threads for the JS thread.

enum class EventKind : uint8_t { Sample, Participant, Matched };

struct Event {
  EventKind kind;
  int32_t entity = 0;        // reader/writer handle (Sample, Matched)
  std::string text;          // sample message, or participant name
  std::string writerName;    // Sample: writing participant's name, when known
  rtps::GUID_t guid;         // Sample: writer GUID; Participant: participant GUID
  uint64_t seq = 0;          // Sample: sequence number
  int64_t sourceTimeNs = 0;  // Sample: source timestamp
  int32_t count = 0;         // Matched: current count; Participant: status
  int32_t change = 0;        // Matched: current count change
};

std::string Hex(const uint8_t* bytes, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0xf];
  }
  return out;
}

std::string GuidHex(const rtps::GUID_t& guid) {
  return Hex(guid.guidPrefix.value, 12) + Hex(guid.entityId.value, 4);
}

std::string PrefixHex(const rtps::GuidPrefix_t& prefix) { return Hex(prefix.value, 12); }

uint64_t SeqToU64(const rtps::SequenceNumber_t& seq) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(seq.high)) << 32) | seq.low;
}

class ParticipantCore;

void DeliverBatch(Napi::Env env, Napi::Function callback, ParticipantCore* context, ParticipantCore* core);
// The core is the context of its thread-safe function and is deleted by its finalizer, so a
// call still queued when the participant closes never touches freed memory.
using EventsTsfn = Napi::TypedThreadSafeFunction<ParticipantCore, ParticipantCore, DeliverBatch>;

// ---------------------------------------------------------------------------------------------
// One participant and everything it created. Owned by the JS Participant object; listener
// threads reach it only through the queue.

class ParticipantCore {
 public:
  std::mutex mutex;
  std::vector<Event> queue;
  bool scheduled = false;
  bool closed = false;
  EventsTsfn tsfn;

  fdds::DomainParticipant* participant = nullptr;
  fdds::Topic* topic = nullptr;                  // `User Messages`
  std::map<std::string, fdds::Topic*> topics;   // by name, `User Messages` included
  fdds::TypeSupport type{new Chat::UserMessagePubSubType()};

  std::mutex namesMutex;
  std::map<rtps::GuidPrefix_t, std::string> names;  // participant GUID prefix → name

  void Push(std::vector<Event>&& events) {
    if (events.empty()) return;
    std::lock_guard<std::mutex> lock(mutex);
    if (closed) return;
    if (queue.empty()) {
      queue = std::move(events);
    } else {
      queue.insert(queue.end(), std::make_move_iterator(events.begin()), std::make_move_iterator(events.end()));
    }
    if (!scheduled) {
      scheduled = true;
      tsfn.NonBlockingCall(this);
    }
  }

  std::string NameOf(const rtps::GuidPrefix_t& prefix) {
    std::lock_guard<std::mutex> lock(namesMutex);
    auto it = names.find(prefix);
    return it == names.end() ? std::string() : it->second;
  }
};

class ParticipantListener : public fdds::DomainParticipantListener {
 public:
  explicit ParticipantListener(ParticipantCore* core) : core_(core) {}

  void on_participant_discovery(fdds::DomainParticipant*, rtps::ParticipantDiscoveryInfo&& info) override {
    Event event;
    event.kind = EventKind::Participant;
    event.guid = info.info.m_guid;
    event.text = info.info.m_participantName.to_string();
    event.count = static_cast<int32_t>(info.status);
    {
      std::lock_guard<std::mutex> lock(core_->namesMutex);
      if (info.status == rtps::ParticipantDiscoveryInfo::DISCOVERED_PARTICIPANT ||
          info.status == rtps::ParticipantDiscoveryInfo::CHANGED_QOS_PARTICIPANT) {
        core_->names[info.info.m_guid.guidPrefix] = event.text;
      }
      // Removed participants keep their name: samples of theirs may still be queued.
    }
    std::vector<Event> events;
    events.push_back(std::move(event));
    core_->Push(std::move(events));
  }

 private:
  ParticipantCore* core_;
};

class ReaderListener : public fdds::DataReaderListener {
 public:
  ReaderListener(ParticipantCore* core, int32_t id) : core_(core), id_(id) {}

  void on_data_available(fdds::DataReader* reader) override {
    std::vector<Event> events;
    Chat::UserMessage message;
    fdds::SampleInfo info;
    while (reader->take_next_sample(&message, &info) == ReturnCode_OK()) {
      if (!info.valid_data) continue;
      Event event;
      event.kind = EventKind::Sample;
      event.entity = id_;
      event.text = std::move(message.message());
      event.guid = info.sample_identity.writer_guid();
      event.seq = SeqToU64(info.sample_identity.sequence_number());
      event.sourceTimeNs = static_cast<int64_t>(info.source_timestamp.seconds()) * 1000000000LL +
                           static_cast<int64_t>(info.source_timestamp.nanosec());
      event.writerName = core_->NameOf(event.guid.guidPrefix);
      events.push_back(std::move(event));
    }
    core_->Push(std::move(events));
  }

  void on_subscription_matched(fdds::DataReader*, const fdds::SubscriptionMatchedStatus& status) override {
    Matched(status.current_count, status.current_count_change);
  }

 private:
  static eprosima::fastrtps::types::ReturnCode_t ReturnCode_OK() { return eprosima::fastrtps::types::ReturnCode_t::RETCODE_OK; }

  void Matched(int32_t count, int32_t change) {
    Event event;
    event.kind = EventKind::Matched;
    event.entity = id_;
    event.count = count;
    event.change = change;
    std::vector<Event> events;
    events.push_back(std::move(event));
    core_->Push(std::move(events));
  }

  ParticipantCore* core_;
  int32_t id_;
};

class WriterListener : public fdds::DataWriterListener {
 public:
  WriterListener(ParticipantCore* core, int32_t id) : core_(core), id_(id) {}

  void on_publication_matched(fdds::DataWriter*, const fdds::PublicationMatchedStatus& status) override {
    Event event;
    event.kind = EventKind::Matched;
    event.entity = id_;
    event.count = status.current_count;
    event.change = status.current_count_change;
    std::vector<Event> events;
    events.push_back(std::move(event));
    core_->Push(std::move(events));
  }

 private:
  ParticipantCore* core_;
  int32_t id_;
};

// JS thread: drain the queue and hand one array of plain objects to the JS callback.
void DeliverBatch(Napi::Env env, Napi::Function callback, ParticipantCore*, ParticipantCore* core) {
  std::vector<Event> events;
  bool closed;
  {
    std::lock_guard<std::mutex> lock(core->mutex);
    events.swap(core->queue);
    core->scheduled = false;
    closed = core->closed;
  }
  // Nothing reaches JS after close(): it may run while the environment is being torn down.
  if (closed || env == nullptr || callback.IsEmpty() || events.empty()) return;

  Napi::Array batch = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    Napi::Object out = Napi::Object::New(env);
    switch (event.kind) {
      case EventKind::Sample:
        out.Set("kind", "sample");
        out.Set("entity", event.entity);
        out.Set("message", Napi::String::New(env, event.text));
        out.Set("writer", GuidHex(event.guid));
        out.Set("seq", static_cast<double>(event.seq));
        out.Set("sourceTimestamp", static_cast<double>(event.sourceTimeNs) / 1e6);
        if (!event.writerName.empty()) out.Set("participantName", event.writerName);
        break;
      case EventKind::Participant: {
        const char* kind = "joined";
        if (event.count == rtps::ParticipantDiscoveryInfo::REMOVED_PARTICIPANT) kind = "left";
        if (event.count == rtps::ParticipantDiscoveryInfo::DROPPED_PARTICIPANT) kind = "dropped";
        if (event.count == rtps::ParticipantDiscoveryInfo::CHANGED_QOS_PARTICIPANT) kind = "changed";
        out.Set("kind", "participant");
        out.Set("status", kind);
        out.Set("guidPrefix", PrefixHex(event.guid.guidPrefix));
        out.Set("name", event.text);
        break;
      }
      case EventKind::Matched:
        out.Set("kind", "matched");
        out.Set("entity", event.entity);
        out.Set("count", event.count);
        out.Set("change", event.change);
        break;
    }
    batch.Set(static_cast<uint32_t>(i), out);
  }
  // The C call, so that a failure never becomes node-addon-api's fatal napi_throw. An exception
  // thrown by a JS handler is a bug in that handler: report it as uncaught, like any other.
  napi_value argv[] = {batch};
  if (napi_call_function(env, env.Undefined(), callback, 1, argv, nullptr) == napi_pending_exception) {
    napi_value error;
    if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
  }
}

// ---------------------------------------------------------------------------------------------
// Argument helpers (the TypeScript wrapper validates first; these only guard against misuse).

double NumberOr(const Napi::Object& obj, const char* key, double fallback) {
  Napi::Value value = obj.Get(key);
  return value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : fallback;
}

bool BoolOr(const Napi::Object& obj, const char* key, bool fallback) {
  Napi::Value value = obj.Get(key);
  return value.IsBoolean() ? value.As<Napi::Boolean>().Value() : fallback;
}

std::string StringOr(const Napi::Object& obj, const char* key, const std::string& fallback) {
  Napi::Value value = obj.Get(key);
  return value.IsString() ? value.As<Napi::String>().Utf8Value() : fallback;
}

std::vector<std::string> StringsOf(const Napi::Object& obj, const char* key) {
  std::vector<std::string> out;
  Napi::Value value = obj.Get(key);
  if (!value.IsArray()) return out;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (item.IsString()) out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

Duration_t Seconds(double seconds) {
  int32_t whole = static_cast<int32_t>(seconds);
  uint32_t nanos = static_cast<uint32_t>((seconds - whole) * 1e9);
  return Duration_t(whole, nanos);
}

Napi::Value ThrowError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

// Entity QoS shared by writers and readers: {reliable, transientLocal, keepLast, depth, maxSamples}.
struct EndpointQos {
  bool reliable = true;
  bool transientLocal = false;
  bool keepLast = false;
  int32_t depth = 1;
  int32_t maxSamples = 100000;
  std::vector<std::string> partitions;
  std::string topic = kTopicName;
  // Writers only. Tuned for throughput on loopback, measured in bench/dds-throughput: frequent
  // heartbeats let readers acknowledge quickly so a KEEP_ALL history drains instead of filling up.
  double heartbeatPeriod = 0.005;
};

EndpointQos ParseEndpointQos(const Napi::Object& obj) {
  EndpointQos qos;
  qos.reliable = BoolOr(obj, "reliable", true);
  qos.transientLocal = BoolOr(obj, "transientLocal", false);
  qos.keepLast = BoolOr(obj, "keepLast", false);
  qos.depth = static_cast<int32_t>(NumberOr(obj, "depth", 1));
  qos.maxSamples = static_cast<int32_t>(NumberOr(obj, "maxSamples", 100000));
  qos.partitions = StringsOf(obj, "partitions");
  qos.topic = StringOr(obj, "topic", kTopicName);
  qos.heartbeatPeriod = NumberOr(obj, "heartbeatPeriod", qos.heartbeatPeriod);
  return qos;
}

template <typename Qos>
void ApplyCommonQos(Qos& qos, const EndpointQos& in) {
  qos.reliability().kind = in.reliable ? fdds::RELIABLE_RELIABILITY_QOS : fdds::BEST_EFFORT_RELIABILITY_QOS;
  qos.durability().kind = in.transientLocal ? fdds::TRANSIENT_LOCAL_DURABILITY_QOS : fdds::VOLATILE_DURABILITY_QOS;
  qos.history().kind = in.keepLast ? fdds::KEEP_LAST_HISTORY_QOS : fdds::KEEP_ALL_HISTORY_QOS;
  qos.history().depth = in.keepLast ? in.depth : 1;
  qos.resource_limits().max_samples = in.maxSamples;
  qos.resource_limits().max_instances = 1;
  qos.resource_limits().max_samples_per_instance = in.maxSamples;
  qos.resource_limits().allocated_samples = std::min(in.maxSamples, 256);
  // Strings are unbounded: reuse buffers that grow to the largest sample seen.
  qos.endpoint().history_memory_policy = rtps::DYNAMIC_REUSABLE_MEMORY_MODE;
}

// ---------------------------------------------------------------------------------------------
// The JS class. Writers and readers are integer handles owned by their participant; the
// TypeScript wrapper turns them into objects.

class Participant : public Napi::ObjectWrap<Participant> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Participant",
                       {
                           InstanceMethod<&Participant::CreateWriter>("createWriter"),
                           InstanceMethod<&Participant::CreateReader>("createReader"),
                           InstanceMethod<&Participant::Write>("write"),
                           InstanceMethod<&Participant::WriterGuid>("writerGuid"),
                           InstanceMethod<&Participant::Matched>("matched"),
                           InstanceMethod<&Participant::WaitForAcknowledgments>("waitForAcknowledgments"),
                           InstanceMethod<&Participant::DeleteEntity>("deleteEntity"),
                           InstanceMethod<&Participant::Close>("close"),
                           InstanceMethod<&Participant::GuidPrefix>("guidPrefix"),
                       });
  }

  // new Participant(domainId, config, onEvents)
  Participant(const Napi::CallbackInfo& info);
  ~Participant() override { Shutdown(); }

  // Deletes every Fast DDS entity; safe to call twice. Also run by the environment cleanup hook.
  void Shutdown();

 private:
  Napi::Value CreateWriter(const Napi::CallbackInfo& info);
  Napi::Value CreateReader(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value WriterGuid(const Napi::CallbackInfo& info);
  Napi::Value Matched(const Napi::CallbackInfo& info);
  Napi::Value WaitForAcknowledgments(const Napi::CallbackInfo& info);
  Napi::Value DeleteEntity(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GuidPrefix(const Napi::CallbackInfo& info);

  // The topic named by qos.topic (default `User Messages`), created on first use; all share the type.
  fdds::Topic* TopicFor(const std::string& name) {
    auto it = core_->topics.find(name);
    if (it != core_->topics.end()) return it->second;
    fdds::Topic* topic = core_->participant->create_topic(name, core_->type.get_type_name(), fdds::TOPIC_QOS_DEFAULT);
    if (topic != nullptr) core_->topics[name] = topic;
    return topic;
  }

  bool CheckOpen(Napi::Env env) {
    if (core_ && core_->participant) return true;
    ThrowError(env, "ECLOSED", "the DDS participant is closed");
    return false;
  }

  struct WriterEntry {
    fdds::Publisher* publisher = nullptr;
    fdds::DataWriter* writer = nullptr;
    std::unique_ptr<WriterListener> listener;
  };
  struct ReaderEntry {
    fdds::Subscriber* subscriber = nullptr;
    fdds::DataReader* reader = nullptr;
    std::unique_ptr<ReaderListener> listener;
  };

  ParticipantCore* core_ = nullptr;  // owned by its thread-safe function once created
  std::unique_ptr<ParticipantListener> participantListener_;
  std::map<int32_t, WriterEntry> writers_;
  std::map<int32_t, ReaderEntry> readers_;
  int32_t nextId_ = 1;
  Chat::UserMessage scratch_;  // reused by Write: avoids an allocation per sample
  std::vector<Participant*>* live_ = nullptr;  // the open participants of this environment
};

// Per-environment state: the open participants, so that the environment's cleanup hook can
// delete them (a worker thread's exit must not touch the main thread's participants).
class Addon : public Napi::Addon<Addon> {
 public:
  std::vector<Participant*> live;

  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {InstanceValue("Participant", Participant::Define(env))});
    // A process must never hang at exit on a participant that JS forgot to close.
    napi_add_env_cleanup_hook(
        env,
        [](void* arg) {
          std::vector<Participant*> open = static_cast<Addon*>(arg)->live;
          for (Participant* participant : open) participant->Shutdown();
        },
        this);
  }
};

Participant::Participant(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Participant>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsObject() || !info[2].IsFunction()) {
    ThrowError(env, "EINVAL", "new Participant(domainId, config, onEvents)");
    return;
  }
  const uint32_t domain = info[0].As<Napi::Number>().Uint32Value();
  Napi::Object config = info[1].As<Napi::Object>();

  core_ = new ParticipantCore();
  core_->tsfn = EventsTsfn::New(env, info[2].As<Napi::Function>(), "chatdds-dds-events", 0, 1, core_,
                                [](Napi::Env, void*, ParticipantCore* core) { delete core; });
  // An idle reader must not keep the process alive.
  core_->tsfn.Unref(env);

  fdds::DomainParticipantQos qos = fdds::PARTICIPANT_QOS_DEFAULT;
  qos.name(StringOr(config, "name", "chatdds"));

  const std::string iface = StringOr(config, "interface", "127.0.0.1");
  const uint32_t bufferSize = static_cast<uint32_t>(NumberOr(config, "socketBufferSize", 4 * 1024 * 1024));
  auto udp = std::make_shared<eprosima::fastdds::rtps::UDPv4TransportDescriptor>();
  udp->interfaceWhiteList.push_back(iface);
  udp->sendBufferSize = bufferSize;
  udp->receiveBufferSize = bufferSize;
  udp->maxInitialPeersRange = static_cast<uint32_t>(NumberOr(config, "maxParticipantId", 32));
  udp->TTL = static_cast<uint8_t>(NumberOr(config, "ttl", 1));
  qos.transport().user_transports.push_back(udp);
  // No shared-memory or default UDP transport: only the interface named above.
  qos.transport().use_builtin_transports = false;
  qos.transport().send_socket_buffer_size = bufferSize;
  qos.transport().listen_socket_buffer_size = bufferSize;

  auto& builtin = qos.wire_protocol().builtin;
  // Listing a unicast metatraffic locator (port 0 = the well-known port of our participant id)
  // stops Fast DDS from adding its default SPDP multicast locator.
  rtps::Locator_t metaUnicast;
  eprosima::fastrtps::rtps::IPLocator::setIPv4(metaUnicast, iface);
  builtin.metatrafficUnicastLocatorList.push_back(metaUnicast);
  rtps::Locator_t userUnicast;
  eprosima::fastrtps::rtps::IPLocator::setIPv4(userUnicast, iface);
  qos.wire_protocol().default_unicast_locator_list.push_back(userUnicast);

  if (BoolOr(config, "multicast", false)) {
    rtps::Locator_t group;
    eprosima::fastrtps::rtps::IPLocator::setIPv4(group, StringOr(config, "multicastAddress", "239.255.0.1"));
    builtin.metatrafficMulticastLocatorList.push_back(group);
  }

  Napi::Value peers = config.Get("initialPeers");
  if (peers.IsArray()) {
    Napi::Array list = peers.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      if (!list.Get(i).IsObject()) continue;
      Napi::Object peer = list.Get(i).As<Napi::Object>();
      rtps::Locator_t locator;
      eprosima::fastrtps::rtps::IPLocator::setIPv4(locator, StringOr(peer, "address", "127.0.0.1"));
      locator.port = static_cast<uint32_t>(NumberOr(peer, "port", 0));
      builtin.initialPeersList.push_back(locator);
    }
  }

  builtin.discovery_config.leaseDuration = Seconds(NumberOr(config, "leaseDuration", 10));
  builtin.discovery_config.leaseDuration_announcementperiod = Seconds(NumberOr(config, "announcementPeriod", 1));
  // A few quick announcements at start so peers find each other in well under a second.
  builtin.discovery_config.initial_announcements.count = 5;
  builtin.discovery_config.initial_announcements.period = Seconds(0.05);

  fdds::DomainParticipantFactory* factory = fdds::DomainParticipantFactory::get_instance();
  participantListener_ = std::make_unique<ParticipantListener>(core_);
  fdds::StatusMask mask = fdds::StatusMask::none();  // entity listeners report their own statuses
  core_->participant = factory->create_participant(domain, qos, participantListener_.get(), mask);
  if (core_->participant == nullptr) {
    core_->closed = true;
    core_->tsfn.Release();
    core_ = nullptr;
    ThrowError(env, "EDDS", "Fast DDS could not create a participant on domain " + std::to_string(domain) +
                                " (is the interface " + iface + " up?)");
    return;
  }
  {
    std::lock_guard<std::mutex> lock(core_->namesMutex);
    core_->names[core_->participant->guid().guidPrefix] = qos.name().to_string();
  }
  core_->type.register_type(core_->participant);
  core_->topic = core_->participant->create_topic(kTopicName, core_->type.get_type_name(), fdds::TOPIC_QOS_DEFAULT);
  if (core_->topic != nullptr) core_->topics[kTopicName] = core_->topic;
  if (core_->topic == nullptr) {
    Shutdown();
    ThrowError(env, "EDDS", "Fast DDS could not create the topic `User Messages`");
    return;
  }
  live_ = &env.GetInstanceData<Addon>()->live;
  live_->push_back(this);
}

void Participant::Shutdown() {
  if (!core_) return;
  if (live_) live_->erase(std::remove(live_->begin(), live_->end(), this), live_->end());
  {
    // From here on listener threads queue nothing and never touch the thread-safe function.
    std::lock_guard<std::mutex> lock(core_->mutex);
    core_->closed = true;
  }
  if (core_->participant) {
    core_->participant->set_listener(nullptr);
    for (auto& [id, entry] : writers_) entry.writer->set_listener(nullptr);
    for (auto& [id, entry] : readers_) entry.reader->set_listener(nullptr);
    core_->participant->delete_contained_entities();
    fdds::DomainParticipantFactory::get_instance()->delete_participant(core_->participant);
    core_->participant = nullptr;
    core_->topic = nullptr;
    core_->topics.clear();
    writers_.clear();
    readers_.clear();
  }
  participantListener_.reset();
  core_->tsfn.Release();
  core_ = nullptr;
}

Napi::Value Participant::CreateWriter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  EndpointQos in = ParseEndpointQos(info.Length() > 0 && info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(env));
  fdds::Topic* topic = TopicFor(in.topic);
  if (topic == nullptr) return ThrowError(env, "EDDS", "Fast DDS could not create the topic `" + in.topic + "`");
  fdds::PublisherQos pubQos = fdds::PUBLISHER_QOS_DEFAULT;
  for (const auto& name : in.partitions) pubQos.partition().push_back(name.c_str());
  WriterEntry entry;
  entry.publisher = core_->participant->create_publisher(pubQos);
  if (entry.publisher == nullptr) return ThrowError(env, "EDDS", "Fast DDS could not create a publisher");

  fdds::DataWriterQos qos = fdds::DATAWRITER_QOS_DEFAULT;
  ApplyCommonQos(qos, in);
  // Never block the JS thread on a full history: write() reports "busy" and the caller retries.
  qos.reliability().max_blocking_time = Duration_t(0, 0);
  qos.reliable_writer_qos().times.heartbeatPeriod = Seconds(in.heartbeatPeriod);
  qos.reliable_writer_qos().times.nackResponseDelay = Duration_t(0, 0);
  qos.publish_mode().kind = fdds::SYNCHRONOUS_PUBLISH_MODE;

  const int32_t id = nextId_++;
  entry.listener = std::make_unique<WriterListener>(core_, id);
  entry.writer = entry.publisher->create_datawriter(topic, qos, entry.listener.get(),
                                                    fdds::StatusMask::publication_matched());
  if (entry.writer == nullptr) {
    core_->participant->delete_publisher(entry.publisher);
    return ThrowError(env, "EDDS", "Fast DDS could not create the writer (check the QoS)");
  }
  writers_.emplace(id, std::move(entry));
  return Napi::Number::New(env, id);
}

Napi::Value Participant::CreateReader(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  EndpointQos in = ParseEndpointQos(info.Length() > 0 && info[0].IsObject() ? info[0].As<Napi::Object>() : Napi::Object::New(env));
  fdds::Topic* topic = TopicFor(in.topic);
  if (topic == nullptr) return ThrowError(env, "EDDS", "Fast DDS could not create the topic `" + in.topic + "`");
  fdds::SubscriberQos subQos = fdds::SUBSCRIBER_QOS_DEFAULT;
  for (const auto& name : in.partitions) subQos.partition().push_back(name.c_str());
  ReaderEntry entry;
  entry.subscriber = core_->participant->create_subscriber(subQos);
  if (entry.subscriber == nullptr) return ThrowError(env, "EDDS", "Fast DDS could not create a subscriber");

  fdds::DataReaderQos qos = fdds::DATAREADER_QOS_DEFAULT;
  ApplyCommonQos(qos, in);
  qos.reliable_reader_qos().times.heartbeatResponseDelay = Duration_t(0, 0);

  const int32_t id = nextId_++;
  entry.listener = std::make_unique<ReaderListener>(core_, id);
  fdds::StatusMask mask = fdds::StatusMask::data_available() << fdds::StatusMask::subscription_matched();
  entry.reader = entry.subscriber->create_datareader(topic, qos, entry.listener.get(), mask);
  if (entry.reader == nullptr) {
    core_->participant->delete_subscriber(entry.subscriber);
    return ThrowError(env, "EDDS", "Fast DDS could not create the reader (check the QoS)");
  }
  readers_.emplace(id, std::move(entry));
  return Napi::Number::New(env, id);
}

// write(writerId, text) → sequence number, or -1 when the writer history is full (retry later).
Napi::Value Participant::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsString()) {
    return ThrowError(env, "EINVAL", "write(writerId, text)");
  }
  auto it = writers_.find(info[0].As<Napi::Number>().Int32Value());
  if (it == writers_.end()) return ThrowError(env, "ECLOSED", "the DDS writer is closed");
  scratch_.message(info[1].As<Napi::String>().Utf8Value());
  rtps::WriteParams params;
  if (!it->second.writer->write(&scratch_, params)) return Napi::Number::New(env, -1);
  return Napi::Number::New(env, static_cast<double>(SeqToU64(params.sample_identity().sequence_number())));
}

Napi::Value Participant::WriterGuid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  auto it = writers_.find(info[0].As<Napi::Number>().Int32Value());
  if (it == writers_.end()) return ThrowError(env, "ECLOSED", "the DDS writer is closed");
  return Napi::String::New(env, GuidHex(it->second.writer->guid()));
}

// matched(entityId) → current matched count of that writer or reader.
Napi::Value Participant::Matched(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  const int32_t id = info[0].As<Napi::Number>().Int32Value();
  if (auto w = writers_.find(id); w != writers_.end()) {
    fdds::PublicationMatchedStatus status;
    w->second.writer->get_publication_matched_status(status);
    return Napi::Number::New(env, status.current_count);
  }
  if (auto r = readers_.find(id); r != readers_.end()) {
    fdds::SubscriptionMatchedStatus status;
    r->second.reader->get_subscription_matched_status(status);
    return Napi::Number::New(env, status.current_count);
  }
  return ThrowError(env, "ECLOSED", "the DDS entity is closed");
}

// waitForAcknowledgments(writerId, seconds) → true when every matched reader acknowledged all.
// Blocks: used only by short-lived programs (send, benchmarks) before they close.
Napi::Value Participant::WaitForAcknowledgments(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  auto it = writers_.find(info[0].As<Napi::Number>().Int32Value());
  if (it == writers_.end()) return ThrowError(env, "ECLOSED", "the DDS writer is closed");
  const double seconds = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 1;
  return Napi::Boolean::New(env, it->second.writer->wait_for_acknowledgments(Seconds(seconds)) ==
                                     eprosima::fastrtps::types::ReturnCode_t::RETCODE_OK);
}

Napi::Value Participant::DeleteEntity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!core_ || !core_->participant) return env.Undefined();
  const int32_t id = info[0].As<Napi::Number>().Int32Value();
  if (auto w = writers_.find(id); w != writers_.end()) {
    w->second.writer->set_listener(nullptr);
    w->second.publisher->delete_datawriter(w->second.writer);
    core_->participant->delete_publisher(w->second.publisher);
    writers_.erase(w);
  } else if (auto r = readers_.find(id); r != readers_.end()) {
    r->second.reader->set_listener(nullptr);
    r->second.subscriber->delete_datareader(r->second.reader);
    core_->participant->delete_subscriber(r->second.subscriber);
    readers_.erase(r);
  }
  return env.Undefined();
}

Napi::Value Participant::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value Participant::GuidPrefix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env)) return env.Undefined();
  return Napi::String::New(env, PrefixHex(core_->participant->guid().guidPrefix));
}

}  // namespace

NODE_API_ADDON(Addon)
