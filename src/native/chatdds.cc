// chatdds native binding: Fast DDS 2.9 participants, writers and readers of `User Messages`
// (Chat::UserMessage) for Node.js, through node-addon-api without C++ exceptions.
//
// Threading: Fast DDS calls the listeners on its own threads. They only copy what they need
// into a per-participant queue and, when the queue goes from empty to non-empty, schedule one
// NonBlockingCall on a thread-safe function; the JS thread then drains the whole queue and
// turns it into JS values in one batch. Nothing exported blocks the JS thread: waiting for
// acknowledgments runs on a worker thread and settles a promise.
//
// Arguments: every function checks its arguments and throws a JS error with a `code` (never a
// C++ exception, never a crash); every QoS and setting is required, since the defaults live once,
// in TypeScript (src/lib/dds/participant.ts and config.ts).

#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
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
  // Kin: participants that announced the same non-empty user data as this one (this one included).
  std::string userData;
  std::set<rtps::GuidPrefix_t> kin;

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

  bool IsKin(const rtps::GuidPrefix_t& prefix) {
    std::lock_guard<std::mutex> lock(namesMutex);
    return kin.count(prefix) > 0;
  }

  // How many of `endpoints` belong to participants that are not kin.
  int32_t Strangers(const std::set<rtps::GUID_t>& endpoints) {
    std::lock_guard<std::mutex> lock(namesMutex);
    int32_t count = 0;
    for (const rtps::GUID_t& guid : endpoints) count += kin.count(guid.guidPrefix) == 0 ? 1 : 0;
    return count;
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
        // Fast DDS 2.9 (PDPListener) calls this right after it matched the participant's builtin discovery
        // endpoints and before any of its user endpoints can match (that takes an SEDP exchange both ways):
        // a kin participant is known as such before the first of its samples reaches a reader.
        const auto& data = info.info.m_userData.data_vec();
        if (!core_->userData.empty() && std::string(data.begin(), data.end()) == core_->userData) {
          core_->kin.insert(info.info.m_guid.guidPrefix);
        }
      }
      // Removed participants keep their name: samples of theirs may still be queued.
    }
    std::vector<Event> events;
    events.push_back(std::move(event));
    core_->Push(std::move(events));
  }

#if HAVE_SECURITY
  // DDS Security: discovery reports every participant that announces itself, authenticated or not;
  // this says which ones passed authentication and access control (status kAuthorized/kUnauthorized).
  void onParticipantAuthentication(fdds::DomainParticipant*, rtps::ParticipantAuthenticationInfo&& info) override {
    Event event;
    event.kind = EventKind::Participant;
    event.guid = info.guid;
    event.text = core_->NameOf(info.guid.guidPrefix);
    event.count = info.status == rtps::ParticipantAuthenticationInfo::AUTHORIZED_PARTICIPANT ? kAuthorized : kUnauthorized;
    std::vector<Event> events;
    events.push_back(std::move(event));
    core_->Push(std::move(events));
  }
#endif  // HAVE_SECURITY

  // Participant event statuses beyond ParticipantDiscoveryInfo's own (which are small non-negative numbers).
  static constexpr int32_t kAuthorized = -1;
  static constexpr int32_t kUnauthorized = -2;

 private:
  ParticipantCore* core_;
};

// The remote endpoints one writer or reader is matched with, as its listener heard of them.
class MatchedSet {
 public:
  void Change(const fdds::InstanceHandle_t& handle, int32_t change) {
    const rtps::GUID_t guid = rtps::iHandle2GUID(handle);
    std::lock_guard<std::mutex> lock(mutex_);
    if (change > 0) guids_.insert(guid);
    if (change < 0) guids_.erase(guid);
  }

  int32_t Strangers(ParticipantCore* core) {
    std::lock_guard<std::mutex> lock(mutex_);
    return core->Strangers(guids_);
  }

 private:
  std::mutex mutex_;
  std::set<rtps::GUID_t> guids_;
};

class ReaderListener : public fdds::DataReaderListener {
 public:
  ReaderListener(ParticipantCore* core, int32_t id, bool ignoreKin) : core_(core), id_(id), ignoreKin_(ignoreKin) {}

  MatchedSet matched;

  void on_data_available(fdds::DataReader* reader) override {
    std::vector<Event> events;
    Chat::UserMessage message;
    fdds::SampleInfo info;
    while (reader->take_next_sample(&message, &info) == ReturnCode_OK()) {
      if (!info.valid_data) continue;
      // Kin publish elsewhere what they write here for strangers: their samples are not news.
      if (ignoreKin_ && core_->IsKin(info.sample_identity.writer_guid().guidPrefix)) continue;
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
    matched.Change(status.last_publication_handle, status.current_count_change);
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
  bool ignoreKin_;
};

class WriterListener : public fdds::DataWriterListener {
 public:
  WriterListener(ParticipantCore* core, int32_t id) : core_(core), id_(id) {}

  MatchedSet matched;

  void on_publication_matched(fdds::DataWriter*, const fdds::PublicationMatchedStatus& status) override {
    matched.Change(status.last_subscription_handle, status.current_count_change);
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
        if (event.count == ParticipantListener::kAuthorized) kind = "authorized";
        if (event.count == ParticipantListener::kUnauthorized) kind = "unauthorized";
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
// Argument validation (model: zeromq.js util/arguments.h). The TypeScript wrapper validates and
// fills in every default before it calls in here; these checks make any other call a JS error
// with code EINVAL (never a crash), and the native side has no defaults of its own: every
// argument and every field is required.

Napi::Value ThrowError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value ThrowTypeError(Napi::Env env, const std::string& message) {
  Napi::TypeError error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "EINVAL"));
  error.ThrowAsJavaScriptException();
  return env.Undefined();
}

// What a value is, for error messages: "undefined", "a string", "1.5"…
std::string Describe(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return value.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_number: return value.ToString().Utf8Value();  // as JS prints it: 1.5, NaN, Infinity
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    default: return value.IsArray() ? "an array" : "an object";
  }
}

bool InRange(const Napi::Value& value, double min, double max, bool integer) {
  if (!value.IsNumber()) return false;
  const double number = value.As<Napi::Number>().DoubleValue();
  return number >= min && number <= max && (!integer || std::trunc(number) == number);
}

constexpr double kMaxHandle = 2147483647;   // handles are positive int32
constexpr double kMaxSeconds = 2147483647;  // Duration_t holds int32 seconds
constexpr double kMaxDomain = 232;          // RTPS port formula: 7400 + 250·domain < 65536

enum class ArgKind { Handle, Domain, Seconds, String, Object, Function };

struct Arg {
  const char* name;
  ArgKind kind;
};

// Checks the count and the kind of every argument; throws and returns false on the first bad one.
bool ValidArgs(const Napi::CallbackInfo& info, const char* signature, std::initializer_list<Arg> args) {
  if (info.Length() != args.size()) {
    ThrowTypeError(info.Env(), std::string(signature) + ": expected " + std::to_string(args.size()) +
                                   " argument(s), got " + std::to_string(info.Length()));
    return false;
  }
  size_t index = 0;
  for (const Arg& arg : args) {
    const Napi::Value value = info[index++];
    bool ok = false;
    const char* expected = "";
    switch (arg.kind) {
      case ArgKind::Handle:
        ok = InRange(value, 1, kMaxHandle, true);
        expected = "an entity handle (an integer from 1 to 2147483647)";
        break;
      case ArgKind::Domain:
        ok = InRange(value, 0, kMaxDomain, true);
        expected = "an integer from 0 to 232";
        break;
      case ArgKind::Seconds:
        ok = InRange(value, 0, kMaxSeconds, false);
        expected = "a number of seconds from 0 to 2147483647";
        break;
      case ArgKind::String:
        ok = value.IsString();
        expected = "a string";
        break;
      case ArgKind::Object:
        ok = value.IsObject() && !value.IsArray() && !value.IsFunction();
        expected = "an object";
        break;
      case ArgKind::Function:
        ok = value.IsFunction();
        expected = "a function";
        break;
    }
    if (!ok) {
      ThrowTypeError(info.Env(), std::string(signature) + ": " + arg.name + " must be " + expected + ", got " + Describe(value));
      return false;
    }
  }
  return true;
}

// Reads the required fields of one options object. After the first bad field it has thrown, ok()
// is false and every later read returns a placeholder, so a caller reads all fields, then checks once.
class Fields {
 public:
  Fields(Napi::Env env, std::string where, Napi::Object object) : env_(env), where_(std::move(where)), object_(object) {}

  bool ok() const { return ok_; }

  bool Boolean(const char* key) {
    Napi::Value value = Get(key);
    if (!ok_) return false;
    if (!value.IsBoolean()) return Fail(key, "a boolean", value), false;
    return value.As<Napi::Boolean>().Value();
  }

  double Integer(const char* key, double min, double max) {
    Napi::Value value = Get(key);
    if (!ok_) return min;
    if (!InRange(value, min, max, true)) {
      return Fail(key, "an integer from " + Format(min) + " to " + Format(max), value), min;
    }
    return value.As<Napi::Number>().DoubleValue();
  }

  // A duration in seconds, more than zero.
  double Seconds(const char* key) {
    Napi::Value value = Get(key);
    if (!ok_) return 1;
    if (!InRange(value, 0, kMaxSeconds, false) || value.As<Napi::Number>().DoubleValue() <= 0) {
      return Fail(key, "a number of seconds above 0", value), 1;
    }
    return value.As<Napi::Number>().DoubleValue();
  }

  std::string String(const char* key) {
    Napi::Value value = Get(key);
    if (!ok_) return std::string();
    if (!value.IsString() || value.As<Napi::String>().Utf8Value().empty()) return Fail(key, "a non-empty string", value), std::string();
    return value.As<Napi::String>().Utf8Value();
  }

  // A string that may be empty.
  std::string Text(const char* key) {
    Napi::Value value = Get(key);
    if (!ok_) return std::string();
    if (!value.IsString()) return Fail(key, "a string", value), std::string();
    return value.As<Napi::String>().Utf8Value();
  }

  std::string Ipv4(const char* key) {
    Napi::Value value = Get(key);
    if (!ok_) return std::string();
    std::string text = value.IsString() ? value.As<Napi::String>().Utf8Value() : std::string();
    if (!eprosima::fastrtps::rtps::IPLocator::isIPv4(text)) return Fail(key, "an IPv4 address string", value), std::string();
    return text;
  }

  std::vector<std::string> Strings(const char* key) {
    std::vector<std::string> out;
    Napi::Value value = Get(key);
    if (!ok_) return out;
    if (!value.IsArray()) return Fail(key, "an array of non-empty strings", value), out;
    Napi::Array array = value.As<Napi::Array>();
    for (uint32_t i = 0; i < array.Length(); ++i) {
      Napi::Value item = array.Get(i);
      if (!item.IsString() || item.As<Napi::String>().Utf8Value().empty()) {
        return Fail((std::string(key) + "[" + std::to_string(i) + "]").c_str(), "a non-empty string", item), out;
      }
      out.push_back(item.As<Napi::String>().Utf8Value());
    }
    return out;
  }

  // An array of objects, each read by `read(fields)` with its own Fields (where = key[i]).
  template <typename Read>
  void Objects(const char* key, Read read) {
    Napi::Value value = Get(key);
    if (!ok_) return;
    if (!value.IsArray()) return Fail(key, "an array of objects", value);
    Napi::Array array = value.As<Napi::Array>();
    for (uint32_t i = 0; i < array.Length() && ok_; ++i) {
      const std::string name = std::string(key) + "[" + std::to_string(i) + "]";
      Napi::Value item = array.Get(i);
      if (!item.IsObject() || item.IsArray()) return Fail(name.c_str(), "an object", item);
      Fields inner(env_, where_ + "." + name, item.As<Napi::Object>());
      read(inner);
      ok_ = inner.ok();
    }
  }

 private:
  Napi::Value Get(const char* key) {
    if (!ok_) return env_.Undefined();
    return object_.Get(key);
  }

  void Fail(const char* key, const std::string& expected, const Napi::Value& value) {
    ok_ = false;
    const bool missing = value.IsUndefined();
    ThrowTypeError(env_, where_ + "." + key + (missing ? " is missing; it must be " : " must be ") + expected +
                             (missing ? "" : ", got " + Describe(value)));
  }

  static std::string Format(double number) {
    char text[32];
    std::snprintf(text, sizeof text, "%.15g", number);
    return text;
  }

  Napi::Env env_;
  std::string where_;
  Napi::Object object_;
  bool ok_ = true;
};

Duration_t Seconds(double seconds) {
  int32_t whole = static_cast<int32_t>(seconds);
  uint32_t nanos = static_cast<uint32_t>((seconds - whole) * 1e9);
  return Duration_t(whole, nanos);
}

// The QoS of one endpoint, every field given by the TypeScript wrapper (participant.ts owns the defaults).
struct EndpointQos {
  bool reliable = false;
  bool transientLocal = false;
  bool keepLast = false;
  int32_t depth = 0;
  int32_t maxSamples = 0;
  std::vector<std::string> partitions;
  std::string topic;
  double heartbeatPeriod = 0;  // writers only
  bool ignoreKin = false;      // readers only: drop samples of kin participants (this one included)
};

EndpointQos ReadEndpointQos(Fields& fields, bool writer) {
  EndpointQos qos;
  qos.topic = fields.String("topic");
  qos.reliable = fields.Boolean("reliable");
  qos.transientLocal = fields.Boolean("transientLocal");
  qos.keepLast = fields.Boolean("keepLast");
  qos.depth = static_cast<int32_t>(fields.Integer("depth", 1, kMaxHandle));
  qos.maxSamples = static_cast<int32_t>(fields.Integer("maxSamples", qos.keepLast ? qos.depth : 1, kMaxHandle));
  qos.partitions = fields.Strings("partitions");
  if (writer) qos.heartbeatPeriod = fields.Seconds("heartbeatPeriod");
  if (!writer) qos.ignoreKin = fields.Boolean("ignoreKin");
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
// Waiting for acknowledgments on a worker thread, so that the JS thread never blocks on DDS.

// What a wait shares with the JS thread: the writer, until the JS thread deletes it.
struct WriterHold {
  std::mutex mutex;
  fdds::DataWriter* writer = nullptr;
};

// The wait holds the writer for one slice at a time: deleting a writer that is being waited on
// blocks the JS thread for at most one slice, never for the whole wait.
constexpr std::chrono::milliseconds kAckSlice{10};

// Resolves its promise with true once every matched reader acknowledged every sample, false when
// `seconds` passed first or the writer was deleted meanwhile.
class AckWaiter : public Napi::AsyncWorker {
 public:
  AckWaiter(Napi::Env env, std::shared_ptr<WriterHold> hold, double seconds)
      : Napi::AsyncWorker(env, "chatdds-wait-for-acknowledgments"),
        deferred_(Napi::Promise::Deferred::New(env)),
        hold_(std::move(hold)),
        seconds_(seconds) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds_));
    for (;;) {
      std::lock_guard<std::mutex> lock(hold_->mutex);
      if (hold_->writer == nullptr) return;
      const auto left = std::max(Clock::duration::zero(), deadline - Clock::now());
      const auto slice = std::chrono::duration_cast<std::chrono::nanoseconds>(std::min<Clock::duration>(left, kAckSlice));
      if (hold_->writer->wait_for_acknowledgments(Duration_t(0, static_cast<uint32_t>(slice.count()))) ==
          eprosima::fastrtps::types::ReturnCode_t::RETCODE_OK) {
        acked_ = true;
        return;
      }
      if (Clock::now() >= deadline) return;
    }
  }

  void OnOK() override { deferred_.Resolve(Napi::Boolean::New(Env(), acked_)); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<WriterHold> hold_;
  double seconds_;
  bool acked_ = false;
};

// ---------------------------------------------------------------------------------------------
// The JS class. Writers and readers are integer handles owned by their participant; the
// TypeScript wrapper turns them into objects.

class Participant : public Napi::ObjectWrap<Participant> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Participant",
                       {
                           InstanceMethod<&Participant::CreateEndpoint>("createEndpoint"),
                           InstanceMethod<&Participant::Write>("write"),
                           InstanceMethod<&Participant::WriterGuid>("writerGuid"),
                           InstanceMethod<&Participant::Matched>("matched"),
                           InstanceMethod<&Participant::Strangers>("strangers"),
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
  struct WriterEntry {
    fdds::Publisher* publisher = nullptr;
    fdds::DataWriter* writer = nullptr;
    std::unique_ptr<WriterListener> listener;
    std::shared_ptr<WriterHold> hold;
  };
  struct ReaderEntry {
    fdds::Subscriber* subscriber = nullptr;
    fdds::DataReader* reader = nullptr;
    std::unique_ptr<ReaderListener> listener;
  };

  Napi::Value CreateEndpoint(const Napi::CallbackInfo& info);
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value WriterGuid(const Napi::CallbackInfo& info);
  Napi::Value Matched(const Napi::CallbackInfo& info);
  Napi::Value Strangers(const Napi::CallbackInfo& info);
  Napi::Value WaitForAcknowledgments(const Napi::CallbackInfo& info);
  Napi::Value DeleteEntity(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GuidPrefix(const Napi::CallbackInfo& info);

  // Each returns an error message, empty on success.
  std::string AddWriter(int32_t id, fdds::Topic* topic, const EndpointQos& in);
  std::string AddReader(int32_t id, fdds::Topic* topic, const EndpointQos& in);
  void DeleteWriter(WriterEntry& entry);
  void DeleteReader(ReaderEntry& entry);

  // The topic named by qos.topic, created on first use; all share the type.
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

  // The writer (or reader) a handle names, or nullptr after throwing: ECLOSED for one that was
  // deleted, EINVAL for a handle of the other kind or of no entity at all.
  WriterEntry* WriterOf(Napi::Env env, const char* signature, const Napi::Value& handle) {
    const int32_t id = handle.As<Napi::Number>().Int32Value();
    if (auto it = writers_.find(id); it != writers_.end()) return &it->second;
    EntityError(env, signature, id, "writer");
    return nullptr;
  }

  void EntityError(Napi::Env env, const char* signature, int32_t id, const char* kind) {
    if (readers_.count(id) || writers_.count(id)) {
      ThrowTypeError(env, std::string(signature) + ": handle " + std::to_string(id) + " names a DDS " +
                              (readers_.count(id) ? "reader" : "writer") + ", not a " + kind);
    } else if (id < nextId_) {
      ThrowError(env, "ECLOSED", std::string("the DDS ") + kind + " is closed");
    } else {
      ThrowTypeError(env, std::string(signature) + ": handle " + std::to_string(id) + " names no DDS " + kind +
                              " of this participant");
    }
  }

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
  constexpr const char* kSignature = "new Participant(domainId, config, onEvents)";
  if (!ValidArgs(info, kSignature, {{"domainId", ArgKind::Domain}, {"config", ArgKind::Object}, {"onEvents", ArgKind::Function}})) {
    return;
  }
  const uint32_t domain = info[0].As<Napi::Number>().Uint32Value();

  // Every setting, read and checked before anything is created.
  Fields config(env, std::string(kSignature) + ": config", info[1].As<Napi::Object>());
  const std::string name = config.String("name");
  // Announced in discovery; participants announcing the same (non-empty) user data are kin.
  const std::string userData = config.Text("userData");
  const std::string iface = config.Ipv4("interface");
  const uint32_t bufferSize = static_cast<uint32_t>(config.Integer("socketBufferSize", 1, 4294967295.0));
  const uint32_t maxParticipantId = static_cast<uint32_t>(config.Integer("maxParticipantId", 1, 4294967295.0));
  const uint8_t ttl = static_cast<uint8_t>(config.Integer("ttl", 0, 255));
  const bool multicast = config.Boolean("multicast");
  const std::string multicastAddress = config.Ipv4("multicastAddress");
  std::vector<rtps::Locator_t> peers;
  config.Objects("initialPeers", [&](Fields& peer) {
    rtps::Locator_t locator;
    eprosima::fastrtps::rtps::IPLocator::setIPv4(locator, peer.Ipv4("address"));
    // Port 0: every well-known SPDP port of the domain, up to maxParticipantId.
    locator.port = static_cast<uint32_t>(peer.Integer("port", 0, 65535));
    peers.push_back(locator);
  });
  const double leaseDuration = config.Seconds("leaseDuration");
  const double announcementPeriod = config.Seconds("announcementPeriod");
  const uint32_t initialAnnouncements = static_cast<uint32_t>(config.Integer("initialAnnouncements", 0, 4294967295.0));
  const double initialAnnouncementPeriod = config.Seconds("initialAnnouncementPeriod");
  // Participant properties, passed through as they are (DDS Security's dds.sec.* among them): the
  // binding knows no property names, TypeScript builds and validates the list.
  std::vector<std::pair<std::string, std::string>> properties;
  config.Objects("properties", [&](Fields& property) {
    std::string propertyName = property.String("name");
    std::string value = property.String("value");
    properties.emplace_back(std::move(propertyName), std::move(value));
  });
  if (!config.ok()) return;

  core_ = new ParticipantCore();
  core_->tsfn = EventsTsfn::New(env, info[2].As<Napi::Function>(), "chatdds-dds-events", 0, 1, core_,
                                [](Napi::Env, void*, ParticipantCore* core) { delete core; });
  // An idle reader must not keep the process alive.
  core_->tsfn.Unref(env);

  fdds::DomainParticipantQos qos = fdds::PARTICIPANT_QOS_DEFAULT;
  qos.name(name);
  if (!userData.empty()) qos.user_data().data_vec(std::vector<rtps::octet>(userData.begin(), userData.end()));
  core_->userData = userData;

  auto udp = std::make_shared<eprosima::fastdds::rtps::UDPv4TransportDescriptor>();
  udp->interfaceWhiteList.push_back(iface);
  udp->sendBufferSize = bufferSize;
  udp->receiveBufferSize = bufferSize;
  udp->maxInitialPeersRange = maxParticipantId;
  udp->TTL = ttl;
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

  if (multicast) {
    rtps::Locator_t group;
    eprosima::fastrtps::rtps::IPLocator::setIPv4(group, multicastAddress);
    builtin.metatrafficMulticastLocatorList.push_back(group);
  }
  for (const rtps::Locator_t& peer : peers) builtin.initialPeersList.push_back(peer);

  builtin.discovery_config.leaseDuration = Seconds(leaseDuration);
  builtin.discovery_config.leaseDuration_announcementperiod = Seconds(announcementPeriod);
  builtin.discovery_config.initial_announcements.count = initialAnnouncements;
  builtin.discovery_config.initial_announcements.period = Seconds(initialAnnouncementPeriod);
  for (const auto& [propertyName, value] : properties) qos.properties().properties().emplace_back(propertyName, value);

  fdds::DomainParticipantFactory* factory = fdds::DomainParticipantFactory::get_instance();
  participantListener_ = std::make_unique<ParticipantListener>(core_);
  fdds::StatusMask mask = fdds::StatusMask::none();  // entity listeners report their own statuses
  core_->participant = factory->create_participant(domain, qos, participantListener_.get(), mask);
  if (core_->participant == nullptr) {
    core_->closed = true;
    core_->tsfn.Release();
    core_ = nullptr;
    ThrowError(env, "EDDS", "Fast DDS could not create a participant on domain " + std::to_string(domain) +
                                (properties.empty() ? " (is the interface " + iface + " up?)"
                                                    : " (is the interface " + iface + " up, and are its properties, such as DDS Security's files, valid?)"));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(core_->namesMutex);
    core_->names[core_->participant->guid().guidPrefix] = qos.name().to_string();
    if (!userData.empty()) core_->kin.insert(core_->participant->guid().guidPrefix);
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
    for (auto& [id, entry] : writers_) {
      entry.writer->set_listener(nullptr);
      // A pending acknowledgment wait lets go of the writer before it is deleted.
      std::lock_guard<std::mutex> lock(entry.hold->mutex);
      entry.hold->writer = nullptr;
    }
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

// createEndpoint(kind, qos) → handle of a new writer or reader ("writer" | "reader").
Napi::Value Participant::CreateEndpoint(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kSignature = "createEndpoint(kind, qos)";
  if (!ValidArgs(info, kSignature, {{"kind", ArgKind::String}, {"qos", ArgKind::Object}})) return env.Undefined();
  const std::string kind = info[0].As<Napi::String>().Utf8Value();
  if (kind != "writer" && kind != "reader") {
    return ThrowTypeError(env, std::string(kSignature) + ": kind must be \"writer\" or \"reader\", got \"" + kind + "\"");
  }
  const bool writer = kind == "writer";
  Fields fields(env, std::string(kSignature) + ": qos", info[1].As<Napi::Object>());
  const EndpointQos qos = ReadEndpointQos(fields, writer);
  if (!fields.ok() || !CheckOpen(env)) return env.Undefined();

  fdds::Topic* topic = TopicFor(qos.topic);
  if (topic == nullptr) return ThrowError(env, "EDDS", "Fast DDS could not create the topic `" + qos.topic + "`");
  const int32_t id = nextId_;
  const std::string failure = writer ? AddWriter(id, topic, qos) : AddReader(id, topic, qos);
  if (!failure.empty()) return ThrowError(env, "EDDS", failure);
  nextId_++;
  return Napi::Number::New(env, id);
}

std::string Participant::AddWriter(int32_t id, fdds::Topic* topic, const EndpointQos& in) {
  fdds::PublisherQos pubQos = fdds::PUBLISHER_QOS_DEFAULT;
  for (const auto& name : in.partitions) pubQos.partition().push_back(name.c_str());
  WriterEntry entry;
  entry.publisher = core_->participant->create_publisher(pubQos);
  if (entry.publisher == nullptr) return "Fast DDS could not create a publisher";

  fdds::DataWriterQos qos = fdds::DATAWRITER_QOS_DEFAULT;
  ApplyCommonQos(qos, in);
  // Never block the JS thread on a full history: write() reports "busy" and the caller retries.
  qos.reliability().max_blocking_time = Duration_t(0, 0);
  qos.reliable_writer_qos().times.heartbeatPeriod = Seconds(in.heartbeatPeriod);
  qos.reliable_writer_qos().times.nackResponseDelay = Duration_t(0, 0);
  qos.publish_mode().kind = fdds::SYNCHRONOUS_PUBLISH_MODE;

  entry.listener = std::make_unique<WriterListener>(core_, id);
  entry.writer = entry.publisher->create_datawriter(topic, qos, entry.listener.get(), fdds::StatusMask::publication_matched());
  if (entry.writer == nullptr) {
    core_->participant->delete_publisher(entry.publisher);
    return "Fast DDS could not create the writer (check the QoS)";
  }
  entry.hold = std::make_shared<WriterHold>();
  entry.hold->writer = entry.writer;
  writers_.emplace(id, std::move(entry));
  return std::string();
}

std::string Participant::AddReader(int32_t id, fdds::Topic* topic, const EndpointQos& in) {
  fdds::SubscriberQos subQos = fdds::SUBSCRIBER_QOS_DEFAULT;
  for (const auto& name : in.partitions) subQos.partition().push_back(name.c_str());
  ReaderEntry entry;
  entry.subscriber = core_->participant->create_subscriber(subQos);
  if (entry.subscriber == nullptr) return "Fast DDS could not create a subscriber";

  fdds::DataReaderQos qos = fdds::DATAREADER_QOS_DEFAULT;
  ApplyCommonQos(qos, in);
  qos.reliable_reader_qos().times.heartbeatResponseDelay = Duration_t(0, 0);

  entry.listener = std::make_unique<ReaderListener>(core_, id, in.ignoreKin);
  fdds::StatusMask mask = fdds::StatusMask::data_available() << fdds::StatusMask::subscription_matched();
  entry.reader = entry.subscriber->create_datareader(topic, qos, entry.listener.get(), mask);
  if (entry.reader == nullptr) {
    core_->participant->delete_subscriber(entry.subscriber);
    return "Fast DDS could not create the reader (check the QoS)";
  }
  readers_.emplace(id, std::move(entry));
  return std::string();
}

// write(writer, text) → sequence number, or -1 when the writer history is full (retry later).
Napi::Value Participant::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ValidArgs(info, "write(writer, text)", {{"writer", ArgKind::Handle}, {"text", ArgKind::String}}) || !CheckOpen(env)) {
    return env.Undefined();
  }
  WriterEntry* entry = WriterOf(env, "write(writer, text)", info[0]);
  if (entry == nullptr) return env.Undefined();
  scratch_.message(info[1].As<Napi::String>().Utf8Value());
  rtps::WriteParams params;
  if (!entry->writer->write(&scratch_, params)) return Napi::Number::New(env, -1);
  return Napi::Number::New(env, static_cast<double>(SeqToU64(params.sample_identity().sequence_number())));
}

// writerGuid(writer) → the writer's GUID, 32 hex digits.
Napi::Value Participant::WriterGuid(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ValidArgs(info, "writerGuid(writer)", {{"writer", ArgKind::Handle}}) || !CheckOpen(env)) return env.Undefined();
  WriterEntry* entry = WriterOf(env, "writerGuid(writer)", info[0]);
  if (entry == nullptr) return env.Undefined();
  return Napi::String::New(env, GuidHex(entry->writer->guid()));
}

// matched(entity) → current matched count of that writer or reader.
Napi::Value Participant::Matched(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ValidArgs(info, "matched(entity)", {{"entity", ArgKind::Handle}}) || !CheckOpen(env)) return env.Undefined();
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
  EntityError(env, "matched(entity)", id, "entity");
  return env.Undefined();
}

// strangers(entity) → how many of the endpoints that writer or reader is matched with belong to
// participants that are not kin (kin: the same non-empty user data as this participant).
Napi::Value Participant::Strangers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ValidArgs(info, "strangers(entity)", {{"entity", ArgKind::Handle}}) || !CheckOpen(env)) return env.Undefined();
  const int32_t id = info[0].As<Napi::Number>().Int32Value();
  if (auto w = writers_.find(id); w != writers_.end()) return Napi::Number::New(env, w->second.listener->matched.Strangers(core_));
  if (auto r = readers_.find(id); r != readers_.end()) return Napi::Number::New(env, r->second.listener->matched.Strangers(core_));
  EntityError(env, "strangers(entity)", id, "entity");
  return env.Undefined();
}

// waitForAcknowledgments(writer, seconds) → Promise<boolean>: true when every matched reader
// acknowledged every sample within `seconds`. The wait runs on a worker thread.
Napi::Value Participant::WaitForAcknowledgments(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  constexpr const char* kSignature = "waitForAcknowledgments(writer, seconds)";
  if (!ValidArgs(info, kSignature, {{"writer", ArgKind::Handle}, {"seconds", ArgKind::Seconds}}) || !CheckOpen(env)) {
    return env.Undefined();
  }
  WriterEntry* entry = WriterOf(env, kSignature, info[0]);
  if (entry == nullptr) return env.Undefined();
  auto* waiter = new AckWaiter(env, entry->hold, info[1].As<Napi::Number>().DoubleValue());
  Napi::Promise promise = waiter->Promise();
  waiter->Queue();  // deletes itself once settled
  return promise;
}

void Participant::DeleteWriter(WriterEntry& entry) {
  entry.writer->set_listener(nullptr);
  {
    std::lock_guard<std::mutex> lock(entry.hold->mutex);
    entry.hold->writer = nullptr;
  }
  entry.publisher->delete_datawriter(entry.writer);
  core_->participant->delete_publisher(entry.publisher);
}

void Participant::DeleteReader(ReaderEntry& entry) {
  entry.reader->set_listener(nullptr);
  entry.subscriber->delete_datareader(entry.reader);
  core_->participant->delete_subscriber(entry.subscriber);
}

// deleteEntity(entity): deletes a writer or reader.
Napi::Value Participant::DeleteEntity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ValidArgs(info, "deleteEntity(entity)", {{"entity", ArgKind::Handle}}) || !CheckOpen(env)) return env.Undefined();
  const int32_t id = info[0].As<Napi::Number>().Int32Value();
  if (auto w = writers_.find(id); w != writers_.end()) {
    DeleteWriter(w->second);
    writers_.erase(w);
  } else if (auto r = readers_.find(id); r != readers_.end()) {
    DeleteReader(r->second);
    readers_.erase(r);
  } else {
    EntityError(env, "deleteEntity(entity)", id, "entity");
  }
  return env.Undefined();
}

// close(): leaves the domain; safe to call twice.
Napi::Value Participant::Close(const Napi::CallbackInfo& info) {
  if (!ValidArgs(info, "close()", {})) return info.Env().Undefined();
  Shutdown();
  return info.Env().Undefined();
}

// guidPrefix() → the participant's GUID prefix, 24 hex digits.
Napi::Value Participant::GuidPrefix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ValidArgs(info, "guidPrefix()", {}) || !CheckOpen(env)) return env.Undefined();
  return Napi::String::New(env, PrefixHex(core_->participant->guid().guidPrefix));
}

}  // namespace

NODE_API_ADDON(Addon)
